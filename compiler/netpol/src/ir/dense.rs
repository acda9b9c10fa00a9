//! [`super::prove`] over endpoint numbers: the build's proof at scale.
//!
//! [`super::declared`] and [`super::prove`] build [`Relation`]s keyed by [`WorkloadId`]s
//! (three strings each) in ordered maps, and cloned ids per edge: at 10,000 workloads and
//! 50,000 intents that comparison of string keys was a third of the proof. Here every endpoint
//! (declared workloads, the built-in peers, and whatever the analysis puts in its classes) gets
//! a number once, in [`WorkloadId`] order, the relations are sorted vectors of numbers, and
//! [`WorkloadId`]s are cloned only for the edges that differ. [`prove_posture`] returns exactly
//! what `prove(&declared(p), conn)` returns (the integration suite's proof cases compare the
//! two, negative controls included).

use crate::fxhash::FxHashMap as HashMap;
use std::borrow::Cow;

use ::ir::network::Peer;
use ::ir::{Name, Posture};

use super::{
    Isolation, IsolationMismatch, Proof, cidr, cluster_dns_id, dns_conns, ingress_controller_id,
    intent_conns, mesh_control_plane_id, namespace_isolation, workload_id,
};
use crate::analysis::Connectivity;
use crate::ip::{Cidr, IpRange, IpSet};
use crate::model::WorkloadId;
use crate::ports::ConnSet;
use crate::relation::{Edge, Endpoint, IpConnMap, RelationDiff};

/// What an intent's side stands for, as endpoint numbers.
enum Side<'a> {
    Endpoints(&'a [u32]),
    Addresses(IpSet),
}

/// The endpoints of one proof, numbered in [`WorkloadId`] order.
struct Numbering<'a> {
    ids: Vec<&'a WorkloadId>,
    number: HashMap<&'a WorkloadId, u32>,
}

impl<'a> Numbering<'a> {
    fn new(mut ids: Vec<&'a WorkloadId>) -> Numbering<'a> {
        ids.sort_unstable();
        ids.dedup();
        let number = ids
            .iter()
            .enumerate()
            .map(|(n, id)| (*id, n as u32))
            .collect();
        Numbering { ids, number }
    }

    fn of(&self, id: &WorkloadId) -> u32 {
        // Every id numbered is in `ids`; `new` got them all.
        self.number.get(id).copied().unwrap_or(u32::MAX)
    }

    fn endpoint(&self, n: u32) -> Endpoint {
        Endpoint::Workload(self.ids[n as usize].clone())
    }
}

/// The endpoint lookups of one posture ([`super::Index`] with numbers), keyed by the
/// posture's names.
struct Sides<'p> {
    by_namespace: HashMap<&'p str, Vec<u32>>,
    workloads: HashMap<&'p str, u32>,
    ingress_controller: u32,
    cluster_dns: u32,
    mesh_control_plane: u32,
}

