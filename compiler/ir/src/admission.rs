//! Admission policies: standard-library bundles, custom validation, mutation, generation and
//! image verification.

use crate::{Action, ImageGlob, Labels, Meta, Name, Quantity, Url};
use serde::Serialize;
use std::collections::BTreeMap;

/// The resource kinds a rule matches. `Pods` means Pods and, through Kyverno's autogen, every
/// pod controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Pods,
    Deployments,
    StatefulSets,
    DaemonSets,
    Jobs,
    CronJobs,
    Services,
    Ingresses,
    Namespaces,
    ConfigMaps,
    Secrets,
    ServiceAccounts,
    Roles,
    RoleBindings,
    ClusterRoles,
    ClusterRoleBindings,
    NetworkPolicies,
}

/// What a rule applies to, and what it leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Match {
    pub kinds: Vec<ResourceKind>,
    /// Empty = every namespace.
    pub namespaces: Vec<Name>,
    pub exclude_namespaces: Vec<Name>,
    pub exclude_workloads: Vec<Name>,
}

/// How bad a violation is, for the policy's severity annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// A CEL expression the checker has parsed, checked against the Kubernetes schema of the
/// target version and printed in canonical form (optional-safe access inserted, bundle
/// parameters substituted). Emitters embed `text` as is; CEL they build themselves goes
/// through the `cel` crate's builder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Cel {
    pub text: String,
    #[serde(skip)]
    pub span: diagnostics::Span,
}

/// A named CEL value an expression refers to as `variables.NAME` (e.g. `containers`, every
/// container of a pod: regular, init and ephemeral).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CelVariable {
    pub name: String,
    pub expression: Cel,
}

/// `validate NAME { … }`: each check is normalised so that `true` means the resource passes
/// (`deny = e` is stored as `!(e)`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validate {
    pub name: Name,
    pub title: Option<String>,
    pub category: Option<String>,
    pub severity: Severity,
    pub action: Action,
    pub matches: Match,
    /// The variables the checks use, in dependency order.
    pub variables: Vec<CelVariable>,
    /// Every check must hold (one Kyverno validation each).
    pub checks: Vec<Cel>,
    pub message: String,
    /// The Pod Security Standards control the rule enforces, when it enforces one
    /// (`pod_security_control = run_as_non_root`): what lets the compiler keep a namespace's
    /// Pod Security labels and the posture's exceptions in agreement (`ir::pod_security`).
    pub pod_security_control: Option<crate::pod_security::Control>,
    pub meta: Meta,
}

/// `mutate NAME { … }`: labels and annotations added when missing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mutate {
    pub name: Name,
    pub matches: Match,
    pub labels: Labels,
    pub annotations: Labels,
    pub meta: Meta,
}

/// What a generate rule reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GenerateTrigger {
    NewNamespaces,
}

/// `generate NAME { … }`: a default-deny NetworkPolicy (and DNS egress) in new namespaces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generate {
    pub name: Name,
    pub trigger: GenerateTrigger,
    pub allow_dns: bool,
    pub exclude_namespaces: Vec<Name>,
    pub synchronize: bool,
    pub meta: Meta,
}

impl Generate {
    /// The namespaces the rule never fires for: the ones it excludes itself and every
    /// namespace the platform runs in ([`crate::system::Target::platform_namespaces`]: the
    /// system namespaces, the ingress controller's, the cluster DNS's, the mesh control
    /// plane's, Kyverno's), sorted, without duplicates. A generated default deny there would
    /// cut the platform off from its own components.
    pub fn excluded_namespaces(&self, target: &crate::system::Target) -> Vec<Name> {
        let mut out: Vec<Name> = self
            .exclude_namespaces
            .iter()
            .cloned()
            .chain(target.platform_namespaces())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// How image signatures are checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Attestor {
    /// Public keys (PEM text or a reference to a key in a secret store).
    Keys { public_keys: Vec<String> },
    /// Sigstore keyless: certificate issuer and subject (globs allowed in the subject).
    Keyless {
        issuer: Url,
        subject: String,
        rekor: Option<Url>,
    },
}

/// `verify_images NAME { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyImages {
    pub name: Name,
    pub images: Vec<ImageGlob>,
    pub attestors: Vec<Attestor>,
    pub require_digest: bool,
    pub action: Action,
    pub meta: Meta,
}

/// A bundle parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Quantity(Quantity),
    Word(String),
    Text(String),
    List(Vec<ParamValue>),
}

/// `use std.BUNDLE { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleUse {
    pub bundle: String,
    pub action: Action,
    pub params: BTreeMap<Name, ParamValue>,
    pub exclude_namespaces: Vec<Name>,
    pub exclude_workloads: Vec<Name>,
    pub meta: Meta,
}

/// `admission { … }`, merged over every file and the bundles it uses.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Admission {
    pub uses: Vec<BundleUse>,
    pub validate: BTreeMap<Name, Validate>,
    pub mutate: BTreeMap<Name, Mutate>,
    pub generate: BTreeMap<Name, Generate>,
    pub verify_images: BTreeMap<Name, VerifyImages>,
}
