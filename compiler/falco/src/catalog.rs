//! Falco 0.44's field catalog and the driver's event types (schema 4.3.0), vendored under
//! `data/` from the Falco website's reference pages (CC-BY-4.0, The Falco Authors), read once.
//!
//! The catalog names each field and its type; which fields take an argument, and in which
//! form (`evt.arg.flags` or `evt.arg[0]`, `proc.aname[2]`, `k8s.pod.label.app` or
//! `k8s.pod.label[app]`), is written in each field's description and kept here as a table
//! ([`arg_form`]) checked against those descriptions by a test.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const FIELDS: &str = include_str!("../data/supported-fields.falco-0.44.0.json");
const EVENTS: &str = include_str!("../data/supported-events.schema-4.3.0.json");
/// The rule names of Falco's default rules file (falcosecurity/rules `falco_rules.yaml`
/// 5.1.0, the file Falco 0.44 ships and loads first), one per line.
const DEFAULT_RULE_NAMES: &str = include_str!("../data/falco_rules-5.1.0.rule-names.txt");

/// The rule names of Falco's default rules file. A posture rule may not take one: it would
/// replace the default rule. The `falco` test suite keeps this list equal to the vendored
/// file.
pub fn default_rule_names() -> Vec<&'static str> {
    DEFAULT_RULE_NAMES
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
}

/// The Falco version the field catalog describes.
pub const FALCO_VERSION: &str = "0.44.0";

/// A field's value type, as the checker groups Falco's types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// `CHARBUF`: text (names, paths, command lines).
    String,
    /// `BYTEBUF`: raw bytes.
    Bytes,
    /// Integers, ports, times and `DOUBLE`.
    Number,
    Bool,
    /// `IPADDR`.
    IpAddr,
    /// `IPNET`.
    IpNet,
    /// `DYNAMIC` (`evt.rawarg`): the type of the argument it names.
    Dynamic,
}

impl Type {
    fn of(falco: &str) -> Type {
        match falco {
            "CHARBUF" => Type::String,
            "BYTEBUF" => Type::Bytes,
            "BOOL" => Type::Bool,
            "IPADDR" => Type::IpAddr,
            "IPNET" => Type::IpNet,
            "DYNAMIC" => Type::Dynamic,
            _ => Type::Number,
        }
    }

    /// How messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            Type::String => "a string",
            Type::Bytes => "a byte buffer",
            Type::Number => "a number",
            Type::Bool => "a boolean",
            Type::IpAddr => "an IP address",
            Type::IpNet => "an IP network",
            Type::Dynamic => "the argument's type",
        }
    }
}

/// One field of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    /// Falco's type name (`CHARBUF`, `UINT64`, …).
    pub falco_type: String,
    pub ty: Type,
    /// The catalog's class; `container (plugin)` fields come from the container plugin.
    pub class: String,
}

impl FieldInfo {
    /// True when the field comes from the container plugin (Falco 0.44: `container.*`,
    /// `k8s.*` and `proc.is_container_*`).
    pub fn from_container_plugin(&self) -> bool {
        self.class == "container (plugin)"
    }
}

/// The forms of argument a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgForm {
    /// `evt.arg.flags`.
    pub dot: bool,
    /// `proc.aname[2]`.
    pub bracket: bool,
    /// The field is meaningless without one.
    pub required: bool,
    /// The bracket argument is a number (an ancestor level, an argument position).
    pub numeric: bool,
    /// The argument names an event parameter (`evt.arg.flags`): checked against the events.
    pub event_param: bool,
}

const fn form(dot: bool, bracket: bool, required: bool, numeric: bool) -> ArgForm {
    ArgForm {
        dot,
        bracket,
        required,
        numeric,
        event_param: false,
    }
}

/// The argument a field takes, from its catalog description; `None`: no argument.
pub fn arg_form(field: &str) -> Option<ArgForm> {
    Some(match field {
        "evt.arg" => ArgForm {
            dot: true,
            bracket: true,
            required: true,
            numeric: false,
            event_param: true,
        },
        "evt.rawarg" => ArgForm {
            dot: true,
            bracket: false,
            required: true,
            numeric: false,
            event_param: true,
        },
        "evt.around" => form(false, true, true, true),
        "proc.aexe" | "proc.aexepath" | "proc.aname" | "proc.aargs" | "proc.acmdline"
        | "proc.apid" | "proc.args" => form(false, true, false, true),
        "proc.aenv" | "proc.env" => form(false, true, false, false),
        "thread.cgroup" => form(true, false, true, false),
        // `evt.abspath.src`, `evt.abspath.dst`.
        "evt.abspath" => form(true, false, false, false),
        "container.mount"
        | "container.mount.source"
        | "container.mount.dest"
        | "container.mount.mode"
        | "container.mount.rdwr"
        | "container.mount.propagation" => form(false, true, true, false),
        "container.label" => form(true, false, true, false),
        "k8s.pod.label" => form(true, true, true, false),
        "k8s.rc.label"
        | "k8s.svc.label"
        | "k8s.ns.label"
        | "k8s.rs.label"
        | "k8s.deployment.label" => form(true, true, true, false),
        _ => return None,
    })
}

