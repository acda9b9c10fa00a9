//! `namespace`, `workload`, `network`, `ingress` and `mesh`.

use crate::Top;
use crate::cx::{Attrs, Cx, Numbers, Opened, meta};
use crate::resolve::{Kind, Symbols};
use diagnostics::Diagnostic;
use diagnostics::codes::{names as codes, network as ncodes};
use ir::network::*;
use ir::{Name, Port, Protocol};
use std::collections::{BTreeMap, HashMap};

/// The hash maps of the flow rules: foldhash (fixed seed: nothing here depends on iteration
/// order, and a fixed seed keeps runs alike) rather than SipHash, which was a tenth of `check`
/// at 10,000 workloads.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
use syntax::ast::{self, Value};

pub(crate) fn namespaces(
    cx: &mut Cx,
    syms: &mut Symbols,
    items: &[Top<'_>],
) -> BTreeMap<Name, Namespace> {
    let mut out = BTreeMap::new();
    for t in items {
        let item = t.item;
        let Some(Opened {
            name: n,
            span,
            first,
            attrs: a,
        }) = cx.open(
            item,
            Some((syms, Kind::Namespace)),
            "namespace",
            &[
                "pod_security",
                "pod_security_audit",
                "pod_security_warn",
                "pod_security_version",
                "labels",
                "tenant",
                "satisfies",
            ],
        )
        else {
            continue;
        };
        if !first {
            continue;
        }
        cx.k8s_name(&n, span, "a namespace's name");
        let level = |cx: &mut Cx, k: &str| a.get(k).and_then(|v| crate::system::pss_level(cx, v));
        let enforce = level(cx, "pod_security");
        let audit = level(cx, "pod_security_audit");
        let warn = level(cx, "pod_security_warn");
        let version = a.get("pod_security_version").and_then(|v| cx.version(v));
        let pod_security = enforce.map(|e| PodSecurity {
            enforce: e,
            audit: audit.unwrap_or(e),
            warn: warn.unwrap_or(e),
            version,
        });
        if enforce.is_none() && (audit.is_some() || warn.is_some()) {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1006,
                    span,
                    format!("namespace `{n}` sets audit or warn levels without `pod_security`"),
                )
                .with_help(
                    "set `pod_security = baseline|restricted|privileged`: it is the enforced level",
                ),
            );
        }
        let labels = a.get("labels").map(|v| cx.labels(v)).unwrap_or_default();
        let tenant = a.get("tenant").and_then(|v| cx.string(v));
        let meta = meta(cx, item, &a);
        out.insert(
            n.clone(),
            Namespace {
                name: n,
                pod_security,
                labels,
                tenant,
                meta,
            },
        );
    }
    out
}

fn protocol(cx: &mut Cx, v: &Value) -> Option<Protocol> {
    Some(match cx.variant(v, &["tcp", "udp", "sctp"])? {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        _ => Protocol::Sctp,
    })
}

fn port_number(cx: &mut Cx, v: &Value) -> Option<Port> {
    cx.int(v, 1..=65535).map(|p| Port(p as u16))
}

pub(crate) fn workloads(
    cx: &mut Cx,
    syms: &mut Symbols,
    items: &[Top<'_>],
) -> BTreeMap<Name, Workload> {
    let mut out: Vec<(Name, Workload)> = Vec::with_capacity(items.len());
    for t in items {
        let item = t.item;
        let Some(Opened {
            name: n,
            first,
            attrs: a,
            ..
        }) = cx.open(
            item,
            Some((syms, Kind::Workload)),
            "workload",
            &["namespace", "match", "ports", "processes", "satisfies"],
        )
        else {
            continue;
        };
        if !first {
            continue;
        }
        let namespace = a.req(cx, "namespace").and_then(|v| cx.name(v));
        if let Some((ns, span)) = &namespace {
            syms.refer(Kind::Namespace, ns, *span);
        }
        let selector = a.req(cx, "match").map(|v| cx.labels(v)).unwrap_or_default();
        if let (true, Some(v)) = (selector.is_empty(), a.get("match")) {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1006,
                    v.span(),
                    format!("workload `{n}` matches no labels"),
                )
                .with_help("a workload is a label selector: `match = { app = \"portal\" }`"),
            );
        }
        let mut ports = BTreeMap::new();
        if let Some(v) = a.get("ports")
            && let Some(entries) = cx.map(v)
        {
            for e in entries {
                let pname = Name(e.key.text.clone());
                if e.key.quoted || !ir::k8s::is_port_name(&pname.0) {
                    cx.err(
                            Diagnostic::spanned(&codes::P1013, e.key.span, format!("`{}` is not a valid port name", e.key.text))
                                .with_help("port names are lowercase letters, digits and `-`, at most 15 characters, with at least one letter and no `-` at either end or twice in a row (IANA_SVC_NAME)"),
                        );
                    continue;
                }
                // `http = 8080` or `dns = { port = 53, protocol = udp }`.
                let np = match &e.value {
                    Value::Map { entries, span } => {
                        let pa = Attrs::new(
                            cx,
                            format!("port `{pname}`"),
                            *span,
                            entries,
                            &["port", "protocol"],
                        );
                        let port = pa.req(cx, "port").and_then(|v| port_number(cx, v));
                        let proto = pa
                            .get("protocol")
                            .and_then(|v| protocol(cx, v))
                            .unwrap_or(Protocol::Tcp);
                        port.map(|port| NamedPort {
                            port,
                            protocol: proto,
                        })
                    }
                    other => port_number(cx, other).map(|port| NamedPort {
                        port,
                        protocol: Protocol::Tcp,
                    }),
                };
                if let Some(np) = np {
                    ports.insert(pname, np);
                }
            }
        }
        let processes = a
            .get("processes")
            .map(|v| cx.list_of(v, process_name))
            .unwrap_or_default();
        let meta = meta(cx, item, &a);
        if let Some((namespace, _)) = namespace {
            out.push((
                n.clone(),
                Workload {
                    name: n,
                    namespace,
                    selector,
                    ports,
                    processes,
                    meta,
                },
            ));
        }
    }
    // Each name once (a second declaration was reported and skipped): built in one go, which
    // is linear for names in order, rather than by one insertion per workload.
    out.into_iter().collect()
}

