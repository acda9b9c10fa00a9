//! The secret detector: whether a text looks like key material or a credential.
//!
//! It lives here, at the bottom of the crate graph, because two layers use the same rules: the
//! checker's guard (`check::secret_guard`) turns every text of a posture that can reach an
//! output into an error (P1024) when [`detect`] finds something, and the renderers use it as
//! a last line of defence on the text a diagnostic quotes (see [`crate::Diagnostic::redact`]).
//!
//! What is detected: PEM and OpenSSH private keys (and PuTTY key files), AWS access key ids and
//! secret access keys, Google API keys and service-account key files, Azure storage and
//! service-bus connection strings, GitHub, GitLab and Slack tokens, JSON Web Tokens, bearer
//! tokens, URLs that carry a password or a credential parameter, `password=…`-style
//! assignments, and long high-entropy strings. A public certificate (`-----BEGIN
//! CERTIFICATE-----`, a CA bundle) or a public key is not a secret and passes.

use std::collections::BTreeMap;

/// Why `s` looks like a secret value, or `None`. Certificate and public-key PEM blocks are
/// ignored; what remains is checked as a whole and, for the long-random-string rule, line by
/// line.
pub fn detect(s: &str) -> Option<&'static str> {
    if plainly_not_secret(s) {
        return None;
    }
    detect_any(s)
}

/// True for a text no rule of [`detect_any`] can match, decided in one pass over its bytes:
/// fewer than 26 bytes of lowercase letters, digits, `-`, `_` and `.` (the names and
/// references that make up most of a posture's texts). Why no rule matches such a text: every
/// PEM, PuTTY, AWS-key-id, Google-key and JWT rule needs an uppercase letter; a URL needs `:`,
/// an assignment `=` or `:`, a bearer token a blank; the whole text is one token, and of the
/// lowercase token formats GitHub's need 33 characters or more, GitLab's 26, Slack's 15 and a
/// `xox` start (so a text of 15 or more starting with `xox` takes the full path); an AWS
/// secret access key is 40 characters and a high-entropy string 32 or more. The unit test
/// `the_fast_path_agrees` holds this against [`detect_any`].
fn plainly_not_secret(s: &str) -> bool {
    s.len() < 26
        && !(s.len() >= 15 && s.starts_with("xox"))
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// [`detect`] without its fast path: every rule, on any text.
fn detect_any(s: &str) -> Option<&'static str> {
    // The length guards skip substring searches that cannot match (most texts of a posture
    // are short words; setting up each search cost more than the rest of this function).
    let stripped;
    let s = if s.len() >= 10 && s.contains("-----BEGIN") {
        stripped = strip_public_pem(s);
        stripped.as_str()
    } else {
        s
    };
    if s.len() >= 10 && s.contains("-----BEGIN") && s.contains("PRIVATE KEY") {
        return Some("a PEM private key");
    }
    if s.len() >= 20 && s.contains("PuTTY-User-Key-File-") {
        return Some("a PuTTY private key");
    }
    if let Some(why) = url_credential(s) {
        return Some(why);
    }
    if let Some(why) = assignment(s) {
        return Some(why);
    }
    if let Some(why) = bearer(s) {
        return Some(why);
    }
    for tok in s.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        if let Some(why) = token_secret(tok) {
            return Some(why);
        }
    }
    for line in s.lines() {
        let line = line.trim();
        if is_aws_secret_access_key(line) {
            return Some("an AWS secret access key");
        }
        if is_high_entropy(line) {
            return Some("a long random string (a key or token)");
        }
    }
    None
}

/// Why `value`, written under `key` (an attribute or map key), is a secret: what [`detect`]
/// finds, or any value that is not a placeholder when `key` names a secret
/// ([`is_secret_key_name`]): `db-password = "hunter2"`.
pub fn detect_under(key: &str, value: &str) -> Option<&'static str> {
    detect(value).or_else(|| {
        let why = key_kind(key)?;
        (!is_placeholder(value)).then_some(why)
    })
}

/// Whether `key` (an attribute, map or label key, or the left side of `key=value` in a text)
/// names a value that is a secret: `password`, `db-password`, `api_key`, `client_secret`,
/// `AccountKey`, …. Compared case-insensitively, with `-` and `.` read as `_`. A bare `secret`
/// is included here; the checker leaves out the attributes where `secret` names a Secret.
pub fn is_secret_key_name(key: &str) -> bool {
    key_kind(key).is_some()
}

