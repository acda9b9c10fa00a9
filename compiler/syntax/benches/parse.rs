//! Benchmarks the parser on the synthetic postures (the scale issue's 10,000-workload posture
//! and one a tenth of it): the fast parser alone, the pest path alone (the reference), and
//! `syntax::parse` as the compiler calls it (depth pre-pass, fast parser, block shapes).
//! Throughput is in bytes of posture text. Timing lives here, never in tests.
//!
//! `cargo bench -p syntax --bench parse`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use diagnostics::FileId;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    for workloads in [1_000, 10_000] {
        let files = synthetic::generate(&synthetic::Spec::scaled(workloads));
        let bytes: usize = files.iter().map(|f| f.text.len()).sum();
        // The benchmark measures the fast path: it must be taken on every file.
        for f in &files {
            assert!(
                syntax::parse_fast(FileId(0), &f.text).is_some(),
                "{} declined",
                f.path
            );
        }
        let mut g = c.benchmark_group(format!("parse/{workloads}"));
        g.throughput(Throughput::Bytes(bytes as u64));
        g.sample_size(10);
        g.bench_function("fast", |b| {
            b.iter(|| {
                for f in &files {
                    black_box(syntax::parse_fast(FileId(0), black_box(&f.text)));
                }
            })
        });
        g.bench_function("pest", |b| {
            b.iter(|| {
                for f in &files {
                    black_box(syntax::parse_reference(FileId(0), black_box(&f.text)));
                }
            })
        });
        g.bench_function("syntax::parse", |b| {
            b.iter(|| {
                for f in &files {
                    black_box(syntax::parse(FileId(0), black_box(&f.text)));
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
