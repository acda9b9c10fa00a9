//! `posture-scale [WORKLOADS...]` (or `--posture DIR N`: write the posture of N workloads to
//! DIR, to time `posture build` itself): builds the synthetic posture of each size in this process,
//! one phase after the other on one thread, and prints per phase the time and the peak
//! resident memory (Linux: `VmHWM`, reset before each phase through `clear_refs`). Sizes
//! default to 1,250, 2,500, 5,000, 10,000 and 20,000 workloads. Run it optimised:
//! `cargo run --release -p bench --bin posture-scale`.

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

fn phase<T>(rows: &mut Vec<(String, f64, Option<f64>)>, name: &str, f: impl FnOnce() -> T) -> T {
    reset_peak();
    let t = Instant::now();
    let out = f();
    rows.push((name.to_string(), t.elapsed().as_secs_f64(), peak_mb()));
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
    println!("| workloads | phase | time (s) | peak RSS (MB) |");
    println!("| --- | --- | --- | --- |");
    for n in sizes {
        let spec = bench::spec(n);
        let w = bench::world(&spec);
        let mut rows = Vec::new();
        let whole = Instant::now();
        let checked = phase(&mut rows, "check", || bench::check(&w));
        let p = checked.posture.clone().expect("checked");
        let artifacts = phase(&mut rows, "emit (every target, laid out)", || {
            bench::emit(&p)
        });
        let proofs = phase(&mut rows, "proofs (reachability)", || {
            bench::proofs(&p, &artifacts)
        });
        let build = driver::Build {
            checks: proofs
                .iter()
                .filter(|p| p.holds() && !p.verifies.is_empty())
                .map(|p| graph::Check {
                    id: graph::CheckId(p.id.to_string()),
                    title: p.title.to_string(),
                    verifies: p.verifies.clone(),
                })
                .collect(),
            checked,
            artifacts,
            proofs,
        };
        let out = phase(&mut rows, "graph + evidence + manifest", || {
            build.output_with_evidence(controls::catalog(), &bench::evidence_options())
        });
        let dir = bench::scratch(&n.to_string());
        phase(&mut rows, "write", || bench::write(&out, &dir));
        let total = whole.elapsed().as_secs_f64();
        let files = out.files.len();
        let _ = std::fs::remove_dir_all(&dir);
        phase(&mut rows, "reach (separately)", || {
            build
                .reach(&driver::targets::reach::Query {
                    from: None,
                    to: None,
                    limit: driver::targets::reach::DEFAULT_LIMIT,
                })
                .map(|r| r.is_ok())
        });
        for (name, secs, mb) in rows {
            let mb = mb.map_or("-".to_string(), |m| format!("{m:.0}"));
            println!("| {n} | {name} | {secs:.3} | {mb} |");
        }
        println!("| {n} | **build total** ({files} files) | {total:.3} | |");
    }
}
