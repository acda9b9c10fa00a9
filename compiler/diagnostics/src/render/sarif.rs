//! The SARIF 2.1.0 format, for code scanning: one run by the tool `posture`, a rule per code
//! that occurs, a result per diagnostic. The document is built from typed structs below and
//! validated against the OASIS schema in the crate's tests.

use std::collections::BTreeMap;

use serde::Serialize;

use super::redact::Redactor;
use super::{Located, doc_path, locate};
use crate::{Code, Diagnostic, Severity, Sources};

/// The schema the log declares (OASIS SARIF 2.1.0, errata 01).
const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Renders `diags` as one SARIF 2.1.0 log with a final newline.
///
/// `rules` lists every code that occurs, sorted by id. A diagnostic with a location is a
/// result (its primary label is the location's message, its secondary labels are
/// `relatedLocations`, and help and notes follow the message on lines of their own); one
/// without a location is a `toolExecutionNotification` of the run's single invocation, since
/// GitHub code scanning rejects a whole log when one result has no location. The invocation's
/// `executionSuccessful` is false when such a notification is an error.
///
/// Regions are 1-based; `endColumn` is the column just past the last character and columns
/// count Unicode code points (`columnKind` is `unicodeCodePoints`); byte offsets are given
/// too. Artifact URIs are the files' relative paths. When `help_base_url` is an absolute URL
/// (it has a scheme such as `https:`), each rule's `helpUri` is
/// `<help_base_url>/diagnostics/<ID>.html`, the page mdBook builds from the code's book page;
/// the rule's `help` text always names the book page's source path.
pub fn sarif(diags: &[Diagnostic], sources: &Sources, help_base_url: Option<&str>) -> String {
    let base = help_base_url
        .filter(|b| has_scheme(b))
        .map(|b| b.trim_end_matches('/'));

    // Rules are the codes that occur, sorted by id; results refer to them by index.
    let codes: BTreeMap<&str, &Code> = diags.iter().map(|d| (d.code.id, d.code)).collect();
    let index: BTreeMap<&str, usize> = codes.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rules = codes
        .values()
        .map(|code| Rule {
            id: code.id,
            name: code.name,
            short_description: Text {
                text: code.summary.to_string(),
            },
            help: Text {
                text: format!("see {}", doc_path(code)),
            },
            help_uri: base.map(|b| format!("{b}/diagnostics/{}.html", code.id)),
            default_configuration: Configuration {
                level: level(code.severity),
            },
        })
        .collect();

    // Code scanning refuses a log with a result that has no location, and a diagnostic
    // without one is about the run rather than the code (an unreadable path, a flag): those
    // become notifications of the invocation instead of results.
    let redactor = Redactor::new(diags, sources);
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for d in diags {
        let rule = RuleRef {
            id: d.code.id,
            index: index.get(d.code.id).copied().unwrap_or(0),
        };
        let related: Vec<Location> = d
            .labels
            .iter()
            .filter_map(|l| Some((locate(sources, l.span)?, l)))
            .enumerate()
            .map(|(i, (at, l))| Location {
                id: Some(i),
                physical_location: physical(&at),
                message: Some(Text {
                    text: redactor.text(&l.message),
                }),
            })
            .collect();
        let message = Text {
            text: redactor.text(&message_text(d)),
        };
        match d.span.and_then(|s| locate(sources, s)) {
            Some(at) => results.push(Result_ {
                rule_id: rule.id,
                rule_index: rule.index,
                level: level(d.severity),
                message,
                locations: vec![Location {
                    id: None,
                    physical_location: physical(&at),
                    message: d.label.as_ref().map(|l| Text {
                        text: redactor.text(l),
                    }),
                }],
                related_locations: related,
            }),
            None => notifications.push(Notification {
                level: level(d.severity),
                message,
                locations: related,
                associated_rule: rule,
            }),
        }
    }
    let execution_successful = !notifications.iter().any(|n| n.level == "error");

    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "posture",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful,
                tool_execution_notifications: notifications,
            }],
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    crate::to_json(&log)
}

/// The message, then help and notes on lines of their own: code scanning shows only the
/// message, so they would be lost anywhere else.
fn message_text(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    for h in &d.help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    for n in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(n);
    }
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Whether `s` starts with a URI scheme (`letter *( letter / digit / "+" / "-" / "." ) ":"`)
/// followed by something, as the schema's `uri` format requires of `helpUri`.
fn has_scheme(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn physical(at: &Located<'_>) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: uri_path(&at.file.path),
        },
        region: Region {
            start_line: at.start_pos.line,
            start_column: at.start_pos.column,
            end_line: at.end_pos.line,
            end_column: at.end_pos.column,
            byte_offset: at.start,
            byte_length: at.end - at.start,
        },
    }
}

/// A relative path as a URI reference: characters outside the RFC 3986 unreserved set and
/// `/` are percent-encoded (UTF-8), so spaces, `#` or `%` in file names stay part of the path.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    column_kind: &'static str,
    results: Vec<Result_>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    associated_rule: RuleRef,
}

/// A reference to one of the run's rules.
#[derive(Serialize)]
struct RuleRef {
    id: &'static str,
    index: usize,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    help: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Result_ {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    byte_offset: usize,
    byte_length: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert!(has_scheme("https://example.org/book"));
        assert!(!has_scheme("book/src"));
        assert!(!has_scheme("C"));
        assert!(!has_scheme("1http://x"));
        assert!(!has_scheme("https://exa mple.org"));
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            uri_path("dir/a b#c%é.posture"),
            "dir/a%20b%23c%25%C3%A9.posture"
        );
    }
}
