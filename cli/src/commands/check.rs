//! `posture check PATH`: load, check, report.

use crate::FsWorld;
use diagnostics::FileId;
use driver::{Options, Origin};

use super::{Ui, count, root_of, sources_for_display, today_for};
use crate::args::CheckArgs;
use crate::{Env, Exit};

/// Checks the posture at `args.path` and reports every diagnostic.
pub(crate) fn run(args: &CheckArgs, env: &Env, ui: &mut Ui<'_>) -> Exit {
    let today = match today_for(&args.report, env, ui) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let options = Options { today: Some(today) };
    let checked = match driver::check(&FsWorld, &args.path, &options) {
        Ok(c) => c,
        Err(d) => {
            ui.report_usage(args.report.format, d);
            return Exit::Usage;
        }
    };
    let files = user_files(&checked.loaded);
    let sources = sources_for_display(&checked.loaded, &root_of(&args.path));
    let diags: Vec<_> = checked.diagnostics.iter().cloned().collect();
    let ok = format!("checked {}: no problems found", count(files.len(), "file"));
    ui.report(args.report.format, &diags, &sources, &files, Some(&ok));
    let exit = if checked.diagnostics.has_errors() {
        Exit::Failure
    } else {
        Exit::Success
    };
    crate::dispose(checked);
    exit
}

/// The ids of the user's files (not the standard library's), in load order.
pub(crate) fn user_files(loaded: &driver::Loaded) -> Vec<FileId> {
    let mut ids: Vec<FileId> = loaded
        .files
        .iter()
        .filter(|f| f.origin == Origin::User)
        .map(|f| f.id)
        .collect();
    ids.sort();
    ids
}
