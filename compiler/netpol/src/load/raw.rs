//! The shapes of the Kubernetes objects the loader reads, as serde structs: only the fields
//! the analysis needs; everything else is ignored.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Reads a field as a [`Value`] first and converts it from there, so a field read straight from
/// the YAML (the loader's fast path) resolves its scalars exactly as the [`Value`] path does: a
/// plain `80`, `on` or `0755` is a number or a boolean, never a string, whatever the field's
/// type. Every leaf field of these shapes goes through it.
pub(crate) fn strict<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    serde_json::from_value(v).map_err(serde::de::Error::custom)
}

/// `metadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Meta {
    #[serde(default, deserialize_with = "strict")]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) namespace: Option<String>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) labels: Option<BTreeMap<String, Value>>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) owner_references: Option<Vec<OwnerRef>>,
}

/// One `ownerReferences` entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OwnerRef {
    pub(crate) kind: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) controller: Option<bool>,
}

/// An object's envelope: metadata and the raw spec.
#[derive(Debug, Deserialize)]
pub(crate) struct Object {
    #[serde(default)]
    pub(crate) metadata: Meta,
    #[serde(default)]
    pub(crate) spec: Value,
}

/// A number or a name (`IntOrString`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub(crate) enum IntOrString {
    Int(i64),
    Str(String),
}

/// A container port.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContainerPort {
    pub(crate) name: Option<String>,
    pub(crate) container_port: Option<i64>,
    pub(crate) protocol: Option<String>,
}

/// A container (only its ports matter).
#[derive(Debug, Deserialize)]
pub(crate) struct Container {
    pub(crate) ports: Option<Vec<ContainerPort>>,
}

/// A pod spec.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PodSpec {
    #[serde(default, deserialize_with = "strict")]
    pub(crate) containers: Option<Vec<Container>>,
}

/// A pod template.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PodTemplate {
    #[serde(default)]
    pub(crate) metadata: Meta,
    #[serde(default)]
    pub(crate) spec: PodSpec,
}

/// The spec of a controller with a pod template.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ControllerSpec {
    pub(crate) template: Option<PodTemplate>,
    pub(crate) job_template: Option<JobTemplate>,
}

/// A CronJob's job template.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct JobTemplate {
    pub(crate) spec: Option<Box<ControllerSpec>>,
}

/// A label selector.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Selector {
    #[serde(default, deserialize_with = "strict")]
    pub(crate) match_labels: Option<BTreeMap<String, Value>>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) match_expressions: Option<Vec<Requirement>>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Deserialize)]
pub(crate) struct Requirement {
    pub(crate) key: String,
    pub(crate) operator: String,
    pub(crate) values: Option<Vec<Value>>,
}

/// An `ipBlock`.
#[derive(Debug, Deserialize)]
pub(crate) struct IpBlock {
    pub(crate) cidr: String,
    pub(crate) except: Option<Vec<String>>,
}

/// A rule peer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Peer {
    #[serde(default, deserialize_with = "strict")]
    pub(crate) pod_selector: Option<Selector>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) namespace_selector: Option<Selector>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) ip_block: Option<IpBlock>,
}

/// A rule port.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Port {
    pub(crate) protocol: Option<String>,
    pub(crate) port: Option<IntOrString>,
    pub(crate) end_port: Option<i64>,
}

/// An ingress or egress rule.
#[derive(Debug, Deserialize)]
pub(crate) struct Rule {
    pub(crate) from: Option<Vec<Peer>>,
    pub(crate) to: Option<Vec<Peer>>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) ports: Option<Vec<Port>>,
}

/// A NetworkPolicy spec.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicySpec {
    #[serde(default, deserialize_with = "strict")]
    pub(crate) pod_selector: Option<Selector>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) policy_types: Option<Vec<String>>,
    pub(crate) ingress: Option<Vec<Rule>>,
    pub(crate) egress: Option<Vec<Rule>>,
}

/// A Service port.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServicePort {
    pub(crate) name: Option<String>,
    pub(crate) port: i64,
    pub(crate) target_port: Option<IntOrString>,
    pub(crate) protocol: Option<String>,
}

/// A Service spec.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ServiceSpec {
    #[serde(default, deserialize_with = "strict")]
    pub(crate) selector: Option<BTreeMap<String, Value>>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) ports: Option<Vec<ServicePort>>,
}

/// A Route's target.
#[derive(Debug, Deserialize)]
pub(crate) struct RouteTarget {
    pub(crate) kind: Option<String>,
    pub(crate) name: String,
}

/// A Route's port.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoutePort {
    pub(crate) target_port: IntOrString,
}

/// An OpenShift Route spec.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteSpec {
    #[serde(default, deserialize_with = "strict")]
    pub(crate) to: Option<RouteTarget>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) alternate_backends: Option<Vec<RouteTarget>>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) port: Option<RoutePort>,
}

/// An Ingress backend's service port.
#[derive(Debug, Deserialize)]
pub(crate) struct BackendPort {
    pub(crate) name: Option<String>,
    pub(crate) number: Option<i64>,
}

/// An Ingress backend's service.
#[derive(Debug, Deserialize)]
pub(crate) struct BackendService {
    pub(crate) name: String,
    pub(crate) port: Option<BackendPort>,
}

/// An Ingress backend.
#[derive(Debug, Deserialize)]
pub(crate) struct Backend {
    pub(crate) service: Option<BackendService>,
}

/// One HTTP path of an Ingress rule.
#[derive(Debug, Deserialize)]
pub(crate) struct IngressPath {
    pub(crate) backend: Backend,
}

/// The HTTP part of an Ingress rule.
#[derive(Debug, Deserialize)]
pub(crate) struct IngressHttp {
    pub(crate) paths: Vec<IngressPath>,
}

/// An Ingress rule.
#[derive(Debug, Deserialize)]
pub(crate) struct IngressRule {
    pub(crate) http: Option<IngressHttp>,
}

/// An Ingress spec.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IngressSpec {
    #[serde(default, deserialize_with = "strict")]
    pub(crate) default_backend: Option<Backend>,
    #[serde(default, deserialize_with = "strict")]
    pub(crate) rules: Option<Vec<IngressRule>>,
}
