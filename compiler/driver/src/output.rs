//! The build output contract: what `posture build` writes besides the emitted documents.
//!
//! [`assemble`] takes the emitters' files and adds two of its own: `manifest.json`, which lists
//! every file with its SHA-256, size and the posture items it came from, and
//! `kustomization.yaml`, which lists the files a user applies to a cluster. Everything here is
//! pure: the CLI writes the result to disk, atomically. [`to_yaml`] is the one place YAML text
//! is made, so YAML 1.1 scalars (`on`, `no`, `0755`) are quoted the same way everywhere.

// The manifest's digests are the evidence's (`evidence::sha256_hex`), as the OSCAL back matter's.
use crate::{BuildOutput, Checked, OutputFile};
use evidence::sha256_hex;
use serde::{Deserialize, Serialize};

/// The name of the manifest, at the root of the output directory.
pub const MANIFEST: &str = "manifest.json";

/// The name of the kustomization, at the root of the output directory.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// The version of the manifest's format; it changes when a field changes meaning or goes.
pub const MANIFEST_VERSION: u32 = 1;

/// `manifest.json`: every other file of the output, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`] when written by this compiler.
    pub version: u32,
    /// The name of the posture's `system` item: whose build this is. `posture apply` derives
    /// the ownership of the applied objects from it, so two postures on one cluster never
    /// prune each other's objects. Absent only for outputs assembled without a posture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Every file of the output except `manifest.json` itself, sorted by path.
    pub files: Vec<ManifestEntry>,
    /// The posture's blocks that no target compiles yet (P2030), in block order: what the
    /// posture says that this output does not carry. Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_emitted: Vec<crate::targets::NotEmitted>,
}

/// One file in [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path inside the output directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// True when the file is listed in `kustomization.yaml`.
    pub applyable: bool,
    /// The posture items the file came from (`kind name` with `file:line`), sorted.
    pub sources: Vec<String>,
}

/// `kustomization.yaml`: the applyable manifests, so `kubectl apply -k DIR` applies them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    resources: Vec<String>,
}

/// Builds the output of `posture build` for a checked posture: every emitter's files, then
/// [`assemble`]; and the diagnostics of the proofs over them. When those hold an error, the
/// output must not be written.
pub fn build(checked: &Checked) -> (BuildOutput, Vec<diagnostics::Diagnostic>) {
    build_with(checked, &crate::targets::TargetOptions::default())
}

/// [`build`] with the choices of `options` (e.g. the Kyverno API): the output and the proofs'
/// diagnostics of [`crate::build_checked`].
pub fn build_with(
    checked: &Checked,
    options: &crate::targets::TargetOptions,
) -> (BuildOutput, Vec<diagnostics::Diagnostic>) {
    let (artifacts, proofs, _) = crate::build::emit_and_verify(checked, options, false);
    let not_emitted = checked
        .posture
        .as_ref()
        .filter(|_| !checked.diagnostics.has_errors())
        .map(|p| crate::targets::not_emitted(p).0)
        .unwrap_or_default();
    let system = checked.posture.as_ref().map(|p| p.system.name.to_string());
    let output = crate::build::output_of(&artifacts, &checked.loaded.sources, not_emitted, system);
    (
        output,
        proofs.into_iter().flat_map(|p| p.diagnostics).collect(),
    )
}

/// About the size of `manifest` as pretty JSON, a little above it (the buffer it is written
/// into; each file's lines and each source's, with their indentation and punctuation).
fn manifest_size(manifest: &Manifest) -> usize {
    let entries: usize = manifest
        .files
        .iter()
        .map(|f| 256 + f.path.len() + f.sources.iter().map(|s| s.len() + 16).sum::<usize>())
        .sum();
    256 + entries + 256 * manifest.not_emitted.len()
}

/// Adds `kustomization.yaml` and `manifest.json` to the emitters' `files` and sorts the result
/// by path.
///
/// Files the emitters name `manifest.json` or `kustomization.yaml` are replaced by the
/// generated ones, and of several files with the same path only the first is kept, so the
/// manifest always describes exactly the files written. The kustomization lists every
/// applyable file; the manifest lists every file but itself, the kustomization included. No
/// timestamps, no absolute paths: the same files give the same bytes.
pub fn assemble(files: Vec<OutputFile>) -> BuildOutput {
    assemble_with(files, Vec::new())
}

/// [`assemble`], with the blocks no target compiled listed in the manifest.
pub fn assemble_with(
    files: Vec<OutputFile>,
    not_emitted: Vec<crate::targets::NotEmitted>,
) -> BuildOutput {
    assemble_for(files, not_emitted, None)
}

