use crate::ast::*;
use crate::check::{Candidates, Env, Kind, check, check_output, expand};
use crate::{parse, print};
use std::collections::{BTreeMap, BTreeSet};
use synthetic::Rng;

fn p(s: &str) -> Expr {
    parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

#[test]
fn precedence_and_grouping() {
    let e = p("a and b or not c and d");
    let Expr::Or(v) = &e else { panic!("{e:?}") };
    assert!(matches!(&v[0], Expr::And(x) if x.len() == 2));
    assert!(matches!(&v[1], Expr::And(x) if matches!(x[0], Expr::Not(_))));
    assert_eq!(print(&e), "(a and b) or (not c and d)");
    assert_eq!(print(&p("a and (b and c)")), "a and (b and c)");
    assert_eq!(print(&p("not (a or b)")), "not (a or b)");
}

#[test]
fn checks_as_falco_writes_them() {
    for (src, printed) in [
        ("evt.type=ptrace", "evt.type = ptrace"),
        ("evt.dir = <", "evt.dir = <"),
        ("evt.dir=<", "evt.dir = <"),
        ("proc.name!=bash", "proc.name != bash"),
        ("proc.name == bash", "proc.name = bash"),
        ("proc.aname[2] in (sh,bash)", "proc.aname[2] in (sh, bash)"),
        ("fd.name startswith /etc", "fd.name startswith /etc"),
        ("k8s.pod.label.app exists", "k8s.pod.label.app exists"),
        (
            "proc.cmdline contains \"a \\\" b\"",
            "proc.cmdline contains \"a \\\" b\"",
        ),
        ("proc.name in ()", "proc.name in ()"),
        (
            "container.mount.dest[/var/run/docker.sock] != \"\"",
            "container.mount.dest[/var/run/docker.sock] != \"\"",
        ),
        ("evt.rawres >= 0", "evt.rawres >= 0"),
        ("proc.name in(a)", "proc.name in (a)"),
    ] {
        assert_eq!(print(&p(src)), printed, "{src}");
    }
}

#[test]
fn malformed_conditions_are_located() {
    for (src, at) in [
        ("", 0),
        ("   ", 0),
        ("(proc.name = a", 0),
        ("proc.name = a)", 13),
        ("proc.name = \"a", 12),
        ("proc.name", 0),
        ("proc.name in bash", 10),
        ("proc.name = (a, b)", 12),
        ("tolower(proc.name) = a", 0),
        ("proc.name = a and", 17),
        ("and a", 0),
        ("proc.aname[2 = a", 10),
    ] {
        let e = parse(src).expect_err(src);
        assert_eq!(e.range.start, at, "{src}: {e:?}");
    }
    let deep = format!("{}a{}", "(".repeat(200), ")".repeat(200));
    assert!(parse(&deep).is_err());
    let nots = format!("{}a", "not ".repeat(200));
    assert!(parse(&nots).is_err());
}

#[test]
fn odd_input_never_panics() {
    for s in [
        "\"",
        "'",
        "\\",
        "!",
        "a!==b",
        "é = ü",
        "`x`",
        "a[",
        "]",
        "a.b[é] = ü",
        "x.y = é",
        "a.b in (é,",
    ] {
        let _ = parse(s);
    }
}

fn lists() -> BTreeMap<String, Vec<String>> {
    let mut m = BTreeMap::new();
    m.insert(
        "known_debuggers".to_string(),
        vec!["gdb".to_string(), "strace".to_string()],
    );
    m.insert(
        "events_list".to_string(),
        vec!["execve".to_string(), "exceve".to_string()],
    );
    m
}

fn problems(src: &str) -> Vec<(Kind, String, String)> {
    let lists = lists();
    let env = Env {
        lists: lists
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect(),
        macros: ["container", "spawned_process"].into_iter().collect(),
    };
    check(&p(src), &env)
        .into_iter()
        .map(|pr| {
            (
                pr.kind,
                src[pr.range.start..pr.range.end].to_string(),
                pr.message,
            )
        })
        .collect()
}

#[test]
fn the_checker_types_conditions() {
    assert_eq!(
        problems("evt.type = ptrace and container and not proc.name in (known_debuggers)"),
        vec![]
    );
    for (src, kind, at) in [
        (
            "proc.name != known_debuggers",
            Kind::ListAsScalar,
            "known_debuggers",
        ),
        ("proc.nme = a", Kind::UnknownField, "proc.nme"),
        ("evt.type = ptrce", Kind::UnknownEvent, "ptrce"),
        (
            "evt.type in (events_list)",
            Kind::UnknownEvent,
            "events_list",
        ),
        ("proc.pid contains 1", Kind::OperatorType, "proc.pid"),
        ("proc.name < a", Kind::OperatorType, "proc.name"),
        ("fd.sport = http", Kind::ValueType, "http"),
        ("container.privileged = yes", Kind::ValueType, "yes"),
        ("fd.snet in (10.0.0.0/33)", Kind::ValueType, "10.0.0.0/33"),
        ("evt.dir = <", Kind::UnknownField, "evt.dir"),
        ("spawned_proces", Kind::UndefinedMacro, "spawned_proces"),
        ("known_debuggers", Kind::UndefinedMacro, "known_debuggers"),
        (
            "proc.name in (crypto_miners)",
            Kind::UnknownList,
            "crypto_miners",
        ),
        ("proc.name[1] = a", Kind::FieldArgument, "proc.name[1]"),
        ("proc.aname[x] = a", Kind::FieldArgument, "proc.aname[x]"),
        (
            "evt.arg.flgs contains X",
            Kind::FieldArgument,
            "evt.arg.flgs",
        ),
        ("evt.arg = a", Kind::FieldArgument, "evt.arg"),
        (
            "container.label[a] = b",
            Kind::FieldArgument,
            "container.label[a]",
        ),
    ] {
        let got = problems(src);
        assert!(
            got.len() == 1 && got[0].0 == kind && got[0].1 == at,
            "{src}: {got:?}"
        );
    }
    // Both label forms of Falco 0.44, event parameters, ancestors, numbers.
    for ok in [
        "k8s.pod.label.app = x",
        "k8s.pod.label[app.kubernetes.io/name] = x",
        "evt.arg.flags contains S_ISUID",
        "evt.arg[0] = 1",
        "proc.aname[2] in (sh, bash)",
        "proc.aname = sh",
        "fd.sport in (3333, 4444)",
        "evt.rawres >= 0",
        "fd.snet in (\"10.0.0.0/8\", 192.168.0.0/16)",
        "fd.sip = 1.2.3.4",
        "container.privileged = true",
        "proc.cmdline regex \"[a-z]+\"",
        "proc.name exists",
        "thread.cgroup.cpuacct = x",
    ] {
        assert_eq!(problems(ok), vec![], "{ok}");
    }
}

#[test]
fn outputs_are_checked() {
    let o = "shell (user=%user.name cmd=%proc.cmdline anc=%proc.aname[2] f=%evt.arg.flags. x=%proc.nme y=%s 100%%)";
    let got: Vec<(Kind, String)> = check_output(o)
        .into_iter()
        .map(|p| (p.kind, o[p.range.start..p.range.end].to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Kind::UnknownField, "%proc.nme".to_string()),
            (Kind::UnknownField, "%s".to_string())
        ]
    );
}

