//! The JUnit XML format, for CI systems that show test reports: each checked file is a test
//! case that fails when it has errors.

use std::collections::BTreeMap;

use annotate_snippets::Renderer;

use super::human::render_one;
use super::locate;
use super::redact::Redactor;
use super::xml::XmlWriter;
use crate::{Diagnostic, FileId, Severity, Sources};

/// The test case name for diagnostics that belong to no file (a flag, an unreadable path).
const NO_FILE: &str = "(posture)";

/// Renders a JUnit XML report with one `<testsuite name="posture">`.
///
/// There is one `<testcase>` per file in `files_checked`, plus one per other file that has a
/// diagnostic, in [`FileId`] order (the loaders' sorted path order), then a test case named
/// `(posture)` when some diagnostics have no location. Each error is a `<failure>` whose
/// `type` is the code, whose `message` is `P0001: message` and whose body is the diagnostic
/// in the human format without colour; warnings and notes go, rendered the same way, to the
/// test case's `<system-out>`. `tests` counts test cases and `failures` the failing ones.
pub fn junit(diags: &[Diagnostic], sources: &Sources, files_checked: &[FileId]) -> String {
    // `None` is the test case for diagnostics without a file; it sorts after every file.
    let mut cases: BTreeMap<(bool, Option<FileId>), Vec<&Diagnostic>> = BTreeMap::new();
    for f in files_checked {
        if sources.get(*f).is_some() {
            cases.entry((false, Some(*f))).or_default();
        }
    }
    for d in diags {
        let file = d.span.and_then(|s| locate(sources, s)).map(|at| at.file.id);
        cases.entry((file.is_none(), file)).or_default().push(d);
    }

    let renderer = Renderer::plain();
    let redactor = Redactor::new(diags, sources);
    let tests = cases.len().to_string();
    let failures = cases
        .values()
        .filter(|ds| ds.iter().any(|d| d.severity == Severity::Error))
        .count()
        .to_string();
    let counts: [(&'static str, &str); 4] = [
        ("tests", &tests),
        ("failures", &failures),
        ("errors", "0"),
        ("skipped", "0"),
    ];

    let mut w = XmlWriter::new();
    w.open(
        "testsuites",
        &[("name", "posture"), counts[0], counts[1], counts[2]],
    );
    w.open(
        "testsuite",
        &[&[("name", "posture")][..], &counts[..]].concat(),
    );
    for ((_, file), ds) in &cases {
        let name = file
            .and_then(|f| sources.get(f))
            .map_or(NO_FILE, |f| f.path.as_str());
        let mut attrs: Vec<(&'static str, &str)> = vec![("name", name), ("classname", "posture")];
        if file.is_some() {
            attrs.push(("file", name));
        }
        if ds.is_empty() {
            w.leaf("testcase", &attrs, None);
            continue;
        }
        w.open("testcase", &attrs);
        let mut out: Vec<String> = Vec::new();
        for d in ds {
            let rendered = render_one(d, sources, &renderer, &redactor);
            if d.severity == Severity::Error {
                let message = format!("{}: {}", d.code.id, redactor.text(&d.message));
                w.leaf(
                    "failure",
                    &[("message", &message), ("type", d.code.id)],
                    Some(&rendered),
                );
            } else {
                out.push(rendered);
            }
        }
        if !out.is_empty() {
            w.leaf("system-out", &[], Some(&out.join("\n\n")));
        }
        w.close();
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;
    use crate::codes::{io::P9004, syntax::P0001};

    #[test]
    fn a_case_per_file_and_failures_per_error() {
        let mut s = Sources::new();
        let a = s.add("a.posture", "x <y> & z\n");
        let b = s.add("b.posture", "ok\n");
        let c = s.add("c.posture", "");
        let diags = [
            Diagnostic::spanned(&P0001, Span::new(a, 2, 5), "unexpected `<y>`"),
            Diagnostic::spanned(&P0001, Span::new(a, 8, 9), "unexpected `z`"),
            Diagnostic::spanned(&P9004, Span::new(c, 0, 0), "`c.posture` is empty"),
            Diagnostic::new(&P9004, "no file"),
        ];
        let out = junit(&diags, &s, &[b, a]);
        assert!(
            out.contains("<testsuite name=\"posture\" tests=\"4\" failures=\"1\""),
            "{out}"
        );
        assert_eq!(out.matches("<failure ").count(), 2, "{out}");
        assert!(
            out.contains("message=\"P0001: unexpected `&lt;y&gt;`\""),
            "{out}"
        );
        assert!(
            out.contains("<testcase name=\"b.posture\" classname=\"posture\" file=\"b.posture\"/>"),
            "{out}"
        );
        assert!(out.contains("<testcase name=\"(posture)\""), "{out}");
        // Files in id order, the file-less case last.
        let pos = |n: &str| out.find(n).expect(n);
        assert!(pos("\"a.posture\"") < pos("\"b.posture\""));
        assert!(pos("\"c.posture\"") < pos("\"(posture)\""));
        assert!(out.contains("<system-out>warning[P9004]"), "{out}");
    }
}
