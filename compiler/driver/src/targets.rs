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

use ir::Block;

/// One target: its id (its crate and output folder), its emitter and its proofs.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub id: emit::TargetId,
    /// Every artifact of the target for a posture; each carries its target and role.
    pub emit: fn(&ir::Posture, &TargetOptions) -> Vec<emit::Artifact>,
    /// The target's proofs over the build's artifacts (all targets'), each naming the
    /// artifacts it verifies; a proof with errors stops the build (nothing is written).
    pub verify: fn(&ir::Posture, &TargetOptions, &[emit::Artifact]) -> Vec<emit::Proof>,
    /// The posture blocks whose items this target compiles. A block no target consumes is
    /// checked but not emitted: [`not_emitted`] reports it (P2030) and the build manifest
    /// lists it, so a construct never silently drops out of the output.
    pub consumes: &'static [ir::Block],
}

/// A target without proofs of its own.
fn no_proofs(_: &ir::Posture, _: &TargetOptions, _: &[emit::Artifact]) -> Vec<emit::Proof> {
    Vec::new()
}

/// Every target, in the order they run: the one list (one line per target).
#[rustfmt::skip]
pub static TARGETS: &[Target] = &[
    Target { id: namespaces::TARGET, emit: |p, _| namespaces::emit(p), verify: no_proofs, consumes: &[Block::Namespace] },
    Target { id: network::TARGET, emit: |p, _| network::emit(p), verify: |p, _, a| network::verify(p, a), consumes: &[Block::Network, Block::Ingress, Block::Mesh] },
    Target { id: kyverno::TARGET, emit: |p, o| kyverno::emit(p, o.kyverno_api(p)), verify: |p, o, a| kyverno::verify(p, o.kyverno_api(p), a), consumes: &[Block::Admission, Block::Exception] },
    Target { id: falco::TARGET, emit: |p, _| falco::emit(p), verify: |p, _, a| falco::verify(p, a), consumes: &[Block::Runtime] },
    Target { id: secrets::TARGET, emit: |p, _| secrets::emit(p), verify: no_proofs, consumes: &[Block::Secrets] },
    Target { id: apiserver::TARGET, emit: |p, _| apiserver::emit(p), verify: no_proofs, consumes: &[Block::Audit] },
    Target { id: keycloak::TARGET, emit: |p, _| keycloak::emit(p), verify: no_proofs, consumes: &[Block::Identity] },
    Target { id: rbac::TARGET, emit: |p, _| rbac::emit(p), verify: no_proofs, consumes: &[Block::Identity] },
];

/// Blocks the evidence stage (`oscal/`, `report/`, after the control graph) carries into the
/// build's output without a target of their own: `controls { … }` statements become the
/// SSP's inherited, process and not-applicable statements.
pub static EVIDENCE_CONSUMES: &[Block] = &[Block::Controls];

/// A block the posture declares items in that no target compiles.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotEmitted {
    /// The block (`runtime`).
    pub block: String,
    /// How many items of it the posture declares.
    pub items: usize,
}

/// The blocks whose items should reach the output (everything but the context blocks
/// `system`, `target` and `workload`, which other items refer to): the first span and the
/// number of items of each that the posture declares.
fn declared_blocks(p: &ir::Posture) -> Vec<(Block, usize, Option<ir::Span>)> {
    fn of<'a, T: 'a>(
        it: impl IntoIterator<Item = &'a T>,
        span: impl Fn(&T) -> ir::Span,
    ) -> (usize, Option<ir::Span>) {
        let spans: Vec<ir::Span> = it.into_iter().map(span).collect();
        (
            spans.len(),
            spans.into_iter().min_by_key(|s| (s.file, s.start)),
        )
    }
    let add = |a: (usize, Option<ir::Span>), b: (usize, Option<ir::Span>)| {
        (
            a.0 + b.0,
            a.1.into_iter().chain(b.1).min_by_key(|s| (s.file, s.start)),
        )
    };
    let rt = &p.runtime;
    let runtime = add(
        add(
            of(rt.lists.values(), |x| x.meta.span),
            of(rt.macros.values(), |x| x.meta.span),
        ),
        add(
            of(rt.rules.values(), |x| x.meta.span),
            of(rt.profiles.values(), |x| x.meta.span),
        ),
    );
    let id = &p.identity;
    let identity = add(
        of(id.realms.values(), |x| x.meta.span),
        (id.kubernetes_rbac.len(), None),
    );
    let sx = &p.secrets;
    let secrets = add(
        add(
            of(sx.stores.values(), |x| x.meta.span),
            of(sx.secrets.values(), |x| x.meta.span),
        ),
        (usize::from(sx.at_rest.is_some()), None),
    );
    let c = &p.controls;
    let controls = add(
        add(
            of(c.inherited.iter(), |x| x.meta.span),
            of(c.processes.values(), |x| x.meta.span),
        ),
        of(c.not_applicable.iter(), |x| x.meta.span),
    );
    let a = &p.admission;
    let admission = add(
        add(
            of(a.validate.values(), |x| x.meta.span),
            of(a.mutate.values(), |x| x.meta.span),
        ),
        add(
            of(a.generate.values(), |x| x.meta.span),
            of(a.verify_images.values(), |x| x.meta.span),
        ),
    );
    let net = &p.network;
    let network = add(
        of(net.intents.iter(), |x| x.meta.span),
        of(net.default_deny.iter(), |x| x.meta.span),
    );
    vec![
        (Block::Admission, admission.0, admission.1),
        (
            Block::Audit,
            usize::from(p.audit.is_some()),
            p.audit.as_ref().map(|x| x.meta.span),
        ),
        (Block::Controls, controls.0, controls.1),
        (
            Block::Exception,
            p.exceptions.len(),
            of(p.exceptions.values(), |x| x.meta.span).1,
        ),
        (Block::Identity, identity.0, identity.1),
        (
            Block::Ingress,
            p.ingresses.len(),
            of(p.ingresses.values(), |x| x.meta.span).1,
        ),
        (
            Block::Mesh,
            usize::from(p.mesh.is_some()),
            p.mesh.as_ref().map(|x| x.meta.span),
        ),
        (
            Block::Namespace,
            p.namespaces.len(),
            of(p.namespaces.values(), |x| x.meta.span).1,
        ),
        (Block::Network, network.0, network.1),
        (Block::Runtime, runtime.0, runtime.1),
        (Block::Secrets, secrets.0, secrets.1),
    ]
}

