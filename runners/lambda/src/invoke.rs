//! Invoking a deployed function with the plan and reading its results. A function that
//! fails, times out or answers something else turns into one failed result per check
//! that says so — the report still has a row for every check in every subnet.
//!
//! IAM action used: `lambda:InvokeFunction`.

use std::time::Duration;

use anyhow::{Context, bail};
use aws_config::SdkConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{InvocationType, LogType};
use base64_tail::decode_tail;
use netcheck_runner_api::remote::{REMOTE_PROTOCOL, RemoteRequest, RemoteResponse};
use netcheck_runner_api::{CheckResult, Plan, Status};
use netcheck_runner_aws::aws_error::describe;

/// Reason given to every check of a location where netcheck could not run the plan.
pub const RUNNER_ERROR: &str = "runner-error";

/// Invokes `function` with the plan and returns its results.
pub async fn invoke(
    sdk: &SdkConfig,
    function: &str,
    request: &RemoteRequest,
    timeout: Duration,
) -> anyhow::Result<Vec<CheckResult>> {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(timeout)
        .build();
    let config = aws_sdk_lambda::config::Builder::from(sdk)
        .timeout_config(timeouts)
        // An invocation is not idempotent from the caller's view: never retry it.
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let lambda = aws_sdk_lambda::Client::from_conf(config);
    let payload = serde_json::to_vec(request).context("encoding the invoke payload")?;
    let out = lambda
        .invoke()
        .function_name(function)
        .invocation_type(InvocationType::RequestResponse)
        .log_type(LogType::Tail)
        .payload(Blob::new(payload))
        .send()
        .await
        .map_err(|e| {
            describe(
                e,
                "lambda:InvokeFunction",
                &format!("invoking function {function}"),
            )
        })?;
    let body = out
        .payload()
        .map(|b| b.as_ref().to_vec())
        .unwrap_or_default();
    if let Some(kind) = out.function_error() {
        let detail = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                let t = v.get("errorType")?.as_str()?.to_string();
                let m = v.get("errorMessage")?.as_str()?.to_string();
                Some(format!("{t}: {m}"))
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(500).collect());
        let tail = out.log_result().map(decode_tail).unwrap_or_default();
        bail!(
            "function {function} failed ({kind}): {detail}{}",
            if tail.is_empty() {
                String::new()
            } else {
                format!("\nlast log lines:\n{tail}")
            }
        );
    }
    let response: RemoteResponse = serde_json::from_slice(&body).with_context(|| {
        format!(
            "function {function} answered something that is not netcheck's result: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(300)
                .collect::<String>()
        )
    })?;
    if response.protocol != REMOTE_PROTOCOL {
        bail!(
            "function {function} runs netcheck {} speaking remote protocol {}, this netcheck \
             ({}) speaks {REMOTE_PROTOCOL}: deploy a matching bootstrap",
            response.netcheck_version,
            response.protocol,
            request.netcheck_version
        );
    }
    if let Some(error) = response.error {
        bail!("netcheck inside function {function} could not run the plan: {error}");
    }
    Ok(response.results)
}

/// One failed result per check, for a location where the plan could not run.
pub fn failed(plan: &Plan, location: &str, error: &anyhow::Error) -> Vec<CheckResult> {
    let message = format!("{error:#}");
    plan.checks
        .iter()
        .map(|c| {
            let mut r = CheckResult::new(&c.name, &c.set, &c.target.url, &c.plugin);
            r.service = c.target.service.clone();
            r.location = location.to_string();
            r.status = Status::Fail;
            r.reason = RUNNER_ERROR.to_string();
            r.message = message.clone();
            r.hint = Some(
                "the check never ran here: netcheck could not deploy or invoke its function \
                 in this location (see the message)"
                    .to_string(),
            );
            r
        })
        .collect()
}

/// Lambda's `LogResult`: the base64 of the last 4 KB of the invocation's log.
mod base64_tail {
    use base64::Engine;

    pub fn decode_tail(encoded: &str) -> String {
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}
