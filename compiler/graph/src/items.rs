//! From the IR to the graph's items: one [`Item`] per posture item, with a stable id, its
//! `file:line`, and its control mappings (declared `satisfies`, the standard library's rows and
//! the built-in constructs' defaults).

use std::collections::{BTreeMap, BTreeSet};

use controls::{Catalog, ControlRef};
use diagnostics::{Sources, Span};
use ir::Action;
use ir::admission::Admission;
use ir::controls::ControlSelector;
use ir::network::{Direction, MtlsMode, PodSecurityLevel};
use ir::system::AuditLevel;
use ir::{Block, Meta, Posture, SmolStr};

use crate::defaults::{self, Construct};
use crate::itemmap::ItemMap;
use crate::model::{
    Declaration, Enforcement, ExceptionFacts, Item, ItemId, ItemKind, Location, MappingSource,
    Mappings,
};

/// Every item of the posture, keyed by id. Two items can never share an id: ids follow the
/// language's own uniqueness rules, and the rare duplicate (two identical `inherited`
/// statements) gets a `#2` suffix.
pub(crate) fn collect(p: &Posture, sources: &Sources, catalog: &Catalog) -> ItemMap {
    // The blocks that can have many items, counted to reserve their room once (the rest is
    // small): a vector that outgrows its room doubles, and at 10,000 workloads the 1,000
    // admission and 1,000 runtime rules past the network's 55,000 items made it 111,000 items
    // (45 MB) long.
    let a = &p.admission;
    let many = p.namespaces.len()
        + p.workloads.len()
        + p.network.default_deny.len()
        + p.network.intents.len()
        + p.ingresses.len()
        + a.uses.len()
        + a.validate.len()
        + a.mutate.len()
        + a.generate.len()
        + a.verify_images.len()
        + p.runtime.uses.len()
        + p.runtime.rules.len()
        + p.identity
            .realms
            .values()
            .map(|r| r.roles.len() + r.clients.len() + r.groups.len() + r.mappers.len())
            .sum::<usize>()
        + p.identity.kubernetes_rbac.len()
        + p.secrets.secrets.len()
        + p.exceptions.len();
    let mut c = Collector {
        sources,
        catalog,
        out: ItemMap::with_capacity(many + 256),
        defaults: BTreeMap::new(),
    };
    c.system(p);
    c.network(p);
    c.admission(&p.admission);
    c.runtime(p);
    c.identity(p);
    c.secrets(p);
    c.audit(p);
    c.exceptions(p);
    c.controls(p);
    c.limit_encryption_in_transit(p);
    c.out.sort();
    c.out
}

struct Collector<'a> {
    sources: &'a Sources,
    catalog: &'a Catalog,
    out: ItemMap,
    /// The default mappings of each list of constructs, built once and shared by every item
    /// that has only them.
    defaults: BTreeMap<Vec<Construct>, Mappings>,
}

/// An item's controls, each with why it maps to it, as they are built.
type MappingMap = BTreeMap<ControlRef, BTreeSet<MappingSource>>;

/// The mappings the built-in constructs' rows give.
fn default_mappings(constructs: &[Construct]) -> MappingMap {
    let mut mappings = MappingMap::new();
    for construct in constructs {
        for row in construct.rows() {
            if let Some(id) = row.control_id() {
                mappings
                    .entry(ControlRef::Nist(id))
                    .or_default()
                    .insert(MappingSource::Default {
                        construct: *construct,
                        rationale: std::borrow::Cow::Borrowed(row.rationale),
                        strength: row.strength,
                    });
            }
        }
    }
    mappings
}

/// The `file:line` of a span, when its file is known.
pub(crate) fn locate(sources: &Sources, span: Span) -> Option<Location> {
    let file = sources.get(span.file)?;
    Some(Location {
        file: SmolStr::new(&file.path),
        line: file.line(span.start as usize),
    })
}

