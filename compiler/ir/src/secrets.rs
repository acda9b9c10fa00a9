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

/// Encryption of API resources at rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRest {
    pub resources: Vec<String>,
    /// The KMS key reference (an ARN or URI), never key material.
    pub kms: String,
}

/// `secrets { … }`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Secrets {
    pub stores: BTreeMap<Name, Store>,
    pub secrets: BTreeMap<Name, Secret>,
    pub at_rest: Option<AtRest>,
}
