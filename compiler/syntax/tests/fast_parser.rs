//! Differential tests of the fast parser (`src/fast.rs`) against the pest path (`parser.rs`),
//! the reference: wherever the fast parser gives an AST, pest must give the same AST (spans and
//! comments included) and no diagnostic; and on the repository's real postures and on
//! generated well-formed ones, the fast parser must not decline (else it is no fast path).
//!
//! The generated cases come from a seeded generator (the workspace's SplitMix64, no shrinking):
//! each failure prints the input, and the seed makes it reproducible.

use diagnostics::FileId;
use std::path::{Path, PathBuf};
use synthetic::Rng;

const F: FileId = FileId(0);

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Both parsers gave the same AST, without diagnostics.
    Same,
    /// The fast parser declined; pest had a diagnostic or no AST.
    DeclinedError,
    /// The fast parser declined although pest parsed it cleanly.
    DeclinedClean,
}

/// Panics (with the input) when the fast parser disagrees with pest.
fn compare(text: &str, what: &str) -> Outcome {
    let fast = syntax::parse_fast(F, text);
    let (reference, diags) = syntax::parse_reference(F, text);
    match fast {
        Some(fast) => {
            assert!(
                diags.is_empty(),
                "{what}: the fast parser accepted text on which pest reports {:?}\n--- text ---\n{text:?}",
                diags.iter().map(|d| d.message.clone()).collect::<Vec<_>>()
            );
            let Some(reference) = reference else {
                panic!("{what}: the fast parser accepted text pest rejects\n{text:?}");
            };
            if fast != reference {
                let (a, b) = (format!("{fast:#?}"), format!("{reference:#?}"));
                let first = a
                    .lines()
                    .zip(b.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or(0);
                let ctx = |s: &str| {
                    s.lines()
                        .skip(first.saturating_sub(12))
                        .take(16)
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                panic!(
                    "{what}: ASTs differ at line {first}\n--- fast ---\n{}\n--- pest ---\n{}\n--- text ---\n{text:?}",
                    ctx(&a),
                    ctx(&b)
                );
            }
            Outcome::Same
        }
        None if reference.is_some() && diags.is_empty() => Outcome::DeclinedClean,
        None => Outcome::DeclinedError,
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn posture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            posture_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "posture") {
            out.push(p);
        }
    }
}

/// Every file of a fuzz corpus (named by hash, no extension), if the corpus was seeded.
fn corpus_files(out: &mut Vec<PathBuf>) {
    for target in ["parse", "check"] {
        let Ok(entries) = std::fs::read_dir(root().join("fuzz/corpus").join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        out.extend(files);
    }
}

/// The real postures: the example platform and the standard library.
fn real_postures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    posture_files(&root().join("examples"), &mut files);
    posture_files(&root().join("stdlib"), &mut files);
    assert!(
        files.len() >= 10,
        "found only {} real postures",
        files.len()
    );
    files
}

#[test]
fn real_postures_take_the_fast_path_and_equal_pest() {
    for path in real_postures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let what = path.display().to_string();
        assert_eq!(compare(&text, &what), Outcome::Same, "{what}");
    }
}

#[test]
fn synthetic_postures_take_the_fast_path_and_equal_pest() {
    for workloads in [2, 40, 1000] {
        let files = synthetic::generate(&synthetic::Spec::scaled(workloads));
        assert!(files.len() >= 5);
        for f in files {
            let what = format!("synthetic {workloads}: {}", f.path);
            assert_eq!(compare(&f.text, &what), Outcome::Same, "{what}");
        }
    }
}

