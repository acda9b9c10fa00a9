//! `posture graph PATH --format dot|mermaid`: the control graph, whole or around one control
//! (`--control`) or item (`--item`).

use super::Ui;
use super::coverage::prepare;
use crate::args::{GraphArgs, GraphFormat};
use crate::{Env, Exit};

/// Prints the control graph of the posture at `args.path`.
pub(crate) fn run(args: &GraphArgs, env: &Env, ui: &mut Ui<'_>) -> Exit {
    let focus = match (&args.control, &args.item) {
        (Some(c), _) => match controls::parse_control_ref(c) {
            Ok(c) => ::graph::Focus::Control(c),
            Err(e) => {
                ui.error(&e.to_string());
                return Exit::Usage;
            }
        },
        (None, Some(i)) => ::graph::Focus::Item(::graph::ItemId(i.clone())),
        (None, None) => ::graph::Focus::Whole,
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
    let drawing = match graph.drawing(&focus) {
        Ok(d) => d,
        Err(::graph::FocusError::UnknownItem { id, suggestion }) => {
            let hint = suggestion
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            ui.error(&format!("no item `{id}` in the posture{hint}"));
            return Exit::Usage;
        }
    };
    let text = match args.format {
        GraphFormat::Dot => drawing.to_dot(),
        GraphFormat::Mermaid => drawing.to_mermaid(),
    };
    ui.out(&text);
    Exit::Success
}
