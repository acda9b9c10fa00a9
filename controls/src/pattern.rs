//! Control-id patterns: `PE-*` (a whole family) and `AC-2(*)` (a control's enhancements).

use std::fmt;
use std::str::FromStr;

use crate::error::{ControlIdError, MalformedReason};
use crate::id::{ControlId, Family};

/// A glob over NIST control ids. Expand it with [`crate::Catalog::expand`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ControlPattern {
    /// `PE-*`: every control of a family, enhancements included.
    Family(Family),
    /// `AC-2(*)` (or `ac-2.*`): every enhancement of a control, not the control itself.
    Enhancements(ControlId),
}

impl ControlPattern {
    /// Whether `text` is written as a pattern (it contains `*`), so callers can choose between
    /// [`ControlPattern`] and a plain id.
    pub fn is_pattern(text: &str) -> bool {
        text.contains('*')
    }

    /// Whether the pattern matches an id (withdrawn or not; expansion drops withdrawn ones).
    pub fn matches(&self, id: &ControlId) -> bool {
        match self {
            ControlPattern::Family(f) => id.family() == *f,
            ControlPattern::Enhancements(base) => id.is_enhancement() && id.base() == *base,
        }
    }
}

impl fmt::Display for ControlPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlPattern::Family(fam) => write!(f, "{fam}-*"),
            ControlPattern::Enhancements(base) => write!(f, "{base}(*)"),
        }
    }
}

impl FromStr for ControlPattern {
    type Err = ControlIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ControlIdError::Malformed {
            input: s.to_string(),
            reason: MalformedReason::BadPattern,
        };
        let t = s.trim();
        let t = t.strip_prefix("nist:").unwrap_or(t);
        if let Some(fam) = t.strip_suffix("-*") {
            return Family::from_abbrev(fam.trim())
                .map(ControlPattern::Family)
                .ok_or_else(|| match fam.len() {
                    2 => ControlIdError::Malformed {
                        input: s.to_string(),
                        reason: MalformedReason::UnknownFamily(fam.to_string()),
                    },
                    _ => bad(),
                });
        }
        let base = t
            .strip_suffix(".*")
            .or_else(|| {
                t.strip_suffix(')')
                    .and_then(|r| r.trim_end().strip_suffix('*'))
                    .and_then(|r| r.trim_end().strip_suffix('('))
            })
            .ok_or_else(bad)?;
        let id: ControlId = base.parse().map_err(|e: ControlIdError| e.with_input(s))?;
        if id.is_enhancement() {
            return Err(bad());
        }
        Ok(ControlPattern::Enhancements(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ControlPattern {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn patterns_parse_and_print() {
        assert_eq!(p("PE-*").to_string(), "PE-*");
        assert_eq!(p("pe-*"), p("PE-*"));
        assert_eq!(p("AC-2(*)").to_string(), "AC-2(*)");
        assert_eq!(p("ac-02.*"), p("AC-2(*)"));
        assert_eq!(p("AC-2 ( * )"), p("AC-2(*)"));
        for bad in [
            "*",
            "-*",
            "XX-*",
            "AC-2(1)(*)",
            "AC-*(1)",
            "AC-2*",
            "AC-2(**)",
            "AC-2(*",
            "",
        ] {
            assert!(bad.parse::<ControlPattern>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn matching() {
        let ac2: ControlId = "AC-2".parse().unwrap_or_else(|e| panic!("{e}"));
        let ac21: ControlId = "AC-2(1)".parse().unwrap_or_else(|e| panic!("{e}"));
        let ac31: ControlId = "AC-3(1)".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(p("AC-*").matches(&ac2) && p("AC-*").matches(&ac21));
        assert!(!p("PE-*").matches(&ac2));
        assert!(p("AC-2(*)").matches(&ac21));
        assert!(!p("AC-2(*)").matches(&ac2) && !p("AC-2(*)").matches(&ac31));
    }
}
