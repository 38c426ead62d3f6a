//! netcheck plugin `ec2`: proves the Amazon EC2 API is reachable and usable with
//! `DescribeRegions` for the check's own region (EC2 query protocol, API version
//! 2016-11-15, `RegionName.1=<region>`): one small item back.
//!
//! EC2 reports errors in its own shape (`<Response><Errors><Error>`), and answers
//! `AuthFailure` alike for an unknown key, a wrong secret, a signature broken in transit and
//! a skewed clock. This plugin tells those apart as far as the answer allows: a known clock
//! offset over 5 minutes makes it `clock-skew`, otherwise the hint lists every cause.

use netcheck_guest::signed_call::region_unless_global;
use netcheck_guest::{
    EndpointKind, HttpRequest, Observation, Probe, ProbeContext, ServiceInfo, SignedCall, Target,
    Verdict, aws_error, judge_aws, request, services,
};

const ACTION: &str = "ec2:DescribeRegions";
/// The legacy global name, which serves us-east-1.
const LEGACY_GLOBAL_HOST: &str = "ec2.amazonaws.com";
/// How far apart clocks may be before SigV4 rejects a request.
const MAX_SKEW_SECONDS: u64 = 300;

struct Ec2;

impl SignedCall for Ec2 {
    const NAME: &'static str = "ec2";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Amazon EC2 API: signed DescribeRegions for the check's region";
    const SERVICE: &'static str = "ec2";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "DescribeRegions";
    const ACTION: &'static str = ACTION;

    fn service() -> ServiceInfo {
        let mut service = services::aws_service(Self::SERVICE, Self::ENDPOINT_KIND, &[ACTION]);
        service.host_patterns.push(LEGACY_GLOBAL_HOST.into());
        service
    }

    fn signing_region(target: &Target) -> Result<&str, String> {
        region_unless_global(target, LEGACY_GLOBAL_HOST, "us-east-1")
    }

    fn request(_target: &Target, region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_query(
            "DescribeRegions",
            "2016-11-15",
            &[("RegionName.1", region)],
        ))
    }

    fn verdict(
        target: &Target,
        probe: &Probe,
        observation: &Observation,
        context: &ProbeContext,
    ) -> Verdict {
        let verdict = judge_aws(target, probe, observation, context);
        let code = observation
            .http()
            .and_then(aws_error)
            .map(|e| e.code)
            .unwrap_or_default();
        match code.as_str() {
            "AuthFailure" if context.signed => auth_failure(verdict, context),
            // EC2's answer to a request without any signature.
            "MissingParameter" | "AuthFailure" if !context.signed => Verdict::warn(
                "no-credentials",
                format!(
                    "EC2 is reachable ({}) but no AWS credentials were found, so authentication \
                     was not tested",
                    answer(observation, &code)
                ),
            )
            .with_hint(
                "to test authentication and permissions, provide credentials: AWS_PROFILE, \
                 AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, `aws sso login`, or an instance/task role",
            ),
            _ => verdict,
        }
    }
}

netcheck_guest::export_plugin!(Ec2);

/// `AuthFailure` to a signed request: clock skew when the offset shows it, else the shared
/// `invalid-credentials` verdict with every cause EC2 folds into that code.
fn auth_failure(verdict: Verdict, context: &ProbeContext) -> Verdict {
    match context.clock_offset_seconds {
        Some(offset) if offset.unsigned_abs() > MAX_SKEW_SECONDS => {
            let direction = if offset > 0 { "ahead of" } else { "behind" };
            Verdict::fail(
                "clock-skew",
                format!(
                    "EC2 refused the request (HTTP 401 AuthFailure) and the local clock is {} s {direction} \
                     the server's",
                    offset.unsigned_abs()
                ),
            )
            .with_hint(
                "synchronise this machine's clock (chrony, systemd-timesyncd or ntpd); SigV4 allows 5 \
                 minutes of skew",
            )
        }
        _ => Verdict {
            hint: Some(
                "EC2 answers AuthFailure for several causes: an unknown or inactive access key, a secret \
                 key that does not belong to the key id, a session token from another key, a request \
                 changed by a proxy (Host header, path), or a clock more than 5 minutes off; check which \
                 credentials are in use (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/credentials) and the clock"
                    .into(),
            ),
            ..verdict
        },
    }
}

/// `HTTP 401 AuthFailure`, or `HTTP 401` without a code.
fn answer(observation: &Observation, code: &str) -> String {
    let status = observation.http().map_or(0, |r| r.status);
    if code.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {code}")
    }
}

