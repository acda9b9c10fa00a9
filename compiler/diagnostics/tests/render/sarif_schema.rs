//! The SARIF output validated against the OASIS SARIF 2.1.0 schema, with negative controls
//! proving the validator rejects broken logs.

use diagnostics::render;
use serde_json::{Value, json};

use super::{sample_diagnostics, sample_sources};

const SCHEMA: &str = include_str!("../data/sarif-schema-2.1.0.json");

/// The `language` pattern as published: its stray `]` is a literal in ECMAScript regular
/// expressions (Annex B) but an error for the Rust regex engine the validator uses.
const LANGUAGE_PATTERN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
/// The same pattern with that `]` escaped, which means the same in ECMAScript.
const LANGUAGE_PATTERN_ESCAPED: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#;

/// The schema, with format checks on (so `helpUri` must be an absolute URI).
fn validator() -> jsonschema::Validator {
    // The file stays verbatim; the one pattern the validator cannot compile is escaped here.
    assert_eq!(
        SCHEMA.matches(LANGUAGE_PATTERN).count(),
        2,
        "the schema changed"
    );
    let text = SCHEMA.replace(LANGUAGE_PATTERN, LANGUAGE_PATTERN_ESCAPED);
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn errors(validator: &jsonschema::Validator, log: &Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn sample_log(help_base_url: Option<&str>) -> Value {
    let (sources, _) = sample_sources();
    let text = render::sarif(&sample_diagnostics(), &sources, help_base_url);
    serde_json::from_str(&text).expect("SARIF output is JSON")
}

#[test]
fn sample_is_valid_sarif() {
    let v = validator();
    for base in [
        None,
        Some("https://posture.example/book"),
        Some("not a url"),
    ] {
        let log = sample_log(base);
        assert_eq!(errors(&v, &log), Vec::<String>::new(), "base {base:?}");
    }
}

#[test]
fn empty_run_is_valid_sarif() {
    let log: Value = serde_json::from_str(&render::sarif(&[], &diagnostics::Sources::new(), None))
        .expect("JSON");
    assert_eq!(errors(&validator(), &log), Vec::<String>::new());
    assert_eq!(log["runs"][0]["results"], json!([]));
}

#[test]
fn sample_has_the_expected_shape() {
    let log = sample_log(Some("https://posture.example/book/"));
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "posture");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["P0001", "P9004"]);
    assert_eq!(
        rules[0]["helpUri"],
        "https://posture.example/book/diagnostics/P0001.html"
    );
    assert_eq!(
        rules[1]["help"]["text"],
        "see book/src/diagnostics/P9004.md"
    );
    let first = &run["results"][0];
    assert_eq!(first["ruleId"], "P0001");
    assert_eq!(first["level"], "error");
    let loc = &first["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "policy.posture");
    assert_eq!(loc["region"]["startLine"], 3);
    assert_eq!(loc["region"]["startColumn"], 11);
    assert_eq!(loc["region"]["endColumn"], 15);
    let related = first["relatedLocations"].as_array().expect("related");
    assert_eq!(related.len(), 2);
    assert_eq!(
        related[1]["physicalLocation"]["artifactLocation"]["uri"],
        "lib/%C3%BCbersicht.posture"
    );
    // The note-level result; every result has a location.
    assert_eq!(run["results"][1]["level"], "note");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 6);
    assert!(
        results
            .iter()
            .all(|r| r["locations"].as_array().is_some_and(|l| l.len() == 1))
    );
    // The two diagnostics without a usable location are notifications of the invocation.
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(notes[0]["associatedRule"]["id"], "P9004");
    assert_eq!(notes[0]["associatedRule"]["index"], 1);
    assert_eq!(notes[1]["level"], "error");
}

#[test]
fn broken_logs_fail_validation() {
    let v = validator();
    let good = sample_log(None);

    let mut bad_level = good.clone();
    bad_level["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(
        !errors(&v, &bad_level).is_empty(),
        "a level outside the enum must fail"
    );

    let mut bad_version = good.clone();
    bad_version["version"] = json!("2.0.0");
    assert!(
        !errors(&v, &bad_version).is_empty(),
        "another version must fail"
    );

    let mut zero_line = good.clone();
    zero_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(!errors(&v, &zero_line).is_empty(), "lines are 1-based");

    let mut relative_help = good;
    relative_help["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] =
        json!("book/src/diagnostics/P0001.md");
    assert!(
        !errors(&v, &relative_help).is_empty(),
        "helpUri must be absolute"
    );
}
