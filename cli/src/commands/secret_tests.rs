//! Secrets never reach an output: a posture holding canary secrets on every path to an output
//! is checked and built in every diagnostic format, on a real file system, and no byte of any
//! canary appears on standard output, standard error or in the output directory.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use clap::Parser;

use crate::{Cli, Env, Exit, run};

/// Canaries: each is detected by the guard (a known token format or a password-like key).
const CANARIES: &[&str] = &[
    concat!("AKIA", "Q3CANARYEXAMPLE7"),
    concat!("gh", "p_CanaryCanaryCanary0123456789abcdef"),
    "canary-hunter2-pass",
];

/// A posture that puts the canaries in a doc comment, a CEL literal, a mutate label (also
/// not a valid label value, so P1016 quotes it), a name (P1013 quotes it) and a value under a
/// password-like key; and a CA bundle, which passes.
fn posture_text() -> String {
    let [aws, gh, pass] = [CANARIES[0], CANARIES[1], CANARIES[2]];
    format!(
        "system demo {{ title = \"Demo\", impact = moderate }}\n\
         target {{ kubernetes = \"1.33\" }}\n\
         namespace a {{ pod_security = restricted }}\n\
         namespace {gh} {{ pod_security = restricted }}\n\
         admission {{\n\
         \x20 /// Rotated with {aws}.\n\
         \x20 validate v {{\n\
         \x20   match   = {{ kinds = [pods] }}\n\
         \x20   require = `object.kind != '{aws}'`\n\
         \x20   message = \"no\"\n\
         \x20 }}\n\
         \x20 mutate m {{\n\
         \x20   labels      = {{ \"optimal.io/key\" = \"{gh}!\", \"optimal.io/db-password\" = \"{pass}\" }}\n\
         \x20   annotations = {{ \"optimal.io/ca\" = \"-----BEGIN CERTIFICATE-----\\nMIIFazCCA1OgAwIBAgIRAIIQz7DSQONZRGPgu2OCiwAwDQYJKoZIhvcNAQELBQAw\\n-----END CERTIFICATE-----\\n\" }}\n\
         \x20 }}\n\
         }}\n"
    )
}

fn env() -> Env {
    Env {
        no_color: true,
        stdout_is_terminal: false,
        stderr_is_terminal: false,
        posture_today: None,
        source_date_epoch: None,
        now: UNIX_EPOCH + Duration::from_secs(1_769_860_800),
    }
}

fn posture(args: &[&str]) -> (Exit, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("posture").chain(args.iter().copied()))
        .expect("command line parses");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = run(&cli, &env(), &mut out, &mut err);
    (
        exit,
        String::from_utf8(out).expect("utf-8 stdout"),
        String::from_utf8(err).expect("utf-8 stderr"),
    )
}

/// No canary, nor any 8-character piece of one, in `text`.
fn assert_no_canary(what: &str, text: &str) {
    for c in CANARIES {
        let chars: Vec<char> = c.chars().collect();
        for w in chars.windows(8) {
            let piece: String = w.iter().collect();
            assert!(
                !text.contains(&piece),
                "{what} shows `{piece}` of a canary:\n{text}"
            );
        }
    }
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn no_format_and_no_output_directory_shows_a_secret() {
    let dir = Scratch(std::env::temp_dir().join(format!("posture-secrets-{}", std::process::id())));
    let _ = fs::remove_dir_all(&dir.0);
    fs::create_dir_all(&dir.0).expect("scratch dir");
    let file = dir.0.join("leaky.posture");
    fs::write(&file, posture_text()).expect("write");
    let path = file.to_str().expect("utf-8 path");
    let out_dir = dir.0.join("out");
    let out = out_dir.to_str().expect("utf-8 path");

    for command in ["check", "build"] {
        for format in ["human", "json", "sarif", "junit", "github"] {
            let mut args = vec![command, path, "--format", format];
            if command == "build" {
                args.extend(["-o", out]);
            }
            let (exit, stdout, stderr) = posture(&args);
            assert_eq!(exit, Exit::Failure, "{command} {format}: {stderr}");
            let shown = format!("{stdout}{stderr}");
            // The run did report the secrets, and the other diagnostics quoting them.
            for code in ["P1024", "P1013", "P1016"] {
                assert!(
                    shown.contains(code),
                    "{command} {format}: no {code}:\n{shown}"
                );
            }
            assert!(shown.contains("[redacted]"), "{command} {format}:\n{shown}");
            assert_no_canary(&format!("{command} --format {format}"), &shown);
        }
    }
    // Nothing was written, so no secret can be in the output directory.
    assert!(
        !out_dir.exists(),
        "a build with secrets wrote {}",
        out_dir.display()
    );
    for e in fs::read_dir(&dir.0).expect("read_dir") {
        let p = e.expect("entry").path();
        assert_eq!(p, file, "unexpected file {}", p.display());
    }
}

#[test]
fn a_ca_bundle_alone_builds() {
    let dir = Scratch(std::env::temp_dir().join(format!("posture-ca-{}", std::process::id())));
    let _ = fs::remove_dir_all(&dir.0);
    fs::create_dir_all(&dir.0).expect("scratch dir");
    let file = dir.0.join("ca.posture");
    let text = "system demo { title = \"Demo\", impact = moderate }\n\
                target { kubernetes = \"1.33\" }\n\
                namespace a { pod_security = restricted }\n\
                admission {\n\
                \x20 /// Stamps the cluster CA:\n\
                \x20 /// -----BEGIN CERTIFICATE-----\n\
                \x20 /// MIIFazCCA1OgAwIBAgIRAIIQz7DSQONZRGPgu2OCiwAwDQYJKoZIhvcNAQELBQAw\n\
                \x20 /// -----END CERTIFICATE-----\n\
                \x20 mutate m {\n\
                \x20   annotations = { \"optimal.io/ca\" = \"-----BEGIN CERTIFICATE-----\\nMIIFazCCA1OgAwIBAgIRAIIQz7DSQONZRGPgu2OCiwAwDQYJKoZIhvcNAQELBQAw\\n-----END CERTIFICATE-----\\n\" }\n\
                \x20 }\n\
                }\n";
    fs::write(&file, text).expect("write");
    let out = dir.0.join("out");
    let (exit, _, stderr) = posture(&[
        "build",
        file.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(exit, Exit::Success, "{stderr}");
    let mut found = false;
    let mut stack = vec![out];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if fs::read_to_string(&p)
                .is_ok_and(|t| t.contains("MIIFazCCA1OgAwIBAgIRAIIQz7DSQONZ"))
            {
                found = true;
            }
        }
    }
    assert!(found, "the CA bundle reaches the output, as written");
}
