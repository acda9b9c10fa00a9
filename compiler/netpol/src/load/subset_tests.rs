//! The subset reader against serde-saphyr: on every input it either declines or reads what
//! serde-saphyr reads (the same documents as [`Value`]s, and the same loaded model, warnings
//! and errors). Inputs: documents of adversarial strings written by the build's YAML writer
//! (`emit::to_yaml`), and every single-byte deletion and several substitutions of sample
//! documents. The repository's corpora (files read from disk) are `tests/subset_corpora.rs`.

use serde_json::{Map, Value, json};

use crate::model::{NamespaceName, ObjectName};

use super::{
    READ_KINDS, Read, Source, direct, fast, load_sources_with, stream, subset, subset_docs,
    subset_tree_docs, subset_values,
};

/// Checks that the subset reader declines `text` or agrees with serde-saphyr on it; true when
/// it took it.
fn agrees(text: &str) -> bool {
    let Some(mine) = subset_values(text) else {
        return false;
    };
    let mine = mine.unwrap_or_else(|e| panic!("a taken node is no Value ({e}):\n{text}"));
    let reference: Vec<Value> = serde_saphyr::from_multiple(text).unwrap_or_else(|e| {
        panic!("the subset reader takes what serde-saphyr refuses ({e}):\n{text:?}")
    });
    assert_eq!(
        mine, reference,
        "the subset reader reads otherwise:\n{text:?}"
    );
    direct_agrees(text);
    stream_agrees(text);
    let sources = [Source {
        name: "s".to_string(),
        text: text.to_string(),
    }];
    assert_eq!(
        load_sources_with(&sources, Read::Subset),
        load_sources_with(&sources, Read::Value),
        "the loader's model differs:\n{text:?}"
    );
    true
}

/// Checks that every document of `text` the direct conversion ([`direct::doc`]) reads comes
/// out as the conversion through serde gives it; the number it read.
fn direct_agrees(text: &str) -> usize {
    use serde::Deserialize;
    let Ok(nodes) = subset::documents(text) else {
        return 0;
    };
    let mut read = 0;
    for n in &nodes {
        let Some(mine) = direct::doc(n) else { continue };
        let reference = fast::Doc::deserialize(subset::De(n)).unwrap_or_else(|e| {
            panic!("the direct conversion reads what serde does not ({e}):\n{text:?}")
        });
        let reference = comparable(reference).unwrap_or_else(|e| {
            panic!("the direct conversion takes a policy the loader refuses ({e}):\n{text:?}")
        });
        assert_eq!(
            comparable(mine),
            Ok(reference),
            "the direct conversion reads otherwise:\n{text:?}"
        );
        read += 1;
    }
    read
}

/// Checks that the one-pass reader ([`stream`]) takes exactly the sources the tree reader
/// takes, with the same documents; the number of documents it read itself (not through the
/// tree reader).
fn stream_agrees(text: &str) -> usize {
    let tree = subset_tree_docs(text);
    let stream = stream::documents_taken(text);
    assert_eq!(
        stream.is_some(),
        tree.is_some(),
        "the one-pass reader and the tree reader disagree on taking:\n{text:?}"
    );
    let (Some((mine, taken)), Some(reference)) = (stream, tree) else {
        return 0;
    };
    assert_eq!(mine.len(), reference.len(), "{text:?}");
    for (m, r) in mine.into_iter().zip(reference) {
        assert_eq!(
            stream_comparable(m),
            stream_comparable(r),
            "the one-pass reader reads otherwise:\n{text:?}"
        );
    }
    taken
}

/// [`comparable`] without the labels the loader does not read (a NetworkPolicy's, or those of
/// a kind it skips), which the one-pass reader does not keep.
fn stream_comparable(mut doc: fast::Doc) -> Result<String, String> {
    if doc
        .kind
        .as_deref()
        .is_none_or(|k| k == "NetworkPolicy" || !READ_KINDS.contains(&k))
    {
        doc.metadata.labels = None;
    }
    comparable(doc)
}

/// A document as text to compare, with a NetworkPolicy's spec as the model (as the loader
/// makes it from the serde shapes: an error when it refuses it).
fn comparable(doc: fast::Doc) -> Result<String, String> {
    let spec = match doc.spec {
        fast::Spec::Policy(raw) => {
            let p = super::policy(NamespaceName::new("n"), ObjectName::new("p"), raw)?;
            format!(
                "{:?}",
                (p.pod_selector, p.policy_types, p.ingress, p.egress)
            )
        }
        fast::Spec::Model(p) => {
            format!(
                "{:?}",
                (p.pod_selector, p.policy_types, p.ingress, p.egress)
            )
        }
        other => format!("{other:?}"),
    };
    Ok(format!("{:?} {:?} {spec}", doc.kind, doc.metadata))
}

