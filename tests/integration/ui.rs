//! ui cases: inputs with their expected diagnostics written inline (see
//! `tests::annotations` for the syntax), run through `driver::check` in memory.
//!
//! Layout: `tests/ui/<group>/<case>.posture` is a one-file case; `tests/ui/<group>/<case>/` is
//! a directory case, checked as a directory posture (every file in it is in the world; the
//! loader picks the `.posture` files at its top and follows imports). A file whose name ends
//! in `.latin1.posture` is re-encoded to Latin-1 before the compiler sees it. Cases that cannot
//! be files (an empty file, more than 64 MiB, a path that does not exist, symbolic links, special
//! files) are generated below.
//!
//! Each case passes when the reported diagnostics equal the annotated ones both ways (code,
//! severity, file, byte range, message), and its human rendering matches
//! `tests/snapshots/ui/<group>/<case>.snap`.

use crate::{Input, root};
use diagnostics::render;
use driver::MemWorld;
use libtest_mimic::{Failed, Trial};
use std::path::{Path, PathBuf};
use tests::annotations::{self, Expected};

/// One case, ready to run.
struct Case {
    /// `group/case`.
    name: String,
    world: MemWorld,
    /// What `driver::check` is given.
    path: PathBuf,
    /// The UTF-8 text of every posture file, by the display path diagnostics carry.
    texts: Vec<(String, String)>,
    expected: Result<Vec<Expected>, String>,
    /// The case's file or folder, relative to the repository root (snapshot metadata).
    input_file: Option<String>,
}

/// Every ui case: the files under `tests/ui/` and the generated ones.
pub(crate) fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = discover()
        .into_iter()
        .map(|(name, source)| {
            Trial::test(format!("ui::{name}"), move || {
                run(load_case(&name, &source)?)
            })
        })
        .collect();
    for (name, make) in generated() {
        trials.push(Trial::test(format!("ui::generated/{name}"), move || {
            run(make())
        }));
    }
    trials
}

/// The snapshot file of every ui case, relative to `tests/snapshots/`.
pub(crate) fn snapshot_files() -> Vec<String> {
    discover()
        .into_iter()
        .map(|(name, _)| name)
        .chain(
            generated()
                .into_iter()
                .map(|(name, _)| format!("generated/{name}")),
        )
        .map(|name| format!("ui/{name}.snap"))
        .collect()
}

