//! NetworkPolicies from the `network` block.
//!
//! Per namespace with a default deny: `default-deny-all` (ingress and egress),
//! `default-deny-ingress` or `default-deny-egress`, selecting every pod (`podSelector: {}`)
//! with no rule. Per namespace in `allow_dns` that denies egress: `allow-dns`, egress to the
//! cluster DNS pods on UDP and TCP 53. Per workload (or other peer with pods: a namespace, a
//! built-in peer) and direction, one policy: `allow-ingress-to-<workload>` in the workload's
//! namespace, selecting it, and `allow-egress-from-<workload>` — each only where that namespace
//! denies that direction by default. A policy has one rule per distinct set of ports, listing
//! every peer its intents allow on those ports (`from: [a, b, c]`, `ports: [http]`): rules of
//! a policy union, and a rule allows each of its peers on each of its ports, so this allows
//! exactly the intents' flows, as one rule per intent would, in a third less YAML. Where it does not, the
//! direction is open already, and a policy there would *isolate* the pods it selects and cut
//! every other flow to them (the checker warns, P4006, when an intent has no effect at all).
//! Each policy names every intent it carries in `posture.dev/source` (and their controls in
//! `posture.dev/controls`), so `posture explain` and the reachability proof trace each rule
//! to its intent.
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
use emit::netpol::{
    default_deny_spec, dns_egress_spec, dns_ports, namespace_selector, place, rule_peer,
    rule_peer_selected,
};
use emit::{CONTROLS_ANNOTATION, Origin, SOURCE_ANNOTATION};
use ir::controls::ControlRef;
use ir::network::{Direction, Intent, Peer as IrPeer, PortSpec};
use ir::{Block, ItemId, Name, Posture};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A hash map with the fast hasher (the workspace's one fast hasher, fixed seed): the tables
/// here are keyed by the posture's peers and only looked up, never iterated into output.
type FxHashMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
type FxHashSet<T> = HashSet<T, foldhash::fast::FixedState>;

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
        let d = out.entry(dd.namespace.clone()).or_default();
        d.ingress |= dd.directions.contains(&Direction::Ingress);
        d.egress |= dd.directions.contains(&Direction::Egress);
        d.satisfies.extend(dd.meta.satisfies.iter().cloned());
        d.origins.push(Origin::new(dd.id(), dd.meta.span));
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
                port: Some(PortRef::Name(name.0.to_string())),
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
    let mut m = ObjectMeta::named(name, Some(ns.0.to_string()));
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

/// Where the merge finds the rules of every policy.
#[derive(Default)]
struct RuleIndex {
    /// The rule of each (policy, set of ports by its number in [`PortSets`]).
    rule_of: FxHashMap<(usize, usize), usize>,
    /// Every (policy, rule, peer) allowed so far: a flow declared twice is one peer.
    listed: FxHashSet<(usize, usize, usize)>,
}

/// Every distinct set of ports of the intents, numbered once (most intents of a posture share
/// a handful), so that rules are found by number and each set is written out from here.
#[derive(Default)]
struct PortSets {
    sets: Vec<Vec<PolicyPort>>,
    numbers: FxHashMap<Vec<PolicyPort>, usize>,
}

impl PortSets {
    fn number(&mut self, ports: Vec<PolicyPort>) -> usize {
        if let Some(&n) = self.numbers.get(&ports) {
            return n;
        }
        self.sets.push(ports.clone());
        self.numbers.insert(ports, self.sets.len() - 1);
        self.sets.len() - 1
    }
}

/// One rule of a merged policy: its set of ports (numbered in [`PortSets`]) and the numbers of
/// the peers allowed on them (each written out only when its policy is, so one policy's typed
/// model is alive at a time).
struct Rule {
    ports: usize,
    peers: Vec<usize>,
}

/// The policy of one workload (or other placed peer) and direction, as the intents fill it.
struct Merged<'p> {
    is_ingress: bool,
    /// The number of the peer whose pods the policy selects (where it lives and what it
    /// selects are in the table of peers).
    this: usize,
    /// One rule per distinct set of ports, in the order the sets first appear.
    rules: Vec<Rule>,
    satisfies: Vec<ControlRef>,
    sources: Vec<&'p ItemId>,
    origins: Vec<Origin>,
}

