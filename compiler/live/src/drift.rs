//! `posture diff DIR --live`: the semantic difference between a build and a cluster.
//!
//! Objects are compared field by field, on parsed values, never on text: every field the build
//! sets must hold the same value on the cluster; lists must have the same length and equal
//! elements. Fields the server adds (status, defaults, its own metadata) are not differences,
//! except where an added field would widen what the posture allows: NetworkPolicy specs, RBAC
//! rules, subjects and role references, and Pod Security labels, where any extra field is
//! reported. On every kind, a field outside `metadata` that another field manager wrote is a
//! difference too (an exclusion added to an admission policy by hand). Read only: nothing is
//! written, no dry run is needed.

use crate::apply::{Parent, api_for, members, read_parent, resolve};
use crate::bundle::{Bundle, Object};
use crate::{ApplySet, Cluster, FIELD_MANAGER, Failure, status_code};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// `spec.ingress[0].ports[0].port`.
    pub path: String,
    /// The build's value (absent: the build does not set it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Value>,
    /// The cluster's value (absent: the cluster lacks it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Value>,
    /// A field another field manager owns (one the build does not set, or an atomic field
    /// it took over): that manager. `build` and `live` are then absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
}

/// How an object differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// In the build, not on the cluster.
    Added,
    /// Differs, and only posture has written it: the build changed since the last apply.
    Changed,
    /// Differs, and another field manager has written it: an edit made outside posture.
    Drifted,
    /// Owned by this system on the cluster, no longer in the build (`--prune` deletes it).
    Removed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Drifted => "drifted",
            Change::Removed => "removed",
        }
    }
}

/// One object that differs.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub object: String,
    pub change: Change,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// The other field managers that wrote the object (for `drifted`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managers: Vec<String>,
}

/// The drift of one cluster.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub cluster: String,
    pub server: String,
    pub differences: Vec<Difference>,
    /// Objects that could not be read, with the reason: neither equal nor different.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_evaluated: Vec<(String, String)>,
    #[serde(skip)]
    pub failure: Option<Failure>,
}

/// The fields where `live` differs from `build` (see the module documentation). `kind` is the
/// object's group-kind.
///
/// Besides the fields the build sets, every field outside `metadata` that another field
/// manager wrote counts (status writers aside): an exclusion added to an admission policy, a
/// rule added to a role, is a difference on any kind — server defaults have no manager, so
/// they do not.
pub fn compare(group_kind: &str, build: &Value, live: &Value) -> Vec<Field> {
    let mut out = Vec::new();
    walk(group_kind, "", build, live, &mut out);
    for (path, manager) in foreign_paths(live) {
        let covered = out
            .iter()
            .any(|f| path.starts_with(&f.path) || f.path.starts_with(&path));
        if !covered {
            out.push(Field {
                path,
                build: None,
                live: None,
                written_by: Some(manager),
            });
        }
    }
    out
}

/// The leaf paths outside `metadata` that field managers other than posture own (status
/// writers excluded), from `metadata.managedFields[].fieldsV1`: `(path, manager)`, sorted.
pub fn foreign_paths(live: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let manager = e.get("manager").and_then(Value::as_str).unwrap_or("");
        let sub = e.get("subresource").and_then(Value::as_str).unwrap_or("");
        if manager == FIELD_MANAGER || !sub.is_empty() {
            continue;
        }
        let mut paths = Vec::new();
        if let Some(fields) = e.get("fieldsV1") {
            owned_leaves("", fields, &mut paths);
        }
        out.extend(
            paths
                .into_iter()
                .filter(|p| p != "metadata" && !p.starts_with("metadata."))
                .map(|p| (p, manager.to_string())),
        );
    }
    out.sort();
    out.dedup();
    out
}

/// The leaves of a `fieldsV1` set: `f:name` a field, `k:{…}` a keyed list item, `v:…` a set
/// item, `i:N` an indexed item, `.` the node itself.
fn owned_leaves(path: &str, set: &Value, out: &mut Vec<String>) {
    let Some(map) = set.as_object() else { return };
    let children: Vec<(&String, &Value)> = map.iter().filter(|(k, _)| *k != ".").collect();
    if children.is_empty() {
        if !path.is_empty() {
            out.push(path.to_string());
        }
        return;
    }
    for (key, sub) in children {
        let p = if let Some(name) = key.strip_prefix("f:") {
            join(path, name)
        } else if let Some(item) = key
            .strip_prefix("k:")
            .or_else(|| key.strip_prefix("v:"))
            .or_else(|| key.strip_prefix("i:"))
        {
            format!("{path}[{item}]")
        } else {
            join(path, key)
        };
        owned_leaves(&p, sub, out);
    }
}

