//! The reachability analysis: which workload, address range or the ingress controller may open
//! which connections to which, under Kubernetes NetworkPolicy semantics.
//!
//! Semantics (the Kubernetes documentation is the reference):
//! - a pod is isolated for a direction when a policy of its namespace selects it and lists the
//!   direction in `policyTypes`; a direction no policy isolates allows everything;
//! - policies only allow, and add up; a connection is allowed when the source's egress allows
//!   it (or the source is not egress-isolated) and the destination's ingress allows it (or the
//!   destination is not ingress-isolated);
//! - peers: `podSelector` alone is the policy's namespace, `namespaceSelector` alone all pods of
//!   the matching namespaces, both in one peer must both match, separate peers add up; an empty
//!   `from`/`to` is every peer; `ipBlock` (minus `except`) matches addresses only, never pods;
//! - ports: an empty list is every port; a named port resolves against the destination pod's
//!   container ports (name and protocol); `endPort` makes a range; the protocol defaults to TCP.
//!
//! Algorithm: workloads are grouped into classes by selector signature ([`classes`]); the
//! allowed sets are accumulated per class from each policy's selected classes and each rule's
//! peer classes, then combined per class pair, visiting only pairs a rule names unless both
//! ends are unrestricted in the relevant direction.

mod bitset;
mod classes;

use std::collections::{BTreeMap, BTreeSet};

use crate::fxhash::FxHashMap as HashMap;

use crate::ip::{IpFamily, IpRange, IpSet, elementary_ranges};
use crate::model::{
    Cluster, IngressController, NAMESPACE_NAME_LABEL, NamespaceName, NetworkPolicy, ObjectName,
    PolicyPeer, PolicyRule, PortSpec, WorkloadId,
};
use crate::ports::{ConnSet, PortSet, Protocol};
use crate::relation::{Endpoint, IpConnMap, Relation};
use crate::selector::Labels;
use classes::{Atoms, Member, NsScope};

/// How connections from the ingress controller are derived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum IngressControllerMode {
    /// Only to workloads an Ingress or Route exposes, on the exposed ports, as far as policies
    /// allow (np-guard's reading).
    #[default]
    Exposures,
    /// To every workload, as far as policies allow (the controller is then just a pod).
    AllWorkloads,
}

/// Options of [`analyze`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AnalysisOptions {
    /// How connections from the ingress controller are derived.
    pub ingress_controller: IngressControllerMode,
}

/// Something the analysis noticed that does not stop it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum AnalysisWarning {
    /// An `ipBlock` overlaps the cluster's pod or service CIDRs: what it does to cluster
    /// traffic depends on the CNI, and the analysis treats it as addresses outside the cluster.
    IpBlockOverlapsCluster {
        /// The policy's namespace.
        namespace: NamespaceName,
        /// The policy's name.
        policy: ObjectName,
        /// The block.
        block: IpRange,
        /// The cluster CIDR it overlaps.
        cluster_cidr: IpRange,
    },
    /// A rule names a port by name and also allows addresses: named ports cannot resolve on
    /// addresses, so the named ports allow nothing there.
    NamedPortWithAddresses {
        /// The policy's namespace.
        namespace: NamespaceName,
        /// The policy's name.
        policy: ObjectName,
    },
}

/// Whether the workloads of a class are isolated, per direction: some policy of their
/// namespace selects them and lists the direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ClassIsolation {
    /// Isolated for ingress.
    pub ingress: bool,
    /// Isolated for egress.
    pub egress: bool,
}

/// The analysis result, kept per class of equivalent workloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connectivity {
    classes: Vec<Vec<WorkloadId>>,
    isolation: Vec<ClassIsolation>,
    pairs: Vec<(u32, u32, ConnSet)>,
    from_ip: Vec<(u32, IpConnMap)>,
    to_ip: Vec<(u32, IpConnMap)>,
    ingress_controller: Vec<(WorkloadId, ConnSet)>,
    source_ranges: Vec<IpRange>,
    destination_ranges: Vec<IpRange>,
    warnings: Vec<AnalysisWarning>,
}

