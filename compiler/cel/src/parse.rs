//! A hand-written recursive-descent parser for the CEL subset.
//!
//! Precedence, loosest first: `?:` < `||` < `&&` < relations (`== != < <= > >= in`) <
//! `+ -` < `* / %` < unary `! -` < member access, calls and indexing. Binary operators
//! associate to the left; the ternary to the right. Macros (`has`, `all`, `exists`,
//! `exists_one`, `map`, `filter`) are recognised here and become their own nodes.
//!
//! The parser stops at the first error and never panics: nesting deeper than
//! [`MAX_DEPTH`] is an error ([`diagnostics::codes::admission::P3002`]).

use crate::ast::{BinaryOp, Expr, ExprKind, Lit, Macro, TextRange, UnaryOp};
use diagnostics::codes::admission::{P3001, P3002};
use diagnostics::{Code, Diagnostic, Span};

/// The deepest expression tree the parser accepts.
pub const MAX_DEPTH: usize = 128;

/// A syntax error, with a range relative to the expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub code: &'static Code,
    pub message: String,
    pub range: TextRange,
    pub label: Option<String>,
    pub help: Option<String>,
}

impl ParseError {
    fn new(range: TextRange, message: impl Into<String>) -> Self {
        ParseError {
            code: &P3001,
            message: message.into(),
            range,
            label: None,
            help: None,
        }
    }

    /// The diagnostic, placed in the posture file: `base` is the span of the expression text.
    pub fn to_diagnostic(&self, base: Span) -> Diagnostic {
        let span = Span {
            file: base.file,
            start: base.start + self.range.start,
            end: base.start + self.range.end,
        };
        let mut d = Diagnostic::spanned(self.code, span, self.message.clone());
        if let Some(l) = &self.label {
            d = d.with_label(l.clone());
        }
        if let Some(h) = &self.help {
            d = d.with_help(h.clone());
        }
        d
    }
}

/// Parses one expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let tokens = lex(text)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        text_len: text.len(),
    };
    let e = p.expr(0)?;
    if let Some(t) = p.peek_tok() {
        return Err(ParseError::new(
            t.range,
            format!(
                "expected the end of the expression, found {}",
                t.kind.describe()
            ),
        ));
    }
    check_depth(&e)?;
    Ok(e)
}

/// Rejects trees deeper than [`MAX_DEPTH`] (left-deep chains such as `a + a + … + a` are built
/// by loops, so the recursion limit alone does not bound them). Iterative, never overflows.
fn check_depth(e: &Expr) -> Result<(), ParseError> {
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 1)];
    while let Some((n, d)) = stack.pop() {
        if d > MAX_DEPTH {
            return Err(too_deep(n.range));
        }
        let mut kids: Vec<&Expr> = Vec::new();
        match &n.kind {
            ExprKind::Lit(_) | ExprKind::Ident(_) => {}
            ExprKind::List(items) => kids.extend(items),
            ExprKind::Map(es) => {
                for (k, v) in es {
                    kids.push(k);
                    kids.push(v);
                }
            }
            ExprKind::Select { operand, .. } => kids.push(operand),
            ExprKind::Index { operand, index, .. } => kids.extend([&**operand, &**index]),
            ExprKind::Call { target, args, .. } => {
                kids.extend(target.as_deref());
                kids.extend(args);
            }
            ExprKind::Comprehension {
                range,
                filter,
                body,
                ..
            } => {
                kids.push(range);
                kids.extend(filter.as_deref());
                kids.push(body);
            }
            ExprKind::Has(x) => kids.push(x),
            ExprKind::Unary { operand, .. } => kids.push(operand),
            ExprKind::Binary { lhs, rhs, .. } => kids.extend([&**lhs, &**rhs]),
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => kids.extend([&**cond, &**then, &**otherwise]),
            ExprKind::Struct { fields, .. } => kids.extend(fields.iter().map(|(_, v)| v)),
        }
        stack.extend(kids.into_iter().map(|k| (k, d + 1)));
    }
    Ok(())
}

/// `a.b.c` for an identifier followed by plain field selections: a message type name.
fn dotted_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Ident(n) => Some(n.clone()),
        ExprKind::Select {
            operand,
            field,
            optional: false,
        } => dotted_name(operand).map(|t| format!("{t}.{field}")),
        _ => None,
    }
}