/// What a value under `key` would be, when `key` is a secret's key.
fn key_kind(key: &str) -> Option<&'static str> {
    if key.is_empty() || key.len() > 64 {
        return None;
    }
    // Lowercased, `-`/`.`/` ` read as `_`, in a buffer on the stack: this runs for every word
    // of every text of a posture. Only ASCII bytes change, so the buffer stays UTF-8 (the
    // bytes of a multi-byte character are all >= 0x80 and left alone).
    let mut buf = [0u8; 64];
    for (d, &b) in buf.iter_mut().zip(key.as_bytes()) {
        *d = match b {
            b'-' | b'.' | b' ' => b'_',
            b => b.to_ascii_lowercase(),
        };
    }
    let Ok(k) = std::str::from_utf8(&buf[..key.len()]) else {
        return None;
    };
    // The last segment of a prefixed key (`example.com/password`), found by byte (a `str`
    // split by `char` was most of this function's time).
    let k = match k.as_bytes().iter().rposition(|&b| b == b'/') {
        Some(at) => &k[at + 1..],
        None => k,
    };
    // Every key named below ends in one of these: most keys are ruled out here, without
    // comparing them with each name (`every_secret_key_name_passes_the_filter`).
    if k.len() < 3 || !KEY_ENDINGS.contains(&&k.as_bytes()[k.len() - 3..]) {
        return None;
    }
    if AZURE_KEYS.contains(&k) {
        return Some("an Azure connection string");
    }
    if k == "private_key_id" {
        return Some("a Google service-account key");
    }
    if EXACT_KEYS.contains(&k) {
        return Some("a value under a password-like key");
    }
    if KEY_SUFFIXES.iter().any(|s| k.ends_with(s)) {
        return Some("a value under a password-like key");
    }
    None
}

/// The last three bytes of every key [`key_kind`] knows (a key that ends otherwise is not a
/// secret's key, whatever comes before).
const KEY_ENDINGS: &[&[u8]] = &[
    b"ord", b"swd", b"pwd", b"ase", b"ret", b"ken", b"key", b"ure", b"_id", b"ial", b"als",
];

const AZURE_KEYS: &[&str] = &[
    "accountkey",
    "sharedaccesskey",
    "sharedaccesssignature",
    "primarykey",
    "secondarykey",
];

const EXACT_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "privatekey",
    "secret_key",
    "secretkey",
    "access_key",
    "client_secret",
    "credential",
    "credentials",
];

const KEY_SUFFIXES: &[&str] = &[
    "_password",
    "_passwd",
    "_pwd",
    "_passphrase",
    "_secret",
    "_token",
    "_api_key",
    "_apikey",
    "_private_key",
    "_secret_key",
    "_access_key",
    "_credentials",
];

/// Whether a value written after a secret's key is a placeholder rather than a value:
/// empty, `${VAR}`, `<password>`, `{{ .token }}`, `***`, `xxxx`, `…`, `secrets.NAME`.
fn is_placeholder(v: &str) -> bool {
    let v = v.trim();
    v.is_empty()
        || v.starts_with(['$', '<', '{', '%', '*', '['])
        || v.starts_with("...")
        || v.starts_with('…')
        || v.starts_with("secrets.")
        || v.chars().all(|c| c == v.chars().next().unwrap_or('x'))
}

/// A `key=value` or `"key": "value"` assignment in a text whose key is a secret's key
/// (`password=hunter2`, `AccountKey=…;`, `"private_key_id": "…"`). `==` is a comparison, not an
/// assignment; a `key: value` is only read as one when the key is quoted (JSON).
fn assignment(s: &str) -> Option<&'static str> {
    let b = s.as_bytes();
    let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    let mut i = 0;
    while i < b.len() {
        if !is_word(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_word(b[i]) {
            i += 1;
        }
        let key = &s[start..i];
        let Some(why) = key_kind(key) else { continue };
        let quoted = start > 0 && matches!(b[start - 1], b'"' | b'\'');
        let mut j = i;
        if quoted && j < b.len() && b[j] == b[start - 1] {
            j += 1;
        }
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let Some(&op) = b.get(j) else { continue };
        let is_assign = (op == b'=' && b.get(j + 1) != Some(&b'=')) || (op == b':' && quoted);
        if !is_assign {
            continue;
        }
        j += 1;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if j < b.len() && matches!(b[j], b'"' | b'\'') {
            j += 1;
        }
        let end = s[j..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '&' | ',' | '`'))
            .map_or(s.len(), |e| j + e);
        let value = &s[j..end];
        // A path in a store (`"password" = "db/password"`) names where the value lives.
        if value.chars().count() >= 4 && !is_placeholder(value) && !is_path_like(value) {
            return Some(why);
        }
    }
    None
}

