//! NIST SP 800-53 control ids: families, `AC-2(1)`-style ids and statement parts.

use std::fmt;
use std::str::FromStr;

use crate::error::{ControlIdError, MalformedReason};

/// A control family of NIST SP 800-53 rev5, in the catalog's (alphabetical) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// AC: Access Control.
    Ac,
    /// AT: Awareness and Training.
    At,
    /// AU: Audit and Accountability.
    Au,
    /// CA: Assessment, Authorization, and Monitoring.
    Ca,
    /// CM: Configuration Management.
    Cm,
    /// CP: Contingency Planning.
    Cp,
    /// IA: Identification and Authentication.
    Ia,
    /// IR: Incident Response.
    Ir,
    /// MA: Maintenance.
    Ma,
    /// MP: Media Protection.
    Mp,
    /// PE: Physical and Environmental Protection.
    Pe,
    /// PL: Planning.
    Pl,
    /// PM: Program Management.
    Pm,
    /// PS: Personnel Security.
    Ps,
    /// PT: Personally Identifiable Information Processing and Transparency.
    Pt,
    /// RA: Risk Assessment.
    Ra,
    /// SA: System and Services Acquisition.
    Sa,
    /// SC: System and Communications Protection.
    Sc,
    /// SI: System and Information Integrity.
    Si,
    /// SR: Supply Chain Risk Management.
    Sr,
}

impl Family {
    /// Every family, in catalog order.
    pub const ALL: [Family; 20] = [
        Family::Ac,
        Family::At,
        Family::Au,
        Family::Ca,
        Family::Cm,
        Family::Cp,
        Family::Ia,
        Family::Ir,
        Family::Ma,
        Family::Mp,
        Family::Pe,
        Family::Pl,
        Family::Pm,
        Family::Ps,
        Family::Pt,
        Family::Ra,
        Family::Sa,
        Family::Sc,
        Family::Si,
        Family::Sr,
    ];

    /// The two-letter abbreviation in upper case (`AC`).
    pub fn abbrev(self) -> &'static str {
        match self {
            Family::Ac => "AC",
            Family::At => "AT",
            Family::Au => "AU",
            Family::Ca => "CA",
            Family::Cm => "CM",
            Family::Cp => "CP",
            Family::Ia => "IA",
            Family::Ir => "IR",
            Family::Ma => "MA",
            Family::Mp => "MP",
            Family::Pe => "PE",
            Family::Pl => "PL",
            Family::Pm => "PM",
            Family::Ps => "PS",
            Family::Pt => "PT",
            Family::Ra => "RA",
            Family::Sa => "SA",
            Family::Sc => "SC",
            Family::Si => "SI",
            Family::Sr => "SR",
        }
    }

    /// The family's title as printed in SP 800-53 rev5.
    pub fn title(self) -> &'static str {
        match self {
            Family::Ac => "Access Control",
            Family::At => "Awareness and Training",
            Family::Au => "Audit and Accountability",
            Family::Ca => "Assessment, Authorization, and Monitoring",
            Family::Cm => "Configuration Management",
            Family::Cp => "Contingency Planning",
            Family::Ia => "Identification and Authentication",
            Family::Ir => "Incident Response",
            Family::Ma => "Maintenance",
            Family::Mp => "Media Protection",
            Family::Pe => "Physical and Environmental Protection",
            Family::Pl => "Planning",
            Family::Pm => "Program Management",
            Family::Ps => "Personnel Security",
            Family::Pt => "Personally Identifiable Information Processing and Transparency",
            Family::Ra => "Risk Assessment",
            Family::Sa => "System and Services Acquisition",
            Family::Sc => "System and Communications Protection",
            Family::Si => "System and Information Integrity",
            Family::Sr => "Supply Chain Risk Management",
        }
    }

    /// The family for a two-letter abbreviation, in any case.
    pub fn from_abbrev(s: &str) -> Option<Family> {
        Family::ALL
            .iter()
            .copied()
            .find(|f| f.abbrev().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbrev())
    }
}

impl FromStr for Family {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::from_abbrev(s).ok_or_else(|| format!("`{s}` is not an SP 800-53 rev5 family"))
    }
}

/// A NIST SP 800-53 control or control enhancement id, such as `AC-2` or `AC-2(1)`.
///
/// The derived order is catalog order: family, then control number, then the base control
/// before its enhancements in numeric order. `Display` prints the canonical form `AC-2(1)`;
/// `FromStr` also accepts `ac-2.1`, `AC-02(01)` and `AC-2 (1)`. Parsing checks the syntax only;
/// whether the control exists is [`crate::Catalog::resolve`]'s business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlId {
    family: Family,
    number: u16,
    enhancement: Option<u16>,
}

/// The largest control or enhancement number the parser accepts; rev5 stops well below it.
const MAX_NUMBER: u16 = 999;

impl ControlId {
    /// A base control id (`AC-2`); `None` when `number` is 0 or above 999.
    pub fn control(family: Family, number: u16) -> Option<ControlId> {
        ((1..=MAX_NUMBER).contains(&number)).then_some(ControlId {
            family,
            number,
            enhancement: None,
        })
    }

    /// An enhancement id (`AC-2(1)`); `None` when a number is 0 or above 999.
    pub fn enhancement(family: Family, number: u16, enhancement: u16) -> Option<ControlId> {
        let ok = (1..=MAX_NUMBER).contains(&number) && (1..=MAX_NUMBER).contains(&enhancement);
        ok.then_some(ControlId {
            family,
            number,
            enhancement: Some(enhancement),
        })
    }

    /// The control's family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The control number within the family (`2` in `AC-2(1)`).
    pub fn number(&self) -> u16 {
        self.number
    }

