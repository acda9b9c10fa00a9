//! What every target shares. A target is a pure function from the IR to [`Artifact`]s: typed
//! documents (serde structs) serialized through [`to_yaml`] or [`to_json`], each with the
//! posture items it came from. Targets never see the syntax tree, never touch the file system
//! and never build YAML, JSON, CEL or Falco conditions from strings.

pub mod k8s;
pub mod path;

use diagnostics::Span;
use serde::Serialize;

/// Annotation listing the control ids a Kubernetes object implements.
pub const CONTROLS_ANNOTATION: &str = "posture.dev/controls";
/// Annotation naming the posture item an object came from.
pub const SOURCE_ANNOTATION: &str = "posture.dev/source";

/// The posture item an artifact came from: a short description and where it was declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// `namespace optimal-system`, `admission.require-labels`, ….
    pub item: String,
    pub span: Span,
}

/// One output file of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Path inside the output directory, `/`-separated: `<target>/<file>`; no file name longer
    /// than 255 bytes ([`Artifact::yaml`] shortens long ones with [`path::fit_path`]).
    pub path: String,
    pub bytes: Vec<u8>,
    pub origins: Vec<Origin>,
    /// A Kubernetes manifest a user applies with kubectl (listed in `kustomization.yaml`).
    pub applyable: bool,
}

impl Artifact {
    /// A YAML artifact of one typed document.
    pub fn yaml<T: Serialize>(
        path: impl Into<String>,
        doc: &T,
        origins: Vec<Origin>,
        applyable: bool,
    ) -> Artifact {
        Artifact {
            // Every target's paths go through here: no file name over 255 bytes.
            path: path::fit_path(&path.into()),
            bytes: to_yaml(doc).into_bytes(),
            origins,
            applyable,
        }
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
pub fn to_yaml<T: Serialize>(value: &T) -> String {
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

/// Serializes `value` as pretty JSON with a trailing newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(_) => "null\n".to_string(),
    }
}

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
