//! The `netcheck` binary end to end: every test here runs the built binary (or
//! `cargo run -p netcheck`, as the README says) with a hermetic environment from
//! `netcheck_test_support::cli`, against loopback servers and the emulators.
//!
//! Run one area: `cargo test -p netcheck --test cli -- lambda_runner::`.

mod catalogue;
mod cli_commands;
mod cli_loopback;
mod eks;
mod emulators;
mod lambda_runner;
mod policy_cli;
mod secrets;
