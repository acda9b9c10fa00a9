//! Building the control graph: items from the IR, artifacts attached to items by their
//! origins, checks to artifacts, and the frameworks' requirements over the controls.

use std::collections::{BTreeMap, BTreeSet};

use controls::{Catalog, ControlRef, Framework};
use diagnostics::codes::controls::{P2005, P2006};
use diagnostics::{Diagnostic, Sources, Span};
use petgraph::Direction as Dir;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::coverage::ControlFacts;
use crate::fxhash::{FxHashMap, FxHashSet};
use crate::itemmap::ItemMap;
use crate::items;
use crate::model::{
    ArtifactNode, Check, CheckId, Declaration, Edge, Enforcement, Item, ItemId, ItemKind,
    MappingSource, Node,
};

/// What the graph is built from.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The checked posture.
    pub posture: &'a ir::Posture,
    /// Every target's artifacts; each attaches to the items its origins name.
    pub artifacts: &'a [emit::Artifact],
    /// The verifications that ran over the artifacts.
    pub checks: &'a [Check],
    /// The loaded sources, for `file:line`.
    pub sources: &'a Sources,
    /// The control catalog.
    pub catalog: &'a Catalog,
    /// Frameworks to include besides the system's own (`coverage --framework F`).
    pub frameworks: &'a [Framework],
}

/// The control graph. Every query answers in sorted order (by id, path or control), never in
/// petgraph's insertion order.
#[derive(Debug, Clone)]
pub struct ControlGraph<'c> {
    pub(crate) graph: DiGraph<Node, Edge>,
    /// Each node's index, but the items': looked up only, never iterated in its own order
    /// (answers are sorted), so a hash map: the graph of a large posture has 100,000 nodes.
    pub(crate) index: FxHashMap<Node, NodeIndex>,
    /// Each item's node, by the item's position in `items` (the items' ids are not copied
    /// into `index` as keys).
    pub(crate) item_nodes: Vec<Option<NodeIndex>>,
    pub(crate) items: ItemMap,
    pub(crate) artifacts: BTreeMap<String, ArtifactNode>,
    /// Each item's enforcing artifacts, sorted (the paths borrowed from the build's
    /// artifacts), by the item's position in `items` (no copy of each id as a key).
    pub(crate) enforcing: Vec<Vec<&'c str>>,
    /// Edges already added, so each (from, kind, to) is added once.
    pub(crate) edge_set: FxHashSet<(NodeIndex, Edge, NodeIndex)>,
    pub(crate) checks: BTreeMap<CheckId, Check>,
    /// What the graph knows about each control an item maps to or a statement declares,
    /// gathered once while the edges are added (each list sorted by item id).
    pub(crate) facts: BTreeMap<ControlRef, ControlFacts>,
    /// The items that waive others (exceptions), by id.
    pub(crate) waivers: Vec<ItemId>,
    pub(crate) frameworks: BTreeSet<Framework>,
    pub(crate) system_frameworks: BTreeSet<Framework>,
    pub(crate) catalog: &'c Catalog,
}

/// Builds the control graph and reports claims without artifacts (P2005) and controls declared
/// not applicable that items implement or claim (P2006), both warnings.
pub fn build<'a>(input: &Input<'a>) -> (ControlGraph<'a>, Vec<Diagnostic>) {
    let catalog = input.catalog;
    let items = items::collect(input.posture, input.sources, catalog);
    let system_frameworks: BTreeSet<Framework> =
        input.posture.system.frameworks.iter().copied().collect();
    let mut frameworks = system_frameworks.clone();
    frameworks.extend(input.frameworks.iter().copied());

    let mut g = ControlGraph {
        graph: DiGraph::new(),
        index: FxHashMap::default(),
        item_nodes: Vec::new(),
        items,
        artifacts: BTreeMap::new(),
        enforcing: Vec::new(),
        edge_set: FxHashSet::default(),
        checks: BTreeMap::new(),
        facts: BTreeMap::new(),
        waivers: Vec::new(),
        frameworks,
        system_frameworks,
        catalog,
    };
    g.attach_artifacts(input.artifacts);
    g.add_nodes_and_edges(input.checks);
    let diagnostics = g.diagnose(input.posture);
    (g, diagnostics)
}

