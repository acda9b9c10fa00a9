//! Target `apiserver/`: the kube-apiserver's configuration files, read at start (role
//! `Configuration`, outside the kustomization), and the flags that load them.
//!
//! - `apiserver/encryption-config.yaml`: `EncryptionConfiguration` (`apiserver.config.k8s.io/v1`)
//!   with the KMS v2 provider the posture declares (plugin name, `unix://` socket, timeout) for
//!   its resources, then `identity` when the posture keeps it (last: only to read data written
//!   before encryption; the checker refuses it first, P7004).
//! - `apiserver/audit-policy.yaml`: the audit `Policy` (`audit.k8s.io/v1`). The API server uses
//!   the first rule that matches, so the order is: excluded resources (`None`), then the
//!   posture's rules in the order written (the metadata-only rule for secrets and configmaps
//!   among them), then the block's level for everything else. `RequestReceived` is omitted.
//! - `apiserver/audit-webhook.kubeconfig`: the SIEM sink as a kubeconfig without credentials
//!   (the sink authenticates the API server by network identity or a client certificate the
//!   operator installs; no secret is written here).
//! - `apiserver/authentication-config.yaml`: `AuthenticationConfiguration` (structured OIDC:
//!   the realm's issuer, the audience, the username and groups claims and prefixes from
//!   `target { oidc }`), `v1beta1` before Kubernetes 1.34, `v1` from 1.34.
//! - `apiserver/flags`: one `--flag=value` per line, the kube-apiserver flags that load them,
//!   with the files under [`CONFIG_DIR`].

use emit::{Artifact, Origin, Role, TargetId};
use ir::secrets::{AtRest, Provider};
use ir::system::{Audit, AuditLevel};
use ir::{Block, ItemId, Posture};
use serde::Serialize;

/// This target: the `apiserver/` folder.
pub const TARGET: TargetId = TargetId("apiserver");

/// Where the flags expect the files on a control-plane node.
pub const CONFIG_DIR: &str = "/etc/kubernetes/posture";
/// Where the API server writes its local audit log (rotated by retention).
pub const AUDIT_LOG_PATH: &str = "/var/log/kubernetes/audit/audit.log";

pub const ENCRYPTION_FILE: &str = "encryption-config.yaml";
pub const AUDIT_POLICY_FILE: &str = "audit-policy.yaml";
pub const AUDIT_WEBHOOK_FILE: &str = "audit-webhook.kubeconfig";
pub const AUTHENTICATION_FILE: &str = "authentication-config.yaml";
pub const FLAGS_FILE: &str = "flags";

