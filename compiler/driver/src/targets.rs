//! The one list of targets ([`TARGETS`]): each emits its artifacts from the IR and runs its
//! proofs over them. Targets are pure (`ir::Posture` in, `emit::Artifact`s out); the build
//! ([`crate::build`]) runs them in this order, and the control graph attaches their artifacts
//! to items by the role each target gives its artifacts. Adding a target is one line here.
//!
//! Proofs: the network target's NetworkPolicies are read back and analysed; they must allow
//! exactly the declared flows (P4008 otherwise, and the build writes nothing). The Kyverno
//! ClusterPolicy back end refuses exception conditions it cannot write exactly (P3012).

pub use kyverno::Api as KyvernoApi;
pub use network::reach;

/// Choices a build makes that the posture may leave open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetOptions {
    /// The Kyverno API; `None` = the one `target { kyverno }` implies
    /// ([`kyverno::default_api`]).
    pub kyverno_api: Option<kyverno::Api>,
}

impl TargetOptions {
    /// The Kyverno API of a build of `p`.
    pub fn kyverno_api(&self, p: &ir::Posture) -> kyverno::Api {
        self.kyverno_api
            .unwrap_or_else(|| kyverno::default_api(p.target.kyverno.as_ref()))
    }
}

/// One target: its id (its crate and output folder), its emitter and its proofs.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub id: emit::TargetId,
    /// Every artifact of the target for a posture; each carries its target and role.
    pub emit: fn(&ir::Posture, &TargetOptions) -> Vec<emit::Artifact>,
    /// The target's proofs over the build's artifacts (all targets'), each naming the
    /// artifacts it verifies; a proof with errors stops the build (nothing is written).
    pub verify: fn(&ir::Posture, &TargetOptions, &[emit::Artifact]) -> Vec<emit::Proof>,
}

/// A target without proofs of its own.
fn no_proofs(_: &ir::Posture, _: &TargetOptions, _: &[emit::Artifact]) -> Vec<emit::Proof> {
    Vec::new()
}

/// Every target, in the order they run: the one list (one line per target).
#[rustfmt::skip]
pub static TARGETS: &[Target] = &[
    Target { id: namespaces::TARGET, emit: |p, _| namespaces::emit(p), verify: no_proofs },
    Target { id: network::TARGET, emit: |p, _| network::emit(p), verify: |p, _, a| network::verify(p, a) },
    Target { id: kyverno::TARGET, emit: |p, o| kyverno::emit(p, o.kyverno_api(p)), verify: |p, o, a| kyverno::verify(p, o.kyverno_api(p), a) },
    Target { id: secrets::TARGET, emit: |p, _| secrets::emit(p), verify: no_proofs },
    Target { id: apiserver::TARGET, emit: |p, _| apiserver::emit(p), verify: no_proofs },
];

/// Every target's artifacts for a posture, in the targets' order.
pub fn artifacts(p: &ir::Posture, options: &TargetOptions) -> Vec<emit::Artifact> {
    TARGETS.iter().flat_map(|t| (t.emit)(p, options)).collect()
}

/// Every target's proofs over `artifacts`, in the targets' order.
pub fn proofs(
    p: &ir::Posture,
    options: &TargetOptions,
    artifacts: &[emit::Artifact],
) -> Vec<emit::Proof> {
    TARGETS
        .iter()
        .flat_map(|t| (t.verify)(p, options, artifacts))
        .collect()
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

    /// An exception condition the ClusterPolicy back end cannot write exactly stops that
    /// build with P3012 (nothing is written); the CEL back end writes it as a match condition.
    #[test]
    fn untranslatable_exception_condition_stops_the_clusterpolicy_build() {
        let text = r#"
system s { title = "t", impact = low }
target { kubernetes = "1.33" }
namespace apps { pod_security = restricted }
admission {
  validate require-team-label {
    match   = { kinds = [pods] }
    require = `has(object.metadata) && has(object.metadata.labels)`
    message = "every pod needs labels"
  }
}
exception legacy-names {
  waive   = [admission.require-team-label]
  scope   = { namespaces = [apps], condition = `object.metadata.name.startsWith("legacy-")` }
  owner   = "platform-team@optimal.io"
  ticket  = "SEC-1"
  expires = 2027-06-30
}
"#;
        let mut world = MemWorld::new();
        world.add("p.posture", text);
        let options = Options {
            today: Some(ir::Date {
                year: 2026,
                month: 12,
                day: 1,
            }),
        };
        let build = |api| {
            crate::build(
                &world,
                Path::new("p.posture"),
                &options,
                &TargetOptions {
                    kyverno_api: Some(api),
                },
            )
            .expect("loads")
        };
        let cel = build(KyvernoApi::Cel);
        assert!(
            !cel.has_errors(),
            "{:?}",
            cel.diagnostics()
                .iter()
                .map(|d| d.code.id)
                .collect::<Vec<_>>()
        );
        let cp = build(KyvernoApi::ClusterPolicy);
        assert!(cp.has_errors());
        let codes: Vec<&str> = cp.diagnostics().iter().map(|d| d.code.id).collect();
        assert!(codes.contains(&"P3012"), "{codes:?}");
    }
}