/// Pieces of adversarial strings: YAML 1.1 and 1.2 special scalars, indicators, quotes,
/// escapes, whitespace, line breaks, non-ASCII and control characters.
const NASTY: &[&str] = &[
    "0x1F",
    "0o17",
    "1e3",
    "1.5",
    ".inf",
    "-.Inf",
    ".nan",
    "NaN",
    "1_000",
    "12:30",
    "190:20:30",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "-",
    "- ",
    "--- ",
    "...",
    ": ",
    ":",
    " #",
    "#",
    "\"",
    "\\",
    "\\n",
    "&a",
    "*a",
    "!tag",
    "!!str",
    "[",
    "]",
    "{",
    "}",
    ",",
    "?",
    "? ",
    "|",
    ">",
    "%",
    "@",
    "`",
    "<<",
    "=",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    "\r",
    "é",
    "日本",
    "😀",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "\u{a0}",
    "\0",
    "\u{7f}",
    "\u{1b}",
    "-1",
    "+1",
    "007",
];

/// Pieces of strings the writer writes in the forms the subset reader takes (plain, quoted,
/// folded), YAML 1.1 specials among them.
const BENIGN: &[&str] = &[
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "true",
    "False",
    "null",
    "~",
    "NULL",
    "0755",
    "0",
    "80",
    "a",
    "b",
    "app",
    "x.y/z",
    "it's",
    "'",
    "''",
    "network.allow a -> b:80",
    "10.0.0.0/8",
    "kubernetes.io/metadata.name",
    "svc-000003:http,",
    " -> ",
    "except [10.1.0.0/16]",
    "a b",
    "/",
    "/api",
];

fn adversarial(rng: &mut synthetic::Rng, nasty: bool) -> String {
    let nasty = nasty && rng.chance(1, 4);
    if !nasty && rng.chance(1, 2) {
        return rng.pick::<&str>(BENIGN).to_string();
    }
    let mut s = String::new();
    if !nasty {
        // Most names start with a letter.
        s.push_str(rng.pick::<&str>(&["a", "network.allow ", "x-"]));
    }
    for _ in 0..rng.below(4) {
        if nasty && rng.chance(1, 2) {
            s.push_str(rng.pick::<&str>(NASTY));
        } else {
            s.push_str(rng.pick::<&str>(BENIGN));
        }
    }
    if rng.chance(1, 8) {
        // Long enough for the writer to fold it, with and without spaces.
        let words: &[&str] = if nasty {
            &[
                "ab",
                "a b ",
                "network.allow x -> y:80, ",
                "é ",
                "a\n",
                "a  b",
                " #c",
            ]
        } else {
            &["ab", "a b ", "network.allow x -> y:80, "]
        };
        let word = rng.pick(words);
        for _ in 0..rng.below(60) {
            s.push_str(word);
        }
    }
    s
}

fn number(rng: &mut synthetic::Rng, nasty: bool) -> Value {
    match if nasty { rng.below(5) } else { 0 } {
        0 => json!(rng.below(70_000)),
        1 => json!(-(rng.below(1000) as i64)),
        2 => json!(rng.next_u64()),
        3 => json!(rng.below(1000) as f64 / 8.0),
        _ => json!(0),
    }
}

fn scalar(rng: &mut synthetic::Rng, nasty: bool) -> Value {
    match rng.below(10) {
        0 => number(rng, nasty),
        1 if nasty => json!(rng.chance(1, 2)),
        2 if nasty => Value::Null,
        _ => Value::String(adversarial(rng, nasty)),
    }
}

fn tree(rng: &mut synthetic::Rng, depth: usize, nasty: bool) -> Value {
    match if depth > 3 { 0 } else { rng.below(4) } {
        0 => scalar(rng, nasty),
        1 => Value::Array(
            (0..rng.below(4))
                .map(|_| tree(rng, depth + 1, nasty))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.below(4))
                .map(|_| (adversarial(rng, nasty), tree(rng, depth + 1, nasty)))
                .collect(),
        ),
    }
}

fn strings(rng: &mut synthetic::Rng, nasty: bool) -> Value {
    Value::Object(
        (0..rng.below(3))
            .map(|_| {
                (
                    adversarial(rng, nasty),
                    Value::String(adversarial(rng, nasty)),
                )
            })
            .collect(),
    )
}

