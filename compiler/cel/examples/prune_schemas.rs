//! Regenerates the vendored schemas `compiler/cel/schemas/k8s-v<major>.<minor>.json` from
//! kubernetes-validate's `_definitions.json` files.
//!
//! ```text
//! cargo run -p cel --example prune_schemas [-- DIR]
//! ```
//!
//! `DIR` is the folder holding `v1.33.0-local-strict/` and `v1.35.0-local-strict/` (default: the
//! copies vendored in `compiler/cel/tests/data/k8s/`, see its `SOURCES.md`); what is kept is
//! documented in `cel::schema`.

use std::path::PathBuf;

fn main() {
    let src = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/k8s"));
    let out_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for ((major, minor), _) in cel::schema::VENDORED {
        let path = src.join(format!("v{major}.{minor}.0-local-strict/_definitions.json"));
        let raw = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let v: serde_json::Value = serde_json::from_str(&raw).expect("valid JSON");
        let pruned = cel::schema::prune(&v, &format!("{major}.{minor}")).expect("prunable");
        let out = out_dir.join(format!("k8s-v{major}.{minor}.json"));
        std::fs::write(&out, cel::schema::to_vendored_text(&pruned)).expect("writable");
        println!(
            "{}: {} definitions",
            out.display(),
            pruned["definitions"].as_object().map_or(0, |o| o.len())
        );
    }
}
