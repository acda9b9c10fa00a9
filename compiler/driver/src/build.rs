//! The whole pipeline in one call: check, emit (every target of [`crate::targets::TARGETS`]),
//! verify (every target's proofs), and what the graph, the output directory and the commands
//! need from it. The CLI's commands (`build`, `coverage`, `explain`, `graph`, `reach`) render
//! what [`build`] returns; none of them runs a phase itself.

use crate::targets::{self, TargetOptions};
use crate::{Checked, OutputFile, World};
use diagnostics::{Diagnostic, Sources};
use std::path::Path;

/// One build: the checked posture, every target's artifacts, every proof's result, and the
/// checks the control graph links to the artifacts they verified.
#[derive(Debug)]
pub struct Build {
    /// The check's result; its syntax trees are freed once checked (every
    /// `checked.loaded.files[..].ast` is `None`): nothing after the check reads them.
    pub checked: Checked,
    /// Every target's artifacts, in the targets' order; empty when the posture did not check.
    pub artifacts: Vec<emit::Artifact>,
    /// Every proof that ran over the artifacts, with its id, in the targets' order.
    pub proofs: Vec<emit::Proof>,
    /// The proofs that hold over at least one artifact, as the control graph's checks.
    pub checks: Vec<graph::Check>,
    /// The reachability proof's analysis, kept by [`build_for_reach`] so [`Build::reach`]
    /// does not read the NetworkPolicies back a second time; `None` otherwise (a build does
    /// not hold it while it writes).
    pub reachability: Option<targets::reach::Analysis>,
}

/// Loads, checks, emits and verifies the posture at `path`. `Err` is a usage problem (the path
/// itself cannot be read): the CLI exits with 2.
pub fn build(
    world: &dyn World,
    path: &Path,
    options: &crate::Options,
    target_options: &TargetOptions,
) -> Result<Build, Diagnostic> {
    let checked = crate::check(world, path, options)?;
    Ok(build_checked(checked, target_options))
}

/// [`build`] for `posture reach`: the same build, keeping the reachability proof's analysis
/// for [`Build::reach`] (the proof and the matrix come from one reading of the policies).
pub fn build_for_reach(
    world: &dyn World,
    path: &Path,
    options: &crate::Options,
    target_options: &TargetOptions,
) -> Result<Build, Diagnostic> {
    let checked = crate::check(world, path, options)?;
    Ok(build_checked_with(checked, target_options, true))
}

/// Emits and verifies a checked posture (nothing when it has errors).
pub fn build_checked(checked: Checked, options: &TargetOptions) -> Build {
    build_checked_with(checked, options, false)
}

fn build_checked_with(mut checked: Checked, options: &TargetOptions, keep: bool) -> Build {
    // The syntax trees are not read after the check: freed before the targets allocate, so
    // that their memory is reused rather than new pages faulted in (a tenth of the peak of a
    // large build).
    for f in &mut checked.loaded.files {
        f.ast = None;
    }
    let (artifacts, proofs, reachability) = emit_and_verify(&checked, options, keep);
    let checks = checks_of(&proofs);
    Build {
        checked,
        artifacts,
        proofs,
        checks,
        reachability,
    }
}

/// The control graph's checks: each proof that holds and verifies an artifact.
pub fn checks_of(proofs: &[emit::Proof]) -> Vec<graph::Check> {
    proofs
        .iter()
        .filter(|p| p.holds() && !p.verifies.is_empty())
        .map(|p| graph::Check {
            id: graph::CheckId(p.id.to_string()),
            title: p.title.to_string(),
            verifies: p.verifies.clone(),
        })
        .collect()
}

impl Build {
    /// The connectivity the build's NetworkPolicies allow, narrowed by `q` (`posture reach`):
    /// the analysis the reachability proof runs, over the same artifacts. `None` when the
    /// posture did not check; `Err` holds P4008 when the policies cannot be read back.
    pub fn reach(
        &self,
        q: &targets::reach::Query,
    ) -> Option<Result<targets::reach::Reach, Vec<Diagnostic>>> {
        let p = self.posture()?;
        Some(match &self.reachability {
            Some(analysis) => targets::reach::reach_analysis(p, analysis, q),
            None => targets::reach::reach_artifacts(p, &self.artifacts, q),
        })
    }
}

/// Every target's artifacts for a checked posture and every proof over them; nothing when
/// the posture has errors.
/// With `keep`, also the reachability proof's analysis.
pub(crate) fn emit_and_verify(
    checked: &Checked,
    options: &TargetOptions,
    keep: bool,
) -> (
    Vec<emit::Artifact>,
    Vec<emit::Proof>,
    Option<targets::reach::Analysis>,
) {
    match checked
        .posture
        .as_ref()
        .filter(|_| !checked.diagnostics.has_errors())
    {
        Some(p) => {
            let artifacts = targets::artifacts(p, options);
            if keep {
                let (proofs, analysis) = targets::proofs_keeping(p, options, &artifacts);
                (artifacts, proofs, Some(analysis))
            } else {
                let proofs = targets::proofs(p, options, &artifacts);
                (artifacts, proofs, None)
            }
        }
        None => (Vec::new(), Vec::new(), None),
    }
}

