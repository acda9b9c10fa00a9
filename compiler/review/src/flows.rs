//! Flows that become allowed or denied: the reachability analysis the build's proof runs
//! (`network::proof::analyze`, over the NetworkPolicies read back from the emitted bytes),
//! once per revision, and the two allowed relations compared at the granularity of ports and
//! address ranges ([`netpol::Relation::diff`]).

use crate::{Flow, Flows, SourceSide, location};
use diagnostics::Diagnostic;
use ir::Posture;
use netpol::ir::{Index, Members};
use netpol::{Edge, Relation};

/// The flows the new revision allows that the old one does not, and the reverse.
pub(crate) fn compare(
    op: &Posture,
    old: &SourceSide<'_>,
    np: &Posture,
    new: &SourceSide<'_>,
) -> Result<Flows, Vec<Diagnostic>> {
    let before = relation(op, &old.build.artifacts)?;
    let after = relation(np, &new.build.artifacts)?;
    let diff = after.diff(&before);
    let new_intents = Intents::new(np, new.sources);
    let old_intents = Intents::new(op, old.sources);
    let mut flows = Flows {
        allowed: diff.extra.iter().map(|e| flow(e, &new_intents)).collect(),
        denied: diff.missing.iter().map(|e| flow(e, &old_intents)).collect(),
    };
    flows.allowed.sort();
    flows.denied.sort();
    Ok(flows)
}

/// The relation the emitted NetworkPolicies of a revision allow.
fn relation(p: &Posture, artifacts: &[emit::Artifact]) -> Result<Relation, Vec<Diagnostic>> {
    let (_, conn) = network::proof::analyze(p, artifacts)?;
    Ok(conn.relation())
}

fn flow(e: &Edge, intents: &Intents<'_>) -> Flow {
    Flow {
        from: network::proof::endpoint_text(&e.src),
        to: network::proof::endpoint_text(&e.dst),
        connections: e.conns.to_string(),
        at: intents.declaring(e),
    }
}

/// A revision's intents with their endpoints' members, to find the one that declares a flow.
struct Intents<'a> {
    list: Vec<(Members, Members, netpol::ConnSet, ir::Span)>,
    sources: &'a diagnostics::Sources,
}

impl<'a> Intents<'a> {
    fn new(p: &Posture, sources: &'a diagnostics::Sources) -> Intents<'a> {
        let index = Index::new(p);
        let list = p
            .network
            .intents
            .iter()
            .map(|i| {
                (
                    index.members(&i.from),
                    index.members(&i.to),
                    netpol::ir::intent_conns(i),
                    i.meta.span,
                )
            })
            .collect();
        Intents { list, sources }
    }

    /// The first intent (in declaration order) whose ends hold the flow's ends and whose
    /// connections meet the flow's; else the first whose ends do.
    fn declaring(&self, e: &Edge) -> Option<crate::Location> {
        let ends = |f: &Members, t: &Members| {
            netpol::ir::contains(f, &e.src) && netpol::ir::contains(t, &e.dst)
        };
        self.list
            .iter()
            .find(|(f, t, c, _)| ends(f, t) && !c.intersect(&e.conns).is_empty())
            .or_else(|| self.list.iter().find(|(f, t, _, _)| ends(f, t)))
            .and_then(|(_, _, _, span)| location(self.sources, *span))
    }
}
