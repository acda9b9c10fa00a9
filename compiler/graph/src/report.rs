//! Human renderings of coverage (a plain table and Markdown) and of an explanation. JSON is
//! serde's rendering of the same values ([`to_json`]), so a CI step reads exactly the numbers
//! the table prints.

use std::fmt::Write as _;

use crate::coverage::{Coverage, ItemRef, RequirementRow, Status};
use crate::explain::Explanation;
use crate::model::MappingSource;

/// Pretty JSON with a trailing newline: the one JSON writer, [`diagnostics::to_json`].
pub use diagnostics::to_json;

/// The summary line and the per-status counts, shared by the table and Markdown.
fn headline(c: &Coverage) -> String {
    let s = &c.summary;
    format!(
        "{} (`{}`): {:.1}% covered, {} of {} requirements",
        c.name, c.framework, s.percent, s.covered, s.requirements
    )
}

fn counts(c: &Coverage) -> String {
    Status::ALL
        .iter()
        .map(|st| format!("{} {}", c.summary.count(*st), st))
        .collect::<Vec<_>>()
        .join(", ")
}

fn item(i: &ItemRef) -> String {
    match &i.location {
        Some(l) => format!("{} ({l})", i.label),
        None => i.label.to_string(),
    }
}

/// How many items a table row names before it says "and N more".
const MAX_ITEMS: usize = 4;

/// What a row's last column says: who implements, claims or declares it.
fn detail(r: &RequirementRow) -> String {
    // At most a few items per line; the JSON has them all.
    let items = |v: &[ItemRef]| {
        let mut s = v
            .iter()
            .take(MAX_ITEMS)
            .map(item)
            .collect::<Vec<_>>()
            .join("; ");
        if v.len() > MAX_ITEMS {
            let _ = write!(s, "; and {} more", v.len() - MAX_ITEMS);
        }
        s
    };
    // ` -> file, file and N more`: the enforcing artifacts behind the row.
    let artifacts = |s: &mut String| {
        if !r.artifacts.is_empty() {
            let shown: Vec<&str> = r
                .artifacts
                .iter()
                .take(MAX_ITEMS)
                .map(String::as_str)
                .collect();
            let _ = write!(s, " -> {}", shown.join(", "));
            if r.artifacts.len() > MAX_ITEMS {
                let _ = write!(s, " and {} more", r.artifacts.len() - MAX_ITEMS);
            }
        }
    };
    match r.status {
        Status::Satisfied => {
            let mut s = items(&r.implemented_by);
            artifacts(&mut s);
            s
        }
        Status::Inherited => format!("from {}", r.inherited_from.join("; ")),
        Status::Process => r
            .processes
            .iter()
            .map(|p| {
                format!(
                    "process {} every {}, evidence {}",
                    p.name, p.every, p.evidence
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Status::NotApplicable => r.not_applicable.join("; "),
        Status::Partial => match &r.base {
            Some(b) => format!("base {b} satisfied; this enhancement is not"),
            None if !r.supported_by.is_empty() => {
                let mut s = format!("supported (meets part) by {}", items(&r.supported_by));
                for l in &r.limited {
                    let _ = write!(s, "; limited: {l}");
                }
                artifacts(&mut s);
                s
            }
            None => String::new(),
        },
        Status::Supported => {
            let mut by: Vec<String> = r
                .implemented_by
                .iter()
                .chain(&r.supported_by)
                .map(item)
                .collect();
            by.extend(
                r.informed_by
                    .iter()
                    .filter(|i| i.status.counts())
                    .map(|i| format!("{} {}", i.control, i.status)),
            );
            format!("informed by {}", by.join(", "))
        }
        Status::Claimed => format!("claimed by {}", items(&r.claimed_by)),
        Status::Gap => String::new(),
    }
}

/// Coverage as a plain-text table: a headline, the counts, then one line per requirement.
pub fn coverage_table(c: &Coverage) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(c));
    let _ = writeln!(out, "  {}", counts(c));
    if !c.declared {
        let _ = writeln!(out, "  (the posture's system does not list this framework)");
    }
    out.push('\n');
    let rows: Vec<[String; 4]> = c
        .requirements
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.status.to_string(),
                r.title.clone(),
                detail(r),
            ]
        })
        .collect();
    let head = ["ID", "STATUS", "TITLE", "DETAIL"];
    let mut width = head.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in width.iter_mut().zip(r.iter()).take(3) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| -> String {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == 3 {
                s.push_str(cell);
            } else {
                let pad = width[i].saturating_sub(cell.chars().count());
                s.push_str(cell);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(head));
    for r in &rows {
        let _ = writeln!(out, "{}", line([&r[0], &r[1], &r[2], &r[3]]));
    }
    out
}

