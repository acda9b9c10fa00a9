//! Target `kyverno/`: the `admission` block as Kyverno policies, and the exceptions that waive
//! admission items as Kyverno PolicyExceptions.
//!
//! Two back ends, one per Kyverno API ([`Api`]):
//!
//! - [`Api::Cel`] (Kyverno ≥ 1.17, the default): `policies.kyverno.io/v1` ValidatingPolicy,
//!   MutatingPolicy, GeneratingPolicy, ImageValidatingPolicy and PolicyException
//!   ([`celpol`]).
//! - [`Api::ClusterPolicy`] (older clusters): `kyverno.io/v1` ClusterPolicy with one rule each,
//!   and `kyverno.io/v2` PolicyException ([`clusterpolicy`]).
//!
//! Files (one document each):
//!
//! | path | what |
//! | --- | --- |
//! | `kyverno/<item>.yaml` | the policy of one `validate`, `mutate`, `generate` or `verify_images` item (bundle items included), named like the item |
//! | `kyverno/exceptions/<exception>.yaml` | the PolicyException of one exception that waives admission items |
//!
//! Every policy carries Kyverno's `policies.kyverno.io/{title,category,severity,subject,description}`
//! annotations, `posture.dev/source` (the posture item) and, when it says `satisfies`,
//! `posture.dev/controls`. Which IR feature becomes what, in each back end, is in the README.

pub mod celpol;
pub mod clusterpolicy;
pub mod generate;
pub mod kinds;
pub mod model;
pub mod scope;

use emit::k8s::ObjectMeta;
use emit::{Artifact, CONTROLS_ANNOTATION, Origin, Role, SOURCE_ANNOTATION, TargetId};
use ir::system::Version;
use ir::{Block, ItemId, Meta, Name, Posture};

/// This target: the `kyverno/` folder.
pub const TARGET: TargetId = TargetId("kyverno");

/// Where every file of the target goes.
pub const DIR: &str = "kyverno/";
/// Where the PolicyExceptions go.
pub const EXCEPTIONS_DIR: &str = "kyverno/exceptions/";
/// The namespace PolicyExceptions are created in (Kyverno's own, where the
/// `--exceptionNamespace` flag usually points).
pub const EXCEPTION_NAMESPACE: &str = "kyverno";

/// Which Kyverno API the policies are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `policies.kyverno.io/v1` CEL policy kinds (Kyverno ≥ 1.17).
    Cel,
    /// `kyverno.io/v1` ClusterPolicy (deprecated in 1.17, still what most clusters run).
    ClusterPolicy,
}

/// The first Kyverno release whose CEL policy kinds are `v1`.
pub const CEL_SINCE: Version = Version {
    major: 1,
    minor: 17,
};

/// The API for the target's Kyverno version: CEL kinds from 1.17 on, and when no version is
/// given; ClusterPolicy before.
pub fn default_api(target_kyverno: Option<&Version>) -> Api {
    match target_kyverno {
        Some(v) if *v < CEL_SINCE => Api::ClusterPolicy,
        _ => Api::Cel,
    }
}

/// Every file of the target, sorted by path.
pub fn emit(p: &Posture, api: Api) -> Vec<Artifact> {
    let mut out = match api {
        Api::Cel => celpol::emit(p),
        Api::ClusterPolicy => clusterpolicy::emit(p),
    };
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// How one back end lowers each kind of admission item (and an exception) to a document.
/// The target's proofs: what the chosen back end refuses to write exactly. The ClusterPolicy
/// back end cannot express every exception condition as PolicyException conditions; those
/// exceptions are refused (P3012) rather than written wider. The proof verifies no artifact,
/// so it never becomes a check in the control graph; its errors stop the build.
pub fn verify(p: &Posture, api: Api, _artifacts: &[Artifact]) -> Vec<emit::Proof> {
    let diagnostics = match api {
        Api::ClusterPolicy => clusterpolicy::refusals(p),
        Api::Cel => Vec::new(),
    };
    vec![emit::Proof {
        id: "kyverno-exact-exceptions",
        title: "every PolicyException is exactly as wide as the posture's exception",
        verifies: Vec::new(),
        diagnostics,
    }]
}

pub(crate) struct Lowering<V, M, G, I, E> {
    pub validate: fn(&Posture, &ir::admission::Validate) -> V,
    pub mutate: fn(&Posture, &ir::admission::Mutate) -> M,
    pub generate: fn(&Posture, &ir::admission::Generate) -> G,
    pub verify_images: fn(&ir::admission::VerifyImages) -> I,
    /// `None` when the exception waives no admission item.
    pub exception: fn(&Posture, &ir::system::Exception) -> Option<E>,
}

/// Every file of one back end: a policy per admission item, a PolicyException per exception
/// that waives admission items.
pub(crate) fn files<V, M, G, I, E>(p: &Posture, l: &Lowering<V, M, G, I, E>) -> Vec<Artifact>
where
    V: serde::Serialize,
    M: serde::Serialize,
    G: serde::Serialize,
    I: serde::Serialize,
    E: serde::Serialize,
{
    fn policy(name: &Name, meta: &Meta, doc: &impl serde::Serialize) -> Artifact {
        Artifact::yaml(
            TARGET,
            Role::Enforcing,
            policy_path(name),
            doc,
            origin(name, meta),
            true,
        )
    }
    let a = &p.admission;
    let mut out = Vec::new();
    for v in a.validate.values() {
        out.push(policy(&v.name, &v.meta, &(l.validate)(p, v)));
    }
    for m in a.mutate.values() {
        out.push(policy(&m.name, &m.meta, &(l.mutate)(p, m)));
    }
    for g in a.generate.values() {
        out.push(policy(&g.name, &g.meta, &(l.generate)(p, g)));
    }
    for i in a.verify_images.values() {
        out.push(policy(&i.name, &i.meta, &(l.verify_images)(i)));
    }
    for e in p.exceptions.values() {
        if let Some(doc) = (l.exception)(p, e) {
            out.push(Artifact::yaml(
                TARGET,
                Role::Enforcing,
                exception_path(&e.name),
                &doc,
                exception_origin(e),
                true,
            ));
        }
    }
    out
}

/// `kyverno/<name>.yaml`.
pub(crate) fn policy_path(name: &Name) -> String {
    format!("{DIR}{name}.yaml")
}

/// `kyverno/exceptions/<name>.yaml`.
pub(crate) fn exception_path(name: &Name) -> String {
    format!("{EXCEPTIONS_DIR}{name}.yaml")
}

/// The id of an admission item.
pub(crate) fn admission_id(name: &Name) -> ItemId {
    ItemId::new(Block::Admission, name.as_str())
}

/// The id of an exception.
pub(crate) fn exception_id(e: &ir::system::Exception) -> ItemId {
    ItemId::new(Block::Exception, e.name.as_str())
}

/// The origin of an admission item.
pub(crate) fn origin(name: &Name, meta: &Meta) -> Vec<Origin> {
    vec![Origin::new(admission_id(name), meta.span)]
}

/// The origin of an exception.
pub(crate) fn exception_origin(e: &ir::system::Exception) -> Vec<Origin> {
    vec![Origin::new(exception_id(e), e.meta.span)]
}

/// What the policy annotations say about one item.
pub(crate) struct About<'a> {
    pub name: &'a Name,
    pub title: Option<&'a str>,
    pub category: &'a str,
    pub severity: &'a str,
    pub subject: String,
    /// The doc comment, else this.
    pub fallback_description: &'a str,
    pub meta: &'a Meta,
}

