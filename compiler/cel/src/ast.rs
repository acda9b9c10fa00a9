//! The expression tree and the typed builder emitters use.
//!
//! Every node carries a [`TextRange`]: a byte range relative to the expression text it was
//! parsed from. Nodes made by the builder carry [`TextRange::NONE`]. Trees derive
//! `PartialEq`; compare trees that came from different texts with [`Expr::without_ranges`].
//!
//! The builder never goes through text: `Expr::ident("object").field("metadata")
//! .field("namespace").eq(Expr::string("kube-system"))` builds the tree, and
//! [`crate::print`] turns it into canonical CEL.

/// A byte range `start..end` inside one expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    /// The range of nodes that were built rather than parsed.
    pub const NONE: TextRange = TextRange { start: 0, end: 0 };

    pub fn new(start: usize, end: usize) -> Self {
        TextRange {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest range covering both.
    pub fn to(self, other: TextRange) -> TextRange {
        TextRange {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    String(String),
    Bytes(Vec<u8>),
}

/// `!` and unary `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
}

/// Binary operators, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Binding strength: 1 `||`, 2 `&&`, 3 relations and `in`, 4 `+ -`, 5 `* / %`.
    /// (0 is the ternary, 6 unary operators, 7 member access and primaries.)
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::In => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 5,
        }
    }
}

/// The comprehension macros: `range.all(v, body)` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Macro {
    All,
    Exists,
    ExistsOne,
    /// `range.map(v, body)`, or `range.map(v, filter, body)` when the comprehension has a filter.
    Map,
    Filter,
}

impl Macro {
    pub fn name(self) -> &'static str {
        match self {
            Macro::All => "all",
            Macro::Exists => "exists",
            Macro::ExistsOne => "exists_one",
            Macro::Map => "map",
            Macro::Filter => "filter",
        }
    }

    pub fn from_name(name: &str) -> Option<Macro> {
        Some(match name {
            "all" => Macro::All,
            "exists" => Macro::Exists,
            "exists_one" | "existsOne" => Macro::ExistsOne,
            "map" => Macro::Map,
            "filter" => Macro::Filter,
            _ => return None,
        })
    }
}

/// One expression node and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub range: TextRange,
}

/// What an expression node is.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Lit(Lit),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Ident(String),
    /// `operand.field`, or `operand.?field` when `optional`.
    Select {
        operand: Box<Expr>,
        field: String,
        optional: bool,
    },
    /// `operand[index]`, or `operand[?index]` when `optional`.
    Index {
        operand: Box<Expr>,
        index: Box<Expr>,
        optional: bool,
    },
    /// `function(args)` (no target) or `target.function(args)`.
    Call {
        target: Option<Box<Expr>>,
        function: String,
        args: Vec<Expr>,
    },
    /// `range.macro(var, body)`; `filter` only for the three-argument `map(var, filter, body)`.
    Comprehension {
        kind: Macro,
        range: Box<Expr>,
        var: String,
        filter: Option<Box<Expr>>,
        body: Box<Expr>,
    },
    /// `has(operand.field)`; the argument is always a [`ExprKind::Select`].
    Has(Box<Expr>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `cond ? then : otherwise`.
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// Message construction `Type{field: value, …}`, `type_name` dotted: a MutatingPolicy's
    /// apply configuration, `Object{metadata: Object.metadata{labels: {…}}}`.
    Struct {
        type_name: String,
        fields: Vec<(String, Expr)>,
    },
}

impl Expr {
    pub fn new(kind: ExprKind, range: TextRange) -> Expr {
        Expr { kind, range }
    }

    fn built(kind: ExprKind) -> Expr {
        Expr::new(kind, TextRange::NONE)
    }

    // ---- leaves ----------------------------------------------------------------------

