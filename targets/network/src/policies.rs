//! NetworkPolicies from the `network` block.
//!
//! Per namespace with a default deny: `default-deny-all` (ingress and egress),
//! `default-deny-ingress` or `default-deny-egress`, selecting every pod (`podSelector: {}`)
//! with no rule. Per namespace in `allow_dns` that denies egress: `allow-dns`, egress to the
//! cluster DNS pods on UDP and TCP 53. Per intent: an ingress policy in the destination's
//! namespace, selecting the destination, and an egress policy in the source's namespace,
//! selecting the source — each only where that namespace denies that direction by default.
//! Where it does not, the direction is open already, and a policy there would *isolate* the
//! pods it selects and cut every other flow to them (the checker warns, P4006, when an intent
//! has no effect at all).
//!
//! Peers: a workload is its selector (with a `namespaceSelector` on
//! `kubernetes.io/metadata.name` when it lives in another namespace), a namespace is that
//! `namespaceSelector` alone, a built-in peer is its declared namespace and selector, an address
//! block is an `ipBlock` with its `except`. Ports: by number, by the destination's port name,
//! or a range (`endPort`); an intent without ports allows every port of its protocol.

use crate::model::{
    EgressRule, IngressRule, IpBlock, LabelSelector, NetworkPolicy, NetworkPolicySpec, Peer,
    PolicyPort, PolicyType, PortRef, Protocol,
};
use crate::names::{self, Namer};
use emit::k8s::ObjectMeta;
use emit::{CONTROLS_ANNOTATION, Origin, SOURCE_ANNOTATION};
use ir::controls::ControlRef;
use ir::network::{Direction, Intent, Peer as IrPeer, PortSpec};
use ir::{Labels, Name, Posture};
use std::collections::{BTreeMap, BTreeSet};

/// The label the API server puts on every namespace, holding its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The port cluster DNS answers on.
pub const DNS_PORT: u16 = 53;

/// One emitted NetworkPolicy, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emitted {
    /// The policy's namespace.
    pub namespace: Name,
    pub policy: NetworkPolicy,
    pub origins: Vec<Origin>,
}

/// Which directions each namespace denies by default, and the controls those declarations
/// satisfy.
#[derive(Debug, Default)]
struct Deny {
    ingress: bool,
    egress: bool,
    satisfies: Vec<ControlRef>,
    origins: Vec<Origin>,
}

fn denies(p: &Posture) -> BTreeMap<Name, Deny> {
    let mut out: BTreeMap<Name, Deny> = BTreeMap::new();
    for dd in &p.network.default_deny {
        for ns in &dd.namespaces {
            let d = out.entry(ns.clone()).or_default();
            d.ingress |= dd.directions.contains(&Direction::Ingress);
            d.egress |= dd.directions.contains(&Direction::Egress);
            d.satisfies.extend(dd.meta.satisfies.iter().cloned());
            d.origins.push(Origin {
                item: "network default_deny".to_string(),
                span: dd.meta.span,
            });
        }
    }
    out
}

fn selector(labels: &Labels) -> LabelSelector {
    LabelSelector {
        match_labels: labels
            .iter()
            .map(|(k, v)| (k.0.clone(), v.0.clone()))
            .collect(),
    }
}

fn namespace_selector(ns: &Name) -> LabelSelector {
    LabelSelector {
        match_labels: BTreeMap::from([(NAMESPACE_NAME_LABEL.to_string(), ns.0.clone())]),
    }
}

/// Where an in-cluster peer lives: its namespace and the selector of its pods (`{}` for a
/// whole namespace). `None` for an address block.
fn place(p: &Posture, peer: &IrPeer) -> Option<(Name, LabelSelector)> {
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
        IrPeer::Cidr { .. } => None,
    }
}

/// The rule peer that means `peer`, written in a policy of namespace `policy_ns`.
fn rule_peer(p: &Posture, peer: &IrPeer, policy_ns: &Name) -> Option<Peer> {
    if let IrPeer::Cidr { cidr, except } = peer {
        return Some(Peer {
            ip_block: Some(IpBlock {
                cidr: cidr.to_string(),
                except: except.iter().map(ToString::to_string).collect(),
            }),
            ..Peer::default()
        });
    }
    let (ns, pods) = place(p, peer)?;
    Some(match peer {
        IrPeer::Namespace { .. } => Peer {
            namespace_selector: Some(namespace_selector(&ns)),
            ..Peer::default()
        },
        _ if &ns == policy_ns => Peer {
            pod_selector: Some(pods),
            ..Peer::default()
        },
        _ => Peer {
            namespace_selector: Some(namespace_selector(&ns)),
            pod_selector: Some(pods),
            ..Peer::default()
        },
    })
}

fn ports(i: &Intent) -> Vec<PolicyPort> {
    let protocol = Protocol::from(i.protocol);
    if i.ports.is_empty() {
        return vec![PolicyPort {
            protocol,
            port: None,
            end_port: None,
        }];
    }
    i.ports
        .iter()
        .map(|spec| match spec {
            PortSpec::Number { port } => PolicyPort {
                protocol,
                port: Some(PortRef::Number(port.0)),
                end_port: None,
            },
            PortSpec::Named { name, .. } => PolicyPort {
                protocol,
                port: Some(PortRef::Name(name.0.clone())),
                end_port: None,
            },
            PortSpec::Range { first, last } if first == last => PolicyPort {
                protocol,
                port: Some(PortRef::Number(first.0)),
                end_port: None,
            },
            PortSpec::Range { first, last } => PolicyPort {
                protocol,
                port: Some(PortRef::Number(first.0)),
                end_port: Some(last.0),
            },
        })
        .collect()
}

