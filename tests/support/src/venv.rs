//! Finds the Python venv `scripts/setup.sh` makes (emulators, boto3, wasm-tools).

use std::path::{Path, PathBuf};

/// The venv directory: `$NETCHECK_VENV`, else `${NETCHECK_CACHE:-$HOME/.cache/netcheck}/venv`
/// (the same rule as `scripts/setup.sh`).
pub fn dir() -> PathBuf {
    if let Some(venv) = std::env::var_os("NETCHECK_VENV").filter(|v| !v.is_empty()) {
        return PathBuf::from(venv);
    }
    let cache = std::env::var_os("NETCHECK_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            Path::new(&home).join(".cache/netcheck")
        });
    cache.join("venv")
}

/// A program from the venv's `bin/`; panics with the fix when it is missing.
pub fn tool(name: &str) -> PathBuf {
    let path = dir().join("bin").join(name);
    assert!(
        path.is_file(),
        "test tool `{name}` not found at {}: run scripts/setup.sh (it creates the test venv; \
         set NETCHECK_VENV to use another one)",
        path.display()
    );
    path
}

/// The venv's Python interpreter.
pub fn python() -> PathBuf {
    tool("python")
}

/// A file in `tests/support/` (the Python helpers live beside this crate's manifest).
pub fn support_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
