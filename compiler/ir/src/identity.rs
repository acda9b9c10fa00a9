//! Identity: realms, permissions, roles, clients, federation, and the mapping of roles to
//! Kubernetes RBAC.

use crate::{Duration, Meta, Name, Url};
use serde::Serialize;
use std::collections::BTreeMap;

/// `resource:action`, e.g. `sbom:read`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Permission {
    pub resource: Name,
    pub action: Name,
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.resource, self.action)
    }
}

/// `role NAME { grants = […], includes = […] }`; grants resolved to permissions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Role {
    pub name: Name,
    /// The permissions granted, with `*` and `resource:*` expanded.
    pub permissions: Vec<Permission>,
    /// Composite roles included.
    pub includes: Vec<Name>,
    /// `admin = true`: an administrative role, which alone may grant wildcards and must
    /// require multi-factor authentication.
    pub admin: bool,
    pub meta: Meta,
}

/// OIDC client access type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAccess {
    Public,
    Confidential,
    BearerOnly,
}

/// `client NAME { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Client {
    pub name: Name,
    pub access: ClientAccess,
    pub pkce: bool,
    pub redirect_uris: Vec<String>,
    pub web_origins: Vec<String>,
    /// Where the client secret lives (confidential clients).
    pub secret: Option<Name>,
    pub meta: Meta,
}

/// Federation protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FederationProtocol {
    Oidc,
    Saml,
}

/// `federation NAME { … }`: an upstream identity provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Federation {
    pub name: Name,
    pub protocol: FederationProtocol,
    pub issuer: Url,
    pub client_id: Option<String>,
    /// A reference to a declared secret: never a value.
    pub client_secret: Option<Name>,
    /// The provider's endpoints (OIDC): Keycloak reads them from the realm, it does not
    /// discover them at run time.
    pub endpoints: Option<FederationEndpoints>,
    pub meta: Meta,
}

/// An OIDC provider's endpoints (`authorization_url`, `token_url`, `jwks_url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FederationEndpoints {
    pub authorization: Url,
    pub token: Url,
    pub jwks: Url,
}

/// `group NAME { roles = […] }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: Name,
    pub roles: Vec<Name>,
    pub meta: Meta,
}

/// `mapper NAME { claim = "…", source = roles|permissions|groups }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mapper {
    pub name: Name,
    pub claim: String,
    pub source: MapperSource,
    pub meta: Meta,
}

/// What a claim mapper puts in the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MapperSource {
    Roles,
    Permissions,
    Groups,
}

/// Password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub history: u32,
}

/// Brute-force protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BruteForce {
    pub max_failures: u32,
    pub lockout: Duration,
}

/// Token lifespans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tokens {
    pub access: Duration,
    pub session_idle: Duration,
    pub session_max: Duration,
}

/// `realm NAME { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Realm {
    pub name: Name,
    pub issuer: Url,
    pub mfa_required_for: Vec<Name>,
    pub password: Option<PasswordPolicy>,
    pub brute_force: Option<BruteForce>,
    pub tokens: Option<Tokens>,
    pub permissions: Vec<Permission>,
    /// `separation_of_duties = [[a, b], …]`: sets of permissions of which no single role (nor
    /// group) may hold two.
    pub separation_of_duties: Vec<Vec<Permission>>,
    pub roles: BTreeMap<Name, Role>,
    pub clients: BTreeMap<Name, Client>,
    pub federations: BTreeMap<Name, Federation>,
    pub groups: BTreeMap<Name, Group>,
    pub mappers: BTreeMap<Name, Mapper>,
    pub meta: Meta,
}

impl Realm {
    /// The realm's API client: its one bearer-only client, which holds the permissions as
    /// client roles in Keycloak. `None` when it has none or several (the checker refuses a
    /// realm with permissions then, P6006).
    pub fn api_client(&self) -> Option<&Client> {
        let mut it = self
            .clients
            .values()
            .filter(|c| c.access == ClientAccess::BearerOnly);
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }
}

/// The built-in ClusterRoles that read and write Secrets (`edit`, `admin`): a binding to one
/// gives every credential in its namespaces.
pub const CLUSTER_ROLES_WITH_SECRETS: [&str; 2] = ["edit", "admin"];

/// The ClusterRole posture generates as the narrower alternative to `edit` (the rbac target
/// emits it when a mapping names it): `edit` without Secrets, exec, attach, port-forward,
/// service accounts and NetworkPolicies.
pub const EDIT_WITHOUT_SECRETS: &str = "posture:edit-without-secrets";

/// A Kubernetes role a realm role maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RbacBinding {
    /// A ClusterRole name (`cluster-admin`, `edit`, `view`, or one of yours).
    pub cluster_role: Name,
    /// Empty = cluster-wide (a ClusterRoleBinding); otherwise a RoleBinding per namespace.
    pub namespaces: Vec<Name>,
    /// Where the role's mapping was written (its key).
    #[serde(skip)]
    pub span: crate::Span,
}

/// `identity { … }`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Identity {
    pub realms: BTreeMap<Name, Realm>,
    /// Realm role → Kubernetes RBAC.
    pub kubernetes_rbac: BTreeMap<Name, RbacBinding>,
}
