//! `identity { … }`: realms, permissions, roles, clients, federation, RBAC mapping.
//!
//! Roles, permissions, clients, groups and mappers are scoped to their realm, so they are
//! resolved here rather than through the global symbol table; realms, secrets and namespaces
//! go through [`Symbols`].

use crate::Top;
use crate::cx::{Attrs, Cx, Numbers, Opened, bundle_meta, is_name};
use crate::resolve::{Kind, Symbols};
use crate::secrets::{scan_item, secret_ref};
use diagnostics::codes::{identity as icodes, names as codes};
use diagnostics::{Diagnostic, Span};
use ir::identity::*;
use ir::{Duration, Name};
use std::collections::{BTreeMap, BTreeSet};
use syntax::ast::{self, Value};

/// Claims a mapper must not overwrite (RFC 7519, section 4.1).
const REGISTERED_CLAIMS: &[&str] = &["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

pub(crate) fn identity(cx: &mut Cx, syms: &mut Symbols, items: &[Top<'_>]) -> Identity {
    let mut out = Identity::default();
    if items.is_empty() {
        return out;
    }
    for t in items {
        scan_item(cx, t.item);
    }
    let Some(a) = Attrs::of_sections(cx, "`identity`", items, &["kubernetes_rbac"]) else {
        return out;
    };
    // Where each role's name is, for diagnostics about roles found after the realm is built.
    let mut role_spans: BTreeMap<(Name, Name), Span> = BTreeMap::new();
    for t in items {
        for e in t.item.entries() {
            let ast::Entry::Item(item) = e else { continue };
            if item.keyword.text != "realm" {
                continue; // reported by the shape check
            }
            if let Some(r) = realm(cx, syms, t, item, &mut role_spans) {
                out.realms.insert(r.name.clone(), r);
            }
        }
    }
    if let Some(v) = a.get("kubernetes_rbac") {
        // Every role declared in any realm, read from the syntax so that a realm with errors
        // elsewhere does not make its roles look unknown here.
        let all_roles: BTreeSet<&str> = items
            .iter()
            .flat_map(|t| t.item.entries())
            .filter_map(|e| match e {
                ast::Entry::Item(r) if r.keyword.text == "realm" => Some(r.entries()),
                _ => None,
            })
            .flatten()
            .filter_map(|e| match e {
                ast::Entry::Item(r) if r.keyword.text == "role" => {
                    r.head.as_ref().and_then(|h| match h {
                        ast::Head::Path(p) if p.segments.len() == 1 => {
                            Some(p.segments[0].text.as_str())
                        }
                        ast::Head::Str(s) => Some(s.value.as_str()),
                        _ => None,
                    })
                }
                _ => None,
            })
            .collect();
        out.kubernetes_rbac = kubernetes_rbac(cx, syms, v, &all_roles);
    }
    privileged_without_mfa(cx, &out, &role_spans);
    out
}

/// What the keycloak and rbac targets need of the identity block, with `target` in view:
/// every realm with permissions has one bearer-only client to hold them (P6006); federations
/// are OIDC (P6007); `kubernetes_rbac` needs the API server's OIDC sign-in (P6011); a role
/// bound to `edit` or `admin` reads Secrets (P6008); a role without a mapping is noted (P6009).
pub(crate) fn emit_checks(cx: &mut Cx, target: Option<&ir::system::Target>, idn: &Identity) {
    for realm in idn.realms.values() {
        let uses_permissions = !realm.permissions.is_empty()
            || realm
                .mappers
                .values()
                .any(|m| m.source == MapperSource::Permissions);
        if uses_permissions && realm.api_client().is_none() {
            let bearer: Vec<String> = realm
                .clients
                .values()
                .filter(|c| c.access == ClientAccess::BearerOnly)
                .map(|c| format!("`{}`", c.name))
                .collect();
            let why = if bearer.is_empty() {
                "it declares no bearer-only client".to_string()
            } else {
                format!("it declares several: {}", bearer.join(", "))
            };
            cx.err(
                Diagnostic::spanned(
                    &icodes::P6006,
                    realm.meta.span,
                    format!("realm `{}` has permissions but no single API client to hold them", realm.name),
                )
                .with_note(format!("Keycloak holds permissions as client roles of the API: the realm's one bearer-only client; {why}"))
                .with_help("declare the API as the one bearer-only client: `client api { access = bearer_only }`"),
            );
        }
        for f in realm.federations.values() {
            if f.protocol == FederationProtocol::Saml {
                cx.err(
                    Diagnostic::spanned(
                        &icodes::P6007,
                        f.meta.span,
                        format!("SAML federation `{}` cannot be emitted", f.name),
                    )
                    .with_note("the keycloak target writes OIDC identity providers only; a SAML provider needs its signing certificate and metadata, which the posture does not declare")
                    .with_help("federate through the provider's OIDC endpoints: `protocol = oidc`"),
                );
            }
        }
    }
    let Some((first_role, first)) = idn.kubernetes_rbac.iter().next() else {
        return;
    };
    if target.is_some_and(|t| t.oidc.is_none()) {
        cx.err(
            Diagnostic::spanned(
                &icodes::P6011,
                first.span,
                format!("`{first_role}` is mapped to Kubernetes RBAC, but the API server does not sign users in through the realm"),
            )
            .with_note("the bindings name OIDC groups (`<groups_prefix><role>`); without `target { oidc }` no token carries them, and unprefixed names could match another authenticator's groups")
            .with_help("add `oidc = { realm = …, client_id = \"kubernetes\" }` to the `target` block"),
        );
    }
    for (role, b) in &idn.kubernetes_rbac {
        if CLUSTER_ROLES_WITH_SECRETS.contains(&b.cluster_role.as_str()) {
            let scope = if b.namespaces.is_empty() {
                "in every namespace".to_string()
            } else {
                let ns: Vec<String> = b.namespaces.iter().map(|n| format!("`{n}`")).collect();
                format!("in {}", ns.join(", "))
            };
            cx.err(
                Diagnostic::spanned(
                    &icodes::P6008,
                    b.span,
                    format!("`{role}` is bound to `{}`, which reads and writes Secrets {scope}", b.cluster_role),
                )
                .with_note(format!("the built-in `{}` ClusterRole gets, lists and changes Secrets, and can exec into pods and use service accounts: every credential {scope} is readable", b.cluster_role))
                .with_help(format!("bind `{EDIT_WITHOUT_SECRETS}` instead, a ClusterRole posture generates: `edit`'s workload access without Secrets, exec, attach, port-forward, service accounts or NetworkPolicies")),
            );
        }
    }
    for realm in idn.realms.values() {
        for role in realm.roles.values() {
            if idn.kubernetes_rbac.contains_key(&role.name) {
                continue;
            }
            cx.err(
                Diagnostic::spanned(
                    &icodes::P6009,
                    role.meta.span,
                    format!("role `{}` has no Kubernetes RBAC mapping", role.name),
                )
                .with_note("its holders get no access to the cluster through the realm")
                .with_help(format!(
                    "if they need some, map it in `kubernetes_rbac`: `{} = view`",
                    role.name
                )),
            );
        }
    }
}

/// Privileged accounts need multi-factor authentication (NIST 800-53 IA-2(1)): warns for each
/// role that grants every permission of its realm, is bound to `cluster-admin` cluster-wide,
/// or includes such a role, and is not in the realm's `mfa.required_for`.
fn privileged_without_mfa(cx: &mut Cx, idn: &Identity, role_spans: &BTreeMap<(Name, Name), Span>) {
    for realm in idn.realms.values() {
        let direct = |r: &Role| -> Option<&'static str> {
            if !realm.permissions.is_empty() && r.permissions.len() == realm.permissions.len() {
                return Some("it grants every permission of the realm");
            }
            match idn.kubernetes_rbac.get(&r.name) {
                Some(b) if b.cluster_role.0 == "cluster-admin" && b.namespaces.is_empty() => {
                    Some("it is bound to `cluster-admin` on the whole cluster")
                }
                _ => None,
            }
        };
        for role in realm.roles.values() {
            // An `admin` role without MFA is an error of its own (P6013).
            if realm.mfa_required_for.contains(&role.name) || role.admin {
                continue;
            }
            // The role itself, or any role it includes, transitively.
            let mut why = None;
            let mut seen: BTreeSet<&Name> = BTreeSet::new();
            let mut todo: Vec<&Role> = vec![role];
            while let Some(r) = todo.pop() {
                if !seen.insert(&r.name) {
                    continue;
                }
                if let Some(w) = direct(r) {
                    why = Some(if r.name == role.name {
                        w.to_string()
                    } else {
                        format!("it includes `{}`: {w}", r.name)
                    });
                    break;
                }
                todo.extend(r.includes.iter().filter_map(|i| realm.roles.get(i)));
            }
            if let Some(why) = why {
                cx.err(
                    Diagnostic::spanned(
                        &icodes::P6005,
                        role_spans
                            .get(&(realm.name.clone(), role.name.clone()))
                            .copied()
                            .unwrap_or(role.meta.span),
                        format!(
                            "privileged role `{}` does not require multi-factor authentication",
                            role.name
                        ),
                    )
                    .with_note(format!("`{}` is privileged: {why}", role.name))
                    .with_help(format!(
                        "add it to the realm's `mfa = {{ required_for = [{}] }}`",
                        role.name
                    )),
                );
            }
        }
    }
}

/// `resource:action`, or why not.
fn parse_permission(text: &str, allow_wildcard: bool) -> Option<Permission> {
    let (resource, action) = text.split_once(':')?;
    let action_ok = is_name(action) || (allow_wildcard && action == "*");
    (is_name(resource) && action_ok).then(|| Permission {
        resource: Name::new(resource),
        action: Name::new(action),
    })
}

fn permission_error(cx: &mut Cx, text: &str, span: Span) {
    let mut d = Diagnostic::spanned(&codes::P1019, span, format!("`{text}` is not a permission"))
        .with_label("expected `resource:action`");
    // `sbom-read`, `sbom.read`, `sbom/read`: offer the colon form.
    let fixed = text
        .rfind(['-', '.', '/', '_'])
        .map(|i| format!("{}:{}", &text[..i], &text[i + 1..]));
    match fixed.filter(|f| parse_permission(f, false).is_some() && !text.contains(':')) {
        Some(f) => d = d.with_help(format!("write `{f}`")),
        None => {
            d = d.with_help(
                "a permission is a resource and an action, both names: `vulnerabilities:read`",
            )
        }
    }
    cx.err(d);
}

/// A role of this realm, or an unknown-role error with did-you-mean.
fn role_ref(
    cx: &mut Cx,
    realm: &Name,
    roles: &BTreeMap<Name, Span>,
    name: &Name,
    span: Span,
) -> bool {
    if roles.contains_key(name) {
        return true;
    }
    cx.err(
        Diagnostic::spanned(
            &codes::P1008,
            span,
            format!("unknown role `{name}` in realm `{realm}`"),
        )
        .with_label("no role of this name is declared in the realm")
        .with_did_you_mean(name.as_str(), roles.keys().map(Name::as_str)),
    );
    false
}

fn realm(
    cx: &mut Cx,
    syms: &mut Symbols,
    t: &Top<'_>,
    item: &ast::Item,
    role_spans: &mut BTreeMap<(Name, Name), Span>,
) -> Option<Realm> {
    let Opened {
        name: rn,
        first: declared,
        attrs: a,
        ..
    } = cx.open(
        item,
        Some((syms, Kind::Realm)),
        "realm",
        &[
            "issuer",
            "mfa",
            "password",
            "brute_force",
            "tokens",
            "permissions",
            "separation_of_duties",
            "satisfies",
        ],
    )?;
    let issuer = a.req(cx, "issuer").and_then(|v| cx.url(v, false));
    if let (Some(iss), Some(v)) = (&issuer, a.get("issuer")) {
        // Keycloak's issuer is `<base>/realms/<realm name>`: any other name there means
        // tokens that no client will accept.
        let path = iss.0.trim_end_matches('/');
        if let Some((_, after)) = path.rsplit_once("/realms/")
            && after != rn.0
        {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1022,
                    v.span(),
                    format!("issuer names realm `{after}`, but this realm is `{rn}`"),
                )
                .with_help(format!("end the issuer with `/realms/{rn}`")),
            );
        }
    }

    // Permissions.
    let mut permissions: Vec<Permission> = Vec::new();
    let mut perm_spans: BTreeMap<Permission, Span> = BTreeMap::new();
    if let Some(v) = a.get("permissions")
        && let Some(list) = cx.list(v)
    {
        for p in list {
            let Some((text, span)) = cx.word(p, "a permission", Numbers::No, None) else {
                continue;
            };
            let Some(perm) = parse_permission(&text, false) else {
                if text.ends_with(":*") {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1019,
                            span,
                            format!("`{text}` is a wildcard, not a permission"),
                        )
                        .with_help("declare each action; roles may grant `resource:*`"),
                    );
                } else {
                    permission_error(cx, &text, span);
                }
                continue;
            };
            if let Some(first) = perm_spans.get(&perm) {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1004,
                        span,
                        format!("permission `{perm}` is declared twice in realm `{rn}`"),
                    )
                    .with_secondary(*first, "first declared here")
                    .with_help("delete one of them"),
                );
                continue;
            }
            perm_spans.insert(perm.clone(), span);
            permissions.push(perm);
        }
    }

    // Declarations: first every role name (roles refer to each other), then each one.
    let decls: Vec<&ast::Item> = item
        .entries()
        .iter()
        .filter_map(|e| match e {
            ast::Entry::Item(i) => Some(&**i),
            _ => None,
        })
        .collect();
    let mut role_names: BTreeMap<Name, Span> = BTreeMap::new();
    for d in decls.iter().filter(|d| d.keyword.text == "role") {
        let Some(n) = d.name() else { continue };
        let rname = Name(n.text.clone());
        if let Some(first) = role_names.get(&rname) {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1004,
                    n.span,
                    format!("role `{rname}` is declared twice in realm `{rn}`"),
                )
                .with_secondary(*first, "first declared here")
                .with_help("names are unique per kind; rename one of them"),
            );
            continue;
        }
        role_names.insert(rname, n.span);
    }

    let mut roles: BTreeMap<Name, Role> = BTreeMap::new();
    let mut clients: BTreeMap<Name, Client> = BTreeMap::new();
    let mut federations: BTreeMap<Name, Federation> = BTreeMap::new();
    let mut groups: BTreeMap<Name, Group> = BTreeMap::new();
    let mut mappers: BTreeMap<Name, Mapper> = BTreeMap::new();
    let mut names_seen: BTreeMap<(&str, ast::SmolStr), Span> = BTreeMap::new();
    for d in &decls {
        let kw = d.keyword.text.as_str();
        let Some(n) = d.name() else { continue };
        if kw != "role" {
            if let Some(first) = names_seen.get(&(kw, n.text.clone())) {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1004,
                        n.span,
                        format!("{kw} `{}` is declared twice in realm `{rn}`", n.text),
                    )
                    .with_secondary(*first, "first declared here")
                    .with_help("names are unique per kind; rename one of them"),
                );
                continue;
            }
            names_seen.insert((kw, n.text.clone()), n.span);
        }
        match kw {
            "role" => {
                let r = role(cx, t, d, &rn, &role_names, &permissions);
                if let Some(r) = r {
                    roles.entry(r.name.clone()).or_insert(r);
                }
            }
            "client" => {
                if let Some(c) = client(cx, syms, t, d) {
                    clients.insert(c.name.clone(), c);
                }
            }
            "federation" => {
                if let Some(f) = federation(cx, syms, t, d) {
                    federations.insert(f.name.clone(), f);
                }
            }
            "group" => {
                if let Some(g) = group(cx, t, d, &rn, &role_names) {
                    groups.insert(g.name.clone(), g);
                }
            }
            "mapper" => {
                if let Some(m) = mapper(cx, t, d) {
                    mappers.insert(m.name.clone(), m);
                }
            }
            _ => {} // reported by the shape check
        }
    }
    role_cycles(cx, &roles, &role_names, &rn);
    // A permission no role grants is dead weight, or a role that forgot it.
    if decls.iter().any(|d| d.keyword.text == "role") {
        for perm in &permissions {
            let Some(span) = perm_spans.get(perm).copied() else {
                continue;
            };
            if roles.values().any(|r| r.permissions.contains(perm)) {
                continue;
            }
            cx.err(
                Diagnostic::spanned(
                    &icodes::P6010,
                    span,
                    format!("no role of realm `{rn}` grants `{perm}`"),
                )
                .with_label("granted by no role")
                .with_help("grant it to the role that needs it, or remove it from `permissions`"),
            );
        }
    }
    for (r, span) in &role_names {
        role_spans.insert((rn.clone(), r.clone()), *span);
    }

    let mut mfa_required_for = Vec::new();
    if let Some(v) = a.get("mfa")
        && let Some(entries) = cx.map(v)
    {
        let ma = Attrs::new(cx, "`mfa`", v.span(), entries, &["required_for"]);
        if let Some(rv) = ma.req(cx, "required_for") {
            for (r, span) in cx.names(rv) {
                if role_ref(cx, &rn, &role_names, &r, span) && !mfa_required_for.contains(&r) {
                    mfa_required_for.push(r);
                }
            }
        }
    }
    // Administrative roles need a second factor (IA-2(1)).
    for r in roles.values().filter(|r| r.admin) {
        if !mfa_required_for.contains(&r.name) {
            cx.err(
                Diagnostic::spanned(
                    &icodes::P6013,
                    role_names.get(&r.name).copied().unwrap_or(r.meta.span),
                    format!("admin role `{}` does not require multi-factor authentication", r.name),
                )
                .with_note("administrative accounts are privileged accounts: NIST 800-53 IA-2(1) requires MFA for them in every baseline")
                .with_help(format!("add it to the realm's `mfa = {{ required_for = [{}] }}`", r.name)),
            );
        }
    }
    let separation_of_duties = a
        .get("separation_of_duties")
        .map(|v| separation(cx, v, &rn, &perm_spans))
        .unwrap_or_default();
    separation_check(cx, &rn, &roles, &groups, &role_names, &separation_of_duties);
    let separation_of_duties: Vec<Vec<Permission>> = separation_of_duties
        .into_iter()
        .map(|(set, _)| set)
        .collect();
    let password = a.get("password").and_then(|v| password_policy(cx, v));
    let brute_force = a.get("brute_force").and_then(|v| brute_force(cx, v));
    let tokens = a.get("tokens").and_then(|v| tokens(cx, v));
    let meta = bundle_meta(cx, t, item, &a);
    if !declared {
        return None;
    }
    Some(Realm {
        name: rn,
        issuer: issuer?,
        mfa_required_for,
        password,
        brute_force,
        tokens,
        permissions,
        separation_of_duties,
        roles,
        clients,
        federations,
        groups,
        mappers,
        meta,
    })
}

