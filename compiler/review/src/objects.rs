//! Emitted objects added, removed or changed, compared as parsed documents (never as text).
//!
//! Every emitted file is read into documents: YAML streams and JSON files as values, the API
//! server's `flags` file as `--flag` → value. A document with a `kind` and a
//! `metadata.name` is a Kubernetes object, identified by kind, namespace and name wherever it
//! is laid out; any other document is identified by its file (and its position in the file).
//! Two versions of a document are compared field by field: maps by key, lists of named
//! entries (`name`, `rule`, `macro`, `list`, `clientId`, `alias`, `id`) by name, lists of
//! distinct scalars as sets, other lists by position.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::{FieldChange, Location, ObjectChange, ObjectChangeKind, SourceSide, location};

/// One file of a build output directory, as the CLI read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildFile {
    /// `/`-separated, relative to the directory.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// An object's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    kind: String,
    namespace: String,
    name: String,
}

/// One parsed document of an emitted file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `NetworkPolicy`, or `file`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub value: Value,
}

/// The documents of one emitted file. `Err` when the file does not parse as what its name
/// says (a YAML or JSON file that is not one).
pub fn documents(path: &str, bytes: &[u8]) -> Result<Vec<Document>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("`{path}` is not UTF-8"))?;
    let values: Vec<Value> = if path.ends_with(".yaml") || path.ends_with(".yml") {
        serde_saphyr::from_multiple::<Value>(text)
            .map_err(|e| format!("`{path}` is not YAML: {e}"))?
            .into_iter()
            .filter(|v| !v.is_null())
            .collect()
    } else if path.ends_with(".json") {
        vec![serde_json::from_str(text).map_err(|e| format!("`{path}` is not JSON: {e}"))?]
    } else {
        vec![flags(text)]
    };
    let several = values.len() > 1;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let kind = value.get("kind").and_then(Value::as_str);
            let meta = value.get("metadata");
            let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
            match (kind, name) {
                (Some(kind), Some(name)) => Document {
                    kind: kind.to_string(),
                    namespace: meta
                        .and_then(|m| m.get("namespace"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    name: name.to_string(),
                    value,
                },
                _ => Document {
                    kind: "file".into(),
                    namespace: String::new(),
                    name: if several {
                        format!("{path}#{}", i + 1)
                    } else {
                        path.to_string()
                    },
                    value,
                },
            }
        })
        .collect())
}

/// A text file of `--flag=value` lines as a map (other lines map to `true`).
fn flags(text: &str) -> Value {
    let mut map = serde_json::Map::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once('=') {
            Some((k, v)) => map.insert(k.to_string(), Value::String(v.to_string())),
            None => map.insert(line.to_string(), Value::Bool(true)),
        };
    }
    Value::Object(map)
}

/// The kinds whose removal takes enforcement away.
const ENFORCING_KINDS: &[&str] = &[
    "ClusterPolicy",
    "GeneratingPolicy",
    "ImageValidatingPolicy",
    "MutatingPolicy",
    "Namespace",
    "NetworkPolicy",
    "Policy",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingPolicy",
];

/// The kinds whose addition grants or waives something.
const GRANTING_KINDS: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "PolicyException",
    "Role",
    "RoleBinding",
];

/// Folders of files that may name secret-store references: values are never shown.
fn values_hidden(file: &str, kind: &str) -> bool {
    file.starts_with("secrets/")
        || file.starts_with("keycloak/")
        || matches!(
            kind,
            "Secret" | "ExternalSecret" | "SecretStore" | "ClusterSecretStore" | "SealedSecret"
        )
}

/// Pod Security levels, from the least to the most restrictive.
fn pss_rank(level: &str) -> Option<u8> {
    match level {
        "privileged" => Some(0),
        "baseline" => Some(1),
        "restricted" => Some(2),
        _ => None,
    }
}

