//! `posture diff OLD NEW`, through the real command line: the example against copies with one
//! change each, compared as sources and as builds, in every format, with the exit codes a CI
//! gate reads, and negative controls (a narrowed flow is denied, not allowed; a narrowed
//! exception does not widen; a revision with errors exits 1; tampered builds and mixed pairs
//! are usage errors).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};
use review::{ExceptionChangeKind, ObjectChangeKind, Outcome, Report};

use crate::root;
use crate::support::scratch;

const EXAMPLE: &str = "examples/optimal-platform";

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test("review::widened-flow-and-removed-policy", done_when),
        Trial::test("review::identical-revisions", identical),
        Trial::test("review::exception-widened", exception_widened),
        Trial::test(
            "review::exception-narrowed-does-not-widen",
            exception_narrowed,
        ),
        Trial::test("review::narrowed-flow-is-denied", narrowed_flow),
        Trial::test("review::revision-with-errors", revision_with_errors),
        Trial::test("review::builds", builds),
        Trial::test("review::usage-errors", usage_errors),
    ]
}

/// Runs the real command line; `(exit code, stdout, stderr)`.
fn posture(args: &[&str]) -> Result<(u8, String, String), Failed> {
    use clap::Parser;
    let mut argv = vec!["posture"];
    argv.extend_from_slice(args);
    let cli = match cli::Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            return Ok((
                u8::try_from(e.exit_code()).unwrap_or(2),
                String::new(),
                e.to_string(),
            ));
        }
    };
    let env = cli::Env {
        no_color: true,
        stdout_is_terminal: false,
        stderr_is_terminal: false,
        posture_today: Some("2026-12-01".into()),
        source_date_epoch: Some("1764547200".into()),
        now: std::time::SystemTime::UNIX_EPOCH,
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let exit = cli::run(&cli, &env, &mut out, &mut err);
    Ok((
        exit.code(),
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    ))
}

/// A copy of the example in a scratch directory, with `edits` (file, from, to) applied; each
/// `from` must occur exactly once.
fn copy(name: &str, edits: &[(&str, &str, &str)]) -> Result<PathBuf, Failed> {
    let dir = scratch("review", name)?.join("posture");
    std::fs::create_dir_all(&dir)?;
    for entry in std::fs::read_dir(root().join(EXAMPLE))? {
        let entry = entry?;
        std::fs::copy(entry.path(), dir.join(entry.file_name()))?;
    }
    for (file, from, to) in edits {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path)?;
        if text.matches(from).count() != 1 {
            return Err(format!("{file}: `{from}` does not occur exactly once").into());
        }
        std::fs::write(&path, text.replacen(from, to, 1))?;
    }
    Ok(dir)
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `posture diff OLD NEW --format json`, read back through the model; the model written again
/// gives the same bytes.
fn diff_json(old: &Path, new: &Path, extra: &[&str]) -> Result<(u8, Report), Failed> {
    let (o, n) = (s(old), s(new));
    let mut args = vec!["diff", o.as_str(), n.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = posture(&args)?;
    let report = Report::from_json(&out).map_err(|e| format!("{e}\n{out}\n{err}"))?;
    if review::render::json(&report) != out {
        return Err("the JSON report does not survive a round trip through the model".into());
    }
    Ok((code, report))
}

fn expect<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), Failed> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}").into())
    }
}

fn objects(r: &Report) -> BTreeSet<(ObjectChangeKind, String, String, String)> {
    r.objects
        .iter()
        .map(|o| {
            (
                o.change,
                o.kind.clone(),
                o.namespace.clone(),
                o.name.clone(),
            )
        })
        .collect()
}

/// The widened flow and the removed policy of the Done-when case.
const WIDEN: (&str, &str, &str) = (
    "network.posture",
    "allow portal -> api-gateway:8000 {",
    "allow portal -> api-gateway {",
);

