//! The checking context: diagnostics, the attribute reader, and converters from AST values to
//! IR types. Every converter reports its own error and returns `None`, so checking goes on and
//! one run reports everything.

use crate::resolve::{Kind, Symbols};
use diagnostics::codes::{controls as ccodes, names as codes};
use diagnostics::{Diagnostic, Diagnostics, Span, quote};
use ir::controls::{ControlPattern, ControlRef, ControlSelector};
use ir::*;
use std::collections::BTreeMap;
use syntax::ast::{self, Value};

/// What the checker carries around.
pub(crate) struct Cx {
    pub diags: Diagnostics,
}

impl Cx {
    pub(crate) fn new() -> Self {
        Cx {
            diags: Diagnostics::new(),
        }
    }

    pub(crate) fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The one type error (P1007): "expected {expected}, found {what `v` is}", labelled, with an
    /// optional help line. Every reader reports a value of the wrong shape through it.
    pub(crate) fn mismatch(&mut self, v: &Value, expected: &str, help: Option<&str>) {
        let mut d = Diagnostic::spanned(
            &codes::P1007,
            v.span(),
            format!("expected {expected}, found {}", v.kind_name()),
        )
        .with_label(format!("expected {expected}"));
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.err(d);
    }

    /// A quoted string.
    pub(crate) fn string(&mut self, v: &Value) -> Option<String> {
        match v {
            Value::Str(s) => Some(s.value.clone()),
            _ => {
                self.mismatch(v, "a string", Some("put the text in double quotes"));
                None
            }
        }
    }

    /// A bare word or a quoted string, with its span: process names, tags, permissions, control
    /// ids. `numbers` says whether a number is read as its text too; anything else is a type
    /// error naming `expected`.
    pub(crate) fn word(
        &mut self,
        v: &Value,
        expected: &str,
        numbers: Numbers,
        help: Option<&str>,
    ) -> Option<(String, Span)> {
        match v {
            Value::Word(w) => Some((w.text.to_string(), w.span)),
            Value::Str(s) => Some((s.value.clone(), s.span)),
            Value::Number(n) if numbers == Numbers::Plain && n.unit.is_none() => {
                Some((n.digits.clone(), n.span))
            }
            Value::Number(n) if numbers == Numbers::WithUnit => Some((
                format!("{}{}", n.digits, n.unit.as_deref().unwrap_or("")),
                n.span,
            )),
            _ => {
                self.mismatch(v, expected, help);
                None
            }
        }
    }

