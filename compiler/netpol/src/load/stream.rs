//! The subset reader's grammar ([`super::subset`]) read in one pass straight into the
//! loader's typed shapes: no `Vec` of lines, no [`Node`] tree, no serde. Tried first by
//! [`super::load_sources`]; at scale the tree and its conversion were most of the proof.
//!
//! It walks the text line by line with the subset reader's own rules (the same line, key and
//! scalar functions, the same indentation rules, the same node and depth budgets), and reads
//! what it meets as [`super::direct`] reads the tree: a NetworkPolicy's spec into the model
//! ([`direct::PolicyParts`]), `metadata.name` and `metadata.namespace` as strings, everything
//! else checked to be of the subset and skipped. It fails closed, per document: a document
//! it does not certainly read as the tree reader and [`direct::doc`] do (any text outside the
//! subset, a kind whose spec the loader reads other than NetworkPolicy, a `Namespace`'s or a
//! workload's labels, `ownerReferences`, an ingress rule with `to`, an integer where a string
//! goes, a selector, port or CIDR the loader would refuse, a quoted key with escapes, …) is
//! read by the tree reader instead ([`subset::documents_counted`] on that document's text,
//! then [`direct::doc`] or serde), and when the tree reader declines it the whole source goes
//! to serde-saphyr as before. So what this reader takes is exactly what the tree reader
//! gives; `subset_tests.rs` compares the two (and serde-saphyr) on every input.

use std::borrow::Cow;

use super::direct::PolicyParts;
use super::subset::{
    self, MAX_DEPTH, MAX_DOCUMENTS, MAX_NODES, Node, check_chars, plain, quoted, split_key,
};
use super::{READ_KINDS, direct, fast, raw};
use crate::ip::Cidr;
use crate::model::{IpBlock, PolicyPeer, PolicyPort, PolicyRule, PolicyTypes, PortName, PortSpec};
use crate::ports::{PortNumber, Protocol};
use crate::selector::{LabelRequirement, LabelSelector, SelectorOperator};

/// This reader does not take the document (the tree reader then reads it).
#[derive(Debug)]
pub(super) struct No;

type R<T> = Result<T, No>;

/// The documents of `text` as the subset reader and [`direct::doc`] (or serde, for the
/// documents this reader leaves to them) give them; `None` when the subset reader declines
/// the source.
pub(super) fn documents(text: &str) -> Option<Vec<fast::Doc>> {
    documents_taken(text).map(|(docs, _)| docs)
}

/// [`documents`], and how many documents this reader read itself (for the tests).
pub(super) fn documents_taken(text: &str) -> Option<(Vec<fast::Doc>, usize)> {
    check_chars(text).ok()?;
    if !text.ends_with('\n') {
        return None;
    }
    let mut r = Reader::new(text);
    if r.raw_line() == Some("---") {
        r.advance();
    }
    let mut docs = Vec::new();
    let (mut nodes, mut taken) = (0, 0);
    loop {
        let start = r.pos;
        // An empty document (or a stream ending in `---`) declines.
        r.line()?;
        r.nodes = 0;
        r.keys.clear();
        match r.document() {
            Ok(doc) if r.line().is_none() => {
                nodes += r.nodes;
                taken += 1;
                docs.push(doc);
            }
            _ => {
                let end = document_end(text, start);
                let (tree, n) = subset::documents_counted(&text[start..end]).ok()?;
                let [node] = <[Node<'_>; 1]>::try_from(tree).ok()?;
                nodes += n;
                docs.push(tree_doc(&node)?);
                r.seek(end);
            }
        }
        if docs.len() > MAX_DOCUMENTS || nodes > MAX_NODES {
            return None;
        }
        if r.raw_line().is_none() {
            return Some((docs, taken));
        }
        // At a `---` line: the next document follows.
        r.advance();
    }
}

/// A document of the tree reader as the loader's shapes, as [`super::subset_docs`] reads it.
fn tree_doc(node: &Node<'_>) -> Option<fast::Doc> {
    use serde::Deserialize;
    direct::doc(node).or_else(|| fast::Doc::deserialize(subset::De(node)).ok())
}

/// Where the document starting at `start` ends: the start of the next `---` line, or the end.
fn document_end(text: &str, start: usize) -> usize {
    let mut at = start;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        if &text[at..end] == "---" {
            return at;
        }
        at = end + 1;
    }
    text.len()
}

