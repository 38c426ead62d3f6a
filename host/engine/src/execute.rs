//! The check pipeline: for one [`CheckSpec`], ask the plugin for probes, walk the
//! network phases (DNS → TCP → TLS → HTTP), sign what must be signed, and let the
//! plugin judge each answer. [`Pipeline`] runs a whole plan concurrently and is the
//! [`Executor`] every runner hands plans to.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use netcheck_runner_api::{
    CheckResult, CheckSpec, Executor, HttpPhase, Plan, Progress, Status, Target,
};
use tokio::sync::Semaphore;

use crate::judge::{self, HostVerdict, ServiceFacts};
use crate::probe::{Connection, HttpAnswer, NetFailure, Prober};
use crate::sign::Signer;
use netcheck_plugin_host::{
    EndpointKind, HttpRequest, HttpResponse, Observation, PluginHost, Probe, ProbeContext,
    ProbeKind, Signing, Verdict,
};
use netcheck_policy::Policy;

/// The body prefix kept from each HTTP answer (for plugins and reports).
pub const BODY_CAP: usize = 16 * 1024;

/// Everything a check needs, shared by all checks of a run. Built by
/// [`Session::pipeline`](crate::session::Session::pipeline), which hands the prober the
/// same policy.
pub struct Pipeline {
    pub plugins: Arc<PluginHost>,
    /// What targets, resolved addresses and redirects may reach.
    pub policy: Arc<Policy>,
    pub prober: Arc<Prober>,
    pub signer: Arc<Signer>,
}

#[async_trait::async_trait]
impl Executor for Pipeline {
    async fn execute(&self, plan: &Plan, progress: Arc<dyn Progress>) -> Vec<CheckResult> {
        progress.planned(plan.checks.len());
        let limit = Arc::new(Semaphore::new(plan.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, spec) in plan.checks.iter().cloned().enumerate() {
            let engine = self.clone_parts();
            let limit = limit.clone();
            let progress = progress.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let result = engine.run_check(&spec).await;
                progress.finished(&result);
                (i, result)
            });
        }
        let mut results: Vec<(usize, CheckResult)> = Vec::with_capacity(plan.checks.len());
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(r) => results.push(r),
                Err(e) => tracing::error!(error = %e, "a check task failed to complete"),
            }
        }
        // A task that panicked must still leave a row: a missing check would read as "fine".
        let mut seen = vec![false; plan.checks.len()];
        for (i, _) in &results {
            seen[*i] = true;
        }
        for (i, spec) in plan.checks.iter().enumerate() {
            if !seen[i] {
                let mut r = CheckResult::new(&spec.name, &spec.set, &spec.target.url, &spec.plugin);
                r.reason = "internal-error".into();
                r.message = "the check stopped unexpectedly (see the log)".into();
                results.push((i, r));
            }
        }
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }
}

impl Pipeline {
    fn clone_parts(&self) -> Pipeline {
        Pipeline {
            plugins: self.plugins.clone(),
            policy: self.policy.clone(),
            prober: self.prober.clone(),
            signer: self.signer.clone(),
        }
    }

    /// Run one check to a verdict. Never fails: every problem becomes a verdict.
    pub async fn run_check(&self, spec: &CheckSpec) -> CheckResult {
        let started = Instant::now();
        let mut result = CheckResult::new(&spec.name, &spec.set, &spec.target.url, &spec.plugin);
        result.service = spec.target.service.clone();
        let deadline = started + Duration::from_millis(spec.timeout_ms);
        let outcome =
            tokio::time::timeout_at(deadline.into(), self.walk(spec, deadline, &mut result)).await;
        let verdict = match outcome {
            Ok(v) => v,
            Err(_) => Outcome::Host(judge::deadline(&spec.target, spec.timeout_ms)),
        };
        match verdict {
            Outcome::Host(v) => {
                result.status = v.status;
                result.reason = v.reason.to_string();
                result.message = v.message;
                result.hint = v.hint;
            }
            Outcome::Plugin(v, action) => {
                result.status = match v.status {
                    netcheck_plugin_host::Status::Pass => Status::Pass,
                    netcheck_plugin_host::Status::Warn => Status::Warn,
                    netcheck_plugin_host::Status::Fail => Status::Fail,
                };
                result.reason = v.reason;
                result.message = v.message;
                result.hint = v.hint;
                result.action = action;
            }
        }
        result.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        result
    }

