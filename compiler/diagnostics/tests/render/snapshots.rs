//! Every format on the sample diagnostics, as reviewed snapshots.

use diagnostics::render::{self, Format};

use super::{sample_diagnostics, sample_sources};

fn rendered(format: Format) -> String {
    let (sources, checked) = sample_sources();
    render::render(&format, &sample_diagnostics(), &sources, &checked)
}

/// The SARIF log names the crate version; it is redacted so a release does not change the
/// snapshot.
fn redact_version(text: String) -> String {
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    text.replace(&version, "\"version\": \"[version]\"")
}

#[test]
fn human() {
    insta::assert_snapshot!(rendered(Format::Human { color: false }));
}

#[test]
fn human_summary() {
    let summary = render::summary(&sample_diagnostics(), false).unwrap_or_default();
    insta::assert_snapshot!(summary);
}

#[test]
fn human_color() {
    let out = rendered(Format::Human { color: true });
    assert!(out.contains("\u{1b}["), "colour was asked for");
    let plain = rendered(Format::Human { color: false });
    assert!(!plain.contains('\u{1b}'));
}

#[test]
fn json() {
    insta::assert_snapshot!(rendered(Format::Json));
}

#[test]
fn sarif() {
    let log = rendered(Format::Sarif {
        help_base_url: Some("https://posture.example/book/".to_string()),
    });
    assert!(log.contains(&format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"))));
    insta::assert_snapshot!(redact_version(log));
}

#[test]
fn junit() {
    let report = rendered(Format::Junit);
    let doc = roxmltree::Document::parse(&report).expect("well-formed XML");
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, 5, "one failure per error");
    insta::assert_snapshot!(report);
}

#[test]
fn github() {
    insta::assert_snapshot!(rendered(Format::Github));
}

#[test]
fn output_is_deterministic() {
    for name in Format::NAMES {
        let format = Format::from_name(name, false).unwrap_or(Format::Json);
        assert_eq!(rendered(format.clone()), rendered(format), "{name}");
    }
}
