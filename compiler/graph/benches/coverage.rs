//! Benchmarks graph building, coverage and explain on synthetic postures (a small generator
//! below writes posture text with N namespaces, each with workloads, allow intents, runtime
//! rules and `satisfies`), at two sizes ten times apart: the times should grow about ten
//! times, linear in items plus controls. Timing lives here, never in tests.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::path::Path;

/// A posture with `n` namespaces, `4n` workloads, `4n` intents and `n` runtime rules, every
/// item with a `satisfies`.
fn synthetic(n: usize) -> String {
    let mut s = String::from(
        "system bench {\n  title = \"Bench\"\n  impact = moderate\n  frameworks = [fedramp-moderate, dod-il5, soc2]\n}\n\
         target { kubernetes = \"1.33\" }\n",
    );
    let mut namespaces = Vec::new();
    for i in 0..n {
        let ns = format!("ns-{i}");
        let _ = writeln!(
            s,
            "namespace {ns} {{\n  pod_security = restricted\n  satisfies = [CM-6]\n}}"
        );
        for w in 0..4 {
            let _ = writeln!(
                s,
                "workload w-{i}-{w} {{\n  namespace = {ns}\n  match = {{ app = \"w-{i}-{w}\" }}\n  ports = {{ http = 8080 }}\n}}"
            );
        }
        namespaces.push(ns);
    }
    s.push_str("network {\n  default_deny = {\n    namespaces = [");
    s.push_str(&namespaces.join(", "));
    s.push_str("]\n    directions = [ingress, egress]\n    satisfies = [SC-7, SC-7(5)]\n  }\n");
    for i in 0..n {
        for w in 0..4 {
            let next = (w + 1) % 4;
            let _ = writeln!(
                s,
                "  allow w-{i}-{w} -> w-{i}-{next}:http {{ satisfies = [AC-4] }}"
            );
        }
    }
    s.push_str("}\nruntime {\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "  rule r-{i} {{\n    title = \"R{i}\"\n    when = `evt.type = execve and container`\n    output = \"r{i}\"\n    priority = notice\n    satisfies = [SI-4, SI-4(2)]\n  }}"
        );
    }
    s.push_str(
        "}\ncontrols {\n  inherited = { controls = [PE-*, MA-*], provider = \"Cloud\" }\n}\n",
    );
    s
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("graph");
    group.sample_size(10);
    for n in [100usize, 1000] {
        let mut world = driver::MemWorld::new();
        world.add("p/bench.posture", synthetic(n));
        let options = driver::Options::default();
        let checked = match driver::check(&world, Path::new("p"), &options) {
            Ok(c) => c,
            Err(d) => panic!("the synthetic posture does not load: {}", d.message),
        };
        let Some(posture) = checked.posture.as_ref() else {
            let msgs: Vec<String> = checked
                .diagnostics
                .iter()
                .map(|d| d.message.clone())
                .collect();
            panic!("the synthetic posture does not check: {msgs:?}");
        };
        let artifacts =
            driver::targets::artifacts(posture, &driver::targets::TargetOptions::default());
        let catalog = controls::catalog();
        let input = graph::Input {
            posture,
            artifacts: &artifacts,
            checks: &[],
            sources: &checked.loaded.sources,
            catalog,
            frameworks: &[],
        };
        let items = 1 + 9 * n;
        group.bench_function(format!("{items}-items/build"), |b| {
            b.iter(|| graph::build(&input));
        });
        let (g, _) = graph::build(&input);
        group.bench_function(format!("{items}-items/coverage-dod-il5"), |b| {
            b.iter(|| g.coverage(controls::Framework::DodIl5));
        });
        group.bench_function(format!("{items}-items/coverage-soc2"), |b| {
            b.iter(|| g.coverage(controls::Framework::Soc2));
        });
        let ac4 = controls::parse_control_ref("AC-4").unwrap_or_else(|e| panic!("{e}"));
        group.bench_function(format!("{items}-items/explain-AC-4"), |b| {
            b.iter(|| g.explain(ac4));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
