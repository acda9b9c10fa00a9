//! Runs every target over the IR and turns their artifacts into output files. Targets are pure
//! (`ir::Posture` in, `emit::Artifact`s out); this is where their origins get `file:line`.

use crate::{Checked, OutputFile};

/// Every target's artifacts for a checked posture, sorted by path. Empty when the posture did
/// not check.
pub fn emit_all(checked: &Checked) -> Vec<OutputFile> {
    let Some(p) = &checked.posture else {
        return Vec::new();
    };
    let mut artifacts = Vec::new();
    artifacts.extend(namespaces::emit(p));
    let sources = &checked.loaded.sources;
    let mut files: Vec<OutputFile> = artifacts
        .into_iter()
        .map(|a| {
            let mut origins: Vec<String> = a
                .origins
                .iter()
                .map(|o| match sources.get(o.span.file) {
                    Some(f) => format!(
                        "{} ({}:{})",
                        o.item,
                        f.path,
                        f.line_col(o.span.start as usize).line
                    ),
                    None => o.item.clone(),
                })
                .collect();
            origins.sort();
            origins.dedup();
            OutputFile {
                path: a.path,
                bytes: a.bytes,
                sources: origins,
                applyable: a.applyable,
            }
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}
