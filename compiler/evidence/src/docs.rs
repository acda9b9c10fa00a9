//! The OSCAL documents, built from the control graph, the artifacts and the proofs.

use std::collections::{BTreeMap, BTreeSet};

use controls::{ControlRef, Framework, ParameterSource};
use graph::{Coverage, Declaration, ItemId, Status};
use oscal_model::assessment::{
    Activity, AssessmentPlan, AssessmentPlanDocument, AssessmentResult, AssessmentResults,
    AssessmentResultsDocument, AssessmentSubject, ControlSelection, Finding, FindingTarget,
    ImportHref, LocalDefinitions, ObjectiveStatus, Observation, RelatedObservation,
    RelevantEvidence, ReviewedControls,
};
use oscal_model::component::{
    ComponentDefinition, ComponentDefinitionDocument, ControlImplementation as CdControls,
    DefinedComponent, ImplementedRequirement as CdRequirement,
};
use oscal_model::poam::{
    OnDate, PlanOfActionAndMilestones, PoamDocument, PoamItem, RelatedRisk, Remediation, Risk,
    Task, Timing,
};
use oscal_model::profile::{Empty, Import, Merge, ProfileDocument, SelectControls};
use oscal_model::ssp::{
    AuthorizationBoundary, ByComponent, ControlImplementation, Impact, ImplementedRequirement,
    ImportProfile, InformationType, SecurityImpactLevel, SspDocument, Status as SystemStatus,
    SystemCharacteristics, SystemComponent, SystemId, SystemImplementation, SystemInformation,
    SystemSecurityPlan, SystemUser,
};
use oscal_model::{
    BackMatter, Hash, ImplementationStatus, Link, Metadata, OSCAL_VERSION, Party, Property,
    Resource, ResponsibleParty, Rlink, Role, SetParameterValue,
};

use crate::{Input, NS, OSCAL, ids, oscal_baselines, oscal_control_id, ssp_path};

/// FedRAMP's namespace for its OSCAL extensions.
const FEDRAMP_NS: &str = "https://fedramp.gov/ns/oscal";

/// The NIST SP 800-53 rev5 catalog, as component-definitions and DoD profiles cite it.
pub(crate) const NIST_CATALOG: &str = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json";

/// Where a baseline's OSCAL profile is: NIST's and FedRAMP's published profiles, or the
/// profile this build writes for a DoD level (none is published), relative to `oscal/`.
pub(crate) fn profile_href(f: Framework) -> String {
    const NIST: &str = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_";
    const FEDRAMP: &str = "https://raw.githubusercontent.com/GSA/fedramp-automation/master/dist/content/rev5/baselines/json/FedRAMP_rev5_";
    match f {
        Framework::NistLow => format!("{NIST}LOW-baseline_profile.json"),
        Framework::NistModerate => format!("{NIST}MODERATE-baseline_profile.json"),
        Framework::NistHigh => format!("{NIST}HIGH-baseline_profile.json"),
        Framework::NistPrivacy => format!("{NIST}PRIVACY-baseline_profile.json"),
        Framework::FedrampLiSaas => format!("{FEDRAMP}LI-SaaS-baseline_profile.json"),
        Framework::FedrampLow => format!("{FEDRAMP}LOW-baseline_profile.json"),
        Framework::FedrampModerate => format!("{FEDRAMP}MODERATE-baseline_profile.json"),
        Framework::FedrampHigh => format!("{FEDRAMP}HIGH-baseline_profile.json"),
        other => own_profile(other).unwrap_or_default(),
    }
}

/// The profile this build writes for a baseline without a published one (DoD levels), as a
/// file name in `oscal/`.
pub(crate) fn own_profile(f: Framework) -> Option<String> {
    matches!(
        f,
        Framework::DodIl2 | Framework::DodIl4 | Framework::DodIl4High | Framework::DodIl5
    )
    .then(|| format!("profile-{}.json", f.id()))
}

/// The build's view of items, artifacts and components, shared by every document.
pub(crate) struct Ctx<'a> {
    pub(crate) input: &'a Input<'a>,
    system: String,
    /// What each target's artifacts implement: per control, the items and their files.
    statements: BTreeMap<emit::TargetId, BTreeMap<ControlRef, Statements<'a>>>,
    /// Every target with at least one enforcing artifact.
    targets: BTreeSet<emit::TargetId>,
    /// Each artifact path's back-matter resource UUID.
    resources: BTreeMap<&'a str, String>,
    /// Each artifact's SHA-256, in the order of [`Input::artifacts`]: computed once for every
    /// document's back matter.
    digests: Vec<String>,
    /// The coverage of each of the system's frameworks, computed once for every document.
    coverages: &'a BTreeMap<Framework, Coverage>,
}

