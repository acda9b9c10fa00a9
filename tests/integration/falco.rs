//! The falco target and Falco's condition language, judged by their consumers:
//!
//! - `upstream`: our checker (`falco-lang`) accepts the three falcosecurity/rules files
//!   vendored in `tests/conformance/falco/upstream/` (loaded in order, as Falco loads them:
//!   stable, incubating, sandbox), every condition, exception and output, with no error;
//! - `schema`: every emitted rules file of the example against Falco's rules JSON schema
//!   (`tests/conformance/falco/falco_rules.schema.json`, `check-jsonschema`); a broken copy
//!   must fail;
//! - `sysdig`: every emitted condition, with macros, lists and exceptions expanded as Falco
//!   expands them, through libsinsp's filter compiler in Debian's `sysdig` (see
//!   [`classify`]): version skew is sorted into named kinds and counted, anything else fails;
//!   a deliberately broken condition must be reported (negative control);
//! - `mutation`: weakening an emitted rule (a condition clause dropped, an exception widened)
//!   makes a check go red.
//!
//! The external tools come from `cargo xtask tools` (`POSTURE_TOOL_CHECK_JSONSCHEMA`,
//! `POSTURE_TOOL_SYSDIG`); a missing tool fails its test.

use crate::root;
use crate::support::{run, tool};
use falco_lang::check::{candidates, check};
use falco_lang::rules::RuleSet;
use falco_lang::{Expr, parse, print};
use libtest_mimic::{Failed, Trial};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The upstream rules files, in Falco's load order.
const UPSTREAM: &[&str] = &[
    "falco_rules.yaml",
    "falco-incubating_rules.yaml",
    "falco-sandbox_rules.yaml",
];

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test("falco::schema/optimal-platform", schema),
        Trial::test("falco::recheck/optimal-platform", recheck),
        Trial::test("falco::mutation/optimal-platform", mutation),
        Trial::test("falco::exception-scope/p5011", p5011),
        Trial::test("falco::profile-outbound/narrows", profile_outbound),
        Trial::test("falco::upstream/untouched-by-posture", upstream_untouched),
        Trial::test("falco::upstream/default-rule-names", || {
            // The names P5013 reserves are exactly the rules of the vendored default file.
            let path = root().join("tests/conformance/falco/upstream/falco_rules.yaml");
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut set = RuleSet::default();
            set.load("falco_rules.yaml", &text);
            let file: Vec<&str> = set.rules.keys().map(String::as_str).collect();
            let listed = falco_lang::catalog::default_rule_names();
            if file == listed {
                Ok(())
            } else {
                Err(format!("default rule names: file {file:?}, listed {listed:?}").into())
            }
        }),
        Trial::test("falco::upstream/untouched-negative-control", || {
            // A file that redefines Falco's `outbound` macro, as the posture's rules did
            // before their names were prefixed, must be caught.
            match changed_upstream("- macro: outbound\n  condition: evt.type = connect\n")? {
                c if c.contains(&"macro outbound".to_string()) => Ok(()),
                c => Err(format!("a redefined `outbound` macro was not noticed: {c:?}").into()),
            }
        }),
        Trial::test("falco::sysdig/optimal-platform", sysdig_example),
        Trial::test("falco::sysdig/negative-control", sysdig_negative),
        Trial::test("falco::sysdig/classifier", classifier_cases),
        Trial::test("falco::upstream/negative-control", || {
            let mut set = RuleSet::default();
            set.load(
                "broken.yaml",
                "- macro: m\n  condition: proc.nme = x\n- rule: r\n  desc: d\n  condition: m and evt.type = exceve\n  output: \"%proc.cmdlin\"\n  priority: WARNING\n",
            );
            let problems = errors(&set);
            if problems.len() == 3 {
                Ok(())
            } else {
                Err(format!("expected 3 problems, got {problems:?}").into())
            }
        }),
        upstream(),
    ]
    .into_iter()
    .chain(loader_trials())
    .collect()
}

fn upstream() -> Trial {
    Trial::test("falco::upstream/rules-files", || {
        let mut set = RuleSet::default();
        for f in UPSTREAM {
            let path = root().join("tests/conformance/falco/upstream").join(f);
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{f}: {e}"))?;
            set.load(f, &text);
        }
        let problems = errors(&set);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n").into())
        }
    })
}

