//! Controls whose coverage changes. From sources: the control graph of each revision over the
//! same frameworks (the union of both systems' lists), a control's status being the same in
//! every framework that lists it. From builds: the `coverage-status` each requirement of the
//! builds' SSPs (`oscal/ssp-<framework>.json`) records.

use std::collections::{BTreeMap, BTreeSet};

use graph::Status;

use crate::{BuildFile, ControlChange, CoverageChanges, FrameworkChange, Score, SourceSide};

/// How much a status covers: a lower rank after than before is lower coverage.
fn rank(s: Status) -> u8 {
    match s {
        Status::Satisfied | Status::Inherited | Status::Process | Status::NotApplicable => 3,
        Status::Partial | Status::Supported => 2,
        Status::Claimed => 1,
        Status::Gap => 0,
    }
}

/// One revision's coverage: per control its status, title and frameworks; per framework its
/// score.
#[derive(Default)]
struct Side {
    controls: BTreeMap<String, (Status, String, BTreeSet<String>)>,
    frameworks: BTreeMap<String, Score>,
}

/// covered / total in percent, rounded down to a tenth.
fn percent(covered: usize, total: usize) -> f64 {
    if total == 0 {
        return 0.0;
    }
    // Rounded down to a tenth, as the graph's summary does.
    let tenths = covered * 1000 / total;
    tenths as f64 / 10.0
}

pub(crate) fn compare_graphs(old: &SourceSide<'_>, new: &SourceSide<'_>) -> CoverageChanges {
    let mut frameworks: Vec<controls::Framework> = Vec::new();
    for side in [old, new] {
        if let Some(p) = side.build.posture() {
            frameworks.extend(p.system.frameworks.iter().copied());
        }
    }
    frameworks.sort();
    frameworks.dedup();
    let side = |s: &SourceSide<'_>| -> Side {
        let mut out = Side::default();
        let Some((g, _)) = s.build.graph(s.catalog, s.sources, &frameworks) else {
            return out;
        };
        for f in &frameworks {
            for r in s.catalog.requirements(*f) {
                let e = out
                    .controls
                    .entry(r.id.to_string())
                    .or_insert_with(|| (g.status(r.id), r.title.clone(), BTreeSet::new()));
                e.2.insert(f.id().to_string());
            }
            let summary = g.coverage(*f).summary;
            out.frameworks.insert(
                f.id().to_string(),
                Score {
                    covered: summary.covered,
                    requirements: summary.requirements,
                    percent: summary.percent,
                },
            );
        }
        out
    };
    changes(&side(old), &side(new))
}

/// The changes between two sides.
fn changes(old: &Side, new: &Side) -> CoverageChanges {
    let mut out = CoverageChanges::default();
    let ids: BTreeSet<&String> = old.controls.keys().chain(new.controls.keys()).collect();
    for id in ids {
        let a = old.controls.get(id);
        let b = new.controls.get(id);
        let (sa, sb) = (a.map(|x| x.0), b.map(|x| x.0));
        if sa == sb {
            continue;
        }
        let mut fws: BTreeSet<String> = BTreeSet::new();
        for x in [a, b].into_iter().flatten() {
            fws.extend(x.2.iter().cloned());
        }
        let title = b.or(a).map(|x| x.1.clone()).unwrap_or_default();
        out.controls.push(ControlChange {
            control: id.clone(),
            title,
            old: sa,
            new: sb,
            frameworks: fws.into_iter().collect(),
            lower: matches!((sa, sb), (Some(x), Some(y)) if rank(y) < rank(x)),
        });
    }
    out.controls.sort_by_key(|c| control_order(&c.control));
    let fws: BTreeSet<&String> = old.frameworks.keys().chain(new.frameworks.keys()).collect();
    for f in fws {
        let a = old.frameworks.get(f).copied();
        let b = new.frameworks.get(f).copied();
        if a != b {
            out.frameworks.push(FrameworkChange {
                framework: f.clone(),
                old: a,
                new: b,
            });
        }
    }
    out
}