/// The position of the first line break at or after `from` (the length when there is none),
/// eight bytes at a time.
fn line_end(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(word) = bytes.get(i..i + 8) {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        // Bytes equal to `\n` become zero; the lowest zero byte is found exactly.
        let x = u64::from_le_bytes(w) ^ (ONES * u64::from(b'\n'));
        let zero = x.wrapping_sub(ONES) & !x & HIGH;
        if zero != 0 {
            return i + (zero.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
        .map_or(bytes.len(), |p| i + p)
}

/// How many spaces the text has from `from` on (the indentation of the line starting there,
/// as [`subset::indent`] counts it), eight bytes at a time.
fn spaces(bytes: &[u8], from: usize) -> usize {
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let mut i = from;
    while let Some(word) = bytes.get(i..i + 8) {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        // Zero where the bytes are spaces: the lowest other byte is the first non-space.
        let x = u64::from_le_bytes(w) ^ SPACES;
        if x != 0 {
            return i + (x.trailing_zeros() / 8) as usize - from;
        }
        i += 8;
    }
    while bytes.get(i) == Some(&b' ') {
        i += 1;
    }
    i.saturating_sub(from)
}

/// Letters, digits, `.`, `/`, `-`, `_`: the characters of the common keys and scalars.
const WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'-' | b'_');
        c += 1;
    }
    t
};

/// A key on a line of a mapping, the common way: `rest` starts with a letter and letters,
/// digits, `.`, `/`, `-`, `_` up to `:` and a space or the line's end. It then splits as
/// [`split_key`] splits it (such a key is a plain string of the subset unless it spells a
/// YAML 1.1 boolean or null, which [`special`] tells); `None` for the other lines, which
/// [`split_key`] then reads.
fn simple_key(rest: &str) -> Option<(&str, &str)> {
    let b = rest.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let at = b.iter().position(|c| !WORD[usize::from(*c)])?;
    if b[at] != b':' || b.get(at + 1).is_some_and(|n| *n != b' ') || special(&rest[..at]) {
        return None;
    }
    Some((&rest[..at], &rest[at + 1..]))
}

/// A plain scalar the common way: a letter or `/` then letters, digits, `.`, `/`, `-`, `_`
/// is a string as [`plain`] reads it unless [`special`]; anything else is left to [`plain`].
fn simple_plain(s: &str) -> Option<Node<'_>> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if (first.is_ascii_alphabetic() || first == b'/')
        && b.iter().all(|c| WORD[usize::from(*c)])
        && !special(s)
    {
        return Some(Node::Str(Cow::Borrowed(s)));
    }
    plain(s)
}

/// Does `s` spell one of the words [`plain`] declines (a YAML 1.1 boolean or null, `nan`,
/// `inf`), in any case?
fn special(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
    ];
    s.len() <= 8
        && matches!(
            s.as_bytes().first().map(u8::to_ascii_lowercase),
            Some(b'y' | b'n' | b'o' | b't' | b'f' | b'i')
        )
        && SPECIAL.iter().any(|w| s.eq_ignore_ascii_case(w))
}

/// Where a value starts: on the current line after `: ` or `- ` (with the column of the
/// collection it is in), or as a block mapping or sequence whose first line is the current
/// line, its content at the column.
#[derive(Clone, Copy)]
enum Val<'a> {
    Inline(&'a str, usize),
    Map(usize),
    Seq(usize),
}

/// A value on one line (or a block scalar).
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(u64),
    EmptyMap,
    EmptySeq,
}

