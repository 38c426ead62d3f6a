//! Redaction of request headers before they are logged or shown.

/// Headers whose whole value is secret.
const SECRET_HEADERS: &[&str] = &[
    "x-amz-security-token",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
];

const REDACTED: &str = "<redacted>";

/// A copy of `headers` safe to log: the signature of a SigV4 `authorization` header
/// (any other authorization scheme entirely), session tokens, cookies and customer
/// keys are replaced by `<redacted>`. Names are matched case-insensitively and kept as given.
pub fn redact_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let lower = name.to_ascii_lowercase();
            let value = if lower == "authorization" {
                redact_authorization(value)
            } else if SECRET_HEADERS.contains(&lower.as_str()) {
                REDACTED.to_string()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

fn redact_authorization(value: &str) -> String {
    match value.find("Signature=") {
        Some(at) if value.starts_with("AWS4-") => format!("{}Signature={REDACTED}", &value[..at]),
        _ => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} {REDACTED}"),
            None => REDACTED.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: &str, v: &str) -> (String, String) {
        (n.to_string(), v.to_string())
    }

    #[test]
    fn secrets_are_replaced_and_the_rest_kept() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, \
                    SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        let out = redact_headers(&[
            h("Authorization", auth),
            h("X-Amz-Security-Token", "IQoJb3JpZ2luX2VjEXAMPLETOKEN"),
            h("host", "kms.us-east-1.amazonaws.com"),
            h("authorization", "Bearer abc.def"),
            h("cookie", "session=1"),
        ]);
        let text = format!("{out:?}");
        assert!(!text.contains("5fa00fa3"), "{text}");
        assert!(!text.contains("EXAMPLETOKEN"), "{text}");
        assert!(!text.contains("abc.def"), "{text}");
        assert!(!text.contains("session=1"), "{text}");
        assert_eq!(
            out[0].1,
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=<redacted>"
        );
        assert_eq!(out[0].0, "Authorization");
        assert_eq!(out[2], h("host", "kms.us-east-1.amazonaws.com"));
        assert_eq!(out[3].1, "Bearer <redacted>");
    }
}
