//! Requests from the options, the description, and verdicts on API Gateway's answers as
//! REST and HTTP APIs send them (status, `x-amzn-*` headers, JSON `message` body).

use super::*;
use netcheck_guest::Checker;
use netcheck_guest::testing::expect_verdict as expect;
use netcheck_guest::{HttpRequest, HttpResponse, ProbeKind, Signing, Status};

const HOST: &str = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com";
const VPCE_HOST: &str = "vpce-0abc1234-xyz.execute-api.eu-west-1.vpce.amazonaws.com";
const REST_ID: (&str, &str) = ("x-amzn-requestid", "6b0e9d8c-1f2a-4b3c-9d8e-7f6a5b4c3d2e");
const MISSING_TOKEN: &str = r#"{"message":"Missing Authentication Token"}"#;
const FORBIDDEN: &str = r#"{"message":"Forbidden"}"#;
const EXPLICIT_DENY: &str = r#"{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:eu-west-1:********1234:a1b2c3d4e5/prod/GET/ with an explicit deny"}"#;
const IAM_DENIED: &str = r#"{"Message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:eu-west-1:********9012:a1b2c3d4e5/prod/GET/health"}"#;
const BAD_SIGNATURE: &str = r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
const UNKNOWN_KEY: &str = r#"{"message":"The security token included in the request is invalid."}"#;

