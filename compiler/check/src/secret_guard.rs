//! The secret guard (P1024): every text of a posture that can reach an output goes through it.
//!
//! Outputs copy a lot of what users write: `///` doc comments become
//! `policies.kyverno.io/description`, CEL string literals are printed into policies, mutate
//! labels and annotations are stamped onto every pod, titles, messages, names, labels,
//! annotations and Falco conditions all end up in artifacts, logs or reports. So the guard
//! walks the whole item (docs, head, value, attribute and map keys and values, nested items)
//! rather than the attributes some checker happens to read:
//!
//! | text | how it is read |
//! | --- | --- |
//! | `///` docs | each line, and the whole comment (a PEM block spans lines) |
//! | strings, words, keys, heads | [`diagnostics::secret::detect`]; a value under a password-like key (`password`, `api_key`, `db-token`, …) is a secret whatever it looks like |
//! | backtick CEL | parsed with [`cel::parse`]; every string and bytes literal |
//! | other backtick text (Falco conditions) | every quoted literal, and every word |
//!
//! The detector itself ([`diagnostics::secret`]) is shared with the renderers. Every P1024
//! marks the value's span redacted, so no rendering shows it (see `diagnostics::render`).
//! Standard-library bundles are ours and are not scanned.

use crate::cx::Cx;
use cel::{Expr, ExprKind, Lit};
use diagnostics::codes::names as codes;
use diagnostics::secret::{detect, detect_under};
use diagnostics::{Diagnostic, Span};
use syntax::ast::{self, Value};

/// Attributes whose value names a secret (`secrets.NAME`, a Kubernetes Secret): a quoted
/// string there is reported by the attribute's own checker (P1024 too), and a word is a
/// reference, not a value.
const REFERENCE_KEYS: &[&str] = &["client_secret", "secret"];

/// Reports every text in `item` (docs, head, value, attributes and nested items, recursively)
/// that looks like a secret. The values of `keys` in a `secret` declaration are paths in a
/// store and are skipped.
pub(crate) fn guard_item(cx: &mut Cx, item: &ast::Item) {
    guard_docs(cx, &item.docs);
    if let Some(head) = &item.head {
        guard_head(cx, head);
    }
    if let Some(v) = &item.value {
        guard_value(cx, v, None);
    }
    let in_secret = item.keyword.text == "secret";
    for e in item.entries() {
        match e {
            ast::Entry::Attr(a) => {
                let key = a.key.text.as_str();
                if in_secret && key == "keys" {
                    continue;
                }
                guard_entry(cx, a);
            }
            ast::Entry::Item(i) => guard_item(cx, i),
        }
    }
}

/// One `key = value`, of a body or of a map.
fn guard_entry(cx: &mut Cx, a: &ast::Attr) {
    let key = a.key.text.as_str();
    if let Some(why) = detect(key) {
        report(cx, a.key.span, why);
    }
    if REFERENCE_KEYS.contains(&key) {
        // A quoted value is reported by the attribute's own check; a word is a reference.
        if !matches!(a.value, Value::Str(_) | Value::Word(_)) {
            guard_value(cx, &a.value, None);
        }
        return;
    }
    guard_value(cx, &a.value, Some(key));
}

/// Reports every text in `v` that looks like a secret; `key` is the attribute or map key the
/// value is written under.
fn guard_value(cx: &mut Cx, v: &Value, key: Option<&str>) {
    let check = |text: &str| match key {
        Some(k) => detect_under(k, text),
        None => detect(text),
    };
    match v {
        Value::Str(s) => {
            if let Some(why) = check(&s.value) {
                report(cx, s.span, why);
            }
        }
        Value::Word(w) => {
            if let Some(why) = check(&w.text) {
                report(cx, w.span, why);
            }
        }
        Value::Raw(s) => guard_expression(cx, s),
        Value::List { items, .. } => items.iter().for_each(|i| guard_value(cx, i, key)),
        Value::Map { entries, .. } => entries.iter().for_each(|e| guard_entry(cx, e)),
        Value::Number(_) | Value::Date(_) | Value::Bool { .. } => {}
    }
}

fn guard_head(cx: &mut Cx, head: &ast::Head) {
    let path = |cx: &mut Cx, p: &ast::Path| {
        for seg in &p.segments {
            if let Some(why) = detect(&seg.text) {
                report(cx, seg.span, why);
            }
        }
    };
    let string = |cx: &mut Cx, s: &ast::Str| {
        if let Some(why) = detect(&s.value) {
            report(cx, s.span, why);
        }
    };
    match head {
        ast::Head::Path(p) => path(cx, p),
        ast::Head::Str(s) => string(cx, s),
        ast::Head::Traffic(t) => {
            for end in [&t.from, &t.to] {
                match &end.target {
                    ast::EndpointTarget::Ref(p) => path(cx, p),
                    ast::EndpointTarget::Str(s) => string(cx, s),
                }
            }
        }
    }
}

