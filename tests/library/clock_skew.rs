//! End-to-end, library level: a signer whose clock is 20 minutes off gets `clock-skew`
//! from ministack for sts, kms, ssm and s3, and the verdict's message states the offset.
//!
//! The CLI cannot skew its clock, so this drives [`netcheck_engine::execute::Pipeline`] directly
//! with `Signer::with_clock_skew`. ministack verifies the request time only for IAM-user
//! keys (`tests/EMULATORS.md`), so the checks sign with the emulator's `admin` user:
//! STS allows 15 minutes of skew, KMS/SSM 5, and S3 rejects 20 minutes too, so ±1200 s
//! is refused by all four. The host measures the offset between the signing clock and
//! the server's `Date` header; the plugins put it in the message.
//!
//! Needs the test venv: `scripts/setup.sh`. Run: `cargo test -p netcheck --test library -- clock_skew::`.

use netcheck_test_support as support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use netcheck_engine::execute::Pipeline;
use netcheck_engine::plan::parse_target;
use netcheck_engine::session::{PluginChoice, Session};
use netcheck_engine::sign::{Credentials, Signer};
use netcheck_policy::Policy;
use netcheck_runner_api::{CheckResult, CheckSpec, Status};
use support::emulators::{Emulator, Ministack};

/// How far the signing clock is moved: beyond every service's tolerance (STS 15 min).
const SKEW: Duration = Duration::from_secs(1200);

/// The services whose probes ministack time-checks, as plugin and service id.
const SERVICES: [&str; 4] = ["sts", "kms", "ssm", "s3"];

/// Precompiled plugins, shared with the CLI runs of the other e2e tests.
fn plugin_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache/netcheck/plugins")
}

/// The engine a run would build, but signing with `keys` on a clock `SKEW` off.
fn engine(keys: &support::emulators::Keys, ahead: bool) -> Pipeline {
    // The built-in policy signs only for AWS endpoints; the emulator is on 127.0.0.1.
    let policy = Policy::from_toml(
        "[signing]\nhosts = [\"127.0.0.1\"]\n",
        Path::new("clock-skew-test-policy.toml"),
    )
    .unwrap_or_else(|e| panic!("test policy: {e}"));
    let session = Session::admit(
        Arc::new(policy),
        &PluginChoice {
            cache_dir: Some(plugin_cache()),
            ..PluginChoice::default()
        },
    )
    .unwrap_or_else(|e| panic!("loading the bundled plugins: {e:#}"));
    let creds = Credentials::new(
        &keys.access_key_id,
        &keys.secret_access_key,
        None,
        None,
        "clock-skew-test",
    );
    session
        .pipeline(
            &[],
            Arc::new(Signer::from_credentials(creds).with_clock_skew(SKEW, ahead)),
        )
        .unwrap_or_else(|e| panic!("creating the prober: {e:#}"))
}

/// One check of `service` at the emulator, built the way the e2e configs build them.
fn spec(emu: &Ministack, service: &str) -> CheckSpec {
    let mut target =
        parse_target(&emu.endpoint()).unwrap_or_else(|e| panic!("parsing {}: {e}", emu.endpoint()));
    target.service = Some(service.to_string());
    target.region = Some("us-east-1".to_string());
    CheckSpec {
        name: service.to_string(),
        set: "clock-skew".to_string(),
        target,
        plugin: service.to_string(),
        timeout_ms: 10_000,
        tls: Default::default(),
    }
}

fn run_all(emu: &Ministack, ahead: bool) -> Vec<CheckResult> {
    let engine = engine(emu.admin(), ahead);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("building a tokio runtime");
    runtime.block_on(async {
        let mut results = Vec::new();
        for service in SERVICES {
            results.push(engine.run_check(&spec(emu, service)).await);
        }
        results
    })
}

/// The offset in seconds a clock-skew message states, signed like the host's
/// (positive = local clock ahead), e.g. "local clock is 1200 s ahead of the server".
fn stated_offset(message: &str) -> Option<i64> {
    let rest = &message[message.find("local clock is ")? + "local clock is ".len()..];
    let (number, rest) = rest.split_once(" s ")?;
    let seconds: i64 = number.trim().parse().ok()?;
    if rest.starts_with("ahead") {
        Some(seconds)
    } else if rest.starts_with("behind") {
        Some(-seconds)
    } else {
        None
    }
}

fn assert_clock_skew(results: &[CheckResult], want_offset: i64) {
    assert_eq!(results.len(), SERVICES.len());
    for result in results {
        let shown = serde_json::to_string_pretty(result).unwrap_or_default();
        assert_eq!(
            (result.status, result.reason.as_str()),
            (Status::Fail, "clock-skew"),
            "check `{}`: want fail/clock-skew:\n{shown}",
            result.name
        );
        let http = result
            .phases
            .http
            .last()
            .unwrap_or_else(|| panic!("`{}` sent no HTTP probe:\n{shown}", result.name));
        assert!(
            http.signed,
            "`{}`: the probe was not signed:\n{shown}",
            result.name
        );
        assert!(
            (400..500).contains(&http.status.unwrap_or_default()),
            "`{}`: ministack should refuse the request time with a 4xx:\n{shown}",
            result.name
        );
        let offset = stated_offset(&result.message).unwrap_or_else(|| {
            panic!(
                "`{}`: the message does not state the clock offset:\n{shown}",
                result.name
            )
        });
        // The Date header has one-second resolution and the check takes a moment.
        assert!(
            (offset - want_offset).abs() <= 5,
            "`{}`: message states {offset} s, want about {want_offset} s:\n{shown}",
            result.name
        );
    }
}

#[test]
fn offsets_are_parsed_from_messages() {
    assert_eq!(
        stated_offset("AWS rejected it (HTTP 403): local clock is 1200 s ahead of the server"),
        Some(1200)
    );
    assert_eq!(
        stated_offset("x: local clock is 1199 s behind the server: y"),
        Some(-1199)
    );
    assert_eq!(
        stated_offset("x: local clock agrees with the server's Date header"),
        None
    );
}

/// One ministack for both directions: each check signs with its own skewed clock.
#[test]
fn skewed_clock_is_clock_skew_stating_the_offset() {
    let emu = Ministack::start();
    let ahead = run_all(&emu, true);
    let behind = run_all(&emu, false);
    assert_clock_skew(&ahead, SKEW.as_secs() as i64);
    assert_clock_skew(&behind, -(SKEW.as_secs() as i64));
}
