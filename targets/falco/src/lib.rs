//! Target `falco/`: the posture's runtime detections as Falco rules files.
//!
//! - `falco/posture_rules.yaml`: `required_engine_version`, `required_plugin_versions` (the
//!   container plugin when any `container.*` or `k8s.*` field is used: in Falco 0.44 both
//!   come from it), the lists, the macros (each after the macros it uses), and the rules
//!   sorted by name: the posture's own, those of the standard-library rule sets it uses, one
//!   per behaviour profile, and (with `use std.falco.defaults`) one data-exfiltration rule per
//!   workload derived from the network block's declared egress ([`allowed_egress`]). A header names the posture items each rule came from.
//! - `falco/falco.yaml`: a `falco.yaml` fragment whose `rules_files` loads Falco's default
//!   rules and then ours, in that order.
//!
//! Every condition is a `falco_lang` tree, printed once; the target builds its own (profiles,
//! exceptions) with the builder. A posture exception that waives a runtime rule becomes that
//! rule's `exceptions` entry, scoped exactly as written: the namespaces, and each workload's
//! namespace and selector labels; a workload outside the exception's namespaces adds nothing
//! (the scope is their intersection, as in the admission back ends). An exception whose scope
//! has a CEL `condition` cannot be written for Falco: the proof refuses it (P5011) and the
//! build writes nothing.

use emit::{Artifact, Origin, Proof, Role, TargetId};
use falco_lang::{Expr, Field};
use ir::runtime::{Priority, Profile, Rule};
use ir::{Block, ItemId, Posture};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// This target: the `falco/` folder.
pub const TARGET: TargetId = TargetId("falco");

/// The rules file.
pub const RULES_PATH: &str = "falco/posture_rules.yaml";
/// The `falco.yaml` fragment.
pub const CONFIG_PATH: &str = "falco/falco.yaml";
/// Where the fragment expects the rules file to be installed.
pub const INSTALLED_RULES: &str = "/etc/falco/rules.d/posture_rules.yaml";

/// The engine version the rules require when they use the container plugin: the version
/// falcosecurity/rules declares alongside container plugin 0.4.0 (the upstream files in
/// `tests/conformance/falco/upstream/`).
pub const ENGINE_WITH_CONTAINER_PLUGIN: &str = "0.57.0";
/// The engine version of rules that use only syscall fields: Falco's first semver engine
/// version, which has every operator the checker accepts but `regex`.
pub const ENGINE_BASE: &str = "0.31.0";
/// The container plugin version the upstream rules require.
pub const CONTAINER_PLUGIN_VERSION: &str = "0.4.0";

/// One item of a Falco rules file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Item {
    Engine {
        required_engine_version: String,
    },
    Plugins {
        required_plugin_versions: Vec<PluginVersion>,
    },
    List {
        list: String,
        items: Vec<String>,
    },
    Macro {
        #[serde(rename = "macro")]
        name: String,
        condition: String,
    },
    Rule(Box<FalcoRule>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginVersion {
    pub name: String,
    pub version: String,
}

/// A Falco rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FalcoRule {
    pub rule: String,
    pub desc: String,
    pub condition: String,
    pub output: String,
    pub priority: Priority,
    pub source: String,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<FalcoException>,
}

/// A Falco exception: field tuples that waive the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FalcoException {
    pub name: String,
    pub fields: Vec<String>,
    pub comps: Vec<String>,
    pub values: Vec<Vec<String>>,
}

/// The `falco.yaml` fragment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Config {
    rules_files: Vec<String>,
}

/// A rule about to be written, with the posture items it came from.
struct Built {
    rule: FalcoRule,
    /// The items whose controls the rule implements (the artifact's origins).
    origins: Vec<Origin>,
    /// Items the rule is derived from without implementing their controls (a workload's
    /// selector, the network intents of an exfiltration rule): named in the header only.
    derived_from: Vec<ItemId>,
    /// Every field it uses (condition, output, exceptions).
    fields: Vec<Field>,
}

/// `k8s.pod.label.KEY`, or `k8s.pod.label[KEY]` when the key is not a dotted name.
pub fn pod_label(key: &str) -> Field {
    let dotted = key
        .split('.')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if dotted && key.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Field::new(format!("k8s.pod.label.{key}"))
    } else {
        Field::indexed("k8s.pod.label", key)
    }
}

fn print_field(f: &Field) -> String {
    falco_lang::print::print_field(f)
}

