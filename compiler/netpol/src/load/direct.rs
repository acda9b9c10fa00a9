//! The subset reader's documents ([`Node`]s) straight into the loader's typed shapes
//! ([`fast::Doc`], [`raw`]) and a NetworkPolicy's spec straight into the model
//! ([`PolicyParts`]), without serde: the conversion through serde's visitors (and through a
//! [`serde_json::Value`] for every leaf field, [`raw::strict`]) and then into the model was
//! most of the proof's read-back at scale.
//!
//! It reads a document only when it certainly gives what `fast::Doc::deserialize(De(node))`
//! and then [`super::policy`] give: the shapes posture's NetworkPolicies and Namespaces have
//! (strings where the shapes take strings, integers where they take numbers, mappings where
//! they take structs, unknown keys skipped) and a policy the loader accepts. On anything else
//! (a kind whose spec it does not read, an integer where a string goes, a sequence where a
//! struct goes, `ownerReferences`, a `List`, an invalid selector, port or CIDR…) it returns
//! `None` and the loader converts that document through serde as before, so warnings and
//! errors are that path's. The differential tests (`subset_tests.rs`, whose every input also
//! compares this conversion with serde's, and `tests/subset_corpora.rs`) compare the loaded
//! model with serde-saphyr's.

use std::collections::BTreeMap;

use serde_json::Value;

use super::subset::Node;
use super::{fast, raw};
use crate::ip::Cidr;
use crate::model::{
    IpBlock, NamespaceName, NetworkPolicy, ObjectName, PolicyPeer, PolicyPort, PolicyRule,
    PolicyTypes, PortName, PortSpec,
};
use crate::ports::{PortNumber, Protocol};
use crate::selector::{LabelRequirement, LabelSelector, SelectorOperator};

/// A document as [`fast::Doc`], or `None` when this conversion does not read it.
pub(super) fn doc(node: &Node<'_>) -> Option<fast::Doc> {
    let Node::Map(entries) = node else {
        return None;
    };
    let mut kind: Option<Option<String>> = None;
    let mut metadata: Option<raw::Meta> = None;
    let mut spec: Option<fast::Spec> = None;
    for (key, value) in entries {
        match key.as_ref() {
            "kind" => {
                if kind.is_some() {
                    return None;
                }
                let k = match value {
                    Node::Str(s) => Some(s.to_string()),
                    _ => None,
                };
                if k.as_deref().is_some_and(|k| k.ends_with("List")) {
                    return None;
                }
                kind = Some(k);
            }
            "metadata" => {
                if metadata.is_some() {
                    return None;
                }
                metadata = Some(meta(value)?);
            }
            "spec" => {
                if spec.is_some() {
                    return None;
                }
                spec = Some(match kind.as_ref()?.as_deref() {
                    Some("NetworkPolicy") => fast::Spec::Model(policy_parts(value)?),
                    // Kinds whose spec the loader reads, but not this conversion: the
                    // loader's own list (`super::READ_KINDS`; a Namespace's spec is not read),
                    // so a kind it learns is never skipped here.
                    Some(k) if k != "Namespace" && super::READ_KINDS.contains(&k) => return None,
                    _ => fast::Spec::Absent,
                });
            }
            "items" => return None,
            _ => {}
        }
    }
    Some(fast::Doc {
        kind: kind.flatten(),
        metadata: metadata.unwrap_or_default(),
        spec: spec.unwrap_or(fast::Spec::Absent),
    })
}

/// The entries of a mapping node.
fn map<'n, 'a>(node: &'n Node<'a>) -> Option<&'n [(std::borrow::Cow<'a, str>, Node<'a>)]> {
    match node {
        Node::Map(entries) => Some(entries),
        _ => None,
    }
}

/// The items of a sequence node.
fn seq<'n, 'a>(node: &'n Node<'a>) -> Option<&'n [Node<'a>]> {
    match node {
        Node::Seq(items) => Some(items),
        _ => None,
    }
}

