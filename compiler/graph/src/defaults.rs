//! Default control mappings, each row with a one-line rationale.
//!
//! Two tables. [`STDLIB`] gives the rationale for every `satisfies` row of the standard
//! library's items (the rows themselves live in `stdlib/*.posture`; a test keeps both in step).
//! [`Construct::rows`] maps the language's built-in constructs (a namespace's Pod Security
//! level, a default deny, strict mesh mTLS, …) to controls, so a posture gets those mappings
//! without writing `satisfies`. [`REJECTED`] lists rows that were considered (most from
//! `shared/data/k8s-mappings/k8s-posture-to-nist-800-53r5.csv`, a synthesis of public
//! mappings, not an authority) and left out after reading the control's statement, with why.
//!
//! A default mapping only ever counts when the item emits an enforcing artifact: the tables
//! say what an item *would* implement, the graph decides whether it does.

use controls::ControlId;

/// How much of a control's statement a mapping meets.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Strength {
    /// The artifact meets the control's whole statement.
    #[default]
    Satisfies,
    /// The artifact meets part of it (other parts are organisational, or need more than this
    /// construct): coverage shows the control as partial.
    Supports,
}

/// One default mapping: a control and why the construct implements it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The control, as SP 800-53 writes it (`SC-7(5)`); a test parses every row.
    pub control: &'static str,
    /// One line: what in the construct does what the control's statement asks (for a
    /// `supports` row, also what it leaves to others).
    pub rationale: &'static str,
    /// Whether the construct meets the whole statement or part of it.
    pub strength: Strength,
}

/// [`Strength`] from a row's optional `supports` marker.
macro_rules! strength {
    () => {
        Strength::Satisfies
    };
    (supports) => {
        Strength::Supports
    };
}

impl Row {
    /// The row's control id; `None` only for a malformed row, which a test rules out.
    pub fn control_id(&self) -> Option<ControlId> {
        self.control.parse().ok()
    }
}

/// A built-in construct of the language that carries default mappings.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Construct {
    /// A namespace whose Pod Security Admission `enforce` level is `baseline`.
    PodSecurityBaseline,
    /// A namespace whose Pod Security Admission `enforce` level is `restricted`.
    PodSecurityRestricted,
    /// `default_deny` for both directions.
    DefaultDenyBoth,
    /// `default_deny` for one direction only.
    DefaultDenyOneDirection,
    /// An `allow` intent.
    AllowIntent,
    /// An `ingress` with TLS from a cert-manager issuer.
    IngressTls,
    /// `mesh { mtls = strict }`.
    MeshStrictMtls,
    /// `audit { … }` at a level other than `none`.
    AuditPolicy,
    /// `audit { … }` at `request` or `request_response`: bodies are recorded too.
    AuditRequestBodies,
    /// A realm: the identity provider users authenticate at.
    Realm,
    /// A realm requiring MFA for some of its roles.
    RealmMfaSome,
    /// A realm requiring MFA for every one of its roles.
    RealmMfaAll,
    /// A realm's password policy.
    RealmPassword,
    /// A realm's brute-force protection.
    RealmBruteForce,
    /// A realm's token and session lifespans.
    RealmTokens,
    /// A realm role bound to a Kubernetes ClusterRole (cluster-wide or per namespace).
    RbacBinding,
    /// A realm role bound to a ClusterRole in named namespaces only.
    RbacNamespaced,
    /// A `secret` synced from an external store.
    SecretFromStore,
    /// A `secret` with a rotation period.
    SecretRotated,
    /// `secrets { encryption = { at_rest = … } }` with a KMS key.
    EncryptionAtRest,
    /// An enabled runtime `rule`.
    RuntimeRule,
    /// A runtime behaviour `profile`.
    RuntimeProfile,
    /// `verify_images` in enforce mode.
    VerifyImages,
    /// `generate` of a default-deny NetworkPolicy in new namespaces.
    GenerateDefaultDeny,
}

