//! Redaction: the one place every renderer goes through before it shows text.
//!
//! A diagnostic marks the spans that hold a secret ([`Diagnostic::redact`], set by P1024).
//! [`Redactor::new`] gathers them from every diagnostic of the run, so a secret is hidden in
//! all of them: the source lines a snippet shows ([`Redactor::snippet`]) and the text of
//! messages, labels, help and notes ([`Redactor::text`]), which also quotes at most
//! [`MESSAGE_MAX`] characters. In a message, a secret is recognised by the text of a redacted
//! span, and any `quoted` part that is a piece of one or that the detector
//! ([`crate::secret::detect`]) flags is replaced as well, so a diagnostic that quotes the same
//! value ("`…` is not a valid label value") never repeats it.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::{Diagnostic, FileId, Sources, truncate};

/// What a redacted text is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The most characters one message, label, help or note shows; quoting helpers keep user text
/// far shorter ([`crate::QUOTE_MAX`]), this bounds a message that forgot to.
pub const MESSAGE_MAX: usize = 2_000;

/// A quoted piece of a message this long or longer is hidden when a secret contains it.
const MIN_PIECE: usize = 8;

/// The redactions of one run.
#[derive(Debug, Default)]
pub(crate) struct Redactor {
    /// Redacted byte ranges per file: sorted, merged, on character boundaries.
    spans: BTreeMap<FileId, Vec<Range<usize>>>,
    /// The secrets' texts as written and as read (quotes, `///` and escapes removed), longest
    /// first.
    needles: Vec<String>,
}

impl Redactor {
    /// Gathers the redacted spans of every diagnostic in `diags`.
    pub(crate) fn new(diags: &[Diagnostic], sources: &Sources) -> Redactor {
        let mut spans: BTreeMap<FileId, Vec<Range<usize>>> = BTreeMap::new();
        let mut needles: Vec<String> = Vec::new();
        for span in diags.iter().flat_map(|d| d.redact.iter()) {
            let Some(at) = super::locate(sources, *span) else {
                continue;
            };
            if at.start == at.end {
                continue;
            }
            spans.entry(at.file.id).or_default().push(at.start..at.end);
            let raw = &at.file.text[at.start..at.end];
            for n in readings(raw) {
                if !n.is_empty() && !needles.contains(&n) {
                    needles.push(n);
                }
            }
        }
        for ranges in spans.values_mut() {
            ranges.sort_by_key(|r| (r.start, r.end));
            let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
            for r in ranges.drain(..) {
                match merged.last_mut() {
                    Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                    _ => merged.push(r),
                }
            }
            *ranges = merged;
        }
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Redactor { spans, needles }
    }

    /// `s` as a renderer may show it: every secret replaced by [`REDACTED`], cut to
    /// [`MESSAGE_MAX`] characters.
    pub(crate) fn text(&self, s: &str) -> String {
        let s = truncate(s, MESSAGE_MAX);
        let mut out = s.into_owned();
        for n in &self.needles {
            if n.chars().count() >= 4 && out.contains(n.as_str()) {
                out = out.replace(n.as_str(), REDACTED);
            }
        }
        self.quoted_pieces(&out)
    }

    /// Replaces each `quoted` piece of `s` that is (a part of) a secret.
    fn quoted_pieces(&self, s: &str) -> String {
        if !s.contains('`') {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(open) = rest.find('`') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('`') else { break };
            let piece = &after[..close];
            out.push_str(&rest[..=open]);
            if self.is_secret_piece(piece) {
                out.push_str(REDACTED);
            } else {
                out.push_str(piece);
            }
            out.push('`');
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn is_secret_piece(&self, piece: &str) -> bool {
        let core = piece.trim_end_matches('…');
        if core.is_empty() || core == REDACTED {
            return false;
        }
        let long = core.chars().count() >= MIN_PIECE;
        self.needles
            .iter()
            .any(|n| n == core || (long && n.contains(core)) || (long && core.contains(n.as_str())))
            || crate::secret::detect(core).is_some()
    }

    /// The source text `from..to` of `file` with its redacted parts replaced, and a map from
    /// offsets in the original text (absolute) to offsets in the returned one (relative to
    /// `from`). Line breaks inside a redacted part are kept, so line numbers stay right.
    pub(crate) fn snippet(&self, file: FileId, text: &str, from: usize, to: usize) -> Snippet {
        let mut out = String::new();
        let mut pieces = Vec::new();
        let mut at = from;
        for r in self.spans.get(&file).into_iter().flatten() {
            let (start, end) = (r.start.max(from), r.end.min(to));
            if start >= end {
                continue;
            }
            out.push_str(&text[at..start]);
            let new_start = out.len();
            for (i, line) in text[start..end].split('\n').enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                if !line.trim().is_empty() {
                    out.push_str(REDACTED);
                }
            }
            pieces.push(Piece {
                start,
                end,
                new_start,
                new_end: out.len(),
            });
            at = end;
        }
        out.push_str(&text[at..to]);
        Snippet {
            text: out,
            from,
            pieces,
        }
    }
}

/// A redacted part of a snippet: where it was, and where its replacement is.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    new_start: usize,
    new_end: usize,
}

