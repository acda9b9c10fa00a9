//! A pre-pass that bounds nesting before the parser runs, so no input can exhaust the
//! parser's stack.

use diagnostics::codes::syntax::P0002;
use diagnostics::{Diagnostic, FileId, Span};

/// The deepest nesting of `{`/`[` that the parser accepts.
pub const MAX_DEPTH: usize = 128;

/// Scans brackets outside strings, backtick expressions and comments. Returns a diagnostic at
/// the first bracket that goes past [`MAX_DEPTH`].
pub(crate) fn check(file: FileId, text: &str) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
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
            b'{' | b'[' => {
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
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}
