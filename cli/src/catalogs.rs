//! `--controls-dir DIR`: reads the directory's catalog documents through a [`World`] and
//! hands their text to [`controls::Catalog::overlay`]. The `controls` crate itself never
//! touches the file system.

use std::path::{Path, PathBuf};

use controls::{Catalog, LoadError};
use driver::World;

/// The embedded catalog overlaid with every `*.json` file directly in `dir` (other files and
/// subdirectories are ignored).
pub(crate) fn load(world: &dyn World, dir: &Path) -> Result<Catalog, LoadError> {
    let io = |path: &Path, e: std::io::Error| LoadError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut paths = world.read_dir(dir).map_err(|e| io(dir, e))?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "json") && world.is_dir(p) == Some(false));
    paths.sort();
    let mut documents: Vec<(PathBuf, String)> = Vec::with_capacity(paths.len());
    for path in paths {
        let max = driver::load::MAX_FILE_BYTES;
        let bytes = world
            .read_at_most(&path, max)
            .map_err(|e| io(&path, e))?
            .ok_or_else(|| LoadError::Io {
                path: path.clone(),
                message: format!(
                    "larger than {} MiB, the most posture reads of one file",
                    max / (1024 * 1024)
                ),
            })?;
        let text = String::from_utf8(bytes).map_err(|e| LoadError::Json {
            path: path.clone(),
            message: format!("not UTF-8: {e}"),
        })?;
        documents.push((path, text));
    }
    Catalog::overlay(dir, &documents)
}

#[cfg(test)]
mod tests {
    use driver::MemWorld;

    use super::*;

    #[test]
    fn reads_only_json_files_directly_in_the_directory() {
        let mut world = MemWorld::new();
        world
            .add("/c/notes.txt", "ignored")
            .add("/c/nested/x.json", "{ not json, but never read")
            .add(
                "/c/a.json",
                r#"{"format":"posture-controls/1","kind":"frameworks","sources":[],"frameworks":[]}"#,
            );
        let catalog = load(&world, Path::new("/c")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            catalog.controls().len(),
            controls::catalog().controls().len()
        );
    }

    #[test]
    fn read_errors_name_the_path() {
        let world = MemWorld::new();
        let e = load(&world, Path::new("/missing")).err();
        assert!(
            matches!(&e, Some(LoadError::Io { path, .. }) if path == Path::new("/missing")),
            "{e:?}"
        );

        let mut only_text = MemWorld::new();
        only_text.add("/c/readme.md", "no documents");
        let e = load(&only_text, Path::new("/c")).err();
        assert!(matches!(e, Some(LoadError::Empty { .. })), "{e:?}");

        let mut bad = MemWorld::new();
        bad.add("/c/x.json", "{ not json");
        let e = load(&bad, Path::new("/c"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("/c/x.json") && e.contains("line 1"), "{e}");
    }
}
