//! Exceptions (waivers) added, removed, widened or otherwise changed, from the checked IR of
//! each revision. The parts of a scope narrow each other and an empty part does not narrow
//! (`book/src/language/blocks/exception.md`), so dropping a part, or adding a name to a part
//! that names some, widens it. A changed `condition` cannot be compared and counts as wider.

use std::collections::BTreeSet;

use ir::Posture;
use ir::system::Exception;

use crate::{ExceptionChange, ExceptionChangeKind, ExceptionFacts, location};

fn facts(e: &Exception) -> ExceptionFacts {
    let names = |v: &[ir::Name]| -> Vec<String> {
        let mut out: Vec<String> = v.iter().map(ToString::to_string).collect();
        out.sort();
        out.dedup();
        out
    };
    let mut waive: Vec<String> = e.waive.iter().map(ToString::to_string).collect();
    waive.sort();
    waive.dedup();
    ExceptionFacts {
        waive,
        namespaces: names(&e.scope.namespaces),
        workloads: names(&e.scope.workloads),
        condition: e.scope.condition.as_ref().map(|c| c.text.clone()),
        expires: e.expires.to_string(),
        owner: e.owner.clone(),
        ticket: e.ticket.clone(),
    }
}

/// One scope part (`namespaces`, `workloads`, `waive`): the wider and the other differences.
fn part(
    what: &str,
    old: &[String],
    new: &[String],
    empty_is_all: bool,
) -> (Vec<String>, Vec<String>) {
    let (mut wider, mut other) = (Vec::new(), Vec::new());
    if old == new {
        return (wider, other);
    }
    let a: BTreeSet<&String> = old.iter().collect();
    let b: BTreeSet<&String> = new.iter().collect();
    let added: Vec<&str> = b.difference(&a).map(|s| s.as_str()).collect();
    let removed: Vec<&str> = a.difference(&b).map(|s| s.as_str()).collect();
    if empty_is_all && new.is_empty() {
        wider.push(format!(
            "{what}: no longer limited (was {})",
            old.join(", ")
        ));
        return (wider, other);
    }
    if empty_is_all && old.is_empty() {
        other.push(format!("{what}: now limited to {}", new.join(", ")));
        return (wider, other);
    }
    if !added.is_empty() {
        wider.push(format!("{what}: + {}", added.join(", ")));
    }
    if !removed.is_empty() {
        other.push(format!("{what}: - {}", removed.join(", ")));
    }
    (wider, other)
}

fn change(a: &ExceptionFacts, b: &ExceptionFacts) -> Option<(ExceptionChangeKind, Vec<String>)> {
    if a == b {
        return None;
    }
    let mut wider = Vec::new();
    let mut other = Vec::new();
    for (what, x, y, empty_is_all) in [
        ("waive", &a.waive, &b.waive, false),
        ("namespaces", &a.namespaces, &b.namespaces, true),
        ("workloads", &a.workloads, &b.workloads, true),
    ] {
        let (w, o) = part(what, x, y, empty_is_all);
        wider.extend(w);
        other.extend(o);
    }
    match (&a.condition, &b.condition) {
        (Some(_), None) => wider.push("condition: removed".into()),
        (None, Some(_)) => other.push("condition: added".into()),
        (Some(x), Some(y)) if x != y => {
            wider.push("condition: changed (not comparable; counted as wider)".into());
        }
        _ => {}
    }
    // `YYYY-MM-DD` compares as dates.
    if b.expires > a.expires {
        wider.push(format!("expires: {} -> {} (later)", a.expires, b.expires));
    } else if b.expires < a.expires {
        other.push(format!("expires: {} -> {} (earlier)", a.expires, b.expires));
    }
    if a.owner != b.owner {
        other.push(format!("owner: {} -> {}", a.owner, b.owner));
    }
    if a.ticket != b.ticket {
        let t = |t: &Option<String>| t.clone().unwrap_or_else(|| "(none)".into());
        other.push(format!("ticket: {} -> {}", t(&a.ticket), t(&b.ticket)));
    }
    let kind = if wider.is_empty() {
        ExceptionChangeKind::Changed
    } else {
        ExceptionChangeKind::Widened
    };
    wider.extend(other);
    Some((kind, wider))
}

pub(crate) fn compare(
    op: &Posture,
    old_sources: &diagnostics::Sources,
    np: &Posture,
    new_sources: &diagnostics::Sources,
) -> Vec<ExceptionChange> {
    let names: BTreeSet<&ir::Name> = op.exceptions.keys().chain(np.exceptions.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        let a = op.exceptions.get(name);
        let b = np.exceptions.get(name);
        let reason_changed = match (a, b) {
            (Some(a), Some(b)) => a.reason != b.reason,
            _ => false,
        };
        let (fa, fb) = (a.map(facts), b.map(facts));
        let (kind, details) = match (&fa, &fb) {
            (None, Some(_)) => (ExceptionChangeKind::Added, Vec::new()),
            (Some(_), None) => (ExceptionChangeKind::Removed, Vec::new()),
            (Some(x), Some(y)) => match change(x, y) {
                Some(c) => c,
                None if reason_changed => {
                    (ExceptionChangeKind::Changed, vec!["reason: changed".into()])
                }
                None => continue,
            },
            (None, None) => continue,
        };
        let at = match (b, a) {
            (Some(e), _) => location(new_sources, e.meta.span),
            (None, Some(e)) => location(old_sources, e.meta.span),
            _ => None,
        };
        out.push(ExceptionChange {
            name: name.to_string(),
            change: kind,
            details,
            old: fa,
            new: fb,
            at,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(ns: &[&str], wl: &[&str], expires: &str) -> ExceptionFacts {
        ExceptionFacts {
            waive: vec!["admission.x".into()],
            namespaces: ns.iter().map(|s| s.to_string()).collect(),
            workloads: wl.iter().map(|s| s.to_string()).collect(),
            condition: None,
            expires: expires.into(),
            owner: "o".into(),
            ticket: None,
        }
    }

    #[test]
    fn wider_and_narrower_scopes() {
        let base = f(&["a"], &["p"], "2027-01-01");
        let (k, d) = change(&base, &f(&["a", "b"], &["p"], "2027-01-01")).expect("changed");
        assert_eq!(
            (k, d),
            (ExceptionChangeKind::Widened, vec!["namespaces: + b".into()])
        );
        let (k, _) = change(&base, &f(&["a"], &[], "2027-01-01")).expect("changed");
        assert_eq!(k, ExceptionChangeKind::Widened);
        let (k, _) = change(&base, &f(&["a"], &["p"], "2027-06-01")).expect("changed");
        assert_eq!(k, ExceptionChangeKind::Widened);
        let (k, d) = change(&f(&[], &["p"], "2027-01-01"), &base).expect("changed");
        assert_eq!(k, ExceptionChangeKind::Changed, "{d:?}");
        let (k, _) = change(&base, &f(&["a"], &["p"], "2026-06-01")).expect("changed");
        assert_eq!(k, ExceptionChangeKind::Changed);
        assert!(change(&base, &base.clone()).is_none());
    }
}
