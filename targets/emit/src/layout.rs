//! The one output layout: where every Kubernetes object a target emits lands on disk.
//!
//! Targets emit one [`Artifact`] per object, at a path of their choosing (what their own tests
//! and the target-level conformance suites read). The build then lays them out with [`lay_out`],
//! the same way for every target and every size:
//!
//! | objects | file |
//! | --- | --- |
//! | a target's namespaced objects of namespace `NS` | `<target>/NS.yaml` |
//! | a target's cluster-scoped objects, Namespace objects among them | `<target>/_cluster.yaml` |
//!
//! Each file is a multi-document YAML stream (`---` between documents) in the order the target
//! emitted the objects. A path depends only on a target and a namespace, never on how many
//! objects there are, so a path does not move when the posture grows, and a posture of 1,000
//! namespaces writes about 1,000 files per target. `_cluster` cannot clash with a namespace:
//! a namespace name never starts with `_`.
//!
//! Only applyable artifacts (Kubernetes manifests) are grouped; everything else (component
//! configuration, the Falco rules file, evidence) keeps its own path. A grouped file keeps the
//! union of its objects' origins, and each object keeps its own `posture.dev/source` annotation,
//! so a flow or a rule still traces to its posture item.
//!
//! Where an object belongs is read from the typed document when [`Artifact::yaml`] serializes
//! it ([`placement`]), so a new target inherits the layout without any code of its own.

use crate::Artifact;
use serde::Serialize;
use serde::ser::{self, Impossible};
use std::collections::HashMap;
use std::fmt;

/// The file name (without `.yaml`) of a target's cluster-scoped objects.
pub const CLUSTER_FILE: &str = "_cluster";

/// Where a Kubernetes object belongs in the layout.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Placement {
    /// In a namespace: a namespaced object.
    Namespace(String),
    /// A cluster-scoped object, a Namespace object among them. The namespaces target emits
    /// only Namespace objects: filed by namespace, 1,000 namespaces made 1,000 one-object
    /// files, half of all the files of the 10,000-workload posture and of their cost to create.
    Cluster,
}

impl Placement {
    /// The file stem of this placement: the namespace, or [`CLUSTER_FILE`].
    pub fn stem(&self) -> &str {
        match self {
            Placement::Namespace(ns) => ns,
            Placement::Cluster => CLUSTER_FILE,
        }
    }
}

/// The placement of a typed Kubernetes object from its `kind`, `metadata.name` and
/// `metadata.namespace`, read while serializing (nothing else of the document is visited).
/// `None` for a document that is not a Kubernetes object (no `kind` or no `metadata`).
pub fn placement<T: Serialize + ?Sized>(doc: &T) -> Option<Placement> {
    let mut head = Head::default();
    // Errors only mean "not an object we understand".
    let _ = doc.serialize(Top(&mut head));
    head.kind.as_ref()?;
    head.name.as_ref()?;
    Some(match head.namespace {
        Some(ns) => Placement::Namespace(ns),
        None => Placement::Cluster,
    })
}

