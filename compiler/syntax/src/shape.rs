//! Which keywords may appear where, and what each takes: a name, a path, traffic, a value, a
//! body. The grammar accepts any `keyword [head] [= value] [{ body }]`; this table turns the
//! regular tree into the language's shapes, with errors that name the keyword and the fix.
//! Keywords are contextual: they are only keywords in the places this table lists.

use crate::ast::{Entry, File, Head, Item};
use diagnostics::codes::syntax as codes;
use diagnostics::{Diagnostic, Diagnostics};

/// What may follow a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadRule {
    /// Nothing: an unnamed section such as `network { … }`.
    None,
    /// A name: `namespace optimal-system { … }`.
    Name,
    /// A dotted path: `use std.pod_security.restricted`.
    Path,
    /// A quoted path: `import "./network.posture"`.
    Str,
    /// Traffic: `allow portal -> api-gateway:8000`.
    Traffic,
}

/// Whether a body (or a `= value`) is required, optional or forbidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    Forbidden,
}

/// The shape of one keyword in one context.
#[derive(Debug)]
pub struct Shape {
    pub keyword: &'static str,
    pub head: HeadRule,
    /// `= value` after the head (only `list` and `macro` take one).
    pub value: Need,
    pub body: Need,
    /// The keywords allowed inside the body.
    pub children: &'static [Shape],
    /// One line for messages and the book.
    pub what: &'static str,
}

const fn block(
    keyword: &'static str,
    head: HeadRule,
    children: &'static [Shape],
    what: &'static str,
) -> Shape {
    Shape {
        keyword,
        head,
        value: Need::Forbidden,
        body: Need::Required,
        children,
        what,
    }
}

const fn stmt(keyword: &'static str, head: HeadRule, body: Need, what: &'static str) -> Shape {
    Shape {
        keyword,
        head,
        value: Need::Forbidden,
        body,
        children: &[],
        what,
    }
}

use HeadRule as H;

static NETWORK: &[Shape] = &[stmt(
    "allow",
    H::Traffic,
    Need::Optional,
    "an allowed flow `allow from -> to:port`",
)];

static ADMISSION: &[Shape] = &[
    stmt(
        "use",
        H::Path,
        Need::Optional,
        "a standard-library bundle with parameters",
    ),
    block("validate", H::Name, &[], "a custom validation rule"),
    block("mutate", H::Name, &[], "a mutation rule"),
    block("generate", H::Name, &[], "a generation rule"),
    block(
        "verify_images",
        H::Name,
        &[],
        "an image signature verification rule",
    ),
];

static RUNTIME: &[Shape] = &[
    stmt(
        "use",
        H::Path,
        Need::Optional,
        "a standard-library rule set",
    ),
    Shape {
        keyword: "list",
        head: H::Name,
        value: Need::Optional,
        body: Need::Optional,
        children: &[],
        what: "a Falco list",
    },
    Shape {
        keyword: "macro",
        head: H::Name,
        value: Need::Optional,
        body: Need::Optional,
        children: &[],
        what: "a Falco macro",
    },
    block("rule", H::Name, &[], "a Falco detection rule"),
    block("profile", H::Name, &[], "a behaviour profile of a workload"),
];

static REALM: &[Shape] = &[
    stmt("role", H::Name, Need::Optional, "a realm role"),
    block("client", H::Name, &[], "an OIDC client"),
    block("federation", H::Name, &[], "an upstream identity provider"),
    block("group", H::Name, &[], "a group of users"),
    block("mapper", H::Name, &[], "a token claim mapper"),
];

static IDENTITY: &[Shape] = &[block("realm", H::Name, REALM, "an identity realm")];

static SECRETS: &[Shape] = &[
    block("store", H::Name, &[], "a secret store"),
    block("secret", H::Name, &[], "a secret synced from a store"),
];

static AUDIT: &[Shape] = &[block(
    "rule",
    H::Name,
    &[],
    "an audit rule for some resources",
)];

static CONTROLS: &[Shape] = &[block(
    "process",
    H::Name,
    &[],
    "an organisational process with evidence",
)];

static BUNDLE: &[Shape] = &[stmt("param", H::Name, Need::Optional, "a bundle parameter")];

