//! The commands, each a thin sequence: decide the settings, call the driver, report, write.
//! [`Ui`] holds the two output streams and the colour decision; every message goes through it.

mod build;
mod check;
mod coverage;
mod explain;
mod fmt;
mod graph;
mod live;
mod reach;
mod review;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use diagnostics::render::{self, Format};
use diagnostics::{Diagnostic, FileId, Sources};

use crate::args::{ColorWhen, Command, FormatName, ReportArgs};
use crate::{Cli, Env, Exit, today};

/// Runs one command.
pub(crate) fn run(command: &Command, env: &Env, mut ui: Ui<'_>) -> Exit {
    match command {
        Command::Check(a) => check::run(a, env, &mut ui),
        Command::Fmt(a) => fmt::run(a, &mut ui),
        Command::Build(a) => build::run(a, env, &mut ui),
        Command::Coverage(a) => coverage::run(a, env, &mut ui),
        Command::Explain(a) => explain::run(a, env, &mut ui),
        Command::Graph(a) => graph::run(a, env, &mut ui),
        Command::Reach(a) => reach::run(a, env, &mut ui),
        Command::Apply(a) => live::apply(a, &mut ui),
        Command::Diff(a) if a.live => live::diff(a, &mut ui),
        Command::Diff(a) => review::run(a, env, &mut ui),
        Command::Verify(a) => live::verify(a, env, &mut ui),
        Command::Completions(a) => {
            // Generate into memory first: the generators panic when their writer fails, and
            // a closed pipe (`posture completions bash | head`) must not make us panic.
            let mut script = Vec::new();
            clap_complete::generate(a.shell, &mut Cli::command(), "posture", &mut script);
            ui.out_bytes(&script);
            Exit::Success
        }
    }
}

/// Whether to colour a stream: `always` and `never` say so; `auto` colours a terminal unless
/// `NO_COLOR` is set (to anything but the empty string).
pub(crate) fn use_color(when: ColorWhen, no_color: bool, is_terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => is_terminal && !no_color,
    }
}

/// The output streams of a run and whether each is coloured.
pub(crate) struct Ui<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// Colour on standard output (diffs).
    out_color: bool,
    /// Colour on standard error (human diagnostics, messages).
    err_color: bool,
    /// Progress lines on standard error: only when it is a terminal (never in CI logs or
    /// when redirected).
    pub(crate) progress: bool,
}

