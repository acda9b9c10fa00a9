//! The checker: a parsed condition (or an output's `%field`s) against the field catalog, the
//! event types, and the lists and macros in scope.
//!
//! What it finds is what Falco either refuses at load time or accepts and gets wrong:
//!
//! - an unknown field, a field argument of the wrong form, an unknown event type or event
//!   parameter (each with the closest known name);
//! - an operator that does not fit the field's type (`proc.pid contains 1`, `proc.name < a`);
//! - a value that does not fit it (`fd.sport = http`, `evt.dir = in`);
//! - an undefined macro;
//! - a declared list compared with a scalar operator (`proc.name != known_debuggers`:
//!   Falco compares with the literal string), and a list-looking name in `in (…)` that no
//!   list declares.

use crate::ast::*;
use crate::catalog::{self, ArgForm, Type};
use std::collections::{BTreeMap, BTreeSet};

/// What a problem is about; the checker crate turns each into its diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    UnknownField,
    FieldArgument,
    UnknownEvent,
    OperatorType,
    ValueType,
    UndefinedMacro,
    ListAsScalar,
    /// A list-looking bare word in `in (…)` that no list declares. Falco cannot tell a
    /// forgotten list from a literal (`init_module`), so this one is a warning.
    UnknownList,
}

impl Kind {
    /// True for the problems that are errors (all but [`Kind::UnknownList`]).
    pub fn is_error(self) -> bool {
        self != Kind::UnknownList
    }
}

/// Where to look for a did-you-mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidates {
    None,
    Fields,
    Events,
    EventParams,
    Macros,
    Lists,
}

/// One problem, located in the checked text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    pub range: TextRange,
    pub message: String,
    pub label: Option<String>,
    pub help: Option<String>,
    /// The name as written and where the closest known name is looked up.
    pub did_you_mean: Option<(String, Candidates)>,
}

impl Problem {
    fn new(kind: Kind, range: TextRange, message: String) -> Problem {
        Problem {
            kind,
            range,
            message,
            label: None,
            help: None,
            did_you_mean: None,
        }
    }
    fn label(mut self, l: impl Into<String>) -> Problem {
        self.label = Some(l.into());
        self
    }
    fn help(mut self, h: impl Into<String>) -> Problem {
        self.help = Some(h.into());
        self
    }
    fn dym(mut self, name: &str, c: Candidates) -> Problem {
        self.did_you_mean = Some((name.to_string(), c));
        self
    }
}

/// The names a condition can refer to.
#[derive(Debug, Clone, Default)]
pub struct Env<'a> {
    /// Declared lists and their items.
    pub lists: BTreeMap<&'a str, &'a [String]>,
    pub macros: BTreeSet<&'a str>,
}

/// The candidates a did-you-mean looks through.
pub fn candidates<'a>(c: Candidates, env: &'a Env<'_>) -> Vec<&'a str> {
    let cat = catalog::catalog();
    match c {
        Candidates::None => Vec::new(),
        Candidates::Fields => cat.fields.keys().map(String::as_str).collect(),
        Candidates::Events => cat.events.iter().map(String::as_str).collect(),
        Candidates::EventParams => cat.event_params.iter().map(String::as_str).collect(),
        Candidates::Macros => env.macros.iter().copied().collect(),
        Candidates::Lists => env.lists.keys().copied().collect(),
    }
}

/// True for a name a list or macro can have: `[a-zA-Z][a-zA-Z0-9_]*`.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a condition.
pub fn check(e: &Expr, env: &Env<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    e.walk(&mut |node| match node {
        Expr::Macro(i) if !env.macros.contains(i.name.as_str()) => {
            let p = if env.lists.contains_key(i.name.as_str()) {
                Problem::new(
                    Kind::UndefinedMacro,
                    i.range,
                    format!("`{}` is a list, not a macro", i.name),
                )
                .help(format!(
                    "test a field against it: `proc.name in ({})`",
                    i.name
                ))
            } else {
                Problem::new(
                    Kind::UndefinedMacro,
                    i.range,
                    format!("macro `{}` is not defined", i.name),
                )
                .dym(&i.name, Candidates::Macros)
            };
            out.push(p);
        }
        Expr::Check { field, op, operand } => {
            check_one(&mut out, env, field, *op, operand.as_ref())
        }
        _ => {}
    });
    out
}

