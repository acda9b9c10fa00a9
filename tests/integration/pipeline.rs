//! The whole pipeline on every example (`examples/*/`): the IR and the build output are
//! snapshotted; the output is the same bytes whatever order the files are listed in and
//! wherever the posture lives; a failing build leaves an existing output directory exactly as
//! it was.

use crate::root;
use driver::{MemWorld, Options, World};
use libtest_mimic::{Failed, Trial};
use std::io;
use std::path::{Path, PathBuf};

/// The fixed "today" of the tests.
fn options() -> Options {
    Options {
        today: Some(ir::Date {
            year: 2026,
            month: 11,
            day: 27,
        }),
    }
}

/// Every example directory, by name.
fn examples() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("examples"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The example's files loaded into memory under `at`.
fn world_of(example: &str, at: &Path) -> Result<MemWorld, Failed> {
    let dir = root().join("examples").join(example);
    let mut w = MemWorld::new();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let p = e.map_err(|e| e.to_string())?.path();
        if p.extension().is_some_and(|x| x == "posture") {
            let bytes = std::fs::read(&p).map_err(|e| e.to_string())?;
            w.add(at.join(p.file_name().ok_or("no file name")?), bytes);
            n += 1;
        }
    }
    if n == 0 {
        return Err(format!("example `{example}` has no .posture files").into());
    }
    Ok(w)
}

/// A world that lists directories in a permuted order, to prove the output never depends on
/// the order the operating system returns files in.
struct Shuffled<'a> {
    inner: &'a MemWorld,
    seed: u64,
}

impl World for Shuffled<'_> {
    fn metadata(&self, path: &Path) -> io::Result<driver::Metadata> {
        self.inner.metadata(path)
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.inner.canonicalize(path)
    }
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        self.inner.read(path, limit)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut entries = self.inner.read_dir(path)?;
        let mut rng = synthetic::Rng::new(self.seed);
        for i in (1..entries.len()).rev() {
            let j = rng.below(i + 1);
            entries.swap(i, j);
        }
        Ok(entries)
    }
}

/// The build output of a posture as one text: each file's path, then its content.
fn build_text(world: &dyn World, at: &Path) -> Result<String, Failed> {
    let checked = driver::check(world, at, &options()).map_err(|d| d.message)?;
    if checked.diagnostics.has_errors() {
        let msgs: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| format!("[{}] {}", d.code.id, d.message))
            .collect();
        return Err(format!("the example has errors:\n  {}", msgs.join("\n  ")).into());
    }
    let (out, proofs) = driver::output::build(&checked);
    if let Some(d) = proofs.iter().find(|d| d.is_error()) {
        return Err(format!(
            "a proof over the emitted output failed: [{}] {}",
            d.code.id, d.message
        )
        .into());
    }
    let mut text = String::new();
    for f in &out.files {
        text.push_str(&format!("=== {}\n", f.path));
        text.push_str(&String::from_utf8_lossy(&f.bytes));
    }
    Ok(text)
}

fn snapshot(kind: &str, name: &str, value: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots").join(kind));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_string(), value));
}

fn ir(example: &str) -> Result<(), Failed> {
    let at = PathBuf::from("/posture").join(example);
    let w = world_of(example, &at)?;
    let checked = driver::check(&w, &at, &options()).map_err(|d| d.message)?;
    let posture = checked.posture.ok_or_else(|| {
        let msgs: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| format!("[{}] {}", d.code.id, d.message))
            .collect();
        format!("the example does not check:\n  {}", msgs.join("\n  "))
    })?;
    let yaml = serde_saphyr::to_string(&posture).map_err(|e| e.to_string())?;
    snapshot("ir", example, &yaml);
    Ok(())
}

fn build(example: &str) -> Result<(), Failed> {
    let at = PathBuf::from("/posture").join(example);
    let w = world_of(example, &at)?;
    snapshot("build", example, &build_text(&w, &at)?);
    Ok(())
}

