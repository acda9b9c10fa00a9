//! Writing to disk, atomically: the output directory of `posture build` and the files `posture
//! fmt` rewrites. The rest of the compiler never writes a file.
//!
//! A build is written into a fresh sibling directory, flushed to disk once, and then swapped
//! into place (and the parent directory synced), so
//! `DIR` holds either the previous build or the new one, never a mix, and a failure before
//! the swap leaves `DIR` exactly as it was.
//!
//! Replacing `DIR` deletes what is in it, so `DIR` must be recognisably posture's own output:
//! a `manifest.json` posture wrote, a [`MARKER`] file holding that manifest's SHA-256, and
//! nothing that the manifest does not list. Anything else is refused (P9009) unless `--force`
//! is given; a `DIR` that is, or contains, the posture's own sources is refused even then
//! (P9010), comparing real paths.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use diagnostics::Diagnostic;
use diagnostics::codes::io::{P9009, P9010, P9011};
use driver::OutputFile;
use driver::output::{MANIFEST, is_safe_path, parse_manifest};

/// The marker file at the root of every output directory: the tool's name and the SHA-256 of
/// the `manifest.json` beside it. Not listed in the manifest.
pub const MARKER: &str = ".posture-output";

/// The longest file name (one path segment) written, in bytes: the limit of common file
/// systems (ext4, XFS, APFS, NTFS in UTF-16 units).
pub const MAX_NAME_BYTES: usize = 255;

/// Why the output directory was not written.
#[derive(Debug)]
pub enum WriteError {
    /// `DIR` is not something we may replace (a usage error, exit 2); nothing was touched.
    Refused(Box<Diagnostic>),
    /// Writing failed (exit 1); `DIR` is as it was.
    Failed(String),
}

/// What was in the way at the output path before writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Nothing is there.
    Missing,
    /// An empty directory.
    Empty,
    /// The output of a previous build: [`MARKER`] matches `manifest.json`, and the manifest
    /// lists every file in the directory.
    PreviousBuild,
    /// A directory with other content (only with `force`).
    Foreign,
}

/// A step of [`write_dir_with`], passed to its failure hook so tests can fail any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// About to write the file at this output path.
    File(&'a str),
    /// Every file is written; about to flush them to disk.
    Sync,
    /// Everything is written and synced; about to swap the new directory into place.
    Swap,
}

/// The result of a successful write.
#[derive(Debug, Default)]
pub struct Written {
    /// The previous build, moved aside, when it could not be removed afterwards.
    pub leftover: Option<PathBuf>,
    /// How many files were taken over from the previous build (linked, not written again)
    /// because they held exactly the new bytes; see [`fill`].
    pub reused: usize,
}

/// The bytes of [`MARKER`] for a manifest.
pub fn marker_for(manifest: &[u8]) -> Vec<u8> {
    let hex = evidence::sha256_hex(manifest);
    format!("posture build output\n{MANIFEST} sha256 {hex}\n").into_bytes()
}

fn refused(code: &'static diagnostics::codes::Code, message: String) -> WriteError {
    WriteError::Refused(Box::new(Diagnostic::new(code, message)))
}

