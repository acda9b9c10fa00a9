//! No input makes a renderer panic: random texts (multi-byte characters, CRLF, tabs,
//! control characters) with random spans, including spans past the end, inside characters,
//! reversed, and into unknown files.

use diagnostics::codes::{io::P9004, syntax::P0001};
use diagnostics::render::{self, Format};
use diagnostics::{Diagnostic, FileId, Severity, Sources, Span};

// The workspace's one deterministic generator (SplitMix64), so failures reproduce.
use synthetic::Rng;

const PIECES: &[&str] = &[
    "a",
    "control",
    " ",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "é",
    "😀",
    "\u{301}",
    "\u{202e}",
    "\u{1b}[31m",
    "\u{0}",
    "{",
    "}",
    "\"",
    "<",
    "&",
    "%",
    ",",
    ":",
    "::",
    "日本語",
    "\u{200d}",
    "\u{feff}",
];

fn text(rng: &mut Rng) -> String {
    let n = rng.below(40);
    (0..n)
        .map(|_| match rng.below(PIECES.len() + 2) {
            // Long lines, which the human renderer shortens to its width.
            i if i == PIECES.len() => "x".repeat(rng.below(300)),
            i if i > PIECES.len() => "日😀".repeat(rng.below(100)),
            i => PIECES[i].to_string(),
        })
        .collect()
}

fn span(rng: &mut Rng, files: u32, max: usize) -> Span {
    let file = FileId(rng.below(files as usize + 1) as u32);
    Span {
        file,
        start: rng.below(max + 8) as u32,
        end: rng.below(max + 8) as u32,
    }
}

#[test]
fn random_spans_never_panic() {
    let mut rng = Rng::new(0x5EED);
    let rounds = std::env::var("POSTURE_FUZZ_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    for _ in 0..rounds {
        let mut sources = Sources::new();
        let files = 1 + rng.below(3) as u32;
        let mut max = 0;
        for i in 0..files {
            let t = text(&mut rng);
            max = max.max(t.len());
            sources.add(format!("dir/f{i}{}.posture", text(&mut rng)), t);
        }
        let mut diags = Vec::new();
        for _ in 0..rng.below(4) + 1 {
            let code = if rng.below(2) == 0 { &P0001 } else { &P9004 };
            let mut d = Diagnostic::new(code, text(&mut rng));
            if rng.below(4) != 0 {
                d = d.at(span(&mut rng, files, max));
            }
            if rng.below(2) == 0 {
                d = d.with_label(text(&mut rng));
            }
            for _ in 0..rng.below(3) {
                d = d.with_secondary(span(&mut rng, files, max), text(&mut rng));
            }
            if rng.below(2) == 0 {
                d = d.with_help(text(&mut rng)).with_note(text(&mut rng));
            }
            if rng.below(5) == 0 {
                d = d.with_severity(Severity::Note);
            }
            diags.push(d);
        }
        let checked: Vec<FileId> = (0..files + 1).map(FileId).collect();
        let formats = [
            Format::Human { color: false },
            Format::Human { color: true },
            Format::Json,
            Format::Sarif {
                help_base_url: Some("https://x.example".into()),
            },
            Format::Junit,
            Format::Github,
        ];
        for format in &formats {
            let out = render::render(format, &diags, &sources, &checked);
            if *format == Format::Github {
                assert_eq!(
                    out.lines().count(),
                    diags.len(),
                    "one command per diagnostic:\n{out}"
                );
            }
            if *format == Format::Junit
                && let Err(e) = roxmltree::Document::parse(&out)
            {
                panic!("not well-formed XML ({e}):\n{out}");
            }
            if *format == Format::Json || matches!(format, Format::Sarif { .. }) {
                assert!(
                    serde_json::from_str::<serde_json::Value>(&out).is_ok(),
                    "{out}"
                );
            }
        }
        let _ = render::summary(&diags, true);
    }
}
