//! Falco's condition language, typed.
//!
//! Runtime rules are written in Falco's filter language (`evt.type = ptrace and container and
//! not proc.name in (known_debuggers)`). This crate
//!
//! - parses it ([`parse`], a hand-written recursive-descent parser over libsinsp's grammar;
//!   errors are [`ParseError`]s with byte ranges),
//! - prints it ([`print`]; `parse(print(e)) == e`),
//! - offers a builder for emitters ([`Expr::eq`], [`Expr::in_`], [`Expr::and`], …) so no
//!   condition is made by string concatenation,
//! - and checks it ([`check`](check::check)) against Falco 0.44's field catalog and the
//!   driver's event types ([`catalog`]): fields, field arguments, operators against field
//!   types, values, event types, macros and lists; and outputs' `%field`s
//!   ([`check::check_output`]).
//!
//! | module | owns |
//! | --- | --- |
//! | [`ast`] | the tree ([`Expr`], [`Field`], [`Op`], [`Value`]) and the builder |
//! | [`parse`](mod@parse) | the parser |
//! | [`print`](mod@print) | the printer |
//! | [`catalog`] | the vendored field catalog and event types |
//! | [`check`](mod@check) | the checker, output fields, macro and list expansion |
//! | [`rules`] | rules files loaded in order as Falco loads them (`append`, `override`), with Falco's load codes |

pub mod ast;
pub mod catalog;
pub mod check;
pub mod parse;
pub mod print;
pub mod rules;

pub use ast::{Expr, Field, Ident, Op, Operand, TextRange, Value, ValueKind};
pub use check::{Env, Kind, Problem};
pub use parse::{MAX_DEPTH, ParseError, parse};
pub use print::print;

#[cfg(test)]
mod tests;
