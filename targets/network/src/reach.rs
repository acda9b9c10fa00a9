//! `posture reach`: the connectivity the emitted NetworkPolicies allow, as rows
//! `from → to : connections`, optionally narrowed to some sources and destinations, rendered
//! as a table, JSON or Graphviz DOT.
//!
//! The rows come from the same analysis the build's proof runs, over the policies read back
//! from the emitted bytes. Pairs where one side is isolated are listed in full: there are as
//! many as the posture declares flows. Pairs where neither side is isolated allow everything
//! and can be dense (every workload of every open namespace to every other): they are listed
//! only up to a limit, and counted beyond it, so a large posture never prints 10⁸ rows unasked.

pub use crate::proof::Analysis;
use crate::proof::{self, endpoint_text};
use diagnostics::Diagnostic;
use emit::Artifact;
use ir::network::Peer;
use ir::{Name, Posture};
use netpol::ir::{Index, Members};
use netpol::{ClassIsolation, Connectivity, Endpoint, WorkloadId};
use serde::Serialize;
use std::collections::BTreeSet;

/// How many open rows (neither side isolated) are listed by default.
pub const DEFAULT_LIMIT: usize = 1000;

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Only connections from these endpoints.
    pub from: Option<Peer>,
    /// Only connections to these endpoints.
    pub to: Option<Peer>,
    /// At most this many open rows.
    pub limit: usize,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            from: None,
            to: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// One allowed connection set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Row {
    /// `namespace/workload`, or addresses as CIDRs.
    pub from: String,
    pub to: String,
    /// `TCP 8000`, `TCP 53,UDP 53`, `All Connections`.
    pub connections: String,
    /// Neither side is isolated: no NetworkPolicy is involved.
    pub open: bool,
}

/// The matrix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reach {
    /// Sorted by source, then destination.
    pub rows: Vec<Row>,
    /// Open rows beyond the limit, not listed.
    pub omitted_open: u64,
}

fn members_filter(index: &Index, peer: &Option<Peer>) -> Option<Members> {
    peer.as_ref().map(|p| index.members(p))
}

fn wanted(filter: &Option<Members>, e: &Endpoint) -> bool {
    filter.as_ref().is_none_or(|m| netpol::ir::contains(m, e))
}

/// The connectivity of the NetworkPolicies among `artifacts` (the files the proof reads back),
/// in the cluster of `p`.
pub fn reach_artifacts(
    p: &Posture,
    artifacts: &[Artifact],
    q: &Query,
) -> Result<Reach, Vec<Diagnostic>> {
    reach_analysis(p, &proof::analyze(p, artifacts), q)
}

/// The connectivity of an analysis the proof already made ([`crate::verify_keeping`]).
pub fn reach_analysis(
    p: &Posture,
    analysis: &proof::Analysis,
    q: &Query,
) -> Result<Reach, Vec<Diagnostic>> {
    match analysis {
        Ok((_, conn)) => Ok(rows(p, conn, q)),
        Err(d) => Err(d.clone()),
    }
}