/// A field resolved for checking: its type and how it may compare.
struct Typed {
    name: String,
    ty: Type,
}

fn resolve_field(out: &mut Vec<Problem>, f: &Field) -> Option<Typed> {
    let Some(r) = catalog::resolve(&f.path) else {
        out.push(
            Problem::new(
                Kind::UnknownField,
                f.range,
                format!(
                    "`{}` is not a Falco {} field",
                    f.path,
                    catalog::FALCO_VERSION
                ),
            )
            .dym(&f.path, Candidates::Fields),
        );
        return None;
    };
    let name = r.info.name.clone();
    let form: Option<ArgForm> = catalog::arg_form(&name);
    let mut ok = true;
    match (&r.dot_arg, &f.index, form) {
        (_, _, None) if f.index.is_some() => {
            out.push(
                Problem::new(
                    Kind::FieldArgument,
                    f.range,
                    format!("field `{name}` takes no argument"),
                )
                .help(format!("write `{name}`")),
            );
            ok = false;
        }
        (Some(_), Some(_), _) => {
            out.push(Problem::new(
                Kind::FieldArgument,
                f.range,
                format!("field `{name}` has two arguments"),
            ));
            ok = false;
        }
        (None, None, Some(a)) if a.required => {
            let example = if a.dot {
                format!("`{name}.NAME`")
            } else {
                format!("`{name}[…]`")
            };
            out.push(
                Problem::new(
                    Kind::FieldArgument,
                    f.range,
                    format!("field `{name}` needs an argument"),
                )
                .help(format!("write {example}")),
            );
            ok = false;
        }
        (None, Some(i), Some(a)) => {
            if !a.bracket {
                out.push(
                    Problem::new(
                        Kind::FieldArgument,
                        f.range,
                        format!("field `{name}` takes its argument after a dot, not in brackets"),
                    )
                    .help(format!("write `{name}.{i}`")),
                );
                ok = false;
            } else if a.numeric && i.parse::<u32>().is_err() {
                out.push(Problem::new(
                    Kind::FieldArgument,
                    f.range,
                    format!("the argument of `{name}` is a number, not `{i}`"),
                ));
                ok = false;
            } else if a.event_param && i.parse::<u32>().is_err() {
                ok &= event_param(out, f, i);
            }
        }
        (Some(d), None, Some(a)) if a.event_param => {
            ok &= event_param(out, f, d);
        }
        _ => {}
    }
    ok.then_some(Typed {
        name,
        ty: r.info.ty,
    })
}

fn event_param(out: &mut Vec<Problem>, f: &Field, p: &str) -> bool {
    if catalog::catalog().event_params.contains(p) {
        return true;
    }
    out.push(
        Problem::new(
            Kind::FieldArgument,
            f.range,
            format!("no event has a parameter `{p}`"),
        )
        .dym(p, Candidates::EventParams),
    );
    false
}

/// The operators a type allows (`exists` fits every field).
fn fits(ty: Type, op: Op) -> bool {
    use Op::*;
    match ty {
        Type::Dynamic => true,
        Type::String | Type::Bytes => !matches!(op, Lt | Le | Gt | Ge),
        Type::Number => matches!(op, Eq | Ne | Lt | Le | Gt | Ge | In | Intersects | Exists),
        Type::Bool => matches!(op, Eq | Ne | In | Exists),
        Type::IpAddr | Type::IpNet => matches!(op, Eq | Ne | In | Intersects | Exists),
    }
}

fn is_number(s: &str) -> bool {
    let s = s.trim();
    s.parse::<i64>().is_ok()
        || s.parse::<u64>().is_ok()
        || s.parse::<f64>().is_ok_and(f64::is_finite)
        || s.strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && u64::from_str_radix(h, 16).is_ok())
}

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

fn is_net(s: &str) -> bool {
    match s.split_once('/') {
        Some((ip, len)) => {
            is_ip(ip)
                && len
                    .parse::<u8>()
                    .is_ok_and(|l| l <= if ip.contains(':') { 128 } else { 32 })
        }
        None => is_ip(s),
    }
}

