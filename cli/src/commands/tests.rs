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
    assert!(
        r.err.contains(&format!("wrote {} files to", written.len())),
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
        let text = fs::read_to_string(out.join("kyverno/no-host-pid.yaml")).expect("policy");
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
