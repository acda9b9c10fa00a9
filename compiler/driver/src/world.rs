//! The compiler's only window on the file system. The CLI passes a real one (`cli::FsWorld`:
//! only the CLI does IO); tests pass a [`MemWorld`] so whole-pipeline tests run in memory.
//!
//! The loader needs more than "read this file": it resolves real paths (to keep every file
//! inside the project root, through symbolic links too), looks at what a path is before reading
//! it (a FIFO or `/dev/zero` must never be opened), and reads at most a bounded number of
//! bytes. [`MemWorld`] models symbolic links and special files so all of that is testable in
//! memory.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Component, Path, PathBuf};

/// What a path names, after following symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// Anything else: a FIFO, a socket, a character or block device.
    Other,
}

/// What [`World::metadata`] says about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    pub kind: FileKind,
    /// The size in bytes (meaningful for regular files).
    pub len: u64,
}

/// Read-only access to the files of a posture.
pub trait World {
    /// What `path` names, following symbolic links. An error when nothing is there, when a
    /// link dangles or loops, or when it may not be looked at.
    fn metadata(&self, path: &Path) -> io::Result<Metadata>;

    /// The real path of `path`: every symbolic link resolved, no `.` or `..` left. An error
    /// when nothing is there (a dangling link, a loop).
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;

    /// At most `limit` bytes of the regular file at `path`. Callers look at [`World::metadata`]
    /// first; a world refuses to read anything but a regular file all the same.
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>>;

    /// The whole regular file at `path` when it holds at most `max` bytes, `None` when it holds
    /// more (it reads `max + 1` bytes at the most, so a file that grows, or `/dev/zero` behind
    /// a link, never costs more than that).
    fn read_at_most(&self, path: &Path, max: usize) -> io::Result<Option<Vec<u8>>> {
        let bytes = self.read(path, max as u64 + 1)?;
        Ok((bytes.len() <= max).then_some(bytes))
    }

    /// The entries of a directory (files, directories, links, full paths below `path` as
    /// given), in any order.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;

    /// `Some(true)` for a directory, `Some(false)` for anything else that is there, `None`
    /// when nothing is (or a link dangles).
    fn is_dir(&self, path: &Path) -> Option<bool> {
        self.metadata(path).ok().map(|m| m.kind == FileKind::Dir)
    }
}

/// One entry of a [`MemWorld`].
#[derive(Debug, Clone)]
enum Entry {
    File(Vec<u8>),
    /// A symbolic link to this path (relative to the link's directory, or absolute).
    Link(PathBuf),
    /// A FIFO or a device: its metadata can be read; reading it is an error here (on a real
    /// system it would block or never end).
    Special,
}

/// The number of links followed before a path counts as a loop (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

/// A world held in memory: a map from path to file, symbolic link or special file.
/// Directories are implied by the paths below them.
#[derive(Debug, Clone, Default)]
pub struct MemWorld {
    entries: BTreeMap<PathBuf, Entry>,
}

impl MemWorld {
    pub fn new() -> Self {
        Self::default()
    }

    /// A regular file at `path`.
    pub fn add(&mut self, path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.entries.insert(path.into(), Entry::File(bytes.into()));
        self
    }

    /// A symbolic link at `path` to `target` (relative to the link's directory, or absolute);
    /// the target need not exist.
    pub fn add_symlink(
        &mut self,
        path: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
    ) -> &mut Self {
        self.entries.insert(path.into(), Entry::Link(target.into()));
        self
    }

    /// A special file (a FIFO, a device) at `path`.
    pub fn add_special(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.entries.insert(path.into(), Entry::Special);
        self
    }

    fn not_found(what: &str) -> io::Error {
        io::Error::new(io::ErrorKind::NotFound, what.to_string())
    }

    fn is_implied_dir(&self, path: &Path) -> bool {
        self.entries
            .keys()
            .any(|p| p != path && p.starts_with(path))
    }

