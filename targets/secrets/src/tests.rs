use super::*;

#[test]
fn providers_carry_addresses_and_roles_only() {
    let vault = provider(&StoreKind::Vault {
        address: ir::Url("https://vault.optimal.io".into()),
        path: "secret".into(),
        auth: VaultAuth::Kubernetes {
            role: "optimal".into(),
            mount: None,
        },
    });
    let text = emit::to_yaml(&vault);
    assert!(text.contains("mountPath: kubernetes"), "{text}");
    assert!(text.contains("role: optimal"), "{text}");
    assert!(text.contains("version: v2"), "{text}");
    let azure = provider(&StoreKind::AzureKeyVault {
        vault_url: ir::Url("https://optimal.vault.usgovcloudapi.net".into()),
    });
    let text = emit::to_yaml(&azure);
    assert!(
        text.contains("environmentType: USGovernmentCloud"),
        "{text}"
    );
    assert!(text.contains("authType: WorkloadIdentity"), "{text}");
    let gcp = emit::to_yaml(&provider(&StoreKind::GcpSecretManager {
        project: "optimal-prod".into(),
    }));
    assert!(gcp.contains("projectID: optimal-prod"), "{gcp}");
}

#[test]
fn keycloak_vault_file_names_double_underscores() {
    let n = |s: &str| Name::new(s);
    assert_eq!(
        ir::secrets::keycloak_vault_file(&n("optimal"), &n("corp-idp")),
        "optimal_corp-idp"
    );
    assert_eq!(
        ir::secrets::keycloak_vault_file(&n("my_realm"), &n("a_b")),
        "my__realm_a__b"
    );
}