/// The keywords of a file's top level.
pub static TOP_LEVEL: &[Shape] = &[
    block("system", H::Name, &[], "the system being described"),
    block("target", H::None, &[], "the clusters and tool versions"),
    block("namespace", H::Name, &[], "a Kubernetes namespace"),
    block("workload", H::Name, &[], "a named set of pods"),
    block("network", H::None, NETWORK, "network intents"),
    block("ingress", H::Name, &[], "TLS termination for a workload"),
    block("mesh", H::None, &[], "service-to-service encryption"),
    block("admission", H::None, ADMISSION, "admission policies"),
    block("runtime", H::None, RUNTIME, "runtime detection"),
    block("identity", H::None, IDENTITY, "identity and access"),
    block("secrets", H::None, SECRETS, "secret stores and secrets"),
    block("audit", H::None, AUDIT, "API server audit logging"),
    block("exception", H::Name, &[], "a waiver with owner and expiry"),
    block(
        "controls",
        H::None,
        CONTROLS,
        "control mappings, inherited and organisational controls",
    ),
    stmt(
        "import",
        H::Str,
        Need::Forbidden,
        "another file of the posture",
    ),
    block(
        "bundle",
        H::Path,
        BUNDLE,
        "a standard-library bundle (in `stdlib/`)",
    ),
];

/// Every context, with the keyword that opens it, for "belongs in" hints.
fn all_contexts() -> Vec<(&'static str, &'static [Shape])> {
    vec![
        ("the top level", TOP_LEVEL),
        ("a `network` block", NETWORK),
        ("an `admission` block", ADMISSION),
        ("a `runtime` block", RUNTIME),
        ("an `identity` block", IDENTITY),
        ("a `realm`", REALM),
        ("a `secrets` block", SECRETS),
        ("an `audit` block", AUDIT),
        ("a `controls` block", CONTROLS),
        ("a `bundle`", BUNDLE),
    ]
}

/// Checks every item of a file against the table.
pub(crate) fn check(file: &File, diags: &mut Diagnostics) {
    for item in &file.items {
        check_item(item, TOP_LEVEL, "the top level", diags);
    }
}

