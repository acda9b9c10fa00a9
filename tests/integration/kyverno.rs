//! The kyverno target judged by the Kyverno CLI (`kyverno test`, `kyverno apply`) on the
//! upstream kyverno/policies test cases and on our own fixtures, in both back ends (`cel`:
//! `policies.kyverno.io/v1` kinds; `clusterpolicy`: `kyverno.io/v1` ClusterPolicy). Everything
//! it reads is under `tests/conformance/kyverno/` (see `book/src/contributing/kyverno-conformance.md`):
//!
//! - `upstream::<backend>::<folder>`: the upstream policy on its own test, unchanged: proves
//!   the harness (copy, run, parse, count) and the vendored reference;
//! - `upstream-negative::<backend>`: a weakened upstream policy must fail its own test;
//! - `reference::<backend>::<policy>`: for each row of `mapping.md`, our policy compiled from
//!   `reference.posture` replaces the upstream one; only the test file's `policies:` path,
//!   `policy`/`rule` names and policy-kind flags are rewritten, never resources or expected
//!   results. Every expected result must come out, and as many as the test file lists (a
//!   policy folder that loads zero policies passes vacuously otherwise). Where the names do not
//!   map one to one (one upstream policy for two of ours, two upstream rules for one of ours)
//!   the rule of KYVERNO-REFERENCE is applied on `kyverno apply`'s report: a resource upstream
//!   fails must fail at least one of ours, a resource upstream passes must pass all of ours;
//! - `negative::<backend>::require-run-as-non-root`: our policy with every check made `true`
//!   must fail its reference test;
//! - `fixtures::<backend>::<case>`: our own `kyverno test` folders for what upstream does not
//!   test (`fixtures/*/kyverno-test.yaml`, policies compiled from `fixtures.posture`), the
//!   generated default deny with DNS egress, and a PolicyException given with `-e`;
//! - `example::<backend>`: every admission policy the Optimal Platform emits, loaded by the
//!   Kyverno CLI at once, on a compliant Deployment (every validate policy passes) and on a
//!   non-compliant one (exactly the expected policies fail); image verification is left out
//!   (it needs a registry and a transparency log);
//! - `schema::<backend>::<posture>`: every emitted document against the Kyverno CRD schemas,
//!   strict on unknown fields; `schema::negative`: broken documents must be rejected.
//!
//! Each reference and fixture trial adds a row (policy | backend | reference | passed/total) to
//! `target/kyverno-conformance.md`, and prints it (`--nocapture`).
//!
//! The external tools come from `cargo xtask tools` (`POSTURE_TOOL_KYVERNO`,
//! `POSTURE_TOOL_CHECK_JSONSCHEMA`); a missing tool fails its test.

use crate::root;
use crate::support::{run_split as run, tool};
use cli::FsWorld;
use emit::Artifact;
use libtest_mimic::{Failed, Trial};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

// ---------------------------------------------------------------------------------------
// Back ends, the mapping table, the compiled postures

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Backend {
    Cel,
    ClusterPolicy,
}

impl Backend {
    const ALL: [Backend; 2] = [Backend::Cel, Backend::ClusterPolicy];

    fn name(self) -> &'static str {
        match self {
            Backend::Cel => "cel",
            Backend::ClusterPolicy => "clusterpolicy",
        }
    }

    fn api(self) -> ::kyverno::Api {
        match self {
            Backend::Cel => ::kyverno::Api::Cel,
            Backend::ClusterPolicy => ::kyverno::Api::ClusterPolicy,
        }
    }
}

/// One row of `mapping.md`: our policies and the upstream folder of each back end.
#[derive(Debug, Clone)]
struct Row {
    ours: Vec<String>,
    clusterpolicy: Option<String>,
    cel: Option<String>,
}

impl Row {
    fn reference(&self, b: Backend) -> Option<&str> {
        match b {
            Backend::Cel => self.cel.as_deref(),
            Backend::ClusterPolicy => self.clusterpolicy.as_deref(),
        }
    }
}

fn conformance() -> PathBuf {
    root().join("tests/conformance/kyverno")
}

/// The rows of `tests/conformance/kyverno/mapping.md`: every table line after the header;
/// `a + b` in the first cell is one upstream policy for two of ours; `—` is no reference.
fn mapping() -> Result<Vec<Row>, String> {
    let path = conformance().join("mapping.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect();
        if cells.len() < 3 || cells[0] == "ours" || cells[0].starts_with("---") {
            continue;
        }
        let cell = |c: &str| (!matches!(c, "" | "—" | "-")).then(|| c.to_string());
        rows.push(Row {
            ours: cells[0].split('+').map(|s| s.trim().to_string()).collect(),
            clusterpolicy: cell(&cells[1]),
            cel: cell(&cells[2]),
        });
    }
    if rows.is_empty() {
        return Err(format!("{} has no rows", path.display()));
    }
    Ok(rows)
}

type Compiled = Result<Arc<[Artifact]>, String>;

/// The artifacts of the kyverno target for a posture (a file or folder relative to the
/// repository root), compiled once per back end.
fn compiled(posture: &str, b: Backend) -> Result<Arc<[Artifact]>, Failed> {
    static CACHE: OnceLock<Mutex<BTreeMap<(String, Backend), Compiled>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (posture.to_string(), b);
    if let Some(c) = cache.lock().map_err(|e| e.to_string())?.get(&key) {
        return c.clone().map_err(Failed::from);
    }
    let result = compile(&root().join(posture), b);
    cache
        .lock()
        .map_err(|e| e.to_string())?
        .insert(key, result.clone());
    result.map_err(Failed::from)
}

fn compile(path: &Path, b: Backend) -> Compiled {
    let checked = driver::check(&FsWorld, path, &tests::options())
        .map_err(|d| format!("cannot load `{}`: {}", path.display(), d.message))?;
    let Some(p) = checked.posture.as_ref() else {
        let msgs: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code.id, d.message))
            .collect();
        return Err(format!(
            "`{}` does not check:\n{}",
            path.display(),
            msgs.join("\n")
        ));
    };
    Ok(Arc::from(::kyverno::emit(p, b.api())))
}

/// The document of `kyverno/<name>.yaml` (or another path) among the artifacts.
fn document(artifacts: &[Artifact], path: &str) -> Result<Value, Failed> {
    let a = artifacts.iter().find(|a| a.path == path).ok_or_else(|| {
        let paths: Vec<&str> = artifacts.iter().map(|a| a.path.as_str()).collect();
        format!(
            "the compiled posture has no `{path}`; it has:\n  {}",
            paths.join("\n  ")
        )
    })?;
    serde_saphyr::from_slice(&a.bytes).map_err(|e| format!("{}: {e}", a.path).into())
}

fn policy(artifacts: &[Artifact], name: &str) -> Result<Value, Failed> {
    document(artifacts, &format!("kyverno/{name}.yaml"))
}

/// The names of a policy's rules: a ClusterPolicy's `spec.rules[*].name`; a CEL kind's own name.
fn rule_names(doc: &Value) -> Vec<String> {
    if doc["kind"] == "ClusterPolicy" {
        doc["spec"]["rules"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| r["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec![doc["metadata"]["name"].as_str().unwrap_or_default().into()]
    }
}

/// Every check of a policy made to pass: CEL validations become `true`; a ClusterPolicy
/// rule's validation becomes a deny whose condition never holds.
fn weaken(doc: &mut Value) {
    if doc["kind"] == "ClusterPolicy" {
        if let Some(rules) = doc["spec"]["rules"].as_array_mut() {
            for r in rules.iter_mut().filter(|r| r.get("validate").is_some()) {
                r["validate"] = json!({
                    "message": "weakened",
                    "deny": { "conditions": { "any": [
                        { "key": "a", "operator": "Equals", "value": "b" }
                    ] } }
                });
            }
        }
    } else if let Some(vs) = doc["spec"]["validations"].as_array_mut() {
        for v in vs {
            v["expression"] = json!("true");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tools, scratch directories, files

/// A fresh scratch directory for one test of this suite.
fn scratch(name: &str) -> Result<PathBuf, Failed> {
    crate::support::scratch("kyverno", name)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Failed> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for e in entries.flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        }
    }
    Ok(())
}

fn read_yaml(path: &Path) -> Result<Value, Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Every document of a (multi-document) YAML file.
fn read_yaml_docs(path: &Path) -> Result<Vec<Value>, Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn write_yaml(path: &Path, v: &Value) -> Result<(), Failed> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, emit::to_yaml(v)).map_err(|e| format!("{}: {e}", path.display()).into())
}

// ---------------------------------------------------------------------------------------
// Running the CLI and judging its output

/// What one run established: how many expected results came out as expected, of how many.
#[derive(Debug, Default)]
struct Outcome {
    method: &'static str,
    passed: usize,
    total: usize,
    problems: Vec<String>,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.problems.is_empty() && self.total > 0 && self.passed == self.total
    }

    fn into_result(self, what: &str) -> Result<(), Failed> {
        if self.ok() {
            return Ok(());
        }
        let mut msg = format!(
            "{what}: {}/{} expected results ({})",
            self.passed, self.total, self.method
        );
        for p in self.problems.iter().take(40) {
            msg.push_str("\n  ");
            msg.push_str(p);
        }
        if self.problems.len() > 40 {
            msg.push_str(&format!("\n  … and {} more", self.problems.len() - 40));
        }
        Err(msg.into())
    }
}

