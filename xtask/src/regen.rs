//! Regeneration of the compact catalog (`data/compact/*.json`) from the source files in `data/`.
//!
//! Every source file is listed with its full SHA-256 in `data/SHA256SUMS`; regeneration checks
//! every listed hash first and fails on any mismatch, so the compact form is always built from
//! exactly the files whose provenance `data/SOURCES.md` records. Run it with
//! `cargo xtask regen-controls` (`--check` to only compare). It lives in xtask, not in the
//! `controls` crate, so none of it is linked into the `posture` binary. The tests below regenerate
//! in memory and compare with the committed compact documents (which `controls` embeds), so the
//! two cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use controls::{
    AdditionalKind, AdditionalText, Catalog, CatalogDoc, Control, ControlId, ControlRef,
    CrosswalkSource, DocKind, FORMAT, Family, Framework, FrameworkData, FrameworksDoc, GrrId,
    HipaaId, HipaaKind, Implementation, InformsEdge, LiSaasTailoring, LoadError, OdpId,
    ParameterSource, ParameterValue, Requirement, Soc2Id, SourceFile, StatementPart, TextVersion,
    Withdrawal, WithdrawnTarget,
};

/// The file under `data/` that lists every source file with its full SHA-256.
pub(crate) const SUMS_FILE: &str = "SHA256SUMS";
/// The folder under `data/` that holds the compact form.
pub(crate) const COMPACT_DIR: &str = "compact";
/// The compact form's catalog document.
pub(crate) const CATALOG_FILE: &str = "catalog.json";
/// The compact form's frameworks document.
pub(crate) const FRAMEWORKS_FILE: &str = "frameworks.json";

const NIST_INDEX: &str = "nist-800-53r5/derived/nist-800-53r5-controls.json";
const NIST_STATEMENTS: &str = "nist-800-53r5/derived/nist-800-53r5-statements.json";
const NIST_OSCAL: &str = "nist-800-53r5/oscal/NIST_SP-800-53_rev5.0.1_catalog-min.json";
const FEDRAMP: &str = "fedramp-rev5/derived/fedramp-rev5-baselines.json";
const DOD: &str = "dod-impact-levels/dod-impact-levels.json";
const SOC2_CRITERIA: &str = "soc2-tsc-2017/tsc-2017-criteria.json";
const SOC2_CROSSWALK: &str = "soc2-tsc-2017/tsc-2017-to-nist-800-53r5.csv";
const HIPAA_RULE: &str = "hipaa-security-rule/hipaa-security-rule.json";
const HIPAA_CROSSWALK: &str = "hipaa-security-rule/hipaa-to-nist-800-53r5.csv";
const HIPAA_ECFR: &str = "hipaa-security-rule/raw/ecfr-title-45-part-164-subpart-c.xml";

/// Why regeneration failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RegenError {
    /// A file could not be read or written.
    Io {
        /// The path under `data/`.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// `SHA256SUMS` is malformed or does not list a file regeneration reads.
    Sums {
        /// What is wrong.
        message: String,
    },
    /// A source file's SHA-256 differs from `SHA256SUMS`.
    HashMismatch {
        /// The path under `data/`.
        path: String,
        /// The hash `SHA256SUMS` records.
        expected: String,
        /// The file's hash.
        actual: String,
    },
    /// A source file does not have the expected shape.
    Parse {
        /// The path under `data/`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The sources disagree with each other or with the counts they state.
    Inconsistent {
        /// Every problem found, sorted.
        problems: Vec<String>,
    },
    /// The generated documents do not load.
    Load(LoadError),
}

impl fmt::Display for RegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegenError::Io { path, message } => write!(f, "cannot access `{path}`: {message}"),
            RegenError::Sums { message } => write!(f, "`{SUMS_FILE}`: {message}"),
            RegenError::HashMismatch {
                path,
                expected,
                actual,
            } => write!(
                f,
                "sha256 mismatch for `{path}`: {SUMS_FILE} records {expected}, the file has {actual}"
            ),
            RegenError::Parse { path, message } => write!(f, "cannot read `{path}`: {message}"),
            RegenError::Inconsistent { problems } => {
                write!(f, "the control sources are inconsistent")?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
            RegenError::Load(e) => write!(f, "the generated catalog does not load: {e}"),
        }
    }
}

impl std::error::Error for RegenError {}

/// The compact documents generated from `data_dir` (file name → content), after verifying
/// every hash in `SHA256SUMS`.
pub(crate) fn generate(data_dir: &Path) -> Result<BTreeMap<&'static str, String>, RegenError> {
    generate_with(|rel| std::fs::read(data_dir.join(rel)))
}

/// [`generate`] over any reader of paths relative to `data/` (tests use it to tamper with a
/// file in memory).
pub(crate) fn generate_with(
    read: impl Fn(&str) -> io::Result<Vec<u8>>,
) -> Result<BTreeMap<&'static str, String>, RegenError> {
    let sources = Sources::verify(&read)?;
    let mut problems = Vec::new();
    let catalog = build_catalog(&sources, &mut problems)?;
    let frameworks = build_frameworks(&sources, &catalog, &mut problems)?;
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(RegenError::Inconsistent { problems });
    }
    Catalog::from_docs(
        catalog.clone(),
        vec![frameworks.clone()],
        Path::new(COMPACT_DIR),
    )
    .map_err(RegenError::Load)?;
    let mut out = BTreeMap::new();
    out.insert(CATALOG_FILE, to_json(&catalog)?);
    out.insert(FRAMEWORKS_FILE, to_json(&frameworks)?);
    Ok(out)
}

/// What [`write()`] did to one compact file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileStatus {
    /// The file already had the generated content.
    Unchanged,
    /// The file was (re)written.
    Written,
    /// The file differs from the generated content (check mode; nothing written).
    Stale,
}

/// Regenerates the compact form under `data_dir/compact/`; with `check`, only compares.
/// Returns each compact file's path and status, in file-name order.
pub(crate) fn write(
    data_dir: &Path,
    check: bool,
) -> Result<Vec<(PathBuf, FileStatus)>, RegenError> {
    let files = generate(data_dir)?;
    let dir = data_dir.join(COMPACT_DIR);
    let io_err = |p: &Path, e: io::Error| RegenError::Io {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    if !check {
        std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    }
    let mut report = Vec::new();
    for (name, content) in files {
        let path = dir.join(name);
        let current = std::fs::read_to_string(&path).ok();
        let status = if current.as_deref() == Some(content.as_str()) {
            FileStatus::Unchanged
        } else if check {
            FileStatus::Stale
        } else {
            std::fs::write(&path, content).map_err(|e| io_err(&path, e))?;
            FileStatus::Written
        };
        report.push((path, status));
    }
    Ok(report)
}

/// Pretty JSON with a one-space indent: diffs stay readable, the embedded form stays small.
fn to_json<T: serde::Serialize>(doc: &T) -> Result<String, RegenError> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    doc.serialize(&mut ser).map_err(|e| RegenError::Parse {
        path: COMPACT_DIR.to_string(),
        message: e.to_string(),
    })?;
    out.push(b'\n');
    String::from_utf8(out).map_err(|e| RegenError::Parse {
        path: COMPACT_DIR.to_string(),
        message: e.to_string(),
    })
}

