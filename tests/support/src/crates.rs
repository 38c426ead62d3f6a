//! Where a dependency's source lives (`cargo metadata`, offline, for this machine's
//! platform only — other platforms' crates are never downloaded): tests read suites
//! that crates ship, such as the AWS SigV4 test suite inside `aws-sigv4`.

use std::path::PathBuf;
use std::process::Command;

/// The source directory of `name`, which must be in the workspace's graph exactly once.
pub fn source_dir(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let manifest = crate::venv::repo_root().join("Cargo.toml");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .arg("--filter-platform")
        .arg(host_triple())
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .expect("running `cargo metadata`");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata JSON");
    let found: Vec<&str> = meta["packages"]
        .as_array()
        .expect("packages in cargo metadata")
        .iter()
        .filter(|p| p["name"] == name)
        .filter_map(|p| p["manifest_path"].as_str())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {name} in the dependency graph: {found:?}"
    );
    PathBuf::from(found[0])
        .parent()
        .unwrap_or_else(|| panic!("{name}'s source directory"))
        .to_path_buf()
}

/// This machine's target triple (`rustc -vV`).
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("running `rustc -vV`");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("`rustc -vV` names the host triple")
        .trim()
        .to_string()
}