impl Connectivity {
    /// The classes of equivalent workloads, each sorted.
    pub fn classes(&self) -> &[Vec<WorkloadId>] {
        &self.classes
    }

    /// The isolation of each class, indexed like [`Connectivity::classes`]. Between a class
    /// that is not egress-isolated and one that is not ingress-isolated everything is allowed:
    /// a comparison can settle that part by isolation alone, without visiting the pairs.
    pub fn class_isolation(&self) -> &[ClassIsolation] {
        &self.isolation
    }

    /// Allowed connections between classes: `(source class, destination class, conns)`.
    pub fn class_pairs(&self) -> &[(u32, u32, ConnSet)] {
        &self.pairs
    }

    /// Addresses that may reach each class.
    pub fn class_from_addresses(&self) -> &[(u32, IpConnMap)] {
        &self.from_ip
    }

    /// Addresses each class may reach.
    pub fn class_to_addresses(&self) -> &[(u32, IpConnMap)] {
        &self.to_ip
    }

    /// Connections from the ingress controller, per workload.
    pub fn ingress_controller(&self) -> &[(WorkloadId, ConnSet)] {
        &self.ingress_controller
    }

    /// The address space cut at every `ipBlock` boundary of ingress rules: the address
    /// "peers" np-guard lists as sources.
    pub fn source_ranges(&self) -> &[IpRange] {
        &self.source_ranges
    }

    /// Likewise for egress rules: the address peers np-guard lists as destinations.
    pub fn destination_ranges(&self) -> &[IpRange] {
        &self.destination_ranges
    }

    /// What the analysis noticed.
    pub fn warnings(&self) -> &[AnalysisWarning] {
        &self.warnings
    }

    /// The relation between workloads, the ingress controller and address ranges (including
    /// each workload's connections to itself, i.e. between its replicas).
    pub fn relation(&self) -> Relation {
        let mut rel = Relation::new();
        let members = |c: u32| {
            self.classes
                .get(c as usize)
                .map(Vec::as_slice)
                .unwrap_or(&[])
        };
        for (s, d, conns) in &self.pairs {
            for a in members(*s) {
                for b in members(*d) {
                    rel.set_pair(
                        Endpoint::Workload(a.clone()),
                        Endpoint::Workload(b.clone()),
                        conns.clone(),
                    );
                }
            }
        }
        for (d, map) in &self.from_ip {
            for b in members(*d) {
                rel.set_from_ip(Endpoint::Workload(b.clone()), map.clone());
            }
        }
        for (s, map) in &self.to_ip {
            for a in members(*s) {
                rel.set_to_ip(Endpoint::Workload(a.clone()), map.clone());
            }
        }
        for (w, conns) in &self.ingress_controller {
            rel.set_pair(
                Endpoint::IngressController,
                Endpoint::Workload(w.clone()),
                conns.clone(),
            );
        }
        rel
    }
}

/// A rule's ports: numeric parts, and named ports still to resolve on the destination
/// (sorted, each once, borrowed from the policies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RulePorts<'a> {
    numeric: ConnSet,
    named: Vec<(Protocol, &'a str)>,
}