/// A NetworkPolicy-shaped document with adversarial strings in every string field.
fn policy(rng: &mut synthetic::Rng, nasty: bool) -> Value {
    let selector = |rng: &mut synthetic::Rng| {
        if rng.chance(1, 3) {
            json!({})
        } else {
            json!({ "matchLabels": strings(rng, nasty) })
        }
    };
    let peer = json!({
        "namespaceSelector": selector(rng),
        "podSelector": selector(rng),
    });
    let port = if rng.chance(1, 2) {
        number(rng, nasty)
    } else {
        Value::String(adversarial(rng, nasty))
    };
    let mut meta = Map::new();
    meta.insert("name".into(), Value::String(adversarial(rng, nasty)));
    meta.insert("namespace".into(), Value::String(adversarial(rng, nasty)));
    meta.insert("labels".into(), strings(rng, nasty));
    meta.insert("annotations".into(), strings(rng, nasty));
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta,
        "spec": {
            "podSelector": selector(rng),
            "policyTypes": [adversarial(rng, nasty), "Ingress"],
            "ingress": [{ "from": [peer], "ports": [{ "protocol": adversarial(rng, nasty), "port": port }] }],
            "egress": [{ "to": [{ "ipBlock": { "cidr": adversarial(rng, nasty), "except": [adversarial(rng, nasty)] } }] }],
        }
    })
}

/// Documents written by the build's YAML writer, one or several in a stream as the build's
/// layout joins them (`---` lines between).
fn written(docs: &[Value]) -> String {
    docs.iter()
        .map(emit::to_yaml)
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Property: for documents of adversarial strings as the writer writes them, the subset reader
/// declines or agrees with serde-saphyr; and it takes most of them (else it would be tested
/// against nothing).
#[test]
fn adversarial_documents() {
    let mut rng = synthetic::Rng::new(0x5B5E7);
    let (mut cases, mut taken) = (0, 0);
    for _ in 0..3000 {
        let nasty = rng.chance(1, 2);
        let docs: Vec<Value> = (0..1 + rng.below(3))
            .map(|_| {
                if rng.chance(1, 2) {
                    policy(&mut rng, nasty)
                } else {
                    let mut m = Map::new();
                    m.insert("kind".into(), Value::String(adversarial(&mut rng, nasty)));
                    m.insert(adversarial(&mut rng, nasty), tree(&mut rng, 0, nasty));
                    m.insert("spec".into(), tree(&mut rng, 1, nasty));
                    Value::Object(m)
                }
            })
            .collect();
        let text = written(&docs);
        cases += 1;
        taken += usize::from(agrees(&text));
    }
    eprintln!("adversarial documents: {taken} of {cases} taken by the subset reader");
    assert!(taken * 3 > cases, "{taken} of {cases}");
}

/// Strings the writer emits plainly, quoted, folded and literally: each is taken, and read
/// as written.
#[test]
fn writer_styles_are_taken() {
    let strings = [
        "plain",
        "app.kubernetes.io/name",
        "/",
        "/api/v1",
        "network.allow portal -> api-gateway:8000",
        "10.0.0.0/8",
        "yes",
        "on",
        "0755",
        "80",
        "1e3",
        "null",
        "~",
        "",
        " leading",
        "trailing ",
        "a: b",
        "a #b",
        "it's",
        "say \"hi\"",
        "back\\slash",
        "tab\there",
        "two\nlines",
        "two\nlines\n",
        "\nleading newline",
        "é日本😀",
        "- dash",
        "@at",
        "network.allow svc-000004 -> svc-000003:http, network.allow svc-000008 -> svc-000003:http, network.allow svc-000009 -> svc-000003:http",
        "a very long line that the writer folds because it is longer than eighty characters, with a: colon",
    ];
    let mut declined = Vec::new();
    for s in strings {
        let doc =
            json!({ "kind": "ConfigMap", "metadata": { "name": "c", "annotations": { "k": s } } });
        let text = written(&[doc]);
        if !agrees(&text) {
            declined.push((s, text));
        }
    }
    // What the reader may decline: raw tabs and leading line breaks (which the writer
    // writes in block scalars), and nothing else of these.
    let allowed = ["tab\there", "\nleading newline", "é日本😀"];
    for (s, text) in &declined {
        assert!(
            allowed.contains(s),
            "declined {s:?} ({:?}):\n{text}",
            subset::documents(text).err()
        );
    }
}

/// Sample documents in every style the writer uses for NetworkPolicies.
fn samples() -> Vec<String> {
    let a = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "allow-ingress-to-svc",
            "namespace": "team-00000",
            "labels": { "app.kubernetes.io/managed-by": "posture" },
            "annotations": {
                "posture.dev/source": "network.allow svc-000004 -> svc-000003:http, network.allow job -> \"203.0.113.0/24\" except [203.0.113.128/25]:8000-8100",
                "q": "yes",
                "d": "a\nb",
            }
        },
        "spec": {
            "podSelector": { "matchLabels": { "app": "svc-000003" } },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [{ "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "team-00099" } }, "podSelector": {} }],
                "ports": [{ "protocol": "TCP", "port": "http" }, { "protocol": "UDP", "port": 53, "endPort": 60 }]
            }],
            "egress": [{ "to": [{ "ipBlock": { "cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"] } }], "ports": [] }, {}]
        }
    });
    let b = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": "n", "labels": { "a": "0755", "b": "x y" } },
        "spec": { "finalizers": [["kubernetes"], "it's"] }
    });
    vec![written(std::slice::from_ref(&a)), written(&[b, a])]
}

