//! `posture apply`: a build's objects to one or several clusters by server-side apply, in the
//! order of [`Phase`], with ApplySet ownership and an opt-in prune.
//!
//! Before anything is written, every kind of the build must be served (else P8005) and every
//! namespace an object names must exist or be created by the build (else P8009): a run that
//! cannot finish does not start. A refusal half-way stops the run (P8007) and the report says
//! what was applied and what was not.

use crate::bundle::{Bundle, Gvk, Object};
use crate::{
    ADDITIONAL_NAMESPACES, APPLYSET_ID, ApplySet, CONTAINS_GROUP_KINDS, Cluster, FIELD_MANAGER,
    Failure, PARENT_NAMESPACE, PART_OF, Phase, TOOLING, status_code,
};
use diagnostics::codes::apply::{P8005, P8007, P8008, P8009, P8010};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::discovery::{ApiCapabilities, ApiResource, Scope};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How many objects of one phase are in flight at once.
const CONCURRENCY: usize = 8;

/// What `apply` may do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Server-side dry run: the API server validates and admits, nothing is persisted.
    pub dry_run: bool,
    /// Delete the objects of this system's ApplySet that the build no longer holds.
    pub prune: bool,
    /// Apply the admission policies in audit mode (a staged rollout: a later run without it
    /// enforces). Kyverno's `Deny` becomes `Audit`; the run warns (P8010), and `diff --live`
    /// and `verify --live` report the policies as differing from the build, which they do.
    pub admission_audit: bool,
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Created,
    Configured,
    Unchanged,
    Pruned,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Pruned => "pruned",
        }
    }
}

/// One line of progress, as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    /// An object was applied or pruned.
    Done {
        cluster: String,
        object: String,
        action: Action,
        dry_run: bool,
    },
    /// A phase starts (`total` objects in it).
    Phase {
        cluster: String,
        phase: Phase,
        total: usize,
    },
}

/// The outcome of one cluster's run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub cluster: String,
    pub server: String,
    pub dry_run: bool,
    /// `(object, action)` in the order they were done.
    pub done: Vec<(String, Action)>,
    /// Objects of the build not applied because the run stopped.
    pub not_applied: Vec<String>,
    #[serde(skip)]
    pub failure: Option<Failure>,
    #[serde(skip)]
    pub warnings: Vec<Failure>,
}

impl Report {
    fn new(cluster: &str, server: &str, dry_run: bool) -> Report {
        Report {
            cluster: cluster.to_string(),
            server: server.to_string(),
            dry_run,
            done: Vec::new(),
            not_applied: Vec::new(),
            failure: None,
            warnings: Vec::new(),
        }
    }

    pub fn count(&self, action: Action) -> usize {
        self.done.iter().filter(|(_, a)| *a == action).count()
    }
}

/// Applies `bundle` to every cluster of `contexts` concurrently (`None`: the current context).
pub async fn apply_all(
    contexts: &[Option<String>],
    bundle: &Bundle,
    options: Options,
    on_event: &dyn Fn(Event),
) -> Vec<Report> {
    let runs = contexts.iter().map(|ctx| async move {
        let name = ctx.clone().unwrap_or_else(|| "current context".to_string());
        match crate::connect(ctx.as_deref()).await {
            Ok(cluster) => apply(&cluster, bundle, options, on_event).await,
            Err(f) => {
                let mut r = Report::new(&name, "", options.dry_run);
                r.not_applied = bundle.objects.iter().map(Object::display).collect();
                r.failure = Some(f);
                r
            }
        }
    });
    futures::future::join_all(runs).await
}