/// Looks at what is at `dir` and says whether a build may replace it: a missing or empty
/// directory and a previous build (see [`Existing::PreviousBuild`]) always, any other
/// directory only with `force`. Always refused: a file, a symbolic link, a path without a
/// final name (`.`, `..`, `/`) (P9011), and a directory whose real path is one of `protected`
/// (the posture's project root and source files) or an ancestor of one (P9010).
pub fn inspect(dir: &Path, force: bool, protected: &[PathBuf]) -> Result<Existing, WriteError> {
    names(dir)?;
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Missing),
        Err(e) => {
            return Err(refused(
                &P9011,
                format!(
                    "cannot use `{}` as the output directory: {e}",
                    dir.display()
                ),
            ));
        }
    };
    if meta.file_type().is_symlink() {
        return Err(refused(
            &P9011,
            format!(
                "`{}` is a symbolic link; give the directory it points to",
                dir.display()
            ),
        ));
    }
    if !meta.is_dir() {
        return Err(refused(
            &P9011,
            format!("`{}` exists and is not a directory", dir.display()),
        ));
    }
    let real = fs::canonicalize(dir).map_err(|e| {
        refused(
            &P9011,
            format!(
                "cannot use `{}` as the output directory: {e}",
                dir.display()
            ),
        )
    })?;
    for p in protected {
        let at = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p.as_path()
        };
        let p = fs::canonicalize(at).unwrap_or_else(|_| at.to_path_buf());
        if p.starts_with(&real) {
            return Err(WriteError::Refused(Box::new(
                Diagnostic::new(
                    &P9010,
                    format!(
                        "`{}` holds the posture's own sources; refusing to replace it, even \
                         with --force",
                        dir.display()
                    ),
                )
                .with_help("write the output to a directory of its own, e.g. `-o out`"),
            )));
        }
    }
    let mut entries = fs::read_dir(dir)
        .map_err(|e| refused(&P9011, format!("cannot read `{}`: {e}", dir.display())))?;
    if entries.next().is_none() {
        return Ok(Existing::Empty);
    }
    let why = match previous_output(dir) {
        Ok(()) => return Ok(Existing::PreviousBuild),
        Err(why) => why,
    };
    if force {
        return Ok(Existing::Foreign);
    }
    Err(WriteError::Refused(Box::new(
        Diagnostic::new(
            &P9009,
            format!(
                "`{}` is not empty and is not the output of a previous build ({why}); refusing \
                 to replace it",
                dir.display()
            ),
        )
        .with_help("choose another directory, or pass --force to replace it and everything in it"),
    )))
}

