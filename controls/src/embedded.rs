//! The compact catalog compiled into the binary, parsed once on first use.

use std::path::Path;
use std::sync::OnceLock;

use crate::catalog::{Catalog, CatalogDoc, FrameworksDoc};
use crate::error::LoadError;

/// `controls/data/compact/catalog.json`, written by `cargo xtask regen-controls`.
pub(crate) const CATALOG_JSON: &str = include_str!("../data/compact/catalog.json");
/// `controls/data/compact/frameworks.json`, written by `cargo xtask regen-controls`.
pub(crate) const FRAMEWORKS_JSON: &str = include_str!("../data/compact/frameworks.json");

/// Where error messages say the embedded documents come from.
const ORIGIN: &str = "<embedded>/controls/data/compact";

/// The embedded documents, parsed afresh (for overlaying a `--controls-dir`).
pub(crate) fn docs() -> Result<(CatalogDoc, FrameworksDoc), LoadError> {
    let origin = Path::new(ORIGIN);
    let json_err = |file: &str, e: serde_json::Error| LoadError::Json {
        path: origin.join(file),
        message: e.to_string(),
    };
    let catalog = serde_json::from_str(CATALOG_JSON).map_err(|e| json_err("catalog.json", e))?;
    let frameworks =
        serde_json::from_str(FRAMEWORKS_JSON).map_err(|e| json_err("frameworks.json", e))?;
    Ok((catalog, frameworks))
}

/// The embedded catalog, or why it cannot load (which the crate's tests rule out).
pub(crate) fn try_catalog() -> Result<&'static Catalog, &'static LoadError> {
    static CATALOG: OnceLock<Result<Catalog, LoadError>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::from_json(CATALOG_JSON, FRAMEWORKS_JSON, Path::new(ORIGIN)))
        .as_ref()
}
