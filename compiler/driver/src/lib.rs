//! The pipeline: load (read, parse, imports, stdlib) → check (names, types, IR) → emit →
//! verify → graph and write plan, in one call: [`build`]. The driver touches files only through [`World`]; writing the output
//! directory is the CLI's job, from the [`BuildOutput`] the driver returns.

mod build;
pub mod load;
pub mod output;
pub mod targets;
pub mod world;

pub use build::{Build, EvidenceOptions, build, build_checked, build_for_reach, checks_of};
pub use load::{Loaded, Origin, load};
pub use world::{FileKind, MemWorld, Metadata, World};

use diagnostics::{Diagnostic, Diagnostics};
use std::path::Path;

/// Settings of one run that do not come from the posture.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// "Today", for exception expiry: from `--today`, `POSTURE_TODAY` or the clock (the CLI
    /// decides; the core never reads the clock).
    pub today: Option<ir::Date>,
}

/// The result of `posture check`.
#[derive(Debug)]
pub struct Checked {
    pub loaded: Loaded,
    pub diagnostics: Diagnostics,
    /// The typed posture, when there were no errors.
    pub posture: Option<ir::Posture>,
}

/// Loads and checks the posture at `path`. `Err` is a usage problem (the path itself cannot be
/// read): the CLI exits with 2.
pub fn check(world: &dyn World, path: &Path, options: &Options) -> Result<Checked, Diagnostic> {
    let (loaded, mut diagnostics) = load::load(world, path)?;
    let mut posture = None;
    if !diagnostics.has_errors() {
        let files: Vec<check::Input<'_>> = loaded
            .files
            .iter()
            .filter_map(|f| {
                f.ast.as_ref().map(|ast| check::Input {
                    ast,
                    stdlib: f.origin == Origin::Stdlib,
                })
            })
            .collect();
        let (ir, d) = check::check(
            &files,
            &check::Options {
                today: options.today,
            },
        );
        diagnostics.extend(d);
        if !diagnostics.has_errors() {
            // Blocks no target compiles yet: said by every command, not only `coverage`.
            if let Some(p) = &ir {
                diagnostics.extend(targets::not_emitted(p).1);
            }
            posture = ir;
        }
    }
    diagnostics.sort();
    Ok(Checked {
        loaded,
        diagnostics,
        posture,
    })
}

/// Formats one file's text. `Err` carries the syntax diagnostics when it does not parse.
pub fn format_text(file: diagnostics::FileId, text: &str) -> Result<String, Diagnostics> {
    let (ast, diags) = syntax::parse(file, text);
    match ast {
        Some(ast) if !diags.has_errors() => Ok(syntax::fmt::format(&ast, text)),
        _ => Err(diags),
    }
}

/// One file of a build's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path inside the output directory, `/`-separated, e.g. `network/optimal-system.yaml`.
    pub path: String,
    pub bytes: Vec<u8>,
    /// The posture items it came from, as `kind name` strings with `file:line`, sorted.
    pub sources: Vec<String>,
    /// True for Kubernetes manifests a user applies with kubectl (listed in
    /// `kustomization.yaml`); false for API-server configuration, OSCAL, reports.
    pub applyable: bool,
}

/// What `posture build` writes: every file, with `manifest.json` and `kustomization.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOutput {
    /// Sorted by path.
    pub files: Vec<OutputFile>,
}
