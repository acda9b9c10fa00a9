//! Ids of non-NIST requirements (SOC 2 criteria, HIPAA paragraphs, DoD readiness requirements)
//! and [`ControlRef`], the one typed id every framework requirement has.

use std::fmt;
use std::str::FromStr;

use crate::error::{ControlIdError, MalformedReason};
use crate::id::ControlId;

/// A category of the 2017 AICPA Trust Services Criteria, in the TSC's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Soc2Category {
    /// Security: the common criteria `CC1`–`CC9`, part of every SOC 2.
    Security,
    /// Availability: `A1`.
    Availability,
    /// Confidentiality: `C1`.
    Confidentiality,
    /// Processing integrity: `PI1`.
    ProcessingIntegrity,
    /// Privacy: `P1`–`P8`.
    Privacy,
}

impl Soc2Category {
    /// The criterion prefix (`CC`, `A`, `C`, `PI`, `P`).
    pub fn prefix(self) -> &'static str {
        match self {
            Soc2Category::Security => "CC",
            Soc2Category::Availability => "A",
            Soc2Category::Confidentiality => "C",
            Soc2Category::ProcessingIntegrity => "PI",
            Soc2Category::Privacy => "P",
        }
    }

    /// The category's name.
    pub fn title(self) -> &'static str {
        match self {
            Soc2Category::Security => "Security (Common Criteria)",
            Soc2Category::Availability => "Availability",
            Soc2Category::Confidentiality => "Confidentiality",
            Soc2Category::ProcessingIntegrity => "Processing Integrity",
            Soc2Category::Privacy => "Privacy",
        }
    }
}

/// A 2017 Trust Services Criterion such as `CC6.1` (written `soc2:CC6.1` in a posture).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Soc2Id {
    category: Soc2Category,
    group: u8,
    number: u8,
}

impl Soc2Id {
    /// The criterion's category.
    pub fn category(&self) -> Soc2Category {
        self.category
    }

    /// The group (`6` in `CC6.1`).
    pub fn group(&self) -> u8 {
        self.group
    }

    /// The number within the group (`1` in `CC6.1`).
    pub fn number(&self) -> u8 {
        self.number
    }
}

impl fmt::Display for Soc2Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}.{}",
            self.category.prefix(),
            self.group,
            self.number
        )
    }
}

impl FromStr for Soc2Id {
    type Err = ControlIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ControlIdError::Malformed {
            input: s.to_string(),
            reason: MalformedReason::BadSoc2,
        };
        let t = s.trim();
        let split = t
            .bytes()
            .position(|b| !b.is_ascii_alphabetic())
            .unwrap_or(t.len());
        let category = match t[..split].to_ascii_uppercase().as_str() {
            "CC" => Soc2Category::Security,
            "A" => Soc2Category::Availability,
            "C" => Soc2Category::Confidentiality,
            "PI" => Soc2Category::ProcessingIntegrity,
            "P" => Soc2Category::Privacy,
            _ => return Err(bad()),
        };
        let (group, number) = t[split..].split_once('.').ok_or_else(bad)?;
        let group = small_number(group).ok_or_else(bad)?;
        let number = small_number(number).ok_or_else(bad)?;
        Ok(Soc2Id {
            category,
            group,
            number,
        })
    }
}

/// A number in `1..=99` written with ASCII digits only.
fn small_number(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u8 = s.parse().ok()?;
    (1..=99).contains(&n).then_some(n)
}

/// How deep a HIPAA paragraph citation may go: `(a)(2)(i)(C)`.
const HIPAA_LEVELS: usize = 4;

/// A paragraph of the HIPAA Security Rule (45 CFR Part 164 Subpart C), such as
/// `164.312(a)(1)` (written `hipaa:164.312(a)(1)` in a posture).
///
/// Paragraph levels follow the CFR: a lower-case letter, a number, a lower-case roman numeral,
/// an upper-case letter. The derived order is the regulation's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HipaaId {
    section: u16,
    /// Paragraph numbers per level, 1-based; 0 ends the citation.
    path: [u8; HIPAA_LEVELS],
}

