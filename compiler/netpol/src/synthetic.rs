//! A generator of large, realistic clusters (default deny per namespace, per-workload allow
//! policies, DNS, a few external blocks), deterministic for a given seed: for the benchmark
//! and for scale tests.

use crate::ip::Cidr;
use crate::model::{
    Cluster, ContainerPort, IpBlock, NAMESPACE_NAME_LABEL, Namespace, NamespaceName, NetworkPolicy,
    ObjectName, PolicyPeer, PolicyPort, PolicyRule, PolicyTypes, PortName, PortSpec, Workload,
    WorkloadId, WorkloadKind,
};
use crate::ports::{PortNumber, Protocol};
use crate::selector::{LabelSelector, Labels};

/// The size of a synthetic cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticSpec {
    /// Namespaces.
    pub namespaces: usize,
    /// Workloads, spread over the namespaces.
    pub workloads: usize,
    /// Ingress and egress rules in total (about).
    pub rules: usize,
    /// The seed of the pseudo-random choices.
    pub seed: u64,
}

impl Default for SyntheticSpec {
    /// 10,000 workloads in 200 namespaces with 50,000 rules.
    fn default() -> Self {
        SyntheticSpec {
            namespaces: 200,
            workloads: 10_000,
            rules: 50_000,
            seed: 7,
        }
    }
}

/// A small deterministic pseudo-random generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn label(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn port(n: u16) -> Option<PortNumber> {
    PortNumber::new(i64::from(n))
}

