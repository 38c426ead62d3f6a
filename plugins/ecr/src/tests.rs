//! Which endpoint gets which probe, the two service descriptions, and verdicts on recorded
//! answers: the API's JSON 1.1 errors and the registry's Docker-API answers.

use super::*;
use netcheck_guest::Checker;
use netcheck_guest::testing::{expect_verdict as expect, http_request};
use netcheck_guest::{HttpResponse, Signing, Status};

const TOKEN_OK: &str = r#"{"authorizationData":[{"authorizationToken":"QVdTOm5vdC1hLXJlYWwtdG9rZW4=","expiresAt":1.7e9,"proxyEndpoint":"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}]}"#;
const ACCESS_DENIED: &str = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/node/i-0abc is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action"}"#;
const BAD_SIGNATURE: &str = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
const UNKNOWN_KEY: &str = r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
const CHALLENGE: &str = r#"Basic realm="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",service="ecr.amazonaws.com""#;
const REGISTRY_DENIED: &str = r#"{"errors":[{"code":"DENIED","message":"Your authorization token has expired. Reauthenticate and try again."}]}"#;
const PROXY_PAGE: &str = "<!DOCTYPE html><html><head><title>Access denied</title></head><body>Blocked by policy</body></html>";

const API_HOST: &str = "api.ecr.eu-west-1.amazonaws.com";
const REGISTRY_HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

fn target(host: &str, service: Option<&str>, region: Option<&str>) -> Target {
    Target {
        url: format!("https://{host}/"),
        scheme: "https".into(),
        host: host.into(),
        port: 443,
        path_and_query: "/".into(),
        aws: None,
        service: service.map(String::from),
        region: region.map(String::from),
        options: Vec::new(),
    }
}

fn only_probe(t: Target) -> Probe {
    let mut probes = Ecr::plan(t).unwrap();
    assert_eq!(probes.len(), 1);
    probes.remove(0)
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn judge(t: &Target, response: HttpResponse, signed: bool) -> Verdict {
    let probe = only_probe(t.clone());
    let context = ProbeContext {
        signed,
        clock_offset_seconds: None,
    };
    let verdict = Ecr::judge(t.clone(), probe, Observation::Http(response), context);
    assert!(!verdict.message.contains('\n'), "{}", verdict.message);
    verdict
}

#[test]
fn api_endpoint_gets_a_signed_get_authorization_token() {
    let probe = only_probe(target(API_HOST, Some("ecr"), Some("eu-west-1")));
    assert_eq!(probe.signing, Signing::sigv4("ecr", "eu-west-1"));
    assert_eq!(probe.action.as_deref(), Some(ACTION));
    let req = http_request(&probe);
    assert_eq!(
        (req.method.as_str(), req.path_and_query.as_str()),
        ("POST", "/")
    );
    assert!(req.headers.contains(&(
        "x-amz-target".into(),
        "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken".into()
    )));
    assert!(
        req.headers
            .contains(&("content-type".into(), "application/x-amz-json-1.1".into()))
    );
    assert_eq!(req.body, b"{}");
    let err = Ecr::plan(target(API_HOST, Some("ecr"), None)).unwrap_err();
    assert!(err.contains("no region"), "{err}");
}

#[test]
fn registry_endpoints_get_an_unsigned_v2_get_without_needing_a_region() {
    for (host, service) in [
        (REGISTRY_HOST, Some("ecr")),
        ("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", None),
        ("123456789012.dkr-ecr.eu-west-1.on.aws", None),
        ("123456789012.DKR.ECR.eu-west-1.amazonaws.com.", None),
        ("vpce-0abc-1234.dkr.ecr.eu-west-1.vpce.amazonaws.com", None),
        ("127.0.0.1", Some("ecr-dkr")),
    ] {
        let probe = only_probe(target(host, service, None));
        assert_eq!(probe.signing, Signing::None, "{host}");
        assert_eq!(probe.action, None);
        let req = http_request(&probe);
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("GET", "/v2/"),
            "{host}"
        );
    }
    // `dkr` alone, or `ecr` elsewhere in the name, is not a registry.
    assert!(!is_registry(&target("dkr.example.com", None, None)));
    assert!(!is_registry(&target(
        "api.ecr.eu-west-1.amazonaws.com",
        None,
        None
    )));
}

