//! Namespaces, workloads, network intents, ingress TLS and the service mesh.

use crate::{Block, Cidr, ItemId, Labels, Meta, Name, Port, Protocol};
use serde::Serialize;
use std::collections::BTreeMap;

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PodSecurityLevel {
    /// The level as Pod Security admission's labels write it.
    pub fn as_str(self) -> &'static str {
        match self {
            PodSecurityLevel::Privileged => "privileged",
            PodSecurityLevel::Baseline => "baseline",
            PodSecurityLevel::Restricted => "restricted",
        }
    }
}

/// Pod Security Admission modes for a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PodSecurity {
    pub enforce: PodSecurityLevel,
    pub audit: PodSecurityLevel,
    pub warn: PodSecurityLevel,
    /// `None` = `latest`.
    pub version: Option<crate::system::Version>,
}

/// `namespace NAME { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Namespace {
    pub name: Name,
    pub pod_security: Option<PodSecurity>,
    pub labels: Labels,
    pub tenant: Option<String>,
    pub meta: Meta,
}

/// A named container port of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NamedPort {
    pub port: Port,
    pub protocol: Protocol,
}

/// `workload NAME { … }`: a named selector in a namespace with named ports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub name: Name,
    pub namespace: Name,
    pub selector: Labels,
    pub ports: BTreeMap<Name, NamedPort>,
    /// Expected processes, for anomaly rules.
    pub processes: Vec<String>,
    pub meta: Meta,
}

/// A built-in peer's location: `ingress-controller` and `cluster-dns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltinPeer {
    pub namespace: Name,
    pub selector: Labels,
}

/// The directions a default deny covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingress,
    Egress,
}

/// One side of an intent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Peer {
    Workload {
        name: Name,
    },
    /// Every pod of a namespace.
    Namespace {
        name: Name,
    },
    IngressController,
    ClusterDns,
    /// The service mesh's control plane (`target { mesh_control_plane }`).
    MeshControlPlane,
    /// An address block outside the cluster, with exceptions strictly inside it.
    Cidr {
        cidr: Cidr,
        except: Vec<Cidr>,
    },
}

/// The destination port of an intent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PortSpec {
    Number {
        port: Port,
    },
    /// A named port of the destination workload, resolved to its number.
    Named {
        name: Name,
        port: Port,
    },
    Range {
        first: Port,
        last: Port,
    },
}

/// `allow FROM -> TO[:PORT] { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intent {
    /// The NetworkPolicy name to use, when given (`name = "allow-portal-to-api"`).
    pub name: Option<Name>,
    pub from: Peer,
    pub to: Peer,
    /// No ports = every port.
    pub ports: Vec<PortSpec>,
    pub protocol: Protocol,
    /// `tls = true`: the application encrypts this hop itself (HTTPS, TLS to a database), so
    /// a flow in or out of the mesh is not plaintext.
    pub tls: bool,
    /// The item that implies this flow when the posture does not declare it (the `mesh`
    /// block's flows to its control plane); `None` for a declared `allow`.
    pub implied_by: Option<ItemId>,
    pub meta: Meta,
    /// [`Intent::id`], worked out at its first use (every phase names every intent: at 50,000
    /// intents formatting the id again in each was a few percent of a build). Not part of the
    /// intent's value: it compares equal, serializes to nothing, and starts empty.
    #[serde(skip)]
    pub id_cache: IdCache,
}

/// The memo behind [`Intent::id`]; see [`Intent::id_cache`]. The IR is built once and then
/// only read, so the id cannot go stale.
#[derive(Clone, Default)]
pub struct IdCache(std::sync::OnceLock<ItemId>);

impl PartialEq for IdCache {
    fn eq(&self, _: &IdCache) -> bool {
        true
    }
}

impl std::fmt::Debug for IdCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdCache")
    }
}

/// A default deny of one namespace. A `default_deny` statement that lists several namespaces
/// is one of these per namespace (sharing the statement's span): each is its own item, so an id
/// stays short however many namespaces the statement lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefaultDeny {
    pub namespace: Name,
    pub directions: Vec<Direction>,
    pub meta: Meta,
}

/// `network { … }`, merged over every file.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Network {
    pub default_deny: Vec<DefaultDeny>,
    /// Namespaces whose pods may reach the cluster DNS.
    pub allow_dns: Vec<Name>,
    pub intents: Vec<Intent>,
}

impl Network {
    /// Every declared egress destination outside the cluster, with the workloads allowed to
    /// reach it: the runtime target derives "unexpected outbound connection" rules from this.
    pub fn egress_destinations(&self) -> Vec<(&Peer, &Peer, &[PortSpec])> {
        self.intents
            .iter()
            .filter(|i| matches!(i.to, Peer::Cidr { .. }))
            .map(|i| (&i.from, &i.to, i.ports.as_slice()))
            .collect()
    }
}

/// TLS settings of an ingress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tls {
    /// The cert-manager issuer.
    pub issuer: Name,
    /// `Issuer` (namespaced) or `ClusterIssuer`.
    pub cluster_issuer: bool,
    /// The Secret the certificate is stored in (defaults to `<ingress>-tls`).
    pub secret_name: Name,
}

