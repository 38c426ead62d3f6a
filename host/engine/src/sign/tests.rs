//! Tests of the signer: Host and port, session tokens, payload hashes, S3 paths,
//! re-signing, clock skew, secrecy, and the default credential chain (in child processes).

use super::*;
use std::process::Command;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN";

fn creds(token: Option<&str>) -> Credentials {
    Credentials::new(
        "AKIDEXAMPLE",
        SECRET,
        token.map(str::to_string),
        None,
        "test",
    )
}

fn at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160) // 20150830T123600Z
}

fn request(host: &str) -> http::Request<Vec<u8>> {
    http::Request::post("/")
        .header("host", host)
        .body(b"Action=ListUsers&Version=2010-05-08".to_vec())
        .unwrap()
}

fn header(req: &http::Request<Vec<u8>>, name: &str) -> String {
    req.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn signer_is_shareable() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Signer>();
}

fn signer() -> Signer {
    Signer::from_credentials(creds(None))
}

#[test]
fn non_default_port_is_signed_as_sent() {
    let mut req = request("127.0.0.1:4566");
    signer()
        .sign(&creds(None), &mut req, "iam", "us-east-1")
        .unwrap();
    let explained = signer()
        .explain(
            &creds(None),
            &request("127.0.0.1:4566"),
            "iam",
            "us-east-1",
            at(),
        )
        .unwrap();
    assert!(
        explained
            .canonical_request
            .contains("\nhost:127.0.0.1:4566\n"),
        "{}",
        explained.canonical_request
    );
    assert_eq!(header(&req, "host"), "127.0.0.1:4566");
    assert!(header(&req, "authorization").contains("SignedHeaders=host;x-amz-date,"));
    // The port is part of what is signed: another Host gives another signature.
    let other = signer()
        .explain(
            &creds(None),
            &request("127.0.0.1"),
            "iam",
            "us-east-1",
            at(),
        )
        .unwrap();
    assert_ne!(explained.signature, other.signature);
}

