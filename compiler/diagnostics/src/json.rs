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
    to_json_sized(value, 128)
}

/// [`to_json`] written into a buffer of `hint` bytes reserved up front, for a large document
/// whose size the caller can estimate: it is then not copied each time a growing buffer
/// doubles (at 10,000 workloads the 5.7 MB build manifest was copied into buffers of 8 MB in
/// all). A hint that is too small only means the buffer grows.
pub fn to_json_sized<T: Serialize + ?Sized>(value: &T, hint: usize) -> String {
    let mut bytes = Vec::with_capacity(hint);
    if serde_json::to_writer_pretty(&mut bytes, value).is_err() {
        return "null\n".to_string();
    }
    bytes.push(b'\n');
    // serde_json writes UTF-8 only (its own `to_string_pretty` relies on the same).
    String::from_utf8(bytes).unwrap_or_else(|_| "null\n".to_string())
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
    fn a_sized_document_is_the_same_document() {
        let mut m = BTreeMap::new();
        m.insert("key", vec!["a \"quoted\" value", "b"]);
        for hint in [0, 1, 16, 4096] {
            assert_eq!(to_json_sized(&m, hint), to_json(&m));
        }
        let exact = to_json(&m).len();
        assert_eq!(to_json_sized(&m, exact).capacity(), exact);
    }

    #[test]
    fn a_failing_value_is_null() {
        // A map with non-string keys cannot be JSON.
        let mut m = BTreeMap::new();
        m.insert(vec![1], 1);
        assert_eq!(to_json(&m), "null\n");
    }
}