    pub fn null() -> Expr {
        Expr::built(ExprKind::Lit(Lit::Null))
    }
    pub fn bool(b: bool) -> Expr {
        Expr::built(ExprKind::Lit(Lit::Bool(b)))
    }
    pub fn int(i: i64) -> Expr {
        Expr::built(ExprKind::Lit(Lit::Int(i)))
    }
    pub fn uint(u: u64) -> Expr {
        Expr::built(ExprKind::Lit(Lit::Uint(u)))
    }
    pub fn double(d: f64) -> Expr {
        Expr::built(ExprKind::Lit(Lit::Double(d)))
    }
    pub fn string(s: impl Into<String>) -> Expr {
        Expr::built(ExprKind::Lit(Lit::String(s.into())))
    }
    pub fn bytes(b: impl Into<Vec<u8>>) -> Expr {
        Expr::built(ExprKind::Lit(Lit::Bytes(b.into())))
    }
    /// An identifier such as `object`, `oldObject`, `request` or a comprehension variable.
    pub fn ident(name: impl Into<String>) -> Expr {
        Expr::built(ExprKind::Ident(name.into()))
    }
    pub fn list(items: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::built(ExprKind::List(items.into_iter().collect()))
    }
    /// A list of string literals.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Expr {
        Expr::list(items.into_iter().map(Expr::string))
    }
    pub fn map(entries: impl IntoIterator<Item = (Expr, Expr)>) -> Expr {
        Expr::built(ExprKind::Map(entries.into_iter().collect()))
    }
    /// A global call `function(args)`, e.g. `size(x)` or `quantity('1Gi')`.
    pub fn global(function: impl Into<String>, args: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::built(ExprKind::Call {
            target: None,
            function: function.into(),
            args: args.into_iter().collect(),
        })
    }
    /// `has(select)`. `select` should be a field selection (`a.b`); the printer writes
    /// whatever it is given.
    pub fn has(select: Expr) -> Expr {
        Expr::built(ExprKind::Has(Box::new(select)))
    }
    /// `cond ? then : otherwise`.
    pub fn ternary(cond: Expr, then: Expr, otherwise: Expr) -> Expr {
        Expr::built(ExprKind::Ternary {
            cond: Box::new(cond),
            then: Box::new(then),
            otherwise: Box::new(otherwise),
        })
    }
    /// Message construction `type_name{field: value, …}`, e.g.
    /// `Expr::message("Object", [("metadata", Expr::message("Object.metadata", […]))])`.
    pub fn message<S: Into<String>>(
        type_name: impl Into<String>,
        fields: impl IntoIterator<Item = (S, Expr)>,
    ) -> Expr {
        Expr::built(ExprKind::Struct {
            type_name: type_name.into(),
            fields: fields.into_iter().map(|(n, v)| (n.into(), v)).collect(),
        })
    }
    /// `a || b || …`; `false` for no operands.
    pub fn any_of(items: impl IntoIterator<Item = Expr>) -> Expr {
        items
            .into_iter()
            .reduce(Expr::or)
            .unwrap_or(Expr::bool(false))
    }
    /// `a && b && …`; `true` for no operands.
    pub fn all_of(items: impl IntoIterator<Item = Expr>) -> Expr {
        items
            .into_iter()
            .reduce(Expr::and)
            .unwrap_or(Expr::bool(true))
    }

    // ---- member access -----------------------------------------------------------------

    /// `self.name`.
    pub fn field(self, name: impl Into<String>) -> Expr {
        Expr::built(ExprKind::Select {
            operand: Box::new(self),
            field: name.into(),
            optional: false,
        })
    }
    /// `self.?name` (an optional value; close it with [`Expr::or_value`] or
    /// [`Expr::has_value`]).
    pub fn opt_field(self, name: impl Into<String>) -> Expr {
        Expr::built(ExprKind::Select {
            operand: Box::new(self),
            field: name.into(),
            optional: true,
        })
    }
    /// `self[index]`.
    pub fn index(self, index: Expr) -> Expr {
        Expr::built(ExprKind::Index {
            operand: Box::new(self),
            index: Box::new(index),
            optional: false,
        })
    }
    /// `self[?index]`.
    pub fn opt_index(self, index: Expr) -> Expr {
        Expr::built(ExprKind::Index {
            operand: Box::new(self),
            index: Box::new(index),
            optional: true,
        })
    }
    /// A member call `self.function(args)`, e.g. `.call("startsWith", [Expr::string("x")])`.
    pub fn call(self, function: impl Into<String>, args: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::built(ExprKind::Call {
            target: Some(Box::new(self)),
            function: function.into(),
            args: args.into_iter().collect(),
        })
    }
    /// `self.orValue(default)`.
    pub fn or_value(self, default: Expr) -> Expr {
        self.call("orValue", [default])
    }
    /// `self.hasValue()`.
    pub fn has_value(self) -> Expr {
        self.call("hasValue", [])
    }
    /// `size(self)`.
    pub fn size(self) -> Expr {
        Expr::global("size", [self])
    }

    fn comprehension(self, kind: Macro, var: impl Into<String>, body: Expr) -> Expr {
        Expr::built(ExprKind::Comprehension {
            kind,
            range: Box::new(self),
            var: var.into(),
            filter: None,
            body: Box::new(body),
        })
    }
    /// `self.all(var, body)`.
    pub fn all(self, var: impl Into<String>, body: Expr) -> Expr {
        self.comprehension(Macro::All, var, body)
    }
    /// `self.exists(var, body)`.
    pub fn exists(self, var: impl Into<String>, body: Expr) -> Expr {
        self.comprehension(Macro::Exists, var, body)
    }
    /// `self.exists_one(var, body)`.
    pub fn exists_one(self, var: impl Into<String>, body: Expr) -> Expr {
        self.comprehension(Macro::ExistsOne, var, body)
    }
    /// `self.map(var, body)`.
    pub fn map_each(self, var: impl Into<String>, body: Expr) -> Expr {
        self.comprehension(Macro::Map, var, body)
    }
    /// `self.filter(var, body)`.
    pub fn filter(self, var: impl Into<String>, body: Expr) -> Expr {
        self.comprehension(Macro::Filter, var, body)
    }

    // ---- operators ---------------------------------------------------------------------

    pub fn binary(self, op: BinaryOp, rhs: Expr) -> Expr {
        Expr::built(ExprKind::Binary {
            op,
            lhs: Box::new(self),
            rhs: Box::new(rhs),
        })
    }
    pub fn unary(self, op: UnaryOp) -> Expr {
        Expr::built(ExprKind::Unary {
            op,
            operand: Box::new(self),
        })
    }
    /// `!self`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Expr {
        self.unary(UnaryOp::Not)
    }
    /// `-self`.
    #[allow(clippy::should_implement_trait)]
    pub fn neg(self) -> Expr {
        self.unary(UnaryOp::Neg)
    }
    pub fn or(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Or, rhs)
    }
    pub fn and(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::And, rhs)
    }
    pub fn eq(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Eq, rhs)
    }
    pub fn ne(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Ne, rhs)
    }
    pub fn lt(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Lt, rhs)
    }
    pub fn le(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Le, rhs)
    }
    pub fn gt(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Gt, rhs)
    }
    pub fn ge(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Ge, rhs)
    }
    /// `self in collection`.
    pub fn in_(self, collection: Expr) -> Expr {
        self.binary(BinaryOp::In, collection)
    }
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Add, rhs)
    }
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Sub, rhs)
    }
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Mul, rhs)
    }
    #[allow(clippy::should_implement_trait)]
    pub fn div(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Div, rhs)
    }
    #[allow(clippy::should_implement_trait)]
    pub fn rem(self, rhs: Expr) -> Expr {
        self.binary(BinaryOp::Rem, rhs)
    }

    // ---- inspection --------------------------------------------------------------------

    /// The same tree with every range set to [`TextRange::NONE`], for comparing trees parsed
    /// from different texts.
    pub fn without_ranges(&self) -> Expr {
        let mut e = self.clone();
        e.erase_ranges();
        e
    }

    fn erase_ranges(&mut self) {
        self.range = TextRange::NONE;
        self.for_each_child_mut(&mut |c| c.erase_ranges());
    }

    /// Calls `f` on each direct child, in source order.
    pub fn for_each_child_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        match &mut self.kind {
            ExprKind::Lit(_) | ExprKind::Ident(_) => {}
            ExprKind::List(items) => items.iter_mut().for_each(f),
            ExprKind::Map(entries) => {
                for (k, v) in entries {
                    f(k);
                    f(v);
                }
            }
            ExprKind::Select { operand, .. } => f(operand),
            ExprKind::Index { operand, index, .. } => {
                f(operand);
                f(index);
            }
            ExprKind::Call { target, args, .. } => {
                if let Some(t) = target {
                    f(t);
                }
                args.iter_mut().for_each(f);
            }
            ExprKind::Comprehension {
                range,
                filter,
                body,
                ..
            } => {
                f(range);
                if let Some(fl) = filter {
                    f(fl);
                }
                f(body);
            }
            ExprKind::Has(e) => f(e),
            ExprKind::Unary { operand, .. } => f(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::Ternary {
                cond,
                then,
                otherwise,
            } => {
                f(cond);
                f(then);
                f(otherwise);
            }
            ExprKind::Struct { fields, .. } => fields.iter_mut().for_each(|(_, v)| f(v)),
        }
    }

    /// Replaces every node for which `f` returns `Some` (outermost first; the replacement is
    /// not visited again).
    pub fn replace(&mut self, f: &mut dyn FnMut(&Expr) -> Option<Expr>) {
        if let Some(new) = f(self) {
            *self = new;
            return;
        }
        self.for_each_child_mut(&mut |c| c.replace(f));
    }

    /// The identifier name when this node is one.
    pub fn as_ident(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Ident(n) => Some(n),
            _ => None,
        }
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::print(self))
    }
}
