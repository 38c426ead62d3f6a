//! Request shapes for each addressing style, and S3's own verdicts.

use super::*;
use netcheck_guest::{AwsEndpoint, ProbeKind, Status};

fn target(host: &str, path: &str, aws: Option<AwsEndpoint>, region: Option<&str>) -> Target {
    Target {
        url: format!("https://{host}{path}"),
        scheme: "https".into(),
        host: host.into(),
        port: 443,
        path_and_query: path.into(),
        aws,
        service: Some("s3".into()),
        region: region.map(String::from),
        options: Vec::new(),
    }
}

fn aws(resource: Option<&str>, vpce: Option<&str>) -> Option<AwsEndpoint> {
    Some(AwsEndpoint {
        service_label: "s3".into(),
        region: Some("eu-west-1".into()),
        partition: "aws".into(),
        fips: false,
        dualstack: false,
        vpc_endpoint_id: vpce.map(String::from),
        account: None,
        resource: resource.map(String::from),
    })
}

/// (label, method, path, signing region, action) of the only probe.
fn plan(t: Target) -> (String, String, String, String, String) {
    let probes = S3::plan(t).unwrap();
    assert_eq!(probes.len(), 1);
    let p = &probes[0];
    let ProbeKind::Http(req) = &p.kind else {
        panic!("expected an HTTP probe");
    };
    assert!(req.body.is_empty());
    assert!(
        req.headers
            .contains(&("x-amz-content-sha256".into(), String::new())),
        "S3 needs the empty x-amz-content-sha256 header for the signer"
    );
    let Signing::Sigv4(params) = &p.signing else {
        panic!("expected SigV4");
    };
    assert_eq!(params.service, "s3");
    (
        p.label.clone(),
        req.method.clone(),
        req.path_and_query.clone(),
        params.region.clone(),
        p.action.clone().unwrap_or_default(),
    )
}

#[test]
fn service_endpoint_lists_buckets() {
    let t = target(
        "s3.eu-west-1.amazonaws.com",
        "/",
        aws(None, None),
        Some("eu-west-1"),
    );
    let (label, method, path, region, action) = plan(t);
    assert_eq!(label, "ListBuckets");
    assert_eq!(method, "GET");
    assert_eq!(path, "/?max-buckets=1");
    assert_eq!(region, "eu-west-1");
    assert_eq!(action, LIST_BUCKETS);
}

#[test]
fn virtual_hosted_bucket_lists_one_key() {
    let t = target(
        "my-bucket.s3.eu-west-1.amazonaws.com",
        "/",
        aws(Some("my-bucket"), None),
        Some("eu-west-1"),
    );
    let (label, _, path, _, action) = plan(t);
    assert_eq!(label, "ListObjectsV2");
    assert_eq!(path, "/?list-type=2&max-keys=1");
    assert_eq!(action, LIST_BUCKET);
}

#[test]
fn path_style_takes_the_first_segment() {
    let t = target(
        "s3.eu-west-1.amazonaws.com",
        "/my-bucket/some/prefix?x=1",
        aws(None, None),
        Some("eu-west-1"),
    );
    let (_, _, path, _, action) = plan(t);
    assert_eq!(path, "/my-bucket?list-type=2&max-keys=1");
    assert_eq!(action, LIST_BUCKET);
}

#[test]
fn bucket_option_overrides_the_path() {
    let mut t = target("127.0.0.1", "/ignored", None, Some("eu-west-1"));
    t.options.push(("bucket".into(), " logs.example ".into()));
    let (_, _, path, _, _) = plan(t);
    assert_eq!(path, "/logs.example?list-type=2&max-keys=1");
}

#[test]
fn bucket_option_conflicting_with_host_is_an_error() {
    let mut t = target(
        "a.s3.eu-west-1.amazonaws.com",
        "/",
        aws(Some("a"), None),
        Some("eu-west-1"),
    );
    t.options.push(("bucket".into(), "b".into()));
    let err = S3::plan(t.clone()).unwrap_err();
    assert!(err.contains("conflicts") && err.contains("\"a\""), "{err}");
    t.options[0].1 = "a".into();
    assert_eq!(plan(t).2, "/?list-type=2&max-keys=1");
}

#[test]
fn invalid_bucket_names_are_refused() {
    let t = target(
        "s3.eu-west-1.amazonaws.com",
        "/b%20ad",
        aws(None, None),
        Some("eu-west-1"),
    );
    let err = S3::plan(t).unwrap_err();
    assert!(err.contains("not an S3 bucket name"), "{err}");
}