    /// A quoted string that is non-empty and has no blanks (a Vault path or role).
    pub(crate) fn token(&mut self, v: &Value, what: &str) -> Option<String> {
        let s = self.string(v)?;
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            self.err(Diagnostic::spanned(
                &codes::P1007,
                v.span(),
                format!("{what} must be non-empty and without blanks"),
            ));
            return None;
        }
        Some(s)
    }

    /// The name of a named item, declared as `kind` when `declare` is given. `None` for an item
    /// without a name (the shape check reported it). The flag is false when the name was
    /// declared before (reported here): the caller still reads the item, so its own errors are
    /// reported too, but drops it.
    pub(crate) fn item_name(
        &mut self,
        item: &ast::Item,
        declare: Option<(&mut Symbols, Kind)>,
    ) -> Option<(Name, Span, bool)> {
        // Borrowed from the head (`Item::name` copies it), copied once into the name.
        let (text, span) = item.name_ref()?;
        let name = Name::new(text);
        let first = match declare {
            Some((syms, kind)) => syms.declare(self, kind, &name, span),
            None => true,
        };
        Some((name, span, first))
    }

    /// The opening every named item shares: [`Cx::item_name`], then the attributes of its body
    /// read against `known`, for the owner "`{noun}` `{name}`".
    pub(crate) fn open<'a>(
        &mut self,
        item: &'a ast::Item,
        declare: Option<(&mut Symbols, Kind)>,
        noun: &str,
        known: &[&str],
    ) -> Option<Opened<'a>> {
        let (name, span, first) = self.item_name(item, declare)?;
        // "{noun} `{name}`", built without the formatting machinery (once per named item).
        let mut owner = String::with_capacity(noun.len() + name.0.len() + 3);
        owner.push_str(noun);
        owner.push_str(" `");
        owner.push_str(&name.0);
        owner.push('`');
        let attrs = Attrs::of_item(self, owner, item, known);
        Some(Opened {
            name,
            span,
            first,
            attrs,
        })
    }

    /// A backtick expression (CEL or a Falco condition).
    pub(crate) fn expr(&mut self, v: &Value) -> Option<Expr> {
        match v {
            Value::Raw(s) => Some(Expr {
                text: s.value.clone(),
                span: s.span,
            }),
            _ => {
                self.mismatch(
                    v,
                    "a backtick expression",
                    Some("write foreign expressions in backticks: `…`"),
                );
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, v: &Value) -> Option<bool> {
        match v {
            Value::Bool { value, .. } => Some(*value),
            _ => {
                self.mismatch(v, "`true` or `false`", None);
                None
            }
        }
    }

    /// An integer in `range`.
    pub(crate) fn int(&mut self, v: &Value, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        match v {
            Value::Number(n) if n.unit.is_none() && !n.digits.contains('.') => {
                match n.digits.parse::<i64>() {
                    Ok(i) if range.contains(&i) => Some(i),
                    _ => {
                        self.err(
                            Diagnostic::spanned(
                                &codes::P1020,
                                n.span,
                                format!("`{}` is out of range", n.digits),
                            )
                            .with_label(format!(
                                "allowed: {} to {}",
                                range.start(),
                                range.end()
                            )),
                        );
                        None
                    }
                }
            }
            _ => {
                self.mismatch(v, "a whole number", None);
                None
            }
        }
    }

    /// One word out of `variants`.
    pub(crate) fn variant(&mut self, v: &Value, variants: &[&'static str]) -> Option<&'static str> {
        let (text, span) = match v {
            Value::Word(w) => (w.text.as_str(), w.span),
            Value::Str(s) => (s.value.as_str(), s.span),
            _ => {
                self.mismatch(v, &format!("one of {}", list_words(variants)), None);
                return None;
            }
        };
        if let Some(found) = variants.iter().find(|x| **x == text) {
            return Some(found);
        }
        self.err(
            Diagnostic::spanned(&codes::P1017, span, format!("unknown value `{text}`"))
                .with_label(format!("expected one of {}", list_words(variants)))
                .with_did_you_mean(text, variants.iter().copied()),
        );
        None
    }

    /// A declared name: a bare name or a quoted one.
    pub(crate) fn name(&mut self, v: &Value) -> Option<(Name, Span)> {
        match v {
            Value::Word(w) if is_name(&w.text) => Some((Name(w.text.clone()), w.span)),
            Value::Str(s) if !s.value.is_empty() => Some((Name::new(&s.value), s.span)),
            Value::Word(w) => {
                self.err(
                    Diagnostic::spanned(&codes::P1007, w.span, format!("`{}` is not a name", quote(&w.text)))
                        .with_help("names are letters, digits, `_` and single `-` between them; quote anything else"),
                );
                None
            }
            _ => {
                self.mismatch(v, "a name", None);
                None
            }
        }
    }

    /// A name that becomes a Kubernetes object name: a DNS-1123 label.
    pub(crate) fn k8s_name(&mut self, name: &Name, span: Span, what: &str) -> bool {
        if name.is_dns1123_label() {
            return true;
        }
        self.err(
            Diagnostic::spanned(&codes::P1013, span, format!("`{}` is not a valid Kubernetes name", quote(&name.0)))
                .with_label(format!("{what} becomes a Kubernetes object name"))
                .with_help("use lowercase letters, digits and `-`, at most 63 characters, starting and ending with a letter or digit"),
        );
        false
    }

    /// A list, or `None` after a type error. A single value is not silently a list.
    pub(crate) fn list<'v>(&mut self, v: &'v Value) -> Option<&'v [Value]> {
        match v {
            Value::List { items, .. } => Some(items),
            _ => {
                self.mismatch(v, "a list", Some("write a list in brackets: `[a, b]`"));
                None
            }
        }
    }

    /// A list of values converted by `f`; elements that fail are dropped (already reported).
    pub(crate) fn list_of<T>(
        &mut self,
        v: &Value,
        mut f: impl FnMut(&mut Self, &Value) -> Option<T>,
    ) -> Vec<T> {
        let Some(items) = self.list(v) else {
            return vec![];
        };
        items.iter().filter_map(|i| f(self, i)).collect()
    }

    /// A list of names.
    pub(crate) fn names(&mut self, v: &Value) -> Vec<(Name, Span)> {
        self.list_of(v, |cx, i| cx.name(i))
    }

    /// A map literal's entries. A key written twice is an error (P1010) and only its first
    /// entry is returned: no map silently keeps the last of two values.
    pub(crate) fn map<'v>(&mut self, v: &'v Value) -> Option<Vec<&'v ast::Attr>> {
        match v {
            Value::Map { entries, .. } => {
                let mut first: BTreeMap<&str, Span> = BTreeMap::new();
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    if let Some(at) = first.get(e.key.text.as_str()) {
                        self.err(
                            Diagnostic::spanned(
                                &codes::P1010,
                                e.key.span,
                                format!("`{}` is set twice in this map", e.key.text),
                            )
                            .with_secondary(*at, "first set here")
                            .with_help("keep one of them"),
                        );
                        continue;
                    }
                    first.insert(&e.key.text, e.key.span);
                    out.push(e);
                }
                Some(out)
            }
            _ => {
                self.mismatch(v, "a map", Some("write a map in braces: `{ key = value }`"));
                None
            }
        }
    }

    /// A duration: a number with unit `s`, `m`, `h`, `d`, `w` or `y`.
    pub(crate) fn duration(&mut self, v: &Value) -> Option<Duration> {
        let Value::Number(n) = v else {
            self.mismatch(
                v,
                "a duration",
                Some("write a number with a unit: `15m`, `8h`, `90d`, `1y`"),
            );
            return None;
        };
        let factor = match n.unit.as_deref() {
            Some("s") => 1,
            Some("m") => 60,
            Some("h") => 3600,
            Some("d") => 86_400,
            Some("w") => 604_800,
            Some("y") => 31_536_000,
            other => {
                let d = Diagnostic::spanned(
                    &codes::P1014,
                    n.span,
                    match other {
                        None => format!("duration `{}` has no unit", n.digits),
                        Some(u) => format!("`{u}` is not a duration unit"),
                    },
                )
                .with_label("expected a duration")
                .with_help("duration units: `s`, `m` (minutes), `h`, `d`, `w`, `y`");
                self.err(d);
                return None;
            }
        };
        match n.digits.parse::<u64>() {
            Ok(x) if x > 0 => x.checked_mul(factor).map(Duration),
            _ => {
                self.err(
                    Diagnostic::spanned(
                        &codes::P1014,
                        n.span,
                        format!(
                            "duration `{}{}` must be a positive whole number",
                            n.digits,
                            n.unit.as_deref().unwrap_or("")
                        ),
                    )
                    .with_help("write `90m` rather than `1.5h`"),
                );
                None
            }
        }
    }

    /// A Kubernetes quantity: `2`, `500m`, `4Gi`, `1.5`.
    pub(crate) fn quantity(&mut self, v: &Value) -> Option<Quantity> {
        let (digits, unit, span) = match v {
            Value::Number(n) => (n.digits.clone(), n.unit.clone(), n.span),
            Value::Str(s) => {
                let split = s
                    .value
                    .find(|c: char| c.is_ascii_alphabetic())
                    .unwrap_or(s.value.len());
                (
                    s.value[..split].to_string(),
                    Some(s.value[split..].to_string()).filter(|u| !u.is_empty()),
                    s.span,
                )
            }
            _ => {
                self.mismatch(v, "a quantity", Some("write `500m`, `2` or `4Gi`"));
                return None;
            }
        };
        let scale: Option<i128> = match unit.as_deref() {
            None => Some(1000),
            Some("m") => Some(1),
            Some("k") => Some(1_000_000),
            Some("M") => Some(1_000_000_000),
            Some("G") => Some(1_000_000_000_000),
            Some("T") => Some(1_000_000_000_000_000),
            Some("P") => Some(1_000_000_000_000_000_000),
            Some("E") => Some(1_000_000_000_000_000_000_000),
            Some("Ki") => Some(1024 * 1000),
            Some("Mi") => Some(1024 * 1024 * 1000),
            Some("Gi") => Some(1024 * 1024 * 1024 * 1000),
            Some("Ti") => Some(1024i128.pow(4) * 1000),
            Some("Pi") => Some(1024i128.pow(5) * 1000),
            Some("Ei") => Some(1024i128.pow(6) * 1000),
            _ => None,
        };
        let value = digits
            .parse::<f64>()
            .ok()
            .filter(|x| *x >= 0.0 && x.is_finite());
        match (scale, value) {
            (Some(scale), Some(x)) => Some(Quantity {
                text: format!("{digits}{}", unit.as_deref().unwrap_or("")),
                millis: (x * scale as f64).round() as i128,
            }),
            _ => {
                self.err(
                    Diagnostic::spanned(&codes::P1015, span, format!("`{digits}{}` is not a Kubernetes quantity", unit.as_deref().unwrap_or("")))
                        .with_help("quantities are a non-negative number with an optional suffix: `m`, `k`, `M`, `G`, `Ki`, `Mi`, `Gi`, `Ti`"),
                );
                None
            }
        }
    }

    /// An absolute `https` URL (or `http` when `allow_http`).
    pub(crate) fn url(&mut self, v: &Value, allow_http: bool) -> Option<Url> {
        let s = match v {
            Value::Str(s) => s,
            _ => {
                self.mismatch(v, "a URL in quotes", None);
                return None;
            }
        };
        let rest = s.value.strip_prefix("https://").or_else(|| {
            if allow_http {
                s.value.strip_prefix("http://")
            } else {
                None
            }
        });
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        let ok = host.is_some_and(|h| {
            let h = h
                .rsplit_once(':')
                .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
                .map(|(h, _)| h)
                .unwrap_or(h);
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && !h.starts_with('.')
                && !h.ends_with('.')
        }) && !s.value.chars().any(char::is_whitespace);
        if ok {
            return Some(Url(s.value.clone()));
        }
        let why = if s.value.starts_with("http://") && !allow_http {
            "plain `http` is not allowed here: use `https`"
        } else {
            "expected `https://host/path`"
        };
        self.err(
            Diagnostic::spanned(
                &codes::P1012,
                s.span,
                // A URL with credentials in it is reported without repeating them.
                if s.value.contains('@') {
                    "this is not a valid URL".to_string()
                } else {
                    format!("`{}` is not a valid URL", quote(&s.value))
                },
            )
            .with_label(why),
        );
        None
    }

    /// An address block in quotes.
    pub(crate) fn cidr(&mut self, v: &Value) -> Option<Cidr> {
        let Value::Str(s) = v else {
            self.mismatch(
                v,
                "an address block in quotes",
                Some("write `\"10.0.0.0/8\"` or `\"fd00::/8\"`"),
            );
            return None;
        };
        match Cidr::parse(&s.value) {
            Ok(c) => Some(c),
            Err(why) => {
                self.err(
                    Diagnostic::spanned(
                        &codes::P1011,
                        s.span,
                        format!("`{}` is not a valid address block", quote(&s.value)),
                    )
                    .with_label(why),
                );
                None
            }
        }
    }

    /// A `YYYY-MM-DD` date.
    pub(crate) fn date(&mut self, v: &Value) -> Option<Date> {
        match v {
            Value::Date(d) => Some(Date {
                year: d.year,
                month: d.month,
                day: d.day,
            }),
            _ => {
                self.mismatch(
                    v,
                    "a date",
                    Some("write dates as `2027-01-31`, without quotes"),
                );
                None
            }
        }
    }

    /// `major.minor` in quotes (a patch part is accepted and dropped).
    pub(crate) fn version(&mut self, v: &Value) -> Option<ir::system::Version> {
        let Value::Str(s) = v else {
            self.mismatch(v, "a version in quotes", Some("write `\"1.33\"`"));
            return None;
        };
        let t = s.value.strip_prefix('v').unwrap_or(&s.value);
        let mut parts = t.split('.');
        let major = parts.next().and_then(|p| p.parse().ok());
        let minor = parts.next().and_then(|p| p.parse().ok());
        // At most a patch part after `major.minor`.
        let rest: Vec<&str> = parts.collect();
        let rest_ok = rest.len() <= 1 && rest.iter().all(|p| p.parse::<u32>().is_ok());
        match (major, minor) {
            (Some(major), Some(minor)) if rest_ok => Some(ir::system::Version { major, minor }),
            _ => {
                self.err(
                    Diagnostic::spanned(
                        &codes::P1021,
                        s.span,
                        format!("`{}` is not a version", quote(&s.value)),
                    )
                    .with_label("expected `major.minor`, e.g. `\"1.33\"`"),
                );
                None
            }
        }
    }

    /// Labels: a map of label keys to values.
    pub(crate) fn labels(&mut self, v: &Value) -> Labels {
        let mut out = Labels::new();
        let Some(entries) = self.map(v) else {
            return out;
        };
        for e in entries {
            if !is_label_key(&e.key.text) {
                self.err(
                    Diagnostic::spanned(&codes::P1016, e.key.span, format!("`{}` is not a valid label key", quote(&e.key.text)))
                        .with_help("a label key is an optional DNS prefix and `/`, then a name of at most 63 characters: letters, digits, `-`, `_`, `.`"),
                );
                continue;
            }
            let value = match &e.value {
                Value::Str(s) => Some((s.value.clone(), s.span)),
                Value::Word(w) => Some((w.text.to_string(), w.span)),
                Value::Bool { value, span } => Some((value.to_string(), *span)),
                Value::Number(n) if n.unit.is_none() => Some((n.digits.clone(), n.span)),
                other => {
                    self.mismatch(other, "a label value", None);
                    None
                }
            };
            if let Some((value, span)) = value {
                if !is_label_value(&value) {
                    self.err(
                        Diagnostic::spanned(&codes::P1016, span, format!("`{}` is not a valid label value", quote(&value)))
                            .with_help("label values are at most 63 characters: letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit"),
                    );
                    continue;
                }
                // A key set twice was reported by `map`.
                out.insert(LabelKey(e.key.text.to_string()), LabelValue(value));
            }
        }
        out
    }

    /// A control id (`AC-6`, `soc2:CC6.1`) checked against the catalog.
    pub(crate) fn control(&mut self, v: &Value) -> Option<ControlRef> {
        let (text, span) = self.word(v, "a control id", Numbers::WithUnit, None)?;
        match ::controls::parse_control_ref(&text) {
            Ok(c) => Some(c),
            Err(e) => {
                self.control_error(&text, span, &e);
                None
            }
        }
    }

    /// A control id or a pattern (`PE-*`, `AC-2(*)`).
    pub(crate) fn control_selector(&mut self, v: &Value) -> Option<ControlSelector> {
        let (text, span) = self.word(v, "a control id or pattern", Numbers::WithUnit, None)?;
        if ControlPattern::is_pattern(&text) {
            // Checked against the catalog: a pattern that names no current control is an error.
            return match ::controls::parse_control_pattern(&text) {
                Ok(p) => Some(ControlSelector::Pattern(p)),
                Err(e) => {
                    self.control_error(&text, span, &e);
                    None
                }
            };
        }
        self.control(v).map(ControlSelector::One)
    }

    fn control_error(&mut self, text: &str, span: Span, e: &::controls::ControlIdError) {
        use ::controls::ControlIdError as E;
        let code = match e {
            E::Malformed { .. } => &ccodes::P2001,
            E::Withdrawn { .. } => &ccodes::P2003,
            _ => &ccodes::P2002,
        };
        let mut d = Diagnostic::spanned(code, span, e.to_string());
        if let Some(h) = e.help() {
            d = d.with_help(h);
        }
        let _ = text;
        self.err(d);
    }

    /// `satisfies = [AC-6, SC-7(5)]`.
    pub(crate) fn satisfies(&mut self, v: &Value) -> Vec<ControlRef> {
        self.list_of(v, |cx, i| cx.control(i))
    }
}

