//! Span invariants every diagnostic must keep, whatever the input: its file is known, and
//! `start <= end <= len`, both on character boundaries.

use diagnostics::{Diagnostic, Sources, Span};

/// Checks one span against the text it points into.
pub fn check_span(span: Span, text: &str) -> Result<(), String> {
    let (s, e) = (span.start as usize, span.end as usize);
    if s > e {
        return Err(format!("span {s}..{e} is reversed"));
    }
    if e > text.len() {
        return Err(format!(
            "span {s}..{e} ends past the text ({} bytes)",
            text.len()
        ));
    }
    if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
        return Err(format!("span {s}..{e} splits a character"));
    }
    Ok(())
}

/// Checks every diagnostic of a parse of `text` (one file).
pub fn check_parse<'a>(
    diags: impl IntoIterator<Item = &'a Diagnostic>,
    text: &str,
) -> Result<(), String> {
    for d in diags {
        for span in d.span.iter().chain(d.labels.iter().map(|l| &l.span)) {
            check_span(*span, text).map_err(|e| format!("[{}] {}: {e}", d.code.id, d.message))?;
        }
    }
    Ok(())
}

/// Checks every diagnostic of a whole run against the run's sources.
pub fn check_run<'a>(
    diags: impl IntoIterator<Item = &'a Diagnostic>,
    sources: &Sources,
) -> Result<(), String> {
    for d in diags {
        for span in d.span.iter().chain(d.labels.iter().map(|l| &l.span)) {
            let file = sources.get(span.file).ok_or_else(|| {
                format!(
                    "[{}] {}: unknown file {:?}",
                    d.code.id, d.message, span.file
                )
            })?;
            check_span(*span, &file.text)
                .map_err(|e| format!("[{}] {} in `{}`: {e}", d.code.id, d.message, file.path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_span;
    use diagnostics::{FileId, Span};

    #[test]
    fn catches_each_violation() {
        let f = FileId(0);
        assert!(check_span(Span::new(f, 0, 2), "ab").is_ok());
        assert!(check_span(Span::new(f, 2, 2), "ab").is_ok());
        assert!(check_span(Span::new(f, 2, 1), "ab").is_err());
        assert!(check_span(Span::new(f, 0, 3), "ab").is_err());
        assert!(check_span(Span::new(f, 1, 2), "é").is_err());
    }
}
