//! Shared support for netcheck's end-to-end tests (`mod support;` in each test file).
//!
//! Everything here talks only to 127.0.0.1:
//! - [`emulators`]: ministack and moto servers from the test venv (`scripts/setup.sh`),
//!   started on a free port and killed (whole process group) on drop, plus IAM users
//!   with chosen policies (`tests/support/iam_setup.py`, boto3 from the venv).
//! - [`servers`]: loopback HTTP, HTTPS (self-signed or signed by a test CA), a TCP
//!   listener that never answers, and a closed port.
//! - [`dns`]: a UDP DNS server answering chosen names with chosen A/AAAA records.
//! - [`fault_proxy`]: a loopback HTTP/1.1 reverse proxy in front of an emulator that
//!   names each request's AWS operation, and can hold (stall) or fail chosen operations.
//! - [`cli`]: runs the `netcheck` binary with a scrubbed environment (no real AWS
//!   config, no instance metadata) and parses its JSON output.
//! - [`browser`]: Debian's chromium, headless, loading `file://` pages (the HTML report).
//!
//! ```ignore
//! mod support;
//! let emu = support::emulators::Ministack::start();
//! let out = support::cli::Netcheck::new().creds(emu.admin()).run_config(&toml);
//! ```
//!
//! Nothing is skipped silently: a missing venv fails with "run scripts/setup.sh".

// Each test binary uses a different part of this module.
#![allow(dead_code)]

pub mod browser;
pub mod cli;
pub mod dns;
pub mod emulators;
pub mod fault_proxy;
pub mod process;
pub mod servers;
pub mod venv;
