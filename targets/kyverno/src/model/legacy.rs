//! `kyverno.io/v1` ClusterPolicy (deprecated in Kyverno 1.17, still what most clusters run) and
//! `kyverno.io/v2` PolicyException, as in `kyverno.io_clusterpolicies.yaml` and
//! `kyverno.io_policyexceptions.yaml`.

use super::LabelSelector;
use super::netpol::NetworkPolicyData;
use emit::k8s::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;

/// `ClusterPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPolicy {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ClusterPolicySpec,
}

/// `ClusterPolicy.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPolicySpec {
    pub background: bool,
    pub rules: Vec<Rule>,
}

/// What a failed validation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FailureAction {
    Enforce,
    Audit,
}

/// Which resources a rule applies to, or leaves out (`match`, `exclude`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MatchResources {
    pub any: Vec<ResourceFilter>,
}

/// One `any` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ResourceFilter {
    pub resources: ResourceDescription,
}

/// What a resource filter selects.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescription {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Admission operations (`CREATE`, `UPDATE`, …); empty = every operation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

/// A named CEL condition; the rule applies only when every one holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CelPrecondition {
    pub name: String,
    pub expression: String,
}

/// One rule: exactly one of validate, mutate, generate, verifyImages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub name: String,
    #[serde(rename = "match")]
    pub match_: MatchResources,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<MatchResources>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cel_preconditions: Vec<CelPrecondition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate: Option<Validate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutate: Option<Mutate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate: Option<Generate>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verify_images: Vec<VerifyImages>,
}

/// `validate` with CEL expressions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Validate {
    pub failure_action: FailureAction,
    pub cel: CelValidation,
}

/// `validate.cel`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CelValidation {
    pub expressions: Vec<CelExpression>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<CelVariable>,
}

/// One `validate.cel.expressions` entry: must be true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CelExpression {
    pub expression: String,
    pub message: String,
}

/// One `validate.cel.variables` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CelVariable {
    pub name: String,
    pub expression: String,
}

/// `mutate` with a strategic merge patch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mutate {
    pub patch_strategic_merge: PatchMetadata,
}

/// `{metadata: {labels: {…}, annotations: {…}}}` with `+(key)` add-if-absent anchors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatchMetadata {
    pub metadata: PatchMeta,
}

/// The metadata half of the patch.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PatchMeta {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `generate`: one downstream object with its data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generate {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub name: String,
    pub namespace: String,
    pub synchronize: bool,
    pub data: NetworkPolicyData,
}

/// Public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Keys {
    pub public_keys: String,
}

/// The transparency log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rekor {
    pub url: String,
}

/// Sigstore keyless: certificate issuer and subject (wildcards allowed in the subject).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Keyless {
    pub issuer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rekor: Option<Rekor>,
    pub subject: String,
}

/// One attestor entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AttestorEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyless: Option<Keyless>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Keys>,
}

/// An attestor set: `count` entries must verify (every entry when unset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttestorSet {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    pub entries: Vec<AttestorEntry>,
}

/// One `verifyImages` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyImages {
    pub attestors: Vec<AttestorSet>,
    pub failure_action: FailureAction,
    pub image_references: Vec<String>,
    pub mutate_digest: bool,
    pub required: bool,
    pub verify_digest: bool,
}

/// `PolicyException` (`kyverno.io/v2`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyException {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: PolicyExceptionSpec,
}

/// `PolicyException.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyExceptionSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Conditions>,
    pub exceptions: Vec<ExceptionEntry>,
    #[serde(rename = "match")]
    pub match_: MatchResources,
}

/// The rules of one policy an exception waives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionEntry {
    pub policy_name: String,
    pub rule_names: Vec<String>,
}

/// `PolicyException.spec.conditions`: every `all` clause holds and, when there are `any`
/// clauses, one of them does.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Conditions {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub all: Vec<Condition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<Condition>,
}

/// One `key`/`operator`/`value` clause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub key: Variable,
    pub operator: ConditionOperator,
    pub value: ConditionValue,
}

/// The operators posture writes (a subset of the CRD's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConditionOperator {
    Equals,
    NotEquals,
    AnyIn,
    AnyNotIn,
}

/// A literal value or list of values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ConditionValue {
    One(String),
    Many(Vec<String>),
}

/// A Kyverno variable over a JMESPath field path of the admitted object:
/// `{{ request.object."metadata"."labels"."team" || '' }}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// The fields under `request.object`.
    pub path: Vec<String>,
    /// `|| ''`: the empty string when the field is absent.
    pub or_empty: bool,
}

impl std::fmt::Display for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("{{ request.object")?;
        for seg in &self.path {
            // A JMESPath quoted identifier is a JSON string.
            let quoted = serde_json::Value::String(seg.clone()).to_string();
            write!(f, ".{quoted}")?;
        }
        if self.or_empty {
            f.write_str(" || ''")?;
        }
        f.write_str(" }}")
    }
}

impl Serialize for Variable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
