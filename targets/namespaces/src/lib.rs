//! Target `namespaces/`: one `Namespace` per declared namespace, with its labels and the Pod
//! Security Admission labels (enforce, audit, warn, each with its version). The version is the
//! namespace's `pod_security_version`, else the target's, else the target Kubernetes version,
//! so a cluster upgrade never silently changes what is enforced.

use emit::k8s::ObjectMeta;
use emit::{Artifact, Origin, Role, TargetId};
use ir::network::{Namespace, PodSecurityLevel};
use ir::{Block, ItemId, Posture};
use serde::Serialize;

/// A `v1` Namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct NamespaceDoc {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
}

fn level(l: PodSecurityLevel) -> &'static str {
    match l {
        PodSecurityLevel::Privileged => "privileged",
        PodSecurityLevel::Baseline => "baseline",
        PodSecurityLevel::Restricted => "restricted",
    }
}

/// The Namespace object of one declared namespace.
fn document(p: &Posture, ns: &Namespace) -> NamespaceDoc {
    let mut metadata = ObjectMeta::named(ns.name.as_str(), None);
    for (k, v) in &ns.labels {
        metadata.labels.insert(k.0.clone(), v.0.clone());
    }
    let pss = ns.pod_security.or_else(|| {
        p.target
            .default_pod_security
            .map(|l| ir::network::PodSecurity {
                enforce: l,
                audit: l,
                warn: l,
                version: None,
            })
    });
    if let Some(pss) = pss {
        let version = pss
            .version
            .or(p.target.pod_security_version)
            .unwrap_or(p.target.kubernetes);
        let version = format!("v{version}");
        for (mode, l) in [
            ("enforce", pss.enforce),
            ("audit", pss.audit),
            ("warn", pss.warn),
        ] {
            metadata.labels.insert(
                format!("pod-security.kubernetes.io/{mode}"),
                level(l).to_string(),
            );
            metadata.labels.insert(
                format!("pod-security.kubernetes.io/{mode}-version"),
                version.clone(),
            );
        }
    }
    if let Some(t) = &ns.tenant {
        metadata
            .annotations
            .insert("posture.dev/tenant".to_string(), t.clone());
    }
    if let Some(a) = emit::controls_annotation([ns.meta.satisfies.as_slice()]) {
        metadata
            .annotations
            .insert(emit::CONTROLS_ANNOTATION.to_string(), a);
    }
    NamespaceDoc {
        api_version: "v1",
        kind: "Namespace",
        metadata,
    }
}

/// This target: the `namespaces/` folder.
pub const TARGET: TargetId = TargetId("namespaces");

/// Every declared namespace, one file each: `namespaces/<name>.yaml`.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    p.namespaces
        .values()
        .map(|ns| {
            let origin = Origin::new(
                ItemId::new(Block::Namespace, ns.name.as_str()),
                ns.meta.span,
            );
            Artifact::yaml(
                TARGET,
                Role::Enforcing,
                format!("namespaces/{}.yaml", ns.name),
                &document(p, ns),
                vec![origin],
                true,
            )
        })
        .collect()
}
