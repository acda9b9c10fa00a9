//! Loading a posture: the files of a directory (or one file), their imports, and the
//! standard-library bundles they `use`. Every file is read through [`World`], checked for size
//! and encoding, and parsed. A file reached twice (by a cycle, by two imports, or by two links
//! to one file) is loaded once.
//!
//! The file system is not trusted. Every user file (a directory's `.posture` entries, the file
//! given on the command line, every import) is resolved to its real path and refused when that
//! lies outside the project root, so a symbolic link cannot pull in a file nobody reviewed
//! (P1001 for an import, P9008 for a directory entry; the file is never read). What a path
//! names is looked at before it is opened: anything but a regular file (a FIFO, a device, a
//! directory) is refused (P9007), and so is a file larger than [`MAX_FILE_BYTES`] (P9003), of
//! which at most one byte more is ever read. An entry that cannot be looked at (a dangling
//! link, a link loop, no permission) is an error (P9001), never skipped.

use crate::world::{FileKind, World};
use diagnostics::codes::{io as io_codes, names};
use diagnostics::{Diagnostic, Diagnostics, FileId, Sources, Span};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use syntax::ast;

/// Source files larger than this (64 MiB) are refused (P9003).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Where a parsed file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A file of the user's posture.
    User,
    /// A standard-library bundle embedded in the binary.
    Stdlib,
}

/// One parsed file.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub id: FileId,
    pub origin: Origin,
    /// The AST; `None` when the file could not be read or parsed.
    pub ast: Option<ast::File>,
}

/// Everything loaded for one run.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub sources: Sources,
    pub files: Vec<LoadedFile>,
    /// The user files, by display path, for `fmt`.
    pub user_files: BTreeMap<String, FileId>,
    /// The real path (every symbolic link resolved) of each user file, by display path: what
    /// `fmt` writes to, so it rewrites the file a link points to (inside the root) and never
    /// replaces the link.
    pub real_paths: BTreeMap<String, PathBuf>,
    /// The real path of the project root.
    pub real_root: PathBuf,
}

impl Loaded {
    /// The ASTs of every file that parsed.
    pub fn asts(&self) -> impl Iterator<Item = &ast::File> {
        self.files.iter().filter_map(|f| f.ast.as_ref())
    }
}

/// Loads the posture at `path` (a `.posture` file or a directory of them).
///
/// Returns `Err` with one diagnostic when `path` itself cannot be read (a usage error: exit 2);
/// otherwise everything that could be loaded and every problem found.
pub fn load(world: &dyn World, path: &Path) -> Result<(Loaded, Diagnostics), Diagnostic> {
    let meta = world.metadata(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file or directory".to_string()
        } else {
            e.to_string()
        };
        unreadable(path, &why)
    })?;
    let (root, initial) = if meta.kind == FileKind::Dir {
        let entries = world
            .read_dir(path)
            .map_err(|e| unreadable(path, &e.to_string()))?;
        // Every `.posture` entry, whatever it is: a link that dangles or a FIFO is reported
        // when it is loaded, never skipped here.
        let mut files: Vec<PathBuf> = entries
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "posture"))
            .map(|p| normalize(&p))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(Diagnostic::new(
                &io_codes::P9005,
                format!("`{}` contains no `.posture` files", path.display()),
            )
            .with_help("give a `.posture` file or a directory that holds some"));
        }
        (normalize(path), files)
    } else {
        let root = path.parent().map(normalize).unwrap_or_default();
        (root, vec![normalize(path)])
    };
    let real_root = {
        let at = if root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            root.as_path()
        };
        world
            .canonicalize(at)
            .map_err(|e| unreadable(at, &e.to_string()))?
    };

    let mut loader = Loader {
        world,
        root,
        loaded: Loaded {
            real_root: real_root.clone(),
            ..Loaded::default()
        },
        real_root,
        diags: Diagnostics::new(),
        seen: BTreeSet::new(),
    };
    // Paths as written (after `..` is resolved lexically) already queued, so a missing file
    // imported twice is reported once; `seen` then dedupes by real path.
    let mut queued: BTreeSet<PathBuf> = initial.iter().cloned().collect();
    let mut queue: VecDeque<(PathBuf, Option<Import>)> =
        initial.into_iter().map(|p| (p, None)).collect();
    while let Some((file, imported)) = queue.pop_front() {
        let Some(id) = loader.read_user_file(&file, imported.as_ref()) else {
            continue;
        };
        for (target, import) in loader.imports_of(id, &file) {
            if queued.insert(target.clone()) {
                queue.push_back((target, Some(import)));
            }
        }
    }
    loader.load_stdlib();
    Ok((loader.loaded, loader.diags))
}

/// Where an import was written: its string as written and the string's span.
#[derive(Debug, Clone)]
struct Import {
    text: String,
    span: Span,
}