    async fn walk(&self, spec: &CheckSpec, deadline: Instant, result: &mut CheckResult) -> Outcome {
        let target = &spec.target;
        let probes = match self.plugins.plan(&spec.plugin, target) {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => {
                return Outcome::Host(judge::plugin_error(format!(
                    "plugin `{}` planned no probes",
                    spec.plugin
                )));
            }
            Err(e) => return Outcome::Host(judge::plugin_error(e.to_string())),
        };
        let facts = self.service_facts(spec);

        // DNS gets most of the check's time; what is left is for the verdict to be written.
        let dns_budget = remaining(deadline).mul_f64(0.9);
        let (dns, addrs) = self.prober.resolve_within(&target.host, dns_budget).await;
        let answers = dns.answers.clone();
        result.phases.dns = Some(dns);
        let net_fail =
            |f: NetFailure| Outcome::Host(judge::network_failure(&f, target, &answers, &facts));
        if addrs.is_empty() {
            let failure = match &result.phases.dns.as_ref().and_then(|d| d.error.clone()) {
                Some(e) => NetFailure::DnsFailed(e.clone()),
                None => NetFailure::NoAddresses,
            };
            return net_fail(failure);
        }
        if let Err(v) = self.guard_addresses(target, &addrs) {
            return Outcome::Host(judge::policy_denied(&v));
        }

        let tls = matches!(target.scheme.as_str(), "https" | "tls");
        let mut conn = Connection::new(
            self.prober.clone(),
            addrs,
            target.port,
            tls.then(|| (target.host.clone(), spec.tls.clone())),
        );
        let phases = match conn.open(remaining(deadline)).await {
            Ok(p) => p,
            Err((p, failure)) => {
                result.phases.tcp = p.tcp;
                result.phases.tls = p.tls;
                return net_fail(failure);
            }
        };
        result.phases.tcp = phases.tcp;
        result.phases.tls = phases.tls;

        let mut last: Option<Outcome> = None;
        let mut dropped_on_redirect: Vec<String> = Vec::new();
        for (n, probe) in probes.iter().enumerate() {
            let more = n + 1 < probes.len();
            let (observation, context) = match &probe.kind {
                ProbeKind::Connect => (
                    Observation::Connected,
                    ProbeContext {
                        signed: false,
                        clock_offset_seconds: None,
                    },
                ),
                ProbeKind::Http(req) => {
                    let (request, signed) = match self.build_request(target, probe, req).await {
                        Ok(r) => r,
                        Err(v) => return Outcome::Host(v),
                    };
                    let (phase, answer) = conn.http(request, BODY_CAP, remaining(deadline)).await;
                    let mut phase: HttpPhase = phase;
                    phase.probe = probe.label.clone();
                    phase.signed = signed;
                    result.phases.http.push(phase);
                    let mut answer = match answer {
                        Ok(a) => a,
                        Err(f) => return net_fail(f),
                    };
                    if !signed {
                        match self
                            .follow_redirects(spec, req, answer, deadline, result)
                            .await
                        {
                            Ok(followed) => {
                                answer = followed.answer;
                                dropped_on_redirect = followed.dropped;
                            }
                            Err(outcome) => return outcome,
                        }
                    }
                    if signed && (200..300).contains(&answer.status) {
                        // An authenticated success can carry secrets (ECR's registry password,
                        // tokens): only error bodies are worth keeping in reports.
                        if let Some(phase) = result.phases.http.last_mut() {
                            phase.body_prefix.clear();
                        }
                    }
                    let clock_offset_seconds =
                        answer.date.map(|d| clock_offset(self.signer.now(), d));
                    let response = HttpResponse {
                        status: answer.status,
                        headers: answer.headers,
                        body: answer.body,
                    };
                    (
                        Observation::Http(response),
                        ProbeContext {
                            signed,
                            clock_offset_seconds,
                        },
                    )
                }
            };
            let mut verdict =
                match self
                    .plugins
                    .judge(&spec.plugin, target, probe, &observation, &context)
                {
                    Ok(v) => v,
                    Err(e) => return Outcome::Host(judge::plugin_error(e.to_string())),
                };
            if context.signed && verdict.reason == "signature-mismatch" {
                add_host_port_hint(&mut verdict, target);
            }
            if !dropped_on_redirect.is_empty() {
                verdict.message.push_str(&format!(
                    " (not sent after the redirect to another origin: {}; set the check option \
                     redirect-keep-headers = \"true\" to send them there)",
                    dropped_on_redirect.join(", ")
                ));
            }
            let try_next = verdict.try_next && more;
            last = Some(Outcome::Plugin(verdict, probe.action.clone()));
            if !try_next {
                break;
            }
        }
        last.unwrap_or_else(|| {
            Outcome::Host(judge::plugin_error("no probe was judged".to_string()))
        })
    }