/// [`assemble_with`] for the posture whose `system` item is named `system`: the manifest
/// names it, and `posture apply` derives the build's ownership (its ApplySet id) from it.
pub fn assemble_for(
    files: Vec<OutputFile>,
    not_emitted: Vec<crate::targets::NotEmitted>,
    system: Option<String>,
) -> BuildOutput {
    let n = files.len();
    assemble_digested(files, vec![None; n], not_emitted, system)
}

/// [`assemble_for`] with the SHA-256 of some files already known (`digests[i]` of
/// `files[i]`, lowercase hex): the build hashes each artifact once, for the OSCAL back matter
/// and the manifest alike.
pub(crate) fn assemble_digested(
    files: Vec<OutputFile>,
    digests: Vec<Option<String>>,
    not_emitted: Vec<crate::targets::NotEmitted>,
    system: Option<String>,
) -> BuildOutput {
    let mut files: Vec<(OutputFile, Option<String>)> = files
        .into_iter()
        .zip(digests.into_iter().chain(std::iter::repeat(None)))
        .filter(|(f, _)| f.path != MANIFEST && f.path != KUSTOMIZATION)
        .collect();
    // A stable sort keeps the emitters' order among equal paths, so "the first" is defined.
    files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    files.dedup_by(|later, first| later.0.path == first.0.path);
    for (f, _) in &mut files {
        f.sources.sort();
        f.sources.dedup();
    }

    let kustomization = Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: files
            .iter()
            .filter(|(f, _)| f.applyable)
            .map(|(f, _)| f.path.clone())
            .collect(),
    };
    let kustomization = OutputFile {
        path: KUSTOMIZATION.to_string(),
        bytes: to_yaml(&kustomization).into_bytes(),
        sources: Vec::new(),
        applyable: false,
    };
    // The files are sorted: the kustomization goes where its path sorts.
    let at = files.partition_point(|(f, _)| f.path.as_str() < KUSTOMIZATION);
    files.insert(at, (kustomization, None));

    let manifest = Manifest {
        version: MANIFEST_VERSION,
        system,
        files: files
            .iter_mut()
            .map(|(f, digest)| ManifestEntry {
                path: f.path.clone(),
                size: f.bytes.len() as u64,
                sha256: digest.take().unwrap_or_else(|| sha256_hex(&f.bytes)),
                applyable: f.applyable,
                sources: std::mem::take(&mut f.sources),
            })
            .collect(),
        not_emitted,
    };
    let manifest_bytes =
        diagnostics::to_json_sized(&manifest, manifest_size(&manifest)).into_bytes();
    let mut files: Vec<OutputFile> = files
        .into_iter()
        .zip(manifest.files)
        .map(|((mut f, _), entry)| {
            f.sources = entry.sources;
            f
        })
        .collect();
    let at = files.partition_point(|f| f.path.as_str() < MANIFEST);
    files.insert(
        at,
        OutputFile {
            path: MANIFEST.to_string(),
            bytes: manifest_bytes,
            sources: Vec::new(),
            applyable: false,
        },
    );
    BuildOutput { files }
}

/// The largest `manifest.json` [`read_build`] reads (a 20,000-workload build's is about 35 MB).
pub const MANIFEST_MAX: usize = 1 << 30;

/// Why [`read_build`] refused a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildReadError {
    /// Not a build: no readable `manifest.json`, one that does not parse, another version, or
    /// an unsafe path in it. The text says which.
    NotABuild(String),
    /// A build whose files are not what its manifest records: every problem, in manifest order.
    Modified(Vec<FileProblem>),
}

/// A file of a build that is not what its manifest records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// Another size or SHA-256: edited after the build.
    Changed(String),
    /// The file, or a folder on its way, is a symbolic link.
    Link(String),
    /// It cannot be read (the text is the error).
    Unreadable(String, String),
}