/// The direct conversion reads the writer's NetworkPolicies and Namespaces (the build's
/// files), so the differential checks above compare it on them.
#[test]
fn direct_conversion_reads_the_samples() {
    for text in samples() {
        let n = subset::documents(&text).map(|d| d.len()).unwrap_or(0);
        assert!(n > 0, "{text}");
        assert_eq!(direct_agrees(&text), n, "{text}");
    }
}

/// Mutation: every single-byte deletion and several substitutions at every position of the
/// samples: the subset reader declines or agrees.
#[test]
fn mutations() {
    let subs = [
        " ", "#", ":", "'", "\"", "-", "&", "*", "!", "\t", "\n", "{", "0",
    ];
    let (mut cases, mut taken) = (0, 0);
    for text in samples() {
        assert!(
            agrees(&text),
            "a sample is declined ({:?}):\n{text}",
            subset::documents(&text).err()
        );
        for (at, c) in text.char_indices() {
            let rest = &text[at + c.len_utf8()..];
            let mut variants = vec![format!("{}{rest}", &text[..at])];
            for s in subs {
                variants.push(format!("{}{s}{rest}", &text[..at]));
            }
            for v in variants {
                cases += 1;
                taken += usize::from(agrees(&v));
            }
        }
    }
    eprintln!("mutations: {taken} of {cases} taken by the subset reader");
    assert!(taken * 4 > cases, "{taken} of {cases}");
}

/// The subset reader takes the fast path's typical documents (so the fast path test in
/// `super::tests` compares all three ways on them) and declines the odd ones.
#[test]
fn takes_block_documents_only() {
    let takes = [
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector: {}\n",
        "---\nkind: Pod\nmetadata:\n  name: a\n---\nkind: Pod\nmetadata:\n  name: b\n",
        "a:\n- - p\n  - q\n- 8080:\n    mode: STRICT\n- k: v\n  l:\n  - 1\nb: |-\n  x\n\n  y\nc: >\n  p\n  q\n\n  r\n",
    ];
    for t in takes {
        assert!(
            subset_docs(t).is_some(),
            "{t} {:?}",
            subset::documents(t).err()
        );
        assert!(agrees(t), "{t}");
    }
    let declines = [
        "kind: NetworkPolicy\nmetadata: {name: p}\n",
        "a: &x b\nc: *x\n",
        "a: !!str 80\n",
        "a: yes\n",
        "a: 0755\n",
        "a: 1.5\n",
        "a: b # c\n",
        "a:\n",
        "a: b\na: c\n",
        "a: b\n...\n",
        "%YAML 1.2\n---\na: b\n",
        "a: b\n---\n",
        "a:\n\tb: c\n",
        "a: b\r\n",
        "a: \"x\n  y\"\n",
        "a: x\n  y\n",
        "? a\n: b\n",
        "a: |2-\n    x\n",
        "a: |+\n  x\n\n",
        "a: >-\n  x\n    y\n",
        "- a\n",
        "a: b",
        "",
    ];
    for t in declines {
        assert!(subset::documents(t).is_err(), "{t:?}");
        agrees(t);
    }
}