/// `///` lines: each on its own (so the diagnostic points at the line), a PEM block as a
/// whole (a private key is reported once and all its lines are redacted; a certificate or
/// public-key block, such as a CA bundle, is not a secret though its lines look random), and
/// the whole comment for anything else that spans lines.
fn guard_docs(cx: &mut Cx, docs: &[ast::Doc]) {
    let (Some(first), Some(last)) = (docs.first(), docs.last()) else {
        return;
    };
    let joined = |ds: &[ast::Doc]| {
        ds.iter()
            .map(|d| d.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    if detect(&joined(docs)).is_none() {
        return;
    }
    let mut found = false;
    let mut i = 0;
    while i < docs.len() {
        if docs[i].text.contains("-----BEGIN ") {
            let end = docs[i..]
                .iter()
                .position(|d| d.text.contains("-----END "))
                .map_or(docs.len() - 1, |p| i + p);
            let block = &docs[i..=end];
            if let Some(why) = detect(&joined(block)) {
                let mut d = secret_literal(docs[i].span.to(docs[end].span), why);
                d.redact = block.iter().map(|d| d.span).collect();
                cx.err(d);
                found = true;
            }
            i = end + 1;
            continue;
        }
        if let Some(why) = detect(&docs[i].text) {
            report(cx, docs[i].span, why);
            found = true;
        }
        i += 1;
    }
    if !found && let Some(why) = detect(&joined(docs)) {
        let mut d = secret_literal(first.span.to(last.span), why);
        d.redact = docs.iter().map(|d| d.span).collect();
        cx.err(d);
    }
}

/// A backtick expression: CEL when it parses as CEL (every string and bytes literal is
/// read), otherwise (a Falco condition) every quoted literal and every word.
fn guard_expression(cx: &mut Cx, s: &ast::Str) {
    // The text sits between the backticks.
    let base = s.span.start as usize + 1;
    let at = |r: std::ops::Range<usize>| Span::new(s.span.file, base + r.start, base + r.end);
    match cel::parse(&s.value) {
        Ok(expr) => {
            let mut found = Vec::new();
            cel_literals(&expr, &mut found);
            for (range, why) in found {
                let span = if range.is_empty() { s.span } else { at(range) };
                report(cx, span, why);
            }
        }
        Err(_) => {
            for (range, why) in falco_texts(&s.value) {
                report(cx, at(range), why);
            }
        }
    }
}

/// The string and bytes literals of a CEL tree that look like secrets, with their ranges.
fn cel_literals(e: &Expr, out: &mut Vec<(std::ops::Range<usize>, &'static str)>) {
    let mut visit = |x: &Expr| cel_literals(x, out);
    match &e.kind {
        ExprKind::Lit(Lit::String(s)) => {
            if let Some(why) = detect(s) {
                out.push((e.range.range(), why));
            }
        }
        ExprKind::Lit(Lit::Bytes(b)) => {
            if let Some(why) = detect(&String::from_utf8_lossy(b)) {
                out.push((e.range.range(), why));
            }
        }
        ExprKind::Lit(_) | ExprKind::Ident(_) => {}
        ExprKind::List(items) => items.iter().for_each(visit),
        ExprKind::Map(entries) => {
            for (k, v) in entries {
                visit(k);
                visit(v);
            }
        }
        ExprKind::Select { operand, .. } => visit(operand),
        ExprKind::Index { operand, index, .. } => {
            visit(operand);
            visit(index);
        }
        ExprKind::Call { target, args, .. } => {
            if let Some(t) = target {
                visit(t);
            }
            args.iter().for_each(visit);
        }
        ExprKind::Comprehension {
            range,
            filter,
            body,
            ..
        } => {
            visit(range);
            if let Some(f) = filter {
                visit(f);
            }
            visit(body);
        }
        ExprKind::Has(x) => visit(x),
        ExprKind::Unary { operand, .. } => visit(operand),
        ExprKind::Binary { lhs, rhs, .. } => {
            visit(lhs);
            visit(rhs);
        }
        ExprKind::Ternary {
            cond,
            then,
            otherwise,
        } => {
            visit(cond);
            visit(then);
            visit(otherwise);
        }
        ExprKind::Struct { fields, .. } => fields.iter().for_each(|(_, v)| visit(v)),
    }
}

/// The quoted literals (`"…"`, `'…'`) and the words outside them of a text that is not CEL (a
/// Falco condition), each that looks like a secret with its byte range.
fn falco_texts(text: &str) -> Vec<(std::ops::Range<usize>, &'static str)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let mut word_start: Option<usize> = None;
    let flush = |from: Option<usize>, to: usize, out: &mut Vec<_>| {
        if let Some(from) = from
            && let Some(why) = detect(&text[from..to])
        {
            out.push((from..to, why));
        }
    };
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            flush(word_start.take(), i, &mut out);
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            let end = (i + 1).min(b.len());
            let inner_end = i.min(b.len());
            if let Some(why) = text.get(start + 1..inner_end).and_then(detect) {
                out.push((start..end, why));
            }
            i = end;
            continue;
        }
        if c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b',') {
            flush(word_start.take(), i, &mut out);
        } else if word_start.is_none() {
            word_start = Some(i);
        }
        i += 1;
    }
    flush(word_start, b.len(), &mut out);
    out
}

