//! `posture explain PATH CONTROL`: everything the graph knows about one control: which
//! frameworks require it, which items implement or claim it (with `file:line` and why), which
//! output files enforce it, which checks verify them, which declarations and exceptions touch
//! it, and where it is a gap.

use std::collections::BTreeSet;

use controls::{ControlRef, Framework};
use serde::{Deserialize, Serialize};

use crate::build::ControlGraph;
use crate::coverage::{Informing, ItemRef, ProcessRef, Status};
use crate::model::{CheckId, Declaration, ItemId, MappingSource};

/// A framework that lists the control, and whether the posture's system names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredBy {
    pub framework: Framework,
    pub name: String,
    pub declared: bool,
}

/// A non-NIST requirement the control informs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Informs {
    pub framework: Framework,
    pub requirement: ControlRef,
    pub title: String,
    pub status: Status,
}

/// An item that maps to the control, with why and what it emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapper {
    pub item: ItemRef,
    /// Why it maps: declared, standard library or a construct's default.
    pub why: Vec<MappingSource>,
    /// Its enforcing artifacts (empty for a claim).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<String>,
}

/// A check that verified an enforcing artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub check: CheckId,
    pub title: String,
    pub artifacts: Vec<String>,
}

/// An exception that waives an implementing or claiming item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRef {
    pub item: ItemRef,
    pub waives: Vec<ItemId>,
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    pub expires: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
}

/// A `controls { … }` statement naming the control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclarationRef {
    pub item: ItemRef,
    pub status: Status,
    /// The provider, the process (`name every evidence`) or the reason.
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessRef>,
}

/// An enhancement of the control that a named framework requires, with its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enhancement {
    pub control: ControlRef,
    pub title: String,
    pub status: Status,
}

/// The answer to `posture explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub control: ControlRef,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub status: Status,
    /// Frameworks that list it: the system's first, then the others.
    pub required_by: Vec<RequiredBy>,
    /// Non-NIST requirements of the system's frameworks it informs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub informs: Vec<Informs>,
    /// For a non-NIST requirement: the controls that inform it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub informed_by: Vec<Informing>,
    pub implemented_by: Vec<Mapper>,
    /// Items whose enforcing artifacts meet part of the control (`supports`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_by: Vec<Mapper>,
    pub claimed_by: Vec<Mapper>,
    /// The output files that enforce it.
    pub enforced_by: Vec<String>,
    pub verified_by: Vec<Verification>,
    pub declarations: Vec<DeclarationRef>,
    pub exceptions: Vec<ExceptionRef>,
    /// Enhancements the system's frameworks require, with their status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enhancements: Vec<Enhancement>,
    /// The system's frameworks in which it (or a required enhancement) does not count.
    pub gaps: Vec<String>,
}

impl<'c> ControlGraph<'c> {
    /// The requirements of the system's frameworks (SOC 2 criteria, HIPAA paragraphs) that an
    /// 800-53 control informs through the published crosswalks, in framework then catalog
    /// order; empty for other ids.
    pub fn informed(&self, control: ControlRef) -> Vec<(Framework, &'c controls::Requirement)> {
        let mut out = Vec::new();
        if let ControlRef::Nist(id) = control {
            for f in &self.system_frameworks {
                for r in self.catalog.requirements(*f) {
                    if r.informs.iter().any(|e| e.control == id) {
                        out.push((*f, r));
                    }
                }
            }
        }
        out
    }

