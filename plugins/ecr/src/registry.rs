//! Judging an ECR registry's answer to an unsigned `GET /v2/`, the Docker Registry HTTP
//! API's version check. ECR always asks a client without a token to authenticate, so the
//! challenge itself proves the path to the registry.
//!
//! | answer | verdict |
//! | --- | --- |
//! | 401 with a `www-authenticate` challenge | pass: reachable |
//! | 2xx | pass: reachable, no authentication asked |
//! | 401 without a challenge | fail: not from a registry |
//! | other 4xx with a registry error body (`{"errors":[{"code":…}]}`) | fail, quoting it |
//! | other 4xx | fail: from a proxy or firewall, not the registry |
//! | 3xx, 429, 5xx | the shared AWS verdicts (redirect, throttled, server error) |

use netcheck_guest::{HttpResponse, Observation, Probe, ProbeContext, Target, Verdict, judge_aws};
use serde::Deserialize;

/// How many characters of a server's text a verdict quotes.
const QUOTE_CHARS: usize = 160;

const PROXY_HINT: &str = "check HTTPS_PROXY/NO_PROXY and any proxy or firewall in between; with an \
     interface endpoint for com.amazonaws.<region>.ecr.dkr, check that private DNS is enabled on it";

pub(crate) fn judge(
    target: &Target,
    probe: &Probe,
    observation: &Observation,
    context: &ProbeContext,
) -> Verdict {
    let Some(response) = observation.http() else {
        return judge_aws(target, probe, observation, context);
    };
    let status = response.status;
    let challenge = response
        .header("www-authenticate")
        .map(str::trim)
        .filter(|c| !c.is_empty());
    match (status, challenge) {
        (401, Some(challenge)) => Verdict::pass(
            "ok",
            format!(
                "ECR registry reachable: GET /v2/ answered HTTP 401 with a registry challenge ({})",
                quote(challenge)
            ),
        ),
        (200..=299, _) => Verdict::pass(
            "ok",
            format!(
                "registry reachable: GET /v2/ answered HTTP {status} without asking for authentication"
            ),
        ),
        (401, None) => Verdict::fail(
            "http-status",
            "HTTP 401 to GET /v2/ without a www-authenticate challenge: the answer did not come from \
             an ECR registry",
        )
        .with_hint(PROXY_HINT),
        (400..=499, _) if status != 429 => match registry_error(response) {
            Some(error) => Verdict::fail(
                "http-status",
                format!("the registry refused GET /v2/ (HTTP {status} {error})"),
            )
            .with_hint(
                "check the registry's VPC endpoint policy (com.amazonaws.<region>.ecr.dkr) and any \
                 proxy in between; the registry itself answers GET /v2/ with 401",
            ),
            None => Verdict::fail(
                "http-status",
                format!(
                    "HTTP {status} to GET /v2/ without a registry error: probably from a proxy or \
                     firewall, not ECR"
                ),
            )
            .with_hint(PROXY_HINT),
        },
        _ => judge_aws(target, probe, observation, context),
    }
}

/// The Docker Registry API's error document.
#[derive(Deserialize)]
struct RegistryErrors {
    errors: Vec<RegistryError>,
}

#[derive(Deserialize)]
struct RegistryError {
    code: String,
    #[serde(default)]
    message: Option<String>,
}

/// `DENIED: <message>` from `{"errors":[{"code":"DENIED","message":"…"}]}`.
fn registry_error(response: &HttpResponse) -> Option<String> {
    let body = response.body_text();
    let errors: RegistryErrors = serde_json::from_str(body.trim()).ok()?;
    let first = errors.errors.into_iter().next()?;
    let code = quote(&first.code);
    match first
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(message) => Some(format!("{code}: {}", quote(message))),
        None => Some(code),
    }
}

/// Server text on one short line: whitespace runs collapsed, control characters dropped,
/// cut at [`QUOTE_CHARS`] characters.
fn quote(text: &str) -> String {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let line = words.join(" ");
    match line.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_one_short_line() {
        assert_eq!(quote("a\n\tb  c\u{7}"), "a b c");
        let long = "x".repeat(500);
        assert_eq!(quote(&long).chars().count(), QUOTE_CHARS + 1);
        assert!(quote(&long).ends_with('…'));
    }

    #[test]
    fn registry_errors_need_the_docker_shape() {
        let r = |body: &str| HttpResponse {
            status: 403,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            registry_error(&r(r#"{"errors":[{"code":"DENIED"}]}"#)).as_deref(),
            Some("DENIED")
        );
        assert_eq!(registry_error(&r(r#"{"errors":[]}"#)), None);
        assert_eq!(registry_error(&r(r#"{"message":"Forbidden"}"#)), None);
        assert_eq!(registry_error(&r("Forbidden")), None);
    }
}
