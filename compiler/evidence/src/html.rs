//! A small typed HTML/SVG tree with one escaping printer: the report is built as nodes, never
//! by pasting strings, so every text and attribute value is escaped exactly once.

/// An element or a text node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// An element with attributes (in order) and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
}

/// `<name>`.
pub fn el(name: &'static str) -> Element {
    Element {
        name,
        attrs: Vec::new(),
        children: Vec::new(),
    }
}

/// A text node.
pub fn text(t: impl Into<String>) -> Node {
    Node::Text(t.into())
}

impl Element {
    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Element {
        self.attrs.push((name, value.into()));
        self
    }

    pub fn child(mut self, n: impl Into<Node>) -> Element {
        // Most elements have one child (`<li>text</li>`): room for exactly one, where a first
        // push makes room for four (the report's 50,000 `<li>`s held 13 MB of it).
        if self.children.capacity() == 0 {
            self.children.reserve_exact(1);
        }
        self.children.push(n.into());
        self
    }

    pub fn children(mut self, ns: impl IntoIterator<Item = Node>) -> Element {
        self.children.extend(ns);
        self
    }

    pub fn text(self, t: impl Into<String>) -> Element {
        self.child(text(t))
    }
}

impl From<Element> for Node {
    fn from(e: Element) -> Node {
        Node::Element(e)
    }
}

/// Elements written without a closing tag.
const VOID: &[&str] = &["meta", "br", "hr", "link"];

/// Where [`write`] writes: the document's buffer, or a count of the bytes it would hold (so
/// the buffer is allocated once at exactly its length, by the same code that fills it).
trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// The number of bytes [`write`] writes.
#[derive(Default)]
struct Len(usize);

impl Sink for Len {
    fn put(&mut self, s: &str) {
        self.0 += s.len();
    }
}

fn escape(s: &str, out: &mut impl Sink) {
    // The characters escaped are ASCII, so the runs between them are copied whole.
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.put(&s[from..i]);
        out.put(entity);
        from = i + 1;
    }
    out.put(&s[from..]);
}

fn write(n: &Node, out: &mut impl Sink) {
    match n {
        Node::Text(t) => escape(t, out),
        Node::Element(e) => {
            out.put("<");
            out.put(e.name);
            for (k, v) in &e.attrs {
                out.put(" ");
                out.put(k);
                out.put("=\"");
                escape(v, out);
                out.put("\"");
            }
            out.put(">");
            if VOID.contains(&e.name) {
                return;
            }
            for c in &e.children {
                write(c, out);
            }
            out.put("</");
            out.put(e.name);
            out.put(">");
            if matches!(
                e.name,
                "html" | "head" | "body" | "section" | "table" | "tr" | "ul" | "li" | "style"
            ) {
                out.put("\n");
            }
        }
    }
}

/// A whole document: `<!DOCTYPE html>` and the root element, written into one buffer
/// allocated at exactly its length, counted by a first pass of the same writer (the report is
/// 4 MB at 10,000 workloads: a buffer that grows by doubling copied it several times over, and
/// an estimate a little short of the escaped length copied it once into twice its size).
pub fn document(root: Element) -> String {
    const DOCTYPE: &str = "<!DOCTYPE html>\n";
    let root = Node::Element(root);
    let mut len = Len::default();
    write(&root, &mut len);
    let mut out = String::with_capacity(DOCTYPE.len() + len.0);
    out.push_str(DOCTYPE);
    write(&root, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        let d = document(
            el("p")
                .attr("title", "a\"b<c>")
                .text("x < y & 'z'")
                .child(el("br")),
        );
        assert_eq!(
            d,
            "<!DOCTYPE html>\n<p title=\"a&quot;b&lt;c&gt;\">x &lt; y &amp; &#39;z&#39;<br></p>"
        );
    }

    #[test]
    fn the_buffer_is_allocated_at_the_document_length() {
        let root = || {
            el("html").child(
                el("body").child(
                    el("ul")
                        .child(el("li").attr("class", "a&b").text("1 -> 2 <x> \"q\" 'r'"))
                        .child(el("li").child(el("br")).text("plain")),
                ),
            )
        };
        let d = document(root());
        let mut len = Len::default();
        write(&Node::Element(root()), &mut len);
        assert_eq!("<!DOCTYPE html>\n".len() + len.0, d.len());
        assert_eq!(d.capacity(), d.len(), "no growth, no slack");
    }
}
