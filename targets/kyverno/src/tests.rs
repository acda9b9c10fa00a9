//! Lowering tests on a hand-built posture: snapshots of every emitted file in both back ends
//! (stability), structural checks (autogen, scope, exceptions), and that every CEL expression
//! this target built parses back. `kyverno_cli_smoke` runs the real Kyverno CLI: it needs
//! `POSTURE_TOOL_KYVERNO`, which `cargo xtask test` sets (without it the test fails, it never
//! skips).

use super::*;
use ir::admission::*;
use ir::network::{BuiltinPeer, Workload};
use ir::system::{Categorization, Exception, Impact, Scope, System, Target};
use ir::{Action, Date, ImageGlob, LabelKey, LabelValue, Labels, Url};
use ir::{Block, ItemId};
use std::collections::{BTreeMap, BTreeSet};

fn span() -> ir::Span {
    ir::Span::new(diagnostics::FileId(0), 0, 0)
}

fn meta(doc: Option<&str>, satisfies: &[&str]) -> Meta {
    let mut m = Meta::new(span());
    m.doc = doc.map(str::to_string);
    m.satisfies = satisfies
        .iter()
        .map(|s| s.parse().expect("control id"))
        .collect();
    m
}

fn name(s: &str) -> Name {
    Name::new(s)
}

fn labels(entries: &[(&str, &str)]) -> Labels {
    entries
        .iter()
        .map(|(k, v)| (LabelKey(k.to_string()), LabelValue(v.to_string())))
        .collect()
}

fn cel(text: &str) -> Cel {
    Cel {
        text: text.to_string(),
        span: span(),
    }
}

