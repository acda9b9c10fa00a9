//! Cross-layer checks: rules that hold between blocks, made on the assembled posture because
//! only the whole posture shows them (no single engine sees both sides).
//!
//! - Exceptions meet Pod Security admission ([`ir::pod_security`]): an exception that waives a
//!   Pod Security control in a namespace whose enforced level checks it lowers the namespace's
//!   `enforce` label; that is refused (P1050) when no enforcing admission rule covers every
//!   control the lowered label stops checking.

use crate::cx::Cx;
use diagnostics::{Diagnostic, codes};
use ir::Posture;
use ir::pod_security;

/// Runs every cross-layer check on the assembled posture.
pub(crate) fn check(cx: &mut Cx, p: &Posture) {
    pod_security_labels(cx, p);
}

fn pod_security_labels(cx: &mut Cx, p: &Posture) {
    for ns in p.namespaces.values() {
        let Some(eff) = pod_security::effective(p, ns) else {
            continue;
        };
        if eff.uncovered.is_empty() {
            continue;
        }
        // One error per exception that lowers the label, at the exception.
        let mut seen: Vec<&ir::Name> = Vec::new();
        for w in &eff.lowered_by {
            if seen.contains(&&w.exception) {
                continue;
            }
            seen.push(&w.exception);
            let Some(ex) = p.exceptions.get(&w.exception) else {
                continue;
            };
            let waived: Vec<String> = eff
                .lowered_by
                .iter()
                .filter(|x| x.exception == w.exception)
                .map(|x| format!("`{}` ({})", x.rule, x.control.title()))
                .collect();
            let uncovered: Vec<&str> = eff.uncovered.iter().map(|c| c.keyword()).collect();
            cx.err(
                Diagnostic::spanned(
                    &codes::names::P1050,
                    ex.meta.span,
                    format!(
                        "exception `{}` waives {} in namespace `{}`, whose enforced Pod Security level `{}` forbids it",
                        ex.name,
                        waived.join(", "),
                        ns.name,
                        eff.declared.enforce.as_str(),
                    ),
                )
                .with_label(format!(
                    "the namespace's enforce label would have to drop to `{}`, and then no enforcing admission rule checks {}",
                    eff.labels.enforce.as_str(),
                    uncovered.join(", "),
                ))
                .with_help(format!(
                    "enforce the declared level with admission rules (`use std.pod_security.{} {{ action = enforce }}`, or rules with `pod_security_control = …` for {}), or narrow the exception",
                    eff.declared.enforce.as_str(),
                    uncovered.join(", "),
                )),
            );
        }
    }
}
