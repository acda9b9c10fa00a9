//! `posture reach PATH`: the connectivity the posture's NetworkPolicies allow, from the same
//! analysis the build's reachability proof runs, as a table, JSON or Graphviz DOT. The driver's
//! build emits and proves; this renders.

use crate::FsWorld;
use diagnostics::Diagnostic;
use driver::Options;
use driver::targets::reach::{self, Query};

use super::check::user_files;
use super::{Ui, root_of, sources_for_display, today_for};
use crate::args::{FormatName, ReachArgs, ReachFormat, ReportArgs};
use crate::{Env, Exit};

/// Checks the posture, analyses its emitted NetworkPolicies and prints the matrix on standard
/// output. Warnings of the check go to standard error; errors (or a failed proof, P4008) make
/// the exit status 1.
pub(crate) fn run(args: &ReachArgs, env: &Env, ui: &mut Ui<'_>) -> Exit {
    let report = ReportArgs {
        format: FormatName::Human,
        today: args.today,
    };
    let today = match today_for(&report, env, ui) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let options = Options { today: Some(today) };
    let build = match driver::build_for_reach(
        &FsWorld,
        &args.path,
        &options,
        &driver::targets::TargetOptions::default(),
    ) {
        Ok(b) => b,
        Err(d) => {
            ui.report_usage(FormatName::Human, d);
            return Exit::Usage;
        }
    };
    let files = user_files(&build.checked.loaded);
    let sources = sources_for_display(&build.checked.loaded, &root_of(&args.path));
    let mut diags: Vec<Diagnostic> = build.checked.diagnostics.iter().cloned().collect();
    let Some(posture) = build.posture() else {
        ui.report(FormatName::Human, &diags, &sources, &files, None);
        return Exit::Failure;
    };
    let mut query = Query {
        limit: args.limit,
        ..Query::default()
    };
    for (flag, text, slot) in [
        ("--from", &args.from, &mut query.from),
        ("--to", &args.to, &mut query.to),
    ] {
        if let Some(text) = text {
            match reach::parse_peer(posture, text) {
                Ok(peer) => *slot = Some(peer),
                Err(message) => {
                    ui.error(&format!("{flag}: {message}"));
                    return Exit::Usage;
                }
            }
        }
    }
    let matrix = match build.reach(&query) {
        Some(Ok(m)) => m,
        Some(Err(d)) => {
            diags.extend(d);
            ui.report(FormatName::Human, &diags, &sources, &files, None);
            return Exit::Failure;
        }
        None => {
            ui.report(FormatName::Human, &diags, &sources, &files, None);
            return Exit::Failure;
        }
    };
    ui.out(&match args.format {
        ReachFormat::Table => reach::table(&matrix),
        ReachFormat::Json => reach::json(&matrix),
        ReachFormat::Dot => reach::dot(&matrix),
    });
    // The matrix describes the emitted policies; say so when they fail the proof.
    diags.extend(build.proof_diagnostics());
    if !diags.is_empty() {
        ui.report(FormatName::Human, &diags, &sources, &files, None);
    }
    let exit = if diags.iter().any(Diagnostic::is_error) {
        Exit::Failure
    } else {
        Exit::Success
    };
    crate::dispose((matrix, build));
    exit
}
