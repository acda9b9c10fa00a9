//! The fast path of [`crate::to_yaml`]: a block-YAML writer for the documents our targets emit
//! most (structs, string-keyed maps, sequences of scalars or maps, strings, integers, booleans),
//! laid out exactly as serde-saphyr lays them out.
//!
//! It writes a scalar itself only when the scalar is plain in every YAML reader (a conservative
//! whitelist, [`plain`]); any other string is rendered by serde-saphyr itself (one key, one
//! value) and placed at the right indentation, so quoting, escaping and the folding of long
//! strings (`>-`) stay serde-saphyr's. Anything outside the subset (floats, `null`, sequences
//! of sequences, a non-plain key, a multi-line string as a sequence item, …) makes the whole
//! document fall back to serde-saphyr. The two writers must agree byte for byte wherever this
//! one writes: [`crate::to_yaml`] checks it on every document in debug builds (the whole test
//! suite), and the tests below try the corners.
//!
//! Why: at 10,000 workloads serde-saphyr wrote the 26 MB of NetworkPolicies at ~60 MB/s, a
//! fifth of the build; its per-scalar quoting analysis is what the whitelist skips.

use serde::ser::{self, Serialize};
use std::fmt::{self, Write as _};

/// Writes `value` as one block-YAML document (no `---`, trailing newline), or `None` when it
/// is outside the subset this writer knows to lay out as serde-saphyr does.
pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut out = String::with_capacity(1024);
    value
        .serialize(Ser {
            out: &mut out,
            at: At::Top,
        })
        .ok()?;
    Some(out)
}

/// Outside the subset: the caller falls back to serde-saphyr.
#[derive(Debug)]
pub(crate) struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outside the fast YAML writer's subset")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

type Result<T = ()> = std::result::Result<T, Unsupported>;

/// Where the next node goes.
#[derive(Debug, Clone, Copy)]
enum At {
    /// The document itself (a mapping at column 0).
    Top,
    /// After `key:` written at `col` (nothing after the colon yet).
    Value { col: usize },
    /// After `- ` written with its dash at `col`.
    Item { col: usize },
}

/// How serde-saphyr writes a string, as far as this writer knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// As it is, on its line.
    Plain,
    /// Folded (`>-`): plain words longer than [`FOLD_WIDTH`].
    Folded,
    /// Anything else: serde-saphyr renders it.
    Other,
}

/// serde-saphyr's width for folding a long single-line string (`>-`).
const FOLD_WIDTH: usize = 80;

/// How `s` is written, in one pass. Plain: a letter, then letters, digits, `-._/` and — not
/// in keys — single spaces and `:,>()` (no `: `, no trailing `:` or space), and not a word YAML
/// 1.1 reads as a boolean or null (nor `nan`/`inf`, in any case). ASCII only, so the length is
/// the width; longer than [`FOLD_WIDTH`] it is folded. Conservative on purpose: what it
/// declines, serde-saphyr renders. `key`: the narrower class of keys (no blanks, no `:,>()`).
/// [`CHARS`]: a character plain anywhere in a scalar.
const WORD: u8 = 1;
/// [`CHARS`]: a character plain in a value but not in a key (with the rules on spaces).
const PUNCT: u8 = 2;

/// Each byte's kind for [`class`]: [`WORD`] (ASCII letters, digits, `-`, `.`, `_`, `/`),
/// [`PUNCT`] (space, `:`, `,`, `>`, `(`, `)`), or 0 (anything else).
const CHARS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/') {
            WORD
        } else if matches!(b, b' ' | b':' | b',' | b'>' | b'(' | b')') {
            PUNCT
        } else {
            0
        };
        c += 1;
    }
    t
};