fn unreadable(path: &Path, why: &str) -> Diagnostic {
    Diagnostic::new(
        &io_codes::P9001,
        format!("cannot read `{}`: {why}", path.display()),
    )
}

struct Loader<'w> {
    world: &'w dyn World,
    /// The project root as given (display paths are relative to it).
    root: PathBuf,
    /// Its real path: every user file's real path must lie below it.
    real_root: PathBuf,
    loaded: Loaded,
    diags: Diagnostics,
    /// Real paths already loaded (or refused).
    seen: BTreeSet<PathBuf>,
}

impl Loader<'_> {
    fn display(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A problem with a user file: at the import's string when it was imported, without a
    /// span when it was named by the command line or found in the directory.
    fn problem(
        imported: Option<&Import>,
        code: &'static diagnostics::codes::Code,
        message: String,
    ) -> Diagnostic {
        match imported {
            Some(i) => Diagnostic::spanned(code, i.span, message).with_label("imported here"),
            None => Diagnostic::new(code, message),
        }
    }

    fn refuse(
        &mut self,
        imported: Option<&Import>,
        code: &'static diagnostics::codes::Code,
        message: String,
    ) {
        self.diags.push(Self::problem(imported, code, message));
    }

    /// Resolves, checks, reads, decodes and parses one user file. `None` when it was refused,
    /// could not be read, or was loaded already.
    fn read_user_file(&mut self, path: &Path, imported: Option<&Import>) -> Option<FileId> {
        let display = self.display(path);
        let cannot = |e: &std::io::Error| match imported {
            Some(_) => format!("cannot import `{display}`: {e}"),
            None => format!("cannot read `{display}`: {e}"),
        };
        let read_code = if imported.is_some() {
            &names::P1002
        } else {
            &io_codes::P9001
        };
        let real = match self.world.canonicalize(path) {
            Ok(r) => r,
            Err(e) => {
                let m = cannot(&e);
                self.refuse(imported, read_code, m);
                return None;
            }
        };
        if !real.starts_with(&self.real_root) {
            // Never read: not even its first line may reach a diagnostic.
            match imported {
                Some(i) => self.diags.push(
                    Diagnostic::spanned(
                        &names::P1001,
                        i.span,
                        format!(
                            "`{}` is outside the project root (through a symbolic link)",
                            i.text
                        ),
                    )
                    .with_label("imports stay inside the directory given on the command line")
                    .with_help("copy the file into the project instead of linking to it"),
                ),
                None => self.diags.push(
                    Diagnostic::new(
                        &io_codes::P9008,
                        format!(
                            "`{display}` is a symbolic link to a file outside the project root"
                        ),
                    )
                    .with_help("copy the file into the project instead of linking to it"),
                ),
            }
            return None;
        }
        if !self.seen.insert(real.clone()) {
            return None;
        }
        let meta = match self.world.metadata(&real) {
            Ok(m) => m,
            Err(e) => {
                let m = cannot(&e);
                self.refuse(imported, read_code, m);
                return None;
            }
        };
        if meta.kind != FileKind::File {
            let what = if meta.kind == FileKind::Dir {
                "a directory"
            } else {
                "not a regular file (a FIFO, a socket or a device)"
            };
            self.diags.push(
                Self::problem(imported, &io_codes::P9007, format!("`{display}` is {what}"))
                    .with_help("posture reads only regular files; rename or remove it"),
            );
            return None;
        }
        if meta.len > MAX_FILE_BYTES as u64 {
            self.too_large(&display, imported);
            return None;
        }
        let bytes = match self.world.read_at_most(&real, MAX_FILE_BYTES) {
            Ok(Some(b)) => b,
            Ok(None) => {
                // It grew between the look and the read.
                self.too_large(&display, imported);
                return None;
            }
            Err(e) => {
                let m = cannot(&e);
                self.refuse(imported, read_code, m);
                return None;
            }
        };
        self.loaded.real_paths.insert(display.clone(), real);
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
                let id = self.loaded.sources.add(display.clone(), prefix);
                self.diags.push(
                    Diagnostic::spanned(
                        &io_codes::P9002,
                        Span::new(id, valid, valid),
                        format!("`{display}` is not valid UTF-8"),
                    )
                    .with_label(format!("invalid byte at offset {valid}"))
                    .with_help("save the file as UTF-8"),
                );
                self.loaded.files.push(LoadedFile {
                    id,
                    origin: Origin::User,
                    ast: None,
                });
                return None;
            }
        };
        let id = self.loaded.sources.add(display.clone(), text);
        self.loaded.user_files.insert(display.clone(), id);
        // Parsed where the sources keep it (no copy of the text).
        let (empty, (ast, d)) = match self.loaded.sources.get(id) {
            Some(f) => (f.text.trim().is_empty(), syntax::parse(id, &f.text)),
            None => (true, syntax::parse(id, "")),
        };
        if empty {
            self.diags.push(
                Diagnostic::spanned(
                    &io_codes::P9004,
                    Span::new(id, 0, 0),
                    format!("`{display}` is empty"),
                )
                .with_help("delete the file, or declare something in it"),
            );
        }
        self.diags.extend(d);
        self.loaded.files.push(LoadedFile {
            id,
            origin: Origin::User,
            ast,
        });
        Some(id)
    }

    /// P9003 for a file larger than [`MAX_FILE_BYTES`]; it is listed with no text.
    fn too_large(&mut self, display: &str, imported: Option<&Import>) {
        let id = self.loaded.sources.add(display.to_string(), String::new());
        let message = format!("`{display}` is larger than 64 MiB");
        self.diags.push(
            Self::problem(imported, &io_codes::P9003, message)
                .with_help("split the posture into several files"),
        );
        self.loaded.files.push(LoadedFile {
            id,
            origin: Origin::User,
            ast: None,
        });
    }

    /// The files a parsed file imports, resolved against its directory.
    fn imports_of(&mut self, id: FileId, path: &Path) -> Vec<(PathBuf, Import)> {
        // The `import "…"` heads, copied out (the whole tree was cloned here, for every file).
        let heads: Vec<ast::Str> = self
            .loaded
            .files
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| f.ast.as_ref())
            .map(|ast| {
                ast.items
                    .iter()
                    .filter(|item| item.keyword.text == "import")
                    .filter_map(|item| match &item.head {
                        Some(ast::Head::Str(s)) => Some(s.clone()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut out = Vec::new();
        for s in &heads {
            let target = normalize(&dir.join(&s.value));
            if !target.starts_with(&self.root)
                || Path::new(&s.value).is_absolute()
                || target.components().any(|c| c == Component::ParentDir)
            {
                self.diags.push(
                    Diagnostic::spanned(&names::P1001, s.span, format!("`{}` is outside the project root", s.value))
                        .with_label("imports stay inside the directory given on the command line")
                        .with_help("move the file into the project, or run posture on a directory that contains both"),
                );
                continue;
            }
            if target.extension().is_none_or(|e| e != "posture") {
                self.diags.push(
                    Diagnostic::spanned(
                        &names::P1002,
                        s.span,
                        format!("`{}` is not a `.posture` file", s.value),
                    )
                    .with_help("imports name `.posture` files"),
                );
                continue;
            }
            out.push((
                target,
                Import {
                    text: s.value.clone(),
                    span: s.span,
                },
            ));
        }
        out
    }

    /// Parses every standard-library bundle that some loaded file `use`s, transitively.
    fn load_stdlib(&mut self) {
        let mut loaded: BTreeSet<&'static str> = BTreeSet::new();
        loop {
            let mut wanted: BTreeMap<String, Span> = BTreeMap::new();
            for ast in self.loaded.asts() {
                collect_std_uses(&ast.items, &mut wanted);
            }
            let mut progressed = false;
            for (name, span) in wanted {
                match stdlib::bundle(&name) {
                    Some(b) if loaded.contains(b.name) => {}
                    Some(b) => {
                        loaded.insert(b.name);
                        let id = self.loaded.sources.add(b.path, b.source);
                        let (ast, d) = syntax::parse(id, b.source);
                        self.diags.extend(d);
                        self.loaded.files.push(LoadedFile {
                            id,
                            origin: Origin::Stdlib,
                            ast,
                        });
                        progressed = true;
                    }
                    None => {
                        if self.reported_bundle(&name) {
                            continue;
                        }
                        self.diags.push(
                            Diagnostic::spanned(&names::P1003, span, format!("unknown bundle `std.{name}`"))
                                .with_did_you_mean(&name, stdlib::BUNDLES.iter().map(|b| b.name))
                                .with_help("the standard library's bundles are listed in the book, chapter \"Standard library\""),
                        );
                    }
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn reported_bundle(&self, name: &str) -> bool {
        let needle = format!("`std.{name}`");
        self.diags
            .iter()
            .any(|d| d.code.id == names::P1003.id && d.message.contains(&needle))
    }
}

/// Every `use std.X` path in items, at any depth, with its first span.
fn collect_std_uses(items: &[ast::Item], out: &mut BTreeMap<String, Span>) {
    for item in items {
        if item.keyword.text == "use"
            && let Some(ast::Head::Path(p)) = &item.head
            && p.segments.len() > 1
            && p.segments[0].text == "std"
        {
            let name = p.segments[1..]
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join(".");
            out.entry(name).or_insert(p.span);
        }
        // Nested items by reference (they were cloned, deeply, for every item of every file).
        for e in item.entries() {
            if let ast::Entry::Item(i) = e {
                collect_std_uses(std::slice::from_ref(&**i), out);
            }
        }
    }
}

/// Removes `.` and resolves `..` lexically (no file system access).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
