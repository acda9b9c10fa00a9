//! Runs the whole front end (parse, check) on snippets, for the tests of this crate.

use diagnostics::{Diagnostic, Sources};

/// The smallest posture the checker accepts around a snippet.
pub(crate) const HEADER: &str = "system s { title = \"T\", impact = low }\ntarget { kubernetes = \"1.33\" }\nnamespace optimal-system { pod_security = restricted }\nnamespace keycloak { pod_security = restricted }\nworkload api-gateway { namespace = optimal-system, match = { app = \"gw\" } }\n";

/// Parses and checks `HEADER` + `src`; returns the diagnostics with the text they cover.
pub(crate) fn check(src: &str) -> (Vec<(Diagnostic, String)>, String) {
    check_text(&format!("{HEADER}{src}"))
}

/// Parses and checks a whole posture.
pub(crate) fn check_text(text: &str) -> (Vec<(Diagnostic, String)>, String) {
    let text = text.to_string();
    let mut sources = Sources::new();
    let id = sources.add("case.posture", text.clone());
    let (ast, mut diags) = syntax::parse(id, &text);
    if let Some(ast) = &ast {
        let (_, d) = crate::check(
            &[crate::Input { ast, stdlib: false }],
            &crate::Options::default(),
        );
        diags.extend(d);
    }
    diags.sort();
    let all: Vec<Diagnostic> = diags.iter().cloned().collect();
    let rendered = diagnostics::render::human(&all, &sources, false);
    let out = all
        .into_iter()
        .map(|d| {
            let slice = d
                .span
                .map(|s| text.get(s.range()).unwrap_or("").to_string())
                .unwrap_or_default();
            (d, slice)
        })
        .collect();
    (out, rendered)
}

/// Whether a diagnostic with `code` covers exactly `text`.
pub(crate) fn has(d: &[(&'static str, String, String)], code: &str, text: &str) -> bool {
    d.iter().any(|(c, _, t)| *c == code && t == text)
}

/// `(code, message, covered text)` of every diagnostic.
pub(crate) fn codes(src: &str) -> Vec<(&'static str, String, String)> {
    check(src)
        .0
        .into_iter()
        .map(|(d, s)| (d.code.id, d.message, s))
        .collect()
}
