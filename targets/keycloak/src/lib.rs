//! Target `keycloak/`: one Keycloak 26.x realm representation per realm of the `identity`
//! block, `keycloak/<realm>-realm.json`, for `kc.sh import --file` (or the operator's
//! `KeycloakRealmImport`).
//!
//! What the file holds, from the realm:
//! - realm settings: `sslRequired: all`, the token and session lifespans, brute-force
//!   protection (`failureFactor`, the lockout as `waitIncrementSeconds` and
//!   `maxFailureWaitSeconds`), the password policy (`length(N) and passwordHistory(N)`), a TOTP
//!   policy;
//! - permissions as client roles of the realm's API client (its one bearer-only client), realm
//!   roles as composites of those permissions and of the roles they include, groups with their
//!   realm roles;
//! - clients: public ones with the authorization code flow and PKCE S256, confidential ones
//!   with a service account (Keycloak generates their credential: a client secret is never
//!   written), bearer-only ones; implicit flow off, and the direct (password) grant off on
//!   every client;
//! - client scopes: `basic` (`sub`), `profile` (`preferred_username`) and `posture-access`,
//!   whose mappers put the `roles` and `permissions` claims and the API client's audience in
//!   the access token (and any `mapper` the realm declares);
//! - the Kubernetes sign-in client of `target { oidc }`: the audience the API server requires
//!   and the realm roles in the groups claim that RBAC binds;
//! - MFA: roles in `mfa.required_for` include the marker role [`MFA_ROLE`]; the browser flow,
//!   the direct-grant flow and the post-broker-login flow run a conditional OTP step for every
//!   user holding it (`conditional-user-role` then `auth-otp-form` / `direct-grant-validate-otp`,
//!   both REQUIRED, so a user without OTP must enrol one first and cannot sign in by password
//!   alone);
//! - OIDC federation whose client secret is the vault reference `${vault.<secret>}`: Keycloak's
//!   file vault reads it from the file `<realm>_<secret>`, which the secrets target's
//!   ExternalSecret writes ([`ir::secrets::keycloak_vault_file`]).

pub mod model;

use emit::{Artifact, Origin, Role as ArtifactRole, TargetId};
use ir::identity::{Client, ClientAccess, FederationProtocol, MapperSource, Realm};
use ir::{Block, ItemId, Posture};
use model::serde_json_free::Text;
use std::collections::BTreeMap;

pub const TARGET: TargetId = TargetId("keycloak");

/// The realm role every role in `mfa.required_for` includes; the flows' OTP condition tests
/// it. A posture name cannot contain `:`, so it never collides with a declared role.
pub const MFA_ROLE: &str = "posture:mfa-required";
/// The browser flow the realm binds.
pub const BROWSER_FLOW: &str = "posture browser";
/// The direct-grant flow the realm binds.
pub const DIRECT_GRANT_FLOW: &str = "posture direct grant";
/// The flow run after every login through an identity provider.
pub const POST_BROKER_FLOW: &str = "posture post broker";
/// The client scope holding the authorization claims.
pub const ACCESS_SCOPE: &str = "posture-access";
/// The claim the default roles mapper writes.
pub const ROLES_CLAIM: &str = "roles";
/// The claim the default permissions mapper writes.
pub const PERMISSIONS_CLAIM: &str = "permissions";
/// Where Kubernetes' `kubectl oidc-login` (kubelogin) listens for the authorization code.
pub const KUBELOGIN_REDIRECTS: [&str; 2] = ["http://localhost:8000", "http://localhost:18000"];

/// The output path of a realm.
pub fn path(realm: &ir::Name) -> String {
    format!("keycloak/{realm}-realm.json")
}

/// The realm's API client: the one bearer-only client, which holds the permissions as client
/// roles. `None` when the realm has none or several (the checker refuses a realm with
/// permissions then, P6006).
pub fn api_client(realm: &Realm) -> Option<&Client> {
    realm.api_client()
}

fn realm_id(r: &Realm) -> ItemId {
    ItemId::new(Block::Identity, &r.name)
}

fn sub_id(r: &Realm, kind: &str, name: &ir::Name) -> ItemId {
    ItemId::new(Block::Identity, format!("{}.{kind}.{name}", r.name))
}