struct Reader<'a> {
    text: &'a str,
    /// The start of the current line.
    pos: usize,
    /// The end of the current line (its line break), when `pos` is inside the text.
    end: usize,
    /// The indentation of the current line ([`subset::indent`]), found once per line.
    ind: usize,
    /// The nodes of the current document, counted as the tree reader counts them.
    nodes: usize,
    /// The keys of the mappings being read, outermost first: each mapping's own keys above
    /// where it started, to decline a repeated key as the tree reader does (one stack for
    /// every mapping, nothing set up per mapping).
    keys: Vec<&'a str>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        let mut r = Reader {
            text,
            pos: 0,
            end: 0,
            ind: 0,
            nodes: 0,
            keys: Vec::new(),
        };
        r.seek(0);
        r
    }

    /// Moves to the line starting at `pos`.
    fn seek(&mut self, pos: usize) {
        let bytes = self.text.as_bytes();
        let ind = spaces(bytes, pos);
        self.pos = pos;
        self.end = line_end(bytes, pos + ind);
        self.ind = ind;
    }

    fn advance(&mut self) {
        self.seek(self.end + 1);
    }

    /// The current line, `---` included; `None` at the end of the text.
    fn raw_line(&self) -> Option<&'a str> {
        if self.pos >= self.text.len() {
            None
        } else {
            Some(&self.text[self.pos..self.end])
        }
    }

    /// The current line of the document; `None` at its end.
    fn line(&self) -> Option<&'a str> {
        self.raw_line().filter(|l| *l != "---")
    }

    /// The next line of the document, declining a blank one.
    fn next_line(&self) -> R<Option<&'a str>> {
        match self.line() {
            Some(l) if self.ind == l.len() => Err(No),
            l => Ok(l),
        }
    }

    fn count(&mut self, depth: usize) -> R<()> {
        self.nodes += 1;
        if depth > MAX_DEPTH {
            return Err(No);
        }
        Ok(())
    }

    /// A block mapping at `col` whose first key is on the current line: `f` reads each entry's
    /// value (moving past it).
    fn map<F>(&mut self, col: usize, depth: usize, mut f: F) -> R<()>
    where
        F: FnMut(&mut Self, Cow<'a, str>, Val<'a>, usize) -> R<()>,
    {
        self.count(depth)?;
        let base = self.keys.len();
        loop {
            let line = self.line().ok_or(No)?;
            let rest = &line[col..];
            let (key, after) = match simple_key(rest) {
                Some((k, a)) => (Cow::Borrowed(k), a),
                None => split_key(rest).map_err(|_| No)?.ok_or(No)?,
            };
            self.count(depth + 1)?;
            let val = if after.is_empty() {
                self.advance();
                let next = self.next_line()?.ok_or(No)?;
                let ind = self.ind;
                if ind > col {
                    if next[ind..].starts_with("- ") {
                        Val::Seq(ind)
                    } else {
                        Val::Map(ind)
                    }
                } else if ind == col && next[col..].starts_with("- ") {
                    Val::Seq(col)
                } else {
                    return Err(No);
                }
            } else if let Some(v) = after.strip_prefix(' ') {
                Val::Inline(v, col)
            } else {
                return Err(No);
            };
            match &key {
                Cow::Borrowed(k) if !self.keys[base..].contains(k) => self.keys.push(k),
                _ => return Err(No),
            }
            f(self, key, val, depth + 1)?;
            let Some(next) = self.next_line()? else { break };
            let ind = self.ind;
            if ind == col && !next[col..].starts_with('-') {
                continue;
            }
            if ind >= col {
                return Err(No);
            }
            break;
        }
        self.keys.truncate(base);
        Ok(())
    }

    /// A block sequence at `col` whose first item is on the current line: `f` reads each item.
    fn seq<F>(&mut self, col: usize, depth: usize, mut f: F) -> R<()>
    where
        F: FnMut(&mut Self, Val<'a>, usize) -> R<()>,
    {
        self.count(depth)?;
        loop {
            let line = self.line().ok_or(No)?;
            let rest = line.get(col + 2..).ok_or(No)?;
            let val = if rest.starts_with(' ') {
                return Err(No);
            } else if rest.starts_with("- ") {
                Val::Seq(col + 2)
            } else if simple_key(rest).is_some() || split_key(rest).map_err(|_| No)?.is_some() {
                Val::Map(col + 2)
            } else {
                Val::Inline(rest, col)
            };
            f(self, val, depth + 1)?;
            let Some(next) = self.next_line()? else { break };
            let ind = self.ind;
            if ind == col && next[col..].starts_with("- ") {
                continue;
            }
            if ind > col {
                return Err(No);
            }
            break;
        }
        Ok(())
    }

    /// A value on the current line after `: ` or `- `; moves past it. `build`: whether a block
    /// scalar's text is wanted (else it is only checked).
    fn inline(&mut self, v: &'a str, parent: usize, depth: usize, build: bool) -> R<Scalar<'a>> {
        self.count(depth)?;
        let s = match v {
            "{}" => Scalar::EmptyMap,
            "[]" => Scalar::EmptySeq,
            "|" | "|-" | ">" | ">-" => return self.block_scalar(v, parent, build),
            _ if v.starts_with(['"', '\'']) => {
                let (s, rest) = quoted(v).map_err(|_| No)?;
                if !rest.is_empty() {
                    return Err(No);
                }
                Scalar::Str(s)
            }
            _ => match simple_plain(v) {
                Some(Node::Str(s)) => Scalar::Str(s),
                Some(Node::Int(n)) => Scalar::Int(n),
                _ => return Err(No),
            },
        };
        self.advance();
        Ok(s)
    }

    /// A block scalar with header `header` on the current line, in a collection at `parent`:
    /// the tree reader's rules, its text built only when `build`.
    fn block_scalar(&mut self, header: &str, parent: usize, build: bool) -> R<Scalar<'a>> {
        let folded = header.starts_with('>');
        let clip = !header.ends_with('-');
        self.advance();
        let first = match self.line() {
            Some(l) if !l.is_empty() => l,
            _ => return Err(No),
        };
        let m = self.ind;
        if m <= parent || m == first.len() {
            return Err(No);
        }
        let mut out = String::new();
        let (mut empties, mut started) = (0, false);
        while let Some(l) = self.line() {
            if l.is_empty() {
                empties += 1;
            } else if self.ind >= m {
                let text = &l[m..];
                if text.bytes().all(|b| b == b' ') || (folded && text.starts_with(' ')) {
                    return Err(No);
                }
                if build {
                    if started {
                        if !folded {
                            out.push('\n');
                            out.extend(std::iter::repeat_n('\n', empties));
                        } else if empties == 0 {
                            out.push(' ');
                        } else {
                            out.extend(std::iter::repeat_n('\n', empties));
                        }
                    }
                    out.push_str(text);
                }
                started = true;
                empties = 0;
            } else if l.bytes().all(|b| b == b' ') {
                return Err(No);
            } else {
                break;
            }
            self.advance();
        }
        if build && clip {
            out.push('\n');
        }
        Ok(Scalar::Str(Cow::Owned(out)))
    }

    fn scalar(&mut self, val: Val<'a>, depth: usize) -> R<Scalar<'a>> {
        match val {
            Val::Inline(v, parent) => self.inline(v, parent, depth, true),
            _ => Err(No),
        }
    }

    fn string(&mut self, val: Val<'a>, depth: usize) -> R<Cow<'a, str>> {
        match self.scalar(val, depth)? {
            Scalar::Str(s) => Ok(s),
            _ => Err(No),
        }
    }

    /// A label value as [`direct`] reads it: a string, or an integer's digits.
    fn label_value(&mut self, val: Val<'a>, depth: usize) -> R<String> {
        match self.scalar(val, depth)? {
            Scalar::Str(s) => Ok(s.into_owned()),
            Scalar::Int(n) => Ok(n.to_string()),
            _ => Err(No),
        }
    }

    /// A mapping (`{}` or a block mapping): `f` reads each entry.
    fn entries<F>(&mut self, val: Val<'a>, depth: usize, f: F) -> R<()>
    where
        F: FnMut(&mut Self, Cow<'a, str>, Val<'a>, usize) -> R<()>,
    {
        match val {
            Val::Map(col) => self.map(col, depth, f),
            Val::Inline(v, parent) => match self.inline(v, parent, depth, false)? {
                Scalar::EmptyMap => Ok(()),
                _ => Err(No),
            },
            Val::Seq(_) => Err(No),
        }
    }

    /// A sequence (`[]` or a block sequence): `f` reads each item.
    fn items<F>(&mut self, val: Val<'a>, depth: usize, f: F) -> R<()>
    where
        F: FnMut(&mut Self, Val<'a>, usize) -> R<()>,
    {
        match val {
            Val::Seq(col) => self.seq(col, depth, f),
            Val::Inline(v, parent) => match self.inline(v, parent, depth, false)? {
                Scalar::EmptySeq => Ok(()),
                _ => Err(No),
            },
            Val::Map(_) => Err(No),
        }
    }

    /// Any value of the subset, checked and passed over.
    fn skip(&mut self, val: Val<'a>, depth: usize) -> R<()> {
        match val {
            Val::Inline(v, parent) => self.inline(v, parent, depth, false).map(drop),
            Val::Map(col) => self.map(col, depth, |r, _, v, d| r.skip(v, d)),
            Val::Seq(col) => self.seq(col, depth, |r, v, d| r.skip(v, d)),
        }
    }

    /// The document on the current line on, as [`direct::doc`] reads its tree.
    fn document(&mut self) -> R<fast::Doc> {
        let mut kind: Option<Cow<'a, str>> = None;
        let (mut name, mut namespace) = (None, None);
        let mut spec: Option<fast::Spec> = None;
        self.map(0, 0, |r, key, val, d| {
            match key.as_ref() {
                "kind" => {
                    let k = r.string(val, d)?;
                    if k.ends_with("List") {
                        return Err(No);
                    }
                    kind = Some(k);
                }
                "metadata" => r.entries(val, d, |r, key, val, d| match key.as_ref() {
                    "name" => {
                        name = Some(r.string(val, d)?.into_owned());
                        Ok(())
                    }
                    "namespace" => {
                        namespace = Some(r.string(val, d)?.into_owned());
                        Ok(())
                    }
                    // The loader reads labels of Namespaces and workloads only: another
                    // kind's labels must be a mapping (as the serde shapes read them) and are
                    // not kept; labels before the kind are left to the tree reader.
                    "labels" => match kind.as_deref() {
                        Some(k) if k == "NetworkPolicy" || !READ_KINDS.contains(&k) => {
                            r.entries(val, d, |r, _, v, d| r.skip(v, d))
                        }
                        _ => Err(No),
                    },
                    "ownerReferences" => Err(No),
                    _ => r.skip(val, d),
                })?,
                "spec" => {
                    spec = Some(match kind.as_deref() {
                        None => return Err(No),
                        Some("NetworkPolicy") => fast::Spec::Model(r.policy(val, d)?),
                        Some(k) if k != "Namespace" && READ_KINDS.contains(&k) => return Err(No),
                        Some(_) => {
                            r.skip(val, d)?;
                            fast::Spec::Absent
                        }
                    });
                }
                "items" => return Err(No),
                _ => r.skip(val, d)?,
            }
            Ok(())
        })?;
        Ok(fast::Doc {
            kind: kind.map(Cow::into_owned),
            metadata: raw::Meta {
                name,
                namespace,
                labels: None,
                owner_references: None,
            },
            spec: spec.unwrap_or(fast::Spec::Absent),
        })
    }

    /// A NetworkPolicy's spec, as `direct::policy_parts` reads it.
    fn policy(&mut self, val: Val<'a>, depth: usize) -> R<PolicyParts> {
        let mut pod_selector = None;
        // Whether `policyTypes` is there and not empty, and the directions it names.
        let mut types: Option<(bool, bool)> = None;
        let (mut ingress, mut egress) = (Vec::new(), Vec::new());
        self.entries(val, depth, |r, key, val, d| match key.as_ref() {
            "podSelector" => {
                pod_selector = Some(r.selector(val, d)?);
                Ok(())
            }
            "policyTypes" => {
                let (mut i, mut e, mut any) = (false, false, false);
                r.items(val, d, |r, v, d| {
                    match r.string(v, d)?.as_ref() {
                        "Ingress" => i = true,
                        "Egress" => e = true,
                        _ => return Err(No),
                    }
                    any = true;
                    Ok(())
                })?;
                types = any.then_some((i, e));
                Ok(())
            }
            "ingress" => r.items(val, d, |r, v, d| {
                ingress.push(r.rule(v, d, "from", "to")?);
                Ok(())
            }),
            "egress" => r.items(val, d, |r, v, d| {
                egress.push(r.rule(v, d, "to", "from")?);
                Ok(())
            }),
            _ => r.skip(val, d),
        })?;
        let policy_types = match types {
            Some((ingress, egress)) => PolicyTypes { ingress, egress },
            None => PolicyTypes {
                ingress: true,
                egress: !egress.is_empty(),
            },
        };
        Ok(PolicyParts {
            pod_selector: pod_selector.unwrap_or_else(LabelSelector::everything),
            policy_types,
            ingress,
            egress,
        })
    }

    fn selector(&mut self, val: Val<'a>, depth: usize) -> R<LabelSelector> {
        let mut sel = LabelSelector::everything();
        self.entries(val, depth, |r, key, val, d| match key.as_ref() {
            "matchLabels" => r.entries(val, d, |r, k, v, d| {
                let value = r.label_value(v, d)?;
                sel.match_labels.insert(k.into_owned(), value);
                Ok(())
            }),
            "matchExpressions" => r.items(val, d, |r, v, d| {
                sel.match_expressions.push(r.requirement(v, d)?);
                Ok(())
            }),
            _ => r.skip(val, d),
        })?;
        Ok(sel)
    }

    fn requirement(&mut self, val: Val<'a>, depth: usize) -> R<LabelRequirement> {
        let (mut key, mut operator, mut values) = (None, None, None::<Vec<String>>);
        self.entries(val, depth, |r, k, v, d| {
            match k.as_ref() {
                "key" => key = Some(r.string(v, d)?.into_owned()),
                "operator" => operator = Some(r.string(v, d)?),
                "values" => {
                    let mut vs = Vec::new();
                    r.items(v, d, |r, v, d| {
                        vs.push(r.label_value(v, d)?);
                        Ok(())
                    })?;
                    values = Some(vs);
                }
                _ => r.skip(v, d)?,
            }
            Ok(())
        })?;
        let has_values = values.as_ref().is_some_and(|v| !v.is_empty());
        let operator = match operator.as_deref().ok_or(No)? {
            "In" | "NotIn" if !has_values => return Err(No),
            "In" => SelectorOperator::In(values.into_iter().flatten().collect()),
            "NotIn" => SelectorOperator::NotIn(values.into_iter().flatten().collect()),
            "Exists" | "DoesNotExist" if has_values => return Err(No),
            "Exists" => SelectorOperator::Exists,
            "DoesNotExist" => SelectorOperator::DoesNotExist,
            _ => return Err(No),
        };
        Ok(LabelRequirement {
            key: key.ok_or(No)?,
            operator,
        })
    }

    /// A rule: its peers under `peers`; a rule with `unused` (`to` in an ingress rule, `from`
    /// in an egress rule) is left to the tree reader.
    fn rule(&mut self, val: Val<'a>, depth: usize, peers: &str, unused: &str) -> R<PolicyRule> {
        let mut out = PolicyRule {
            peers: Vec::new(),
            ports: Vec::new(),
        };
        self.entries(val, depth, |r, key, val, d| {
            let key = key.as_ref();
            if key == peers {
                r.items(val, d, |r, v, d| {
                    out.peers.push(r.peer(v, d)?);
                    Ok(())
                })
            } else if key == unused {
                Err(No)
            } else if key == "ports" {
                r.items(val, d, |r, v, d| {
                    out.ports.push(r.port(v, d)?);
                    Ok(())
                })
            } else {
                r.skip(val, d)
            }
        })?;
        Ok(out)
    }

    fn peer(&mut self, val: Val<'a>, depth: usize) -> R<PolicyPeer> {
        let (mut pods, mut namespaces, mut block) = (None, None, None);
        self.entries(val, depth, |r, key, val, d| {
            match key.as_ref() {
                "podSelector" => pods = Some(r.selector(val, d)?),
                "namespaceSelector" => namespaces = Some(r.selector(val, d)?),
                "ipBlock" => block = Some(r.ip_block(val, d)?),
                _ => r.skip(val, d)?,
            }
            Ok(())
        })?;
        match (pods, namespaces, block) {
            (None, None, None) | (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => Err(No),
            (None, None, Some(b)) => Ok(PolicyPeer::IpBlock(b)),
            (pods, namespaces, None) => Ok(PolicyPeer::Pods { namespaces, pods }),
        }
    }

    fn ip_block(&mut self, val: Val<'a>, depth: usize) -> R<IpBlock> {
        let (mut cidr, mut except) = (None, Vec::new());
        self.entries(val, depth, |r, key, val, d| {
            match key.as_ref() {
                "cidr" => cidr = Some(r.string(val, d)?),
                "except" => r.items(val, d, |r, v, d| {
                    except.push(Cidr::parse(&r.string(v, d)?).map_err(|_| No)?);
                    Ok(())
                })?,
                _ => r.skip(val, d)?,
            }
            Ok(())
        })?;
        Ok(IpBlock {
            cidr: Cidr::parse(&cidr.ok_or(No)?).map_err(|_| No)?,
            except,
        })
    }

    fn port(&mut self, val: Val<'a>, depth: usize) -> R<PolicyPort> {
        let (mut protocol, mut port, mut end) = (None, None, None);
        self.entries(val, depth, |r, key, val, d| {
            match key.as_ref() {
                "protocol" => protocol = Some(r.string(val, d)?),
                "port" => port = Some(r.scalar(val, d)?),
                "endPort" => match r.scalar(val, d)? {
                    Scalar::Int(n) => end = Some(i64::try_from(n).map_err(|_| No)?),
                    _ => return Err(No),
                },
                _ => r.skip(val, d)?,
            }
            Ok(())
        })?;
        let protocol = match protocol.as_deref() {
            None | Some("") => Protocol::Tcp,
            Some(s) => Protocol::parse(s).ok_or(No)?,
        };
        let port = match (port, end) {
            (None, None) => None,
            (Some(Scalar::Int(n)), end) => {
                let start = PortNumber::new(i64::try_from(n).map_err(|_| No)?).ok_or(No)?;
                let end = match end {
                    Some(e) => PortNumber::new(e).ok_or(No)?,
                    None => start,
                };
                if end < start {
                    return Err(No);
                }
                Some(PortSpec::Range { start, end })
            }
            (Some(Scalar::Str(s)), None) => Some(PortSpec::Named(PortName::new(s.into_owned()))),
            _ => return Err(No),
        };
        Ok(PolicyPort { protocol, port })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The common-way key and scalar readers give what [`split_key`] and [`plain`] give, on
    /// every string of a set of keys and scalars (the writer's words, YAML 1.1 specials in
    /// every case, indicators), alone and followed by `: `, `:`, `:x`, ` #`.
    #[test]
    fn simple_ways_read_as_the_subset() {
        let mut words: Vec<String> = [
            "name",
            "namespace",
            "to",
            "from",
            "ingress",
            "egress",
            "ports",
            "port",
            "endPort",
            "protocol",
            "TCP",
            "UDP",
            "SCTP",
            "Ingress",
            "Egress",
            "podSelector",
            "namespaceSelector",
            "matchLabels",
            "matchExpressions",
            "ipBlock",
            "cidr",
            "except",
            "kubernetes.io/metadata.name",
            "app.kubernetes.io/managed-by",
            "team-00001",
            "svc-000003",
            "posture",
            "http",
            "/",
            "/api",
            "a",
            "x_y",
            "a-",
            "a.",
            "a/b:c",
            "10.0.0.0/8",
            "80",
            "0",
            "007",
            "-a",
            "_a",
            ".a",
            "a b",
            "a#b",
            "a:b",
            "é",
            "",
            "infinity",
            "INFINITY",
            "nan",
            "NaN",
            "inf",
            "Inf",
            "null",
            "Null",
            "NULL",
            "on",
            "On",
            "ON",
            "off",
            "Off",
            "yes",
            "Yes",
            "YES",
            "no",
            "No",
            "NO",
            "y",
            "Y",
            "n",
            "N",
            "true",
            "True",
            "TRUE",
            "false",
            "False",
            "FALSE",
            "nulls",
            "yess",
            "ny",
            "tru",
            "infinit",
            "infinityx",
            "Nano",
            "o",
            "t",
            "f",
            "i",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for w in words.clone() {
            for tail in [": ", ":", ":x", " #", ": b", "-", "1"] {
                words.push(format!("{w}{tail}"));
            }
        }
        for w in &words {
            if let Some((k, after)) = simple_key(w) {
                assert_eq!(
                    split_key(w),
                    Ok(Some((Cow::Borrowed(k), after))),
                    "key {w:?}"
                );
            }
            assert_eq!(simple_plain(w), plain(w), "scalar {w:?}");
        }
        assert!(simple_key("name: x").is_some() && simple_key("on: x").is_none());
        assert!(simple_plain("On").is_none() && simple_plain("team-1").is_some());
    }

    /// The indentation counted eight bytes at a time is what [`subset::indent`] counts, at
    /// every start, in every line length, at the end of the text and past it.
    #[test]
    fn spaces_count_as_indent() {
        for n in 0..20 {
            for tail in ["", "a", "\n", " \n", "ab: c\n  d\n"] {
                let text = format!("{}{tail}", " ".repeat(n));
                let bytes = text.as_bytes();
                for from in 0..=text.len() {
                    let end = line_end(bytes, from);
                    assert_eq!(
                        spaces(bytes, from),
                        subset::indent(&text[from..end]),
                        "{text:?} from {from}"
                    );
                }
                assert_eq!(spaces(bytes, text.len() + 1), 0);
            }
        }
    }

    /// A key repeats only within one mapping: the same key in a nested or a sibling mapping
    /// is read; a key repeated after a nested mapping, or among more than a dozen keys, is not
    /// (the tree reader declines those too).
    #[test]
    fn keys_repeat_within_one_mapping_only() {
        let head = "kind: NetworkPolicy\nmetadata:\n  name: p\n";
        let many: String = (0..15).map(|i| format!("    k{i}: v\n")).collect();
        let taken = [
            format!(
                "{head}  annotations:\n    name: x\n    kind: z\nspec:\n  podSelector:\n    matchLabels:\n      podSelector: a\n"
            ),
            format!(
                "{head}spec:\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          a: b\n    - podSelector:\n        matchLabels:\n          a: b\n"
            ),
            format!("{head}  annotations:\n{many}"),
        ];
        for text in &taken {
            assert!(stream_takes(text), "{text}");
        }
        let declined = [
            format!("{head}  annotations:\n    a: b\n  name: q\n"),
            format!("{head}  annotations:\n{many}    k13: w\n"),
            format!("{head}  annotations:\n{many}    k0: w\n"),
        ];
        for text in &declined {
            assert!(documents(text).is_none(), "{text}");
        }
    }

    fn stream_takes(text: &str) -> bool {
        documents_taken(text).is_some_and(|(docs, taken)| docs.len() == taken)
    }

    #[test]
    fn line_ends() {
        let text = b"a\nbcdefghijklmnopq\n\nxyz";
        assert_eq!(line_end(text, 0), 1);
        assert_eq!(line_end(text, 2), 18);
        assert_eq!(line_end(text, 19), 19);
        assert_eq!(line_end(text, 20), 23);
        assert_eq!(line_end(text, 23), 23);
        for n in 0..40 {
            let mut t = vec![b'x'; n];
            t.push(b'\n');
            t.extend_from_slice(b"yy");
            assert_eq!(line_end(&t, 0), n);
            assert_eq!(line_end(&t, n + 1), n + 3);
        }
    }
}
