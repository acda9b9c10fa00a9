//! Benchmarks of the whole pipeline on synthetic postures: `check` (load, parse, resolve, type
//! check) and `build` (check plus every target and the manifest), at 1,000 and 10,000
//! workloads. Run with `cargo bench -p driver --bench pipeline`.

use criterion::{Criterion, criterion_group, criterion_main};
use driver::{MemWorld, Options};
use std::hint::black_box;
use std::path::Path;

fn world(workloads: usize) -> MemWorld {
    let mut w = MemWorld::new();
    for f in synthetic::generate(&synthetic::Spec::scaled(workloads)) {
        w.add(Path::new("/bench").join(&f.path), f.text.into_bytes());
    }
    w
}

fn options() -> Options {
    Options {
        today: Some(ir::Date {
            year: 2026,
            month: 11,
            day: 27,
        }),
    }
}

fn bench(c: &mut Criterion) {
    for n in [1_000usize, 10_000] {
        let w = world(n);
        // The posture must be valid, or we would be measuring the error path.
        let checked = match driver::check(&w, Path::new("/bench"), &options()) {
            Ok(c) => c,
            Err(d) => panic!("synthetic posture does not load: {}", d.message),
        };
        assert!(
            !checked.diagnostics.has_errors(),
            "synthetic posture has errors: {:?}",
            checked.diagnostics.iter().next()
        );
        let mut g = c.benchmark_group(format!("{n}-workloads"));
        g.sample_size(10);
        g.bench_function("check", |b| {
            b.iter(|| black_box(driver::check(&w, Path::new("/bench"), &options())))
        });
        g.bench_function("build", |b| {
            b.iter(|| {
                let checked = driver::check(&w, Path::new("/bench"), &options());
                checked.map(|c| black_box(driver::output::build(&c)))
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
