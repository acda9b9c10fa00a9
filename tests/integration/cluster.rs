//! `posture apply`, `posture diff --live` and `posture verify --live` against a real API
//! server: kube-apiserver v1.33.13 and etcd v3.6.16, built by `cargo xtask tools`, started
//! ONCE on 127.0.0.1 (generated certificates, static tokens, RBAC authorization, the build's
//! own audit policy with a log backend).
//!
//! - `cluster::bundle/refused`: a directory that is not a build (P8001) and a build edited
//!   after `posture build` (P8002) are refused before any cluster is contacted.
//! - `cluster::server`: one sequence on one server — unreachable (P8004), unknown context
//!   (P8003), kinds not served (P8005), a missing namespace (P8009) and credentials without
//!   rights (P8006) apply nothing; a dry run
//!   persists nothing; apply creates every object in order; a second apply changes nothing
//!   (same resourceVersions); `diff --live` is empty, then names an out-of-band edit as drift
//!   with its field and manager (exit 3), and apply repairs it; `--admission audit` switches
//!   the policies to audit with a warning and `diff --live` shows it, then an apply on two
//!   contexts at once enforces them again; a second posture on the same
//!   cluster survives the first one's prune, and so does an object no posture owns, while the
//!   policy removed from the first posture is pruned; `verify --live` reports the policies
//!   not ready (no controller runs), then ready once their status says so, what it may not
//!   read as not-evaluated (a reader allowed only namespaces), and an apply that is refused
//!   half-way (at RBAC) reports what it applied and what not, Falco/Keycloak/API-server as
//!   not-evaluated, and its document passes the OSCAL 1.1.3 assessment-results schema; a
//!   synthetic posture of 1,000 workloads (issue 17's layout) is accepted by a dry run and a
//!   real apply, and a second dry run sends every object to the server unchanged; the build's
//!   audit policy logs a Secret `get` at `Metadata`, never with its data.

use crate::root;
use crate::secrets::AS_CLI;
use crate::support::{run, scratch as support_scratch, tool};
use libtest_mimic::{Failed, Trial};
use serde_json::{Value, json};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EXAMPLE: &str = "examples/optimal-platform";

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test("cluster::bundle/refused", bundle_refused),
        Trial::test("cluster::server", server),
    ]
}

fn scratch(name: &str) -> Result<PathBuf, Failed> {
    support_scratch("cluster", name)
}

