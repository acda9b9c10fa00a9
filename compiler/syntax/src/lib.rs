//! The posture syntax: grammar, parser, AST, block shapes and the formatter.
//!
//! `parse` is the whole front door: text in, AST and diagnostics out. pest is confined to
//! `parser.rs`; nothing outside this crate sees a pest type.

pub mod ast;
mod depth;
pub mod fmt;
mod parser;
pub mod shape;

pub use depth::MAX_DEPTH;

use diagnostics::{Diagnostics, FileId};

/// Units a number may carry. Durations: `s m h d w y`; Kubernetes quantities: `m` (milli) and
/// the decimal and binary suffixes. Which reading applies depends on the attribute.
pub const UNITS: &[&str] = &[
    "s", "m", "h", "d", "w", "y", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
];

/// Parses one file: depth pre-pass, grammar, lowering with literal checks, block shapes.
///
/// Returns `None` when the text could not be parsed at all (too deep, or not in the grammar:
/// exactly one diagnostic then). Otherwise the AST, with every literal and shape problem in
/// the diagnostics.
pub fn parse(file: FileId, text: &str) -> (Option<ast::File>, Diagnostics) {
    if let Some(d) = depth::check(file, text) {
        return (None, vec![d].into());
    }
    let (ast, mut diags) = parser::parse(file, text);
    if let Some(ast) = &ast {
        shape::check(ast, &mut diags);
    }
    (ast, diags)
}
