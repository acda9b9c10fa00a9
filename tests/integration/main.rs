//! The one integration test binary. Each module contributes data-driven trials.
fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let trials: Vec<libtest_mimic::Trial> = Vec::new();
    libtest_mimic::run(&args, trials).exit();
}
