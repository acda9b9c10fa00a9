//! A reader for the block-YAML subset posture's YAML writer (serde-saphyr, `emit::to_yaml`)
//! emits, tried before serde-saphyr by [`super::load_sources`]: the emitted NetworkPolicies
//! are read back by the build's reachability proof, and at scale the general YAML parser
//! dominated the proof.
//!
//! It fails closed: it declines the whole source on anything it does not certainly read as
//! serde-saphyr does, and the loader then reads the source through serde-saphyr, so warnings
//! and errors are exactly that path's. What it takes:
//!
//! - documents separated by `---` lines (one leading `---` allowed), each a block mapping at
//!   column 0; no directives, no `...`, no comments, no blank lines outside block scalars, no
//!   tabs, no carriage returns, no control characters, no BOM, no NEL/LS/PS;
//! - block mappings and block sequences (`- ` items, a compact mapping or sequence inside an
//!   item, a sequence at its key's column), `{}` and `[]` (no other flow collections), no
//!   anchors, aliases, tags, complex keys, null values or repeated keys;
//! - single-line single- and double-quoted scalars (the double-quoted escapes serde-saphyr
//!   writes), and `|`, `|-`, `>`, `>-` block scalars without indentation indicators, leading
//!   empty lines, more-indented folded lines, trailing spaces or whitespace-only lines;
//! - plain scalars of two conservative shapes that resolve the same under YAML 1.1 and 1.2:
//!   a decimal integer without sign or leading zero (at most 18 digits) is an integer (a key
//!   of that shape is its digits, as serde-saphyr gives a key read as a string); a
//!   scalar of printable ASCII starting with a letter or `/`, with no `#`, single inner spaces only,
//!   every `:` followed by a letter or digit, and not a YAML 1.1 boolean, null, `nan` or `inf`
//!   spelling, is a string; so is an IPv4 CIDR (`10.0.0.0/8`). Any other plain scalar declines.
//!
//! It also declines streams near serde-saphyr's default budgets (documents, nodes, depth), which
//! serde-saphyr would refuse.
//!
//! A taken document is a [`Node`] tree that deserializes through [`De`] with the visitor calls
//! serde-saphyr makes for it (a string, an unsigned integer, a map, a sequence; `Some` for
//! every present value), so the loader's typed shapes ([`super::fast::Doc`]) come out the same.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess};

/// One YAML node of the subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node<'a> {
    Str(Cow<'a, str>),
    Int(u64),
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
    Seq(Vec<Node<'a>>),
}

/// Why the reader declined a source: what it met, and on which line (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decline {
    pub(crate) line: usize,
    pub(crate) what: &'static str,
}

type R<T> = Result<T, Decline>;

/// Most documents in a stream: serde-saphyr refuses more than 1,024.
pub(super) const MAX_DOCUMENTS: usize = 1_000;
/// Most nodes in a stream: serde-saphyr refuses more than 250,000 (and 1,000,000 events).
pub(super) const MAX_NODES: usize = 200_000;
/// Deepest nesting: serde-saphyr refuses more than 64.
pub(super) const MAX_DEPTH: usize = 48;

/// The documents of `text`, or why the subset reader does not take it.
pub(crate) fn documents(text: &str) -> R<Vec<Node<'_>>> {
    documents_counted(text).map(|(docs, _)| docs)
}

/// [`documents`] and how many nodes they count towards serde-saphyr's budget (for
/// [`super::stream`], which reads a document here when it does not read it itself).
pub(super) fn documents_counted(text: &str) -> R<(Vec<Node<'_>>, usize)> {
    check_chars(text)?;
    let Some(body) = text.strip_suffix('\n') else {
        return Err(Decline {
            line: 0,
            what: "no final line break",
        });
    };
    let lines: Vec<&str> = body.split('\n').collect();
    let mut docs = Vec::new();
    let mut nodes = 0;
    let mut start = usize::from(lines.first() == Some(&"---"));
    while start <= lines.len() {
        let end = lines[start..]
            .iter()
            .position(|l| *l == "---")
            .map_or(lines.len(), |p| start + p);
        if end == start {
            return Err(Decline {
                line: start + 1,
                what: "an empty document",
            });
        }
        let mut p = Parser {
            lines: &lines[..end],
            i: start,
            nodes: 0,
        };
        let doc = p.block(0, 0)?;
        if !matches!(doc, Node::Map(_)) {
            return Err(p.decline("a document that is not a mapping"));
        }
        if p.i != end {
            return Err(p.decline("a line outside the document's mapping"));
        }
        nodes += p.nodes;
        docs.push(doc);
        if docs.len() > MAX_DOCUMENTS || nodes > MAX_NODES {
            return Err(p.decline("a stream near serde-saphyr's budget"));
        }
        start = end + 1;
    }
    Ok((docs, nodes))
}

