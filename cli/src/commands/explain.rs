//! `posture explain PATH CONTROL`: which frameworks require a control, which items implement
//! or claim it (`file:line`), which output files enforce it, which checks verify them, which
//! declarations, exceptions and gaps touch it.

use super::Ui;
use super::coverage::with_graph;
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
    with_graph(
        &args.path,
        args.today,
        args.controls_dir.as_deref(),
        env,
        ui,
        |graph, ui| {
            let explanation = graph.explain(control);
            let text = match args.format {
                ExplainFormat::Text => graph::report::explain_text(&explanation),
                ExplainFormat::Json => graph::report::to_json(&explanation),
            };
            ui.out(&text);
            Exit::Success
        },
    )
}
