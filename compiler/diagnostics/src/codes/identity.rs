//! P6xxx: identity (realms, roles, clients, federation, claim mappers).

declare_codes! {
    P6001 "role-include-cycle" Error "a role includes itself through its composite roles";
    P6002 "public-client-without-pkce" Warning "a public client does not require PKCE";
    P6003 "insecure-client-uri" Error "a redirect URI or web origin is not https, or matches more than one site";
    P6004 "reserved-claim" Error "a claim mapper overwrites a registered JWT claim";
    P6005 "privileged-role-without-mfa" Warning "a role with full access does not require multi-factor authentication";
    P6006 "realm-without-api-client" Error "a realm with permissions has no single bearer-only client to hold them";
    P6007 "saml-federation-not-emitted" Error "a SAML federation cannot be emitted into the Keycloak realm";
    P6008 "rbac-role-reads-secrets" Warning "a role is bound to a built-in ClusterRole that reads and writes Secrets";
    P6009 "role-without-kubernetes-mapping" Note "a realm role has no Kubernetes RBAC mapping";
    P6010 "permission-granted-by-no-role" Warning "a declared permission is granted by no role";
    P6011 "rbac-without-oidc" Error "roles are mapped to Kubernetes RBAC but the API server does not sign users in through the realm";
    P6012 "wildcard-grant-outside-admin-role" Warning "a role not declared `admin` grants a wildcard";
    P6013 "admin-role-without-mfa" Error "a role declared `admin` does not require multi-factor authentication";
    P6014 "separation-of-duties" Error "a role or group holds two permissions the realm separates";
}