/// The posture items a realm's file comes from.
pub fn origins(r: &Realm) -> Vec<Origin> {
    let mut out = vec![Origin::new(realm_id(r), r.meta.span)];
    out.extend(
        r.roles
            .values()
            .map(|x| Origin::new(sub_id(r, "role", &x.name), x.meta.span)),
    );
    out.extend(
        r.clients
            .values()
            .map(|x| Origin::new(sub_id(r, "client", &x.name), x.meta.span)),
    );
    out.extend(
        r.federations
            .values()
            .map(|x| Origin::new(sub_id(r, "federation", &x.name), x.meta.span)),
    );
    out.extend(
        r.groups
            .values()
            .map(|x| Origin::new(sub_id(r, "group", &x.name), x.meta.span)),
    );
    out.extend(
        r.mappers
            .values()
            .map(|x| Origin::new(sub_id(r, "mapper", &x.name), x.meta.span)),
    );
    out.sort();
    out
}

fn config<const N: usize>(pairs: [(&str, &str); N]) -> Option<BTreeMap<String, Text>> {
    Some(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), Text::from(v)))
            .collect(),
    )
}

fn mapper(name: &str, kind: &str, cfg: Option<BTreeMap<String, Text>>) -> model::ProtocolMapper {
    model::ProtocolMapper {
        name: name.to_string(),
        protocol: Some("openid-connect".into()),
        protocol_mapper: Some(kind.into()),
        consent_required: Some(false),
        config: cfg,
    }
}

/// The realm roles of the user, as a multivalued claim of the access token (and userinfo).
fn realm_roles_mapper(name: &str, claim: &str) -> model::ProtocolMapper {
    roles_mapper(name, claim, "false")
}

/// The realm roles as the Kubernetes API server reads them: kubectl's OIDC plugins present the
/// ID token, so the claim must be in it too (found by the sign-in chain test: with the claim
/// in the access token only, every user signed in without groups and RBAC denied everything).
fn kubernetes_groups_mapper(name: &str, claim: &str) -> model::ProtocolMapper {
    roles_mapper(name, claim, "true")
}

fn roles_mapper(name: &str, claim: &str, id_token: &str) -> model::ProtocolMapper {
    mapper(
        name,
        "oidc-usermodel-realm-role-mapper",
        config([
            ("claim.name", claim),
            ("multivalued", "true"),
            ("jsonType.label", "String"),
            ("access.token.claim", "true"),
            ("id.token.claim", id_token),
            ("userinfo.token.claim", "true"),
            ("introspection.token.claim", "true"),
        ]),
    )
}

/// The user's client roles of `client_id`, as a multivalued claim.
fn client_roles_mapper(name: &str, claim: &str, client_id: &str) -> model::ProtocolMapper {
    mapper(
        name,
        "oidc-usermodel-client-role-mapper",
        config([
            ("claim.name", claim),
            ("usermodel.clientRoleMapping.clientId", client_id),
            ("multivalued", "true"),
            ("jsonType.label", "String"),
            ("access.token.claim", "true"),
            ("id.token.claim", "false"),
            ("userinfo.token.claim", "true"),
            ("introspection.token.claim", "true"),
        ]),
    )
}

/// The user's groups (names, not paths), as a multivalued claim.
fn groups_mapper(name: &str, claim: &str) -> model::ProtocolMapper {
    mapper(
        name,
        "oidc-group-membership-mapper",
        config([
            ("claim.name", claim),
            ("full.path", "false"),
            ("access.token.claim", "true"),
            ("id.token.claim", "false"),
            ("userinfo.token.claim", "true"),
            ("introspection.token.claim", "true"),
        ]),
    )
}

/// `aud` gets `client_id` in access tokens.
fn audience_mapper(name: &str, client_id: &str) -> model::ProtocolMapper {
    mapper(
        name,
        "oidc-audience-mapper",
        config([
            ("included.client.audience", client_id),
            ("access.token.claim", "true"),
            ("id.token.claim", "false"),
            ("introspection.token.claim", "true"),
        ]),
    )
}

/// A user attribute (`username`, `email`) as a string claim of every token.
fn attribute_mapper(name: &str, attribute: &str, claim: &str) -> model::ProtocolMapper {
    mapper(
        name,
        "oidc-usermodel-attribute-mapper",
        config([
            ("user.attribute", attribute),
            ("claim.name", claim),
            ("jsonType.label", "String"),
            ("access.token.claim", "true"),
            ("id.token.claim", "true"),
            ("userinfo.token.claim", "true"),
            ("introspection.token.claim", "true"),
        ]),
    )
}

