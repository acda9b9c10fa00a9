//! Pod Security Standards across layers: the controls of the standard, and what a namespace's
//! Pod Security Admission labels must say when an exception waives one of them.
//!
//! Two engines admit a pod: the API server's built-in Pod Security admission (the namespace's
//! `pod-security.kubernetes.io/enforce` label) and Kyverno (the posture's admission rules and
//! their exceptions). Pod Security admission has no exceptions per workload, so a posture
//! exception that waives a Pod Security control takes effect only if the namespace's enforced
//! level stops checking that control. The posture's answer, the way Kyverno documents running
//! the standards: the namespace's `enforce` label drops to the highest level that permits
//! every waived control, `audit` and `warn` stay at the declared level, and Kyverno enforces
//! the declared level for everything the exception does not cover. That is only safe when an
//! enforcing admission rule covers every control the lowered label stops checking in that
//! namespace; [`effective`] reports the controls that none covers, and the checker refuses
//! such a posture (P1050) rather than emit a label that permits more than it says.

use crate::admission::{ResourceKind, Validate};
use crate::network::{Namespace, PodSecurity, PodSecurityLevel};
use crate::{Action, Block, ItemId, Name, Posture};
use serde::Serialize;

/// One control of the Pod Security Standards, named after the checks of
/// `k8s.io/pod-security-admission` (the library the API server runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    // Baseline.
    HostProcess,
    HostNamespaces,
    Privileged,
    CapabilitiesBaseline,
    HostPathVolumes,
    HostPorts,
    AppArmor,
    SeLinux,
    ProcMount,
    SeccompBaseline,
    Sysctls,
    // Restricted.
    VolumeTypes,
    PrivilegeEscalation,
    RunAsNonRoot,
    RunAsUser,
    SeccompRestricted,
    CapabilitiesRestricted,
}

impl Control {
    /// Every control, baseline first.
    pub const ALL: [Control; 17] = [
        Control::HostProcess,
        Control::HostNamespaces,
        Control::Privileged,
        Control::CapabilitiesBaseline,
        Control::HostPathVolumes,
        Control::HostPorts,
        Control::AppArmor,
        Control::SeLinux,
        Control::ProcMount,
        Control::SeccompBaseline,
        Control::Sysctls,
        Control::VolumeTypes,
        Control::PrivilegeEscalation,
        Control::RunAsNonRoot,
        Control::RunAsUser,
        Control::SeccompRestricted,
        Control::CapabilitiesRestricted,
    ];

    /// The keyword a posture writes (`pod_security_control = run_as_non_root`).
    pub fn keyword(self) -> &'static str {
        match self {
            Control::HostProcess => "host_process",
            Control::HostNamespaces => "host_namespaces",
            Control::Privileged => "privileged",
            Control::CapabilitiesBaseline => "capabilities_baseline",
            Control::HostPathVolumes => "host_path_volumes",
            Control::HostPorts => "host_ports",
            Control::AppArmor => "app_armor",
            Control::SeLinux => "se_linux",
            Control::ProcMount => "proc_mount",
            Control::SeccompBaseline => "seccomp_baseline",
            Control::Sysctls => "sysctls",
            Control::VolumeTypes => "volume_types",
            Control::PrivilegeEscalation => "privilege_escalation",
            Control::RunAsNonRoot => "run_as_non_root",
            Control::RunAsUser => "run_as_user",
            Control::SeccompRestricted => "seccomp_restricted",
            Control::CapabilitiesRestricted => "capabilities_restricted",
        }
    }

    /// Every keyword, for `did you mean` and the book.
    pub fn keywords() -> impl Iterator<Item = &'static str> {
        Control::ALL.into_iter().map(Control::keyword)
    }

    /// The control a keyword names.
    pub fn parse(text: &str) -> Option<Control> {
        Control::ALL.into_iter().find(|c| c.keyword() == text)
    }

    /// The control's name in the Pod Security Standards document.
    pub fn title(self) -> &'static str {
        match self {
            Control::HostProcess => "HostProcess",
            Control::HostNamespaces => "Host Namespaces",
            Control::Privileged => "Privileged Containers",
            Control::CapabilitiesBaseline => "Capabilities (baseline)",
            Control::HostPathVolumes => "HostPath Volumes",
            Control::HostPorts => "Host Ports",
            Control::AppArmor => "AppArmor",
            Control::SeLinux => "SELinux",
            Control::ProcMount => "/proc Mount Type",
            Control::SeccompBaseline => "Seccomp (baseline)",
            Control::Sysctls => "Sysctls",
            Control::VolumeTypes => "Volume Types",
            Control::PrivilegeEscalation => "Privilege Escalation",
            Control::RunAsNonRoot => "Running as Non-root",
            Control::RunAsUser => "Running as Non-root user",
            Control::SeccompRestricted => "Seccomp (restricted)",
            Control::CapabilitiesRestricted => "Capabilities (restricted)",
        }
    }

    /// The lowest level that checks this control.
    pub fn level(self) -> PodSecurityLevel {
        match self {
            Control::VolumeTypes
            | Control::PrivilegeEscalation
            | Control::RunAsNonRoot
            | Control::RunAsUser
            | Control::SeccompRestricted
            | Control::CapabilitiesRestricted => PodSecurityLevel::Restricted,
            _ => PodSecurityLevel::Baseline,
        }
    }

    /// Does a namespace enforcing `level` check this control?
    pub fn checked_at(self, level: PodSecurityLevel) -> bool {
        level >= self.level()
    }
}

