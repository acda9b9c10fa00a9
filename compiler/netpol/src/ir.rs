//! The IR loader: a checked posture as this crate's neutral model, and the relation its
//! `network` block declares — the two inputs of the build's reachability proof besides the
//! policies themselves, which the caller reads back from the emitted YAML with
//! [`crate::load`].
//!
//! - [`cluster`]: declared namespaces (with their labels), declared workloads (a workload's
//!   pods carry exactly its selector's labels and its named ports), and the built-in peers
//!   (`ingress-controller`, `cluster-dns`) as workloads of their own, with the target's pod
//!   and service CIDRs. No policies.
//! - [`declared`]: what the posture says, straight from its semantics and independent of any
//!   emitter: an endpoint is isolated for a direction when its namespace is default-deny in
//!   that direction; between two endpoints the allowed connections are everything when
//!   neither is isolated (source for egress, destination for ingress), and otherwise the union
//!   of the intents (and DNS allowances) that name both.
//! - [`prove`]: compares [`declared`] with the analysis of the emitted policies.
//!
//! Complexity: the part of the relation where neither side is isolated is dense (every pair,
//! everything allowed) and is compared by isolation alone — per endpoint, never per pair. The
//! rest is compared edge by edge; its size is that of the declared relation (the pairs the
//! intents name, a namespace counting as its workloads), plus whatever the policies allow
//! beyond it.

mod dense;

use std::collections::{BTreeMap, BTreeSet};

use ::ir::network::{Direction, Peer, PortSpec};
use ::ir::{Name, Posture};

use crate::analysis::Connectivity;
use crate::ip::{Cidr, IpSet};
use crate::model::{
    Cluster, ClusterNetwork, ContainerPort, Namespace, NamespaceName, ObjectName, PortName,
    Workload, WorkloadId, WorkloadKind,
};
use crate::ports::{ConnSet, PortNumber, PortSet, Protocol};
use crate::relation::{Edge, Endpoint, Relation, RelationDiff};
use crate::selector::Labels;

pub use dense::prove_posture;

/// The kind of a declared workload's id (`optimal-system/portal[workload]`).
pub const WORKLOAD_KIND: &str = "workload";
/// The kind of a built-in peer's id (`kube-system/cluster-dns[builtin]`).
pub const BUILTIN_KIND: &str = "builtin";
/// The name of the ingress controller's id.
pub const INGRESS_CONTROLLER: &str = "ingress-controller";
/// The name of the cluster DNS's id.
pub const CLUSTER_DNS: &str = "cluster-dns";
/// The name of the mesh control plane's endpoint.
pub const MESH_CONTROL_PLANE: &str = "mesh-control-plane";
/// The port cluster DNS answers on (UDP and TCP).
pub const DNS_PORT: u16 = 53;

/// The id of a declared workload.
pub fn workload_id(namespace: &Name, name: &Name) -> WorkloadId {
    WorkloadId {
        namespace: NamespaceName::new(namespace.as_str()),
        name: ObjectName::new(name.as_str()),
        kind: WorkloadKind::Other(WORKLOAD_KIND.to_string()),
    }
}

/// The id of the ingress controller.
pub fn ingress_controller_id(p: &Posture) -> WorkloadId {
    WorkloadId {
        namespace: NamespaceName::new(p.target.ingress_controller.namespace.as_str()),
        name: ObjectName::new(INGRESS_CONTROLLER),
        kind: WorkloadKind::Other(BUILTIN_KIND.to_string()),
    }
}

/// The id of the cluster DNS.
pub fn cluster_dns_id(p: &Posture) -> WorkloadId {
    WorkloadId {
        namespace: NamespaceName::new(p.target.cluster_dns.namespace.as_str()),
        name: ObjectName::new(CLUSTER_DNS),
        kind: WorkloadKind::Other(BUILTIN_KIND.to_string()),
    }
}

