//! Cross-checks the class-based analysis against a naive evaluator written straight from the
//! Kubernetes documentation (every pair, every policy, every rule), on many small random
//! clusters with selectors of every operator, named ports, port ranges, `ipBlock` with
//! `except`, empty peer lists and both policy types.

use std::collections::BTreeSet;

use netpol::model::{
    Cluster, ContainerPort, IngressController, IpBlock, NAMESPACE_NAME_LABEL, Namespace,
    NamespaceName, NetworkPolicy, ObjectName, PolicyPeer, PolicyPort, PolicyRule, PolicyTypes,
    PortName, PortSpec, Workload, WorkloadId, WorkloadKind,
};
use netpol::selector::{LabelRequirement, SelectorOperator};
use netpol::{
    AnalysisOptions, Cidr, ConnSet, Endpoint, IngressControllerMode, IpRange, LabelSelector,
    Labels, PortNumber, PortSet, Protocol, analyze,
};

use synthetic::Rng;

fn port(n: u16) -> PortNumber {
    PortNumber::new(i64::from(n)).unwrap_or_else(|| unreachable!("test ports are valid"))
}

fn random_labels(rng: &mut Rng) -> Labels {
    let mut l = Labels::new();
    for key in ["app", "tier", "env"] {
        if rng.below(3) > 0 {
            l.insert(key, *rng.pick(&["a", "b", "c"]));
        }
    }
    l
}

fn random_selector(rng: &mut Rng) -> LabelSelector {
    let mut s = LabelSelector::everything();
    for _ in 0..rng.below(3) {
        let key = rng
            .pick(&["app", "tier", "env", NAMESPACE_NAME_LABEL])
            .to_string();
        let vals: BTreeSet<String> = (0..1 + rng.below(2))
            .map(|_| rng.pick(&["a", "b", "c", "ns0"]).to_string())
            .collect();
        match rng.below(5) {
            0 => {
                s.match_labels
                    .insert(key, vals.into_iter().next().unwrap_or_default());
            }
            1 => s.match_expressions.push(LabelRequirement {
                key,
                operator: SelectorOperator::In(vals),
            }),
            2 => s.match_expressions.push(LabelRequirement {
                key,
                operator: SelectorOperator::NotIn(vals),
            }),
            3 => s.match_expressions.push(LabelRequirement {
                key,
                operator: SelectorOperator::Exists,
            }),
            _ => s.match_expressions.push(LabelRequirement {
                key,
                operator: SelectorOperator::DoesNotExist,
            }),
        }
    }
    s
}

fn cidr(s: &str) -> Cidr {
    Cidr::parse(s).unwrap_or_else(|_| unreachable!("test CIDRs are valid"))
}

const BLOCKS: &[&str] = &[
    "10.0.0.0/8",
    "10.1.0.0/16",
    "192.168.0.0/16",
    "0.0.0.0/0",
    "10.1.2.0/24",
];

fn random_rule(rng: &mut Rng) -> PolicyRule {
    let mut peers = Vec::new();
    if rng.below(5) > 0 {
        for _ in 0..1 + rng.below(2) {
            peers.push(match rng.below(4) {
                0 => PolicyPeer::Pods {
                    namespaces: None,
                    pods: Some(random_selector(rng)),
                },
                1 => PolicyPeer::Pods {
                    namespaces: Some(random_selector(rng)),
                    pods: None,
                },
                2 => PolicyPeer::Pods {
                    namespaces: Some(random_selector(rng)),
                    pods: Some(random_selector(rng)),
                },
                _ => {
                    let c = cidr(BLOCKS[rng.below(BLOCKS.len())]);
                    let except = if rng.below(2) == 0 {
                        vec![cidr("10.1.0.0/16")]
                    } else {
                        vec![]
                    };
                    let except = except
                        .into_iter()
                        .filter(|e| c.range().contains(&e.range()) && *e != c)
                        .collect();
                    PolicyPeer::IpBlock(IpBlock { cidr: c, except })
                }
            });
        }
    }
    let mut ports = Vec::new();
    if rng.below(3) > 0 {
        for _ in 0..1 + rng.below(2) {
            let protocol = *rng.pick(&[Protocol::Tcp, Protocol::Udp, Protocol::Sctp]);
            let spec = match rng.below(4) {
                0 => None,
                1 => Some(PortSpec::Range {
                    start: port(80),
                    end: port(80),
                }),
                2 => Some(PortSpec::Range {
                    start: port(8000),
                    end: port(8100),
                }),
                _ => Some(PortSpec::Named(PortName::new(
                    *rng.pick(&["http", "dns", "none"]),
                ))),
            };
            ports.push(PolicyPort {
                protocol,
                port: spec,
            });
        }
    }
    PolicyRule { peers, ports }
}

