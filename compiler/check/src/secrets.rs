//! `secrets { … }`: stores, secrets and encryption at rest; and the secret-literal detector.
//!
//! Values never live in posture files, only references to where they live. The detector
//! ([`looks_like_secret`], applied by [`scan_item`]) turns a value that looks like key material
//! or a credential into an error (P1024). Its messages never repeat the value: diagnostics end
//! up in CI logs and SARIF reports.

use crate::Top;
use crate::cx::{Attrs, Cx, Numbers, Opened, bundle_meta, is_name};
use crate::resolve::{Kind, Symbols};
use diagnostics::codes::{names as codes, secrets as scodes};
use diagnostics::{Diagnostic, Span};
use ir::Name;
use ir::secrets::*;
use std::collections::BTreeMap;
use syntax::ast::{self, Value};

const KINDS: &[&str] = &[
    "vault",
    "aws_secrets_manager",
    "gcp_secret_manager",
    "azure_key_vault",
    "kubernetes",
];

/// The attributes each store kind takes (besides `kind` and `satisfies`).
fn kind_attrs(kind: &str) -> &'static [&'static str] {
    match kind {
        "vault" => &["kind", "address", "path", "auth", "satisfies"],
        "aws_secrets_manager" => &["kind", "region", "satisfies"],
        "gcp_secret_manager" => &["kind", "project", "satisfies"],
        "azure_key_vault" => &["kind", "vault_url", "satisfies"],
        "kubernetes" => &["kind", "namespace", "satisfies"],
        _ => &[
            "kind",
            "address",
            "path",
            "auth",
            "region",
            "project",
            "vault_url",
            "namespace",
            "satisfies",
        ],
    }
}

pub(crate) fn secrets(cx: &mut Cx, syms: &mut Symbols, items: &[Top<'_>]) -> Secrets {
    let mut out = Secrets::default();
    if items.is_empty() {
        return out;
    }
    for t in items {
        scan_item(cx, t.item);
    }
    let Some(a) = Attrs::of_sections(cx, "`secrets`", items, &["encryption"]) else {
        return out;
    };
    if let Some(v) = a.get("encryption") {
        out.at_rest = encryption(cx, v);
    }
    for t in items {
        for e in t.item.entries() {
            let ast::Entry::Item(item) = e else { continue };
            match item.keyword.text.as_str() {
                "store" => {
                    if let Some(s) = store(cx, syms, t, item) {
                        out.stores.insert(s.name.clone(), s);
                    }
                }
                "secret" => {
                    if let Some(s) = secret(cx, syms, t, item) {
                        out.secrets.insert(s.name.clone(), s);
                    }
                }
                // Any other keyword was reported by the shape check.
                _ => {}
            }
        }
    }
    out
}

fn store(cx: &mut Cx, syms: &mut Symbols, t: &Top<'_>, item: &ast::Item) -> Option<Store> {
    let (n, name_span, declared) = cx.item_name(item, Some((syms, Kind::Store)))?;
    cx.k8s_name(&n, name_span, "a store's name");
    // The kind decides which attributes the store takes, so read it first.
    let kind_value = item.entries().iter().find_map(|e| match e {
        ast::Entry::Attr(a) if a.key.text == "kind" => Some(&a.value),
        _ => None,
    });
    let kind = kind_value.and_then(|v| cx.variant(v, KINDS));
    let owner = match kind {
        Some(k) => format!("store `{n}` (kind `{k}`)"),
        None => format!("store `{n}`"),
    };
    let a = Attrs::of_item(cx, owner, item, kind_attrs(kind.unwrap_or("")));
    if kind_value.is_none() {
        a.req(cx, "kind");
    }
    let store_kind = match kind? {
        "vault" => {
            let address = a.req(cx, "address").and_then(|v| cx.url(v, false));
            let path = a.req(cx, "path").and_then(|v| {
                let p = cx.token(v, "a Vault path")?;
                if p.starts_with('/') || p.ends_with('/') {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1007,
                            v.span(),
                            format!("Vault path `{p}` starts or ends with `/`"),
                        )
                        .with_help(format!("write `{}`", p.trim_matches('/'))),
                    );
                    return None;
                }
                Some(p)
            });
            let auth = a.req(cx, "auth").and_then(|v| vault_auth(cx, v));
            StoreKind::Vault {
                address: address?,
                path: path?,
                auth: auth?,
            }
        }
        "aws_secrets_manager" => {
            let region = a.req(cx, "region").and_then(|v| {
                let r = cx.string(v)?;
                if is_aws_region(&r) {
                    Some(r)
                } else {
                    cx.err(
                        Diagnostic::spanned(
                            &scodes::P7001,
                            v.span(),
                            format!("`{r}` is not an AWS region"),
                        )
                        .with_label("expected a region such as `us-east-1` or `us-gov-west-1`"),
                    );
                    None
                }
            });
            StoreKind::AwsSecretsManager { region: region? }
        }
        "gcp_secret_manager" => {
            let project = a.req(cx, "project").and_then(|v| {
                let p = cx.string(v)?;
                if is_gcp_project(&p) {
                    Some(p)
                } else {
                    cx.err(
                        Diagnostic::spanned(&scodes::P7001, v.span(), format!("`{p}` is not a GCP project id"))
                            .with_help("project ids are 6 to 30 lowercase letters, digits and `-`, starting with a letter"),
                    );
                    None
                }
            });
            StoreKind::GcpSecretManager { project: project? }
        }
        "azure_key_vault" => {
            let url = a.req(cx, "vault_url").and_then(|v| {
                let u = cx.url(v, false)?;
                if is_azure_vault_url(&u.0) {
                    Some(u)
                } else {
                    cx.err(
                        Diagnostic::spanned(&scodes::P7001, v.span(), format!("`{}` is not an Azure Key Vault URL", u.0))
                            .with_label("expected `https://NAME.vault.azure.net`")
                            .with_note("Key Vault hosts end in `.vault.azure.net`, `.vault.usgovcloudapi.net`, `.vault.azure.cn` or `.managedhsm.azure.net`"),
                    );
                    None
                }
            });
            StoreKind::AzureKeyVault { vault_url: url? }
        }
        _ => {
            let ns = a.req(cx, "namespace").and_then(|v| cx.name(v));
            if let Some((ns, span)) = &ns {
                syms.refer(Kind::Namespace, ns, *span);
            }
            StoreKind::Kubernetes { namespace: ns?.0 }
        }
    };
    let meta = bundle_meta(cx, t, item, &a);
    if !declared {
        return None;
    }
    Some(Store {
        name: n,
        kind: store_kind,
        meta,
    })
}

