//! `posture apply`, `posture diff DIR --live` and `posture verify DIR --live`: a build against
//! live clusters, through the `live` crate. This module only prints.

use std::cell::RefCell;
use std::path::Path;

use live::apply::{Action, Event, Options};
use live::bundle::Bundle;
use live::verify::Outcome;

use super::Ui;
use crate::args::{
    AdmissionMode, ApplyArgs, DiffArgs, DiffFormat, FailOn, FormatName, LiveFormat, VerifyArgs,
};
use crate::{Env, Exit};

/// The contexts of `--context` (`None`: the current context).
fn contexts(list: &[String]) -> Vec<Option<String>> {
    if list.is_empty() {
        vec![None]
    } else {
        let mut v: Vec<Option<String>> = list.iter().map(|c| Some(c.clone())).collect();
        v.dedup();
        v
    }
}

fn read_bundle(dir: &Path, ui: &mut Ui<'_>) -> Result<Bundle, Exit> {
    live::bundle::read(&crate::FsWorld, dir).map_err(|f| {
        let exit = if f.code.id == "P8001" {
            Exit::Usage
        } else {
            Exit::Failure
        };
        ui.report_usage(FormatName::Human, f.diagnostic());
        exit
    })
}

/// The build in `dir` and the runtime the client runs on.
fn prepare(dir: &Path, ui: &mut Ui<'_>) -> Result<(Bundle, tokio::runtime::Runtime), Exit> {
    let bundle = read_bundle(dir, ui)?;
    let rt = live::runtime().map_err(|e| {
        ui.error(&format!("cannot start the client's runtime: {e}"));
        Exit::Failure
    })?;
    Ok((bundle, rt))
}

fn report_failure(ui: &mut Ui<'_>, f: &live::Failure) {
    ui.report_usage(FormatName::Human, f.diagnostic());
}

fn not_applied_note(ui: &mut Ui<'_>, bundle: &Bundle) {
    if !bundle.not_applied.is_empty() {
        ui.note(&format!(
            "not applied (not Kubernetes objects of the cluster): {}",
            bundle.not_applied.join(", ")
        ));
    }
}

/// `posture apply`.
pub(crate) fn apply(a: &ApplyArgs, ui: &mut Ui<'_>) -> Exit {
    let (bundle, rt) = match prepare(&a.dir, ui) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let contexts = contexts(&a.context);
    let several = contexts.len() > 1;
    let options = Options {
        dry_run: a.dry_run,
        prune: a.prune,
        admission_audit: a.admission == AdmissionMode::Audit,
    };
    let total = bundle.objects.len();
    let progress = ui.progress;
    let ui_cell = RefCell::new(&mut *ui);
    let done = RefCell::new(0usize);
    let on_event = |e: Event| {
        let mut ui = ui_cell.borrow_mut();
        match e {
            Event::Done {
                cluster,
                object,
                action,
                dry_run,
            } => {
                *done.borrow_mut() += 1;
                if action != Action::Unchanged {
                    if progress {
                        ui.err("\r\x1b[2K");
                    }
                    let prefix = if several {
                        format!("[{cluster}] ")
                    } else {
                        String::new()
                    };
                    let suffix = if dry_run { " (dry run)" } else { "" };
                    ui.out(&format!("{prefix}{} {object}{suffix}\n", action.as_str()));
                }
                if progress {
                    let n = *done.borrow();
                    let all = total * contexts.len();
                    let width = 30;
                    let filled = (n.min(all) * width).checked_div(all).unwrap_or(width);
                    ui.err(&format!(
                        "\r\x1b[2K[{}{}] {n}/{all} objects",
                        "#".repeat(filled),
                        "-".repeat(width - filled)
                    ));
                }
            }
            Event::Phase {
                cluster,
                phase,
                total,
            } => {
                if !progress {
                    let prefix = if several {
                        format!("[{cluster}] ")
                    } else {
                        String::new()
                    };
                    ui.note(&format!("{prefix}applying {}: {total}", phase.title()));
                }
            }
        }
    };
    let reports = rt.block_on(live::apply::apply_all(
        &contexts, &bundle, options, &on_event,
    ));
    let ui = ui_cell.into_inner();
    if progress {
        ui.err("\r\x1b[2K");
    }
    let mut exit = Exit::Success;
    for r in &reports {
        for w in &r.warnings {
            report_failure(ui, w);
        }
        let summary = format!(
            "{}{}: {} created, {} configured, {} unchanged, {} pruned{}",
            r.cluster,
            if r.server.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.server)
            },
            r.count(Action::Created),
            r.count(Action::Configured),
            r.count(Action::Unchanged),
            r.count(Action::Pruned),
            if r.dry_run { " (dry run)" } else { "" }
        );
        if let Some(f) = &r.failure {
            exit = Exit::Failure;
            report_failure(ui, f);
            ui.note(&summary);
            ui.note(&format!(
                "{}: applied before it stopped: {}; not applied: {}",
                r.cluster,
                r.done.len(),
                r.not_applied.len()
            ));
            for o in r.not_applied.iter().take(20) {
                ui.note(&format!("  not applied: {o}"));
            }
            if r.not_applied.len() > 20 {
                ui.note(&format!("  … and {} more", r.not_applied.len() - 20));
            }
        } else {
            ui.note(&summary);
        }
    }
    not_applied_note(ui, &bundle);
    exit
}

