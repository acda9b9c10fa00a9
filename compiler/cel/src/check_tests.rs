//! Checker tests: the upstream Kyverno ValidatingPolicies, the stdlib and example postures,
//! expected rewrites, and one negative case (at least) per diagnostic code.

use crate::*;
use diagnostics::{FileId, Span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn base(text: &str) -> Span {
    Span::new(FileId(0), 100, 100 + text.len())
}

fn env(text: &str, kinds: &[&str]) -> Env {
    Env::new(base(text), kinds.iter().copied())
}

fn ok(text: &str, kinds: &[&str]) -> String {
    match check(text, &env(text, kinds)) {
        Ok(c) => c.print(),
        Err(ds) => panic!("{text}:\n{}", describe(&ds)),
    }
}

fn describe(ds: &[diagnostics::Diagnostic]) -> String {
    ds.iter()
        .map(|d| {
            format!(
                "{} {} at {:?} help {:?} notes {:?}",
                d.code.id, d.message, d.span, d.help, d.notes
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The errors of a failing check: `(code, message, the source text under the span, help)`.
fn errs(text: &str, e: &Env) -> Vec<(String, String, String, Vec<String>)> {
    match check(text, e) {
        Ok(c) => panic!("{text} checked: {}", c.print()),
        Err(ds) => ds
            .iter()
            .map(|d| {
                let s = d.span.expect("spanned");
                let under = text
                    [(s.start - e.base.start) as usize..(s.end - e.base.start) as usize]
                    .to_string();
                (
                    d.code.id.to_string(),
                    d.message.clone(),
                    under,
                    d.help.clone(),
                )
            })
            .collect(),
    }
}

fn err1(text: &str, kinds: &[&str]) -> (String, String, String, Vec<String>) {
    let v = errs(text, &env(text, kinds));
    assert_eq!(v.len(), 1, "{text}: {v:?}");
    v.into_iter().next().expect("one")
}

// ---- rewrites ------------------------------------------------------------------------------

#[test]
fn inserts_optional_access() {
    assert_eq!(
        ok(
            "containers.all(c, c.securityContext.runAsNonRoot.orValue(false))",
            &["pods"]
        ),
        "variables.containers.all(c, c.?securityContext.?runAsNonRoot.orValue(false))"
    );
    assert_eq!(
        ok("object.spec.hostNetwork.orValue(false) == false", &["Pod"]),
        "object.spec.?hostNetwork.orValue(false) == false"
    );
    // narrowing by has(): only the last step may be absent
    assert_eq!(
        ok(
            "object.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && has(c.resources.limits.memory))",
            &["pods"]
        ),
        "object.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && has(c.resources.limits.memory))"
    );
    // has() through an absent-able step becomes the optional chain and hasValue()
    assert_eq!(
        ok(
            "object.spec.containers.all(c, has(c.securityContext.privileged))",
            &["pods"]
        ),
        "object.spec.containers.all(c, c.?securityContext.?privileged.hasValue())"
    );
    // the then-branch of has(p) ? … : …
    assert_eq!(
        ok(
            "has(object.spec.securityContext) ? object.spec.securityContext.runAsNonRoot.orValue(false) : false",
            &["pods"]
        ),
        "has(object.spec.securityContext) ? object.spec.securityContext.?runAsNonRoot.orValue(false) : false"
    );
    // `!has(p) || …` and `p == null || …`
    assert_eq!(
        ok(
            "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))",
            &["pods"]
        ),
        "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))"
    );
    assert_eq!(
        ok(
            "object.rules == null || !object.rules.exists(r, '*' in r.verbs)",
            &["roles", "clusterroles"]
        ),
        "!has(object.rules) || !object.rules.exists(r, '*' in r.verbs)"
    );
    // labels are a map: entries may be absent
    assert_eq!(
        ok(
            "object.metadata.labels.team.orValue('') != ''",
            &["namespaces"]
        ),
        "object.metadata.?labels.?team.orValue('') != ''"
    );
    assert_eq!(
        ok(
            "has(object.metadata) && has(object.metadata.labels) && 'team' in object.metadata.labels && object.metadata.labels['team'] != ''",
            &["pods"]
        ),
        "has(object.metadata) && has(object.metadata.labels) && 'team' in object.metadata.labels && object.metadata.labels['team'] != ''"
    );
}

#[test]
fn p3010_escapes_autogen() {
    // A pod template may have no metadata: unguarded, the controller's check errors.
    let (code, msg, under, help) =
        err1("object.metadata.?labels.orValue({}).size() > 0", &["pods"]);
    assert_eq!(
        (code.as_str(), under.as_str()),
        ("P3010", "object.metadata")
    );
    assert_eq!(
        msg,
        "`object.metadata` may be absent: in a pod controller it is the pod template's"
    );
    assert_eq!(
        help,
        ["check `has(object.metadata)` first, e.g. `has(object.metadata) && …`"]
    );
    // `object.?spec` is not rewritten by autogen.
    let (code, _, under, _) = err1("object.?spec.?hostPID.orValue(false) == false", &["pods"]);
    assert_eq!((code.as_str(), under.as_str()), ("P3010", "object.?spec"));
    // Guarded, or for kinds without autogen, it is fine.
    ok(
        "!has(object.metadata) || object.metadata.?labels.orValue({}).size() > 0",
        &["pods"],
    );
    ok(
        "object.metadata.?labels.orValue({}).size() > 0",
        &["services"],
    );
}

#[test]
fn deny_is_negated_and_params_substituted() {
    let text = "object.spec.hostNetwork.orValue(false) || params.strict";
    let mut e = env(text, &["pods"]);
    e.polarity = Polarity::Deny;
    e.params.insert("strict".into(), Param::Bool(true));
    let c = check(text, &e).unwrap();
    assert_eq!(
        c.print(),
        "!(object.spec.?hostNetwork.orValue(false) || true)"
    );
    let text = "containers.all(c, params.registries.exists(r, c.image.startsWith(r)))";
    let mut e = env(text, &["pods"]);
    e.params.insert(
        "registries".into(),
        Param::Strings(vec!["a.io/".into(), "b.io/".into()]),
    );
    let c = check(text, &e).unwrap();
    assert_eq!(
        c.print(),
        "variables.containers.all(c, ['a.io/', 'b.io/'].exists(r, c.image.startsWith(r)))"
    );
    assert_eq!(
        c.print_variables(),
        vec![(
            "containers".to_string(),
            "object.spec.containers + object.spec.?initContainers.orValue([]) + object.spec.?ephemeralContainers.orValue([])"
                .to_string()
        )]
    );
}

#[test]
fn several_kinds_share_fields() {
    assert_eq!(
        ok(
            "object.roleRef.name != 'cluster-admin'",
            &["rolebindings", "clusterrolebindings"]
        ),
        "object.roleRef.name != 'cluster-admin'"
    );
    assert_eq!(
        ok(
            "object.spec.template.spec.containers.all(c, c.image.contains('@'))",
            &["deployments", "statefulsets", "daemonsets"]
        ),
        "object.spec.template.spec.containers.all(c, c.image.contains('@'))"
    );
}

#[test]
fn quantities() {
    let text = "containers.all(c, !has(c.resources) || !has(c.resources.limits) || !has(c.resources.limits.cpu) || quantity(string(c.resources.limits.cpu)).compareTo(quantity(params.max_cpu)) <= 0)";
    let mut e = env(text, &["pods"]);
    e.params
        .insert("max_cpu".into(), Param::Quantity("2".into()));
    assert!(check(text, &e).is_ok(), "{:?}", check(text, &e));
    assert_eq!(
        ok(
            "containers.all(c, quantity(c.resources.limits.memory.orValue('0')).isLessThan(quantity('4Gi')))",
            &["pods"]
        ),
        "variables.containers.all(c, quantity(c.?resources.?limits.?memory.orValue('0')).isLessThan(quantity('4Gi')))"
    );
}

// ---- one negative case (at least) per code ---------------------------------------------

#[test]
fn p3001_syntax() {
    let (code, msg, under, help) = err1("object.metadata.labels['team'] = 'x'", &["pods"]);
    assert_eq!((code.as_str(), under.as_str()), ("P3001", "="));
    assert_eq!(msg, "unexpected character `=`");
    assert_eq!(help, ["compare with `==`"]);
    assert_eq!(err1("a.all(x)", &["pods"]).0, "P3001");
    assert_eq!(err1("'abc", &["pods"]).0, "P3001");
    assert_eq!(err1(r"'\q'", &["pods"]).0, "P3001");
    assert_eq!(err1("99999999999999999999", &["pods"]).0, "P3001");
    assert_eq!(err1("has(x[0])", &["pods"]).0, "P3001");
    assert_eq!(
        err1("(a", &["pods"]).1,
        "expected `)` to close `(`, found the end of the expression"
    );
}

#[test]
fn p3002_depth() {
    let deep = format!("{}true{}", "(".repeat(200), ")".repeat(200));
    assert_eq!(err1(&deep, &["pods"]).0, "P3002");
    let chain = vec!["1"; 300].join(" + ");
    assert_eq!(err1(&chain, &["pods"]).0, "P3002");
    let nots = format!("{}true", "!".repeat(100_000));
    assert_eq!(err1(&nots, &["pods"]).0, "P3002");
}

#[test]
fn p3003_unknown_identifier() {
    let (code, msg, under, help) = err1("containrs.all(c, c.image.contains('@'))", &["pods"]);
    assert_eq!(
        (code.as_str(), msg.as_str(), under.as_str()),
        ("P3003", "unknown variable `containrs`", "containrs")
    );
    assert_eq!(help, ["did you mean `containers`?"]);
    let (code, msg, ..) = err1("containers.all(c, true)", &["deployments"]);
    assert_eq!(code, "P3003");
    assert!(
        msg.contains("only defined for rules that match pods"),
        "{msg}"
    );
    assert_eq!(
        err1("object.spec.containers.all(c, d.image == '')", &["pods"]).0,
        "P3003"
    );
    assert_eq!(err1("variables.foo", &["pods"]).0, "P3003");
}

#[test]
fn p3004_unknown_field() {
    let (code, msg, under, help) = err1(
        "containers.all(c, c.?securityContex.?runAsNonRoot.orValue(false))",
        &["pods"],
    );
    assert_eq!(
        (code.as_str(), msg.as_str(), under.as_str()),
        (
            "P3004",
            "Container has no field `securityContex`",
            "securityContex"
        )
    );
    assert_eq!(help, ["did you mean `securityContext`?"]);
    let v = errs(
        "object.spec.containers.size() > 0",
        &env(
            "object.spec.containers.size() > 0",
            &["pods", "deployments"],
        ),
    );
    assert_eq!(v[0].0, "P3004");
    assert_eq!(v[0].1, "DeploymentSpec has no field `containers`");
}

#[test]
fn p3005_type_mismatch() {
    let (code, msg, ..) = err1(
        "containers.all(c, c.?securityContext.?runAsNonRoot.orValue(false) == 'true')",
        &["pods"],
    );
    assert_eq!(code, "P3005");
    assert_eq!(msg, "`==` cannot compare bool with string");
    let (code, msg, ..) = err1(
        "object.spec.?priority.orValue(0).startsWith('a')",
        &["pods"],
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("P3005", "int has no method `startsWith`")
    );
    let (code, msg, ..) = err1("object.metadata.name.all(x, true)", &["services"]);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("P3005", "`all` needs a list or a map, found string")
    );
    let (code, msg, ..) = err1("object.metadata.name", &["services"]);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "P3005",
            "a `require` expression must be a bool, found string"
        )
    );
    let (code, msg, ..) = err1("object.spec.hostNetwork.orValue('no')", &["pods"]);
    assert_eq!(code, "P3005");
    assert!(msg.starts_with("the default must be bool"), "{msg}");
    assert_eq!(
        err1("object.spec.containers.orValue([]).size() > 0", &["pods"]).0,
        "P3005"
    );
    assert_eq!(err1("1 + 1.0 > 0", &["pods"]).0, "P3005");
}

#[test]
fn p3006_unknown_function() {
    let (code, msg, under, help) = err1(
        "containers.all(c, c.image.startWith('registry.io/'))",
        &["pods"],
    );
    assert_eq!(
        (code.as_str(), msg.as_str(), under.as_str()),
        ("P3006", "string has no method `startWith`", "startWith")
    );
    assert_eq!(help, ["did you mean `startsWith`?"]);
    assert_eq!(
        err1("sise(object.spec.containers) > 0", &["pods"]).0,
        "P3006"
    );
    let (code, msg, ..) = err1("object.metadata.name.startsWith('a', 'b')", &["services"]);
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("P3006", "`startsWith` takes 1 argument, found 2")
    );
}

#[test]
fn p3007_unknown_parameter() {
    let text = "containers.all(c, c.image.startsWith(params.registy))";
    let mut e = env(text, &["pods"]);
    e.params
        .insert("registry".into(), Param::String("r.io/".into()));
    let v = errs(text, &e);
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].0.as_str(), v[0].1.as_str(), v[0].2.as_str()),
        ("P3007", "unknown parameter `registy`", "params.registy")
    );
    assert_eq!(v[0].3, ["did you mean `registry`?"]);
}

