//! The GitHub format: Actions workflow commands, which the runner turns into annotations on
//! the pull request's diff.

use super::locate;
use super::redact::Redactor;
use crate::{Diagnostic, Severity, Sources};

/// Renders one workflow command per diagnostic, each on its own line:
///
/// ```text
/// ::error file=a.posture,line=2,col=3,endLine=2,endColumn=7,title=P0001::unknown field `level`
/// ```
///
/// Errors become `::error`, warnings `::warning`, notes `::notice`. Columns are 1-based and
/// count characters; `endColumn` is the column of the last character (inclusive). GitHub
/// accepts columns only for single-line ranges, so `col` and `endColumn` are left out when
/// the span covers several lines. Help and notes follow the message on lines of their own.
/// Values are percent-encoded as the runner requires (`%`, CR and LF everywhere, and `:` and
/// `,` in properties), so no input can end a command early or start another; every other
/// control character (an `ESC` that would drive the log viewer, a bidirectional override) is
/// replaced by a visible symbol (see [`visible`]). Secrets are `[redacted]`.
pub fn github(diags: &[Diagnostic], sources: &Sources) -> String {
    let redactor = Redactor::new(diags, sources);
    let mut out = String::new();
    for d in diags {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props: Vec<(&str, String)> = Vec::new();
        if let Some(at) = d.span.and_then(|s| locate(sources, s)) {
            props.push(("file", at.file.path.clone()));
            props.push(("line", at.start_pos.line.to_string()));
            // The position of the last character covered (the start, for an empty span).
            let last = if at.end > at.start {
                let mut i = at.end - 1;
                while !at.file.text.is_char_boundary(i) {
                    i -= 1;
                }
                at.file.line_col(i)
            } else {
                at.start_pos
            };
            if at.start_pos.line == last.line {
                props.push(("col", at.start_pos.column.to_string()));
                props.push(("endLine", last.line.to_string()));
                props.push(("endColumn", last.column.to_string()));
            } else {
                props.push(("endLine", last.line.to_string()));
            }
        }
        props.push(("title", d.code.id.to_string()));

        let mut message = redactor.text(&d.message);
        for h in &d.help {
            message.push_str("\nhelp: ");
            message.push_str(&redactor.text(h));
        }
        for n in &d.notes {
            message.push_str("\nnote: ");
            message.push_str(&redactor.text(n));
        }

        out.push_str("::");
        out.push_str(command);
        for (i, (key, value)) in props.iter().enumerate() {
            out.push_str(if i == 0 { " " } else { "," });
            out.push_str(key);
            out.push('=');
            out.push_str(&escape_property(value));
        }
        out.push_str("::");
        out.push_str(&escape_data(&message));
        out.push('\n');
    }
    out
}

/// Encodes a command's message: `%`, CR and LF as the runner reads them, other control
/// characters made [`visible`].
pub(crate) fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(visible(c)),
        }
    }
    out
}

/// Encodes a property value: what [`escape_data`] encodes, plus `:` and `,`.
pub(crate) fn escape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(visible(c)),
        }
    }
    out
}

/// A character the Actions log may show as it is: a C0 control character (TAB included)
/// becomes its Control Pictures symbol (`ESC` → `␛`), DEL `␡`, and a C1 control character, a
/// bidirectional control or another invisible format character `�`.
pub(crate) fn visible(c: char) -> char {
    match c {
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        '\u{80}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}' => '\u{fffd}',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;
    use crate::codes::{io::P9004, syntax::P0001};

    #[test]
    fn encodes_data_and_properties() {
        assert_eq!(escape_data("50%\r\nok: a,b"), "50%25%0D%0Aok: a,b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn control_characters_never_reach_the_log() {
        assert_eq!(escape_data("a\u{1b}[31mb\tc\u{7f}"), "a␛[31mb␉c␡");
        assert_eq!(escape_property("x\u{1b}]8;;y\u{7}"), "x␛]8;;y␇");
        assert_eq!(
            escape_data("\u{202e}gnp.exe\u{85}\u{200b}"),
            "\u{fffd}gnp.exe\u{fffd}\u{fffd}"
        );
        // Through the renderer: message, help, note and the file property.
        let mut s = Sources::new();
        let f = s.add("a\u{1b}[2J.posture", "abc\n");
        let d = Diagnostic::spanned(&P0001, Span::new(f, 0, 1), "bad \u{1b}[31mname")
            .with_help("\u{1b}]0;title\u{7}")
            .with_note("\u{9b}31m");
        let out = github(&[d], &s);
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert_eq!(out.matches('\n').count(), 1, "{out:?}");
        assert!(out.contains("file=a␛[2J.posture"), "{out}");
        assert!(
            out.contains("bad ␛[31mname%0Ahelp: ␛]0;title␇%0Anote: \u{fffd}31m"),
            "{out}"
        );
    }

    #[test]
    fn one_line_per_diagnostic() {
        let mut s = Sources::new();
        let f = s.add("dir/we,ird:name.posture", "abc\ndef\n");
        let diags = [
            Diagnostic::spanned(&P0001, Span::new(f, 1, 3), "bad\nthing").with_help("fix 100%"),
            Diagnostic::spanned(&P0001, Span::new(f, 1, 8), "multi-line"),
            Diagnostic::new(&P9004, "empty"),
        ];
        let out = github(&diags, &s);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "::error file=dir/we%2Cird%3Aname.posture,line=1,col=2,endLine=1,endColumn=3,\
                 title=P0001::bad%0Athing%0Ahelp: fix 100%25",
                "::error file=dir/we%2Cird%3Aname.posture,line=1,endLine=2,title=P0001::multi-line",
                "::warning title=P9004::empty",
            ]
        );
    }
}