/// A process name: a bare word or a string.
pub(crate) fn process_name(cx: &mut Cx, v: &Value) -> Option<String> {
    cx.word(v, "a process name", Numbers::No, None)
        .map(|(text, _)| text)
}

fn directions(cx: &mut Cx, v: &Value) -> Vec<Direction> {
    let mut out: Vec<Direction> = cx.list_of(v, |cx, i| {
        cx.variant(i, &["ingress", "egress"]).map(|d| {
            if d == "ingress" {
                Direction::Ingress
            } else {
                Direction::Egress
            }
        })
    });
    out.sort();
    out.dedup();
    out
}

/// Resolves an endpoint of `allow` to a peer; `workloads` are needed for named ports.
fn peer(cx: &mut Cx, syms: &mut Symbols, e: &ast::Endpoint, except: &[ir::Cidr]) -> Option<Peer> {
    match &e.target {
        ast::EndpointTarget::Str(s) => {
            let cidr = cx.cidr(&Value::Str(s.clone()))?;
            for x in except {
                if !(cidr.contains(x) && x != &cidr) {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1011,
                            s.span,
                            format!("`except` block `{x}` is not strictly inside `{cidr}`"),
                        )
                        .with_help("each `except` must be a smaller block inside the allowed one"),
                    );
                }
            }
            Some(Peer::Cidr {
                cidr,
                except: except.to_vec(),
            })
        }
        ast::EndpointTarget::Ref(p) => {
            // Matched on the segments themselves (no list of their texts per endpoint).
            match p.segments.as_slice() {
                [s] if s.text == "ingress-controller" => Some(Peer::IngressController),
                [s] if s.text == "cluster-dns" => Some(Peer::ClusterDns),
                [s] if s.text == "mesh-control-plane" => Some(Peer::MeshControlPlane),
                [s, ns] if s.text == "namespace" => {
                    let n = Name(ns.text.clone());
                    syms.refer(Kind::Namespace, &n, ns.span);
                    Some(Peer::Namespace { name: n })
                }
                [w] => {
                    let n = Name(w.text.clone());
                    syms.refer(Kind::Workload, &n, p.span);
                    Some(Peer::Workload { name: n })
                }
                _ => {
                    cx.err(
                        Diagnostic::spanned(&codes::P1008, p.span, format!("`{}` is not a workload, `namespace.NAME` or a built-in peer", p.dotted()))
                            .with_help("endpoints are a workload, `namespace.NAME`, `ingress-controller`, `cluster-dns` or a quoted address block"),
                    );
                    None
                }
            }
        }
    }
}

pub(crate) fn network(
    cx: &mut Cx,
    syms: &mut Symbols,
    items: &[Top<'_>],
    workloads: &BTreeMap<Name, Workload>,
) -> Network {
    let mut net = Network::default();
    if items.is_empty() {
        return net;
    }
    let Some(a) = Attrs::of_sections(cx, "`network`", items, &["default_deny", "allow_dns"]) else {
        return net;
    };
    if let Some(v) = a.get("default_deny") {
        let maps: Vec<&Value> = match v {
            Value::List { items, .. } => items.iter().collect(),
            other => vec![other],
        };
        for m in maps {
            let Some(entries) = cx.map(m) else { continue };
            let da = Attrs::new(
                cx,
                "`default_deny`",
                m.span(),
                entries,
                &["namespaces", "directions", "satisfies"],
            );
            let nss = da
                .req(cx, "namespaces")
                .map(|v| cx.names(v))
                .unwrap_or_default();
            for (n, span) in &nss {
                syms.refer(Kind::Namespace, n, *span);
            }
            let dirs = da
                .get("directions")
                .map(|v| directions(cx, v))
                .unwrap_or(vec![Direction::Ingress, Direction::Egress]);
            // An empty list denies nothing, which reads as a default deny: refuse it.
            for (key, help) in [
                (
                    "namespaces",
                    "list the namespaces to deny, or delete this `default_deny`",
                ),
                (
                    "directions",
                    "list `ingress`, `egress` or both, or leave `directions` out to deny both",
                ),
            ] {
                if let Some(v @ Value::List { items, .. }) = da.get(key)
                    && items.is_empty()
                {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1006,
                            v.span(),
                            format!("`default_deny` with no {key} denies nothing"),
                        )
                        .with_help(help),
                    );
                }
            }
            let mut meta = ir::Meta::new(m.span());
            if let Some(v) = da.get("satisfies") {
                meta.satisfies = cx.satisfies(v);
            }
            // One item per namespace: its id names that namespace alone, and its span is the
            // namespace's name in the statement (targets attach artifacts to items by span).
            for (n, span) in nss {
                let mut meta = meta.clone();
                meta.span = span;
                net.default_deny.push(DefaultDeny {
                    namespace: n,
                    directions: dirs.clone(),
                    meta,
                });
            }
        }
    }
    if let Some(v) = a.get("allow_dns") {
        for (n, span) in cx.names(v) {
            syms.refer(Kind::Namespace, &n, span);
            net.allow_dns.push(n);
        }
    }
    // Looked up once or twice per intent: hashed, not searched in the ordered map.
    let workloads: FastMap<&Name, &Workload> = workloads.iter().collect();
    // Sized once: an intent is a few hundred bytes, and 50,000 of them grown by doubling
    // copied each several times and left a third of the vector unused.
    let traffic = items
        .iter()
        .flat_map(|t| t.item.entries())
        .filter(|e| {
            matches!(e, ast::Entry::Item(item) if matches!(&item.head, Some(ast::Head::Traffic(_))))
        })
        .count();
    net.intents.reserve_exact(traffic);
    // Each intent refers to its two ends.
    syms.reserve_refs(2 * traffic);
    for t in items {
        for e in t.item.entries() {
            let ast::Entry::Item(item) = e else { continue };
            let Some(ast::Head::Traffic(tr)) = &item.head else {
                continue;
            };
            if let Some(intent) = intent(cx, syms, item, tr, &workloads) {
                net.intents.push(intent);
            }
        }
    }
    net
}

