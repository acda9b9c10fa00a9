//! IP addresses as typed values: families, CIDRs, inclusive ranges and sets of ranges.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum IpFamily {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl IpFamily {
    /// The highest address of the family, as an integer.
    pub fn max(self) -> u128 {
        match self {
            IpFamily::V4 => u128::from(u32::MAX),
            IpFamily::V6 => u128::MAX,
        }
    }

    fn bits(self) -> u8 {
        match self {
            IpFamily::V4 => 32,
            IpFamily::V6 => 128,
        }
    }

    /// The whole address space of the family.
    pub fn universe(self) -> IpRange {
        IpRange {
            family: self,
            start: 0,
            end: self.max(),
        }
    }

    fn addr(self, n: u128) -> IpAddr {
        match self {
            IpFamily::V4 => IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX))),
            IpFamily::V6 => IpAddr::V6(Ipv6Addr::from(n)),
        }
    }
}

/// A CIDR block. Host bits are cleared on parsing, as Go's `net.ParseCIDR` (which Kubernetes
/// and np-guard use) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Cidr {
    family: IpFamily,
    network: u128,
    prefix: u8,
}

/// Why a CIDR did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrError(pub String);

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a CIDR (address/prefix-length)", self.0)
    }
}

impl std::error::Error for CidrError {}

impl Cidr {
    /// Parses `address/prefix`.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let err = || CidrError(s.to_string());
        let (addr, len) = s.trim().split_once('/').ok_or_else(err)?;
        let addr: IpAddr = addr.parse().map_err(|_| err())?;
        let prefix: u8 = len.parse().map_err(|_| err())?;
        Cidr::from_addr(addr, prefix).ok_or_else(err)
    }

    /// The block of `addr/prefix` (its host bits cleared), or `None` when the prefix is
    /// longer than the family's addresses.
    pub fn from_addr(addr: IpAddr, prefix: u8) -> Option<Cidr> {
        let (family, n) = match addr {
            IpAddr::V4(a) => (IpFamily::V4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (IpFamily::V6, u128::from(a)),
        };
        if prefix > family.bits() {
            return None;
        }
        let host_bits = u32::from(family.bits() - prefix);
        let mask = if host_bits >= 128 {
            0
        } else {
            family.max() & !((1u128 << host_bits) - 1)
        };
        Some(Cidr {
            family,
            network: n & mask,
            prefix,
        })
    }

    /// The whole space of a family (`0.0.0.0/0` or `::/0`).
    pub fn all(family: IpFamily) -> Cidr {
        Cidr {
            family,
            network: 0,
            prefix: 0,
        }
    }

    /// The address family.
    pub fn family(&self) -> IpFamily {
        self.family
    }

    /// The addresses of the block.
    pub fn range(&self) -> IpRange {
        let host_bits = u32::from(self.family.bits() - self.prefix);
        let size_minus_one = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits).wrapping_sub(1)
        };
        IpRange {
            family: self.family,
            start: self.network,
            end: (self.network | size_minus_one) & self.family.max(),
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.family.addr(self.network), self.prefix)
    }
}

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct IpRange {
    family: IpFamily,
    start: u128,
    end: u128,
}

impl IpRange {
    /// The range `start..=end`, or `None` when empty or outside the family.
    pub fn new(family: IpFamily, start: u128, end: u128) -> Option<IpRange> {
        (start <= end && end <= family.max()).then_some(IpRange { family, start, end })
    }

    /// The family.
    pub fn family(&self) -> IpFamily {
        self.family
    }

    /// The first address, as an integer.
    pub fn start(&self) -> u128 {
        self.start
    }

    /// The last address, as an integer.
    pub fn end(&self) -> u128 {
        self.end
    }

    /// The first address.
    pub fn first_addr(&self) -> IpAddr {
        self.family.addr(self.start)
    }

    /// The last address.
    pub fn last_addr(&self) -> IpAddr {
        self.family.addr(self.end)
    }

    /// True when the ranges share an address.
    pub fn overlaps(&self, other: &IpRange) -> bool {
        self.family == other.family && self.start <= other.end && other.start <= self.end
    }

