//! The keycloak and rbac targets, judged by their consumers: Keycloak 26.5 itself and the
//! Kubernetes API schemas.
//!
//! - `identity::models/…`: the typed realm models read every realm file of the reference data
//!   (keycloak-config-cli's import files, vendored in `tests/conformance/identity/`) and Keycloak's own export of our realm.
//! - `identity::import-export`: `kc.sh import --file` of the example's realm exits 0 (dev-file
//!   database in a scratch folder), and `kc.sh export` of it holds everything we declared,
//!   compared field by field; the API client's roles are exactly the permissions.
//! - `identity::negative/broken-composite`: a realm whose role includes an undeclared role is
//!   refused by `kc.sh import`.
//! - `identity::server`: ONE server start on 127.0.0.1 (HTTPS with a throw-away certificate, a
//!   free port, local caches), with a test-only overlay of the production realm (a user per
//!   role and a test client; neither is ever in the output) and a widened copy of it: tokens
//!   carry exactly the role's `roles` and `permissions`, the API's audience and the access
//!   lifespan; users of MFA roles get no token by password alone, through the direct grant
//!   or the browser login form; production clients refuse the direct grant; `max_failures`
//!   wrong passwords lock the account (and one fewer does not); the Kubernetes client's token
//!   carries the API server's audience and the roles in the groups claim; the widened copy
//!   fails the claims check (negative control); the sign-in chain end to end: a real
//!   kube-apiserver with the emitted AuthenticationConfiguration (issuer and CA pointed at this
//!   server) and the emitted RBAC gives the viewer's and developer's ID tokens exactly the
//!   decisions their roles say, and refuses a token with a broken signature. The server is
//!   stopped by its PID, always.
//! - `identity::rbac/…`: every RBAC object passes `kubernetes-validate --strict` for 1.33 and
//!   1.35, an unknown field fails it; the bindings name the groups the API server's
//!   AuthenticationConfiguration produces.

use crate::root;
use crate::support::{run, scratch as support_scratch, tool};
use emit::Artifact;
use keycloak::model;
use libtest_mimic::{Failed, Trial};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EXAMPLE: &str = "examples/optimal-platform";
const KEYCLOAK: &str = "POSTURE_TOOL_KEYCLOAK";

pub(crate) fn trials() -> Vec<Trial> {
    vec![
        Trial::test("identity::models/reference-exports", reference_exports),
        Trial::test("identity::import-export", import_export),
        Trial::test("identity::negative/broken-composite", broken_composite),
        Trial::test("identity::server", server),
        Trial::test("identity::rbac/kubernetes-validate", rbac_validate),
        Trial::test("identity::rbac/negative", rbac_negative),
        Trial::test("identity::rbac/groups", rbac_groups),
        Trial::test("identity::vault-name", vault_name),
    ]
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn scratch(name: &str) -> Result<PathBuf, Failed> {
    support_scratch("identity", name)
}

struct Built {
    posture: ir::Posture,
    artifacts: Vec<Artifact>,
}

fn build() -> Result<Built, Failed> {
    let b = driver::build(
        &cli::FsWorld,
        &root().join(EXAMPLE),
        &tests::options(),
        &driver::targets::TargetOptions::default(),
    )
    .map_err(|d| d.message.clone())?;
    if b.has_errors() {
        let codes: Vec<&str> = b.diagnostics().iter().map(|d| d.code.id).collect();
        return Err(format!("{EXAMPLE} does not build: {codes:?}").into());
    }
    let posture = b
        .checked
        .posture
        .clone()
        .ok_or("the example built no posture")?;
    Ok(Built {
        posture,
        artifacts: b.artifacts,
    })
}

fn realm_json(b: &Built) -> Result<Value, Failed> {
    let a = b
        .artifacts
        .iter()
        .find(|a| a.path == "keycloak/optimal-realm.json")
        .ok_or("keycloak/optimal-realm.json was not emitted")?;
    serde_json::from_slice(&a.bytes).map_err(|e| format!("{}: {e}", a.path).into())
}

fn write_json(dir: &Path, name: &str, v: &Value) -> Result<PathBuf, Failed> {
    let f = dir.join(name);
    std::fs::write(&f, emit::to_json(v)).map_err(|e| format!("{}: {e}", f.display()))?;
    Ok(f)
}

/// `--db-url` of a dev-file database in `dir`.
fn db_url(dir: &Path) -> String {
    format!(
        "--db-url=jdbc:h2:file:{}/kc;NON_KEYWORDS=VALUE",
        dir.join("db").display()
    )
}

/// `kc.sh import --file` into a fresh database in `dir`: `(exit 0, output)`.
fn kc_import(dir: &Path, file: &Path) -> Result<(bool, String), Failed> {
    let kc = tool(KEYCLOAK)?;
    run(Command::new(kc)
        .args(["import", "--optimized"])
        .arg(db_url(dir))
        .arg("--file")
        .arg(file))
}

// ---------------------------------------------------------------------------------------------
// Models

/// The reference realm files, vendored from the shared data collection
/// (`tests/conformance/identity/SOURCES.md`).
fn reference_dir() -> Result<PathBuf, Failed> {
    let dir = root().join("tests/conformance/identity/keycloak-config-cli");
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!("{} is missing", dir.display()).into())
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn reference_exports() -> Result<(), Failed> {
    let dir = reference_dir()?;
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    files.sort();
    let mut realms = 0;
    let mut templates = 0;
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        // keycloak-config-cli's templates (`$${javascript: …}` where Keycloak wants a
        // boolean) are substituted by that tool before Keycloak sees them: not realm files.
        if text.contains("${javascript:") {
            templates += 1;
            continue;
        }
        let v: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            // Not JSON at all (a template with placeholders): not a realm file.
            Err(_) => continue,
        };
        if v.get("realm").is_none() {
            continue; // not a realm representation (a user profile, a client, …)
        }
        realms += 1;
        if let Err(e) = serde_json::from_value::<model::Realm>(v) {
            failures.push(format!("{}: {e}", f.display()));
        }
    }
    if realms < 100 || templates > 10 {
        return Err(format!(
            "{realms} realm files and {templates} templates under {}",
            dir.display()
        )
        .into());
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {realms} realm files do not read:\n{}",
            failures.len(),
            failures.join("\n")
        )
        .into())
    }
}

