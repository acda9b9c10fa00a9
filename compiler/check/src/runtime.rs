//! `runtime { … }`: Falco lists, macros, rules, behaviour profiles and rule sets.
//!
//! Conditions are parsed into `falco_lang`'s typed tree ([`ir::runtime::Condition`]) and
//! checked once every list and macro is known, against Falco 0.44's field catalog and event
//! types: unknown fields and event types (P5005, P5007, with did-you-mean), field arguments
//! (P5006), operators and values that do not fit the field's type (P5008, P5009), undefined
//! macros (P5010), a list compared with a scalar operator (P5001: `proc.name !=
//! known_debuggers` compares with the string "known_debuggers"), a list-looking name in
//! `in (…)` that nothing declares (P5002, a warning), conditions that do not parse (P5003),
//! and every `%field` of an output (P5005).

use crate::Top;
use crate::cx::{Attrs, Cx, Numbers, Opened, bundle_meta};
use crate::resolve::{Kind, Symbols};
use diagnostics::codes::{names as codes, runtime as rcodes};
use diagnostics::{Diagnostic, Span};
use falco_lang::check::{Candidates, Env};
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

    let env = Env {
        lists: rt
            .lists
            .iter()
            .map(|(k, l)| (k.as_str(), l.items.as_slice()))
            .collect(),
        macros: rt
            .macros
            .keys()
            .map(Name::as_str)
            .collect::<BTreeSet<&str>>(),
    };
    for (_, c) in &conditions {
        check_condition(cx, c, &env);
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
        (Some(v), _) => Some(&**v),
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

/// Conditions to check once every list and macro is known, with the item they belong to.
type Conditions = Vec<(String, Condition)>;

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
        (Some(v), _) => Some(&**v),
        (None, true) => a.req(cx, "condition"),
        (None, false) => None,
    };
    let owner = format!("macro `{n}`");
    let condition = value
        .and_then(|v| cx.expr(v))
        .and_then(|e| parse_condition(cx, &owner, &e));
    if let Some(c) = &condition {
        conditions.push((owner, c.clone()));
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
        } else if falco_lang::catalog::default_rule_names().contains(&title.as_str()) {
            // `falco/falco.yaml` loads Falco's default rules first and ours after them.
            cx.err(
                Diagnostic::spanned(
                    &rcodes::P5013,
                    v.span(),
                    format!("`{title}` is the title of a rule in Falco's default rules"),
                )
                .with_note(
                    "Falco loads its default rules first and the posture's after them: a rule with the same title replaces the default one",
                )
                .with_help("give the rule a title of its own"),
            );
        } else {
            titles.insert(title.clone(), v.span());
        }
    }
    let owner = format!("rule `{n}`");
    let condition = a
        .req(cx, "when")
        .and_then(|v| cx.expr(v))
        .and_then(|e| parse_condition(cx, &owner, &e));
    if let Some(c) = &condition {
        conditions.push((owner, c.clone()));
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
    if let (Some(o), Some(v)) = (&output, a.get("output")) {
        let env = Env::default();
        for p in falco_lang::check::check_output(o) {
            let field = o.get(p.range.start..p.range.end).unwrap_or_default();
            let mut d = Diagnostic::spanned(
                code_of(p.kind),
                v.span(),
                format!("the output of rule `{n}`: {}", p.message),
            )
            .with_label(format!("`{field}` in this output"));
            if let Some((name, c)) = &p.did_you_mean {
                d = d.with_did_you_mean(name, falco_lang::check::candidates(*c, &env));
            }
            if let Some(h) = &p.help {
                d = d.with_help(h.clone());
            }
            cx.err(d);
        }
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
        &["processes", "priority", "outbound", "satisfies"],
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
    let outbound = a
        .get("outbound")
        .map(|v| cx.list_of(v, |cx, i| outbound(cx, syms, i)));
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
        outbound,
        meta,
    })
}

