//! Checked literal types. Each is built only by the checker, after validation, so holding one
//! means the value is well-formed.

use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

/// A declared name (kebab-case by convention): `optimal-system`, `require-labels`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Name(pub String);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// True when the name is a valid DNS-1123 label (what most Kubernetes object names need).
    pub fn is_dns1123_label(&self) -> bool {
        is_dns1123_label(&self.0)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 1123 label: lowercase alphanumerics and `-`, starting and ending alphanumeric, ≤ 63.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// RFC 1123 subdomain: dot-separated labels, ≤ 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Days since 1970-01-01 (proleptic Gregorian), for "expires within 30 days".
    pub fn days_since_epoch(self) -> i64 {
        let (y, m, d) = (self.year as i64, self.month as i64, self.day as i64);
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A TCP/UDP/SCTP port, 1–65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Port(pub u16);

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Protocol {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

/// An address block with no host bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or an IPv6 block; `Err` says what is wrong.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (a, p) = s
            .split_once('/')
            .ok_or_else(|| "missing `/prefix`".to_string())?;
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("`{a}` is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = p
            .parse()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("prefix `/{p}` is not 0–{max}"))?;
        let c = Cidr { addr, prefix };
        if c.network() != addr {
            return Err(format!(
                "host bits are set; the block is `{}`",
                Cidr {
                    addr: c.network(),
                    prefix
                }
            ));
        }
        Ok(c)
    }

    fn bits(&self) -> (u128, u32) {
        match self.addr {
            IpAddr::V4(a) => (u32::from(a) as u128, 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        }
    }

    fn mask(&self) -> u128 {
        let (_, width) = self.bits();
        if self.prefix == 0 {
            0
        } else {
            (!0u128 << (width - self.prefix as u32)) & (if width == 32 { 0xffff_ffff } else { !0 })
        }
    }

    /// The address with host bits cleared.
    pub fn network(&self) -> IpAddr {
        let (v, _) = self.bits();
        let n = v & self.mask();
        match self.addr {
            IpAddr::V4(_) => IpAddr::V4((n as u32).into()),
            IpAddr::V6(_) => IpAddr::V6(n.into()),
        }
    }

    /// True when `other` lies entirely inside `self` (same family).
    pub fn contains(&self, other: &Cidr) -> bool {
        self.addr.is_ipv4() == other.addr.is_ipv4() && other.prefix >= self.prefix && {
            let (o, _) = other.bits();
            o & self.mask() == self.bits().0 & self.mask()
        }
    }

    /// True when the two blocks share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A length of time, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Duration(pub u64);

impl Duration {
    pub fn seconds(self) -> u64 {
        self.0
    }
}

/// A Kubernetes resource quantity (`500m`, `2`, `4Gi`), kept in canonical written form with
/// its value in milli-units for comparisons.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Quantity {
    pub text: String,
    #[serde(skip)]
    pub millis: i128,
}

/// An absolute `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Url(pub String);

/// A Kubernetes label key (`app.kubernetes.io/name`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LabelKey(pub String);

/// A Kubernetes label value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LabelValue(pub String);

/// Labels to match or to set.
pub type Labels = std::collections::BTreeMap<LabelKey, LabelValue>;

/// An image reference glob (`registry.optimal.io/*`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ImageGlob(pub String);

/// A foreign expression kept verbatim (CEL, a Falco condition), with where it was written.
/// Its own checker comes with its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expr {
    pub text: String,
    #[serde(skip)]
    pub span: diagnostics::Span,
}

/// Enforce or only report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Enforce,
    Audit,
}
