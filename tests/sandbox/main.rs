//! The plugin sandbox, end to end, with the misbehaving plugins in `plugins/testing/`:
//!
//! - `spin` loops, `hog` allocates, `trap` panics and `bloat` answers 8 MiB, all in `plan`;
//!   each fails with its own `PluginCallError` while a well-behaved call keeps working;
//! - a plugin sees no environment, arguments, files, network or clock, and cannot sleep;
//! - calls work from plain threads and from both kinds of Tokio runtime;
//! - the precompiled cache is reused, and a corrupted entry is recompiled;
//! - components built for another contract version, or not plugins at all, are refused.
//!
//! No assertion depends on elapsed time: the deadline guarantees termination by construction.
//! The deadline is wall-clock time, so where a test expects another failure (memory,
//! output, trap) it gives that plugin a deadline no loaded machine can reach first.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use netcheck_plugin_host::{
    Limits, Observation, PluginCallError, PluginHost, PluginLoadError, PluginSource, Probe,
    ProbeContext, ProbeKind, Signing, Status,
};
use netcheck_runner_api::Target;

const MISBEHAVING: [&str; 4] = ["spin", "hog", "trap", "bloat"];

fn test_plugin(name: &str) -> PathBuf {
    Path::new(netcheck_plugin_host::build_facts::TEST_PLUGIN_DIR).join(format!("{name}.wasm"))
}

/// A host with the named test plugins loaded. The tests share a compile cache (cargo's
/// scratch directory for tests), which also exercises concurrent cache use.
fn host_with(names: &[&str]) -> PluginHost {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sandbox-plugin-cache");
    let mut host = PluginHost::new(Limits::default(), Some(cache)).expect("plugin host starts");
    for name in names {
        host.load_file(&test_plugin(name))
            .unwrap_or_else(|e| panic!("loading test plugin: {e}"));
    }
    host
}

/// The default limits with a deadline a slow machine cannot hit before the other limits.
fn without_deadline() -> Limits {
    Limits {
        cpu_deadline: std::time::Duration::from_secs(600),
        ..Limits::default()
    }
}

/// [`host_with`], with only `spin` under the default deadline.
fn host_for_other_limits(names: &[&str]) -> PluginHost {
    let mut host = host_with(names);
    for name in names.iter().filter(|&&name| name != "spin") {
        host.set_limits(name, without_deadline());
    }
    host
}

fn target() -> Target {
    Target {
        url: "tcp://127.0.0.1:9".into(),
        scheme: "tcp".into(),
        host: "127.0.0.1".into(),
        port: 9,
        ..Target::default()
    }
}

fn probe() -> Probe {
    Probe {
        label: "connect".into(),
        kind: ProbeKind::Connect,
        signing: Signing::None,
        action: None,
    }
}

const CONTEXT: ProbeContext = ProbeContext {
    signed: false,
    clock_offset_seconds: None,
};

/// The well-behaved call every test plugin offers: its `judge`, which reports what the
/// sandbox let it see.
fn sandbox_report(host: &PluginHost, plugin: &str) -> Result<String, PluginCallError> {
    let verdict = host.judge(
        plugin,
        &target(),
        &probe(),
        &Observation::Connected,
        &CONTEXT,
    )?;
    assert_eq!(verdict.status, Status::Pass);
    assert_eq!(verdict.reason, "sandbox-report");
    Ok(verdict.message)
}

