//! Builders for the requests and probes a plugin returns from `plan`.
//!
//! The host adds `Host`, `Content-Length`, `User-Agent`, `X-Amz-Date` and the signature;
//! a plugin only says what the call is. A header that must be signed but whose value only
//! the host knows (S3's `x-amz-content-sha256`) is sent with an empty value, and the
//! host's signer fills it in.

use crate::{HttpRequest, Probe, ProbeKind, Signing, Sigv4Params};

/// The two versions of the AWS JSON protocol (`application/x-amz-json-1.0` / `-1.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonProtocol {
    /// DynamoDB, SQS (JSON), Step Functions…
    V1_0,
    /// KMS, SSM, CloudWatch Logs, ECR…
    V1_1,
}

/// An AWS query-protocol call: `POST /` with form body `Action=…&Version=…&k=v…`.
///
/// ```
/// let req = netcheck_guest::request::aws_query("GetCallerIdentity", "2011-06-15", &[]);
/// assert_eq!(req.body, b"Action=GetCallerIdentity&Version=2011-06-15");
/// ```
pub fn aws_query(action: &str, version: &str, params: &[(&str, &str)]) -> HttpRequest {
    let mut body = format!(
        "Action={}&Version={}",
        form_urlencode(action),
        form_urlencode(version)
    );
    for (key, value) in params {
        body.push('&');
        body.push_str(&form_urlencode(key));
        body.push('=');
        body.push_str(&form_urlencode(value));
    }
    HttpRequest {
        method: "POST".into(),
        path_and_query: "/".into(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
        body: body.into_bytes(),
    }
}

/// An AWS JSON-protocol call: `POST /` with `x-amz-target: <target>` (e.g.
/// `TrentService.ListKeys`) and a JSON body (`{}` when it takes no input).
pub fn aws_json(protocol: JsonProtocol, target: &str, body: &str) -> HttpRequest {
    let content_type = match protocol {
        JsonProtocol::V1_0 => "application/x-amz-json-1.0",
        JsonProtocol::V1_1 => "application/x-amz-json-1.1",
    };
    HttpRequest {
        method: "POST".into(),
        path_and_query: "/".into(),
        headers: vec![
            ("x-amz-target".into(), target.into()),
            ("content-type".into(), content_type.into()),
        ],
        body: body.as_bytes().to_vec(),
    }
}

/// A body-less `GET` (REST-JSON and REST-XML reads). `path_and_query` is sent as given,
/// so it must already be percent-encoded.
pub fn rest_get(path_and_query: &str) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path_and_query: path_and_query.into(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

impl HttpRequest {
    /// The same request with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl Signing {
    /// SigV4 with signing name `service` (e.g. `kms`) for `region`.
    pub fn sigv4(service: &str, region: &str) -> Self {
        Signing::Sigv4(Sigv4Params {
            service: service.into(),
            region: region.into(),
        })
    }
}

impl Probe {
    /// A SigV4-signed AWS call exercising IAM `action` (e.g. `kms:ListKeys`).
    pub fn aws(
        label: &str,
        request: HttpRequest,
        signing_name: &str,
        region: &str,
        action: &str,
    ) -> Self {
        Probe {
            label: label.into(),
            kind: ProbeKind::Http(request),
            signing: Signing::sigv4(signing_name, region),
            action: Some(action.into()),
        }
    }

    /// An unsigned HTTP request.
    pub fn unsigned(label: &str, request: HttpRequest) -> Self {
        Probe {
            label: label.into(),
            kind: ProbeKind::Http(request),
            signing: Signing::None,
            action: None,
        }
    }

    /// Connect only (plus the TLS handshake for `tls`/`https` targets).
    pub fn connect(label: &str) -> Self {
        Probe {
            label: label.into(),
            kind: ProbeKind::Connect,
            signing: Signing::None,
            action: None,
        }
    }
}

/// Percent-encodes `value` the way AWS's SigV4 canonical form expects: everything but
/// `A-Z a-z 0-9 - _ . ~` becomes `%XX` (so a space is `%20`, not `+`).
pub fn form_urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
        req.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn query_request_is_a_form_post() {
        let req = aws_query(
            "ListUsers",
            "2010-05-08",
            &[("MaxItems", "1"), ("Path Prefix", "/a&b")],
        );
        assert_eq!(req.method, "POST");
        assert_eq!(req.path_and_query, "/");
        assert_eq!(
            header(&req, "content-type"),
            Some("application/x-www-form-urlencoded; charset=utf-8")
        );
        assert_eq!(
            String::from_utf8_lossy(&req.body),
            "Action=ListUsers&Version=2010-05-08&MaxItems=1&Path%20Prefix=%2Fa%26b"
        );
    }

    #[test]
    fn json_request_names_target_and_version() {
        let req = aws_json(
            JsonProtocol::V1_1,
            "AmazonSSM.DescribeParameters",
            r#"{"MaxResults":1}"#,
        );
        assert_eq!(req.method, "POST");
        assert_eq!(
            header(&req, "x-amz-target"),
            Some("AmazonSSM.DescribeParameters")
        );
        assert_eq!(
            header(&req, "content-type"),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(req.body, br#"{"MaxResults":1}"#);
        let req = aws_json(JsonProtocol::V1_0, "DynamoDB_20120810.ListTables", "{}");
        assert_eq!(
            header(&req, "content-type"),
            Some("application/x-amz-json-1.0")
        );
    }

    #[test]
    fn rest_get_has_no_body_and_takes_extra_headers() {
        let req = rest_get("/?max-buckets=1").with_header("x-amz-content-sha256", "");
        assert_eq!(req.method, "GET");
        assert!(req.body.is_empty());
        assert_eq!(header(&req, "x-amz-content-sha256"), Some(""));
    }

    #[test]
    fn aws_probe_is_signed_for_service_and_region() {
        let probe = Probe::aws(
            "ListKeys",
            rest_get("/"),
            "kms",
            "eu-west-1",
            "kms:ListKeys",
        );
        assert_eq!(probe.signing, Signing::sigv4("kms", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some("kms:ListKeys"));
        assert_eq!(probe.method(), Some("GET"));
        assert_eq!(Probe::connect("connect").method(), None);
    }

    #[test]
    fn urlencoding_keeps_only_unreserved() {
        assert_eq!(form_urlencode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(form_urlencode("a b+é"), "a%20b%2B%C3%A9");
    }
}
