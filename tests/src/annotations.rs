//! Expected diagnostics written inline in ui cases (`tests/ui/**`), and their comparison with
//! what the compiler reports.
//!
//! An annotation is a `//` comment, so a case file is an ordinary posture file and the
//! compiler sees exactly what is on disk. Three forms:
//!
//! ```text
//! namespace {
//! //^^^^^^^ error[P0011]: `namespace` needs a name          (caret line)
//! //~ 1:1-10 error[P0011]: `namespace` needs a name         (explicit line)
//! allow a -> b:70000    //~ 14-19 error[P0005]: …           (trailing)
//! //~ eof error[P0001]: expected `}`, found end of file     (at the end of the text)
//! ```
//!
//! * **Caret line**: `//`, optional spaces, one or more `^`, a space, an expectation. The
//!   carets underline the characters right above them in the *target line*: the nearest line
//!   above that is not itself an annotation line. Columns count characters from the start of
//!   the line, the annotation's own indentation and `//` included, so a caret line can only
//!   point at column 3 or later; use an explicit line for columns 1 and 2. A caret one past the
//!   end of the target line points at its line break.
//! * **Explicit line**: `//~`, a space, a location, a space, an expectation. Locations:
//!   `L:C-L:C` (start and end), `L:C-C` (one line), `L:C` (an empty span), `C-C` or `C` (on
//!   the target line), `eof` (an empty span at the end of the text), `nospan` (a diagnostic
//!   without a location). Lines and columns are 1-based and count characters; the end column
//!   is the first column *after* the span.
//! * **Trailing**: code, whitespace, then `//~ LOCATION EXPECTATION`; a location without a
//!   line (`C-C`, `C`) then means the annotation's own line.
//!
//! An expectation is `SEVERITY[CODE]: MESSAGE` with SEVERITY one of `error`, `warning`,
//! `note`, and the full message, compared exactly (a line break in a message is written `\n`,
//! a carriage return `\r`). Any comment that starts like an annotation
//! (`//~`, or `//` with only spaces before a `^`) but does not parse is an error of the case,
//! so a typo can never drop an expectation silently.

use diagnostics::{Diagnostic, Severity, Sources};
use std::fmt;

/// Where an expected diagnostic is, resolved to byte offsets of one file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Loc {
    /// `start..end` in bytes.
    At(usize, usize),
    /// The diagnostic has no span.
    NoSpan,
}

/// One expected (or, for comparison, actual) diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expected {
    /// The display path of the file the location is in (empty for [`Loc::NoSpan`]).
    pub file: String,
    pub loc: Loc,
    pub severity: Severity,
    pub code: String,
    pub message: String,
}

/// A malformed annotation: the line (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotationError {
    pub line: usize,
    pub problem: String,
}

impl fmt::Display for AnnotationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

/// The lines of `text`, each with the byte offset where it starts (without its `\n`).
fn lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split('\n') {
        out.push((start, line));
        start += line.len() + 1;
    }
    out
}

/// How one line takes part in annotations.
enum Kind<'a> {
    /// Ordinary posture text.
    Source,
    /// A caret line: first and last caret column (0-based characters), and the expectation.
    Caret(usize, usize, &'a str),
    /// An explicit line: location and expectation, not yet split.
    Explicit(&'a str),
    /// Source text with a trailing explicit annotation.
    Trailing(&'a str),
}

fn classify(line: &str) -> Kind<'_> {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix("//~") {
        return Kind::Explicit(rest);
    }
    if let Some(rest) = trimmed.strip_prefix("//") {
        let after_spaces = rest.trim_start_matches(' ');
        if after_spaces.starts_with('^') {
            let prefix_chars = line.chars().count() - after_spaces.chars().count();
            let carets = after_spaces.chars().take_while(|c| *c == '^').count();
            return Kind::Caret(
                prefix_chars,
                prefix_chars + carets - 1,
                &after_spaces[carets..],
            );
        }
        return Kind::Source;
    }
    // A trailing annotation: `//~` after code, preceded by whitespace.
    if let Some(i) = line.find(" //~").or_else(|| line.find("\t//~")) {
        return Kind::Trailing(&line[i + 4..]);
    }
    Kind::Source
}