fn too_deep(range: TextRange) -> ParseError {
    ParseError {
        code: &P3002,
        message: format!("the expression nests more than {MAX_DEPTH} levels deep"),
        range,
        label: Some("too deep here".into()),
        help: Some("split it into smaller rules".into()),
    }
}

// ---- lexer -------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// An integer's magnitude; the sign is a separate `-`.
    Int(u64),
    Uint(u64),
    Double(f64),
    Str(String),
    Bytes(Vec<u8>),
    Punct(&'static str),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(_) | Tok::Uint(_) | Tok::Double(_) => "a number".into(),
            Tok::Str(_) => "a string".into(),
            Tok::Bytes(_) => "a bytes literal".into(),
            Tok::Punct(p) => format!("`{p}`"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    range: TextRange,
}

const PUNCTS: &[&str] = &[
    "==", "!=", "<=", ">=", "&&", "||", "(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "!", "-",
    "+", "*", "/", "%", "<", ">",
];

fn lex(text: &str) -> Result<Vec<Token>, ParseError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        // string prefixes: r, b, rb, br (any case)
        if c.is_ascii_alphabetic() || c == b'_' {
            let mut j = i;
            let mut raw = false;
            let mut is_bytes = false;
            while j < bytes.len() && j - i < 2 {
                match bytes[j] {
                    b'r' | b'R' if !raw => raw = true,
                    b'b' | b'B' if !is_bytes => is_bytes = true,
                    _ => break,
                }
                j += 1;
            }
            if j > i && j < bytes.len() && (bytes[j] == b'\'' || bytes[j] == b'"') {
                let (s, end) = lex_string(text, j, raw, is_bytes)?;
                let kind = if is_bytes {
                    Tok::Bytes(s)
                } else {
                    // `lex_string` only produces valid UTF-8 for text strings.
                    Tok::Str(String::from_utf8(s).unwrap_or_default())
                };
                out.push(Token {
                    kind,
                    range: TextRange::new(start, end),
                });
                i = end;
                continue;
            }
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(Token {
                kind: Tok::Ident(text[start..i].to_string()),
                range: TextRange::new(start, i),
            });
            continue;
        }
        if c == b'\'' || c == b'"' {
            let (s, end) = lex_string(text, i, false, false)?;
            out.push(Token {
                kind: Tok::Str(String::from_utf8(s).unwrap_or_default()),
                range: TextRange::new(start, end),
            });
            i = end;
            continue;
        }
        if c.is_ascii_digit() {
            let (kind, end) = lex_number(text, i)?;
            out.push(Token {
                kind,
                range: TextRange::new(start, end),
            });
            i = end;
            continue;
        }
        if let Some(p) = PUNCTS.iter().find(|p| text[i..].starts_with(**p)) {
            i += p.len();
            out.push(Token {
                kind: Tok::Punct(p),
                range: TextRange::new(start, i),
            });
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or('?');
        let end = i + ch.len_utf8();
        let mut e = ParseError::new(
            TextRange::new(i, end),
            format!("unexpected character `{}`", ch.escape_debug()),
        );
        if ch == '=' {
            e.help = Some("compare with `==`".into());
        } else if ch == '&' || ch == '|' {
            e.help = Some(format!("write `{ch}{ch}`"));
        }
        return Err(e);
    }
    Ok(out)
}

fn lex_number(text: &str, start: usize) -> Result<(Tok, usize), ParseError> {
    let b = text.as_bytes();
    let mut i = start;
    let bad = |end: usize, what: &str| {
        ParseError::new(
            TextRange::new(start, end),
            format!("`{}` is {what}", &text[start..end]),
        )
    };
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
        i += 2;
        let ds = i;
        while i < b.len() && b[i].is_ascii_hexdigit() {
            i += 1;
        }
        let v = u64::from_str_radix(&text[ds..i], 16).map_err(|_| bad(i, "not a valid number"))?;
        if matches!(b.get(i), Some(b'u' | b'U')) {
            return Ok((Tok::Uint(v), i + 1));
        }
        return Ok((Tok::Int(v), i));
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut is_double = false;
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        is_double = true;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            is_double = true;
            i = j;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    if is_double {
        let v: f64 = text[start..i]
            .parse()
            .map_err(|_| bad(i, "not a valid number"))?;
        if !v.is_finite() {
            return Err(bad(i, "too large for a double"));
        }
        return Ok((Tok::Double(v), i));
    }
    let v: u64 = text[start..i]
        .parse()
        .map_err(|_| bad(i, "too large for an integer"))?;
    if matches!(b.get(i), Some(b'u' | b'U')) {
        return Ok((Tok::Uint(v), i + 1));
    }
    Ok((Tok::Int(v), i))
}

