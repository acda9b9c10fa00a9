//! Builds the neutral model from plain Kubernetes manifests (YAML or JSON, multi-document
//! texts, `List` and `*List` kinds).
//!
//! Read: Namespaces, NetworkPolicies, Pods and the pod templates of Deployments, StatefulSets,
//! DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs; Services, OpenShift
//! Routes and Ingresses become [`IngressExposure`]s (the ingress controller may reach the
//! Service's pods on its target ports). Other kinds are ignored. Malformed input is an error
//! value naming the source and document; the loader never panics.
//!
//! The loader does no IO: callers read the files and pass their text as [`Source`]s (the
//! golden tests read np-guard's case directories in `tests/golden.rs`).

mod direct;
mod fast;
mod raw;
mod stream;
mod subset;
#[cfg(test)]
mod subset_tests;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::ip::Cidr;
use crate::model::{
    Cluster, ContainerPort, ExposureSource, IngressExposure, IpBlock, Namespace, NamespaceName,
    NetworkPolicy, ObjectName, PolicyPeer, PolicyPort, PolicyRule, PolicyTypes, PortName, PortSpec,
    Workload, WorkloadId, WorkloadKind,
};
use crate::ports::{PortNumber, PortSet, Protocol};
use crate::selector::{LabelRequirement, LabelSelector, Labels, SelectorOperator};

/// One input text and the name it is reported under (usually its path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Where the text came from.
    pub name: String,
    /// The YAML or JSON text.
    pub text: String,
}

/// Where in the input a finding is: source name and 1-based document number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The source's name.
    pub source: String,
    /// The document within the source, from 1 (0 for the whole source).
    pub document: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.document == 0 {
            f.write_str(&self.source)
        } else {
            write!(f, "{} (document {})", self.source, self.document)
        }
    }
}

/// Why input could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LoadErrorKind {
    /// The text is not YAML (or JSON).
    Syntax(String),
    /// An object of a kind the loader reads is not valid.
    Invalid {
        /// The object's kind.
        kind: String,
        /// The object's name, if it has one.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// An error with its location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LoadError {
    /// Where.
    pub location: Location,
    /// What.
    pub kind: LoadErrorKind,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            LoadErrorKind::Syntax(m) => write!(f, "{}: not YAML: {m}", self.location),
            LoadErrorKind::Invalid {
                kind,
                name,
                message,
            } => {
                write!(f, "{}: {kind} `{name}`: {message}", self.location)
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// Something the loader skipped or guessed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LoadWarning {
    /// A document that is not a Kubernetes object (no mapping, or no `kind`).
    NotAnObject(Location),
    /// Pods of one workload carry different labels; the first pod's labels are used.
    InconsistentPodLabels(WorkloadId),
    /// Two NetworkPolicies share a namespace and name; the later one is used.
    DuplicatePolicy(NamespaceName, ObjectName),
    /// A Route or Ingress names a Service that is not in the input.
    ServiceNotFound {
        /// The Route's or Ingress's namespace and name.
        source: ExposureSource,
        /// The missing Service.
        service: ObjectName,
    },
    /// A Service without a selector (its endpoints are managed by hand) was ignored.
    ServiceWithoutSelector(NamespaceName, ObjectName),
}

/// The model and what the loader noticed on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The model.
    pub cluster: Cluster,
    /// Skipped or guessed input.
    pub warnings: Vec<LoadWarning>,
}

const DEFAULT_NAMESPACE: &str = "default";

/// Loads one text.
pub fn load_str(name: &str, text: &str) -> Result<Loaded, Vec<LoadError>> {
    load_sources(&[Source {
        name: name.to_string(),
        text: text.to_string(),
    }])
}

/// Loads texts, in order; every error of every source is reported.
///
/// Each source is first read by [`subset`], a reader of the block-YAML subset posture's YAML
/// writer emits (no general YAML parser; it declines a source on anything it does not
/// certainly read as serde-saphyr does). A source it declines is read by serde-saphyr straight
/// into the loader's typed shapes ([`fast::Doc`]: no [`Value`] tree, fields the analysis does
/// not need skipped), which gives the same result as reading it into [`Value`]s and converting
/// those, because every leaf field is resolved through a [`Value`] ([`raw::strict`]). A source
/// that path does not take as it is (a `List`, `spec` before `kind`, a document that is not a
/// mapping, anything malformed) is read again through [`Value`]s, so its warnings and errors
/// are exactly that path's.
pub fn load_sources(sources: &[Source]) -> Result<Loaded, Vec<LoadError>> {
    load_sources_with(sources, Read::Subset)
}

