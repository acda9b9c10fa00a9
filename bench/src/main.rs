//! `posture-scale [WORKLOADS...]` (or `--posture DIR N`: write the posture of N workloads to
//! DIR, to time `posture build` itself): builds the synthetic posture of each size in this process,
//! one phase after the other on one thread, and prints per phase the time and the peak
//! resident memory (Linux: `VmHWM`, reset before each phase through `clear_refs`). Sizes
//! default to 1,250, 2,500, 5,000, 10,000 and 20,000 workloads. Run it optimised:
//! `cargo run --release -p bench --bin posture-scale`.

/// The `posture` binary's allocator, so the numbers are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn reset_peak() {
    // "5" resets the peak resident set size (Linux 4.0 and later); harmless elsewhere.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The CPU time of this process so far (user and system, every thread), in seconds: what a
/// phase costs whatever else the machine runs (Linux; `None` elsewhere).
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// One row: phase, wall time, CPU time, peak RSS.
type Row = (String, f64, Option<f64>, Option<f64>);

fn phase<T>(rows: &mut Vec<Row>, name: &str, f: impl FnOnce() -> T) -> T {
    reset_peak();
    let t = Instant::now();
    let cpu = cpu_secs();
    let out = f();
    let cpu = cpu.zip(cpu_secs()).map(|(a, b)| b - a);
    rows.push((name.to_string(), t.elapsed().as_secs_f64(), cpu, peak_mb()));
    out
}

fn main() {
    // `--guard N [--regress]`: one in-memory build of N workloads and nothing else, for the
    // instruction-count guard (`tests/callgrind.rs`); `--regress` builds it twice, the
    // deliberate regression the guard must catch.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--guard") {
        let n = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(300);
        let w = bench::world(&bench::spec(n));
        if args.iter().any(|a| a == "--regress") {
            std::hint::black_box(bench::build(&w));
        }
        let out = bench::build(&w);
        println!("{} files", out.files.len());
        return;
    }
    // `--posture DIR N`: writes the posture of N workloads to DIR (for timing `posture build`).
    if args.first().map(String::as_str) == Some("--posture") {
        let dir = std::path::PathBuf::from(args.get(1).expect("--posture DIR N"));
        let n = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10_000);
        bench::write_posture(&bench::spec(n), &dir).expect("the posture is written");
        return;
    }
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_250, 2_500, 5_000, 10_000, 20_000]
    } else {
        sizes
    };
    println!("| workloads | phase | wall (s) | CPU (s) | peak RSS (MB) |");
    println!("| --- | --- | --- | --- | --- |");
    for n in sizes {
        let spec = bench::spec(n);
        let w = bench::world(&spec);
        let mut rows = Vec::new();
        let whole = Instant::now();
        let whole_cpu = cpu_secs();
        let checked = phase(&mut rows, "check", || bench::check(&w));
        // The build holds the checked posture from here on (as `posture build` does, without
        // a copy); each phase fills in what it makes.
        let mut build = driver::Build {
            checks: Vec::new(),
            checked,
            artifacts: Vec::new(),
            proofs: Vec::new(),
            reachability: None,
        };
        let p = build.posture().expect("the synthetic posture checks");
        let artifacts = phase(&mut rows, "emit (every target, laid out)", || {
            bench::emit(p)
        });
        // The proofs as `posture reach` runs them: the reachability analysis is kept, and the
        // reach row below is the matrix drawn from it.
        let (proofs, analysis) = phase(&mut rows, "proofs (reachability)", || {
            bench::proofs_keeping(p, &artifacts)
        });
        build.checks = driver::checks_of(&proofs);
        build.artifacts = artifacts;
        build.proofs = proofs;
        build.reachability = Some(analysis);
        let out = phase(&mut rows, "graph + evidence + manifest", || {
            build.take_output_with_evidence(controls::catalog(), &bench::evidence_options())
        });
        let dir = bench::scratch(&n.to_string());
        phase(&mut rows, "write", || bench::write(&out, &dir));
        let total = whole.elapsed().as_secs_f64();
        let total_cpu = whole_cpu.zip(cpu_secs()).map(|(a, b)| b - a);
        let files = out.files.len();
        let _ = std::fs::remove_dir_all(&dir);
        phase(&mut rows, "reach matrix (after the proofs)", || {
            build
                .reach(&driver::targets::reach::Query {
                    from: None,
                    to: None,
                    limit: driver::targets::reach::DEFAULT_LIMIT,
                })
                .map(|r| r.is_ok())
        });
        let show =
            |x: Option<f64>, digits: usize| x.map_or("-".to_string(), |x| format!("{x:.digits$}"));
        for (name, secs, cpu, mb) in rows {
            println!(
                "| {n} | {name} | {secs:.3} | {} | {} |",
                show(cpu, 2),
                show(mb, 0)
            );
        }
        println!(
            "| {n} | **build total** ({files} files) | {total:.3} | {} | |",
            show(total_cpu, 2)
        );
    }
}
