//! netcheck's library crates driven directly, where the command line cannot reach:
//! configuration layers, plan routing, the policy, SigV4 (the AWS signing test suite
//! shipped in `aws-sigv4`) and clock skew against ministack.
//!
//! Run one area: `cargo test -p netcheck --test library -- policy::`.

mod clock_skew;
mod config;
mod layering;
mod plan_routing;
mod policy;
mod sigv4_suite;