/// [`load_sources`] through serde-saphyr and [`Value`]s only: the reference the faster paths
/// are tested against (by this crate's tests and by the build's reachability proof's).
pub fn load_sources_reference(sources: &[Source]) -> Result<Loaded, Vec<LoadError>> {
    load_sources_with(sources, Read::Value)
}

/// True when the subset reader takes `text` as it is (every document read into the loader's
/// typed shapes), so [`load_sources`] does not parse it with serde-saphyr: for tests that the
/// build's files take the fast way.
pub fn subset_takes(text: &str) -> bool {
    subset_docs(text).is_some()
}

/// True when the one-pass reader ([`stream`]) reads every document of `text` itself (not
/// through the subset reader's tree): for tests that the build's files take the fastest way.
#[doc(hidden)]
pub fn stream_takes(text: &str) -> bool {
    stream::documents_taken(text).is_some_and(|(docs, taken)| docs.len() == taken)
}

/// The documents the subset reader reads from `text`, as [`Value`]s: `None` when it declines,
/// an error when a document it took does not deserialize as a [`Value`] (a bug the tests must
/// see). For the differential tests against serde-saphyr (`tests/subset_corpora.rs` and this
/// module's own), not for loading.
#[doc(hidden)]
pub fn subset_values(text: &str) -> Option<Result<Vec<Value>, String>> {
    use serde::Deserialize;
    let nodes = subset::documents(text).ok()?;
    Some(
        nodes
            .iter()
            .map(|n| Value::deserialize(subset::De(n)).map_err(|e| e.to_string()))
            .collect(),
    )
}

/// The first way [`load_sources_with`] tries; each falls back to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// [`subset`], then [`Read::Fast`].
    Subset,
    /// serde-saphyr into [`fast::Doc`]s, then [`Read::Value`].
    #[cfg(test)]
    Fast,
    /// serde-saphyr into [`Value`]s.
    Value,
}

/// The documents of `text` read by [`subset`] into the loader's typed shapes, or `None` when
/// the subset reader declines it (or a document does not fit [`fast::Doc`]): in one pass by
/// [`stream`], which leaves the documents it does not read itself to the tree reader
/// ([`subset_tree_docs`] per document).
fn subset_docs(text: &str) -> Option<Vec<fast::Doc>> {
    stream::documents(text)
}

/// [`subset_docs`] through the tree reader alone: [`subset::documents`], then [`direct::doc`]
/// or serde per document (the reference [`stream`] is tested against).
#[cfg(test)]
fn subset_tree_docs(text: &str) -> Option<Vec<fast::Doc>> {
    use serde::Deserialize;
    let nodes = subset::documents(text).ok()?;
    nodes
        .iter()
        .map(|n| direct::doc(n).or_else(|| fast::Doc::deserialize(subset::De(n)).ok()))
        .collect()
}

/// [`load_sources`] over borrowed texts: `(name, text)` pairs, so a caller holding the texts
/// (the build's proof, which reads its artifacts' bytes) does not copy them into [`Source`]s.
pub fn load_texts<'s>(
    sources: impl IntoIterator<Item = (&'s str, &'s str)>,
) -> Result<Loaded, Vec<LoadError>> {
    load_with(sources, Read::Subset)
}

fn load_sources_with(sources: &[Source], read: Read) -> Result<Loaded, Vec<LoadError>> {
    load_with(
        sources.iter().map(|s| (s.name.as_str(), s.text.as_str())),
        read,
    )
}

fn load_with<'s>(
    sources: impl IntoIterator<Item = (&'s str, &'s str)>,
    read: Read,
) -> Result<Loaded, Vec<LoadError>> {
    let mut b = Builder::default();
    for (name, text) in sources {
        let typed = match read {
            Read::Subset => {
                subset_docs(text).or_else(|| serde_saphyr::from_multiple::<fast::Doc>(text).ok())
            }
            #[cfg(test)]
            Read::Fast => serde_saphyr::from_multiple::<fast::Doc>(text).ok(),
            Read::Value => None,
        };
        if let Some(docs) = typed {
            for (i, doc) in docs.into_iter().enumerate() {
                b.fast_object(name, i + 1, doc);
            }
            continue;
        }
        let docs: Vec<Value> = match serde_saphyr::from_multiple(text) {
            Ok(d) => d,
            Err(e) => {
                b.errors.push(LoadError {
                    location: Location {
                        source: name.to_string(),
                        document: 0,
                    },
                    kind: LoadErrorKind::Syntax(e.to_string()),
                });
                continue;
            }
        };
        for (i, doc) in docs.into_iter().enumerate() {
            let loc = Location {
                source: name.to_string(),
                document: i + 1,
            };
            b.object(&loc, doc, None);
        }
    }
    b.finish()
}

/// A Route or Ingress: its source, namespace, and the (service, port) pairs it targets.
type Frontend = (
    ExposureSource,
    NamespaceName,
    Vec<(String, Option<raw::IntOrString>)>,
);