/// Reports a secret at `span` and marks it redacted.
fn report(cx: &mut Cx, span: Span, why: &str) {
    cx.err(secret_literal(span, why));
}

/// The P1024 diagnostic. The value itself is never repeated, and its span is redacted in
/// every rendering.
pub(crate) fn secret_literal(span: Span, why: &str) -> Diagnostic {
    Diagnostic::spanned(&codes::P1024, span, "this value looks like a secret")
        .with_label("secret values never live in posture files")
        .with_note(format!("it looks like {why}"))
        .with_help(
            "keep the value in a secret store and refer to it: declare a `secret` in `secrets`",
        )
        .with_help("if the value is real, rotate it: it is in the history of the repository")
        .redacting(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_literals_and_words() {
        let key = concat!("AKIA", "IOSFODNN7EXAMPLE");
        let text = format!("proc.name = \"{key}\" and fd.name contains {key} or x = 'a\\'b'");
        let found = falco_texts(&text);
        let ranges: Vec<&str> = found.iter().map(|(r, _)| &text[r.clone()]).collect();
        assert_eq!(ranges, [format!("\"{key}\""), key.to_string()]);
        assert!(falco_texts("proc.name = \"unterminated").is_empty());
        assert!(falco_texts("evt.type = ptrace and proc.pname in (sh, bash)").is_empty());
    }

    #[test]
    fn a_huge_label_value_makes_a_short_diagnostic() {
        let huge = "v".repeat(40 << 20);
        let (d, rendered) = crate::test_support::check(&format!(
            "admission {{ mutate stamp {{ labels = {{ \"optimal.io/x\" = \"{huge}\" }} }} }}\n"
        ));
        let p1016: Vec<_> = d.iter().filter(|(d, _)| d.code.id == "P1016").collect();
        assert_eq!(
            p1016.len(),
            1,
            "{:?}",
            d.iter().map(|(d, _)| d.code.id).collect::<Vec<_>>()
        );
        let message = &p1016[0].0.message;
        assert!(
            message.chars().count() <= 120,
            "{} characters",
            message.len()
        );
        assert!(message.contains('…'), "{message}");
        assert!(
            rendered.len() < 64 << 10,
            "{} bytes rendered",
            rendered.len()
        );
    }

    #[test]
    fn secrets_on_every_path_and_a_ca_bundle_passes() {
        use crate::test_support::codes;
        let key = concat!("AKIA", "IOSFODNN7EXAMPLE");
        let ca = "-----BEGIN CERTIFICATE-----\\nMIIFazCCA1OgAwIBAgIRAIIQz7DSQONZRGPgu2OCiwAwDQYJKoZIhvcNAQELBQAw\\n-----END CERTIFICATE-----\\n";
        let d = codes(&format!(
            "admission {{\n  /// {key}\n  mutate m {{ match = {{ kinds = [pods] }}, labels = {{ \"a.io/k\" = \"{key}\", \"a.io/api-token\" = \"abcd1234\" }}, annotations = {{ \"a.io/ca\" = \"{ca}\" }} }}\n  validate v {{ match = {{ kinds = [pods] }}, require = `object.kind != '{key}'`, message = \"m\" }}\n}}\n"
        ));
        let secrets: Vec<&str> = d
            .iter()
            .filter(|(c, _, _)| *c == "P1024")
            .map(|(_, _, t)| t.as_str())
            .collect();
        assert_eq!(
            secrets,
            [
                format!("/// {key}"),
                format!("\"{key}\""),
                "\"abcd1234\"".to_string(),
                format!("'{key}'"),
            ],
            "{d:?}"
        );
    }
}
