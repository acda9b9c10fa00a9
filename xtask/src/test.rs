//! `cargo xtask test`: the one test entry point.
//!
//! 1. provision every tool (a failure stops here: the tests would only fail confusingly);
//! 2. `cargo fmt --all -- --check`;
//! 3. `cargo clippy --workspace --all-targets -- -D warnings` (the lints are the workspace's
//!    `[workspace.lints]`, so plain `cargo clippy` in an editor sees the same ones);
//! 4. `cargo test --workspace` with `CI=true`, `INSTA_UPDATE=no` and the tool variables;
//! 5. `mdbook build book`.
//!
//! Steps 2-5 all run even when one fails, so one run shows every problem; any failure makes
//! the command exit non-zero.

use std::process::Command;
use std::time::Instant;

use crate::tools;
use crate::util::{self, fmt_duration, workspace_root};

const CLIPPY: &str = "cargo clippy -D warnings";

struct Outcome {
    name: &'static str,
    ok: bool,
    secs: String,
    detail: String,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    // Everything after `--` goes to `cargo test` (e.g. `cargo xtask test -- -p syntax`).
    let mut extra: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--" => {
                extra.extend(it.by_ref().cloned());
            }
            "-h" | "--help" => {
                println!(
                    "cargo xtask test [-- <args for cargo test>]\n\nProvision the tools, then run \
                     cargo fmt --check, cargo clippy --workspace --all-targets -- -D warnings, \
                     cargo test --workspace (CI=true, INSTA_UPDATE=no) and mdbook build book."
                );
                return Ok(());
            }
            other => {
                return Err(format!(
                    "unknown argument to `test`: {other} (pass cargo test arguments after `--`)"
                ));
            }
        }
    }

    let root = workspace_root();
    let total = Instant::now();
    let mut outcomes: Vec<Outcome> = Vec::new();

    // 1. tools
    let started = step_start("tools");
    let env = match tools::provision(tools::default_set()) {
        Ok(env) => {
            outcomes.push(step_end("tools", started, Ok(())));
            env
        }
        Err(e) => {
            outcomes.push(step_end("tools", started, Err(e)));
            return finish(&outcomes, total);
        }
    };
    for (k, v) in &env {
        eprintln!("  {k}={}", v.display());
    }

    // 2. fmt
    let started = step_start("cargo fmt --check");
    let mut fmt = Command::new(util::cargo());
    fmt.current_dir(&root)
        .args(["fmt", "--all", "--", "--check"]);
    outcomes.push(step_end(
        "cargo fmt --check",
        started,
        util::run_inherit(&mut fmt),
    ));

    // 3. clippy: every target (tests, benches, examples) of every member, warnings denied.
    let started = step_start(CLIPPY);
    let mut clippy = Command::new(util::cargo());
    clippy.current_dir(&root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    outcomes.push(step_end(CLIPPY, started, util::run_inherit(&mut clippy)));

    // 4. cargo test
    let started = step_start("cargo test --workspace");
    let mut test = Command::new(util::cargo());
    test.current_dir(&root)
        .args(["test", "--workspace"])
        .args(&extra)
        // Unreviewed or changed insta snapshots fail instead of being written.
        .env("CI", "true")
        .env("INSTA_UPDATE", "no")
        .env_remove("INSTA_FORCE_PASS")
        .envs(env.iter().map(|(k, v)| (k, v)));
    outcomes.push(step_end(
        "cargo test --workspace",
        started,
        util::run_inherit(&mut test),
    ));

    // 5. the book
    let started = step_start("mdbook build book");
    let mdbook = tools::MDBOOK.main_binary(&tools::cache_root()?);
    let mut book = Command::new(&mdbook);
    book.current_dir(&root).args(["build", "book"]);
    outcomes.push(step_end(
        "mdbook build book",
        started,
        util::run_inherit(&mut book),
    ));

    finish(&outcomes, total)
}

fn step_start(name: &str) -> Instant {
    eprintln!("\n==> {name}");
    Instant::now()
}

fn step_end(name: &'static str, started: Instant, result: Result<(), String>) -> Outcome {
    let secs = fmt_duration(started.elapsed());
    match result {
        Ok(()) => {
            eprintln!("==> {name}: ok in {secs}");
            Outcome {
                name,
                ok: true,
                secs,
                detail: String::new(),
            }
        }
        Err(detail) => {
            eprintln!("==> {name}: FAILED in {secs}\n{detail}");
            Outcome {
                name,
                ok: false,
                secs,
                detail,
            }
        }
    }
}

fn finish(outcomes: &[Outcome], total: Instant) -> Result<(), String> {
    eprintln!("\n==> summary");
    for o in outcomes {
        eprintln!(
            "  {:<26} {:<7} {}",
            o.name,
            if o.ok { "ok" } else { "FAILED" },
            o.secs
        );
    }
    eprintln!(
        "  {:<26} {:<7} {}",
        "total",
        "",
        fmt_duration(total.elapsed())
    );
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.ok).collect();
    if failed.is_empty() {
        eprintln!("xtask test: every step succeeded");
        Ok(())
    } else {
        let names: Vec<&str> = failed.iter().map(|o| o.name).collect();
        let first = failed[0].detail.lines().next().unwrap_or_default();
        Err(format!(
            "xtask test: failed step(s): {} ({first})",
            names.join(", ")
        ))
    }
}