#[derive(Default)]
struct Builder {
    cluster: Cluster,
    warnings: Vec<LoadWarning>,
    errors: Vec<LoadError>,
    /// In input order; sorted by namespace and name, the last of each kept, in `finish`.
    policies: Vec<NetworkPolicy>,
    services: BTreeMap<(NamespaceName, ObjectName), raw::ServiceSpec>,
    /// Routes and Ingresses: their source and the (service, port) pairs they target.
    frontends: Vec<Frontend>,
}

/// A failure inside one object: the message (the location and kind are added by the caller).
type Invalid = String;

fn invalid(loc: &Location, kind: &str, name: &str, message: String) -> LoadError {
    LoadError {
        location: loc.clone(),
        kind: LoadErrorKind::Invalid {
            kind: kind.to_string(),
            name: name.to_string(),
            message,
        },
    }
}

impl Builder {
    fn object(&mut self, loc: &Location, doc: Value, default_kind: Option<&str>) {
        let Value::Object(map) = &doc else {
            self.warnings.push(LoadWarning::NotAnObject(loc.clone()));
            return;
        };
        let kind = match map.get("kind").and_then(Value::as_str) {
            Some(k) => k.to_string(),
            None => match default_kind {
                Some(k) => k.to_string(),
                None => {
                    self.warnings.push(LoadWarning::NotAnObject(loc.clone()));
                    return;
                }
            },
        };
        if let Some(item_kind) = kind.strip_suffix("List") {
            let items = map
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let default = (!item_kind.is_empty()).then_some(item_kind);
            for item in items {
                self.object(loc, item, default);
            }
            return;
        }
        if !READ_KINDS.contains(&kind.as_str()) {
            return;
        }
        let obj: raw::Object = match serde_json::from_value(doc) {
            Ok(o) => o,
            Err(e) => {
                self.errors.push(invalid(loc, &kind, "", e.to_string()));
                return;
            }
        };
        let name = obj.metadata.name.clone().unwrap_or_default();
        if let Err(message) = self.typed(&kind, obj.metadata, Spec::Raw(obj.spec)) {
            self.errors.push(invalid(loc, &kind, &name, message));
        }
    }

    /// [`Builder::object`] for a document the fast path read: document `document` of source
    /// `source` (its [`Location`] made only for a warning or an error). A NetworkPolicy read
    /// into the model goes straight into the policies, its names moved, not copied.
    fn fast_object(&mut self, source: &str, document: usize, doc: fast::Doc) {
        let loc = || Location {
            source: source.to_string(),
            document,
        };
        let Some(kind) = doc.kind else {
            self.warnings.push(LoadWarning::NotAnObject(loc()));
            return;
        };
        if !READ_KINDS.contains(&kind.as_str()) {
            return;
        }
        if let (fast::Spec::Model(_), Some(name)) = (&doc.spec, &doc.metadata.name)
            && kind == "NetworkPolicy"
            && !name.is_empty()
        {
            let (fast::Spec::Model(parts), Some(name)) = (doc.spec, doc.metadata.name) else {
                return;
            };
            let namespace = NamespaceName::new(
                doc.metadata
                    .namespace
                    .filter(|n| !n.is_empty())
                    .unwrap_or(DEFAULT_NAMESPACE.into()),
            );
            self.add_policy(parts.into_policy(namespace, ObjectName::new(name)));
            return;
        }
        let name = doc.metadata.name.clone().unwrap_or_default();
        if let Err(message) = self.typed(&kind, doc.metadata, Spec::Typed(doc.spec)) {
            self.errors.push(invalid(&loc(), &kind, &name, message));
        }
    }

    /// Adds a policy; a later one of the same namespace and name replaces it, with a warning
    /// (in [`Builder::finish`]).
    fn add_policy(&mut self, policy: NetworkPolicy) {
        self.policies.push(policy);
    }

    /// The policies sorted by namespace and name, the last of each namespace and name kept
    /// and the others warned about: what inserting them one by one into a map keyed by
    /// namespace and name gives, without a copy of every key.
    fn take_policies(&mut self) -> Vec<NetworkPolicy> {
        let mut policies = std::mem::take(&mut self.policies);
        // Stable: policies of one namespace and name stay in input order.
        if policies.is_sorted_by(|a, b| a.namespace <= b.namespace) {
            // Already grouped by namespace in order (the build's files are a namespace each,
            // read in path order): each group sorted by name alone is the same order, from
            // far fewer comparisons than one sort of everything.
            for group in policies.chunk_by_mut(|a, b| a.namespace == b.namespace) {
                group.sort_by(|a, b| a.name.cmp(&b.name));
            }
        } else {
            policies.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        }
        let warnings = &mut self.warnings;
        // `later` comes after `kept` in input order: it replaces it.
        policies.dedup_by(|later, kept| {
            if later.namespace != kept.namespace || later.name != kept.name {
                return false;
            }
            warnings.push(LoadWarning::DuplicatePolicy(
                kept.namespace.clone(),
                kept.name.clone(),
            ));
            std::mem::swap(later, kept);
            true
        });
        policies
    }