/// The items whose artifacts of one target implement one control, and those files.
#[derive(Default)]
struct Statements<'a> {
    /// Items implementing the control, by id.
    implemented: Vec<&'a graph::Item>,
    /// Items meeting part of it (`supports`), by id.
    supported: Vec<&'a graph::Item>,
    /// Both, by id.
    all: Vec<&'a graph::Item>,
    /// The files of the implementing items, sorted, once each (collected as they come, then
    /// sorted once: a set of paths compared each path tens of thousands of times).
    implemented_files: Vec<&'a str>,
    /// The files of the supporting items, sorted, once each.
    supported_files: Vec<&'a str>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        input: &'a Input<'a>,
        coverages: &'a BTreeMap<Framework, Coverage>,
    ) -> Ctx<'a> {
        let system = input.posture.system.name.to_string();
        let target_of: std::collections::HashMap<&str, (emit::TargetId, emit::Role)> = input
            .artifacts
            .iter()
            .map(|a| (a.path.as_str(), (a.target, a.role)))
            .collect();
        let mut targets = BTreeSet::new();
        let graph: &'a graph::ControlGraph<'a> = input.graph;
        // Each (target, control): its implementing and supporting items, in id order, and
        // their files; one pass over the items, in id order. An item with an enforcing
        // artifact implements (or supports) a control when its mapping's edge says so, the
        // rule the graph's facts are gathered by.
        let mut statements: BTreeMap<emit::TargetId, BTreeMap<ControlRef, Statements<'a>>> =
            BTreeMap::new();
        let mut by: BTreeMap<emit::TargetId, Vec<&'a str>> = BTreeMap::new();
        for (position, item) in graph.items().values().enumerate() {
            by.clear();
            let enforcing = graph.enforcing_paths_at(position);
            for &path in enforcing {
                if let Some((t, role)) = target_of.get(path)
                    && role.enforces()
                {
                    targets.insert(*t);
                    by.entry(*t).or_default().push(path);
                }
            }
            if by.is_empty() {
                continue;
            }
            let implements = graph::implements_with(item, enforcing);
            for (c, sources) in item.mappings.iter().filter(|(c, _)| c.as_nist().is_some()) {
                let implemented = match graph::mapping_edge(implements, sources) {
                    graph::Edge::Implements => true,
                    graph::Edge::Supports => false,
                    _ => continue,
                };
                for (t, paths) in &by {
                    let s = statements.entry(*t).or_default().entry(*c).or_default();
                    s.all.push(item);
                    if implemented {
                        s.implemented.push(item);
                        s.implemented_files.extend(paths.iter().copied());
                    } else {
                        s.supported.push(item);
                        s.supported_files.extend(paths.iter().copied());
                    }
                }
            }
        }
        for s in statements.values_mut().flat_map(|m| m.values_mut()) {
            for files in [&mut s.implemented_files, &mut s.supported_files] {
                graph::sort_paths(files);
            }
        }
        let resources = input
            .artifacts
            .iter()
            .map(|a| {
                (
                    a.path.as_str(),
                    ids::uuid(&system, &format!("resource/{}", a.path)),
                )
            })
            .collect();
        let digests = match input.digests {
            Some(d) if d.len() == input.artifacts.len() => d.to_vec(),
            _ => input
                .artifacts
                .iter()
                .map(|a| crate::sha256_hex(&a.bytes))
                .collect(),
        };
        Ctx {
            input,
            system,
            statements,
            targets,
            resources,
            digests,
            coverages,
        }
    }

    /// The coverage of one of the system's frameworks.
    fn coverage(&self, f: Framework) -> std::borrow::Cow<'_, Coverage> {
        match self.coverages.get(&f) {
            Some(c) => std::borrow::Cow::Borrowed(c),
            None => std::borrow::Cow::Owned(self.input.graph.coverage(f)),
        }
    }

    pub(crate) fn uuid(&self, name: &str) -> String {
        ids::uuid(&self.system, name)
    }

    fn item(&self, id: &ItemId) -> Option<&'a graph::Item> {
        self.input.graph.items().get(id)
    }

    /// The roles and parties of the system's owners.
    fn roles_and_parties(&self) -> (Vec<Role>, Vec<Party>, Vec<ResponsibleParty>) {
        let mut roles: BTreeMap<String, Role> = BTreeMap::new();
        let mut parties = Vec::new();
        let mut responsible: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in &self.input.posture.system.parties {
            let role_id = role_id(&p.role);
            roles.entry(role_id.clone()).or_insert_with(|| Role {
                id: role_id.clone(),
                title: role_id.replace('-', " "),
                short_name: None,
                description: None,
            });
            let uuid = self.uuid(&format!("party/{}/{}", p.role, p.name));
            parties.push(Party {
                uuid: uuid.clone(),
                kind: "organization".to_string(),
                name: Some(p.name.clone()),
                short_name: None,
                props: Vec::new(),
                links: Vec::new(),
                email_addresses: p.email.iter().cloned().collect(),
                addresses: Vec::new(),
                remarks: None,
            });
            responsible.entry(role_id).or_default().push(uuid);
        }
        let responsible = responsible
            .into_iter()
            .map(|(role_id, party_uuids)| ResponsibleParty {
                role_id,
                party_uuids,
                props: Vec::new(),
                remarks: None,
            })
            .collect();
        (roles.into_values().collect(), parties, responsible)
    }

    /// A document's metadata: title, the build's timestamp, provenance as properties, the
    /// system's owners as parties.
    pub(crate) fn metadata(&self, title: String) -> Metadata {
        let p = self.input.provenance;
        let mut props = vec![
            prop(NS, "posture-version", p.version.clone()),
            prop(NS, "sources-sha256", p.sources_sha256.clone()),
        ];
        if let Some(c) = &p.commit {
            props.push(prop(NS, "commit", c.clone()));
        }
        let (roles, parties, responsible_parties) = self.roles_and_parties();
        Metadata {
            title,
            published: Some(p.timestamp.rfc3339()),
            last_modified: p.timestamp.rfc3339(),
            version: format!(
                "{}+{}",
                p.version,
                &p.sources_sha256[..12.min(p.sources_sha256.len())]
            ),
            oscal_version: OSCAL_VERSION.to_string(),
            props,
            links: Vec::new(),
            roles,
            parties,
            responsible_parties,
            remarks: None,
        }
    }

    /// One resource per emitted artifact: its path relative to `oscal/` and its SHA-256.
    pub(crate) fn back_matter(&self) -> Option<BackMatter> {
        let resources: Vec<Resource> = self
            .input
            .artifacts
            .iter()
            .zip(&self.digests)
            .map(|(a, digest)| Resource {
                uuid: self.resources[a.path.as_str()].clone(),
                title: Some(a.path.clone()),
                description: None,
                props: vec![
                    prop(NS, "target", a.target.as_str()),
                    prop(NS, "role", role_name(a.role)),
                ],
                citation: None,
                rlinks: vec![Rlink {
                    href: format!("../{}", a.path),
                    media_type: Some(media_type(&a.path).to_string()),
                    hashes: vec![Hash {
                        algorithm: "SHA-256".to_string(),
                        value: digest.clone(),
                    }],
                }],
                remarks: None,
            })
            .collect();
        (!resources.is_empty()).then_some(BackMatter { resources })
    }

    /// Links to the back-matter resources of artifacts (sorted, once each).
    fn artifact_links(&self, paths: &[&str]) -> Vec<Link> {
        paths
            .iter()
            .filter_map(|p| self.resources.get(p))
            .map(|u| Link::new(format!("#{u}"), "evidence"))
            .collect()
    }

    fn target_component_uuid(&self, t: emit::TargetId) -> String {
        self.uuid(&format!("component/target/{t}"))
    }

    fn declaration_component_uuid(&self, id: &ItemId) -> String {
        self.uuid(&format!("component/declaration/{id}"))
    }

    fn this_system_uuid(&self) -> String {
        self.uuid("component/this-system")
    }

    /// What target `t`'s artifacts implement of control `c`, when anything.
    fn statements(&self, t: emit::TargetId, c: ControlRef) -> Option<&Statements<'a>> {
        self.statements.get(&t)?.get(&c)
    }

    /// What the items say about `c`, stated once per rationale: the items are grouped by why
    /// they map to the control (`Mapped because: …`, once per group), each group's items are
    /// `item` properties with the group's token and their `file:line` as remarks, and only the
    /// items with something of their own to say (a `///` doc comment, audit mode) get a line
    /// in the description. At 50,000 network intents this is one sentence instead of 50,000
    /// copies of it.
    fn narrative(&self, c: ControlRef, items: &[&graph::Item]) -> (String, Vec<Property>) {
        // The groups in the order of their rationale, each group's items in the given order.
        // Neighbouring items usually share a group: the last one is tried first.
        type Why<'x> = Option<&'x BTreeSet<graph::MappingSource>>;
        let mut groups: Vec<(Why<'_>, Vec<&graph::Item>)> = Vec::new();
        let mut last = 0;
        for item in items {
            let why = item.mappings.get(&c);
            let same = |g: &(Why<'_>, Vec<&graph::Item>)| match (g.0, why) {
                (Some(a), Some(b)) => std::ptr::eq(a, b) || a == b,
                (None, None) => true,
                _ => false,
            };
            if groups.get(last).is_some_and(same) {
                groups[last].1.push(item);
                continue;
            }
            match groups.iter().position(same) {
                Some(i) => {
                    last = i;
                    groups[i].1.push(item);
                }
                None => {
                    last = groups.len();
                    groups.push((why, vec![*item]));
                }
            }
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        let mut parts = Vec::new();
        let mut props = Vec::with_capacity(items.len());
        for (n, (why, items)) in groups.into_iter().enumerate() {
            let token = group_token(n + 1);
            let mut s = String::new();
            for m in why.into_iter().flatten() {
                s.push_str("Mapped because: ");
                s.push_str(&m.describe());
                s.push('\n');
            }
            let count = items.len();
            s.push_str(&format!(
                "{count} statement{}: the `item` properties of group `{token}`, each with its source location.",
                if count == 1 { "" } else { "s" }
            ));
            for item in &items {
                let audit = item.enforcement == graph::Enforcement::AuditOnly;
                let doc = item.doc.as_deref().map(str::trim).filter(|d| !d.is_empty());
                if doc.is_none() && !audit {
                    continue;
                }
                s.push_str("\n- ");
                s.push_str(&item.label);
                if let Some(l) = &item.location {
                    s.push_str(&format!(" ({l})"));
                }
                if let Some(doc) = doc {
                    s.push_str(": ");
                    s.push_str(doc);
                }
                if audit {
                    s.push_str(" [audit mode: violations are reported, not refused]");
                }
            }
            parts.push(s);
            for item in items {
                props.push(Property {
                    group: Some(token.clone()),
                    remarks: item.location.as_ref().map(location_text),
                    ..prop_owned(NS, "item", id_text(&item.id))
                });
            }
        }
        (parts.join("\n\n"), props)
    }

    /// A target's component: what it emits, described from its artifacts.
    fn target_component(&self, t: emit::TargetId) -> (String, String, String) {
        let n = self
            .input
            .artifacts
            .iter()
            .filter(|a| a.target == t && a.role.enforces())
            .count();
        (
            self.target_component_uuid(t),
            format!("posture target `{t}`"),
            format!(
                "The {n} enforcing documents posture's `{t}` target emits for this system (under `{t}/` in the build output), enforced by the cluster component that reads them."
            ),
        )
    }

    /// The `controls { … }` declarations, with their kind, title and description.
    fn declarations(&self) -> Vec<(&graph::Item, &Declaration, &BTreeSet<ControlRef>)> {
        self.input
            .graph
            .items()
            .values()
            .filter_map(|i| i.declaration.as_deref().map(|(d, set)| (i, d, set)))
            .collect()
    }
}

/// The token of the `n`th rationale group (`because-1`): borrowed for the first few, which
/// nearly every control has, so each of tens of thousands of `item` properties does not copy
/// it.
fn group_token(n: usize) -> std::borrow::Cow<'static, str> {
    const TOKENS: [&str; 8] = [
        "because-1",
        "because-2",
        "because-3",
        "because-4",
        "because-5",
        "because-6",
        "because-7",
        "because-8",
    ];
    match n.checked_sub(1).and_then(|i| TOKENS.get(i)) {
        Some(t) => std::borrow::Cow::Borrowed(t),
        None => std::borrow::Cow::Owned(format!("because-{n}")),
    }
}

