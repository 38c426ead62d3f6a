//! The `netcheck` binary: everything lives in the library; see `netcheck::cli`.

fn main() -> std::process::ExitCode {
    netcheck::cli::main()
}
