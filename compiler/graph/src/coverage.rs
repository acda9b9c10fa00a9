//! Coverage: the status of every requirement of a framework, the summary, and the CI gates.
//!
//! A NIST requirement is
//! - **satisfied** when an item implements the control through an enforcing artifact;
//! - **inherited**, **process** or **not applicable** when `controls { … }` declares it so;
//! - **partial** when it is an enhancement whose base control is satisfied but it is not;
//! - **claimed** when an item maps to it (`satisfies` or a default) without an enforcing
//!   artifact behind it;
//! - **gap** otherwise.
//!
//! A non-NIST requirement (SOC 2 criterion, HIPAA paragraph, DoD GRR) is inherited, process or
//! not applicable only when declared so for its own id. Otherwise it is **supported** when an
//! 800-53 control that informs it (per the published crosswalk) is covered, or an item with an
//! enforcing artifact names it; **claimed** when only claims name it; **gap** otherwise.
//! Supported is never counted: the crosswalk says the controls inform the criterion, not that
//! they meet it.
//!
//! Coverage percent = (satisfied + inherited + process + not applicable) / requirements, one
//! requirement per id of the framework's list, rounded down to a tenth so the printed number
//! never overstates.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use ir::SmolStr;

use controls::{ControlRef, Framework};
use serde::{Deserialize, Serialize};

use crate::build::ControlGraph;
use crate::model::{Declaration, ItemId, ItemKind, Location};

/// A requirement's coverage status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// An enforcing artifact implements it.
    Satisfied,
    /// A provider implements it (declared).
    Inherited,
    /// An organisational process with evidence does it (declared).
    Process,
    /// It does not apply (declared, with the reason).
    NotApplicable,
    /// The base control is satisfied; this enhancement is not.
    Partial,
    /// Non-NIST: informing 800-53 controls are covered, which supports but does not meet it.
    Supported,
    /// Items map to it, but nothing emitted enforces it.
    Claimed,
    /// Nothing addresses it.
    Gap,
}

impl Status {
    /// Every status, in the order reports list them.
    pub const ALL: [Status; 8] = [
        Status::Satisfied,
        Status::Inherited,
        Status::Process,
        Status::NotApplicable,
        Status::Partial,
        Status::Supported,
        Status::Claimed,
        Status::Gap,
    ];

    /// Whether the status counts towards coverage.
    pub fn counts(self) -> bool {
        matches!(
            self,
            Status::Satisfied | Status::Inherited | Status::Process | Status::NotApplicable
        )
    }

    /// The status's name in reports (`not-applicable`).
    pub fn name(self) -> &'static str {
        match self {
            Status::Satisfied => "satisfied",
            Status::Inherited => "inherited",
            Status::Process => "process",
            Status::NotApplicable => "not-applicable",
            Status::Partial => "partial",
            Status::Supported => "supported",
            Status::Claimed => "claimed",
            Status::Gap => "gap",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An item as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ItemRef {
    pub id: ItemId,
    pub label: SmolStr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A declared process, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRef {
    pub name: String,
    pub evidence: String,
    pub every: String,
}

/// An 800-53 control that informs a non-NIST requirement, with its own status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Informing {
    pub control: ControlRef,
    pub status: Status,
}

/// Everything the graph knows about one control id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlFacts {
    /// Items implementing it through enforcing artifacts.
    pub implemented_by: Vec<ItemId>,
    /// Items whose enforcing artifacts meet part of it (`supports`).
    pub supported_by: Vec<ItemId>,
    /// Items mapping to it without an enforcing artifact.
    pub claimed_by: Vec<ItemId>,
    /// `inherited` statements naming it.
    pub inherited: Vec<ItemId>,
    /// `process` statements naming it.
    pub process: Vec<ItemId>,
    /// `not_applicable` statements naming it.
    pub not_applicable: Vec<ItemId>,
}

/// One requirement's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementRow {
    pub id: ControlRef,
    pub title: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implemented_by: Vec<ItemRef>,
    /// The enforcing artifacts of the implementing items (and, for a partial control, of the
    /// supporting ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<String>,
    /// Items whose artifacts meet part of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_by: Vec<ItemRef>,
    /// Why a cross-layer check limited the supporting items (the plaintext flows, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limited: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claimed_by: Vec<ItemRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherited_from: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<ProcessRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_applicable: Vec<String>,
    /// For a partial enhancement: the satisfied base control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<ControlRef>,
    /// For a non-NIST requirement: the informing 800-53 controls and their status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub informed_by: Vec<Informing>,
    /// Exceptions that waive an item implementing or claiming it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<String>,
}