/// `require-team-label` → `Require Team Label`.
fn title_case(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A doc comment as one paragraph per blank-line-separated block, lines joined by spaces.
fn prose(doc: &str) -> String {
    doc.split("\n\n")
        .map(|para| para.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Metadata of a cluster-scoped policy: name, managed-by label and the annotations.
pub(crate) fn policy_metadata(a: &About<'_>) -> ObjectMeta {
    let mut m = ObjectMeta::named(a.name.as_str(), None);
    let ann = &mut m.annotations;
    let title = a
        .title
        .map(str::to_string)
        .unwrap_or_else(|| title_case(a.name.as_str()));
    ann.insert("policies.kyverno.io/title".into(), title);
    ann.insert("policies.kyverno.io/category".into(), a.category.into());
    ann.insert("policies.kyverno.io/severity".into(), a.severity.into());
    ann.insert("policies.kyverno.io/subject".into(), a.subject.clone());
    let description = a
        .meta
        .doc
        .as_deref()
        .map(prose)
        .unwrap_or_else(|| a.fallback_description.to_string());
    ann.insert("policies.kyverno.io/description".into(), description);
    if let Some(c) = emit::controls_annotation([a.meta.satisfies.as_slice()]) {
        ann.insert(CONTROLS_ANNOTATION.into(), c);
    }
    ann.insert(
        SOURCE_ANNOTATION.into(),
        emit::source_annotation([&admission_id(a.name)]),
    );
    m
}

/// Metadata of a PolicyException: owner, ticket, reason and expiry as annotations.
pub(crate) fn exception_metadata(e: &ir::system::Exception) -> ObjectMeta {
    let mut m = ObjectMeta::named(e.name.as_str(), Some(EXCEPTION_NAMESPACE.to_string()));
    let ann = &mut m.annotations;
    ann.insert("posture.dev/owner".into(), e.owner.clone());
    if let Some(t) = &e.ticket {
        ann.insert("posture.dev/ticket".into(), t.clone());
    }
    if let Some(r) = &e.reason {
        ann.insert("posture.dev/reason".into(), r.clone());
    }
    ann.insert("posture.dev/expires".into(), e.expires.to_string());
    if let Some(d) = &e.meta.doc {
        ann.insert("posture.dev/description".into(), prose(d));
    }
    if let Some(c) = emit::controls_annotation([e.meta.satisfies.as_slice()]) {
        ann.insert(CONTROLS_ANNOTATION.into(), c);
    }
    ann.insert(
        SOURCE_ANNOTATION.into(),
        emit::source_annotation([&exception_id(e)]),
    );
    m
}

/// The admission items an exception waives, in order, without duplicates.
pub(crate) fn waived(e: &ir::system::Exception) -> Vec<&Name> {
    let mut out: Vec<&Name> = e
        .waive
        .iter()
        .filter(|r| r.block == ir::Block::Admission)
        .map(|r| &r.name)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The severity annotation value.
pub(crate) fn severity(s: ir::admission::Severity) -> &'static str {
    use ir::admission::Severity::*;
    match s {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

/// `Pod`, `Pod, Service`: the kinds an item matches, for the subject annotation.
pub(crate) fn subject(kinds: &[ir::admission::ResourceKind]) -> String {
    kinds
        .iter()
        .map(|k| kinds::of(*k).kind)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;

/// The calendar day after `d` (an exception holds through its expiry date). For an expiry of
/// 9999-12-31, whose next day cannot be written, the expiry day itself: the exception ends a day
/// early rather than never (fail closed).
pub(crate) fn day_after(d: ir::Date) -> ir::Date {
    d.add_days(1).unwrap_or(d)
}
