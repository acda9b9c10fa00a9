//! The auditor package: `oscal/` (component-definition, one system-security-plan per declared
//! OSCAL baseline, assessment-plan, assessment-results, plan-of-action-and-milestones, and a
//! profile for each declared DoD level) and `report/` (`index.html`, `coverage.md`).
//!
//! Everything is driven by the control graph and the build's artifacts and proofs, never by a
//! list of targets: a component per target that emitted enforcing artifacts (its
//! [`emit::TargetId`]), a component per `controls { … }` declaration, an observation per proof,
//! a back-matter resource (relative path and SHA-256) per emitted artifact. A new target's
//! artifacts appear here without a change to this crate.
//!
//! Deterministic: UUIDs are version 5 from stable names ([`ids`]); the timestamp is an input
//! ([`Provenance::timestamp`]); maps are sorted.

mod docs;
pub mod html;
pub mod ids;
mod report;
pub mod time;

use controls::{ControlRef, Framework};
use sha2::{Digest, Sha256};

pub use time::Timestamp;

/// The target id of the OSCAL documents in `emit::Artifact::target`.
pub const OSCAL: emit::TargetId = emit::TargetId("oscal");
/// The target id of the report.
pub const REPORT: emit::TargetId = emit::TargetId("report");

/// The namespace of posture's own OSCAL properties.
pub const NS: &str = "https://posture.dev/ns/oscal";

/// Where a build and its documents come from, for every document's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// `published` and `last-modified`, and the results' `start`/`end`.
    pub timestamp: Timestamp,
    /// posture's version.
    pub version: String,
    /// SHA-256 over the posture's sources ([`sources_digest`]).
    pub sources_sha256: String,
    /// The commit of the posture's repository, when the CLI knows it.
    pub commit: Option<String>,
}

/// What the documents are built from.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub posture: &'a ir::Posture,
    /// The control graph over the build's artifacts and passing proofs.
    pub graph: &'a graph::ControlGraph<'a>,
    /// Every target's artifacts.
    pub artifacts: &'a [emit::Artifact],
    /// Every proof that ran, holding or not.
    pub proofs: &'a [emit::Proof],
    pub provenance: &'a Provenance,
    /// Each artifact's SHA-256 ([`sha256_hex`]), in the order of `artifacts`, when the caller
    /// has them (the manifest needs them too); computed once here otherwise.
    pub digests: Option<&'a [String]>,
}

/// SHA-256 over the sources: each file's path, a NUL, its length, a NUL and its text, in the
/// loader's (sorted) order, lowercase hex.
pub fn sources_digest(sources: &diagnostics::Sources) -> String {
    let mut h = Sha256::new();
    for f in sources.iter() {
        h.update(f.path.as_bytes());
        h.update([0]);
        h.update(f.text.len().to_string().as_bytes());
        h.update([0]);
        h.update(f.text.as_bytes());
    }
    hex(&h.finalize())
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// The OSCAL baselines among a system's frameworks: every framework whose requirements are
/// 800-53 controls (SOC 2 and HIPAA have no OSCAL profile; they appear in the report).
pub fn oscal_baselines(frameworks: impl IntoIterator<Item = Framework>) -> Vec<Framework> {
    let mut v: Vec<Framework> = frameworks
        .into_iter()
        .filter(|f| f.is_nist_baseline())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The OSCAL control id of an 800-53 control (`ac-2.3`); `None` for other requirements.
pub fn oscal_control_id(c: ControlRef) -> Option<String> {
    c.as_nist().map(|id| id.oscal_id())
}

/// The paths of the documents for a system's frameworks, as [`artifacts`] writes them.
pub fn ssp_path(f: Framework) -> String {
    format!("oscal/ssp-{}.json", f.id())
}

/// Every document of the auditor package, as artifacts of the `oscal` and `report` targets
/// with the evidence role. Their origin is the `system` item.
pub fn artifacts(input: &Input<'_>) -> Vec<emit::Artifact> {
    // Each framework's coverage once, for every document and the report.
    let coverages: std::collections::BTreeMap<Framework, graph::Coverage> = input
        .graph
        .system_frameworks()
        .iter()
        .map(|f| (*f, input.graph.coverage(*f)))
        .collect();
    let mut out = docs::oscal(input, &coverages);
    out.extend(report::report(input, &coverages));
    out
}