/// Declines text with characters the subset does not read: tabs, carriage returns and other
/// control characters, DEL, C1 controls, BOM, LS/PS, and the non-characters U+FFFE/U+FFFF.
pub(super) fn check_chars(text: &str) -> R<()> {
    let bytes = text.as_bytes();
    // Printable ASCII and line breaks, the writer's usual text, in blocks of 64 bytes folded
    // without an early exit (so the compiler vectorizes it); the rest below, from the first
    // block that holds something else.
    let ok = |b: u8| b == b'\n' || (0x20..0x7F).contains(&b);
    let mut i = bytes
        .chunks(64)
        .position(|c| !c.iter().fold(true, |all, &b| all & ok(b)))
        .map_or(bytes.len(), |block| block * 64);
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if (b < 0x20 && b != b'\n') || b == 0x7F {
                return Err(Decline {
                    line: line_of(text, i),
                    what: "a tab or control character",
                });
            }
            i += 1;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or('\0');
        if matches!(
            c as u32,
            0x80..=0x9F | 0x2028 | 0x2029 | 0xFEFF | 0xFFFE | 0xFFFF
        ) {
            return Err(Decline {
                line: line_of(text, i),
                what: "a control, separator or BOM character",
            });
        }
        i += c.len_utf8();
    }
    Ok(())
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].bytes().filter(|b| *b == b'\n').count() + 1
}

struct Parser<'t, 'a> {
    /// The stream's lines up to the end of the current document.
    lines: &'t [&'a str],
    /// The next line to read.
    i: usize,
    nodes: usize,
}

pub(super) fn indent(line: &str) -> usize {
    line.bytes().take_while(|b| *b == b' ').count()
}

