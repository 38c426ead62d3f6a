//! The verdict logic shared by every AWS plugin: what an AWS answer says about the path
//! from here to the service, the credentials and the permissions.
//!
//! Any answer AWS itself sends proves DNS, TCP, TLS and routing work, so the interesting
//! part is what the error code says about the signature, the clock, the credentials and
//! IAM. Plugins with service-specific answers (S3 redirects) check those first and hand
//! the rest to [`judge_aws`].

use crate::aws_error::{AwsError, aws_error};
use crate::text::{MESSAGE_CHARS, one_line};
use crate::{HttpResponse, Observation, Probe, ProbeContext, Target, Verdict};

/// How far apart clocks may be before SigV4 rejects a request (AWS allows 5 minutes).
const MAX_SKEW_SECONDS: u64 = 300;

/// What an AWS error code means for a reachability check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The request carried no (or an incomplete) signature.
    MissingAuth,
    /// The signature did not match what AWS computed.
    SignatureMismatch,
    /// The request's time is too far from AWS's.
    ClockSkew,
    /// The access key or session token is unknown or invalid.
    InvalidCredentials,
    /// The session token has expired.
    ExpiredCredentials,
    /// Authenticated, but IAM (or a policy) does not allow the action.
    AccessDenied,
    /// Authenticated, but the account is being rate-limited.
    Throttled,
    /// Any other error.
    Other,
}

/// Classifies an AWS error by its code (and, for signature errors, its message).
pub fn classify(error: &AwsError) -> ErrorClass {
    let message = error.message.as_deref().unwrap_or("").to_ascii_lowercase();
    match error.code.as_str() {
        "RequestExpired" | "RequestTimeTooSkewed" | "RequestInTheFuture" => ErrorClass::ClockSkew,
        "SignatureDoesNotMatch" | "InvalidSignatureException" | "InvalidSignature" => {
            if mentions_time(&message) {
                ErrorClass::ClockSkew
            } else {
                ErrorClass::SignatureMismatch
            }
        }
        "MissingAuthenticationToken"
        | "MissingAuthenticationTokenException"
        | "IncompleteSignature"
        | "IncompleteSignatureException"
        | "MissingSecurityHeader"
        | "AuthMissingFailure" => ErrorClass::MissingAuth,
        "ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired" => {
            ErrorClass::ExpiredCredentials
        }
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId"
        | "AuthFailure"
        | "InvalidToken"
        | "InvalidSecurity"
        | "InvalidClientTokenIdException" => {
            if message.contains("expired") {
                ErrorClass::ExpiredCredentials
            } else {
                ErrorClass::InvalidCredentials
            }
        }
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError"
        | "Forbidden"
        | "ForbiddenException"
        | "NotAuthorized"
        | "UnauthorizedAccess" => ErrorClass::AccessDenied,
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "TooManyRequestsException"
        | "SlowDown"
        | "RequestLimitExceeded"
        | "RequestThrottled"
        | "RequestThrottledException" => ErrorClass::Throttled,
        _ => ErrorClass::Other,
    }
}

/// Signature errors whose message is really about the request time.
fn mentions_time(lower_message: &str) -> bool {
    lower_message.contains("signature expired")
        || lower_message.contains("signature not yet current")
        || lower_message.contains("request has expired")
        || lower_message.contains("too skewed")
}

