//! Typed serde models of the OSCAL documents posture reads (catalog, profile) and writes
//! (component-definition, system-security-plan, assessment-plan, assessment-results,
//! plan-of-action-and-milestones), written from the NIST OSCAL 1.1.3 JSON schemas and checked
//! against 1.1.3 and 1.2.1.
//!
//! Every struct denies unknown fields: reading a document through these models either keeps
//! every field or fails, it never drops one silently. The round-trip test over the NIST
//! SP 800-53 catalog and the FedRAMP Moderate profile (`tests` crate, suite `oscal`) is what
//! decided to own these models rather than use the `oscal` crate (oscal-rs 0.1.1), which drops
//! `back-matter.resources` and `params[].select`; see ARCHITECTURE.md.
//!
//! Field names are the schema's (kebab-case); optional fields and empty lists are left out
//! when written, since OSCAL forbids empty arrays.

pub mod assessment;
pub mod catalog;
pub mod common;
pub mod component;
pub mod poam;
pub mod profile;
pub mod ssp;

pub use common::*;

/// The OSCAL version the documents posture writes declare.
pub const OSCAL_VERSION: &str = "1.1.3";
