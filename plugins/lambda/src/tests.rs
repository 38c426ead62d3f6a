//! ListFunctions and Invoke requests from the check's options, the two services, and
//! verdicts on Lambda's REST-JSON answers (code in `x-amzn-errortype`, message in the body).

use super::*;
use netcheck_guest::Checker;
use netcheck_guest::testing::expect_verdict as expect;
use netcheck_guest::{HttpResponse, ProbeKind, Signing, Status};

const LIST_OK: &str =
    r#"{"Functions":[{"FunctionName":"orders","Runtime":"provided.al2023"}],"NextMarker":"x"}"#;
const LIST_DENIED: &str = r#"{"Message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: lambda:ListFunctions on resource: * because no identity-based policy allows the lambda:ListFunctions action","Type":"User"}"#;
const INVOKE_DENIED: &str = r#"{"Message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:eu-west-1:123456789012:function:orders because no identity-based policy allows the lambda:InvokeFunction action","Type":"User"}"#;
const NOT_FOUND: &str = r#"{"Message":"Function not found: arn:aws:lambda:eu-west-1:123456789012:function:orders","Type":"User"}"#;
const BAD_SIGNATURE: &str = r#"{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
const UNKNOWN_KEY: &str = r#"{"message":"The security token included in the request is invalid."}"#;

