//! A small typed XML writer for the JUnit report. Element and attribute names are
//! `&'static str` chosen by the code, never input; every attribute value and text node is
//! escaped here, and characters XML 1.0 cannot carry at all become U+FFFD.

/// Writes an indented XML 1.0 document, element by element.
pub(crate) struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    /// A document with its UTF-8 declaration.
    pub(crate) fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &'static str, attrs: &[(&'static str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
    }

    /// Opens an element that will hold child elements; close it with [`XmlWriter::close`].
    pub(crate) fn open(&mut self, name: &'static str, attrs: &[(&'static str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str(">\n");
        self.open.push(name);
    }

    /// Writes a whole element holding only `text`, or an empty element when `text` is `None`.
    pub(crate) fn leaf(
        &mut self,
        name: &'static str,
        attrs: &[(&'static str, &str)],
        text: Option<&str>,
    ) {
        self.start_tag(name, attrs);
        match text {
            Some(text) => {
                self.out.push('>');
                escape_into(&mut self.out, text, false);
                self.out.push_str("</");
                self.out.push_str(name);
                self.out.push_str(">\n");
            }
            None => self.out.push_str("/>\n"),
        }
    }

    /// Closes the innermost open element.
    pub(crate) fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
    }

    /// Closes every open element and returns the document.
    pub(crate) fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}

/// Whether XML 1.0 allows `c` in a document (production `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Appends `s` escaped for a text node or, with `attribute`, for a double-quoted attribute
/// value, where line breaks and tabs are written as character references so that parsers
/// do not normalise them to spaces.
fn escape_into(out: &mut String, s: &str, attribute: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_from_input() {
        let mut w = XmlWriter::new();
        w.open("a", &[("k", "x\"<&>\n\t\u{0}")]);
        w.leaf("b", &[], Some("]]> <c/> & \u{1b}\r\n"));
        w.leaf("c", &[("v", "1")], None);
        let doc = w.finish();
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <a k=\"x&quot;&lt;&amp;&gt;&#10;&#9;\u{FFFD}\">\n  \
             <b>]]&gt; &lt;c/&gt; &amp; \u{FFFD}&#13;\n</b>\n  \
             <c v=\"1\"/>\n\
             </a>\n"
        );
    }
}
