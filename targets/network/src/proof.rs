//! The build's reachability proof: the emitted NetworkPolicies allow exactly the declared
//! flows, nothing more, nothing less.
//!
//! The proof shares nothing with the emitter but the posture. It reads the policy files back
//! from their bytes with the YAML loader of crate `netpol` (so it checks what is written, not
//! what the emitter meant), puts them in the cluster [`netpol::ir::cluster`] builds from the
//! declared workloads and built-in peers, runs the analysis, and compares the result with the
//! relation [`netpol::ir::declared`] derives from the intents. Any difference is an error,
//! P4008, and the build writes nothing.

use crate::POLICIES_DIR;
use diagnostics::codes::network::P4008;
use diagnostics::{Diagnostic, Span};
use emit::Artifact;
use ir::{Name, Posture};
use netpol::ir::{Index, Members};
use netpol::{AnalysisOptions, Cluster, Connectivity, Edge, Endpoint, IpRange, WorkloadId};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The proof's id, as `posture explain` and the control graph name it.
pub const ID: &str = "network-reachability-proof";

/// What the proof proves, in one line.
pub const TITLE: &str =
    "the emitted NetworkPolicies allow exactly the declared flows (reachability proof)";

/// How many flows one diagnostic lists before it says "and N more".
const FLOWS_PER_DIAGNOSTIC: usize = 10;
/// How many documents the proof reads back with one YAML parser run at most.
const CHUNK: usize = 1000;
/// How many diagnostics of each kind the proof reports at most.
const MAX_DIAGNOSTICS: usize = 20;

/// The cluster of a posture with the policies read back from the emitted files, analysed.
/// `Err` holds the P4008 diagnostics of files the loader rejects.
pub fn analyze(
    p: &Posture,
    artifacts: &[Artifact],
) -> Result<(Cluster, Connectivity), Vec<Diagnostic>> {
    // Each file is read back as one YAML stream (a file of the build's layout holds every
    // network object of a namespace); a file of more than CHUNK documents is read in parts,
    // since the YAML reader refuses streams of more than 1,024 documents.
    // The texts are borrowed from the artifacts (the writer writes UTF-8; anything else is
    // read as the lossy conversion gives it, as before).
    let policies: Vec<&Artifact> = artifacts.iter().filter(|a| reads(a)).collect();
    let texts: Vec<(String, Cow<'_, str>)> = policies
        .iter()
        .enumerate()
        .map(|(n, a)| {
            let text = match std::str::from_utf8(&a.bytes) {
                Ok(t) => Cow::Borrowed(t),
                Err(_) => String::from_utf8_lossy(&a.bytes),
            };
            (n.to_string(), text)
        })
        .collect();
    let mut sources: Vec<(&str, &str)> = Vec::with_capacity(texts.len());
    for (name, text) in &texts {
        for part in parts(text, CHUNK) {
            sources.push((name, part));
        }
    }
    let loaded = load_parallel(&sources).map_err(|errors| {
        errors
            .iter()
            .map(|e| {
                // Back from the source to the file.
                let file = e
                    .location
                    .source
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| policies.get(n));
                let span = file
                    .and_then(|a| a.origins.first())
                    .map(|o| o.span)
                    .unwrap_or(p.target.meta.span);
                let what = match &e.kind {
                    netpol::load::LoadErrorKind::Syntax(m) => m.clone(),
                    netpol::load::LoadErrorKind::Invalid { message, .. } => message.clone(),
                };
                let path = file.map(|a| a.path.as_str()).unwrap_or("network/policies");
                Diagnostic::spanned(
                    &P4008,
                    span,
                    format!("the emitted `{path}` cannot be read back: {what}"),
                )
                .with_note("this is a bug in posture's network target; please report it")
            })
            .collect::<Vec<_>>()
    })?;
    let mut cluster = netpol::ir::cluster(p);
    cluster.policies = loaded;
    let conn = netpol::analyze(&cluster, &AnalysisOptions::default());
    Ok((cluster, conn))
}

/// The policies of `sources`, read on as many threads as the machine has cores (each YAML
/// stream is independent), in source order; on this thread when there is one core.
fn load_parallel(
    sources: &[(&str, &str)],
) -> Result<Vec<netpol::NetworkPolicy>, Vec<netpol::load::LoadError>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    load_on(sources, threads)
}