// ---------------------------------------------------------------------------------------------
// Import and export

/// The key that identifies an element of a list of objects.
fn element_key(v: &Value) -> Option<(&'static str, String)> {
    for k in [
        "name",
        "clientId",
        "alias",
        "username",
        "authenticator",
        "flowAlias",
    ] {
        if let Some(s) = v.get(k).and_then(Value::as_str) {
            return Some((k, s.to_string()));
        }
    }
    None
}

/// Lists of names to which Keycloak adds its built-ins on import.
const KEYCLOAK_ADDS: &[(&str, &str)] = &[("/defaultOptionalClientScopes", "offline_access")];

/// Every difference between what we declared and what Keycloak exported: each declared field
/// must be exported with the same value; lists of scalars are compared as sets; lists of
/// objects element by element, matched by name.
fn differences(declared: &Value, exported: &Value, path: &str, out: &mut Vec<String>) {
    match (declared, exported) {
        (Value::Object(d), Value::Object(e)) => {
            for (k, v) in d {
                let p = format!("{path}/{k}");
                match e.get(k) {
                    Some(x) => differences(v, x, &p, out),
                    None => out.push(format!("{p}: declared {v}, not exported")),
                }
            }
        }
        (Value::Array(d), Value::Array(e)) if d.iter().all(|x| !x.is_object()) => {
            let ds: BTreeSet<String> = d.iter().map(Value::to_string).collect();
            let es: BTreeSet<String> = e
                .iter()
                .map(Value::to_string)
                .filter(|x| {
                    !KEYCLOAK_ADDS
                        .iter()
                        .any(|(p, n)| *p == path && *x == format!("\"{n}\""))
                })
                .collect();
            if ds != es {
                out.push(format!("{path}: declared {ds:?}, exported {es:?}"));
            }
        }
        (Value::Array(d), Value::Array(e)) => {
            for x in d {
                let Some(key) = element_key(x) else {
                    out.push(format!("{path}: an element without a name: {x}"));
                    continue;
                };
                let matches: Vec<&Value> = e
                    .iter()
                    .filter(|y| element_key(y).as_ref() == Some(&key))
                    .collect();
                match matches.as_slice() {
                    [one] => differences(x, one, &format!("{path}[{}]", key.1), out),
                    _ => out.push(format!(
                        "{path}: {} `{}` exported {} times",
                        key.0,
                        key.1,
                        matches.len()
                    )),
                }
            }
        }
        (d, e) if d == e => {}
        (d, e) => out.push(format!("{path}: declared {d}, exported {e}")),
    }
}

