//! Stable, readable NetworkPolicy names: `default-deny-all`, `allow-dns`,
//! `allow-ingress-to-<peer>` and `allow-egress-from-<peer>` (one policy per workload and
//! direction). Names are unique per namespace: a later clash gets `-2`, `-3`, … in declaration
//! order, so the same posture always gives the same names.

use ir::Name;
use ir::network::Peer;
use std::collections::{BTreeMap, BTreeSet};

/// The longest object name Kubernetes accepts (a DNS-1123 subdomain).
const MAX_NAME: usize = 253;

/// Hands out names, unique per namespace.
#[derive(Debug, Default)]
pub(crate) struct Namer {
    used: BTreeMap<Name, BTreeSet<String>>,
}

impl Namer {
    /// `base` in `namespace`, or `base-2`, `base-3`, … when taken.
    pub(crate) fn claim(&mut self, namespace: &Name, base: &str) -> String {
        let used = self.used.entry(namespace.clone()).or_default();
        let mut candidate = bounded(base);
        let mut n = 2u64;
        while used.contains(&candidate) {
            candidate = bounded(&format!("{base}-{n}"));
            n += 1;
        }
        used.insert(candidate.clone());
        candidate
    }
}

/// A name cut to [`MAX_NAME`] characters, keeping it unique with a hash of the whole.
fn bounded(name: &str) -> String {
    if name.len() <= MAX_NAME {
        return name.to_string();
    }
    // FNV-1a: small, stable across platforms and versions.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let head: String = name.chars().take(MAX_NAME - 9).collect();
    format!("{}-{h:08x}", head.trim_end_matches('-'))
}

/// Lowercase letters, digits and single `-`, nothing else; never empty.
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed.to_string()
    }
}

/// How a peer reads in a generated name.
pub(crate) fn peer_part(peer: &Peer) -> String {
    match peer {
        Peer::Workload { name } => sanitize(name.as_str()),
        Peer::Namespace { name } => format!("ns-{}", sanitize(name.as_str())),
        Peer::IngressController => "ingress-controller".to_string(),
        Peer::ClusterDns => "cluster-dns".to_string(),
        Peer::MeshControlPlane => "mesh-control-plane".to_string(),
        Peer::Cidr { cidr, .. } => format!("cidr-{}", sanitize(&cidr.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_dns_labels() {
        assert_eq!(sanitize("api-gateway"), "api-gateway");
        assert_eq!(sanitize("My_Service"), "my-service");
        assert_eq!(sanitize("10.20.0.0/16"), "10-20-0-0-16");
        assert_eq!(sanitize("::/0"), "0");
        assert_eq!(sanitize("--"), "x");
    }

    #[test]
    fn clashes_get_numbers_and_long_names_a_hash() {
        let mut n = Namer::default();
        let ns = Name::new("a");
        assert_eq!(n.claim(&ns, "allow-x"), "allow-x");
        assert_eq!(n.claim(&ns, "allow-x"), "allow-x-2");
        assert_eq!(n.claim(&ns, "allow-x"), "allow-x-3");
        assert_eq!(n.claim(&Name::new("b"), "allow-x"), "allow-x");
        let long = "a".repeat(300);
        let once = n.claim(&ns, &long);
        assert_eq!(once.len(), MAX_NAME);
        assert_ne!(n.claim(&ns, &long), once);
    }
}
