//! `posture verify DIR --live`: what the cluster shows of the build, as observations of an
//! OSCAL assessment-results document of its own.
//!
//! Each object of the build is one observation: `pass` when it is present and equal to the
//! build ([`crate::drift::compare`]) and, for admission policies, reported ready by their
//! controller; `fail` when it is absent, differs or is not ready; `not-evaluated` when it
//! cannot be read (forbidden) — never `pass`. What lives outside the cluster's API (Falco
//! rules, the Keycloak realm, API-server flags and files, the evidence itself) is one
//! `not-evaluated` observation per folder.

use crate::apply::{Served, served_kind};
use crate::bundle::{Bundle, Object};
use crate::drift::{compare, read_live};
use crate::{Cluster, Failure, Phase};
use oscal_model::assessment::{
    AssessmentResult, AssessmentResults, AssessmentResultsDocument, ControlSelection, ImportHref,
    Observation, RelevantEvidence, ReviewedControls,
};
use oscal_model::common::{Metadata, Property};
use oscal_model::profile::Empty;
use serde::Serialize;
use serde_json::Value;

/// The namespace of posture's OSCAL properties.
const NS: &str = "https://posture.dev/ns/oscal";

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    Fail,
    NotEvaluated,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotEvaluated => "not-evaluated",
        }
    }
}

/// One check of the cluster.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `Kind namespace/name`, or a folder of the build (`falco/`).
    pub subject: String,
    /// The build's file it comes from.
    pub file: String,
    /// What was checked: `present-and-equal`, `policy-ready`, `outside-the-cluster-api`.
    pub check: &'static str,
    pub outcome: Outcome,
    pub detail: String,
}

impl Check {
    fn of(o: &Object, check: &'static str, outcome: Outcome, detail: String) -> Check {
        Check {
            subject: o.display(),
            file: o.file.clone(),
            check,
            outcome,
            detail,
        }
    }
}

/// The checks of one cluster.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub cluster: String,
    pub server: String,
    pub checks: Vec<Check>,
    #[serde(skip)]
    pub failure: Option<Failure>,
}

impl VerifyReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.checks.iter().filter(|c| c.outcome == outcome).count()
    }
}

/// The readiness an admission policy's controller reports: `Some(true)` ready,
/// `Some(false)` not ready, `None` no status at all.
pub fn policy_ready(live: &Value) -> Option<bool> {
    // policies.kyverno.io (ValidatingPolicy, …): status.conditionStatus.ready.
    if let Some(r) = live
        .pointer("/status/conditionStatus/ready")
        .and_then(Value::as_bool)
    {
        return Some(r);
    }
    // kyverno.io (ClusterPolicy, Policy): status.ready, or the Ready condition.
    if let Some(r) = live.pointer("/status/ready").and_then(Value::as_bool) {
        return Some(r);
    }
    let conditions = live
        .pointer("/status/conditions")
        .or_else(|| live.pointer("/status/conditionStatus/conditions"))
        .and_then(Value::as_array)?;
    conditions
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        .map(|c| c.get("status").and_then(Value::as_str) == Some("True"))
}

fn needs_readiness(o: &Object) -> bool {
    o.phase == Phase::Admission
        && matches!(o.gvk.group.as_str(), "kyverno.io" | "policies.kyverno.io")
}

/// Verifies `bundle` on every cluster of `contexts`, concurrently.
pub async fn verify_all(contexts: &[Option<String>], bundle: &Bundle) -> Vec<VerifyReport> {
    let runs = contexts.iter().map(|ctx| async move {
        match crate::connect(ctx.as_deref()).await {
            Ok(cluster) => verify(&cluster, bundle).await,
            Err(f) => VerifyReport {
                cluster: ctx.clone().unwrap_or_else(|| "current context".to_string()),
                server: String::new(),
                checks: Vec::new(),
                failure: Some(f),
            },
        }
    });
    futures::future::join_all(runs).await
}

/// Verifies `bundle` on `cluster`.
pub async fn verify(cluster: &Cluster, bundle: &Bundle) -> VerifyReport {
    let mut report = VerifyReport {
        cluster: cluster.name.clone(),
        server: cluster.server.clone(),
        checks: Vec::new(),
        failure: None,
    };
    // A kind the cluster does not serve makes its objects absent, not the run impossible.
    let mut served = std::collections::BTreeMap::new();
    for gvk in bundle.objects.iter().map(|o| &o.gvk) {
        if served.contains_key(gvk) {
            continue;
        }
        match served_kind(cluster, gvk).await {
            Ok(s) => {
                served.insert(gvk.clone(), s);
            }
            Err(f) => {
                report.failure = Some(f);
                return report;
            }
        }
    }
    for o in &bundle.objects {
        let Some(s) = served.get(&o.gvk).and_then(Option::as_ref) else {
            report.checks.push(Check::of(
                o,
                "present-and-equal",
                Outcome::Fail,
                format!(
                    "the cluster does not serve {} ({})",
                    o.gvk.kind,
                    o.gvk.api_version()
                ),
            ));
            continue;
        };
        report.checks.extend(checks(cluster, s, o).await);
    }
    for folder in &bundle.not_applied {
        report.checks.push(Check {
            subject: folder.clone(),
            file: folder.clone(),
            check: "outside-the-cluster-api",
            outcome: Outcome::NotEvaluated,
            detail: outside(folder).to_string(),
        });
    }
    report
}

