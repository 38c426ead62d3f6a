//! The ListTables request, the description, and verdicts on DynamoDB's answers in the
//! JSON 1.0 shapes AWS sends (status, headers, body).

use super::*;
use netcheck_guest::testing::{
    aws_target, expect_verdict as expect, http_request, judge_first, only_probe, response, signed,
};
use netcheck_guest::{Checker, Signing, Status, Verdict};

const OK: &str = r#"{"LastEvaluatedTableName":"orders","TableNames":["orders"]}"#;
const ACCESS_DENIED: &str = r#"{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: dynamodb:ListTables on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/* because no identity-based policy allows the dynamodb:ListTables action"}"#;
const BAD_SIGNATURE: &str = r#"{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
const UNKNOWN_KEY: &str = r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
const JSON_1_0: (&str, &str) = ("content-type", "application/x-amz-json-1.0");

fn target(region: Option<&str>) -> Target {
    aws_target("dynamodb", "dynamodb.eu-west-1.amazonaws.com", region)
}

fn judge(status: u16, headers: &[(&str, &str)], body: &str) -> Verdict {
    judge_first::<Dynamodb>(
        &target(Some("eu-west-1")),
        response(status, headers, body),
        signed(),
    )
}

#[test]
fn plans_one_signed_json_1_0_list_tables() {
    let probe = only_probe::<Dynamodb>(target(Some("eu-west-1")));
    assert_eq!(probe.signing, Signing::sigv4("dynamodb", "eu-west-1"));
    assert_eq!(probe.action.as_deref(), Some(ACTION));
    let req = http_request(&probe);
    assert_eq!(
        (req.method.as_str(), req.path_and_query.as_str()),
        ("POST", "/")
    );
    assert!(
        req.headers
            .contains(&("x-amz-target".into(), "DynamoDB_20120810.ListTables".into()))
    );
    assert!(
        req.headers
            .contains(&("content-type".into(), "application/x-amz-json-1.0".into()))
    );
    assert_eq!(req.body, br#"{"Limit":1}"#);
}

#[test]
fn missing_region_is_an_error_naming_the_fix() {
    let err = Dynamodb::plan(target(None)).unwrap_err();
    assert!(
        err.contains("no region") && err.contains("AWS_REGION"),
        "{err}"
    );
}

#[test]
fn describes_a_gateway_endpoint_and_every_host_form() {
    let info = Dynamodb::describe();
    assert_eq!(info.name, "dynamodb");
    let s = &info.services[0];
    assert_eq!(s.id, "dynamodb");
    assert_eq!(s.endpoint_kind, EndpointKind::Gateway);
    assert_eq!(
        s.vpc_endpoint.as_deref(),
        Some("com.amazonaws.{region}.dynamodb")
    );
    assert_eq!(s.signing_name.as_deref(), Some("dynamodb"));
    assert_eq!(s.actions, [ACTION]);
    for p in [
        "dynamodb.*.amazonaws.com",
        "dynamodb-fips.*.amazonaws.com",
        "dynamodb.*.amazonaws.com.cn",
        "dynamodb.*.api.aws",
        "*.dynamodb.*.vpce.amazonaws.com",
        "*.ddb.*.amazonaws.com",
    ] {
        assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
    }
    assert!(info.description.contains("interface endpoint"));
}

#[test]
fn success_is_ok() {
    expect(
        &judge(200, &[JSON_1_0], OK),
        Status::Pass,
        "ok",
        "ListTables",
    );
}

#[test]
fn access_denied_names_the_action() {
    let v = judge(400, &[JSON_1_0], ACCESS_DENIED);
    expect(&v, Status::Fail, "access-denied", "dynamodb:ListTables");
    assert!(
        v.message.contains("HTTP 400 AccessDeniedException"),
        "{}",
        v.message
    );
    assert!(v.hint.unwrap().contains("grant dynamodb:ListTables"));
}

#[test]
fn bad_signature_is_signature_mismatch() {
    let v = judge(400, &[JSON_1_0], BAD_SIGNATURE);
    expect(
        &v,
        Status::Fail,
        "signature-mismatch",
        "InvalidSignatureException",
    );
}

#[test]
fn unknown_key_is_invalid_credentials() {
    let v = judge(400, &[JSON_1_0], UNKNOWN_KEY);
    expect(
        &v,
        Status::Fail,
        "invalid-credentials",
        "UnrecognizedClientException",
    );
}