/// The exception entries of one posture exception for a rule: namespaces alone, or each
/// declared workload (namespace and selector labels) inside the exception's namespaces.
/// Workloads with the same label keys share one entry.
pub fn exceptions_for(p: &Posture, e: &ir::system::Exception) -> Vec<FalcoException> {
    let ns = Field::new("k8s.ns.name");
    let mut out = Vec::new();
    if e.scope.workloads.is_empty() {
        if !e.scope.namespaces.is_empty() {
            out.push(FalcoException {
                name: e.name.to_string(),
                fields: vec![print_field(&ns)],
                comps: vec!["=".to_string()],
                values: e
                    .scope
                    .namespaces
                    .iter()
                    .map(|n| vec![n.to_string()])
                    .collect(),
            });
        }
        return out;
    }
    // Group the workloads by their label keys.
    let mut groups: BTreeMap<Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
    for w in e.scope.workloads.iter().filter_map(|n| p.workloads.get(n)) {
        if !e.scope.namespaces.is_empty() && !e.scope.namespaces.contains(&w.namespace) {
            continue;
        }
        let keys: Vec<String> = w.selector.keys().map(|k| k.0.clone()).collect();
        let mut tuple = vec![w.namespace.to_string()];
        tuple.extend(w.selector.values().map(|v| v.0.clone()));
        groups.entry(keys).or_default().push(tuple);
    }
    let many = groups.len() > 1;
    for (i, (keys, mut values)) in groups.into_iter().enumerate() {
        values.sort();
        values.dedup();
        let mut fields = vec![print_field(&ns)];
        fields.extend(keys.iter().map(|k| print_field(&pod_label(k))));
        out.push(FalcoException {
            name: if many {
                format!("{}_{}", e.name, i + 1)
            } else {
                e.name.to_string()
            },
            comps: vec!["=".to_string(); fields.len()],
            fields,
            values,
        });
    }
    out
}

/// The fields an exception entry compares.
fn exception_fields(x: &FalcoException) -> Vec<Field> {
    x.fields
        .iter()
        .filter_map(|f| match falco_lang::parse(&format!("{f} exists")) {
            Ok(Expr::Check { field, .. }) => Some(field),
            _ => None,
        })
        .collect()
}

fn rule_item(p: &Posture, r: &Rule) -> Built {
    let id = ItemId::new(Block::Runtime, r.name.as_str());
    let mut origins = vec![Origin::new(id.clone(), r.meta.span)];
    let mut exceptions = Vec::new();
    for e in p.exceptions.values() {
        if e.waive.contains(&id) && e.scope.condition.is_none() {
            exceptions.extend(exceptions_for(p, e));
            origins.push(Origin::new(
                ItemId::new(Block::Exception, e.name.as_str()),
                e.meta.span,
            ));
        }
    }
    let mut fields: Vec<Field> = r.condition.expr.fields().into_iter().cloned().collect();
    fields.extend(
        falco_lang::check::output_fields(&r.output)
            .into_iter()
            .map(|(f, _)| f),
    );
    fields.extend(exceptions.iter().flat_map(exception_fields));
    Built {
        rule: FalcoRule {
            rule: r.title.clone(),
            desc: r.meta.doc.clone().unwrap_or_else(|| r.title.clone()),
            condition: falco_lang::print(&qualified(p, &r.condition.expr)),
            output: r.output.clone(),
            priority: r.priority,
            source: "syscall".to_string(),
            enabled: r.enabled,
            tags: r.tags.clone(),
            exceptions,
        },
        origins,
        derived_from: Vec::new(),
        fields,
    }
}

/// The condition of a behaviour profile: a process starts in the workload's containers and
/// is none of the expected ones.
pub fn profile_condition(p: &Posture, prof: &Profile) -> Option<Expr> {
    let w = p.workloads.get(&prof.workload)?;
    let mut parts = vec![
        Expr::in_(Field::new("evt.type"), ["execve", "execveat"]),
        Expr::cmp(Field::new("container.id"), falco_lang::Op::Ne, "host"),
        Expr::eq(Field::new("k8s.ns.name"), w.namespace.as_str()),
    ];
    for (k, v) in &w.selector {
        parts.push(Expr::eq(pod_label(&k.0), &v.0));
    }
    parts.push(
        Expr::in_(
            Field::new("proc.name"),
            prof.processes.iter().map(String::as_str),
        )
        .not(),
    );
    Some(Expr::all_of(parts))
}