impl<'p> Merged<'p> {
    /// The policy of the peer numbered `this` for a direction, empty, at its first intent.
    fn new(is_ingress: bool, this: usize) -> Self {
        Merged {
            is_ingress,
            this,
            rules: Vec::new(),
            satisfies: Vec::new(),
            sources: Vec::new(),
            origins: Vec::new(),
        }
    }

    /// Allows the peer numbered `id` on `ports`, in the rule of those ports (made at their
    /// first peer); `this` is this policy's number in `index`.
    fn allow(&mut self, this: usize, index: &mut RuleIndex, ports: usize, id: usize) {
        let at = *index.rule_of.entry((this, ports)).or_insert_with(|| {
            self.rules.push(Rule {
                ports,
                peers: Vec::new(),
            });
            self.rules.len() - 1
        });
        if index.listed.insert((this, at, id)) {
            self.rules[at].peers.push(id);
        }
    }

    fn add(&mut self, i: &'p Intent, id: &'p ItemId) {
        self.satisfies.extend(i.meta.satisfies.iter().cloned());
        self.sources.push(id);
        self.origins.push(Origin::new(id.clone(), i.meta.span));
    }
}

/// A peer of the posture's intents: where it lives and the pods it selects (`None` for an
/// address block), and its policy per direction ([`INGRESS`], [`EGRESS`]) once made.
struct PeerEntry<'p> {
    peer: &'p IrPeer,
    placed: Option<(Name, emit::netpol::LabelSelector)>,
    /// The selector of the namespace it lives in, made once for every rule that names it.
    ns_selector: Option<emit::netpol::LabelSelector>,
    /// Whether the namespace it lives in denies each direction by default, looked up once
    /// (not once per intent).
    denied: [bool; 2],
    policy: [Option<usize>; 2],
}

const INGRESS: usize = 0;
const EGRESS: usize = 1;

/// Every NetworkPolicy of the posture, in a stable order: per namespace the default deny and
/// DNS, then one policy per workload (or other placed peer) and direction, in the order of
/// their first intent.
pub fn policies(p: &Posture) -> Vec<Emitted> {
    let mut out = Vec::new();
    each_policy(p, |e| out.push(e));
    out
}