/// Counts per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub requirements: usize,
    pub satisfied: usize,
    pub inherited: usize,
    pub process: usize,
    pub not_applicable: usize,
    pub partial: usize,
    pub supported: usize,
    pub claimed: usize,
    pub gap: usize,
    /// satisfied + inherited + process + not applicable.
    pub covered: usize,
    /// covered / requirements, in percent, rounded down to a tenth.
    pub percent: f64,
}

impl Summary {
    /// The count of one status.
    pub fn count(&self, s: Status) -> usize {
        match s {
            Status::Satisfied => self.satisfied,
            Status::Inherited => self.inherited,
            Status::Process => self.process,
            Status::NotApplicable => self.not_applicable,
            Status::Partial => self.partial,
            Status::Supported => self.supported,
            Status::Claimed => self.claimed,
            Status::Gap => self.gap,
        }
    }

    fn add(&mut self, s: Status) {
        self.requirements += 1;
        let slot = match s {
            Status::Satisfied => &mut self.satisfied,
            Status::Inherited => &mut self.inherited,
            Status::Process => &mut self.process,
            Status::NotApplicable => &mut self.not_applicable,
            Status::Partial => &mut self.partial,
            Status::Supported => &mut self.supported,
            Status::Claimed => &mut self.claimed,
            Status::Gap => &mut self.gap,
        };
        *slot += 1;
        if s.counts() {
            self.covered += 1;
        }
    }

    fn finish(&mut self) {
        let tenths = (self.covered * 1000)
            .checked_div(self.requirements)
            .unwrap_or(0);
        self.percent = tenths as f64 / 10.0;
    }
}

/// A framework's coverage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub framework: Framework,
    /// The framework's name (`FedRAMP Moderate`).
    pub name: String,
    /// Whether the posture's `system` lists the framework.
    pub declared: bool,
    pub summary: Summary,
    /// One row per requirement, in the framework's order.
    pub requirements: Vec<RequirementRow>,
}