/// The example's build: its posture and the falco target's artifacts.
fn build_example() -> Result<(ir::Posture, Vec<emit::Artifact>), Failed> {
    let path = root().join("examples/optimal-platform");
    let checked = driver::check(&cli::FsWorld, &path, &tests::options())
        .map_err(|d| format!("cannot load the example: {}", d.message))?;
    let p = checked
        .posture
        .ok_or_else(|| format!("the example does not check: {:?}", checked.diagnostics))?;
    let artifacts = falco::emit(&p);
    if artifacts.is_empty() {
        return Err("the falco target emitted nothing for the example".into());
    }
    Ok((p, artifacts))
}

fn rules_text(artifacts: &[emit::Artifact]) -> Result<String, Failed> {
    artifacts
        .iter()
        .find(|a| a.path == falco::RULES_PATH)
        .map(|a| String::from_utf8_lossy(&a.bytes).into_owned())
        .ok_or_else(|| "no rules file".into())
}

/// A fresh scratch directory for one test of this suite.
fn scratch(name: &str) -> Result<PathBuf, Failed> {
    crate::support::scratch("falco", name)
}

/// Every emitted rules file validates against Falco's rules schema; a copy with a property
/// the schema does not allow must not (negative control).
fn schema() -> Result<(), Failed> {
    let cj = tool("POSTURE_TOOL_CHECK_JSONSCHEMA")?;
    let (_, artifacts) = build_example()?;
    let dir = scratch("schema")?;
    let schema = root().join("tests/conformance/falco/falco_rules.schema.json");
    let good = dir.join("posture_rules.yaml");
    std::fs::write(&good, rules_text(&artifacts)?).map_err(|e| format!("{e}"))?;
    let (ok, out) = run(std::process::Command::new(&cj)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&good))?;
    if !ok {
        return Err(format!("the emitted rules file fails the schema:\n{out}").into());
    }
    let bad = dir.join("broken.yaml");
    let broken = rules_text(&artifacts)?.replacen("  priority: CRITICAL", "  priority: SEVERE", 1);
    std::fs::write(&bad, broken).map_err(|e| format!("{e}"))?;
    let (ok, _) = run(std::process::Command::new(&cj)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&bad))?;
    if ok {
        return Err("negative control: a rule with priority SEVERE passed the schema".into());
    }
    Ok(())
}

/// The emitted file, read back as Falco reads it, checks clean with our checker, and every
/// rule's condition with macros, lists and exceptions expanded parses and checks.
fn recheck() -> Result<(), Failed> {
    let (_, artifacts) = build_example()?;
    let mut set = RuleSet::default();
    set.load(falco::RULES_PATH, &rules_text(&artifacts)?);
    let problems = errors(&set);
    if !problems.is_empty() {
        return Err(problems.join("\n").into());
    }
    // Falco warns about a rule that matches every event type: it is evaluated on every event.
    let warnings: Vec<String> = set
        .all_findings()
        .iter()
        .filter(|f| !f.code.is_error())
        .map(ToString::to_string)
        .collect();
    if !warnings.is_empty() {
        return Err(format!("Falco would warn:\n{}", warnings.join("\n")).into());
    }
    let expanded = set.expanded()?;
    if expanded.len() != set.rules.len() {
        return Err(format!("{} rules, {} expanded", set.rules.len(), expanded.len()).into());
    }
    let empty = RuleSet::default();
    let env = empty.env();
    for (name, e) in &expanded {
        let text = print(e);
        let back = parse(&text).map_err(|err| format!("{name}: {text}: {err:?}"))?;
        let errors: Vec<_> = check(&back, &env)
            .into_iter()
            .filter(|p| p.kind.is_error())
            .collect();
        if !errors.is_empty() {
            return Err(format!("{name}: {text}: {errors:?}").into());
        }
    }
    Ok(())
}