/// The rows of an analysis.
fn rows(p: &Posture, conn: &Connectivity, q: &Query) -> Reach {
    let index = Index::new(p);
    let from = members_filter(&index, &q.from);
    let to = members_filter(&index, &q.to);
    let classes = conn.classes();
    let iso = |c: u32| -> ClassIsolation {
        conn.class_isolation()
            .get(c as usize)
            .copied()
            .unwrap_or_default()
    };
    let members = |c: u32, filter: &Option<Members>| -> Vec<&WorkloadId> {
        classes
            .get(c as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter(|w| wanted(filter, &Endpoint::Workload((*w).clone())))
            .collect()
    };
    let mut out = Reach::default();
    let mut listed_open = 0usize;
    // Lists `n` rows unless they are open and over the limit; returns whether to list.
    let mut admit = |open: bool, n: usize, omitted: &mut u64| -> bool {
        if !open {
            return true;
        }
        if listed_open.saturating_add(n) > q.limit {
            *omitted = omitted.saturating_add(n as u64);
            false
        } else {
            listed_open += n;
            true
        }
    };
    let row = |a: &Endpoint, b: &Endpoint, conns: &netpol::ConnSet, open: bool| Row {
        from: endpoint_text(a),
        to: endpoint_text(b),
        connections: conns.to_string(),
        open,
    };

    for (s, d, conns) in conn.class_pairs() {
        let open = !iso(*s).egress && !iso(*d).ingress;
        let (ms, md) = (members(*s, &from), members(*d, &to));
        if ms.is_empty()
            || md.is_empty()
            || !admit(open, ms.len() * md.len(), &mut out.omitted_open)
        {
            continue;
        }
        for a in &ms {
            for b in &md {
                out.rows.push(row(
                    &Endpoint::Workload((*a).clone()),
                    &Endpoint::Workload((*b).clone()),
                    conns,
                    open,
                ));
            }
        }
    }
    for (outgoing, maps) in [
        (true, conn.class_to_addresses()),
        (false, conn.class_from_addresses()),
    ] {
        for (c, map) in maps {
            let open = if outgoing {
                !iso(*c).egress
            } else {
                !iso(*c).ingress
            };
            let ws = members(*c, if outgoing { &from } else { &to });
            let segments: Vec<_> = map
                .segments()
                .iter()
                .filter(|(r, _)| wanted(if outgoing { &to } else { &from }, &Endpoint::Ip(*r)))
                .collect();
            if ws.is_empty()
                || segments.is_empty()
                || !admit(open, ws.len() * segments.len(), &mut out.omitted_open)
            {
                continue;
            }
            for w in &ws {
                let w = Endpoint::Workload((*w).clone());
                for (r, conns) in &segments {
                    let ip = Endpoint::Ip(*r);
                    out.rows.push(if outgoing {
                        row(&w, &ip, conns, open)
                    } else {
                        row(&ip, &w, conns, open)
                    });
                }
            }
        }
    }
    out.rows.sort();
    out
}

/// The peers of the posture an endpoint filter names: a workload, `namespace.NAME`,
/// `ingress-controller`, `cluster-dns`, or an address block.
pub fn parse_peer(p: &Posture, text: &str) -> Result<Peer, String> {
    if text == "ingress-controller" {
        return Ok(Peer::IngressController);
    }
    if text == "cluster-dns" {
        return Ok(Peer::ClusterDns);
    }
    if text == "mesh-control-plane" {
        return Ok(Peer::MeshControlPlane);
    }
    if let Some(ns) = text.strip_prefix("namespace.") {
        let n = Name::new(ns);
        return if p.namespaces.contains_key(&n)
            || p.target.ingress_controller.namespace == n
            || p.target.cluster_dns.namespace == n
            || p.target.mesh_control_plane.namespace == n
        {
            Ok(Peer::Namespace { name: n })
        } else {
            Err(format!("`{ns}` is not a declared namespace"))
        };
    }
    if text.contains('/') {
        return ir::Cidr::parse(text)
            .map(|cidr| Peer::Cidr {
                cidr,
                except: Vec::new(),
            })
            .map_err(|e| format!("`{text}` is not an address block: {e}"));
    }
    let n = Name::new(text);
    if p.workloads.contains_key(&n) {
        Ok(Peer::Workload { name: n })
    } else {
        let hint = diagnostics::did_you_mean(text, p.workloads.keys().map(Name::as_str))
            .map(|b| format!(" (did you mean `{b}`?)"))
            .unwrap_or_default();
        Err(format!(
            "`{text}` is not a workload, `namespace.NAME`, `ingress-controller`, `cluster-dns` or an address block{hint}"
        ))
    }
}

/// The footer line for omitted open rows, if any.
fn omitted_line(r: &Reach) -> Option<String> {
    (r.omitted_open > 0).then(|| {
        format!(
            "{} more rows where neither side is isolated (everything allowed) are not listed: narrow with --from/--to or raise --limit",
            r.omitted_open
        )
    })
}

/// A plain-text table.
pub fn table(r: &Reach) -> String {
    let head = ("FROM", "TO", "CONNECTIONS");
    let conns = |row: &Row| {
        if row.open {
            format!("{} (open)", row.connections)
        } else {
            row.connections.clone()
        }
    };
    let w0 = r
        .rows
        .iter()
        .map(|x| x.from.len())
        .chain([head.0.len()])
        .max()
        .unwrap_or(0);
    let w1 = r
        .rows
        .iter()
        .map(|x| x.to.len())
        .chain([head.1.len()])
        .max()
        .unwrap_or(0);
    let mut s = format!("{:w0$}  {:w1$}  {}\n", head.0, head.1, head.2);
    for row in &r.rows {
        s.push_str(&format!(
            "{:w0$}  {:w1$}  {}\n",
            row.from,
            row.to,
            conns(row)
        ));
    }
    if r.rows.iter().any(|x| x.open) {
        s.push_str("(open): neither side is isolated by a NetworkPolicy\n");
    }
    if let Some(line) = omitted_line(r) {
        s.push_str(&line);
        s.push('\n');
    }
    s
}

/// Pretty JSON: `{ "rows": [...], "omitted_open": N }`.
pub fn json(r: &Reach) -> String {
    emit::to_json(r)
}

/// A Graphviz digraph: one node per endpoint, one edge per row labelled with its connections.
pub fn dot(r: &Reach) -> String {
    let graph = Digraph {
        name: "reach".to_string(),
        comment: omitted_line(r),
        nodes: r
            .rows
            .iter()
            .flat_map(|x| [x.from.clone(), x.to.clone()])
            .collect(),
        edges: r
            .rows
            .iter()
            .map(|x| DotEdge {
                from: x.from.clone(),
                to: x.to.clone(),
                label: x.connections.clone(),
                dashed: x.open,
            })
            .collect(),
    };
    graph.print()
}

/// A tiny DOT model and its printer: every identifier is quoted and escaped.
struct Digraph {
    name: String,
    comment: Option<String>,
    nodes: BTreeSet<String>,
    edges: Vec<DotEdge>,
}

struct DotEdge {
    from: String,
    to: String,
    label: String,
    dashed: bool,
}

/// A DOT double-quoted string.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Digraph {
    fn print(&self) -> String {
        let mut s = format!("digraph {} {{\n", quoted(&self.name));
        if let Some(c) = &self.comment {
            s.push_str(&format!("  comment = {};\n", quoted(c)));
        }
        s.push_str("  node [shape = box];\n");
        for n in &self.nodes {
            s.push_str(&format!("  {};\n", quoted(n)));
        }
        for e in &self.edges {
            let style = if e.dashed { ", style = dashed" } else { "" };
            s.push_str(&format!(
                "  {} -> {} [label = {}{style}];\n",
                quoted(&e.from),
                quoted(&e.to),
                quoted(&e.label)
            ));
        }
        s.push_str("}\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_quotes_everything() {
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
        let r = Reach {
            rows: vec![Row {
                from: "a/b".into(),
                to: "10.0.0.0/8".into(),
                connections: "TCP 443".into(),
                open: false,
            }],
            omitted_open: 0,
        };
        let d = dot(&r);
        assert!(
            d.contains("\"a/b\" -> \"10.0.0.0/8\" [label = \"TCP 443\"];"),
            "{d}"
        );
        assert!(
            table(&r).contains("a/b   10.0.0.0/8  TCP 443"),
            "{}",
            table(&r)
        );
    }
}
