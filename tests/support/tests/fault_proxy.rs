//! The fault-injection proxy of the test support (`tests/support/src/fault_proxy.rs`):
//! forwards requests verbatim to a loopback server and streams answers back, names AWS
//! operations, holds stalled operations until released, and answers failed operations
//! with canned responses a given number of times before forwarding again.
//!
//! Run: `cargo test -p netcheck-test-support --test fault_proxy`. Talks only to 127.0.0.1.

use netcheck_test_support as support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use support::fault_proxy::{FaultProxy, aws_json_error, ec2_xml_error, operation_name};
use support::process::http_request;
use support::servers::HttpServer;

const LONG: Duration = Duration::from_secs(10);

/// Method, target, headers, body and the expected operation name.
type NamingCase<'a> = (&'a str, &'a str, Vec<(String, String)>, &'a [u8], &'a str);
/// Method, path, headers and body of a request sent through the proxy.
type Sent<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a [u8]);

/// A response as received: status, headers (names lower-cased), body.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` (raw bytes, which must ask for `Connection: close`) to the proxy
/// and reads the answer to the end.
fn send_raw(port: u16, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("connect to proxy");
    stream.set_read_timeout(Some(LONG)).expect("read timeout");
    stream.write_all(request).expect("write request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Raw {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn names_aws_operations() {
    let form = headers(&[(
        "Content-Type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )]);
    let none = headers(&[]);
    let cases: &[NamingCase] = &[
        (
            "POST",
            "/",
            headers(&[("X-Amz-Target", "Logs_20140328.CreateLogGroup")]),
            b"{}",
            "CreateLogGroup",
        ),
        (
            "POST",
            "/",
            form.clone(),
            b"Version=2016-11-15&Action=DeleteSecurityGroup&GroupId=sg-1",
            "DeleteSecurityGroup",
        ),
        (
            "GET",
            "/?Action=GetCallerIdentity&Version=2011-06-15",
            none.clone(),
            b"",
            "GetCallerIdentity",
        ),
        // A form-looking body without the form content type is not parsed.
        ("POST", "/", none.clone(), b"Action=Nope", "POST /"),
        (
            "POST",
            "/2015-03-31/functions",
            none.clone(),
            b"{}",
            "CreateFunction",
        ),
        (
            "POST",
            "/2015-03-31/functions/",
            none.clone(),
            b"{}",
            "CreateFunction",
        ),
        (
            "GET",
            "/2015-03-31/functions/",
            none.clone(),
            b"",
            "ListFunctions",
        ),
        (
            "GET",
            "/2015-03-31/functions/?MaxItems=50",
            none.clone(),
            b"",
            "ListFunctions",
        ),
        (
            "GET",
            "/2015-03-31/functions/fn-1",
            none.clone(),
            b"",
            "GetFunction",
        ),
        (
            "GET",
            "/2015-03-31/functions/fn-1/configuration",
            none.clone(),
            b"",
            "GetFunctionConfiguration",
        ),
        (
            "DELETE",
            "/2015-03-31/functions/fn-1",
            none.clone(),
            b"",
            "DeleteFunction",
        ),
        (
            "POST",
            "/2015-03-31/functions/fn-1/invocations",
            none.clone(),
            b"{}",
            "Invoke",
        ),
        (
            "GET",
            "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Afn-1",
            none.clone(),
            b"",
            "ListTags",
        ),
        (
            "POST",
            "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Afn-1",
            none.clone(),
            b"{}",
            "TagResource",
        ),
        (
            "PATCH",
            "/2015-03-31/functions/fn-1",
            none.clone(),
            b"",
            "PATCH /2015-03-31/functions/fn-1",
        ),
        (
            "GET",
            "/_ministack/health?x=1",
            none.clone(),
            b"",
            "GET /_ministack/health",
        ),
    ];
    for (method, target, hdrs, body, want) in cases {
        assert_eq!(
            operation_name(method, target, hdrs, body),
            *want,
            "{method} {target} {hdrs:?} {:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn forwards_verbatim_and_streams_the_answer() {
    let upstream =
        HttpServer::start_with_headers(201, &[("X-Upstream", "yes")], "hello from upstream");
    let proxy = FaultProxy::start(upstream.port());
    let body = r#"{"logGroupName":"/aws/lambda/x"}"#;
    let request = format!(
        "POST /some/path?b=2&a=1%2F HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\
         X-Amz-Target: Logs_20140328.CreateLogGroup\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=0\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = send_raw(proxy.port(), request.as_bytes());
    assert_eq!(answer.status, 201);
    assert_eq!(answer.header("x-upstream"), Some("yes"));
    assert_eq!(answer.body, b"hello from upstream");

    let seen = upstream.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let got = &seen[0];
    assert_eq!(got.method, "POST");
    assert_eq!(got.target, "/some/path?b=2&a=1%2F");
    assert_eq!(
        got.header("host"),
        Some("127.0.0.1:9"),
        "Host must be unchanged"
    );
    assert_eq!(
        got.header("authorization"),
        Some("AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host, Signature=0")
    );
    assert_eq!(
        got.header("x-amz-target"),
        Some("Logs_20140328.CreateLogGroup")
    );
    assert_eq!(got.body, body.as_bytes());
    assert_eq!(proxy.operations(), vec!["CreateLogGroup".to_string()]);
}

#[test]
fn records_operations_in_order() {
    let upstream = HttpServer::start(200, "ok");
    let proxy = FaultProxy::start(upstream.port());
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let sent: &[Sent] = &[
        ("POST", "/2015-03-31/functions", &[], b"{}"),
        (
            "POST",
            "/",
            &form,
            b"Action=CreateSecurityGroup&Version=2016-11-15",
        ),
        ("GET", "/2015-03-31/functions/f", &[], b""),
        ("POST", "/2015-03-31/functions/f/invocations", &[], b"{}"),
        ("DELETE", "/2015-03-31/functions/f", &[], b""),
        ("GET", "/elsewhere?q=1", &[], b""),
    ];
    for (method, path, hdrs, body) in sent {
        let (status, answer) =
            http_request(proxy.port(), method, path, hdrs, body).expect("request via proxy");
        assert_eq!((status, answer.as_slice()), (200, b"ok".as_slice()));
    }
    assert_eq!(
        proxy.operations(),
        [
            "CreateFunction",
            "CreateSecurityGroup",
            "GetFunction",
            "Invoke",
            "DeleteFunction",
            "GET /elsewhere"
        ]
    );
    assert_eq!(proxy.count("GetFunction"), 1);
    assert_eq!(upstream.requests().len(), sent.len());
}

#[test]
fn stall_holds_requests_until_release() {
    let upstream = HttpServer::start(200, "ok");
    let proxy = FaultProxy::start(upstream.port());
    proxy.stall("Invoke");
    assert!(
        !proxy.wait_for_stalled("Invoke", Duration::from_millis(50)),
        "nothing sent yet"
    );
    let port = proxy.port();
    let held = std::thread::spawn(move || {
        http_request(
            port,
            "POST",
            "/2015-03-31/functions/f/invocations",
            &[],
            b"{}",
        )
    });
    assert!(
        proxy.wait_for_stalled("Invoke", LONG),
        "Invoke was not held"
    );
    assert!(
        upstream.requests().is_empty(),
        "a held request was forwarded"
    );

    // Other operations pass while Invoke is held.
    let (status, _) =
        http_request(port, "GET", "/2015-03-31/functions/f", &[], b"").expect("GetFunction");
    assert_eq!(status, 200);
    assert!(!proxy.wait_for_stalled("GetFunction", Duration::from_millis(50)));
    assert_eq!(upstream.requests().len(), 1);
    assert!(!held.is_finished(), "the held request was answered");

    proxy.release();
    let (status, body) = held.join().expect("join").expect("held request");
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));
    assert_eq!(upstream.requests().len(), 2);
    assert!(!proxy.wait_for_stalled("Invoke", Duration::from_millis(50)));

    // After release the operation is no longer held.
    let (status, _) = http_request(
        port,
        "POST",
        "/2015-03-31/functions/f/invocations",
        &[],
        b"{}",
    )
    .expect("Invoke after release");
    assert_eq!(status, 200);
    assert_eq!(proxy.count("Invoke"), 2);
}

#[test]
fn fail_answers_canned_responses_then_forwards() {
    let upstream = HttpServer::start(200, "created");
    let proxy = FaultProxy::start(upstream.port());
    let error = aws_json_error(
        "InvalidParameterValueException",
        "The role defined for the function cannot be assumed by Lambda.",
    );
    proxy.fail("CreateFunction", 2, 400, &error, "application/json");
    let create = b"POST /2015-03-31/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n\
        Content-Length: 2\r\nConnection: close\r\n\r\n{}";
    for attempt in 1..=2 {
        let answer = send_raw(proxy.port(), create);
        assert_eq!(answer.status, 400, "attempt {attempt}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.body, error.as_bytes());
    }
    assert!(
        upstream.requests().is_empty(),
        "a failed request was forwarded"
    );
    let answer = send_raw(proxy.port(), create);
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, b"created".as_slice())
    );
    assert_eq!(upstream.requests().len(), 1);
    assert_eq!(proxy.count("CreateFunction"), 3);

    // Query protocol: the operation comes from the form body.
    let xml = ec2_xml_error(
        "DependencyViolation",
        "resource sg-1 has a dependent object",
    );
    proxy.fail(
        "DeleteSecurityGroup",
        1,
        400,
        &xml,
        "text/xml;charset=UTF-8",
    );
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let delete = b"Action=DeleteSecurityGroup&GroupId=sg-1&Version=2016-11-15";
    let (status, body) = http_request(proxy.port(), "POST", "/", &form, delete).expect("delete");
    assert_eq!(status, 400);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("<Code>DependencyViolation</Code>"), "{body}");
    let (status, _) = http_request(proxy.port(), "POST", "/", &form, delete).expect("delete");
    assert_eq!(status, 200);
    assert_eq!(upstream.requests().len(), 2);
}

/// An upstream answering `connections` requests, each with a chunked body, on its own
/// connection.
fn chunked_upstream(connections: usize) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let port = listener.local_addr().expect("address").port();
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(LONG));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\
                  Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            );
            let _ = stream.shutdown(Shutdown::Both);
        }
    });
    (port, thread)
}

#[test]
fn streams_chunked_answers_over_a_kept_alive_connection() {
    let (upstream, thread) = chunked_upstream(2);
    let proxy = FaultProxy::start(upstream);
    let url = format!("{}/2015-03-31/functions/", proxy.url());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bodies = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(LONG)
            .build()
            .expect("client");
        let mut bodies = Vec::new();
        for _ in 0..2 {
            let response = client.get(&url).send().await.expect("GET via proxy");
            assert_eq!(response.status().as_u16(), 200);
            assert_eq!(
                response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("text/plain")
            );
            bodies.push(response.text().await.expect("body"));
        }
        bodies
    });
    assert_eq!(bodies, ["hello world", "hello world"]);
    assert_eq!(proxy.operations(), ["ListFunctions", "ListFunctions"]);
    drop(proxy);
    thread.join().expect("upstream thread");
}
