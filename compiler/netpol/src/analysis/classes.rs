//! Grouping workloads into equivalence classes by their selector signature.
//!
//! Every selector that can tell workloads apart is evaluated once over all workloads at once
//! (with an index from labels to workloads, as bit sets), never per policy and pod pair. A
//! workload's signature is the list of selectors that match it plus how it resolves the named
//! ports the policies use; workloads with equal signatures are indistinguishable to every
//! policy, so the analysis works on classes.

use std::collections::BTreeSet;

use crate::fxhash::FxHashMap as HashMap;

use super::bitset::BitSet;
use crate::ports::Protocol;
use crate::selector::{LabelSelector, Labels, SelectorOperator};

/// Which namespaces a scoped selector looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum NsScope {
    /// Exactly one namespace (a `podSelector` alone, or a policy's own selection).
    Exact(usize),
    /// The namespaces matched by the namespace selector with this index.
    Selector(usize),
}

/// One pod (class) as the classifier sees it.
pub(crate) struct Member<'a> {
    pub(crate) ns: usize,
    pub(crate) labels: &'a Labels,
    /// Resolution of each relevant named port: `(protocol, number)` per container port name.
    pub(crate) named: Vec<(&'a str, Protocol, u16)>,
    pub(crate) ingress_controller: bool,
}

/// The distinct scoped selectors ("atoms") the policies use.
#[derive(Default)]
pub(crate) struct Atoms<'a> {
    ids: HashMap<(NsScope, Option<&'a LabelSelector>), usize>,
    pub(crate) list: Vec<(NsScope, Option<&'a LabelSelector>)>,
    ns_selector_ids: HashMap<&'a LabelSelector, usize>,
    pub(crate) ns_selectors: Vec<&'a LabelSelector>,
}

impl<'a> Atoms<'a> {
    pub(crate) fn ns_selector(&mut self, sel: &'a LabelSelector) -> usize {
        let next = self.ns_selectors.len();
        *self.ns_selector_ids.entry(sel).or_insert_with(|| {
            self.ns_selectors.push(sel);
            next
        })
    }

    pub(crate) fn atom(&mut self, scope: NsScope, pods: Option<&'a LabelSelector>) -> usize {
        let next = self.list.len();
        *self.ids.entry((scope, pods)).or_insert_with(|| {
            self.list.push((scope, pods));
            next
        })
    }
}

/// Label index: key to (members having the key, value to members having that value).
struct LabelIndex<'a> {
    keys: HashMap<&'a str, (BitSet, HashMap<&'a str, BitSet>)>,
}

