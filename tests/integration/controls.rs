//! The control graph over the Optimal Platform: coverage of `fedramp-moderate` and `dod-il5`
//! (every requirement named, gaps included), `explain` for SC-7, AC-6 and SI-4, snapshotted
//! under `tests/snapshots/controls/`; JSON that deserializes to the numbers the table prints;
//! the CI gates' exit codes through the real command line; DOT and Mermaid byte-identical
//! across runs and across input file orders; and oracles that do not come from the graph:
//! `file:line` answers point at the declaring line, satisfied rows name files the build
//! writes, and every standard-library mapping has its reviewed rationale.

use crate::root;
use controls::{ControlRef, Framework};
use libtest_mimic::{Failed, Trial};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const EXAMPLE: &str = "examples/optimal-platform";
const TODAY: ir::Date = ir::Date {
    year: 2026,
    month: 6,
    day: 1,
};

/// Every trial of the suite.
pub(crate) fn trials() -> Vec<Trial> {
    let mut out = Vec::new();
    for f in ["fedramp-moderate", "dod-il5"] {
        out.push(Trial::test(format!("controls::coverage::{f}"), move || {
            coverage_snapshot(f)
        }));
    }
    for c in ["SC-7", "AC-6", "SI-4"] {
        out.push(Trial::test(format!("controls::explain::{c}"), move || {
            explain_snapshot(c)
        }));
    }
    out.push(Trial::test("controls::warnings", warnings_snapshot));
    out.push(Trial::test(
        "controls::json-equals-table",
        json_equals_table,
    ));
    out.push(Trial::test("controls::gates-exit-codes", gates_exit_codes));
    out.push(Trial::test("controls::controls-dir", controls_dir));
    out.push(Trial::test(
        "controls::graph-deterministic",
        graph_deterministic,
    ));
    out.push(Trial::test(
        "controls::answers-point-at-sources",
        answers_point_at_sources,
    ));
    out.push(Trial::test(
        "controls::graph-sees-every-enforcing-file",
        graph_sees_every_enforcing_file,
    ));
    out.push(Trial::test("controls::stdlib-rationale", stdlib_rationale));
    out.push(Trial::test(
        "controls::supports-is-partial",
        supports_is_partial,
    ));
    out.push(Trial::test("controls::no-orphan-snapshots", no_orphans));
    out
}

/// `tests/snapshots/controls/` holds exactly this suite's snapshots.
fn no_orphans() -> Result<(), Failed> {
    let dir = root().join("tests/snapshots/controls");
    let want: BTreeSet<String> = snapshot_files().into_iter().collect();
    let have: BTreeSet<String> = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| format!("controls/{}", e.file_name().to_string_lossy()))
        .filter(|n| n.ends_with(".snap"))
        .collect();
    let orphans: Vec<&String> = have.difference(&want).collect();
    if orphans.is_empty() {
        Ok(())
    } else {
        Err(format!("snapshots no controls trial writes: {orphans:?}").into())
    }
}

/// The snapshot files this suite writes, relative to `tests/snapshots/`.
pub(crate) fn snapshot_files() -> Vec<String> {
    let mut v: Vec<String> = ["fedramp-moderate", "dod-il5"]
        .iter()
        .map(|f| format!("controls/coverage-{f}.snap"))
        .collect();
    v.extend(
        ["SC-7", "AC-6", "SI-4"]
            .iter()
            .map(|c| format!("controls/explain-{c}.snap")),
    );
    v.push("controls/warnings.snap".to_string());
    v
}

/// The checked example with its artifacts.
struct Example {
    checked: driver::Checked,
    artifacts: Vec<emit::Artifact>,
}