#[test]
fn did_you_mean_candidates() {
    let lists = lists();
    let env = Env {
        lists: lists
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect(),
        macros: BTreeSet::new(),
    };
    let pr = &check(&p("proc.nme = a"), &env)[0];
    assert_eq!(
        pr.did_you_mean.as_ref().map(|d| d.1),
        Some(Candidates::Fields)
    );
    assert!(crate::check::candidates(Candidates::Fields, &env).contains(&"proc.name"));
}

#[test]
fn expansion_inlines_macros_and_lists() {
    let lists = lists();
    let env = Env {
        lists: lists
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect(),
        macros: BTreeSet::new(),
    };
    let m = p("container.id != host and proc.name = a");
    let macros: BTreeMap<&str, &Expr> = [("container", &m)].into_iter().collect();
    let e = expand(
        &p("container and not proc.name in (known_debuggers, x)"),
        &macros,
        &env,
    );
    assert_eq!(
        print(&e),
        "(container.id != host and proc.name = a) and not proc.name in (gdb, strace, x)"
    );
}

// Round trip, property style: random trees print and parse back to themselves.

const FIELDS: &[&str] = &[
    "proc.name",
    "evt.type",
    "fd.sport",
    "k8s.pod.label.app",
    "proc.aname",
    "evt.arg.flags",
];
const WORDS: &[&str] = &[
    "bash", "/etc", "0", "<", ">", "a!b", "x.y", "S_ISUID", "é", "*.sh", "notx", "andy",
];
const QUOTED: &[&str] = &["", "a b", "a \\\" b", "(x, y)", "and", "c'd", "=", "\\\\"];

