//! `runtime { … }`: Falco lists, macros, rules, behaviour profiles and rule sets.
//!
//! Conditions stay opaque [`ir::Expr`] slots (Falco's own filter compiler is the oracle), but a
//! small tokenizer over each condition catches what Falco accepts silently and gets wrong: a
//! list compared with a scalar operator (`proc.name != known_debuggers` compares with the
//! string "known_debuggers"), a list-looking name in `in (…)` that nothing declares, and
//! conditions that cannot parse at all (empty, unbalanced parentheses, unterminated strings).

use crate::Top;
use crate::cx::{Attrs, Cx, Numbers, Opened, bundle_meta};
use crate::resolve::{Kind, Symbols};
use diagnostics::codes::{names as codes, runtime as rcodes};
use diagnostics::{Diagnostic, Span};
use ir::runtime::*;
use ir::{Expr, Name};
use std::collections::{BTreeMap, BTreeSet};
use syntax::ast::{self, Value};

const PRIORITIES: &[&str] = &[
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
];

/// The priority of a profile that does not say.
const DEFAULT_PROFILE_PRIORITY: Priority = Priority::Warning;

fn priority(cx: &mut Cx, v: &Value) -> Option<Priority> {
    Some(match cx.variant(v, PRIORITIES)? {
        "emergency" => Priority::Emergency,
        "alert" => Priority::Alert,
        "critical" => Priority::Critical,
        "error" => Priority::Error,
        "warning" => Priority::Warning,
        "notice" => Priority::Notice,
        "informational" => Priority::Informational,
        _ => Priority::Debug,
    })
}

/// A Falco identifier, the only names a condition can refer to: `[a-zA-Z]+[a-zA-Z0-9_]*`
/// (libsinsp's filter parser).
pub(crate) fn is_falco_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks that a condition can refer to a list or macro name.
fn check_condition_name(cx: &mut Cx, what: &str, n: &Name, span: Span) {
    if !is_falco_identifier(&n.0) {
        cx.err(
            Diagnostic::spanned(
                &rcodes::P5004,
                span,
                format!("{what} name `{n}` cannot be used in a Falco condition"),
            )
            .with_label("Falco names are letters, digits and `_`, starting with a letter")
            .with_help(format!("rename it `{}`", falco_spelling(&n.0))),
        );
    }
}

/// The closest Falco identifier to a posture name, for help texts.
fn falco_spelling(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let t = t.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
    if t.is_empty() {
        "my_list".to_string()
    } else {
        t.to_string()
    }
}

/// One item of a Falco list: a word, a string or a plain number (ports).
fn list_item(cx: &mut Cx, v: &Value) -> Option<String> {
    cx.word(
        v,
        "a list item",
        Numbers::Plain,
        Some("list items are words, quoted strings or numbers"),
    )
    .map(|(text, _)| text)
}