    fn typed(&mut self, kind: &str, meta: raw::Meta, spec: Spec) -> Result<(), Invalid> {
        let name = meta.name.clone().unwrap_or_default();
        if name.is_empty() {
            return Err("has no `metadata.name`".to_string());
        }
        let namespace = NamespaceName::new(
            meta.namespace
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or(DEFAULT_NAMESPACE.into()),
        );
        match kind {
            "Namespace" => {
                let labels = labels(meta.labels.as_ref())?;
                let ns = NamespaceName::new(name);
                self.cluster
                    .namespaces
                    .insert(ns.clone(), Namespace { name: ns, labels });
            }
            "NetworkPolicy" => {
                let policy = match spec {
                    Spec::Typed(fast::Spec::Model(parts)) => {
                        parts.into_policy(namespace, ObjectName::new(name))
                    }
                    spec => {
                        let spec: raw::PolicySpec = spec.take(fast::Spec::policy)?;
                        policy(namespace, ObjectName::new(name), spec)?
                    }
                };
                self.add_policy(policy);
            }
            "Pod" => {
                let spec: raw::PodSpec = spec.take(fast::Spec::pod)?;
                let owner = meta.owner_references.as_ref().and_then(|refs| {
                    refs.iter()
                        .find(|r| r.controller == Some(true) && r.kind.as_deref() != Some("Node"))
                });
                let id = match owner {
                    Some(r) => WorkloadId {
                        namespace,
                        name: ObjectName::new(r.name.clone().unwrap_or_else(|| name.clone())),
                        kind: WorkloadKind::from_kind(r.kind.as_deref().unwrap_or("")),
                    },
                    None => WorkloadId {
                        namespace,
                        name: ObjectName::new(name),
                        kind: WorkloadKind::Pod,
                    },
                };
                self.workload(id, labels(meta.labels.as_ref())?, container_ports(&spec)?);
            }
            "Service" => {
                let spec: raw::ServiceSpec = spec.take(fast::Spec::service)?;
                self.services
                    .insert((namespace, ObjectName::new(name)), spec);
            }
            "Route" => {
                let spec: raw::RouteSpec = spec.take(fast::Spec::route)?;
                let port = spec.port.map(|p| p.target_port);
                let mut targets = Vec::new();
                for t in spec
                    .to
                    .into_iter()
                    .chain(spec.alternate_backends.into_iter().flatten())
                {
                    if t.kind
                        .as_deref()
                        .is_none_or(|k| k.is_empty() || k == "Service")
                    {
                        targets.push((t.name, port.clone()));
                    }
                }
                let source = ExposureSource::Route(namespace.clone(), ObjectName::new(name));
                self.frontends.push((source, namespace, targets));
            }
            "Ingress" => {
                let spec: raw::IngressSpec = spec.take(fast::Spec::ingress)?;
                let mut targets = Vec::new();
                let backends = spec.default_backend.into_iter().chain(
                    spec.rules
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r.http)
                        .flat_map(|h| h.paths.into_iter().map(|p| p.backend)),
                );
                for b in backends {
                    let Some(svc) = b.service else { continue };
                    let port = svc.port.and_then(|p| match (p.name, p.number) {
                        (Some(n), _) if !n.is_empty() => Some(raw::IntOrString::Str(n)),
                        (_, Some(n)) => Some(raw::IntOrString::Int(n)),
                        _ => None,
                    });
                    targets.push((svc.name, port));
                }
                let source = ExposureSource::Ingress(namespace.clone(), ObjectName::new(name));
                self.frontends.push((source, namespace, targets));
            }
            controller => {
                let spec: raw::ControllerSpec = spec.take(fast::Spec::controller)?;
                let template = match controller {
                    "CronJob" => spec
                        .job_template
                        .and_then(|j| j.spec)
                        .and_then(|s| s.template),
                    _ => spec.template,
                }
                .unwrap_or_default();
                let id = WorkloadId {
                    namespace,
                    name: ObjectName::new(name),
                    kind: WorkloadKind::from_kind(controller),
                };
                let l = labels(template.metadata.labels.as_ref())?;
                self.workload(id, l, container_ports(&template.spec)?);
            }
        }
        Ok(())
    }

    fn workload(&mut self, id: WorkloadId, labels: Labels, ports: Vec<ContainerPort>) {
        match self.cluster.workloads.get_mut(&id) {
            Some(existing) => {
                if existing.labels != labels {
                    self.warnings.push(LoadWarning::InconsistentPodLabels(id));
                }
                for p in ports {
                    if !existing.ports.contains(&p) {
                        existing.ports.push(p);
                    }
                }
            }
            None => self.cluster.add_workload(Workload { id, labels, ports }),
        }
    }

    fn finish(mut self) -> Result<Loaded, Vec<LoadError>> {
        self.cluster.policies = self.take_policies();
        let frontends = std::mem::take(&mut self.frontends);
        let mut exposures = Vec::new();
        for (source, ns, targets) in frontends {
            for (svc_name, port) in targets {
                let key = (ns.clone(), ObjectName::new(svc_name));
                let Some(svc) = self.services.get(&key) else {
                    self.warnings.push(LoadWarning::ServiceNotFound {
                        source: source.clone(),
                        service: key.1.clone(),
                    });
                    continue;
                };
                let Some(selector) = &svc.selector else {
                    self.warnings
                        .push(LoadWarning::ServiceWithoutSelector(key.0, key.1));
                    continue;
                };
                let Ok(selector) = labels(Some(selector)) else {
                    continue;
                };
                let target_ports = service_target_ports(svc, port.as_ref());
                for w in self.cluster.workloads.values() {
                    if w.id.namespace != ns
                        || !selector.iter().all(|(k, v)| w.labels.get(k) == Some(v))
                    {
                        continue;
                    }
                    let mut ports = PortSet::empty();
                    for t in &target_ports {
                        let number = match t {
                            raw::IntOrString::Int(n) => PortNumber::new(*n),
                            raw::IntOrString::Str(s) => w
                                .ports
                                .iter()
                                .find(|p| {
                                    p.name.as_ref().is_some_and(|n| n.as_str() == s)
                                        && p.protocol == Protocol::Tcp
                                })
                                .map(|p| p.number),
                        };
                        if let Some(n) = number {
                            ports = ports.union(&PortSet::single(n));
                        }
                    }
                    if !ports.is_empty() {
                        exposures.push(IngressExposure {
                            source: source.clone(),
                            workload: w.id.clone(),
                            ports,
                        });
                    }
                }
            }
        }
        exposures.sort();
        exposures.dedup();
        self.cluster.ingress_exposures = exposures;
        if self.errors.is_empty() {
            self.warnings.sort();
            self.warnings.dedup();
            Ok(Loaded {
                cluster: self.cluster,
                warnings: self.warnings,
            })
        } else {
            Err(self.errors)
        }
    }
}