/// `separation_of_duties = [[a, b], …]`: each set names at least two declared permissions.
fn separation(
    cx: &mut Cx,
    v: &Value,
    realm: &Name,
    declared: &BTreeMap<Permission, Span>,
) -> Vec<(Vec<Permission>, Span)> {
    let mut out = Vec::new();
    let Some(sets) = cx.list(v) else {
        return out;
    };
    for set in sets {
        let Some(items) = cx.list(set) else { continue };
        let mut perms: Vec<Permission> = Vec::new();
        let mut ok = true;
        for p in items {
            let Some((text, span)) = cx.word(p, "a permission", Numbers::No, None) else {
                ok = false;
                continue;
            };
            match parse_permission(&text, false) {
                Some(perm) if declared.contains_key(&perm) => {
                    if !perms.contains(&perm) {
                        perms.push(perm);
                    }
                }
                Some(_) => {
                    ok = false;
                    let all: Vec<String> = declared.keys().map(|q| q.to_string()).collect();
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1023,
                            span,
                            format!("`{text}` is not a permission of realm `{realm}`"),
                        )
                        .with_label("not in `permissions`")
                        .with_did_you_mean(&text, all.iter().map(String::as_str)),
                    );
                }
                None => {
                    ok = false;
                    permission_error(cx, &text, span);
                }
            }
        }
        if ok && perms.len() < 2 {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1022,
                    set.span(),
                    "a separation of duties names at least two permissions",
                )
                .with_help("list the permissions no single role may hold together: `[settings:manage, agents:manage]`"),
            );
            continue;
        }
        if ok {
            out.push((perms, set.span()));
        }
    }
    out
}

