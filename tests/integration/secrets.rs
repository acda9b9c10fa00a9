//! The `secrets` and `apiserver` targets judged by their consumers, on the Optimal Platform and
//! on `tests/conformance/secrets/all-stores.posture` (every store kind, a cluster store):
//!
//! - `secrets::crd/<case>`: every SecretStore, ClusterSecretStore and ExternalSecret against
//!   the ESO v2.9.0 CRD schemas, and every SealedSecret scaffold against sealed-secrets
//!   v0.36.6's, strict on unknown fields (`check-jsonschema`); a wrong field must fail
//!   (`secrets::crd/negative`);
//! - `secrets::keycloak-vault`: the federation's secret is an ExternalSecret in Keycloak's
//!   namespace whose one data key is the file Keycloak's vault reads (`<realm>_<key>`);
//! - `apiserver::<file>/<case>`: the API server's own code (k8s.io/apiserver at the target's
//!   Kubernetes, `tools/apiserver-check`): `ValidateEncryptionConfiguration`,
//!   `ValidateAuthenticationConfiguration`, `LoadPolicyFromFile` and the policy evaluator's
//!   level for sample requests, client-go's kubeconfig loader; negative controls: identity
//!   first, a KMS provider without an endpoint, a misordered audit policy, credentials in the
//!   webhook kubeconfig, an unknown field;
//! - `secrets::canary/environment`: `posture build`, `coverage` and `check` run as a process
//!   with canary values in their environment; the canary appears in no output file, no
//!   diagnostic and no report, while store paths and key names do.

use crate::root;
use crate::support::{run, tool};
use emit::Artifact;
use libtest_mimic::{Failed, Trial};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLE: &str = "examples/optimal-platform";
const ALL_STORES: &str = "tests/conformance/secrets/all-stores.posture";

pub(crate) fn trials() -> Vec<Trial> {
    let mut t = Vec::new();
    for (name, path) in [("optimal-platform", EXAMPLE), ("all-stores", ALL_STORES)] {
        t.push(Trial::test(format!("secrets::crd/{name}"), move || {
            crd(path)
        }));
        for check in ["encryption", "authentication", "audit", "kubeconfig"] {
            t.push(Trial::test(
                format!("apiserver::{check}/{name}"),
                move || apiserver(path, check),
            ));
        }
    }
    t.push(Trial::test("secrets::crd/negative", crd_negative));
    t.push(Trial::test("secrets::keycloak-vault", keycloak_vault));
    t.push(Trial::test("secrets::all-stores-shape", all_stores_shape));
    for (name, f) in NEGATIVE {
        t.push(Trial::test(format!("apiserver::negative/{name}"), *f));
    }
    t.push(Trial::test(
        "secrets::canary/environment",
        canary_environment,
    ));
    t
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A fresh scratch directory for one test of this suite.
fn scratch(name: &str) -> Result<PathBuf, Failed> {
    crate::support::scratch("secrets", name)
}

/// Every artifact of a build of `path` (relative to the repository root).
fn artifacts(path: &str) -> Result<Vec<Artifact>, Failed> {
    let b = driver::build(
        &cli::FsWorld,
        &root().join(path),
        &tests::options(),
        &driver::targets::TargetOptions::default(),
    )
    .map_err(|d| d.message.clone())?;
    if b.has_errors() {
        let codes: Vec<&str> = b.diagnostics().iter().map(|d| d.code.id).collect();
        return Err(format!("{path} does not build: {codes:?}").into());
    }
    // One object per artifact, as the targets emit them (the build groups them per namespace).
    let p = b.posture().ok_or("the posture does not check")?;
    Ok(driver::targets::emitted(
        p,
        &driver::targets::TargetOptions::default(),
    ))
}

fn yaml(a: &Artifact) -> Result<Value, Failed> {
    serde_saphyr::from_slice(&a.bytes).map_err(|e| format!("{}: {e}", a.path).into())
}

fn find<'a>(all: &'a [Artifact], path: &str) -> Result<&'a Artifact, Failed> {
    all.iter()
        .find(|a| a.path == path)
        .ok_or_else(|| format!("{path} was not emitted").into())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, Failed> {
    let f = dir.join(name);
    std::fs::write(&f, bytes).map_err(|e| format!("{}: {e}", f.display()))?;
    Ok(f)
}