/// The posture files of ui cases that expect no error (warnings are fine), for the AST,
/// formatter and mutation suites. Latin-1 cases are left out: they are not text.
pub(crate) fn valid_files() -> Vec<Input> {
    let mut out = Vec::new();
    for (name, source) in discover() {
        let Ok(case) = load_case(&name, &source) else {
            continue;
        };
        let Ok(expected) = &case.expected else {
            continue;
        };
        if expected
            .iter()
            .any(|e| e.severity == diagnostics::Severity::Error)
        {
            continue;
        }
        let base = match &source {
            Source::File(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            Source::Dir(p) => p.clone(),
            Source::Stray(_) => continue,
        };
        for (display, text) in case.texts {
            if display.ends_with(".latin1.posture") {
                continue;
            }
            out.push(Input {
                path: tests::inputs::relative(&root(), &base.join(&display)),
                text: Ok(text),
            });
        }
    }
    out
}

enum Source {
    File(PathBuf),
    Dir(PathBuf),
    /// A file where no case can be: its trial fails, so nothing is ignored silently.
    Stray(PathBuf),
}

/// `tests/ui/<group>/<case>` entries, sorted by name.
fn discover() -> Vec<(String, Source)> {
    let ui = root().join("tests/ui");
    let mut out = Vec::new();
    // A missing or unreadable folder aborts the run: an empty list would pass silently.
    let groups = std::fs::read_dir(&ui).unwrap_or_else(|e| panic!("{}: {e}", ui.display()));
    let documentation = |name: &str| name.ends_with(".md");
    for group in groups.flatten() {
        let gp = group.path();
        let gname = group.file_name().to_string_lossy().into_owned();
        if !gp.is_dir() {
            if !documentation(&gname) {
                out.push((gname, Source::Stray(gp)));
            }
            continue;
        }
        let entries = std::fs::read_dir(&gp).unwrap_or_else(|e| panic!("{}: {e}", gp.display()));
        for e in entries.flatten() {
            let p = e.path();
            let fname = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                out.push((format!("{gname}/{fname}"), Source::Dir(p)));
            } else if let Some(stem) = fname.strip_suffix(".posture") {
                out.push((format!("{gname}/{stem}"), Source::File(p)));
            } else if !documentation(&fname) {
                out.push((format!("{gname}/{fname}"), Source::Stray(p)));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The bytes the compiler sees for a case file: the file itself, or its Latin-1 encoding.
fn bytes_of(display: &str, text: &str) -> Result<Vec<u8>, String> {
    if display.ends_with(".latin1.posture") {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).map_err(|_| format!("`{c}` is not Latin-1")))
            .collect()
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

fn load_case(name: &str, source: &Source) -> Result<Case, Failed> {
    let mut world = MemWorld::new();
    let mut texts = Vec::new();
    let (path, input_file, files) = match source {
        Source::File(p) => {
            let display = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                PathBuf::from(&display),
                tests::inputs::relative(&root(), p),
                vec![(display, p.clone())],
            )
        }
        Source::Stray(p) => {
            return Err(format!(
                "`{}` is not a ui case: cases are `tests/ui/<group>/<case>.posture` files or \
                 `tests/ui/<group>/<case>/` folders",
                tests::inputs::relative(&root(), p)
            )
            .into());
        }
        Source::Dir(dir) => {
            let case_dir = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let files = tests::inputs::files_under(dir, "")
                .into_iter()
                .map(|p| (tests::inputs::relative(dir, &p), p))
                .collect();
            // Files sit at `<case>/<relative path>`; the loader shows paths relative to the
            // directory it was given.
            (
                PathBuf::from(&case_dir),
                tests::inputs::relative(&root(), dir),
                files,
            )
        }
    };
    let prefix = match source {
        Source::Dir(_) => path.clone(),
        _ => PathBuf::new(),
    };
    for (display, p) in files {
        let text =
            std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        world.add(prefix.join(&display), bytes_of(&display, &text)?);
        if display.ends_with(".posture") {
            texts.push((display, text));
        }
    }
    let mut expected = Vec::new();
    let mut problems = Vec::new();
    for (display, text) in &texts {
        match annotations::parse(display, text) {
            Ok(v) => expected.extend(v),
            Err(errs) => problems.extend(errs.into_iter().map(|e| format!("{display}: {e}"))),
        }
    }
    let expected = if problems.is_empty() {
        Ok(expected)
    } else {
        Err(format!(
            "malformed annotations:\n  {}",
            problems.join("\n  ")
        ))
    };
    Ok(Case {
        name: name.to_string(),
        world,
        path,
        texts,
        expected,
        input_file: Some(input_file),
    })
}

/// Runs one case: compares diagnostics both ways, then the rendered snapshot.
fn run(case: Case) -> Result<(), Failed> {
    let expected = case.expected.clone()?;
    let (actual, rendered) = match driver::check(&case.world, &case.path, &tests::options()) {
        Ok(checked) => {
            let sources = &checked.loaded.sources;
            tests::spans::check_run(&checked.diagnostics, sources)?;
            let diags: Vec<_> = checked.diagnostics.iter().cloned().collect();
            let actual: Vec<Expected> = diags
                .iter()
                .map(|d| annotations::actual(d, sources))
                .collect();
            (actual, human(&diags, sources))
        }
        Err(d) => {
            let sources = diagnostics::Sources::new();
            let actual = vec![annotations::actual(&d, &sources)];
            (actual, human(std::slice::from_ref(&d), &sources))
        }
    };
    let (missing, unexpected) = annotations::compare(&expected, &actual);
    if !missing.is_empty() || !unexpected.is_empty() {
        let text_of = |file: &str| {
            case.texts
                .iter()
                .find(|(d, _)| d == file)
                .map(|(_, t)| t.clone())
        };
        let mut msg = format!(
            "ui case `{}`: diagnostics differ from the annotations\n",
            case.name
        );
        if !missing.is_empty() {
            msg.push_str("expected but not reported:\n");
            for e in &missing {
                msg.push_str(&format!("  {}\n", annotations::render(e, text_of)));
            }
        }
        if !unexpected.is_empty() {
            msg.push_str("reported but not expected:\n");
            for e in &unexpected {
                msg.push_str(&format!("  {}\n", annotations::render(e, text_of)));
            }
        }
        msg.push_str("\nrendered:\n");
        msg.push_str(&rendered);
        return Err(msg.into());
    }
    snapshot(&case, &rendered);
    Ok(())
}

/// The human rendering of a run, without colour, with the closing summary line.
fn human(diags: &[diagnostics::Diagnostic], sources: &diagnostics::Sources) -> String {
    let mut out = render::human(diags, sources, false);
    if let Some(s) = render::summary(diags, false) {
        out.push_str(&s);
        out.push('\n');
    }
    out
}

fn snapshot(case: &Case, rendered: &str) {
    let (group, name) = case.name.split_once('/').unwrap_or(("", &case.name));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/ui").join(group));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    if let Some(input) = &case.input_file {
        settings.set_input_file(root().join(input));
    }
    settings.bind(|| insta::assert_snapshot!(name.to_string(), rendered));
}

/// The smallest posture the checker accepts, for generated cases that need a valid neighbour.
const VALID_HEADER: &str =
    "system s { title = \"UI case\", impact = low }\ntarget { kubernetes = \"1.33\" }\n";

/// A generated case: built on demand (some are large).
type Make = Box<dyn FnOnce() -> Case + Send>;

/// A generated one-file case whose expectations are explicit annotations (without `//~ `).
fn one_file(name: &str, display: &str, bytes: Vec<u8>, expected: &[String]) -> Case {
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut world = MemWorld::new();
    world.add(display, bytes);
    let expected = expected
        .iter()
        .map(|a| annotations::parse_explicit(display, &text, a))
        .collect::<Result<Vec<_>, _>>();
    Case {
        name: format!("generated/{name}"),
        world,
        path: PathBuf::from(display),
        texts: vec![(display.to_string(), text)],
        expected,
        input_file: None,
    }
}

/// Cases that are not files in `tests/ui/`: what git cannot hold well, or what must be large.
/// A file-system case: its name, how it changes the world, the expected diagnostic.
type FsCase = (&'static str, fn(&mut MemWorld), &'static str);

fn generated() -> Vec<(String, Make)> {
    let mut v: Vec<(String, Make)> = Vec::new();
    let mut add = |name: &str, make: Make| v.push((name.to_string(), make));

    // An empty file beside a valid one: the only finding is the warning.
    for (name, bytes) in [
        ("empty-file", &b""[..]),
        ("whitespace-only", &b"  \n\n\t\n"[..]),
    ] {
        add(
            name,
            Box::new(move || {
                let mut world = MemWorld::new();
                world.add("p/main.posture", VALID_HEADER.as_bytes().to_vec());
                world.add("p/empty.posture", bytes.to_vec());
                let text = String::from_utf8_lossy(bytes).into_owned();
                Case {
                    name: format!("generated/{name}"),
                    world,
                    path: PathBuf::from("p"),
                    expected: annotations::parse_explicit(
                        "empty.posture",
                        &text,
                        "1:1 warning[P9004]: `empty.posture` is empty",
                    )
                    .map(|e| vec![e]),
                    texts: vec![
                        ("main.posture".into(), VALID_HEADER.into()),
                        ("empty.posture".into(), text),
                    ],
                    input_file: None,
                }
            }),
        );
    }
    // 128 levels are fine (the `limits` suite checks that); the 129th bracket is not.
    add(
        "too-deep",
        Box::new(|| {
            let text = format!(
                "system s {{\n  x = {}{}\n}}\n",
                "[".repeat(128),
                "]".repeat(128)
            );
            let col = 2 + 4 + 128;
            one_file(
                "too-deep",
                "deep.posture",
                text.into_bytes(),
                &[format!(
                    "2:{col}-{} error[P0002]: nesting deeper than 128 levels",
                    col + 1
                )],
            )
        }),
    );
    // Far past the limit, one bracket per line: the pre-pass stops it before the parser's
    // stack is at risk.
    add(
        "too-deep-100k",
        Box::new(|| {
            one_file(
                "too-deep-100k",
                "deep.posture",
                "{\n".repeat(100_000).into_bytes(),
                &["129:1-2 error[P0002]: nesting deeper than 128 levels".into()],
            )
        }),
    );
    add(
        "too-large",
        Box::new(|| {
            let bytes = vec![b' '; driver::load::MAX_FILE_BYTES + 1];
            one_file(
                "too-large",
                "big.posture",
                bytes,
                &["nospan error[P9003]: `big.posture` is larger than 64 MiB".into()],
            )
        }),
    );
    add(
        "utf16-with-bom",
        Box::new(|| {
            let mut bytes = vec![0xFF, 0xFE];
            for u in "system s {}\n".encode_utf16() {
                bytes.extend(u.to_le_bytes());
            }
            one_file(
                "utf16-with-bom",
                "wide.posture",
                bytes,
                &["1:1 error[P9002]: `wide.posture` is not valid UTF-8".into()],
            )
        }),
    );
    add(
        "crlf-unterminated-string",
        Box::new(|| {
            one_file(
                "crlf-unterminated-string",
                "crlf.posture",
                b"system s {\r\n  title = \"abc\r\n}\r\n".to_vec(),
                &["2:11-12 error[P0008]: unterminated string".into()],
            )
        }),
    );
    add(
        "missing-path",
        Box::new(|| Case {
            name: "generated/missing-path".into(),
            world: MemWorld::new(),
            path: PathBuf::from("nowhere.posture"),
            texts: vec![],
            expected: annotations::parse_explicit(
                "",
                "",
                "nospan error[P9001]: cannot read `nowhere.posture`: no such file or directory",
            )
            .map(|e| vec![e]),
            input_file: None,
        }),
    );
    // The file system is not trusted (`MemWorld` models links and special files): a link
    // that leaves the root, dangles or loops, and a FIFO, are errors, never read or skipped.
    let fs_cases: [FsCase; 4] = [
        (
            "link-outside-root",
            |w| {
                w.add_symlink("p/evil.posture", "../elsewhere/x.posture");
                w.add("elsewhere/x.posture", b"SECRET-FIRST-LINE {\n".to_vec());
            },
            "nospan error[P9008]: `evil.posture` is a symbolic link to a file outside the project root",
        ),
        (
            "link-dangling",
            |w| {
                w.add_symlink("p/network.posture", "gone.posture");
            },
            "nospan error[P9001]: cannot read `network.posture`: no such file",
        ),
        (
            "link-loop",
            |w| {
                w.add_symlink("p/network.posture", "network.posture");
            },
            "nospan error[P9001]: cannot read `network.posture`: too many levels of symbolic links",
        ),
        (
            "special-file",
            |w| {
                w.add_special("p/pipe.posture");
            },
            "nospan error[P9007]: `pipe.posture` is not a regular file (a FIFO, a socket or a device)",
        ),
    ];
    for (name, build, annotation) in fs_cases {
        add(
            name,
            Box::new(move || {
                let mut world = MemWorld::new();
                world.add("p/main.posture", VALID_HEADER.as_bytes().to_vec());
                build(&mut world);
                Case {
                    name: format!("generated/{name}"),
                    world,
                    path: PathBuf::from("p"),
                    expected: annotations::parse_explicit("", "", annotation).map(|e| vec![e]),
                    texts: vec![("main.posture".into(), VALID_HEADER.into())],
                    input_file: None,
                }
            }),
        );
    }
    add(
        "import-through-link-outside-root",
        Box::new(|| {
            let main = format!("import \"./lib/x.posture\"\n{VALID_HEADER}");
            let mut world = MemWorld::new();
            world.add("p/main.posture", main.as_bytes().to_vec());
            world.add_symlink("p/lib", "../elsewhere");
            world.add("elsewhere/x.posture", b"SECRET-FIRST-LINE {\n".to_vec());
            Case {
                name: "generated/import-through-link-outside-root".into(),
                world,
                path: PathBuf::from("p"),
                expected: annotations::parse_explicit(
                    "main.posture",
                    &main,
                    "1:8-25 error[P1001]: `./lib/x.posture` is outside the project root (through a symbolic link)",
                )
                .map(|e| vec![e]),
                texts: vec![("main.posture".into(), main.clone())],
                input_file: None,
            }
        }),
    );
    add(
        "no-posture-files",
        Box::new(|| {
            let mut world = MemWorld::new();
            world.add("docs/readme.txt", b"system s {}\n".to_vec());
            world.add("docs/sub/a.posture", b"system s {}\n".to_vec());
            Case {
                name: "generated/no-posture-files".into(),
                world,
                path: PathBuf::from("docs"),
                texts: vec![],
                expected: annotations::parse_explicit(
                    "",
                    "",
                    "nospan error[P9005]: `docs` contains no `.posture` files",
                )
                .map(|e| vec![e]),
                input_file: None,
            }
        }),
    );
    v
}