/// `posture diff DIR --live`.
pub(crate) fn diff(a: &DiffArgs, ui: &mut Ui<'_>) -> Exit {
    if a.new.is_some() {
        ui.error("`posture diff DIR --live` compares one build with the cluster: give no NEW");
        return Exit::Usage;
    }
    let json = match a.format {
        DiffFormat::Text => false,
        DiffFormat::Json => true,
        DiffFormat::Markdown | DiffFormat::Github => {
            ui.error("`posture diff --live` prints `text` or `json`");
            return Exit::Usage;
        }
    };
    let (bundle, rt) = match prepare(&a.old, ui) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let reports = rt.block_on(live::drift::diff_all(&contexts(&a.context), &bundle));
    let mut exit = Exit::Success;
    for r in &reports {
        if let Some(f) = &r.failure {
            report_failure(ui, f);
            exit = Exit::Failure;
        }
        if !r.not_evaluated.is_empty() && exit != Exit::Failure {
            exit = Exit::Failure;
        }
        if !r.differences.is_empty() && exit == Exit::Success && a.fail_on != FailOn::Never {
            exit = Exit::Differs;
        }
    }
    if json {
        ui.out(&format!("{}\n", diagnostics::to_json(&reports)));
        return exit;
    }
    for r in &reports {
        let mut text = String::new();
        for d in &r.differences {
            let who = if d.managers.is_empty() {
                String::new()
            } else {
                format!(" (written by {})", d.managers.join(", "))
            };
            text.push_str(&format!("{} {}{who}\n", d.change.as_str(), d.object));
            for f in &d.fields {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref()
                        .map_or_else(|| "(unset)".to_string(), |v| v.to_string())
                };
                match &f.written_by {
                    Some(m) => {
                        text.push_str(&format!("  {}: written by {m}, not by posture\n", f.path))
                    }
                    None => text.push_str(&format!(
                        "  {}: build {}, cluster {}\n",
                        f.path,
                        show(&f.build),
                        show(&f.live)
                    )),
                }
            }
        }
        for (o, why) in &r.not_evaluated {
            text.push_str(&format!("not evaluated {o}: {why}\n"));
        }
        ui.out(&text);
        if r.failure.is_none() {
            ui.note(&format!(
                "{} ({}): {} differences, {} objects not read",
                r.cluster,
                r.server,
                r.differences.len(),
                r.not_evaluated.len()
            ));
        }
    }
    exit
}

/// `posture verify DIR --live`.
pub(crate) fn verify(a: &VerifyArgs, env: &Env, ui: &mut Ui<'_>) -> Exit {
    if !a.live {
        ui.error("`posture verify DIR` reads a cluster: add `--live`");
        return Exit::Usage;
    }
    let (bundle, rt) = match prepare(&a.dir, ui) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let reports = rt.block_on(live::verify::verify_all(&contexts(&a.context), &bundle));
    let secs = env
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let collected = evidence::Timestamp(secs).rfc3339();
    let plan = a.dir.join("oscal/assessment-plan.json");
    let doc = live::verify::assessment_results(
        &bundle.system,
        &reports,
        &collected,
        &plan.to_string_lossy(),
    );
    let json = format!("{}\n", diagnostics::to_json(&doc));
    let mut exit = Exit::Success;
    for r in &reports {
        if let Some(f) = &r.failure {
            report_failure(ui, f);
            exit = Exit::Failure;
        } else if r.count(Outcome::Fail) > 0 && exit == Exit::Success {
            exit = Exit::Differs;
        }
    }
    if let Some(path) = &a.output {
        let tmp = path.with_extension("json.partial");
        if let Err(e) = std::fs::write(&tmp, &json).and_then(|()| std::fs::rename(&tmp, path)) {
            ui.error(&format!("cannot write {}: {e}", path.display()));
            return Exit::Failure;
        }
    }
    if a.format == LiveFormat::Json {
        ui.out(&json);
        return exit;
    }
    for r in &reports {
        let mut text = String::new();
        for c in &r.checks {
            text.push_str(&format!(
                "{:<13} {} [{}]: {}\n",
                c.outcome.as_str(),
                c.subject,
                c.check,
                c.detail
            ));
        }
        ui.out(&text);
        if r.failure.is_none() {
            ui.note(&format!(
                "{} ({}): {} pass, {} fail, {} not evaluated",
                r.cluster,
                r.server,
                r.count(Outcome::Pass),
                r.count(Outcome::Fail),
                r.count(Outcome::NotEvaluated)
            ));
        }
    }
    exit
}
