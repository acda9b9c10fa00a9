//! The tree of a Falco condition, and the builder emitters use to make one.
//!
//! The tree keeps what the author wrote where Falco gives it meaning: `=` and `==` are one
//! operator, but a quoted value keeps its quote and its escapes as written (so printing never
//! changes what Falco reads), and parentheses that group a same-kind operation are kept as a
//! nested node. Byte ranges ([`TextRange`]) locate nodes in the source for diagnostics; they
//! are not part of a node's identity (`parse(print(e)) == e`).

use serde::Serialize;

/// A byte range in the condition text. Two ranges always compare equal: the range says where
/// a node was written, not what it is.
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl PartialEq for TextRange {
    fn eq(&self, _: &TextRange) -> bool {
        true
    }
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        TextRange { start, end }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    /// `=` (also written `==`).
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    In,
    Intersects,
    PMatch,
    Exists,
    Regex,
}

impl Op {
    /// Every operator, in Falco's documentation order.
    pub const ALL: &'static [Op] = &[
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Contains,
        Op::IContains,
        Op::BContains,
        Op::StartsWith,
        Op::BStartsWith,
        Op::EndsWith,
        Op::Glob,
        Op::IGlob,
        Op::In,
        Op::Intersects,
        Op::PMatch,
        Op::Exists,
        Op::Regex,
    ];

    /// How Falco spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::PMatch => "pmatch",
            Op::Exists => "exists",
            Op::Regex => "regex",
        }
    }

    /// The word operators, by spelling.
    pub fn word(w: &str) -> Option<Op> {
        Op::ALL
            .iter()
            .copied()
            .find(|o| o.as_str() == w && o.as_str().starts_with(|c: char| c.is_ascii_alphabetic()))
    }

    /// What the operator takes on its right.
    pub fn operand(self) -> OperandShape {
        match self {
            Op::Exists => OperandShape::None,
            Op::In | Op::Intersects | Op::PMatch => OperandShape::List,
            _ => OperandShape::Scalar,
        }
    }
}

/// What an operator takes on its right-hand side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperandShape {
    /// `exists`.
    None,
    /// One value.
    Scalar,
    /// A list in parentheses.
    List,
}

/// A field as written: its dotted path (`proc.name`, `evt.arg.flags`, `k8s.pod.label.app`)
/// and its bracket argument (`proc.aname[2]` → `2`). Which part of a dotted path is the
/// field and which its argument is the checker's business (it knows the catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub path: String,
    pub index: Option<String>,
    pub range: TextRange,
}

impl Field {
    /// A field without argument.
    pub fn new(path: impl Into<String>) -> Field {
        Field {
            path: path.into(),
            index: None,
            range: TextRange::default(),
        }
    }

    /// A field with a bracket argument: `proc.aname[2]`.
    pub fn indexed(path: impl Into<String>, index: impl Into<String>) -> Field {
        Field {
            path: path.into(),
            index: Some(index.into()),
            range: TextRange::default(),
        }
    }
}

/// One value: a bare word (`bash`, `/etc`, `0`, `<`) or a quoted string kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueKind {
    Bare(String),
    /// The text between the quotes, escapes as written, and the quote character.
    Quoted {
        quote: char,
        raw: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub kind: ValueKind,
    pub range: TextRange,
}

impl Value {
    /// The value as Falco reads it: the bare word, or the quoted text with its escapes
    /// resolved.
    pub fn text(&self) -> String {
        match &self.kind {
            ValueKind::Bare(s) => s.clone(),
            ValueKind::Quoted { raw, .. } => unescape(raw),
        }
    }

    /// A bare word, when it is one.
    pub fn bare(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Bare(s) => Some(s),
            ValueKind::Quoted { .. } => None,
        }
    }

    /// A value for `text`: bare when Falco reads it bare as the same text, else double-quoted
    /// with `\` and `"` escaped.
    pub fn of(text: &str) -> Value {
        let kind = if is_bare(text) {
            ValueKind::Bare(text.to_string())
        } else {
            let mut raw = String::new();
            for c in text.chars() {
                if c == '\\' || c == '"' {
                    raw.push('\\');
                }
                raw.push(c);
            }
            ValueKind::Quoted { quote: '"', raw }
        };
        Value {
            kind,
            range: TextRange::default(),
        }
    }
}

/// True when `s` can be written as a bare value: non-empty, none of Falco's delimiters, and
/// not a word the parser reads as structure.
pub fn is_bare(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_bare_char) && !matches!(s, "and" | "or" | "not")
}

