//! The graph's vocabulary: item ids, items with their control mappings, artifacts, checks,
//! nodes and edges.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use controls::{ControlRef, Framework};
use ir::SmolStr;
use serde::{Deserialize, Serialize};

use crate::defaults::{Construct, Strength};

/// A posture item's id: `block.name`, the form exceptions use to waive items and targets
/// name their artifacts' origins with (`admission.require-labels`, `namespace.optimal-system`,
/// `network.allow portal -> api-gateway:8000`). Ids never depend on the order of input files.
pub use ir::ItemId;

/// What kind of posture item a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    System,
    Target,
    Namespace,
    Workload,
    DefaultDeny,
    Intent,
    Ingress,
    Mesh,
    BundleUse,
    Validate,
    Mutate,
    Generate,
    VerifyImages,
    RuleSet,
    Rule,
    Profile,
    Realm,
    Role,
    Client,
    Federation,
    Group,
    Mapper,
    RbacBinding,
    Store,
    Secret,
    EncryptionAtRest,
    Audit,
    AuditRule,
    Exception,
    Inherited,
    Process,
    NotApplicable,
}

impl ItemKind {
    /// The keyword a posture writes the item with (`validate`, `namespace`).
    pub fn keyword(self) -> &'static str {
        match self {
            ItemKind::System => "system",
            ItemKind::Target => "target",
            ItemKind::Namespace => "namespace",
            ItemKind::Workload => "workload",
            ItemKind::DefaultDeny => "default_deny",
            ItemKind::Intent => "allow",
            ItemKind::Ingress => "ingress",
            ItemKind::Mesh => "mesh",
            ItemKind::BundleUse => "use",
            ItemKind::Validate => "validate",
            ItemKind::Mutate => "mutate",
            ItemKind::Generate => "generate",
            ItemKind::VerifyImages => "verify_images",
            ItemKind::RuleSet => "use",
            ItemKind::Rule => "rule",
            ItemKind::Profile => "profile",
            ItemKind::Realm => "realm",
            ItemKind::Role => "role",
            ItemKind::Client => "client",
            ItemKind::Federation => "federation",
            ItemKind::Group => "group",
            ItemKind::Mapper => "mapper",
            ItemKind::RbacBinding => "kubernetes_rbac",
            ItemKind::Store => "store",
            ItemKind::Secret => "secret",
            ItemKind::EncryptionAtRest => "encryption",
            ItemKind::Audit => "audit",
            ItemKind::AuditRule => "rule",
            ItemKind::Exception => "exception",
            ItemKind::Inherited => "inherited",
            ItemKind::Process => "process",
            ItemKind::NotApplicable => "not_applicable",
        }
    }
}

/// `file:line` of a declaration, with the file as the loader names it (relative to the
/// posture's root, or `<std>/…` for the standard library).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub file: SmolStr,
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Why an item maps to a control.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum MappingSource {
    /// `satisfies = [...]` written in the user's posture (on the item or on the `use` that
    /// pulled a bundle item in).
    Declared,
    /// `supports = [...]` written in the user's posture: the item meets part of the control.
    DeclaredSupports,
    /// A standard-library item's own `satisfies` or `supports`, with the reviewed rationale
    /// (borrowed from the table: a large posture's items share it, they do not copy it).
    Stdlib {
        rationale: Cow<'static, str>,
        #[serde(default, skip_serializing_if = "is_satisfies")]
        strength: Strength,
    },
    /// A built-in construct's default mapping.
    Default {
        construct: Construct,
        rationale: Cow<'static, str>,
        #[serde(default, skip_serializing_if = "is_satisfies")]
        strength: Strength,
    },
    /// A cross-layer check found that the item's artifacts meet only part of the control
    /// here (e.g. mesh mTLS with plaintext hops in and out of the mesh): whatever else maps
    /// it, the item supports the control and does not satisfy it.
    Limited { reason: String },
}

fn is_satisfies(s: &Strength) -> bool {
    *s == Strength::Satisfies
}

impl MappingSource {
    /// One line for people: why the mapping exists.
    pub fn describe(&self) -> String {
        let partly = |s: &Strength| match s {
            Strength::Satisfies => "",
            Strength::Supports => " (supports: meets part of the control)",
        };
        match self {
            MappingSource::Declared => "declared with `satisfies`".to_string(),
            MappingSource::DeclaredSupports => "declared with `supports`".to_string(),
            MappingSource::Stdlib {
                rationale,
                strength,
            } => format!("standard library{}: {rationale}", partly(strength)),
            MappingSource::Default {
                construct,
                rationale,
                strength,
            } => format!(
                "default for {}{}: {rationale}",
                construct.title(),
                partly(strength)
            ),
            MappingSource::Limited { reason } => format!("limited: {reason}"),
        }
    }

    /// How much of the control this source says the item meets.
    pub fn strength(&self) -> Strength {
        match self {
            MappingSource::Declared => Strength::Satisfies,
            MappingSource::DeclaredSupports | MappingSource::Limited { .. } => Strength::Supports,
            MappingSource::Stdlib { strength, .. } | MappingSource::Default { strength, .. } => {
                *strength
            }
        }
    }
}

/// Whether an item's artifacts enforce what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    /// Its artifacts enforce (or, for detections, detect) what it declares.
    Enforce,
    /// Admission in `audit` mode: violations are reported, not refused.
    AuditOnly,
    /// A runtime rule with `enabled = false`.
    Disabled,
}

/// What a `controls { … }` statement declares about its controls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Declaration {
    /// A provider implements the controls.
    Inherited { provider: String },
    /// People do it on a schedule, with evidence.
    Process {
        name: String,
        evidence: String,
        every: String,
        owner: Option<String>,
    },
    /// The controls do not apply.
    NotApplicable { reason: String },
}

