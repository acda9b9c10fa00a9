//! `posture diff OLD NEW`: what a pull request changes in a posture, for its reviewer.
//!
//! Two revisions are compared either as sources (each compiled in memory by the driver, as
//! `build` and `reach` do: [`compare_sources`]) or as two build output directories
//! ([`compare_builds`], from the files their `manifest.json` lists). The result is a typed
//! [`Report`]:
//!
//! - **flows** that become allowed or denied, from the reachability analysis the build's proof
//!   runs over the emitted NetworkPolicies (the allowed relations are compared, not the text);
//! - **coverage**: every control whose status changes, and each framework's summary;
//! - **exceptions** added, removed, widened or narrowed;
//! - **objects**: emitted Kubernetes objects (and other emitted documents) added, removed or
//!   changed, compared as parsed documents, with the changed field paths.
//!
//! What cannot be derived truthfully from the inputs (flows and exceptions from two builds,
//! which hold no workloads and no IR) is listed in [`Report::not_available`], never invented.
//! [`Outcome`] says whether anything changed and whether the change widens the posture (a
//! newly allowed flow, lower coverage, an exception added or widened, an enforcing object
//! removed); the CLI turns it into the exit status.
//!
//! Every list is sorted; the same inputs give the same bytes. Values of files that may name
//! secret-store references (`secrets/`, `keycloak/`) are never printed, only field paths.

#![forbid(unsafe_code)]

mod coverage;
mod exceptions;
mod flows;
mod objects;
pub mod render;

use serde::{Deserialize, Serialize};

pub use objects::{BuildFile, Document, documents};

/// The version of the JSON report's shape.
pub const REPORT_VERSION: u32 = 1;

/// What `posture diff OLD NEW` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// What was compared: `sources` or `builds`.
    pub mode: Mode,
    /// The old revision's path, as given.
    pub old: String,
    /// The new revision's path, as given.
    pub new: String,
    /// Whether anything changed, and whether it widens the posture.
    pub outcome: Outcome,
    /// Flows that become allowed or denied; `None` when not available (see `not_available`).
    pub flows: Option<Flows>,
    /// Controls whose coverage changes and frameworks whose summary changes.
    pub coverage: Option<CoverageChanges>,
    /// Exceptions added, removed or changed; `None` when not available.
    pub exceptions: Option<Vec<ExceptionChange>>,
    /// Emitted objects added, removed or changed.
    pub objects: Vec<ObjectChange>,
    /// The sections that cannot be derived from the inputs, with the reason.
    pub not_available: Vec<Unavailable>,
}

/// What was compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Two posture revisions (directories or files of `.posture` sources).
    Sources,
    /// Two build output directories.
    Builds,
}

/// The verdict a CI gate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Nothing changed.
    Unchanged,
    /// Something changed; nothing widens the posture.
    Changed,
    /// At least one change widens the posture.
    Widens,
}

/// A section that the inputs cannot give.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unavailable {
    /// `flows`, `exceptions`, `coverage`.
    pub section: String,
    pub reason: String,
}

/// A place in the posture's sources: the display path (relative to where the command ran)
/// and a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// Flows whose allowance changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flows {
    /// Connections the new revision allows and the old one does not.
    pub allowed: Vec<Flow>,
    /// Connections the old revision allows and the new one does not.
    pub denied: Vec<Flow>,
}

/// Connections between two endpoints (only the part that changed).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// `namespace/workload`, `ingress-controller`, or addresses as CIDRs.
    pub from: String,
    pub to: String,
    /// `TCP 8080`, `TCP 53,UDP 53`, `All Connections`.
    pub connections: String,
    /// The intent that declares it: in the new revision for an allowed flow, in the old one
    /// for a denied flow; `None` when no intent covers both ends (an open namespace).
    pub at: Option<Location>,
}

/// Coverage changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageChanges {
    /// Every control or requirement whose status changes, sorted by id.
    pub controls: Vec<ControlChange>,
    /// Every framework whose summary changes, sorted by id.
    pub frameworks: Vec<FrameworkChange>,
}

