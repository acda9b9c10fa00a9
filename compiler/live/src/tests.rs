use crate::bundle::Gvk;
use crate::drift::{compare, other_managers};
use crate::verify::policy_ready;
use crate::{ApplySet, Phase};
use serde_json::json;

fn gvk(group: &str, kind: &str) -> Gvk {
    Gvk {
        group: group.to_string(),
        version: "v1".to_string(),
        kind: kind.to_string(),
    }
}

#[test]
fn applyset_id_follows_kep_3659() {
    // base64url(sha256("posture-optimal-platform.kube-system.ConfigMap.")), no padding.
    let set = ApplySet::of_system("optimal-platform");
    assert_eq!(set.parent, "posture-optimal-platform");
    assert!(set.id.starts_with("applyset-") && set.id.ends_with("-v1"));
    let hash = &set.id["applyset-".len()..set.id.len() - "-v1".len()];
    assert_eq!(hash.len(), 43, "{hash}");
    assert!(!hash.contains('=') && !hash.contains('+') && !hash.contains('/'));
    // A label value: at most 63 characters.
    assert!(set.id.len() <= 63);
    assert_ne!(set.id, ApplySet::of_system("other-platform").id);
}

#[test]
fn phases_put_allow_policies_before_default_deny() {
    let deny = json!({"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}});
    let allow = json!({"spec": {"podSelector": {}, "egress": [{"to": []}]}});
    let np = gvk("networking.k8s.io", "NetworkPolicy");
    assert_eq!(Phase::of(&np, &deny), Phase::NetworkDeny);
    assert_eq!(Phase::of(&np, &allow), Phase::NetworkAllow);
    assert!(Phase::NetworkAllow < Phase::NetworkDeny);
    let n = json!({});
    assert_eq!(Phase::of(&gvk("", "Namespace"), &n), Phase::Namespaces);
    assert_eq!(
        Phase::of(&gvk("rbac.authorization.k8s.io", "ClusterRole"), &n),
        Phase::Rbac
    );
    assert_eq!(
        Phase::of(&gvk("policies.kyverno.io", "PolicyException"), &n),
        Phase::AdmissionExceptions
    );
    assert_eq!(
        Phase::of(&gvk("policies.kyverno.io", "ValidatingPolicy"), &n),
        Phase::Admission
    );
    assert!(Phase::Namespaces < Phase::Rbac && Phase::AdmissionExceptions < Phase::Admission);
}

#[test]
fn compare_ignores_server_fields_but_not_widening_ones() {
    let build = json!({"metadata": {"name": "a", "labels": {"x": "1"}},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                 "ingress": [{"ports": [{"protocol": "TCP", "port": 80}]}]}});
    let mut live = build.clone();
    live["metadata"]["resourceVersion"] = json!("7");
    live["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!("a");
    live["status"] = json!({});
    let gk = "NetworkPolicy.networking.k8s.io";
    assert!(compare(gk, &build, &live).is_empty());
    // A changed port.
    let mut port = live.clone();
    port["spec"]["ingress"][0]["ports"][0]["port"] = json!(8080);
    let d = compare(gk, &build, &port);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path, "spec.ingress[0].ports[0].port");
    // An added rule: the list differs in length.
    let mut rule = live.clone();
    rule["spec"]["ingress"]
        .as_array_mut()
        .unwrap()
        .push(json!({}));
    assert_eq!(compare(gk, &build, &rule)[0].path, "spec.ingress");
    // A field the build does not set, under a NetworkPolicy's spec: widening, reported.
    let mut egress = live.clone();
    egress["spec"]["egress"] = json!([{}]);
    assert_eq!(compare(gk, &build, &egress)[0].path, "spec.egress");
    // The same extra field on another kind is a server default, not a difference.
    assert!(compare("ClusterPolicy.kyverno.io", &build, &egress).is_empty());
    // An added Pod Security label is reported on any kind.
    let mut ns = live.clone();
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = json!("privileged");
    assert_eq!(
        compare("Namespace", &build, &ns)[0].path,
        "metadata.labels.pod-security.kubernetes.io/enforce"
    );
}

#[test]
fn managers_exclude_posture_and_status_writers() {
    let live = json!({"metadata": {"managedFields": [
        {"manager": "posture", "operation": "Apply"},
        {"manager": "kyverno", "operation": "Update", "subresource": "status"},
        {"manager": "kubectl-edit", "operation": "Update"}
    ]}});
    assert_eq!(other_managers(&live), vec!["kubectl-edit".to_string()]);
}

#[test]
fn readiness_reads_both_kyverno_apis() {
    assert_eq!(
        policy_ready(&json!({"status": {"conditionStatus": {"ready": true}}})),
        Some(true)
    );
    assert_eq!(
        policy_ready(&json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}})),
        Some(false)
    );
    assert_eq!(policy_ready(&json!({"spec": {}})), None);
}