pub(crate) fn runtime(cx: &mut Cx, syms: &mut Symbols, items: &[Top<'_>]) -> Runtime {
    let mut rt = Runtime::default();
    if items.is_empty() {
        return rt;
    }
    // `runtime` has no attributes of its own; report any, in every merged section.
    let _ = Attrs::of_sections(cx, "`runtime`", items, &[]);

    let mut used: BTreeMap<String, Span> = BTreeMap::new();
    let mut titles: BTreeMap<String, Span> = BTreeMap::new();
    // Conditions are checked once every list is known (lists may come later, or from
    // another file or bundle).
    let mut conditions: Conditions = Vec::new();

    for t in items {
        for e in t.item.entries() {
            let ast::Entry::Item(item) = e else { continue };
            match item.keyword.text.as_str() {
                "use" => {
                    if let Some(rs) = rule_set(cx, t, item, &mut used) {
                        rt.uses.push(rs);
                    }
                }
                "list" => {
                    if let Some(l) = list(cx, syms, t, item) {
                        rt.lists.insert(l.name.clone(), l);
                    }
                }
                "macro" => {
                    if let Some(m) = macro_(cx, syms, t, item, &mut conditions) {
                        rt.macros.insert(m.name.clone(), m);
                    }
                }
                "rule" => {
                    if let Some(r) = rule(cx, syms, t, item, &mut titles, &mut conditions) {
                        rt.rules.insert(r.name.clone(), r);
                    }
                }
                "profile" => {
                    if let Some(p) = profile(cx, syms, t, item, &rt.profiles) {
                        rt.profiles.insert(p.workload.clone(), p);
                    }
                }
                // Any other keyword was reported by the shape check.
                _ => {}
            }
        }
    }

    let lists: BTreeSet<&str> = rt.lists.keys().map(Name::as_str).collect();
    let macros: BTreeSet<&str> = rt.macros.keys().map(Name::as_str).collect();
    for (owner, expr) in &conditions {
        check_condition(cx, owner, expr, &lists, &macros);
    }
    rt
}

fn rule_set(
    cx: &mut Cx,
    t: &Top<'_>,
    item: &ast::Item,
    used: &mut BTreeMap<String, Span>,
) -> Option<RuleSet> {
    let Some(ast::Head::Path(p)) = &item.head else {
        return None;
    };
    let dotted = p.dotted();
    let a = Attrs::of_item(cx, format!("`use {dotted}`"), item, &["satisfies"]);
    let Some(bundle) = dotted.strip_prefix("std.") else {
        cx.err(
            Diagnostic::spanned(
                &codes::P1003,
                p.span,
                format!("`{dotted}` is not a standard-library bundle"),
            )
            .with_help("runtime rule sets are used as `use std.falco.…`"),
        );
        return None;
    };
    if !bundle.starts_with("falco.") {
        cx.err(
            Diagnostic::spanned(
                &codes::P1003,
                p.span,
                format!("bundle `{dotted}` is not a runtime rule set"),
            )
            .with_label("`runtime` uses `std.falco.…` bundles")
            .with_help("use admission bundles in `admission`"),
        );
        return None;
    }
    if let Some(first) = used.get(&dotted) {
        cx.err(
            Diagnostic::spanned(
                &codes::P1004,
                p.span,
                format!("rule set `{dotted}` is used twice"),
            )
            .with_secondary(*first, "first used here")
            .with_help("delete one of them"),
        );
        return None;
    }
    used.insert(dotted.clone(), p.span);
    let meta = bundle_meta(cx, t, item, &a);
    Some(RuleSet {
        bundle: bundle.to_string(),
        meta,
    })
}

fn list(cx: &mut Cx, syms: &mut Symbols, t: &Top<'_>, item: &ast::Item) -> Option<List> {
    let Opened {
        name: n,
        span,
        first,
        attrs: a,
    } = cx.open(
        item,
        Some((syms, Kind::RuntimeItem)),
        "list",
        &["items", "satisfies"],
    )?;
    if first {
        check_condition_name(cx, "list", &n, span);
    }
    let value = match (&item.value, item.body.is_some()) {
        (Some(v), _) => Some(v),
        (None, true) => a.req(cx, "items"),
        // Neither: reported by the shape check.
        (None, false) => None,
    };
    let list_items = value.map(|v| cx.list_of(v, list_item)).unwrap_or_default();
    let meta = bundle_meta(cx, t, item, &a);
    if !first {
        return None;
    }
    Some(List {
        name: n,
        items: list_items,
        meta,
    })
}

/// Conditions to check once every list is known, with the item they belong to.
type Conditions = Vec<(String, Expr)>;

fn macro_(
    cx: &mut Cx,
    syms: &mut Symbols,
    t: &Top<'_>,
    item: &ast::Item,
    conditions: &mut Conditions,
) -> Option<Macro> {
    let Opened {
        name: n,
        span,
        first,
        attrs: a,
    } = cx.open(
        item,
        Some((syms, Kind::RuntimeItem)),
        "macro",
        &["condition", "satisfies"],
    )?;
    if first {
        check_condition_name(cx, "macro", &n, span);
    }
    let value = match (&item.value, item.body.is_some()) {
        (Some(v), _) => Some(v),
        (None, true) => a.req(cx, "condition"),
        (None, false) => None,
    };
    let condition = value.and_then(|v| cx.expr(v));
    if let Some(c) = &condition {
        conditions.push((format!("macro `{n}`"), c.clone()));
    }
    let meta = bundle_meta(cx, t, item, &a);
    if !first {
        return None;
    }
    Some(Macro {
        name: n,
        condition: condition?,
        meta,
    })
}

fn rule(
    cx: &mut Cx,
    syms: &mut Symbols,
    t: &Top<'_>,
    item: &ast::Item,
    titles: &mut BTreeMap<String, Span>,
    conditions: &mut Conditions,
) -> Option<Rule> {
    let Opened {
        name: n,
        first: declared,
        attrs: a,
        ..
    } = cx.open(
        item,
        Some((syms, Kind::RuntimeItem)),
        "rule",
        &[
            "title",
            "when",
            "output",
            "priority",
            "tags",
            "enabled",
            "satisfies",
        ],
    )?;
    let title = a.req(cx, "title").and_then(|v| cx.string(v));
    if let (Some(title), Some(v)) = (&title, a.get("title")) {
        if title.trim().is_empty() {
            cx.err(Diagnostic::spanned(
                &codes::P1006,
                v.span(),
                format!("rule `{n}` has an empty `title`"),
            ));
        } else if let Some(first) = titles.get(title) {
            // Falco keys rules by this name: a second rule with the same name silently
            // replaces (or appends to) the first.
            cx.err(
                Diagnostic::spanned(
                    &codes::P1004,
                    v.span(),
                    format!("another rule already has the title `{title}`"),
                )
                .with_secondary(*first, "first used here")
                .with_note(
                    "Falco identifies rules by their title: the second would override the first",
                )
                .with_help("give each rule its own title"),
            );
        } else {
            titles.insert(title.clone(), v.span());
        }
    }
    let condition = a.req(cx, "when").and_then(|v| cx.expr(v));
    if let Some(c) = &condition {
        conditions.push((format!("rule `{n}`"), c.clone()));
    }
    let output = a.req(cx, "output").and_then(|v| cx.string(v));
    if let (Some(o), Some(v)) = (&output, a.get("output"))
        && o.trim().is_empty()
    {
        cx.err(
            Diagnostic::spanned(
                &codes::P1006,
                v.span(),
                format!("rule `{n}` has an empty `output`"),
            )
            .with_help(
                "say what happened, with fields: `\"shell in container (command=%proc.cmdline)\"`",
            ),
        );
    }
    let priority = a.req(cx, "priority").and_then(|v| priority(cx, v));
    let mut tags: Vec<String> = Vec::new();
    if let Some(v) = a.get("tags") {
        for tag in cx.list_of(v, |cx, i| {
            let (tag, _) = cx.word(i, "a tag", Numbers::No, None)?;
            if tag.trim().is_empty() {
                cx.mismatch(i, "a tag", None);
                return None;
            }
            Some(tag)
        }) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    let enabled = a.get("enabled").and_then(|v| cx.bool(v)).unwrap_or(true);
    let meta = bundle_meta(cx, t, item, &a);
    if !declared {
        return None;
    }
    Some(Rule {
        name: n,
        title: title?,
        condition: condition?,
        output: output?,
        priority: priority?,
        tags,
        enabled,
        meta,
    })
}

fn profile(
    cx: &mut Cx,
    syms: &mut Symbols,
    t: &Top<'_>,
    item: &ast::Item,
    seen: &BTreeMap<Name, Profile>,
) -> Option<Profile> {
    let Opened {
        name: w,
        span: name_span,
        attrs: a,
        ..
    } = cx.open(
        item,
        None,
        "profile",
        &["processes", "priority", "satisfies"],
    )?;
    syms.refer(Kind::Workload, &w, name_span);
    let mut processes: Vec<String> = Vec::new();
    if let Some(v) = a.req(cx, "processes") {
        for p in cx.list_of(v, crate::network::process_name) {
            if !processes.contains(&p) {
                processes.push(p);
            }
        }
        if processes.is_empty() && matches!(v, Value::List { items, .. } if items.is_empty()) {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1006,
                    v.span(),
                    format!("profile `{w}` lists no processes"),
                )
                .with_help("list the processes the workload runs: `processes = [gateway]`"),
            );
        }
    }
    let priority = a
        .get("priority")
        .map(|v| priority(cx, v))
        .unwrap_or(Some(DEFAULT_PROFILE_PRIORITY));
    let meta = bundle_meta(cx, t, item, &a);
    if let Some(first) = seen.get(&w) {
        cx.err(
            Diagnostic::spanned(
                &codes::P1004,
                name_span,
                format!("workload `{w}` has two profiles"),
            )
            .with_secondary(first.meta.span, "first profile here")
            .with_help("merge the processes into one profile"),
        );
        return None;
    }
    Some(Profile {
        workload: w,
        processes,
        priority: priority?,
        meta,
    })
}

