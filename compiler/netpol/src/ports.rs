//! Ports and protocols: typed port numbers, interval sets of ports, and connection sets
//! (one port set per protocol).

use smallvec::{SmallVec, smallvec};
use std::fmt;

/// The lowest port a NetworkPolicy can name.
pub const MIN_PORT: u16 = 1;
/// The highest port a NetworkPolicy can name.
pub const MAX_PORT: u16 = 65535;

/// A transport protocol a NetworkPolicy can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Protocol {
    /// Stream Control Transmission Protocol.
    Sctp,
    /// Transmission Control Protocol (the default when a rule names none).
    Tcp,
    /// User Datagram Protocol.
    Udp,
}

impl Protocol {
    /// Every protocol, in the order used for output (alphabetical, as np-guard prints them).
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// The Kubernetes spelling (`TCP`, `UDP`, `SCTP`).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    /// Parses the Kubernetes spelling; Kubernetes itself is case-sensitive here.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Protocol::Sctp => 0,
            Protocol::Tcp => 1,
            Protocol::Udp => 2,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A port number in `1..=65535`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PortNumber(u16);

impl PortNumber {
    /// A port number, or `None` outside `1..=65535`.
    pub fn new(n: i64) -> Option<PortNumber> {
        if (i64::from(MIN_PORT)..=i64::from(MAX_PORT)).contains(&n) {
            u16::try_from(n).ok().map(PortNumber)
        } else {
            None
        }
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for PortNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A set of ports, kept as sorted, disjoint, non-adjacent inclusive intervals.
///
/// A set of one interval (most of them: a port, a range, every port) is held in place,
/// without a vector to allocate and free; the analysis makes, merges and intersects some
/// hundreds of thousands at scale. Compared, ordered, hashed, debugged and serialized as the
/// list of its intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PortSet {
    ranges: Ranges,
}

/// The intervals of a [`PortSet`], one of them in place.
type Ranges = SmallVec<[(u16, u16); 1]>;

impl PortSet {
    /// No port.
    pub fn empty() -> PortSet {
        PortSet {
            ranges: Ranges::new(),
        }
    }

    /// Every port, `1..=65535`.
    pub fn all() -> PortSet {
        PortSet {
            ranges: smallvec![(MIN_PORT, MAX_PORT)],
        }
    }

    /// The ports `start..=end` (empty when `start > end`).
    pub fn range(start: PortNumber, end: PortNumber) -> PortSet {
        if start.0 > end.0 {
            PortSet::empty()
        } else {
            PortSet {
                ranges: smallvec![(start.0, end.0)],
            }
        }
    }

    /// One port.
    pub fn single(port: PortNumber) -> PortSet {
        PortSet::range(port, port)
    }

    /// True when no port is in the set.
    pub fn is_empty(&self) -> bool {
        self.ranges().is_empty()
    }

    /// True when every port is in the set.
    pub fn is_all(&self) -> bool {
        self.ranges() == [(MIN_PORT, MAX_PORT)]
    }

    /// The intervals, sorted and disjoint.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    /// True when `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.ranges().iter().any(|&(a, b)| a <= port && port <= b)
    }

    /// The union of two sets.
    pub fn union(&self, other: &PortSet) -> PortSet {
        let mut out = self.clone();
        out.add(other);
        out
    }

    /// True when every port of `other` is in the set.
    pub fn covers(&self, other: &PortSet) -> bool {
        let mut mine = self.ranges().iter();
        let mut current = mine.next();
        for &(a, b) in other.ranges() {
            loop {
                match current {
                    None => return false,
                    Some(&(_, d)) if d < a => current = mine.next(),
                    Some(&(c, d)) => {
                        if c > a || d < b {
                            return false;
                        }
                        break;
                    }
                }
            }
        }
        true
    }

    /// Adds the ports of `other`; nothing is allocated when the set has them already, or
    /// when the union is one interval.
    pub fn add(&mut self, other: &PortSet) {
        if other.is_empty() || self.covers(other) {
            return;
        }
        if self.is_empty() {
            self.ranges = other.ranges.clone();
            return;
        }
        // Both lists are sorted: merge them, joining overlapping and adjacent intervals.
        let (mine, theirs) = (self.ranges(), other.ranges());
        let mut out = Ranges::new();
        let (mut i, mut j) = (0, 0);
        loop {
            let (a, b) = match (mine.get(i), theirs.get(j)) {
                (Some(x), Some(y)) if x <= y => {
                    i += 1;
                    *x
                }
                (_, Some(y)) => {
                    j += 1;
                    *y
                }
                (Some(x), None) => {
                    i += 1;
                    *x
                }
                (None, None) => break,
            };
            match out.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => {
                    last.1 = last.1.max(b);
                }
                _ => out.push((a, b)),
            }
        }
        self.ranges = out;
    }

