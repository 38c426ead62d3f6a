//! Errors for people: loading a plugin ([`PluginLoadError`], names the file) and calling
//! one ([`PluginCallError`], names the plugin and what it did).

use std::time::Duration;

/// Why a plugin could not be loaded. `origin` is the file path, or `bundled plugin `x``.
#[derive(Debug, thiserror::Error)]
pub enum PluginLoadError {
    #[error("plugin {origin}: cannot read it: {error}; check the path")]
    Read {
        origin: String,
        #[source]
        error: std::io::Error,
    },
    #[error(
        "plugin {origin}: not a WebAssembly component netcheck can compile ({error}); \
         build plugins with `cargo build --release --target wasm32-wasip2`"
    )]
    Compile { origin: String, error: String },
    #[error(
        "plugin {origin}: not a netcheck plugin (exports: {exports}); a plugin exports \
         netcheck:plugin/checker (world `plugin` in wit/plugin.wit)"
    )]
    NotAPlugin { origin: String, exports: String },
    #[error(
        "plugin {origin}: built for netcheck:plugin@{found}, but this netcheck supports \
         netcheck:plugin@{supported}; rebuild it against wit/ from netcheck {netcheck}"
    )]
    VersionMismatch {
        origin: String,
        /// The contract version the plugin was built for (`1.0.0`).
        found: String,
        /// What this host accepts (`0.1.x`).
        supported: String,
        /// This netcheck's version.
        netcheck: String,
    },
    #[error("plugin {origin}: {problem}; rebuild it against wit/ from netcheck {netcheck}")]
    Incompatible {
        origin: String,
        problem: String,
        netcheck: String,
    },
    #[error("plugin {origin}: describe() failed: {error}")]
    Describe {
        origin: String,
        #[source]
        error: PluginCallError,
    },
    #[error("plugin {origin}: describe() returned an invalid answer: {problem}")]
    InvalidInfo { origin: String, problem: String },
}

/// The longest a compiler or linker message may be inside a load error.
const DETAIL_CHARS: usize = 300;

/// A wasmtime/wasmparser message as one short line: lines joined, blank runs folded, and
/// cut at [`DETAIL_CHARS`] (a garbage file must not print a page of internals).
pub(super) fn one_line(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &folded[..cut]),
        None => folded,
    }
}

/// Why a call into a plugin failed. The plugin's own `plan` error is one of these too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginCallError {
    #[error("no plugin named `{plugin}` is loaded (loaded: {loaded})")]
    NotLoaded { plugin: String, loaded: String },
    #[error("plugin `{plugin}` exceeded its {} CPU deadline", fmt_duration(*.deadline))]
    Deadline { plugin: String, deadline: Duration },
    #[error("plugin `{plugin}` exceeded its {} memory cap", fmt_limit(*.cap))]
    MemoryCap { plugin: String, cap: usize },
    #[error(
        "plugin `{plugin}` returned {}, over the {} output cap",
        fmt_size(*.bytes),
        fmt_limit(*.cap)
    )]
    OutputCap {
        plugin: String,
        bytes: usize,
        cap: usize,
    },
    #[error("plugin `{plugin}` trapped: {trap}")]
    Trapped { plugin: String, trap: String },
    #[error("plugin `{plugin}` plan failed: {message}")]
    PlanFailed { plugin: String, message: String },
}

impl PluginCallError {
    /// The plugin the call was for.
    pub fn plugin(&self) -> &str {
        match self {
            PluginCallError::NotLoaded { plugin, .. }
            | PluginCallError::Deadline { plugin, .. }
            | PluginCallError::MemoryCap { plugin, .. }
            | PluginCallError::OutputCap { plugin, .. }
            | PluginCallError::Trapped { plugin, .. }
            | PluginCallError::PlanFailed { plugin, .. } => plugin,
        }
    }

    /// A stable machine-readable kind: `not-loaded`, `deadline`, `memory-cap`,
    /// `output-cap`, `trap`, `plan-failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            PluginCallError::NotLoaded { .. } => "not-loaded",
            PluginCallError::Deadline { .. } => "deadline",
            PluginCallError::MemoryCap { .. } => "memory-cap",
            PluginCallError::OutputCap { .. } => "output-cap",
            PluginCallError::Trapped { .. } => "trap",
            PluginCallError::PlanFailed { .. } => "plan-failed",
        }
    }
}

fn fmt_duration(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// A configured limit: exact units when it is a whole number of them (`64 MiB`).
pub(super) fn fmt_limit(bytes: usize) -> String {
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => fmt_size(b),
    }
}

/// A measured size, one decimal (`8.0 MiB`).
pub(super) fn fmt_size(bytes: usize) -> String {
    let b = bytes as f64;
    if bytes >= MIB {
        format!("{:.1} MiB", b / MIB as f64)
    } else if bytes >= KIB {
        format!("{:.1} KiB", b / KIB as f64)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_errors_read_as_the_contract_says() {
        let plugin = "spin".to_string();
        let deadline = PluginCallError::Deadline {
            plugin: plugin.clone(),
            deadline: Duration::from_millis(250),
        };
        assert_eq!(
            deadline.to_string(),
            "plugin `spin` exceeded its 250 ms CPU deadline"
        );
        let memory = PluginCallError::MemoryCap {
            plugin: "hog".into(),
            cap: 64 << 20,
        };
        assert_eq!(
            memory.to_string(),
            "plugin `hog` exceeded its 64 MiB memory cap"
        );
        let output = PluginCallError::OutputCap {
            plugin: "bloat".into(),
            bytes: 8 << 20,
            cap: 256 << 10,
        };
        assert_eq!(
            output.to_string(),
            "plugin `bloat` returned 8.0 MiB, over the 256 KiB output cap"
        );
        let plan = PluginCallError::PlanFailed {
            plugin: "lambda".into(),
            message: "function option is required".into(),
        };
        assert_eq!(
            plan.to_string(),
            "plugin `lambda` plan failed: function option is required"
        );
        assert_eq!(plan.plugin(), "lambda");
        assert_eq!(plan.kind(), "plan-failed");
    }

    #[test]
    fn sizes_format_for_people() {
        assert_eq!(fmt_limit(1000), "1000 B");
        assert_eq!(fmt_limit(1536), "1.5 KiB");
        assert_eq!(fmt_limit(3 << 20), "3 MiB");
        assert_eq!(fmt_size(300 << 10), "300.0 KiB");
        assert_eq!(fmt_size((5 << 20) + (512 << 10)), "5.5 MiB");
    }

    #[test]
    fn version_mismatch_names_file_versions_and_fix() {
        let err = PluginLoadError::VersionMismatch {
            origin: "/opt/plugins/x.wasm".into(),
            found: "1.0.0".into(),
            supported: "0.1.x".into(),
            netcheck: "0.1.0".into(),
        };
        assert_eq!(
            err.to_string(),
            "plugin /opt/plugins/x.wasm: built for netcheck:plugin@1.0.0, but this netcheck \
             supports netcheck:plugin@0.1.x; rebuild it against wit/ from netcheck 0.1.0"
        );
    }
}