fn remove_signed_images() -> Result<(&'static str, String, &'static str), Failed> {
    let text = std::fs::read_to_string(root().join(EXAMPLE).join("admission.posture"))?;
    let start = text
        .find("  /// Only images signed")
        .ok_or("the example has no signed-images policy")?;
    let end = text
        .find("  /// Every pod names")
        .ok_or("the example changed")?;
    Ok(("admission.posture", text[start..end].to_string(), ""))
}

/// A GitHub workflow command: `::warning` or `::notice`, optional `key=value` properties with
/// `,` and `:` escaped, `::`, a message without raw line breaks.
fn is_annotation(line: &str) -> bool {
    let Some(rest) = line
        .strip_prefix("::warning")
        .or_else(|| line.strip_prefix("::notice"))
    else {
        return false;
    };
    let Some((props, message)) = rest.split_once("::") else {
        return false;
    };
    let props_ok = props.is_empty()
        || props.strip_prefix(' ').is_some_and(|p| {
            p.split(',').all(|kv| {
                kv.split_once('=').is_some_and(|(k, v)| {
                    ["file", "line", "col", "title"].contains(&k) && !v.contains(':')
                })
            })
        });
    props_ok && !message.contains('\r')
}

/// Done when: the example against a copy with one widened flow and one removed admission
/// policy names exactly those changes.
fn done_when() -> Result<(), Failed> {
    let (file, from, to) = remove_signed_images()?;
    let new = copy("done-when", &[WIDEN, (file, &from, to)])?;
    let old = root().join(EXAMPLE);
    let (code, r) = diff_json(&old, &new, &[])?;
    expect("exit", code, 4)?;
    expect("outcome", r.outcome, Outcome::Widens)?;
    let flows = r.flows.as_ref().ok_or("no flows section")?;
    let allowed: Vec<(&str, &str, &str)> = flows
        .allowed
        .iter()
        .map(|f| (f.from.as_str(), f.to.as_str(), f.connections.as_str()))
        .collect();
    // Every port but 8000, which was already allowed.
    expect(
        "allowed flows",
        allowed,
        vec![(
            "optimal-system/portal",
            "optimal-system/api-gateway",
            "TCP 1-7999,8001-65535",
        )],
    )?;
    let at = flows.allowed[0]
        .at
        .as_ref()
        .ok_or("the flow has no place")?;
    expect(
        "flow declared at",
        (at.file.ends_with("/posture/network.posture"), at.line),
        (true, 15),
    )?;
    expect("denied flows", flows.denied.len(), 0)?;
    // The image-verification policy was the only enforcing artifact of CM-14 and SI-7(15).
    let coverage = r.coverage.as_ref().ok_or("no coverage section")?;
    let controls: Vec<(&str, Option<graph::Status>, Option<graph::Status>, bool)> = coverage
        .controls
        .iter()
        .map(|c| (c.control.as_str(), c.old, c.new, c.lower))
        .collect();
    use graph::Status::*;
    expect(
        "coverage changes",
        controls,
        vec![
            ("CM-14", Some(Satisfied), Some(Gap), true),
            ("SI-7(15)", Some(Satisfied), Some(Partial), true),
        ],
    )?;
    let fws: Vec<&str> = coverage
        .frameworks
        .iter()
        .map(|f| f.framework.as_str())
        .collect();
    expect("frameworks", fws, vec!["dod-il5", "fedramp-high"])?;
    expect("exceptions", r.exceptions.as_ref().map(Vec::len), Some(0))?;
    // The removed policy; the two NetworkPolicies of the widened flow; and the Falco rule the
    // runtime target derives from the portal's declared egress (its allowed ports changed).
    let want: BTreeSet<(ObjectChangeKind, String, String, String)> = [
        (
            ObjectChangeKind::Removed,
            "ImageValidatingPolicy",
            "",
            "signed-images",
        ),
        (
            ObjectChangeKind::Changed,
            "NetworkPolicy",
            "optimal-system",
            "allow-egress-from-portal",
        ),
        (
            ObjectChangeKind::Changed,
            "NetworkPolicy",
            "optimal-system",
            "allow-ingress-to-api-gateway",
        ),
        (
            ObjectChangeKind::Changed,
            "file",
            "",
            "falco/posture_rules.yaml",
        ),
    ]
    .into_iter()
    .map(|(c, k, n, m)| (c, k.to_string(), n.to_string(), m.to_string()))
    .collect();
    expect("objects", objects(&r), want)?;
    for o in &r.objects {
        let paths: Vec<&str> = o.fields.iter().map(|f| f.path.as_str()).collect();
        let want: Vec<&str> = match o.name.as_str() {
            "allow-egress-from-portal" => vec!["spec.egress[0].ports[0].port"],
            "allow-ingress-to-api-gateway" => vec!["spec.ingress[0].ports[0].port"],
            "falco/posture_rules.yaml" => {
                vec!["(document)[rule=Undeclared Outbound Connection from portal].condition"]
            }
            _ => vec![],
        };
        expect(&format!("fields of {}", o.name), paths, want)?;
        let widens = o.widens.is_some();
        expect(
            &format!("{} widens", o.name),
            widens,
            o.change == ObjectChangeKind::Removed,
        )?;
    }

    // The other formats say the same.
    let (o, n) = (s(&old), s(&new));
    let (code, text, _) = posture(&["diff", &o, &n])?;
    expect("text exit", code, 4)?;
    for needle in [
        "+ optimal-system/portal -> optimal-system/api-gateway : TCP 1-7999,8001-65535",
        "CM-14 Signed Components: satisfied -> gap (lower)",
        "- ImageValidatingPolicy signed-images  kyverno/_cluster.yaml",
        "result: the change widens the posture",
    ] {
        if !text.contains(needle) {
            return Err(format!("the text lacks `{needle}`:\n{text}").into());
        }
    }
    let (code, md, _) = posture(&["diff", &o, &n, "--format", "markdown"])?;
    expect("markdown exit", code, 4)?;
    for needle in [
        "**The change widens the posture.**",
        "| **allowed** | `optimal-system/portal` | `optimal-system/api-gateway` | TCP 1-7999,8001-65535 |",
        "| `CM-14` | Signed Components | satisfied | **gap** (lower) |",
        "| removed | `ImageValidatingPolicy signed-images` |",
    ] {
        if !md.contains(needle) {
            return Err(format!("the markdown lacks `{needle}`:\n{md}").into());
        }
    }
    // Every table row has as many cells as its header.
    let mut columns = 0;
    for line in md.lines() {
        if line.starts_with("| ---") || !line.starts_with('|') {
            if !line.starts_with('|') {
                columns = 0;
            }
            continue;
        }
        let cells = line.replace("\\|", "").matches('|').count();
        if columns == 0 {
            columns = cells;
        } else if cells != columns {
            return Err(format!("a ragged table row: {line}").into());
        }
    }
    let (code, gh, _) = posture(&["diff", &o, &n, "--format", "github"])?;
    expect("github exit", code, 4)?;
    if let Some(bad) = gh.lines().find(|l| !is_annotation(l)) {
        return Err(format!("not a workflow annotation: {bad}").into());
    }
    let flow = gh
        .lines()
        .find(|l| l.contains("newly allowed flow"))
        .ok_or("no annotation for the allowed flow")?;
    let file = format!("file={}", s(&new.join("network.posture")));
    if !(flow.starts_with("::warning ") && flow.contains(&file) && flow.contains(",line=15,")) {
        return Err(
            format!("the flow's annotation does not point at the new intent: {flow}").into(),
        );
    }
    // One flow, two controls, two frameworks, four objects, the summary.
    expect("annotations", gh.lines().count(), 1 + 2 + 2 + 4 + 1)?;
    // --fail-on never reports and passes; widen still fails.
    expect(
        "--fail-on never",
        posture(&["diff", &o, &n, "--fail-on", "never"])?.0,
        0,
    )?;
    expect(
        "--fail-on widen",
        posture(&["diff", &o, &n, "--fail-on", "widen"])?.0,
        4,
    )?;
    Ok(())
}