fn vault_auth(cx: &mut Cx, v: &Value) -> Option<VaultAuth> {
    let entries = cx.map(v)?;
    let a = Attrs::new(
        cx,
        "`auth`",
        v.span(),
        entries,
        &["method", "role", "mount"],
    );
    let method = a
        .req(cx, "method")
        .and_then(|v| cx.variant(v, &["kubernetes"]));
    let role = a.req(cx, "role").and_then(|v| cx.token(v, "a Vault role"));
    let mount = a
        .get("mount")
        .and_then(|v| cx.token(v, "a Vault auth mount"));
    method?;
    Some(VaultAuth::Kubernetes { role: role?, mount })
}

fn secret(cx: &mut Cx, syms: &mut Symbols, t: &Top<'_>, item: &ast::Item) -> Option<Secret> {
    let Opened {
        name: n,
        span: name_span,
        first: declared,
        attrs: a,
    } = cx.open(
        item,
        Some((syms, Kind::Secret)),
        "secret",
        &[
            "namespace",
            "store",
            "keys",
            "rotate",
            "sealed",
            "satisfies",
        ],
    )?;
    cx.k8s_name(&n, name_span, "a secret's name");
    let namespace = a.req(cx, "namespace").and_then(|v| cx.name(v));
    if let Some((ns, span)) = &namespace {
        syms.refer(Kind::Namespace, ns, *span);
    }
    let store = a.req(cx, "store").and_then(|v| cx.name(v));
    if let Some((s, span)) = &store {
        syms.refer(Kind::Store, s, *span);
    }
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    if let Some(v) = a.req(cx, "keys") {
        // A key set twice is reported by `map`.
        if let Some(entries) = cx.map(v) {
            for e in &entries {
                let k = e.key.text.as_str();
                if !is_secret_key(k) {
                    cx.err(
                        Diagnostic::spanned(&scodes::P7002, e.key.span, format!("`{k}` is not a valid secret key"))
                            .with_label("not a valid Secret data key")
                            .with_help("secret keys are at most 253 letters, digits, `-`, `_` and `.`, and not `.` or `..`"),
                    );
                    continue;
                }
                let Some(path) = cx.string(&e.value) else {
                    continue;
                };
                if path.trim().is_empty() {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1006,
                            e.value.span(),
                            format!("key `{k}` of secret `{n}` has an empty path"),
                        )
                        .with_help("give the path of the value in the store: `\"db/password\"`"),
                    );
                    continue;
                }
                keys.insert(k.to_string(), path);
            }
            if entries.is_empty() {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1006,
                        v.span(),
                        format!("secret `{n}` has no keys"),
                    )
                    .with_help("map each key of the Secret to a path in the store: `keys = { \"password\" = \"db/password\" }`"),
                );
            }
        }
    }
    let rotate = a.get("rotate").and_then(|v| cx.duration(v));
    let sealed = a.get("sealed").and_then(|v| cx.bool(v)).unwrap_or(false);
    let meta = bundle_meta(cx, t, item, &a);
    if !declared {
        return None;
    }
    Some(Secret {
        name: n,
        namespace: namespace?.0,
        store: store?.0,
        keys,
        rotate,
        sealed,
        meta,
    })
}