/// No role (with the roles it includes) and no group (with its roles) holds two permissions
/// of one separated set.
fn separation_check(
    cx: &mut Cx,
    realm: &Name,
    roles: &BTreeMap<Name, Role>,
    groups: &BTreeMap<Name, Group>,
    role_spans: &BTreeMap<Name, Span>,
    sets: &[(Vec<Permission>, Span)],
) {
    if sets.is_empty() {
        return;
    }
    let effective = |start: &[Name]| -> BTreeSet<Permission> {
        let mut seen: BTreeSet<&Name> = BTreeSet::new();
        let mut todo: Vec<&Name> = start.iter().collect();
        let mut out = BTreeSet::new();
        while let Some(n) = todo.pop() {
            if !seen.insert(n) {
                continue;
            }
            if let Some(r) = roles.get(n) {
                out.extend(r.permissions.iter().cloned());
                todo.extend(r.includes.iter());
            }
        }
        out
    };
    let mut holders: Vec<(String, Span, BTreeSet<Permission>)> = roles
        .values()
        .map(|r| {
            (
                format!("role `{}`", r.name),
                role_spans.get(&r.name).copied().unwrap_or(r.meta.span),
                effective(std::slice::from_ref(&r.name)),
            )
        })
        .collect();
    holders.extend(groups.values().map(|g| {
        (
            format!("group `{}`", g.name),
            g.meta.span,
            effective(&g.roles),
        )
    }));
    for (who, span, held) in holders {
        for (set, set_span) in sets {
            let both: Vec<String> = set
                .iter()
                .filter(|p| held.contains(p))
                .map(|p| format!("`{p}`"))
                .collect();
            if both.len() >= 2 {
                cx.err(
                    Diagnostic::spanned(
                        &icodes::P6014,
                        span,
                        format!(
                            "{who} holds {}, which realm `{realm}` separates",
                            both.join(" and ")
                        ),
                    )
                    .with_secondary(*set_span, "separated here")
                    .with_help("split the duties between two roles, so that no one holds both"),
                );
            }
        }
    }
}

