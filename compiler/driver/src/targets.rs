//! Runs every target over the IR, then the proofs over what they emitted, and turns their
//! artifacts into output files. Targets are pure (`ir::Posture` in, `emit::Artifact`s out);
//! this is where their origins get `file:line`.
//!
//! Proofs: the network target's NetworkPolicies are read back and analysed; they must allow
//! exactly the declared flows (P4008 otherwise, and the build writes nothing).

use crate::{Checked, OutputFile};
use diagnostics::Diagnostic;

pub use network::reach;

/// Every target's artifacts for a checked posture, sorted by path, and the diagnostics of the
/// proofs run over them (errors mean the output must not be written). Empty when the posture
/// did not check.
pub fn emit_all(checked: &Checked) -> (Vec<OutputFile>, Vec<Diagnostic>) {
    let Some(p) = &checked.posture else {
        return (Vec::new(), Vec::new());
    };
    let mut artifacts = Vec::new();
    let mut diagnostics = Vec::new();
    artifacts.extend(namespaces::emit(p));
    let net = network::emit(p);
    diagnostics.extend(network::proof::prove(p, &net));
    artifacts.extend(net);
    let sources = &checked.loaded.sources;
    let mut files: Vec<OutputFile> = artifacts
        .into_iter()
        .map(|a| {
            let mut origins: Vec<String> = a
                .origins
                .iter()
                .map(|o| match sources.get(o.span.file) {
                    Some(f) => format!(
                        "{} ({}:{})",
                        o.item,
                        f.path,
                        f.line_col(o.span.start as usize).line
                    ),
                    None => o.item.clone(),
                })
                .collect();
            origins.sort();
            origins.dedup();
            OutputFile {
                path: a.path,
                bytes: a.bytes,
                sources: origins,
                applyable: a.applyable,
            }
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, diagnostics)
}