/// A posture with one item of every admission kind, scoped every way, and two exceptions.
fn posture(kyverno: Option<Version>) -> Posture {
    let mut workloads = BTreeMap::new();
    workloads.insert(
        name("profiler"),
        Workload {
            name: name("profiler"),
            namespace: name("optimal-system"),
            selector: labels(&[("app", "optimal-profiler")]),
            ports: BTreeMap::new(),
            processes: Vec::new(),
            meta: meta(None, &[]),
        },
    );
    let mut admission = Admission::default();
    admission.validate.insert(
        name("require-run-as-non-root"),
        Validate {
            name: name("require-run-as-non-root"),
            title: Some("Require runAsNonRoot".into()),
            category: Some("Pod Security Standards (Restricted)".into()),
            severity: Severity::Medium,
            action: Action::Enforce,
            matches: Match {
                kinds: vec![ResourceKind::Pods],
                namespaces: Vec::new(),
                exclude_namespaces: vec![name("kube-system")],
                exclude_workloads: Vec::new(),
            },
            variables: vec![CelVariable {
                name: "containers".into(),
                expression: cel(
                    "object.spec.containers + object.spec.?initContainers.orValue([])",
                ),
            }],
            checks: vec![cel(
                "variables.containers.all(c, c.?securityContext.?runAsNonRoot.orValue(false) == true)",
            )],
            message: "running as root is not allowed".into(),
            pod_security_control: None,
            meta: {
                let mut m = meta(Some("Containers must run as a non-root user."), &["AC-6"]);
                m.bundle = Some("pod_security.restricted".into());
                m
            },
        },
    );
    admission.validate.insert(
        name("require-team-label"),
        Validate {
            name: name("require-team-label"),
            title: None,
            category: None,
            severity: Severity::High,
            action: Action::Audit,
            matches: Match {
                kinds: vec![ResourceKind::Pods],
                namespaces: vec![name("optimal-system")],
                exclude_namespaces: Vec::new(),
                exclude_workloads: vec![name("profiler")],
            },
            variables: Vec::new(),
            checks: vec![
                cel("has(object.metadata.labels)"),
                cel("'team' in object.metadata.labels"),
            ],
            message: "every pod needs a team label".into(),
            pod_security_control: None,
            meta: meta(None, &["CM-8"]),
        },
    );
    admission.mutate.insert(
        name("add-default-labels"),
        Mutate {
            name: name("add-default-labels"),
            matches: Match {
                kinds: vec![
                    ResourceKind::Pods,
                    ResourceKind::Services,
                    ResourceKind::ConfigMaps,
                ],
                ..Match::default()
            },
            labels: labels(&[("optimal.io/managed-by", "posture"), ("foo", "bar")]),
            annotations: labels(&[("example.org/owner", "platform")]),
            meta: meta(
                Some("Every workload carries the platform's labels."),
                &["CM-8"],
            ),
        },
    );
    admission.generate.insert(
        name("namespace-default-deny"),
        Generate {
            name: name("namespace-default-deny"),
            trigger: GenerateTrigger::NewNamespaces,
            allow_dns: true,
            exclude_namespaces: vec![name("kube-system")],
            synchronize: true,
            meta: meta(Some("New namespaces start closed."), &["SC-7", "SC-7(5)"]),
        },
    );
    admission.verify_images.insert(
        name("signed-images"),
        VerifyImages {
            name: name("signed-images"),
            images: vec![ImageGlob("registry.optimal.io/*".into())],
            attestors: vec![
                Attestor::Keyless {
                    issuer: Url("https://token.actions.githubusercontent.com".into()),
                    subject: "https://github.com/optimal/*".into(),
                    rekor: Some(Url("https://rekor.sigstore.dev".into())),
                },
                Attestor::Keys {
                    public_keys: vec![
                        "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n".into(),
                    ],
                },
            ],
            require_digest: true,
            action: Action::Enforce,
            meta: meta(None, &["SI-7"]),
        },
    );
    let mut exceptions = BTreeMap::new();
    exceptions.insert(
        name("profiler-root"),
        Exception {
            name: name("profiler-root"),
            waive: vec![
                ItemId {
                    block: Block::Admission,
                    name: name("require-run-as-non-root"),
                },
                ItemId {
                    block: Block::Runtime,
                    name: name("container-escape-ptrace"),
                },
            ],
            scope: Scope {
                namespaces: vec![name("optimal-system")],
                workloads: vec![name("profiler")],
                condition: None,
            },
            owner: "platform-team@optimal.io".into(),
            ticket: Some("SEC-1234".into()),
            reason: Some("The profiler needs root until 2.0.".into()),
            expires: Date {
                year: 2027,
                month: 1,
                day: 31,
            },
            meta: meta(None, &[]),
        },
    );
    exceptions.insert(
        name("runtime-only"),
        Exception {
            name: name("runtime-only"),
            waive: vec![ItemId {
                block: Block::Runtime,
                name: name("x"),
            }],
            scope: Scope::default(),
            owner: "o".into(),
            ticket: None,
            reason: None,
            expires: Date {
                year: 2027,
                month: 12,
                day: 31,
            },
            meta: meta(None, &[]),
        },
    );
    Posture {
        system: System {
            name: name("t"),
            title: "T".into(),
            description: None,
            impact: Categorization {
                confidentiality: Impact::Low,
                integrity: Impact::Low,
                availability: Impact::Low,
            },
            frameworks: BTreeSet::new(),
            boundary: None,
            parties: Vec::new(),
            meta: meta(None, &[]),
        },
        target: Target {
            kubernetes: Version {
                major: 1,
                minor: 33,
            },
            kyverno,
            falco: None,
            keycloak: None,
            pod_cidrs: Vec::new(),
            service_cidrs: Vec::new(),
            ingress_controller: BuiltinPeer {
                namespace: name("ingress-nginx"),
                selector: labels(&[("app.kubernetes.io/name", "ingress-nginx")]),
            },
            cluster_dns: BuiltinPeer {
                namespace: name("kube-system"),
                selector: labels(&[("k8s-app", "kube-dns")]),
            },
            mesh_control_plane: BuiltinPeer {
                namespace: name("istio-system"),
                selector: labels(&[("app", "istiod")]),
            },
            kyverno_namespace: name("kyverno"),
            pod_security_version: None,
            default_pod_security: None,
            oidc: None,
            meta: meta(None, &[]),
        },
        namespaces: BTreeMap::new(),
        workloads,
        network: Default::default(),
        ingresses: BTreeMap::new(),
        mesh: None,
        admission,
        runtime: Default::default(),
        identity: Default::default(),
        secrets: Default::default(),
        audit: None,
        exceptions,
        controls: Default::default(),
    }
}

/// Every artifact as `# path` followed by its YAML.
fn render(artifacts: &[Artifact]) -> String {
    artifacts
        .iter()
        .map(|a| format!("# {}\n{}", a.path, String::from_utf8_lossy(&a.bytes)))
        .collect::<Vec<_>>()
        .join("---\n")
}

fn doc(artifacts: &[Artifact], path: &str) -> serde_json::Value {
    let a = artifacts
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("no {path}"));
    serde_saphyr::from_str(&String::from_utf8_lossy(&a.bytes)).expect("emitted YAML reads back")
}

