//! The DescribeLogGroups request, the description, and verdicts on CloudWatch Logs'
//! answers in the JSON 1.1 shapes AWS sends.

use super::*;
use netcheck_guest::testing::{
    aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response, signed,
};
use netcheck_guest::{Checker, Signing, Status, Verdict};

const OK: &str = r#"{"logGroups":[{"arn":"arn:aws:logs:eu-west-1:123456789012:log-group:/app:*","logGroupName":"/app","storedBytes":0}],"nextToken":"x"}"#;
// CloudWatch Logs answers an IAM denial with 400 and no x-amzn-errortype header.
const ACCESS_DENIED: &str = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: logs:DescribeLogGroups on resource: arn:aws:logs:eu-west-1:123456789012:log-group::log-stream: because no identity-based policy allows the logs:DescribeLogGroups action"}"#;
const BAD_SIGNATURE: &str = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
const SIGNATURE_EXPIRED: &str = r#"{"__type":"InvalidSignatureException","message":"Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z (20240101T001500Z - 5 min.)"}"#;
const UNKNOWN_KEY: &str = r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
const JSON_1_1: (&str, &str) = ("content-type", "application/x-amz-json-1.1");

fn target(region: Option<&str>) -> Target {
    aws_target("logs", "logs.eu-west-1.amazonaws.com", region)
}

fn judge(status: u16, headers: &[(&str, &str)], body: &str) -> Verdict {
    judge_first::<Logs>(
        &target(Some("eu-west-1")),
        response(status, headers, body),
        signed(),
    )
}

#[test]
fn plans_one_signed_describe_log_groups() {
    let probe = only_probe::<Logs>(target(Some("eu-west-1")));
    assert_eq!(probe.signing, Signing::sigv4("logs", "eu-west-1"));
    assert_eq!(probe.action.as_deref(), Some(ACTION));
    let req = http_request(&probe);
    assert_eq!(
        (req.method.as_str(), req.path_and_query.as_str()),
        ("POST", "/")
    );
    assert!(req.headers.contains(&(
        "x-amz-target".into(),
        "Logs_20140328.DescribeLogGroups".into()
    )));
    assert!(
        req.headers
            .contains(&("content-type".into(), "application/x-amz-json-1.1".into()))
    );
    assert_eq!(req.body, br#"{"limit":1}"#);
}

#[test]
fn missing_region_is_an_error_naming_the_fix() {
    let err = Logs::plan(target(None)).unwrap_err();
    assert!(
        err.contains("no region") && err.contains("AWS_REGION"),
        "{err}"
    );
}

#[test]
fn describes_the_interface_endpoint_and_host_forms() {
    let s = &Logs::describe().services[0];
    assert_eq!(s.id, "logs");
    assert_eq!(s.endpoint_kind, EndpointKind::Interface);
    assert_eq!(
        s.vpc_endpoint.as_deref(),
        Some("com.amazonaws.{region}.logs")
    );
    assert_eq!(s.actions, [ACTION]);
    for p in [
        "logs.*.amazonaws.com",
        "logs-fips.*.amazonaws.com",
        "logs.*.api.aws",
        "*.logs.*.vpce.amazonaws.com",
    ] {
        assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
    }
}

#[test]
fn success_is_ok() {
    expect(
        &judge(200, &[JSON_1_1], OK),
        Status::Pass,
        "ok",
        "DescribeLogGroups",
    );
}

#[test]
fn access_denied_with_status_400_names_the_action() {
    let v = judge(400, &[JSON_1_1], ACCESS_DENIED);
    expect(&v, Status::Fail, "access-denied", "logs:DescribeLogGroups");
}

#[test]
fn bad_signature_is_signature_mismatch_and_an_expired_one_is_clock_skew() {
    let v = judge(400, &[JSON_1_1], BAD_SIGNATURE);
    expect(
        &v,
        Status::Fail,
        "signature-mismatch",
        "InvalidSignatureException",
    );
    let v = judge(400, &[JSON_1_1], SIGNATURE_EXPIRED);
    expect(&v, Status::Fail, "clock-skew", "Signature expired");
}

#[test]
fn unknown_key_is_invalid_credentials() {
    let v = judge(400, &[JSON_1_1], UNKNOWN_KEY);
    expect(
        &v,
        Status::Fail,
        "invalid-credentials",
        "UnrecognizedClientException",
    );
}
