//! Name resolution and type checking: ASTs in, the IR out, every error in one run.
//!
//! The checker works in three steps: gather every top-level item by keyword (sections of the
//! same kind merge across files and standard-library bundles), check each block into its IR
//! type while recording declarations and the references they make, then resolve every
//! reference against the declarations. Converters report their own errors and return `None`,
//! so one run reports every problem.

mod admission;
mod cross;
mod cx;
mod identity;
mod network;
mod resolve;
mod runtime;
mod secret_guard;
mod secrets;
mod system;
#[cfg(test)]
mod test_support;

use cx::Cx;
use diagnostics::{Diagnostic, Diagnostics};
use resolve::Symbols;
use syntax::ast;
pub use system::EXPIRY_WARNING_DAYS;

/// One parsed file handed to the checker.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub ast: &'a ast::File,
    /// True for standard-library bundles.
    pub stdlib: bool,
}

/// Settings of the check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// "Today", for exception expiry. `None` skips the expiry check (the CLI always sets it).
    pub today: Option<ir::Date>,
}

/// A top-level item with the file it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Top<'a> {
    pub item: &'a ast::Item,
    /// The bundle name when the item comes from a standard-library bundle file.
    pub bundle: Option<&'a str>,
}

/// Checks the files and builds the IR. Returns `None` when there were errors.
pub fn check(files: &[Input<'_>], options: &Options) -> (Option<ir::Posture>, Diagnostics) {
    let mut cx = Cx::new();
    let mut syms = Symbols::default();

    // Gather top-level items by keyword, in file order (files come in a deterministic order).
    let mut by_kw: std::collections::BTreeMap<&str, Vec<Top<'_>>> =
        std::collections::BTreeMap::new();
    let mut bundles: Vec<(&ast::Item, &ast::File)> = Vec::new();
    let bundle_names: Vec<Option<String>> = files
        .iter()
        .map(|f| {
            let decl = f.ast.items.iter().find(|i| i.keyword.text == "bundle");
            match decl.and_then(|i| i.head.as_ref()) {
                Some(ast::Head::Path(p)) if f.stdlib => Some(p.dotted()),
                _ => None,
            }
        })
        .collect();
    for (f, bundle_name) in files.iter().zip(&bundle_names) {
        let bundle_name = bundle_name.as_deref();
        for item in &f.ast.items {
            if item.keyword.text == "bundle" {
                if f.stdlib {
                    bundles.push((item, f.ast));
                } else {
                    cx.err(
                        Diagnostic::spanned(
                            &diagnostics::codes::syntax::P0010,
                            item.keyword.span,
                            "`bundle` is only allowed in the standard library",
                        )
                        .with_help("declare the items directly in your posture"),
                    );
                }
                continue;
            }
            // Secrets never live in posture files: every text of the user's own files that can
            // reach an output goes through the secret guard (`secret_guard.rs`; `secrets` and
            // `identity` run it while checking, with their context).
            if !f.stdlib && !matches!(item.keyword.text.as_str(), "secrets" | "identity") {
                secrets::scan_item(&mut cx, item);
            }
            by_kw
                .entry(item.keyword.text.as_str())
                .or_default()
                .push(Top {
                    item,
                    bundle: bundle_name,
                });
        }
    }
    let get = |k: &str| by_kw.get(k).cloned().unwrap_or_default();

    let system = system::system(&mut cx, &get("system"));
    let target = system::target(&mut cx, &get("target"));
    let namespaces = network::namespaces(&mut cx, &mut syms, &get("namespace"));
    let workloads = network::workloads(&mut cx, &mut syms, &get("workload"));
    let net = network::network(&mut cx, &mut syms, &get("network"), &workloads);
    let ingresses = network::ingresses(&mut cx, &mut syms, &get("ingress"), &workloads);
    let mesh = network::mesh(&mut cx, &mut syms, &get("mesh"), &workloads);
    let admission = admission::admission(
        &mut cx,
        &mut syms,
        target.as_ref(),
        &get("admission"),
        &bundles,
    );
    let runtime = runtime::runtime(&mut cx, &mut syms, &get("runtime"));
    let secrets = secrets::secrets(&mut cx, &mut syms, &get("secrets"));
    let identity = identity::identity(&mut cx, &mut syms, &get("identity"));
    let audit = system::audit(&mut cx, &get("audit"));
    let exceptions = system::exceptions(
        &mut cx,
        &mut syms,
        &workloads,
        &admission,
        target.as_ref(),
        &get("exception"),
        options.today,
    );
    let controls = system::controls(&mut cx, &get("controls"));

    resolve::resolve(&mut cx, &syms);
    network::check_flows(&mut cx, &net, &namespaces, &workloads, target.as_ref());
    let meshed = mesh
        .as_ref()
        .map(|m| m.meshed(&namespaces))
        .unwrap_or_default();
    let mut net = net;
    network::mesh_flows(&mut net, mesh.as_ref(), &meshed);
    identity::emit_checks(&mut cx, target.as_ref(), &identity);
    secrets::cross_check(
        &mut cx,
        target.as_ref(),
        &identity,
        &secrets,
        &ingresses,
        &workloads,
        audit.as_ref(),
    );

    let has_errors = cx.diags.has_errors();
    let mut posture = match (system, target) {
        (Some(system), Some(target)) if !has_errors => Some(ir::Posture {
            system,
            target,
            namespaces,
            workloads,
            network: net,
            ingresses,
            mesh,
            admission,
            runtime,
            identity,
            secrets,
            audit,
            exceptions,
            controls,
        }),
        _ => None,
    };
    // Rules between blocks need the whole posture.
    if let Some(p) = &posture {
        cross::check(&mut cx, p);
        if cx.diags.has_errors() {
            posture = None;
        }
    }
    (posture, cx.diags)
}