fn profile_item(p: &Posture, prof: &Profile) -> Option<Built> {
    let condition = profile_condition(p, prof)?;
    let output = "Unexpected process in workload (workload=%k8s.ns.name/%k8s.pod.name \
                  process=%proc.name command=%proc.cmdline parent=%proc.pname \
                  container=%container.name)"
        .to_string();
    let mut fields: Vec<Field> = condition.fields().into_iter().cloned().collect();
    fields.extend(
        falco_lang::check::output_fields(&output)
            .into_iter()
            .map(|(f, _)| f),
    );
    Some(Built {
        rule: FalcoRule {
            rule: format!("Unexpected Process in {}", prof.workload),
            desc: prof.meta.doc.clone().unwrap_or_else(|| {
                format!(
                    "A process outside the expected set ({}) started in workload {}.",
                    prof.processes.join(", "),
                    prof.workload
                )
            }),
            condition: falco_lang::print(&condition),
            output,
            priority: prof.priority,
            source: "syscall".to_string(),
            enabled: true,
            tags: vec![
                "container".to_string(),
                "anomaly".to_string(),
                "mitre_execution".to_string(),
                "T1059".to_string(),
            ],
            exceptions: Vec::new(),
        },
        origins: vec![Origin::new(
            ItemId::new(Block::Runtime, format!("profile {}", prof.workload)),
            prof.meta.span,
        )],
        derived_from: vec![ItemId::new(Block::Workload, prof.workload.as_str())],
        fields,
    })
}

/// The bundle whose use turns on the derived data-exfiltration rules.
pub const DEFAULTS_BUNDLE: &str = "falco.defaults";

/// `fd.sport in (…)` for declared ports (numbers and ranges); `None` for every port.
fn ports_condition(ports: &[ir::network::PortSpec]) -> Option<Expr> {
    use ir::network::PortSpec;
    if ports.is_empty() {
        return None;
    }
    let sport = || Field::new("fd.sport");
    let mut numbers: Vec<String> = Vec::new();
    let mut parts = Vec::new();
    for p in ports {
        match p {
            PortSpec::Number { port } | PortSpec::Named { port, .. } => {
                numbers.push(port.0.to_string())
            }
            PortSpec::Range { first, last } => parts.push(Expr::all_of([
                Expr::cmp(sport(), falco_lang::Op::Ge, &first.0.to_string()),
                Expr::cmp(sport(), falco_lang::Op::Le, &last.0.to_string()),
            ])),
        }
    }
    if !numbers.is_empty() {
        parts.insert(0, Expr::in_(sport(), numbers.iter().map(String::as_str)));
    }
    Some(Expr::any_of(parts))
}

/// The connections the network block allows a workload to open, as a condition on the
/// server side of the connection: each external block it may reach (minus its exceptions)
/// on the declared ports, in-cluster peers through the pod and service CIDRs on their
/// declared ports (Falco cannot see a peer's labels), and DNS when its namespace may reach
/// the cluster DNS. `None` when nothing is allowed.
pub fn allowed_egress(p: &Posture, w: &ir::network::Workload) -> (Option<Expr>, Vec<Origin>) {
    use ir::network::Peer;
    let snet = || Field::new("fd.snet");
    let cluster: Vec<String> = p
        .target
        .pod_cidrs
        .iter()
        .chain(&p.target.service_cidrs)
        .map(ToString::to_string)
        .collect();
    let mut alternatives = Vec::new();
    let mut origins = Vec::new();
    // A profile's `outbound` narrows the declared egress to the destinations it lists.
    let expected = p
        .runtime
        .profiles
        .get(&w.name)
        .and_then(|prof| prof.outbound.as_ref());
    for i in &p.network.intents {
        let from_w = match &i.from {
            Peer::Workload { name } => name == &w.name,
            Peer::Namespace { name } => name == &w.namespace,
            _ => false,
        };
        if !from_w || expected.is_some_and(|o| !o.iter().any(|o| o.matches(&i.to))) {
            continue;
        }
        let dest = match &i.to {
            Peer::Cidr { cidr, except } => {
                let mut d = Expr::in_(snet(), [cidr.to_string().as_str()]);
                if !except.is_empty() {
                    let ex: Vec<String> = except.iter().map(ToString::to_string).collect();
                    d = d.and(Expr::in_(snet(), ex.iter().map(String::as_str)).not());
                }
                d
            }
            _ if cluster.is_empty() => continue,
            _ => Expr::in_(snet(), cluster.iter().map(String::as_str)),
        };
        let allowed = match ports_condition(&i.ports) {
            Some(ports) => dest.and(ports),
            None => dest,
        };
        alternatives.push(allowed);
        origins.push(Origin::new(i.id(), i.meta.span));
    }
    if p.network.allow_dns.contains(&w.namespace) && !cluster.is_empty() {
        alternatives.push(
            Expr::in_(snet(), cluster.iter().map(String::as_str))
                .and(Expr::eq(Field::new("fd.sport"), "53")),
        );
    }
    if alternatives.is_empty() {
        (None, origins)
    } else {
        (Some(Expr::any_of(alternatives)), origins)
    }
}