/// The index of node `n`, added when new.
fn node_in(
    graph: &mut DiGraph<Node, Edge>,
    index: &mut FxHashMap<Node, NodeIndex>,
    n: Node,
) -> NodeIndex {
    match index.entry(n) {
        std::collections::hash_map::Entry::Occupied(o) => *o.get(),
        std::collections::hash_map::Entry::Vacant(v) => {
            let i = graph.add_node(v.key().clone());
            v.insert(i);
            i
        }
    }
}

/// Adds the edge (a, kind, b) unless the graph has it.
fn edge_in(
    graph: &mut DiGraph<Node, Edge>,
    edge_set: &mut FxHashSet<(NodeIndex, Edge, NodeIndex)>,
    a: NodeIndex,
    kind: Edge,
    b: NodeIndex,
) {
    if edge_set.insert((a, kind, b)) {
        graph.add_edge(a, b, kind);
    }
}

/// [`ControlGraph::implements`] for an item whose enforcing artifacts' paths the caller has
/// (the one rule, for callers that walk the items by position).
pub fn implements_with(item: &Item, enforcing: &[&str]) -> bool {
    item.enforcement == Enforcement::Enforce && !enforcing.is_empty()
}

/// The edge an item's mapping to a control gets: `implements` when the item implements
/// through an enforcing artifact ([`ControlGraph::implements`]) and some source says the whole
/// statement is met and no cross-layer check limited it; `supports` when it implements but only
/// part of the statement is met; `claims` without an enforcing artifact.
pub fn mapping_edge(implements: bool, sources: &BTreeSet<MappingSource>) -> Edge {
    // Satisfied only when some source says the whole statement is met and no cross-layer
    // check limited it; otherwise the item supports the control.
    let whole = sources
        .iter()
        .any(|s| s.strength() == crate::defaults::Strength::Satisfies)
        && !sources
            .iter()
            .any(|s| matches!(s, MappingSource::Limited { .. }));
    match (implements, whole) {
        (true, true) => Edge::Implements,
        (true, false) => Edge::Supports,
        (false, _) => Edge::Claims,
    }
}

impl<'c> ControlGraph<'c> {
    fn node(&mut self, n: Node) -> NodeIndex {
        node_in(&mut self.graph, &mut self.index, n)
    }

    fn edge(&mut self, from: Node, kind: Edge, to: Node) {
        let a = self.node(from);
        let b = self.node(to);
        edge_in(&mut self.graph, &mut self.edge_set, a, kind, b);
    }

    /// True when the item's mappings count: it enforces (not audit mode, not disabled) and
    /// emits at least one enforcing artifact.
    pub fn implements(&self, item: &Item) -> bool {
        implements_with(item, self.enforcing_paths(&item.id))
    }

    /// Attaches each artifact to the items of its origins: by span first (what every target
    /// gives), then by the origin's item id (for items without a span, like
    /// `secrets.encryption`).
    fn attach_artifacts(&mut self, artifacts: &'c [emit::Artifact]) {
        // Looked up only: hashed. The first item (in id order) of each span wins.
        let mut by_span: FxHashMap<(u32, u32, u32), &ItemId> =
            FxHashMap::with_capacity_and_hasher(self.items.len(), Default::default());
        for item in self.items.values() {
            if let Some(s) = item.span {
                by_span.entry(span_key(s)).or_insert(&item.id);
            }
        }
        let mut out: BTreeMap<String, ArtifactNode> = BTreeMap::new();
        // Each path's first artifact, whose path the enforcing lists borrow.
        let mut first: BTreeMap<&'c str, ()> = BTreeMap::new();
        for a in artifacts {
            let node = match out.get_mut(a.path.as_str()) {
                Some(n) => n,
                None => {
                    first.insert(a.path.as_str(), ());
                    out.entry(a.path.clone()).or_insert_with(|| ArtifactNode {
                        path: a.path.clone(),
                        role: a.role,
                        items: BTreeSet::new(),
                        unattached: Vec::new(),
                    })
                }
            };
            // The artifact's items gathered, sorted and then added at once: a set built
            // from sorted ids is filled leaf by leaf (a build's files name 100,000 items).
            let mut ids: Vec<&ItemId> = Vec::with_capacity(a.origins.len());
            for o in &a.origins {
                let found = by_span
                    .get(&span_key(o.span))
                    .copied()
                    .or_else(|| self.items.get_key_value(&o.item).map(|(k, _)| k));
                match found {
                    Some(id) => ids.push(id),
                    None => node.unattached.push(o.item.to_string()),
                }
            }
            ids.sort_unstable();
            ids.dedup();
            if node.items.is_empty() {
                node.items = ids.into_iter().cloned().collect();
            } else {
                node.items.extend(ids.into_iter().cloned());
            }
            node.unattached.sort();
            node.unattached.dedup();
        }
        let mut enforcing: Vec<Vec<&'c str>> = vec![Vec::new(); self.items.len()];
        for (a, path) in out.values().zip(first.keys()) {
            debug_assert_eq!(a.path, *path);
            if !a.role.enforces() {
                continue;
            }
            for i in &a.items {
                if let Some(p) = self.items.position(i) {
                    enforcing[p].push(path);
                }
            }
        }
        self.enforcing = enforcing;
        self.artifacts = out;
    }