fn metadata(name: String, ns: &Name, satisfies: &[ControlRef], source: &str) -> ObjectMeta {
    let mut m = ObjectMeta::named(name, Some(ns.0.clone()));
    if let Some(c) = emit::controls_annotation([satisfies]) {
        m.annotations.insert(CONTROLS_ANNOTATION.to_string(), c);
    }
    m.annotations
        .insert(SOURCE_ANNOTATION.to_string(), source.to_string());
    m
}

fn policy(metadata: ObjectMeta, spec: NetworkPolicySpec) -> NetworkPolicy {
    NetworkPolicy {
        api_version: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata,
        spec,
    }
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
fn dns_ports() -> Vec<PolicyPort> {
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

/// Every NetworkPolicy of the posture, in a stable order: per namespace the default deny and
/// DNS, then the intents in declaration order.
pub fn policies(p: &Posture) -> Vec<Emitted> {
    let deny = denies(p);
    let mut namer = Namer::default();
    let mut out = Vec::new();

    for (ns, d) in &deny {
        let (name, types) = match (d.ingress, d.egress) {
            (true, true) => (
                "default-deny-all",
                &[PolicyType::Ingress, PolicyType::Egress][..],
            ),
            (true, false) => ("default-deny-ingress", &[PolicyType::Ingress][..]),
            (false, true) => ("default-deny-egress", &[PolicyType::Egress][..]),
            (false, false) => continue,
        };
        let name = namer.claim(ns, name);
        out.push(Emitted {
            namespace: ns.clone(),
            policy: policy(
                metadata(name, ns, &d.satisfies, "network default_deny"),
                default_deny_spec(types),
            ),
            origins: d.origins.clone(),
        });
    }

    // DNS: the egress half in each namespace of `allow_dns`, the ingress half next to the
    // cluster DNS (only where its namespace denies ingress, which clusters rarely do).
    let dns_namespaces: BTreeSet<&Name> = p.network.allow_dns.iter().collect();
    for ns in dns_namespaces {
        let origins = deny.get(ns).map(|d| d.origins.clone()).unwrap_or_default();
        if deny.get(ns).is_some_and(|d| d.egress)
            && let Some(spec) = dns_egress_spec(p, Some(ns))
        {
            let name = namer.claim(ns, "allow-dns");
            out.push(Emitted {
                namespace: ns.clone(),
                policy: policy(metadata(name, ns, &[], "network allow_dns"), spec),
                origins: origins.clone(),
            });
        }
        let from = IrPeer::Namespace { name: ns.clone() };
        if let Some((dns_ns, pods)) = place(p, &IrPeer::ClusterDns)
            && deny.get(&dns_ns).is_some_and(|d| d.ingress)
            && let Some(from) = rule_peer(p, &from, &dns_ns)
        {
            let name = namer.claim(&dns_ns, &format!("allow-dns-from-{ns}"));
            out.push(Emitted {
                namespace: dns_ns.clone(),
                policy: policy(
                    metadata(name, &dns_ns, &[], "network allow_dns"),
                    NetworkPolicySpec {
                        pod_selector: pods,
                        policy_types: vec![PolicyType::Ingress],
                        ingress: vec![IngressRule {
                            from: vec![from],
                            ports: dns_ports(),
                        }],
                        egress: Vec::new(),
                    },
                ),
                origins,
            });
        }
    }

    for i in &p.network.intents {
        let base = names::intent_base(i);
        let source = match &i.name {
            Some(n) => format!("network.{n}: {}", names::describe(i)),
            None => format!("network: {}", names::describe(i)),
        };
        let origin = Origin {
            item: format!("network {}", names::describe(i)),
            span: i.meta.span,
        };
        // The ingress half, at the destination.
        if let Some((ns, pods)) = place(p, &i.to)
            && deny.get(&ns).is_some_and(|d| d.ingress)
            && let Some(from) = rule_peer(p, &i.from, &ns)
        {
            let name = namer.claim(&ns, &base);
            out.push(Emitted {
                namespace: ns.clone(),
                policy: policy(
                    metadata(name, &ns, &i.meta.satisfies, &source),
                    NetworkPolicySpec {
                        pod_selector: pods,
                        policy_types: vec![PolicyType::Ingress],
                        ingress: vec![IngressRule {
                            from: vec![from],
                            ports: ports(i),
                        }],
                        egress: Vec::new(),
                    },
                ),
                origins: vec![origin.clone()],
            });
        }
        // The egress half, at the source.
        if let Some((ns, pods)) = place(p, &i.from)
            && deny.get(&ns).is_some_and(|d| d.egress)
            && let Some(to) = rule_peer(p, &i.to, &ns)
        {
            let name = namer.claim(&ns, &format!("{base}-egress"));
            out.push(Emitted {
                namespace: ns.clone(),
                policy: policy(
                    metadata(name, &ns, &i.meta.satisfies, &source),
                    NetworkPolicySpec {
                        pod_selector: pods,
                        policy_types: vec![PolicyType::Egress],
                        ingress: Vec::new(),
                        egress: vec![EgressRule {
                            to: vec![to],
                            ports: ports(i),
                        }],
                    },
                ),
                origins: vec![origin],
            });
        }
    }
    out
}