    /// Explains one control or requirement id (resolved against the catalog by the caller).
    pub fn explain(&self, control: ControlRef) -> Explanation {
        let catalog = self.catalog;
        let (title, statement) = match control {
            ControlRef::Nist(id) => catalog
                .control(&id)
                .map(|c| (c.title.clone(), c.statement.clone()))
                .unwrap_or_default(),
            other => catalog
                .requirement(&other)
                .map(|r| (r.title.clone(), r.text.clone()))
                .unwrap_or_default(),
        };
        let status = self.status(control);
        let facts = self.facts(control);

        let mut required_by: Vec<RequiredBy> = Framework::all()
            .iter()
            .filter(|f| catalog.requirements(**f).iter().any(|r| r.id == control))
            .map(|f| RequiredBy {
                framework: *f,
                name: f.name().to_string(),
                declared: self.system_frameworks.contains(f),
            })
            .collect();
        required_by.sort_by_key(|r| (!r.declared, r.framework));

        let informs: Vec<Informs> = self
            .informed(control)
            .into_iter()
            .map(|(f, r)| Informs {
                framework: f,
                requirement: r.id,
                title: r.title.clone(),
                status: self.status(r.id),
            })
            .collect();

        let mapper = |i: &ItemId| Mapper {
            item: self.item_ref(i),
            why: self
                .items
                .get(i)
                .and_then(|x| x.mappings.get(&control))
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default(),
            artifacts: self
                .enforcing_artifacts(i)
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        let implemented_by: Vec<Mapper> = facts.implemented_by.iter().map(mapper).collect();
        let supported_by: Vec<Mapper> = facts.supported_by.iter().map(mapper).collect();
        let claimed_by: Vec<Mapper> = facts.claimed_by.iter().map(mapper).collect();
        let enforced_by = if facts.implemented_by.is_empty() {
            self.artifacts_of(&facts.supported_by)
        } else {
            self.artifacts_of(&facts.implemented_by)
        };

        let enforced_set: BTreeSet<&String> = enforced_by.iter().collect();
        let mut verified_by = Vec::new();
        for (id, check) in &self.checks {
            let arts: Vec<String> = check
                .verifies
                .iter()
                .filter(|p| enforced_set.contains(p))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if !arts.is_empty() {
                verified_by.push(Verification {
                    check: id.clone(),
                    title: check.title.clone(),
                    artifacts: arts,
                });
            }
        }

        let mut declarations = Vec::new();
        for (list, st) in [
            (&facts.inherited, Status::Inherited),
            (&facts.process, Status::Process),
            (&facts.not_applicable, Status::NotApplicable),
        ] {
            for i in list {
                let Some((decl, _)) = self.items.get(i).and_then(|x| x.declaration.as_deref())
                else {
                    continue;
                };
                let (detail, process) = match decl {
                    Declaration::Inherited { provider } => (format!("from {provider}"), None),
                    Declaration::Process {
                        name,
                        evidence,
                        every,
                        ..
                    } => (
                        format!("every {every}, evidence {evidence}"),
                        Some(ProcessRef {
                            name: name.clone(),
                            evidence: evidence.clone(),
                            every: every.clone(),
                        }),
                    ),
                    Declaration::NotApplicable { reason } => (reason.clone(), None),
                };
                declarations.push(DeclarationRef {
                    item: self.item_ref(i),
                    status: st,
                    detail,
                    process,
                });
            }
        }

        let touching: Vec<ItemId> = facts
            .implemented_by
            .iter()
            .chain(&facts.supported_by)
            .chain(&facts.claimed_by)
            .cloned()
            .collect();
        let exceptions = self
            .exceptions_for(&touching)
            .into_iter()
            .filter_map(|e| self.items.get(&e))
            .filter_map(|e| {
                let facts = e.exception.as_deref()?;
                Some(ExceptionRef {
                    item: self.item_ref(&e.id),
                    waives: e
                        .waives
                        .iter()
                        .filter(|w| touching.contains(w))
                        .cloned()
                        .collect(),
                    owner: facts.owner.clone(),
                    ticket: facts.ticket.clone(),
                    expires: facts.expires.clone(),
                    scope: facts.scope.clone(),
                })
            })
            .collect();

        // Enhancements the system's frameworks require.
        let mut enhancements = Vec::new();
        if let ControlRef::Nist(id) = control
            && !id.is_enhancement()
        {
            let mut seen = BTreeSet::new();
            for f in &self.system_frameworks {
                for r in catalog.requirements(*f) {
                    if let Some(e) = r.nist()
                        && e.is_enhancement()
                        && e.base() == id
                        && seen.insert(e)
                    {
                        enhancements.push(Enhancement {
                            control: r.id,
                            title: r.title.clone(),
                            status: self.status(r.id),
                        });
                    }
                }
            }
            enhancements.sort_by_key(|e| e.control);
        }

        let mut gaps = Vec::new();
        for f in &self.system_frameworks {
            let reqs = catalog.requirements(*f);
            let mut open: Vec<String> = Vec::new();
            if reqs.iter().any(|r| r.id == control) && !status.counts() {
                open.push(format!("{control} {status}"));
            }
            for e in &enhancements {
                if !e.status.counts() && reqs.iter().any(|r| r.id == e.control) {
                    open.push(format!("{} {}", e.control, e.status));
                }
            }
            if !open.is_empty() {
                gaps.push(format!("{f}: {}", open.join(", ")));
            }
        }

        Explanation {
            control,
            title,
            statement,
            status,
            required_by,
            informs,
            informed_by: self.informing(control),
            implemented_by,
            supported_by,
            claimed_by,
            enforced_by,
            verified_by,
            declarations,
            exceptions,
            enhancements,
            gaps,
        }
    }
}
