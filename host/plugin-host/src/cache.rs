//! Precompiled plugins on disk, so a run loads each plugin in well under a millisecond
//! instead of compiling it with Cranelift (~45 ms each).
//!
//! A cache file is named by the plugin's SHA-256, a hash of the engine's compilation
//! settings (`Engine::precompile_compatibility_hash`) and the wasmtime version, so a
//! changed plugin, engine configuration or wasmtime never reads a stale artifact. The file
//! holds the serialized component followed by the SHA-256 of those bytes, checked before
//! use; any failure to read, verify or deserialize recompiles and overwrites the file
//! (written to a temporary file and renamed, so readers never see half a file).

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::build_facts::WASMTIME_VERSION;

/// Length of the integrity trailer (a SHA-256).
const TRAILER: usize = 32;

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// No cache directory: compiled.
    Uncached,
    /// Loaded a verified artifact.
    Hit,
    /// No artifact yet: compiled and stored.
    Miss,
    /// The artifact was unusable: compiled and replaced.
    Replaced,
}

/// The default cache directory: `$XDG_CACHE_HOME/netcheck/plugins`, else
/// `~/.cache/netcheck/plugins`; `None` when neither variable is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("netcheck").join("plugins"))
}

pub(super) struct CompileCache {
    dir: Option<PathBuf>,
    /// Hex digest of the engine's compatibility hash.
    engine_key: String,
}

impl CompileCache {
    /// A cache in `dir`, or none when `dir` is `None` or cannot be created.
    pub(super) fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let dir = dir.filter(|dir| match std::fs::create_dir_all(dir) {
            Ok(()) => true,
            Err(error) => {
                tracing::debug!(
                    dir = %dir.display(),
                    %error,
                    "plugin cache directory unusable; compiling plugins on every run"
                );
                false
            }
        });
        let mut hasher = DigestHasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        CompileCache {
            dir,
            engine_key: hex::encode(hasher.0.finalize()),
        }
    }

    /// Where the artifact for a plugin with this SHA-256 lives.
    pub(super) fn path_for(&self, plugin_sha256: &str) -> Option<PathBuf> {
        let engine = self.engine_key.get(..16).unwrap_or(&self.engine_key);
        self.dir.as_ref().map(|dir| {
            dir.join(format!(
                "{plugin_sha256}-{engine}-wasmtime-{WASMTIME_VERSION}.cwasm"
            ))
        })
    }

    /// The compiled component for `wasm`, from the cache when possible.
    pub(super) fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        plugin_sha256: &str,
    ) -> wasmtime::Result<(Component, Outcome)> {
        let Some(path) = self.path_for(plugin_sha256) else {
            return Ok((Component::from_binary(engine, wasm)?, Outcome::Uncached));
        };
        let outcome = match load(engine, &path) {
            Ok(Some(component)) => return Ok((component, Outcome::Hit)),
            Ok(None) => Outcome::Miss,
            Err(problem) => {
                tracing::debug!(file = %path.display(), %problem, "recompiling plugin");
                Outcome::Replaced
            }
        };
        let component = Component::from_binary(engine, wasm)?;
        if let Err(error) = store(&component, &path) {
            tracing::debug!(file = %path.display(), %error, "could not cache compiled plugin");
        }
        Ok((component, outcome))
    }
}

/// `Ok(None)` when there is no artifact; `Err` when there is one but it is unusable.
fn load(engine: &Engine, path: &Path) -> Result<Option<Component>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("unreadable: {e}")),
    };
    let split = bytes.len().checked_sub(TRAILER).ok_or("truncated")?;
    let (artifact, digest) = bytes.split_at(split);
    if Sha256::digest(artifact).as_slice() != digest {
        return Err("checksum mismatch".to_string());
    }
    // SAFETY: `deserialize` trusts its input to be native code wasmtime produced. This
    // artifact is: it is the output of `Component::serialize` that `store` wrote, under a
    // name keyed by the plugin's SHA-256 and this engine's compatibility hash and wasmtime
    // version, and its own SHA-256 (checked just above) rules out truncation and
    // corruption. Only someone who can already write the user's cache directory (and so
    // the netcheck binary's environment) could plant a different one. wasmtime still
    // checks the engine settings and version inside the artifact and errors on mismatch.
    let component = unsafe { Component::deserialize(engine, artifact) };
    component
        .map(Some)
        .map_err(|e| format!("not loadable: {e}"))
}