    /// The enhancement number (`1` in `AC-2(1)`), `None` for a base control.
    pub fn enhancement_number(&self) -> Option<u16> {
        self.enhancement
    }

    /// Whether this id names an enhancement.
    pub fn is_enhancement(&self) -> bool {
        self.enhancement.is_some()
    }

    /// The base control of an enhancement (`AC-2` for `AC-2(1)`), `None` for a base control.
    pub fn parent(&self) -> Option<ControlId> {
        self.enhancement.map(|_| ControlId {
            enhancement: None,
            ..*self
        })
    }

    /// The base control: the parent of an enhancement, or the id itself.
    pub fn base(&self) -> ControlId {
        ControlId {
            enhancement: None,
            ..*self
        }
    }

    /// The OSCAL form used by NIST's catalogs (`ac-2.1`).
    pub fn oscal_id(&self) -> String {
        let family = self.family.abbrev().to_ascii_lowercase();
        match self.enhancement {
            Some(e) => format!("{family}-{}.{e}", self.number),
            None => format!("{family}-{}", self.number),
        }
    }
}

impl fmt::Display for ControlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.family, self.number)?;
        if let Some(e) = self.enhancement {
            write!(f, "({e})")?;
        }
        Ok(())
    }
}

impl FromStr for ControlId {
    type Err = ControlIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = |reason| ControlIdError::Malformed {
            input: s.to_string(),
            reason,
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(malformed(MalformedReason::Empty));
        }
        let (fam, rest) = t
            .split_once('-')
            .ok_or_else(|| malformed(MalformedReason::NotAControlId))?;
        let family = if fam.len() == 2 && fam.bytes().all(|b| b.is_ascii_alphabetic()) {
            Family::from_abbrev(fam)
                .ok_or_else(|| malformed(MalformedReason::UnknownFamily(fam.to_string())))?
        } else {
            return Err(malformed(MalformedReason::NotAControlId));
        };
        let (number, rest) =
            take_number(rest).ok_or_else(|| malformed(MalformedReason::BadNumber))?;
        let enhancement = if rest.is_empty() {
            None
        } else if let Some(dotted) = rest.strip_prefix('.') {
            match take_number(dotted) {
                Some((n, "")) => Some(n),
                _ => return Err(malformed(MalformedReason::BadEnhancement)),
            }
        } else if let Some(open) = rest.trim_start().strip_prefix('(') {
            match take_number(open.trim_start()) {
                Some((n, close)) if close.trim_start() == ")" => Some(n),
                _ => return Err(malformed(MalformedReason::BadEnhancement)),
            }
        } else if rest.len() == 1 && rest.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(malformed(MalformedReason::StatementPart));
        } else {
            return Err(malformed(MalformedReason::TrailingText(rest.to_string())));
        };
        let id = match enhancement {
            Some(e) => ControlId::enhancement(family, number, e),
            None => ControlId::control(family, number),
        };
        id.ok_or_else(|| malformed(MalformedReason::BadNumber))
    }
}

/// Splits leading ASCII digits off `s` as a number in `1..=999` (leading zeros allowed).
fn take_number(s: &str) -> Option<(u16, &str)> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 || end > 6 {
        return None;
    }
    let n: u16 = s[..end].parse().ok()?;
    (1..=MAX_NUMBER).contains(&n).then_some((n, &s[end..]))
}

/// A lettered item of a control statement (`k` in "incorporated into AC-2k").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatementPart(char);

impl StatementPart {
    /// The part for a lower-case ASCII letter; `None` for anything else.
    pub fn new(c: char) -> Option<StatementPart> {
        c.is_ascii_lowercase().then_some(StatementPart(c))
    }

    /// The part's letter.
    pub fn letter(self) -> char {
        self.0
    }
}

impl fmt::Display for StatementPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for StatementPart {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => {
                StatementPart::new(c).ok_or_else(|| format!("`{s}` is not a statement item letter"))
            }
            _ => Err(format!("`{s}` is not a statement item letter")),
        }
    }
}

serde_via_string!(Family);
serde_via_string!(ControlId);
serde_via_string!(StatementPart);

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ControlId {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn spellings_parse_to_one_id() {
        let canonical = id("AC-2(1)");
        for s in [
            "ac-2.1",
            "AC-02(01)",
            "AC-2 (1)",
            " ac-2( 1 ) ",
            "Ac-002.001",
        ] {
            assert_eq!(id(s), canonical, "{s}");
        }
        assert_eq!(canonical.to_string(), "AC-2(1)");
        assert_eq!(canonical.oscal_id(), "ac-2.1");
        assert_eq!(canonical.parent(), Some(id("AC-2")));
        assert_eq!(id("SC-7").parent(), None);
    }

    #[test]
    fn order_is_catalog_order() {
        let mut ids = [
            id("AC-3"),
            id("AC-2(10)"),
            id("AC-2(2)"),
            id("AC-2"),
            id("AT-1"),
            id("AC-10"),
        ];
        ids.sort();
        let shown: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["AC-2", "AC-2(2)", "AC-2(10)", "AC-3", "AC-10", "AT-1"]
        );
    }

    #[test]
    fn malformed_ids_are_errors_not_panics() {
        for s in [
            "",
            "AC",
            "AC-",
            "AC-0",
            "AC-2(",
            "AC-2()",
            "AC-2(0)",
            "AC-2(1",
            "AC-2.x",
            "XX-1",
            "A-1",
            "AC-99999999999",
            "AC-2k",
            "AC-2(1)(a)",
            "-1",
            "AC--1",
            "ÄC-1",
            "AC-1\u{0}",
        ] {
            assert!(
                matches!(
                    s.parse::<ControlId>(),
                    Err(ControlIdError::Malformed { .. })
                ),
                "{s:?}"
            );
        }
    }
}
