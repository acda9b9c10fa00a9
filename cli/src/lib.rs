//! The `posture` command line: parses flags, calls the driver, renders diagnostics, writes
//! files and sets the exit status. This crate is the only part of posture that reads the clock
//! and the environment or writes files; [`main`] gathers those into an [`Env`] and hands it to
//! [`run`], which tests call with a fixed one.
//!
//! Exit status: [`Exit::Success`] (0) when there are no errors (warnings allowed),
//! [`Exit::Failure`] (1) when the posture has errors, [`Exit::Usage`] (2) for a usage error or a
//! path that cannot be read; `posture diff` adds [`Exit::Differs`] (3) and [`Exit::Widens`] (4).

#![forbid(unsafe_code)]

pub mod args;
mod catalogs;
mod commands;
pub mod diff;
pub mod today;
pub mod world;
pub mod write;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;

pub use args::Cli;
pub use world::FsWorld;

/// The exit status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// No errors; warnings allowed.
    Success,
    /// The posture has errors (or, for `fmt --check`, files are not formatted), or the build
    /// could not be written.
    Failure,
    /// A usage error, or the path given cannot be read.
    Usage,
    /// `posture diff`: the revisions differ, and nothing widens the posture; `diff --live`:
    /// the cluster differs from the build; `verify --live`: a check failed.
    Differs,
    /// `posture diff`: the change widens the posture.
    Widens,
}

impl Exit {
    /// The process exit code: 0, 1 or 2; `posture diff` and the live commands also 3, and
    /// `posture diff` 4.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Differs => 3,
            Exit::Widens => 4,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// What a run may know about the process it runs in: read once by [`main`], fixed in tests.
#[derive(Debug, Clone)]
pub struct Env {
    /// `NO_COLOR` is set to something other than the empty string.
    pub no_color: bool,
    /// Standard output is a terminal.
    pub stdout_is_terminal: bool,
    /// Standard error is a terminal.
    pub stderr_is_terminal: bool,
    /// The raw value of `POSTURE_TODAY`, if set.
    pub posture_today: Option<OsString>,
    /// The time now, for "today" when neither `--today` nor `POSTURE_TODAY` says.
    pub now: SystemTime,
    /// The raw value of `SOURCE_DATE_EPOCH`, if set: the OSCAL documents' time.
    pub source_date_epoch: Option<OsString>,
}

impl Env {
    /// The environment of this process.
    pub fn from_process() -> Env {
        Env {
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal: io::stderr().is_terminal(),
            posture_today: std::env::var_os(today::ENV),
            source_date_epoch: std::env::var_os("SOURCE_DATE_EPOCH"),
            now: SystemTime::now(),
        }
    }
}

/// The binary's entry point: parses the command line (clap's usage errors exit 2, `--help` and
/// `--version` exit 0) and runs it against this process's environment.
/// Set by [`main`] before it runs a command: the process ends when the command returns.
static EXITING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Lets go of a command's large values (the checked posture, the build, its files) as it
/// returns: when the process is about to exit ([`main`]) they are left to the operating system,
/// which takes the whole heap back at once, instead of being freed one allocation at a time (at
/// 10,000 workloads that is millions of frees); called as a library ([`run`], the tests) they
/// are dropped as usual.
pub(crate) fn dispose<T>(value: T) {
    if EXITING.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output, errors to standard error; a closed
            // stream is not worth a panic.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let env = Env::from_process();
    EXITING.store(true, std::sync::atomic::Ordering::Relaxed);
    let stdout = io::stdout();
    let stderr = io::stderr();
    let exit = run(&cli, &env, &mut stdout.lock(), &mut stderr.lock());
    exit.into()
}

/// Runs a parsed command line. `out` is standard output (machine-readable diagnostics,
/// completions, diffs), `err` standard error (human diagnostics and progress). Write errors on
/// either (a closed pipe) are ignored: they never change the exit status or panic.
pub fn run(cli: &Cli, env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let ui = commands::Ui::new(cli.color, env, out, err);
    commands::run(&cli.command, env, ui)
}
