//! The parser: a hand-written recursive descent over libsinsp's filter grammar.
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | primary
//! primary := "(" expr ")" | check | macro
//! check   := field ["[" arg "]"] op [operand]
//! operand := value | "(" [value ("," value)*] ")"
//! value   := bare | "…" | '…'
//! ```
//!
//! `not` binds tighter than `and`, which binds tighter than `or`. A field is a dotted path
//! (`proc.name`, `evt.arg.flags`); a macro is a name without dots. Bare values run until a
//! blank, a parenthesis, a comma, `=` or a quote (so `evt.dir = <` reads `<`). Transformers
//! (`tolower(…)`) and field values on the right (`val(…)`) are not part of the language we
//! accept: they are reported, never guessed at.

use crate::ast::*;

/// How deep parentheses and `not`s may nest: deeper input is refused, never a stack overflow.
pub const MAX_DEPTH: usize = 64;

/// Why a condition does not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub range: TextRange,
}

/// Parses a whole condition.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    p.blank();
    if p.i == p.b.len() {
        return Err(ParseError {
            message: "the condition is empty".to_string(),
            range: TextRange::new(0, text.len()),
        });
    }
    let e = p.or()?;
    p.blank();
    if p.i < p.b.len() {
        let (start, end) = p.token_at(p.i);
        let found = &text[start..end];
        return Err(p.error(
            start,
            end,
            if found == ")" {
                "this `)` has no `(`".to_string()
            } else {
                format!("expected `and`, `or` or the end of the condition, found `{found}`")
            },
        ));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic()
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl<'a> Parser<'a> {
    fn error(&self, start: usize, end: usize, message: String) -> ParseError {
        ParseError {
            message,
            range: TextRange::new(start, end),
        }
    }

    fn blank(&mut self) {
        while self.i < self.b.len()
            && matches!(self.b[self.i], b' ' | b'\t' | b'\r' | b'\n' | 0x08 | 0x0c)
        {
            self.i += 1;
        }
    }

    /// The extent of the token at `i`, for messages.
    fn token_at(&self, i: usize) -> (usize, usize) {
        let mut j = i;
        if j >= self.b.len() {
            return (i, i);
        }
        if matches!(self.b[j], b'(' | b')' | b',') {
            return (i, i + 1);
        }
        while j < self.b.len()
            && !self.b[j].is_ascii_whitespace()
            && !matches!(self.b[j], b'(' | b')')
        {
            j += 1;
        }
        // Stay on a character boundary.
        while j < self.b.len() && !self.s.is_char_boundary(j) {
            j += 1;
        }
        (i, j.max(i + 1).min(self.b.len()))
    }

    /// The keyword `kw` at the cursor, followed by something that cannot continue a word.
    fn keyword(&mut self, kw: &str) -> bool {
        let end = self.i + kw.len();
        if self.b.len() >= end
            && &self.b[self.i..end] == kw.as_bytes()
            && (end == self.b.len() || !(is_ident_char(self.b[end]) || self.b[end] == b'.'))
        {
            self.i = end;
            true
        } else {
            false
        }
    }

    fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                at,
                at + 1,
                format!("the condition nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and()?];
        loop {
            self.blank();
            if self.keyword("or") {
                items.push(self.and()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.not()?];
        loop {
            self.blank();
            if self.keyword("and") {
                items.push(self.not()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        self.blank();
        let at = self.i;
        if self.keyword("not") {
            self.enter(at)?;
            let e = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.blank();
        let at = self.i;
        if at >= self.b.len() {
            return Err(self.error(
                at,
                at,
                "the condition ends where a check, a macro or `(` is expected".to_string(),
            ));
        }
        if self.b[at] == b'(' {
            self.enter(at)?;
            self.i += 1;
            let e = self.or()?;
            self.blank();
            if self.i < self.b.len() && self.b[self.i] == b')' {
                self.i += 1;
                self.depth -= 1;
                return Ok(e);
            }
            return Err(self.error(at, at + 1, "this `(` is never closed".to_string()));
        }
        if !is_ident_start(self.b[at]) {
            let (s, e) = self.token_at(at);
            return Err(self.error(
                s,
                e,
                format!(
                    "expected a field, a macro or `(`, found `{}`",
                    &self.s[s..e]
                ),
            ));
        }
        // A name: letters, digits, `_`, with dotted parts for fields.
        let mut j = at;
        while j < self.b.len() && is_ident_char(self.b[j]) {
            j += 1;
        }
        let mut dotted = false;
        while j + 1 < self.b.len() && self.b[j] == b'.' && is_ident_char(self.b[j + 1]) {
            dotted = true;
            j += 1;
            while j < self.b.len() && is_ident_char(self.b[j]) {
                j += 1;
            }
        }
        let name = &self.s[at..j];
        if matches!(name, "and" | "or" | "not") {
            return Err(self.error(
                at,
                j,
                format!("`{name}` needs a check or a macro before it"),
            ));
        }
        // A transformer or function call: `tolower(proc.name)`.
        if !dotted && j < self.b.len() && self.b[j] == b'(' {
            return Err(self.error(
                at,
                j,
                format!(
                    "`{name}(…)`: field transformers are not supported; compare the field itself"
                ),
            ));
        }
        self.i = j;
        if !dotted {
            return Ok(Expr::Macro(Ident {
                name: name.to_string(),
                range: TextRange::new(at, j),
            }));
        }
        // The bracket argument.
        let mut index = None;
        if self.i < self.b.len() && self.b[self.i] == b'[' {
            let open = self.i;
            let mut k = self.i + 1;
            while k < self.b.len() && self.b[k] != b']' {
                k += 1;
            }
            if k >= self.b.len() {
                return Err(self.error(open, open + 1, "this `[` is never closed".to_string()));
            }
            let arg = &self.s[open + 1..k];
            if arg.is_empty() {
                return Err(self.error(open, k + 1, "an empty field argument `[]`".to_string()));
            }
            index = Some(arg.to_string());
            self.i = k + 1;
        }
        let field = Field {
            path: name.to_string(),
            index,
            range: TextRange::new(at, self.i),
        };
        // The operator.
        self.blank();
        let op_at = self.i;
        let op = self.op().ok_or_else(|| {
            let (s, e) = self.token_at(op_at);
            let found = if s < e { &self.s[s..e] } else { "the end" };
            self.error(
                field.range.start,
                field.range.end.max(e),
                format!(
                    "field `{}` needs a comparison operator, found `{found}`",
                    field.path
                ),
            )
        })?;
        let operand = match op.operand() {
            OperandShape::None => None,
            OperandShape::Scalar => {
                self.blank();
                if self.i < self.b.len() && self.b[self.i] == b'(' {
                    return Err(self.error(
                        self.i,
                        self.i + 1,
                        format!(
                            "`{}` compares with one value, not a list: use `in (…)`",
                            op.as_str()
                        ),
                    ));
                }
                Some(Operand::Value(self.value(op)?))
            }
            OperandShape::List => {
                self.blank();
                let open = self.i;
                if !(self.i < self.b.len() && self.b[self.i] == b'(') {
                    return Err(self.error(
                        op_at,
                        self.i.max(op_at + 1),
                        format!("`{}` takes a list in parentheses: `(a, b)`", op.as_str()),
                    ));
                }
                self.i += 1;
                let mut items = Vec::new();
                self.blank();
                if self.i < self.b.len() && self.b[self.i] == b')' {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value(op)?);
                        self.blank();
                        match self.b.get(self.i) {
                            Some(b',') => {
                                self.i += 1;
                            }
                            Some(b')') => {
                                self.i += 1;
                                break;
                            }
                            _ => {
                                return Err(self.error(
                                    open,
                                    open + 1,
                                    "this list is never closed with `)`".to_string(),
                                ));
                            }
                        }
                    }
                }
                Some(Operand::List(items))
            }
        };
        Ok(Expr::Check { field, op, operand })
    }

    /// An operator at the cursor.
    fn op(&mut self) -> Option<Op> {
        let rest = &self.b[self.i..];
        for (text, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if rest.starts_with(text.as_bytes()) {
                self.i += text.len();
                return Some(op);
            }
        }
        let mut j = 0;
        while j < rest.len() && is_ident_char(rest[j]) {
            j += 1;
        }
        let op = Op::word(std::str::from_utf8(&rest[..j]).ok()?)?;
        // A word operator ends at a blank or a parenthesis.
        if j < rest.len() && !(rest[j].is_ascii_whitespace() || rest[j] == b'(' || rest[j] == b')')
        {
            return None;
        }
        self.i += j;
        Some(op)
    }

    fn value(&mut self, op: Op) -> Result<Value, ParseError> {
        self.blank();
        let at = self.i;
        match self.b.get(at) {
            Some(&q @ (b'"' | b'\'')) => {
                let mut j = at + 1;
                while j < self.b.len() {
                    if self.b[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if self.b[j] == q {
                        let raw = self.s[at + 1..j].to_string();
                        self.i = j + 1;
                        return Ok(Value {
                            kind: ValueKind::Quoted {
                                quote: q as char,
                                raw,
                            },
                            range: TextRange::new(at, self.i),
                        });
                    }
                    j += 1;
                }
                Err(self.error(at, at + 1, "this string is never closed".to_string()))
            }
            _ => {
                let start = at;
                let mut j = at;
                for c in self.s[at..].chars() {
                    if !is_bare_char(c) {
                        break;
                    }
                    j += c.len_utf8();
                }
                if j == start {
                    let (s, e) = self.token_at(at);
                    let found = if s < e { &self.s[s..e] } else { "the end" };
                    return Err(self.error(
                        s,
                        e.max(s),
                        format!("`{}` needs a value, found `{found}`", op.as_str()),
                    ));
                }
                let text = &self.s[start..j];
                if matches!(text, "and" | "or" | "not") {
                    return Err(self.error(
                        start,
                        j,
                        format!(
                            "`{}` needs a value, found the keyword `{text}` (quote it if it is a value)",
                            op.as_str()
                        ),
                    ));
                }
                self.i = j;
                Ok(Value {
                    kind: ValueKind::Bare(text.to_string()),
                    range: TextRange::new(start, j),
                })
            }
        }
    }
}