fn encryption(cx: &mut Cx, v: &Value) -> Option<AtRest> {
    let entries = cx.map(v)?;
    let a = Attrs::new(cx, "`encryption`", v.span(), entries, &["at_rest"]);
    let at = a.req(cx, "at_rest")?;
    let entries = cx.map(at)?;
    let ra = Attrs::new(cx, "`at_rest`", at.span(), entries, &["resources", "kms"]);
    let mut resources: Vec<String> = Vec::new();
    if let Some(rv) = ra.req(cx, "resources") {
        if let Some(list) = cx.list(rv) {
            let mut seen: BTreeMap<String, Span> = BTreeMap::new();
            for r in list {
                let Some((text, span)) = cx.word(r, "a resource", Numbers::No, None) else {
                    continue;
                };
                if !is_resource(&text) {
                    cx.err(
                        Diagnostic::spanned(&codes::P1007, span, format!("`{text}` is not a Kubernetes resource"))
                            .with_help("write the plural resource, with its group when not core: `secrets`, `configmaps`, `deployments.apps`, `*.*`"),
                    );
                    continue;
                }
                if let Some(first) = seen.get(&text) {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1010,
                            span,
                            format!("resource `{text}` is listed twice"),
                        )
                        .with_secondary(*first, "first listed here"),
                    );
                    continue;
                }
                seen.insert(text.clone(), span);
                resources.push(text);
            }
            if !list.is_empty() && !resources.iter().any(|r| covers_secrets(r)) {
                cx.err(
                    Diagnostic::spanned(
                        &scodes::P7003,
                        rv.span(),
                        "encryption at rest does not cover `secrets`",
                    )
                    .with_help("add `secrets`: Kubernetes Secrets are the resource encryption at rest exists for"),
                );
            }
            if list.is_empty() {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1006,
                        rv.span(),
                        "encryption at rest lists no resources",
                    )
                    .with_help("add `resources = [secrets]`"),
                );
            }
        }
    }
    let kms = ra.req(cx, "kms").and_then(|kv| {
        let k = cx.string(kv)?;
        if is_kms_reference(&k) {
            Some(k)
        } else {
            cx.err(
                Diagnostic::spanned(&scodes::P7001, kv.span(), format!("`{k}` is not a KMS key reference"))
                    .with_label("expected an AWS KMS key ARN, a GCP `projects/…/cryptoKeys/…` name or an `https://` key URL")
                    .with_help("write `\"arn:aws:kms:REGION:ACCOUNT:key/ID\"`"),
            );
            None
        }
    });
    Some(AtRest {
        resources,
        kms: kms?,
    })
}

/// `secrets`, `*.` (every core resource) or `*.*` (everything).
fn covers_secrets(r: &str) -> bool {
    matches!(r, "secrets" | "*." | "*.*")
}

/// A resource in an EncryptionConfiguration: `secrets`, `deployments.apps`, `*.apps`, `*.*`.
fn is_resource(r: &str) -> bool {
    !r.is_empty()
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '*'))
        && !r.starts_with('.')
}