fn scope(name: &str, description: &str, mappers: Vec<model::ProtocolMapper>) -> model::ClientScope {
    model::ClientScope {
        name: name.to_string(),
        description: Some(description.to_string()),
        protocol: Some("openid-connect".into()),
        attributes: config([
            ("include.in.token.scope", "true"),
            ("display.on.consent.screen", "false"),
        ]),
        protocol_mappers: Some(mappers),
    }
}

/// The client scopes of the realm, by name, in the order clients list them.
fn client_scopes(p: &Posture, r: &Realm) -> Vec<model::ClientScope> {
    let basic = scope(
        "basic",
        "The subject of every token.",
        vec![mapper(
            "sub",
            "oidc-sub-mapper",
            config([
                ("access.token.claim", "true"),
                ("introspection.token.claim", "true"),
            ]),
        )],
    );
    let profile = scope(
        "profile",
        "The user's name.",
        vec![attribute_mapper(
            "username",
            "username",
            "preferred_username",
        )],
    );
    let mut access: Vec<model::ProtocolMapper> = Vec::new();
    let declared = |claim: &str| r.mappers.values().any(|m| m.claim == claim);
    let api = api_client(r);
    if !r.roles.is_empty() && !declared(ROLES_CLAIM) {
        access.push(realm_roles_mapper("roles", ROLES_CLAIM));
    }
    if let Some(api) = api
        && !r.permissions.is_empty()
    {
        if !declared(PERMISSIONS_CLAIM) {
            access.push(client_roles_mapper(
                "permissions",
                PERMISSIONS_CLAIM,
                api.name.as_str(),
            ));
        }
        access.push(audience_mapper("audience", api.name.as_str()));
    }
    for m in r.mappers.values() {
        access.push(match m.source {
            MapperSource::Roles => realm_roles_mapper(m.name.as_str(), &m.claim),
            MapperSource::Permissions => match api {
                Some(api) => client_roles_mapper(m.name.as_str(), &m.claim, api.name.as_str()),
                None => continue, // refused by the checker (P6006)
            },
            MapperSource::Groups => groups_mapper(m.name.as_str(), &m.claim),
        });
    }
    let _ = p;
    vec![
        basic,
        profile,
        scope(
            ACCESS_SCOPE,
            "What the user may do: realm roles, permissions and the API's audience.",
            access,
        ),
    ]
}

fn scope_names() -> Vec<String> {
    vec!["basic".into(), "profile".into(), ACCESS_SCOPE.into()]
}

/// The Kubernetes sign-in client of `target { oidc }`, when it names this realm.
fn kubernetes_client(p: &Posture, r: &Realm) -> Option<model::Client> {
    let o = p.target.oidc.as_ref()?;
    if o.realm != r.name {
        return None;
    }
    let mut mappers = vec![
        audience_mapper("kubernetes audience", &o.client_id),
        kubernetes_groups_mapper("kubernetes groups", &o.groups_claim),
    ];
    match o.username_claim.as_str() {
        "sub" | "preferred_username" => {} // in the `basic` and `profile` scopes
        "email" => mappers.push(attribute_mapper("kubernetes username", "email", "email")),
        other => mappers.push(attribute_mapper("kubernetes username", "username", other)),
    }
    Some(model::Client {
        client_id: Some(o.client_id.clone()),
        name: Some("Kubernetes".into()),
        description: Some(
            "Signs users in to the Kubernetes API server (kubectl oidc-login); the groups claim \
             carries the realm roles that RBAC binds."
                .into(),
        ),
        enabled: Some(true),
        protocol: Some("openid-connect".into()),
        public_client: Some(true),
        bearer_only: Some(false),
        standard_flow_enabled: Some(true),
        implicit_flow_enabled: Some(false),
        direct_access_grants_enabled: Some(false),
        service_accounts_enabled: Some(false),
        consent_required: Some(false),
        full_scope_allowed: Some(true),
        redirect_uris: Some(KUBELOGIN_REDIRECTS.iter().map(|s| s.to_string()).collect()),
        web_origins: Some(vec![]),
        attributes: config([("pkce.code.challenge.method", "S256")]),
        protocol_mappers: Some(mappers),
        default_client_scopes: Some(scope_names()),
        optional_client_scopes: Some(vec![]),
        ..Default::default()
    })
}

