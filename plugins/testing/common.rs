//! Shared by the misbehaving test plugins (included with `#[path]`, not a crate, so each
//! plugin stays a single self-contained component).
//!
//! Each test plugin misbehaves only in `plan`. Its `describe` is normal, and its `judge`
//! is well behaved: it reports what the sandbox let it see (environment, arguments, files,
//! clock, network) so the host's tests can assert that it saw nothing.

use crate::netcheck::plugin::host::log;
use crate::netcheck::plugin::types::{
    EndpointKind, LogLevel, Observation, PluginInfo, Probe, ProbeContext, ServiceInfo, Status,
    Target, Verdict,
};

/// A normal, valid `describe` answer for the test plugin `name`.
pub fn describe(name: &str, what: &str) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        description: format!("netcheck sandbox test plugin: {what}"),
        services: vec![ServiceInfo {
            id: name.to_string(),
            host_patterns: vec![format!("{name}.test.invalid")],
            signing_name: None,
            vpc_endpoint: None,
            endpoint_kind: EndpointKind::None,
            actions: Vec::new(),
        }],
    }
}

/// A well-behaved `judge` whose message is a sandbox report of `key=value` pairs:
///
/// `env` / `args`: how many environment variables / arguments the plugin sees;
/// `root`, `passwd`, `dot`: whether listing `/`, reading `/etc/passwd`, or listing the
/// working directory worked (`denied` or what was found); `time`: seconds since the Unix
/// epoch on the wall clock; `slept`: an hour-long sleep returned (the host makes every
/// timer already due, so a plugin cannot block it; if that breaks, this call hangs);
/// `tcp`: whether a TCP connect to 127.0.0.1:9 worked.
/// The probe label and observation kind are echoed so callers can check the arguments
/// arrived intact.
pub fn judge_sandbox_report(
    target: Target,
    probe: Probe,
    observation: Observation,
    context: ProbeContext,
) -> Verdict {
    let env = std::env::vars_os().count();
    let args = std::env::args_os().count();
    let root = match std::fs::read_dir("/") {
        Ok(entries) => format!("{}-entries", entries.count()),
        Err(_) => "denied".to_string(),
    };
    let passwd = match std::fs::read("/etc/passwd") {
        Ok(bytes) => format!("{}-bytes", bytes.len()),
        Err(_) => "denied".to_string(),
    };
    let dot = match std::fs::read_dir(".") {
        Ok(entries) => format!("{}-entries", entries.count()),
        Err(_) => "denied".to_string(),
    };
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    std::thread::sleep(std::time::Duration::from_secs(3600));
    let slept = "yes";
    let tcp = match std::net::TcpStream::connect(("127.0.0.1", 9)) {
        Ok(_) => "connected",
        Err(_) => "denied",
    };
    let seen = match observation {
        Observation::Connected => "connected".to_string(),
        Observation::Http(response) => format!("http-{}", response.status),
    };
    let report = format!(
        "env={env} args={args} root={root} passwd={passwd} dot={dot} time={time} slept={slept} \
         tcp={tcp} \
         probe={} seen={seen} signed={} host={}",
        probe.label, context.signed, target.host
    );
    log(LogLevel::Info, &format!("sandbox report: {report}"));
    Verdict {
        status: Status::Pass,
        reason: "sandbox-report".to_string(),
        message: report,
        hint: None,
        try_next: false,
    }
}
