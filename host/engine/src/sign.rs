//! SigV4 signing through `aws-sigv4`: the only place credentials live.
//!
//! A [`Signer`] resolves credentials (aws-config's default chain, lazily, once per run,
//! refreshed before expiry) and signs `http::Request`s in place. Secrets never leave
//! this module: `Debug` shows none, [`Signer::explain`] redacts the session token, and
//! [`redact_headers`] is what every log of a request should go through.
//!
//! ```
//! use netcheck_engine::sign::{Credentials, Signer};
//! let creds = Credentials::new("AKIDEXAMPLE", "secret", None, None, "example");
//! let signer = Signer::from_credentials(creds.clone());
//! let mut req = http::Request::post("/")
//!     .header("host", "kms.eu-west-1.amazonaws.com")
//!     .header("x-amz-target", "TrentService.ListKeys")
//!     .body(br#"{"Limit":1}"#.to_vec())
//!     .unwrap();
//! signer.sign(&creds, &mut req, "kms", "eu-west-1").unwrap();
//! assert!(req.headers()["authorization"].to_str().unwrap().contains("/eu-west-1/kms/aws4_request"));
//! ```

mod canonical;
mod redact;
pub mod secrets;
mod source;

use std::fmt;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest,
    SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use http::{HeaderName, HeaderValue};

pub use aws_credential_types::Credentials;
pub use redact::redact_headers;

const CONTENT_SHA256: &str = "x-amz-content-sha256";
/// Headers a previous signature left behind; replaced on every signing.
const SIGNATURE_HEADERS: &[&str] = &["authorization", "x-amz-date", "x-amz-security-token"];

/// How a service wants its requests canonicalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningOptions {
    /// Remove `.`/`..`/empty path segments before signing (not for S3).
    pub normalize_path: bool,
    /// URI-encode the (already encoded) path once more (not for S3).
    pub double_encode_path: bool,
    /// Include `x-amz-security-token` in the signature (off: sent but unsigned).
    pub sign_session_token: bool,
}

impl SigningOptions {
    /// AWS's rules for signing name `service`: S3 and its variants sign the path exactly
    /// as sent; every other service normalises and double-encodes it.
    pub fn for_service(service: &str) -> SigningOptions {
        let s3 = matches!(
            service,
            "s3" | "s3-object-lambda" | "s3-outposts" | "s3express"
        );
        SigningOptions {
            normalize_path: !s3,
            double_encode_path: !s3,
            sign_session_token: true,
        }
    }
}

/// Everything a SigV4 signature is made of, for people. Never holds the secret key or
/// the session token (shown as `<redacted>` in the canonical request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub canonical_request: String,
    pub string_to_sign: String,
    /// `host;x-amz-date`
    pub signed_headers: String,
    /// `20150830/us-east-1/iam/aws4_request`
    pub credential_scope: String,
    /// `20150830T123600Z`
    pub date_time: String,
    /// Hex SHA-256 of the body, or the `x-amz-content-sha256` value given.
    pub payload_hash: String,
    pub signature: String,
    /// The Authorization header as sent (access key id, scope, signed headers, signature).
    pub authorization: String,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Canonical request:\n{}\n", self.canonical_request)?;
        writeln!(f, "String to sign:\n{}\n", self.string_to_sign)?;
        writeln!(f, "Credential scope: {}", self.credential_scope)?;
        writeln!(f, "Signed headers:   {}", self.signed_headers)?;
        writeln!(f, "Payload hash:     {}", self.payload_hash)?;
        writeln!(f, "Signature:        {}", self.signature)?;
        write!(f, "Authorization:    {}", self.authorization)
    }
}

/// Signs requests with SigV4. `Send + Sync`; share it through an `Arc`.
pub struct Signer {
    source: source::Source,
    /// Test-only clock skew: (amount, ahead of the real clock).
    skew: Option<(Duration, bool)>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("source", &self.source.kind())
            .field("clock_skew", &self.skew)
            .finish()
    }
}

impl Signer {
    /// Credentials from aws-config's default chain (environment, profile, SSO, web
    /// identity, container, IMDS), resolved on first use.
    pub async fn from_default_chain() -> Self {
        Signer {
            source: source::Source::default_chain().await,
            skew: None,
        }
    }

    pub fn from_credentials(creds: Credentials) -> Self {
        Signer {
            source: source::Source::Fixed(creds),
            skew: None,
        }
    }

