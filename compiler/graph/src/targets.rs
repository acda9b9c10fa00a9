//! The enforcing targets' artifacts for a posture, with their origins (spans), which the
//! graph needs to attach artifacts to items.
//!
//! `driver::targets::emit_all` runs the same targets but keeps only `file:line` strings of the
//! origins; until the driver hands out the artifacts themselves, this list mirrors its list of
//! targets, and an integration test (`tests/integration/controls.rs`) fails when the two emit
//! different paths, so a new target cannot be forgotten here.

/// Every enforcing target's artifacts, in the targets' order.
pub fn artifacts(p: &ir::Posture) -> Vec<emit::Artifact> {
    let mut out = Vec::new();
    out.extend(namespaces::emit(p));
    out.extend(network::emit(p));
    out
}