impl Construct {
    /// Every construct, in a stable order.
    pub const ALL: [Construct; 24] = [
        Construct::PodSecurityBaseline,
        Construct::PodSecurityRestricted,
        Construct::DefaultDenyBoth,
        Construct::DefaultDenyOneDirection,
        Construct::AllowIntent,
        Construct::IngressTls,
        Construct::MeshStrictMtls,
        Construct::AuditPolicy,
        Construct::AuditRequestBodies,
        Construct::Realm,
        Construct::RealmMfaSome,
        Construct::RealmMfaAll,
        Construct::RealmPassword,
        Construct::RealmBruteForce,
        Construct::RealmTokens,
        Construct::RbacBinding,
        Construct::RbacNamespaced,
        Construct::SecretFromStore,
        Construct::SecretRotated,
        Construct::EncryptionAtRest,
        Construct::RuntimeRule,
        Construct::RuntimeProfile,
        Construct::VerifyImages,
        Construct::GenerateDefaultDeny,
    ];

    /// A short description for tables (`namespace Pod Security: restricted`).
    pub fn title(self) -> &'static str {
        match self {
            Construct::PodSecurityBaseline => "namespace Pod Security enforce=baseline",
            Construct::PodSecurityRestricted => "namespace Pod Security enforce=restricted",
            Construct::DefaultDenyBoth => "default deny, ingress and egress",
            Construct::DefaultDenyOneDirection => "default deny, one direction",
            Construct::AllowIntent => "allow intent",
            Construct::IngressTls => "ingress TLS",
            Construct::MeshStrictMtls => "mesh strict mTLS",
            Construct::AuditPolicy => "API server audit policy",
            Construct::AuditRequestBodies => "audit policy recording request bodies",
            Construct::Realm => "identity realm",
            Construct::RealmMfaSome => "realm MFA for some roles",
            Construct::RealmMfaAll => "realm MFA for every role",
            Construct::RealmPassword => "realm password policy",
            Construct::RealmBruteForce => "realm brute-force protection",
            Construct::RealmTokens => "realm token and session lifespans",
            Construct::RbacBinding => "Kubernetes RBAC binding",
            Construct::RbacNamespaced => "namespaced Kubernetes RBAC binding",
            Construct::SecretFromStore => "secret synced from a store",
            Construct::SecretRotated => "secret with rotation",
            Construct::EncryptionAtRest => "encryption at rest with KMS",
            Construct::RuntimeRule => "runtime detection rule",
            Construct::RuntimeProfile => "runtime behaviour profile",
            Construct::VerifyImages => "image signature verification (enforce)",
            Construct::GenerateDefaultDeny => "generated default-deny NetworkPolicy",
        }
    }

    /// The target whose artifacts enforce the construct (its crate and output folder, as in
    /// `driver::targets::TARGETS`): the construct's rows count only through that target's
    /// artifacts. A new target adds its constructs here; a test checks every target has some.
    pub fn target(self) -> &'static str {
        match self {
            Construct::PodSecurityBaseline | Construct::PodSecurityRestricted => "namespaces",
            Construct::DefaultDenyBoth
            | Construct::DefaultDenyOneDirection
            | Construct::AllowIntent
            | Construct::IngressTls
            | Construct::MeshStrictMtls => "network",
            Construct::AuditPolicy
            | Construct::AuditRequestBodies
            | Construct::EncryptionAtRest => "apiserver",
            Construct::Realm
            | Construct::RealmMfaSome
            | Construct::RealmMfaAll
            | Construct::RealmPassword
            | Construct::RealmBruteForce
            | Construct::RealmTokens => "keycloak",
            Construct::RbacBinding | Construct::RbacNamespaced => "rbac",
            Construct::SecretFromStore | Construct::SecretRotated => "secrets",
            Construct::RuntimeRule | Construct::RuntimeProfile => "falco",
            Construct::VerifyImages | Construct::GenerateDefaultDeny => "kyverno",
        }
    }

    /// The construct's default mappings.
    pub fn rows(self) -> &'static [Row] {
        macro_rules! rows {
            ($($c:literal => $($s:ident)? $r:literal),* $(,)?) => {
                &[$(Row { control: $c, rationale: $r, strength: strength!($($s)?) }),*]
            };
        }
        match self {
            Construct::PodSecurityBaseline => rows![
                "AC-6" => supports "the baseline profile refuses privileged containers, host namespaces and added capabilities in the namespace; AC-6 is least privilege for users and processes across the system (accounts, roles, access rights), which workload hardening alone does not meet",
                "CM-6" => "Pod Security Admission enforces the Pod Security Standards as the namespace's secure configuration settings",
                "CM-7" => "host ports, host paths and host namespaces are prohibited functions the admission controller refuses",
                "SC-39" => "without hostPID and hostIPC each pod keeps its own process namespace, a separate execution domain",
            ],
            Construct::PodSecurityRestricted => rows![
                "AC-6" => supports "the restricted profile refuses privileged containers, root users and added capabilities in the namespace; AC-6 is least privilege for users and processes across the system (accounts, roles, access rights), which workload hardening alone does not meet",
                "AC-6(10)" => "allowPrivilegeEscalation=false and runAsNonRoot stop a non-privileged process from gaining privileged functions",
                "CM-6" => "Pod Security Admission enforces the Pod Security Standards as the namespace's secure configuration settings",
                "CM-7" => "host ports, host paths, host namespaces and all but NET_BIND_SERVICE capabilities are prohibited functions",
                "SC-39" => "without hostPID and hostIPC each pod keeps its own process namespace, a separate execution domain",
            ],
            Construct::DefaultDenyBoth => rows![
                "AC-4" => "NetworkPolicies enforce the declared flows as the only approved information flows between workloads",
                "SC-7" => "the namespace boundary is a key internal managed interface whose traffic the policies control",
                "SC-7(5)" => "every ingress and egress connection is denied unless an allow intent makes an exception",
            ],
            Construct::DefaultDenyOneDirection => rows![
                "AC-4" => "NetworkPolicies enforce the declared flows as the only approved flows in the denied direction",
                "SC-7" => "the namespace boundary is a key internal managed interface whose traffic the policies control",
            ],
            Construct::AllowIntent => rows![
                "AC-4" => "the intent is an approved flow authorization, enforced as a NetworkPolicy rule on both ends",
            ],
            Construct::IngressTls => rows![
                "SC-8" => "the ingress terminates TLS, protecting confidentiality and integrity of traffic from users",
                "SC-8(1)" => "TLS is the cryptographic mechanism that prevents disclosure and detects changes in transit",
                "SC-12" => supports "cert-manager establishes and renews the ingress's key pair and certificate from the named issuer; SC-12 asks for key management across the system (generation, distribution, storage, access, destruction) per organisational requirements, of which one ingress certificate is a part",
            ],
            Construct::MeshStrictMtls => rows![
                "SC-8" => "strict mutual TLS protects confidentiality and integrity of all service-to-service traffic",
                "SC-8(1)" => "mutual TLS is the cryptographic mechanism protecting service traffic in transit",
                "SC-23" => "both ends of every session are authenticated by mesh certificates, so sessions cannot be hijacked or spoofed",
                "IA-9" => "each workload is identified and authenticated by its mesh identity before it may communicate",
            ],
            Construct::AuditPolicy => rows![
                "AU-2" => supports "the audit Policy (`apiserver/audit-policy.yaml`) names the event types the API server logs (resources and levels); AU-2 also asks to coordinate the selection with other organisational entities, give the rationale and review it, and to cover components other than the Kubernetes API",
                "AU-3" => supports "Kubernetes audit events record the verb, time, resource, source IP, response code and user of each API request; the records of the system's other components (applications, nodes, the identity provider) are outside this file",
                "AU-12" => supports "the API server, loading the emitted policy through `--audit-policy-file`, generates audit records for the selected event types and sends them to the SIEM webhook; AU-12 asks for record generation on every component that AU-2 selects, of which the Kubernetes API is one",
            ],
            Construct::AuditRequestBodies => rows![
                "AU-3(1)" => "request (and response) bodies are recorded as additional audit information",
            ],
            Construct::Realm => rows![
                "IA-2" => "users are uniquely identified and authenticated by the realm (`keycloak/<realm>-realm.json`), and tokens carry that identity to the services and, through the realm's Kubernetes client, to the API server",
                "AC-2" => supports "the realm file defines the account types (realm roles), group membership and the roles' authorizations (AC-2 a, d); AC-2's managers, approvals, monitoring, disabling and reviews of accounts are organisational processes the file does not perform",
            ],
            Construct::RealmMfaSome => rows![
                "IA-2(1)" => "the realm requires a second factor for the roles listed in `mfa.required_for`, the privileged ones",
            ],
            Construct::RealmMfaAll => rows![
                "IA-2(1)" => "the realm requires a second factor for every role, privileged ones included",
                "IA-2(2)" => "the realm requires a second factor for every role, non-privileged ones included",
            ],
            Construct::RealmPassword => rows![
                "IA-5(1)" => supports "the realm enforces minimum length and history (IA-5(1)(h)), stores passwords salted and hashed (IA-5(1)(d)) and accepts them only over TLS (`sslRequired: all`, IA-5(1)(c)); the list of commonly used or compromised passwords that IA-5(1)(a)-(b) asks to check against is not configured",
            ],
            Construct::RealmBruteForce => rows![
                "AC-7" => "after the set number of consecutive failures the realm locks the account for the set time",
            ],
            Construct::RealmTokens => rows![
                "AC-12" => "sessions end automatically after the idle and maximum lifespans",
                "IA-11" => "when the maximum session lifespan ends, users must authenticate again",
            ],
            Construct::RbacBinding => rows![
                "AC-3" => supports "the API server enforces the generated bindings (`rbac/`) as the role's approved authorizations for the Kubernetes API; access to the application's information is enforced by the API gateway from the token's permissions, and the gateway is not emitted by posture",
            ],
            Construct::RbacNamespaced => rows![
                "AC-6" => supports "the role is bound only in the namespaces it names, not cluster-wide; whether the bound ClusterRole grants only what the role needs is the role's own definition (P6008 warns for `edit` and `admin`, which read Secrets), and AC-6 covers every account and process of the system",
            ],
            Construct::SecretFromStore => rows![
                "IA-5(7)" => supports "the credential is synced from an external store at run time by the emitted ExternalSecret; the posture and its output hold only a reference. IA-5(7) covers every application and form of static storage: the synced Kubernetes Secret is itself stored (encrypted only under encryption at rest), and other applications' configuration is outside this item",
            ],
            Construct::SecretRotated => rows![
                "IA-5" => supports "the authenticator is refreshed on the declared rotation period (IA-5 f); IA-5's other parts (initial distribution, strength, lost or compromised authenticators, protection) are not met by a rotation period",
            ],
            Construct::EncryptionAtRest => rows![
                "SC-28" => supports "the API server encrypts the listed resources before writing them to etcd (`apiserver/encryption-config.yaml`, KMS v2 first); information at rest elsewhere (the databases' own storage, volumes, backups) is not covered by this file",
                "SC-28(1)" => supports "KMS v2 envelope encryption is a cryptographic mechanism preventing disclosure and modification of the listed resources in etcd; the other information and components SC-28(1) names (databases, volumes, backups) need their own encryption",
                "SC-12" => supports "etcd's data keys are wrapped by a key established and managed in the cloud KMS through the declared plugin; SC-12 asks for key management across the system per organisational requirements, of which this key is a part",
            ],
            Construct::RuntimeRule => rows![
                "SI-4" => "Falco watches system calls of every container and raises the rule's alert on the attack indicator it describes",
            ],
            Construct::RuntimeProfile => rows![
                "SI-4" => "Falco alerts on any process outside the workload's expected set: unauthorized use of the system",
            ],
            Construct::VerifyImages => rows![
                "CM-14" => "admission refuses images whose signature does not verify against the approved keys or identities",
                "SI-7" => "a signature check before admission detects images changed after signing",
                "SI-7(15)" => "the signature is a cryptographic mechanism that authenticates the image before it is installed",
            ],
            Construct::GenerateDefaultDeny => rows![
                "SC-7" => "every new namespace gets a controlled internal boundary the moment it is created",
                "SC-7(5)" => "the generated NetworkPolicy denies traffic by default in every new namespace",
            ],
        }
    }
}