/// Whether [`Cx::word`] reads a number as its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbers {
    /// Numbers are a type error.
    No,
    /// A number without a unit (a port in a Falco list).
    Plain,
    /// Any number, unit included (control ids whose first part lexes as a number).
    WithUnit,
}

/// A named item after [`Cx::open`].
pub(crate) struct Opened<'a> {
    pub name: Name,
    /// The name's span.
    pub span: Span,
    /// False when the name was declared before (already reported).
    pub first: bool,
    pub attrs: Attrs<'a>,
}

fn list_words(variants: &[&str]) -> String {
    variants
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name rule: `[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*`.
pub(crate) fn is_name(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    let ok_first = first
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok_first
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

use ir::k8s::{is_label_key, is_label_value};

/// Reads the attributes of one block or map against the list of keys it knows.
pub(crate) struct Attrs<'a> {
    /// Borrowed when it is a fixed text (`` `allow` ``, once per intent): no copy per item.
    owner: std::borrow::Cow<'static, str>,
    span: Span,
    map: BTreeMap<&'a str, &'a ast::Attr>,
}

impl<'a> Attrs<'a> {
    /// Collects `attrs`, reporting unknown keys (with did-you-mean) and keys set twice.
    pub(crate) fn new(
        cx: &mut Cx,
        owner: impl Into<std::borrow::Cow<'static, str>>,
        span: Span,
        attrs: impl IntoIterator<Item = &'a ast::Attr>,
        known: &[&str],
    ) -> Self {
        let owner = owner.into();
        let mut map: BTreeMap<&'a str, &'a ast::Attr> = BTreeMap::new();
        // `supports` goes wherever `satisfies` does: the same list, a weaker claim.
        let supports = known.contains(&"satisfies");
        for a in attrs {
            let key = a.key.text.as_str();
            if !(known.contains(&key) || (supports && key == "supports")) {
                let d = Diagnostic::spanned(
                    &codes::P1005,
                    a.key.span,
                    format!("unknown attribute `{key}` in {owner}"),
                )
                .with_did_you_mean(key, known.iter().copied());
                let d = if known.is_empty() {
                    d.with_help(format!("{owner} takes no attributes"))
                } else {
                    d.with_note(format!("{owner} takes {}", list_words(known)))
                };
                cx.err(d);
                continue;
            }
            if let Some(first) = map.get(key) {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1010,
                        a.key.span,
                        format!("`{key}` is set twice in {owner}"),
                    )
                    .with_secondary(first.key.span, "first set here")
                    .with_help("keep one of them"),
                );
                continue;
            }
            map.insert(key, a);
        }
        Attrs { owner, span, map }
    }

    /// Attributes of an item's body (nested items are ignored here).
    pub(crate) fn of_item(
        cx: &mut Cx,
        owner: impl Into<std::borrow::Cow<'static, str>>,
        item: &'a ast::Item,
        known: &[&str],
    ) -> Self {
        let attrs = item.entries().iter().filter_map(|e| match e {
            ast::Entry::Attr(a) => Some(&**a),
            ast::Entry::Item(_) => None,
        });
        let span = item.name_ref().map_or(item.keyword.span, |(_, span)| span);
        Self::new(cx, owner, span, attrs, known)
    }

    /// The attributes of every merged section of one kind (`network { … }` in several files),
    /// read as one block: a key set in two sections is reported as set twice.
    pub(crate) fn of_sections(
        cx: &mut Cx,
        owner: &'static str,
        sections: &[crate::Top<'a>],
        known: &[&str],
    ) -> Option<Self> {
        let first = sections.first()?;
        let attrs = sections
            .iter()
            .flat_map(|t| t.item.entries())
            .filter_map(|e| match e {
                ast::Entry::Attr(a) => Some(&**a),
                ast::Entry::Item(_) => None,
            });
        Some(Self::new(cx, owner, first.item.keyword.span, attrs, known))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).map(|a| &a.value)
    }

    /// The attribute, or a "missing attribute" error.
    pub(crate) fn req(&self, cx: &mut Cx, key: &str) -> Option<&'a Value> {
        let v = self.get(key);
        if v.is_none() {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1006,
                    self.span,
                    format!("{} needs `{key}`", self.owner),
                )
                .with_label(format!("`{key}` is missing"))
                .with_help(format!("add `{key} = …`")),
            );
        }
        v
    }

    /// The span of an attribute's key, for messages about it.
    pub(crate) fn key_span(&self, key: &str) -> Option<Span> {
        self.map.get(key).map(|a| a.key.span)
    }

    /// The owner's span.
    pub(crate) fn span(&self) -> Span {
        self.span
    }
}

/// The item's `Meta`: span, doc comment, `satisfies`.
pub(crate) fn meta(cx: &mut Cx, item: &ast::Item, attrs: &Attrs<'_>) -> Meta {
    let mut m = Meta::new(item.span);
    m.doc = item.doc_text();
    if let Some(v) = attrs.get("satisfies") {
        m.satisfies = cx.satisfies(v);
    }
    if let Some(v) = attrs.get("supports") {
        m.supports = cx.satisfies(v);
    }
    m
}

/// [`meta`] for an item of a merged section, tagged with the standard-library bundle it came
/// from (if any).
pub(crate) fn bundle_meta(
    cx: &mut Cx,
    t: &crate::Top<'_>,
    item: &ast::Item,
    attrs: &Attrs<'_>,
) -> Meta {
    let mut m = meta(cx, item, attrs);
    m.bundle = t
        .bundle
        .map(|b| b.strip_prefix("std.").unwrap_or(b).to_string());
    m
}