impl Example {
    fn load(world: &dyn driver::World, path: &Path) -> Result<Example, Failed> {
        let options = driver::Options { today: Some(TODAY) };
        let checked = driver::check(world, path, &options)
            .map_err(|d| format!("cannot load `{}`: {}", path.display(), d.message))?;
        let Some(p) = &checked.posture else {
            let msgs: Vec<String> = checked
                .diagnostics
                .iter()
                .map(|d| format!("[{}] {}", d.code.id, d.message))
                .collect();
            return Err(format!("the example does not check:\n  {}", msgs.join("\n  ")).into());
        };
        let artifacts = driver::targets::artifacts(p, &driver::targets::TargetOptions::default());
        Ok(Example { checked, artifacts })
    }

    fn optimal_platform() -> Result<Example, Failed> {
        Example::load(&cli::FsWorld, &root().join(EXAMPLE))
    }

    fn graph(&self) -> Result<(graph::ControlGraph<'_>, Vec<diagnostics::Diagnostic>), Failed> {
        let posture = self.checked.posture.as_ref().ok_or("no posture")?;
        let input = graph::Input {
            posture,
            artifacts: &self.artifacts,
            checks: &[],
            sources: &self.checked.loaded.sources,
            catalog: controls::catalog(),
            frameworks: &[],
        };
        Ok(graph::build(&input))
    }
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots/controls"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(root().join(EXAMPLE));
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn framework(id: &str) -> Result<Framework, Failed> {
    Framework::from_id(id).map_err(|e| e.to_string().into())
}

fn coverage_snapshot(f: &str) -> Result<(), Failed> {
    let ex = Example::optimal_platform()?;
    let (g, _) = ex.graph()?;
    let c = g.coverage(framework(f)?);
    // Every requirement of the framework is a row, in the framework's order.
    let want: Vec<ControlRef> = controls::catalog()
        .requirements(c.framework)
        .iter()
        .map(|r| r.id)
        .collect();
    let got: Vec<ControlRef> = c.requirements.iter().map(|r| r.id).collect();
    if want != got {
        return Err("the rows are not the framework's requirements".into());
    }
    snapshot(&format!("coverage-{f}"), &graph::report::coverage_table(&c));
    Ok(())
}

fn explain_snapshot(control: &str) -> Result<(), Failed> {
    let ex = Example::optimal_platform()?;
    let (g, _) = ex.graph()?;
    let id = controls::parse_control_ref(control).map_err(|e| e.to_string())?;
    snapshot(
        &format!("explain-{control}"),
        &graph::report::explain_text(&g.explain(id)),
    );
    Ok(())
}

fn warnings_snapshot() -> Result<(), Failed> {
    let ex = Example::optimal_platform()?;
    let (_, diags) = ex.graph()?;
    let text: String = diags
        .iter()
        .map(|d| format!("{} {:?}: {}\n", d.code.id, d.severity, d.message))
        .collect();
    snapshot("warnings", &text);
    Ok(())
}

/// The JSON a CI step reads deserializes, and its numbers are the ones the table and the
/// Markdown print, counted from their rows.
fn json_equals_table() -> Result<(), Failed> {
    let ex = Example::optimal_platform()?;
    let (g, _) = ex.graph()?;
    for f in ["fedramp-moderate", "dod-il5", "soc2", "hipaa-technical"] {
        let c = g.coverage(framework(f)?);
        let json = graph::report::to_json(&c);
        let back: graph::Coverage = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        if back != c {
            return Err(format!("{f}: JSON does not read back to the same coverage").into());
        }
        // Count the table's STATUS column.
        let table = graph::report::coverage_table(&c);
        let mut counted: BTreeMap<String, usize> = BTreeMap::new();
        let mut in_rows = false;
        for line in table.lines() {
            if line.starts_with("ID ") {
                in_rows = true;
                continue;
            }
            if in_rows {
                let status = line.split_whitespace().nth(1).ok_or("empty row")?;
                *counted.entry(status.to_string()).or_default() += 1;
            }
        }
        let s = &back.summary;
        for st in graph::Status::ALL {
            let n = counted.get(st.name()).copied().unwrap_or(0);
            if n != s.count(st) {
                return Err(format!("{f}: {st}: table rows {n}, JSON {}", s.count(st)).into());
            }
        }
        let rows: usize = counted.values().sum();
        if rows != s.requirements || s.requirements != c.requirements.len() {
            return Err(format!("{f}: {rows} rows, JSON says {}", s.requirements).into());
        }
        let covered = s.satisfied + s.inherited + s.process + s.not_applicable;
        if covered != s.covered {
            return Err(format!("{f}: covered {} is not the sum {covered}", s.covered).into());
        }
        let tenths = covered * 1000 / s.requirements;
        if (s.percent * 10.0).round() as usize != tenths {
            return Err(format!(
                "{f}: percent {} is not {covered}/{}",
                s.percent, s.requirements
            )
            .into());
        }
        let head = format!(
            "{:.1}% covered, {} of {}",
            s.percent, covered, s.requirements
        );
        if !table.lines().next().is_some_and(|l| l.contains(&head)) {
            return Err(format!("{f}: the table's headline does not say `{head}`").into());
        }
        let md = graph::report::coverage_markdown(&c);
        for st in graph::Status::ALL {
            let line = format!("| {st} | {} |", s.count(st));
            if !md.contains(&line) {
                return Err(format!("{f}: Markdown lacks `{line}`").into());
            }
        }
        // Supported never counts, for frameworks whose requirements only crosswalks inform.
        if c.requirements
            .iter()
            .any(|r| r.status == graph::Status::Supported && r.id.as_nist().is_some())
        {
            return Err(format!("{f}: a NIST requirement is `supported`").into());
        }
    }
    Ok(())
}

/// Runs the real command line (the `cli` library's `run`) and returns its exit code and
/// standard output.
fn posture(args: &[&str]) -> Result<(u8, String), Failed> {
    use clap::Parser;
    let mut argv = vec!["posture"];
    argv.extend_from_slice(args);
    let cli = cli::Cli::try_parse_from(&argv).map_err(|e| e.to_string())?;
    let env = cli::Env {
        no_color: true,
        stdout_is_terminal: false,
        stderr_is_terminal: false,
        posture_today: Some("2026-06-01".into()),
        source_date_epoch: None,
        now: std::time::SystemTime::UNIX_EPOCH,
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let exit = cli::run(&cli, &env, &mut out, &mut err);
    Ok((exit.code(), String::from_utf8_lossy(&out).into_owned()))
}

/// `--controls-dir` with the sources of the embedded catalog gives the same coverage; a
/// directory without catalogs is a usage error.
fn controls_dir() -> Result<(), Failed> {
    let path = root().join(EXAMPLE).to_string_lossy().into_owned();
    let dir = root()
        .join("controls/data/compact")
        .to_string_lossy()
        .into_owned();
    let args = [
        "coverage",
        path.as_str(),
        "--framework",
        "dod-il5",
        "--format",
        "json",
    ];
    let (code, embedded) = posture(&args)?;
    let mut with_dir = args.to_vec();
    with_dir.extend(["--controls-dir", dir.as_str()]);
    let (code2, loaded) = posture(&with_dir)?;
    if (code, code2) != (0, 0) || embedded != loaded || embedded.is_empty() {
        return Err(format!("--controls-dir changed the coverage (exit {code} vs {code2})").into());
    }
    let empty = std::env::temp_dir().join(format!("posture-no-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&empty).map_err(|e| e.to_string())?;
    let mut bad = args.to_vec();
    let empty_s = empty.to_string_lossy().into_owned();
    bad.extend(["--controls-dir", empty_s.as_str()]);
    let (code3, _) = posture(&bad)?;
    let _ = std::fs::remove_dir_all(&empty);
    if code3 != 2 {
        return Err(format!("a directory without catalogs should exit 2, got {code3}").into());
    }
    Ok(())
}

fn gates_exit_codes() -> Result<(), Failed> {
    let path = root().join(EXAMPLE);
    let path = path.to_string_lossy().into_owned();
    let (code, json) = posture(&[
        "coverage",
        &path,
        "--framework",
        "fedramp-moderate",
        "--format",
        "json",
    ])?;
    if code != 0 {
        return Err(format!("plain coverage exits {code}").into());
    }
    let c: graph::Coverage = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    let pct = c.summary.percent;
    let at = format!("{pct:.1}");
    let above = format!("{:.1}", pct + 0.1);
    let cases: [(&[&str], u8); 5] = [
        (&["--min-coverage", &at], 0),
        (&["--min-coverage", "0"], 0),
        (&["--min-coverage", &above], 1),
        (&["--min-coverage", "100%"], 1),
        (&["--deny-gaps"], 1),
    ];
    for (flags, want) in cases {
        let mut args = vec!["coverage", path.as_str(), "--framework", "fedramp-moderate"];
        args.extend_from_slice(flags);
        let (code, _) = posture(&args)?;
        if code != want {
            return Err(format!("{flags:?}: exit {code}, want {want}").into());
        }
    }
    // Usage errors exit 2: an unknown framework, a bad percentage, an unknown control.
    for args in [
        &["coverage", path.as_str(), "--framework", "fedramp-moderat"][..],
        &[
            "coverage",
            path.as_str(),
            "--framework",
            "soc2",
            "--min-coverage",
            "101",
        ],
    ] {
        let argv: Vec<&str> = std::iter::once("posture")
            .chain(args.iter().copied())
            .collect();
        use clap::Parser;
        match cli::Cli::try_parse_from(&argv) {
            Err(e) if e.exit_code() == 2 => {}
            _ => return Err(format!("{args:?} is not a usage error").into()),
        }
    }
    let (code, _) = posture(&["explain", &path, "SC-77"])?;
    if code != 2 {
        return Err(format!("explain of an unknown control exits {code}").into());
    }
    let (code, _) = posture(&["graph", &path, "--item", "namespace.optimal-sytem"])?;
    if code != 2 {
        return Err(format!("graph of an unknown item exits {code}").into());
    }
    // A posture whose every requirement is covered passes --deny-gaps: all of HIPAA's
    // technical safeguards declared as processes.
    let mut world = driver::MemWorld::new();
    world.add(
        "p/all.posture",
        "system s {\n  title = \"S\"\n  impact = low\n  frameworks = [hipaa-technical]\n}\n\
         target { kubernetes = \"1.33\" }\n\
         controls {\n  process everything {\n    controls = [hipaa:164.312(a)(1), hipaa:164.312(a)(2)(i), \
         hipaa:164.312(a)(2)(ii), hipaa:164.312(a)(2)(iii), hipaa:164.312(a)(2)(iv), hipaa:164.312(b), \
         hipaa:164.312(c)(1), hipaa:164.312(c)(2), hipaa:164.312(d), hipaa:164.312(e)(1), \
         hipaa:164.312(e)(2)(i), hipaa:164.312(e)(2)(ii)]\n    evidence = \"https://grc.example.com/hipaa\"\n    every = 1y\n  }\n}\n",
    );
    let ex = Example::load(&world, Path::new("p"))?;
    let (g, _) = ex.graph()?;
    let c = g.coverage(Framework::HipaaTechnical);
    let gate = graph::Gate {
        min_coverage: "100".parse().ok(),
        deny_gaps: true,
    };
    if c.summary.percent != 100.0 || !gate.failures(&c).is_empty() {
        return Err(format!(
            "a fully declared framework fails the gates: {:?}",
            gate.failures(&c)
        )
        .into());
    }
    Ok(())
}

/// The example's files, renamed so that they load in the reverse order.
fn reversed_world() -> Result<driver::MemWorld, Failed> {
    let dir = root().join(EXAMPLE);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".posture"))
        .collect();
    names.sort();
    let mut world = driver::MemWorld::new();
    let n = names.len();
    for (i, name) in names.iter().enumerate() {
        let bytes = std::fs::read(dir.join(name)).map_err(|e| e.to_string())?;
        world.add(format!("p/{:02}-{name}", n - i), bytes);
    }
    Ok(world)
}

fn graph_deterministic() -> Result<(), Failed> {
    let first = Example::optimal_platform()?;
    let second = Example::optimal_platform()?;
    let reversed = Example::load(&reversed_world()?, Path::new("p"))?;
    let sc7 = controls::parse_control_ref("SC-7").map_err(|e| e.to_string())?;
    let focuses = [
        graph::Focus::Whole,
        graph::Focus::Control(sc7),
        graph::Focus::Item("namespace.optimal-system".into()),
    ];
    let render = |ex: &Example| -> Result<Vec<String>, Failed> {
        let (g, _) = ex.graph()?;
        let mut out = Vec::new();
        for f in &focuses {
            let d = g.drawing(f).map_err(|e| format!("{e:?}"))?;
            out.push(d.to_dot());
            out.push(d.to_mermaid());
        }
        // Coverage without locations must not depend on file order either.
        let c = g.coverage(Framework::DodIl5);
        out.push(
            c.requirements
                .iter()
                .map(|r| format!("{} {}\n", r.id, r.status))
                .collect(),
        );
        Ok(out)
    };
    let a = render(&first)?;
    if a != render(&second)? {
        return Err("two runs drew different bytes".into());
    }
    if a != render(&reversed)? {
        return Err("reversing the input files changed the drawing".into());
    }
    if !a[0].starts_with("digraph posture {") || !a[1].starts_with("flowchart LR\n") {
        return Err("not DOT and Mermaid".into());
    }
    // The focused drawing of SC-7 holds the control, a framework and the default deny.
    for want in [
        "\"control:SC-7\"",
        "\"framework:fedramp-moderate\"",
        "default_deny",
    ] {
        if !a[2].contains(want) {
            return Err(format!("the SC-7 drawing lacks {want}").into());
        }
    }
    Ok(())
}

/// Oracles that do not come from the graph: every `file:line` an answer gives is the line that
/// declares the item; satisfied rows name files the build writes, and items the IR says map to
/// the control; gap rows are named by no `satisfies` in the IR.
fn answers_point_at_sources() -> Result<(), Failed> {
    let ex = Example::optimal_platform()?;
    let (g, _) = ex.graph()?;
    let sources = &ex.checked.loaded.sources;
    for item in g.items().values() {
        let Some(loc) = &item.location else { continue };
        let file = sources.find(&loc.file).ok_or("unknown file")?;
        let line = file
            .text
            .lines()
            .nth(loc.line - 1)
            .ok_or_else(|| format!("{loc} is past the end"))?;
        let keyword = item.label.split_whitespace().next().unwrap_or_default();
        let word_ok = match item.kind {
            // One item per namespace of the statement, located at the namespace's name.
            graph::ItemKind::DefaultDeny => item
                .label
                .strip_prefix("default_deny ")
                .is_some_and(|ns| line.contains(ns)),
            graph::ItemKind::Inherited => line.contains("inherited"),
            graph::ItemKind::NotApplicable => line.contains("not_applicable"),
            graph::ItemKind::Intent => line.trim_start().starts_with("allow"),
            _ => line.trim_start().starts_with(keyword),
        };
        if !word_ok {
            return Err(format!("{} points at {loc}: `{line}`", item.label).into());
        }
    }
    let built: BTreeSet<String> = driver::output::build(&ex.checked)
        .paths()
        .into_iter()
        .collect();
    let posture = ex.checked.posture.as_ref().ok_or("no posture")?;
    let declared = all_satisfies(posture);
    for f in [Framework::FedrampModerate, Framework::DodIl5] {
        for row in g.coverage(f).requirements {
            if row.status == graph::Status::Satisfied {
                if row.artifacts.is_empty() || row.implemented_by.is_empty() {
                    return Err(format!("{} is satisfied by nothing", row.id).into());
                }
                for a in &row.artifacts {
                    if !built.contains(a) {
                        return Err(format!(
                            "{} names `{a}`, which the build does not write",
                            row.id
                        )
                        .into());
                    }
                }
            }
            if row.status == graph::Status::Gap && declared.contains(&row.id) {
                return Err(format!("{} is a gap but an item says it satisfies it", row.id).into());
            }
            if row.status == graph::Status::Inherited {
                let fam = row.id.to_string();
                if !(fam.starts_with("PE-") || fam.starts_with("MA-")) {
                    return Err(format!("{} is inherited but not in PE-* or MA-*", row.id).into());
                }
            }
        }
    }
    Ok(())
}

/// Every `satisfies` of the IR, collected independently of the graph.
fn all_satisfies(p: &ir::Posture) -> BTreeSet<ControlRef> {
    let v = serde_json::to_value(p).unwrap_or_default();
    let mut out = BTreeSet::new();
    fn walk(v: &serde_json::Value, out: &mut BTreeSet<ControlRef>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "satisfies"
                        && let Some(list) = x.as_array()
                    {
                        for s in list.iter().filter_map(|s| s.as_str()) {
                            if let Ok(c) = s.parse() {
                                out.insert(c);
                            }
                        }
                    }
                    walk(x, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(&v, &mut out);
    out
}

/// The control graph of a build (`driver::Build::graph`) sees every file the build writes
/// (all but the manifest and the kustomization), each with the role its target gave it, and
/// the build's passing proofs as checks over the files they verified.
fn graph_sees_every_enforcing_file() -> Result<(), Failed> {
    let build = crate::support::build_at(&root().join(EXAMPLE), TODAY)?;
    let (g, _) = build
        .graph(controls::catalog(), &build.checked.loaded.sources, &[])
        .ok_or("the example does not check")?;
    let ours: BTreeSet<String> = g.artifacts().keys().cloned().collect();
    let theirs: BTreeSet<String> = build
        .output()
        .files
        .into_iter()
        .map(|f| f.path)
        .filter(|p| p != driver::output::MANIFEST && p != driver::output::KUSTOMIZATION)
        .collect();
    if ours != theirs {
        let missing: Vec<&String> = theirs.difference(&ours).collect();
        let extra: Vec<&String> = ours.difference(&theirs).collect();
        return Err(format!(
            "the build writes files the graph does not see, or the other way round: \
             missing {missing:?}, extra {extra:?}"
        )
        .into());
    }
    for a in &build.artifacts {
        let node = &g.artifacts()[&a.path];
        // Every file of the example enforces, except the sealed-secret scaffolds (evidence: a
        // template for `kubeseal`, never applied).
        let scaffold = a.path.starts_with("secrets/sealed/") && a.role == emit::Role::Evidence;
        if node.role != a.role || !(a.role.enforces() || scaffold) {
            return Err(format!(
                "`{}`: the graph's role {:?}, the target's {:?} (every file of the example enforces but the sealed scaffolds)",
                a.path, node.role, a.role
            )
            .into());
        }
    }
    let proof = g
        .checks()
        .values()
        .find(|c| c.id.0 == ::network::proof::ID)
        .ok_or("the reachability proof is not among the graph's checks")?;
    // The build's layout: one file per namespace under `network/` holds its NetworkPolicies.
    if proof.verifies.is_empty()
        || proof
            .verifies
            .iter()
            .any(|p| !p.starts_with("network/") || p[8..].contains('/'))
    {
        return Err(format!("the reachability proof verifies {:?}", proof.verifies).into());
    }
    Ok(())
}

/// Every standard-library `satisfies` row has its reviewed rationale in
/// `graph::defaults::STDLIB`, and the table names no row the bundles do not have. The example
/// uses every bundle, so every bundle is checked.
fn stdlib_rationale() -> Result<(), Failed> {
    let ex = Example::optimal_platform()?;
    let (g, _) = ex.graph()?;
    let mut rows: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut bundles: BTreeSet<String> = BTreeSet::new();
    for item in g.items().values() {
        let Some(b) = &item.bundle else { continue };
        bundles.insert(b.clone());
        let name = item
            .label
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        for (c, why) in &item.mappings {
            if why
                .iter()
                .any(|m| matches!(m, graph::MappingSource::Stdlib { .. }))
            {
                rows.insert((b.clone(), name.clone(), c.to_string()));
            } else if why.contains(&graph::MappingSource::Declared)
                || why.contains(&graph::MappingSource::DeclaredSupports)
            {
                return Err(format!(
                    "std.{b} `{name}` maps to {c} without a rationale row of the same strength \
                     (`satisfies` or `supports`) in graph::defaults::STDLIB"
                )
                .into());
            }
        }
    }
    for b in stdlib::BUNDLES {
        if !bundles.contains(b.name) {
            return Err(format!(
                "the example does not use `std.{}`, so its mappings are not checked",
                b.name
            )
            .into());
        }
    }
    let table: BTreeSet<(String, String, String)> = graph::defaults::STDLIB
        .iter()
        .map(|r| {
            (
                r.bundle.to_string(),
                r.item.to_string(),
                r.row.control.to_string(),
            )
        })
        .collect();
    if rows != table {
        let missing: Vec<_> = rows.difference(&table).collect();
        let stale: Vec<_> = table.difference(&rows).collect();
        return Err(
            format!("STDLIB and the bundles differ: missing {missing:?}, stale {stale:?}").into(),
        );
    }
    Ok(())
}

/// The paths of a build's files, whichever shape `driver::output::build` returns.
trait Paths {
    fn paths(self) -> Vec<String>;
}

impl Paths for driver::BuildOutput {
    fn paths(self) -> Vec<String> {
        self.files.into_iter().map(|f| f.path).collect()
    }
}

impl<D> Paths for (driver::BuildOutput, D) {
    fn paths(self) -> Vec<String> {
        self.0.paths()
    }
}

/// `satisfies` makes a control satisfied through an enforcing artifact; `supports` makes it
/// partial, with the supporting item and its artifact named; the same rule with `action =
/// audit` only claims both.
fn supports_is_partial() -> Result<(), Failed> {
    let text = |action: &str| {
        format!(
            r#"
system s {{ title = "t", impact = low, frameworks = [nist-800-53-moderate] }}
target {{ kubernetes = "1.33" }}
namespace apps {{ pod_security = restricted }}
admission {{
  validate require-team-label {{
    match     = {{ kinds = [pods] }}
    require   = `has(object.metadata) && has(object.metadata.labels)`
    message   = "every pod needs labels"
    action    = {action}
    satisfies = [CM-8]
    supports  = [CM-2]
  }}
}}
"#
        )
    };
    let status = |action: &str| -> Result<(String, String, Vec<String>), Failed> {
        let mut world = driver::MemWorld::new();
        world.add("/s/main.posture", text(action).into_bytes());
        let ex = Example::load(&world, Path::new("/s/main.posture"))?;
        let (g, _) = ex.graph()?;
        let c = g.coverage(framework("nist-800-53-moderate")?);
        let row = |id: &str| {
            c.requirements
                .iter()
                .find(|r| r.id.to_string() == id)
                .cloned()
                .ok_or_else(|| Failed::from(format!("no row {id}")))
        };
        let (cm8, cm2) = (row("CM-8")?, row("CM-2")?);
        Ok((
            cm8.status.to_string(),
            cm2.status.to_string(),
            cm2.supported_by.iter().map(|i| i.id.to_string()).collect(),
        ))
    };
    let (cm8, cm2, by) = status("enforce")?;
    if cm8 != "satisfied" || cm2 != "partial" || by != ["admission.require-team-label"] {
        return Err(format!("enforce: CM-8 {cm8}, CM-2 {cm2} supported by {by:?}").into());
    }
    let (cm8, cm2, by) = status("audit")?;
    if cm8 != "claimed" || cm2 != "claimed" || !by.is_empty() {
        return Err(format!("audit: CM-8 {cm8}, CM-2 {cm2} supported by {by:?}").into());
    }
    Ok(())
}