/// `Ok` when `dir` is a previous build's output, else why not: its `manifest.json` is
/// posture's, [`MARKER`] holds that manifest's digest, and every file and directory below
/// `dir` is listed in the manifest (or is one of the two). Links are never followed.
fn previous_output(dir: &Path) -> Result<(), String> {
    let regular = |name: &str| -> Result<Vec<u8>, String> {
        let p = dir.join(name);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_file() => fs::read(&p).map_err(|e| format!("cannot read `{name}`: {e}")),
            Ok(_) => Err(format!("its `{name}` is not a regular file")),
            Err(_) => Err(format!("it has no posture `{name}`")),
        }
    };
    let manifest_bytes = regular(MANIFEST)?;
    let manifest = parse_manifest(&manifest_bytes)
        .ok_or_else(|| format!("its `{MANIFEST}` was not written by posture"))?;
    let marker = regular(MARKER).map_err(|_| format!("it has no `{MARKER}` marker"))?;
    if marker != marker_for(&manifest_bytes) {
        return Err(format!(
            "its `{MARKER}` marker does not match its `{MANIFEST}`"
        ));
    }
    let mut files: BTreeSet<String> = manifest.files.iter().map(|f| f.path.clone()).collect();
    files.insert(MANIFEST.to_string());
    files.insert(MARKER.to_string());
    let dirs: BTreeSet<String> = files
        .iter()
        .flat_map(|f| {
            f.match_indices('/')
                .map(|(i, _)| f[..i].to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((at, rel)) = stack.pop() {
        let entries = fs::read_dir(&at).map_err(|e| format!("cannot read `{rel}`: {e}"))?;
        for e in entries {
            let e = e.map_err(|e| e.to_string())?;
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let t = e.file_type().map_err(|e| e.to_string())?;
            if t.is_dir() && dirs.contains(&path) {
                stack.push((e.path(), path));
            } else if !(t.is_file() && files.contains(&path)) {
                return Err(format!("`{path}` is not listed in its `{MANIFEST}`"));
            }
        }
    }
    Ok(())
}

/// Writes `files` as the whole content of `dir`, atomically. See [`write_dir_with`].
pub fn write_dir(
    dir: &Path,
    files: &[OutputFile],
    force: bool,
    protected: &[PathBuf],
) -> Result<Written, WriteError> {
    write_dir_with(dir, files, force, protected, &mut |_| Ok(()))
}

/// Writes `files` (and [`MARKER`]) as the whole content of `dir`:
///
/// 1. checks `dir` with [`inspect`] and every file path with [`is_safe_path`] and
///    [`MAX_NAME_BYTES`];
/// 2. writes every file into a fresh directory `.NAME.tmp-PID` next to `dir`, then flushes
///    it to disk once ([`sync_tree`]: no `fsync` per file);
/// 3. moves an existing `dir` aside to `.NAME.old-PID`, renames the new directory to `dir`,
///    removes the old one, and syncs the parent directory so the rename is durable.
///
/// A failure before step 3 removes the new directory and leaves `dir` untouched; a failure in
/// step 3 moves the old directory back. Messages name `dir` and the files in it, never the
/// temporary directory. `fail` is called before each step and may fail it (tests inject
/// failures with it; [`write_dir`] passes a hook that never fails).
pub fn write_dir_with(
    dir: &Path,
    files: &[OutputFile],
    force: bool,
    protected: &[PathBuf],
    fail: &mut dyn FnMut(Step<'_>) -> io::Result<()>,
) -> Result<Written, WriteError> {
    let existing = inspect(dir, force, protected)?;
    if let Some(bad) = files
        .iter()
        .find(|f| !is_safe_path(&f.path) || f.path == MARKER)
    {
        return Err(WriteError::Failed(format!(
            "refusing to write `{}`: not a relative path inside the output directory",
            bad.path.escape_debug()
        )));
    }
    if let Some(bad) = files
        .iter()
        .find(|f| f.path.split('/').any(|seg| seg.len() > MAX_NAME_BYTES))
    {
        return Err(WriteError::Failed(format!(
            "refusing to write `{}`: a file name is longer than {MAX_NAME_BYTES} bytes",
            bad.path.escape_debug()
        )));
    }
    let (parent, name) = names(dir)?;
    let pid = std::process::id();
    let temp = parent.join(sibling(&name, "tmp", pid));
    let aside = parent.join(sibling(&name, "old", pid));

    // `-o a/b/out` creates `a/b` like `mkdir -p`.
    if !parent.as_os_str().is_empty() {
        fs::create_dir_all(&parent).map_err(|e| failed(&parent, e))?;
    }
    // A leftover of an earlier run with the same process id is ours to remove.
    let _ = fs::remove_dir_all(&temp);
    // Only a previous build's files may be taken over; a directory replaced with `--force` is
    // never read.
    let previous = (existing == Existing::PreviousBuild).then_some(dir);
    let filled = fs::create_dir(&temp)
        .map_err(|e| failed(dir, e))
        .and_then(|()| fill(&temp, dir, previous, files, fail));
    let reused = match filled {
        Ok(reused) => reused,
        Err(e) => {
            let _ = fs::remove_dir_all(&temp);
            return Err(e);
        }
    };
    if let Err(e) = fail(Step::Swap) {
        let _ = fs::remove_dir_all(&temp);
        return Err(failed(dir, e));
    }

    let mut written = Written {
        reused,
        ..Written::default()
    };
    if existing == Existing::Missing {
        if let Err(e) = fs::rename(&temp, dir) {
            let _ = fs::remove_dir_all(&temp);
            return Err(failed(dir, e));
        }
    } else {
        let _ = fs::remove_dir_all(&aside);
        if let Err(e) = fs::rename(dir, &aside) {
            let _ = fs::remove_dir_all(&temp);
            return Err(failed(dir, e));
        }
        if let Err(e) = fs::rename(&temp, dir) {
            // Put the previous build back where it was before reporting.
            let _ = fs::rename(&aside, dir);
            let _ = fs::remove_dir_all(&temp);
            return Err(failed(dir, e));
        }
        if fs::remove_dir_all(&aside).is_err() {
            written.leftover = Some(aside);
        }
    }
    sync_dir(&parent);
    Ok(written)
}

/// Writes every file below `root` (the temporary directory), and [`MARKER`], then makes them
/// durable with one flush ([`sync_tree`]) instead of one `fsync` per file. Errors name the
/// file as it will be in `dir`. Returns how many files were taken over from `previous`.
///
/// With `previous` (the output directory, when it holds a previous build), a file whose
/// previous version holds exactly the new bytes is hard-linked into `root` instead of written
/// again ([`link_unchanged`]): a rebuild of an unchanged posture creates no file and writes no
/// data, so the flush has next to nothing to do. The swap then removes only the previous
/// build's names. Anything doubtful (another link to the file, another owner or mode, a
/// different length or byte, a link swapped in) writes the file afresh.
fn fill(
    root: &Path,
    dir: &Path,
    previous: Option<&Path>,
    files: &[OutputFile],
    fail: &mut dyn FnMut(Step<'_>) -> io::Result<()>,
) -> Result<usize, WriteError> {
    let manifest = files
        .iter()
        .find(|f| f.path == MANIFEST)
        .map(|f| f.bytes.as_slice())
        .unwrap_or_default();
    // Written first: the owner and mode of a file written here now are what a taken-over
    // file must have.
    write_new(&root.join(MARKER), &marker_for(manifest))
        .map_err(|e| failed(&dir.join(MARKER), e))?;
    let mut reuse = previous.and_then(|p| Reuse::new(p, &root.join(MARKER)));
    let mut reused = 0;
    let mut dirs = BTreeSet::new();
    for f in files {
        let path = root.join(&f.path);
        let shown = dir.join(&f.path);
        fail(Step::File(&f.path)).map_err(|e| failed(&shown, e))?;
        if let Some(parent) = path.parent()
            && !dirs.contains(parent)
        {
            fs::create_dir_all(parent).map_err(|e| failed(&shown, e))?;
            dirs.insert(parent.to_path_buf());
        }
        if let Some(r) = reuse.as_mut()
            && r.link_unchanged(&f.path, &f.bytes, &path)
        {
            reused += 1;
            continue;
        }
        write_new(&path, &f.bytes).map_err(|e| failed(&shown, e))?;
    }
    fail(Step::Sync).map_err(|e| failed(dir, e))?;
    sync_tree(root, files, &dirs).map_err(|e| failed(dir, e))?;
    Ok(reused)
}

/// Taking over a previous build's unchanged files (see [`fill`]).
struct Reuse<'a> {
    /// The previous build's directory.
    previous: &'a Path,
    /// What a file written now looks like: its owner and permission bits (Unix).
    #[cfg(unix)]
    like: (u32, u32),
    /// Reused for reading each previous file.
    buf: Vec<u8>,
}

impl<'a> Reuse<'a> {
    /// `None` where files cannot be taken over (no hard links off Unix) or `fresh`, a file just
    /// written, cannot be read.
    fn new(previous: &'a Path, fresh: &Path) -> Option<Reuse<'a>> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let m = fs::symlink_metadata(fresh).ok()?;
            Some(Reuse {
                previous,
                like: (m.uid(), m.mode() & 0o7777),
                buf: Vec::new(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = (previous, fresh);
            None
        }
    }

    /// Hard-links `new` to the previous build's file at `rel` when that file is a regular file
    /// with no other link, this build's owner and mode, and exactly `bytes`; true when `new`
    /// is then that file. On any doubt nothing is left at `new` and the caller writes it.
    #[cfg(unix)]
    fn link_unchanged(&mut self, rel: &str, bytes: &[u8], new: &Path) -> bool {
        use std::io::Read;
        use std::os::unix::fs::MetadataExt;
        let old = self.previous.join(rel);
        let Ok(meta) = fs::symlink_metadata(&old) else {
            return false;
        };
        if !meta.file_type().is_file()
            || meta.nlink() != 1
            || meta.len() != bytes.len() as u64
            || (meta.uid(), meta.mode() & 0o7777) != self.like
        {
            return false;
        }
        // The bytes, read from the file just checked (same device and inode), to one past
        // the expected length so a file that grew is seen.
        let Ok(mut file) = fs::File::open(&old) else {
            return false;
        };
        let same_file = |m: &fs::Metadata| m.dev() == meta.dev() && m.ino() == meta.ino();
        if !file.metadata().is_ok_and(|m| same_file(&m)) {
            return false;
        }
        self.buf.clear();
        let limit = bytes.len() as u64 + 1;
        if (&mut file).take(limit).read_to_end(&mut self.buf).is_err() || self.buf != bytes {
            return false;
        }
        if fs::hard_link(&old, new).is_err() {
            let _ = fs::remove_file(new);
            return false;
        }
        // What was linked must be the file that was read (not a link swapped in meanwhile).
        if fs::symlink_metadata(new).is_ok_and(|m| m.file_type().is_file() && same_file(&m)) {
            return true;
        }
        let _ = fs::remove_file(new);
        false
    }

    #[cfg(not(unix))]
    fn link_unchanged(&mut self, _: &str, _: &[u8], _: &Path) -> bool {
        false
    }
}

/// Makes everything written below `root` durable before it is renamed into place. On Linux one
/// `syncfs(2)` of the file system that holds `root` flushes every file and directory entry
/// written (one system call instead of one `fsync` per file); elsewhere, or when `syncfs`
/// fails, one pass at the end syncs each file, then the directories, children before parents.
fn sync_tree(root: &Path, files: &[OutputFile], dirs: &BTreeSet<PathBuf>) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let d = fs::File::open(root)?;
        if rustix::fs::syncfs(&d).is_ok() {
            return Ok(());
        }
    }
    for f in files {
        fs::File::open(root.join(&f.path))?.sync_all()?;
    }
    fs::File::open(root.join(MARKER))?.sync_all()?;
    for d in dirs.iter().rev() {
        sync_dir(d);
    }
    sync_dir(root);
    Ok(())
}

/// [`replace_file`] for `fmt`: `real` must still be a regular file (not a link) whose real
/// path is itself and lies inside `real_root`, so a link swapped in after the posture was
/// read cannot make `fmt` write outside the project.
pub fn replace_file_inside(real: &Path, real_root: &Path, bytes: &[u8]) -> io::Result<()> {
    let meta = fs::symlink_metadata(real)?;
    if !meta.file_type().is_file() {
        return Err(io::Error::other("it is no longer a regular file"));
    }
    let canonical = fs::canonicalize(real)?;
    if canonical != real || !canonical.starts_with(real_root) {
        return Err(io::Error::other("it now resolves outside the project root"));
    }
    replace_file(real, bytes)
}

/// Replaces the file at `path` with `bytes` atomically: a temporary file in the same
/// directory, synced, given the old file's permissions, then renamed over it.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (parent, name) = match (path.parent(), path.file_name()) {
        (Some(p), Some(n)) => (
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            },
            n,
        ),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a file path",
            ));
        }
    };
    let temp = parent.join(sibling(
        name.to_os_string().as_os_str(),
        "fmt",
        std::process::id(),
    ));
    // A leftover of an earlier run with the same process id is ours to remove.
    let _ = fs::remove_file(&temp);
    let result = write_synced(&temp, bytes)
        .and_then(|()| match fs::metadata(path) {
            Ok(m) => fs::set_permissions(&temp, m.permissions()),
            Err(_) => Ok(()),
        })
        .and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    } else {
        sync_dir(parent);
    }
    result
}

