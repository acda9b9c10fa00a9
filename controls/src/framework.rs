//! Frameworks selectable by id and the requirements each one lists.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownFramework;
use crate::id::{ControlId, StatementPart};
use crate::refs::{ControlRef, HipaaId};

/// A framework a posture can be assessed against, selected by its id in `system { frameworks }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Framework {
    /// `nist-800-53-low`: the SP 800-53B LOW baseline.
    NistLow,
    /// `nist-800-53-moderate`: the SP 800-53B MODERATE baseline.
    NistModerate,
    /// `nist-800-53-high`: the SP 800-53B HIGH baseline.
    NistHigh,
    /// `nist-800-53-privacy`: the SP 800-53B PRIVACY baseline.
    NistPrivacy,
    /// `fedramp-li-saas`: FedRAMP rev5 Tailored Low Impact SaaS.
    FedrampLiSaas,
    /// `fedramp-low`: FedRAMP rev5 Low.
    FedrampLow,
    /// `fedramp-moderate`: FedRAMP rev5 Moderate.
    FedrampModerate,
    /// `fedramp-high`: FedRAMP rev5 High.
    FedrampHigh,
    /// `dod-il2`: DoD Impact Level 2, FedRAMP Moderate accepted as-is.
    DodIl2,
    /// `dod-il4`: DoD Impact Level 4 on the Moderate path (FedRAMP Moderate + DoD FedRAMP+).
    DodIl4,
    /// `dod-il4-high`: DoD Impact Level 4 on the High path (FedRAMP High + DoD FedRAMP+).
    DodIl4High,
    /// `dod-il5`: DoD Impact Level 5 (the DISA addendum's NSS sheet).
    DodIl5,
    /// `soc2`: the 2017 Trust Services Criteria (all five categories).
    Soc2,
    /// `hipaa`: the HIPAA Security Rule, 45 CFR 164.308–164.316.
    Hipaa,
    /// `hipaa-technical`: the HIPAA technical safeguards, 45 CFR 164.312 only.
    HipaaTechnical,
}

impl Framework {
    const ALL: [Framework; 15] = [
        Framework::NistLow,
        Framework::NistModerate,
        Framework::NistHigh,
        Framework::NistPrivacy,
        Framework::FedrampLiSaas,
        Framework::FedrampLow,
        Framework::FedrampModerate,
        Framework::FedrampHigh,
        Framework::DodIl2,
        Framework::DodIl4,
        Framework::DodIl4High,
        Framework::DodIl5,
        Framework::Soc2,
        Framework::Hipaa,
        Framework::HipaaTechnical,
    ];

