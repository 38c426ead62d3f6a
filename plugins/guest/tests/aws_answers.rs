//! `aws_error` and `judge_aws` on recorded-shape AWS answers (tests/fixtures/): one per
//! protocol and failure, plus answers that are not from AWS at all.

use std::path::Path;

use netcheck_guest::{
    HttpResponse, Observation, Probe, ProbeContext, Status, Target, Verdict, aws_error, judge_aws,
    request,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()))
}

fn response(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body,
    }
}

fn target() -> Target {
    Target {
        url: "https://kms.eu-west-1.amazonaws.com/".into(),
        scheme: "https".into(),
        host: "kms.eu-west-1.amazonaws.com".into(),
        port: 443,
        path_and_query: "/".into(),
        aws: None,
        service: Some("kms".into()),
        region: Some("eu-west-1".into()),
        options: Vec::new(),
    }
}

fn probe() -> Probe {
    let req = request::aws_json(
        request::JsonProtocol::V1_1,
        "TrentService.ListKeys",
        r#"{"Limit":1}"#,
    );
    Probe::aws("ListKeys", req, "kms", "eu-west-1", "kms:ListKeys")
}

fn judge(response: HttpResponse, signed: bool, clock_offset_seconds: Option<i64>) -> Verdict {
    let context = ProbeContext {
        signed,
        clock_offset_seconds,
    };
    let verdict = judge_aws(&target(), &probe(), &Observation::Http(response), &context);
    assert!(
        !verdict.message.contains('\n'),
        "one line: {}",
        verdict.message
    );
    assert!(!verdict.try_next);
    verdict
}

/// Asserts status, reason, and that the message contains every needle.
fn expect(verdict: &Verdict, status: Status, reason: &str, needles: &[&str]) {
    assert_eq!(
        (verdict.status, verdict.reason.as_str()),
        (status, reason),
        "{verdict:?}"
    );
    for needle in needles {
        assert!(
            verdict.message.contains(needle),
            "message lacks {needle:?}: {}",
            verdict.message
        );
    }
}

// ---- aws_error: every error shape ----

#[test]
fn reads_each_protocols_error_shape() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "json11-unrecognized-client.json",
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (
            "json11-access-denied.json",
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized",
        ),
        (
            "query-signature-mismatch.xml",
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
        ),
        ("s3-access-denied.xml", "AccessDenied", "Access Denied"),
        (
            "ec2-unauthorized-operation.xml",
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
    ];
    for (name, code, message_start) in cases {
        let err = aws_error(&response(400, &[], fixture(name))).expect(name);
        assert_eq!(err.code, *code, "{name}");
        let message = err.message.unwrap_or_default();
        assert!(message.starts_with(message_start), "{name}: {message}");
    }
}

#[test]
fn json_error_without_message_has_code_only() {
    let err = aws_error(&response(
        400,
        &[],
        fixture("json11-unknown-operation.json"),
    ))
    .unwrap();
    assert_eq!(err.code, "UnknownOperationException");
    assert_eq!(err.message, None);
}

#[test]
fn errortype_header_alone_gives_the_code() {
    let header = (
        "x-amzn-errortype",
        "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/",
    );
    let err = aws_error(&response(403, &[header], Vec::new())).unwrap();
    assert_eq!(err.code, "AccessDeniedException");
    assert_eq!(err.message, None);
    // REST-JSON: code in the header, message (capitalised) in the body.
    let err = aws_error(&response(
        403,
        &[header],
        fixture("restjson-access-denied-body.json"),
    ))
    .unwrap();
    assert_eq!(err.code, "AccessDeniedException");
    assert!(err.message.unwrap().contains("lambda:ListFunctions"));
}

#[test]
fn empty_bodies_and_proxy_pages_are_not_aws_errors() {
    assert_eq!(aws_error(&response(403, &[], Vec::new())), None);
    let html = response(
        403,
        &[("content-type", "text/html")],
        fixture("proxy-forbidden.html"),
    );
    assert_eq!(aws_error(&html), None);
}

// ---- judge_aws ----