mod bundle_reading {
    use crate::Phase;
    use crate::bundle::read;
    use driver::output::assemble_for;
    use driver::{MemWorld, OutputFile};
    use std::path::Path;

    const NP: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-all\n  namespace: a\nspec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n";
    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n";

    /// A build of two applyable files and one that is not, under `/out`.
    fn world() -> MemWorld {
        let file = |path: &str, text: &str, applyable: bool| OutputFile {
            path: path.to_string(),
            bytes: text.as_bytes().to_vec(),
            sources: Vec::new(),
            applyable,
        };
        let out = assemble_for(
            vec![
                file("network/a.yaml", NP, true),
                file("namespaces/a.yaml", NS, true),
                file(
                    "falco/posture_rules.yaml",
                    "- list: x\n  items: []\n",
                    false,
                ),
            ],
            Vec::new(),
            Some("sys".to_string()),
        );
        let mut w = MemWorld::new();
        for f in out.files {
            w.add(Path::new("/out").join(&f.path), f.bytes);
        }
        w
    }

    #[test]
    fn reads_in_phase_order_and_names_what_is_not_applied() {
        let b = read(&world(), Path::new("/out")).expect("reads");
        assert_eq!(b.system, "sys");
        let phases: Vec<Phase> = b.objects.iter().map(|o| o.phase).collect();
        assert_eq!(phases, vec![Phase::Namespaces, Phase::NetworkDeny]);
        assert_eq!(b.not_applied, vec!["falco/".to_string()]);
    }

    #[test]
    fn refuses_an_edited_file_a_link_and_a_directory_that_is_not_a_build() {
        let mut w = world();
        w.add("/out/network/a.yaml", NP.replace("Ingress", "Egress"));
        let f = read(&w, Path::new("/out")).expect_err("edited");
        assert_eq!(f.code.id, "P8002");
        assert!(
            f.message.contains("network/a.yaml changed after the build"),
            "{}",
            f.message
        );

        let mut w = world();
        w.add("/elsewhere/a.yaml", NP);
        w.add_symlink("/out/network/a.yaml", "/elsewhere/a.yaml");
        let f = read(&w, Path::new("/out")).expect_err("link");
        assert_eq!(f.code.id, "P8002");
        assert!(f.message.contains("symbolic link"), "{}", f.message);

        let mut w = MemWorld::new();
        w.add("/src/a.posture", "system s {}");
        assert_eq!(
            read(&w, Path::new("/src"))
                .expect_err("no manifest")
                .code
                .id,
            "P8001"
        );
    }
}

#[test]
fn a_field_another_manager_added_is_a_difference_on_any_kind() {
    use crate::drift::foreign_paths;
    // An exclusion added by hand to an admission policy: not a field the build sets, not a
    // strict path — but another manager wrote it, so it differs (fail closed).
    let build = json!({"spec": {"validationActions": ["Deny"]}});
    let live = json!({
        "metadata": {"managedFields": [
            {"manager": "posture", "operation": "Apply",
             "fieldsV1": {"f:spec": {"f:validationActions": {}}}},
            {"manager": "kyverno", "operation": "Update", "subresource": "status",
             "fieldsV1": {"f:status": {"f:conditionStatus": {"f:ready": {}}}}},
            {"manager": "kubectl-edit", "operation": "Update",
             "fieldsV1": {"f:metadata": {"f:annotations": {"f:note": {}}},
                          "f:spec": {"f:matchConstraints": {"f:excludeResourceRules": {}},
                                     "f:rules": {"k:{\"name\":\"a\"}": {".": {}, "f:x": {}}}}}}
        ]},
        "spec": {"validationActions": ["Deny"], "matchConstraints": {"excludeResourceRules": [{}]}},
        "status": {"conditionStatus": {"ready": true}}
    });
    assert_eq!(
        foreign_paths(&live),
        vec![
            (
                "spec.matchConstraints.excludeResourceRules".to_string(),
                "kubectl-edit".to_string()
            ),
            (
                "spec.rules[{\"name\":\"a\"}].x".to_string(),
                "kubectl-edit".to_string()
            ),
        ]
    );
    let d = compare("ValidatingPolicy.policies.kyverno.io", &build, &live);
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].written_by.as_deref(), Some("kubectl-edit"));
    // Without the foreign manager, the same object is equal: server defaults have no manager.
    let mut clean = live.clone();
    clean["metadata"]["managedFields"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert!(compare("ValidatingPolicy.policies.kyverno.io", &build, &clean).is_empty());
}
