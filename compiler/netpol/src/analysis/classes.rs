//! Grouping workloads into equivalence classes by their selector signature.
//!
//! Every distinct scoped selector ("atom") is evaluated once, never per policy and pod pair:
//! on each workload of its namespaces when they hold few, else over all workloads at once
//! (with an index from labels to workloads, as bit sets). A workload's signature is the list
//! of selectors that match it plus how it resolves the named ports the policies use;
//! workloads with equal signatures are indistinguishable to every policy, so the analysis
//! works on classes.

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
    ids: HashMap<(NsScope, Option<Sel<'a>>), usize>,
    pub(crate) list: Vec<(NsScope, Option<&'a LabelSelector>)>,
    ns_selector_ids: HashMap<Sel<'a>, usize>,
    pub(crate) ns_selectors: Vec<&'a LabelSelector>,
}

/// A selector as a key of the atoms' tables: equal as the selectors are, hashed by one
/// number made from its labels' bytes ([`fingerprint`]) rather than string by string (the
/// policies name some 100,000 selectors at scale, mostly ones already seen).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Sel<'a>(&'a LabelSelector);

impl std::hash::Hash for Sel<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(fingerprint(self.0));
    }
}

/// A number from a selector's labels (and how many expressions it has): equal selectors
/// give equal numbers.
fn fingerprint(sel: &LabelSelector) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = sel.match_expressions.len() as u64;
    let mut mix = |x: u64| h = (h.rotate_left(5) ^ x).wrapping_mul(K);
    for (k, v) in sel.match_labels.iter() {
        for s in [k, v] {
            mix(s.len() as u64);
            let mut words = s.as_bytes().chunks_exact(8);
            for word in &mut words {
                mix(<[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes));
            }
            let tail = words
                .remainder()
                .iter()
                .rev()
                .fold(0, |w, b| (w << 8) | u64::from(*b));
            mix(tail);
        }
    }
    h
}

impl<'a> Atoms<'a> {
    pub(crate) fn ns_selector(&mut self, sel: &'a LabelSelector) -> usize {
        let next = self.ns_selectors.len();
        *self.ns_selector_ids.entry(Sel(sel)).or_insert_with(|| {
            self.ns_selectors.push(sel);
            next
        })
    }

