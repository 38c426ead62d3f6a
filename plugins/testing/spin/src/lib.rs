//! `spin`: loops forever in `plan`, to prove the CPU deadline stops it.
//!
//! A netcheck sandbox test plugin: `describe` and `judge` are normal (see
//! `plugins/testing/common.rs`); only `plan` misbehaves. Never bundled into netcheck;
//! the host's sandbox tests load it from `build_facts::TEST_PLUGIN_DIR` (host/plugin-host/build.rs).

wit_bindgen::generate!({
    world: "plugin",
    path: "../../../wit",
});

#[path = "../../common.rs"]
mod common;

use exports::netcheck::plugin::checker::Guest;
use netcheck::plugin::types::{Observation, PluginInfo, Probe, ProbeContext, Target, Verdict};

struct Plugin;

impl Guest for Plugin {
    fn describe() -> PluginInfo {
        common::describe("spin", "loops forever in plan")
    }

    fn plan(_target: Target) -> Result<Vec<Probe>, String> {
        let mut turns: u64 = 0;
        loop {
            turns = std::hint::black_box(turns.wrapping_add(1));
        }
    }

    fn judge(target: Target, probe: Probe, seen: Observation, context: ProbeContext) -> Verdict {
        common::judge_sandbox_report(target, probe, seen, context)
    }
}

export!(Plugin);