fn string(node: &Node<'_>) -> Option<String> {
    match node {
        Node::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

fn strings(node: &Node<'_>) -> Option<Vec<String>> {
    seq(node)?.iter().map(string).collect()
}

fn int(node: &Node<'_>) -> Option<i64> {
    match node {
        Node::Int(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// A node as the [`Value`] serde-saphyr gives for it.
fn value(node: &Node<'_>) -> Value {
    match node {
        Node::Str(s) => Value::String(s.to_string()),
        Node::Int(n) => Value::Number((*n).into()),
        Node::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), value(v)))
                .collect(),
        ),
        Node::Seq(items) => Value::Array(items.iter().map(value).collect()),
    }
}

fn value_map(node: &Node<'_>) -> Option<BTreeMap<String, Value>> {
    Some(
        map(node)?
            .iter()
            .map(|(k, v)| (k.to_string(), value(v)))
            .collect(),
    )
}

fn meta(node: &Node<'_>) -> Option<raw::Meta> {
    let mut m = raw::Meta::default();
    for (key, v) in map(node)? {
        match key.as_ref() {
            "name" => m.name = Some(string(v)?),
            "namespace" => m.namespace = Some(string(v)?),
            "labels" => m.labels = Some(value_map(v)?),
            "ownerReferences" => return None,
            _ => {}
        }
    }
    Some(m)
}

fn selector(node: &Node<'_>) -> Option<raw::Selector> {
    let mut s = raw::Selector::default();
    for (key, v) in map(node)? {
        match key.as_ref() {
            "matchLabels" => s.match_labels = Some(value_map(v)?),
            "matchExpressions" => {
                s.match_expressions = Some(seq(v)?.iter().map(requirement).collect::<Option<_>>()?);
            }
            _ => {}
        }
    }
    Some(s)
}

fn requirement(node: &Node<'_>) -> Option<raw::Requirement> {
    let (mut key, mut operator, mut values) = (None, None, None);
    for (k, v) in map(node)? {
        match k.as_ref() {
            "key" => key = Some(string(v)?),
            "operator" => operator = Some(string(v)?),
            "values" => values = Some(seq(v)?.iter().map(value).collect()),
            _ => {}
        }
    }
    Some(raw::Requirement {
        key: key?,
        operator: operator?,
        values,
    })
}

fn peer(node: &Node<'_>) -> Option<raw::Peer> {
    let mut p = raw::Peer {
        pod_selector: None,
        namespace_selector: None,
        ip_block: None,
    };
    for (key, v) in map(node)? {
        match key.as_ref() {
            "podSelector" => p.pod_selector = Some(selector(v)?),
            "namespaceSelector" => p.namespace_selector = Some(selector(v)?),
            "ipBlock" => p.ip_block = Some(ip_block(v)?),
            _ => {}
        }
    }
    Some(p)
}

fn ip_block(node: &Node<'_>) -> Option<raw::IpBlock> {
    let (mut cidr, mut except) = (None, None);
    for (key, v) in map(node)? {
        match key.as_ref() {
            "cidr" => cidr = Some(string(v)?),
            "except" => except = Some(strings(v)?),
            _ => {}
        }
    }
    Some(raw::IpBlock {
        cidr: cidr?,
        except,
    })
}

/// A NetworkPolicy's spec read straight into the model: the policy but for its namespace and
/// name, exactly as [`super::policy`] makes it from the [`raw::PolicySpec`] serde reads.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct PolicyParts {
    pub(super) pod_selector: LabelSelector,
    pub(super) policy_types: PolicyTypes,
    pub(super) ingress: Vec<PolicyRule>,
    pub(super) egress: Vec<PolicyRule>,
}

impl PolicyParts {
    pub(super) fn into_policy(self, namespace: NamespaceName, name: ObjectName) -> NetworkPolicy {
        NetworkPolicy {
            namespace,
            name,
            pod_selector: self.pod_selector,
            policy_types: self.policy_types,
            ingress: self.ingress,
            egress: self.egress,
        }
    }
}

/// A NetworkPolicy's spec as the model, or `None` where [`super::policy`] would report an
/// error (or serde would not read the spec): the loader then takes the serde way, which
/// reports it.
fn policy_parts(node: &Node<'_>) -> Option<PolicyParts> {
    let (mut pod_selector, mut types, mut ingress, mut egress) = (None, None, None, None);
    for (key, v) in map(node)? {
        match key.as_ref() {
            "podSelector" => pod_selector = Some(selector_model(v)?),
            "policyTypes" => {
                types = Some(
                    seq(v)?
                        .iter()
                        .map(|t| match t {
                            Node::Str(s) => Some(s.as_ref()),
                            _ => None,
                        })
                        .collect::<Option<Vec<&str>>>()?,
                );
            }
            "ingress" => {
                ingress = Some(
                    seq(v)?
                        .iter()
                        .map(|r| rule_model(r, "from", "to"))
                        .collect::<Option<Vec<_>>>()?,
                );
            }
            "egress" => {
                egress = Some(
                    seq(v)?
                        .iter()
                        .map(|r| rule_model(r, "to", "from"))
                        .collect::<Option<Vec<_>>>()?,
                );
            }
            _ => {}
        }
    }
    let ingress: Vec<PolicyRule> = ingress.unwrap_or_default();
    let egress: Vec<PolicyRule> = egress.unwrap_or_default();
    let policy_types = match types {
        Some(types) if !types.is_empty() => {
            let mut t = PolicyTypes {
                ingress: false,
                egress: false,
            };
            for ty in types {
                match ty {
                    "Ingress" => t.ingress = true,
                    "Egress" => t.egress = true,
                    _ => return None,
                }
            }
            t
        }
        _ => PolicyTypes {
            ingress: true,
            egress: !egress.is_empty(),
        },
    };
    Some(PolicyParts {
        pod_selector: pod_selector.unwrap_or_else(LabelSelector::everything),
        policy_types,
        ingress,
        egress,
    })
}

