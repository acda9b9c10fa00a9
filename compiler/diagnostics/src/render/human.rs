//! The human format: rustc-style reports drawn by `annotate-snippets`, the renderer rustc uses.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::locate;
use super::redact::Redactor;
use crate::{Diagnostic, Severity, Sources};

/// Renders every diagnostic like rustc does, each followed by a blank line:
///
/// ```text
/// error[P0001]: expected `}`
///  --> a.posture:3:1
///   |
/// 3 | control x {
///   |           ^ unclosed here
///   |
///   = help: add `}` after the last field
/// ```
///
/// A diagnostic without a usable span is the header line with its help and notes. `color`
/// adds ANSI colours. Control characters and bidirectional overrides in messages and source
/// lines are replaced by visible symbols, so input cannot drive the terminal. Secrets marked
/// by any of the diagnostics are shown as `[redacted]`, in the source lines and in the texts.
pub fn human(diags: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let renderer = renderer(color);
    let redactor = Redactor::new(diags, sources);
    let mut out = String::new();
    for d in diags {
        out.push_str(&render_one(d, sources, &renderer, &redactor));
        out.push_str("\n\n");
    }
    out
}

/// The closing line of a run, or `None` when there is nothing to report:
/// `error: could not check the posture due to 2 errors; 1 warning emitted`, or
/// `warning: 1 warning emitted` when there are only warnings. No trailing newline.
pub fn summary(diags: &[Diagnostic], color: bool) -> Option<String> {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let title = if errors > 0 {
        let mut text = format!(
            "could not check the posture due to {}",
            plural(errors, "error")
        );
        if warnings > 0 {
            text.push_str(&format!("; {} emitted", plural(warnings, "warning")));
        }
        Level::ERROR.primary_title(text)
    } else if warnings > 0 {
        Level::WARNING.primary_title(format!("{} emitted", plural(warnings, "warning")))
    } else {
        return None;
    };
    Some(renderer(color).render(&[Group::with_title(title)]))
}

/// `1 error`, `2 errors`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The renderer for both colour choices; the terminal width is fixed so output does not
/// depend on the environment.
fn renderer(color: bool) -> Renderer {
    if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}

