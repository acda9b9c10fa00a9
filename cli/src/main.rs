//! The `posture` binary; everything lives in the `cli` library so it can be tested.

fn main() -> std::process::ExitCode {
    cli::main()
}
