//! The connectivity relation: which endpoint may open which connections to which endpoint,
//! in a canonical form two relations can be compared in; and the comparison itself.
//!
//! Endpoints are workloads, the ingress controller, and address ranges. For each workload the
//! addresses it may reach (or be reached from) are kept as a piecewise-constant map over the
//! address space with maximal ranges, so the same relation always has the same form no matter
//! how its ranges were cut when it was built.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::ip::{IpFamily, IpRange};
use crate::model::WorkloadId;
use crate::ports::ConnSet;

/// One end of a connection.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Endpoint {
    /// The ingress controller (np-guard's `{ingress-controller}`).
    IngressController,
    /// A workload (all pods of one owner).
    Workload(WorkloadId),
    /// Addresses outside the cluster's pods.
    Ip(IpRange),
}

impl fmt::Display for Endpoint {
    /// np-guard's wording: `ns/name[Kind]`, `{ingress-controller}`, `a.b.c.d-e.f.g.h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::IngressController => f.write_str("{ingress-controller}"),
            Endpoint::Workload(w) => w.fmt(f),
            Endpoint::Ip(r) => r.fmt(f),
        }
    }
}

/// One allowed (or differing) connection set between two endpoints.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Edge {
    /// Who opens the connection.
    pub src: Endpoint,
    /// Who accepts it.
    pub dst: Endpoint,
    /// Which protocols and destination ports.
    pub conns: ConnSet,
}

impl fmt::Display for Edge {
    /// `src => dst : conns`, np-guard's connlist line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} => {} : {}", self.src, self.dst, self.conns)
    }
}

/// A piecewise-constant map from addresses to connection sets: sorted, disjoint ranges, no
/// empty set, and no two adjacent ranges with the same set.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IpConnMap {
    segments: Vec<(IpRange, ConnSet)>,
}

impl IpConnMap {
    /// The segments, sorted.
    pub fn segments(&self) -> &[(IpRange, ConnSet)] {
        &self.segments
    }

    /// True when no address is mapped.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Builds a map from sorted, disjoint segments (canonicalizing them).
    pub(crate) fn from_sorted(segments: Vec<(IpRange, ConnSet)>) -> IpConnMap {
        let mut out: Vec<(IpRange, ConnSet)> = Vec::with_capacity(segments.len());
        for (r, c) in segments {
            if c.is_empty() {
                continue;
            }
            if let Some((last, lc)) = out.last_mut()
                && last.family() == r.family()
                && last.end().checked_add(1) == Some(r.start())
                && *lc == c
                && let Some(merged) = IpRange::new(r.family(), last.start(), r.end())
            {
                *last = merged;
                continue;
            }
            out.push((r, c));
        }
        IpConnMap { segments: out }
    }

    /// The value at a range that lies inside one segment or outside all.
    fn lookup_from(&self, pos: &mut usize, r: &IpRange) -> Option<&ConnSet> {
        while let Some((seg, _)) = self.segments.get(*pos) {
            if (seg.family(), seg.end()) < (r.family(), r.start()) {
                *pos += 1;
            } else {
                break;
            }
        }
        match self.segments.get(*pos) {
            Some((seg, c)) if seg.contains(r) => Some(c),
            _ => None,
        }
    }

    /// Combines two maps pointwise.
    pub fn overlay(
        &self,
        other: &IpConnMap,
        f: impl Fn(Option<&ConnSet>, Option<&ConnSet>) -> ConnSet,
    ) -> IpConnMap {
        let mut cuts = Vec::new();
        let mut families = BTreeSet::new();
        for (r, _) in self.segments.iter().chain(other.segments.iter()) {
            families.insert(r.family());
            cuts.push((r.family(), r.start()));
            if r.end() < r.family().max() {
                cuts.push((r.family(), r.end() + 1));
            }
        }
        let families: Vec<IpFamily> = families.into_iter().collect();
        let pieces = crate::ip::elementary_ranges(&families, cuts);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::with_capacity(pieces.len());
        for p in pieces {
            let a = self.lookup_from(&mut i, &p);
            let b = other.lookup_from(&mut j, &p);
            if a.is_none() && b.is_none() {
                continue;
            }
            out.push((p, f(a, b)));
        }
        IpConnMap::from_sorted(out)
    }

    /// Adds connections to a range.
    pub fn add(&mut self, range: IpRange, conns: &ConnSet) {
        let single = IpConnMap::from_sorted(vec![(range, conns.clone())]);
        *self = self.overlay(&single, |a, b| match (a, b) {
            (Some(a), Some(b)) => a.union(b),
            (Some(a), None) => a.clone(),
            (None, Some(b)) => b.clone(),
            (None, None) => ConnSet::empty(),
        });
    }
}

