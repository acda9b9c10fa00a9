//! The nesting limit at its edge: 128 levels parse, 129 do not, and brackets inside strings,
//! backtick expressions and comments do not count. (Past the limit and the size limit are ui
//! cases: `ui::generated/too-deep*`, `ui::generated/too-large`.)

use diagnostics::FileId;
use libtest_mimic::{Failed, Trial};

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test("limits::depth-128-parses", || {
            // `system s {` is level 1; 127 brackets reach level 128.
            let text = format!(
                "system s {{\n  x = {}{}\n}}\n",
                "[".repeat(127),
                "]".repeat(127)
            );
            clean(&text)
        }),
        Trial::test("limits::depth-129-is-refused", || {
            let text = format!(
                "system s {{\n  x = {}{}\n}}\n",
                "[".repeat(128),
                "]".repeat(128)
            );
            let (ast, diags) = syntax::parse(FileId(0), &text);
            let codes: Vec<&str> = diags.iter().map(|d| d.code.id).collect();
            if ast.is_some() || codes != ["P0002"] {
                return Err(format!("expected no AST and one P0002, got {codes:?}").into());
            }
            Ok(())
        }),
        Trial::test(
            "limits::brackets-in-literals-and-comments-do-not-nest",
            || {
                let many = "{[".repeat(200);
                let text = format!(
                    "system s {{\n  title = \"{many}\"\n  rule = `{many}`\n  // {many}\n}}\n"
                );
                clean(&text)
            },
        ),
        Trial::test("limits::max-depth-constant", || {
            // The book and the P0002 message say 128; keep them honest.
            if syntax::MAX_DEPTH == 128 {
                Ok(())
            } else {
                Err(format!("MAX_DEPTH is {}, the docs say 128", syntax::MAX_DEPTH).into())
            }
        }),
    ]
}

fn clean(text: &str) -> Result<(), Failed> {
    let (ast, diags) = syntax::parse(FileId(0), text);
    if ast.is_none() || !diags.is_empty() {
        let msgs: Vec<String> = diags
            .iter()
            .map(|d| format!("[{}] {}", d.code.id, d.message))
            .collect();
        return Err(format!("expected a clean parse, got {msgs:?}").into());
    }
    Ok(())
}
