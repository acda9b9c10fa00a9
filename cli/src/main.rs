//! The `posture` command line.
fn main() {}
