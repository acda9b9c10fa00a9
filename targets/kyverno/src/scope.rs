//! The CEL this target builds itself: which namespaces and workloads a policy or exception
//! covers. Every expression is a `cel` tree, printed once; none is assembled from strings.
//!
//! The namespace comes from `request.namespace`, which Kyverno's autogen never rewrites. A
//! workload is its namespace plus its selector labels, and the labels are looked up wherever a
//! pod's labels can be: on a Pod (`object.metadata.labels`), on a pod template
//! (`object.spec.template.metadata.labels`: Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! Job) and on a CronJob's template. So the same condition selects the workload in a policy's
//! own match conditions, in the rules autogen derives from them (which rewrite
//! `object.metadata` to the template's), and in an exception (which autogen never touches).

use cel::Expr;
use ir::network::Workload;
use ir::{Name, Posture};

/// `request.namespace`.
fn request_namespace() -> Expr {
    Expr::ident("request").field("namespace")
}

/// `object.metadata.name`: the name of a cluster-scoped object such as a Namespace.
pub fn object_name() -> Expr {
    Expr::ident("object").field("metadata").field("name")
}

fn names(ns: &[Name]) -> Expr {
    Expr::strings(ns.iter().map(|n| n.0.clone()))
}

/// `request.namespace in ['a', 'b']`.
pub fn in_namespaces(ns: &[Name]) -> Expr {
    request_namespace().in_(names(ns))
}

/// `!(request.namespace in ['a', 'b'])`.
pub fn not_in_namespaces(ns: &[Name]) -> Expr {
    in_namespaces(ns).not()
}

/// `!(object.metadata.name in ['a', 'b'])`, for Namespace objects.
pub fn namespace_object_not_in(ns: &[Name]) -> Expr {
    object_name().in_(names(ns)).not()
}

/// The places a pod's labels can be, each closed with `orValue({})`.
fn pod_label_maps() -> Expr {
    let object = || Expr::ident("object");
    let empty = || Expr::map([]);
    Expr::list([
        object()
            .field("metadata")
            .opt_field("labels")
            .or_value(empty()),
        object()
            .opt_field("spec")
            .opt_field("template")
            .opt_field("metadata")
            .opt_field("labels")
            .or_value(empty()),
        object()
            .opt_field("spec")
            .opt_field("jobTemplate")
            .opt_field("spec")
            .opt_field("template")
            .opt_field("metadata")
            .opt_field("labels")
            .or_value(empty()),
    ])
}

/// The resource belongs to the workload: it is in the workload's namespace and carries every
/// selector label (on the pod or on its template).
pub fn workload(w: &Workload) -> Expr {
    let ns = request_namespace().eq(Expr::string(w.namespace.0.clone()));
    if w.selector.is_empty() {
        return ns;
    }
    let l = || Expr::ident("l");
    let body = Expr::all_of(w.selector.iter().map(|(k, v)| {
        Expr::string(k.0.clone()).in_(l()).and(
            l().index(Expr::string(k.0.clone()))
                .eq(Expr::string(v.0.clone())),
        )
    }));
    ns.and(pod_label_maps().exists("l", body))
}

/// Whether every workload an exception's scope names is declared. The checker refuses an
/// undeclared one (P1030); both back ends also write no PolicyException for such a scope, since
/// a scope that lost its workloads would waive the policy everywhere else in it.
pub fn workloads_declared(p: &Posture, e: &ir::system::Exception) -> bool {
    e.scope
        .workloads
        .iter()
        .all(|n| p.workloads.contains_key(n))
}

/// The resource belongs to one of the named workloads (unknown names are skipped: the checker
/// reports them).
pub fn any_workload(p: &Posture, names: &[Name]) -> Option<Expr> {
    let ws: Vec<Expr> = names
        .iter()
        .filter_map(|n| p.workloads.get(n))
        .map(workload)
        .collect();
    if ws.is_empty() {
        None
    } else {
        Some(Expr::any_of(ws))
    }
}

/// The printed form.
pub fn print(e: &Expr) -> String {
    cel::print(e)
}
