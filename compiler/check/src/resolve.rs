//! Declarations and references: every declared name by kind, every reference made while
//! checking, and the pass that binds them.

use crate::cx::Cx;
use diagnostics::codes::names as codes;
use diagnostics::{Diagnostic, Span};
use ir::Name;
use std::collections::HashMap;

/// Hashed with foldhash (fixed seed): the tables are looked up once per reference, and
/// nothing depends on their iteration order (did-you-mean candidates are sorted first).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// The kinds of things a name can refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    Namespace,
    Workload,
    Store,
    Secret,
    Realm,
    AdmissionItem,
    RuntimeItem,
    NetworkIntent,
    Exception,
}

impl Kind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Namespace => "namespace",
            Kind::Workload => "workload",
            Kind::Store => "secret store",
            Kind::Secret => "secret",
            Kind::Realm => "realm",
            Kind::AdmissionItem => "admission policy",
            Kind::RuntimeItem => "runtime rule, list or macro",
            Kind::NetworkIntent => "network intent",
            Kind::Exception => "exception",
        }
    }

    fn all() -> [Kind; 9] {
        use Kind::*;
        [
            Namespace,
            Workload,
            Store,
            Secret,
            Realm,
            AdmissionItem,
            RuntimeItem,
            NetworkIntent,
            Exception,
        ]
    }
}

/// Declarations and pending references.
#[derive(Debug, Default)]
pub(crate) struct Symbols {
    /// By kind (`Kind as usize`).
    declared: [FastMap<Name, Span>; 9],
    refs: Vec<(Kind, Name, Span)>,
}

impl Symbols {
    /// Declares a name; a second declaration of the same kind is an error.
    pub(crate) fn declare(&mut self, cx: &mut Cx, kind: Kind, name: &Name, span: Span) -> bool {
        let table = &mut self.declared[kind as usize];
        if let Some(first) = table.get(name) {
            cx.err(
                Diagnostic::spanned(
                    &codes::P1004,
                    span,
                    format!("{} `{name}` is declared twice", kind.noun()),
                )
                .with_secondary(*first, "first declared here")
                .with_help("names are unique per kind; rename one of them"),
            );
            return false;
        }
        table.insert(name.clone(), span);
        true
    }

    /// Records a reference, checked by [`resolve`] once everything is declared.
    /// Room for `n` more references, made once (a large posture's network block refers to
    /// 100,000 endpoints: a doubling vector copied them into fresh memory several times).
    pub(crate) fn reserve_refs(&mut self, n: usize) {
        self.refs.reserve(n);
    }

    pub(crate) fn refer(&mut self, kind: Kind, name: &Name, span: Span) {
        self.refs.push((kind, name.clone(), span));
    }

    pub(crate) fn is_declared(&self, kind: Kind, name: &Name) -> bool {
        self.declared[kind as usize].contains_key(name)
    }
}

/// Reports every reference to nothing, or to something of another kind.
pub(crate) fn resolve(cx: &mut Cx, syms: &Symbols) {
    for (kind, name, span) in &syms.refs {
        if syms.is_declared(*kind, name) {
            continue;
        }
        let other = Kind::all().into_iter().find(|k| syms.is_declared(*k, name));
        let d = match other {
            Some(k) => Diagnostic::spanned(
                &codes::P1009,
                *span,
                format!("`{name}` is a {}, not a {}", k.noun(), kind.noun()),
            )
            .with_label(format!("expected a {}", kind.noun())),
            None => {
                // In name order, as the ordered table gave them.
                let mut candidates: Vec<&str> = syms.declared[*kind as usize]
                    .keys()
                    .map(Name::as_str)
                    .collect();
                candidates.sort_unstable();
                Diagnostic::spanned(
                    &codes::P1008,
                    *span,
                    format!("unknown {} `{name}`", kind.noun()),
                )
                .with_label(format!("no {} of this name is declared", kind.noun()))
                .with_did_you_mean(name.as_str(), candidates)
            }
        };
        cx.err(d);
    }
}