/// What the emitted rules must say, judged against the posture: every rule's condition is
/// the posture's tree, and its exceptions are exactly the waivers' scopes (namespace and
/// each workload's labels). Returns the first disagreement.
fn judge(p: &ir::Posture, rules: &str) -> Result<(), String> {
    let mut set = RuleSet::default();
    set.load("emitted", rules);
    if let Some(f) = set.findings.first() {
        return Err(f.to_string());
    }
    for r in p.runtime.rules.values() {
        let got = set
            .rules
            .get(&r.title)
            .ok_or_else(|| format!("rule {:?} is missing", r.title))?;
        let cond = parse(&got.condition).map_err(|e| format!("{}: {e:?}", r.title))?;
        // The posture's tree, its own macros and lists under the emitted prefix.
        let want = falco::qualified(p, &r.condition.expr);
        if cond != want {
            return Err(format!(
                "rule {:?}: condition `{}` is not the posture's `{}`",
                r.title,
                got.condition,
                print(&want)
            ));
        }
        let id = ir::ItemId::new(ir::Block::Runtime, r.name.as_str());
        let mut want: Vec<Value> = Vec::new();
        for e in p.exceptions.values().filter(|e| e.waive.contains(&id)) {
            for x in falco::exceptions_for(p, e) {
                want.push(serde_json::to_value(&x).map_err(|e| e.to_string())?);
            }
        }
        if got.exceptions != want {
            return Err(format!(
                "rule {:?}: exceptions {:?} are not the posture's {:?}",
                r.title, got.exceptions, want
            ));
        }
    }
    // The exfiltration rules allow exactly the declared egress.
    for w in p.workloads.values() {
        let title = format!("Undeclared Outbound Connection from {}", w.name);
        let got = set
            .rules
            .get(&title)
            .ok_or_else(|| format!("rule {title:?} is missing"))?;
        let cond = parse(&got.condition).map_err(|e| format!("{title}: {e:?}"))?;
        let (want, _) = falco::egress_condition(p, w);
        if cond != want {
            return Err(format!(
                "rule {title:?}: condition `{}` is not the declared egress `{}`",
                got.condition,
                print(&want)
            ));
        }
    }
    Ok(())
}

/// The rules text (as JSON, which is YAML) with the last `and` clause of one rule's condition
/// dropped.
fn drop_last_clause(text: &str, title: &str) -> Result<String, Failed> {
    let mut items: Vec<Value> = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    let rule = items
        .iter_mut()
        .find(|i| i.get("rule").and_then(Value::as_str) == Some(title))
        .ok_or_else(|| format!("no rule {title:?}"))?;
    let condition = rule
        .get("condition")
        .and_then(Value::as_str)
        .ok_or("no condition")?;
    let Ok(Expr::And(mut clauses)) = parse(condition) else {
        return Err(format!("{title:?}: `{condition}` is not a conjunction").into());
    };
    clauses.pop();
    rule["condition"] = Value::String(print(&Expr::And(clauses)));
    Ok(serde_json::to_string(&items).map_err(|e| e.to_string())?)
}

/// The emitted rules agree with the posture, and weakened copies do not: a condition clause
/// dropped, an exception widened (its label field dropped), an exception added.
fn mutation() -> Result<(), Failed> {
    let (p, artifacts) = build_example()?;
    let text = rules_text(&artifacts)?;
    judge(&p, &text)?;
    // Every exception of the example has a workload label; the ptrace rule's waiver does.
    if !text.contains("    - k8s.pod.label.app\n") {
        return Err("the example's ptrace exception has no workload label field".into());
    }
    let mutants = [
        (
            "drop a clause",
            drop_last_clause(&text, "Container Escape via ptrace")?,
        ),
        (
            "allow an undeclared destination",
            text.replacen("(10.20.0.0/16)", "(10.0.0.0/8)", 1),
        ),
        (
            "widen an exception",
            text.replacen("    - k8s.pod.label.app\n", "", 1).replacen(
                "      - optimal-profiler\n",
                "",
                1,
            ),
        ),
        (
            "widen an exception to its namespace",
            text.replacen("      - optimal-profiler\n", "", 1)
                .replacen("    - k8s.pod.label.app\n", "", 1)
                .replacen("    - \"=\"\n    - \"=\"\n", "    - \"=\"\n", 1),
        ),
    ];
    for (what, m) in mutants {
        if m == text {
            return Err(format!("mutant `{what}` changed nothing").into());
        }
        if judge(&p, &m).is_ok() {
            return Err(format!("mutant `{what}` was not detected").into());
        }
    }
    Ok(())
}