/// One control's status before and after. `None` when the revision's frameworks do not list
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlChange {
    /// `SC-7(5)`, `soc2:CC6.1`.
    pub control: String,
    /// The title, when known.
    pub title: String,
    pub old: Option<graph::Status>,
    pub new: Option<graph::Status>,
    /// The frameworks (ids) that list it, in either revision.
    pub frameworks: Vec<String>,
    /// The new status covers less than the old one.
    pub lower: bool,
}

/// One framework's summary before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkChange {
    /// `fedramp-moderate`.
    pub framework: String,
    pub old: Option<Score>,
    pub new: Option<Score>,
}

/// A framework's covered requirements.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// Satisfied, inherited, process or not applicable.
    pub covered: usize,
    pub requirements: usize,
    /// One decimal.
    pub percent: f64,
}

/// How an exception changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExceptionChangeKind {
    Added,
    Removed,
    /// Wider: more waived items, a wider scope, a later expiry, a condition dropped or
    /// changed (a changed condition cannot be compared, so it counts as wider).
    Widened,
    /// Only narrower or unrelated changes (owner, ticket, reason).
    Changed,
}

/// An exception as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionFacts {
    pub waive: Vec<String>,
    /// Empty: every namespace the waived items apply to.
    pub namespaces: Vec<String>,
    /// Empty: every workload of the namespaces.
    pub workloads: Vec<String>,
    pub condition: Option<String>,
    /// `YYYY-MM-DD`.
    pub expires: String,
    pub owner: String,
    pub ticket: Option<String>,
}

/// One exception's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionChange {
    pub name: String,
    pub change: ExceptionChangeKind,
    /// What changed, one line each (`expires 2027-06-30 -> 2027-12-31 (later)`).
    pub details: Vec<String>,
    pub old: Option<ExceptionFacts>,
    pub new: Option<ExceptionFacts>,
    /// The exception in the new revision (the old one when removed).
    pub at: Option<Location>,
}

/// How an object changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectChangeKind {
    Added,
    Removed,
    Changed,
}

/// One emitted object (a Kubernetes object, or another emitted document: a Falco rules file,
/// a realm, the API server's flags) added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectChange {
    /// The object's `kind`, or `file` for a document that is not a Kubernetes object.
    pub kind: String,
    /// The namespace; empty for cluster-scoped objects and files.
    pub namespace: String,
    /// The object's name, or the file's path (with `#N` for its N-th document).
    pub name: String,
    pub change: ObjectChangeKind,
    /// The output file that holds it (in the new revision, or the old one when removed).
    pub file: String,
    /// The changed field paths (for `changed`), sorted.
    pub fields: Vec<FieldChange>,
    /// The object may name secret-store references (`secrets/`, `keycloak/`): field paths are
    /// shown, values never.
    pub values_hidden: bool,
    /// Why this change widens the posture, when it does.
    pub widens: Option<String>,
    /// The posture item it comes from, in the new revision (sources only).
    pub at: Option<Location>,
}

