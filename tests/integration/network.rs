//! The network target judged by its consumers, on the Optimal Platform and on the postures in
//! `tests/conformance/network/cases/`:
//!
//! - `proof`: the build's reachability proof holds, and fails (P4008) on deliberately widened,
//!   narrowed or dropped policies (negative controls);
//! - `golden`: the emitted files, snapshotted in `tests/conformance/network/snapshots/`;
//! - `kubernetes-validate`: every emitted file with `--strict` for Kubernetes 1.33 and 1.35;
//!   a policy with an unknown field must fail;
//! - `crd`: Certificates and PeerAuthentications against the cert-manager and Istio CRD
//!   schemas vendored in `targets/network/crds/` (`check-jsonschema`), strict on unknown
//!   fields; broken copies must fail;
//! - `nca`: network-config-analyzer's `--permits` for every declared flow and `--forbids` for
//!   every undeclared one, with pod and namespace lists generated from the posture; a widened
//!   policy must make `--forbids` fail;
//! - `yaml11`: every emitted file reads the same in PyYAML (YAML 1.1, as Kubernetes reads) as
//!   in a YAML 1.2 reader;
//! - `checks`: P4006, P4007 and the named-port protocol check;
//! - `reach`: the matrix `posture reach` prints;
//! - `scale`: 10,000 workloads and 50,000 intents through check, emit and proof.
//!
//! The external tools come from `cargo xtask tools` (environment variables `POSTURE_TOOL_*`);
//! a missing tool fails its test.

use crate::root;
use crate::support::{run, tool};
use cli::FsWorld;
use driver::{Checked, MemWorld};
use emit::Artifact;
use libtest_mimic::{Failed, Trial};
use netpol::ir::Isolation;
use netpol::{ConnSet, Endpoint, IpFamily, IpRange, WorkloadId};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The postures under test: the example and every conformance case.
fn postures() -> Vec<(String, PathBuf)> {
    let root = root();
    let mut v = vec![(
        "optimal-platform".to_string(),
        root.join("examples/optimal-platform"),
    )];
    let dir = root.join("tests/conformance/network/cases");
    for p in tests::inputs::files_under(&dir, ".posture") {
        let name = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        v.push((name, p));
    }
    v
}

pub(crate) fn trials() -> Vec<Trial> {
    let mut t = Vec::new();
    for (name, path) in postures() {
        let p = path.clone();
        t.push(Trial::test(format!("network::proof/{name}"), move || {
            proof_holds(&p)
        }));
        let (n, p) = (name.clone(), path.clone());
        t.push(Trial::test(format!("network::golden/{name}"), move || {
            golden(&n, &p)
        }));
        let p = path.clone();
        t.push(Trial::test(
            format!("network::kubernetes-validate/{name}"),
            move || kubernetes_validate(&p),
        ));
        let p = path.clone();
        t.push(Trial::test(
            format!("network::kubernetes-validate/build-layout/{name}"),
            move || kubernetes_validate_layout(&p),
        ));
        let p = path.clone();
        t.push(Trial::test(format!("network::crd/{name}"), move || crd(&p)));
        let p = path.clone();
        t.push(Trial::test(format!("network::nca/{name}"), move || {
            nca(&p, None)
        }));
        let p = path.clone();
        t.push(Trial::test(format!("network::yaml11/{name}"), move || {
            yaml11(&p)
        }));
        let p = path.clone();
        t.push(Trial::test(
            format!("network::readback/{name}"),
            move || readback(&check(&p)?),
        ));
    }
    t.push(Trial::test("network::readback/synthetic-1000", || {
        let mut w = MemWorld::new();
        for f in synthetic::generate(&synthetic::Spec::scaled(1000)) {
            w.add(Path::new("/synthetic").join(&f.path), f.text.into_bytes());
        }
        let checked = driver::check(&w, Path::new("/synthetic"), &tests::options())
            .map_err(|d| format!("the synthetic posture does not load: {}", d.message))?;
        readback(&checked)
    }));
    for (name, mutation) in negative_controls() {
        t.push(Trial::test(
            format!("network::proof/negative/{name}"),
            move || proof_fails(name, mutation),
        ));
    }
    t.push(Trial::test("network::nca/negative/widened", || {
        nca(&example(), Some(widen_port))
    }));
    t.push(Trial::test(
        "network::kubernetes-validate/negative/unknown-field",
        kubernetes_validate_negative,
    ));
    t.push(Trial::test("network::crd/negative", crd_negative));
    t.push(Trial::test("network::names/optimal-platform", names));
    t.push(Trial::test(
        "network::rules-per-port-set",
        rules_per_port_set,
    ));
    for (name, case) in check_cases() {
        t.push(Trial::test(format!("network::checks/{name}"), move || {
            check_case(case)
        }));
    }
    t.push(Trial::test("network::reach/optimal-platform", reach));
    t.push(Trial::test("network::reach/cli", reach_cli));
    t.push(Trial::test(
        "network::egress-destinations",
        egress_destinations,
    ));
    t.push(Trial::test(
        "network::scale/10k-workloads-50k-intents",
        scale,
    ));
    t
}

fn example() -> PathBuf {
    root().join("examples/optimal-platform")
}

fn check(path: &Path) -> Result<Checked, Failed> {
    let checked = driver::check(&FsWorld, path, &tests::options())
        .map_err(|d| format!("cannot load `{}`: {}", path.display(), d.message))?;
    if checked.posture.is_none() {
        let msgs: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code.id, d.message))
            .collect();
        return Err(format!("`{}` does not check:\n{}", path.display(), msgs.join("\n")).into());
    }
    Ok(checked)
}

fn check_text(text: &str) -> Checked {
    let mut w = MemWorld::new();
    w.add("/case/main.posture", text.as_bytes().to_vec());
    match driver::check(&w, Path::new("/case/main.posture"), &tests::options()) {
        Ok(c) => c,
        Err(d) => panic!("in-memory posture does not load: {}", d.message),
    }
}

fn posture(c: &Checked) -> Result<&ir::Posture, Failed> {
    c.posture.as_ref().ok_or_else(|| "no posture".into())
}

/// A fresh scratch directory for one test of this suite.
fn scratch(name: &str) -> Result<PathBuf, Failed> {
    crate::support::scratch("network", name)
}

fn write(dir: &Path, artifacts: &[Artifact]) -> Result<Vec<PathBuf>, Failed> {
    let mut out = Vec::new();
    for a in artifacts {
        let p = dir.join(&a.path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&p, &a.bytes).map_err(|e| format!("{}: {e}", p.display()))?;
        out.push(p);
    }
    Ok(out)
}

fn yaml(a: &Artifact) -> Result<Value, Failed> {
    serde_saphyr::from_slice(&a.bytes).map_err(|e| format!("{}: {e}", a.path).into())
}

fn to_artifact(path: &str, value: &Value, from: &Artifact) -> Artifact {
    Artifact {
        target: from.target,
        role: from.role,
        path: path.to_string(),
        bytes: emit::to_yaml(value).into_bytes(),
        origins: from.origins.clone(),
        applyable: true,
        placement: emit::layout::placement(value),
    }
}

// ---------------------------------------------------------------------------------------
// The proof

