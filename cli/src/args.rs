//! The command line's grammar: commands, flags and their help, declared with clap's derive API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::today;

/// Compile security postures written in `.posture` files into enforcement documents and
/// evidence.
#[derive(Debug, Parser)]
#[command(
    name = "posture",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    after_help = "Examples:\n  posture check platform/\n  posture build platform/ -o out\n  \
                  posture fmt --check platform/\n\n\
                  Exit status: 0 success (warnings allowed), 1 the posture has errors, 2 usage \
                  error or unreadable path."
)]
pub struct Cli {
    /// When to colour diagnostics: `auto` colours only on a terminal and when `NO_COLOR` is
    /// unset
    #[arg(long, value_enum, global = true, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a posture: parse, resolve names, type-check, and report every problem
    #[command(after_help = "Examples:\n  posture check platform.posture\n  \
                            posture check platform/ --format sarif > posture.sarif\n  \
                            POSTURE_TODAY=2026-01-31 posture check platform/")]
    Check(CheckArgs),

    /// Format the posture's files in place (every file of the posture, imports included)
    #[command(after_help = "Examples:\n  posture fmt platform/\n  \
                            posture fmt --check platform/   # CI: list and diff, change nothing")]
    Fmt(FmtArgs),

    /// Check a posture and write its output directory, atomically
    #[command(after_help = "Examples:\n  posture build platform/ -o out\n  \
                            posture build platform/ -o out --format github --today 2026-01-31\n\n\
                            Nothing is written when the posture has errors. A previous build in \
                            DIR is replaced as a whole; a directory that is not empty and holds \
                            no posture manifest.json is refused unless --force is given.")]
    Build(BuildArgs),

    /// Show which workloads, built-in peers and address blocks may connect under the
    /// NetworkPolicies the posture emits
    #[command(after_help = "Examples:\n  posture reach platform/\n  \
                            posture reach platform/ --from portal\n  \
                            posture reach platform/ --to namespace.optimal-data --format json\n  \
                            posture reach platform/ --format dot | dot -Tsvg > reach.svg\n\n\
                            Endpoints: a workload, namespace.NAME, ingress-controller, cluster-dns \
                            or an address block (\"10.20.0.0/16\"). Rows where neither side is \
                            isolated allow everything; beyond --limit they are counted, not listed.\n\n\
                            Exit status: 0 shown, 1 the posture has errors or the emitted policies \
                            fail the reachability proof, 2 usage error.")]
    Reach(ReachArgs),

    /// Print a shell completion script to standard output
    #[command(
        after_help = "Examples:\n  posture completions bash > ~/.local/share/bash-completion/completions/posture\n  \
                            posture completions zsh > \"${fpath[1]}/_posture\"\n  \
                            posture completions fish > ~/.config/fish/completions/posture.fish"
    )]
    Completions(CompletionsArgs),

    /// Show how a posture covers a framework's requirements, with CI gates
    #[command(
        after_help = "Examples:\n  posture coverage platform/ --framework fedramp-moderate\n  \
                            posture coverage platform/ --framework dod-il5 --format json > coverage.json\n  \
                            posture coverage platform/ --framework soc2 --min-coverage 80 --deny-gaps\n\n\
                            Exit status: 0 the gates pass, 1 the posture has errors or a gate fails, \
                            2 usage error."
    )]
    Coverage(CoverageArgs),

    /// Explain a control: frameworks, items (file:line), output files, checks, exceptions, gaps
    #[command(after_help = "Examples:\n  posture explain platform/ SC-7\n  \
                            posture explain platform/ 'AC-6(10)' --format json\n  \
                            posture explain platform/ soc2:CC6.1")]
    Explain(ExplainArgs),

    /// Print the control graph as Graphviz DOT or a Mermaid flowchart
    #[command(
        after_help = "Examples:\n  posture graph platform/ | dot -Tsvg > graph.svg\n  \
                            posture graph platform/ --control SC-7 --format mermaid\n  \
                            posture graph platform/ --item namespace.optimal-system"
    )]
    Graph(GraphArgs),

    /// Apply a build to one or several clusters: server-side apply, in a safe order, with
    /// per-system ownership and an opt-in prune
    #[command(
        after_help = "Examples:\n  posture build platform/ -o out && posture apply out\n  \
                            posture apply out --dry-run\n  \
                            posture apply out --prune --context prod-eu,prod-us\n\n\
                            Order: every kind must be served (CRDs installed) and every namespace \
                            exist or be created by the build, else nothing is applied; then \
                            namespaces, RBAC, secret-store resources, other resources, allow \
                            NetworkPolicies, default-deny NetworkPolicies, admission exceptions, \
                            admission policies. falco/, keycloak/, apiserver/, oscal/ and report/ \
                            are not cluster objects and are not applied.\n\n\
                            Exit status: 0 applied, 1 a cluster refused or could not be reached \
                            (the report says what was and was not applied), 2 usage error."
    )]
    Apply(ApplyArgs),

    /// Show what changes between two posture revisions or two builds: flows allowed or
    /// denied, coverage, exceptions, emitted objects
    #[command(
        after_help = "Examples:\n  posture diff main-checkout/platform platform\n  \
                            posture diff old-out new-out --format markdown > comment.md\n  \
                            posture diff base/platform platform --format github --fail-on widen\n\n\
                            OLD and NEW are both posture sources (a `.posture` file or a directory \
                            of them, each compiled in memory; nothing is written) or both build \
                            output directories (recognised by their manifest.json). With --live, \
                            OLD is a build and it is compared with the cluster (see `posture \
                            apply --help`; exit 3 when the cluster differs).\n\n\
                            Exit status: 0 no changes; 3 changes, none of which widens the \
                            posture; 4 the change widens it (a newly allowed flow, lower \
                            coverage, an exception added or widened, an enforcing object removed, \
                            a grant or waiver added); --fail-on widen turns 3 into 0, --fail-on \
                            never turns 3 and 4 into 0; 1 a revision has errors; 2 usage error."
    )]
    Diff(DiffArgs),

    /// Read a build back from a cluster into observations of an OSCAL assessment-results
    /// document
    #[command(after_help = "Examples:\n  posture verify out --live\n  \
                            posture verify out --live -o live-results.json\n\n\
                            Each object is pass (present, equal to the build and, for admission \
                            policies, ready), fail, or not-evaluated (it could not be read). What \
                            lives outside the cluster's API (Falco, Keycloak, API-server flags) \
                            is not-evaluated, never pass.\n\n\
                            Exit status: 0 nothing failed, 3 something failed, 1 a cluster could \
                            not be reached, 2 usage error.")]
    Verify(VerifyArgs),
}

