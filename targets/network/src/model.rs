//! The typed documents this target writes: `networking.k8s.io/v1` NetworkPolicy and Ingress,
//! cert-manager's `cert-manager.io/v1` Certificate and Istio's `security.istio.io/v1`
//! PeerAuthentication. Only the fields we emit; field order is the order Kubernetes prints.

use emit::k8s::ObjectMeta;
use serde::Serialize;
use std::collections::BTreeMap;

/// A label selector with `matchLabels` only; the empty selector (`{}`) selects everything.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
}

/// A direction a NetworkPolicy isolates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum PolicyType {
    Ingress,
    Egress,
}

/// `ipBlock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpBlock {
    pub cidr: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// One entry of `from` or `to`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

/// A port by number or by the destination pod's container port name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

/// A transport protocol, spelled as Kubernetes spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Protocol {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

impl From<ir::Protocol> for Protocol {
    fn from(p: ir::Protocol) -> Protocol {
        match p {
            ir::Protocol::Tcp => Protocol::Tcp,
            ir::Protocol::Udp => Protocol::Udp,
            ir::Protocol::Sctp => Protocol::Sctp,
        }
    }
}

/// One entry of a rule's `ports`; no `port` means every port of the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPort {
    pub protocol: Protocol,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_port: Option<u16>,
}

/// An ingress rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngressRule {
    pub from: Vec<Peer>,
    pub ports: Vec<PolicyPort>,
}

/// An egress rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EgressRule {
    pub to: Vec<Peer>,
    pub ports: Vec<PolicyPort>,
}

/// `spec` of a NetworkPolicy. `podSelector` is always written (`{}` selects every pod of
/// the namespace); `policyTypes` is always explicit, so no reader has to apply defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    pub pod_selector: LabelSelector,
    pub policy_types: Vec<PolicyType>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<IngressRule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
}

/// A `networking.k8s.io/v1` NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicy {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: NetworkPolicySpec,
}

/// cert-manager's `issuerRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuerRef {
    pub name: String,
    pub kind: &'static str,
    pub group: &'static str,
}

/// `spec` of a cert-manager Certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    pub secret_name: String,
    pub dns_names: Vec<String>,
    pub issuer_ref: IssuerRef,
    pub private_key: PrivateKey,
}

/// `spec.privateKey` of a Certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateKey {
    /// `Always`: a new key at every renewal.
    pub rotation_policy: &'static str,
}

/// A `cert-manager.io/v1` Certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: CertificateSpec,
}

/// `spec.tls[]` of an Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressTls {
    pub hosts: Vec<String>,
    pub secret_name: String,
}

/// A Service port by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceBackendPort {
    pub name: String,
}

/// `backend.service`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngressServiceBackend {
    pub name: String,
    pub port: ServiceBackendPort,
}

/// `backend`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngressBackend {
    pub service: IngressServiceBackend,
}

/// One HTTP path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpIngressPath {
    pub path: String,
    pub path_type: &'static str,
    pub backend: IngressBackend,
}

/// `http`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpIngressRuleValue {
    pub paths: Vec<HttpIngressPath>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngressRuleValue {
    pub host: String,
    pub http: HttpIngressRuleValue,
}

/// `spec` of an Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress_class_name: Option<String>,
    pub tls: Vec<IngressTls>,
    pub rules: Vec<IngressRuleValue>,
}

/// A `networking.k8s.io/v1` Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ingress {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: IngressSpec,
}

/// `spec.mtls` of a PeerAuthentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MutualTls {
    /// `STRICT` or `PERMISSIVE`.
    pub mode: &'static str,
}

/// `spec` of a PeerAuthentication; no selector, so it covers the whole namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerAuthenticationSpec {
    pub mtls: MutualTls,
}

/// An Istio `security.istio.io/v1` PeerAuthentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerAuthentication {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: PeerAuthenticationSpec,
}