/// The one-pass reader reads the writer's NetworkPolicies itself (not through the tree
/// reader), in every shape a valid policy has: several peers per rule, several ports, named
/// and numeric ports, `endPort`, `ipBlock` with `except`, `namespaceSelector` with
/// `podSelector`, every `matchExpressions` operator, empty rules and lists, both directions.
#[test]
fn stream_reads_every_policy_shape() {
    let sel = |app: &str| json!({ "matchLabels": { "app": app, "num": 5 } });
    let shapes = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "allow-ingress-to-svc",
            "namespace": "team-00001",
            "labels": { "app.kubernetes.io/managed-by": "posture" },
            "annotations": { "posture.dev/source": "network.allow a -> b:80, network.allow job -> \"203.0.113.0/24\" except [203.0.113.128/25]:8000-8100, network.allow c -> d:http (udp) and a long tail to fold" }
        },
        "spec": {
            "podSelector": {
                "matchLabels": { "app": "svc" },
                "matchExpressions": [
                    { "key": "tier", "operator": "In", "values": ["web", "api", 7] },
                    { "key": "zone", "operator": "NotIn", "values": ["x"] },
                    { "key": "canary", "operator": "Exists" },
                    { "key": "legacy", "operator": "DoesNotExist", "values": [] }
                ]
            },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        { "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "team-00099" } }, "podSelector": sel("a") },
                        { "podSelector": sel("b") },
                        { "namespaceSelector": {} },
                        { "ipBlock": { "cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "10.2.0.0/16"] } }
                    ],
                    "ports": [
                        { "protocol": "TCP", "port": 8080 },
                        { "protocol": "UDP", "port": "dns" },
                        { "protocol": "SCTP", "port": 9000, "endPort": 9100 },
                        { "port": 443 },
                        { "protocol": "TCP" }
                    ]
                },
                { "ports": [{ "port": "http" }] },
                { "from": [] },
                {}
            ],
            "egress": [
                { "to": [{ "ipBlock": { "cidr": "0.0.0.0/0" } }, { "ipBlock": { "cidr": "192.168.0.0/16", "except": [] } }], "ports": [] },
                { "to": [{ "podSelector": {} }] }
            ]
        }
    });
    let deny = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": { "name": "default-deny", "namespace": "team-00001" },
        "spec": { "podSelector": {}, "policyTypes": ["Ingress"] }
    });
    let other = json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": { "name": "m", "namespace": "team-00001", "labels": { "a": "b" } },
        "spec": { "mtls": { "mode": "STRICT" }, "portLevelMtls": { "8080": { "mode": "PERMISSIVE" } } }
    });
    let text = written(&[shapes, deny, other]);
    assert!(
        agrees(&text),
        "declined ({:?}):\n{text}",
        subset::documents(&text).err()
    );
    assert_eq!(stream_agrees(&text), 3, "not read in one pass:\n{text}");
    for text in samples() {
        let n = subset::documents(&text).map(|d| d.len()).unwrap_or(0);
        let taken = stream::documents_taken(&text).map_or(0, |(_, t)| t);
        // The samples' Namespace (its labels are read) is left to the tree reader.
        assert!(taken >= 1 && n - taken <= 1, "{taken} of {n}:\n{text}");
    }
}

/// Documents the one-pass reader leaves to the tree reader, which takes them: the source is
/// still read without serde-saphyr, and read the same.
#[test]
fn stream_leaves_documents_to_the_tree_reader() {
    let policy = "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector: {}\n";
    let cases = [
        // A Namespace's labels are read by the loader.
        "kind: Namespace\nmetadata:\n  name: ns\n  labels:\n    a: b\n",
        // Labels before the kind.
        "metadata:\n  name: p\n  labels:\n    a: b\nkind: NetworkPolicy\n",
        // A workload.
        "kind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      labels:\n        app: d\n",
        "kind: Pod\nmetadata:\n  name: a\n  ownerReferences:\n  - kind: Job\n    name: j\n",
        // `to` in an ingress rule, `from` in an egress rule.
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  ingress:\n  - to:\n    - podSelector: {}\n",
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  egress:\n  - from:\n    - podSelector: {}\n",
        // An integer where a string goes, a key with an escape.
        "kind: Namespace\nmetadata:\n  name: ns\n  labels:\n    a: 5\n",
        "kind: NetworkPolicy\nmetadata:\n  'it''s': x\n  name: p\n",
        // Policies the loader refuses (the tree reader's serde path reports them).
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  ingress:\n  - ports:\n    - port: 70000\n",
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  policyTypes:\n  - Sideways\n",
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/33\n",
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n      podSelector: {}\n",
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  ingress:\n  - ports:\n    - port: http\n      endPort: 90\n",
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector:\n    matchExpressions:\n    - key: a\n      operator: In\n",
        "kind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector:\n    matchExpressions:\n    - key: a\n      operator: Sometimes\n",
    ];
    for case in cases {
        let text = format!("{policy}---\n{case}---\n{policy}");
        assert!(
            subset_tree_docs(&text).is_some(),
            "the tree reader declines:\n{text}"
        );
        assert_eq!(
            stream_agrees(&text),
            2,
            "the one-pass reader reads the odd document itself:\n{text}"
        );
        assert!(agrees(&text), "{text}");
    }
    // What the tree reader's serde path does not take as it is either (`spec` before `kind`, a
    // list, a name that is a number): the whole source goes to serde-saphyr.
    for case in [
        "spec:\n  podSelector: {}\nkind: NetworkPolicy\nmetadata:\n  name: p\n",
        "kind: List\nitems:\n- kind: NetworkPolicy\n  metadata:\n    name: p\n",
        "kind: NetworkPolicy\nmetadata:\n  name: 42\n",
    ] {
        let text = format!("{policy}---\n{case}");
        assert!(stream::documents(&text).is_none(), "{text}");
        agrees(&text);
    }
}