    /// Every framework, in a stable order.
    pub fn all() -> &'static [Framework] {
        &Self::ALL
    }

    /// The id used in posture files and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Framework::NistLow => "nist-800-53-low",
            Framework::NistModerate => "nist-800-53-moderate",
            Framework::NistHigh => "nist-800-53-high",
            Framework::NistPrivacy => "nist-800-53-privacy",
            Framework::FedrampLiSaas => "fedramp-li-saas",
            Framework::FedrampLow => "fedramp-low",
            Framework::FedrampModerate => "fedramp-moderate",
            Framework::FedrampHigh => "fedramp-high",
            Framework::DodIl2 => "dod-il2",
            Framework::DodIl4 => "dod-il4",
            Framework::DodIl4High => "dod-il4-high",
            Framework::DodIl5 => "dod-il5",
            Framework::Soc2 => "soc2",
            Framework::Hipaa => "hipaa",
            Framework::HipaaTechnical => "hipaa-technical",
        }
    }

    /// A short human name (`FedRAMP Moderate`).
    pub fn name(self) -> &'static str {
        match self {
            Framework::NistLow => "NIST SP 800-53 rev5 LOW",
            Framework::NistModerate => "NIST SP 800-53 rev5 MODERATE",
            Framework::NistHigh => "NIST SP 800-53 rev5 HIGH",
            Framework::NistPrivacy => "NIST SP 800-53 rev5 PRIVACY",
            Framework::FedrampLiSaas => "FedRAMP LI-SaaS",
            Framework::FedrampLow => "FedRAMP Low",
            Framework::FedrampModerate => "FedRAMP Moderate",
            Framework::FedrampHigh => "FedRAMP High",
            Framework::DodIl2 => "DoD IL2",
            Framework::DodIl4 => "DoD IL4",
            Framework::DodIl4High => "DoD IL4 (High path)",
            Framework::DodIl5 => "DoD IL5",
            Framework::Soc2 => "SOC 2",
            Framework::Hipaa => "HIPAA Security Rule",
            Framework::HipaaTechnical => "HIPAA technical safeguards",
        }
    }

    /// The framework with this id (exact, lower case), or an error with a did-you-mean.
    pub fn from_id(id: &str) -> Result<Framework, UnknownFramework> {
        let wanted = id.trim();
        if let Some(f) = Self::ALL.iter().copied().find(|f| f.id() == wanted) {
            return Ok(f);
        }
        let lower = wanted.to_ascii_lowercase();
        let suggestion = Self::ALL
            .iter()
            .map(|f| (strsim::jaro_winkler(&lower, f.id()), f.id()))
            .filter(|(score, _)| *score >= 0.8)
            .fold(None::<(f64, &'static str)>, |best, cand| match best {
                Some(b) if b.0 >= cand.0 => Some(b),
                _ => Some(cand),
            })
            .map(|(_, id)| id);
        Err(UnknownFramework {
            input: id.to_string(),
            suggestion,
        })
    }

    /// Whether the framework's requirements are NIST controls only (a baseline).
    pub fn is_nist_baseline(self) -> bool {
        !matches!(
            self,
            Framework::Soc2 | Framework::Hipaa | Framework::HipaaTechnical
        )
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Framework {
    type Err = UnknownFramework;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Framework::from_id(s)
    }
}

serde_via_string!(Framework);

/// One framework's data: where it comes from and what it requires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkData {
    /// The framework.
    pub id: Framework,
    /// The title its publisher gives it.
    pub title: String,
    /// The publisher's version of the baseline or crosswalk.
    pub version: String,
    /// Where the selection comes from, in one line.
    pub source: String,
    /// The requirements, NIST controls in catalog order first, then non-NIST requirements.
    pub requirements: Vec<Requirement>,
}

/// One thing a framework requires: a NIST control (with the values FedRAMP or DoD assign to
/// its parameters), or a non-NIST requirement (DoD GRR, SOC 2 criterion, HIPAA paragraph) with
/// the 800-53 controls that inform it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The requirement's id.
    pub id: ControlRef,
    /// Its title. For a NIST control the catalog's title, filled in when the catalog loads.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Its text, for non-NIST requirements (a NIST control's statement is on the catalog).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Other spellings that resolve to this requirement (HIPAA: NIST CPRT's ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<ControlRef>,
    /// Values FedRAMP or DoD assign to the control's parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParameterValue>,
    /// FedRAMP's additional requirements and guidance for the control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional: Vec<AdditionalText>,
    /// How FedRAMP LI-SaaS tailors the control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub li_saas: Vec<LiSaasTailoring>,
    /// The 800-53 controls that inform a non-NIST requirement (never "satisfy" it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub informs: Vec<InformsEdge>,
    /// What kind of HIPAA paragraph this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hipaa: Option<HipaaKind>,
}

impl Requirement {
    /// A bare requirement with an id and nothing else.
    pub fn new(id: ControlRef) -> Requirement {
        Requirement {
            id,
            title: String::new(),
            text: None,
            aliases: Vec::new(),
            parameters: Vec::new(),
            additional: Vec::new(),
            li_saas: Vec::new(),
            informs: Vec::new(),
            hipaa: None,
        }
    }

