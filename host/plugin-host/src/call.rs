//! One call into a plugin: a fresh store and instance under the call's limits, the
//! function call, the output cap, and failures classified for people.
//!
//! Every call gets a new `Store` instantiated from the plugin's `InstancePre`, so no state
//! survives between calls and one plugin's failure cannot affect the next call.

use std::sync::Arc;

use wasmtime::{Engine, Store, Trap};

use super::bindings::{Plugin, PluginPre};
use super::errors::PluginCallError;
use super::limits::{Limits, deadline_ticks};
use super::output::OutputSize;
use super::store::StoreData;

/// Calls `f` on a new instance of `pre` and checks the answer against `limits`.
pub(super) fn call<R, F>(
    engine: &Engine,
    pre: &PluginPre<StoreData>,
    plugin: &Arc<str>,
    limits: Limits,
    f: F,
) -> Result<R, PluginCallError>
where
    R: OutputSize + Send,
    F: FnOnce(&Plugin, &mut Store<StoreData>) -> wasmtime::Result<R> + Send,
{
    outside_async_context(|| {
        let mut store = Store::new(engine, StoreData::new(plugin.clone(), limits.memory_bytes));
        store.limiter(|data| &mut data.limiter);
        store.set_epoch_deadline(deadline_ticks(limits.cpu_deadline));
        let answer = pre
            .instantiate(&mut store)
            .and_then(|instance| f(&instance, &mut store));
        let answer = answer.map_err(|error| classify(&error, &store, plugin, limits))?;
        let bytes = answer.output_bytes();
        if bytes > limits.max_output_bytes {
            return Err(PluginCallError::OutputCap {
                plugin: plugin.to_string(),
                bytes,
                cap: limits.max_output_bytes,
            });
        }
        Ok(answer)
    })
}

fn classify(
    error: &wasmtime::Error,
    store: &Store<StoreData>,
    plugin: &str,
    limits: Limits,
) -> PluginCallError {
    let plugin = plugin.to_string();
    if store.data().limiter.hit() {
        return PluginCallError::MemoryCap {
            plugin,
            cap: limits.memory_bytes,
        };
    }
    let trap = error.downcast_ref::<Trap>();
    if trap == Some(&Trap::Interrupt) {
        return PluginCallError::Deadline {
            plugin,
            deadline: limits.cpu_deadline,
        };
    }
    let mut what = match trap {
        Some(trap) => trap.to_string(),
        None => error
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    if let Some(stderr) = store.data().stderr_tail() {
        what.push_str(&format!(" (stderr: {stderr})"));
    }
    PluginCallError::Trapped { plugin, trap: what }
}

/// Runs `f` where WASI's blocking host calls may run.
///
/// wasmtime-wasi's synchronous bindings drive some host calls (stream writes, polls) with
/// `Handle::block_on`, which panics on a Tokio worker thread. Plugin calls come from Tokio
/// tasks, so on a multi-threaded runtime the call runs under `block_in_place` (which also
/// lets the runtime move other tasks off this thread while a plugin computes), on a
/// current-thread runtime it runs on a scoped helper thread, and elsewhere it runs here.
fn outside_async_context<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Err(_) => f(),
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        Ok(_) => std::thread::scope(|scope| match scope.spawn(f).join() {
            Ok(answer) => answer,
            Err(panic) => std::panic::resume_unwind(panic),
        }),
    }
}