fn client(c: &Client) -> model::Client {
    let (public, bearer, standard, service) = match c.access {
        ClientAccess::Public => (true, false, true, false),
        ClientAccess::Confidential => (false, false, !c.redirect_uris.is_empty(), true),
        ClientAccess::BearerOnly => (false, true, false, false),
    };
    let attributes = (c.access == ClientAccess::Public || c.pkce)
        .then(|| config([("pkce.code.challenge.method", "S256")]))
        .flatten();
    model::Client {
        client_id: Some(c.name.to_string()),
        description: c.meta.doc.clone(),
        enabled: Some(true),
        protocol: Some("openid-connect".into()),
        public_client: Some(public),
        bearer_only: Some(bearer),
        client_authenticator_type: (c.access == ClientAccess::Confidential)
            .then(|| "client-secret".to_string()),
        standard_flow_enabled: Some(standard),
        implicit_flow_enabled: Some(false),
        direct_access_grants_enabled: Some(false),
        service_accounts_enabled: Some(service),
        consent_required: Some(false),
        full_scope_allowed: Some(true),
        redirect_uris: Some(c.redirect_uris.clone()),
        web_origins: Some(c.web_origins.clone()),
        attributes,
        protocol_mappers: None,
        default_client_scopes: Some(scope_names()),
        optional_client_scopes: Some(vec![]),
        ..Default::default()
    }
}

/// `conditional-user-role` on [`MFA_ROLE`] then `otp` REQUIRED, as a conditional subflow.
fn mfa_subflow(alias: &str, otp: &str) -> model::AuthenticationFlow {
    model::AuthenticationFlow {
        alias: alias.to_string(),
        description: Some(
            "A one-time password for every user holding a role that requires MFA.".into(),
        ),
        provider_id: Some("basic-flow".into()),
        top_level: Some(false),
        built_in: Some(false),
        authentication_executions: Some(vec![
            execution("conditional-user-role", "REQUIRED", 10, Some(MFA_CONDITION)),
            execution(otp, "REQUIRED", 20, None),
        ]),
    }
}

/// The authenticator config of the MFA condition.
pub const MFA_CONDITION: &str = "posture mfa role";

fn execution(
    authenticator: &str,
    requirement: &str,
    priority: i64,
    config: Option<&str>,
) -> model::Execution {
    model::Execution {
        authenticator: Some(authenticator.to_string()),
        authenticator_config: config.map(str::to_string),
        authenticator_flow: Some(false),
        flow_alias: None,
        requirement: Some(requirement.to_string()),
        priority: Some(priority),
        user_setup_allowed: Some(false),
    }
}

fn subflow(alias: &str, requirement: &str, priority: i64) -> model::Execution {
    model::Execution {
        authenticator: None,
        authenticator_config: None,
        authenticator_flow: Some(true),
        flow_alias: Some(alias.to_string()),
        requirement: Some(requirement.to_string()),
        priority: Some(priority),
        user_setup_allowed: Some(false),
    }
}

fn top_flow(
    alias: &str,
    description: &str,
    executions: Vec<model::Execution>,
) -> model::AuthenticationFlow {
    model::AuthenticationFlow {
        alias: alias.to_string(),
        description: Some(description.to_string()),
        provider_id: Some("basic-flow".into()),
        top_level: Some(true),
        built_in: Some(false),
        authentication_executions: Some(executions),
    }
}

