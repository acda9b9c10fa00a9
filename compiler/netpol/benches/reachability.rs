//! Benchmarks the reachability analysis on synthetic clusters up to 10,000 workloads and
//! 50,000 rules (see `netpol::synthetic`).

use criterion::{Criterion, criterion_group, criterion_main};
use netpol::synthetic::{SyntheticSpec, generate, rule_count};
use netpol::{AnalysisOptions, analyze};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10);
    for (workloads, rules) in [(1_000, 5_000), (10_000, 50_000)] {
        let spec = SyntheticSpec {
            namespaces: workloads / 50,
            workloads,
            rules,
            seed: 7,
        };
        let cluster = generate(&spec);
        let name = format!("{}w-{}r", cluster.workloads.len(), rule_count(&cluster));
        group.bench_function(format!("{name}/connectivity"), |b| {
            b.iter(|| analyze(&cluster, &AnalysisOptions::default()));
        });
        group.bench_function(format!("{name}/connectivity+relation"), |b| {
            b.iter(|| analyze(&cluster, &AnalysisOptions::default()).relation());
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