impl ControlGraph<'_> {
    /// What the graph knows about a control id, each list sorted.
    pub fn facts(&self, c: ControlRef) -> ControlFacts {
        self.facts_ref(c).clone()
    }

    /// [`ControlGraph::facts`] without a copy: the lists gathered when the graph was built.
    pub fn facts_ref(&self, c: ControlRef) -> &ControlFacts {
        static NONE: ControlFacts = ControlFacts {
            implemented_by: Vec::new(),
            supported_by: Vec::new(),
            claimed_by: Vec::new(),
            inherited: Vec::new(),
            process: Vec::new(),
            not_applicable: Vec::new(),
        };
        self.facts.get(&c).unwrap_or(&NONE)
    }

    /// A control's or requirement's status (the same in every framework that lists it).
    pub fn status(&self, c: ControlRef) -> Status {
        let f = self.facts_ref(c);
        match c {
            ControlRef::Nist(id) => {
                if !f.implemented_by.is_empty() {
                    Status::Satisfied
                } else if let Some(s) = declared(f) {
                    s
                } else if !f.supported_by.is_empty() {
                    Status::Partial
                } else if !f.claimed_by.is_empty() {
                    Status::Claimed
                } else if id.parent().is_some_and(|base| {
                    !self
                        .facts_ref(ControlRef::Nist(base))
                        .implemented_by
                        .is_empty()
                }) {
                    Status::Partial
                } else {
                    Status::Gap
                }
            }
            other => {
                if let Some(s) = declared(f) {
                    s
                } else if !f.implemented_by.is_empty()
                    || !f.supported_by.is_empty()
                    || self.informing(other).iter().any(|i| i.status.counts())
                {
                    Status::Supported
                } else if !f.claimed_by.is_empty() {
                    Status::Claimed
                } else {
                    Status::Gap
                }
            }
        }
    }

    /// The 800-53 controls that inform a non-NIST requirement, with their status, in the
    /// crosswalk's order (empty for NIST ids).
    pub fn informing(&self, c: ControlRef) -> Vec<Informing> {
        let Some(req) = self.catalog.requirement(&c) else {
            return Vec::new();
        };
        let mut seen = BTreeSet::new();
        req.informs
            .iter()
            .filter(|e| seen.insert(e.control))
            .map(|e| Informing {
                control: ControlRef::Nist(e.control),
                status: self.status(ControlRef::Nist(e.control)),
            })
            .collect()
    }

    pub(crate) fn item_ref(&self, id: &ItemId) -> ItemRef {
        match self.items.get(id) {
            Some(i) => ItemRef {
                id: i.id.clone(),
                label: i.label.clone(),
                location: i.location.clone(),
            },
            None => ItemRef {
                id: id.clone(),
                label: id.to_string().into(),
                location: None,
            },
        }
    }

    /// The exceptions waiving any of these items, sorted by id. Asked per exception (a
    /// posture has few), not per item (a control can have tens of thousands).
    pub(crate) fn exceptions_for(&self, items: &[ItemId]) -> Vec<ItemId> {
        if self.waivers.is_empty() {
            return Vec::new();
        }
        let items: BTreeSet<&ItemId> = items.iter().collect();
        self.waivers
            .iter()
            .filter_map(|e| self.items.get(e))
            .filter(|e| {
                e.waives
                    .iter()
                    .any(|w| self.items.contains_key(w) && items.contains(w))
            })
            .map(|e| e.id.clone())
            .collect()
    }

    /// The enforcing artifacts of these items, sorted and deduplicated.
    pub(crate) fn artifacts_of(&self, items: &[ItemId]) -> Vec<String> {
        // Gathered, then sorted once (a set compared the paths of tens of thousands of items).
        let mut out: Vec<&str> = Vec::new();
        for i in items {
            out.extend_from_slice(self.enforcing_paths(i));
        }
        sort_paths(&mut out);
        out.into_iter().map(str::to_string).collect()
    }

    /// One requirement's row.
    pub fn row(&self, id: ControlRef, title: &str) -> RequirementRow {
        let f = self.facts_ref(id);
        let status = self.status(id);
        let mut inherited_from = Vec::new();
        let mut processes = Vec::new();
        let mut not_applicable = Vec::new();
        for i in f
            .inherited
            .iter()
            .chain(&f.process)
            .chain(&f.not_applicable)
        {
            match self.items.get(i).and_then(|x| x.declaration.as_deref()) {
                Some((Declaration::Inherited { provider }, _)) => {
                    inherited_from.push(provider.clone())
                }
                Some((
                    Declaration::Process {
                        name,
                        evidence,
                        every,
                        ..
                    },
                    _,
                )) => processes.push(ProcessRef {
                    name: name.clone(),
                    evidence: evidence.clone(),
                    every: every.clone(),
                }),
                Some((Declaration::NotApplicable { reason }, _)) => {
                    not_applicable.push(reason.clone())
                }
                None => {}
            }
        }
        // Without exceptions there is nothing to look for (and no copy of every id to make).
        let touching: Vec<ItemId> = if self.waivers.is_empty() {
            Vec::new()
        } else {
            f.implemented_by
                .iter()
                .chain(&f.supported_by)
                .chain(&f.claimed_by)
                .cloned()
                .collect()
        };
        let exceptions = self
            .exceptions_for(&touching)
            .into_iter()
            .filter_map(|e| self.items.get(&e))
            .filter(|e| e.kind == ItemKind::Exception)
            .map(|e| e.id.name.to_string())
            .collect();
        RequirementRow {
            id,
            title: title.to_string(),
            status,
            implemented_by: f.implemented_by.iter().map(|i| self.item_ref(i)).collect(),
            artifacts: if f.implemented_by.is_empty() {
                self.artifacts_of(&f.supported_by)
            } else {
                self.artifacts_of(&f.implemented_by)
            },
            supported_by: f.supported_by.iter().map(|i| self.item_ref(i)).collect(),
            limited: {
                let mut why: Vec<String> = f
                    .supported_by
                    .iter()
                    .filter_map(|i| self.items.get(i)?.mappings.get(&id))
                    .flatten()
                    .filter_map(|m| match m {
                        crate::model::MappingSource::Limited { reason } => Some(reason.clone()),
                        _ => None,
                    })
                    .collect();
                why.sort();
                why.dedup();
                why
            },
            claimed_by: f.claimed_by.iter().map(|i| self.item_ref(i)).collect(),
            inherited_from,
            processes,
            not_applicable,
            base: match (status, id) {
                (Status::Partial, ControlRef::Nist(c)) if f.supported_by.is_empty() => {
                    c.parent().map(ControlRef::Nist)
                }
                _ => None,
            },
            informed_by: self.informing(id),
            exceptions,
        }
    }

    /// A framework's coverage: one row per requirement, in the framework's order.
    pub fn coverage(&self, framework: Framework) -> Coverage {
        let mut summary = Summary::default();
        let requirements: Vec<RequirementRow> = self
            .catalog
            .requirements(framework)
            .iter()
            .map(|r| {
                let row = self.row(r.id, &r.title);
                summary.add(row.status);
                row
            })
            .collect();
        summary.finish();
        Coverage {
            framework,
            name: framework.name().to_string(),
            declared: self.system_frameworks.contains(&framework),
            summary,
            requirements,
        }
    }
}