impl Sides<'_> {
    fn side(&self, peer: &Peer) -> Side<'_> {
        match peer {
            Peer::Workload { name } => Side::Endpoints(
                self.workloads
                    .get(name.as_str())
                    .map(std::slice::from_ref)
                    .unwrap_or(&[]),
            ),
            Peer::Namespace { name } => Side::Endpoints(self.namespace(name)),
            Peer::IngressController => {
                Side::Endpoints(std::slice::from_ref(&self.ingress_controller))
            }
            Peer::ClusterDns => Side::Endpoints(std::slice::from_ref(&self.cluster_dns)),
            Peer::MeshControlPlane => {
                Side::Endpoints(std::slice::from_ref(&self.mesh_control_plane))
            }
            Peer::Cidr {
                cidr: block,
                except,
            } => {
                let except: Vec<Cidr> = except.iter().filter_map(cidr).collect();
                Side::Addresses(
                    cidr(block)
                        .map(|b| IpSet::from_block(&b, &except))
                        .unwrap_or_else(IpSet::empty),
                )
            }
        }
    }

    fn namespace(&self, ns: &Name) -> &[u32] {
        self.by_namespace
            .get(ns.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Connection sets, each stored once and named by its index.
#[derive(Default)]
struct Conns {
    sets: Vec<ConnSet>,
    index: HashMap<ConnSet, u32>,
}

impl Conns {
    fn intern(&mut self, c: ConnSet) -> u32 {
        if let Some(&i) = self.index.get(&c) {
            return i;
        }
        let i = self.sets.len() as u32;
        self.sets.push(c.clone());
        self.index.insert(c, i);
        i
    }
}

/// The declared relation restricted to pairs where one side is isolated, as numbers.
#[derive(Default)]
struct DeclaredEdges {
    /// (source, destination, connection set), unsorted, repeated pairs not merged.
    pairs: Vec<(u32, u32, u32)>,
    /// (source, connection set, addresses).
    to_ip: Vec<(u32, u32, IpRange)>,
    /// (destination, connection set, addresses).
    from_ip: Vec<(u32, u32, IpRange)>,
}

/// The same outcome as `prove(&declared(p), conn)`, computed over endpoint numbers.
pub fn prove_posture(p: &Posture, conn: &Connectivity) -> Proof {
    // The declared endpoints, with their namespaces.
    let mut declared_ids: Vec<(WorkloadId, &Name)> = p
        .workloads
        .values()
        .map(|w| (workload_id(&w.namespace, &w.name), &w.namespace))
        .collect();
    let builtins = [
        (
            ingress_controller_id(p),
            &p.target.ingress_controller.namespace,
        ),
        (cluster_dns_id(p), &p.target.cluster_dns.namespace),
        (
            mesh_control_plane_id(p),
            &p.target.mesh_control_plane.namespace,
        ),
    ];
    let n_workloads = declared_ids.len();
    declared_ids.extend(builtins);
    let classes = conn.classes();
    let numbering = Numbering::new(
        declared_ids
            .iter()
            .map(|(id, _)| id)
            .chain(classes.iter().flatten())
            .collect(),
    );
    let n = numbering.ids.len();

    // Declared isolation, and the lookups of intents' sides.
    let by_ns = namespace_isolation(p);
    let mut declared_iso: Vec<Option<Isolation>> = vec![None; n];
    let mut by_namespace: HashMap<&str, Vec<u32>> = HashMap::default();
    let mut workloads: HashMap<&str, u32> =
        HashMap::with_capacity_and_hasher(n_workloads, Default::default());
    let names = p.workloads.values().map(|w| w.name.as_str());
    for (i, ((id, ns), name)) in declared_ids
        .iter()
        .zip(names.map(Some).chain(std::iter::repeat(None)))
        .enumerate()
    {
        let num = numbering.of(id);
        declared_iso[num as usize] = Some(by_ns.get(*ns).copied().unwrap_or_default());
        by_namespace.entry(ns.as_str()).or_default().push(num);
        if i < n_workloads
            && let Some(name) = name
        {
            workloads.insert(name, num);
        }
    }
    let sides = Sides {
        by_namespace,
        workloads,
        ingress_controller: numbering.of(&declared_ids[n_workloads].0),
        cluster_dns: numbering.of(&declared_ids[n_workloads + 1].0),
        mesh_control_plane: numbering.of(&declared_ids[n_workloads + 2].0),
    };
    let iso = |e: u32| {
        declared_iso
            .get(e as usize)
            .copied()
            .flatten()
            .unwrap_or_default()
    };

    // The declared relation (see `super::declared`).
    let mut conns = Conns::default();
    let mut declared = DeclaredEdges::default();
    let mut allow = |from: &Side<'_>, to: &Side<'_>, c: u32| match (from, to) {
        (Side::Endpoints(src), Side::Endpoints(dst)) => {
            for &s in *src {
                let s_iso = iso(s).egress;
                for &d in *dst {
                    if s_iso || iso(d).ingress {
                        declared.pairs.push((s, d, c));
                    }
                }
            }
        }
        (Side::Endpoints(src), Side::Addresses(set)) => {
            for &s in src.iter().filter(|s| iso(**s).egress) {
                for r in set.ranges() {
                    declared.to_ip.push((s, c, *r));
                }
            }
        }
        (Side::Addresses(set), Side::Endpoints(dst)) => {
            for &d in dst.iter().filter(|d| iso(**d).ingress) {
                for r in set.ranges() {
                    declared.from_ip.push((d, c, *r));
                }
            }
        }
        (Side::Addresses(_), Side::Addresses(_)) => {}
    };
    let dns = [sides.cluster_dns];
    let dns_conns = conns.intern(dns_conns());
    let mut dns_namespaces: Vec<&Name> = p.network.allow_dns.iter().collect();
    dns_namespaces.sort_unstable();
    dns_namespaces.dedup();
    for ns in dns_namespaces {
        allow(
            &Side::Endpoints(sides.namespace(ns)),
            &Side::Endpoints(&dns),
            dns_conns,
        );
    }
    // Intents name few distinct ports: the connection set of each protocol and ports is made
    // and interned once (`None` when it is empty).
    type Ports<'i> = (::ir::Protocol, &'i [::ir::network::PortSpec]);
    let mut by_ports: HashMap<Ports<'_>, Option<u32>> = HashMap::default();
    for i in &p.network.intents {
        let c = *by_ports.entry((i.protocol, &i.ports)).or_insert_with(|| {
            let c = intent_conns(i);
            (!c.is_empty()).then(|| conns.intern(c))
        });
        let Some(c) = c else { continue };
        allow(&sides.side(&i.from), &sides.side(&i.to), c);
    }

    // Isolation: the declared endpoints' against their classes'.
    let class_iso = conn.class_isolation();
    let class_members: Vec<Vec<u32>> = classes
        .iter()
        .map(|m| m.iter().map(|w| numbering.of(w)).collect())
        .collect();
    let mut actual_iso: Vec<Isolation> = vec![Isolation::default(); n];
    for (c, members) in class_members.iter().enumerate() {
        let i = class_iso
            .get(c)
            .map_or(Isolation::default(), |i| Isolation {
                ingress: i.ingress,
                egress: i.egress,
            });
        for &m in members {
            if let Some(slot) = actual_iso.get_mut(m as usize) {
                *slot = i;
            }
        }
    }
    let mut mismatches = Vec::new();
    let mut bad = vec![false; n];
    for (e, want) in declared_iso.iter().enumerate() {
        let Some(want) = want else { continue };
        let got = actual_iso[e];
        if got != *want {
            bad[e] = true;
            mismatches.push(IsolationMismatch {
                workload: numbering.ids[e].clone(),
                declared: *want,
                actual: got,
            });
        }
    }
    let ok = |e: u32| !bad.get(e as usize).copied().unwrap_or(false);
    let members = |c: u32| {
        class_members
            .get(c as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let iso_of = |c: u32| class_iso.get(c as usize).copied().unwrap_or_default();

    // What the emitted policies allow where one side is isolated.
    let mut actual_pairs: Vec<(u32, u32, &ConnSet)> = Vec::new();
    for (s, d, c) in conn.class_pairs() {
        if (!iso_of(*s).egress && !iso_of(*d).ingress) || c.is_empty() {
            continue; // open on both sides: settled by isolation
        }
        for &a in members(*s).iter().filter(|a| ok(**a)) {
            for &b in members(*d).iter().filter(|b| ok(**b)) {
                actual_pairs.push((a, b, c));
            }
        }
    }
    let mut actual_to: Vec<(u32, &IpConnMap)> = Vec::new();
    for (c, map) in conn.class_to_addresses() {
        if iso_of(*c).egress && !map.is_empty() {
            actual_to.extend(members(*c).iter().filter(|a| ok(**a)).map(|&a| (a, map)));
        }
    }
    let mut actual_from: Vec<(u32, &IpConnMap)> = Vec::new();
    for (c, map) in conn.class_from_addresses() {
        if iso_of(*c).ingress && !map.is_empty() {
            actual_from.extend(members(*c).iter().filter(|b| ok(**b)).map(|&b| (b, map)));
        }
    }

    // The declared side without the endpoints isolated otherwise, merged per key.
    declared.pairs.retain(|(s, d, _)| ok(*s) && ok(*d));
    declared.pairs.sort_unstable();
    declared.pairs.dedup();
    let mut expected_pairs: Vec<(u32, u32, Cow<'_, ConnSet>)> = Vec::new();
    for group in declared.pairs.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let (s, d, first) = group[0];
        let mut c = Cow::Borrowed(&conns.sets[first as usize]);
        for &(_, _, other) in &group[1..] {
            c.to_mut().add(&conns.sets[other as usize]);
        }
        expected_pairs.push((s, d, c));
    }
    let ip_maps = |mut edges: Vec<(u32, u32, IpRange)>| -> Vec<(u32, IpConnMap)> {
        edges.retain(|(e, _, _)| ok(*e));
        edges.sort_unstable_by_key(|(e, _, _)| *e);
        edges
            .chunk_by(|a, b| a.0 == b.0)
            .map(|group| {
                let mut map = IpConnMap::default();
                for (_, c, r) in group {
                    map.add(*r, &conns.sets[*c as usize]);
                }
                (group[0].0, map)
            })
            .filter(|(_, map)| !map.is_empty())
            .collect()
    };
    let expected_to = ip_maps(std::mem::take(&mut declared.to_ip));
    let expected_from = ip_maps(std::mem::take(&mut declared.from_ip));

    // The comparison (see `Relation::diff`).
    let mut diff = RelationDiff::default();
    actual_pairs.sort_unstable_by_key(|(s, d, _)| (*s, *d));
    let empty = ConnSet::empty();
    merge(
        &actual_pairs,
        &expected_pairs,
        |(s, d, _)| (*s, *d),
        |(s, d, _)| (*s, *d),
        |key, a, b| {
            let a = a.map_or(&empty, |(_, _, c)| *c);
            let b = b.map_or(&empty, |(_, _, c)| c.as_ref());
            if a == b {
                return;
            }
            for (list, c) in [
                (&mut diff.extra, a.subtract(b)),
                (&mut diff.missing, b.subtract(a)),
            ] {
                if !c.is_empty() {
                    list.push(Edge {
                        src: numbering.endpoint(key.0),
                        dst: numbering.endpoint(key.1),
                        conns: c,
                    });
                }
            }
        },
    );
    let sub = |a: Option<&ConnSet>, b: Option<&ConnSet>| match (a, b) {
        (Some(a), Some(b)) => a.subtract(b),
        (Some(a), None) => a.clone(),
        _ => ConnSet::empty(),
    };
    let empty_map = IpConnMap::default();
    for (incoming, mut mine, theirs) in [
        (true, actual_from, expected_from),
        (false, actual_to, expected_to),
    ] {
        mine.sort_unstable_by_key(|(e, _)| *e);
        merge(
            &mine,
            &theirs,
            |(e, _)| *e,
            |(e, _)| *e,
            |key, a, b| {
                let a = a.map_or(&empty_map, |(_, m)| *m);
                let b = b.map_or(&empty_map, |(_, m)| m);
                if a == b {
                    return;
                }
                for (list, map) in [
                    (&mut diff.extra, a.overlay(b, sub)),
                    (&mut diff.missing, b.overlay(a, sub)),
                ] {
                    for (r, c) in map.segments() {
                        let (src, dst) = if incoming {
                            (Endpoint::Ip(*r), numbering.endpoint(key))
                        } else {
                            (numbering.endpoint(key), Endpoint::Ip(*r))
                        };
                        list.push(Edge {
                            src,
                            dst,
                            conns: c.clone(),
                        });
                    }
                }
            },
        );
    }
    diff.extra.sort();
    diff.missing.sort();
    Proof {
        isolation: mismatches,
        diff,
    }
}

/// Visits the union of two lists sorted by unique keys, with each side's element for a key.
fn merge<A, B, K: Ord + Copy>(
    a: &[A],
    b: &[B],
    key_a: impl Fn(&A) -> K,
    key_b: impl Fn(&B) -> K,
    mut visit: impl FnMut(K, Option<&A>, Option<&B>),
) {
    let (mut i, mut j) = (0, 0);
    loop {
        match (a.get(i), b.get(j)) {
            (None, None) => break,
            (Some(x), None) => {
                visit(key_a(x), Some(x), None);
                i += 1;
            }
            (None, Some(y)) => {
                visit(key_b(y), None, Some(y));
                j += 1;
            }
            (Some(x), Some(y)) => {
                let (kx, ky) = (key_a(x), key_b(y));
                match kx.cmp(&ky) {
                    std::cmp::Ordering::Less => {
                        visit(kx, Some(x), None);
                        i += 1;
                    }
                    std::cmp::Ordering::Greater => {
                        visit(ky, None, Some(y));
                        j += 1;
                    }
                    std::cmp::Ordering::Equal => {
                        visit(kx, Some(x), Some(y));
                        i += 1;
                        j += 1;
                    }
                }
            }
        }
    }
}
