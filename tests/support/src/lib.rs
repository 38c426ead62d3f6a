//! `netcheck-test-support`: what netcheck's tests share, compiled once (a dev-dependency
//! of the host and runner crates).
//!
//! Everything here talks only to 127.0.0.1:
//! - [`emulators`]: ministack and moto servers from the test venv (`scripts/setup.sh`),
//!   started on a free port and killed (whole process group) on drop, plus IAM users
//!   with chosen policies (`tests/support/iam_setup.py`, boto3 from the venv).
//! - [`scripted`]: the one implementation of the loopback servers (tokio): HTTP/1.1,
//!   plain or TLS, playing a script of replies (answer, hang, reset, raw bytes), DNS
//!   answering chosen A/AAAA records (or silent, or dropping AAAA), test certificates.
//! - [`servers`]: blocking handles on them for tests outside a runtime: HTTP, HTTPS
//!   (self-signed or signed by a test CA), a TCP listener that never answers, DNS, and
//!   a closed port.
//! - [`fault_proxy`]: a loopback HTTP/1.1 reverse proxy in front of an emulator that
//!   names each request's AWS operation, and can hold (stall) or fail chosen operations.
//! - [`cli`]: runs the `netcheck` binary with a scrubbed environment (no real AWS
//!   config, no instance metadata) and parses its JSON output.
//! - [`browser`]: Debian's chromium, headless, loading `file://` pages (the HTML report).
//!
//! ```ignore
//! use netcheck_test_support as support;
//! let emu = support::emulators::Ministack::start();
//! let out = support::cli::Netcheck::new().creds(emu.admin()).run_config(&toml);
//! ```
//!
//! Nothing is skipped silently: a missing venv fails with "run scripts/setup.sh".

pub mod browser;
pub mod cli;
pub mod config;
pub mod crates;
pub mod emulators;
pub mod fault_proxy;
pub mod process;
pub mod scripted;
pub mod servers;
pub mod venv;

/// A scratch directory for tests that outlives one test (`target/tmp`, cargo's
/// `CARGO_TARGET_TMPDIR` for integration tests), found from the running test binary.
pub fn target_tmpdir() -> std::path::PathBuf {
    let dir = profile_dir()
        .parent()
        .expect("target/<profile> has a parent")
        .join("tmp");
    std::fs::create_dir_all(&dir).expect("creating target/tmp");
    dir
}

/// `target/<profile>`, found from the running test binary (`target/<profile>/deps/<test>-<hash>`).
fn profile_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(std::path::Path::parent)
        .expect("the test binary runs from target/<profile>/deps")
        .to_path_buf()
}
