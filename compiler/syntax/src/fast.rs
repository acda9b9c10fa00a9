//! The fast path: a hand-written recursive-descent parser for the grammar in `grammar.pest`
//! that builds exactly the AST the pest path (`parser.rs`) builds, spans and comments included,
//! or declines.
//!
//! It is an accelerator, not a second definition of the language. It handles only input that
//! the grammar accepts *and* that lowers without a diagnostic; for anything else (a syntax
//! error, a bad escape, an invalid date, an out-of-range port, an unknown unit, a number too
//! large, an attribute outside a block, a doc comment on an attribute, nesting past
//! [`MAX_DEPTH`]) it returns `None` and `syntax::parse` runs the pest path, which stays the
//! reference and the only source of syntax diagnostics. The differential tests
//! (`tests/fast_parser.rs`) hold the two paths equal.
//!
//! pest details reproduced here, all consequences of its implicit skipping (`WHITESPACE` and
//! `COMMENT` between the elements of a non-atomic rule, never at its start or end):
//! - a rule that ends with an absent optional part ends after the white space and comments
//!   skipped while looking for it: an endpoint without a port (and so a traffic head) spans
//!   the blanks and comments that follow it on its line;
//! - `port_range` is non-atomic (`80 - 90` is a range) and tried before `port_number`, so
//!   `80 -> b` reads the port `80` and then `->`;
//! - `///` followed by anything but `/` is a doc comment, never skipped; `//` and `////…` are
//!   comments, kept in `File::comments` in text order.

use crate::MAX_DEPTH;
use crate::ast::*;
use diagnostics::{FileId, Span};

/// Parses `text` as the pest path would, or returns `None` (declines) when the pest path
/// would report anything or the input is outside what this parser handles.
pub(crate) fn parse(file: FileId, text: &str) -> Option<File> {
    let mut p = P {
        text,
        s: text.as_bytes(),
        pos: 0,
        file,
        comments: Vec::new(),
        comments_end: 0,
        depth: 0,
    };
    let items = p.seq(None, |p| match p.entry()? {
        Entry::Item(item) => Some(*item),
        // An attribute outside a block is P0007: the pest path reports it.
        Entry::Attr(_) => None,
    })?;
    if p.pos != p.s.len() {
        return None;
    }
    Some(File {
        file,
        items,
        comments: p.comments,
        span: Span::new(file, 0, text.len()),
    })
}

