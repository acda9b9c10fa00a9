//! The checker: field paths against the Kubernetes schema, types, functions, parameters, and
//! optional-safe access.
//!
//! [`check`] parses the text, checks it, and returns the rewritten tree ([`Checked`]):
//! `params.NAME` replaced by the parameter's value, `containers` printed as
//! `variables.containers` (with the variable's definition in [`Checked::variables`]), `.?`
//! inserted wherever a field may be absent, and a `deny` expression negated so that true
//! always means "pass".
//!
//! **Absent fields.** A field not in its definition's `required` list may be absent, except
//! the fields the API server guarantees: `metadata` and `spec` of the admitted object,
//! `metadata.name` (generated before validating admission), a container's `image` and a pod
//! or job template's `spec` (required by validation). Selecting a field that may be absent gives an *optional*
//! value; from there on the chain is optional (`.?` is printed from that step on), and it
//! must be closed by `.orValue(default)`, `.hasValue()` or `has(…)` — otherwise
//! [`P3008`](diagnostics::codes::admission::P3008). Map entries (`labels.team`,
//! `labels['team']`) may be absent too; an index with a key that is not a literal counts as
//! present.
//!
//! **Narrowing.** A condition tells which paths are present where it holds: `has(p)`,
//! `p.hasValue()`, `p != null`, `'k' in p`, `p.orValue(d) != d`, `p.orValue([]).size() > 0`,
//! and `!`, `&&`, `||` of those. The right side of `a && b` is checked knowing `a` holds, the
//! right side of `a || b` knowing `a` does not, and the branches of `c ? x : y` likewise.
//! A path known present counts as present with all its prefixes.
//!
//! `p == null` (and `!=`) on a field that may be absent is rewritten to a presence test.

use crate::ast::{BinaryOp, Expr, ExprKind, Lit, Macro, TextRange, UnaryOp};
use crate::schema::{Schema, short_name};
use crate::types::{Type, assignable, comparable, join};
use diagnostics::codes::admission::{
    P3003, P3004, P3005, P3006, P3007, P3008, P3009, P3010, P3011,
};
use diagnostics::{Code, Diagnostic, Span};
use std::collections::BTreeMap;

/// Every method some value type has (strings, lists, quantities); on a `dyn` receiver any of
/// them is accepted and checked at run time.
const METHODS: &[&str] = &[
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "lowerAscii",
    "upperAscii",
    "trim",
    "size",
    "split",
    "replace",
    "indexOf",
    "lastIndexOf",
    "substring",
    "charAt",
    "format",
    "join",
    "isSorted",
    "sum",
    "min",
    "max",
    "compareTo",
    "isLessThan",
    "isGreaterThan",
    "add",
    "sub",
    "asInteger",
    "sign",
    "asApproximateFloat",
    "isInteger",
];

/// The optional values' methods and the macros: with [`METHODS`], what a misspelt method may
/// have meant.
const OPTIONAL_AND_MACROS: &[&str] = &[
    "orValue",
    "hasValue",
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
];

/// A typed bundle parameter value; `params.NAME` is replaced by it.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Bool(bool),
    Int(i64),
    String(String),
    /// A resource quantity such as `4Gi`, substituted as the string `'4Gi'` (compare it
    /// through `quantity(params.NAME)`).
    Quantity(String),
    Strings(Vec<String>),
}

impl Param {
    fn to_expr(&self) -> (Expr, Type) {
        match self {
            Param::Bool(b) => (Expr::bool(*b), Type::Bool),
            Param::Int(i) => (Expr::int(*i), Type::Int),
            Param::String(s) | Param::Quantity(s) => (Expr::string(s.clone()), Type::String),
            Param::Strings(v) => (Expr::strings(v.iter().cloned()), Type::list(Type::String)),
        }
    }
}

/// Whether the expression must hold (`require`) or must not (`deny`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    Require,
    Deny,
}

/// Everything the checker needs to know about where an expression stands.
#[derive(Debug, Clone)]
pub struct Env {
    /// The span of the expression text inside its posture file; diagnostics are placed at
    /// `base.start + offset` in `base.file`.
    pub base: Span,
    /// The target Kubernetes version (`major`, `minor`).
    pub kubernetes: (u16, u16),
    /// The kinds the rule matches, as in `match.kinds` (`pods`, `deployments`, …) or as kind
    /// names (`Pod`); see [`kind_name`].
    pub kinds: Vec<String>,
    pub params: BTreeMap<String, Param>,
    pub polarity: Polarity,
}

impl Env {
    /// An environment for a `require` over the given kinds, Kubernetes 1.35, no parameters.
    pub fn new(base: Span, kinds: impl IntoIterator<Item = impl Into<String>>) -> Env {
        Env {
            base,
            kubernetes: (1, 35),
            kinds: kinds.into_iter().map(Into::into).collect(),
            params: BTreeMap::new(),
            polarity: Polarity::Require,
        }
    }
}

/// The canonical kind name (`Pod`) for a kind as `match.kinds` writes it (`pods`, `pod`,
/// `Pod`), or `None` when no vendored schema has it.
pub fn kind_name(kind: &str) -> Option<&'static str> {
    let k = kind.to_ascii_lowercase();
    crate::schema::ROOT_KINDS.iter().map(|(n, _)| *n).find(|n| {
        let l = n.to_ascii_lowercase();
        k == l || k == format!("{l}s") || (l.ends_with('s') && k == format!("{l}es"))
    })
}

/// A checked expression: TRUE means the resource passes.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub expr: Expr,
    /// Variables the expression uses, in the order to declare them (`("containers", …)`).
    pub variables: Vec<(String, Expr)>,
    /// Warnings (P3009) that did not stop the check.
    pub warnings: Vec<Diagnostic>,
}

impl Checked {
    /// The expression as canonical CEL.
    pub fn print(&self) -> String {
        crate::print(&self.expr)
    }
    /// The variables as `(name, canonical CEL)`.
    pub fn print_variables(&self) -> Vec<(String, String)> {
        self.variables
            .iter()
            .map(|(n, e)| (n.clone(), crate::print(e)))
            .collect()
    }
}

/// The expression of the `containers` variable: every container of a Pod.
pub fn containers_variable() -> Expr {
    let spec = || Expr::ident("object").field("spec");
    spec()
        .field("containers")
        .add(spec().opt_field("initContainers").or_value(Expr::list([])))
        .add(
            spec()
                .opt_field("ephemeralContainers")
                .or_value(Expr::list([])),
        )
}

