//! The typed documents this target writes: `networking.k8s.io/v1` Ingress, cert-manager's
//! `cert-manager.io/v1` Certificate and Istio's `security.istio.io/v1` PeerAuthentication.
//! Only the fields we emit; field order is the order Kubernetes prints. The NetworkPolicy
//! model is shared with other targets and lives in [`emit::netpol`] (re-exported here).

use emit::k8s::ObjectMeta;
pub use emit::netpol::{
    EgressRule, IngressRule, IpBlock, LabelSelector, NetworkPolicy, NetworkPolicySpec, Peer,
    PolicyPort, PolicyType, PortRef, Protocol,
};
use serde::Serialize;

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

/// `spec` of a PeerAuthentication: without a selector it covers the whole namespace; with
/// one, the selected workload, whose `portLevelMtls` overrides the mode per port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerAuthenticationSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<WorkloadSelector>,
    pub mtls: MutualTls,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub port_level_mtls: std::collections::BTreeMap<u16, MutualTls>,
}

/// Istio's workload selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSelector {
    pub match_labels: std::collections::BTreeMap<String, String>,
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
