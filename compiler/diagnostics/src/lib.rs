//! Source files, spans, the one diagnostic type every phase reports with, and the registry of
//! stable diagnostic codes.
//!
//! Rendering (human, JSON, SARIF, JUnit, GitHub annotations) lives in [`render`]; it is an
//! edge concern and never influences what a phase reports.

pub mod codes;
mod json;
pub mod render;
pub mod secret;
mod source;
mod suggest;

pub use codes::Code;
pub use json::{to_json, to_json_sized};
pub use source::{FileId, LineCol, SourceFile, Sources, Span, Spanned};
pub use suggest::did_you_mean;

/// The most characters of user text a message quotes (see [`quote`]).
pub const QUOTE_MAX: usize = 80;

/// User text as a message quotes it: at most [`QUOTE_MAX`] characters, cut with `…`, so a
/// 40 MiB label value never becomes a 40 MiB diagnostic. Use it wherever a message repeats
/// what the user wrote: `format!("`{}` is not a valid label value", quote(&value))`.
pub fn quote(s: &str) -> std::borrow::Cow<'_, str> {
    truncate(s, QUOTE_MAX)
}

/// `s` cut to at most `max` characters (the last one `…` when it was cut).
pub fn truncate(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
            std::borrow::Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// How bad a diagnostic is. Errors stop the pipeline before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    /// The lowercase word used in every rendering.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A secondary location with a short message, shown under the primary one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding about the input: a stable code, a one-sentence message (lowercase, no trailing
/// period, user input in backticks), where it is, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub code: &'static Code,
    pub severity: Severity,
    pub message: String,
    /// The primary location; `None` only for diagnostics about things that have no source
    /// text (a path that cannot be read, a command-line flag).
    pub span: Option<Span>,
    /// A short text shown at the primary location.
    pub label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Vec<String>,
    pub notes: Vec<String>,
    /// Spans whose source text is a secret (P1024 sets them). No renderer shows their text:
    /// not in this diagnostic's snippet, nor in any other diagnostic rendered with it, nor
    /// quoted in a message, label, help or note.
    pub redact: Vec<Span>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: &'static Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity,
            message: message.into(),
            span: None,
            label: None,
            labels: Vec::new(),
            help: Vec::new(),
            notes: Vec::new(),
            redact: Vec::new(),
        }
    }

    /// Shorthand for [`Diagnostic::new`] followed by [`Diagnostic::at`].
    pub fn spanned(code: &'static Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(code, message).at(span)
    }

    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Marks the text at `span` as a secret: every renderer hides it (see [`Diagnostic::redact`]).
    pub fn redacting(mut self, span: Span) -> Self {
        self.redact.push(span);
        self
    }

    /// Adds "did you mean `x`?" when one of `candidates` is close to `input`.
    pub fn with_did_you_mean<'a>(
        mut self,
        input: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        if let Some(best) = did_you_mean(input, candidates) {
            self.help.push(format!("did you mean `{best}`?"));
        }
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics a phase collected. Phases return `(T, Diagnostics)` and keep going after an
/// error wherever they can, so one run reports every problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }
    pub fn warning_count(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
    /// Sorts by file, position, then code, so output order never depends on the order in
    /// which phases or files were processed.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let ka = (
                a.span.map(|s| (s.file, s.start, s.end)),
                a.code.id,
                &a.message,
            );
            let kb = (
                b.span.map(|s| (s.file, s.start, s.end)),
                b.code.id,
                &b.message,
            );
            ka.cmp(&kb)
        });
    }
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(v: Vec<Diagnostic>) -> Self {
        Diagnostics(v)
    }
}