/// `ingress NAME { … }`: TLS termination in front of a workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ingress {
    pub name: Name,
    pub workload: Name,
    pub host: String,
    pub port: Name,
    pub path: String,
    pub class: Option<String>,
    pub tls: Tls,
    pub meta: Meta,
}

/// Mutual TLS mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MtlsMode {
    Strict,
    Permissive,
}

/// The mesh implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MeshProvider {
    Istio,
}

/// `mesh { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mesh {
    pub mtls: MtlsMode,
    pub provider: MeshProvider,
    /// The meshed namespaces; empty = every declared namespace.
    pub namespaces: Vec<Name>,
    /// Ports of workloads that accept plaintext from clients outside the mesh under strict
    /// mTLS (`permissive = { portal = [http] }`): a port-level PERMISSIVE PeerAuthentication.
    pub permissive: BTreeMap<Name, std::collections::BTreeSet<Port>>,
    pub meta: Meta,
}

/// What the mesh needs from the network: the ports a sidecar reaches its control plane on.
/// Istio: 15012 (xDS and certificate signing, over mTLS). 15010 (plaintext xDS) and 15017 (the
/// injection webhook, which the API server calls) are no sidecar's business.
pub const ISTIO_SIDECAR_PORTS: [u16; 1] = [15012];

impl Mesh {
    /// The namespaces the mesh covers, sorted: its own list, or every declared namespace.
    pub fn meshed(&self, declared: &BTreeMap<Name, Namespace>) -> Vec<Name> {
        let mut v: Vec<Name> = if self.namespaces.is_empty() {
            declared.keys().cloned().collect()
        } else {
            self.namespaces.clone()
        };
        v.sort();
        v.dedup();
        v
    }
}

/// The namespaces the posture's mesh covers, sorted (none without a mesh).
pub fn meshed_namespaces(p: &crate::Posture) -> Vec<Name> {
    p.mesh
        .as_ref()
        .map(|m| m.meshed(&p.namespaces))
        .unwrap_or_default()
}

/// Whether every endpoint of the peer runs a sidecar of the mesh, given the sorted
/// [`meshed_namespaces`] (computed once by the caller: this runs per intent).
pub fn is_meshed(p: &crate::Posture, meshed: &[Name], peer: &Peer) -> bool {
    let has = |ns: &Name| meshed.binary_search(ns).is_ok();
    match peer {
        Peer::Workload { name } => p.workloads.get(name).is_some_and(|w| has(&w.namespace)),
        Peer::Namespace { name } => has(name),
        Peer::IngressController => has(&p.target.ingress_controller.namespace),
        Peer::ClusterDns | Peer::MeshControlPlane | Peer::Cidr { .. } => false,
    }
}

/// The declared flows that enter or leave the mesh without TLS of their own: one side meshed,
/// the other not, and no `tls = true` (implied flows, such as DNS, are the mesh's own). Under
/// strict mTLS these are the hops that travel in plaintext (an inbound one only where a
/// PERMISSIVE port lets it in at all).
pub fn plaintext_hops(p: &crate::Posture) -> Vec<&Intent> {
    let meshed = meshed_namespaces(p);
    if meshed.is_empty() {
        return Vec::new();
    }
    p.network
        .intents
        .iter()
        .filter(|i| i.implied_by.is_none())
        .filter(|i| !i.tls && is_meshed(p, &meshed, &i.from) != is_meshed(p, &meshed, &i.to))
        .collect()
}

impl Intent {
    /// The item the intent's policies trace to: the implying item (`mesh`) for an implied
    /// flow, else the intent itself.
    pub fn source(&self) -> ItemId {
        self.source_ref().clone()
    }

    /// [`Intent::source`], borrowed.
    pub fn source_ref(&self) -> &ItemId {
        self.implied_by.as_ref().unwrap_or_else(|| self.id_ref())
    }

    /// [`Intent::id`], borrowed (worked out once).
    pub fn id_ref(&self) -> &ItemId {
        self.id_cache.0.get_or_init(|| self.make_id())
    }

    /// The intent's id: `network.<name>` when it is named, else `network.allow <flow>`
    /// (`network.allow portal -> api-gateway:8000`), with the protocol when it is not TCP
    /// (`network.allow web -> cache:stats (udp)`).
    pub fn id(&self) -> ItemId {
        self.id_ref().clone()
    }

    fn make_id(&self) -> ItemId {
        match &self.name {
            Some(n) => ItemId::new(Block::Network, n.0.clone()),
            None => {
                let proto = match self.protocol {
                    Protocol::Tcp => "",
                    Protocol::Udp => " (udp)",
                    Protocol::Sctp => " (sctp)",
                };
                // Written piece by piece (a large posture has tens of thousands of these).
                let mut id = String::with_capacity(64);
                id.push_str("allow ");
                self.write_flow(&mut id);
                id.push_str(proto);
                ItemId::new(Block::Network, id)
            }
        }
    }

