//! The report as text (for a terminal), JSON (the typed model), Markdown (a pull-request
//! comment) and GitHub workflow annotations (`::warning file=…,line=…::…` at the new
//! revision's sources where a change has a place there).

use crate::{
    ControlChange, ExceptionChangeKind, FieldChange, Flow, Location, ObjectChange,
    ObjectChangeKind, Outcome, Report, Score,
};

/// Pretty JSON of the typed report (field order is the model's; every list sorted).
pub fn json(r: &Report) -> String {
    diagnostics::to_json(r)
}

fn outcome_line(o: Outcome) -> &'static str {
    match o {
        Outcome::Unchanged => "no changes",
        Outcome::Changed => "changes, none of which widens the posture",
        Outcome::Widens => "the change widens the posture",
    }
}

fn at(l: &Option<Location>) -> String {
    l.as_ref()
        .map(|l| format!("  ({}:{})", l.file, l.line))
        .unwrap_or_default()
}

fn score(s: &Option<Score>) -> String {
    match s {
        Some(s) => format!("{}% ({}/{})", s.percent, s.covered, s.requirements),
        None => "(not listed)".into(),
    }
}

fn status(s: &Option<graph::Status>) -> &'static str {
    s.map(|s| s.name()).unwrap_or("(not listed)")
}

fn object_name(o: &ObjectChange) -> String {
    if o.namespace.is_empty() {
        format!("{} {}", o.kind, o.name)
    } else {
        format!("{} {}/{}", o.kind, o.namespace, o.name)
    }
}

fn field(f: &FieldChange, hidden: bool) -> String {
    match (&f.old, &f.new) {
        (Some(a), Some(b)) => format!("{}: {a} -> {b}", f.path),
        (Some(a), None) => format!("{}: removed ({a})", f.path),
        (None, Some(b)) => format!("{}: added ({b})", f.path),
        (None, None) if hidden => format!("{}: changed (value not shown)", f.path),
        (None, None) => format!("{}: changed", f.path),
    }
}

fn sign(c: ObjectChangeKind) -> char {
    match c {
        ObjectChangeKind::Added => '+',
        ObjectChangeKind::Removed => '-',
        ObjectChangeKind::Changed => '~',
    }
}

fn exception_kind(c: ExceptionChangeKind) -> &'static str {
    match c {
        ExceptionChangeKind::Added => "added",
        ExceptionChangeKind::Removed => "removed",
        ExceptionChangeKind::Widened => "widened",
        ExceptionChangeKind::Changed => "changed",
    }
}

fn mode(r: &Report) -> &'static str {
    match r.mode {
        crate::Mode::Sources => "sources",
        crate::Mode::Builds => "builds",
    }
}

/// Plain text for a terminal.
pub fn text(r: &Report) -> String {
    let mut s = format!("posture diff {} -> {} ({})\n", r.old, r.new, mode(r));
    if let Some(f) = &r.flows {
        for (title, list, mark) in [
            ("flows newly allowed", &f.allowed, '+'),
            ("flows newly denied", &f.denied, '-'),
        ] {
            if list.is_empty() {
                s.push_str(&format!("\n{title}: none\n"));
                continue;
            }
            s.push_str(&format!("\n{title} ({}):\n", list.len()));
            for x in list {
                s.push_str(&format!(
                    "  {mark} {} -> {} : {}{}\n",
                    x.from,
                    x.to,
                    x.connections,
                    at(&x.at)
                ));
            }
        }
    }
    if let Some(c) = &r.coverage {
        if c.controls.is_empty() && c.frameworks.is_empty() {
            s.push_str("\ncoverage: unchanged\n");
        } else {
            s.push_str(&format!("\ncoverage ({} controls):\n", c.controls.len()));
            for x in &c.controls {
                s.push_str(&format!("  {}\n", control_line(x)));
            }
            for f in &c.frameworks {
                s.push_str(&format!(
                    "  framework {}: {} -> {}\n",
                    f.framework,
                    score(&f.old),
                    score(&f.new)
                ));
            }
        }
    }
    if let Some(e) = &r.exceptions {
        if e.is_empty() {
            s.push_str("\nexceptions: none changed\n");
        } else {
            s.push_str(&format!("\nexceptions ({}):\n", e.len()));
            for x in e {
                s.push_str(&format!(
                    "  {} {}{}\n",
                    exception_kind(x.change),
                    x.name,
                    at(&x.at)
                ));
                for d in &x.details {
                    s.push_str(&format!("      {d}\n"));
                }
            }
        }
    }
    if r.objects.is_empty() {
        s.push_str("\nobjects: none changed\n");
    } else {
        s.push_str(&format!("\nobjects ({}):\n", r.objects.len()));
        for o in &r.objects {
            s.push_str(&format!(
                "  {} {}  {}{}\n",
                sign(o.change),
                object_name(o),
                o.file,
                at(&o.at)
            ));
            if let Some(w) = &o.widens {
                s.push_str(&format!("      widens: {w}\n"));
            }
            for f in &o.fields {
                s.push_str(&format!("      {}\n", field(f, o.values_hidden)));
            }
        }
    }
    if !r.not_available.is_empty() {
        s.push_str("\nnot available:\n");
        for u in &r.not_available {
            s.push_str(&format!("  {}: {}\n", u.section, u.reason));
        }
    }
    s.push_str(&format!("\nresult: {}\n", outcome_line(r.outcome)));
    s
}