/// Builds the cluster.
pub fn generate(spec: &SyntheticSpec) -> Cluster {
    let mut rng = Rng(spec.seed.max(1));
    let mut cluster = Cluster::default();
    let n_ns = spec.namespaces.max(1);
    let ns_name = |i: usize| NamespaceName::new(format!("ns-{i:04}"));
    for i in 0..n_ns {
        let name = ns_name(i);
        let labels: Labels = [
            label("team", &format!("team-{}", i % 17)),
            label("tier", ["web", "app", "data"][i % 3]),
        ]
        .into_iter()
        .collect();
        cluster
            .namespaces
            .insert(name.clone(), Namespace { name, labels });
    }
    let dns_ns = NamespaceName::new("kube-system");
    cluster.namespaces.insert(
        dns_ns.clone(),
        Namespace {
            name: dns_ns.clone(),
            labels: Labels::new(),
        },
    );
    cluster.add_workload(Workload {
        id: WorkloadId {
            namespace: dns_ns.clone(),
            name: ObjectName::new("coredns"),
            kind: WorkloadKind::Deployment,
        },
        labels: [label("k8s-app", "kube-dns")].into_iter().collect(),
        ports: port(53)
            .map(|p| {
                vec![
                    ContainerPort {
                        name: Some(PortName::new("dns")),
                        number: p,
                        protocol: Protocol::Udp,
                    },
                    ContainerPort {
                        name: Some(PortName::new("dns-tcp")),
                        number: p,
                        protocol: Protocol::Tcp,
                    },
                ]
            })
            .unwrap_or_default(),
    });

    let n_w = spec.workloads.max(1);
    let mut apps = Vec::with_capacity(n_w);
    for i in 0..n_w {
        let ns = ns_name(i % n_ns);
        let app = format!("app-{i:05}");
        let ports = [(8080u16, "http"), (9090, "metrics")]
            .into_iter()
            .filter_map(|(n, name)| {
                Some(ContainerPort {
                    name: Some(PortName::new(name)),
                    number: port(n)?,
                    protocol: Protocol::Tcp,
                })
            })
            .collect();
        cluster.add_workload(Workload {
            id: WorkloadId {
                namespace: ns.clone(),
                name: ObjectName::new(app.clone()),
                kind: WorkloadKind::Deployment,
            },
            labels: [
                label("app", &app),
                label("role", ["api", "worker", "db", "cache"][i % 4]),
            ]
            .into_iter()
            .collect(),
            ports,
        });
        apps.push((ns, app));
    }

    // Default deny with DNS per namespace.
    let dns_rule = PolicyRule {
        peers: vec![PolicyPeer::Pods {
            namespaces: Some(LabelSelector::from_labels([label(
                NAMESPACE_NAME_LABEL,
                "kube-system",
            )])),
            pods: Some(LabelSelector::from_labels([label("k8s-app", "kube-dns")])),
        }],
        ports: port(53)
            .map(|p| {
                vec![
                    PolicyPort {
                        protocol: Protocol::Udp,
                        port: Some(PortSpec::Range { start: p, end: p }),
                    },
                    PolicyPort {
                        protocol: Protocol::Tcp,
                        port: Some(PortSpec::Range { start: p, end: p }),
                    },
                ]
            })
            .unwrap_or_default(),
    };
    for i in 0..n_ns {
        cluster.policies.push(NetworkPolicy {
            namespace: ns_name(i),
            name: ObjectName::new("default-deny"),
            pod_selector: LabelSelector::everything(),
            policy_types: PolicyTypes {
                ingress: true,
                egress: true,
            },
            ingress: Vec::new(),
            egress: vec![dns_rule.clone()],
        });
    }

    // Intents, as an emitter would turn them into rules: each flow between two workloads is an
    // egress rule at the source and the matching ingress rule at the destination; one flow in
    // ten goes to an external /24 instead (one egress rule).
    let mut ingress: Vec<Vec<PolicyRule>> = vec![Vec::new(); n_w];
    let mut egress: Vec<Vec<PolicyRule>> = vec![Vec::new(); n_w];
    let selector_for = |from_ns: &NamespaceName, (ns, app): &(NamespaceName, String)| {
        let pods = Some(LabelSelector::from_labels([label("app", app)]));
        if ns == from_ns {
            PolicyPeer::Pods {
                namespaces: None,
                pods,
            }
        } else {
            let namespaces = Some(LabelSelector::from_labels([label(
                NAMESPACE_NAME_LABEL,
                ns.as_str(),
            )]));
            PolicyPeer::Pods { namespaces, pods }
        }
    };
    let mut budget = spec.rules.saturating_sub(n_ns);
    while budget > 0 {
        let a = rng.below(n_w);
        if budget == 1 || rng.below(10) == 0 {
            let block = format!("10.{}.{}.0/24", rng.below(256), rng.below(256));
            if let (Ok(c), Some(p)) = (Cidr::parse(&block), port(443)) {
                egress[a].push(PolicyRule {
                    peers: vec![PolicyPeer::IpBlock(IpBlock {
                        cidr: c,
                        except: Vec::new(),
                    })],
                    ports: vec![PolicyPort {
                        protocol: Protocol::Tcp,
                        port: Some(PortSpec::Range { start: p, end: p }),
                    }],
                });
            }
            budget -= 1;
            continue;
        }
        let b = rng.below(n_w);
        let ports = if rng.below(3) == 0 {
            vec![PolicyPort {
                protocol: Protocol::Tcp,
                port: Some(PortSpec::Named(PortName::new("http"))),
            }]
        } else {
            port(8000 + (rng.below(200) as u16))
                .into_iter()
                .map(|p| PolicyPort {
                    protocol: Protocol::Tcp,
                    port: Some(PortSpec::Range { start: p, end: p }),
                })
                .collect()
        };
        egress[a].push(PolicyRule {
            peers: vec![selector_for(&apps[a].0, &apps[b])],
            ports: ports.clone(),
        });
        ingress[b].push(PolicyRule {
            peers: vec![selector_for(&apps[b].0, &apps[a])],
            ports,
        });
        budget -= 2;
    }
    for (i, ((ns, app), (ingress, egress))) in
        apps.iter().zip(ingress.into_iter().zip(egress)).enumerate()
    {
        cluster.policies.push(NetworkPolicy {
            namespace: ns.clone(),
            name: ObjectName::new(format!("allow-{i:05}")),
            pod_selector: LabelSelector::from_labels([label("app", app)]),
            policy_types: PolicyTypes {
                ingress: true,
                egress: true,
            },
            ingress,
            egress,
        });
    }
    cluster
}

/// The number of rules in a cluster (ingress plus egress).
pub fn rule_count(cluster: &Cluster) -> usize {
    cluster
        .policies
        .iter()
        .map(|p| p.ingress.len() + p.egress.len())
        .sum()
}
