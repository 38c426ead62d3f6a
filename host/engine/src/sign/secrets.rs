//! The last line of defence for logs: every secret the signer handles is registered here,
//! and the log writer replaces each of them with `<redacted>` before a byte reaches
//! stderr, whatever the level and whichever library wrote the line (aws-sigv4 traces the
//! canonical request of a presigned URL, whose query carries the session token).
//!
//! Registered: the secret access key, the session token and the EKS bearer token, each
//! as sent and percent-encoded (a presigned query encodes `/`, `+` and `=`).
//!
//! ```
//! use std::io::Write;
//! use netcheck_engine::sign::secrets;
//! secrets::register("FwoGZXIvYXdzEJr//example+token=");
//! let mut out = Vec::new();
//! secrets::Redacting::new(&mut out)
//!     .write_all(b"X-Amz-Security-Token=FwoGZXIvYXdzEJr%2F%2Fexample%2Btoken%3D&x=1\n")
//!     .unwrap();
//! assert_eq!(String::from_utf8(out).unwrap(), "X-Amz-Security-Token=<redacted>&x=1\n");
//! ```

use std::io::{self, Write};
use std::sync::RwLock;

/// Shorter values are not secrets worth a global replace (and would mangle logs).
const MIN_LEN: usize = 8;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers `secret` (and its percent-encoded form) for [`redact`].
pub fn register(secret: &str) {
    if secret.len() < MIN_LEN {
        return;
    }
    let mut list = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    for form in [secret.to_string(), percent_encode(secret)] {
        if !list.contains(&form) {
            list.push(form);
        }
    }
    // Longest first: a token that contains another secret is replaced whole.
    list.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every registered secret replaced by `<redacted>`.
pub fn redact(text: &str) -> String {
    let list = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = text.to_string();
    for secret in list.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "<redacted>");
        }
    }
    out
}

/// RFC 3986 unreserved characters kept, everything else `%XX` (as SigV4 encodes query values).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A writer that redacts registered secrets from what passes through it. The log
/// formatter writes each event whole, so a secret is never split across two writes.
pub struct Redacting<W: Write> {
    inner: W,
}

impl<W: Write> Redacting<W> {
    pub fn new(inner: W) -> Self {
        Redacting { inner }
    }
}

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The log destination: stderr through [`Redacting`] (a `tracing_subscriber` `MakeWriter`).
pub fn redacting_stderr() -> Redacting<io::Stderr> {
    Redacting::new(io::stderr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_encoded_forms_are_redacted_and_short_values_ignored() {
        register("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        register("short");
        let line = "secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY q=wJalrXUtnFEMI%2FK7MDENG%2FbPxRfiCYEXAMPLEKEY short";
        assert_eq!(redact(line), "secret=<redacted> q=<redacted> short");
    }
}