fn intent(
    cx: &mut Cx,
    syms: &mut Symbols,
    item: &ast::Item,
    tr: &ast::Traffic,
    workloads: &FastMap<&Name, &Workload>,
) -> Option<Intent> {
    let a = Attrs::of_item(
        cx,
        "`allow`",
        item,
        &["name", "protocol", "ports", "except", "tls", "satisfies"],
    );
    let tls = a.get("tls").and_then(|v| cx.bool(v)).unwrap_or(false);
    let name = a.get("name").and_then(|v| cx.name(v));
    if let Some((n, span)) = &name
        && cx.k8s_name(n, *span, "an intent's name")
    {
        syms.declare(cx, Kind::NetworkIntent, n, *span);
    }
    let protocol = a
        .get("protocol")
        .and_then(|v| protocol(cx, v))
        .unwrap_or(Protocol::Tcp);
    let except = a
        .get("except")
        .map(|v| cx.list_of(v, |cx, i| cx.cidr(i)))
        .unwrap_or_default();
    if tr.from.port.is_some() {
        cx.err(
            Diagnostic::spanned(&ncodes::P4001, tr.from.span, "a source has no port")
                .with_help("ports belong to the destination: `allow a -> b:8080`"),
        );
    }
    if !except.is_empty() && !matches!(tr.to.target, ast::EndpointTarget::Str(_)) {
        cx.err(Diagnostic::spanned(
            &codes::P1022,
            a.key_span("except").unwrap_or(item.span),
            "`except` applies only to an address-block destination",
        ));
    }
    let from = peer(cx, syms, &tr.from, &[]);
    let to = peer(cx, syms, &tr.to, &except);
    if matches!(from, Some(Peer::Cidr { .. })) && matches!(to, Some(Peer::Cidr { .. })) {
        cx.err(Diagnostic::spanned(
            &ncodes::P4002,
            tr.span,
            "traffic between two address blocks is outside the cluster",
        ));
    }
    let mut ports = Vec::new();
    let mut add_port = |cx: &mut Cx, spec: &ast::PortSpec| match spec {
        ast::PortSpec::Number { port, .. } => ports.push(PortSpec::Number { port: Port(*port) }),
        ast::PortSpec::Range { first, last, .. } => ports.push(PortSpec::Range {
            first: Port(*first),
            last: Port(*last),
        }),
        ast::PortSpec::Name(id) => {
            let pname = Name(id.text.clone());
            let target = match &to {
                Some(Peer::Workload { name }) => workloads.get(name).copied(),
                _ => None,
            };
            match target {
                Some(w) => match w.ports.get(&pname) {
                    Some(np) => ports.push(PortSpec::Named {
                        name: pname,
                        port: np.port,
                    }),
                    None => cx.err(
                        Diagnostic::spanned(
                            &ncodes::P4003,
                            id.span,
                            format!("workload `{}` has no port `{pname}`", w.name),
                        )
                        .with_did_you_mean(&pname.0, w.ports.keys().map(Name::as_str))
                        .with_help(format!(
                            "declare it in `workload {} {{ ports = {{ {pname} = … }} }}`",
                            w.name
                        )),
                    ),
                },
                None if matches!(to, Some(Peer::Workload { .. })) => {} // unknown workload: reported by resolve
                None => cx.err(
                    Diagnostic::spanned(
                        &ncodes::P4003,
                        id.span,
                        format!("named port `{pname}` needs a workload destination"),
                    )
                    .with_help(
                        "use a port number for namespaces, built-in peers and address blocks",
                    ),
                ),
            }
        }
    };
    // An intent whose port could not be resolved is dropped (its error is reported), so it
    // is never read as "every port".
    let errors_before = cx.diags.error_count();
    if let Some(p) = &tr.to.port {
        add_port(cx, p);
    }
    let port_failed = cx.diags.error_count() > errors_before;
    if let Some(v) = a.get("ports")
        && let Some(list) = cx.list(v)
    {
        for p in list {
            if let Some(n) = port_number(cx, p) {
                ports.push(PortSpec::Number { port: n });
            }
        }
    }
    // A numeric port must exist on the destination workload when it declares ports, with the
    // intent's protocol: the same rule as for a named port (see `check_flows`).
    if let Some(Peer::Workload { name }) = &to
        && let Some(&w) = workloads.get(name)
    {
        for p in &ports {
            if let PortSpec::Number { port } = p {
                let other = w
                    .ports
                    .iter()
                    .find(|(_, np)| np.port == *port && np.protocol != protocol);
                let exact = w
                    .ports
                    .values()
                    .any(|np| np.port == *port && np.protocol == protocol);
                if let (false, Some((pname, np))) = (exact, other) {
                    let span = tr.to.port.as_ref().map(|p| p.span()).unwrap_or(tr.to.span);
                    cx.err(
                        Diagnostic::spanned(
                            &ncodes::P4003,
                            span,
                            format!(
                                "workload `{}` has no {} port {}",
                                w.name,
                                protocol_name(protocol),
                                port.0
                            ),
                        )
                        .with_note(format!(
                            "{} is its {} port `{pname}`; a port matches by number and protocol",
                            port.0,
                            protocol_name(np.protocol)
                        ))
                        .with_help(format!(
                            "say `protocol = {}` on this intent",
                            protocol_name(np.protocol).to_lowercase()
                        )),
                    );
                } else if !w.ports.is_empty() && !exact {
                    let span = tr.to.port.as_ref().map(|p| p.span()).unwrap_or(tr.to.span);
                    cx.err(
                        Diagnostic::spanned(
                            &ncodes::P4003,
                            span,
                            format!("workload `{}` has no port {}", w.name, port.0),
                        )
                        .with_note(format!(
                            "its ports are {}",
                            w.ports
                                .iter()
                                .map(|(k, v)| format!("`{k}` = {}", v.port.0))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                }
            }
        }
    }
    let meta = meta(cx, item, &a);
    if port_failed {
        return None;
    }
    Some(Intent {
        name: name.map(|(n, _)| n),
        from: from?,
        to: to?,
        ports,
        protocol,
        tls,
        implied_by: None,
        meta,
        id_cache: Default::default(),
    })
}

pub(crate) fn ingresses(
    cx: &mut Cx,
    syms: &mut Symbols,
    items: &[Top<'_>],
    workloads: &BTreeMap<Name, Workload>,
) -> BTreeMap<Name, Ingress> {
    let mut out = BTreeMap::new();
    for t in items {
        let item = t.item;
        let Some(Opened {
            name: n,
            span: name_span,
            attrs: a,
            ..
        }) = cx.open(
            item,
            None,
            "ingress",
            &[
                "workload",
                "host",
                "port",
                "path",
                "class",
                "tls",
                "satisfies",
            ],
        )
        else {
            continue;
        };
        cx.k8s_name(&n, name_span, "an ingress's name");
        if out.contains_key(&n) {
            cx.err(Diagnostic::spanned(
                &codes::P1004,
                name_span,
                format!("ingress `{n}` is declared twice"),
            ));
            continue;
        }
        let workload = a.req(cx, "workload").and_then(|v| cx.name(v));
        if let Some((w, span)) = &workload {
            syms.refer(Kind::Workload, w, *span);
            // The backend is the workload's Service, and a Service name is a DNS-1035 label.
            if !ir::k8s::is_dns1035_label(&w.0) {
                cx.err(
                    Diagnostic::spanned(
                        &codes::P1013,
                        *span,
                        format!("`{w}` is not a valid Service name"),
                    )
                    .with_label("an ingress sends traffic to the Service of this name")
                    .with_help("a Service name is lowercase letters, digits and `-`, at most 63 characters, starting with a letter and ending with a letter or digit"),
                );
            }
        }
        let host = a.req(cx, "host").and_then(|v| cx.string(v));
        let host = match (host, a.get("host")) {
            (Some(h), Some(v)) => match ir::k8s::ingress_host(&h) {
                Ok(()) => Some(h),
                Err(why) => {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1013,
                            v.span(),
                            format!("`{h}` is not a valid host name"),
                        )
                        .with_label(why),
                    );
                    None
                }
            },
            _ => None,
        };
        let wl = workload.as_ref().and_then(|(w, _)| workloads.get(w));
        let port = match a.get("port") {
            Some(v) => cx.name(v).map(|(p, span)| {
                if let Some(w) = wl
                    && !w.ports.contains_key(&p)
                {
                    cx.err(Diagnostic::spanned(
                        &ncodes::P4003,
                        span,
                        format!("workload `{}` has no port `{p}`", w.name),
                    ));
                }
                p
            }),
            None => match wl.map(|w| w.ports.keys().cloned().collect::<Vec<_>>()) {
                Some(ports) if ports.len() == 1 => ports.into_iter().next(),
                Some(_) => {
                    cx.err(
                        Diagnostic::spanned(&codes::P1006, name_span, format!("ingress `{n}` needs `port`"))
                            .with_help("the workload has several ports (or none): say which one the ingress serves"),
                    );
                    None
                }
                None => None,
            },
        };
        let path = match a.get("path") {
            None => Some("/".to_string()),
            Some(v) => cx
                .string(v)
                .and_then(|p| match ir::k8s::ingress_prefix_path(&p) {
                    Ok(()) => Some(p),
                    Err(why) => {
                        cx.err(
                            Diagnostic::spanned(
                                &codes::P1013,
                                v.span(),
                                format!("`{p}` is not a valid ingress path"),
                            )
                            .with_label(why)
                            .with_note("posture writes the path with `pathType: Prefix`"),
                        );
                        None
                    }
                }),
        };
        let class = match a.get("class") {
            None => None,
            Some(v) => match cx.string(v) {
                Some(c) if ir::k8s::is_dns1123_subdomain(&c) => Some(c),
                Some(c) => {
                    cx.err(
                        Diagnostic::spanned(
                            &codes::P1013,
                            v.span(),
                            format!("`{c}` is not a valid ingress class name"),
                        )
                        .with_label("an IngressClass name is a DNS-1123 subdomain")
                        .with_help("use lowercase letters, digits, `-` and `.`, at most 253 characters, each part starting and ending with a letter or digit"),
                    );
                    None
                }
                None => None,
            },
        };
        let tls = a.req(cx, "tls").and_then(|v| {
            let entries = cx.map(v)?;
            let ta = Attrs::new(
                cx,
                "`tls`",
                v.span(),
                entries,
                &["issuer", "cluster_issuer", "secret"],
            );
            let issuer = ta.req(cx, "issuer").and_then(|v| cx.name(v));
            let cluster_issuer = ta
                .get("cluster_issuer")
                .and_then(|v| cx.bool(v))
                .unwrap_or(true);
            let secret_name = match ta.get("secret").and_then(|v| cx.name(v)) {
                Some((s, span)) => {
                    cx.k8s_name(&s, span, "a TLS secret's name");
                    s
                }
                None => Name::new(format!("{n}-tls")),
            };
            issuer.map(|(issuer, _)| Tls {
                issuer,
                cluster_issuer,
                secret_name,
            })
        });
        let meta = meta(cx, item, &a);
        if let (Some((workload, _)), Some(host), Some(port), Some(path), Some(tls)) =
            (workload, host, port, path, tls)
        {
            out.insert(
                n.clone(),
                Ingress {
                    name: n,
                    workload,
                    host,
                    port,
                    path,
                    class,
                    tls,
                    meta,
                },
            );
        }
    }
    out
}

pub(crate) fn mesh(
    cx: &mut Cx,
    syms: &mut Symbols,
    items: &[Top<'_>],
    workloads: &BTreeMap<Name, Workload>,
) -> Option<Mesh> {
    let first = items.first()?.item;
    if let Some(second) = items.get(1) {
        cx.err(
            Diagnostic::spanned(
                &codes::P1004,
                second.item.keyword.span,
                "`mesh` is declared twice",
            )
            .with_secondary(first.keyword.span, "first declared here"),
        );
    }
    let a = Attrs::of_item(
        cx,
        "`mesh`",
        first,
        &["mtls", "provider", "namespaces", "permissive", "satisfies"],
    );
    // `permissive = { portal = [http, 9090] }`: ports that accept clients outside the mesh.
    let mut permissive: BTreeMap<Name, std::collections::BTreeSet<ir::Port>> = BTreeMap::new();
    if let Some(v) = a.get("permissive")
        && let Some(entries) = cx.map(v)
    {
        for e in entries {
            let w = Name(e.key.text.clone());
            syms.refer(Kind::Workload, &w, e.key.span);
            let ports = cx.list_of(&e.value, |cx, item| {
                let Some(wl) = workloads.get(&w) else {
                    return None; // an unknown workload: reported by the resolver
                };
                match item {
                    Value::Number(_) => cx
                        .int(item, 1..=65535)
                        .and_then(|n| u16::try_from(n).ok())
                        .map(ir::Port),
                    _ => {
                        let (pname, span) = cx.name(item)?;
                        match wl.ports.get(&pname) {
                            Some(np) => Some(np.port),
                            None => {
                                cx.err(
                                    Diagnostic::spanned(
                                        &ncodes::P4003,
                                        span,
                                        format!("workload `{w}` has no port `{pname}`"),
                                    )
                                    .with_did_you_mean(
                                        pname.as_str(),
                                        wl.ports.keys().map(|k| k.as_str()),
                                    ),
                                );
                                None
                            }
                        }
                    }
                }
            });
            permissive.entry(w).or_default().extend(ports);
        }
    }
    let mtls = a
        .req(cx, "mtls")
        .and_then(|v| cx.variant(v, &["strict", "permissive"]));
    let provider = a
        .get("provider")
        .map(|v| cx.variant(v, &["istio"]))
        .unwrap_or(Some("istio"));
    let mut namespaces = Vec::new();
    if let Some(v) = a.get("namespaces") {
        for (n, span) in cx.names(v) {
            syms.refer(Kind::Namespace, &n, span);
            namespaces.push(n);
        }
    }
    let meta = meta(cx, first, &a);
    let mtls = match mtls? {
        "strict" => MtlsMode::Strict,
        _ => MtlsMode::Permissive,
    };
    provider?;
    Some(Mesh {
        mtls,
        provider: MeshProvider::Istio,
        namespaces,
        permissive,
        meta,
    })
}

/// Whole-network checks once everything is resolved: duplicate intents (P4004), intents that
/// another one already covers (P4007), address blocks overlapping the cluster's own ranges
/// (P4005), intents with no effect because neither side denies by default (P4006), and named
/// ports used with the wrong protocol (P4003).
///
/// Every side of every intent is interned first ([`Sides`]): each distinct peer and namespace
/// gets a small number, once, and the rules compare and hash those numbers instead of peers
/// and names (which was most of this function's time at 10,000 workloads).
pub(crate) fn check_flows(
    cx: &mut Cx,
    net: &Network,
    namespaces: &BTreeMap<Name, Namespace>,
    workloads: &BTreeMap<Name, Workload>,
    target: Option<&ir::system::Target>,
) {
    let _ = namespaces;
    let sides = Sides::new(net, workloads, target);
    // Keyed by the intent's parts (peers by their interned number: equal numbers, equal
    // peers), not by their `Debug` text.
    type FlowKey<'a> = (u32, u32, &'a [PortSpec], Protocol);
    // The first intent of each flow.
    let mut seen: FastMap<FlowKey<'_>, &Intent> = FastMap::default();
    seen.reserve(net.intents.len());
    let mut duplicate = vec![false; net.intents.len()];
    for (n, i) in net.intents.iter().enumerate() {
        let (from, to) = sides.ends[n];
        let key: FlowKey<'_> = (from, to, i.ports.as_slice(), i.protocol);
        match seen.entry(key) {
            std::collections::hash_map::Entry::Occupied(first) => {
                duplicate[n] = true;
                cx.err(
                    Diagnostic::spanned(
                        &ncodes::P4004,
                        i.meta.span,
                        "this intent repeats an earlier one",
                    )
                    .with_secondary(first.get().meta.span, "first declared here")
                    .with_help("delete one of them"),
                );
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
        if let Some(t) = target {
            for side in [&i.from, &i.to] {
                let Peer::Cidr { cidr, .. } = side else {
                    continue;
                };
                for r in t.pod_cidrs.iter().chain(&t.service_cidrs) {
                    if cidr.overlaps(r) {
                        cx.err(
                            Diagnostic::spanned(&ncodes::P4005, i.meta.span, format!("`{cidr}` overlaps the cluster range `{r}`"))
                                .with_help("address blocks are for peers outside the cluster; name a workload or namespace instead")
                                .with_note("what an ipBlock does to pod and service addresses depends on the CNI"),
                        );
                    }
                }
            }
        }
        // A named port resolves by name *and* protocol on the destination's pods.
        if i.ports.iter().any(|p| matches!(p, PortSpec::Named { .. }))
            && let Some(w) = sides.workload[to as usize]
        {
            for p in &i.ports {
                let PortSpec::Named { name: pname, .. } = p else {
                    continue;
                };
                if let Some(np) = w.ports.get(pname)
                    && np.protocol != i.protocol
                {
                    cx.err(
                        Diagnostic::spanned(
                            &ncodes::P4003,
                            i.meta.span,
                            format!(
                                "workload `{}` has no {} port `{pname}`",
                                w.name,
                                protocol_name(i.protocol)
                            ),
                        )
                        .with_note(format!(
                            "`{pname}` is a {} port; a named port matches by name and protocol",
                            protocol_name(np.protocol)
                        ))
                        .with_help(format!(
                            "say `protocol = {}` on this intent",
                            protocol_name(np.protocol).to_lowercase()
                        )),
                    );
                }
            }
        }
    }

    // Not needed below: freed before the shadowing index is built beside the rest.
    drop(seen);
    shadowed(cx, net, &sides, &duplicate);

    // An allow has no effect when no side of it is isolated: the destination's namespace does
    // not deny ingress and the source's does not deny egress (addresses have no side).
    let mut isolation: Vec<(bool, bool)> = vec![(false, false); sides.ns_names.len()];
    for dd in &net.default_deny {
        // A namespace no intent reaches is never asked about.
        let Some(&ns) = sides.ns_ids.get(&dd.namespace) else {
            continue;
        };
        let e = &mut isolation[ns as usize];
        e.0 |= dd.directions.contains(&Direction::Ingress);
        e.1 |= dd.directions.contains(&Direction::Egress);
    }
    let denied = |ns: u32, d: Direction| {
        let (ingress, egress) = isolation[ns as usize];
        match d {
            Direction::Ingress => ingress,
            Direction::Egress => egress,
        }
    };
    for (n, i) in net.intents.iter().enumerate() {
        let (from, to) = sides.ends[n];
        let to_ns = sides.peer_ns[to as usize];
        let from_ns = sides.peer_ns[from as usize];
        if matches!(
            &i.to,
            Peer::Workload { .. }
                | Peer::IngressController
                | Peer::ClusterDns
                | Peer::MeshControlPlane
        ) && to_ns.is_none()
            || matches!(
                &i.from,
                Peer::Workload { .. }
                    | Peer::IngressController
                    | Peer::ClusterDns
                    | Peer::MeshControlPlane
            ) && from_ns.is_none()
        {
            continue; // an unknown workload, or no target: reported elsewhere
        }
        let isolated_in = to_ns.is_some_and(|n| denied(n, Direction::Ingress));
        let isolated_out = from_ns.is_some_and(|n| denied(n, Direction::Egress));
        if isolated_in || isolated_out {
            continue;
        }
        let (ns, dir, other) = match (to_ns, from_ns) {
            (Some(t), f) => (t, "ingress", f.map(|f| (f, "egress"))),
            (None, Some(f)) => (f, "egress", None),
            (None, None) => continue,
        };
        let ns_name = sides.ns_names[ns as usize];
        let mut d = Diagnostic::spanned(
            &ncodes::P4006,
            i.meta.span,
            format!("`{ns_name}` is not default-deny for {dir}"),
        )
        .with_label("this allow has no effect")
        .with_help(format!(
            "add `default_deny = {{ namespaces = [{ns_name}], directions = [{dir}] }}`"
        ));
        if let Some((f, fdir)) = other {
            d = d.with_note(if f == ns {
                format!("nor is it default-deny for {fdir}, so this flow is allowed already")
            } else {
                format!(
                    "nor is `{}` default-deny for {fdir}, so this flow is allowed already",
                    sides.ns_names[f as usize]
                )
            });
        } else {
            d = d.with_note("everything is allowed already in an open direction");
        }
        cx.err(d);
    }
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
    }
}

/// The sides of every intent, interned: each distinct peer gets a number (equal peers, equal
/// numbers), each namespace a peer lives in gets one too.
struct Sides<'a> {
    /// The distinct peers, by number.
    peers: Vec<&'a Peer>,
    /// The namespace (by number) of each peer; `None` for address blocks, unknown workloads,
    /// and built-in peers without a target.
    peer_ns: Vec<Option<u32>>,
    /// The declared workload of each peer that names one.
    workload: Vec<Option<&'a Workload>>,
    /// The namespaces, by number.
    ns_names: Vec<&'a Name>,
    ns_ids: FastMap<&'a Name, u32>,
    /// Each intent's `(from, to)`.
    ends: Vec<(u32, u32)>,
}

impl<'a> Sides<'a> {
    fn new(
        net: &'a Network,
        workloads: &'a BTreeMap<Name, Workload>,
        target: Option<&'a ir::system::Target>,
    ) -> Self {
        let mut sides = Sides {
            peers: Vec::new(),
            peer_ns: Vec::new(),
            workload: Vec::new(),
            ns_names: Vec::new(),
            ns_ids: FastMap::default(),
            ends: Vec::with_capacity(net.intents.len()),
        };
        let mut ids: FastMap<&'a Peer, u32> = FastMap::default();
        for i in &net.intents {
            let from = sides.intern(&mut ids, &i.from, workloads, target);
            let to = sides.intern(&mut ids, &i.to, workloads, target);
            sides.ends.push((from, to));
        }
        sides
    }

    fn intern(
        &mut self,
        ids: &mut FastMap<&'a Peer, u32>,
        p: &'a Peer,
        workloads: &'a BTreeMap<Name, Workload>,
        target: Option<&'a ir::system::Target>,
    ) -> u32 {
        if let Some(&id) = ids.get(p) {
            return id;
        }
        let workload = match p {
            Peer::Workload { name } => workloads.get(name),
            _ => None,
        };
        let ns: Option<&'a Name> = match p {
            Peer::Workload { .. } => workload.map(|w| &w.namespace),
            Peer::Namespace { name } => Some(name),
            Peer::IngressController => target.map(|t| &t.ingress_controller.namespace),
            Peer::ClusterDns => target.map(|t| &t.cluster_dns.namespace),
            Peer::MeshControlPlane => target.map(|t| &t.mesh_control_plane.namespace),
            Peer::Cidr { .. } => None,
        };
        let ns = ns.map(|n| {
            let next = self.ns_names.len() as u32;
            *self.ns_ids.entry(n).or_insert_with(|| {
                self.ns_names.push(n);
                next
            })
        });
        let id = self.peers.len() as u32;
        self.peers.push(p);
        self.peer_ns.push(ns);
        self.workload.push(workload);
        ids.insert(p, id);
        id
    }

    /// True when every endpoint of peer `inner` is one of peer `outer`.
    fn covers(&self, outer: u32, inner: u32) -> bool {
        if outer == inner {
            return true;
        }
        match (self.peers[outer as usize], self.peers[inner as usize]) {
            (Peer::Namespace { .. }, b) => {
                !matches!(b, Peer::Cidr { .. })
                    && self.peer_ns[inner as usize].is_some()
                    && self.peer_ns[inner as usize] == self.peer_ns[outer as usize]
            }
            (
                Peer::Cidr {
                    cidr: oc,
                    except: oe,
                },
                Peer::Cidr {
                    cidr: ic,
                    except: ie,
                },
            ) => {
                oc.contains(ic)
                    && oe.iter().all(|e| {
                        // Blocks nest or are disjoint: an exception of the outer block that
                        // reaches into the inner one must be cut out of the inner one too.
                        !e.overlaps(ic) || (!e.contains(ic) && ie.iter().any(|x| x.contains(e)))
                    })
            }
            _ => false,
        }
    }

    /// What [`shadowed`] indexes a side by: the peer itself, its namespace (a `namespace.X`
    /// peer is its namespace), or "an address block" (blocks cover each other by containment,
    /// so all of them share one key).
    fn key(&self, p: u32) -> SideKey {
        match self.peers[p as usize] {
            Peer::Cidr { .. } => SideKey::Cidr,
            Peer::Namespace { .. } => {
                SideKey::Namespace(self.peer_ns[p as usize].expect("a namespace peer is its own"))
            }
            _ => SideKey::Peer(p),
        }
    }

    /// The keys under which an intent side can be covered: itself and its namespace.
    fn keys(&self, p: u32) -> impl Iterator<Item = SideKey> + use<'_> {
        let ns = match self.peers[p as usize] {
            Peer::Namespace { .. } | Peer::Cidr { .. } => None,
            _ => self.peer_ns[p as usize].map(SideKey::Namespace),
        };
        std::iter::once(self.key(p)).chain(ns)
    }
}

