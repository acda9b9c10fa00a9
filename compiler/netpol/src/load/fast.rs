//! The loader's fast path: a document read straight from the YAML into the typed shapes of
//! [`super::raw`], without building a [`Value`] tree for the whole document first.
//!
//! It takes only documents it reads exactly as the [`Value`] path would: a mapping whose
//! `kind` (when there is one) comes before its `spec`, with no `items`, no repeated key and no
//! `List` kind. Anything else is an error here, and [`super::load_sources`] then reads the
//! whole source through [`Value`]s. Leaf fields resolve their scalars through a [`Value`]
//! ([`super::raw::strict`]), so a plain `80` or `on` is never taken for a string.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::raw;

/// One document as the fast path read it.
#[derive(Debug)]
pub(super) struct Doc {
    /// The `kind`, when it is a string (else the document is not an object the loader reads).
    pub(super) kind: Option<String>,
    pub(super) metadata: raw::Meta,
    pub(super) spec: Spec,
}

/// The `spec` of a kind the loader reads, typed; [`Spec::Absent`] when there is none (or it
/// is null, or the kind does not need it).
#[derive(Debug)]
pub(super) enum Spec {
    Absent,
    Policy(raw::PolicySpec),
    /// A NetworkPolicy's spec read straight into the model ([`super::direct`]).
    Model(super::direct::PolicyParts),
    Pod(raw::PodSpec),
    Service(raw::ServiceSpec),
    Route(raw::RouteSpec),
    Ingress(raw::IngressSpec),
    Controller(raw::ControllerSpec),
}

impl Spec {
    pub(super) fn policy(self) -> Option<raw::PolicySpec> {
        match self {
            Spec::Policy(s) => Some(s),
            _ => None,
        }
    }
    pub(super) fn pod(self) -> Option<raw::PodSpec> {
        match self {
            Spec::Pod(s) => Some(s),
            _ => None,
        }
    }
    pub(super) fn service(self) -> Option<raw::ServiceSpec> {
        match self {
            Spec::Service(s) => Some(s),
            _ => None,
        }
    }
    pub(super) fn route(self) -> Option<raw::RouteSpec> {
        match self {
            Spec::Route(s) => Some(s),
            _ => None,
        }
    }
    pub(super) fn ingress(self) -> Option<raw::IngressSpec> {
        match self {
            Spec::Ingress(s) => Some(s),
            _ => None,
        }
    }
    pub(super) fn controller(self) -> Option<raw::ControllerSpec> {
        match self {
            Spec::Controller(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
        d.deserialize_map(DocVisitor)
    }
}

struct DocVisitor;

fn typed<'de, A, T>(map: &mut A, wrap: fn(T) -> Spec) -> Result<Spec, A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    Ok(map.next_value::<Option<T>>()?.map_or(Spec::Absent, wrap))
}

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        // `None`: no `kind` seen yet; `Some(None)`: a `kind` that is not a string.
        let mut kind: Option<Option<String>> = None;
        let mut metadata: Option<raw::Meta> = None;
        let mut spec: Option<Spec> = None;
        let other = |what: &str| de::Error::custom(format!("not for the fast path: {what}"));
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "kind" => {
                    if kind.is_some() {
                        return Err(other("a repeated `kind`"));
                    }
                    let k = map.next_value::<Value>()?.as_str().map(str::to_string);
                    if k.as_deref().is_some_and(|k| k.ends_with("List")) {
                        return Err(other("a list"));
                    }
                    kind = Some(k);
                }
                "metadata" => {
                    if metadata.is_some() {
                        return Err(other("a repeated `metadata`"));
                    }
                    metadata = Some(map.next_value()?);
                }
                "spec" => {
                    if spec.is_some() {
                        return Err(other("a repeated `spec`"));
                    }
                    let Some(k) = &kind else {
                        return Err(other("`spec` before `kind`"));
                    };
                    spec = Some(match k.as_deref() {
                        Some("NetworkPolicy") => typed(&mut map, Spec::Policy)?,
                        Some("Pod") => typed(&mut map, Spec::Pod)?,
                        Some("Service") => typed(&mut map, Spec::Service)?,
                        Some("Route") => typed(&mut map, Spec::Route)?,
                        Some("Ingress") => typed(&mut map, Spec::Ingress)?,
                        Some(
                            "Deployment"
                            | "StatefulSet"
                            | "DaemonSet"
                            | "ReplicaSet"
                            | "ReplicationController"
                            | "Job"
                            | "CronJob",
                        ) => typed(&mut map, Spec::Controller)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            Spec::Absent
                        }
                    });
                }
                "items" => return Err(other("`items`")),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Doc {
            kind: kind.flatten(),
            metadata: metadata.unwrap_or_default(),
            spec: spec.unwrap_or(Spec::Absent),
        })
    }
}