    /// Turn a plugin's request into a wire request: Host header, length, and the signature.
    async fn build_request(
        &self,
        target: &Target,
        probe: &Probe,
        req: &HttpRequest,
    ) -> Result<(http::Request<Vec<u8>>, bool), HostVerdict> {
        let bad = |what: String| {
            judge::plugin_error(format!("plugin asked for an invalid request: {what}"))
        };
        let host_header = host_header(target);
        let path = if req.path_and_query.is_empty() {
            "/"
        } else {
            req.path_and_query.as_str()
        };
        let mut builder = http::Request::builder()
            .method(req.method.as_str())
            .uri(path)
            .header(http::header::HOST, &host_header)
            .header(
                http::header::USER_AGENT,
                concat!("netcheck/", env!("CARGO_PKG_VERSION")),
            );
        let signed = !matches!(probe.signing, Signing::None);
        for (name, value) in &req.headers {
            if name.eq_ignore_ascii_case("host") {
                continue; // the host owns it: it is what gets signed and what TLS names
            }
            if signed && name.eq_ignore_ascii_case("authorization") {
                return Err(bad(format!(
                    "an Authorization header on a signed probe ({}): the signature is the \
                     Authorization header, remove the configured one",
                    probe.label
                )));
            }
            builder = builder.header(name.as_str(), value.as_str());
        }
        if !req.body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") {
            builder = builder.header(http::header::CONTENT_LENGTH, req.body.len());
        }
        let mut request = builder
            .body(req.body.clone())
            .map_err(|e| bad(e.to_string()))?;
        if matches!(probe.signing, Signing::None) {
            return Ok((request, false));
        }
        if let Err(v) = self
            .policy
            .check_signing(&target.host, target.aws.is_some())
        {
            return Err(judge::policy_denied(&v));
        }
        if let Signing::EksToken(params) = &probe.signing {
            return self
                .add_eks_token(request, &params.cluster, &params.region)
                .await;
        }
        let Signing::Sigv4(params) = &probe.signing else {
            return Ok((request, false));
        };
        match self.signer.credentials().await {
            Ok(Some(creds)) => {
                self.signer
                    .sign(&creds, &mut request, &params.service, &params.region)
                    .map_err(|e| judge::plugin_error(format!("could not sign the request: {e}")))?;
                Ok((request, true))
            }
            Ok(None) => Ok((request, false)),
            Err(e) => Err(judge::credentials_error(&e)),
        }
    }

    /// `Authorization: Bearer <EKS IAM token>`; unsigned (and judged `no-credentials`)
    /// when there are no credentials.
    async fn add_eks_token(
        &self,
        mut request: http::Request<Vec<u8>>,
        cluster: &str,
        region: &str,
    ) -> Result<(http::Request<Vec<u8>>, bool), HostVerdict> {
        let creds = match self.signer.credentials().await {
            Ok(Some(c)) => c,
            Ok(None) => return Ok((request, false)),
            Err(e) => return Err(judge::credentials_error(&e)),
        };
        let token = crate::eks_token::token(&creds, cluster, region, self.signer.now())
            .map_err(|e| judge::plugin_error(format!("could not build the EKS token: {e:#}")))?;
        crate::sign::secrets::register(&token);
        let mut value = http::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| judge::plugin_error(format!("EKS token is not a header value: {e}")))?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value);
        Ok((request, true))
    }

    /// Every address a name resolved to must be allowed: one denied answer refuses the
    /// check (a rebinding name must not reach instance metadata through its second answer).
    fn guard_addresses(
        &self,
        target: &Target,
        addrs: &[std::net::IpAddr],
    ) -> Result<(), netcheck_policy::Violation> {
        for ip in addrs {
            self.policy
                .check_resolved_ip(&target.scheme, &target.host, target.port, *ip)?;
        }
        Ok(())
    }

    /// Follow HTTP redirects of an unsigned probe when the check asks for it with the
    /// option `follow-redirects` (`true` = up to 5 hops, or a number). Every hop is
    /// checked by the policy before its name is resolved and again by address.
    async fn follow_redirects(
        &self,
        spec: &CheckSpec,
        req: &HttpRequest,
        mut answer: HttpAnswer,
        deadline: Instant,
        result: &mut CheckResult,
    ) -> Result<Followed, Outcome> {
        let hops = match option(&spec.target, "follow-redirects") {
            None | Some("false") | Some("0") => {
                return Ok(Followed {
                    answer,
                    dropped: vec![],
                });
            }
            Some("true") => 5,
            Some(n) => n.parse::<usize>().map_err(|_| {
                Outcome::Host(judge::plugin_error(format!(
                    "option follow-redirects = `{n}`: expected true, false or a number of hops"
                )))
            })?,
        };
        let keep_headers = option(&spec.target, "redirect-keep-headers") == Some("true");
        let mut dropped: Vec<String> = Vec::new();
        let mut url = spec.target.url.clone();
        for _ in 0..hops {
            if !matches!(answer.status, 301 | 302 | 303 | 307 | 308) {
                break;
            }
            let Some(location) = answer.header("location").map(str::to_string) else {
                break;
            };
            let next = crate::probe::resolve_location(&url, &location).map_err(|e| {
                Outcome::Host(judge::plugin_error(format!(
                    "redirect to `{location}`: {e}"
                )))
            })?;
            self.policy
                .check_redirect(&url, next.as_str())
                .map_err(|v| Outcome::Host(judge::policy_denied(&v)))?;
            let target = crate::plan::parse_target(next.as_str()).map_err(|e| {
                Outcome::Host(judge::plugin_error(format!("redirect to `{next}`: {e}")))
            })?;
            let (dns, addrs) = self.prober.resolve(&target.host).await;
            if let Some(f) = Prober::dns_failure(&dns, &addrs) {
                return Err(Outcome::Host(judge::network_failure(
                    &f,
                    &target,
                    &dns.answers,
                    &ServiceFacts::default(),
                )));
            }
            self.guard_addresses(&target, &addrs)
                .map_err(|v| Outcome::Host(judge::policy_denied(&v)))?;
            let tls = (target.scheme == "https").then(|| (target.host.clone(), spec.tls.clone()));
            let mut conn = Connection::new(self.prober.clone(), addrs, target.port, tls);
            if let Err((_, f)) = conn.open(remaining(deadline)).await {
                return Err(Outcome::Host(judge::network_failure(
                    &f,
                    &target,
                    &dns.answers,
                    &ServiceFacts::default(),
                )));
            }
            let method = if answer.status == 303 {
                "GET"
            } else {
                req.method.as_str()
            };
            let mut hop = HttpRequest {
                method: method.to_string(),
                path_and_query: target.path_and_query.clone(),
                ..req.clone()
            };
            if !keep_headers && !same_origin(&spec.target.url, next.as_str()) {
                let configured = configured_headers(&spec.target);
                hop.headers.retain(|(name, _)| {
                    let drop = CREDENTIAL_HEADERS
                        .iter()
                        .any(|h| name.eq_ignore_ascii_case(h))
                        || configured.iter().any(|c| name.eq_ignore_ascii_case(c));
                    if drop
                        && !dropped
                            .iter()
                            .any(|d: &String| d.eq_ignore_ascii_case(name))
                    {
                        dropped.push(name.clone());
                    }
                    !drop
                });
            }
            let probe = Probe {
                label: format!("redirect → {}", target.host),
                kind: ProbeKind::Http(hop.clone()),
                signing: Signing::None,
                action: None,
            };
            let (request, _) = self
                .build_request(&target, &probe, &hop)
                .await
                .map_err(Outcome::Host)?;
            let (mut phase, next_answer) = conn.http(request, BODY_CAP, remaining(deadline)).await;
            phase.probe = probe.label;
            result.phases.http.push(phase);
            answer = next_answer.map_err(|f| {
                Outcome::Host(judge::network_failure(
                    &f,
                    &target,
                    &dns.answers,
                    &ServiceFacts::default(),
                ))
            })?;
            url = next.to_string();
        }
        Ok(Followed { answer, dropped })
    }

    fn service_facts(&self, spec: &CheckSpec) -> ServiceFacts {
        let Some(meta) = self.plugins.find(&spec.plugin) else {
            return ServiceFacts::default();
        };
        let service = meta
            .info
            .services
            .iter()
            .find(|s| Some(&s.id) == spec.target.service.as_ref())
            .or_else(|| meta.info.services.first());
        let Some(service) = service else {
            return ServiceFacts::default();
        };
        let region = spec.target.region.as_deref().unwrap_or("<region>");
        ServiceFacts {
            vpc_endpoint: service
                .vpc_endpoint
                .as_ref()
                .map(|e| e.replace("{region}", region)),
            endpoint_kind: Some(
                match service.endpoint_kind {
                    EndpointKind::Interface => "interface",
                    EndpointKind::Gateway => "gateway",
                    EndpointKind::None => "none",
                }
                .to_string(),
            ),
        }
    }
}