fn role(
    cx: &mut Cx,
    t: &Top<'_>,
    item: &ast::Item,
    realm: &Name,
    role_names: &BTreeMap<Name, Span>,
    permissions: &[Permission],
) -> Option<Role> {
    let Opened {
        name: n, attrs: a, ..
    } = cx.open(
        item,
        None,
        "role",
        &["grants", "includes", "admin", "satisfies"],
    )?;
    let admin = a.get("admin").and_then(|v| cx.bool(v)).unwrap_or(false);
    // Wildcards grant whatever the realm declares later too: only administrative roles may.
    let wildcard = |cx: &mut Cx, text: &str, span: Span| {
        if !admin {
            cx.err(
                Diagnostic::spanned(
                    &icodes::P6012,
                    span,
                    format!("role `{n}` grants `{text}` but is not declared `admin`"),
                )
                .with_label("a wildcard grants every permission it matches, present and future")
                .with_help("list the permissions the role needs, or declare it `admin = true` (which requires MFA for it)"),
            );
        }
    };
    let mut granted: BTreeSet<&Permission> = BTreeSet::new();
    if let Some(v) = a.get("grants")
        && let Some(list) = cx.list(v)
    {
        for g in list {
            let Some((text, span)) = cx.word(g, "a permission", Numbers::No, None) else {
                continue;
            };
            if text == "*" {
                wildcard(cx, &text, span);
                granted.extend(permissions.iter());
                continue;
            }
            let Some(p) = parse_permission(&text, true) else {
                permission_error(cx, &text, span);
                continue;
            };
            if p.action.0 == "*" {
                wildcard(cx, &text, span);
                let of_resource: Vec<&Permission> = permissions
                    .iter()
                    .filter(|q| q.resource == p.resource)
                    .collect();
                if of_resource.is_empty() {
                    let resources: BTreeSet<&str> =
                        permissions.iter().map(|q| q.resource.as_str()).collect();
                    cx.err(
                            Diagnostic::spanned(
                                &codes::P1023,
                                span,
                                format!(
                                    "role `{n}` grants `{text}`, but realm `{realm}` declares no permission on `{}`",
                                    p.resource
                                ),
                            )
                            .with_label("no permission of this resource")
                            .with_did_you_mean(p.resource.as_str(), resources.iter().copied()),
                        );
                }
                granted.extend(of_resource);
                continue;
            }
            match permissions.iter().find(|q| **q == p) {
                Some(q) => {
                    granted.insert(q);
                }
                None => {
                    let all: Vec<String> = permissions.iter().map(|q| q.to_string()).collect();
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1023,
                            span,
                            format!(
                                "role `{n}` grants `{text}`, which realm `{realm}` does not declare"
                            ),
                        )
                        .with_label("not in `permissions`")
                        .with_did_you_mean(&text, all.iter().map(String::as_str))
                        .with_help("declare it in the realm's `permissions`"),
                    );
                }
            }
        }
    }
    let mut includes: Vec<Name> = Vec::new();
    if let Some(v) = a.get("includes") {
        for (r, span) in cx.names(v) {
            if r == n {
                cx.err(
                    Diagnostic::spanned(
                        &icodes::P6001,
                        span,
                        format!("role `{n}` includes itself"),
                    )
                    .with_help("remove it from `includes`"),
                );
                continue;
            }
            if role_ref(cx, realm, role_names, &r, span) && !includes.contains(&r) {
                includes.push(r);
            }
        }
    }
    let meta = bundle_meta(cx, t, item, &a);
    // Keep the realm's declaration order, so output follows the posture.
    let permissions: Vec<Permission> = permissions
        .iter()
        .filter(|p| granted.contains(p))
        .cloned()
        .collect();
    Some(Role {
        name: n,
        permissions,
        includes,
        admin,
        meta,
    })
}

