//! Formatter properties on every valid input: `fmt(x)` parses without diagnostics, keeps the
//! AST (spans aside; comments compared by text), and formatting again changes nothing. The
//! postures users copy from — `examples/` and `stdlib/` — must already be in canonical layout
//! (`posture fmt --check` passes on them); `tests/syntax/` and the ui cases keep deliberately
//! unusual layouts (the verbatim language sketch, trailing commas), so they only have to obey
//! the properties.

use crate::Input;
use diagnostics::FileId;
use libtest_mimic::{Failed, Trial};

pub(crate) fn trials(inputs: &[Input]) -> Vec<Trial> {
    let mut out: Vec<Trial> = inputs
        .iter()
        .filter_map(|input| {
            let text = input.text.as_ref().ok()?.clone();
            let path = input.path.clone();
            Some(Trial::test(format!("fmt::{path}"), move || {
                run(&path, &text)
            }))
        })
        .collect();
    for input in inputs {
        if !(input.path.starts_with("examples/") || input.path.starts_with("stdlib/")) {
            continue;
        }
        let Ok(text) = input.text.clone() else {
            continue;
        };
        let path = input.path.clone();
        out.push(Trial::test(format!("fmt::canonical::{path}"), move || {
            let formatted = driver::format_text(FileId(0), &text)
                .map_err(|_| format!("`{path}` does not parse"))?;
            if formatted != text {
                return Err(format!(
                    "`{path}` is not in canonical layout: run `posture fmt {path}`"
                )
                .into());
            }
            Ok(())
        }));
    }
    out
}

fn run(path: &str, text: &str) -> Result<(), Failed> {
    let (ast, diags) = syntax::parse(FileId(0), text);
    let Some(ast) = ast.filter(|_| !diags.has_errors()) else {
        // The `ast` suite reports inputs that do not parse.
        return Err(format!("`{path}` does not parse").into());
    };
    let once = driver::format_text(FileId(0), text)
        .map_err(|d| format!("`{path}`: format_text refused a file that parses: {d:?}"))?;
    let (ast2, diags2) = syntax::parse(FileId(0), &once);
    if !diags2.is_empty() {
        let msgs: Vec<String> = diags2
            .iter()
            .map(|d| format!("[{}] {}", d.code.id, d.message))
            .collect();
        return Err(format!(
            "formatting `{path}` gave text that does not parse cleanly:\n  {}\n--- formatted ---\n{once}",
            msgs.join("\n  ")
        )
        .into());
    }
    let ast2 = ast2.ok_or("no AST for the formatted text")?;
    let (before, after) = (tests::erase::ast(&ast), tests::erase::ast(&ast2));
    if before != after {
        let b = serde_json::to_string_pretty(&before).unwrap_or_default();
        let a = serde_json::to_string_pretty(&after).unwrap_or_default();
        return Err(format!(
            "formatting `{path}` changed its AST:\n{}\n--- formatted ---\n{once}",
            first_difference(&b, &a)
        )
        .into());
    }
    let twice = driver::format_text(FileId(0), &once)
        .map_err(|_| format!("`{path}`: the formatted text does not format"))?;
    if twice != once {
        return Err(format!(
            "formatting `{path}` is not idempotent:\n{}",
            first_difference(&once, &twice)
        )
        .into());
    }
    Ok(())
}

/// The first line where `a` and `b` differ, with a little context.
pub(crate) fn first_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let n = la.len().max(lb.len());
    for i in 0..n {
        if la.get(i) != lb.get(i) {
            let from = i.saturating_sub(3);
            let mut out = format!("first difference at line {}:\n", i + 1);
            for j in from..(i + 4).min(n) {
                out.push_str(&format!("  - {}\n", la.get(j).unwrap_or(&"<none>")));
            }
            for j in from..(i + 4).min(n) {
                out.push_str(&format!("  + {}\n", lb.get(j).unwrap_or(&"<none>")));
            }
            return out;
        }
    }
    "the texts differ only in line endings".to_string()
}
