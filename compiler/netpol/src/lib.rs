//! NetworkPolicy semantics: a neutral model, loaders, and the reachability analysis.
//!
//! The build's proof runs [`analyze`] over the emitted NetworkPolicies and the declared
//! workloads, turns the result into a [`Relation`], and compares it with the relation the
//! declared intents describe ([`Relation::diff`]). This crate is that independent oracle: it
//! implements the Kubernetes semantics from the documentation and shares no code with the
//! emitter.
//!
//! - [`model`]: the neutral model (namespaces, workloads, policies, exposures, addresses);
//! - [`load`]: the model from plain Kubernetes YAML or JSON (files, directories, lists);
//! - [`ir`]: the model from a checked posture, the relation it declares, and the proof's
//!   comparison;
//! - [`analysis`]: the reachability analysis over classes of equivalent workloads;
//! - [`relation`]: the typed connectivity relation and its comparison;
//! - [`connlist`]: np-guard's `connlist` text format;
//! - [`synthetic`]: a generator of large clusters, for benchmarks and scale tests.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod connlist;
mod fxhash;
pub mod ip;
pub mod ir;
pub mod load;
pub mod model;
pub mod ports;
pub mod relation;
pub mod selector;
pub mod synthetic;

pub use analysis::{
    AnalysisOptions, AnalysisWarning, ClassIsolation, Connectivity, IngressControllerMode, analyze,
};
pub use ip::{Cidr, IpFamily, IpRange, IpSet};
pub use model::{Cluster, NetworkPolicy, Workload, WorkloadId};
pub use ports::{ConnSet, PortNumber, PortSet, Protocol};
pub use relation::{Edge, Endpoint, Relation, RelationDiff};
pub use selector::{LabelSelector, Labels};
