//! Runs every target over the IR, then the proofs over what they emitted, and turns their
//! artifacts into output files. Targets are pure (`ir::Posture` in, `emit::Artifact`s out);
//! this is where their origins get `file:line`.
//!
//! Proofs: the network target's NetworkPolicies are read back and analysed; they must allow
//! exactly the declared flows (P4008 otherwise, and the build writes nothing). The Kyverno
//! ClusterPolicy back end refuses exception conditions it cannot write exactly (P3012).

use crate::{Checked, OutputFile};
use diagnostics::Diagnostic;

pub use kyverno::Api as KyvernoApi;
pub use network::reach;

/// Choices a build makes that the posture may leave open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetOptions {
    /// The Kyverno API; `None` = the one `target { kyverno }` implies
    /// ([`kyverno::default_api`]).
    pub kyverno_api: Option<kyverno::Api>,
}

/// Every enforcing target's artifacts for a posture, in the targets' order: the one list of
/// targets (the control graph attaches these artifacts to the items they come from).
pub fn artifacts(p: &ir::Posture, options: &TargetOptions) -> Vec<emit::Artifact> {
    let kyverno_api = options
        .kyverno_api
        .unwrap_or_else(|| kyverno::default_api(p.target.kyverno.as_ref()));
    let mut out = Vec::new();
    out.extend(namespaces::emit(p));
    out.extend(network::emit(p));
    out.extend(kyverno::emit(p, kyverno_api));
    out
}

/// Every target's artifacts for a checked posture, sorted by path, and the diagnostics of the
/// proofs run over them (errors mean the output must not be written). Empty when the posture
/// did not check.
pub fn emit_all(checked: &Checked, options: &TargetOptions) -> (Vec<OutputFile>, Vec<Diagnostic>) {
    let Some(p) = &checked.posture else {
        return (Vec::new(), Vec::new());
    };
    let artifacts = artifacts(p, options);
    // The proof reads back the NetworkPolicies among them (`network/policies/`).
    let mut diagnostics = network::proof::prove(p, &artifacts);
    // What a Kyverno back end cannot write exactly (P3012).
    let kyverno_api = options
        .kyverno_api
        .unwrap_or_else(|| kyverno::default_api(p.target.kyverno.as_ref()));
    if kyverno_api == kyverno::Api::ClusterPolicy {
        diagnostics.extend(kyverno::clusterpolicy::refusals(p));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemWorld, Options};
    use std::path::Path;

    const POSTURE: &str = r#"
system s { title = "t", impact = low }
target { kubernetes = "1.33" }
namespace apps { pod_security = restricted }
namespace legacy { pod_security = baseline }
workload batch { namespace = apps, match = { app = "nightly-batch" } }
admission {
  use std.resources { action = audit, exclude_namespaces = [legacy], exclude_workloads = [batch] }
}
"#;

    fn policy(api: KyvernoApi) -> String {
        let mut world = MemWorld::new();
        world.add("p.posture", POSTURE);
        let checked =
            crate::check(&world, Path::new("p.posture"), &Options::default()).expect("loads");
        let p = checked.posture.as_ref().expect("checks");
        let out = artifacts(
            p,
            &TargetOptions {
                kyverno_api: Some(api),
            },
        );
        let a = out
            .iter()
            .find(|a| a.path == "kyverno/require-resource-limits.yaml")
            .expect("policy emitted");
        String::from_utf8(a.bytes.clone()).expect("utf-8")
    }

    /// A bundle's `use` sets the action and the exclusions of every policy it brings.
    #[test]
    fn bundle_use_sets_action_and_exclusions() {
        let cel = policy(KyvernoApi::Cel);
        assert!(cel.contains("- Audit"), "{cel}");
        assert!(cel.contains("'legacy'"), "{cel}");
        assert!(cel.contains("'nightly-batch'"), "{cel}");
        let cp = policy(KyvernoApi::ClusterPolicy);
        assert!(cp.contains("failureAction: Audit"), "{cp}");
        assert!(cp.contains("legacy"), "{cp}");
        assert!(cp.contains("nightly-batch"), "{cp}");
    }
}
