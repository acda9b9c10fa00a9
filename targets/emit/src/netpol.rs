//! The `networking.k8s.io/v1` NetworkPolicy model and the builders every target that emits
//! NetworkPolicies shares: the `network` target writes them per namespace and intent, the
//! `kyverno` target's `generate` items create the default deny and DNS egress in namespaces
//! not known when compiling. Living here, below both, keeps one model and one builder without
//! one target depending on another. Only the fields we emit; field order is the order
//! Kubernetes prints.

use crate::k8s::ObjectMeta;
use ir::network::Peer as IrPeer;
use ir::{Labels, Name, Posture};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The label the API server puts on every namespace, holding its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The port cluster DNS answers on.
pub const DNS_PORT: u16 = 53;

/// A label selector with `matchLabels` only; the empty selector (`{}`) selects everything.
/// The labels are shared: a workload's selector is written in every rule that names it (tens
/// of thousands of rules in a large posture), and a clone is a reference count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "no_labels")]
    pub match_labels: Arc<BTreeMap<String, String>>,
}

impl LabelSelector {
    /// The selector of exactly these labels.
    pub fn of(labels: BTreeMap<String, String>) -> LabelSelector {
        LabelSelector {
            match_labels: Arc::new(labels),
        }
    }
}

fn no_labels(labels: &Arc<BTreeMap<String, String>>) -> bool {
    labels.is_empty()
}

/// A direction a NetworkPolicy isolates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum PolicyType {
    Ingress,
    Egress,
}

/// `ipBlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpBlock {
    pub cidr: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// One entry of `from` or `to`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

/// A port by number or by the destination pod's container port name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

/// A transport protocol, spelled as Kubernetes spells it (the IR's own type: its serde
/// names are Kubernetes').
pub use ir::Protocol;

/// One entry of a rule's `ports`; no `port` means every port of the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPort {
    pub protocol: Protocol,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_port: Option<u16>,
}

/// An ingress rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngressRule {
    pub from: Vec<Peer>,
    pub ports: Vec<PolicyPort>,
}

/// An egress rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EgressRule {
    pub to: Vec<Peer>,
    pub ports: Vec<PolicyPort>,
}

/// `spec` of a NetworkPolicy. `podSelector` is always written (`{}` selects every pod of
/// the namespace); `policyTypes` is always explicit, so no reader has to apply defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    pub pod_selector: LabelSelector,
    pub policy_types: Vec<PolicyType>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<IngressRule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
}

/// A `networking.k8s.io/v1` NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicy {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: NetworkPolicySpec,
}

/// The `matchLabels` selector of a label set.
pub fn selector(labels: &Labels) -> LabelSelector {
    LabelSelector::of(
        labels
            .iter()
            .map(|(k, v)| (k.0.clone(), v.0.clone()))
            .collect(),
    )
}

/// The selector of one namespace, by the label the API server puts on it.
pub fn namespace_selector(ns: &Name) -> LabelSelector {
    LabelSelector::of(BTreeMap::from([(
        NAMESPACE_NAME_LABEL.to_string(),
        ns.0.to_string(),
    )]))
}

/// Where an in-cluster peer lives: its namespace and the selector of its pods (`{}` for a
/// whole namespace). `None` for an address block.
pub fn place(p: &Posture, peer: &IrPeer) -> Option<(Name, LabelSelector)> {
    match peer {
        IrPeer::Workload { name } => p
            .workloads
            .get(name)
            .map(|w| (w.namespace.clone(), selector(&w.selector))),
        IrPeer::Namespace { name } => Some((name.clone(), LabelSelector::default())),
        IrPeer::IngressController => Some((
            p.target.ingress_controller.namespace.clone(),
            selector(&p.target.ingress_controller.selector),
        )),
        IrPeer::ClusterDns => Some((
            p.target.cluster_dns.namespace.clone(),
            selector(&p.target.cluster_dns.selector),
        )),
        IrPeer::MeshControlPlane => Some((
            p.target.mesh_control_plane.namespace.clone(),
            selector(&p.target.mesh_control_plane.selector),
        )),
        IrPeer::Cidr { .. } => None,
    }
}

