//! The CEL back end: `policies.kyverno.io/v1` policy kinds (Kyverno ≥ 1.17).
//!
//! | IR | document |
//! | --- | --- |
//! | `validate` | ValidatingPolicy: `validations` (the checks, `true` = pass) and `variables`; `validationActions` Deny/Audit; background evaluation |
//! | `mutate` | MutatingPolicy: one ApplyConfiguration that sets each label/annotation to its current value, or the declared one when absent |
//! | `generate` | GeneratingPolicy on new Namespaces: `generator.Apply` of the NetworkPolicies of [`crate::generate`], synchronized |
//! | `verify_images` | ImageValidatingPolicy: cosign key or keyless attestors, `matchImageReferences`, digest settings |
//! | `exception` | PolicyException with `policyRefs`, `matchConditions` for the scope and `expiresAt` |
//!
//! Scope: namespaces and workloads are `matchConditions` built by [`crate::scope`], never a
//! `namespaceSelector`: Kyverno's autogen for pod controllers turns itself off when a policy
//! has a namespace or object selector, and `matchConditions` are carried into the rules autogen
//! derives. A Pod policy lists the six controllers in `autogen.podControllers` explicitly.

use crate::generate;
use crate::kinds::{self, AUTOGEN_CONTROLLERS};
use crate::model::policies::*;
use crate::scope;
use crate::{About, exception_metadata, policy_metadata};
use cel::Expr;
use emit::Artifact;
use ir::admission::{self, ResourceKind};
use ir::{Action, Posture};

/// Every file of the CEL back end.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    crate::files(
        p,
        &crate::Lowering {
            validate: validating_policy,
            mutate: mutating_policy,
            generate: generating_policy,
            verify_images: image_validating_policy,
            exception: policy_exception,
        },
    )
}

fn operations() -> Vec<Operation> {
    vec![Operation::Create, Operation::Update]
}

/// `resourceRules` for the kinds: one rule per API group and version, resources in order.
fn resource_rules(kinds: &[ResourceKind]) -> Vec<ResourceRule> {
    let mut rules: Vec<ResourceRule> = Vec::new();
    for k in kinds {
        let g = kinds::of(*k);
        match rules
            .iter_mut()
            .find(|r| r.api_groups[0] == g.group && r.api_versions[0] == g.version)
        {
            Some(r) => r.resources.push(g.resource.to_string()),
            None => rules.push(ResourceRule {
                api_groups: vec![g.group.to_string()],
                api_versions: vec![g.version.to_string()],
                operations: operations(),
                resources: vec![g.resource.to_string()],
            }),
        }
    }
    rules
}

fn match_constraints(kinds: &[ResourceKind]) -> MatchResources {
    MatchResources {
        namespace_selector: None,
        resource_rules: resource_rules(kinds),
    }
}

/// Autogen for every pod controller when the policy matches Pods alone (the only case Kyverno
/// derives rules for).
fn pod_autogen(kinds: &[ResourceKind]) -> Option<Autogen> {
    (kinds == [ResourceKind::Pods]).then(|| Autogen {
        pod_controllers: PodControllers {
            controllers: AUTOGEN_CONTROLLERS.iter().map(|c| c.to_string()).collect(),
        },
    })
}

fn condition(name: &str, e: &Expr) -> MatchCondition {
    MatchCondition {
        name: name.to_string(),
        expression: scope::print(e),
    }
}

/// The scope of a `match`: namespaces, excluded namespaces, excluded workloads.
fn match_conditions(p: &Posture, m: &admission::Match) -> Vec<MatchCondition> {
    let mut out = Vec::new();
    if !m.namespaces.is_empty() {
        out.push(condition(
            "namespaces",
            &scope::in_namespaces(&m.namespaces),
        ));
    }
    if !m.exclude_namespaces.is_empty() {
        out.push(condition(
            "exclude-namespaces",
            &scope::not_in_namespaces(&m.exclude_namespaces),
        ));
    }
    if let Some(w) = scope::any_workload(p, &m.exclude_workloads) {
        out.push(condition("exclude-workloads", &w.not()));
    }
    out
}

fn validation_actions(a: Action) -> Vec<ValidationAction> {
    vec![match a {
        Action::Enforce => ValidationAction::Deny,
        Action::Audit => ValidationAction::Audit,
    }]
}

