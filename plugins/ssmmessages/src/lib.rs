//! netcheck plugin `ssmmessages`: checks the Session Manager message-gateway endpoint
//! (`ssmmessages.<region>.amazonaws.com`), over which the SSM agent opens the control and
//! data channels of Session Manager sessions (and, in newer agents, Run Command).
//!
//! The service has no read-only call: its only HTTP call, `CreateControlChannel`, registers
//! a channel for an instance (a side effect, and one that could disturb the running agent),
//! and the rest is a WebSocket. So netcheck sends a signed `GET /` and judges honestly:
//!
//! | answer | verdict |
//! | --- | --- |
//! | a refusal of the signature, clock, credentials or permission | the shared AWS verdicts (`fail`) |
//! | any other answer that carries AWS's marks (an error code, `x-amzn-requestid`) | `warn reachable`: the endpoint answers and did not reject the credentials, but the channel permissions cannot be proven without opening a session |
//! | 3xx, 429, 5xx, or a 4xx that is not from AWS | the shared AWS verdicts |
//!
//! It never passes: only a real session proves Session Manager works end to end.

use netcheck_guest::judge::{ErrorClass, classify};
use netcheck_guest::{
    Checker, EndpointKind, HttpResponse, Observation, PluginInfo, Probe, ProbeContext, ProbeKind,
    Signing, Target, Verdict, aws_error, judge_aws, request, services,
};

/// What the SSM agent (not this probe) needs; named in the hint.
const AGENT_ACTIONS: &str = "ssmmessages:CreateControlChannel, ssmmessages:CreateDataChannel, \
     ssmmessages:OpenControlChannel and ssmmessages:OpenDataChannel";

struct SsmMessages;

impl Checker for SsmMessages {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "ssmmessages".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Session Manager channels (ssmmessages): signed GET / proves the endpoint \
                          answers and the credentials are not rejected; the channel permissions \
                          need a real session, so the best verdict is a warning"
                    .into(),
            // The probe exercises no IAM action, so a policy for netcheck needs none.
            services: vec![services::aws_service(
                "ssmmessages",
                EndpointKind::Interface,
                &[],
            )],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        // The empty x-amz-content-sha256 is filled in and signed by the host.
        let call = request::rest_get("/").with_header("x-amz-content-sha256", "");
        Ok(vec![Probe {
            label: "GET /".into(),
            kind: ProbeKind::Http(call),
            signing: Signing::sigv4("ssmmessages", region),
            action: None,
        }])
    }

    fn judge(
        target: Target,
        probe: Probe,
        observation: Observation,
        context: ProbeContext,
    ) -> Verdict {
        let Some(response) = observation.http() else {
            return judge_aws(&target, &probe, &observation, &context);
        };
        let error = aws_error(response);
        let class = error.as_ref().map_or(ErrorClass::Other, classify);
        let status = response.status;
        let refused = matches!(
            class,
            ErrorClass::SignatureMismatch
                | ErrorClass::ClockSkew
                | ErrorClass::InvalidCredentials
                | ErrorClass::ExpiredCredentials
                | ErrorClass::AccessDenied
                | ErrorClass::Throttled
        );
        let from_aws = error.is_some() || has_aws_request_id(response);
        let client_error = (400..500).contains(&status) && status != 429;
        if refused || !(status < 300 || client_error) || (client_error && !from_aws) {
            return judge_aws(&target, &probe, &observation, &context);
        }
        let answer = match &error {
            Some(error) => format!("HTTP {status} {} to GET /", error.code),
            None => format!("HTTP {status} to GET /"),
        };
        let message = if context.signed {
            format!(
                "ssmmessages endpoint reachable and the credentials were not rejected ({answer}), but \
                 Session Manager's channel permissions cannot be proven without opening a session"
            )
        } else {
            format!(
                "ssmmessages endpoint reachable ({answer}); no AWS credentials were found, so \
                 authentication was not tested"
            )
        };
        Verdict::warn("reachable", message).with_hint(format!(
            "the SSM agent's role needs {AGENT_ACTIONS} (all in AmazonSSMManagedInstanceCore); \
             `aws ssm start-session --target <instance-id>` proves the whole path"
        ))
    }
}

netcheck_guest::export_plugin!(SsmMessages);

