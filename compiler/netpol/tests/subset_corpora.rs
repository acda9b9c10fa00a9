//! The subset reader (`netpol::load::subset_values`) against serde-saphyr on the repository's
//! corpora: np-guard's golden inputs and the YAML files of the conformance snapshots. On every
//! file it either declines or reads what serde-saphyr reads (the same documents as `Value`s
//! and the same loaded model, warnings and errors); every emitted `network/policies/` file of
//! the snapshots must be taken, every document of it by the one-pass reader (`stream_takes`). (The generated and mutated inputs are the crate's own tests,
//! `src/load/subset_tests.rs`.)

use std::path::{Path, PathBuf};

use netpol::load::{Source, load_sources, load_sources_reference, stream_takes, subset_values};
use serde_json::Value;

/// Checks that the subset reader declines `text` or agrees with serde-saphyr on it; true when
/// it took it.
fn agrees(text: &str) -> bool {
    let Some(mine) = subset_values(text) else {
        return false;
    };
    let mine = mine.unwrap_or_else(|e| panic!("a taken node is no Value ({e}):\n{text}"));
    let reference: Vec<Value> = serde_saphyr::from_multiple(text).unwrap_or_else(|e| {
        panic!("the subset reader takes what serde-saphyr refuses ({e}):\n{text:?}")
    });
    assert_eq!(
        mine, reference,
        "the subset reader reads otherwise:\n{text:?}"
    );
    let sources = [Source {
        name: "s".to_string(),
        text: text.to_string(),
    }];
    assert_eq!(
        load_sources(&sources),
        load_sources_reference(&sources),
        "the loader's model differs:\n{text:?}"
    );
    true
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The YAML files of insta snapshots that list a build's files (`# <path>` then its text).
fn snapshot_files(text: &str) -> Vec<(String, String)> {
    // Skip insta's header (`---`, metadata, `---`).
    let body = match text
        .strip_prefix("---\n")
        .and_then(|t| t.split_once("\n---\n"))
    {
        Some((_, body)) => body,
        None => return Vec::new(),
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for line in body.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("# ") {
            out.push((path.trim_end().to_string(), String::new()));
        } else if let Some((_, t)) = out.last_mut() {
            t.push_str(line);
        }
    }
    out.into_iter()
        .filter(|(p, _)| p.ends_with(".yaml"))
        .map(|(p, t)| (p, format!("{}\n", t.trim_end_matches('\n'))))
        .collect()
}

/// np-guard's golden inputs and the YAML files of the conformance snapshots.
#[test]
fn corpora() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut golden = Vec::new();
    files(&root.join("tests/golden/tests"), &mut golden);
    let golden: Vec<PathBuf> = golden
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    assert!(golden.len() > 100, "{}", golden.len());
    let mut taken = 0;
    for p in &golden {
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        taken += usize::from(agrees(&text));
    }
    // np-guard's inputs are written by hand and by other tools: the reader takes some.
    assert!(taken > 0);

    let mut snaps = Vec::new();
    files(&root.join("../../tests/conformance"), &mut snaps);
    let mut network = 0;
    let mut network_taken = 0;
    let mut all = 0;
    for p in snaps
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "snap"))
    {
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for (path, yaml) in snapshot_files(&text) {
            all += 1;
            let took = agrees(&yaml);
            if path.starts_with("network/policies/") {
                network += 1;
                network_taken += usize::from(took);
                assert!(
                    took,
                    "the subset reader declines the emitted {path}:\n{yaml}"
                );
                assert!(
                    stream_takes(&yaml),
                    "the one-pass reader leaves a document of the emitted {path} to the tree reader:\n{yaml}"
                );
            }
        }
    }
    assert!(all > 40 && network > 20, "{all} {network}");
    assert_eq!(network, network_taken);
}
