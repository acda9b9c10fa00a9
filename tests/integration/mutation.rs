//! The seeded mutation test: mutants of every valid input (characters and tokens deleted,
//! duplicated, swapped, inserted; long runs of `{`; cut short; a byte that is not UTF-8) go
//! through `syntax::parse` and `driver::check`. None may panic, and every diagnostic span
//! must lie inside its file on character boundaries. Mutants that still parse must also
//! format to text that parses to the same AST.
//!
//! Deterministic: mutant `i` uses input `i % inputs` and the PRNG seeded with `SEED + i`, so
//! a failure names the mutant number and the seed, and prints the mutant. No clock is read.

use crate::Input;
use diagnostics::FileId;
use driver::MemWorld;
use libtest_mimic::{Failed, Trial};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use synthetic::Rng;

/// The base seed (ASCII "posture").
const SEED: u64 = 0x0070_6f73_7475_7265;
/// How many mutants in all.
pub(crate) const MUTANTS: usize = 12_000;
/// Trials the mutants are split into, so they run on every core.
const CHUNKS: usize = 8;

/// Tokens worth inserting: the punctuation of the grammar, comment and doc starters,
/// literals at their limits, and characters that are more than one byte long.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "`",
    "=",
    "->",
    ":",
    ",",
    "///",
    "//",
    "\n",
    "\r\n",
    "\t",
    ".",
    "-",
    "*",
    "\\",
    "\\u{",
    "\\u{110000}",
    "\"\\q\"",
    "2027-02-30",
    "2028-02-29",
    "70000",
    "0",
    "65535-1",
    "15m",
    "4Qi",
    "-1",
    "1.5",
    "99999999999999999999",
    "true",
    "allow",
    "import",
    "use",
    "namespace",
    "network",
    "identity",
    "realm",
    "role",
    "list",
    "macro",
    "bundle",
    "param",
    "std.x",
    "\"./a.posture\"",
    "a->b",
    "é",
    "🦀",
    "\u{feff}",
    "\u{202e}",
    "\0",
];

pub(crate) fn trials(inputs: &[Input]) -> Vec<Trial> {
    let texts: Arc<Vec<(String, String)>> = Arc::new(
        inputs
            .iter()
            .filter_map(|i| Some((i.path.clone(), i.text.as_ref().ok()?.clone())))
            .collect(),
    );
    let mut trials: Vec<Trial> = (0..CHUNKS)
        .map(|chunk| {
            let texts = Arc::clone(&texts);
            Trial::test(format!("mutation::chunk-{chunk}-of-{CHUNKS}"), move || {
                run_chunk(&texts, chunk)
            })
        })
        .collect();
    trials.push(Trial::test(
        "mutation::mutants-reach-every-path",
        move || mix(&texts),
    ));
    trials
}

/// The mutator is only useful if its mutants reach every outcome: clean parses (which then
/// go through the formatter and the checker), parse errors, shape and literal errors, and
/// text that is not UTF-8. This trial fails if a change to the mutator or the inputs makes
/// one of them rare.
fn mix(texts: &[(String, String)]) -> Result<(), Failed> {
    let (mut same, mut not_utf8, mut clean, mut no_ast, mut errors_with_ast) = (0, 0, 0, 0, 0);
    let n = 2_000;
    for i in 0..n {
        let (_, text) = &texts[i % texts.len()];
        let mutant = mutate(text.as_bytes(), SEED.wrapping_add(i as u64));
        if mutant == text.as_bytes() {
            same += 1;
        }
        match std::str::from_utf8(&mutant) {
            Err(_) => not_utf8 += 1,
            Ok(m) => match syntax::parse(FileId(0), m) {
                (None, _) => no_ast += 1,
                (Some(_), d) if d.has_errors() => errors_with_ast += 1,
                (Some(_), _) => clean += 1,
            },
        }
    }
    let stats = format!(
        "of {n} mutants: {same} unchanged, {not_utf8} not UTF-8, {no_ast} not in the grammar, \
         {errors_with_ast} with literal or shape errors, {clean} clean"
    );
    if std::env::var_os("MUTATION_STATS").is_some() {
        eprintln!("mutation: {stats}");
    }
    let pct = |k: usize| k * 100 / n;
    if pct(same) > 5
        || pct(not_utf8) < 1
        || pct(no_ast) < 20
        || pct(errors_with_ast) < 2
        || pct(clean) < 5
    {
        return Err(format!("the mutants are lopsided: {stats}").into());
    }
    Ok(())
}