fn store(component: &Component, path: &Path) -> std::io::Result<()> {
    let artifact = component.serialize().map_err(std::io::Error::other)?;
    let digest = Sha256::digest(&artifact);
    let dir = path.parent().unwrap_or(Path::new("."));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temp = dir.join(format!(".tmp-{}-{nanos}.cwasm", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(&artifact)?;
        file.write_all(&digest)?;
        file.sync_all()
    });
    let result = written.and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Feeds `Hash` output into SHA-256: stable across runs, unlike `DefaultHasher`.
struct DigestHasher(Sha256);

impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Only the digest is used; `Hasher` requires this.
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal valid component: compiles in microseconds.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    fn engine() -> Engine {
        Engine::new(wasmtime::Config::new().epoch_interruption(true)).expect("engine")
    }

    #[test]
    fn no_directory_means_no_cache() {
        let engine = engine();
        let cache = CompileCache::new(&engine, None);
        let (_, outcome) = cache
            .load_or_compile(&engine, EMPTY_COMPONENT, "ab")
            .expect("compiles");
        assert_eq!(outcome, Outcome::Uncached);
    }

    #[test]
    fn miss_then_hit_then_corrupt_file_is_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = engine();
        let cache = CompileCache::new(&engine, Some(dir.path().join("plugins")));
        let sha = "00ff";
        let first = cache.load_or_compile(&engine, EMPTY_COMPONENT, sha);
        assert_eq!(first.map(|(_, o)| o).ok(), Some(Outcome::Miss));
        let path = cache.path_for(sha).expect("cache path");
        let good = std::fs::read(&path).expect("artifact written");

        let second = cache.load_or_compile(&engine, EMPTY_COMPONENT, sha);
        assert_eq!(second.map(|(_, o)| o).ok(), Some(Outcome::Hit));

        // Flip one byte in the middle of the artifact: the checksum catches it.
        let mut bad = good.clone();
        let middle = bad.len() / 2;
        bad[middle] ^= 0xff;
        std::fs::write(&path, &bad).expect("corrupt artifact");
        let third = cache.load_or_compile(&engine, EMPTY_COMPONENT, sha);
        assert_eq!(third.map(|(_, o)| o).ok(), Some(Outcome::Replaced));
        assert_eq!(std::fs::read(&path).expect("rewritten"), good);

        std::fs::write(&path, b"short").expect("truncate artifact");
        let fourth = cache.load_or_compile(&engine, EMPTY_COMPONENT, sha);
        assert_eq!(fourth.map(|(_, o)| o).ok(), Some(Outcome::Replaced));
        let leftovers = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list cache")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .count();
        assert_eq!(leftovers, 0, "temporary files are renamed away");
    }

    #[test]
    fn key_depends_on_engine_settings() {
        let a = CompileCache::new(&engine(), None);
        let other = Engine::new(&wasmtime::Config::new()).expect("engine");
        let b = CompileCache::new(&other, None);
        assert_ne!(a.engine_key, b.engine_key);
        let again = CompileCache::new(&engine(), None);
        assert_eq!(a.engine_key, again.engine_key);
    }

    #[test]
    fn unwritable_directory_disables_the_cache() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").expect("file");
        let engine = engine();
        let cache = CompileCache::new(&engine, Some(file.join("plugins")));
        assert_eq!(cache.path_for("ab"), None);
    }
}