/// Judges the answer to a signed (or, without credentials, unsigned) AWS call.
///
/// | answer | verdict |
/// | --- | --- |
/// | 2xx | pass `ok` |
/// | unsigned and 401/403, or an auth error code | warn `no-credentials` |
/// | expired or not-yet-valid signature, request time too skewed | fail `clock-skew` |
/// | `SignatureDoesNotMatch`, `InvalidSignatureException` | fail `signature-mismatch` |
/// | unknown/expired key or token | fail `invalid-credentials` |
/// | `AccessDenied…`, `UnauthorizedOperation` | fail `access-denied` naming `probe.action` |
/// | throttling | warn `throttled` |
/// | 5xx | warn `http-status` |
/// | 3xx, other 4xx, a 4xx not from AWS | fail `http-status` |
pub fn judge_aws(
    target: &Target,
    probe: &Probe,
    observation: &Observation,
    context: &ProbeContext,
) -> Verdict {
    let response = match observation {
        Observation::Http(response) => response,
        Observation::Connected => {
            return Verdict::pass(
                "ok",
                format!("connected to {} ({})", target.authority(), probe.label),
            );
        }
    };
    let status = response.status;
    let label = &probe.label;

    if (200..300).contains(&status) {
        return if context.signed {
            Verdict::pass(
                "ok",
                format!("authenticated {label} succeeded (HTTP {status})"),
            )
        } else {
            Verdict::pass(
                "ok",
                format!(
                    "unsigned {label} succeeded (HTTP {status}); no AWS credentials were found, so authentication was not tested"
                ),
            )
        };
    }

    let error = aws_error(response);
    let class = match error.as_ref().map_or(ErrorClass::Other, classify) {
        // Too Many Requests without a code (API Gateway, a rate-limiting proxy).
        ErrorClass::Other if status == 429 => ErrorClass::Throttled,
        class => class,
    };
    let answer = Answer {
        status,
        error: error.as_ref(),
    };

    if !context.signed && is_auth_refusal(status, class, response) {
        return Verdict::warn(
            "no-credentials",
            format!(
                "reachable ({answer}) but no AWS credentials were found, so authentication was not tested"
            ),
        )
        .with_hint(CREDENTIALS_HINT);
    }

    let skewed = context
        .clock_offset_seconds
        .is_some_and(|offset| offset.unsigned_abs() > MAX_SKEW_SECONDS);
    match class {
        ErrorClass::ClockSkew => return clock_skew(&answer, context),
        ErrorClass::SignatureMismatch if skewed => return clock_skew(&answer, context),
        ErrorClass::SignatureMismatch => {
            return Verdict::fail(
                "signature-mismatch",
                format!("AWS rejected the request signature ({answer}{})", quote(error.as_ref())),
            )
            .with_hint(
                "check that the secret key belongs to the access key id; a proxy or load balancer that \
                 rewrites the Host header, path or headers breaks the signature, and so does a port in \
                 the Host header that was not signed: connect to the endpoint directly or let the proxy \
                 pass requests through unchanged",
            );
        }
        ErrorClass::ExpiredCredentials => {
            return Verdict::fail(
                "invalid-credentials",
                format!("AWS credentials have expired ({answer}{})", quote(error.as_ref())),
            )
            .with_hint(
                "refresh the session: re-run `aws sso login` (or `aws sso login --profile NAME`), or fetch \
                 new temporary credentials for AWS_SESSION_TOKEN",
            );
        }
        ErrorClass::InvalidCredentials => {
            return Verdict::fail(
                "invalid-credentials",
                format!("AWS does not accept these credentials ({answer}{})", quote(error.as_ref())),
            )
            .with_hint(
                "check which credentials are in use (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/credentials): \
                 the access key may be deleted or inactive, the session token may not belong to the key, \
                 or the key may be for another partition (aws-cn, aws-us-gov)",
            );
        }
        ErrorClass::AccessDenied if context.signed => {
            return access_denied(probe, &answer, error.as_ref());
        }
        ErrorClass::MissingAuth if context.signed => {
            return Verdict::fail(
                "signature-mismatch",
                format!(
                    "the request was signed but AWS saw no complete signature ({answer}{})",
                    quote(error.as_ref())
                ),
            )
            .with_hint(
                "a proxy in between is probably dropping the Authorization or X-Amz-* headers: \
                 connect to the endpoint directly or let the proxy pass requests through unchanged",
            );
        }
        ErrorClass::Throttled => {
            let what = if context.signed {
                "reachable and authenticated, but throttled"
            } else {
                "reachable, but throttled"
            };
            return Verdict::warn(
                "throttled",
                format!("{what} ({answer}{})", quote(error.as_ref())),
            )
            .with_hint("the endpoint works; retry later, or lower netcheck's concurrency");
        }
        _ => {}
    }

    match status {
        500..=599 => Verdict::warn(
            "http-status",
            format!("service answered {answer}{}", quote(error.as_ref())),
        )
        .with_hint(
            "the endpoint is reachable but reported a server error; retry later and check the AWS Health \
             Dashboard (a 502/504 may come from a proxy in between)",
        ),
        300..=399 => {
            let location = response.header("location").unwrap_or("(no Location header)");
            Verdict::fail(
                "http-status",
                format!(
                    "redirected ({answer}) to {}",
                    one_line(location, MESSAGE_CHARS)
                ),
            )
            .with_hint(
                "AWS endpoints do not redirect; check the endpoint address and region, or a proxy that \
                 intercepts the request",
            )
        }
        400..=499 if error.is_none() => Verdict::fail(
            "http-status",
            format!(
                "HTTP {status} without an AWS error{}: probably from a proxy or firewall, not AWS",
                describe_body(response)
            ),
        )
        .with_hint(
            "check HTTPS_PROXY/NO_PROXY and any proxy or firewall in between; the answer did not come from \
             the AWS service",
        ),
        _ => Verdict::fail(
            "http-status",
            format!("service answered {answer}{}", quote(error.as_ref())),
        ),
    }
}

const CREDENTIALS_HINT: &str = "to test authentication and permissions, provide credentials: AWS_PROFILE, \
     AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, `aws sso login`, or an instance/task role";

/// An unsigned request being refused for want of a signature (not by a proxy).
fn is_auth_refusal(status: u16, class: ErrorClass, response: &HttpResponse) -> bool {
    match class {
        ErrorClass::MissingAuth
        | ErrorClass::AccessDenied
        | ErrorClass::InvalidCredentials
        | ErrorClass::ExpiredCredentials
        | ErrorClass::SignatureMismatch => true,
        ErrorClass::Other => matches!(status, 401 | 403) && !looks_like_html(response),
        ErrorClass::ClockSkew | ErrorClass::Throttled => false,
    }
}

