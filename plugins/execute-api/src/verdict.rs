//! What API Gateway's answer to the `GET` proves.
//!
//! | answer | verdict |
//! | --- | --- |
//! | 2xx | pass `ok` |
//! | signed, and IAM answered about the signature, clock, credentials or permission | the shared AWS verdicts (`access-denied` names `execute-api:Invoke`) |
//! | 403 `Missing Authentication Token` or 404, to the default path `/` | pass `ok`: API Gateway answered; `/` has no method, or one that needs IAM |
//! | the same to a path the user chose, or to a signed request | warn `no-route` |
//! | 401 (the API's authorizer wants a token) | pass `ok`: API Gateway answered |
//! | 403 `Forbidden` or an explicit deny (private API, resource policy, API key, WAF) | warn `forbidden` |
//! | other 4xx from API Gateway | warn `http-status`: reachable, the answer's meaning is the API's |
//! | 5xx from API Gateway | warn `http-status`: reachable, the integration failed |
//! | a 4xx without API Gateway's headers | fail `http-status`: a proxy or firewall answered |
//! | 3xx, 429, other 5xx | the shared AWS verdicts |
//!
//! API Gateway marks its answers with `x-amzn-RequestId` (REST APIs), `apigw-requestid`
//! (HTTP APIs), `x-amz-apigw-id` or `x-amzn-ErrorType`.

use netcheck_guest::judge::{ErrorClass, classify};
use netcheck_guest::{
    HttpResponse, Observation, Probe, ProbeContext, Signing, Target, Verdict, aws_error, judge_aws,
};

use serde::Deserialize;

use crate::options::Options;

/// How many characters of API Gateway's message a verdict quotes.
const QUOTE_CHARS: usize = 240;

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
    let error = aws_error(response);
    let code = error.as_ref().map_or("", |e| e.code.as_str());
    let message = error
        .as_ref()
        .and_then(|e| e.message.clone())
        .or_else(|| body_message(response))
        .map(|m| quote(&m))
        .unwrap_or_default();
    let class = error.as_ref().map_or(ErrorClass::Other, classify);
    let signed_probe = matches!(probe.signing, Signing::Sigv4(_));
    let (path, path_chosen) = match Options::read(target) {
        Ok(options) => (options.path, options.path_chosen),
        Err(_) => (probe.label.trim_start_matches("GET ").to_string(), true),
    };
    let answer = match (code, message.as_str()) {
        ("", "") => format!("HTTP {status}"),
        ("", m) => format!("HTTP {status} \"{m}\""),
        (c, "") => format!("HTTP {status} {c}"),
        (c, m) => format!("HTTP {status} {c}: {m}"),
    };

    if (200..300).contains(&status) {
        let who = if from_api_gateway(response) {
            "API Gateway"
        } else {
            // A custom domain's CDN or a proxy may strip API Gateway's headers.
            "the endpoint (without API Gateway's request-id headers)"
        };
        return Verdict::pass("ok", format!("{who} answered HTTP {status} to GET {path}"));
    }
    let missing_token =
        code.starts_with("MissingAuthenticationToken") || message == "Missing Authentication Token";
    let iam_answer = matches!(
        class,
        ErrorClass::SignatureMismatch
            | ErrorClass::ClockSkew
            | ErrorClass::InvalidCredentials
            | ErrorClass::ExpiredCredentials
            | ErrorClass::Throttled
    ) || (class == ErrorClass::AccessDenied && code != "ForbiddenException");
    // Signing was asked for: without credentials, or when IAM itself answered, the shared
    // verdicts say it best (no-credentials, signature-mismatch, access-denied, …).
    if signed_probe && (!context.signed || iam_answer) {
        return judge_aws(target, probe, observation, context);
    }
    if !from_api_gateway(response) {
        return match status {
            400..=499 if status != 429 => Verdict::fail(
                "http-status",
                format!(
                    "{answer} to GET {path} did not come from API Gateway (none of its request-id \
                     headers): probably a proxy or firewall"
                ),
            )
            .with_hint(
                "check HTTPS_PROXY/NO_PROXY and any proxy or firewall in between; for a private API, \
                 check the execute-api interface endpoint and its private DNS",
            ),
            _ => judge_aws(target, probe, observation, context),
        };
    }

    if missing_token || status == 404 {
        return if context.signed || path_chosen {
            Verdict::warn(
                "no-route",
                format!("API Gateway reachable, but it has no method at GET {path} ({answer})"),
            )
            .with_hint(if context.signed {
                "set path to a method of the API; REST API paths start with the stage (/prod/…)"
            } else {
                "check the path (REST API paths start with the stage: /prod/…); a method with IAM \
                 authorisation also answers this way to an unsigned request: set sign = \"true\""
            })
        } else {
            Verdict::pass(
                "ok",
                format!(
                    "API Gateway reachable: it answered GET / with {answer} (no method at /, or one \
                     that needs IAM authorisation)"
                ),
            )
        };
    }
    match status {
        401 => Verdict::pass(
            "ok",
            format!(
                "API Gateway reachable: the API's authorizer asked for credentials at GET {path} \
                 ({answer})"
            ),
        ),
        403 => Verdict::warn(
            "forbidden",
            format!("API Gateway reachable, but it refused GET {path} ({answer})"),
        )
        .with_hint(forbidden_hint(target)),
        429 => judge_aws(target, probe, observation, context),
        500..=599 => Verdict::warn(
            "http-status",
            format!("API Gateway reachable, but the API behind GET {path} failed ({answer})"),
        )
        .with_hint(
            "the network path works; check the integration (Lambda, HTTP backend, VPC link) and the \
             stage's execution logs",
        ),
        _ => Verdict::warn(
            "http-status",
            format!("API Gateway reachable; GET {path} answered {answer}"),
        )
        .with_hint("the network path works; what this status means is up to the API"),
    }
}

