//! Renderers: one diagnostic model, several formats.
//!
//! Every renderer takes the diagnostics in the order given (callers sort them first with
//! [`crate::Diagnostics::sort`]) and returns the whole document as a `String`, so the same
//! diagnostics always give the same bytes. Spans that point past the end of their file or into
//! the middle of a character are clamped, and spans into files that are not in [`Sources`] are
//! rendered as if they had no location: no input makes a renderer panic.
//!
//! | format | for | module |
//! | --- | --- | --- |
//! | human | terminals, like rustc | [`human`] |
//! | json | scripts; a stable array of [`JsonDiagnostic`] | [`json`] |
//! | sarif | code scanning (SARIF 2.1.0) | [`sarif`] |
//! | junit | CI test reports (JUnit XML) | [`junit`] |
//! | github | GitHub Actions annotations (workflow commands) | [`github`] |
//!
//! Every renderer shows text through one [`redact`] step: spans a diagnostic marks as secret
//! ([`crate::Diagnostic::redact`], set by P1024) are `[redacted]` in every source line shown
//! and in every message, label, help and note of every diagnostic of the run; a quoted piece
//! the secret detector flags is redacted too, and each text is cut to [`MESSAGE_MAX`]
//! characters.

mod github;
mod human;
mod json;
mod junit;
mod redact;
mod sarif;
mod xml;

pub use github::github;
pub use human::{human, summary};
pub use json::{JsonDiagnostic, JsonLabel, JsonPosition, json};
pub use junit::junit;
pub use redact::{MESSAGE_MAX, REDACTED};
pub use sarif::sarif;

use crate::{Code, Diagnostic, FileId, LineCol, SourceFile, Sources, Span};

/// An output format for diagnostics, as chosen on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// Like rustc: a header, the source lines with the span underlined, help and notes.
    /// `color` adds ANSI colours; the CLI sets it when standard error is a terminal.
    Human { color: bool },
    /// A pretty-printed JSON array of [`JsonDiagnostic`].
    Json,
    /// One SARIF 2.1.0 log. `help_base_url`, when it is an absolute URL (the root of the
    /// published book), gives each rule a `helpUri` of `<base>/diagnostics/<ID>.html`.
    Sarif { help_base_url: Option<String> },
    /// JUnit XML: one test case per checked file, one `<failure>` per error.
    Junit,
    /// GitHub Actions workflow commands (`::error file=…::message`), one line each.
    Github,
}

impl Format {
    /// The names [`Format::from_name`] accepts, for command-line help.
    pub const NAMES: &'static [&'static str] = &["human", "json", "sarif", "junit", "github"];

    /// The format called `name` (one of [`Format::NAMES`]); `color` only matters for
    /// `human`, and SARIF gets no help base URL.
    pub fn from_name(name: &str, color: bool) -> Option<Format> {
        match name {
            "human" => Some(Format::Human { color }),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif {
                help_base_url: None,
            }),
            "junit" => Some(Format::Junit),
            "github" => Some(Format::Github),
            _ => None,
        }
    }

    /// The name of this format, as in [`Format::NAMES`].
    pub fn name(&self) -> &'static str {
        match self {
            Format::Human { .. } => "human",
            Format::Json => "json",
            Format::Sarif { .. } => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
        }
    }
}

/// Renders `diags` in `format`. `files_checked` lists every file the run looked at; only the
/// JUnit report uses it (a file without diagnostics is a passing test case).
pub fn render(
    format: &Format,
    diags: &[Diagnostic],
    sources: &Sources,
    files_checked: &[FileId],
) -> String {
    match format {
        Format::Human { color } => human(diags, sources, *color),
        Format::Json => json(diags, sources),
        Format::Sarif { help_base_url } => sarif(diags, sources, help_base_url.as_deref()),
        Format::Junit => junit(diags, sources, files_checked),
        Format::Github => github(diags, sources),
    }
}

/// The book page documenting `code`, relative to the repository root
/// (`book/src/diagnostics/P0001.md`).
pub fn doc_path(code: &Code) -> String {
    format!("book/src/diagnostics/{}.md", code.id)
}

/// A span made safe to use: its file exists, `start <= end <= text.len()`, both on character
/// boundaries, and the 1-based positions of both ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located<'s> {
    pub file: &'s SourceFile,
    pub start: usize,
    pub end: usize,
    pub start_pos: LineCol,
    pub end_pos: LineCol,
}

/// Resolves `span` against `sources`, clamping it into its file: offsets past the end move to
/// the end, a start inside a character moves back to it, an end inside one moves past it,
/// and reversed offsets are swapped. `None` when the file is unknown.
pub(crate) fn locate(sources: &Sources, span: Span) -> Option<Located<'_>> {
    let file = sources.get(span.file)?;
    let text = &file.text;
    let (lo, hi) = if span.start <= span.end {
        (span.start, span.end)
    } else {
        (span.end, span.start)
    };
    let mut start = (lo as usize).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (hi as usize).min(text.len()).max(start);
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Some(Located {
        file,
        start,
        end,
        start_pos: file.line_col(start),
        end_pos: file.line_col(end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(text: &str) -> (Sources, FileId) {
        let mut s = Sources::new();
        let id = s.add("a.posture", text);
        (s, id)
    }

    #[test]
    fn locate_clamps_past_the_end() {
        let (s, f) = sources("ab\ncd");
        let l = locate(&s, Span::new(f, 4, 99)).expect("file exists");
        assert_eq!((l.start, l.end), (4, 5));
        assert_eq!((l.start_pos.line, l.start_pos.column), (2, 2));
        assert_eq!((l.end_pos.line, l.end_pos.column), (2, 3));
        let l = locate(&s, Span::new(f, 50, 99)).expect("file exists");
        assert_eq!((l.start, l.end), (5, 5));
    }

    #[test]
    fn locate_snaps_to_char_boundaries() {
        // `é` is two bytes (1..3), `😀` four (3..7).
        let (s, f) = sources("xé😀y");
        let l = locate(&s, Span::new(f, 2, 4)).expect("file exists");
        assert_eq!((l.start, l.end), (1, 7));
        assert_eq!(l.start_pos.column, 2);
        assert_eq!(l.end_pos.column, 4);
    }

    #[test]
    fn locate_swaps_reversed_spans_and_rejects_unknown_files() {
        let (s, f) = sources("abcdef");
        let l = locate(&s, Span::new(f, 4, 1)).expect("file exists");
        assert_eq!((l.start, l.end), (1, 4));
        assert!(locate(&s, Span::new(FileId(7), 0, 1)).is_none());
    }

    #[test]
    fn format_names_round_trip() {
        for name in Format::NAMES {
            let f = Format::from_name(name, false).expect("known name");
            assert_eq!(f.name(), *name);
        }
        assert_eq!(Format::from_name("yaml", false), None);
    }
}