/// `validate` → ValidatingPolicy.
pub fn validating_policy(p: &Posture, v: &admission::Validate) -> Document<ValidatingPolicySpec> {
    let about = About {
        name: &v.name,
        title: v.title.as_deref(),
        category: v.category.as_deref().unwrap_or("Posture"),
        severity: crate::severity(v.severity),
        subject: crate::subject(&v.matches.kinds),
        fallback_description: &v.message,
        meta: &v.meta,
    };
    Document {
        api_version: API_VERSION,
        kind: "ValidatingPolicy",
        metadata: policy_metadata(&about),
        spec: ValidatingPolicySpec {
            autogen: pod_autogen(&v.matches.kinds),
            evaluation: Evaluation {
                background: Some(Enabled { enabled: true }),
                synchronize: None,
            },
            match_conditions: match_conditions(p, &v.matches),
            match_constraints: match_constraints(&v.matches.kinds),
            validation_actions: validation_actions(v.action),
            validations: v
                .checks
                .iter()
                .map(|c| Validation {
                    expression: c.text.clone(),
                    message: Some(v.message.clone()),
                })
                .collect(),
            variables: v
                .variables
                .iter()
                .map(|x| Variable {
                    name: x.name.clone(),
                    expression: x.expression.text.clone(),
                })
                .collect(),
        },
    }
}

/// `metadata.labels` / `metadata.annotations` of `object`, optional.
fn current(map: &str) -> Expr {
    Expr::ident("object").field("metadata").opt_field(map)
}

/// `{"k": object.metadata.?labels[?"k"].orValue("v"), …}`: every key keeps its value when it
/// has one and gets the declared value otherwise.
fn add_if_absent(map: &str, entries: &ir::Labels) -> Expr {
    Expr::map(entries.iter().map(|(k, v)| {
        (
            Expr::string(k.0.clone()),
            current(map)
                .opt_index(Expr::string(k.0.clone()))
                .or_value(Expr::string(v.0.clone())),
        )
    }))
}

/// True when some declared key is missing: the mutation only runs then.
fn any_missing(map: &str, entries: &ir::Labels) -> Expr {
    Expr::any_of(entries.keys().map(|k| {
        current(map)
            .opt_index(Expr::string(k.0.clone()))
            .has_value()
            .not()
    }))
}

/// `mutate` → MutatingPolicy.
pub fn mutating_policy(p: &Posture, m: &admission::Mutate) -> Document<MutatingPolicySpec> {
    let about = About {
        name: &m.name,
        title: None,
        category: "Posture",
        severity: "medium",
        subject: crate::subject(&m.matches.kinds),
        fallback_description: "Adds labels and annotations that are missing.",
        meta: &m.meta,
    };
    let mut metadata_fields = Vec::new();
    let mut missing = Vec::new();
    for (field, entries) in [("labels", &m.labels), ("annotations", &m.annotations)] {
        if entries.is_empty() {
            continue;
        }
        metadata_fields.push((field, add_if_absent(field, entries)));
        missing.push(any_missing(field, entries));
    }
    let expression = Expr::message(
        "Object",
        [(
            "metadata",
            Expr::message("Object.metadata", metadata_fields),
        )],
    );
    let mut match_conditions = match_conditions(p, &m.matches);
    match_conditions.push(condition("missing", &Expr::any_of(missing)));
    Document {
        api_version: API_VERSION,
        kind: "MutatingPolicy",
        metadata: policy_metadata(&about),
        spec: MutatingPolicySpec {
            // The mutation is written for the object it matches; Pods are labelled when they
            // are created, whatever created them.
            autogen: (m.matches.kinds.contains(&ResourceKind::Pods)).then(|| Autogen {
                pod_controllers: PodControllers {
                    controllers: Vec::new(),
                },
            }),
            match_conditions,
            match_constraints: match_constraints(&m.matches.kinds),
            mutations: vec![Mutation {
                patch_type: PatchType::ApplyConfiguration,
                apply_configuration: Expression {
                    expression: cel::print(&expression),
                },
            }],
        },
    }
}