fn run_chunk(texts: &[(String, String)], chunk: usize) -> Result<(), Failed> {
    if texts.is_empty() {
        return Err("no valid inputs to mutate".into());
    }
    let per = MUTANTS.div_ceil(CHUNKS);
    let mut failures = Vec::new();
    for i in chunk * per..((chunk + 1) * per).min(MUTANTS) {
        let (path, text) = &texts[i % texts.len()];
        let seed = SEED.wrapping_add(i as u64);
        let mutant = mutate(text.as_bytes(), seed);
        if let Err(problem) = check_mutant(&mutant) {
            failures.push(format!(
                "mutant {i} of `{path}` (seed {seed:#x}): {problem}\n  mutant: {:?}",
                String::from_utf8_lossy(&mutant)
            ));
            if failures.len() >= 5 {
                break;
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n\n").into())
    }
}

/// Applies one to four random mutations to `text`.
pub(crate) fn mutate(text: &[u8], seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = text.to_vec();
    let ops = 1 + rng.below(4);
    for _ in 0..ops {
        let at = boundary(&out, rng.below(out.len() + 1));
        match rng.below(9) {
            // Delete a few characters.
            0 => {
                let end = boundary(&out, (at + 1 + rng.below(8)).min(out.len()));
                out.drain(at..end.max(at));
            }
            // Duplicate a stretch.
            1 => {
                let end = boundary(&out, (at + 1 + rng.below(24)).min(out.len()));
                let piece = out[at..end.max(at)].to_vec();
                out.splice(at..at, piece);
            }
            // Swap two adjacent stretches.
            2 => {
                let mid = boundary(&out, (at + 1 + rng.below(6)).min(out.len()));
                let end = boundary(&out, (mid + 1 + rng.below(6)).min(out.len()));
                if at < mid && mid < end {
                    let mut swapped = out[mid..end].to_vec();
                    swapped.extend_from_slice(&out[at..mid]);
                    out.splice(at..end, swapped);
                }
            }
            // Insert an interesting token (most often).
            3..=5 => {
                let t = rng.pick(TOKENS);
                out.splice(at..at, t.bytes());
            }
            // A long run of openers.
            6 => {
                let opener = if rng.chance(1, 2) { b'{' } else { b'[' };
                let n = 100 + rng.below(200);
                out.splice(at..at, std::iter::repeat_n(opener, n));
            }
            // Cut the text short.
            7 => out.truncate(at),
            // Rarely: a byte that is not UTF-8 (only the driver sees these).
            _ => {
                if rng.chance(1, 4) {
                    out.insert(at, 0xFF);
                } else {
                    let t = rng.pick(TOKENS);
                    out.splice(at..at, t.bytes());
                }
            }
        }
    }
    out
}

/// The nearest character boundary at or before `i`, for byte strings that are UTF-8 up to
/// there (a stray byte counts as a boundary).
fn boundary(bytes: &[u8], mut i: usize) -> usize {
    i = i.min(bytes.len());
    while i > 0 && i < bytes.len() && (bytes[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

/// Runs one mutant through the parser, the formatter and the whole front end.
pub(crate) fn check_mutant(bytes: &[u8]) -> Result<(), String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let parsed = catch_unwind(|| syntax::parse(FileId(0), text))
            .map_err(|p| format!("syntax::parse panicked: {}", panic_text(&p)))?;
        tests::spans::check_parse(&parsed.1, text).map_err(|e| format!("parse: {e}"))?;
        if let (Some(ast), false) = (&parsed.0, parsed.1.has_errors()) {
            formatted_keeps_ast(ast, text)?;
        }
    }
    let mut world = MemWorld::new();
    world.add("m.posture", bytes.to_vec());
    let checked = catch_unwind(|| driver::check(&world, Path::new("m.posture"), &tests::options()))
        .map_err(|p| format!("driver::check panicked: {}", panic_text(&p)))?;
    if let Ok(checked) = checked {
        let sources = &checked.loaded.sources;
        tests::spans::check_run(&checked.diagnostics, sources)
            .map_err(|e| format!("check: {e}"))?;
        let diags: Vec<_> = checked.diagnostics.iter().cloned().collect();
        catch_unwind(AssertUnwindSafe(|| {
            diagnostics::render::human(&diags, sources, false)
        }))
        .map_err(|p| format!("rendering panicked: {}", panic_text(&p)))?;
    }
    Ok(())
}

/// A mutant that parses must format to text that parses to the same AST.
fn formatted_keeps_ast(ast: &syntax::ast::File, text: &str) -> Result<(), String> {
    let once = catch_unwind(|| syntax::fmt::format(ast, text))
        .map_err(|p| format!("fmt panicked: {}", panic_text(&p)))?;
    let (ast2, diags) = syntax::parse(FileId(0), &once);
    if let Some(d) = diags.iter().next() {
        return Err(format!(
            "the formatted mutant does not parse: [{}] {}\n  formatted: {once:?}",
            d.code.id, d.message
        ));
    }
    let same = ast2.is_some_and(|a| tests::erase::ast(&a) == tests::erase::ast(ast));
    if !same {
        return Err(format!(
            "formatting the mutant changed its AST\n  formatted: {once:?}"
        ));
    }
    Ok(())
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".to_string())
}