#[test]
fn missing_host_is_refused() {
    let mut req = http::Request::get("/").body(Vec::new()).unwrap();
    let err = signer()
        .sign(&creds(None), &mut req, "iam", "us-east-1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("Host"), "{err}");
}

#[test]
fn session_token_is_sent_and_signed() {
    let creds = creds(Some(TOKEN));
    let signer = Signer::from_credentials(creds.clone());
    let mut req = request("sts.amazonaws.com");
    signer
        .sign_at(
            &creds,
            &mut req,
            "sts",
            "us-east-1",
            &SigningOptions::for_service("sts"),
            at(),
        )
        .unwrap();
    assert_eq!(header(&req, "x-amz-security-token"), TOKEN);
    assert!(req.headers()["x-amz-security-token"].is_sensitive());
    assert!(
        header(&req, "authorization")
            .contains("SignedHeaders=host;x-amz-date;x-amz-security-token,")
    );
    let e = signer
        .explain(
            &creds,
            &request("sts.amazonaws.com"),
            "sts",
            "us-east-1",
            at(),
        )
        .unwrap();
    assert!(
        e.canonical_request
            .contains("x-amz-security-token:<redacted>")
    );
    assert_eq!(e.signed_headers, "host;x-amz-date;x-amz-security-token");
}

#[test]
fn empty_content_sha256_gets_the_body_hash() {
    let mut req = http::Request::get("/?max-buckets=1")
        .header("host", "s3.us-east-1.amazonaws.com")
        .header("x-amz-content-sha256", "")
        .body(Vec::new())
        .unwrap();
    let explained = signer()
        .explain(&creds(None), &req, "s3", "us-east-1", at())
        .unwrap();
    signer()
        .sign(&creds(None), &mut req, "s3", "us-east-1")
        .unwrap();
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(header(&req, "x-amz-content-sha256"), empty);
    assert_eq!(
        req.headers().get_all("x-amz-content-sha256").iter().count(),
        1
    );
    assert!(header(&req, "authorization").contains("host;x-amz-content-sha256;x-amz-date"));
    assert!(
        explained
            .canonical_request
            .contains(&format!("x-amz-content-sha256:{empty}\n"))
    );
    assert!(explained.canonical_request.ends_with(empty));

    let mut body = http::Request::put("/bucket/key")
        .header("host", "s3.us-east-1.amazonaws.com")
        .header("x-amz-content-sha256", "")
        .body(b"hello".to_vec())
        .unwrap();
    signer()
        .sign(&creds(None), &mut body, "s3", "us-east-1")
        .unwrap();
    assert_eq!(
        header(&body, "x-amz-content-sha256"),
        canonical::sha256_hex(b"hello")
    );
}

#[test]
fn unsigned_payload_value_is_used_as_the_payload_hash() {
    let req = http::Request::get("/")
        .header("host", "s3.amazonaws.com")
        .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
        .body(Vec::new())
        .unwrap();
    let e = signer()
        .explain(&creds(None), &req, "s3", "us-east-1", at())
        .unwrap();
    assert_eq!(e.payload_hash, "UNSIGNED-PAYLOAD");
    assert!(e.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

#[test]
fn s3_paths_are_not_normalised_or_double_encoded() {
    let req = http::Request::get("/bucket/a%20b/../c")
        .header("host", "s3.amazonaws.com")
        .body(Vec::new())
        .unwrap();
    let s3 = signer()
        .explain(&creds(None), &req, "s3", "us-east-1", at())
        .unwrap();
    assert!(
        s3.canonical_request
            .starts_with("GET\n/bucket/a%20b/../c\n"),
        "{}",
        s3.canonical_request
    );
    let other = signer()
        .explain(&creds(None), &req, "execute-api", "us-east-1", at())
        .unwrap();
    assert!(
        other.canonical_request.starts_with("GET\n/bucket/c\n"),
        "{}",
        other.canonical_request
    );
}

#[test]
fn resigning_replaces_the_old_signature() {
    let mut req = request("iam.amazonaws.com");
    let s = signer();
    s.sign_at(
        &creds(None),
        &mut req,
        "iam",
        "us-east-1",
        &SigningOptions::for_service("iam"),
        at(),
    )
    .unwrap();
    let first = header(&req, "authorization");
    let later = at() + Duration::from_secs(60);
    s.sign_at(
        &creds(None),
        &mut req,
        "iam",
        "us-east-1",
        &SigningOptions::for_service("iam"),
        later,
    )
    .unwrap();
    assert_eq!(req.headers().get_all("authorization").iter().count(), 1);
    assert_eq!(req.headers().get_all("x-amz-date").iter().count(), 1);
    assert_ne!(header(&req, "authorization"), first);
    assert_eq!(header(&req, "x-amz-date"), "20150830T123700Z");
}

#[test]
fn clock_skew_moves_the_signing_time() {
    let ahead = signer().with_clock_skew(Duration::from_secs(1200), true);
    let behind = signer().with_clock_skew(Duration::from_secs(1200), false);
    let now = SystemTime::now();
    let a = ahead.now().duration_since(now).unwrap().as_secs();
    let b = now.duration_since(behind.now()).unwrap().as_secs();
    assert!((1199..=1201).contains(&a), "{a}");
    assert!((1199..=1201).contains(&b), "{b}");
    let mut req = request("iam.amazonaws.com");
    ahead
        .sign(&creds(None), &mut req, "iam", "us-east-1")
        .unwrap();
    let (expected, _) = canonical::date_time(ahead.now());
    // Same minute as the skewed clock (tolerate crossing a minute boundary).
    assert_eq!(header(&req, "x-amz-date")[..11], expected[..11]);
}

#[test]
fn no_secret_in_debug_explain_or_redacted_headers() {
    let creds = creds(Some(TOKEN));
    let signer = Signer::from_credentials(creds.clone());
    let debug = format!("{signer:?}");
    let mut req = request("iam.amazonaws.com");
    signer.sign(&creds, &mut req, "iam", "us-east-1").unwrap();
    let explanation = signer
        .explain(
            &creds,
            &request("iam.amazonaws.com"),
            "iam",
            "us-east-1",
            at(),
        )
        .unwrap();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string()))
        .collect();
    let redacted = format!("{:?}", redact_headers(&headers));
    let signature = header(&req, "authorization")
        .rsplit("Signature=")
        .next()
        .unwrap()
        .to_string();
    for (what, text) in [
        ("debug", debug),
        ("explain", format!("{explanation}\n{explanation:?}")),
        ("redacted", redacted.clone()),
    ] {
        assert!(!text.contains(SECRET), "secret key in {what}: {text}");
        assert!(!text.contains(TOKEN), "session token in {what}: {text}");
    }
    assert!(
        !redacted.contains(&signature),
        "signature in redacted headers: {redacted}"
    );
}

/// The libtest name of a test in this module (the crate name stripped).
fn child_test(name: &str) -> String {
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    format!("{module}::{name}")
}

/// Runs `child_no_credentials` in a fresh process with an empty environment: the
/// environment is process-wide, so it must not be changed under other tests.
#[test]
fn default_chain_with_nothing_configured_is_none_and_fast() {
    let home = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "--exact",
            &child_test("child_no_credentials"),
            "--include-ignored",
            "--nocapture",
        ])
        .env_clear()
        .env("NETCHECK_SIGN_CHILD", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("missing-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("missing-credentials"),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run: {stdout}"
    );
}