    fn add_nodes_and_edges(&mut self, checks: &[Check]) {
        // Frameworks and their requirements.
        let frameworks: Vec<Framework> = self.frameworks.iter().copied().collect();
        for f in frameworks {
            for req in self.catalog.requirements(f) {
                self.edge(
                    Node::Framework(f),
                    Edge::Requires,
                    Node::Requirement(f, req.id),
                );
                self.edge(
                    Node::Requirement(f, req.id),
                    Edge::Requires,
                    Node::Control(req.id),
                );
                for inf in &req.informs {
                    self.edge(
                        Node::Control(ControlRef::Nist(inf.control)),
                        Edge::Informs,
                        Node::Requirement(f, req.id),
                    );
                }
            }
        }
        // Items, their artifacts and their mappings: nodes and edges are added in the order
        // of the items, each item's node first.
        let mut facts: BTreeMap<ControlRef, ControlFacts> = BTreeMap::new();
        let mut waivers: Vec<ItemId> = Vec::new();
        let ControlGraph {
            graph,
            index,
            edge_set,
            items,
            enforcing,
            artifacts,
            ..
        } = self;
        // Room for every item's and artifact's node and every mapping's and emitting edge, made
        // once (each doubling of the graph, its edge set and its index copied them whole).
        let edges = items.values().map(|i| i.mappings.len()).sum::<usize>()
            + artifacts.values().map(|a| a.items.len()).sum::<usize>();
        graph.reserve_nodes(items.len() + artifacts.len());
        graph.reserve_edges(edges);
        edge_set.reserve(edges);
        index.reserve(artifacts.len());
        // Each item's node, by the item's position, added when first met: in the items'
        // order, or earlier as the target of a waiver.
        let mut item_nodes: Vec<Option<NodeIndex>> = vec![None; items.len()];
        let mut item_node = |graph: &mut DiGraph<Node, Edge>, p: usize| -> NodeIndex {
            *item_nodes[p].get_or_insert_with(|| {
                graph.add_node(Node::Item(items.values().as_slice()[p].id.clone()))
            })
        };
        for (p, (item, paths)) in items.values().zip(enforcing.iter()).enumerate() {
            let me = item_node(graph, p);
            let implements = implements_with(item, paths);
            for (c, sources) in &item.mappings {
                let kind = mapping_edge(implements, sources);
                let f = facts.entry(*c).or_default();
                match kind {
                    Edge::Implements => f.implemented_by.push(item.id.clone()),
                    Edge::Supports => f.supported_by.push(item.id.clone()),
                    _ => f.claimed_by.push(item.id.clone()),
                }
                let to = node_in(graph, index, Node::Control(*c));
                edge_in(graph, edge_set, me, kind, to);
            }
            if let Some((decl, set)) = item.declaration.as_deref() {
                let kind = match decl {
                    Declaration::Inherited { .. } => Edge::InheritedFrom,
                    Declaration::Process { .. } => Edge::Process,
                    Declaration::NotApplicable { .. } => Edge::NotApplicable,
                };
                for c in set {
                    let f = facts.entry(*c).or_default();
                    match decl {
                        Declaration::Inherited { .. } => f.inherited.push(item.id.clone()),
                        Declaration::Process { .. } => f.process.push(item.id.clone()),
                        Declaration::NotApplicable { .. } => f.not_applicable.push(item.id.clone()),
                    }
                    let from = node_in(graph, index, Node::Control(*c));
                    edge_in(graph, edge_set, from, kind, me);
                }
            }
            if !item.waives.is_empty() {
                waivers.push(item.id.clone());
            }
            for w in &item.waives {
                // An item waiving itself is a node, not an edge.
                if *w != item.id
                    && let Some(q) = items.position(w)
                {
                    let to = item_node(graph, q);
                    edge_in(graph, edge_set, me, Edge::Waives, to);
                }
            }
        }
        for a in artifacts.values() {
            if a.items.is_empty() {
                continue;
            }
            let to = node_in(graph, index, Node::Artifact(a.path.clone()));
            for i in &a.items {
                // An artifact's items are the graph's (attach_artifacts found them there).
                let Some(p) = items.position(i) else { continue };
                let from = item_node(graph, p);
                edge_in(graph, edge_set, from, Edge::Emits, to);
            }
        }
        self.item_nodes = item_nodes;
        self.facts = facts;
        self.waivers = waivers;
        for c in checks {
            self.checks.insert(c.id.clone(), c.clone());
            for path in &c.verifies {
                self.edge(
                    Node::Check(c.id.clone()),
                    Edge::Verifies,
                    Node::Artifact(path.clone()),
                );
            }
        }
    }