/// The artifacts as the build writes them: every applyable artifact with a placement merged
/// into `<target>/<namespace>.yaml` or `<target>/_cluster.yaml` (see the module docs), in the
/// order of the first object of each file; every other artifact unchanged, in place.
pub fn lay_out(artifacts: Vec<Artifact>) -> Vec<Artifact> {
    // First pass: the slot in the output of each artifact (its file's, for a grouped one), and
    // per slot its size and, for a grouped file, its path, so that every file is allocated
    // once at its size.
    let mut slot_of: Vec<usize> = Vec::with_capacity(artifacts.len());
    let mut slots: Vec<(usize, Option<String>)> = Vec::new();
    let mut files: HashMap<String, usize> = HashMap::new();
    let mut key = String::new();
    for a in &artifacts {
        let Some(place) = grouped(a) else {
            slot_of.push(slots.len());
            slots.push((a.bytes.len(), None));
            continue;
        };
        key.clear();
        key.push_str(a.target.0);
        key.push('/');
        key.push_str(place.stem());
        key.push_str(".yaml");
        match files.get(key.as_str()) {
            Some(&i) => {
                slot_of.push(i);
                // A separating newline (when the file so far does not end in one) and `---`.
                slots[i].0 += 5 + a.bytes.len();
            }
            None => {
                files.insert(key.clone(), slots.len());
                slot_of.push(slots.len());
                slots.push((a.bytes.len(), Some(crate::path::fit_path(&key))));
            }
        }
    }
    // Second pass: each file made from its first object, then the others appended in order.
    let mut out: Vec<Option<Artifact>> = Vec::with_capacity(slots.len());
    out.resize_with(slots.len(), || None);
    for (mut a, slot) in artifacts.into_iter().zip(slot_of) {
        match &mut out[slot] {
            None => {
                let (size, path) = &mut slots[slot];
                if let Some(path) = path.take() {
                    a.path = path;
                    a.bytes.reserve_exact(size.saturating_sub(a.bytes.len()));
                }
                out[slot] = Some(a);
            }
            Some(file) => {
                if !file.bytes.ends_with(b"\n") && !file.bytes.is_empty() {
                    file.bytes.push(b'\n');
                }
                file.bytes.extend_from_slice(b"---\n");
                file.bytes.extend_from_slice(&a.bytes);
                file.origins.extend(a.origins);
            }
        }
    }
    let mut out: Vec<Artifact> = out.into_iter().flatten().collect();
    for a in &mut out {
        if grouped(a).is_some() {
            a.origins.sort();
            a.origins.dedup();
        }
    }
    out
}

/// Where an artifact is grouped: its placement, for an applyable artifact that has one.
fn grouped(a: &Artifact) -> Option<&Placement> {
    a.placement.as_ref().filter(|_| a.applyable)
}

/// What [`placement`] reads.
#[derive(Default)]
struct Head {
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

/// The probe's error: the document is not shaped like a Kubernetes object.
#[derive(Debug)]
struct NotAnObject;

impl fmt::Display for NotAnObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a Kubernetes object")
    }
}

impl std::error::Error for NotAnObject {}

impl ser::Error for NotAnObject {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotAnObject
    }
}

/// Serializers that accept only some shapes: every other method fails (the probe stops).
macro_rules! refuse_all_but_structs_and_maps {
    () => {
        refuse! {
            NotAnObject;
            serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
            serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
            serialize_u64(u64), serialize_f32(f32), serialize_f64(f64), serialize_char(char),
            serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
            serialize_unit_struct(&'static str),
            serialize_unit_variant(&'static str, u32, &'static str),
        }
        refuse_compounds!(NotAnObject);
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAnObject> {
            Err(NotAnObject)
        }
    };
}

/// Which level of the document a probe looks at.
#[derive(Clone, Copy)]
enum Level {
    /// The object: `kind` and `metadata`.
    Top,
    /// `metadata`: `name` and `namespace`.
    Meta,
}

/// The probe of the document (the object, then its metadata).
struct Top<'a>(&'a mut Head);
/// The probe of `metadata`.
struct Meta<'a>(&'a mut Head);

/// A struct or map at `level`: its interesting fields are probed, the rest skipped unvisited.
struct Fields<'a> {
    head: &'a mut Head,
    level: Level,
    key: Option<String>,
}

impl Fields<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), NotAnObject> {
        let slot = match (self.level, key) {
            (Level::Top, "kind") => &mut self.head.kind,
            (Level::Top, "metadata") => return value.serialize(Meta(self.head)),
            (Level::Meta, "name") => &mut self.head.name,
            (Level::Meta, "namespace") => &mut self.head.namespace,
            _ => return Ok(()),
        };
        *slot = value.serialize(Text).ok().flatten();
        Ok(())
    }
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = NotAnObject;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotAnObject> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), NotAnObject> {
        Ok(())
    }
}

