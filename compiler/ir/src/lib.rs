//! The typed posture model: the single input of every emitter and analysis.
//!
//! Everything here is resolved and checked: references are typed names of declared items,
//! literals are newtypes (`Port`, `Cidr`, `Duration`, `Quantity`, `ControlRef`), and every item
//! keeps the [`Span`] it came from (for diagnostics and the control graph's `file:line`
//! answers) and its doc comment (the OSCAL implementation narrative). Maps are `BTreeMap`s, so
//! iteration order — and therefore output — never depends on input order. Emitters never see
//! the syntax tree.

pub mod admission;
pub mod controls;
pub mod identity;
mod item;
pub mod k8s;
pub mod network;
pub mod pod_security;
pub mod runtime;
pub mod secrets;
pub mod system;
mod values;

pub use diagnostics::Span;
pub use item::{Block, ItemId};
pub use values::*;

use std::collections::BTreeMap;

/// Appends `n` in decimal, as `Display` writes it, without the formatting machinery: the
/// emitters, the manifest and the evidence write hundreds of thousands of line numbers and
/// ports at issue 17's scale.
pub fn push_decimal(s: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut left = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (left % 10) as u8;
        left /= 10;
        if left == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        s.push(char::from(d));
    }
}

/// What every posture item carries besides its own fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Meta {
    /// Where the item was declared.
    #[serde(skip)]
    pub span: Span,
    /// Its `///` doc comment: the OSCAL implementation narrative.
    pub doc: Option<String>,
    /// Extra control mappings from `satisfies = […]`: the item's artifacts meet each
    /// control's whole statement.
    pub satisfies: Vec<controls::ControlRef>,
    /// Control mappings from `supports = […]`: the artifacts meet part of each statement, so
    /// coverage shows the control as partial, never satisfied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supports: Vec<controls::ControlRef>,
    /// The standard-library bundle it came from, e.g. `pod_security.restricted`.
    pub bundle: Option<String>,
}

impl Meta {
    pub fn new(span: Span) -> Self {
        Meta {
            span,
            doc: None,
            satisfies: Vec::new(),
            supports: Vec::new(),
            bundle: None,
        }
    }
}

/// The whole posture.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Posture {
    pub system: system::System,
    pub target: system::Target,
    pub namespaces: BTreeMap<Name, network::Namespace>,
    pub workloads: BTreeMap<Name, network::Workload>,
    pub network: network::Network,
    pub ingresses: BTreeMap<Name, network::Ingress>,
    pub mesh: Option<network::Mesh>,
    pub admission: admission::Admission,
    pub runtime: runtime::Runtime,
    pub identity: identity::Identity,
    pub secrets: secrets::Secrets,
    pub audit: Option<system::Audit>,
    pub exceptions: BTreeMap<Name, system::Exception>,
    pub controls: controls::Controls,
}
