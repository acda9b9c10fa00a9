//! The system, the target clusters, audit logging and exceptions.

use crate::controls::Framework;
use crate::network::{BuiltinPeer, PodSecurityLevel};
use crate::{Date, Duration, Expr, Meta, Name, Url};
use serde::Serialize;
use std::collections::BTreeSet;

/// FIPS 199 impact level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    Low,
    Moderate,
    High,
}

/// FIPS 199 categorisation: overall, or per confidentiality, integrity and availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Categorization {
    pub confidentiality: Impact,
    pub integrity: Impact,
    pub availability: Impact,
}

impl Categorization {
    /// The high-water mark.
    pub fn overall(&self) -> Impact {
        self.confidentiality
            .max(self.integrity)
            .max(self.availability)
    }
}

/// A person or team with a role in the SSP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub role: String,
    pub name: String,
    pub email: Option<String>,
}

/// The system being described (`system NAME { … }`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct System {
    pub name: Name,
    pub title: String,
    pub description: Option<String>,
    pub impact: Categorization,
    pub frameworks: BTreeSet<Framework>,
    /// The authorization boundary, in prose.
    pub boundary: Option<String>,
    pub parties: Vec<Party>,
    pub meta: Meta,
}

/// A `major.minor` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What the clusters run (`target { … }`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub kubernetes: Version,
    pub kyverno: Option<Version>,
    pub falco: Option<Version>,
    pub keycloak: Option<Version>,
    pub pod_cidrs: Vec<crate::Cidr>,
    pub service_cidrs: Vec<crate::Cidr>,
    pub ingress_controller: BuiltinPeer,
    pub cluster_dns: BuiltinPeer,
    /// The service mesh's control plane (Istio's istiod): the peer a `mesh` implies flows to.
    pub mesh_control_plane: BuiltinPeer,
    /// The namespace Kyverno runs in.
    pub kyverno_namespace: crate::Name,
    /// The Pod Security Standards version namespaces pin (`latest` when unset).
    pub pod_security_version: Option<Version>,
    pub default_pod_security: Option<PodSecurityLevel>,
    /// How the API server signs users in through the identity block's realm (`oidc = { … }`).
    pub oidc: Option<ApiServerOidc>,
    pub meta: Meta,
}

/// The API server's OIDC sign-in (`target { oidc = { … } }`): one place for the claims and
/// prefixes that the AuthenticationConfiguration maps and that RBAC bindings name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiServerOidc {
    /// The realm of the `identity` block whose issuer signs the tokens.
    pub realm: Name,
    /// The audience the API server requires (the realm's client for the API server).
    pub client_id: String,
    /// The claim that names the user (default `preferred_username`).
    pub username_claim: String,
    /// Prepended to every user name (default `oidc:`), so OIDC users never collide with
    /// other authenticators' users.
    pub username_prefix: String,
    /// The claim that lists the groups (default `groups`).
    pub groups_claim: String,
    /// Prepended to every group (default `oidc:`): RBAC binds `<groups_prefix><group>`.
    pub groups_prefix: String,
    /// Where it was written.
    #[serde(skip)]
    pub span: crate::Span,
}

/// The namespaces every cluster has and the platform components run in.
pub const SYSTEM_NAMESPACES: [&str; 4] =
    ["default", "kube-node-lease", "kube-public", "kube-system"];

impl Target {
    /// The namespaces the platform itself runs in, which posture must never close: the
    /// Kubernetes system namespaces and every namespace this block names (the ingress
    /// controller's, the cluster DNS's, the mesh control plane's, Kyverno's), sorted, without
    /// duplicates.
    pub fn platform_namespaces(&self) -> Vec<crate::Name> {
        let mut out: Vec<crate::Name> = SYSTEM_NAMESPACES
            .iter()
            .map(crate::Name::new)
            .chain([
                self.ingress_controller.namespace.clone(),
                self.cluster_dns.namespace.clone(),
                self.mesh_control_plane.namespace.clone(),
                self.kyverno_namespace.clone(),
            ])
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The API server's audit level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "PascalCase")]
pub enum AuditLevel {
    None,
    Metadata,
    Request,
    RequestResponse,
}

/// An audit rule for some resources (`audit { rule NAME { … } }`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRule {
    pub name: Name,
    pub resources: Vec<String>,
    pub level: AuditLevel,
    pub meta: Meta,
}

/// API server audit logging (`audit { … }`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    pub level: AuditLevel,
    /// Resources not logged at all.
    pub exclude: Vec<String>,
    pub rules: Vec<AuditRule>,
    pub sink: Option<Url>,
    pub retention: Option<Duration>,
    pub meta: Meta,
}

/// Where an exception applies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Scope {
    pub namespaces: Vec<Name>,
    pub workloads: Vec<Name>,
    /// A CEL condition further narrowing the scope, when given.
    pub condition: Option<Expr>,
}

/// A waiver with owner, ticket and expiry (`exception NAME { … }`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exception {
    pub name: Name,
    /// The waived items (`admission.x`, `runtime.x`, `network.x`).
    pub waive: Vec<crate::ItemId>,
    pub scope: Scope,
    pub owner: String,
    pub ticket: Option<String>,
    pub reason: Option<String>,
    pub expires: Date,
    pub meta: Meta,
}