impl<'a> Parser<'_, 'a> {
    fn decline(&self, what: &'static str) -> Decline {
        Decline {
            line: self.i + 1,
            what,
        }
    }

    /// The next line, when there is one and it is not blank.
    fn next_line(&self) -> R<Option<&'a str>> {
        match self.lines.get(self.i) {
            None => Ok(None),
            Some(l) if l.bytes().all(|b| b == b' ') => Err(self.decline("a blank line")),
            Some(l) => Ok(Some(l)),
        }
    }

    fn count(&mut self, depth: usize) -> R<()> {
        self.nodes += 1;
        if depth > MAX_DEPTH {
            return Err(self.decline("deep nesting"));
        }
        Ok(())
    }

    /// A block collection whose first line is line `i`, its content starting at `col`.
    fn block(&mut self, col: usize, depth: usize) -> R<Node<'a>> {
        let Some(line) = self.next_line()? else {
            return Err(self.decline("a missing node"));
        };
        if line[col..].starts_with("- ") {
            self.seq(col, depth)
        } else {
            self.map(col, depth)
        }
    }

    /// A block sequence at `col`; line `i` starts an item at `col`.
    fn seq(&mut self, col: usize, depth: usize) -> R<Node<'a>> {
        self.count(depth)?;
        let mut items = Vec::new();
        loop {
            let line = self.lines[self.i];
            let rest = &line[col + 2..];
            let item = if rest.starts_with(' ') {
                return Err(self.decline("an item indented past `- `"));
            } else if rest.starts_with("- ") {
                self.seq(col + 2, depth + 1)?
            } else if split_key(rest)
                .map_err(|what| self.decline(what))?
                .is_some()
            {
                self.map(col + 2, depth + 1)?
            } else {
                self.inline(rest, col, depth + 1)?
            };
            items.push(item);
            let Some(next) = self.next_line()? else { break };
            let ind = indent(next);
            if ind == col && next[col..].starts_with("- ") {
                continue;
            }
            if ind > col {
                return Err(self.decline("a line indented into a sequence"));
            }
            break;
        }
        Ok(Node::Seq(items))
    }

    /// A block mapping at `col`; line `i` holds its first key at `col`.
    fn map(&mut self, col: usize, depth: usize) -> R<Node<'a>> {
        self.count(depth)?;
        let mut entries: Vec<(Cow<'a, str>, Node<'a>)> = Vec::new();
        loop {
            let line = self.lines[self.i];
            let Some((key, after)) = split_key(&line[col..]).map_err(|what| self.decline(what))?
            else {
                return Err(self.decline("a mapping line without a key"));
            };
            self.count(depth + 1)?;
            let value = if after.is_empty() {
                self.i += 1;
                let Some(next) = self.next_line()? else {
                    return Err(self.decline("a key without a value"));
                };
                let ind = indent(next);
                if ind > col {
                    self.block(ind, depth + 1)?
                } else if ind == col && next[col..].starts_with("- ") {
                    self.seq(col, depth + 1)?
                } else {
                    return Err(self.decline("a key without a value"));
                }
            } else if let Some(v) = after.strip_prefix(' ') {
                self.inline(v, col, depth + 1)?
            } else {
                return Err(self.decline("a key not followed by `: `"));
            };
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(self.decline("a repeated key"));
            }
            entries.push((key, value));
            let Some(next) = self.next_line()? else { break };
            let ind = indent(next);
            if ind == col && !next[col..].starts_with('-') {
                continue;
            }
            if ind >= col {
                return Err(self.decline("a line indented into a mapping"));
            }
            break;
        }
        Ok(Node::Map(entries))
    }

    /// A value that starts on the current line after `: ` or `- ` (`v`), in a collection at
    /// `parent` (the column block scalar content must pass); moves past its last line.
    fn inline(&mut self, v: &'a str, parent: usize, depth: usize) -> R<Node<'a>> {
        self.count(depth)?;
        let node = match v {
            "{}" => Node::Map(Vec::new()),
            "[]" => Node::Seq(Vec::new()),
            "|" | "|-" | ">" | ">-" => return self.block_scalar(v, parent),
            _ if v.starts_with(['"', '\'']) => {
                let (s, rest) = quoted(v).map_err(|what| self.decline(what))?;
                if !rest.is_empty() {
                    return Err(self.decline("text after a quoted scalar"));
                }
                Node::Str(s)
            }
            _ => plain(v).ok_or_else(|| self.decline("a plain scalar outside the subset"))?,
        };
        self.i += 1;
        Ok(node)
    }

    /// A block scalar with header `header` on the current line, in a collection at `parent`.
    fn block_scalar(&mut self, header: &str, parent: usize) -> R<Node<'a>> {
        let folded = header.starts_with('>');
        let clip = !header.ends_with('-');
        self.i += 1;
        let first = match self.lines.get(self.i) {
            Some(l) if !l.is_empty() => *l,
            _ => return Err(self.decline("a block scalar without a first line")),
        };
        let m = indent(first);
        if m <= parent || m == first.len() {
            return Err(self.decline("a block scalar's first line"));
        }
        // Content lines (None for an empty line), up to the first line indented less.
        let mut content: Vec<Option<&str>> = Vec::new();
        while let Some(l) = self.lines.get(self.i) {
            if l.is_empty() {
                content.push(None);
            } else if indent(l) >= m {
                let text = &l[m..];
                if text.bytes().all(|b| b == b' ') {
                    return Err(self.decline("a whitespace-only line in a block scalar"));
                }
                if folded && text.starts_with(' ') {
                    return Err(self.decline("a more-indented folded line"));
                }
                content.push(Some(text));
            } else if l.bytes().all(|b| b == b' ') {
                return Err(self.decline("a whitespace-only line in a block scalar"));
            } else {
                break;
            }
            self.i += 1;
        }
        while content.last() == Some(&None) {
            content.pop();
        }
        let mut out = String::new();
        let mut empties = 0;
        let mut started = false;
        for c in content {
            match c {
                None => empties += 1,
                Some(text) => {
                    if started {
                        if !folded {
                            out.push('\n');
                            for _ in 0..empties {
                                out.push('\n');
                            }
                        } else if empties == 0 {
                            out.push(' ');
                        } else {
                            for _ in 0..empties {
                                out.push('\n');
                            }
                        }
                    }
                    out.push_str(text);
                    started = true;
                    empties = 0;
                }
            }
        }
        if clip {
            out.push('\n');
        }
        Ok(Node::Str(Cow::Owned(out)))
    }
}

