//! Criterion benchmarks of every phase of `posture build` on the synthetic posture
//! (`bench::spec`): check, emit (each target, and the layout), the proofs (the reachability
//! proof), the control graph and coverage, evidence, writing, and the whole build.
//! `cargo bench -p bench --bench scale` (sizes: `POSTURE_BENCH_SIZES=1000,10000`).

use criterion::{Criterion, criterion_group, criterion_main};
use driver::targets::{TARGETS, TargetOptions};
use std::hint::black_box;

fn sizes() -> Vec<usize> {
    std::env::var("POSTURE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000])
}

fn bench(c: &mut Criterion) {
    for n in sizes() {
        let w = bench::world(&bench::spec(n));
        let checked = bench::check(&w);
        let p = checked.posture.clone().expect("checked");
        let opts = TargetOptions::default();
        let artifacts = bench::emit(&p);
        let build = driver::build_checked(bench::check(&w), &opts);
        let out = bench::build(&w);
        let mut g = c.benchmark_group(format!("{n}-workloads"));
        g.sample_size(10);
        g.bench_function("check", |b| b.iter(|| black_box(bench::check(&w))));
        for t in TARGETS {
            g.bench_function(format!("emit/{}", t.id), |b| {
                b.iter(|| black_box((t.emit)(&p, &opts)))
            });
        }
        let emitted = driver::targets::emitted(&p, &opts);
        g.bench_function("layout", |b| {
            b.iter(|| black_box(emit::layout::lay_out(emitted.clone())))
        });
        g.bench_function("proofs", |b| {
            b.iter(|| black_box(bench::proofs(&p, &artifacts)))
        });
        g.bench_function("graph+coverage", |b| {
            b.iter(|| {
                let (graph, _) = build
                    .graph(controls::catalog(), &build.checked.loaded.sources, &[])
                    .expect("graph");
                black_box(graph.coverage(controls::Framework::FedrampModerate))
            })
        });
        g.bench_function("evidence", |b| {
            b.iter(|| black_box(build.evidence(controls::catalog(), &bench::evidence_options())))
        });
        let dir = bench::scratch(&format!("criterion-{n}"));
        g.bench_function("write", |b| b.iter(|| bench::write(&out, &dir)));
        let _ = std::fs::remove_dir_all(&dir);
        g.bench_function("build", |b| b.iter(|| black_box(bench::build(&w))));
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