/// The flows that enforce MFA, and the condition's config.
fn flows(
    r: &Realm,
) -> (
    Vec<model::AuthenticationFlow>,
    Vec<model::AuthenticatorConfig>,
) {
    let forms = format!("{BROWSER_FLOW} forms");
    let browser_mfa = format!("{BROWSER_FLOW} mfa");
    let grant_mfa = format!("{DIRECT_GRANT_FLOW} mfa");
    let broker_mfa = format!("{POST_BROKER_FLOW} mfa");
    let mut browser = vec![execution("auth-cookie", "ALTERNATIVE", 10, None)];
    if !r.federations.is_empty() {
        browser.push(execution(
            "identity-provider-redirector",
            "ALTERNATIVE",
            25,
            None,
        ));
    }
    browser.push(subflow(&forms, "ALTERNATIVE", 30));
    let flows = vec![
        top_flow(
            BROWSER_FLOW,
            "Username and password, then a one-time password for roles that require MFA.",
            browser,
        ),
        model::AuthenticationFlow {
            alias: forms.clone(),
            description: Some("The login form, then the MFA step.".into()),
            provider_id: Some("basic-flow".into()),
            top_level: Some(false),
            built_in: Some(false),
            authentication_executions: Some(vec![
                execution("auth-username-password-form", "REQUIRED", 10, None),
                subflow(&browser_mfa, "CONDITIONAL", 20),
            ]),
        },
        mfa_subflow(&browser_mfa, "auth-otp-form"),
        top_flow(
            DIRECT_GRANT_FLOW,
            "The password grant; users holding a role that requires MFA must also send a one-time password.",
            vec![
                execution("direct-grant-validate-username", "REQUIRED", 10, None),
                execution("direct-grant-validate-password", "REQUIRED", 20, None),
                subflow(&grant_mfa, "CONDITIONAL", 30),
            ],
        ),
        mfa_subflow(&grant_mfa, "direct-grant-validate-otp"),
        top_flow(
            POST_BROKER_FLOW,
            "After a login through an identity provider: a one-time password for roles that require MFA.",
            vec![subflow(&broker_mfa, "CONDITIONAL", 10)],
        ),
        mfa_subflow(&broker_mfa, "auth-otp-form"),
    ];
    let configs = vec![model::AuthenticatorConfig {
        alias: MFA_CONDITION.to_string(),
        config: config([("condUserRole", MFA_ROLE), ("negate", "false")]),
    }];
    (flows, configs)
}

fn federation(r: &Realm, f: &ir::identity::Federation) -> Option<model::IdentityProvider> {
    if f.protocol != FederationProtocol::Oidc {
        return None; // SAML federation is refused by the checker (P6007)
    }
    // Without its endpoints an OIDC federation is refused by the checker (P1006).
    let e = f.endpoints.as_ref()?;
    let mut cfg: BTreeMap<String, Text> = BTreeMap::new();
    cfg.insert("issuer".into(), f.issuer.0.clone().into());
    cfg.insert("authorizationUrl".into(), e.authorization.0.clone().into());
    cfg.insert("tokenUrl".into(), e.token.0.clone().into());
    cfg.insert("jwksUrl".into(), e.jwks.0.clone().into());
    if let Some(id) = &f.client_id {
        cfg.insert("clientId".into(), id.clone().into());
    }
    if let Some(s) = &f.client_secret {
        // A reference Keycloak resolves through its vault, never a value.
        cfg.insert("clientSecret".into(), format!("${{vault.{s}}}").into());
        cfg.insert("clientAuthMethod".into(), "client_secret_post".into());
    }
    for (k, v) in [
        ("validateSignature", "true"),
        ("useJwksUrl", "true"),
        ("pkceEnabled", "true"),
        ("pkceMethod", "S256"),
        ("syncMode", "FORCE"),
        ("defaultScope", "openid profile email"),
    ] {
        cfg.insert(k.into(), v.into());
    }
    let _ = r;
    Some(model::IdentityProvider {
        alias: f.name.to_string(),
        display_name: f.meta.doc.clone(),
        provider_id: Some("oidc".into()),
        enabled: Some(true),
        trust_email: Some(false),
        store_token: Some(false),
        link_only: Some(false),
        first_broker_login_flow_alias: Some("first broker login".into()),
        post_broker_login_flow_alias: Some(POST_BROKER_FLOW.into()),
        config: Some(cfg),
    })
}