fn outside(folder: &str) -> &'static str {
    match folder {
        "falco/" => "Falco's rules are loaded by Falco on each node, not served by the API",
        "keycloak/" => "the realm lives in Keycloak, not in the cluster's API",
        "apiserver/" => {
            "API-server flags and files are read by the API server at start, not served by the API"
        }
        "oscal/" | "report/" => "evidence for auditors, not cluster state",
        f if f.starts_with("secrets/sealed/") => {
            "a sealed secret's scaffold: kubeseal seals it with the cluster's key before it is applied"
        }
        _ => "not a Kubernetes object of this cluster",
    }
}

/// The checks of one object, from one read: present and equal, then (for an admission
/// policy that is) ready.
async fn checks(cluster: &Cluster, served: &Served, o: &Object) -> Vec<Check> {
    let check = |outcome, detail| Check::of(o, "present-and-equal", outcome, detail);
    let live = match read_live(cluster, served, o).await {
        Err(reason) => return vec![check(Outcome::NotEvaluated, reason)],
        Ok(None) => return vec![check(Outcome::Fail, "absent from the cluster".to_string())],
        Ok(Some(live)) => live,
    };
    let fields = compare(&o.gvk.group_kind(), &o.value, &live);
    if !fields.is_empty() {
        let paths: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
        return vec![check(
            Outcome::Fail,
            format!("differs from the build at {}", paths.join(", ")),
        )];
    }
    let mut out = vec![check(
        Outcome::Pass,
        "present and equal to the build".to_string(),
    )];
    if needs_readiness(o) {
        let (outcome, detail) = match policy_ready(&live) {
            Some(true) => (Outcome::Pass, "its controller reports it ready"),
            Some(false) => (Outcome::Fail, "its controller reports it not ready"),
            None => (
                Outcome::Fail,
                "not ready: no status (is the admission controller running?)",
            ),
        };
        out.push(Check::of(o, "policy-ready", outcome, detail.to_string()));
    }
    out
}

fn prop(name: &str, value: impl Into<String>) -> Property {
    Property::ns(NS, name, value)
}

/// The reports as an OSCAL assessment-results document: one result per cluster, one
/// observation per check. `collected` is the RFC 3339 time of the run; `plan` the href of the
/// build's assessment plan.
pub fn assessment_results(
    system: &str,
    reports: &[VerifyReport],
    collected: &str,
    plan: &str,
) -> AssessmentResultsDocument {
    let uuid = |name: &str| evidence::ids::uuid(system, &format!("verify/{collected}/{name}"));
    let results = reports
        .iter()
        .map(|r| {
            let observations = r
                .checks
                .iter()
                .map(|c| Observation {
                    uuid: uuid(&format!("{}/{}/{}", r.cluster, c.subject, c.check)),
                    title: Some(format!("{}: {}", c.subject, c.check)),
                    description: c.detail.clone(),
                    props: vec![
                        prop("check", c.check),
                        prop("result", c.outcome.as_str()),
                        prop("cluster", r.cluster.clone()),
                    ],
                    links: Vec::new(),
                    methods: vec![if c.outcome == Outcome::NotEvaluated {
                        "UNKNOWN".to_string()
                    } else {
                        "TEST".to_string()
                    }],
                    types: Vec::new(),
                    relevant_evidence: vec![RelevantEvidence {
                        href: None,
                        description: format!("the build's {}", c.file),
                    }],
                    collected: collected.to_string(),
                    remarks: None,
                })
                .collect();
            AssessmentResult {
                uuid: uuid(&format!("result/{}", r.cluster)),
                title: format!("posture verify --live: {}", r.cluster),
                description: format!(
                    "The build's objects read back from the API server at {}: {} pass, {} fail, {} not evaluated.",
                    r.server,
                    r.count(Outcome::Pass),
                    r.count(Outcome::Fail),
                    r.count(Outcome::NotEvaluated)
                ),
                start: collected.to_string(),
                end: Some(collected.to_string()),
                props: Vec::new(),
                reviewed_controls: ReviewedControls {
                    description: None,
                    control_selections: vec![ControlSelection {
                        description: None,
                        include_all: Some(Empty {}),
                        include_controls: Vec::new(),
                    }],
                },
                observations,
                findings: Vec::new(),
            }
        })
        .collect();
    AssessmentResultsDocument {
        assessment_results: AssessmentResults {
            uuid: uuid("assessment-results"),
            metadata: Metadata {
                title: format!("{system}: results of `posture verify --live`"),
                published: Some(collected.to_string()),
                last_modified: collected.to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                oscal_version: oscal_model::OSCAL_VERSION.to_string(),
                props: Vec::new(),
                links: Vec::new(),
                roles: Vec::new(),
                parties: Vec::new(),
                responsible_parties: Vec::new(),
                remarks: None,
            },
            import_ap: ImportHref {
                href: plan.to_string(),
            },
            results,
            back_matter: None,
        },
    }
}
