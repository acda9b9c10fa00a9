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
use falco_lang::check::{Env, candidates, check, check_output, expand};
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
        Trial::test("falco::sysdig/optimal-platform", sysdig_example),
        Trial::test("falco::sysdig/negative-control", sysdig_negative),
        Trial::test("falco::sysdig/classifier", classifier_cases),
        Trial::test("falco::upstream/negative-control", || {
            let mut set = RuleSet::default();
            set.load(
                "broken.yaml",
                "- macro: m\n  condition: proc.nme = x\n- rule: r\n  desc: d\n  condition: m and evt.type = exceve\n  output: \"%proc.cmdlin\"\n  priority: WARNING\n",
            )?;
            let problems = set.check();
            if problems.len() == 3 {
                Ok(())
            } else {
                Err(format!("expected 3 problems, got {problems:?}").into())
            }
        }),
        upstream(),
    ]
}

fn upstream() -> Trial {
    Trial::test("falco::upstream/rules-files", || {
        let mut set = RuleSet::default();
        for f in UPSTREAM {
            let path = root().join("tests/conformance/falco/upstream").join(f);
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{f}: {e}"))?;
            set.load(f, &text)?;
        }
        let problems = set.check();
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
    set.load(falco::RULES_PATH, &rules_text(&artifacts)?)?;
    let problems = set.check();
    if !problems.is_empty() {
        return Err(problems.join("\n").into());
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
    set.load("emitted", rules).map_err(|e| format!("{e:?}"))?;
    for r in p.runtime.rules.values() {
        let got = set
            .rules
            .get(&r.title)
            .ok_or_else(|| format!("rule {:?} is missing", r.title))?;
        let cond = parse(&got.condition).map_err(|e| format!("{}: {e:?}", r.title))?;
        if cond != r.condition.expr {
            return Err(format!(
                "rule {:?}: condition `{}` is not the posture's `{}`",
                r.title,
                got.condition,
                print(&r.condition.expr)
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
            text.replacen(
                "condition: evt.type = ptrace and container and not proc.name in (known_debuggers)",
                "condition: evt.type = ptrace and container",
                1,
            ),
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
    let mut w = driver::MemWorld::new();
    w.add("/case/main.posture", text.as_bytes().to_vec());
    let checked = driver::check(
        &w,
        std::path::Path::new("/case/main.posture"),
        &tests::options(),
    )
    .map_err(|d| d.message)?;
    let p = checked
        .posture
        .ok_or_else(|| format!("does not check: {:?}", checked.diagnostics))?;
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
    let mut w = driver::MemWorld::new();
    w.add("/case/main.posture", fine.as_bytes().to_vec());
    let checked = driver::check(
        &w,
        std::path::Path::new("/case/main.posture"),
        &tests::options(),
    )
    .map_err(|d| d.message)?;
    let p = checked
        .posture
        .ok_or_else(|| format!("does not check: {:?}", checked.diagnostics))?;
    if !falco::verify(&p, &falco::emit(&p))
        .iter()
        .all(|p| p.holds())
    {
        return Err("the proof fails without a condition".into());
    }
    Ok(())
}

/// One rule as the loader keeps it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadedRule {
    pub file: String,
    pub condition: String,
    pub output: String,
    pub exceptions: Vec<Value>,
    pub enabled: bool,
}

/// The items of rules files loaded in order, with `append` and `override` applied as Falco
/// 0.44 applies them.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSet {
    pub lists: BTreeMap<String, Vec<String>>,
    pub macros: BTreeMap<String, (String, String)>,
    pub rules: BTreeMap<String, LoadedRule>,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn overrides(item: &Value, key: &str) -> Option<String> {
    item.get("override")
        .and_then(|o| o.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

impl RuleSet {
    /// Loads one rules file.
    pub(crate) fn load(&mut self, file: &str, text: &str) -> Result<(), Failed> {
        let items: Vec<Value> =
            serde_saphyr::from_str(text).map_err(|e| format!("{file}: not YAML: {e}"))?;
        for item in items {
            let append = item.get("append").and_then(Value::as_bool) == Some(true);
            if let Some(name) = item.get("list").and_then(Value::as_str) {
                let new: Vec<String> = item
                    .get("items")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(text_of).collect())
                    .unwrap_or_default();
                let mode = overrides(&item, "items");
                let entry = self.lists.entry(name.to_string()).or_default();
                if append || mode.as_deref() == Some("append") {
                    entry.extend(new);
                } else {
                    *entry = new;
                }
            } else if let Some(name) = item.get("macro").and_then(Value::as_str) {
                let cond = item
                    .get("condition")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let mode = overrides(&item, "condition");
                match self.macros.get_mut(name) {
                    Some((_, c)) if append || mode.as_deref() == Some("append") => {
                        c.push(' ');
                        c.push_str(&cond);
                    }
                    _ => {
                        self.macros
                            .insert(name.to_string(), (file.to_string(), cond));
                    }
                }
            } else if let Some(name) = item.get("rule").and_then(Value::as_str) {
                let cond = item
                    .get("condition")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let exceptions: Vec<Value> = item
                    .get("exceptions")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let appending = append || item.get("override").is_some();
                if appending && let Some(r) = self.rules.get_mut(name) {
                    if let Some(c) = cond {
                        if overrides(&item, "condition").as_deref() == Some("replace") {
                            r.condition = c;
                        } else {
                            r.condition.push(' ');
                            r.condition.push_str(&c);
                        }
                    }
                    r.exceptions.extend(exceptions);
                    if let Some(e) = item.get("enabled").and_then(Value::as_bool) {
                        r.enabled = e;
                    }
                    continue;
                }
                self.rules.insert(
                    name.to_string(),
                    LoadedRule {
                        file: file.to_string(),
                        condition: cond.unwrap_or_default(),
                        output: item
                            .get("output")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        exceptions,
                        enabled: item.get("enabled").and_then(Value::as_bool).unwrap_or(true),
                    },
                );
            }
        }
        Ok(())
    }

    fn env(&self) -> Env<'_> {
        Env {
            lists: self
                .lists
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_slice()))
                .collect(),
            macros: self.macros.keys().map(String::as_str).collect(),
        }
    }

    /// Every problem our checker finds, one line each.
    pub(crate) fn check(&self) -> Vec<String> {
        let env = self.env();
        let mut out = Vec::new();
        let mut one = |what: String, text: &str, problems: Vec<falco_lang::Problem>| {
            for p in problems.into_iter().filter(|p| p.kind.is_error()) {
                let dym = p
                    .did_you_mean
                    .as_ref()
                    .and_then(|(n, c)| diagnostics_dym(n, candidates(*c, &env)))
                    .unwrap_or_default();
                out.push(format!(
                    "{what}: {} at `{}`{dym}",
                    p.message,
                    text.get(p.range.start..p.range.end).unwrap_or("?")
                ));
            }
        };
        for (name, (file, cond)) in &self.macros {
            match parse(cond) {
                Ok(e) => one(format!("{file}: macro {name}"), cond, check(&e, &env)),
                Err(e) => one(
                    format!("{file}: macro {name}"),
                    cond,
                    vec![parse_problem(e)],
                ),
            }
        }
        for (name, r) in &self.rules {
            match parse(&r.condition) {
                Ok(e) => one(
                    format!("{}: rule {name}", r.file),
                    &r.condition,
                    check(&e, &env),
                ),
                Err(e) => one(
                    format!("{}: rule {name}", r.file),
                    &r.condition,
                    vec![parse_problem(e)],
                ),
            }
            one(
                format!("{}: rule {name} output", r.file),
                &r.output,
                check_output(&r.output),
            );
            for x in &r.exceptions {
                for f in exception_fields(x) {
                    let text = format!("{f} exists");
                    match parse(&text) {
                        Ok(e) => one(
                            format!("{}: rule {name} exception field", r.file),
                            &text,
                            check(&e, &env),
                        ),
                        Err(e) => one(
                            format!("{}: rule {name} exception field", r.file),
                            &text,
                            vec![parse_problem(e)],
                        ),
                    }
                }
            }
        }
        out
    }

    /// Every enabled rule's condition with macros, lists and exceptions expanded: what the
    /// filter compiler finally reads. `Err` names a condition that does not parse.
    pub(crate) fn expanded(&self) -> Result<BTreeMap<String, Expr>, Failed> {
        let env = self.env();
        let mut macros: BTreeMap<&str, Expr> = BTreeMap::new();
        for (name, (_, cond)) in &self.macros {
            macros.insert(
                name,
                parse(cond).map_err(|e| format!("macro {name}: {e:?}"))?,
            );
        }
        let refs: BTreeMap<&str, &Expr> = macros.iter().map(|(k, v)| (*k, v)).collect();
        let mut out = BTreeMap::new();
        for (name, r) in &self.rules {
            if !r.enabled {
                continue;
            }
            let mut e = parse(&r.condition).map_err(|e| format!("rule {name}: {e:?}"))?;
            for x in &r.exceptions {
                if let Some(c) = exception_condition(x)? {
                    e = e.and(c.not());
                }
            }
            out.insert(name.clone(), expand(&e, &refs, &env));
        }
        Ok(out)
    }
}

/// The fields of an exception entry (a list, or one field).
fn exception_fields(x: &Value) -> Vec<String> {
    match x.get("fields") {
        Some(Value::Array(a)) => a.iter().map(text_of).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The condition an exception entry adds (`and not (…)`), built as Falco builds it: each
/// value tuple is `f1 c1 v1 and f2 c2 v2`, and the tuples are or-ed. `None`: no values.
fn exception_condition(x: &Value) -> Result<Option<Expr>, Failed> {
    let fields = exception_fields(x);
    let comps: Vec<String> = match x.get("comps") {
        Some(Value::Array(a)) => a.iter().map(text_of).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec!["=".to_string(); fields.len()],
    };
    let Some(Value::Array(values)) = x.get("values") else {
        return Ok(None);
    };
    let mut alternatives = Vec::new();
    for tuple in values {
        let tuple: Vec<Value> = match tuple {
            Value::Array(a) => a.clone(),
            v => vec![v.clone()],
        };
        let mut parts = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            let comp = comps.get(i).map(String::as_str).unwrap_or("=");
            let op = falco_lang::Op::ALL
                .iter()
                .copied()
                .find(|o| o.as_str() == comp || (comp == "==" && *o == falco_lang::Op::Eq))
                .ok_or_else(|| format!("exception comparison `{comp}`"))?;
            let field = parse(&format!("{f} exists"))
                .ok()
                .and_then(|e| match e {
                    Expr::Check { field, .. } => Some(field),
                    _ => None,
                })
                .ok_or_else(|| format!("exception field `{f}`"))?;
            let part = match tuple.get(i) {
                Some(Value::Array(items)) => Expr::list_op(
                    field,
                    op,
                    items
                        .iter()
                        .map(text_of)
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str),
                ),
                Some(v) => Expr::cmp(field, op, &text_of(v)),
                None => return Err(format!("exception tuple shorter than its fields: {x}").into()),
            };
            parts.push(part);
        }
        if !parts.is_empty() {
            alternatives.push(Expr::all_of(parts));
        }
    }
    Ok((!alternatives.is_empty()).then(|| Expr::any_of(alternatives)))
}

fn parse_problem(e: falco_lang::ParseError) -> falco_lang::Problem {
    falco_lang::Problem {
        kind: falco_lang::Kind::UnknownField,
        range: e.range,
        message: format!("does not parse: {}", e.message),
        label: None,
        help: None,
        did_you_mean: None,
    }
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
    set.load(falco::RULES_PATH, &rules_text(&artifacts)?)?;
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
