//! The pipeline: sources in, diagnostics and build outputs out. No file system access except through World.