/// Sorts `AC-2(13)` after `AC-2(2)`: text, with every run of digits compared as a number.
fn control_order(id: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = id.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut n = u64::from(c.to_digit(10).unwrap_or(0));
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(u64::from(d));
                chars.next();
            }
            out.push((std::mem::take(&mut text), n));
        } else {
            text.push(c);
        }
    }
    out.push((text, u64::MAX));
    out
}

/// The coverage the builds' SSPs record, and what is not available from them.
pub(crate) fn compare_builds(
    old: &[BuildFile],
    new: &[BuildFile],
) -> (Option<CoverageChanges>, Vec<crate::Unavailable>) {
    let (a, b) = match (ssp_side(old), ssp_side(new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(reason), _) | (_, Err(reason)) => {
            return (
                None,
                vec![crate::Unavailable {
                    section: "coverage".into(),
                    reason,
                }],
            );
        }
    };
    let note = crate::Unavailable {
        section: "coverage".into(),
        reason: "from builds, coverage is read from the SSPs (`oscal/ssp-*.json`): frameworks \
                 without an OSCAL baseline (SOC 2, HIPAA) are only in `report/` and are not \
                 compared"
            .into(),
    };
    (Some(changes(&a, &b)), vec![note])
}

/// The posture's own property namespace in the OSCAL documents.
const POSTURE_NS: &str = "https://posture.dev/ns/oscal";

fn ssp_side(files: &[BuildFile]) -> Result<Side, String> {
    let mut out = Side::default();
    let mut any = false;
    for f in files {
        let Some(fw) = f
            .path
            .strip_prefix("oscal/ssp-")
            .and_then(|r| r.strip_suffix(".json"))
        else {
            continue;
        };
        any = true;
        let doc: oscal_model::ssp::SspDocument = serde_json::from_slice(&f.bytes)
            .map_err(|e| format!("`{}` is not an OSCAL SSP: {e}", f.path))?;
        let rows = &doc
            .system_security_plan
            .control_implementation
            .implemented_requirements;
        let mut covered = 0;
        for r in rows {
            let status = r
                .props
                .iter()
                .find(|p| p.name == "coverage-status" && p.ns.as_deref() == Some(POSTURE_NS))
                .and_then(|p| {
                    serde_json::from_value::<Status>(serde_json::Value::String(p.value.clone()))
                        .ok()
                })
                .ok_or_else(|| {
                    format!(
                        "`{}`: requirement `{}` has no coverage-status",
                        f.path, r.control_id
                    )
                })?;
            if status.counts() {
                covered += 1;
            }
            let e = out
                .controls
                .entry(display_id(&r.control_id))
                .or_insert_with(|| (status, String::new(), BTreeSet::new()));
            e.2.insert(fw.to_string());
        }
        out.frameworks.insert(
            fw.to_string(),
            Score {
                covered,
                requirements: rows.len(),
                percent: percent(covered, rows.len()),
            },
        );
    }
    if any {
        Ok(out)
    } else {
        Err("the build has no SSP (`oscal/ssp-*.json`), so its coverage is not known".into())
    }
}

/// `ac-2.1` → `AC-2(1)`.
fn display_id(oscal: &str) -> String {
    match oscal.split_once('.') {
        Some((base, e)) => format!("{}({e})", base.to_ascii_uppercase()),
        None => oscal.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_numerically_and_display_from_oscal() {
        let mut ids = vec!["AC-2(13)", "AC-2(2)", "AC-10", "AC-2", "soc2:CC6.1"];
        ids.sort_by_key(|a| control_order(a));
        assert_eq!(ids, ["AC-2", "AC-2(2)", "AC-2(13)", "AC-10", "soc2:CC6.1"]);
        assert_eq!(display_id("ac-2.1"), "AC-2(1)");
        assert_eq!(display_id("sc-7"), "SC-7");
    }

    #[test]
    fn lower_means_less_coverage() {
        assert!(rank(Status::Gap) < rank(Status::Partial));
        assert!(rank(Status::Partial) < rank(Status::Satisfied));
        assert_eq!(rank(Status::Inherited), rank(Status::Satisfied));
        assert_eq!(percent(62, 287), 21.6);
    }
}
