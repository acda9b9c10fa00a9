//! The one pretty-JSON writer. Every JSON output (the diagnostics renderings, the build
//! manifest and other artifacts through `emit::to_json`, coverage and explain reports) goes
//! through it, so they share indentation, key order (serde's field order) and the final newline.
//! It lives here because `diagnostics` is the lowest crate all of their writers depend on.

use serde::Serialize;

/// `value` as pretty JSON (two-space indent) with a trailing newline.
///
/// Every type posture writes is plain data (strings, numbers, options, vectors, maps with
/// string keys), which cannot fail to serialize; should one ever fail, the result is `null`.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        Err(_) => "null\n".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn pretty_with_a_final_newline() {
        let mut m = BTreeMap::new();
        m.insert("b", vec![1, 2]);
        m.insert("a", vec![]);
        assert_eq!(
            to_json(&m),
            "{\n  \"a\": [],\n  \"b\": [\n    1,\n    2\n  ]\n}\n"
        );
    }

    #[test]
    fn a_failing_value_is_null() {
        // A map with non-string keys cannot be JSON.
        let mut m = BTreeMap::new();
        m.insert(vec![1], 1);
        assert_eq!(to_json(&m), "null\n");
    }
}