/// YAML outside the subset declines the whole source in the one-pass reader as in the tree
/// reader (serde-saphyr then reads it), wherever it is: in a policy's spec, in a skipped
/// annotation, in a document after policies it read.
#[test]
fn stream_declines_what_the_subset_does_not_read() {
    let head = "kind: NetworkPolicy\nmetadata:\n  name: p\n  annotations:\n";
    let tricky = [
        "    a: &x b\n",
        "    a: *x\n",
        "    a: !!str 80\n",
        "    a: yes\n",
        "    a: 0755\n",
        "    a: 1.5\n",
        "    a: b # c\n",
        "    a:\n",
        "    a: b\n    a: c\n",
        "    a: \"x\n      y\"\n",
        "    a: x\n      y\n",
        "    ? a\n    : b\n",
        "    a: |2-\n        x\n",
        "    a: |+\n      x\n\n",
        "    a: >-\n      x\n        y\n",
        "    a: [b]\n",
        "    a: {b: c}\n",
        "    a: ~\n",
        "    a: null\n",
        "    a: 'x\n",
        "    a: b\n\n",
        "  \ta: b\n",
        "    a: b\r\n",
        "     a: b\n",
        "    - a\n",
    ];
    let spec_tricky = [
        "spec:\n  podSelector: {matchLabels: {app: a}}\n",
        "spec:\n  podSelector:\n    matchLabels:\n      app: on\n",
        "spec:\n  ingress:\n  - ports:\n    - port: 0x50\n",
        "spec:\n  ingress:\n  - ports:\n    - port: 080\n",
        "spec:\n  ingress:\n  -  ports: []\n",
        "spec:\n  ingress:\n    - ports: []\n   - {}\n",
        "spec:\n  policyTypes:\n  - Ingress\n  policyTypes:\n  - Egress\n",
    ];
    let cases = tricky
        .iter()
        .map(|t| format!("{head}    z: ok\n{t}"))
        .chain(spec_tricky.iter().map(|t| format!("{head}    z: ok\n{t}")));
    for case in cases {
        for text in [case.clone(), format!("{head}    z: ok\n---\n{case}")] {
            assert!(
                stream::documents(&text).is_none(),
                "the one-pass reader takes:\n{text}"
            );
            assert!(subset_tree_docs(&text).is_none(), "{text}");
            agrees(&text);
        }
    }
    // The stream's edges: empty documents, a missing final line break, budgets.
    for text in [
        "",
        "---\n",
        "a: b\n---\n",
        "a: b\n---\n---\na: c\n",
        "a: b",
        "\n",
    ] {
        assert!(stream::documents(text).is_none(), "{text:?}");
        agrees(text);
    }
    let many = "a: b\n---\n".repeat(1001) + "a: b\n";
    assert!(stream::documents(&many).is_none());
    assert!(subset_tree_docs(&many).is_none());
    let deep = (0..60).fold(String::new(), |t, i| format!("{t}{}k{i}:\n", " ".repeat(i)))
        + &" ".repeat(60)
        + "v: 1\n";
    assert!(stream::documents(&deep).is_none());
    assert!(subset_tree_docs(&deep).is_none());
}