/// The byte offset of 0-based character column `col` in `line` (which starts at `start`);
/// one past the end points at the line break.
fn column_offset(start: usize, line: &str, col: usize) -> Option<usize> {
    let n = line.chars().count();
    if col > n {
        return None;
    }
    Some(
        start
            + line
                .char_indices()
                .nth(col)
                .map(|(i, _)| i)
                .unwrap_or(line.len()),
    )
}

/// Parses `SEVERITY[CODE]: MESSAGE`.
fn expectation(s: &str) -> Result<(Severity, String, String), String> {
    let s = s.trim();
    let (sev, rest) = s
        .split_once('[')
        .ok_or_else(|| format!("expected `SEVERITY[CODE]: MESSAGE`, found `{s}`"))?;
    let severity = match sev {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        "note" => Severity::Note,
        other => return Err(format!("unknown severity `{other}`")),
    };
    let (code, rest) = rest
        .split_once("]:")
        .ok_or_else(|| format!("expected `]: MESSAGE` after the code in `{s}`"))?;
    if !(code.len() == 5 && code.starts_with('P') && code[1..].chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "`{code}` is not a diagnostic code (`P` and four digits)"
        ));
    }
    let message = rest.trim();
    if message.is_empty() {
        return Err("the message is empty".to_string());
    }
    Ok((severity, code.to_string(), message.to_string()))
}

/// A 1-based `L:C` or `C`.
fn line_col(s: &str) -> Result<(Option<usize>, usize), String> {
    let num = |t: &str| {
        t.parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("`{t}` is not a 1-based number"))
    };
    match s.split_once(':') {
        Some((l, c)) => Ok((Some(num(l)?), num(c)?)),
        None => Ok((None, num(s)?)),
    }
}

