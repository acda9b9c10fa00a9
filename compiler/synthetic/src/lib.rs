//! A generator of synthetic postures of any size: namespaces, workloads, network intents,
//! admission policies, runtime rules and roles. The output is posture source text (what a user
//! writes), split into files the way a large team would, so benchmarks exercise the whole
//! pipeline from parsing on. Deterministic: the same [`Spec`] gives the same files.

use std::fmt::Write as _;

mod rng;

pub use rng::Rng;

/// How big the posture is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub namespaces: usize,
    pub workloads: usize,
    /// `allow` intents; each goes from one workload to another (in the same or the next
    /// namespace), or to an external block for every tenth.
    pub intents: usize,
    /// Custom `validate` policies.
    pub policies: usize,
    /// Falco rules.
    pub rules: usize,
    /// Realm roles.
    pub roles: usize,
}

impl Spec {
    /// A posture of `workloads` workloads with proportional everything else: 20 workloads per
    /// namespace, 5 intents per workload, a policy per 50 workloads, a rule per 100, a role per
    /// 200.
    pub fn scaled(workloads: usize) -> Spec {
        let workloads = workloads.max(2);
        Spec {
            namespaces: workloads.div_ceil(20),
            workloads,
            intents: workloads * 5,
            policies: (workloads / 50).max(1),
            rules: (workloads / 100).max(1),
            roles: (workloads / 200).max(1),
        }
    }
}

/// One generated file: a relative path and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: String,
    pub text: String,
}

fn ns_name(i: usize) -> String {
    format!("team-{i:05}")
}

fn wl_name(i: usize) -> String {
    format!("svc-{i:06}")
}

/// The namespace of workload `w`.
fn ns_of(spec: &Spec, w: usize) -> usize {
    w * spec.namespaces / spec.workloads
}

/// Generates the posture: `system.posture`, `namespaces.posture`, one `network-NNN.posture` per
/// thousand intents, `admission.posture`, `runtime.posture`, `identity.posture`.
pub fn generate(spec: &Spec) -> Vec<File> {
    let mut rng = Rng::new(0x5EED);
    let mut files = Vec::new();

    let mut s = String::new();
    s.push_str("/// A synthetic platform for benchmarks.\nsystem synthetic {\n  title      = \"Synthetic\"\n  impact     = moderate\n  frameworks = [fedramp-moderate]\n}\n\n");
    s.push_str("target {\n  kubernetes   = \"1.33\"\n  pod_cidr     = \"10.244.0.0/16\"\n  service_cidr = \"10.96.0.0/12\"\n}\n");
    files.push(File {
        path: "system.posture".into(),
        text: s,
    });

    let mut s = String::new();
    for n in 0..spec.namespaces {
        let _ = writeln!(
            s,
            "namespace {} {{ pod_security = restricted }}",
            ns_name(n)
        );
    }
    s.push('\n');
    for w in 0..spec.workloads {
        let _ = writeln!(
            s,
            "workload {} {{ namespace = {}, match = {{ app = \"{}\" }}, ports = {{ http = {} }} }}",
            wl_name(w),
            ns_name(ns_of(spec, w)),
            wl_name(w),
            8000 + (w % 1000)
        );
    }
    files.push(File {
        path: "namespaces.posture".into(),
        text: s,
    });

    let all_ns: Vec<String> = (0..spec.namespaces).map(ns_name).collect();
    let mut chunk = String::new();
    let mut chunk_no = 0;
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..spec.intents {
        if i % 1000 == 0 {
            if i > 0 {
                chunk.push_str("}\n");
                files.push(File {
                    path: format!("network-{chunk_no:03}.posture"),
                    text: std::mem::take(&mut chunk),
                });
                chunk_no += 1;
            }
            chunk.push_str("network {\n");
            if i == 0 {
                let _ = writeln!(
                    chunk,
                    "  default_deny = {{ namespaces = [{}] }}",
                    all_ns.join(", ")
                );
                let _ = writeln!(chunk, "  allow_dns    = [{}]", all_ns.join(", "));
            }
        }
        let from = rng.below(spec.workloads);
        if i % 10 == 9 {
            let block = format!("172.{}.{}.0/24", 16 + (i / 256) % 16, i % 256);
            if seen.insert((from, block.clone())) {
                let _ = writeln!(chunk, "  allow {} -> \"{block}\":443", wl_name(from));
            }
            continue;
        }
        // Mostly within the namespace or the next one, like real service graphs.
        let base = ns_of(spec, from) * spec.workloads / spec.namespaces;
        let span = (2 * spec.workloads / spec.namespaces).max(2);
        let to = (base + rng.below(span)) % spec.workloads;
        if to == from || !seen.insert((from, wl_name(to))) {
            continue;
        }
        let _ = writeln!(chunk, "  allow {} -> {}:http", wl_name(from), wl_name(to));
    }
    chunk.push_str("}\n");
    files.push(File {
        path: format!("network-{chunk_no:03}.posture"),
        text: chunk,
    });

    let mut s = String::from("admission {\n  use std.pod_security.restricted\n");
    for p in 0..spec.policies {
        let _ = writeln!(
            s,
            "  validate require-label-{p:04} {{\n    match   = {{ kinds = [pods], namespaces = [{}] }}\n    require = `has(object.metadata) && has(object.metadata.labels)`\n    message = \"pods need labels\"\n  }}",
            ns_name(p % spec.namespaces)
        );
    }
    s.push_str("}\n");
    files.push(File {
        path: "admission.posture".into(),
        text: s,
    });

    let mut s = String::from("runtime {\n  list suspicious = [nc, ncat, socat]\n");
    for r in 0..spec.rules {
        let _ = writeln!(
            s,
            "  rule suspicious-{r:04} {{\n    title    = \"Suspicious tool {r}\"\n    when     = `proc.name in (suspicious)`\n    output   = \"suspicious tool (command=%proc.cmdline)\"\n    priority = warning\n  }}"
        );
    }
    s.push_str("}\n");
    files.push(File {
        path: "runtime.posture".into(),
        text: s,
    });

    let mut s = String::from(
        "identity {\n  realm synthetic {\n    issuer      = \"https://auth.example.com/realms/synthetic\"\n    permissions = [data:read, data:write]\n",
    );
    for r in 0..spec.roles {
        let _ = writeln!(s, "    role role-{r:04} {{ grants = [data:read] }}");
    }
    // The API that holds the permissions (the keycloak target needs exactly one, P6006).
    s.push_str("    client api { access = bearer_only }\n  }\n}\n");
    files.push(File {
        path: "identity.posture".into(),
        text: s,
    });
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let spec = Spec::scaled(1000);
        assert_eq!(generate(&spec), generate(&spec));
        let text: String = generate(&spec).into_iter().map(|f| f.text).collect();
        assert_eq!(
            text.matches("\nworkload ").count() + usize::from(text.starts_with("workload ")),
            1000
        );
    }

    /// The benchmarks measure the success path: the generated posture must check without
    /// errors (a new diagnostic in the checker would otherwise break them silently).
    #[test]
    fn checks_without_errors() {
        let mut world = driver::MemWorld::new();
        for f in generate(&Spec::scaled(50)) {
            world.add(format!("/synthetic/{}", f.path), f.text);
        }
        let options = driver::Options {
            today: Some(ir::Date {
                year: 2026,
                month: 11,
                day: 27,
            }),
        };
        let checked = driver::check(&world, std::path::Path::new("/synthetic"), &options)
            .expect("the synthetic posture loads");
        let errors: Vec<String> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("[{}] {}", d.code.id, d.message))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