/// Paths under which a field the build does not set is still a difference.
fn strict(group_kind: &str, path: &str) -> bool {
    match group_kind {
        "NetworkPolicy.networking.k8s.io" => path.starts_with("spec"),
        gk if gk.ends_with(".rbac.authorization.k8s.io") => {
            path.starts_with("rules") || path.starts_with("subjects") || path.starts_with("roleRef")
        }
        _ => false,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(gk: &str, path: &str, build: &Value, live: &Value, out: &mut Vec<Field>) {
    match (build, live) {
        (Value::Object(b), Value::Object(l)) => {
            for (k, bv) in b {
                let p = join(path, k);
                match l.get(k) {
                    Some(lv) => walk(gk, &p, bv, lv, out),
                    None => out.push(Field {
                        path: p,
                        build: Some(bv.clone()),
                        live: None,
                        written_by: None,
                    }),
                }
            }
            for (k, lv) in l {
                if b.contains_key(k) {
                    continue;
                }
                let p = join(path, k);
                let pod_security =
                    path == "metadata.labels" && k.starts_with("pod-security.kubernetes.io/");
                if strict(gk, &p) || pod_security {
                    out.push(Field {
                        path: p,
                        build: None,
                        live: Some(lv.clone()),
                        written_by: None,
                    });
                }
            }
        }
        (Value::Array(b), Value::Array(l)) if b.len() == l.len() => {
            for (i, (bv, lv)) in b.iter().zip(l).enumerate() {
                walk(gk, &format!("{path}[{i}]"), bv, lv, out);
            }
        }
        _ if build == live => {}
        _ => out.push(Field {
            path: path.to_string(),
            build: Some(build.clone()),
            live: Some(live.clone()),
            written_by: None,
        }),
    }
}

/// The field managers other than posture that wrote `live` (status writers excluded).
pub fn other_managers(live: &Value) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    if let Some(entries) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    {
        for e in entries {
            let manager = e.get("manager").and_then(Value::as_str).unwrap_or("");
            let sub = e.get("subresource").and_then(Value::as_str).unwrap_or("");
            if manager != FIELD_MANAGER && sub.is_empty() {
                out.insert(manager.to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// What the cluster holds for `o`: `Ok(Some(live))`, `Ok(None)` when absent, `Err(reason)`
/// when it cannot be read.
pub(crate) async fn read_live(
    cluster: &Cluster,
    served: &crate::apply::Served,
    o: &Object,
) -> Result<Option<Value>, String> {
    let ns = if served.namespaced {
        o.namespace.as_deref()
    } else {
        None
    };
    match api_for(cluster, served, ns).get_opt(&o.name).await {
        Ok(found) => Ok(found.map(|d| serde_json::to_value(&d).unwrap_or(Value::Null))),
        Err(e) if matches!(status_code(&e), Some(401 | 403)) => Err(format!(
            "forbidden: {}",
            match &e {
                kube::Error::Api(s) => s.message.clone(),
                other => other.to_string(),
            }
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// The drift of `bundle` on every cluster of `contexts`, concurrently.
pub async fn diff_all(contexts: &[Option<String>], bundle: &Bundle) -> Vec<DriftReport> {
    let runs = contexts.iter().map(|ctx| async move {
        match crate::connect(ctx.as_deref()).await {
            Ok(cluster) => diff(&cluster, bundle).await,
            Err(f) => DriftReport {
                cluster: ctx.clone().unwrap_or_else(|| "current context".to_string()),
                server: String::new(),
                differences: Vec::new(),
                not_evaluated: Vec::new(),
                failure: Some(f),
            },
        }
    });
    futures::future::join_all(runs).await
}

/// The drift of `bundle` on `cluster`.
pub async fn diff(cluster: &Cluster, bundle: &Bundle) -> DriftReport {
    let mut report = DriftReport {
        cluster: cluster.name.clone(),
        server: cluster.server.clone(),
        differences: Vec::new(),
        not_evaluated: Vec::new(),
        failure: None,
    };
    let served = match resolve(cluster, bundle).await {
        Ok(s) => s,
        Err(f) => {
            report.failure = Some(f);
            return report;
        }
    };
    for o in &bundle.objects {
        match read_live(cluster, &served[&o.gvk], o).await {
            Ok(None) => report.differences.push(Difference {
                object: o.display(),
                change: Change::Added,
                fields: Vec::new(),
                managers: Vec::new(),
            }),
            Ok(Some(live)) => {
                let fields = compare(&o.gvk.group_kind(), &o.value, &live);
                if !fields.is_empty() {
                    let managers = other_managers(&live);
                    report.differences.push(Difference {
                        object: o.display(),
                        change: if managers.is_empty() {
                            Change::Changed
                        } else {
                            Change::Drifted
                        },
                        fields,
                        managers,
                    });
                }
            }
            Err(reason) => report.not_evaluated.push((o.display(), reason)),
        }
    }
    let set = ApplySet::of_system(&bundle.system);
    let parent = match read_parent(cluster, &set).await {
        Ok(p) => p,
        Err(f) => {
            report.failure = Some(f);
            return report;
        }
    };
    match removed(cluster, bundle, &set, &parent).await {
        Ok(gone) => report.differences.extend(gone),
        Err(f) => report.failure = Some(f),
    }
    report
}

async fn removed(
    cluster: &Cluster,
    bundle: &Bundle,
    set: &ApplySet,
    parent: &Parent,
) -> Result<Vec<Difference>, Failure> {
    let keep: BTreeSet<(String, String, String)> = bundle.objects.iter().map(Object::key).collect();
    Ok(members(cluster, bundle, set, parent)
        .await?
        .into_iter()
        .filter(|m| !keep.contains(&m.key()))
        .map(|m| Difference {
            object: m.display(),
            change: Change::Removed,
            fields: Vec::new(),
            managers: Vec::new(),
        })
        .collect())
}
