//! Builds the plugin workspace (`../../plugins`) for `wasm32-wasip2` and embeds the bundled plugins.
//!
//! - Every workspace member directly under `plugins/` except `guest` is a bundled plugin:
//!   `$OUT_DIR/bundled.rs` lists them as `(name, include_bytes!(..))`, name = directory name.
//! - Members under `plugins/testing/` are sandbox test plugins: they are not bundled; their
//!   `.wasm` files are copied to `$OUT_DIR/test-plugins/<name>.wasm` (tests find them
//!   through `netcheck_plugin_host::build_facts::TEST_PLUGIN_DIR`).
//! - A release host embeds plugins of the plugin workspace's `release` profile (fat LTO:
//!   smallest); every other host profile embeds `plugin-dev` ones (same code and
//!   opt-level, no LTO: about a third faster to build, a third larger).
//! - The plugins build in their own target directory (`NETCHECK_WASM_TARGET_DIR`, else
//!   `<host target dir>/wasm-plugins`) so the inner cargo never waits on the outer one's lock.
//! - `$OUT_DIR/build_facts.rs` holds build-time facts as constants (the wasmtime version
//!   from `../../Cargo.lock`, which keys the precompiled-plugin cache). They are never passed
//!   as `cargo::rustc-env`: cargo exports those into the environment of `cargo run` and
//!   `cargo test`, where a `NETCHECK_*` name would read as the user's runtime setting.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";

/// Variables the outer cargo sets for this build script (or the user set for the host
/// build) that would misdirect the inner plugin build.
const LEAKY_VARS: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_BUILD_DIR",
    "CARGO_BUILD_TARGET",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_LINKER",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_CRATE_NAME",
    "OUT_DIR",
    "TARGET",
    "HOST",
    "NUM_JOBS",
    "OPT_LEVEL",
    "DEBUG",
    "PROFILE",
];

/// Prefixes of build-script variables that describe the host build, not the plugin build.
const LEAKY_PREFIXES: &[&str] = &["CARGO_CFG_", "CARGO_FEATURE_", "CARGO_PKG_", "DEP_"];

fn main() {
    if let Err(message) = run() {
        // Cargo shows a failing build script's stderr to the user.
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(var("OUT_DIR")?);
    // host/plugin-host -> the repository root.
    let root = manifest_dir
        .parent()
        .and_then(Path::parent)
        .ok_or("host/plugin-host has no grandparent directory")?
        .to_path_buf();
    let plugins_dir = root.join("plugins");

    println!("cargo::rerun-if-env-changed=NETCHECK_WASM_TARGET_DIR");
    println!("cargo::rerun-if-changed={}", root.join("wit").display());
    let lock = root.join("Cargo.lock");
    if lock.exists() {
        println!("cargo::rerun-if-changed={}", lock.display());
    }
    write_build_facts(
        &out_dir.join("build_facts.rs"),
        &locked_version(&lock, "wasmtime").unwrap_or_else(|| "unknown".to_string()),
        &out_dir.join("test-plugins"),
    )?;
    emit_rerun_for_sources(&plugins_dir)?;

    let members = workspace_members(&plugins_dir)?;
    ensure_wasm_target()?;
    let target_dir = wasm_target_dir(&out_dir);
    let profile = plugin_profile();
    build_plugins(&plugins_dir, &target_dir, profile)?;
    // The inner cargo writes plugins/Cargo.lock on its first run.
    let plugins_lock = plugins_dir.join("Cargo.lock");
    if plugins_lock.exists() {
        println!("cargo::rerun-if-changed={}", plugins_lock.display());
    }

    let release = target_dir.join(WASM_TARGET).join(profile);
    let mut bundled = Vec::new();
    let test_dir = out_dir.join("test-plugins");
    fs::create_dir_all(&test_dir).map_err(|e| format!("creating {}: {e}", test_dir.display()))?;
    for member in &members {
        let Some(kind) = member.kind() else { continue };
        let built = release.join(format!("{}.wasm", member.lib_name));
        if !built.is_file() {
            return Err(format!(
                "plugin crate plugins/{} built no component at {}; its Cargo.toml needs \
                 `[lib] crate-type = [\"cdylib\"]`",
                member.path,
                built.display()
            ));
        }
        match kind {
            Kind::Bundled => {
                let dest = out_dir
                    .join("bundled")
                    .join(format!("{}.wasm", member.name));
                copy_if_changed(&built, &dest)?;
                bundled.push((member.name.clone(), dest));
            }
            Kind::Test => {
                copy_if_changed(&built, &test_dir.join(format!("{}.wasm", member.name)))?;
            }
        }
    }
    write_bundled_rs(&out_dir.join("bundled.rs"), &mut bundled)
}

/// Build-time facts as Rust constants, `include!`d by the crate.
fn write_build_facts(
    path: &Path,
    wasmtime_version: &str,
    test_plugins: &Path,
) -> Result<(), String> {
    let text = format!(
        "/// The wasmtime version the host was built with (from Cargo.lock).\n\
         pub const WASMTIME_VERSION: &str = {wasmtime_version:?};\n\
         /// Where this build put the sandbox's test plugins (`plugins/testing/*`): for tests.\n\
         pub const TEST_PLUGIN_DIR: &str = {:?};\n",
        test_plugins.display().to_string()
    );
    write_if_changed(path, &text)
}

fn var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("cargo did not set {name} for the build script"))
}

