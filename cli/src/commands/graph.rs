//! `posture graph PATH --format dot|mermaid`: the control graph, whole or around one control
//! (`--control`) or item (`--item`).

use super::Ui;
use super::coverage::with_graph;
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
        (None, Some(i)) => ::graph::Focus::Item(i.clone()),
        (None, None) => ::graph::Focus::Whole,
    };
    with_graph(
        &args.path,
        args.today,
        args.controls_dir.as_deref(),
        env,
        ui,
        |graph, ui| {
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
        },
    )
}