/// Reports each cycle of composite roles once, at its alphabetically first role.
fn role_cycles(
    cx: &mut Cx,
    roles: &BTreeMap<Name, Role>,
    spans: &BTreeMap<Name, Span>,
    realm: &Name,
) {
    let mut reported: BTreeSet<Vec<Name>> = BTreeSet::new();
    for start in roles.keys() {
        // Depth-first search for a path back to `start`.
        let mut stack: Vec<(Name, usize)> = vec![(start.clone(), 0)];
        let mut on_path: Vec<Name> = vec![start.clone()];
        let mut visited: BTreeSet<Name> = BTreeSet::new();
        while let Some((node, idx)) = stack.last().cloned() {
            let next = roles.get(&node).and_then(|r| r.includes.get(idx)).cloned();
            let Some(next) = next else {
                stack.pop();
                on_path.pop();
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            if &next == start {
                let mut cycle = on_path.clone();
                let mut key = cycle.clone();
                key.sort();
                if reported.insert(key) && cycle.iter().min() == Some(start) {
                    cycle.push(start.clone());
                    let path = cycle
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(" → ");
                    let span = spans
                        .get(start)
                        .copied()
                        .or_else(|| roles.get(start).map(|r| r.meta.span))
                        .unwrap_or_else(|| Span::new(diagnostics::FileId(0), 0, 0));
                    cx.err(
                        Diagnostic::spanned(
                            &icodes::P6001,
                            span,
                            format!("role `{start}` includes itself through its composite roles"),
                        )
                        .with_note(format!("in realm `{realm}`: {path}"))
                        .with_help("remove one of the `includes` in the cycle"),
                    );
                }
                continue;
            }
            if visited.insert(next.clone()) && roles.contains_key(&next) {
                on_path.push(next.clone());
                stack.push((next, 0));
            }
        }
    }
}

fn client(cx: &mut Cx, syms: &mut Symbols, t: &Top<'_>, item: &ast::Item) -> Option<Client> {
    let Opened {
        name: n,
        span: name_span,
        attrs: a,
        ..
    } = cx.open(
        item,
        None,
        "client",
        &[
            "access",
            "pkce",
            "redirect_uris",
            "web_origins",
            "secret",
            "satisfies",
        ],
    )?;
    let access = a
        .req(cx, "access")
        .and_then(|v| cx.variant(v, &["public", "confidential", "bearer_only"]))
        .map(|v| match v {
            "public" => ClientAccess::Public,
            "confidential" => ClientAccess::Confidential,
            _ => ClientAccess::BearerOnly,
        });
    let pkce = a.get("pkce").and_then(|v| cx.bool(v));
    let redirect_uris: Vec<String> = a
        .get("redirect_uris")
        .map(|v| cx.list_of(v, redirect_uri))
        .unwrap_or_default();
    let web_origins: Vec<String> = a
        .get("web_origins")
        .map(|v| cx.list_of(v, web_origin))
        .unwrap_or_default();
    let secret = a
        .get("secret")
        .and_then(|v| secret_ref(cx, syms, v, "secret"));
    let meta = bundle_meta(cx, t, item, &a);
    let access = access?;
    let at = |k: &str| a.key_span(k).unwrap_or(name_span);
    match access {
        ClientAccess::Public => {
            if a.get("secret").is_some() {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1022,
                        at("secret"),
                        format!("public client `{n}` has a `secret`"),
                    )
                    .with_label(
                        "a public client runs where users can read it: it cannot keep a secret",
                    )
                    .with_help("remove `secret`, or make the client `access = confidential`"),
                );
            }
            if pkce != Some(true) {
                cx.err(
                    Diagnostic::spanned(
                        &icodes::P6002,
                        at("pkce"),
                        format!("public client `{n}` does not require PKCE"),
                    )
                    .with_label("without PKCE, an intercepted authorization code can be redeemed")
                    .with_help("add `pkce = true`"),
                );
            }
            if a.get("redirect_uris").is_none() {
                cx.err(
                    Diagnostic::spanned(&codes::P1006, name_span, format!("public client `{n}` needs `redirect_uris`"))
                        .with_help("list where users return after login: `redirect_uris = [\"https://portal.example.com/*\"]`"),
                );
            }
        }
        ClientAccess::Confidential => {
            if let (Some(s), Some(_)) = (&secret, a.get("secret")) {
                // Keycloak's vault does not cover client secrets: the import generates one.
                cx.err(
                    Diagnostic::spanned(
                        &icodes::P6015,
                        at("secret"),
                        format!(
                            "Keycloak generates confidential client `{n}`'s secret on import; the realm file cannot take it from `secrets.{s}`"
                        ),
                    )
                    .with_note("Keycloak's vault resolves identity-provider, LDAP and SMTP secrets, not client secrets")
                    .with_help(format!(
                        "after the import, copy the generated secret into `secrets.{s}` (Keycloak's admin API: clients/<id>/client-secret)"
                    )),
                );
            }
            if a.get("secret").is_none() {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1006,
                        name_span,
                        format!("confidential client `{n}` needs `secret`"),
                    )
                    .with_label("`secret` is missing")
                    .with_help(
                        "name the secret that holds its credential: `secret = secrets.NAME`",
                    ),
                );
            }
        }
        ClientAccess::BearerOnly => {
            for k in ["redirect_uris", "pkce"] {
                if a.get(k).is_some() {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1022,
                            at(k),
                            format!("bearer-only client `{n}` takes no `{k}`"),
                        )
                        .with_label("a bearer-only client never logs users in")
                        .with_help(format!(
                            "remove `{k}`, or make the client `access = public` or `confidential`"
                        )),
                    );
                }
            }
        }
    }
    Some(Client {
        name: n,
        access,
        pkce: pkce.unwrap_or(false),
        redirect_uris,
        web_origins,
        secret,
        meta,
    })
}

/// `https://host/path` (or `http://localhost…` for development), optionally ending in `*`.
fn redirect_uri(cx: &mut Cx, v: &Value) -> Option<String> {
    let s = cx.string(v)?;
    let span = v.span();
    let bad = |cx: &mut Cx, msg: String, help: &str| {
        cx.err(Diagnostic::spanned(&icodes::P6003, span, msg).with_help(help.to_string()));
    };
    if let Some(i) = s.find('*')
        && i != s.len() - 1
    {
        bad(
            cx,
            format!("redirect URI `{s}` has a wildcard before its end"),
            "a wildcard may only end the URI: `https://portal.example.com/*`",
        );
        return None;
    }
    if s.contains('#') {
        bad(
            cx,
            format!("redirect URI `{s}` has a fragment"),
            "OAuth redirect URIs must not contain `#`",
        );
        return None;
    }
    let rest = match (s.strip_prefix("https://"), s.strip_prefix("http://")) {
        (Some(r), _) => r,
        (None, Some(r)) => {
            let host = r.split(['/', '?']).next().unwrap_or("");
            let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
            if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
                bad(
                    cx,
                    format!("redirect URI `{s}` is not https"),
                    "use `https://`; plain `http` is only allowed for `localhost`",
                );
                return None;
            }
            r
        }
        _ => {
            bad(
                cx,
                format!("redirect URI `{s}` is not an absolute https URL"),
                "write `https://host/path`; relative and custom-scheme URIs are not allowed",
            );
            return None;
        }
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host_name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    if host_name.is_empty()
        || host_name.contains('*')
        || !(host_name.starts_with('[')
            || host_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        bad(
            cx,
            format!("redirect URI `{s}` has no single host"),
            "name the exact host: wildcards are only allowed at the end of the path",
        );
        return None;
    }
    Some(s)
}