/// Creates `path` (which must not exist) and writes `bytes`, without syncing: [`fill`] flushes
/// the whole output once.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)
}

/// Creates `path` (which must not exist), writes `bytes` and syncs them to disk (`fmt`'s one
/// file).
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs a directory's entries to disk where the platform allows it; best effort, since a
/// directory cannot be opened for syncing everywhere.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// The parent directory and final name of `dir`, or a refusal when it has no final name.
fn names(dir: &Path) -> Result<(PathBuf, OsString), WriteError> {
    let Some(name) = dir.file_name() else {
        return Err(refused(
            &P9011,
            format!(
                "cannot use `{}` as the output directory; name it, e.g. `-o out`",
                dir.display()
            ),
        ));
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_os_string()))
}

/// `.NAME.KIND-PID`: a hidden sibling of `NAME`. A long `NAME` is cut (at a character) so
/// the sibling's name stays within [`MAX_NAME_BYTES`].
fn sibling(name: &std::ffi::OsStr, kind: &str, pid: u32) -> OsString {
    let suffix = format!(".{kind}-{pid}");
    let room = MAX_NAME_BYTES - 1 - suffix.len();
    let mut s = OsString::from(".");
    if name.len() <= room {
        s.push(name);
    } else {
        let lossy = name.to_string_lossy();
        let mut cut = room.min(lossy.len());
        while !lossy.is_char_boundary(cut) {
            cut -= 1;
        }
        s.push(&lossy[..cut]);
    }
    s.push(suffix);
    s
}