#[test]
fn every_posture_file_of_the_repository_agrees() {
    let mut files = Vec::new();
    posture_files(&root().join("tests"), &mut files);
    posture_files(&root().join("compiler"), &mut files);
    corpus_files(&mut files);
    assert!(files.len() >= 150, "found only {} files", files.len());
    let (mut same, mut declined) = (0, 0);
    for path in &files {
        // Corpus files may be any bytes; the parser sees text.
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        match compare(&text, &path.display().to_string()) {
            Outcome::Same => same += 1,
            Outcome::DeclinedError => declined += 1,
            // Nothing in the repository uses what the fast parser leaves to pest on purpose.
            Outcome::DeclinedClean => panic!("{}: declined, but pest parses it", path.display()),
        }
    }
    // The ui suite is mostly errors, but its valid and semantic cases parse.
    assert!(
        same >= 80,
        "only {same} of {} took the fast path",
        files.len()
    );
    assert!(
        declined >= 40,
        "only {declined} were declined: the syntax cases must be"
    );
}

#[test]
fn single_byte_mutations_of_real_postures_agree() {
    let mut files = real_postures();
    posture_files(&root().join("tests/syntax"), &mut files);
    let mut rng = Rng::new(17);
    let (mut same, mut declined) = (0usize, 0usize);
    let mut tally = |o: Outcome| match o {
        Outcome::Same => same += 1,
        _ => declined += 1,
    };
    const BYTES: &[u8] = b"{}[]\"=,\n/";
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.display().to_string();
        // Every deletion of one of the bytes.
        for (i, b) in text.bytes().enumerate() {
            if BYTES.contains(&b) {
                let mut t = text.clone();
                t.remove(i);
                tally(compare(
                    &t,
                    &format!("{name}: delete {:?} at {i}", b as char),
                ));
            }
        }
        // Insertions at every character boundary for short files, at 300 sampled ones per
        // byte otherwise.
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for &b in BYTES {
            let at: Vec<usize> = if bounds.len() <= 300 {
                bounds.clone()
            } else {
                (0..300).map(|_| *rng.pick(&bounds)).collect()
            };
            for i in at {
                let mut t = text.clone();
                t.insert(i, b as char);
                tally(compare(
                    &t,
                    &format!("{name}: insert {:?} at {i}", b as char),
                ));
            }
        }
    }
    assert!(same > 1000, "only {same} mutants took the fast path");
    assert!(declined > 1000, "only {declined} mutants were declined");
}

/// A generator of well-formed postures covering every construct of the grammar, with
/// comments, doc comments, separators, BOMs, tabs and line endings in every place the
/// grammar allows them.
struct Gen {
    rng: Rng,
    out: String,
    /// The newline this file uses (mixed ones are allowed too).
    nl: &'static str,
}

impl Gen {
    fn chance(&mut self, n: usize, d: usize) -> bool {
        self.rng.chance(n, d)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *self.rng.pick(items)
    }

    /// Blanks where only blanks may go.
    fn ws(&mut self) {
        match self.rng.below(8) {
            0 => {}
            1 => self.out.push('\t'),
            2 => self.out.push_str("  "),
            3 => self.out.push_str(" \u{FEFF}"),
            _ => self.out.push(' '),
        }
    }

    fn ws1(&mut self) {
        self.out.push(' ');
        self.ws();
    }

    fn comment(&mut self) {
        let c = self.pick(&[
            "//",
            "// a comment",
            "//x",
            "////",
            "//// banner ////",
            "// trailing blanks  \t",
            "// { [ \" ` = , not syntax",
            "// é ünïcode",
            "//\u{FEFF}",
        ]);
        self.out.push_str(c);
    }

    fn newline(&mut self) {
        let nl = if self.chance(1, 10) {
            self.pick(&["\n", "\r\n", "\r"])
        } else {
            self.nl
        };
        self.out.push_str(nl);
    }

    /// The end of a line: blanks, maybe a comment, a newline.
    fn line_end(&mut self) {
        self.ws();
        if self.chance(1, 4) {
            self.comment();
        }
        self.newline();
    }

    /// One or more line ends, maybe with blank and comment-only lines.
    fn line_ends(&mut self) {
        self.line_end();
        while self.chance(1, 4) {
            self.ws();
            if self.chance(1, 2) {
                self.comment();
            }
            self.newline();
        }
        self.indent();
    }

    fn indent(&mut self) {
        for _ in 0..self.rng.below(3) {
            let i = self.pick(&["  ", "\t", " "]);
            self.out.push_str(i);
        }
    }