#[test]
fn interface_endpoint_bucket_label_is_not_a_bucket() {
    let vpce = Some("vpce-0abc");
    let host = "bucket.vpce-0abc.s3.eu-west-1.vpce.amazonaws.com";
    let t = target(host, "/", aws(Some("bucket"), vpce), Some("eu-west-1"));
    assert_eq!(addressing(&t), Ok(Addressing::Service));
    let t = target(host, "/data", aws(Some("bucket"), vpce), Some("eu-west-1"));
    assert_eq!(addressing(&t), Ok(Addressing::PathStyle("data".into())));
    let t = target(host, "/", aws(Some("data.bucket"), vpce), Some("eu-west-1"));
    assert_eq!(addressing(&t), Ok(Addressing::VirtualHosted("data".into())));
}

#[test]
fn global_endpoints_sign_for_us_east_1() {
    for host in [
        "s3.amazonaws.com",
        "my-bucket.s3.amazonaws.com",
        "S3.amazonaws.com.",
    ] {
        let t = target(host, "/", None, None);
        assert_eq!(plan(t).3, "us-east-1", "{host}");
    }
}

#[test]
fn regional_endpoint_without_region_is_an_error() {
    let t = target("127.0.0.1", "/", None, None);
    assert!(S3::plan(t).unwrap_err().contains("no region"));
}

fn judge(t: &Target, status: u16, headers: &[(&str, &str)], body: &str) -> Verdict {
    let probe = S3::plan(t.clone()).unwrap().remove(0);
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
    S3::judge(t.clone(), probe, Observation::Http(response), context)
}

fn bucket_target() -> Target {
    target(
        "my-bucket.s3.amazonaws.com",
        "/",
        aws(Some("my-bucket"), None),
        None,
    )
}

#[test]
fn permanent_redirect_is_wrong_region_naming_the_bucket_region() {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code>\
        <Message>The bucket you are attempting to access must be addressed using the specified endpoint. \
        Please send all future requests to this endpoint.</Message>\
        <Endpoint>my-bucket.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>my-bucket</Bucket>\
        <RequestId>1</RequestId><HostId>h</HostId></Error>";
    let v = judge(
        &bucket_target(),
        301,
        &[("x-amz-bucket-region", "eu-west-1")],
        body,
    );
    assert_eq!(
        (v.status, v.reason.as_str()),
        (Status::Fail, "wrong-region")
    );
    assert!(
        v.message.contains("eu-west-1") && v.message.contains("us-east-1"),
        "{}",
        v.message
    );
    assert!(
        v.message.contains("HTTP 301 PermanentRedirect"),
        "{}",
        v.message
    );
    assert!(v.hint.unwrap().contains("region = \"eu-west-1\""));
}

#[test]
fn authorization_header_malformed_about_region_is_wrong_region() {
    let body = "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is \
        malformed; the region 'us-east-1' is wrong; expecting 'ap-south-1'</Message>\
        <Region>ap-south-1</Region></Error>";
    let v = judge(&bucket_target(), 400, &[], body);
    assert_eq!(v.reason, "wrong-region");
    assert!(v.message.contains("ap-south-1"), "{}", v.message);
    assert_eq!(
        expected_region("…wrong; expecting 'ap-south-1'").as_deref(),
        Some("ap-south-1")
    );
}

#[test]
fn no_such_bucket_is_not_found() {
    let body = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>\
        <BucketName>my-bucket</BucketName></Error>";
    let v = judge(&bucket_target(), 404, &[], body);
    assert_eq!((v.status, v.reason.as_str()), (Status::Fail, "not-found"));
    assert!(v.message.contains("my-bucket") && v.message.contains("HTTP 404 NoSuchBucket"));
}

#[test]
fn access_denied_on_a_bucket_names_the_bucket_arn() {
    let body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    let v = judge(&bucket_target(), 403, &[], body);
    assert_eq!(v.reason, "access-denied");
    assert!(v.message.contains(LIST_BUCKET), "{}", v.message);
    assert!(v.hint.unwrap().contains("arn:aws:s3:::my-bucket"));
}

#[test]
fn success_is_ok() {
    let v = judge(&bucket_target(), 200, &[], "<ListBucketResult/>");
    assert_eq!((v.status, v.reason.as_str()), (Status::Pass, "ok"));
}

#[test]
fn describes_gateway_endpoint_and_patterns() {
    let info = S3::describe();
    let s = &info.services[0];
    assert_eq!(s.endpoint_kind, EndpointKind::Gateway);
    assert_eq!(s.vpc_endpoint.as_deref(), Some("com.amazonaws.{region}.s3"));
    for p in [
        "s3.*.amazonaws.com",
        "*.s3.*.amazonaws.com",
        "s3.amazonaws.com",
        "*.s3.amazonaws.com",
        "s3.dualstack.*.amazonaws.com",
        "s3-fips.*.amazonaws.com",
        "*.s3.*.vpce.amazonaws.com",
    ] {
        assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
    }
    let mut unique = s.host_patterns.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), s.host_patterns.len(), "duplicate patterns");
}
