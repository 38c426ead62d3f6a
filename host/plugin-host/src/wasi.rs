//! WASI p2 for plugins, with nothing granted.
//!
//! Rust's std makes every guest import `wasi:cli`, `wasi:io`, `wasi:clocks` and friends, so
//! they are linked, but the context is empty: no environment, arguments, preopened
//! directories, sockets or name lookups; stdin is closed and stdout is discarded. Time does
//! not pass inside a plugin: the wall clock reads the Unix epoch, the monotonic clock
//! stands still, and every timer is already due, so `sleep` returns at once. That also
//! closes the one way a guest could block in the host, where the epoch deadline cannot
//! interrupt it.

use std::time::Duration;

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{DynPollable, Pollable};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiView};

/// The monotonic-clock interface as wasmtime-wasi 48 defines it; guests importing any
/// compatible `0.2.x` resolve to it.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// Links WASI p2 into `linker`, with timers replaced by [`Elapsed`] ones.
pub(super) fn add_to_linker<T: WasiView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap(
        "subscribe-duration",
        |store: StoreContextMut<'_, T>, (_nanos,): (u64,)| elapsed(store),
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |store: StoreContextMut<'_, T>, (_instant,): (u64,)| elapsed(store),
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

fn elapsed<T: WasiView>(
    mut store: StoreContextMut<'_, T>,
) -> wasmtime::Result<(Resource<DynPollable>,)> {
    let table = store.data_mut().ctx().table;
    let timer = table.push(Elapsed)?;
    Ok((wasmtime_wasi::p2::subscribe(table, timer)?,))
}

/// A timer that has always already fired.
struct Elapsed;

#[async_trait::async_trait]
impl Pollable for Elapsed {
    async fn ready(&mut self) {}
}

/// An empty WASI context whose stderr goes to `stderr`.
pub(super) fn empty_ctx(stderr: MemoryOutputPipe) -> WasiCtx {
    WasiCtx::builder()
        .stderr(stderr)
        .wall_clock(FrozenClock)
        .monotonic_clock(FrozenClock)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

/// A clock that always reads zero: the Unix epoch for the wall clock, a monotonic clock
/// that never advances.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}