// ---------------------------------------------------------------------------------------------
// Falco conditions.

/// One token of a Falco condition, with its byte range in the condition text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    LParen,
    RParen,
    Comma,
    /// `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Op(&'a str),
    /// A field, an operator word, a macro or list name, or a bare value.
    Word(&'a str),
    /// A quoted string, quotes included.
    Quoted(&'a str),
}

/// A token and where it is in the condition text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub tok: Tok<'a>,
    pub start: usize,
    pub end: usize,
}

/// What can go wrong while tokenizing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LexError {
    /// A quote that is never closed, at this byte offset.
    Unterminated(usize),
}

/// Splits a Falco condition into tokens. Words run until blank, a parenthesis, a comma, a
/// quote or a comparison character, which is what libsinsp's bare strings and field names do.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token<'_>>, LexError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\r' | b'\n' | 0x08 => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'"' | b'\'' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < bytes.len() {
                    if bytes[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if bytes[j] == c {
                        closed = true;
                        break;
                    }
                    j += 1;
                }
                if !closed {
                    return Err(LexError::Unterminated(i));
                }
                i = j + 1;
                Tok::Quoted(&text[start..i])
            }
            b'=' | b'!' | b'<' | b'>' => {
                i += 1;
                if i < bytes.len() && bytes[i] == b'=' {
                    i += 1;
                }
                Tok::Op(&text[start..i])
            }
            _ => {
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t'
                            | b'\r'
                            | b'\n'
                            | 0x08
                            | b'('
                            | b')'
                            | b','
                            | b'"'
                            | b'\''
                            | b'='
                            | b'!'
                            | b'<'
                            | b'>'
                    )
                {
                    i += 1;
                }
                Tok::Word(&text[start..i])
            }
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