/// A build's files as its manifest vouches for them, read through `world`: the manifest, then
/// every file it lists with its bytes, each checked against the recorded size and SHA-256. A
/// link is refused, not followed (the digest must be of the file the build wrote, where it
/// wrote it), and no file is read past its recorded size plus one byte.
pub fn read_build(
    world: &dyn crate::World,
    dir: &std::path::Path,
) -> Result<(Manifest, Vec<Vec<u8>>), BuildReadError> {
    let not = BuildReadError::NotABuild;
    let bytes = world
        .read_at_most(&dir.join(MANIFEST), MANIFEST_MAX)
        .map_err(|e| not(format!("cannot read {MANIFEST}: {e}")))?
        .ok_or_else(|| not(format!("{MANIFEST} is larger than {MANIFEST_MAX} bytes")))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| not(format!("{MANIFEST} does not parse: {e}")))?;
    if manifest.version != MANIFEST_VERSION {
        return Err(not(format!(
            "{MANIFEST} is version {}, this posture reads version {MANIFEST_VERSION}",
            manifest.version
        )));
    }
    if let Some(e) = manifest.files.iter().find(|e| !is_safe_path(&e.path)) {
        return Err(not(format!(
            "{MANIFEST} lists the unsafe path `{}`",
            diagnostics::quote(&e.path)
        )));
    }
    let real_dir = world
        .canonicalize(dir)
        .map_err(|e| not(format!("cannot resolve the directory: {e}")))?;
    let mut contents = Vec::with_capacity(manifest.files.len());
    let mut problems = Vec::new();
    for entry in &manifest.files {
        let path = dir.join(&entry.path);
        let unreadable =
            |e: std::io::Error| FileProblem::Unreadable(entry.path.clone(), e.to_string());
        match world.canonicalize(&path) {
            Ok(real) if real == real_dir.join(&entry.path) => {}
            Ok(_) => {
                problems.push(FileProblem::Link(entry.path.clone()));
                continue;
            }
            Err(e) => {
                problems.push(unreadable(e));
                continue;
            }
        }
        match world.read(&path, entry.size.saturating_add(1)) {
            Ok(b) if b.len() as u64 == entry.size && sha256_hex(&b) == entry.sha256 => {
                contents.push(b);
            }
            Ok(_) => problems.push(FileProblem::Changed(entry.path.clone())),
            Err(e) => problems.push(unreadable(e)),
        }
    }
    if problems.is_empty() {
        Ok((manifest, contents))
    } else {
        Err(BuildReadError::Modified(problems))
    }
}

/// Reads a `manifest.json`; `None` when the bytes are not one. The CLI uses it to recognise an
/// output directory of a previous build, which it may replace.
pub fn parse_manifest(bytes: &[u8]) -> Option<Manifest> {
    serde_json::from_slice(bytes).ok()
}

/// True when `path` may name a file inside the output directory: relative, `/`-separated,
/// with no empty, `.` or `..` segment, and no backslash, colon or control character (which
/// some file systems read as separators or drive letters). The CLI refuses to write a build
/// with any other path, so no emitter can write outside the directory.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && !path
            .chars()
            .any(|c| c == '\\' || c == ':' || c.is_control())
}

/// The one YAML writer every target uses; see [`emit::to_yaml`].
pub use emit::to_yaml;

#[cfg(test)]
mod tests {
    use super::*;
    use emit::to_json;
    use std::collections::BTreeMap;