// ---------------------------------------------------------------------------------------------
// CRD schemas

struct Crd {
    kind: &'static str,
    api_version: &'static str,
    file: &'static str,
    version: &'static str,
}

const CRDS: [Crd; 4] = [
    Crd {
        kind: "SecretStore",
        api_version: "external-secrets.io/v1",
        file: "external-secrets.io_secretstores.yaml",
        version: "v1",
    },
    Crd {
        kind: "ClusterSecretStore",
        api_version: "external-secrets.io/v1",
        file: "external-secrets.io_clustersecretstores.yaml",
        version: "v1",
    },
    Crd {
        kind: "ExternalSecret",
        api_version: "external-secrets.io/v1",
        file: "external-secrets.io_externalsecrets.yaml",
        version: "v1",
    },
    Crd {
        kind: "SealedSecret",
        api_version: "bitnami.com/v1alpha1",
        file: "bitnami.com_sealedsecrets.yaml",
        version: "v1alpha1",
    },
];

/// check-jsonschema on `docs` against the strict schema of `crd`: `(ok, output)`.
fn check_crd(crd: &Crd, docs: &[Value], dir: &Path) -> Result<(bool, String), Failed> {
    let cj = tool("POSTURE_TOOL_CHECK_JSONSCHEMA")?;
    let schema = tests::crd::strict_schema(
        &root().join("targets/secrets/crds").join(crd.file),
        crd.version,
        crd.api_version,
        crd.kind,
    )?;
    let schema_path = write(
        dir,
        &format!("{}.schema.json", crd.kind),
        &serde_json::to_vec(&schema).unwrap_or_default(),
    )?;
    let mut files = Vec::new();
    for (i, v) in docs.iter().enumerate() {
        files.push(write(
            dir,
            &format!("{}-{i}.json", crd.kind),
            &serde_json::to_vec(v).unwrap_or_default(),
        )?);
    }
    run(Command::new(cj)
        .arg("--schemafile")
        .arg(&schema_path)
        .args(&files))
}

fn of_kind(all: &[Artifact], kind: &str) -> Result<Vec<Value>, Failed> {
    let mut out = Vec::new();
    for a in all.iter().filter(|a| a.target.as_str() == "secrets") {
        let v = yaml(a)?;
        if v["kind"] == kind {
            out.push(v);
        }
    }
    Ok(out)
}

