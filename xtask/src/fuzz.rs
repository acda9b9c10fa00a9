//! `cargo xtask fuzz [--seconds N] [--target NAME]`: run a cargo-fuzz target of `fuzz/`
//! (default target `parse`) for N seconds (default 60), with cargo-fuzz from the tools cache.

use std::process::Command;
use std::time::Instant;

use crate::tools;
use crate::util::{self, fmt_duration, workspace_root};

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut seconds: u64 = 60;
    let mut target = "parse".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let v = it.next().ok_or("--seconds needs a value")?;
                seconds = v
                    .parse()
                    .map_err(|_| format!("--seconds: not a number: {v}"))?;
            }
            "--target" => target = it.next().ok_or("--target needs a value")?.clone(),
            "-h" | "--help" => {
                println!(
                    "cargo xtask fuzz [--seconds N] [--target NAME]\n\nRun the fuzz target \
                     (default `parse`) of fuzz/ for N seconds (default 60) with \
                     RUSTC_BOOTSTRAP=1 cargo fuzz run NAME -- -max_total_time=N."
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument to `fuzz`: {other}")),
        }
    }

    let root = workspace_root();
    if !root.join("fuzz/Cargo.toml").is_file() {
        return Err(format!(
            "{} has no fuzz/Cargo.toml: no fuzz targets yet",
            root.display()
        ));
    }

    eprintln!("==> tools");
    let env = tools::provision([&tools::CARGO_FUZZ])?;
    let cache = tools::cache_root()?;
    let bin_dir = tools::CARGO_FUZZ.dir(&cache).join("bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin_dir];
    paths.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(paths).map_err(|e| format!("cannot build PATH: {e}"))?;

    eprintln!("\n==> cargo fuzz run {target} ({seconds}s)");
    let started = Instant::now();
    let mut cmd = Command::new(util::cargo());
    cmd.current_dir(&root)
        .env("PATH", path)
        .env("RUSTC_BOOTSTRAP", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(["fuzz", "run", &target, "--"])
        .arg(format!("-max_total_time={seconds}"));
    let result = util::run_inherit(&mut cmd);
    let secs = fmt_duration(started.elapsed());
    match &result {
        Ok(()) => eprintln!("==> cargo fuzz run {target}: ok in {secs}"),
        Err(_) => eprintln!("==> cargo fuzz run {target}: FAILED in {secs}"),
    }
    result
}
