//! Regular expressions in CEL (`s.matches('…')`, `matches(s, '…')`) are RE2, compiled by
//! Kubernetes' and Kyverno's CEL (Go's `regexp`) when the policy is loaded: one invalid literal
//! makes Kyverno refuse the whole policy, which then enforces nothing. So every literal pattern
//! is checked here, at compile time.
//!
//! The parser is `regex-syntax`'s, which accepts a superset of RE2 in a few places; those are
//! refused here, so what passes is valid RE2 and means the same in both:
//!
//! - class set operations (`[a-z&&[^x]]`, `--`, `~~`) and nested classes (`[a[bc]]`), which
//!   Go reads as literal characters;
//! - the word-boundary forms `\b{start}`, `\b{end}`, `\<`, `\>` and the half forms;
//! - `\u…`/`\U…` escapes (Go has `\x{…}` only);
//! - flags other than `i`, `m`, `s`, `U` (`x`, `R`, `u`);
//! - repetition counts over 1000 (Go's limit), and a repetition of a repetition (`a**`).
//!
//! The other way round, a few RE2 forms are refused although Go accepts them (`\Q…\E`, `\C`,
//! octal escapes, some Unicode class names): refusing is the safe side, and each has a
//! spelling both accept.

use regex_syntax::ast::{
    self, Assertion, AssertionKind, Ast, ClassSetBinaryOp, ClassSetItem, Flag, FlagsItemKind,
    HexLiteralKind, LiteralKind, RepetitionKind, RepetitionRange,
};

/// Go's `regexp` limit on repetition counts.
const MAX_REPEAT: u32 = 1000;

/// Why `pattern` is not valid RE2 (or not read the same way by Go), if it is not.
pub fn re2_error(pattern: &str) -> Option<String> {
    let parsed = match ast::parse::Parser::new().parse(pattern) {
        Ok(a) => a,
        Err(e) => return Some(e.kind().to_string()),
    };
    if let Err(why) = ast::visit(&parsed, Re2) {
        return Some(why);
    }
    regex_syntax::hir::translate::Translator::new()
        .translate(pattern, &parsed)
        .err()
        .map(|e| e.kind().to_string())
}

/// Refuses what `regex-syntax` accepts and RE2 does not.
struct Re2;

impl ast::Visitor for Re2 {
    type Output = ();
    type Err = String;

    fn finish(self) -> Result<(), String> {
        Ok(())
    }

    fn visit_pre(&mut self, a: &Ast) -> Result<(), String> {
        match a {
            Ast::Assertion(b) => match &**b {
                Assertion {
                    kind:
                        AssertionKind::WordBoundaryStart
                        | AssertionKind::WordBoundaryEnd
                        | AssertionKind::WordBoundaryStartAngle
                        | AssertionKind::WordBoundaryEndAngle
                        | AssertionKind::WordBoundaryStartHalf
                        | AssertionKind::WordBoundaryEndHalf,
                    ..
                } => Err("RE2 has no `\\b{…}`, `\\<` or `\\>` word boundaries; use `\\b`".into()),
                _ => Ok(()),
            },
            Ast::Literal(l) => literal(&l.kind),
            Ast::Flags(f) => flags(&f.flags.items),
            Ast::Group(g) => match &g.kind {
                ast::GroupKind::NonCapturing(f) => flags(&f.items),
                _ => Ok(()),
            },
            Ast::Repetition(r) if matches!(*r.ast, Ast::Repetition(_)) => Err(
                "RE2 refuses a repetition of a repetition (`a**`, `a{2}{3}`); group it: `(a*)*`"
                    .into(),
            ),
            Ast::Repetition(r) => match &r.op.kind {
                RepetitionKind::Range(
                    RepetitionRange::Exactly(n)
                    | RepetitionRange::AtLeast(n)
                    | RepetitionRange::Bounded(_, n),
                ) if *n > MAX_REPEAT => Err(format!(
                    "RE2 allows repetition counts up to {MAX_REPEAT}, found {n}"
                )),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), String> {
        match item {
            ClassSetItem::Bracketed(_) => Err(
                "RE2 has no nested character classes: `[` inside a class is a literal `[` in Go; escape it as `\\[`".into(),
            ),
            ClassSetItem::Literal(l) => literal(&l.kind),
            _ => Ok(()),
        }
    }

    fn visit_class_set_binary_op_pre(&mut self, _op: &ClassSetBinaryOp) -> Result<(), String> {
        Err("RE2 has no class set operations (`&&`, `--`, `~~`); Go reads them as literal characters".into())
    }
}

fn literal(k: &LiteralKind) -> Result<(), String> {
    match k {
        LiteralKind::HexFixed(HexLiteralKind::UnicodeShort | HexLiteralKind::UnicodeLong)
        | LiteralKind::HexBrace(HexLiteralKind::UnicodeShort | HexLiteralKind::UnicodeLong) => {
            Err("RE2 has no `\\u`/`\\U` escapes; write `\\x{…}`".into())
        }
        _ => Ok(()),
    }
}

fn flags(items: &[ast::FlagsItem]) -> Result<(), String> {
    for i in items {
        if let FlagsItemKind::Flag(f @ (Flag::Unicode | Flag::CRLF | Flag::IgnoreWhitespace)) =
            i.kind
        {
            let c = match f {
                Flag::Unicode => 'u',
                Flag::CRLF => 'R',
                _ => 'x',
            };
            return Err(format!(
                "RE2 has no `{c}` flag; its flags are `i`, `m`, `s` and `U`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::re2_error;

    #[test]
    fn valid_re2_passes() {
        for p in [
            "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            r"^registry\.example\.com/.+@sha256:[a-f0-9]{64}$",
            "(?i)latest",
            r"\bword\b",
            "[[:alpha:]]+",
            r"\x{1F600}",
            "(?P<name>a)",
            "a{1000}",
        ] {
            assert_eq!(re2_error(p), None, "{p}");
        }
    }

    #[test]
    fn invalid_or_non_re2_is_refused() {
        for p in [
            "(unclosed",
            "[z-a]",
            "a**",
            r"\1",
            "[a-z&&[^x]]",
            "[a[bc]]",
            r"\b{start}x",
            r"\<x\>",
            r"\u0041",
            "(?x) a",
            "a{1001}",
            "(?R)a",
        ] {
            assert!(re2_error(p).is_some(), "{p} should be refused");
        }
    }
}