/// Where a chain of redirects ended, and the headers not sent across origins.
struct Followed {
    answer: HttpAnswer,
    dropped: Vec<String>,
}

/// Sent to the first origin only (curl drops both on a cross-origin redirect since
/// CVE-2022-27776); the check's own configured headers are dropped with them.
const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// The value of the check option `key`.
fn option<'a>(target: &'a Target, key: &str) -> Option<&'a str> {
    target
        .options
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Header names the check's configuration set: `headers = {…}` (options `header.NAME`)
/// and the `header = "Name: value"` lines option.
fn configured_headers(target: &Target) -> Vec<&str> {
    let mut names = Vec::new();
    for (key, value) in &target.options {
        if key.eq_ignore_ascii_case("header") {
            names.extend(
                value
                    .lines()
                    .filter_map(|l| Some(l.split_once(':')?.0.trim())),
            );
        } else if let Some((prefix, name)) = key.split_once('.')
            && prefix.eq_ignore_ascii_case("header")
        {
            names.push(name);
        }
    }
    names
}

/// Same scheme, host and port (the default port counts as given).
fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str().map(str::to_ascii_lowercase)
                    == b.host_str().map(str::to_ascii_lowercase)
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

enum Outcome {
    Host(HostVerdict),
    Plugin(Verdict, Option<String>),
}

