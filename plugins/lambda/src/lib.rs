//! netcheck plugin `lambda`: proves AWS Lambda is reachable and usable, in one of two ways:
//!
//! | check | call | IAM action |
//! | --- | --- | --- |
//! | `lambda` (default) | signed `GET /2015-03-31/functions?MaxItems=1` (ListFunctions) | `lambda:ListFunctions` |
//! | `lambda-invoke`, or any lambda check with option `function` | signed `POST /2015-03-31/functions/<name>/invocations` | `lambda:InvokeFunction` |
//!
//! The invoke check's options: `function` (a name, ARN or partial ARN; required),
//! `invocation-type` (`DryRun`, the default, asks Lambda whether the call *would* be allowed
//! without running the function; `RequestResponse` really runs it), `payload` (JSON, default
//! `{}`) and `qualifier` (a version or alias). Lambda's own answers are refined: an unknown
//! function is `not-found`, a function that ran and failed is a `function-error` warning.

use netcheck_guest::{
    Checker, EndpointKind, HttpRequest, Observation, PluginInfo, Probe, ProbeContext, ServiceInfo,
    Target, Verdict, judge_aws, request, services,
};

mod invoke;

const LIST_ACTION: &str = "lambda:ListFunctions";
const INVOKE_ACTION: &str = "lambda:InvokeFunction";
/// Service id of the invoke check (`service = "lambda-invoke"`).
const INVOKE_SERVICE: &str = "lambda-invoke";

struct Lambda;

impl Checker for Lambda {
    fn describe() -> PluginInfo {
        let list = services::aws_service("lambda", EndpointKind::Interface, &[LIST_ACTION]);
        // Same endpoints, another permission: configs select it with service = "lambda-invoke".
        let invoke = ServiceInfo {
            id: INVOKE_SERVICE.into(),
            actions: vec![INVOKE_ACTION.into()],
            ..list.clone()
        };
        PluginInfo {
            name: "lambda".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "AWS Lambda: signed ListFunctions (MaxItems 1); with option `function` \
                          (or service lambda-invoke) a signed Invoke, DryRun by default"
                .into(),
            services: vec![list, invoke],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let invoke_check = target.service.as_deref() == Some(INVOKE_SERVICE);
        if let Some(call) = invoke::Invoke::from_options(&target, invoke_check)? {
            return Ok(vec![Probe::aws(
                invoke::LABEL,
                call.request(),
                "lambda",
                region,
                INVOKE_ACTION,
            )]);
        }
        Ok(vec![Probe::aws(
            "ListFunctions",
            list_functions(),
            "lambda",
            region,
            LIST_ACTION,
        )])
    }

    fn judge(
        target: Target,
        probe: Probe,
        observation: Observation,
        context: ProbeContext,
    ) -> Verdict {
        if probe.label == invoke::LABEL
            && let Some(response) = observation.http()
            && let Some(verdict) = invoke::judge(&target, response, &context)
        {
            return verdict;
        }
        judge_aws(&target, &probe, &observation, &context)
    }
}

netcheck_guest::export_plugin!(Lambda);

/// `GET /2015-03-31/functions?MaxItems=1`. The empty x-amz-content-sha256 is filled in and
/// signed by the host: harmless for AWS, required by emulators on body-less GETs.
fn list_functions() -> HttpRequest {
    request::rest_get("/2015-03-31/functions?MaxItems=1").with_header("x-amz-content-sha256", "")
}

#[cfg(test)]
mod tests;