// ---------------------------------------------------------------------------------------------
// EncryptionConfiguration

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionConfiguration {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub resources: Vec<ResourceConfiguration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceConfiguration {
    pub resources: Vec<String>,
    pub providers: Vec<ProviderConfiguration>,
}

/// One provider: exactly one field set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProviderConfiguration {
    Kms(KmsConfiguration),
    Identity(Empty),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Empty {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KmsConfiguration {
    /// `v2`: KMS v1 is deprecated and off by default.
    pub api_version: &'static str,
    pub name: String,
    pub endpoint: String,
    /// A Go duration (`3s`).
    pub timeout: String,
}

/// The EncryptionConfiguration of `at_rest`; `None` without a plugin (the checker refused it).
pub fn encryption(at: &AtRest) -> Option<EncryptionConfiguration> {
    let plugin = at.plugin.as_ref()?;
    let providers = at
        .providers
        .iter()
        .map(|p| match p {
            Provider::Kms => ProviderConfiguration::Kms(KmsConfiguration {
                api_version: "v2",
                name: plugin.name.clone(),
                endpoint: plugin.endpoint.clone(),
                timeout: format!("{}s", plugin.timeout.map_or(3, |t| t.0)),
            }),
            Provider::Identity => ProviderConfiguration::Identity(Empty {}),
        })
        .collect();
    Some(EncryptionConfiguration {
        api_version: "apiserver.config.k8s.io/v1",
        kind: "EncryptionConfiguration",
        resources: vec![ResourceConfiguration {
            resources: at.resources.clone(),
            providers,
        }],
    })
}

// ---------------------------------------------------------------------------------------------
// Audit policy

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPolicy {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub omit_stages: Vec<&'static str>,
    pub rules: Vec<PolicyRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRule {
    pub level: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<GroupResources>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupResources {
    pub group: String,
    pub resources: Vec<String>,
}

pub fn level(l: AuditLevel) -> &'static str {
    match l {
        AuditLevel::None => "None",
        AuditLevel::Metadata => "Metadata",
        AuditLevel::Request => "Request",
        AuditLevel::RequestResponse => "RequestResponse",
    }
}

/// `deployments.apps` → (`apps`, `deployments`); `secrets` → (``, `secrets`).
pub fn split_resource(r: &str) -> (String, String) {
    match r.split_once('.') {
        Some((res, group)) => (group.to_string(), res.to_string()),
        None => (String::new(), r.to_string()),
    }
}

/// Resources grouped by API group, in the order written.
fn group_resources(list: &[String]) -> Vec<GroupResources> {
    let mut out: Vec<GroupResources> = Vec::new();
    for r in list {
        let (group, res) = split_resource(r);
        match out.iter_mut().find(|g| g.group == group) {
            Some(g) => g.resources.push(res),
            None => out.push(GroupResources {
                group,
                resources: vec![res],
            }),
        }
    }
    out
}

/// The audit Policy, rules in first-match order: exclusions, the posture's rules as written,
/// then the default level for everything.
pub fn audit_policy(a: &Audit) -> AuditPolicy {
    let mut rules = Vec::new();
    if !a.exclude.is_empty() {
        rules.push(PolicyRule {
            level: "None",
            resources: group_resources(&a.exclude),
        });
    }
    for r in &a.rules {
        rules.push(PolicyRule {
            level: level(r.level),
            resources: group_resources(&r.resources),
        });
    }
    rules.push(PolicyRule {
        level: level(a.level),
        resources: Vec::new(),
    });
    AuditPolicy {
        api_version: "audit.k8s.io/v1",
        kind: "Policy",
        omit_stages: vec!["RequestReceived"],
        rules,
    }
}

// ---------------------------------------------------------------------------------------------
// Audit webhook kubeconfig

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Kubeconfig {
    #[serde(rename = "apiVersion")]
    pub api_version: &'static str,
    pub kind: &'static str,
    pub clusters: Vec<NamedCluster>,
    pub users: Vec<NamedUser>,
    pub contexts: Vec<NamedContext>,
    pub current_context: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedCluster {
    pub name: &'static str,
    pub cluster: Cluster,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cluster {
    pub server: String,
}

/// A user without credentials: the type has no field that could hold one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedUser {
    pub name: &'static str,
    pub user: Empty,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedContext {
    pub name: &'static str,
    pub context: Context,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Context {
    pub cluster: &'static str,
    pub user: &'static str,
}

const SINK: &str = "audit-sink";

pub fn webhook_kubeconfig(sink: &ir::Url) -> Kubeconfig {
    Kubeconfig {
        api_version: "v1",
        kind: "Config",
        clusters: vec![NamedCluster {
            name: SINK,
            cluster: Cluster {
                server: sink.0.clone(),
            },
        }],
        users: vec![NamedUser {
            name: SINK,
            user: Empty {},
        }],
        contexts: vec![NamedContext {
            name: SINK,
            context: Context {
                cluster: SINK,
                user: SINK,
            },
        }],
        current_context: SINK,
    }
}

// ---------------------------------------------------------------------------------------------
// AuthenticationConfiguration

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationConfiguration {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub jwt: Vec<JwtAuthenticator>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JwtAuthenticator {
    pub issuer: Issuer,
    pub claim_mappings: ClaimMappings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issuer {
    pub url: String,
    pub audiences: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimMappings {
    pub username: PrefixedClaim,
    pub groups: PrefixedClaim,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrefixedClaim {
    pub claim: String,
    pub prefix: String,
}

/// The AuthenticationConfiguration of `target { oidc }`; `None` when the realm is unknown
/// (the checker refused it, P7009).
pub fn authentication(p: &Posture) -> Option<AuthenticationConfiguration> {
    let o = p.target.oidc.as_ref()?;
    let realm = p.identity.realms.get(&o.realm)?;
    let v1 = p.target.kubernetes
        >= ir::system::Version {
            major: 1,
            minor: 34,
        };
    Some(AuthenticationConfiguration {
        api_version: if v1 {
            "apiserver.config.k8s.io/v1"
        } else {
            "apiserver.config.k8s.io/v1beta1"
        },
        kind: "AuthenticationConfiguration",
        jwt: vec![JwtAuthenticator {
            issuer: Issuer {
                url: realm.issuer.0.clone(),
                audiences: vec![o.client_id.clone()],
            },
            claim_mappings: ClaimMappings {
                username: PrefixedClaim {
                    claim: o.username_claim.clone(),
                    prefix: o.username_prefix.clone(),
                },
                groups: PrefixedClaim {
                    claim: o.groups_claim.clone(),
                    prefix: o.groups_prefix.clone(),
                },
            },
        }],
    })
}

// ---------------------------------------------------------------------------------------------
// Flags

/// One kube-apiserver flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: &'static str,
    pub value: String,
}

impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--{}={}", self.name, self.value)
    }
}

fn file(name: &str) -> String {
    format!("{CONFIG_DIR}/{name}")
}

/// Every artifact of the target, with the flags that load them.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    let mut out = Vec::new();
    let mut flags: Vec<Flag> = Vec::new();
    let mut flag_origins: Vec<Origin> = Vec::new();
    if let Some(at) = &p.secrets.at_rest
        && let Some(doc) = encryption(at)
    {
        let origin = vec![Origin::new(
            ItemId::new(Block::Secrets, "encryption"),
            at.span,
        )];
        out.push(Artifact::yaml(
            TARGET,
            Role::Configuration,
            format!("apiserver/{ENCRYPTION_FILE}"),
            &doc,
            origin.clone(),
            false,
        ));
        flags.push(Flag {
            name: "encryption-provider-config",
            value: file(ENCRYPTION_FILE),
        });
        flag_origins.extend(origin);
    }
    if let Some(a) = &p.audit {
        let mut origins = vec![Origin::new(ItemId::block(Block::Audit), a.meta.span)];
        origins.extend(a.rules.iter().map(|r| {
            Origin::new(
                ItemId::new(Block::Audit, format!("rule.{}", r.name)),
                r.meta.span,
            )
        }));
        out.push(Artifact::yaml(
            TARGET,
            Role::Configuration,
            format!("apiserver/{AUDIT_POLICY_FILE}"),
            &audit_policy(a),
            origins.clone(),
            false,
        ));
        flags.push(Flag {
            name: "audit-policy-file",
            value: file(AUDIT_POLICY_FILE),
        });
        if let Some(sink) = &a.sink {
            out.push(Artifact::yaml(
                TARGET,
                Role::Configuration,
                format!("apiserver/{AUDIT_WEBHOOK_FILE}"),
                &webhook_kubeconfig(sink),
                vec![Origin::new(ItemId::block(Block::Audit), a.meta.span)],
                false,
            ));
            flags.push(Flag {
                name: "audit-webhook-config-file",
                value: file(AUDIT_WEBHOOK_FILE),
            });
        }
        if let Some(r) = a.retention {
            flags.push(Flag {
                name: "audit-log-path",
                value: AUDIT_LOG_PATH.to_string(),
            });
            flags.push(Flag {
                name: "audit-log-maxage",
                value: r.0.div_ceil(86_400).to_string(),
            });
        }
        flag_origins.extend(origins);
    }
    if let Some(doc) = authentication(p) {
        let origin = vec![Origin::new(
            ItemId::block(Block::Target),
            p.target.meta.span,
        )];
        out.push(Artifact::yaml(
            TARGET,
            Role::Configuration,
            format!("apiserver/{AUTHENTICATION_FILE}"),
            &doc,
            origin.clone(),
            false,
        ));
        flags.push(Flag {
            name: "authentication-config",
            value: file(AUTHENTICATION_FILE),
        });
        flag_origins.extend(origin);
    }
    if !flags.is_empty() {
        let mut text = String::new();
        for f in &flags {
            text.push_str(&f.to_string());
            text.push('\n');
        }
        flag_origins.sort();
        flag_origins.dedup();
        out.push(Artifact {
            target: TARGET,
            role: Role::Configuration,
            path: format!("apiserver/{FLAGS_FILE}"),
            bytes: text.into_bytes(),
            origins: flag_origins,
            applyable: false,
            placement: None,
        });
    }
    out
}

#[cfg(test)]
mod tests;