/// The id of the mesh's control plane.
pub fn mesh_control_plane_id(p: &Posture) -> WorkloadId {
    WorkloadId {
        namespace: NamespaceName::new(p.target.mesh_control_plane.namespace.as_str()),
        name: ObjectName::new(MESH_CONTROL_PLANE),
        kind: WorkloadKind::Other(BUILTIN_KIND.to_string()),
    }
}

fn labels(l: &::ir::Labels) -> Labels {
    l.iter().map(|(k, v)| (k.0.clone(), v.0.clone())).collect()
}

fn protocol(p: ::ir::Protocol) -> Protocol {
    match p {
        ::ir::Protocol::Tcp => Protocol::Tcp,
        ::ir::Protocol::Udp => Protocol::Udp,
        ::ir::Protocol::Sctp => Protocol::Sctp,
    }
}

/// The block of a posture's CIDR: what parsing its text gives, without the text.
fn cidr(c: &::ir::Cidr) -> Option<Cidr> {
    Cidr::from_addr(c.addr, c.prefix)
}

/// The cluster of a posture, without policies.
pub fn cluster(p: &Posture) -> Cluster {
    let mut c = Cluster::default();
    for ns in p.namespaces.values() {
        let name = NamespaceName::new(ns.name.as_str());
        c.namespaces.insert(
            name.clone(),
            Namespace {
                name,
                labels: labels(&ns.labels),
            },
        );
    }
    // Collected, then made into the map at once (sorted, then built in one pass; the last of
    // an id kept, as inserting them one by one keeps it): the declared workloads come mostly
    // in id order already.
    let mut workloads: Vec<(WorkloadId, Workload)> = Vec::with_capacity(p.workloads.len() + 3);
    let mut add = |w: Workload| workloads.push((w.id.clone(), w));
    for w in p.workloads.values() {
        let ports = w
            .ports
            .iter()
            .filter_map(|(name, np)| {
                Some(ContainerPort {
                    name: Some(PortName::new(name.as_str())),
                    number: PortNumber::new(i64::from(np.port.0))?,
                    protocol: protocol(np.protocol),
                })
            })
            .collect();
        add(Workload {
            id: workload_id(&w.namespace, &w.name),
            labels: labels(&w.selector),
            ports,
        });
    }
    for (id, peer) in [
        (ingress_controller_id(p), &p.target.ingress_controller),
        (cluster_dns_id(p), &p.target.cluster_dns),
        (mesh_control_plane_id(p), &p.target.mesh_control_plane),
    ] {
        add(Workload {
            id,
            labels: labels(&peer.selector),
            ports: Vec::new(),
        });
    }
    c.workloads = workloads.into_iter().collect();
    let mut network = ClusterNetwork {
        pod_cidrs: p.target.pod_cidrs.iter().filter_map(cidr).collect(),
        service_cidrs: p.target.service_cidrs.iter().filter_map(cidr).collect(),
        ..ClusterNetwork::default()
    };
    for i in &p.network.intents {
        for peer in [&i.from, &i.to] {
            if let Peer::Cidr {
                cidr: block,
                except,
            } = peer
            {
                for b in std::iter::once(block).chain(except) {
                    if let Some(b) = cidr(b) {
                        network.families.insert(b.family());
                        c.external_blocks.push(b);
                    }
                }
            }
        }
    }
    c.network = network;
    c
}

/// The isolation of one endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Isolation {
    /// Ingress is denied unless allowed.
    pub ingress: bool,
    /// Egress is denied unless allowed.
    pub egress: bool,
}

/// What an intent's side stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    /// Workloads (declared or built-in).
    Endpoints(Vec<WorkloadId>),
    /// Addresses outside the cluster.
    Addresses(IpSet),
}

/// The relation a posture declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    /// Every endpoint of [`cluster`], with its isolation.
    pub isolation: BTreeMap<WorkloadId, Isolation>,
    /// The declared connections where the source is egress-isolated or the destination
    /// ingress-isolated (every other pair allows everything and is not listed).
    pub relation: Relation,
}