    /// `path` with every link followed, or an error for a dangling link or a loop.
    fn resolve(&self, path: &Path, hops: usize) -> io::Result<PathBuf> {
        let comps: Vec<Component<'_>> = path.components().collect();
        let mut out = PathBuf::new();
        for (i, c) in comps.iter().enumerate() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(n) => {
                    out.push(n);
                    if let Some(Entry::Link(target)) = self.entries.get(&out) {
                        if hops >= MAX_LINKS {
                            return Err(io::Error::other("too many levels of symbolic links"));
                        }
                        let mut next = out.parent().map(Path::to_path_buf).unwrap_or_default();
                        next.push(target);
                        for rest in &comps[i + 1..] {
                            next.push(rest.as_os_str());
                        }
                        return self.resolve(&next, hops + 1);
                    }
                }
                other => out.push(other.as_os_str()),
            }
        }
        if self.entries.contains_key(&out) || self.is_implied_dir(&out) {
            Ok(out)
        } else {
            Err(Self::not_found("no such file"))
        }
    }
}

impl World for MemWorld {
    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        let real = self.resolve(path, 0)?;
        Ok(match self.entries.get(&real) {
            Some(Entry::File(b)) => Metadata {
                kind: FileKind::File,
                len: b.len() as u64,
            },
            Some(Entry::Special) => Metadata {
                kind: FileKind::Other,
                len: 0,
            },
            // `resolve` follows links, so only a directory is left.
            Some(Entry::Link(_)) | None => Metadata {
                kind: FileKind::Dir,
                len: 0,
            },
        })
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.resolve(path, 0)
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let real = self.resolve(path, 0)?;
        match self.entries.get(&real) {
            Some(Entry::File(b)) => {
                let n = usize::try_from(limit).unwrap_or(usize::MAX).min(b.len());
                Ok(b[..n].to_vec())
            }
            Some(Entry::Special) => Err(io::Error::other(
                "a special file was read (it would block or never end)",
            )),
            _ => Err(Self::not_found("no such file")),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let real = self
            .resolve(path, 0)
            .map_err(|_| Self::not_found("no such directory"))?;
        let mut out = BTreeSet::new();
        for p in self.entries.keys() {
            if let Ok(rest) = p.strip_prefix(&real)
                && let Some(first) = rest.components().next()
            {
                out.insert(path.join(first));
            }
        }
        if out.is_empty() {
            return Err(Self::not_found("no such directory"));
        }
        Ok(out.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> MemWorld {
        let mut w = MemWorld::new();
        w.add("/p/a.posture", "a")
            .add("/p/sub/b.posture", "b")
            .add_symlink("/p/link.posture", "sub/b.posture")
            .add_symlink("/p/up.posture", "../outside/x.posture")
            .add("/outside/x.posture", "x")
            .add_symlink("/p/dangling.posture", "nope.posture")
            .add_symlink("/p/loop1.posture", "loop2.posture")
            .add_symlink("/p/loop2.posture", "loop1.posture")
            .add_symlink("/p/dirlink", "sub")
            .add_special("/p/fifo.posture");
        w
    }

    #[test]
    fn links_resolve_like_a_file_system() {
        let w = world();
        assert_eq!(
            w.canonicalize(Path::new("/p/link.posture")).expect("link"),
            Path::new("/p/sub/b.posture")
        );
        assert_eq!(
            w.canonicalize(Path::new("/p/up.posture")).expect("up"),
            Path::new("/outside/x.posture")
        );
        assert_eq!(
            w.canonicalize(Path::new("/p/dirlink/b.posture"))
                .expect("through a linked directory"),
            Path::new("/p/sub/b.posture")
        );
        assert_eq!(
            w.read(Path::new("/p/link.posture"), 10).expect("read"),
            b"b"
        );
        assert!(w.metadata(Path::new("/p/dangling.posture")).is_err());
        let e = w.metadata(Path::new("/p/loop1.posture")).expect_err("loop");
        assert!(e.to_string().contains("symbolic links"), "{e}");
        assert_eq!(
            w.metadata(Path::new("/p/fifo.posture")).expect("fifo").kind,
            FileKind::Other
        );
        assert!(w.read(Path::new("/p/fifo.posture"), 10).is_err());
        assert_eq!(w.is_dir(Path::new("/p/dirlink")), Some(true));
        assert_eq!(
            w.read_dir(Path::new("/p/dirlink")).expect("dir"),
            [PathBuf::from("/p/dirlink/b.posture")]
        );
    }

    #[test]
    fn reads_stop_at_the_limit() {
        let mut w = MemWorld::new();
        w.add("big", vec![b'x'; 100]);
        assert_eq!(w.read(Path::new("big"), 11).expect("read").len(), 11);
        assert_eq!(
            w.metadata(Path::new("big")).expect("meta"),
            Metadata {
                kind: FileKind::File,
                len: 100
            }
        );
    }
}