/// The upstream default rules' items that `ours`, loaded after them as `falco/falco.yaml`
/// loads it, changes: "list NAME", "macro NAME", "rule NAME".
fn changed_upstream(ours: &str) -> Result<Vec<String>, Failed> {
    let path = root().join("tests/conformance/falco/upstream/falco_rules.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut before = RuleSet::default();
    before.load("falco_rules.yaml", &text);
    let mut after = before.clone();
    after.load("posture_rules.yaml", ours);
    let mut changed = Vec::new();
    for (name, l) in &before.lists {
        if after.lists.get(name).map(|a| &a.items) != Some(&l.items) {
            changed.push(format!("list {name}"));
        }
    }
    for (name, m) in &before.macros {
        if after.macros.get(name).map(|a| &a.condition) != Some(&m.condition) {
            changed.push(format!("macro {name}"));
        }
    }
    for (name, r) in &before.rules {
        let a = after.rules.get(name);
        if a.map(|a| (&a.condition, &a.output, &a.exceptions, a.enabled))
            != Some((&r.condition, &r.output, &r.exceptions, r.enabled))
        {
            changed.push(format!("rule {name}"));
        }
    }
    Ok(changed)
}

/// Falco loads its default rules first and the posture's after them (`falco/falco.yaml`):
/// the posture's file must not change any of the default rules, macros or lists (a macro
/// defined again replaces the earlier one, silently changing every rule that uses it).
fn upstream_untouched() -> Result<(), Failed> {
    let (_, artifacts) = build_example()?;
    let changed = changed_upstream(&rules_text(&artifacts)?)?;
    if changed.is_empty() {
        Ok(())
    } else {
        Err(format!("the posture's rules change Falco's defaults: {changed:?}").into())
    }
}

/// Checks a one-file posture in memory: the posture, or what stopped it.
fn checked(text: &str) -> Result<driver::Checked, Failed> {
    let mut w = driver::MemWorld::new();
    w.add("/case/main.posture", text.as_bytes().to_vec());
    Ok(driver::check(
        &w,
        std::path::Path::new("/case/main.posture"),
        &tests::options(),
    )
    .map_err(|d| d.message)?)
}

/// Checks a one-file posture in memory; its diagnostics when it does not check.
fn check_text(text: &str) -> Result<ir::Posture, Failed> {
    let checked = checked(text)?;
    checked
        .posture
        .ok_or_else(|| format!("does not check: {:?}", checked.diagnostics).into())
}

/// A profile's `outbound` narrows its workload's exfiltration rule to the destinations it
/// lists, and a profile alone (without `std.falco.defaults`) gets the rule: read back from
/// the emitted file, the rule allows the listed destination's port and not the other
/// declared one; without `outbound` it allows both.
fn profile_outbound() -> Result<(), Failed> {
    let text = |outbound: &str| {
        format!(
            r#"
system s {{ title = "t", impact = low }}
target {{ kubernetes = "1.33", pod_cidr = "10.244.0.0/16", service_cidr = "10.96.0.0/12" }}
namespace apps {{ pod_security = restricted }}
workload api {{ namespace = apps, match = {{ app = "api" }}, ports = {{ http = 8080 }} }}
workload db {{ namespace = apps, match = {{ app = "db" }}, ports = {{ pg = 5432 }} }}
network {{
  default_deny = {{ namespaces = [apps], directions = [ingress, egress] }}
  allow api -> db:pg
  allow api -> "203.0.113.0/24":443
}}
runtime {{
  profile api {{ processes = [api]{outbound} }}
}}
"#
        )
    };
    let rule = |p: &ir::Posture| -> Result<String, Failed> {
        let artifacts = falco::emit(p);
        let mut set = RuleSet::default();
        set.load("emitted", &rules_text(&artifacts)?);
        let errors = errors(&set);
        if !errors.is_empty() {
            return Err(errors.join("\n").into());
        }
        let r = set
            .rules
            .get("Undeclared Outbound Connection from api")
            .ok_or("no exfiltration rule for the profiled workload")?;
        if set
            .rules
            .contains_key("Undeclared Outbound Connection from db")
        {
            return Err("a rule for db, which has no profile, without std.falco.defaults".into());
        }
        Ok(r.condition.clone())
    };
    let all = rule(&check_text(&text(""))?)?;
    if !(all.contains("5432") && all.contains("203.0.113.0/24")) {
        return Err(format!("without `outbound` the rule should allow both: {all}").into());
    }
    let narrowed = rule(&check_text(&text(", outbound = [db]"))?)?;
    if !narrowed.contains("5432") || narrowed.contains("203.0.113.0/24") {
        return Err(format!("`outbound = [db]` should allow db only: {narrowed}").into());
    }
    let cidr = rule(&check_text(&text(", outbound = [\"203.0.113.0/24\"]"))?)?;
    if cidr.contains("5432") || !cidr.contains("203.0.113.0/24") {
        return Err(format!("`outbound = [cidr]` should allow the block only: {cidr}").into());
    }
    // Undeclared: refused.
    let checked = checked(&text(", outbound = [\"198.51.100.0/24\"]"))?;
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.id).collect();
    if checked.posture.is_some() || !codes.contains(&"P5012") {
        return Err(format!("an undeclared destination should be P5012, got {codes:?}").into());
    }
    Ok(())
}