/// A Markdown table cell: pipes escaped, line breaks flattened.
fn md(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Coverage as Markdown: a heading, a summary table, then one row per requirement.
pub fn coverage_markdown(c: &Coverage) -> String {
    let mut out = String::new();
    let s = &c.summary;
    let _ = writeln!(out, "# Coverage: {} (`{}`)\n", c.name, c.framework);
    let _ = writeln!(
        out,
        "**{:.1}%** covered: {} of {} requirements are satisfied, inherited, done by a process or not applicable.\n",
        s.percent, s.covered, s.requirements
    );
    if !c.declared {
        let _ = writeln!(out, "The posture's system does not list this framework.\n");
    }
    out.push_str("| status | requirements |\n| --- | ---: |\n");
    for st in Status::ALL {
        let _ = writeln!(out, "| {st} | {} |", s.count(st));
    }
    out.push_str("\n| id | status | title | detail |\n| --- | --- | --- | --- |\n");
    for r in &c.requirements {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            md(&r.id.to_string()),
            r.status,
            md(&r.title),
            md(&detail(r))
        );
    }
    out
}

fn why(m: &MappingSource) -> String {
    m.describe()
}

/// An explanation as text for people.
pub fn explain_text(e: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}: {}", e.control, e.title, e.status);
    if let Some(st) = &e.statement {
        for l in st.lines() {
            let _ = writeln!(out, "  | {}", l.trim_end());
        }
    }

    out.push_str("\nrequired by:\n");
    let declared: Vec<&str> = e
        .required_by
        .iter()
        .filter(|r| r.declared)
        .map(|r| r.framework.id())
        .collect();
    let other: Vec<&str> = e
        .required_by
        .iter()
        .filter(|r| !r.declared)
        .map(|r| r.framework.id())
        .collect();
    if declared.is_empty() {
        out.push_str("  none of the system's frameworks\n");
    } else {
        let _ = writeln!(out, "  {} (the system's)", declared.join(", "));
    }
    if !other.is_empty() {
        let _ = writeln!(out, "  also {}", other.join(", "));
    }
    if !e.informs.is_empty() {
        out.push_str("\ninforms (crosswalk; supports, never satisfies):\n");
        for i in &e.informs {
            let _ = writeln!(out, "  {} {}: {}", i.requirement, i.title, i.status);
        }
    }
    if !e.informed_by.is_empty() {
        out.push_str("\ninformed by (crosswalk):\n");
        for i in &e.informed_by {
            let _ = writeln!(out, "  {}: {}", i.control, i.status);
        }
    }

    out.push_str("\nimplemented by:\n");
    if e.implemented_by.is_empty() {
        out.push_str("  nothing: no item emits an enforcing artifact for it\n");
    }
    for m in &e.implemented_by {
        let _ = writeln!(out, "  {}", item(&m.item));
        for w in &m.why {
            let _ = writeln!(out, "    why: {}", why(w));
        }
        for a in &m.artifacts {
            let _ = writeln!(out, "    emits: {a}");
        }
    }
    if !e.supported_by.is_empty() {
        out.push_str("\nsupported by (enforcing artifacts that meet part of it):\n");
        for m in &e.supported_by {
            let _ = writeln!(out, "  {}", item(&m.item));
            for w in &m.why {
                let _ = writeln!(out, "    why: {}", why(w));
            }
            for a in &m.artifacts {
                let _ = writeln!(out, "    emits: {a}");
            }
        }
    }
    if !e.claimed_by.is_empty() {
        out.push_str("\nclaimed by (no enforcing artifact yet):\n");
        for m in &e.claimed_by {
            let _ = writeln!(out, "  {}", item(&m.item));
            for w in &m.why {
                let _ = writeln!(out, "    why: {}", why(w));
            }
        }
    }

    out.push_str("\nenforced by (output files):\n");
    if e.enforced_by.is_empty() {
        out.push_str("  none\n");
    }
    for a in &e.enforced_by {
        let _ = writeln!(out, "  {a}");
    }
    out.push_str("\nverified by:\n");
    if e.verified_by.is_empty() {
        out.push_str("  no check has verified its artifacts\n");
    }
    for v in &e.verified_by {
        let _ = writeln!(
            out,
            "  {}: {} ({})",
            v.check,
            v.title,
            v.artifacts.join(", ")
        );
    }
    if !e.declarations.is_empty() {
        out.push_str("\ndeclared in controls:\n");
        for d in &e.declarations {
            let _ = writeln!(out, "  {} {}: {}", d.status, item(&d.item), d.detail);
        }
    }
    if !e.exceptions.is_empty() {
        out.push_str("\nexceptions:\n");
        for x in &e.exceptions {
            let waived: Vec<String> = x.waives.iter().map(ToString::to_string).collect();
            let _ = write!(
                out,
                "  {} waives {}; owner {}, expires {}",
                item(&x.item),
                waived.join(", "),
                x.owner,
                x.expires
            );
            if let Some(t) = &x.ticket {
                let _ = write!(out, ", ticket {t}");
            }
            if !x.scope.is_empty() {
                let _ = write!(out, ", scope {}", x.scope.join(", "));
            }
            out.push('\n');
        }
    }
    if !e.enhancements.is_empty() {
        out.push_str("\nenhancements the system's frameworks require:\n");
        for x in &e.enhancements {
            let _ = writeln!(out, "  {} {}: {}", x.control, x.title, x.status);
        }
    }
    out.push_str("\ngaps:\n");
    if e.gaps.is_empty() {
        out.push_str("  none in the system's frameworks\n");
    }
    for g in &e.gaps {
        let _ = writeln!(out, "  {g}");
    }
    out
}