/// `rest` as `key:` and what follows the colon, `None` when it is no mapping entry (a scalar);
/// an error for a key the subset does not read.
pub(super) fn split_key(rest: &str) -> Result<Option<(Cow<'_, str>, &str)>, &'static str> {
    if rest.starts_with(['"', '\'']) {
        let (key, after) = quoted(rest)?;
        return match after.strip_prefix(':') {
            Some(a) if a.is_empty() || a.starts_with(' ') => Ok(Some((key, a))),
            _ if after.is_empty() => Ok(None),
            _ => Err("text after a quoted key"),
        };
    }
    let bytes = rest.as_bytes();
    let mut at = None;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b':' && bytes.get(i + 1).is_none_or(|n| *n == b' ') {
            at = Some(i);
            break;
        }
    }
    let Some(at) = at else { return Ok(None) };
    // A decimal integer key is its digits, as serde-saphyr gives a key read as a string.
    match plain(&rest[..at]) {
        Some(Node::Str(key)) => Ok(Some((key, &rest[at + 1..]))),
        Some(Node::Int(_)) => Ok(Some((Cow::Borrowed(&rest[..at]), &rest[at + 1..]))),
        _ => Err("a key outside the subset"),
    }
}

/// A quoted scalar at the start of `s` (it starts with a quote), closed on this line: its
/// value and the rest of the line.
pub(super) fn quoted(s: &str) -> Result<(Cow<'_, str>, &str), &'static str> {
    let b = s.as_bytes();
    if b[0] == b'\'' {
        let mut out: Option<String> = None;
        let mut i = 1;
        let mut from = 1;
        loop {
            match b.get(i) {
                None => return Err("an unclosed single-quoted scalar"),
                Some(b'\'') if b.get(i + 1) == Some(&b'\'') => {
                    let o = out.get_or_insert_with(String::new);
                    o.push_str(&s[from..=i]);
                    i += 2;
                    from = i;
                }
                Some(b'\'') => {
                    let v = match out {
                        Some(mut o) => {
                            o.push_str(&s[from..i]);
                            Cow::Owned(o)
                        }
                        None => Cow::Borrowed(&s[1..i]),
                    };
                    return Ok((v, &s[i + 1..]));
                }
                Some(_) => i += 1,
            }
        }
    }
    let mut out: Option<String> = None;
    let mut i = 1;
    let mut from = 1;
    loop {
        match b.get(i) {
            None => return Err("an unclosed double-quoted scalar"),
            Some(b'"') => {
                let v = match out {
                    Some(mut o) => {
                        o.push_str(&s[from..i]);
                        Cow::Owned(o)
                    }
                    None => Cow::Borrowed(&s[1..i]),
                };
                return Ok((v, &s[i + 1..]));
            }
            Some(b'\\') => {
                let o = out.get_or_insert_with(String::new);
                o.push_str(&s[from..i]);
                let (c, len) = escape(&s[i + 1..]).ok_or("an escape outside the subset")?;
                o.push(c);
                i += 1 + len;
                from = i;
            }
            Some(_) => i += 1,
        }
    }
}

/// The character of a double-quoted escape (after the backslash) and its length.
fn escape(s: &str) -> Option<(char, usize)> {
    let c = match s.as_bytes().first()? {
        b'\\' => '\\',
        b'"' => '"',
        b'/' => '/',
        b'0' => '\0',
        b'a' => '\u{7}',
        b'b' => '\u{8}',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\u{b}',
        b'f' => '\u{c}',
        b'r' => '\r',
        b'e' => '\u{1b}',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex(s, 2),
        b'u' => return hex(s, 4),
        b'U' => return hex(s, 8),
        _ => return None,
    };
    Some((c, 1))
}

fn hex(s: &str, digits: usize) -> Option<(char, usize)> {
    let h = s.get(1..=digits)?;
    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(h, 16).ok()?)?;
    Some((c, 1 + digits))
}