/// One crate of the plugin workspace.
struct Member {
    /// Path relative to `plugins/`, e.g. `kms` or `testing/spin`.
    path: String,
    /// Last path component: the plugin's bundled / test name.
    name: String,
    /// The library target name (`.wasm` file stem).
    lib_name: String,
}

enum Kind {
    Bundled,
    Test,
}

impl Member {
    fn kind(&self) -> Option<Kind> {
        if self.path.starts_with("testing/") {
            Some(Kind::Test)
        } else if !self.path.contains('/') && self.path != "guest" {
            Some(Kind::Bundled)
        } else {
            None
        }
    }
}

/// Reads `members = [...]` from `plugins/Cargo.toml` (expanding `dir/*` globs) and each
/// member's library name. A tiny parser: the build script has no dependencies.
fn workspace_members(plugins_dir: &Path) -> Result<Vec<Member>, String> {
    let manifest = plugins_dir.join("Cargo.toml");
    let text = read(&manifest)?;
    let mut members = Vec::new();
    for entry in string_array(&text, "members")
        .ok_or_else(|| format!("{}: no `members = [...]` list", manifest.display()))?
    {
        if let Some(parent) = entry.strip_suffix("/*") {
            let dir = plugins_dir.join(parent);
            let listing =
                fs::read_dir(&dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
            let mut found: Vec<String> = listing
                .filter_map(Result::ok)
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .map(|e| format!("{parent}/{}", e.file_name().to_string_lossy()))
                .collect();
            found.sort();
            members.extend(found);
        } else {
            members.push(entry);
        }
    }
    members
        .into_iter()
        .map(|path| {
            let member_manifest = plugins_dir.join(&path).join("Cargo.toml");
            let text = read(&member_manifest)?;
            let lib_name = toml_key(&text, "lib", "name")
                .or_else(|| toml_key(&text, "package", "name"))
                .ok_or_else(|| format!("{}: no package name", member_manifest.display()))?
                .replace('-', "_");
            let name = path.rsplit('/').next().unwrap_or(&path).to_string();
            Ok(Member {
                path,
                name,
                lib_name,
            })
        })
        .collect()
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

/// The quoted strings of the top-level array `key = [ ... ]` (comments skipped).
fn string_array(text: &str, key: &str) -> Option<Vec<String>> {
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let is_key = line
            .trim_start()
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if is_key {
            start = Some(offset);
            break;
        }
        offset += line.len();
    }
    let start = start?;
    let open = start + text[start..].find('[')?;
    let mut items = Vec::new();
    let mut chars = text[open + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            ']' => return Some(items),
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => items.push(chars.by_ref().take_while(|&c| c != '"').collect()),
            _ => {}
        }
    }
    None
}

