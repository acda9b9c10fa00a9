//! A span-free rendering of the AST, for snapshots and for comparing a file with its
//! formatted self: the AST serialized to a JSON value with every `span` (and the file id)
//! dropped, and absent parts (`null`, empty lists) left out so snapshots stay short. Nothing
//! is lost: `None` and `Some` of something empty still differ (`{}` stays). Comments stay
//! in, as their text.

use serde_json::Value;
use syntax::ast;

/// The AST of one file as JSON without spans or file ids.
pub fn ast(file: &ast::File) -> Value {
    let mut v = serde_json::to_value(file).unwrap_or(Value::Null);
    strip(&mut v);
    v
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("span");
            map.remove("file");
            map.values_mut().for_each(strip);
            map.retain(|_, v| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty)));
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn spans_and_file_ids_are_dropped_at_every_depth() {
        let text = "system a { x = [1, { k = \"v\" }] } // c\n";
        let (ast, diags) = syntax::parse(diagnostics::FileId(3), text);
        assert!(diags.is_empty());
        let v = super::ast(&ast.unwrap());
        let s = v.to_string();
        assert!(!s.contains("\"span\""), "{s}");
        assert!(!s.contains("\"file\""), "{s}");
        assert!(s.contains("\"v\""), "{s}");
        assert!(s.contains("\" c\""), "{s}");
        assert!(!s.contains("null"), "{s}");
    }

    #[test]
    fn empty_is_not_absent() {
        let parse = |t: &str| super::ast(&syntax::parse(diagnostics::FileId(0), t).0.unwrap());
        assert_ne!(parse("system a {}\n"), parse("system a\n"));
        assert_ne!(
            parse("system a { x = [] }\n"),
            parse("system a { x = {} }\n")
        );
        assert_ne!(
            parse("system a { x = false }\n"),
            parse("system a { x = true }\n")
        );
    }
}