fn clock_skew(answer: &Answer<'_>, context: &ProbeContext) -> Verdict {
    let clock = match context.clock_offset_seconds {
        Some(offset) if offset > 0 => format!(": local clock is {offset} s ahead of the server"),
        Some(offset) if offset < 0 => format!(
            ": local clock is {} s behind the server",
            offset.unsigned_abs()
        ),
        Some(_) => ": local clock agrees with the server's Date header".to_string(),
        None => String::new(),
    };
    Verdict::fail(
        "clock-skew",
        format!(
            "AWS rejected the request time ({answer}){clock}{}",
            quote(answer.error)
        ),
    )
    .with_hint(
        "synchronise this machine's clock (chrony, systemd-timesyncd or ntpd); SigV4 allows 5 minutes of skew",
    )
}

fn access_denied(probe: &Probe, answer: &Answer<'_>, error: Option<&AwsError>) -> Verdict {
    let (what, hint) = match probe.action.as_deref() {
        Some(action) => (
            action.to_string(),
            format!("grant {action} to this role (see `netcheck iam-policy`)"),
        ),
        None => (
            format!("the call behind {}", probe.label),
            "grant this role the IAM action the call needs (see `netcheck iam-policy`)".to_string(),
        ),
    };
    Verdict::fail(
        "access-denied",
        format!(
            "reachable and authenticated, but not allowed: {what} ({answer}{})",
            quote(error)
        ),
    )
    .with_hint(format!(
        "{hint}; if it is granted, look for an explicit deny in an SCP, permission boundary, resource \
         policy or VPC endpoint policy"
    ))
}

/// `HTTP 403 AccessDenied`, or `HTTP 403` when there was no code.
struct Answer<'a> {
    status: u16,
    error: Option<&'a AwsError>,
}

impl std::fmt::Display for Answer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.error {
            Some(error) => write!(f, "HTTP {} {}", self.status, one_line(&error.code, 80)),
            None => write!(f, "HTTP {}", self.status),
        }
    }
}

/// `: <AWS message>` trimmed to one short line, or nothing.
fn quote(error: Option<&AwsError>) -> String {
    match error.and_then(|e| e.message.as_deref()) {
        Some(message) => format!(": {}", one_line(message, MESSAGE_CHARS)),
        None => String::new(),
    }
}

fn looks_like_html(response: &HttpResponse) -> bool {
    let html_type = response
        .header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
    let body = response.body_text();
    let start = body
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    html_type || start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// ` (an HTML page "403 Forbidden")`-style description of a non-AWS body.
fn describe_body(response: &HttpResponse) -> String {
    if response.body.is_empty() {
        return " (empty body)".to_string();
    }
    let body = response.body_text();
    let kind = if looks_like_html(response) {
        "an HTML page"
    } else {
        "a body"
    };
    let title = html_title(&body).unwrap_or(&body);
    format!(" ({kind}: \"{}\")", one_line(title, 80))
}

fn html_title(body: &str) -> Option<&str> {
    let lower = body.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    body.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, message: &str) -> AwsError {
        AwsError {
            code: code.into(),
            message: (!message.is_empty()).then(|| message.into()),
        }
    }

    #[test]
    fn signature_errors_about_time_are_clock_skew() {
        let expired = err(
            "InvalidSignatureException",
            "Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z",
        );
        assert_eq!(classify(&expired), ErrorClass::ClockSkew);
        let future = err(
            "SignatureDoesNotMatch",
            "Signature not yet current: 20300101T000000Z",
        );
        assert_eq!(classify(&future), ErrorClass::ClockSkew);
        let plain = err(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
        );
        assert_eq!(classify(&plain), ErrorClass::SignatureMismatch);
    }

    #[test]
    fn expiry_in_a_token_message_means_expired_credentials() {
        let e = err(
            "InvalidClientTokenId",
            "The security token included in the request is expired",
        );
        assert_eq!(classify(&e), ErrorClass::ExpiredCredentials);
        assert_eq!(
            classify(&err("ExpiredToken", "")),
            ErrorClass::ExpiredCredentials
        );
        assert_eq!(
            classify(&err("UnrecognizedClientException", "")),
            ErrorClass::InvalidCredentials
        );
    }

    #[test]
    fn codes_map_to_classes() {
        assert_eq!(
            classify(&err("RequestTimeTooSkewed", "")),
            ErrorClass::ClockSkew
        );
        assert_eq!(
            classify(&err("UnauthorizedOperation", "")),
            ErrorClass::AccessDenied
        );
        assert_eq!(classify(&err("SlowDown", "")), ErrorClass::Throttled);
        assert_eq!(
            classify(&err("MissingAuthenticationTokenException", "")),
            ErrorClass::MissingAuth
        );
        assert_eq!(classify(&err("NoSuchBucket", "")), ErrorClass::Other);
    }

    #[test]
    fn html_title_is_found_case_insensitively() {
        assert_eq!(html_title("<HTML><TITLE>Blocked</TITLE>"), Some("Blocked"));
        assert_eq!(html_title("<html>"), None);
    }
}
