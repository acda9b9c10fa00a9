//! Control catalogs (NIST SP 800-53 rev5, FedRAMP, DoD IL, SOC 2, HIPAA), typed control ids and frameworks.
//!
//! - Ids: [`ControlId`] (`AC-2(1)`), and [`ControlRef`] for anything a framework requires:
//!   NIST controls, `soc2:CC6.1`, `hipaa:164.312(a)(1)`, `dod:GRR-1`. Parsing checks syntax;
//!   [`parse_control_ref`] / [`Catalog::resolve`] also check the catalog (unknown ids get a
//!   did-you-mean, withdrawn ids name their replacement).
//! - [`Catalog`]: every SP 800-53 rev5 control with title, statement and withdrawal, and the
//!   requirement lists of every [`Framework`]. SOC 2 and HIPAA requirements carry
//!   [`InformsEdge`]s to 800-53 from their published crosswalks: the controls inform the
//!   requirement; they never satisfy it on their own.
//! - [`ControlPattern`]: `PE-*` and `AC-2(*)`.
//!
//! The catalog is compiled in (`data/compact/`, built from the sources in `data/` by
//! `cargo xtask regen-controls`, in `xtask/src/regen.rs`); [`Catalog::overlay`] lays newer
//! documents of the same shape over it. The crate does no IO: the CLI reads a `--controls-dir`
//! and hands the documents' text over.
#![forbid(unsafe_code)]

/// Implements serde's `Serialize`/`Deserialize` through `Display`/`FromStr`, so typed ids are
/// plain strings in JSON.
macro_rules! serde_via_string {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

mod catalog;
mod embedded;
mod error;
mod framework;
mod id;
mod pattern;
mod refs;

#[cfg(test)]
mod tests;

pub use catalog::{
    Catalog, CatalogDoc, Control, DocKind, FORMAT, FrameworksDoc, SourceFile, TextVersion,
    Withdrawal, WithdrawnTarget,
};
pub use error::{ControlIdError, LoadError, MalformedReason, UnknownFramework};
pub use framework::{
    AdditionalKind, AdditionalText, CrosswalkSource, Framework, FrameworkData, HipaaKind,
    Implementation, InformsEdge, LiSaasTailoring, OdpId, ParameterSource, ParameterValue,
    Requirement,
};
pub use id::{ControlId, Family, StatementPart};
pub use pattern::ControlPattern;
pub use refs::{
    ControlRef, GrrId, HipaaId, PREFIXES, RequirementId, Soc2Category, Soc2Id, paragraph_number,
};

/// The embedded catalog, parsed on first use.
///
/// # Panics
/// Only if the compiled-in documents are inconsistent, which the crate's tests rule out; use
/// [`try_catalog`] to get the error instead.
pub fn catalog() -> &'static Catalog {
    match embedded::try_catalog() {
        Ok(c) => c,
        Err(e) => panic!("the embedded control catalog is broken (a build defect): {e}"),
    }
}

/// The embedded catalog, or the reason the compiled-in documents do not load.
pub fn try_catalog() -> Result<&'static Catalog, &'static LoadError> {
    embedded::try_catalog()
}

/// Parses a control reference and checks it against the embedded catalog.
///
/// Accepts `AC-2(1)`, `ac-2.1`, `AC-02(01)`, `soc2:CC6.1`, `hipaa:164.312(a)(1)` (and NIST
/// CPRT's `hipaa:164.312(a)`), `dod:GRR-1`; returns the canonical id.
pub fn parse_control_ref(text: &str) -> Result<ControlRef, ControlIdError> {
    catalog().resolve(text)
}

/// Parses a control pattern (`PE-*`, `AC-2(*)`, `ac-2.*`) and checks it against the embedded
/// catalog: a pattern over an unknown or withdrawn control, or one that matches no current
/// control, is an error, so a pattern never silently names nothing.
pub fn parse_control_pattern(text: &str) -> Result<ControlPattern, ControlIdError> {
    let pattern: ControlPattern = text.parse()?;
    if catalog().expand(&pattern)?.is_empty() {
        return Err(ControlIdError::EmptyPattern { pattern });
    }
    Ok(pattern)
}

/// A framework's requirements in the embedded catalog.
pub fn requirements(framework: Framework) -> Vec<Requirement> {
    catalog().requirements(framework).to_vec()
}