fn check_item(item: &Item, allowed: &'static [Shape], place: &str, diags: &mut Diagnostics) {
    let kw = item.keyword.text.as_str();
    let Some(shape) = allowed.iter().find(|s| s.keyword == kw) else {
        let elsewhere = all_contexts()
            .into_iter()
            .find(|(_, shapes)| shapes.iter().any(|s| s.keyword == kw));
        let d = match elsewhere {
            Some((ctx, _)) => Diagnostic::spanned(
                &codes::P0010,
                item.keyword.span,
                format!("`{kw}` is not allowed in {place}"),
            )
            .with_label(format!("`{kw}` belongs in {ctx}"))
            .with_help(format!("move it into {ctx}")),
            None => {
                let d = Diagnostic::spanned(
                    &codes::P0009,
                    item.keyword.span,
                    format!("unknown keyword `{kw}` in {place}"),
                )
                .with_label("not a block or statement here")
                .with_did_you_mean(kw, allowed.iter().map(|s| s.keyword));
                if item.head.is_none() && item.value.is_none() && item.body.is_none() {
                    d.with_help("an attribute is written `key = value`")
                } else if allowed.is_empty() {
                    d.with_help("this block holds attributes only")
                } else {
                    let list: Vec<_> = allowed.iter().map(|s| format!("`{}`", s.keyword)).collect();
                    d.with_help(format!("{place} allows {}", list.join(", ")))
                }
            }
        };
        diags.push(d);
        return;
    };

    // The head.
    let got = match &item.head {
        None => H::None,
        Some(Head::Path(p)) if p.segments.len() == 1 => H::Name,
        Some(Head::Path(_)) => H::Path,
        Some(Head::Str(_)) => H::Str,
        Some(Head::Traffic(_)) => H::Traffic,
    };
    let head_ok = match shape.head {
        H::Name => matches!(got, H::Name | H::Str),
        H::Path => matches!(got, H::Path | H::Name),
        want => got == want,
    };
    if !head_ok {
        let d = match (shape.head, &item.head) {
            (H::None, Some(h)) => Diagnostic::spanned(
                &codes::P0013,
                head_span(h),
                format!("`{kw}` takes no name"),
            )
            .with_label("unexpected here")
            .with_help(format!(
                "`{kw}` is a section: write `{kw} {{ … }}`; it merges with other `{kw}` sections"
            )),
            (H::Name, None) => Diagnostic::spanned(
                &codes::P0011,
                item.keyword.span,
                format!("`{kw}` needs a name"),
            )
            .with_label(format!("{} needs a name", shape.what))
            .with_help(format!("write `{kw} NAME {{ … }}`")),
            (H::Path, None) => Diagnostic::spanned(
                &codes::P0011,
                item.keyword.span,
                format!("`{kw}` needs a bundle path"),
            )
            .with_help(format!("write `{kw} std.BUNDLE`")),
            (H::Str, _) => Diagnostic::spanned(
                &codes::P0013,
                item.keyword.span,
                format!("`{kw}` needs a quoted path"),
            )
            .with_help("write `import \"./other.posture\"`"),
            (H::Traffic, _) => Diagnostic::spanned(
                &codes::P0013,
                item.head
                    .as_ref()
                    .map(head_span)
                    .unwrap_or(item.keyword.span),
                format!("`{kw}` needs traffic: `from -> to`"),
            )
            .with_help("write `allow portal -> api-gateway:8000`"),
            (_, Some(h)) => Diagnostic::spanned(
                &codes::P0013,
                head_span(h),
                format!("`{kw}` takes a plain name here"),
            )
            .with_help(
                "names are letters, digits, `_` and single `-` between them; quote anything else",
            ),
            (_, None) => Diagnostic::spanned(
                &codes::P0013,
                item.keyword.span,
                format!("`{kw}` is incomplete"),
            ),
        };
        diags.push(d);
    }

    // `= value`.
    if let Some(v) = &item.value
        && shape.value == Need::Forbidden
    {
        diags.push(
            Diagnostic::spanned(
                &codes::P0015,
                v.span(),
                format!("`{kw}` takes no `= value`"),
            )
            .with_label("unexpected value")
            .with_help(format!(
                "set attributes inside the body: `{kw} … {{ key = value }}`"
            )),
        );
    }

    // The body.
    match (&item.body, shape.body) {
        (None, Need::Required) if !(shape.value != Need::Forbidden && item.value.is_some()) => {
            let at = item
                .head
                .as_ref()
                .map(head_span)
                .unwrap_or(item.keyword.span);
            diags.push(
                Diagnostic::spanned(&codes::P0014, at, format!("`{kw}` needs a body"))
                    .with_label("expected `{ … }` after this")
                    .with_help(format!("write `{kw} … {{ }}` even when it is empty")),
            );
        }
        (None, _)
            if shape.value == Need::Optional
                && item.value.is_none()
                && shape.body == Need::Optional =>
        {
            diags.push(
                Diagnostic::spanned(
                    &codes::P0014,
                    item.span,
                    format!("`{kw}` needs a value or a body"),
                )
                .with_help(format!("write `{kw} NAME = …` or `{kw} NAME {{ … }}`")),
            );
        }
        (Some(b), Need::Forbidden) => diags.push(
            Diagnostic::spanned(&codes::P0016, b.span, format!("`{kw}` takes no body"))
                .with_label("unexpected block")
                .with_help(format!("`{kw}` is a one-line statement")),
        ),
        _ => {}
    }
    if item.body.is_some()
        && item.value.is_some()
        && shape.value != Need::Forbidden
        && let Some(b) = &item.body
    {
        diags.push(
            Diagnostic::spanned(
                &codes::P0016,
                b.span,
                format!("`{kw}` has both `= value` and a body"),
            )
            .with_help("give one of them"),
        );
    }

    // Nested items (the place's name is formatted only for an item that has some: most are
    // leaves, such as every `allow`).
    if !item.entries().iter().any(|e| matches!(e, Entry::Item(_))) {
        return;
    }
    let article = if kw.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    let inner_place = format!("{article} `{kw}` block");
    for entry in item.entries() {
        if let Entry::Item(child) = entry {
            check_item(child, shape.children, &inner_place, diags);
        }
    }
}

fn head_span(h: &Head) -> diagnostics::Span {
    h.span()
}

/// The shape of `keyword` in a context, for the checker.
pub fn find<'a>(shapes: &'a [Shape], keyword: &str) -> Option<&'a Shape> {
    shapes.iter().find(|s| s.keyword == keyword)
}