/// Whether an admission policy document denies (rather than only audits) what it matches:
/// `validationActions` with `Deny`, or `validationFailureAction`/`failureAction` `Enforce`.
fn enforces(v: &Value) -> Option<bool> {
    let spec = v.get("spec")?;
    if let Some(actions) = spec.get("validationActions").and_then(Value::as_array) {
        return Some(actions.iter().any(|a| a.as_str() == Some("Deny")));
    }
    if let Some(a) = spec.get("validationFailureAction").and_then(Value::as_str) {
        return Some(a.eq_ignore_ascii_case("enforce"));
    }
    let rules = spec.get("rules").and_then(Value::as_array)?;
    let actions: Vec<&str> = rules
        .iter()
        .filter_map(|r| r.get("validate")?.get("failureAction")?.as_str())
        .collect();
    (!actions.is_empty()).then(|| actions.iter().any(|a| a.eq_ignore_ascii_case("enforce")))
}

/// Why a change widens the posture, when it does. `builds` makes a changed NetworkPolicy
/// widening: from builds its flows cannot be recomputed, so it fails closed.
fn widens(
    kind: &str,
    file: &str,
    change: ObjectChangeKind,
    old: Option<&Value>,
    new: Option<&Value>,
    fields: &[FieldChange],
    builds: bool,
) -> Option<String> {
    match change {
        ObjectChangeKind::Removed => {
            // From sources, the flows decide what a NetworkPolicy's removal does (dropping
            // an allow policy narrows); from builds it fails closed.
            if kind == "NetworkPolicy" && !builds {
                None
            } else if ENFORCING_KINDS.contains(&kind) {
                Some(format!("an enforcing {kind} is removed"))
            } else if kind == "file"
                && (file.starts_with("falco/") || file.starts_with("apiserver/"))
            {
                Some("an enforcing configuration file is removed".into())
            } else {
                None
            }
        }
        ObjectChangeKind::Added => GRANTING_KINDS
            .contains(&kind)
            .then(|| format!("a {kind} is added (it grants or waives)")),
        ObjectChangeKind::Changed => {
            let (old, new) = (old?, new?);
            if let (Some(a), Some(b)) = (enforces(old), enforces(new))
                && a
                && !b
            {
                return Some("the policy no longer denies (audit only)".into());
            }
            let level = |v: &Value| {
                v.get("metadata")?
                    .get("labels")?
                    .get("pod-security.kubernetes.io/enforce")?
                    .as_str()
                    .and_then(pss_rank)
            };
            if let (Some(a), Some(b)) = (level(old), level(new))
                && b < a
            {
                return Some("the namespace's Pod Security enforce level is lower".into());
            }
            if GRANTING_KINDS.contains(&kind) && fields.iter().any(|f| f.old.is_none()) {
                return Some(format!(
                    "the {kind} gains fields (it may grant or waive more)"
                ));
            }
            if builds && kind == "NetworkPolicy" {
                return Some(
                    "a NetworkPolicy changes and flows cannot be recomputed from builds".into(),
                );
            }
            None
        }
    }
}

/// One side's documents by key, each with its file.
type Docs = BTreeMap<Key, (String, Value)>;

fn index(files: &[(String, Vec<Document>)]) -> Docs {
    let mut out = BTreeMap::new();
    for (path, docs) in files {
        for d in docs {
            out.insert(
                Key {
                    kind: d.kind.clone(),
                    namespace: d.namespace.clone(),
                    name: d.name.clone(),
                },
                (path.clone(), d.value.clone()),
            );
        }
    }
    out
}

/// The changes between two sides' documents; `at` locates an object of the new side.
fn compare(
    old: &Docs,
    new: &Docs,
    builds: bool,
    at: &dyn Fn(&Key) -> Option<Location>,
) -> Vec<ObjectChange> {
    let keys: BTreeSet<&Key> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let a = old.get(key);
        let b = new.get(key);
        let (change, file) = match (a, b) {
            (None, Some((f, _))) => (ObjectChangeKind::Added, f),
            (Some((f, _)), None) => (ObjectChangeKind::Removed, f),
            (Some((_, x)), Some((f, y))) if x != y => (ObjectChangeKind::Changed, f),
            _ => continue,
        };
        let hidden = values_hidden(file, &key.kind);
        let mut fields = Vec::new();
        if let (Some((_, x)), Some((_, y))) = (a, b) {
            diff("", x, y, hidden, &mut fields);
            fields.sort();
        }
        let widens = widens(
            &key.kind,
            file,
            change,
            a.map(|x| &x.1),
            b.map(|x| &x.1),
            &fields,
            builds,
        );
        out.push(ObjectChange {
            kind: key.kind.clone(),
            namespace: key.namespace.clone(),
            name: key.name.clone(),
            change,
            file: file.clone(),
            fields,
            values_hidden: hidden,
            widens,
            at: if b.is_some() { at(key) } else { None },
        });
    }
    out
}