/// `posture apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The output directory of `posture build`
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Server-side dry run: the API server validates and admits every object, nothing is
    /// persisted
    #[arg(long)]
    pub dry_run: bool,

    /// Delete the objects this system applied before that the build no longer holds (never
    /// anything else, never a namespace)
    #[arg(long)]
    pub prune: bool,

    /// The kubeconfig contexts to apply to, concurrently [default: the current context]
    #[arg(long, value_delimiter = ',', value_name = "CONTEXT,…")]
    pub context: Vec<String>,

    /// `audit`: a staged rollout — admission policies report violations instead of refusing
    /// them (warning P8010); a later run with `enforce` (the default) enforces them
    #[arg(long, value_enum, default_value_t = AdmissionMode::Enforce, value_name = "MODE")]
    pub admission: AdmissionMode,
}

/// `posture apply --admission`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdmissionMode {
    /// As the build says
    Enforce,
    /// Violations are reported, not refused
    Audit,
}

/// `posture verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The output directory of `posture build`
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Read the cluster (the only mode there is; required so the command says what it does)
    #[arg(long)]
    pub live: bool,

    /// The kubeconfig contexts to verify [default: the current context]
    #[arg(long, value_delimiter = ',', value_name = "CONTEXT,…")]
    pub context: Vec<String>,

    /// Write the OSCAL assessment-results document to this file
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// How to print the checks: `text`, or `json` (the OSCAL document on standard output)
    #[arg(long, value_enum, default_value_t = LiveFormat::Text, value_name = "FORMAT")]
    pub format: LiveFormat,
}

/// `--format` of the live commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LiveFormat {
    /// Lines for people
    Text,
    /// One JSON document on standard output
    Json,
}

/// Flags shared by the commands that report diagnostics about a checked posture.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// How to report diagnostics: `human` goes to standard error, the others to standard output
    #[arg(long, value_enum, default_value_t = FormatName::Human, value_name = "FORMAT")]
    pub format: FormatName,

    /// The date exceptions expire against, `YYYY-MM-DD` [default: `POSTURE_TODAY`, else the
    /// system clock's UTC date]
    #[arg(long, value_parser = today::parse_flag, value_name = "YYYY-MM-DD")]
    pub today: Option<ir::Date>,
}

/// `posture check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A `.posture` file, or a directory of them
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// `posture fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Change nothing; list the files that are not formatted, with a diff, and exit 1 if any
    #[arg(long)]
    pub check: bool,

    /// A `.posture` file, or a directory of them
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
}