/// The verified source files.
struct Sources {
    files: BTreeMap<String, (String, Vec<u8>)>,
}

impl Sources {
    /// Reads `SHA256SUMS` and every file it lists, failing on the first mismatch.
    fn verify(read: &impl Fn(&str) -> io::Result<Vec<u8>>) -> Result<Sources, RegenError> {
        let sums = read(SUMS_FILE).map_err(|e| RegenError::Io {
            path: SUMS_FILE.to_string(),
            message: e.to_string(),
        })?;
        let sums = String::from_utf8(sums).map_err(|_| RegenError::Sums {
            message: "not UTF-8".to_string(),
        })?;
        let mut files = BTreeMap::new();
        for (n, line) in sums.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let (hash, path) = line.split_once("  ").ok_or_else(|| RegenError::Sums {
                message: format!("line {} is not `<sha256>  <path>`", n + 1),
            })?;
            let hash = hash.trim().to_ascii_lowercase();
            let path = path.trim();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(RegenError::Sums {
                    message: format!("line {}: `{hash}` is not a full sha256", n + 1),
                });
            }
            if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c == "..") {
                return Err(RegenError::Sums {
                    message: format!("line {}: `{path}` is not a path under data/", n + 1),
                });
            }
            let bytes = read(path).map_err(|e| RegenError::Io {
                path: path.to_string(),
                message: e.to_string(),
            })?;
            let actual = hex(&Sha256::digest(&bytes));
            if actual != hash {
                return Err(RegenError::HashMismatch {
                    path: path.to_string(),
                    expected: hash,
                    actual,
                });
            }
            if files.insert(path.to_string(), (hash, bytes)).is_some() {
                return Err(RegenError::Sums {
                    message: format!("`{path}` is listed twice"),
                });
            }
        }
        Ok(Sources { files })
    }

    fn bytes(&self, path: &str) -> Result<&[u8], RegenError> {
        self.files
            .get(path)
            .map(|(_, b)| b.as_slice())
            .ok_or_else(|| RegenError::Sums {
                message: format!("does not list `{path}`, which regeneration reads"),
            })
    }

    fn text(&self, path: &str) -> Result<&str, RegenError> {
        std::str::from_utf8(self.bytes(path)?).map_err(|_| parse_err(path, "not UTF-8"))
    }

    fn json<'a, T: Deserialize<'a>>(&'a self, path: &str) -> Result<T, RegenError> {
        serde_json::from_str(self.text(path)?).map_err(|e| parse_err(path, e))
    }

    /// Provenance records for the given files.
    fn records(&self, paths: &[&str]) -> Vec<SourceFile> {
        let mut out: Vec<SourceFile> = paths
            .iter()
            .filter_map(|p| {
                self.files.get(*p).map(|(hash, _)| SourceFile {
                    path: (*p).to_string(),
                    sha256: hash.clone(),
                })
            })
            .collect();
        out.sort();
        out
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_err(path: &str, message: impl fmt::Display) -> RegenError {
    RegenError::Parse {
        path: path.to_string(),
        message: message.to_string(),
    }
}

/// Parses a NIST id in any accepted spelling (`ac-2.1`, `AC-02(01)`).
fn nist_id(text: &str, what: &str, problems: &mut Vec<String>) -> Option<ControlId> {
    match text.parse() {
        Ok(id) => Some(id),
        Err(e) => {
            problems.push(format!("{what}: {e}"));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// NIST SP 800-53 rev5 catalog

#[derive(Deserialize)]
struct NistIndex {
    catalog: String,
    families: Vec<NistFamily>,
    baselines: BTreeMap<String, IndexBaseline>,
    controls: Vec<IndexControl>,
}

#[derive(Deserialize)]
struct NistFamily {
    id: String,
    title: String,
}

#[derive(Deserialize)]
struct IndexBaseline {
    title: String,
    version: String,
    count: usize,
}

#[derive(Deserialize)]
struct IndexControl {
    id: String,
    label: String,
    title: String,
    family: String,
    parent: Option<String>,
    withdrawn: bool,
    #[serde(default)]
    withdrawn_to: Vec<String>,
    #[serde(default)]
    baselines: Vec<String>,
    text_version: TextVersion,
}

#[derive(Deserialize)]
struct Statements {
    statements: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct OscalDoc {
    catalog: OscalCatalog,
}

#[derive(Deserialize)]
struct OscalCatalog {
    groups: Vec<OscalGroup>,
}

#[derive(Deserialize)]
struct OscalGroup {
    #[serde(default)]
    controls: Vec<OscalControl>,
}

#[derive(Deserialize)]
struct OscalControl {
    id: String,
    #[serde(default)]
    props: Vec<OscalProp>,
    #[serde(default)]
    links: Vec<OscalLink>,
    #[serde(default)]
    parts: Vec<OscalPart>,
    #[serde(default)]
    controls: Vec<OscalControl>,
}

#[derive(Deserialize)]
struct OscalProp {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct OscalLink {
    href: String,
    rel: Option<String>,
}

#[derive(Deserialize)]
struct OscalPart {
    name: String,
    prose: Option<String>,
}

/// The withdrawal of every withdrawn control in the OSCAL 5.0.1 catalog.
fn oscal_withdrawals(
    sources: &Sources,
    problems: &mut Vec<String>,
) -> Result<BTreeMap<ControlId, Withdrawal>, RegenError> {
    let doc: OscalDoc = sources.json(NIST_OSCAL)?;
    let mut out = BTreeMap::new();
    let mut stack: Vec<&OscalControl> = doc
        .catalog
        .groups
        .iter()
        .flat_map(|g| &g.controls)
        .collect();
    while let Some(c) = stack.pop() {
        stack.extend(&c.controls);
        let withdrawn = c
            .props
            .iter()
            .any(|p| p.name == "status" && p.value == "withdrawn");
        if !withdrawn {
            continue;
        }
        let Some(id) = nist_id(&c.id, NIST_OSCAL, problems) else {
            continue;
        };
        let mut moved = Vec::new();
        let mut incorporated = Vec::new();
        for link in &c.links {
            let list = match link.rel.as_deref() {
                Some("moved-to") => &mut moved,
                Some("incorporated-into") => &mut incorporated,
                _ => continue,
            };
            match withdrawn_target(&link.href) {
                Some(t) => list.push(t),
                None => problems.push(format!("{NIST_OSCAL}: `{}` links to `{}`", c.id, link.href)),
            }
        }
        let withdrawal = match (moved.is_empty(), incorporated.is_empty()) {
            (false, true) => Withdrawal::MovedTo(moved),
            (true, false) => Withdrawal::IncorporatedInto(incorporated),
            (true, true) => {
                let note = c
                    .parts
                    .iter()
                    .find(|p| p.name == "statement")
                    .and_then(|p| p.prose.clone())
                    .unwrap_or_default();
                Withdrawal::Removed(note)
            }
            (false, false) => {
                problems.push(format!(
                    "{NIST_OSCAL}: `{id}` is both moved and incorporated"
                ));
                continue;
            }
        };
        out.insert(id, withdrawal);
    }
    Ok(out)
}

/// `#ac-6`, `#ac-2_smt.k` or `#sr` (a family) as a withdrawal target.
fn withdrawn_target(href: &str) -> Option<WithdrawnTarget> {
    let frag = href.strip_prefix('#').unwrap_or(href);
    if let Some(family) = Family::from_abbrev(frag) {
        return Some(WithdrawnTarget::Family(family));
    }
    match frag.split_once("_smt.") {
        Some((c, p)) => Some(WithdrawnTarget::Item(c.parse().ok()?, p.parse().ok()?)),
        None => Some(WithdrawnTarget::Control(frag.parse().ok()?)),
    }
}

fn build_catalog(sources: &Sources, problems: &mut Vec<String>) -> Result<CatalogDoc, RegenError> {
    let index: NistIndex = sources.json(NIST_INDEX)?;
    let statements: Statements = sources.json(NIST_STATEMENTS)?;
    let withdrawals = oscal_withdrawals(sources, problems)?;

    let families: Vec<(String, String)> = index
        .families
        .iter()
        .map(|f| (f.id.to_ascii_uppercase(), f.title.clone()))
        .collect();
    let expected: Vec<(String, String)> = Family::ALL
        .iter()
        .map(|f| (f.abbrev().to_string(), f.title().to_string()))
        .collect();
    if families != expected {
        problems.push(format!(
            "{NIST_INDEX}: the families differ from the 20 of rev5"
        ));
    }

    let mut controls = Vec::new();
    for c in &index.controls {
        let what = format!("{NIST_INDEX} `{}`", c.id);
        let Some(id) = nist_id(&c.id, &what, problems) else {
            continue;
        };
        if c.label.parse::<ControlId>().ok() != Some(id) {
            problems.push(format!("{what}: label `{}` names another control", c.label));
        }
        if !id.family().abbrev().eq_ignore_ascii_case(&c.family) {
            problems.push(format!("{what}: family `{}`", c.family));
        }
        let parent = c
            .parent
            .as_deref()
            .and_then(|p| p.parse::<ControlId>().ok());
        if parent != id.parent() {
            problems.push(format!("{what}: parent {:?}", c.parent));
        }
        let withdrawn = if c.withdrawn {
            match withdrawals.get(&id) {
                Some(w) => {
                    let listed: Vec<Option<WithdrawnTarget>> =
                        c.withdrawn_to.iter().map(|t| withdrawn_target(t)).collect();
                    let oscal: Vec<Option<WithdrawnTarget>> =
                        w.targets().iter().copied().map(Some).collect();
                    if listed != oscal {
                        problems.push(format!(
                            "{what}: withdrawn_to differs from the OSCAL catalog"
                        ));
                    }
                    Some(w.clone())
                }
                None => {
                    problems.push(format!("{what}: withdrawn, but not in the OSCAL catalog"));
                    None
                }
            }
        } else {
            if withdrawals.contains_key(&id) {
                problems.push(format!("{what}: the OSCAL catalog withdraws it"));
            }
            None
        };
        let statement = statements.statements.get(&c.id).cloned();
        if statement.is_some() == withdrawn.is_some() {
            problems.push(format!(
                "{what}: a statement must exist exactly when not withdrawn"
            ));
        }
        controls.push(Control {
            id,
            title: c.title.clone(),
            statement,
            withdrawn,
            text_version: c.text_version,
            baselines: Vec::new(),
        });
    }
    for id in withdrawals.keys() {
        if !controls.iter().any(|c| c.id == *id) {
            problems.push(format!(
                "{NIST_OSCAL}: withdrawn `{id}` is not in the index"
            ));
        }
    }
    Ok(CatalogDoc {
        format: FORMAT.to_string(),
        kind: DocKind::Catalog,
        title: index.catalog,
        sources: sources.records(&[NIST_INDEX, NIST_STATEMENTS, NIST_OSCAL]),
        controls,
    })
}

// ---------------------------------------------------------------------------------------------
// Frameworks

/// The NIST-id selection of a baseline as the derived index tags it.
fn index_selection(
    index: &NistIndex,
    tag: &str,
    problems: &mut Vec<String>,
) -> BTreeSet<ControlId> {
    let mut out = BTreeSet::new();
    for c in &index.controls {
        if c.baselines.iter().any(|b| b == tag)
            && let Some(id) = nist_id(&c.id, NIST_INDEX, problems)
        {
            out.insert(id);
        }
    }
    if let Some(meta) = index.baselines.get(tag) {
        if meta.count != out.len() {
            problems.push(format!(
                "{NIST_INDEX}: `{tag}` states {} controls, tags {}",
                meta.count,
                out.len()
            ));
        }
    } else {
        problems.push(format!("{NIST_INDEX}: no baseline `{tag}`"));
    }
    out
}

fn nist_requirements(ids: &BTreeSet<ControlId>) -> Vec<Requirement> {
    ids.iter()
        .map(|id| Requirement::new(ControlRef::Nist(*id)))
        .collect()
}

#[derive(Deserialize)]
struct NistProfileDoc {
    profile: NistProfile,
}

#[derive(Deserialize)]
struct NistProfile {
    metadata: ProfileMetadata,
    imports: Vec<ProfileImport>,
}

#[derive(Deserialize)]
struct ProfileMetadata {
    title: String,
    version: String,
}

#[derive(Deserialize)]
struct ProfileImport {
    #[serde(rename = "include-controls", default)]
    include_controls: Vec<IncludeControls>,
}

#[derive(Deserialize)]
struct IncludeControls {
    #[serde(rename = "with-ids", default)]
    with_ids: Vec<String>,
}

fn nist_baseline(
    sources: &Sources,
    index: &NistIndex,
    f: Framework,
    level: &str,
    problems: &mut Vec<String>,
) -> Result<(FrameworkData, &'static str), RegenError> {
    let path: &'static str = match level {
        "LOW" => "nist-800-53r5/oscal/NIST_SP-800-53_rev5_LOW-baseline_profile.json",
        "MODERATE" => "nist-800-53r5/oscal/NIST_SP-800-53_rev5_MODERATE-baseline_profile.json",
        "HIGH" => "nist-800-53r5/oscal/NIST_SP-800-53_rev5_HIGH-baseline_profile.json",
        _ => "nist-800-53r5/oscal/NIST_SP-800-53_rev5_PRIVACY-baseline_profile.json",
    };
    let doc: NistProfileDoc = sources.json(path)?;
    let mut ids = BTreeSet::new();
    for with in doc.profile.imports.iter().flat_map(|i| &i.include_controls) {
        for raw in &with.with_ids {
            if let Some(id) = nist_id(raw, path, problems) {
                ids.insert(id);
            }
        }
    }
    let tag = format!("nist-{}", level.to_ascii_lowercase());
    if index_selection(index, &tag, problems) != ids {
        problems.push(format!("{path}: differs from the index's `{tag}` tags"));
    }
    let data = FrameworkData {
        id: f,
        title: doc.profile.metadata.title,
        version: doc.profile.metadata.version,
        source: format!("NIST SP 800-53B OSCAL profile (usnistgov/oscal-content), {path}"),
        requirements: nist_requirements(&ids),
    };
    Ok((data, path))
}

#[derive(Deserialize)]
struct FedrampDoc {
    baselines: BTreeMap<String, FedrampBaseline>,
}

#[derive(Deserialize)]
struct FedrampBaseline {
    title: String,
    version: String,
    last_modified: String,
    control_count: usize,
    controls: Vec<String>,
    parameters: BTreeMap<String, FedrampParam>,
    additional_requirements: BTreeMap<String, Vec<FedrampText>>,
    #[serde(default)]
    li_saas_tailoring: BTreeMap<String, Vec<LiSaasTailoring>>,
}

#[derive(Deserialize)]
struct FedrampParam {
    constraints: Vec<String>,
}

#[derive(Deserialize)]
struct FedrampText {
    kind: String,
    label: Option<String>,
    text: String,
}

/// A FedRAMP baseline: the NIST ids with FedRAMP's parameter values, additional texts and
/// LI-SaaS tailoring attached, keyed by control.
struct FedrampSelection {
    title: String,
    version: String,
    requirements: BTreeMap<ControlId, Requirement>,
}

fn fedramp_baseline(
    doc: &FedrampDoc,
    index: &NistIndex,
    key: &str,
    problems: &mut Vec<String>,
) -> FedrampSelection {
    let what = format!("{FEDRAMP} `{key}`");
    let Some(b) = doc.baselines.get(key) else {
        problems.push(format!("{what}: missing"));
        return FedrampSelection {
            title: String::new(),
            version: String::new(),
            requirements: BTreeMap::new(),
        };
    };
    let mut reqs: BTreeMap<ControlId, Requirement> = BTreeMap::new();
    for raw in &b.controls {
        if let Some(id) = nist_id(raw, &what, problems) {
            reqs.insert(id, Requirement::new(ControlRef::Nist(id)));
        }
    }
    if reqs.len() != b.control_count || b.controls.len() != b.control_count {
        problems.push(format!(
            "{what}: states {} controls, lists {}",
            b.control_count,
            reqs.len()
        ));
    }
    if index_selection(index, &format!("fedramp-{key}"), problems) != reqs.keys().copied().collect()
    {
        problems.push(format!(
            "{what}: differs from the index's `fedramp-{key}` tags"
        ));
    }
    for (odp, p) in &b.parameters {
        // `ac-01_odp.05`, `sc-07.04_odp`, `mp-4_prm_1`: the control is what precedes `_odp`/`_prm`.
        let control = odp
            .split("_odp")
            .next()
            .and_then(|c| c.split("_prm").next());
        let Some(id) = control.and_then(|c| nist_id(c, &what, problems)) else {
            continue;
        };
        match reqs.get_mut(&id) {
            Some(r) => r.parameters.push(ParameterValue {
                odp: Some(OdpId(odp.clone())),
                values: p.constraints.clone(),
                source: ParameterSource::Fedramp,
            }),
            None => problems.push(format!("{what}: parameter `{odp}` of unselected `{id}`")),
        }
    }
    for (raw, texts) in &b.additional_requirements {
        let Some(id) = nist_id(raw, &what, problems) else {
            continue;
        };
        let Some(r) = reqs.get_mut(&id) else {
            problems.push(format!("{what}: additional text for unselected `{id}`"));
            continue;
        };
        for t in texts {
            let kind = match t.kind.as_str() {
                "item" => AdditionalKind::Requirement,
                "guidance" => AdditionalKind::Guidance,
                "assessment-objective" | "objective" => AdditionalKind::AssessmentObjective,
                "assessment-objects" => AdditionalKind::AssessmentObjects,
                other => {
                    problems.push(format!("{what}: unknown text kind `{other}` on `{id}`"));
                    continue;
                }
            };
            r.additional.push(AdditionalText {
                kind,
                label: t.label.clone(),
                text: t.text.clone(),
            });
        }
    }
    for (raw, tailoring) in &b.li_saas_tailoring {
        let Some(id) = nist_id(raw, &what, problems) else {
            continue;
        };
        match reqs.get_mut(&id) {
            Some(r) => r.li_saas = tailoring.clone(),
            None => problems.push(format!("{what}: tailoring for unselected `{id}`")),
        }
    }
    let date = b.last_modified.split('T').next().unwrap_or_default();
    FedrampSelection {
        title: b.title.clone(),
        version: format!("{} ({date})", b.version),
        requirements: reqs,
    }
}

#[derive(Deserialize)]
struct DodDoc {
    source_workbook: DodWorkbook,
    levels: DodLevels,
}

#[derive(Deserialize)]
struct DodWorkbook {
    title: String,
    modified: String,
}

#[derive(Deserialize)]
struct DodLevels {
    #[serde(rename = "IL2")]
    il2: DodIl2,
    #[serde(rename = "IL4")]
    il4: DodIl4,
    #[serde(rename = "IL5")]
    il5: DodLevel,
}

#[derive(Deserialize)]
struct DodIl2 {
    base: String,
    notes: String,
}

#[derive(Deserialize)]
struct DodIl4 {
    moderate_path: DodLevel,
    high_path: DodLevel,
}

#[derive(Deserialize)]
struct DodLevel {
    addendum_sheet: String,
    base: String,
    counts: DodCounts,
    controls: Vec<String>,
    added_vs_base: Vec<String>,
    dod_parameters: BTreeMap<String, String>,
    general_readiness_requirements: Vec<DodGrr>,
}

#[derive(Deserialize)]
struct DodCounts {
    items: usize,
    nist_controls: usize,
    general_readiness_requirements: usize,
    added_vs_base: usize,
}

#[derive(Deserialize)]
struct DodGrr {
    id: String,
    title: String,
    text: String,
}

fn dod_level(
    f: Framework,
    level: &DodLevel,
    workbook: &DodWorkbook,
    index_tag: &str,
    index: &NistIndex,
    fedramp: &BTreeMap<String, FedrampSelection>,
    problems: &mut Vec<String>,
) -> FrameworkData {
    let what = format!("{DOD} `{}`", f.id());
    let base_key = level.base.strip_prefix("fedramp-").unwrap_or(&level.base);
    let empty = BTreeMap::new();
    let base = fedramp.get(base_key).map_or(&empty, |s| &s.requirements);
    if base.is_empty() {
        problems.push(format!("{what}: unknown base `{}`", level.base));
    }
    let mut ids = BTreeSet::new();
    for raw in &level.controls {
        if let Some(id) = nist_id(raw, &what, problems) {
            ids.insert(id);
        }
    }
    let added: BTreeSet<ControlId> = level
        .added_vs_base
        .iter()
        .filter_map(|raw| nist_id(raw, &what, problems))
        .collect();
    let grrs = &level.general_readiness_requirements;
    let counts = &level.counts;
    if ids.len() != counts.nist_controls
        || grrs.len() != counts.general_readiness_requirements
        || counts.items != counts.nist_controls + counts.general_readiness_requirements
        || added.len() != counts.added_vs_base
    {
        problems.push(format!("{what}: the counts do not add up"));
    }
    if !base.keys().all(|id| ids.contains(id)) {
        problems.push(format!("{what}: does not contain all of `{}`", level.base));
    }
    let computed_added: BTreeSet<ControlId> = ids
        .iter()
        .filter(|id| !base.contains_key(id))
        .copied()
        .collect();
    if computed_added != added {
        problems.push(format!(
            "{what}: added_vs_base differs from the controls minus the base"
        ));
    }
    if index_selection(index, index_tag, problems) != ids {
        problems.push(format!(
            "{what}: differs from the index's `{index_tag}` tags"
        ));
    }
    let mut reqs: BTreeMap<ControlId, Requirement> = ids
        .iter()
        .map(|id| {
            let r = base
                .get(id)
                .cloned()
                .unwrap_or_else(|| Requirement::new(ControlRef::Nist(*id)));
            (
                *id,
                Requirement {
                    li_saas: Vec::new(),
                    ..r
                },
            )
        })
        .collect();
    for (raw, text) in &level.dod_parameters {
        let Some(id) = nist_id(raw, &what, problems) else {
            continue;
        };
        match reqs.get_mut(&id) {
            Some(r) => r.parameters.push(ParameterValue {
                odp: None,
                values: vec![text.clone()],
                source: ParameterSource::Dod,
            }),
            None => problems.push(format!("{what}: DoD parameter for unselected `{id}`")),
        }
    }
    let mut requirements: Vec<Requirement> = reqs.into_values().collect();
    for g in grrs {
        let id = match g.id.parse::<GrrId>() {
            Ok(id) => id,
            Err(e) => {
                problems.push(format!("{what}: {e}"));
                continue;
            }
        };
        requirements.push(Requirement {
            title: g.title.clone(),
            text: Some(g.text.clone()),
            ..Requirement::new(ControlRef::DodGrr(id))
        });
    }
    FrameworkData {
        id: f,
        title: format!("{}: {}", workbook.title, level.addendum_sheet),
        version: workbook.modified.clone(),
        source: format!(
            "DISA \"{}\" workbook, sheet \"{}\" ({DOD}); FedRAMP values from `{}`",
            workbook.title, level.addendum_sheet, level.base
        ),
        requirements,
    }
}

#[derive(Deserialize)]
struct Soc2Criteria {
    criteria: Vec<Soc2Criterion>,
}

#[derive(Deserialize)]
struct Soc2Criterion {
    id: String,
    category: String,
    short_title: String,
}

/// Splits a simple CSV (no quoting; the crosswalks have none) into header-keyed rows.
fn csv_rows(path: &str, text: &str) -> Result<Vec<BTreeMap<String, String>>, RegenError> {
    if text.contains('"') {
        return Err(parse_err(path, "quoted CSV fields are not supported"));
    }
    let mut lines = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| parse_err(path, "empty"))?
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .enumerate()
        .map(|(n, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != header.len() {
                return Err(parse_err(
                    path,
                    format!("row {} has {} cells", n + 2, cells.len()),
                ));
            }
            Ok(header
                .iter()
                .cloned()
                .zip(cells.into_iter().map(str::to_string))
                .collect())
        })
        .collect()
}

fn cell<'a>(row: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    row.get(name).map_or("", String::as_str)
}

/// Merges crosswalk rows for one requirement and control: the statement items cited, or none
/// (the whole control) when any row cites the whole control.
fn add_edge(
    edges: &mut BTreeMap<ControlId, Option<BTreeSet<StatementPart>>>,
    control: ControlId,
    part: Option<StatementPart>,
) {
    let entry = edges
        .entry(control)
        .or_insert_with(|| Some(BTreeSet::new()));
    match (part, entry.as_mut()) {
        (Some(p), Some(parts)) => {
            parts.insert(p);
        }
        (None, _) => *entry = None,
        (Some(_), None) => {}
    }
}

fn edges_to_vec(
    edges: BTreeMap<ControlId, Option<BTreeSet<StatementPart>>>,
    source: CrosswalkSource,
) -> Vec<InformsEdge> {
    edges
        .into_iter()
        .map(|(control, parts)| InformsEdge {
            control,
            source,
            parts: parts.map(|p| p.into_iter().collect()).unwrap_or_default(),
        })
        .collect()
}

fn soc2(sources: &Sources, problems: &mut Vec<String>) -> Result<FrameworkData, RegenError> {
    let criteria: Soc2Criteria = sources.json(SOC2_CRITERIA)?;
    let rows = csv_rows(SOC2_CROSSWALK, sources.text(SOC2_CROSSWALK)?)?;
    let mut edges: BTreeMap<Soc2Id, BTreeMap<ControlId, Option<BTreeSet<StatementPart>>>> =
        BTreeMap::new();
    for row in &rows {
        let what = format!("{SOC2_CROSSWALK} `{}`", cell(row, "tsc_id"));
        let tsc: Soc2Id = match cell(row, "tsc_id").parse() {
            Ok(id) => id,
            Err(e) => {
                problems.push(format!("{what}: {e}"));
                continue;
            }
        };
        let per = edges.entry(tsc).or_default();
        let oscal = cell(row, "nist_oscal_id");
        if oscal.is_empty() {
            if !cell(row, "nist_reference").is_empty() {
                problems.push(format!("{what}: a reference without an OSCAL id"));
            }
            continue;
        }
        let Some(control) = nist_id(oscal, &what, problems) else {
            continue;
        };
        let part = match cell(row, "statement_part") {
            "" => None,
            p => match p.parse::<StatementPart>() {
                Ok(p) => Some(p),
                Err(e) => {
                    problems.push(format!("{what}: {e}"));
                    continue;
                }
            },
        };
        // The printed reference (`PS-6a`, `AC-2(1)`) must agree with the OSCAL id and item.
        let printed = format!(
            "{control}{}",
            part.map(|p| p.to_string()).unwrap_or_default()
        );
        let reference = cell(row, "nist_reference");
        let normalised = reference
            .strip_suffix(|c: char| c.is_ascii_lowercase())
            .and_then(|r| r.parse::<ControlId>().ok())
            .map(|c| format!("{c}{}", &reference[reference.len() - 1..]))
            .or_else(|| reference.parse::<ControlId>().ok().map(|c| c.to_string()));
        if normalised.as_deref() != Some(printed.as_str()) {
            problems.push(format!("{what}: `{reference}` does not match `{printed}`"));
        }
        add_edge(per, control, part);
    }
    let mut requirements = Vec::new();
    for c in &criteria.criteria {
        let id: Soc2Id = match c.id.parse() {
            Ok(id) => id,
            Err(e) => {
                problems.push(format!("{SOC2_CRITERIA}: {e}"));
                continue;
            }
        };
        let category = c.category.replace('_', " ");
        if !id
            .category()
            .title()
            .to_ascii_lowercase()
            .starts_with(&category)
        {
            problems.push(format!(
                "{SOC2_CRITERIA}: `{id}` is not in category `{}`",
                c.category
            ));
        }
        requirements.push(Requirement {
            title: c.short_title.clone(),
            informs: edges_to_vec(
                edges.remove(&id).unwrap_or_default(),
                CrosswalkSource::Aicpa,
            ),
            ..Requirement::new(ControlRef::Soc2(id))
        });
    }
    for id in edges.keys() {
        problems.push(format!("{SOC2_CROSSWALK}: `{id}` is not a criterion"));
    }
    requirements.sort_by_key(|r| r.id);
    Ok(FrameworkData {
        id: Framework::Soc2,
        title: "2017 Trust Services Criteria (2022 points of focus)".to_string(),
        version: "TSC 2017, points of focus 2022; AICPA mapping to SP 800-53 rev5 of 2023-08-04"
            .to_string(),
        source: format!(
            "criterion ids ({SOC2_CRITERIA}; titles are this project's paraphrases) and the AICPA TSC-to-800-53 mapping ({SOC2_CROSSWALK})"
        ),
        requirements,
    })
}

#[derive(Deserialize)]
struct HipaaRule {
    standards: Vec<HipaaStandard>,
}

#[derive(Deserialize)]
struct HipaaStandard {
    id: String,
    section: String,
    title: String,
    text: String,
    implementation_specifications: Vec<HipaaSpec>,
}

#[derive(Deserialize)]
struct HipaaSpec {
    id: String,
    title: String,
    required: bool,
    flag: String,
    text: String,
}

/// Implementation specifications NIST CPRT numbers differently from the current eCFR text,
/// with the current citation. Both are checked against the eCFR XML.
const CPRT_RENUMBERED: [(&str, &str); 2] = [
    // The 2013 Omnibus Rule moved the written-contract specification from (b)(4) to (b)(3).
    ("164.308(b)(4)", "164.308(b)(3)"),
    // CPRT lists the incident-reporting contract term on its own; the CFR has it as (C) of
    // the business associate contract specification.
    ("164.314(a)(3)(i)", "164.314(a)(2)(i)(C)"),
];

/// A paragraph of the eCFR text: its italic heading, if it has one.
struct CfrParagraph {
    heading: String,
}

/// The labelled paragraphs of 45 CFR 164 Subpart C, keyed by citation.
fn cfr_paragraphs(xml: &str) -> BTreeMap<HipaaId, CfrParagraph> {
    let mut out = BTreeMap::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<DIV8 N=\"164.") {
        let after = &rest[start + "<DIV8 N=\"164.".len()..];
        let end = after.find("</DIV8>").unwrap_or(after.len());
        let body = &after[..end];
        rest = &after[end..];
        let Some(section) = body.get(..3).and_then(|s| s.parse::<u16>().ok()) else {
            continue;
        };
        // The current paragraph path: (level, number) from the outermost level.
        let mut path: Vec<(usize, u8)> = Vec::new();
        let mut ps = body;
        while let Some(p_start) = ps.find("<P>") {
            let p = &ps[p_start + 3..];
            let p_end = p.find("</P>").unwrap_or(p.len());
            let text = &p[..p_end];
            ps = &p[p_end..];
            let mut t = text;
            let mut first = true;
            // Leading labels, then one inline label after a dash: `(2) <I>…</I>&#x2014;(i) <I>…`.
            while let Some((label, after_label)) = leading_label(t) {
                let level = if first {
                    first_label_level(label, path.len())
                } else {
                    path.last().map(|(l, _)| l + 1)
                };
                let Some(level) = level else { break };
                let Some(number) = label_number(level, label) else {
                    break;
                };
                if path.len() < level {
                    break;
                }
                path.truncate(level);
                path.push((level, number));
                first = false;
                let after_label = after_label.trim_start();
                let heading = after_label
                    .strip_prefix("<I>")
                    .and_then(|h| h.split_once("</I>"))
                    .map(|(h, tail)| (h.to_string(), tail));
                let numbers: Vec<u8> = path.iter().map(|(_, n)| *n).collect();
                if let Some(id) = HipaaId::from_parts(section, &numbers) {
                    out.insert(
                        id,
                        CfrParagraph {
                            heading: heading.as_ref().map(|(h, _)| h.clone()).unwrap_or_default(),
                        },
                    );
                }
                t = match heading {
                    Some((_, tail)) if tail.starts_with("&#x2014;(") => &tail["&#x2014;".len()..],
                    Some(_) => break,
                    None => after_label,
                };
            }
        }
    }
    out
}

/// `(x)` at the start of `t`, split off.
fn leading_label(t: &str) -> Option<(&str, &str)> {
    let inner = t.strip_prefix('(')?;
    let (label, rest) = inner.split_once(')')?;
    (!label.is_empty() && label.len() <= 6 && label.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some((label, rest))
}

/// The CFR level of the first label of a paragraph, given the depth of the current path.
fn first_label_level(label: &str, depth: usize) -> Option<usize> {
    let roman_like = label.bytes().all(|b| matches!(b, b'i' | b'v' | b'x'));
    if label.bytes().all(|b| b.is_ascii_digit()) {
        Some(1)
    } else if label.bytes().all(|b| b.is_ascii_uppercase()) {
        Some(3)
    } else if roman_like && (depth >= 2 || label.len() > 1) {
        Some(2)
    } else if label.len() == 1 && label.bytes().all(|b| b.is_ascii_lowercase()) {
        Some(0)
    } else {
        None
    }
}

fn label_number(level: usize, label: &str) -> Option<u8> {
    controls::paragraph_number(level, label)
}

/// The ancestors of a citation, nearest first, including itself.
fn with_ancestors(id: HipaaId) -> Vec<HipaaId> {
    let parts = id.paragraphs();
    (1..=parts.len())
        .rev()
        .filter_map(|n| HipaaId::from_parts(id.section(), &parts[..n]))
        .collect()
}

fn hipaa(sources: &Sources, problems: &mut Vec<String>) -> Result<FrameworkData, RegenError> {
    let rule: HipaaRule = sources.json(HIPAA_RULE)?;
    let cfr = cfr_paragraphs(sources.text(HIPAA_ECFR)?);
    if cfr.is_empty() {
        return Err(parse_err(HIPAA_ECFR, "no labelled paragraphs found"));
    }
    let rows = csv_rows(HIPAA_CROSSWALK, sources.text(HIPAA_CROSSWALK)?)?;
    let hipaa_id = |s: &str, what: &str, problems: &mut Vec<String>| match s.parse::<HipaaId>() {
        Ok(id) => Some(id),
        Err(e) => {
            problems.push(format!("{what}: {e}"));
            None
        }
    };
    // CPRT id -> canonical (current CFR) citation.
    let mut canonical: BTreeMap<HipaaId, HipaaId> = BTreeMap::new();
    let mut requirements = Vec::new();
    for std in &rule.standards {
        let what = format!("{HIPAA_RULE} `{}`", std.id);
        let Some(cprt) = hipaa_id(&std.id, &what, problems) else {
            continue;
        };
        if format!("164.{}", cprt.section()) != std.section {
            problems.push(format!("{what}: not in section {}", std.section));
        }
        let prefix = cprt.paragraphs();
        let marked: Vec<HipaaId> = cfr
            .iter()
            .filter(|(id, p)| {
                id.section() == cprt.section()
                    && id.paragraphs().starts_with(&prefix)
                    && p.heading.starts_with("Standard:")
            })
            .map(|(id, _)| *id)
            .collect();
        let std_id = match marked.as_slice() {
            [one] => *one,
            [] if cfr.contains_key(&cprt) => cprt,
            _ => {
                problems.push(format!("{what}: no single eCFR standard paragraph"));
                continue;
            }
        };
        canonical.insert(cprt, std_id);
        requirements.push(Requirement {
            title: std.title.clone(),
            text: Some(std.text.clone()),
            aliases: if std_id == cprt {
                Vec::new()
            } else {
                vec![ControlRef::Hipaa(cprt)]
            },
            hipaa: Some(HipaaKind::Standard),
            ..Requirement::new(ControlRef::Hipaa(std_id))
        });
        for spec in &std.implementation_specifications {
            let what = format!("{HIPAA_RULE} `{}`", spec.id);
            let Some(cprt) = hipaa_id(&spec.id, &what, problems) else {
                continue;
            };
            let renumbered = CPRT_RENUMBERED
                .iter()
                .find(|(from, _)| *from == spec.id)
                .and_then(|(_, to)| hipaa_id(to, &what, problems));
            let spec_id = renumbered.unwrap_or(cprt);
            if !cfr.contains_key(&spec_id) {
                problems.push(format!(
                    "{what}: `{spec_id}` is not a paragraph of the eCFR text"
                ));
                continue;
            }
            let implementation = match (spec.required, spec.flag.as_str()) {
                (true, "Required") => Implementation::Required,
                (false, "Addressable") => Implementation::Addressable,
                _ => {
                    problems.push(format!(
                        "{what}: flag `{}` and required={}",
                        spec.flag, spec.required
                    ));
                    continue;
                }
            };
            // The regulation marks (Required)/(Addressable) on the paragraph or an ancestor.
            let cfr_flag = with_ancestors(spec_id).into_iter().find_map(|a| {
                let h = cfr.get(&a).map(|p| p.heading.as_str()).unwrap_or_default();
                if h.contains("(Required)") {
                    Some(Implementation::Required)
                } else if h.contains("(Addressable)") {
                    Some(Implementation::Addressable)
                } else {
                    None
                }
            });
            if cfr_flag != Some(implementation) {
                problems.push(format!("{what}: the eCFR text marks it {cfr_flag:?}"));
            }
            canonical.insert(cprt, spec_id);
            requirements.push(Requirement {
                title: spec.title.clone(),
                text: Some(spec.text.clone()),
                aliases: if spec_id == cprt {
                    Vec::new()
                } else {
                    vec![ControlRef::Hipaa(cprt)]
                },
                hipaa: Some(HipaaKind::Specification {
                    implementation,
                    standard: std_id,
                }),
                ..Requirement::new(ControlRef::Hipaa(spec_id))
            });
        }
    }
    let mut edges: BTreeMap<HipaaId, BTreeMap<ControlId, Option<BTreeSet<StatementPart>>>> =
        BTreeMap::new();
    for row in &rows {
        let what = format!("{HIPAA_CROSSWALK} `{}`", cell(row, "hipaa_id"));
        if cell(row, "olir_mapping") != "SP-800-66-Rev-2-to-SP-800-53-Rev-5.1.1" {
            problems.push(format!(
                "{what}: unexpected mapping `{}`",
                cell(row, "olir_mapping")
            ));
        }
        let Some(cprt) = hipaa_id(cell(row, "hipaa_id"), &what, problems) else {
            continue;
        };
        let Some(id) = canonical.get(&cprt).copied() else {
            problems.push(format!("{what}: not a standard or specification"));
            continue;
        };
        let Some(control) = nist_id(cell(row, "nist_oscal_id"), &what, problems) else {
            continue;
        };
        if cell(row, "nist_label").parse::<ControlId>().ok() != Some(control) {
            problems.push(format!(
                "{what}: label `{}` is not `{control}`",
                cell(row, "nist_label")
            ));
        }
        add_edge(edges.entry(id).or_default(), control, None);
    }
    for r in &mut requirements {
        if let ControlRef::Hipaa(id) = r.id {
            r.informs = edges_to_vec(
                edges.remove(&id).unwrap_or_default(),
                CrosswalkSource::NistOlir,
            );
        }
    }
    requirements.sort_by_key(|r| r.id);
    Ok(FrameworkData {
        id: Framework::Hipaa,
        title: "HIPAA Security Rule, 45 CFR 164.308-164.316".to_string(),
        version: "NIST SP 800-66r2 (CPRT SP800_66_2_0_0); eCFR text of 2026-03-13".to_string(),
        source: format!(
            "standards and implementation specifications from NIST CPRT ({HIPAA_RULE}), cited as in the eCFR ({HIPAA_ECFR}); NIST OLIR crosswalk ({HIPAA_CROSSWALK})"
        ),
        requirements,
    })
}

fn build_frameworks(
    sources: &Sources,
    catalog: &CatalogDoc,
    problems: &mut Vec<String>,
) -> Result<FrameworksDoc, RegenError> {
    let index: NistIndex = sources.json(NIST_INDEX)?;
    let mut frameworks = Vec::new();
    let mut read = vec![NIST_INDEX];
    for (f, level) in [
        (Framework::NistLow, "LOW"),
        (Framework::NistModerate, "MODERATE"),
        (Framework::NistHigh, "HIGH"),
        (Framework::NistPrivacy, "PRIVACY"),
    ] {
        let (data, path) = nist_baseline(sources, &index, f, level, problems)?;
        if let Some(meta) = index
            .baselines
            .get(&format!("nist-{}", level.to_ascii_lowercase()))
            && (meta.title != data.title || meta.version != data.version)
        {
            problems.push(format!("{path}: title or version differs from the index"));
        }
        frameworks.push(data);
        read.push(path);
    }

    let fedramp_doc: FedrampDoc = sources.json(FEDRAMP)?;
    let mut fedramp = BTreeMap::new();
    for (f, key) in [
        (Framework::FedrampLiSaas, "li-saas"),
        (Framework::FedrampLow, "low"),
        (Framework::FedrampModerate, "moderate"),
        (Framework::FedrampHigh, "high"),
    ] {
        let sel = fedramp_baseline(&fedramp_doc, &index, key, problems);
        frameworks.push(FrameworkData {
            id: f,
            title: sel.title.clone(),
            version: sel.version.clone(),
            source: format!("FedRAMP rev5 OSCAL profile (GSA/fedramp-automation), via {FEDRAMP}"),
            requirements: sel.requirements.values().cloned().collect(),
        });
        fedramp.insert(key.to_string(), sel);
    }
    read.push(FEDRAMP);

    let dod: DodDoc = sources.json(DOD)?;
    let il2_base = dod
        .levels
        .il2
        .base
        .strip_prefix("fedramp-")
        .unwrap_or_default();
    match fedramp.get(il2_base) {
        Some(sel) => frameworks.push(FrameworkData {
            id: Framework::DodIl2,
            title: format!("DoD Impact Level 2 ({})", sel.title),
            version: sel.version.clone(),
            source: format!("{} ({DOD})", dod.levels.il2.notes),
            requirements: sel.requirements.values().cloned().collect(),
        }),
        None => problems.push(format!(
            "{DOD}: IL2 base `{}` is unknown",
            dod.levels.il2.base
        )),
    }
    for (f, level, tag) in [
        (
            Framework::DodIl4,
            &dod.levels.il4.moderate_path,
            "dod-il4-moderate",
        ),
        (
            Framework::DodIl4High,
            &dod.levels.il4.high_path,
            "dod-il4-high",
        ),
        (Framework::DodIl5, &dod.levels.il5, "dod-il5"),
    ] {
        frameworks.push(dod_level(
            f,
            level,
            &dod.source_workbook,
            tag,
            &index,
            &fedramp,
            problems,
        ));
    }
    read.push(DOD);

    frameworks.push(soc2(sources, problems)?);
    read.extend([SOC2_CRITERIA, SOC2_CROSSWALK]);
    let hipaa = hipaa(sources, problems)?;
    let technical: Vec<Requirement> = hipaa
        .requirements
        .iter()
        .filter(|r| matches!(r.id, ControlRef::Hipaa(h) if h.section() == 312))
        .cloned()
        .collect();
    frameworks.push(hipaa.clone());
    frameworks.push(FrameworkData {
        id: Framework::HipaaTechnical,
        title: "HIPAA Security Rule technical safeguards, 45 CFR 164.312".to_string(),
        version: hipaa.version.clone(),
        source: hipaa.source.clone(),
        requirements: technical,
    });
    read.extend([HIPAA_RULE, HIPAA_CROSSWALK, HIPAA_ECFR]);

    // Every NIST id a framework names must be a live control of the generated catalog.
    let live: BTreeSet<ControlId> = catalog
        .controls
        .iter()
        .filter(|c| !c.is_withdrawn())
        .map(|c| c.id)
        .collect();
    for fw in &frameworks {
        for r in &fw.requirements {
            let named = r
                .nist()
                .into_iter()
                .chain(r.informs.iter().map(|e| e.control));
            for id in named {
                if !live.contains(&id) {
                    problems.push(format!(
                        "`{}` names `{id}`, which is withdrawn or unknown",
                        fw.id
                    ));
                }
            }
        }
    }
    frameworks.sort_by_key(|f| f.id);
    Ok(FrameworksDoc {
        format: FORMAT.to_string(),
        kind: DocKind::Frameworks,
        sources: sources.records(&read),
        frameworks,
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn data_dir() -> PathBuf {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        manifest.parent().unwrap_or(manifest).join("controls/data")
    }

    #[test]
    fn compact_form_matches_regeneration() {
        let report = match write(&data_dir(), true) {
            Ok(r) => r,
            Err(e) => panic!("regeneration failed: {e}"),
        };
        let names: Vec<_> = report
            .iter()
            .map(|(p, _)| p.file_name().and_then(|n| n.to_str()).unwrap_or_default())
            .collect();
        assert_eq!(names, [CATALOG_FILE, FRAMEWORKS_FILE]);
        for (path, status) in &report {
            assert_eq!(
                *status,
                FileStatus::Unchanged,
                "{} is stale: run `cargo xtask regen-controls`",
                path.display()
            );
        }
    }

    #[test]
    fn regeneration_fails_on_a_hash_mismatch() {
        let dir = data_dir();
        let tampered = "soc2-tsc-2017/tsc-2017-to-nist-800-53r5.csv";
        let result = generate_with(|rel| {
            let mut bytes = std::fs::read(dir.join(rel))?;
            if rel == tampered {
                bytes.extend_from_slice(b"CC6.1,AC-1,ac-1,\r\n");
            }
            Ok(bytes)
        });
        match result {
            Err(RegenError::HashMismatch {
                path,
                expected,
                actual,
            }) => {
                assert_eq!(path, tampered);
                assert_ne!(expected, actual);
            }
            other => panic!("expected a hash mismatch, got {other:?}"),
        }
    }

    #[test]
    fn sources_md_lists_every_full_hash() {
        let read = |name: &str| {
            std::fs::read_to_string(data_dir().join(name))
                .unwrap_or_else(|e| panic!("controls/data/{name}: {e}"))
        };
        let sums = read(SUMS_FILE);
        let sources = read("SOURCES.md");
        let mut n = 0;
        for line in sums.lines().filter(|l| !l.trim().is_empty()) {
            let (hash, path) = line.split_once("  ").unwrap_or((line, ""));
            assert!(
                sources.contains(hash) && sources.contains(path),
                "SOURCES.md lacks {path} {hash}"
            );
            n += 1;
        }
        assert_eq!(n, 14);
        assert_eq!(controls::catalog().sources().len(), 14);
    }
}
