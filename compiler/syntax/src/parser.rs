//! The only module that knows pest: it runs the grammar and lowers pest's pairs into the AST,
//! one function per grammar rule. Literal validation (escapes, dates, port numbers, units)
//! happens here, with the pest span, so the rest of the compiler never sees a malformed
//! literal.
//!
//! This is the reference parser. `syntax::parse` first tries the hand-written fast parser
//! (`fast.rs`, several times faster), which builds the same AST for text that parses and
//! lowers cleanly and declines everything else; this module then runs and is the only source
//! of syntax (P0001, P0008) and literal diagnostics. The differential tests
//! (`tests/fast_parser.rs`) hold the fast parser to this one's output, spans included.

use crate::ast::*;
use diagnostics::codes::syntax as codes;
use diagnostics::{Diagnostic, Diagnostics, FileId, Span};
use pest::Parser as _;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct Grammar;

/// Parses one file's text. Returns `None` (and one P0001 diagnostic) when the text does not
/// follow the grammar; otherwise the AST and any literal errors found while lowering it.
pub(crate) fn parse(file: FileId, text: &str) -> (Option<File>, Diagnostics) {
    let mut lower = Lower {
        file,
        diags: Diagnostics::new(),
    };
    match Grammar::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let Some(pair) = pairs.next() else {
                return (None, lower.diags);
            };
            let ast = lower.file(pair, text);
            (Some(ast), lower.diags)
        }
        Err(err) => {
            lower.diags.push(syntax_error(file, text, &err));
            (None, lower.diags)
        }
    }
}

struct Lower {
    file: FileId,
    diags: Diagnostics,
}

impl Lower {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn file(&mut self, pair: Pair<'_, Rule>, text: &str) -> File {
        let span = Span::new(self.file, 0, text.len());
        let mut comments = Vec::new();
        for p in pair.clone().into_inner().flatten() {
            if p.as_rule() == Rule::COMMENT {
                let raw = p.as_str();
                let t = raw.strip_prefix("//").unwrap_or(raw);
                comments.push(Comment {
                    text: t.trim_end().to_string(),
                    span: self.span(&p),
                });
            }
        }
        let mut items = Vec::new();
        for p in pair.into_inner() {
            if p.as_rule() == Rule::entry {
                match self.entry(p) {
                    Entry::Item(i) => items.push(*i),
                    Entry::Attr(a) => self.diags.push(
                        Diagnostic::spanned(
                            &codes::P0007,
                            a.key.span,
                            format!("attribute `{}` outside a block", a.key.text),
                        )
                        .with_label("attributes belong inside a block")
                        .with_help(
                            "put it inside the block it configures, e.g. `system NAME { … }`",
                        ),
                    ),
                }
            }
        }
        File {
            file: self.file,
            items,
            comments,
            span,
        }
    }