    /// A separator between two elements of a block, list or map.
    fn sep(&mut self) {
        self.ws();
        if self.chance(1, 3) {
            self.out.push(',');
            if self.chance(1, 2) {
                self.line_ends();
            } else {
                self.ws();
            }
        } else {
            self.line_ends();
        }
    }

    fn name(&mut self) {
        let n = self.pick(&[
            "a",
            "web",
            "svc-000123",
            "team-00042",
            "_private",
            "AC-2",
            "x_y-z_1",
            "true",
            "false",
            "allow",
            "HTTP2",
            "a-b-c",
        ]);
        self.out.push_str(n);
    }

    fn path(&mut self) {
        self.name();
        while self.chance(1, 3) {
            self.out.push('.');
            self.name();
        }
    }

    fn string(&mut self) {
        self.out.push('"');
        for _ in 0..self.rng.below(6) {
            let piece = self.pick(&[
                "text",
                " ",
                "\\\"",
                "\\\\",
                "\\n",
                "\\t",
                "\\r",
                "\\u{1F600}",
                "\\u{41}",
                "\\u{e9}",
                "é",
                "// not a comment",
                "{[",
                "10.0.0.0/8",
                "`",
                "\t",
            ]);
            self.out.push_str(piece);
        }
        self.out.push('"');
    }

    fn raw(&mut self) {
        let r = self.pick(&[
            "``",
            "`object.spec.replicas <= 5`",
            "`multi\nline \"quoted\" // not a comment\n{ [`",
            "`has(object.metadata.labels) && x == 'y'`",
            "`\r\n`",
        ]);
        self.out.push_str(r);
    }

    fn value(&mut self, depth: usize) {
        let kinds = if depth >= 5 { 8 } else { 10 };
        match self.rng.below(kinds) {
            0 => self.string(),
            1 => self.raw(),
            2 => {
                let d = self.pick(&["2024-02-29", "2025-12-31", "1999-01-01", "2000-02-29"]);
                self.out.push_str(d);
            }
            3 => {
                let n = self.pick(&[
                    "0",
                    "42",
                    "-5",
                    "1.5",
                    "-0.25",
                    "15m",
                    "4Gi",
                    "500Mi",
                    "30d",
                    "1y",
                    "2.5k",
                    "123456789012345678",
                    "443",
                ]);
                self.out.push_str(n);
            }
            4 => {
                let b = self.pick(&["true", "false"]);
                self.out.push_str(b);
            }
            5 | 6 => {
                let w = self.pick(&[
                    "moderate",
                    "fedramp-moderate",
                    "SC-7(5)",
                    "PE-*",
                    "*",
                    "sbom:read",
                    "hipaa:164.312(a)(1)",
                    "a/b",
                    "trueish",
                    "falsey",
                    "team-00001.svc-000002",
                    "_x",
                ]);
                self.out.push_str(w);
            }
            7 => self.string(),
            8 => self.list(depth + 1),
            _ => self.map(depth + 1),
        }
    }

    /// `open`, elements separated and maybe followed by a separator, `close`.
    fn seq(&mut self, open: char, close: char, n: usize, mut elem: impl FnMut(&mut Self)) {
        self.out.push(open);
        let multiline = self.chance(1, 2);
        if multiline {
            self.line_ends();
        } else {
            self.ws();
        }
        for i in 0..n {
            if i > 0 {
                self.sep();
            }
            elem(self);
        }
        if n > 0 && self.chance(1, 3) {
            self.ws();
            self.out.push(',');
        }
        if multiline {
            self.line_ends();
        } else {
            self.ws();
        }
        self.out.push(close);
    }

    fn list(&mut self, depth: usize) {
        let n = self.rng.below(4);
        self.seq('[', ']', n, |g| g.value(depth));
    }

    fn map(&mut self, depth: usize) {
        let n = self.rng.below(4);
        self.seq('{', '}', n, |g| g.attribute(depth));
    }

    fn key(&mut self) {
        if self.chance(1, 5) {
            self.string();
        } else {
            self.name();
        }
    }