/// A runtime waiver with a CEL condition stops the build with P5011 (nothing is written).
fn p5011() -> Result<(), Failed> {
    let text = r#"
system s { title = "t", impact = low }
target { kubernetes = "1.33" }
namespace apps { pod_security = restricted }
runtime {
  use std.falco.defaults
}
exception shells {
  waive   = [runtime.terminal-shell-in-container]
  scope   = { namespaces = [apps], condition = `object.metadata.name.startsWith("debug-")` }
  owner   = "platform-team@optimal.io"
  ticket  = "SEC-1"
  expires = 2027-06-30
}
"#;
    let p = check_text(text)?;
    let artifacts = falco::emit(&p);
    let proofs = falco::verify(&p, &artifacts);
    let codes: Vec<&str> = proofs
        .iter()
        .flat_map(|p| p.diagnostics.iter().map(|d| d.code.id))
        .collect();
    if codes != ["P5011"] {
        return Err(format!("expected P5011, got {codes:?}").into());
    }
    // Without the condition the proof holds.
    let fine = text.replace(
        ", condition = `object.metadata.name.startsWith(\"debug-\")`",
        "",
    );
    let p = check_text(&fine)?;
    if !falco::verify(&p, &falco::emit(&p))
        .iter()
        .all(|p| p.holds())
    {
        return Err("the proof fails without a condition".into());
    }
    Ok(())
}

/// The rule set's error findings (loading and compiling), one line each, with a
/// did-you-mean where the checker offers one.
pub(crate) fn errors(set: &RuleSet) -> Vec<String> {
    let env = set.env();
    set.all_findings()
        .into_iter()
        .filter(|f| f.code.is_error())
        .map(|f| {
            let at = f
                .problem
                .as_ref()
                .map(|(p, text)| {
                    let dym = p
                        .did_you_mean
                        .as_ref()
                        .and_then(|(n, c)| diagnostics_dym(n, candidates(*c, &env)))
                        .unwrap_or_default();
                    format!(
                        " at `{}`{dym}",
                        text.get(p.range.start..p.range.end).unwrap_or("?")
                    )
                })
                .unwrap_or_default();
            format!("{f}{at}")
        })
        .collect()
}

fn diagnostics_dym(input: &str, c: Vec<&str>) -> Option<String> {
    diagnostics::did_you_mean(input, c).map(|b| format!(" (did you mean `{b}`?)"))
}

// ---------------------------------------------------------------------------------------------
// libsinsp's filter compiler, through Debian's sysdig 0.29.3 (libfalcosecurity0 0.1.1dev, 2022).

/// Why the 2022 filter compiler refuses a condition that Falco 0.44 accepts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Skew {
    /// A field of Falco 0.44's catalog that the old library does not have
    /// (`thread.cap_effective`, the container plugin's newer fields).
    MissingField(String),
    /// An operator added after 2022: `iglob`, `regex`, `bstartswith`.
    NewOperator(&'static str),
    /// `k8s.pod.label[key]`: the old parser knows only the dot form.
    BracketLabel,
}

/// What sysdig said about one condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The filter compiled (sysdig then failed only to open the capture file).
    Compiles,
    Skew(Skew),
    /// Anything else: a real error in the condition (or in our judgement).
    Error(String),
}