/// A posture property; its value on one line.
fn prop(ns: &'static str, name: &'static str, value: impl AsRef<str>) -> Property {
    Property::named(ns, name, one_line(value.as_ref()))
}

/// [`prop`] of a value the caller made: moved, not copied, when it is one line already.
fn prop_owned(ns: &'static str, name: &'static str, value: String) -> Property {
    if is_one_line(&value) {
        Property::named(ns, name, value)
    } else {
        prop(ns, name, value)
    }
}

/// An item id as its `Display` writes it (`block.name`, or `block`), without the formatter.
fn id_text(id: &ItemId) -> String {
    let block = id.block.as_str();
    let name = id.name.as_str();
    if name.is_empty() {
        return block.to_string();
    }
    let mut s = String::with_capacity(block.len() + 1 + name.len());
    s.push_str(block);
    s.push('.');
    s.push_str(name);
    s
}

/// A location as its `Display` writes it (`file:line`).
fn location_text(l: &graph::Location) -> String {
    let mut s = String::with_capacity(l.file.len() + 8);
    s.push_str(&l.file);
    s.push(':');
    ir::push_decimal(&mut s, l.line as u64);
    s
}

/// True when `s` is an OSCAL string as it is ([`one_line`] would copy it unchanged).
fn is_one_line(s: &str) -> bool {
    !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.contains("  ")
        && !s.chars().any(|c| c.is_whitespace() && c != ' ')
}

/// OSCAL's string type has no line breaks and no leading or trailing space: whitespace runs
/// become one space.
pub(crate) fn one_line(s: &str) -> String {
    // Most values (item ids, paths) already are: copy them as they are.
    if is_one_line(s) {
        return s.to_string();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The OSCAL role id of a posture owner's role: the SSP roles' names for the usual
/// abbreviations (`isso`, `ao`), otherwise the name with `-` for `_`.
fn role_id(role: &str) -> String {
    match role.to_ascii_lowercase().as_str() {
        "isso" => "information-system-security-officer".to_string(),
        "issm" => "information-system-security-manager".to_string(),
        "ao" => "authorizing-official".to_string(),
        other => other.replace('_', "-"),
    }
}

fn role_name(r: emit::Role) -> &'static str {
    match r {
        emit::Role::Enforcing => "enforcing",
        emit::Role::Configuration => "configuration",
        emit::Role::Evidence => "evidence",
    }
}

fn media_type(path: &str) -> &'static str {
    if path.ends_with(".yaml") || path.ends_with(".yml") {
        "application/yaml"
    } else if path.ends_with(".json") {
        "application/json"
    } else if path.ends_with(".html") {
        "text/html"
    } else if path.ends_with(".md") {
        "text/markdown"
    } else {
        "application/octet-stream"
    }
}

/// A declaration's component type, title and description.
fn declaration_component(item: &graph::Item, d: &Declaration) -> (&'static str, String, String) {
    let doc = item.doc.as_deref().map(str::trim);
    let with_doc = |s: String| match doc {
        Some(doc) => format!("{doc}\n\n{s}"),
        None => s,
    };
    match d {
        Declaration::Inherited { provider } => (
            "service",
            provider.clone(),
            with_doc(format!("Inherited from {provider}.")),
        ),
        Declaration::Process {
            name,
            evidence,
            every,
            owner,
        } => (
            "process-procedure",
            format!("process {name}"),
            with_doc(format!(
                "Organisational process `{name}`, performed every {every}; evidence: {evidence}.{}",
                owner
                    .as_ref()
                    .map(|o| format!(" Owner: {o}."))
                    .unwrap_or_default()
            )),
        ),
        Declaration::NotApplicable { reason } => (
            "policy",
            item.label.to_string(),
            with_doc(format!("Not applicable: {reason}")),
        ),
    }
}

fn declaration_links(d: &Declaration) -> Vec<Link> {
    match d {
        Declaration::Process { evidence, .. } => vec![Link::new(evidence.clone(), "evidence")],
        _ => Vec::new(),
    }
}

/// An OSCAL document as compact JSON (one line, then a newline): the documents are read by
/// tools (trestle, the schema validators, `posture diff`), and at 10,000 workloads the pretty
/// form's indentation was more than half of their bytes. `jq .` prints them for people.
fn json_artifact<T: serde::Serialize>(input: &Input<'_>, path: String, doc: &T) -> emit::Artifact {
    json_artifact_sized(input, path, doc, 0)
}

