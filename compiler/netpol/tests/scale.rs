//! The analysis handles the target scale (10,000 workloads, 50,000 rules) inside `cargo test`;
//! the timed numbers come from the criterion bench (`cargo bench -p netpol`).

use std::time::Instant;

use netpol::synthetic::{SyntheticSpec, generate, rule_count};
use netpol::{AnalysisOptions, analyze};

#[test]
fn ten_thousand_workloads_fifty_thousand_rules() {
    let cluster = generate(&SyntheticSpec::default());
    assert_eq!(rule_count(&cluster), 50_000);
    assert_eq!(cluster.workloads.len(), 10_001);
    let start = Instant::now();
    let conn = analyze(&cluster, &AnalysisOptions::default());
    let rel = conn.relation();
    let elapsed = start.elapsed();
    eprintln!(
        "10k workloads / 50k rules: {} classes, {} class pairs, {} edges in {:?}",
        conn.classes().len(),
        conn.class_pairs().len(),
        rel.len(),
        elapsed
    );
    assert!(rel.len() > 10_000);
    // Generous: the bench measures well under a second in release builds.
    assert!(elapsed.as_secs() < 60, "took {elapsed:?}");
}