/// The rationale of one standard-library `satisfies` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdlibRow {
    /// The bundle (`pod_security.restricted`).
    pub bundle: &'static str,
    /// The item's name in the bundle.
    pub item: &'static str,
    /// The mapping.
    pub row: Row,
}

macro_rules! stdlib_rows {
    ($($b:literal $i:literal $c:literal => $($s:ident)? $r:literal),* $(,)?) => {
        &[$(StdlibRow { bundle: $b, item: $i, row: Row { control: $c, rationale: $r, strength: strength!($($s)?) } }),*]
    };
}

/// Every `satisfies` row of the standard library, with its rationale. A test checks that this
/// table and the bundles' `satisfies` lists name exactly the same rows.
pub static STDLIB: &[StdlibRow] = stdlib_rows![
    "best_practices" "disallow-latest-tag" "CM-2" => "pinned image tags keep the deployed configuration equal to the reviewed baseline",
    "best_practices" "require-image-digest" "CM-2" => "a digest pins the deployed software to exactly the reviewed baseline",
    "best_practices" "require-image-digest" "SI-7" => "a content digest lets the runtime verify the image it pulls is the one referenced",
    "best_practices" "require-labels" "CM-8" => "the required labels name every pod's component, so the inventory can be built from the cluster",
    "best_practices" "require-probes" "CP-10" => supports "liveness probes let Kubernetes restart a failed container, recovering the component automatically; CP-10 also asks for recovery and reconstitution of the system to a known state after a disruption (backups, restore procedures), which probes do not do",
    "best_practices" "require-probes" "SI-13" => "readiness and liveness probes take failing instances out of service and replace them",
    "best_practices" "require-read-only-root-filesystem" "CM-5" => "a read-only root filesystem enforces a logical restriction on changing the running software",
    "best_practices" "require-read-only-root-filesystem" "SI-7" => "the container's software cannot be altered at run time, so the image stays the verified one",
    "falco.defaults" "capability-raise" "AC-6(9)" => supports "a process raising CAP_SYS_ADMIN in a container is logged; AC-6(9) asks to log the use of every privileged function, of which this is one kind",
    "falco.defaults" "miner-pool-domain" "SI-3" => supports "a connection to a known mining pool domain is detected: one family of malicious code; SI-3 also asks for scanning at entry and exit points, signature updates and a response to what is found",
    "falco.defaults" "miner-pool-port" "SI-3" => supports "a connection to a known mining pool port is detected: one family of malicious code; SI-3 also asks for scanning at entry and exit points, signature updates and a response to what is found",
    "falco.defaults" "set-setuid-or-setgid-bit" "AC-6(9)" => supports "setting the setuid or setgid bit in a container is logged; AC-6(9) asks to log the use of every privileged function, of which this is one kind",
    "falco.defaults" "setuid-to-root" "AC-6(9)" => supports "a process switching to root in a container is logged; AC-6(9) asks to log the use of every privileged function, of which this is one kind",
    "falco.defaults" "stratum-command-line" "SI-3" => supports "a command line speaking the stratum mining protocol is detected: one family of malicious code; SI-3 also asks for scanning at entry and exit points, signature updates and a response to what is found",
    "falco.defaults" "sudo-in-container" "AC-6(9)" => supports "sudo or su in a container is logged; AC-6(9) asks to log the use of every privileged function, of which this is one kind",
    "falco.defaults" "terminal-shell-in-container" "AU-12" => "Falco generates a record for every interactive shell started in a container",
    "falco.defaults" "terminal-shell-in-container" "SI-4" => "an interactive shell in a container is an indicator of attack that Falco detects",
    "pod_security.baseline" "disallow-capabilities" "AC-6" => supports "capabilities beyond the default set are privileges a workload does not need",
    "pod_security.baseline" "disallow-capabilities" "CM-7" => "added kernel capabilities are prohibited functions",
    "pod_security.baseline" "disallow-host-namespaces" "AC-6" => supports "host PID, IPC and network namespaces give a pod privileges it does not need",
    "pod_security.baseline" "disallow-host-namespaces" "CM-7" => "sharing the host's namespaces is a prohibited function",
    "pod_security.baseline" "disallow-host-namespaces" "SC-39" => "without host namespaces each pod keeps a separate execution domain",
    "pod_security.baseline" "disallow-host-path" "AC-6" => supports "a hostPath volume gives a pod access to the node's files",
    "pod_security.baseline" "disallow-host-path" "CM-7" => "mounting the node's filesystem is a prohibited function",
    "pod_security.baseline" "disallow-host-path" "SC-39" => "without host paths a pod cannot reach outside its own execution domain through the filesystem",
    "pod_security.baseline" "disallow-host-ports" "CM-7" => "binding host ports is a prohibited use of system ports",
    "pod_security.baseline" "disallow-host-ports" "SC-7" => "a host port would expose a pod on the node's interfaces, around the managed interfaces",
    "pod_security.baseline" "disallow-host-process" "AC-6" => supports "a Windows HostProcess container runs with the host's privileges",
    "pod_security.baseline" "disallow-host-process" "CM-7" => "HostProcess containers are a prohibited function",
    "pod_security.baseline" "disallow-host-process" "SC-39" => "a HostProcess container shares the host's execution domain",
    "pod_security.baseline" "disallow-privileged-containers" "AC-6" => supports "a privileged container holds every host capability, far beyond what a workload needs",
    "pod_security.baseline" "disallow-privileged-containers" "CM-7" => "privileged mode is a prohibited function",
    "pod_security.baseline" "disallow-proc-mount" "AC-6" => supports "an unmasked /proc exposes host information a workload does not need",
    "pod_security.baseline" "disallow-proc-mount" "CM-7" => "unmasked proc mounts are a prohibited function",
    "pod_security.baseline" "disallow-proc-mount" "SC-39" => "the default masked /proc keeps the container's view of processes separate from the host's",
    "pod_security.baseline" "disallow-selinux" "AC-3(3)" => "SELinux is the mandatory access control; custom types, users and roles could lift it",
    "pod_security.baseline" "disallow-selinux" "AC-6" => supports "a custom SELinux user or role grants privileges beyond the container default",
    "pod_security.baseline" "disallow-selinux" "SC-39" => "the container SELinux types confine each container to its own domain",
    "pod_security.baseline" "restrict-apparmor-profiles" "AC-3(3)" => "AppArmor is a mandatory access control; only the runtime default or node-loaded profiles apply",
    "pod_security.baseline" "restrict-apparmor-profiles" "AC-6" => supports "an unconfined AppArmor profile removes restrictions a workload does not need lifted",
    "pod_security.baseline" "restrict-apparmor-profiles" "SC-39" => "AppArmor confinement keeps each container within its own execution domain",
    "pod_security.baseline" "restrict-seccomp" "CM-7" => "the Unconfined profile re-enables system calls the workload does not need",
    "pod_security.baseline" "restrict-seccomp" "SC-39" => "seccomp filtering narrows the kernel surface shared between processes",
    "pod_security.baseline" "restrict-sysctls" "CM-7" => "only the namespaced, safe sysctls are permitted functions",
    "pod_security.baseline" "restrict-sysctls" "SC-39" => "unsafe sysctls change the kernel for every pod on the node, breaking isolation",
    "pod_security.restricted" "disallow-capabilities-strict" "AC-6" => supports "dropping ALL capabilities leaves a container only what it needs (NET_BIND_SERVICE at most)",
    "pod_security.restricted" "disallow-capabilities-strict" "CM-7" => "every kernel capability but NET_BIND_SERVICE is a prohibited function",
    "pod_security.restricted" "disallow-privilege-escalation" "AC-6" => supports "processes cannot gain more privilege than they started with",
    "pod_security.restricted" "disallow-privilege-escalation" "AC-6(10)" => "setuid binaries and file capabilities cannot lift a non-privileged process to privileged functions",
    "pod_security.restricted" "require-run-as-non-root" "AC-6" => supports "containers run without root, the least privilege most workloads need",
    "pod_security.restricted" "require-run-as-non-root" "AC-6(10)" => "non-root users in the container cannot execute root-only (privileged) functions",
    "pod_security.restricted" "require-run-as-non-root-user" "AC-6" => supports "user id 0 is the most privileged account; no container runs as it",
    "pod_security.restricted" "require-run-as-non-root-user" "AC-6(10)" => "workload processes, not privileged users, cannot execute as root",
    "pod_security.restricted" "restrict-seccomp-profiles" "CM-7" => "a seccomp profile prohibits the system calls a workload does not need",
    "pod_security.restricted" "restrict-seccomp-profiles" "SC-39" => "a set seccomp profile filters system calls, separating the container from the kernel surface",
    "pod_security.restricted" "restrict-volume-types" "AC-6" => supports "only volume types that do not reach into the node give the access a workload needs",
    "pod_security.restricted" "restrict-volume-types" "CM-7" => "volume types other than the allowed list are prohibited functions",
    "resources" "limit-container-resources" "SC-5" => "a bounded limit stops one container from exhausting a node's CPU or memory",
    "resources" "limit-container-resources" "SC-6" => "the platform maximum allocates resources by quota",
    "resources" "require-resource-limits" "SC-5" => "a memory limit bounds the effect of a runaway or attacked container on its neighbours",
    "resources" "require-resource-limits" "SC-6" => "limits allocate CPU and memory per container so one cannot starve its neighbours",
    "resources" "require-resource-requests" "SC-6" => "requests reserve the resources each container needs, by priority of scheduling",
    "supply_chain" "restrict-image-registries" "CM-11" => "users cannot install software from arbitrary registries into the cluster",
    "supply_chain" "restrict-image-registries" "CM-7(5)" => "only images from the listed registries are authorized to run (allow-by-exception)",
    "supply_chain" "restrict-image-registries" "SR-3" => "limiting image sources to approved registries is a supply chain control",
];

