//! The instruction-count guard: valgrind's callgrind counts the instructions of one in-memory
//! build of the mid-size synthetic posture (`posture-scale --guard 100`) and the count must stay
//! within the committed budget (`callgrind-budget.txt`, plus 10 %). Instruction counts do not
//! depend on the machine's load, so timing noise cannot fool it. Negative control: the same
//! build with a deliberate regression (`--regress`: the posture is built twice) must exceed
//! the budget, so the guard can fail. Needs `POSTURE_TOOL_VALGRIND` (`cargo xtask tools`).
//!
//! When a change makes the build cheaper or legitimately dearer, update the budget with the
//! count this test prints, and say why in the commit message.

use std::path::Path;
use std::process::Command;

const WORKLOADS: &str = "100";
/// How far above the budget a count may be.
const TOLERANCE: f64 = 0.10;

fn budget() -> u64 {
    let text = include_str!("../callgrind-budget.txt");
    text.lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .and_then(|l| l.trim().replace('_', "").parse().ok())
        .expect("callgrind-budget.txt holds a number")
}

/// The instructions (`Ir`) of `posture-scale --guard 100 [extra]` under callgrind.
fn instructions(extra: &[&str]) -> u64 {
    let valgrind = std::env::var("POSTURE_TOOL_VALGRIND")
        .expect("POSTURE_TOOL_VALGRIND is not set: run `cargo xtask tools` and load its output");
    let out_file = std::env::temp_dir().join(format!(
        "posture-callgrind-{}-{}.out",
        std::process::id(),
        extra.len()
    ));
    let mut cmd = Command::new(valgrind);
    if let Ok(lib) = std::env::var("POSTURE_TOOL_VALGRIND_LIB") {
        cmd.env("VALGRIND_LIB", lib);
    }
    let status = cmd
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(env!("CARGO_BIN_EXE_posture-scale"))
        .args(["--guard", WORKLOADS])
        .args(extra)
        .output()
        .expect("valgrind runs");
    assert!(
        status.status.success(),
        "valgrind failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let text = std::fs::read_to_string(&out_file).expect("callgrind output");
    let _ = std::fs::remove_file(&out_file);
    summary(&text).unwrap_or_else(|| panic!("no `summary:` line in {}", out_file.display()))
}

/// The `summary: N` (or `totals: N`) line of a callgrind output file.
fn summary(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn the_mid_size_build_stays_within_its_instruction_budget() {
    let budget = budget();
    let limit = (budget as f64 * (1.0 + TOLERANCE)) as u64;
    let count = instructions(&[]);
    eprintln!("instructions: {count} (budget {budget}, limit {limit})");
    assert!(
        count <= limit,
        "the {WORKLOADS}-workload build took {count} instructions, over the budget {budget} + {:.0} %: \
         a performance regression (if it is intended, update {} and say why)",
        TOLERANCE * 100.0,
        Path::new("bench/callgrind-budget.txt").display()
    );
    // The negative control: a deliberate regression exceeds the limit.
    let regressed = instructions(&["--regress"]);
    eprintln!("with the deliberate regression: {regressed}");
    assert!(
        regressed > limit,
        "the guard cannot fail: building twice ({regressed}) stays under {limit}"
    );
}

#[test]
fn summary_lines_are_read() {
    assert_eq!(summary("events: Ir\nsummary: 1234\n"), Some(1234));
    assert_eq!(summary("totals: 99\n"), Some(99));
    assert_eq!(summary("events: Ir\n"), None);
}
