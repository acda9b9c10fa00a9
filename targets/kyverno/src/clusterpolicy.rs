//! The ClusterPolicy back end: `kyverno.io/v1` ClusterPolicy (one rule each, named like the
//! policy) and `kyverno.io/v2` PolicyException, for Kyverno before 1.17.
//!
//! | IR | rule |
//! | --- | --- |
//! | `validate` | `validate.cel` (expressions + variables), `validate.failureAction` Enforce/Audit |
//! | `mutate` | `mutate.patchStrategicMerge` of the labels/annotations with `+(key)` add-if-absent anchors |
//! | `generate` | `generate` of the NetworkPolicies of [`crate::generate`] on Namespaces, `synchronize` |
//! | `verify_images` | `verifyImages`: `imageReferences`, key/keyless attestors, digest settings |
//! | `exception` | PolicyException naming the rule and its autogen rules, `match` for the scope, Kyverno's cleanup TTL label at the expiry |
//!
//! Scope: namespaces are `match`/`exclude` `namespaces`; excluded workloads are a
//! `celPreconditions` entry for validate rules (an `exclude` with a label `selector` would
//! turn Kyverno's autogen for pod controllers off) and an `exclude` with namespace and
//! `selector` for mutate rules (patched at Pod creation either way).

use crate::generate;
use crate::kinds;
use crate::model::LabelSelector;
use crate::model::legacy::*;
use crate::model::netpol::NetworkPolicyData;
use crate::scope;
use crate::{About, exception_metadata, policy_metadata};
use emit::Artifact;
use ir::admission::{self, ResourceKind};
use ir::{Action, Name, Posture};

/// `apiVersion` of a ClusterPolicy.
pub const API_VERSION: &str = "kyverno.io/v1";
/// `apiVersion` of a PolicyException.
pub const EXCEPTION_API_VERSION: &str = "kyverno.io/v2";
/// Kyverno's cleanup label: the object is deleted at this date.
pub const TTL_LABEL: &str = "cleanup.kyverno.io/ttl";

/// Every file of the ClusterPolicy back end.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    crate::files(
        p,
        &crate::Lowering {
            validate: validate_policy,
            mutate: mutate_policy,
            generate: generate_policy,
            verify_images: verify_images_policy,
            exception: policy_exception,
        },
    )
}

fn names(ns: &[Name]) -> Vec<String> {
    ns.iter().map(|n| n.0.to_string()).collect()
}

fn kind_names(kinds: &[ResourceKind]) -> Vec<String> {
    kinds
        .iter()
        .map(|k| kinds::of(*k).kind.to_string())
        .collect()
}

/// `match.any[0].resources`: the kinds, in the namespaces when given.
fn match_(m: &admission::Match) -> MatchResources {
    MatchResources {
        any: vec![ResourceFilter {
            resources: ResourceDescription {
                kinds: kind_names(&m.kinds),
                operations: Vec::new(),
                namespaces: names(&m.namespaces),
                selector: None,
            },
        }],
    }
}

/// `exclude.any[].resources.namespaces` for excluded namespaces.
fn exclude_namespaces(ns: &[Name]) -> Vec<ResourceFilter> {
    if ns.is_empty() {
        return Vec::new();
    }
    vec![ResourceFilter {
        resources: ResourceDescription {
            kinds: Vec::new(),
            operations: Vec::new(),
            namespaces: names(ns),
            selector: None,
        },
    }]
}

fn exclude(filters: Vec<ResourceFilter>) -> Option<MatchResources> {
    (!filters.is_empty()).then_some(MatchResources { any: filters })
}

/// One `exclude` entry per workload: its namespace and selector.
fn workload_filters(p: &Posture, ws: &[Name]) -> Vec<ResourceFilter> {
    ws.iter()
        .filter_map(|n| p.workloads.get(n))
        .map(|w| workload_filter(w, Vec::new()))
        .collect()
}

/// The resources of `kinds` (any kind when empty) in a workload's namespace that carry its
/// selector's labels.
fn workload_filter(w: &ir::network::Workload, kinds: Vec<String>) -> ResourceFilter {
    ResourceFilter {
        resources: ResourceDescription {
            kinds,
            operations: Vec::new(),
            namespaces: vec![w.namespace.0.to_string()],
            selector: Some(LabelSelector {
                match_labels: w
                    .selector
                    .iter()
                    .map(|(k, v)| (k.0.clone(), v.0.clone()))
                    .collect(),
                match_expressions: Vec::new(),
            }),
        },
    }
}

