//! The crate layering the architecture promises, read from `cargo tree` (normal and
//! build dependencies, as the product is built; dev-dependencies are the tests' own):
//! the in-function Lambda server never links the command line, and wasmtime is reached
//! only through the plugin host.

use std::process::Command;

fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let root = netcheck_test_support::venv::repo_root();
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
        ])
        .args(args)
        .current_dir(&root)
        .output()
        .expect("running `cargo tree`");
    assert!(
        out.status.success(),
        "cargo tree {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The package names in a `cargo tree --prefix none` listing.
fn packages(tree: &str) -> Vec<String> {
    let mut names: Vec<String> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_lambda_server_does_not_depend_on_the_command_line() {
    let tree = packages(&cargo_tree(&["-p", "netcheck-lambda-server"]));
    assert!(tree.contains(&"netcheck-engine".to_string()), "{tree:?}");
    for forbidden in [
        "netcheck",
        "netcheck-report",
        "netcheck-runner-lambda",
        "indicatif",
        // The command line's argument parser: config derives `--output` values only
        // with its `clap` feature, which the CLI alone turns on.
        "clap",
    ] {
        assert!(
            !tree.contains(&forbidden.to_string()),
            "the Lambda server's crate graph holds `{forbidden}`: {tree:?}"
        );
    }
}

#[test]
fn only_the_plugin_host_depends_on_wasmtime() {
    // Who depends on wasmtime directly, among netcheck's own crates.
    let tree = cargo_tree(&["--workspace", "--invert", "wasmtime", "--depth", "1"]);
    let ours: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| name.starts_with("netcheck"))
        .collect();
    assert!(
        !ours.is_empty(),
        "no netcheck crate depends on wasmtime?\n{tree}"
    );
    assert!(
        ours.iter().all(|n| *n == "netcheck-plugin-host"),
        "wasmtime is a direct dependency of {ours:?}"
    );
}
