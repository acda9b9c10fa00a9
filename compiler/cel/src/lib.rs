//! The typed CEL subset of admission rules.
//!
//! Users write Kubernetes/Kyverno CEL in backticks in `validate` rules (`require = `…``,
//! `deny = `…``). This crate
//!
//! - parses it ([`parse`], a hand-written recursive-descent parser; errors are
//!   [`ParseError`]s that become `P3001`/`P3002` diagnostics),
//! - prints canonical CEL ([`print`]: minimal parentheses, single-quoted strings;
//!   `parse(print(e)) == e` up to ranges),
//! - offers a typed builder for emitters ([`Expr::ident`], [`Expr::field`], [`Expr::eq`],
//!   [`Expr::and`], [`Expr::all`], …) so no CEL is ever made by string concatenation,
//! - and checks an expression against the vendored Kubernetes OpenAPI schema ([`check`]):
//!   field paths, types, functions, parameters, and optional-safe access for fields that may
//!   be absent.
//!
//! | module | owns |
//! | --- | --- |
//! | [`ast`] | the tree ([`Expr`], [`ExprKind`], [`Lit`], operators, macros) and the builder |
//! | [`parse`](mod@parse) | lexer and parser |
//! | [`print`](mod@print) | the canonical printer |

pub mod ast;
pub mod check;
pub mod parse;
pub mod print;
pub mod regex;
pub mod schema;
pub mod types;

pub use ast::{BinaryOp, Expr, ExprKind, Lit, Macro, TextRange, UnaryOp};
pub use check::{Checked, Env, Param, Polarity, check, containers_variable, kind_name};
pub use parse::{MAX_DEPTH, ParseError, parse};
pub use print::print;
pub use types::Type;

#[cfg(test)]
mod check_tests;
#[cfg(test)]
mod tests;