fn failure_action(a: Action) -> FailureAction {
    match a {
        Action::Enforce => FailureAction::Enforce,
        Action::Audit => FailureAction::Audit,
    }
}

fn rule(name: &Name, match_: MatchResources) -> Rule {
    Rule {
        name: name.0.to_string(),
        match_,
        exclude: None,
        cel_preconditions: Vec::new(),
        validate: None,
        mutate: None,
        generate: None,
        verify_images: Vec::new(),
    }
}

fn policy(metadata: emit::k8s::ObjectMeta, rule: Rule) -> ClusterPolicy {
    ClusterPolicy {
        api_version: API_VERSION,
        kind: "ClusterPolicy",
        metadata,
        spec: ClusterPolicySpec {
            background: true,
            rules: vec![rule],
        },
    }
}

/// `validate` → ClusterPolicy with a `validate.cel` rule.
pub fn validate_policy(p: &Posture, v: &admission::Validate) -> ClusterPolicy {
    let about = About {
        name: &v.name,
        title: v.title.as_deref(),
        category: v.category.as_deref().unwrap_or("Posture"),
        severity: crate::severity(v.severity),
        subject: crate::subject(&v.matches.kinds),
        fallback_description: &v.message,
        meta: &v.meta,
    };
    let mut r = rule(&v.name, match_(&v.matches));
    r.exclude = exclude(exclude_namespaces(&v.matches.exclude_namespaces));
    if let Some(w) = scope::any_workload(p, &v.matches.exclude_workloads) {
        r.cel_preconditions.push(CelPrecondition {
            name: "exclude-workloads".into(),
            expression: scope::print(&w.not()),
        });
    }
    r.validate = Some(Validate {
        failure_action: failure_action(v.action),
        cel: CelValidation {
            expressions: v
                .checks
                .iter()
                .map(|c| CelExpression {
                    expression: c.text.clone(),
                    message: v.message.clone(),
                })
                .collect(),
            variables: v
                .variables
                .iter()
                .map(|x| CelVariable {
                    name: x.name.clone(),
                    expression: x.expression.text.clone(),
                })
                .collect(),
        },
    });
    policy(policy_metadata(&about), r)
}

/// `+(key)`: Kyverno's add-if-absent anchor.
fn anchored(entries: &ir::Labels) -> std::collections::BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (format!("+({})", k.0), v.0.clone()))
        .collect()
}

/// `mutate` → ClusterPolicy with a `patchStrategicMerge` rule.
pub fn mutate_policy(p: &Posture, m: &admission::Mutate) -> ClusterPolicy {
    let about = About {
        name: &m.name,
        title: None,
        category: "Posture",
        severity: "medium",
        subject: crate::subject(&m.matches.kinds),
        fallback_description: "Adds labels and annotations that are missing.",
        meta: &m.meta,
    };
    let mut r = rule(&m.name, match_(&m.matches));
    let mut filters = exclude_namespaces(&m.matches.exclude_namespaces);
    filters.extend(workload_filters(p, &m.matches.exclude_workloads));
    r.exclude = exclude(filters);
    r.mutate = Some(Mutate {
        patch_strategic_merge: PatchMetadata {
            metadata: PatchMeta {
                labels: anchored(&m.labels),
                annotations: anchored(&m.annotations),
            },
        },
    });
    policy(policy_metadata(&about), r)
}

/// `generate` → ClusterPolicy with one rule per downstream NetworkPolicy.
pub fn generate_policy(p: &Posture, g: &admission::Generate) -> ClusterPolicy {
    let about = About {
        name: &g.name,
        title: None,
        category: "Multi-Tenancy",
        severity: "medium",
        subject: "Namespace, NetworkPolicy".to_string(),
        fallback_description: "Creates a default-deny NetworkPolicy in every new namespace.",
        meta: &g.meta,
    };
    let matches = admission::Match {
        kinds: vec![ResourceKind::Namespaces],
        ..admission::Match::default()
    };
    let excluded = g.excluded_namespaces(&p.target);
    let rules: Vec<Rule> = generate::network_policies(p, g)
        .into_iter()
        .enumerate()
        .map(|(i, (name, spec))| {
            // The first rule is named like the policy; the DNS one after its object.
            let rule_name = if i == 0 {
                g.name.clone()
            } else {
                Name::new(format!("{}-{name}", g.name))
            };
            // New namespaces only: a rule that fired on updates too would close the next
            // namespace someone labels.
            let mut m = match_(&matches);
            for f in &mut m.any {
                f.resources.operations = vec!["CREATE"];
            }
            let mut r = rule(&rule_name, m);
            if !excluded.is_empty() {
                // A Namespace is excluded by its name.
                r.exclude = Some(MatchResources {
                    any: vec![ResourceFilter {
                        resources: ResourceDescription {
                            kinds: vec!["Namespace".into()],
                            operations: Vec::new(),
                            namespaces: Vec::new(),
                            selector: Some(LabelSelector {
                                match_labels: Default::default(),
                                match_expressions: vec![crate::model::LabelSelectorRequirement {
                                    key: generate::NAMESPACE_NAME_LABEL.into(),
                                    operator: crate::model::SelectorOperator::In,
                                    values: names(&excluded),
                                }],
                            }),
                        },
                    }],
                });
            }
            r.generate = Some(Generate {
                api_version: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                name: name.to_string(),
                namespace: "{{request.object.metadata.name}}".to_string(),
                synchronize: g.synchronize,
                data: NetworkPolicyData { spec },
            });
            r
        })
        .collect();
    ClusterPolicy {
        api_version: API_VERSION,
        kind: "ClusterPolicy",
        metadata: policy_metadata(&about),
        spec: ClusterPolicySpec {
            background: true,
            rules,
        },
    }
}

