//! P7xxx: secret stores, secrets and encryption at rest.

declare_codes! {
    P7001 "invalid-cloud-reference" Error "a cloud region, project id, key vault URL or KMS key reference is malformed";
    P7002 "invalid-secret-key" Error "a secret key is not a valid Kubernetes Secret data key";
    P7003 "secrets-not-encrypted" Warning "encryption at rest does not cover Kubernetes Secrets";
}
