//! The types the checker assigns.

use crate::schema::{Schema, Shape, short_name};

/// A CEL type as the checker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Null,
    Timestamp,
    Duration,
    /// `IntOrString` and resource quantities as the schema stores them: comparable with
    /// strings and ints, accepted by `quantity()`.
    IntOrString,
    /// A value of the Kubernetes quantity library (`quantity('1Gi')`).
    Quantity,
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
    /// A schema object: one definition, or several when a rule matches several kinds whose
    /// fields have different definitions (sorted, deduplicated).
    Object(Vec<String>),
    /// Anything; also what an erroneous expression gets, so one mistake is reported once.
    Dyn,
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    /// The type of a value of schema shape `s`.
    pub fn from_shape(schema: &Schema, s: &Shape) -> Type {
        match s {
            Shape::Bool => Type::Bool,
            Shape::Int => Type::Int,
            Shape::Double => Type::Double,
            Shape::String => Type::String,
            Shape::Bytes => Type::Bytes,
            Shape::Timestamp => Type::Timestamp,
            Shape::IntOrString => Type::IntOrString,
            Shape::List(i) => Type::list(Type::from_shape(schema, i)),
            Shape::Map(v) => Type::Map(
                Box::new(Type::String),
                Box::new(Type::from_shape(schema, v)),
            ),
            Shape::Object(name) => match schema.resolve(name) {
                Shape::Object(n) => Type::Object(vec![n]),
                other => Type::from_shape(schema, &other),
            },
            Shape::Dyn => Type::Dyn,
        }
    }

    /// How the type is named in messages.
    pub fn describe(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Int => "int".into(),
            Type::Uint => "uint".into(),
            Type::Double => "double".into(),
            Type::String => "string".into(),
            Type::Bytes => "bytes".into(),
            Type::Null => "null".into(),
            Type::Timestamp => "timestamp".into(),
            Type::Duration => "duration".into(),
            Type::IntOrString => "int-or-string".into(),
            Type::Quantity => "quantity".into(),
            Type::List(t) => format!("list<{}>", t.describe()),
            Type::Map(k, v) => format!("map<{}, {}>", k.describe(), v.describe()),
            Type::Object(defs) => defs
                .iter()
                .map(|d| short_name(d))
                .collect::<Vec<_>>()
                .join(" | "),
            Type::Dyn => "dyn".into(),
        }
    }

    pub fn is_dyn(&self) -> bool {
        matches!(self, Type::Dyn)
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Int | Type::Uint | Type::Double)
    }
}

/// The common type of two values that meet (list items, ternary branches, several kinds):
/// `None` when they have nothing in common.
pub fn join(a: &Type, b: &Type) -> Option<Type> {
    Some(match (a, b) {
        _ if a == b => a.clone(),
        (Type::Dyn, _) | (_, Type::Dyn) => Type::Dyn,
        (Type::List(x), Type::List(y)) => Type::list(join(x, y)?),
        (Type::Map(k1, v1), Type::Map(k2, v2)) => {
            Type::Map(Box::new(join(k1, k2)?), Box::new(join(v1, v2)?))
        }
        (Type::Object(x), Type::Object(y)) => {
            let mut v: Vec<String> = x.iter().chain(y).cloned().collect();
            v.sort();
            v.dedup();
            Type::Object(v)
        }
        (Type::IntOrString, Type::String | Type::Int)
        | (Type::String | Type::Int, Type::IntOrString) => Type::IntOrString,
        _ => return None,
    })
}

/// Whether a value of type `value` may stand where `want` is expected (an `orValue`
/// default, a function argument).
pub fn assignable(value: &Type, want: &Type) -> bool {
    match (value, want) {
        _ if value == want => true,
        (Type::Dyn, _) | (_, Type::Dyn) => true,
        (Type::List(x), Type::List(y)) => assignable(x, y),
        (Type::Map(k1, v1), Type::Map(k2, v2)) => assignable(k1, k2) && assignable(v1, v2),
        (Type::Object(x), Type::Object(y)) => x.iter().any(|d| y.contains(d)),
        (Type::String | Type::Int, Type::IntOrString) => true,
        (Type::IntOrString, Type::String | Type::Int) => true,
        (Type::Null, Type::Object(_) | Type::List(_) | Type::Map(..) | Type::Timestamp) => true,
        _ => false,
    }
}

/// Whether `==`/`!=` may compare the two (Kubernetes enables cross-type numeric comparison).
pub fn comparable(a: &Type, b: &Type) -> bool {
    (a.is_numeric() && b.is_numeric()) || assignable(a, b) || assignable(b, a)
}
