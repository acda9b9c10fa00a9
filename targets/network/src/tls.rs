//! Encryption in transit: TLS termination at the ingress (a cert-manager Certificate and the
//! Ingress with its `tls` section) and mutual TLS inside the mesh (an Istio PeerAuthentication
//! per meshed namespace).
//!
//! The Ingress routes to the Service named after the workload, on the Service port named like
//! the workload's port (the usual convention; posture does not emit Services). The Certificate
//! is explicit rather than requested through the `cert-manager.io/cluster-issuer` annotation,
//! so what is issued, by whom and into which Secret is in the output for review.

use crate::model::{
    Certificate, CertificateSpec, HttpIngressPath, HttpIngressRuleValue, Ingress, IngressBackend,
    IngressRuleValue, IngressServiceBackend, IngressSpec, IngressTls, IssuerRef, MutualTls,
    PeerAuthentication, PeerAuthenticationSpec, PrivateKey, ServiceBackendPort, WorkloadSelector,
};
use emit::k8s::ObjectMeta;
use emit::{CONTROLS_ANNOTATION, SOURCE_ANNOTATION};
use ir::network::{Ingress as IrIngress, Mesh, MtlsMode};
use ir::{Name, Posture};

fn metadata(
    name: &str,
    ns: &Name,
    satisfies: &[ir::controls::ControlRef],
    source: &ir::ItemId,
) -> ObjectMeta {
    let mut m = ObjectMeta::named(name, Some(ns.0.to_string()));
    if let Some(c) = emit::controls_annotation([satisfies]) {
        m.annotations.insert(CONTROLS_ANNOTATION.to_string(), c);
    }
    m.annotations.insert(
        SOURCE_ANNOTATION.to_string(),
        emit::source_annotation([source]),
    );
    m
}

/// The namespace an ingress lives in: its workload's. `None` when the workload is unknown
/// (the checker reports that first).
pub fn ingress_namespace<'p>(p: &'p Posture, i: &IrIngress) -> Option<&'p Name> {
    p.workloads.get(&i.workload).map(|w| &w.namespace)
}

/// The Certificate of an ingress.
pub fn certificate(p: &Posture, i: &IrIngress) -> Option<Certificate> {
    let ns = ingress_namespace(p, i)?;
    Some(Certificate {
        api_version: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: metadata(i.name.as_str(), ns, &i.meta.satisfies, &i.id()),
        spec: CertificateSpec {
            secret_name: i.tls.secret_name.0.to_string(),
            dns_names: vec![i.host.clone()],
            issuer_ref: IssuerRef {
                name: i.tls.issuer.0.to_string(),
                kind: if i.tls.cluster_issuer {
                    "ClusterIssuer"
                } else {
                    "Issuer"
                },
                group: "cert-manager.io",
            },
            private_key: PrivateKey {
                rotation_policy: "Always",
            },
        },
    })
}

/// The Ingress, terminating TLS with the Certificate's Secret.
pub fn ingress(p: &Posture, i: &IrIngress) -> Option<Ingress> {
    let ns = ingress_namespace(p, i)?;
    Some(Ingress {
        api_version: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: metadata(i.name.as_str(), ns, &i.meta.satisfies, &i.id()),
        spec: IngressSpec {
            ingress_class_name: i.class.clone(),
            tls: vec![IngressTls {
                hosts: vec![i.host.clone()],
                secret_name: i.tls.secret_name.0.to_string(),
            }],
            rules: vec![IngressRuleValue {
                host: i.host.clone(),
                http: HttpIngressRuleValue {
                    paths: vec![HttpIngressPath {
                        path: i.path.clone(),
                        path_type: "Prefix",
                        backend: IngressBackend {
                            service: IngressServiceBackend {
                                name: i.workload.0.to_string(),
                                port: ServiceBackendPort {
                                    name: i.port.0.to_string(),
                                },
                            },
                        },
                    }],
                },
            }],
        },
    })
}

/// The namespace-wide PeerAuthentication of one meshed namespace. It has no selector and is
/// named `default`, as Istio names namespace-wide policies.
pub fn peer_authentication(m: &Mesh, ns: &Name) -> PeerAuthentication {
    PeerAuthentication {
        api_version: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: metadata(
            "default",
            ns,
            &m.meta.satisfies,
            &ir::ItemId::block(ir::Block::Mesh),
        ),
        spec: PeerAuthenticationSpec {
            selector: None,
            mtls: MutualTls { mode: mode(m) },
            port_level_mtls: Default::default(),
        },
    }
}

/// The mesh's mode as Istio writes it.
fn mode(m: &Mesh) -> &'static str {
    match m.mtls {
        MtlsMode::Strict => "STRICT",
        MtlsMode::Permissive => "PERMISSIVE",
    }
}

/// The workload-level PeerAuthentication of a workload with `permissive` ports: the mesh's
/// mode for the workload (a workload policy replaces the namespace's, so it must not change
/// the mode of the other ports), PERMISSIVE on exactly those ports (Istio applies the most
/// specific policy, so only those ports of only that workload accept plaintext).
pub fn permissive_ports(
    p: &Posture,
    m: &Mesh,
    workload: &Name,
    ports: &std::collections::BTreeSet<ir::Port>,
) -> Option<PeerAuthentication> {
    let w = p.workloads.get(workload)?;
    if ports.is_empty() {
        return None;
    }
    Some(PeerAuthentication {
        api_version: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: metadata(
            &format!("{workload}-permissive"),
            &w.namespace,
            &m.meta.satisfies,
            &ir::ItemId::block(ir::Block::Mesh),
        ),
        spec: PeerAuthenticationSpec {
            selector: Some(WorkloadSelector {
                match_labels: w
                    .selector
                    .iter()
                    .map(|(k, v)| (k.0.clone(), v.0.clone()))
                    .collect(),
            }),
            mtls: MutualTls { mode: mode(m) },
            port_level_mtls: ports
                .iter()
                .map(|port| (port.0, MutualTls { mode: "PERMISSIVE" }))
                .collect(),
        },
    })
}