impl ser::SerializeMap for Fields<'_> {
    type Ok = ();
    type Error = NotAnObject;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NotAnObject> {
        self.key = key.serialize(Text).ok().flatten();
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NotAnObject> {
        match self.key.take() {
            Some(k) => self.field(&k, value),
            None => Ok(()),
        }
    }
    fn end(self) -> Result<(), NotAnObject> {
        Ok(())
    }
}

macro_rules! structs_and_maps {
    ($probe:ident, $level:expr) => {
        impl<'a> ser::Serializer for $probe<'a> {
            type Ok = ();
            type Error = NotAnObject;
            type SerializeSeq = Impossible<(), NotAnObject>;
            type SerializeTuple = Impossible<(), NotAnObject>;
            type SerializeTupleStruct = Impossible<(), NotAnObject>;
            type SerializeTupleVariant = Impossible<(), NotAnObject>;
            type SerializeMap = Fields<'a>;
            type SerializeStruct = Fields<'a>;
            type SerializeStructVariant = Impossible<(), NotAnObject>;

            refuse_all_but_structs_and_maps!();

            fn serialize_str(self, _: &str) -> Result<(), NotAnObject> {
                Err(NotAnObject)
            }
            fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), NotAnObject> {
                v.serialize(self)
            }
            fn serialize_newtype_struct<T: Serialize + ?Sized>(
                self,
                _: &'static str,
                v: &T,
            ) -> Result<(), NotAnObject> {
                v.serialize(self)
            }
            fn serialize_map(self, _: Option<usize>) -> Result<Fields<'a>, NotAnObject> {
                Ok(Fields {
                    head: self.0,
                    level: $level,
                    key: None,
                })
            }
            fn serialize_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Fields<'a>, NotAnObject> {
                Ok(Fields {
                    head: self.0,
                    level: $level,
                    key: None,
                })
            }
        }
    };
}

structs_and_maps!(Top, Level::Top);
structs_and_maps!(Meta, Level::Meta);

/// Reads a string (through `Option` and newtypes); `Ok(None)` for `None`.
struct Text;

impl ser::Serializer for Text {
    type Ok = Option<String>;
    type Error = NotAnObject;
    type SerializeSeq = Impossible<Option<String>, NotAnObject>;
    type SerializeTuple = Impossible<Option<String>, NotAnObject>;
    type SerializeTupleStruct = Impossible<Option<String>, NotAnObject>;
    type SerializeTupleVariant = Impossible<Option<String>, NotAnObject>;
    type SerializeMap = Impossible<Option<String>, NotAnObject>;
    type SerializeStruct = Impossible<Option<String>, NotAnObject>;
    type SerializeStructVariant = Impossible<Option<String>, NotAnObject>;

