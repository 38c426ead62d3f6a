//! What one plugin call's store holds: an empty WASI context (see [`super::wasi`]), the
//! memory limiter, and the host side of `host.log`.
//!
//! The plugin's stderr is kept (first 16 KiB; past that the stream reports closed) only so
//! a trap can quote its panic message. Log lines go to `tracing` with a `plugin` field,
//! flattened to one line, cut at 1024 characters, at most 100 per call.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::netcheck::plugin::{host, types};
use super::limits::MemoryLimiter;

/// Longest log line forwarded, in characters; the rest is cut with `…`.
const MAX_LOG_CHARS: usize = 1024;
/// Log lines one call may emit; the last is replaced by a notice that the rest are dropped.
const MAX_LOG_LINES: u32 = 100;
/// Stderr bytes kept per call (for trap messages).
const STDERR_BYTES: usize = 16 << 10;
/// Characters of stderr quoted in a trap message.
const STDERR_QUOTE_CHARS: usize = 400;

pub(super) struct StoreData {
    plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: MemoryLimiter,
    stderr: MemoryOutputPipe,
    logs_left: u32,
}

impl StoreData {
    pub(super) fn new(plugin: Arc<str>, memory_cap: usize) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        let wasi = super::wasi::empty_ctx(stderr.clone());
        StoreData {
            plugin,
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(memory_cap),
            stderr,
            logs_left: MAX_LOG_LINES,
        }
    }

    /// The end of what the plugin wrote to stderr (its panic message), on one line.
    pub(super) fn stderr_tail(&self) -> Option<String> {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
            .collect();
        if lines.is_empty() {
            return None;
        }
        let joined = clean(&lines.join(" "));
        let chars = joined.chars().count();
        Some(if chars > STDERR_QUOTE_CHARS {
            let tail: String = joined.chars().skip(chars - STDERR_QUOTE_CHARS).collect();
            format!("…{tail}")
        } else {
            joined
        })
    }
}

impl WasiView for StoreData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for StoreData {}

impl host::Host for StoreData {
    fn log(&mut self, level: types::LogLevel, message: String) {
        if self.logs_left == 0 {
            return;
        }
        self.logs_left -= 1;
        let plugin = &*self.plugin;
        if self.logs_left == 0 {
            tracing::warn!(
                plugin,
                "plugin logged {MAX_LOG_LINES} lines in one call; dropping the rest"
            );
            return;
        }
        let message = truncate(&clean(&message), MAX_LOG_CHARS);
        match level {
            types::LogLevel::Trace => tracing::trace!(plugin = %plugin, "{message}"),
            types::LogLevel::Debug => tracing::debug!(plugin = %plugin, "{message}"),
            types::LogLevel::Info => tracing::info!(plugin = %plugin, "{message}"),
            types::LogLevel::Warn => tracing::warn!(plugin = %plugin, "{message}"),
            types::LogLevel::Error => tracing::error!(plugin = %plugin, "{message}"),
        }
    }
}

/// Control characters (newlines, terminal escapes) become spaces: a plugin's text is one
/// line and cannot drive the user's terminal.
pub(super) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub(super) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::host::Host as _;
    use super::*;

    #[test]
    fn truncate_cuts_on_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("", 0), "");
    }

    #[test]
    fn clean_flattens_lines_and_escapes() {
        assert_eq!(clean("a\nb\x1b[31mc\t"), "a b [31mc ");
    }

    #[test]
    fn log_lines_are_capped_per_call() {
        let mut data = StoreData::new(Arc::from("chatty"), 1 << 20);
        for _ in 0..(MAX_LOG_LINES + 50) {
            data.log(types::LogLevel::Info, "x".repeat(5000));
        }
        assert_eq!(data.logs_left, 0);
    }

    #[test]
    fn stderr_tail_is_empty_without_output() {
        let data = StoreData::new(Arc::from("quiet"), 1 << 20);
        assert_eq!(data.stderr_tail(), None);
    }
}