    fn entry(&mut self, pair: Pair<'_, Rule>) -> Entry {
        let mut docs = Vec::new();
        let mut entry = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::doc => docs.push(self.doc(p)),
                Rule::attribute => entry = Some(Entry::Attr(Box::new(self.attribute(p)))),
                Rule::item => {
                    entry = Some(Entry::Item(Box::new(
                        self.item(p, std::mem::take(&mut docs)),
                    )))
                }
                _ => {}
            }
        }
        let entry = entry.unwrap_or_else(|| unreachable_entry(self.file));
        if !docs.is_empty()
            && let Entry::Attr(a) = &entry
        {
            let span = docs[0].span.to(docs[docs.len() - 1].span);
            self.diags.push(
                Diagnostic::spanned(
                    &codes::P0012,
                    span,
                    format!("doc comment on attribute `{}`", a.key.text),
                )
                .with_label("`///` documents the block or declaration that follows it")
                .with_help("use `//` for a plain comment"),
            );
        }
        entry
    }

    fn doc(&self, pair: Pair<'_, Rule>) -> Doc {
        let raw = pair.as_str().strip_prefix("///").unwrap_or("");
        let text = raw.strip_prefix(' ').unwrap_or(raw).trim_end().to_string();
        Doc {
            text,
            span: self.span(&pair),
        }
    }

    fn attribute(&mut self, pair: Pair<'_, Rule>) -> Attr {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let key = inner.next().map(|k| self.key(k));
        let value = inner.next().map(|v| self.value(v));
        match (key, value) {
            (Some(key), Some(value)) => Attr { key, value, span },
            _ => Attr {
                key: Key {
                    text: SmolStr::default(),
                    quoted: false,
                    span,
                },
                value: Value::List {
                    items: vec![],
                    span,
                },
                span,
            },
        }
    }

    fn key(&mut self, pair: Pair<'_, Rule>) -> Key {
        let span = self.span(&pair);
        match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::string => {
                let s = self.string(p);
                Key {
                    text: s.value.into(),
                    quoted: true,
                    span,
                }
            }
            Some(p) => Key {
                text: SmolStr::new(p.as_str()),
                quoted: false,
                span,
            },
            None => Key {
                text: SmolStr::default(),
                quoted: false,
                span,
            },
        }
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            text: SmolStr::new(pair.as_str()),
            span: self.span(&pair),
        }
    }

    fn item(&mut self, pair: Pair<'_, Rule>, docs: Vec<Doc>) -> Item {
        let span = self.span(&pair);
        let mut keyword = None;
        let mut head = None;
        let mut value = None;
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::keyword => {
                    keyword = p.into_inner().next().map(|n| self.ident(n));
                }
                Rule::head => head = p.into_inner().next().map(|h| self.head(h)),
                Rule::value => value = Some(Box::new(self.value(p))),
                Rule::body => body = Some(Box::new(self.body(p))),
                _ => {}
            }
        }
        let keyword = keyword.unwrap_or(Ident {
            text: SmolStr::default(),
            span,
        });
        // pest's span of an item includes whitespace and comments it skipped while looking for
        // optional parts; the item really ends at its last part.
        let end = last_part(&keyword, head.as_ref(), value.as_deref(), body.as_deref());
        let span = Span {
            end: end.end,
            ..span
        };
        Item {
            docs,
            keyword,
            head,
            value,
            body,
            span,
        }
    }

    fn head(&mut self, pair: Pair<'_, Rule>) -> Head {
        match pair.as_rule() {
            Rule::traffic => Head::Traffic(Box::new(self.traffic(pair))),
            Rule::string => Head::Str(self.string(pair)),
            _ => Head::Path(self.path(pair)),
        }
    }

    fn path(&self, pair: Pair<'_, Rule>) -> Path {
        let span = self.span(&pair);
        let segments = pair.into_inner().map(|n| self.ident(n)).collect();
        Path { segments, span }
    }

    fn traffic(&mut self, pair: Pair<'_, Rule>) -> Traffic {
        let span = self.span(&pair);
        let mut ends: Vec<Endpoint> = pair.into_inner().map(|e| self.endpoint(e)).collect();
        let to = ends.pop();
        let from = ends.pop();
        match (from, to) {
            (Some(from), Some(to)) => Traffic { from, to, span },
            _ => {
                let empty = Endpoint {
                    target: EndpointTarget::Str(Str {
                        value: String::new(),
                        span,
                    }),
                    port: None,
                    span,
                };
                Traffic {
                    from: empty.clone(),
                    to: empty,
                    span,
                }
            }
        }
    }

    fn endpoint(&mut self, pair: Pair<'_, Rule>) -> Endpoint {
        let span = self.span(&pair);
        let mut target = EndpointTarget::Str(Str {
            value: String::new(),
            span,
        });
        let mut port = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::path => target = EndpointTarget::Ref(self.path(p)),
                Rule::string => target = EndpointTarget::Str(self.string(p)),
                Rule::port => port = self.port(p),
                _ => {}
            }
        }
        Endpoint { target, port, span }
    }

    fn port(&mut self, pair: Pair<'_, Rule>) -> Option<PortSpec> {
        let inner = pair.into_inner().next()?;
        match inner.as_rule() {
            Rule::port_number => {
                let span = self.span(&inner);
                let port = self.port_number(&inner)?;
                Some(PortSpec::Number { port, span })
            }
            Rule::port_range => {
                let span = self.span(&inner);
                let mut nums = inner.into_inner();
                let first = nums.next().and_then(|n| self.port_number(&n));
                let last = nums.next().and_then(|n| self.port_number(&n));
                let (first, last) = (first?, last?);
                if first > last {
                    self.diags.push(
                        Diagnostic::spanned(
                            &codes::P0005,
                            span,
                            format!("port range `{first}-{last}` is empty"),
                        )
                        .with_help("write the lower port first"),
                    );
                    return None;
                }
                Some(PortSpec::Range { first, last, span })
            }
            _ => Some(PortSpec::Name(self.ident(inner))),
        }
    }

    fn port_number(&mut self, pair: &Pair<'_, Rule>) -> Option<u16> {
        let span = self.span(pair);
        match pair.as_str().parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Some(n as u16),
            _ => {
                self.diags.push(
                    Diagnostic::spanned(
                        &codes::P0005,
                        span,
                        format!("port `{}` is out of range", pair.as_str()),
                    )
                    .with_label("ports are 1 to 65535"),
                );
                None
            }
        }
    }

    fn body(&mut self, pair: Pair<'_, Rule>) -> Body {
        let span = self.span(&pair);
        let entries = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::entry)
            .map(|p| self.entry(p))
            .collect();
        Body { entries, span }
    }

    fn value(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return Value::List {
                items: vec![],
                span,
            };
        };
        match inner.as_rule() {
            Rule::list => Value::List {
                items: inner
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::value)
                    .map(|p| self.value(p))
                    .collect(),
                span,
            },
            Rule::map => Value::Map {
                entries: inner
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::attribute)
                    .map(|p| self.attribute(p))
                    .collect(),
                span,
            },
            Rule::raw_string => {
                let text = inner.into_inner().next().map(|p| p.as_str()).unwrap_or("");
                Value::Raw(Str {
                    value: text.to_string(),
                    span,
                })
            }
            Rule::string => Value::Str(self.string(inner)),
            Rule::date => self.date(inner),
            Rule::number => Value::Number(self.number(inner)),
            Rule::boolean => Value::Bool {
                value: inner.as_str() == "true",
                span,
            },
            _ => Value::Word(Word {
                text: SmolStr::new(inner.as_str()),
                span,
            }),
        }
    }

    fn string(&mut self, pair: Pair<'_, Rule>) -> Str {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let esc_start = span.start as usize + 1 + i;
            match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, 'u')) => {
                    // \u{XXXX}
                    let rest: String = raw[i + 2..].chars().take_while(|c| *c != '}').collect();
                    let ok = rest.starts_with('{')
                        && raw[i + 2..].len() > rest.len()
                        && u32::from_str_radix(&rest[1..], 16)
                            .ok()
                            .and_then(char::from_u32)
                            .map(|ch| out.push(ch))
                            .is_some();
                    if ok {
                        for _ in 0..rest.chars().count() + 1 {
                            chars.next();
                        }
                    } else {
                        self.diags.push(
                            Diagnostic::spanned(
                                &codes::P0003,
                                Span::new(self.file, esc_start, esc_start + 2),
                                "invalid unicode escape",
                            )
                            .with_help("write `\\u{1F600}`: hexadecimal digits in braces"),
                        );
                    }
                }
                Some((j, other)) => {
                    self.diags.push(
                        Diagnostic::spanned(
                            &codes::P0003,
                            Span::new(self.file, esc_start, span.start as usize + 1 + j + other.len_utf8()),
                            format!("unknown escape `\\{other}`"),
                        )
                        .with_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r` and `\\u{…}`; for a literal backslash write `\\\\`"),
                    );
                }
                None => {}
            }
        }
        Str { value: out, span }
    }

    fn date(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        let t = pair.as_str();
        let year: u16 = t[0..4].parse().unwrap_or(0);
        let month: u8 = t[5..7].parse().unwrap_or(0);
        let day: u8 = t[8..10].parse().unwrap_or(0);
        let days_in_month = days_in_month(year, month);
        if days_in_month == 0 || day == 0 || day > days_in_month {
            self.diags.push(
                Diagnostic::spanned(&codes::P0004, span, format!("`{t}` is not a calendar date"))
                    .with_label(if days_in_month == 0 {
                        "there is no such month".to_string()
                    } else {
                        format!("this month has {days_in_month} days")
                    })
                    .with_help("dates are written `YYYY-MM-DD`"),
            );
        }
        Value::Date(Date {
            year,
            month,
            day,
            span,
        })
    }

    fn number(&mut self, pair: Pair<'_, Rule>) -> Number {
        let span = self.span(&pair);
        let mut digits = String::new();
        let mut unit = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::number_digits => digits = p.as_str().to_string(),
                Rule::unit => {
                    let u = p.as_str();
                    if !crate::UNITS.contains(&u) {
                        self.diags.push(
                            Diagnostic::spanned(&codes::P0006, self.span(&p), format!("unknown unit `{u}`"))
                                .with_label("not a duration or quantity unit")
                                .with_help(unit_hint(u))
                                .with_help("durations: s, m, h, d, w, y; quantities: m, k, M, G, T, Ki, Mi, Gi, Ti"),
                        );
                    }
                    unit = Some(u.to_string());
                }
                _ => {}
            }
        }
        if digits
            .trim_start_matches('-')
            .split('.')
            .next()
            .map(|d| d.len() > 18)
            .unwrap_or(false)
        {
            self.diags.push(Diagnostic::spanned(
                &codes::P0005,
                span,
                format!("number `{digits}` is too large"),
            ));
        }
        Number { digits, unit, span }
    }
}

/// The span of an item's last part (its body, else its value, else its head, else its
/// keyword): where the item ends, in both parsers.
pub(crate) fn last_part(
    keyword: &Ident,
    head: Option<&Head>,
    value: Option<&Value>,
    body: Option<&Body>,
) -> Span {
    body.map(|b| b.span)
        .or_else(|| value.map(Value::span))
        .or_else(|| head.map(Head::span))
        .unwrap_or(keyword.span)
}

/// The days of `month` in `year` (Gregorian), 0 when there is no such month: the one date
/// check of both parsers.
pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

/// A "did you mean" for a unit: spelled-out time units map to their letter; anything else
/// to the closest known unit.
fn unit_hint(u: &str) -> String {
    let lower = u.to_ascii_lowercase();
    let time = [
        ("sec", "s"),
        ("min", "m"),
        ("hour", "h"),
        ("hr", "h"),
        ("day", "d"),
        ("week", "w"),
        ("wk", "w"),
        ("year", "y"),
        ("yr", "y"),
    ];
    if let Some((_, unit)) = time.iter().find(|(word, _)| lower.starts_with(word)) {
        return format!("did you mean `{unit}`?");
    }
    match diagnostics::did_you_mean(u, crate::UNITS.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => "units are letters right after the number, e.g. `15m`, `4Gi`".to_string(),
    }
}

fn unreachable_entry(file: FileId) -> Entry {
    // The grammar guarantees an entry holds an attribute or an item; this keeps lowering total.
    let span = Span::new(file, 0, 0);
    Entry::Attr(Box::new(Attr {
        key: Key {
            text: SmolStr::default(),
            quoted: false,
            span,
        },
        value: Value::List {
            items: vec![],
            span,
        },
        span,
    }))
}

/// Human names for grammar rules, used in "expected …" messages.
fn rule_name(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::value => "a value",
        Rule::attribute => "an attribute",
        Rule::entry | Rule::item => "an attribute or a block",
        Rule::key => "an attribute name",
        Rule::keyword | Rule::name => "a name",
        Rule::head => "a name",
        Rule::path => "a name",
        Rule::body => "`{`",
        Rule::traffic => "`->`",
        Rule::endpoint => "a name or an address",
        Rule::port | Rule::port_number | Rule::port_range => "a port",
        Rule::string | Rule::string_inner => "a string",
        Rule::raw_string | Rule::raw_inner => "a backtick expression",
        Rule::number | Rule::number_digits => "a number",
        Rule::unit => "a unit",
        Rule::date => "a date",
        Rule::boolean => "`true` or `false`",
        Rule::word => "a name",
        Rule::list => "a list",
        Rule::map => "a map",
        Rule::doc => "a doc comment",
        Rule::EOI => "end of file",
        _ => return None,
    })
}

/// Turns pest's error into one diagnostic in plain words.
fn syntax_error(file: FileId, text: &str, err: &pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .min(text.len());

    // Unterminated literals are the most common cause; say so directly.
    if let Some(d) = unterminated(file, text, pos) {
        return d;
    }

    let found = describe_at(text, pos);
    let mut expected: Vec<&'static str> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(rule_name).collect()
        }
        ErrorVariant::CustomError { .. } => vec![],
    };
    expected.sort();
    expected.dedup();
    let message = match expected.as_slice() {
        [] => format!("unexpected {}", found.0),
        [one] => format!("expected {one}, found {}", found.0),
        many => {
            let (last, rest) = many.split_last().unwrap_or((&"", &[]));
            format!("expected {} or {last}, found {}", rest.join(", "), found.0)
        }
    };
    let span = Span::new(file, pos, pos + found.1);
    let mut d = Diagnostic::spanned(&codes::P0001, span, message).with_label("unexpected here");
    // At the end of the file or at a closing bracket, the real cause is usually a bracket
    // opened earlier and never closed: point at it.
    let at = text[pos..].chars().next();
    if (at.is_none() || matches!(at, Some('}' | ']')))
        && let Some(open) = unclosed_bracket(text, pos)
    {
        let ch = &text[open..open + 1];
        d = d.with_secondary(
            Span::new(file, open, open + 1),
            format!("this `{ch}` is never closed"),
        );
    }
    let line_rest = text[pos..].lines().next().unwrap_or("");
    if line_rest.starts_with("///") {
        d = d.with_help("`///` starts a doc comment, which must stand on its own line before a block; use `//` here");
    } else if line_rest.starts_with('=') && expected.contains(&"`{`") {
        d = d.with_help(
            "an attribute is `key = value` inside a block; a block is `keyword name { … }`",
        );
    } else if text[..pos].trim_end().ends_with(',')
        && (line_rest.starts_with(']') || line_rest.starts_with('}'))
    {
        d = d.with_help("remove the extra comma");
    }
    d
}

/// The token at `pos` for messages, and its length in bytes (at least one character).
fn describe_at(text: &str, pos: usize) -> (String, usize) {
    let rest = &text[pos..];
    let Some(c) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if c == '\n' || c == '\r' {
        return ("end of line".to_string(), c.len_utf8());
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if !word.is_empty() && word.len() <= 40 {
        return (format!("`{word}`"), word.len());
    }
    if c == '`' {
        return ("`` ` ``".to_string(), 1);
    }
    (format!("`{c}`"), c.len_utf8())
}

/// The innermost bracket opened before `pos` and not closed by then, skipping strings,
/// backtick expressions and comments; when the text at `pos` closes the wrong kind, that
/// mismatch is what is reported.
fn unclosed_bracket(text: &str, pos: usize) -> Option<usize> {
    let mut stack: Vec<usize> = Vec::new();
    for (i, b) in crate::depth::brackets(text).take_while(|(i, _)| *i < pos) {
        if matches!(b, b'{' | b'[') {
            stack.push(i);
        } else {
            stack.pop();
        }
    }
    let top = *stack.last()?;
    match (text.as_bytes().get(pos), text.as_bytes()[top]) {
        // `}` where a `[` is open: the list was never closed. (A `]` where a `{` is open is
        // more often a stray `]` than an unclosed block, so it gets no label.)
        (Some(b'}'), b'[') | (None, _) => Some(top),
        _ => None,
    }
}

/// A diagnostic for an unterminated string or backtick expression that explains `pos`.
fn unterminated(file: FileId, text: &str, pos: usize) -> Option<Diagnostic> {
    // Scan from the start, tracking literals and comments, up to the error position.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && i <= pos {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'\n' {
                    return Some(
                        Diagnostic::spanned(&codes::P0008, Span::new(file, start, start + 1), "unterminated string")
                            .with_label("this string is never closed")
                            .with_help("close it with `\"` on the same line; strings cannot span lines (use a backtick expression for long text)"),
                    );
                }
                i += 1;
                continue;
            }
            b'`' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
                if i >= bytes.len() {
                    return Some(
                        Diagnostic::spanned(
                            &codes::P0008,
                            Span::new(file, start, start + 1),
                            "unterminated backtick expression",
                        )
                        .with_label("this expression is never closed")
                        .with_help("close it with a matching backtick"),
                    );
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}
