//! The plugin host: loads WASM component plugins and calls them in a sandbox.
//!
//! A plugin (see `wit/plugin.wit`) is a pure function over data: `describe` says what it
//! handles, `plan` says which probes prove a target reachable, `judge` reads what came
//! back. This module owns everything wasmtime: the engine, the linker, the limits and the
//! precompiled cache; the rest of netcheck sees only the generated WIT types re-exported
//! here and [`PluginHost`].
//!
//! Sandboxing, per call: a fresh store and instance, a CPU deadline (epoch interruption),
//! a memory cap, an output cap, and WASI with nothing granted (no environment, files,
//! network or clock). A plugin can only compute and log.
//!
//! ```no_run
//! use netcheck::plugin_host::{default_cache_dir, Limits, PluginHost};
//! # fn main() -> anyhow::Result<()> {
//! let mut host = PluginHost::new(Limits::default(), default_cache_dir())?;
//! host.load_bundled()?;
//! let target = netcheck_runner_api::Target {
//!     url: "tcp://10.0.0.5:5432".into(),
//!     scheme: "tcp".into(),
//!     host: "10.0.0.5".into(),
//!     port: 5432,
//!     ..Default::default()
//! };
//! let probes = host.plan("tcp", &target)?;
//! # let _ = probes;
//! # Ok(())
//! # }
//! ```

mod bindings;
mod bundled;
mod cache;
mod call;
mod convert;
mod errors;
mod limits;
mod output;
mod store;
mod validate;
mod version;
mod wasi;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine};

pub use bindings::netcheck::plugin::types::{
    EndpointKind, HttpRequest, HttpResponse, Observation, PluginInfo, Probe, ProbeContext,
    ProbeKind, ServiceInfo, Signing, Sigv4Params, Status, Verdict,
};
pub use bundled::bundled;
pub use cache::default_cache_dir;
pub use errors::{PluginCallError, PluginLoadError};
pub use limits::Limits;

use bindings::{Plugin, PluginPre};
use store::StoreData;

/// Where a plugin came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// Compiled into netcheck.
    Bundled,
    /// Loaded from this file.
    File(PathBuf),
}

impl fmt::Display for PluginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginSource::Bundled => f.write_str("bundled"),
            PluginSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A loaded plugin, as its `describe()` presented it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginMeta {
    pub name: String,
    pub version: String,
    /// SHA-256 of the component bytes, lowercase hex.
    pub sha256: String,
    pub source: PluginSource,
    pub info: PluginInfo,
}

/// Loads plugins and calls them under limits. `Send + Sync`: share it as an `Arc`; calls
/// take `&self` and run concurrently, each in its own store.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<StoreData>,
    cache: cache::CompileCache,
    defaults: Limits,
    overrides: HashMap<String, Limits>,
    metas: Vec<PluginMeta>,
    loaded: HashMap<String, Loaded>,
    // Last: stops the epoch thread after everything else is dropped.
    _ticker: limits::EpochTicker,
}

struct Loaded {
    name: Arc<str>,
    pre: PluginPre<StoreData>,
}