/// `verify_images` → ClusterPolicy with a `verifyImages` rule.
pub fn verify_images_policy(i: &admission::VerifyImages) -> ClusterPolicy {
    let about = About {
        name: &i.name,
        title: None,
        category: "Software Supply Chain Security",
        severity: "high",
        subject: "Pod".to_string(),
        fallback_description: "Verifies image signatures.",
        meta: &i.meta,
    };
    let matches = admission::Match {
        kinds: vec![ResourceKind::Pods],
        ..admission::Match::default()
    };
    let mut entries = Vec::new();
    for a in &i.attestors {
        match a {
            admission::Attestor::Keys { public_keys } => {
                for k in public_keys {
                    entries.push(AttestorEntry {
                        keys: Some(Keys {
                            public_keys: k.clone(),
                        }),
                        ..AttestorEntry::default()
                    });
                }
            }
            admission::Attestor::Keyless {
                issuer,
                subject,
                rekor,
            } => entries.push(AttestorEntry {
                keyless: Some(Keyless {
                    issuer: issuer.0.clone(),
                    rekor: rekor.as_ref().map(|u| Rekor { url: u.0.clone() }),
                    subject: subject.clone(),
                }),
                ..AttestorEntry::default()
            }),
        }
    }
    let count = (entries.len() > 1).then_some(1);
    let mut r = rule(&i.name, match_(&matches));
    r.verify_images = vec![VerifyImages {
        attestors: vec![AttestorSet { count, entries }],
        failure_action: failure_action(i.action),
        image_references: i.images.iter().map(|g| g.0.clone()).collect(),
        mutate_digest: i.require_digest,
        required: true,
        verify_digest: i.require_digest,
    }];
    policy(policy_metadata(&about), r)
}

/// Kyverno's autogen rule name: `prefix-rule`, cut at 63 characters.
pub(crate) fn autogen_name(prefix: &str, rule: &str) -> String {
    let mut n = format!("{prefix}-{rule}");
    n.truncate(63);
    n
}

/// The rule names of the policy of an admission item, autogen rules included.
fn rule_names(p: &Posture, name: &Name) -> Option<Vec<String>> {
    let a = &p.admission;
    let pods_only = |kinds: &[ResourceKind]| kinds == [ResourceKind::Pods];
    let with_autogen = |n: &str| {
        vec![
            n.to_string(),
            autogen_name("autogen", n),
            autogen_name("autogen-cronjob", n),
        ]
    };
    if let Some(v) = a.validate.get(name) {
        Some(if pods_only(&v.matches.kinds) {
            with_autogen(name.as_str())
        } else {
            vec![name.0.to_string()]
        })
    } else if let Some(m) = a.mutate.get(name) {
        Some(
            if pods_only(&m.matches.kinds) && m.matches.exclude_workloads.is_empty() {
                with_autogen(name.as_str())
            } else {
                vec![name.0.to_string()]
            },
        )
    } else if let Some(g) = a.generate.get(name) {
        Some(
            generate::network_policies(p, g)
                .into_iter()
                .enumerate()
                .map(|(i, (n, _))| {
                    if i == 0 {
                        g.name.0.to_string()
                    } else {
                        format!("{}-{n}", g.name)
                    }
                })
                .collect(),
        )
    } else if a.verify_images.contains_key(name) {
        Some(with_autogen(name.as_str()))
    } else {
        None
    }
}