/// [`json_artifact`] written into a buffer of `hint` bytes reserved up front: a large
/// document (9.7 MB at 10,000 workloads) is not copied each time a growing buffer doubles, nor
/// left in one of twice its size. A hint that is too small only means the buffer grows.
fn json_artifact_sized<T: serde::Serialize>(
    input: &Input<'_>,
    path: String,
    doc: &T,
    hint: usize,
) -> emit::Artifact {
    let mut bytes = Vec::with_capacity(hint);
    if serde_json::to_writer(&mut bytes, doc).is_err() {
        bytes.clear();
        bytes.extend_from_slice(b"null");
    }
    bytes.push(b'\n');
    emit::Artifact {
        target: OSCAL,
        role: emit::Role::Evidence,
        path,
        bytes,
        origins: vec![system_origin(input)],
        applyable: false,
        placement: None,
    }
}

/// About how many bytes a component definition's JSON takes (a little more, usually): its
/// requirements' descriptions, properties and links, and its back matter, at a generous size
/// for each property's and link's fixed text.
fn component_definition_size(cd: &ComponentDefinitionDocument) -> usize {
    let props = |ps: &[Property]| -> usize {
        ps.iter()
            .map(|p| {
                128 + p.value.len()
                    + p.remarks.as_ref().map_or(0, String::len)
                    + p.group.as_ref().map_or(0, |g| g.len())
            })
            .sum()
    };
    let d = &cd.component_definition;
    let reqs: usize = d
        .components
        .iter()
        .flat_map(|c| &c.control_implementations)
        .flat_map(|ci| &ci.implemented_requirements)
        .map(|r| 256 + r.description.len() + props(&r.props) + 128 * r.links.len())
        .sum();
    let back: usize = d.back_matter.as_ref().map_or(0, |b| {
        b.resources
            .iter()
            .map(|r| 512 + 2 * r.title.as_ref().map_or(0, String::len))
            .sum()
    });
    64 * 1024 + reqs + back
}

/// The `system` item, every document's origin.
pub(crate) fn system_origin(input: &Input<'_>) -> emit::Origin {
    emit::Origin::new(
        ir::ItemId::block(ir::Block::System),
        input.posture.system.meta.span,
    )
}

/// Every OSCAL document.
pub(crate) fn oscal(
    input: &Input<'_>,
    coverages: &BTreeMap<Framework, Coverage>,
) -> Vec<emit::Artifact> {
    let cx = Ctx::new(input, coverages);
    let (cd, shared) = component_definition(&cx);
    let mut out = vec![json_artifact_sized(
        input,
        "oscal/component-definition.json".to_string(),
        &cd,
        component_definition_size(&cd),
    )];
    // An SSP states the component definition's narratives again, and a row per control of
    // its baseline: about the component definition's size, and a little more.
    let ssp_size = out[0].bytes.len() + out[0].bytes.len() / 8 + 256 * 1024;
    // The narratives the SSPs state with the same bytes, moved out of the written component
    // definition instead of built again.
    let mut narratives = shared.take_from(cd);
    let baselines = oscal_baselines(input.posture.system.frameworks.iter().copied());
    for (i, f) in baselines.iter().enumerate() {
        if let Some(file) = own_profile(*f) {
            out.push(json_artifact(
                input,
                format!("oscal/{file}"),
                &profile(&cx, *f),
            ));
        }
        let last = i + 1 == baselines.len();
        out.push(json_artifact_sized(
            input,
            ssp_path(*f),
            &ssp(&cx, *f, &mut narratives, last),
            ssp_size,
        ));
    }
    if let Some(first) = baselines.first() {
        let ssp_href = ssp_path(*first).trim_start_matches("oscal/").to_string();
        out.push(json_artifact(
            input,
            "oscal/assessment-plan.json".to_string(),
            &assessment_plan(&cx, &ssp_href),
        ));
        out.push(json_artifact(
            input,
            "oscal/assessment-results.json".to_string(),
            &assessment_results(&cx, &baselines),
        ));
        if let Some(poam) = poam(&cx, &baselines, &ssp_href) {
            out.push(json_artifact(input, "oscal/poam.json".to_string(), &poam));
        }
    }
    out
}

/// A narrative (description and `item` properties) of a target's statements about a control,
/// as a component definition's implemented requirement states it, and what an SSP's
/// by-component states with the same bytes when every statement implements the control (no
/// supporting one): built once, written into both documents.
type Narrative = (String, Vec<Property>);

/// Where the shareable narratives are in a component definition: (target, control) →
/// (component, requirement, number of `item` properties at the start of its properties).
#[derive(Default)]
struct SharedNarratives(Vec<(emit::TargetId, ControlRef, usize, usize, usize)>);

impl SharedNarratives {
    /// Moves the narratives out of a component definition that has been written.
    fn take_from(
        self,
        mut cd: ComponentDefinitionDocument,
    ) -> BTreeMap<(emit::TargetId, ControlRef), Narrative> {
        let mut out = BTreeMap::new();
        for (t, c, comp, req, n) in self.0 {
            let Some(r) = cd
                .component_definition
                .components
                .get_mut(comp)
                .and_then(|d| d.control_implementations.first_mut())
                .and_then(|ci| ci.implemented_requirements.get_mut(req))
            else {
                continue;
            };
            let mut props = std::mem::take(&mut r.props);
            props.truncate(n);
            out.insert((t, c), (std::mem::take(&mut r.description), props));
        }
        out
    }
}