/// A mapping that was considered and left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// What would have carried it.
    pub construct: &'static str,
    /// The control.
    pub control: &'static str,
    /// Why it is not a default.
    pub reason: &'static str,
}

/// Rows of the shared mapping synthesis (and a few obvious candidates) left out after review.
pub static REJECTED: &[Rejected] = &[
    Rejected {
        construct: "std.best_practices disallow-latest-tag, require-image-digest",
        control: "CM-3",
        reason: "CM-3 is the organization's change control (review, approval, records); pinned tags and digests only make an unreviewed image change visible, they are no change control",
    },
    Rejected {
        construct: "ingress TLS",
        control: "SC-13",
        reason: "SC-13 asks for the cryptography types the organization requires (FIPS-validated for FedRAMP); TLS from cert-manager does not show which modules run",
    },
    Rejected {
        construct: "mesh strict mTLS",
        control: "SC-13",
        reason: "as for ingress TLS: the mesh's cryptographic modules are not part of the posture",
    },
    Rejected {
        construct: "mesh strict mTLS",
        control: "AC-4",
        reason: "PeerAuthentication authenticates peers but authorizes no flows; flows are enforced by the NetworkPolicies",
    },
    Rejected {
        construct: "Kubernetes RBAC binding",
        control: "AC-2",
        reason: "account management is a lifecycle (managers, approvals, reviews); a binding only specifies role membership (AC-2 d.2)",
    },
    Rejected {
        construct: "identity realm roles",
        control: "AC-3",
        reason: "the realm issues the permissions; the API gateway enforces them, and the gateway is not emitted by posture",
    },
    Rejected {
        construct: "audit retention",
        control: "AU-11",
        reason: "retention is kept by the sink (the SIEM), which the posture names but does not configure",
    },
    Rejected {
        construct: "namespace Pod Security",
        control: "SC-2",
        reason: "separating user functionality from system management is architecture, not a namespace label",
    },
    Rejected {
        construct: "runtime detection rule",
        control: "IR-4",
        reason: "an alert feeds incident handling; handling itself is an organisational process",
    },
    Rejected {
        construct: "default deny",
        control: "CA-9",
        reason: "internal system connections need authorization and documentation, a process the intents support but do not perform",
    },
];