/// Parses files, dropping the ones that do not parse (an emitted file always does; from a
/// build directory the CLI checks first).
fn parse_all<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> Vec<(String, Vec<Document>)> {
    files
        .filter_map(|(p, b)| documents(p, b).ok().map(|d| (p.to_string(), d)))
        .collect()
}

/// The objects of two compiled revisions (every artifact but evidence).
pub(crate) fn compare_sources(old: &SourceSide<'_>, new: &SourceSide<'_>) -> Vec<ObjectChange> {
    let files = |s: &SourceSide<'_>| {
        parse_all(
            s.build
                .artifacts
                .iter()
                .filter(|a| a.role != emit::Role::Evidence)
                .map(|a| (a.path.as_str(), a.bytes.as_slice())),
        )
    };
    let (a, b) = (index(&files(old)), index(&files(new)));
    // Where each object of the new revision comes from: the emitters' artifacts before the
    // layout hold one object each, with its origins.
    let mut origins: BTreeMap<Key, Location> = BTreeMap::new();
    if let Some(p) = new.build.posture() {
        for art in driver::targets::emitted(p, &driver::targets::TargetOptions::default()) {
            let Ok(docs) = documents(&art.path, &art.bytes) else {
                continue;
            };
            // One item: its place. Several (a file of many items, a merged policy): the
            // first of the emitter's own order in the user's files, for Kubernetes objects;
            // none for other documents, which have no one place.
            let user: Vec<Location> = art
                .origins
                .iter()
                .filter_map(|o| location(new.sources, o.span))
                .filter(|l| !l.file.starts_with('<'))
                .collect();
            let items: BTreeSet<&ir::ItemId> = art.origins.iter().map(|o| &o.item).collect();
            let Some(loc) = user.first().cloned() else {
                continue;
            };
            let single = items.len() == 1;
            for d in docs.into_iter().filter(|d| single || d.kind != "file") {
                origins
                    .entry(Key {
                        kind: d.kind,
                        namespace: d.namespace,
                        name: d.name,
                    })
                    .or_insert_with(|| loc.clone());
            }
        }
    }
    compare(&a, &b, false, &|k| origins.get(k).cloned())
}

/// The files of a build directory that are compared as objects: not the manifest, the
/// kustomization (an index of the others), the output marker, or the evidence (`oscal/`,
/// `report/`: derived from everything else; coverage reads the SSPs).
pub(crate) fn is_object_file(path: &str) -> bool {
    !(path == "manifest.json"
        || path == driver::output::KUSTOMIZATION
        || path.starts_with('.')
        || path.starts_with("oscal/")
        || path.starts_with("report/"))
}

/// The objects of two build directories.
pub(crate) fn compare_builds(
    old: &[crate::BuildFile],
    new: &[crate::BuildFile],
) -> Vec<ObjectChange> {
    let files = |fs: &[crate::BuildFile]| {
        index(&parse_all(
            fs.iter()
                .filter(|f| is_object_file(&f.path))
                .map(|f| (f.path.as_str(), f.bytes.as_slice())),
        ))
    };
    compare(&files(old), &files(new), true, &|_| None)
}

/// A value as a changed field shows it.
fn summary(v: &Value) -> String {
    match v {
        Value::Object(m) => format!("{{…}} ({} keys)", m.len()),
        Value::Array(a) => format!("[…] ({} items)", a.len()),
        scalar => {
            let s = scalar.to_string();
            if s.chars().count() > 80 {
                let cut: String = s.chars().take(79).collect();
                format!("{cut}…")
            } else {
                s
            }
        }
    }
}