#[test]
fn default_api_follows_the_kyverno_version() {
    let v = |major, minor| Version { major, minor };
    assert_eq!(default_api(None), Api::Cel);
    assert_eq!(default_api(Some(&v(1, 17))), Api::Cel);
    assert_eq!(default_api(Some(&v(1, 19))), Api::Cel);
    assert_eq!(default_api(Some(&v(1, 16))), Api::ClusterPolicy);
    assert_eq!(default_api(Some(&v(1, 12))), Api::ClusterPolicy);
}

#[test]
fn day_after_crosses_years_and_fails_closed_at_the_end() {
    // The calendar itself is `ir::Date`'s (tested there); this is the fallback.
    let d = |year, month, day| ir::Date { year, month, day };
    assert_eq!(day_after(d(2026, 12, 31)), d(2027, 1, 1));
    assert_eq!(day_after(d(2028, 2, 28)), d(2028, 2, 29));
    assert_eq!(day_after(d(9999, 12, 31)), d(9999, 12, 31));
}

#[test]
fn title_case_of_names() {
    assert_eq!(title_case("require-team-label"), "Require Team Label");
}

#[test]
fn cel_back_end_snapshot() {
    let out = emit(&posture(None), Api::Cel);
    insta::assert_snapshot!("cel", render(&out));
}

#[test]
fn clusterpolicy_back_end_snapshot() {
    let out = emit(&posture(None), Api::ClusterPolicy);
    insta::assert_snapshot!("clusterpolicy", render(&out));
}

#[test]
fn files_are_one_per_item_and_exception_sorted() {
    for api in [Api::Cel, Api::ClusterPolicy] {
        let out = emit(&posture(None), api);
        let paths: Vec<&str> = out.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "kyverno/add-default-labels.yaml",
                "kyverno/exceptions/profiler-root.yaml",
                "kyverno/namespace-default-deny.yaml",
                "kyverno/require-run-as-non-root.yaml",
                "kyverno/require-team-label.yaml",
                "kyverno/signed-images.yaml",
            ],
            "{api:?}"
        );
        assert!(out.iter().all(|a| a.applyable && !a.origins.is_empty()));
        assert_eq!(out, emit(&posture(None), api), "deterministic");
    }
}

#[test]
fn annotations_of_every_policy() {
    for api in [Api::Cel, Api::ClusterPolicy] {
        let out = emit(&posture(None), api);
        for a in out.iter().filter(|a| !a.path.contains("/exceptions/")) {
            let d = doc(&out, &a.path);
            let ann = &d["metadata"]["annotations"];
            for k in [
                "policies.kyverno.io/title",
                "policies.kyverno.io/category",
                "policies.kyverno.io/severity",
                "policies.kyverno.io/subject",
                "policies.kyverno.io/description",
                "posture.dev/controls",
                "posture.dev/source",
            ] {
                assert!(ann[k].is_string(), "{} lacks {k}", a.path);
            }
        }
        let d = doc(&out, "kyverno/require-run-as-non-root.yaml");
        let ann = &d["metadata"]["annotations"];
        assert_eq!(ann["policies.kyverno.io/subject"], "Pod");
        assert_eq!(ann["posture.dev/controls"], "AC-6");
        assert_eq!(
            ann["posture.dev/source"],
            "admission.require-run-as-non-root"
        );
    }
}

/// Every expression in the CEL slots of a document (matchConditions, celPreconditions,
/// mutations, generate, variables, validations).
fn expressions(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("expression", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => expressions(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| expressions(x, out)),
        _ => {}
    }
}

#[test]
fn every_expression_parses_as_cel() {
    for api in [Api::Cel, Api::ClusterPolicy] {
        let out = emit(&posture(None), api);
        let mut all = Vec::new();
        for a in &out {
            expressions(&doc(&out, &a.path), &mut all);
        }
        assert!(all.len() > 3);
        for e in all {
            assert!(cel::parse(&e).is_ok(), "{api:?}: does not parse: {e}");
        }
    }
}

#[test]
fn cel_pod_policies_autogen_for_all_six_controllers() {
    let out = emit(&posture(None), Api::Cel);
    for path in [
        "kyverno/require-run-as-non-root.yaml",
        "kyverno/signed-images.yaml",
    ] {
        let d = doc(&out, path);
        assert_eq!(
            d["spec"]["autogen"]["podControllers"]["controllers"],
            serde_json::json!([
                "cronjobs",
                "daemonsets",
                "deployments",
                "jobs",
                "replicasets",
                "statefulsets"
            ]),
            "{path}"
        );
        // A selector would turn autogen off: scope is in matchConditions.
        assert!(d["spec"]["matchConstraints"]["namespaceSelector"].is_null());
    }
    let d = doc(&out, "kyverno/require-team-label.yaml");
    assert_eq!(d["spec"]["validationActions"], serde_json::json!(["Audit"]));
    let conds = d["spec"]["matchConditions"].as_array().expect("conditions");
    assert_eq!(
        conds[0]["expression"],
        "request.namespace in ['optimal-system']"
    );
    assert!(
        conds[1]["expression"]
            .as_str()
            .is_some_and(|e| e.starts_with("!(request.namespace == 'optimal-system'"))
    );
}