#[tokio::test]
#[ignore = "run by default_chain_with_nothing_configured_is_none_and_fast in a clean environment"]
async fn child_no_credentials() {
    assert_eq!(
        std::env::var("NETCHECK_SIGN_CHILD").as_deref(),
        Ok("1"),
        "run through the parent test"
    );
    let started = std::time::Instant::now();
    let signer = Signer::from_default_chain().await;
    assert_eq!(signer.credentials().await, Ok(None));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(format!("{signer:?}").contains("default credential chain"));
}

#[test]
fn default_chain_reads_environment_credentials() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &child_test("child_env_credentials"),
            "--include-ignored",
        ])
        .env_clear()
        .env("NETCHECK_SIGN_CHILD", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run: {stdout}"
    );
}

#[tokio::test]
#[ignore = "run by default_chain_reads_environment_credentials in a clean environment"]
async fn child_env_credentials() {
    assert_eq!(
        std::env::var("NETCHECK_SIGN_CHILD").as_deref(),
        Ok("1"),
        "run through the parent test"
    );
    let signer = Signer::from_default_chain().await;
    let creds = signer
        .credentials()
        .await
        .unwrap()
        .expect("credentials from the environment");
    assert_eq!(creds.access_key_id(), "AKIDFROMENV");
    assert_eq!(creds.session_token(), Some(TOKEN));
    assert!(!format!("{signer:?}").contains("AKIDFROMENV"));
}

#[test]
fn broken_profile_is_an_error_for_people() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    // A role without a source of credentials to assume it with.
    std::fs::write(
        &config,
        "[profile brokenrole]\nrole_arn = arn:aws:iam::123456789012:role/x\n",
    )
    .unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &child_test("child_broken_profile"),
            "--include-ignored",
        ])
        .env_clear()
        .env("NETCHECK_SIGN_CHILD", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", home.path().join("missing"))
        .env("AWS_PROFILE", "brokenrole")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run: {stdout}"
    );
}

#[tokio::test]
#[ignore = "run by broken_profile_is_an_error_for_people in a clean environment"]
async fn child_broken_profile() {
    assert_eq!(
        std::env::var("NETCHECK_SIGN_CHILD").as_deref(),
        Ok("1"),
        "run through the parent test"
    );
    let signer = Signer::from_default_chain().await;
    let err = signer.credentials().await.unwrap_err();
    assert!(err.contains("brokenrole"), "{err}");
}
