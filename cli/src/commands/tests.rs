//! Whole commands run in-process against scratch directories, with a fixed environment.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use clap::Parser;

use super::use_color;
use crate::args::ColorWhen;
use crate::{Cli, Env, Exit, run};

const GOOD: &str = "system demo {\n  title = \"Demo\"\n  impact = moderate\n  \
                    frameworks = [nist-800-53-moderate]\n}\n\ntarget {\n  kubernetes = \"1.33\"\n}\n\n\
                    namespace a { pod_security = restricted }\n";

/// A fresh directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("posture-cli-cmd-{}-{tag}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("scratch dir");
        Scratch(p)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        fs::write(&p, text).expect("write");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Run {
    exit: Exit,
    out: String,
    err: String,
}

fn env() -> Env {
    Env {
        no_color: false,
        stdout_is_terminal: false,
        stderr_is_terminal: false,
        posture_today: None,
        source_date_epoch: None,
        now: UNIX_EPOCH + Duration::from_secs(1_769_860_800),
    }
}

fn posture_with(env: &Env, args: &[&str]) -> Run {
    let cli = Cli::try_parse_from(std::iter::once("posture").chain(args.iter().copied()))
        .expect("command line parses");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = run(&cli, env, &mut out, &mut err);
    Run {
        exit,
        out: String::from_utf8(out).expect("utf-8 stdout"),
        err: String::from_utf8(err).expect("utf-8 stderr"),
    }
}