/// Parses and checks one admission expression. Reports every error found.
pub fn check(text: &str, env: &Env) -> Result<Checked, Vec<Diagnostic>> {
    let mut warnings = Vec::new();
    let (schema, too_old) = Schema::for_version(env.kubernetes.0, env.kubernetes.1);
    if too_old {
        let (ma, mi) = schema.version;
        warnings.push(
            Diagnostic::spanned(
                &P3009,
                env.base,
                format!(
                    "Kubernetes {}.{} is older than the oldest vendored schema ({ma}.{mi}); admission expressions are checked against {ma}.{mi}",
                    env.kubernetes.0, env.kubernetes.1
                ),
            ),
        );
    }
    let parsed = match crate::parse(text) {
        Ok(e) => e,
        Err(e) => {
            warnings.push(e.to_diagnostic(env.base));
            return Err(warnings);
        }
    };
    let mut roots: Vec<(String, String)> = Vec::new();
    for k in &env.kinds {
        if let Some(name) = kind_name(k)
            && let Some(def) = schema.kinds.get(name)
            && !roots.iter().any(|(n, _)| n == name)
        {
            roots.push((name.to_string(), def.clone()));
        }
    }
    let mut cx = Cx {
        text,
        env,
        schema,
        diags: Vec::new(),
        scopes: Vec::new(),
        facts: Vec::new(),
        ignore_narrowing: false,
        is_pod: roots.len() == 1 && roots[0].0 == "Pod",
        presence_of: None,
        roots,
        uses_containers: false,
    };
    let (out, v) = cx.expr(&parsed);
    cx.close(&v, &parsed);
    if !matches!(v.ty, Type::Bool | Type::Dyn) {
        let what = match env.polarity {
            Polarity::Require => "require",
            Polarity::Deny => "deny",
        };
        cx.err(
            &P3005,
            parsed.range,
            format!(
                "a `{what}` expression must be a bool, found {}",
                v.ty.describe()
            ),
        );
    }
    if !cx.diags.is_empty() {
        let mut all = warnings;
        all.extend(cx.diags);
        return Err(all);
    }
    let expr = match env.polarity {
        Polarity::Require => out,
        Polarity::Deny => out.not(),
    };
    let variables = if cx.uses_containers {
        vec![("containers".to_string(), containers_variable())]
    } else {
        Vec::new()
    };
    Ok(Checked {
        expr,
        variables,
        warnings,
    })
}

/// The checked type of a value, and whether it is optional (may be absent).
#[derive(Debug, Clone)]
struct Val {
    ty: Type,
    optional: bool,
    /// Whether it would be optional if no narrowing applied.
    optional_unnarrowed: bool,
}

impl Val {
    fn plain(ty: Type) -> Val {
        Val {
            ty,
            optional: false,
            optional_unnarrowed: false,
        }
    }
}

type Path = Vec<String>;

struct Cx<'a> {
    text: &'a str,
    env: &'a Env,
    schema: &'a Schema,
    diags: Vec<Diagnostic>,
    /// Comprehension variables, innermost last: (name, type).
    scopes: Vec<(String, Type)>,
    /// Paths known present here.
    facts: Vec<Path>,
    ignore_narrowing: bool,
    /// The expression `has(…)` is testing right now (it may be absent there).
    presence_of: Option<TextRange>,
    roots: Vec<(String, String)>,
    is_pod: bool,
    uses_containers: bool,
}

/// Fields the API server guarantees although the schema does not require them: pod
/// validation requires every container's image and a pod template's spec (the controllers
/// validate their templates as pods), a job template's spec, and names are generated before
/// validating admission.
const GUARANTEED: &[(&str, &str)] = &[
    ("io.k8s.api.core.v1.Container", "image"),
    ("io.k8s.api.core.v1.EphemeralContainer", "image"),
    ("io.k8s.api.core.v1.PodTemplateSpec", "spec"),
    ("io.k8s.api.batch.v1.JobTemplateSpec", "spec"),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "name"),
];

fn with_range(mut e: Expr, r: TextRange) -> Expr {
    e.range = r;
    e
}

impl<'a> Cx<'a> {
    fn span(&self, r: TextRange) -> Span {
        Span {
            file: self.env.base.file,
            start: self.env.base.start + r.start,
            end: self.env.base.start + r.end,
        }
    }