    /// The NIST control id, when the requirement is a NIST control.
    pub fn nist(&self) -> Option<ControlId> {
        self.id.as_nist()
    }
}

/// Who assigned a parameter value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParameterSource {
    /// A FedRAMP rev5 baseline profile.
    Fedramp,
    /// The DISA DoD Rev 5 SSP addendum ("DoD FedRAMP+ Parameters").
    Dod,
}

/// A value assigned to an organization-defined parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterValue {
    /// The NIST 5.1.x parameter id (`ac-01_odp.05`); DoD values are per control and have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odp: Option<OdpId>,
    /// The assigned value(s) as the source prints them.
    pub values: Vec<String>,
    /// Who assigned them.
    pub source: ParameterSource,
}

/// An OSCAL organization-defined parameter id as the FedRAMP profiles key it (`ac-01_odp.05`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OdpId(pub String);

impl fmt::Display for OdpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of a FedRAMP additional text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdditionalKind {
    /// A FedRAMP requirement beyond the NIST control.
    Requirement,
    /// FedRAMP guidance.
    Guidance,
    /// An assessment objective (LI-SaaS).
    AssessmentObjective,
    /// Assessment objects (LI-SaaS).
    AssessmentObjects,
}

/// FedRAMP's additional requirement or guidance text for a control.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdditionalText {
    /// Requirement, guidance or assessment text.
    pub kind: AdditionalKind,
    /// The label FedRAMP prints (`(d) Requirement:`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The text.
    pub text: String,
}

/// FedRAMP LI-SaaS tailoring of a control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LiSaasTailoring {
    /// Assessed by the 3PAO.
    Assess,
    /// Attested by the provider.
    Attest,
    /// Conditional on the system.
    Conditional,
    /// Not a security objective (NSO).
    Nso,
    /// A federal (agency) responsibility.
    Fed,
}

/// A published crosswalk behind an informs-edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrosswalkSource {
    /// The AICPA workbook "Mapping 2017 TSC to NIST 800-53" (2022 points of focus; 2023-08-04).
    Aicpa,
    /// NIST OLIR "SP-800-66-Rev-2-to-SP-800-53-Rev-5.1.1" (NIST marks it non-comprehensive).
    NistOlir,
}

impl CrosswalkSource {
    /// The crosswalk's name for reports.
    pub fn title(self) -> &'static str {
        match self {
            CrosswalkSource::Aicpa => {
                "AICPA mapping of the 2017 TSC to NIST SP 800-53 rev5 (2023-08-04)"
            }
            CrosswalkSource::NistOlir => "NIST OLIR SP-800-66-Rev-2-to-SP-800-53-Rev-5.1.1",
        }
    }
}

/// "This 800-53 control informs that requirement", per a published crosswalk. Implementing the
/// control supports the requirement; it does not by itself satisfy it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InformsEdge {
    /// The 800-53 control.
    pub control: ControlId,
    /// The crosswalk that draws the edge.
    pub source: CrosswalkSource,
    /// The statement items the crosswalk cites; empty when it cites the whole control.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<StatementPart>,
}

/// Whether a HIPAA implementation specification is required or addressable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Implementation {
    /// Required (R).
    Required,
    /// Addressable (A).
    Addressable,
}

/// What a HIPAA requirement is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum HipaaKind {
    /// A standard.
    Standard,
    /// An implementation specification of a standard.
    Specification {
        /// Required or addressable.
        implementation: Implementation,
        /// The standard it implements.
        standard: HipaaId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_typos_get_a_suggestion() {
        for f in Framework::all() {
            assert_eq!(Framework::from_id(f.id()), Ok(*f));
        }
        assert_eq!(Framework::all().len(), 15);
        let err = Framework::from_id("fedramp-moderat").err();
        assert_eq!(err.and_then(|e| e.suggestion), Some("fedramp-moderate"));
        let err = Framework::from_id("pci-dss").err();
        assert_eq!(err.map(|e| e.suggestion), Some(None));
    }
}