/// A kind of the build as the cluster serves it.
#[derive(Clone)]
pub(crate) struct Served {
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// Resolves every kind of `bundle` on `cluster`: the served kinds, or the failure (P8005
/// listing every missing kind; P8006/P8004 when discovery itself fails).
pub(crate) async fn resolve(
    cluster: &Cluster,
    bundle: &Bundle,
) -> Result<BTreeMap<Gvk, Served>, Failure> {
    let mut kinds: BTreeMap<Gvk, Vec<&str>> = BTreeMap::new();
    for o in &bundle.objects {
        kinds.entry(o.gvk.clone()).or_default().push(&o.file);
    }
    let mut served = BTreeMap::new();
    let mut missing = Vec::new();
    for (gvk, files) in kinds {
        match served_kind(cluster, &gvk).await? {
            Some(s) => {
                served.insert(gvk, s);
            }
            None => missing.push((gvk, files)),
        }
    }
    if !missing.is_empty() {
        let mut f = Failure::new(
            &P8005,
            format!(
                "{}: the cluster does not serve {} of the build's kinds; nothing was applied",
                cluster.name,
                missing.len()
            ),
        )
        .with_help("install the CRDs of the tools the posture targets (Kyverno, external-secrets, …) first");
        for (gvk, mut files) in missing {
            files.dedup();
            f = f.with_note(format!(
                "{} ({}) is not served; used by {}",
                gvk.kind,
                gvk.api_version(),
                files.join(", ")
            ));
        }
        return Err(f);
    }
    Ok(served)
}

/// How the cluster serves `gvk`: `None` when it does not (a CRD not installed, a group or
/// version it lacks); a failure when discovery itself fails (forbidden, unreachable).
pub(crate) async fn served_kind(cluster: &Cluster, gvk: &Gvk) -> Result<Option<Served>, Failure> {
    let key = kube::api::GroupVersionKind::gvk(&gvk.group, &gvk.version, &gvk.kind);
    match kube::discovery::pinned_kind(&cluster.client, &key).await {
        Ok((resource, caps)) => Ok(Some(served_of(resource, &caps))),
        Err(kube::Error::Discovery(_)) => Ok(None),
        Err(e) if status_code(&e) == Some(404) => Ok(None),
        Err(e) => Err(cluster.failure(&e, "discover the build's kinds")),
    }
}

fn served_of(resource: ApiResource, caps: &ApiCapabilities) -> Served {
    Served {
        resource,
        namespaced: caps.scope == Scope::Namespaced,
    }
}

pub(crate) fn api_for(cluster: &Cluster, served: &Served, ns: Option<&str>) -> Api<DynamicObject> {
    match (served.namespaced, ns) {
        (true, Some(ns)) => Api::namespaced_with(cluster.client.clone(), ns, &served.resource),
        _ => Api::all_with(cluster.client.clone(), &served.resource),
    }
}

/// The existing namespaces among those `bundle` names: `(existing, missing)`, where missing
/// excludes the namespaces the build creates.
async fn namespaces(
    cluster: &Cluster,
    bundle: &Bundle,
    served: &BTreeMap<Gvk, Served>,
) -> Result<(BTreeSet<String>, Vec<String>), Failure> {
    let api: Api<DynamicObject> = Api::all_with(
        cluster.client.clone(),
        &ApiResource::erase::<k8s_openapi::api::core::v1::Namespace>(&()),
    );
    let created = bundle.created_namespaces();
    let mut existing = BTreeSet::new();
    let mut missing = Vec::new();
    let named: BTreeSet<String> = bundle
        .objects
        .iter()
        .filter(|o| served.get(&o.gvk).is_some_and(|s| s.namespaced))
        .filter_map(|o| o.namespace.clone())
        .chain(created.iter().cloned())
        .collect();
    for ns in named {
        match api.get_opt(&ns).await {
            Ok(Some(_)) => {
                existing.insert(ns);
            }
            Ok(None) if created.contains(&ns) => {}
            Ok(None) => missing.push(ns),
            Err(e) => return Err(cluster.failure(&e, &format!("read namespace {ns}"))),
        }
    }
    Ok((existing, missing))
}

/// The ApplySet parent as found: its group-kinds and namespaces.
#[derive(Debug, Default)]
pub(crate) struct Parent {
    pub group_kinds: BTreeSet<String>,
    pub namespaces: BTreeSet<String>,
}

fn parent_api(cluster: &Cluster) -> Api<DynamicObject> {
    Api::namespaced_with(
        cluster.client.clone(),
        PARENT_NAMESPACE,
        &ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&()),
    )
}