/// The pod-side ports a Service forwards to for a requested port (all TCP service ports when
/// none is requested), as np-guard and the ingress controllers read `targetPort`.
fn service_target_ports(
    svc: &raw::ServiceSpec,
    requested: Option<&raw::IntOrString>,
) -> Vec<raw::IntOrString> {
    let mut out = Vec::new();
    for p in svc.ports.iter().flatten() {
        if p.protocol.as_deref().is_some_and(|proto| proto != "TCP") {
            continue;
        }
        let target = p
            .target_port
            .clone()
            .unwrap_or(raw::IntOrString::Int(p.port));
        match requested {
            None => out.push(target),
            Some(req) => {
                let by_name =
                    matches!(req, raw::IntOrString::Str(s) if p.name.as_deref() == Some(s));
                let by_number = matches!(req, raw::IntOrString::Int(n) if *n == p.port);
                if by_name || by_number || p.target_port.as_ref() == Some(req) {
                    out.push(target);
                    break;
                }
            }
        }
    }
    out
}

/// The kinds the loader reads; every other kind is skipped.
const READ_KINDS: &[&str] = &[
    "Namespace",
    "NetworkPolicy",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Service",
    "Route",
    "Ingress",
];

/// An object's `spec`: a [`Value`] still to convert, or already typed by the fast path.
enum Spec {
    Raw(Value),
    Typed(fast::Spec),
}

impl Spec {
    /// The spec as `T`: converted from the [`Value`], or the fast path's (the default when
    /// the object has none).
    fn take<T: serde::de::DeserializeOwned + Default>(
        self,
        pick: fn(fast::Spec) -> Option<T>,
    ) -> Result<T, Invalid> {
        match self {
            Spec::Raw(v) => from_spec(v),
            Spec::Typed(fast::Spec::Absent) => Ok(T::default()),
            Spec::Typed(s) => {
                pick(s).ok_or_else(|| "the spec was read for another kind".to_string())
            }
        }
    }
}

fn from_spec<T: serde::de::DeserializeOwned + Default>(spec: Value) -> Result<T, Invalid> {
    if spec.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(spec).map_err(|e| format!("bad `spec`: {e}"))
}