    /// The intersection of two sets.
    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let (mine, theirs) = (self.ranges(), other.ranges());
        let mut out = Ranges::new();
        let (mut i, mut j) = (0, 0);
        while let (Some(&(a1, b1)), Some(&(a2, b2))) = (mine.get(i), theirs.get(j)) {
            let lo = a1.max(a2);
            let hi = b1.min(b2);
            if lo <= hi {
                out.push((lo, hi));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet { ranges: out }
    }

    /// The ports of `self` that are not in `other`.
    pub fn subtract(&self, other: &PortSet) -> PortSet {
        let mut out = Ranges::new();
        let mut push = |a: u32, b: u32| {
            if let (Ok(a), Ok(b)) = (u16::try_from(a), u16::try_from(b)) {
                out.push((a, b));
            }
        };
        for &(a, b) in self.ranges() {
            let mut start = u32::from(a);
            let end = u32::from(b);
            for &(c, d) in other.ranges() {
                let (c, d) = (u32::from(c), u32::from(d));
                if d < start || c > end {
                    continue;
                }
                if c > start {
                    push(start, c - 1);
                }
                start = d + 1;
                if start > end {
                    break;
                }
            }
            if start <= end {
                push(start, end);
            }
        }
        PortSet { ranges: out }
    }
}

impl fmt::Display for PortSet {
    /// Ports as np-guard prints them: `53`, `8080-8081`, comma-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.ranges().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

/// A set of connections: for each protocol, the set of destination ports.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ConnSet {
    by_protocol: [PortSet; 3],
}

impl ConnSet {
    /// No connection.
    pub fn empty() -> ConnSet {
        ConnSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> ConnSet {
        ConnSet {
            by_protocol: [PortSet::all(), PortSet::all(), PortSet::all()],
        }
    }

    /// The given ports of one protocol.
    pub fn of(protocol: Protocol, ports: PortSet) -> ConnSet {
        let mut c = ConnSet::empty();
        c.by_protocol[protocol.index()] = ports;
        c
    }

    /// The ports of one protocol.
    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        &self.by_protocol[protocol.index()]
    }

    /// True when nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.by_protocol.iter().all(PortSet::is_empty)
    }

    /// True when everything is allowed.
    pub fn is_all(&self) -> bool {
        self.by_protocol.iter().all(PortSet::is_all)
    }

    /// Adds the connections of `other`.
    pub fn add(&mut self, other: &ConnSet) {
        for (mine, theirs) in self.by_protocol.iter_mut().zip(other.by_protocol.iter()) {
            mine.add(theirs);
        }
    }

    /// Adds ports of one protocol.
    pub fn add_ports(&mut self, protocol: Protocol, ports: &PortSet) {
        self.by_protocol[protocol.index()].add(ports);
    }

    /// The union of two sets.
    pub fn union(&self, other: &ConnSet) -> ConnSet {
        let mut c = self.clone();
        c.add(other);
        c
    }

    /// The intersection of two sets.
    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            by_protocol: [
                self.by_protocol[0].intersect(&other.by_protocol[0]),
                self.by_protocol[1].intersect(&other.by_protocol[1]),
                self.by_protocol[2].intersect(&other.by_protocol[2]),
            ],
        }
    }

    /// The connections of `self` that are not in `other`.
    pub fn subtract(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            by_protocol: [
                self.by_protocol[0].subtract(&other.by_protocol[0]),
                self.by_protocol[1].subtract(&other.by_protocol[1]),
                self.by_protocol[2].subtract(&other.by_protocol[2]),
            ],
        }
    }

    /// The non-empty protocols with their ports, in output order.
    pub fn iter(&self) -> impl Iterator<Item = (Protocol, &PortSet)> {
        Protocol::ALL
            .into_iter()
            .map(|p| (p, &self.by_protocol[p.index()]))
            .filter(|(_, s)| !s.is_empty())
    }
}