/// The connections an intent allows (every port of its protocol when it names none).
pub fn intent_conns(i: &::ir::network::Intent) -> ConnSet {
    let proto = protocol(i.protocol);
    if i.ports.is_empty() {
        return ConnSet::of(proto, PortSet::all());
    }
    let mut c = ConnSet::empty();
    for spec in &i.ports {
        let (a, b) = match spec {
            PortSpec::Number { port } | PortSpec::Named { port, .. } => (port.0, port.0),
            PortSpec::Range { first, last } => (first.0, last.0),
        };
        if let (Some(a), Some(b)) = (PortNumber::new(i64::from(a)), PortNumber::new(i64::from(b))) {
            c.add_ports(proto, &PortSet::range(a, b));
        }
    }
    c
}

/// The connections `allow_dns` gives: UDP and TCP 53.
pub fn dns_conns() -> ConnSet {
    let mut c = ConnSet::empty();
    if let Some(p) = PortNumber::new(i64::from(DNS_PORT)) {
        c.add_ports(Protocol::Udp, &PortSet::single(p));
        c.add_ports(Protocol::Tcp, &PortSet::single(p));
    }
    c
}

/// Endpoint lookups of one posture.
pub struct Index {
    by_namespace: BTreeMap<Name, Vec<WorkloadId>>,
    ingress_controller: WorkloadId,
    cluster_dns: WorkloadId,
    mesh_control_plane: WorkloadId,
    workloads: BTreeMap<Name, WorkloadId>,
}

impl Index {
    /// Indexes a posture's endpoints.
    pub fn new(p: &Posture) -> Index {
        let mut by_namespace: BTreeMap<Name, Vec<WorkloadId>> = BTreeMap::new();
        let mut workloads = BTreeMap::new();
        for w in p.workloads.values() {
            let id = workload_id(&w.namespace, &w.name);
            by_namespace
                .entry(w.namespace.clone())
                .or_default()
                .push(id.clone());
            workloads.insert(w.name.clone(), id);
        }
        let ingress_controller = ingress_controller_id(p);
        let cluster_dns = cluster_dns_id(p);
        let mesh_control_plane = mesh_control_plane_id(p);
        for (id, ns) in [
            (&ingress_controller, &p.target.ingress_controller.namespace),
            (&cluster_dns, &p.target.cluster_dns.namespace),
            (&mesh_control_plane, &p.target.mesh_control_plane.namespace),
        ] {
            by_namespace.entry(ns.clone()).or_default().push(id.clone());
        }
        for v in by_namespace.values_mut() {
            v.sort();
        }
        Index {
            by_namespace,
            ingress_controller,
            cluster_dns,
            mesh_control_plane,
            workloads,
        }
    }

    /// What a side of an intent stands for.
    pub fn members(&self, peer: &Peer) -> Members {
        match peer {
            Peer::Workload { name } => {
                Members::Endpoints(self.workloads.get(name).cloned().into_iter().collect())
            }
            Peer::Namespace { name } => {
                Members::Endpoints(self.by_namespace.get(name).cloned().unwrap_or_default())
            }
            Peer::IngressController => Members::Endpoints(vec![self.ingress_controller.clone()]),
            Peer::ClusterDns => Members::Endpoints(vec![self.cluster_dns.clone()]),
            Peer::MeshControlPlane => Members::Endpoints(vec![self.mesh_control_plane.clone()]),
            Peer::Cidr {
                cidr: block,
                except,
            } => {
                let except: Vec<Cidr> = except.iter().filter_map(cidr).collect();
                Members::Addresses(
                    cidr(block)
                        .map(|b| IpSet::from_block(&b, &except))
                        .unwrap_or_else(IpSet::empty),
                )
            }
        }
    }