/// `path.key`, or `path["odd key"]`.
fn push_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    } else {
        format!("{path}[{}]", Value::String(key.to_string()))
    }
}

/// The names that identify entries of a list.
const ENTRY_KEYS: &[&str] = &["name", "rule", "macro", "list", "clientId", "alias", "id"];

/// An entry's identity: `name=x`, or the key of a Falco `required_*` entry.
fn identity(v: &Value) -> Option<String> {
    let m = v.as_object()?;
    for k in ENTRY_KEYS {
        if let Some(s) = m.get(*k).and_then(Value::as_str) {
            return Some(format!("{k}={s}"));
        }
    }
    // The Falco rules file's one-of-a-kind entries.
    ["required_engine_version", "required_plugin_versions"]
        .into_iter()
        .find(|k| m.len() == 1 && m.contains_key(*k))
        .map(str::to_string)
}

/// Entries by identity, when every entry has one and they are distinct.
fn keyed(list: &[Value]) -> Option<BTreeMap<String, &Value>> {
    let mut out = BTreeMap::new();
    for v in list {
        if out.insert(identity(v)?, v).is_some() {
            return None;
        }
    }
    Some(out)
}

/// Distinct scalars, as a set.
fn scalar_set(list: &[Value]) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for v in list {
        if v.is_object() || v.is_array() || !out.insert(v.to_string()) {
            return None;
        }
    }
    Some(out)
}

/// The change at `path` between an entry that may be on either side: compared when on both,
/// added or removed when on one.
fn either(
    path: String,
    a: Option<&Value>,
    b: Option<&Value>,
    hidden: bool,
    out: &mut Vec<FieldChange>,
) {
    let show = |v: &Value| (!hidden).then(|| summary(v));
    match (a, b) {
        (Some(u), Some(v)) => diff(&path, u, v, hidden, out),
        (Some(u), None) => out.push(FieldChange {
            path,
            old: show(u),
            new: None,
        }),
        (None, Some(v)) => out.push(FieldChange {
            path,
            old: None,
            new: show(v),
        }),
        (None, None) => {}
    }
}

fn diff(path: &str, a: &Value, b: &Value, hidden: bool, out: &mut Vec<FieldChange>) {
    if a == b {
        return;
    }
    let show = |v: &Value| (!hidden).then(|| summary(v));
    let at = |p: &str| {
        if p.is_empty() {
            "(document)".to_string()
        } else {
            p.to_string()
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = push_key(path, k);
                either(p, x.get(k), y.get(k), hidden, out);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if let (Some(kx), Some(ky)) = (keyed(x), keyed(y)) {
                let ids: BTreeSet<&String> = kx.keys().chain(ky.keys()).collect();
                for id in ids {
                    let p = format!("{}[{id}]", at(path));
                    either(p, kx.get(id).copied(), ky.get(id).copied(), hidden, out);
                }
            } else if let (Some(sx), Some(sy)) = (scalar_set(x), scalar_set(y)) {
                let p = format!("{}[]", at(path));
                for gone in sx.difference(&sy) {
                    out.push(FieldChange {
                        path: p.clone(),
                        old: (!hidden).then(|| gone.clone()),
                        new: None,
                    });
                }
                for came in sy.difference(&sx) {
                    out.push(FieldChange {
                        path: p.clone(),
                        old: None,
                        new: (!hidden).then(|| came.clone()),
                    });
                }
                if sx == sy {
                    out.push(FieldChange {
                        path: format!("{} (order)", at(path)),
                        old: None,
                        new: None,
                    });
                }
            } else {
                for i in 0..x.len().max(y.len()) {
                    let p = format!("{}[{i}]", at(path));
                    either(p, x.get(i), y.get(i), hidden, out);
                }
            }
        }
        (Value::String(u), Value::String(v)) if !hidden => {
            let (old, new) = windows(u, v);
            out.push(FieldChange {
                path: at(path),
                old: Some(old),
                new: Some(new),
            });
        }
        (u, v) => out.push(FieldChange {
            path: at(path),
            old: show(u),
            new: show(v),
        }),
    }
}

