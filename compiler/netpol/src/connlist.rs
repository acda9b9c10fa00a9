//! np-guard netpol-analyzer's `connlist` text format (v1.4.4), for comparing with its golden
//! outputs and for people used to it.
//!
//! One line per ordered pair, `src => dst : conns`, sorted by source then destination text;
//! a workload's connections to itself are left out, and address ranges are the address space
//! cut at every `ipBlock` boundary of ingress rules (for sources) or egress rules (for
//! destinations), one line per elementary range.

use crate::analysis::Connectivity;
use crate::ip::IpRange;
use crate::ports::ConnSet;
use crate::relation::{Edge, Endpoint, IpConnMap};

/// The connlist lines of a result, sorted as np-guard sorts them.
pub fn connlist_edges(conn: &Connectivity) -> Vec<Edge> {
    let classes = conn.classes();
    let members = |c: u32| classes.get(c as usize).map(Vec::as_slice).unwrap_or(&[]);
    let mut edges = Vec::new();
    for (s, d, conns) in conn.class_pairs() {
        for a in members(*s) {
            for b in members(*d) {
                if a != b {
                    edges.push(Edge {
                        src: Endpoint::Workload(a.clone()),
                        dst: Endpoint::Workload(b.clone()),
                        conns: conns.clone(),
                    });
                }
            }
        }
    }
    for (d, map) in conn.class_from_addresses() {
        for (range, conns) in split(map, conn.source_ranges()) {
            for b in members(*d) {
                edges.push(Edge {
                    src: Endpoint::Ip(range),
                    dst: Endpoint::Workload(b.clone()),
                    conns: conns.clone(),
                });
            }
        }
    }
    for (s, map) in conn.class_to_addresses() {
        for (range, conns) in split(map, conn.destination_ranges()) {
            for a in members(*s) {
                edges.push(Edge {
                    src: Endpoint::Workload(a.clone()),
                    dst: Endpoint::Ip(range),
                    conns: conns.clone(),
                });
            }
        }
    }
    for (w, conns) in conn.ingress_controller() {
        edges.push(Edge {
            src: Endpoint::IngressController,
            dst: Endpoint::Workload(w.clone()),
            conns: conns.clone(),
        });
    }
    let mut keyed: Vec<(String, String, Edge)> = edges
        .into_iter()
        .map(|e| (e.src.to_string(), e.dst.to_string(), e))
        .collect();
    keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// The connlist text: one `src => dst : conns` line per edge.
pub fn connlist_text(conn: &Connectivity) -> String {
    let mut out = String::new();
    for e in connlist_edges(conn) {
        out.push_str(&e.to_string());
        out.push('\n');
    }
    out
}

/// The value of `map` on each of `ranges` (which refine the map's cuts), skipping empty ones.
fn split(map: &IpConnMap, ranges: &[IpRange]) -> Vec<(IpRange, ConnSet)> {
    let segs = map.segments();
    let mut out = Vec::new();
    let mut i = 0;
    for r in ranges {
        while let Some((seg, _)) = segs.get(i) {
            if (seg.family(), seg.end()) < (r.family(), r.start()) {
                i += 1;
            } else {
                break;
            }
        }
        if let Some((seg, c)) = segs.get(i)
            && seg.contains(r)
        {
            out.push((*r, c.clone()));
        }
    }
    out
}
