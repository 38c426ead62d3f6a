//! netcheck plugin `ec2messages`: checks the Systems Manager message-delivery endpoint
//! (`ec2messages.<region>.amazonaws.com`) from which the SSM agent fetches Run Command
//! messages, with its one read-only call, `GetEndpoint` (JSON 1.1,
//! `EC2WindowsMessageDeliveryService.GetEndpoint`, `{"Destination":"<instance id>"}`).
//!
//! `GetMessages` would take a real message away from the agent, so it is never called.
//! `GetEndpoint` only routes: with option `instance-id` (this instance's id) it asks for
//! that destination, else for a placeholder id.
//!
//! | answer | verdict |
//! | --- | --- |
//! | 2xx | pass: reachable, authenticated, `ec2messages:GetEndpoint` allowed |
//! | a refusal of the signature, clock, credentials or permission | the shared AWS verdicts |
//! | another AWS error (`AuthorizationFailureException`, `InvalidDestinationException`, …) | `warn reachable`: the credentials were accepted, but the service refused this destination |
//! | 3xx, 429, 5xx, or a 4xx not from AWS | the shared AWS verdicts |

use netcheck_guest::judge::{ErrorClass, classify};
use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    aws_error, judge_aws, services,
};

const ACTION: &str = "ec2messages:GetEndpoint";
/// Asked for when no `instance-id` is set: well-formed, owned by nobody.
const PLACEHOLDER_DESTINATION: &str = "i-00000000000000000";

struct Ec2Messages;

impl Checker for Ec2Messages {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "ec2messages".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Systems Manager message delivery (ec2messages): signed GetEndpoint for \
                          option instance-id (else a placeholder); never GetMessages"
                .into(),
            services: vec![services::aws_service(
                "ec2messages",
                EndpointKind::Interface,
                &[ACTION],
            )],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let destination = destination(&target)?.unwrap_or(PLACEHOLDER_DESTINATION);
        // `destination` holds only letters, digits and `-`: nothing to escape in JSON.
        let call = request::aws_json(
            JsonProtocol::V1_1,
            "EC2WindowsMessageDeliveryService.GetEndpoint",
            &format!(r#"{{"Destination":"{destination}"}}"#),
        );
        Ok(vec![Probe::aws(
            "GetEndpoint",
            call,
            "ec2messages",
            region,
            ACTION,
        )])
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
        let Some(error) = aws_error(response) else {
            return judge_aws(&target, &probe, &observation, &context);
        };
        let status = response.status;
        let service_refusal =
            classify(&error) == ErrorClass::Other && (400..500).contains(&status) && status != 429;
        if !service_refusal {
            return judge_aws(&target, &probe, &observation, &context);
        }
        let answer = format!("HTTP {status} {}", error.code);
        let user_destination = destination(&target).ok().flatten();
        let (message, hint) = match (context.signed, user_destination) {
            (false, _) => (
                format!(
                    "ec2messages endpoint reachable ({answer}); no AWS credentials were found, so \
                     authentication was not tested"
                ),
                "run netcheck with the instance's own role to test it".to_string(),
            ),
            (true, Some(id)) => (
                format!(
                    "ec2messages endpoint reachable and the credentials were accepted, but it refused \
                     GetEndpoint for {id} ({answer})"
                ),
                format!(
                    "the SSM agent calls ec2messages with the instance profile's credentials: run \
                     netcheck with that role, and check that {id} is this instance's id and is \
                     registered with Systems Manager"
                ),
            ),
            (true, None) => (
                format!(
                    "ec2messages endpoint reachable and the credentials were accepted, but it refused \
                     GetEndpoint for a placeholder instance ({answer}), so the agent's own access is \
                     not proven"
                ),
                "set instance-id = \"i-…\" (this instance's id) on the check to ask for its own \
                 destination"
                    .to_string(),
            ),
        };
        Verdict::warn("reachable", message).with_hint(hint)
    }
}

netcheck_guest::export_plugin!(Ec2Messages);

/// The `instance-id` option: `i-…` or `mi-…` (letters, digits, `-`; 10 to 64 characters).
fn destination(target: &Target) -> Result<Option<&str>, String> {
    let Some(id) = target
        .option("instance-id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
    else {
        return Ok(None);
    };
    let valid = (10..=64).contains(&id.len())
        && (id.starts_with("i-") || id.starts_with("mi-"))
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(Some(id))
    } else {
        Err(format!(
            "option instance-id = {id:?} is not an instance id: use this instance's id, e.g. \
             instance-id = \"i-0123456789abcdef0\" (or mi-… for a hybrid managed node)"
        ))
    }
}

