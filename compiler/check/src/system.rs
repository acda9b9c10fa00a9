//! `system`, `target`, `audit`, `exception` and `controls`.

use crate::Top;
use crate::cx::{Attrs, Cx, Numbers, Opened, meta};
use crate::resolve::{Kind, Symbols};
use diagnostics::codes::{controls as ccodes, names as codes};
use diagnostics::{Diagnostic, Severity};
use ir::controls::{Framework, Inherited, NotApplicable, Process};
use ir::network::{BuiltinPeer, PodSecurityLevel};
use ir::system::*;
use ir::{Block, ItemId, LabelKey, LabelValue, Labels, Name};
use std::collections::BTreeMap;

/// How many days before its expiry an exception starts to warn (P1027): a month, long months
/// included, so the renewal is planned in review and never found by a failing build.
pub const EXPIRY_WARNING_DAYS: i64 = 31;
use syntax::ast::{self, Value};

/// Exactly one of a singleton block (`system`), or an error at the second.
fn single<'a>(cx: &mut Cx, items: &[Top<'a>], kw: &str, required: bool) -> Option<&'a ast::Item> {
    if let Some(second) = items.get(1) {
        cx.err(
            Diagnostic::spanned(
                &codes::P1004,
                second.item.keyword.span,
                format!("`{kw}` is declared twice"),
            )
            .with_secondary(items[0].item.keyword.span, "first declared here")
            .with_help(format!("a posture has one `{kw}` block")),
        );
    }
    if items.is_empty() && required {
        cx.err(
            Diagnostic::new(&codes::P1006, format!("the posture has no `{kw}` block"))
                .with_help(format!("declare `{kw} {{ … }}` in one of the files")),
        );
    }
    items.first().map(|t| t.item)
}

fn impact(cx: &mut Cx, v: &Value) -> Option<Impact> {
    Some(match cx.variant(v, &["low", "moderate", "high"])? {
        "low" => Impact::Low,
        "moderate" => Impact::Moderate,
        _ => Impact::High,
    })
}