#[cfg(test)]
mod tests {
    //! The DescribeRegions request, the description, and verdicts on EC2's answers in its
    //! own XML error shape.

    use super::*;
    use netcheck_guest::testing::{
        aws_target, context, expect_verdict as expect, http_request, judge_first, response,
    };
    use netcheck_guest::{Checker, Signing, Status};

    const OK: &str = r#"<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><regionInfo><item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item></regionInfo></DescribeRegionsResponse>"#;
    const UNAUTHORIZED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: ec2:DescribeRegions because no identity-based policy allows the ec2:DescribeRegions action</Message></Error></Errors><RequestID>2</RequestID></Response>"#;
    const AUTH_FAILURE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message></Error></Errors><RequestID>3</RequestID></Response>"#;
    const BAD_SIGNATURE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message></Error></Errors><RequestID>4</RequestID></Response>"#;
    const EXPIRED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestExpired</Code><Message>Request has expired.</Message></Error></Errors><RequestID>5</RequestID></Response>"#;
    const UNSIGNED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>MissingParameter</Code><Message>The request must contain the parameter AWSAccessKeyId</Message></Error></Errors><RequestID>6</RequestID></Response>"#;

    fn target(host: &str, region: Option<&str>) -> Target {
        aws_target("ec2", host, region)
    }

    fn judge(status: u16, body: &str, signed: bool, clock_offset_seconds: Option<i64>) -> Verdict {
        judge_first::<Ec2>(
            &target("ec2.eu-west-1.amazonaws.com", Some("eu-west-1")),
            response(status, &[("content-type", "text/xml;charset=UTF-8")], body),
            context(signed, clock_offset_seconds),
        )
    }

    #[test]
    fn plans_describe_regions_for_the_checks_region() {
        let probe = Ec2::plan(target("ec2.eu-west-1.amazonaws.com", Some("eu-west-1")))
            .unwrap()
            .remove(0);
        assert_eq!(probe.signing, Signing::sigv4("ec2", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(
            req.body,
            b"Action=DescribeRegions&Version=2016-11-15&RegionName.1=eu-west-1"
        );
    }

    #[test]
    fn legacy_global_name_is_us_east_1_and_others_need_a_region() {
        let probe = Ec2::plan(target("EC2.amazonaws.com", Some("eu-west-1")))
            .unwrap()
            .remove(0);
        assert_eq!(probe.signing, Signing::sigv4("ec2", "us-east-1"));
        assert!(
            Ec2::plan(target("127.0.0.1", None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn describes_the_interface_endpoint() {
        let s = &Ec2::describe().services[0];
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.ec2")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        assert_eq!(s.actions, [ACTION]);
        for p in [
            "ec2.*.amazonaws.com",
            "ec2-fips.*.amazonaws.com",
            "ec2.*.api.aws",
            "*.ec2.*.vpce.amazonaws.com",
            "ec2.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(
            &judge(200, OK, true, None),
            Status::Pass,
            "ok",
            "DescribeRegions",
        );
        let v = judge(403, UNAUTHORIZED, true, None);
        expect(&v, Status::Fail, "access-denied", ACTION);
        assert!(v.message.contains("UnauthorizedOperation"));
        expect(
            &judge(403, BAD_SIGNATURE, true, None),
            Status::Fail,
            "signature-mismatch",
            "SignatureDoesNotMatch",
        );
        expect(
            &judge(400, EXPIRED, true, Some(-900)),
            Status::Fail,
            "clock-skew",
            "900 s behind",
        );
    }

    #[test]
    fn auth_failure_lists_every_cause_unless_the_clock_explains_it() {
        let v = judge(401, AUTH_FAILURE, true, Some(3));
        expect(
            &v,
            Status::Fail,
            "invalid-credentials",
            "HTTP 401 AuthFailure",
        );
        let hint = v.hint.unwrap();
        assert!(
            hint.contains("secret key") && hint.contains("clock") && hint.contains("proxy"),
            "{hint}"
        );
        let v = judge(401, AUTH_FAILURE, true, Some(1200));
        expect(&v, Status::Fail, "clock-skew", "1200 s ahead of");
    }

    #[test]
    fn unsigned_requests_are_no_credentials() {
        let v = judge(400, UNSIGNED, false, None);
        expect(
            &v,
            Status::Warn,
            "no-credentials",
            "HTTP 400 MissingParameter",
        );
        let v = judge(401, AUTH_FAILURE, false, None);
        expect(&v, Status::Warn, "no-credentials", "AuthFailure");
    }
}
