//! The typed posture model: the single input of every emitter and analysis.
//!
//! Everything here is resolved and checked: references are typed ids, literals are newtypes,
//! and every item keeps the [`Span`] it came from (for diagnostics and the control graph's
//! `file:line` answers). Emitters never see the syntax tree.

pub use diagnostics::Span;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// The whole posture.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Posture {}