#[test]
fn success_passes_and_says_whether_it_was_signed() {
    let v = judge(response(200, &[], br#"{"Keys":[]}"#.to_vec()), true, None);
    expect(
        &v,
        Status::Pass,
        "ok",
        &["authenticated ListKeys succeeded (HTTP 200)"],
    );
    let v = judge(response(200, &[], Vec::new()), false, None);
    expect(&v, Status::Pass, "ok", &["unsigned", "HTTP 200"]);
}

#[test]
fn unsigned_auth_refusals_warn_no_credentials() {
    let cases = [
        response(400, &[], fixture("json11-missing-auth.json")),
        response(403, &[], fixture("query-missing-auth.xml")),
        response(403, &[], fixture("s3-access-denied.xml")),
        response(403, &[], Vec::new()),
    ];
    for r in cases {
        let status = r.status.to_string();
        let v = judge(r, false, None);
        expect(
            &v,
            Status::Warn,
            "no-credentials",
            &["reachable (HTTP ", &status, "no AWS credentials were found"],
        );
        assert!(v.hint.as_deref().unwrap_or("").contains("AWS_PROFILE"));
    }
}

#[test]
fn no_credentials_message_names_the_code() {
    let v = judge(
        response(400, &[], fixture("json11-missing-auth.json")),
        false,
        None,
    );
    expect(
        &v,
        Status::Warn,
        "no-credentials",
        &["reachable (HTTP 400 MissingAuthenticationTokenException) but no AWS credentials"],
    );
}

#[test]
fn signature_mismatch_fails_with_causes() {
    for (status, name) in [
        (403, "query-signature-mismatch.xml"),
        (400, "json11-invalid-signature.json"),
    ] {
        let v = judge(response(status, &[], fixture(name)), true, Some(2));
        expect(
            &v,
            Status::Fail,
            "signature-mismatch",
            &["HTTP", "does not match"],
        );
        let hint = v.hint.unwrap_or_default();
        assert!(
            hint.contains("secret key") && hint.contains("proxy") && hint.contains("port"),
            "{hint}"
        );
    }
}

#[test]
fn expired_signatures_and_skewed_times_are_clock_skew() {
    let cases = [
        (
            403,
            "query-signature-expired.xml",
            Some(-1200),
            "local clock is 1200 s behind the server",
        ),
        (
            400,
            "json11-signature-expired.json",
            None,
            "HTTP 400 InvalidSignatureException",
        ),
        (
            400,
            "json11-signature-not-yet-current.json",
            Some(1200),
            "local clock is 1200 s ahead of the server",
        ),
        (
            403,
            "s3-request-time-too-skewed.xml",
            Some(1200),
            "HTTP 403 RequestTimeTooSkewed",
        ),
        (
            400,
            "ec2-request-expired.xml",
            None,
            "HTTP 400 RequestExpired",
        ),
    ];
    for (status, name, offset, needle) in cases {
        let v = judge(response(status, &[], fixture(name)), true, offset);
        expect(&v, Status::Fail, "clock-skew", &[needle]);
        assert!(v.hint.unwrap_or_default().contains("clock"), "{name}");
    }
}

#[test]
fn signature_mismatch_with_a_far_off_clock_is_clock_skew() {
    let v = judge(
        response(403, &[], fixture("query-signature-mismatch.xml")),
        true,
        Some(900),
    );
    expect(&v, Status::Fail, "clock-skew", &["900 s ahead"]);
}

#[test]
fn invalid_and_expired_credentials() {
    for (status, name) in [
        (400, "json11-unrecognized-client.json"),
        (403, "query-invalid-client-token-id.xml"),
        (401, "ec2-auth-failure.xml"),
    ] {
        let v = judge(response(status, &[], fixture(name)), true, None);
        expect(&v, Status::Fail, "invalid-credentials", &["HTTP"]);
        assert!(v.hint.unwrap_or_default().contains("AWS_PROFILE"), "{name}");
    }
    for (status, name) in [
        (403, "query-expired-token.xml"),
        (400, "json11-expired-token.json"),
    ] {
        let v = judge(response(status, &[], fixture(name)), true, None);
        expect(&v, Status::Fail, "invalid-credentials", &["expired"]);
        assert!(
            v.hint.unwrap_or_default().contains("aws sso login"),
            "{name}"
        );
    }
}

#[test]
fn access_denied_names_the_action() {
    for (status, name) in [
        (400, "json11-access-denied.json"),
        (403, "s3-access-denied.xml"),
        (403, "ec2-unauthorized-operation.xml"),
    ] {
        let v = judge(response(status, &[], fixture(name)), true, None);
        expect(
            &v,
            Status::Fail,
            "access-denied",
            &[
                "reachable and authenticated, but not allowed: kms:ListKeys",
                "HTTP",
            ],
        );
        let hint = v.hint.unwrap_or_default();
        assert!(
            hint.starts_with("grant kms:ListKeys to this role (see `netcheck iam-policy`)"),
            "{hint}"
        );
    }
    // Header-only (REST-JSON) access denied works the same.
    let header = (
        "x-amzn-errortype",
        "AccessDeniedException:http://internal.amazon.com/coral/",
    );
    let v = judge(response(403, &[header], Vec::new()), true, None);
    expect(
        &v,
        Status::Fail,
        "access-denied",
        &["HTTP 403 AccessDeniedException"],
    );
}

#[test]
fn aws_messages_are_trimmed_to_one_short_line() {
    let long = format!(
        r#"{{"__type":"AccessDeniedException","message":"line one\nline two {}"}}"#,
        "x".repeat(500)
    );
    let v = judge(response(400, &[], long.into_bytes()), true, None);
    assert!(v.message.contains("line one line two"), "{}", v.message);
    assert!(v.message.chars().count() < 400, "{}", v.message);
    assert!(v.message.ends_with("…)"), "{}", v.message);
}

#[test]
fn throttling_warns() {
    let v = judge(
        response(400, &[], fixture("json11-throttling.json")),
        true,
        None,
    );
    expect(
        &v,
        Status::Warn,
        "throttled",
        &[
            "authenticated",
            "HTTP 400 ThrottlingException",
            "Rate exceeded",
        ],
    );
    let v = judge(response(503, &[], fixture("s3-slow-down.xml")), true, None);
    expect(&v, Status::Warn, "throttled", &["HTTP 503 SlowDown"]);
    let v = judge(response(429, &[], Vec::new()), false, None);
    expect(
        &v,
        Status::Warn,
        "throttled",
        &["reachable, but throttled (HTTP 429)"],
    );
}

#[test]
fn server_errors_warn_with_status_and_code() {
    let v = judge(
        response(500, &[], fixture("s3-internal-error.xml")),
        true,
        None,
    );
    expect(
        &v,
        Status::Warn,
        "http-status",
        &["service answered HTTP 500 InternalError"],
    );
    let v = judge(response(503, &[], Vec::new()), false, None);
    expect(&v, Status::Warn, "http-status", &["HTTP 503"]);
}

#[test]
fn redirects_fail_naming_the_location() {
    let r = response(
        301,
        &[("location", "https://kms.us-east-1.amazonaws.com/")],
        Vec::new(),
    );
    let v = judge(r, true, None);
    expect(
        &v,
        Status::Fail,
        "http-status",
        &["HTTP 301", "https://kms.us-east-1.amazonaws.com/"],
    );
}

#[test]
fn other_client_errors_fail_with_code() {
    let v = judge(
        response(400, &[], fixture("json11-unknown-operation.json")),
        true,
        None,
    );
    expect(
        &v,
        Status::Fail,
        "http-status",
        &["HTTP 400 UnknownOperationException"],
    );
}

#[test]
fn answers_not_from_aws_are_blamed_on_a_proxy() {
    let html = response(
        403,
        &[("content-type", "text/html")],
        fixture("proxy-forbidden.html"),
    );
    for signed in [true, false] {
        let v = judge(html.clone(), signed, None);
        expect(
            &v,
            Status::Fail,
            "http-status",
            &[
                "HTTP 403 without an AWS error",
                "Access Denied by Corporate Proxy",
                "proxy",
            ],
        );
    }
    let v = judge(response(403, &[], Vec::new()), true, None);
    expect(&v, Status::Fail, "http-status", &["(empty body)"]);
}

#[test]
fn signed_request_seen_as_unsigned_points_at_a_proxy() {
    let v = judge(
        response(403, &[], fixture("query-missing-auth.xml")),
        true,
        None,
    );
    expect(
        &v,
        Status::Fail,
        "signature-mismatch",
        &["MissingAuthenticationToken"],
    );
    assert!(v.hint.unwrap_or_default().contains("Authorization"));
}

#[test]
fn connect_only_observation_passes() {
    let context = ProbeContext {
        signed: false,
        clock_offset_seconds: None,
    };
    let v = judge_aws(&target(), &probe(), &Observation::Connected, &context);
    expect(&v, Status::Pass, "ok", &["kms.eu-west-1.amazonaws.com:443"]);
}

#[test]
fn every_truncated_fixture_parses_without_panicking() {
    // The host sends only a capped prefix of the body: any cut must be safe.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
        let body = std::fs::read(entry.expect("fixture entry").path()).expect("fixture");
        for cut in 0..=body.len() {
            let r = response(403, &[], body[..cut].to_vec());
            let _ = aws_error(&r);
            let v = judge(r, true, Some(0));
            assert!(!v.reason.is_empty());
        }
        seen += 1;
    }
    assert!(seen >= 20, "expected the recorded fixtures, found {seen}");
}
