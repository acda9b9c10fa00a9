//! Cross-layer checks: rules that hold between blocks, made on the assembled posture because
//! only the whole posture shows them (no single engine sees both sides).
//!
//! - Exceptions meet Pod Security admission ([`ir::pod_security`]): an exception that waives a
//!   Pod Security control in a namespace whose enforced level checks it lowers the namespace's
//!   `enforce` label; that is refused (P1050) when no enforcing admission rule covers every
//!   control the lowered label stops checking.
//! - A behaviour profile's `outbound` destinations are declared egress of its workload
//!   (P5012): the detection and the NetworkPolicies read one declaration.

use crate::cx::Cx;
use diagnostics::{Diagnostic, codes};
use ir::Posture;
use ir::pod_security;

/// Runs every cross-layer check on the assembled posture.
pub(crate) fn check(cx: &mut Cx, p: &Posture) {
    pod_security_labels(cx, p);
    mesh_boundary(cx, p);
    profile_outbound(cx, p);
}

/// Each `outbound` destination of a profile is the `to` of an egress intent from the
/// workload (or its namespace). Otherwise the NetworkPolicies deny what the detection
/// expects, and the two layers disagree: refused (P5012).
fn profile_outbound(cx: &mut Cx, p: &Posture) {
    use ir::network::Peer;
    for prof in p.runtime.profiles.values() {
        let (Some(outbound), Some(w)) = (&prof.outbound, p.workloads.get(&prof.workload)) else {
            continue;
        };
        let declared: Vec<&Peer> = p
            .network
            .intents
            .iter()
            .filter(|i| match &i.from {
                Peer::Workload { name } => name == &w.name,
                Peer::Namespace { name } => name == &w.namespace,
                _ => false,
            })
            .map(|i| &i.to)
            .collect();
        for o in outbound {
            if declared.iter().any(|to| o.matches(to)) {
                continue;
            }
            let mut names: Vec<String> = declared
                .iter()
                .map(|to| ir::network::peer_text(to))
                .collect();
            names.sort();
            names.dedup();
            let help = if names.is_empty() {
                format!(
                    "`{}` declares no egress: add an `allow {} -> …` intent, or drop `outbound`",
                    w.name, w.name
                )
            } else {
                format!(
                    "the network block declares for `{}`: {}",
                    w.name,
                    names.join(", ")
                )
            };
            cx.err(
                Diagnostic::spanned(
                    &codes::runtime::P5012,
                    o.span,
                    format!(
                        "profile `{}` expects outbound connections to {}, which the network block does not allow it",
                        w.name,
                        ir::network::peer_text(&o.to)
                    ),
                )
                .with_help(help),
            );
        }
    }
}

/// Flows across the mesh's edge. Under strict mTLS a sidecar refuses plaintext, so a client
/// outside the mesh reaches a meshed workload only on a port the posture declares
/// `permissive` (P4009). Every declared flow that enters or leaves the mesh without TLS of its
/// own (`tls = true`) travels in plaintext (P4010), and coverage shows SC-8 and SC-8(1)
/// partial with those flows named.
fn mesh_boundary(cx: &mut Cx, p: &Posture) {
    use ir::network::{MtlsMode, PortSpec, is_meshed, meshed_namespaces, plaintext_hops};
    let Some(m) = &p.mesh else { return };
    let meshed = meshed_namespaces(p);
    let mut refused = Vec::new();
    for i in p.network.intents.iter().filter(|i| i.implied_by.is_none()) {
        if m.mtls != MtlsMode::Strict
            || is_meshed(p, &meshed, &i.from)
            || !is_meshed(p, &meshed, &i.to)
        {
            continue;
        }
        // Which of the flow's ports are not open to plaintext clients.
        let open = |port: u16| match &i.to {
            ir::network::Peer::Workload { name } => m
                .permissive
                .get(name)
                .is_some_and(|ps| ps.contains(&ir::Port(port))),
            _ => false,
        };
        let closed: Vec<String> = if i.ports.is_empty() {
            vec!["every port".to_string()]
        } else {
            i.ports
                .iter()
                .filter_map(|ps| match ps {
                    PortSpec::Number { port } | PortSpec::Named { port, .. } => {
                        (!open(port.0)).then(|| port.0.to_string())
                    }
                    PortSpec::Range { first, last } => Some(format!("{}-{}", first.0, last.0)),
                })
                .collect()
        };
        if closed.is_empty() {
            continue;
        }
        refused.push(i.id());
        let to = match &i.to {
            ir::network::Peer::Workload { name } => name.to_string(),
            other => format!("{other:?}"),
        };
        cx.err(
            Diagnostic::spanned(
                &codes::network::P4009,
                i.meta.span,
                format!(
                    "`{}` reaches a namespace with strict mTLS from outside the mesh: the sidecar refuses its plaintext connections",
                    i.id().name
                ),
            )
            .with_label(format!("port {} of `{to}` accepts mTLS only", closed.join(", ")))
            .with_help(format!(
                "mesh the client's namespace, or accept plaintext on that port: `mesh {{ permissive = {{ {to} = [{}] }} }}` (a port-level PERMISSIVE PeerAuthentication; coverage then shows SC-8 partial)",
                closed.join(", ")
            )),
        );
    }
    // A refused flow never happens, so it is no plaintext hop.
    for i in plaintext_hops(p)
        .into_iter()
        .filter(|i| !refused.contains(&i.id()))
    {
        let direction = if is_meshed(p, &meshed, &i.from) {
            "leaves"
        } else {
            "enters"
        };
        cx.err(
            Diagnostic::spanned(
                &codes::network::P4010,
                i.meta.span,
                format!(
                    "`{}` {direction} the mesh in plaintext: mTLS does not cover it",
                    i.id().name
                ),
            )
            .with_severity(diagnostics::Severity::Warning)
            .with_help("if the application encrypts this hop itself (HTTPS, TLS to the database), say `tls = true` on the flow; otherwise mesh the other side")
            .with_note("coverage shows SC-8 and SC-8(1) partial while a declared flow crosses the mesh's edge in plaintext"),
        );
    }
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