fn class(s: &str, key: bool) -> Class {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return Class::Other;
    };
    if !first.is_ascii_alphabetic() {
        return Class::Other;
    }
    let mut prev = 0u8;
    for &c in b {
        match CHARS[usize::from(c)] {
            WORD => {}
            PUNCT if !key => {
                if c == b' ' && matches!(prev, b' ' | b':') {
                    return Class::Other;
                }
            }
            _ => return Class::Other,
        }
        prev = c;
    }
    if matches!(prev, b' ' | b':') {
        return Class::Other;
    }
    // Only these first letters start a word below (a cheap filter before comparing).
    if b.len() <= 8
        && matches!(
            first.to_ascii_lowercase(),
            b'y' | b'n' | b't' | b'f' | b'o' | b'i'
        )
    {
        const WORDS: &[&str] = &[
            "y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf", "infinity",
        ];
        if WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
            return Class::Other;
        }
    }
    if b.len() > FOLD_WIDTH {
        if key {
            return Class::Other;
        }
        return Class::Folded;
    }
    Class::Plain
}

/// The body of a folded (`>-`) scalar ([`Class::Folded`]), at column `col`: serde-saphyr's wrapping
/// (`ser::wrapping::write_folded_block`) for one line of single-spaced ASCII words. A line
/// breaks at the last space before its 81st character; the count then restarts at the
/// character where the break was found, as serde-saphyr's does.
fn folded(out: &mut String, s: &str, col: usize) {
    let b = s.as_bytes();
    let mut start = 0;
    let mut count = 0;
    // The last space that has a non-space after it: (its index).
    let mut last_space: Option<usize> = None;
    for i in 0..b.len() {
        if i > 0 && b[i - 1] == b' ' && b[i] != b' ' {
            last_space = Some(i - 1);
        }
        count += 1;
        if count > FOLD_WIDTH {
            let Some(ws) = last_space else {
                break;
            };
            indent(out, col);
            out.push_str(&s[start..ws]);
            out.push('\n');
            start = ws + 1;
            count = 0;
            last_space = None;
        }
    }
    indent(out, col);
    out.push_str(&s[start..]);
    out.push('\n');
}