/// Operators that compare with one value.
const SCALAR_WORD_OPS: &[&str] = &[
    "glob",
    "iglob",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
];
/// Operators that take a list in parentheses.
const LIST_OPS: &[&str] = &["in", "intersects", "pmatch"];

fn is_scalar_op(t: &Tok<'_>) -> bool {
    match t {
        Tok::Op(o) => matches!(*o, "=" | "==" | "!=" | "<" | "<=" | ">" | ">="),
        Tok::Word(w) => SCALAR_WORD_OPS.contains(w),
        _ => false,
    }
}

/// A Falco field name, possibly with an argument: `proc.name`, `proc.aname[2]`.
fn is_field(w: &str) -> bool {
    let name = w.split('[').next().unwrap_or("");
    let mut parts = name.split('.');
    let first = parts.next().unwrap_or("");
    is_falco_identifier(first) && {
        let rest: Vec<&str> = parts.collect();
        !rest.is_empty() && rest.iter().all(|p| is_falco_identifier(p))
    }
}

/// A problem found in a condition, located by byte offsets in its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finding {
    /// `field op list`: the list's range, the operator and the field as written.
    ListAsScalar {
        start: usize,
        end: usize,
        op: String,
        field: String,
        list: String,
    },
    /// A list-looking name inside `in (…)` that is not a declared list.
    UnknownList {
        start: usize,
        end: usize,
        name: String,
        is_macro: bool,
    },
    /// A `)` without its `(`.
    UnmatchedClose {
        at: usize,
    },
    /// A `(` never closed.
    UnclosedOpen {
        at: usize,
    },
    /// A quote never closed.
    Unterminated {
        at: usize,
    },
    Empty,
}

