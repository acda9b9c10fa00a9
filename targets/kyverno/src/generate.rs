//! What a `generate` item creates in a new namespace, shared by both back ends: a default-deny
//! NetworkPolicy named `default-deny` and, with `allow_dns`, an `allow-dns` egress
//! NetworkPolicy to the cluster DNS (the target's `cluster_dns` peer) on UDP and TCP 53.

use crate::model::LabelSelector;
use crate::model::netpol::{EgressRule, NetworkPolicySpec, Peer, PolicyType, Port, Protocol};
use ir::Posture;
use ir::admission::Generate;

/// The label the API server puts on every namespace, holding its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The name and spec of each NetworkPolicy the item creates.
pub fn network_policies(p: &Posture, g: &Generate) -> Vec<(&'static str, NetworkPolicySpec)> {
    let mut out = vec![(
        "default-deny",
        NetworkPolicySpec {
            egress: Vec::new(),
            pod_selector: LabelSelector::default(),
            policy_types: vec![PolicyType::Ingress, PolicyType::Egress],
        },
    )];
    if g.allow_dns {
        let dns = &p.target.cluster_dns;
        let mut ns = LabelSelector::default();
        ns.match_labels
            .insert(NAMESPACE_NAME_LABEL.to_string(), dns.namespace.0.clone());
        let mut pods = LabelSelector::default();
        for (k, v) in &dns.selector {
            pods.match_labels.insert(k.0.clone(), v.0.clone());
        }
        out.push((
            "allow-dns",
            NetworkPolicySpec {
                egress: vec![EgressRule {
                    ports: vec![
                        Port {
                            port: 53,
                            protocol: Protocol::Udp,
                        },
                        Port {
                            port: 53,
                            protocol: Protocol::Tcp,
                        },
                    ],
                    to: vec![Peer {
                        namespace_selector: ns,
                        pod_selector: pods,
                    }],
                }],
                pod_selector: LabelSelector::default(),
                policy_types: vec![PolicyType::Egress],
            },
        ));
    }
    out
}