    fn file(path: &str, bytes: &str, applyable: bool, sources: &[&str]) -> OutputFile {
        OutputFile {
            path: path.to_string(),
            bytes: bytes.as_bytes().to_vec(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            applyable,
        }
    }

    fn text<'a>(out: &'a BuildOutput, path: &str) -> &'a str {
        let f = out
            .files
            .iter()
            .find(|f| f.path == path)
            .expect("file present");
        std::str::from_utf8(&f.bytes).expect("utf-8")
    }

    #[test]
    fn yaml_quotes_yaml_1_1_scalars() {
        let tricky = [
            "on",
            "off",
            "yes",
            "no",
            "y",
            "n",
            "Y",
            "N",
            "ON",
            "Yes",
            "true",
            "False",
            "null",
            "~",
            "0755",
            "0o755",
            "012",
            "1e3",
            "1.5",
            ".inf",
            "2024-01-01",
            "12:30",
        ];
        let list: Vec<&str> = tricky.to_vec();
        let yaml = to_yaml(&list);
        for line in yaml.lines() {
            let value = line.trim_start_matches("- ");
            assert!(
                value.starts_with('\'') || value.starts_with('"'),
                "not quoted: {line:?} in\n{yaml}"
            );
        }
        assert_eq!(yaml.lines().count(), tricky.len(), "{yaml}");
        // As map keys and values too (labels are maps).
        let map: BTreeMap<&str, &str> = [("on", "yes"), ("0755", "n"), ("plain", "text")]
            .into_iter()
            .collect();
        let yaml = to_yaml(&map);
        assert!(
            yaml.contains("'0755': 'n'") || yaml.contains("\"0755\": \"n\""),
            "{yaml}"
        );
        assert!(
            yaml.contains("'on': 'yes'") || yaml.contains("\"on\": \"yes\""),
            "{yaml}"
        );
        assert!(yaml.contains("plain: text"), "{yaml}");
    }

    #[test]
    fn the_manifest_is_written_into_a_buffer_it_fits() {
        // Many sources of every length, a long path, escapes: the estimate is at least the
        // written length (the buffer never grows) and not far above it.
        let sources: Vec<String> = (0..400)
            .map(|i| format!("network.allow a-{i} -> \"b\":http (network.posture:{i})"))
            .collect();
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        let files = vec![
            file("network/ns.yaml", "x", true, &sources),
            file(&format!("oscal/{}.json", "p".repeat(200)), "{}", false, &[]),
            file("report/index.html", "<html>", false, &sources[..3]),
        ];
        let out = assemble(files);
        let manifest = text(&out, MANIFEST);
        let m = parse_manifest(manifest.as_bytes()).expect("manifest parses");
        let size = manifest_size(&m);
        assert!(size >= manifest.len(), "{size} < {}", manifest.len());
        assert!(size < manifest.len() * 2, "{size} for {}", manifest.len());
        assert_eq!(
            manifest,
            to_json(&m),
            "the same bytes as the unsized writer"
        );
    }

    #[test]
    fn yaml_has_no_document_marker_and_ends_with_newline() {
        let yaml = to_yaml(&vec!["a"]);
        assert_eq!(yaml, "- a\n");
    }

    #[test]
    fn assemble_of_nothing_is_manifest_and_kustomization() {
        let out = assemble(Vec::new());
        let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, [KUSTOMIZATION, MANIFEST]);
        assert_eq!(
            text(&out, KUSTOMIZATION),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"
        );
        let m = parse_manifest(text(&out, MANIFEST).as_bytes()).expect("manifest parses");
        assert_eq!(m.version, MANIFEST_VERSION);
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files[0].path, KUSTOMIZATION);
    }

    #[test]
    fn assemble_sorts_hashes_and_lists_applyable_files() {
        let out = assemble(vec![
            file("oscal/ssp.json", "{}\n", false, &["system x a.posture:1"]),
            file(
                "network/b.yaml",
                "kind: NetworkPolicy\n",
                true,
                &[
                    "network a.posture:9",
                    "network a.posture:3",
                    "network a.posture:3",
                ],
            ),
            file("namespaces/a.yaml", "kind: Namespace\n", true, &[]),
            file("manifest.json", "forged", false, &[]),
        ]);
        let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                KUSTOMIZATION,
                MANIFEST,
                "namespaces/a.yaml",
                "network/b.yaml",
                "oscal/ssp.json"
            ]
        );
        assert_eq!(
            text(&out, KUSTOMIZATION),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n\
             - namespaces/a.yaml\n- network/b.yaml\n"
        );
        let m = parse_manifest(text(&out, MANIFEST).as_bytes()).expect("manifest parses");
        let listed: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            listed,
            [
                KUSTOMIZATION,
                "namespaces/a.yaml",
                "network/b.yaml",
                "oscal/ssp.json"
            ]
        );
        let b = &m.files[2];
        assert_eq!(b.size, 20);
        assert_eq!(b.sources, ["network a.posture:3", "network a.posture:9"]);
        assert!(b.applyable);
        // sha256("") is well known; check the hex encoding against it.
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        for entry in &m.files {
            let f = out
                .files
                .iter()
                .find(|f| f.path == entry.path)
                .expect("listed");
            assert_eq!(entry.sha256, sha256_hex(&f.bytes));
            assert_eq!(entry.size, f.bytes.len() as u64);
        }
    }

    #[test]
    fn assemble_keeps_the_first_of_duplicate_paths_and_is_deterministic() {
        let input = vec![
            file("a.yaml", "first\n", true, &[]),
            file("a.yaml", "second\n", true, &[]),
        ];
        let out = assemble(input.clone());
        assert_eq!(text(&out, "a.yaml"), "first\n");
        assert_eq!(out, assemble(input));
    }

    #[test]
    fn manifest_json_is_stable_text() {
        let out = assemble(vec![file("x/y.yaml", "", true, &["k n f:1"])]);
        let m = text(&out, MANIFEST);
        assert!(
            m.starts_with("{\n  \"version\": 1,\n  \"files\": [\n"),
            "{m}"
        );
        assert!(m.ends_with("}\n"));
        assert!(m.contains(
            "\"path\": \"x/y.yaml\",\n      \"size\": 0,\n      \"sha256\": \
             \"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\""
        ));
    }

    #[test]
    fn parse_manifest_refuses_other_json() {
        assert!(parse_manifest(b"{\"name\": \"my-app\"}").is_none());
        assert!(parse_manifest(b"not json").is_none());
        assert!(parse_manifest(b"{\"version\": 1, \"files\": []}").is_some());
    }

    #[test]
    fn safe_paths() {
        for ok in ["a.yaml", "network/a.yaml", "a/b/c.json", ".hidden/x"] {
            assert!(is_safe_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a/",
            "./a",
            "a\\b",
            "c:x",
            "a\nb",
        ] {
            assert!(!is_safe_path(bad), "{bad:?}");
        }
    }
}
