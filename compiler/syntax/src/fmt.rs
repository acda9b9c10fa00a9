//! `posture fmt`: the canonical layout of a parsed file.
//!
//! Layout rules: two-space indentation; one entry per line in multi-line blocks; at most one
//! blank line kept between entries (where the source had one); a block, list or map that was
//! written on one line stays on one line when it fits in 100 columns and holds no comment,
//! otherwise it is laid out one entry per line (lists and maps with trailing commas). `//`
//! comments are kept where they were, as own-line or end-of-line comments; `///` docs stay on
//! their item. Formatting never changes meaning: the AST of the output equals the input's,
//! spans aside, and formatting twice gives the same text.

use crate::ast::*;

const WIDTH: usize = 100;
const INDENT: &str = "  ";

/// Formats a file parsed from `text`.
pub fn format(file: &File, text: &str) -> String {
    let mut f = Formatter {
        text,
        comments: &file.comments,
        next_comment: 0,
        out: String::new(),
        cursor: 0,
    };
    f.entries_at(
        0,
        file.items.iter().map(EntryRef::Item).collect(),
        text.len(),
    );
    f.flush_comments_before(text.len(), 0);
    let mut out = f.out.trim_end().to_string();
    out.push('\n');
    if file.items.is_empty() && file.comments.is_empty() {
        return String::new();
    }
    out
}

#[derive(Clone, Copy)]
enum EntryRef<'a> {
    Item(&'a Item),
    Attr(&'a Attr),
}

impl EntryRef<'_> {
    fn start(&self) -> usize {
        match self {
            EntryRef::Item(i) => {
                i.docs.first().map(|d| d.span.start).unwrap_or(i.span.start) as usize
            }
            EntryRef::Attr(a) => a.span.start as usize,
        }
    }
    fn end(&self) -> usize {
        match self {
            EntryRef::Item(i) => i.span.end as usize,
            EntryRef::Attr(a) => a.span.end as usize,
        }
    }
}

struct Formatter<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    /// Where the last printed source element (entry or comment) ended, for blank lines.
    cursor: usize,
}

