//! Builders and checks for plugins' unit tests: targets, answers, contexts, and "plan,
//! then judge this answer" in one call.
//!
//! For tests only: the helpers panic (with a message saying what was expected) instead of
//! returning errors. A plugin that never calls them carries none of their code, so they
//! cost a component nothing.
//!
//! ```
//! use netcheck_guest::testing::{aws_target, response};
//!
//! let target = aws_target("kms", "kms.eu-west-1.amazonaws.com", Some("eu-west-1"));
//! assert_eq!(target.url, "https://kms.eu-west-1.amazonaws.com/");
//! let answer = response(400, &[("content-type", "application/x-amz-json-1.1")], "{}");
//! assert_eq!(answer.header("content-type"), Some("application/x-amz-json-1.1"));
//! ```

use crate::{
    Checker, HttpRequest, HttpResponse, Observation, Probe, ProbeContext, ProbeKind, ServiceInfo,
    Status, Target, Verdict,
};

/// `https://<host>/` for `service` (as if set in the config) in `region`: port 443, path
/// `/`, no parsed AWS fields, no options.
pub fn aws_target(service: &str, host: &str, region: Option<&str>) -> Target {
    Target {
        url: format!("https://{host}/"),
        scheme: "https".into(),
        host: host.into(),
        port: 443,
        path_and_query: "/".into(),
        aws: None,
        service: Some(service.into()),
        region: region.map(String::from),
        options: Vec::new(),
    }
}

/// `target` with its options replaced by `options`.
pub fn with_options(target: Target, options: &[(&str, &str)]) -> Target {
    Target {
        options: pairs(options),
        ..target
    }
}

/// An HTTP answer with `headers` (names as given; the host lower-cases them) and `body`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: pairs(headers),
        body: body.as_bytes().to_vec(),
    }
}

/// What the host knows about how a probe was sent.
pub fn context(signed: bool, clock_offset_seconds: Option<i64>) -> ProbeContext {
    ProbeContext {
        signed,
        clock_offset_seconds,
    }
}

/// A signed probe with no clock offset known: the usual case.
pub fn signed() -> ProbeContext {
    context(true, None)
}

/// The one probe `C` plans for `target`; panics if planning fails or plans more or fewer.
pub fn only_probe<C: Checker>(target: Target) -> Probe {
    let mut probes = planned::<C>(target);
    assert_eq!(probes.len(), 1, "expected one probe: {probes:?}");
    probes.remove(0)
}

/// The first probe `C` plans for `target`; panics if planning fails or plans none.
pub fn first_probe<C: Checker>(target: Target) -> Probe {
    let mut probes = planned::<C>(target);
    assert!(!probes.is_empty(), "expected at least one probe");
    probes.remove(0)
}

/// The HTTP request `probe` sends; panics for a connect-only probe.
pub fn http_request(probe: &Probe) -> &HttpRequest {
    match &probe.kind {
        ProbeKind::Http(request) => request,
        ProbeKind::Connect => panic!("expected an HTTP probe, got connect-only {probe:?}"),
    }
}

/// `C`'s verdict on `response` to the first probe it plans for `target`.
pub fn judge_first<C: Checker>(
    target: &Target,
    response: HttpResponse,
    context: ProbeContext,
) -> Verdict {
    let probe = first_probe::<C>(target.clone());
    C::judge(target.clone(), probe, Observation::Http(response), context)
}

/// Asserts the verdict's status and reason, and that its message contains `needle`.
pub fn expect_verdict(verdict: &Verdict, status: Status, reason: &str, needle: &str) {
    assert_eq!(
        (verdict.status, verdict.reason.as_str()),
        (status, reason),
        "{verdict:?}"
    );
    assert!(
        verdict.message.contains(needle),
        "{needle:?} not in {}",
        verdict.message
    );
}

/// Asserts that `service` claims every host pattern in `patterns` (among others).
pub fn assert_claims(service: &ServiceInfo, patterns: &[&str]) {
    for pattern in patterns {
        assert!(
            service.host_patterns.iter().any(|p| p == pattern),
            "missing {pattern} in {:?}",
            service.host_patterns
        );
    }
}

fn planned<C: Checker>(target: Target) -> Vec<Probe> {
    let host = target.host.clone();
    C::plan(target).unwrap_or_else(|e| panic!("planning for {host} failed: {e}"))
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
