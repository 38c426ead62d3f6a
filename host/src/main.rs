//! The `netcheck` binary: everything lives in the library; see `netcheck::cli`.
//!
//! Inside Lambda (the `lambda` runner deploys this binary as a function's `bootstrap`,
//! which Lambda starts without arguments) it serves invocations instead.

fn main() -> std::process::ExitCode {
    if netcheck::lambda::in_lambda() && std::env::args_os().len() <= 1 {
        return netcheck::lambda::serve();
    }
    netcheck::cli::main()
}