impl Collector<'_> {
    /// Encryption in transit holds only where every declared flow is encrypted: while a flow
    /// enters or leaves the mesh in plaintext (`ir::network::plaintext_hops`, P4010), every
    /// mapping to SC-8 and SC-8(1) supports the control instead of satisfying it, with the
    /// flows named.
    fn limit_encryption_in_transit(&mut self, p: &Posture) {
        let hops = ir::network::plaintext_hops(p);
        if hops.is_empty() {
            return;
        }
        let flows: Vec<String> = hops.iter().map(|i| format!("allow {}", i.flow())).collect();
        let reason = format!(
            "declared flows cross the mesh's edge in plaintext: {}",
            flows.join("; ")
        );
        let limited: Vec<ControlRef> = ["SC-8", "SC-8(1)"]
            .iter()
            .filter_map(|c| c.parse().ok())
            .map(ControlRef::Nist)
            .collect();
        for item in self.out.values_mut() {
            for c in &limited {
                if !item.mappings.contains_key(c) {
                    continue;
                }
                if let Some(sources) = item.mappings.make_mut().get_mut(c) {
                    sources.insert(MappingSource::Limited {
                        reason: reason.clone(),
                    });
                }
            }
        }
    }

    /// Adds an item with its declared `satisfies` and the constructs' defaults.
    fn add(
        &mut self,
        id: ItemId,
        kind: ItemKind,
        label: impl Into<SmolStr>,
        meta: Option<&Meta>,
        constructs: &[Construct],
    ) -> &mut Item {
        let mut id = id;
        let label = label.into();
        if self.out.contains_key(&id) {
            let mut n = 2;
            let base = id.clone();
            let numbered = |n: u32| ItemId::new(base.block, format!("{} #{n}", base.name));
            while self.out.contains_key(&numbered(n)) {
                n += 1;
            }
            id = numbered(n);
        }
        let mut mappings: BTreeMap<ControlRef, BTreeSet<MappingSource>> = BTreeMap::new();
        let bundle = meta.and_then(|m| m.bundle.clone());
        if let Some(m) = meta {
            let name = label.rsplit(' ').next().unwrap_or_default();
            let declared = m
                .satisfies
                .iter()
                .map(|c| (c, MappingSource::Declared))
                .chain(
                    m.supports
                        .iter()
                        .map(|c| (c, MappingSource::DeclaredSupports)),
                );
            for (c, declared) in declared {
                let source = match (&bundle, c.as_nist()) {
                    // The table's row counts only when its strength is the list's: a bundle
                    // that says `supports` where the table says satisfies (or the reverse)
                    // has no reviewed row, and a test reports it.
                    (Some(b), Some(nist)) => match defaults::stdlib_row(b, name, nist)
                        .filter(|r| r.strength == declared.strength())
                    {
                        Some(r) => MappingSource::Stdlib {
                            rationale: std::borrow::Cow::Borrowed(r.rationale),
                            strength: r.strength,
                        },
                        None => declared,
                    },
                    _ => declared,
                };
                mappings.entry(*c).or_default().insert(source);
            }
        }
        let mappings: Mappings = if mappings.is_empty() {
            // Only the constructs' defaults: the same map for every item of these constructs,
            // built once and shared (at 50,000 network intents, parsing the rows' control ids
            // and building each map was a third of collecting the items, and a copy per item
            // was a map node and a set node per control).
            match self.defaults.get(constructs) {
                Some(m) => m.clone(),
                None => self
                    .defaults
                    .entry(constructs.to_vec())
                    .or_insert_with(|| default_mappings(constructs).into())
                    .clone(),
            }
        } else {
            for (c, source) in default_mappings(constructs) {
                mappings.entry(c).or_default().extend(source);
            }
            mappings.into()
        };
        let span = meta.map(|m| m.span);
        let item = Item {
            id,
            kind,
            label,
            location: span.and_then(|s| locate(self.sources, s)),
            span,
            bundle,
            doc: meta.and_then(|m| m.doc.clone()),
            enforcement: Enforcement::Enforce,
            mappings,
            declaration: None,
            waives: Vec::new(),
            exception: None,
        };
        self.out.push(item)
    }

    fn system(&mut self, p: &Posture) {
        let s = &p.system;
        self.add(
            ItemId::block(Block::System),
            ItemKind::System,
            format!("system {}", s.name),
            Some(&s.meta),
            &[],
        );
        self.add(
            ItemId::block(Block::Target),
            ItemKind::Target,
            "target",
            Some(&p.target.meta),
            &[],
        );
    }

    fn network(&mut self, p: &Posture) {
        for ns in p.namespaces.values() {
            // The level the emitted label enforces: an exception that waives a Pod Security
            // control lowers it (`ir::pod_security`), and the namespace then implements only
            // what the lowered level checks.
            let level = ir::pod_security::effective(p, ns).map(|e| e.labels.enforce);
            let constructs: &[Construct] = match level {
                Some(PodSecurityLevel::Restricted) => &[Construct::PodSecurityRestricted],
                Some(PodSecurityLevel::Baseline) => &[Construct::PodSecurityBaseline],
                Some(PodSecurityLevel::Privileged) | None => &[],
            };
            self.add(
                ItemId::new(Block::Namespace, &ns.name),
                ItemKind::Namespace,
                format!("namespace {}", ns.name),
                Some(&ns.meta),
                constructs,
            );
        }
        for w in p.workloads.values() {
            self.add(
                ItemId::new(Block::Workload, &w.name),
                ItemKind::Workload,
                format!("workload {}", w.name),
                Some(&w.meta),
                &[],
            );
        }
        for d in &p.network.default_deny {
            let both = d.directions.contains(&Direction::Ingress)
                && d.directions.contains(&Direction::Egress);
            let construct = if both {
                Construct::DefaultDenyBoth
            } else {
                Construct::DefaultDenyOneDirection
            };
            self.add(
                d.id(),
                ItemKind::DefaultDeny,
                format!("default_deny {}", d.namespace),
                Some(&d.meta),
                &[construct],
            );
        }
        // Implied flows (the mesh's) are the implying item's: their policies attach to it.
        for i in p.network.intents.iter().filter(|i| i.implied_by.is_none()) {
            // The id is worked out once for every phase (`Intent::id_ref`); an unnamed TCP
            // intent's id is its label, so its flow is not written again.
            let id = i.id();
            let label = if i.name.is_none() && i.protocol == ir::Protocol::Tcp {
                id.name.0.clone()
            } else {
                format!("allow {}", i.flow()).into()
            };
            self.add(
                id,
                ItemKind::Intent,
                label,
                Some(&i.meta),
                &[Construct::AllowIntent],
            );
        }
        for ing in p.ingresses.values() {
            self.add(
                ItemId::new(Block::Ingress, &ing.name),
                ItemKind::Ingress,
                format!("ingress {}", ing.name),
                Some(&ing.meta),
                &[Construct::IngressTls],
            );
        }
        if let Some(m) = &p.mesh {
            let constructs: &[Construct] = match m.mtls {
                MtlsMode::Strict => &[Construct::MeshStrictMtls],
                MtlsMode::Permissive => &[],
            };
            self.add(
                ItemId::block(Block::Mesh),
                ItemKind::Mesh,
                "mesh",
                Some(&m.meta),
                constructs,
            );
        }
    }

    fn admission(&mut self, a: &Admission) {
        for u in &a.uses {
            let item = self.add(
                ItemId::new(Block::Admission, format!("use std.{}", u.bundle)),
                ItemKind::BundleUse,
                format!("use std.{}", u.bundle),
                Some(&u.meta),
                &[],
            );
            // The `use` names the bundle it pulls in; it is the user's statement, not the
            // bundle's.
            item.bundle = None;
        }
        for v in a.validate.values() {
            let item = self.add(
                ItemId::new(Block::Admission, &v.name),
                ItemKind::Validate,
                format!("validate {}", v.name),
                Some(&v.meta),
                &[],
            );
            item.enforcement = enforcement(v.action);
        }
        for m in a.mutate.values() {
            self.add(
                ItemId::new(Block::Admission, &m.name),
                ItemKind::Mutate,
                format!("mutate {}", m.name),
                Some(&m.meta),
                &[],
            );
        }
        for g in a.generate.values() {
            self.add(
                ItemId::new(Block::Admission, &g.name),
                ItemKind::Generate,
                format!("generate {}", g.name),
                Some(&g.meta),
                &[Construct::GenerateDefaultDeny],
            );
        }
        for v in a.verify_images.values() {
            let constructs: &[Construct] = match v.action {
                Action::Enforce => &[Construct::VerifyImages],
                Action::Audit => &[],
            };
            let item = self.add(
                ItemId::new(Block::Admission, &v.name),
                ItemKind::VerifyImages,
                format!("verify_images {}", v.name),
                Some(&v.meta),
                constructs,
            );
            item.enforcement = enforcement(v.action);
        }
    }

    fn runtime(&mut self, p: &Posture) {
        let r = &p.runtime;
        for u in &r.uses {
            let item = self.add(
                ItemId::new(Block::Runtime, format!("use std.{}", u.bundle)),
                ItemKind::RuleSet,
                format!("use std.{}", u.bundle),
                Some(&u.meta),
                &[],
            );
            item.bundle = None;
        }
        for rule in r.rules.values() {
            let constructs: &[Construct] = if rule.enabled {
                &[Construct::RuntimeRule]
            } else {
                &[]
            };
            let item = self.add(
                ItemId::new(Block::Runtime, &rule.name),
                ItemKind::Rule,
                format!("rule {}", rule.name),
                Some(&rule.meta),
                constructs,
            );
            if !rule.enabled {
                item.enforcement = Enforcement::Disabled;
            }
        }
        for prof in r.profiles.values() {
            self.add(
                ItemId::new(Block::Runtime, format!("profile {}", prof.workload)),
                ItemKind::Profile,
                format!("profile {}", prof.workload),
                Some(&prof.meta),
                &[Construct::RuntimeProfile],
            );
        }
    }

    fn identity(&mut self, p: &Posture) {
        for realm in p.identity.realms.values() {
            let mut constructs = vec![Construct::Realm];
            let roles: BTreeSet<&ir::Name> = realm.roles.keys().collect();
            let mfa: BTreeSet<&ir::Name> = realm.mfa_required_for.iter().collect();
            if !mfa.is_empty() {
                if !roles.is_empty() && roles.is_subset(&mfa) {
                    constructs.push(Construct::RealmMfaAll);
                } else {
                    constructs.push(Construct::RealmMfaSome);
                }
            }
            if realm.password.is_some() {
                constructs.push(Construct::RealmPassword);
            }
            if realm.brute_force.is_some() {
                constructs.push(Construct::RealmBruteForce);
            }
            if realm.tokens.is_some() {
                constructs.push(Construct::RealmTokens);
            }
            let r = &realm.name;
            self.add(
                ItemId::new(Block::Identity, r),
                ItemKind::Realm,
                format!("realm {r}"),
                Some(&realm.meta),
                &constructs,
            );
            for x in realm.roles.values() {
                self.add(
                    ItemId::new(Block::Identity, format!("{r}.role.{}", x.name)),
                    ItemKind::Role,
                    format!("role {}", x.name),
                    Some(&x.meta),
                    &[],
                );
            }
            for x in realm.clients.values() {
                self.add(
                    ItemId::new(Block::Identity, format!("{r}.client.{}", x.name)),
                    ItemKind::Client,
                    format!("client {}", x.name),
                    Some(&x.meta),
                    &[],
                );
            }
            for x in realm.federations.values() {
                self.add(
                    ItemId::new(Block::Identity, format!("{r}.federation.{}", x.name)),
                    ItemKind::Federation,
                    format!("federation {}", x.name),
                    Some(&x.meta),
                    &[],
                );
            }
            for x in realm.groups.values() {
                self.add(
                    ItemId::new(Block::Identity, format!("{r}.group.{}", x.name)),
                    ItemKind::Group,
                    format!("group {}", x.name),
                    Some(&x.meta),
                    &[],
                );
            }
            for x in realm.mappers.values() {
                self.add(
                    ItemId::new(Block::Identity, format!("{r}.mapper.{}", x.name)),
                    ItemKind::Mapper,
                    format!("mapper {}", x.name),
                    Some(&x.meta),
                    &[],
                );
            }
        }
        for (role, binding) in &p.identity.kubernetes_rbac {
            let mut constructs = vec![Construct::RbacBinding];
            if !binding.namespaces.is_empty() {
                constructs.push(Construct::RbacNamespaced);
            }
            self.add(
                ItemId::new(Block::Identity, format!("kubernetes_rbac.{role}")),
                ItemKind::RbacBinding,
                format!("kubernetes_rbac {role} = {}", binding.cluster_role),
                None,
                &constructs,
            );
        }
    }

    fn secrets(&mut self, p: &Posture) {
        for s in p.secrets.stores.values() {
            self.add(
                ItemId::new(Block::Secrets, format!("store.{}", s.name)),
                ItemKind::Store,
                format!("store {}", s.name),
                Some(&s.meta),
                &[],
            );
        }
        for s in p.secrets.secrets.values() {
            let mut constructs = vec![Construct::SecretFromStore];
            if s.rotate.is_some() {
                constructs.push(Construct::SecretRotated);
            }
            self.add(
                ItemId::new(Block::Secrets, &s.name),
                ItemKind::Secret,
                format!("secret {}", s.name),
                Some(&s.meta),
                &constructs,
            );
        }
        if p.secrets.at_rest.is_some() {
            self.add(
                ItemId::new(Block::Secrets, "encryption"),
                ItemKind::EncryptionAtRest,
                "encryption at_rest",
                None,
                &[Construct::EncryptionAtRest],
            );
        }
    }

    fn audit(&mut self, p: &Posture) {
        let Some(a) = &p.audit else { return };
        let mut constructs = Vec::new();
        if a.level != AuditLevel::None {
            constructs.push(Construct::AuditPolicy);
        }
        if a.level >= AuditLevel::Request {
            constructs.push(Construct::AuditRequestBodies);
        }
        self.add(
            ItemId::block(Block::Audit),
            ItemKind::Audit,
            "audit",
            Some(&a.meta),
            &constructs,
        );
        for r in &a.rules {
            self.add(
                ItemId::new(Block::Audit, format!("rule.{}", r.name)),
                ItemKind::AuditRule,
                format!("rule {}", r.name),
                Some(&r.meta),
                &[],
            );
        }
    }

    fn exceptions(&mut self, p: &Posture) {
        for e in p.exceptions.values() {
            let mut scope: Vec<String> = e
                .scope
                .namespaces
                .iter()
                .map(|n| format!("namespace {n}"))
                .chain(e.scope.workloads.iter().map(|w| format!("workload {w}")))
                .collect();
            scope.sort();
            let facts = ExceptionFacts {
                owner: e.owner.clone(),
                ticket: e.ticket.clone(),
                expires: e.expires.to_string(),
                scope,
            };
            let waives: Vec<ItemId> = e.waive.to_vec();
            let item = self.add(
                ItemId::new(Block::Exception, &e.name),
                ItemKind::Exception,
                format!("exception {}", e.name),
                Some(&e.meta),
                &[],
            );
            item.waives = waives;
            item.exception = Some(Box::new(facts));
        }
    }

    fn controls(&mut self, p: &Posture) {
        let c = &p.controls;
        for inh in &c.inherited {
            let set = self.expand(&inh.controls);
            let item = self.add(
                ItemId::new(
                    Block::Controls,
                    format!("inherited {}", selectors(&inh.controls)),
                ),
                ItemKind::Inherited,
                format!(
                    "inherited [{}] from {}",
                    selectors(&inh.controls),
                    inh.provider
                ),
                Some(&inh.meta),
                &[],
            );
            item.declaration = Some(Box::new((
                Declaration::Inherited {
                    provider: inh.provider.clone(),
                },
                set,
            )));
        }
        for pr in c.processes.values() {
            let set = self.expand(&pr.controls);
            let item = self.add(
                ItemId::new(Block::Controls, format!("process.{}", pr.name)),
                ItemKind::Process,
                format!("process {}", pr.name),
                Some(&pr.meta),
                &[],
            );
            item.declaration = Some(Box::new((
                Declaration::Process {
                    name: pr.name.to_string(),
                    evidence: pr.evidence.0.clone(),
                    every: duration(pr.every),
                    owner: pr.owner.clone(),
                },
                set,
            )));
        }
        for na in &c.not_applicable {
            // A control that does not apply takes its enhancements with it.
            let mut set = self.expand(&na.controls);
            let bases: Vec<controls::ControlId> = set.iter().filter_map(|c| c.as_nist()).collect();
            for base in bases.into_iter().filter(|b| !b.is_enhancement()) {
                let pattern = controls::ControlPattern::Enhancements(base);
                if let Ok(ids) = self.catalog.expand(&pattern) {
                    set.extend(ids.into_iter().map(ControlRef::Nist));
                }
            }
            let item = self.add(
                ItemId::new(
                    Block::Controls,
                    format!("not_applicable {}", selectors(&na.controls)),
                ),
                ItemKind::NotApplicable,
                format!("not_applicable [{}]", selectors(&na.controls)),
                Some(&na.meta),
                &[],
            );
            item.declaration = Some(Box::new((
                Declaration::NotApplicable {
                    reason: na.reason.clone(),
                },
                set,
            )));
        }
        // `satisfies` on a `controls { … }` statement is not meaningful: the statement is the
        // declaration. Drop such mappings so they are not reported as claims.
        for item in self.out.values_mut() {
            if item.declaration.is_some() && !item.mappings.is_empty() {
                item.mappings = Mappings::default();
            }
        }
    }

    /// The controls a list of selectors names, patterns expanded over the catalog. Patterns the
    /// catalog cannot expand were reported by the checker.
    fn expand(&self, list: &[ControlSelector]) -> BTreeSet<ControlRef> {
        let mut out = BTreeSet::new();
        for s in list {
            match s {
                ControlSelector::One(c) => {
                    out.insert(*c);
                }
                ControlSelector::Pattern(p) => {
                    if let Ok(ids) = self.catalog.expand(p) {
                        out.extend(ids.into_iter().map(ControlRef::Nist));
                    }
                }
            }
        }
        out
    }
}

fn enforcement(a: Action) -> Enforcement {
    match a {
        Action::Enforce => Enforcement::Enforce,
        Action::Audit => Enforcement::AuditOnly,
    }
}

fn selectors(list: &[ControlSelector]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A duration as the language writes it, in the largest unit that divides it (`90d`, `1y`).
pub(crate) fn duration(d: ir::Duration) -> String {
    let s = d.seconds();
    for (unit, secs) in [
        ("y", 31_536_000u64),
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3600),
        ("m", 60),
    ] {
        if s >= secs && s.is_multiple_of(secs) {
            return format!("{}{unit}", s / secs);
        }
    }
    format!("{s}s")
}