/// [`load_parallel`] on `threads` threads.
fn load_on(
    sources: &[(&str, &str)],
    threads: usize,
) -> Result<Vec<netpol::NetworkPolicy>, Vec<netpol::load::LoadError>> {
    if threads <= 1 || sources.len() <= 1 {
        // One core: read on this thread (no thread, no second allocator heap to free from).
        return netpol::load::load_texts(sources.iter().copied()).map(|l| l.cluster.policies);
    }
    let per = sources.len().div_ceil(threads).max(1);
    let results: Vec<Result<netpol::load::Loaded, Vec<netpol::load::LoadError>>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = sources
                .chunks(per)
                .map(|part| scope.spawn(move || netpol::load::load_texts(part.iter().copied())))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(vec![netpol::load::LoadError {
                            location: netpol::load::Location {
                                source: String::new(),
                                document: 0,
                            },
                            kind: netpol::load::LoadErrorKind::Syntax(
                                "the reader stopped unexpectedly".to_string(),
                            ),
                        }])
                    })
                })
                .collect()
        });
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(l) => policies.extend(l.cluster.policies),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(policies)
    } else {
        Err(errors)
    }
}

/// True for the artifacts the proof reads back: this target's Kubernetes objects, one per
/// artifact as the target emits them (NetworkPolicies under [`POLICIES_DIR`]) or a namespace's
/// file of the build's layout ([`emit::layout`]), whose other kinds the loader skips.
fn reads(a: &Artifact) -> bool {
    a.target == crate::TARGET
        && a.applyable
        && (a.path.starts_with(POLICIES_DIR)
            || a.placement.is_some()
                && a.path
                    .strip_prefix(crate::TARGET.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|rest| !rest.contains('/')))
}

/// `text` cut at document markers (`---` lines, trailing whitespace allowed) into streams of at
/// most `max` documents. Only the candidates of a fast substring search are looked at, not
/// every line, and none when the text has too few dashes to hold `max` markers.
fn parts(text: &str, max: usize) -> Vec<&str> {
    // Every marker counted below has three dashes of its own: a text with fewer than `3 * max`
    // dashes is one part, known from a count the compiler vectorizes (at most 255 per block).
    let dashes: usize = text
        .as_bytes()
        .chunks(255)
        .map(|c| usize::from(c.iter().map(|b| u8::from(*b == b'-')).sum::<u8>()))
        .sum();
    if dashes < 3 * max {
        return vec![text];
    }
    let mut out = Vec::new();
    let (mut start, mut docs) = (0, 0);
    let candidates = std::iter::once(0).chain(text.match_indices("\n---").map(|(i, _)| i + 1));
    for at in candidates {
        let Some(rest) = text[at..].strip_prefix("---") else {
            continue;
        };
        let line = rest.split('\n').next().unwrap_or_default();
        if at <= start || !line.chars().all(char::is_whitespace) {
            continue;
        }
        docs += 1;
        if docs == max {
            out.push(&text[start..at]);
            start = at;
            docs = 0;
        }
    }
    out.push(&text[start..]);
    out
}

/// The artifacts the proof reads back and verifies (see [`reads`]), sorted.
pub fn verifies(artifacts: &[Artifact]) -> Vec<String> {
    let mut paths: Vec<String> = artifacts
        .iter()
        .filter(|a| reads(a))
        .map(|a| a.path.clone())
        .collect();
    paths.sort();
    paths
}

/// What [`analyze`] returns: the cluster with the policies read back and its connectivity, or
/// the P4008 diagnostics of files that cannot be read back.
pub type Analysis = Result<(Cluster, Connectivity), Vec<Diagnostic>>;

/// Runs the proof over the target's artifacts; no diagnostics when it holds.
pub fn prove(p: &Posture, artifacts: &[Artifact]) -> Vec<Diagnostic> {
    prove_analysis(p, &analyze(p, artifacts))
}

/// The proof over an analysis of the artifacts ([`analyze`]), made once and shared with
/// `posture reach` ([`crate::verify_keeping`]).
pub fn prove_analysis(p: &Posture, analysis: &Analysis) -> Vec<Diagnostic> {
    match analysis {
        Ok((_, conn)) => prove_connectivity(p, conn),
        Err(d) => d.clone(),
    }
}

