//! Kubernetes object metadata shared by the targets that emit Kubernetes objects.

use serde::Serialize;
use std::collections::BTreeMap;

/// `metadata` of a Kubernetes object (the fields we emit).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The label every emitted object carries so its owner is obvious in the cluster.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "posture");

impl ObjectMeta {
    /// Metadata with a name, the managed-by label, and an optional namespace.
    pub fn named(name: impl Into<String>, namespace: Option<String>) -> Self {
        let mut labels = BTreeMap::new();
        labels.insert(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string());
        ObjectMeta {
            name: name.into(),
            namespace,
            labels,
            annotations: BTreeMap::new(),
        }
    }
}
