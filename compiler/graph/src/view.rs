//! `posture graph`: the whole graph or the neighbourhood of one control or item, printed as
//! Graphviz DOT or a Mermaid flowchart. Both printers work on a small typed tree
//! ([`Drawing`]) with their own quoting; nodes and edges are sorted by their keys, so the
//! bytes never depend on petgraph's indices or the order of input files.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use controls::ControlRef;
use petgraph::Direction as Dir;

use crate::build::ControlGraph;
use crate::model::{Edge, ItemId, Node};

/// Which part of the graph to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Focus {
    /// Everything: the system's frameworks, their requirements, every item and artifact.
    Whole,
    /// A control with its requirements, frameworks, items, artifacts, checks, declarations
    /// and exceptions.
    Control(ControlRef),
    /// An item with its artifacts, checks, controls (and their requirements), exceptions: its
    /// id as the user wrote it (`namespace.optimal-system`).
    Item(String),
}

/// The shape a node is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    Framework,
    Requirement,
    Control,
    Item,
    Artifact,
    Check,
}

/// A node to draw.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DrawNode {
    /// The node's stable key (`control:SC-7`).
    pub key: String,
    pub label: String,
    pub shape: Shape,
}

/// An edge to draw, between node keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DrawEdge {
    pub from: String,
    pub to: String,
    pub kind: Edge,
}

/// A selection of the graph, sorted, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawing {
    pub nodes: Vec<DrawNode>,
    pub edges: Vec<DrawEdge>,
}

/// Why a focus cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FocusError {
    /// No item has this id; the closest ids, if any.
    UnknownItem {
        id: String,
        suggestion: Option<String>,
    },
}

