//! A pre-pass that bounds nesting before the parser runs, so no input can exhaust the
//! parser's stack.

use diagnostics::codes::syntax::P0002;
use diagnostics::{Diagnostic, FileId, Span};

/// The deepest nesting of `{`/`[` that the parser accepts.
pub const MAX_DEPTH: usize = 128;

/// The byte offsets of every `{`, `[`, `}` and `]` outside strings, backtick expressions and
/// comments, in order. Shared by the depth check and the parser's "never closed" hint.
pub(crate) fn brackets(text: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let at = i;
            match bytes[i] {
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'`' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'`' {
                        i += 1;
                    }
                }
                b @ (b'{' | b'[' | b'}' | b']') => {
                    i += 1;
                    return Some((at, b));
                }
                _ => {}
            }
            i += 1;
        }
        None
    })
}

/// Returns a diagnostic at the first bracket that goes past [`MAX_DEPTH`].
pub(crate) fn check(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    for (i, b) in brackets(text) {
        if matches!(b, b'}' | b']') {
            depth = depth.saturating_sub(1);
            continue;
        }
        depth += 1;
        if depth > MAX_DEPTH {
            return Some(
                Diagnostic::spanned(
                    &P0002,
                    Span::new(file, i, i + 1),
                    format!("nesting deeper than {MAX_DEPTH} levels"),
                )
                .with_label("this bracket opens level 129")
                .with_help("split the value into named declarations"),
            );
        }
    }
    None
}
