//! End-to-end: the `eks-cluster` check against a loopback HTTPS "API server" signed by a
//! test CA. The server records what netcheck sent, so the test can decode the IAM bearer
//! token and check the presigned STS URL inside it — and that no secret travelled.
//!
//! Run: `cargo test -p netcheck --test cli -- eks::`. Talks only to 127.0.0.1.

use netcheck_test_support as support;

use base64::Engine as _;
use support::cli::{Netcheck, toml_str};
use support::emulators::Keys;
use support::servers::{CertKind, HttpsServer};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn run_against(
    server: &HttpsServer,
    status_name: &str,
    keys: Option<&Keys>,
) -> support::cli::Output {
    let mut netcheck = Netcheck::new();
    if let Some(k) = keys {
        netcheck = netcheck.creds(k).session_token("SESSION-TOKEN-VALUE");
    }
    let ca = server.write_ca(netcheck.dir(), "cluster-ca.pem");
    let config = format!(
        "[sets.eks]\nchecks = [ {{ name = {}, url = {}, service = \"eks-cluster\", region = \"eu-west-1\", \
         ca_file = {}, options = {{ cluster = \"prod\" }} }} ]\n",
        toml_str(status_name),
        toml_str(&server.url()),
        toml_str(&ca.display().to_string()),
    );
    netcheck.run_config(&config, "json")
}

#[test]
fn api_server_gets_a_valid_iam_token_for_the_cluster_and_200_passes() {
    let server = HttpsServer::start(CertKind::SignedByTestCa, 200, "{\"kind\":\"APIVersions\"}");
    let keys = Keys::new("AKIDEXAMPLE", SECRET);
    let out = run_against(&server, "cluster", Some(&keys));
    out.assert_result("cluster", "pass", "ok");

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{}", out.describe());
    let req = &requests[0];
    assert_eq!((req.method.as_str(), req.target.as_str()), ("GET", "/api"));
    let auth = req
        .header("authorization")
        .expect("an Authorization header");
    let token = auth
        .strip_prefix("Bearer k8s-aws-v1.")
        .expect("an EKS IAM bearer token");
    let url = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .unwrap(),
    )
    .unwrap();
    let url = url::Url::parse(&url).unwrap();
    assert_eq!(url.host_str(), Some("sts.eu-west-1.amazonaws.com"));
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["Action"], "GetCallerIdentity");
    assert_eq!(q["X-Amz-SignedHeaders"], "host;x-k8s-aws-id");
    assert_eq!(q["X-Amz-Expires"], "900");
    assert!(
        q["X-Amz-Credential"].starts_with("AKIDEXAMPLE/"),
        "{}",
        q["X-Amz-Credential"]
    );
    assert!(q["X-Amz-Credential"].ends_with("/eu-west-1/sts/aws4_request"));
    // The secret key never leaves the host; the session token is part of the presigned URL by design.
    for r in &requests {
        let all = format!("{:?}{}", r.headers, String::from_utf8_lossy(&r.body));
        assert!(!all.contains(SECRET), "secret key sent to the API server");
    }
    assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    assert!(
        !out.stdout.contains("k8s-aws-v1."),
        "the token must not appear in the report"
    );
}

#[test]
fn unauthenticated_and_forbidden_are_told_apart() {
    let keys = Keys::new("AKIDEXAMPLE", SECRET);
    let unauthorized = HttpsServer::start(
        CertKind::SignedByTestCa,
        401,
        "{\"message\":\"Unauthorized\"}",
    );
    run_against(&unauthorized, "cluster", Some(&keys)).assert_result(
        "cluster",
        "fail",
        "unauthenticated",
    );
    let forbidden =
        HttpsServer::start(CertKind::SignedByTestCa, 403, "{\"message\":\"forbidden\"}");
    run_against(&forbidden, "cluster", Some(&keys)).assert_result("cluster", "fail", "forbidden");
    let out = run_against(&unauthorized, "cluster", None);
    out.assert_result("cluster", "warn", "no-credentials");
    assert!(
        unauthorized
            .requests()
            .last()
            .and_then(|r| r.header("authorization").map(str::to_string))
            .is_none(),
        "no token without credentials"
    );
}