pub(crate) async fn read_parent(cluster: &Cluster, set: &ApplySet) -> Result<Parent, Failure> {
    let found = parent_api(cluster)
        .get_opt(&set.parent)
        .await
        .map_err(|e| cluster.failure(&e, "read the ApplySet parent"))?;
    let Some(obj) = found else {
        return Ok(Parent::default());
    };
    let labels = obj.metadata.labels.clone().unwrap_or_default();
    if labels.get(APPLYSET_ID) != Some(&set.id) {
        return Err(Failure::new(
            &P8007,
            format!(
                "{}: ConfigMap {PARENT_NAMESPACE}/{} exists but is not this system's ApplySet parent (its {APPLYSET_ID} label is not {})",
                cluster.name, set.parent, set.id
            ),
        )
        .with_help("rename or remove that ConfigMap; posture does not take over objects it did not create"));
    }
    let annotations = obj.metadata.annotations.clone().unwrap_or_default();
    let list = |key: &str| -> BTreeSet<String> {
        annotations
            .get(key)
            .map(|v| {
                v.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Parent {
        group_kinds: list(CONTAINS_GROUP_KINDS),
        namespaces: list(ADDITIONAL_NAMESPACES),
    })
}

async fn write_parent(
    cluster: &Cluster,
    set: &ApplySet,
    group_kinds: &BTreeSet<String>,
    namespaces: &BTreeSet<String>,
) -> Result<(), Failure> {
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(",");
    let body = ConfigMap {
        metadata: ObjectMeta {
            name: Some(set.parent.clone()),
            namespace: Some(PARENT_NAMESPACE.to_string()),
            labels: Some(BTreeMap::from([
                (APPLYSET_ID.to_string(), set.id.clone()),
                (
                    "app.kubernetes.io/managed-by".to_string(),
                    "posture".to_string(),
                ),
            ])),
            annotations: Some(BTreeMap::from([
                (
                    TOOLING.to_string(),
                    format!("posture/v{}", env!("CARGO_PKG_VERSION")),
                ),
                (CONTAINS_GROUP_KINDS.to_string(), join(group_kinds)),
                (ADDITIONAL_NAMESPACES.to_string(), join(namespaces)),
            ])),
            ..ObjectMeta::default()
        },
        ..ConfigMap::default()
    };
    // `Patch::Apply` needs apiVersion and kind, which the typed struct leaves to the client.
    let mut body = serde_json::to_value(&body).unwrap_or(Value::Null);
    if let Some(m) = body.as_object_mut() {
        m.insert("apiVersion".to_string(), Value::String("v1".to_string()));
        m.insert("kind".to_string(), Value::String("ConfigMap".to_string()));
    }
    parent_api(cluster)
        .patch(
            &set.parent,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&body),
        )
        .await
        .map_err(|e| cluster.failure(&e, "write the ApplySet parent"))?;
    Ok(())
}

/// The object as sent: the build's object with the ApplySet label.
pub(crate) fn labelled(o: &Object, set: &ApplySet) -> Value {
    let mut v = o.value.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(PART_OF.to_string(), Value::String(set.id.clone()));
        }
    }
    v
}