/// A JSON value as a CEL value: map values wrapped in `dyn(…)` so maps of mixed value types
/// type-check.
fn cel_value(v: &serde_json::Value) -> Expr {
    use serde_json::Value;
    match v {
        Value::Null => Expr::null(),
        Value::Bool(b) => Expr::bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Expr::int(i),
            None => Expr::double(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Expr::string(s.clone()),
        Value::Array(items) => Expr::list(items.iter().map(cel_value)),
        Value::Object(m) => Expr::map(
            m.iter()
                .map(|(k, v)| (Expr::string(k.clone()), Expr::global("dyn", [cel_value(v)]))),
        ),
    }
}

/// One downstream NetworkPolicy as a JSON value (apiVersion, kind, metadata.name, spec).
fn downstream(name: &str, spec: &crate::model::netpol::NetworkPolicySpec) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("apiVersion".into(), "networking.k8s.io/v1".into());
    m.insert("kind".into(), "NetworkPolicy".into());
    let mut meta = serde_json::Map::new();
    meta.insert("name".into(), name.into());
    m.insert("metadata".into(), meta.into());
    m.insert(
        "spec".into(),
        serde_json::to_value(spec).unwrap_or(serde_json::Value::Null),
    );
    m.into()
}

/// `generate` → GeneratingPolicy.
pub fn generating_policy(p: &Posture, g: &admission::Generate) -> Document<GeneratingPolicySpec> {
    let about = About {
        name: &g.name,
        title: None,
        category: "Multi-Tenancy",
        severity: "medium",
        subject: "Namespace, NetworkPolicy".to_string(),
        fallback_description: "Creates a default-deny NetworkPolicy in every new namespace.",
        meta: &g.meta,
    };
    let objects: Vec<Expr> = generate::network_policies(p, g)
        .iter()
        .map(|(n, s)| cel_value(&downstream(n, s)))
        .collect();
    // Never in the platform's own namespaces, and on new namespaces only: a policy that fired
    // on updates too would close the next namespace someone labels.
    let excluded = g.excluded_namespaces(&p.target);
    let mut match_conditions = Vec::new();
    if !excluded.is_empty() {
        match_conditions.push(condition(
            "exclude-namespaces",
            &scope::namespace_object_not_in(&excluded),
        ));
    }
    let mut match_constraints = match_constraints(&[ResourceKind::Namespaces]);
    for r in &mut match_constraints.resource_rules {
        r.operations = vec![Operation::Create];
    }
    let apply = Expr::ident("generator").call(
        "Apply",
        [
            Expr::ident("variables").field("namespace"),
            Expr::ident("variables").field("downstream"),
        ],
    );
    Document {
        api_version: API_VERSION,
        kind: "GeneratingPolicy",
        metadata: policy_metadata(&about),
        spec: GeneratingPolicySpec {
            evaluation: Evaluation {
                background: None,
                synchronize: Some(Enabled {
                    enabled: g.synchronize,
                }),
            },
            generate: vec![Expression {
                expression: cel::print(&apply),
            }],
            match_conditions,
            match_constraints,
            variables: vec![
                Variable {
                    name: "namespace".into(),
                    expression: cel::print(&scope::object_name()),
                },
                Variable {
                    name: "downstream".into(),
                    expression: cel::print(&Expr::list(objects)),
                },
            ],
        },
    }
}

/// `https://github.com/optimal/*` → `^https://github\.com/optimal/.*$`.
fn glob_regexp(glob: &str) -> String {
    let mut out = String::from("^");
    for c in glob.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if "\\.+()[]{}|^$".contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('$');
    out
}