/// One changed field: its path and the values (scalars as JSON; `{…}`/`[…]` for larger
/// values; `None` when absent on that side or not shown because the file may name
/// secret-store references).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    /// `spec.ingress[0].ports[0].port`, `rules[rule=Terminal shell].condition`.
    pub path: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl Report {
    /// The outcome of the sections, computed from them.
    fn decide(&mut self) {
        let widens = self.flows.as_ref().is_some_and(|f| !f.allowed.is_empty())
            || self
                .coverage
                .as_ref()
                .is_some_and(|c| c.controls.iter().any(|x| x.lower))
            || self.exceptions.as_ref().is_some_and(|e| {
                e.iter().any(|x| {
                    matches!(
                        x.change,
                        ExceptionChangeKind::Added | ExceptionChangeKind::Widened
                    )
                })
            })
            || self.objects.iter().any(|o| o.widens.is_some());
        let changed = widens
            || self
                .flows
                .as_ref()
                .is_some_and(|f| !f.allowed.is_empty() || !f.denied.is_empty())
            || self
                .coverage
                .as_ref()
                .is_some_and(|c| !c.controls.is_empty() || !c.frameworks.is_empty())
            || self.exceptions.as_ref().is_some_and(|e| !e.is_empty())
            || !self.objects.is_empty();
        self.outcome = if widens {
            Outcome::Widens
        } else if changed {
            Outcome::Changed
        } else {
            Outcome::Unchanged
        };
    }

    /// Reads a report back from its JSON (`--format json`).
    pub fn from_json(text: &str) -> Result<Report, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// One revision of sources, compiled.
pub struct SourceSide<'a> {
    /// The build of the revision; it must have checked without errors.
    pub build: &'a driver::Build,
    /// Its sources with display paths (the CLI's).
    pub sources: &'a diagnostics::Sources,
    /// The control catalog.
    pub catalog: &'a controls::Catalog,
    /// The path as given.
    pub path: String,
}

/// One build output directory, read by the CLI: the files its manifest lists.
pub struct BuildSide {
    pub path: String,
    pub files: Vec<BuildFile>,
}

/// Compares two posture revisions that both checked and whose proofs hold. `Err` is the
/// reachability read-back's diagnostics (P4008) of one revision.
pub fn compare_sources(
    old: &SourceSide<'_>,
    new: &SourceSide<'_>,
) -> Result<Report, Vec<diagnostics::Diagnostic>> {
    let (Some(op), Some(np)) = (old.build.posture(), new.build.posture()) else {
        return Err(Vec::new());
    };
    let flows = flows::compare(op, old, np, new)?;
    let coverage = coverage::compare_graphs(old, new);
    let exceptions = exceptions::compare(op, old.sources, np, new.sources);
    let objects = objects::compare_sources(old, new);
    let mut report = Report {
        version: REPORT_VERSION,
        mode: Mode::Sources,
        old: old.path.clone(),
        new: new.path.clone(),
        outcome: Outcome::Unchanged,
        flows: Some(flows),
        coverage: Some(coverage),
        exceptions: Some(exceptions),
        objects,
        not_available: Vec::new(),
    };
    report.decide();
    Ok(report)
}

/// Compares two build output directories: the objects, and the coverage the builds' SSPs
/// record. Flows and exceptions are not available from builds and say so.
pub fn compare_builds(old: &BuildSide, new: &BuildSide) -> Report {
    let objects = objects::compare_builds(&old.files, &new.files);
    let (coverage, mut not_available) = coverage::compare_builds(&old.files, &new.files);
    not_available.push(Unavailable {
        section: "flows".into(),
        reason: "a build holds the NetworkPolicies but not the workloads they select, so \
                 reachability cannot be recomputed from it; compare the posture revisions \
                 instead (changed NetworkPolicies are listed under objects and count as \
                 widening)"
            .into(),
    });
    not_available.push(Unavailable {
        section: "exceptions".into(),
        reason: "a build holds the exceptions only as compiled objects (PolicyExceptions, Falco \
                 exceptions, lowered Pod Security labels), listed under objects; compare the \
                 posture revisions to see them as exceptions"
            .into(),
    });
    not_available.sort();
    let mut report = Report {
        version: REPORT_VERSION,
        mode: Mode::Builds,
        old: old.path.clone(),
        new: new.path.clone(),
        outcome: Outcome::Unchanged,
        flows: None,
        coverage,
        exceptions: None,
        objects,
        not_available,
    };
    report.decide();
    report
}

/// The location of a span in display sources.
pub(crate) fn location(sources: &diagnostics::Sources, span: ir::Span) -> Option<Location> {
    let f = sources.get(span.file)?;
    let lc = f.line_col(span.start as usize);
    Some(Location {
        file: f.path.clone(),
        line: lc.line,
        column: lc.column,
    })
}