fn random_cluster(seed: u64) -> Cluster {
    let mut rng = Rng::new(seed);
    let mut c = Cluster::default();
    for i in 0..3 {
        let name = NamespaceName::new(format!("ns{i}"));
        c.namespaces.insert(
            name.clone(),
            Namespace {
                name,
                labels: random_labels(&mut rng),
            },
        );
    }
    for i in 0..8 {
        let ns = NamespaceName::new(format!("ns{}", rng.below(3)));
        let mut ports = Vec::new();
        if rng.below(2) == 0 {
            ports.push(ContainerPort {
                name: Some(PortName::new("http")),
                number: port(8080),
                protocol: Protocol::Tcp,
            });
        }
        if rng.below(2) == 0 {
            ports.push(ContainerPort {
                name: Some(PortName::new("dns")),
                number: port(53),
                protocol: Protocol::Udp,
            });
        }
        c.add_workload(Workload {
            id: WorkloadId {
                namespace: ns,
                name: ObjectName::new(format!("w{i}")),
                kind: WorkloadKind::Deployment,
            },
            labels: random_labels(&mut rng),
            ports,
        });
    }
    for i in 0..1 + rng.below(5) {
        let ingress = (0..rng.below(3)).map(|_| random_rule(&mut rng)).collect();
        let egress = (0..rng.below(3)).map(|_| random_rule(&mut rng)).collect();
        c.policies.push(NetworkPolicy {
            namespace: NamespaceName::new(format!("ns{}", rng.below(3))),
            name: ObjectName::new(format!("p{i}")),
            pod_selector: random_selector(&mut rng),
            policy_types: PolicyTypes {
                ingress: rng.below(3) > 0,
                egress: rng.below(2) == 0,
            },
            ingress,
            egress,
        });
    }
    c.ingress_controller = IngressController {
        namespace: NamespaceName::new("ingress"),
        namespace_labels: random_labels(&mut rng),
        pod_labels: random_labels(&mut rng),
    };
    c
}

/// A pod as the naive evaluator sees it.
struct Pod {
    ns: NamespaceName,
    labels: Labels,
    ports: Vec<ContainerPort>,
}

fn ns_labels(c: &Cluster, ns: &NamespaceName) -> Labels {
    let mut l = c
        .namespaces
        .get(ns)
        .map(|n| n.labels.clone())
        .or_else(|| {
            (*ns == c.ingress_controller.namespace)
                .then(|| c.ingress_controller.namespace_labels.clone())
        })
        .unwrap_or_default();
    l.insert(NAMESPACE_NAME_LABEL, ns.as_str());
    l
}

enum Peer<'a> {
    Pod(&'a Pod),
    Ip(u128),
}

fn peer_matches(c: &Cluster, policy: &NetworkPolicy, rule: &PolicyRule, peer: &Peer<'_>) -> bool {
    if rule.peers.is_empty() {
        return true;
    }
    rule.peers.iter().any(|p| match (p, peer) {
        (PolicyPeer::Pods { namespaces, pods }, Peer::Pod(pod)) => {
            let ns_ok = match namespaces {
                None => pod.ns == policy.namespace,
                Some(sel) => sel.matches(&ns_labels(c, &pod.ns)),
            };
            ns_ok && pods.as_ref().is_none_or(|s| s.matches(&pod.labels))
        }
        (PolicyPeer::IpBlock(b), Peer::Ip(x)) => {
            let inside = |r: IpRange| r.start() <= *x && *x <= r.end();
            inside(b.cidr.range()) && !b.except.iter().any(|e| inside(e.range()))
        }
        _ => false,
    })
}

fn rule_ports(rule: &PolicyRule, dst: Option<&Pod>) -> ConnSet {
    if rule.ports.is_empty() {
        return ConnSet::all();
    }
    let mut out = ConnSet::empty();
    for p in &rule.ports {
        match &p.port {
            None => out.add_ports(p.protocol, &PortSet::all()),
            Some(PortSpec::Range { start, end }) => {
                out.add_ports(p.protocol, &PortSet::range(*start, *end))
            }
            Some(PortSpec::Named(name)) => {
                for cp in dst.map(|d| d.ports.as_slice()).unwrap_or(&[]) {
                    if cp.name.as_ref() == Some(name) && cp.protocol == p.protocol {
                        out.add_ports(p.protocol, &PortSet::single(cp.number));
                    }
                }
            }
        }
    }
    out
}

