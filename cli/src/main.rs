//! The `posture` binary; everything lives in the `cli` library so it can be tested.

/// mimalloc, not the system allocator: see the workspace `Cargo.toml`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