fn scalar(v: &Value) -> Result<String, Invalid> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(format!("label value `{other}` is not a string")),
    }
}

fn labels(map: Option<&BTreeMap<String, Value>>) -> Result<Labels, Invalid> {
    let mut l = Labels::new();
    for (k, v) in map.into_iter().flatten() {
        l.insert(k.clone(), scalar(v)?);
    }
    Ok(l)
}

fn protocol(p: Option<&str>) -> Result<Protocol, Invalid> {
    match p {
        None | Some("") => Ok(Protocol::Tcp),
        Some(s) => Protocol::parse(s).ok_or_else(|| format!("unknown protocol `{s}`")),
    }
}

fn port_number(n: i64) -> Result<PortNumber, Invalid> {
    PortNumber::new(n).ok_or_else(|| format!("port `{n}` is outside 1-65535"))
}

fn container_ports(spec: &raw::PodSpec) -> Result<Vec<ContainerPort>, Invalid> {
    let mut out = Vec::new();
    for c in spec.containers.iter().flatten() {
        for p in c.ports.iter().flatten() {
            // A port without `containerPort` (np-guard's cases misspell it) cannot be a
            // destination; Kubernetes would reject it, np-guard ignores it, and so do we.
            let Some(number) = p.container_port else {
                continue;
            };
            out.push(ContainerPort {
                name: p.name.clone().filter(|n| !n.is_empty()).map(PortName::new),
                number: port_number(number)?,
                protocol: protocol(p.protocol.as_deref())?,
            });
        }
    }
    Ok(out)
}

fn selector(s: &raw::Selector) -> Result<LabelSelector, Invalid> {
    let mut sel = LabelSelector::everything();
    for (k, v) in s.match_labels.iter().flatten() {
        sel.match_labels.insert(k.clone(), scalar(v)?);
    }
    for r in s.match_expressions.iter().flatten() {
        let values = r
            .values
            .iter()
            .flatten()
            .map(scalar)
            .collect::<Result<_, _>>()?;
        let operator = match r.operator.as_str() {
            "In" | "NotIn" if r.values.as_ref().is_none_or(Vec::is_empty) => {
                return Err(format!("`{}` on `{}` needs values", r.operator, r.key));
            }
            "In" => SelectorOperator::In(values),
            "NotIn" => SelectorOperator::NotIn(values),
            "Exists" | "DoesNotExist" if r.values.as_ref().is_some_and(|v| !v.is_empty()) => {
                return Err(format!("`{}` on `{}` takes no values", r.operator, r.key));
            }
            "Exists" => SelectorOperator::Exists,
            "DoesNotExist" => SelectorOperator::DoesNotExist,
            other => return Err(format!("unknown selector operator `{other}`")),
        };
        sel.match_expressions.push(LabelRequirement {
            key: r.key.clone(),
            operator,
        });
    }
    Ok(sel)
}

fn cidr(s: &str) -> Result<Cidr, Invalid> {
    Cidr::parse(s).map_err(|e| e.to_string())
}

fn rule(
    peers: Option<&Vec<raw::Peer>>,
    ports: Option<&Vec<raw::Port>>,
) -> Result<PolicyRule, Invalid> {
    let mut out = PolicyRule {
        peers: Vec::new(),
        ports: Vec::new(),
    };
    for p in peers.into_iter().flatten() {
        let peer = match (&p.pod_selector, &p.namespace_selector, &p.ip_block) {
            (None, None, None) => return Err("a peer names no selector and no `ipBlock`".into()),
            (_, _, Some(b)) if p.pod_selector.is_some() || p.namespace_selector.is_some() => {
                let _ = b;
                return Err("a peer combines `ipBlock` with a selector".into());
            }
            (_, _, Some(b)) => PolicyPeer::IpBlock(IpBlock {
                cidr: cidr(&b.cidr)?,
                except: b
                    .except
                    .iter()
                    .flatten()
                    .map(|e| cidr(e))
                    .collect::<Result<_, _>>()?,
            }),
            (pods, namespaces, None) => PolicyPeer::Pods {
                namespaces: namespaces.as_ref().map(selector).transpose()?,
                pods: pods.as_ref().map(selector).transpose()?,
            },
        };
        out.peers.push(peer);
    }
    for p in ports.into_iter().flatten() {
        let proto = protocol(p.protocol.as_deref())?;
        let port = match (&p.port, p.end_port) {
            (None, None) => None,
            (None, Some(_)) => return Err("`endPort` without `port`".into()),
            (Some(raw::IntOrString::Int(n)), end) => {
                let start = port_number(*n)?;
                let end = match end {
                    Some(e) => port_number(e)?,
                    None => start,
                };
                if end < start {
                    return Err(format!("`endPort` {end} is below `port` {start}"));
                }
                Some(PortSpec::Range { start, end })
            }
            (Some(raw::IntOrString::Str(_)), Some(_)) => {
                return Err("`endPort` with a named port".into());
            }
            (Some(raw::IntOrString::Str(s)), None) => {
                Some(PortSpec::Named(PortName::new(s.clone())))
            }
        };
        out.ports.push(PolicyPort {
            protocol: proto,
            port,
        });
    }
    Ok(out)
}

