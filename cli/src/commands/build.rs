//! `posture build PATH -o DIR`: check, then write the output directory atomically.

use crate::FsWorld;
use diagnostics::Diagnostic;
use diagnostics::codes::io::P9006;
use driver::Options;

use super::check::user_files;
use super::{Ui, count, root_of, sources_for_display, today_for};
use crate::args::{BuildArgs, KyvernoApi};
use crate::write::{self, WriteError};
use crate::{Env, Exit};

/// Checks the posture; when it has no errors, builds it and replaces `args.out` with the
/// result. Diagnostics (including a failed write, P9006) are reported once, at the end, so a
/// machine format is always one document.
pub(crate) fn run(args: &BuildArgs, env: &Env, ui: &mut Ui<'_>) -> Exit {
    let today = match today_for(&args.report, env, ui) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    // Refuse a directory we may not replace before spending time on the posture.
    let mut protected = vec![root_of(&args.path)];
    match write::inspect(&args.out, args.force, &protected) {
        Err(WriteError::Refused(d)) => {
            ui.report_usage(args.report.format, *d);
            return Exit::Usage;
        }
        Err(WriteError::Failed(message)) => {
            ui.error(&message);
            return Exit::Usage;
        }
        Ok(_) => {}
    }
    let options = Options { today: Some(today) };
    let target_options = driver::targets::TargetOptions {
        kyverno_api: args.kyverno_api.map(|a| match a {
            KyvernoApi::Cel => driver::targets::KyvernoApi::Cel,
            KyvernoApi::Clusterpolicy => driver::targets::KyvernoApi::ClusterPolicy,
        }),
    };
    ui.progress("posture: checking and building");
    let mut build = match driver::build(&FsWorld, &args.path, &options, &target_options) {
        Ok(b) => b,
        Err(d) => {
            ui.progress_done();
            ui.report_usage(args.report.format, d);
            return Exit::Usage;
        }
    };
    let files = user_files(&build.checked.loaded);
    let sources = sources_for_display(&build.checked.loaded, &root_of(&args.path));
    let mut diags: Vec<Diagnostic> = build.diagnostics();
    if build.has_errors() {
        // The check failed, or a proof over the emitted documents did (e.g. the reachability
        // proof, P4008).
        ui.progress_done();
        ui.report(args.report.format, &diags, &sources, &files, None);
        ui.note(&format!("nothing written to `{}`", args.out.display()));
        return Exit::Failure;
    }
    ui.progress_done();
    let catalog = match controls::try_catalog() {
        Ok(c) => c,
        Err(e) => {
            ui.error(&format!(
                "the embedded control catalog does not load (a build defect): {e}"
            ));
            return Exit::Failure;
        }
    };
    let evidence_options = match evidence_options(args, env, today) {
        Ok(o) => o,
        Err(message) => {
            ui.error(&message);
            return Exit::Usage;
        }
    };
    ui.progress("posture: writing the evidence (OSCAL, report)");
    let output = build.take_output_with_evidence(catalog, &evidence_options);
    ui.progress(&format!(
        "posture: writing {} to `{}`",
        count(output.files.len(), "file"),
        args.out.display()
    ));
    let mut exit = Exit::Success;
    let mut done = None;
    // Every source's real path, so the output can never be (or hold) one of them.
    protected.push(build.checked.loaded.real_root.clone());
    protected.extend(build.checked.loaded.real_paths.values().cloned());
    let written = write::write_dir(&args.out, &output.files, args.force, &protected);
    ui.progress_done();
    match written {
        Ok(written) => done = Some(written),
        Err(WriteError::Refused(d)) => {
            // The directory changed between the first look and the write.
            ui.report_usage(args.report.format, *d);
            return Exit::Usage;
        }
        Err(WriteError::Failed(message)) => {
            diags.push(
                Diagnostic::new(&P9006, message)
                    .with_note(format!("`{}` was left as it was", args.out.display())),
            );
            exit = Exit::Failure;
        }
    }
    let ok = format!("checked {}: no problems found", count(files.len(), "file"));
    ui.report(args.report.format, &diags, &sources, &files, Some(&ok));
    if let Some(written) = done {
        if let Some(old) = written.leftover {
            ui.warning(&format!(
                "could not remove the previous output, moved aside to `{}`",
                old.display()
            ));
        }
        ui.note(&format!(
            "wrote {} to `{}`",
            count(output.files.len(), "file"),
            args.out.display()
        ));
    }
    crate::dispose((output, build));
    exit
}

/// The OSCAL documents' time and commit: `--timestamp`, else `SOURCE_DATE_EPOCH`, else `today`
/// at midnight UTC; `--source-commit`. `Err` is a usage error's message.
fn evidence_options(
    args: &BuildArgs,
    env: &Env,
    today: ir::Date,
) -> Result<driver::EvidenceOptions, String> {
    let parse = |what: &str, text: &str| {
        evidence::Timestamp::parse(text).ok_or_else(|| {
            format!(
                "{what} `{}` is not seconds since the epoch nor a UTC time like 2026-12-05T00:00:00Z",
                diagnostics::quote(text)
            )
        })
    };
    let timestamp = match (&args.timestamp, &env.source_date_epoch) {
        (Some(t), _) => parse("--timestamp", t)?,
        (None, Some(raw)) => parse("SOURCE_DATE_EPOCH", &raw.to_string_lossy())?,
        (None, None) => evidence::Timestamp::midnight(today),
    };
    Ok(driver::EvidenceOptions {
        timestamp,
        commit: args.source_commit.clone(),
    })
}
