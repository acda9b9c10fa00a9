//! P7xxx: secret stores, secrets and encryption at rest.

declare_codes! {
    P7001 "invalid-cloud-reference" Error "a cloud region, project id, key vault URL or KMS key reference is malformed";
    P7002 "invalid-secret-key" Error "a secret key is not a valid Kubernetes Secret data key";
    P7003 "secrets-not-encrypted" Warning "encryption at rest does not cover Kubernetes Secrets";
    P7004 "identity-encrypts-writes" Error "the identity provider (no encryption) would encrypt new writes";
    P7005 "federation-secret-namespace" Error "a federation's client secret is not in the identity provider's namespace";
    P7006 "federation-secret-keys" Error "a secret read through Keycloak's vault does not have exactly one key";
    P7007 "kms-plugin-missing" Error "encryption at rest names a KMS key but no KMS plugin";
    P7008 "invalid-kms-plugin" Error "a KMS plugin's name, socket or timeout is invalid";
    P7009 "invalid-apiserver-oidc" Error "the API server's OIDC sign-in names an unknown realm or an invalid claim";
    P7010 "audit-logs-secret-values" Error "the audit policy would record Secret values in request or response bodies";
}
