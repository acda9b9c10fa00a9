//! A build's output directory as the objects `posture apply` sends: read through its
//! `manifest.json`, every file checked against the digest the manifest records (fail closed: a
//! file edited after the build, a missing file or a link is refused, nothing is applied), the
//! applyable files parsed document by document, and each object placed in its apply phase.

use crate::{Failure, Phase};
use diagnostics::codes::apply::{P8001, P8002};
use driver::World;
use driver::output::{BuildReadError, FileProblem, MANIFEST, read_build};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The group, version and kind of an object, from its `apiVersion` and `kind`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    /// `Kind.group` (`Kind` for the core group): the name ApplySets list group-kinds by.
    pub fn group_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// `group/version` (`version` for the core group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// One Kubernetes object of the build.
#[derive(Debug, Clone)]
pub struct Object {
    /// The file it was read from, relative to the output directory.
    pub file: String,
    pub gvk: Gvk,
    pub name: String,
    /// `metadata.namespace`, when it has one (whether the kind is namespaced is the cluster's
    /// discovery to say).
    pub namespace: Option<String>,
    pub phase: Phase,
    /// The object as built.
    pub value: Value,
}

impl Object {
    /// `Kind namespace/name` or `Kind name`: how reports name it.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.gvk.kind, self.name),
            None => format!("{} {}", self.gvk.kind, self.name),
        }
    }

    /// The identity prune and diff compare by: group-kind, namespace, name.
    pub fn key(&self) -> (String, String, String) {
        (
            self.gvk.group_kind(),
            self.namespace.clone().unwrap_or_default(),
            self.name.clone(),
        )
    }
}

/// A build, ready to apply.
#[derive(Debug)]
pub struct Bundle {
    pub dir: PathBuf,
    /// The posture's `system` item: whose build this is.
    pub system: String,
    /// The objects in apply order (phase, then file order, then document order).
    pub objects: Vec<Object>,
    /// What is not Kubernetes objects for the cluster: top-level folders (`falco/`,
    /// `keycloak/`, `apiserver/`, `oscal/`, `report/`…), or single files in a folder that has
    /// applyable ones (a sealed secret's scaffold, which `kubeseal` must seal first): not
    /// applied, and the command says so.
    pub not_applied: Vec<String>,
}

impl Bundle {
    /// Every group-kind of the build, sorted.
    pub fn group_kinds(&self) -> BTreeSet<String> {
        self.objects.iter().map(|o| o.gvk.group_kind()).collect()
    }

    /// Every namespace an object of the build names, sorted.
    pub fn namespaces(&self) -> BTreeSet<String> {
        self.objects
            .iter()
            .filter_map(|o| o.namespace.clone())
            .collect()
    }

    /// The namespaces the build itself creates.
    pub fn created_namespaces(&self) -> BTreeSet<String> {
        self.objects
            .iter()
            .filter(|o| o.gvk.group.is_empty() && o.gvk.kind == "Namespace")
            .map(|o| o.name.clone())
            .collect()
    }
}

/// Reads the build in `dir` through `world` (the CLI passes the real file system; the crate
/// itself does no IO): [`driver::output::read_build`], which checks every file against the
/// manifest, then the applyable files' objects.
pub fn read(world: &dyn World, dir: &Path) -> Result<Bundle, Failure> {
    let not_a_build = |why: String| {
        Failure::new(
            &P8001,
            format!("`{}` is not a posture build: {why}", dir.display()),
        )
        .with_help("give the directory `posture build PATH -o DIR` wrote")
    };
    let (manifest, contents) = read_build(world, dir).map_err(|e| match e {
        BuildReadError::NotABuild(why) => not_a_build(why),
        BuildReadError::Modified(problems) => {
            let said: Vec<String> = problems
                .iter()
                .map(|p| match p {
                    FileProblem::Changed(f) => format!("{f} changed after the build"),
                    FileProblem::Link(f) => format!("{f} is, or lies behind, a symbolic link"),
                    FileProblem::Unreadable(f, e) => format!("{f} cannot be read ({e})"),
                })
                .collect();
            Failure::new(
                &P8002,
                format!(
                    "the build in `{}` was modified after `posture build` wrote it: {}",
                    dir.display(),
                    said.join("; ")
                ),
            )
            .with_help("build again; posture applies only what its manifest vouches for")
        }
    })?;
    let Some(system) = manifest.system.clone() else {
        return Err(not_a_build(format!(
            "{MANIFEST} names no system (a build older than `posture apply`); build it again"
        )));
    };

    // Folders with an applyable file: their other files are named one by one below.
    let applyable_folders: BTreeSet<&str> = manifest
        .files
        .iter()
        .filter(|e| e.applyable)
        .filter_map(|e| e.path.split_once('/').map(|(top, _)| top))
        .collect();
    let mut objects = Vec::new();
    let mut not_applied = BTreeSet::new();
    for (entry, bytes) in manifest.files.iter().zip(contents) {
        if !entry.applyable {
            if entry.path != driver::output::KUSTOMIZATION {
                let shown = match entry.path.split_once('/') {
                    Some((top, _)) if !applyable_folders.contains(top) => format!("{top}/"),
                    _ => entry.path.clone(),
                };
                not_applied.insert(shown);
            }
            continue;
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| not_a_build(format!("{} is not UTF-8", entry.path)))?;
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text)
            .map_err(|e| not_a_build(format!("{} does not parse as YAML: {e}", entry.path)))?;
        for (i, doc) in docs.into_iter().enumerate() {
            if doc.is_null() {
                continue;
            }
            objects.push(object(&entry.path, i, doc).map_err(not_a_build)?);
        }
    }
    // Stable: the build's order within a phase.
    objects.sort_by_key(|o| o.phase);
    Ok(Bundle {
        dir: dir.to_path_buf(),
        system,
        objects,
        not_applied: not_applied.into_iter().collect(),
    })
}

fn object(file: &str, index: usize, value: Value) -> Result<Object, String> {
    let at = || format!("{file}, document {}", index + 1);
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{} has no apiVersion", at()))?;
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{} has no kind", at()))?;
    let meta = value.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{} has no metadata.name", at()))?
        .to_string();
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let (group, version) = match api_version.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api_version.to_string()),
    };
    let gvk = Gvk {
        group,
        version,
        kind: kind.to_string(),
    };
    let phase = Phase::of(&gvk, &value);
    Ok(Object {
        file: file.to_string(),
        gvk,
        name,
        namespace,
        phase,
        value,
    })
}