#[test]
fn exceptions_in_both_back_ends() {
    let p = posture(None);
    let d = doc(&emit(&p, Api::Cel), "kyverno/exceptions/profiler-root.yaml");
    assert_eq!(d["apiVersion"], "policies.kyverno.io/v1");
    assert_eq!(d["spec"]["expiresAt"], "2027-02-01T00:00:00Z");
    assert_eq!(
        d["spec"]["policyRefs"],
        serde_json::json!([{"name": "require-run-as-non-root", "kind": "ValidatingPolicy"}])
    );
    assert_eq!(d["spec"]["properties"]["ticket"], "SEC-1234");

    let d = doc(
        &emit(&p, Api::ClusterPolicy),
        "kyverno/exceptions/profiler-root.yaml",
    );
    assert_eq!(d["apiVersion"], "kyverno.io/v2");
    assert_eq!(
        d["metadata"]["labels"]["cleanup.kyverno.io/ttl"],
        "2027-02-01"
    );
    assert_eq!(
        d["metadata"]["annotations"]["posture.dev/expires"],
        "2027-01-31"
    );
    assert_eq!(
        d["spec"]["exceptions"][0]["ruleNames"],
        serde_json::json!([
            "require-run-as-non-root",
            "autogen-require-run-as-non-root",
            "autogen-cronjob-require-run-as-non-root"
        ])
    );
    assert_eq!(
        d["spec"]["match"]["any"][0]["resources"]["selector"]["matchLabels"]["app"],
        "optimal-profiler"
    );
}

#[test]
fn autogen_rule_names_are_cut_like_kyverno() {
    let long = "a".repeat(60);
    assert_eq!(
        clusterpolicy::autogen_name("autogen-cronjob", &long).len(),
        63
    );
}

#[test]
fn clusterpolicy_validate_has_one_rule_with_rule_level_failure_action() {
    let out = emit(&posture(None), Api::ClusterPolicy);
    let d = doc(&out, "kyverno/require-team-label.yaml");
    let rules = d["spec"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["name"], "require-team-label");
    assert_eq!(rules[0]["validate"]["failureAction"], "Audit");
    assert!(d["spec"]["validationFailureAction"].is_null());
    assert_eq!(d["spec"]["background"], true);
    // Excluded workloads are a CEL precondition, so autogen stays on.
    assert_eq!(rules[0]["celPreconditions"][0]["name"], "exclude-workloads");
    assert!(rules[0]["exclude"].is_null());
}

/// The Kyverno CLI from `POSTURE_TOOL_KYVERNO`.
fn kyverno_cli() -> std::path::PathBuf {
    match std::env::var_os("POSTURE_TOOL_KYVERNO") {
        Some(v) if !v.is_empty() => v.into(),
        _ => panic!(
            "POSTURE_TOOL_KYVERNO is not set: point it at the Kyverno CLI v1.19.0 \
             (~/.cache/posture/tools/kyverno-v1.19.0/kyverno), or run through `cargo xtask test`"
        ),
    }
}

const SMOKE_RESOURCES: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: teamed, namespace: optimal-system, labels: {team: a}}
spec:
  containers: [{name: c, image: nginx:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: untagged, namespace: optimal-system, labels: {app: other}}
spec:
  containers: [{name: c, image: nginx:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: profiler, namespace: optimal-system, labels: {app: optimal-profiler}}
spec:
  containers: [{name: c, image: nginx:1.0}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: optimal-system}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx:1.0}]
---
apiVersion: v1
kind: Pod
metadata: {name: elsewhere, namespace: default}
spec:
  containers: [{name: c, image: nginx:1.0}]
";