impl<'a> Formatter<'a> {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str(INDENT);
        }
    }

    /// True when a comment starts inside `start..end`.
    fn has_comment_in(&self, start: usize, end: usize) -> bool {
        self.comments
            .iter()
            .any(|c| (c.span.start as usize) >= start && (c.span.start as usize) < end)
    }

    /// True when the source between `a` and `b` contains a blank line.
    fn blank_line_between(&self, a: usize, b: usize) -> bool {
        let gap = self.text.get(a..b).unwrap_or("");
        // Count newlines in the gap that are not inside a comment's text.
        let mut newlines = 0;
        for line in gap.split('\n').skip(1) {
            if line.trim().is_empty() {
                newlines += 1;
            } else {
                newlines = 0;
            }
            if newlines >= 1 && gap.matches('\n').count() >= 2 {
                return true;
            }
        }
        false
    }

    fn same_line(&self, a: usize, b: usize) -> bool {
        !self.text.get(a..b).unwrap_or("\n").contains('\n')
    }

    /// Emits own-line comments that start before `pos`.
    fn flush_comments_before(&mut self, pos: usize, level: usize) {
        while let Some(c) = self.comments.get(self.next_comment) {
            if (c.span.start as usize) >= pos {
                break;
            }
            self.blank_line_since_cursor(c.span.start as usize);
            self.indent(level);
            self.out.push_str("//");
            self.out.push_str(&c.text);
            self.out.push('\n');
            self.next_comment += 1;
            self.cursor = c.span.end as usize;
        }
    }

    /// Keeps one blank line where the source had at least one between the last printed
    /// element and `start`, except right after an opening bracket.
    fn blank_line_since_cursor(&mut self, start: usize) {
        let at_open = self.out.is_empty()
            || self.out.ends_with("{\n")
            || self.out.ends_with("[\n")
            || self.out.ends_with("\n\n");
        if !at_open && self.cursor < start && self.blank_line_between(self.cursor, start) {
            self.out.push('\n');
        }
    }

    /// Emits an end-of-line comment that starts on the line where `end` is.
    fn trailing_comment(&mut self, end: usize, limit: usize) {
        if let Some(c) = self.comments.get(self.next_comment) {
            let s = c.span.start as usize;
            if s >= end && s < limit && self.same_line(end, s) {
                self.out.push_str(" //");
                self.out.push_str(&c.text);
                self.next_comment += 1;
                self.cursor = c.span.end as usize;
            }
        }
    }

    /// Prints entries one per line at `level`; `limit` is where the enclosing container ends.
    fn entries_at(&mut self, level: usize, entries: Vec<EntryRef<'a>>, limit: usize) {
        let widths = self.key_widths(&entries);
        for (e, width) in entries.into_iter().zip(widths) {
            self.flush_comments_before(e.start(), level);
            self.blank_line_since_cursor(e.start());
            match e {
                EntryRef::Item(i) => self.item(i, level),
                EntryRef::Attr(a) => {
                    self.indent(level);
                    let k = key(&a.key);
                    let pad = width.saturating_sub(k.chars().count());
                    self.out.push_str(&k);
                    self.out.push_str(&" ".repeat(pad));
                    self.out.push_str(" = ");
                    self.value(&a.value, level);
                }
            }
            self.cursor = self.cursor.max(e.end());
            self.trailing_comment(e.end(), limit);
            self.out.push('\n');
        }
    }

    fn item(&mut self, item: &'a Item, level: usize) {
        for d in &item.docs {
            self.indent(level);
            self.out.push_str("///");
            if !d.text.is_empty() {
                self.out.push(' ');
                self.out.push_str(&d.text);
            }
            self.out.push('\n');
        }
        self.indent(level);
        self.out.push_str(&item.keyword.text);
        if let Some(h) = &item.head {
            self.out.push(' ');
            self.out.push_str(&head(h));
        }
        if let Some(v) = &item.value {
            self.out.push_str(" = ");
            self.value(v, level);
        }
        if let Some(b) = &item.body {
            self.out.push(' ');
            self.body(b, level);
        }
    }

    fn body(&mut self, b: &'a Body, level: usize) {
        let (start, end) = (b.span.start as usize, b.span.end as usize);
        if b.entries.is_empty() && !self.has_comment_in(start, end) {
            self.out.push_str("{}");
            return;
        }
        if self.same_line(start, end) && !self.has_comment_in(start, end) {
            let inline = inline_entries(&b.entries);
            if let Some(inline) = inline
                && self.current_column() + inline.len() + 4 <= WIDTH
            {
                self.out.push_str("{ ");
                self.out.push_str(&inline);
                self.out.push_str(" }");
                return;
            }
        }
        self.out.push_str("{\n");
        let entries = b
            .entries
            .iter()
            .map(|e| match e {
                Entry::Attr(a) => EntryRef::Attr(a),
                Entry::Item(i) => EntryRef::Item(i),
            })
            .collect();
        self.entries_at(level + 1, entries, end);
        self.flush_comments_before(end, level + 1);
        self.indent(level);
        self.out.push('}');
    }

    fn current_column(&self) -> usize {
        self.out
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
    }

    /// The width each attribute's key is padded to, so that `=` lines up within a group of
    /// consecutive attributes (a blank line, a comment line or a block ends a group).
    fn key_widths(&self, entries: &[EntryRef<'a>]) -> Vec<usize> {
        let mut widths = vec![0; entries.len()];
        let mut group: Vec<usize> = Vec::new();
        let close = |group: &mut Vec<usize>, widths: &mut Vec<usize>| {
            let w = group.iter().map(|&i| widths[i]).max().unwrap_or(0);
            for &i in group.iter() {
                widths[i] = w;
            }
            group.clear();
        };
        for (i, e) in entries.iter().enumerate() {
            let breaks = i > 0 && {
                let prev_end = entries[i - 1].end();
                self.blank_line_between(prev_end, e.start())
                    || self.has_own_line_comment(prev_end, e.start())
            };
            if breaks {
                close(&mut group, &mut widths);
            }
            match e {
                EntryRef::Attr(a) => {
                    widths[i] = key(&a.key).chars().count();
                    group.push(i);
                }
                EntryRef::Item(_) => close(&mut group, &mut widths),
            }
        }
        close(&mut group, &mut widths);
        widths
    }

    /// True when a comment stands on its own line between `a` and `b`.
    fn has_own_line_comment(&self, a: usize, b: usize) -> bool {
        self.comments.iter().any(|c| {
            let s = c.span.start as usize;
            s >= a && s < b && !self.same_line(a, s)
        })
    }

    /// Prints a list or map on one line when it is empty, or was written on one line, holds no
    /// comment and fits; returns whether it did.
    fn try_inline(&mut self, v: &Value, start: usize, end: usize) -> bool {
        if self.has_comment_in(start, end) {
            return false;
        }
        let empty = matches!(v, Value::List { items, .. } if items.is_empty())
            || matches!(v, Value::Map { entries, .. } if entries.is_empty());
        match inline_value(v) {
            Some(inline)
                if empty
                    || (self.same_line(start, end)
                        && self.current_column() + inline.len() <= WIDTH) =>
            {
                self.out.push_str(&inline);
                true
            }
            _ => false,
        }
    }

    fn value(&mut self, v: &'a Value, level: usize) {
        match v {
            Value::List { items, span } => {
                let (start, end) = (span.start as usize, span.end as usize);
                if self.try_inline(v, start, end) {
                    return;
                }
                self.out.push_str("[\n");
                for it in items {
                    let s = it.span().start as usize;
                    self.flush_comments_before(s, level + 1);
                    self.blank_line_since_cursor(s);
                    self.indent(level + 1);
                    self.value(it, level + 1);
                    self.out.push(',');
                    self.cursor = self.cursor.max(it.span().end as usize);
                    self.trailing_comment(it.span().end as usize, end);
                    self.out.push('\n');
                }
                self.flush_comments_before(end, level + 1);
                self.indent(level);
                self.out.push(']');
            }
            Value::Map { entries, span } => {
                let (start, end) = (span.start as usize, span.end as usize);
                if self.try_inline(v, start, end) {
                    return;
                }
                self.out.push_str("{\n");
                let refs = entries.iter().map(EntryRef::Attr).collect();
                self.entries_at(level + 1, refs, end);
                self.flush_comments_before(end, level + 1);
                self.indent(level);
                self.out.push('}');
            }
            other => match inline_value(other) {
                Some(s) => self.out.push_str(&s),
                // Multi-line raw strings are printed verbatim.
                None => {
                    if let Value::Raw(s) = other {
                        self.out.push('`');
                        self.out.push_str(&s.value);
                        self.out.push('`');
                    }
                }
            },
        }
    }
}