/// The Pod Security labels a namespace declares: its own, else the target's default level for
/// all three modes.
pub fn declared(p: &Posture, ns: &Namespace) -> Option<PodSecurity> {
    ns.pod_security.or_else(|| {
        p.target.default_pod_security.map(|l| PodSecurity {
            enforce: l,
            audit: l,
            warn: l,
            version: None,
        })
    })
}

/// One waived control that lowers a namespace's enforced level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub exception: Name,
    /// The waived admission rule.
    pub rule: Name,
    pub control: Control,
}

/// What a namespace's Pod Security labels must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// The labels as declared.
    pub declared: PodSecurity,
    /// The labels to emit: `enforce` possibly lowered, `audit` and `warn` as declared.
    pub labels: PodSecurity,
    /// The waivers that lowered `enforce` (empty when it was not lowered).
    pub lowered_by: Vec<Waiver>,
    /// Controls that the declared level checks and the lowered one does not, with no enforcing
    /// admission rule covering them in this namespace. Non-empty means the posture is refused.
    pub uncovered: Vec<Control>,
}

/// The Pod Security labels of `ns` once the posture's exceptions are taken into account.
pub fn effective(p: &Posture, ns: &Namespace) -> Option<Effective> {
    let declared = declared(p, ns)?;
    let mut lowered_by = Vec::new();
    for ex in p.exceptions.values() {
        if !exception_reaches(p, ex, &ns.name) {
            continue;
        }
        for id in &ex.waive {
            if id.block != Block::Admission {
                continue;
            }
            let Some(rule) = p.admission.validate.get(&id.name) else {
                continue;
            };
            let Some(control) = rule.pod_security_control else {
                continue;
            };
            if control.checked_at(declared.enforce) {
                lowered_by.push(Waiver {
                    exception: ex.name.clone(),
                    rule: rule.name.clone(),
                    control,
                });
            }
        }
    }
    // The highest level that checks none of the waived controls.
    let enforce = lowered_by
        .iter()
        .map(|w| match w.control.level() {
            PodSecurityLevel::Restricted => PodSecurityLevel::Baseline,
            _ => PodSecurityLevel::Privileged,
        })
        .fold(declared.enforce, std::cmp::min);
    let uncovered = if enforce < declared.enforce {
        Control::ALL
            .into_iter()
            .filter(|c| c.checked_at(declared.enforce) && !c.checked_at(enforce))
            .filter(|c| {
                !p.admission
                    .validate
                    .values()
                    .any(|r| covers(r, *c, &ns.name))
            })
            .collect()
    } else {
        Vec::new()
    };
    Some(Effective {
        declared,
        labels: PodSecurity {
            enforce,
            ..declared
        },
        lowered_by,
        uncovered,
    })
}

/// Does the exception apply to some pod in namespace `ns`?
fn exception_reaches(p: &Posture, ex: &crate::system::Exception, ns: &Name) -> bool {
    let s = &ex.scope;
    if !s.namespaces.is_empty() && !s.namespaces.contains(ns) {
        return false;
    }
    if s.workloads.is_empty() {
        return true;
    }
    s.workloads
        .iter()
        .any(|w| p.workloads.get(w).is_some_and(|w| &w.namespace == ns))
}

/// Does the rule enforce `control` on every pod of namespace `ns`? Only an enforcing rule on
/// pods with no namespace or workload carve-out counts: anything narrower leaves pods that
/// neither engine checks.
fn covers(r: &Validate, control: Control, ns: &Name) -> bool {
    r.pod_security_control == Some(control)
        && r.action == Action::Enforce
        && r.matches.kinds.contains(&ResourceKind::Pods)
        && (r.matches.namespaces.is_empty() || r.matches.namespaces.contains(ns))
        && !r.matches.exclude_namespaces.contains(ns)
        && r.matches.exclude_workloads.is_empty()
}

/// The item id of an exception, for traces.
pub fn exception_id(w: &Waiver) -> ItemId {
    ItemId::new(Block::Exception, w.exception.as_str())
}