/// A connectivity relation between endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Relation {
    /// Between workloads and the ingress controller.
    pairs: BTreeMap<(Endpoint, Endpoint), ConnSet>,
    /// From addresses, per destination.
    from_ip: BTreeMap<Endpoint, IpConnMap>,
    /// To addresses, per source.
    to_ip: BTreeMap<Endpoint, IpConnMap>,
}

/// How a relation differs from an expected one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RelationDiff {
    /// Connections the relation allows and the expected one does not.
    pub extra: Vec<Edge>,
    /// Connections the expected relation allows and this one does not.
    pub missing: Vec<Edge>,
}

impl RelationDiff {
    /// True when the relations are equal.
    pub fn is_empty(&self) -> bool {
        self.extra.is_empty() && self.missing.is_empty()
    }
}

impl Relation {
    /// The empty relation (nothing allowed).
    pub fn new() -> Relation {
        Relation::default()
    }

    /// Allows `conns` from `src` to `dst` (in addition to what is already allowed). Edges
    /// between two address ranges are outside the model and are dropped.
    pub fn insert(&mut self, src: Endpoint, dst: Endpoint, conns: &ConnSet) {
        if conns.is_empty() {
            return;
        }
        match (src, dst) {
            (Endpoint::Ip(_), Endpoint::Ip(_)) => {}
            (Endpoint::Ip(r), dst) => self.from_ip.entry(dst).or_default().add(r, conns),
            (src, Endpoint::Ip(r)) => self.to_ip.entry(src).or_default().add(r, conns),
            (src, dst) => self.pairs.entry((src, dst)).or_default().add(conns),
        }
    }

    pub(crate) fn set_from_ip(&mut self, dst: Endpoint, map: IpConnMap) {
        if !map.is_empty() {
            self.from_ip.insert(dst, map);
        }
    }

    pub(crate) fn set_to_ip(&mut self, src: Endpoint, map: IpConnMap) {
        if !map.is_empty() {
            self.to_ip.insert(src, map);
        }
    }

    pub(crate) fn set_pair(&mut self, src: Endpoint, dst: Endpoint, conns: ConnSet) {
        if !conns.is_empty() {
            self.pairs.insert((src, dst), conns);
        }
    }

    /// What `src` may open to `dst` (workloads and the ingress controller only).
    pub fn between(&self, src: &Endpoint, dst: &Endpoint) -> ConnSet {
        self.pairs
            .get(&(src.clone(), dst.clone()))
            .cloned()
            .unwrap_or_default()
    }

    /// The addresses that may reach `dst`, with what.
    pub fn from_addresses(&self, dst: &Endpoint) -> Option<&IpConnMap> {
        self.from_ip.get(dst)
    }

    /// The addresses `src` may reach, with what.
    pub fn to_addresses(&self, src: &Endpoint) -> Option<&IpConnMap> {
        self.to_ip.get(src)
    }

    /// Drops the connections of each workload to itself (np-guard leaves them out).
    pub fn without_self_loops(mut self) -> Relation {
        self.pairs.retain(|(s, d), _| s != d);
        self
    }

    /// Every edge, sorted by source then destination; address ranges are maximal.
    pub fn edges(&self) -> Vec<Edge> {
        let mut out: Vec<Edge> = self
            .pairs
            .iter()
            .map(|((s, d), c)| Edge {
                src: s.clone(),
                dst: d.clone(),
                conns: c.clone(),
            })
            .collect();
        for (dst, map) in &self.from_ip {
            for (r, c) in map.segments() {
                out.push(Edge {
                    src: Endpoint::Ip(*r),
                    dst: dst.clone(),
                    conns: c.clone(),
                });
            }
        }
        for (src, map) in &self.to_ip {
            for (r, c) in map.segments() {
                out.push(Edge {
                    src: src.clone(),
                    dst: Endpoint::Ip(*r),
                    conns: c.clone(),
                });
            }
        }
        out.sort();
        out
    }

    /// The number of edges [`Relation::edges`] returns.
    pub fn len(&self) -> usize {
        self.pairs.len()
            + self
                .from_ip
                .values()
                .map(|m| m.segments().len())
                .sum::<usize>()
            + self
                .to_ip
                .values()
                .map(|m| m.segments().len())
                .sum::<usize>()
    }