/// `posture ARGS` as a process of its own (the live commands read `KUBECONFIG` from their
/// environment): `(exit code, stdout, stderr)`.
fn posture(kubeconfig: Option<&Path>, args: &[&str]) -> Result<(i32, String, String), Failed> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.env(AS_CLI, "1")
        .env("NO_COLOR", "1")
        .env("POSTURE_TODAY", "2026-06-01")
        .env_remove("KUBECONFIG")
        .args(args);
    if let Some(k) = kubeconfig {
        cmd.env("KUBECONFIG", k);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run posture: {e}"))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

fn expect(what: &str, got: (i32, String, String), code: i32) -> Result<(String, String), Failed> {
    let (c, out, err) = got;
    if c != code {
        return Err(
            format!("{what}: exit {c}, expected {code}\nstdout:\n{out}\nstderr:\n{err}").into(),
        );
    }
    Ok((out, err))
}

fn build(src: &Path, out: &Path) -> Result<(), Failed> {
    let (s, o) = (src.to_string_lossy(), out.to_string_lossy());
    expect(
        &format!("posture build {s}"),
        posture(None, &["build", &s, "-o", &o])?,
        0,
    )?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Failed> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for e in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let e = e.map_err(|e| e.to_string())?;
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()))?;
        } else {
            std::fs::copy(&p, to.join(e.file_name()))
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

fn bundle_refused() -> Result<(), Failed> {
    let dir = scratch("bundle-refused")?;
    // Not a build: no manifest.json.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).map_err(|e| e.to_string())?;
    let (_, err) = expect(
        "apply of a directory without manifest",
        posture(None, &["apply", &empty.to_string_lossy()])?,
        2,
    )?;
    if !err.contains("error[P8001]") {
        return Err(format!("expected P8001:\n{err}").into());
    }
    // A build edited after it was written: refused, whatever the cluster.
    let out = dir.join("out");
    build(&root().join(EXAMPLE), &out)?;
    let file = out.join("network/optimal-system.yaml");
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    std::fs::write(&file, text.replace("port: 53", "port: 5353")).map_err(|e| e.to_string())?;
    let (_, err) = expect(
        "apply of a modified build",
        posture(None, &["apply", &out.to_string_lossy()])?,
        1,
    )?;
    if !err.contains("error[P8002]")
        || !err.contains("network/optimal-system.yaml changed after the build")
    {
        return Err(format!("expected P8002 naming the file:\n{err}").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The server

/// A process started as the leader of its own group, killed with its group when dropped.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(cmd: &mut Command, log: PathBuf) -> Result<Proc, Failed> {
    let f = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let g = f.try_clone().map_err(|e| e.to_string())?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(f)
        .stderr(g)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    Ok(Proc { child, log })
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn free_port() -> Result<u16, Failed> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    Ok(l.local_addr().map_err(|e| format!("{e}"))?.port())
}

/// etcd and kube-apiserver, and what a client needs to reach them.
pub(crate) struct Cluster {
    // Dropped in this order: the API server before its etcd.
    _apiserver: Proc,
    _etcd: Proc,
    base: String,
    ca: PathBuf,
    kubeconfig: PathBuf,
    audit_log: PathBuf,
}

pub(crate) const ADMIN_TOKEN: &str = "posture-test-admin";
const READER_TOKEN: &str = "posture-test-reader";

fn openssl(args: &[&str], dir: &Path) -> Result<(), Failed> {
    let (ok, out) = run(Command::new("openssl").current_dir(dir).args(args))?;
    if !ok {
        return Err(format!("openssl {args:?}:\n{out}").into());
    }
    Ok(())
}

impl Cluster {
    /// Starts etcd and the API server in `dir`; `audit_policy`, when given, with a log backend
    /// to `dir/audit.log`; `extra` API-server flags.
    pub(crate) fn start(
        dir: &Path,
        audit_policy: Option<&Path>,
        extra: &[String],
    ) -> Result<Cluster, Failed> {
        let etcd_bin = tool("POSTURE_TOOL_ETCD")?;
        let apiserver_bin = tool("POSTURE_TOOL_KUBE_APISERVER")?;
        // A CA, a serving certificate for 127.0.0.1 signed by it, a service-account key.
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=posture-test-ca",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
            ],
            dir,
        )?;
        openssl(
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=kube-apiserver",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
            ],
            dir,
        )?;
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .map_err(|e| e.to_string())?;
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                "ext.cnf",
                "-out",
                "server.crt",
            ],
            dir,
        )?;
        openssl(&["genrsa", "-out", "sa.key", "2048"], dir)?;
        std::fs::write(
            dir.join("tokens.csv"),
            format!("{ADMIN_TOKEN},posture-admin,1,\"system:masters\"\n{READER_TOKEN},posture-reader,2,\"readers\"\n"),
        )
        .map_err(|e| e.to_string())?;

        let (client, peer, secure) = (free_port()?, free_port()?, free_port()?);
        let etcd = spawn(
            Command::new(etcd_bin)
                .arg("--data-dir")
                .arg(dir.join("etcd"))
                .arg(format!("--listen-client-urls=http://127.0.0.1:{client}"))
                .arg(format!("--advertise-client-urls=http://127.0.0.1:{client}"))
                .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer}"))
                .arg(format!(
                    "--initial-advertise-peer-urls=http://127.0.0.1:{peer}"
                ))
                .arg(format!("--initial-cluster=default=http://127.0.0.1:{peer}")),
            dir.join("etcd.log"),
        )?;
        let audit_log = dir.join("audit.log");
        let mut audit = Vec::new();
        if let Some(policy) = audit_policy {
            audit.push(format!("--audit-policy-file={}", policy.display()));
            audit.push(format!("--audit-log-path={}", audit_log.display()));
        }
        let apiserver = spawn(
            Command::new(apiserver_bin)
                .current_dir(dir)
                .arg(format!("--etcd-servers=http://127.0.0.1:{client}"))
                .arg("--bind-address=127.0.0.1")
                .arg(format!("--secure-port={secure}"))
                .arg("--tls-cert-file=server.crt")
                .arg("--tls-private-key-file=server.key")
                .arg("--client-ca-file=ca.crt")
                .arg("--service-account-issuer=https://kubernetes.default.svc")
                .arg("--service-account-key-file=sa.key")
                .arg("--service-account-signing-key-file=sa.key")
                .arg("--service-cluster-ip-range=10.96.0.0/12")
                .arg("--token-auth-file=tokens.csv")
                .arg("--authorization-mode=RBAC")
                .args(&audit)
                .args(extra)
                .arg("--cert-dir=certs"),
            dir.join("apiserver.log"),
        )?;
        let ca = dir.join("ca.crt");
        let base = format!("https://127.0.0.1:{secure}");
        let kubeconfig = dir.join("kubeconfig");
        let closed = free_port()?;
        // A typed value, written as JSON (which every kubeconfig reader takes as YAML).
        let ca_path = ca.to_string_lossy();
        let context = |name: &str, cluster: &str, user: &str| json!({"name": name, "context": {"cluster": cluster, "user": user}});
        let config = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "test", "cluster": {"server": base, "certificate-authority": ca_path}},
                {"name": "nowhere", "cluster": {"server": format!("https://127.0.0.1:{closed}"), "certificate-authority": ca_path}},
            ],
            "users": [
                {"name": "admin", "user": {"token": ADMIN_TOKEN}},
                {"name": "reader", "user": {"token": READER_TOKEN}},
            ],
            "contexts": [
                context("test", "test", "admin"),
                context("test2", "test", "admin"),
                context("reader", "test", "reader"),
                context("nowhere", "nowhere", "admin"),
            ],
            "current-context": "test",
        });
        std::fs::write(
            &kubeconfig,
            serde_json::to_vec_pretty(&config).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let cluster = Cluster {
            _apiserver: apiserver,
            _etcd: etcd,
            base,
            ca,
            kubeconfig,
            audit_log,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok((200, _)) = cluster.curl("GET", "/readyz", None) {
                // The default namespaces are made by the API server's own controller.
                if let Ok((200, _)) = cluster.curl("GET", "/api/v1/namespaces/kube-system", None) {
                    return Ok(cluster);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the API server was not ready in 120 s:\n{}\netcd:\n{}",
                    tail(&cluster._apiserver.log),
                    tail(&cluster._etcd.log)
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// `curl` as the admin: `(HTTP status, body)`. `body` is sent as JSON (or, for PATCH,
    /// a merge patch).
    fn curl(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, String), Failed> {
        self.curl_as(ADMIN_TOKEN, method, path, body, None)
    }

    pub(crate) fn curl_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        manager: Option<&str>,
    ) -> Result<(u16, String), Failed> {
        let url = match manager {
            Some(m) => format!("{}{path}?fieldManager={m}", self.base),
            None => format!("{}{path}", self.base),
        };
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "--max-time", "30", "-X", method, "--cacert"])
            .arg(&self.ca)
            .arg("-H")
            .arg(format!("Authorization: Bearer {token}"))
            .args(["-w", "\n%{http_code}"]);
        if let Some(b) = body {
            let ct = if method == "PATCH" {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            // Through a file: a CRD is larger than a command line may be.
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let file = self.ca.with_file_name(format!("body-{n}.json"));
            std::fs::write(&file, serde_json::to_vec(b).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
            cmd.arg("-H")
                .arg(format!("Content-Type: {ct}"))
                .arg("--data-binary")
                .arg(format!("@{}", file.display()));
        }
        let out = cmd.arg(&url).output().map_err(|e| format!("curl: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        Ok((code.trim().parse().unwrap_or(0), body.to_string()))
    }

    fn get(&self, path: &str) -> Result<Option<Value>, Failed> {
        let (code, body) = self.curl("GET", path, None)?;
        match code {
            200 => Ok(Some(
                serde_json::from_str(&body).map_err(|e| format!("{path}: {e}"))?,
            )),
            404 => Ok(None),
            c => Err(format!("GET {path}: {c} {body}").into()),
        }
    }

    pub(crate) fn create(&self, path: &str, body: &Value) -> Result<(), Failed> {
        let (code, text) = self.curl("POST", path, Some(body))?;
        if code != 201 && code != 200 {
            return Err(format!("POST {path}: {code} {text}").into());
        }
        Ok(())
    }

    /// Installs every CRD of `files` and waits until each is established.
    fn install_crds(&self, files: &[PathBuf]) -> Result<(), Failed> {
        let mut names = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            let docs: Vec<Value> =
                serde_saphyr::from_multiple(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            for d in docs.into_iter().filter(|d| !d.is_null()) {
                names.push(
                    d["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
                self.create(
                    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                    &d,
                )?;
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        for n in names {
            loop {
                let crd = self.get(&format!(
                    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{n}"
                ))?;
                let established = crd
                    .as_ref()
                    .and_then(|c| c.pointer("/status/conditions"))
                    .and_then(Value::as_array)
                    .is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c["type"] == "Established" && c["status"] == "True")
                    });
                if established {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!("CRD {n} not established in 60 s").into());
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        Ok(())
    }

    /// `(path, resourceVersion)` of every object the example applies, from the server.
    fn versions(&self, paths: &[String]) -> Result<Vec<(String, String)>, Failed> {
        paths
            .iter()
            .map(|p| {
                let v = self.get(p)?.ok_or_else(|| format!("{p} is absent"))?;
                Ok((
                    p.clone(),
                    v["metadata"]["resourceVersion"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                ))
            })
            .collect()
    }
}

/// The REST path of an object of the example's kinds.
pub(crate) fn rest_path(api_version: &str, kind: &str, ns: Option<&str>, name: &str) -> String {
    let plural = match kind {
        "Namespace" => "namespaces",
        "NetworkPolicy" => "networkpolicies",
        "ClusterRole" => "clusterroles",
        "ClusterRoleBinding" => "clusterrolebindings",
        "RoleBinding" => "rolebindings",
        "Role" => "roles",
        "SecretStore" => "secretstores",
        "ExternalSecret" => "externalsecrets",
        "Certificate" => "certificates",
        "Ingress" => "ingresses",
        "PeerAuthentication" => "peerauthentications",
        "PolicyException" => "policyexceptions",
        "ValidatingPolicy" => "validatingpolicies",
        "MutatingPolicy" => "mutatingpolicies",
        "GeneratingPolicy" => "generatingpolicies",
        "ImageValidatingPolicy" => "imagevalidatingpolicies",
        "ConfigMap" => "configmaps",
        other => return format!("/unknown-kind/{other}"),
    };
    let prefix = if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    };
    match ns {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{plural}/{name}"),
        None => format!("{prefix}/{plural}/{name}"),
    }
}

/// An object of a build: `(apiVersion, kind, namespace, name)`.
type Obj = (String, String, Option<String>, String);

/// Every object of a build's applyable files.
fn objects(out: &Path) -> Result<Vec<Obj>, Failed> {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(out.join("manifest.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mut v = Vec::new();
    for f in manifest["files"]
        .as_array()
        .ok_or("manifest has no files")?
    {
        if f["applyable"] != true {
            continue;
        }
        let path = out.join(f["path"].as_str().unwrap_or_default());
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text).map_err(|e| e.to_string())?;
        for d in docs.into_iter().filter(|d| !d.is_null()) {
            v.push((
                d["apiVersion"].as_str().unwrap_or_default().to_string(),
                d["kind"].as_str().unwrap_or_default().to_string(),
                d["metadata"]["namespace"].as_str().map(str::to_string),
                d["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    Ok(v)
}

fn step(name: &str, r: Result<(), Failed>) -> Result<(), Failed> {
    r.map_err(|e| format!("step `{name}`: {}", e.message().map_or("failed", |m| m)).into())
}

fn server() -> Result<(), Failed> {
    let dir = scratch("server")?;
    let out = dir.join("out");
    build(&root().join(EXAMPLE), &out)?;
    let cluster = Cluster::start(&dir, Some(&out.join("apiserver/audit-policy.yaml")), &[])?;
    let kc = cluster.kubeconfig.clone();
    let o = out.to_string_lossy().into_owned();
    let objs = objects(&out)?;
    let paths: Vec<String> = objs
        .iter()
        .map(|(a, k, n, m)| rest_path(a, k, n.as_deref(), m))
        .collect();

    step(
        "refusals before anything is applied",
        (|| {
            // An unreachable server.
            let (_, err) = expect(
                "apply to nowhere",
                posture(Some(&kc), &["apply", &o, "--context", "nowhere"])?,
                1,
            )?;
            if !err.contains("error[P8004]") {
                return Err(format!("expected P8004:\n{err}").into());
            }
            // A context the kubeconfig lacks.
            let (_, err) = expect(
                "apply to an unknown context",
                posture(Some(&kc), &["apply", &o, "--context", "no-such"])?,
                1,
            )?;
            if !err.contains("error[P8003]") {
                return Err(format!("expected P8003:\n{err}").into());
            }
            // No CRDs: the Kyverno, external-secrets, cert-manager and Istio kinds are not served.
            let (_, err) = expect("apply without CRDs", posture(Some(&kc), &["apply", &o])?, 1)?;
            for kind in [
                "ValidatingPolicy (policies.kyverno.io/v1)",
                "SecretStore (external-secrets.io/v1)",
                "PeerAuthentication (security.istio.io/v1)",
                "Certificate (cert-manager.io/v1)",
            ] {
                if !err.contains("error[P8005]") || !err.contains(kind) {
                    return Err(format!("expected P8005 naming {kind}:\n{err}").into());
                }
            }
            if cluster.get("/api/v1/namespaces/optimal-system")?.is_some() {
                return Err("a refused apply created a namespace".into());
            }
            let mut crds: Vec<PathBuf> = Vec::new();
            for d in [
                "tests/conformance/cluster/crds",
                "tests/conformance/kyverno/crds",
            ] {
                for e in std::fs::read_dir(root().join(d)).map_err(|e| e.to_string())? {
                    let p = e.map_err(|e| e.to_string())?.path();
                    if p.extension().is_some_and(|x| x == "yaml") {
                        crds.push(p);
                    }
                }
            }
            crds.sort();
            cluster.install_crds(&crds)?;
            // The PolicyException lives in Kyverno's namespace, which the build does not create.
            let (_, err) = expect(
                "apply without the kyverno namespace",
                posture(Some(&kc), &["apply", &o])?,
                1,
            )?;
            if !err.contains("error[P8009]") || !err.contains("kyverno") {
                return Err(format!("expected P8009 naming kyverno:\n{err}").into());
            }
            if cluster.get("/api/v1/namespaces/optimal-system")?.is_some() {
                return Err("a refused apply created a namespace".into());
            }
            cluster.create(
                "/api/v1/namespaces",
                &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kyverno"}}),
            )?;
            // Credentials without rights: forbidden, named, nothing applied.
            let (_, err) = expect(
                "apply as a reader",
                posture(Some(&kc), &["apply", &o, "--context", "reader"])?,
                1,
            )?;
            if !err.contains("error[P8006]") || !err.contains("forbidden") {
                return Err(format!("expected P8006 quoting the server:\n{err}").into());
            }
            if cluster.get("/api/v1/namespaces/optimal-system")?.is_some() {
                return Err("a forbidden apply created a namespace".into());
            }
            Ok(())
        })(),
    )?;

    step(
        "dry run persists nothing",
        (|| {
            let (stdout, _) = expect(
                "apply --dry-run",
                posture(Some(&kc), &["apply", &o, "--dry-run"])?,
                0,
            )?;
            if !stdout.contains("created NetworkPolicy optimal-system/default-deny-all (dry run)") {
                return Err(format!("dry run does not report the objects:\n{stdout}").into());
            }
            for p in &paths {
                if cluster.get(p)?.is_some() {
                    return Err(format!("the dry run persisted {p}").into());
                }
            }
            Ok(())
        })(),
    )?;

    step(
        "apply creates every object, in order",
        (|| {
            let (stdout, err) = expect("apply", posture(Some(&kc), &["apply", &o])?, 0)?;
            let created = stdout.lines().filter(|l| l.starts_with("created ")).count();
            if created != objs.len() {
                return Err(
                    format!("{created} created, the build has {}:\n{stdout}", objs.len()).into(),
                );
            }
            // Order: namespaces first, allow NetworkPolicies before default-deny ones, admission last.
            let pos = |needle: &str| {
                stdout
                    .find(needle)
                    .ok_or_else(|| format!("`{needle}` not in:\n{stdout}"))
            };
            let ns = pos("created Namespace optimal-system")?;
            let allow = pos("created NetworkPolicy optimal-system/allow-dns")?;
            let deny = pos("created NetworkPolicy optimal-system/default-deny-all")?;
            let exception = pos("created PolicyException kyverno/profiler-root")?;
            let policy = pos("created ValidatingPolicy require-run-as-non-root\n")?;
            if !(ns < allow && allow < deny && deny < exception && exception < policy) {
                return Err(format!("wrong order:\n{stdout}").into());
            }
            for folder in ["apiserver/", "falco/", "keycloak/", "oscal/", "report/"] {
                if !err.contains(folder) {
                    return Err(
                        format!("the report does not say {folder} is not applied:\n{err}").into(),
                    );
                }
            }
            // What the server holds is what the build says (a field of each kind spot-checked).
            let np = cluster
            .get("/apis/networking.k8s.io/v1/namespaces/optimal-system/networkpolicies/default-deny-all")?
            .ok_or("default-deny-all is absent")?;
            if np["spec"]["policyTypes"] != json!(["Ingress", "Egress"]) {
                return Err(format!("default-deny-all: {np}").into());
            }
            let ns = cluster
                .get("/api/v1/namespaces/optimal-system")?
                .ok_or("no namespace")?;
            if ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] != "baseline" {
                return Err(format!("namespace labels: {ns}").into());
            }
            Ok(())
        })(),
    )?;

    step(
        "a second apply changes nothing",
        (|| {
            let before = cluster.versions(&paths)?;
            let (stdout, err) = expect("apply again", posture(Some(&kc), &["apply", &o])?, 0)?;
            if stdout
                .lines()
                .any(|l| l.starts_with("created ") || l.starts_with("configured "))
            {
                return Err(format!("the second apply changed something:\n{stdout}").into());
            }
            if !err.contains(&format!(
                "0 created, 0 configured, {} unchanged",
                objs.len()
            )) {
                return Err(format!("summary:\n{err}").into());
            }
            if cluster.versions(&paths)? != before {
                return Err("a resourceVersion changed on the second apply".into());
            }
            let (stdout, _) = expect(
                "diff --live after apply",
                posture(Some(&kc), &["diff", &o, "--live"])?,
                0,
            )?;
            if !stdout.trim().is_empty() {
                return Err(format!("diff --live after apply is not empty:\n{stdout}").into());
            }
            Ok(())
        })(),
    )?;

    step(
        "drift: an out-of-band edit is reported and repaired",
        (|| {
            let p =
                "/apis/networking.k8s.io/v1/namespaces/optimal-system/networkpolicies/allow-dns";
            let (code, body) = cluster.curl_as(
                ADMIN_TOKEN,
                "PATCH",
                p,
                Some(
                    &json!({"spec": {"egress": [{"ports": [{"protocol": "TCP", "port": 5353}]}]}}),
                ),
                Some("kubectl-edit"),
            )?;
            if code != 200 {
                return Err(format!("edit: {code} {body}").into());
            }
            let (stdout, _) = expect(
                "diff --live after an edit",
                posture(Some(&kc), &["diff", &o, "--live"])?,
                3,
            )?;
            if !stdout.contains(
                "drifted NetworkPolicy optimal-system/allow-dns (written by kubectl-edit)",
            ) || !stdout.contains("spec.egress")
            {
                return Err(format!("the drift is not named:\n{stdout}").into());
            }
            if stdout.lines().filter(|l| !l.starts_with("  ")).count() != 1 {
                return Err(format!("more than the edited object differs:\n{stdout}").into());
            }
            let (json_out, _) = expect(
                "diff --live --format json",
                posture(Some(&kc), &["diff", &o, "--live", "--format", "json"])?,
                3,
            )?;
            let v: Value =
                serde_json::from_str(&json_out).map_err(|e| format!("{e}:\n{json_out}"))?;
            if v[0]["differences"][0]["change"] != "drifted" {
                return Err(format!("json: {v}").into());
            }
            let (stdout, _) = expect("apply repairs", posture(Some(&kc), &["apply", &o])?, 0)?;
            if !stdout.contains("configured NetworkPolicy optimal-system/allow-dns") {
                return Err(format!("apply did not repair the drift:\n{stdout}").into());
            }
            expect(
                "diff --live after the repair",
                posture(Some(&kc), &["diff", &o, "--live"])?,
                0,
            )?;
            // A field the build does not set, added by hand to an admission policy: drift
            // on any kind, and apply removes it (server-side apply alone would keep it).
            let vp = "/apis/policies.kyverno.io/v1/validatingpolicies/require-run-as-non-root";
            let (code, body) = cluster.curl_as(
                ADMIN_TOKEN,
                "PATCH",
                vp,
                Some(&json!({"spec": {"matchConstraints": {"excludeResourceRules": [
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
                ]}}})),
                Some("kubectl-edit"),
            )?;
            if code != 200 {
                return Err(format!("exclusion: {code} {body}").into());
            }
            let (stdout, _) = expect(
                "diff --live after an added exclusion",
                posture(Some(&kc), &["diff", &o, "--live"])?,
                3,
            )?;
            if !stdout.contains("spec.matchConstraints: written by kubectl-edit, not by posture") {
                return Err(format!("the added exclusion is not named:\n{stdout}").into());
            }
            let (stdout, _) = expect(
                "apply removes the exclusion",
                posture(Some(&kc), &["apply", &o])?,
                0,
            )?;
            if !stdout.contains("configured ValidatingPolicy require-run-as-non-root") {
                return Err(format!("apply did not touch the policy:\n{stdout}").into());
            }
            let p = cluster.get(vp)?.ok_or("no policy")?;
            if p["spec"]["matchConstraints"]
                .get("excludeResourceRules")
                .is_some()
            {
                return Err(format!(
                    "the exclusion survived apply: {}",
                    p["spec"]["matchConstraints"]
                )
                .into());
            }
            expect(
                "diff --live after removing the exclusion",
                posture(Some(&kc), &["diff", &o, "--live"])?,
                0,
            )?;
            let (stdout, _) = expect(
                "apply after the repair",
                posture(Some(&kc), &["apply", &o])?,
                0,
            )?;
            if stdout
                .lines()
                .any(|l| l.starts_with("configured ") || l.starts_with("created "))
            {
                return Err(format!("apply after the repair changed something:\n{stdout}").into());
            }
            Ok(())
        })(),
    )?;

    step(
        "prune removes only this system's objects",
        (|| {
            // A second posture on the same cluster, and an object no posture owns.
            let other_src = dir.join("other");
            std::fs::create_dir_all(&other_src).map_err(|e| e.to_string())?;
            std::fs::write(
            other_src.join("other.posture"),
            "system other-platform { title = \"Another team's platform\", impact = moderate }\ntarget { kubernetes = \"1.33\" }\nnamespace team-b { pod_security = restricted }\nnetwork {\n  default_deny = { namespaces = [team-b], directions = [ingress, egress] }\n}\n",
        )
        .map_err(|e| e.to_string())?;
            let other_out = dir.join("other-out");
            build(&other_src, &other_out)?;
            let oo = other_out.to_string_lossy().into_owned();
            expect(
                "apply of the second posture",
                posture(Some(&kc), &["apply", &oo])?,
                0,
            )?;
            cluster.create(
                "/apis/networking.k8s.io/v1/namespaces/optimal-system/networkpolicies",
                &json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": "hand-made", "namespace": "optimal-system"},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
            )?;
            // The first posture without one admission policy.
            let src = dir.join("platform");
            copy_dir(&root().join(EXAMPLE), &src)?;
            let removed = remove_admission_policy(&src, "validate require-team-label")?;
            let out2 = dir.join("out2");
            build(&src, &out2)?;
            let o2 = out2.to_string_lossy().into_owned();
            let (stdout, _) = expect(
                "apply --prune",
                posture(Some(&kc), &["apply", &o2, "--prune"])?,
                0,
            )?;
            let pruned: Vec<&str> = stdout
                .lines()
                .filter(|l| l.starts_with("pruned "))
                .collect();
            if pruned != vec![format!("pruned ValidatingPolicy {removed}").as_str()] {
                return Err(format!(
                    "prune removed {pruned:?}, expected only {removed}:\n{stdout}"
                )
                .into());
            }
            if cluster
                .get(&format!(
                    "/apis/policies.kyverno.io/v1/validatingpolicies/{removed}"
                ))?
                .is_some()
            {
                return Err("the pruned policy is still there".into());
            }
            for survivor in [
                "/apis/networking.k8s.io/v1/namespaces/team-b/networkpolicies/default-deny-all",
                "/api/v1/namespaces/team-b",
                "/apis/networking.k8s.io/v1/namespaces/optimal-system/networkpolicies/hand-made",
            ] {
                if cluster.get(survivor)?.is_none() {
                    return Err(
                        format!("{survivor} did not survive the first posture's prune").into(),
                    );
                }
            }
            // The second posture's own view: nothing of it changed.
            expect(
                "diff --live of the second posture",
                posture(Some(&kc), &["diff", &oo, "--live"])?,
                0,
            )?;
            // The first build, applied again, brings the policy back; its diff names it as added.
            let (stdout, _) = expect(
                "diff --live of the old build",
                posture(Some(&kc), &["diff", &o, "--live"])?,
                3,
            )?;
            if !stdout.contains(&format!("added ValidatingPolicy {removed}")) {
                return Err(format!(
                    "the removed policy is not `added` for the old build:\n{stdout}"
                )
                .into());
            }
            expect(
                "apply of the old build",
                posture(Some(&kc), &["apply", &o])?,
                0,
            )?;
            Ok(())
        })(),
    )?;

    step(
        "verify --live",
        (|| {
            let results = dir.join("live-results.json");
            let r = results.to_string_lossy().into_owned();
            let (stdout, _) = expect(
                "verify without a controller",
                posture(Some(&kc), &["verify", &o, "--live", "-o", &r])?,
                3,
            )?;
            let policies: Vec<&Obj> = objs
                .iter()
                .filter(|(a, k, _, _)| {
                    a.starts_with("policies.kyverno.io/") && k != "PolicyException"
                })
                .collect();
            let not_ready = stdout
                .lines()
                .filter(|l| l.starts_with("fail") && l.contains("[policy-ready]"))
                .count();
            if not_ready != policies.len() {
                return Err(format!(
                    "{not_ready} policies not ready, expected {}:\n{stdout}",
                    policies.len()
                )
                .into());
            }
            for folder in ["falco/", "keycloak/", "apiserver/"] {
                if !stdout
                    .lines()
                    .any(|l| l.starts_with("not-evaluated") && l.contains(folder))
                {
                    return Err(format!("{folder} is not `not-evaluated`:\n{stdout}").into());
                }
            }
            if stdout
                .lines()
                .any(|l| l.contains("[outside-the-cluster-api]") && !l.starts_with("not-evaluated"))
            {
                return Err(format!("something outside the API passed:\n{stdout}").into());
            }
            // The document passes the OSCAL schema; a broken copy does not (negative control).
            let cj = tool("POSTURE_TOOL_CHECK_JSONSCHEMA")?;
            let schema = root()
                .join("tests/conformance/oscal/schemas/1.1.3/oscal_assessment-results_schema.json");
            let (ok, text) = run(Command::new(&cj)
                .arg("--schemafile")
                .arg(&schema)
                .arg(&results))?;
            if !ok {
                return Err(format!("verify's document fails the OSCAL schema:\n{text}").into());
            }
            let mut doc: Value =
                serde_json::from_slice(&std::fs::read(&results).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            if let Some(o) = doc["assessment-results"].as_object_mut() {
                o.remove("import-ap");
            }
            let broken = dir.join("broken-results.json");
            std::fs::write(
                &broken,
                serde_json::to_string(&doc).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            let (ok, _) = run(Command::new(&cj)
                .arg("--schemafile")
                .arg(&schema)
                .arg(&broken))?;
            if ok {
                return Err("the schema accepts a document without import-ap".into());
            }
            // The controller's status says ready: every check passes.
            for (a, k, _, n) in &policies {
                let p = format!("{}/status", rest_path(a, k, None, n));
                let (code, body) = cluster.curl(
                    "PATCH",
                    &p,
                    Some(&json!({"status": {"conditionStatus": {"ready": true}}})),
                )?;
                if code != 200 {
                    return Err(format!("status of {n}: {code} {body}").into());
                }
            }
            let (stdout, _) = expect(
                "verify with ready policies",
                posture(Some(&kc), &["verify", &o, "--live"])?,
                0,
            )?;
            if stdout.lines().any(|l| l.starts_with("fail")) {
                return Err(format!("a check fails with ready policies:\n{stdout}").into());
            }
            // A reader may read namespaces only: the rest is not evaluated, never pass.
            cluster.create("/apis/rbac.authorization.k8s.io/v1/clusterroles", &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "posture-test-namespace-reader"}, "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]}]}))?;
            cluster.create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "posture-test-namespace-reader"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "posture-test-namespace-reader"}, "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "readers"}]}))?;
            let (stdout, _) = expect(
                "verify as a reader",
                posture(Some(&kc), &["verify", &o, "--live", "--context", "reader"])?,
                0,
            )?;
            let passed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("pass")).collect();
            if passed.len() != 3 || !passed.iter().all(|l| l.contains(" Namespace ")) {
                return Err(
                    format!("as a reader, only the 3 namespaces may pass:\n{stdout}").into(),
                );
            }
            let forbidden = stdout
                .lines()
                .filter(|l| l.starts_with("not-evaluated") && l.contains("forbidden"))
                .count();
            if forbidden != objs.len() - 3 {
                return Err(format!(
                    "{forbidden} forbidden reads, expected {}:\n{stdout}",
                    objs.len() - 3
                )
                .into());
            }
            // A run that stops half-way: the reader may now write namespaces (the first
            // phase) but nothing else; apply stops at RBAC and says what it did and did not do.
            cluster.create("/apis/rbac.authorization.k8s.io/v1/clusterroles", &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "posture-test-namespace-writer"}, "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["patch"]}]}))?;
            cluster.create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "posture-test-namespace-writer"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "posture-test-namespace-writer"}, "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "readers"}]}))?;
            // The parent ConfigMap is written first: let the reader write it too.
            cluster.create("/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles", &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "posture-test-parent", "namespace": "kube-system"}, "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "patch"]}]}))?;
            cluster.create("/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings", &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "posture-test-parent", "namespace": "kube-system"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "posture-test-parent"}, "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "readers"}]}))?;
            std::thread::sleep(Duration::from_secs(1));
            let (stdout, err) = expect(
                "apply as a namespace writer",
                posture(Some(&kc), &["apply", &o, "--context", "reader"])?,
                1,
            )?;
            let stopped = format!(
                "applied before it stopped: 3; not applied: {}",
                objs.len() - 3
            );
            if !err.contains("error[P8006]")
                || !err.contains(&stopped)
                || !err.contains("not applied: ClusterRoleBinding")
            {
                return Err(format!(
                    "the half-way stop is not reported (`{stopped}`):\n{stdout}\n{err}"
                )
                .into());
            }
            Ok(())
        })(),
    )?;

    step(
        "a synthetic posture in issue 17's layout: dry run, apply, then all unchanged",
        (|| {
            // 1,000 workloads in 100 namespaces, 5,000 intents, 100 admission and 100 runtime
            // rules, 20 roles: one multi-document file per namespace and target.
            let src = scratch("synthetic")?;
            let spec = synthetic::Spec {
                namespaces: 100,
                workloads: 1_000,
                intents: 5_000,
                policies: 100,
                rules: 100,
                roles: 20,
            };
            for f in synthetic::generate(&spec) {
                std::fs::write(src.join(&f.path), f.text)
                    .map_err(|e| format!("{}: {e}", f.path))?;
            }
            let out = scratch("synthetic-out")?;
            build(&src, &out)?;
            let objs = objects(&out)?;
            if objs.len() < 2_000 {
                return Err(format!("only {} objects in the synthetic build", objs.len()).into());
            }
            let o = out.to_string_lossy().to_string();
            expect(
                "synthetic apply --dry-run",
                posture(Some(&kc), &["apply", &o, "--dry-run"])?,
                0,
            )?;
            let (stdout, _) = expect("synthetic apply", posture(Some(&kc), &["apply", &o])?, 0)?;
            // Cluster-scoped objects it shares with the example (the standard library's
            // admission policies) exist already: configured or unchanged, not created.
            let count = |verb: &str| stdout.lines().filter(|l| l.starts_with(verb)).count();
            let (created, others) = (
                count("created "),
                count("configured ") + count("unchanged "),
            );
            if created + others != objs.len() || created + 100 < objs.len() {
                return Err(format!(
                    "{created} created and {others} configured or unchanged, the build has {}",
                    objs.len()
                )
                .into());
            }
            // Now every namespace exists, so the dry run sends every object to the server.
            let (stdout, err) = expect(
                "synthetic apply --dry-run after apply",
                posture(Some(&kc), &["apply", &o, "--dry-run"])?,
                0,
            )?;
            if stdout
                .lines()
                .any(|l| l.starts_with("created ") || l.starts_with("configured "))
                || !err.contains(&format!(
                    "0 created, 0 configured, {} unchanged",
                    objs.len()
                ))
            {
                return Err(format!("the second dry run changes something:\n{err}").into());
            }
            Ok(())
        })(),
    )?;

    step(
        "the build's audit policy: a Secret get at Metadata, never its data",
        (|| {
            const CANARY: &str = "posture-audit-canary-7f3c";
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(CANARY);
            cluster.create("/api/v1/namespaces/optimal-system/secrets", &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "audit-probe"}, "data": {"value": encoded}}))?;
            let got = cluster
                .get("/api/v1/namespaces/optimal-system/secrets/audit-probe")?
                .ok_or("no secret")?;
            if got["data"]["value"] != encoded.as_str() {
                return Err("the secret does not read back".into());
            }
            std::thread::sleep(Duration::from_secs(1));
            let log = std::fs::read_to_string(&cluster.audit_log)
                .map_err(|e| format!("audit log: {e}"))?;
            if log.contains(CANARY) || log.contains(&encoded) {
                return Err("the audit log holds the secret's data".into());
            }
            let events: Vec<Value> = log
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            let get = events
                .iter()
                .find(|e| {
                    e["verb"] == "get"
                        && e["objectRef"]["resource"] == "secrets"
                        && e["objectRef"]["name"] == "audit-probe"
                })
                .ok_or("no audit event for the secret get")?;
            if get["level"] != "Metadata"
                || get.get("responseObject").is_some()
                || get.get("requestObject").is_some()
            {
                return Err(format!("the secret get is not logged at Metadata only: {get}").into());
            }
            // Negative control: the same log holds request bodies where the policy asks for them.
            if !events.iter().any(|e| e["level"] == "RequestResponse") {
                return Err(
                    "no RequestResponse event at all: the policy in force is not the build's"
                        .into(),
                );
            }
            Ok(())
        })(),
    )?;

    Ok(())
}

/// Removes the admission policy block `header` (`validate NAME`) and its doc comment from the
/// posture in `dir`: the policy's name.
fn remove_admission_policy(dir: &Path, header: &str) -> Result<String, Failed> {
    let name = header.split_whitespace().last().unwrap_or(header);
    for e in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let p = e.map_err(|e| e.to_string())?.path();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let marker = format!("{header} ");
        let Some(start) = text.find(&marker) else {
            continue;
        };
        // The block runs to its matching closing brace.
        let open = start + text[start..].find('{').ok_or("no block")?;
        let mut depth = 0usize;
        let mut end = open;
        for (i, c) in text[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let mut line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        // With the doc comment lines above it.
        while line_start > 0 {
            let prev = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
            if text[prev..line_start].trim_start().starts_with("///") {
                line_start = prev;
            } else {
                break;
            }
        }
        let new = format!("{}{}", &text[..line_start], &text[end..]);
        std::fs::write(&p, new).map_err(|e| e.to_string())?;
        return Ok(name.to_string());
    }
    Err(format!("no `{header}` block in {}", dir.display()).into())
}