fn target(host: &str, path: &str, options: &[(&str, &str)], region: Option<&str>) -> Target {
    Target {
        url: format!("https://{host}{path}"),
        scheme: "https".into(),
        host: host.into(),
        port: 443,
        path_and_query: path.into(),
        aws: None,
        service: Some("execute-api".into()),
        region: region.map(String::from),
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn only_probe(t: Target) -> Probe {
    let mut probes = ExecuteApi::plan(t).unwrap();
    assert_eq!(probes.len(), 1);
    probes.remove(0)
}

fn request_of(probe: &Probe) -> &HttpRequest {
    match &probe.kind {
        ProbeKind::Http(req) => req,
        ProbeKind::Connect => panic!("expected an HTTP probe"),
    }
}

fn judge(t: &Target, status: u16, headers: &[(&str, &str)], body: &str, signed: bool) -> Verdict {
    let probe = only_probe(t.clone());
    let response = HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    };
    let context = ProbeContext {
        signed,
        clock_offset_seconds: None,
    };
    let verdict = ExecuteApi::judge(t.clone(), probe, Observation::Http(response), context);
    assert!(!verdict.message.contains('\n'), "{}", verdict.message);
    verdict
}

fn unsigned_root() -> Target {
    target(HOST, "/", &[], None)
}

fn signed_health() -> Target {
    target(HOST, "/prod/health", &[("sign", "true")], Some("eu-west-1"))
}

#[test]
fn default_is_an_unsigned_get_of_the_urls_path_without_a_region() {
    let probe = only_probe(target(HOST, "/prod/health?deep=1", &[], None));
    assert_eq!(probe.signing, Signing::None);
    assert_eq!(probe.action, None);
    assert_eq!(probe.label, "GET /prod/health?deep=1");
    let req = request_of(&probe);
    assert_eq!(
        (req.method.as_str(), req.path_and_query.as_str()),
        ("GET", "/prod/health?deep=1")
    );
    assert!(req.headers.is_empty() && req.body.is_empty());
}

#[test]
fn sign_option_signs_for_execute_api_and_needs_a_region() {
    let probe = only_probe(signed_health());
    assert_eq!(probe.signing, Signing::sigv4("execute-api", "eu-west-1"));
    assert_eq!(probe.action.as_deref(), Some(ACTION));
    let err = ExecuteApi::plan(target(HOST, "/", &[("sign", "true")], None)).unwrap_err();
    assert!(err.contains("no region"), "{err}");
}

#[test]
fn api_id_option_adds_the_private_api_header() {
    let probe = only_probe(target(
        VPCE_HOST,
        "/",
        &[("api-id", "a1b2c3d4e5"), ("path", "/prod/")],
        None,
    ));
    let req = request_of(&probe);
    assert_eq!(req.path_and_query, "/prod/");
    assert!(
        req.headers
            .contains(&("x-apigw-api-id".into(), "a1b2c3d4e5".into()))
    );
}

#[test]
fn describes_invoke_endpoints_and_the_vpc_endpoint() {
    let s = &ExecuteApi::describe().services[0];
    assert_eq!(s.id, "execute-api");
    assert_eq!(s.signing_name.as_deref(), Some("execute-api"));
    assert_eq!(
        s.vpc_endpoint.as_deref(),
        Some("com.amazonaws.{region}.execute-api")
    );
    assert_eq!(s.endpoint_kind, EndpointKind::Interface);
    assert_eq!(s.actions, [ACTION]);
    for p in [
        "*.execute-api.*.amazonaws.com",
        "*.execute-api.*.amazonaws.com.cn",
        "*.execute-api.*.vpce.amazonaws.com",
    ] {
        assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
    }
}

#[test]
fn missing_authentication_token_at_the_root_proves_api_gateway() {
    let headers = [
        REST_ID,
        ("x-amzn-errortype", "MissingAuthenticationTokenException"),
    ];
    let v = judge(&unsigned_root(), 403, &headers, MISSING_TOKEN, false);
    expect(&v, Status::Pass, "ok", "API Gateway reachable");
    assert!(
        v.message.contains("Missing Authentication Token"),
        "{}",
        v.message
    );
    // Some answers carry only the request id and the message.
    let v = judge(&unsigned_root(), 403, &[REST_ID], MISSING_TOKEN, false);
    expect(&v, Status::Pass, "ok", "API Gateway reachable");
}

#[test]
fn no_method_at_a_chosen_path_or_to_a_signed_request_is_a_warning() {
    let headers = [
        REST_ID,
        ("x-amzn-errortype", "MissingAuthenticationTokenException"),
    ];
    let t = target(HOST, "/prod/nope", &[], None);
    let v = judge(&t, 403, &headers, MISSING_TOKEN, false);
    expect(&v, Status::Warn, "no-route", "no method at GET /prod/nope");
    assert!(v.hint.unwrap().contains("sign = \"true\""));
    let v = judge(&signed_health(), 403, &headers, MISSING_TOKEN, true);
    expect(&v, Status::Warn, "no-route", "GET /prod/health");
    // An HTTP API's answer for a route it does not have.
    let http_api = [("apigw-requestid", "Zx1yAbCdEfGhIjk=")];
    let v = judge(&t, 404, &http_api, r#"{"message":"Not Found"}"#, false);
    expect(&v, Status::Warn, "no-route", "HTTP 404 \"Not Found\"");
    let v = judge(
        &unsigned_root(),
        404,
        &http_api,
        r#"{"message":"Not Found"}"#,
        false,
    );
    expect(&v, Status::Pass, "ok", "API Gateway reachable");
}

#[test]
fn authorizer_and_success_answers_pass() {
    let v = judge(
        &unsigned_root(),
        401,
        &[REST_ID, ("x-amzn-errortype", "UnauthorizedException")],
        r#"{"message":"Unauthorized"}"#,
        false,
    );
    expect(&v, Status::Pass, "ok", "authorizer asked for credentials");
    let v = judge(
        &signed_health(),
        200,
        &[REST_ID],
        r#"{"status":"ok"}"#,
        true,
    );
    expect(
        &v,
        Status::Pass,
        "ok",
        "API Gateway answered HTTP 200 to GET /prod/health",
    );
    let v = judge(&unsigned_root(), 204, &[], "", false);
    expect(
        &v,
        Status::Pass,
        "ok",
        "without API Gateway's request-id headers",
    );
}

#[test]
fn forbidden_is_a_warning_with_private_api_hints() {
    let headers = [REST_ID, ("x-amzn-errortype", "ForbiddenException")];
    let v = judge(&unsigned_root(), 403, &headers, FORBIDDEN, false);
    expect(
        &v,
        Status::Warn,
        "forbidden",
        "HTTP 403 ForbiddenException: Forbidden",
    );
    assert!(v.hint.unwrap().contains("private API"));
    let t = target(VPCE_HOST, "/prod/", &[], None);
    let v = judge(&t, 403, &headers, FORBIDDEN, false);
    assert!(v.hint.unwrap().contains("api-id"));
    // A resource-policy deny of an unsigned request is not about missing credentials.
    let v = judge(
        &unsigned_root(),
        403,
        &[REST_ID, ("x-amzn-errortype", "AccessDeniedException")],
        EXPLICIT_DENY,
        false,
    );
    expect(&v, Status::Warn, "forbidden", "explicit deny");
}

#[test]
fn signed_requests_get_iams_verdicts() {
    let t = signed_health();
    let v = judge(
        &t,
        403,
        &[REST_ID, ("x-amzn-errortype", "AccessDeniedException")],
        IAM_DENIED,
        true,
    );
    expect(&v, Status::Fail, "access-denied", ACTION);
    let v = judge(
        &t,
        403,
        &[REST_ID, ("x-amzn-errortype", "InvalidSignatureException")],
        BAD_SIGNATURE,
        true,
    );
    expect(
        &v,
        Status::Fail,
        "signature-mismatch",
        "InvalidSignatureException",
    );
    let v = judge(
        &t,
        403,
        &[REST_ID, ("x-amzn-errortype", "UnrecognizedClientException")],
        UNKNOWN_KEY,
        true,
    );
    expect(
        &v,
        Status::Fail,
        "invalid-credentials",
        "UnrecognizedClientException",
    );
    // Asked to sign, but no credentials were found.
    let v = judge(
        &t,
        403,
        &[
            REST_ID,
            ("x-amzn-errortype", "MissingAuthenticationTokenException"),
        ],
        MISSING_TOKEN,
        false,
    );
    expect(&v, Status::Warn, "no-credentials", "no AWS credentials");
}

#[test]
fn answers_not_from_api_gateway_are_blamed_on_the_path() {
    let page = "<html><head><title>Blocked</title></head></html>";
    let v = judge(
        &unsigned_root(),
        403,
        &[("content-type", "text/html")],
        page,
        false,
    );
    expect(
        &v,
        Status::Fail,
        "http-status",
        "did not come from API Gateway",
    );
    let v = judge(&unsigned_root(), 502, &[], "", false);
    assert_eq!(v.status, Status::Warn, "{v:?}");
    let v = judge(
        &unsigned_root(),
        502,
        &[REST_ID],
        r#"{"message": "Internal server error"}"#,
        false,
    );
    expect(
        &v,
        Status::Warn,
        "http-status",
        "the API behind GET / failed",
    );
    let v = judge(
        &unsigned_root(),
        429,
        &[REST_ID],
        r#"{"message":"Too Many Requests"}"#,
        false,
    );
    expect(&v, Status::Warn, "throttled", "HTTP 429");
    let v = judge(
        &unsigned_root(),
        400,
        &[REST_ID],
        r#"{"message":"Bad request"}"#,
        false,
    );
    expect(
        &v,
        Status::Warn,
        "http-status",
        "API Gateway reachable; GET / answered HTTP 400",
    );
}
