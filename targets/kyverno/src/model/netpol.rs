//! The NetworkPolicy a ClusterPolicy generate rule carries as `data`: the network target's
//! `networking.k8s.io/v1` spec from [`emit::netpol`] (one model and one builder for a default
//! deny and DNS egress, whether the network target writes them or an admission `generate`
//! creates them).

use serde::Serialize;

pub use emit::netpol::NetworkPolicySpec;

/// `generate.data`: the downstream object without its name and namespace (the rule has them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkPolicyData {
    pub spec: NetworkPolicySpec,
}
