//! The canonical printer: minimal parentheses by precedence, single-quoted strings, one space
//! around binary operators and after commas. Deterministic, and `parse(print(e))` equals `e`
//! up to ranges (for non-finite doubles, which have no literal, it prints `double('NaN')` and
//! friends instead).

use crate::ast::{Expr, ExprKind, Lit, UnaryOp};
use std::fmt::Write;

/// Prints an expression as canonical CEL.
pub fn print(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e, 0);
    out
}

/// Binding strength of a node: 0 ternary, 1–5 binary operators, 6 unary (and negative
/// literals), 7 member access and primaries.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Ternary { .. } => 0,
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Unary { .. } => 6,
        ExprKind::Lit(Lit::Int(i)) if *i < 0 => 6,
        ExprKind::Lit(Lit::Double(d)) if d.is_sign_negative() && d.is_finite() => 6,
        _ => 7,
    }
}

fn write_expr(out: &mut String, e: &Expr, min: u8) {
    if precedence(e) < min {
        out.push('(');
        write_bare(out, e);
        out.push(')');
    } else {
        write_bare(out, e);
    }
}

fn write_list(out: &mut String, items: &[Expr]) {
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_expr(out, a, 0);
    }
}

fn write_bare(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Lit(l) => write_lit(out, l),
        ExprKind::List(items) => {
            out.push('[');
            write_list(out, items);
            out.push(']');
        }
        ExprKind::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, k, 0);
                out.push_str(": ");
                write_expr(out, v, 0);
            }
            out.push('}');
        }
        ExprKind::Ident(n) => out.push_str(n),
        ExprKind::Select {
            operand,
            field,
            optional,
        } => {
            write_expr(out, operand, 7);
            out.push_str(if *optional { ".?" } else { "." });
            out.push_str(field);
        }
        ExprKind::Index {
            operand,
            index,
            optional,
        } => {
            write_expr(out, operand, 7);
            out.push_str(if *optional { "[?" } else { "[" });
            write_expr(out, index, 0);
            out.push(']');
        }
        ExprKind::Call {
            target,
            function,
            args,
        } => {
            if let Some(t) = target {
                write_expr(out, t, 7);
                out.push('.');
            }
            out.push_str(function);
            out.push('(');
            write_list(out, args);
            out.push(')');
        }
        ExprKind::Comprehension {
            kind,
            range,
            var,
            filter,
            body,
        } => {
            write_expr(out, range, 7);
            let _ = write!(out, ".{}({var}, ", kind.name());
            if let Some(f) = filter {
                write_expr(out, f, 0);
                out.push_str(", ");
            }
            write_expr(out, body, 0);
            out.push(')');
        }
        ExprKind::Has(x) => {
            out.push_str("has(");
            write_expr(out, x, 0);
            out.push(')');
        }
        ExprKind::Unary { op, operand } => {
            out.push(match op {
                UnaryOp::Not => '!',
                UnaryOp::Neg => '-',
            });
            // `-1` would read back as a negative literal, so a negated non-negative number
            // keeps its parentheses.
            let is_number = matches!(
                operand.kind,
                ExprKind::Lit(Lit::Int(_)) | ExprKind::Lit(Lit::Double(_))
            );
            if *op == UnaryOp::Neg && is_number && precedence(operand) == 7 {
                out.push('(');
                write_bare(out, operand);
                out.push(')');
            } else {
                write_expr(out, operand, 6);
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = op.precedence();
            write_expr(out, lhs, p);
            let _ = write!(out, " {} ", op.symbol());
            write_expr(out, rhs, p + 1);
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            write_expr(out, cond, 1);
            out.push_str(" ? ");
            write_expr(out, then, 1);
            out.push_str(" : ");
            write_expr(out, otherwise, 0);
        }
        ExprKind::Struct { type_name, fields } => {
            out.push_str(type_name);
            out.push('{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push_str(": ");
                write_expr(out, v, 0);
            }
            out.push('}');
        }
    }
}

fn write_lit(out: &mut String, l: &Lit) {
    match l {
        Lit::Null => out.push_str("null"),
        Lit::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Lit::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Lit::Uint(u) => {
            let _ = write!(out, "{u}u");
        }
        Lit::Double(d) => {
            if d.is_nan() {
                out.push_str("double('NaN')");
            } else if d.is_infinite() {
                out.push_str(if *d > 0.0 {
                    "double('Infinity')"
                } else {
                    "double('-Infinity')"
                });
            } else {
                // `{:?}` always writes a `.` or an exponent, so it reads back as a double.
                let _ = write!(out, "{d:?}");
            }
        }
        Lit::String(s) => write_string(out, s),
        Lit::Bytes(b) => {
            out.push_str("b'");
            for &c in b {
                match c {
                    b'\\' => out.push_str("\\\\"),
                    b'\'' => out.push_str("\\'"),
                    0x20..=0x7e => out.push(c as char),
                    _ => {
                        let _ = write!(out, "\\x{c:02x}");
                    }
                }
            }
            out.push('\'');
        }
    }
}

/// A single-quoted CEL string literal.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
}