/// The rule peer that means `peer`, written in a policy of namespace `policy_ns`.
pub fn rule_peer(p: &Posture, peer: &IrPeer, policy_ns: &Name) -> Option<Peer> {
    rule_peer_placed(peer, place(p, peer), policy_ns)
}

/// [`rule_peer`] with the peer's [`place`] already worked out (`placed`).
pub fn rule_peer_placed(
    peer: &IrPeer,
    placed: Option<(Name, LabelSelector)>,
    policy_ns: &Name,
) -> Option<Peer> {
    rule_peer_at(
        peer,
        placed.as_ref().map(|(ns, pods)| (ns, pods)),
        policy_ns,
    )
}

/// [`rule_peer_placed`] with the place borrowed (a caller that places each peer once).
pub fn rule_peer_at(
    peer: &IrPeer,
    placed: Option<(&Name, &LabelSelector)>,
    policy_ns: &Name,
) -> Option<Peer> {
    let ns_selector = placed.map(|(ns, _)| namespace_selector(ns));
    rule_peer_selected(
        peer,
        placed
            .zip(ns_selector.as_ref())
            .map(|((ns, pods), nsel)| (ns, pods, nsel)),
        policy_ns,
    )
}

/// [`rule_peer_at`] with the selector of the peer's namespace made once too
/// ([`namespace_selector`]): a caller that writes each peer in many rules shares both
/// selectors among them.
pub fn rule_peer_selected(
    peer: &IrPeer,
    placed: Option<(&Name, &LabelSelector, &LabelSelector)>,
    policy_ns: &Name,
) -> Option<Peer> {
    if let IrPeer::Cidr { cidr, except } = peer {
        return Some(Peer {
            ip_block: Some(IpBlock {
                cidr: cidr.to_string(),
                except: except.iter().map(ToString::to_string).collect(),
            }),
            ..Peer::default()
        });
    }
    let (ns, pods, ns_selector) = placed?;
    Some(match peer {
        IrPeer::Namespace { .. } => Peer {
            namespace_selector: Some(ns_selector.clone()),
            ..Peer::default()
        },
        _ if ns == policy_ns => Peer {
            pod_selector: Some(pods.clone()),
            ..Peer::default()
        },
        _ => Peer {
            namespace_selector: Some(ns_selector.clone()),
            pod_selector: Some(pods.clone()),
            ..Peer::default()
        },
    })
}

/// The spec of a default deny: every pod of the namespace isolated in these directions, with
/// no rule (what `default-deny-all` says, and what an admission `generate` creates in each new
/// namespace).
pub fn default_deny_spec(types: &[PolicyType]) -> NetworkPolicySpec {
    NetworkPolicySpec {
        pod_selector: LabelSelector::default(),
        policy_types: types.to_vec(),
        ingress: Vec::new(),
        egress: Vec::new(),
    }
}

/// The DNS ports: UDP and TCP 53.
pub fn dns_ports() -> Vec<PolicyPort> {
    [Protocol::Udp, Protocol::Tcp]
        .into_iter()
        .map(|protocol| PolicyPort {
            protocol,
            port: Some(PortRef::Number(DNS_PORT)),
            end_port: None,
        })
        .collect()
}

/// The spec of `allow-dns`: egress from every pod of namespace `ns` to the cluster DNS on UDP
/// and TCP 53. `None` for a namespace not known when compiling (one an admission `generate`
/// reacts to): the DNS pods are then always selected with their namespace. `None` when the
/// posture does not place the cluster DNS.
pub fn dns_egress_spec(p: &Posture, ns: Option<&Name>) -> Option<NetworkPolicySpec> {
    let dns = match ns {
        Some(ns) => rule_peer(p, &IrPeer::ClusterDns, ns)?,
        None => {
            let (dns_ns, pods) = place(p, &IrPeer::ClusterDns)?;
            Peer {
                namespace_selector: Some(namespace_selector(&dns_ns)),
                pod_selector: Some(pods),
                ..Peer::default()
            }
        }
    };
    Some(NetworkPolicySpec {
        pod_selector: LabelSelector::default(),
        policy_types: vec![PolicyType::Egress],
        ingress: Vec::new(),
        egress: vec![EgressRule {
            to: vec![dns],
            ports: dns_ports(),
        }],
    })
}
