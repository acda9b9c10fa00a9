//! Project automation. `cargo xtask <command>`; see `xtask/README.md`.

mod fuzz;
mod regen;
mod regen_controls;
mod test;
mod tools;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  test [-- <cargo test args>]    provision tools, then fmt --check, cargo test --workspace,
                                 mdbook build book (the one test entry point)
  tools [--all]                  provision tools only; print VAR=path lines
  fuzz [--seconds N] [--target T]  run a cargo-fuzz target (default parse, 60 s)
  regen-controls [args]          regenerate the controls data (see xtask/src/regen_controls.rs)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match cmd {
        "test" => test::run(rest),
        "tools" => tools::run_cli(rest),
        "fuzz" => fuzz::run(rest),
        "regen-controls" => regen_controls::run(rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("unknown command: {other}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nerror: {e}");
            ExitCode::FAILURE
        }
    }
}