fn indent(out: &mut String, col: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = col;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

/// Writes the scalar text `s` at `at`.
fn scalar(out: &mut String, at: At, s: &str) -> Result {
    match at {
        At::Top => Err(Unsupported),
        At::Value { col } => {
            out.push(' ');
            match class(s, false) {
                Class::Plain => {
                    out.push_str(s);
                    out.push('\n');
                    Ok(())
                }
                Class::Folded => {
                    out.push_str(">-\n");
                    folded(out, s, col + 2);
                    Ok(())
                }
                Class::Other => rendered(out, s, col),
            }
        }
        At::Item { .. } => {
            if class(s, false) == Class::Plain {
                out.push_str(s);
                out.push('\n');
                return Ok(());
            }
            rendered_item(out, s)
        }
    }
}

/// A scalar serde-saphyr never quotes (`true`, `false`, an integer), at `at`.
fn literal(out: &mut String, at: At, text: &str) -> Result {
    lead(out, at)?;
    out.push_str(text);
    out.push('\n');
    Ok(())
}

/// What goes before an unquoted scalar at `at`: a space after a key, nothing after a dash.
fn lead(out: &mut String, at: At) -> Result {
    match at {
        At::Top => return Err(Unsupported),
        At::Value { .. } => out.push(' '),
        At::Item { .. } => {}
    }
    Ok(())
}

/// A string that is not plain, as a sequence item: serde-saphyr renders `k: [<value>]` and the
/// item is copied when it is one line (a folded item is declined).
fn rendered_item(out: &mut String, s: &str) -> Result {
    if s.contains('\n') {
        return Err(Unsupported);
    }
    let one = [("k", [s])];
    let text = serde_saphyr::to_string(&OneEntry(&one)).map_err(|_| Unsupported)?;
    let item = text.strip_prefix("k:\n- ").ok_or(Unsupported)?;
    let line = item.strip_suffix('\n').ok_or(Unsupported)?;
    if line.contains('\n') {
        return Err(Unsupported);
    }
    out.push_str(line);
    out.push('\n');
    Ok(())
}

/// A string that is not plain, as a mapping value whose key is at `col`: serde-saphyr renders
/// `k: <value>` and the value is copied, its continuation lines (a folded `>-` body) moved from
/// serde-saphyr's column 2 to `col + 2`.
fn rendered(out: &mut String, s: &str, col: usize) -> Result {
    if s.contains('\n') {
        return Err(Unsupported);
    }
    let one = [("k", s)];
    let text = serde_saphyr::to_string(&OneEntry(&one)).map_err(|_| Unsupported)?;
    let rest = text.strip_prefix("k: ").ok_or(Unsupported)?;
    let mut lines = rest.lines();
    let first = lines.next().ok_or(Unsupported)?;
    out.push_str(first);
    out.push('\n');
    for line in lines {
        let body = line.strip_prefix("  ").ok_or(Unsupported)?;
        if body.is_empty() || body.starts_with(' ') {
            return Err(Unsupported);
        }
        indent(out, col + 2);
        out.push_str(body);
        out.push('\n');
    }
    if !text.ends_with('\n') {
        return Err(Unsupported);
    }
    Ok(())
}

/// A one-entry mapping, as serde-saphyr sees a mapping.
struct OneEntry<'a, V>(&'a [(&'a str, V)]);

impl<V: Serialize> Serialize for OneEntry<'_, V> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct Ser<'o> {
    out: &'o mut String,
    at: At,
}

/// A mapping being written: its entries go at `col`.
struct MapSer<'o> {
    out: &'o mut String,
    /// Where the mapping itself was opened.
    at: At,
    col: usize,
    entries: usize,
    /// The column of the key written last, for its value.
    key_col: usize,
}

impl MapSer<'_> {
    fn open(out: &mut String, at: At) -> MapSer<'_> {
        let col = match at {
            At::Top => 0,
            At::Value { col } | At::Item { col } => col + 2,
        };
        MapSer {
            out,
            at,
            col,
            entries: 0,
            key_col: col,
        }
    }

    fn key(&mut self, key: &str) -> Result {
        if class(key, true) != Class::Plain {
            return Err(Unsupported);
        }
        self.key_indent();
        self.out.push_str(key);
        self.key_end();
        Ok(())
    }

    /// What goes before an entry's key: a line break after a parent's key, the indentation.
    fn key_indent(&mut self) {
        match (self.entries, self.at) {
            // The first entry of a sequence item shares the dash's line.
            (0, At::Item { .. }) => {}
            (0, At::Value { .. }) => {
                self.out.push('\n');
                indent(self.out, self.col);
            }
            _ => indent(self.out, self.col),
        }
    }

    /// What follows an entry's key.
    fn key_end(&mut self) {
        self.out.push(':');
        self.entries += 1;
        self.key_col = self.col;
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(Ser {
            out: self.out,
            at: At::Value { col: self.key_col },
        })
    }

    fn close(self) -> Result {
        if self.entries == 0 {
            match self.at {
                At::Top => return Err(Unsupported),
                At::Value { .. } => self.out.push_str(" {}\n"),
                At::Item { .. } => self.out.push_str("{}\n"),
            }
        }
        Ok(())
    }
}

/// A sequence being written: its items' dashes go at `col` (a mapping value's sequence is not
/// indented under its key, as serde-saphyr writes it).
struct SeqSer<'o> {
    out: &'o mut String,
    col: usize,
    items: usize,
}

impl SeqSer<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        if self.items == 0 {
            self.out.push('\n');
        }
        indent(self.out, self.col);
        self.out.push_str("- ");
        self.items += 1;
        value.serialize(Ser {
            out: self.out,
            at: At::Item { col: self.col },
        })
    }

    fn close(self) -> Result {
        if self.items == 0 {
            self.out.push_str(" []\n");
        }
        Ok(())
    }
}

/// The key of a map entry, which must be a string.
struct KeySer<'a>(&'a mut String);

