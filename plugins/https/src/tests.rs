//! Option parsing, status ranges, the HEAD→GET fallback and the verdicts.

use super::options::StatusSet;
use super::*;
use netcheck_guest::{HttpResponse, ProbeKind, Signing, Status};

fn target(options: &[(&str, &str)]) -> Target {
    Target {
        url: "https://127.0.0.1:8443/health?x=1".into(),
        scheme: "https".into(),
        host: "127.0.0.1".into(),
        port: 8443,
        path_and_query: "/health?x=1".into(),
        aws: None,
        service: None,
        region: None,
        options: options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Observation {
    Observation::Http(HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    })
}

fn judge(t: &Target, probe_index: usize, seen: Observation) -> Verdict {
    let probe = Https::plan(t.clone()).unwrap().remove(probe_index);
    let context = ProbeContext {
        signed: false,
        clock_offset_seconds: None,
    };
    Https::judge(t.clone(), probe, seen, context)
}

#[test]
fn status_sets_parse_every_form() {
    let set = StatusSet::parse("200-299, 301").unwrap();
    assert!(set.contains(200) && set.contains(299) && set.contains(301));
    assert!(!set.contains(300) && !set.contains(302));
    assert_eq!(set.to_string(), "200-299,301");
    let set = StatusSet::parse("200,204").unwrap();
    assert!(set.contains(204) && !set.contains(201));
    let set = StatusSet::parse("2xx").unwrap();
    assert!(set.contains(250) && !set.contains(300));
    assert_eq!(StatusSet::default().to_string(), "200-399");
}

#[test]
fn bad_status_sets_name_the_option() {
    for bad in ["", "abc", "299-200", "200,", "700", "9xx", "2-"] {
        let err = StatusSet::parse(bad).unwrap_err();
        assert!(err.contains("expect-status"), "{bad}: {err}");
    }
}

#[test]
fn default_plan_is_one_unsigned_get_of_the_path() {
    let probes = Https::plan(target(&[])).unwrap();
    assert_eq!(probes.len(), 1);
    let p = &probes[0];
    assert_eq!(p.label, "GET /health?x=1");
    assert_eq!(p.signing, Signing::None);
    let ProbeKind::Http(req) = &p.kind else {
        panic!("expected an HTTP probe");
    };
    assert_eq!(req.path_and_query, "/health?x=1");
    assert!(req.headers.is_empty());
}

#[test]
fn head_plans_a_get_fallback() {
    let probes = Https::plan(target(&[("method", "head")])).unwrap();
    let methods: Vec<_> = probes.iter().map(|p| p.method().unwrap_or("")).collect();
    assert_eq!(methods, ["HEAD", "GET"]);
}

#[test]
fn headers_come_from_both_option_forms() {
    let t = target(&[
        ("header.Accept", "application/json"),
        ("header", "X-One: 1\nX-Two:  two words "),
    ]);
    let probes = Https::plan(t).unwrap();
    let ProbeKind::Http(req) = &probes[0].kind else {
        panic!("expected an HTTP probe");
    };
    let expected: Vec<(String, String)> = [
        ("Accept", "application/json"),
        ("X-One", "1"),
        ("X-Two", "two words"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(req.headers, expected);
}

#[test]
fn invalid_options_are_plan_errors_naming_the_option() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("method", "G ET")], "method"),
        (&[("expect-status", "ok")], "expect-status"),
        (&[("header", "no colon")], "header"),
        (&[("header.Bad Name", "x")], "Bad Name"),
        (&[("header.Host", "example.com")], "Host"),
        (&[("header.X-A", "a\r\nb")], "X-A"),
        (&[("body-contains", "")], "body-contains"),
        (
            &[("method", "HEAD"), ("body-contains", "ok")],
            "body-contains",
        ),
    ];
    for (options, needle) in cases {
        let err = Https::plan(target(options)).unwrap_err();
        assert!(err.contains(needle), "{options:?}: {err}");
    }
}

#[test]
fn non_http_schemes_are_refused() {
    let mut t = target(&[]);
    t.scheme = "tcp".into();
    assert!(Https::plan(t).unwrap_err().contains("tcp plugin"));
}

#[test]
fn expected_status_passes() {
    let v = judge(&target(&[]), 0, response(204, &[], ""));
    assert_eq!((v.status, v.reason.as_str()), (Status::Pass, "ok"));
    assert!(v.message.contains("HTTP 204"), "{}", v.message);
}

#[test]
fn unexpected_status_fails_with_expected_and_got() {
    let t = target(&[("expect-status", "200")]);
    let v = judge(
        &t,
        0,
        response(302, &[("location", "https://login.example/")], ""),
    );
    assert_eq!((v.status, v.reason.as_str()), (Status::Fail, "http-status"));
    assert!(v.message.contains("HTTP 302"), "{}", v.message);
    assert!(v.message.contains("expected 200"), "{}", v.message);
    assert!(
        v.message.contains("https://login.example/"),
        "{}",
        v.message
    );
    assert!(v.hint.unwrap().contains("expect-status = \"302\""));
}

#[test]
fn head_refused_asks_for_the_next_probe() {
    let t = target(&[("method", "HEAD")]);
    let v = judge(&t, 0, response(405, &[], ""));
    assert!(v.try_next);
    // The GET fallback is judged normally.
    let v = judge(&t, 1, response(200, &[], "ok"));
    assert_eq!((v.status, v.try_next), (Status::Pass, false));
    // A 405 to GET is just a wrong status.
    let v = judge(&target(&[]), 0, response(405, &[], ""));
    assert_eq!((v.reason.as_str(), v.try_next), ("http-status", false));
}

#[test]
fn body_text_is_checked() {
    let t = target(&[("body-contains", "\"status\":\"UP\"")]);
    let v = judge(&t, 0, response(200, &[], r#"{"status":"DOWN"}"#));
    assert_eq!(
        (v.status, v.reason.as_str()),
        (Status::Fail, "body-mismatch")
    );
    let v = judge(&t, 0, response(200, &[], r#"{"status":"UP"}"#));
    assert_eq!(v.status, Status::Pass);
    assert!(v.message.contains("body contains"), "{}", v.message);
}

#[test]
fn describes_a_fallback_plugin_without_patterns() {
    let info = Https::describe();
    assert_eq!(info.name, "https");
    assert!(info.services.iter().all(|s| s.host_patterns.is_empty()));
}