/// A label value as [`super::scalar`] makes it from the [`Value`] serde reads.
fn scalar(node: &Node<'_>) -> Option<String> {
    match node {
        Node::Str(s) => Some(s.to_string()),
        Node::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// [`super::selector`] of the [`raw::Selector`] serde reads.
fn selector_model(node: &Node<'_>) -> Option<LabelSelector> {
    let mut sel = LabelSelector::everything();
    for (key, v) in map(node)? {
        match key.as_ref() {
            "matchLabels" => {
                for (k, value) in map(v)? {
                    sel.match_labels.insert(k.to_string(), scalar(value)?);
                }
            }
            "matchExpressions" => {
                for r in seq(v)? {
                    sel.match_expressions.push(requirement_model(r)?);
                }
            }
            _ => {}
        }
    }
    Some(sel)
}

fn requirement_model(node: &Node<'_>) -> Option<LabelRequirement> {
    let (mut key, mut operator, mut values) = (None, None, None);
    for (k, v) in map(node)? {
        match k.as_ref() {
            "key" => key = Some(string(v)?),
            "operator" => {
                operator = Some(match v {
                    Node::Str(s) => s.as_ref(),
                    _ => return None,
                });
            }
            "values" => values = Some(seq(v)?.iter().map(scalar).collect::<Option<Vec<_>>>()?),
            _ => {}
        }
    }
    let has_values = values.as_ref().is_some_and(|v: &Vec<String>| !v.is_empty());
    let operator = match operator? {
        "In" | "NotIn" if !has_values => return None,
        "In" => SelectorOperator::In(values.into_iter().flatten().collect()),
        "NotIn" => SelectorOperator::NotIn(values.into_iter().flatten().collect()),
        "Exists" | "DoesNotExist" if has_values => return None,
        "Exists" => SelectorOperator::Exists,
        "DoesNotExist" => SelectorOperator::DoesNotExist,
        _ => return None,
    };
    Some(LabelRequirement {
        key: key?,
        operator,
    })
}

/// [`super::rule`] of a [`raw::Rule`]: its peers under `peers` (`from` for ingress, `to` for
/// egress); the other list is not used but must read as serde reads it.
fn rule_model(node: &Node<'_>, peers: &str, unused: &str) -> Option<PolicyRule> {
    let mut out = PolicyRule {
        peers: Vec::new(),
        ports: Vec::new(),
    };
    for (key, v) in map(node)? {
        let key = key.as_ref();
        if key == peers {
            for p in seq(v)? {
                out.peers.push(peer_model(p)?);
            }
        } else if key == unused {
            for p in seq(v)? {
                peer(p)?;
            }
        } else if key == "ports" {
            for p in seq(v)? {
                out.ports.push(port_model(p)?);
            }
        }
    }
    Some(out)
}

fn peer_model(node: &Node<'_>) -> Option<PolicyPeer> {
    let (mut pods, mut namespaces, mut block) = (None, None, None);
    for (key, v) in map(node)? {
        match key.as_ref() {
            "podSelector" => pods = Some(selector_model(v)?),
            "namespaceSelector" => namespaces = Some(selector_model(v)?),
            "ipBlock" => block = Some(ip_block(v)?),
            _ => {}
        }
    }
    match (pods, namespaces, block) {
        (None, None, None) | (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => None,
        (None, None, Some(b)) => Some(PolicyPeer::IpBlock(IpBlock {
            cidr: Cidr::parse(&b.cidr).ok()?,
            except: b
                .except
                .iter()
                .flatten()
                .map(|e| Cidr::parse(e).ok())
                .collect::<Option<_>>()?,
        })),
        (pods, namespaces, None) => Some(PolicyPeer::Pods { namespaces, pods }),
    }
}

fn port_model(node: &Node<'_>) -> Option<PolicyPort> {
    let (mut protocol, mut port, mut end) = (None, None, None);
    for (key, v) in map(node)? {
        match key.as_ref() {
            "protocol" => {
                protocol = Some(match v {
                    Node::Str(s) => s.as_ref(),
                    _ => return None,
                });
            }
            "port" => port = Some(v),
            "endPort" => end = Some(int(v)?),
            _ => {}
        }
    }
    let protocol = match protocol {
        None | Some("") => Protocol::Tcp,
        Some(s) => Protocol::parse(s)?,
    };
    let port = match (port, end) {
        (None, None) => None,
        (Some(n @ Node::Int(_)), end) => {
            let start = PortNumber::new(int(n)?)?;
            let end = match end {
                Some(e) => PortNumber::new(e)?,
                None => start,
            };
            if end < start {
                return None;
            }
            Some(PortSpec::Range { start, end })
        }
        (Some(Node::Str(s)), None) => Some(PortSpec::Named(PortName::new(s.to_string()))),
        _ => return None,
    };
    Some(PolicyPort { protocol, port })
}