fn policy(
    namespace: NamespaceName,
    name: ObjectName,
    spec: raw::PolicySpec,
) -> Result<NetworkPolicy, Invalid> {
    let pod_selector = match &spec.pod_selector {
        Some(s) => selector(s)?,
        None => LabelSelector::everything(),
    };
    let ingress = spec
        .ingress
        .iter()
        .flatten()
        .map(|r| rule(r.from.as_ref(), r.ports.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let egress = spec
        .egress
        .iter()
        .flatten()
        .map(|r| rule(r.to.as_ref(), r.ports.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let policy_types = match &spec.policy_types {
        Some(types) if !types.is_empty() => {
            let mut t = PolicyTypes {
                ingress: false,
                egress: false,
            };
            for ty in types {
                match ty.as_str() {
                    "Ingress" => t.ingress = true,
                    "Egress" => t.egress = true,
                    other => return Err(format!("unknown policy type `{other}`")),
                }
            }
            t
        }
        _ => PolicyTypes {
            ingress: true,
            egress: !egress.is_empty(),
        },
    };
    Ok(NetworkPolicy {
        namespace,
        name,
        pod_selector,
        policy_types,
        ingress,
        egress,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_yaml_is_an_error() {
        let err = load_str("x.yaml", "kind: Pod\n  bad: [").err();
        assert!(err.is_some());
    }

    #[test]
    fn bad_policy_is_an_error_not_a_panic() {
        let text = "kind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - ports:\n    - port: 70000\n";
        let err = load_str("p.yaml", text).err().unwrap_or_default();
        assert_eq!(err.len(), 1);
        assert!(err[0].to_string().contains("70000"));
    }

    /// The fast path reads every input as the `Value` path does: the same model, the same
    /// warnings, the same errors (scalars that YAML resolves to numbers or booleans included).
    #[test]
    fn fast_path_reads_as_the_value_path() {
        let cases = [
            "kind: NetworkPolicy\nmetadata: {name: p, namespace: a, annotations: {x: y}}\nspec:\n  podSelector: {matchLabels: {app: on}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: b}}}]\n    ports: [{port: 8080}, {port: http, protocol: UDP}]\n  egress:\n  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n    ports: [{port: 53, endPort: 60}]\n",
            "kind: NetworkPolicy\nmetadata: {name: 0755}\nspec: {}\n",
            "kind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  ingress:\n  - ports: [{port: '8080'}]\n",
            "kind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  policyTypes: [yes]\n",
            "spec: {podSelector: {}}\nkind: NetworkPolicy\nmetadata: {name: late}\n",
            "kind: Pod\nmetadata: {name: a, labels: {app: a, n: 5}}\nspec: {containers: [{ports: [{name: http, containerPort: '80'}]}]}\n",
            "kind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {app: d}}, spec: {containers: [{ports: [{containerPort: 80}]}]}}}\n---\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: d}, ports: [{port: 80}]}\n---\nkind: Ingress\nmetadata: {name: i}\nspec: {defaultBackend: {service: {name: s, port: {number: 80}}}}\n",
            "- a\n- b\n---\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n42\n",
            "kind: [x]\nmetadata: {name: n}\n---\nmetadata: {name: nokind}\n",
            "kind: NetworkPolicy\nkind: NetworkPolicy\nmetadata: {name: p}\n",
            "kind: NetworkPolicy\nmetadata: ~\nspec: ~\n",
            "kind: Namespace\nmetadata: {name: a, labels: {team: x}}\nspec: {finalizers: [kubernetes]}\n",
            "kind: List\nitems:\n- kind: NetworkPolicy\n  metadata: {name: p}\n  spec: {podSelector: {}, egress: [{}]}\n",
        ];
        // The fast path takes the usual documents (else this test would compare the `Value`
        // path with itself) and leaves the others to the `Value` path.
        for (i, takes) in [
            (0, true),
            (2, true),
            (4, false),
            (5, false),
            (6, true),
            (7, false),
        ] {
            assert_eq!(
                serde_saphyr::from_multiple::<fast::Doc>(cases[i]).is_ok(),
                takes,
                "{}",
                cases[i]
            );
        }
        for text in cases {
            let sources = [Source {
                name: "s".to_string(),
                text: text.to_string(),
            }];
            let reference = load_sources_with(&sources, Read::Value);
            assert_eq!(load_sources_with(&sources, Read::Fast), reference, "{text}");
            assert_eq!(
                load_sources_with(&sources, Read::Subset),
                reference,
                "{text}"
            );
        }
    }

    /// A later policy of the same namespace and name replaces the earlier ones, with one
    /// warning; policies come out sorted by namespace and name, whatever the input order.
    #[test]
    fn later_policies_replace_earlier_ones() {
        let policy = |ns: &str, name: &str, port: u16| {
            format!(
                "kind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  ingress:\n  - ports:\n    - port: {port}\n"
            )
        };
        let docs = [
            policy("b", "p", 1),
            policy("a", "q", 2),
            policy("b", "p", 3),
            policy("a", "p", 4),
            policy("b", "p", 5),
            policy("a", "q", 6),
        ];
        let loaded = load_str("d.yaml", &docs.join("---\n")).unwrap_or_default();
        let got: Vec<(&str, &str, String)> = loaded
            .cluster
            .policies
            .iter()
            .map(|p| {
                let port = match p.ingress.first().and_then(|r| r.ports.first()) {
                    Some(PolicyPort {
                        port: Some(PortSpec::Range { start, .. }),
                        ..
                    }) => start.to_string(),
                    _ => String::new(),
                };
                (p.namespace.as_str(), p.name.as_str(), port)
            })
            .collect();
        let want = [("a", "p", "4"), ("a", "q", "6"), ("b", "p", "5")];
        assert_eq!(
            got,
            want.map(|(a, b, c)| (a, b, c.to_string())),
            "{:?}",
            loaded.warnings
        );
        assert_eq!(
            loaded.warnings,
            [
                LoadWarning::DuplicatePolicy(NamespaceName::new("a"), ObjectName::new("q")),
                LoadWarning::DuplicatePolicy(NamespaceName::new("b"), ObjectName::new("p")),
            ]
        );
    }

    /// Policies already grouped by namespace in order (the build's files) come out as from
    /// one stable sort by namespace and name, the last of each kept, with the same warnings;
    /// and so do policies that are not (the other way).
    #[test]
    fn grouped_policies_sort_as_one_sort() {
        let mut rng = synthetic::Rng::new(7);
        for round in 0..60 {
            let mut input: Vec<NetworkPolicy> = Vec::new();
            let namespaces = ["a", "b", "c", "d"];
            let names = ["p", "q", "r", "s", "t"];
            for (i, _) in (0..rng.below(30)).enumerate() {
                let ns = if round % 3 == 0 {
                    *rng.pick(&namespaces)
                } else {
                    // Grouped: non-decreasing namespaces.
                    namespaces[(i * namespaces.len()) / 30]
                };
                input.push(NetworkPolicy {
                    namespace: NamespaceName::new(ns),
                    name: ObjectName::new(*rng.pick(&names)),
                    pod_selector: LabelSelector::from_labels([("i".to_string(), i.to_string())]),
                    policy_types: PolicyTypes {
                        ingress: true,
                        egress: false,
                    },
                    ingress: Vec::new(),
                    egress: Vec::new(),
                });
            }
            // The reference: one stable sort, then the last of each namespace and name.
            let mut sorted = input.clone();
            sorted.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            let mut want: Vec<NetworkPolicy> = Vec::new();
            let mut warnings = Vec::new();
            for p in sorted {
                match want.last_mut() {
                    Some(kept) if kept.namespace == p.namespace && kept.name == p.name => {
                        warnings.push(LoadWarning::DuplicatePolicy(
                            kept.namespace.clone(),
                            kept.name.clone(),
                        ));
                        *kept = p;
                    }
                    _ => want.push(p),
                }
            }
            let mut b = Builder {
                policies: input,
                ..Builder::default()
            };
            assert_eq!(b.take_policies(), want, "round {round}");
            assert_eq!(b.warnings, warnings, "round {round}");
        }
    }

    #[test]
    fn lists_and_defaults() {
        let text = r#"
kind: PodList
items:
- metadata: {name: a, labels: {app: a}}
  spec: {containers: [{ports: [{name: http, containerPort: 8080}]}]}
---
kind: List
items:
- kind: NetworkPolicy
  metadata: {name: p}
  spec: {podSelector: {}, egress: [{}]}
- kind: ConfigMap
  metadata: {name: c}
"#;
        let loaded = load_str("l.yaml", text).unwrap_or_default();
        assert_eq!(loaded.cluster.workloads.len(), 1);
        assert_eq!(loaded.cluster.policies.len(), 1);
        let p = &loaded.cluster.policies[0];
        assert_eq!(p.namespace.as_str(), "default");
        assert!(p.policy_types.ingress && p.policy_types.egress);
    }
}