/// A signature mismatch over a Host with a port: say what a proxy may have done to it.
fn add_host_port_hint(verdict: &mut Verdict, target: &Target) {
    let Some(extra) = judge::host_port_hint(&host_header(target)) else {
        return;
    };
    verdict.hint = Some(match verdict.hint.take() {
        Some(hint) => format!("{hint}; {extra}"),
        None => extra,
    });
}

/// The `Host` header for `target`: the port only when it is not the scheme's default, an
/// IPv6 literal in brackets (`[::1]:8443`). `netcheck sign` sends and signs the same.
pub fn host_header(target: &Target) -> String {
    let default_port = matches!(
        (target.scheme.as_str(), target.port),
        ("https", 443) | ("http", 80)
    );
    match (target.host.contains(':'), default_port) {
        (true, true) => format!("[{}]", target.host),
        (true, false) => format!("[{}]:{}", target.host, target.port),
        (false, true) => target.host.clone(),
        (false, false) => format!("{}:{}", target.host, target.port),
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// Local clock minus server clock, whole seconds (positive = we are ahead).
pub fn clock_offset(local: SystemTime, server: SystemTime) -> i64 {
    match local.duration_since(server) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_offset_sign() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(clock_offset(t + Duration::from_secs(1200), t), 1200);
        assert_eq!(clock_offset(t, t + Duration::from_secs(90)), -90);
    }
}
