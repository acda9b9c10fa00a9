//! P6xxx: identity (realms, roles, clients, federation, claim mappers).

declare_codes! {
    P6001 "role-include-cycle" Error "a role includes itself through its composite roles";
    P6002 "public-client-without-pkce" Warning "a public client does not require PKCE";
    P6003 "insecure-client-uri" Error "a redirect URI or web origin is not https, or matches more than one site";
    P6004 "reserved-claim" Error "a claim mapper overwrites a registered JWT claim";
    P6005 "privileged-role-without-mfa" Warning "a role with full access does not require multi-factor authentication";
}