    /// TESTS ONLY: sign as if the clock were `skew` ahead of (or behind) the real one,
    /// so a server's clock-skew answer can be exercised without touching the system clock.
    pub fn with_clock_skew(mut self, skew: Duration, ahead: bool) -> Self {
        self.skew = Some((skew, ahead));
        self
    }

    /// The time signatures are made at (the real clock, unless skewed for tests).
    pub fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        match self.skew {
            Some((d, true)) => now + d,
            Some((d, false)) => now.checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH),
            None => now,
        }
    }

    /// The credentials to sign with. `Ok(None)`: none configured anywhere. `Err`: a
    /// provider failed for real (broken profile, expired SSO session), for people.
    pub async fn credentials(&self) -> Result<Option<Credentials>, String> {
        let creds = self.source.credentials(SystemTime::now()).await;
        if let Ok(Some(c)) = &creds {
            secrets::register(c.secret_access_key());
            if let Some(token) = c.session_token() {
                secrets::register(token);
            }
        }
        creds
    }

    /// Sign `req` in place for `service` in `region`, now: adds `x-amz-date`,
    /// `authorization` and, for session credentials, `x-amz-security-token`. The `Host`
    /// header must be set as it goes on the wire (a non-default port included): that
    /// is the Host that gets signed. An empty `x-amz-content-sha256` header is filled
    /// with the body's SHA-256 and signed (the S3 convention).
    pub fn sign(
        &self,
        creds: &Credentials,
        req: &mut http::Request<Vec<u8>>,
        service: &str,
        region: &str,
    ) -> anyhow::Result<()> {
        self.sign_at(
            creds,
            req,
            service,
            region,
            &SigningOptions::for_service(service),
            self.now(),
        )
    }

    /// [`Signer::sign`] with explicit canonicalisation options and signing time.
    pub fn sign_at(
        &self,
        creds: &Credentials,
        req: &mut http::Request<Vec<u8>>,
        service: &str,
        region: &str,
        opts: &SigningOptions,
        time: SystemTime,
    ) -> anyhow::Result<()> {
        let prepared = Prepared::new(req)?;
        let identity: Identity = creds.clone().into();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = if opts.double_encode_path {
            PercentEncodingMode::Double
        } else {
            PercentEncodingMode::Single
        };
        settings.uri_path_normalization_mode = UriPathNormalizationMode::from(opts.normalize_path);
        settings.session_token_mode = if opts.sign_session_token {
            SessionTokenMode::Include
        } else {
            SessionTokenMode::Exclude
        };
        settings.payload_checksum_kind = if prepared.fill_content_sha256 {
            PayloadChecksumKind::XAmzSha256
        } else {
            PayloadChecksumKind::NoHeader
        };
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(time)
            .settings(settings)
            .build()
            .context("building SigV4 signing parameters")?
            .into();
        let body = match &prepared.precomputed_hash {
            Some(hash) => SignableBody::Precomputed(hash.clone()),
            None => SignableBody::Bytes(req.body()),
        };
        let signable = SignableRequest::new(
            req.method().as_str(),
            prepared.target.as_str(),
            prepared
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str())),
            body,
        )
        .with_context(|| {
            format!("signing a request for `{service}`: the request target is not signable")
        })?;
        let (instructions, _signature) = aws_sigv4::http_request::sign(signable, &params)
            .with_context(|| format!("signing a request for `{service}` in `{region}`"))?
            .into_parts();
        let headers = req.headers_mut();
        for name in SIGNATURE_HEADERS {
            headers.remove(*name);
        }
        if prepared.fill_content_sha256 {
            headers.remove(CONTENT_SHA256);
        }
        let (new_headers, _params) = instructions.into_parts();
        for header in new_headers {
            let mut value = HeaderValue::from_str(header.value()).with_context(|| {
                format!(
                    "the signed `{}` header is not a valid header value",
                    header.name()
                )
            })?;
            value.set_sensitive(header.sensitive());
            headers.insert(HeaderName::from_static(header.name()), value);
        }
        Ok(())
    }

    /// What a signature of `req` at `time` is made of (same rules as [`Signer::sign`]).
    pub fn explain(
        &self,
        creds: &Credentials,
        req: &http::Request<Vec<u8>>,
        service: &str,
        region: &str,
        time: SystemTime,
    ) -> anyhow::Result<Explanation> {
        self.explain_with(
            creds,
            req,
            service,
            region,
            time,
            &SigningOptions::for_service(service),
        )
    }

    /// [`Signer::explain`] with explicit canonicalisation options. Fails rather than
    /// show an explanation whose signature differs from what `aws-sigv4` signs.
    pub fn explain_with(
        &self,
        creds: &Credentials,
        req: &http::Request<Vec<u8>>,
        service: &str,
        region: &str,
        time: SystemTime,
        opts: &SigningOptions,
    ) -> anyhow::Result<Explanation> {
        let prepared = Prepared::new(req)?;
        let (date_time, date) = canonical::date_time(time);
        let payload_hash = match &prepared.precomputed_hash {
            Some(h) => h.clone(),
            None => canonical::sha256_hex(req.body()),
        };
        let (path, query) = prepared
            .target
            .split_once('?')
            .unwrap_or((prepared.target.as_str(), ""));
        let canonical = canonical::canonical_request(&canonical::Input {
            method: req.method().as_str(),
            path,
            query,
            headers: &prepared.headers,
            payload_hash: &payload_hash,
            date_time: &date_time,
            session_token: creds.session_token(),
            sign_session_token: opts.sign_session_token,
            add_content_sha256: prepared.fill_content_sha256,
            normalize_path: opts.normalize_path,
            double_encode_path: opts.double_encode_path,
        });
        let credential_scope = format!("{date}/{region}/{service}/aws4_request");
        let string_to_sign =
            canonical::string_to_sign(&date_time, &credential_scope, &canonical.text);
        let key = v4::generate_signing_key(creds.secret_access_key(), time, region, service);
        let signature = v4::calculate_signature(key, string_to_sign.as_bytes());

        let mut signed = req.clone();
        self.sign_at(creds, &mut signed, service, region, opts, time)?;
        let authorization = signed
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .context("aws-sigv4 produced no Authorization header")?
            .to_string();
        let wire_signature = authorization
            .rsplit("Signature=")
            .next()
            .unwrap_or_default();
        if wire_signature != signature {
            bail!(
                "netcheck's explanation of this signature disagrees with aws-sigv4 (explained {signature}, \
                 signed {wire_signature}); the request is signed correctly, but this explanation would be \
                 wrong: please report it with the request (not the credentials)"
            );
        }
        Ok(Explanation {
            canonical_request: canonical.redacted,
            string_to_sign,
            signed_headers: canonical.signed_headers,
            credential_scope,
            date_time,
            payload_hash,
            signature,
            authorization,
        })
    }
}