/// Sorts sysdig's answer for `condition`. `sysdig -r /nonexistent.scap FILTER` exits 1 for
/// good and bad filters alike, so the text decides: failing only to open the file means the
/// filter compiled.
pub(crate) fn classify(condition: &str, output: &str) -> Verdict {
    let out = output.trim();
    if out.contains("can't open file /nonexistent.scap") && !out.contains("filter") {
        return Verdict::Compiles;
    }
    if let Some(rest) = out.split("unrecognized field ").nth(1) {
        let field = rest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let known = falco_lang::catalog::resolve(&field).is_some()
            || field
                .split_once('[')
                .is_some_and(|(f, _)| falco_lang::catalog::resolve(f).is_some());
        return if known {
            Verdict::Skew(Skew::MissingField(field))
        } else {
            Verdict::Error(out.to_string())
        };
    }
    if out.contains("unrecognized comparison operator") {
        for op in ["iglob", "regex", "bstartswith"] {
            if condition
                .split(|c: char| c.is_whitespace())
                .any(|w| w == op)
            {
                return Verdict::Skew(Skew::NewOperator(op));
            }
        }
        return Verdict::Error(out.to_string());
    }
    if out.contains("filter syntax error") && out.contains("k8s.pod.label[") {
        return Verdict::Skew(Skew::BracketLabel);
    }
    Verdict::Error(out.to_string())
}

fn sysdig(condition: &str) -> Result<Verdict, Failed> {
    let bin = tool("POSTURE_TOOL_SYSDIG")?;
    let (_, out) = run(std::process::Command::new(bin)
        .arg("-r")
        .arg("/nonexistent.scap")
        .arg(condition))?;
    Ok(classify(condition, &out))
}

/// Every emitted rule's condition, with macros, lists and exceptions expanded, compiles in
/// libsinsp, or fails only for a named version skew (counted); anything else fails the test.
fn sysdig_example() -> Result<(), Failed> {
    let (_, artifacts) = build_example()?;
    let mut set = RuleSet::default();
    set.load(falco::RULES_PATH, &rules_text(&artifacts)?);
    let mut compiled = 0;
    let mut skew: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, e) in set.expanded()? {
        let text = print(&e);
        match sysdig(&text)? {
            Verdict::Compiles => compiled += 1,
            Verdict::Skew(k) => skew.entry(format!("{k:?}")).or_default().push(name),
            Verdict::Error(out) => errors.push(format!("{name}: {text}\n  {out}")),
        }
    }
    let report = format!(
        "{compiled} of {} conditions compile in libsinsp 0.1.1dev; version skew: {skew:?}",
        set.rules.len()
    );
    println!("{report}");
    if !errors.is_empty() {
        return Err(format!("{report}\n{}", errors.join("\n")).into());
    }
    if compiled == 0 {
        return Err(format!("no condition compiled: {report}").into());
    }
    Ok(())
}

/// Broken conditions are reported by sysdig and classified as errors, never as skew.
fn sysdig_negative() -> Result<(), Failed> {
    for broken in [
        "evt.type = ptrace and (proc.name = x",
        "proc.nme = x",
        "evt.type = ptrce",
        "proc.name in (a, b",
    ] {
        match sysdig(broken)? {
            Verdict::Error(_) => {}
            v => return Err(format!("`{broken}` was judged {v:?}").into()),
        }
    }
    match sysdig("evt.type = ptrace and proc.name = x")? {
        Verdict::Compiles => Ok(()),
        v => Err(format!("a good condition was judged {v:?}").into()),
    }
}