/// An exception waiving admission items → `kyverno.io/v2` PolicyException; `None` when it
/// waives none.
pub fn policy_exception(p: &Posture, e: &ir::system::Exception) -> Option<PolicyException> {
    let exceptions: Vec<ExceptionEntry> = crate::waived(e)
        .into_iter()
        .filter_map(|n| {
            rule_names(p, n).map(|rule_names| ExceptionEntry {
                policy_name: n.0.to_string(),
                rule_names,
            })
        })
        .collect();
    if exceptions.is_empty() {
        return None;
    }
    let kinds: Vec<String> = kinds::POD_AND_CONTROLLERS
        .iter()
        .map(|k| k.to_string())
        .collect();
    let ws: Vec<_> = e
        .scope
        .workloads
        .iter()
        .filter_map(|n| p.workloads.get(n))
        .filter(|w| e.scope.namespaces.is_empty() || e.scope.namespaces.contains(&w.namespace))
        .collect();
    if !scope::workloads_declared(p, e) {
        return None;
    }
    let any: Vec<ResourceFilter> = if e.scope.workloads.is_empty() {
        vec![ResourceFilter {
            resources: ResourceDescription {
                kinds: kinds.clone(),
                operations: Vec::new(),
                namespaces: names(&e.scope.namespaces),
                selector: None,
            },
        }]
    } else {
        ws.iter()
            .map(|w| workload_filter(w, kinds.clone()))
            .collect()
    };
    if any.is_empty() {
        return None;
    }
    // A condition this back end cannot express exactly waives nothing here; `refusals`
    // reports it (P3012) and the build writes nothing.
    let conditions = match &e.scope.condition {
        Some(c) => Some(conditions(c).ok()?),
        None => None,
    };
    let mut metadata = exception_metadata(e);
    metadata
        .labels
        .insert(TTL_LABEL.into(), crate::day_after(e.expires).to_string());
    Some(PolicyException {
        api_version: EXCEPTION_API_VERSION,
        kind: "PolicyException",
        metadata,
        spec: PolicyExceptionSpec {
            conditions,
            exceptions,
            match_: MatchResources { any },
        },
    })
}

/// What this back end refuses to write: an exception whose `condition` has no exact
/// translation to PolicyException conditions (P3012), spanned at the condition.
pub fn refusals(p: &Posture) -> Vec<diagnostics::Diagnostic> {
    let mut out = Vec::new();
    for e in p.exceptions.values() {
        let waives_admission = crate::waived(e)
            .into_iter()
            .any(|n| rule_names(p, n).is_some());
        let (Some(c), true) = (&e.scope.condition, waives_admission) else {
            continue;
        };
        if let Err(why) = conditions(c) {
            out.push(
                diagnostics::Diagnostic::spanned(
                    &diagnostics::codes::admission::P3012,
                    c.span,
                    format!(
                        "the condition of exception `{}` cannot be written as ClusterPolicy PolicyException conditions: {why}",
                        e.name
                    ),
                )
                .with_help("use `==`, `!=`, `in` on string fields of `object` with string literals, joined by `&&` (and one `||` group), or target Kyverno 1.17+ (CEL policies)"),
            );
        }
    }
    out
}

/// The exception's checked CEL condition as PolicyException `conditions`: `&&` of clauses
/// (`all`) and at most one `||` group of clauses (`any`). Every clause compares a string field
/// of the object with string literals; anything else is an error saying why.
pub fn conditions(c: &ir::Expr) -> Result<Conditions, String> {
    let e = cel::parse(&c.text).map_err(|_| "it does not parse".to_string())?;
    let mut out = Conditions::default();
    for conjunct in flatten(&e, cel::BinaryOp::And) {
        let disjuncts = flatten(conjunct, cel::BinaryOp::Or);
        if disjuncts.len() == 1 {
            out.all.push(clause(conjunct, false)?);
        } else if out.any.is_empty() {
            out.any = disjuncts
                .into_iter()
                .map(|d| clause(d, false))
                .collect::<Result<_, _>>()?;
        } else {
            return Err("it has more than one `||` group".into());
        }
    }
    Ok(out)
}

/// `a op b op c` → `[a, b, c]`.
fn flatten(e: &cel::Expr, op: cel::BinaryOp) -> Vec<&cel::Expr> {
    match &e.kind {
        cel::ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
            let mut v = flatten(lhs, op);
            v.extend(flatten(rhs, op));
            v
        }
        _ => vec![e],
    }
}

