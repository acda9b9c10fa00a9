//! The standard library: bundles written in the posture language, embedded in the binary and
//! loaded by `use std.<bundle>`.

/// One embedded bundle: its dotted name under `std` and its source text.
#[derive(Debug, Clone, Copy)]
pub struct Bundle {
    /// The path after `std.`, e.g. `pod_security.restricted`.
    pub name: &'static str,
    /// The display path used in diagnostics, e.g. `<std>/pod_security/restricted.posture`.
    pub path: &'static str,
    pub source: &'static str,
}

/// Every bundle, sorted by name.
pub static BUNDLES: &[Bundle] = &[];

/// The bundle with this dotted name.
pub fn bundle(name: &str) -> Option<&'static Bundle> {
    BUNDLES.iter().find(|b| b.name == name)
}