impl<'o> ser::Serializer for Ser<'o> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = SeqSer<'o>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = MapSer<'o>;
    type SerializeStruct = MapSer<'o>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result {
        literal(self.out, self.at, if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result {
        match u64::try_from(v) {
            Ok(v) => self.serialize_u64(v),
            Err(_) => integer(self.out, self.at, v),
        }
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result {
        // The digits without the formatting machinery (ports and counts, many of them).
        lead(self.out, self.at)?;
        ir::push_decimal(self.out, v);
        self.out.push('\n');
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        scalar(self.out, self.at, v)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqSer<'o>> {
        match self.at {
            At::Value { col } => Ok(SeqSer {
                out: self.out,
                col,
                items: 0,
            }),
            At::Top | At::Item { .. } => Err(Unsupported),
        }
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapSer<'o>> {
        Ok(MapSer::open(self.out, self.at))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapSer<'o>> {
        Ok(MapSer::open(self.out, self.at))
    }

    refuse! {
        Unsupported;
        serialize_f32(f32), serialize_f64(f64), serialize_bytes(&[u8]), serialize_none(),
        serialize_unit(), serialize_unit_struct(&'static str),
    }
    refuse_compounds!(Unsupported);
}

/// An integer at `at` (never quoted, never folded).
fn integer(out: &mut String, at: At, v: impl fmt::Display) -> Result {
    lead(out, at)?;
    writeln!(out, "{v}").map_err(|_| Unsupported)
}

impl ser::SerializeSeq for SeqSer<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.item(value)
    }
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeMap for MapSer<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        // Written in place and then judged (a key outside the subset fails the whole
        // document, whose text is then dropped).
        self.key_indent();
        let start = self.out.len();
        key.serialize(KeySer(self.out))?;
        if class(&self.out[start..], true) != Class::Plain {
            return Err(Unsupported);
        }
        self.key_end();
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.value(value)
    }
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::SerializeStruct for MapSer<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.key(key)?;
        self.value(value)
    }
    fn end(self) -> Result {
        self.close()
    }
}

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = ser::Impossible<(), Unsupported>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = ser::Impossible<(), Unsupported>;
    type SerializeStruct = ser::Impossible<(), Unsupported>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    refuse! {
        Unsupported;
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
        serialize_u64(u64), serialize_f32(f32), serialize_f64(f64), serialize_char(char),
        serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
        serialize_unit_struct(&'static str),
    }
    refuse_compounds!(Unsupported);
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result {
        Err(Unsupported)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Unsupported)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netpol::{
        EgressRule, IngressRule, IpBlock, LabelSelector, NetworkPolicy, NetworkPolicySpec, Peer,
        PolicyPort, PolicyType, PortRef,
    };
    use std::collections::BTreeMap;

    /// The fast writer's text, which must be serde-saphyr's whenever the fast writer writes.
    fn same<T: Serialize>(doc: &T) -> Option<String> {
        let fast = to_string(doc)?;
        assert_eq!(
            fast,
            crate::to_yaml_reference(doc),
            "the fast writer disagrees"
        );
        Some(fast)
    }

    fn sel(pairs: &[(&str, &str)]) -> LabelSelector {
        LabelSelector::of(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn policy(annotation: &str) -> NetworkPolicy {
        let mut metadata =
            crate::k8s::ObjectMeta::named("allow-egress-from-api", Some("team-a".into()));
        metadata
            .annotations
            .insert("posture.dev/source".into(), annotation.into());
        let peer = Peer {
            namespace_selector: Some(sel(&[("kubernetes.io/metadata.name", "team-b")])),
            pod_selector: Some(sel(&[("app", "db")])),
            ip_block: None,
        };
        let block = Peer {
            ip_block: Some(IpBlock {
                cidr: "10.0.0.0/8".into(),
                except: vec!["10.1.0.0/16".into(), "10.2.0.0/16".into()],
            }),
            ..Peer::default()
        };
        NetworkPolicy {
            api_version: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata,
            spec: NetworkPolicySpec {
                pod_selector: sel(&[("app", "api")]),
                policy_types: vec![PolicyType::Ingress, PolicyType::Egress],
                ingress: vec![IngressRule {
                    from: vec![Peer {
                        namespace_selector: Some(LabelSelector::default()),
                        ..Peer::default()
                    }],
                    ports: vec![PolicyPort {
                        protocol: ir::Protocol::Tcp,
                        port: Some(PortRef::Number(8443)),
                        end_port: Some(8450),
                    }],
                }],
                egress: vec![
                    EgressRule {
                        to: vec![peer, block],
                        ports: vec![PolicyPort {
                            protocol: ir::Protocol::Tcp,
                            port: Some(PortRef::Name("postgres".into())),
                            end_port: None,
                        }],
                    },
                    EgressRule {
                        to: vec![],
                        ports: vec![],
                    },
                ],
            },
        }
    }

    #[test]
    fn network_policies_are_written_fast_and_as_serde_saphyr_writes_them() {
        let short = "network.allow api -> db:postgres";
        let long = (0..9)
            .map(|i| format!("network.allow svc-{i:06} -> svc-{:06}:http", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        for annotation in [short, long.as_str()] {
            let text = same(&policy(annotation)).expect("a NetworkPolicy is in the subset");
            assert!(text.contains("    - protocol: TCP\n      port: postgres\n"));
        }
        // The long annotation is folded by serde-saphyr's rules, at the annotation's depth.
        let text = same(&policy(&long)).expect("in the subset");
        assert!(text.contains("posture.dev/source: >-\n      network.allow"));
    }

    /// Strings a writer could get wrong: YAML 1.1 and 1.2 specials, numbers, indicators,
    /// blanks, quotes, non-ASCII, and lengths around the folding width.
    fn tricky() -> Vec<String> {
        let mut v: Vec<String> = [
            "",
            "a",
            "y",
            "Y",
            "n",
            "yes",
            "Yes",
            "YES",
            "no",
            "No",
            "on",
            "On",
            "OFF",
            "true",
            "False",
            "null",
            "Null",
            "NULL",
            "~",
            "nan",
            "NaN",
            ".nan",
            "inf",
            ".inf",
            "-.inf",
            "0",
            "53",
            "0755",
            "0o17",
            "0x1F",
            "1e3",
            "1_000",
            "1:20",
            "+1",
            "-1",
            "3.14",
            "2027-01-31",
            "2027-01-31T00:00:00Z",
            "a: b",
            "a:b",
            "a #b",
            "#a",
            "a#b",
            "- a",
            "-a",
            "a-",
            "? a",
            "&a",
            "*a",
            "!a",
            "|a",
            ">a",
            "%a",
            "@a",
            "`a",
            "'a'",
            "\"a\"",
            "a'b",
            "a\"b",
            "[a]",
            "{a}",
            "a,b",
            "a, b",
            " a",
            "a ",
            "a  b",
            "a\tb",
            "a\nb",
            "a\n",
            "\\a",
            "é",
            "naïve",
            "日本",
            "e",
            "E5",
            "x.y",
            "app.kubernetes.io/name",
            "kubernetes.io/metadata.name",
            "10.0.0.0/8",
            "::1",
            "fd00::/8",
            "TCP",
            "Ingress",
            "<<",
            "=",
            "a=b",
            "secrets.db",
            "svc-000001",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [79, 80, 81, 82, 120, 200] {
            v.push("x".repeat(n));
            v.push(("word ".repeat(n / 5 + 1))[..n].to_string());
            v.push(format!("{} : {}", "k".repeat(n / 2), "v".repeat(n / 2)));
        }
        v.push("a  b ".repeat(30));
        // Source annotations around the folding width, and words longer than it.
        for n in [1, 2, 3, 5, 8, 13] {
            let list: Vec<String> = (0..n)
                .map(|i| format!("network.allow svc-{i:06} -> svc-{:06}:http", i * 7 + 1))
                .collect();
            v.push(list.join(", "));
        }
        for at in 70..=90 {
            v.push(format!("{} {}", "a".repeat(at), "b".repeat(30)));
            v.push(format!(
                "{} {} {}",
                "a".repeat(at),
                "b".repeat(85),
                "c".repeat(3)
            ));
            v.push(format!("x {}", "y".repeat(at + 20)));
        }
        v.push("ab ".repeat(60).trim_end().to_string());
        v.push(format!("{}: b", "a".repeat(90)));
        v.push(format!("{} :b", "a".repeat(90)));
        v.push(format!("{}:", "a ".repeat(50)));
        v.push("AC-4, SC-7(5), SC-7(21)".to_string());
        v.push(format!(
            "{}(x) {}",
            "a".repeat(60),
            "SC-7(5), ".repeat(10).trim_end()
        ));
        v.push("(a) b".to_string());
        v.push("a ( b )".to_string());
        v.push(format!("{}  {}", "x".repeat(78), "y".repeat(10)));
        v.push(format!("{} {}", "é".repeat(70), "é".repeat(20)));
        v
    }

    #[test]
    fn every_tricky_string_as_value_item_and_key_is_written_as_serde_saphyr_writes_it() {
        let mut written = 0;
        for s in tricky() {
            // As a value at the top, nested, and in a sequence item's mapping.
            let mut inner = BTreeMap::new();
            inner.insert("c", s.clone());
            let mut doc: BTreeMap<&str, serde_json::Value> = BTreeMap::new();
            doc.insert("a", serde_json::Value::String(s.clone()));
            doc.insert(
                "b",
                serde_json::json!({ "x": s.clone(), "list": [ { "c": s.clone(), "d": s.clone() } ] }),
            );
            written += usize::from(same(&doc).is_some());
            written += usize::from(same(&inner).is_some());
            // As a sequence item.
            let mut seq = BTreeMap::new();
            seq.insert("items", vec![s.clone(), "b".to_string()]);
            written += usize::from(same(&seq).is_some());
            // As a key.
            let mut keyed = BTreeMap::new();
            keyed.insert(s.clone(), "v");
            written += usize::from(same(&keyed).is_some());
        }
        // Not vacuous: most of these documents are the fast writer's.
        assert!(written > 200, "only {written} written fast");
    }

    #[test]
    fn empty_collections_and_scalars_in_every_position() {
        let doc = serde_json::json!({
            "empty_map": {},
            "empty_seq": [],
            "seq_of_empty_maps": [{}, {}],
            "nested": { "m": {}, "s": [], "deep": { "deeper": { "x": 1 } } },
            "numbers": [0, 1, 9, 10, 99, 100, 65535, -7, -1, u64::MAX, i64::MIN, i64::MAX],
            "number": 8080,
            "flags": [true, false],
            "map_with_seq_first": [ { "s": ["a", "b"], "t": "x" } ],
            "map_with_map_first": [ { "m": { "k": "v" }, "t": "x" } ],
            "map_with_empty_first": [ { "m": {}, "s": [] } ],
        });
        same(&doc).expect("in the subset");
    }

    #[test]
    fn outside_the_subset_it_declines_rather_than_guesses() {
        // A float, a null, a sequence of sequences, a scalar document, a multi-line string.
        assert!(to_string(&serde_json::json!({ "f": 1.5 })).is_none());
        assert!(to_string(&serde_json::json!({ "n": null })).is_none());
        assert!(to_string(&serde_json::json!({ "s": [[1]] })).is_none());
        assert!(to_string(&"scalar").is_none());
        assert!(to_string(&serde_json::json!({ "m": "a\nb" })).is_none());
        assert!(to_string(&serde_json::json!({})).is_none());
        // ...and to_yaml still writes them (through serde-saphyr).
        assert_eq!(
            crate::to_yaml(&serde_json::json!({ "f": 1.5 })),
            crate::to_yaml_reference(&serde_json::json!({ "f": 1.5 }))
        );
    }

    /// Random strings over an alphabet of YAML's indicators, blanks and letters, in every
    /// position: wherever the fast writer writes, it writes serde-saphyr's bytes.
    #[test]
    fn random_strings_agree_with_serde_saphyr() {
        const ALPHABET: &[char] = &[
            'a', 'b', 'Y', 'n', '0', '1', '9', ' ', ' ', '-', '.', '_', '/', ':', '#', '\'', '"',
            ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`', '?', '~', '=', '\\',
            'é', '\t', '(', ')',
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            // xorshift64*: deterministic, no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let mut written = 0;
        for _ in 0..3000 {
            let len = (next() % 100) as usize;
            let s: String = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let doc = serde_json::json!({ "k": s.clone(), "l": [ s.clone(), { "m": s.clone() } ] });
            written += usize::from(same(&doc).is_some());
            let mut keyed = BTreeMap::new();
            keyed.insert(s, 1);
            same(&keyed);
        }
        assert!(written > 100, "only {written} written fast");
    }
}
