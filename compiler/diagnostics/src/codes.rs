//! The registry of diagnostic codes. A code never changes meaning once released; retired codes
//! stay listed. Ranges keep families apart: P0xxx syntax, P1xxx names and types, P2xxx
//! controls, P3xxx admission, P4xxx network, P5xxx runtime, P6xxx identity, P7xxx secrets,
//! P8xxx a build against a live cluster and reviews of builds, P9xxx IO and CLI. Each family lives in its own file below `codes/`, and every
//! code has a page `book/src/diagnostics/<ID>.md` (a test enforces it).

use crate::Severity;
use serde::Serialize;

/// One registered diagnostic code.
#[derive(Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Code {
    /// The stable id, e.g. `P0001`.
    pub id: &'static str,
    /// A short kebab-case name, e.g. `unexpected-token`.
    pub name: &'static str,
    /// The severity it is reported with unless the reporter says otherwise.
    pub severity: Severity,
    /// One line saying what the code is about, for indexes and SARIF rule metadata.
    pub summary: &'static str,
}

/// Declares codes as `pub static` items and a `ALL` slice listing them in order.
macro_rules! declare_codes {
    ($( $(#[$meta:meta])* $id:ident $name:literal $sev:ident $summary:literal; )*) => {
        $( $(#[$meta])* pub static $id: $crate::codes::Code = $crate::codes::Code {
            id: stringify!($id),
            name: $name,
            severity: $crate::Severity::$sev,
            summary: $summary,
        }; )*
        /// Every code of this family, in order.
        pub static ALL: &[&$crate::codes::Code] = &[$(&$id),*];
    };
}

pub mod admission;
pub mod apply;
pub mod controls;
pub mod identity;
pub mod io;
pub mod names;
pub mod network;
pub mod runtime;
pub mod secrets;
pub mod syntax;

/// Every registered code, sorted by id.
pub fn all() -> Vec<&'static Code> {
    let mut v: Vec<&'static Code> = [
        syntax::ALL,
        names::ALL,
        controls::ALL,
        admission::ALL,
        network::ALL,
        runtime::ALL,
        identity::ALL,
        secrets::ALL,
        apply::ALL,
        io::ALL,
    ]
    .concat();
    v.sort_by_key(|c| c.id);
    v
}

/// Looks a code up by its id.
pub fn lookup(id: &str) -> Option<&'static Code> {
    all().into_iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_well_formed() {
        let all = super::all();
        let mut seen = std::collections::BTreeSet::new();
        for c in &all {
            assert!(seen.insert(c.id), "duplicate code {}", c.id);
            assert!(c.id.len() == 5 && c.id.starts_with('P'), "bad id {}", c.id);
            assert!(
                c.id[1..].chars().all(|ch| ch.is_ascii_digit()),
                "bad id {}",
                c.id
            );
            assert!(
                !c.summary.ends_with('.'),
                "{}: summary ends with a period",
                c.id
            );
        }
    }
}
