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
    EgressRule, IngressRule, NetworkPolicy, NetworkPolicySpec, PolicyPort, PolicyType, PortRef,
};
use crate::names::{self, Namer};
use emit::k8s::ObjectMeta;
use emit::netpol::{default_deny_spec, dns_egress_spec, dns_ports, place, rule_peer};
use emit::{CONTROLS_ANNOTATION, Origin, SOURCE_ANNOTATION};
use ir::controls::ControlRef;
use ir::network::{Direction, Intent, Peer as IrPeer, PortSpec};
use ir::{Block, ItemId, Name, Posture};
use std::collections::{BTreeMap, BTreeSet};

pub use emit::netpol::{DNS_PORT, NAMESPACE_NAME_LABEL};

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
            d.origins.push(Origin::new(dd.id(), dd.meta.span));
        }
    }
    out
}

fn ports(i: &Intent) -> Vec<PolicyPort> {
    let protocol = i.protocol;
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

fn metadata(name: String, ns: &Name, satisfies: &[ControlRef], sources: &[&ItemId]) -> ObjectMeta {
    let mut m = ObjectMeta::named(name, Some(ns.0.clone()));
    if let Some(c) = emit::controls_annotation([satisfies]) {
        m.annotations.insert(CONTROLS_ANNOTATION.to_string(), c);
    }
    m.annotations.insert(
        SOURCE_ANNOTATION.to_string(),
        emit::source_annotation(sources.iter().copied()),
    );
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
        let sources: Vec<&ItemId> = d.origins.iter().map(|o| &o.item).collect();
        out.push(Emitted {
            namespace: ns.clone(),
            policy: policy(
                metadata(name, ns, &d.satisfies, &sources),
                default_deny_spec(types),
            ),
            origins: d.origins.clone(),
        });
    }

    // DNS: the egress half in each namespace of `allow_dns`, the ingress half next to the
    // cluster DNS (only where its namespace denies ingress, which clusters rarely do).
    let dns_namespaces: BTreeSet<&Name> = p.network.allow_dns.iter().collect();
    let allow_dns = ItemId::new(Block::Network, "allow_dns");
    for ns in dns_namespaces {
        let origins = deny.get(ns).map(|d| d.origins.clone()).unwrap_or_default();
        if deny.get(ns).is_some_and(|d| d.egress)
            && let Some(spec) = dns_egress_spec(p, Some(ns))
        {
            let name = namer.claim(ns, "allow-dns");
            out.push(Emitted {
                namespace: ns.clone(),
                policy: policy(metadata(name, ns, &[], &[&allow_dns]), spec),
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
                    metadata(name, &dns_ns, &[], &[&allow_dns]),
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
        // An implied flow (the mesh's) traces to the item that implies it.
        let id = i.source();
        let origin = Origin::new(id.clone(), i.meta.span);
        // The ingress half, at the destination.
        if let Some((ns, pods)) = place(p, &i.to)
            && deny.get(&ns).is_some_and(|d| d.ingress)
            && let Some(from) = rule_peer(p, &i.from, &ns)
        {
            let name = namer.claim(&ns, &base);
            out.push(Emitted {
                namespace: ns.clone(),
                policy: policy(
                    metadata(name, &ns, &i.meta.satisfies, &[&id]),
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
                    metadata(name, &ns, &i.meta.satisfies, &[&id]),
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