/// The proof over an analysis already made by [`analyze`].
pub fn prove_connectivity(p: &Posture, conn: &Connectivity) -> Vec<Diagnostic> {
    let proof = netpol::ir::prove_posture(p, conn);
    if proof.holds() {
        return Vec::new();
    }
    let spans = Spans::new(p);
    let mut out = Vec::new();

    // Isolation, per namespace and direction.
    let mut by_ns: BTreeMap<(String, &'static str, bool), Vec<&WorkloadId>> = BTreeMap::new();
    for m in &proof.isolation {
        for (dir, want, got) in [
            ("ingress", m.declared.ingress, m.actual.ingress),
            ("egress", m.declared.egress, m.actual.egress),
        ] {
            if want != got {
                by_ns
                    .entry((m.workload.namespace.as_str().to_string(), dir, want))
                    .or_default()
                    .push(&m.workload);
            }
        }
    }
    for ((ns, dir, want), ids) in by_ns.into_iter().take(MAX_DIAGNOSTICS) {
        let names: Vec<String> = ids.iter().map(|w| w.name.to_string()).collect();
        let message = if want {
            format!(
                "the emitted NetworkPolicies do not isolate `{ns}` for {dir}, which the posture denies by default"
            )
        } else {
            format!(
                "the emitted NetworkPolicies isolate pods of `{ns}` for {dir}, which the posture leaves open"
            )
        };
        out.push(
            Diagnostic::spanned(&P4008, spans.namespace(&Name::new(&ns)), message)
                .with_note(format!("affected: {}", list(&names)))
                .with_note("this is a bug in posture's network target; please report it"),
        );
    }

    // Missing flows, grouped by the intent that declares them.
    let index = Index::new(p);
    let intents: Vec<(Members, Members, Span)> = p
        .network
        .intents
        .iter()
        .map(|i| (index.members(&i.from), index.members(&i.to), i.meta.span))
        .collect();
    let mut missing: BTreeMap<Span, Vec<&Edge>> = BTreeMap::new();
    for e in &proof.diff.missing {
        let span = intents
            .iter()
            .find(|(f, t, _)| netpol::ir::contains(f, &e.src) && netpol::ir::contains(t, &e.dst))
            .map(|(_, _, s)| *s)
            .unwrap_or_else(|| spans.endpoint(&e.src));
        missing.entry(span).or_default().push(e);
    }
    let n_missing = missing.len();
    for (span, edges) in missing.into_iter().take(MAX_DIAGNOSTICS) {
        out.push(flows(
            Diagnostic::spanned(
                &P4008,
                span,
                "the emitted NetworkPolicies block a declared flow",
            )
            .with_label("declared here"),
            "missing",
            &edges,
        ));
    }

    // Extra flows, grouped by the endpoint they reach (or leave, towards addresses).
    let mut extra: BTreeMap<Span, Vec<&Edge>> = BTreeMap::new();
    for e in &proof.diff.extra {
        let at = match &e.dst {
            Endpoint::Ip(_) => &e.src,
            dst => dst,
        };
        extra.entry(spans.endpoint(at)).or_default().push(e);
    }
    let n_extra = extra.len();
    for (span, edges) in extra.into_iter().take(MAX_DIAGNOSTICS) {
        out.push(flows(
            Diagnostic::spanned(
                &P4008,
                span,
                "the emitted NetworkPolicies allow flows that no intent declares",
            )
            .with_label(label_of(at_of(edges.first().copied())))
            .with_help("if two workloads' selectors overlap, the policies of one select the other's pods too: make the selectors distinct"),
            "extra",
            &edges,
        ));
    }
    let left = n_missing.saturating_sub(MAX_DIAGNOSTICS) + n_extra.saturating_sub(MAX_DIAGNOSTICS);
    if left > 0
        && let Some(last) = out.last_mut()
    {
        last.notes.push(format!(
            "{left} more places differ; the first {MAX_DIAGNOSTICS} of each kind are shown"
        ));
    }
    out
}

/// The endpoint an extra flow is reported at.
fn at_of(e: Option<&Edge>) -> Option<&Endpoint> {
    e.map(|e| match &e.dst {
        Endpoint::Ip(_) => &e.src,
        dst => dst,
    })
}

fn label_of(e: Option<&Endpoint>) -> String {
    match e {
        Some(Endpoint::Workload(w)) => format!("`{}` is reached by these flows", w.name),
        _ => "these flows are not declared".to_string(),
    }
}

fn list(names: &[String]) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(FLOWS_PER_DIAGNOSTIC)
        .map(|n| format!("`{n}`"))
        .collect();
    let more = names.len().saturating_sub(FLOWS_PER_DIAGNOSTIC);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn flows(mut d: Diagnostic, what: &str, edges: &[&Edge]) -> Diagnostic {
    for e in edges.iter().take(FLOWS_PER_DIAGNOSTIC) {
        d = d.with_note(format!("{what}: {}", edge_text(e)));
    }
    let more = edges.len().saturating_sub(FLOWS_PER_DIAGNOSTIC);
    if more > 0 {
        d = d.with_note(format!("and {more} more"));
    }
    d
}

/// `ns/name => ns/name : TCP 8000`, with address ranges as CIDRs where they are blocks.
pub fn edge_text(e: &Edge) -> String {
    format!(
        "{} => {} : {}",
        endpoint_text(&e.src),
        endpoint_text(&e.dst),
        e.conns
    )
}

/// An endpoint as people read it: `namespace/name`, or addresses as CIDRs.
pub fn endpoint_text(e: &Endpoint) -> String {
    match e {
        Endpoint::Workload(w) => format!("{}/{}", w.namespace, w.name),
        Endpoint::IngressController => netpol::ir::INGRESS_CONTROLLER.to_string(),
        Endpoint::Ip(r) => range_text(r),
    }
}

/// A range as the CIDR blocks it is made of (at most eight), else `first-last`.
pub fn range_text(r: &IpRange) -> String {
    let blocks = range_cidrs(r);
    if blocks.len() > 8 {
        r.to_string()
    } else {
        blocks.join(", ")
    }
}

/// The CIDR blocks a range is made of, largest first from its start.
pub fn range_cidrs(r: &IpRange) -> Vec<String> {
    let mut blocks = Vec::new();
    let bits: u32 = if r.family() == netpol::IpFamily::V4 {
        32
    } else {
        128
    };
    let (mut start, end) = (r.start(), r.end());
    loop {
        // The largest aligned block starting at `start` that stays inside the range.
        let mut size_bits = if start == 0 {
            bits
        } else {
            start.trailing_zeros().min(bits)
        };
        while size_bits > 0 {
            let last = if size_bits >= 128 {
                u128::MAX
            } else {
                start.saturating_add((1u128 << size_bits) - 1)
            };
            if last <= end {
                break;
            }
            size_bits -= 1;
        }
        blocks.push((start, bits - size_bits));
        let last = if size_bits >= 128 {
            u128::MAX
        } else {
            start + ((1u128 << size_bits) - 1)
        };
        if last >= end {
            break;
        }
        start = last + 1;
    }
    blocks
        .into_iter()
        .filter_map(|(s, prefix)| {
            IpRange::new(r.family(), s, s).map(|a| format!("{}/{prefix}", a.first_addr()))
        })
        .collect()
}

/// Where the posture declares things, for the proof's diagnostics.
struct Spans<'p> {
    p: &'p Posture,
}