/// Finds what the checker reports in one condition. `lists` and `macros` are the declared
/// names.
pub(crate) fn scan_condition(
    text: &str,
    lists: &BTreeSet<&str>,
    macros: &BTreeSet<&str>,
) -> Vec<Finding> {
    if text.trim().is_empty() {
        return vec![Finding::Empty];
    }
    let toks = match tokenize(text) {
        Ok(t) => t,
        Err(LexError::Unterminated(at)) => return vec![Finding::Unterminated { at }],
    };
    let mut out = Vec::new();

    // Parentheses.
    let mut open: Vec<usize> = Vec::new();
    for t in &toks {
        match t.tok {
            Tok::LParen => open.push(t.start),
            Tok::RParen if open.pop().is_none() => {
                out.push(Finding::UnmatchedClose { at: t.start });
            }
            _ => {}
        }
    }
    if let Some(at) = open.first() {
        out.push(Finding::UnclosedOpen { at: *at });
    }

    for (k, t) in toks.iter().enumerate() {
        // `<field> <scalar op> <list>`.
        if is_scalar_op(&t.tok) {
            let Some(lhs) = lhs_text(text, &toks, k) else {
                continue;
            };
            if let Some(Token {
                tok: Tok::Word(w),
                start,
                end,
            }) = toks.get(k + 1)
                && lists.contains(w)
            {
                let op = match t.tok {
                    Tok::Op(o) | Tok::Word(o) => o.to_string(),
                    _ => String::new(),
                };
                out.push(Finding::ListAsScalar {
                    start: *start,
                    end: *end,
                    op,
                    field: lhs,
                    list: w.to_string(),
                });
            }
        }
        // `<field> in ( … )`: list-looking names that are not lists.
        if matches!(t.tok, Tok::Word(w) if LIST_OPS.contains(&w))
            && lhs_text(text, &toks, k).is_some()
            && matches!(toks.get(k + 1).map(|t| &t.tok), Some(Tok::LParen))
        {
            let mut j = k + 2;
            while let Some(item) = toks.get(j) {
                match item.tok {
                    Tok::RParen => break,
                    Tok::Word(w)
                        if w.contains('_') && is_falco_identifier(w) && !lists.contains(w) =>
                    {
                        out.push(Finding::UnknownList {
                            start: item.start,
                            end: item.end,
                            name: w.to_string(),
                            is_macro: macros.contains(w),
                        });
                    }
                    _ => {}
                }
                j += 1;
            }
        }
    }
    out
}