/// One comparison, negated when under `!`.
fn clause(e: &cel::Expr, negated: bool) -> Result<Condition, String> {
    use ConditionOperator::*;
    use cel::{BinaryOp as B, ExprKind as K};
    match &e.kind {
        K::Unary {
            op: cel::UnaryOp::Not,
            operand,
        } => clause(operand, !negated),
        K::Binary {
            op: op @ (B::Eq | B::Ne),
            lhs,
            rhs,
        } => {
            let (key, value) = match (variable(lhs), variable(rhs)) {
                (Ok(k), _) => (k, literal(rhs)?),
                (Err(_), Ok(k)) => (k, literal(lhs)?),
                (Err(why), Err(_)) => return Err(why),
            };
            let equals = (*op == B::Eq) != negated;
            Ok(Condition {
                key,
                operator: if equals { Equals } else { NotEquals },
                value: ConditionValue::One(value),
            })
        }
        K::Binary {
            op: B::In,
            lhs,
            rhs,
        } => {
            let key = variable(lhs)?;
            let K::List(items) = &rhs.kind else {
                return Err("`in` takes a list of string literals here".into());
            };
            let values = items.iter().map(literal).collect::<Result<Vec<_>, _>>()?;
            Ok(Condition {
                key,
                operator: if negated { AnyNotIn } else { AnyIn },
                value: ConditionValue::Many(values),
            })
        }
        K::Binary { op, .. } => Err(format!("`{}` is not translated", op.symbol())),
        K::Call { function, .. } => Err(format!("`{function}` is not translated")),
        K::Comprehension { kind, .. } => Err(format!("`{}` is not translated", kind.name())),
        K::Has(_) => Err("`has` is not translated".into()),
        K::Ternary { .. } => Err("`? :` is not translated".into()),
        _ => Err(format!("`{}` is not a comparison", cel::print(e))),
    }
}

/// A field path from `object`, closed with `.orValue('')` where it may be absent.
fn variable(e: &cel::Expr) -> Result<Variable, String> {
    use cel::ExprKind as K;
    let (path, optional) = match &e.kind {
        K::Call {
            target: Some(t),
            function,
            args,
        } if function == "orValue" => {
            match args.as_slice() {
                [
                    cel::Expr {
                        kind: cel::ExprKind::Lit(cel::Lit::String(d)),
                        ..
                    },
                ] if d.is_empty() => {}
                _ => return Err("a default other than `''` is not translated".into()),
            }
            let (path, optional) = field_path(t)?;
            if !optional {
                return Err(format!("`{}` is always present", cel::print(t)));
            }
            (path, true)
        }
        _ => {
            let (path, optional) = field_path(e)?;
            if optional {
                return Err(format!("`{}` is not closed", cel::print(e)));
            }
            (path, false)
        }
    };
    if path.is_empty() {
        return Err("a comparison of `object` itself is not translated".into());
    }
    Ok(Variable {
        path,
        or_empty: optional,
    })
}

/// `object.a.?b[?'c']` → (`[a, b, c]`, optional).
fn field_path(e: &cel::Expr) -> Result<(Vec<String>, bool), String> {
    use cel::ExprKind as K;
    match &e.kind {
        K::Ident(n) if n == "object" => Ok((Vec::new(), false)),
        K::Select {
            operand,
            field,
            optional,
        } => {
            let (mut p, o) = field_path(operand)?;
            p.push(field.clone());
            Ok((p, o || *optional))
        }
        K::Index {
            operand,
            index,
            optional,
        } => {
            let K::Lit(cel::Lit::String(k)) = &index.kind else {
                return Err("an index other than a string literal is not translated".into());
            };
            let (mut p, o) = field_path(operand)?;
            p.push(k.clone());
            Ok((p, o || *optional))
        }
        _ => Err(format!(
            "`{}` is not a field path of `object`",
            cel::print(e)
        )),
    }
}

/// A string literal that Kyverno compares as it is: no wildcard (`*`, `?`), no variable
/// (`{{`), and nothing it would read as a quantity or a duration (a leading digit, sign or
/// dot).
fn literal(e: &cel::Expr) -> Result<String, String> {
    let cel::ExprKind::Lit(cel::Lit::String(v)) = &e.kind else {
        return Err(format!("`{}` is not a string literal", cel::print(e)));
    };
    if v.contains(['*', '?']) {
        return Err(format!(
            "{v:?} has `*` or `?`, which Kyverno matches as wildcards"
        ));
    }
    if v.contains("{{") {
        return Err(format!(
            "{v:?} has `{{{{`, which Kyverno reads as a variable"
        ));
    }
    if v.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return Err(format!(
            "{v:?} may read as a quantity or duration, which Kyverno compares by value"
        ));
    }
    Ok(v.clone())
}
