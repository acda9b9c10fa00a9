//! Shared helpers for the integration tests (`integration/main.rs`) and the fuzz targets
//! (`fuzz/`): the ui-case annotation parser, the span-free AST rendering, span invariants, the
//! list of valid inputs in the repository, and strict JSON schemas from CRDs. The seeded PRNG is
//! `synthetic::Rng`.

pub mod annotations;
pub mod crd;
pub mod erase;
pub mod inputs;
pub mod spans;

/// "Today" in every ui case, so exception expiry never depends on the clock.
pub const TODAY: ir::Date = ir::Date {
    year: 2026,
    month: 11,
    day: 27,
};

/// The driver options every test uses.
pub fn options() -> driver::Options {
    driver::Options { today: Some(TODAY) }
}