    /// True when `other` lies inside `self`.
    pub fn contains(&self, other: &IpRange) -> bool {
        self.family == other.family && self.start <= other.start && other.end <= self.end
    }
}

impl fmt::Display for IpRange {
    /// np-guard's wording: `first-last`, e.g. `0.0.0.0-255.255.255.255`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first_addr(), self.last_addr())
    }
}

/// A set of addresses: sorted, disjoint, non-adjacent ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct IpSet {
    ranges: Vec<IpRange>,
}

impl IpSet {
    /// No address.
    pub fn empty() -> IpSet {
        IpSet::default()
    }

    /// The addresses of one range.
    pub fn from_range(r: IpRange) -> IpSet {
        IpSet { ranges: vec![r] }
    }

    /// The addresses of a CIDR minus its exceptions (a NetworkPolicy `ipBlock`).
    pub fn from_block(cidr: &Cidr, except: &[Cidr]) -> IpSet {
        let mut s = IpSet::from_range(cidr.range());
        for e in except {
            s = s.subtract(&IpSet::from_range(e.range()));
        }
        s
    }

    /// The ranges, sorted.
    pub fn ranges(&self) -> &[IpRange] {
        &self.ranges
    }

    /// True when no address is in the set.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The addresses of `self` not in `other`.
    pub fn subtract(&self, other: &IpSet) -> IpSet {
        let mut out = Vec::new();
        for r in &self.ranges {
            let mut start = r.start;
            let mut open = true;
            for o in other.ranges.iter().filter(|o| o.family == r.family) {
                if o.end < start || o.start > r.end {
                    continue;
                }
                if o.start > start {
                    out.push(IpRange {
                        family: r.family,
                        start,
                        end: o.start - 1,
                    });
                }
                if o.end >= r.end {
                    open = false;
                    break;
                }
                start = o.end + 1;
            }
            if open && start <= r.end {
                out.push(IpRange {
                    family: r.family,
                    start,
                    end: r.end,
                });
            }
        }
        IpSet { ranges: out }
    }

    /// True when `range` lies entirely inside the set.
    pub fn covers(&self, range: &IpRange) -> bool {
        self.ranges.iter().any(|r| r.contains(range))
    }

    /// Pushes the cut points of the set (each range's start and the address after its end)
    /// into `cuts`, per family.
    pub(crate) fn cut_points(&self, cuts: &mut Vec<(IpFamily, u128)>) {
        for r in &self.ranges {
            cuts.push((r.family, r.start));
            if r.end < r.family.max() {
                cuts.push((r.family, r.end + 1));
            }
        }
    }
}

/// Splits the given universes at the given cut points: the elementary ranges, sorted.
pub(crate) fn elementary_ranges(
    families: &[IpFamily],
    mut cuts: Vec<(IpFamily, u128)>,
) -> Vec<IpRange> {
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    for &family in families {
        let mut start = 0u128;
        for &(f, c) in &cuts {
            if f != family || c == 0 {
                continue;
            }
            out.push(IpRange {
                family,
                start,
                end: c - 1,
            });
            start = c;
        }
        out.push(IpRange {
            family,
            start,
            end: family.max(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_clears_host_bits() {
        let c = Cidr::parse("10.1.2.3/8").expect("cidr");
        assert_eq!(c.to_string(), "10.0.0.0/8");
        assert_eq!(c.range().to_string(), "10.0.0.0-10.255.255.255");
        let all = Cidr::parse("0.0.0.0/0").expect("cidr");
        assert_eq!(all.range().to_string(), "0.0.0.0-255.255.255.255");
        let v6 = Cidr::parse("2001:db8::/32").expect("cidr");
        assert_eq!(
            v6.range().to_string(),
            "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        assert_eq!(Cidr::parse("::/0").expect("cidr").range().end(), u128::MAX);
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn block_with_except() {
        let s = IpSet::from_block(
            &Cidr::parse("0.0.0.0/0").expect("cidr"),
            &[Cidr::parse("10.0.0.0/8").expect("cidr")],
        );
        let shown: Vec<String> = s.ranges().iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["0.0.0.0-9.255.255.255", "11.0.0.0-255.255.255.255"]);
    }
}
