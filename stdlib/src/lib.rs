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

macro_rules! bundles {
    ($($name:literal => $file:literal),* $(,)?) => {
        /// Every bundle, sorted by name.
        pub static BUNDLES: &[Bundle] = &[$(Bundle {
            name: $name,
            path: concat!("<std>/", $file),
            source: include_str!(concat!("../", $file)),
        }),*];
    };
}

bundles! {
    "best_practices" => "best_practices.posture",
    "falco.defaults" => "falco/defaults.posture",
    "pod_security.baseline" => "pod_security/baseline.posture",
    "pod_security.restricted" => "pod_security/restricted.posture",
    "resources" => "resources.posture",
    "supply_chain" => "supply_chain.posture",
}

/// The bundle with this dotted name.
pub fn bundle(name: &str) -> Option<&'static Bundle> {
    BUNDLES.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundles_are_sorted_and_declare_their_name() {
        let names: Vec<_> = super::BUNDLES.iter().map(|b| b.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        for b in super::BUNDLES {
            assert!(
                b.source.contains(&format!("bundle {} ", b.name)),
                "{} does not declare `bundle {}`",
                b.path,
                b.name
            );
        }
    }
}
