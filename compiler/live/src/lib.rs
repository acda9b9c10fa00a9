//! posture against a live cluster: `posture apply`, `posture diff --live` and
//! `posture verify --live`.
//!
//! Kubernetes is the engine: a build's objects go to the API server by server-side apply with
//! the field manager `posture`; nothing here runs a controller. Ownership is per system, the
//! ApplySet way (KEP-3659): a parent ConfigMap `posture-<system>` in `kube-system` carries the
//! id `applyset-<base64url(sha256(name.namespace.kind.group))>-v1`, every applied object the
//! label `applyset.kubernetes.io/part-of=<id>`, and `--prune` deletes only objects with that
//! label that the build no longer holds. Two postures on one cluster have two ids and never
//! prune each other's objects; objects of other tools carry no such label.
//!
//! - [`bundle`] reads a build's output directory through its manifest (digests checked).
//! - [`connect`] loads a client configuration the way kubectl does and checks the server.
//! - [`apply`] applies in a safe order, optionally prunes.
//! - [`drift`] compares the build with the cluster, field by field.
//! - [`verify`] reads the cluster back into an OSCAL assessment-results document.

pub mod apply;
pub mod bundle;
pub mod drift;
pub mod verify;

use base64::Engine as _;
use bundle::Gvk;
use diagnostics::Code;
use diagnostics::codes::apply::{P8003, P8004, P8006};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "posture";
/// The label every applied object carries: the ApplySet it is part of.
pub const PART_OF: &str = "applyset.kubernetes.io/part-of";
/// The parent's label: its ApplySet id.
pub const APPLYSET_ID: &str = "applyset.kubernetes.io/id";
/// The parent's annotation: the group-kinds its members may have.
pub const CONTAINS_GROUP_KINDS: &str = "applyset.kubernetes.io/contains-group-kinds";
/// The parent's annotation: the namespaces its members may be in, besides its own.
pub const ADDITIONAL_NAMESPACES: &str = "applyset.kubernetes.io/additional-namespaces";
/// The parent's annotation: the tool that manages the set.
pub const TOOLING: &str = "applyset.kubernetes.io/tooling";
/// The namespace of every ApplySet parent.
pub const PARENT_NAMESPACE: &str = "kube-system";

/// A coded failure of a live command, rendered by the CLI as a diagnostic (no source span: it
/// is about the cluster, not the posture's text).
#[derive(Debug, Clone)]
pub struct Failure {
    pub code: &'static Code,
    pub message: String,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Failure {
    pub fn new(code: &'static Code, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// As a diagnostic.
    pub fn diagnostic(&self) -> diagnostics::Diagnostic {
        let mut d = diagnostics::Diagnostic::new(self.code, self.message.clone());
        if let Some(h) = &self.help {
            d = d.with_help(h.clone());
        }
        for n in &self.notes {
            d = d.with_note(n.clone());
        }
        d
    }
}

/// When an object is applied. Namespaces come first (their Pod Security labels hold before
/// anything runs in them), then RBAC, secret-store resources and the other resources; allow
/// NetworkPolicies before the default-deny ones (traffic the posture allows is never cut
/// while the run is half done); admission last, exceptions before the policies they narrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Namespaces,
    Rbac,
    SecretStores,
    Resources,
    NetworkAllow,
    NetworkDeny,
    AdmissionExceptions,
    Admission,
}

impl Phase {
    /// The phase of an object of kind `gvk`.
    pub fn of(gvk: &Gvk, value: &Value) -> Phase {
        match (gvk.group.as_str(), gvk.kind.as_str()) {
            ("", "Namespace") => Phase::Namespaces,
            ("rbac.authorization.k8s.io", _) | ("", "ServiceAccount") => Phase::Rbac,
            ("external-secrets.io", _) | ("bitnami.com", _) => Phase::SecretStores,
            ("networking.k8s.io", "NetworkPolicy") => {
                if is_default_deny(value) {
                    Phase::NetworkDeny
                } else {
                    Phase::NetworkAllow
                }
            }
            ("kyverno.io" | "policies.kyverno.io", "PolicyException") => Phase::AdmissionExceptions,
            ("kyverno.io" | "policies.kyverno.io" | "admissionregistration.k8s.io", _) => {
                Phase::Admission
            }
            _ => Phase::Resources,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Phase::Namespaces => "namespaces and their Pod Security labels",
            Phase::Rbac => "RBAC",
            Phase::SecretStores => "secret-store resources",
            Phase::Resources => "other resources",
            Phase::NetworkAllow => "allow NetworkPolicies",
            Phase::NetworkDeny => "default-deny NetworkPolicies",
            Phase::AdmissionExceptions => "admission policy exceptions",
            Phase::Admission => "admission policies",
        }
    }
}

/// A NetworkPolicy that allows nothing: no ingress and no egress rule.
fn is_default_deny(value: &Value) -> bool {
    let spec = value.get("spec");
    let empty = |key: &str| {
        spec.and_then(|s| s.get(key))
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
    };
    empty("ingress") && empty("egress")
}

/// The ApplySet of one system's builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplySet {
    /// The parent ConfigMap's name: `posture-<system>`.
    pub parent: String,
    /// `applyset-<hash>-v1`.
    pub id: String,
}

