//! Runtime detection: Falco lists, macros, rules and behaviour profiles.

use crate::{Expr, Meta, Name};
use serde::Serialize;
use std::collections::BTreeMap;

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
    pub condition: Expr,
    pub meta: Meta,
}

/// `rule NAME { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub name: Name,
    pub title: String,
    pub condition: Expr,
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
    pub meta: Meta,
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