/// An exception's facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionFacts {
    pub owner: String,
    pub ticket: Option<String>,
    pub expires: String,
    /// Namespaces and workloads of the scope, `ns:`/`workload:` prefixed, sorted.
    pub scope: Vec<String>,
}

/// A posture item as the graph sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: ItemId,
    pub kind: ItemKind,
    /// `validate require-run-as-non-root`, `namespace optimal-system`.
    pub label: SmolStr,
    pub location: Option<Location>,
    /// The span the item was declared at; targets name it in their artifacts' origins.
    pub span: Option<diagnostics::Span>,
    /// The standard-library bundle it came from.
    pub bundle: Option<String>,
    /// Its `///` doc comment (the OSCAL implementation narrative).
    pub doc: Option<String>,
    pub enforcement: Enforcement,
    /// The controls it maps to, each with why (shared by the items whose mappings are only
    /// their constructs' defaults).
    pub mappings: Mappings,
    /// For `controls { … }` statements: what they declare, and about which controls
    /// (patterns expanded over the catalog).
    /// Boxed, as `exception`: few items have one, and an item of 50,000 was 408 bytes with them
    /// inline, 208 boxed.
    pub declaration: Option<Box<(Declaration, BTreeSet<ControlRef>)>>,
    /// For exceptions: the items waived, and the exception's facts.
    pub waives: Vec<ItemId>,
    pub exception: Option<Box<ExceptionFacts>>,
}

/// An item's controls, each with why it maps to it: an ordered map, shared (reference-counted)
/// between the items that map alike. At 50,000 network intents every intent had its own copy
/// of the same defaults (a map node and a set node per control); now they share one. Reads go
/// through `Deref` to the map; [`Mappings::make_mut`] copies a shared map before a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mappings(Arc<BTreeMap<ControlRef, BTreeSet<MappingSource>>>);

impl Mappings {
    /// The map, to change: copied first when another item shares it.
    pub fn make_mut(&mut self) -> &mut BTreeMap<ControlRef, BTreeSet<MappingSource>> {
        Arc::make_mut(&mut self.0)
    }

    /// True when `self` and `other` are the same shared map (then they are equal too).
    pub fn shares(&self, other: &Mappings) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl From<BTreeMap<ControlRef, BTreeSet<MappingSource>>> for Mappings {
    fn from(m: BTreeMap<ControlRef, BTreeSet<MappingSource>>) -> Mappings {
        Mappings(Arc::new(m))
    }
}

impl std::ops::Deref for Mappings {
    type Target = BTreeMap<ControlRef, BTreeSet<MappingSource>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Mappings {
    type Item = (&'a ControlRef, &'a BTreeSet<MappingSource>);
    type IntoIter = std::collections::btree_map::Iter<'a, ControlRef, BTreeSet<MappingSource>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// What an artifact is for: the role its target gave it.
pub use emit::Role as ArtifactRole;

/// An emitted file, attached to the items it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactNode {
    pub path: String,
    pub role: ArtifactRole,
    pub items: BTreeSet<ItemId>,
    /// Origins that matched no item (a target bug; reported in explain and the graph).
    pub unattached: Vec<String>,
}

/// A check's id (`reachability`, `kyverno-cli`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CheckId(pub String);

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A verification that ran over emitted artifacts: a schema check, the reachability proof,
/// a real consumer. The verify phase registers them; the graph links them to the artifacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub id: CheckId,
    /// One line: what it proves.
    pub title: String,
    /// The artifact paths it verified.
    pub verifies: Vec<String>,
}

/// A node of the control graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Framework(Framework),
    /// A framework's requirement (a baseline's selection of a control, or a criterion).
    Requirement(Framework, ControlRef),
    /// A control or criterion id, as items and requirements name it.
    Control(ControlRef),
    Item(ItemId),
    Artifact(String),
    Check(CheckId),
}

impl Node {
    /// A stable textual key, used for sorting and as the DOT id.
    pub fn key(&self) -> String {
        match self {
            Node::Framework(f) => format!("framework:{f}"),
            Node::Requirement(f, r) => format!("requirement:{f}:{r}"),
            Node::Control(c) => format!("control:{c}"),
            Node::Item(i) => format!("item:{i}"),
            Node::Artifact(p) => format!("artifact:{p}"),
            Node::Check(c) => format!("check:{c}"),
        }
    }
}

/// An edge of the control graph. Directions: framework → requirement → control (`requires`);
/// control → non-NIST requirement (`informs`); item → control (`implements`, `claims`);
/// item → artifact (`emits`); check → artifact (`verifies`); control → `controls { … }`
/// statement (`inherited-from`, `process`, `not-applicable`); exception → item (`waives`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Edge {
    Requires,
    Informs,
    Implements,
    /// An enforcing artifact meets part of the control (a `supports` mapping, or one a
    /// cross-layer check limited): coverage shows it partial.
    Supports,
    /// `satisfies` (or a default) without an enforcing artifact behind it.
    Claims,
    Emits,
    Verifies,
    InheritedFrom,
    Process,
    NotApplicable,
    Waives,
}

impl Edge {
    /// The edge's name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Edge::Requires => "requires",
            Edge::Informs => "informs",
            Edge::Implements => "implements",
            Edge::Supports => "supports",
            Edge::Claims => "claims",
            Edge::Emits => "emits",
            Edge::Verifies => "verifies",
            Edge::InheritedFrom => "inherited-from",
            Edge::Process => "process",
            Edge::NotApplicable => "not-applicable",
            Edge::Waives => "waives",
        }
    }
}
