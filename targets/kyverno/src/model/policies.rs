//! `policies.kyverno.io/v1`: the CEL policy kinds (Kyverno ≥ 1.17) and their PolicyException,
//! as in `policies.kyverno.io_*.yaml`.

use super::LabelSelector;
use emit::k8s::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;

/// The API version of every document here.
pub const API_VERSION: &str = "policies.kyverno.io/v1";

/// A typed document: `apiVersion`, `kind`, `metadata`, `spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document<S> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: S,
}

/// An admission operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    Create,
    Update,
}

/// One `resourceRules` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRule {
    pub api_groups: Vec<String>,
    pub api_versions: Vec<String>,
    pub operations: Vec<Operation>,
    pub resources: Vec<String>,
}

/// `matchConstraints`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchResources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    pub resource_rules: Vec<ResourceRule>,
}

/// A named CEL condition (`matchConditions`); the resource is in scope when every one holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchCondition {
    pub name: String,
    pub expression: String,
}

/// A named CEL value, `variables.NAME` in later expressions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variable {
    pub name: String,
    pub expression: String,
}

/// `{enabled: bool}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Enabled {
    pub enabled: bool,
}

/// `evaluation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evaluation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background: Option<Enabled>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synchronize: Option<Enabled>,
}

/// `autogen`: which pod controllers Kyverno derives rules for from a Pod policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Autogen {
    pub pod_controllers: PodControllers,
}

/// `autogen.podControllers`; an empty list turns autogen off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodControllers {
    pub controllers: Vec<String>,
}

/// What a failed validation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ValidationAction {
    Deny,
    Audit,
}

/// One `validations` entry: a CEL expression that must be true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub expression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `ValidatingPolicy.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatingPolicySpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autogen: Option<Autogen>,
    pub evaluation: Evaluation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_conditions: Vec<MatchCondition>,
    pub match_constraints: MatchResources,
    pub validation_actions: Vec<ValidationAction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub validations: Vec<Validation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
}

/// `{expression: …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expression {
    pub expression: String,
}

/// How a mutation is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PatchType {
    ApplyConfiguration,
}

/// One `mutations` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mutation {
    pub patch_type: PatchType,
    pub apply_configuration: Expression,
}

/// `MutatingPolicy.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MutatingPolicySpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autogen: Option<Autogen>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_conditions: Vec<MatchCondition>,
    pub match_constraints: MatchResources,
    pub mutations: Vec<Mutation>,
}

/// `GeneratingPolicy.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratingPolicySpec {
    pub evaluation: Evaluation,
    pub generate: Vec<Expression>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_conditions: Vec<MatchCondition>,
    pub match_constraints: MatchResources,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<Variable>,
}

/// `matchImageReferences` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageReference {
    pub glob: String,
}

/// A cosign public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CosignKey {
    pub data: String,
}

/// A keyless identity: the certificate's issuer and subject.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_reg_exp: Option<String>,
}

/// `cosign.keyless`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Keyless {
    pub identities: Vec<Identity>,
}

/// `cosign.ctlog`: the transparency log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ctlog {
    pub url: String,
}

/// A cosign attestor.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Cosign {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctlog: Option<Ctlog>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<CosignKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyless: Option<Keyless>,
}

/// One `attestors` entry, referred to as `attestors.NAME` in validations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attestor {
    pub name: String,
    pub cosign: Cosign,
}

/// `validationConfigurations`: digest pinning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationConfigurations {
    pub mutate_digest: bool,
    pub required: bool,
    pub verify_digest: bool,
}

/// `ImageValidatingPolicy.spec`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageValidatingPolicySpec {
    pub attestors: Vec<Attestor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autogen: Option<Autogen>,
    pub evaluation: Evaluation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_conditions: Vec<MatchCondition>,
    pub match_constraints: MatchResources,
    pub match_image_references: Vec<ImageReference>,
    pub validation_actions: Vec<ValidationAction>,
    pub validation_configurations: ValidationConfigurations,
    pub validations: Vec<Validation>,
}

/// A policy an exception applies to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PolicyRef {
    pub name: String,
    pub kind: &'static str,
}

/// `PolicyException.spec` (`policies.kyverno.io/v1`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyExceptionSpec {
    /// RFC 3339; Kyverno stops applying the exception after it.
    pub expires_at: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_conditions: Vec<MatchCondition>,
    pub policy_refs: Vec<PolicyRef>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}