#[cfg(test)]
mod tests {
    //! The GetEndpoint request, the description, and verdicts on the JSON 1.1 shapes the
    //! service answers in.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, context, expect_verdict as expect, judge_first, response, with_options,
    };
    use netcheck_guest::{Checker, ProbeKind, Signing, Status};

    const OK: &str = r#"{"Endpoint":"ec2messages.eu-west-1.amazonaws.com"}"#;
    const AUTHORIZATION_FAILURE: &str = r#"{"__type":"AuthorizationFailureException","message":"Not authorized to access destination i-00000000000000000"}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: ec2messages:GetEndpoint because no identity-based policy allows the ec2messages:GetEndpoint action"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;

    fn target(options: &[(&str, &str)], region: Option<&str>) -> Target {
        with_options(
            aws_target("ec2messages", "ec2messages.eu-west-1.amazonaws.com", region),
            options,
        )
    }

    fn body_of(t: Target) -> String {
        let probe = Ec2Messages::plan(t).unwrap().remove(0);
        assert_eq!(probe.signing, Signing::sigv4("ec2messages", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = probe.kind else {
            panic!("expected an HTTP probe");
        };
        assert!(req.headers.contains(&(
            "x-amz-target".into(),
            "EC2WindowsMessageDeliveryService.GetEndpoint".into()
        )));
        String::from_utf8(req.body).unwrap()
    }

    fn judge(options: &[(&str, &str)], status: u16, body: &str, signed: bool) -> Verdict {
        judge_first::<Ec2Messages>(
            &target(options, Some("eu-west-1")),
            response(
                status,
                &[("content-type", "application/x-amz-json-1.1")],
                body,
            ),
            context(signed, None),
        )
    }

    #[test]
    fn asks_for_the_given_instance_or_a_placeholder() {
        assert_eq!(
            body_of(target(&[], Some("eu-west-1"))),
            r#"{"Destination":"i-00000000000000000"}"#
        );
        assert_eq!(
            body_of(target(
                &[("instance-id", " i-0123456789abcdef0 ")],
                Some("eu-west-1")
            )),
            r#"{"Destination":"i-0123456789abcdef0"}"#
        );
    }

    #[test]
    fn bad_instance_ids_and_missing_region_are_errors() {
        for bad in [r#"i-1","x":"#, "sg-0123456789", "i-1"] {
            let err =
                Ec2Messages::plan(target(&[("instance-id", bad)], Some("eu-west-1"))).unwrap_err();
            assert!(err.contains("not an instance id"), "{bad}: {err}");
        }
        assert!(
            Ec2Messages::plan(target(&[], None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let s = &Ec2Messages::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.ec2messages")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "ec2messages.*.amazonaws.com",
            "ec2messages-fips.*.amazonaws.com",
            "*.ec2messages.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn iam_answers_get_the_shared_verdicts() {
        expect(
            &judge(&[], 200, OK, true),
            Status::Pass,
            "ok",
            "GetEndpoint",
        );
        expect(
            &judge(&[], 400, ACCESS_DENIED, true),
            Status::Fail,
            "access-denied",
            ACTION,
        );
        expect(
            &judge(&[], 400, BAD_SIGNATURE, true),
            Status::Fail,
            "signature-mismatch",
            "InvalidSignatureException",
        );
        expect(
            &judge(&[], 400, UNKNOWN_KEY, true),
            Status::Fail,
            "invalid-credentials",
            "UnrecognizedClientException",
        );
    }

    #[test]
    fn a_refused_destination_is_a_warning_never_a_pass() {
        let v = judge(&[], 400, AUTHORIZATION_FAILURE, true);
        expect(
            &v,
            Status::Warn,
            "reachable",
            "placeholder instance (HTTP 400 AuthorizationFailureException)",
        );
        assert!(v.hint.unwrap().contains("instance-id"));
        let id = [("instance-id", "i-0123456789abcdef0")];
        let v = judge(&id, 400, AUTHORIZATION_FAILURE, true);
        expect(
            &v,
            Status::Warn,
            "reachable",
            "refused GetEndpoint for i-0123456789abcdef0",
        );
        assert!(v.hint.unwrap().contains("instance profile"));
        let v = judge(&[], 400, AUTHORIZATION_FAILURE, false);
        expect(&v, Status::Warn, "reachable", "no AWS credentials");
    }
}