#[derive(Deserialize)]
struct FieldsDoc {
    fields: Vec<FieldEntry>,
}

#[derive(Deserialize)]
struct FieldEntry {
    class: String,
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

#[derive(Deserialize)]
struct EventsDoc {
    events: Vec<EventEntry>,
}

#[derive(Deserialize)]
struct EventEntry {
    name: String,
    #[serde(default)]
    params: Vec<String>,
}

/// The catalog: fields by name, event types, event parameter names.
#[derive(Debug)]
pub struct Catalog {
    pub fields: BTreeMap<String, FieldInfo>,
    pub events: BTreeSet<String>,
    pub event_params: BTreeSet<String>,
}

/// The vendored catalog, parsed once. The files are part of the crate; should one ever fail
/// to parse, the catalog is empty and every field is unknown (fail closed), and a test fails.
pub fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        let fields = serde_json::from_str::<FieldsDoc>(FIELDS)
            .map(|d| d.fields)
            .unwrap_or_default()
            .into_iter()
            .map(|f| {
                (
                    f.name.clone(),
                    FieldInfo {
                        ty: Type::of(&f.ty),
                        falco_type: f.ty,
                        name: f.name,
                        class: f.class,
                    },
                )
            })
            .collect();
        let events: Vec<EventEntry> = serde_json::from_str::<EventsDoc>(EVENTS)
            .map(|d| d.events)
            .unwrap_or_default();
        Catalog {
            fields,
            event_params: events
                .iter()
                .flat_map(|e| e.params.iter().cloned())
                .collect(),
            events: events.into_iter().map(|e| e.name).collect(),
        }
    })
}

/// A field path resolved against the catalog: the field and its dotted argument, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'c> {
    pub info: &'c FieldInfo,
    /// `flags` of `evt.arg.flags`.
    pub dot_arg: Option<String>,
}

/// Resolves a dotted path: the field itself, or the longest field that takes a dotted
/// argument followed by `.argument`.
pub fn resolve(path: &str) -> Option<Resolved<'static>> {
    let c = catalog();
    if let Some(info) = c.fields.get(path) {
        return Some(Resolved {
            info,
            dot_arg: None,
        });
    }
    let mut cut = path.len();
    while let Some(dot) = path[..cut].rfind('.') {
        let head = &path[..dot];
        if let (Some(info), Some(f)) = (c.fields.get(head), arg_form(head))
            && f.dot
        {
            return Some(Resolved {
                info,
                dot_arg: Some(path[dot + 1..].to_string()),
            });
        }
        cut = dot;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_catalog_parses() {
        let c = catalog();
        assert_eq!(c.fields.len(), 267);
        assert!(c.events.contains("execve"));
        assert!(c.events.contains("ptrace"));
        assert!(c.event_params.contains("flags"));
        assert_eq!(c.fields["proc.name"].ty, Type::String);
        assert_eq!(c.fields["fd.sport"].ty, Type::Number);
        assert!(c.fields["k8s.ns.name"].from_container_plugin());
    }

    /// Every field of the argument table exists, and every field whose description shows an
    /// argument form is in the table.
    #[test]
    fn the_argument_table_matches_the_descriptions() {
        let doc: serde_json::Value = serde_json::from_str(FIELDS).expect("fields json");
        let c = catalog();
        for f in doc["fields"].as_array().expect("fields") {
            let name = f["name"].as_str().expect("name");
            let desc = f["description"].as_str().expect("description");
            let shows_bracket = desc.contains(&format!("{name}["));
            let shows_dot =
                desc.contains(&format!("'{name}.")) || desc.contains(&format!(" {name}.cpu"));
            if shows_bracket {
                assert!(arg_form(name).is_some_and(|a| a.bracket), "{name}: {desc}");
            }
            if shows_dot {
                assert!(arg_form(name).is_some_and(|a| a.dot), "{name}: {desc}");
            }
        }
        for name in [
            "evt.arg",
            "evt.rawarg",
            "evt.around",
            "proc.aname",
            "proc.env",
            "thread.cgroup",
            "container.mount.dest",
            "container.label",
            "k8s.pod.label",
        ] {
            assert!(c.fields.contains_key(name), "{name}");
        }
    }

    #[test]
    fn paths_resolve_with_their_arguments() {
        let r = resolve("evt.arg.flags").expect("evt.arg.flags");
        assert_eq!(
            (r.info.name.as_str(), r.dot_arg.as_deref()),
            ("evt.arg", Some("flags"))
        );
        let r = resolve("k8s.pod.label.app").expect("label");
        assert_eq!(
            (r.info.name.as_str(), r.dot_arg.as_deref()),
            ("k8s.pod.label", Some("app"))
        );
        let r = resolve("container.label.io.kubernetes.pod.name").expect("label");
        assert_eq!(r.dot_arg.as_deref(), Some("io.kubernetes.pod.name"));
        assert_eq!(resolve("proc.name").expect("name").dot_arg, None);
        assert!(resolve("proc.nme").is_none());
        assert!(resolve("proc.name.x").is_none());
    }
}
