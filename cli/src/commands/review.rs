//! `posture diff OLD NEW`: what changes between two posture revisions (each compiled in
//! memory by the driver, as `build` and `reach` do; nothing is written) or two build output
//! directories (the files their `manifest.json` lists, checked against its digests). The
//! comparison and the renderers are crate `review`'s; this reads, reports and sets the exit
//! status.

use std::path::Path;

use diagnostics::Diagnostic;
use driver::Options;

use super::check::user_files;
use super::{Ui, root_of, sources_for_display};
use crate::args::{DiffArgs, DiffFormat, FailOn, FormatName};
use crate::{Env, Exit, FsWorld, today};

/// A build output directory: a directory with a `manifest.json`.
fn is_build(path: &Path) -> bool {
    path.is_dir() && path.join("manifest.json").is_file()
}

pub(crate) fn run(args: &DiffArgs, env: &Env, ui: &mut Ui<'_>) -> Exit {
    let Some(new) = args.new.as_deref() else {
        ui.error("posture diff needs two revisions, OLD and NEW (or a build directory and --live)");
        return Exit::Usage;
    };
    let old = args.old.as_path();
    let report = match (is_build(old), is_build(new)) {
        (true, true) => match (read_build(old, ui), read_build(new, ui)) {
            (Ok(a), Ok(b)) => review::compare_builds(&a, &b),
            _ => return Exit::Usage,
        },
        (false, false) => match sources(args, old, new, env, ui) {
            Ok(r) => r,
            Err(exit) => return exit,
        },
        (o, _) => {
            let (build, src) = if o { (old, new) } else { (new, old) };
            ui.error(&format!(
                "cannot compare a build output directory (`{}`) with posture sources (`{}`): \
                 give two build directories or two posture revisions",
                build.display(),
                src.display()
            ));
            return Exit::Usage;
        }
    };
    ui.out(&match args.format {
        DiffFormat::Text => review::render::text(&report),
        DiffFormat::Json => review::render::json(&report),
        DiffFormat::Markdown => review::render::markdown(&report),
        DiffFormat::Github => review::render::github(&report),
    });
    exit_for(report.outcome, args.fail_on)
}

/// The exit status of an outcome under `--fail-on`.
pub(crate) fn exit_for(outcome: review::Outcome, fail_on: FailOn) -> Exit {
    use review::Outcome;
    match (outcome, fail_on) {
        (Outcome::Unchanged, _) | (_, FailOn::Never) | (Outcome::Changed, FailOn::Widen) => {
            Exit::Success
        }
        (Outcome::Changed, FailOn::Any) => Exit::Differs,
        (Outcome::Widens, _) => Exit::Widens,
    }
}

/// Both revisions compiled and compared. Errors of either (the check's, or a failed proof)
/// are reported with their codes, exit 1.
fn sources(
    args: &DiffArgs,
    old: &Path,
    new: &Path,
    env: &Env,
    ui: &mut Ui<'_>,
) -> Result<review::Report, Exit> {
    let today = today::resolve(args.today, env.posture_today.as_deref(), env.now).map_err(|m| {
        ui.error(&m);
        Exit::Usage
    })?;
    let options = Options { today: Some(today) };
    let build = |path: &Path, ui: &mut Ui<'_>| {
        driver::build(
            &FsWorld,
            path,
            &options,
            &driver::targets::TargetOptions::default(),
        )
        .map_err(|d| {
            ui.report_usage(FormatName::Human, d);
            Exit::Usage
        })
    };
    let a = build(old, ui)?;
    let b = build(new, ui)?;
    let sa = sources_for_display(&a.checked.loaded, &root_of(old));
    let sb = sources_for_display(&b.checked.loaded, &root_of(new));
    let mut failed = false;
    for (build, sources) in [(&a, &sa), (&b, &sb)] {
        if build.has_errors() {
            let diags: Vec<Diagnostic> = build.diagnostics();
            ui.report(
                FormatName::Human,
                &diags,
                sources,
                &user_files(&build.checked.loaded),
                None,
            );
            failed = true;
        }
    }
    if failed {
        return Err(Exit::Failure);
    }
    let catalog = controls::try_catalog().map_err(|e| {
        ui.error(&format!("the embedded control catalog does not load: {e}"));
        Exit::Failure
    })?;
    let side = |build, sources, path: &Path| review::SourceSide {
        build,
        sources,
        catalog,
        path: path.display().to_string(),
    };
    review::compare_sources(&side(&a, &sa, old), &side(&b, &sb, new)).map_err(|diags| {
        ui.report(
            FormatName::Human,
            &diags,
            &sb,
            &user_files(&b.checked.loaded),
            None,
        );
        Exit::Failure
    })
}

/// The files a build directory's manifest lists, each checked against its size and digest
/// ([`driver::output::read_build`]), so the comparison reads what the build wrote. A problem
/// is a usage error, reported here.
fn read_build(dir: &Path, ui: &mut Ui<'_>) -> Result<review::BuildSide, ()> {
    use driver::output::{BuildReadError, FileProblem};
    let mut fail = |message: String| {
        ui.error(&format!(
            "`{}` is not a readable build: {message}",
            dir.display()
        ));
    };
    match driver::output::read_build(&FsWorld, dir) {
        Ok((manifest, contents)) => Ok(review::BuildSide {
            path: dir.display().to_string(),
            files: manifest
                .files
                .into_iter()
                .zip(contents)
                .map(|(entry, bytes)| review::BuildFile {
                    path: entry.path,
                    bytes,
                })
                .collect(),
        }),
        Err(BuildReadError::NotABuild(why)) => {
            fail(why);
            Err(())
        }
        Err(BuildReadError::Modified(problems)) => {
            for p in problems {
                fail(match p {
                    FileProblem::Changed(f) => format!(
                        "{f} does not match the manifest's sha256 (edited after the build?)"
                    ),
                    FileProblem::Link(f) => format!("{f} is, or lies behind, a symbolic link"),
                    FileProblem::Unreadable(f, e) => format!("{f}: {e}"),
                });
            }
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use review::Outcome;

    #[test]
    fn fail_on_decides_the_exit_status() {
        let table = [
            (Outcome::Unchanged, FailOn::Any, 0),
            (Outcome::Changed, FailOn::Any, 3),
            (Outcome::Widens, FailOn::Any, 4),
            (Outcome::Unchanged, FailOn::Widen, 0),
            (Outcome::Changed, FailOn::Widen, 0),
            (Outcome::Widens, FailOn::Widen, 4),
            (Outcome::Changed, FailOn::Never, 0),
            (Outcome::Widens, FailOn::Never, 0),
        ];
        for (outcome, fail_on, code) in table {
            assert_eq!(
                exit_for(outcome, fail_on).code(),
                code,
                "{outcome:?} {fail_on:?}"
            );
        }
    }
}