/// The number of expected results a kyverno-test file lists (one per resource per entry).
fn expected_count(test: &Value) -> usize {
    test["results"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| r["resources"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0)
}

/// `kyverno test <dir> -o json`, judged against the test file `test` in it: every result row
/// `Pass`, none `Fail`, and as many passing rows as the file expects. Rows with reason
/// `Excluded` are the CLI's own bookkeeping (they come and go between runs of the upstream
/// policies themselves) and count neither way.
fn kyverno_test(dir: &Path, test: &Value) -> Result<Outcome, Failed> {
    let kyverno = tool("POSTURE_TOOL_KYVERNO")?;
    let (_, stdout, stderr) =
        run(Command::new(kyverno)
            .arg("test")
            .arg(dir)
            .args(["-o", "json", "--remove-color"]))?;
    let total = expected_count(test);
    let mut outcome = Outcome {
        method: "kyverno test",
        total,
        ..Outcome::default()
    };
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines.iter().position(|l| *l == "[");
    let end = lines.iter().position(|l| *l == "]");
    let (Some(start), Some(end)) = (start, end) else {
        outcome.problems.push(format!(
            "kyverno test printed no results:\n{stdout}\n{stderr}"
        ));
        return Ok(outcome);
    };
    let rows: Vec<Value> = serde_json::from_str(&lines[start..=end].join("\n"))
        .map_err(|e| format!("kyverno test's JSON: {e}\n{stdout}"))?;
    for r in &rows {
        let (result, reason) = (
            r["RESULT"].as_str().unwrap_or_default(),
            r["REASON"].as_str().unwrap_or_default(),
        );
        match (result, reason) {
            ("Pass", "Excluded") => {}
            ("Pass", _) => outcome.passed += 1,
            _ => outcome.problems.push(format!(
                "{} {}: {result} ({reason})",
                r["POLICY"].as_str().unwrap_or_default(),
                r["RESOURCE"].as_str().unwrap_or_default()
            )),
        }
    }
    if outcome.passed != total {
        outcome.problems.push(format!(
            "{} results passed, the test file expects {total}",
            outcome.passed
        ));
    }
    Ok(outcome)
}

/// Runs `kyverno apply POLICIES -r RESOURCES… -e EXCEPTIONS… -p --output-format json -o OUT`
/// and returns its policy report; a run whose report counts errors (a policy that failed to
/// load or evaluate) is a failure.
pub(crate) fn apply_report(
    policies: &[PathBuf],
    resources: &[PathBuf],
    exceptions: &[PathBuf],
    out: &Path,
) -> Result<Value, Failed> {
    let kyverno = tool("POSTURE_TOOL_KYVERNO")?;
    let mut cmd = Command::new(kyverno);
    cmd.arg("apply").args(policies);
    for r in resources {
        cmd.arg("-r").arg(r);
    }
    for e in exceptions {
        cmd.arg("-e").arg(e);
    }
    cmd.args(["-p", "--output-format", "json", "--remove-color", "-o"])
        .arg(out);
    let (_, stdout, stderr) = run(&mut cmd)?;
    let report: Value = stdout
        .find("{\"kind\"")
        .and_then(|i| {
            serde_json::Deserializer::from_str(&stdout[i..])
                .into_iter::<Value>()
                .next()
        })
        .and_then(Result::ok)
        .ok_or_else(|| format!("kyverno apply printed no report:\n{stdout}\n{stderr}"))?;
    if report["summary"]["error"].as_u64().unwrap_or(0) > 0 {
        return Err(format!("kyverno apply reports errors:\n{stdout}\n{stderr}").into());
    }
    Ok(report)
}

/// `kyverno apply POLICIES -r RESOURCES -p --output-format json`: the report's results as
/// `(kind, name, policy, result)`.
fn kyverno_apply(
    policies: &[PathBuf],
    resources: &[PathBuf],
    exceptions: &[PathBuf],
    out: &Path,
) -> Result<Vec<(String, String, String, String)>, Failed> {
    let report = apply_report(policies, resources, exceptions, out)?;
    let mut out = Vec::new();
    for r in report["results"].as_array().into_iter().flatten() {
        for res in r["resources"].as_array().into_iter().flatten() {
            out.push((
                res["kind"].as_str().unwrap_or_default().to_string(),
                res["name"].as_str().unwrap_or_default().to_string(),
                r["policy"].as_str().unwrap_or_default().to_string(),
                r["result"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(out)
}

/// The expected verdict of each `(kind, name)` of a test file, over all its `(policy, rule)`
/// entries: `fail` when any entry fails it; `pass` when every `(policy, rule)` of the file
/// lists it as passing; `skip` when every entry that names it skips it; `None` (undetermined)
/// when it passes the entries that name it but others do not name it (upstream
/// `disallow-capabilities-strict` lists its `addcap-good*` resources for one rule only).
fn expected_verdicts(test: &Value) -> BTreeMap<(String, String), Option<String>> {
    let id = |r: &Value| {
        (
            r["policy"].as_str().unwrap_or_default().to_string(),
            r["rule"].as_str().unwrap_or_default().to_string(),
        )
    };
    let entries: Vec<&Value> = test["results"].as_array().into_iter().flatten().collect();
    let ids: BTreeSet<(String, String)> = entries.iter().map(|r| id(r)).collect();
    let mut seen: BTreeMap<(String, String), BTreeMap<(String, String), String>> = BTreeMap::new();
    for r in entries {
        let kind = r["kind"].as_str().unwrap_or_default().to_string();
        let result = r["result"].as_str().unwrap_or_default().to_string();
        for res in r["resources"].as_array().into_iter().flatten() {
            let name = res.as_str().unwrap_or_default();
            let name = name.rsplit('/').next().unwrap_or(name).to_string();
            seen.entry((kind.clone(), name))
                .or_default()
                .insert(id(r), result.clone());
        }
    }
    seen.into_iter()
        .map(|(k, rs)| {
            let v = if rs.values().any(|r| r == "fail") {
                Some("fail")
            } else if rs.values().all(|r| r == "skip") {
                Some("skip")
            } else if rs.len() == ids.len() {
                Some("pass")
            } else {
                None
            };
            (k, v.map(String::from))
        })
        .collect()
}

/// The rule of KYVERNO-REFERENCE for names that do not map one to one, on `kyverno apply`: a
/// resource the test file fails must fail at least one of `ours`; one it passes must be
/// evaluated by every one of `ours` and pass them all; one it skips must fail none.
fn combined(
    case: &Path,
    test: &Value,
    ours: &[(String, PathBuf)],
    exceptions: &[PathBuf],
) -> Result<Outcome, Failed> {
    let resources: Vec<PathBuf> = test["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
        .map(|r| case.join(".kyverno-test").join(r))
        .collect();
    let policies: Vec<PathBuf> = ours.iter().map(|(_, p)| p.clone()).collect();
    let out = case.join("apply-output.yaml");
    let results = kyverno_apply(&policies, &resources, exceptions, &out)?;
    let expected = expected_verdicts(test);
    let undetermined = expected.values().filter(|v| v.is_none()).count();
    let mut outcome = Outcome {
        method: if undetermined == 0 {
            "kyverno apply, combined"
        } else {
            "kyverno apply, combined; resources the test lists for only some upstream rules are undetermined and not counted"
        },
        total: expected.len() - undetermined,
        ..Outcome::default()
    };
    for ((kind, name), want) in &expected {
        let Some(want) = want else { continue };
        let got: Vec<(&str, &str)> = results
            .iter()
            .filter(|(k, n, _, _)| k == kind && n == name)
            .map(|(_, _, p, r)| (p.as_str(), r.as_str()))
            .collect();
        let failed = got.iter().any(|(_, r)| *r == "fail" || *r == "error");
        let good = match want.as_str() {
            "fail" => failed,
            "pass" => ours.iter().all(|(policy, _)| {
                got.iter().any(|(p, _)| p == policy)
                    && got.iter().all(|(p, r)| p != policy || *r == "pass")
            }),
            _ => !failed,
        };
        if good {
            outcome.passed += 1;
        } else {
            outcome
                .problems
                .push(format!("{kind}/{name}: want {want}, got {got:?}"));
        }
    }
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------
// The per-policy table

/// The table's rows so far, keyed by (policy, backend).
fn table() -> &'static Mutex<BTreeMap<(String, String), String>> {
    static TABLE: OnceLock<Mutex<BTreeMap<(String, String), String>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

/// Adds a row to the table, prints it and rewrites `target/kyverno-conformance.md` with every
/// row so far (the last trial to finish writes the whole table).
fn record(policy: &str, b: Backend, reference: &str, result: &Result<Outcome, Failed>) {
    let cell = match result {
        Ok(o) => format!(
            "{}/{} | {} | {}",
            o.passed,
            o.total,
            if o.ok() { "pass" } else { "FAIL" },
            o.method
        ),
        Err(e) => {
            let msg = e.message().unwrap_or("failed").lines().next().unwrap_or("");
            format!("— | FAIL | {msg}")
        }
    };
    let row = format!("| {policy} | {} | {reference} | {cell} |", b.name());
    println!("{row}");
    let Ok(mut t) = table().lock() else { return };
    t.insert((policy.to_string(), b.name().to_string()), row);
    let mut text = String::from(
        "# Kyverno conformance\n\nWritten by `cargo test -p tests --test integration -- \
         kyverno::` (rows of the trials that ran).\n\n| policy | backend | reference | passed/total \
         | status | method |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in t.values() {
        text.push_str(r);
        text.push('\n');
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("kyverno-conformance.md"));
    if let Some(path) = path {
        let _ = std::fs::write(path, text);
    }
}

// ---------------------------------------------------------------------------------------
// Trials

pub(crate) fn trials() -> Vec<Trial> {
    let mut t = Vec::new();
    let rows = match mapping() {
        Ok(rows) => rows,
        Err(e) => {
            t.push(Trial::test("kyverno::mapping", move || {
                Err(e.clone().into())
            }));
            return t;
        }
    };
    for b in Backend::ALL {
        let folders: BTreeSet<String> = rows
            .iter()
            .filter_map(|r| r.reference(b).map(String::from))
            .collect();
        for folder in folders {
            t.push(Trial::test(
                format!("kyverno::upstream::{}::{folder}", b.name()),
                move || upstream(&folder, false),
            ));
        }
        t.push(Trial::test(
            format!("kyverno::upstream-negative::{}", b.name()),
            move || upstream_negative(b),
        ));
        for row in &rows {
            let Some(_) = row.reference(b) else { continue };
            let row = row.clone();
            t.push(Trial::test(
                format!("kyverno::reference::{}::{}", b.name(), row.ours.join("+")),
                move || {
                    let name = row.ours.join(" + ");
                    let reference = row.reference(b).unwrap_or_default();
                    let result = reference_case(&row, b, false);
                    record(&name, b, reference, &result);
                    result?.into_result(&format!("{name} on {reference}"))
                },
            ));
        }
        t.push(Trial::test(
            format!("kyverno::negative::{}::require-run-as-non-root", b.name()),
            move || negative(b),
        ));
        for case in fixture_cases() {
            t.push(Trial::test(
                format!("kyverno::fixtures::{}::{case}", b.name()),
                move || {
                    let result = fixture(&case, b);
                    record(&case, b, &format!("fixtures/{case}"), &result);
                    result?.into_result(&case)
                },
            ));
        }
        t.push(Trial::test(
            format!("kyverno::fixtures::{}::generate-dns", b.name()),
            move || {
                let result = generate_dns(b);
                record(
                    "namespace-default-deny (DNS)",
                    b,
                    "fixtures/generate-dns",
                    &result,
                );
                result?.into_result("generate-dns")
            },
        ));
        t.push(Trial::test(
            format!("kyverno::fixtures::{}::generate-platform", b.name()),
            move || generate_platform(b),
        ));
        t.push(Trial::test(
            format!("kyverno::fixtures::{}::exception", b.name()),
            move || {
                let result = exception(b);
                record("legacy-pull (exception)", b, "fixtures/exception", &result);
                result?.into_result("exception")
            },
        ));
        t.push(Trial::test(
            format!("kyverno::example::{}", b.name()),
            move || example(b),
        ));
        for (name, posture) in SCHEMA_POSTURES {
            t.push(Trial::test(
                format!("kyverno::schema::{}::{name}", b.name()),
                move || schema(posture, b),
            ));
        }
    }
    t.push(Trial::test("kyverno::schema::negative", schema_negative));
    t.push(Trial::test("kyverno::exception-scopes", exception_scopes));
    for b in Backend::ALL {
        t.push(Trial::test(
            format!("kyverno::exception-scopes-negative::{}", b.name()),
            move || exception_scopes_negative(b),
        ));
    }
    t
}

/// A copy of a reference folder in a scratch directory: `(scratch, case folder, test file
/// path, test file)`.
fn reference_copy(folder: &str, tag: &str) -> Result<(PathBuf, PathBuf, PathBuf, Value), Failed> {
    let dir = scratch(&format!("{tag}-{folder}"))?;
    let case = dir.join("case");
    copy_dir(&conformance().join("reference").join(folder), &case)?;
    let test_path = case.join(".kyverno-test/kyverno-test.yaml");
    let test = read_yaml(&test_path)?;
    if expected_count(&test) == 0 {
        return Err(format!("{folder}: the test file expects no results").into());
    }
    Ok((dir, case, test_path, test))
}

/// The upstream policy on its own test (optionally weakened).
fn upstream(folder: &str, weakened: bool) -> Result<(), Failed> {
    let (dir, case, test_path, test) = reference_copy(folder, "upstream")?;
    if weakened {
        for p in test["policies"].as_array().into_iter().flatten() {
            let path = test_path
                .parent()
                .unwrap_or(&case)
                .join(p.as_str().unwrap_or_default());
            let mut doc = read_yaml(&path)?;
            weaken(&mut doc);
            write_yaml(&path, &doc)?;
        }
    }
    let outcome = kyverno_test(&case, &test)?;
    let _ = std::fs::remove_dir_all(&dir);
    if weakened {
        return weakened_fails(outcome, folder);
    }
    outcome.into_result(&format!("upstream {folder}"))
}

/// A weakened policy must have been evaluated on every expected result, and fail some.
fn weakened_fails(o: Outcome, what: &str) -> Result<(), Failed> {
    if o.total == 0 || (o.passed == 0 && o.problems.is_empty()) {
        return Err(format!("weakened {what}: nothing was evaluated").into());
    }
    if o.ok() {
        return Err(format!(
            "weakened {what} still passes all {} expected results: the harness cannot fail",
            o.total
        )
        .into());
    }
    Ok(())
}

fn upstream_negative(b: Backend) -> Result<(), Failed> {
    let folder = match b {
        Backend::Cel => "pod-security-vpol/restricted/require-run-as-nonroot",
        Backend::ClusterPolicy => "pod-security/restricted/require-run-as-nonroot",
    };
    upstream(folder, true)
}

fn negative(b: Backend) -> Result<(), Failed> {
    let rows = mapping()?;
    let row = rows
        .iter()
        .find(|r| r.ours == ["require-run-as-non-root"])
        .ok_or("mapping.md has no row for require-run-as-non-root")?;
    let outcome = reference_case(row, b, true)?;
    weakened_fails(outcome, "require-run-as-non-root")
}

/// The flag a kyverno-test result entry carries for a CEL policy kind.
fn kind_flag(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "ValidatingPolicy" => "isValidatingPolicy",
        "MutatingPolicy" => "isMutatingPolicy",
        "GeneratingPolicy" => "isGeneratingPolicy",
        "ImageValidatingPolicy" => "isImageValidatingPolicy",
        _ => return None,
    })
}

/// Our policies of `row` in place of the upstream ones, judged by the upstream test.
fn reference_case(row: &Row, b: Backend, weakened: bool) -> Result<Outcome, Failed> {
    let folder = row.reference(b).ok_or("no reference for this back end")?;
    let artifacts = compiled("tests/conformance/kyverno/reference.posture", b)?;
    let mut docs = Vec::new();
    for name in &row.ours {
        let mut doc = policy(&artifacts, name)?;
        if weakened {
            weaken(&mut doc);
        }
        docs.push((name.clone(), doc));
    }
    let tag = if weakened { "negative" } else { "reference" };
    let (dir, case, test_path, mut test) = reference_copy(folder, &format!("{tag}-{}", b.name()))?;
    let test_dir = test_path.parent().unwrap_or(&case).to_path_buf();
    // The upstream policies leave; ours come in their place.
    for p in test["policies"].as_array().into_iter().flatten() {
        let _ = std::fs::remove_file(test_dir.join(p.as_str().unwrap_or_default()));
    }
    let mut ours = Vec::new();
    for (name, doc) in &docs {
        let path = case.join(format!("{name}.yaml"));
        write_yaml(&path, doc)?;
        ours.push((name.clone(), path));
    }
    let upstream_ids: BTreeSet<(String, String)> = test["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["policy"].as_str().unwrap_or_default().to_string(),
                r["rule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let our_rules: Vec<String> = docs.iter().flat_map(|(_, d)| rule_names(d)).collect();
    let outcome = if docs.len() == 1 && upstream_ids.len() == 1 && our_rules.len() == 1 {
        let (name, doc) = &docs[0];
        test["policies"] = json!([format!("../{name}.yaml")]);
        for r in test["results"].as_array_mut().into_iter().flatten() {
            let Some(o) = r.as_object_mut() else { continue };
            o.insert("policy".into(), json!(name));
            if o.contains_key("rule") || b == Backend::ClusterPolicy {
                o.insert("rule".into(), json!(our_rules[0]));
            }
            o.retain(|k, _| !(k.starts_with("is") && k.ends_with("Policy")));
            if let Some(flag) = doc["kind"].as_str().and_then(kind_flag) {
                o.insert(flag.into(), json!(true));
            }
        }
        write_yaml(&test_path, &test)?;
        kyverno_test(&case, &test)?
    } else {
        combined(&case, &test, &ours, &[])?
    };
    let _ = std::fs::remove_dir_all(&dir);
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------
// Fixtures

const FIXTURES_POSTURE: &str = "tests/conformance/kyverno/fixtures.posture";

/// The fixture folders with a `kyverno-test.yaml`.
fn fixture_cases() -> Vec<String> {
    let dir = conformance().join("fixtures");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("kyverno-test.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A fixture folder: its test file's `policies:` (`<name>.yaml`) are compiled from
/// `fixtures.posture` into the copy.
fn fixture(case: &str, b: Backend) -> Result<Outcome, Failed> {
    let artifacts = compiled(FIXTURES_POSTURE, b)?;
    let dir = scratch(&format!("fixture-{}-{case}", b.name()))?;
    copy_dir(&conformance().join("fixtures").join(case), &dir)?;
    let test = read_yaml(&dir.join("kyverno-test.yaml"))?;
    for p in test["policies"].as_array().into_iter().flatten() {
        let file = p.as_str().unwrap_or_default();
        let name = file.trim_end_matches(".yaml");
        write_yaml(&dir.join(file), &policy(&artifacts, name)?)?;
    }
    let outcome = kyverno_test(&dir, &test)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(outcome)
}

/// `namespace-default-deny` with `allow_dns`: for each new namespace, what is generated
/// isolates every pod in both directions, admits no ingress, and lets out DNS (port 53) only.
fn generate_dns(b: Backend) -> Result<Outcome, Failed> {
    let artifacts = compiled(FIXTURES_POSTURE, b)?;
    let dir = scratch(&format!("generate-dns-{}", b.name()))?;
    let policy_path = dir.join("namespace-default-deny.yaml");
    write_yaml(&policy_path, &policy(&artifacts, "namespace-default-deny")?)?;
    let resources = conformance().join("fixtures/generate-dns/resource.yaml");
    let namespaces: Vec<String> = read_yaml_docs(&resources)?
        .iter()
        .filter(|d| d["kind"] == "Namespace")
        .filter_map(|d| d["metadata"]["name"].as_str().map(String::from))
        .collect();
    let out = dir.join("generated");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let results = kyverno_apply(&[policy_path], &[resources], &[], &out)?;
    let mut generated = Vec::new();
    for f in tests::inputs::files_under(&out, ".yaml") {
        generated.extend(read_yaml_docs(&f)?);
    }
    let mut outcome = Outcome {
        method: "kyverno apply, generated NetworkPolicies",
        total: namespaces.len(),
        ..Outcome::default()
    };
    for ns in &namespaces {
        let evaluated = results
            .iter()
            .any(|(k, n, _, r)| k == "Namespace" && n == ns && r == "pass");
        let nps: Vec<&Value> = generated
            .iter()
            .filter(|d| d["kind"] == "NetworkPolicy" && d["metadata"]["namespace"] == ns.as_str())
            .collect();
        let problems = netpol_problems(&nps);
        if evaluated && problems.is_empty() {
            outcome.passed += 1;
        } else {
            outcome.problems.push(format!(
                "namespace {ns}: evaluated = {evaluated}; {}; generated: {}",
                problems.join("; "),
                serde_json::to_string(&nps).unwrap_or_default()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(outcome)
}

/// The example's `namespace-default-deny` never closes the platform's own namespaces and fires
/// on new namespaces only: `kyverno apply` on `fixtures/generate-platform/namespaces.yaml`
/// generates NetworkPolicies in `team-new` alone (deny all but DNS); with the request made an
/// UPDATE (`values-update.yaml`) it generates nothing. Negative controls: the same policy with
/// its exclusions removed generates in the system namespaces, and with UPDATE added to its
/// operations it fires on the update.
fn generate_platform(b: Backend) -> Result<(), Failed> {
    let artifacts = compiled("examples/optimal-platform", b)?;
    let dir = scratch(&format!("generate-platform-{}", b.name()))?;
    let fixture = conformance().join("fixtures/generate-platform");
    let resources = fixture.join("namespaces.yaml");
    let update = fixture.join("values-update.yaml");
    let original = policy(&artifacts, "namespace-default-deny")?;
    // Runs the policy; the namespaces it generated NetworkPolicies in, with the policies.
    let run_policy = |label: &str,
                      doc: &Value,
                      values: Option<&Path>|
     -> Result<BTreeMap<String, Vec<Value>>, Failed> {
        let path = dir.join(format!("{label}.yaml"));
        write_yaml(&path, doc)?;
        let out = dir.join(format!("{label}-generated"));
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let kyverno = tool("POSTURE_TOOL_KYVERNO")?;
        let mut cmd = Command::new(kyverno);
        cmd.arg("apply").arg(&path).arg("-r").arg(&resources);
        if let Some(v) = values {
            cmd.arg("-f").arg(v);
        }
        cmd.args(["-p", "--output-format", "json", "--remove-color", "-o"])
            .arg(&out);
        // Kyverno prints no report at all when no rule applies (the update runs).
        let (ok, stdout, stderr) = run(&mut cmd)?;
        let errors = stdout
            .find("\"summary\":")
            .and_then(|i| stdout[i..].find("\"error\":").map(|j| i + j + 8))
            .is_some_and(|k| !stdout[k..].starts_with('0'));
        if !ok || errors {
            return Err(format!("{label}: kyverno apply failed:\n{stdout}\n{stderr}").into());
        }
        let mut by: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for f in tests::inputs::files_under(&out, ".yaml") {
            for d in read_yaml_docs(&f)? {
                if d["kind"] == "NetworkPolicy" {
                    let ns = d["metadata"]["namespace"].as_str().unwrap_or_default();
                    by.entry(ns.to_string()).or_default().push(d);
                }
            }
        }
        Ok(by)
    };
    let mut problems = Vec::new();
    let created = run_policy("create", &original, None)?;
    let names: Vec<&String> = created.keys().collect();
    if names != ["team-new"] {
        problems.push(format!(
            "on create, NetworkPolicies must be generated in team-new only, got {names:?}"
        ));
    }
    if let Some(nps) = created.get("team-new") {
        let refs: Vec<&Value> = nps.iter().collect();
        for p in netpol_problems(&refs) {
            problems.push(format!("team-new: {p}"));
        }
    }
    let updated = run_policy("update", &original, Some(&update))?;
    if !updated.is_empty() {
        problems.push(format!(
            "on update, nothing may be generated, got {:?}",
            updated.keys().collect::<Vec<_>>()
        ));
    }
    // Negative controls: the harness must see a policy that closes the platform or fires on
    // updates.
    // (`get_mut` only: indexing a missing key would add a null the CLI rejects.)
    let mut unexcluded = original.clone();
    let mut widened = original.clone();
    if let Some(spec) = unexcluded.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("matchConditions");
        for r in spec
            .get_mut("rules")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(r) = r.as_object_mut() {
                r.remove("exclude");
            }
        }
    }
    let both = json!(["CREATE", "UPDATE"]);
    let spec = widened.get_mut("spec");
    if let Some(spec) = spec {
        let rules = spec
            .pointer_mut("/matchConstraints/resourceRules")
            .and_then(Value::as_array_mut);
        for rr in rules.into_iter().flatten() {
            rr["operations"] = both.clone();
        }
        for r in spec
            .get_mut("rules")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            for f in r
                .pointer_mut("/match/any")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(res) = f.get_mut("resources") {
                    res["operations"] = both.clone();
                }
            }
        }
    }
    let closed = run_policy("negative-unexcluded", &unexcluded, None)?;
    if !closed.contains_key("kube-system") || !closed.contains_key("kyverno") {
        problems.push(format!(
            "negative control: without its exclusions the policy must generate in the system \
             namespaces, got {:?}",
            closed.keys().collect::<Vec<_>>()
        ));
    }
    let refired = run_policy("negative-widened", &widened, Some(&update))?;
    if refired.is_empty() {
        problems.push(
            "negative control: with UPDATE in its operations the policy must fire on the update"
                .into(),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

/// Why the NetworkPolicies generated in one namespace are not "deny all but DNS".
fn netpol_problems(nps: &[&Value]) -> Vec<String> {
    let mut p = Vec::new();
    if nps.is_empty() {
        return vec!["no NetworkPolicy generated".into()];
    }
    let all_pods = |np: &Value| {
        np["spec"]["podSelector"].as_object().is_some_and(|o| {
            o.values()
                .all(|v| v.as_object().is_some_and(|m| m.is_empty()))
        })
    };
    let types = |np: &Value, t: &str| {
        np["spec"]["policyTypes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == t))
    };
    if !nps
        .iter()
        .any(|np| all_pods(np) && types(np, "Ingress") && types(np, "Egress"))
    {
        p.push("no policy selects every pod for both Ingress and Egress".into());
    }
    let mut dns = false;
    for np in nps {
        if np["spec"]["ingress"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            p.push(format!(
                "{} admits ingress",
                np["metadata"]["name"].as_str().unwrap_or("?")
            ));
        }
        for rule in np["spec"]["egress"].as_array().into_iter().flatten() {
            let ports = rule["ports"].as_array().cloned().unwrap_or_default();
            if ports.is_empty() {
                p.push("an egress rule without ports allows every port".into());
            }
            for port in &ports {
                if port["port"] != 53 {
                    p.push(format!("egress to port {} besides DNS", port["port"]));
                } else if port["protocol"] == "UDP" {
                    dns = true;
                }
            }
        }
    }
    if !dns {
        p.push("no egress to DNS (53/UDP)".into());
    }
    p
}

/// The PolicyException `legacy-pull`: a pod in `legacy` that fails `require-pull-always`
/// passes when the exception is given with `-e` and fails without it; the same pod in `apps`
/// fails either way; a good pod passes either way.
fn exception(b: Backend) -> Result<Outcome, Failed> {
    let artifacts = compiled(FIXTURES_POSTURE, b)?;
    let dir = scratch(&format!("exception-{}", b.name()))?;
    let policy_path = dir.join("require-pull-always.yaml");
    write_yaml(&policy_path, &policy(&artifacts, "require-pull-always")?)?;
    let exc_path = dir.join("legacy-pull.yaml");
    write_yaml(
        &exc_path,
        &document(&artifacts, "kyverno/exceptions/legacy-pull.yaml")?,
    )?;
    let resources = conformance().join("fixtures/exception/resource.yaml");
    let without = kyverno_apply(
        std::slice::from_ref(&policy_path),
        std::slice::from_ref(&resources),
        &[],
        &dir.join("out-without.yaml"),
    )?;
    let with = kyverno_apply(
        &[policy_path],
        &[resources],
        &[exc_path],
        &dir.join("out-with.yaml"),
    )?;
    // (pod, with the exception?, must fail?)
    let cases = [
        ("legacy/bad", false, true),
        ("legacy/bad", true, false),
        ("apps/bad", false, true),
        ("apps/bad", true, true),
        ("legacy/good", false, false),
        ("legacy/good", true, false),
    ];
    let mut outcome = Outcome {
        method: "kyverno apply, with and without -e",
        total: cases.len(),
        ..Outcome::default()
    };
    for (pod, with_exc, must_fail) in cases {
        let results = if with_exc { &with } else { &without };
        let name = pod.replace('/', "-");
        let got: Vec<&str> = results
            .iter()
            .filter(|(k, n, _, _)| k == "Pod" && *n == name)
            .map(|(_, _, _, r)| r.as_str())
            .collect();
        let failed = got.contains(&"fail");
        let evaluated = !got.is_empty() || with_exc;
        if evaluated && failed == must_fail {
            outcome.passed += 1;
        } else {
            outcome.problems.push(format!(
                "pod {name} {} the exception: want {}, got {got:?}",
                if with_exc { "with" } else { "without" },
                if must_fail { "fail" } else { "no failure" }
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------
// Schemas

const SCHEMA_POSTURES: [(&str, &str); 3] = [
    ("optimal-platform", "examples/optimal-platform"),
    ("reference", "tests/conformance/kyverno/reference.posture"),
    ("fixtures", FIXTURES_POSTURE),
];

/// The vendored CRD file and version of `(apiVersion, kind)`.
fn crd_of(api_version: &str, kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match (api_version, kind) {
        ("policies.kyverno.io/v1", "ValidatingPolicy") => {
            ("policies.kyverno.io_validatingpolicies.yaml", "v1")
        }
        ("policies.kyverno.io/v1", "MutatingPolicy") => {
            ("policies.kyverno.io_mutatingpolicies.yaml", "v1")
        }
        ("policies.kyverno.io/v1", "GeneratingPolicy") => {
            ("policies.kyverno.io_generatingpolicies.yaml", "v1")
        }
        ("policies.kyverno.io/v1", "ImageValidatingPolicy") => {
            ("policies.kyverno.io_imagevalidatingpolicies.yaml", "v1")
        }
        ("policies.kyverno.io/v1", "PolicyException") => {
            ("policies.kyverno.io_policyexceptions.yaml", "v1")
        }
        ("kyverno.io/v1", "ClusterPolicy") => ("kyverno.io_clusterpolicies.yaml", "v1"),
        ("kyverno.io/v2", "PolicyException") => ("kyverno.io_policyexceptions.yaml", "v2"),
        _ => return None,
    })
}

/// check-jsonschema on `docs` (all of one `(apiVersion, kind)`); `Ok((valid, output))`.
fn check_schema(docs: &[Value], dir: &Path, tag: &str) -> Result<(bool, String), Failed> {
    let cj = tool("POSTURE_TOOL_CHECK_JSONSCHEMA")?;
    let first = docs.first().ok_or("no documents")?;
    let (api_version, kind) = (
        first["apiVersion"].as_str().unwrap_or_default(),
        first["kind"].as_str().unwrap_or_default(),
    );
    let (file, version) = crd_of(api_version, kind)
        .ok_or_else(|| format!("no vendored CRD for {api_version} {kind}"))?;
    let schema = tests::crd::strict_schema(
        &conformance().join("crds").join(file),
        version,
        api_version,
        kind,
    )?;
    let schema_path = dir.join(format!("{tag}.schema.json"));
    std::fs::write(
        &schema_path,
        serde_json::to_vec(&schema).unwrap_or_default(),
    )
    .map_err(|e| format!("{}: {e}", schema_path.display()))?;
    let mut files = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let f = dir.join(format!("{tag}-{i}.json"));
        std::fs::write(&f, serde_json::to_vec(d).unwrap_or_default())
            .map_err(|e| format!("{}: {e}", f.display()))?;
        files.push(f);
    }
    let (ok, stdout, stderr) = run(Command::new(cj)
        .arg("--schemafile")
        .arg(&schema_path)
        .args(&files))?;
    Ok((ok, format!("{stdout}{stderr}")))
}

/// Every document the kyverno target emits for a posture, against its CRD; the back end's
/// API groups only.
fn schema(posture: &str, b: Backend) -> Result<(), Failed> {
    let artifacts = compiled(posture, b)?;
    let mut by_kind: BTreeMap<(String, String), Vec<(String, Value)>> = BTreeMap::new();
    for a in artifacts.iter() {
        let v: Value =
            serde_saphyr::from_slice(&a.bytes).map_err(|e| format!("{}: {e}", a.path))?;
        let api_version = v["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = v["kind"].as_str().unwrap_or_default().to_string();
        let allowed = match b {
            Backend::Cel => api_version == "policies.kyverno.io/v1",
            Backend::ClusterPolicy => api_version.starts_with("kyverno.io/"),
        };
        if !allowed || crd_of(&api_version, &kind).is_none() {
            return Err(format!(
                "{}: {api_version} {kind} is not a kind of the {} back end",
                a.path,
                b.name()
            )
            .into());
        }
        by_kind
            .entry((api_version, kind))
            .or_default()
            .push((a.path.clone(), v));
    }
    if by_kind.is_empty() {
        return Err(format!("{posture}: the kyverno target emitted nothing").into());
    }
    let dir = scratch(&format!("schema-{}-{posture}", b.name()))?;
    let mut errors = Vec::new();
    for ((api_version, kind), docs) in &by_kind {
        let values: Vec<Value> = docs.iter().map(|(_, v)| v.clone()).collect();
        let (ok, out) = check_schema(&values, &dir, kind)?;
        if !ok {
            let paths: Vec<&str> = docs.iter().map(|(p, _)| p.as_str()).collect();
            errors.push(format!(
                "{api_version} {kind} ({}) does not match the CRD schema:\n{out}",
                paths.join(", ")
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n").into())
    }
}

/// The schema check can fail: upstream documents pass as they are (with the `v1` API
/// version) and fail with an unknown field, a wrong type or a value outside an enum.
fn schema_negative() -> Result<(), Failed> {
    let reference = conformance().join("reference");
    let mut vpol =
        read_yaml(&reference.join(
            "pod-security-vpol/restricted/require-run-as-nonroot/require-run-as-nonroot.yaml",
        ))?;
    vpol["apiVersion"] = json!("policies.kyverno.io/v1");
    let cpol = read_yaml(
        &reference
            .join("pod-security/restricted/require-run-as-nonroot/require-run-as-nonroot.yaml"),
    )?;
    let exception = json!({
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "PolicyException",
        "metadata": { "name": "x", "namespace": "kyverno" },
        "spec": {
            "policyRefs": [{ "name": "require-run-as-nonroot", "kind": "ValidatingPolicy" }],
            "matchConditions": [{ "name": "ns", "expression": "object.metadata.namespace == 'legacy'" }]
        }
    });
    let dir = scratch("schema-negative")?;
    for (tag, good) in [("vpol", &vpol), ("cpol", &cpol), ("exception", &exception)] {
        let (ok, out) = check_schema(std::slice::from_ref(good), &dir, &format!("good-{tag}"))?;
        if !ok {
            return Err(format!("the unchanged {tag} fails its schema:\n{out}").into());
        }
    }
    let mut broken: Vec<(&str, Value)> = Vec::new();
    let mut v = vpol.clone();
    v["spec"]["validationz"] = json!([]);
    broken.push(("ValidatingPolicy with an unknown field", v));
    let mut v = vpol.clone();
    v["spec"]["validations"] = json!("true");
    broken.push(("ValidatingPolicy with a string for a list", v));
    let mut v = vpol.clone();
    v["spec"]["validationActions"] = json!(["Refuse"]);
    broken.push(("ValidatingPolicy with an action outside the enum", v));
    let mut v = cpol.clone();
    v["spec"]["rules"][0]["validate"]["mesage"] = json!("typo");
    broken.push(("ClusterPolicy with an unknown field", v));
    let mut v = cpol.clone();
    v["spec"]["background"] = json!("yes");
    broken.push(("ClusterPolicy with a string for a boolean", v));
    let mut v = exception.clone();
    v["spec"]["expiresAt"] = json!(20270131);
    broken.push(("PolicyException with a number for a date", v));
    for (i, (what, v)) in broken.into_iter().enumerate() {
        let (ok, out) = check_schema(&[v], &dir, &format!("broken-{i}"))?;
        if ok {
            return Err(format!("{what} passes the CRD schema:\n{out}").into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The Optimal Platform's policies, all at once, on `example/compliant.yaml` (every validate
/// policy passes) and `example/noncompliant.yaml` (exactly three fail). Counting the policies
/// with a result guards against a policy that does not load (it would give no result at all).
fn example(b: Backend) -> Result<(), Failed> {
    let artifacts = compiled("examples/optimal-platform", b)?;
    let dir = scratch(&format!("example-{}", b.name()))?;
    let mut policies = Vec::new();
    let mut validating = BTreeSet::new();
    for a in artifacts.iter() {
        let Some(file) = a.path.strip_prefix("kyverno/") else {
            continue;
        };
        if file.contains('/') {
            continue; // exceptions/
        }
        let doc: Value =
            serde_saphyr::from_slice(&a.bytes).map_err(|e| format!("{}: {e}", a.path))?;
        let kind = doc["kind"].as_str().unwrap_or_default();
        let rules = doc["spec"]["rules"].as_array().cloned().unwrap_or_default();
        // Image verification needs a registry and a transparency log: not offline.
        if kind == "ImageValidatingPolicy" || rules.iter().any(|r| r.get("verifyImages").is_some())
        {
            continue;
        }
        if kind == "ValidatingPolicy" || rules.iter().any(|r| r.get("validate").is_some()) {
            validating.insert(
                doc["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        let path = dir.join(file);
        std::fs::write(&path, &a.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        policies.push(path);
    }
    if validating.len() < 25 {
        return Err(format!(
            "the example emits only {} validate policies",
            validating.len()
        )
        .into());
    }
    let resources = conformance().join("example");
    let verdicts = |file: &str| -> Result<BTreeMap<String, BTreeSet<String>>, Failed> {
        let results = kyverno_apply(
            &policies,
            &[resources.join(file)],
            &[],
            &dir.join(format!("{file}.out")),
        )?;
        let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (_, _, policy, result) in results {
            by.entry(policy).or_default().insert(result);
        }
        Ok(by)
    };
    let mut problems = Vec::new();
    for (file, failing) in [
        ("compliant.yaml", &[][..]),
        (
            "noncompliant.yaml",
            &[
                "disallow-latest-tag",
                "require-image-digest",
                "require-read-only-root-filesystem",
            ][..],
        ),
    ] {
        let got = verdicts(file)?;
        for policy in &validating {
            let want = if failing.contains(&policy.as_str()) {
                "fail"
            } else {
                "pass"
            };
            match got.get(policy) {
                Some(r) if r.len() == 1 && r.contains(want) => {}
                Some(r) => problems.push(format!("{file}: `{policy}` gave {r:?}, expected {want}")),
                None => problems.push(format!("{file}: `{policy}` gave no result (did it load?)")),
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

// ---------------------------------------------------------------------------------------
// Exceptions: a generated table of scope shapes × resources, judged by the Kyverno CLI

/// One generated resource: a Pod, or a pod controller whose own labels and pod template's
/// labels are the same (so a label selector on the object and a CEL lookup on the template
/// agree, as the book's ClusterPolicy note says).
#[derive(Debug, Clone)]
struct GenResource {
    kind: &'static str,
    namespace: &'static str,
    name: String,
    labels: Vec<(&'static str, &'static str)>,
}

impl GenResource {
    fn label(&self, k: &str) -> &str {
        self.labels
            .iter()
            .find(|(key, _)| *key == k)
            .map_or("", |(_, v)| v)
    }

    fn document(&self) -> Value {
        let labels: serde_json::Map<String, Value> = self
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        let pod_spec = json!({
            "containers": [{ "name": "app", "image": "registry.example.org/app:1.0" }]
        });
        let template = json!({ "metadata": { "labels": labels }, "spec": pod_spec });
        let (api_version, spec) = match self.kind {
            "Pod" => ("v1", pod_spec),
            "Deployment" => (
                "apps/v1",
                json!({ "selector": { "matchLabels": labels }, "template": template }),
            ),
            _ => (
                "batch/v1",
                json!({ "schedule": "0 * * * *", "jobTemplate": { "spec": { "template": template } } }),
            ),
        };
        json!({
            "apiVersion": api_version,
            "kind": self.kind,
            "metadata": { "name": self.name, "namespace": self.namespace, "labels": labels },
            "spec": spec,
        })
    }
}

/// One scope shape: the exception's `scope` as posture text, whether it waives the bundle
/// item `require-labels` instead of its own policy, and which resources it covers.
struct Shape {
    name: &'static str,
    scope: &'static str,
    bundle: bool,
    inside: fn(&GenResource) -> bool,
}

const EXEMPT: &str = r#"object.metadata.?labels[?"exempt"].orValue("")"#;

fn shapes() -> Vec<Shape> {
    fn web(r: &GenResource) -> bool {
        r.namespace == "apps" && r.label("app") == "web" && r.label("tier") == "front"
    }
    fn api(r: &GenResource) -> bool {
        r.namespace == "apps" && r.label("app") == "api"
    }
    fn legacy(r: &GenResource) -> bool {
        r.namespace == "legacy" && r.label("app") == "legacy"
    }
    vec![
        Shape {
            name: "namespaces",
            scope: "{ namespaces = [legacy] }",
            bundle: false,
            inside: |r| r.namespace == "legacy",
        },
        Shape {
            name: "workload",
            scope: "{ workloads = [legacy-app] }",
            bundle: false,
            inside: legacy,
        },
        Shape {
            name: "workloads",
            scope: "{ workloads = [legacy-app, api] }",
            bundle: false,
            inside: |r| legacy(r) || api(r),
        },
        Shape {
            name: "condition",
            scope: "{ condition = `EXEMPT == \"yes\"` }",
            bundle: false,
            inside: |r| r.label("exempt") == "yes",
        },
        Shape {
            name: "namespaces-workload",
            scope: "{ namespaces = [apps], workloads = [api] }",
            bundle: false,
            inside: api,
        },
        Shape {
            name: "namespaces-workload-elsewhere",
            scope: "{ namespaces = [other], workloads = [api] }",
            bundle: false,
            inside: |_| false,
        },
        Shape {
            name: "namespaces-condition",
            scope: "{ namespaces = [apps, legacy], condition = `EXEMPT in [\"yes\", \"true\"]` }",
            bundle: false,
            inside: |r| {
                matches!(r.namespace, "apps" | "legacy")
                    && matches!(r.label("exempt"), "yes" | "true")
            },
        },
        Shape {
            name: "workload-condition",
            scope: "{ workloads = [web], condition = `EXEMPT != \"yes\"` }",
            bundle: false,
            inside: |r| web(r) && r.label("exempt") != "yes",
        },
        Shape {
            name: "condition-or",
            scope: "{ condition = `EXEMPT == \"true\" || object.metadata.name in [\"pod-apps-4\", \"deployment-other-1\"]` }",
            bundle: false,
            inside: |r| {
                r.label("exempt") == "true"
                    || r.name == "pod-apps-4"
                    || r.name == "deployment-other-1"
            },
        },
        Shape {
            name: "condition-and-or",
            scope: "{ namespaces = [apps, other], condition = `!(object.metadata.?labels[?\"app\"].orValue(\"\") in [\"web\", \"api\"]) && (EXEMPT == \"yes\" || object.metadata.?labels[?\"app\"].orValue(\"\") == \"legacy\")` }",
            bundle: false,
            inside: |r| {
                matches!(r.namespace, "apps" | "other")
                    && !matches!(r.label("app"), "web" | "api")
                    && (r.label("exempt") == "yes" || r.label("app") == "legacy")
            },
        },
        Shape {
            name: "bundle",
            scope: "{ namespaces = [apps], workloads = [web] }",
            bundle: true,
            inside: web,
        },
    ]
}

/// Every kind × namespace × label set.
fn gen_resources() -> Vec<GenResource> {
    let label_sets: [&[(&str, &str)]; 8] = [
        &[],
        &[("app", "legacy")],
        &[("app", "web"), ("tier", "front")],
        &[("app", "web")],
        &[("app", "api")],
        &[("app", "api"), ("exempt", "yes")],
        &[("exempt", "yes")],
        &[("app", "legacy"), ("exempt", "true")],
    ];
    let mut out = Vec::new();
    for kind in ["Pod", "Deployment", "CronJob"] {
        for namespace in ["apps", "legacy", "other"] {
            for (i, labels) in label_sets.iter().enumerate() {
                out.push(GenResource {
                    kind,
                    namespace,
                    name: format!("{}-{namespace}-{i}", kind.to_ascii_lowercase()),
                    labels: labels.to_vec(),
                });
            }
        }
    }
    out
}

/// The posture of the table: a policy per shape (every generated resource fails it), the
/// bundle item `require-labels`, and an exception per shape.
fn exceptions_posture(shapes: &[Shape]) -> String {
    let mut s = String::from(
        "system exceptions { title = \"Generated exception scopes\", impact = low }\n\
         target { kubernetes = \"1.33\" }\n\
         namespace apps {}\nnamespace legacy {}\nnamespace other {}\n\
         workload legacy-app { namespace = legacy, match = { app = \"legacy\" } }\n\
         workload web { namespace = apps, match = { app = \"web\", tier = \"front\" } }\n\
         workload api { namespace = apps, match = { app = \"api\" } }\n\
         admission {\n  use std.best_practices { required_labels = [\"team\"] }\n",
    );
    for sh in shapes.iter().filter(|s| !s.bundle) {
        s.push_str(&format!(
            "  validate team-{n} {{\n    match   = {{ kinds = [pods] }}\n    require = `has(object.metadata) && object.metadata.?labels[?\"team\"].orValue(\"\") != \"\"`\n    message = \"a team label\"\n  }}\n",
            n = sh.name
        ));
    }
    s.push_str("}\n");
    for sh in shapes {
        let waive = if sh.bundle {
            "admission.require-labels".to_string()
        } else {
            format!("admission.team-{}", sh.name)
        };
        s.push_str(&format!(
            "exception x-{n} {{\n  waive   = [{waive}]\n  scope   = {scope}\n  owner   = \"platform@example.org\"\n  expires = 2099-12-31\n}}\n",
            n = sh.name,
            scope = sh.scope.replace("EXEMPT", EXEMPT)
        ));
    }
    s
}

fn shape_policy(sh: &Shape) -> String {
    if sh.bundle {
        "require-labels".into()
    } else {
        format!("team-{}", sh.name)
    }
}

/// The generated posture's kyverno artifacts in one back end; the ClusterPolicy back end
/// must not refuse anything (every condition of the table is in its subset).
fn exceptions_artifacts(shapes: &[Shape], b: Backend) -> Result<Vec<Artifact>, Failed> {
    let mut world = driver::MemWorld::new();
    world.add("exceptions.posture", exceptions_posture(shapes));
    let checked = driver::check(&world, Path::new("exceptions.posture"), &tests::options())
        .map_err(|d| d.message.clone())?;
    let Some(p) = checked.posture.as_ref() else {
        let msgs: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code.id, d.message))
            .collect();
        return Err(format!("the generated posture does not check:\n{}", msgs.join("\n")).into());
    };
    if b == Backend::ClusterPolicy {
        let refused = ::kyverno::clusterpolicy::refusals(p);
        if !refused.is_empty() {
            let msgs: Vec<String> = refused.iter().map(|d| d.message.clone()).collect();
            return Err(format!("the ClusterPolicy back end refuses:\n{}", msgs.join("\n")).into());
        }
    }
    Ok(::kyverno::emit(p, b.api()))
}

/// `(kind, namespace/name, policy)` → failed? from one `kyverno apply` over every resource.
type Verdicts = BTreeMap<(String, String, String), bool>;

fn apply_all(
    policies: &[PathBuf],
    resources: &Path,
    exceptions: &[PathBuf],
    out: &Path,
) -> Result<Verdicts, Failed> {
    let report = apply_report(policies, &[resources.to_path_buf()], exceptions, out)?;
    let mut v = Verdicts::new();
    for r in report["results"].as_array().into_iter().flatten() {
        for res in r["resources"].as_array().into_iter().flatten() {
            let key = (
                res["kind"].as_str().unwrap_or_default().to_string(),
                format!(
                    "{}/{}",
                    res["namespace"].as_str().unwrap_or_default(),
                    res["name"].as_str().unwrap_or_default()
                ),
                r["policy"].as_str().unwrap_or_default().to_string(),
            );
            let failed = r["result"].as_str() == Some("fail");
            *v.entry(key).or_insert(false) |= failed;
        }
    }
    Ok(v)
}

/// The back end's verdicts over the table: every resource without the exceptions (all must
/// fail), and with them. `widen` edits the exception documents before the run (the negative
/// control).
/// Edits one exception document (its shape's name, the document).
type Widen<'a> = &'a dyn Fn(&str, &mut Value);

fn exception_verdicts(
    b: Backend,
    tag: &str,
    widen: Option<Widen<'_>>,
) -> Result<(Verdicts, Verdicts), Failed> {
    let shapes = shapes();
    let artifacts = exceptions_artifacts(&shapes, b)?;
    let dir = scratch(&format!("exceptions-{tag}-{}", b.name()))?;
    let mut policies = Vec::new();
    let mut exceptions = Vec::new();
    for sh in &shapes {
        let name = shape_policy(sh);
        let path = dir.join(format!("{name}.yaml"));
        write_yaml(&path, &policy(&artifacts, &name)?)?;
        policies.push(path);
        let exc = format!("x-{}", sh.name);
        // An exception whose scope is empty in a back end is not written at all (it would
        // waive nothing); the judge then expects every resource to stay rejected.
        let Ok(mut doc) = document(&artifacts, &format!("kyverno/exceptions/{exc}.yaml")) else {
            continue;
        };
        if let Some(w) = widen {
            w(sh.name, &mut doc);
        }
        let path = dir.join(format!("exception-{exc}.yaml"));
        write_yaml(&path, &doc)?;
        exceptions.push(path);
    }
    let docs: Vec<String> = gen_resources()
        .iter()
        .map(|r| emit::to_yaml(&r.document()))
        .collect();
    let resources = dir.join("resources.yaml");
    std::fs::write(&resources, docs.join("---\n")).map_err(|e| e.to_string())?;
    let without = apply_all(&policies, &resources, &[], &dir.join("out-without"))?;
    let with = apply_all(&policies, &resources, &exceptions, &dir.join("out-with"))?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok((without, with))
}

/// What is wrong with one back end's verdicts: a resource that does not fail without the
/// exceptions, one outside an exception's scope that passes, one inside that fails. Returns
/// the problems and `(inside, outside)` counts.
fn judge(without: &Verdicts, with: &Verdicts) -> (Vec<String>, usize, usize) {
    let (mut problems, mut inside_n, mut outside_n) = (Vec::new(), 0, 0);
    for sh in shapes() {
        let pol = shape_policy(&sh);
        for r in gen_resources() {
            let key = (
                r.kind.to_string(),
                format!("{}/{}", r.namespace, r.name),
                pol.clone(),
            );
            if without.get(&key) != Some(&true) {
                problems.push(format!(
                    "{} {} does not fail {pol} without exceptions: {:?}",
                    r.kind,
                    key.1,
                    without.get(&key)
                ));
                continue;
            }
            let inside = (sh.inside)(&r);
            let failed = with.get(&key).copied().unwrap_or(false);
            if inside {
                inside_n += 1;
            } else {
                outside_n += 1;
            }
            if failed == inside {
                problems.push(format!(
                    "{} {} on {pol} (exception x-{}): {}",
                    r.kind,
                    key.1,
                    sh.name,
                    if inside {
                        "inside the scope, still rejected"
                    } else {
                        "outside the scope, admitted"
                    }
                ));
            }
        }
    }
    (problems, inside_n, outside_n)
}

/// The invariant, in both back ends: a resource outside an exception's scope is still
/// rejected, one inside is admitted, and both back ends agree on every resource.
fn exception_scopes() -> Result<(), Failed> {
    let mut per_backend = Vec::new();
    let mut problems = Vec::new();
    for b in Backend::ALL {
        let (without, with) = exception_verdicts(b, "table", None)?;
        let (p, inside, outside) = judge(&without, &with);
        println!(
            "exception scopes, {}: {} shapes × {} resources: {inside} inside (admitted), {outside} outside (rejected), {} problems",
            b.name(),
            shapes().len(),
            gen_resources().len(),
            p.len()
        );
        problems.extend(p.into_iter().map(|x| format!("{}: {x}", b.name())));
        per_backend.push(with);
    }
    let verdict = |v: &Verdicts, k: &(String, String, String)| v.get(k).copied().unwrap_or(false);
    let keys: BTreeSet<_> = per_backend.iter().flat_map(|v| v.keys().cloned()).collect();
    for k in keys
        .iter()
        .filter(|k| shapes().iter().any(|s| shape_policy(s) == k.2))
    {
        if verdict(&per_backend[0], k) != verdict(&per_backend[1], k) {
            problems.push(format!(
                "the back ends disagree on {} {} for {}",
                k.0, k.1, k.2
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

/// The negative control: an exception widened by hand (its workload scope dropped) must make
/// the judge report resources outside the scope that are admitted.
fn exception_scopes_negative(b: Backend) -> Result<(), Failed> {
    let widen = |shape: &str, doc: &mut Value| {
        if shape != "namespaces-workload" {
            return;
        }
        match b {
            // drop the `workloads` match condition
            Backend::Cel => {
                if let Some(mc) = doc["spec"]["matchConditions"].as_array_mut() {
                    mc.retain(|c| c["name"] != "workloads");
                }
            }
            // drop the selectors
            Backend::ClusterPolicy => {
                for f in doc["spec"]["match"]["any"]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                {
                    if let Some(r) = f["resources"].as_object_mut() {
                        r.remove("selector");
                    }
                }
            }
        }
    };
    let (without, with) = exception_verdicts(b, "widened", Some(&widen))?;
    let (problems, _, _) = judge(&without, &with);
    let admitted_outside = problems
        .iter()
        .filter(|p| {
            p.contains("x-namespaces-workload)") && p.contains("outside the scope, admitted")
        })
        .count();
    if admitted_outside == 0 {
        return Err(format!("a widened exception went unnoticed; problems: {problems:?}").into());
    }
    Ok(())
}
