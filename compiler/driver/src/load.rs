//! Loading a posture: the files of a directory (or one file), their imports, and the
//! standard-library bundles they `use`. Every file is read through [`World`], checked for size
//! and encoding, and parsed. Imports never leave the project root; a file reached twice (by a
//! cycle or by two imports) is loaded once.

use crate::world::World;
use diagnostics::codes::{io as io_codes, names};
use diagnostics::{Diagnostic, Diagnostics, FileId, Sources, Span};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use syntax::ast;

/// Source files larger than this are refused.
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
    let (root, initial) = match world.is_dir(path) {
        Some(true) => {
            let entries = world
                .read_dir(path)
                .map_err(|e| unreadable(path, &e.to_string()))?;
            let mut files: Vec<PathBuf> = entries
                .into_iter()
                .filter(|p| {
                    p.extension().is_some_and(|e| e == "posture") && world.is_dir(p) == Some(false)
                })
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
        }
        Some(false) => {
            let root = path.parent().map(normalize).unwrap_or_default();
            (root, vec![normalize(path)])
        }
        None => return Err(unreadable(path, "no such file or directory")),
    };

    let mut loader = Loader {
        world,
        root,
        loaded: Loaded::default(),
        diags: Diagnostics::new(),
        seen: BTreeSet::new(),
    };
    let mut queue: VecDeque<(PathBuf, Option<Span>)> =
        initial.into_iter().map(|p| (p, None)).collect();
    for (p, _) in &queue {
        loader.seen.insert(p.clone());
    }
    while let Some((file, imported_at)) = queue.pop_front() {
        let Some(id) = loader.read_user_file(&file, imported_at) else {
            continue;
        };
        let imports = loader.imports_of(id, &file);
        for (target, span) in imports {
            if loader.seen.insert(target.clone()) {
                queue.push_back((target, Some(span)));
            }
        }
    }
    loader.load_stdlib();
    Ok((loader.loaded, loader.diags))
}

fn unreadable(path: &Path, why: &str) -> Diagnostic {
    Diagnostic::new(
        &io_codes::P9001,
        format!("cannot read `{}`: {why}", path.display()),
    )
}

struct Loader<'w> {
    world: &'w dyn World,
    root: PathBuf,
    loaded: Loaded,
    diags: Diagnostics,
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

    /// Reads, decodes and parses one user file.
    fn read_user_file(&mut self, path: &Path, imported_at: Option<Span>) -> Option<FileId> {
        let display = self.display(path);
        let bytes = match self.world.read(path) {
            Ok(b) => b,
            Err(e) => {
                let d = match imported_at {
                    Some(span) => Diagnostic::spanned(
                        &names::P1002,
                        span,
                        format!("cannot import `{display}`: {e}"),
                    )
                    .with_label("imported here"),
                    None => unreadable(path, &e.to_string()),
                };
                self.diags.push(d);
                return None;
            }
        };
        if bytes.len() > MAX_FILE_BYTES {
            let id = self.loaded.sources.add(display.clone(), String::new());
            self.diags.push(
                Diagnostic::new(
                    &io_codes::P9003,
                    format!("`{display}` is larger than 64 MiB"),
                )
                .with_help("split the posture into several files"),
            );
            self.loaded.files.push(LoadedFile {
                id,
                origin: Origin::User,
                ast: None,
            });
            return None;
        }
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
        let text = self
            .loaded
            .sources
            .get(id)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        if text.trim().is_empty() {
            self.diags.push(
                Diagnostic::spanned(
                    &io_codes::P9004,
                    Span::new(id, 0, 0),
                    format!("`{display}` is empty"),
                )
                .with_help("delete the file, or declare something in it"),
            );
        }
        let (ast, d) = syntax::parse(id, &text);
        self.diags.extend(d);
        self.loaded.files.push(LoadedFile {
            id,
            origin: Origin::User,
            ast,
        });
        Some(id)
    }

    /// The files a parsed file imports, resolved against its directory.
    fn imports_of(&mut self, id: FileId, path: &Path) -> Vec<(PathBuf, Span)> {
        let Some(ast) = self
            .loaded
            .files
            .iter()
            .find(|f| f.id == id)
            .and_then(|f| f.ast.clone())
        else {
            return vec![];
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut out = Vec::new();
        for item in &ast.items {
            if item.keyword.text != "import" {
                continue;
            }
            let Some(ast::Head::Str(s)) = &item.head else {
                continue;
            };
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
            out.push((target, s.span));
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
        if item.keyword.text == "use" {
            if let Some(ast::Head::Path(p)) = &item.head {
                if p.segments.len() > 1 && p.segments[0].text == "std" {
                    let name = p.segments[1..]
                        .iter()
                        .map(|s| s.text.as_str())
                        .collect::<Vec<_>>()
                        .join(".");
                    out.entry(name).or_insert(p.span);
                }
            }
        }
        let nested: Vec<ast::Item> = item
            .entries()
            .iter()
            .filter_map(|e| match e {
                ast::Entry::Item(i) => Some(i.clone()),
                ast::Entry::Attr(_) => None,
            })
            .collect();
        collect_std_uses(&nested, out);
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
