//! Target `rbac/`: Kubernetes RBAC for the identity block's `kubernetes_rbac` mapping.
//!
//! Users sign in to the API server through the realm's Kubernetes client (`target { oidc }`);
//! the token's groups claim carries their realm roles, and the API server prefixes each with
//! `groups_prefix`. Each mapped role becomes one binding of the group
//! `<groups_prefix><role>`: a ClusterRoleBinding when it is cluster-wide, otherwise one
//! RoleBinding per namespace (to the ClusterRole, so the grant is confined to the namespace).
//! Every object is one artifact (these per-object paths are what the target emits; the build
//! lays them out into `rbac/_cluster.yaml` and `rbac/<namespace>.yaml`, see `emit::layout`):
//!
//! - `rbac/clusterrolebindings/oidc-<role>.yaml`
//! - `rbac/rolebindings/<namespace>/oidc-<role>.yaml`
//! - `rbac/clusterroles/<name>.yaml` for the ClusterRoles posture generates
//!   ([`EDIT_WITHOUT_SECRETS`]: `edit` without Secrets, exec, attach, port-forward,
//!   service accounts and NetworkPolicies), when a mapping names one.
//!
//! Without `target { oidc }` no group would carry the roles; the checker refuses that
//! (P6011), and this target then emits nothing.

use emit::k8s::ObjectMeta;
use emit::{Artifact, Origin, Role as ArtifactRole, TargetId};
use ir::identity::RbacBinding;
use ir::{Block, ItemId, Name, Posture};
use serde::Serialize;

pub const TARGET: TargetId = TargetId("rbac");

/// The ClusterRole posture generates as the narrower alternative to `edit`.
pub use ir::identity::EDIT_WITHOUT_SECRETS;

const RBAC_API: &str = "rbac.authorization.k8s.io/v1";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// `RoleBinding` / `ClusterRoleBinding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub subjects: Vec<Subject>,
    pub role_ref: RoleRef,
}

/// A binding's subject: one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    pub kind: &'static str,
    pub api_group: &'static str,
    pub name: String,
}

/// What a binding grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    pub api_group: &'static str,
    pub kind: &'static str,
    pub name: String,
}

/// `ClusterRole`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRole {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub rules: Vec<PolicyRule>,
}

/// One rule of a ClusterRole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    pub api_groups: Vec<&'static str>,
    pub resources: Vec<&'static str>,
    pub verbs: Vec<&'static str>,
}

const READ: [&str; 3] = ["get", "list", "watch"];
const WRITE: [&str; 7] = [
    "get", "list", "watch", "create", "update", "patch", "delete",
];

/// `edit` without what lets a holder read Secrets or widen its own reach: no `secrets`, no
/// `pods/exec`, `pods/attach`, `pods/portforward` (a shell reads mounted Secrets), no
/// `serviceaccounts` (tokens), no NetworkPolicies (the network target's). Workloads, their
/// configuration and services are writable; pods and their logs are read and deleted.
pub fn edit_without_secrets_rules() -> Vec<PolicyRule> {
    let rule =
        |groups: &[&'static str], resources: &[&'static str], verbs: &[&'static str]| PolicyRule {
            api_groups: groups.to_vec(),
            resources: resources.to_vec(),
            verbs: verbs.to_vec(),
        };
    vec![
        rule(&[""], &["pods"], &["get", "list", "watch", "delete"]),
        rule(&[""], &["pods/log", "events"], &READ),
        rule(
            &[""],
            &["configmaps", "services", "persistentvolumeclaims"],
            &WRITE,
        ),
        rule(
            &["apps"],
            &["deployments", "statefulsets", "daemonsets", "replicasets"],
            &WRITE,
        ),
        rule(
            &["apps"],
            &["deployments/scale", "statefulsets/scale"],
            &["get", "update", "patch"],
        ),
        rule(&["batch"], &["jobs", "cronjobs"], &WRITE),
        rule(&["autoscaling"], &["horizontalpodautoscalers"], &WRITE),
        rule(&["policy"], &["poddisruptionbudgets"], &WRITE),
        rule(&["networking.k8s.io"], &["ingresses"], &WRITE),
    ]
}

/// The group a role's holders carry in the API server: `<groups_prefix><role>`.
pub fn group(p: &Posture, role: &Name) -> Option<String> {
    let o = p.target.oidc.as_ref()?;
    Some(format!("{}{}", o.groups_prefix, role))
}

/// The name of a role's bindings.
pub fn binding_name(role: &Name) -> String {
    format!("oidc-{role}")
}

fn item(role: &Name) -> ItemId {
    ItemId::new(Block::Identity, format!("kubernetes_rbac.{role}"))
}

/// The bindings of one mapped role, with their paths.
pub fn bindings(p: &Posture, role: &Name, b: &RbacBinding) -> Vec<(String, Binding)> {
    let Some(group) = group(p, role) else {
        return vec![];
    };
    let id = item(role);
    let meta = |ns: Option<&Name>| {
        let mut m = ObjectMeta::named(binding_name(role), ns.map(|n| n.to_string()));
        m.annotations.insert(
            emit::SOURCE_ANNOTATION.to_string(),
            emit::source_annotation([&id]),
        );
        m
    };
    let doc = |kind: &'static str, ns: Option<&Name>| Binding {
        api_version: RBAC_API,
        kind,
        metadata: meta(ns),
        subjects: vec![Subject {
            kind: "Group",
            api_group: RBAC_GROUP,
            name: group.clone(),
        }],
        role_ref: RoleRef {
            api_group: RBAC_GROUP,
            kind: "ClusterRole",
            name: b.cluster_role.to_string(),
        },
    };
    if b.namespaces.is_empty() {
        vec![(
            format!("rbac/clusterrolebindings/{}.yaml", binding_name(role)),
            doc("ClusterRoleBinding", None),
        )]
    } else {
        b.namespaces
            .iter()
            .map(|ns| {
                (
                    format!("rbac/rolebindings/{ns}/{}.yaml", binding_name(role)),
                    doc("RoleBinding", Some(ns)),
                )
            })
            .collect()
    }
}

/// Every object of the target.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    let mut out = Vec::new();
    if p.target.oidc.is_none() {
        return out;
    }
    let mut generated: Vec<Origin> = Vec::new();
    for (role, b) in &p.identity.kubernetes_rbac {
        let origin = Origin::new(item(role), b.span);
        if b.cluster_role.as_str() == EDIT_WITHOUT_SECRETS {
            generated.push(origin.clone());
        }
        for (path, doc) in bindings(p, role, b) {
            out.push(Artifact::yaml(
                TARGET,
                ArtifactRole::Enforcing,
                path,
                &doc,
                vec![origin.clone()],
                true,
            ));
        }
    }
    if !generated.is_empty() {
        let ids: Vec<ItemId> = generated.iter().map(|o| o.item.clone()).collect();
        let mut metadata = ObjectMeta::named(EDIT_WITHOUT_SECRETS, None);
        metadata.annotations.insert(
            emit::SOURCE_ANNOTATION.to_string(),
            emit::source_annotation(&ids),
        );
        out.push(Artifact::yaml(
            TARGET,
            ArtifactRole::Enforcing,
            format!(
                "rbac/clusterroles/{}.yaml",
                EDIT_WITHOUT_SECRETS.replace(':', "-")
            ),
            &ClusterRole {
                api_version: RBAC_API,
                kind: "ClusterRole",
                metadata,
                rules: edit_without_secrets_rules(),
            },
            generated,
            true,
        ));
    }
    out
}