    /// The workloads of a namespace, built-in peers included.
    pub fn namespace(&self, ns: &Name) -> &[WorkloadId] {
        self.by_namespace.get(ns).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The cluster DNS's id.
    pub fn cluster_dns(&self) -> &WorkloadId {
        &self.cluster_dns
    }
}

/// True when `endpoint` is one of `members`.
pub fn contains(members: &Members, endpoint: &Endpoint) -> bool {
    match (members, endpoint) {
        (Members::Endpoints(ids), Endpoint::Workload(w)) => ids.contains(w),
        (Members::Addresses(set), Endpoint::Ip(r)) => set.ranges().iter().any(|s| s.overlaps(r)),
        _ => false,
    }
}

/// The isolation the posture declares, per namespace.
pub fn namespace_isolation(p: &Posture) -> BTreeMap<Name, Isolation> {
    let mut out: BTreeMap<Name, Isolation> = BTreeMap::new();
    for dd in &p.network.default_deny {
        let iso = out.entry(dd.namespace.clone()).or_default();
        iso.ingress |= dd.directions.contains(&Direction::Ingress);
        iso.egress |= dd.directions.contains(&Direction::Egress);
    }
    out
}

/// The relation a posture declares.
pub fn declared(p: &Posture) -> Declared {
    let index = Index::new(p);
    let by_ns = namespace_isolation(p);
    let mut isolation = BTreeMap::new();
    for (ns, ids) in &index.by_namespace {
        let iso = by_ns.get(ns).copied().unwrap_or_default();
        for id in ids {
            isolation.insert(id.clone(), iso);
        }
    }
    let iso = |id: &WorkloadId| isolation.get(id).copied().unwrap_or_default();
    let mut relation = Relation::new();
    let mut allow = |from: &Members, to: &Members, conns: &ConnSet| match (from, to) {
        (Members::Endpoints(src), Members::Endpoints(dst)) => {
            for s in src {
                let s_iso = iso(s).egress;
                for d in dst {
                    if s_iso || iso(d).ingress {
                        relation.insert(
                            Endpoint::Workload(s.clone()),
                            Endpoint::Workload(d.clone()),
                            conns,
                        );
                    }
                }
            }
        }
        (Members::Endpoints(src), Members::Addresses(set)) => {
            for s in src.iter().filter(|s| iso(s).egress) {
                for r in set.ranges() {
                    relation.insert(Endpoint::Workload(s.clone()), Endpoint::Ip(*r), conns);
                }
            }
        }
        (Members::Addresses(set), Members::Endpoints(dst)) => {
            for d in dst.iter().filter(|d| iso(d).ingress) {
                for r in set.ranges() {
                    relation.insert(Endpoint::Ip(*r), Endpoint::Workload(d.clone()), conns);
                }
            }
        }
        (Members::Addresses(_), Members::Addresses(_)) => {}
    };
    let dns = Members::Endpoints(vec![index.cluster_dns.clone()]);
    let dns_conns = dns_conns();
    let dns_namespaces: BTreeSet<&Name> = p.network.allow_dns.iter().collect();
    for ns in dns_namespaces {
        allow(
            &Members::Endpoints(index.namespace(ns).to_vec()),
            &dns,
            &dns_conns,
        );
    }
    for i in &p.network.intents {
        allow(
            &index.members(&i.from),
            &index.members(&i.to),
            &intent_conns(i),
        );
    }
    Declared {
        isolation,
        relation,
    }
}

/// An endpoint whose isolation in the emitted policies differs from the declared one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct IsolationMismatch {
    /// The endpoint.
    pub workload: WorkloadId,
    /// Declared.
    pub declared: Isolation,
    /// What the emitted policies do.
    pub actual: Isolation,
}

/// The outcome of [`prove`]: empty when the policies allow exactly what was declared.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Proof {
    /// Endpoints isolated differently than declared (their pairs are left out of `diff`).
    pub isolation: Vec<IsolationMismatch>,
    /// Connections allowed beyond the declaration, and declared ones not allowed.
    pub diff: RelationDiff,
}