impl<'a> RulePorts<'a> {
    fn of(rule: &'a PolicyRule) -> RulePorts<'a> {
        if rule.ports.is_empty() {
            return RulePorts {
                numeric: ConnSet::all(),
                named: Vec::new(),
            };
        }
        let mut out = RulePorts::default();
        for p in &rule.ports {
            match &p.port {
                None => out.numeric.add_ports(p.protocol, &PortSet::all()),
                Some(PortSpec::Range { start, end }) => {
                    out.numeric
                        .add_ports(p.protocol, &PortSet::range(*start, *end));
                }
                Some(PortSpec::Named(name)) => out.named.push((p.protocol, name.as_str())),
            }
        }
        out.named.sort_unstable();
        out.named.dedup();
        out
    }

    fn add(&mut self, other: &RulePorts<'a>) {
        self.numeric.add(&other.numeric);
        if !other.named.is_empty() {
            self.named.extend_from_slice(&other.named);
            self.named.sort_unstable();
            self.named.dedup();
        }
    }

    fn is_empty(&self) -> bool {
        self.numeric.is_empty() && self.named.is_empty()
    }

    /// The ports on a destination with these named ports.
    fn resolve(&self, named: &[(&str, Protocol, u16)]) -> ConnSet {
        let mut c = self.numeric.clone();
        for (proto, name) in &self.named {
            for (n, p, num) in named {
                if n == name
                    && p == proto
                    && let Some(port) = crate::ports::PortNumber::new(i64::from(*num))
                {
                    c.add_ports(*proto, &PortSet::single(port));
                }
            }
        }
        c
    }
}

/// A rule with its peers resolved to classes.
struct CompiledRule<'a> {
    all_peers: bool,
    classes: Vec<u32>,
    ips: Vec<IpSet>,
    ports: RulePorts<'a>,
}

#[derive(Default)]
struct Inbound {
    isolated: bool,
    any: ConnSet,
    from: HashMap<u32, ConnSet>,
    ips: Vec<(IpSet, ConnSet)>,
}

#[derive(Default)]
struct Outbound<'a> {
    isolated: bool,
    any: RulePorts<'a>,
    to: HashMap<u32, ConnSet>,
    ips: Vec<(IpSet, ConnSet)>,
}

/// Runs the analysis.
pub fn analyze(cluster: &Cluster, options: &AnalysisOptions) -> Connectivity {
    Analyzer::new(cluster, options).run()
}

struct Analyzer<'a> {
    cluster: &'a Cluster,
    options: AnalysisOptions,
    ns_index: BTreeMap<&'a NamespaceName, usize>,
    ns_labels: Vec<Labels>,
    workload_ids: Vec<&'a WorkloadId>,
    with_controller: bool,
}

fn namespace_labels(name: &NamespaceName, declared: Option<&Labels>) -> Labels {
    let mut l = declared.cloned().unwrap_or_default();
    l.insert(NAMESPACE_NAME_LABEL, name.as_str());
    l
}

impl<'a> Analyzer<'a> {
    fn new(cluster: &'a Cluster, options: &AnalysisOptions) -> Analyzer<'a> {
        let with_controller = options.ingress_controller == IngressControllerMode::AllWorkloads
            || !cluster.ingress_exposures.is_empty();
        let ic: &IngressController = &cluster.ingress_controller;
        let mut names: BTreeSet<&NamespaceName> = cluster.namespaces.keys().collect();
        names.extend(cluster.workloads.keys().map(|w| &w.namespace));
        names.extend(cluster.policies.iter().map(|p| &p.namespace));
        if with_controller {
            names.insert(&ic.namespace);
        }
        let mut ns_index = BTreeMap::new();
        let mut ns_labels = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            ns_index.insert(name, i);
            let declared = cluster.namespaces.get(name).map(|n| &n.labels);
            let declared = match declared {
                None if *name == ic.namespace => Some(&ic.namespace_labels),
                other => other,
            };
            ns_labels.push(namespace_labels(name, declared));
        }
        Analyzer {
            cluster,
            options: *options,
            ns_index,
            ns_labels,
            workload_ids: cluster.workloads.keys().collect(),
            with_controller,
        }
    }

    fn ns(&self, name: &NamespaceName) -> usize {
        self.ns_index.get(name).copied().unwrap_or(usize::MAX)
    }