/// `posture build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// A `.posture` file, or a directory of them
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// The output directory; replaced as a whole on success, untouched on failure
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,

    /// Replace DIR even when it is not empty and is not the output of a previous build
    #[arg(long)]
    pub force: bool,

    /// The Kyverno API to write admission policies for: `cel` (policies.kyverno.io/v1, Kyverno
    /// 1.17 and later) or `clusterpolicy` (kyverno.io/v1). Default: from `target { kyverno }`
    #[arg(long, value_name = "API", value_enum)]
    pub kyverno_api: Option<KyvernoApi>,

    /// The time written into the OSCAL documents and the report: seconds since the epoch or
    /// `YYYY-MM-DDTHH:MM:SSZ`. Default: `SOURCE_DATE_EPOCH`, else today at midnight UTC
    #[arg(long, value_name = "TIME")]
    pub timestamp: Option<String>,

    /// The commit of the posture's sources, recorded in every OSCAL document's metadata
    #[arg(long, value_name = "REV")]
    pub source_commit: Option<String>,

    #[command(flatten)]
    pub report: ReportArgs,
}

/// `--kyverno-api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KyvernoApi {
    /// ValidatingPolicy, MutatingPolicy, GeneratingPolicy, ImageValidatingPolicy (v1)
    Cel,
    /// ClusterPolicy (kyverno.io/v1) and PolicyException (kyverno.io/v2)
    Clusterpolicy,
}

/// `posture reach`.
#[derive(Debug, Args)]
pub struct ReachArgs {
    /// A `.posture` file, or a directory of them
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Only connections from this endpoint
    #[arg(long, value_name = "ENDPOINT")]
    pub from: Option<String>,

    /// Only connections to this endpoint
    #[arg(long, value_name = "ENDPOINT")]
    pub to: Option<String>,

    /// How to print the connections
    #[arg(long, value_enum, default_value_t = ReachFormat::Table, value_name = "FORMAT")]
    pub format: ReachFormat,

    /// List at most this many rows where neither side is isolated (everything allowed)
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub limit: usize,

    /// The date exceptions expire against, `YYYY-MM-DD` [default: `POSTURE_TODAY`, else the
    /// system clock's UTC date]
    #[arg(long, value_parser = today::parse_flag, value_name = "YYYY-MM-DD")]
    pub today: Option<ir::Date>,
}

/// `posture reach --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReachFormat {
    /// Aligned columns: from, to, connections
    Table,
    /// `{ "rows": [{ "from", "to", "connections", "open" }], "omitted_open": N }`
    Json,
    /// A Graphviz digraph, one edge per row
    Dot,
}

/// `posture completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when standard error is a terminal and `NO_COLOR` is unset or empty
    Auto,
    /// Always colour
    Always,
    /// Never colour
    Never,
}

/// `--format`: the names of `diagnostics::render::Format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatName {
    /// Like rustc, on standard error, with a summary line
    Human,
    /// A JSON array of diagnostics
    Json,
    /// A SARIF 2.1.0 log, for code scanning
    Sarif,
    /// A JUnit XML report: one test case per file
    Junit,
    /// GitHub Actions annotations (workflow commands)
    Github,
}

/// `posture coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// A `.posture` file, or a directory of them
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// The framework to measure against (`fedramp-moderate`, `dod-il5`, `soc2`, …)
    #[arg(long, value_parser = parse_framework, value_name = "FRAMEWORK")]
    pub framework: controls::Framework,

    /// How to print the coverage
    #[arg(long, value_enum, default_value_t = CoverageFormat::Table, value_name = "FORMAT")]
    pub format: CoverageFormat,

    /// Exit 1 when less than PERCENT of the requirements are covered (satisfied, inherited,
    /// process or not applicable)
    #[arg(long, value_parser = parse_percent, value_name = "PERCENT")]
    pub min_coverage: Option<graph::Percent>,

    /// Exit 1 when any requirement is a gap, partial, supported only, or claimed
    #[arg(long)]
    pub deny_gaps: bool,

    /// The date exceptions expire against, `YYYY-MM-DD` [default: `POSTURE_TODAY`, else the
    /// system clock's UTC date]
    #[arg(long, value_parser = today::parse_flag, value_name = "YYYY-MM-DD")]
    pub today: Option<ir::Date>,

    /// Load the control catalogs from DIR (newer or additional catalogs in the shape of the
    /// compiled-in ones: `catalog.json` and `frameworks.json`) instead of the embedded ones
    #[arg(long, value_name = "DIR")]
    pub controls_dir: Option<PathBuf>,
}

/// `posture coverage --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// A plain-text table, one line per requirement
    Table,
    /// JSON: the summary and every requirement, for CI
    Json,
    /// A Markdown report
    Markdown,
}

/// `posture explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A `.posture` file, or a directory of them
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// The control or requirement: `SC-7`, `AC-6(10)`, `soc2:CC6.1`, `hipaa:164.312(a)(1)`
    #[arg(value_name = "CONTROL")]
    pub control: String,

    /// How to print the explanation
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text, value_name = "FORMAT")]
    pub format: ExplainFormat,

    /// The date exceptions expire against, `YYYY-MM-DD`
    #[arg(long, value_parser = today::parse_flag, value_name = "YYYY-MM-DD")]
    pub today: Option<ir::Date>,

    /// Load the control catalogs from DIR (newer or additional catalogs in the shape of the
    /// compiled-in ones: `catalog.json` and `frameworks.json`) instead of the embedded ones
    #[arg(long, value_name = "DIR")]
    pub controls_dir: Option<PathBuf>,
}