/// Entries on one line, comma-separated; `None` when one of them cannot be inline.
fn inline_entries(entries: &[Entry]) -> Option<String> {
    let mut parts = Vec::new();
    for e in entries {
        match e {
            Entry::Attr(a) => parts.push(format!("{} = {}", key(&a.key), inline_value(&a.value)?)),
            Entry::Item(_) => return None,
        }
    }
    Some(parts.join(", "))
}

/// A value on one line; `None` when it cannot be (a multi-line raw string).
fn inline_value(v: &Value) -> Option<String> {
    Some(match v {
        Value::Str(s) => quote(&s.value),
        Value::Raw(s) => {
            if s.value.contains('\n') {
                return None;
            }
            format!("`{}`", s.value)
        }
        Value::Number(n) => format!("{}{}", n.digits, n.unit.as_deref().unwrap_or("")),
        Value::Date(d) => format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        Value::Bool { value, .. } => value.to_string(),
        Value::Word(w) => w.text.to_string(),
        Value::List { items, .. } => {
            let parts: Option<Vec<String>> = items.iter().map(inline_value).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Map { entries, .. } => {
            if entries.is_empty() {
                return Some("{}".to_string());
            }
            let parts: Option<Vec<String>> = entries
                .iter()
                .map(|a| inline_value(&a.value).map(|v| format!("{} = {v}", key(&a.key))))
                .collect();
            format!("{{ {} }}", parts?.join(", "))
        }
    })
}

fn key(k: &Key) -> String {
    if k.quoted {
        quote(&k.text)
    } else {
        k.text.to_string()
    }
}

fn head(h: &Head) -> String {
    match h {
        Head::Path(p) => p.dotted(),
        Head::Str(s) => quote(&s.value),
        Head::Traffic(t) => format!("{} -> {}", endpoint(&t.from), endpoint(&t.to)),
    }
}

fn endpoint(e: &Endpoint) -> String {
    let target = match &e.target {
        EndpointTarget::Ref(p) => p.dotted(),
        EndpointTarget::Str(s) => quote(&s.value),
    };
    match &e.port {
        None => target,
        Some(PortSpec::Number { port, .. }) => format!("{target}:{port}"),
        Some(PortSpec::Range { first, last, .. }) => format!("{target}:{first}-{last}"),
        Some(PortSpec::Name(n)) => format!("{target}:{}", n.text),
    }
}

/// A string literal with the escapes the grammar reads back.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
