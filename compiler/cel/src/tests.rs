use crate::*;

fn roundtrip(text: &str) -> String {
    let e = parse(text).unwrap_or_else(|err| panic!("{text}: {err:?}"));
    let printed = print(&e);
    let again = parse(&printed).unwrap_or_else(|err| panic!("{printed}: {err:?}"));
    assert_eq!(
        e.without_ranges(),
        again.without_ranges(),
        "{text} -> {printed}"
    );
    assert_eq!(printed, print(&again));
    printed
}

#[test]
fn precedence_and_parentheses() {
    assert_eq!(roundtrip("a || b && c"), "a || b && c");
    assert_eq!(roundtrip("(a || b) && c"), "(a || b) && c");
    assert_eq!(roundtrip("a - (b - c)"), "a - (b - c)");
    assert_eq!(roundtrip("(a - b) - c"), "a - b - c");
    assert_eq!(roundtrip("a ? b : c ? d : e"), "a ? b : c ? d : e");
    assert_eq!(roundtrip("(a ? b : c) ? d : e"), "(a ? b : c) ? d : e");
    assert_eq!(roundtrip("!(a == b)"), "!(a == b)");
    assert_eq!(roundtrip("-1"), "-1");
    assert_eq!(roundtrip("-(1)"), "-(1)");
    assert_eq!(roundtrip("--1"), "--1");
    assert_eq!(roundtrip("(-1).foo()"), "(-1).foo()");
    assert_eq!(roundtrip("-9223372036854775808"), "-9223372036854775808");
    assert_eq!(roundtrip("1 + 2 * 3 % 4"), "1 + 2 * 3 % 4");
    assert_eq!(roundtrip("'a' in ['a', \"b\"]"), "'a' in ['a', 'b']");
    assert_eq!(roundtrip("x.?a.?b.orValue(1u)"), "x.?a.?b.orValue(1u)");
    assert_eq!(roundtrip("m[?'k'].hasValue()"), "m[?'k'].hasValue()");
    assert_eq!(
        roundtrip("{'a': 1, 'b': [2.5, 1e+30]}"),
        "{'a': 1, 'b': [2.5, 1e30]}"
    );
    assert_eq!(
        roundtrip("l.map(x, x > 1, x * 2)"),
        "l.map(x, x > 1, x * 2)"
    );
    assert_eq!(roundtrip("has(a.b) ? 1 : 2"), "has(a.b) ? 1 : 2");
}

#[test]
fn strings() {
    assert_eq!(roundtrip(r#""it's\n""#), r"'it\'s\n'");
    assert_eq!(roundtrip(r"r'\d+'"), r"'\\d+'");
    assert_eq!(roundtrip("'''a\nb'''"), r"'a\nb'");
    assert_eq!(roundtrip(r"'\x41\u00e9\101'"), "'AéA'");
    assert_eq!(roundtrip(r"b'\xff'"), r"b'\xff'");
}

#[test]
fn builder_prints() {
    let e = Expr::ident("object")
        .field("metadata")
        .field("namespace")
        .eq(Expr::string("x"))
        .or(Expr::ident("object")
            .opt_field("spec")
            .opt_field("a")
            .or_value(Expr::bool(false))
            .not());
    assert_eq!(
        print(&e),
        "object.metadata.namespace == 'x' || !object.?spec.?a.orValue(false)"
    );
    let e = Expr::ident("c")
        .field("image")
        .call("startsWith", [Expr::string("r/")])
        .and(Expr::string("a").in_(Expr::strings(["a", "b"])));
    assert_eq!(print(&e), "c.image.startsWith('r/') && 'a' in ['a', 'b']");
    let e = Expr::ident("l").all("x", Expr::ident("x").gt(Expr::int(-1)));
    assert_eq!(print(&e), "l.all(x, x > -1)");
    let e = Expr::int(1).neg().neg();
    assert_eq!(print(&e), "--(1)");
    assert_eq!(roundtrip("--(1)"), "--(1)");
}

#[test]
fn message_construction() {
    assert_eq!(
        roundtrip("Object{metadata: Object.metadata{labels: {'a': 'b'}}}"),
        "Object{metadata: Object.metadata{labels: {'a': 'b'}}}"
    );
    assert_eq!(roundtrip("Object{}"), "Object{}");
    assert_eq!(
        roundtrip("a.b{c: 1, d: x.?y.orValue(2),}.c"),
        "a.b{c: 1, d: x.?y.orValue(2)}.c"
    );
    assert!(parse("a.?b{c: 1}").is_err());
    let e = Expr::message(
        "Object",
        [(
            "metadata",
            Expr::message("Object.metadata", [("labels", Expr::map([]))]),
        )],
    );
    assert_eq!(print(&e), "Object{metadata: Object.metadata{labels: {}}}");
    assert_eq!(
        parse(&print(&e)).map(|p| p.without_ranges()),
        Ok(e.without_ranges())
    );
}

/// A small deterministic generator of random trees, for the round-trip property.
use synthetic::Rng;

fn random_expr(r: &mut Rng, depth: u32) -> Expr {
    const OPS: [BinaryOp; 14] = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::In,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
    ];
    let leaf = depth == 0 || r.below(4) == 0;
    if leaf {
        return match r.below(9) {
            0 => Expr::null(),
            1 => Expr::bool(r.below(2) == 0),
            2 => Expr::int(r.next_u64() as i64 >> r.below(63)),
            3 => Expr::uint(r.next_u64() >> r.below(64)),
            4 => Expr::double((r.next_u64() as i64 >> 40) as f64 / 8.0),
            5 => Expr::string(["", "a'b", "\\n\n", "é\u{1}", "\"q\""][r.below(5)]),
            6 => Expr::bytes(vec![0, b'\'', 255]),
            _ => Expr::ident(["object", "c", "x_1"][r.below(3)]),
        };
    }
    let d = depth - 1;
    match r.below(13) {
        0 => random_expr(r, d).field("f"),
        1 => random_expr(r, d).opt_field("g"),
        2 => random_expr(r, d).index(random_expr(r, d)),
        3 => random_expr(r, d).opt_index(random_expr(r, d)),
        4 => random_expr(r, d).call("startsWith", [random_expr(r, d)]),
        5 => Expr::global("size", [random_expr(r, d)]),
        6 => random_expr(r, d).all("v", random_expr(r, d)),
        7 => Expr::has(random_expr(r, d).field("h")),
        8 => random_expr(r, d).unary(if r.below(2) == 0 {
            UnaryOp::Not
        } else {
            UnaryOp::Neg
        }),
        9 | 10 => {
            let op = *r.pick(&OPS);
            random_expr(r, d).binary(op, random_expr(r, d))
        }
        11 => Expr::ternary(random_expr(r, d), random_expr(r, d), random_expr(r, d)),
        _ => Expr::list([random_expr(r, d), random_expr(r, d)]),
    }
}

#[test]
fn random_trees_round_trip() {
    let mut r = Rng::new(0x9e37_79b9_7f4a_7c15);
    for _ in 0..5000 {
        let e = random_expr(&mut r, 6);
        let printed = print(&e);
        let back = parse(&printed).unwrap_or_else(|err| panic!("{printed}: {err:?}"));
        assert_eq!(back.without_ranges(), e, "{printed}");
    }
}
