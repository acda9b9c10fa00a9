//! Cross-layer checks judged by the engines on both sides (`book/src/cross-layer.md`).
//!
//! - `cross::pod-security::example`: the Optimal Platform's exception `profiler-root` waives
//!   `require-run-as-non-root` in `optimal-system`, which declares Pod Security `restricted`.
//!   The emitted `namespaces/` labels go to the API server's own Pod Security evaluator
//!   (`psa-check`: `k8s.io/pod-security-admission` at the target's Kubernetes minor) and the
//!   emitted admission policies and exceptions to the Kyverno CLI, on the same pods: the
//!   profiler is admitted by both, an ordinary root pod in the same namespace is rejected by at
//!   least one (Kyverno's restricted policy), a compliant pod by neither.
//! - `cross::pod-security::declared-labels`: negative control — the same namespace with the
//!   declared `restricted` enforce label: the API server rejects the profiler, so the exception
//!   would not take effect without the compiler's lowering.
//!
//! The tools come from `cargo xtask tools` (`POSTURE_TOOL_PSA_CHECK`, `POSTURE_TOOL_KYVERNO`);
//! a missing tool fails the test.

use crate::root;
use crate::support::tool;
use cli::FsWorld;
use emit::Artifact;
use libtest_mimic::{Failed, Trial};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test("cross::pod-security::example", || pod_security(false)),
        Trial::test("cross::pod-security::declared-labels", || {
            pod_security(true)
        }),
        Trial::test("cross::mesh::control-plane", mesh_control_plane),
        Trial::test("cross::mesh::strict-inbound", mesh_strict_inbound),
    ]
}

