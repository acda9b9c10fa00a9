//! Target `secrets/`: External Secrets Operator resources (`external-secrets.io/v1`) that sync
//! the posture's secrets from their stores, and the sealed form's scaffold. Nothing here ever
//! holds a value: stores are addresses and auth roles, secrets are key → store-path maps.
//!
//! - `secrets/stores/<namespace>/<store>.yaml`: a `SecretStore` per store and namespace that
//!   uses it (a namespaced store can serve only its own namespace), or with `cluster = true`
//!   one `ClusterSecretStore` (`secrets/stores/<store>.yaml`) whose `conditions` admit exactly
//!   the namespaces of its secrets. A store no secret uses emits nothing: a store that would
//!   serve no one is not configuration.
//! - `secrets/external/<namespace>/<secret>.yaml`: an `ExternalSecret` per secret (keys →
//!   `remoteRef`, target Secret, refresh, creation and deletion policies; rotation as an
//!   annotation). A secret a realm federation reads through Keycloak's file vault gets the data
//!   key Keycloak's vault expects (`<realm>_<secret>`), so the Secret mounted as the vault
//!   directory holds exactly that one file.
//! - `secrets/sealed/<namespace>/<secret>.yaml` for `sealed = true`: a `SealedSecret` scaffold
//!   (strict scope, the template's metadata, an empty `encryptedData`) that `kubeseal` fills;
//!   not applied (the compiler has no ciphertext to give).

use emit::k8s::ObjectMeta;
use emit::{Artifact, Origin, Role, TargetId};
use ir::secrets::{Secret, Store, StoreKind, VaultAuth};
use ir::{Block, ItemId, Name, Posture};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// This target: the `secrets/` folder.
pub const TARGET: TargetId = TargetId("secrets");

/// The API version of every External Secrets object we write.
pub const ESO_API: &str = "external-secrets.io/v1";
/// The API version of the SealedSecret scaffold.
pub const SEALED_API: &str = "bitnami.com/v1alpha1";
/// How often ESO reads the store again (ESO's default, written out).
pub const REFRESH_INTERVAL: &str = "1h0m0s";
/// The annotation carrying a secret's rotation period (seconds), for auditors and tooling.
pub const ROTATE_ANNOTATION: &str = "posture.dev/rotate-seconds";

// ---------------------------------------------------------------------------------------------
// Typed models (the fields we write of ESO v2.9.0's v1 CRDs and sealed-secrets v0.36.6).

/// `SecretStore` / `ClusterSecretStore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreDoc {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: StoreSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreSpec {
    pub provider: Provider,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// `ClusterSecretStore.spec.conditions[]`: the namespaces allowed to use the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub namespaces: Vec<String>,
}

/// `spec.provider`: exactly one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Provider {
    Vault(VaultProvider),
    Aws(AwsProvider),
    Gcpsm(GcpProvider),
    Azurekv(AzureProvider),
    Kubernetes(KubernetesProvider),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultProvider {
    pub server: String,
    /// The KV mount path.
    pub path: String,
    /// KV engine version: `v2`.
    pub version: &'static str,
    pub auth: VaultAuthDoc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultAuthDoc {
    pub kubernetes: VaultKubernetesAuth,
}

/// Vault's Kubernetes auth: the operator presents a service account token, Vault maps it to
/// `role`. No secret is referenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaultKubernetesAuth {
    pub mount_path: String,
    pub role: String,
}

/// AWS Secrets Manager; no `auth`: the operator's own IRSA / pod identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsProvider {
    pub service: &'static str,
    pub region: String,
}

/// GCP Secret Manager; no `auth`: the operator's workload identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcpProvider {
    #[serde(rename = "projectID")]
    pub project_id: String,
}

/// Azure Key Vault with workload identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureProvider {
    pub auth_type: &'static str,
    pub vault_url: String,
    pub environment_type: &'static str,
}

/// Secrets of another namespace of the same cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesProvider {
    pub remote_namespace: String,
    pub server: KubernetesServer,
    pub auth: KubernetesAuth,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesServer {
    pub ca_provider: CaProvider,
}