#[test]
fn spin_is_stopped_at_the_cpu_deadline() {
    let host = host_with(&["spin"]);
    let err = host
        .plan("spin", &target())
        .expect_err("spin never returns");
    assert!(matches!(err, PluginCallError::Deadline { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "plugin `spin` exceeded its 250 ms CPU deadline"
    );
}

#[test]
fn hog_is_stopped_at_the_memory_cap() {
    let host = host_for_other_limits(&["hog"]);
    let err = host.plan("hog", &target()).expect_err("hog never returns");
    assert!(matches!(err, PluginCallError::MemoryCap { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "plugin `hog` exceeded its 64 MiB memory cap"
    );
}

#[test]
fn trap_reports_the_trap_and_the_panic_message() {
    let host = host_for_other_limits(&["trap"]);
    let err = host.plan("trap", &target()).expect_err("trap panics");
    assert!(matches!(err, PluginCallError::Trapped { .. }), "{err}");
    let message = err.to_string();
    assert!(message.starts_with("plugin `trap` trapped: "), "{message}");
    assert!(message.contains("unreachable"), "{message}");
    assert!(
        message.contains("deliberate panic in plan (trap test plugin)"),
        "{message}"
    );
}

#[test]
fn bloat_is_refused_by_the_output_cap() {
    let host = host_for_other_limits(&["bloat"]);
    let err = host
        .plan("bloat", &target())
        .expect_err("bloat answers 8 MiB");
    assert!(matches!(err, PluginCallError::OutputCap { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "plugin `bloat` returned 8.0 MiB, over the 256 KiB output cap"
    );
}

#[test]
fn misbehaving_plugins_do_not_disturb_a_well_behaved_call() {
    let host = host_for_other_limits(&MISBEHAVING);
    let before = sandbox_report(&host, "trap").expect("judge works before");
    let failing_done = AtomicBool::new(false);
    let (failed, good) = std::thread::scope(|scope| {
        let good = scope.spawn(|| {
            let mut reports = Vec::new();
            // At least a few calls, and keep calling while the others fail.
            while reports.len() < 5 || !failing_done.load(Ordering::SeqCst) {
                reports.push(sandbox_report(&host, "trap"));
            }
            reports
        });
        let failing: Vec<_> = MISBEHAVING
            .iter()
            .map(|&name| {
                let host = &host;
                scope.spawn(move || (name, host.plan(name, &target())))
            })
            .collect();
        let failed: Vec<_> = failing.into_iter().map(|h| h.join()).collect();
        failing_done.store(true, Ordering::SeqCst);
        (failed, good.join())
    });
    for result in failed {
        let (name, result) = result.expect("failing call thread");
        let kind = result.map(|_| "ok").unwrap_or_else(|e| e.kind());
        let expected = match name {
            "spin" => "deadline",
            "hog" => "memory-cap",
            "trap" => "trap",
            _ => "output-cap",
        };
        assert_eq!(kind, expected, "plugin {name}");
    }
    for report in good.expect("well-behaved call thread") {
        assert_eq!(report.expect("judge works meanwhile"), before);
    }
    // And every plugin still works afterwards: a failed call leaves nothing behind.
    for name in MISBEHAVING {
        assert_eq!(
            sandbox_report(&host, name).expect("judge works after"),
            before.clone()
        );
    }
}

#[test]
fn plugins_see_no_environment_files_network_or_clock() {
    assert!(
        std::env::vars_os().count() > 0,
        "the test process has environment variables the plugin must not see"
    );
    let host = host_with(&["trap"]);
    let report = sandbox_report(&host, "trap").expect("judge works");
    for seen in [
        "env=0",
        "args=0",
        "root=denied",
        "passwd=denied",
        "dot=denied",
        "time=0",
        "slept=yes",
        "tcp=denied",
    ] {
        assert!(report.contains(seen), "expected {seen} in: {report}");
    }
    // The arguments crossed intact.
    assert!(report.contains("probe=connect seen=connected signed=false host=127.0.0.1"));
}

#[test]
fn calls_work_from_tokio_runtimes() {
    let host = Arc::new(host_for_other_limits(&["trap"]));
    let runtimes = [
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("multi-thread runtime"),
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("current-thread runtime"),
    ];
    for runtime in runtimes {
        let host = host.clone();
        runtime.block_on(async move {
            // Directly in the runtime's `block_on`, then in a spawned task.
            let direct = host.plan("trap", &target());
            assert!(
                matches!(direct, Err(PluginCallError::Trapped { .. })),
                "{direct:?}"
            );
            let task_host = host.clone();
            let (trapped, report) = tokio::spawn(async move {
                // A trapping plugin writes its panic to stderr, which goes through WASI's
                // blocking stream calls: they must not panic inside the runtime.
                let trapped = task_host.plan("trap", &target());
                (trapped, sandbox_report(&task_host, "trap"))
            })
            .await
            .expect("task completes");
            assert!(
                matches!(trapped, Err(PluginCallError::Trapped { .. })),
                "{trapped:?}"
            );
            assert!(report.expect("judge works").contains("env=0"));
        });
    }
}

#[test]
fn limits_can_be_tightened_per_plugin() {
    let mut host = host_with(&["spin", "hog", "trap"]);
    // Each override replaces the whole `Limits`: only the limit under test is tight.
    host.set_limits(
        "spin",
        Limits {
            cpu_deadline: std::time::Duration::from_millis(20),
            ..Limits::default()
        },
    );
    host.set_limits(
        "hog",
        Limits {
            memory_bytes: 8 << 20,
            ..without_deadline()
        },
    );
    host.set_limits(
        "trap",
        Limits {
            max_output_bytes: 10,
            ..without_deadline()
        },
    );
    let spin = host.plan("spin", &target()).expect_err("spins");
    assert_eq!(
        spin.to_string(),
        "plugin `spin` exceeded its 20 ms CPU deadline"
    );
    let hog = host.plan("hog", &target()).expect_err("hogs");
    assert_eq!(
        hog.to_string(),
        "plugin `hog` exceeded its 8 MiB memory cap"
    );
    let judged = sandbox_report(&host, "trap").expect_err("report is over 10 bytes");
    assert!(
        matches!(judged, PluginCallError::OutputCap { cap: 10, .. }),
        "{judged}"
    );
}

#[test]
fn precompiled_cache_is_reused_and_a_corrupt_entry_recompiled() {
    use std::os::unix::fs::MetadataExt;

    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let load = || {
        let mut host =
            PluginHost::new(Limits::default(), Some(cache.clone())).expect("plugin host starts");
        host.load_file(&test_plugin("trap")).expect("trap loads");
        sandbox_report(&host, "trap").expect("judge works")
    };
    let entry = || {
        let entries: Vec<PathBuf> = std::fs::read_dir(&cache)
            .expect("cache directory exists")
            .map(|e| e.expect("cache entry").path())
            .collect();
        assert_eq!(
            entries.len(),
            1,
            "one artifact, no temporary files: {entries:?}"
        );
        entries.into_iter().next().expect("one entry")
    };

    let first = load();
    let artifact = entry();
    let inode = std::fs::metadata(&artifact).expect("artifact").ino();

    // A hit reads the artifact and leaves it alone (a rewrite would be a new inode).
    assert_eq!(load(), first);
    assert_eq!(std::fs::metadata(&artifact).expect("artifact").ino(), inode);

    // A corrupted artifact is recompiled and replaced.
    let good = std::fs::read(&artifact).expect("artifact bytes");
    let mut bad = good.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0x5a;
    std::fs::write(&artifact, &bad).expect("corrupt the artifact");
    assert_eq!(load(), first);
    assert_eq!(entry(), artifact);
    assert_eq!(std::fs::read(&artifact).expect("rewritten artifact"), good);
}

#[test]
fn a_later_load_with_the_same_name_replaces_the_earlier() {
    let mut host = host_with(&["trap"]);
    let bytes = std::fs::read(test_plugin("trap")).expect("trap.wasm");
    host.load_bytes(&bytes, PluginSource::Bundled)
        .expect("loads again");
    assert_eq!(host.plugins().len(), 1);
    let meta = host.find("trap").expect("trap is loaded");
    assert_eq!(meta.source, PluginSource::Bundled);
    assert_eq!(meta.version, "0.1.0");
    assert_eq!(meta.info.services[0].host_patterns, ["trap.test.invalid"]);
    assert_eq!(meta.sha256.len(), 64);
}

/// A component exporting an (empty) instance under `name`.
fn component_exporting(name: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(component (instance $i) (export "{name}" (instance $i)))"#
    ))
    .expect("test component assembles")
}

#[test]
fn a_plugin_for_another_contract_version_is_refused_with_the_fix() {
    let mut host = host_with(&[]);
    let bytes = component_exporting("netcheck:plugin/checker@1.0.0");
    let source = PluginSource::File(PathBuf::from("/plugins/future.wasm"));
    let err = host.load_bytes(&bytes, source).expect_err("refused");
    assert!(
        matches!(err, PluginLoadError::VersionMismatch { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "plugin /plugins/future.wasm: built for netcheck:plugin@1.0.0, but this netcheck \
             supports netcheck:plugin@0.1.x; rebuild it against wit/ from netcheck {}",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(host.plugins().is_empty());
}

#[test]
fn a_component_without_the_checker_functions_is_refused() {
    let mut host = host_with(&[]);
    let bytes = component_exporting("netcheck:plugin/checker@0.1.0");
    let err = host
        .load_bytes(&bytes, PluginSource::File(PathBuf::from("hollow.wasm")))
        .expect_err("refused");
    assert!(matches!(err, PluginLoadError::Incompatible { .. }), "{err}");
    assert!(
        err.to_string().starts_with(
            "plugin hollow.wasm: does not export the functions of netcheck:plugin/checker@0.1.0"
        ),
        "{err}"
    );
}

#[test]
fn a_component_needing_other_imports_is_refused() {
    let mut host = host_with(&[]);
    let bytes = wat::parse_str(
        r#"(component
            (import "evil:net/raw-sockets@1.0.0" (instance (export "open" (func))))
            (instance $i)
            (export "netcheck:plugin/checker@0.1.0" (instance $i)))"#,
    )
    .expect("test component assembles");
    let err = host
        .load_bytes(&bytes, PluginSource::File(PathBuf::from("greedy.wasm")))
        .expect_err("refused");
    assert!(matches!(err, PluginLoadError::Incompatible { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("plugin greedy.wasm: needs an import netcheck does not provide"),
        "{message}"
    );
    assert!(message.contains("evil:net/raw-sockets@1.0.0"), "{message}");
}

#[test]
fn plugin_log_lines_reach_tracing_with_the_plugin_name() {
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let host = host_with(&["trap"]);
    // The process-wide default, not a scoped one: other tests in this binary hit the same
    // log callsite concurrently, and a thread-scoped subscriber raced with them over the
    // callsite's cached interest (seen failing in CI twice). No other test here sets a
    // subscriber, so this one may own the global default.
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    tracing::callsite::rebuild_interest_cache();
    let report = sandbox_report(&host, "trap").expect("judge works");
    let logs =
        String::from_utf8(captured.0.lock().expect("log buffer").clone()).expect("logs are UTF-8");
    assert!(
        logs.contains(&format!("sandbox report: {report}")),
        "{logs}"
    );
    assert!(logs.contains("plugin=trap"), "{logs}");
}

#[test]
fn a_component_that_is_not_a_plugin_is_refused_listing_its_exports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cli.wasm");
    std::fs::write(&path, component_exporting("wasi:cli/run@0.2.0")).expect("write component");
    let mut host = host_with(&[]);
    let err = host.load_file(&path).expect_err("refused");
    assert!(matches!(err, PluginLoadError::NotAPlugin { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "plugin {}: not a netcheck plugin (exports: wasi:cli/run@0.2.0)",
            path.display()
        )),
        "{message}"
    );
}

#[test]
fn unreadable_and_invalid_files_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut host = host_with(&[]);
    let missing = dir.path().join("missing.wasm");
    let err = host.load_file(&missing).expect_err("no such file");
    assert!(matches!(err, PluginLoadError::Read { .. }), "{err}");
    assert!(err.to_string().contains(&missing.display().to_string()));

    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"not wasm at all").expect("write junk");
    let err = host.load_file(&junk).expect_err("not a component");
    assert!(matches!(err, PluginLoadError::Compile { .. }), "{err}");
    assert!(err.to_string().contains(&junk.display().to_string()));

    // A file that starts like WebAssembly but is garbage after the header: one short
    // line for people, not a multi-line dump of the parser's internals.
    let mut garbage = b"\0asm\x0d\0\x01\0".to_vec();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    std::fs::write(&junk, &garbage).expect("write garbage");
    let text = host.load_file(&junk).expect_err("garbage").to_string();
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(text.len() < 800, "{} characters: {text}", text.len());
    assert!(!text.contains("Debug") && !text.contains("{ "), "{text}");
}

#[test]
fn bundled_plugins_load_under_their_bundled_names() {
    let mut host = host_with(&[]);
    host.load_bundled().expect("bundled plugins load");
    let bundled = netcheck_plugin_host::bundled();
    assert_eq!(host.plugins().len(), bundled.len());
    for (name, _) in bundled {
        let meta = host
            .find(name)
            .unwrap_or_else(|| panic!("bundled plugin {name} describes itself as {name}"));
        assert_eq!(meta.source, PluginSource::Bundled);
    }
    for test_plugin in MISBEHAVING {
        assert!(
            bundled.iter().all(|(name, _)| *name != test_plugin),
            "test plugin {test_plugin} must not be bundled"
        );
    }
}

/// Per-call overhead of the sandbox (fresh store + instantiate + call), plan and judge on
/// the bundled `tcp` plugin. Run with `cargo test -p netcheck --release --test sandbox --
/// --ignored --nocapture`.
#[test]
#[ignore = "measurement, not a check"]
fn measure_call_overhead() {
    let mut host = host_with(&[]);
    host.load_bundled().expect("bundled plugins load");
    let target = target();
    let rounds: u32 = 2000;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let probes = host.plan("tcp", &target).expect("tcp plans");
        let probe = probes.first().expect("tcp plans a probe");
        host.judge("tcp", &target, probe, &Observation::Connected, &CONTEXT)
            .expect("tcp judges");
    }
    let per_round = start.elapsed() / rounds;
    eprintln!("plan + judge on bundled tcp: {per_round:?} per round ({rounds} rounds)");
}