/// [`policies`], each handed to `emit` as soon as it is made (a caller that serializes and
/// drops each keeps one policy's typed model alive at a time).
pub fn each_policy(p: &Posture, mut emit: impl FnMut(Emitted)) {
    let deny = denies(p);
    let mut namer = Namer::default();

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
        emit(Emitted {
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
            emit(Emitted {
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
            emit(Emitted {
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

    // One ingress policy per destination and one egress policy per source (per workload and
    // direction), each with one rule per distinct set of ports listing the peers allowed on
    // them, in declaration order: what a person writes, and a cluster's NetworkPolicies union
    // the same way rules of one policy do.
    // Room made once for what grows with the posture (a table that doubles is copied whole
    // into fresh memory each time): a policy per workload and direction, a peer per workload
    // or namespace (address blocks beyond), an allowed peer per intent and direction.
    let (workloads, intents) = (p.workloads.len(), p.network.intents.len());
    let mut merged: Vec<Merged<'_>> = Vec::with_capacity(2 * workloads);
    // Every peer of an intent, numbered once (a workload is a side of many intents), with
    // where it lives and the pods it selects, then only borrowed; per peer, its ingress and
    // its egress policy, once made.
    let mut numbers: FxHashMap<&IrPeer, usize> = FxHashMap::default();
    numbers.reserve(workloads + p.namespaces.len());
    let mut peers: Vec<PeerEntry<'_>> = Vec::with_capacity(workloads + p.namespaces.len());
    let mut sides: Vec<[usize; 2]> = Vec::with_capacity(p.network.intents.len());
    for i in &p.network.intents {
        let mut side = |peer| {
            *numbers.entry(peer).or_insert_with(|| {
                let placed = place(p, peer);
                let d = placed.as_ref().and_then(|(ns, _)| deny.get(ns));
                peers.push(PeerEntry {
                    peer,
                    ns_selector: placed.as_ref().map(|(ns, _)| namespace_selector(ns)),
                    placed,
                    denied: [d.is_some_and(|d| d.ingress), d.is_some_and(|d| d.egress)],
                    policy: [None, None],
                });
                peers.len() - 1
            })
        };
        sides.push([side(&i.from), side(&i.to)]);
    }
    let mut index = RuleIndex::default();
    index.rule_of.reserve(2 * workloads);
    index.listed.reserve(2 * intents);
    let mut port_sets = PortSets::default();
    for (i, &[from, to]) in p.network.intents.iter().zip(&sides) {
        // An implied flow (the mesh's) traces to the item that implies it.
        let id = i.source_ref();
        let mut port_set = None;
        // The ingress half at the destination (allowing the source), then the egress half at
        // the source (allowing the destination).
        for (dir, this, other) in [(INGRESS, to, from), (EGRESS, from, to)] {
            let (this_e, other_e) = (&peers[this], &peers[other]);
            // Only a placed peer's namespace denies a direction.
            if !this_e.denied[dir] {
                continue;
            }
            // A peer a rule can name: an address block, or a peer with a place (what
            // `rule_peer_at` writes out later).
            if other_e.placed.is_none() && !matches!(other_e.peer, IrPeer::Cidr { .. }) {
                continue;
            }
            let at = match this_e.policy[dir] {
                Some(at) => at,
                None => {
                    merged.push(Merged::new(dir == INGRESS, this));
                    peers[this].policy[dir] = Some(merged.len() - 1);
                    merged.len() - 1
                }
            };
            let m = &mut merged[at];
            let set = *port_set.get_or_insert_with(|| port_sets.number(ports(i)));
            m.allow(at, &mut index, set, other);
            m.add(i, id);
        }
    }
    for m in merged {
        let this = &peers[m.this];
        // A policy is made only for a placed peer.
        let Some((ns, pods)) = this.placed.as_ref() else {
            continue;
        };
        let (base, types) = if m.is_ingress {
            (
                format!("allow-ingress-to-{}", names::peer_part(this.peer)),
                vec![PolicyType::Ingress],
            )
        } else {
            (
                format!("allow-egress-from-{}", names::peer_part(this.peer)),
                vec![PolicyType::Egress],
            )
        };
        let name = namer.claim(ns, &base);
        let (mut ingress, mut egress) = (Vec::new(), Vec::new());
        for rule in m.rules {
            let allowed = rule
                .peers
                .iter()
                .filter_map(|&id| {
                    let e = &peers[id];
                    let placed = e.placed.as_ref().zip(e.ns_selector.as_ref());
                    rule_peer_selected(
                        e.peer,
                        placed.map(|((ns, pods), nsel)| (ns, pods, nsel)),
                        ns,
                    )
                })
                .collect();
            if m.is_ingress {
                ingress.push(IngressRule {
                    from: allowed,
                    ports: port_sets.sets[rule.ports].clone(),
                });
            } else {
                egress.push(EgressRule {
                    to: allowed,
                    ports: port_sets.sets[rule.ports].clone(),
                });
            }
        }
        emit(Emitted {
            namespace: ns.clone(),
            policy: policy(
                metadata(name, ns, &m.satisfies, &m.sources),
                NetworkPolicySpec {
                    pod_selector: pods.clone(),
                    policy_types: types,
                    ingress,
                    egress,
                },
            ),
            origins: m.origins,
        });
    }
}
