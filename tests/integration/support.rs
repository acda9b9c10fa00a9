//! What every conformance suite needs from its surroundings: the external tools that
//! `cargo xtask tools` provides, scratch directories, and running a command.

use libtest_mimic::Failed;
use std::path::PathBuf;
use std::process::Command;

/// The tool an environment variable points to; its absence fails the test.
pub(crate) fn tool(var: &str) -> Result<PathBuf, Failed> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => Ok(PathBuf::from(v)),
        _ => Err(format!(
            "{var} is not set: run the tests through `cargo xtask test`, or load the tools first \
             with `set -a; eval \"$(cargo xtask tools)\"; set +a`"
        )
        .into()),
    }
}

/// Every scratch directory this process made ([`scratch`]), for [`remove_scratch`].
static SCRATCH: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A fresh scratch directory for one test of a suite, unique per process. It stays for
/// inspection when a test of the run fails; a run that passes removes it ([`remove_scratch`]).
pub(crate) fn scratch(suite: &str, name: &str) -> Result<PathBuf, Failed> {
    let dir = std::env::temp_dir().join(format!(
        "posture-{suite}-{}-{}",
        std::process::id(),
        name.replace(['/', ':'], "-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    SCRATCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(dir.clone());
    Ok(dir)
}

/// Removes the scratch directories of this run (after every test passed; a failed run keeps
/// them, and says where).
pub(crate) fn remove_scratch(passed: bool) {
    let dirs = std::mem::take(
        &mut *SCRATCH
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    if passed {
        for dir in &dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    } else if !dirs.is_empty() {
        eprintln!(
            "the {} scratch directories of this run are kept: {}",
            dirs.len(),
            std::env::temp_dir()
                .join(format!("posture-*-{}-*", std::process::id()))
                .display()
        );
    }
}

/// Runs a command; `(exit status success, stdout, stderr)`.
pub(crate) fn run_split(cmd: &mut Command) -> Result<(bool, String, String), Failed> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Runs a command; `(exit status success, stdout then stderr)`.
pub(crate) fn run(cmd: &mut Command) -> Result<(bool, String), Failed> {
    let (ok, out, err) = run_split(cmd)?;
    Ok((ok, format!("{out}{err}")))
}

/// The build of the posture at `path` (a directory of the repository), as `posture build`
/// makes it with `--today today`.
pub(crate) fn build_at(path: &std::path::Path, today: ir::Date) -> Result<driver::Build, Failed> {
    driver::build(
        &cli::FsWorld,
        path,
        &driver::Options { today: Some(today) },
        &driver::targets::TargetOptions::default(),
    )
    .map_err(|d| d.message.into())
}