/// An origin `https://host[:port]`, or `+` (Keycloak: the origins of the redirect URIs).
fn web_origin(cx: &mut Cx, v: &Value) -> Option<String> {
    let s = cx.string(v)?;
    if s == "+" {
        return Some(s);
    }
    let msg = if s == "*" {
        Some((
            "web origin `*` allows every site".to_string(),
            "list the origins, or `+` for those of the redirect URIs",
        ))
    } else {
        match s.strip_prefix("https://").or_else(|| {
            s.strip_prefix("http://").filter(|r| {
                let h = r.rsplit_once(':').map(|(h, _)| h).unwrap_or(r);
                h == "localhost" || h == "127.0.0.1"
            })
        }) {
            Some(host)
                if !host.is_empty()
                    && !host.contains(['/', '*', '?', '#'])
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':')) =>
            {
                None
            }
            Some(_) => Some((
                format!("web origin `{s}` is not an origin"),
                "an origin is `https://host` or `https://host:port`, without a path or wildcard",
            )),
            None => Some((
                format!("web origin `{s}` is not https"),
                "use `https://host`; plain `http` is only allowed for `localhost`",
            )),
        }
    };
    match msg {
        None => Some(s),
        Some((m, help)) => {
            cx.err(Diagnostic::spanned(&icodes::P6003, v.span(), m).with_help(help));
            None
        }
    }
}

fn federation(
    cx: &mut Cx,
    syms: &mut Symbols,
    t: &Top<'_>,
    item: &ast::Item,
) -> Option<Federation> {
    let Opened {
        name: n,
        span: n_span,
        attrs: a,
        ..
    } = cx.open(
        item,
        None,
        "federation",
        &[
            "protocol",
            "issuer",
            "client_id",
            "client_secret",
            "authorization_url",
            "token_url",
            "jwks_url",
            "satisfies",
        ],
    )?;
    let protocol = a
        .req(cx, "protocol")
        .and_then(|v| cx.variant(v, &["oidc", "saml"]))
        .map(|p| {
            if p == "oidc" {
                FederationProtocol::Oidc
            } else {
                FederationProtocol::Saml
            }
        });
    let issuer = a.req(cx, "issuer").and_then(|v| cx.url(v, false));
    let client_id = a.get("client_id").and_then(|v| {
        let s = cx.string(v)?;
        if s.trim().is_empty() {
            cx.err(Diagnostic::spanned(
                &codes::P1006,
                v.span(),
                format!("federation `{n}` has an empty `client_id`"),
            ));
            return None;
        }
        Some(s)
    });
    let client_secret = a
        .get("client_secret")
        .and_then(|v| secret_ref(cx, syms, v, "client_secret"));
    if protocol == Some(FederationProtocol::Saml)
        && let Some(span) = a.key_span("client_secret")
    {
        cx.err(
            Diagnostic::spanned(
                &codes::P1022,
                span,
                format!("SAML federation `{n}` takes no `client_secret`"),
            )
            .with_help("SAML trusts signed assertions; client secrets are for `protocol = oidc`"),
        );
    }
    // Keycloak reads an OIDC provider's endpoints from the realm; it never discovers them.
    let url = |cx: &mut Cx, k: &str| match a.get(k) {
        Some(v) => cx.url(v, false),
        None if protocol == Some(FederationProtocol::Oidc) => {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1006,
                    n_span,
                    format!("OIDC federation `{n}` needs `{k}`"),
                )
                .with_label(format!("`{k}` is missing"))
                .with_help("copy `authorization_url`, `token_url` and `jwks_url` from the provider's `/.well-known/openid-configuration`"),
            );
            None
        }
        None => None,
    };
    let authorization = url(cx, "authorization_url");
    let token = url(cx, "token_url");
    let jwks = url(cx, "jwks_url");
    let endpoints = match (authorization, token, jwks) {
        (Some(authorization), Some(token), Some(jwks)) => Some(FederationEndpoints {
            authorization,
            token,
            jwks,
        }),
        _ => None,
    };
    let meta = bundle_meta(cx, t, item, &a);
    Some(Federation {
        name: n,
        protocol: protocol?,
        issuer: issuer?,
        client_id,
        client_secret,
        endpoints,
        meta,
    })
}

fn group(
    cx: &mut Cx,
    t: &Top<'_>,
    item: &ast::Item,
    realm: &Name,
    role_names: &BTreeMap<Name, Span>,
) -> Option<Group> {
    let Opened {
        name: n, attrs: a, ..
    } = cx.open(item, None, "group", &["roles", "satisfies"])?;
    let mut roles = Vec::new();
    if let Some(v) = a.get("roles") {
        for (r, span) in cx.names(v) {
            if role_ref(cx, realm, role_names, &r, span) && !roles.contains(&r) {
                roles.push(r);
            }
        }
    }
    let meta = bundle_meta(cx, t, item, &a);
    Some(Group {
        name: n,
        roles,
        meta,
    })
}

fn mapper(cx: &mut Cx, t: &Top<'_>, item: &ast::Item) -> Option<Mapper> {
    let Opened {
        name: n, attrs: a, ..
    } = cx.open(item, None, "mapper", &["claim", "source", "satisfies"])?;
    let claim = a.req(cx, "claim").and_then(|v| {
        let c = cx.string(v)?;
        if c.is_empty() || c.chars().any(char::is_whitespace) {
            cx.err(Diagnostic::spanned(
                &codes::P1007,
                v.span(),
                format!("claim name `{c}` must be non-empty and without blanks"),
            ));
            return None;
        }
        if REGISTERED_CLAIMS.contains(&c.as_str()) {
            cx.err(
                Diagnostic::spanned(
                    &icodes::P6004,
                    v.span(),
                    format!("mapper `{n}` overwrites the registered claim `{c}`"),
                )
                .with_label("token validation relies on this claim")
                .with_help("choose a claim name of your own, such as `permissions` or `groups`"),
            );
            return None;
        }
        Some(c)
    });
    let source = a
        .req(cx, "source")
        .and_then(|v| cx.variant(v, &["roles", "permissions", "groups"]))
        .map(|s| match s {
            "roles" => MapperSource::Roles,
            "permissions" => MapperSource::Permissions,
            _ => MapperSource::Groups,
        });
    let meta = bundle_meta(cx, t, item, &a);
    Some(Mapper {
        name: n,
        claim: claim?,
        source: source?,
        meta,
    })
}

fn password_policy(cx: &mut Cx, v: &Value) -> Option<PasswordPolicy> {
    let entries = cx.map(v)?;
    let a = Attrs::new(
        cx,
        "`password`",
        v.span(),
        entries,
        &["min_length", "history"],
    );
    let min_length = a.req(cx, "min_length").and_then(|v| cx.int(v, 8..=128));
    let history = a
        .get("history")
        .map(|v| cx.int(v, 0..=100))
        .unwrap_or(Some(0));
    Some(PasswordPolicy {
        min_length: u32::try_from(min_length?).ok()?,
        history: u32::try_from(history?).ok()?,
    })
}

fn brute_force(cx: &mut Cx, v: &Value) -> Option<BruteForce> {
    let entries = cx.map(v)?;
    let a = Attrs::new(
        cx,
        "`brute_force`",
        v.span(),
        entries,
        &["max_failures", "lockout"],
    );
    let max_failures = a.req(cx, "max_failures").and_then(|v| cx.int(v, 1..=100));
    let lockout = a.req(cx, "lockout").and_then(|v| cx.duration(v));
    Some(BruteForce {
        max_failures: u32::try_from(max_failures?).ok()?,
        lockout: lockout?,
    })
}

