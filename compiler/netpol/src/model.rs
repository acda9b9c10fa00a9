//! The neutral model the analysis reads: namespaces, workloads (pod classes), NetworkPolicies,
//! ingress exposures, external blocks and the cluster's own address ranges.
//!
//! Nothing here knows where the data came from: the YAML loader in [`crate::load`] builds it
//! from Kubernetes manifests, and the compiler's IR loader builds it from declared workloads
//! and emitted policies.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::ip::{Cidr, IpFamily};
use crate::ports::{PortNumber, PortSet, Protocol};
use crate::selector::{LabelSelector, Labels};

/// The label the API server puts on every namespace, holding its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

macro_rules! name_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        pub struct $name(String);

        impl $name {
            /// Wraps a name.
            pub fn new(s: impl Into<String>) -> Self {
                $name(s.into())
            }

            /// The name.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_newtype!(
    /// The name of a namespace.
    NamespaceName
);
name_newtype!(
    /// The name of a namespaced object (workload, policy, service, route).
    ObjectName
);
name_newtype!(
    /// The name of a container port (an IANA service name).
    PortName
);

/// A namespace and its labels.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Namespace {
    /// The name.
    pub name: NamespaceName,
    /// The labels, as declared (the analysis adds `kubernetes.io/metadata.name`).
    pub labels: Labels,
}

/// What kind of object owns a class of pods.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum WorkloadKind {
    /// A bare pod (or a pod whose owner kind is unknown).
    Pod,
    /// apps/v1 Deployment.
    Deployment,
    /// apps/v1 StatefulSet.
    StatefulSet,
    /// apps/v1 DaemonSet.
    DaemonSet,
    /// apps/v1 ReplicaSet.
    ReplicaSet,
    /// v1 ReplicationController.
    ReplicationController,
    /// batch/v1 Job.
    Job,
    /// batch/v1 CronJob.
    CronJob,
    /// Any other controller kind named by a pod's owner reference.
    Other(String),
}

impl WorkloadKind {
    /// The Kubernetes kind name (`Other` keeps the owner's spelling).
    pub fn as_str(&self) -> &str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::Other(s) => s,
        }
    }

    /// The kind for an owner-reference kind; empty means a bare pod.
    pub fn from_kind(s: &str) -> WorkloadKind {
        match s {
            "" | "Pod" => WorkloadKind::Pod,
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "ReplicationController" => WorkloadKind::ReplicationController,
            "Job" => WorkloadKind::Job,
            "CronJob" => WorkloadKind::CronJob,
            other => WorkloadKind::Other(other.to_string()),
        }
    }
}

/// Identifies a workload: namespace, name and kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct WorkloadId {
    /// The namespace.
    pub namespace: NamespaceName,
    /// The owner's name (or the pod's, for a bare pod).
    pub name: ObjectName,
    /// The owner's kind.
    pub kind: WorkloadKind,
}

impl fmt::Display for WorkloadId {
    /// np-guard's wording: `namespace/name[Kind]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}[{}]",
            self.namespace,
            self.name,
            self.kind.as_str()
        )
    }
}

/// A container port a named policy port can resolve to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct ContainerPort {
    /// The port's name, if it has one.
    pub name: Option<PortName>,
    /// The number.
    pub number: PortNumber,
    /// The protocol (TCP when the manifest names none).
    pub protocol: Protocol,
}

/// A class of identical pods: every pod of one workload has these labels and ports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Workload {
    /// Which workload.
    pub id: WorkloadId,
    /// The pod labels (the pod template's).
    pub labels: Labels,
    /// The container ports of all containers.
    pub ports: Vec<ContainerPort>,
}

/// Which directions a policy isolates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PolicyTypes {
    /// The policy isolates its pods for ingress.
    pub ingress: bool,
    /// The policy isolates its pods for egress.
    pub egress: bool,
}

/// One peer of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum PolicyPeer {
    /// Pods chosen by selectors: `namespaces: None` means the policy's own namespace;
    /// `pods: None` means every pod of the chosen namespaces.
    Pods {
        /// The `namespaceSelector`, if any.
        namespaces: Option<LabelSelector>,
        /// The `podSelector`, if any.
        pods: Option<LabelSelector>,
    },
    /// An `ipBlock`: a CIDR minus exceptions.
    IpBlock(IpBlock),
}