/// Two long strings as JSON strings cut to a window around their first difference, so the
/// change is visible (`…a = 1 or b…`).
fn windows(a: &str, b: &str) -> (String, String) {
    const WIDTH: usize = 60;
    let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if ca.len() <= 80 && cb.len() <= 80 {
        return (Value::from(a).to_string(), Value::from(b).to_string());
    }
    let first = ca.iter().zip(&cb).take_while(|(x, y)| x == y).count();
    let start = first.saturating_sub(20);
    let cut = |c: &[char]| {
        let end = (start + WIDTH).min(c.len());
        let text: String = c.get(start..end).unwrap_or(&[]).iter().collect();
        format!(
            "{}{}{}",
            if start > 0 { "…" } else { "" },
            Value::from(text),
            if end < c.len() { "…" } else { "" }
        )
    };
    (cut(&ca), cut(&cb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(a: Value, b: Value) -> Vec<(String, Option<String>, Option<String>)> {
        let mut out = Vec::new();
        diff("", &a, &b, false, &mut out);
        out.sort();
        out.into_iter().map(|f| (f.path, f.old, f.new)).collect()
    }

    #[test]
    fn fields_by_key_name_set_and_position() {
        assert_eq!(
            d(
                json!({"spec": {"ports": [{"port": 8000}], "x": 1}}),
                json!({"spec": {"ports": [{"port": 8080}]}})
            ),
            vec![
                (
                    "spec.ports[0].port".into(),
                    Some("8000".into()),
                    Some("8080".into())
                ),
                ("spec.x".into(), Some("1".into()), None),
            ]
        );
        assert_eq!(
            d(
                json!([{"rule": "a", "condition": "x"}, {"macro": "m"}]),
                json!([{"macro": "m"}, {"rule": "a", "condition": "y"}])
            ),
            vec![(
                "(document)[rule=a].condition".into(),
                Some("\"x\"".into()),
                Some("\"y\"".into())
            )]
        );
        assert_eq!(
            d(json!({"ns": ["a", "b"]}), json!({"ns": ["a", "c"]})),
            vec![
                ("ns[]".into(), None, Some("\"c\"".into())),
                ("ns[]".into(), Some("\"b\"".into()), None),
            ]
        );
        assert_eq!(
            d(
                json!({"metadata": {"labels": {"app.kubernetes.io/name": "a"}}}),
                json!({"metadata": {"labels": {"app.kubernetes.io/name": "b"}}})
            )[0]
            .0,
            "metadata.labels[\"app.kubernetes.io/name\"]"
        );
    }

    #[test]
    fn documents_are_objects_or_files() {
        let docs = documents(
            "network/a.yaml",
            b"apiVersion: v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: a\n---\nkind: Other\n",
        )
        .expect("parses");
        assert_eq!(
            (
                docs[0].kind.as_str(),
                docs[0].namespace.as_str(),
                docs[0].name.as_str()
            ),
            ("NetworkPolicy", "a", "p")
        );
        assert_eq!(
            (docs[1].kind.as_str(), docs[1].name.as_str()),
            ("file", "network/a.yaml#2")
        );
        let flags = documents("apiserver/flags", b"--a=1\n--b=x=y\n").expect("parses");
        assert_eq!(flags[0].value, json!({"--a": "1", "--b": "x=y"}));
        assert!(documents("x.yaml", b"a: [").is_err());
    }

    #[test]
    fn audit_only_and_lower_pod_security_widen() {
        let p = |a: &str| json!({"kind": "ValidatingPolicy", "spec": {"validationActions": [a]}});
        let w = |a, b| {
            widens(
                "ValidatingPolicy",
                "kyverno/x.yaml",
                ObjectChangeKind::Changed,
                Some(&a),
                Some(&b),
                &[],
                false,
            )
        };
        assert!(w(p("Deny"), p("Audit")).is_some());
        assert!(w(p("Audit"), p("Deny")).is_none());
        let ns = |l: &str| json!({"kind": "Namespace", "metadata": {"labels": {"pod-security.kubernetes.io/enforce": l}}});
        assert!(w(ns("restricted"), ns("baseline")).is_some());
        assert!(w(ns("baseline"), ns("restricted")).is_none());
    }
}