/// The same revision twice: nothing, exit 0.
fn identical() -> Result<(), Failed> {
    let old = root().join(EXAMPLE);
    let new = copy("identical", &[])?;
    let (code, r) = diff_json(&old, &new, &[])?;
    expect("exit", code, 0)?;
    expect("outcome", r.outcome, Outcome::Unchanged)?;
    expect("objects", r.objects.len(), 0)?;
    let (code, text, _) = posture(&["diff", &s(&old), &s(&new)])?;
    expect("text exit", code, 0)?;
    if !text.contains("result: no changes") {
        return Err(format!("the text does not say so:\n{text}").into());
    }
    Ok(())
}

/// An exception that waives in one more namespace and lasts longer: widened, exit 4.
fn exception_widened() -> Result<(), Failed> {
    let new = copy(
        "exception-widened",
        &[
            (
                "admission.posture",
                "scope   = { namespaces = [optimal-system], workloads = [profiler] }",
                "scope   = { namespaces = [optimal-system, optimal-data], workloads = [profiler] }",
            ),
            (
                "admission.posture",
                "expires = 2027-06-30",
                "expires = 2027-09-30",
            ),
        ],
    )?;
    let (code, r) = diff_json(&root().join(EXAMPLE), &new, &[])?;
    expect("exit", code, 4)?;
    let e = r.exceptions.as_ref().ok_or("no exceptions section")?;
    expect("exceptions", e.len(), 1)?;
    expect(
        "change",
        (e[0].name.as_str(), e[0].change),
        ("profiler-root", ExceptionChangeKind::Widened),
    )?;
    expect(
        "details",
        e[0].details.clone(),
        vec![
            "namespaces: + optimal-data".to_string(),
            "expires: 2027-06-30 -> 2027-09-30 (later)".to_string(),
        ],
    )?;
    expect(
        "flows",
        r.flows.map(|f| (f.allowed.len(), f.denied.len())),
        Some((0, 0)),
    )?;
    Ok(())
}

