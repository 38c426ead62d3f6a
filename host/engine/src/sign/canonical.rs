//! The SigV4 canonical request and string to sign, built independently of `aws-sigv4`
//! so `netcheck sign --explain` can show them (the crate keeps them private).
//!
//! [`super::Signer::explain_with`] checks that the signature derived from this text
//! equals the one `aws-sigv4` puts on the wire, so an explanation can never silently
//! disagree with what is sent. The rules follow the AWS documentation ("Create a
//! canonical request") and the AWS signing test suite.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// Header names that are never signed (they change in transit or are the signature).
const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];

/// What goes into a canonical request. Header names are lower-case.
pub(super) struct Input<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub payload_hash: &'a str,
    pub date_time: &'a str,
    pub session_token: Option<&'a str>,
    pub sign_session_token: bool,
    /// Add `x-amz-content-sha256: <payload_hash>` (and sign it).
    pub add_content_sha256: bool,
    pub normalize_path: bool,
    pub double_encode_path: bool,
}

pub(super) struct Canonical {
    /// The exact text that is hashed.
    pub text: String,
    /// The same with the session token replaced by `<redacted>`.
    pub redacted: String,
    /// `host;x-amz-date`, as in the Authorization header.
    pub signed_headers: String,
}

pub(super) fn canonical_request(input: &Input<'_>) -> Canonical {
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), trim_all(v)))
        .collect();
    let mut set = |name: &str, value: &str| {
        headers.retain(|(n, _)| n != name);
        headers.push((name.to_string(), value.to_string()));
    };
    set("x-amz-date", input.date_time);
    if let Some(token) = input.session_token {
        set("x-amz-security-token", token);
    }
    if input.add_content_sha256 {
        set("x-amz-content-sha256", input.payload_hash);
    }
    let mut names: Vec<&str> = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !UNSIGNED_HEADERS.contains(n))
        .filter(|n| input.sign_session_token || *n != "x-amz-security-token")
        .collect();
    names.sort_unstable();
    names.dedup();

    let path = if input.normalize_path {
        normalize_path(input.path)
    } else {
        input.path.to_string()
    };
    let path = if input.double_encode_path {
        encode(&path, true)
    } else {
        path
    };
    let mut head = format!(
        "{}\n{}\n{}\n",
        input.method,
        path,
        canonical_query(input.query)
    );
    let mut redacted = head.clone();
    for name in &names {
        let values: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect();
        let line = format!("{name}:{}\n", values.join(","));
        head.push_str(&line);
        if *name == "x-amz-security-token" {
            redacted.push_str("x-amz-security-token:<redacted>\n");
        } else {
            redacted.push_str(&line);
        }
    }
    let signed_headers = names.join(";");
    let tail = format!("\n{signed_headers}\n{}", input.payload_hash);
    Canonical {
        text: head + &tail,
        redacted: redacted + &tail,
        signed_headers,
    }
}

pub(super) fn string_to_sign(date_time: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Remove dot segments and empty segments (RFC 3986 §5.2.4, as SigV4 applies it),
/// keeping a trailing slash.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    if !path.contains('.') && !path.contains("//") {
        return path;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    let trailing = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|s| path.ends_with(s));
    if trailing && !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// Percent-encode everything but the unreserved characters (and `/` when `keep_slash`).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decode the query as a form (`+` is a space), re-encode each key and value, sort.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (encode(&k, false), encode(&v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Trim spaces at both ends and collapse runs of spaces (spaces only, as S3 does).
fn trim_all(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.trim_matches(' ').chars() {
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    out
}

/// `20150830T123600Z` and `20150830` for `time` (UTC, whole seconds).
pub(super) fn date_time(time: SystemTime) -> (String, String) {
    let secs = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let date = format!("{y:04}{m:02}{d:02}");
    (
        format!(
            "{date}T{:02}{:02}{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        ),
        date,
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn paths() {
        assert_eq!(normalize_path(""), "/");
        assert_eq!(normalize_path("/a/./b/../c/"), "/a/c/");
        assert_eq!(normalize_path("/a//b"), "/a/b");
        assert_eq!(normalize_path("/../x"), "/x");
        assert_eq!(normalize_path("/a/b/.."), "/a/");
        assert_eq!(normalize_path("/file.txt"), "/file.txt");
        assert_eq!(encode("/a b/%3D/~x", true), "/a%20b/%253D/~x");
        assert_eq!(encode("a/b", false), "a%2Fb");
    }

    #[test]
    fn queries() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("flag&x=a+b&y=%7e"), "flag=&x=a%20b&y=~");
        assert_eq!(canonical_query("k=%3A%2F"), "k=%3A%2F");
    }

    #[test]
    fn header_values() {
        assert_eq!(trim_all("  a   b  c "), "a b c");
        assert_eq!(trim_all("\ta\t"), "\ta\t", "only spaces are trimmed");
    }

    #[test]
    fn dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        assert_eq!(
            date_time(t),
            ("20150830T123600Z".to_string(), "20150830".to_string())
        );
        assert_eq!(date_time(UNIX_EPOCH).0, "19700101T000000Z");
        assert_eq!(
            date_time(UNIX_EPOCH + Duration::from_secs(951_782_400)).1,
            "20000229"
        );
    }

    #[test]
    fn token_is_redacted_but_signed() {
        let headers = vec![("host".to_string(), "example.test".to_string())];
        let input = Input {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            payload_hash: "e3b0",
            date_time: "20150830T123600Z",
            session_token: Some("SECRET-TOKEN"),
            sign_session_token: true,
            add_content_sha256: false,
            normalize_path: true,
            double_encode_path: true,
        };
        let c = canonical_request(&input);
        assert!(c.text.contains("x-amz-security-token:SECRET-TOKEN\n"));
        assert!(!c.redacted.contains("SECRET-TOKEN"));
        assert!(c.redacted.contains("x-amz-security-token:<redacted>\n"));
        assert_eq!(c.signed_headers, "host;x-amz-date;x-amz-security-token");
    }
}