/// Why `text` does not fit a field of type `ty` named `name`, if it does not.
fn value_problem(name: &str, ty: Type, op: Op, text: &str) -> Option<(String, Candidates)> {
    if matches!(op, Op::Regex) {
        return None;
    }
    if matches!(name, "evt.type" | "syscall.type") {
        if catalog::catalog().events.contains(text) {
            return None;
        }
        return Some((format!("`{text}` is not an event type"), Candidates::Events));
    }
    let ok = match ty {
        Type::Number => is_number(text),
        Type::Bool => matches!(text, "true" | "false"),
        Type::IpAddr => is_ip(text) || is_net(text),
        Type::IpNet => is_net(text),
        _ => true,
    };
    (!ok).then(|| {
        (
            format!("`{text}` is not {} (the type of `{name}`)", ty.describe()),
            Candidates::None,
        )
    })
}

fn check_one(out: &mut Vec<Problem>, env: &Env<'_>, f: &Field, op: Op, operand: Option<&Operand>) {
    let Some(t) = resolve_field(out, f) else {
        return;
    };
    if !fits(t.ty, op) {
        out.push(
            Problem::new(
                Kind::OperatorType,
                f.range,
                format!(
                    "`{}` cannot be compared with `{}`: it is {}",
                    t.name,
                    op.as_str(),
                    t.ty.describe()
                ),
            )
            .label(format!("{} field", t.ty.describe())),
        );
        return;
    }
    match operand {
        None => {}
        Some(Operand::Value(v)) => {
            if let Some(name) = v.bare()
                && env.lists.contains_key(name)
            {
                let field = crate::print::print_field(f);
                let p = Problem::new(
                    Kind::ListAsScalar,
                    v.range,
                    format!(
                        "list `{name}` is used with the scalar operator `{}`",
                        op.as_str()
                    ),
                )
                .label(format!(
                    "Falco compares with the literal string `{name}`, not with the list's items"
                ));
                out.push(match op {
                    Op::Eq => p.help(format!("use `{field} in ({name})`")),
                    Op::Ne => p.help(format!("use `not {field} in ({name})`")),
                    Op::StartsWith => {
                        p.help(format!("use `{field} pmatch ({name})` to match path prefixes"))
                    }
                    _ => p.help(format!(
                        "Falco has no list form of `{}`: test each item, or use `{field} in ({name})`",
                        op.as_str()
                    )),
                });
                return;
            }
            value(out, &t, op, v, &v.text());
        }
        Some(Operand::List(items)) => {
            for v in items {
                match v.bare() {
                    Some(name) if env.lists.contains_key(name) => {
                        for item in expand_list(env, name, 0) {
                            value(out, &t, op, v, &list_item(&item).text());
                        }
                    }
                    // Event types are checked against the event catalog instead.
                    Some(name)
                        if name.contains('_')
                            && is_identifier(name)
                            && !matches!(t.name.as_str(), "evt.type" | "syscall.type") =>
                    {
                        let p = Problem::new(
                            Kind::UnknownList,
                            v.range,
                            if env.macros.contains(name) {
                                format!("`{name}` is a macro, not a list")
                            } else {
                                format!("`{name}` is not a declared list")
                            },
                        )
                        .label("Falco compares with this literal string")
                        .help(format!(
                            "declare `list {name} = [ … ]`, or quote the value if it is literal: `\"{name}\"`"
                        ))
                        .dym(name, Candidates::Lists);
                        out.push(p);
                    }
                    _ => value(out, &t, op, v, &v.text()),
                }
            }
        }
    }
}

fn value(out: &mut Vec<Problem>, t: &Typed, op: Op, v: &Value, text: &str) {
    if let Some((message, c)) = value_problem(&t.name, t.ty, op, text) {
        let mut p = Problem::new(Kind::ValueType, v.range, message);
        if c != Candidates::None {
            p = p.dym(text, c);
        }
        if c == Candidates::Events {
            p.kind = Kind::UnknownEvent;
        }
        out.push(p);
    }
}

/// A list item as a value: Falco splices list items into the condition as written, so an
/// item written with quotes (`'"10.0.0.0/8"'`) is a quoted string.
pub fn list_item(item: &str) -> Value {
    for q in ['"', '\''] {
        if item.len() >= 2 && item.starts_with(q) && item.ends_with(q) {
            return Value {
                kind: ValueKind::Quoted {
                    quote: q,
                    raw: item[1..item.len() - 1].to_string(),
                },
                range: TextRange::default(),
            };
        }
    }
    Value::of(item)
}

