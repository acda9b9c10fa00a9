//! The NetworkPolicies a generate rule creates in a new namespace: `networking.k8s.io/v1`,
//! the fields we emit. For the ClusterPolicy back end this is the rule's `data`; the CEL back
//! end builds the same objects as a CEL value.

use super::LabelSelector;
use serde::Serialize;

/// A direction a NetworkPolicy isolates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum PolicyType {
    Ingress,
    Egress,
}

impl PolicyType {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Ingress => "Ingress",
            PolicyType::Egress => "Egress",
        }
    }
}

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Protocol {
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "TCP")]
    Tcp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Udp => "UDP",
            Protocol::Tcp => "TCP",
        }
    }
}

/// A destination port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Port {
    pub port: u16,
    pub protocol: Protocol,
}

/// An egress peer: pods of a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    pub namespace_selector: LabelSelector,
    pub pod_selector: LabelSelector,
}

/// One egress rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EgressRule {
    pub ports: Vec<Port>,
    pub to: Vec<Peer>,
}

/// The NetworkPolicy spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
    /// Always serialized: `{}` selects every pod.
    pub pod_selector: LabelSelector,
    pub policy_types: Vec<PolicyType>,
}

/// `generate.data`: the downstream object without its name and namespace (the rule has them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkPolicyData {
    pub spec: NetworkPolicySpec,
}