/// Lexes a string starting at the quote at `q`; returns its value and the end offset.
fn lex_string(
    text: &str,
    q: usize,
    raw: bool,
    is_bytes: bool,
) -> Result<(Vec<u8>, usize), ParseError> {
    let b = text.as_bytes();
    let quote = b[q];
    let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
    let delim_len = if triple { 3 } else { 1 };
    let mut i = q + delim_len;
    let mut out: Vec<u8> = Vec::new();
    let start_of_token = {
        // include the prefix letters in error ranges
        let mut s = q;
        while s > 0 && matches!(b[s - 1], b'r' | b'R' | b'b' | b'B') && q - (s - 1) <= 2 {
            s -= 1;
        }
        s
    };
    loop {
        if i >= b.len() {
            let mut e = ParseError::new(
                TextRange::new(start_of_token, b.len()),
                "this string is never closed",
            );
            e.label = Some("string starts here".into());
            return Err(e);
        }
        let c = b[i];
        if c == quote && (!triple || (b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote)))
        {
            return Ok((out, i + delim_len));
        }
        if !triple && (c == b'\n' || c == b'\r') {
            let mut e = ParseError::new(
                TextRange::new(start_of_token, i),
                "this string is never closed on its line",
            );
            e.help =
                Some("use a triple-quoted string ('''…''') for text over several lines".into());
            return Err(e);
        }
        if c == b'\\' && !raw {
            let esc_start = i;
            i += 1;
            let Some(&e) = b.get(i) else { continue };
            i += 1;
            let simple = match e {
                b'\\' => Some(b'\\'),
                b'\'' => Some(b'\''),
                b'"' => Some(b'"'),
                b'`' => Some(b'`'),
                b'?' => Some(b'?'),
                b'a' => Some(0x07),
                b'b' => Some(0x08),
                b'f' => Some(0x0c),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'v' => Some(0x0b),
                _ => None,
            };
            if let Some(s) = simple {
                out.push(s);
                continue;
            }
            let bad_escape = |end: usize| {
                let end = end.min(b.len());
                let mut err = ParseError::new(
                    TextRange::new(esc_start, end),
                    format!(
                        "`{}` is not a valid escape sequence",
                        String::from_utf8_lossy(&b[esc_start..end])
                    ),
                );
                err.help = Some(
                    "valid escapes: \\\\ \\' \\\" \\n \\r \\t \\xHH \\uHHHH \\UHHHHHHHH, or use a raw string r'…'"
                        .into(),
                );
                err
            };
            let hex = |from: usize, n: usize| -> Option<u32> {
                let s = text.get(from..from + n)?;
                if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                u32::from_str_radix(s, 16).ok()
            };
            match e {
                b'x' | b'X' => {
                    let v = hex(i, 2).ok_or_else(|| bad_escape(i + 2))?;
                    i += 2;
                    push_code(&mut out, v, is_bytes).ok_or_else(|| bad_escape(i))?;
                }
                b'u' | b'U' => {
                    let n = if e == b'u' { 4 } else { 8 };
                    let v = hex(i, n).ok_or_else(|| bad_escape(i + n))?;
                    i += n;
                    let ch = char::from_u32(v).ok_or_else(|| bad_escape(i))?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                b'0'..=b'3' => {
                    let s = text.get(i - 1..i + 2).ok_or_else(|| bad_escape(i + 2))?;
                    if !s.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
                        return Err(bad_escape(i + 2));
                    }
                    let v = u32::from_str_radix(s, 8).map_err(|_| bad_escape(i + 2))?;
                    i += 2;
                    push_code(&mut out, v, is_bytes).ok_or_else(|| bad_escape(i))?;
                }
                _ => {
                    // include the whole (possibly multi-byte) character in the range
                    let ch_len = text[i - 1..].chars().next().map_or(1, char::len_utf8);
                    return Err(bad_escape(i - 1 + ch_len));
                }
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
}

/// A `\x`/octal escape: a byte in bytes literals, a code point in strings.
fn push_code(out: &mut Vec<u8>, v: u32, is_bytes: bool) -> Option<()> {
    if is_bytes {
        out.push(u8::try_from(v).ok()?);
    } else {
        let ch = char::from_u32(v)?;
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    Some(())
}

// ---- parser ------------------------------------------------------------------------------

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    text_len: usize,
}

const RESERVED: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

impl Parser {
    fn peek_tok(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }
    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + n).map(|t| &t.kind)
    }
    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }
    fn is_punct_at(&self, n: usize, p: &str) -> bool {
        matches!(self.peek_at(n), Some(Tok::Punct(q)) if *q == p)
    }
    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        self.pos += 1;
        t
    }
    fn eat(&mut self, p: &str) -> Option<Token> {
        if self.is_punct(p) {
            Some(self.bump())
        } else {
            None
        }
    }
    fn end_range(&self) -> TextRange {
        TextRange::new(self.text_len, self.text_len)
    }
    fn expect(&mut self, p: &str, context: &str) -> Result<Token, ParseError> {
        if let Some(t) = self.eat(p) {
            return Ok(t);
        }
        Err(self.unexpected(&format!("`{p}` {context}")))
    }
    fn unexpected(&self, expected: &str) -> ParseError {
        match self.peek_tok() {
            Some(t) => ParseError::new(
                t.range,
                format!("expected {expected}, found {}", t.kind.describe()),
            ),
            None => ParseError::new(
                self.end_range(),
                format!("expected {expected}, found the end of the expression"),
            ),
        }
    }
    fn guard(&self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            let r = self.peek_tok().map_or(self.end_range(), |t| t.range);
            return Err(too_deep(r));
        }
        Ok(())
    }

    /// expr := or ('?' or ':' expr)?
    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        self.guard(depth)?;
        let cond = self.binary(1, depth)?;
        if self.eat("?").is_some() {
            let then = self.binary(1, depth + 1)?;
            self.expect(":", "after the then-branch of `?`")?;
            let otherwise = self.expr(depth + 1)?;
            let range = cond.range.to(otherwise.range);
            return Ok(Expr::new(
                ExprKind::Ternary {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
                range,
            ));
        }
        Ok(cond)
    }

    fn binary_op(&self, level: u8) -> Option<BinaryOp> {
        let op = match self.peek()? {
            Tok::Punct(p) => match *p {
                "||" => BinaryOp::Or,
                "&&" => BinaryOp::And,
                "==" => BinaryOp::Eq,
                "!=" => BinaryOp::Ne,
                "<" => BinaryOp::Lt,
                "<=" => BinaryOp::Le,
                ">" => BinaryOp::Gt,
                ">=" => BinaryOp::Ge,
                "+" => BinaryOp::Add,
                "-" => BinaryOp::Sub,
                "*" => BinaryOp::Mul,
                "/" => BinaryOp::Div,
                "%" => BinaryOp::Rem,
                _ => return None,
            },
            Tok::Ident(s) if s == "in" => BinaryOp::In,
            _ => return None,
        };
        (op.precedence() == level).then_some(op)
    }

    /// Left-associative binary operators of precedence `level` (1..=5).
    fn binary(&mut self, level: u8, depth: usize) -> Result<Expr, ParseError> {
        if level > 5 {
            return self.unary(depth);
        }
        let mut lhs = self.binary(level + 1, depth)?;
        while let Some(op) = self.binary_op(level) {
            self.bump();
            let rhs = self.binary(level + 1, depth + 1)?;
            let range = lhs.range.to(rhs.range);
            lhs = Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                range,
            );
        }
        Ok(lhs)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        self.guard(depth)?;
        if self.is_punct("!") || self.is_punct("-") {
            let op_tok = self.bump();
            let neg = op_tok.kind == Tok::Punct("-");
            // `-` directly before a number that is not followed by member access is a
            // negative literal (so `-9223372036854775808` fits).
            if neg && !self.is_punct_at(1, ".") && !self.is_punct_at(1, "[") {
                let lit = match self.peek() {
                    Some(Tok::Int(m)) => {
                        let m = *m;
                        Some(if m <= i64::MAX as u64 {
                            Lit::Int(-(m as i64))
                        } else if m == i64::MAX as u64 + 1 {
                            Lit::Int(i64::MIN)
                        } else {
                            let t = self.peek_tok().map(|t| t.range).unwrap_or_default();
                            return Err(ParseError::new(
                                op_tok.range.to(t),
                                "this number is too small for an integer",
                            ));
                        })
                    }
                    Some(Tok::Double(d)) => Some(Lit::Double(-*d)),
                    _ => None,
                };
                if let Some(lit) = lit {
                    let t = self.bump();
                    return Ok(Expr::new(ExprKind::Lit(lit), op_tok.range.to(t.range)));
                }
            }
            let operand = self.unary(depth + 1)?;
            let range = op_tok.range.to(operand.range);
            let op = if neg { UnaryOp::Neg } else { UnaryOp::Not };
            return Ok(Expr::new(
                ExprKind::Unary {
                    op,
                    operand: Box::new(operand),
                },
                range,
            ));
        }
        self.member(depth)
    }

    fn field_name(&mut self) -> Result<Token, ParseError> {
        match self.peek() {
            Some(Tok::Ident(_)) => Ok(self.bump()),
            _ => Err(self.unexpected("a field name after `.`")),
        }
    }

    fn member(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let mut e = self.primary(depth)?;
        loop {
            if self.eat(".").is_some() {
                let optional = self.eat("?").is_some();
                let name_tok = self.field_name()?;
                let Tok::Ident(name) = name_tok.kind else {
                    unreachable!("field_name returns identifiers")
                };
                if !optional && self.is_punct("(") {
                    self.bump();
                    e = self.member_call(e, name, name_tok.range, depth)?;
                    continue;
                }
                let range = e.range.to(name_tok.range);
                e = Expr::new(
                    ExprKind::Select {
                        operand: Box::new(e),
                        field: name,
                        optional,
                    },
                    range,
                );
            } else if self.eat("[").is_some() {
                let optional = self.eat("?").is_some();
                let index = self.expr(depth + 1)?;
                let close = self.expect("]", "to close the index")?;
                let range = e.range.to(close.range);
                e = Expr::new(
                    ExprKind::Index {
                        operand: Box::new(e),
                        index: Box::new(index),
                        optional,
                    },
                    range,
                );
            } else if self.is_punct("{")
                && let Some(type_name) = dotted_name(&e)
            {
                self.bump();
                e = self.message(type_name, e.range, depth)?;
            } else {
                return Ok(e);
            }
        }
    }

    /// After `Type{`: the field initialisers, through `}`.
    fn message(
        &mut self,
        type_name: String,
        start: TextRange,
        depth: usize,
    ) -> Result<Expr, ParseError> {
        let mut fields = Vec::new();
        loop {
            if let Some(c) = self.eat("}") {
                return Ok(Expr::new(
                    ExprKind::Struct { type_name, fields },
                    start.to(c.range),
                ));
            }
            let name = match self.peek() {
                Some(Tok::Ident(_)) => match self.bump().kind {
                    Tok::Ident(n) => n,
                    _ => unreachable!("peeked an identifier"),
                },
                _ => return Err(self.unexpected("a field name in the message")),
            };
            self.expect(":", "between a field name and its value")?;
            fields.push((name, self.expr(depth + 1)?));
            if self.eat(",").is_none() {
                let c = self.expect("}", "or `,` in the message")?;
                return Ok(Expr::new(
                    ExprKind::Struct { type_name, fields },
                    start.to(c.range),
                ));
            }
        }
    }

    /// After `target.name(`: a macro or a member call.
    fn member_call(
        &mut self,
        target: Expr,
        name: String,
        name_range: TextRange,
        depth: usize,
    ) -> Result<Expr, ParseError> {
        let (args, close) = self.args(depth)?;
        let range = target.range.to(close);
        if let Some(kind) = Macro::from_name(&name) {
            let n = args.len();
            let ok = n == 2 || (kind == Macro::Map && n == 3);
            if !ok {
                let want = if kind == Macro::Map {
                    "two or three arguments"
                } else {
                    "two arguments"
                };
                let mut err = ParseError::new(
                    name_range.to(close),
                    format!("`{}` takes {want}, found {n}", kind.name()),
                );
                err.help = Some(format!("write `list.{}(x, <condition on x>)`", kind.name()));
                return Err(err);
            }
            let mut args = args.into_iter();
            let var = args.next().expect("checked length");
            let Some(var_name) = var.as_ident().map(str::to_string) else {
                return Err(ParseError::new(
                    var.range,
                    format!(
                        "the first argument of `{}` must be a variable name",
                        kind.name()
                    ),
                ));
            };
            let (filter, body) = if n == 3 {
                let f = args.next().expect("checked length");
                (Some(Box::new(f)), args.next().expect("checked length"))
            } else {
                (None, args.next().expect("checked length"))
            };
            return Ok(Expr::new(
                ExprKind::Comprehension {
                    kind,
                    range: Box::new(target),
                    var: var_name,
                    filter,
                    body: Box::new(body),
                },
                range,
            ));
        }
        Ok(Expr::new(
            ExprKind::Call {
                target: Some(Box::new(target)),
                function: name,
                args,
            },
            range,
        ))
    }

    /// Arguments after `(`, through `)`; returns them and the range of `)`.
    fn args(&mut self, depth: usize) -> Result<(Vec<Expr>, TextRange), ParseError> {
        let mut args = Vec::new();
        if let Some(t) = self.eat(")") {
            return Ok((args, t.range));
        }
        loop {
            args.push(self.expr(depth + 1)?);
            if self.eat(",").is_some() {
                continue;
            }
            let t = self.expect(")", "or `,` in the argument list")?;
            return Ok((args, t.range));
        }
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let Some(t) = self.peek_tok().cloned() else {
            return Err(self.unexpected("an expression"));
        };
        let lit = |l: Lit| Ok(Expr::new(ExprKind::Lit(l), t.range));
        match t.kind {
            Tok::Int(m) => {
                self.bump();
                let v = i64::try_from(m).map_err(|_| {
                    ParseError::new(t.range, "this number is too large for an integer")
                })?;
                lit(Lit::Int(v))
            }
            Tok::Uint(v) => {
                self.bump();
                lit(Lit::Uint(v))
            }
            Tok::Double(v) => {
                self.bump();
                lit(Lit::Double(v))
            }
            Tok::Str(s) => {
                self.bump();
                lit(Lit::String(s))
            }
            Tok::Bytes(b) => {
                self.bump();
                lit(Lit::Bytes(b))
            }
            Tok::Ident(name) => {
                self.bump();
                match name.as_str() {
                    "true" => return lit(Lit::Bool(true)),
                    "false" => return lit(Lit::Bool(false)),
                    "null" => return lit(Lit::Null),
                    "in" => {
                        return Err(ParseError::new(
                            t.range,
                            "expected an expression, found `in`",
                        ));
                    }
                    _ => {}
                }
                if RESERVED.contains(&name.as_str()) {
                    return Err(ParseError::new(
                        t.range,
                        format!("`{name}` is a reserved word in CEL"),
                    ));
                }
                if self.eat("(").is_some() {
                    let (args, close) = self.args(depth)?;
                    let range = t.range.to(close);
                    if name == "has" {
                        let [arg] = <[Expr; 1]>::try_from(args).map_err(|args| {
                            ParseError::new(
                                range,
                                format!("`has` takes one argument, found {}", args.len()),
                            )
                        })?;
                        if !matches!(
                            arg.kind,
                            ExprKind::Select {
                                optional: false,
                                ..
                            }
                        ) {
                            let mut err = ParseError::new(
                                arg.range,
                                "the argument of `has` must be a field selection like `a.b`",
                            );
                            err.help = Some("for a map key, write `'key' in m`".into());
                            return Err(err);
                        }
                        return Ok(Expr::new(ExprKind::Has(Box::new(arg)), range));
                    }
                    return Ok(Expr::new(
                        ExprKind::Call {
                            target: None,
                            function: name,
                            args,
                        },
                        range,
                    ));
                }
                Ok(Expr::new(ExprKind::Ident(name), t.range))
            }
            Tok::Punct("(") => {
                self.bump();
                let e = self.expr(depth + 1)?;
                self.expect(")", "to close `(`")?;
                Ok(e)
            }
            Tok::Punct("[") => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    if let Some(c) = self.eat("]") {
                        return Ok(Expr::new(ExprKind::List(items), t.range.to(c.range)));
                    }
                    items.push(self.expr(depth + 1)?);
                    if self.eat(",").is_none() {
                        let c = self.expect("]", "or `,` in the list")?;
                        return Ok(Expr::new(ExprKind::List(items), t.range.to(c.range)));
                    }
                }
            }
            Tok::Punct("{") => {
                self.bump();
                let mut entries = Vec::new();
                loop {
                    if let Some(c) = self.eat("}") {
                        return Ok(Expr::new(ExprKind::Map(entries), t.range.to(c.range)));
                    }
                    let k = self.expr(depth + 1)?;
                    self.expect(":", "between a map key and its value")?;
                    let v = self.expr(depth + 1)?;
                    entries.push((k, v));
                    if self.eat(",").is_none() {
                        let c = self.expect("}", "or `,` in the map")?;
                        return Ok(Expr::new(ExprKind::Map(entries), t.range.to(c.range)));
                    }
                }
            }
            _ => Err(self.unexpected("an expression")),
        }
    }
}