/// Replaces control characters (other than line breaks) by visible symbols, line by line.
fn clean(s: &str) -> String {
    s.split('\n')
        .map(annotate_snippets::normalize_untrusted_str)
        .collect::<Vec<_>>()
        .join("\n")
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// One underline: primary or secondary, the clamped byte range, and its label (may be empty).
type Mark = (AnnotationKind, std::ops::Range<usize>, String);

/// One diagnostic in the human format, without a trailing newline. Also used for the bodies
/// of JUnit failures.
pub(crate) fn render_one(
    d: &Diagnostic,
    sources: &Sources,
    renderer: &Renderer,
    redactor: &Redactor,
) -> String {
    let clean = |s: &str| clean(&redactor.text(s));
    let title = level(d.severity)
        .primary_title(clean(&d.message))
        .id(d.code.id);

    // Annotations grouped per file: the primary span's file first, then the files of the
    // secondary labels in the order the labels appear.
    let mut files: Vec<(crate::FileId, Vec<Mark>)> = Vec::new();
    let mut add = |file, kind, range, label: String| {
        let slot = match files.iter().position(|(f, _)| *f == file) {
            Some(i) => i,
            None => {
                files.push((file, Vec::new()));
                files.len() - 1
            }
        };
        files[slot].1.push((kind, range, label));
    };
    // Things that should have been shown at a location that does not exist.
    let mut stray_notes: Vec<String> = Vec::new();

    match d.span.and_then(|s| locate(sources, s)) {
        Some(at) => add(
            at.file.id,
            AnnotationKind::Primary,
            at.start..at.end,
            d.label.as_deref().map(&clean).unwrap_or_default(),
        ),
        None => {
            if let Some(label) = &d.label {
                stray_notes.push(clean(label));
            }
        }
    }
    for label in &d.labels {
        match locate(sources, label.span) {
            Some(at) => add(
                at.file.id,
                AnnotationKind::Context,
                at.start..at.end,
                clean(&label.message),
            ),
            None => stray_notes.push(clean(&label.message)),
        }
    }

    // Only the lines the annotations touch go to the renderer, so a large file with many
    // diagnostics is not re-scanned whole for each of them; redacted parts are replaced first.
    let shown: Vec<_> = files
        .iter()
        .filter_map(|(file, annotations)| {
            let source = sources.get(*file)?;
            let text = &*source.text;
            let lo = annotations.iter().map(|m| m.1.start).min().unwrap_or(0);
            let hi = annotations.iter().map(|m| m.1.end).max().unwrap_or(0);
            let from = text[..lo].rfind('\n').map_or(0, |i| i + 1);
            let to = text[hi..].find('\n').map_or(text.len(), |i| hi + i + 1);
            Some((
                source,
                redactor.snippet(*file, text, from, to),
                from,
                annotations,
            ))
        })
        .collect();
    let mut group = Group::with_title(title);
    for (source, shown, from, annotations) in &shown {
        let mut snippet = Snippet::source(&*shown.text)
            .line_start(source.line_col(*from).line)
            .path(source.path.as_str())
            .fold(true);
        for (kind, range, label) in annotations.iter() {
            let mut annotation = kind.span(shown.map(range.clone()));
            if !label.is_empty() {
                annotation = annotation.label(label.as_str());
            }
            snippet = snippet.annotation(annotation);
        }
        group = group.element(snippet);
    }
    for help in &d.help {
        group = group.element(Level::HELP.message(clean(help)));
    }
    for note in d.notes.iter().map(|n| clean(n)).chain(stray_notes) {
        group = group.element(Level::NOTE.message(note));
    }
    renderer.render(&[group])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{io::P9004, syntax::P0001};
    use crate::{Diagnostic, Span};

    #[test]
    fn renders_header_location_snippet_and_footers() {
        let mut s = Sources::new();
        let f = s.add("a.posture", "control x {\n  level = high\n");
        let d = Diagnostic::spanned(&P0001, Span::new(f, 14, 19), "unknown field `level`")
            .with_label("not a field of `control`")
            .with_help("did you mean `levels`?")
            .with_note("fields are listed in the reference");
        let out = human(&[d], &s, false);
        assert!(
            out.starts_with("error[P0001]: unknown field `level`\n"),
            "{out}"
        );
        assert!(out.contains("--> a.posture:2:3"), "{out}");
        assert!(out.contains("^^^^^ not a field of `control`"), "{out}");
        assert!(out.contains("= help: did you mean `levels`?"), "{out}");
        assert!(
            out.contains("= note: fields are listed in the reference"),
            "{out}"
        );
        assert!(!out.contains('\u{1b}'), "no colour unless asked");
        assert!(human(&[], &s, true).is_empty());
    }

    #[test]
    fn colour_only_when_asked() {
        let s = Sources::new();
        let d = Diagnostic::new(&P9004, "`x.posture` is empty");
        assert!(human(std::slice::from_ref(&d), &s, true).contains('\u{1b}'));
        assert!(!human(&[d], &s, false).contains('\u{1b}'));
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        let s = Sources::new();
        let d = Diagnostic::new(&P9004, "bad \u{1b}[31mname\u{202e}");
        let out = human(&[d], &s, false);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{out}"
        );
    }

    #[test]
    fn summary_counts() {
        let e = Diagnostic::new(&P0001, "e");
        let w = Diagnostic::new(&P9004, "w");
        assert_eq!(summary(&[], false), None);
        assert_eq!(
            summary(std::slice::from_ref(&w), false).as_deref(),
            Some("warning: 1 warning emitted")
        );
        assert_eq!(
            summary(&[e.clone(), e.clone(), w.clone()], false).as_deref(),
            Some("error: could not check the posture due to 2 errors; 1 warning emitted")
        );
        assert_eq!(
            summary(&[e], false).as_deref(),
            Some("error: could not check the posture due to 1 error")
        );
    }

    #[test]
    fn line_numbers_far_into_a_file_and_crlf() {
        let mut s = Sources::new();
        let text: String = (1..=1200).map(|i| format!("line {i}\r\n")).collect();
        let f = s.add("big.posture", text.clone());
        let at = text.find("line 1000").unwrap_or(0);
        let first = text.find("line 3\r").unwrap_or(0);
        let d = Diagnostic::spanned(&P0001, Span::new(f, at, at + 4), "here")
            .with_secondary(Span::new(f, first, first + 4), "and there");
        let out = human(&[d], &s, false);
        assert!(out.contains("--> big.posture:1000:1"), "{out}");
        assert!(out.contains("1000 | line 1000"), "{out}");
        assert!(out.contains("   3 | line 3"), "{out}");
        assert!(
            !out.contains("line 500"),
            "unannotated lines are folded: {out}"
        );
    }
}