/// `^[a-z]{2}(-gov)?-[a-z]+-\d$`.
pub(crate) fn is_aws_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let (geo, rest) = match parts.as_slice() {
        [geo, "gov", rest @ ..] => (*geo, rest),
        [geo, rest @ ..] => (*geo, rest),
        [] => return false,
    };
    let lower = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    geo.len() == 2
        && lower(geo)
        && matches!(rest, [dir, n] if lower(dir) && n.len() == 1 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A GCP project id: 6–30 characters, lowercase letters, digits and `-`, starting with a letter
/// and not ending with `-` (optionally after a `domain:` prefix).
fn is_gcp_project(s: &str) -> bool {
    let id = s.rsplit_once(':').map(|(_, id)| id).unwrap_or(s);
    (6..=30).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_azure_vault_url(u: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        ".vault.azure.net",
        ".vault.usgovcloudapi.net",
        ".vault.azure.cn",
        ".vault.microsoftazure.de",
        ".managedhsm.azure.net",
        ".managedhsm.usgovcloudapi.net",
    ];
    let Some(rest) = u.strip_prefix("https://") else {
        return false;
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    SUFFIXES.iter().any(|suf| {
        host.strip_suffix(suf).is_some_and(|name| {
            (3..=24).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    }) && path.is_empty()
}

/// An AWS KMS key or alias ARN, a GCP KMS key name, or an `https://` key URL (Azure, Vault).
fn is_kms_reference(k: &str) -> bool {
    if k.chars().any(char::is_whitespace) {
        return false;
    }
    if let Some(rest) = k.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return matches!(parts.as_slice(),
            [partition, "kms", region, account, resource]
                if partition.starts_with("aws")
                    && is_aws_region(region)
                    && account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && (resource.starts_with("key/") || resource.starts_with("alias/"))
                    && resource.len() > 4);
    }
    if k.starts_with("projects/") {
        let parts: Vec<&str> = k.split('/').collect();
        // projects/P/locations/L/keyRings/R/cryptoKeys/K; the sketch's elided `projects/…`
        // form is accepted as a placeholder.
        return (parts.len() == 8
            && parts[2] == "locations"
            && parts[4] == "keyRings"
            && parts[6] == "cryptoKeys"
            && parts.iter().all(|p| !p.is_empty()))
            || k == "projects/…";
    }
    if let Some(rest) = k.strip_prefix("https://") {
        return rest
            .split('/')
            .next()
            .is_some_and(|h| !h.is_empty() && h.contains('.'));
    }
    false
}

/// A Secret data key: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
pub(crate) fn is_secret_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k != "."
        && k != ".."
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A `secrets.NAME` reference (or a bare `NAME`), as used by `client_secret` and a client's
/// `secret`. A quoted string is a literal secret value: P1024.
pub(crate) fn secret_ref(cx: &mut Cx, syms: &mut Symbols, v: &Value, key: &str) -> Option<Name> {
    match v {
        Value::Word(w) => {
            let name = w.text.strip_prefix("secrets.").unwrap_or(&w.text);
            if !is_name(name) {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1007,
                        w.span,
                        format!("`{}` is not a reference to a secret", w.text),
                    )
                    .with_help(format!("write `{key} = secrets.NAME`")),
                );
                return None;
            }
            let n = Name(name.to_string());
            syms.refer(Kind::Secret, &n, w.span);
            Some(n)
        }
        Value::Str(s) => {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1024,
                    s.span,
                    format!("`{key}` holds a value instead of naming a secret"),
                )
                .with_label("secret values never live in posture files")
                .with_help(format!(
                    "declare a `secret` in `secrets` and refer to it: `{key} = secrets.NAME`"
                ))
                .with_note(
                    "if this is a real value, rotate it: it is in the history of the repository",
                ),
            );
            None
        }
        other => {
            let help = format!("write `{key} = secrets.NAME`");
            cx.mismatch(other, "a reference to a secret", Some(&help));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The secret-literal detector.

/// Attributes whose string value is reported by its own checker as a literal secret (P1024),
/// so the scan skips them rather than report twice.
const TYPED_SECRET_KEYS: &[&str] = &["client_secret", "secret"];

/// Reports every string in `item` (its value, attributes and nested items, recursively) that
/// looks like a secret value. The values of `keys` in a `secret` declaration are paths in a
/// store and are skipped. Already applied to `secrets` and `identity`; the lead may apply it
/// to every other top-level item.
pub(crate) fn scan_item(cx: &mut Cx, item: &ast::Item) {
    if let Some(v) = &item.value {
        scan_value(cx, v);
    }
    let in_secret = item.keyword.text == "secret";
    for e in item.entries() {
        match e {
            ast::Entry::Attr(a) => {
                let key = a.key.text.as_str();
                if in_secret && key == "keys" {
                    continue;
                }
                if TYPED_SECRET_KEYS.contains(&key) && matches!(a.value, Value::Str(_)) {
                    continue;
                }
                scan_value(cx, &a.value);
            }
            ast::Entry::Item(i) => scan_item(cx, i),
        }
    }
}

/// Reports every string in `v` that looks like a secret value.
pub(crate) fn scan_value(cx: &mut Cx, v: &Value) {
    match v {
        Value::Str(s) => {
            if let Some(why) = looks_like_secret(&s.value) {
                cx.err(secret_literal(s.span, why));
            }
        }
        Value::List { items, .. } => items.iter().for_each(|i| scan_value(cx, i)),
        Value::Map { entries, .. } => {
            for e in entries {
                if TYPED_SECRET_KEYS.contains(&e.key.text.as_str())
                    && matches!(e.value, Value::Str(_))
                {
                    continue;
                }
                scan_value(cx, &e.value);
            }
        }
        // Backtick expressions are CEL and Falco conditions, which may legitimately look for
        // leaked keys; numbers, dates, booleans and words cannot hold one.
        _ => {}
    }
}

/// The P1024 diagnostic. The value itself is never repeated.
pub(crate) fn secret_literal(span: Span, why: &str) -> Diagnostic {
    Diagnostic::spanned(&codes::P1024, span, "this value looks like a secret")
        .with_label("secret values never live in posture files")
        .with_note(format!("it looks like {why}"))
        .with_help(
            "keep the value in a secret store and refer to it: declare a `secret` in `secrets`",
        )
        .with_help("if the value is real, rotate it: it is in the history of the repository")
}

/// Why `s` looks like a secret value, or `None`. Recognises PEM private keys, AWS access key
/// ids and secret access keys, GitHub, Slack and Google API tokens, JSON Web Tokens, URLs that
/// carry a password or a credential parameter, and long high-entropy strings.
pub(crate) fn looks_like_secret(s: &str) -> Option<&'static str> {
    if s.contains("-----BEGIN") && s.contains("PRIVATE KEY") {
        return Some("a PEM private key");
    }
    if let Some(why) = url_credential(s) {
        return Some(why);
    }
    for tok in s.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        if let Some(why) = token_secret(tok) {
            return Some(why);
        }
    }
    if is_aws_secret_access_key(s) {
        return Some("an AWS secret access key");
    }
    if is_high_entropy(s) {
        return Some("a long random string (a key or token)");
    }
    None
}