impl<'a> Ui<'a> {
    pub(crate) fn new(
        when: ColorWhen,
        env: &Env,
        out: &'a mut dyn Write,
        err: &'a mut dyn Write,
    ) -> Ui<'a> {
        Ui {
            out,
            err,
            out_color: use_color(when, env.no_color, env.stdout_is_terminal),
            err_color: use_color(when, env.no_color, env.stderr_is_terminal),
            progress: env.stderr_is_terminal,
        }
    }

    /// Shows what a long command is doing, on one line of standard error that the next step
    /// (or [`Ui::progress_done`]) overwrites; nothing when standard error is not a terminal.
    fn progress(&mut self, step: &str) {
        if self.progress {
            self.err(&format!("\r\x1b[2K{step}…"));
        }
    }

    /// Clears the progress line before the command reports.
    fn progress_done(&mut self) {
        if self.progress {
            self.err("\r\x1b[2K");
        }
    }

    fn out_bytes(&mut self, bytes: &[u8]) {
        let _ = self.out.write_all(bytes);
        let _ = self.out.flush();
    }

    fn out(&mut self, text: &str) {
        self.out_bytes(text.as_bytes());
    }

    fn err(&mut self, text: &str) {
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    /// `error: message` on standard error, for problems that are not diagnostics about the
    /// posture (a bad `POSTURE_TODAY`, an output directory we may not replace).
    fn error(&mut self, message: &str) {
        let head = self.paint("1;91", "error");
        let text = format!("{head}{}\n", self.paint("1", &format!(": {message}")));
        self.err(&text);
    }

    /// `warning: message` on standard error.
    fn warning(&mut self, message: &str) {
        let head = self.paint("1;93", "warning");
        let text = format!("{head}{}\n", self.paint("1", &format!(": {message}")));
        self.err(&text);
    }

    /// A plain line on standard error.
    fn note(&mut self, message: &str) {
        self.err(&format!("{message}\n"));
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.err_color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Reports the one diagnostic of a path that cannot be read (a usage error), in `format`,
    /// without a summary line.
    fn report_usage(&mut self, format: FormatName, diag: Diagnostic) {
        let color = self.err_color;
        let format = to_format(format, color);
        let text = render::render(&format, &[diag], &Sources::new(), &[]);
        if let Format::Human { .. } = format {
            self.err(&text);
        } else {
            self.out(&text);
        }
    }

    /// Reports diagnostics: `human` on standard error, followed by the summary line (or
    /// `ok_line` when there is nothing to report); every other format, as one document, on
    /// standard output.
    fn report(
        &mut self,
        format: FormatName,
        diags: &[Diagnostic],
        sources: &Sources,
        files_checked: &[FileId],
        ok_line: Option<&str>,
    ) {
        let color = self.err_color;
        let format = to_format(format, color);
        let text = render::render(&format, diags, sources, files_checked);
        if let Format::Human { .. } = format {
            self.err(&text);
            match render::summary(diags, color) {
                Some(line) => self.err(&format!("{line}\n")),
                None => {
                    if let Some(ok) = ok_line {
                        self.note(ok);
                    }
                }
            }
        } else {
            self.out(&text);
        }
    }
}

/// The renderer's format for a `--format` name.
fn to_format(name: FormatName, color: bool) -> Format {
    match name {
        FormatName::Human => Format::Human { color },
        FormatName::Json => Format::Json,
        FormatName::Sarif => Format::Sarif {
            help_base_url: None,
        },
        FormatName::Junit => Format::Junit,
        FormatName::Github => Format::Github,
    }
}

/// "Today" for a command that checks: `--today`, `POSTURE_TODAY`, or the clock. A bad
/// `POSTURE_TODAY` is a usage error, reported here.
fn today_for(report: &ReportArgs, env: &Env, ui: &mut Ui<'_>) -> Result<ir::Date, Exit> {
    today::resolve(report.today, env.posture_today.as_deref(), env.now).map_err(|message| {
        ui.error(&message);
        Exit::Usage
    })
}

/// The directory that display paths of a loaded posture are relative to: the directory
/// itself, or a file's parent (as `driver::load` decides it).
fn root_of(path: &Path) -> PathBuf {
    if path.is_dir() {
        driver::load::normalize(path)
    } else {
        path.parent()
            .map(driver::load::normalize)
            .unwrap_or_default()
    }
}

/// The loaded sources with every user file's path made relative to where the command was
/// run (`platform/a.posture` for `posture check platform/`) instead of to the posture's root,
/// as rustc does, so terminals, editors and GitHub annotations find the files. Standard-library
/// files keep their own paths. File ids are unchanged.
fn sources_for_display(loaded: &driver::Loaded, root: &Path) -> Sources {
    let stdlib: std::collections::BTreeSet<FileId> = loaded
        .files
        .iter()
        .filter(|f| f.origin == driver::Origin::Stdlib)
        .map(|f| f.id)
        .collect();
    loaded.sources.renamed(|file| {
        if stdlib.contains(&file.id) {
            file.path.clone()
        } else {
            join_display(root, &file.path)
        }
    })
}

/// `root` and a `/`-separated `display` path, as one `/`-separated path.
fn join_display(root: &Path, display: &str) -> String {
    let mut parts: Vec<String> = root
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.push(display.to_string());
    let joined = parts.join("/");
    // A root of `/` is a component of its own; do not double the separator.
    match joined.strip_prefix("//") {
        Some(rest) => format!("/{rest}"),
        None => joined,
    }
}

/// `1 file`, `2 files`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod secret_tests;
#[cfg(test)]
mod tests;
