//! A line diff in unified format, for `posture fmt --check`: what formatting would change.
//! The edit script and the hunks come from the `similar` crate (Myers' diff: linear memory,
//! time proportional to the size of the texts times the size of the change, deterministic);
//! this module only prints them, making control characters visible.

use similar::{ChangeTag, TextDiff};

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// The unified diff from `old` to `new` (`--- old_name`, `+++ new_name`, `@@` hunks with three
/// lines of context), or an empty string when they are equal. Control characters are shown
/// as visible symbols so a file cannot drive the terminal; `color` adds ANSI colours.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str, color: bool) -> String {
    if old == new {
        return String::new();
    }
    let paint = |code: &str, text: String| -> String {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let mut out = String::new();
    out.push_str(&paint("1", format!("--- {}\n", visible(old_name))));
    out.push_str(&paint("1", format!("+++ {}\n", visible(new_name))));
    let diff = TextDiff::from_lines(old, new);
    for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
        out.push_str(&paint("36", format!("{}\n", hunk.header())));
        for change in hunk.iter_changes() {
            let (sign, code) = match change.tag() {
                ChangeTag::Equal => (' ', ""),
                ChangeTag::Delete => ('-', "31"),
                ChangeTag::Insert => ('+', "32"),
            };
            let line = change.value();
            let body = line.strip_suffix('\n').unwrap_or(line);
            let text = format!("{sign}{}", visible(body));
            out.push_str(&if code.is_empty() {
                text
            } else {
                paint(code, text)
            });
            out.push('\n');
            if change.missing_newline() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// Control characters as their Unicode control pictures (`␍` for a carriage return), tabs
/// kept; other invisible troublemakers (C1 controls, bidirectional overrides) as `�`.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'),
            '\u{7f}' => '\u{2421}',
            '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{FFFD}',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a\n", "a\n", "x", "y", false), "");
    }

    #[test]
    fn one_changed_line_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified(old, new, "a.posture", "a.posture (formatted)", false),
            "--- a.posture\n+++ a.posture (formatted)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn distant_changes_make_two_hunks_and_near_ones_one() {
        let lines = |changed: &[usize]| -> String {
            (1..=20)
                .map(|i| {
                    if changed.contains(&i) {
                        format!("changed {i}\n")
                    } else {
                        format!("{i}\n")
                    }
                })
                .collect()
        };
        let old = lines(&[]);
        // Six unchanged lines between two changes: their contexts touch, one hunk.
        let d = unified(&old, &lines(&[2, 9]), "a", "b", false);
        assert_eq!(d.matches("@@ -").count(), 1, "{d}");
        // Seven: two hunks.
        let d = unified(&old, &lines(&[2, 10]), "a", "b", false);
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert!(d.contains("@@ -1,5 +1,5 @@\n"), "{d}");
        assert!(d.contains("@@ -7,7 +7,7 @@\n"), "{d}");
    }

    #[test]
    fn insertions_into_empty_and_missing_final_newline() {
        assert_eq!(
            unified("", "a\n", "x", "y", false),
            "--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n"
        );
        assert_eq!(
            unified("a", "a\n", "x", "y", false),
            "--- x\n+++ y\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"
        );
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        let d = unified("a\r\n", "a\n", "x", "y", false);
        assert!(d.contains("-a\u{240d}\n"), "{d:?}");
        assert!(!d.contains('\r'));
        let d = unified("\u{1b}[2J\n", "", "x", "y", false);
        assert!(!d.contains('\u{1b}'), "{d:?}");
    }

    #[test]
    fn a_whole_replacement_is_one_hunk() {
        let old: String = (0..3000).map(|i| format!("o{i}\n")).collect();
        let new: String = (0..3000).map(|i| format!("n{i}\n")).collect();
        let d = unified(&old, &new, "x", "y", false);
        assert!(d.starts_with("--- x\n+++ y\n@@ -1,3000 +1,3000 @@\n-o0\n"));
        assert_eq!(d.lines().count(), 3 + 6000);
    }

    #[test]
    fn colour_wraps_headers_and_changed_lines_only() {
        let d = unified("a\nb\n", "a\nc\n", "x", "y", true);
        assert_eq!(
            d,
            "\x1b[1m--- x\n\x1b[0m\x1b[1m+++ y\n\x1b[0m\x1b[36m@@ -1,2 +1,2 @@\n\x1b[0m a\n\x1b[31m-b\x1b[0m\n\x1b[32m+c\x1b[0m\n"
        );
    }
}