/// See [`Sides::key`]: peers and namespaces by their interned numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SideKey {
    Cidr,
    Namespace(u32),
    Peer(u32),
}

/// Appends the inclusive port ranges an intent allows (every port when it names none),
/// sorted and merged, to `out`.
fn port_ranges(i: &ir::network::Intent, out: &mut Vec<(u16, u16)>) {
    let range = |p: &PortSpec| match p {
        PortSpec::Number { port } | PortSpec::Named { port, .. } => (port.0, port.0),
        PortSpec::Range { first, last } => (first.0, last.0),
    };
    match i.ports.as_slice() {
        [] => out.push((1, 65535)),
        [p] => out.push(range(p)),
        ports => {
            let mut v: Vec<(u16, u16)> = ports.iter().map(range).collect();
            v.sort_unstable();
            let start = out.len();
            for (a, b) in v {
                match out[start..].last_mut() {
                    Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                    _ => out.push((a, b)),
                }
            }
        }
    }
}

/// P4007: an intent every connection of which another intent allows already. Intents are
/// indexed by the sides that could cover them (the same peer, or its namespace), so the check
/// is not quadratic in the number of intents.
fn shadowed(cx: &mut Cx, net: &Network, sides: &Sides<'_>, duplicate: &[bool]) {
    let mut index: FastMap<(SideKey, SideKey), Vec<u32>> = FastMap::default();
    for (n, &(from, to)) in sides.ends.iter().enumerate() {
        index
            .entry((sides.key(from), sides.key(to)))
            .or_default()
            .push(n as u32);
    }
    // Every intent's ranges in one vector: intent `n`'s are `flat[at[n]..at[n + 1]]`.
    let mut flat: Vec<(u16, u16)> = Vec::with_capacity(net.intents.len());
    let mut at: Vec<usize> = Vec::with_capacity(net.intents.len() + 1);
    for i in &net.intents {
        at.push(flat.len());
        port_ranges(i, &mut flat);
    }
    at.push(flat.len());
    let ranges = |n: usize| &flat[at[n]..at[n + 1]];
    let within = |inner: &[(u16, u16)], outer: &[(u16, u16)]| {
        inner
            .iter()
            .all(|&(a, b)| outer.iter().any(|&(c, d)| c <= a && b <= d))
    };
    for (j, ij) in net.intents.iter().enumerate() {
        if duplicate.get(j).copied().unwrap_or(false) {
            continue;
        }
        let (jf, jt) = sides.ends[j];
        let mut by: Option<usize> = None;
        'search: for fk in sides.keys(jf) {
            for tk in sides.keys(jt) {
                for &i in index.get(&(fk, tk)).into_iter().flatten() {
                    let i = i as usize;
                    let ii = &net.intents[i];
                    let (if_, it) = sides.ends[i];
                    if i == j
                        || ii.protocol != ij.protocol
                        || duplicate.get(i).copied().unwrap_or(false)
                        || !sides.covers(if_, jf)
                        || !sides.covers(it, jt)
                        || !within(ranges(j), ranges(i))
                    {
                        continue;
                    }
                    // Two intents that cover each other: only the later one is redundant.
                    let mutual = sides.covers(jf, if_)
                        && sides.covers(jt, it)
                        && within(ranges(i), ranges(j));
                    if !mutual || i < j {
                        by = Some(i);
                        break 'search;
                    }
                }
            }
        }
        if let Some(i) = by {
            cx.err(
                Diagnostic::spanned(
                    &ncodes::P4007,
                    ij.meta.span,
                    "this intent adds nothing: another one already allows all of it",
                )
                .with_secondary(net.intents[i].meta.span, "this one covers it")
                .with_help("delete it, or narrow the other intent"),
            );
        }
    }
}

