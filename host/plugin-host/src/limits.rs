//! What one plugin call may use: a CPU deadline, a memory cap and an output cap.
//!
//! The deadline is enforced with wasmtime's epoch interruption: one ticker thread per
//! [`PluginHost`](super::PluginHost) bumps the engine's epoch every [`TICK`], and each call's
//! store traps once its deadline (in ticks) has passed. The memory cap is a
//! [`ResourceLimiter`] that refuses to grow any linear memory past the cap, traps, and
//! remembers that it did so the call can be reported as a memory-cap failure.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Engine, ResourceLimiter};

/// How often the epoch advances; the deadline's granularity.
pub(super) const TICK: Duration = Duration::from_millis(10);

/// The most table elements (function references) a plugin may have; generous for any
/// real plugin, small next to the memory cap.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Resource limits for one plugin call (`describe`, `plan` or `judge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time the call may run before it is interrupted (default 250 ms).
    pub cpu_deadline: Duration,
    /// Largest linear memory the plugin may grow (default 64 MiB).
    pub memory_bytes: usize,
    /// Largest answer, counted as the bytes of all its strings and lists (default 256 KiB).
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu_deadline: Duration::from_millis(250),
            memory_bytes: 64 << 20,
            max_output_bytes: 256 << 10,
        }
    }
}

/// The epoch deadline, in ticks, that guarantees at least `deadline` of running time.
pub(super) fn deadline_ticks(deadline: Duration) -> u64 {
    let ticks = deadline.as_nanos().div_ceil(TICK.as_nanos());
    // The first tick can come at any moment after the deadline is set: add one.
    u64::try_from(ticks).unwrap_or(u64::MAX).saturating_add(1)
}

/// Caps every linear memory of one store at `cap` bytes and records a refusal.
pub(super) struct MemoryLimiter {
    cap: usize,
    hit: bool,
}

impl MemoryLimiter {
    pub(super) fn new(cap: usize) -> Self {
        MemoryLimiter { cap, hit: false }
    }

    /// Whether the plugin tried to grow a memory past the cap.
    pub(super) fn hit(&self) -> bool {
        self.hit
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.hit = true;
            // An error (not `Ok(false)`) makes the growth trap instead of letting the
            // guest see a failed `memory.grow` and carry on.
            wasmtime::bail!(
                "memory cap: tried to grow a linear memory to {desired} bytes, cap is {}",
                self.cap
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Advances an engine's epoch every [`TICK`] until dropped.
pub(super) struct EpochTicker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub(super) fn start(engine: &Engine) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let engine = engine.clone();
        let thread = std::thread::Builder::new()
            .name("netcheck-plugin-epoch".to_string())
            .spawn(move || {
                // Ends when the sender is dropped (Disconnected).
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    engine.increment_epoch();
                }
            })?;
        Ok(EpochTicker {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread only sleeps and increments a counter; it cannot panic.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_limits() {
        let limits = Limits::default();
        assert_eq!(limits.cpu_deadline, Duration::from_millis(250));
        assert_eq!(limits.memory_bytes, 64 * 1024 * 1024);
        assert_eq!(limits.max_output_bytes, 256 * 1024);
    }

    #[test]
    fn deadline_rounds_up_and_adds_a_tick() {
        assert_eq!(deadline_ticks(Duration::from_millis(250)), 26);
        assert_eq!(deadline_ticks(Duration::from_millis(251)), 27);
        assert_eq!(deadline_ticks(Duration::ZERO), 1);
        assert_eq!(deadline_ticks(Duration::MAX), u64::MAX);
    }

    #[test]
    fn limiter_refuses_growth_past_the_cap_and_remembers() {
        let mut limiter = MemoryLimiter::new(1 << 20);
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap_or(false));
        assert!(!limiter.hit());
        assert!(limiter.memory_growing(1 << 20, 2 << 20, None).is_err());
        assert!(limiter.hit());
    }

    #[test]
    fn limiter_bounds_tables() {
        let mut limiter = MemoryLimiter::new(1 << 20);
        assert!(matches!(limiter.table_growing(0, 10, None), Ok(true)));
        assert!(matches!(
            limiter.table_growing(0, MAX_TABLE_ELEMENTS + 1, None),
            Ok(false)
        ));
    }

    #[test]
    fn ticker_thread_stops_on_drop() {
        let engine = Engine::new(wasmtime::Config::new().epoch_interruption(true))
            .expect("engine with epoch interruption");
        let ticker = EpochTicker::start(&engine).expect("ticker thread");
        // Joining on drop proves the thread ends; nothing here depends on timing.
        drop(ticker);
    }
}