fn control_line(x: &ControlChange) -> String {
    let title = if x.title.is_empty() {
        String::new()
    } else {
        format!(" {}", x.title)
    };
    format!(
        "{}{title}: {} -> {}{}  [{}]",
        x.control,
        status(&x.old),
        status(&x.new),
        if x.lower { " (lower)" } else { "" },
        x.frameworks.join(", ")
    )
}

/// A Markdown table cell: one line, `|` escaped, HTML inert, no backticks.
fn cell(t: &str) -> String {
    t.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
}

fn code(t: &str) -> String {
    if t.is_empty() {
        String::new()
    } else {
        format!("`{}`", cell(t))
    }
}

fn md_at(l: &Option<Location>) -> String {
    l.as_ref()
        .map(|l| code(&format!("{}:{}", l.file, l.line)))
        .unwrap_or_default()
}

/// Markdown for a pull-request comment.
pub fn markdown(r: &Report) -> String {
    let mut s = String::from("## posture diff\n\n");
    let verdict = match r.outcome {
        Outcome::Unchanged => "No changes.".to_string(),
        Outcome::Changed => "**Changes**, none of which widens the posture.".to_string(),
        Outcome::Widens => "**The change widens the posture.**".to_string(),
    };
    s.push_str(&format!(
        "{verdict} Compared {} {} with {}.\n",
        mode(r),
        code(&r.old),
        code(&r.new)
    ));
    if let Some(f) = &r.flows {
        s.push_str("\n### Flows\n\n");
        if f.allowed.is_empty() && f.denied.is_empty() {
            s.push_str("No flow becomes allowed or denied.\n");
        } else {
            s.push_str(
                "| | from | to | connections | declared at |\n| --- | --- | --- | --- | --- |\n",
            );
            let row = |what: &str, x: &Flow| {
                format!(
                    "| {what} | {} | {} | {} | {} |\n",
                    code(&x.from),
                    code(&x.to),
                    cell(&x.connections),
                    md_at(&x.at)
                )
            };
            for x in &f.allowed {
                s.push_str(&row("**allowed**", x));
            }
            for x in &f.denied {
                s.push_str(&row("denied", x));
            }
        }
    }
    if let Some(c) = &r.coverage {
        s.push_str("\n### Coverage\n\n");
        if c.controls.is_empty() && c.frameworks.is_empty() {
            s.push_str("No control's coverage changes.\n");
        }
        if !c.controls.is_empty() {
            s.push_str("| control | title | before | after | frameworks |\n| --- | --- | --- | --- | --- |\n");
            for x in &c.controls {
                let after = if x.lower {
                    format!("**{}** (lower)", status(&x.new))
                } else {
                    status(&x.new).to_string()
                };
                s.push_str(&format!(
                    "| {} | {} | {} | {after} | {} |\n",
                    code(&x.control),
                    cell(&x.title),
                    status(&x.old),
                    cell(&x.frameworks.join(", "))
                ));
            }
        }
        if !c.frameworks.is_empty() {
            s.push_str("\n| framework | before | after |\n| --- | --- | --- |\n");
            for f in &c.frameworks {
                s.push_str(&format!(
                    "| {} | {} | {} |\n",
                    code(&f.framework),
                    cell(&score(&f.old)),
                    cell(&score(&f.new))
                ));
            }
        }
    }
    if let Some(e) = &r.exceptions {
        s.push_str("\n### Exceptions\n\n");
        if e.is_empty() {
            s.push_str("No exception changes.\n");
        } else {
            s.push_str("| exception | change | details | at |\n| --- | --- | --- | --- |\n");
            for x in e {
                s.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    code(&x.name),
                    exception_kind(x.change),
                    cell(&x.details.join("; ")),
                    md_at(&x.at)
                ));
            }
        }
    }
    s.push_str("\n### Objects\n\n");
    if r.objects.is_empty() {
        s.push_str("No emitted object changes.\n");
    } else {
        s.push_str(
            "| change | object | file | fields | widens |\n| --- | --- | --- | --- | --- |\n",
        );
        for o in &r.objects {
            let fields: Vec<String> = o.fields.iter().map(|f| field(f, o.values_hidden)).collect();
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                match o.change {
                    ObjectChangeKind::Added => "added",
                    ObjectChangeKind::Removed => "removed",
                    ObjectChangeKind::Changed => "changed",
                },
                code(&object_name(o)),
                code(&o.file),
                cell(&fields.join("; ")),
                cell(o.widens.as_deref().unwrap_or(""))
            ));
        }
    }
    if !r.not_available.is_empty() {
        s.push_str("\n### Not available\n\n");
        for u in &r.not_available {
            s.push_str(&format!(
                "- **{}**: {}\n",
                cell(&u.section),
                cell(&u.reason)
            ));
        }
    }
    s
}