/// The cluster's own CA, from the `kube-root-ca.crt` ConfigMap every namespace has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaProvider {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: &'static str,
    pub key: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesAuth {
    pub service_account: ServiceAccountRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceAccountRef {
    pub name: String,
}

/// `ExternalSecret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretDoc {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ExternalSecretSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    pub refresh_interval: &'static str,
    pub secret_store_ref: StoreRef,
    pub target: ExternalTarget,
    pub data: Vec<ExternalData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreRef {
    pub name: String,
    pub kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalTarget {
    pub name: String,
    /// `Owner`: the ExternalSecret owns the Secret it creates.
    pub creation_policy: &'static str,
    /// `Retain`: a value that disappears from the store does not delete the Secret (and take
    /// the workload down); rotation replaces it.
    pub deletion_policy: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<ExternalTemplate>,
}

/// `spec.target.template`: only metadata; the data comes from `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalTemplate {
    pub engine_version: &'static str,
    pub metadata: TemplateMetadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TemplateMetadata {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalData {
    pub secret_key: String,
    pub remote_ref: RemoteRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteRef {
    /// The path in the store: never a value.
    pub key: String,
}

/// `SealedSecret` scaffold: strict scope (no scope annotation), no ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretDoc {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: SealedSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedSpec {
    /// Empty: `kubeseal` writes one ciphertext per key.
    pub encrypted_data: BTreeMap<String, String>,
    pub template: SealedTemplate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SealedTemplate {
    pub metadata: ObjectMeta,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// The sealed-secrets annotation that lets the controller manage a Secret.
pub const SEALED_MANAGED: &str = "sealedsecrets.bitnami.com/managed";

// ---------------------------------------------------------------------------------------------

/// Where each store is used: store → namespaces of its secrets.
fn store_namespaces(p: &Posture) -> BTreeMap<&Name, BTreeSet<&Name>> {
    let mut out: BTreeMap<&Name, BTreeSet<&Name>> = BTreeMap::new();
    for s in p.secrets.secrets.values() {
        out.entry(&s.store).or_default().insert(&s.namespace);
    }
    out
}

/// The secrets Keycloak's file vault reads, by secret: the vault file name (`<realm>_<key>`).
pub fn vault_files(p: &Posture) -> BTreeMap<Name, String> {
    let mut out = BTreeMap::new();
    for realm in p.identity.realms.values() {
        for f in realm.federations.values() {
            if let Some(s) = &f.client_secret {
                out.insert(s.clone(), ir::secrets::keycloak_vault_file(&realm.name, s));
            }
        }
    }
    out
}

fn store_id(s: &Store) -> ItemId {
    ItemId::new(Block::Secrets, format!("store.{}", s.name))
}

fn secret_id(s: &Secret) -> ItemId {
    ItemId::new(Block::Secrets, &s.name)
}

fn azure_environment(url: &str) -> &'static str {
    let host = url
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap_or("");
    if host.ends_with(".vault.usgovcloudapi.net") {
        "USGovernmentCloud"
    } else if host.ends_with(".vault.azure.cn") {
        "ChinaCloud"
    } else {
        "PublicCloud"
    }
}

/// The provider of a store.
pub fn provider(kind: &StoreKind) -> Provider {
    match kind {
        StoreKind::Vault {
            address,
            path,
            auth: VaultAuth::Kubernetes { role, mount },
        } => Provider::Vault(VaultProvider {
            server: address.0.clone(),
            path: path.clone(),
            version: "v2",
            auth: VaultAuthDoc {
                kubernetes: VaultKubernetesAuth {
                    mount_path: mount.clone().unwrap_or_else(|| "kubernetes".to_string()),
                    role: role.clone(),
                },
            },
        }),
        StoreKind::AwsSecretsManager { region } => Provider::Aws(AwsProvider {
            service: "SecretsManager",
            region: region.clone(),
        }),
        StoreKind::GcpSecretManager { project } => Provider::Gcpsm(GcpProvider {
            project_id: project.clone(),
        }),
        StoreKind::AzureKeyVault { vault_url } => Provider::Azurekv(AzureProvider {
            auth_type: "WorkloadIdentity",
            vault_url: vault_url.0.clone(),
            environment_type: azure_environment(&vault_url.0),
        }),
        StoreKind::Kubernetes { namespace } => Provider::Kubernetes(KubernetesProvider {
            remote_namespace: namespace.to_string(),
            server: KubernetesServer {
                ca_provider: CaProvider {
                    kind: "ConfigMap",
                    name: "kube-root-ca.crt",
                    key: "ca.crt",
                },
            },
            auth: KubernetesAuth {
                service_account: ServiceAccountRef {
                    name: "external-secrets".to_string(),
                },
            },
        }),
    }
}

fn meta_for(
    name: &str,
    namespace: Option<&Name>,
    ids: &[&ItemId],
    satisfies: &[&[ir::controls::ControlRef]],
) -> ObjectMeta {
    let mut m = ObjectMeta::named(name, namespace.map(ToString::to_string));
    m.annotations.insert(
        emit::SOURCE_ANNOTATION.to_string(),
        emit::source_annotation(ids.iter().copied()),
    );
    if let Some(c) = emit::controls_annotation(satisfies.iter().copied()) {
        m.annotations
            .insert(emit::CONTROLS_ANNOTATION.to_string(), c);
    }
    m
}

/// The store documents: one per (store, namespace) or one cluster store.
pub fn stores(p: &Posture) -> Vec<(String, StoreDoc, Vec<Origin>)> {
    let used = store_namespaces(p);
    let mut out = Vec::new();
    for s in p.secrets.stores.values() {
        let Some(namespaces) = used.get(&s.name) else {
            continue;
        };
        let id = store_id(s);
        let origin = vec![Origin::new(id.clone(), s.meta.span)];
        if s.cluster {
            let metadata = meta_for(s.name.as_str(), None, &[&id], &[&s.meta.satisfies]);
            out.push((
                format!("secrets/stores/{}.yaml", s.name),
                StoreDoc {
                    api_version: ESO_API,
                    kind: "ClusterSecretStore",
                    metadata,
                    spec: StoreSpec {
                        provider: provider(&s.kind),
                        conditions: vec![Condition {
                            namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
                        }],
                    },
                },
                origin,
            ));
        } else {
            for ns in namespaces {
                let metadata = meta_for(s.name.as_str(), Some(ns), &[&id], &[&s.meta.satisfies]);
                out.push((
                    format!("secrets/stores/{ns}/{}.yaml", s.name),
                    StoreDoc {
                        api_version: ESO_API,
                        kind: "SecretStore",
                        metadata,
                        spec: StoreSpec {
                            provider: provider(&s.kind),
                            conditions: Vec::new(),
                        },
                    },
                    origin.clone(),
                ));
            }
        }
    }
    out
}

/// The ExternalSecret of one secret.
pub fn external_secret(p: &Posture, s: &Secret, vault_file: Option<&str>) -> ExternalSecretDoc {
    let id = secret_id(s);
    let mut metadata = meta_for(
        s.name.as_str(),
        Some(&s.namespace),
        &[&id],
        &[&s.meta.satisfies],
    );
    if let Some(r) = s.rotate {
        metadata
            .annotations
            .insert(ROTATE_ANNOTATION.to_string(), r.0.to_string());
    }
    let cluster = p.secrets.stores.get(&s.store).is_some_and(|st| st.cluster);
    let data = match vault_file {
        // Keycloak's file vault: one file, named `<realm>_<key>`, from the secret's one key
        // (the checker refuses any other count, P7006).
        Some(file) => s
            .keys
            .values()
            .take(1)
            .map(|path| ExternalData {
                secret_key: file.to_string(),
                remote_ref: RemoteRef { key: path.clone() },
            })
            .collect(),
        None => s
            .keys
            .iter()
            .map(|(k, path)| ExternalData {
                secret_key: k.clone(),
                remote_ref: RemoteRef { key: path.clone() },
            })
            .collect(),
    };
    let mut template = TemplateMetadata::default();
    template.labels.insert(
        emit::k8s::MANAGED_BY.0.to_string(),
        emit::k8s::MANAGED_BY.1.to_string(),
    );
    template.annotations.insert(
        emit::SOURCE_ANNOTATION.to_string(),
        emit::source_annotation([&id]),
    );
    ExternalSecretDoc {
        api_version: ESO_API,
        kind: "ExternalSecret",
        metadata,
        spec: ExternalSecretSpec {
            refresh_interval: REFRESH_INTERVAL,
            secret_store_ref: StoreRef {
                name: s.store.to_string(),
                kind: if cluster {
                    "ClusterSecretStore"
                } else {
                    "SecretStore"
                },
            },
            target: ExternalTarget {
                name: s.name.to_string(),
                creation_policy: "Owner",
                deletion_policy: "Retain",
                template: Some(ExternalTemplate {
                    engine_version: "v2",
                    metadata: template,
                }),
            },
            data,
        },
    }
}

/// The sealed form's scaffold of one secret.
pub fn sealed_scaffold(s: &Secret) -> SealedSecretDoc {
    let id = secret_id(s);
    let metadata = meta_for(s.name.as_str(), Some(&s.namespace), &[&id], &[]);
    let mut tm = ObjectMeta::named(s.name.as_str(), Some(s.namespace.to_string()));
    tm.annotations
        .insert(SEALED_MANAGED.to_string(), "true".to_string());
    SealedSecretDoc {
        api_version: SEALED_API,
        kind: "SealedSecret",
        metadata,
        spec: SealedSpec {
            encrypted_data: BTreeMap::new(),
            template: SealedTemplate {
                metadata: tm,
                kind: "Opaque",
            },
        },
    }
}

/// Every document of the target.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    let mut out = Vec::new();
    for (path, doc, origins) in stores(p) {
        out.push(Artifact::yaml(
            TARGET,
            Role::Enforcing,
            path,
            &doc,
            origins,
            true,
        ));
    }
    let vault = vault_files(p);
    for s in p.secrets.secrets.values() {
        let origin = vec![Origin::new(secret_id(s), s.meta.span)];
        let file = vault.get(&s.name).map(String::as_str);
        out.push(Artifact::yaml(
            TARGET,
            Role::Enforcing,
            format!("secrets/external/{}/{}.yaml", s.namespace, s.name),
            &external_secret(p, s, file),
            origin.clone(),
            true,
        ));
        if s.sealed {
            // A template for `kubeseal`, never applied as is: evidence of the sealed form,
            // not an enforcing document.
            out.push(Artifact::yaml(
                TARGET,
                Role::Evidence,
                format!("secrets/sealed/{}/{}.yaml", s.namespace, s.name),
                &sealed_scaffold(s),
                origin,
                false,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