/// The string value of `key` in table `[section]` of a simple TOML file.
fn toml_key(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = "";
    for line in text.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[') {
            current = header.trim_end_matches(']').trim();
            continue;
        }
        if current != section {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim() == key {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// The version of `package` pinned in a `Cargo.lock`.
fn locked_version(lock: &Path, package: &str) -> Option<String> {
    let text = fs::read_to_string(lock).ok()?;
    let wanted = format!("name = \"{package}\"");
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim().strip_prefix("version = ")?;
            return Some(version.trim_matches('"').to_string());
        }
    }
    None
}

/// `rerun-if-changed` for every source file of the plugin workspace, skipping `target`
/// directories (files only: a directory would be scanned recursively, target included).
fn emit_rerun_for_sources(dir: &Path) -> Result<(), String> {
    let listing = fs::read_dir(dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
    for entry in listing.filter_map(Result::ok) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            emit_rerun_for_sources(&path)?;
        } else {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
    Ok(())
}

/// Installs the `wasm32-wasip2` target through rustup when the toolchain lacks it.
fn ensure_wasm_target() -> Result<(), String> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if libdir.is_some_and(|dir| dir.is_dir()) {
        return Ok(());
    }
    let fix = format!("run `rustup target add {WASM_TARGET}` and build again");
    match Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "netcheck's plugins need the {WASM_TARGET} Rust target, and installing it failed:\n{}\n{fix}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!(
            "netcheck's plugins need the {WASM_TARGET} Rust target, and rustup could not be run ({e}); {fix}"
        )),
    }
}

/// `NETCHECK_WASM_TARGET_DIR`, else `wasm-plugins` inside the host's target directory.
fn wasm_target_dir(out_dir: &Path) -> PathBuf {
    if let Some(dir) = env::var_os("NETCHECK_WASM_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // OUT_DIR = <target>[/<triple>]/<profile>/build/<pkg>-<hash>/out
    let ancestors: Vec<&Path> = out_dir.ancestors().collect();
    let host_target = [4, 5]
        .iter()
        .filter_map(|&i| ancestors.get(i))
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .or_else(|| ancestors.get(4))
        .copied()
        .unwrap_or(out_dir);
    host_target.join("wasm-plugins")
}

/// The plugin workspace's profile for this host build (see the module docs).
fn plugin_profile() -> &'static str {
    match env::var("PROFILE").as_deref() {
        Ok("release") => "release",
        _ => "plugin-dev",
    }
}

fn build_plugins(plugins_dir: &Path, target_dir: &Path, profile: &str) -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(&cargo);
    command
        .current_dir(plugins_dir)
        .args([
            "build",
            "--quiet",
            "--profile",
            profile,
            "--target",
            WASM_TARGET,
        ])
        .arg("--target-dir")
        .arg(target_dir);
    for name in LEAKY_VARS {
        command.env_remove(name);
    }
    for (name, _) in env::vars_os() {
        let name = name.to_string_lossy();
        if LEAKY_PREFIXES.iter().any(|p| name.starts_with(p)) {
            command.env_remove(&*name);
        }
    }
    let output = command
        .output()
        .map_err(|e| format!("running {cargo} to build the plugins: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "building the plugin workspace {} for {WASM_TARGET} failed:\n{}{}\n\
         To reproduce: cd plugins && cargo build --profile {profile} --target {WASM_TARGET}",
        plugins_dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Copies unless `dest` already holds the same bytes (keeps mtimes, and rebuilds, stable).
fn copy_if_changed(src: &Path, dest: &Path) -> Result<(), String> {
    let bytes = fs::read(src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    if fs::read(dest).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    fs::write(dest, bytes).map_err(|e| format!("writing {}: {e}", dest.display()))
}

fn write_bundled_rs(dest: &Path, bundled: &mut [(String, PathBuf)]) -> Result<(), String> {
    bundled.sort();
    let mut code =
        String::from("// @generated by host/plugin-host/build.rs: the bundled plugins.\n&[\n");
    for (name, path) in bundled.iter() {
        let path = path
            .to_str()
            .ok_or_else(|| format!("plugin path {} is not UTF-8", path.display()))?;
        code.push_str(&format!("    ({name:?}, include_bytes!({path:?})),\n"));
    }
    code.push_str("]\n");
    write_if_changed(dest, &code)
}

/// Writes `text` unless `dest` already holds it (an unchanged file keeps its mtime).
fn write_if_changed(dest: &Path, text: &str) -> Result<(), String> {
    if fs::read_to_string(dest).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(dest, text).map_err(|e| format!("writing {}: {e}", dest.display()))
}