impl fmt::Display for ConnSet {
    /// np-guard's wording: `All Connections`, `No Connections`, or `TCP 8080,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        for (i, (p, ports)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{p} {ports}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(n: i64) -> PortNumber {
        PortNumber::new(n).expect("valid port")
    }

    #[test]
    fn union_merges_adjacent() {
        let a = PortSet::range(p(1), p(10));
        let b = PortSet::range(p(11), p(20));
        assert_eq!(a.union(&b), PortSet::range(p(1), p(20)));
    }

    /// The in-place union (merge, no sort; nothing allocated when covered) gives what the
    /// union of the sorted concatenation gives, on every pair of small sets.
    #[test]
    fn add_is_the_union() {
        let reference = |x: &PortSet, y: &PortSet| {
            let mut all: Vec<(u16, u16)> = x.ranges().iter().chain(y.ranges()).copied().collect();
            all.sort_unstable();
            let mut out: Vec<(u16, u16)> = Vec::new();
            for (a, b) in all {
                match out.last_mut() {
                    Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                    _ => out.push((a, b)),
                }
            }
            from_ranges(&out)
        };
        let sets = sample_sets();
        for x in &sets {
            for y in &sets {
                let want = reference(x, y);
                assert_eq!(x.union(y), want, "{x} + {y}");
                let mut z = x.clone();
                z.add(y);
                assert_eq!(z, want);
                assert_eq!(x.covers(y), want == *x, "{x} covers {y}");
            }
        }
    }

    fn from_ranges(ranges: &[(u16, u16)]) -> PortSet {
        PortSet {
            ranges: Ranges::from_slice(ranges),
        }
    }

    /// The small sets the tests combine pairwise: none, every port, each range of 1..=6, and
    /// each of those with a single port or a range up to 10 apart from it.
    fn sample_sets() -> Vec<PortSet> {
        let mut sets = vec![PortSet::empty(), PortSet::all()];
        for a in 1..7 {
            for b in a..7 {
                sets.push(PortSet::range(p(a), p(b)));
                for c in b + 2..9 {
                    sets.push(PortSet::range(p(a), p(b)).union(&PortSet::single(p(c))));
                    sets.push(from_ranges(&[(a as u16, b as u16), (c as u16, 10)]));
                }
            }
        }
        sets
    }

    /// The ports of a set, one by one (below 12: the small sets of the tests).
    fn members(x: &PortSet) -> Vec<u16> {
        (1..12).filter(|n| x.contains(*n)).collect()
    }

    /// Sets of none, one (in place) and several intervals intersect, subtract, compare,
    /// order, hash, debug-print and serialize as the vectors of their intervals did.
    #[test]
    fn small_sets_behave_as_vectors() {
        let sets = sample_sets();
        let hash = |x: &dyn Fn(&mut std::hash::DefaultHasher)| {
            use std::hash::Hasher;
            let mut h = std::hash::DefaultHasher::new();
            x(&mut h);
            h.finish()
        };
        for x in &sets {
            let xv = x.ranges().to_vec();
            assert_eq!(
                format!("{x:?}"),
                format!("PortSet {{ ranges: {xv:?} }}"),
                "{x}"
            );
            assert_eq!(
                serde_json::to_string(x).ok(),
                serde_json::to_string(&serde_json::json!({ "ranges": xv })).ok()
            );
            for y in &sets {
                let yv = y.ranges().to_vec();
                assert_eq!(x.cmp(y), xv.cmp(&yv), "{x} {y}");
                assert_eq!(x == y, xv == yv, "{x} {y}");
                assert_eq!(
                    hash(&|h| std::hash::Hash::hash(x, h)),
                    hash(&|h| std::hash::Hash::hash(&xv, h))
                );
                let both: Vec<u16> = members(x).into_iter().filter(|n| y.contains(*n)).collect();
                assert_eq!(members(&x.intersect(y)), both, "{x} & {y}");
                let only: Vec<u16> = members(x).into_iter().filter(|n| !y.contains(*n)).collect();
                let d = x.subtract(y);
                assert_eq!(members(&d), only, "{x} - {y}");
                // Results are kept apart and sorted, whatever their size.
                assert!(d.ranges().windows(2).all(|w| w[0].1 + 1 < w[1].0), "{d:?}");
                let i = x.intersect(y);
                assert!(i.ranges().windows(2).all(|w| w[0].1 < w[1].0), "{i:?}");
            }
        }
    }

    #[test]
    fn subtract_splits() {
        let a = PortSet::all();
        let b = PortSet::single(p(80));
        let d = a.subtract(&b);
        assert_eq!(d.ranges(), &[(1, 79), (81, 65535)]);
        assert_eq!(d.union(&b), PortSet::all());
        assert!(d.intersect(&b).is_empty());
    }

    #[test]
    fn display_matches_np_guard() {
        let mut c = ConnSet::of(Protocol::Tcp, PortSet::range(p(8080), p(8081)));
        c.add_ports(Protocol::Udp, &PortSet::single(p(9091)));
        c.add_ports(Protocol::Sctp, &PortSet::single(p(7070)));
        assert_eq!(c.to_string(), "SCTP 7070,TCP 8080-8081,UDP 9091");
        assert_eq!(ConnSet::all().to_string(), "All Connections");
    }
}
