//! Checker tests: expected rewrites, and one negative case (at least) per diagnostic code. The
//! corpora (upstream Kyverno ValidatingPolicies, the stdlib and example postures, the vendored
//! schemas' sources) are read from files by `tests/corpora.rs`, outside the library.

use crate::*;
use diagnostics::{FileId, Span};

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