/// The region from aws-config's default chain (`AWS_REGION`, profile, IMDS), if any.
pub async fn default_region() -> Option<String> {
    aws_config::default_provider::region::DefaultRegionChain::builder()
        .build()
        .region()
        .await
        .map(|r| r.to_string())
}

/// The parts of a request that get signed, checked and cleaned of old signatures.
struct Prepared {
    /// Origin form: `/path?query`.
    target: String,
    /// Lower-case names, values as sent; without stale signature headers and without
    /// an empty `x-amz-content-sha256`.
    headers: Vec<(String, String)>,
    /// The request had an empty `x-amz-content-sha256`: fill it with the body hash.
    fill_content_sha256: bool,
    /// The request had a non-empty `x-amz-content-sha256` (e.g. `UNSIGNED-PAYLOAD`).
    precomputed_hash: Option<String>,
}

impl Prepared {
    fn new(req: &http::Request<Vec<u8>>) -> anyhow::Result<Prepared> {
        if !req.headers().contains_key(http::header::HOST) {
            bail!(
                "cannot sign a request without a Host header: set Host to the name the request is sent to \
                 (with the port when it is not the scheme's default) before signing"
            );
        }
        let mut headers = Vec::new();
        let mut fill_content_sha256 = false;
        let mut precomputed_hash = None;
        for (name, value) in req.headers() {
            let name = name.as_str();
            if SIGNATURE_HEADERS.contains(&name) {
                continue;
            }
            let value = value.to_str().with_context(|| {
                format!("cannot sign header `{name}`: its value is not visible ASCII")
            })?;
            if name == CONTENT_SHA256 {
                if value.is_empty() {
                    fill_content_sha256 = true;
                    continue;
                }
                precomputed_hash = Some(value.to_string());
            }
            headers.push((name.to_string(), value.to_string()));
        }
        let target = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        let target = if target.is_empty() {
            "/".to_string()
        } else {
            target.to_string()
        };
        Ok(Prepared {
            target,
            headers,
            fill_content_sha256,
            precomputed_hash,
        })
    }
}

#[cfg(test)]
mod tests;