impl PluginHost {
    /// A host with no plugins. `cache_dir` holds precompiled plugins (see
    /// [`default_cache_dir`]); `None`, or a directory that cannot be created, means
    /// compiling every plugin at load (~45 ms each).
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = with_context(Engine::new(&config), "setting up the WebAssembly engine")?;
        let mut linker = Linker::new(&engine);
        with_context(wasi::add_to_linker(&mut linker), "linking WASI for plugins")?;
        with_context(
            Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |data| data),
            "linking netcheck:plugin/host for plugins",
        )?;
        let ticker = limits::EpochTicker::start(&engine)
            .context("starting the plugin deadline timer thread")?;
        Ok(PluginHost {
            cache: cache::CompileCache::new(&engine, cache_dir),
            engine,
            linker,
            defaults: limits,
            overrides: HashMap::new(),
            metas: Vec::new(),
            loaded: HashMap::new(),
            _ticker: ticker,
        })
    }

    /// Loads every plugin compiled into netcheck ([`bundled`]).
    pub fn load_bundled(&mut self) -> Result<(), PluginLoadError> {
        for (name, bytes) in bundled() {
            self.load(
                bytes,
                PluginSource::Bundled,
                format!("bundled plugin `{name}`"),
            )?;
        }
        Ok(())
    }

    /// Loads a plugin component from a file; errors name the file.
    pub fn load_file(&mut self, path: &Path) -> Result<(), PluginLoadError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| PluginLoadError::Read {
            origin: origin.clone(),
            error,
        })?;
        self.load(&bytes, PluginSource::File(path.to_path_buf()), origin)
    }

    /// Loads a plugin component from memory. A later load of a plugin with the same name
    /// replaces the earlier one.
    pub fn load_bytes(
        &mut self,
        bytes: &[u8],
        source: PluginSource,
    ) -> Result<(), PluginLoadError> {
        let origin = match &source {
            PluginSource::Bundled => "(bundled)".to_string(),
            PluginSource::File(path) => path.display().to_string(),
        };
        self.load(bytes, source, origin)
    }

    fn load(
        &mut self,
        bytes: &[u8],
        source: PluginSource,
        origin: String,
    ) -> Result<(), PluginLoadError> {
        let netcheck = env!("CARGO_PKG_VERSION").to_string();
        let sha256 = hex::encode(Sha256::digest(bytes));
        let (component, outcome) = self
            .cache
            .load_or_compile(&self.engine, bytes, &sha256)
            .map_err(|e| PluginLoadError::Compile {
                origin: origin.clone(),
                error: errors::one_line(&format!("{e:#}")),
            })?;
        tracing::debug!(plugin = %origin, ?outcome, "compiled plugin");
        version::check(&self.engine, &component).map_err(|refusal| match refusal {
            version::Refusal::NotAPlugin { exports } => PluginLoadError::NotAPlugin {
                origin: origin.clone(),
                exports,
            },
            version::Refusal::Version { found } => PluginLoadError::VersionMismatch {
                origin: origin.clone(),
                found,
                supported: version::CONTRACT.supported(),
                netcheck: netcheck.clone(),
            },
        })?;
        let incompatible = |problem: String| PluginLoadError::Incompatible {
            origin: origin.clone(),
            problem,
            netcheck: netcheck.clone(),
        };
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|e| {
            incompatible(format!(
                "needs an import netcheck does not provide ({}); plugins may import only \
                 netcheck:plugin/host and WASI 0.2",
                errors::one_line(&format!("{e:#}"))
            ))
        })?;
        let pre = PluginPre::new(instance_pre).map_err(|e| {
            incompatible(format!(
                "does not export the functions of netcheck:plugin/checker@{} ({})",
                version::CONTRACT,
                errors::one_line(&format!("{e:#}"))
            ))
        })?;

        // Until describe() answers, the file is the plugin's name in messages.
        let provisional: Arc<str> = Arc::from(origin.as_str());
        let info = call::call(
            &self.engine,
            &pre,
            &provisional,
            self.defaults,
            |p, store| p.netcheck_plugin_checker().call_describe(store),
        )
        .map_err(|error| PluginLoadError::Describe {
            origin: origin.clone(),
            error,
        })?;
        validate::validate(&info).map_err(|problem| PluginLoadError::InvalidInfo {
            origin: origin.clone(),
            problem,
        })?;

        let meta = PluginMeta {
            name: info.name.clone(),
            version: info.version.clone(),
            sha256,
            source,
            info,
        };
        tracing::debug!(
            plugin = %meta.name,
            version = %meta.version,
            source = %meta.source,
            "loaded plugin"
        );
        self.metas.retain(|m| m.name != meta.name);
        self.loaded.insert(
            meta.name.clone(),
            Loaded {
                name: Arc::from(meta.name.as_str()),
                pre,
            },
        );
        self.metas.push(meta);
        Ok(())
    }

    /// The loaded plugins, in load order.
    pub fn plugins(&self) -> &[PluginMeta] {
        &self.metas
    }

    /// The loaded plugin called `name`.
    pub fn find(&self, name: &str) -> Option<&PluginMeta> {
        self.metas.iter().find(|m| m.name == name)
    }

    /// Overrides the limits for calls to `plugin` (loaded now or later).
    pub fn set_limits(&mut self, plugin: &str, limits: Limits) {
        self.overrides.insert(plugin.to_string(), limits);
    }

    /// The limits that apply to calls to `plugin`.
    pub fn limits(&self, plugin: &str) -> Limits {
        self.overrides.get(plugin).copied().unwrap_or(self.defaults)
    }

    /// The probes `plugin` wants sent for `target`, in preference order. The plugin's own
    /// refusal (`Err(String)`) is [`PluginCallError::PlanFailed`].
    pub fn plan(
        &self,
        plugin: &str,
        target: &netcheck_runner_api::Target,
    ) -> Result<Vec<Probe>, PluginCallError> {
        let loaded = self.get(plugin)?;
        let target = bindings::netcheck::plugin::types::Target::from(target);
        let answer = call::call(
            &self.engine,
            &loaded.pre,
            &loaded.name,
            self.limits(plugin),
            |p, store| p.netcheck_plugin_checker().call_plan(store, &target),
        )?;
        answer.map_err(|message| PluginCallError::PlanFailed {
            plugin: plugin.to_string(),
            message,
        })
    }

    /// `plugin`'s verdict on what `observation` says about `probe`.
    pub fn judge(
        &self,
        plugin: &str,
        target: &netcheck_runner_api::Target,
        probe: &Probe,
        observation: &Observation,
        context: &ProbeContext,
    ) -> Result<Verdict, PluginCallError> {
        let loaded = self.get(plugin)?;
        let target = bindings::netcheck::plugin::types::Target::from(target);
        call::call(
            &self.engine,
            &loaded.pre,
            &loaded.name,
            self.limits(plugin),
            |p, store| {
                p.netcheck_plugin_checker()
                    .call_judge(store, &target, probe, observation, *context)
            },
        )
    }

    fn get(&self, plugin: &str) -> Result<&Loaded, PluginCallError> {
        self.loaded
            .get(plugin)
            .ok_or_else(|| PluginCallError::NotLoaded {
                plugin: plugin.to_string(),
                loaded: if self.metas.is_empty() {
                    "none".to_string()
                } else {
                    let names: Vec<&str> = self.metas.iter().map(|m| m.name.as_str()).collect();
                    names.join(", ")
                },
            })
    }
}