/// Negative control: an exception that ends earlier is a change, never a widening (exit 3).
fn exception_narrowed() -> Result<(), Failed> {
    let new = copy(
        "exception-narrowed",
        &[(
            "admission.posture",
            "expires = 2027-06-30",
            "expires = 2027-03-31",
        )],
    )?;
    let (code, r) = diff_json(&root().join(EXAMPLE), &new, &[])?;
    expect("exit", code, 3)?;
    expect("outcome", r.outcome, Outcome::Changed)?;
    let e = r.exceptions.as_ref().ok_or("no exceptions section")?;
    expect(
        "exceptions",
        e.iter()
            .map(|x| (x.change, x.details.clone()))
            .collect::<Vec<_>>(),
        vec![(
            ExceptionChangeKind::Changed,
            vec!["expires: 2027-06-30 -> 2027-03-31 (earlier)".to_string()],
        )],
    )?;
    expect(
        "--fail-on widen",
        diff_json(&root().join(EXAMPLE), &new, &["--fail-on", "widen"])?.0,
        0,
    )?;
    Ok(())
}

/// Negative control: a removed intent makes its flow denied, never allowed, and does not
/// widen (exit 3), though its NetworkPolicies go.
fn narrowed_flow() -> Result<(), Failed> {
    let new = copy(
        "narrowed-flow",
        &[(
            "network.posture",
            "  /// The scanner stores results in the database.\n  allow scanner -> postgres:pg\n",
            "",
        )],
    )?;
    let (code, r) = diff_json(&root().join(EXAMPLE), &new, &[])?;
    let flows = r.flows.as_ref().ok_or("no flows section")?;
    expect("allowed", flows.allowed.len(), 0)?;
    let denied: Vec<(&str, &str, &str)> = flows
        .denied
        .iter()
        .map(|f| (f.from.as_str(), f.to.as_str(), f.connections.as_str()))
        .collect();
    expect(
        "denied",
        denied,
        vec![(
            "optimal-system/scanner",
            "optimal-data/postgres",
            "TCP 5432",
        )],
    )?;
    if let Some(o) = r.objects.iter().find(|o| o.widens.is_some()) {
        return Err(format!("{} {} is said to widen", o.kind, o.name).into());
    }
    expect("exit", code, 3)?;
    Ok(())
}