/// Known token formats, looked for in each run of `[A-Za-z0-9_.-]`.
fn token_secret(tok: &str) -> Option<&'static str> {
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    let upper_alnum = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    for prefix in ["AKIA", "ASIA"] {
        if let Some(pos) = tok.find(prefix) {
            let rest = &tok[pos + 4..];
            if rest.len() >= 16 && upper_alnum(&rest[..16]) {
                return Some("an AWS access key id");
            }
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(rest) = tok.strip_prefix(prefix) {
            if rest.len() >= 30 && alnum(rest) {
                return Some("a GitHub token");
            }
        }
    }
    if let Some(rest) = tok.strip_prefix("github_pat_") {
        if rest.len() >= 22 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Some("a GitHub token");
        }
    }
    if tok.len() > 5 && tok.starts_with("xox") {
        let kind = tok.as_bytes()[3];
        if matches!(kind, b'b' | b'a' | b'p' | b'r' | b's')
            && tok.as_bytes()[4] == b'-'
            && tok.len() >= 15
            && tok[5..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Some("a Slack token");
        }
    }
    if let Some(rest) = tok.strip_prefix("AIza") {
        if rest.len() == 35
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Some("a Google API key");
        }
    }
    if tok.starts_with("eyJ") {
        let parts: Vec<&str> = tok.split('.').collect();
        let b64url = |p: &str| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if parts.len() == 3
            && parts[0].len() >= 10
            && parts[1].len() >= 10
            && parts.iter().all(|p| b64url(p))
        {
            return Some("a JSON Web Token");
        }
    }
    None
}

/// `scheme://user:password@host` or a credential in the query string.
fn url_credential(s: &str) -> Option<&'static str> {
    let (_, rest) = s.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        if let Some((_, password)) = userinfo.split_once(':') {
            if !password.is_empty() {
                return Some("a URL with an embedded password");
            }
        }
    }
    let query = rest.split_once('?').map(|(_, q)| q)?;
    let query = query.split('#').next().unwrap_or("");
    const NAMES: &[&str] = &[
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "sig",
        "signature",
        "x-amz-signature",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "api_key",
        "apikey",
        "key",
    ];
    for pair in query.split('&') {
        if let Some((k, v)) = pair.split_once('=') {
            if NAMES.contains(&k.to_ascii_lowercase().as_str()) && v.len() >= 8 {
                return Some("a URL with a credential in its query");
            }
        }
    }
    None
}

/// 40 characters of base64 with upper, lower and digits: the shape of an AWS secret access key.
fn is_aws_secret_access_key(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
        && s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && s.bytes().any(|b| b.is_ascii_digit())
}

/// Shannon entropy in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = n as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn char_classes(s: &str) -> usize {
    [
        s.bytes().any(|b| b.is_ascii_lowercase()),
        s.bytes().any(|b| b.is_ascii_uppercase()),
        s.bytes().any(|b| b.is_ascii_digit()),
    ]
    .iter()
    .filter(|x| **x)
    .count()
}