/// The items of a list, with list names among them expanded (Falco expands lists inside
/// lists), to a bounded depth.
pub fn expand_list(env: &Env<'_>, name: &str, depth: usize) -> Vec<String> {
    let Some(items) = env.lists.get(name) else {
        return vec![name.to_string()];
    };
    if depth > 16 {
        return Vec::new();
    }
    items
        .iter()
        .flat_map(|i| {
            if env.lists.contains_key(i.as_str()) {
                expand_list(env, i, depth + 1)
            } else {
                vec![i.clone()]
            }
        })
        .collect()
}

/// The `%field`s of an output, with their byte ranges.
pub fn output_fields(output: &str) -> Vec<(Field, TextRange)> {
    let b = output.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 1;
        if j < b.len() && b[j] == b'%' {
            i = j + 1;
            continue;
        }
        if !(j < b.len() && b[j].is_ascii_alphabetic()) {
            i = j;
            continue;
        }
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.') {
            j += 1;
        }
        // A sentence's full stop is not part of the field.
        let mut path_end = j;
        while path_end > start + 1 && b[path_end - 1] == b'.' {
            path_end -= 1;
        }
        let path = output[start + 1..path_end].to_string();
        let mut index = None;
        let mut end = path_end;
        if path_end == j
            && j < b.len()
            && b[j] == b'['
            && let Some(close) = output[j..].find(']')
        {
            index = Some(output[j + 1..j + close].to_string());
            end = j + close + 1;
        }
        let range = TextRange::new(start, end);
        out.push((Field { path, index, range }, range));
        i = end.max(start + 1);
    }
    out
}

/// Checks every `%field` of an output.
pub fn check_output(output: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    for (f, _) in output_fields(output) {
        // A field without a dot is no field (`%s`): Falco prints it as written.
        if !f.path.contains('.') {
            out.push(
                Problem::new(
                    Kind::UnknownField,
                    f.range,
                    format!("`%{}` is not a Falco field", f.path),
                )
                .dym(&f.path, Candidates::Fields),
            );
            continue;
        }
        resolve_field(&mut out, &f);
    }
    out
}

/// True when a condition or output uses a field of the container plugin.
pub fn uses_container_plugin<'a>(fields: impl IntoIterator<Item = &'a Field>) -> bool {
    fields
        .into_iter()
        .any(|f| catalog::resolve(&f.path).is_some_and(|r| r.info.from_container_plugin()))
}

/// A condition with its macros expanded (each in parentheses, as Falco does) and its list
/// references replaced by the lists' items: what Falco's filter compiler finally reads.
/// Unknown macros stay as they are (the checker reports them).
pub fn expand(e: &Expr, macros: &BTreeMap<&str, &Expr>, env: &Env<'_>) -> Expr {
    expand_at(e, macros, env, 0)
}

fn expand_at(e: &Expr, macros: &BTreeMap<&str, &Expr>, env: &Env<'_>, depth: usize) -> Expr {
    match e {
        Expr::And(v) => Expr::And(v.iter().map(|x| expand_at(x, macros, env, depth)).collect()),
        Expr::Or(v) => Expr::Or(v.iter().map(|x| expand_at(x, macros, env, depth)).collect()),
        Expr::Not(x) => Expr::Not(Box::new(expand_at(x, macros, env, depth))),
        Expr::Macro(i) => match macros.get(i.name.as_str()) {
            Some(m) if depth < 32 => expand_at(m, macros, env, depth + 1),
            _ => e.clone(),
        },
        Expr::Check { field, op, operand } => {
            let operand = match operand {
                Some(Operand::List(items)) => Some(Operand::List(
                    items
                        .iter()
                        .flat_map(|v| match v.bare() {
                            Some(n) if env.lists.contains_key(n) => expand_list(env, n, 0)
                                .iter()
                                .map(|s| list_item(s))
                                .collect(),
                            _ => vec![v.clone()],
                        })
                        .collect(),
                )),
                other => other.clone(),
            };
            Expr::Check {
                field: field.clone(),
                op: *op,
                operand,
            }
        }
    }
}