/// Sorts paths and keeps each once, as `sort_unstable` and `dedup` do. The paths the graph
/// hands out ([`ControlGraph::enforcing_paths`]) borrow one string per artifact, so tens of
/// thousands of them (a control's items' files) are first made unique by address, comparing
/// integers, and only the few left are compared as text.
pub fn sort_paths(paths: &mut Vec<&str>) {
    paths.sort_unstable_by_key(|p| p.as_ptr() as usize);
    paths.dedup_by(|a, b| std::ptr::eq(*a, *b));
    paths.sort_unstable();
    paths.dedup();
}

/// The declared status, in the order inherited, process, not applicable.
fn declared(f: &ControlFacts) -> Option<Status> {
    if !f.inherited.is_empty() {
        Some(Status::Inherited)
    } else if !f.process.is_empty() {
        Some(Status::Process)
    } else if !f.not_applicable.is_empty() {
        Some(Status::NotApplicable)
    } else {
        None
    }
}

/// A percentage with two decimals (`80`, `72.5`, `99.95%`), compared exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent {
    hundredths: u32,
}

impl Percent {
    /// The percentage from hundredths of a percent (`8000` = 80%); `None` above 100%.
    pub fn from_hundredths(hundredths: u32) -> Option<Percent> {
        (hundredths <= 10_000).then_some(Percent { hundredths })
    }

    /// Whether `covered` out of `total` reaches this percentage (0 of 0 reaches only 0%).
    pub fn reached_by(self, covered: usize, total: usize) -> bool {
        if total == 0 {
            return self.hundredths == 0;
        }
        (covered as u128) * 10_000 >= u128::from(self.hundredths) * (total as u128)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.hundredths / 100;
        let frac = self.hundredths % 100;
        match frac {
            0 => write!(f, "{whole}%"),
            x if x % 10 == 0 => write!(f, "{whole}.{}%", x / 10),
            x => write!(f, "{whole}.{x:02}%"),
        }
    }
}