impl ControlGraph<'_> {
    /// The nodes and edges of a focus, sorted by key.
    pub fn drawing(&self, focus: &Focus) -> Result<Drawing, FocusError> {
        let mut edges: BTreeSet<(Node, Edge, Node)> = BTreeSet::new();
        let mut nodes: BTreeSet<Node> = BTreeSet::new();
        let take = |edges: &mut BTreeSet<(Node, Edge, Node)>, e: (&Node, Edge, &Node)| {
            edges.insert((e.0.clone(), e.1, e.2.clone()));
        };
        match focus {
            Focus::Whole => {
                for n in self.nodes() {
                    nodes.insert(n.clone());
                }
                for e in self.edges() {
                    take(&mut edges, e);
                }
            }
            Focus::Control(c) => {
                let me = Node::Control(*c);
                nodes.insert(me.clone());
                for e in self.incident(&me) {
                    take(&mut edges, e);
                }
                let around: Vec<Node> = edges
                    .iter()
                    .flat_map(|(a, _, b)| [a.clone(), b.clone()])
                    .collect();
                for n in around {
                    self.surroundings(&n, &mut edges);
                }
            }
            Focus::Item(text) => {
                let Some(id) = ItemId::parse(text).filter(|id| self.items.contains_key(id)) else {
                    return Err(FocusError::UnknownItem {
                        id: text.clone(),
                        suggestion: self.suggest_item(text),
                    });
                };
                let me = Node::Item(id);
                nodes.insert(me.clone());
                for e in self.incident(&me) {
                    take(&mut edges, e);
                }
                let around: Vec<Node> = edges
                    .iter()
                    .flat_map(|(a, _, b)| [a.clone(), b.clone()])
                    .collect();
                for n in around {
                    match &n {
                        Node::Control(_) => {
                            for r in self.neighbours(&n, Edge::Requires, Dir::Incoming) {
                                if let Node::Requirement(f, _) = r
                                    && self.system_frameworks.contains(f)
                                {
                                    edges.insert((r.clone(), Edge::Requires, n.clone()));
                                    edges.insert((Node::Framework(*f), Edge::Requires, r.clone()));
                                }
                            }
                        }
                        Node::Artifact(_) => {
                            for c in self.neighbours(&n, Edge::Verifies, Dir::Incoming) {
                                edges.insert((c.clone(), Edge::Verifies, n.clone()));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        for (a, _, b) in &edges {
            nodes.insert(a.clone());
            nodes.insert(b.clone());
        }
        let mut draw_nodes: Vec<DrawNode> = nodes.iter().map(|n| self.draw_node(n)).collect();
        draw_nodes.sort();
        let mut draw_edges: Vec<DrawEdge> = edges
            .iter()
            .map(|(a, k, b)| DrawEdge {
                from: a.key(),
                to: b.key(),
                kind: *k,
            })
            .collect();
        draw_edges.sort();
        Ok(Drawing {
            nodes: draw_nodes,
            edges: draw_edges,
        })
    }

    /// Around a control's neighbour: a requirement's framework, an item's artifacts and the
    /// checks and exceptions on them.
    fn surroundings(&self, n: &Node, edges: &mut BTreeSet<(Node, Edge, Node)>) {
        match n {
            Node::Requirement(f, _) => {
                edges.insert((Node::Framework(*f), Edge::Requires, n.clone()));
            }
            Node::Item(_) => {
                for a in self.neighbours(n, Edge::Emits, Dir::Outgoing) {
                    edges.insert((n.clone(), Edge::Emits, a.clone()));
                    for c in self.neighbours(a, Edge::Verifies, Dir::Incoming) {
                        edges.insert((c.clone(), Edge::Verifies, a.clone()));
                    }
                }
                for e in self.neighbours(n, Edge::Waives, Dir::Incoming) {
                    edges.insert((e.clone(), Edge::Waives, n.clone()));
                }
            }
            _ => {}
        }
    }

    fn draw_node(&self, n: &Node) -> DrawNode {
        let (label, shape) = match n {
            Node::Framework(f) => (f.id().to_string(), Shape::Framework),
            Node::Requirement(f, r) => (format!("{f} {r}"), Shape::Requirement),
            Node::Control(c) => (format!("{c} ({})", self.status(*c)), Shape::Control),
            Node::Item(i) => (
                self.items
                    .get(i)
                    .map_or_else(|| i.to_string(), |x| x.label.to_string()),
                Shape::Item,
            ),
            Node::Artifact(p) => (p.clone(), Shape::Artifact),
            Node::Check(c) => (c.to_string(), Shape::Check),
        };
        DrawNode {
            key: n.key(),
            label,
            shape,
        }
    }

    /// The item id closest to `wanted`, if close enough to be a typo.
    pub fn suggest_item(&self, wanted: &str) -> Option<String> {
        self.items
            .keys()
            .map(|k| (strsim::levenshtein(wanted, &k.to_string()), k))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, k)| k.to_string())
    }
}

impl Drawing {
    /// Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let mut s =
            String::from("digraph posture {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        for n in &self.nodes {
            let (shape, style) = match n.shape {
                Shape::Framework => ("doubleoctagon", ""),
                Shape::Requirement => ("note", ""),
                Shape::Control => ("ellipse", ", style=bold"),
                Shape::Item => ("box", ", style=rounded"),
                Shape::Artifact => ("component", ""),
                Shape::Check => ("diamond", ""),
            };
            let _ = writeln!(
                s,
                "  {} [label={}, shape={shape}{style}];",
                dot_quote(&n.key),
                dot_quote(&n.label)
            );
        }
        for e in &self.edges {
            let style = match e.kind {
                Edge::Claims => ", style=dashed",
                Edge::Supports => ", style=bold",
                Edge::Waives => ", style=dotted",
                _ => "",
            };
            let _ = writeln!(
                s,
                "  {} -> {} [label={}{style}];",
                dot_quote(&e.from),
                dot_quote(&e.to),
                dot_quote(e.kind.name())
            );
        }
        s.push_str("}\n");
        s
    }

    /// A Mermaid flowchart. Node ids are `n0`, `n1`, … in key order.
    pub fn to_mermaid(&self) -> String {
        let mut s = String::from("flowchart LR\n");
        let id = |key: &str| -> String {
            match self.nodes.binary_search_by(|n| n.key.as_str().cmp(key)) {
                Ok(i) => format!("n{i}"),
                Err(_) => "missing".to_string(),
            }
        };
        for (i, n) in self.nodes.iter().enumerate() {
            let label = mermaid_quote(&n.label);
            let shaped = match n.shape {
                Shape::Framework => format!("{{{{{label}}}}}"),
                Shape::Requirement => format!("[/{label}/]"),
                Shape::Control => format!("(({label}))"),
                Shape::Item => format!("({label})"),
                Shape::Artifact => format!("[{label}]"),
                Shape::Check => format!("{{{label}}}"),
            };
            let _ = writeln!(s, "  n{i}{shaped}");
        }
        for e in &self.edges {
            let arrow = match e.kind {
                Edge::Claims | Edge::Waives => "-.->",
                _ => "-->",
            };
            let _ = writeln!(
                s,
                "  {} {arrow}|{}| {}",
                id(&e.from),
                e.kind.name(),
                id(&e.to)
            );
        }
        s
    }
}

/// A DOT string literal.
fn dot_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Mermaid label in double quotes; quotes and markup characters become entity codes.
fn mermaid_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(dot_quote("a \"b\" \\ c\nd"), "\"a \\\"b\\\" \\\\ c\\nd\"");
        assert_eq!(
            mermaid_quote("allow a -> \"10.0.0.0/8\":443 #1"),
            "\"allow a -#gt; #quot;10.0.0.0/8#quot;:443 #35;1\""
        );
    }
}