/// The rationale of a standard-library row, when the table has it.
pub fn stdlib_rationale(bundle: &str, item: &str, control: ControlId) -> Option<&'static str> {
    stdlib_row(bundle, item, control).map(|r| r.rationale)
}

/// The standard library's row for one item and control.
pub fn stdlib_row(bundle: &str, item: &str, control: ControlId) -> Option<Row> {
    STDLIB
        .iter()
        .find(|r| r.bundle == bundle && r.item == item && r.row.control_id() == Some(control))
        .map(|r| r.row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_live_control() {
        let catalog = controls::catalog();
        let all = Construct::ALL
            .iter()
            .flat_map(|c| c.rows().iter().copied())
            .chain(STDLIB.iter().map(|r| r.row));
        for row in all {
            let id = row
                .control_id()
                .unwrap_or_else(|| panic!("`{}` does not parse", row.control));
            let c = catalog.control(&id).expect("in the catalog");
            assert!(!c.is_withdrawn(), "{id} is withdrawn");
            assert!(!row.rationale.is_empty() && !row.rationale.contains('\n'));
            assert!(!row.rationale.ends_with('.'), "{}", row.rationale);
        }
        for r in REJECTED {
            assert!(r.control.parse::<ControlId>().is_ok(), "{}", r.control);
        }
    }

    #[test]
    fn constructs_are_listed_once_and_rows_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Construct::ALL {
            assert!(seen.insert(c), "{c:?} twice");
            let mut ids: Vec<_> = c.rows().iter().map(|r| r.control).collect();
            let n = ids.len();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), n, "{c:?} repeats a control");
        }
    }
}