    /// The warnings the graph can give: P2005 for `satisfies` no artifact backs (one per item
    /// of the user's, one per standard-library bundle), P2006 for not-applicable controls an
    /// item implements or claims.
    fn diagnose(&self, posture: &ir::Posture) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut by_bundle: BTreeMap<&str, (BTreeSet<ControlRef>, usize)> = BTreeMap::new();
        for item in self.items.values() {
            if item.declaration.is_some() || item.kind == ItemKind::Exception {
                continue;
            }
            if self.implements(item) {
                continue;
            }
            let declared: Vec<ControlRef> = item
                .mappings
                .iter()
                .filter(|(_, s)| {
                    s.iter().any(|m| {
                        matches!(
                            m,
                            MappingSource::Declared
                                | MappingSource::DeclaredSupports
                                | MappingSource::Stdlib { .. }
                        )
                    })
                })
                .map(|(c, _)| *c)
                .collect();
            if declared.is_empty() {
                continue;
            }
            if let Some(b) = &item.bundle {
                let e = by_bundle.entry(b.as_str()).or_default();
                e.0.extend(declared.iter().copied());
                e.1 += 1;
                continue;
            }
            let why = match item.enforcement {
                Enforcement::AuditOnly => "it runs in audit mode, so it reports but never refuses",
                Enforcement::Disabled => "it is disabled",
                Enforcement::Enforce => "no emitted artifact enforces it",
            };
            let msg = format!("`{}` claims {} but {why}", item.label, list(&declared));
            let mut d = match item.span {
                Some(s) => Diagnostic::spanned(&P2005, s, msg).with_label("claimed here"),
                None => Diagnostic::new(&P2005, msg),
            };
            d = d
                .with_help("coverage counts these controls as claimed, never as satisfied")
                .with_note(claim_note(item.enforcement));
            out.push(d);
        }
        for (bundle, (controls, n)) in by_bundle {
            let user_use = posture
                .admission
                .uses
                .iter()
                .find(|u| u.bundle == bundle)
                .map(|u| u.meta.span)
                .or_else(|| {
                    posture
                        .runtime
                        .uses
                        .iter()
                        .find(|u| u.bundle == bundle)
                        .map(|u| u.meta.span)
                });
            let controls: Vec<ControlRef> = controls.into_iter().collect();
            let msg = format!(
                "`std.{bundle}` claims {} through {n} item{} but no emitted artifact enforces {}",
                list(&controls),
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            );
            let d = match user_use {
                Some(s) => Diagnostic::spanned(&P2005, s, msg).with_label("bundle used here"),
                None => Diagnostic::new(&P2005, msg),
            };
            out.push(
                d.with_help("coverage counts these controls as claimed, never as satisfied")
                    .with_note(claim_note(Enforcement::Enforce)),
            );
        }
        for item in self.items.values() {
            let Some((Declaration::NotApplicable { .. }, set)) = item.declaration.as_deref() else {
                continue;
            };
            for c in set {
                let facts = self.facts(*c);
                let users: Vec<&ItemId> = facts
                    .implemented_by
                    .iter()
                    .chain(facts.supported_by.iter())
                    .chain(facts.claimed_by.iter())
                    .collect();
                if users.is_empty() {
                    continue;
                }
                let names: Vec<String> = users
                    .iter()
                    .filter_map(|i| self.items.get(i))
                    .map(|i| format!("`{}`", i.label))
                    .collect();
                let msg = format!(
                    "`{c}` is declared not applicable but {} maps to it",
                    names.join(", ")
                );
                let d = match item.span {
                    Some(s) => Diagnostic::spanned(&P2006, s, msg).with_label("declared here"),
                    None => Diagnostic::new(&P2006, msg),
                };
                out.push(d.with_help(
                    "remove the control from `not_applicable`, or the mapping from the items",
                ));
            }
        }
        out
    }

    /// The enforcing artifacts an item emits, sorted by path.
    pub fn enforcing_artifacts(&self, item: &ItemId) -> Vec<&str> {
        self.enforcing_paths(item).to_vec()
    }

    /// [`ControlGraph::enforcing_paths`] of the item at `position` in [`ControlGraph::items`]
    /// (its place in [`ItemMap::values`]), without looking its id up.
    pub fn enforcing_paths_at(&self, position: usize) -> &[&'c str] {
        self.enforcing
            .get(position)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// [`ControlGraph::enforcing_artifacts`] without a copy.
    pub fn enforcing_paths(&self, item: &ItemId) -> &[&'c str] {
        self.items
            .position(item)
            .and_then(|p| self.enforcing.get(p))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every item, by id.
    pub fn items(&self) -> &ItemMap {
        &self.items
    }

    /// Every artifact, by path.
    pub fn artifacts(&self) -> &BTreeMap<String, ArtifactNode> {
        &self.artifacts
    }

    /// Every registered check, by id.
    pub fn checks(&self) -> &BTreeMap<CheckId, Check> {
        &self.checks
    }

    /// The frameworks whose requirements are nodes.
    pub fn frameworks(&self) -> &BTreeSet<Framework> {
        &self.frameworks
    }

    /// The frameworks the posture's `system` names.
    pub fn system_frameworks(&self) -> &BTreeSet<Framework> {
        &self.system_frameworks
    }

    /// The catalog the graph was built over.
    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// The number of nodes and edges.
    pub fn size(&self) -> (usize, usize) {
        (self.graph.node_count(), self.graph.edge_count())
    }

    /// Every edge as (from, kind, to), sorted: the graph in a form that does not depend on
    /// petgraph's indices.
    pub fn edges(&self) -> Vec<(&Node, Edge, &Node)> {
        let mut v: Vec<(&Node, Edge, &Node)> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    &self.graph[e.source()],
                    *e.weight(),
                    &self.graph[e.target()],
                )
            })
            .collect();
        v.sort();
        v
    }

    /// Every node, sorted.
    pub fn nodes(&self) -> Vec<&Node> {
        let mut v: Vec<&Node> = self.graph.node_weights().collect();
        v.sort();
        v
    }

    /// The index of a node, when the graph has it.
    fn node_index(&self, n: &Node) -> Option<NodeIndex> {
        match n {
            Node::Item(id) => self
                .items
                .position(id)
                .and_then(|p| self.item_nodes.get(p).copied().flatten()),
            _ => self.index.get(n).copied(),
        }
    }

    /// The nodes at the other end of a node's edges of one kind, in one direction, sorted.
    pub(crate) fn neighbours(&self, n: &Node, kind: Edge, dir: Dir) -> Vec<&Node> {
        let Some(i) = self.node_index(n) else {
            return Vec::new();
        };
        let mut v: Vec<&Node> = self
            .graph
            .edges_directed(i, dir)
            .filter(|e| *e.weight() == kind)
            .map(|e| match dir {
                Dir::Outgoing => &self.graph[e.target()],
                Dir::Incoming => &self.graph[e.source()],
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Every edge touching a node, as (from, kind, to), sorted.
    pub(crate) fn incident(&self, n: &Node) -> Vec<(&Node, Edge, &Node)> {
        let Some(i) = self.node_index(n) else {
            return Vec::new();
        };
        let mut v: Vec<(&Node, Edge, &Node)> = self
            .graph
            .edges_directed(i, Dir::Outgoing)
            .chain(self.graph.edges_directed(i, Dir::Incoming))
            .map(|e| {
                (
                    &self.graph[e.source()],
                    *e.weight(),
                    &self.graph[e.target()],
                )
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

fn span_key(s: Span) -> (u32, u32, u32) {
    (s.file.0, s.start, s.end)
}

fn list(controls: &[ControlRef]) -> String {
    controls
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn claim_note(e: Enforcement) -> String {
    match e {
        Enforcement::AuditOnly => "set `action = enforce` to make the mapping count".to_string(),
        Enforcement::Disabled => "enable the rule to make the mapping count".to_string(),
        Enforcement::Enforce => {
            "a control counts as satisfied only when a target emits an enforcing artifact for the item; \
             targets that are not built yet make this a claim"
                .to_string()
        }
    }
}