#[test]
fn describes_both_endpoints() {
    let info = Ecr::describe();
    assert_eq!(info.name, "ecr");
    let [api, registry] = info.services.as_slice() else {
        panic!("expected two services");
    };
    assert_eq!(api.id, "ecr");
    assert_eq!(api.signing_name.as_deref(), Some("ecr"));
    assert_eq!(
        api.vpc_endpoint.as_deref(),
        Some("com.amazonaws.{region}.ecr.api")
    );
    assert_eq!(api.actions, [ACTION]);
    for p in [
        "api.ecr.*.amazonaws.com",
        "ecr-fips.*.amazonaws.com",
        "ecr.*.api.aws",
        "*.api.ecr.*.vpce.amazonaws.com",
    ] {
        assert!(api.host_patterns.iter().any(|x| x == p), "api lacks {p}");
    }
    assert_eq!(registry.id, "ecr-dkr");
    assert_eq!(registry.signing_name, None);
    assert_eq!(
        registry.vpc_endpoint.as_deref(),
        Some("com.amazonaws.{region}.ecr.dkr")
    );
    assert!(registry.actions.is_empty());
    for p in [
        "*.dkr.ecr.*.amazonaws.com",
        "*.dkr-ecr.*.on.aws",
        "*.dkr.ecr.*.vpce.amazonaws.com",
    ] {
        assert!(
            registry.host_patterns.iter().any(|x| x == p),
            "registry lacks {p}"
        );
    }
    for s in [api, registry] {
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
    }
    assert!(info.description.contains("S3"));
}

#[test]
fn api_verdicts_on_recorded_answers() {
    let t = target(API_HOST, Some("ecr"), Some("eu-west-1"));
    let json = ("content-type", "application/x-amz-json-1.1");
    let v = judge(&t, response(200, &[json], TOKEN_OK), true);
    expect(&v, Status::Pass, "ok", "GetAuthorizationToken");
    assert!(
        !v.message.contains("QVdT"),
        "the token must never be quoted"
    );
    let v = judge(&t, response(400, &[json], ACCESS_DENIED), true);
    expect(&v, Status::Fail, "access-denied", ACTION);
    let v = judge(&t, response(400, &[json], BAD_SIGNATURE), true);
    expect(
        &v,
        Status::Fail,
        "signature-mismatch",
        "InvalidSignatureException",
    );
    let v = judge(&t, response(400, &[json], UNKNOWN_KEY), true);
    expect(
        &v,
        Status::Fail,
        "invalid-credentials",
        "UnrecognizedClientException",
    );
}

#[test]
fn registry_challenge_is_reachable() {
    let t = target(REGISTRY_HOST, None, None);
    let headers = [
        ("docker-distribution-api-version", "registry/2.0"),
        ("www-authenticate", CHALLENGE),
    ];
    let v = judge(&t, response(401, &headers, "Not Authorized\n"), false);
    expect(&v, Status::Pass, "ok", "ECR registry reachable");
    assert!(v.message.contains("ecr.amazonaws.com"), "{}", v.message);
    let v = judge(&t, response(200, &[], "{}"), false);
    expect(&v, Status::Pass, "ok", "without asking for authentication");
}

#[test]
fn registry_answers_that_are_not_a_challenge_fail() {
    let t = target(REGISTRY_HOST, None, None);
    let v = judge(&t, response(401, &[], ""), false);
    expect(
        &v,
        Status::Fail,
        "http-status",
        "without a www-authenticate challenge",
    );
    let v = judge(
        &t,
        response(403, &[("content-type", "text/html")], PROXY_PAGE),
        false,
    );
    expect(&v, Status::Fail, "http-status", "probably from a proxy");
    let v = judge(&t, response(403, &[], REGISTRY_DENIED), false);
    expect(
        &v,
        Status::Fail,
        "http-status",
        "HTTP 403 DENIED: Your authorization token has expired",
    );
    let v = judge(&t, response(503, &[], ""), false);
    assert_eq!(v.status, Status::Warn, "{v:?}");
    let v = judge(&t, response(429, &[], ""), false);
    expect(&v, Status::Warn, "throttled", "HTTP 429");
}