fn value(rng: &mut Rng) -> Value {
    let kind = if rng.chance(1, 2) {
        ValueKind::Bare(rng.pick(WORDS).to_string())
    } else {
        let raw = rng.pick(QUOTED).to_string();
        let quote = if raw.contains('\'') || rng.chance(1, 2) {
            '"'
        } else {
            '\''
        };
        ValueKind::Quoted { quote, raw }
    };
    Value {
        kind,
        range: TextRange::default(),
    }
}

fn tree(rng: &mut Rng, depth: usize) -> Expr {
    let leaf = depth == 0 || rng.chance(1, 3);
    if leaf {
        if rng.chance(1, 5) {
            return Expr::macro_(*rng.pick(&["container", "spawned_process", "m1"]));
        }
        let mut field = Field::new(*rng.pick(FIELDS));
        if rng.chance(1, 6) {
            field.index = Some(rng.pick(&["2", "/var/run/x.sock", "HOME"]).to_string());
        }
        let op = *rng.pick(Op::ALL);
        let operand = match op.operand() {
            OperandShape::None => None,
            OperandShape::Scalar => Some(Operand::Value(value(rng))),
            OperandShape::List => Some(Operand::List(
                (0..rng.below(4)).map(|_| value(rng)).collect(),
            )),
        };
        return Expr::Check { field, op, operand };
    }
    match rng.below(3) {
        0 => Expr::Not(Box::new(tree(rng, depth - 1))),
        k => {
            let v: Vec<Expr> = (0..2 + rng.below(3))
                .map(|_| tree(rng, depth - 1))
                .collect();
            if k == 1 { Expr::And(v) } else { Expr::Or(v) }
        }
    }
}

#[test]
fn print_then_parse_is_the_identity() {
    let mut rng = Rng::new(0xfa1c0);
    for _ in 0..3000 {
        let e = tree(&mut rng, 4);
        let text = print(&e);
        let back = parse(&text).unwrap_or_else(|err| panic!("{text}: {err:?}"));
        assert_eq!(back, e, "{text}");
        assert_eq!(print(&back), text);
    }
}

#[test]
fn builder_values_quote_what_must_be_quoted() {
    assert_eq!(Value::of("bash").kind, ValueKind::Bare("bash".into()));
    assert!(matches!(Value::of("a b").kind, ValueKind::Quoted { .. }));
    assert!(matches!(Value::of("and").kind, ValueKind::Quoted { .. }));
    assert!(matches!(Value::of("").kind, ValueKind::Quoted { .. }));
    for s in ["a \"b\" \\c", "x,y", "(", "é"] {
        assert_eq!(Value::of(s).text(), s);
        let e = Expr::eq(Field::new("proc.name"), s);
        assert_eq!(parse(&print(&e)).expect("parses"), e);
    }
}

// Rules files: Falco 0.36+'s `override`, which the 0.35.1 loader corpus predates.

const BASE: &str = "- list: shells\n  items: [bash]\n- macro: spawned\n  condition: evt.type = execve\n- rule: Shell\n  desc: d\n  condition: spawned and proc.name in (shells)\n  output: \"shell %proc.name\"\n  priority: WARNING\n  exceptions:\n    - name: by_parent\n      fields: [proc.pname]\n      values: [[sshd]]\n";

