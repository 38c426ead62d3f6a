//! Redirects are never followed automatically (policy checks every hop); this resolves
//! a `Location` header against the URL of the request that got it.

use url::Url;

/// The absolute URL a `Location` value points to, relative references resolved against
/// `request_url` (RFC 3986 §5). Errors name the offending value.
pub fn resolve_location(request_url: &str, location: &str) -> Result<Url, String> {
    let base = Url::parse(request_url)
        .map_err(|e| format!("the request URL `{request_url}` is not absolute: {e}"))?;
    let location = location.trim();
    if location.is_empty() {
        return Err("the redirect has an empty `Location` header".to_string());
    }
    base.join(location)
        .map_err(|e| format!("the redirect target `{location}` is not a valid URL reference: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(base: &str, loc: &str) -> String {
        resolve_location(base, loc).unwrap().to_string()
    }

    #[test]
    fn relative_and_absolute_targets() {
        let base = "https://api.example.test:8443/a/b?x=1";
        assert_eq!(
            resolve(base, "/login"),
            "https://api.example.test:8443/login"
        );
        assert_eq!(resolve(base, "c"), "https://api.example.test:8443/a/c");
        assert_eq!(resolve(base, "../up"), "https://api.example.test:8443/up");
        assert_eq!(
            resolve(base, "?y=2"),
            "https://api.example.test:8443/a/b?y=2"
        );
        assert_eq!(resolve(base, "//other.test/p"), "https://other.test/p");
        assert_eq!(resolve(base, "http://plain.test/"), "http://plain.test/");
    }

    #[test]
    fn errors_name_the_value() {
        assert!(
            resolve_location("/relative", "/x")
                .unwrap_err()
                .contains("/relative")
        );
        assert!(
            resolve_location("https://a.test/", "  ")
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            resolve_location("https://a.test/", "http://[::1")
                .unwrap_err()
                .contains("http://[::1")
        );
    }
}