/// The blocks the posture declares items in that no target compiles, in block order, with a
/// warning (P2030) for each at its first item.
pub fn not_emitted(p: &ir::Posture) -> (Vec<NotEmitted>, Vec<diagnostics::Diagnostic>) {
    not_emitted_by(p, |b| {
        EVIDENCE_CONSUMES.contains(&b) || TARGETS.iter().any(|t| t.consumes.contains(&b))
    })
}

/// [`not_emitted`] for the blocks `consumed` does not accept.
fn not_emitted_by(
    p: &ir::Posture,
    consumed: impl Fn(Block) -> bool,
) -> (Vec<NotEmitted>, Vec<diagnostics::Diagnostic>) {
    let mut list = Vec::new();
    let mut diags = Vec::new();
    for (block, items, span) in declared_blocks(p) {
        if items == 0 || consumed(block) {
            continue;
        }
        list.push(NotEmitted {
            block: block.to_string(),
            items,
        });
        let message = format!(
            "`{block}` is checked but not emitted: no target compiles it yet, so {} in no \
             output file and enforce{} nothing",
            if items == 1 {
                "its 1 item appears".to_string()
            } else {
                format!("its {items} items appear")
            },
            if items == 1 { "s" } else { "" }
        );
        let d = match span {
            Some(s) => {
                diagnostics::Diagnostic::spanned(&diagnostics::codes::controls::P2030, s, message)
            }
            None => diagnostics::Diagnostic::new(&diagnostics::codes::controls::P2030, message),
        };
        diags.push(d.with_help(
            "the build manifest lists these blocks under `not_emitted`; coverage counts their controls as claimed, never satisfied",
        ));
    }
    (list, diags)
}

/// Every target's artifacts for a posture, in the targets' order, laid out as the build
/// writes them: one multi-document file per target and namespace ([`emit::layout`], the one
/// place the layout is decided, so every target gets it). The proofs, the control graph and
/// the evidence all see these files.
pub fn artifacts(p: &ir::Posture, options: &TargetOptions) -> Vec<emit::Artifact> {
    emit::layout::lay_out(emitted(p, options))
}

/// Every target's artifacts as the emitters made them, one per object, before the layout.
pub fn emitted(p: &ir::Posture, options: &TargetOptions) -> Vec<emit::Artifact> {
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

/// [`proofs`], keeping the reachability proof's analysis for `posture reach`
/// ([`crate::build::build_for_reach`]): the network target's proof runs through
/// [`network::verify_keeping`], the same proof, in the same place of the order.
pub fn proofs_keeping(
    p: &ir::Posture,
    options: &TargetOptions,
    artifacts: &[emit::Artifact],
) -> (Vec<emit::Proof>, reach::Analysis) {
    let mut analysis = None;
    let mut out = Vec::new();
    for t in TARGETS {
        if t.id == network::TARGET {
            let (proofs, a) = network::verify_keeping(p, artifacts);
            out.extend(proofs);
            analysis = Some(a);
        } else {
            out.extend((t.verify)(p, options, artifacts));
        }
    }
    let analysis = analysis.unwrap_or_else(|| network::proof::analyze(p, artifacts));
    (out, analysis)
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
        let out = emitted(
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

    /// A block no target consumes is reported (P2030, at its first item) and listed; a
    /// consumed one is not; every target consumes something.
    #[test]
    fn not_emitted_names_blocks_without_a_target() {
        let text = r#"
system s { title = "t", impact = low }
target { kubernetes = "1.33" }
namespace apps { pod_security = restricted }
controls {
  inherited = { controls = [PE-2], provider = "Cloud" }
}
"#;
        let mut world = MemWorld::new();
        world.add("p.posture", text);
        let checked =
            crate::check(&world, Path::new("p.posture"), &Options::default()).expect("loads");
        let p = checked.posture.as_ref().expect("checks");
        // Nothing consumed: every declared block is reported, once, at its first item.
        let (list, diags) = not_emitted_by(p, |_| false);
        assert_eq!(
            list,
            vec![
                NotEmitted {
                    block: "controls".into(),
                    items: 1
                },
                NotEmitted {
                    block: "namespace".into(),
                    items: 1
                },
            ]
        );
        assert_eq!(diags.len(), 2);
        assert!(
            diags
                .iter()
                .all(|d| d.code.id == "P2030" && d.span.is_some())
        );
        // Everything consumed: nothing is.
        assert!(not_emitted_by(p, |_| true).0.is_empty());
        // Today every block of this posture has a consumer, and `check` says nothing.
        assert!(not_emitted(p).0.is_empty());
        assert!(!checked.diagnostics.iter().any(|d| d.code.id == "P2030"));
        assert!(TARGETS.iter().all(|t| !t.consumes.is_empty()));
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
