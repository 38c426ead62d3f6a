//! Conveniences on the generated WIT types: reading options and headers, making verdicts.

use std::borrow::Cow;

use crate::{HttpResponse, Observation, Probe, ProbeKind, Status, Target, Verdict};

impl Target {
    /// The value of option `key` (keys compare ASCII case-insensitively); the last one
    /// wins when a key is repeated.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The region to sign for, or an error telling the user how to set one.
    pub fn require_region(&self) -> Result<&str, String> {
        match self.region.as_deref().map(str::trim) {
            Some(region) if !region.is_empty() => Ok(region),
            _ => Err(format!(
                "no region for {}: set region = \"eu-west-1\" (for example) on the check, or set AWS_REGION",
                self.host
            )),
        }
    }

    /// The bucket or API id in a virtual-hosted AWS host name (`bucket.s3.…`), if any.
    pub fn aws_resource(&self) -> Option<&str> {
        self.aws.as_ref()?.resource.as_deref()
    }

    /// `host:port`, with IPv6 literals bracketed.
    pub fn authority(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl HttpResponse {
    /// The first value of header `name` (compared ASCII case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body prefix as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

impl Probe {
    /// The HTTP method of an HTTP probe; `None` for a connect probe.
    pub fn method(&self) -> Option<&str> {
        match &self.kind {
            ProbeKind::Http(request) => Some(&request.method),
            ProbeKind::Connect => None,
        }
    }
}

impl Observation {
    /// The HTTP response, when the probe got one.
    pub fn http(&self) -> Option<&HttpResponse> {
        match self {
            Observation::Http(response) => Some(response),
            Observation::Connected => None,
        }
    }
}

impl Verdict {
    fn new(status: Status, reason: &str, message: impl Into<String>) -> Self {
        Verdict {
            status,
            reason: reason.to_string(),
            message: message.into(),
            hint: None,
            try_next: false,
        }
    }

    /// A passing verdict, e.g. `Verdict::pass("ok", "HTTP 200")`.
    pub fn pass(reason: &str, message: impl Into<String>) -> Self {
        Self::new(Status::Pass, reason, message)
    }

    /// A warning: reachable, but something deserves attention.
    pub fn warn(reason: &str, message: impl Into<String>) -> Self {
        Self::new(Status::Warn, reason, message)
    }

    /// A failure.
    pub fn fail(reason: &str, message: impl Into<String>) -> Self {
        Self::new(Status::Fail, reason, message)
    }

    /// The same verdict with a hint saying what to change.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same verdict, asking the host to send the next probe of the plan instead.
    pub fn and_try_next(mut self) -> Self {
        self.try_next = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(options: &[(&str, &str)], region: Option<&str>) -> Target {
        Target {
            url: "https://kms.eu-west-1.amazonaws.com/".into(),
            scheme: "https".into(),
            host: "kms.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: None,
            region: region.map(String::from),
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn option_lookup_is_case_insensitive_and_last_wins() {
        let t = target(&[("Method", "GET"), ("method", "HEAD")], None);
        assert_eq!(t.option("METHOD"), Some("HEAD"));
        assert_eq!(t.option("other"), None);
    }

    #[test]
    fn missing_or_blank_region_explains_the_fix() {
        for region in [None, Some(" ")] {
            let err = target(&[], region).require_region().unwrap_err();
            assert!(err.contains("kms.eu-west-1.amazonaws.com"), "{err}");
            assert!(err.contains("AWS_REGION"), "{err}");
        }
        assert_eq!(
            target(&[], Some("eu-west-1")).require_region(),
            Ok("eu-west-1")
        );
    }

    #[test]
    fn authority_brackets_ipv6() {
        let mut t = target(&[], None);
        t.host = "::1".into();
        t.port = 8443;
        assert_eq!(t.authority(), "[::1]:8443");
    }

    #[test]
    fn header_lookup_ignores_case() {
        let r = HttpResponse {
            status: 200,
            headers: vec![("x-amz-bucket-region".into(), "eu-west-1".into())],
            body: vec![],
        };
        assert_eq!(r.header("X-Amz-Bucket-Region"), Some("eu-west-1"));
        assert_eq!(r.header("location"), None);
    }

    #[test]
    fn verdict_builders_set_fields() {
        let v = Verdict::warn("x", "m").with_hint("h").and_try_next();
        assert_eq!(v.status, Status::Warn);
        assert_eq!(v.reason, "x");
        assert_eq!(v.hint.as_deref(), Some("h"));
        assert!(v.try_next);
    }
}
