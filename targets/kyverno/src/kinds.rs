//! Where each IR resource kind lives in the Kubernetes API.

use ir::admission::ResourceKind;

/// The API group, version, plural resource and kind of a resource kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gvr {
    pub group: &'static str,
    pub version: &'static str,
    pub resource: &'static str,
    pub kind: &'static str,
}

const fn gvr(
    group: &'static str,
    version: &'static str,
    resource: &'static str,
    kind: &'static str,
) -> Gvr {
    Gvr {
        group,
        version,
        resource,
        kind,
    }
}

pub fn of(k: ResourceKind) -> Gvr {
    use ResourceKind::*;
    match k {
        Pods => gvr("", "v1", "pods", "Pod"),
        Deployments => gvr("apps", "v1", "deployments", "Deployment"),
        StatefulSets => gvr("apps", "v1", "statefulsets", "StatefulSet"),
        DaemonSets => gvr("apps", "v1", "daemonsets", "DaemonSet"),
        Jobs => gvr("batch", "v1", "jobs", "Job"),
        CronJobs => gvr("batch", "v1", "cronjobs", "CronJob"),
        Services => gvr("", "v1", "services", "Service"),
        Ingresses => gvr("networking.k8s.io", "v1", "ingresses", "Ingress"),
        Namespaces => gvr("", "v1", "namespaces", "Namespace"),
        ConfigMaps => gvr("", "v1", "configmaps", "ConfigMap"),
        Secrets => gvr("", "v1", "secrets", "Secret"),
        ServiceAccounts => gvr("", "v1", "serviceaccounts", "ServiceAccount"),
        Roles => gvr("rbac.authorization.k8s.io", "v1", "roles", "Role"),
        RoleBindings => gvr(
            "rbac.authorization.k8s.io",
            "v1",
            "rolebindings",
            "RoleBinding",
        ),
        ClusterRoles => gvr(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            "ClusterRole",
        ),
        ClusterRoleBindings => gvr(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
        ),
        NetworkPolicies => gvr(
            "networking.k8s.io",
            "v1",
            "networkpolicies",
            "NetworkPolicy",
        ),
    }
}

/// The pod controllers Kyverno's autogen derives rules for (CEL kinds: plural resources).
pub const AUTOGEN_CONTROLLERS: [&str; 6] = [
    "cronjobs",
    "daemonsets",
    "deployments",
    "jobs",
    "replicasets",
    "statefulsets",
];

/// The kinds a ClusterPolicy exception lists so it covers a workload however it is created:
/// the Pod and every controller ClusterPolicy autogen derives rules for.
pub const POD_AND_CONTROLLERS: [&str; 7] = [
    "Pod",
    "CronJob",
    "DaemonSet",
    "Deployment",
    "Job",
    "ReplicaSet",
    "StatefulSet",
];