struct P<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    file: FileId,
    comments: Vec<Comment>,
    /// Where the last recorded comment ends: a lookahead that is undone may skip a comment
    /// that is skipped again later, and it must be recorded once.
    comments_end: usize,
    depth: usize,
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> P<'a> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.s.get(i).copied()
    }

    /// The end of the line that `from` is on: the next `\n` or `\r`, or the end of the text.
    fn line_end(&self, from: usize) -> usize {
        self.s[from..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(self.s.len(), |n| from + n)
    }

    /// `COMMENT`: `//` not followed by `/`, or `////`.
    fn comment_at(&self, i: usize) -> bool {
        self.s[i..].starts_with(b"//")
            && (self.at(i + 2) != Some(b'/') || self.at(i + 3) == Some(b'/'))
    }

    /// `doc`: `///` not followed by `/`.
    fn doc_at(&self, i: usize) -> bool {
        self.s[i..].starts_with(b"///") && self.at(i + 3) != Some(b'/')
    }

    /// pest's implicit skip: `WHITESPACE* ~ (COMMENT ~ WHITESPACE*)*`, recording comments.
    fn skip(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(0xEF) if self.s[self.pos..].starts_with("\u{FEFF}".as_bytes()) => {
                    self.pos += 3
                }
                Some(b'/') if self.comment_at(self.pos) => {
                    let start = self.pos;
                    let end = self.line_end(start);
                    if start >= self.comments_end {
                        self.comments.push(Comment {
                            text: self.text[start + 2..end].trim_end().to_string(),
                            span: self.span(start, end),
                        });
                        self.comments_end = end;
                    }
                    self.pos = end;
                }
                _ => return,
            }
        }
    }

    fn at_newline(&self) -> bool {
        matches!(self.peek(), Some(b'\n' | b'\r'))
    }

    /// Skips white space, comments and newlines: `skip ~ nl* ~ skip`.
    fn trivia(&mut self) {
        loop {
            self.skip();
            if self.at_newline() {
                self.pos += 1;
            } else {
                return;
            }
        }
    }

    fn at_close(&self, close: Option<u8>) -> bool {
        self.peek() == close
    }

    /// `open ~ nl* ~ (elem ~ (sep ~ elem)* ~ sep?)? ~ nl* ~ close`, from just after `open`; stops
    /// before `close` (`None`: the end of the text).
    fn seq<T>(
        &mut self,
        close: Option<u8>,
        mut elem: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut out = Vec::new();
        self.trivia();
        while !self.at_close(close) {
            out.push(elem(self)?);
            self.skip();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.trivia();
                }
                Some(b'\n' | b'\r') => self.trivia(),
                _ if self.at_close(close) => {}
                _ => return None,
            }
        }
        Some(out)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `entry = (doc ~ nl+)* ~ (attribute | item)`.
    fn entry(&mut self) -> Option<Entry> {
        let mut docs = Vec::new();
        while self.doc_at(self.pos) {
            let start = self.pos;
            let end = self.line_end(start);
            let raw = &self.text[start + 3..end];
            docs.push(Doc {
                text: raw.strip_prefix(' ').unwrap_or(raw).trim_end().to_string(),
                span: self.span(start, end),
            });
            self.pos = end;
            if !self.at_newline() {
                return None;
            }
            self.trivia();
        }
        match self.peek()? {
            b'"' => {
                let key = self.string()?;
                // A doc comment on an attribute is P0012: the pest path reports it.
                if !docs.is_empty() {
                    return None;
                }
                let key = Key {
                    text: key.value.into(),
                    quoted: true,
                    span: key.span,
                };
                self.attribute_rest(key).map(|a| Entry::Attr(Box::new(a)))
            }
            b if is_name_start(b) => {
                let name = self.name();
                let after = self.pos;
                self.skip();
                if self.peek() == Some(b'=') {
                    if !docs.is_empty() {
                        return None;
                    }
                    let key = Key {
                        text: name.text,
                        quoted: false,
                        span: name.span,
                    };
                    self.pos = after;
                    return self.attribute_rest(key).map(|a| Entry::Attr(Box::new(a)));
                }
                self.item(docs, name).map(|i| Entry::Item(Box::new(i)))
            }
            _ => None,
        }
    }

    /// `attribute = key ~ "=" ~ value`, from just after the key.
    fn attribute_rest(&mut self, key: Key) -> Option<Attr> {
        self.skip();
        if self.peek() != Some(b'=') {
            return None;
        }
        self.pos += 1;
        self.skip();
        let value = self.value()?;
        let span = self.span(key.span.start as usize, value.span().end as usize);
        Some(Attr { key, value, span })
    }

    /// `attribute` inside a map.
    fn attribute(&mut self) -> Option<Attr> {
        let key = match self.peek()? {
            b'"' => {
                let s = self.string()?;
                Key {
                    text: s.value.into(),
                    quoted: true,
                    span: s.span,
                }
            }
            b if is_name_start(b) => {
                let n = self.name();
                Key {
                    text: n.text,
                    quoted: false,
                    span: n.span,
                }
            }
            _ => return None,
        };
        self.attribute_rest(key)
    }

    /// `item = keyword ~ head? ~ ("=" ~ value)? ~ body?`, from after the keyword and a skip.
    fn item(&mut self, docs: Vec<Doc>, keyword: Ident) -> Option<Item> {
        let head = match self.peek() {
            Some(b) if b == b'"' || is_name_start(b) => Some(self.head()?),
            _ => None,
        };
        self.skip();
        let value = if self.peek() == Some(b'=') {
            self.pos += 1;
            self.skip();
            Some(self.value()?)
        } else {
            None
        };
        self.skip();
        let body = if self.peek() == Some(b'{') {
            Some(self.body()?)
        } else {
            None
        };
        // As `parser.rs`: the item ends at its last part.
        let end = crate::parser::last_part(&keyword, head.as_ref(), value.as_ref(), body.as_ref());
        let span = Span {
            end: end.end,
            ..keyword.span
        };
        Some(Item {
            docs,
            keyword,
            head,
            value: value.map(Box::new),
            body: body.map(Box::new),
            span,
        })
    }

    /// `body = "{" ~ nl* ~ (entry ~ (sep ~ entry)* ~ sep?)? ~ nl* ~ "}"`.
    fn body(&mut self) -> Option<Body> {
        let start = self.pos;
        self.pos += 1;
        self.enter()?;
        let entries = self.seq(Some(b'}'), Self::entry)?;
        self.leave();
        self.pos += 1;
        Some(Body {
            entries,
            span: self.span(start, self.pos),
        })
    }

    /// `name`: `(ALPHA | "_") ~ (ALNUM | "_")* ~ ("-" ~ (ALNUM | "_")+)*`, at a name start.
    fn name(&mut self) -> Ident {
        let start = self.pos;
        self.pos += 1;
        loop {
            while self.peek().is_some_and(is_name_char) {
                self.pos += 1;
            }
            if self.peek() == Some(b'-') && self.at(self.pos + 1).is_some_and(is_name_char) {
                self.pos += 1;
            } else {
                break;
            }
        }
        Ident {
            text: SmolStr::new(&self.text[start..self.pos]),
            span: self.span(start, self.pos),
        }
    }

    /// `path = ${ name ~ ("." ~ name)* }`, at a name start.
    fn path(&mut self) -> Path {
        let start = self.pos;
        let mut segments = vec![self.name()];
        while self.peek() == Some(b'.') && self.at(self.pos + 1).is_some_and(is_name_start) {
            self.pos += 1;
            segments.push(self.name());
        }
        Path {
            segments,
            span: self.span(start, self.pos),
        }
    }

    /// `path | string`, at a name start or `"`.
    fn target(&mut self) -> Option<EndpointTarget> {
        match self.peek()? {
            b'"' => self.string().map(EndpointTarget::Str),
            b if is_name_start(b) => Some(EndpointTarget::Ref(self.path())),
            _ => None,
        }
    }

    /// `endpoint = (path | string) ~ (":" ~ port)?`. Returns the endpoint; the position is
    /// after its trailing skip.
    fn endpoint(&mut self) -> Option<Endpoint> {
        let start = self.pos;
        let target = self.target()?;
        self.skip();
        let mut end = self.pos;
        let mut port = None;
        if self.peek() == Some(b':') {
            self.pos += 1;
            self.skip();
            let p = self.port()?;
            end = p.span().end as usize;
            port = Some(p);
            self.skip();
        }
        Some(Endpoint {
            target,
            port,
            span: self.span(start, end),
        })
    }

    /// `head = traffic | path | string`, at a name start or `"`.
    fn head(&mut self) -> Option<Head> {
        let start = self.pos;
        let from = self.endpoint()?;
        if !self.s[self.pos..].starts_with(b"->") {
            // Not traffic: the head is the path or string alone; a port after it is an error.
            if from.port.is_some() {
                return None;
            }
            let end = match &from.target {
                EndpointTarget::Ref(p) => p.span.end,
                EndpointTarget::Str(s) => s.span.end,
            };
            self.pos = end as usize;
            return Some(match from.target {
                EndpointTarget::Ref(p) => Head::Path(p),
                EndpointTarget::Str(s) => Head::Str(s),
            });
        }
        self.pos += 2;
        self.skip();
        let to = self.endpoint()?;
        let span = self.span(start, to.span.end as usize);
        Some(Head::Traffic(Box::new(Traffic { from, to, span })))
    }

    /// `port_number`, validated as `parser.rs` does (1 to 65535), at a digit.
    fn port_number(&mut self) -> Option<(u16, usize)> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let n: u32 = self.text[start..self.pos].parse().ok()?;
        let n = u16::try_from(n).ok().filter(|n| *n >= 1)?;
        Some((n, start))
    }

    /// `port = port_range | port_number | name`.
    fn port(&mut self) -> Option<PortSpec> {
        let b = self.peek()?;
        if b.is_ascii_digit() {
            let (first, start) = self.port_number()?;
            let end = self.pos;
            self.skip();
            if self.peek() == Some(b'-') {
                self.pos += 1;
                self.skip();
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    let (last, _) = self.port_number()?;
                    if first > last {
                        return None;
                    }
                    return Some(PortSpec::Range {
                        first,
                        last,
                        span: self.span(start, self.pos),
                    });
                }
            }
            self.pos = end;
            Some(PortSpec::Number {
                port: first,
                span: self.span(start, end),
            })
        } else if is_name_start(b) {
            Some(PortSpec::Name(self.name()))
        } else {
            None
        }
    }

    /// `word_char`: `ALNUM | "_" | "-" | "." | "*" | "(" | ")" | ":" | "/" ~ !"/"`.
    fn word_char(&self, i: usize) -> bool {
        match self.at(i) {
            Some(b'/') => self.at(i + 1) != Some(b'/'),
            Some(b) => {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'_' | b'-' | b'.' | b'*' | b'(' | b')' | b':')
            }
            None => false,
        }
    }

    /// `value = list | map | raw_string | string | date | number | boolean | word`.
    fn value(&mut self) -> Option<Value> {
        let start = self.pos;
        match self.peek()? {
            b'[' => {
                self.pos += 1;
                self.enter()?;
                let items = self.seq(Some(b']'), Self::value)?;
                self.leave();
                self.pos += 1;
                Some(Value::List {
                    items,
                    span: self.span(start, self.pos),
                })
            }
            b'{' => {
                self.pos += 1;
                self.enter()?;
                let entries = self.seq(Some(b'}'), Self::attribute)?;
                self.leave();
                self.pos += 1;
                Some(Value::Map {
                    entries,
                    span: self.span(start, self.pos),
                })
            }
            b'`' => {
                let len = self.s[start + 1..].iter().position(|&b| b == b'`')?;
                let end = start + 1 + len;
                self.pos = end + 1;
                Some(Value::Raw(Str {
                    value: self.text[start + 1..end].to_string(),
                    span: self.span(start, self.pos),
                }))
            }
            b'"' => self.string().map(Value::Str),
            b'-' | b'0'..=b'9' => self.date().or_else(|| self.number()),
            b if is_name_start(b) || b == b'*' => {
                for (lit, value) in [(&b"true"[..], true), (&b"false"[..], false)] {
                    if self.s[start..].starts_with(lit) && !self.word_char(start + lit.len()) {
                        self.pos = start + lit.len();
                        return Some(Value::Bool {
                            value,
                            span: self.span(start, self.pos),
                        });
                    }
                }
                self.pos += 1;
                while self.word_char(self.pos) {
                    self.pos += 1;
                }
                Some(Value::Word(Word {
                    text: SmolStr::new(&self.text[start..self.pos]),
                    span: self.span(start, self.pos),
                }))
            }
            _ => None,
        }
    }

    /// `date = @{ DIGIT{4} ~ "-" ~ DIGIT{2} ~ "-" ~ DIGIT{2} ~ !word_char }`, if it is one and a
    /// calendar date (an invalid one is P0004: `None` then makes `number` fail too, so the
    /// whole parse declines).
    fn date(&mut self) -> Option<Value> {
        let start = self.pos;
        let d = self.s.get(start..start + 10)?;
        let digit = |i: usize| d[i].is_ascii_digit();
        let shape = (0..4).all(digit)
            && d[4] == b'-'
            && (5..7).all(digit)
            && d[7] == b'-'
            && (8..10).all(digit)
            && !self.word_char(start + 10);
        if !shape {
            return None;
        }
        let t = &self.text[start..start + 10];
        let year: u16 = t[0..4].parse().ok()?;
        let month: u8 = t[5..7].parse().ok()?;
        let day: u8 = t[8..10].parse().ok()?;
        let days_in_month = crate::parser::days_in_month(year, month);
        if days_in_month == 0 || day == 0 || day > days_in_month {
            // Invalid: decline (the number fallback also fails, at the `-`).
            return None;
        }
        self.pos = start + 10;
        Some(Value::Date(Date {
            year,
            month,
            day,
            span: self.span(start, self.pos),
        }))
    }

    /// `number = ${ number_digits ~ unit? ~ !word_char }`, valid as `parser.rs` checks it.
    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        let mut i = start;
        if self.at(i) == Some(b'-') {
            i += 1;
        }
        let int_start = i;
        while self.at(i).is_some_and(|b| b.is_ascii_digit()) {
            i += 1;
        }
        let int_len = i - int_start;
        if int_len == 0 || int_len > 18 {
            // No digits is not a number; more than 18 is P0005.
            return None;
        }
        if self.at(i) == Some(b'.') && self.at(i + 1).is_some_and(|b| b.is_ascii_digit()) {
            i += 1;
            while self.at(i).is_some_and(|b| b.is_ascii_digit()) {
                i += 1;
            }
        }
        let digits_end = i;
        while self.at(i).is_some_and(|b| b.is_ascii_alphabetic()) {
            i += 1;
        }
        if self.word_char(i) {
            return None;
        }
        let unit = if i > digits_end {
            let u = &self.text[digits_end..i];
            // An unknown unit is P0006.
            if !crate::UNITS.contains(&u) {
                return None;
            }
            Some(u.to_string())
        } else {
            None
        };
        self.pos = i;
        Some(Value::Number(Number {
            digits: self.text[start..digits_end].to_string(),
            unit,
            span: self.span(start, i),
        }))
    }

    /// `string = ${ "\"" ~ string_inner ~ "\"" }` with its escapes decoded as `parser.rs`
    /// decodes them; any escape it would report (P0003) declines.
    fn string(&mut self) -> Option<Str> {
        let start = self.pos;
        let mut i = start + 1;
        let mut run = i;
        let mut out = String::new();
        loop {
            match self.at(i)? {
                b'"' => break,
                b'\n' | b'\r' => return None,
                b'\\' => {
                    out.push_str(&self.text[run..i]);
                    let (ch, len) = match self.at(i + 1)? {
                        b'"' => ('"', 2),
                        b'\\' => ('\\', 2),
                        b'n' => ('\n', 2),
                        b't' => ('\t', 2),
                        b'r' => ('\r', 2),
                        b'u' => {
                            if self.at(i + 2) != Some(b'{') {
                                return None;
                            }
                            let hex = i + 3;
                            let mut j = hex;
                            while self.at(j).is_some_and(|b| b.is_ascii_hexdigit()) {
                                j += 1;
                            }
                            if j == hex || j - hex > 6 || self.at(j) != Some(b'}') {
                                return None;
                            }
                            let code = u32::from_str_radix(&self.text[hex..j], 16).ok()?;
                            (char::from_u32(code)?, j + 1 - i)
                        }
                        _ => return None,
                    };
                    out.push(ch);
                    i += len;
                    run = i;
                }
                _ => i += 1,
            }
        }
        out.push_str(&self.text[run..i]);
        self.pos = i + 1;
        Some(Str {
            value: out,
            span: self.span(start, self.pos),
        })
    }
}
