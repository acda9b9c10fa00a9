//! `posture explain PATH CONTROL`: which frameworks require a control, which items implement
//! or claim it (`file:line`), which output files enforce it, which checks verify them, which
//! declarations, exceptions and gaps touch it.

use super::Ui;
use super::coverage::prepare;
use crate::args::{ExplainArgs, ExplainFormat};
use crate::{Env, Exit};

/// Explains one control of the posture at `args.path`.
pub(crate) fn run(args: &ExplainArgs, env: &Env, ui: &mut Ui<'_>) -> Exit {
    let control = match controls::parse_control_ref(&args.control) {
        Ok(c) => c,
        Err(e) => {
            ui.error(&e.to_string());
            return Exit::Usage;
        }
    };
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
    // The graph's warnings (P2005, P2006) are `posture coverage`'s to report.
    let Some((graph, _warnings)) = prepared.graph(&[]) else {
        ui.error("the embedded control catalog does not load (a build defect)");
        return Exit::Failure;
    };
    let explanation = graph.explain(control);
    let text = match args.format {
        ExplainFormat::Text => graph::report::explain_text(&explanation),
        ExplainFormat::Json => graph::report::to_json(&explanation),
    };
    ui.out(&text);
    Exit::Success
}
