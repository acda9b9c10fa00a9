//! Control mappings declared in the posture: inherited controls, organisational processes,
//! not-applicable controls. Control ids are the `controls` crate's typed ids.

use crate::{Duration, Meta, Name, Url};
use serde::Serialize;

pub use ::controls::{ControlPattern, ControlRef, Framework};

/// A control, or a pattern such as `PE-*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlSelector {
    One(ControlRef),
    Pattern(ControlPattern),
}

impl std::fmt::Display for ControlSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlSelector::One(c) => c.fmt(f),
            ControlSelector::Pattern(p) => p.fmt(f),
        }
    }
}

impl Serialize for ControlSelector {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Controls a provider implements for us.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inherited {
    pub controls: Vec<ControlSelector>,
    pub provider: String,
    pub meta: Meta,
}

/// `process NAME { controls, evidence, every }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Process {
    pub name: Name,
    pub controls: Vec<ControlSelector>,
    pub evidence: Url,
    pub every: Duration,
    pub owner: Option<String>,
    pub meta: Meta,
}

/// Controls that do not apply, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotApplicable {
    pub controls: Vec<ControlSelector>,
    pub reason: String,
    pub meta: Meta,
}

/// `controls { … }`, merged.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Controls {
    pub inherited: Vec<Inherited>,
    pub processes: std::collections::BTreeMap<Name, Process>,
    pub not_applicable: Vec<NotApplicable>,
}