    fn run(self) -> Connectivity {
        let cluster = self.cluster;
        let mut warnings = BTreeSet::new();

        // Atoms: every policy's selection and every rule peer's selectors.
        let mut atoms = Atoms::default();
        let mut policy_atom = Vec::with_capacity(cluster.policies.len());
        let mut relevant_names: BTreeSet<&str> = BTreeSet::new();
        // (rule peers atoms) per policy, per direction, per rule
        type RuleAtoms = Vec<Vec<usize>>;
        let mut rule_atoms: Vec<(RuleAtoms, RuleAtoms)> = Vec::new();
        for p in &cluster.policies {
            let ns = self.ns(&p.namespace);
            policy_atom.push(atoms.atom(NsScope::Exact(ns), Some(&p.pod_selector)));
            let mut per_dir = |rules: &'a [PolicyRule], atoms: &mut Atoms<'a>| -> RuleAtoms {
                rules
                    .iter()
                    .map(|r| {
                        for port in &r.ports {
                            if let Some(PortSpec::Named(n)) = &port.port {
                                relevant_names.insert(n.as_str());
                            }
                        }
                        r.peers
                            .iter()
                            .filter_map(|peer| match peer {
                                PolicyPeer::Pods { namespaces, pods } => {
                                    let scope = match namespaces {
                                        None => NsScope::Exact(ns),
                                        Some(sel) => NsScope::Selector(atoms.ns_selector(sel)),
                                    };
                                    Some(atoms.atom(scope, pods.as_ref()))
                                }
                                PolicyPeer::IpBlock(_) => None,
                            })
                            .collect()
                    })
                    .collect()
            };
            let ing = per_dir(&p.ingress, &mut atoms);
            let eg = per_dir(&p.egress, &mut atoms);
            rule_atoms.push((ing, eg));
        }

        // Members: workloads in id order, then the ingress controller.
        let ic = &cluster.ingress_controller;
        let mut members: Vec<Member<'_>> = cluster
            .workloads
            .values()
            .map(|w| Member {
                ns: self.ns(&w.id.namespace),
                labels: &w.labels,
                named: classes::relevant_named_ports(&w.ports, &relevant_names),
                ingress_controller: false,
            })
            .collect();
        if self.with_controller {
            members.push(Member {
                ns: self.ns(&ic.namespace),
                labels: &ic.pod_labels,
                named: Vec::new(),
                ingress_controller: true,
            });
        }
        let classes = classes::classify(&members, &self.ns_labels, &atoms);
        let n_classes = classes.members.len();
        let class_named = |c: u32| -> &[(&str, Protocol, u16)] {
            classes
                .members
                .get(c as usize)
                .and_then(|m| m.first())
                .and_then(|&i| members.get(i))
                .map(|m| m.named.as_slice())
                .unwrap_or(&[])
        };
        let ic_class: Option<u32> = if self.with_controller {
            classes.class_of.last().copied()
        } else {
            None
        };

        // Compile rules against classes.
        let compile = |rule: &'a PolicyRule, peer_atoms: &[usize]| -> CompiledRule<'a> {
            let mut cls: Vec<u32> = peer_atoms
                .iter()
                .flat_map(|a| classes.atom_classes.get(*a).into_iter().flatten().copied())
                .collect();
            cls.sort_unstable();
            cls.dedup();
            let ips = rule
                .peers
                .iter()
                .filter_map(|p| match p {
                    PolicyPeer::IpBlock(b) => Some(IpSet::from_block(&b.cidr, &b.except)),
                    PolicyPeer::Pods { .. } => None,
                })
                .collect();
            CompiledRule {
                all_peers: rule.peers.is_empty(),
                classes: cls,
                ips,
                ports: RulePorts::of(rule),
            }
        };

        let mut inbound: Vec<Inbound> = (0..n_classes).map(|_| Inbound::default()).collect();
        let mut outbound: Vec<Outbound<'_>> = (0..n_classes).map(|_| Outbound::default()).collect();
        let mut src_cuts = Vec::new();
        let mut dst_cuts = Vec::new();
        let mut families: BTreeSet<IpFamily> = cluster.network.families.clone();
        let cluster_ranges: Vec<IpRange> = cluster
            .network
            .pod_cidrs
            .iter()
            .chain(cluster.network.service_cidrs.iter())
            .map(|c| c.range())
            .collect();

        for (pi, p) in cluster.policies.iter().enumerate() {
            let selected: &[u32] = policy_atom
                .get(pi)
                .and_then(|a| classes.atom_classes.get(*a))
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let Some((ing_atoms, eg_atoms)) = rule_atoms.get(pi) else {
                continue;
            };
            self.note_blocks(p, &cluster_ranges, &mut warnings, &mut families);
            if p.policy_types.ingress {
                for &d in selected {
                    if let Some(inb) = inbound.get_mut(d as usize) {
                        inb.isolated = true;
                    }
                }
                for (rule, pa) in p.ingress.iter().zip(ing_atoms.iter()) {
                    let cr = compile(rule, pa);
                    for ips in &cr.ips {
                        ips.cut_points(&mut src_cuts);
                    }
                    for &d in selected {
                        let ports = cr.ports.resolve(class_named(d));
                        let Some(inb) = inbound.get_mut(d as usize) else {
                            continue;
                        };
                        if ports.is_empty() {
                            continue;
                        }
                        if cr.all_peers {
                            inb.any.add(&ports);
                            continue;
                        }
                        for &s in &cr.classes {
                            inb.from.entry(s).or_default().add(&ports);
                        }
                        for ips in &cr.ips {
                            inb.ips.push((ips.clone(), ports.clone()));
                        }
                    }
                }
            }
            if p.policy_types.egress {
                for &s in selected {
                    if let Some(out) = outbound.get_mut(s as usize) {
                        out.isolated = true;
                    }
                }
                for (rule, pa) in p.egress.iter().zip(eg_atoms.iter()) {
                    let cr = compile(rule, pa);
                    for ips in &cr.ips {
                        ips.cut_points(&mut dst_cuts);
                    }
                    if !cr.ports.named.is_empty() && (cr.all_peers || !cr.ips.is_empty()) {
                        warnings.insert(AnalysisWarning::NamedPortWithAddresses {
                            namespace: p.namespace.clone(),
                            policy: p.name.clone(),
                        });
                    }
                    if cr.ports.is_empty() {
                        continue;
                    }
                    if cr.all_peers {
                        for &s in selected {
                            if let Some(out) = outbound.get_mut(s as usize) {
                                out.any.add(&cr.ports);
                            }
                        }
                        continue;
                    }
                    let per_dst: Vec<(u32, ConnSet)> = cr
                        .classes
                        .iter()
                        .map(|&d| (d, cr.ports.resolve(class_named(d))))
                        .filter(|(_, c)| !c.is_empty())
                        .collect();
                    let numeric = &cr.ports.numeric;
                    for &s in selected {
                        let Some(out) = outbound.get_mut(s as usize) else {
                            continue;
                        };
                        for (d, c) in &per_dst {
                            out.to.entry(*d).or_default().add(c);
                        }
                        if !numeric.is_empty() {
                            for ips in &cr.ips {
                                out.ips.push((ips.clone(), numeric.clone()));
                            }
                        }
                    }
                }
            }
        }
        for c in &cluster.external_blocks {
            families.insert(c.family());
            let set = IpSet::from_range(c.range());
            set.cut_points(&mut src_cuts);
            set.cut_points(&mut dst_cuts);
        }
        let families: Vec<IpFamily> = families.into_iter().collect();

        // Combine per class pair.
        let is_ic = |c: u32| Some(c) == ic_class;
        let in_conn = |d: u32, s: u32| -> ConnSet {
            match inbound.get(d as usize) {
                Some(inb) if inb.isolated => {
                    let mut c = inb.any.clone();
                    if let Some(x) = inb.from.get(&s) {
                        c.add(x);
                    }
                    c
                }
                _ => ConnSet::all(),
            }
        };
        let eg_conn = |s: u32, d: u32| -> ConnSet {
            match outbound.get(s as usize) {
                Some(out) if out.isolated => {
                    let mut c = out.any.resolve(class_named(d));
                    if let Some(x) = out.to.get(&d) {
                        c.add(x);
                    }
                    c
                }
                _ => ConnSet::all(),
            }
        };
        let eg_sparse = |s: u32| {
            outbound
                .get(s as usize)
                .is_some_and(|o| o.isolated && o.any.is_empty())
        };
        let in_sparse = |d: u32| {
            inbound
                .get(d as usize)
                .is_some_and(|i| i.isolated && i.any.is_empty())
        };
        let all_classes: Vec<u32> = (0..n_classes)
            .filter_map(|c| u32::try_from(c).ok())
            .filter(|c| !is_ic(*c))
            .collect();
        let mut pairs: BTreeMap<(u32, u32), ConnSet> = BTreeMap::new();
        for &s in &all_classes {
            if !eg_sparse(s) {
                continue;
            }
            let Some(out) = outbound.get(s as usize) else {
                continue;
            };
            for (&d, c) in &out.to {
                if is_ic(d) {
                    continue;
                }
                // `c ∩ in_conn(d, s)`, without building `in_conn` when it is one set.
                let conn = match inbound.get(d as usize) {
                    Some(inb) if inb.isolated && inb.any.is_empty() => match inb.from.get(&s) {
                        Some(x) => c.intersect(x),
                        None => continue,
                    },
                    _ => c.intersect(&in_conn(d, s)),
                };
                if !conn.is_empty() {
                    pairs.insert((s, d), conn);
                }
            }
        }
        for &d in &all_classes {
            if !in_sparse(d) {
                continue;
            }
            let Some(inb) = inbound.get(d as usize) else {
                continue;
            };
            for (&s, c) in &inb.from {
                if is_ic(s) || eg_sparse(s) {
                    continue;
                }
                let conn = eg_conn(s, d).intersect(c);
                if !conn.is_empty() {
                    pairs.insert((s, d), conn);
                }
            }
        }
        let dense_src: Vec<u32> = all_classes
            .iter()
            .copied()
            .filter(|&s| !eg_sparse(s))
            .collect();
        let dense_dst: Vec<u32> = all_classes
            .iter()
            .copied()
            .filter(|&d| !in_sparse(d))
            .collect();
        for &s in &dense_src {
            for &d in &dense_dst {
                let conn = eg_conn(s, d).intersect(&in_conn(d, s));
                if !conn.is_empty() {
                    pairs.insert((s, d), conn);
                }
            }
        }

        // Addresses.
        let universe: Vec<(IpSet, ConnSet)> = families
            .iter()
            .map(|f| (IpSet::from_range(f.universe()), ConnSet::all()))
            .collect();
        let mut from_ip = Vec::new();
        let mut to_ip = Vec::new();
        for &c in &all_classes {
            let idx = c as usize;
            let map = match inbound.get(idx) {
                Some(inb) if inb.isolated => {
                    let mut entries: Vec<(IpSet, ConnSet)> = Vec::new();
                    if !inb.any.is_empty() {
                        entries.extend(universe.iter().map(|(s, _)| (s.clone(), inb.any.clone())));
                    }
                    entries.extend(inb.ips.iter().cloned());
                    ip_map(&families, &entries)
                }
                _ => ip_map(&families, &universe),
            };
            if !map.is_empty() {
                from_ip.push((c, map));
            }
            let map = match outbound.get(idx) {
                Some(out) if out.isolated => {
                    let mut entries: Vec<(IpSet, ConnSet)> = Vec::new();
                    if !out.any.numeric.is_empty() {
                        entries.extend(
                            universe
                                .iter()
                                .map(|(s, _)| (s.clone(), out.any.numeric.clone())),
                        );
                    }
                    entries.extend(out.ips.iter().cloned());
                    ip_map(&families, &entries)
                }
                _ => ip_map(&families, &universe),
            };
            if !map.is_empty() {
                to_ip.push((c, map));
            }
        }

        // The ingress controller.
        let mut ingress_controller = Vec::new();
        if let Some(icc) = ic_class {
            let mut exposed: BTreeMap<&WorkloadId, ConnSet> = BTreeMap::new();
            match self.options.ingress_controller {
                IngressControllerMode::Exposures => {
                    for e in &cluster.ingress_exposures {
                        exposed
                            .entry(&e.workload)
                            .or_default()
                            .add_ports(Protocol::Tcp, &e.ports);
                    }
                }
                IngressControllerMode::AllWorkloads => {
                    for id in &self.workload_ids {
                        exposed.insert(id, ConnSet::all());
                    }
                }
            }
            for (id, ports) in exposed {
                let Some(pos) = self.workload_ids.binary_search(&id).ok() else {
                    continue;
                };
                let Some(&d) = classes.class_of.get(pos) else {
                    continue;
                };
                let conn = ports
                    .intersect(&eg_conn(icc, d))
                    .intersect(&in_conn(d, icc));
                if !conn.is_empty() {
                    ingress_controller.push((id.clone(), conn));
                }
            }
        }

        let class_ids: Vec<Vec<WorkloadId>> = classes
            .members
            .iter()
            .map(|m| {
                m.iter()
                    .filter_map(|&i| self.workload_ids.get(i).map(|w| (*w).clone()))
                    .collect()
            })
            .collect();
        let isolation = (0..n_classes)
            .map(|c| ClassIsolation {
                ingress: inbound.get(c).is_some_and(|i| i.isolated),
                egress: outbound.get(c).is_some_and(|o| o.isolated),
            })
            .collect();
        Connectivity {
            classes: class_ids,
            isolation,
            pairs: pairs.into_iter().map(|((s, d), c)| (s, d, c)).collect(),
            from_ip,
            to_ip,
            ingress_controller,
            source_ranges: elementary_ranges(&families, src_cuts),
            destination_ranges: elementary_ranges(&families, dst_cuts),
            warnings: warnings.into_iter().collect(),
        }
    }