    fn serialize_str(self, v: &str) -> Result<Option<String>, NotAnObject> {
        Ok(Some(v.to_string()))
    }
    fn serialize_none(self) -> Result<Option<String>, NotAnObject> {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Option<String>, NotAnObject> {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Option<String>, NotAnObject> {
        v.serialize(self)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<String>, NotAnObject> {
        Ok(Some(variant.to_string()))
    }
    fn serialize_char(self, c: char) -> Result<Option<String>, NotAnObject> {
        Ok(Some(c.to_string()))
    }
    refuse! {
        NotAnObject;
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
        serialize_u64(u64), serialize_f32(f32), serialize_f64(f64), serialize_bytes(&[u8]),
        serialize_unit(), serialize_unit_struct(&'static str),
    }
    refuse_compounds!(NotAnObject);
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAnObject> {
        Err(NotAnObject)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAnObject> {
        Err(NotAnObject)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotAnObject> {
        Err(NotAnObject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::ObjectMeta;
    use crate::{Role, TargetId};
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Obj {
        api_version: &'static str,
        kind: &'static str,
        metadata: ObjectMeta,
        spec: BTreeMap<String, Vec<u32>>,
    }

    fn obj(kind: &'static str, name: &str, ns: Option<&str>) -> Obj {
        Obj {
            api_version: "v1",
            kind,
            metadata: ObjectMeta::named(name, ns.map(str::to_string)),
            spec: BTreeMap::from([("x".to_string(), vec![1, 2])]),
        }
    }

    #[test]
    fn placement_reads_kind_name_and_namespace() {
        assert_eq!(
            placement(&obj("NetworkPolicy", "p", Some("apps"))),
            Some(Placement::Namespace("apps".into()))
        );
        assert_eq!(
            placement(&obj("Namespace", "apps", None)),
            Some(Placement::Cluster)
        );
        assert_eq!(
            placement(&obj("ClusterPolicy", "c", None)),
            Some(Placement::Cluster)
        );
        // Untyped documents (maps) too.
        let v: BTreeMap<&str, serde_json::Value> = BTreeMap::from([
            ("kind", serde_json::json!("Role")),
            (
                "metadata",
                serde_json::json!({"name": "r", "namespace": "on"}),
            ),
        ]);
        assert_eq!(placement(&v), Some(Placement::Namespace("on".into())));
        // Not objects.
        assert_eq!(placement(&vec!["a"]), None);
        assert_eq!(placement(&BTreeMap::from([("kind", "X")])), None);
        assert_eq!(placement("text"), None);
    }

    fn art(target: &'static str, path: &str, doc: &Obj, applyable: bool) -> Artifact {
        Artifact::yaml(
            TargetId(target),
            Role::Enforcing,
            path,
            doc,
            Vec::new(),
            applyable,
        )
    }

    #[test]
    fn objects_are_grouped_per_target_and_namespace() {
        let out = lay_out(vec![
            art(
                "net",
                "net/a/p1.yaml",
                &obj("NetworkPolicy", "p1", Some("a")),
                true,
            ),
            art("net", "net/c.yaml", &obj("ClusterThing", "c", None), true),
            art(
                "net",
                "net/b/p2.yaml",
                &obj("NetworkPolicy", "p2", Some("b")),
                true,
            ),
            art(
                "net",
                "net/a/p3.yaml",
                &obj("NetworkPolicy", "p3", Some("a")),
                true,
            ),
            art(
                "net",
                "net/conf.yaml",
                &obj("NetworkPolicy", "x", Some("a")),
                false,
            ),
            art("ns", "ns/a.yaml", &obj("Namespace", "a", None), true),
        ]);
        let paths: Vec<&str> = out.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "net/a.yaml",
                "net/_cluster.yaml",
                "net/b.yaml",
                "net/conf.yaml",
                "ns/_cluster.yaml"
            ]
        );
        let text = String::from_utf8(out[0].bytes.clone()).expect("utf-8");
        let docs: Vec<&str> = text.split("---\n").collect();
        assert_eq!(docs.len(), 2, "{text}");
        assert!(docs[0].contains("name: p1") && docs[1].contains("name: p3"));
        assert_eq!(
            out,
            lay_out(vec![
                art(
                    "net",
                    "net/a/p1.yaml",
                    &obj("NetworkPolicy", "p1", Some("a")),
                    true
                ),
                art("net", "net/c.yaml", &obj("ClusterThing", "c", None), true),
                art(
                    "net",
                    "net/b/p2.yaml",
                    &obj("NetworkPolicy", "p2", Some("b")),
                    true
                ),
                art(
                    "net",
                    "net/a/p3.yaml",
                    &obj("NetworkPolicy", "p3", Some("a")),
                    true
                ),
                art(
                    "net",
                    "net/conf.yaml",
                    &obj("NetworkPolicy", "x", Some("a")),
                    false
                ),
                art("ns", "ns/a.yaml", &obj("Namespace", "a", None), true),
            ]),
            "deterministic"
        );
    }
}