fn component_definition(cx: &Ctx<'_>) -> (ComponentDefinitionDocument, SharedNarratives) {
    let mut components = Vec::new();
    let mut shared = SharedNarratives::default();
    let graph = cx.input.graph;
    for t in &cx.targets {
        let (uuid, title, description) = cx.target_component(*t);
        // Every control an item implements or supports through this target's artifacts
        // (implementations that meet part of a control are statements too; the requirement's
        // remarks say they are partial), the items in id order.
        let mut controls: BTreeMap<ControlRef, (&[&graph::Item], bool, Vec<&str>)> =
            BTreeMap::new();
        for (c, st) in cx.statements.get(t).into_iter().flatten() {
            let items = st.all.as_slice();
            let mut files: Vec<&str> = st
                .implemented_files
                .iter()
                .chain(&st.supported_files)
                .copied()
                .collect();
            graph::sort_paths(&mut files);
            controls.insert(*c, (items, st.implemented.is_empty(), files));
        }
        let mut reqs: Vec<CdRequirement> = Vec::with_capacity(controls.len());
        for (c, (items, partial, files)) in &controls {
            let Some(control_id) = oscal_control_id(*c) else {
                continue;
            };
            let (description, item_props) = cx.narrative(*c, items);
            if cx
                .statements(*t, *c)
                .is_some_and(|st| st.supported.is_empty())
            {
                shared
                    .0
                    .push((*t, *c, components.len(), reqs.len(), item_props.len()));
            }
            reqs.push(CdRequirement {
                uuid: cx.uuid(&format!("cd/{t}/{c}")),
                control_id,
                description,
                // The items behind it, then the SOC 2 and HIPAA requirements of the
                // system's frameworks it informs through the published crosswalks (those
                // frameworks have no OSCAL catalog of their own to implement against).
                props: item_props
                    .into_iter()
                    .chain(
                        graph
                            .informed(*c)
                            .iter()
                            .map(|(_, r)| prop(NS, "informs", r.id.to_string())),
                    )
                    .collect(),
                links: cx.artifact_links(files),
                responsible_roles: Vec::new(),
                remarks: partial.then(|| {
                    "Partial: this component's artifacts meet part of the control's \
                         statement (a `supports` mapping, or one a cross-layer check \
                         limited); coverage counts the control as partial."
                        .to_string()
                }),
            });
        }
        components.push(DefinedComponent {
            uuid,
            kind: "software".to_string(),
            title,
            description,
            purpose: None,
            props: vec![prop(NS, "target", t.as_str())],
            links: Vec::new(),
            responsible_roles: Vec::new(),
            control_implementations: control_impls(cx, &format!("target/{t}"), reqs),
        });
    }
    for (item, d, set) in cx.declarations() {
        let (kind, title, description) = declaration_component(item, d);
        let reqs: Vec<CdRequirement> = set
            .iter()
            .filter_map(|c| {
                Some(CdRequirement {
                    uuid: cx.uuid(&format!("cd/{}/{c}", item.id)),
                    control_id: oscal_control_id(*c)?,
                    description: description.clone(),
                    props: vec![prop(NS, "item", item.id.to_string())],
                    links: declaration_links(d),
                    responsible_roles: Vec::new(),
                    remarks: None,
                })
            })
            .collect();
        components.push(DefinedComponent {
            uuid: cx.declaration_component_uuid(&item.id),
            kind: kind.to_string(),
            title,
            description,
            purpose: None,
            props: vec![prop(NS, "item", item.id.to_string())],
            links: declaration_links(d),
            responsible_roles: Vec::new(),
            control_implementations: control_impls(cx, &item.id.to_string(), reqs),
        });
    }
    let doc = ComponentDefinitionDocument {
        component_definition: ComponentDefinition {
            uuid: cx.uuid("component-definition"),
            metadata: cx.metadata(format!(
                "{}: component definition",
                cx.input.posture.system.title
            )),
            components,
            back_matter: cx.back_matter(),
        },
    };
    (doc, shared)
}

fn control_impls(cx: &Ctx<'_>, key: &str, reqs: Vec<CdRequirement>) -> Vec<CdControls> {
    if reqs.is_empty() {
        return Vec::new();
    }
    vec![CdControls {
        uuid: cx.uuid(&format!("cd-controls/{key}")),
        source: NIST_CATALOG.to_string(),
        description: "NIST SP 800-53 rev5 controls this component implements.".to_string(),
        props: Vec::new(),
        set_parameters: Vec::new(),
        implemented_requirements: reqs,
    }]
}

fn fips(i: ir::system::Impact) -> String {
    format!(
        "fips-199-{}",
        match i {
            ir::system::Impact::Low => "low",
            ir::system::Impact::Moderate => "moderate",
            ir::system::Impact::High => "high",
        }
    )
}

/// The parameter values FedRAMP assigns for a control in a baseline (DoD baselines build on
/// FedRAMP's), as set-parameters; and, as remarks, the assignments FedRAMP writes in several
/// paragraphs, which FedRAMP's own validation rule (`uses-correct-param-value`) cannot compare
/// (its XSLT stops with a type error on them).
fn set_parameters(
    cx: &Ctx<'_>,
    f: Framework,
    c: ControlRef,
) -> (Vec<SetParameterValue>, Option<String>) {
    let fedramp_based = matches!(
        f,
        Framework::FedrampLiSaas
            | Framework::FedrampLow
            | Framework::FedrampModerate
            | Framework::FedrampHigh
            | Framework::DodIl2
            | Framework::DodIl4
            | Framework::DodIl4High
            | Framework::DodIl5
    );
    if !fedramp_based {
        return (Vec::new(), None);
    }
    let Some(req) = cx
        .input
        .graph
        .catalog()
        .requirements(f)
        .iter()
        .find(|r| r.id == c)
    else {
        return (Vec::new(), None);
    };
    let mut seen = BTreeSet::new();
    let mut set = Vec::new();
    let mut remarks = Vec::new();
    for p in req
        .parameters
        .iter()
        .filter(|p| p.source == ParameterSource::Fedramp && !p.values.is_empty())
    {
        let Some(id) = p.odp.as_ref().map(|o| o.0.clone()) else {
            continue;
        };
        if !seen.insert(id.clone()) {
            continue;
        }
        if p.values.len() == 1 && !p.values[0].contains("\n\n") {
            set.push(SetParameterValue {
                param_id: id,
                values: vec![one_line(&p.values[0])],
                remarks: Some("Assigned by FedRAMP.".to_string()),
            });
        } else {
            remarks.push(format!(
                "FedRAMP assigns {id}: {}",
                p.values
                    .iter()
                    .map(|v| one_line(v))
                    .collect::<Vec<_>>()
                    .join(" / ")
            ));
        }
    }
    (set, (!remarks.is_empty()).then(|| remarks.join("\n\n")))
}

fn status(state: &str, remarks: Option<String>) -> Option<ImplementationStatus> {
    Some(ImplementationStatus {
        state: state.to_string(),
        remarks,
    })
}

