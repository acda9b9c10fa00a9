//! Target `namespaces/`: one `Namespace` per declared namespace, with its labels and the Pod
//! Security Admission labels (enforce, audit, warn, each with its version). The version is the
//! namespace's `pod_security_version`, else the target's, else the target Kubernetes version,
//! so a cluster upgrade never silently changes what is enforced.

use emit::k8s::ObjectMeta;
use emit::{Artifact, Origin, Role, TargetId};
use ir::network::Namespace;
use ir::{Block, ItemId, Posture};
use serde::Serialize;

/// Says why a namespace's enforced Pod Security level is below the declared one.
pub const POD_SECURITY_LOWERED_ANNOTATION: &str = "posture.dev/pod-security-enforce-lowered";

/// A `v1` Namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct NamespaceDoc {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
}

/// The Namespace object of one declared namespace.
fn document(
    p: &Posture,
    ns: &Namespace,
    effective: Option<&ir::pod_security::Effective>,
) -> NamespaceDoc {
    let mut metadata = ObjectMeta::named(ns.name.as_str(), None);
    for (k, v) in &ns.labels {
        metadata.labels.insert(k.0.clone(), v.0.clone());
    }
    // The labels once exceptions are taken into account: an exception that waives a Pod
    // Security control lowers `enforce` (audit and warn stay as declared, and the posture's
    // admission rules enforce the declared level for everyone else; the checker refused the
    // posture if they do not). The annotation says which exception lowered it.
    if let Some(eff) = effective
        && !eff.lowered_by.is_empty()
    {
        let why: Vec<String> = eff
            .lowered_by
            .iter()
            .map(|w| {
                format!(
                    "{} waives admission.{} ({})",
                    ir::pod_security::exception_id(w),
                    w.rule,
                    w.control.keyword()
                )
            })
            .collect();
        metadata.annotations.insert(
            POD_SECURITY_LOWERED_ANNOTATION.to_string(),
            format!(
                "enforce {} instead of {}: {}",
                eff.labels.enforce.as_str(),
                eff.declared.enforce.as_str(),
                why.join("; ")
            ),
        );
    }
    if let Some(pss) = effective.map(|e| e.labels) {
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
                l.as_str().to_string(),
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
            let mut origins = vec![Origin::new(
                ItemId::new(Block::Namespace, ns.name.as_str()),
                ns.meta.span,
            )];
            // An exception that lowered the enforced level is part of where the labels came from.
            let effective = ir::pod_security::effective(p, ns);
            if let Some(eff) = &effective {
                for w in &eff.lowered_by {
                    if let Some(ex) = p.exceptions.get(&w.exception) {
                        let o = Origin::new(ir::pod_security::exception_id(w), ex.meta.span);
                        if !origins.contains(&o) {
                            origins.push(o);
                        }
                    }
                }
            }
            Artifact::yaml(
                TARGET,
                Role::Enforcing,
                format!("namespaces/{}.yaml", ns.name),
                &document(p, ns, effective.as_ref()),
                origins,
                true,
            )
        })
        .collect()
}