    /// `from -> to:ports` as the language writes it (`portal -> api-gateway:8000`,
    /// `namespace apps -> "10.0.0.0/8"`).
    pub fn flow(&self) -> String {
        let mut out = String::with_capacity(48);
        self.write_flow(&mut out);
        out
    }

    /// [`Intent::flow`], appended to `out`.
    fn write_flow(&self, out: &mut String) {
        push_peer(out, &self.from);
        out.push_str(" -> ");
        push_peer(out, &self.to);
        push_ports(out, &self.ports);
    }
}

impl Ingress {
    /// `ingress.<name>`.
    pub fn id(&self) -> ItemId {
        ItemId::new(Block::Ingress, self.name.0.clone())
    }
}

impl DefaultDeny {
    /// The item's id: `network.default_deny <namespace>`.
    pub fn id(&self) -> ItemId {
        ItemId::new(Block::Network, format!("default_deny {}", self.namespace))
    }
}

/// A peer as the posture writes it (`api-gateway`, `namespace data`, `"10.0.0.0/8"`).
pub fn peer_text(p: &Peer) -> String {
    peer(p)
}

fn peer(p: &Peer) -> String {
    let mut out = String::new();
    push_peer(&mut out, p);
    out
}

/// A peer as the posture writes it, appended to `out`.
fn push_peer(out: &mut String, p: &Peer) {
    use std::fmt::Write as _;
    match p {
        Peer::Workload { name } => out.push_str(&name.0),
        Peer::Namespace { name } => {
            out.push_str("namespace ");
            out.push_str(&name.0);
        }
        Peer::IngressController => out.push_str("ingress-controller"),
        Peer::ClusterDns => out.push_str("cluster-dns"),
        Peer::MeshControlPlane => out.push_str("mesh-control-plane"),
        Peer::Cidr { cidr, except } => {
            // Writing to a String cannot fail.
            let _ = write!(out, "\"{cidr}\"");
            if !except.is_empty() {
                out.push_str(" except [");
                for (n, e) in except.iter().enumerate() {
                    if n > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{e}");
                }
                out.push(']');
            }
        }
    }
}

/// `:PORT,PORT` as the posture writes them (nothing for no ports), appended to `out`.
fn push_ports(out: &mut String, list: &[PortSpec]) {
    use std::fmt::Write as _;
    for (n, p) in list.iter().enumerate() {
        out.push(if n == 0 { ':' } else { ',' });
        // Writing to a String cannot fail.
        let _ = match p {
            PortSpec::Number { port } => write!(out, "{}", port.0),
            PortSpec::Named { name, .. } => {
                out.push_str(&name.0);
                Ok(())
            }
            PortSpec::Range { first, last } => write!(out, "{}-{}", first.0, last.0),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(from: Peer, to: Peer, ports: Vec<PortSpec>, protocol: Protocol) -> Intent {
        let span = diagnostics::Span {
            file: diagnostics::FileId(0),
            start: 0,
            end: 0,
        };
        Intent {
            name: None,
            from,
            to,
            ports,
            protocol,
            tls: false,
            implied_by: None,
            meta: Meta::new(span),
            id_cache: IdCache::default(),
        }
    }

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).expect("a CIDR")
    }

    /// The ids and flows as the language writes them, piece by piece as `format!` wrote them.
    #[test]
    fn flows_and_ids_are_written_as_the_language_writes_them() {
        let w = |n: &str| Peer::Workload {
            name: Name(n.into()),
        };
        let cases = [
            (
                intent(
                    w("portal"),
                    w("api"),
                    vec![PortSpec::Number { port: Port(8000) }],
                    Protocol::Tcp,
                ),
                "portal -> api:8000",
                "network.allow portal -> api:8000",
            ),
            (
                intent(
                    Peer::Namespace {
                        name: Name::new("apps"),
                    },
                    Peer::Cidr {
                        cidr: cidr("10.0.0.0/8"),
                        except: vec![cidr("10.1.0.0/16"), cidr("10.2.0.0/16")],
                    },
                    vec![
                        PortSpec::Range {
                            first: Port(8000),
                            last: Port(8100),
                        },
                        PortSpec::Named {
                            name: Name::new("http"),
                            port: Port(80),
                        },
                    ],
                    Protocol::Udp,
                ),
                "namespace apps -> \"10.0.0.0/8\" except [10.1.0.0/16, 10.2.0.0/16]:8000-8100,http",
                "network.allow namespace apps -> \"10.0.0.0/8\" except [10.1.0.0/16, 10.2.0.0/16]:8000-8100,http (udp)",
            ),
            (
                intent(
                    Peer::IngressController,
                    Peer::Cidr {
                        cidr: cidr("192.0.2.0/24"),
                        except: vec![],
                    },
                    vec![],
                    Protocol::Sctp,
                ),
                "ingress-controller -> \"192.0.2.0/24\"",
                "network.allow ingress-controller -> \"192.0.2.0/24\" (sctp)",
            ),
        ];
        for (i, flow, id) in cases {
            assert_eq!(i.flow(), flow);
            assert_eq!(i.id().to_string(), id);
        }
    }
}