/// The characters of a bare value: anything but blanks, parentheses, commas, `=` and quotes.
pub(crate) fn is_bare_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '(' | ')' | ',' | '=' | '"' | '\'' | '\u{8}'))
}

/// Resolves the escapes of a quoted string the way libsinsp does: `\\`, `\"`, `\'`, `\n`,
/// `\t`, `\r`, `\b`, `\f`; any other escaped character stands for itself.
pub fn unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut it = raw.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Value(Value),
    /// `(a, b, c)`; bare items may name declared lists, which Falco expands in place.
    List(Vec<Value>),
}

/// A macro reference: a bare identifier where a check is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub range: TextRange,
}

/// A Falco condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Two or more operands joined by `and`.
    And(Vec<Expr>),
    /// Two or more operands joined by `or`.
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A macro, by name.
    Macro(Ident),
    /// `field op [operand]`.
    Check {
        field: Field,
        op: Op,
        operand: Option<Operand>,
    },
}

impl Serialize for Expr {
    /// A condition serializes as its printed text.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::print(self))
    }
}

// ---------------------------------------------------------------------------------------------
// The builder.

impl Expr {
    /// A macro reference.
    pub fn macro_(name: impl Into<String>) -> Expr {
        Expr::Macro(Ident {
            name: name.into(),
            range: TextRange::default(),
        })
    }

    /// `field op value`.
    pub fn cmp(field: Field, op: Op, value: &str) -> Expr {
        Expr::Check {
            field,
            op,
            operand: Some(Operand::Value(Value::of(value))),
        }
    }

    /// `field = value`.
    pub fn eq(field: Field, value: &str) -> Expr {
        Expr::cmp(field, Op::Eq, value)
    }

    /// `field op (v1, v2, …)` with literal values (each bare when it can be, else quoted).
    pub fn list_op<'a>(field: Field, op: Op, values: impl IntoIterator<Item = &'a str>) -> Expr {
        Expr::Check {
            field,
            op,
            operand: Some(Operand::List(values.into_iter().map(Value::of).collect())),
        }
    }

    /// `field in (v1, v2, …)`.
    pub fn in_<'a>(field: Field, values: impl IntoIterator<Item = &'a str>) -> Expr {
        Expr::list_op(field, Op::In, values)
    }

    /// `field in (list_name)`: a reference to a declared list.
    pub fn in_list(field: Field, list: &str) -> Expr {
        Expr::Check {
            field,
            op: Op::In,
            operand: Some(Operand::List(vec![Value {
                kind: ValueKind::Bare(list.to_string()),
                range: TextRange::default(),
            }])),
        }
    }

    /// `field exists`.
    pub fn exists(field: Field) -> Expr {
        Expr::Check {
            field,
            op: Op::Exists,
            operand: None,
        }
    }

    /// `not self`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    /// `self and other`, flattening `and` chains.
    pub fn and(self, other: Expr) -> Expr {
        Expr::all_of([self, other])
    }

    /// `self or other`, flattening `or` chains.
    pub fn or(self, other: Expr) -> Expr {
        Expr::any_of([self, other])
    }

    /// Every operand (`and`), flattened; one operand is itself. Empty input is not a
    /// condition: callers pass at least one.
    pub fn all_of(items: impl IntoIterator<Item = Expr>) -> Expr {
        let mut v = Vec::new();
        for e in items {
            match e {
                Expr::And(inner) => v.extend(inner),
                other => v.push(other),
            }
        }
        if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        }
    }

    /// Any operand (`or`), flattened; one operand is itself.
    pub fn any_of(items: impl IntoIterator<Item = Expr>) -> Expr {
        let mut v = Vec::new();
        for e in items {
            match e {
                Expr::Or(inner) => v.extend(inner),
                other => v.push(other),
            }
        }
        if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        }
    }

    /// Calls `f` on every node, depth first, parents before children.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.walk(f)),
            Expr::Not(e) => e.walk(f),
            Expr::Macro(_) | Expr::Check { .. } => {}
        }
    }

    /// Every field the condition names, in order.
    pub fn fields(&self) -> Vec<&Field> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Check { field, .. } = e {
                out.push(field);
            }
        });
        out
    }

    /// Every macro the condition names, in order.
    pub fn macros(&self) -> Vec<&Ident> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Macro(i) = e {
                out.push(i);
            }
        });
        out
    }
}