/// A snippet's text after redaction, with the offset map.
#[derive(Debug)]
pub(crate) struct Snippet {
    pub text: String,
    from: usize,
    pieces: Vec<Piece>,
}

impl Snippet {
    /// Where the original byte range `r` (absolute) is in [`Snippet::text`]. A range that
    /// starts or ends inside a redacted part covers the whole replacement.
    pub(crate) fn map(&self, r: Range<usize>) -> Range<usize> {
        let start = self.offset(r.start, false);
        let end = self.offset(r.end, true).max(start);
        start..end
    }

    fn offset(&self, o: usize, is_end: bool) -> usize {
        // The shift of everything after the last piece that ends at or before `o`.
        let mut shift: isize = 0;
        for p in &self.pieces {
            if o <= p.start {
                break;
            }
            if o < p.end {
                return if is_end { p.new_end } else { p.new_start };
            }
            shift = p.new_end as isize - (p.end - self.from) as isize;
        }
        let rel = o.saturating_sub(self.from) as isize + shift;
        (rel.max(0) as usize).min(self.text.len())
    }
}

/// The texts under which a secret written as `raw` can show up in a message: as written,
/// without its quotes or `///`, and with the string escapes read.
fn readings(raw: &str) -> Vec<String> {
    let mut out = vec![raw.to_string()];
    let inner = raw
        .strip_prefix("///")
        .map(|s| s.strip_prefix(' ').unwrap_or(s))
        .or_else(|| {
            ["\"", "'", "`"]
                .iter()
                .find_map(|q| raw.strip_prefix(q).and_then(|s| s.strip_suffix(q)))
        });
    if let Some(inner) = inner {
        out.push(inner.to_string());
        if inner.contains('\\') {
            out.push(unescape(inner));
        }
    }
    out
}

/// The common string escapes read (`\n`, `\t`, `\r`, `\"`, `\'`, `\\`); others kept as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(c @ ('"' | '\'' | '\\')) => out.push(c),
            Some(c) => {
                out.push('\\');
                out.push(c);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;
    use crate::codes::syntax::P0001;

    #[test]
    fn snippets_keep_lines_and_move_annotations() {
        let mut s = Sources::new();
        let text = "a = \"SECRET1\" b\nc = \"two\nlines\" d\n";
        let f = s.add("a.posture", text);
        let secret = text.find('"').unwrap_or(0);
        let second = text.find("\"two").unwrap_or(0);
        let d = Diagnostic::spanned(&P0001, Span::new(f, secret, secret + 9), "x")
            .redacting(Span::new(f, secret, secret + 9))
            .redacting(Span::new(f, second, second + 11));
        let r = Redactor::new(&[d], &s);
        let snip = r.snippet(f, text, 0, text.len());
        assert_eq!(
            snip.text,
            "a = [redacted] b\nc = [redacted]\n[redacted] d\n"
        );
        assert_eq!(snip.map(secret..secret + 9), 4..14);
        assert_eq!(&snip.text[snip.map(14..15)], "b");
        let d_at = text.rfind('d').unwrap_or(0);
        assert_eq!(&snip.text[snip.map(d_at..d_at + 1)], "d");
        // A range inside a redacted part covers the whole replacement.
        assert_eq!(snip.map(secret + 2..secret + 3), 4..14);
        // Part of the text only.
        let snip = r.snippet(f, text, 16, text.len());
        assert_eq!(snip.text, "c = [redacted]\n[redacted] d\n");
    }

    #[test]
    fn messages_lose_the_secret_and_its_pieces() {
        let mut s = Sources::new();
        let text = "x = \"hunter2-horse-battery\"\n";
        let f = s.add("a.posture", text);
        let d = Diagnostic::new(&P0001, "x").redacting(Span::new(f, 4, 27));
        let r = Redactor::new(&[d], &s);
        assert_eq!(
            r.text("`hunter2-horse-battery` is not a valid label value"),
            "`[redacted]` is not a valid label value"
        );
        assert_eq!(
            r.text("`hunter2-hor…` is too long"),
            "`[redacted]` is too long"
        );
        assert_eq!(r.text("value hunter2-horse-battery!"), "value [redacted]!");
        assert_eq!(r.text("`hunter` is fine"), "`hunter` is fine");
        // The detector hides what no span marked.
        let key = concat!("AKIA", "IOSFODNN7EXAMPLE");
        assert_eq!(r.text(&format!("`{key}` is bad")), "`[redacted]` is bad");
        let long = "y".repeat(10 * MESSAGE_MAX);
        assert_eq!(r.text(&long).chars().count(), MESSAGE_MAX);
    }
}