fn loaded(extra: &str) -> crate::rules::RuleSet {
    let mut set = crate::rules::RuleSet::default();
    set.load("base.yaml", BASE);
    set.load("extra.yaml", extra);
    set
}

fn codes(set: &crate::rules::RuleSet) -> Vec<(&'static str, String)> {
    set.all_findings()
        .iter()
        .map(|f| (f.code.as_str(), f.item_name.clone()))
        .collect()
}

#[test]
fn override_appends_and_replaces_per_key() {
    let set = loaded(
        "- list: shells\n  items: [zsh]\n  override:\n    items: append\n- rule: Shell\n  condition: and proc.tty != 0\n  exceptions:\n    - name: by_parent\n      values: [[tmux]]\n  override:\n    condition: append\n    exceptions: append\n",
    );
    assert_eq!(codes(&set), vec![]);
    assert_eq!(set.lists["shells"].items, ["bash", "zsh"]);
    let r = &set.rules["Shell"];
    assert_eq!(
        r.condition,
        "spawned and proc.name in (shells) and proc.tty != 0"
    );
    assert_eq!(
        r.exceptions[0]["values"],
        serde_json::json!([["sshd"], ["tmux"]])
    );
    let set = loaded(
        "- rule: Shell\n  condition: spawned\n  output: \"other %proc.cmdline\"\n  override:\n    condition: replace\n    output: replace\n- list: shells\n  items: [sh]\n  override:\n    items: replace\n",
    );
    assert_eq!(set.rules["Shell"].condition, "spawned");
    assert_eq!(set.rules["Shell"].output, "other %proc.cmdline");
    assert_eq!(set.lists["shells"].items, ["sh"]);
}

#[test]
fn override_is_refused_where_falco_refuses_it() {
    for (extra, want) in [
        // Nothing to override.
        (
            "- rule: Missing\n  condition: spawned\n  override:\n    condition: append\n",
            ("LOAD_ERR_VALIDATE", "Missing"),
        ),
        (
            "- macro: missing\n  condition: x\n  override:\n    condition: append\n",
            ("LOAD_ERR_VALIDATE", "missing"),
        ),
        // An override of a key the item does not set.
        (
            "- rule: Shell\n  condition: spawned\n  override:\n    output: replace\n",
            ("LOAD_ERR_YAML_VALIDATE", "Shell"),
        ),
        // Neither append nor replace.
        (
            "- rule: Shell\n  condition: spawned\n  override:\n    condition: merge\n",
            ("LOAD_ERR_YAML_VALIDATE", "Shell"),
        ),
        // Both append and override.
        (
            "- rule: Shell\n  condition: spawned\n  append: true\n  override:\n    condition: append\n",
            ("LOAD_ERR_YAML_VALIDATE", "Shell"),
        ),
        // An appended condition that breaks the rule is the rule's compile error.
        (
            "- rule: Shell\n  condition: and proc.nme = x\n  override:\n    condition: append\n",
            ("LOAD_ERR_COMPILE_CONDITION", "Shell"),
        ),
    ] {
        let set = loaded(extra);
        let got = codes(&set);
        assert!(
            got.contains(&(want.0, want.1.to_string())),
            "{extra}: want {want:?}, got {got:?}"
        );
    }
}

#[test]
fn a_rule_matching_every_event_type_is_warned_about() {
    let set = loaded(
        "- rule: Any\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: WARNING\n- rule: Negated\n  desc: d\n  condition: not evt.type = open\n  output: o\n  priority: WARNING\n- rule: Either\n  desc: d\n  condition: evt.type = open or evt.type in (close, read)\n  output: o\n  priority: WARNING\n",
    );
    let warned: Vec<String> = set
        .all_findings()
        .into_iter()
        .filter(|f| f.code == crate::rules::Code::NoEvttype)
        .map(|f| f.item_name)
        .collect();
    assert_eq!(warned, ["Any", "Negated"]);
}
