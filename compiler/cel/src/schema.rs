//! The Kubernetes OpenAPI schema, pruned to what type checking needs, for each vendored
//! Kubernetes version.
//!
//! The vendored files `schemas/k8s-v<major>.<minor>.json` are produced by [`prune`] from
//! kubernetes-validate's `<version>-local-strict/_definitions.json` (provenance in
//! `schemas/SOURCES.md`; the source files themselves are vendored in `tests/data/k8s/`, see
//! `tests/data/SOURCES.md`). Regenerate them with
//!
//! ```text
//! cargo run -p cel --example prune_schemas
//! ```
//!
//! and the test `schema::tests::vendored_files_are_reproducible` compares the vendored files
//! with a fresh pruning of the vendored sources on every run.
//!
//! A pruned file is `{"kubernetes": "1.35", "kinds": {Kind: definition}, "definitions":
//! {name: schema}}`, where a schema keeps only `type` (one word, `null` dropped), `properties`,
//! `required`, `items`, `additionalProperties`, `$ref` (the definition's name), `format`
//! (`byte`, `date-time`) and `x-kubernetes-int-or-string` (for `IntOrString` and `Quantity`,
//! which the source spells as a `oneOf`). Only the definitions reachable from
//! [`ROOT_KINDS`] are kept.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The kinds an admission rule can match, with their API group/version and definition name.
pub const ROOT_KINDS: &[(&str, &str)] = &[
    ("ClusterRole", "io.k8s.api.rbac.v1.ClusterRole"),
    (
        "ClusterRoleBinding",
        "io.k8s.api.rbac.v1.ClusterRoleBinding",
    ),
    ("ConfigMap", "io.k8s.api.core.v1.ConfigMap"),
    ("CronJob", "io.k8s.api.batch.v1.CronJob"),
    ("DaemonSet", "io.k8s.api.apps.v1.DaemonSet"),
    ("Deployment", "io.k8s.api.apps.v1.Deployment"),
    ("Ingress", "io.k8s.api.networking.v1.Ingress"),
    ("Job", "io.k8s.api.batch.v1.Job"),
    ("Namespace", "io.k8s.api.core.v1.Namespace"),
    ("NetworkPolicy", "io.k8s.api.networking.v1.NetworkPolicy"),
    ("Pod", "io.k8s.api.core.v1.Pod"),
    ("ReplicaSet", "io.k8s.api.apps.v1.ReplicaSet"),
    ("Role", "io.k8s.api.rbac.v1.Role"),
    ("RoleBinding", "io.k8s.api.rbac.v1.RoleBinding"),
    ("Secret", "io.k8s.api.core.v1.Secret"),
    ("Service", "io.k8s.api.core.v1.Service"),
    ("ServiceAccount", "io.k8s.api.core.v1.ServiceAccount"),
    ("StatefulSet", "io.k8s.api.apps.v1.StatefulSet"),
];

/// The vendored versions, oldest first, with their pruned schema text.
pub const VENDORED: &[((u16, u16), &str)] = &[
    ((1, 33), include_str!("../schemas/k8s-v1.33.json")),
    ((1, 35), include_str!("../schemas/k8s-v1.35.json")),
];

// ---- pruning -------------------------------------------------------------------------------

/// Prunes kubernetes-validate's `_definitions.json` (draft 2020-12, definitions under
/// `$defs`) to the vendored form. `version` is written into the result (`"1.35"`).
pub fn prune(definitions_json: &Value, version: &str) -> Result<Value, String> {
    let defs = definitions_json
        .get("$defs")
        .or_else(|| definitions_json.get("definitions"))
        .and_then(Value::as_object)
        .ok_or("no `$defs` object")?;
    let mut keep: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = ROOT_KINDS.iter().map(|(_, d)| d.to_string()).collect();
    while let Some(name) = todo.pop() {
        if !keep.insert(name.clone()) {
            continue;
        }
        let def = defs
            .get(&name)
            .ok_or_else(|| format!("missing definition `{name}`"))?;
        collect_refs(def, &mut todo);
    }
    let mut out_defs = Map::new();
    for name in &keep {
        out_defs.insert(name.clone(), prune_schema(&defs[name]));
    }
    let mut kinds = Map::new();
    for (kind, def) in ROOT_KINDS {
        kinds.insert(kind.to_string(), Value::String(def.to_string()));
    }
    let mut out = Map::new();
    out.insert("kubernetes".into(), Value::String(version.into()));
    out.insert("kinds".into(), Value::Object(kinds));
    out.insert("definitions".into(), Value::Object(out_defs));
    Ok(Value::Object(out))
}