    pub(crate) fn atom(&mut self, scope: NsScope, pods: Option<&'a LabelSelector>) -> usize {
        let next = self.list.len();
        *self.ids.entry((scope, pods.map(Sel))).or_insert_with(|| {
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
    classify_with(members, ns_labels, atoms, direct_limit(members.len()))
}

/// The most members an atom's namespaces may hold for [`classify_with`] to test the atom's
/// selector on each of them rather than on all members at once: about as many as cost what
/// the sets over all members cost (a copy and a pass over `n / 64` words per label, and a
/// look-up in the label index), at some 80 instructions a member. So 19 at 10,000 members
/// (a namespace holds about ten workloads), 7 at 2,000.
fn direct_limit(n: usize) -> usize {
    4 + n / 640
}

/// [`classify`], an atom whose namespaces hold at most `direct` members evaluated member by
/// member ([`LabelSelector::matches`]), the others over the [`LabelIndex`] as sets of all
/// members: the same matches either way (the tests compare the two).
fn classify_with(
    members: &[Member<'_>],
    ns_labels: &[Labels],
    atoms: &Atoms<'_>,
    direct: usize,
) -> Classes {
    let n = members.len();
    // Members per namespace, ascending.
    let mut in_ns: Vec<Vec<usize>> = vec![Vec::new(); ns_labels.len()];
    for (i, m) in members.iter().enumerate() {
        if let Some(list) = in_ns.get_mut(m.ns) {
            list.push(i);
        }
    }
    // Namespaces each namespace selector matches, each once. A selector with labels to match
    // looks only at the namespaces that have its first label (a selector per namespace name
    // would otherwise test every namespace).
    let mut ns_by_label: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
    for (ns, labels) in ns_labels.iter().enumerate() {
        for label in labels.iter() {
            ns_by_label.entry(label).or_default().push(ns);
        }
    }
    let ns_sel_namespaces: Vec<Vec<usize>> = atoms
        .ns_selectors
        .iter()
        .map(|sel| {
            let matches = |ns: &usize| ns_labels.get(*ns).is_some_and(|l| sel.matches(l));
            match sel.match_labels.first() {
                Some(label) => ns_by_label
                    .get(&label)
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                    .iter()
                    .copied()
                    .filter(matches)
                    .collect(),
                None => (0..ns_labels.len()).filter(matches).collect(),
            }
        })
        .collect();

    // Built only for the atoms too large to test member by member: the label index, the
    // members of each namespace and those of each namespace selector as sets.
    let mut index: Option<LabelIndex<'_>> = None;
    let mut by_ns: Option<Vec<BitSet>> = None;
    let mut ns_sel_members: Vec<Option<BitSet>> = vec![None; ns_sel_namespaces.len()];
    let mut member_atoms: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut scratch = BitSet::new(n);
    for (atom_id, (scope, pods)) in atoms.list.iter().enumerate() {
        let atom = u32::try_from(atom_id).unwrap_or(u32::MAX);
        let namespaces: &[usize] = match scope {
            NsScope::Exact(ns) => std::slice::from_ref(ns),
            NsScope::Selector(s) => ns_sel_namespaces.get(*s).map_or(&[], Vec::as_slice),
        };
        let in_scope = || {
            namespaces
                .iter()
                .flat_map(|ns| in_ns.get(*ns).map_or(&[][..], Vec::as_slice))
                .copied()
        };
        if in_scope().take(direct.saturating_add(1)).count() <= direct {
            // Each member is in one namespace, and each namespace is listed once: each
            // matching member gets the atom once, after the atoms before it.
            for m in in_scope() {
                let matched = match (pods, members.get(m)) {
                    (None, Some(_)) => true,
                    (Some(sel), Some(member)) => sel.matches(member.labels),
                    (_, None) => false,
                };
                if matched && let Some(list) = member_atoms.get_mut(m) {
                    list.push(atom);
                }
            }
            continue;
        }
        let by_ns = by_ns.get_or_insert_with(|| {
            in_ns
                .iter()
                .map(|list| {
                    let mut b = BitSet::new(n);
                    list.iter().for_each(|m| b.insert(*m));
                    b
                })
                .collect()
        });
        let mut set = match scope {
            NsScope::Exact(ns) => by_ns.get(*ns).cloned().unwrap_or_else(|| BitSet::new(n)),
            NsScope::Selector(s) => match ns_sel_members.get_mut(*s) {
                Some(slot) => slot
                    .get_or_insert_with(|| {
                        let mut b = BitSet::new(n);
                        for ns in namespaces {
                            if let Some(nb) = by_ns.get(*ns) {
                                b.union_with(nb);
                            }
                        }
                        b
                    })
                    .clone(),
                None => BitSet::new(n),
            },
        };
        if let Some(sel) = pods {
            let index = index.get_or_insert_with(|| LabelIndex::build(members));
            index.restrict(&mut set, sel, &mut scratch);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selector::LabelRequirement;
    use crate::selector::tests::labels;

    /// Equal selectors, wherever they are, are one atom (and one namespace selector);
    /// different ones, even with the same fingerprint, are not.
    #[test]
    fn atoms_are_kept_once() {
        let sel = |pairs: &[(&str, &str)]| {
            LabelSelector::from_labels(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        };
        let a = sel(&[("app", "svc-000011")]);
        let a2 = sel(&[("app", "svc-000011")]);
        let b = sel(&[("app", "svc-000012")]);
        let c = sel(&[("app", "svc-000011"), ("tier", "x")]);
        let mut d = sel(&[("app", "svc-000011")]);
        d.match_expressions.push(LabelRequirement {
            key: "k".to_string(),
            operator: SelectorOperator::Exists,
        });
        let mut e = d.clone();
        e.match_expressions[0].operator = SelectorOperator::DoesNotExist;
        assert_eq!(fingerprint(&a), fingerprint(&a2));
        assert_eq!(fingerprint(&d), fingerprint(&e));
        let mut atoms = Atoms::default();
        let ids: Vec<usize> = [&a, &a2, &b, &c, &d, &e, &a]
            .iter()
            .map(|s| atoms.atom(NsScope::Exact(0), Some(s)))
            .collect();
        assert_eq!(ids, [0, 0, 1, 2, 3, 4, 0]);
        assert_eq!(atoms.atom(NsScope::Exact(1), Some(&a2)), 5);
        assert_eq!(atoms.atom(NsScope::Exact(1), None), 6);
        assert_eq!(atoms.atom(NsScope::Exact(1), None), 6);
        let ns: Vec<usize> = [&a, &b, &a2, &d, &e, &e]
            .iter()
            .map(|s| atoms.ns_selector(s))
            .collect();
        assert_eq!(ns, [0, 1, 0, 2, 3, 3]);
        assert_eq!(atoms.atom(NsScope::Selector(0), Some(&a)), 7);
        assert_eq!(atoms.list.len(), 8);
        assert_eq!(atoms.ns_selectors.len(), 4);
    }

    /// Atoms tested member by member match what the label index matches over all members:
    /// the same classes, the same atoms' classes, on random members, namespaces and selectors
    /// of every operator, scoped to one namespace (known or not) or to a namespace selector
    /// matching none, one or many namespaces.
    #[test]
    fn member_by_member_matches_the_index() {
        let mut rng = synthetic::Rng::new(17);
        let keys = ["app", "tier", "team"];
        let values = ["a", "b", "c", ""];
        let random_labels = |rng: &mut synthetic::Rng| {
            let mut l = Labels::new();
            for k in keys {
                if rng.chance(2, 3) {
                    l.insert(k, *rng.pick(&values));
                }
            }
            l
        };
        for round in 0..40 {
            let n_ns = 1 + rng.below(6);
            let ns_labels: Vec<Labels> = (0..n_ns).map(|_| random_labels(&mut rng)).collect();
            let member_labels: Vec<Labels> = (0..rng.below(40))
                .map(|_| random_labels(&mut rng))
                .collect();
            let members: Vec<Member<'_>> = member_labels
                .iter()
                .map(|l| Member {
                    ns: rng.below(n_ns),
                    labels: l,
                    named: Vec::new(),
                    ingress_controller: false,
                })
                .collect();
            let mut selectors: Vec<LabelSelector> = vec![LabelSelector::everything()];
            for _ in 0..12 {
                let mut sel = LabelSelector::everything();
                if rng.chance(1, 2) {
                    sel.match_labels = labels(&[(*rng.pick(&keys), *rng.pick(&values))]);
                }
                if rng.chance(1, 2) {
                    let set = |rng: &mut synthetic::Rng| {
                        (0..1 + rng.below(2))
                            .map(|_| rng.pick(&values).to_string())
                            .collect::<BTreeSet<_>>()
                    };
                    let operator = match rng.below(4) {
                        0 => SelectorOperator::In(set(&mut rng)),
                        1 => SelectorOperator::NotIn(set(&mut rng)),
                        2 => SelectorOperator::Exists,
                        _ => SelectorOperator::DoesNotExist,
                    };
                    sel.match_expressions.push(LabelRequirement {
                        key: rng.pick(&keys).to_string(),
                        operator,
                    });
                }
                selectors.push(sel);
            }
            let mut atoms = Atoms::default();
            for _ in 0..30 {
                let pods = (!rng.chance(1, 5)).then(|| rng.pick(&selectors));
                let scope = match rng.below(3) {
                    0 => NsScope::Exact(rng.below(n_ns + 1)),
                    _ => NsScope::Selector(atoms.ns_selector(rng.pick(&selectors))),
                };
                atoms.atom(scope, pods);
            }
            let by_set = classify_with(&members, &ns_labels, &atoms, 0);
            for direct in [usize::MAX, 3, direct_limit(members.len())] {
                let by_member = classify_with(&members, &ns_labels, &atoms, direct);
                assert_eq!(by_member.class_of, by_set.class_of, "round {round}");
                assert_eq!(by_member.members, by_set.members, "round {round}");
                assert_eq!(by_member.atom_classes, by_set.atom_classes, "round {round}");
            }
            // Not every atom matches everything or nothing (else the test compares little).
            if round == 0 {
                assert!(by_set.atom_classes.iter().any(|c| !c.is_empty()));
            }
        }
    }
}
