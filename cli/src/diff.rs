//! A line diff in unified format, for `posture fmt --check`: what formatting would change.

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// Above this many cells (lines × lines of the part that differs), the diff gives up on
/// finding the shortest edit and shows the differing part as removed, then added: it stays
/// linear in memory for any input.
const MAX_CELLS: usize = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    Delete,
    Insert,
}

/// The unified diff from `old` to `new` (`--- old_name`, `+++ new_name`, `@@` hunks with three
/// lines of context), or an empty string when they are equal. Control characters are shown
/// as visible symbols so a file cannot drive the terminal; `color` adds ANSI colours.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str, color: bool) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = edit_script(&a, &b);

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

    // Positions (in `ops`) of the changes, grouped into hunks whose contexts touch.
    let changes: Vec<usize> = (0..ops.len()).filter(|&i| ops[i] != Op::Equal).collect();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &i in &changes {
        match groups.last_mut() {
            Some((_, end)) if i <= *end + 2 * CONTEXT + 1 => *end = i,
            _ => groups.push((i, i)),
        }
    }
    // Line numbers in `a` and `b` before each op.
    let mut before = Vec::with_capacity(ops.len() + 1);
    let (mut ia, mut ib) = (0usize, 0usize);
    for op in &ops {
        before.push((ia, ib));
        match op {
            Op::Equal => {
                ia += 1;
                ib += 1;
            }
            Op::Delete => ia += 1,
            Op::Insert => ib += 1,
        }
    }
    before.push((ia, ib));

    for (first, last) in groups {
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(ops.len());
        let (a0, b0) = before[start];
        let (a1, b1) = before[end];
        out.push_str(&paint(
            "36",
            format!("@@ -{} +{} @@\n", range(a0, a1 - a0), range(b0, b1 - b0)),
        ));
        for (k, op) in ops.iter().enumerate().take(end).skip(start) {
            let (ia, ib) = before[k];
            let (sign, line, code) = match op {
                Op::Equal => (' ', a[ia], ""),
                Op::Delete => ('-', a[ia], "31"),
                Op::Insert => ('+', b[ib], "32"),
            };
            let body = line.strip_suffix('\n').unwrap_or(line);
            let text = format!("{sign}{}", visible(body));
            out.push_str(&if code.is_empty() {
                text
            } else {
                paint(code, text)
            });
            out.push('\n');
            if !line.ends_with('\n') {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// `start,len` as unified diff writes it: 1-based, and `start` is the line before an empty
/// range.
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// The shortest edit script from `a` to `b` over the part between their common prefix and
/// suffix (a longest-common-subsequence table), or delete-all-then-insert-all when that part
/// is too large for the table.
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let ma = &a[prefix..a.len() - suffix];
    let mb = &b[prefix..b.len() - suffix];

    let mut ops = vec![Op::Equal; prefix];
    let cells = (ma.len() + 1).saturating_mul(mb.len() + 1);
    if cells <= MAX_CELLS {
        // lcs[i][j]: the longest common subsequence of ma[i..] and mb[j..].
        let w = mb.len() + 1;
        let mut lcs = vec![0u32; cells];
        for i in (0..ma.len()).rev() {
            for j in (0..mb.len()).rev() {
                lcs[i * w + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * w + j + 1] + 1
                } else {
                    lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < ma.len() && j < mb.len() {
            if ma[i] == mb[j] {
                ops.push(Op::Equal);
                i += 1;
                j += 1;
            } else if lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] {
                ops.push(Op::Delete);
                i += 1;
            } else {
                ops.push(Op::Insert);
                j += 1;
            }
        }
        ops.extend(std::iter::repeat_n(Op::Delete, ma.len() - i));
        ops.extend(std::iter::repeat_n(Op::Insert, mb.len() - j));
    } else {
        ops.extend(std::iter::repeat_n(Op::Delete, ma.len()));
        ops.extend(std::iter::repeat_n(Op::Insert, mb.len()));
    }
    ops.extend(std::iter::repeat_n(Op::Equal, suffix));
    ops
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
    fn huge_differences_fall_back_to_replace() {
        let old: String = (0..3000).map(|i| format!("o{i}\n")).collect();
        let new: String = (0..3000).map(|i| format!("n{i}\n")).collect();
        let d = unified(&old, &new, "x", "y", false);
        assert!(d.starts_with("--- x\n+++ y\n@@ -1,3000 +1,3000 @@\n-o0\n"));
    }
}
