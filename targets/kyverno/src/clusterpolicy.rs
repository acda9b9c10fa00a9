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
    ns.iter().map(|n| n.0.clone()).collect()
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
            namespaces: vec![w.namespace.0.clone()],
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
        name: name.0.clone(),
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
    let rules: Vec<Rule> = generate::network_policies(p, g)
        .into_iter()
        .enumerate()
        .map(|(i, (name, spec))| {
            // The first rule is named like the policy; the DNS one after its object.
            let rule_name = if i == 0 {
                g.name.clone()
            } else {
                Name(format!("{}-{name}", g.name))
            };
            let mut r = rule(&rule_name, match_(&matches));
            if !g.exclude_namespaces.is_empty() {
                // A Namespace is excluded by its name.
                r.exclude = Some(MatchResources {
                    any: vec![ResourceFilter {
                        resources: ResourceDescription {
                            kinds: vec!["Namespace".into()],
                            namespaces: Vec::new(),
                            selector: Some(LabelSelector {
                                match_labels: Default::default(),
                                match_expressions: vec![crate::model::LabelSelectorRequirement {
                                    key: generate::NAMESPACE_NAME_LABEL.into(),
                                    operator: crate::model::SelectorOperator::In,
                                    values: names(&g.exclude_namespaces),
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
            vec![name.0.clone()]
        })
    } else if let Some(m) = a.mutate.get(name) {
        Some(
            if pods_only(&m.matches.kinds) && m.matches.exclude_workloads.is_empty() {
                with_autogen(name.as_str())
            } else {
                vec![name.0.clone()]
            },
        )
    } else if let Some(g) = a.generate.get(name) {
        Some(
            generate::network_policies(p, g)
                .into_iter()
                .enumerate()
                .map(|(i, (n, _))| {
                    if i == 0 {
                        g.name.0.clone()
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
                policy_name: n.0.clone(),
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
    let any: Vec<ResourceFilter> = if e.scope.workloads.is_empty() {
        vec![ResourceFilter {
            resources: ResourceDescription {
                kinds: kinds.clone(),
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
    let mut metadata = exception_metadata(e);
    metadata
        .labels
        .insert(TTL_LABEL.into(), crate::day_after(e.expires).to_string());
    Some(PolicyException {
        api_version: EXCEPTION_API_VERSION,
        kind: "PolicyException",
        metadata,
        spec: PolicyExceptionSpec {
            exceptions,
            match_: MatchResources { any },
        },
    })
}
