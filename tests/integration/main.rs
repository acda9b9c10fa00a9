//! The one integration test binary (`cargo test -p tests`). Each module is one suite and
//! returns its trials; adding a test means adding a file (a ui case, an example, a stdlib
//! bundle), never a function. See `book/src/contributing/testing.md`.
//!
//! | suite | what | inputs |
//! | --- | --- | --- |
//! | `ui` | expected diagnostics written inline, plus a rendered snapshot | `tests/ui/**`, generated cases |
//! | `ast` | the span-free AST of every valid input, snapshotted | `examples/`, `stdlib/`, `tests/syntax/`, valid ui cases |
//! | `fmt` | the formatter is idempotent and keeps the AST | the same valid inputs |
//! | `mutation` | seeded mutants of the valid inputs never panic and keep spans in bounds | the same valid inputs |
//! | `pipeline` | every example's IR and build output snapshotted; same bytes in any file order and location; a failed build leaves the output directory untouched | `examples/*/` |
//! | `limits` | nesting depth and size limits at and past the edge | generated |
//! | `snapshots` | no snapshot is left behind by a removed input or case | `tests/snapshots/` |
//! | `network` | the network target: reachability proof and its negative controls, golden files, kubernetes-validate, CRD schemas, nca, YAML 1.1 read-back, checks, reach, scale | `examples/optimal-platform`, `tests/conformance/network/` |
//! | `kyverno` | the kyverno target in both back ends: upstream kyverno/policies tests with our policies in place of theirs (`kyverno test`/`apply`), negative controls, own fixtures (autogen, limits, mutate, generate with DNS, PolicyException), strict CRD schemas; per-policy table in `target/kyverno-conformance.md` | `tests/conformance/kyverno/`, `examples/optimal-platform` |
//! | `controls` | coverage and explain snapshots of the example, JSON = table, gates' exit codes, deterministic graphs | `examples/optimal-platform` |
//! | `oscal` | the auditor package: the OSCAL models' round trip (and oscal-rs 0.1.1's losses), check-jsonschema against OSCAL 1.1.3 and 1.2.1 with a negative control, referential checks, every `controls { … }` statement present, determinism, the manifest; trestle; the report in headless Chromium; the book's coverage page | `examples/optimal-platform`, `tests/conformance/oscal/` |
//! | `falco` | Falco's condition language and the falco target: upstream rules through our checker, the rules schema, libsinsp's filter compiler (sysdig) with a version-skew classifier and negative control, mutations | `tests/conformance/falco/`, `examples/optimal-platform` |
//! | `secrets` | the secrets and apiserver targets: ESO and sealed-secrets CRD schemas with a wrong field failing, Keycloak's vault file, the API server's own validation and audit levels (`tools/apiserver-check`) with negative controls, canaries in `posture build`'s environment | `examples/optimal-platform`, `tests/conformance/secrets/` |
//! | `identity` | the keycloak and rbac targets: the realm models read the reference realm files; `kc.sh import` and `export` compared field by field; one Keycloak server start with a test-only overlay (claims, audience, lifespan, MFA by direct grant and login form, lockout, the Kubernetes client) and negative controls (a broken composite, a widened permission); RBAC through kubernetes-validate | `examples/optimal-platform`, `tests/conformance/identity/` |
//! | `cluster` | `posture apply`, `diff --live`, `verify --live` against ONE real kube-apiserver v1.33.13 + etcd v3.6.16 started on 127.0.0.1: refusals (unreachable, unknown context, CRDs missing, namespace missing, modified build), dry run, apply order, idempotent re-apply, drift and repair, prune with a second posture and an unowned object surviving, verify readiness and forbidden reads, the OSCAL schema, the build's audit policy on a Secret `get` | `examples/optimal-platform`, `tests/conformance/cluster/crds/`, `tests/conformance/kyverno/crds/` |
//! | `review` | `posture diff OLD NEW`: the example against copies with a widened flow and a removed policy, a widened and a narrowed exception, a removed flow, errors; as sources and as builds; every format and exit code | `examples/optimal-platform` |
//! | `book` | every diagnostic code has a book page linked from `SUMMARY.md` | `diagnostics::codes::all()` |

mod ast;
mod book;
mod cluster;
mod controls;
mod cross;
mod example;
mod falco;
mod fmt;
mod identity;
mod kyverno;
mod limits;
mod mutation;
mod network;
mod oscal;
mod pipeline;
mod review;
mod secrets;
mod snapshots;
mod support;
mod ui;

use std::path::PathBuf;

/// One valid input: its path relative to the repository root and its text.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: String,
    /// The text, or why it could not be read (the `ast` suite reports that; the others skip
    /// the input).
    pub text: Result<String, String>,
}

/// Every valid input: the repository's posture files and the ui cases that expect no error.
pub fn valid_inputs() -> Vec<Input> {
    let root = tests::inputs::repo_root();
    let mut out: Vec<Input> = tests::inputs::valid_inputs()
        .into_iter()
        .map(|path| Input {
            text: std::fs::read_to_string(root.join(&path)).map_err(|e| e.to_string()),
            path,
        })
        .collect();
    out.extend(ui::valid_files());
    out
}

/// The repository root.
pub fn root() -> PathBuf {
    tests::inputs::repo_root()
}

fn main() -> std::process::ExitCode {
    // The canary test runs this binary as the `posture` CLI, a process of its own with the
    // canary in its environment (`secrets::canary/environment`).
    if std::env::var_os(secrets::AS_CLI).is_some() {
        return cli::main();
    }
    let args = libtest_mimic::Arguments::from_args();
    let inputs = valid_inputs();
    let mut trials = Vec::new();
    trials.extend(ui::trials());
    trials.extend(ast::trials(&inputs));
    trials.extend(fmt::trials(&inputs));
    trials.extend(mutation::trials(&inputs));
    trials.extend(limits::trials());
    trials.extend(pipeline::trials());
    trials.extend(book::trials());
    trials.extend(controls::trials());
    trials.extend(network::trials());
    trials.extend(kyverno::trials());
    trials.extend(secrets::trials());
    trials.extend(cross::trials());
    trials.extend(example::trials());
    trials.extend(oscal::trials());
    trials.extend(falco::trials());
    trials.extend(identity::trials());
    trials.extend(cluster::trials());
    trials.extend(review::trials());
    trials.push(snapshots::no_orphans(&inputs));
    let conclusion = libtest_mimic::run(&args, trials);
    support::remove_scratch(!conclusion.has_failed());
    conclusion.exit();
}