fn crd(path: &str) -> Result<(), Failed> {
    let all = artifacts(path)?;
    let dir = scratch(&format!("crd-{path}"))?;
    let mut validated = 0;
    for c in &CRDS {
        let docs = of_kind(&all, c.kind)?;
        if docs.is_empty() {
            continue;
        }
        let (ok, out) = check_crd(c, &docs, &dir)?;
        if !ok {
            return Err(format!("{} documents do not match the CRD schema:\n{out}", c.kind).into());
        }
        validated += docs.len();
    }
    let emitted = all
        .iter()
        .filter(|a| a.target.as_str() == "secrets")
        .count();
    if validated != emitted || emitted == 0 {
        return Err(format!("{validated} of {emitted} secrets/ documents validated").into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A wrong field (a misspelt Vault `server`, an ExternalSecret creation policy ESO does not
/// know, a SealedSecret with an unknown spec field) fails the schema.
fn crd_negative() -> Result<(), Failed> {
    let all = artifacts(EXAMPLE)?;
    let dir = scratch("crd-negative")?;
    let mut store = of_kind(&all, "SecretStore")?
        .into_iter()
        .find(|v| v["spec"]["provider"]["vault"].is_object())
        .ok_or("no Vault SecretStore")?;
    // Control: the unbroken copy passes.
    let (ok, out) = check_crd(&CRDS[0], std::slice::from_ref(&store), &dir)?;
    if !ok {
        return Err(format!("the unbroken SecretStore fails:\n{out}").into());
    }
    let vault = store["spec"]["provider"]["vault"]
        .as_object_mut()
        .ok_or("no vault")?;
    let server = vault.remove("server").ok_or("no server")?;
    vault.insert("serverUrl".into(), server);
    let mut es = of_kind(&all, "ExternalSecret")?
        .into_iter()
        .next()
        .ok_or("no ExternalSecret")?;
    es["spec"]["target"]["creationPolicy"] = Value::from("Sometimes");
    let mut sealed = of_kind(&all, "SealedSecret")?
        .into_iter()
        .next()
        .ok_or("no SealedSecret")?;
    sealed["spec"]["plaintext"] = Value::from("x");
    for (c, doc) in [(&CRDS[0], store), (&CRDS[2], es), (&CRDS[3], sealed)] {
        let (ok, out) = check_crd(c, &[doc], &dir)?;
        if ok {
            return Err(format!("a broken {} passes the schema:\n{out}", c.kind).into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The federation's client secret: an ExternalSecret in Keycloak's namespace whose one data key
/// is `<realm>_<secret>`, the file `--vault=file` reads for `${vault.<secret>}`.
fn keycloak_vault() -> Result<(), Failed> {
    let all = artifacts(EXAMPLE)?;
    let es = yaml(find(&all, "secrets/external/keycloak/corp-idp.yaml")?)?;
    if es["metadata"]["namespace"] != "keycloak" {
        return Err(format!("corp-idp is not in keycloak: {es}").into());
    }
    let data = es["spec"]["data"].as_array().ok_or("no data")?;
    let keys: Vec<&str> = data
        .iter()
        .filter_map(|d| d["secretKey"].as_str())
        .collect();
    if keys != ["optimal_corp-idp"] || data[0]["remoteRef"]["key"] != "corp/idp" {
        return Err(format!("corp-idp's data is not Keycloak's vault file: {es}").into());
    }
    Ok(())
}

/// Every store kind becomes its provider; the cluster store admits exactly its namespaces;
/// ExternalSecrets name the right store kind.
fn all_stores_shape() -> Result<(), Failed> {
    let all = artifacts(ALL_STORES)?;
    let cluster = yaml(find(&all, "secrets/stores/aws.yaml")?)?;
    if cluster["kind"] != "ClusterSecretStore"
        || cluster["spec"]["conditions"][0]["namespaces"]
            != serde_json::json!(["apps", "data", "sso"])
    {
        return Err(
            format!("the cluster store is not limited to its namespaces: {cluster}").into(),
        );
    }
    for (path, provider) in [
        ("secrets/stores/apps/vault-main.yaml", "vault"),
        ("secrets/stores/apps/gcp.yaml", "gcpsm"),
        ("secrets/stores/data/azure.yaml", "azurekv"),
    ] {
        let v = yaml(find(&all, path)?)?;
        if v["kind"] != "SecretStore" || !v["spec"]["provider"][provider].is_object() {
            return Err(format!("{path} is not a {provider} SecretStore: {v}").into());
        }
    }
    let es = yaml(find(&all, "secrets/external/data/data-key.yaml")?)?;
    if es["spec"]["secretStoreRef"]["kind"] != "ClusterSecretStore" {
        return Err(format!("data-key does not use the cluster store: {es}").into());
    }
    if all
        .iter()
        .any(|a| a.path.starts_with("secrets/sealed/") && a.applyable)
    {
        return Err("a sealed scaffold is marked applyable".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The API server's own code

fn checker(args: &[&str], files: &[&Path]) -> Result<(bool, String), Failed> {
    let c = tool("POSTURE_TOOL_APISERVER_CHECK")?;
    run(Command::new(c)
        .args(args.iter().take(1))
        .args(files)
        .args(args.iter().skip(1)))
}

/// Sample requests and the level the posture says each gets.
fn expected_levels(path: &str) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("get::secrets:optimal-system", "Metadata"),
        ("list::configmaps:kube-system", "Metadata"),
        ("create::events:optimal-system", "None"),
    ];
    if path == EXAMPLE {
        v.push(("create:apps:deployments:optimal-system", "RequestResponse"));
        v.push(("get::pods:optimal-system", "RequestResponse"));
    } else {
        v.push(("create:apps:deployments:apps", "RequestResponse"));
        v.push(("update:coordination.k8s.io:leases:kube-system", "None"));
        v.push(("get::pods:apps", "Request"));
    }
    v
}

/// Runs the audit level test on a policy file; `Err` names every request whose level differs.
fn audit_levels(file: &Path, expected: &[(&str, &str)]) -> Result<(), Failed> {
    let mut args = vec!["audit"];
    args.extend(expected.iter().map(|(r, _)| *r));
    let (ok, out) = checker(&args, &[file])?;
    if !ok {
        return Err(format!("the API server refuses the audit policy:\n{out}").into());
    }
    let mut wrong = Vec::new();
    for (req, level) in expected {
        let line = format!("{req} {level}");
        if !out.lines().any(|l| l == line) {
            wrong.push(format!("{req}: expected {level}"));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("audit levels differ: {wrong:?}\n{out}").into())
    }
}

fn apiserver(path: &str, check: &str) -> Result<(), Failed> {
    let all = artifacts(path)?;
    let dir = scratch(&format!("apiserver-{check}-{path}"))?;
    let file = match check {
        "encryption" => "encryption-config.yaml",
        "authentication" => "authentication-config.yaml",
        "audit" => "audit-policy.yaml",
        _ => "audit-webhook.kubeconfig",
    };
    let a = find(&all, &format!("apiserver/{file}"))?;
    let f = write(&dir, file, &a.bytes)?;
    if check == "audit" {
        audit_levels(&f, &expected_levels(path))?;
    } else {
        let (ok, out) = checker(&[check], &[&f])?;
        if !ok {
            return Err(format!("the API server refuses {file}:\n{out}").into());
        }
    }
    // The flags file loads exactly the files emitted.
    let flags = String::from_utf8_lossy(&find(&all, "apiserver/flags")?.bytes).into_owned();
    let flag = match check {
        "encryption" => "--encryption-provider-config=",
        "authentication" => "--authentication-config=",
        "audit" => "--audit-policy-file=",
        _ => "--audit-webhook-config-file=",
    };
    if !flags
        .lines()
        .any(|l| l.starts_with(flag) && l.ends_with(&format!("/{file}")))
    {
        return Err(format!("the flags do not load {file}:\n{flags}").into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

type Negative = fn() -> Result<(), Failed>;

const NEGATIVE: &[(&str, Negative)] = &[
    ("identity-first", neg_identity_first),
    ("kms-without-endpoint", neg_kms_without_endpoint),
    ("misordered-audit-policy", neg_misordered_audit),
    ("kubeconfig-with-credentials", neg_kubeconfig_credentials),
    (
        "authentication-unknown-field",
        neg_authentication_unknown_field,
    ),
];

/// Runs the checker on a changed copy of an emitted file; the checker must refuse it.
fn refused(name: &str, file: &str, check: &str, change: impl Fn(&mut Value)) -> Result<(), Failed> {
    let all = artifacts(EXAMPLE)?;
    // One directory per negative control: they run in parallel.
    let dir = scratch(&format!("negative-{name}"))?;
    let mut v = yaml(find(&all, &format!("apiserver/{file}"))?)?;
    // Control: unchanged, the file is accepted.
    let f = write(&dir, file, emit::to_yaml(&v).as_bytes())?;
    let (ok, out) = checker(&[check], &[&f])?;
    if !ok {
        return Err(format!("the unchanged {file} is refused:\n{out}").into());
    }
    change(&mut v);
    let f = write(&dir, file, emit::to_yaml(&v).as_bytes())?;
    let (ok, out) = checker(&[check], &[&f])?;
    if ok {
        return Err(format!("the API server's checks accept a broken {file}:\n{out}").into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn neg_identity_first() -> Result<(), Failed> {
    refused(
        "identity-first",
        "encryption-config.yaml",
        "encryption",
        |v| {
            if let Some(p) = v["resources"][0]["providers"].as_array_mut() {
                p.reverse();
            }
        },
    )
}

fn neg_kms_without_endpoint() -> Result<(), Failed> {
    refused(
        "kms-without-endpoint",
        "encryption-config.yaml",
        "encryption",
        |v| {
            if let Some(kms) = v["resources"][0]["providers"][0]["kms"].as_object_mut() {
                kms.remove("endpoint");
            }
        },
    )
}

fn neg_kubeconfig_credentials() -> Result<(), Failed> {
    refused(
        "kubeconfig-with-credentials",
        "audit-webhook.kubeconfig",
        "kubeconfig",
        |v| {
            v["users"][0]["user"]["token"] = Value::from("canary-token");
        },
    )
}

fn neg_authentication_unknown_field() -> Result<(), Failed> {
    refused(
        "authentication-unknown-field",
        "authentication-config.yaml",
        "authentication",
        |v| {
            v["jwt"][0]["issuer"]["audience"] = Value::from("kubernetes");
        },
    )
}

/// The default rule moved first: the policy still loads, but the level test fails (secrets
/// would be logged with their bodies).
fn neg_misordered_audit() -> Result<(), Failed> {
    let all = artifacts(EXAMPLE)?;
    let dir = scratch("negative-misordered-audit-policy")?;
    let mut v = yaml(find(&all, "apiserver/audit-policy.yaml")?)?;
    let rules = v["rules"].as_array_mut().ok_or("no rules")?;
    let last = rules.pop().ok_or("no rules")?;
    rules.insert(0, last);
    let f = write(&dir, "audit-policy.yaml", emit::to_yaml(&v).as_bytes())?;
    match audit_levels(&f, &expected_levels(EXAMPLE)) {
        Ok(()) => Err("a misordered audit policy passes the level test".into()),
        Err(e)
            if e.message()
                .is_some_and(|m| m.contains("get::secrets:optimal-system: expected Metadata")) =>
        {
            let _ = std::fs::remove_dir_all(&dir);
            Ok(())
        }
        Err(e) => Err(format!(
            "the misordered policy failed for another reason: {}",
            e.message().unwrap_or_default()
        )
        .into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Canary

/// The variable that makes the test binary act as the `posture` CLI (`main.rs`), so the build
/// runs as a process of its own with the canary in its environment.
pub(crate) const AS_CLI: &str = "POSTURE_TESTS_AS_CLI";

const CANARY: &str = "pc4n4ry-7f3e9b1d2a6c8e0f";

fn canary_environment() -> Result<(), Failed> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = scratch("canary")?;
    let out = dir.join("out");
    let example = root().join(EXAMPLE);
    let posture = |args: &[&str]| -> Result<(bool, String), Failed> {
        let mut cmd = Command::new(&exe);
        cmd.env(AS_CLI, "1")
            // What a CI runner or a developer's shell may hold while posture runs.
            .env("VAULT_TOKEN", CANARY)
            .env("AWS_SECRET_ACCESS_KEY", CANARY)
            .env("AWS_SESSION_TOKEN", CANARY)
            .env("GOOGLE_APPLICATION_CREDENTIALS", CANARY)
            .env("AZURE_CLIENT_SECRET", CANARY)
            .env("KEYCLOAK_ADMIN_PASSWORD", CANARY)
            .env("POSTURE_CANARY", CANARY)
            .env("NO_COLOR", "1")
            .args(args);
        run(&mut cmd)
    };
    let o = out.to_string_lossy().into_owned();
    let e = example.to_string_lossy().into_owned();
    let mut texts = Vec::new();
    for args in [
        vec![
            "build",
            e.as_str(),
            "-o",
            o.as_str(),
            "--today",
            "2026-11-27",
        ],
        vec![
            "check",
            e.as_str(),
            "--today",
            "2026-11-27",
            "--format",
            "json",
        ],
        vec!["coverage", e.as_str(), "--today", "2026-11-27"],
    ] {
        let (ok, text) = posture(&args)?;
        if !ok && args[0] == "build" {
            return Err(format!("posture build failed:\n{text}").into());
        }
        texts.push((format!("posture {}", args.join(" ")), text));
    }
    let mut files = 0;
    let mut all_output = String::new();
    for f in tests::inputs::files_under(&out, "") {
        let bytes = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        files += 1;
        texts.push((f.display().to_string(), text.clone()));
        all_output.push_str(&text);
    }
    if files == 0 {
        return Err("posture build wrote no file".into());
    }
    for (what, text) in &texts {
        if text.contains(CANARY) {
            return Err(format!("the canary leaked into {what}").into());
        }
    }
    // The references do pass through: store paths and key names.
    for reference in [
        "db/password",
        "jwt/signing-key",
        "database-password",
        "corp/idp",
    ] {
        if !all_output.contains(reference) {
            return Err(format!("the output lacks the reference `{reference}`").into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