/// Applies `bundle` to `cluster`.
pub async fn apply(
    cluster: &Cluster,
    bundle: &Bundle,
    options: Options,
    on_event: &dyn Fn(Event),
) -> Report {
    let mut report = Report::new(&cluster.name, &cluster.server, options.dry_run);
    let all = || bundle.objects.iter().map(Object::display).collect();
    let served = match resolve(cluster, bundle).await {
        Ok(s) => s,
        Err(f) => {
            report.not_applied = all();
            report.failure = Some(f);
            return report;
        }
    };
    let (existing_ns, missing_ns) = match namespaces(cluster, bundle, &served).await {
        Ok(x) => x,
        Err(f) => {
            report.not_applied = all();
            report.failure = Some(f);
            return report;
        }
    };
    if !missing_ns.is_empty() {
        report.not_applied = all();
        report.failure = Some(
            Failure::new(
                &P8009,
                format!(
                    "{}: the build puts objects in namespaces that do not exist and that it does not create: {}; nothing was applied",
                    cluster.name,
                    missing_ns.join(", ")
                ),
            )
            .with_help("create them first (e.g. the namespace the admission controller is installed in), or declare them in the posture"),
        );
        return report;
    }
    let set = ApplySet::of_system(&bundle.system);
    let parent = match read_parent(cluster, &set).await {
        Ok(p) => p,
        Err(f) => {
            report.not_applied = all();
            report.failure = Some(f);
            return report;
        }
    };
    let current_gks = bundle.group_kinds();
    let current_ns = bundle.namespaces();
    if !options.dry_run {
        // The parent first, with the union: should the run stop half-way, a later prune still
        // looks wherever members may be.
        let gks = current_gks.union(&parent.group_kinds).cloned().collect();
        let nss = current_ns.union(&parent.namespaces).cloned().collect();
        if let Err(f) = write_parent(cluster, &set, &gks, &nss).await {
            report.not_applied = all();
            report.failure = Some(f);
            return report;
        }
    }

    // Phase by phase; within a phase, up to CONCURRENCY objects at a time, in chunks that
    // always finish: on a refusal, what the chunk applied is reported applied, and nothing
    // after it starts.
    let mut i = 0;
    while i < bundle.objects.len() {
        let phase = bundle.objects[i].phase;
        let len = bundle.objects[i..]
            .iter()
            .take_while(|x| x.phase == phase)
            .count();
        on_event(Event::Phase {
            cluster: cluster.name.clone(),
            phase,
            total: len,
        });
        for chunk in bundle.objects[i..i + len].chunks(CONCURRENCY) {
            let runs = chunk.iter().map(|o| {
                let served = &served[&o.gvk];
                let ns = if served.namespaced {
                    o.namespace.as_deref()
                } else {
                    None
                };
                let skip = options.dry_run && ns.is_some_and(|n| !existing_ns.contains(n));
                let set = &set;
                async move {
                    if skip {
                        // Its namespace is created by this build and a dry run creates
                        // nothing: the server cannot admit it yet.
                        Ok(Action::Created)
                    } else {
                        apply_one(cluster, served, ns, o, set, options).await
                    }
                }
            });
            let results = futures::future::join_all(runs).await;
            let mut failed = None;
            for (o, result) in chunk.iter().zip(results) {
                match result {
                    Ok(action) => {
                        on_event(Event::Done {
                            cluster: cluster.name.clone(),
                            object: o.display(),
                            action,
                            dry_run: options.dry_run,
                        });
                        report.done.push((o.display(), action));
                    }
                    Err(f) => {
                        report.not_applied.push(o.display());
                        if failed.is_none() {
                            failed = Some(f.with_note(format!("{} is in {}", o.display(), o.file)));
                        }
                    }
                }
            }
            if let Some(f) = failed {
                let done: BTreeSet<&String> = report.done.iter().map(|(o, _)| o).collect();
                let rest: Vec<String> = bundle.objects[i..]
                    .iter()
                    .map(Object::display)
                    .filter(|o| !done.contains(o) && !report.not_applied.contains(o))
                    .collect();
                report.not_applied.extend(rest);
                report.failure = Some(f);
                return report;
            }
        }
        i += len;
    }

    if options.admission_audit {
        let mut audited: Vec<String> = Vec::new();
        for o in bundle
            .objects
            .iter()
            .filter(|o| o.phase == Phase::Admission)
        {
            let mut v = o.value.clone();
            if audit_mode(&mut v) {
                audited.push(o.name.clone());
            }
        }
        if !audited.is_empty() {
            report.warnings.push(
                Failure::new(
                    &P8010,
                    format!(
                        "{}: {} admission policies were applied in audit mode: the cluster reports violations of them but does not refuse them, unlike the build",
                        cluster.name,
                        audited.len()
                    ),
                )
                .with_help("apply again without `--admission audit` to enforce them"),
            );
        }
    }

    if options.prune {
        if let Err(f) = prune(
            cluster,
            bundle,
            &set,
            &parent,
            options,
            on_event,
            &mut report,
        )
        .await
        {
            report.failure = Some(f);
            return report;
        }
        if !options.dry_run
            && let Err(f) = write_parent(cluster, &set, &current_gks, &current_ns).await
        {
            report.failure = Some(f);
        }
    }
    report
}

async fn apply_one(
    cluster: &Cluster,
    served: &Served,
    ns: Option<&str>,
    o: &Object,
    set: &ApplySet,
    options: Options,
) -> Result<Action, Failure> {
    let dry_run = options.dry_run;
    let api = api_for(cluster, served, ns);
    let before = api
        .get_opt(&o.name)
        .await
        .map_err(|e| cluster.failure(&e, &format!("read {}", o.display())))?;
    let mut params = PatchParams::apply(FIELD_MANAGER).force();
    params.dry_run = dry_run;
    let mut body = labelled(o, set);
    if options.admission_audit && o.phase == Phase::Admission {
        audit_mode(&mut body);
    }
    let after = api
        .patch(&o.name, &params, &Patch::Apply(&body))
        .await
        .map_err(|e| cluster.failure(&e, &format!("apply {}", o.display())))?;
    // Server-side apply keeps fields another manager owns (an exclusion added to a policy by
    // hand): replace the object's content with the build's so none survives.
    let live = serde_json::to_value(&after).unwrap_or(Value::Null);
    if !crate::drift::foreign_paths(&live).is_empty() {
        let content: DynamicObject = serde_json::from_value(replaced(&live, &body))
            .map_err(|e| Failure::new(&P8007, format!("{}: {e}", o.display())))?;
        let params = PostParams {
            dry_run,
            field_manager: Some(FIELD_MANAGER.to_string()),
        };
        api.replace(&o.name, &params, &content)
            .await
            .map_err(|e| cluster.failure(&e, &format!("replace {}", o.display())))?;
        return Ok(if before.is_none() {
            Action::Created
        } else {
            Action::Configured
        });
    }
    Ok(match before {
        None => Action::Created,
        Some(b) if b.metadata.resource_version == after.metadata.resource_version => {
            Action::Unchanged
        }
        Some(b) if dry_run && same_content(&b, &after) => Action::Unchanged,
        Some(_) => Action::Configured,
    })
}