/// A workflow command's message: `%`, CR and LF escaped.
fn escape_data(t: &str) -> String {
    t.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`.
fn escape_property(t: &str) -> String {
    escape_data(t).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation: `::warning` or `::notice`, with a file and line when the change has a
/// place in the new revision's own sources (not the standard library's).
fn annotation(warning: bool, place: Option<&Location>, message: &str) -> String {
    let level = if warning { "warning" } else { "notice" };
    let mut props = vec![format!("title={}", escape_property("posture diff"))];
    if let Some(l) = place.filter(|l| !l.file.starts_with('<')) {
        props.insert(0, format!("file={}", escape_property(&l.file)));
        props.insert(1, format!("line={}", l.line));
        props.insert(2, format!("col={}", l.column));
    }
    format!("::{level} {}::{}\n", props.join(","), escape_data(message))
}

/// GitHub Actions workflow annotations: a warning for each widening change, a notice for
/// every other, and a summary notice.
pub fn github(r: &Report) -> String {
    let mut s = String::new();
    if let Some(f) = &r.flows {
        for x in &f.allowed {
            s.push_str(&annotation(
                true,
                x.at.as_ref(),
                &format!(
                    "newly allowed flow: {} -> {} : {}",
                    x.from, x.to, x.connections
                ),
            ));
        }
        for x in &f.denied {
            s.push_str(&annotation(
                false,
                None,
                &format!(
                    "newly denied flow: {} -> {} : {}",
                    x.from, x.to, x.connections
                ),
            ));
        }
    }
    if let Some(c) = &r.coverage {
        for x in &c.controls {
            s.push_str(&annotation(
                x.lower,
                None,
                &format!("coverage: {}", control_line(x)),
            ));
        }
        for f in &c.frameworks {
            s.push_str(&annotation(
                false,
                None,
                &format!(
                    "coverage of {}: {} -> {}",
                    f.framework,
                    score(&f.old),
                    score(&f.new)
                ),
            ));
        }
    }
    if let Some(e) = &r.exceptions {
        for x in e {
            let widening = matches!(
                x.change,
                ExceptionChangeKind::Added | ExceptionChangeKind::Widened
            );
            let place = (x.change != ExceptionChangeKind::Removed)
                .then_some(x.at.as_ref())
                .flatten();
            let mut m = format!("exception {} {}", x.name, exception_kind(x.change));
            if !x.details.is_empty() {
                m.push_str(&format!(": {}", x.details.join("; ")));
            }
            s.push_str(&annotation(widening, place, &m));
        }
    }
    for o in &r.objects {
        let mut m = format!(
            "object {} {} ({})",
            object_name(o),
            match o.change {
                ObjectChangeKind::Added => "added",
                ObjectChangeKind::Removed => "removed",
                ObjectChangeKind::Changed => "changed",
            },
            o.file
        );
        if let Some(w) = &o.widens {
            m.push_str(&format!(": widens: {w}"));
        }
        if !o.fields.is_empty() {
            let fields: Vec<String> = o.fields.iter().map(|f| field(f, o.values_hidden)).collect();
            m.push_str(&format!("\n{}", fields.join("\n")));
        }
        s.push_str(&annotation(o.widens.is_some(), o.at.as_ref(), &m));
    }
    for u in &r.not_available {
        s.push_str(&annotation(
            false,
            None,
            &format!(
                "not available from {}: {}: {}",
                mode(r),
                u.section,
                u.reason
            ),
        ));
    }
    s.push_str(&annotation(
        r.outcome == Outcome::Widens,
        None,
        &format!(
            "posture diff {} -> {}: {}",
            r.old,
            r.new,
            outcome_line(r.outcome)
        ),
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_their_parts() {
        let l = Location {
            file: "a,b:c.posture".into(),
            line: 3,
            column: 1,
        };
        assert_eq!(
            annotation(true, Some(&l), "50%\nnext"),
            "::warning file=a%2Cb%3Ac.posture,line=3,col=1,title=posture diff::50%25%0Anext\n"
        );
        let std = Location {
            file: "<std>/x.posture".into(),
            line: 1,
            column: 1,
        };
        assert_eq!(
            annotation(false, Some(&std), "m"),
            "::notice title=posture diff::m\n"
        );
    }

    #[test]
    fn cells_stay_in_their_column() {
        assert_eq!(cell("a|b\n<c>`d`"), "a\\|b &lt;c&gt;'d'");
    }
}
