//! AST snapshots: every valid input parsed, its AST rendered without spans
//! (`tests::erase::ast`) and compared with `tests/snapshots/ast/<path>.snap`. A valid input
//! that does not parse cleanly fails here.

use crate::{Input, root};
use libtest_mimic::{Failed, Trial};
use std::path::Path;

pub(crate) fn trials(inputs: &[Input]) -> Vec<Trial> {
    inputs
        .iter()
        .map(|input| {
            let input = input.clone();
            Trial::test(format!("ast::{}", input.path), move || run(&input))
        })
        .collect()
}

/// The snapshot file of an input, relative to `tests/snapshots/`.
pub(crate) fn snapshot_file(input: &Input) -> String {
    let stem = input.path.strip_suffix(".posture").unwrap_or(&input.path);
    format!("ast/{stem}.snap")
}

fn run(input: &Input) -> Result<(), Failed> {
    let text = input
        .text
        .as_ref()
        .map_err(|e| format!("cannot read `{}`: {e}", input.path))?;
    let (ast, diags) = syntax::parse(diagnostics::FileId(0), text);
    if !diags.is_empty() {
        let msgs: Vec<String> = diags
            .iter()
            .map(|d| format!("[{}] {}", d.code.id, d.message))
            .collect();
        return Err(format!(
            "`{}` should parse without diagnostics:\n  {}",
            input.path,
            msgs.join("\n  ")
        )
        .into());
    }
    let ast = ast.ok_or("no AST")?;
    let value = tests::erase::ast(&ast);
    let path = Path::new(&input.path);
    let dir = path.parent().unwrap_or(Path::new(""));
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/ast").join(dir));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(root().join(&input.path));
    settings.bind(|| insta::assert_yaml_snapshot!(name, value));
    Ok(())
}