/// The exfiltration rule's condition for a workload: a connection from its pods that
/// [`allowed_egress`] does not allow; with the intents it is derived from.
pub fn egress_condition(p: &Posture, w: &ir::network::Workload) -> (Expr, Vec<Origin>) {
    let (allowed, intents) = allowed_egress(p, w);
    let mut parts = vec![
        Expr::cmp(Field::new("evt.type"), falco_lang::Op::Eq, "connect"),
        Expr::any_of([
            Expr::eq(Field::new("fd.typechar"), "4"),
            Expr::eq(Field::new("fd.typechar"), "6"),
        ]),
        Expr::any_of([
            Expr::cmp(Field::new("evt.rawres"), falco_lang::Op::Ge, "0"),
            Expr::eq(Field::new("evt.res"), "EINPROGRESS"),
        ]),
        Expr::cmp(Field::new("container.id"), falco_lang::Op::Ne, "host"),
        Expr::eq(Field::new("k8s.ns.name"), w.namespace.as_str()),
    ];
    for (k, v) in &w.selector {
        parts.push(Expr::eq(pod_label(&k.0), &v.0));
    }
    parts.push(Expr::in_(Field::new("fd.snet"), ["127.0.0.0/8"]).not());
    if let Some(a) = allowed {
        parts.push(a.not());
    }
    (Expr::all_of(parts), intents)
}

/// Data exfiltration: one rule per workload that fires on any outbound connection the network
/// block does not declare for it: for every workload with `use std.falco.defaults`, and for
/// each workload with a behaviour profile (whose `outbound` may narrow the declared egress).
fn egress_items(p: &Posture) -> Vec<Built> {
    let using = p.runtime.uses.iter().find(|u| u.bundle == DEFAULTS_BUNDLE);
    let mut out = Vec::new();
    for w in p.workloads.values() {
        let profile = p.runtime.profiles.get(&w.name);
        if using.is_none() && profile.is_none() {
            continue;
        }
        let (condition, intents) = egress_condition(p, w);
        let output = "Outbound connection the posture does not declare (workload=%k8s.ns.name/%k8s.pod.name \
                      command=%proc.cmdline connection=%fd.name container=%container.name)"
            .to_string();
        let mut fields: Vec<Field> = condition.fields().into_iter().cloned().collect();
        fields.extend(
            falco_lang::check::output_fields(&output)
                .into_iter()
                .map(|(f, _)| f),
        );
        let mut origins = Vec::new();
        if let Some(using) = using {
            origins.push(Origin::new(
                ItemId::new(Block::Runtime, format!("use std.{}", using.bundle)),
                using.meta.span,
            ));
        }
        if let Some(prof) = profile {
            origins.push(Origin::new(
                ItemId::new(Block::Runtime, format!("profile {}", prof.workload)),
                prof.meta.span,
            ));
        }
        let mut derived_from: Vec<ItemId> = intents.into_iter().map(|o| o.item).collect();
        derived_from.push(ItemId::new(Block::Workload, w.name.as_str()));
        out.push(Built {
            rule: FalcoRule {
                rule: format!("Undeclared Outbound Connection from {}", w.name),
                desc: if profile.is_some_and(|prof| prof.outbound.is_some()) {
                    format!(
                        "Data exfiltration: workload {} connects to a destination its behaviour profile does not expect (its `outbound`, a part of its declared egress).",
                        w.name
                    )
                } else {
                    format!(
                        "Data exfiltration: workload {} connects to a destination its network intents do not declare.",
                        w.name
                    )
                },
                condition: falco_lang::print(&condition),
                output,
                priority: Priority::Warning,
                source: "syscall".to_string(),
                enabled: true,
                tags: vec![
                    "container".to_string(),
                    "network".to_string(),
                    "mitre_exfiltration".to_string(),
                    "T1041".to_string(),
                ],
                exceptions: Vec::new(),
            },
            origins,
            derived_from,
            fields,
        });
    }
    out
}