fn tokens(cx: &mut Cx, v: &Value) -> Option<Tokens> {
    let entries = cx.map(v)?;
    let a = Attrs::new(
        cx,
        "`tokens`",
        v.span(),
        entries,
        &["access", "session_idle", "session_max"],
    );
    let get = |cx: &mut Cx, k: &str| a.req(cx, k).and_then(|v| cx.duration(v));
    let access = get(cx, "access");
    let session_idle = get(cx, "session_idle");
    let session_max = get(cx, "session_max");
    let (access, session_idle, session_max) = (access?, session_idle?, session_max?);
    let order: [(&str, Duration); 3] = [
        ("access", access),
        ("session_idle", session_idle),
        ("session_max", session_max),
    ];
    let mut ok = true;
    for w in order.windows(2) {
        let ((ka, a_d), (kb, b_d)) = (w[0], w[1]);
        if a_d > b_d {
            ok = false;
            cx.err(
                Diagnostic::spanned(
                    &codes::P1022,
                    a.key_span(ka).unwrap_or(v.span()),
                    format!("`{ka}` is longer than `{kb}`"),
                )
                .with_secondary(
                    a.key_span(kb).unwrap_or(v.span()),
                    format!("`{kb}` is shorter"),
                )
                .with_help(
                    "token lifespans must satisfy `access` ≤ `session_idle` ≤ `session_max`",
                ),
            );
        }
    }
    ok.then_some(Tokens {
        access,
        session_idle,
        session_max,
    })
}

/// `kubernetes_rbac = { ROLE = CLUSTER_ROLE | { role = CLUSTER_ROLE, namespaces = [...] } }`.
fn kubernetes_rbac(
    cx: &mut Cx,
    syms: &mut Symbols,
    v: &Value,
    all_roles: &BTreeSet<&str>,
) -> BTreeMap<Name, RbacBinding> {
    let mut out = BTreeMap::new();
    let Some(entries) = cx.map(v) else {
        return out;
    };
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for e in entries {
        let role = e.key.text.as_str();
        if let Some(first) = seen.get(role) {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1010,
                    e.key.span,
                    format!("role `{role}` is mapped twice in `kubernetes_rbac`"),
                )
                .with_secondary(*first, "first mapped here")
                .with_help("map each role once; use `namespaces` for several namespaces"),
            );
            continue;
        }
        seen.insert(role, e.key.span);
        if !all_roles.contains(role) {
            cx.err(
                Diagnostic::spanned(&codes::P1008, e.key.span, format!("unknown role `{role}`"))
                    .with_label("no realm declares a role of this name")
                    .with_did_you_mean(role, all_roles.iter().copied()),
            );
        }
        let binding = match &e.value {
            Value::Map { entries, span } => {
                let ba = Attrs::new(
                    cx,
                    format!("the mapping of `{role}`"),
                    *span,
                    entries,
                    &["role", "namespaces"],
                );
                let cluster_role = ba.req(cx, "role").and_then(|v| cluster_role(cx, v));
                let namespaces = ba
                    .req(cx, "namespaces")
                    .map(|v| {
                        let nss = cx.names(v);
                        if nss.is_empty() && matches!(v, Value::List { items, .. } if items.is_empty())
                        {
                            cx.err(
                                Diagnostic::spanned(&codes::P1006, v.span(), "`namespaces` is empty")
                                    .with_help("name the namespaces, or map the role to a cluster role directly: `ROLE = view`"),
                            );
                        }
                        let mut out: Vec<Name> = Vec::new();
                        for (ns, span) in nss {
                            syms.refer(Kind::Namespace, &ns, span);
                            if !out.contains(&ns) {
                                out.push(ns);
                            }
                        }
                        out
                    })
                    .unwrap_or_default();
                cluster_role.map(|cluster_role| RbacBinding {
                    cluster_role,
                    namespaces,
                    span: e.key.span,
                })
            }
            other => cluster_role(cx, other).map(|cluster_role| RbacBinding {
                cluster_role,
                namespaces: vec![],
                span: e.key.span,
            }),
        };
        if let Some(b) = binding {
            out.insert(Name::new(role), b);
        }
    }
    out
}

