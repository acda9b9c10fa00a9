//! What every target shares. A target is a pure function from the IR to [`Artifact`]s: typed
//! documents (serde structs) serialized through [`to_yaml`] or [`to_json`], each with the
//! posture items it came from. Targets never see the syntax tree, never touch the file system
//! and never build YAML, JSON, CEL or Falco conditions from strings.

/// Serializer methods that refuse their shape: each `name(argument types)` listed returns
/// `Err(err)`. For the serializers here that take only some shapes (the fast YAML writer, the
/// layout's probe), which refuse with their own error.
macro_rules! refuse {
    ($err:expr; $($f:ident($($t:ty),*)),* $(,)?) => {
        $(fn $f(self, $(_: $t),*) -> ::std::result::Result<Self::Ok, Self::Error> { Err($err) })*
    };
}

/// The compound and variant shapes (newtype, tuple and struct variants, tuples, tuple structs)
/// a [`refuse!`] serializer also refuses, with `err`.
macro_rules! refuse_compounds {
    ($err:expr) => {
        fn serialize_newtype_variant<T: ::serde::Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> ::std::result::Result<Self::Ok, Self::Error> {
            Err($err)
        }
        fn serialize_tuple(
            self,
            _: usize,
        ) -> ::std::result::Result<Self::SerializeTuple, Self::Error> {
            Err($err)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> ::std::result::Result<Self::SerializeTupleStruct, Self::Error> {
            Err($err)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> ::std::result::Result<Self::SerializeTupleVariant, Self::Error> {
            Err($err)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> ::std::result::Result<Self::SerializeStructVariant, Self::Error> {
            Err($err)
        }
    };
}

pub mod k8s;
pub mod layout;
pub mod netpol;
pub mod path;
mod yaml;

use diagnostics::Span;
use serde::Serialize;

/// Annotation listing the control ids a Kubernetes object implements.
pub const CONTROLS_ANNOTATION: &str = "posture.dev/controls";
/// Annotation naming the posture item an object came from.
pub const SOURCE_ANNOTATION: &str = "posture.dev/source";

/// The posture item an artifact came from: its id and where it was declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// `namespace.optimal-system`, `admission.require-labels`, ….
    pub item: ir::ItemId,
    pub span: Span,
}

/// A target, by the name of its crate and of the output folder it writes (`network`). Each
/// target crate declares its own (`network::TARGET`); `driver::targets` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TargetId(pub &'static str);

impl TargetId {
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for TargetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// What an artifact is for; the target that writes it says.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A document a cluster component enforces (Kyverno, Namespaces, NetworkPolicies, Falco,
    /// Keycloak, RBAC, secrets): an item implements a control only through one of these.
    Enforcing,
    /// Configuration a component reads at start (API-server flags and files): it enforces
    /// too, but it is not applied with kubectl.
    Configuration,
    /// Evidence and reports (OSCAL, the coverage report, the manifest).
    Evidence,
}

impl Role {
    /// True for the roles whose artifacts enforce what their items say (enforcing documents
    /// and component configuration).
    pub fn enforces(self) -> bool {
        matches!(self, Role::Enforcing | Role::Configuration)
    }
}

impl Origin {
    pub fn new(item: ir::ItemId, span: Span) -> Origin {
        Origin { item, span }
    }
}

/// The value of [`SOURCE_ANNOTATION`] for objects made from `items`: their ids
/// (`admission.require-labels`, `network.allow portal -> api-gateway:8000`), sorted, without
/// duplicates, joined by `, `. Every target writes the annotation through this function, so
/// it has one format.
pub fn source_annotation<'a>(items: impl IntoIterator<Item = &'a ir::ItemId>) -> String {
    let mut ids: Vec<&ir::ItemId> = items.into_iter().collect();
    ids.sort();
    ids.dedup();
    // As `ItemId`'s `Display` writes each, without the formatting machinery (a policy of a
    // large posture names thousands).
    let mut out = String::with_capacity(ids.iter().map(|id| id.name.0.len() + 16).sum());
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        out.push_str(id.block.as_str());
        if !id.name.0.is_empty() {
            out.push('.');
            out.push_str(&id.name.0);
        }
    }
    out
}

/// One output file of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The target that wrote it.
    pub target: TargetId,
    /// What it is for.
    pub role: Role,
    /// Path inside the output directory, `/`-separated: `<target>/<file>`; no file name longer
    /// than 255 bytes ([`Artifact::yaml`] shortens long ones with [`path::fit_path`]).
    pub path: String,
    pub bytes: Vec<u8>,
    pub origins: Vec<Origin>,
    /// A Kubernetes manifest a user applies with kubectl (listed in `kustomization.yaml`).
    pub applyable: bool,
    /// Where the Kubernetes object belongs in the output layout ([`layout`]): its namespace,
    /// or the cluster. [`Artifact::yaml`] reads it from the typed document; `None` for files
    /// that are not Kubernetes objects, which keep their own path.
    pub placement: Option<layout::Placement>,
}

