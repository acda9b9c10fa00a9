//! [`FsWorld`]: the real file system, as the driver sees it through [`driver::World`]. Only the
//! CLI does IO; the driver reads files through this trait alone.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use driver::{FileKind, Metadata, World};

/// The real file system, read-only.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsWorld;

fn kind_of(t: fs::FileType) -> FileKind {
    if t.is_file() {
        FileKind::File
    } else if t.is_dir() {
        FileKind::Dir
    } else {
        FileKind::Other
    }
}

impl World for FsWorld {
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        let m = fs::metadata(path)?;
        Ok(Metadata {
            kind: kind_of(m.file_type()),
            len: m.len(),
        })
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        fs::canonicalize(path)
    }

    /// Opens the file, checks that what was opened is a regular file, and reads at most
    /// `limit` bytes of it: a file that grows, or a device swapped in after the caller looked,
    /// cannot make it read more.
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        if !fs::metadata(path)?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let file = fs::File::open(path)?;
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let mut bytes = Vec::new();
        file.take(limit).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        fs::read_dir(path)?.map(|e| e.map(|e| e.path())).collect()
    }
}