pub(crate) fn system(cx: &mut Cx, items: &[Top<'_>]) -> Option<System> {
    let item = single(cx, items, "system", true)?;
    let Opened { name, attrs: a, .. } = cx.open(
        item,
        None,
        "system",
        &[
            "title",
            "description",
            "impact",
            "confidentiality",
            "integrity",
            "availability",
            "frameworks",
            "boundary",
            "owners",
            "satisfies",
        ],
    )?;
    let title = a.req(cx, "title").and_then(|v| cx.string(v));
    let description = a.get("description").and_then(|v| cx.string(v));
    let overall = a.get("impact").and_then(|v| impact(cx, v));
    let per = |cx: &mut Cx, k: &str| a.get(k).and_then(|v| impact(cx, v));
    let (c, i, av) = (
        per(cx, "confidentiality"),
        per(cx, "integrity"),
        per(cx, "availability"),
    );
    if overall.is_none()
        && (c.is_none() || i.is_none() || av.is_none())
        && a.get("impact").is_none()
    {
        cx.err(
            Diagnostic::spanned(
                &codes::P1006,
                a.span(),
                "system needs `impact` (or all of `confidentiality`, `integrity`, `availability`)",
            )
            .with_help("add `impact = moderate`: FIPS 199 low, moderate or high"),
        );
    }
    let base = overall.unwrap_or(Impact::Low);
    let impact = Categorization {
        confidentiality: c.unwrap_or(base),
        integrity: i.unwrap_or(base),
        availability: av.unwrap_or(base),
    };
    let mut frameworks = std::collections::BTreeSet::new();
    if let Some(v) = a.get("frameworks")
        && let Some(list) = cx.list(v)
    {
        for f in list {
            let Some((text, span)) = cx.word(f, "a framework id", Numbers::No, None) else {
                continue;
            };
            match Framework::from_id(&text) {
                Ok(fw) => {
                    frameworks.insert(fw);
                }
                Err(_) => cx.err(
                    Diagnostic::spanned(
                        &ccodes::P2004,
                        span,
                        format!("unknown framework `{text}`"),
                    )
                    .with_did_you_mean(&text, Framework::all().iter().map(|f| f.id()))
                    .with_note(format!(
                        "known frameworks: {}",
                        Framework::all()
                            .iter()
                            .map(|f| format!("`{}`", f.id()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
            }
        }
    }
    let boundary = a.get("boundary").and_then(|v| cx.string(v));
    let mut parties = Vec::new();
    if let Some(v) = a.get("owners")
        && let Some(entries) = cx.map(v)
    {
        for e in entries {
            if let Some(who) = cx.string(&e.value) {
                let (name, email) = match who.split_once('<') {
                    Some((n, rest)) => (
                        n.trim().to_string(),
                        Some(rest.trim_end_matches('>').trim().to_string()),
                    ),
                    None => (who.clone(), None),
                };
                parties.push(Party {
                    role: e.key.text.to_string(),
                    name,
                    email,
                });
            }
        }
    }
    let meta = meta(cx, item, &a);
    Some(System {
        name,
        title: title?,
        description,
        impact,
        frameworks,
        boundary,
        parties,
        meta,
    })
}

fn builtin_peer(
    cx: &mut Cx,
    v: Option<&Value>,
    default_ns: &str,
    default: (&str, &str),
) -> BuiltinPeer {
    let fallback = || BuiltinPeer {
        namespace: Name::new(default_ns),
        selector: Labels::from([(
            LabelKey(default.0.to_string()),
            LabelValue(default.1.to_string()),
        )]),
    };
    let Some(v) = v else { return fallback() };
    let Some(entries) = cx.map(v) else {
        return fallback();
    };
    let span = v.span();
    let a = Attrs::new(
        cx,
        "a built-in peer",
        span,
        entries,
        &["namespace", "match"],
    );
    let namespace = a
        .req(cx, "namespace")
        .and_then(|v| cx.name(v))
        .map(|(n, _)| n);
    let selector = a.req(cx, "match").map(|v| cx.labels(v));
    match (namespace, selector) {
        (Some(namespace), Some(selector)) => BuiltinPeer {
            namespace,
            selector,
        },
        _ => fallback(),
    }
}

pub(crate) fn target(cx: &mut Cx, items: &[Top<'_>]) -> Option<Target> {
    let item = single(cx, items, "target", true)?;
    let a = Attrs::of_item(
        cx,
        "`target`",
        item,
        &[
            "kubernetes",
            "kyverno",
            "falco",
            "keycloak",
            "pod_cidr",
            "service_cidr",
            "pod_cidrs",
            "service_cidrs",
            "ingress_controller",
            "cluster_dns",
            "mesh_control_plane",
            "kyverno_namespace",
            "pod_security_version",
            "default_pod_security",
            "oidc",
        ],
    );
    let kubernetes = a.req(cx, "kubernetes").and_then(|v| cx.version(v));
    if let (Some(k), Some(span)) = (kubernetes, a.key_span("kubernetes"))
        && (k.major != 1 || k.minor < 25)
    {
        cx.err(
                Diagnostic::spanned(&codes::P1020, span, format!("Kubernetes {k} is not supported"))
                    .with_help("posture targets Kubernetes 1.25 and later (Pod Security Admission is GA from 1.25)"),
            );
    }
    let kyverno = a.get("kyverno").and_then(|v| cx.version(v));
    if let (Some(k), Some(span)) = (kyverno, a.key_span("kyverno")) {
        // ClusterPolicy output uses `validate.cel` (1.11) and the rule-level `failureAction`
        // (1.13); the CEL policy kinds are v1 from 1.17.
        if k.major != 1 || k.minor < 13 {
            cx.err(
                Diagnostic::spanned(&codes::P1020, span, format!("Kyverno {k} is not supported"))
                    .with_help("posture's admission policies need Kyverno 1.13 or later (ClusterPolicy with CEL rules); from 1.17 on they use the policies.kyverno.io/v1 kinds"),
            );
        }
    }
    let falco = a.get("falco").and_then(|v| cx.version(v));
    let keycloak = a.get("keycloak").and_then(|v| cx.version(v));
    let mut cidrs = |one: &str, many: &str| -> Vec<ir::Cidr> {
        let mut out: Vec<ir::Cidr> = a.get(one).and_then(|v| cx.cidr(v)).into_iter().collect();
        if let Some(v) = a.get(many) {
            out.extend(cx.list_of(v, |cx, i| cx.cidr(i)));
        }
        out
    };
    let pod_cidrs = cidrs("pod_cidr", "pod_cidrs");
    let service_cidrs = cidrs("service_cidr", "service_cidrs");
    let ingress_controller = builtin_peer(
        cx,
        a.get("ingress_controller"),
        "ingress-nginx",
        ("app.kubernetes.io/name", "ingress-nginx"),
    );
    let cluster_dns = builtin_peer(
        cx,
        a.get("cluster_dns"),
        "kube-system",
        ("k8s-app", "kube-dns"),
    );
    let mesh_control_plane = builtin_peer(
        cx,
        a.get("mesh_control_plane"),
        "istio-system",
        ("app", "istiod"),
    );
    let kyverno_namespace = a
        .get("kyverno_namespace")
        .and_then(|v| cx.name(v))
        .map_or_else(|| Name::new("kyverno"), |(n, _)| n);
    let pod_security_version = a.get("pod_security_version").and_then(|v| cx.version(v));
    let default_pod_security = a.get("default_pod_security").and_then(|v| pss_level(cx, v));
    let oidc = a
        .get("oidc")
        .and_then(|v| crate::secrets::apiserver_oidc(cx, v));
    let meta = meta(cx, item, &a);
    Some(Target {
        kubernetes: kubernetes?,
        kyverno,
        falco,
        keycloak,
        pod_cidrs,
        service_cidrs,
        ingress_controller,
        cluster_dns,
        mesh_control_plane,
        kyverno_namespace,
        pod_security_version,
        default_pod_security,
        oidc,
        meta,
    })
}

pub(crate) fn pss_level(cx: &mut Cx, v: &Value) -> Option<PodSecurityLevel> {
    Some(
        match cx.variant(v, &["privileged", "baseline", "restricted"])? {
            "privileged" => PodSecurityLevel::Privileged,
            "baseline" => PodSecurityLevel::Baseline,
            _ => PodSecurityLevel::Restricted,
        },
    )
}

fn audit_level(cx: &mut Cx, v: &Value) -> Option<AuditLevel> {
    Some(
        match cx.variant(v, &["none", "metadata", "request", "request_response"])? {
            "none" => AuditLevel::None,
            "metadata" => AuditLevel::Metadata,
            "request" => AuditLevel::Request,
            _ => AuditLevel::RequestResponse,
        },
    )
}

fn resources(cx: &mut Cx, v: &Value) -> Vec<String> {
    cx.list_of(v, |cx, i| cx.name(i).map(|(n, _)| n.0.to_string()))
}

pub(crate) fn audit(cx: &mut Cx, items: &[Top<'_>]) -> Option<Audit> {
    let first = items.first()?.item;
    let a = Attrs::of_sections(
        cx,
        "`audit`",
        items,
        &["level", "exclude", "sink", "retention", "satisfies"],
    )?;
    let level = a.req(cx, "level").and_then(|v| audit_level(cx, v));
    let exclude = a
        .get("exclude")
        .map(|v| resources(cx, v))
        .unwrap_or_default();
    let sink = a.get("sink").and_then(|v| cx.url(v, false));
    let retention = a.get("retention").and_then(|v| cx.duration(v));
    let mut rules = Vec::new();
    for t in items {
        for e in t.item.entries() {
            if let ast::Entry::Item(r) = e {
                let Some(Opened {
                    name, attrs: ra, ..
                }) = cx.open(r, None, "audit rule", &["resources", "level", "satisfies"])
                else {
                    continue;
                };
                let res = ra.req(cx, "resources").map(|v| resources(cx, v));
                let lvl = ra.req(cx, "level").and_then(|v| audit_level(cx, v));
                let m = meta(cx, r, &ra);
                if let (Some(resources), Some(level)) = (res, lvl) {
                    rules.push(AuditRule {
                        name,
                        resources,
                        level,
                        meta: m,
                    });
                }
            }
        }
    }
    let meta = meta(cx, first, &a);
    Some(Audit {
        level: level?,
        exclude,
        rules,
        sink,
        retention,
        meta,
    })
}

/// `block.name` references in `waive`.
const WAIVABLE: &[(Block, Kind)] = &[
    (Block::Admission, Kind::AdmissionItem),
    (Block::Runtime, Kind::RuntimeItem),
    (Block::Network, Kind::NetworkIntent),
];

pub(crate) fn exceptions(
    cx: &mut Cx,
    syms: &mut Symbols,
    workloads: &BTreeMap<Name, ir::network::Workload>,
    admission: &ir::admission::Admission,
    target: Option<&Target>,
    items: &[Top<'_>],
    today: Option<ir::Date>,
) -> std::collections::BTreeMap<Name, Exception> {
    let mut out = std::collections::BTreeMap::new();
    for t in items {
        let item = t.item;
        let Some(Opened {
            name: n,
            span: name_span,
            first,
            attrs: a,
        }) = cx.open(
            item,
            Some((syms, Kind::Exception)),
            "exception",
            &[
                "waive",
                "scope",
                "owner",
                "ticket",
                "reason",
                "expires",
                "satisfies",
            ],
        )
        else {
            continue;
        };
        if !first {
            continue;
        }
        cx.k8s_name(&n, name_span, "an exception's name");
        let mut waive = Vec::new();
        if let Some(v) = a.req(cx, "waive")
            && let Some(list) = cx.list(v)
        {
            for w in list {
                let Value::Word(word) = w else {
                    cx.mismatch(w, "`block.name`", None);
                    continue;
                };
                let Some((block, rest)) = word.text.split_once('.') else {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1007,
                            word.span,
                            format!("`{}` does not say which block it waives", word.text),
                        )
                        .with_help("write `admission.NAME`, `runtime.NAME` or `network.NAME`"),
                    );
                    continue;
                };
                match WAIVABLE.iter().find(|(b, _)| b.as_str() == block) {
                    Some((b, kind)) => {
                        let target = Name::new(rest);
                        syms.refer(*kind, &target, word.span);
                        waive.push(ItemId {
                            block: *b,
                            name: target,
                        });
                    }
                    None => cx.err(
                        Diagnostic::spanned(
                            &codes::P1017,
                            word.span,
                            format!("`{block}` items cannot be waived"),
                        )
                        .with_help("exceptions waive `admission`, `runtime` and `network` items")
                        .with_did_you_mean(block, WAIVABLE.iter().map(|(b, _)| b.as_str())),
                    ),
                }
            }
        }
        let mut scope = Scope::default();
        if let Some(v) = a.req(cx, "scope")
            && let Some(entries) = cx.map(v)
        {
            let sa = Attrs::new(
                cx,
                "an exception scope",
                v.span(),
                entries,
                &["namespaces", "workloads", "condition"],
            );
            for (nm, span) in sa
                .get("namespaces")
                .map(|v| cx.names(v))
                .unwrap_or_default()
            {
                syms.refer(Kind::Namespace, &nm, span);
                scope.namespaces.push(nm);
            }
            // A workload in a scope must be declared: without its namespace and selector
            // there is nothing exact to match its pods by, and a scope that names only
            // unknown workloads would waive the policy for everything (P1030).
            let mut named = Vec::new();
            for (wl, span) in sa.get("workloads").map(|v| cx.names(v)).unwrap_or_default() {
                if !workloads.contains_key(&wl) {
                    cx.err(
                            Diagnostic::spanned(
                                &codes::P1030,
                                span,
                                format!("exception `{n}` names workload `{wl}`, which the posture does not declare"),
                            )
                            .with_label("no namespace and selector to match its pods by")
                            .with_help(format!("declare `workload {wl} {{ namespace = …, match = {{ … }} }}`, or scope the exception by `namespaces` or `condition`")),
                        );
                }
                named.push((wl.clone(), span));
                scope.workloads.push(wl);
            }
            overlapping_workloads(cx, &n, &named, workloads);
            scope.condition = sa
                .get("condition")
                .and_then(|v| cx.expr(v))
                .and_then(|x| crate::admission::exception_condition(cx, target, &x));
            if scope.namespaces.is_empty()
                && scope.workloads.is_empty()
                && sa.get("condition").is_none()
            {
                cx.err(
                        Diagnostic::spanned(&codes::P1006, v.span(), "an exception scope must name namespaces, workloads or a condition")
                            .with_help("an exception for everything is a disabled policy: say `action = audit` on the policy instead"),
                    );
            }
        }
        waives_nothing(cx, &n, &waive, &scope, admission, a.get("waive"));
        let owner = a.req(cx, "owner").and_then(|v| cx.string(v));
        let ticket = a.get("ticket").and_then(|v| cx.string(v));
        let reason = a.get("reason").and_then(|v| cx.string(v));
        let expires = a.req(cx, "expires").and_then(|v| cx.date(v));
        if let (Some(exp), Some(today), Some(v)) = (expires, today, a.get("expires")) {
            let left = exp.days_since_epoch() - today.days_since_epoch();
            if left < 0 {
                cx.err(
                    Diagnostic::spanned(&codes::P1027, v.span(), format!("exception `{n}` expired on {exp}"))
                        .with_label(format!("{} days ago", -left))
                        .with_help("fix the underlying finding and delete the exception, or renew it with a new date and ticket"),
                );
            } else if left <= EXPIRY_WARNING_DAYS {
                cx.err(
                    Diagnostic::spanned(&codes::P1027, v.span(), if left == 0 { format!("exception `{n}` expires today, on {exp}") } else if left == 1 { format!("exception `{n}` expires tomorrow, on {exp}") } else { format!("exception `{n}` expires in {left} days, on {exp}") })
                        .with_severity(Severity::Warning)
                        .with_help("plan the fix, or renew the exception before it expires and the build fails"),
                );
            }
        }
        let meta = meta(cx, item, &a);
        if let (Some(owner), Some(expires)) = (owner, expires) {
            out.insert(
                n.clone(),
                Exception {
                    name: n,
                    waive,
                    scope,
                    owner,
                    ticket,
                    reason,
                    expires,
                    meta,
                },
            );
        }
    }
    out
}

pub(crate) fn controls(cx: &mut Cx, items: &[Top<'_>]) -> ir::controls::Controls {
    let mut out = ir::controls::Controls::default();
    for t in items {
        let item = t.item;
        let a = Attrs::of_item(cx, "`controls`", item, &["inherited", "not_applicable"]);
        let selectors = |cx: &mut Cx, v: &Value| cx.list_of(v, |cx, i| cx.control_selector(i));
        if let Some(v) = a.get("inherited") {
            for m in maps_or_one(cx, v) {
                let ia = Attrs::new(
                    cx,
                    "`inherited`",
                    m.span(),
                    map_entries(m),
                    &["controls", "provider"],
                );
                let controls = ia
                    .req(cx, "controls")
                    .map(|v| selectors(cx, v))
                    .unwrap_or_default();
                let provider = ia.req(cx, "provider").and_then(|v| cx.string(v));
                if let Some(provider) = provider {
                    out.inherited.push(Inherited {
                        controls,
                        provider,
                        meta: ir::Meta::new(m.span()),
                    });
                }
            }
        }
        if let Some(v) = a.get("not_applicable") {
            for m in maps_or_one(cx, v) {
                let na = Attrs::new(
                    cx,
                    "`not_applicable`",
                    m.span(),
                    map_entries(m),
                    &["controls", "reason"],
                );
                let controls = na
                    .req(cx, "controls")
                    .map(|v| selectors(cx, v))
                    .unwrap_or_default();
                let reason = na.req(cx, "reason").and_then(|v| cx.string(v));
                if let Some(reason) = reason {
                    out.not_applicable.push(NotApplicable {
                        controls,
                        reason,
                        meta: ir::Meta::new(m.span()),
                    });
                }
            }
        }
        for e in item.entries() {
            let ast::Entry::Item(p) = e else { continue };
            let Some(Opened {
                name: n,
                span: name_span,
                attrs: pa,
                ..
            }) = cx.open(
                p,
                None,
                "process",
                &["controls", "evidence", "every", "owner", "satisfies"],
            )
            else {
                continue;
            };
            let controls = pa
                .req(cx, "controls")
                .map(|v| selectors(cx, v))
                .unwrap_or_default();
            let evidence = pa.req(cx, "evidence").and_then(|v| cx.url(v, false));
            let every = pa.req(cx, "every").and_then(|v| cx.duration(v));
            let owner = pa.get("owner").and_then(|v| cx.string(v));
            let meta = meta(cx, p, &pa);
            if out.processes.contains_key(&n) {
                cx.err(Diagnostic::spanned(
                    &codes::P1004,
                    name_span,
                    format!("process `{n}` is declared twice"),
                ));
                continue;
            }
            if let (Some(evidence), Some(every)) = (evidence, every) {
                out.processes.insert(
                    n.clone(),
                    Process {
                        name: n,
                        controls,
                        evidence,
                        every,
                        owner,
                        meta,
                    },
                );
            }
        }
    }
    out
}

/// A map, or a list of maps.
fn maps_or_one<'v>(cx: &mut Cx, v: &'v Value) -> Vec<&'v Value> {
    match v {
        Value::Map { .. } => vec![v],
        Value::List { items, .. } => items
            .iter()
            .filter(|i| {
                let ok = matches!(i, Value::Map { .. });
                if !ok {
                    cx.mismatch(i, "a map", None);
                }
                ok
            })
            .collect(),
        other => {
            cx.mismatch(other, "a map", None);
            vec![]
        }
    }
}

fn map_entries(v: &Value) -> &[ast::Attr] {
    match v {
        Value::Map { entries, .. } => entries,
        _ => &[],
    }
}

/// Refuses an exception workload whose selector can select the pods of another declared workload
/// in its namespace that the exception does not name: Kyverno would skip the policy for those
/// pods too (P1031). Two equality selectors can select the same pod unless they give one label
/// different values.
fn overlapping_workloads(
    cx: &mut Cx,
    n: &Name,
    named: &[(Name, diagnostics::Span)],
    workloads: &BTreeMap<Name, ir::network::Workload>,
) {
    for (wl, span) in named {
        let Some(w) = workloads.get(wl) else { continue };
        for other in workloads.values() {
            if other.name == w.name
                || other.namespace != w.namespace
                || named.iter().any(|(x, _)| *x == other.name)
            {
                continue;
            }
            let disjoint = w
                .selector
                .iter()
                .any(|(k, v)| other.selector.get(k).is_some_and(|o| o != v));
            if disjoint {
                continue;
            }
            let what = if w
                .selector
                .iter()
                .all(|(k, v)| other.selector.get(k) == Some(v))
            {
                "every pod"
            } else {
                "pods"
            };
            cx.err(
                Diagnostic::spanned(
                    &codes::P1031,
                    *span,
                    format!(
                        "exception `{n}` names workload `{wl}`, whose selector also matches {what} of workload `{}` in namespace `{}`",
                        other.name, w.namespace
                    ),
                )
                .with_label(format!("would also waive `{}`", other.name))
                .with_secondary(other.meta.span, format!("`{}` declared here", other.name))
                .with_help(format!(
                    "give `{wl}` and `{}` selectors that cannot both match (one label with different values), or name `{}` in the scope too if it is meant to be waived",
                    other.name, other.name
                )),
            );
        }
    }
}

/// Warns when a waived admission policy does not apply in any namespace of the exception's
/// scope: the exception would match nothing.
fn waives_nothing(
    cx: &mut Cx,
    n: &Name,
    waive: &[ItemId],
    scope: &Scope,
    admission: &ir::admission::Admission,
    at: Option<&Value>,
) {
    let (Some(at), false) = (at, scope.namespaces.is_empty()) else {
        return;
    };
    for w in waive.iter().filter(|w| w.block == Block::Admission) {
        let m = admission
            .validate
            .get(&w.name)
            .map(|v| &v.matches)
            .or_else(|| admission.mutate.get(&w.name).map(|v| &v.matches));
        let Some(m) = m else { continue };
        let applies = |ns: &Name| {
            (m.namespaces.is_empty() || m.namespaces.contains(ns))
                && !m.exclude_namespaces.contains(ns)
        };
        if !scope.namespaces.iter().any(applies) {
            let list = scope
                .namespaces
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            cx.err(
                Diagnostic::spanned(
                    &codes::P1028,
                    at.span(),
                    format!("exception `{n}` waives `{w}`, which does not apply in {list}"),
                )
                .with_severity(Severity::Warning)
                .with_help("the policy's `match` leaves these namespaces out already: drop the waiver, or fix the scope"),
            );
        }
    }
}