/// API Gateway's own marks on a response.
fn from_api_gateway(response: &HttpResponse) -> bool {
    [
        "x-amzn-requestid",
        "apigw-requestid",
        "x-amz-apigw-id",
        "x-amzn-errortype",
    ]
    .iter()
    .any(|h| response.header(h).is_some())
}

/// The text of `{"message":"Forbidden"}`-style bodies, which [`aws_error`] skips because
/// they carry no error code.
fn body_message(response: &HttpResponse) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(alias = "Message")]
        message: String,
    }
    serde_json::from_slice::<Body>(&response.body)
        .ok()
        .map(|b| b.message)
}

fn forbidden_hint(target: &Target) -> String {
    let through_vpce = target
        .host
        .trim_end_matches('.')
        .to_ascii_lowercase()
        .contains(".vpce.amazonaws.com");
    let mut hint = String::from(
        "API Gateway answered, so the network path works. A private API is reachable only through \
         an execute-api interface endpoint that its resource policy allows; other causes are a \
         resource policy deny, a missing API key (x-api-key) or a WAF rule",
    );
    if through_vpce && target.option("api-id").is_none() {
        hint.push_str(
            "; through the endpoint's own DNS name, set api-id = \"<api id>\" (sent as x-apigw-api-id)",
        );
    }
    hint
}

/// Server text on one short line.
fn quote(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> HttpResponse {
        HttpResponse {
            status: 403,
            headers: Vec::new(),
            body: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn reads_a_plain_message_body() {
        assert_eq!(
            body_message(&body(r#"{"message":"Forbidden"}"#)).as_deref(),
            Some("Forbidden")
        );
        assert_eq!(
            body_message(&body(r#" { "Message" : "Missing Authentication Token" } "#)).as_deref(),
            Some("Missing Authentication Token")
        );
        assert_eq!(body_message(&body(r#"{"errors":[]}"#)), None);
        assert_eq!(body_message(&body("Forbidden")), None);
    }
}