/// Serialises a pruned schema the way the vendored files are written: one definition per
/// line, so diffs between versions stay readable.
pub fn to_vendored_text(pruned: &Value) -> String {
    let mut s = String::from("{\n");
    let k = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    s.push_str(&format!("\"kubernetes\": {},\n", k(&pruned["kubernetes"])));
    s.push_str(&format!("\"kinds\": {},\n", k(&pruned["kinds"])));
    s.push_str("\"definitions\": {\n");
    let defs = pruned["definitions"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let n = defs.len();
    for (i, (name, d)) in defs.iter().enumerate() {
        let comma = if i + 1 < n { "," } else { "" };
        s.push_str(&format!(
            "{}: {}{comma}\n",
            k(&Value::String(name.clone())),
            k(d)
        ));
    }
    s.push_str("}\n}\n");
    s
}

fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_string()
}

fn collect_refs(s: &Value, todo: &mut Vec<String>) {
    let Some(o) = s.as_object() else { return };
    if let Some(Value::String(r)) = o.get("$ref") {
        todo.push(ref_name(r));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(v) = o.get(key) {
            collect_refs(v, todo);
        }
    }
    if let Some(Value::Object(props)) = o.get("properties") {
        for v in props.values() {
            collect_refs(v, todo);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(vs)) = o.get(key) {
            for v in vs {
                collect_refs(v, todo);
            }
        }
    }
}

fn main_type(t: &Value) -> Option<String> {
    match t {
        Value::String(s) if s != "null" => Some(s.clone()),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|s| *s != "null")
            .map(str::to_string),
        _ => None,
    }
}

fn prune_schema(s: &Value) -> Value {
    let mut out = Map::new();
    let Some(o) = s.as_object() else {
        return Value::Object(out);
    };
    if let Some(Value::Array(alts)) = o.get("oneOf") {
        let types: BTreeSet<String> = alts
            .iter()
            .filter_map(|a| a.get("type").and_then(main_type))
            .collect();
        if types.contains("string") && (types.contains("integer") || types.contains("number")) {
            out.insert("x-kubernetes-int-or-string".into(), Value::Bool(true));
            return Value::Object(out);
        }
    }
    if o.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        out.insert("x-kubernetes-int-or-string".into(), Value::Bool(true));
        return Value::Object(out);
    }
    if let Some(Value::String(r)) = o.get("$ref") {
        out.insert("$ref".into(), Value::String(ref_name(r)));
        return Value::Object(out);
    }
    if let Some(t) = o.get("type").and_then(main_type) {
        out.insert("type".into(), Value::String(t));
    }
    if let Some(Value::String(f)) = o.get("format")
        && (f == "byte" || f == "date-time")
    {
        out.insert("format".into(), Value::String(f.clone()));
    }
    if let Some(Value::Array(req)) = o.get("required") {
        let mut r: Vec<&str> = req.iter().filter_map(Value::as_str).collect();
        r.sort_unstable();
        out.insert(
            "required".into(),
            Value::Array(r.into_iter().map(|s| Value::String(s.into())).collect()),
        );
    }
    if let Some(Value::Object(props)) = o.get("properties") {
        let mut p = Map::new();
        let sorted: BTreeMap<&String, &Value> = props.iter().collect();
        for (k, v) in sorted {
            p.insert(k.clone(), prune_schema(v));
        }
        out.insert("properties".into(), Value::Object(p));
    }
    if let Some(items) = o.get("items") {
        out.insert("items".into(), prune_schema(items));
    }
    if let Some(ap) = o.get("additionalProperties")
        && ap.is_object()
    {
        out.insert("additionalProperties".into(), prune_schema(ap));
    }
    Value::Object(out)
}

// ---- the loaded schema ---------------------------------------------------------------------

/// The shape of one value in the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Bool,
    Int,
    Double,
    String,
    Bytes,
    Timestamp,
    IntOrString,
    List(Box<Shape>),
    Map(Box<Shape>),
    /// A named definition with properties.
    Object(String),
    /// Anything (`FieldsV1`, `RawExtension`).
    Dyn,
}

