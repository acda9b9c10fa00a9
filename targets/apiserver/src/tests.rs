use super::*;
use ir::system::AuditRule;
use ir::{Duration, Meta, Name, Span};

fn audit() -> Audit {
    let span = Span::new(diagnostics::FileId(0), 0, 0);
    Audit {
        level: AuditLevel::RequestResponse,
        exclude: vec!["events".into()],
        rules: vec![AuditRule {
            name: Name::new("secrets-metadata-only"),
            resources: vec![
                "secrets".into(),
                "configmaps".into(),
                "deployments.apps".into(),
            ],
            level: AuditLevel::Metadata,
            meta: Meta::new(span),
        }],
        sink: Some(ir::Url("https://siem.optimal.io".into())),
        retention: Some(Duration(365 * 86_400)),
        meta: Meta::new(span),
    }
}

#[test]
fn audit_rules_are_in_first_match_order() {
    let p = audit_policy(&audit());
    let levels: Vec<&str> = p.rules.iter().map(|r| r.level).collect();
    assert_eq!(levels, ["None", "Metadata", "RequestResponse"]);
    assert_eq!(p.rules[1].resources[0].group, "");
    assert_eq!(p.rules[1].resources[0].resources, ["secrets", "configmaps"]);
    assert_eq!(p.rules[1].resources[1].group, "apps");
    assert!(p.rules[2].resources.is_empty());
}

#[test]
fn webhook_kubeconfig_has_no_credentials() {
    let text = emit::to_yaml(&webhook_kubeconfig(&ir::Url(
        "https://siem.optimal.io".into(),
    )));
    assert!(text.contains("user: {}"), "{text}");
    for word in ["token", "password", "client-key", "exec"] {
        assert!(!text.contains(word), "{word} in {text}");
    }
}
