//! The phases of `posture build` over a synthetic posture ([`synthetic::generate`]), one
//! function each, shared by the criterion benches (`benches/scale.rs`), the size table
//! (`posture-scale`, `src/main.rs`) and the instruction-count guard (`tests/callgrind.rs`).

use driver::targets::TargetOptions;
use driver::{MemWorld, Options};
use std::path::{Path, PathBuf};

/// Where the synthetic posture lives in the in-memory world.
pub const ROOT: &str = "/synthetic";

/// The large posture at `workloads` workloads: 10 workloads per namespace, 5 network
/// intents per workload, an admission rule and a runtime rule per 10 workloads, a role per 50
/// (10,000 workloads: 1,000 namespaces, 50,000 intents, 1,000 + 1,000 rules, 200 roles).
pub fn spec(workloads: usize) -> synthetic::Spec {
    let workloads = workloads.max(10);
    synthetic::Spec {
        namespaces: workloads / 10,
        workloads,
        intents: workloads * 5,
        policies: workloads / 10,
        rules: workloads / 10,
        roles: (workloads / 50).max(1),
    }
}

/// The posture's files in an in-memory world.
pub fn world(spec: &synthetic::Spec) -> MemWorld {
    let mut w = MemWorld::new();
    for f in synthetic::generate(spec) {
        w.add(Path::new(ROOT).join(&f.path), f.text.into_bytes());
    }
    w
}

/// The posture's files on disk under `dir` (for `posture build` itself).
pub fn write_posture(spec: &synthetic::Spec, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for f in synthetic::generate(spec) {
        std::fs::write(dir.join(&f.path), f.text)?;
    }
    Ok(())
}

/// A fixed "today", so the same posture gives the same bytes.
pub fn options() -> Options {
    Options {
        today: Some(ir::Date {
            year: 2026,
            month: 11,
            day: 27,
        }),
    }
}

/// `check`: load, parse, resolve, type-check. Panics when the posture has errors (the benches
/// measure the success path).
pub fn check(w: &MemWorld) -> driver::Checked {
    let checked = driver::check(w, Path::new(ROOT), &options()).expect("the posture loads");
    assert!(
        !checked.diagnostics.has_errors(),
        "the synthetic posture has errors: {:?}",
        checked.diagnostics.iter().find(|d| d.is_error())
    );
    checked
}

/// Every target's artifacts, laid out.
pub fn emit(p: &ir::Posture) -> Vec<emit::Artifact> {
    driver::targets::artifacts(p, &TargetOptions::default())
}

/// Every target's proofs (the reachability proof among them); panics when one fails.
pub fn proofs(p: &ir::Posture, artifacts: &[emit::Artifact]) -> Vec<emit::Proof> {
    let proofs = driver::targets::proofs(p, &TargetOptions::default(), artifacts);
    assert!(proofs.iter().all(emit::Proof::holds), "a proof fails");
    proofs
}

/// [`proofs`], keeping the reachability analysis as `posture reach` does.
pub fn proofs_keeping(
    p: &ir::Posture,
    artifacts: &[emit::Artifact],
) -> (Vec<emit::Proof>, driver::targets::reach::Analysis) {
    let (proofs, analysis) =
        driver::targets::proofs_keeping(p, &TargetOptions::default(), artifacts);
    assert!(proofs.iter().all(emit::Proof::holds), "a proof fails");
    (proofs, analysis)
}

/// The whole build in memory: check, emit, proofs, control graph, evidence, manifest.
pub fn build(w: &MemWorld) -> driver::BuildOutput {
    let mut b = driver::build_checked(check(w), &TargetOptions::default());
    assert!(!b.has_errors(), "the synthetic build has errors");
    // As `posture build` makes it: the artifacts moved into the output, not copied.
    b.take_output_with_evidence(controls::catalog(), &evidence_options())
}

/// The evidence's fixed timestamp.
pub fn evidence_options() -> driver::EvidenceOptions {
    driver::EvidenceOptions {
        timestamp: evidence::Timestamp(1_764_806_400),
        commit: None,
    }
}

/// Writes a build's files to `dir` as `posture build` does (atomically, flushed once).
pub fn write(out: &driver::BuildOutput, dir: &Path) {
    cli::write::write_dir(dir, &out.files, true, &[]).expect("the output is written");
}

/// A scratch directory for written outputs.
pub fn scratch(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("posture-bench-{}-{tag}", std::process::id()))
}