/// One definition: its fields and which of them are required.
#[derive(Debug, Clone, Default)]
pub struct Definition {
    pub properties: BTreeMap<String, Shape>,
    pub required: BTreeSet<String>,
}

/// The pruned schema of one Kubernetes version.
#[derive(Debug)]
pub struct Schema {
    pub version: (u16, u16),
    pub kinds: BTreeMap<String, String>,
    pub definitions: BTreeMap<String, Definition>,
    /// Definitions that are a single value rather than an object (`Quantity`, `Time`, …).
    pub aliases: BTreeMap<String, Shape>,
}

impl Schema {
    fn load(version: (u16, u16), text: &str) -> Schema {
        let v: Value = serde_json::from_str(text).expect("vendored schema is valid JSON");
        let kinds = v["kinds"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, d)| (k.clone(), d.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let mut definitions = BTreeMap::new();
        let mut aliases = BTreeMap::new();
        for (name, d) in v["definitions"].as_object().into_iter().flatten() {
            if let Some(props) = d.get("properties").and_then(Value::as_object) {
                let properties = props.iter().map(|(k, s)| (k.clone(), shape(s))).collect();
                let required = d
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                definitions.insert(
                    name.clone(),
                    Definition {
                        properties,
                        required,
                    },
                );
            } else {
                aliases.insert(name.clone(), shape(d));
            }
        }
        Schema {
            version,
            kinds,
            definitions,
            aliases,
        }
    }

    /// The schema to check against for a target Kubernetes version: the newest vendored one
    /// not newer than the target, or the oldest one when the target is older than all of
    /// them (the second value is then `true`).
    pub fn for_version(major: u16, minor: u16) -> (&'static Schema, bool) {
        static LOADED: OnceLock<Vec<Schema>> = OnceLock::new();
        let all = LOADED.get_or_init(|| {
            VENDORED
                .iter()
                .map(|(v, text)| Schema::load(*v, text))
                .collect()
        });
        match all.iter().rev().find(|s| s.version <= (major, minor)) {
            Some(s) => (s, false),
            None => (&all[0], true),
        }
    }

    /// Resolves a `$ref` to a value shape: an object, or the alias's shape.
    pub fn resolve(&self, name: &str) -> Shape {
        if self.definitions.contains_key(name) {
            Shape::Object(name.to_string())
        } else {
            self.aliases.get(name).cloned().unwrap_or(Shape::Dyn)
        }
    }
}

fn shape(s: &Value) -> Shape {
    if s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return Shape::IntOrString;
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        // resolved lazily by the checker through `Schema::resolve`
        return Shape::Object(r.to_string());
    }
    match s.get("type").and_then(Value::as_str) {
        Some("boolean") => Shape::Bool,
        Some("integer") => Shape::Int,
        Some("number") => Shape::Double,
        Some("string") => match s.get("format").and_then(Value::as_str) {
            Some("byte") => Shape::Bytes,
            Some("date-time") => Shape::Timestamp,
            _ => Shape::String,
        },
        Some("array") => Shape::List(Box::new(s.get("items").map_or(Shape::Dyn, shape))),
        Some("object") => match s.get("additionalProperties") {
            Some(ap) => Shape::Map(Box::new(shape(ap))),
            None => Shape::Dyn,
        },
        _ => Shape::Dyn,
    }
}

/// The last dot-separated segment of a definition name: `Container` for
/// `io.k8s.api.core.v1.Container`.
pub fn short_name(def: &str) -> &str {
    def.rsplit('.').next().unwrap_or(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_resolve() {
        assert_eq!(Schema::for_version(1, 34).0.version, (1, 33));
        assert_eq!(Schema::for_version(1, 36).0.version, (1, 35));
        assert_eq!(Schema::for_version(1, 35).0.version, (1, 35));
        assert!(Schema::for_version(1, 30).1);
        let (s, _) = Schema::for_version(1, 35);
        let c = &s.definitions["io.k8s.api.core.v1.Container"];
        assert!(c.required.contains("name"));
        assert_eq!(
            c.properties["securityContext"],
            Shape::Object("io.k8s.api.core.v1.SecurityContext".into())
        );
        assert_eq!(
            s.resolve("io.k8s.apimachinery.pkg.api.resource.Quantity"),
            Shape::IntOrString
        );
        for d in s.kinds.values() {
            assert!(s.definitions.contains_key(d));
        }
    }
}