/// A ClusterRole name: `cluster-admin`, `edit`, `view`, or one of yours
/// (`system:aggregate-to-edit` style names included).
fn cluster_role(cx: &mut Cx, v: &Value) -> Option<Name> {
    let (text, span) = cx.word(v, "a cluster role", Numbers::No, None)?;
    let ok = !text.is_empty()
        && text.len() <= 253
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'));
    if !ok {
        cx.err(
            Diagnostic::spanned(
                &codes::P1013,
                span,
                format!("`{text}` is not a valid cluster role name"),
            )
            .with_help(
                "name a ClusterRole: `cluster-admin`, `admin`, `edit`, `view`, or one of yours",
            ),
        );
        return None;
    }
    Some(Name::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_parse() {
        assert!(parse_permission("sbom:read", false).is_some());
        assert!(parse_permission("vulnerabilities:*", true).is_some());
        assert!(parse_permission("vulnerabilities:*", false).is_none());
        assert!(parse_permission("sbom-read", false).is_none());
        assert!(parse_permission("sbom:read:all", false).is_none());
        assert!(parse_permission(":read", false).is_none());
    }

    use crate::test_support::{codes, has};

    const SECRET: &str = "secrets {
  store aws { kind = aws_secrets_manager, region = \"us-gov-west-1\" }
  secret corp-idp { namespace = keycloak, store = aws, keys = { \"client-secret\" = \"corp/idp\" } }
}
";

    #[test]
    fn realms_are_checked() {
        let d = codes(&format!(
            "identity {{
  realm optimal {{
    issuer      = \"https://auth.optimal.io/realms/other\"
    mfa         = {{ required_for = [platform-admn] }}
    password    = {{ min_length = 6, history = 24 }}
    brute_force = {{ max_failures = 0, lockout = 15m }}
    tokens      = {{ access = 1h, session_idle = 30m, session_max = 8h }}
    permissions = [vulnerabilities:read, sbom-read, sbom:read, sbom:read, agents:*]
    role platform-admin {{ grants = [*] }}
    role tenant-admin   {{ grants = [vulns:*, sbom:write], includes = [developer] }}
    role developer      {{ grants = [vulnerabilities:read], includes = [viewer] }}
    role viewer         {{ grants = [sbom:read], includes = [tenant-admin] }}
    role auditor        {{ includes = [auditor] }}
    group admins {{ roles = [platform-admin, nobody] }}
    mapper subject {{ claim = \"sub\", source = roles }}
  }}
  kubernetes_rbac = {{ platform-admin = cluster-admin, developr = edit,
                      viewer = {{ role = view, namespaces = [optimal-sytem] }} }}
}}
{SECRET}"
        ));
        for (code, text) in [
            ("P1022", "\"https://auth.optimal.io/realms/other\""),
            ("P1008", "platform-admn"),
            ("P1020", "6"),
            ("P1020", "0"),
            ("P1022", "access"),
            ("P1019", "sbom-read"),
            ("P1004", "sbom:read"),
            ("P1019", "agents:*"),
            ("P1023", "vulns:*"),
            ("P1023", "sbom:write"),
            ("P6001", "developer"),
            ("P6001", "auditor"),
            ("P1008", "nobody"),
            ("P6004", "\"sub\""),
            ("P1008", "developr"),
            ("P1008", "optimal-sytem"),
            ("P6005", "platform-admin"),
        ] {
            assert!(has(&d, code, text), "{code} {text}: {d:?}");
        }
        // One report per cycle, not one per role on it.
        assert_eq!(
            d.iter().filter(|(c, _, _)| *c == "P6001").count(),
            2,
            "{d:?}"
        );
        // What the targets need: no API client for the permissions, RBAC without
        // `target { oidc }` and through `edit`, and the unmapped roles.
        for (code, n) in [
            ("P6006", 1),
            ("P6011", 1),
            ("P6008", 1),
            ("P6009", 3),
            ("P6012", 2),
        ] {
            let found = d.iter().filter(|(c, _, _)| *c == code).count();
            assert_eq!(found, n, "{code}: {d:?}");
        }
        assert_eq!(d.len(), 25, "{d:?}");
    }

    #[test]
    fn clients_and_federations_are_checked() {
        let d = codes(&format!(
            "identity {{
  realm optimal {{
    issuer = \"https://auth.optimal.io/realms/optimal\"
    client portal {{ access = public, pkce = false, secret = secrets.corp-idp,
                    redirect_uris = [\"http://portal.optimal.io/*\", \"https://*.optimal.io/cb\", \"/relative\", \"http://localhost:3000/cb\"],
                    web_origins = [\"*\", \"https://portal.optimal.io/path\", \"+\", \"https://portal.optimal.io\"] }}
    client spa {{ access = public }}
    client backend {{ access = confidential }}
    client api-gateway {{ access = bearer_only, redirect_uris = [\"https://x.optimal.io/\"] }}
    federation corporate {{ protocol = oidc, issuer = \"https://login.example.com\", client_secret = \"q8Zr3vN1xT5bW0kLm2Yp\" }}
    federation partner {{ protocol = saml, issuer = \"https://idp.partner.example\", client_secret = secrets.corp-idp }}
    federation other {{ protocol = oidc, issuer = \"https://idp.other.example\", client_secret = secrets.corp-ipd }}
  }}
}}
{SECRET}"
        ));
        for (code, text) in [
            ("P6002", "pkce"),
            ("P1022", "secret"),
            ("P6003", "\"http://portal.optimal.io/*\""),
            ("P6003", "\"https://*.optimal.io/cb\""),
            ("P6003", "\"/relative\""),
            ("P6003", "\"*\""),
            ("P6003", "\"https://portal.optimal.io/path\""),
            ("P1006", "spa"),
            ("P6002", "spa"),
            ("P1006", "backend"),
            ("P1022", "redirect_uris"),
            ("P1024", "\"q8Zr3vN1xT5bW0kLm2Yp\""),
            ("P1022", "client_secret"),
            ("P1008", "secrets.corp-ipd"),
            ("P1006", "corporate"),
            ("P1006", "other"),
        ] {
            assert!(has(&d, code, text), "{code} {text}: {d:?}");
        }
        // Each OIDC federation needs its three endpoints; SAML is not emitted.
        let count = |code: &str| d.iter().filter(|(c, _, _)| *c == code).count();
        assert_eq!(count("P1006"), 2 + 6, "{d:?}");
        assert_eq!(count("P6007"), 1, "{d:?}");
        assert_eq!(d.len(), 21, "{d:?}");
    }

    #[test]
    fn the_sketch_identity_builds_the_ir() {
        let text = include_str!("../../../tests/syntax/language-sketch.posture");
        let mut sources = diagnostics::Sources::new();
        let id = sources.add("case.posture", text);
        let (ast, _) = syntax::parse(id, text);
        let Some(ast) = ast else {
            panic!("the sketch does not parse")
        };
        let items: Vec<crate::Top<'_>> = ast
            .items
            .iter()
            .filter(|i| i.keyword.text == "identity")
            .map(|item| crate::Top { item, bundle: None })
            .collect();
        let mut cx = Cx::new();
        let mut syms = Symbols::default();
        let idn = identity(&mut cx, &mut syms, &items);
        // Warnings only: the sketch's roles grant wildcards without `admin = true` (P6012).
        assert!(
            cx.diags.iter().all(|d| d.code.id == "P6012"),
            "{:?}",
            cx.diags
        );
        let realm = &idn.realms[&Name::new("optimal")];
        let perms = |r: &str| -> Vec<String> {
            realm.roles[&Name(r.into())]
                .permissions
                .iter()
                .map(|p| p.to_string())
                .collect()
        };
        assert_eq!(perms("platform-admin").len(), 6);
        assert_eq!(
            perms("tenant-admin"),
            [
                "vulnerabilities:read",
                "vulnerabilities:write",
                "sbom:read",
                "sbom:write",
                "agents:manage"
            ]
        );
        assert_eq!(perms("viewer"), ["vulnerabilities:read", "sbom:read"]);
        let portal = &realm.clients[&Name::new("portal")];
        assert_eq!(portal.access, ClientAccess::Public);
        assert!(portal.pkce);
        assert_eq!(
            realm.federations[&Name::new("corporate")].client_secret,
            Some(Name::new("corp-idp"))
        );
        let t = realm
            .tokens
            .as_ref()
            .map(|t| (t.access.0, t.session_idle.0, t.session_max.0));
        assert_eq!(t, Some((300, 1800, 28_800)));
        let rbac = &idn.kubernetes_rbac;
        assert_eq!(
            rbac[&Name::new("platform-admin")].cluster_role.0,
            "cluster-admin"
        );
        assert_eq!(
            rbac[&Name::new("developer")].namespaces,
            [Name::new("optimal-system")]
        );
    }

    #[test]
    fn privileged_roles_need_mfa() {
        let d = codes(
            "identity {
  realm optimal {
    issuer      = \"https://auth.optimal.io/realms/optimal\"
    mfa         = { required_for = [tenant-admin] }
    permissions = [sbom:read, sbom:write]
    role platform-admin { grants = [*] }
    role ops            { includes = [platform-admin] }
    role cluster-ops    { grants = [sbom:read] }
    role tenant-admin   { grants = [sbom:read, sbom:write] }
    role viewer         { grants = [sbom:read] }
  }
  kubernetes_rbac = { cluster-ops = cluster-admin, viewer = { role = cluster-admin, namespaces = [optimal-system] } }
}
",
        );
        for text in ["platform-admin", "ops", "cluster-ops"] {
            assert!(has(&d, "P6005", text), "{text}: {d:?}");
        }
        assert_eq!(
            d.iter().filter(|(c, _, _)| *c == "P6005").count(),
            3,
            "{d:?}"
        );
    }
}