impl<'a> LabelIndex<'a> {
    fn build(members: &[Member<'a>]) -> LabelIndex<'a> {
        let n = members.len();
        let mut keys: HashMap<&'a str, (BitSet, HashMap<&'a str, BitSet>)> = HashMap::default();
        for (i, m) in members.iter().enumerate() {
            for (k, v) in m.labels.iter() {
                let entry = keys
                    .entry(k)
                    .or_insert_with(|| (BitSet::new(n), HashMap::default()));
                entry.0.insert(i);
                entry.1.entry(v).or_insert_with(|| BitSet::new(n)).insert(i);
            }
        }
        LabelIndex { keys }
    }

    fn with_value(&self, key: &str, value: &str) -> Option<&BitSet> {
        self.keys.get(key).and_then(|(_, vals)| vals.get(value))
    }

    fn with_key(&self, key: &str) -> Option<&BitSet> {
        self.keys.get(key).map(|(any, _)| any)
    }

    /// Narrows `set` to the members the selector matches.
    fn restrict(&self, set: &mut BitSet, sel: &LabelSelector, scratch: &mut BitSet) {
        for (k, v) in sel.match_labels.iter() {
            match self.with_value(k, v) {
                Some(b) => set.intersect_with(b),
                None => set.clear(),
            }
        }
        for req in &sel.match_expressions {
            match &req.operator {
                SelectorOperator::In(vals) | SelectorOperator::NotIn(vals) => {
                    scratch.clear();
                    for v in vals {
                        if let Some(b) = self.with_value(&req.key, v) {
                            scratch.union_with(b);
                        }
                    }
                    if matches!(req.operator, SelectorOperator::In(_)) {
                        set.intersect_with(scratch);
                    } else {
                        set.subtract(scratch);
                    }
                }
                SelectorOperator::Exists => match self.with_key(&req.key) {
                    Some(b) => set.intersect_with(b),
                    None => set.clear(),
                },
                SelectorOperator::DoesNotExist => {
                    if let Some(b) = self.with_key(&req.key) {
                        set.subtract(b);
                    }
                }
            }
            if set.is_empty() {
                return;
            }
        }
    }
}

/// The result of classification.
pub(crate) struct Classes {
    /// Class of each member.
    pub(crate) class_of: Vec<u32>,
    /// Members of each class, ascending.
    pub(crate) members: Vec<Vec<usize>>,
    /// Classes each atom matches, ascending.
    pub(crate) atom_classes: Vec<Vec<u32>>,
}

/// Evaluates every atom and groups members by signature.
pub(crate) fn classify(members: &[Member<'_>], ns_labels: &[Labels], atoms: &Atoms<'_>) -> Classes {
    let n = members.len();
    let index = LabelIndex::build(members);
    let mut by_ns: Vec<BitSet> = vec![BitSet::new(n); ns_labels.len()];
    for (i, m) in members.iter().enumerate() {
        if let Some(b) = by_ns.get_mut(m.ns) {
            b.insert(i);
        }
    }
    // Namespaces each namespace selector matches, as a member set. A selector with labels to
    // match looks only at the namespaces that have its first label (a selector per namespace
    // name would otherwise test every namespace).
    let mut ns_by_label: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
    for (ns, labels) in ns_labels.iter().enumerate() {
        for label in labels.iter() {
            ns_by_label.entry(label).or_default().push(ns);
        }
    }
    let ns_sel_members: Vec<BitSet> = atoms
        .ns_selectors
        .iter()
        .map(|sel| {
            let mut b = BitSet::new(n);
            let mut add = |ns: usize| {
                if ns_labels.get(ns).is_some_and(|l| sel.matches(l))
                    && let Some(nb) = by_ns.get(ns)
                {
                    b.union_with(nb);
                }
            };
            match sel.match_labels.first() {
                Some(label) => {
                    for &ns in ns_by_label.get(&label).map(Vec::as_slice).unwrap_or(&[]) {
                        add(ns);
                    }
                }
                None => (0..ns_labels.len()).for_each(add),
            }
            b
        })
        .collect();

    let mut member_atoms: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut scratch = BitSet::new(n);
    for (atom_id, (scope, pods)) in atoms.list.iter().enumerate() {
        let mut set = match scope {
            NsScope::Exact(ns) => by_ns.get(*ns).cloned().unwrap_or_else(|| BitSet::new(n)),
            NsScope::Selector(s) => ns_sel_members
                .get(*s)
                .cloned()
                .unwrap_or_else(|| BitSet::new(n)),
        };
        if let Some(sel) = pods {
            index.restrict(&mut set, sel, &mut scratch);
        }
        let atom = u32::try_from(atom_id).unwrap_or(u32::MAX);
        for m in set.iter() {
            if let Some(list) = member_atoms.get_mut(m) {
                list.push(atom);
            }
        }
    }

    // Signature: matched atoms, named-port resolutions, ingress-controller flag.
    type Signature<'s> = (Vec<u32>, Vec<(&'s str, Protocol, u16)>, bool);
    let mut ids: HashMap<Signature<'_>, u32> = HashMap::default();
    let mut class_of = Vec::with_capacity(n);
    let mut class_members: Vec<Vec<usize>> = Vec::new();
    for (i, (m, atoms_of)) in members.iter().zip(member_atoms.iter()).enumerate() {
        let sig: Signature<'_> = (atoms_of.clone(), m.named.clone(), m.ingress_controller);
        let next = u32::try_from(class_members.len()).unwrap_or(u32::MAX);
        let id = *ids.entry(sig).or_insert(next);
        if id == next {
            class_members.push(Vec::new());
        }
        if let Some(list) = class_members.get_mut(id as usize) {
            list.push(i);
        }
        class_of.push(id);
    }

    let mut atom_classes: Vec<Vec<u32>> = vec![Vec::new(); atoms.list.len()];
    for (class, mems) in class_members.iter().enumerate() {
        let Some(&rep) = mems.first() else { continue };
        let class = u32::try_from(class).unwrap_or(u32::MAX);
        for &a in member_atoms.get(rep).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(list) = atom_classes.get_mut(a as usize) {
                list.push(class);
            }
        }
    }
    Classes {
        class_of,
        members: class_members,
        atom_classes,
    }
}

/// Named ports per member, restricted to the names the policies use, sorted by name.
pub(crate) fn relevant_named_ports<'a>(
    ports: &'a [crate::model::ContainerPort],
    relevant: &BTreeSet<&str>,
) -> Vec<(&'a str, Protocol, u16)> {
    let mut out: Vec<(&'a str, Protocol, u16)> = ports
        .iter()
        .filter_map(|p| {
            let name = p.name.as_ref()?.as_str();
            relevant
                .contains(name)
                .then_some((name, p.protocol, p.number.get()))
        })
        .collect();
    out.sort();
    out
}
