//! `cargo xtask regen-controls [--check]`: rebuilds `controls/data/compact/` from the source
//! files in `controls/data/`, failing when a source's SHA-256 differs from
//! `controls/data/SHA256SUMS`. With `--check` nothing is written and stale files are an error.

use std::path::{Path, PathBuf};

use crate::regen::{self, FileStatus};

/// Runs the command with the arguments after `regen-controls`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut check = false;
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!(
                    "usage: cargo xtask regen-controls [--check]\n\n\
                     Rebuilds controls/data/compact/*.json from controls/data/ after verifying\n\
                     every sha256 in controls/data/SHA256SUMS. --check compares without writing."
                );
                return Ok(());
            }
            other => return Err(format!("regen-controls: unknown argument `{other}`")),
        }
    }
    let data = data_dir();
    let report = regen::write(&data, check).map_err(|e| format!("regen-controls: {e}"))?;
    let mut stale = Vec::new();
    for (path, status) in &report {
        let shown = path
            .strip_prefix(workspace_root())
            .unwrap_or(path)
            .display();
        match status {
            FileStatus::Unchanged => println!("unchanged {shown}"),
            FileStatus::Written => println!("wrote     {shown}"),
            FileStatus::Stale => {
                println!("stale     {shown}");
                stale.push(shown.to_string());
            }
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "regen-controls: {} out of date; run `cargo xtask regen-controls`",
            stale.join(", ")
        ))
    }
}

/// The workspace root: xtask's manifest directory's parent.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn data_dir() -> PathBuf {
    workspace_root().join("controls").join("data")
}
