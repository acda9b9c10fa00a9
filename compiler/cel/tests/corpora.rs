//! The checker and the schema pruning against the corpora in the repository: the upstream Kyverno
//! CEL policies (`tests/conformance/kyverno/reference/*-vpol` and the four vendored in
//! `tests/data/kyverno-policies/`), the stdlib and example postures, and the vendored
//! kubernetes-validate sources of the pruned schemas (`tests/data/k8s/`, see `tests/data/SOURCES.md`).
//! These read files, so they live here, outside the library; a missing file fails the test.

use cel::{Env, Expr, ExprKind, Param, Polarity, check, parse, print};
use diagnostics::{FileId, Span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn env(text: &str, kinds: &[&str]) -> Env {
    Env::new(
        Span::new(FileId(0), 100, 100 + text.len()),
        kinds.iter().copied(),
    )
}

fn describe(ds: &[diagnostics::Diagnostic]) -> String {
    ds.iter()
        .map(|d| {
            format!(
                "{} {} at {:?} help {:?}",
                d.code.id, d.message, d.span, d.help
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// kubernetes-validate's source files, vendored with their provenance in
/// `tests/data/SOURCES.md`.
fn source_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/k8s")
}

#[test]
fn vendored_files_are_reproducible() {
    assert_eq!(cel::schema::VENDORED.len(), 2);
    for ((major, minor), text) in cel::schema::VENDORED {
        let src = source_dir().join(format!("v{major}.{minor}.0-local-strict/_definitions.json"));
        let raw = std::fs::read_to_string(&src)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", src.display()));
        let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let pruned = cel::schema::prune(&v, &format!("{major}.{minor}")).unwrap();
        assert!(
            cel::schema::to_vendored_text(&pruned) == *text,
            "schemas/k8s-v{major}.{minor}.json is stale: run `cargo run -p cel --example prune_schemas`"
        );
    }
}

// ---- corpora -------------------------------------------------------------------------------

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if name != ".kyverno-test" && name != ".chainsaw-test" {
                yaml_files(&p, out);
            }
        } else if name.ends_with(".yaml") {
            out.push(p);
        }
    }
}

struct RefPolicy {
    file: String,
    kinds: Vec<String>,
    variables: Vec<(String, String)>,
    validations: Vec<String>,
}

/// The upstream Kyverno CEL policies (`*-vpol`) of the conformance corpus, and the four more
/// vendored for these tests (`tests/data/SOURCES.md`); both folders are in the repository.
fn reference_policies() -> Vec<RefPolicy> {
    let mut files = Vec::new();
    for root in [
        workspace().join("tests/conformance/kyverno/reference"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kyverno-policies"),
    ] {
        let rd = std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
        let mut dirs: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for d in dirs {
            if d.to_string_lossy().ends_with("-vpol") {
                yaml_files(&d, &mut files);
            }
        }
    }
    let root = workspace();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
        for doc in docs {
            let spec = &doc["spec"];
            if !spec.is_object() {
                continue;
            }
            let mut kinds = Vec::new();
            for rr in spec["matchConstraints"]["resourceRules"]
                .as_array()
                .into_iter()
                .flatten()
            {
                for r in rr["resources"].as_array().into_iter().flatten() {
                    let r = r.as_str().unwrap_or("");
                    if !r.contains('/') {
                        kinds.push(r.to_string());
                    }
                }
            }
            let variables = spec["variables"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| {
                    (
                        v["name"].as_str().unwrap().to_string(),
                        v["expression"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let validations = spec["validations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v["expression"].as_str().unwrap().to_string())
                .collect();
            out.push(RefPolicy {
                file: f.strip_prefix(&root).unwrap_or(&f).display().to_string(),
                kinds,
                variables,
                validations,
            });
        }
    }
    out
}

#[test]
fn reference_policies_parse_and_round_trip() {
    let policies = reference_policies();
    assert_eq!(
        policies.len(),
        27,
        "23 from the conformance corpus, 4 vendored here"
    );
    let mut n = 0;
    for p in &policies {
        for text in p.variables.iter().map(|(_, e)| e).chain(&p.validations) {
            let e = parse(text).unwrap_or_else(|err| panic!("{}: {text}: {err:?}", p.file));
            let printed = print(&e);
            let again = parse(&printed).unwrap();
            assert_eq!(
                e.without_ranges(),
                again.without_ranges(),
                "{}: {printed}",
                p.file
            );
            n += 1;
        }
    }
    assert!(n >= 50, "only {n} expressions");
}

/// Substitutes `variables.NAME` by the variable's expression (tree-wise).
fn substitute(e: &mut Expr, vars: &BTreeMap<String, Expr>) {
    e.replace(&mut |n| match &n.kind {
        ExprKind::Select { operand, field, .. } if operand.as_ident() == Some("variables") => {
            let mut v = vars.get(field)?.clone();
            substitute(&mut v, vars);
            Some(v)
        }
        _ => None,
    });
}

#[test]
fn reference_policies_type_check() {
    let policies = reference_policies();
    let mut checked = 0;
    let mut pod_policies = 0;
    for p in &policies {
        let kinds: Vec<&str> = p.kinds.iter().map(String::as_str).collect();
        // `require-probes` matches pods and their controllers in one expression
        // (`has(object.spec.containers) ? … : object.spec.template…`), which no single
        // schema types; posture splits such rules by kind.
        if kinds.contains(&"pods") && kinds.len() > 1 {
            continue;
        }
        pod_policies += usize::from(kinds == ["pods"]);
        let vars: BTreeMap<String, Expr> = p
            .variables
            .iter()
            .map(|(n, t)| (n.clone(), parse(t).unwrap()))
            .collect();
        for text in &p.validations {
            let mut e = parse(text).unwrap();
            substitute(&mut e, &vars);
            let text = print(&e);
            let r = check(&text, &env(&text, &kinds));
            if let Err(ds) = &r {
                // Upstream's require-labels reads `object.metadata.labels` unguarded, which
                // errors on a pod controller whose template has no metadata (P3010 finds it).
                let autogen_bug = p
                    .file
                    .ends_with("best-practices-vpol/require-labels/require-labels.yaml")
                    && ds.iter().all(|d| d.code.id == "P3010");
                if !autogen_bug {
                    panic!("{}: {text}\n{}", p.file, describe(ds));
                }
            }
            checked += 1;
        }
    }
    assert!(pod_policies >= 20, "{pod_policies}");
    assert!(checked >= 30, "{checked}");
}

/// `param NAME { type = T, default = V }` declarations of a bundle file, as checker params.
fn bundle_params(text: &str) -> BTreeMap<String, Param> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("param ") else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap().to_string();
        let ty = rest
            .split("type = ")
            .nth(1)
            .unwrap()
            .split([',', ' '])
            .next()
            .unwrap();
        let default = rest
            .split("default = ")
            .nth(1)
            .unwrap()
            .trim_end_matches('}')
            .trim();
        let p = match ty {
            "quantity" => Param::Quantity(default.to_string()),
            "strings" => Param::Strings(
                default
                    .trim_matches(['[', ']'])
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            ),
            "int" => Param::Int(default.parse().unwrap()),
            "bool" => Param::Bool(default == "true"),
            _ => Param::String(default.trim_matches('"').to_string()),
        };
        out.insert(name, p);
    }
    out
}

/// Every `require`/`deny` expression of every `validate` block, with its kinds.
fn posture_rules(text: &str) -> Vec<(Vec<String>, Polarity, String)> {
    let mut out = Vec::new();
    for block in text.split("validate ").skip(1) {
        let kinds: Vec<String> = block
            .split("kinds = [")
            .nth(1)
            .map(|s| s.split(']').next().unwrap())
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        for (key, pol) in [("require", Polarity::Require), ("deny", Polarity::Deny)] {
            let Some(pos) = block
                .find(&format!("{key} "))
                .or_else(|| block.find(&format!("{key}=")))
            else {
                continue;
            };
            let rest = &block[pos..];
            let rest = &rest[..rest.find("message").unwrap_or(rest.len())];
            for (i, part) in rest.split('`').enumerate() {
                if i % 2 == 1 {
                    out.push((kinds.clone(), pol, part.to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn stdlib_and_example_expressions_check() {
    let mut files = Vec::new();
    fn postures(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                postures(&p, out);
            } else if p.extension().is_some_and(|x| x == "posture") {
                out.push(p);
            }
        }
    }
    postures(&workspace().join("stdlib"), &mut files);
    files.push(workspace().join("examples/optimal-platform/admission.posture"));
    files.sort();
    let mut n = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let params = bundle_params(&text);
        for (kinds, polarity, expr) in posture_rules(&text) {
            let mut e = env(&expr, &kinds.iter().map(String::as_str).collect::<Vec<_>>());
            e.params = params.clone();
            e.polarity = polarity;
            if let Err(ds) = check(&expr, &e) {
                panic!("{}: {expr}\n{}", f.display(), describe(&ds));
            }
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} expressions");
}
