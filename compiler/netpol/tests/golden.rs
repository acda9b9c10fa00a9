//! The 40 golden cases of np-guard netpol-analyzer v1.4.4 (`tests/golden/`, provenance in
//! `tests/golden/SOURCES.md`): each case's manifests are loaded, analysed, rendered in
//! np-guard's connlist text format, and compared line by line with np-guard's output.
//!
//! A case that cannot be reproduced must be listed in [`NOT_REPRODUCED`] with the reason; it
//! then runs as an ignored test, so it is never silently skipped.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use netpol::connlist::connlist_text;
use netpol::load::{Source, load_sources};
use netpol::{AnalysisOptions, analyze};

/// Cases that are not reproduced, with the reason (also in the crate README).
const NOT_REPRODUCED: &[(&str, &str)] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Every `.yaml`, `.yml` and `.json` file under `dir` (recursively, in path order), read into a
/// [`Source`] named by its path.
fn read_sources(dir: &Path) -> Result<Vec<Source>, String> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| format!("{}: cannot read: {e}", f.display()))?;
            Ok(Source {
                name: f.display().to_string(),
                text,
            })
        })
        .collect()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut paths = std::fs::read_dir(dir)
        .and_then(|rd| {
            rd.map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| format!("{}: cannot read: {e}", dir.display()))?;
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

fn run_case(case: &str) -> Result<(), Failed> {
    let input = root().join("tests").join(case);
    let expected_path = root()
        .join("test_outputs")
        .join("connlist")
        .join(format!("{case}_connlist_output.txt"));
    let expected = std::fs::read_to_string(&expected_path)
        .map_err(|e| format!("cannot read {}: {e}", expected_path.display()))?;
    let loaded = load_sources(&read_sources(&input)?).map_err(|errs| {
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let conn = analyze(&loaded.cluster, &AnalysisOptions::default());
    let actual = connlist_text(&conn);
    let want: Vec<&str> = expected
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let got: Vec<&str> = actual.lines().collect();
    if want == got {
        return Ok(());
    }
    let missing: Vec<&&str> = want.iter().filter(|l| !got.contains(l)).take(15).collect();
    let extra: Vec<&&str> = got.iter().filter(|l| !want.contains(l)).take(15).collect();
    Err(format!(
        "{case}: expected {} lines, got {}\nmissing (first 15):\n  {}\nextra (first 15):\n  {}",
        want.len(),
        got.len(),
        missing
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("\n  "),
        extra
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("\n  "),
    )
    .into())
}

fn main() {
    let args = Arguments::from_args();
    let mut cases: Vec<String> = std::fs::read_dir(root().join("tests"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    cases.sort();
    let mut trials = vec![Trial::test("forty_cases_present", {
        let n = cases.len();
        move || {
            if n == 40 {
                Ok(())
            } else {
                Err(format!("expected 40 cases, found {n}").into())
            }
        }
    })];
    for case in cases {
        let skipped = NOT_REPRODUCED
            .iter()
            .find(|(c, _)| *c == case)
            .map(|(_, why)| *why);
        let name = case.clone();
        let trial = Trial::test(name, move || run_case(&case));
        trials.push(match skipped {
            Some(why) => trial.with_ignored_flag(true).with_kind(why),
            None => trial,
        });
    }
    libtest_mimic::run(&args, trials).exit();
}