fn proof_holds(path: &Path) -> Result<(), Failed> {
    let checked = check(path)?;
    let p = posture(&checked)?;
    let artifacts = ::network::emit(p);
    same_proof(p, &artifacts)?;
    let diags = ::network::proof::prove(p, &artifacts);
    if !diags.is_empty() {
        let text: Vec<String> = diags
            .iter()
            .map(|d| format!("{}: {} {:?}", d.code.id, d.message, d.notes))
            .collect();
        return Err(format!("the proof fails:\n{}", text.join("\n")).into());
    }
    // The build runs it too, and writes only when it holds.
    let (_, build_diags) = driver::output::build(&checked);
    if build_diags.iter().any(|d| d.is_error()) {
        return Err("driver::output::build reports errors".into());
    }
    Ok(())
}

/// The reachability proof reads the build's network files with netpol's subset reader (it
/// takes every one, so the proof never parses them with serde-saphyr), and reads them as the
/// serde-saphyr path does.
fn readback(checked: &Checked) -> Result<(), Failed> {
    let p = posture(checked)?;
    let artifacts = driver::targets::artifacts(p, &driver::targets::TargetOptions::default());
    let read = ::network::proof::verifies(&artifacts);
    let mut sources = Vec::new();
    for a in artifacts.iter().filter(|a| read.contains(&a.path)) {
        let text = String::from_utf8_lossy(&a.bytes).into_owned();
        if !netpol::load::subset_takes(&text) {
            return Err(format!("the subset reader declines the emitted `{}`", a.path).into());
        }
        sources.push(netpol::load::Source {
            name: a.path.clone(),
            text,
        });
    }
    let fast = netpol::load::load_sources(&sources);
    if fast != netpol::load::load_sources_reference(&sources) {
        return Err("the subset reader reads the build's network files otherwise".into());
    }
    let policies = fast.map(|l| l.cluster.policies.len()).unwrap_or(0);
    if sources.is_empty() || policies == 0 {
        return Err(format!("{} files, {policies} policies read back", sources.len()).into());
    }
    Ok(())
}

type Mutation = fn(Vec<Artifact>) -> Result<Vec<Artifact>, Failed>;

fn find<'a>(artifacts: &'a [Artifact], path: &str) -> Result<&'a Artifact, Failed> {
    artifacts
        .iter()
        .find(|a| a.path == path)
        .ok_or_else(|| format!("no emitted file `{path}`").into())
}

fn replace(mut artifacts: Vec<Artifact>, path: &str, new: Artifact) -> Vec<Artifact> {
    for a in &mut artifacts {
        if a.path == path {
            *a = new.clone();
        }
    }
    artifacts
}

/// The portal's ingress policy: its one rule is the ingress controller's flow.
const IC_PORTAL: &str = "network/policies/optimal-system/allow-ingress-to-portal.yaml";

/// Widened: the ingress controller may reach the portal on every port, not just `http`.
fn widen_port(artifacts: Vec<Artifact>) -> Result<Vec<Artifact>, Failed> {
    let a = find(&artifacts, IC_PORTAL)?;
    let mut v = yaml(a)?;
    let rule = &mut v["spec"]["ingress"][0];
    rule.as_object_mut()
        .ok_or("no ingress rule")?
        .remove("ports");
    let new = to_artifact(IC_PORTAL, &v, a);
    Ok(replace(artifacts, IC_PORTAL, new))
}

/// Widened: the policy selects every pod of the namespace (its podSelector lost its labels).
fn widen_selector(artifacts: Vec<Artifact>) -> Result<Vec<Artifact>, Failed> {
    let a = find(&artifacts, IC_PORTAL)?;
    let mut v = yaml(a)?;
    v["spec"]["podSelector"] = json!({});
    let new = to_artifact(IC_PORTAL, &v, a);
    Ok(replace(artifacts, IC_PORTAL, new))
}

/// Narrowed: the seed's allow-portal-to-api (the gateway's one ingress rule) names the wrong
/// port.
fn narrow_port(artifacts: Vec<Artifact>) -> Result<Vec<Artifact>, Failed> {
    let path = "network/policies/optimal-system/allow-ingress-to-api-gateway.yaml";
    let a = find(&artifacts, path)?;
    let mut v = yaml(a)?;
    v["spec"]["ingress"][0]["ports"][0]["port"] = json!(8001);
    let new = to_artifact(path, &v, a);
    Ok(replace(artifacts, path, new))
}

/// Dropped: the gateway's egress policy (its flows to postgres, keycloak and an address
/// block).
fn drop_egress(artifacts: Vec<Artifact>) -> Result<Vec<Artifact>, Failed> {
    let path = "network/policies/optimal-system/allow-egress-from-api-gateway.yaml";
    find(&artifacts, path)?;
    Ok(artifacts.into_iter().filter(|a| a.path != path).collect())
}

/// Dropped: the default deny of a namespace (a pod no allow selects is then open).
fn drop_default_deny(artifacts: Vec<Artifact>) -> Result<Vec<Artifact>, Failed> {
    let path = "network/policies/optimal-system/default-deny-all.yaml";
    find(&artifacts, path)?;
    Ok(artifacts.into_iter().filter(|a| a.path != path).collect())
}

/// Widened address block: `10.20.0.0/16` became `10.0.0.0/8` (the gateway's third egress
/// rule, in declaration order after postgres and keycloak).
fn widen_cidr(artifacts: Vec<Artifact>) -> Result<Vec<Artifact>, Failed> {
    let path = "network/policies/optimal-system/allow-egress-from-api-gateway.yaml";
    let a = find(&artifacts, path)?;
    let mut v = yaml(a)?;
    v["spec"]["egress"][2]["to"][0]["ipBlock"]["cidr"] = json!("10.0.0.0/8");
    let new = to_artifact(path, &v, a);
    Ok(replace(artifacts, path, new))
}

fn negative_controls() -> Vec<(&'static str, Mutation)> {
    vec![
        ("widened-port", widen_port),
        ("widened-pod-selector", widen_selector),
        ("narrowed-port", narrow_port),
        ("dropped-egress-half", drop_egress),
        ("dropped-default-deny", drop_default_deny),
        ("widened-cidr", widen_cidr),
    ]
}

/// The expected notes of each negative control: what the proof must say.
fn expected_notes(name: &str) -> &'static [&'static str] {
    match name {
        "widened-port" => &[
            "extra: ingress-nginx/ingress-controller => optimal-system/portal : SCTP 1-65535,TCP 1-8079,8081-65535,UDP 1-65535",
        ],
        "widened-pod-selector" => {
            &["extra: ingress-nginx/ingress-controller => optimal-system/api-gateway : TCP 8000"]
        }
        // The portal's egress still names 8000 only: 8001 stays closed.
        "narrowed-port" => {
            &["missing: optimal-system/portal => optimal-system/api-gateway : TCP 8000"]
        }
        "dropped-egress-half" => &["missing: optimal-system/api-gateway => 10.20.0.0/16 : TCP 443"],
        // The scanner is the one pod of optimal-system no other policy isolates for ingress.
        "dropped-default-deny" => &["affected: `profiler`, `scanner`"],
        "widened-cidr" => &[
            "extra: optimal-system/api-gateway => 10.0.0.0/12, 10.16.0.0/14 : TCP 443",
            "extra: optimal-system/api-gateway => 10.21.0.0/16, 10.22.0.0/15, 10.24.0.0/13, 10.32.0.0/11, 10.64.0.0/10, 10.128.0.0/9 : TCP 443",
        ],
        _ => &[],
    }
}

