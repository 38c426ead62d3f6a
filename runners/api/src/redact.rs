//! Keeping secrets out of what netcheck prints: URLs in results (every report format),
//! policy violations and audit records lose their password and the values of
//! credential-like query parameters (`X-Amz-Signature`, `X-Amz-Security-Token`, `token`,
//! `password`, ...). A URL with nothing to hide is returned exactly as given.
//!
//! ```
//! # use netcheck_runner_api::redact_url;
//! assert_eq!(
//!     redact_url("https://u:hunter2@example.com/?X-Amz-Signature=abc&a=1"),
//!     "https://u:REDACTED@example.com/?X-Amz-Signature=REDACTED&a=1"
//! );
//! ```

/// What replaces a secret.
const REDACTED: &str = "REDACTED";

/// Query parameter names containing any of these (case-insensitively) are redacted.
const SECRET_PARAMS: [&str; 10] = [
    "signature",
    "token",
    "credential",
    "secret",
    "password",
    "passwd",
    "key",
    "auth",
    "session",
    "sig",
];

/// The URL with its password and credential-like query values replaced by `REDACTED`.
/// Text that is not a URL loses everything from `?` and the part before `@`.
pub fn redact_url(text: &str) -> String {
    let mut url = match url::Url::parse(text) {
        // `user:pass@host:5432` parses as scheme `user`: treat host-less URLs as text.
        Ok(url) if url.has_host() || !text.contains('@') => url,
        _ => return redact_unparsed(text),
    };
    let secret_query = url.query_pairs().any(|(k, _)| is_secret_param(&k));
    if url.password().is_none() && !secret_query {
        return text.to_string();
    }
    if url.password().is_some() {
        // Cannot fail: the URL has a host, or it could not have had a password.
        let _ = url.set_password(Some(REDACTED));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) {
                    REDACTED.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

fn is_secret_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| lower.contains(s))
}

fn redact_unparsed(text: &str) -> String {
    let text = text.split(['?', '#']).next().unwrap_or_default();
    match (text.find("://"), text.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{REDACTED}{}", &text[..s + 3], &text[at..]),
        (None, Some(at)) => format!("{REDACTED}{}", &text[at..]),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_query_values_are_redacted() {
        let url = "https://s3.amazonaws.com/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                   &X-Amz-Credential=AKIDEXAMPLE%2F20250101&X-Amz-Security-Token=tok\
                   &X-Amz-Signature=deadbeef&versionId=3";
        let out = redact_url(url);
        assert!(!out.contains("AKIDEXAMPLE") && !out.contains("deadbeef") && !out.contains("tok&"));
        assert!(out.contains("X-Amz-Algorithm=AWS4-HMAC-SHA256") && out.contains("versionId=3"));
    }

    #[test]
    fn plain_urls_are_unchanged() {
        assert_eq!(redact_url("HTTPS://Example.com"), "HTTPS://Example.com");
        assert_eq!(redact_url("db.internal:5432"), "db.internal:5432");
        assert_eq!(
            redact_url("https://example.com/health"),
            "https://example.com/health"
        );
        assert_eq!(redact_url("tcp://10.0.0.5:5432"), "tcp://10.0.0.5:5432");
        assert_eq!(
            redact_url("https://user@example.com/"),
            "https://user@example.com/"
        );
    }

    #[test]
    fn unparsable_text_loses_query_and_userinfo() {
        assert_eq!(redact_url("not a url?token=x"), "not a url");
        assert_eq!(redact_url("weird://a:b@host"), "weird://a:REDACTED@host");
        assert_eq!(
            redact_url("http://a:b@[bad/x?t=1"),
            "http://REDACTED@[bad/x"
        );
        assert_eq!(redact_url("a:b@host:1"), "REDACTED@host:1");
    }
}