impl Artifact {
    /// A YAML artifact of one typed document, written by `target` for `role`.
    pub fn yaml<T: Serialize>(
        target: TargetId,
        role: Role,
        path: impl Into<String>,
        doc: &T,
        origins: Vec<Origin>,
        applyable: bool,
    ) -> Artifact {
        Artifact {
            target,
            role,
            // Every target's paths go through here: no file name over 255 bytes.
            path: path::fit_owned(path.into()),
            bytes: to_yaml(doc).into_bytes(),
            origins,
            applyable,
            placement: layout::placement(doc),
        }
    }
}

/// One proof a target ran over the build's artifacts: its id (as `posture explain` and the
/// control graph name it), what it proves, the artifacts it verifies, and its diagnostics
/// (none when it holds; an error means the build must not be written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// `network-reachability-proof`.
    pub id: &'static str,
    /// One line: what it proves.
    pub title: &'static str,
    /// The paths of the artifacts it verified, sorted.
    pub verifies: Vec<String>,
    pub diagnostics: Vec<diagnostics::Diagnostic>,
}

impl Proof {
    /// True when the proof found no error.
    pub fn holds(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(diagnostics::Diagnostic::is_error)
    }
}

/// Serializes `value` as one YAML document, with a trailing newline and no `---` marker: the
/// one function every target writes YAML through.
///
/// Strings that a YAML 1.1 reader (Kubernetes') would take for something else are quoted by
/// serde-saphyr: booleans (`on`, `off`, `yes`, `no`, `y`, `n`), octal-looking numbers
/// (`0755`), nulls, floats and timestamps. A test reads every emitted file back with a YAML 1.1
/// parser and compares it with the typed value.
///
/// Our documents are structs, sequences, strings, numbers and string-keyed maps, which always
/// serialize; should one ever fail, the result is a YAML comment naming the error (a document
/// that reads as empty), never a panic.
///
/// Most documents are written by a faster writer of the same layout ([`yaml`]); what it
/// declines, serde-saphyr writes. Debug builds (the test suite) write every document both
/// ways and require the same bytes.
pub fn to_yaml<T: Serialize>(value: &T) -> String {
    match yaml::to_string(value) {
        Some(fast) => {
            debug_assert_eq!(
                fast,
                to_yaml_reference(value),
                "the fast YAML writer and serde-saphyr disagree"
            );
            fast
        }
        None => to_yaml_reference(value),
    }
}

/// [`to_yaml`] through serde-saphyr alone: the reference the fast writer is held to.
#[doc(hidden)]
pub fn to_yaml_reference<T: Serialize>(value: &T) -> String {
    match serde_saphyr::to_string(value) {
        Ok(mut s) => {
            if !s.ends_with('\n') {
                s.push('\n');
            }
            s
        }
        Err(e) => {
            let reason: String = e
                .to_string()
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            format!("# posture could not serialize this document: {reason}\n")
        }
    }
}

/// Pretty JSON with a trailing newline: the one JSON writer, [`diagnostics::to_json`].
pub use diagnostics::to_json;

/// The control ids of `satisfies` lists, deduplicated and sorted, joined for an annotation.
pub fn controls_annotation<'a>(
    lists: impl IntoIterator<Item = &'a [ir::controls::ControlRef]>,
) -> Option<String> {
    let mut ids: Vec<String> = lists.into_iter().flatten().map(|c| c.to_string()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        None
    } else {
        Some(ids.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn the_source_annotation_names_each_item_once_as_its_id_prints() {
        use ir::{Block, ItemId};
        let a = ItemId::new(Block::Network, "allow a -> b:http");
        let b = ItemId::block(Block::Mesh);
        let c = ItemId::new(Block::Admission, "require-labels");
        let got = source_annotation([&a, &b, &c, &a]);
        // The items in their order, each once, as `Display` prints them.
        let mut ids = [&a, &b, &c];
        ids.sort();
        let want: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(got, want.join(", "));
        assert_eq!(source_annotation(std::iter::empty()), "");
    }

    #[test]
    fn yaml_quotes_yaml_1_1_specials() {
        let mut m = BTreeMap::new();
        for (i, s) in [
            "on",
            "off",
            "yes",
            "no",
            "y",
            "n",
            "Y",
            "NO",
            "0755",
            "null",
            "~",
            "1e3",
            "2027-01-31",
            "true",
        ]
        .iter()
        .enumerate()
        {
            m.insert(format!("k{i:02}"), s.to_string());
        }
        let text = to_yaml(&m);
        for line in text.lines() {
            let value = line.split_once(": ").map(|(_, v)| v).unwrap_or("");
            assert!(
                value.starts_with('"') || value.starts_with('\''),
                "unquoted special scalar: {line}"
            );
        }
    }
}
