//! Target `network/`: the `network` block as Kubernetes NetworkPolicies, `ingress`
//! declarations as TLS termination (a cert-manager Certificate and an Ingress with `tls`), and
//! `mesh` as Istio PeerAuthentication — plus the proof that the emitted policies allow exactly
//! the declared flows ([`proof`]) and the connectivity matrix `posture reach` prints
//! ([`reach`]).
//!
//! Artifacts, one object each as this target emits them (the build then lays them out into
//! `network/<namespace>.yaml`, one multi-document file per namespace: [`emit::layout`]):
//!
//! | path | what |
//! | --- | --- |
//! | `network/policies/<namespace>/<policy>.yaml` | NetworkPolicies ([`policies`]) |
//! | `network/ingress/<ingress>/certificate.yaml` | cert-manager Certificate |
//! | `network/ingress/<ingress>/ingress.yaml` | Ingress with its `tls` section |
//! | `network/mesh/<namespace>-mtls.yaml` | Istio PeerAuthentication for the namespace |
//!
//! The sub-folders keep the kinds apart whatever the namespaces are called. Every document
//! carries `posture.dev/source` (the posture item) and, when the item says `satisfies`,
//! `posture.dev/controls`.

pub mod model;
mod names;
pub mod policies;
pub mod proof;
pub mod reach;
pub mod tls;

use emit::{Artifact, Origin, Proof, Role, TargetId};
use ir::{Block, ItemId, Posture};

/// This target: the `network/` folder.
pub const TARGET: TargetId = TargetId("network");

/// Where the NetworkPolicies go; the proof reads back every file under it.
pub const POLICIES_DIR: &str = "network/policies/";

/// The proofs of this target over the build's artifacts: the reachability proof of the
/// NetworkPolicies ([`proof`]). It runs even when there is no NetworkPolicy (the posture may
/// then declare isolation nothing enforces); it verifies no artifact then.
pub fn verify(p: &Posture, artifacts: &[Artifact]) -> Vec<Proof> {
    verify_keeping(p, artifacts).0
}

/// [`verify`], also returning the analysis the proof ran on (the policies read back from the
/// artifacts' bytes), so `posture reach` shows the same analysis without reading them again.
pub fn verify_keeping(p: &Posture, artifacts: &[Artifact]) -> (Vec<Proof>, proof::Analysis) {
    let analysis = proof::analyze(p, artifacts);
    let proofs = vec![Proof {
        id: proof::ID,
        title: proof::TITLE,
        verifies: proof::verifies(artifacts),
        diagnostics: proof::prove_analysis(p, &analysis),
    }];
    (proofs, analysis)
}

/// Every file of the target.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    // Each policy written as it is made and its typed model dropped.
    // At most a default deny and a DNS exception per namespace, an ingress and an egress
    // policy per workload (room made once: 22,000 artifacts at 10,000 workloads).
    let mut out: Vec<Artifact> =
        Vec::with_capacity(2 * (p.network.default_deny.len() + p.workloads.len()));
    policies::each_policy(p, |e| {
        out.push(Artifact::yaml(
            TARGET,
            Role::Enforcing,
            format!(
                "{POLICIES_DIR}{}/{}.yaml",
                e.namespace, e.policy.metadata.name
            ),
            &e.policy,
            e.origins,
            true,
        ));
    });
    for i in p.ingresses.values() {
        let origin = || vec![Origin::new(i.id(), i.meta.span)];
        if let Some(cert) = tls::certificate(p, i) {
            out.push(Artifact::yaml(
                TARGET,
                Role::Enforcing,
                format!("network/ingress/{}/certificate.yaml", i.name),
                &cert,
                origin(),
                true,
            ));
        }
        if let Some(ing) = tls::ingress(p, i) {
            out.push(Artifact::yaml(
                TARGET,
                Role::Enforcing,
                format!("network/ingress/{}/ingress.yaml", i.name),
                &ing,
                origin(),
                true,
            ));
        }
    }
    if let Some(m) = &p.mesh {
        for ns in m.meshed(&p.namespaces) {
            out.push(Artifact::yaml(
                TARGET,
                Role::Enforcing,
                format!("network/mesh/{ns}-mtls.yaml"),
                &tls::peer_authentication(m, &ns),
                vec![Origin::new(ItemId::block(Block::Mesh), m.meta.span)],
                true,
            ));
        }
        for (w, ports) in &m.permissive {
            if let Some(pa) = tls::permissive_ports(p, m, w, ports) {
                out.push(Artifact::yaml(
                    TARGET,
                    Role::Enforcing,
                    format!(
                        "network/mesh/{}-{w}-permissive.yaml",
                        pa.metadata.namespace.clone().unwrap_or_default()
                    ),
                    &pa,
                    vec![Origin::new(ItemId::block(Block::Mesh), m.meta.span)],
                    true,
                ));
            }
        }
    }
    out
}
