//! Fuzzes `syntax::parse` on arbitrary text (bytes that are not UTF-8 are replaced, lossily):
//! it must not panic, every diagnostic span must lie in the text on character boundaries, and
//! text that parses cleanly must format to text that parses to the same AST.
#![no_main]

use diagnostics::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (ast, diags) = syntax::parse(FileId(0), &text);
    if let Err(e) = tests::spans::check_parse(&diags, &text) {
        panic!("{e}");
    }
    if let (Some(ast), false) = (ast, diags.has_errors()) {
        let once = syntax::fmt::format(&ast, &text);
        let (again, d2) = syntax::parse(FileId(0), &once);
        assert!(d2.is_empty(), "formatted text does not parse: {once:?}");
        let again = again.expect("an AST for clean text");
        assert_eq!(
            tests::erase::ast(&ast),
            tests::erase::ast(&again),
            "formatting changed the AST: {once:?}"
        );
    }
});
