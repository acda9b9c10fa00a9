//! What a `generate` item creates in a new namespace, shared by both back ends: a default-deny
//! NetworkPolicy named `default-deny` and, with `allow_dns`, an `allow-dns` egress
//! NetworkPolicy to the cluster DNS (the target's `cluster_dns` peer) on UDP and TCP 53.

use emit::netpol::{NetworkPolicySpec, PolicyType, default_deny_spec, dns_egress_spec};
use ir::Posture;
use ir::admission::Generate;

pub use emit::netpol::NAMESPACE_NAME_LABEL;

/// The name and spec of each NetworkPolicy the item creates: the same default deny and DNS
/// egress the network target writes ([`emit::netpol`]), for a namespace not known when compiling.
pub fn network_policies(p: &Posture, g: &Generate) -> Vec<(&'static str, NetworkPolicySpec)> {
    let mut out = vec![(
        "default-deny",
        default_deny_spec(&[PolicyType::Ingress, PolicyType::Egress]),
    )];
    if g.allow_dns
        && let Some(spec) = dns_egress_spec(p, None)
    {
        out.push(("allow-dns", spec));
    }
    out
}