fn target(service: &str, options: &[(&str, &str)], region: Option<&str>) -> Target {
    Target {
        url: "https://lambda.eu-west-1.amazonaws.com/".into(),
        scheme: "https".into(),
        host: "lambda.eu-west-1.amazonaws.com".into(),
        port: 443,
        path_and_query: "/".into(),
        aws: None,
        service: Some(service.into()),
        region: region.map(String::from),
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn only_probe(t: Target) -> Probe {
    let mut probes = Lambda::plan(t).unwrap();
    assert_eq!(probes.len(), 1);
    let probe = probes.remove(0);
    assert_eq!(probe.signing, Signing::sigv4("lambda", "eu-west-1"));
    probe
}

fn request_of(probe: &Probe) -> &HttpRequest {
    match &probe.kind {
        ProbeKind::Http(req) => req,
        ProbeKind::Connect => panic!("expected an HTTP probe"),
    }
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn plan_error(service: &str, options: &[(&str, &str)]) -> String {
    Lambda::plan(target(service, options, Some("eu-west-1"))).unwrap_err()
}

fn judge(t: &Target, status: u16, headers: &[(&str, &str)], body: &str) -> Verdict {
    let probe = Lambda::plan(t.clone()).unwrap().remove(0);
    let response = HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    };
    let context = ProbeContext {
        signed: true,
        clock_offset_seconds: None,
    };
    let verdict = Lambda::judge(t.clone(), probe, Observation::Http(response), context);
    assert!(!verdict.message.contains('\n'), "{}", verdict.message);
    verdict
}

fn invoke_target(extra: &[(&str, &str)]) -> Target {
    let mut options = vec![("function", "orders")];
    options.extend_from_slice(extra);
    target("lambda", &options, Some("eu-west-1"))
}

#[test]
fn plain_check_lists_one_function() {
    let probe = only_probe(target("lambda", &[], Some("eu-west-1")));
    assert_eq!(probe.label, "ListFunctions");
    assert_eq!(probe.action.as_deref(), Some(LIST_ACTION));
    let req = request_of(&probe);
    assert_eq!(
        (req.method.as_str(), req.path_and_query.as_str()),
        ("GET", "/2015-03-31/functions?MaxItems=1")
    );
    assert!(req.body.is_empty());
    assert_eq!(header(req, "x-amz-content-sha256"), Some(""));
    assert!(
        Lambda::plan(target("lambda", &[], None))
            .unwrap_err()
            .contains("no region")
    );
}

#[test]
fn function_option_makes_a_dry_run_invoke() {
    for service in ["lambda", "lambda-invoke"] {
        let probe = only_probe(target(
            service,
            &[("function", " orders ")],
            Some("eu-west-1"),
        ));
        assert_eq!(probe.label, "Invoke");
        assert_eq!(probe.action.as_deref(), Some(INVOKE_ACTION));
        let req = request_of(&probe);
        assert_eq!(
            (req.method.as_str(), req.path_and_query.as_str()),
            ("POST", "/2015-03-31/functions/orders/invocations")
        );
        assert_eq!(header(req, "x-amz-invocation-type"), Some("DryRun"));
        assert_eq!(req.body, b"{}");
    }
}

#[test]
fn invoke_options_shape_the_request() {
    let arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders";
    let probe = only_probe(target(
        "lambda-invoke",
        &[
            ("function", arn),
            ("qualifier", "$LATEST"),
            ("invocation-type", "requestresponse"),
            ("payload", r#"{"ping": true}"#),
        ],
        Some("eu-west-1"),
    ));
    let req = request_of(&probe);
    assert_eq!(
        req.path_and_query,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aorders\
         /invocations?Qualifier=%24LATEST"
    );
    assert_eq!(
        header(req, "x-amz-invocation-type"),
        Some("RequestResponse")
    );
    assert_eq!(req.body, br#"{"ping": true}"#);
}

#[test]
fn bad_invoke_options_are_errors_naming_the_option() {
    let err = plan_error("lambda-invoke", &[]);
    assert!(err.contains("needs option function"), "{err}");
    let err = plan_error("lambda", &[("payload", "{}")]);
    assert!(err.contains("payload only applies to an invoke"), "{err}");
    let err = plan_error("lambda", &[("function", "orders"), ("payload", "{nope")]);
    assert!(err.contains("payload is not JSON"), "{err}");
    let big = format!("\"{}\"", "x".repeat(200 * 1024));
    let err = plan_error("lambda", &[("function", "orders"), ("payload", &big)]);
    assert!(err.contains("at most"), "{err}");
    let err = plan_error(
        "lambda",
        &[("function", "orders"), ("invocation-type", "Event")],
    );
    assert!(err.contains("not supported"), "{err}");
    let err = plan_error(
        "lambda",
        &[("function", "orders"), ("invocation-type", "Sometimes")],
    );
    assert!(
        err.contains("DryRun") && err.contains("RequestResponse"),
        "{err}"
    );
    let err = plan_error("lambda", &[("function", "a/b?c")]);
    assert!(err.contains("not a Lambda function name"), "{err}");
    let err = plan_error("lambda", &[("function", "orders"), ("qualifier", "v 1")]);
    assert!(err.contains("option qualifier"), "{err}");
}

#[test]
fn describes_list_and_invoke_services_on_the_same_endpoints() {
    let info = Lambda::describe();
    let [list, invoke] = info.services.as_slice() else {
        panic!("expected two services");
    };
    assert_eq!(
        (list.id.as_str(), invoke.id.as_str()),
        ("lambda", "lambda-invoke")
    );
    assert_eq!(list.actions, [LIST_ACTION]);
    assert_eq!(invoke.actions, [INVOKE_ACTION]);
    assert_eq!(list.host_patterns, invoke.host_patterns);
    for s in [list, invoke] {
        assert_eq!(s.signing_name.as_deref(), Some("lambda"));
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.lambda")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
    }
    for p in [
        "lambda.*.amazonaws.com",
        "lambda-fips.*.amazonaws.com",
        "lambda.*.api.aws",
        "*.lambda.*.vpce.amazonaws.com",
    ] {
        assert!(list.host_patterns.iter().any(|x| x == p), "missing {p}");
    }
}

#[test]
fn list_verdicts_on_recorded_answers() {
    let t = target("lambda", &[], Some("eu-west-1"));
    expect(
        &judge(&t, 200, &[], LIST_OK),
        Status::Pass,
        "ok",
        "ListFunctions",
    );
    let v = judge(
        &t,
        403,
        &[("x-amzn-errortype", "AccessDeniedException")],
        LIST_DENIED,
    );
    expect(&v, Status::Fail, "access-denied", LIST_ACTION);
    let v = judge(
        &t,
        403,
        &[("x-amzn-errortype", "InvalidSignatureException")],
        BAD_SIGNATURE,
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
        &[("x-amzn-errortype", "UnrecognizedClientException")],
        UNKNOWN_KEY,
    );
    expect(
        &v,
        Status::Fail,
        "invalid-credentials",
        "UnrecognizedClientException",
    );
}

#[test]
fn invoke_verdicts_on_recorded_answers() {
    let t = invoke_target(&[]);
    let v = judge(&t, 204, &[], "");
    expect(
        &v,
        Status::Pass,
        "ok",
        "DryRun invoke of orders allowed (HTTP 204)",
    );
    let v = judge(
        &invoke_target(&[("invocation-type", "RequestResponse")]),
        200,
        &[],
        "null",
    );
    expect(&v, Status::Pass, "ok", "invoked orders (HTTP 200)");
    let v = judge(
        &t,
        403,
        &[("x-amzn-errortype", "AccessDeniedException")],
        INVOKE_DENIED,
    );
    expect(&v, Status::Fail, "access-denied", INVOKE_ACTION);
    assert!(v.hint.unwrap().contains("grant lambda:InvokeFunction"));
    let v = judge(
        &t,
        404,
        &[("x-amzn-errortype", "ResourceNotFoundException")],
        NOT_FOUND,
    );
    expect(
        &v,
        Status::Fail,
        "not-found",
        "function orders was not found in eu-west-1",
    );
    assert!(
        v.message.contains("Function not found: arn:aws:lambda"),
        "{}",
        v.message
    );
    let v = judge(
        &t,
        403,
        &[("x-amzn-errortype", "InvalidSignatureException")],
        BAD_SIGNATURE,
    );
    expect(
        &v,
        Status::Fail,
        "signature-mismatch",
        "InvalidSignatureException",
    );
}

#[test]
fn a_function_that_ran_and_failed_is_a_warning() {
    let t = invoke_target(&[("invocation-type", "RequestResponse")]);
    let body = r#"{"errorMessage":"boom","errorType":"Error"}"#;
    let v = judge(&t, 200, &[("x-amz-function-error", "Unhandled")], body);
    expect(&v, Status::Warn, "function-error", "Unhandled error");
    assert!(v.hint.unwrap().contains("CloudWatch Logs"));
}
