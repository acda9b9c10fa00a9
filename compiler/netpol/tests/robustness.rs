//! Truncated and corrupted manifests give errors or warnings, never a panic: every golden
//! input file is cut at many points and has bytes replaced, then loaded and, when it loads,
//! analysed.

use std::path::{Path, PathBuf};

use netpol::load::load_str;
use netpol::{AnalysisOptions, analyze};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "json") {
            out.push(p);
        }
    }
}

#[test]
fn corrupted_inputs_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tests");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 100);
    let mut rng = synthetic::Rng::new(0x5EED);
    let mut next = move || rng.next_u64();
    let replacements: &[&str] = &[
        "", ":", "-", "[", "{", "\"", "\n", " ", "0", "-1", "null", "&a", "*a",
    ];
    let mut runs = 0;
    for path in all
        .iter()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 64 * 1024))
    {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.display().to_string();
        for _ in 0..8 {
            let bytes = text.as_bytes();
            let cut = (next() as usize) % (bytes.len() + 1);
            let at = (next() as usize) % (bytes.len() + 1);
            let rep = replacements[(next() as usize) % replacements.len()];
            // Work on char boundaries so the mutated text stays a `str`.
            let boundary = |mut i: usize| {
                while i < text.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
                i.min(text.len())
            };
            let (cut, at) = (boundary(cut), boundary(at));
            for mutated in [
                text[..cut].to_string(),
                format!("{}{}{}", &text[..at], rep, &text[boundary(at + 1)..]),
            ] {
                if let Ok(loaded) = load_str(&name, &mutated) {
                    let conn = analyze(&loaded.cluster, &AnalysisOptions::default());
                    let _ = conn.relation();
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 1000);
}
