//! Snapshots left behind: a `.snap` under `tests/snapshots/ui/` or `tests/snapshots/ast/` that
//! no ui case or valid input produces any more (its input was renamed or deleted) fails the
//! run, so those directories never fill with stale goldens. Other suites' snapshot folders are
//! theirs to police. Pending `.snap.new` files are insta's business (their trials fail).

use crate::{Input, ast, root, ui};
use libtest_mimic::Trial;
use std::collections::BTreeSet;

pub(crate) fn no_orphans(inputs: &[Input]) -> Trial {
    let expected: BTreeSet<String> = ui::snapshot_files()
        .into_iter()
        .chain(inputs.iter().map(ast::snapshot_file))
        .collect();
    Trial::test("snapshots::no-orphans", move || {
        let dir = root().join("tests/snapshots");
        let orphans: Vec<String> = ["ui", "ast"]
            .iter()
            .flat_map(|sub| tests::inputs::files_under(&dir.join(sub), ".snap"))
            .map(|p| tests::inputs::relative(&dir, &p))
            .filter(|p| !expected.contains(p))
            .collect();
        if orphans.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "snapshots that no test produces (delete them, or restore their input):\n  tests/snapshots/{}",
                orphans.join("\n  tests/snapshots/")
            )
            .into())
        }
    })
}
