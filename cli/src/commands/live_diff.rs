//! `posture diff DIR --live`: the build compared with a live cluster. Not part of this build;
//! the live commands replace this file.

use super::Ui;
use crate::args::DiffArgs;
use crate::{Env, Exit};

/// Refuses: a usage error (exit 2).
pub(crate) fn run(_args: &DiffArgs, _env: &Env, ui: &mut Ui<'_>) -> Exit {
    ui.error("posture diff --live is not available in this build");
    Exit::Usage
}