/// The left operand of the operator at `k` as written, when it is a field (or a transformer
/// call such as `tolower(proc.name)`); `None` when the operator word is really a value.
fn lhs_text(text: &str, toks: &[Token<'_>], k: usize) -> Option<String> {
    let prev = toks.get(k.checked_sub(1)?)?;
    match prev.tok {
        Tok::Word(w) if is_field(w) => Some(w.to_string()),
        Tok::RParen => {
            // Walk back to the matching `(`; the word before it is the transformer.
            let mut depth = 0usize;
            let mut j = k - 1;
            loop {
                match toks.get(j)?.tok {
                    Tok::RParen => depth += 1,
                    Tok::LParen => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j = j.checked_sub(1)?;
            }
            let f = toks.get(j.checked_sub(1)?)?;
            match f.tok {
                Tok::Word(w) if is_falco_identifier(w) && toks[j].start == f.end => {
                    Some(text.get(f.start..prev.end)?.to_string())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The span of bytes `start..end` of a condition: the expression's span starts at its
/// opening backtick.
fn inner_span(expr: &Expr, start: usize, end: usize) -> Span {
    let base = expr.span.start as usize + 1;
    Span::new(expr.span.file, base + start, base + end)
}

fn check_condition(
    cx: &mut Cx,
    owner: &str,
    expr: &Expr,
    lists: &BTreeSet<&str>,
    macros: &BTreeSet<&str>,
) {
    for f in scan_condition(&expr.text, lists, macros) {
        let d = match f {
            Finding::ListAsScalar {
                start,
                end,
                op,
                field,
                list,
            } => {
                let d = Diagnostic::spanned(
                    &rcodes::P5001,
                    inner_span(expr, start, end),
                    format!("list `{list}` is used with the scalar operator `{op}`"),
                )
                .with_label(format!(
                    "Falco compares with the literal string `{list}`, not with the list's items"
                ));
                match op.as_str() {
                    "=" | "==" => d.with_help(format!("use `{field} in ({list})`")),
                    "!=" => d.with_help(format!("use `not {field} in ({list})`")),
                    "startswith" => d.with_help(format!(
                        "use `{field} pmatch ({list})` to match path prefixes"
                    )),
                    _ => d.with_help(format!(
                        "Falco has no list form of `{op}`: test each item, or use `{field} in ({list})`"
                    )),
                }
            }
            Finding::UnknownList {
                start,
                end,
                name,
                is_macro,
            } => Diagnostic::spanned(
                &rcodes::P5002,
                inner_span(expr, start, end),
                if is_macro {
                    format!("`{name}` is a macro, not a list")
                } else {
                    format!("`{name}` is not a declared list")
                },
            )
            .with_label("Falco compares with this literal string")
            .with_did_you_mean(&name, lists.iter().copied())
            .with_help(format!(
                "declare `list {name} = [ … ]`, or quote the value if it is literal: `\"{name}\"`"
            )),
            Finding::UnmatchedClose { at } => Diagnostic::spanned(
                &rcodes::P5003,
                inner_span(expr, at, at + 1),
                format!("the condition of {owner} has a `)` without its `(`"),
            ),
            Finding::UnclosedOpen { at } => Diagnostic::spanned(
                &rcodes::P5003,
                inner_span(expr, at, at + 1),
                format!("the condition of {owner} never closes this `(`"),
            ),
            Finding::Unterminated { at } => Diagnostic::spanned(
                &rcodes::P5003,
                inner_span(expr, at, at + 1),
                format!("the condition of {owner} has an unterminated string"),
            )
            .with_help("close the string with the same quote it opens with"),
            Finding::Empty => Diagnostic::spanned(
                &rcodes::P5003,
                expr.span,
                format!("the condition of {owner} is empty"),
            )
            .with_help("write a Falco condition: `evt.type = ptrace and container`"),
        };
        cx.err(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str, lists: &[&str]) -> Vec<Finding> {
        let lists: BTreeSet<&str> = lists.iter().copied().collect();
        scan_condition(text, &lists, &BTreeSet::new())
    }

    #[test]
    fn the_seed_bug_is_found_at_the_list_name() {
        let text = "evt.type = ptrace and container and proc.name != known_debuggers";
        let f = scan(text, &["known_debuggers"]);
        assert_eq!(f.len(), 1, "{f:?}");
        let Finding::ListAsScalar {
            start,
            end,
            op,
            field,
            list,
        } = &f[0]
        else {
            panic!("{f:?}")
        };
        assert_eq!(&text[*start..*end], "known_debuggers");
        assert_eq!(
            (op.as_str(), field.as_str(), list.as_str()),
            ("!=", "proc.name", "known_debuggers")
        );
    }

    #[test]
    fn the_example_form_is_clean() {
        let text = "evt.type = ptrace and container and not proc.name in (known_debuggers)";
        assert_eq!(scan(text, &["known_debuggers"]), vec![]);
    }

    #[test]
    fn every_scalar_operator_is_caught() {
        for op in [
            "=",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "contains",
            "startswith",
            "endswith",
            "glob",
        ] {
            let text = format!("proc.name {op} shells");
            let f = scan(&text, &["shells"]);
            assert!(
                matches!(&f[..], [Finding::ListAsScalar { op: o, .. }] if o == op),
                "{op}: {f:?}"
            );
        }
        // No blanks around symbolic operators.
        assert_eq!(scan("proc.name!=shells", &["shells"]).len(), 1);
        // Field arguments and transformers.
        assert_eq!(scan("proc.aname[2] = shells", &["shells"]).len(), 1);
        let f = scan("tolower(proc.name) = shells", &["shells"]);
        assert!(
            matches!(&f[..], [Finding::ListAsScalar { field, .. }] if field == "tolower(proc.name)"),
            "{f:?}"
        );
    }

    #[test]
    fn values_that_are_not_lists_are_fine() {
        assert_eq!(scan("proc.name = shells", &["other"]), vec![]);
        assert_eq!(scan("proc.name = \"shells\"", &["shells"]), vec![]);
        // An operator word used as a value is not an operator.
        assert_eq!(scan("proc.name in (contains, shells)", &["shells"]), vec![]);
        assert_eq!(scan("fd.name startswith /etc", &["etc"]), vec![]);
    }

    #[test]
    fn undeclared_list_names_in_parentheses_warn() {
        let f = scan("proc.name in (crypto_miners)", &["crypto_mining_processes"]);
        assert!(
            matches!(&f[..], [Finding::UnknownList { name, .. }] if name == "crypto_miners"),
            "{f:?}"
        );
        // Plain values, quoted values and paths are literal.
        assert_eq!(
            scan("proc.name in (bash, sh, \"pg_dump\", /usr/bin/x_y)", &[]),
            vec![]
        );
        // Macros inside a list are literal strings too.
        let macros: BTreeSet<&str> = ["spawned_process"].into_iter().collect();
        let f = scan_condition("proc.name in (spawned_process)", &BTreeSet::new(), &macros);
        assert!(
            matches!(&f[..], [Finding::UnknownList { is_macro: true, .. }]),
            "{f:?}"
        );
    }

    #[test]
    fn malformed_conditions() {
        assert_eq!(scan("   ", &[]), vec![Finding::Empty]);
        assert_eq!(
            scan("(proc.name = a", &[]),
            vec![Finding::UnclosedOpen { at: 0 }]
        );
        assert_eq!(
            scan("proc.name = a)", &[]),
            vec![Finding::UnmatchedClose { at: 13 }]
        );
        assert_eq!(
            scan("proc.name = \"a", &[]),
            vec![Finding::Unterminated { at: 12 }]
        );
        // Escaped quotes and parentheses inside strings are not structure.
        assert_eq!(scan("proc.cmdline contains \"(\\\"x\"", &[]), vec![]);
    }

    #[test]
    fn falco_identifiers() {
        assert!(is_falco_identifier("known_debuggers"));
        assert!(!is_falco_identifier("known-debuggers"));
        assert!(!is_falco_identifier("_private"));
        assert_eq!(falco_spelling("known-debuggers"), "known_debuggers");
    }

    #[test]
    fn tokenizer_never_panics_on_odd_input() {
        for text in [
            "", "(", ")", "\"", "'", "\\", "!", "a!==b", "é = ü", "`x`", "a[", "]",
        ] {
            let _ = scan(text, &["a"]);
        }
    }

    // End to end: parse and check snippets.

    use crate::test_support::{codes, has};

    #[test]
    fn the_seed_rule_is_flagged_across_lines() {
        let d = codes(
            "runtime {
  list known_debuggers = [gdb, strace, dlv]
  rule container-escape-ptrace {
    title    = \"Container Escape via ptrace\"
    when     = `evt.type = ptrace and
                container and
                proc.name != known_debuggers`
    output   = \"Possible container escape (user=%user.name command=%proc.cmdline)\"
    priority = CRITICAL
  }
}
",
        );
        // Reported even though the rule has another error.
        assert!(has(&d, "P5001", "known_debuggers"), "{d:?}");
        assert!(has(&d, "P1017", "CRITICAL"), "{d:?}");
        assert_eq!(d.len(), 2, "{d:?}");
    }

    #[test]
    fn runtime_items_are_checked() {
        let d = codes(
            "runtime {
  list crypto_mining_processes = [xmrig, minerd, 3333, \"/usr/bin/x\"]
  list \"bad-name\" = [a]
  macro miner = `spawned_process and proc.name in (crypto_mining_process)`
  rule a { title = \"Same\", when = `(proc.name = x`, output = \"o\", priority = warning }
  rule b { title = \"Same\", when = ` `, output = \"o\", priority = debug, tags = [x, 3d] }
  profile api-gateway { processes = [] }
  profile api-gateway { processes = [gateway] }
  profile nowhere { processes = [x] }
  use std.pod_security.restricted
  use std.falco.defaults
  use std.falco.defaults
}
",
        );
        for (code, text) in [
            ("P5004", "\"bad-name\""),
            ("P5002", "crypto_mining_process"),
            ("P1004", "\"Same\""),
            ("P5003", "("),
            ("P5003", "` `"),
            ("P1007", "3d"),
            ("P1006", "[]"),
            ("P1004", "api-gateway"),
            ("P1008", "nowhere"),
            ("P1003", "std.pod_security.restricted"),
            ("P1004", "std.falco.defaults"),
        ] {
            assert!(has(&d, code, text), "{code} {text}: {d:?}");
        }
        assert_eq!(d.len(), 11, "{d:?}");
    }

    #[test]
    fn list_bodies_and_macro_bodies() {
        let d = codes(
            "runtime {
  list shells { items = [bash, sh], satisfies = [SI-4] }
  macro spawned { condition = `evt.type = execve and proc.name = shells` }
}
",
        );
        assert!(has(&d, "P5001", "shells"), "{d:?}");
        assert_eq!(d.len(), 1, "{d:?}");
    }
}