/// `live` with the content of `body`: every top-level field but `apiVersion`, `kind`,
/// `metadata` and `status` is the build's (and one the build lacks is dropped); the build's
/// labels and annotations are set; the rest of the metadata (resourceVersion, finalizers,
/// owners, other labels) is the cluster's.
fn replaced(live: &Value, body: &Value) -> Value {
    const KEEP: [&str; 4] = ["apiVersion", "kind", "metadata", "status"];
    let mut out = live.clone();
    let (Some(o), Some(b)) = (out.as_object_mut(), body.as_object()) else {
        return out;
    };
    o.retain(|k, _| KEEP.contains(&k.as_str()) || b.contains_key(k));
    for (k, v) in b {
        if !KEEP.contains(&k.as_str()) {
            o.insert(k.clone(), v.clone());
        }
    }
    for key in ["labels", "annotations"] {
        let Some(from) = b
            .get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_object)
        else {
            continue;
        };
        if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
            let to = meta
                .entry(key)
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Some(to) = to.as_object_mut() {
                for (k, v) in from {
                    to.insert(k.clone(), v.clone());
                }
            }
        }
    }
    out
}

/// An admission policy in audit mode: Kyverno's CEL policies (`policies.kyverno.io`) get
/// `Audit` for `Deny` in `spec.validationActions`; `kyverno.io` policies get `Audit` as their
/// `validationFailureAction` and every rule's `failureAction`. Returns whether it changed.
pub fn audit_mode(policy: &mut Value) -> bool {
    let mut changed = false;
    let Some(spec) = policy.get_mut("spec").and_then(Value::as_object_mut) else {
        return false;
    };
    if let Some(actions) = spec
        .get_mut("validationActions")
        .and_then(Value::as_array_mut)
    {
        let mut out: Vec<Value> = Vec::new();
        for a in actions.iter() {
            let a = if a == "Deny" {
                changed = true;
                Value::String("Audit".to_string())
            } else {
                a.clone()
            };
            if !out.contains(&a) {
                out.push(a);
            }
        }
        *actions = out;
    }
    if let Some(a) = spec.get_mut("validationFailureAction")
        && a != "Audit"
    {
        *a = Value::String("Audit".to_string());
        changed = true;
    }
    if let Some(rules) = spec.get_mut("rules").and_then(Value::as_array_mut) {
        for r in rules {
            if let Some(a) = r.pointer_mut("/validate/failureAction")
                && a != "Audit"
            {
                *a = Value::String("Audit".to_string());
                changed = true;
            }
        }
    }
    changed
}

/// A dry run returns the object as it would be; compare it without the fields the server
/// keeps for itself.
fn same_content(a: &DynamicObject, b: &DynamicObject) -> bool {
    let strip = |o: &DynamicObject| {
        let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in ["managedFields", "resourceVersion", "generation"] {
                m.remove(k);
            }
        }
        v
    };
    strip(a) == strip(b)
}

/// A member of this system's ApplySet found on the cluster.
pub(crate) struct Member {
    pub gk: String,
    pub namespace: Option<String>,
    pub name: String,
    pub served: Served,
    pub phase: Phase,
}

impl Member {
    pub(crate) fn display(&self) -> String {
        let kind = self.gk.split('.').next().unwrap_or(&self.gk);
        match &self.namespace {
            Some(ns) => format!("{kind} {ns}/{}", self.name),
            None => format!("{kind} {}", self.name),
        }
    }
    pub(crate) fn key(&self) -> (String, String, String) {
        (
            self.gk.clone(),
            self.namespace.clone().unwrap_or_default(),
            self.name.clone(),
        )
    }
}