/// AWS front ends put a request id on every answer.
fn has_aws_request_id(response: &HttpResponse) -> bool {
    ["x-amzn-requestid", "x-amz-request-id", "x-amzn-errortype"]
        .iter()
        .any(|h| response.header(h).is_some())
}

#[cfg(test)]
mod tests {
    //! The probe, the description, and verdicts on the shapes an AWS JSON service answers
    //! an unknown route with: never a pass.

    use super::*;
    use netcheck_guest::Checker;
    use netcheck_guest::Status;
    use netcheck_guest::testing::{
        aws_target, context, expect_verdict as expect, http_request, judge_first, only_probe,
        response,
    };

    const UNKNOWN_OPERATION: &str =
        r#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#;
    const MISSING_TOKEN: &str = r#"{"message":"Missing Authentication Token"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: ssmmessages:CreateControlChannel with an explicit deny in a VPC endpoint policy"}"#;
    const REQUEST_ID: (&str, &str) = ("x-amzn-requestid", "0c8e2f4a-6b1d-4e3f-9a7c-5d2b8e1f0a36");

    fn target(region: Option<&str>) -> Target {
        aws_target("ssmmessages", "ssmmessages.eu-west-1.amazonaws.com", region)
    }

    fn judge(status: u16, headers: &[(&str, &str)], body: &str, signed: bool) -> Verdict {
        judge_first::<SsmMessages>(
            &target(Some("eu-west-1")),
            response(status, headers, body),
            context(signed, None),
        )
    }

    #[test]
    fn plans_a_signed_get_that_exercises_no_action() {
        let probe = only_probe::<SsmMessages>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("ssmmessages", "eu-west-1"));
        assert_eq!(probe.action, None);
        let req = http_request(&probe);
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("GET", "/")
        );
        assert!(req.body.is_empty());
        assert!(
            SsmMessages::plan(target(None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_the_interface_endpoint_with_no_action_needed() {
        let s = &SsmMessages::describe().services[0];
        assert_eq!(s.signing_name.as_deref(), Some("ssmmessages"));
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.ssmmessages")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert!(s.actions.is_empty());
        for p in [
            "ssmmessages.*.amazonaws.com",
            "ssmmessages-fips.*.amazonaws.com",
            "*.ssmmessages.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn an_aws_answer_that_rejects_nothing_is_a_warning_never_a_pass() {
        let v = judge(404, &[REQUEST_ID], UNKNOWN_OPERATION, true);
        expect(
            &v,
            Status::Warn,
            "reachable",
            "HTTP 404 UnknownOperationException to GET /",
        );
        assert!(v.message.contains("not rejected"), "{}", v.message);
        assert!(v.hint.unwrap().contains("ssmmessages:CreateControlChannel"));
        // API Gateway-style fronts answer unknown routes like this even when signed.
        let v = judge(403, &[REQUEST_ID], MISSING_TOKEN, true);
        expect(&v, Status::Warn, "reachable", "HTTP 403 to GET /");
        let v = judge(200, &[REQUEST_ID], "{}", true);
        expect(&v, Status::Warn, "reachable", "HTTP 200");
        let v = judge(404, &[REQUEST_ID], UNKNOWN_OPERATION, false);
        expect(
            &v,
            Status::Warn,
            "reachable",
            "no AWS credentials were found",
        );
    }

    #[test]
    fn refusals_of_the_credentials_fail() {
        let v = judge(400, &[REQUEST_ID], BAD_SIGNATURE, true);
        expect(
            &v,
            Status::Fail,
            "signature-mismatch",
            "InvalidSignatureException",
        );
        let v = judge(400, &[REQUEST_ID], UNKNOWN_KEY, true);
        expect(
            &v,
            Status::Fail,
            "invalid-credentials",
            "UnrecognizedClientException",
        );
        let v = judge(403, &[REQUEST_ID], ACCESS_DENIED, true);
        expect(&v, Status::Fail, "access-denied", "explicit deny");
    }

    #[test]
    fn answers_not_from_aws_are_not_reachability() {
        let v = judge(
            403,
            &[("content-type", "text/html")],
            "<html><title>Blocked</title></html>",
            true,
        );
        expect(&v, Status::Fail, "http-status", "not AWS");
        let v = judge(503, &[], "", true);
        assert_eq!((v.status, v.reason.as_str()), (Status::Warn, "http-status"));
    }
}