/// One `outbound` destination: a workload or built-in peer by name, or an address block in
/// quotes. Whether the network block declares it is checked once the posture is whole.
fn outbound(cx: &mut Cx, syms: &mut Symbols, v: &Value) -> Option<Outbound> {
    use ir::network::Peer;
    if let Value::Str(s) = v {
        let cidr = cx.cidr(v)?;
        return Some(Outbound {
            to: Peer::Cidr {
                cidr,
                except: Vec::new(),
            },
            span: s.span,
        });
    }
    let (name, span) = cx.name(v)?;
    let to = match name.as_str() {
        "ingress-controller" => Peer::IngressController,
        "cluster-dns" => Peer::ClusterDns,
        "mesh-control-plane" => Peer::MeshControlPlane,
        _ => {
            syms.refer(Kind::Workload, &name, span);
            Peer::Workload { name }
        }
    };
    Some(Outbound { to, span })
}

// ---------------------------------------------------------------------------------------------
// Falco conditions.

/// The span of bytes `range` of a condition: the expression's span starts at its opening
/// backtick.
fn inner_span(span: Span, range: falco_lang::TextRange) -> Span {
    let base = span.start as usize + 1;
    Span::new(span.file, base + range.start, base + range.end)
}

/// Parses a condition written in backticks; one that does not parse is P5003.
fn parse_condition(cx: &mut Cx, owner: &str, e: &Expr) -> Option<Condition> {
    match falco_lang::parse(&e.text) {
        Ok(expr) => Some(Condition { expr, span: e.span }),
        Err(err) => {
            let span = if e.text.trim().is_empty() {
                e.span
            } else {
                inner_span(e.span, err.range)
            };
            let mut d = Diagnostic::spanned(
                &rcodes::P5003,
                span,
                format!("the condition of {owner} does not parse: {}", err.message),
            );
            if e.text.trim().is_empty() {
                d = d.with_help("write a Falco condition: `evt.type = ptrace and container`");
            }
            cx.err(d);
            None
        }
    }
}

/// The code of each kind of problem the condition checker finds.
fn code_of(k: falco_lang::Kind) -> &'static diagnostics::Code {
    use falco_lang::Kind;
    match k {
        Kind::UnknownField => &rcodes::P5005,
        Kind::FieldArgument => &rcodes::P5006,
        Kind::UnknownEvent => &rcodes::P5007,
        Kind::OperatorType => &rcodes::P5008,
        Kind::ValueType => &rcodes::P5009,
        Kind::UndefinedMacro => &rcodes::P5010,
        Kind::ListAsScalar => &rcodes::P5001,
        Kind::UnknownList => &rcodes::P5002,
    }
}

fn check_condition(cx: &mut Cx, c: &Condition, env: &Env<'_>) {
    for p in falco_lang::check::check(&c.expr, env) {
        let mut d = Diagnostic::spanned(
            code_of(p.kind),
            inner_span(c.span, p.range),
            p.message.clone(),
        );
        if let Some(l) = &p.label {
            d = d.with_label(l.clone());
        }
        if let Some((name, cands)) = &p.did_you_mean
            && *cands != Candidates::None
        {
            d = d.with_did_you_mean(name, falco_lang::check::candidates(*cands, env));
        }
        if let Some(h) = &p.help {
            d = d.with_help(h.clone());
        }
        cx.err(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_identifiers() {
        assert!(is_falco_identifier("known_debuggers"));
        assert!(!is_falco_identifier("known-debuggers"));
        assert!(!is_falco_identifier("_private"));
        assert_eq!(falco_spelling("known-debuggers"), "known_debuggers");
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
        // `container` comes from `std.falco.defaults`, which this snippet does not use.
        assert!(has(&d, "P5010", "container"), "{d:?}");
        assert_eq!(d.len(), 3, "{d:?}");
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
            ("P5010", "spawned_process"),
        ] {
            assert!(has(&d, code, text), "{code} {text}: {d:?}");
        }
        assert_eq!(d.len(), 12, "{d:?}");
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
