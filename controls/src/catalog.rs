//! The control catalog: NIST SP 800-53 rev5 controls, the frameworks over them, id resolution
//! with did-you-mean, pattern expansion, and loading from documents or a directory.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{ControlIdError, LoadError};
use crate::framework::{Framework, FrameworkData, Requirement};
use crate::id::{ControlId, Family, StatementPart};
use crate::pattern::ControlPattern;
use crate::refs::ControlRef;

/// The `format` every catalog document carries; a reader refuses other formats.
pub const FORMAT: &str = "posture-controls/1";

/// Which release of SP 800-53 a control's title and statement were taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TextVersion {
    /// Release 5.0.1 (the full OSCAL catalog of 2021-06-08).
    #[serde(rename = "5.0.1")]
    V5_0_1,
    /// Release 5.1.1 (NIST and FedRAMP resolved baselines).
    #[serde(rename = "5.1.1")]
    V5_1_1,
    /// Release 5.1.1, entered by hand (IA-13 and its enhancements, in no baseline).
    #[serde(rename = "5.1.1-manual")]
    V5_1_1Manual,
}

/// Where a withdrawn control went: a control, one lettered item of a control's statement
/// (NIST's `AC-2k`), or a whole family (SA-12 went to the new SR family).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum WithdrawnTarget {
    /// A control or enhancement.
    Control(ControlId),
    /// One lettered item of a control's statement.
    Item(ControlId, StatementPart),
    /// A whole family.
    Family(Family),
}

impl WithdrawnTarget {
    /// The control the target names, if it names one.
    pub fn control(&self) -> Option<ControlId> {
        match self {
            WithdrawnTarget::Control(c) | WithdrawnTarget::Item(c, _) => Some(*c),
            WithdrawnTarget::Family(_) => None,
        }
    }
}

impl fmt::Display for WithdrawnTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WithdrawnTarget::Control(c) => write!(f, "`{c}`"),
            WithdrawnTarget::Item(c, p) => write!(f, "`{c}` item {p}"),
            WithdrawnTarget::Family(fam) => write!(f, "the `{fam}` family"),
        }
    }
}

/// Where a withdrawn control's content went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Withdrawal {
    /// Moved to other controls.
    MovedTo(Vec<WithdrawnTarget>),
    /// Incorporated into other controls.
    IncorporatedInto(Vec<WithdrawnTarget>),
    /// Withdrawn with no successor; NIST's note says why.
    Removed(String),
}

impl Withdrawal {
    /// The controls the content went to (empty when removed).
    pub fn targets(&self) -> &[WithdrawnTarget] {
        match self {
            Withdrawal::MovedTo(t) | Withdrawal::IncorporatedInto(t) => t,
            Withdrawal::Removed(_) => &[],
        }
    }
}

impl fmt::Display for Withdrawal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |t: &[WithdrawnTarget]| {
            t.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Withdrawal::MovedTo(t) => write!(f, "moved to {}", list(t)),
            Withdrawal::IncorporatedInto(t) => write!(f, "incorporated into {}", list(t)),
            Withdrawal::Removed(note) => {
                write!(
                    f,
                    "no replacement ({})",
                    note.trim_end_matches('.').to_lowercase()
                )
            }
        }
    }
}

/// One NIST SP 800-53 rev5 control or enhancement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// The control's id.
    pub id: ControlId,
    /// Its title.
    pub title: String,
    /// The statement, parameters rendered as `[Assignment: …]`/`[Selection …]`; `None` when
    /// withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// Where it went, when withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
    /// Which release the title and statement come from.
    pub text_version: TextVersion,
    /// The NIST-id frameworks (baselines) that select this control, filled in on load.
    #[serde(skip)]
    pub baselines: Vec<Framework>,
}

impl Control {
    /// The control's family.
    pub fn family(&self) -> Family {
        self.id.family()
    }

    /// The base control of an enhancement.
    pub fn parent(&self) -> Option<ControlId> {
        self.id.parent()
    }

    /// Whether rev5 withdrew the control.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }
}

/// A provenance record: a source file a document was built from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceFile {
    /// The path under `controls/data/`.
    pub path: String,
    /// The full SHA-256 of the file, lower-case hex.
    pub sha256: String,
}

/// A catalog document (`kind: catalog`): every NIST control.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogDoc {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always `catalog`.
    pub kind: DocKind,
    /// The catalog's name.
    pub title: String,
    /// The files it was built from.
    pub sources: Vec<SourceFile>,
    /// Every control and enhancement, withdrawn ones included, in catalog order.
    pub controls: Vec<Control>,
}