impl FromStr for Percent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a percentage from 0 to 100 (like `80` or `72.5`)");
        let t = s.trim();
        let t = t.strip_suffix('%').unwrap_or(t);
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty()
            || whole.len() > 3
            || frac.len() > 2
            || !whole
                .bytes()
                .chain(frac.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let mut f: u32 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        if frac.len() == 1 {
            f *= 10;
        }
        Percent::from_hundredths(whole * 100 + f).ok_or_else(bad)
    }
}

/// The CI gates of `posture coverage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gate {
    /// `--min-coverage PERCENT`.
    pub min_coverage: Option<Percent>,
    /// `--deny-gaps`: every requirement must count (no gap, partial, supported or claimed).
    pub deny_gaps: bool,
}

impl Gate {
    /// Why the coverage does not pass the gates; empty when it does.
    pub fn failures(&self, c: &Coverage) -> Vec<String> {
        let mut out = Vec::new();
        let s = &c.summary;
        if let Some(min) = self.min_coverage
            && !min.reached_by(s.covered, s.requirements)
        {
            out.push(format!(
                "coverage of `{}` is {:.1}% ({} of {}), below the minimum {min}",
                c.framework, s.percent, s.covered, s.requirements
            ));
        }
        if self.deny_gaps {
            let open: Vec<String> = Status::ALL
                .iter()
                .filter(|st| !st.counts() && s.count(**st) > 0)
                .map(|st| format!("{} {st}", s.count(*st)))
                .collect();
            if !open.is_empty() {
                out.push(format!(
                    "`{}` has {} requirement{} not covered ({})",
                    c.framework,
                    s.requirements - s.covered,
                    if s.requirements - s.covered == 1 {
                        ""
                    } else {
                        "s"
                    },
                    open.join(", ")
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_parses_and_compares_exactly() {
        let p: Percent = "80".parse().expect("80");
        assert_eq!(p.to_string(), "80%");
        assert!(p.reached_by(8, 10));
        assert!(!p.reached_by(79, 99));
        let p: Percent = "33.3%".parse().expect("33.3");
        assert_eq!(p.to_string(), "33.3%");
        assert!(p.reached_by(333, 1000));
        assert!(!p.reached_by(332, 1000));
        assert_eq!(
            "72.25".parse::<Percent>().map(|p| p.to_string()),
            Ok("72.25%".into())
        );
        for bad in ["", "101", "-1", "1e2", "50.123", "abc", ".5", "100.01"] {
            assert!(bad.parse::<Percent>().is_err(), "{bad}");
        }
        assert!(Percent::from_hundredths(0).is_some_and(|p| p.reached_by(0, 0)));
        assert!(!"1".parse::<Percent>().is_ok_and(|p| p.reached_by(0, 0)));
    }

    #[test]
    fn sort_paths_is_sort_and_dedup() {
        // Equal texts at other addresses, and one text twice at one address.
        let owned: Vec<String> = ["b", "a", "c", "a", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut paths: Vec<&str> = owned.iter().map(String::as_str).collect();
        paths.push(owned[2].as_str());
        paths.push("");
        let mut expected = paths.clone();
        expected.sort_unstable();
        expected.dedup();
        sort_paths(&mut paths);
        assert_eq!(paths, expected);
        assert_eq!(paths, ["", "a", "b", "c"]);
        let mut none: Vec<&str> = Vec::new();
        sort_paths(&mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn summary_rounds_down() {
        let mut s = Summary::default();
        for st in [Status::Satisfied, Status::Satisfied, Status::Gap] {
            s.add(st);
        }
        s.finish();
        assert_eq!(s.percent, 66.6);
        assert_eq!(s.covered, 2);
    }
}