fn posture(args: &[&str]) -> Run {
    posture_with(&env(), args)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Every file below `root` with its bytes.
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = fs::read(&p).expect("read");
                out.push((p.strip_prefix(root).expect("below").to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn check_reports_and_sets_the_exit_status() {
    let dir = Scratch::new("check");
    let good = dir.file("good.posture", GOOD);
    let r = posture(&["check", s(&good)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert_eq!(r.out, "");
    assert_eq!(r.err, "checked 1 file: no problems found\n");

    let bad = dir.file(
        "bad.posture",
        &GOOD.replace("namespace a {", "namespace a {{"),
    );
    let r = posture(&["check", s(&bad)]);
    assert_eq!(r.exit, Exit::Failure);
    assert!(r.err.contains("error[P0"), "{}", r.err);
    // Paths are shown as reached from where the command ran, like rustc.
    assert!(
        r.err.contains(&format!("--> {}:", bad.display())),
        "{}",
        r.err
    );
    assert!(r.err.ends_with("due to 1 error\n"), "{}", r.err);

    for format in ["json", "sarif", "junit", "github"] {
        let r = posture(&["check", s(&bad), "--format", format]);
        assert_eq!(r.exit, Exit::Failure, "{format}");
        assert!(r.out.contains("P0"), "{format}: {}", r.out);
        assert_eq!(r.err, "", "{format}: machine formats leave stderr alone");
    }
    let r = posture(&["check", s(&good), "--format", "json"]);
    assert_eq!((r.exit, r.out.as_str()), (Exit::Success, "[]\n"));
}

#[test]
fn unreadable_paths_and_bad_dates_are_usage_errors() {
    let dir = Scratch::new("usage");
    let r = posture(&["check", s(&dir.0.join("missing.posture"))]);
    assert_eq!(r.exit, Exit::Usage);
    assert!(r.err.starts_with("error[P9001]: cannot read"), "{}", r.err);
    assert!(!r.err.contains("could not check"), "{}", r.err);

    let r = posture(&["check", s(&dir.0)]);
    assert_eq!(r.exit, Exit::Usage, "an empty directory");
    assert!(r.err.contains("P9005"), "{}", r.err);

    let good = dir.file("good.posture", GOOD);
    let mut e = env();
    e.posture_today = Some("31/01/2026".into());
    let r = posture_with(&e, &["check", s(&good)]);
    assert_eq!(r.exit, Exit::Usage);
    assert!(
        r.err.starts_with("error: invalid POSTURE_TODAY: "),
        "{}",
        r.err
    );
    // The flag wins over the environment.
    let r = posture_with(&e, &["check", s(&good), "--today", "2026-01-31"]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
}

#[test]
fn fmt_checks_rewrites_and_refuses_broken_files() {
    let dir = Scratch::new("fmt");
    let p = dir.file("a.posture", GOOD);

    let r = posture(&["fmt", "--check", s(&p)]);
    assert_eq!(r.exit, Exit::Failure);
    assert!(
        r.out.starts_with(&format!("--- {}\n", p.display())),
        "{}",
        r.out
    );
    assert!(r.out.contains("\n+  title      = \"Demo\"\n"), "{}", r.out);
    assert!(r.err.contains("would reformat"), "{}", r.err);
    assert_eq!(
        fs::read_to_string(&p).expect("read"),
        GOOD,
        "--check writes nothing"
    );

    let r = posture(&["fmt", s(&dir.0)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    let formatted = fs::read_to_string(&p).expect("read");
    assert_ne!(formatted, GOOD);
    assert_eq!(tree(&dir.0).len(), 1, "no temporary file left");

    let r = posture(&["fmt", "--check", s(&p)]);
    assert_eq!((r.exit, r.out.as_str()), (Exit::Success, ""));
    let r = posture(&["fmt", s(&p)]);
    assert_eq!(r.exit, Exit::Success);

    // One broken file: nothing is written, not even the other, unformatted one.
    let ugly = dir.file("b.posture", "namespace   b {  pod_security = baseline }\n");
    let broken = dir.file("c.posture", "namespace c {\n");
    let r = posture(&["fmt", s(&dir.0)]);
    assert_eq!(r.exit, Exit::Failure);
    assert!(
        r.err.contains(&format!("--> {}:", broken.display())),
        "{}",
        r.err
    );
    assert_eq!(
        fs::read_to_string(&ugly).expect("read"),
        "namespace   b {  pod_security = baseline }\n"
    );
    assert_eq!(
        fs::read_to_string(&broken).expect("read"),
        "namespace c {\n"
    );
}

#[cfg(unix)]
#[test]
fn fmt_reports_non_utf8_files() {
    let dir = Scratch::new("fmt-utf8");
    let p = dir.0.join("a.posture");
    fs::write(&p, b"namespace a { pod_security = \xff }\n").expect("write");
    let r = posture(&["fmt", s(&p)]);
    assert_eq!(r.exit, Exit::Failure);
    assert!(r.err.contains("P9002"), "{}", r.err);
}

#[test]
fn build_writes_deterministically_and_never_on_error() {
    let dir = Scratch::new("build");
    let good = dir.file("good.posture", GOOD);
    let out1 = dir.0.join("out1");
    let out2 = dir.0.join("out2");
    let r = posture(&["build", s(&good), "-o", s(&out1)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    let written = tree(&out1);
    // The marker is not one of the build's files.
    assert!(
        r.err
            .contains(&format!("wrote {} files to", written.len() - 1)),
        "{}",
        r.err
    );
    let names: Vec<String> = written
        .iter()
        .map(|(p, _)| p.to_string_lossy().replace('\\', "/"))
        .collect();
    assert!(names.iter().any(|n| n == "manifest.json"), "{names:?}");
    assert!(names.iter().any(|n| n == "kustomization.yaml"), "{names:?}");
    assert_eq!(
        posture(&["build", s(&good), "-o", s(&out2)]).exit,
        Exit::Success
    );
    assert_eq!(tree(&out1), tree(&out2));
    let before = tree(&out1);
    // Again into the same directory: a previous build is replaced.
    assert_eq!(
        posture(&["build", s(&good), "-o", s(&out1)]).exit,
        Exit::Success
    );
    assert_eq!(tree(&out1), before);

    // A posture with errors writes nothing.
    let bad = dir.file("bad.posture", "namespace c {\n");
    let r = posture(&["build", s(&bad), "-o", s(&out1), "--format", "sarif"]);
    assert_eq!(r.exit, Exit::Failure);
    assert!(r.out.contains("\"version\": \"2.1.0\""), "{}", r.out);
    assert_eq!(tree(&out1), before);
    let fresh = dir.0.join("fresh");
    assert_eq!(
        posture(&["build", s(&bad), "-o", s(&fresh)]).exit,
        Exit::Failure
    );
    assert!(!fresh.exists());
}

#[test]
fn build_refuses_foreign_directories_unless_forced() {
    let dir = Scratch::new("foreign");
    let good = dir.file("good.posture", GOOD);
    let home = dir.0.join("home");
    fs::create_dir(&home).expect("mkdir");
    fs::write(home.join("notes.txt"), "keep me").expect("write");
    let r = posture(&["build", s(&good), "-o", s(&home)]);
    assert_eq!(r.exit, Exit::Usage);
    assert!(r.err.contains("--force"), "{}", r.err);
    assert_eq!(
        fs::read_to_string(home.join("notes.txt")).expect("kept"),
        "keep me"
    );

    let r = posture(&["build", s(&good), "-o", s(&home), "--force"]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert!(!home.join("notes.txt").exists());
    assert!(home.join("manifest.json").exists());

    let file = dir.file("plain", "x");
    let r = posture(&["build", s(&good), "-o", s(&file), "--force"]);
    assert_eq!(r.exit, Exit::Usage);
}

#[test]
fn completions_print_a_script() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = posture(&["completions", shell]);
        assert_eq!(r.exit, Exit::Success);
        assert!(r.out.contains("posture"), "{shell}");
        assert!(r.out.contains("build"), "{shell}");
    }
}

#[test]
fn color_follows_the_flag_the_terminal_and_no_color() {
    assert!(use_color(ColorWhen::Always, true, false));
    assert!(!use_color(ColorWhen::Never, false, true));
    assert!(use_color(ColorWhen::Auto, false, true));
    assert!(!use_color(ColorWhen::Auto, true, true));
    assert!(!use_color(ColorWhen::Auto, false, false));

    let dir = Scratch::new("color");
    let bad = dir.file("bad.posture", "namespace c {\n");
    let mut e = env();
    e.stderr_is_terminal = true;
    let r = posture_with(&e, &["check", s(&bad)]);
    assert!(r.err.contains('\u{1b}'), "colour on a terminal");
    e.no_color = true;
    let r = posture_with(&e, &["check", s(&bad)]);
    assert!(!r.err.contains('\u{1b}'), "NO_COLOR");
    let r = posture_with(&e, &["--color", "always", "check", s(&bad)]);
    assert!(r.err.contains('\u{1b}'), "--color always");
}

#[test]
fn display_paths_join_the_root() {
    use super::join_display;
    assert_eq!(join_display(Path::new(""), "a.posture"), "a.posture");
    assert_eq!(
        join_display(Path::new("platform"), "sub/a.posture"),
        "platform/sub/a.posture"
    );
    assert_eq!(join_display(Path::new("/"), "a.posture"), "/a.posture");
    assert_eq!(
        join_display(Path::new("/tmp/p"), "a.posture"),
        "/tmp/p/a.posture"
    );
    assert_eq!(
        join_display(Path::new("../p"), "a.posture"),
        "../p/a.posture"
    );
}

/// The Kyverno API of `kyverno/`: from `target { kyverno }` (1.17 and later: the CEL kinds;
/// older: ClusterPolicy), or `--kyverno-api`, which wins.
#[test]
fn build_picks_the_kyverno_api() {
    let dir = Scratch::new("kyverno-api");
    let posture_for = |kyverno: &str| {
        format!(
            "system s {{ title = \"t\", impact = low }}\n\
             target {{ kubernetes = \"1.33\"{kyverno} }}\n\
             admission {{\n  validate no-host-pid {{\n    \
             deny    = `object.spec.?hostPID.orValue(false)`\n    \
             message = \"no host PID\"\n  }}\n}}\n"
        )
    };
    let kind_of = |out: &Path| {
        let text = fs::read_to_string(out.join("kyverno/_cluster.yaml")).expect("policy");
        let line = text
            .lines()
            .find(|l| l.starts_with("kind: "))
            .expect("kind");
        line["kind: ".len()..].to_string()
    };
    let cases: [(&str, &str, &[&str], &str); 5] = [
        ("none", "", &[], "ValidatingPolicy"),
        ("new", ", kyverno = \"1.19\"", &[], "ValidatingPolicy"),
        ("old", ", kyverno = \"1.16\"", &[], "ClusterPolicy"),
        (
            "forced-cp",
            ", kyverno = \"1.19\"",
            &["--kyverno-api", "clusterpolicy"],
            "ClusterPolicy",
        ),
        (
            "forced-cel",
            ", kyverno = \"1.16\"",
            &["--kyverno-api", "cel"],
            "ValidatingPolicy",
        ),
    ];
    for (tag, kyverno, flags, want) in cases {
        let file = dir.file(&format!("{tag}.posture"), &posture_for(kyverno));
        let out = dir.0.join(format!("out-{tag}"));
        let mut args = vec!["build", s(&file), "-o", s(&out)];
        args.extend_from_slice(flags);
        let r = posture(&args);
        assert_eq!(r.exit, Exit::Success, "{tag}: {}", r.err);
        assert_eq!(kind_of(&out), want, "{tag}");
    }
    // An unknown API is a usage error of the command line.
    assert!(
        Cli::try_parse_from(["posture", "build", "x", "-o", "y", "--kyverno-api", "v2"]).is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// The file system is not trusted: links, special files, huge files, output directories.

/// A symbolic link at `link` to `target`.
#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// Runs `posture` on another thread and fails instead of hanging when it does not finish.
fn posture_within_a_minute(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = tx.send(posture(&refs));
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("posture finished (it must never block on a file)")
}

#[cfg(unix)]
#[test]
fn dangling_links_and_link_loops_are_errors_never_skipped() {
    let dir = Scratch::new("dangling");
    let project = dir.0.join("p");
    fs::create_dir(&project).expect("mkdir");
    fs::write(project.join("main.posture"), GOOD).expect("write");
    symlink("gone.posture", project.join("network.posture"));
    let r = posture(&["check", s(&project)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(
        r.err
            .contains("error[P9001]: cannot read `network.posture`"),
        "{}",
        r.err
    );
    // The same for build: nothing is written.
    let out = dir.0.join("out");
    let r = posture(&["build", s(&project), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(!out.exists());

    fs::remove_file(project.join("network.posture")).expect("rm");
    symlink("b.posture", project.join("a.posture"));
    symlink("a.posture", project.join("b.posture"));
    let r = posture(&["check", s(&project)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(
        r.err.contains("P9001]: cannot read `a.posture`"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("P9001]: cannot read `b.posture`"),
        "{}",
        r.err
    );

    // A dangling import is P1002 at the import, as a missing one is.
    fs::remove_file(project.join("a.posture")).expect("rm");
    fs::remove_file(project.join("b.posture")).expect("rm");
    symlink("nowhere.posture", project.join("lib.posture.link"));
    fs::write(
        project.join("main.posture"),
        format!("import \"./lib.posture.link/x.posture\"\n{GOOD}"),
    )
    .expect("write");
    let r = posture(&["check", s(&project)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(r.err.contains("error[P1002]"), "{}", r.err);
}

#[cfg(unix)]
#[test]
fn links_cannot_reach_outside_the_project_root() {
    let dir = Scratch::new("escape");
    let project = dir.0.join("p");
    let outside = dir.0.join("outside");
    fs::create_dir(&project).expect("mkdir");
    fs::create_dir(&outside).expect("mkdir");
    // A file outside whose first line must never be shown (it is never read).
    fs::write(
        outside.join("secret.posture"),
        "TOP-SECRET-LINE {{{\nnamespace z {}\n",
    )
    .expect("write");
    fs::write(project.join("main.posture"), GOOD).expect("write");

    // A directory entry that links outside: P9008, no span, nothing read.
    symlink(outside.join("secret.posture"), project.join("evil.posture"));
    let r = posture(&["check", s(&project)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(
        r.err
            .contains("error[P9008]: `evil.posture` is a symbolic link to a file outside"),
        "{}",
        r.err
    );
    assert!(!r.err.contains("TOP-SECRET"), "{}", r.err);
    // Relative links and links through a linked directory are the same.
    fs::remove_file(project.join("evil.posture")).expect("rm");
    symlink("../outside/secret.posture", project.join("evil.posture"));
    let r = posture(&["check", s(&project), "--format", "json"]);
    assert!(
        r.out.contains("P9008") && !r.out.contains("TOP-SECRET"),
        "{}",
        r.out
    );
    fs::remove_file(project.join("evil.posture")).expect("rm");

    // An import through a linked directory: P1001 at the import's string.
    symlink(&outside, project.join("lib"));
    let main = format!("import \"./lib/secret.posture\"\n{GOOD}");
    fs::write(project.join("main.posture"), &main).expect("write");
    let r = posture(&["check", s(&project)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(
        r.err.contains(
            "error[P1001]: `./lib/secret.posture` is outside the project root (through a \
             symbolic link)"
        ),
        "{}",
        r.err
    );
    assert!(r.err.contains("main.posture:1:8"), "{}", r.err);
    assert!(!r.err.contains("TOP-SECRET"), "{}", r.err);

    // The file given on the command line is held to the same root (its directory).
    symlink("../outside/secret.posture", project.join("named.posture"));
    let r = posture(&["check", s(&project.join("named.posture"))]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(r.err.contains("P9008"), "{}", r.err);
    assert!(!r.err.contains("TOP-SECRET"), "{}", r.err);
    fs::remove_file(project.join("named.posture")).expect("rm");

    // A link that stays inside the root is fine, and a file reached twice is loaded once.
    fs::remove_file(project.join("lib")).expect("rm");
    fs::write(project.join("main.posture"), GOOD).expect("write");
    symlink("main.posture", project.join("alias.posture"));
    let r = posture(&["check", s(&project)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
}

#[cfg(unix)]
#[test]
fn fmt_never_writes_outside_the_root_nor_replaces_a_link() {
    let dir = Scratch::new("fmt-links");
    let project = dir.0.join("p");
    let outside = dir.0.join("outside");
    fs::create_dir_all(project.join("sub")).expect("mkdir");
    fs::create_dir(&outside).expect("mkdir");
    let ugly = "namespace   b {  pod_security = baseline }\n";
    fs::write(outside.join("victim.posture"), ugly).expect("write");
    symlink(
        outside.join("victim.posture"),
        project.join("victim.posture"),
    );
    let r = posture(&["fmt", s(&project)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(r.err.contains("P9008"), "{}", r.err);
    assert_eq!(
        fs::read_to_string(outside.join("victim.posture")).expect("read"),
        ugly,
        "the file outside is untouched"
    );
    assert!(
        fs::symlink_metadata(project.join("victim.posture"))
            .expect("meta")
            .file_type()
            .is_symlink()
    );

    // A link to a file inside the root: the file is formatted, the link stays a link.
    fs::remove_file(project.join("victim.posture")).expect("rm");
    fs::write(project.join("sub/real.posture"), ugly).expect("write");
    symlink("sub/real.posture", project.join("b.posture"));
    let r = posture(&["fmt", s(&project)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert!(r.err.contains("formatted `"), "{}", r.err);
    assert!(
        fs::symlink_metadata(project.join("b.posture"))
            .expect("meta")
            .file_type()
            .is_symlink(),
        "the link is kept"
    );
    let formatted = fs::read_to_string(project.join("sub/real.posture")).expect("read");
    assert_ne!(formatted, ugly);
    let r = posture(&["fmt", "--check", s(&project)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
}

#[cfg(unix)]
#[test]
fn special_files_and_huge_files_are_refused_without_reading_them() {
    let dir = Scratch::new("special");
    let project = dir.0.join("p");
    fs::create_dir(&project).expect("mkdir");
    fs::write(project.join("main.posture"), GOOD).expect("write");
    let fifo = project.join("pipe.posture");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let r = posture_within_a_minute(&["check", s(&project)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(
        r.err
            .contains("error[P9007]: `pipe.posture` is not a regular file"),
        "{}",
        r.err
    );
    // An import of it too, at the import.
    fs::remove_file(&fifo).expect("rm");
    fs::create_dir(project.join("lib")).expect("mkdir");
    let made = std::process::Command::new("mkfifo")
        .arg(project.join("lib/pipe.posture"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    fs::write(
        project.join("main.posture"),
        format!("import \"./lib/pipe.posture\"\n{GOOD}"),
    )
    .expect("write");
    let r = posture_within_a_minute(&["check", s(&project)]);
    assert!(
        r.err.contains("P9007") && r.err.contains("main.posture:1:8"),
        "{}",
        r.err
    );
    fs::write(project.join("main.posture"), GOOD).expect("write");

    // A device given on the command line (its directory is the root).
    let r = posture_within_a_minute(&["check", "/dev/zero"]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(r.err.contains("P9007"), "{}", r.err);
    // A directory named like a posture file.
    fs::create_dir(project.join("dir.posture")).expect("mkdir");
    let r = posture(&["check", s(&project)]);
    assert!(
        r.err.contains("P9007]: `dir.posture` is a directory"),
        "{}",
        r.err
    );
    fs::remove_dir(project.join("dir.posture")).expect("rm");

    // One byte over the cap, sparse: refused by its size, before it is read.
    let big = fs::File::create(project.join("big.posture")).expect("create");
    big.set_len(driver::load::MAX_FILE_BYTES as u64 + 1)
        .expect("set_len");
    let r = posture(&["check", s(&project)]);
    assert_eq!(r.exit, Exit::Failure, "{}", r.err);
    assert!(
        r.err
            .contains("P9003]: `big.posture` is larger than 64 MiB"),
        "{}",
        r.err
    );
}

/// A previous build's output of GOOD at `out`.
fn built(project: &Path, out: &Path) {
    let r = posture(&["build", s(project), "-o", s(out)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert!(out.join(crate::write::MARKER).is_file());
}

#[test]
fn build_replaces_only_what_a_previous_build_wrote() {
    let dir = Scratch::new("outdir");
    let project = dir.0.join("p");
    fs::create_dir(&project).expect("mkdir");
    fs::write(project.join("main.posture"), GOOD).expect("write");
    let out = dir.0.join("out");

    // A manifest.json posture did not write (any JSON of the right shape, even one listing
    // nothing) next to the user's files: refused, nothing touched.
    fs::create_dir(&out).expect("mkdir");
    fs::write(out.join("manifest.json"), "{\"version\": 1, \"files\": []}").expect("write");
    fs::write(out.join("thesis.tex"), "precious").expect("write");
    let before = tree(&out);
    let r = posture(&["build", s(&project), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Usage, "{}", r.err);
    assert!(r.err.contains("error[P9009]"), "{}", r.err);
    assert!(r.err.contains("--force"), "{}", r.err);
    assert_eq!(tree(&out), before);
    // A manifest that lists nothing, alone: no marker, refused.
    fs::remove_file(out.join("thesis.tex")).expect("rm");
    let r = posture(&["build", s(&project), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Usage, "{}", r.err);
    assert!(r.err.contains("P9009"), "{}", r.err);
    fs::remove_dir_all(&out).expect("rm");

    // A real previous build is replaced; one with a file added by hand is not.
    built(&project, &out);
    built(&project, &out);
    fs::write(out.join("namespaces/mine.yaml"), "kind: Secret\n").expect("write");
    let before = tree(&out);
    let r = posture(&["build", s(&project), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Usage, "{}", r.err);
    assert!(
        r.err.contains("`namespaces/mine.yaml` is not listed"),
        "{}",
        r.err
    );
    assert_eq!(tree(&out), before);
    fs::remove_file(out.join("namespaces/mine.yaml")).expect("rm");
    // An edited manifest no longer matches the marker.
    let manifest = fs::read_to_string(out.join("manifest.json")).expect("read");
    fs::write(
        out.join("manifest.json"),
        manifest.replace("\"version\": 1", "\"version\":  1"),
    )
    .expect("write");
    let r = posture(&["build", s(&project), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Usage, "{}", r.err);
    assert!(r.err.contains("does not match"), "{}", r.err);
    // A forged marker for a manifest that lists nothing, beside other files: refused.
    fs::remove_dir_all(&out).expect("rm");
    fs::create_dir(&out).expect("mkdir");
    let empty = "{\"version\": 1, \"files\": []}";
    fs::write(out.join("manifest.json"), empty).expect("write");
    fs::write(
        out.join(crate::write::MARKER),
        crate::write::marker_for(empty.as_bytes()),
    )
    .expect("write");
    fs::write(out.join("notes.txt"), "mine").expect("write");
    let r = posture(&["build", s(&project), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Usage, "{}", r.err);
    assert!(r.err.contains("`notes.txt` is not listed"), "{}", r.err);
    // --force replaces it.
    let r = posture(&["build", s(&project), "-o", s(&out), "--force"]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert!(!out.join("notes.txt").exists());
    // A machine format gets the refusal as one document on stdout.
    fs::write(out.join("notes.txt"), "mine").expect("write");
    let r = posture(&["build", s(&project), "-o", s(&out), "--format", "json"]);
    assert_eq!(r.exit, Exit::Usage);
    assert!(r.out.contains("\"P9009\""), "{}", r.out);
}

#[cfg(unix)]
#[test]
fn build_never_replaces_the_sources_even_with_force() {
    let dir = Scratch::new("own-sources");
    let project = dir.0.join("p");
    fs::create_dir(&project).expect("mkdir");
    let main = project.join("main.posture");
    fs::write(&main, GOOD).expect("write");
    symlink(&dir.0, dir.0.join("alias"));
    let before = tree(&project);
    let cases = [
        project.clone(),                                     // the project itself
        dir.0.clone(),                                       // an ancestor
        dir.0.join("alias").join("p"), // the project through a linked directory
        project.join("sub").join("..").join("..").join("p"), // with `..` in the middle
    ];
    for out in &cases {
        for path in [&project, &main] {
            let r = posture(&["build", s(path), "-o", s(out), "--force"]);
            assert_ne!(r.exit, Exit::Success, "{}: {}", out.display(), r.err);
            assert_eq!(tree(&project), before, "{}", out.display());
        }
    }
    let r = posture(&["build", s(&project), "-o", s(&project), "--force"]);
    assert!(r.err.contains("error[P9010]"), "{}", r.err);
    // An output inside the project is fine (it holds no sources).
    let r = posture(&["build", s(&project), "-o", s(&project.join("out"))]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert_eq!(
        fs::read_to_string(&main).expect("read"),
        GOOD,
        "sources untouched"
    );
}

#[test]
fn long_names_fit_the_file_system_and_no_temporary_path_is_shown() {
    let dir = Scratch::new("long");
    // Names from the posture are at most 63 characters today; a target's long file names are
    // cut by `emit::path::fit_path` (unit-tested there). The directory name is the user's: at
    // 250 bytes, `.NAME.tmp-PID` used to exceed 255 bytes and the error showed that path.
    let text = GOOD.to_string();
    let file = dir.file("long.posture", &text);
    // A long output directory name too: its temporary siblings must fit as well.
    let out = dir.0.join("o".repeat(250));
    let r = posture(&["build", s(&file), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert!(!r.err.contains(".tmp-"), "{}", r.err);
    let files = tree(&out);
    assert!(
        files
            .iter()
            .all(|(p, _)| p.iter().all(|seg| seg.len() <= 255)),
        "{files:?}"
    );
    // The targets' file, kustomization.yaml, manifest.json, and the auditor package (oscal/,
    // report/).
    assert!(r.err.contains("wrote 10 files"), "{}", r.err);
    // A name over 255 bytes is the user's mistake, reported with the user's path only.
    let too_long = dir.0.join("o".repeat(300));
    let r = posture(&["build", s(&file), "-o", s(&too_long)]);
    assert_ne!(r.exit, Exit::Success);
    assert!(!r.err.contains(".tmp-"), "{}", r.err);
    assert!(
        r.err.contains("name too long") || r.err.contains("too long"),
        "{}",
        r.err
    );
    // Deterministic: the same names again.
    let again = dir.0.join("again");
    assert_eq!(
        posture(&["build", s(&file), "-o", s(&again)]).exit,
        Exit::Success
    );
    assert_eq!(tree(&again), files);
}

/// A build shows its progress on standard error only when it is a terminal, and clears the
/// line before it reports; redirected (CI logs), nothing of it appears.
#[test]
fn build_progress_only_on_a_terminal() {
    let dir = Scratch::new("progress");
    let p = dir.file(
        "p.posture",
        "system s { title = \"t\", impact = low }\ntarget { kubernetes = \"1.33\" }\nnamespace apps { pod_security = restricted }\n",
    );
    let out = dir.0.join("out");
    let r = posture(&["build", s(&p), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert!(!r.err.contains("posture: checking"), "{}", r.err);
    assert!(!r.err.contains('\r'), "{}", r.err);
    let mut e = env();
    e.stderr_is_terminal = true;
    let r = posture_with(&e, &["build", s(&p), "-o", s(&out)]);
    assert_eq!(r.exit, Exit::Success, "{}", r.err);
    assert!(
        r.err.contains("posture: checking and building"),
        "{}",
        r.err
    );
    assert!(r.err.contains("posture: writing 6 files"), "{}", r.err);
    // The last progress line is cleared before the report.
    let cleared = r.err.rfind("\r\u{1b}[2K").expect("cleared");
    assert!(!r.err[cleared..].contains('…'), "{}", r.err);
}