/// A plain scalar of the subset's shapes (see the module docs), or `None`.
pub(super) fn plain(s: &str) -> Option<Node<'_>> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if first.is_ascii_digit() {
        if b.iter().all(u8::is_ascii_digit) {
            if (first == b'0' && b.len() > 1) || b.len() > 18 {
                return None;
            }
            return s.parse().ok().map(Node::Int);
        }
        return is_ipv4_cidr(s).then_some(Node::Str(Cow::Borrowed(s)));
    }
    if !(first.is_ascii_alphabetic() || first == b'/') || *b.last()? == b' ' {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => true,
            b' ' => b.get(i + 1).is_some_and(|n| *n != b' ' && *n != b'#'),
            b':' => b.get(i + 1).is_some_and(u8::is_ascii_alphanumeric),
            b'#' => false,
            // Indicators only at the start, which is a letter.
            b'!'..=b'~' => true,
            _ => false,
        };
        if !ok {
            return None;
        }
    }
    const SPECIAL: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
    ];
    if s.len() <= 8 && SPECIAL.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return None;
    }
    Some(Node::Str(Cow::Borrowed(s)))
}

/// `a.b.c.d/n` with decimal parts.
fn is_ipv4_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    let digits = |p: &str| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
    digits(bits) && addr.split('.').count() == 4 && addr.split('.').all(digits)
}

/// Deserializes a [`Node`] with the visitor calls serde-saphyr makes for the same YAML.
pub(crate) struct De<'n, 'a>(pub(crate) &'n Node<'a>);

/// A node of the wrong shape for the type read (the reader then declines the source).
#[derive(Debug)]
pub(crate) struct Mismatch(String);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Mismatch {}

impl de::Error for Mismatch {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Mismatch(msg.to_string())
    }
}

impl<'de> Deserializer<'de> for De<'_, '_> {
    type Error = Mismatch;

    fn deserialize_any<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Mismatch> {
        match self.0 {
            Node::Str(s) => v.visit_str(s),
            Node::Int(n) => v.visit_u64(*n),
            Node::Map(entries) => v.visit_map(Entries {
                entries: entries.iter(),
                value: None,
            }),
            Node::Seq(items) => v.visit_seq(Items(items.iter())),
        }
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Mismatch> {
        v.visit_some(self)
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Mismatch> {
        match self.0 {
            Node::Map(_) => self.deserialize_any(v),
            _ => Err(Mismatch("not a mapping".into())),
        }
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Mismatch> {
        self.deserialize_map(v)
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Mismatch> {
        match self.0 {
            Node::Seq(_) => self.deserialize_any(v),
            _ => Err(Mismatch("not a sequence".into())),
        }
    }

    fn deserialize_str<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Mismatch> {
        match self.0 {
            Node::Str(s) => v.visit_str(s),
            _ => Err(Mismatch("not a string".into())),
        }
    }

    fn deserialize_string<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Mismatch> {
        self.deserialize_str(v)
    }

    fn deserialize_ignored_any<V: de::Visitor<'de>>(self, v: V) -> Result<V::Value, Mismatch> {
        v.visit_unit()
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, Mismatch> {
        Err(Mismatch("an enum".into()))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct newtype_struct tuple tuple_struct identifier
    }
}

struct Entries<'n, 'a> {
    entries: std::slice::Iter<'n, (Cow<'a, str>, Node<'a>)>,
    value: Option<&'n Node<'a>>,
}

impl<'de> MapAccess<'de> for Entries<'_, '_> {
    type Error = Mismatch;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Mismatch> {
        let Some((k, v)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(v);
        seed.deserialize(k.as_ref().into_deserializer()).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Mismatch> {
        match self.value.take() {
            Some(v) => seed.deserialize(De(v)),
            None => Err(Mismatch("a value without a key".into())),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct Items<'n, 'a>(std::slice::Iter<'n, Node<'a>>);

impl<'de> SeqAccess<'de> for Items<'_, '_> {
    type Error = Mismatch;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Mismatch> {
        self.0.next().map(|n| seed.deserialize(De(n))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}
