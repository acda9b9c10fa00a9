//! The printer: one line, single blanks, `=` for equality, parentheses exactly where the tree
//! nests an `and` or `or` inside another `and`, `or` or `not`. Quoted values print as written.
//! `parse(print(e)) == e` for every tree the parser or the builder makes.

use crate::ast::*;

/// The condition as Falco reads it.
pub fn print(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e);
    out
}

fn grouped(out: &mut String, e: &Expr) {
    if matches!(e, Expr::And(_) | Expr::Or(_)) {
        out.push('(');
        expr(out, e);
        out.push(')');
    } else {
        expr(out, e);
    }
}

fn expr(out: &mut String, e: &Expr) {
    match e {
        Expr::And(v) | Expr::Or(v) => {
            let sep = if matches!(e, Expr::And(_)) {
                " and "
            } else {
                " or "
            };
            for (i, x) in v.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                grouped(out, x);
            }
        }
        Expr::Not(x) => {
            out.push_str("not ");
            grouped(out, x);
        }
        Expr::Macro(i) => out.push_str(&i.name),
        Expr::Check { field, op, operand } => {
            out.push_str(&print_field(field));
            out.push(' ');
            out.push_str(op.as_str());
            match operand {
                None => {}
                Some(Operand::Value(v)) => {
                    out.push(' ');
                    value(out, v);
                }
                Some(Operand::List(items)) => {
                    out.push_str(" (");
                    for (i, v) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        value(out, v);
                    }
                    out.push(')');
                }
            }
        }
    }
}

/// A field as written: `proc.aname[2]`.
pub fn print_field(f: &Field) -> String {
    match &f.index {
        Some(i) => format!("{}[{i}]", f.path),
        None => f.path.clone(),
    }
}

fn value(out: &mut String, v: &Value) {
    match &v.kind {
        ValueKind::Bare(s) => out.push_str(s),
        ValueKind::Quoted { quote, raw } => {
            out.push(*quote);
            out.push_str(raw);
            out.push(*quote);
        }
    }
}