/// The flows a `mesh` implies, appended to the network's intents with a trace to the mesh:
/// from every meshed namespace to the mesh's control plane (Istio: 15012, xDS and certificate
/// signing over mTLS) and, where the namespace is not in `allow_dns`, to the cluster DNS (53,
/// UDP and TCP). Without them, default-deny egress stops every sidecar from getting its
/// configuration and certificate. A flow the posture already declares is not added twice.
pub(crate) fn mesh_flows(net: &mut ir::network::Network, mesh: Option<&Mesh>, meshed: &[Name]) {
    let Some(m) = mesh else { return };
    let implied = |to: Peer, port: u16, protocol: Protocol, ns: &Name| Intent {
        name: None,
        from: Peer::Namespace { name: ns.clone() },
        to,
        ports: vec![PortSpec::Number {
            port: ir::Port(port),
        }],
        protocol,
        tls: false,
        implied_by: Some(ir::ItemId::block(ir::Block::Mesh)),
        meta: {
            let mut meta = ir::Meta::new(m.meta.span);
            meta.doc = Some(format!(
                "Implied by `mesh`: the sidecars of namespace {ns} reach the mesh's control plane and DNS."
            ));
            meta
        },
        id_cache: Default::default(),
    };
    let mut add = Vec::new();
    for ns in meshed {
        for port in ir::network::ISTIO_SIDECAR_PORTS {
            let mut i = implied(Peer::MeshControlPlane, port, Protocol::Tcp, ns);
            i.tls = true; // xDS and the CA over mutual TLS
            add.push(i);
        }
        if !net.allow_dns.contains(ns) {
            for protocol in [Protocol::Udp, Protocol::Tcp] {
                add.push(implied(Peer::ClusterDns, 53, protocol, ns));
            }
        }
    }
    for i in add {
        let declared = net.intents.iter().any(|d| {
            d.from == i.from && d.to == i.to && d.ports == i.ports && d.protocol == i.protocol
        });
        if !declared {
            net.intents.push(i);
        }
    }
}