/// A run of characters that looks random rather than like a word: long, and mixing letters
/// with digits or both cases.
fn random_run(run: &str) -> bool {
    let mixed = (run.bytes().any(|b| b.is_ascii_alphabetic())
        && run.bytes().any(|b| b.is_ascii_digit()))
        || (run.bytes().any(|b| b.is_ascii_lowercase())
            && run.bytes().any(|b| b.is_ascii_uppercase()));
    run.len() >= 12 && mixed
}

/// `a/b/c`: segments of path characters, none of them random-looking.
fn is_path_like(s: &str) -> bool {
    s.contains('/')
        && !s.contains('+')
        && !s.ends_with('=')
        && s.split('/').all(|seg| {
            seg.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'-' | b'_' | b'.' | b'~' | b'*' | b'@' | b':')
            }) && !(seg.len() >= 16 && char_classes(seg) == 3)
        })
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A host name (`1234-abc.apps.googleusercontent.com`) or an e-mail address.
fn is_host_or_email(s: &str) -> bool {
    let host = s.rsplit_once('@').map(|(_, h)| h).unwrap_or(s);
    let lower = host.to_ascii_lowercase();
    lower == host
        && host.contains('.')
        && ir::is_dns1123_subdomain(host)
        && host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// A long string without blanks, with letters and digits, that is not a URL, an ARN, a path, a
/// UUID, a digest or a host name, and whose characters are close to uniformly random.
fn is_high_entropy(s: &str) -> bool {
    if s.chars().count() < 32 || s.chars().any(char::is_whitespace) {
        return false;
    }
    if s.contains("://")
        || s.starts_with("arn:")
        || s.starts_with("projects/")
        || s.starts_with("sha256:")
        || s.starts_with("sha512:")
        || is_uuid(s)
        || is_host_or_email(s)
        || is_path_like(s)
    {
        return false;
    }
    let has_letter = s.bytes().any(|b| b.is_ascii_alphabetic());
    let has_digit = s.bytes().any(|b| b.is_ascii_digit());
    if !(has_letter && has_digit) {
        return false;
    }
    // A secret is one random run, or runs split by the odd `-`/`_` of base64url; names made of
    // short words are not.
    let has_random_run = s.split(['-', '_', '.', ':', '/', '@']).any(random_run);
    has_random_run && entropy(s) >= 4.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_formats() {
        let cases: &[(&str, &str)] = &[
            (
                "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----",
                "a PEM private key",
            ),
            ("-----BEGIN OPENSSH PRIVATE KEY-----", "a PEM private key"),
            ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
            (
                concat!("aws_key=AS", "IAY34FZKBOKMUTVV7A"),
                "an AWS access key id",
            ),
            (
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "an AWS secret access key",
            ),
            (
                concat!("gh", "p_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
                "a GitHub token",
            ),
            (
                concat!(
                    "github",
                    "_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS"
                ),
                "a GitHub token",
            ),
            (
                concat!(
                    "xo",
                    "xb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
                ),
                "a Slack token",
            ),
            (
                concat!("AI", "zaSyA1234567890abcdefghijklmnopqrstuv"),
                "a Google API key",
            ),
            (
                concat!(
                    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
                    ".eyJzdWIiOiIxMjM0NTY3ODkwIn0",
                    ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
                ),
                "a JSON Web Token",
            ),
            (
                "postgres://app:hunter2@db.optimal.io:5432/app",
                "a URL with an embedded password",
            ),
            (
                "https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEf0123456789",
                "a URL with a credential in its query",
            ),
            (
                "q8Zr3vN1xT5bW0kLm2YpA7sD9fG4hJ6kQ1wE",
                "a long random string (a key or token)",
            ),
            (
                "dGhpcyBpcyBhIHNlY3JldCB2YWx1ZSAxMjM0NTY3ODk=",
                "a long random string (a key or token)",
            ),
        ];
        for (s, why) in cases {
            assert_eq!(looks_like_secret(s), Some(*why), "{s}");
        }
    }

    #[test]
    fn ordinary_values_are_not_secrets() {
        for s in [
            "",
            "Container Escape via ptrace",
            "Possible container escape (user=%user.name command=%proc.cmdline)",
            "https://auth.optimal.io/realms/optimal",
            "https://portal.optimal.io/*",
            "https://login.example.com",
            "https://vault.optimal.io",
            "https://optimal.vault.azure.net",
            "https://token.actions.githubusercontent.com",
            "https://user@example.com/path",
            "arn:aws:kms:us-gov-west-1:111122223333:key/…",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "projects/optimal-prod/locations/global/keyRings/posture/cryptoKeys/etcd",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "1234567890-abc123def456ghi789jkl012mno345pq.apps.googleusercontent.com",
            "secret/data/optimal/production/database-password",
            "db/password",
            "jwt/signing-key",
            "optimal-platform-2024-production-cluster-01",
            "authentication-service-2024-production-credentials-v2",
            "platform-team@optimal.io",
            "registry.optimal.io/optimal/api-gateway",
            "app.kubernetes.io/name",
            "us-gov-west-1",
            "AWS GovCloud (FedRAMP High P-ATO)",
            "GHP_is_not_a_token",
        ] {
            assert_eq!(looks_like_secret(s), None, "{s}: entropy {}", entropy(s));
        }
    }

    #[test]
    fn entropy_is_bits_per_character() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn regions_and_keys() {
        for r in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-2",
            "eu-central-1",
        ] {
            assert!(is_aws_region(r), "{r}");
        }
        for r in [
            "us-east",
            "US-EAST-1",
            "useast-1",
            "us-east-12",
            "us-gov-1",
            "",
        ] {
            assert!(!is_aws_region(r), "{r}");
        }
        for k in ["database-password", "jwt.secret", "tls_crt", "A-1"] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["", ".", "..", "a/b", "a b", "ключ"] {
            assert!(!is_secret_key(k), "{k}");
        }
        assert!(is_kms_reference(
            "arn:aws:kms:us-gov-west-1:111122223333:key/…"
        ));
        assert!(is_kms_reference(
            "arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/etcd"
        ));
        assert!(is_kms_reference("projects/…"));
        assert!(is_kms_reference(
            "https://optimal.vault.azure.net/keys/etcd"
        ));
        assert!(!is_kms_reference("my-key"));
        assert!(!is_kms_reference("arn:aws:s3:::bucket"));
        assert!(is_azure_vault_url("https://optimal.vault.azure.net"));
        assert!(is_azure_vault_url("https://optimal.vault.azure.net/"));
        assert!(!is_azure_vault_url("https://optimal.example.com"));
        assert!(is_gcp_project("optimal-prod"));
        assert!(!is_gcp_project("Optimal"));
    }

    use crate::test_support::{codes, has};

    #[test]
    fn stores_and_secrets_are_checked() {
        let d = codes(
            "secrets {
  store vault-main { kind = vault, address = \"http://vault.optimal.io\", path = \"/secret/\",
                     auth = { method = approle, role = \"optimal\" }, region = \"us-east-1\" }
  store aws   { kind = aws_secrets_manager, region = \"US-East-1\" }
  store gcp   { kind = gcp_secret_manager,  project = \"Optimal\" }
  store azure { kind = azure_key_vault,     vault_url = \"https://optimal.example.com\" }
  store none  { region = \"us-east-1\" }
  secret Creds {
    namespace = optimal-system
    store     = vault-mian
    keys      = { \"a b\" = \"db/password\", \"k\" = \"\", \"k\" = \"x\" }
  }
  encryption = { at_rest = { resources = [configmaps], kms = \"alias/etcd\" } }
}
",
        );
        for (code, text) in [
            ("P1012", "\"http://vault.optimal.io\""),
            ("P1007", "\"/secret/\""),
            ("P1017", "approle"),
            ("P1005", "region"),
            ("P7001", "\"US-East-1\""),
            ("P7001", "\"Optimal\""),
            ("P7001", "\"https://optimal.example.com\""),
            ("P1006", "none"),
            ("P1013", "Creds"),
            ("P1008", "vault-mian"),
            ("P7002", "\"a b\""),
            ("P1006", "\"\""),
            ("P1010", "\"k\""),
            ("P7003", "[configmaps]"),
            ("P7001", "\"alias/etcd\""),
        ] {
            assert!(has(&d, code, text), "{code} {text}: {d:?}");
        }
        assert_eq!(d.len(), 15, "{d:?}");
    }

    #[test]
    fn literals_are_found_in_identity_and_secrets_but_not_in_store_paths() {
        let key = concat!("AKIA", "IOSFODNN7EXAMPLE");
        let random = "q8Zr3vN1xT5bW0kLm2YpA7sD9fG4hJ6kQ1wE";
        let d = codes(&format!(
            "identity {{
  realm optimal {{
    issuer = \"https://auth.optimal.io/realms/optimal\"
    federation corporate {{ protocol = oidc, issuer = \"https://login.example.com\", client_id = \"{key}\", client_secret = \"{random}\" }}
  }}
}}
secrets {{
  store vault-main {{ kind = vault, address = \"https://vault.optimal.io\", path = \"secret\",
                     auth = {{ method = kubernetes, role = \"{random}\" }} }}
  secret creds {{ namespace = optimal-system, store = vault-main, keys = {{ \"password\" = \"{random}\" }} }}
}}
"
        ));
        let quoted = |s: &str| format!("\"{s}\"");
        let at_literal: Vec<_> = d.iter().filter(|(c, _, _)| *c == "P1024").collect();
        // `client_id`, `client_secret` (once, by its own check) and the Vault role; not the
        // store path under `keys`.
        assert_eq!(at_literal.len(), 3, "{d:?}");
        assert!(has(&d, "P1024", &quoted(key)), "{d:?}");
        assert!(
            d.iter()
                .all(|(_, m, _)| !m.contains(random) && !m.contains(key)),
            "a message repeats the value: {d:?}"
        );
        assert_eq!(d.len(), 3, "{d:?}");
    }

    #[test]
    fn the_sketch_is_clean_in_these_blocks() {
        // The design's example, exactly as written: the only problem in `runtime`,
        // `identity` and `secrets` is the undeclared namespace `keycloak`.
        let text = include_str!("../../../tests/syntax/language-sketch.posture");
        let (d, _) = crate::test_support::check_text(text);
        let mut sources = diagnostics::Sources::new();
        let id = sources.add("case.posture", text);
        let (ast, _) = syntax::parse(id, text);
        let Some(ast) = ast else {
            panic!("the sketch does not parse")
        };
        let ranges: Vec<std::ops::Range<usize>> = ast
            .items
            .iter()
            .filter(|i| matches!(i.keyword.text.as_str(), "runtime" | "identity" | "secrets"))
            .map(|i| i.span.range())
            .collect();
        assert_eq!(ranges.len(), 3);
        let mine: Vec<_> = d
            .iter()
            .filter(|(diag, _)| {
                diag.span
                    .is_some_and(|s| ranges.iter().any(|r| r.contains(&s.range().start)))
            })
            .map(|(diag, text)| (diag.code.id, text.as_str()))
            .collect();
        assert_eq!(mine, vec![("P1008", "keycloak")], "{d:?}");
    }

    #[test]
    fn the_sketch_builds_the_ir() {
        let text = include_str!("../../../tests/syntax/language-sketch.posture");
        let mut sources = diagnostics::Sources::new();
        let id = sources.add("case.posture", text);
        let (ast, _) = syntax::parse(id, text);
        let Some(ast) = ast else {
            panic!("the sketch does not parse")
        };
        let of = |kw: &str| -> Vec<crate::Top<'_>> {
            ast.items
                .iter()
                .filter(|i| i.keyword.text == kw)
                .map(|item| crate::Top { item, bundle: None })
                .collect()
        };
        let mut cx = Cx::new();
        let mut syms = Symbols::default();
        let s = secrets(&mut cx, &mut syms, &of("secrets"));
        let rt = crate::runtime::runtime(&mut cx, &mut syms, &of("runtime"));
        assert!(cx.diags.is_empty(), "{:?}", cx.diags);
        assert_eq!(s.stores.len(), 4);
        assert!(matches!(
            &s.stores[&Name("vault-main".into())].kind,
            StoreKind::Vault { auth: VaultAuth::Kubernetes { role, mount: None }, .. } if role == "optimal"
        ));
        let creds = &s.secrets[&Name("optimal-credentials".into())];
        assert!(creds.sealed);
        assert_eq!(creds.rotate, Some(ir::Duration(90 * 86_400)));
        assert_eq!(creds.keys["jwt-secret"], "jwt/signing-key");
        assert_eq!(
            s.at_rest.as_ref().map(|a| a.resources.clone()),
            Some(vec!["secrets".to_string()])
        );
        assert_eq!(rt.uses.len(), 1);
        assert_eq!(rt.uses[0].bundle, "falco.defaults");
        assert_eq!(rt.lists.len(), 2);
        let rule = &rt.rules[&Name("container-escape-ptrace".into())];
        assert_eq!(rule.priority, ir::runtime::Priority::Critical);
        assert!(rule.enabled);
        assert_eq!(
            rule.tags,
            ["container", "mitre_privilege_escalation", "T1611"]
        );
        assert_eq!(rule.meta.satisfies.len(), 2);
        assert!(
            rule.meta
                .doc
                .as_deref()
                .is_some_and(|d| d.contains("ptrace"))
        );
        let p = &rt.profiles[&Name("api-gateway".into())];
        assert_eq!(p.processes, ["gateway"]);
    }

    #[test]
    fn the_detector_never_panics() {
        for s in [
            "xox",
            "xoxb",
            "xoxb-",
            "AKIA",
            "eyJ",
            "eyJ..",
            "://",
            "a://b@",
            "é".repeat(40).as_str(),
            "ghp_",
        ] {
            let _ = looks_like_secret(s);
        }
    }
}