/// `kyverno apply` of one emitted policy on the smoke resources; (pass, fail, skip).
fn apply(
    cli: &std::path::Path,
    dir: &std::path::Path,
    policy: &Artifact,
    exception: Option<&Artifact>,
) -> (u32, u32, u32) {
    let policy_path = dir.join("policy.yaml");
    let resources = dir.join("resources.yaml");
    std::fs::write(&policy_path, &policy.bytes).expect("write policy");
    std::fs::write(&resources, SMOKE_RESOURCES).expect("write resources");
    let mut cmd = std::process::Command::new(cli);
    cmd.arg("apply")
        .arg(&policy_path)
        .arg("--resource")
        .arg(&resources);
    if let Some(e) = exception {
        let path = dir.join("exception.yaml");
        std::fs::write(&path, &e.bytes).expect("write exception");
        cmd.arg("--exception").arg(path);
    }
    let out = cmd.output().expect("run kyverno");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("pass:"))
        .unwrap_or_else(|| panic!("no summary from kyverno:\n{text}"));
    let num = |key: &str| -> u32 {
        line.split(',')
            .find_map(|part| part.trim().strip_prefix(key))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{key}` in {line}"))
    };
    (num("pass:"), num("fail:"), num("skip:"))
}

#[test]
fn kyverno_cli_smoke() {
    let cli = kyverno_cli();
    let dir = std::env::temp_dir().join(format!("posture-kyverno-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for api in [Api::Cel, Api::ClusterPolicy] {
        let out = emit(&posture(None), api);
        let team = out
            .iter()
            .find(|a| a.path == "kyverno/require-team-label.yaml")
            .expect("policy");
        // teamed passes; untagged and the Deployment (through autogen) fail; the profiler
        // (excluded workload) is skipped; `elsewhere` is outside the namespaces.
        let (pass, fail, _) = apply(&cli, &dir, team, None);
        assert_eq!((pass, fail), (1, 2), "{api:?}");

        // No pod sets runAsNonRoot: all fail but the profiler, which the exception waives.
        let find = |path: &str| out.iter().find(|a| a.path == path).expect(path);
        let root = find("kyverno/require-run-as-non-root.yaml");
        let exception = find("kyverno/exceptions/profiler-root.yaml");
        let (pass, fail, _) = apply(&cli, &dir, root, None);
        assert_eq!((pass, fail), (0, 5), "{api:?} without the exception");
        let (pass, fail, skip) = apply(&cli, &dir, root, Some(exception));
        assert_eq!((pass, fail, skip), (0, 4, 1), "{api:?} with the exception");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn condition(text: &str) -> ir::Expr {
    ir::Expr {
        text: text.to_string(),
        span: span(),
    }
}

/// The ClusterPolicy back end translates its subset of exception conditions exactly.
#[test]
fn exception_conditions_translate() {
    use crate::model::legacy::{ConditionOperator::*, ConditionValue};
    let c = clusterpolicy::conditions(&condition(
        r#"object.metadata.?labels[?"app.kubernetes.io/name"].orValue("") == "legacy" && !(object.metadata.name in ["a", "b"]) && (object.metadata.?annotations[?"x"].orValue("") != "y" || "z" == object.metadata.name)"#,
    ))
    .expect("translates");
    assert_eq!(c.all.len(), 2);
    assert_eq!(
        c.all[0].key.to_string(),
        r#"{{ request.object."metadata"."labels"."app.kubernetes.io/name" || '' }}"#
    );
    assert_eq!(c.all[0].operator, Equals);
    assert_eq!(c.all[0].value, ConditionValue::One("legacy".into()));
    assert_eq!(c.all[1].operator, AnyNotIn);
    assert_eq!(
        c.all[1].key.to_string(),
        r#"{{ request.object."metadata"."name" }}"#
    );
    assert_eq!(c.any.len(), 2);
    assert_eq!(c.any[0].operator, NotEquals);
    assert_eq!(c.any[1].operator, Equals);
}

/// What has no exact clause is refused, never approximated.
#[test]
fn exception_conditions_refuse_the_rest() {
    for text in [
        r#"object.metadata.name.startsWith("legacy-")"#,
        r#"object.metadata.?labels[?"a"].orValue("x") == "x""#,
        r#"object.metadata.name == "legacy-*""#,
        r#"object.metadata.name == "{{ request.object }}""#,
        r#"object.metadata.name == "1000m""#,
        r#"(object.metadata.name == "a" || object.metadata.name == "b") && (object.metadata.name == "c" || object.metadata.name == "d")"#,
        r#"!(object.metadata.name == "a" && object.metadata.name == "b")"#,
        r#"object.spec.replicas.orValue(0) == 3"#,
        r#"has(object.metadata.labels)"#,
        r#"object.metadata.?labels[?"a"] == "b""#,
    ] {
        assert!(
            clusterpolicy::conditions(&condition(text)).is_err(),
            "{text} must be refused"
        );
    }
}