    fn attribute(&mut self, depth: usize) {
        self.key();
        self.ws();
        self.out.push('=');
        self.ws();
        self.value(depth);
    }

    fn port(&mut self) {
        match self.rng.below(4) {
            0 => {
                let p = self.pick(&["http", "dns-tcp", "grpc_1"]);
                self.out.push_str(p);
            }
            1 => {
                let first = 1 + self.rng.below(60000);
                let last = first + self.rng.below(65535 - first + 1);
                self.out.push_str(&first.to_string());
                self.ws();
                self.out.push('-');
                self.ws();
                self.out.push_str(&last.to_string());
            }
            _ => {
                let p = self.pick(&["1", "53", "443", "8080", "65535"]);
                self.out.push_str(p);
            }
        }
    }

    fn endpoint(&mut self) {
        if self.chance(1, 3) {
            self.string();
        } else {
            self.path();
        }
        if self.chance(1, 2) {
            self.ws();
            self.out.push(':');
            self.ws();
            self.port();
        }
    }

    fn docs(&mut self) {
        while self.chance(1, 4) {
            let d = self.pick(&[
                "/// A doc comment.",
                "///",
                "///no space",
                "///   indented  ",
                "/// // with a comment inside",
                "/// { unbalanced [",
            ]);
            self.out.push_str(d);
            self.line_ends();
        }
    }

    fn item(&mut self, depth: usize) {
        self.docs();
        self.name();
        let head = self.rng.below(4);
        match head {
            0 => {}
            1 => {
                self.ws1();
                self.path();
            }
            2 => {
                self.ws();
                self.string();
            }
            _ => {
                self.ws1();
                self.endpoint();
                self.ws();
                self.out.push_str("->");
                self.ws();
                self.endpoint();
            }
        }
        // `keyword = value` without a head is an attribute.
        if head != 0 && self.chance(1, 4) {
            self.ws();
            self.out.push('=');
            self.ws();
            self.value(depth);
        }
        if self.chance(1, 2) && depth < 6 {
            self.ws();
            let n = self.rng.below(5);
            self.seq('{', '}', n, |g| g.entry(depth + 1));
        }
    }

    fn entry(&mut self, depth: usize) {
        if self.chance(1, 2) {
            self.attribute(depth);
        } else {
            self.item(depth);
        }
    }

    fn file(&mut self) {
        if self.chance(1, 5) {
            self.out.push('\u{FEFF}');
        }
        if self.chance(1, 2) {
            self.line_ends();
        }
        let n = self.rng.below(5);
        for i in 0..n {
            if i > 0 {
                self.sep();
            }
            self.item(0);
        }
        if n > 0 && self.chance(1, 3) {
            self.ws();
            self.out.push(',');
        }
        if self.chance(1, 2) {
            self.line_ends();
        }
    }
}

fn generate(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let nl = *rng.pick(&["\n", "\n", "\r\n"]);
    let mut g = Gen {
        rng,
        out: String::new(),
        nl,
    };
    g.file();
    g.out
}

#[test]
fn generated_postures_take_the_fast_path_and_equal_pest() {
    let mut clean = 0;
    for seed in 0..3000 {
        let text = generate(seed);
        let outcome = compare(&text, &format!("seed {seed}"));
        assert_ne!(
            outcome,
            Outcome::DeclinedClean,
            "seed {seed}: the fast parser declined clean text\n{text:?}"
        );
        if outcome == Outcome::Same {
            clean += 1;
        }
    }
    // The generator writes well-formed postures: nearly all must parse cleanly.
    assert!(
        clean >= 2900,
        "only {clean} of 3000 generated postures parsed"
    );
}