impl HipaaId {
    /// The section number (`312` in `164.312(a)(1)`).
    pub fn section(&self) -> u16 {
        self.section
    }

    /// A citation from a section number and 1-based paragraph numbers per level; `None` when
    /// there are too many levels, a zero, or a number the level cannot print.
    pub fn from_parts(section: u16, paragraphs: &[u8]) -> Option<HipaaId> {
        if !(302..=318).contains(&section) || paragraphs.len() > HIPAA_LEVELS {
            return None;
        }
        let mut path = [0u8; HIPAA_LEVELS];
        for (level, &n) in paragraphs.iter().enumerate() {
            let max = match level {
                0 | 3 => 26,
                1 => 99,
                _ => 39,
            };
            if n == 0 || n > max {
                return None;
            }
            path[level] = n;
        }
        Some(HipaaId { section, path })
    }

    /// The paragraph numbers per level (`[1, 1]` for `(a)(1)`), 1-based.
    pub fn paragraphs(&self) -> Vec<u8> {
        self.path.iter().copied().take_while(|&p| p != 0).collect()
    }
}

impl fmt::Display for HipaaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "164.{}", self.section)?;
        for (level, &n) in self.path.iter().enumerate().take_while(|(_, n)| **n != 0) {
            match level {
                0 => write!(f, "({})", char::from(b'a' + (n - 1)))?,
                1 => write!(f, "({n})")?,
                2 => write!(f, "({})", roman(n))?,
                _ => write!(f, "({})", char::from(b'A' + (n - 1)))?,
            }
        }
        Ok(())
    }
}

impl FromStr for HipaaId {
    type Err = ControlIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ControlIdError::Malformed {
            input: s.to_string(),
            reason: MalformedReason::BadHipaa,
        };
        let t = s.trim();
        let t = t.strip_prefix('§').unwrap_or(t).trim_start();
        let rest = t.strip_prefix("164.").ok_or_else(bad)?;
        let end = rest
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(rest.len());
        if end != 3 {
            return Err(bad());
        }
        let section: u16 = rest[..end].parse().map_err(|_| bad())?;
        if !(302..=318).contains(&section) {
            return Err(bad());
        }
        let mut path = [0u8; HIPAA_LEVELS];
        let mut rest = rest[end..].trim_start();
        let mut level = 0;
        while let Some(open) = rest.strip_prefix('(') {
            let (label, after) = open.split_once(')').ok_or_else(bad)?;
            if level == HIPAA_LEVELS {
                return Err(bad());
            }
            path[level] = paragraph_number(level, label.trim()).ok_or_else(bad)?;
            level += 1;
            rest = after.trim_start();
        }
        if !rest.is_empty() {
            return Err(bad());
        }
        Ok(HipaaId { section, path })
    }
}

/// The 1-based number of a paragraph label at a CFR level (0: `a`, 1: `1`, 2: `i`, 3: `A`),
/// if the label fits the level. HIPAA ids are parsed with it; `cargo xtask regen-controls`
/// numbers the eCFR paragraphs with it, so both agree.
pub fn paragraph_number(level: usize, label: &str) -> Option<u8> {
    let letter = |upper: bool| {
        let mut cs = label.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => {
                let c = if upper {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                };
                let base = if upper { b'A' } else { b'a' };
                u8::try_from(c).ok().map(|b| b - base + 1)
            }
            _ => None,
        }
    };
    match level {
        0 => letter(false),
        1 => small_number(label),
        2 => from_roman(&label.to_ascii_lowercase()),
        _ => letter(true),
    }
}

/// Lower-case roman numerals for paragraph numbers; CFR paragraphs stay far below 40.
const ROMANS: [&str; 39] = [
    "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv",
    "xvi", "xvii", "xviii", "xix", "xx", "xxi", "xxii", "xxiii", "xxiv", "xxv", "xxvi", "xxvii",
    "xxviii", "xxix", "xxx", "xxxi", "xxxii", "xxxiii", "xxxiv", "xxxv", "xxxvi", "xxxvii",
    "xxxviii", "xxxix",
];