fn failed(path: &Path, e: io::Error) -> WriteError {
    WriteError::Failed(format!("cannot write `{}`: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A fresh directory under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let p = std::env::temp_dir()
                .join(format!("posture-cli-test-{}-{tag}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).expect("scratch dir");
            Scratch(p)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile {
            path: path.to_string(),
            bytes: text.as_bytes().to_vec(),
            sources: Vec::new(),
            applyable: true,
        }
    }

    fn build(files: Vec<OutputFile>) -> Vec<OutputFile> {
        driver::output::assemble(files).files
    }

    /// Every file and directory below `root`, with file contents.
    fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).expect("read_dir") {
                let p = e.expect("entry").path();
                let rel = p.strip_prefix(root).expect("below root").to_path_buf();
                if p.is_dir() {
                    out.insert(rel, None);
                    stack.push(p);
                } else {
                    out.insert(rel, Some(fs::read(&p).expect("read")));
                }
            }
        }
        out
    }

    /// The names in `parent` other than `keep`: leftovers of a write.
    fn strays(parent: &Path, keep: &str) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(parent)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n != keep)
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_a_new_directory_and_replaces_a_previous_build() {
        let s = Scratch::new("replace");
        let out = s.0.join("out");
        let first = build(vec![
            file("network/a.yaml", "a: 1\n"),
            file("b.yaml", "b\n"),
        ]);
        write_dir(&out, &first, false, &[]).expect("first write");
        assert_eq!(fs::read(out.join("network/a.yaml")).expect("a"), b"a: 1\n");
        assert_eq!(
            inspect(&out, false, &[]).expect("inspect"),
            Existing::PreviousBuild
        );

        let second = build(vec![file("c.yaml", "c\n")]);
        let w = write_dir(&out, &second, false, &[]).expect("second write");
        assert!(w.leftover.is_none());
        assert!(!out.join("network").exists(), "old files are gone");
        assert_eq!(fs::read(out.join("c.yaml")).expect("c"), b"c\n");
        assert_eq!(strays(&s.0, "out"), Vec::<String>::new());
    }

    #[cfg(unix)]
    fn inode(p: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(p).expect("metadata").ino()
    }

    #[cfg(unix)]
    #[test]
    fn a_rebuild_takes_over_unchanged_files_and_writes_changed_ones() {
        use std::os::unix::fs::MetadataExt;
        let s = Scratch::new("reuse");
        let out = s.0.join("out");
        let first = build(vec![file("n/a.yaml", "a: 1\n"), file("b.yaml", "b\n")]);
        write_dir(&out, &first, false, &[]).expect("first write");
        let (a, b) = (inode(&out.join("n/a.yaml")), inode(&out.join("b.yaml")));

        // a.yaml is unchanged (and so is the kustomization listing it), b.yaml changes, and
        // so does the manifest (b's digest).
        let second = build(vec![file("n/a.yaml", "a: 1\n"), file("b.yaml", "B\n")]);
        let unchanged: Vec<&str> = second
            .iter()
            .filter(|f| first.iter().any(|g| g.path == f.path && g.bytes == f.bytes))
            .map(|f| f.path.as_str())
            .collect();
        assert!(unchanged.contains(&"n/a.yaml") && !unchanged.contains(&"b.yaml"));
        assert!(!unchanged.contains(&MANIFEST));
        let w = write_dir(&out, &second, false, &[]).expect("second write");
        assert_eq!(
            w.reused,
            unchanged.len(),
            "only unchanged files are taken over"
        );
        assert_eq!(inode(&out.join("n/a.yaml")), a, "the same file, linked");
        assert_ne!(
            inode(&out.join("b.yaml")),
            b,
            "a changed file is written afresh"
        );
        assert_eq!(fs::read(out.join("b.yaml")).expect("b"), b"B\n");
        let links = fs::metadata(out.join("n/a.yaml")).expect("a").nlink();
        assert_eq!(links, 1, "the previous build's name is gone");
        assert_eq!(strays(&s.0, "out"), Vec::<String>::new());

        // The same build again takes over everything and gives the same bytes.
        let before = snapshot(&out);
        let w = write_dir(&out, &second, false, &[]).expect("third write");
        assert_eq!(w.reused, second.len(), "every file, the manifest included");
        assert_eq!(snapshot(&out), before);
        assert_eq!(
            inspect(&out, false, &[]).expect("inspect"),
            Existing::PreviousBuild
        );
    }

    #[cfg(unix)]
    #[test]
    fn doubtful_previous_files_are_written_afresh() {
        use std::os::unix::fs::PermissionsExt;
        let s = Scratch::new("doubt");
        let out = s.0.join("out");
        let files = build(vec![
            file("edited.yaml", "same length\n"),
            file("linked.yaml", "linked\n"),
            file("mode.yaml", "mode\n"),
            file("kept.yaml", "kept\n"),
        ]);
        write_dir(&out, &files, false, &[]).expect("first write");
        // Edited in place after the build (same length), linked from elsewhere, its mode
        // changed: each still listed, so the directory is still a previous build.
        fs::write(out.join("edited.yaml"), "SAME LENGTH\n").expect("edit");
        fs::hard_link(out.join("linked.yaml"), s.0.join("elsewhere")).expect("link");
        fs::set_permissions(out.join("mode.yaml"), fs::Permissions::from_mode(0o600))
            .expect("chmod");
        let kept = inode(&out.join("kept.yaml"));
        let w = write_dir(&out, &files, false, &[]).expect("rewrite");
        assert_eq!(
            w.reused,
            files.len() - 3,
            "everything but the edited, linked and chmod-ed files is taken over"
        );
        assert_eq!(inode(&out.join("kept.yaml")), kept);
        assert_eq!(
            fs::read(out.join("edited.yaml")).expect("edited"),
            b"same length\n"
        );
        assert_ne!(
            inode(&out.join("linked.yaml")),
            inode(&s.0.join("elsewhere"))
        );
        let mode = fs::metadata(out.join("mode.yaml"))
            .expect("mode")
            .permissions()
            .mode();
        assert_ne!(mode & 0o777, 0o600, "written with the build's own mode");
        assert_eq!(
            fs::read(s.0.join("elsewhere")).expect("other link"),
            b"linked\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_forced_foreign_directory_is_never_taken_over() {
        let s = Scratch::new("foreign-reuse");
        let out = s.0.join("out");
        fs::create_dir_all(&out).expect("dir");
        fs::write(out.join("a.yaml"), "a\n").expect("foreign file");
        fs::write(out.join("notes.txt"), "mine\n").expect("foreign file");
        let before = inode(&out.join("a.yaml"));
        let files = build(vec![file("a.yaml", "a\n")]);
        let w = write_dir(&out, &files, true, &[]).expect("forced write");
        assert_eq!(w.reused, 0);
        assert_ne!(inode(&out.join("a.yaml")), before);
    }

    #[test]
    fn the_same_output_gives_the_same_bytes() {
        let s = Scratch::new("same");
        let files = build(vec![file("x/y.yaml", "y\n")]);
        write_dir(&s.0.join("one"), &files, false, &[]).expect("one");
        write_dir(&s.0.join("two"), &files, false, &[]).expect("two");
        assert_eq!(snapshot(&s.0.join("one")), snapshot(&s.0.join("two")));
    }

    #[test]
    fn a_failure_midway_leaves_dir_byte_identical() {
        let s = Scratch::new("midway");
        let out = s.0.join("out");
        write_dir(
            &out,
            &build(vec![file("keep/me.yaml", "old\n")]),
            false,
            &[],
        )
        .expect("first");
        let before = snapshot(&out);

        let next = build(vec![
            file("a.yaml", "new a\n"),
            file("m/n.yaml", "new n\n"),
            file("z.yaml", "new z\n"),
        ]);
        let mut count = 0;
        let err = write_dir_with(&out, &next, false, &[], &mut |step| {
            if let Step::File(_) = step {
                count += 1;
                if count == 3 {
                    return Err(io::Error::other("disk full (injected)"));
                }
            }
            Ok(())
        })
        .expect_err("injected failure");
        assert!(
            matches!(err, WriteError::Failed(ref m) if m.contains("injected")
                && m.contains("out/m/n.yaml") && !m.contains(".tmp-")),
            "the message names the file in DIR, never the temporary directory: {err:?}"
        );
        assert_eq!(snapshot(&out), before);
        assert_eq!(
            strays(&s.0, "out"),
            Vec::<String>::new(),
            "temp dir removed"
        );

        // Failing before the flush or just before the swap is the same.
        for at in [Step::Sync, Step::Swap] {
            let err = write_dir_with(&out, &next, false, &[], &mut |step| {
                if step == at {
                    Err(io::Error::other("injected"))
                } else {
                    Ok(())
                }
            })
            .expect_err("injected failure");
            assert!(matches!(err, WriteError::Failed(_)));
            assert_eq!(snapshot(&out), before, "{at:?}");
            assert_eq!(strays(&s.0, "out"), Vec::<String>::new(), "{at:?}");
        }
    }

    #[test]
    fn a_failure_on_a_new_dir_leaves_nothing() {
        let s = Scratch::new("fresh");
        let out = s.0.join("out");
        let files = build(vec![file("a.yaml", "a\n")]);
        let err = write_dir_with(&out, &files, false, &[], &mut |_| {
            Err(io::Error::other("no"))
        });
        assert!(err.is_err());
        assert!(!out.exists());
        assert_eq!(strays(&s.0, "out"), Vec::<String>::new());
    }

    #[test]
    fn foreign_directories_are_refused_unless_forced() {
        let s = Scratch::new("foreign");
        let out = s.0.join("home");
        fs::create_dir(&out).expect("mkdir");
        fs::write(out.join("thesis.tex"), "precious").expect("write");
        fs::write(out.join(MANIFEST), "{\"name\": \"npm-ish\"}").expect("write");
        let before = snapshot(&out);
        let files = build(vec![file("a.yaml", "a\n")]);
        let err = write_dir(&out, &files, false, &[]).expect_err("refused");
        assert!(
            matches!(err, WriteError::Refused(ref d) if d.code.id == "P9009"),
            "{err:?}"
        );
        assert_eq!(snapshot(&out), before);

        write_dir(&out, &files, true, &[]).expect("forced");
        assert!(!out.join("thesis.tex").exists());
        assert_eq!(
            inspect(&out, false, &[]).expect("inspect"),
            Existing::PreviousBuild
        );
    }

    #[test]
    fn empty_directories_files_and_nameless_paths() {
        let s = Scratch::new("kinds");
        let empty = s.0.join("empty");
        fs::create_dir(&empty).expect("mkdir");
        assert_eq!(
            inspect(&empty, false, &[]).expect("inspect"),
            Existing::Empty
        );
        assert_eq!(
            inspect(&s.0.join("missing"), false, &[]).expect("inspect"),
            Existing::Missing
        );
        let f = s.0.join("file");
        fs::write(&f, "x").expect("write");
        assert!(matches!(
            inspect(&f, true, &[]),
            Err(WriteError::Refused(_))
        ));
        for nameless in [".", "..", "/"] {
            assert!(
                matches!(
                    inspect(Path::new(nameless), true, &[]),
                    Err(WriteError::Refused(_))
                ),
                "{nameless}"
            );
        }
        #[cfg(unix)]
        {
            let link = s.0.join("link");
            std::os::unix::fs::symlink(&empty, &link).expect("symlink");
            assert!(matches!(
                inspect(&link, true, &[]),
                Err(WriteError::Refused(_))
            ));
        }
    }

    #[test]
    fn unsafe_paths_are_refused_before_anything_is_written() {
        let s = Scratch::new("unsafe");
        let out = s.0.join("out");
        let files = vec![file("ok.yaml", "x"), file("../escape.yaml", "x")];
        let err = write_dir(&out, &files, false, &[]).expect_err("refused");
        assert!(matches!(err, WriteError::Failed(_)));
        assert!(!out.exists());
        assert!(!s.0.join("escape.yaml").exists());
        assert_eq!(strays(&s.0, "out"), Vec::<String>::new());
    }

    #[test]
    fn replace_file_keeps_permissions_and_leaves_no_temp() {
        let s = Scratch::new("replace-file");
        let p = s.0.join("a.posture");
        fs::write(&p, "old").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).expect("chmod");
        }
        replace_file(&p, b"new").expect("replace");
        assert_eq!(fs::read(&p).expect("read"), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        assert_eq!(strays(&s.0, "a.posture"), Vec::<String>::new());
    }
}
