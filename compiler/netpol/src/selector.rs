//! Labels and label selectors with Kubernetes matching semantics (`matchLabels` and
//! `matchExpressions` with `In`, `NotIn`, `Exists`, `DoesNotExist`).

use std::collections::{BTreeMap, BTreeSet};

/// A set of labels (key to value), sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    /// No labels.
    pub fn new() -> Labels {
        Labels(BTreeMap::new())
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Sets a label.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    /// The labels, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when there is no label.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<T: IntoIterator<Item = (String, String)>>(iter: T) -> Self {
        Labels(iter.into_iter().collect())
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
    pub match_labels: BTreeMap<String, String>,
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
            .all(|(k, v)| labels.get(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
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
}