impl<'p> Spans<'p> {
    fn new(p: &'p Posture) -> Spans<'p> {
        Spans { p }
    }

    /// The default deny that covers a namespace, else its declaration, else the target.
    fn namespace(&self, ns: &Name) -> Span {
        self.p
            .network
            .default_deny
            .iter()
            .find(|d| &d.namespace == ns)
            .map(|d| d.meta.span)
            .or_else(|| self.p.namespaces.get(ns).map(|n| n.meta.span))
            .unwrap_or(self.p.target.meta.span)
    }

    /// A workload's declaration (its keyword: the item spans many lines); the `target` block
    /// for built-in peers and addresses.
    fn endpoint(&self, e: &Endpoint) -> Span {
        let keyword = |span: Span, word: &str| Span {
            end: span.start.saturating_add(word.len() as u32).min(span.end),
            ..span
        };
        match e {
            Endpoint::Workload(w) if w.kind.as_str() == netpol::ir::WORKLOAD_KIND => self
                .p
                .workloads
                .get(w.name.as_str())
                .map(|w| keyword(w.meta.span, "workload"))
                .unwrap_or(keyword(self.p.target.meta.span, "target")),
            _ => keyword(self.p.target.meta.span, "target"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> IpRange {
        netpol::Cidr::parse(s).expect("cidr").range()
    }

    #[test]
    fn long_streams_are_read_in_parts() {
        let text = "a: 1\n---\nb: 2\n---\nc: 3\n";
        assert_eq!(parts(text, 1000), [text]);
        assert_eq!(parts(text, 2), ["a: 1\n---\nb: 2\n", "---\nc: 3\n"]);
        assert_eq!(parts(text, 1), ["a: 1\n", "---\nb: 2\n", "---\nc: 3\n"]);
        assert_eq!(parts("", 2), [""]);
        // Too few dashes for `max` markers: one part, without a search.
        assert_eq!(parts("a: -\n---\nb: 2\n", 1), ["a: -\n", "---\nb: 2\n"]);
        assert_eq!(parts("a: -\n---\nb: 2\n", 2), ["a: -\n---\nb: 2\n"]);
        let many = "x: 1\n---\n".repeat(5);
        assert_eq!(parts(&many, 5).len(), 2);
        assert_eq!(parts(&many, 6), [many.as_str()]);
        // Only whole `---` lines (trailing whitespace allowed) separate documents.
        let odd = "---\na: 1\n--- \nb: ---\n----\n ---\n---x\n---\t\nc: 3\n---";
        assert_eq!(
            parts(odd, 1),
            [
                "---\na: 1\n",
                "--- \nb: ---\n----\n ---\n---x\n",
                "---\t\nc: 3\n",
                "---"
            ]
        );
        assert_eq!(
            parts(odd, 3),
            [
                "---\na: 1\n--- \nb: ---\n----\n ---\n---x\n---\t\nc: 3\n",
                "---"
            ]
        );
    }

    /// One thread reads what several read: the same policies in the same order, the same
    /// errors.
    #[test]
    fn one_thread_reads_as_several() {
        let policy = |ns: &str, name: &str| {
            format!(
                "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels:\n      app: {name}\n  policyTypes:\n  - Ingress\n"
            )
        };
        let texts = [
            format!("{}---\n{}", policy("a", "p"), policy("a", "q")),
            policy("b", "p"),
            format!("{}---\n{}", policy("c", "r"), policy("c", "p")),
        ];
        let names = ["0", "1", "2"];
        let sources: Vec<(&str, &str)> = names
            .iter()
            .zip(&texts)
            .map(|(n, t)| (*n, t.as_str()))
            .collect();
        let one = load_on(&sources, 1).expect("read");
        assert_eq!(one.len(), 5);
        assert_eq!(load_on(&sources, 3).ok(), Some(one.clone()));
        assert_eq!(
            load_on(&sources[..1], 1).ok(),
            load_on(&sources[..1], 2).ok()
        );
        // A file the loader rejects (a port out of range) is an error either way.
        let bad = "kind: NetworkPolicy\nmetadata:\n  name: x\nspec:\n  ingress:\n  - ports:\n    - port: 70000\n";
        let with_bad = [sources[0], ("3", bad), sources[1]];
        let errors = load_on(&with_bad, 1).err().unwrap_or_default();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].location.source, "3");
        assert_eq!(load_on(&with_bad, 3).err(), Some(errors));
    }

    #[test]
    fn ranges_read_as_cidrs() {
        assert_eq!(range_text(&r("10.20.0.0/16")), "10.20.0.0/16");
        assert_eq!(range_text(&r("0.0.0.0/0")), "0.0.0.0/0");
        assert_eq!(range_text(&r("::/0")), "::/0");
        let two = IpRange::new(
            netpol::IpFamily::V4,
            r("10.0.0.0/24").start(),
            r("10.0.1.0/25").end(),
        )
        .expect("range");
        assert_eq!(range_text(&two), "10.0.0.0/24, 10.0.1.0/25");
    }
}