fn roman(n: u8) -> &'static str {
    ROMANS
        .get(usize::from(n).wrapping_sub(1))
        .copied()
        .unwrap_or("?")
}

fn from_roman(s: &str) -> Option<u8> {
    ROMANS
        .iter()
        .position(|r| *r == s)
        .and_then(|i| u8::try_from(i + 1).ok())
}

/// A DoD Impact Level General Readiness Requirement (`GRR-1`; `dod:GRR-1` in a posture): a
/// non-NIST item on the DISA SSP addendum sheets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GrrId(u8);

impl GrrId {
    /// The requirement's number.
    pub fn number(self) -> u8 {
        self.0
    }
}

impl fmt::Display for GrrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GRR-{}", self.0)
    }
}

impl FromStr for GrrId {
    type Err = ControlIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t
            .get(..3)
            .filter(|p| p.eq_ignore_ascii_case("grr"))
            .map(|_| t[3..].strip_prefix('-').unwrap_or(&t[3..]));
        digits
            .and_then(small_number)
            .map(GrrId)
            .ok_or_else(|| ControlIdError::Malformed {
                input: s.to_string(),
                reason: MalformedReason::BadGrr,
            })
    }
}

/// The typed id of anything a framework requires and a posture may cite: a NIST control
/// (`AC-2(1)`), a SOC 2 criterion (`soc2:CC6.1`), a HIPAA paragraph (`hipaa:164.312(a)(1)`) or
/// a DoD General Readiness Requirement (`dod:GRR-1`).
///
/// `Display` prints that canonical form (NIST ids without a prefix); `FromStr` checks the syntax
/// only (bare ids are NIST; `nist:` is accepted as an explicit prefix). Use
/// [`crate::parse_control_ref`] or [`crate::Catalog::resolve`] to also check the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ControlRef {
    /// A NIST SP 800-53 rev5 control or enhancement.
    Nist(ControlId),
    /// A 2017 Trust Services Criterion.
    Soc2(Soc2Id),
    /// A HIPAA Security Rule standard or implementation specification.
    Hipaa(HipaaId),
    /// A DoD General Readiness Requirement.
    DodGrr(GrrId),
}

/// The name the issue and the design use for a framework requirement's id.
pub type RequirementId = ControlRef;

/// The framework prefixes `ControlRef` accepts before `:`, in the order error messages list them.
pub const PREFIXES: [&str; 4] = ["nist", "soc2", "hipaa", "dod"];

impl ControlRef {
    /// The NIST control id, when this is one.
    pub fn as_nist(&self) -> Option<ControlId> {
        match self {
            ControlRef::Nist(id) => Some(*id),
            _ => None,
        }
    }
}

impl From<ControlId> for ControlRef {
    fn from(id: ControlId) -> Self {
        ControlRef::Nist(id)
    }
}

impl fmt::Display for ControlRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlRef::Nist(id) => write!(f, "{id}"),
            ControlRef::Soc2(id) => write!(f, "soc2:{id}"),
            ControlRef::Hipaa(id) => write!(f, "hipaa:{id}"),
            ControlRef::DodGrr(id) => write!(f, "dod:{id}"),
        }
    }
}

