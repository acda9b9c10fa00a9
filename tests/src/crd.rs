//! JSON schemas from CustomResourceDefinitions, for `check-jsonschema`: the `openAPIV3Schema`
//! of one version, made strict so that an unknown field is an error (the API server prunes or
//! rejects unknown fields; a plain reading of the CRD schema would let them through).

use serde_json::{Value, json};
use std::path::Path;

/// The `openAPIV3Schema` of version `version` of the CRD in `path`, made strict: every object
/// schema that lists properties and says nothing about others rejects unknown fields, and the
/// root admits `apiVersion` (exactly `api_version`), `kind` (exactly `kind`) and `metadata`.
pub fn strict_schema(
    path: &Path,
    version: &str,
    api_version: &str,
    kind: &str,
) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let crd: Value =
        serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let versions = crd["spec"]["versions"]
        .as_array()
        .ok_or_else(|| format!("{}: no versions", path.display()))?;
    let v = versions
        .iter()
        .find(|v| v["name"] == version)
        .ok_or_else(|| format!("{} has no version {version}", path.display()))?;
    let mut schema = v["schema"]["openAPIV3Schema"].clone();
    /// Walks schemas, not maps of property names (a CRD may have a field called
    /// `properties`).
    fn strict(s: &mut Value) {
        let Some(o) = s.as_object_mut() else { return };
        let open = o.contains_key("additionalProperties")
            || o.contains_key("x-kubernetes-preserve-unknown-fields");
        if o.contains_key("properties") && !open {
            o.insert("additionalProperties".into(), json!(false));
        }
        if let Some(props) = o.get_mut("properties").and_then(Value::as_object_mut) {
            props.values_mut().for_each(strict);
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(child) = o.get_mut(key) {
                strict(child);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(children) = o.get_mut(key).and_then(Value::as_array_mut) {
                children.iter_mut().for_each(strict);
            }
        }
    }
    strict(&mut schema);
    let props = schema["properties"]
        .as_object_mut()
        .ok_or_else(|| format!("{}: the schema has no properties", path.display()))?;
    props.insert("apiVersion".into(), json!({ "const": api_version }));
    props.insert("kind".into(), json!({ "const": kind }));
    props.insert("metadata".into(), json!({ "type": "object" }));
    schema["required"] = json!(["apiVersion", "kind", "metadata", "spec"]);
    schema["$schema"] = json!("http://json-schema.org/draft-04/schema#");
    Ok(schema)
}