impl ApplySet {
    /// The ApplySet of the posture whose `system` item is `system`.
    pub fn of_system(system: &str) -> ApplySet {
        let parent = format!("posture-{system}");
        // KEP-3659: base64url (no padding) of sha256("<name>.<namespace>.<kind>.<group>").
        let digest = Sha256::digest(format!("{parent}.{PARENT_NAMESPACE}.ConfigMap.").as_bytes());
        let id = format!(
            "applyset-{}-v1",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
        );
        ApplySet { parent, id }
    }
}

/// A connected cluster.
#[derive(Clone)]
pub struct Cluster {
    /// The context's name, or `in-cluster`/`default` when none was named.
    pub name: String,
    pub server: String,
    pub client: kube::Client,
}

/// Connects to the cluster of `context` (the kubeconfig's current context when `None`),
/// reading the kubeconfig as kubectl does: `KUBECONFIG` (a list of files, merged), else
/// `~/.kube/config`, else the in-cluster service account. Checks the server answers.
pub async fn connect(context: Option<&str>) -> Result<Cluster, Failure> {
    let unusable = |why: String| {
        Failure::new(&P8003, format!("no usable cluster configuration: {why}"))
            .with_help("set KUBECONFIG or ~/.kube/config, or name a context with --context")
    };
    let config = match context {
        Some(ctx) => {
            let kubeconfig = Kubeconfig::read().map_err(|e| unusable(e.to_string()))?;
            if !kubeconfig.contexts.iter().any(|c| c.name == ctx) {
                let known: Vec<&str> = kubeconfig
                    .contexts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                return Err(Failure::new(
                    &P8003,
                    format!(
                        "the kubeconfig has no context `{}`",
                        diagnostics::quote(ctx)
                    ),
                )
                .with_note(format!("contexts: {}", known.join(", "))));
            }
            let options = KubeConfigOptions {
                context: Some(ctx.to_string()),
                ..KubeConfigOptions::default()
            };
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| unusable(e.to_string()))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| unusable(e.to_string()))?,
    };
    let server = config.cluster_url.to_string();
    let name = context.map_or_else(|| "current context".to_string(), str::to_string);
    let client = kube::Client::try_from(config).map_err(|e| unusable(e.to_string()))?;
    let cluster = Cluster {
        name,
        server,
        client,
    };
    cluster
        .client
        .apiserver_version()
        .await
        .map_err(|e| cluster.failure(&e, "read the server's version"))?;
    Ok(cluster)
}

impl Cluster {
    /// A client error as a coded failure: refused (401/403) is P8006, no answer P8004.
    pub fn failure(&self, e: &kube::Error, doing: &str) -> Failure {
        match e {
            kube::Error::Api(status) if status.code == 401 || status.code == 403 => Failure::new(
                &P8006,
                format!(
                    "{}: the API server at {} refuses to {doing}: {}",
                    self.name, self.server, status.message
                ),
            )
            .with_help("grant the credentials the verbs posture needs (the book's apply page lists them)"),
            kube::Error::Api(status) => Failure::new(
                &diagnostics::codes::apply::P8007,
                format!(
                    "{}: the API server at {} refused to {doing}: {} ({})",
                    self.name, self.server, status.message, status.code
                ),
            ),
            other => Failure::new(
                &P8004,
                format!(
                    "{}: cannot reach the API server at {} to {doing}: {other}",
                    self.name, self.server
                ),
            )
            .with_help("check the server address, the network and the certificate authority of the kubeconfig"),
        }
    }
}

/// The HTTP status of an API error, if it is one.
pub fn status_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// A current-thread runtime for one command: the clusters of `--context a,b` are driven
/// concurrently on it (the work is waiting on the network).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

#[cfg(test)]
mod tests;