    /// True when nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Compares with an expected relation: what this one allows beyond it (`extra`) and what
    /// it lacks (`missing`), at the granularity of ports and address ranges.
    pub fn diff(&self, expected: &Relation) -> RelationDiff {
        let mut diff = RelationDiff::default();
        let keys: BTreeSet<&(Endpoint, Endpoint)> =
            self.pairs.keys().chain(expected.pairs.keys()).collect();
        let empty = ConnSet::empty();
        for key in keys {
            let a = self.pairs.get(key).unwrap_or(&empty);
            let b = expected.pairs.get(key).unwrap_or(&empty);
            let extra = a.subtract(b);
            if !extra.is_empty() {
                diff.extra.push(Edge {
                    src: key.0.clone(),
                    dst: key.1.clone(),
                    conns: extra,
                });
            }
            let missing = b.subtract(a);
            if !missing.is_empty() {
                diff.missing.push(Edge {
                    src: key.0.clone(),
                    dst: key.1.clone(),
                    conns: missing,
                });
            }
        }
        let sub = |a: Option<&ConnSet>, b: Option<&ConnSet>| match (a, b) {
            (Some(a), Some(b)) => a.subtract(b),
            (Some(a), None) => a.clone(),
            _ => ConnSet::empty(),
        };
        let empty_map = IpConnMap::default();
        for incoming in [true, false] {
            let (mine, theirs) = if incoming {
                (&self.from_ip, &expected.from_ip)
            } else {
                (&self.to_ip, &expected.to_ip)
            };
            let keys: BTreeSet<&Endpoint> = mine.keys().chain(theirs.keys()).collect();
            for key in keys {
                let a = mine.get(key).unwrap_or(&empty_map);
                let b = theirs.get(key).unwrap_or(&empty_map);
                for (list, map) in [
                    (&mut diff.extra, a.overlay(b, sub)),
                    (&mut diff.missing, b.overlay(a, sub)),
                ] {
                    for (r, c) in map.segments {
                        let (src, dst) = if incoming {
                            (Endpoint::Ip(r), key.clone())
                        } else {
                            (key.clone(), Endpoint::Ip(r))
                        };
                        list.push(Edge { src, dst, conns: c });
                    }
                }
            }
        }
        diff.extra.sort();
        diff.missing.sort();
        diff
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip::Cidr;
    use crate::model::{NamespaceName, ObjectName, WorkloadKind};
    use crate::ports::{PortNumber, PortSet, Protocol};

    fn w(name: &str) -> Endpoint {
        Endpoint::Workload(WorkloadId {
            namespace: NamespaceName::new("ns"),
            name: ObjectName::new(name),
            kind: WorkloadKind::Deployment,
        })
    }

    fn tcp(n: i64) -> ConnSet {
        ConnSet::of(
            Protocol::Tcp,
            PortSet::single(PortNumber::new(n).expect("port")),
        )
    }

    fn ip(s: &str) -> Endpoint {
        Endpoint::Ip(Cidr::parse(s).expect("cidr").range())
    }

    #[test]
    fn diff_reports_extra_and_missing_ports() {
        let mut a = Relation::new();
        a.insert(w("a"), w("b"), &tcp(80).union(&tcp(443)));
        let mut e = Relation::new();
        e.insert(w("a"), w("b"), &tcp(443));
        e.insert(w("b"), w("a"), &tcp(5432));
        let d = a.diff(&e);
        assert_eq!(
            d.extra,
            vec![Edge {
                src: w("a"),
                dst: w("b"),
                conns: tcp(80)
            }]
        );
        assert_eq!(
            d.missing,
            vec![Edge {
                src: w("b"),
                dst: w("a"),
                conns: tcp(5432)
            }]
        );
    }

    #[test]
    fn ip_ranges_compare_regardless_of_cuts() {
        let mut a = Relation::new();
        a.insert(w("a"), ip("10.0.0.0/9"), &tcp(443));
        a.insert(w("a"), ip("10.128.0.0/9"), &tcp(443));
        let mut e = Relation::new();
        e.insert(w("a"), ip("10.0.0.0/8"), &tcp(443));
        assert!(a.diff(&e).is_empty());
        assert_eq!(a.edges().len(), 1);
        e.insert(w("a"), ip("10.1.0.0/16"), &tcp(80));
        let d = a.diff(&e);
        assert!(d.extra.is_empty());
        assert_eq!(
            d.missing,
            vec![Edge {
                src: w("a"),
                dst: ip("10.1.0.0/16"),
                conns: tcp(80)
            }]
        );
    }
}