/// The realm representation of `r`.
pub fn realm(p: &Posture, r: &Realm) -> model::Realm {
    let api = api_client(r);
    let mfa = !r.mfa_required_for.is_empty();
    // Permissions: client roles of the API client.
    let mut client_roles: BTreeMap<String, Vec<model::Role>> = BTreeMap::new();
    if let Some(api) = api
        && !r.permissions.is_empty()
    {
        client_roles.insert(
            api.name.to_string(),
            r.permissions
                .iter()
                .map(|perm| model::Role {
                    name: perm.to_string(),
                    description: None,
                    composite: Some(false),
                    composites: None,
                    client_role: Some(true),
                })
                .collect(),
        );
    }
    let mut realm_roles: Vec<model::Role> = r
        .roles
        .values()
        .map(|role| {
            let mut realm_c: Vec<String> = role.includes.iter().map(|n| n.to_string()).collect();
            if r.mfa_required_for.contains(&role.name) {
                realm_c.push(MFA_ROLE.to_string());
            }
            let client_c: Option<BTreeMap<String, Vec<String>>> = match api {
                Some(api) if !role.permissions.is_empty() => Some(BTreeMap::from([(
                    api.name.to_string(),
                    role.permissions.iter().map(|q| q.to_string()).collect(),
                )])),
                _ => None,
            };
            let composite = !realm_c.is_empty() || client_c.is_some();
            model::Role {
                name: role.name.to_string(),
                description: role.meta.doc.clone(),
                composite: Some(composite),
                composites: composite.then(|| model::Composites {
                    realm: (!realm_c.is_empty()).then_some(realm_c),
                    client: client_c,
                }),
                client_role: Some(false),
            }
        })
        .collect();
    if mfa {
        realm_roles.push(model::Role {
            name: MFA_ROLE.to_string(),
            description: Some(
                "Marker: users holding it must pass a one-time password (posture's MFA flows)."
                    .into(),
            ),
            composite: Some(false),
            composites: None,
            client_role: Some(false),
        });
    }
    let mut clients: Vec<model::Client> = r.clients.values().map(client).collect();
    if let Some(k) = kubernetes_client(p, r) {
        match clients.iter_mut().find(|c| c.client_id == k.client_id) {
            // A declared client of that name: it gets the sign-in mappers.
            Some(c) => c.protocol_mappers = k.protocol_mappers,
            None => clients.push(k),
        }
    }
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    let groups: Vec<model::Group> = r
        .groups
        .values()
        .map(|g| model::Group {
            name: g.name.to_string(),
            path: Some(format!("/{}", g.name)),
            realm_roles: Some(g.roles.iter().map(|n| n.to_string()).collect()),
            client_roles: None,
            sub_groups: Some(vec![]),
        })
        .collect();
    let (flows, configs) = flows(r);
    let mut out = model::Realm {
        realm: Some(r.name.to_string()),
        display_name: r.meta.doc.clone(),
        enabled: Some(true),
        ssl_required: Some("all".into()),
        registration_allowed: Some(false),
        roles: Some(model::Roles {
            realm: Some(realm_roles),
            client: Some(client_roles),
        }),
        groups: Some(groups),
        clients: Some(clients),
        client_scopes: Some(client_scopes(p, r)),
        default_default_client_scopes: Some(scope_names()),
        default_optional_client_scopes: Some(vec![]),
        identity_providers: Some(
            r.federations
                .values()
                .filter_map(|f| federation(r, f))
                .collect(),
        ),
        otp_policy_type: Some("totp".into()),
        otp_policy_algorithm: Some("HmacSHA1".into()),
        otp_policy_digits: Some(6),
        otp_policy_period: Some(30),
        otp_policy_look_ahead_window: Some(1),
        browser_flow: Some(BROWSER_FLOW.into()),
        direct_grant_flow: Some(DIRECT_GRANT_FLOW.into()),
        authentication_flows: Some(flows),
        authenticator_config: Some(configs),
        ..Default::default()
    };
    if let Some(t) = &r.tokens {
        out.access_token_lifespan = Some(t.access.0 as i64);
        out.sso_session_idle_timeout = Some(t.session_idle.0 as i64);
        out.sso_session_max_lifespan = Some(t.session_max.0 as i64);
        // Offline sessions end with the same maximum: no token outlives the session's limit.
        out.offline_session_idle_timeout = Some(t.session_idle.0 as i64);
        out.offline_session_max_lifespan_enabled = Some(true);
        out.offline_session_max_lifespan = Some(t.session_max.0 as i64);
    }
    if let Some(b) = &r.brute_force {
        out.brute_force_protected = Some(true);
        out.permanent_lockout = Some(false);
        out.failure_factor = Some(i64::from(b.max_failures));
        out.wait_increment_seconds = Some(b.lockout.0 as i64);
        out.max_failure_wait_seconds = Some(b.lockout.0 as i64);
    }
    if let Some(pw) = &r.password {
        let mut parts = vec![format!("length({})", pw.min_length)];
        if pw.history > 0 {
            parts.push(format!("passwordHistory({})", pw.history));
        }
        out.password_policy = Some(parts.join(" and "));
    }
    out
}

/// Every realm's file.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    p.identity
        .realms
        .values()
        .map(|r| Artifact {
            target: TARGET,
            role: ArtifactRole::Enforcing,
            path: emit::path::fit_path(&path(&r.name)),
            bytes: emit::to_json(&realm(p, r)).into_bytes(),
            origins: origins(r),
            applyable: false,
            placement: None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