/// A frameworks document (`kind: frameworks`): requirement lists per framework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworksDoc {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always `frameworks`.
    pub kind: DocKind,
    /// The files it was built from.
    pub sources: Vec<SourceFile>,
    /// The frameworks, each at most once.
    pub frameworks: Vec<FrameworkData>,
}

/// The kind of a catalog document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    /// A [`CatalogDoc`].
    Catalog,
    /// A [`FrameworksDoc`].
    Frameworks,
}

/// The first fields of any document, read to decide how to parse the rest.
#[derive(Deserialize)]
struct DocHeader {
    format: String,
    kind: DocKind,
}

/// The control catalog and every framework over it, checked for consistency.
#[derive(Clone, Debug)]
pub struct Catalog {
    title: String,
    controls: Vec<Control>,
    index: BTreeMap<ControlId, usize>,
    frameworks: BTreeMap<Framework, FrameworkData>,
    /// Non-NIST requirements by canonical id: the framework and position that define them.
    others: BTreeMap<ControlRef, (Framework, usize)>,
    /// Alternative spellings (HIPAA CPRT ids) to canonical ids.
    aliases: BTreeMap<ControlRef, ControlRef>,
    sources: Vec<SourceFile>,
}

impl Catalog {
    /// Builds a catalog from a catalog document and frameworks documents, checking that every
    /// framework is present once, every NIST id it names exists and is not withdrawn, and every
    /// withdrawn control's targets exist.
    pub fn from_docs(
        catalog: CatalogDoc,
        frameworks: Vec<FrameworksDoc>,
        origin: &Path,
    ) -> Result<Catalog, LoadError> {
        let mut problems = Vec::new();
        let mut sources: BTreeSet<SourceFile> = catalog.sources.iter().cloned().collect();
        let mut controls = catalog.controls;
        let mut index = BTreeMap::new();
        for (i, c) in controls.iter().enumerate() {
            if index.insert(c.id, i).is_some() {
                problems.push(format!("control `{}` is listed twice", c.id));
            }
            match (&c.statement, &c.withdrawn) {
                (None, None) => problems.push(format!("control `{}` has no statement", c.id)),
                (Some(_), Some(_)) => {
                    problems.push(format!("withdrawn control `{}` has a statement", c.id))
                }
                _ => {}
            }
        }
        if !controls.windows(2).all(|w| w[0].id < w[1].id) {
            problems.push("controls are not in catalog order".to_string());
        }
        for c in &controls {
            if let Some(parent) = c.id.parent()
                && !index.contains_key(&parent)
            {
                problems.push(format!(
                    "enhancement `{}` has no base control `{parent}`",
                    c.id
                ));
            }
            let targets = c.withdrawn.iter().flat_map(Withdrawal::targets);
            for t in targets.filter_map(WithdrawnTarget::control) {
                match index.get(&t).map(|&i| &controls[i]) {
                    None => problems.push(format!("withdrawn `{}` points to unknown `{t}`", c.id)),
                    Some(target) if target.is_withdrawn() => {
                        problems.push(format!("withdrawn `{}` points to withdrawn `{t}`", c.id))
                    }
                    Some(_) => {}
                }
            }
        }

        let mut by_framework: BTreeMap<Framework, FrameworkData> = BTreeMap::new();
        for doc in frameworks {
            sources.extend(doc.sources);
            for fw in doc.frameworks {
                match by_framework.entry(fw.id) {
                    std::collections::btree_map::Entry::Occupied(_) => {
                        problems.push(format!("framework `{}` is defined twice", fw.id));
                    }
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(fw);
                    }
                }
            }
        }
        for f in Framework::all() {
            if !by_framework.contains_key(f) {
                problems.push(format!("framework `{f}` is missing"));
            }
        }

