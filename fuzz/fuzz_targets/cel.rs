//! Fuzzes the admission predicate language (`cel::check`: parser, schema checker, printer) on
//! arbitrary UTF-8: it must not panic, every diagnostic span must lie inside the text, and a
//! checked expression must print to CEL that parses again.
#![no_main]

use diagnostics::{FileId, Span};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kinds in [&["pods"][..], &["services", "configmaps"][..]] {
        let env = cel::Env::new(Span::new(FileId(0), 0, text.len()), kinds.iter().copied());
        match cel::check(text, &env) {
            Ok(checked) => {
                let printed = checked.print();
                if let Err(e) = cel::parse(&printed) {
                    panic!("printed CEL does not parse: {printed}: {e:?}");
                }
            }
            Err(diags) => {
                for d in diags {
                    if let Some(s) = d.span {
                        assert!(
                            s.start <= s.end && s.end as usize <= text.len(),
                            "span {s:?} outside a text of {} bytes: {}",
                            text.len(),
                            d.message
                        );
                    }
                }
            }
        }
    }
});
