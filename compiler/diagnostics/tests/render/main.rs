//! Integration tests of the renderers: snapshots of every format on hand-built diagnostics,
//! SARIF validated against the OASIS schema, and no panic on any span.

mod redaction;
mod robustness;
mod sarif_schema;
mod snapshots;

use diagnostics::codes::{io::P9004, syntax::P0001};
use diagnostics::{Diagnostic, FileId, Severity, Sources, Span};

/// The text of `policy.posture`: multi-byte characters before and inside spans, no trailing
/// newline so that its end is on the last line.
pub const POLICY: &str =
    "control \"zugriff-ä\" {\n  title = \"Zugriffsbeschränkung 😀\"\n  level = hgih\n}";

/// A run with three files, and the files it checked.
pub fn sample_sources() -> (Sources, Vec<FileId>) {
    let mut s = Sources::new();
    let empty = s.add("empty.posture", "");
    let other = s.add("lib/übersicht.posture", "import policy\n");
    let policy = s.add("policy.posture", POLICY);
    (s, vec![empty, other, policy])
}

/// The byte offset of the first `needle` in `POLICY`.
fn at(needle: &str) -> usize {
    POLICY.find(needle).unwrap_or(0)
}

/// Diagnostics covering the shapes renderers must handle.
pub fn sample_diagnostics() -> Vec<Diagnostic> {
    let (empty, other, policy) = (FileId(0), FileId(1), FileId(2));
    let level = at("hgih");
    let eof = POLICY.len();
    vec![
        // A primary span with a label, a secondary label in the same file and one in
        // another file, help and a note.
        Diagnostic::spanned(
            &P0001,
            Span::new(policy, level, level + 4),
            "unknown level `hgih`",
        )
        .with_label("expected `low`, `moderate` or `high`")
        .with_secondary(Span::new(policy, 0, 7), "in this control")
        .with_secondary(Span::new(other, 7, 13), "imported here")
        .with_help("did you mean `high`?")
        .with_note("levels are ordered: low < moderate < high"),
        // A span over multi-byte characters, starting inside `ä` and ending inside `😀`.
        Diagnostic::spanned(
            &P0001,
            Span::new(policy, at("ä") + 1, at("😀") + 2),
            "title and id use characters outside ASCII",
        )
        .with_severity(Severity::Note),
        // An empty span at the very end of the file.
        Diagnostic::spanned(
            &P0001,
            Span::new(policy, eof, eof),
            "unexpected end of file",
        )
        .with_label("expected `}`"),
        // A span past the end of the file, clamped to it.
        Diagnostic::spanned(
            &P0001,
            Span::new(policy, eof + 10, eof + 500),
            "span past the end",
        )
        .with_label("clamped"),
        // A span over several lines.
        Diagnostic::spanned(
            &P0001,
            Span::new(policy, at("title"), at("level") + 5),
            "two lines",
        )
        .with_label("these"),
        // A warning on an empty file, and one without any span.
        Diagnostic::spanned(&P9004, Span::new(empty, 0, 0), "`empty.posture` is empty"),
        Diagnostic::new(&P9004, "`nothing.posture` is empty")
            .with_help("delete it, or add a `control`")
            .with_note("special characters: <tag> & \"quotes\", 100% sure: a,b"),
        // A span into a file that is not part of the run.
        Diagnostic::spanned(
            &P0001,
            Span::new(FileId(42), 0, 3),
            "file unknown to the run",
        ),
    ]
}