/// The system's doc comment and description, or its title when it has neither.
fn system_description(s: &ir::system::System) -> String {
    let parts: Vec<&str> = [s.meta.doc.as_deref(), s.description.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if parts.is_empty() {
        s.title.clone()
    } else {
        parts.join("\n\n")
    }
}

/// The SSP of baseline `f`. The narratives of `shared` (the component definition's, see
/// [`SharedNarratives`]) are copied, or moved for the `last` SSP, instead of built again.
fn ssp(
    cx: &Ctx<'_>,
    f: Framework,
    shared: &mut BTreeMap<(emit::TargetId, ControlRef), Narrative>,
    last: bool,
) -> SspDocument {
    let p = cx.input.posture;
    let s = &p.system;
    let coverage = cx.coverage(f);
    let this = cx.this_system_uuid();
    let mut components = vec![SystemComponent {
        uuid: this.clone(),
        kind: "this-system".to_string(),
        title: s.title.clone(),
        description: s
            .description
            .clone()
            .unwrap_or_else(|| format!("The system `{}`.", s.name)),
        props: Vec::new(),
        links: Vec::new(),
        status: SystemStatus {
            state: "operational".to_string(),
            remarks: None,
        },
        responsible_roles: Vec::new(),
    }];
    for t in &cx.targets {
        let (uuid, title, description) = cx.target_component(*t);
        components.push(SystemComponent {
            uuid,
            kind: "software".to_string(),
            title,
            description,
            props: vec![prop(NS, "target", t.as_str())],
            links: Vec::new(),
            status: SystemStatus {
                state: "operational".to_string(),
                remarks: None,
            },
            responsible_roles: Vec::new(),
        });
    }
    for (item, d, _) in cx.declarations() {
        let (kind, title, description) = declaration_component(item, d);
        components.push(SystemComponent {
            uuid: cx.declaration_component_uuid(&item.id),
            kind: kind.to_string(),
            title,
            description,
            props: vec![prop(NS, "item", item.id.to_string())],
            links: declaration_links(d),
            status: SystemStatus {
                state: "operational".to_string(),
                remarks: None,
            },
            responsible_roles: Vec::new(),
        });
    }

    let mut reqs = Vec::new();
    for row in &coverage.requirements {
        let Some(control_id) = oscal_control_id(row.id) else {
            continue;
        };
        let c = row.id;
        let key = format!("ssp/{}/{c}", f.id());
        let mut by = Vec::new();
        for t in &cx.targets {
            let Some(st) = cx.statements(*t, c).filter(|s| !s.implemented.is_empty()) else {
                continue;
            };
            let known = if last {
                shared.remove(&(*t, c))
            } else {
                shared.get(&(*t, c)).cloned()
            };
            let (description, props) = known.unwrap_or_else(|| cx.narrative(c, &st.implemented));
            let files = st.implemented_files.as_slice();
            by.push(ByComponent {
                component_uuid: cx.target_component_uuid(*t),
                uuid: cx.uuid(&format!("{key}/target/{t}")),
                description,
                props,
                links: cx.artifact_links(files),
                implementation_status: status("implemented", None),
                responsible_roles: Vec::new(),
                remarks: None,
            });
        }
        let facts = cx.input.graph.facts_ref(c);
        for id in facts
            .inherited
            .iter()
            .chain(&facts.process)
            .chain(&facts.not_applicable)
        {
            let Some(item) = cx.item(id) else { continue };
            let Some((d, _)) = item.declaration.as_deref() else {
                continue;
            };
            let (_, _, description) = declaration_component(item, d);
            let state = match d {
                Declaration::NotApplicable { .. } => "not-applicable",
                _ => "implemented",
            };
            by.push(ByComponent {
                component_uuid: cx.declaration_component_uuid(id),
                uuid: cx.uuid(&format!("{key}/declaration/{id}")),
                description,
                props: vec![prop(NS, "item", id.to_string())],
                links: declaration_links(d),
                implementation_status: status(state, None),
                responsible_roles: Vec::new(),
                remarks: None,
            });
        }
        let this_system = match row.status {
            Status::Partial => Some((
                "partial",
                format!(
                    "The base control {} is satisfied; no emitted artifact enforces this enhancement.",
                    row.base.map(|b| b.to_string()).unwrap_or_default()
                ),
            )),
            Status::Claimed => Some((
                "planned",
                format!(
                    "Claimed by {}, but no emitted artifact enforces it; tracked in the POA&M.",
                    row.claimed_by
                        .iter()
                        .map(|i| i.label.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Status::Gap => Some((
                "planned",
                "Not addressed by the posture; tracked in the POA&M.".to_string(),
            )),
            _ => None,
        };
        let status_remarks = this_system.as_ref().map(|(_, d)| d.clone());
        if let Some((state, description)) = this_system {
            by.push(ByComponent {
                component_uuid: this.clone(),
                uuid: cx.uuid(&format!("{key}/this-system")),
                description,
                props: Vec::new(),
                links: Vec::new(),
                implementation_status: status(state, None),
                responsible_roles: Vec::new(),
                remarks: None,
            });
        }
        let (set_parameters, remarks) = set_parameters(cx, f, c);
        // FedRAMP's implementation status and control origination, from the coverage status:
        // the build's targets and processes are the provider's own system; inherited controls
        // come from the leveraged provider.
        let (fedramp_status, origination) = match row.status {
            Status::Satisfied => ("implemented", "sp-system"),
            Status::Process => ("implemented", "sp-corporate"),
            Status::Inherited => ("implemented", "inherited"),
            Status::NotApplicable => ("not-applicable", "sp-system"),
            Status::Partial => ("partial", "sp-system"),
            _ => ("planned", "sp-system"),
        };
        reqs.push(ImplementedRequirement {
            uuid: cx.uuid(&key),
            control_id,
            props: vec![
                prop(NS, "coverage-status", row.status.name()),
                Property {
                    remarks: status_remarks,
                    ..prop(FEDRAMP_NS, "implementation-status", fedramp_status)
                },
                prop(FEDRAMP_NS, "control-origination", origination),
            ],
            links: Vec::new(),
            set_parameters,
            by_components: by,
            remarks,
        });
    }

    let (_, parties, _) = cx.roles_and_parties();
    let users = {
        let mut users: Vec<SystemUser> = s
            .parties
            .iter()
            .zip(&parties)
            .map(|(sp, party)| SystemUser {
                uuid: cx.uuid(&format!("user/{}", party.uuid)),
                title: Some(sp.name.clone()),
                role_ids: vec![role_id(&sp.role)],
            })
            .collect();
        if users.is_empty() {
            users.push(SystemUser {
                uuid: cx.uuid("user/unspecified"),
                title: Some("No owners are declared in the posture's system block.".to_string()),
                role_ids: Vec::new(),
            });
        }
        users
    };
    let impact = &s.impact;
    SspDocument {
        system_security_plan: SystemSecurityPlan {
            uuid: cx.uuid(&format!("ssp/{}", f.id())),
            metadata: cx.metadata(format!("{}: system security plan ({})", s.title, f.name())),
            import_profile: ImportProfile {
                href: profile_href(f),
            },
            system_characteristics: SystemCharacteristics {
                system_ids: vec![SystemId {
                    identifier_type: Some("https://ietf.org/rfc/rfc4122".to_string()),
                    id: cx.uuid("system"),
                }],
                system_name: s.title.clone(),
                system_name_short: Some(s.name.to_string()),
                description: system_description(s),
                props: vec![prop(NS, "framework", f.id())],
                security_sensitivity_level: Some(fips(impact.overall())),
                system_information: SystemInformation {
                    information_types: vec![InformationType {
                        uuid: Some(cx.uuid("information-type/system")),
                        title: format!("{} information", s.title),
                        description: "The posture does not list SP 800-60 information types; the system's FIPS 199 categorization applies to all of its information.".to_string(),
                        confidentiality_impact: Some(Impact::new(fips(impact.confidentiality))),
                        integrity_impact: Some(Impact::new(fips(impact.integrity))),
                        availability_impact: Some(Impact::new(fips(impact.availability))),
                    }],
                },
                security_impact_level: Some(SecurityImpactLevel {
                    security_objective_confidentiality: fips(impact.confidentiality),
                    security_objective_integrity: fips(impact.integrity),
                    security_objective_availability: fips(impact.availability),
                }),
                status: SystemStatus {
                    state: "operational".to_string(),
                    remarks: None,
                },
                authorization_boundary: AuthorizationBoundary {
                    description: s.boundary.clone().unwrap_or_else(|| {
                        "The posture's system block does not describe the authorization boundary."
                            .to_string()
                    }),
                },
            },
            system_implementation: SystemImplementation { users, components },
            control_implementation: ControlImplementation {
                description: format!(
                    "How {} implements the {} baseline: {:.1}% of {} requirements satisfied, inherited, done by a process or not applicable, as computed by `posture coverage --framework {}`.",
                    s.title,
                    f.name(),
                    coverage.summary.percent,
                    coverage.summary.requirements,
                    f.id()
                ),
                set_parameters: Vec::new(),
                implemented_requirements: reqs,
            },
            back_matter: cx.back_matter(),
        },
    }
}

fn profile(cx: &Ctx<'_>, f: Framework) -> ProfileDocument {
    let ids: Vec<String> = cx
        .input
        .graph
        .catalog()
        .requirements(f)
        .iter()
        .filter_map(|r| oscal_control_id(r.id))
        .collect();
    let fw = cx.input.graph.catalog().framework(f);
    ProfileDocument {
        profile: oscal_model::profile::Profile {
            uuid: cx.uuid(&format!("profile/{}", f.id())),
            metadata: cx.metadata(format!(
                "{} ({}): the 800-53 controls of the baseline",
                f.name(),
                fw.map(|d| d.source.clone()).unwrap_or_default()
            )),
            imports: vec![Import {
                href: NIST_CATALOG.to_string(),
                include_all: None,
                include_controls: vec![SelectControls {
                    with_child_controls: None,
                    with_ids: ids,
                    matching: Vec::new(),
                }],
                exclude_controls: Vec::new(),
            }],
            merge: Some(Merge {
                combine: None,
                flat: None,
                as_is: Some(true),
            }),
            modify: None,
            back_matter: None,
        },
    }
}

/// The activities of the build: every proof (by id) and the coverage computation.
fn activities(cx: &Ctx<'_>) -> Vec<Activity> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<Activity> = cx
        .input
        .proofs
        .iter()
        .filter(|p| seen.insert(p.id))
        .map(|p| Activity {
            uuid: cx.uuid(&format!("activity/proof/{}", p.id)),
            title: Some(p.id.to_string()),
            description: format!(
                "{} Run by `posture build` over the emitted documents; an error stops the build.",
                p.title
            ),
            props: vec![prop(NS, "check", p.id)],
        })
        .collect();
    out.push(Activity {
        uuid: cx.uuid("activity/coverage"),
        title: Some("coverage".to_string()),
        description: "The control graph: an item implements a control only through an emitted, enforcing artifact; every requirement of each declared framework gets a status (`posture coverage`).".to_string(),
        props: vec![prop(NS, "check", "coverage")],
    });
    out
}

fn include_all() -> ReviewedControls {
    ReviewedControls {
        description: None,
        control_selections: vec![ControlSelection {
            description: Some("Every control of the system's declared baselines.".to_string()),
            include_all: Some(Empty {}),
            include_controls: Vec::new(),
        }],
    }
}

fn assessment_plan(cx: &Ctx<'_>, ssp_href: &str) -> AssessmentPlanDocument {
    AssessmentPlanDocument {
        assessment_plan: AssessmentPlan {
            uuid: cx.uuid("assessment-plan"),
            metadata: cx.metadata(format!(
                "{}: what `posture build` assesses",
                cx.input.posture.system.title
            )),
            import_ssp: ImportHref {
                href: ssp_href.to_string(),
            },
            local_definitions: Some(LocalDefinitions {
                activities: activities(cx),
            }),
            reviewed_controls: include_all(),
            assessment_subjects: vec![AssessmentSubject {
                kind: "component".to_string(),
                description: Some(
                    "Every component of the SSP: the emitted documents and the declared statements."
                        .to_string(),
                ),
                include_all: Some(Empty {}),
            }],
            back_matter: None,
        },
    }
}

/// The NIST controls of the declared baselines that are not met, with their status: one
/// finding and one POA&M item each.
fn open_controls(cx: &Ctx<'_>, baselines: &[Framework]) -> BTreeMap<ControlRef, Status> {
    let mut out = BTreeMap::new();
    for f in baselines {
        for row in &cx.coverage(*f).requirements {
            if row.id.as_nist().is_some()
                && matches!(row.status, Status::Gap | Status::Claimed | Status::Partial)
            {
                out.insert(row.id, row.status);
            }
        }
    }
    out
}

fn assessment_results(cx: &Ctx<'_>, baselines: &[Framework]) -> AssessmentResultsDocument {
    let ts = cx.input.provenance.timestamp.rfc3339();
    let mut observations = Vec::new();
    for p in cx.input.proofs {
        let holds = p.holds();
        observations.push(Observation {
            uuid: cx.uuid(&format!("observation/proof/{}", p.id)),
            title: Some(p.id.to_string()),
            description: format!(
                "{} Result: {}.",
                p.title,
                if holds { "holds" } else { "fails" }
            ),
            props: vec![
                prop(NS, "check", p.id),
                prop(NS, "result", if holds { "pass" } else { "fail" }),
            ],
            links: Vec::new(),
            methods: vec!["TEST".to_string()],
            types: Vec::new(),
            relevant_evidence: p
                .verifies
                .iter()
                .map(|path| RelevantEvidence {
                    href: Some(format!("../{path}")),
                    description: format!("`{path}`, verified by {}", p.id),
                })
                .collect(),
            collected: ts.clone(),
            remarks: None,
        });
    }
    let frameworks: Vec<Framework> = cx.input.graph.system_frameworks().iter().copied().collect();
    for f in &frameworks {
        let c = cx.coverage(*f);
        let s = &c.summary;
        observations.push(Observation {
            uuid: cx.uuid(&format!("observation/coverage/{}", f.id())),
            title: Some(format!("coverage {}", f.id())),
            description: format!(
                "{}: {:.1}% covered, {} of {} requirements ({} satisfied, {} inherited, {} process, {} not applicable, {} partial, {} supported, {} claimed, {} gap).",
                c.name,
                s.percent,
                s.covered,
                s.requirements,
                s.satisfied,
                s.inherited,
                s.process,
                s.not_applicable,
                s.partial,
                s.supported,
                s.claimed,
                s.gap
            ),
            props: vec![
                prop(NS, "check", "coverage"),
                prop(NS, "framework", f.id()),
            ],
            links: Vec::new(),
            methods: vec!["EXAMINE".to_string()],
            types: Vec::new(),
            relevant_evidence: vec![RelevantEvidence {
                href: Some("../report/coverage.md".to_string()),
                description: "The coverage report of this build.".to_string(),
            }],
            collected: ts.clone(),
            remarks: None,
        });
    }
    for (item, d, set) in cx.declarations() {
        let controls: Vec<String> = set.iter().map(ToString::to_string).collect();
        let what = match d {
            Declaration::Inherited { provider } => format!("inherited from {provider}"),
            Declaration::Process { name, .. } => format!("done by the process `{name}`"),
            Declaration::NotApplicable { .. } => "not applicable".to_string(),
        };
        observations.push(Observation {
            uuid: cx.uuid(&format!("observation/declaration/{}", item.id)),
            title: Some(format!("{}: not evaluated", item.label)),
            description: format!(
                "Declared {what} for {}. Not evaluated: the build reads the declaration but runs no check of it.",
                controls.join(", ")
            ),
            props: vec![
                prop(NS, "item", item.id.to_string()),
                prop(NS, "result", "not-evaluated"),
            ],
            links: declaration_links(d),
            methods: vec!["EXAMINE".to_string()],
            types: Vec::new(),
            relevant_evidence: Vec::new(),
            collected: ts.clone(),
            remarks: None,
        });
    }
    let findings: Vec<Finding> = open_controls(cx, baselines)
        .into_iter()
        .filter_map(|(c, st)| {
            let control_id = oscal_control_id(c)?;
            let related = baselines
                .iter()
                .map(|f| RelatedObservation {
                    observation_uuid: cx.uuid(&format!("observation/coverage/{}", f.id())),
                })
                .collect();
            Some(Finding {
                uuid: cx.uuid(&format!("finding/{c}")),
                title: format!("{c}: {st}"),
                description: match st {
                    Status::Claimed => format!(
                        "{c} is claimed by the posture, but no emitted artifact enforces it."
                    ),
                    Status::Partial => format!(
                        "{c} is an enhancement whose base control is satisfied; nothing emitted enforces the enhancement."
                    ),
                    _ => format!("Nothing in the posture addresses {c}."),
                },
                props: vec![prop(NS, "coverage-status", st.name())],
                target: FindingTarget {
                    kind: "objective-id".to_string(),
                    target_id: control_id,
                    status: ObjectiveStatus {
                        state: "not-satisfied".to_string(),
                        reason: None,
                        remarks: None,
                    },
                },
                related_observations: related,
                remarks: None,
            })
        })
        .collect();
    AssessmentResultsDocument {
        assessment_results: AssessmentResults {
            uuid: cx.uuid("assessment-results"),
            metadata: cx.metadata(format!(
                "{}: results of `posture build`",
                cx.input.posture.system.title
            )),
            import_ap: ImportHref {
                href: "assessment-plan.json".to_string(),
            },
            results: vec![AssessmentResult {
                uuid: cx.uuid("result/build"),
                title: "posture build".to_string(),
                description: "What the build itself ran: its proofs over the emitted documents and the coverage computation. Conformance runs in CI and live checks (`posture verify --live`) are not part of this result.".to_string(),
                start: ts.clone(),
                end: Some(ts),
                props: Vec::new(),
                reviewed_controls: include_all(),
                observations,
                findings,
            }],
            back_matter: cx.back_matter(),
        },
    }
}

fn poam(cx: &Ctx<'_>, baselines: &[Framework], ssp_href: &str) -> Option<PoamDocument> {
    let p = cx.input.posture;
    let mut risks = Vec::new();
    let mut items = Vec::new();
    for e in p.exceptions.values() {
        let risk_uuid = cx.uuid(&format!("risk/exception/{}", e.name));
        let due = crate::Timestamp::midnight(e.expires).rfc3339();
        let waived: Vec<String> = e.waive.iter().map(ToString::to_string).collect();
        let mut props = vec![
            prop(NS, "exception", &e.name),
            prop(NS, "owner", e.owner.clone()),
            prop(NS, "expires", e.expires.to_string()),
        ];
        if let Some(t) = &e.ticket {
            props.push(prop(NS, "ticket", t.clone()));
        }
        let reason = e
            .reason
            .clone()
            .or_else(|| e.meta.doc.clone())
            .unwrap_or_else(|| "No reason given.".to_string());
        risks.push(Risk {
            uuid: risk_uuid.clone(),
            title: format!("exception {}", e.name),
            description: reason.clone(),
            statement: format!(
                "Waives {} until {}; owner {}{}.",
                waived.join(", "),
                e.expires,
                e.owner,
                e.ticket
                    .as_ref()
                    .map(|t| format!(", ticket {t}"))
                    .unwrap_or_default()
            ),
            props: props.clone(),
            status: "deviation-approved".to_string(),
            deadline: Some(due.clone()),
            remediations: vec![Remediation {
                uuid: cx.uuid(&format!("remediation/exception/{}", e.name)),
                lifecycle: "planned".to_string(),
                title: format!("End exception {}", e.name),
                description: format!(
                    "Remove the exception by {}: after that date the build fails.",
                    e.expires
                ),
                props: Vec::new(),
                tasks: vec![Task {
                    uuid: cx.uuid(&format!("milestone/exception/{}", e.name)),
                    kind: "milestone".to_string(),
                    title: format!("exception {} expires", e.name),
                    description: Some(format!("Owner: {}.", e.owner)),
                    timing: Some(Timing {
                        on_date: OnDate { date: due },
                    }),
                }],
            }],
        });
        items.push(PoamItem {
            uuid: cx.uuid(&format!("poam-item/exception/{}", e.name)),
            title: format!("exception {}", e.name),
            description: reason,
            props,
            links: Vec::new(),
            related_risks: vec![RelatedRisk {
                risk_uuid: risk_uuid.clone(),
            }],
            remarks: None,
        });
    }
    for (c, st) in open_controls(cx, baselines) {
        items.push(PoamItem {
            uuid: cx.uuid(&format!("poam-item/control/{c}")),
            title: format!("{c}: {st}"),
            description: match st {
                Status::Claimed => {
                    format!("{c} is claimed, but no emitted artifact enforces it.")
                }
                Status::Partial => {
                    format!("{c}: the base control is satisfied, the enhancement is not.")
                }
                _ => format!("{c} is not addressed by the posture."),
            },
            props: vec![
                prop(NS, "control", c.to_string()),
                prop(NS, "coverage-status", st.name()),
            ],
            links: Vec::new(),
            related_risks: Vec::new(),
            remarks: None,
        });
    }
    if items.is_empty() {
        return None;
    }
    Some(PoamDocument {
        plan_of_action_and_milestones: PlanOfActionAndMilestones {
            uuid: cx.uuid("poam"),
            metadata: cx.metadata(format!("{}: plan of action and milestones", p.system.title)),
            import_ssp: Some(ImportHref {
                href: ssp_href.to_string(),
            }),
            risks,
            poam_items: items,
            back_matter: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_as_display_writes_it() {
        for n in [0u64, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let mut s = String::from("x:");
            ir::push_decimal(&mut s, n);
            assert_eq!(s, format!("x:{n}"));
        }
        let l = graph::Location {
            file: "network/a.posture".into(),
            line: 1207,
        };
        assert_eq!(location_text(&l), l.to_string());
    }

    #[test]
    fn borrowed_properties_are_written_and_read_as_owned_ones() {
        let mut borrowed = Property::named(NS, "item", "network.allow a -> b:80");
        borrowed.group = Some(group_token(1));
        borrowed.remarks = Some("network.posture:3".to_string());
        let mut owned = Property::ns(NS, "item", "network.allow a -> b:80");
        owned.group = Some(std::borrow::Cow::Owned("because-1".to_string()));
        owned.remarks = Some("network.posture:3".to_string());
        let text = serde_json::to_string(&borrowed).expect("written");
        assert_eq!(text, serde_json::to_string(&owned).expect("written"));
        assert_eq!(
            text,
            r#"{"name":"item","ns":"https://posture.dev/ns/oscal","value":"network.allow a -> b:80","group":"because-1","remarks":"network.posture:3"}"#
        );
        let read: Property = serde_json::from_str(&text).expect("read");
        assert_eq!(read, borrowed);
        // The reader still refuses what the model does not know.
        assert!(
            serde_json::from_str::<Property>(
                r#"{"name":"item","ns":"x","value":"v","grouping":"because-1"}"#
            )
            .is_err()
        );
        // Past the table, the token is made, with the same text.
        assert_eq!(group_token(8), "because-8");
        assert_eq!(group_token(9), "because-9");
        assert_eq!(group_token(12), "because-12");
    }

    #[test]
    fn one_line_values() {
        assert!(is_one_line("network.allow a -> b:80"));
        assert!(!is_one_line(" leading"));
        assert_eq!(one_line("a\n  b\tc "), "a b c");
    }
}