impl Build {
    /// The typed posture, when it checked without errors.
    pub fn posture(&self) -> Option<&ir::Posture> {
        self.checked
            .posture
            .as_ref()
            .filter(|_| !self.checked.diagnostics.has_errors())
    }

    /// The diagnostics of the proofs, in the targets' order (an error means the output must
    /// not be written).
    pub fn proof_diagnostics(&self) -> Vec<Diagnostic> {
        self.proofs
            .iter()
            .flat_map(|p| p.diagnostics.iter().cloned())
            .collect()
    }

    /// Every diagnostic of the build: the check's (sorted), then the proofs'.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self.checked.diagnostics.iter().cloned().collect();
        out.extend(self.proof_diagnostics());
        out
    }

    /// True when the check or a proof reported an error: nothing may be written.
    pub fn has_errors(&self) -> bool {
        self.checked.diagnostics.has_errors() || self.proofs.iter().any(|p| !p.holds())
    }

    /// The output directory's files: every artifact with its origins as `item (file:line)`,
    /// then `kustomization.yaml` and `manifest.json` ([`crate::output::assemble`]).
    pub fn output(&self) -> crate::BuildOutput {
        let not_emitted = self
            .posture()
            .map(|p| targets::not_emitted(p).0)
            .unwrap_or_default();
        output_of(
            &self.artifacts,
            &self.checked.loaded.sources,
            not_emitted,
            self.posture().map(|p| p.system.name.to_string()),
        )
    }

    /// The control graph over `catalog`, with the frameworks of `extra` besides the system's,
    /// and its warnings (P2005, P2006). `sources` give the items' `file:line` (the CLI passes
    /// them with display paths). `None` when the posture did not check.
    pub fn graph<'a>(
        &'a self,
        catalog: &'a controls::Catalog,
        sources: &'a Sources,
        extra: &'a [controls::Framework],
    ) -> Option<(graph::ControlGraph<'a>, Vec<Diagnostic>)> {
        let posture = self.posture()?;
        Some(graph::build(&graph::Input {
            posture,
            artifacts: &self.artifacts,
            checks: &self.checks,
            sources,
            catalog,
            frameworks: extra,
        }))
    }
}

/// What the auditor package needs that the posture does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceOptions {
    /// The documents' `published`/`last-modified` and the results' times: `--timestamp`,
    /// `SOURCE_DATE_EPOCH`, or the build's "today" at midnight UTC (the CLI decides).
    pub timestamp: evidence::Timestamp,
    /// The commit of the posture's sources, when known (`--source-commit`).
    pub commit: Option<String>,
}

impl Build {
    /// The auditor package (`oscal/`, `report/`) of a build that checked and whose proofs
    /// hold: the control graph over the build's artifacts and the posture's own sources (paths
    /// relative to its root, so the bytes do not depend on where it was built from), then
    /// [`evidence::artifacts`]. Empty when the posture did not check.
    pub fn evidence(
        &self,
        catalog: &controls::Catalog,
        options: &EvidenceOptions,
    ) -> Vec<emit::Artifact> {
        self.evidence_with(catalog, options, None)
    }

    /// [`Build::evidence`], with the artifacts' SHA-256 when the caller has them.
    fn evidence_with(
        &self,
        catalog: &controls::Catalog,
        options: &EvidenceOptions,
        digests: Option<&[String]>,
    ) -> Vec<emit::Artifact> {
        let Some(posture) = self.posture() else {
            return Vec::new();
        };
        let sources = &self.checked.loaded.sources;
        let (graph, _warnings) = graph::build(&graph::Input {
            posture,
            artifacts: &self.artifacts,
            checks: &self.checks,
            sources,
            catalog,
            frameworks: &[],
        });
        let provenance = evidence::Provenance {
            timestamp: options.timestamp,
            version: env!("CARGO_PKG_VERSION").to_string(),
            sources_sha256: evidence::sources_digest(sources),
            commit: options.commit.clone(),
        };
        evidence::artifacts(&evidence::Input {
            posture,
            graph: &graph,
            artifacts: &self.artifacts,
            proofs: &self.proofs,
            provenance: &provenance,
            digests,
        })
    }