/// Parses every annotation of one file. `file` is the display path the diagnostics will
/// carry for it.
pub fn parse(file: &str, text: &str) -> Result<Vec<Expected>, Vec<AnnotationError>> {
    let lines = lines(text);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    // The index of the nearest non-annotation line above the current one.
    let mut target: Option<usize> = None;
    for (idx, &(_, line)) in lines.iter().enumerate() {
        let lineno = idx + 1;
        let mut push = |r: Result<Expected, String>| match r {
            Ok(e) => out.push(e),
            Err(problem) => errors.push(AnnotationError {
                line: lineno,
                problem,
            }),
        };
        match classify(line) {
            Kind::Source => target = Some(idx),
            Kind::Caret(first, last, rest) => {
                let r = (|| {
                    let t = target.ok_or("a caret line needs a line above it to point at")?;
                    let (tstart, tline) = lines[t];
                    let (severity, code, message) = expectation(rest)?;
                    let start = column_offset(tstart, tline, first)
                        .ok_or("the carets start past the end of the line above")?;
                    let end = column_offset(tstart, tline, last)
                        .ok_or("the carets reach past the end of the line above")?;
                    // The last caret covers one character (or the line break).
                    let end = end
                        + tline[end - tstart..]
                            .chars()
                            .next()
                            .map_or(1, char::len_utf8);
                    Ok(Expected {
                        file: file.to_string(),
                        loc: Loc::At(start, end),
                        severity,
                        code,
                        message,
                    })
                })();
                push(r);
            }
            Kind::Explicit(rest) => {
                push(explicit(file, text, &lines, target, rest));
            }
            Kind::Trailing(rest) => {
                target = Some(idx);
                push(explicit(file, text, &lines, target, rest));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Resolves an explicit annotation (`LOCATION EXPECTATION`, after `//~`).
fn explicit(
    file: &str,
    text: &str,
    lines: &[(usize, &str)],
    target: Option<usize>,
    rest: &str,
) -> Result<Expected, String> {
    let rest = rest
        .strip_prefix(' ')
        .ok_or("expected a space after `//~`")?;
    let (loc, exp) = rest
        .split_once(' ')
        .ok_or("expected `//~ LOCATION SEVERITY[CODE]: MESSAGE`")?;
    let (severity, code, message) = expectation(exp)?;
    let offset = |line: Option<usize>, col: usize| -> Result<usize, String> {
        let l = match line {
            Some(l) => l - 1,
            None => target.ok_or("a location without a line needs a line to refer to")?,
        };
        let &(start, text) = lines
            .get(l)
            .ok_or_else(|| format!("line {} is past the end of the file", l + 1))?;
        column_offset(start, text, col - 1)
            .ok_or_else(|| format!("column {col} is past the end of line {}", l + 1))
    };
    let loc = match loc {
        "nospan" => Loc::NoSpan,
        "eof" => Loc::At(text.len(), text.len()),
        _ => match loc.split_once('-') {
            None => {
                let (l, c) = line_col(loc)?;
                let o = offset(l, c)?;
                Loc::At(o, o)
            }
            Some((a, b)) => {
                let (l1, c1) = line_col(a)?;
                let (l2, c2) = line_col(b)?;
                let start = offset(l1, c1)?;
                let end = offset(l2.or(l1), c2)?;
                if end < start {
                    return Err(format!("the location `{loc}` ends before it starts"));
                }
                Loc::At(start, end)
            }
        },
    };
    Ok(Expected {
        file: if loc == Loc::NoSpan {
            String::new()
        } else {
            file.to_string()
        },
        loc,
        severity,
        code,
        message,
    })
}

/// Parses one explicit annotation (what follows `//~`, without the leading space) against
/// `text`, for cases generated in code. Locations must carry a line (or be `eof`/`nospan`).
pub fn parse_explicit(file: &str, text: &str, annotation: &str) -> Result<Expected, String> {
    let lines = lines(text);
    explicit(file, text, &lines, None, &format!(" {annotation}"))
}

/// A diagnostic as an [`Expected`], for comparison.
pub fn actual(d: &Diagnostic, sources: &Sources) -> Expected {
    let (file, loc) = match d.span.and_then(|s| sources.get(s.file).map(|f| (f, s))) {
        Some((f, s)) => (f.path.clone(), Loc::At(s.start as usize, s.end as usize)),
        None => (String::new(), Loc::NoSpan),
    };
    Expected {
        file,
        loc,
        severity: d.severity,
        code: d.code.id.to_string(),
        // An annotation is one line: a line break in a message is written `\n`.
        message: d.message.replace('\n', "\\n").replace('\r', "\\r"),
    }
}

/// Writes `e` as an explicit annotation (`//~ L:C-L:C severity[CODE]: message`) against the
/// text of its file, ready to paste into a case.
pub fn render(e: &Expected, text_of: impl Fn(&str) -> Option<String>) -> String {
    let loc = match e.loc {
        Loc::NoSpan => "nospan".to_string(),
        Loc::At(s, t) => match text_of(&e.file) {
            Some(text) => {
                let (l1, c1) = to_line_col(&text, s);
                let (l2, c2) = to_line_col(&text, t);
                if s == t && s == text.len() {
                    "eof".to_string()
                } else if s == t {
                    format!("{l1}:{c1}")
                } else if l1 == l2 {
                    format!("{l1}:{c1}-{c2}")
                } else {
                    format!("{l1}:{c1}-{l2}:{c2}")
                }
            }
            None => format!("bytes {s}..{t}"),
        },
    };
    let file = if e.file.is_empty() {
        String::new()
    } else {
        format!("{}: ", e.file)
    };
    format!(
        "{file}//~ {loc} {}[{}]: {}",
        e.severity.as_str(),
        e.code,
        e.message
    )
}

/// The 1-based line and character column of byte `offset` (clamped into `text`).
pub fn to_line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// The differences between expected and actual diagnostics, as multisets: what was expected
/// and not reported, and what was reported and not expected.
pub fn compare(expected: &[Expected], actual: &[Expected]) -> (Vec<Expected>, Vec<Expected>) {
    let mut missing = Vec::new();
    let mut unexpected: Vec<Expected> = actual.to_vec();
    for e in expected {
        match unexpected.iter().position(|a| a == e) {
            Some(i) => {
                unexpected.remove(i);
            }
            None => missing.push(e.clone()),
        }
    }
    (missing, unexpected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Expected {
        let v = parse("a.posture", text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(v.len(), 1, "{v:?}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn caret_points_at_the_line_above() {
        let e = one("namespace {\n//^^^^^^^ error[P0011]: `namespace` needs a name\n");
        assert_eq!(e.loc, Loc::At(2, 9));
        assert_eq!(e.code, "P0011");
        assert_eq!(e.severity, Severity::Error);
        assert_eq!(e.message, "`namespace` needs a name");
    }

    #[test]
    fn caret_skips_other_annotations() {
        let v = parse(
            "a.posture",
            "x = 1\n//~ 1:1-2 error[P0007]: m\n  //^ error[P0001]: n\n",
        )
        .unwrap();
        assert_eq!(v[1].loc, Loc::At(4, 5));
    }

    #[test]
    fn caret_past_the_end_is_the_line_break() {
        let e = one("ab\n//^ error[P0001]: m\n");
        assert_eq!(e.loc, Loc::At(2, 3));
    }

    #[test]
    fn caret_counts_characters() {
        let e = one("é = \"ü\" x\n//    ^ error[P0001]: m\n");
        // `é` is 2 bytes, `ü` is 2 bytes: column 6 (0-based) is `"` after ü at byte 8.
        assert_eq!(e.loc, Loc::At(8, 9));
    }

    #[test]
    fn explicit_locations() {
        let text = "abc\ndef\n//~ 1:2-2:3 error[P0001]: m\n//~ 2-3 warning[P9004]: w\n//~ eof error[P0001]: e\n//~ nospan error[P9003]: n\n//~ 2:1 error[P0001]: z\n";
        let v = parse("a.posture", text).unwrap();
        assert_eq!(v[0].loc, Loc::At(1, 6));
        assert_eq!(v[1].loc, Loc::At(5, 6));
        assert_eq!(v[1].severity, Severity::Warning);
        assert_eq!(v[2].loc, Loc::At(text.len(), text.len()));
        assert_eq!(v[3].loc, Loc::NoSpan);
        assert_eq!(v[3].file, "");
        assert_eq!(v[4].loc, Loc::At(4, 4));
    }

    #[test]
    fn trailing_refers_to_its_own_line() {
        let e = one("x\nallow a -> b:70000 //~ 14-19 error[P0005]: port\n");
        assert_eq!(e.loc, Loc::At(15, 20));
    }

    #[test]
    fn malformed_annotations_are_errors() {
        for bad in [
            "x\n//^ eror[P0001]: m\n",
            "x\n//^ error[P01]: m\n",
            "x\n//^ error[P0001]:\n",
            "x\n//~1:1 error[P0001]: m\n",
            "x\n//~ 9:1 error[P0001]: m\n",
            "x\n//~ 1:9 error[P0001]: m\n",
            "x\n//       ^ error[P0001]: m\n",
            "//^ error[P0001]: m\n",
            "x\n//~ 1:2-1:1 error[P0001]: m\n",
        ] {
            assert!(parse("a.posture", bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn plain_comments_are_not_annotations() {
        assert_eq!(
            parse("a.posture", "// a comment ^ here\nx = 1 // ~ no\n"),
            Ok(vec![])
        );
    }

    #[test]
    fn render_round_trips() {
        let text = "abc\ndef\n";
        for loc in [Loc::At(1, 6), Loc::At(5, 6), Loc::At(4, 4), Loc::At(8, 8)] {
            let e = Expected {
                file: "a.posture".into(),
                loc,
                severity: Severity::Error,
                code: "P0001".into(),
                message: "m".into(),
            };
            let line = render(&e, |_| Some(text.to_string()));
            let line = line.trim_start_matches("a.posture: ");
            let mut with = text.to_string();
            with.push_str(line);
            with.push('\n');
            let parsed = parse("a.posture", &with).unwrap();
            // `eof` moves with the appended annotation; everything else must round-trip.
            if loc != Loc::At(8, 8) {
                assert_eq!(parsed, vec![e], "{line}");
            }
        }
    }

    #[test]
    fn compare_is_a_multiset_difference() {
        let e = |m: &str| Expected {
            file: "a".into(),
            loc: Loc::At(0, 1),
            severity: Severity::Error,
            code: "P0001".into(),
            message: m.into(),
        };
        let (missing, unexpected) = compare(&[e("a"), e("a"), e("b")], &[e("a"), e("c")]);
        assert_eq!(missing, vec![e("a"), e("b")]);
        assert_eq!(unexpected, vec![e("c")]);
    }
}