    fn src(&self, r: TextRange) -> &'a str {
        self.text.get(r.range()).unwrap_or("")
    }

    fn err(
        &mut self,
        code: &'static Code,
        r: TextRange,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        let d = Diagnostic::spanned(code, self.span(r), msg);
        self.diags.push(d);
        self.diags.last_mut().expect("just pushed")
    }

    fn root_type(&self) -> Type {
        if self.roots.is_empty() {
            Type::Dyn
        } else {
            let mut v: Vec<String> = self.roots.iter().map(|(_, d)| d.clone()).collect();
            v.sort();
            v.dedup();
            Type::Object(v)
        }
    }

    fn lookup_var(&self, name: &str) -> Option<(usize, &Type)> {
        self.scopes
            .iter()
            .enumerate()
            .rev()
            .find(|(_, (n, _))| n == name)
            .map(|(i, (_, t))| (i, t))
    }

    /// The presence path of a user expression, when it is a field chain.
    fn path(&self, e: &Expr) -> Option<Path> {
        match &e.kind {
            ExprKind::Ident(n) => Some(vec![match self.lookup_var(n) {
                Some((i, _)) => format!("{n}#{i}"),
                None => n.clone(),
            }]),
            ExprKind::Select { operand, field, .. } => {
                let mut p = self.path(operand)?;
                p.push(field.clone());
                Some(p)
            }
            ExprKind::Index { operand, index, .. } => {
                let ExprKind::Lit(Lit::String(k)) = &index.kind else {
                    return None;
                };
                let mut p = self.path(operand)?;
                p.push(k.clone());
                Some(p)
            }
            _ => None,
        }
    }

    fn is_present(&self, e: &Expr) -> bool {
        if self.ignore_narrowing {
            return false;
        }
        let Some(p) = self.path(e) else { return false };
        self.facts.iter().any(|f| f.starts_with(&p))
    }

    /// Paths known present when `e` evaluates to `pol`.
    fn facts_of(&self, e: &Expr, pol: bool, out: &mut Vec<Path>) {
        match &e.kind {
            ExprKind::Has(x) if pol => out.extend(self.path(x)),
            ExprKind::Call {
                target: Some(t),
                function,
                args,
            } if pol && function == "hasValue" && args.is_empty() => out.extend(self.path(t)),
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => self.facts_of(operand, !pol, out),
            ExprKind::Binary { op, lhs, rhs } => match op {
                BinaryOp::And if pol => {
                    self.facts_of(lhs, true, out);
                    self.facts_of(rhs, true, out);
                }
                BinaryOp::Or if !pol => {
                    self.facts_of(lhs, false, out);
                    self.facts_of(rhs, false, out);
                }
                BinaryOp::In if pol => {
                    if let (ExprKind::Lit(Lit::String(k)), Some(mut p)) =
                        (&lhs.kind, self.path(rhs))
                    {
                        out.push(p.clone());
                        p.push(k.clone());
                        out.push(p);
                    } else if let Some(p) = self.empty_default_of(rhs) {
                        // `k in p.orValue({})`: p is there
                        out.extend(self.path(p));
                    }
                }
                BinaryOp::Eq | BinaryOp::Ne => {
                    let equal_holds = (*op == BinaryOp::Eq) == pol;
                    let (a, b) = match (&lhs.kind, &rhs.kind) {
                        (_, ExprKind::Lit(_)) => (&**lhs, &**rhs),
                        (ExprKind::Lit(_), _) => (&**rhs, &**lhs),
                        _ => return,
                    };
                    let ExprKind::Lit(lit) = &b.kind else { return };
                    if *lit == Lit::Null {
                        if !equal_holds {
                            out.extend(self.path(a));
                        }
                        return;
                    }
                    if let Some((p, d)) = self.or_value_of(a) {
                        // `p.orValue(d) == v` with v != d, or `!= d`: p is there
                        if let ExprKind::Lit(dl) = &d.kind
                            && ((equal_holds && dl != lit) || (!equal_holds && dl == lit))
                        {
                            out.extend(self.path(p));
                        }
                    }
                    if let (Some(p), Lit::Int(n)) = (self.size_of_empty_default(a), lit)
                        && ((equal_holds && *n >= 1) || (!equal_holds && *n == 0))
                    {
                        out.extend(self.path(p));
                    }
                }
                BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Lt | BinaryOp::Le => {
                    if let (Some(p), ExprKind::Lit(Lit::Int(n))) =
                        (self.size_of_empty_default(lhs), &rhs.kind)
                    {
                        let present = match (op, pol) {
                            (BinaryOp::Gt, true) | (BinaryOp::Le, false) => *n >= 0,
                            (BinaryOp::Ge, true) | (BinaryOp::Lt, false) => *n >= 1,
                            _ => false,
                        };
                        if present {
                            out.extend(self.path(p));
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// `p.orValue(d)` → `(p, d)`.
    fn or_value_of<'e>(&self, e: &'e Expr) -> Option<(&'e Expr, &'e Expr)> {
        match &e.kind {
            ExprKind::Call {
                target: Some(t),
                function,
                args,
            } if function == "orValue" && args.len() == 1 => Some((t, &args[0])),
            _ => None,
        }
    }

    /// `p.orValue(<empty>).size()` or `size(p.orValue(<empty>))` → `p`.
    fn size_of_empty_default<'e>(&self, e: &'e Expr) -> Option<&'e Expr> {
        let inner = match &e.kind {
            ExprKind::Call {
                target: Some(t),
                function,
                args,
            } if function == "size" && args.is_empty() => t,
            ExprKind::Call {
                target: None,
                function,
                args,
            } if function == "size" && args.len() == 1 => &args[0],
            _ => return None,
        };
        self.empty_default_of(inner)
    }

    /// `p.orValue(<empty list, map or string>)` → `p`.
    fn empty_default_of<'e>(&self, e: &'e Expr) -> Option<&'e Expr> {
        let (p, d) = self.or_value_of(e)?;
        let empty = match &d.kind {
            ExprKind::List(v) => v.is_empty(),
            ExprKind::Map(v) => v.is_empty(),
            ExprKind::Lit(Lit::String(s)) => s.is_empty(),
            _ => false,
        };
        empty.then_some(p)
    }

    fn with_facts<T>(&mut self, extra: Vec<Path>, f: impl FnOnce(&mut Self) -> T) -> T {
        let n = self.facts.len();
        self.facts.extend(extra);
        let r = f(self);
        self.facts.truncate(n);
        r
    }

    /// Reports an optional value used where a value is needed.
    fn close(&mut self, v: &Val, e: &Expr) {
        if !v.optional {
            return;
        }
        let text = self.src(e.range).to_string();
        let zero = match &v.ty {
            Type::Bool => Some("false"),
            Type::Int => Some("0"),
            Type::Uint => Some("0u"),
            Type::Double => Some("0.0"),
            Type::String | Type::IntOrString => Some("''"),
            Type::List(_) => Some("[]"),
            Type::Map(..) => Some("{}"),
            _ => None,
        };
        let is_select = matches!(e.kind, ExprKind::Select { .. });
        let help = match (zero, is_select) {
            (Some(z), true) => format!("add `.orValue({z})`, or check `has({text})` first"),
            (Some(z), false) => format!("add `.orValue({z})`"),
            (None, true) => format!("check `has({text})` first, or add `.orValue(…)`"),
            (None, false) => "add `.orValue(…)` or `.hasValue()`".to_string(),
        };
        self.err(
            &P3008,
            e.range,
            format!("`{text}` may be absent; say what it means then"),
        )
        .help
        .push(help);
    }

    /// Checks `e` and requires a present value.
    fn value(&mut self, e: &Expr) -> (Expr, Type) {
        let (out, v) = self.expr(e);
        self.close(&v, e);
        (out, v.ty)
    }

    /// Checks `e` where an optional value is wanted (`orValue`, `hasValue`, `== null`): when
    /// narrowing made it present but it may be absent in general, re-check without narrowing.
    fn optional_operand(&mut self, e: &Expr) -> (Expr, Val) {
        let (out, v) = self.expr(e);
        if v.optional || !v.optional_unnarrowed {
            return (out, v);
        }
        let saved_diags = self.diags.len();
        let was = std::mem::replace(&mut self.ignore_narrowing, true);
        let r = self.expr(e);
        self.ignore_narrowing = was;
        self.diags.truncate(saved_diags);
        r
    }

    fn expect_type(&mut self, ty: &Type, want: &Type, e: &Expr, what: &str) {
        if !assignable(ty, want) {
            self.err(
                &P3005,
                e.range,
                format!(
                    "{what} must be {}, found {}",
                    want.describe(),
                    ty.describe()
                ),
            );
        }
    }

    fn expr(&mut self, e: &Expr) -> (Expr, Val) {
        let r = e.range;
        match &e.kind {
            ExprKind::Lit(l) => {
                let ty = match l {
                    Lit::Null => Type::Null,
                    Lit::Bool(_) => Type::Bool,
                    Lit::Int(_) => Type::Int,
                    Lit::Uint(_) => Type::Uint,
                    Lit::Double(_) => Type::Double,
                    Lit::String(_) => Type::String,
                    Lit::Bytes(_) => Type::Bytes,
                };
                (e.clone(), Val::plain(ty))
            }
            ExprKind::List(items) => {
                let mut out = Vec::new();
                let mut elem: Option<Type> = None;
                for it in items {
                    let (o, t) = self.value(it);
                    out.push(o);
                    elem = Some(match elem {
                        None => t,
                        Some(prev) => join(&prev, &t).unwrap_or(Type::Dyn),
                    });
                }
                let ty = Type::list(elem.unwrap_or(Type::Dyn));
                (Expr::new(ExprKind::List(out), r), Val::plain(ty))
            }
            ExprKind::Map(entries) => {
                let mut out = Vec::new();
                let (mut kt, mut vt): (Option<Type>, Option<Type>) = (None, None);
                for (k, v) in entries {
                    let (ko, kty) = self.value(k);
                    let (vo, vty) = self.value(v);
                    kt = Some(kt.map_or(kty.clone(), |p| join(&p, &kty).unwrap_or(Type::Dyn)));
                    vt = Some(vt.map_or(vty.clone(), |p| join(&p, &vty).unwrap_or(Type::Dyn)));
                    out.push((ko, vo));
                }
                let ty = Type::Map(
                    Box::new(kt.unwrap_or(Type::Dyn)),
                    Box::new(vt.unwrap_or(Type::Dyn)),
                );
                (Expr::new(ExprKind::Map(out), r), Val::plain(ty))
            }
            ExprKind::Ident(name) => self.ident(name, e),
            ExprKind::Select {
                operand,
                field,
                optional,
            } => self.select(e, operand, field, *optional),
            ExprKind::Index {
                operand,
                index,
                optional,
            } => self.index(e, operand, index, *optional),
            ExprKind::Call {
                target,
                function,
                args,
            } => self.call(e, target.as_deref(), function, args),
            ExprKind::Comprehension {
                kind,
                range,
                var,
                filter,
                body,
            } => self.comprehension(e, *kind, range, var, filter.as_deref(), body),
            ExprKind::Has(arg) => {
                let out = self.presence(arg, r);
                (out, Val::plain(Type::Bool))
            }
            ExprKind::Unary { op, operand } => {
                let (o, t) = self.value(operand);
                let ty = match op {
                    UnaryOp::Not => {
                        self.expect_type(&t, &Type::Bool, operand, "the operand of `!`");
                        Type::Bool
                    }
                    UnaryOp::Neg => {
                        if !(t.is_numeric() || t.is_dyn()) || t == Type::Uint {
                            self.err(
                                &P3005,
                                operand.range,
                                format!("`-` needs an int or a double, found {}", t.describe()),
                            );
                            Type::Dyn
                        } else {
                            t
                        }
                    }
                };
                (
                    Expr::new(
                        ExprKind::Unary {
                            op: *op,
                            operand: Box::new(o),
                        },
                        r,
                    ),
                    Val::plain(ty),
                )
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(e, *op, lhs, rhs),
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                let (co, ct) = self.value(cond);
                self.expect_type(&ct, &Type::Bool, cond, "the condition of `?:`");
                let mut yes = Vec::new();
                self.facts_of(cond, true, &mut yes);
                let mut no = Vec::new();
                self.facts_of(cond, false, &mut no);
                let (to, tt) = self.with_facts(yes, |cx| cx.value(then));
                let (oo, ot) = self.with_facts(no, |cx| cx.value(otherwise));
                let ty = match join(&tt, &ot) {
                    Some(t) => t,
                    None if tt == Type::Null || ot == Type::Null => Type::Dyn,
                    None => {
                        self.err(
                            &P3005,
                            r,
                            format!(
                                "the branches of `?:` have different types: {} and {}",
                                tt.describe(),
                                ot.describe()
                            ),
                        );
                        Type::Dyn
                    }
                };
                (
                    Expr::new(
                        ExprKind::Ternary {
                            cond: Box::new(co),
                            then: Box::new(to),
                            otherwise: Box::new(oo),
                        },
                        r,
                    ),
                    Val::plain(ty),
                )
            }
            ExprKind::Struct { type_name, .. } => {
                self.err(
                    &P3005,
                    r,
                    format!(
                        "`{type_name}{{…}}` builds an object; an admission predicate only reads them"
                    ),
                );
                (e.clone(), Val::plain(Type::Dyn))
            }
        }
    }

    fn ident(&mut self, name: &str, e: &Expr) -> (Expr, Val) {
        if let Some((_, t)) = self.lookup_var(name) {
            return (e.clone(), Val::plain(t.clone()));
        }
        match name {
            "object" | "oldObject" => (e.clone(), Val::plain(self.root_type())),
            "containers" => self.containers(e),
            "params" => {
                self.err(
                    &P3007,
                    e.range,
                    "`params` is not a value; name a parameter: `params.NAME`",
                );
                (e.clone(), Val::plain(Type::Dyn))
            }
            _ => {
                let mut candidates: Vec<String> =
                    vec!["object".into(), "oldObject".into(), "params".into()];
                if self.is_pod {
                    candidates.push("containers".into());
                }
                candidates.extend(self.scopes.iter().map(|(n, _)| n.clone()));
                let d = Diagnostic::spanned(
                    &P3003,
                    self.span(e.range),
                    format!("unknown variable `{name}`"),
                )
                .with_did_you_mean(name, candidates.iter().map(String::as_str));
                self.diags.push(d);
                (e.clone(), Val::plain(Type::Dyn))
            }
        }
    }

    fn containers(&mut self, e: &Expr) -> (Expr, Val) {
        if !self.is_pod {
            let d = self.err(
                &P3003,
                e.range,
                "`containers` is only defined for rules that match pods alone",
            );
            d.help
                .push("go through `object`, e.g. `object.spec.template.spec.containers`".into());
            return (e.clone(), Val::plain(Type::Dyn));
        }
        self.uses_containers = true;
        let out = with_range(Expr::ident("variables").field("containers"), e.range);
        let ty = Type::list(Type::Object(vec!["io.k8s.api.core.v1.Container".into()]));
        (out, Val::plain(ty))
    }

    fn select(&mut self, e: &Expr, operand: &Expr, field: &str, user_opt: bool) -> (Expr, Val) {
        let r = e.range;
        // params.NAME and variables.containers
        if let ExprKind::Ident(root) = &operand.kind
            && self.lookup_var(root).is_none()
        {
            if root == "params" {
                if let Some(p) = self.env.params.get(field) {
                    let (pe, ty) = p.to_expr();
                    return (with_range(pe, r), Val::plain(ty));
                }
                let names: Vec<&str> = self.env.params.keys().map(String::as_str).collect();
                let mut d = Diagnostic::spanned(
                    &P3007,
                    self.span(r),
                    format!("unknown parameter `{field}`"),
                )
                .with_did_you_mean(field, names.iter().copied());
                d = if names.is_empty() {
                    d.with_note("this rule has no parameters")
                } else {
                    d.with_note(format!("parameters: {}", names.join(", ")))
                };
                self.diags.push(d);
                return (e.clone(), Val::plain(Type::Dyn));
            }
            if root == "variables" {
                if field == "containers" {
                    return self.containers(e);
                }
                self.err(&P3003, r, format!("unknown variable `variables.{field}`"))
                    .help
                    .push("the only predefined variable is `containers`".into());
                return (e.clone(), Val::plain(Type::Dyn));
            }
        }
        let (oe, ov) = self.expr(operand);
        let is_root = matches!(&operand.kind, ExprKind::Ident(n) if (n == "object" || n == "oldObject") && self.lookup_var(n).is_none());
        let (ty, absent_able) = match &ov.ty {
            Type::Object(defs) => self.field_of(defs, field, r, is_root),
            Type::Map(_, v) => ((**v).clone(), true),
            Type::Dyn => (Type::Dyn, false),
            other => {
                let d = other.describe();
                self.err(
                    &P3005,
                    r,
                    format!(
                        "`{}` is a {d}; it has no field `{field}`",
                        self.src(operand.range)
                    ),
                );
                (Type::Dyn, false)
            }
        };
        // Kyverno's autogen turns a Pod rule into rules for pod controllers by rewriting the
        // text `object.metadata` / `object.spec` to the pod template's. It does not rewrite
        // `object.?metadata`, and a template may have no `metadata` at all.
        if is_root && self.is_pod && (field == "metadata" || field == "spec") {
            if user_opt {
                self.err(
                    &P3010,
                    r,
                    format!("`object.?{field}` escapes Kyverno's autogen for pod controllers"),
                )
                .help
                .push(format!(
                    "write `object.{field}`: autogen rewrites that to the pod template's `{field}`; `object.?{field}` would check the controller's own"
                ));
            } else if field == "metadata" && !self.is_present(e) && self.presence_of != Some(r) {
                self.err(
                    &P3010,
                    r,
                    "`object.metadata` may be absent: in a pod controller it is the pod template's",
                )
                .help
                .push(
                    "check `has(object.metadata)` first, e.g. `has(object.metadata) && …`".into(),
                );
            }
            return (
                Expr::new(
                    ExprKind::Select {
                        operand: Box::new(oe),
                        field: field.to_string(),
                        optional: false,
                    },
                    r,
                ),
                Val::plain(ty),
            );
        }
        let narrowed = absent_able && self.is_present(e);
        let optional = ov.optional || user_opt || (absent_able && !narrowed);
        let optional_unnarrowed = ov.optional_unnarrowed || user_opt || absent_able;
        (
            Expr::new(
                ExprKind::Select {
                    operand: Box::new(oe),
                    field: field.to_string(),
                    optional,
                },
                r,
            ),
            Val {
                ty,
                optional,
                optional_unnarrowed,
            },
        )
    }

    /// The type of `field` on objects of the given definitions, and whether it may be absent.
    fn field_of(
        &mut self,
        defs: &[String],
        field: &str,
        r: TextRange,
        is_root: bool,
    ) -> (Type, bool) {
        let mut ty: Option<Type> = None;
        let mut absent_able = false;
        for def_name in defs {
            let Some(def) = self.schema.definitions.get(def_name) else {
                continue;
            };
            let Some(shape) = def.properties.get(field) else {
                let short = short_name(def_name);
                let mut d = Diagnostic::spanned(
                    &P3004,
                    self.span(r),
                    format!("{short} has no field `{field}`"),
                )
                .with_did_you_mean(field, def.properties.keys().map(String::as_str));
                if is_root && self.roots.len() > 1 {
                    let kinds: Vec<&str> = self.roots.iter().map(|(k, _)| k.as_str()).collect();
                    d = d.with_note(format!(
                        "the rule matches {}; a field of `object` must exist in every kind",
                        kinds.join(", ")
                    ));
                }
                let (ma, mi) = self.schema.version;
                d = d.with_note(format!("checked against the Kubernetes {ma}.{mi} schema"));
                // a field at the end of a longer range: point at the field name
                let fr = TextRange {
                    start: r.end.saturating_sub(field.len() as u32),
                    end: r.end,
                };
                d.span = Some(self.span(fr));
                self.diags.push(d);
                return (Type::Dyn, false);
            };
            let t = Type::from_shape(self.schema, shape);
            let guaranteed = (is_root && (field == "metadata" || field == "spec"))
                || GUARANTEED.contains(&(def_name.as_str(), field));
            if !def.required.contains(field) && !guaranteed {
                absent_able = true;
            }
            ty = Some(match ty {
                None => t,
                Some(prev) => join(&prev, &t).unwrap_or(Type::Dyn),
            });
        }
        (ty.unwrap_or(Type::Dyn), absent_able)
    }

    fn index(&mut self, e: &Expr, operand: &Expr, index: &Expr, user_opt: bool) -> (Expr, Val) {
        let r = e.range;
        let (oe, ov) = self.expr(operand);
        let (ie, it) = self.value(index);
        let (ty, absent_able) = match &ov.ty {
            Type::List(t) => {
                if !matches!(it, Type::Int | Type::Uint | Type::Dyn) {
                    self.err(
                        &P3005,
                        index.range,
                        format!("a list index must be an int, found {}", it.describe()),
                    );
                }
                ((**t).clone(), false)
            }
            Type::Map(k, v) => {
                if !assignable(&it, k) {
                    self.err(
                        &P3005,
                        index.range,
                        format!(
                            "this map's keys are {}, found {}",
                            k.describe(),
                            it.describe()
                        ),
                    );
                }
                let literal = matches!(index.kind, ExprKind::Lit(_));
                ((**v).clone(), literal)
            }
            Type::Object(defs) => match &index.kind {
                ExprKind::Lit(Lit::String(f)) => {
                    let defs = defs.clone();
                    self.field_of(&defs, f, r, false)
                }
                _ => {
                    self.err(
                        &P3005,
                        index.range,
                        "an object's fields are selected by name: `a.field` or `a['field']`",
                    );
                    (Type::Dyn, false)
                }
            },
            Type::Dyn => (Type::Dyn, false),
            other => {
                let d = other.describe();
                self.err(
                    &P3005,
                    r,
                    format!(
                        "`{}` is a {d} and cannot be indexed",
                        self.src(operand.range)
                    ),
                );
                (Type::Dyn, false)
            }
        };
        let narrowed = absent_able && self.is_present(e);
        let optional = ov.optional || user_opt || (absent_able && !narrowed);
        let optional_unnarrowed = ov.optional_unnarrowed || user_opt || absent_able;
        (
            Expr::new(
                ExprKind::Index {
                    operand: Box::new(oe),
                    index: Box::new(ie),
                    optional,
                },
                r,
            ),
            Val {
                ty,
                optional,
                optional_unnarrowed,
            },
        )
    }

    /// `has(sel)` or a `== null` test: `has(a.b)` when only the last step may be absent,
    /// otherwise the optional chain and `.hasValue()`.
    fn presence(&mut self, sel: &Expr, r: TextRange) -> Expr {
        let outer = self.presence_of.replace(sel.range);
        let (se, _) = self.optional_operand(sel);
        self.presence_of = outer;
        let chain_optional = match &se.kind {
            ExprKind::Select { operand, .. } | ExprKind::Index { operand, .. } => matches!(
                operand.kind,
                ExprKind::Select { optional: true, .. } | ExprKind::Index { optional: true, .. }
            ),
            _ => false,
        };
        if chain_optional {
            return with_range(se.has_value(), r);
        }
        match se.kind {
            ExprKind::Select { operand, field, .. } => Expr::new(
                ExprKind::Has(Box::new(Expr::new(
                    ExprKind::Select {
                        operand,
                        field,
                        optional: false,
                    },
                    se.range,
                ))),
                r,
            ),
            ExprKind::Index { operand, index, .. } => {
                // `has(m['k'])` is not CEL: `'k' in m`
                Expr::new(
                    ExprKind::Binary {
                        op: BinaryOp::In,
                        lhs: index,
                        rhs: operand,
                    },
                    r,
                )
            }
            _ => with_range(se.has_value(), r),
        }
    }

    fn binary(&mut self, e: &Expr, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> (Expr, Val) {
        let r = e.range;
        let mk = |l: Expr, rr: Expr| {
            Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(rr),
                },
                r,
            )
        };
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let (lo, lt) = self.value(lhs);
                self.expect_type(
                    &lt,
                    &Type::Bool,
                    lhs,
                    &format!("the left side of `{}`", op.symbol()),
                );
                let mut facts = Vec::new();
                self.facts_of(lhs, op == BinaryOp::And, &mut facts);
                let (ro, rt) = self.with_facts(facts, |cx| cx.value(rhs));
                self.expect_type(
                    &rt,
                    &Type::Bool,
                    rhs,
                    &format!("the right side of `{}`", op.symbol()),
                );
                (mk(lo, ro), Val::plain(Type::Bool))
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                // presence tests written as comparisons with null
                let null_side = match (&lhs.kind, &rhs.kind) {
                    (_, ExprKind::Lit(Lit::Null)) => Some(lhs),
                    (ExprKind::Lit(Lit::Null), _) => Some(rhs),
                    _ => None,
                };
                if let Some(x) = null_side
                    && matches!(x.kind, ExprKind::Select { .. } | ExprKind::Index { .. })
                {
                    let saved = self.diags.len();
                    let (_, v) = self.optional_operand(x);
                    self.diags.truncate(saved);
                    if v.optional {
                        let present = self.presence(x, r);
                        let out = if op == BinaryOp::Eq {
                            with_range(present.not(), r)
                        } else {
                            present
                        };
                        return (out, Val::plain(Type::Bool));
                    }
                }
                let (lo, lt) = self.value(lhs);
                let (ro, rt) = self.value(rhs);
                if !comparable(&lt, &rt) {
                    self.err(
                        &P3005,
                        r,
                        format!(
                            "`{}` cannot compare {} with {}",
                            op.symbol(),
                            lt.describe(),
                            rt.describe()
                        ),
                    );
                }
                (mk(lo, ro), Val::plain(Type::Bool))
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let (lo, lt) = self.value(lhs);
                let (ro, rt) = self.value(rhs);
                let ok = (lt.is_numeric() && rt.is_numeric())
                    || lt.is_dyn()
                    || rt.is_dyn()
                    || (lt == rt
                        && matches!(
                            lt,
                            Type::String
                                | Type::Bytes
                                | Type::Timestamp
                                | Type::Duration
                                | Type::Bool
                        ))
                    || (lt == Type::IntOrString && matches!(rt, Type::Int | Type::String))
                    || (rt == Type::IntOrString && matches!(lt, Type::Int | Type::String));
                if !ok {
                    self.err(
                        &P3005,
                        r,
                        format!(
                            "`{}` cannot order {} and {}",
                            op.symbol(),
                            lt.describe(),
                            rt.describe()
                        ),
                    );
                }
                (mk(lo, ro), Val::plain(Type::Bool))
            }
            BinaryOp::In => {
                let (lo, lt) = self.value(lhs);
                let (ro, rt) = self.value(rhs);
                let elem = match &rt {
                    Type::List(t) => Some((**t).clone()),
                    Type::Map(k, _) => Some((**k).clone()),
                    Type::Dyn => Some(Type::Dyn),
                    _ => None,
                };
                match elem {
                    None => {
                        self.err(
                            &P3005,
                            rhs.range,
                            format!("`in` needs a list or a map, found {}", rt.describe()),
                        );
                    }
                    Some(t) if !comparable(&lt, &t) => {
                        self.err(
                            &P3005,
                            r,
                            format!("`in` looks for {} in {}", lt.describe(), rt.describe()),
                        );
                    }
                    _ => {}
                }
                (mk(lo, ro), Val::plain(Type::Bool))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let (lo, lt) = self.value(lhs);
                let (ro, rt) = self.value(rhs);
                let ty = match (&lt, &rt) {
                    (Type::Dyn, t) | (t, Type::Dyn) => {
                        Some(if t.is_dyn() { Type::Dyn } else { t.clone() })
                    }
                    (a, b) if a == b && a.is_numeric() => Some(a.clone()),
                    (Type::String, Type::String) | (Type::Bytes, Type::Bytes)
                        if op == BinaryOp::Add =>
                    {
                        Some(lt.clone())
                    }
                    (Type::List(a), Type::List(b)) if op == BinaryOp::Add => {
                        Some(Type::list(join(a, b).unwrap_or(Type::Dyn)))
                    }
                    (Type::Timestamp | Type::Duration, Type::Duration)
                        if matches!(op, BinaryOp::Add | BinaryOp::Sub) =>
                    {
                        Some(lt.clone())
                    }
                    (Type::Timestamp, Type::Timestamp) if op == BinaryOp::Sub => {
                        Some(Type::Duration)
                    }
                    _ => None,
                };
                let ty = ty.unwrap_or_else(|| {
                    self.err(
                        &P3005,
                        r,
                        format!(
                            "`{}` cannot combine {} and {}",
                            op.symbol(),
                            lt.describe(),
                            rt.describe()
                        ),
                    );
                    Type::Dyn
                });
                (mk(lo, ro), Val::plain(ty))
            }
        }
    }

    fn comprehension(
        &mut self,
        e: &Expr,
        kind: Macro,
        range: &Expr,
        var: &str,
        filter: Option<&Expr>,
        body: &Expr,
    ) -> (Expr, Val) {
        let (ro, rt) = self.value(range);
        let elem = match &rt {
            Type::List(t) => (**t).clone(),
            Type::Map(k, _) => (**k).clone(),
            Type::Dyn => Type::Dyn,
            other => {
                self.err(
                    &P3005,
                    range.range,
                    format!(
                        "`{}` needs a list or a map, found {}",
                        kind.name(),
                        other.describe()
                    ),
                );
                Type::Dyn
            }
        };
        // iterating `p.orValue(<empty>)` visits elements only when p is there
        let mut facts = Vec::new();
        if let Some(p) = self.empty_default_of(range) {
            facts.extend(self.path(p));
        }
        let n_facts = self.facts.len();
        self.facts.extend(facts);
        self.scopes.push((var.to_string(), elem.clone()));
        let fo = filter.map(|f| {
            let (fo, ft) = self.value(f);
            self.expect_type(&ft, &Type::Bool, f, "the filter of `map`");
            fo
        });
        let (bo, bt) = self.value(body);
        self.scopes.pop();
        self.facts.truncate(n_facts);
        let ty = match kind {
            Macro::All | Macro::Exists | Macro::ExistsOne => {
                self.expect_type(
                    &bt,
                    &Type::Bool,
                    body,
                    &format!("the condition of `{}`", kind.name()),
                );
                Type::Bool
            }
            Macro::Filter => {
                self.expect_type(&bt, &Type::Bool, body, "the condition of `filter`");
                Type::list(elem)
            }
            Macro::Map => Type::list(bt),
        };
        (
            Expr::new(
                ExprKind::Comprehension {
                    kind,
                    range: Box::new(ro),
                    var: var.to_string(),
                    filter: fo.map(Box::new),
                    body: Box::new(bo),
                },
                e.range,
            ),
            Val::plain(ty),
        )
    }

    fn call(
        &mut self,
        e: &Expr,
        target: Option<&Expr>,
        function: &str,
        args: &[Expr],
    ) -> (Expr, Val) {
        let r = e.range;
        let mk = |t: Option<Expr>, a: Vec<Expr>| {
            Expr::new(
                ExprKind::Call {
                    target: t.map(Box::new),
                    function: function.to_string(),
                    args: a,
                },
                r,
            )
        };
        if let Some(t) = target
            && (function == "orValue" || function == "hasValue")
        {
            let (to, tv) = self.optional_operand(t);
            // `Dyn` is what an erroneous operand gets: it was reported already.
            if !tv.optional && tv.ty != Type::Dyn {
                self.err(
                    &P3005,
                    r,
                    format!(
                        "`{}` is always present; `.{function}` does not apply",
                        self.src(t.range)
                    ),
                )
                .help
                .push(format!("remove `.{function}(…)`"));
            }
            if function == "hasValue" {
                if !args.is_empty() {
                    self.err(&P3006, r, "`hasValue` takes no arguments");
                }
                return (mk(Some(to), Vec::new()), Val::plain(Type::Bool));
            }
            if args.len() != 1 {
                self.err(
                    &P3006,
                    r,
                    format!("`orValue` takes one argument, found {}", args.len()),
                );
                return (mk(Some(to), args.to_vec()), Val::plain(tv.ty));
            }
            let (do_, dt) = self.value(&args[0]);
            if !assignable(&dt, &tv.ty) {
                self.err(
                    &P3005,
                    args[0].range,
                    format!(
                        "the default must be {} like `{}`, found {}",
                        tv.ty.describe(),
                        self.src(t.range),
                        dt.describe()
                    ),
                );
            }
            let ty = if tv.ty.is_dyn() { dt } else { tv.ty };
            return (mk(Some(to), vec![do_]), Val::plain(ty));
        }
        let (to, tt) = match target {
            Some(t) => {
                let (o, ty) = self.value(t);
                (Some(o), Some(ty))
            }
            None => (None, None),
        };
        let mut ao = Vec::new();
        let mut at = Vec::new();
        for a in args {
            let (o, t) = self.value(a);
            ao.push(o);
            at.push(t);
        }
        let ty = self.signature(e, target, tt.as_ref(), function, args, &at);
        if function == "matches" {
            // `s.matches(re)` or `matches(s, re)`; parameters are substituted already
            let pattern = if target.is_some() { 0 } else { 1 };
            if let (Some(p), Some(a)) = (ao.get(pattern), args.get(pattern)) {
                self.regex(p, a.range);
            }
        }
        (mk(to, ao), Val::plain(ty))
    }

    /// A literal pattern must be valid RE2: Kyverno compiles it when it loads the policy, and
    /// one bad pattern makes it refuse the whole policy (P3011).
    fn regex(&mut self, pattern: &Expr, r: TextRange) {
        let ExprKind::Lit(Lit::String(p)) = &pattern.kind else {
            return;
        };
        if let Some(why) = crate::regex::re2_error(p) {
            self.err(&P3011, r, format!("`{}` is not a valid RE2 regular expression: {why}", p.escape_debug()))
                .help
                .push("Kyverno compiles the pattern when it loads the policy and refuses the whole policy if it is invalid".into());
        }
    }

    /// Looks the function up and checks its arguments; returns the result type.
    fn signature(
        &mut self,
        e: &Expr,
        target: Option<&Expr>,
        recv: Option<&Type>,
        function: &str,
        args: &[Expr],
        at: &[Type],
    ) -> Type {
        use Type as T;
        let s = T::String;
        let q = T::Quantity;
        // (parameter types, result); several entries are overloads by arity
        let sigs: Vec<(Vec<Type>, Type)> = match recv {
            None => match function {
                "size" => vec![(vec![T::Dyn], T::Int)],
                "int" => vec![(vec![T::Dyn], T::Int)],
                "uint" => vec![(vec![T::Dyn], T::Uint)],
                "double" => vec![(vec![T::Dyn], T::Double)],
                "string" => vec![(vec![T::Dyn], T::String)],
                "bool" => vec![(vec![T::Dyn], T::Bool)],
                "bytes" => vec![(vec![T::Dyn], T::Bytes)],
                "dyn" | "type" => vec![(vec![T::Dyn], T::Dyn)],
                "duration" => vec![(vec![s.clone()], T::Duration)],
                "timestamp" => vec![(vec![s.clone()], T::Timestamp)],
                "matches" => vec![(vec![s.clone(), s.clone()], T::Bool)],
                "quantity" => vec![(vec![T::IntOrString], q.clone())],
                "isQuantity" => vec![(vec![T::IntOrString], T::Bool)],
                _ => Vec::new(),
            },
            Some(T::String) | Some(T::IntOrString) => match function {
                "contains" | "startsWith" | "endsWith" | "matches" => {
                    vec![(vec![s.clone()], T::Bool)]
                }
                "lowerAscii" | "upperAscii" | "trim" => vec![(vec![], s.clone())],
                "size" => vec![(vec![], T::Int)],
                "split" => vec![
                    (vec![s.clone()], T::list(s.clone())),
                    (vec![s.clone(), T::Int], T::list(s.clone())),
                ],
                "replace" => vec![
                    (vec![s.clone(), s.clone()], s.clone()),
                    (vec![s.clone(), s.clone(), T::Int], s.clone()),
                ],
                "indexOf" | "lastIndexOf" => {
                    vec![(vec![s.clone()], T::Int), (vec![s.clone(), T::Int], T::Int)]
                }
                "substring" => vec![(vec![T::Int], s.clone()), (vec![T::Int, T::Int], s.clone())],
                "charAt" => vec![(vec![T::Int], s.clone())],
                "format" => vec![(vec![T::list(T::Dyn)], s.clone())],
                _ => Vec::new(),
            },
            Some(T::List(elem)) => match function {
                "size" => vec![(vec![], T::Int)],
                "join" if **elem == s || elem.is_dyn() => {
                    vec![(vec![], s.clone()), (vec![s.clone()], s.clone())]
                }
                "isSorted" => vec![(vec![], T::Bool)],
                "sum" | "min" | "max" => vec![(vec![], (**elem).clone())],
                "indexOf" | "lastIndexOf" => vec![(vec![(**elem).clone()], T::Int)],
                _ => Vec::new(),
            },
            Some(T::Map(..)) | Some(T::Bytes) => match function {
                "size" => vec![(vec![], T::Int)],
                _ => Vec::new(),
            },
            Some(T::Quantity) => match function {
                "compareTo" => vec![(vec![q.clone()], T::Int)],
                "isLessThan" | "isGreaterThan" => vec![(vec![q.clone()], T::Bool)],
                "add" | "sub" => vec![(vec![q.clone()], q.clone()), (vec![T::Int], q.clone())],
                "asInteger" | "sign" => vec![(vec![], T::Int)],
                "asApproximateFloat" => vec![(vec![], T::Double)],
                "isInteger" => vec![(vec![], T::Bool)],
                _ => Vec::new(),
            },
            Some(T::Timestamp) | Some(T::Duration) => match function {
                "getFullYear" | "getMonth" | "getDayOfMonth" | "getDayOfWeek" | "getDayOfYear"
                | "getHours" | "getMinutes" | "getSeconds" | "getMilliseconds" => {
                    vec![(vec![], T::Int), (vec![s.clone()], T::Int)]
                }
                _ => Vec::new(),
            },
            Some(T::Dyn) => {
                // any method some type has; checked at run time
                if METHODS.contains(&function) {
                    return T::Dyn;
                }
                Vec::new()
            }
            Some(_) => Vec::new(),
        };
        let on = recv.map(|t| format!("{} has no method", t.describe()));
        if sigs.is_empty() {
            let known: &[&str] = if recv.is_none() {
                &[
                    "size",
                    "int",
                    "uint",
                    "double",
                    "string",
                    "bool",
                    "bytes",
                    "dyn",
                    "type",
                    "duration",
                    "timestamp",
                    "matches",
                    "quantity",
                    "isQuantity",
                ]
            } else {
                &METHODS
                    .iter()
                    .chain(OPTIONAL_AND_MACROS)
                    .copied()
                    .collect::<Vec<_>>()
            };
            let msg = match &on {
                Some(on) => format!("{on} `{function}`"),
                None => format!("unknown function `{function}`"),
            };
            // point at the function name
            let name_range = match target {
                Some(t) => {
                    let start = t.range.end + 1;
                    TextRange {
                        start,
                        end: start + function.len() as u32,
                    }
                }
                None => TextRange {
                    start: e.range.start,
                    end: e.range.start + function.len() as u32,
                },
            };
            let code = if recv.is_some() && known.contains(&function) {
                &P3005
            } else {
                &P3006
            };
            let mut d = Diagnostic::spanned(code, self.span(name_range), msg)
                .with_did_you_mean(function, known.iter().copied());
            if matches!(recv, Some(T::Object(_))) {
                d = d.with_note("objects have fields, not methods");
            }
            self.diags.push(d);
            return T::Dyn;
        }
        let Some((params, ret)) = sigs.iter().find(|(p, _)| p.len() == at.len()) else {
            let counts: Vec<String> = sigs.iter().map(|(p, _)| p.len().to_string()).collect();
            self.err(
                &P3006,
                e.range,
                format!(
                    "`{function}` takes {} argument{}, found {}",
                    counts.join(" or "),
                    if counts == ["1"] { "" } else { "s" },
                    at.len()
                ),
            );
            return T::Dyn;
        };
        // global `size(x)` needs something with a size
        if recv.is_none() && function == "size" {
            if !matches!(
                at[0],
                T::String | T::Bytes | T::List(_) | T::Map(..) | T::Dyn | T::IntOrString
            ) {
                self.err(
                    &P3005,
                    args[0].range,
                    format!(
                        "`size` needs a string, list or map, found {}",
                        at[0].describe()
                    ),
                );
            }
            return T::Int;
        }
        for ((a, t), want) in args.iter().zip(at).zip(params) {
            self.expect_type(t, want, a, &format!("the argument of `{function}`"));
        }
        ret.clone()
    }
}
