//! Secret stores, secrets synced from them, and encryption at rest. Values never appear here:
//! only references to where they live.

use crate::{Duration, Meta, Name, Url};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a workload authenticates to Vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum VaultAuth {
    Kubernetes { role: String, mount: Option<String> },
}

/// The kind of a store, with its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum StoreKind {
    Vault {
        address: Url,
        path: String,
        auth: VaultAuth,
    },
    AwsSecretsManager {
        region: String,
    },
    GcpSecretManager {
        project: String,
    },
    AzureKeyVault {
        vault_url: Url,
    },
    /// Plain Kubernetes Secrets in a namespace.
    Kubernetes {
        namespace: Name,
    },
}

/// `store NAME { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Store {
    pub name: Name,
    pub kind: StoreKind,
    /// `cluster = true`: one ClusterSecretStore, limited to the namespaces of its secrets,
    /// instead of a SecretStore in each of them.
    pub cluster: bool,
    pub meta: Meta,
}

/// `secret NAME { … }`: a Kubernetes Secret synced from a store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Secret {
    pub name: Name,
    pub namespace: Name,
    pub store: Name,
    /// Secret key → path in the store.
    pub keys: BTreeMap<String, String>,
    pub rotate: Option<Duration>,
    /// Managed by sealed-secrets.
    pub sealed: bool,
    pub meta: Meta,
}

/// The KMS v2 plugin the API server talks to (`encryption.at_rest.plugin`): the plugin holds
/// the key; the API server only knows its socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KmsPlugin {
    /// The provider's name in the EncryptionConfiguration (unique per API server, no `:`).
    pub name: String,
    /// The plugin's gRPC socket, `unix:///path`.
    pub endpoint: String,
    /// How long the API server waits for the plugin (default 3s).
    pub timeout: Option<Duration>,
}

/// A provider of an EncryptionConfiguration, in the order written (`providers = [kms, identity]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// KMS v2 through the declared plugin.
    Kms,
    /// No encryption: only ever last, to read data written before encryption was enabled.
    Identity,
}

/// Encryption of API resources at rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRest {
    pub resources: Vec<String>,
    /// The KMS key reference (an ARN or URI), never key material.
    pub kms: String,
    /// The KMS plugin that holds `kms`; the API server cannot encrypt without it.
    pub plugin: Option<KmsPlugin>,
    /// Provider order; the first encrypts new writes. Checked: `identity` is never before
    /// `kms`. Default `[kms, identity]`.
    pub providers: Vec<Provider>,
    /// Where it was written.
    #[serde(skip)]
    pub span: crate::Span,
}

/// `secrets { … }`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Secrets {
    pub stores: BTreeMap<Name, Store>,
    pub secrets: BTreeMap<Name, Secret>,
    pub at_rest: Option<AtRest>,
}

/// The identity provider's namespace: the namespace of the workload behind the ingress whose
/// host is the realm issuer's host (`https://auth.optimal.io/realms/optimal` → ingress
/// `auth.optimal.io` → workload `keycloak` → namespace `keycloak`).
pub fn identity_provider_namespace(
    issuer: &crate::Url,
    ingresses: &BTreeMap<Name, crate::network::Ingress>,
    workloads: &BTreeMap<Name, crate::network::Workload>,
) -> Option<Name> {
    let rest = issuer
        .0
        .strip_prefix("https://")
        .or_else(|| issuer.0.strip_prefix("http://"))?;
    let host = rest.split(['/', ':', '?', '#']).next()?;
    ingresses
        .values()
        .find(|i| i.host.eq_ignore_ascii_case(host))
        .and_then(|i| workloads.get(&i.workload))
        .map(|w| w.namespace.clone())
}

/// The file Keycloak's file vault reads for `${vault.KEY}` in realm `realm`:
/// `<realm>_<key>`, with `_` doubled in both parts (Keycloak's escaping).
pub fn keycloak_vault_file(realm: &Name, key: &Name) -> String {
    format!(
        "{}_{}",
        realm.as_str().replace('_', "__"),
        key.as_str().replace('_', "__")
    )
}
