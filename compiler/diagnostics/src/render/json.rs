//! The JSON format: a stable array of plain records, independent of the internal types so
//! that refactoring [`Diagnostic`] never changes what scripts read.

use serde::{Deserialize, Serialize};

use super::redact::Redactor;
use super::{Located, doc_path, locate};
use crate::{Diagnostic, Sources, Span};

/// One diagnostic as the JSON format writes it. Every key is always present; missing values
/// are `null` or empty arrays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonDiagnostic {
    /// The stable code, e.g. `P0001`.
    pub code: String,
    /// The code's kebab-case name, e.g. `syntax-error`.
    pub name: String,
    /// `error`, `warning` or `note`.
    pub severity: String,
    /// The one-sentence message.
    pub message: String,
    /// The primary location's file (relative, `/`-separated), or `null`.
    pub file: Option<String>,
    /// Where the primary span starts, or `null`.
    pub start: Option<JsonPosition>,
    /// Where the primary span ends (exclusive), or `null`.
    pub end: Option<JsonPosition>,
    /// The text shown at the primary location, or `null`.
    pub label: Option<String>,
    /// Secondary locations.
    pub labels: Vec<JsonLabel>,
    /// Suggestions, in order.
    pub help: Vec<String>,
    /// Further explanations, in order.
    pub notes: Vec<String>,
    /// The book page about the code, relative to the repository root.
    pub doc: String,
}

/// A position in a file: 1-based line, 1-based column counted in Unicode characters, and the
/// 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonPosition {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in Unicode characters.
    pub column: usize,
    /// 0-based byte offset in the file.
    pub offset: usize,
}

/// A secondary location with its message. `file`, `start` and `end` are `null` when the
/// label points into a file that is not part of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonLabel {
    /// The label's file (relative, `/`-separated), or `null`.
    pub file: Option<String>,
    /// Where the label's span starts, or `null`.
    pub start: Option<JsonPosition>,
    /// Where the label's span ends (exclusive), or `null`.
    pub end: Option<JsonPosition>,
    /// The text shown at the label.
    pub message: String,
}

/// Renders `diags` as a pretty-printed JSON array of [`JsonDiagnostic`], with a final newline.
pub fn json(diags: &[Diagnostic], sources: &Sources) -> String {
    let redactor = Redactor::new(diags, sources);
    let records: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| record(d, sources, &redactor))
        .collect();
    crate::to_json(&records)
}

/// The JSON record of one diagnostic.
pub(crate) fn record(d: &Diagnostic, sources: &Sources, redactor: &Redactor) -> JsonDiagnostic {
    let text = |s: &String| redactor.text(s);
    let (file, start, end) = position(sources, d.span);
    JsonDiagnostic {
        code: d.code.id.to_string(),
        name: d.code.name.to_string(),
        severity: d.severity.as_str().to_string(),
        message: text(&d.message),
        file,
        start,
        end,
        label: d.label.as_ref().map(text),
        labels: d
            .labels
            .iter()
            .map(|l| {
                let (file, start, end) = position(sources, Some(l.span));
                JsonLabel {
                    file,
                    start,
                    end,
                    message: text(&l.message),
                }
            })
            .collect(),
        help: d.help.iter().map(text).collect(),
        notes: d.notes.iter().map(text).collect(),
        doc: doc_path(d.code),
    }
}

type Position = (Option<String>, Option<JsonPosition>, Option<JsonPosition>);

fn position(sources: &Sources, span: Option<Span>) -> Position {
    match span.and_then(|s| locate(sources, s)) {
        Some(Located {
            file,
            start,
            end,
            start_pos,
            end_pos,
        }) => (
            Some(file.path.clone()),
            Some(JsonPosition {
                line: start_pos.line,
                column: start_pos.column,
                offset: start,
            }),
            Some(JsonPosition {
                line: end_pos.line,
                column: end_pos.column,
                offset: end,
            }),
        ),
        None => (None, None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{io::P9004, syntax::P0001};

    #[test]
    fn round_trips_and_keeps_every_key() {
        let mut s = Sources::new();
        let f = s.add("a.posture", "héllo\n");
        let d = Diagnostic::spanned(&P0001, Span::new(f, 3, 5), "bad")
            .with_secondary(Span::new(f, 0, 1), "here")
            .with_help("h");
        let text = json(&[d, Diagnostic::new(&P9004, "empty")], &s);
        let back: Vec<JsonDiagnostic> = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].file.as_deref(), Some("a.posture"));
        let start = back[0].start.expect("start");
        let end = back[0].end.expect("end");
        assert_eq!((start.line, start.column, start.offset), (1, 3, 3));
        assert_eq!((end.line, end.column, end.offset), (1, 5, 5));
        assert_eq!(back[0].labels[0].message, "here");
        assert_eq!(back[1].severity, "warning");
        assert_eq!(back[1].doc, "book/src/diagnostics/P9004.md");
        let raw: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert!(raw[1]["file"].is_null() && raw[1]["start"].is_null());
        assert_eq!(json(&[], &s), "[]\n");
    }
}
