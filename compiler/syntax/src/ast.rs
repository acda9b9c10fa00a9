//! The abstract syntax tree. The language is regular, so the tree is too: a file is a list of
//! items; an item is `keyword [head] [= value] [{ body }]`; a body holds attributes and nested
//! items. What each keyword means is the checker's business; which keywords may appear where
//! is checked at lowering (see `shape.rs`). Every node carries its [`Span`].

use diagnostics::{FileId, Span};
use serde::Serialize;
pub use smol_str::SmolStr;

/// One parsed source file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct File {
    pub file: FileId,
    pub items: Vec<Item>,
    /// Every `//` comment, in source order; `posture fmt` puts them back.
    pub comments: Vec<Comment>,
    pub span: Span,
}

/// A plain `//` comment (text after the slashes, untrimmed on the left).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// A doc comment line (`/// text`); the text is after the slashes, with one leading space
/// removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Doc {
    pub text: String,
    pub span: Span,
}

/// A name, as written: `optimal-system`, `allow`, `require-labels`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Ident {
    pub text: SmolStr,
    pub span: Span,
}

/// A block, a declaration or a statement: `keyword [head] [= value] [{ body }]`.
///
/// Most items of a large posture are statements without a value or a body (`allow a -> b`):
/// the rarer parts are boxed, so such an item is a third of the size it would be with them in
/// place (a posture of 50,000 intents is that many items).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub docs: Vec<Doc>,
    pub keyword: Ident,
    pub head: Option<Head>,
    pub value: Option<Box<Value>>,
    pub body: Option<Box<Body>>,
    pub span: Span,
}

impl Item {
    /// The item's name when its head is a plain name (or a quoted one).
    pub fn name(&self) -> Option<Ident> {
        match &self.head {
            Some(Head::Path(p)) if p.segments.len() == 1 => Some(p.segments[0].clone()),
            Some(Head::Str(s)) => Some(Ident {
                text: s.value.clone().into(),
                span: s.span,
            }),
            _ => None,
        }
    }

    /// [`Item::name`] borrowed: the name's text and span, without a copy.
    pub fn name_ref(&self) -> Option<(&str, Span)> {
        match &self.head {
            Some(Head::Path(p)) if p.segments.len() == 1 => {
                Some((p.segments[0].text.as_str(), p.segments[0].span))
            }
            Some(Head::Str(s)) => Some((s.value.as_str(), s.span)),
            _ => None,
        }
    }

    /// The doc comment as one paragraph of lines.
    pub fn doc_text(&self) -> Option<String> {
        if self.docs.is_empty() {
            None
        } else {
            Some(
                self.docs
                    .iter()
                    .map(|d| d.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        }
    }

    /// The entries of the body (empty without a body).
    pub fn entries(&self) -> &[Entry] {
        self.body
            .as_ref()
            .map(|b| b.entries.as_slice())
            .unwrap_or(&[])
    }
}

/// What follows an item's keyword.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Head {
    /// A name or a dotted path: `optimal-system`, `std.pod_security.restricted`.
    Path(Path),
    /// A quoted string: `import "./network.posture"`, or a quoted name.
    Str(Str),
    /// `from -> to`, in `allow` statements (boxed: two endpoints are five times a name).
    Traffic(Box<Traffic>),
}

impl Head {
    pub fn span(&self) -> Span {
        match self {
            Head::Path(p) => p.span,
            Head::Str(s) => s.span,
            Head::Traffic(t) => t.span,
        }
    }
}

/// A dotted path of names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    /// The path as written, segments joined by `.`.
    pub fn dotted(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// `from -> to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Traffic {
    pub from: Endpoint,
    pub to: Endpoint,
    pub span: Span,
}

/// One side of a traffic arrow: a reference or a quoted CIDR, with an optional port.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Endpoint {
    pub target: EndpointTarget,
    pub port: Option<PortSpec>,
    pub span: Span,
}

/// What an endpoint names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum EndpointTarget {
    /// A workload, a namespace, a built-in peer (`ingress-controller`), by (dotted) name.
    Ref(Path),
    /// A quoted address block, e.g. `"10.20.0.0/16"`.
    Str(Str),
}

/// The port after `:` in an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PortSpec {
    /// A number, checked to be 1–65535 at lowering.
    Number { port: u16, span: Span },
    /// `first-last`, inclusive, checked at lowering.
    Range { first: u16, last: u16, span: Span },
    /// A named port of the destination workload.
    Name(Ident),
}

impl PortSpec {
    pub fn span(&self) -> Span {
        match self {
            PortSpec::Number { span, .. } | PortSpec::Range { span, .. } => *span,
            PortSpec::Name(i) => i.span,
        }
    }
}

/// `{ … }` after an item's head.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    pub entries: Vec<Entry>,
    pub span: Span,
}

/// One entry of a body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Entry {
    /// Boxed like items, so that an entry is two words (a body of a thousand statements is a
    /// vector of a thousand entries).
    Attr(Box<Attr>),
    /// Boxed: an item is several times the size of an attribute (clippy::large_enum_variant).
    Item(Box<Item>),
}

impl Entry {
    pub fn span(&self) -> Span {
        match self {
            Entry::Attr(a) => a.span,
            Entry::Item(i) => i.span,
        }
    }
}

/// `key = value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attr {
    pub key: Key,
    pub value: Value,
    pub span: Span,
}

/// An attribute or map key: a name, or a quoted free-form key (label keys, secret keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Key {
    pub text: SmolStr,
    pub quoted: bool,
    pub span: Span,
}

/// A string literal with escapes resolved, or a raw backtick string as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

/// A number with an optional unit (`15m`, `4Gi`, `2`, `0.5`). The unit's meaning (a duration
/// or a Kubernetes quantity) comes from the attribute that receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Number {
    /// The digits as written, with sign and decimal point.
    pub digits: String,
    pub unit: Option<String>,
    pub span: Span,
}

impl Number {
    /// The value as an integer, when it is one without a unit.
    pub fn as_integer(&self) -> Option<i64> {
        if self.unit.is_some() {
            None
        } else {
            self.digits.parse().ok()
        }
    }
}

/// A calendar date `YYYY-MM-DD`, validated at lowering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub span: Span,
}

/// A bare word: a name, dotted reference, control id, permission or glob; typed by context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Word {
    pub text: SmolStr,
    pub span: Span,
}

/// A value on the right of `=`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Value {
    Str(Str),
    /// A backtick string: a foreign expression (CEL, a Falco condition), kept verbatim.
    Raw(Str),
    Number(Number),
    Date(Date),
    Bool {
        value: bool,
        span: Span,
    },
    Word(Word),
    List {
        items: Vec<Value>,
        span: Span,
    },
    Map {
        entries: Vec<Attr>,
        span: Span,
    },
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Str(s) | Value::Raw(s) => s.span,
            Value::Number(n) => n.span,
            Value::Date(d) => d.span,
            Value::Bool { span, .. } | Value::List { span, .. } | Value::Map { span, .. } => *span,
            Value::Word(w) => w.span,
        }
    }

    /// A short noun for messages: "a string", "a list", ….
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Raw(_) => "a backtick expression",
            Value::Number(n) if n.unit.is_some() => "a number with a unit",
            Value::Number(_) => "a number",
            Value::Date(_) => "a date",
            Value::Bool { .. } => "a boolean",
            Value::Word(_) => "a name",
            Value::List { .. } => "a list",
            Value::Map { .. } => "a map",
        }
    }
}