impl Proof {
    /// True when the emitted policies allow exactly the declared connections.
    pub fn holds(&self) -> bool {
        self.isolation.is_empty() && self.diff.is_empty()
    }
}

/// Compares the analysis of the emitted policies (over [`cluster`] of the same posture) with
/// the declaration: isolation per endpoint, then the connections where one side is isolated.
pub fn prove(declared: &Declared, conn: &Connectivity) -> Proof {
    let classes = conn.classes();
    let class_iso = conn.class_isolation();
    let mut class_of: BTreeMap<&WorkloadId, usize> = BTreeMap::new();
    for (c, members) in classes.iter().enumerate() {
        for w in members {
            class_of.insert(w, c);
        }
    }
    let mut mismatches = Vec::new();
    for (id, want) in &declared.isolation {
        let got = class_of
            .get(id)
            .and_then(|c| class_iso.get(*c))
            .map(|i| Isolation {
                ingress: i.ingress,
                egress: i.egress,
            })
            .unwrap_or_default();
        if got != *want {
            mismatches.push(IsolationMismatch {
                workload: id.clone(),
                declared: *want,
                actual: got,
            });
        }
    }
    let bad: BTreeSet<&WorkloadId> = mismatches.iter().map(|m| &m.workload).collect();
    let ok = |e: &Endpoint| match e {
        Endpoint::Workload(w) => !bad.contains(w),
        _ => true,
    };
    let members = |c: u32| classes.get(c as usize).map(Vec::as_slice).unwrap_or(&[]);
    let iso_of = |c: u32| class_iso.get(c as usize).copied().unwrap_or_default();

    let mut actual = Relation::new();
    for (s, d, conns) in conn.class_pairs() {
        if !iso_of(*s).egress && !iso_of(*d).ingress {
            continue; // open on both sides: settled by isolation
        }
        for a in members(*s).iter().filter(|a| !bad.contains(a)) {
            for b in members(*d).iter().filter(|b| !bad.contains(b)) {
                actual.set_pair(
                    Endpoint::Workload(a.clone()),
                    Endpoint::Workload(b.clone()),
                    conns.clone(),
                );
            }
        }
    }
    for (c, map) in conn.class_to_addresses() {
        if iso_of(*c).egress {
            for a in members(*c).iter().filter(|a| !bad.contains(a)) {
                actual.set_to_ip(Endpoint::Workload(a.clone()), map.clone());
            }
        }
    }
    for (c, map) in conn.class_from_addresses() {
        if iso_of(*c).ingress {
            for b in members(*c).iter().filter(|b| !bad.contains(b)) {
                actual.set_from_ip(Endpoint::Workload(b.clone()), map.clone());
            }
        }
    }
    let diff = if bad.is_empty() {
        actual.diff(&declared.relation)
    } else {
        let mut expected = Relation::new();
        for Edge { src, dst, conns } in declared.relation.edges() {
            if ok(&src) && ok(&dst) {
                expected.insert(src, dst, &conns);
            }
        }
        actual.diff(&expected)
    };
    Proof {
        isolation: mismatches,
        diff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A posture's CIDR becomes the block its text parses to: addresses of both families,
    /// host bits set, every edge prefix, prefixes too long.
    #[test]
    fn cidrs_convert_as_their_text_parses() {
        let addrs = [
            "0.0.0.0",
            "10.1.2.3",
            "255.255.255.255",
            "192.168.0.0",
            "::",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ];
        for a in addrs {
            for prefix in [0, 1, 7, 8, 16, 24, 31, 32, 33, 64, 127, 128, 129, 255] {
                let c = ::ir::Cidr {
                    addr: a.parse().expect("address"),
                    prefix,
                };
                assert_eq!(cidr(&c), Cidr::parse(&c.to_string()).ok(), "{c}");
            }
        }
    }

    #[test]
    fn dns_is_udp_and_tcp_53() {
        assert_eq!(dns_conns().to_string(), "TCP 53,UDP 53");
    }
}