/// `verify_images` → ImageValidatingPolicy.
pub fn image_validating_policy(i: &admission::VerifyImages) -> Document<ImageValidatingPolicySpec> {
    let about = About {
        name: &i.name,
        title: None,
        category: "Software Supply Chain Security",
        severity: "high",
        subject: "Pod".to_string(),
        fallback_description: "Verifies image signatures.",
        meta: &i.meta,
    };
    let mut attestors = Vec::new();
    for a in &i.attestors {
        match a {
            admission::Attestor::Keys { public_keys } => {
                for k in public_keys {
                    attestors.push(Attestor {
                        name: format!("key{}", attestors.len()),
                        cosign: Cosign {
                            key: Some(CosignKey { data: k.clone() }),
                            ..Cosign::default()
                        },
                    });
                }
            }
            admission::Attestor::Keyless {
                issuer,
                subject,
                rekor,
            } => {
                let identity = if subject.contains(['*', '?']) {
                    Identity {
                        issuer: Some(issuer.0.clone()),
                        subject_reg_exp: Some(glob_regexp(subject)),
                        ..Identity::default()
                    }
                } else {
                    Identity {
                        issuer: Some(issuer.0.clone()),
                        subject: Some(subject.clone()),
                        ..Identity::default()
                    }
                };
                attestors.push(Attestor {
                    name: format!("keyless{}", attestors.len()),
                    cosign: Cosign {
                        ctlog: rekor.as_ref().map(|u| Ctlog { url: u.0.clone() }),
                        keyless: Some(Keyless {
                            identities: vec![identity],
                        }),
                        ..Cosign::default()
                    },
                });
            }
        }
    }
    // Every image of every kind of container is signed by at least one attestor.
    let refs = Expr::list(
        attestors
            .iter()
            .map(|a| Expr::ident("attestors").field(a.name.clone())),
    );
    let verified = |list: &str| {
        Expr::ident("images")
            .opt_field(list)
            .or_value(Expr::list([]))
            .all(
                "image",
                Expr::global(
                    "verifyImageSignatures",
                    [Expr::ident("image"), refs.clone()],
                )
                .gt(Expr::int(0)),
            )
    };
    let expression = Expr::all_of(
        ["containers", "initContainers", "ephemeralContainers"]
            .into_iter()
            .map(verified),
    );
    Document {
        api_version: API_VERSION,
        kind: "ImageValidatingPolicy",
        metadata: policy_metadata(&about),
        spec: ImageValidatingPolicySpec {
            attestors,
            autogen: pod_autogen(&[ResourceKind::Pods]),
            evaluation: Evaluation {
                background: Some(Enabled { enabled: true }),
                synchronize: None,
            },
            match_conditions: Vec::new(),
            match_constraints: match_constraints(&[ResourceKind::Pods]),
            match_image_references: i
                .images
                .iter()
                .map(|g| ImageReference { glob: g.0.clone() })
                .collect(),
            validation_actions: validation_actions(i.action),
            validation_configurations: ValidationConfigurations {
                mutate_digest: i.require_digest,
                required: true,
                verify_digest: i.require_digest,
            },
            validations: vec![Validation {
                expression: cel::print(&expression),
                message: Some(format!(
                    "images matching {} must be signed by a trusted attestor",
                    i.images
                        .iter()
                        .map(|g| g.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }],
        },
    }
}

/// The policy kind of an admission item, when it exists.
fn policy_kind(p: &Posture, name: &ir::Name) -> Option<&'static str> {
    let a = &p.admission;
    if a.validate.contains_key(name) {
        Some("ValidatingPolicy")
    } else if a.mutate.contains_key(name) {
        Some("MutatingPolicy")
    } else if a.generate.contains_key(name) {
        Some("GeneratingPolicy")
    } else if a.verify_images.contains_key(name) {
        Some("ImageValidatingPolicy")
    } else {
        None
    }
}

/// An exception waiving admission items → PolicyException; `None` when it waives none.
pub fn policy_exception(
    p: &Posture,
    e: &ir::system::Exception,
) -> Option<Document<PolicyExceptionSpec>> {
    let policy_refs: Vec<PolicyRef> = crate::waived(e)
        .into_iter()
        .filter_map(|n| {
            policy_kind(p, n).map(|kind| PolicyRef {
                name: n.0.to_string(),
                kind,
            })
        })
        .collect();
    if policy_refs.is_empty() {
        return None;
    }
    let mut match_conditions = Vec::new();
    if !e.scope.namespaces.is_empty() {
        match_conditions.push(condition(
            "namespaces",
            &scope::in_namespaces(&e.scope.namespaces),
        ));
    }
    if !e.scope.workloads.is_empty() {
        if !scope::workloads_declared(p, e) {
            return None;
        }
        match_conditions.push(condition(
            "workloads",
            &scope::any_workload(p, &e.scope.workloads)?,
        ));
    }
    if let Some(c) = &e.scope.condition {
        match_conditions.push(MatchCondition {
            name: "condition".into(),
            expression: c.text.clone(),
        });
    }
    let mut properties = std::collections::BTreeMap::new();
    properties.insert("owner".to_string(), e.owner.clone());
    if let Some(t) = &e.ticket {
        properties.insert("ticket".to_string(), t.clone());
    }
    if let Some(r) = &e.reason {
        properties.insert("reason".to_string(), r.clone());
    }
    Some(Document {
        api_version: API_VERSION,
        kind: "PolicyException",
        metadata: exception_metadata(e),
        spec: PolicyExceptionSpec {
            expires_at: format!("{}T00:00:00Z", crate::day_after(e.expires)),
            match_conditions,
            policy_refs,
            properties,
        },
    })
}