/// `Bearer <token>` (an `Authorization` header value) with a token of at least 16 characters,
/// or `Basic <base64>` of at least 12.
fn bearer(s: &str) -> Option<&'static str> {
    // Each word with the one before it (no list of the words: this runs on every text).
    let mut words = s.split_whitespace();
    let mut prev = words.next()?;
    for word in words {
        let pair = [prev, word];
        prev = word;
        let tok = pair[1].trim_end_matches(['"', '\'', ',', ';', '`']);
        let charset = |t: &str| {
            t.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
            })
        };
        let has_digit = tok.bytes().any(|b| b.is_ascii_digit());
        if pair[0].eq_ignore_ascii_case("bearer") && tok.len() >= 16 && charset(tok) && has_digit {
            return Some("a bearer token");
        }
        if pair[0] == "Basic" && tok.len() >= 12 && charset(tok) && has_digit {
            return Some("HTTP basic credentials");
        }
    }
    None
}

/// `s` without its certificate and public-key PEM blocks (a CA bundle is not a secret).
fn strip_public_pem(s: &str) -> String {
    const PUBLIC: &[&str] = &[
        "CERTIFICATE",
        "TRUSTED CERTIFICATE",
        "X509 CRL",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("-----BEGIN ") {
        let after = &rest[at + 11..];
        let label = after.split("-----").next().unwrap_or("");
        if PUBLIC.contains(&label) {
            let end_marker = format!("-----END {label}-----");
            if let Some(e) = after.find(&end_marker) {
                out.push_str(&rest[..at]);
                rest = &after[e + end_marker.len()..];
                continue;
            }
        }
        out.push_str(&rest[..at + 11]);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Known token formats, looked for in each run of `[A-Za-z0-9_.-]`.
fn token_secret(tok: &str) -> Option<&'static str> {
    let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    let upper_alnum = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    for prefix in ["AKIA", "ASIA"] {
        if tok.len() < 20 {
            break; // the prefix and 16 characters
        }
        if let Some(pos) = tok.find(prefix) {
            let rest = &tok[pos + 4..];
            if rest.len() >= 16 && upper_alnum(&rest[..16]) {
                return Some("an AWS access key id");
            }
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(rest) = tok.strip_prefix(prefix)
            && rest.len() >= 30
            && alnum(rest)
        {
            return Some("a GitHub token");
        }
    }
    if let Some(rest) = tok.strip_prefix("github_pat_")
        && rest.len() >= 22
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Some("a GitHub token");
    }
    if let Some(rest) = tok.strip_prefix("glpat-")
        && rest.len() >= 20
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Some("a GitLab token");
    }
    if tok.len() >= 15 && tok.starts_with("xox") {
        let kind = tok.as_bytes()[3];
        if matches!(kind, b'b' | b'a' | b'p' | b'r' | b's' | b'e')
            && tok.as_bytes()[4] == b'-'
            && tok[5..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Some("a Slack token");
        }
    }
    if let Some(rest) = tok.strip_prefix("AIza")
        && rest.len() == 35
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Some("a Google API key");
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
    if !s.as_bytes().contains(&b':') {
        return None;
    }
    let mut rest = s;
    while let Some(at) = rest.find("://") {
        rest = &rest[at + 3..];
        let end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
            && !is_placeholder(password)
        {
            return Some("a URL with an embedded password");
        }
        let url_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let Some((_, query)) = rest[..url_end].split_once('?') else {
            continue;
        };
        let query = query.split('#').next().unwrap_or("");
        const NAMES: &[&str] = &[
            "token",
            "access_token",
            "id_token",
            "refresh_token",
            "sig",
            "signature",
            "x-amz-signature",
            "x-amz-credential",
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
            if let Some((k, v)) = pair.split_once('=')
                && NAMES.contains(&k.to_ascii_lowercase().as_str())
                && v.len() >= 8
            {
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
pub fn entropy(s: &str) -> f64 {
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

/// An RFC 1123 subdomain: dot-separated lowercase labels.
fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// A host name (`1234-abc.apps.googleusercontent.com`) or an e-mail address.
fn is_host_or_email(s: &str) -> bool {
    let host = s.rsplit_once('@').map(|(_, h)| h).unwrap_or(s);
    host.contains('.')
        && is_dns_subdomain(host)
        && host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// A long string without blanks, with letters and digits, that is not a URL, an ARN, a path, a
/// UUID, a digest or a host name, and whose characters are close to uniformly random. Texts
/// over 1,024 characters are not keys by this rule (the known formats still apply to them).
fn is_high_entropy(s: &str) -> bool {
    let n = s.chars().count();
    if !(32..=1024).contains(&n) || s.chars().any(char::is_whitespace) {
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

    /// A CA certificate (ISRG Root X1's first lines), as a bundle would hold it.
    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIFazCCA1OgAwIBAgIRAIIQz7DSQONZRGPgu2OCiwAwDQYJKoZIhvcNAQELBQAw\nTzELMAkGA1UEBhMCVVMxKTAnBgNVBAoTIEludGVybmV0IFNlY3VyaXR5IFJlc2Vh\ncmNoIEdyb3VwMRUwEwYDVQQDEwxJU1JHIFJvb3QgWDEwHhcNMTUwNjA0MTEwNDM4\n-----END CERTIFICATE-----\n";

    #[test]
    fn known_formats() {
        let cases: &[(&str, &str)] = &[
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
                "a PEM private key",
            ),
            ("-----BEGIN OPENSSH PRIVATE KEY-----", "a PEM private key"),
            ("-----BEGIN ENCRYPTED PRIVATE KEY-----", "a PEM private key"),
            ("PuTTY-User-Key-File-3: ssh-ed25519", "a PuTTY private key"),
            ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
            (
                concat!("aws_key_id AS", "IAY34FZKBOKMUTVV7A"),
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
                concat!("gh", "o_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
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
                concat!("glp", "at-aBcDeFgHiJ0123456789xy"),
                "a GitLab token",
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
                "{\"type\": \"service_account\", \"private_key_id\": \"3f2a9c0d1e4b5a6978877665544332211ffeeddc\"}",
                "a Google service-account key",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=bm90LWEtcmVhbC1rZXktYnV0LWxvbmctZW5vdWdo;EndpointSuffix=core.windows.net",
                "an Azure connection string",
            ),
            (
                "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=c2VjcmV0LWtleS12YWx1ZQ==",
                "an Azure connection string",
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
                "Authorization: Bearer 0a1b2c3d4e5f6a7b8c9d",
                "a bearer token",
            ),
            (
                "postgres://app:hunter2@db.optimal.io:5432/app",
                "a URL with an embedded password",
            ),
            (
                "see https://admin:s3cr3t@registry.optimal.io for the mirror",
                "a URL with an embedded password",
            ),
            (
                "https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=AbCdEf0123456789",
                "a URL with a credential in its query",
            ),
            ("password=hunter2", "a value under a password-like key"),
            (
                "db_password = 'correct horse'",
                "a value under a password-like key",
            ),
            (
                "{\"api_key\": \"k-12345678\"}",
                "a value under a password-like key",
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
            assert_eq!(detect(s), Some(*why), "{s}");
        }
        // A private key next to a certificate is still found.
        let both = format!("{CERT}-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
        assert_eq!(detect(&both), Some("a PEM private key"));
    }

    #[test]
    fn ordinary_values_are_not_secrets() {
        for s in [
            "",
            CERT,
            &CERT.replace('\n', ""),
            "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEq8Zr3vN1xT5bW0kLm2YpA7sD9fG4\n-----END PUBLIC KEY-----",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq8Zr3vN1xT5bW0kLm2YpA7sD9fG4hJ6kQ1wE ops@optimal.io",
            "Container Escape via ptrace",
            "Possible container escape (user=%user.name command=%proc.cmdline)",
            "https://auth.optimal.io/realms/optimal",
            "https://portal.optimal.io/*",
            "https://login.example.com",
            "https://vault.optimal.io",
            "https://optimal.vault.azure.net",
            "https://token.actions.githubusercontent.com",
            "https://user@example.com/path",
            "https://user:${PASSWORD}@example.com/path",
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
            "the password policy requires 14 characters",
            "password = ${DB_PASSWORD}",
            "password=<set at deploy time>",
            "token=***",
            "object.metadata.annotations['token'] == 'x'",
            "a bearer token is required",
            "Passwords rotate every 90 days; tokens expire after 15m",
        ] {
            assert_eq!(detect(s), None, "{s}: entropy {}", entropy(s));
        }
    }

    #[test]
    fn secret_key_names() {
        for k in [
            "password",
            "PASSWORD",
            "db-password",
            "db.password",
            "api_key",
            "apiKey",
            "client_secret",
            "github_token",
            "example.com/api-token",
            "AccountKey",
            "secret",
        ] {
            assert!(is_secret_key_name(k), "{k}");
        }
        for k in [
            "team",
            "token_lifetime",
            "tokens",
            "password_policy",
            "key",
            "app",
            "secrets",
        ] {
            assert!(!is_secret_key_name(k), "{k}");
        }
    }

    #[test]
    fn every_secret_key_name_passes_the_filter() {
        for k in AZURE_KEYS
            .iter()
            .chain(EXACT_KEYS)
            .chain(KEY_SUFFIXES)
            .chain(&["private_key_id"])
        {
            let end = &k.as_bytes()[k.len() - 3..];
            assert!(KEY_ENDINGS.contains(&end), "{k}");
            assert!(k.len() >= 3);
        }
        // Suffixed keys keep their ending.
        assert!(is_secret_key_name("db-pwd"));
        assert!(is_secret_key_name("Example.COM/Private-Key-Id"));
        assert!(!is_secret_key_name("pw"));
    }

    /// The fast path of `detect` agrees with every rule on the texts it answers: a sweep of
    /// generated lowercase names (every length up to 40, with the token prefixes that come
    /// closest) plus hand-picked edge cases.
    #[test]
    fn the_fast_path_agrees() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_.";
        let prefixes = [
            "",
            "xox",
            "xoxb-",
            "xoxp-",
            "glpat-",
            "ghp_",
            "gho_",
            "github_pat_",
            "eyj",
            "akia",
            "aiza",
            "bearer",
            "password",
            "api_key",
            "secret-",
            "team-",
        ];
        let mut answered = 0;
        for round in 0..20_000 {
            let prefix = prefixes[round % prefixes.len()];
            let len = (next() % 41) as usize;
            let mut s = prefix.to_string();
            while s.len() < len {
                s.push(ALPHABET[(next() % ALPHABET.len() as u64) as usize] as char);
            }
            if plainly_not_secret(&s) {
                answered += 1;
            }
            assert_eq!(detect(&s), detect_any(&s), "{s:?}");
        }
        assert!(answered > 5_000, "the sweep must exercise the fast path");
        for s in [
            "",
            "a",
            "xoxb-123456789a",
            "xoxb-12345678",
            "glpat-0123456789abcdefghi",
            "glpat-0123456789abcdefghij",
            "ghp_0123456789abcdefghijklmnopq",
            "team-00001",
            "svc-000001",
            "require-label-0000",
            "0123456789abcdefghijklmnopqrs",
        ] {
            assert_eq!(detect(s), detect_any(s), "{s:?}");
        }
        // Texts with anything else take the full path.
        assert!(!plainly_not_secret("Team"));
        assert!(!plainly_not_secret("a=b"));
        assert!(!plainly_not_secret("a b"));
        assert!(!plainly_not_secret("xoxb-1234567890"));
        assert!(!plainly_not_secret(&"a".repeat(26)));
    }

    #[test]
    fn entropy_is_bits_per_character() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn the_detector_never_panics_and_scales() {
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
            "-----BEGIN ",
            "-----BEGIN CERTIFICATE-----",
            "password=",
            "\"password\"",
            "Bearer",
        ] {
            let _ = detect(s);
        }
        // Eight MiB of label-ish text is read once, not quadratically.
        let big = "a-".repeat(4 << 20);
        assert_eq!(detect(&big), None);
        let mut big = "x".repeat(8 << 20);
        big.push_str(concat!(" AKIA", "IOSFODNN7EXAMPLE"));
        assert_eq!(detect(&big), Some("an AWS access key id"));
    }
}
