//! `admission { … }`: bundle uses, validate, mutate, generate, verify_images.
//!
//! Items that come from a standard-library bundle join the block like the user's own, tagged
//! with the bundle's name; the `use` that pulled the bundle in sets their action and
//! exclusions. CEL stays an opaque typed slot (`ir::Expr`) here; its checker comes with the
//! Kyverno target.

use crate::Top;
use crate::cx::{Attrs, Cx, Opened, meta};
use crate::resolve::{Kind, Symbols};
use diagnostics::codes::names as codes;
use diagnostics::{Diagnostic, Span};
use ir::admission::*;
use ir::{Action, ImageGlob, Name};
use std::collections::BTreeMap;
use syntax::ast::{self, Value};

/// Parameters every admission bundle takes.
const COMMON_PARAMS: &[&str] = &[
    "action",
    "exclude_namespaces",
    "exclude_workloads",
    "satisfies",
];

/// A declared bundle parameter.
struct Param {
    ty: &'static str,
    default: Option<ParamValue>,
}

pub(crate) fn admission(
    cx: &mut Cx,
    syms: &mut Symbols,
    target: Option<&ir::system::Target>,
    items: &[Top<'_>],
    bundles: &[(&ast::Item, &ast::File)],
) -> Admission {
    let mut out = Admission::default();
    let params = bundle_params(cx, bundles);

    // First the `use` statements of the user's sections: they configure bundle items.
    let mut uses: BTreeMap<String, BundleUse> = BTreeMap::new();
    for t in items.iter().filter(|t| t.bundle.is_none()) {
        for e in t.item.entries() {
            let ast::Entry::Item(u) = e else { continue };
            if u.keyword.text != "use" {
                continue;
            }
            let Some(ast::Head::Path(p)) = &u.head else {
                continue;
            };
            if p.segments.first().map(|s| s.text.as_str()) != Some("std") {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1003,
                        p.span,
                        format!("`{}` is not a standard-library bundle", p.dotted()),
                    )
                    .with_help("bundles are named `std.…`"),
                );
                continue;
            }
            let name = p.segments[1..]
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join(".");
            if let Some(first) = uses.get(&name) {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1004,
                        p.span,
                        format!("bundle `std.{name}` is used twice"),
                    )
                    .with_secondary(first.meta.span, "first used here")
                    .with_help("merge the parameters into one `use`"),
                );
                continue;
            }
            let Some(declared) = params.get(&name) else {
                // Unknown bundles were reported by the loader; a bundle of another block is
                // an error here (it would silently do nothing).
                if stdlib::bundle(&name).is_some() {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1003,
                            p.span,
                            format!("`std.{name}` is not an admission bundle"),
                        )
                        .with_label("it adds nothing to `admission`")
                        .with_help(format!(
                            "use it in the block it belongs to, e.g. `runtime {{ use std.{name} }}`"
                        )),
                    );
                }
                continue;
            };
            let mut known: Vec<&str> = COMMON_PARAMS.to_vec();
            known.extend(declared.keys().map(String::as_str));
            let a = Attrs::of_item(cx, format!("`use std.{name}`"), u, &known);
            let action = a
                .get("action")
                .and_then(|v| action(cx, v))
                .unwrap_or(Action::Enforce);
            let exclude_namespaces =
                refer_names(cx, syms, a.get("exclude_namespaces"), Kind::Namespace);
            let exclude_workloads =
                refer_names(cx, syms, a.get("exclude_workloads"), Kind::Workload);
            let mut values = BTreeMap::new();
            for (pname, p) in declared {
                let value = match a.get(pname) {
                    Some(v) => param_value(cx, v, p.ty),
                    None => p.default.clone(),
                };
                match value {
                    Some(v) => {
                        values.insert(Name::new(pname), v);
                    }
                    None => {
                        if a.get(pname).is_none() {
                            cx.err(
                                Diagnostic::spanned(
                                    &codes::P1025,
                                    p_span(u),
                                    format!("`std.{name}` needs parameter `{pname}`"),
                                )
                                .with_help(format!("add `{pname} = …` to the `use`")),
                            );
                        }
                        // Reported (missing or invalid): a stand-in of the declared type keeps
                        // the bundle's CEL from reporting the parameter as unknown. The posture
                        // has an error, so no IR is built with it.
                        values.insert(Name::new(pname), stand_in(p.ty));
                    }
                }
            }
            let mut m = meta(cx, u, &a);
            m.bundle = Some(name.clone());
            uses.insert(
                name.clone(),
                BundleUse {
                    bundle: name,
                    action,
                    params: values,
                    exclude_namespaces,
                    exclude_workloads,
                    meta: m,
                },
            );
        }
    }

    // A bundle may use another (restricted uses baseline): the inner bundle's items follow the
    // `use` of the outer one.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    for t in items {
        let Some(b) = t.bundle else { continue };
        for e in t.item.entries() {
            if let ast::Entry::Item(u) = e
                && let (true, Some(ast::Head::Path(p))) = (u.keyword.text == "use", &u.head)
            {
                let inner = p
                    .segments
                    .iter()
                    .skip(1)
                    .map(|s| s.text.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                parent.insert(inner, b.to_string());
            }
        }
    }
    let find_use = |bundle: &str| -> Option<&BundleUse> {
        let mut cur = bundle.to_string();
        for _ in 0..16 {
            if let Some(u) = uses.get(&cur) {
                return Some(u);
            }
            cur = parent.get(&cur)?.clone();
        }
        None
    };

    // The parameter values a bundle's CEL sees: those of its `use`, or its defaults when it
    // came in through another bundle.
    let values_of = |bundle: Option<&str>| -> BTreeMap<Name, ParamValue> {
        let Some(b) = bundle else {
            return BTreeMap::new();
        };
        if let Some(u) = uses.get(b) {
            return u.params.clone();
        }
        params
            .get(b)
            .map(|ps| {
                ps.iter()
                    .filter_map(|(k, p)| Some((Name::new(k), p.default.clone()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let kubernetes = target.map(|t| t.kubernetes);

    // Then every item, the bundles' included.
    for t in items {
        let bundle_use = t.bundle.and_then(&find_use);
        let env = CelEnv {
            kubernetes,
            params: values_of(t.bundle),
        };
        for e in t.item.entries() {
            let ast::Entry::Item(item) = e else { continue };
            if item.keyword.text == "use" {
                continue;
            }
            let Some((n, span, true)) = cx.item_name(item, Some((syms, Kind::AdmissionItem)))
            else {
                continue;
            };
            cx.k8s_name(&n, span, "a policy's name");
            match item.keyword.text.as_str() {
                "validate" => {
                    if let Some(mut v) = validate(cx, syms, &env, item, &n) {
                        apply_use(
                            &mut v.meta,
                            &mut v.action,
                            &mut v.matches,
                            bundle_use,
                            t.bundle,
                        );
                        out.validate.insert(n, v);
                    }
                }
                "mutate" => {
                    if let Some(mut m) = mutate(cx, syms, item, &n) {
                        let mut act = Action::Enforce;
                        apply_use(&mut m.meta, &mut act, &mut m.matches, bundle_use, t.bundle);
                        out.mutate.insert(n, m);
                    }
                }
                "generate" => {
                    if let Some(g) = generate(cx, syms, item, &n) {
                        out.generate.insert(n, g);
                    }
                }
                "verify_images" => {
                    if let Some(v) = verify_images(cx, item, &n) {
                        out.verify_images.insert(n, v);
                    }
                }
                _ => {}
            }
        }
    }
    out.uses = uses.into_values().collect();
    out
}

fn p_span(u: &ast::Item) -> Span {
    u.head
        .as_ref()
        .map(ast::Head::span)
        .unwrap_or(u.keyword.span)
}

/// A bundle's items take the action and exclusions of the `use` that pulled them in.
fn apply_use(
    meta: &mut ir::Meta,
    action: &mut Action,
    matches: &mut Match,
    u: Option<&BundleUse>,
    bundle: Option<&str>,
) {
    meta.bundle = bundle.map(str::to_string);
    if let Some(u) = u {
        *action = u.action;
        for ns in &u.exclude_namespaces {
            if !matches.exclude_namespaces.contains(ns) {
                matches.exclude_namespaces.push(ns.clone());
            }
        }
        for w in &u.exclude_workloads {
            if !matches.exclude_workloads.contains(w) {
                matches.exclude_workloads.push(w.clone());
            }
        }
        meta.satisfies.extend(u.meta.satisfies.iter().cloned());
    }
}

/// The parameters each admission bundle declares: `bundle NAME { param P { type, default } }`.
fn bundle_params(
    cx: &mut Cx,
    bundles: &[(&ast::Item, &ast::File)],
) -> BTreeMap<String, BTreeMap<String, Param>> {
    let mut out = BTreeMap::new();
    for (b, file) in bundles {
        // Only bundles with admission content take admission parameters.
        if !file.items.iter().any(|i| i.keyword.text == "admission") {
            continue;
        }
        let Some(ast::Head::Path(p)) = &b.head else {
            continue;
        };
        let mut params = BTreeMap::new();
        for e in b.entries() {
            let ast::Entry::Item(pi) = e else { continue };
            let Some(Opened {
                name: pname,
                attrs: a,
                ..
            }) = cx.open(pi, None, "parameter", &["type", "default"])
            else {
                continue;
            };
            let ty = a.req(cx, "type").and_then(|v| {
                cx.variant(
                    v,
                    &["bool", "int", "quantity", "string", "strings", "names"],
                )
            });
            let Some(ty) = ty else { continue };
            let default = a.get("default").and_then(|v| param_value(cx, v, ty));
            params.insert(pname.0.to_string(), Param { ty, default });
        }
        out.insert(p.dotted(), params);
    }
    out
}

/// A value of a parameter type, for parameters whose given value was reported as wrong.
fn stand_in(ty: &str) -> ParamValue {
    match ty {
        "bool" => ParamValue::Bool(false),
        "int" => ParamValue::Int(0),
        "quantity" => ParamValue::Quantity(ir::Quantity {
            text: "0".into(),
            millis: 0,
        }),
        "string" => ParamValue::Text(String::new()),
        _ => ParamValue::List(Vec::new()),
    }
}

fn param_value(cx: &mut Cx, v: &Value, ty: &str) -> Option<ParamValue> {
    Some(match ty {
        "bool" => ParamValue::Bool(cx.bool(v)?),
        "int" => ParamValue::Int(cx.int(v, 0..=i64::MAX)?),
        "quantity" => ParamValue::Quantity(cx.quantity(v)?),
        "string" => ParamValue::Text(cx.string(v)?),
        "strings" => ParamValue::List(cx.list_of(v, |cx, i| cx.string(i).map(ParamValue::Text))),
        _ => ParamValue::List(
            cx.names(v)
                .into_iter()
                .map(|(n, _)| ParamValue::Word(n.0.to_string()))
                .collect(),
        ),
    })
}

fn action(cx: &mut Cx, v: &Value) -> Option<Action> {
    Some(if cx.variant(v, &["enforce", "audit"])? == "enforce" {
        Action::Enforce
    } else {
        Action::Audit
    })
}

fn refer_names(cx: &mut Cx, syms: &mut Symbols, v: Option<&Value>, kind: Kind) -> Vec<Name> {
    let Some(v) = v else { return vec![] };
    cx.names(v)
        .into_iter()
        .map(|(n, span)| {
            syms.refer(kind, &n, span);
            n
        })
        .collect()
}

const KINDS: &[(&str, ResourceKind)] = &[
    ("pods", ResourceKind::Pods),
    ("deployments", ResourceKind::Deployments),
    ("statefulsets", ResourceKind::StatefulSets),
    ("daemonsets", ResourceKind::DaemonSets),
    ("jobs", ResourceKind::Jobs),
    ("cronjobs", ResourceKind::CronJobs),
    ("services", ResourceKind::Services),
    ("ingresses", ResourceKind::Ingresses),
    ("namespaces", ResourceKind::Namespaces),
    ("configmaps", ResourceKind::ConfigMaps),
    ("secrets", ResourceKind::Secrets),
    ("serviceaccounts", ResourceKind::ServiceAccounts),
    ("roles", ResourceKind::Roles),
    ("rolebindings", ResourceKind::RoleBindings),
    ("clusterroles", ResourceKind::ClusterRoles),
    ("clusterrolebindings", ResourceKind::ClusterRoleBindings),
    ("networkpolicies", ResourceKind::NetworkPolicies),
];

fn matches(cx: &mut Cx, syms: &mut Symbols, v: Option<&Value>) -> Match {
    let mut m = Match {
        kinds: vec![ResourceKind::Pods],
        ..Match::default()
    };
    let Some(v) = v else { return m };
    let Some(entries) = cx.map(v) else { return m };
    let a = Attrs::new(
        cx,
        "`match`",
        v.span(),
        entries,
        &[
            "kinds",
            "namespaces",
            "exclude_namespaces",
            "exclude_workloads",
        ],
    );
    if let Some(k) = a.get("kinds") {
        let names: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
        m.kinds = cx.list_of(k, |cx, i| {
            cx.variant(i, &names)
                .and_then(|w| KINDS.iter().find(|(n, _)| *n == w).map(|(_, k)| *k))
        });
        m.kinds.sort();
        m.kinds.dedup();
    }
    m.namespaces = refer_names(cx, syms, a.get("namespaces"), Kind::Namespace);
    m.exclude_namespaces = refer_names(cx, syms, a.get("exclude_namespaces"), Kind::Namespace);
    m.exclude_workloads = refer_names(cx, syms, a.get("exclude_workloads"), Kind::Workload);
    m
}

/// What a rule's CEL is checked against: the cluster's Kubernetes version (its schema) and the
/// parameter values of the bundle the rule comes from.
struct CelEnv {
    kubernetes: Option<ir::system::Version>,
    params: BTreeMap<Name, ParamValue>,
}

fn validate(
    cx: &mut Cx,
    syms: &mut Symbols,
    env: &CelEnv,
    item: &ast::Item,
    n: &Name,
) -> Option<Validate> {
    let a = Attrs::of_item(
        cx,
        format!("validate `{n}`"),
        item,
        &[
            "title",
            "category",
            "severity",
            "action",
            "match",
            "require",
            "deny",
            "message",
            "pod_security_control",
            "satisfies",
        ],
    );
    let title = a.get("title").and_then(|v| cx.string(v));
    let pss_keywords: Vec<&str> = ir::pod_security::Control::keywords().collect();
    let pod_security_control = a
        .get("pod_security_control")
        .and_then(|v| cx.variant(v, &pss_keywords))
        .and_then(ir::pod_security::Control::parse);
    let category = a.get("category").and_then(|v| cx.string(v));
    let severity = match a
        .get("severity")
        .map(|v| cx.variant(v, &["low", "medium", "high", "critical"]))
    {
        Some(Some("low")) => Severity::Low,
        Some(Some("high")) => Severity::High,
        Some(Some("critical")) => Severity::Critical,
        _ => Severity::Medium,
    };
    let action = a
        .get("action")
        .and_then(|v| action(cx, v))
        .unwrap_or(Action::Enforce);
    let matches = matches(cx, syms, a.get("match"));
    let mut checks = Vec::new();
    let mut variables: Vec<CelVariable> = Vec::new();
    for (key, negate) in [("require", false), ("deny", true)] {
        let Some(v) = a.get(key) else { continue };
        // One expression, or a list of them (each its own check).
        let exprs = match v {
            Value::List { .. } => cx.list_of(v, |cx, i| cx.expr(i)),
            _ => cx.expr(v).into_iter().collect(),
        };
        for x in exprs {
            if x.text.trim().is_empty() {
                cx.err(Diagnostic::spanned(
                    &codes::P1007,
                    x.span,
                    "empty CEL expression",
                ));
                continue;
            }
            if let Some((check, vars)) = cel_check(cx, env, &x, negate, &matches) {
                checks.push(check);
                for var in vars {
                    if !variables.iter().any(|v| v.name == var.name) {
                        variables.push(var);
                    }
                }
            }
        }
    }
    if a.get("require").is_none() && a.get("deny").is_none() {
        cx.err(
            Diagnostic::spanned(&codes::P1006, a.span(), format!("validate `{n}` needs `require` or `deny`"))
                .with_help("write `require = `…`` with a CEL expression that must hold, or `deny = `…`` for one that must not"),
        );
    }
    let message = a.req(cx, "message").and_then(|v| cx.string(v));
    let meta = meta(cx, item, &a);
    Some(Validate {
        name: n.clone(),
        title,
        category,
        severity,
        action,
        matches,
        variables,
        checks,
        message: message?,
        pod_security_control,
        meta,
    })
}

fn mutate(cx: &mut Cx, syms: &mut Symbols, item: &ast::Item, n: &Name) -> Option<Mutate> {
    let a = Attrs::of_item(
        cx,
        format!("mutate `{n}`"),
        item,
        &["match", "labels", "annotations", "satisfies"],
    );
    let matches = matches(cx, syms, a.get("match"));
    let labels = a.get("labels").map(|v| cx.labels(v)).unwrap_or_default();
    let annotations = match a.get("annotations") {
        Some(v) => {
            let mut out = ir::Labels::new();
            if let Some(entries) = cx.map(v) {
                for e in entries {
                    if let Some(s) = cx.string(&e.value) {
                        out.insert(ir::LabelKey(e.key.text.to_string()), ir::LabelValue(s));
                    }
                }
            }
            out
        }
        None => Default::default(),
    };
    if labels.is_empty() && annotations.is_empty() {
        cx.err(
            Diagnostic::spanned(
                &codes::P1006,
                a.span(),
                format!("mutate `{n}` adds nothing"),
            )
            .with_help("give `labels = { … }` or `annotations = { … }`"),
        );
    }
    let meta = meta(cx, item, &a);
    Some(Mutate {
        name: n.clone(),
        matches,
        labels,
        annotations,
        meta,
    })
}

fn generate(cx: &mut Cx, syms: &mut Symbols, item: &ast::Item, n: &Name) -> Option<Generate> {
    let a = Attrs::of_item(
        cx,
        format!("generate `{n}`"),
        item,
        &[
            "for",
            "allow_dns",
            "exclude_namespaces",
            "synchronize",
            "satisfies",
        ],
    );
    let trigger = a
        .req(cx, "for")
        .and_then(|v| cx.variant(v, &["new_namespaces"]))
        .map(|_| GenerateTrigger::NewNamespaces);
    let allow_dns = a.get("allow_dns").and_then(|v| cx.bool(v)).unwrap_or(false);
    let exclude_namespaces = refer_names(cx, syms, a.get("exclude_namespaces"), Kind::Namespace);
    let synchronize = a
        .get("synchronize")
        .and_then(|v| cx.bool(v))
        .unwrap_or(true);
    let meta = meta(cx, item, &a);
    Some(Generate {
        name: n.clone(),
        trigger: trigger?,
        allow_dns,
        exclude_namespaces,
        synchronize,
        meta,
    })
}

fn verify_images(cx: &mut Cx, item: &ast::Item, n: &Name) -> Option<VerifyImages> {
    let a = Attrs::of_item(
        cx,
        format!("verify_images `{n}`"),
        item,
        &[
            "images",
            "keyless",
            "keys",
            "require_digest",
            "action",
            "satisfies",
        ],
    );
    let images: Vec<ImageGlob> = a
        .req(cx, "images")
        .map(|v| {
            cx.list_of(v, |cx, i| {
                let s = cx.string(i)?;
                if s.is_empty() || s.chars().any(char::is_whitespace) {
                    cx.err(Diagnostic::spanned(
                        &codes::P1016,
                        i.span(),
                        format!("`{s}` is not an image pattern"),
                    ));
                    return None;
                }
                Some(ImageGlob(s))
            })
        })
        .unwrap_or_default();
    let mut attestors = Vec::new();
    if let Some(v) = a.get("keyless")
        && let Some(entries) = cx.map(v)
    {
        let ka = Attrs::new(
            cx,
            "`keyless`",
            v.span(),
            entries,
            &["issuer", "subject", "rekor"],
        );
        let issuer = ka.req(cx, "issuer").and_then(|v| cx.url(v, false));
        let subject = ka.req(cx, "subject").and_then(|v| cx.string(v));
        let rekor = ka.get("rekor").and_then(|v| cx.url(v, false));
        if let (Some(issuer), Some(subject)) = (issuer, subject) {
            attestors.push(Attestor::Keyless {
                issuer,
                subject,
                rekor,
            });
        }
    }
    if let Some(v) = a.get("keys") {
        let keys = cx.list_of(v, |cx, i| {
            let s = cx.string(i)?;
            if !s.contains("-----BEGIN PUBLIC KEY-----") {
                cx.err(
                    Diagnostic::spanned(&codes::P1007, i.span(), "expected a PEM public key")
                        .with_help("paste the cosign public key: `-----BEGIN PUBLIC KEY-----…`; private keys never belong here"),
                );
                return None;
            }
            Some(s)
        });
        if !keys.is_empty() {
            attestors.push(Attestor::Keys { public_keys: keys });
        }
    }
    if a.get("keyless").is_none() && a.get("keys").is_none() {
        cx.err(
            Diagnostic::spanned(
                &codes::P1006,
                a.span(),
                format!("verify_images `{n}` needs `keyless` or `keys`"),
            )
            .with_help("say who must have signed the images"),
        );
    }
    let require_digest = a
        .get("require_digest")
        .and_then(|v| cx.bool(v))
        .unwrap_or(true);
    let action = a
        .get("action")
        .and_then(|v| action(cx, v))
        .unwrap_or(Action::Enforce);
    let meta = meta(cx, item, &a);
    Some(VerifyImages {
        name: n.clone(),
        images,
        attestors,
        require_digest,
        action,
        meta,
    })
}

/// Checks one CEL expression of a validate rule against the Kubernetes schema of the target
/// version (the `cel` crate) and prints it normalised (`true` = pass), with the variables it
/// uses. Errors and warnings go to `cx`.
fn cel_check(
    cx: &mut Cx,
    env: &CelEnv,
    x: &ir::Expr,
    negate: bool,
    matches: &Match,
) -> Option<(Cel, Vec<CelVariable>)> {
    // The text sits between the backticks of the literal.
    let base = Span {
        file: x.span.file,
        start: x.span.start + 1,
        end: x.span.end.saturating_sub(1).max(x.span.start + 1),
    };
    let kinds = matches
        .kinds
        .iter()
        .map(|k| {
            KINDS
                .iter()
                .find(|(_, v)| v == k)
                .map_or("pods", |(n, _)| *n)
                .to_string()
        })
        .collect();
    let params = env
        .params
        .iter()
        .filter_map(|(k, v)| Some((k.0.to_string(), cel_param(v)?)))
        .collect();
    let cenv = cel::Env {
        base,
        // Without a target the posture has an error already; check against the newest schema.
        kubernetes: env
            .kubernetes
            .map_or((u16::MAX, u16::MAX), |v| (v.major, v.minor)),
        kinds,
        params,
        polarity: if negate {
            cel::Polarity::Deny
        } else {
            cel::Polarity::Require
        },
    };
    match cel::check(&x.text, &cenv) {
        Ok(checked) => {
            for w in checked.warnings.iter().cloned() {
                cx.err(w);
            }
            let variables = checked
                .print_variables()
                .into_iter()
                .map(|(name, text)| CelVariable {
                    name,
                    expression: Cel { text, span: x.span },
                })
                .collect();
            Some((
                Cel {
                    text: checked.print(),
                    span: x.span,
                },
                variables,
            ))
        }
        Err(diags) => {
            for d in diags {
                cx.err(d);
            }
            None
        }
    }
}

/// A bundle parameter as the CEL checker substitutes it for `params.NAME`.
fn cel_param(v: &ParamValue) -> Option<cel::Param> {
    Some(match v {
        ParamValue::Bool(b) => cel::Param::Bool(*b),
        ParamValue::Int(i) => cel::Param::Int(*i),
        ParamValue::Quantity(q) => cel::Param::Quantity(q.text.clone()),
        ParamValue::Word(w) | ParamValue::Text(w) => cel::Param::String(w.clone()),
        ParamValue::List(items) => cel::Param::Strings(
            items
                .iter()
                .map(|i| match i {
                    ParamValue::Word(w) | ParamValue::Text(w) => Some(w.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?,
        ),
    })
}

/// The kinds an exception's condition sees: Kyverno evaluates it on the admitted object, the
/// Pod or the controller that makes it (exceptions are never autogen-rewritten).
const EXCEPTION_CONDITION_KINDS: &[&str] = &[
    "pods",
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "jobs",
    "cronjobs",
];

/// Checks an exception's `scope.condition` like every admission expression (the `cel` crate,
/// against the schema of the target's Kubernetes version, over a Pod and every pod controller)
/// and returns it normalised (`.?` where a field may be absent). Errors go to `cx`.
pub(crate) fn exception_condition(
    cx: &mut Cx,
    target: Option<&ir::system::Target>,
    x: &ir::Expr,
) -> Option<ir::Expr> {
    let base = Span {
        file: x.span.file,
        start: x.span.start + 1,
        end: x.span.end.saturating_sub(1).max(x.span.start + 1),
    };
    let cenv = cel::Env {
        base,
        kubernetes: target.map_or((u16::MAX, u16::MAX), |t| {
            (t.kubernetes.major, t.kubernetes.minor)
        }),
        kinds: EXCEPTION_CONDITION_KINDS
            .iter()
            .map(|k| k.to_string())
            .collect(),
        params: BTreeMap::new(),
        polarity: cel::Polarity::Require,
    };
    match cel::check(&x.text, &cenv) {
        Ok(checked) => {
            for w in checked.warnings.iter().cloned() {
                cx.err(w);
            }
            if !checked.variables.is_empty() {
                cx.err(
                    Diagnostic::spanned(
                        &diagnostics::codes::admission::P3003,
                        x.span,
                        "an exception's condition cannot use rule variables",
                    )
                    .with_help("spell the field out from `object`"),
                );
                return None;
            }
            Some(ir::Expr {
                text: checked.print(),
                span: x.span,
            })
        }
        Err(diags) => {
            for d in diags {
                cx.err(d);
            }
            None
        }
    }
}