/// wasmtime 48 has its own error type; this turns it into an `anyhow` error with context.
fn with_context<T>(result: wasmtime::Result<T>, doing: &'static str) -> anyhow::Result<T> {
    result.map_err(|e| anyhow::Error::from(e).context(doing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn host_can_be_shared_across_threads() {
        assert_send_sync::<PluginHost>();
    }

    #[test]
    fn source_displays_for_people() {
        assert_eq!(PluginSource::Bundled.to_string(), "bundled");
        assert_eq!(
            PluginSource::File(PathBuf::from("/opt/p/kms.wasm")).to_string(),
            "/opt/p/kms.wasm"
        );
    }

    #[test]
    fn unknown_plugin_names_what_is_loaded() {
        let host = PluginHost::new(Limits::default(), None).expect("host");
        let err = host
            .plan("nope", &netcheck_runner_api::Target::default())
            .expect_err("nothing loaded");
        assert_eq!(
            err.to_string(),
            "no plugin named `nope` is loaded (loaded: none)"
        );
    }

    /// The Lambda handler compiles only the bundled plugins a plan names, selecting
    /// them by their bundled name: it must be the name each plugin describes itself with.
    #[test]
    fn bundled_names_are_the_names_plugins_describe() {
        for (name, bytes) in bundled() {
            let mut host = PluginHost::new(Limits::default(), None).expect("host");
            host.load_bytes(bytes, PluginSource::Bundled)
                .expect("bundled plugin loads");
            let described: Vec<&str> = host.plugins().iter().map(|p| p.name.as_str()).collect();
            assert_eq!(described, [*name], "bundled as `{name}`");
        }
    }

    #[test]
    fn per_plugin_limits_override_the_defaults() {
        let mut host = PluginHost::new(Limits::default(), None).expect("host");
        let strict = Limits {
            cpu_deadline: std::time::Duration::from_millis(5),
            ..Limits::default()
        };
        host.set_limits("kms", strict);
        assert_eq!(host.limits("kms"), strict);
        assert_eq!(host.limits("s3"), Limits::default());
    }
}