/// Every object labelled as a member of `set`, in the group-kinds and namespaces of the build
/// and of the parent. Group-kinds the cluster no longer serves are skipped.
pub(crate) async fn members(
    cluster: &Cluster,
    bundle: &Bundle,
    set: &ApplySet,
    parent: &Parent,
) -> Result<Vec<Member>, Failure> {
    let gks: BTreeSet<String> = bundle
        .group_kinds()
        .union(&parent.group_kinds)
        .cloned()
        .collect();
    let nss: BTreeSet<String> = bundle
        .namespaces()
        .union(&parent.namespaces)
        .cloned()
        .collect();
    let selector = format!("{PART_OF}={}", set.id);
    let mut out = Vec::new();
    for gk in gks {
        let (kind, group) = gk.split_once('.').unwrap_or((gk.as_str(), ""));
        // A kind no longer served has no members to find; a discovery that fails otherwise
        // (forbidden, unreachable) is a failure, never "no members".
        let served = match bundle.objects.iter().find(|o| o.gvk.group_kind() == gk) {
            Some(o) => served_kind(cluster, &o.gvk).await?,
            None => match kube::discovery::group(&cluster.client, group).await {
                Ok(g) => g
                    .recommended_kind(kind)
                    .map(|(r, caps)| served_of(r, &caps)),
                Err(kube::Error::Discovery(_)) => None,
                Err(e) if status_code(&e) == Some(404) => None,
                Err(e) => return Err(cluster.failure(&e, &format!("discover {gk}"))),
            },
        };
        let Some(served) = served else { continue };
        let scopes: Vec<Option<&str>> = if served.namespaced {
            nss.iter().map(|n| Some(n.as_str())).collect()
        } else {
            vec![None]
        };
        for ns in scopes {
            let api = api_for(cluster, &served, ns);
            let list = api
                .list(&ListParams::default().labels(&selector))
                .await
                .map_err(|e| cluster.failure(&e, &format!("list {gk} owned by this system")))?;
            for item in list {
                let value = serde_json::to_value(&item).unwrap_or(Value::Null);
                let gvk = Gvk {
                    group: group.to_string(),
                    version: String::new(),
                    kind: kind.to_string(),
                };
                out.push(Member {
                    gk: gk.clone(),
                    namespace: item.metadata.namespace.clone(),
                    name: item.metadata.name.clone().unwrap_or_default(),
                    served: served.clone(),
                    phase: Phase::of(&gvk, &value),
                });
            }
        }
    }
    Ok(out)
}

async fn prune(
    cluster: &Cluster,
    bundle: &Bundle,
    set: &ApplySet,
    parent: &Parent,
    options: Options,
    on_event: &dyn Fn(Event),
    report: &mut Report,
) -> Result<(), Failure> {
    let keep: BTreeSet<(String, String, String)> = bundle.objects.iter().map(Object::key).collect();
    let mut gone: Vec<Member> = members(cluster, bundle, set, parent)
        .await?
        .into_iter()
        .filter(|m| !keep.contains(&m.key()))
        .collect();
    // Allow NetworkPolicies go before default-deny ones: a half-done prune never opens traffic.
    gone.sort_by_key(|m| match m.phase {
        Phase::NetworkAllow => 0,
        Phase::NetworkDeny => 2,
        _ => 1,
    });
    let params = DeleteParams {
        dry_run: options.dry_run,
        ..DeleteParams::default()
    };
    for m in gone {
        if m.gk == "Namespace" {
            report.warnings.push(
                Failure::new(
                    &P8008,
                    format!(
                        "{}: namespace {} is no longer in the build but is not deleted: deleting a namespace deletes everything in it, not only this system's objects",
                        cluster.name, m.name
                    ),
                )
                .with_help(format!(
                    "delete it yourself once it is empty of what you need, or remove its {PART_OF} label to release it"
                )),
            );
            continue;
        }
        let api = api_for(cluster, &m.served, m.namespace.as_deref());
        match api.delete(&m.name, &params).await {
            Ok(_) => {}
            Err(e) if status_code(&e) == Some(404) => {}
            Err(e) => return Err(cluster.failure(&e, &format!("prune {}", m.display()))),
        }
        on_event(Event::Done {
            cluster: cluster.name.clone(),
            object: m.display(),
            action: Action::Pruned,
            dry_run: options.dry_run,
        });
        report.done.push((m.display(), Action::Pruned));
    }
    Ok(())
}
