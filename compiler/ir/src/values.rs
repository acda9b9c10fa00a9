//! Checked literal types. Each is built only by the checker, after validation, so holding one
//! means the value is well-formed.

use serde::Serialize;
pub use smol_str::SmolStr;
use std::fmt;
use std::net::IpAddr;

/// A declared name (kebab-case by convention): `optimal-system`, `require-labels`.
///
/// Held as a [`SmolStr`]: a clone is a copy of 24 bytes (a name of up to 23 bytes is held in
/// place, a longer one shares its text), and names are cloned everywhere a large posture's
/// items are indexed, keyed and traced (every item id holds one). Compared, ordered and hashed
/// as its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Name(pub SmolStr);

impl Name {
    /// The name `text`.
    pub fn new(text: impl AsRef<str>) -> Name {
        Name(SmolStr::new(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// True when the name is a valid DNS-1123 label (what most Kubernetes object names need).
    pub fn is_dns1123_label(&self) -> bool {
        is_dns1123_label(&self.0)
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A map keyed by names is looked up by a `&str` (no name made for the lookup): a name
/// compares, orders and hashes as its text.
impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
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

/// Calendar arithmetic in the proleptic Gregorian calendar, after Howard Hinnant's
/// `days_from_civil` / `civil_from_days`. The one implementation: the checker's "expires within
/// 30 days", the CLI's "today" from the clock and the Kyverno target's "day after expiry" all
/// use it.
impl Date {
    /// The last representable date: the posture language writes years with four digits.
    pub const MAX_YEAR: u16 = 9999;

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400); // [0, 399]
        let mp = (m + 9) % 12; // [0, 11], March first
        let doy = (153 * mp + 2) / 5 + d - 1; // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01 (before it when negative); `None` outside the
    /// years 0 to [`Date::MAX_YEAR`].
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097); // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
        let mp = (5 * doy + 2) / 153; // [0, 11], March first
        let day = u8::try_from(doy - (153 * mp + 2) / 5 + 1).ok()?; // [1, 31]
        let month = u8::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).ok()?; // [1, 12]
        let year = era
            .checked_mul(400)?
            .checked_add(yoe + i64::from(month <= 2))?;
        let year = u16::try_from(year).ok().filter(|y| *y <= Self::MAX_YEAR)?;
        Some(Date { year, month, day })
    }

    /// The date `days` days later (earlier when negative); `None` past the representable years.
    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }

    /// Whether `year` has a 29 February.
    pub fn is_leap_year(year: u16) -> bool {
        (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
    }

    /// The number of days of `month` (1 to 12) in `year`.
    pub fn days_in_month(year: u16, month: u8) -> u8 {
        match month {
            2 if Date::is_leap_year(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
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

#[cfg(test)]
mod date_tests {
    use super::Date;

    fn date(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(date(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(date(1969, 12, 31).days_since_epoch(), -1);
        assert_eq!(date(2000, 3, 1).days_since_epoch(), 11_017);
        assert_eq!(date(2026, 1, 31).days_since_epoch(), 20_484);
        assert_eq!(Date::from_days_since_epoch(20_484), Some(date(2026, 1, 31)));
        assert_eq!(Date::from_days_since_epoch(-1), Some(date(1969, 12, 31)));
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // Walk day by day from 1970 for 400 years, comparing with a naive calendar.
        let (mut y, mut m, mut d) = (1970u16, 1u8, 1u8);
        for days in 0..146_097 {
            let naive = date(y, m, d);
            assert_eq!(Date::from_days_since_epoch(days), Some(naive), "day {days}");
            assert_eq!(naive.days_since_epoch(), days, "{naive}");
            d += 1;
            if d > Date::days_in_month(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn add_days_crosses_months_years_and_leap_days() {
        let next = |d: Date| d.add_days(1);
        assert_eq!(next(date(2027, 1, 31)), Some(date(2027, 2, 1)));
        assert_eq!(next(date(2028, 2, 28)), Some(date(2028, 2, 29)));
        assert_eq!(next(date(2027, 2, 28)), Some(date(2027, 3, 1)));
        assert_eq!(next(date(2100, 2, 28)), Some(date(2100, 3, 1)));
        assert_eq!(next(date(2026, 12, 31)), Some(date(2027, 1, 1)));
        assert_eq!(date(2026, 3, 1).add_days(-1), Some(date(2026, 2, 28)));
        assert_eq!(date(2026, 1, 1).add_days(30), Some(date(2026, 1, 31)));
    }

    #[test]
    fn the_ends_of_the_representable_years() {
        assert_eq!(next_of(date(9999, 12, 30)), Some(date(9999, 12, 31)));
        assert_eq!(next_of(date(9999, 12, 31)), None);
        assert_eq!(date(0, 1, 1).add_days(-1), None);
        assert_eq!(date(0, 3, 1).add_days(-1), Some(date(0, 2, 29)));
        assert_eq!(Date::from_days_since_epoch(i64::MAX), None);
        assert_eq!(Date::from_days_since_epoch(i64::MIN), None);
    }

    fn next_of(d: Date) -> Option<Date> {
        d.add_days(1)
    }

    #[test]
    fn leap_years() {
        assert!(Date::is_leap_year(2000) && Date::is_leap_year(2024));
        assert!(!Date::is_leap_year(1900) && !Date::is_leap_year(2025));
        assert_eq!(Date::days_in_month(2024, 2), 29);
        assert_eq!(Date::days_in_month(2025, 2), 28);
        assert_eq!(Date::days_in_month(2025, 4), 30);
        assert_eq!(Date::days_in_month(2025, 12), 31);
    }
}
