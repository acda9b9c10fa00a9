//! Redaction and bounds, in every format: a secret marked by one diagnostic is shown by none,
//! and a huge value makes a small report.

use diagnostics::codes::names::{P1016, P1024};
use diagnostics::render::{Format, render};
use diagnostics::{Diagnostic, Sources, Span, quote};

const CANARY: &str = concat!("gh", "p_CanaryCanaryCanary0123456789abcdef");

fn formats() -> Vec<Format> {
    diagnostics::render::Format::NAMES
        .iter()
        .filter_map(|n| Format::from_name(n, false))
        .collect()
}

/// No 8-character piece of `secret` in `text`.
fn assert_hidden(format: &str, text: &str, secret: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for w in chars.windows(8) {
        let piece: String = w.iter().collect();
        assert!(!text.contains(&piece), "{format} shows `{piece}`:\n{text}");
    }
}

#[test]
fn a_marked_secret_is_hidden_in_every_diagnostic_and_format() {
    let mut s = Sources::new();
    let text = format!(
        "labels = {{ \"optimal.io/key\" = \"{CANARY}!\" }}\nnamespace {CANARY} {{ }}\n/// key: {CANARY}\n"
    );
    let f = s.add("leaky.posture", text.clone());
    let value = text.find("= \"").map(|i| i + 2).unwrap_or(0);
    let value = Span::new(f, value, value + CANARY.len() + 3);
    let name_at = text.find("namespace ").map(|i| i + 10).unwrap_or(0);
    let name = Span::new(f, name_at, name_at + CANARY.len());
    let doc_at = text.find("///").unwrap_or(0);
    let doc = Span::new(f, doc_at, text.len() - 1);
    let secret = |span| {
        Diagnostic::spanned(&P1024, span, "this value looks like a secret")
            .with_label("secret values never live in posture files")
            .redacting(span)
    };
    let diags = vec![
        secret(value),
        // Another diagnostic at the same value, quoting it in every text it has.
        Diagnostic::spanned(
            &P1016,
            value,
            format!("`{}!` is not a valid label value", CANARY),
        )
        .with_label(format!("`{}` here", quote(CANARY)))
        .with_help(format!("write `{}` without the `!`", CANARY))
        .with_note(format!("the value was {CANARY}!"))
        .with_secondary(name, "and its name"),
        secret(name),
        // A diagnostic whose snippet shows the name's line and the doc line.
        Diagnostic::spanned(&P1016, name.to(doc), "these lines"),
        secret(doc),
        // A quoted piece no span marked, cut short by `quote`: the detector hides it.
        Diagnostic::new(
            &P1016,
            format!(
                "`{}` is odd",
                quote(&format!("{}{}", CANARY, "x".repeat(100)))
            ),
        ),
    ];
    for format in formats() {
        let out = render(&format, &diags, &s, &[f]);
        assert!(out.contains("[redacted]"), "{}:\n{out}", format.name());
        assert_hidden(format.name(), &out, CANARY);
        // The rest of the text is still there.
        assert!(
            out.contains("is not a valid label value"),
            "{}:\n{out}",
            format.name()
        );
    }
    // Without the P1024 diagnostics nothing is redacted: redaction follows the marks.
    let out = render(&Format::Json, &diags[1..2], &s, &[f]);
    assert!(out.contains(CANARY), "{out}");
}

#[test]
fn a_huge_value_makes_a_small_report() {
    let mut s = Sources::new();
    let huge = "x".repeat(40 << 20);
    let text = format!("labels = {{ k = \"{huge}\" }}\n");
    let f = s.add("huge.posture", text.clone());
    let span = Span::new(f, 15, text.len() - 3);
    let diags = vec![
        Diagnostic::spanned(
            &P1016,
            span,
            format!("`{}` is not a valid label value", quote(&huge)),
        ),
        // A message that forgot to quote: the renderers bound it.
        Diagnostic::spanned(&P1016, span, format!("`{huge}`")).with_help(huge.clone()),
    ];
    assert!(
        diags[0].message.chars().count() < 120,
        "{}",
        diags[0].message
    );
    for format in formats() {
        let out = render(&format, &diags, &s, &[f]);
        assert!(
            out.len() < 64 << 10,
            "{}: {} bytes for a 40 MiB value",
            format.name(),
            out.len()
        );
    }
}
