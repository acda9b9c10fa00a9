//! The compiler's only window on the file system. The CLI passes a real one; tests pass a
//! [`MemWorld`] so whole-pipeline tests run in memory.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Read-only access to the files of a posture.
pub trait World {
    /// `Some(true)` for a directory, `Some(false)` for a file, `None` when nothing is there.
    fn is_dir(&self, path: &Path) -> Option<bool>;
    /// The bytes of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The entries of a directory (files and directories, full paths), in any order.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
}

/// A world held in memory: a map from path to bytes. Directories are implied by paths.
#[derive(Debug, Clone, Default)]
pub struct MemWorld {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemWorld {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.files.insert(path.into(), bytes.into());
        self
    }
}

impl World for MemWorld {
    fn is_dir(&self, path: &Path) -> Option<bool> {
        if self.files.contains_key(path) {
            Some(false)
        } else if self.files.keys().any(|p| p.starts_with(path)) {
            Some(true)
        } else {
            None
        }
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut out = std::collections::BTreeSet::new();
        for p in self.files.keys() {
            if let Ok(rest) = p.strip_prefix(path) {
                if let Some(first) = rest.components().next() {
                    out.insert(path.join(first));
                }
            }
        }
        if out.is_empty() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such directory"));
        }
        Ok(out.into_iter().collect())
    }
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsWorld;

impl World for FsWorld {
    fn is_dir(&self, path: &Path) -> Option<bool> {
        std::fs::metadata(path).ok().map(|m| m.is_dir())
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.path()))
            .collect()
    }
}