    /// The output directory's files with the auditor package: every target's artifacts,
    /// [`Build::evidence`], `kustomization.yaml` and `manifest.json` (which lists `oscal/` and
    /// `report/` like every other file). The artifacts' bytes are copied into the files;
    /// [`Build::take_output_with_evidence`] moves them instead.
    pub fn output_with_evidence(
        &self,
        catalog: &controls::Catalog,
        options: &EvidenceOptions,
    ) -> crate::BuildOutput {
        let (digests, evidence) = self.digests_and_evidence(catalog, options);
        let sources = &self.checked.loaded.sources;
        let files = self.artifacts.iter().map(|a| output_file(a, sources));
        self.assemble(files, digests, evidence)
    }

    /// [`Build::output_with_evidence`] for a caller done with the artifacts (`posture
    /// build`): their bytes are moved into the output files, not copied (at 10,000 workloads
    /// ~45 MB and its page faults), and the build's `artifacts` are empty afterwards.
    pub fn take_output_with_evidence(
        &mut self,
        catalog: &controls::Catalog,
        options: &EvidenceOptions,
    ) -> crate::BuildOutput {
        let (digests, evidence) = self.digests_and_evidence(catalog, options);
        let artifacts = std::mem::take(&mut self.artifacts);
        let sources = &self.checked.loaded.sources;
        let files = artifacts.into_iter().map(|a| moved_output_file(a, sources));
        self.assemble(files, digests, evidence)
    }

    /// Each artifact's SHA-256 (hashed once, for the OSCAL back matter and the manifest) and
    /// the evidence made with them.
    fn digests_and_evidence(
        &self,
        catalog: &controls::Catalog,
        options: &EvidenceOptions,
    ) -> (Vec<String>, Vec<emit::Artifact>) {
        let digests: Vec<String> = self
            .artifacts
            .iter()
            .map(|a| evidence::sha256_hex(&a.bytes))
            .collect();
        let evidence = self.evidence_with(catalog, options, Some(&digests));
        (digests, evidence)
    }

    /// The output of the targets' `files` (in the artifacts' order, with their `digests`)
    /// followed by the `evidence`, moved in.
    fn assemble(
        &self,
        files: impl Iterator<Item = OutputFile>,
        digests: Vec<String>,
        evidence: Vec<emit::Artifact>,
    ) -> crate::BuildOutput {
        let not_emitted = self
            .posture()
            .map(|p| targets::not_emitted(p).0)
            .unwrap_or_default();
        let sources = &self.checked.loaded.sources;
        let files: Vec<OutputFile> = files
            .chain(evidence.into_iter().map(|a| moved_output_file(a, sources)))
            .collect();
        let digests: Vec<Option<String>> = digests.into_iter().map(Some).collect();
        crate::output::assemble_digested(
            files,
            digests,
            not_emitted,
            self.posture().map(|p| p.system.name.to_string()),
        )
    }
}

/// The output directory's files for `artifacts`.
pub(crate) fn output_of(
    artifacts: &[emit::Artifact],
    sources: &Sources,
    not_emitted: Vec<targets::NotEmitted>,
    system: Option<String>,
) -> crate::BuildOutput {
    let files: Vec<OutputFile> = artifacts.iter().map(|a| output_file(a, sources)).collect();
    crate::output::assemble_for(files, not_emitted, system)
}

/// An artifact as an output file, its origins as `item (file:line)`, sorted.
fn output_file(a: &emit::Artifact, sources: &Sources) -> OutputFile {
    OutputFile {
        bytes: a.bytes.clone(),
        ..output_file_meta(a, sources)
    }
}

/// [`output_file`] with the artifact's bytes moved in.
fn moved_output_file(a: emit::Artifact, sources: &Sources) -> OutputFile {
    let mut f = output_file_meta(&a, sources);
    f.bytes = a.bytes;
    f
}

/// [`output_file`] without the bytes (empty), for a caller that moves them in.
fn output_file_meta(a: &emit::Artifact, sources: &Sources) -> OutputFile {
    let mut origins: Vec<String> = a
        .origins
        .iter()
        .map(|o| {
            // `item (file:line)`, as `format!` would write it, in one allocation.
            let (block, name) = (o.item.block.as_str(), o.item.name.as_str());
            let file = sources.get(o.span.file);
            let mut s = String::with_capacity(
                block.len() + name.len() + file.map_or(0, |f| f.path.len() + 14),
            );
            s.push_str(block);
            if !name.is_empty() {
                s.push('.');
                s.push_str(name);
            }
            if let Some(f) = file {
                s.push_str(" (");
                s.push_str(&f.path);
                s.push(':');
                ir::push_decimal(&mut s, f.line(o.span.start as usize) as u64);
                s.push(')');
            }
            s
        })
        .collect();
    origins.sort();
    origins.dedup();
    OutputFile {
        path: a.path.clone(),
        bytes: Vec::new(),
        sources: origins,
        applyable: a.applyable,
    }
}
