//! The API server's own rules for the Kubernetes fields a posture feeds, in one place.
//!
//! Each function follows the check the API server makes (`k8s.io/apimachinery`'s
//! `util/validation` and `pkg/apis/networking/validation`), so an object posture writes is
//! never refused at apply time. The checker reports a failure with the reason returned here;
//! every target that writes one of these fields relies on the same functions.

pub use crate::values::{is_dns1123_label, is_dns1123_subdomain};

/// `IsDNS1035Label`: a Service name. Like a DNS-1123 label, but starting with a letter.
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// `IsWildcardDNS1123Subdomain`: `*.` followed by a DNS-1123 subdomain, at most 253 characters.
pub fn is_wildcard_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.strip_prefix("*.")
            .is_some_and(|rest| rest.split('.').all(is_dns1123_label))
}

/// Whether Go's `ParseIPSloppy` reads `s` as an IPv4 address (four decimal parts, each at most
/// 255, leading zeros allowed). An IPv6 address has `:` and is never a DNS name anyway.
fn is_ipv4_sloppy(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// An Ingress rule's `host` (and the TLS host and Certificate DNS name posture derives from
/// it): a DNS name, not an IP address; a `*` only as the whole first label (`*.example.com`).
/// posture also asks for at least one dot, so a bare single label (a typo for a domain) is
/// refused. `Err` carries the reason.
pub fn ingress_host(s: &str) -> Result<(), &'static str> {
    if is_ipv4_sloppy(s) || s.contains(':') {
        return Err("must be a DNS name, not an IP address");
    }
    if s.contains('*') {
        if !is_wildcard_dns1123_subdomain(s) {
            return Err("a wildcard is allowed only as the whole first label: `*.example.com`");
        }
    } else if !is_dns1123_subdomain(s) {
        return Err(
            "must be lowercase letters, digits, `-` and `.`, labels starting and ending with a letter or digit",
        );
    }
    if !s.trim_start_matches("*.").contains('.') {
        return Err("must be a domain name with at least one dot");
    }
    Ok(())
}

/// The sequences and endings the API server refuses in a `Prefix` or `Exact` Ingress path.
const INVALID_PATH_SEQUENCES: [&str; 5] = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES: [&str; 2] = ["/..", "/."];

/// An Ingress `path` of type `Prefix` or `Exact` (posture writes `Prefix`): absolute, without
/// `//`, `/./`, `/../` or an encoded `/`, not ending in `/.` or `/..`.
pub fn ingress_prefix_path(s: &str) -> Result<(), &'static str> {
    if !s.starts_with('/') {
        return Err("must be an absolute path, starting with `/`");
    }
    if INVALID_PATH_SEQUENCES.iter().any(|x| s.contains(x)) {
        return Err("must not contain `//`, `/./`, `/../` or `%2f`");
    }
    if INVALID_PATH_SUFFIXES.iter().any(|x| s.ends_with(x)) {
        return Err("must not end with `/.` or `/..`");
    }
    Ok(())
}

/// `IsValidPortName` (IANA_SVC_NAME): at most 15 characters, lowercase letters, digits and
/// `-`, at least one letter, no `-` at either end and no `--`.
pub fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// The name part of a qualified name (label and annotation keys) and a non-empty label value:
/// at most 63 characters, letters, digits, `-`, `_`, `.`, starting and ending alphanumeric.
fn is_label_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
}

/// `IsQualifiedName`: a label or annotation key, an optional DNS-1123 subdomain prefix and `/`,
/// then a name.
pub fn is_label_key(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_label_name(name),
        None => is_label_name(s),
    }
}

/// `IsValidLabelValue`: empty, or a name as in [`is_label_key`].
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_label_name(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for ok in [
            "portal.example.com",
            "*.example.com",
            "a.b",
            "xn--bcher-kva.example",
        ] {
            assert_eq!(ingress_host(ok), Ok(()), "{ok}");
        }
        for bad in [
            "10.0.0.1",
            "010.000.000.001",
            "::1",
            "fd00::1",
            "portal",
            "*.com",
            "*",
            "foo.*.example.com",
            "*foo.example.com",
            "*.*.example.com",
            "Portal.example.com",
            "portal.example.com.",
            "-a.example.com",
            "a b.example.com",
            "",
        ] {
            assert!(ingress_host(bad).is_err(), "{bad}");
        }
        // Not four parts of at most 255: a (numeric) DNS name, as for the API server.
        assert_eq!(ingress_host("1.2.3.999"), Ok(()));
    }

    #[test]
    fn paths() {
        for ok in ["/", "/api", "/api/v1/", "/a.b", "/%41"] {
            assert_eq!(ingress_prefix_path(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "api", "api/v1", "//", "/a//b", "/a/./b", "/a/../b", "/a%2fb", "/a%2Fb", "/a/.",
            "/a/..",
        ] {
            assert!(ingress_prefix_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(is_dns1123_subdomain("nginx") && is_dns1123_subdomain("ingress.example.com"));
        assert!(!is_dns1123_subdomain("my class") && !is_dns1123_subdomain("Nginx"));
        assert!(is_dns1035_label("api-gateway") && !is_dns1035_label("1api"));
        assert!(is_port_name("http") && is_port_name("h2c-8080"));
        for bad in [
            "8080",
            "-http",
            "http-",
            "ht--tp",
            "a-very-long-port-name",
            "HTTP",
            "",
        ] {
            assert!(!is_port_name(bad), "{bad}");
        }
        assert!(is_label_key("app.kubernetes.io/name") && !is_label_key("/name"));
        assert!(is_label_value("") && !is_label_value("-a"));
    }
}
