//! Debian's chromium, headless, for the HTML report: load a file, read the DOM after its
//! scripts ran, collect console messages, take a screenshot. Installed by
//! `scripts/setup.sh`. Only `file://` pages are loaded; the browser's own network
//! features (updates, sync, metrics) are switched off.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What one headless load of a page printed.
pub struct Page {
    /// The DOM after load (`--dump-dom`).
    pub dom: String,
    /// Console messages and JavaScript errors the page caused (from chromium's log).
    pub console: Vec<String>,
}

fn chromium() -> PathBuf {
    which("chromium").unwrap_or_else(|| {
        panic!("no chromium on PATH: run scripts/setup.sh (it installs Debian's chromium)")
    })
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn base_command(profile: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--metrics-recording-only",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .env("HOME", profile);
    c
}

/// Runs chromium on `file` with `extra` arguments, in a fresh profile; panics on failure.
fn run(file: &Path, extra: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().expect("a chromium profile dir");
    let out = base_command(profile.path())
        .args(extra)
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("running chromium");
    assert!(
        out.status.success(),
        "chromium {extra:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Loads `file` and returns its DOM after load and what it logged to the console.
pub fn load(file: &Path) -> Page {
    let out = run(file, &["--dump-dom".to_string()]);
    let log = String::from_utf8_lossy(&out.stderr);
    Page {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console: log
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
            .map(str::to_string)
            .collect(),
    }
}

/// Screenshots `file` into `png` (1280×900) and returns the PNG's size in bytes.
pub fn screenshot(file: &Path, png: &Path) -> u64 {
    run(
        file,
        &[
            "--window-size=1280,900".to_string(),
            format!("--screenshot={}", png.display()),
        ],
    );
    let bytes =
        std::fs::read(png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png.display()));
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "{} is not a PNG",
        png.display()
    );
    bytes.len() as u64
}
