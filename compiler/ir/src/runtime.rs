//! Runtime detection: Falco lists, macros, rules and behaviour profiles.

use crate::{Meta, Name, Span};
use serde::Serialize;
use std::collections::BTreeMap;

/// A checked Falco condition: the typed tree (`falco_lang::Expr`, parsed and checked against
/// Falco 0.44's fields, event types, lists and macros) and where its text was written. It
/// serializes as its printed text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Condition {
    pub expr: falco_lang::Expr,
    #[serde(skip)]
    pub span: Span,
}

/// Falco rule priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

/// `list NAME = [ … ]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct List {
    pub name: Name,
    pub items: Vec<String>,
    pub meta: Meta,
}

/// `macro NAME = \`condition\``.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Macro {
    pub name: Name,
    pub condition: Condition,
    pub meta: Meta,
}

/// `rule NAME { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub name: Name,
    pub title: String,
    pub condition: Condition,
    pub output: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub enabled: bool,
    pub meta: Meta,
}

/// `profile WORKLOAD { … }`: the expected behaviour of a workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub workload: Name,
    pub processes: Vec<String>,
    pub priority: Priority,
    /// `outbound = [...]`: the declared destinations the workload is expected to reach (each
    /// the `to` of an egress intent from it); `None`: all its declared egress.
    pub outbound: Option<Vec<Outbound>>,
    pub meta: Meta,
}

/// One `outbound` destination of a profile, as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outbound {
    /// A workload, a built-in peer, or an address block (its `except` list is empty: the
    /// intent's own exceptions apply).
    pub to: crate::network::Peer,
    #[serde(skip)]
    pub span: crate::Span,
}

impl Outbound {
    /// True when an intent to `to` is this destination (an address block by its block).
    pub fn matches(&self, to: &crate::network::Peer) -> bool {
        use crate::network::Peer;
        match (&self.to, to) {
            (Peer::Cidr { cidr: a, .. }, Peer::Cidr { cidr: b, .. }) => a == b,
            (a, b) => a == b,
        }
    }
}

/// `use std.falco.…` in `runtime`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSet {
    pub bundle: String,
    pub meta: Meta,
}

/// `runtime { … }`, merged.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Runtime {
    pub uses: Vec<RuleSet>,
    pub lists: BTreeMap<Name, List>,
    pub macros: BTreeMap<Name, Macro>,
    pub rules: BTreeMap<Name, Rule>,
    pub profiles: BTreeMap<Name, Profile>,
}