/// An `ipBlock` peer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct IpBlock {
    /// The block.
    pub cidr: Cidr,
    /// Addresses of the block that the peer leaves out.
    pub except: Vec<Cidr>,
}

/// The port part of one `ports` entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum PortSpec {
    /// `port` (and `endPort`): the numbers `start..=end`.
    Range {
        /// `port`.
        start: PortNumber,
        /// `endPort`, or `port` when absent.
        end: PortNumber,
    },
    /// A named port, resolved against the destination pod's container ports.
    Named(PortName),
}

/// One entry of a rule's `ports`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PolicyPort {
    /// The protocol (TCP by default).
    pub protocol: Protocol,
    /// The port, or `None` for every port of the protocol.
    pub port: Option<PortSpec>,
}

/// One ingress or egress rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PolicyRule {
    /// `from` / `to`: empty means every peer (all pods of all namespaces and every address).
    pub peers: Vec<PolicyPeer>,
    /// `ports`: empty means every port of every protocol.
    pub ports: Vec<PolicyPort>,
}

/// A NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NetworkPolicy {
    /// The namespace it lives in (and whose pods it selects).
    pub namespace: NamespaceName,
    /// Its name.
    pub name: ObjectName,
    /// `podSelector`.
    pub pod_selector: LabelSelector,
    /// `policyTypes`, with Kubernetes' defaulting already applied.
    pub policy_types: PolicyTypes,
    /// `ingress` rules.
    pub ingress: Vec<PolicyRule>,
    /// `egress` rules.
    pub egress: Vec<PolicyRule>,
}

/// What put a workload behind the ingress controller.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ExposureSource {
    /// An OpenShift Route.
    Route(NamespaceName, ObjectName),
    /// A networking.k8s.io Ingress.
    Ingress(NamespaceName, ObjectName),
    /// Declared directly (by the compiler's own model).
    Declared,
}

/// The ingress controller forwards to this workload on these ports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct IngressExposure {
    /// Why.
    pub source: ExposureSource,
    /// To which workload.
    pub workload: WorkloadId,
    /// On which ports (TCP).
    pub ports: PortSet,
}

/// Who the ingress controller is, as far as policy selectors can tell.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IngressController {
    /// Its namespace.
    pub namespace: NamespaceName,
    /// Its namespace's labels (the analysis adds `kubernetes.io/metadata.name`).
    pub namespace_labels: Labels,
    /// Its pod labels.
    pub pod_labels: Labels,
}

impl Default for IngressController {
    /// np-guard's placeholder: a pod without labels in namespace `ingress-controller-ns`.
    fn default() -> Self {
        IngressController {
            namespace: NamespaceName::new("ingress-controller-ns"),
            namespace_labels: Labels::new(),
            pod_labels: Labels::new(),
        }
    }
}

/// The cluster's own address ranges and address families.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClusterNetwork {
    /// Pod CIDRs: an `ipBlock` overlapping them is CNI-dependent (a warning).
    pub pod_cidrs: Vec<Cidr>,
    /// Service CIDRs: likewise.
    pub service_cidrs: Vec<Cidr>,
    /// The families of the external address space; a family named by any `ipBlock` is added.
    pub families: BTreeSet<IpFamily>,
}

impl Default for ClusterNetwork {
    fn default() -> Self {
        ClusterNetwork {
            pod_cidrs: Vec::new(),
            service_cidrs: Vec::new(),
            families: BTreeSet::from([IpFamily::V4]),
        }
    }
}

/// Everything the analysis reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Cluster {
    /// Declared namespaces; a namespace that is only referenced gets just its name label.
    pub namespaces: BTreeMap<NamespaceName, Namespace>,
    /// Workloads, one per id.
    pub workloads: BTreeMap<WorkloadId, Workload>,
    /// NetworkPolicies.
    pub policies: Vec<NetworkPolicy>,
    /// Workloads the ingress controller forwards to.
    pub ingress_exposures: Vec<IngressExposure>,
    /// The ingress controller's identity.
    pub ingress_controller: IngressController,
    /// Address ranges and families.
    pub network: ClusterNetwork,
    /// External blocks the caller wants as cut points of the address space (e.g. the CIDRs
    /// named by intents), so that each shows up as whole ranges in the result.
    pub external_blocks: Vec<Cidr>,
}

impl Cluster {
    /// Adds a workload, replacing one with the same id.
    pub fn add_workload(&mut self, w: Workload) {
        self.workloads.insert(w.id.clone(), w);
    }
}