/// The macros in an order where each comes after the macros it uses (then by name); a cycle
/// (which the checker's expansion would not end on) keeps its remaining macros by name.
fn macro_order(p: &Posture) -> Vec<&ir::runtime::Macro> {
    let macros = &p.runtime.macros;
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < macros.len() {
        let before = out.len();
        for (name, m) in macros {
            if done.contains(name.as_str()) {
                continue;
            }
            let ready =
                m.condition.expr.macros().iter().all(|i| {
                    done.contains(i.name.as_str()) || !macros.contains_key(i.name.as_str())
                });
            if ready {
                done.insert(name.as_str());
                out.push(m);
            }
        }
        if out.len() == before {
            for (name, m) in macros {
                if done.insert(name.as_str()) {
                    out.push(m);
                }
            }
        }
    }
    out
}

/// The lists in an order where each comes after the lists its items name.
fn list_order(p: &Posture) -> Vec<&ir::runtime::List> {
    let lists = &p.runtime.lists;
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < lists.len() {
        let before = out.len();
        for (name, l) in lists {
            if !done.contains(name.as_str())
                && l.items
                    .iter()
                    .all(|i| done.contains(i.as_str()) || !lists.contains_key(i.as_str()))
            {
                done.insert(name.as_str());
                out.push(l);
            }
        }
        if out.len() == before {
            for (name, l) in lists {
                if done.insert(name.as_str()) {
                    out.push(l);
                }
            }
        }
    }
    out
}

/// A list item as Falco splices it into conditions: bare when it reads as itself, else a
/// quoted string.
/// The prefix of the posture's own lists and macros in the emitted file. Falco loads its
/// default rules first and ours after them, and a list or macro defined again replaces the
/// earlier one: unprefixed, the posture's `outbound` or `shell_binaries` would silently change
/// what Falco's default rules detect. Prefixed, nothing of ours touches them.
pub const PREFIX: &str = "posture_";