impl FromStr for ControlRef {
    type Err = ControlIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let keep_input = |e: ControlIdError| e.with_input(s);
        if let Some((prefix, rest)) = t.split_once(':') {
            return match prefix.trim().to_ascii_lowercase().as_str() {
                "nist" => rest.parse().map(ControlRef::Nist).map_err(keep_input),
                "soc2" => rest.parse().map(ControlRef::Soc2).map_err(keep_input),
                "hipaa" => rest.parse().map(ControlRef::Hipaa).map_err(keep_input),
                "dod" => rest.parse().map(ControlRef::DodGrr).map_err(keep_input),
                other => Err(ControlIdError::Malformed {
                    input: s.to_string(),
                    reason: MalformedReason::UnknownPrefix(other.to_string()),
                }),
            };
        }
        match t.parse::<ControlId>() {
            Ok(id) => Ok(ControlRef::Nist(id)),
            Err(e) => {
                // A bare SOC 2, HIPAA or GRR id is a likely slip: say which prefix it needs.
                let hint = t
                    .parse::<Soc2Id>()
                    .map(ControlRef::Soc2)
                    .or_else(|_| t.parse::<HipaaId>().map(ControlRef::Hipaa))
                    .or_else(|_| t.parse::<GrrId>().map(ControlRef::DodGrr));
                match hint {
                    Ok(r) => Err(ControlIdError::Malformed {
                        input: s.to_string(),
                        reason: MalformedReason::MissingPrefix(r.to_string()),
                    }),
                    Err(_) => Err(e),
                }
            }
        }
    }
}

serde_via_string!(Soc2Id);
serde_via_string!(HipaaId);
serde_via_string!(GrrId);
serde_via_string!(ControlRef);

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> ControlRef {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn prefixed_ids_round_trip() {
        for s in [
            "soc2:CC6.1",
            "soc2:PI1.5",
            "soc2:A1.2",
            "hipaa:164.312(a)(1)",
            "hipaa:164.308(a)(1)(ii)(A)",
            "hipaa:164.314(a)(2)(i)(C)",
            "hipaa:164.312(b)",
            "dod:GRR-10",
            "AC-2(1)",
        ] {
            assert_eq!(r(s).to_string(), s);
        }
        assert_eq!(r("SOC2: cc6.1"), r("soc2:CC6.1"));
        assert_eq!(r("hipaa:§ 164.312 (a) (1)"), r("hipaa:164.312(a)(1)"));
        assert_eq!(r("dod:grr-3"), r("dod:GRR-3"));
        assert_eq!(r("nist:ac-2.1"), r("AC-2(1)"));
    }

    #[test]
    fn hipaa_order_follows_the_regulation() {
        let mut ids = [
            r("hipaa:164.308(a)(1)(ii)(B)"),
            r("hipaa:164.308(a)(10)"),
            r("hipaa:164.308(a)(1)(ii)(A)"),
            r("hipaa:164.308(a)(1)"),
            r("hipaa:164.308(a)(2)"),
            r("hipaa:164.308(a)(1)(iv)"),
            r("hipaa:164.308(a)(1)(ix)"),
        ];
        ids.sort();
        let shown: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "hipaa:164.308(a)(1)",
                "hipaa:164.308(a)(1)(ii)(A)",
                "hipaa:164.308(a)(1)(ii)(B)",
                "hipaa:164.308(a)(1)(iv)",
                "hipaa:164.308(a)(1)(ix)",
                "hipaa:164.308(a)(2)",
                "hipaa:164.308(a)(10)",
            ]
        );
    }

    #[test]
    fn malformed_refs_are_errors() {
        for s in [
            "soc2:",
            "soc2:CC",
            "soc2:CC6",
            "soc2:XX1.1",
            "soc2:CC6.1.2",
            "hipaa:164",
            "hipaa:164.3",
            "hipaa:164.312(",
            "hipaa:164.312(1)",
            "hipaa:164.312(a)(b)",
            "hipaa:164.312(a)(1)(i)(A)(1)",
            "hipaa:165.312",
            "dod:GRR",
            "dod:GRR-0",
            "iso:A.5.1",
            "CC6.1",
            "164.312(a)(1)",
            ":",
            "soc2:CC٣.1",
        ] {
            assert!(
                matches!(
                    s.parse::<ControlRef>(),
                    Err(ControlIdError::Malformed { .. })
                ),
                "{s:?}"
            );
        }
        match "CC6.1".parse::<ControlRef>() {
            Err(ControlIdError::Malformed {
                reason: MalformedReason::MissingPrefix(p),
                ..
            }) => assert_eq!(p, "soc2:CC6.1"),
            other => panic!("{other:?}"),
        }
    }
}