/// `posture explain --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Text for people
    Text,
    /// JSON
    Json,
}

/// `posture graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// A `.posture` file, or a directory of them
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// How to print the graph
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot, value_name = "FORMAT")]
    pub format: GraphFormat,

    /// Only the neighbourhood of this control
    #[arg(long, value_name = "CONTROL", conflicts_with = "item")]
    pub control: Option<String>,

    /// Only the neighbourhood of this item (`namespace.optimal-system`, `admission.NAME`)
    #[arg(long, value_name = "ITEM")]
    pub item: Option<String>,

    /// The date exceptions expire against, `YYYY-MM-DD`
    #[arg(long, value_parser = today::parse_flag, value_name = "YYYY-MM-DD")]
    pub today: Option<ir::Date>,

    /// Load the control catalogs from DIR (newer or additional catalogs in the shape of the
    /// compiled-in ones: `catalog.json` and `frameworks.json`) instead of the embedded ones
    #[arg(long, value_name = "DIR")]
    pub controls_dir: Option<PathBuf>,
}

/// `posture graph --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT
    Dot,
    /// A Mermaid flowchart
    Mermaid,
}

/// `posture diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old revision: posture sources (a `.posture` file or a directory of them) or a build
    /// output directory; with --live, the build output directory to compare with the cluster
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The new revision, of the same kind as OLD (required without --live)
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,

    /// How to print the differences
    #[arg(long, value_enum, default_value_t = DiffFormat::Text, value_name = "FORMAT")]
    pub format: DiffFormat,

    /// Which outcome makes the exit status non-zero: `any` change (3, or 4 when it widens),
    /// only a `widen`ing one (4), or `never`
    #[arg(long, value_enum, default_value_t = FailOn::Any, value_name = "WHEN")]
    pub fail_on: FailOn,

    /// Compare the build output directory OLD with the live cluster instead
    #[arg(long)]
    pub live: bool,

    /// With --live: the kubeconfig contexts to compare with [default: the current context]
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "CONTEXT,…",
        requires = "live"
    )]
    pub context: Vec<String>,

    /// The date exceptions expire against, `YYYY-MM-DD` [default: `POSTURE_TODAY`, else the
    /// system clock's UTC date]
    #[arg(long, value_parser = today::parse_flag, value_name = "YYYY-MM-DD")]
    pub today: Option<ir::Date>,
}

/// `posture diff --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Plain text for a terminal
    Text,
    /// JSON: the typed report, for tools
    Json,
    /// Markdown, for a pull-request comment
    Markdown,
    /// GitHub Actions annotations at the new revision's sources
    Github,
}

/// `posture diff --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 3 for changes that do not widen the posture, 4 for changes that do
    Any,
    /// Exit 4 only when the change widens the posture
    Widen,
    /// Exit 0 whatever changes (errors still exit 1)
    Never,
}

/// `--framework`: a framework id, with a did-you-mean.
fn parse_framework(text: &str) -> Result<controls::Framework, String> {
    controls::Framework::from_id(text).map_err(|e| e.to_string())
}

/// `--min-coverage`: `80`, `72.5`, `99.95%`.
fn parse_percent(text: &str) -> Result<graph::Percent, String> {
    text.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn format_names_match_the_renderers() {
        let ours: Vec<String> = FormatName::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(ours, diagnostics::render::Format::NAMES);
    }

    #[test]
    fn parses_a_build_line() {
        let cli = Cli::try_parse_from([
            "posture",
            "build",
            "p/",
            "-o",
            "out",
            "--today",
            "2026-02-28",
            "--color",
            "never",
        ])
        .expect("parses");
        assert_eq!(cli.color, ColorWhen::Never);
        let Command::Build(b) = cli.command else {
            panic!("not build");
        };
        assert_eq!(b.out, PathBuf::from("out"));
        assert_eq!(
            b.report.today,
            Some(ir::Date {
                year: 2026,
                month: 2,
                day: 28
            })
        );
        assert!(!b.force);
    }

    #[test]
    fn usage_errors_exit_2() {
        for line in [
            &["posture", "check"][..],
            &["posture", "check", "p", "--format", "yaml"],
            &["posture", "check", "p", "--today", "2026-02-30"],
            &["posture", "build", "p"],
            &["posture", "completions", "tcsh"],
            &["posture", "frobnicate"],
        ] {
            let err = Cli::try_parse_from(line).expect_err("usage error");
            assert_eq!(err.exit_code(), 2, "{line:?}");
        }
    }
}