/// A posture list or macro name as emitted.
pub fn emitted_name(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// A condition as emitted: references to the posture's own macros and lists carry
/// [`PREFIX`]. Falco's names (fields, event types, values) are unchanged.
pub fn qualified(p: &Posture, e: &Expr) -> Expr {
    use falco_lang::{Ident, Operand};
    match e {
        Expr::And(v) => Expr::And(v.iter().map(|x| qualified(p, x)).collect()),
        Expr::Or(v) => Expr::Or(v.iter().map(|x| qualified(p, x)).collect()),
        Expr::Not(x) => Expr::Not(Box::new(qualified(p, x))),
        Expr::Macro(i) if p.runtime.macros.contains_key(i.name.as_str()) => Expr::Macro(Ident {
            name: emitted_name(&i.name),
            range: i.range,
        }),
        Expr::Check {
            field,
            op,
            operand: Some(Operand::List(items)),
        } => Expr::Check {
            field: field.clone(),
            op: *op,
            operand: Some(Operand::List(
                items
                    .iter()
                    .map(|v| match v.bare() {
                        Some(n) if p.runtime.lists.contains_key(n) => {
                            falco_lang::Value::of(&emitted_name(n))
                        }
                        _ => v.clone(),
                    })
                    .collect(),
            )),
        },
        other => other.clone(),
    }
}

fn list_item_text(item: &str) -> String {
    let v = falco_lang::Value::of(item);
    match &v.kind {
        falco_lang::ValueKind::Bare(s) => s.clone(),
        falco_lang::ValueKind::Quoted { quote, raw } => format!("{quote}{raw}{quote}"),
    }
}

/// The rules file's items and origins, or `None` when the posture has no runtime detection.
fn rules_file(p: &Posture) -> Option<(Vec<Item>, Vec<Origin>, String)> {
    let rt = &p.runtime;
    let mut built: Vec<Built> = rt.rules.values().map(|r| rule_item(p, r)).collect();
    built.extend(
        rt.profiles
            .values()
            .filter_map(|prof| profile_item(p, prof)),
    );
    built.extend(egress_items(p));
    if built.is_empty() {
        return None;
    }
    built.sort_by(|a, b| a.rule.rule.cmp(&b.rule.rule));

    let mut fields: Vec<&Field> = built.iter().flat_map(|b| b.fields.iter()).collect();
    let macro_fields: Vec<Field> = rt
        .macros
        .values()
        .flat_map(|m| m.condition.expr.fields().into_iter().cloned())
        .collect();
    fields.extend(macro_fields.iter());
    let container = falco_lang::check::uses_container_plugin(fields);

    let mut items = vec![Item::Engine {
        required_engine_version: if container {
            ENGINE_WITH_CONTAINER_PLUGIN
        } else {
            ENGINE_BASE
        }
        .to_string(),
    }];
    if container {
        items.push(Item::Plugins {
            required_plugin_versions: vec![PluginVersion {
                name: "container".to_string(),
                version: CONTAINER_PLUGIN_VERSION.to_string(),
            }],
        });
    }
    let mut origins = Vec::new();
    for l in list_order(p) {
        items.push(Item::List {
            list: emitted_name(l.name.as_str()),
            items: l
                .items
                .iter()
                .map(|i| {
                    if rt.lists.contains_key(i.as_str()) {
                        emitted_name(i)
                    } else {
                        list_item_text(i)
                    }
                })
                .collect(),
        });
        origins.push(Origin::new(
            ItemId::new(Block::Runtime, l.name.as_str()),
            l.meta.span,
        ));
    }
    for m in macro_order(p) {
        items.push(Item::Macro {
            name: emitted_name(m.name.as_str()),
            condition: falco_lang::print(&qualified(p, &m.condition.expr)),
        });
        origins.push(Origin::new(
            ItemId::new(Block::Runtime, m.name.as_str()),
            m.meta.span,
        ));
    }
    let mut header = String::from(
        "# Generated by posture from the posture's runtime block; do not edit.\n\
         # Each rule and the posture items it came from:\n",
    );
    for b in built {
        let mut ids: Vec<String> = b
            .origins
            .iter()
            .map(|o| o.item.to_string())
            .chain(b.derived_from.iter().map(ToString::to_string))
            .collect();
        ids.sort();
        ids.dedup();
        header.push_str(&format!("#   {:?}: {}\n", b.rule.rule, ids.join(", ")));
        origins.extend(b.origins);
        items.push(Item::Rule(Box::new(b.rule)));
    }
    Some((items, origins, header))
}

/// The rules file and the `falco.yaml` fragment; nothing when the posture has no runtime
/// rule or profile.
pub fn emit(p: &Posture) -> Vec<Artifact> {
    let Some((items, origins, header)) = rules_file(p) else {
        return Vec::new();
    };
    let mut bytes = header.into_bytes();
    bytes.extend(emit::to_yaml(&items).into_bytes());
    let rules = Artifact {
        target: TARGET,
        role: Role::Enforcing,
        path: RULES_PATH.to_string(),
        bytes,
        origins: origins.clone(),
        applyable: false,
        placement: None,
    };
    let config = Artifact::yaml(
        TARGET,
        Role::Configuration,
        CONFIG_PATH,
        &Config {
            rules_files: vec![
                "/etc/falco/falco_rules.yaml".to_string(),
                INSTALLED_RULES.to_string(),
            ],
        },
        origins,
        false,
    );
    vec![rules, config]
}

/// The proof: every exception that waives a runtime rule can be written exactly (P5011
/// otherwise, and the build writes nothing).
pub fn verify(p: &Posture, artifacts: &[Artifact]) -> Vec<Proof> {
    let mut diagnostics = Vec::new();
    for e in p.exceptions.values() {
        let runtime: Vec<&ItemId> = e
            .waive
            .iter()
            .filter(|i| i.block == Block::Runtime)
            .collect();
        if runtime.is_empty() {
            continue;
        }
        if let Some(c) = &e.scope.condition {
            diagnostics.push(
                diagnostics::Diagnostic::spanned(
                    &diagnostics::codes::runtime::P5011,
                    c.span,
                    format!(
                        "exception `{}` waives runtime rule `{}` with a CEL condition, which Falco cannot evaluate",
                        e.name, runtime[0]
                    ),
                )
                .with_label("a Falco exception compares fields of the event, not Kubernetes objects")
                .with_help("scope the runtime waiver by `namespaces` and `workloads` in an exception of its own"),
            );
        }
    }
    let verifies: Vec<String> = artifacts
        .iter()
        .filter(|a| a.target == TARGET)
        .map(|a| a.path.clone())
        .collect();
    vec![Proof {
        id: "falco-exception-scope-proof",
        title: "every runtime waiver is written as a Falco exception exactly as scoped",
        verifies,
        diagnostics,
    }]
}

#[cfg(test)]
mod tests;
