//! Labels and label selectors with Kubernetes matching semantics (`matchLabels` and
//! `matchExpressions` with `In`, `NotIn`, `Exists`, `DoesNotExist`).

use smallvec::SmallVec;
use std::collections::BTreeSet;

/// A set of labels (key to value), sorted by key, each key once: a workload's or a
/// namespace's labels, and a selector's `matchLabels`.
///
/// A sorted list rather than a map: a set holds one or two labels, and the proof reads
/// some 150,000 selectors at scale, where a map's node (about half a kilobyte each) was most
/// of the proof's memory. A set of one label (most of them) is held in place, without a
/// vector of its own to allocate and free. Ordered, compared and hashed as the map was (by
/// its pairs in key order), and debugged and serialized as a map.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(SmallVec<[(String, String); 1]>);

impl Labels {
    /// No labels.
    pub fn new() -> Labels {
        Labels(SmallVec::new())
    }

    /// The pairs, sorted by key.
    fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.pairs().binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key)
            .ok()
            .and_then(|i| self.pairs().get(i))
            .map(|(_, v)| v.as_str())
    }

    /// Sets a label (replacing the value of a key already there).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        // Labels usually come in key order: then the new one goes last.
        if self.0.last().is_none_or(|(last, _)| *last < key) {
            self.0.push((key, value));
            return;
        }
        match self.position(&key) {
            Ok(i) => {
                if let Some(slot) = self.0.get_mut(i) {
                    slot.1 = value;
                }
            }
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    /// The labels, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The first label in key order.
    pub fn first(&self) -> Option<(&str, &str)> {
        self.pairs().first().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many labels there are.
    pub fn len(&self) -> usize {
        self.pairs().len()
    }

    /// True when there is no label.
    pub fn is_empty(&self) -> bool {
        self.pairs().is_empty()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<T: IntoIterator<Item = (String, String)>>(iter: T) -> Self {
        let mut l = Labels::new();
        for (k, v) in iter {
            l.insert(k, v);
        }
        l
    }
}

impl std::fmt::Debug for Labels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl serde::Serialize for Labels {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// The operator of one `matchExpressions` entry, with its values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum SelectorOperator {
    /// The key is present and its value is one of these.
    In(BTreeSet<String>),
    /// The key is absent, or its value is none of these.
    NotIn(BTreeSet<String>),
    /// The key is present.
    Exists,
    /// The key is absent.
    DoesNotExist,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LabelRequirement {
    /// The label key.
    pub key: String,
    /// The operator and its values.
    pub operator: SelectorOperator,
}

impl LabelRequirement {
    /// True when the labels satisfy the requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match &self.operator {
            SelectorOperator::In(vals) => value.is_some_and(|v| vals.contains(v)),
            SelectorOperator::NotIn(vals) => value.is_none_or(|v| !vals.contains(v)),
            SelectorOperator::Exists => value.is_some(),
            SelectorOperator::DoesNotExist => value.is_none(),
        }
    }
}

/// A label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LabelSelector {
    /// Labels that must be present with exactly these values.
    pub match_labels: Labels,
    /// Further requirements, all of which must hold.
    pub match_expressions: Vec<LabelRequirement>,
}

impl LabelSelector {
    /// The selector that matches everything (`{}`).
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    /// A selector from `matchLabels` alone.
    pub fn from_labels(labels: impl IntoIterator<Item = (String, String)>) -> LabelSelector {
        LabelSelector {
            match_labels: labels.into_iter().collect(),
            match_expressions: Vec::new(),
        }
    }

    /// True when this is `{}`.
    pub fn is_everything(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// True when the labels satisfy every requirement.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A label set from `(key, value)` pairs (the other modules' tests use it too).
    pub(crate) fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn operators() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        let req = |key: &str, operator| LabelRequirement {
            key: key.into(),
            operator,
        };
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert!(req("app", SelectorOperator::In(set(&["web", "db"]))).matches(&l));
        assert!(!req("app", SelectorOperator::NotIn(set(&["web"]))).matches(&l));
        assert!(req("missing", SelectorOperator::NotIn(set(&["web"]))).matches(&l));
        assert!(req("tier", SelectorOperator::Exists).matches(&l));
        assert!(req("missing", SelectorOperator::DoesNotExist).matches(&l));
        assert!(LabelSelector::everything().matches(&l));
        assert!(!LabelSelector::from_labels([("app".into(), "db".into())]).matches(&l));
    }

    /// Labels keep one value per key, sorted by key, whatever the order of insertion, and
    /// compare, order and print as the map they replaced.
    #[test]
    fn labels_are_a_sorted_map() {
        use std::collections::BTreeMap;
        let pairs = [
            ("b", "1"),
            ("a", "2"),
            ("c", "3"),
            ("a", "4"),
            ("b", "5"),
            ("0", "6"),
        ];
        let mut l = Labels::new();
        let mut m = BTreeMap::new();
        for (k, v) in pairs {
            l.insert(k, v);
            m.insert(k.to_string(), v.to_string());
            let want: Vec<(&str, &str)> = m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(l.iter().collect::<Vec<_>>(), want);
            assert_eq!(format!("{l:?}"), format!("{m:?}"));
            assert_eq!(l.len(), m.len());
            assert_eq!(hash(&l), hash(&m));
            assert_eq!(
                l,
                l.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            );
        }
        assert_eq!(l.get("a"), Some("4"));
        assert_eq!(l.get("z"), None);
        assert_eq!(l.first(), Some(("0", "6")));
        assert_eq!(
            serde_json::to_string(&l).ok(),
            serde_json::to_string(&m).ok()
        );
        let x = labels(&[("a", "1"), ("b", "2")]);
        let y = labels(&[("a", "1"), ("c", "0")]);
        let z = labels(&[("a", "1")]);
        assert!(x < y && z < x);
        // None, one label in place, and more, whichever way they were made, compare, order
        // and hash as their pairs do.
        let sets = [
            Labels::new(),
            labels(&[("a", "1")]),
            labels(&[("a", "0"), ("a", "1")]),
            labels(&[("a", "2")]),
            labels(&[("b", "1")]),
            x,
            y,
            labels(&[("c", "0"), ("a", "1")]),
            labels(&[("a", "1"), ("b", "2"), ("c", "3")]),
        ];
        for p in &sets {
            let pv: Vec<(&str, &str)> = p.iter().collect();
            for q in &sets {
                let qv: Vec<(&str, &str)> = q.iter().collect();
                assert_eq!(p.cmp(q), pv.cmp(&qv), "{p:?} {q:?}");
                assert_eq!(p == q, pv == qv, "{p:?} {q:?}");
                assert_eq!(p == q, hash(p) == hash(q), "{p:?} {q:?}");
            }
        }
        let one = labels(&[("a", "1")]);
        assert_eq!(one.get("a"), Some("1"));
        assert_eq!(one.get("b"), None);
        assert_eq!(one.first(), Some(("a", "1")));
        assert_eq!(Labels::new().first(), None);
        assert!(Labels::new().is_empty() && !one.is_empty());
    }

    fn hash(x: &impl std::hash::Hash) -> u64 {
        use std::hash::{DefaultHasher, Hasher};
        let mut h = DefaultHasher::new();
        x.hash(&mut h);
        h.finish()
    }
}