/// A revision with errors: its coded diagnostics, exit 1, nothing on standard output.
fn revision_with_errors() -> Result<(), Failed> {
    let new = copy(
        "errors",
        &[(
            "network.posture",
            "allow api-gateway -> postgres:pg",
            "allow api-gateway -> postgress:pg",
        )],
    )?;
    let (code, out, err) = posture(&["diff", &s(&root().join(EXAMPLE)), &s(&new)])?;
    expect("exit", code, 1)?;
    expect("stdout", out.as_str(), "")?;
    if !(err.contains("error[P") && err.contains("postgress")) {
        return Err(format!("no coded diagnostic:\n{err}").into());
    }
    Ok(())
}

/// Two builds: the objects and the SSPs' coverage; flows and exceptions are said to be not
/// available; a changed NetworkPolicy fails closed. A file edited after the build is refused.
fn builds() -> Result<(), Failed> {
    let (file, from, to) = remove_signed_images()?;
    let new = copy("builds", &[WIDEN, (file, &from, to)])?;
    let dir = new.parent().ok_or("no parent")?;
    let (a, b) = (dir.join("out-old"), dir.join("out-new"));
    for (src, out) in [(root().join(EXAMPLE), &a), (new.clone(), &b)] {
        let (code, _, err) = posture(&["build", &s(&src), "-o", &s(out)])?;
        expect(&format!("build {}: {err}", src.display()), code, 0)?;
    }
    let (code, r) = diff_json(&a, &b, &[])?;
    expect("exit", code, 4)?;
    expect("mode", r.mode, review::Mode::Builds)?;
    expect("flows", r.flows.is_none(), true)?;
    expect("exceptions", r.exceptions.is_none(), true)?;
    let unavailable: BTreeSet<&str> = r.not_available.iter().map(|u| u.section.as_str()).collect();
    expect(
        "not available",
        unavailable,
        ["coverage", "exceptions", "flows"].into_iter().collect(),
    )?;
    let controls: Vec<&str> = r
        .coverage
        .as_ref()
        .ok_or("no coverage from the SSPs")?
        .controls
        .iter()
        .map(|c| c.control.as_str())
        .collect();
    expect("coverage", controls, vec!["CM-14", "SI-7(15)"])?;
    let widening: BTreeSet<String> = r
        .objects
        .iter()
        .filter(|o| o.widens.is_some())
        .map(|o| o.name.clone())
        .collect();
    expect(
        "widening objects",
        widening,
        [
            "allow-egress-from-portal",
            "allow-ingress-to-api-gateway",
            "signed-images",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    )?;
    expect(
        "same build",
        diff_json(&a, &a, &[])?.1.outcome,
        Outcome::Unchanged,
    )?;
    // Edited after the build: refused.
    let policy = b.join("network/optimal-system.yaml");
    let text = std::fs::read_to_string(&policy)?;
    std::fs::write(&policy, format!("{text}# edited\n"))?;
    let (code, _, err) = posture(&["diff", &s(&a), &s(&b)])?;
    expect("tampered exit", code, 2)?;
    if !err.contains("does not match the manifest's sha256") {
        return Err(format!("the tampering is not named:\n{err}").into());
    }
    // A build and sources: a usage error.
    expect("mixed", posture(&["diff", &s(&a), &s(&new)])?.0, 2)?;
    Ok(())
}

fn usage_errors() -> Result<(), Failed> {
    let ex = s(&root().join(EXAMPLE));
    for args in [
        vec!["diff", ex.as_str()],
        vec!["diff", ex.as_str(), "--live"],
        vec!["diff", ex.as_str(), ex.as_str(), "--format", "yaml"],
        vec!["diff", ex.as_str(), ex.as_str(), "--fail-on", "sometimes"],
        vec!["diff", ex.as_str(), "/nonexistent/posture"],
    ] {
        expect(&format!("{args:?}"), posture(&args)?.0, 2)?;
    }
    Ok(())
}