/// The example's `mesh` implies egress from each meshed namespace to the mesh's control plane
/// on 15012: emitted with a trace to `mesh`, visible in `reach`, and part of the reachability
/// proof — without those policies the proof fails (P4008).
fn mesh_control_plane() -> Result<(), Failed> {
    let path = root().join("examples/optimal-platform");
    let build = driver::build(
        &FsWorld,
        &path,
        &tests::options(),
        &driver::targets::TargetOptions::default(),
    )
    .map_err(|d| d.message)?;
    let p = build.posture().ok_or("the example does not check")?;
    let mut problems = Vec::new();
    let meshed = ir::network::meshed_namespaces(p);
    if meshed.is_empty() {
        return Err("the example declares no meshed namespace".into());
    }
    // One object per artifact, as the target emits them (the build lays them out per
    // namespace): the namespace's egress policy carries the implied flow.
    let emitted = ::network::emit(p);
    let implied: Vec<&Artifact> = emitted
        .iter()
        .filter(|a| a.path.contains("/allow-egress-from-ns-"))
        .collect();
    for ns in &meshed {
        let file = format!("network/policies/{ns}/allow-egress-from-ns-{ns}.yaml");
        match implied.iter().find(|a| a.path == file) {
            None => problems.push(format!("no {file}")),
            Some(a) => {
                let text = String::from_utf8_lossy(&a.bytes);
                if !text.contains("posture.dev/source: mesh") || !text.contains("15012") {
                    problems.push(format!("{file} does not trace to `mesh`:\n{text}"));
                }
            }
        }
        // `posture reach` shows it.
        let q = ::network::reach::Query {
            from: Some(ir::network::Peer::Namespace { name: ns.clone() }),
            to: Some(ir::network::Peer::MeshControlPlane),
            limit: 100,
        };
        match build.reach(&q) {
            Some(Ok(r)) if r.rows.iter().any(|row| row.connections.contains("15012")) => {}
            other => problems.push(format!("reach {ns} -> mesh-control-plane: {other:?}")),
        }
    }
    // The proof covers the implied flows: drop their policies and it fails.
    let without: Vec<Artifact> = emitted
        .iter()
        .filter(|a| !a.path.contains("/allow-egress-from-ns-"))
        .cloned()
        .collect();
    let proofs = ::network::verify(p, &without);
    let codes: Vec<&str> = proofs
        .iter()
        .flat_map(|pr| pr.diagnostics.iter().map(|d| d.code.id))
        .collect();
    if !codes.contains(&"P4008") {
        problems.push(format!(
            "without the implied policies the reachability proof must fail, got {codes:?}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

/// The example's ingress controller (outside the mesh) reaches the portal (strict mTLS) only
/// through the `permissive` port: without it the posture is refused (P4009); with it, a
/// workload-level PeerAuthentication makes exactly that port PERMISSIVE.
fn mesh_strict_inbound() -> Result<(), Failed> {
    let dir = root().join("examples/optimal-platform");
    let mut world = driver::MemWorld::new();
    let mut found = false;
    for e in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        let text = std::fs::read_to_string(e.path()).map_err(|e| e.to_string())?;
        let text = if text.contains("permissive = { portal = [http] }") {
            found = true;
            text.replace("permissive = { portal = [http] }", "")
        } else {
            text
        };
        world.add(
            format!("/ex/{}", e.file_name().to_string_lossy()),
            text.into_bytes(),
        );
    }
    if !found {
        return Err("the example's mesh declares no permissive port".into());
    }
    let checked =
        driver::check(&world, Path::new("/ex"), &tests::options()).map_err(|d| d.message)?;
    let p4009: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code.id == "P4009")
        .map(|d| d.message.clone())
        .collect();
    if checked.posture.is_some()
        || p4009.len() != 1
        || !p4009[0].contains("allow ingress-controller -> portal:http")
    {
        return Err(format!("without `permissive`, expected one P4009, got {p4009:?}").into());
    }
    let artifacts = example()?;
    let pa = artifacts
        .iter()
        .find(|a| a.path == "network/mesh/optimal-system-portal-permissive.yaml")
        .ok_or("no workload-level PeerAuthentication for the portal")?;
    let doc: Value = serde_saphyr::from_slice(&pa.bytes).map_err(|e| e.to_string())?;
    let spec = &doc["spec"];
    if spec["mtls"]["mode"] != "STRICT"
        || spec["portLevelMtls"]["8080"]["mode"] != "PERMISSIVE"
        || spec["portLevelMtls"].as_object().map(|o| o.len()) != Some(1)
        || spec["selector"]["matchLabels"]["app"] != "optimal-portal"
    {
        return Err(format!("unexpected PeerAuthentication: {doc}").into());
    }
    Ok(())
}

/// The example's artifacts (default target options).
fn example() -> Result<Vec<Artifact>, Failed> {
    let path = root().join("examples/optimal-platform");
    let build = driver::build(
        &FsWorld,
        &path,
        &tests::options(),
        &driver::targets::TargetOptions::default(),
    )
    .map_err(|d| format!("cannot load the example: {}", d.message))?;
    if build.checked.posture.is_none() {
        let msgs: Vec<String> = build
            .checked
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code.id, d.message))
            .collect();
        return Err(format!("the example does not check:\n{}", msgs.join("\n")).into());
    }
    // One object per artifact, as the targets emit them (the build's files group them per
    // namespace; `pipeline` and `network` judge those).
    let p = build.posture().ok_or("the example does not check")?;
    Ok(driver::targets::emitted(
        p,
        &driver::targets::TargetOptions::default(),
    ))
}

/// `pod → (allowed by Pod Security admission, its reasons)`.
fn psa(files: &[PathBuf]) -> Result<BTreeMap<String, (bool, String)>, Failed> {
    let tool = tool("POSTURE_TOOL_PSA_CHECK")?;
    let out = Command::new(&tool)
        .args(files)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tool.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "psa-check failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let mut verdicts = BTreeMap::new();
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{line}: {e}"))?;
        verdicts.insert(
            v["name"].as_str().unwrap_or_default().to_string(),
            (
                v["allowed"].as_bool().unwrap_or(false),
                format!("{} {}", v["enforce"], v["reasons"]),
            ),
        );
    }
    Ok(verdicts)
}

