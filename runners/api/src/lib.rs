//! The contract between netcheck's host and its runners.
//!
//! A [`Plan`] is everything needed to run the checks somewhere else: it is plain,
//! serialisable data (it travels in a Lambda invoke payload) and carries no
//! credentials. A [`Runner`] decides *where* the plan runs and hands each location's
//! plan to an [`Executor`] — the host's probe pipeline — running there.
//!
//! ```
//! use netcheck_runner_api::{Status, CheckResult};
//! let r = CheckResult::new("db", "default", "tcp://10.0.0.5:5432", "tcp");
//! assert_eq!(r.status, Status::Fail); // nothing has been proven yet
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod outcome;
mod progress;
mod redact;
pub mod remote;
pub use outcome::{Objection, Resources, RunError, RunOutcome};
pub use progress::{NoProgress, Progress};
pub use redact::redact_url;

/// The checks to run and how to run them. Built by the host from configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub checks: Vec<CheckSpec>,
    /// How many checks run at once.
    pub concurrency: usize,
    /// DNS servers to use instead of the system's (`127.0.0.1:5353`); empty = system.
    #[serde(default)]
    pub nameservers: Vec<String>,
}

/// One endpoint to check, fully resolved from configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckSpec {
    /// Display name, unique within the plan.
    pub name: String,
    /// The named set it came from.
    pub set: String,
    /// The parsed target the plugin sees.
    pub target: Target,
    /// Name of the plugin that plans and judges this check.
    pub plugin: String,
    /// Whole-check deadline, milliseconds.
    pub timeout_ms: u64,
    #[serde(default)]
    pub tls: TlsOptions,
}

/// TLS verification settings for one check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TlsOptions {
    /// Verify the peer certificate chain and name (default true).
    pub verify: bool,
    /// Extra trusted CA certificates (PEM text, not a path: the plan travels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_pem: Option<String>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            verify: true,
            ca_pem: None,
        }
    }
}

/// The endpoint as the host parsed it. Mirrors the WIT `target` record.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Target {
    pub url: String,
    /// `https`, `http`, `tcp` or `tls`.
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub path_and_query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsEndpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<(String, String)>,
}

/// AWS facts read from an endpoint host name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct AwsEndpoint {
    pub service_label: String,
    pub region: Option<String>,
    pub partition: String,
    pub fips: bool,
    pub dualstack: bool,
    pub vpc_endpoint_id: Option<String>,
    pub account: Option<String>,
    pub resource: Option<String>,
}

/// Outcome class of a check.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// What one check found. This is the documented JSON result schema (`schema_version` 1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckResult {
    pub name: String,
    pub set: String,
    pub url: String,
    pub plugin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Where the probe ran: `local`, or a subnet id for remote runners.
    #[serde(default = "local")]
    pub location: String,
    pub status: Status,
    /// Machine-readable reason (see the README's reason table).
    pub reason: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The IAM action the deciding probe needed, when it is an AWS call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    pub phases: Phases,
    /// Wall time of the whole check, milliseconds.
    pub duration_ms: f64,
}

fn local() -> String {
    "local".to_string()
}

impl CheckResult {
    /// A result that has proven nothing yet: `fail` until a verdict replaces it. `url`
    /// is kept as given unless it carries a password or a credential-like query value,
    /// which [`redact_url`] replaces: a result is printed and travels.
    pub fn new(name: &str, set: &str, url: &str, plugin: &str) -> Self {
        CheckResult {
            name: name.to_string(),
            set: set.to_string(),
            url: redact_url(url),
            plugin: plugin.to_string(),
            service: None,
            location: local(),
            status: Status::Fail,
            reason: "pending".to_string(),
            message: String::new(),
            hint: None,
            action: None,
            phases: Phases::default(),
            duration_ms: 0.0,
        }
    }
}

/// Timings and facts per network phase. A phase that did not run is absent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Phases {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpPhase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsPhase>,
    /// One entry per HTTP probe sent (fallbacks included), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpPhase>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DnsPhase {
    pub ms: f64,
    pub answers: Vec<DnsAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Something worth knowing that did not fail the lookup (one address family never
    /// answered, and the other's answers were used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DnsAnswer {
    pub ip: String,
    /// `private` (RFC 1918, ULA, CGNAT), `public`, `loopback`, `link-local`.
    pub scope: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TcpPhase {
    pub ms: f64,
    /// The address that answered, or the last one tried.
    pub peer: String,
    pub connected: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TlsPhase {
    pub ms: f64,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// RFC 3339 expiry of the peer certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct HttpPhase {
    /// The plugin's label for the probe (`ListKeys`).
    pub probe: String,
    pub method: String,
    pub path: String,
    pub signed: bool,
    pub ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A few headers worth seeing (`server`, `date`, `x-amzn-requestid`, `content-type`, `location`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The first bytes of the body, lossily decoded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body_prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Runs a plan *here*: the host's probe pipeline. Runners call it locally or ship the
/// plan to where an executor runs (a Lambda function, an EC2 instance).
#[async_trait::async_trait]
pub trait Executor: Send + Sync {
    async fn execute(&self, plan: &Plan, progress: Arc<dyn Progress>) -> Vec<CheckResult>;
}

/// An error and its sources, `: `-separated, each message once (the SDK's wrappers
/// repeat their source's text).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Decides where a plan's checks run and collects their results.
#[async_trait::async_trait]
pub trait Runner: Send + Sync {
    /// `local`, `lambda`, `ec2`.
    fn name(&self) -> &'static str;

    /// Run the plan at every location this runner targets; results carry `location`.
    /// The outcome names every resource the run created, removed, left or kept, whether
    /// or not it produced results.
    async fn run(
        &self,
        plan: &Plan,
        executor: Arc<dyn Executor>,
        progress: Arc<dyn Progress>,
    ) -> RunOutcome;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_round_trips_through_json() {
        let plan = Plan {
            checks: vec![CheckSpec {
                name: "kms".into(),
                set: "aws-core".into(),
                target: Target {
                    url: "https://kms.eu-west-1.amazonaws.com/".into(),
                    scheme: "https".into(),
                    host: "kms.eu-west-1.amazonaws.com".into(),
                    port: 443,
                    path_and_query: "/".into(),
                    aws: Some(AwsEndpoint {
                        service_label: "kms".into(),
                        region: Some("eu-west-1".into()),
                        partition: "aws".into(),
                        ..Default::default()
                    }),
                    service: Some("kms".into()),
                    region: Some("eu-west-1".into()),
                    options: vec![("k".into(), "v".into())],
                },
                plugin: "kms".into(),
                timeout_ms: 5000,
                tls: TlsOptions::default(),
            }],
            concurrency: 8,
            nameservers: vec![],
        };
        let json = serde_json::to_string(&plan).unwrap();
        let back: Plan = serde_json::from_str(&json).unwrap();
        assert_eq!(plan, back);
    }

    #[test]
    fn result_urls_never_carry_a_password() {
        let r = CheckResult::new("db", "s", "https://admin:hunter2@db.internal/", "https");
        assert_eq!(r.url, "https://admin:REDACTED@db.internal/");
    }

    #[test]
    fn result_location_defaults_to_local() {
        let json = r#"{"name":"a","set":"s","url":"u","plugin":"p","status":"warn","reason":"r",
            "message":"m","phases":{},"duration_ms":1.5}"#;
        let r: CheckResult = serde_json::from_str(json).unwrap();
        assert_eq!(r.location, "local");
        assert_eq!(r.status, Status::Warn);
    }
}