/// The build's comparison over endpoint numbers (`netpol::ir::prove_posture`) finds exactly
/// what the comparison of `Relation`s keyed by workload ids finds (`netpol::ir::prove` over
/// `netpol::ir::declared`), whether the proof holds or not.
fn same_proof(p: &ir::Posture, artifacts: &[Artifact]) -> Result<(), Failed> {
    let (_, conn) = ::network::proof::analyze(p, artifacts)
        .map_err(|d| format!("the emitted policies cannot be read back: {d:?}"))?;
    let reference = netpol::ir::prove(&netpol::ir::declared(p), &conn);
    let fast = netpol::ir::prove_posture(p, &conn);
    if fast != reference {
        return Err(format!(
            "the two comparisons differ:\nby numbers: {fast:#?}\nby ids: {reference:#?}"
        )
        .into());
    }
    Ok(())
}

fn proof_fails(name: &str, mutation: Mutation) -> Result<(), Failed> {
    let checked = check(&example())?;
    let p = posture(&checked)?;
    let artifacts = mutation(::network::emit(p))?;
    let diags = ::network::proof::prove(p, &artifacts);
    if !diags.iter().any(|d| d.is_error() && d.code.id == "P4008") {
        return Err("the proof holds on a deliberately broken policy".into());
    }
    same_proof(p, &artifacts)?;
    let notes: Vec<&String> = diags.iter().flat_map(|d| &d.notes).collect();
    for want in expected_notes(name) {
        if !notes.iter().any(|n| n.as_str() == *want) {
            return Err(format!("the proof does not say `{want}`; it says:\n{notes:#?}").into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Golden files

fn golden(name: &str, path: &Path) -> Result<(), Failed> {
    let checked = check(path)?;
    let p = posture(&checked)?;
    let mut artifacts = ::network::emit(p);
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let mut text = String::new();
    for a in &artifacts {
        text.push_str(&format!("# {}\n", a.path));
        text.push_str(&String::from_utf8_lossy(&a.bytes));
        text.push('\n');
    }
    let result = std::panic::catch_unwind(|| {
        insta::with_settings!({
            snapshot_path => root().join("tests/conformance/network/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name.to_string(), text);
        });
    });
    result.map_err(|_| {
        format!("the emitted files of `{name}` changed: review with `cargo insta review`").into()
    })
}

// ---------------------------------------------------------------------------------------
// kubernetes-validate

fn kubernetes_validate(path: &Path) -> Result<(), Failed> {
    let kv = tool("POSTURE_TOOL_KUBERNETES_VALIDATE")?;
    let checked = check(path)?;
    let p = posture(&checked)?;
    let artifacts = ::network::emit(p);
    let dir = scratch(&format!("kv-{}", path.display()))?;
    let files = write(&dir, &artifacts)?;
    for version in ["1.33.0", "1.35.0"] {
        let (ok, out) = run(Command::new(&kv)
            .args(["--strict", "-k", version])
            .args(&files))?;
        if !ok || out.contains("ERROR") {
            return Err(format!("kubernetes-validate {version} rejects the output:\n{out}").into());
        }
        // Built-in kinds must have been validated, not merely passed over.
        for (a, f) in artifacts.iter().zip(&files) {
            let kind = yaml(a)?["kind"].as_str().unwrap_or_default().to_string();
            let builtin = matches!(kind.as_str(), "NetworkPolicy" | "Ingress");
            let line = out
                .lines()
                .find(|l| l.contains(&f.display().to_string()))
                .unwrap_or_default();
            if builtin && !line.contains("passed") {
                return Err(format!("{} was not validated by {version}: {line}", a.path).into());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The files as the build writes them (one multi-document file per namespace and target,
/// `emit::layout`): every Kubernetes object of every target, every document of every file,
/// accepted by `kubernetes-validate --strict`; every built-in object is validated, not passed
/// over (one `passed` line per NetworkPolicy, Ingress and Namespace document).
fn kubernetes_validate_layout(path: &Path) -> Result<(), Failed> {
    let kv = tool("POSTURE_TOOL_KUBERNETES_VALIDATE")?;
    let checked = check(path)?;
    let p = posture(&checked)?;
    let artifacts: Vec<Artifact> =
        driver::targets::artifacts(p, &driver::targets::TargetOptions::default())
            .into_iter()
            .filter(|a| a.applyable)
            .collect();
    if !artifacts
        .iter()
        .any(|a| a.path.starts_with("network/") && !a.path[8..].contains('/'))
    {
        return Err("the build has no per-namespace network file".into());
    }
    let dir = scratch(&format!("kv-layout-{}", path.display()))?;
    let files = write(&dir, &artifacts)?;
    let (ok, out) = run(Command::new(&kv)
        .args(["--strict", "-k", "1.33.0"])
        .args(&files))?;
    if !ok || out.contains("ERROR") {
        return Err(format!("kubernetes-validate rejects the build's files:\n{out}").into());
    }
    for (a, f) in artifacts.iter().zip(&files) {
        let docs: Vec<Value> = serde_saphyr::from_multiple(&String::from_utf8_lossy(&a.bytes))
            .map_err(|e| format!("{}: {e}", a.path))?;
        let builtin = docs
            .iter()
            .filter(|d| {
                matches!(
                    d["kind"].as_str(),
                    Some("NetworkPolicy" | "Ingress" | "Namespace")
                )
            })
            .count();
        let shown = f.display().to_string();
        let passed = out
            .lines()
            .filter(|l| l.contains(&shown) && l.contains("passed"))
            .count();
        if passed < builtin {
            return Err(format!(
                "{}: {builtin} built-in objects, {passed} validated:\n{out}",
                a.path
            )
            .into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn kubernetes_validate_negative() -> Result<(), Failed> {
    let kv = tool("POSTURE_TOOL_KUBERNETES_VALIDATE")?;
    let checked = check(&example())?;
    let p = posture(&checked)?;
    let artifacts = ::network::emit(p);
    let a = find(&artifacts, IC_PORTAL)?;
    let mut v = yaml(a)?;
    v["spec"]["ingress"][0]["ports"][0]["portName"] = json!("http");
    let broken = to_artifact(IC_PORTAL, &v, a);
    let dir = scratch("kv-negative")?;
    let files = write(&dir, &[broken])?;
    for version in ["1.33.0", "1.35.0"] {
        let (ok, out) = run(Command::new(&kv)
            .args(["--strict", "-k", version])
            .args(&files))?;
        if ok {
            return Err(
                format!("kubernetes-validate {version} accepts an unknown field:\n{out}").into(),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// CRD schemas

/// The strict schema of version `version` of a CRD vendored in `targets/network/crds/`
/// (`tests::crd::strict_schema`).
fn crd_schema(file: &str, version: &str, api_version: &str, kind: &str) -> Result<Value, Failed> {
    let path = root().join("targets/network/crds").join(file);
    Ok(tests::crd::strict_schema(
        &path,
        version,
        api_version,
        kind,
    )?)
}

struct CrdKind {
    kind: &'static str,
    api_version: &'static str,
    file: &'static str,
    version: &'static str,
}

const CRDS: [CrdKind; 2] = [
    CrdKind {
        kind: "Certificate",
        api_version: "cert-manager.io/v1",
        file: "cert-manager.io_certificates.yaml",
        version: "v1",
    },
    CrdKind {
        kind: "PeerAuthentication",
        api_version: "security.istio.io/v1",
        file: "security.istio.io_peerauthentications.yaml",
        version: "v1",
    },
];

/// Runs check-jsonschema on `docs` (each `(name, value)`) against the CRD of `k`; `Ok(ok)`.
fn check_crd(k: &CrdKind, docs: &[(String, Value)], dir: &Path) -> Result<(bool, String), Failed> {
    let cj = tool("POSTURE_TOOL_CHECK_JSONSCHEMA")?;
    let schema = crd_schema(k.file, k.version, k.api_version, k.kind)?;
    let schema_path = dir.join(format!("{}.schema.json", k.kind));
    std::fs::write(
        &schema_path,
        serde_json::to_vec(&schema).unwrap_or_default(),
    )
    .map_err(|e| format!("{e}"))?;
    let mut files = Vec::new();
    for (i, (_, v)) in docs.iter().enumerate() {
        let f = dir.join(format!("{}-{i}.json", k.kind));
        std::fs::write(&f, serde_json::to_vec(v).unwrap_or_default())
            .map_err(|e| format!("{e}"))?;
        files.push(f);
    }
    run(Command::new(cj)
        .arg("--schemafile")
        .arg(&schema_path)
        .args(&files))
}

fn emitted_of_kind(artifacts: &[Artifact], kind: &str) -> Result<Vec<(String, Value)>, Failed> {
    let mut out = Vec::new();
    for a in artifacts {
        let v = yaml(a)?;
        if v["kind"] == kind {
            out.push((a.path.clone(), v));
        }
    }
    Ok(out)
}

fn crd(path: &Path) -> Result<(), Failed> {
    let checked = check(path)?;
    let p = posture(&checked)?;
    let artifacts = ::network::emit(p);
    let dir = scratch(&format!("crd-{}", path.display()))?;
    for k in &CRDS {
        let docs = emitted_of_kind(&artifacts, k.kind)?;
        let expected = match k.kind {
            "Certificate" => p.ingresses.len(),
            // One per meshed namespace, and one per workload with permissive ports.
            _ => p
                .mesh
                .as_ref()
                .map(|m| {
                    m.meshed(&p.namespaces).len()
                        + m.permissive.values().filter(|ps| !ps.is_empty()).count()
                })
                .unwrap_or(0),
        };
        if docs.len() != expected {
            return Err(format!("{} {}s emitted, {expected} expected", docs.len(), k.kind).into());
        }
        if docs.is_empty() {
            continue;
        }
        let (ok, out) = check_crd(k, &docs, &dir)?;
        if !ok {
            return Err(format!("{} documents do not match the CRD schema:\n{out}", k.kind).into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn crd_negative() -> Result<(), Failed> {
    let checked = check(&example())?;
    let p = posture(&checked)?;
    let artifacts = ::network::emit(p);
    let dir = scratch("crd-negative")?;
    let mut cert = emitted_of_kind(&artifacts, "Certificate")?
        .into_iter()
        .next()
        .ok_or("no Certificate")?;
    let mut pa = emitted_of_kind(&artifacts, "PeerAuthentication")?
        .into_iter()
        .next()
        .ok_or("no PeerAuthentication")?;
    let mut broken: Vec<(&CrdKind, Value)> = Vec::new();
    // An unknown field, a wrong type, a value outside an enum, a missing required field.
    let mut c1 = cert.1.clone();
    c1["spec"]["issuer"] = json!("corp-ca");
    broken.push((&CRDS[0], c1));
    let mut c2 = cert.1.clone();
    c2["spec"]["dnsNames"] = json!("portal.optimal.io");
    broken.push((&CRDS[0], c2));
    if let Some(spec) = cert.1["spec"].as_object_mut() {
        spec.remove("issuerRef");
    }
    broken.push((&CRDS[0], cert.1.clone()));
    pa.1["spec"]["mtls"]["mode"] = json!("STRICTER");
    broken.push((&CRDS[1], pa.1.clone()));
    let mut p2 = pa.1.clone();
    p2["spec"]["mtls"] = json!({ "mode": "STRICT", "level": 2 });
    broken.push((&CRDS[1], p2));
    for (i, (k, v)) in broken.into_iter().enumerate() {
        let (ok, out) = check_crd(k, &[(format!("broken-{i}"), v)], &dir)?;
        if ok {
            return Err(format!("broken {} #{i} passes the CRD schema:\n{out}", k.kind).into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// nca

fn labels_json(l: &ir::Labels) -> Value {
    Value::Object(
        l.iter()
            .map(|(k, v)| (k.0.clone(), Value::String(v.0.clone())))
            .collect(),
    )
}

/// Pods and namespaces of the posture: one pod per workload and built-in peer.
fn pod_and_ns_lists(p: &ir::Posture) -> (Value, Value) {
    let mut pods = Vec::new();
    let mut namespaces: BTreeMap<String, Value> = BTreeMap::new();
    for ns in p.namespaces.values() {
        let mut l = labels_json(&ns.labels);
        l["kubernetes.io/metadata.name"] = json!(ns.name.0);
        namespaces.insert(ns.name.0.to_string(), l);
    }
    let mut pod = |name: &str, ns: &str, labels: Value, ports: Vec<Value>| {
        pods.push(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": { "name": name, "namespace": ns, "labels": labels },
            "spec": { "containers": [{ "name": "main", "image": "example", "ports": ports }] },
        }));
    };
    for w in p.workloads.values() {
        let ports = w
            .ports
            .iter()
            .map(|(n, np)| {
                json!({ "name": n.0, "containerPort": np.port.0, "protocol": match np.protocol {
                    ir::Protocol::Tcp => "TCP", ir::Protocol::Udp => "UDP", ir::Protocol::Sctp => "SCTP" } })
            })
            .collect();
        pod(
            w.name.as_str(),
            w.namespace.as_str(),
            labels_json(&w.selector),
            ports,
        );
    }
    for (name, b) in [
        (netpol::ir::INGRESS_CONTROLLER, &p.target.ingress_controller),
        (netpol::ir::CLUSTER_DNS, &p.target.cluster_dns),
    ] {
        pod(
            name,
            b.namespace.as_str(),
            labels_json(&b.selector),
            Vec::new(),
        );
        namespaces
            .entry(b.namespace.0.to_string())
            .or_insert_with(|| json!({ "kubernetes.io/metadata.name": b.namespace.0 }));
    }
    let ns_items: Vec<Value> = namespaces
        .into_iter()
        .map(|(n, l)| json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": n, "labels": l } }))
        .collect();
    (
        json!({ "apiVersion": "v1", "kind": "PodList", "items": pods }),
        json!({ "apiVersion": "v1", "kind": "NamespaceList", "items": ns_items }),
    )
}

/// `ports` entries for a connection set (port ranges with `endPort`).
fn ports_json(c: &ConnSet) -> Vec<Value> {
    let mut out = Vec::new();
    for (proto, set) in c.iter() {
        if set.is_all() {
            out.push(json!({ "protocol": proto.as_str() }));
            continue;
        }
        for &(a, b) in set.ranges() {
            out.push(if a == b {
                json!({ "protocol": proto.as_str(), "port": a })
            } else {
                json!({ "protocol": proto.as_str(), "port": a, "endPort": b })
            });
        }
    }
    out
}

/// The CIDR blocks a range is made of.
fn cidrs(r: &IpRange) -> Vec<String> {
    ::network::proof::range_cidrs(r)
}

struct Spec {
    /// Ingress spec policies at destinations (pod and address sources).
    ingress: Vec<Value>,
    /// Egress spec policies at sources (address destinations).
    egress: Vec<Value>,
}

/// Spec policies describing, per pair where one side is isolated, either the declared
/// connections (`complement = false`) or every other connection (`complement = true`).
fn spec(p: &ir::Posture, complement: bool) -> Result<Spec, Failed> {
    let cluster = netpol::ir::cluster(p);
    let declared = netpol::ir::declared(p);
    let labels = |w: &WorkloadId| -> Value {
        cluster
            .workloads
            .get(w)
            .map(|wl| {
                Value::Object(
                    wl.labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), json!(v)))
                        .collect(),
                )
            })
            .unwrap_or(json!({}))
    };
    let iso = |w: &WorkloadId| {
        declared
            .isolation
            .get(w)
            .copied()
            .unwrap_or(Isolation::default())
    };
    let peer = |w: &WorkloadId| {
        json!({
            "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": w.namespace.as_str() } },
            "podSelector": { "matchLabels": labels(w) },
        })
    };
    let policy = |n: usize, at: &WorkloadId, dir: &str, rules: Vec<Value>| {
        let mut v = json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": { "name": format!("spec-{n}"), "namespace": at.namespace.as_str() },
            "spec": { "podSelector": { "matchLabels": labels(at) }, "policyTypes": [dir] },
        });
        v["spec"][dir.to_lowercase()] = Value::Array(rules);
        v
    };
    let ids: Vec<&WorkloadId> = cluster.workloads.keys().collect();
    let all = ConnSet::all();
    let rel = &declared.relation;
    let mut ingress = Vec::new();
    let mut egress = Vec::new();
    let universe = IpFamily::V4.universe();
    for d in &ids {
        let mut rules = Vec::new();
        for s in &ids {
            if s == d || !(iso(s).egress || iso(d).ingress) {
                continue; // self-connections are not nca's business; open pairs allow all
            }
            let want = rel.between(
                &Endpoint::Workload((*s).clone()),
                &Endpoint::Workload((*d).clone()),
            );
            let conns = if complement {
                all.subtract(&want)
            } else {
                want
            };
            if !conns.is_empty() {
                rules.push(json!({ "from": [peer(s)], "ports": ports_json(&conns) }));
            }
        }
        if iso(d).ingress {
            for (r, conns) in ip_pieces(
                rel.from_addresses(&Endpoint::Workload((*d).clone())),
                universe,
                complement,
            ) {
                rules.push(json!({ "from": cidrs(&r).iter().map(|c| json!({ "ipBlock": { "cidr": c } })).collect::<Vec<_>>(), "ports": ports_json(&conns) }));
            }
        }
        if !rules.is_empty() {
            ingress.push(policy(ingress.len(), d, "Ingress", rules));
        }
        if iso(d).egress {
            let mut rules = Vec::new();
            for (r, conns) in ip_pieces(
                rel.to_addresses(&Endpoint::Workload((*d).clone())),
                universe,
                complement,
            ) {
                rules.push(json!({ "to": cidrs(&r).iter().map(|c| json!({ "ipBlock": { "cidr": c } })).collect::<Vec<_>>(), "ports": ports_json(&conns) }));
            }
            if !rules.is_empty() {
                egress.push(policy(egress.len(), d, "Egress", rules));
            }
        }
    }
    Ok(Spec { ingress, egress })
}

/// The declared address map cut into pieces over the IPv4 space, each with the declared
/// connections or their complement.
fn ip_pieces(
    map: Option<&netpol::relation::IpConnMap>,
    universe: IpRange,
    complement: bool,
) -> Vec<(IpRange, ConnSet)> {
    let segments: Vec<(IpRange, ConnSet)> = map
        .map(|m| {
            m.segments()
                .iter()
                .filter(|(r, _)| r.family() == IpFamily::V4)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if !complement {
        return segments;
    }
    let mut out = Vec::new();
    let mut next = universe.start();
    for (r, c) in &segments {
        if r.start() > next
            && let Some(gap) = IpRange::new(IpFamily::V4, next, r.start() - 1)
        {
            out.push((gap, ConnSet::all()));
        }
        let rest = ConnSet::all().subtract(c);
        if !rest.is_empty() {
            out.push((*r, rest));
        }
        next = r.end().saturating_add(1);
    }
    if next <= universe.end()
        && let Some(tail) = IpRange::new(IpFamily::V4, next, universe.end())
    {
        out.push((tail, ConnSet::all()));
    }
    out
}

fn write_json_files(dir: &Path, docs: &[Value]) -> Result<(), Failed> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{e}"))?;
    for (i, d) in docs.iter().enumerate() {
        std::fs::write(
            dir.join(format!("{i:04}.yaml")),
            serde_json::to_vec_pretty(d).unwrap_or_default(),
        )
        .map_err(|e| format!("{e}"))?;
    }
    Ok(())
}

/// `--permits` for the declared flows and `--forbids` for every other flow where one side is
/// isolated; with a mutation, `--forbids` must fail instead.
fn nca(path: &Path, mutation: Option<Mutation>) -> Result<(), Failed> {
    let nca = tool("POSTURE_TOOL_NCA")?;
    let checked = check(path)?;
    let p = posture(&checked)?;
    let mut artifacts = ::network::emit(p);
    if let Some(m) = mutation {
        artifacts = m(artifacts)?;
    }
    let policies: Vec<Artifact> = artifacts
        .into_iter()
        .filter(|a| a.path.starts_with(::network::POLICIES_DIR))
        .collect();
    let dir = scratch(&format!("nca-{}-{}", path.display(), mutation.is_some()))?;
    write(&dir.join("emitted"), &policies)?;
    let (pods, nss) = pod_and_ns_lists(p);
    std::fs::write(
        dir.join("pods.yaml"),
        serde_json::to_vec_pretty(&pods).unwrap_or_default(),
    )
    .map_err(|e| format!("{e}"))?;
    std::fs::write(
        dir.join("ns.yaml"),
        serde_json::to_vec_pretty(&nss).unwrap_or_default(),
    )
    .map_err(|e| format!("{e}"))?;
    let base = dir.join("emitted").join("network/policies");
    let query = |flag: &str, spec_dir: &Path| -> Result<(bool, String), Failed> {
        run(Command::new(&nca)
            .arg(flag)
            .arg(spec_dir)
            .arg("--base_np_list")
            .arg(&base)
            .arg("--pod_list")
            .arg(dir.join("pods.yaml"))
            .arg("--ns_list")
            .arg(dir.join("ns.yaml")))
    };
    let mut forbids_failed = false;
    for (flag, complement) in [("--permits", false), ("--forbids", true)] {
        let s = spec(p, complement)?;
        for (side, docs) in [("ingress", &s.ingress), ("egress", &s.egress)] {
            if docs.is_empty() {
                continue;
            }
            let spec_dir = dir.join(format!("{}-{side}", &flag[2..]));
            write_json_files(&spec_dir, docs)?;
            let (ok, out) = query(flag, &spec_dir)?;
            match (mutation.is_some(), flag, ok) {
                (_, "--permits", false) | (false, "--forbids", false) => {
                    return Err(format!("nca {flag} ({side}) fails:\n{out}").into());
                }
                (true, "--forbids", false) => forbids_failed = true,
                _ => {}
            }
        }
    }
    if mutation.is_some() && !forbids_failed {
        return Err("nca --forbids accepts a deliberately widened policy".into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// YAML 1.1 read-back

fn yaml11(path: &Path) -> Result<(), Failed> {
    let python = tool("POSTURE_TOOL_PYTHON_K8S")?;
    let checked = check(path)?;
    let p = posture(&checked)?;
    let artifacts = ::network::emit(p);
    let dir = scratch(&format!("yaml11-{}", path.display()))?;
    let files = write(&dir, &artifacts)?;
    let script = "import json, sys, yaml\nfor f in sys.argv[1:]:\n    print(json.dumps(yaml.safe_load(open(f)), sort_keys=True))\n";
    let (ok, out) = run(Command::new(python).arg("-c").arg(script).args(&files))?;
    if !ok {
        return Err(format!("PyYAML cannot read the output:\n{out}").into());
    }
    for (a, line) in artifacts.iter().zip(out.lines()) {
        let theirs: Value = serde_json::from_str(line).map_err(|e| format!("{e}"))?;
        let ours = yaml(a)?;
        if theirs != ours {
            return Err(format!(
                "{} reads differently in YAML 1.1:\n{theirs}\n{ours}",
                a.path
            )
            .into());
        }
    }
    if out.lines().count() != artifacts.len() {
        return Err("PyYAML read a different number of documents".into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The example's policies

fn names() -> Result<(), Failed> {
    let checked = check(&example())?;
    let p = posture(&checked)?;
    let paths: Vec<String> = ::network::emit(p).into_iter().map(|a| a.path).collect();
    let want = [
        "network/policies/optimal-system/default-deny-all.yaml",
        "network/policies/optimal-system/allow-dns.yaml",
        "network/policies/optimal-system/allow-ingress-to-api-gateway.yaml",
        "network/policies/optimal-system/allow-egress-from-portal.yaml",
        "network/policies/optimal-system/allow-ingress-to-portal.yaml",
        "network/policies/optimal-data/default-deny-all.yaml",
        "network/policies/optimal-data/allow-ingress-to-postgres.yaml",
        "network/policies/keycloak/default-deny-all.yaml",
        "network/ingress/portal-web/certificate.yaml",
        "network/ingress/portal-web/ingress.yaml",
        "network/mesh/optimal-system-mtls.yaml",
        "network/mesh/optimal-data-mtls.yaml",
    ];
    for w in want {
        if !paths.iter().any(|p| p == w) {
            return Err(format!("`{w}` is not emitted; emitted:\n{paths:#?}").into());
        }
    }
    // The seed's flow, exactly: the gateway's one ingress policy, from the portal on 8000.
    let a = ::network::emit(p)
        .into_iter()
        .find(|a| a.path == "network/policies/optimal-system/allow-ingress-to-api-gateway.yaml")
        .ok_or("no allow-ingress-to-api-gateway")?;
    let v = yaml(&a)?;
    let want = json!({
        "podSelector": { "matchLabels": { "app": "optimal-api-gateway" } },
        "policyTypes": ["Ingress"],
        "ingress": [{
            "from": [{ "podSelector": { "matchLabels": { "app": "optimal-portal" } } }],
            "ports": [{ "protocol": "TCP", "port": 8000 }],
        }],
    });
    if v["spec"] != want {
        return Err(format!("allow-ingress-to-api-gateway is\n{}", v["spec"]).into());
    }
    let source = &v["metadata"]["annotations"]["posture.dev/source"];
    if source != &json!("network.allow-portal-to-api") {
        return Err(format!("its source is {source}, not the seed's intent").into());
    }
    Ok(())
}

/// A policy has one rule per distinct set of ports, listing every peer allowed on those
/// ports in declaration order; a flow declared twice (here once as `5432-5432`) is one peer;
/// a named port is its own set; the reachability proof holds over it.
fn rules_per_port_set() -> Result<(), Failed> {
    let checked = check_text(&format!(
        "{HEAD}network {{\n  default_deny = {{ namespaces = [a, b] }}\n  \
         allow web -> db:5432\n  allow api -> db:5432\n  allow web -> db:5432-5432\n  \
         allow namespace.a -> db:5432\n  allow web -> db:pg\n}}\n"
    ));
    let p = posture(&checked)?;
    let artifacts = ::network::emit(p);
    let a = find(&artifacts, "network/policies/b/allow-ingress-to-db.yaml")?;
    let v = yaml(a)?;
    let peer = |ns: Option<&str>, app: Option<&str>| {
        let mut m = serde_json::Map::new();
        if let Some(ns) = ns {
            m.insert(
                "namespaceSelector".into(),
                json!({ "matchLabels": { "kubernetes.io/metadata.name": ns } }),
            );
        }
        if let Some(app) = app {
            m.insert(
                "podSelector".into(),
                json!({ "matchLabels": { "app": app } }),
            );
        }
        Value::Object(m)
    };
    let want = json!([
        {
            "from": [peer(Some("a"), Some("web")), peer(Some("a"), Some("api")), peer(Some("a"), None)],
            "ports": [{ "protocol": "TCP", "port": 5432 }],
        },
        {
            "from": [peer(Some("a"), Some("web"))],
            "ports": [{ "protocol": "TCP", "port": "pg" }],
        },
    ]);
    if v["spec"]["ingress"] != want {
        return Err(format!(
            "allow-ingress-to-db's rules are\n{:#}\nnot\n{want:#}",
            v["spec"]["ingress"]
        )
        .into());
    }
    // Every intent is still named, once each, in declaration order.
    let source = v["metadata"]["annotations"]["posture.dev/source"]
        .as_str()
        .ok_or("no posture.dev/source")?;
    let named = source.split(", ").count();
    if named != 5 {
        return Err(format!("posture.dev/source names {named} intents, not 5: {source}").into());
    }
    // The proof (the emitted bytes read back and analysed) holds over the grouped rules.
    let proofs = ::network::verify(p, &artifacts);
    if let Some(d) = proofs.iter().flat_map(|p| &p.diagnostics).next() {
        return Err(format!("the reachability proof does not hold: {d:?}").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Checks

const HEAD: &str = "system s { title = \"t\", impact = low }\n\
target { kubernetes = \"1.33\", pod_cidr = \"10.244.0.0/16\", service_cidr = \"10.96.0.0/12\" }\n\
namespace a {}\nnamespace b {}\n\
workload web { namespace = a, match = { app = \"web\" }, ports = { http = 8080 } }\n\
workload api { namespace = a, match = { app = \"api\" }, ports = { http = 8000, dns = { port = 53, protocol = udp } } }\n\
workload db { namespace = b, match = { app = \"db\" }, ports = { pg = 5432 } }\n";

struct CheckCase {
    body: &'static str,
    /// `(code, message)` expected, in order of position; nothing else may be reported.
    want: &'static [(&'static str, &'static str)],
}

fn check_cases() -> Vec<(&'static str, CheckCase)> {
    vec![
        (
            "allow-without-deny",
            CheckCase {
                body: "network {\n  allow web -> api:8000\n  allow web -> \"203.0.113.0/24\":443\n}\n",
                want: &[
                    ("P4006", "`a` is not default-deny for ingress"),
                    ("P4006", "`a` is not default-deny for egress"),
                ],
            },
        ),
        (
            "allow-with-one-side-denied",
            CheckCase {
                body: "network {\n  default_deny = { namespaces = [b], directions = [ingress] }\n  allow web -> db:pg\n}\n",
                want: &[],
            },
        ),
        (
            "shadowed-by-namespace",
            CheckCase {
                body: "network {\n  default_deny = { namespaces = [a, b] }\n  allow namespace.a -> db:5432\n  allow web -> db:pg\n  allow api -> db:5432\n}\n",
                want: &[
                    (
                        "P4007",
                        "this intent adds nothing: another one already allows all of it",
                    ),
                    (
                        "P4007",
                        "this intent adds nothing: another one already allows all of it",
                    ),
                ],
            },
        ),
        (
            "shadowed-by-ports-and-cidr",
            CheckCase {
                body: "network {\n  default_deny = { namespaces = [a, b] }\n  allow web -> api\n  allow web -> api:8000\n  allow api -> \"203.0.113.0/24\":443 { except = [\"203.0.113.128/25\"] }\n  allow api -> \"203.0.113.0/25\":443\n  allow api -> \"203.0.113.128/26\":443\n}\n",
                want: &[
                    (
                        "P4007",
                        "this intent adds nothing: another one already allows all of it",
                    ),
                    (
                        "P4007",
                        "this intent adds nothing: another one already allows all of it",
                    ),
                ],
            },
        ),
        (
            "equal-intents-only-the-later-is-shadowed",
            CheckCase {
                body: "network {\n  default_deny = { namespaces = [a, b] }\n  allow web -> api:http\n  allow web -> api:8000\n}\n",
                want: &[(
                    "P4007",
                    "this intent adds nothing: another one already allows all of it",
                )],
            },
        ),
        (
            "named-port-protocol",
            CheckCase {
                body: "network {\n  default_deny = { namespaces = [a, b] }\n  allow web -> api:dns\n  allow db -> api:dns { protocol = udp }\n}\n",
                want: &[("P4003", "workload `api` has no TCP port `dns`")],
            },
        ),
        (
            "source-block-overlaps-pods",
            CheckCase {
                body: "network {\n  default_deny = { namespaces = [a, b] }\n  allow \"10.244.1.0/24\" -> api:8000\n}\n",
                want: &[(
                    "P4005",
                    "`10.244.1.0/24` overlaps the cluster range `10.244.0.0/16`",
                )],
            },
        ),
    ]
}

fn check_case(case: CheckCase) -> Result<(), Failed> {
    let text = format!("{HEAD}{}", case.body);
    let checked = check_text(&text);
    let got: Vec<(String, String)> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.id.starts_with("P4"))
        .map(|d| (d.code.id.to_string(), d.message.clone()))
        .collect();
    let want: Vec<(String, String)> = case
        .want
        .iter()
        .map(|(c, m)| (c.to_string(), m.to_string()))
        .collect();
    let others: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| !d.code.id.starts_with("P4"))
        .map(|d| format!("{}: {}", d.code.id, d.message))
        .collect();
    if got != want || !others.is_empty() {
        return Err(
            format!("expected {want:#?}\ngot {got:#?}\nother diagnostics: {others:#?}").into(),
        );
    }
    // Whatever the warnings, a posture that checks must prove.
    if let Some(p) = &checked.posture {
        let diags = ::network::proof::prove(p, &::network::emit(p));
        if !diags.is_empty() {
            return Err(format!(
                "the proof fails: {:?}",
                diags.iter().map(|d| &d.notes).collect::<Vec<_>>()
            )
            .into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// reach

fn reach() -> Result<(), Failed> {
    use ::network::reach::{self as r, Query};
    let checked = check(&example())?;
    let p = posture(&checked)?;
    let artifacts = ::network::emit(p);
    let proof = ::network::proof::prove(p, &artifacts);
    if !proof.is_empty() {
        return Err(format!("the proof fails: {proof:?}").into());
    }
    let all = r::reach_artifacts(p, &artifacts, &Query::default()).map_err(|d| format!("{d:?}"))?;
    let table = r::table(&all);
    for line in [
        "optimal-system/portal",
        "optimal-system/api-gateway",
        "TCP 8000",
    ] {
        if !table.contains(line) {
            return Err(format!("the table lacks `{line}`:\n{table}").into());
        }
    }
    let from_portal = r::reach_artifacts(
        p,
        &artifacts,
        &Query {
            from: Some(r::parse_peer(p, "portal").map_err(|e| e.to_string())?),
            ..Query::default()
        },
    )
    .map_err(|d| format!("{d:?}"))?;
    let rows: Vec<(String, String, String)> = from_portal
        .rows
        .iter()
        .map(|x| (x.from.clone(), x.to.clone(), x.connections.clone()))
        .collect();
    let want = vec![
        // Implied by the mesh: the sidecar reaches istiod.
        (
            "optimal-system/portal".to_string(),
            "istio-system/mesh-control-plane".to_string(),
            "TCP 15012".to_string(),
        ),
        (
            "optimal-system/portal".to_string(),
            "kube-system/cluster-dns".to_string(),
            "TCP 53,UDP 53".to_string(),
        ),
        (
            "optimal-system/portal".to_string(),
            "optimal-system/api-gateway".to_string(),
            "TCP 8000".to_string(),
        ),
    ];
    if rows != want {
        return Err(format!("reach --from portal:\n{rows:#?}").into());
    }
    // Open pairs (neither side isolated) are listed up to the limit, then counted.
    let capped = r::reach_artifacts(
        p,
        &artifacts,
        &Query {
            limit: 0,
            ..Query::default()
        },
    )
    .map_err(|d| format!("{d:?}"))?;
    if capped.omitted_open == 0 || capped.rows.iter().any(|x| x.open) {
        return Err(format!("limit 0 still lists open rows: {capped:?}").into());
    }
    if !r::table(&capped).contains("not listed") {
        return Err("the table does not say that open rows were left out".into());
    }
    let json: Value = serde_json::from_str(&r::json(&from_portal)).map_err(|e| format!("{e}"))?;
    if json["rows"].as_array().map(Vec::len) != Some(3) {
        return Err(format!("json: {json}").into());
    }
    if !r::dot(&from_portal).contains(
        "\"optimal-system/portal\" -> \"optimal-system/api-gateway\" [label = \"TCP 8000\"];",
    ) {
        return Err(r::dot(&from_portal).into());
    }
    for bad in ["portl", "namespace.nope", "10.0.0.1/8"] {
        if r::parse_peer(p, bad).is_ok() {
            return Err(format!("`{bad}` is accepted as an endpoint").into());
        }
    }
    Ok(())
}

/// `posture reach` through the command line: output on stdout, exit codes 0, 1 and 2.
fn reach_cli() -> Result<(), Failed> {
    use clap::Parser;
    let example = example();
    let example = example.to_string_lossy().into_owned();
    let run = |args: &[&str]| -> Result<(cli::Exit, String, String), Failed> {
        let mut argv = vec![
            "posture",
            "reach",
            example.as_str(),
            "--today",
            "2026-11-27",
        ];
        argv.extend_from_slice(args);
        let parsed = cli::Cli::try_parse_from(&argv).map_err(|e| e.to_string())?;
        let env = cli::Env {
            no_color: true,
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            posture_today: None,
            source_date_epoch: None,
            now: std::time::SystemTime::UNIX_EPOCH,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exit = cli::run(&parsed, &env, &mut out, &mut err);
        Ok((
            exit,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        ))
    };
    let (exit, out, err) = run(&["--from", "portal"])?;
    let want = "FROM                   TO                               CONNECTIONS\n\
                optimal-system/portal  istio-system/mesh-control-plane  TCP 15012\n\
                optimal-system/portal  kube-system/cluster-dns          TCP 53,UDP 53\n\
                optimal-system/portal  optimal-system/api-gateway       TCP 8000\n";
    if exit != cli::Exit::Success || out != want {
        return Err(format!("reach --from portal: {exit:?}\n{out}\n{err}").into());
    }
    let (exit, out, _) = run(&["--to", "namespace.optimal-data", "--format", "json"])?;
    let v: Value = serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))?;
    if exit != cli::Exit::Success || v["rows"].as_array().map(Vec::len) != Some(2) {
        return Err(format!("reach --format json: {exit:?}\n{out}").into());
    }
    let (exit, out, _) = run(&["--format", "dot", "--limit", "0"])?;
    if exit != cli::Exit::Success
        || !out.starts_with("digraph \"reach\" {")
        || !out.contains("comment = ")
    {
        return Err(format!("reach --format dot: {exit:?}\n{out}").into());
    }
    let (exit, out, err) = run(&["--from", "portl"])?;
    if exit != cli::Exit::Usage || !out.is_empty() || !err.contains("did you mean `portal`?") {
        return Err(format!("reach --from portl: {exit:?}\n{out}\n{err}").into());
    }
    Ok(())
}

fn egress_destinations() -> Result<(), Failed> {
    let checked = check(&example())?;
    let p = posture(&checked)?;
    let d = p.network.egress_destinations();
    let text: Vec<String> = d
        .iter()
        .map(|(from, to, ports)| format!("{from:?} {to:?} {ports:?}"))
        .collect();
    // The gateway and Keycloak (federation to the corporate IdP) reach 10.20.0.0/16.
    let mut from: Vec<&str> = d
        .iter()
        .filter_map(|(f, to, _)| match (f, to) {
            (ir::network::Peer::Workload { name }, ir::network::Peer::Cidr { cidr, .. })
                if cidr.to_string() == "10.20.0.0/16" =>
            {
                Some(name.as_str())
            }
            _ => None,
        })
        .collect();
    from.sort_unstable();
    if d.len() != 2 || from != ["api-gateway", "keycloak"] {
        return Err(format!("egress destinations: {text:#?}").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Scale

/// 10,000 workloads in 500 namespaces, 50,000 intents (a tenth to address blocks), default
/// deny and DNS everywhere: check, emit, prove. Times are printed, never asserted.
fn scale() -> Result<(), Failed> {
    let (workloads, namespaces, intents) = (10_000usize, 500usize, 50_000usize);
    let mut text = String::from(
        "system s { title = \"scale\", impact = low }\n\
         target { kubernetes = \"1.33\", pod_cidr = \"10.244.0.0/16\", service_cidr = \"10.96.0.0/12\" }\n",
    );
    let ns = |i: usize| format!("ns-{:04}", i % namespaces);
    for n in 0..namespaces {
        text.push_str(&format!("namespace {} {{}}\n", ns(n)));
    }
    for w in 0..workloads {
        text.push_str(&format!(
            "workload w{w:05} {{ namespace = {}, match = {{ app = \"w{w:05}\" }}, ports = {{ http = {} }} }}\n",
            ns(w),
            8000 + w % 100
        ));
    }
    let all: Vec<String> = (0..namespaces).map(ns).collect();
    text.push_str(&format!(
        "network {{\n  default_deny = {{ namespaces = [{}] }}\n  allow_dns = [{}]\n",
        all.join(", "),
        all.join(", ")
    ));
    let mut seen = std::collections::BTreeSet::new();
    let mut rng = synthetic::Rng::new(0x5EED);
    let mut n = 0;
    while n < intents {
        let x = rng.next_u64();
        let a = (x % workloads as u64) as usize;
        let b = ((x >> 20) % workloads as u64) as usize;
        let line = if n % 10 == 0 {
            format!("  allow w{a:05} -> \"192.0.{}.0/24\":443\n", b % 256)
        } else {
            format!("  allow w{a:05} -> w{b:05}:http\n")
        };
        if a != b && seen.insert(line.clone()) {
            text.push_str(&line);
            n += 1;
        }
    }
    text.push_str("}\n");
    let t0 = std::time::Instant::now();
    let checked = check_text(&text);
    let p = checked.posture.as_ref().ok_or_else(|| {
        let first: Vec<String> = checked
            .diagnostics
            .iter()
            .take(5)
            .map(|d| d.message.clone())
            .collect();
        format!("the scale posture does not check: {first:?}")
    })?;
    let t1 = std::time::Instant::now();
    let artifacts = ::network::emit(p);
    let t2 = std::time::Instant::now();
    let diags = ::network::proof::prove(p, &artifacts);
    let t3 = std::time::Instant::now();
    eprintln!(
        "network scale: {} workloads, {} intents, {} files; check {:?}, emit {:?}, proof {:?}",
        p.workloads.len(),
        p.network.intents.len(),
        artifacts.len(),
        t1 - t0,
        t2 - t1,
        t3 - t2
    );
    if !diags.is_empty() {
        return Err(format!(
            "the proof fails at scale: {:?}",
            diags.first().map(|d| (&d.message, &d.notes))
        )
        .into());
    }
    // Per namespace the default deny and DNS; one ingress policy per workload some intent
    // reaches and one egress policy per workload some intent leaves (every namespace denies
    // both ways).
    let to: std::collections::BTreeSet<&ir::network::Peer> = p
        .network
        .intents
        .iter()
        .filter(|i| !matches!(i.to, ir::network::Peer::Cidr { .. }))
        .map(|i| &i.to)
        .collect();
    let from: std::collections::BTreeSet<&ir::network::Peer> =
        p.network.intents.iter().map(|i| &i.from).collect();
    let expected = namespaces * 2 + to.len() + from.len();
    if artifacts.len() != expected {
        return Err(format!("{} files, {expected} expected", artifacts.len()).into());
    }
    Ok(())
}
