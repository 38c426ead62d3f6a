//! The lambda-invoke check: its options become one `Invoke` request, and Lambda's
//! invoke-specific answers (an unknown function, a function that failed) get their own
//! verdicts.

use netcheck_guest::request::form_urlencode;
use netcheck_guest::{HttpRequest, HttpResponse, ProbeContext, Target, Verdict, aws_error};

/// Label of the invoke probe, which `judge` dispatches on.
pub(crate) const LABEL: &str = "Invoke";
/// Largest payload accepted, well inside the host's cap on what a plugin may return.
const MAX_PAYLOAD_BYTES: usize = 128 * 1024;
/// Options that only make sense with `function`.
const INVOKE_ONLY_OPTIONS: [&str; 3] = ["invocation-type", "payload", "qualifier"];

/// `X-Amz-Invocation-Type`: only the two that return an answer to this caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InvocationType {
    /// Checks the caller may invoke the function, without running it (HTTP 204).
    DryRun,
    /// Runs the function and waits for its result (HTTP 200).
    RequestResponse,
}

impl InvocationType {
    fn parse(value: &str) -> Result<Self, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "dryrun" => Ok(InvocationType::DryRun),
            "requestresponse" => Ok(InvocationType::RequestResponse),
            "event" => Err(
                "option invocation-type = \"Event\" is not supported: it queues a real invocation \
                 whose outcome netcheck cannot see; use DryRun (the default) or RequestResponse"
                    .to_string(),
            ),
            _ => Err(format!(
                "option invocation-type = {value:?} is not an invocation type: use DryRun (the \
                 default: checks the permission without running the function) or RequestResponse \
                 (runs it)"
            )),
        }
    }

    fn header(self) -> &'static str {
        match self {
            InvocationType::DryRun => "DryRun",
            InvocationType::RequestResponse => "RequestResponse",
        }
    }
}

/// A validated invoke: function, qualifier, type and payload, all from the check's options.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invoke<'a> {
    function: &'a str,
    qualifier: Option<&'a str>,
    invocation_type: InvocationType,
    payload: &'a str,
}

impl<'a> Invoke<'a> {
    /// The invoke the options ask for; `None` when `function` is not set and `required` is
    /// false (the plain `lambda` check). Errors say which option is wrong and how to fix it.
    pub(crate) fn from_options(target: &'a Target, required: bool) -> Result<Option<Self>, String> {
        let Some(function) = non_blank(target.option("function")) else {
            if required {
                return Err(
                    "the lambda-invoke check needs option function: set function = \"my-function\" \
                     (a name, ARN or partial ARN) on the check"
                        .to_string(),
                );
            }
            if let Some(key) = INVOKE_ONLY_OPTIONS
                .iter()
                .find(|key| target.option(key).is_some())
            {
                return Err(format!(
                    "option {key} only applies to an invoke: also set function = \"my-function\", \
                     or remove {key}"
                ));
            }
            return Ok(None);
        };
        check_name("function", function)?;
        let qualifier = non_blank(target.option("qualifier"));
        if let Some(qualifier) = qualifier {
            check_name("qualifier", qualifier)?;
        }
        let invocation_type = match non_blank(target.option("invocation-type")) {
            Some(value) => InvocationType::parse(value)?,
            None => InvocationType::DryRun,
        };
        let payload = non_blank(target.option("payload")).unwrap_or("{}");
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(format!(
                "option payload is {} bytes; netcheck sends at most {MAX_PAYLOAD_BYTES}: use a smaller \
                 test event",
                payload.len()
            ));
        }
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(payload) {
            return Err(format!(
                "option payload is not JSON ({e}): Lambda takes a JSON event, e.g. payload = \
                 '{{\"ping\": true}}'"
            ));
        }
        Ok(Some(Invoke {
            function,
            qualifier,
            invocation_type,
            payload,
        }))
    }

    /// `POST /2015-03-31/functions/<function>/invocations[?Qualifier=…]`.
    pub(crate) fn request(&self) -> HttpRequest {
        let mut path = format!(
            "/2015-03-31/functions/{}/invocations",
            form_urlencode(self.function)
        );
        if let Some(qualifier) = self.qualifier {
            path.push_str("?Qualifier=");
            path.push_str(&form_urlencode(qualifier));
        }
        HttpRequest {
            method: "POST".into(),
            path_and_query: path,
            headers: vec![
                (
                    "x-amz-invocation-type".into(),
                    self.invocation_type.header().into(),
                ),
                ("content-type".into(), "application/json".into()),
            ],
            body: self.payload.as_bytes().to_vec(),
        }
    }
}

/// Server text on one line of at most 200 characters.
fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Function names, ARNs, versions and aliases use letters, digits and `-_:.$` only.
fn check_name(option: &str, value: &str) -> Result<(), String> {
    let valid = value.len() <= 256
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.' | b'$'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "option {option} = {value:?} is not a Lambda function name, ARN, version or alias: those \
             use only letters, digits and - _ : . $"
        ))
    }
}

/// Lambda's invoke-specific answers; `None` leaves the answer to the shared AWS verdicts.
pub(crate) fn judge(
    target: &Target,
    response: &HttpResponse,
    context: &ProbeContext,
) -> Option<Verdict> {
    let function = non_blank(target.option("function")).unwrap_or("the function");
    let status = response.status;
    if (200..300).contains(&status) {
        if !context.signed {
            return None;
        }
        if let Some(kind) = non_blank(response.header("x-amz-function-error")) {
            return Some(
                Verdict::warn(
                    "function-error",
                    format!(
                        "invoked {function}: Lambda ran it and the function failed ({kind} error, \
                         HTTP {status})"
                    ),
                )
                .with_hint(
                    "the network path and lambda:InvokeFunction work; the function's own error is in \
                     its CloudWatch Logs",
                ),
            );
        }
        let message = if status == 204 {
            format!("DryRun invoke of {function} allowed (HTTP 204): the function was not run")
        } else {
            format!("invoked {function} (HTTP {status})")
        };
        return Some(Verdict::pass("ok", message));
    }
    let error = aws_error(response)?;
    if error.code != "ResourceNotFoundException" {
        return None;
    }
    let region = target.region.as_deref().unwrap_or("this region");
    let detail = error
        .message
        .as_deref()
        .map(|m| format!(": {}", one_line(m)))
        .unwrap_or_default();
    Some(
        Verdict::fail(
            "not-found",
            format!(
                "Lambda is reachable and accepted the credentials, but function {function} was not \
                 found in {region} (HTTP {status} ResourceNotFoundException{detail})"
            ),
        )
        .with_hint(
            "check the function name, the qualifier and the check's region; a function in another \
             account needs its full ARN and a resource policy that allows this role",
        ),
    )
}