fn import_export() -> Result<(), Failed> {
    let b = build()?;
    let realm = realm_json(&b)?;
    let dir = scratch("import-export")?;
    let file = write_json(&dir, "optimal-realm.json", &realm)?;
    let (ok, out) = kc_import(&dir, &file)?;
    if !ok {
        return Err(format!("kc.sh import refuses the realm:\n{out}").into());
    }
    let exported_file = dir.join("export.json");
    let kc = tool(KEYCLOAK)?;
    let (ok, out) = run(Command::new(kc)
        .args(["export", "--optimized"])
        .arg(db_url(&dir))
        .args(["--realm", "optimal", "--file"])
        .arg(&exported_file))?;
    if !ok {
        return Err(format!("kc.sh export fails:\n{out}").into());
    }
    let text = std::fs::read_to_string(&exported_file)
        .map_err(|e| format!("{}: {e}", exported_file.display()))?;
    let exported: Value = serde_json::from_str(&text).map_err(|e| format!("export: {e}"))?;
    serde_json::from_value::<model::Realm>(exported.clone())
        .map_err(|e| format!("the models do not read Keycloak's export: {e}"))?;
    let mut diffs = Vec::new();
    differences(&realm, &exported, "", &mut diffs);
    // Exact sets where a superset would grant more: the API client's roles are the
    // permissions, and the realm roles are ours plus Keycloak's three built-ins.
    let names = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let declared_perms = names(&realm["roles"]["client"]["api-gateway"]);
    let exported_perms = names(&exported["roles"]["client"]["api-gateway"]);
    if declared_perms.len() != 6 || declared_perms != exported_perms {
        diffs.push(format!(
            "api-gateway's roles: declared {declared_perms:?}, exported {exported_perms:?}"
        ));
    }
    let mut expected_roles = names(&realm["roles"]["realm"]);
    expected_roles.extend(
        [
            "default-roles-optimal",
            "offline_access",
            "uma_authorization",
        ]
        .map(String::from),
    );
    let exported_roles = names(&exported["roles"]["realm"]);
    if expected_roles != exported_roles {
        diffs.push(format!(
            "realm roles: expected {expected_roles:?}, exported {exported_roles:?}"
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("the export differs from the realm:\n{}", diffs.join("\n")).into())
    }
}

fn broken_composite() -> Result<(), Failed> {
    let b = build()?;
    let mut realm = realm_json(&b)?;
    let roles = realm["roles"]["realm"]
        .as_array_mut()
        .ok_or("no realm roles")?;
    let viewer = roles
        .iter_mut()
        .find(|r| r["name"] == "viewer")
        .ok_or("no viewer role")?;
    viewer["composite"] = json!(true);
    viewer["composites"]["realm"] = json!(["no-such-role"]);
    let dir = scratch("broken-composite")?;
    let file = write_json(&dir, "broken-realm.json", &realm)?;
    let (ok, out) = kc_import(&dir, &file)?;
    let _ = std::fs::remove_dir_all(&dir);
    if ok {
        return Err(
            format!("kc.sh import accepts a composite of an undeclared role:\n{out}").into(),
        );
    }
    // Refused for that reason, not another.
    if !out.contains("Unable to find composite realm role: no-such-role") {
        return Err(format!("kc.sh import fails, but not on the composite:\n{out}").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The server

/// A Keycloak server process, stopped by its PID and reaped when dropped.
///
/// `kc.sh start` runs Java as its own child and forwards SIGTERM to it, so the server is
/// started as the leader of a process group of its own, and stopping signals that group (the
/// leader's PID, negated): SIGTERM, then SIGKILL if it has not exited within 30 seconds.
struct Server {
    child: Child,
    base: String,
    cert: PathBuf,
    log: PathBuf,
}

impl Server {
    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                // The shell is gone; make sure nothing of its group survives it.
                self.signal_group("-KILL");
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        self.signal_group("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, Failed> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    Ok(l.local_addr().map_err(|e| format!("{e}"))?.port())
}

impl Server {
    /// Starts the server on the database in `dir` and waits until the realm answers.
    fn start(dir: &Path) -> Result<Server, Failed> {
        let kc = tool(KEYCLOAK)?;
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        let (ok, out) = run(Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert))?;
        if !ok {
            return Err(format!("openssl cannot make the test certificate:\n{out}").into());
        }
        let port = free_port()?;
        let log = dir.join("server.log");
        let logf = std::fs::File::create(&log).map_err(|e| format!("{e}"))?;
        let errf = logf.try_clone().map_err(|e| format!("{e}"))?;
        let child = Command::new(kc)
            .args(["start", "--optimized"])
            .arg(db_url(dir))
            .args([
                "--http-enabled=false",
                "--http-host=127.0.0.1",
                "--hostname-strict=false",
            ])
            .arg(format!("--https-port={port}"))
            .arg(format!("--https-certificate-file={}", cert.display()))
            .arg(format!("--https-certificate-key-file={}", key.display()))
            .arg(format!("--vault-dir={}", dir.display()))
            .stdin(Stdio::null())
            .stdout(logf)
            .stderr(errf)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start Keycloak: {e}"))?;
        let mut server = Server {
            child,
            base: format!("https://127.0.0.1:{port}"),
            cert,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("Keycloak exited ({status}):\n{}", server.log_tail()).into());
            }
            let (code, _) = server.curl(&["-o", "/dev/null"], "/realms/optimal")?;
            if code == 200 {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(
                    format!("Keycloak did not answer in 300 s:\n{}", server.log_tail()).into(),
                );
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// `curl` of `path` (or an absolute URL): `(HTTP status, body)`.
    fn curl(&self, args: &[&str], path: &str) -> Result<(u16, String), Failed> {
        let url = if path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let out = Command::new("curl")
            .args(["-s", "--max-time", "30", "--cacert"])
            .arg(&self.cert)
            .args(["-w", "\n%{http_code}"])
            .args(args)
            .arg(&url)
            .output()
            .map_err(|e| format!("cannot run curl: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        Ok((code.trim().parse().unwrap_or(0), body.to_string()))
    }

    /// The password grant: the token response (or the error response).
    fn password_grant(&self, client: &str, user: &str, password: &str) -> Result<Value, Failed> {
        self.password_grant_in("optimal", client, user, password)
    }

    /// The password grant in another realm of the server.
    fn password_grant_in(
        &self,
        realm: &str,
        client: &str,
        user: &str,
        password: &str,
    ) -> Result<Value, Failed> {
        let (_, body) = self.curl(
            &[
                "-d",
                "grant_type=password",
                "-d",
                &format!("client_id={client}"),
                "-d",
                &format!("username={user}"),
                "--data-urlencode",
                &format!("password={password}"),
                "-d",
                "scope=openid",
            ],
            &format!("/realms/{realm}/protocol/openid-connect/token"),
        )?;
        serde_json::from_str(&body).map_err(|e| format!("token response {body:?}: {e}").into())
    }

    /// Drives the browser login form of `client` (authorization code with PKCE) as `user`:
    /// `Ok(Some(code))` when Keycloak redirects back with a code, `Ok(None)` with where it
    /// sent the user instead.
    fn browser_login(
        &self,
        dir: &Path,
        client: &str,
        redirect: &str,
        user: &str,
        password: &str,
    ) -> Result<(Option<String>, String), Failed> {
        let jar = dir.join(format!("cookies-{client}-{user}"));
        let _ = std::fs::remove_file(&jar);
        let jar_s = jar.display().to_string();
        let auth = format!(
            "/realms/optimal/protocol/openid-connect/auth?client_id={client}&redirect_uri={}\
             &response_type=code&scope=openid&code_challenge={PKCE_CHALLENGE}\
             &code_challenge_method=S256",
            urlencode(redirect)
        );
        let (code, html) = self.curl(&["-c", &jar_s, "-b", &jar_s], &auth)?;
        if code != 200 {
            return Err(format!("the login page answers {code}: {html}").into());
        }
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .ok_or("the login page has no form")?
            .replace("&amp;", "&");
        let headers = dir.join(format!("headers-{client}-{user}"));
        let headers_s = headers.display().to_string();
        let (status, _) = self.curl(
            &[
                "-c",
                &jar_s,
                "-b",
                &jar_s,
                "-D",
                &headers_s,
                "--data-urlencode",
                &format!("username={user}"),
                "--data-urlencode",
                &format!("password={password}"),
            ],
            &action,
        )?;
        let h = std::fs::read_to_string(&headers).unwrap_or_default();
        let location = h
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| format!("(status {status}, no redirect)"));
        let code = location
            .strip_prefix(redirect)
            .and_then(|q| q.split(['?', '&']).find_map(|kv| kv.strip_prefix("code=")))
            .map(str::to_string);
        Ok((code, location))
    }

    /// Redeems an authorization code of `client` (public, PKCE).
    fn redeem(&self, client: &str, redirect: &str, code: &str) -> Result<Value, Failed> {
        let (_, body) = self.curl(
            &[
                "-d",
                "grant_type=authorization_code",
                "-d",
                &format!("client_id={client}"),
                "--data-urlencode",
                &format!("redirect_uri={redirect}"),
                "-d",
                &format!("code={code}"),
                "-d",
                &format!("code_verifier={PKCE_VERIFIER}"),
            ],
            "/realms/optimal/protocol/openid-connect/token",
        )?;
        serde_json::from_str(&body).map_err(|e| format!("token response {body:?}: {e}").into())
    }
}

/// A fixed PKCE verifier and its S256 challenge (base64url of its SHA-256, without padding);
/// a wrong pair makes Keycloak refuse the code redemption.
const PKCE_VERIFIER: &str = "dBjftJeZ4CVP-mJ0qnYSFZlGUUxaAyR-XLP2glbgi1k";
const PKCE_CHALLENGE: &str = "kN2aSNtuSjm0pALNLdHsPdwxzaWzZzgei5pFXSXGcMg";

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The claims of a JWT (not verified: the test talks to the issuer over its own TLS).
fn claims(token: &Value) -> Result<Value, String> {
    let jwt = token["access_token"]
        .as_str()
        .ok_or_else(|| format!("no access token: {token}"))?;
    let payload = jwt.split('.').nth(1).ok_or("not a JWT")?;
    let bytes = base64url(payload).ok_or("the JWT payload is not base64url")?;
    serde_json::from_slice(&bytes).map_err(|e| format!("JWT payload: {e}"))
}

fn base64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            b'=' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The test users: one per role of the realm, named after it.
fn user(role: &str) -> String {
    format!("user-{role}")
}

/// Test passwords: long enough for the realm's policy; never used outside this test.
fn password(role: &str) -> String {
    format!("Test-password-for-{role}-0")
}

/// The test client: public, with the direct grant, never in the production output.
const TEST_CLIENT: &str = "posture-test";
const TEST_REDIRECT: &str = "https://127.0.0.1/callback";

/// The production realm with test users (one per role, two more viewers for the lockout
/// checks) and the test client. Only users and one client are added.
fn overlay(realm: &Value, roles: &[String]) -> Value {
    let mut v = realm.clone();
    let mut users: Vec<Value> = roles
        .iter()
        .map(|r| {
            json!({
                "username": user(r), "enabled": true, "email": format!("{}@test.invalid", user(r)),
                "emailVerified": true, "firstName": "Test", "lastName": r,
                "credentials": [{"type": "password", "value": password(r), "temporary": false}],
                "realmRoles": [r],
            })
        })
        .collect();
    for extra in ["lockout-a", "lockout-b"] {
        users.push(json!({
            "username": user(extra), "enabled": true, "email": format!("{}@test.invalid", user(extra)),
            "emailVerified": true, "firstName": "Test", "lastName": extra,
            "credentials": [{"type": "password", "value": password(extra), "temporary": false}],
            "realmRoles": ["viewer"],
        }));
    }
    v["users"] = Value::Array(users);
    let scopes = v["defaultDefaultClientScopes"].clone();
    if let Some(clients) = v["clients"].as_array_mut() {
        clients.push(json!({
            "clientId": TEST_CLIENT, "enabled": true, "protocol": "openid-connect",
            "publicClient": true, "standardFlowEnabled": true, "directAccessGrantsEnabled": true,
            "redirectUris": [TEST_REDIRECT], "webOrigins": [],
            "attributes": {"pkce.code.challenge.method": "S256"},
            "defaultClientScopes": scopes, "optionalClientScopes": [],
        }));
    }
    v
}

/// The overlay with one permission more for `viewer` (`sbom:write`), as realm `widened`.
fn widened(overlay: &Value) -> Value {
    let mut v = overlay.clone();
    v["realm"] = json!("widened");
    if let Some(roles) = v["roles"]["realm"].as_array_mut() {
        for r in roles {
            if r["name"] == "viewer" {
                r["composites"]["client"]["api-gateway"] =
                    json!(["vulnerabilities:read", "sbom:read", "sbom:write"]);
            }
        }
    }
    v
}

/// The claims a role's token must carry, from the posture: its roles, its permissions
/// (with those of the roles it includes), the API's audience, the access lifespan.
fn check_claims(p: &ir::Posture, role: &ir::identity::Role, token: &Value) -> Result<(), String> {
    let realm = &p.identity.realms[&ir::Name::new("optimal")];
    let c = claims(token)?;
    let set = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut want_perms: BTreeSet<String> = BTreeSet::new();
    let mut want_roles: BTreeSet<String> = BTreeSet::new();
    let mut todo = vec![role];
    while let Some(r) = todo.pop() {
        if !want_roles.insert(r.name.to_string()) {
            continue;
        }
        want_perms.extend(r.permissions.iter().map(ToString::to_string));
        todo.extend(r.includes.iter().filter_map(|i| realm.roles.get(i)));
    }
    if realm.mfa_required_for.contains(&role.name) {
        want_roles.insert(keycloak::MFA_ROLE.to_string());
    }
    let mut problems = Vec::new();
    if set(&c["permissions"]) != want_perms {
        problems.push(format!(
            "permissions {:?}, the posture grants {want_perms:?}",
            set(&c["permissions"])
        ));
    }
    if set(&c["roles"]) != want_roles {
        problems.push(format!(
            "roles {:?}, expected {want_roles:?}",
            set(&c["roles"])
        ));
    }
    let aud = match &c["aud"] {
        Value::String(s) => BTreeSet::from([s.clone()]),
        other => set(other),
    };
    if !aud.contains("api-gateway") {
        problems.push(format!("audience {aud:?} lacks api-gateway"));
    }
    let lifespan = c["exp"].as_i64().unwrap_or(0) - c["iat"].as_i64().unwrap_or(0);
    let want = realm.tokens.map(|t| t.access.0 as i64).unwrap_or(-1);
    if lifespan != want {
        problems.push(format!("lifespan {lifespan} s, the posture says {want} s"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("`{}`'s token: {}", role.name, problems.join("; ")))
    }
}

fn server() -> Result<(), Failed> {
    let b = build()?;
    let p = &b.posture;
    let realm_ir = p
        .identity
        .realms
        .get(&ir::Name::new("optimal"))
        .ok_or("no realm optimal")?;
    let realm = realm_json(&b)?;
    // The production realm has no users and no test client: they come from the overlay only.
    let production = emit::to_json(&realm);
    if realm.get("users").is_some() || production.contains(TEST_CLIENT) {
        return Err("the production realm holds users or the test client".into());
    }
    let roles: Vec<String> = realm_ir.roles.keys().map(ToString::to_string).collect();
    let test = overlay(&realm, &roles);
    let dir = scratch("server")?;
    let files = dir.join("realms");
    std::fs::create_dir_all(&files).map_err(|e| format!("{e}"))?;
    write_json(&files, "optimal-realm.json", &test)?;
    write_json(&files, "widened-realm.json", &widened(&test))?;
    let kc = tool(KEYCLOAK)?;
    let (ok, out) = run(Command::new(&kc)
        .args(["import", "--optimized"])
        .arg(db_url(&dir))
        .arg("--dir")
        .arg(&files))?;
    if !ok {
        return Err(format!("kc.sh import refuses the test overlay:\n{out}").into());
    }
    let server = Server::start(&dir)?;
    let mut problems: Vec<String> = Vec::new();

    // Claims of every role without MFA; no token by password alone for those with MFA.
    for role in realm_ir.roles.values() {
        let r = role.name.as_str();
        let token = server.password_grant(TEST_CLIENT, &user(r), &password(r))?;
        let mfa = keycloak_requires_mfa(realm_ir, role);
        match (mfa, token.get("access_token").is_some()) {
            (true, true) => problems.push(format!(
                "`{r}` requires MFA but the direct grant gave a token by password alone"
            )),
            (true, false) => {}
            (false, false) => problems.push(format!("`{r}` got no token: {token}")),
            (false, true) => {
                if let Err(e) = check_claims(p, role, &token) {
                    problems.push(e);
                }
            }
        }
        // The browser flow: the login form must not hand out a code by password alone.
        let (code, location) =
            server.browser_login(&dir, TEST_CLIENT, TEST_REDIRECT, &user(r), &password(r))?;
        match (mfa, code) {
            (true, Some(_)) => problems.push(format!(
                "`{r}` requires MFA but the login form gave a code by password alone"
            )),
            (true, None) if !location.contains("CONFIGURE_TOTP") => problems.push(format!(
                "`{r}`: the login form sent the user to {location}, not to OTP enrolment"
            )),
            (false, None) => {
                problems.push(format!("`{r}`: the login form gave no code: {location}"))
            }
            _ => {}
        }
    }

    // Production clients refuse the direct grant.
    for c in realm["clients"].as_array().into_iter().flatten() {
        let id = c["clientId"].as_str().unwrap_or_default();
        let t = server.password_grant(id, &user("viewer"), &password("viewer"))?;
        if t.get("access_token").is_some() {
            problems.push(format!(
                "production client `{id}` issues tokens by the direct grant"
            ));
        }
    }

    // The Kubernetes client: the API server's audience, the roles in the groups claim.
    if let Some(o) = &p.target.oidc {
        let redirect = keycloak::KUBELOGIN_REDIRECTS[0];
        let (code, location) = server.browser_login(
            &dir,
            &o.client_id,
            redirect,
            &user("viewer"),
            &password("viewer"),
        )?;
        match code {
            None => problems.push(format!("the Kubernetes client gave no code: {location}")),
            Some(code) => {
                let t = server.redeem(&o.client_id, redirect, &code)?;
                match claims(&t) {
                    Err(e) => problems.push(format!("the Kubernetes client's token: {e}")),
                    Ok(c) => {
                        let aud = c["aud"].to_string();
                        if !aud.contains(&format!("\"{}\"", o.client_id)) {
                            problems.push(format!("the Kubernetes token's audience is {aud}"));
                        }
                        let groups = c[o.groups_claim.as_str()].to_string();
                        if !groups.contains("\"viewer\"") {
                            problems.push(format!(
                                "the Kubernetes token's `{}` claim is {groups}",
                                o.groups_claim
                            ));
                        }
                        if c[o.username_claim.as_str()] != json!(user("viewer")) {
                            problems.push(format!(
                                "the Kubernetes token's `{}` is {}",
                                o.username_claim,
                                c[o.username_claim.as_str()]
                            ));
                        }
                    }
                }
            }
        }
    }

    // The sign-in chain end to end: tokens of the Kubernetes client, presented to a real API
    // server configured with the emitted AuthenticationConfiguration (its issuer pointed at
    // this test server) and holding the emitted RBAC, get exactly the decisions the roles say.
    if let Some(o) = &p.target.oidc {
        match sign_in_chain(&server, &dir, &b, &o.client_id) {
            Ok(more) => problems.extend(more),
            Err(e) => problems.push(format!(
                "sign-in chain: {}",
                e.message().map_or("failed", |m| m)
            )),
        }
    }

    // Brute force: `max_failures` wrong passwords lock the account; one fewer does not.
    if let Some(bf) = realm_ir.brute_force {
        let wrong = |u: &str, n: u32| -> Result<(), Failed> {
            for _ in 0..n {
                // Slower than Keycloak's quick-login check (1 s), so only the failure count
                // locks.
                std::thread::sleep(Duration::from_millis(1100));
                let t = server.password_grant(TEST_CLIENT, u, "a-wrong-password-000")?;
                if t.get("access_token").is_some() {
                    return Err("a wrong password gave a token".into());
                }
            }
            std::thread::sleep(Duration::from_millis(1100));
            Ok(())
        };
        wrong(&user("lockout-a"), bf.max_failures - 1)?;
        let t = server.password_grant(TEST_CLIENT, &user("lockout-a"), &password("lockout-a"))?;
        if t.get("access_token").is_none() {
            problems.push(format!(
                "{} wrong passwords already lock the account: {t}",
                bf.max_failures - 1
            ));
        }
        wrong(&user("lockout-b"), bf.max_failures)?;
        let t = server.password_grant(TEST_CLIENT, &user("lockout-b"), &password("lockout-b"))?;
        if t.get("access_token").is_some() {
            problems.push(format!(
                "{} wrong passwords do not lock the account",
                bf.max_failures
            ));
        }
    }

    // Negative control: the widened realm's viewer token fails the claims check.
    let viewer = realm_ir
        .roles
        .get(&ir::Name::new("viewer"))
        .ok_or("no viewer role")?;
    let t =
        server.password_grant_in("widened", TEST_CLIENT, &user("viewer"), &password("viewer"))?;
    if t.get("access_token").is_none() {
        problems.push(format!("the widened realm gave no token: {t}"));
    } else if check_claims(p, viewer, &t).is_ok() {
        problems.push("a widened permission mapping passes the claims check".into());
    }

    let log = server.log_tail();
    drop(server);
    if problems.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    } else {
        Err(format!("{}\n--- server log ---\n{log}", problems.join("\n")).into())
    }
}

/// The Kubernetes client's token of `role`'s test user (the browser flow, as kubelogin runs it).
fn kubernetes_token(
    server: &Server,
    dir: &Path,
    client: &str,
    role: &str,
) -> Result<String, Failed> {
    let redirect = keycloak::KUBELOGIN_REDIRECTS[0];
    let (code, location) =
        server.browser_login(dir, client, redirect, &user(role), &password(role))?;
    let code =
        code.ok_or_else(|| format!("`{role}`: the Kubernetes client gave no code: {location}"))?;
    let t = server.redeem(client, redirect, &code)?;
    // The API server takes the ID token: its audience is the client.
    t["id_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("`{role}`: no id_token: {t}").into())
}

/// Starts an API server that trusts `server` through the emitted AuthenticationConfiguration
/// and holds the emitted RBAC; asks it what the developer's and the viewer's tokens may do.
fn sign_in_chain(
    server: &Server,
    dir: &Path,
    b: &Built,
    client: &str,
) -> Result<Vec<String>, Failed> {
    let artifact = |path: &str| -> Result<Value, Failed> {
        let a = b
            .artifacts
            .iter()
            .find(|a| a.path == path)
            .ok_or_else(|| format!("{path} was not emitted"))?;
        serde_saphyr::from_str(&String::from_utf8_lossy(&a.bytes))
            .map_err(|e| format!("{path}: {e}").into())
    };
    // Only the deployment-specific parts change: the issuer's URL (this server's) and the CA
    // that signs its certificate. Claims, prefixes and audiences stay as emitted.
    let mut authn = artifact("apiserver/authentication-config.yaml")?;
    let realm_url = format!("{}/realms/optimal", server.base);
    let ca = std::fs::read_to_string(&server.cert).map_err(|e| e.to_string())?;
    let issuer = authn["jwt"][0]["issuer"]
        .as_object_mut()
        .ok_or("the AuthenticationConfiguration has no jwt issuer")?;
    issuer.insert("url".into(), Value::String(realm_url));
    issuer.insert("certificateAuthority".into(), Value::String(ca));
    let cdir = dir.join("apiserver");
    std::fs::create_dir_all(&cdir).map_err(|e| e.to_string())?;
    let authn_file = cdir.join("authentication-config.json");
    std::fs::write(&authn_file, emit::to_json(&authn)).map_err(|e| e.to_string())?;
    let cluster = crate::cluster::Cluster::start(
        &cdir,
        None,
        &[format!("--authentication-config={}", authn_file.display())],
    )?;
    // No controller manager runs, so the built-in aggregated role `view` is empty: fill it the
    // way its aggregation controller does, from the roles labelled to aggregate into it.
    let (code, body) = cluster.curl_as(
        crate::cluster::ADMIN_TOKEN,
        "GET",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles?labelSelector=rbac.authorization.k8s.io/aggregate-to-view%3Dtrue",
        None,
        None,
    )?;
    if code != 200 {
        return Err(format!("list the roles aggregated into view: {code} {body}").into());
    }
    let list: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    let rules: Vec<Value> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["rules"].as_array().cloned().unwrap_or_default())
        .collect();
    if rules.is_empty() {
        return Err("no role aggregates into view".into());
    }
    let (code, body) = cluster.curl_as(
        crate::cluster::ADMIN_TOKEN,
        "PATCH",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/view",
        Some(&json!({"rules": rules})),
        None,
    )?;
    if code != 200 {
        return Err(format!("fill view: {code} {body}").into());
    }
    // The emitted RBAC.
    for a in b.artifacts.iter().filter(|a| a.path.starts_with("rbac/")) {
        let docs: Vec<Value> = serde_saphyr::from_multiple(&String::from_utf8_lossy(&a.bytes))
            .map_err(|e| format!("{}: {e}", a.path))?;
        for d in docs.into_iter().filter(|d| !d.is_null()) {
            let ns = d["metadata"]["namespace"].as_str();
            if let Some(ns) = ns {
                let _ = cluster.create(
                    "/api/v1/namespaces",
                    &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                );
            }
            let path = crate::cluster::rest_path(
                d["apiVersion"].as_str().unwrap_or_default(),
                d["kind"].as_str().unwrap_or_default(),
                ns,
                "",
            );
            cluster.create(path.trim_end_matches('/'), &d)?;
        }
    }
    let mut problems = Vec::new();
    let review = |token: &str| -> Result<(u16, Value), Failed> {
        let (code, body) = cluster.curl_as(
            token,
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Some(&json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
            None,
        )?;
        Ok((code, serde_json::from_str(&body).unwrap_or(Value::Null)))
    };
    let can = |token: &str,
               ns: &str,
               verb: &str,
               group: &str,
               resource: &str|
     -> Result<(bool, String), Failed> {
        let (code, body) = cluster.curl_as(
            token,
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            Some(&json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"namespace": ns, "verb": verb, "group": group, "resource": resource}}})),
            None,
        )?;
        if code != 201 {
            return Err(format!("SelfSubjectAccessReview: {code} {body}").into());
        }
        let v: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        Ok((v["status"]["allowed"] == true, v["status"].to_string()))
    };
    // (role, namespace, verb, group, resource, allowed)
    let expectations: &[(&str, &str, &str, &str, &str, bool)] = &[
        ("viewer", "optimal-system", "get", "", "pods", true),
        ("viewer", "keycloak", "list", "apps", "deployments", true),
        ("viewer", "optimal-system", "create", "", "pods", false),
        ("viewer", "optimal-system", "get", "", "secrets", false),
        (
            "developer",
            "optimal-system",
            "create",
            "apps",
            "deployments",
            true,
        ),
        ("developer", "optimal-system", "delete", "", "pods", true),
        ("developer", "optimal-system", "get", "", "secrets", false),
        (
            "developer",
            "keycloak",
            "create",
            "apps",
            "deployments",
            false,
        ),
        (
            "developer",
            "optimal-system",
            "create",
            "rbac.authorization.k8s.io",
            "rolebindings",
            false,
        ),
    ];
    for role in ["viewer", "developer"] {
        let token = kubernetes_token(server, dir, client, role)?;
        // The authenticator fetches the issuer's keys after the server starts: wait for it.
        let deadline = Instant::now() + Duration::from_secs(60);
        let (code, who) = loop {
            let (code, who) = review(&token)?;
            if code == 201 || Instant::now() > deadline {
                break (code, who);
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        if code != 201 {
            problems.push(format!(
                "`{role}`'s token is not accepted by the API server: {code} {who}"
            ));
            continue;
        }
        let info = &who["status"]["userInfo"];
        if info["username"] != json!(format!("oidc:{}", user(role))) {
            problems.push(format!("`{role}` signs in as {}", info["username"]));
        }
        if !info["groups"]
            .as_array()
            .is_some_and(|g| g.contains(&json!(format!("oidc:{role}"))))
        {
            problems.push(format!("`{role}`'s groups are {}", info["groups"]));
        }
        for (r, ns, verb, group, resource, allowed) in expectations {
            if *r != role {
                continue;
            }
            let (may, status) = can(&token, ns, verb, group, resource)?;
            if may != *allowed {
                problems.push(format!(
                    "`{role}` {} {verb} {group}/{resource} in {ns}: {status}",
                    if *allowed { "may not" } else { "may" }
                ));
            }
        }
        // Negative control: the same token with a broken signature is refused.
        // (A character inside the signature, not its last, whose low bits may be padding.)
        let at = token
            .rfind('.')
            .map_or(0, |i| i + 10)
            .min(token.len().saturating_sub(1));
        let mut broken = token.clone();
        let swap = if token.as_bytes().get(at) == Some(&b'A') {
            "B"
        } else {
            "A"
        };
        broken.replace_range(at..=at, swap);
        if review(&broken)?.0 != 401 {
            problems.push(format!(
                "a `{role}` token with a broken signature is accepted"
            ));
        }
    }
    Ok(problems)
}

/// True when the role, or a role it includes, is in `mfa.required_for`.
fn keycloak_requires_mfa(realm: &ir::identity::Realm, role: &ir::identity::Role) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![role];
    while let Some(r) = todo.pop() {
        if !seen.insert(r.name.clone()) {
            continue;
        }
        if realm.mfa_required_for.contains(&r.name) {
            return true;
        }
        todo.extend(r.includes.iter().filter_map(|i| realm.roles.get(i)));
    }
    false
}

// ---------------------------------------------------------------------------------------------
// RBAC

fn rbac_files(b: &Built, dir: &Path) -> Result<Vec<PathBuf>, Failed> {
    let mut out = Vec::new();
    for a in b.artifacts.iter().filter(|a| a.target == rbac::TARGET) {
        let f = dir.join(a.path.replace('/', "_"));
        std::fs::write(&f, &a.bytes).map_err(|e| format!("{}: {e}", f.display()))?;
        out.push(f);
    }
    if out.is_empty() {
        return Err("no rbac/ artifact".into());
    }
    Ok(out)
}

fn rbac_validate() -> Result<(), Failed> {
    let kv = tool("POSTURE_TOOL_KUBERNETES_VALIDATE")?;
    let b = build()?;
    let dir = scratch("rbac")?;
    let files = rbac_files(&b, &dir)?;
    for version in ["1.33.0", "1.35.0"] {
        let (ok, out) = run(Command::new(&kv)
            .args(["--strict", "-k", version])
            .args(&files))?;
        if !ok || out.contains("ERROR") {
            return Err(format!("kubernetes-validate {version} rejects rbac/:\n{out}").into());
        }
        for f in &files {
            let line = out
                .lines()
                .find(|l| l.contains(&f.display().to_string()))
                .unwrap_or_default();
            if !line.contains("passed") {
                return Err(
                    format!("{} was not validated by {version}: {line}", f.display()).into(),
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn rbac_negative() -> Result<(), Failed> {
    let kv = tool("POSTURE_TOOL_KUBERNETES_VALIDATE")?;
    let b = build()?;
    let a = b
        .artifacts
        .iter()
        .find(|a| a.target == rbac::TARGET)
        .ok_or("no rbac/ artifact")?;
    let mut v: Value =
        serde_saphyr::from_slice(&a.bytes).map_err(|e| format!("{}: {e}", a.path))?;
    v["roleRef"]["namespace"] = json!("default"); // RoleRef has no such field
    let dir = scratch("rbac-negative")?;
    let f = dir.join("broken.yaml");
    std::fs::write(&f, emit::to_yaml(&v)).map_err(|e| format!("{e}"))?;
    for version in ["1.33.0", "1.35.0"] {
        let (ok, out) = run(Command::new(&kv).args(["--strict", "-k", version]).arg(&f))?;
        if ok && !out.contains("ERROR") {
            return Err(
                format!("kubernetes-validate {version} accepts an unknown field:\n{out}").into(),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Each binding's subject is the group the AuthenticationConfiguration produces for the
/// role (`groups_prefix` + role), and each mapped role has its bindings.
fn rbac_groups() -> Result<(), Failed> {
    let b = build()?;
    let o = b.posture.target.oidc.as_ref().ok_or("no target oidc")?;
    let auth = b
        .artifacts
        .iter()
        .find(|a| a.path == "apiserver/authentication-config.yaml")
        .ok_or("no AuthenticationConfiguration")?;
    let auth: Value =
        serde_saphyr::from_slice(&auth.bytes).map_err(|e| format!("authentication: {e}"))?;
    let groups = &auth["jwt"][0]["claimMappings"]["groups"];
    if groups["claim"] != json!(o.groups_claim) || groups["prefix"] != json!(o.groups_prefix) {
        return Err(format!("the AuthenticationConfiguration maps groups as {groups}").into());
    }
    let mut bound: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut docs: Vec<Value> = Vec::new();
    for a in b.artifacts.iter().filter(|a| a.target == rbac::TARGET) {
        // One multi-document file per namespace (and `_cluster.yaml`).
        let text = std::str::from_utf8(&a.bytes).map_err(|e| format!("{}: {e}", a.path))?;
        docs.extend(
            serde_saphyr::from_multiple::<Value>(text).map_err(|e| format!("{}: {e}", a.path))?,
        );
    }
    for v in &docs {
        if v["kind"] == "ClusterRole" {
            continue;
        }
        for s in v["subjects"].as_array().into_iter().flatten() {
            bound
                .entry(s["name"].as_str().unwrap_or_default().to_string())
                .or_default()
                .insert(
                    v["roleRef"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
        }
    }
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (role, m) in &b.posture.identity.kubernetes_rbac {
        want.entry(format!("{}{role}", o.groups_prefix))
            .or_default()
            .insert(m.cluster_role.to_string());
    }
    if bound != want {
        return Err(format!("bindings {bound:?}, the posture maps {want:?}").into());
    }
    Ok(())
}

/// The federation's `${vault.KEY}` is read from the file `<realm>_<KEY>`, which the secrets
/// target's ExternalSecret writes: one name, used by both.
fn vault_name() -> Result<(), Failed> {
    let b = build()?;
    let realm = realm_json(&b)?;
    let mut checked = 0;
    for idp in realm["identityProviders"].as_array().into_iter().flatten() {
        let secret = idp["config"]["clientSecret"].as_str().unwrap_or_default();
        let key = secret
            .strip_prefix("${vault.")
            .and_then(|s| s.strip_suffix('}'))
            .ok_or_else(|| format!("clientSecret {secret:?} is not a vault reference"))?;
        let file = ir::secrets::keycloak_vault_file(&ir::Name::new("optimal"), &ir::Name::new(key));
        let mut found = false;
        for a in b.artifacts.iter().filter(|a| a.target == secrets::TARGET) {
            let text = std::str::from_utf8(&a.bytes).map_err(|e| format!("{}: {e}", a.path))?;
            let docs: Vec<Value> =
                serde_saphyr::from_multiple(text).map_err(|e| format!("{}: {e}", a.path))?;
            found |= docs.iter().any(|d| {
                d["kind"] == "ExternalSecret"
                    && d["spec"]["data"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|x| x["secretKey"] == json!(file))
            });
        }
        if !found {
            return Err(format!("no ExternalSecret writes the vault file {file}").into());
        }
        checked += 1;
    }
    if checked == 0 {
        return Err("the example's realm has no federation".into());
    }
    Ok(())
}