    fn note_blocks(
        &self,
        p: &NetworkPolicy,
        cluster_ranges: &[IpRange],
        warnings: &mut BTreeSet<AnalysisWarning>,
        families: &mut BTreeSet<IpFamily>,
    ) {
        for rule in p.ingress.iter().chain(p.egress.iter()) {
            for peer in &rule.peers {
                let PolicyPeer::IpBlock(b) = peer else {
                    continue;
                };
                families.insert(b.cidr.family());
                for set_range in IpSet::from_block(&b.cidr, &b.except).ranges() {
                    for cr in cluster_ranges {
                        if set_range.overlaps(cr) {
                            warnings.insert(AnalysisWarning::IpBlockOverlapsCluster {
                                namespace: p.namespace.clone(),
                                policy: p.name.clone(),
                                block: b.cidr.range(),
                                cluster_cidr: *cr,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// The piecewise map of the union of `entries` over the address space.
fn ip_map(families: &[IpFamily], entries: &[(IpSet, ConnSet)]) -> IpConnMap {
    if entries.is_empty() {
        return IpConnMap::default();
    }
    let mut cuts = Vec::new();
    for (s, _) in entries {
        s.cut_points(&mut cuts);
    }
    let mut fams: Vec<IpFamily> = families.to_vec();
    for (s, _) in entries {
        for r in s.ranges() {
            if !fams.contains(&r.family()) {
                fams.push(r.family());
            }
        }
    }
    fams.sort();
    let pieces = elementary_ranges(&fams, cuts);
    let mut values: Vec<ConnSet> = vec![ConnSet::empty(); pieces.len()];
    for (set, conns) in entries {
        for r in set.ranges() {
            let lo = pieces.partition_point(|p| (p.family(), p.start()) < (r.family(), r.start()));
            for (i, p) in pieces.iter().enumerate().skip(lo) {
                if !r.contains(p) {
                    break;
                }
                if let Some(v) = values.get_mut(i) {
                    v.add(conns);
                }
            }
        }
    }
    IpConnMap::from_sorted(pieces.into_iter().zip(values).collect())
}