#[test]
fn mutations_of_generated_postures_agree() {
    let mut rng = Rng::new(1717);
    let mut same = 0;
    for seed in 0..400 {
        let text = generate(10_000 + seed);
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for _ in 0..10 {
            let mut t = text.clone();
            let i = *rng.pick(&bounds);
            if rng.chance(1, 2) && i < t.len() {
                t.remove(i);
            } else {
                t.insert(
                    i,
                    *rng.pick(&['{', '}', '[', ']', '"', '=', ',', '\n', '/', '`', ' ']),
                );
            }
            if compare(&t, &format!("seed {seed} mutated at {i}")) == Outcome::Same {
                same += 1;
            }
        }
    }
    assert!(same > 200, "only {same} mutants took the fast path");
}

#[test]
fn nesting_past_the_limit_is_declined_and_reported_by_the_reference() {
    let deep = format!("system s {{ a = {}{} }}", "[".repeat(200), "]".repeat(200));
    assert_eq!(compare(&deep, "deep"), Outcome::DeclinedError);
    let (_, diags) = syntax::parse(F, &deep);
    assert_eq!(diags.iter().next().map(|d| d.code.id), Some("P0002"));
    let ok = format!(
        "system s {{ a = {}{} }}",
        "[".repeat(syntax::MAX_DEPTH - 1),
        "]".repeat(syntax::MAX_DEPTH - 1)
    );
    assert_eq!(compare(&ok, "at the limit"), Outcome::Same);
    // The fast parser runs without the depth pre-pass: its own count must be the pre-pass's,
    // whatever mix of lists, maps and bodies opens the levels, and brackets in strings,
    // backtick expressions and comments count for neither.
    for n in [
        syntax::MAX_DEPTH - 2,
        syntax::MAX_DEPTH - 1,
        syntax::MAX_DEPTH,
    ] {
        let mut open = String::new();
        let mut close = String::new();
        for i in 0..n {
            if i % 2 == 0 {
                open.push('[');
                close.insert(0, ']');
            } else {
                open.push_str("{ k = ");
                close.insert_str(0, " }");
            }
        }
        let text = format!(
            "system s {{\n  // [[[[ {{{{\n  a = \"[[{{\"\n  b = `[[[{{{{`\n  c = {open}\"x\"{close}\n}}\n"
        );
        // The body of `system` opens one level more than `c`'s value.
        let want = if n + 1 > syntax::MAX_DEPTH {
            Outcome::DeclinedError
        } else {
            Outcome::Same
        };
        assert_eq!(compare(&text, &format!("mixed nesting {n}")), want);
        let (ast, diags) = syntax::parse(F, &text);
        assert_eq!(ast.is_some(), want == Outcome::Same, "mixed nesting {n}");
        if want == Outcome::DeclinedError {
            assert_eq!(diags.iter().next().map(|d| d.code.id), Some("P0002"));
        }
    }
}

#[test]
fn literals_the_reference_reports_are_declined() {
    // Each parses under the grammar, and lowering reports the code: the fast parser must leave
    // it to pest, so the diagnostic is today's.
    let cases = [
        (r#"system s { a = "bad \q escape" }"#, "P0003"),
        (r#"system s { a = "\u{D800}" }"#, "P0003"),
        ("system s { a = 2023-02-29 }", "P0004"),
        ("system s { a = 2024-13-01 }", "P0004"),
        ("flow a:0 -> b", "P0005"),
        ("flow a:65536 -> b", "P0005"),
        ("flow a:90-80 -> b", "P0005"),
        ("flow a:99999999999 -> b", "P0005"),
        ("system s { a = 1234567890123456789 }", "P0005"),
        ("system s { a = 15min }", "P0006"),
        ("a = 1", "P0007"),
        ("system s {\n  /// doc\n  a = 1\n}", "P0012"),
    ];
    for (text, code) in cases {
        // (The fast parser also declines some text pest accepts, e.g. `\u{+41}`, which
        // `u32::from_str_radix` reads as `A`: the reference handles it.)
        assert_eq!(compare(text, text), Outcome::DeclinedError, "{text}");
        let (_, diags) = syntax::parse(F, text);
        assert!(
            diags.iter().any(|d| d.code.id == code),
            "{text}: expected {code}, got {:?}",
            diags.iter().map(|d| d.code.id).collect::<Vec<_>>()
        );
    }
}