/// Five permutations of the directory listing and two locations give identical bytes.
fn deterministic(example: &str) -> Result<(), Failed> {
    let first_at = PathBuf::from("/posture").join(example);
    let w = world_of(example, &first_at)?;
    let reference = build_text(&w, &first_at)?;
    for seed in 1..=5u64 {
        let shuffled = Shuffled { inner: &w, seed };
        let text = build_text(&shuffled, &first_at)?;
        if text != reference {
            return Err(format!("output differs when the files are listed in order {seed}").into());
        }
    }
    let elsewhere = PathBuf::from("/somewhere/else/entirely");
    let w2 = world_of(example, &elsewhere)?;
    if build_text(&w2, &elsewhere)? != reference {
        return Err("output depends on where the posture lives".into());
    }
    Ok(())
}

/// A failing build leaves an existing output directory byte for byte as it was; a good one
/// replaces it.
fn atomic() -> Result<(), Failed> {
    use clap::Parser as _;
    let scratch = std::env::temp_dir().join(format!("posture-atomic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let good = root().join("examples/optimal-platform");
    let out = scratch.join("out");
    let env = cli::Env {
        no_color: true,
        stdout_is_terminal: false,
        stderr_is_terminal: false,
        posture_today: None,
        source_date_epoch: None,
        now: std::time::SystemTime::UNIX_EPOCH,
    };
    let run = |path: &Path| -> (cli::Exit, String) {
        let args = [
            "posture",
            "build",
            &path.to_string_lossy(),
            "-o",
            &out.to_string_lossy(),
            "--today",
            "2026-11-27",
        ];
        let parsed = match cli::Cli::try_parse_from(args) {
            Ok(p) => p,
            Err(e) => return (cli::Exit::Usage, e.to_string()),
        };
        let mut err = Vec::new();
        let exit = cli::run(&parsed, &env, &mut Vec::new(), &mut err);
        (exit, String::from_utf8_lossy(&err).into_owned())
    };
    let (exit, err) = run(&good);
    if exit != cli::Exit::Success {
        return Err(format!("the example does not build:\n{err}").into());
    }
    let before = snapshot_dir(&out)?;
    // A broken copy of the example: one file gains a reference to nothing.
    let broken = scratch.join("broken");
    std::fs::create_dir_all(&broken).map_err(|e| e.to_string())?;
    for e in std::fs::read_dir(&good).map_err(|e| e.to_string())? {
        let p = e.map_err(|e| e.to_string())?.path();
        if let Some(name) = p.file_name() {
            std::fs::copy(&p, broken.join(name)).map_err(|e| e.to_string())?;
        }
    }
    let net = broken.join("network.posture");
    let mut text = std::fs::read_to_string(&net).map_err(|e| e.to_string())?;
    text.push_str("\nnetwork {\n  allow portal -> no-such-workload:80\n}\n");
    std::fs::write(&net, text).map_err(|e| e.to_string())?;
    if run(&broken).0 != cli::Exit::Failure {
        return Err("a broken posture did not fail the build".into());
    }
    let after = snapshot_dir(&out)?;
    let _ = std::fs::remove_dir_all(&scratch);
    if before != after {
        return Err("a failed build changed the existing output directory".into());
    }
    if before.is_empty() {
        return Err("the good build wrote nothing".into());
    }
    Ok(())
}

/// Every file under `dir` with its bytes, sorted.
fn snapshot_dir(dir: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>, Failed> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).map_err(|e| e.to_string())?;
                out.push((
                    p.strip_prefix(dir).map(Path::to_path_buf).unwrap_or(p),
                    bytes,
                ));
            }
        }
    }
    out.sort();
    Ok(out)
}

pub(crate) fn trials() -> Vec<Trial> {
    let mut out = Vec::new();
    for ex in examples() {
        let (a, b, c) = (ex.clone(), ex.clone(), ex.clone());
        out.push(Trial::test(format!("pipeline::ir::{ex}"), move || ir(&a)));
        out.push(Trial::test(format!("pipeline::build::{ex}"), move || {
            build(&b)
        }));
        out.push(Trial::test(
            format!("pipeline::deterministic::{ex}"),
            move || deterministic(&c),
        ));
    }
    out.push(Trial::test("pipeline::atomic", atomic));
    out
}
