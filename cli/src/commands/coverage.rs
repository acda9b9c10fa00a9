//! `posture coverage PATH --framework F`: the status of every requirement of a framework,
//! as a table, JSON or Markdown, with the CI gates `--min-coverage` and `--deny-gaps`. The
//! shared first half of `coverage`, `explain` and `graph` lives here too: the driver's build
//! (check, emit, proofs), then its control graph.

use std::path::Path;

use crate::FsWorld;
use diagnostics::{Diagnostic, Sources};
use driver::Options;

use super::check::user_files;
use super::{Ui, root_of, sources_for_display};
use crate::args::{CoverageArgs, CoverageFormat, FormatName};
use crate::{Env, Exit, today};

/// A build of a posture that checked, with display sources, ready for the graph.
pub(super) struct Prepared {
    pub(super) build: driver::Build,
    /// Catalogs loaded with `--controls-dir`; `None` uses the embedded ones.
    pub(super) catalog: Option<controls::Catalog>,
    pub(super) sources: Sources,
}

impl Prepared {
    /// The build's control graph over the catalog, including `extra` frameworks.
    pub(super) fn graph<'a>(
        &'a self,
        extra: &'a [controls::Framework],
    ) -> Option<(graph::ControlGraph<'a>, Vec<Diagnostic>)> {
        let catalog = match &self.catalog {
            Some(c) => c,
            None => controls::try_catalog().ok()?,
        };
        self.build.graph(catalog, &self.sources, extra)
    }
}

/// Builds the posture at `path` (check, emit, proofs). Diagnostics of the check are reported
/// (human, on standard error) only when there are errors; `Err` is the exit. A failed proof
/// does not stop the graph: it verifies nothing then.
pub(super) fn prepare(
    path: &Path,
    today: Option<ir::Date>,
    controls_dir: Option<&Path>,
    env: &Env,
    ui: &mut Ui<'_>,
) -> Result<Prepared, Exit> {
    let today = today::resolve(today, env.posture_today.as_deref(), env.now).map_err(|m| {
        ui.error(&m);
        Exit::Usage
    })?;
    let catalog = match controls_dir {
        Some(dir) => Some(crate::catalogs::load(&FsWorld, dir).map_err(|e| {
            ui.error(&format!(
                "cannot load the control catalogs in `{}`: {e}",
                dir.display()
            ));
            Exit::Usage
        })?),
        None => None,
    };
    let options = Options { today: Some(today) };
    let build = driver::build(
        &FsWorld,
        path,
        &options,
        &driver::targets::TargetOptions::default(),
    )
    .map_err(|d| {
        ui.report_usage(FormatName::Human, d);
        Exit::Usage
    })?;
    let sources = sources_for_display(&build.checked.loaded, &root_of(path));
    if build.posture().is_none() {
        let files = user_files(&build.checked.loaded);
        let diags: Vec<Diagnostic> = build.checked.diagnostics.iter().cloned().collect();
        ui.report(FormatName::Human, &diags, &sources, &files, None);
        return Err(Exit::Failure);
    }
    Ok(Prepared {
        build,
        catalog,
        sources,
    })
}

/// Checks the posture, builds its control graph and hands it to `f`: the shared first half of
/// `explain` and `graph`. The graph's warnings (P2005, P2006) are `posture coverage`'s to
/// report, so they are dropped here.
pub(super) fn with_graph(
    path: &Path,
    today: Option<ir::Date>,
    controls_dir: Option<&Path>,
    env: &Env,
    ui: &mut Ui<'_>,
    f: impl FnOnce(&graph::ControlGraph<'_>, &mut Ui<'_>) -> Exit,
) -> Exit {
    let prepared = match prepare(path, today, controls_dir, env, ui) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let Some((graph, _warnings)) = prepared.graph(&[]) else {
        ui.error("the control catalog does not load (a build defect)");
        return Exit::Failure;
    };
    f(&graph, ui)
}

/// Reports the check's warnings and the graph's (P2005, P2006) on standard error.
pub(super) fn report_warnings(prepared: &Prepared, graph_diags: Vec<Diagnostic>, ui: &mut Ui<'_>) {
    let mut diags: Vec<Diagnostic> = prepared.build.checked.diagnostics.iter().cloned().collect();
    diags.extend(graph_diags);
    if diags.is_empty() {
        return;
    }
    let mut all = diagnostics::Diagnostics::new();
    all.extend(diags);
    all.sort();
    let diags: Vec<Diagnostic> = all.into_vec();
    let files = user_files(&prepared.build.checked.loaded);
    ui.report(FormatName::Human, &diags, &prepared.sources, &files, None);
}

/// Prints the coverage of one framework and applies the gates: exit 1 when a gate fails.
pub(crate) fn run(args: &CoverageArgs, env: &Env, ui: &mut Ui<'_>) -> Exit {
    let prepared = match prepare(
        &args.path,
        args.today,
        args.controls_dir.as_deref(),
        env,
        ui,
    ) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let extra = [args.framework];
    let Some((graph, diags)) = prepared.graph(&extra) else {
        ui.error("the embedded control catalog does not load (a build defect)");
        return Exit::Failure;
    };
    report_warnings(&prepared, diags, ui);
    let coverage = graph.coverage(args.framework);
    let text = match args.format {
        CoverageFormat::Table => graph::report::coverage_table(&coverage),
        CoverageFormat::Json => graph::report::to_json(&coverage),
        CoverageFormat::Markdown => graph::report::coverage_markdown(&coverage),
    };
    ui.out(&text);
    let gate = graph::Gate {
        min_coverage: args.min_coverage,
        deny_gaps: args.deny_gaps,
    };
    let failures = gate.failures(&coverage);
    for f in &failures {
        ui.error(f);
    }
    if failures.is_empty() {
        Exit::Success
    } else {
        Exit::Failure
    }
}