/// The classifier on sysdig 0.29.3's own messages.
fn classifier_cases() -> Result<(), Failed> {
    let cases: &[(&str, &str, Verdict)] = &[
        ("proc.name = x", "can't open file /nonexistent.scap", Verdict::Compiles),
        (
            "thread.cap_effective contains CAP_SYS_ADMIN",
            "filter error at position 40: filter error: unrecognized field thread.cap_effective at pos 20",
            Verdict::Skew(Skew::MissingField("thread.cap_effective".into())),
        ),
        (
            "proc.name iglob x",
            "filter error at position 10: filter error: unrecognized comparison operator after proc.name ",
            Verdict::Skew(Skew::NewOperator("iglob")),
        ),
        (
            "k8s.pod.label[app] = x",
            "filter error at position 18: filter syntax error: k8s.pod.label[app]",
            Verdict::Skew(Skew::BracketLabel),
        ),
        (
            "proc.nme = x",
            "filter error at position 8: filter error: unrecognized field proc.nme at pos 0",
            Verdict::Error(
                "filter error at position 8: filter error: unrecognized field proc.nme at pos 0"
                    .into(),
            ),
        ),
        (
            "proc.name contains",
            "filter error at position 10: filter error: unrecognized comparison operator after proc.name ",
            Verdict::Error(
                "filter error at position 10: filter error: unrecognized comparison operator after proc.name"
                    .into(),
            ),
        ),
    ];
    for (cond, out, want) in cases {
        let got = classify(cond, out);
        if &got != want {
            return Err(format!("{cond}: {got:?}, want {want:?}").into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Falco 0.35.1's loader tests: our loader's verdicts against Falco's own expectations.

/// The corpus, vendored from Falco 0.35.1 (`tests/conformance/falco/SOURCES.md`).
fn corpus_dir() -> PathBuf {
    root().join("tests/conformance/falco/falco-0.35.1-tests")
}

/// Cases whose verdict changed after 0.35.1: the case, why, and the errors (item type, item
/// name, code) Falco 0.44 reports instead. Each is still run and must give exactly these.
/// (item type, item name, code), as Falco's tests write an error.
type Triple<'a> = (&'a str, &'a str, &'a str);

const CHANGED_SINCE_0_35: &[(&str, &str, &[Triple<'static>])] = &[(
    "syscalls",
    "`evt.dir` is not in Falco 0.44's field list: the event direction was removed from libsinsp",
    &[
        ("rule", "detect_madvise", "LOAD_ERR_COMPILE_CONDITION"),
        ("rule", "detect_open", "LOAD_ERR_COMPILE_CONDITION"),
    ],
)];

/// One `validate_rules_file` case: the files in order and the (item type, item name, code)
/// of each error and warning Falco reports.
#[derive(Debug, Clone)]
struct LoaderCase {
    name: String,
    files: Vec<String>,
    errors: std::collections::BTreeSet<(String, String, String)>,
    warnings: std::collections::BTreeSet<(String, String, String)>,
}

/// The warning codes our loader implements; expected warnings of other codes are not
/// compared.
const COMPARED_WARNINGS: &[&str] = &[
    "LOAD_NO_EVTTYPE",
    "LOAD_UNKNOWN_SOURCE",
    "LOAD_UNKNOWN_FILTER",
];

fn triples(v: Option<&Value>) -> std::collections::BTreeSet<(String, String, String)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    let s = |k: &str| e.get(k).map(falco_lang::rules::text_of).unwrap_or_default();
                    (s("item_type"), s("item_name"), s("code"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every `validate_rules_file` case and every `rules_file` case of the three test files.
/// A `rules_file` case: its name and files.
type LoadCase = (String, Vec<String>);

fn loader_cases() -> Result<(Vec<LoaderCase>, Vec<LoadCase>), Failed> {
    let mut validate = Vec::new();
    let mut load = Vec::new();
    for f in [
        "falco_tests.yaml",
        "falco_tests_exceptions.yaml",
        "falco_tests_plugins.yaml",
    ] {
        let text =
            std::fs::read_to_string(corpus_dir().join(f)).map_err(|e| format!("{f}: {e}"))?;
        // The `!mux` tag is avocado's; the map under it is all we read.
        let doc: Value =
            serde_saphyr::from_str(&text.replace("!mux", "")).map_err(|e| format!("{f}: {e}"))?;
        let cases = doc
            .get("trace_files")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{f}: no trace_files"))?;
        for (name, case) in cases {
            let files = |k: &str| -> Vec<String> {
                match case.get(k) {
                    Some(Value::Array(a)) => a.iter().map(falco_lang::rules::text_of).collect(),
                    Some(Value::String(s)) => vec![s.clone()],
                    _ => Vec::new(),
                }
            };
            let v = files("validate_rules_file");
            if !v.is_empty() {
                validate.push(LoaderCase {
                    name: name.clone(),
                    files: v,
                    errors: triples(case.get("validate_errors")),
                    warnings: triples(case.get("validate_warnings"))
                        .into_iter()
                        .filter(|(_, _, c)| COMPARED_WARNINGS.contains(&c.as_str()))
                        .collect(),
                });
                continue;
            }
            let r = files("rules_file");
            if !r.is_empty() {
                load.push((name.clone(), r));
            }
        }
    }
    Ok((validate, load))
}

/// Loads the files of a case in order; our errors and compared warnings as triples.
fn load_case(files: &[String]) -> Result<(RuleSet, Vec<falco_lang::rules::Finding>), Failed> {
    let mut set = RuleSet::default();
    for f in files {
        let path = corpus_dir().join(f);
        // A directory is loaded file by file in name order, as Falco loads one.
        let mut paths = vec![(f.clone(), path.clone())];
        if path.is_dir() {
            let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(&path)
                .map_err(|e| format!("{f}: {e}"))?
                .filter_map(Result::ok)
                .map(|e| (format!("{f}/{}", e.file_name().to_string_lossy()), e.path()))
                .collect();
            entries.sort();
            paths = entries;
        }
        for (name, p) in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{name}: {e}"))?;
            set.load(&name, &text);
        }
    }
    let findings = set.all_findings();
    Ok((set, findings))
}

fn verdict(
    findings: &[falco_lang::rules::Finding],
    errors: bool,
) -> std::collections::BTreeSet<(String, String, String)> {
    findings
        .iter()
        .filter(|f| {
            if errors {
                f.code.is_error()
            } else {
                COMPARED_WARNINGS.contains(&f.code.as_str())
            }
        })
        .map(|f| {
            (
                f.item_type.as_str().to_string(),
                f.item_name.clone(),
                f.code.as_str().to_string(),
            )
        })
        .collect()
}

pub(crate) fn loader_trials() -> Vec<Trial> {
    let (validate, load) = match loader_cases() {
        Ok(c) => c,
        Err(e) => {
            let msg = format!("{e:?}");
            return vec![Trial::test("falco::loader-0.35.1/corpus", move || {
                Err(msg.into())
            })];
        }
    };
    let mut out: Vec<Trial> = validate
        .into_iter()
        .map(|case| {
            Trial::test(format!("falco::loader-0.35.1/{}", case.name), move || {
                let (_, findings) = load_case(&case.files)?;
                let errors = verdict(&findings, true);
                let warnings = verdict(&findings, false);
                let mut problems = Vec::new();
                if errors != case.errors {
                    problems.push(format!(
                        "errors: Falco {:?}, ours {:?}",
                        case.errors, errors
                    ));
                }
                if warnings != case.warnings {
                    problems.push(format!(
                        "warnings: Falco {:?}, ours {:?}",
                        case.warnings, warnings
                    ));
                }
                if problems.is_empty() {
                    Ok(())
                } else {
                    let all: Vec<String> = findings.iter().map(ToString::to_string).collect();
                    Err(
                        format!("{}\nall findings:\n{}", problems.join("\n"), all.join("\n"))
                            .into(),
                    )
                }
            })
        })
        .collect();
    out.push(Trial::test("falco::loader-0.35.1/rules-files-load", move || {
        let mut failed = Vec::new();
        let mut changed = 0;
        for (name, files) in &load {
            let (_, findings) = load_case(files)?;
            let want: std::collections::BTreeSet<(String, String, String)> = CHANGED_SINCE_0_35
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, _, e)| {
                    changed += 1;
                    e.iter()
                        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            if verdict(&findings, true) != want {
                let errors: Vec<String> = findings
                    .iter()
                    .filter(|f| f.code.is_error())
                    .map(ToString::to_string)
                    .collect();
                failed.push(format!("{name}: want {want:?}, got: {}", errors.join("; ")));
            }
        }
        if changed != CHANGED_SINCE_0_35.len() {
            failed.push(format!(
                "{} cases listed as changed, {changed} found in the corpus",
                CHANGED_SINCE_0_35.len()
            ));
        }
        println!(
            "{} rules_file cases: {} load as Falco 0.35.1 expects, {changed} as 0.44 changed them",
            load.len(),
            load.len() - failed.len() - changed
        );
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("\n").into())
        }
    }));
    out
}
