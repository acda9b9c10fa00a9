//! Fuzzes the whole front end (`driver::check` over an in-memory world) on arbitrary bytes,
//! UTF-8 or not: it must not panic, every diagnostic span must lie in its file on character
//! boundaries, and rendering the diagnostics must not panic.
#![no_main]

use driver::MemWorld;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let mut world = MemWorld::new();
    world.add("fuzz.posture", data.to_vec());
    if let Ok(checked) = driver::check(&world, Path::new("fuzz.posture"), &tests::options()) {
        let sources = &checked.loaded.sources;
        if let Err(e) = tests::spans::check_run(&checked.diagnostics, sources) {
            panic!("{e}");
        }
        let diags: Vec<_> = checked.diagnostics.iter().cloned().collect();
        let _ = diagnostics::render::human(&diags, sources, false);
    }
});
