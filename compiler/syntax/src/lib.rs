//! The posture syntax: grammar, parser, AST, block shapes and the formatter.
//!
//! `parse` is the whole front door: text in, AST and diagnostics out. pest is confined to
//! `parser.rs`; nothing outside this crate sees a pest type. A hand-written parser
//! (`fast.rs`) runs first and builds the same AST for input that parses and lowers cleanly;
//! for anything else it declines and the pest path, the reference, runs and reports.

pub mod ast;
mod depth;
mod fast;
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
///
/// The fast parser runs first, without the depth pre-pass: it counts the same brackets (every
/// `{` and `[` outside strings, backtick expressions and comments opens a level it enters) and
/// declines past [`MAX_DEPTH`] itself, so a text it accepts is one the pre-pass passes. Only
/// when it declines do the pre-pass and then pest run.
pub fn parse(file: FileId, text: &str) -> (Option<ast::File>, Diagnostics) {
    let (ast, mut diags) = match fast::parse(file, text) {
        Some(ast) => (Some(ast), Diagnostics::new()),
        None => {
            if let Some(d) = depth::check(file, text) {
                return (None, vec![d].into());
            }
            parser::parse(file, text)
        }
    };
    if let Some(ast) = &ast {
        shape::check(ast, &mut diags);
    }
    (ast, diags)
}

/// The fast parser alone, as [`parse`] runs it (without the depth pre-pass): the AST, or
/// `None` where it declines. For the differential tests (which so also hold that it never
/// accepts a text the pre-pass refuses) and the parser benchmark; use [`parse`].
#[doc(hidden)]
pub fn parse_fast(file: FileId, text: &str) -> Option<ast::File> {
    fast::parse(file, text)
}

/// The pest path alone (after the depth pre-pass), without the block-shape check: the
/// reference the fast parser must equal. For the differential tests and the parser
/// benchmark; use [`parse`].
#[doc(hidden)]
pub fn parse_reference(file: FileId, text: &str) -> (Option<ast::File>, Diagnostics) {
    if let Some(d) = depth::check(file, text) {
        return (None, vec![d].into());
    }
    parser::parse(file, text)
}