#[test]
fn p3008_unhandled_absence() {
    let (code, msg, under, help) = err1(
        "containers.all(c, c.securityContext.runAsNonRoot)",
        &["pods"],
    );
    assert_eq!(code, "P3008");
    assert_eq!(
        msg,
        "`c.securityContext.runAsNonRoot` may be absent; say what it means then"
    );
    assert_eq!(under, "c.securityContext.runAsNonRoot");
    assert_eq!(
        help,
        ["add `.orValue(false)`, or check `has(c.securityContext.runAsNonRoot)` first"]
    );
    assert_eq!(
        err1("object.metadata.labels['team'] == 'x'", &["services"]).0,
        "P3008"
    );
    // every error is reported, not just the first
    let text = "containers.all(c, c.securityContext.privileged) && object.spec.hostPID";
    assert_eq!(errs(text, &env(text, &["pods"])).len(), 2);
}

#[test]
fn p3009_old_schema() {
    let text = "object.spec.?hostPID.orValue(false) == false";
    let mut e = env(text, &["pods"]);
    e.kubernetes = (1, 30);
    let c = check(text, &e).unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert_eq!(c.warnings[0].code.id, "P3009");
    e.kubernetes = (1, 33);
    assert!(check(text, &e).unwrap().warnings.is_empty());
}

#[test]
fn diagnostic_spans_are_offset_by_base() {
    let text = "object.spec.hostPID";
    let ds = check(text, &env(text, &["pods"])).unwrap_err();
    assert_eq!(
        ds[0].span,
        Some(Span::new(FileId(0), 100, 100 + text.len()))
    );
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