/// `pod → the policies that fail it` under `kyverno apply` of the policies with the exceptions.
fn kyverno(
    policies: &[PathBuf],
    exceptions: &[PathBuf],
    pods: &Path,
    out: &Path,
) -> Result<BTreeMap<String, BTreeSet<String>>, Failed> {
    let report = crate::kyverno::apply_report(policies, &[pods.to_path_buf()], exceptions, out)?;
    // Guard against a vacuous run: every policy must have judged the pods.
    if report["summary"]["pass"].as_u64().unwrap_or(0) < 50 {
        return Err(format!("kyverno apply judged too little:\n{}", report["summary"]).into());
    }
    let mut fails: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in report["results"].as_array().into_iter().flatten() {
        for res in r["resources"].as_array().into_iter().flatten() {
            let name = res["name"].as_str().unwrap_or_default().to_string();
            let entry = fails.entry(name).or_default();
            if r["result"] == "fail" {
                entry.insert(r["policy"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    Ok(fails)
}

fn pod_security(declared_labels: bool) -> Result<(), Failed> {
    let artifacts = example()?;
    let dir = scratch(if declared_labels {
        "declared-labels"
    } else {
        "example"
    })?;
    let mut namespaces = Vec::new();
    let mut policies = Vec::new();
    let mut exceptions = Vec::new();
    for a in &artifacts {
        let list = if a.path.starts_with("namespaces/") {
            &mut namespaces
        } else if a.path.starts_with("kyverno/exceptions/") {
            &mut exceptions
        } else if a.path.starts_with("kyverno/") && !a.path.contains("signed-images") {
            // Image verification needs a registry and a transparency log: not offline.
            &mut policies
        } else {
            continue;
        };
        let mut bytes = a.bytes.clone();
        if declared_labels && a.path == "namespaces/optimal-system.yaml" {
            let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
            let lowered = "pod-security.kubernetes.io/enforce: baseline";
            if !text.contains(lowered) {
                return Err(format!("the example's optimal-system is not lowered:\n{text}").into());
            }
            bytes = text
                .replace(lowered, "pod-security.kubernetes.io/enforce: restricted")
                .into_bytes();
        }
        let path = dir.join(a.path.replace('/', "__"));
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        list.push(path);
    }
    if exceptions.is_empty() || policies.len() < 25 || namespaces.is_empty() {
        return Err(format!(
            "the example emitted {} policies, {} exceptions, {} namespaces",
            policies.len(),
            exceptions.len(),
            namespaces.len()
        )
        .into());
    }
    let pods = root().join("tests/conformance/cross/pods.yaml");
    let mut files = namespaces.clone();
    files.push(pods.clone());
    let psa = psa(&files)?;
    let kyverno = kyverno(&policies, &exceptions, &pods, &dir.join("kyverno-out"))?;
    let verdict = |pod: &str| -> Result<(bool, bool, String), Failed> {
        let (psa_ok, why) = psa
            .get(pod)
            .cloned()
            .ok_or_else(|| format!("psa-check gave no verdict for `{pod}`"))?;
        let fails = kyverno
            .get(pod)
            .ok_or_else(|| format!("kyverno gave no verdict for `{pod}`"))?;
        Ok((
            psa_ok,
            fails.is_empty(),
            format!("pod security: {why}; kyverno fails: {fails:?}"),
        ))
    };
    let mut problems = Vec::new();
    let (p_psa, p_kyv, p_why) = verdict("profiler")?;
    let (s_psa, s_kyv, s_why) = verdict("scanner-root")?;
    let (c_psa, c_kyv, c_why) = verdict("portal")?;
    if declared_labels {
        // Negative control: with the declared label, the API server rejects the profiler.
        if p_psa {
            problems.push(format!(
                "with enforce=restricted the API server admits the profiler ({p_why})"
            ));
        }
    } else {
        if !(p_psa && p_kyv) {
            problems.push(format!("the profiler must be admitted by both: {p_why}"));
        }
        if s_psa && s_kyv {
            problems.push(format!(
                "an ordinary root pod must be rejected by at least one engine: {s_why}"
            ));
        }
        if !s_kyv
            && !kyverno
                .get("scanner-root")
                .is_some_and(|f| f.contains("require-run-as-non-root"))
        {
            problems.push(format!(
                "the root pod must fail require-run-as-non-root: {s_why}"
            ));
        }
    }
    if !(c_psa && c_kyv) {
        problems.push(format!(
            "the compliant pod must be admitted by both: {c_why}"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

/// A fresh scratch directory for one test of this suite.
fn scratch(name: &str) -> Result<PathBuf, Failed> {
    crate::support::scratch("cross", name)
}