        let mut others: BTreeMap<ControlRef, (Framework, usize)> = BTreeMap::new();
        let mut aliases = BTreeMap::new();
        let mut selected: Vec<(usize, Framework)> = Vec::new();
        for (f, fw) in by_framework.iter_mut() {
            let mut seen = BTreeSet::new();
            for (pos, req) in fw.requirements.iter_mut().enumerate() {
                if !seen.insert(req.id) {
                    problems.push(format!("`{}` is listed twice in `{f}`", req.id));
                }
                match req.id {
                    ControlRef::Nist(id) => {
                        if let Some(i) =
                            live_control(&index, &controls, id, &format!("`{f}`"), &mut problems)
                        {
                            selected.push((i, *f));
                            if req.title.is_empty() {
                                req.title = controls[i].title.clone();
                            }
                        }
                    }
                    other => {
                        others.entry(other).or_insert((*f, pos));
                    }
                }
                for edge in &req.informs {
                    let what = format!("`{f}` `{}` crosswalk", req.id);
                    live_control(&index, &controls, edge.control, &what, &mut problems);
                }
                for alias in &req.aliases {
                    match aliases.insert(*alias, req.id) {
                        Some(prev) if prev != req.id => problems.push(format!(
                            "alias `{alias}` names both `{prev}` and `{}`",
                            req.id
                        )),
                        _ => {}
                    }
                }
            }
        }
        for (i, f) in selected {
            controls[i].baselines.push(f);
        }
        for alias in aliases.keys() {
            if others.contains_key(alias) {
                problems.push(format!("alias `{alias}` is also a requirement id"));
            }
        }
        for c in &mut controls {
            c.baselines.sort();
            c.baselines.dedup();
        }
        if !problems.is_empty() {
            problems.sort();
            problems.dedup();
            return Err(LoadError::Invalid {
                path: origin.to_path_buf(),
                problems,
            });
        }
        Ok(Catalog {
            title: catalog.title,
            controls,
            index,
            frameworks: by_framework,
            others,
            aliases,
            sources: sources.into_iter().collect(),
        })
    }

    /// Parses the two JSON documents of the compact form.
    pub fn from_json(catalog: &str, frameworks: &str, origin: &Path) -> Result<Catalog, LoadError> {
        let cat: CatalogDoc = parse_doc(catalog, &origin.join("catalog.json"))?;
        let fws: FrameworksDoc = parse_doc(frameworks, &origin.join("frameworks.json"))?;
        Catalog::from_docs(cat, vec![fws], origin)
    }

    /// Overlays newer or additional catalog documents (the `*.json` files of a
    /// `--controls-dir`, read by the CLI) on the embedded catalog. `dir` names the directory in
    /// messages; each document comes with the path it was read from.
    ///
    /// Every document must be of the compact form: a `catalog` document replaces the embedded
    /// NIST catalog (at most one); each framework in a `frameworks` document replaces the
    /// embedded framework of the same id. Documents are taken in path order, whatever order
    /// they are given in. The result is checked like the embedded catalog; every problem is
    /// reported at once. No documents at all is [`LoadError::Empty`].
    pub fn overlay(dir: &Path, documents: &[(PathBuf, String)]) -> Result<Catalog, LoadError> {
        let mut files: Vec<&(PathBuf, String)> = documents.iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        if files.is_empty() {
            return Err(LoadError::Empty {
                path: dir.to_path_buf(),
            });
        }
        let mut catalog_doc: Option<(PathBuf, CatalogDoc)> = None;
        let mut overrides: BTreeMap<Framework, (PathBuf, FrameworkData)> = BTreeMap::new();
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        for (path, text) in files {
            let path = path.clone();
            let header: DocHeader = parse_doc(text, &path)?;
            if header.format != FORMAT {
                problems.push(format!(
                    "`{}` has format `{}`; this build reads `{FORMAT}`",
                    path.display(),
                    header.format
                ));
                continue;
            }
            match header.kind {
                DocKind::Catalog => {
                    let doc: CatalogDoc = parse_doc(text, &path)?;
                    if let Some((first, _)) = &catalog_doc {
                        problems.push(format!(
                            "two catalog documents: `{}` and `{}`",
                            first.display(),
                            path.display()
                        ));
                    } else {
                        catalog_doc = Some((path, doc));
                    }
                }
                DocKind::Frameworks => {
                    let doc: FrameworksDoc = parse_doc(text, &path)?;
                    sources.extend(doc.sources);
                    for fw in doc.frameworks {
                        if let Some((first, _)) = overrides.get(&fw.id) {
                            problems.push(format!(
                                "framework `{}` is defined in both `{}` and `{}`",
                                fw.id,
                                first.display(),
                                path.display()
                            ));
                        } else {
                            overrides.insert(fw.id, (path.clone(), fw));
                        }
                    }
                }
            }
        }
        if !problems.is_empty() {
            problems.sort();
            return Err(LoadError::Invalid {
                path: dir.to_path_buf(),
                problems,
            });
        }
        let (base_catalog, base_frameworks) = crate::embedded::docs()?;
        let catalog = catalog_doc.map(|(_, d)| d).unwrap_or(base_catalog);
        let mut frameworks = Vec::new();
        for fw in base_frameworks.frameworks {
            match overrides.remove(&fw.id) {
                Some((_, newer)) => frameworks.push(newer),
                None => frameworks.push(fw),
            }
        }
        sources.extend(base_frameworks.sources);
        let doc = FrameworksDoc {
            format: FORMAT.to_string(),
            kind: DocKind::Frameworks,
            sources,
            frameworks,
        };
        Catalog::from_docs(catalog, vec![doc], dir)
    }

    /// The catalog's name.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Every control and enhancement, withdrawn ones included, in catalog order.
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    /// The control with this id, withdrawn or not.
    pub fn control(&self, id: &ControlId) -> Option<&Control> {
        self.index.get(id).map(|&i| &self.controls[i])
    }

    /// A framework's data.
    pub fn framework(&self, f: Framework) -> Option<&FrameworkData> {
        self.frameworks.get(&f)
    }

    /// A framework's requirements, in order (empty only if the framework is absent, which a
    /// loaded catalog rules out).
    pub fn requirements(&self, f: Framework) -> &[Requirement] {
        self.frameworks
            .get(&f)
            .map_or(&[][..], |fw| fw.requirements.as_slice())
    }

    /// A non-NIST requirement (SOC 2, HIPAA or GRR) by canonical id or alias.
    pub fn requirement(&self, id: &ControlRef) -> Option<&Requirement> {
        let id = self.aliases.get(id).unwrap_or(id);
        let (f, pos) = self.others.get(id)?;
        self.frameworks.get(f)?.requirements.get(*pos)
    }

    /// The source files the catalog was built from, sorted by path.
    pub fn sources(&self) -> &[SourceFile] {
        &self.sources
    }

    /// Parses an id and checks it against the catalog: unknown ids get a did-you-mean,
    /// withdrawn NIST ids name their replacement, HIPAA aliases resolve to the canonical id.
    pub fn resolve(&self, text: &str) -> Result<ControlRef, ControlIdError> {
        let parsed: ControlRef = text.parse()?;
        self.check(parsed)
    }

    /// Checks a parsed id against the catalog; returns the canonical id.
    pub fn check(&self, id: ControlRef) -> Result<ControlRef, ControlIdError> {
        match id {
            ControlRef::Nist(nist) => match self.control(&nist) {
                Some(c) => match &c.withdrawn {
                    Some(w) => Err(ControlIdError::Withdrawn {
                        id: nist,
                        title: c.title.clone(),
                        withdrawal: w.clone(),
                    }),
                    None => Ok(id),
                },
                None => Err(ControlIdError::Unknown {
                    id,
                    suggestion: self.suggest(id),
                }),
            },
            other => {
                let canonical = self.aliases.get(&other).copied().unwrap_or(other);
                if self.others.contains_key(&canonical) {
                    Ok(canonical)
                } else {
                    Err(ControlIdError::Unknown {
                        id: other,
                        suggestion: self.suggest(other),
                    })
                }
            }
        }
    }

    /// The closest known id of the same kind (same family for NIST), if close enough.
    fn suggest(&self, id: ControlRef) -> Option<ControlRef> {
        let wanted = id.to_string();
        let candidates: Vec<ControlRef> = match id {
            ControlRef::Nist(n) => self
                .controls
                .iter()
                .filter(|c| !c.is_withdrawn() && c.id.family() == n.family())
                .map(|c| ControlRef::Nist(c.id))
                .collect(),
            _ => self
                .others
                .keys()
                .copied()
                .filter(|k| std::mem::discriminant(k) == std::mem::discriminant(&id))
                .collect(),
        };
        let mut best: Option<(usize, ControlRef)> = None;
        for cand in candidates {
            let d = strsim::levenshtein(&wanted, &cand.to_string());
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, cand));
            }
        }
        // Two edits cover a dropped or doubled digit and a wrong enhancement number.
        best.filter(|(d, _)| *d <= 2).map(|(_, c)| c)
    }

    /// The ids a pattern names, in catalog order, without withdrawn controls. `AC-2(*)` is an
    /// error when `AC-2` is unknown or withdrawn.
    pub fn expand(&self, pattern: &ControlPattern) -> Result<Vec<ControlId>, ControlIdError> {
        if let ControlPattern::Enhancements(base) = pattern {
            self.check(ControlRef::Nist(*base))?;
        }
        Ok(self
            .controls
            .iter()
            .filter(|c| !c.is_withdrawn() && pattern.matches(&c.id))
            .map(|c| c.id)
            .collect())
    }
}

/// The catalog position of a control a framework names, or a problem when it is unknown or
/// withdrawn.
fn live_control(
    index: &BTreeMap<ControlId, usize>,
    controls: &[Control],
    id: ControlId,
    what: &str,
    problems: &mut Vec<String>,
) -> Option<usize> {
    match index.get(&id) {
        None => {
            problems.push(format!("{what} names unknown `{id}`"));
            None
        }
        Some(&i) if controls[i].is_withdrawn() => {
            problems.push(format!("{what} names withdrawn `{id}`"));
            None
        }
        Some(&i) => Some(i),
    }
}

/// Parses a JSON document, reporting serde's message with the file.
fn parse_doc<'a, T: Deserialize<'a>>(text: &'a str, path: &Path) -> Result<T, LoadError> {
    serde_json::from_str(text).map_err(|e| LoadError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
