//! The typed documents this target writes. Only the fields we emit, in the order Kyverno
//! prints them; every struct mirrors a CRD schema in `data/schemas/kyverno/`.
//!
//! - [`policies`]: `policies.kyverno.io/v1` — ValidatingPolicy, MutatingPolicy,
//!   GeneratingPolicy, ImageValidatingPolicy and PolicyException (the CEL kinds).
//! - [`legacy`]: `kyverno.io/v1` ClusterPolicy and `kyverno.io/v2` PolicyException.
//! - [`netpol`]: the NetworkPolicy a ClusterPolicy generate rule carries as `data`.

pub mod legacy;
pub mod netpol;
pub mod policies;

use serde::Serialize;
use std::collections::BTreeMap;

/// A label selector (`matchLabels`, `matchExpressions`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: SelectorOperator,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// A label selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}
