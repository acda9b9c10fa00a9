//! The control graph: posture items, emitted artifacts, checks, controls, baseline
//! requirements and framework criteria as nodes (petgraph); implements, claims, emits,
//! verifies, informs, requires, inherited-from, process, not-applicable and waives as edges.
//!
//! - [`build`] takes the checked IR, every target's [`emit::Artifact`]s, the checks that ran
//!   and the catalog, and returns the [`ControlGraph`] with warnings (P2005, P2006).
//! - An item *implements* a control only through an emitted, enforcing artifact: a target's
//!   artifact attaches to the items its origins name (by span), and only then do the item's
//!   mappings (`satisfies`, the standard library's rows, the built-in constructs' defaults in
//!   [`defaults`]) become `implements` edges. Without one they are `claims`.
//! - [`ControlGraph::coverage`] gives every requirement of a framework its [`Status`];
//!   [`ControlGraph::explain`] answers "why is SC-7 satisfied" down to `file:line` and output
//!   files; [`ControlGraph::drawing`] selects the whole graph or a focus for DOT or Mermaid.
//!
//! Every answer is sorted by ids, paths or control ids; petgraph's indices never reach output.
#![forbid(unsafe_code)]

mod build;
mod coverage;
pub mod defaults;
mod explain;
mod fxhash;
mod itemmap;
mod items;
mod model;
pub mod report;
mod view;

pub use build::{ControlGraph, Input, build, implements_with, mapping_edge};
pub use coverage::{
    ControlFacts, Coverage, Gate, Informing, ItemRef, Percent, ProcessRef, RequirementRow, Status,
    Summary, sort_paths,
};
pub use explain::{
    DeclarationRef, Enhancement, ExceptionRef, Explanation, Informs, Mapper, RequiredBy,
    Verification,
};
pub use itemmap::ItemMap;
pub use model::{
    ArtifactNode, ArtifactRole, Check, CheckId, Declaration, Edge, Enforcement, ExceptionFacts,
    Item, ItemId, ItemKind, Location, MappingSource, Mappings, Node,
};
pub use view::{DrawEdge, DrawNode, Drawing, Focus, FocusError, Shape};
