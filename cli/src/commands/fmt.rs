//! `posture fmt [--check] PATH`: every user file of the posture in its canonical layout.

use crate::FsWorld;
use diagnostics::codes::io::P9006;
use diagnostics::{Diagnostic, Diagnostics};

use super::{Ui, count, root_of, sources_for_display};
use crate::args::{FmtArgs, FormatName};
use crate::{Exit, diff, write};

/// One file whose formatted text differs from what is on disk.
struct Change {
    /// The path on disk, as derived from the command line's PATH (what messages show).
    path: std::path::PathBuf,
    /// Its real path, every symbolic link resolved, inside the project root: what is written,
    /// so a link is kept and the file it points to is rewritten.
    real: Option<std::path::PathBuf>,
    old: String,
    new: String,
}

/// Formats every user file of the posture at `args.path`, in place or (`--check`) not.
///
/// Every file is formatted in memory first; if any cannot be (it does not parse, is not UTF-8,
/// is too large), the problems are reported and nothing is written.
pub(crate) fn run(args: &FmtArgs, ui: &mut Ui<'_>) -> Exit {
    let (loaded, load_diags) = match driver::load(&FsWorld, &args.path) {
        Ok(l) => l,
        Err(d) => {
            ui.report_usage(FormatName::Human, d);
            return Exit::Usage;
        }
    };
    let root = root_of(&args.path);

    // Problems that stop formatting: a file that could not be read as text (those come from
    // loading, P9xxx) or does not parse (`format_text` says). Name and type errors do not
    // matter to the formatter.
    let mut problems: Diagnostics = load_diags
        .into_iter()
        .filter(|d| d.is_error() && d.code.id.starts_with("P9"))
        .collect::<Vec<_>>()
        .into();
    let mut changes = Vec::new();
    for (display, id) in &loaded.user_files {
        let Some(file) = loaded.sources.get(*id) else {
            continue;
        };
        match driver::format_text(*id, &file.text) {
            Ok(new) if *new != *file.text => changes.push(Change {
                path: root.join(display),
                real: loaded.real_paths.get(display).cloned(),
                old: file.text.to_string(),
                new,
            }),
            Ok(_) => {}
            Err(d) => problems.extend(d),
        }
    }
    if problems.has_errors() {
        problems.sort();
        let diags = problems.into_vec();
        let sources = sources_for_display(&loaded, &root);
        ui.report(FormatName::Human, &diags, &sources, &[], None);
        return Exit::Failure;
    }

    if args.check {
        for c in &changes {
            let name = c.path.display().to_string();
            let patch = diff::unified(&c.old, &c.new, &name, &name, ui.out_color);
            ui.out(&patch);
        }
        for c in &changes {
            ui.note(&format!("would reformat `{}`", c.path.display()));
        }
        if changes.is_empty() {
            ui.note(&format!(
                "{} already formatted",
                count(loaded.user_files.len(), "file")
            ));
            return Exit::Success;
        }
        ui.error(&format!(
            "{} not formatted; run `posture fmt` to fix",
            count(changes.len(), "file")
        ));
        return Exit::Failure;
    }

    let mut failures = Vec::new();
    for c in &changes {
        let written = match &c.real {
            Some(real) => write::replace_file_inside(real, &loaded.real_root, c.new.as_bytes()),
            None => Err(std::io::Error::other("its real path is unknown")),
        };
        match written {
            Ok(()) => ui.note(&format!("formatted `{}`", c.path.display())),
            Err(e) => failures.push(Diagnostic::new(
                &P9006,
                format!("cannot write `{}`: {e}", c.path.display()),
            )),
        }
    }
    if failures.is_empty() {
        if changes.is_empty() {
            ui.note(&format!(
                "{} already formatted",
                count(loaded.user_files.len(), "file")
            ));
        }
        Exit::Success
    } else {
        ui.report(FormatName::Human, &failures, &Default::default(), &[], None);
        Exit::Failure
    }
}