fn ingress_allows(c: &Cluster, src: &Peer<'_>, dst: &Pod) -> ConnSet {
    let mut isolated = false;
    let mut out = ConnSet::empty();
    for p in &c.policies {
        if p.namespace != dst.ns || !p.policy_types.ingress || !p.pod_selector.matches(&dst.labels)
        {
            continue;
        }
        isolated = true;
        for r in &p.ingress {
            if peer_matches(c, p, r, src) {
                out.add(&rule_ports(r, Some(dst)));
            }
        }
    }
    if isolated { out } else { ConnSet::all() }
}

fn egress_allows(c: &Cluster, src: &Pod, dst: &Peer<'_>) -> ConnSet {
    let mut isolated = false;
    let mut out = ConnSet::empty();
    for p in &c.policies {
        if p.namespace != src.ns || !p.policy_types.egress || !p.pod_selector.matches(&src.labels) {
            continue;
        }
        isolated = true;
        for r in &p.egress {
            if peer_matches(c, p, r, dst) {
                let d = match dst {
                    Peer::Pod(pod) => Some(*pod),
                    Peer::Ip(_) => None,
                };
                out.add(&rule_ports(r, d));
            }
        }
    }
    if isolated { out } else { ConnSet::all() }
}

fn value_at(map: Option<&netpol::relation::IpConnMap>, x: u128) -> ConnSet {
    map.and_then(|m| {
        m.segments()
            .iter()
            .find(|(r, _)| r.family() == netpol::IpFamily::V4 && r.start() <= x && x <= r.end())
            .map(|(_, c)| c.clone())
    })
    .unwrap_or_default()
}

#[test]
fn class_analysis_equals_naive_evaluation() {
    let mut checked = 0usize;
    for seed in 0..300 {
        let cluster = random_cluster(seed);
        let conn = analyze(
            &cluster,
            &AnalysisOptions {
                ingress_controller: IngressControllerMode::AllWorkloads,
            },
        );
        let rel = conn.relation();
        let pods: Vec<(Endpoint, Pod)> = cluster
            .workloads
            .values()
            .map(|w| {
                (
                    Endpoint::Workload(w.id.clone()),
                    Pod {
                        ns: w.id.namespace.clone(),
                        labels: w.labels.clone(),
                        ports: w.ports.clone(),
                    },
                )
            })
            .collect();
        let ic = Pod {
            ns: cluster.ingress_controller.namespace.clone(),
            labels: cluster.ingress_controller.pod_labels.clone(),
            ports: Vec::new(),
        };
        // Sample addresses: each block's first and last address, and their neighbours.
        let mut samples = BTreeSet::new();
        for b in BLOCKS {
            let r = cidr(b).range();
            samples.insert(r.start());
            samples.insert(r.end());
            samples.insert(r.start().saturating_sub(1));
            samples.insert((r.end() + 1).min(u128::from(u32::MAX)));
        }
        for (da, d) in &pods {
            for (sa, s) in &pods {
                let want = egress_allows(&cluster, s, &Peer::Pod(d)).intersect(&ingress_allows(
                    &cluster,
                    &Peer::Pod(s),
                    d,
                ));
                assert_eq!(rel.between(sa, da), want, "seed {seed}: {sa} => {da}");
                checked += 1;
            }
            let want = egress_allows(&cluster, &ic, &Peer::Pod(d)).intersect(&ingress_allows(
                &cluster,
                &Peer::Pod(&ic),
                d,
            ));
            assert_eq!(
                rel.between(&Endpoint::IngressController, da),
                want,
                "seed {seed}: ic => {da}"
            );
            for &x in &samples {
                let want = ingress_allows(&cluster, &Peer::Ip(x), d);
                assert_eq!(
                    value_at(rel.from_addresses(da), x),
                    want,
                    "seed {seed}: {x} => {da}"
                );
                let want = egress_allows(&cluster, d, &Peer::Ip(x));
                assert_eq!(
                    value_at(rel.to_addresses(da), x),
                    want,
                    "seed {seed}: {da} => {x}"
                );
            }
        }
    }
    assert!(checked > 10_000);
}
