//! TLS phase: handshake with rustls, record the peer certificate, classify failures.
//!
//! Trust: the system roots (rustls-native-certs, loaded once on first use; webpki-roots
//! when the system has none) plus a check's `ca_pem`. `verify = false` accepts any
//! certificate. Every handshake wraps the verifier so the peer certificate is captured
//! even when verification fails: an expired or intercepted certificate is reported with
//! its subject, issuer and expiry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netcheck_runner_api::{TlsOptions, TlsPhase};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{NetFailure, classify, millis};

type Verifier = Arc<dyn ServerCertVerifier>;

pub(super) struct Tls {
    provider: Arc<CryptoProvider>,
    roots: OnceLock<Arc<RootCertStore>>,
    /// Verifiers by `ca_pem` (`None` = system roots only).
    verifiers: Mutex<HashMap<Option<String>, Verifier>>,
}

impl Tls {
    pub(super) fn new() -> Self {
        Tls {
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
            roots: OnceLock::new(),
            verifiers: Mutex::new(HashMap::new()),
        }
    }

    pub(super) async fn handshake(
        &self,
        tcp: TcpStream,
        server_name: &str,
        opts: &TlsOptions,
        timeout: Duration,
    ) -> (TlsPhase, Result<TlsStream<TcpStream>, NetFailure>) {
        let started = Instant::now();
        let mut phase = TlsPhase::default();
        let fail = |mut phase: TlsPhase, failure: NetFailure| {
            phase.ms = millis(started.elapsed());
            phase.error = Some(failure.to_string());
            (phase, Err(failure))
        };
        let bare = server_name.trim_start_matches('[').trim_end_matches(']');
        let name = match ServerName::try_from(bare.to_string()) {
            Ok(n) => n,
            Err(e) => {
                let detail = format!("`{server_name}` is not a valid TLS server name: {e}");
                return fail(
                    phase,
                    NetFailure::TlsFailed {
                        detail,
                        cert_problem: None,
                    },
                );
            }
        };
        let inner = match self.verifier(opts) {
            Ok(v) => v,
            Err(detail) => {
                return fail(
                    phase,
                    NetFailure::TlsFailed {
                        detail,
                        cert_problem: None,
                    },
                );
            }
        };
        let seen = Arc::new(Mutex::new(None));
        let recorder = Recorder {
            inner,
            seen: seen.clone(),
        };
        let config = match self.client_config(recorder) {
            Ok(c) => c,
            Err(detail) => {
                return fail(
                    phase,
                    NetFailure::TlsFailed {
                        detail,
                        cert_problem: None,
                    },
                );
            }
        };
        let result =
            tokio::time::timeout(timeout, TlsConnector::from(config).connect(name, tcp)).await;
        if let Some(der) = seen.lock().ok().and_then(|mut s| s.take()) {
            describe_cert(&der, &mut phase);
        }
        match result {
            Ok(Ok(stream)) => {
                phase.ms = millis(started.elapsed());
                phase.ok = true;
                phase.version = stream.get_ref().1.protocol_version().map(version_name);
                (phase, Ok(stream))
            }
            Ok(Err(e)) => {
                let failure = classify::tls_failure(&e);
                fail(phase, failure)
            }
            Err(_) => {
                let detail = format!("no TLS answer within {} ms", timeout.as_millis());
                fail(
                    phase,
                    NetFailure::TlsFailed {
                        detail,
                        cert_problem: None,
                    },
                )
            }
        }
    }

    fn client_config(&self, verifier: Recorder) -> Result<Arc<ClientConfig>, String> {
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("setting up TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    fn verifier(&self, opts: &TlsOptions) -> Result<Verifier, String> {
        if !opts.verify {
            return Ok(Arc::new(AcceptAny {
                provider: self.provider.clone(),
            }));
        }
        let key = opts.ca_pem.clone();
        let mut cache = self
            .verifiers
            .lock()
            .map_err(|_| "the TLS verifier cache is poisoned".to_string())?;
        if let Some(v) = cache.get(&key) {
            return Ok(v.clone());
        }
        let mut roots = (**self.roots.get_or_init(system_roots)).clone();
        if let Some(pem) = &opts.ca_pem {
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert =
                    cert.map_err(|e| format!("the check's `ca_pem` is not valid PEM: {e}"))?;
                roots.add(cert).map_err(|e| {
                    format!("a certificate in the check's `ca_pem` cannot be a trust anchor: {e}")
                })?;
                added += 1;
            }
            if added == 0 {
                return Err(
                    "the check's `ca_pem` holds no `-----BEGIN CERTIFICATE-----` block".to_string(),
                );
            }
        }
        let verifier: Verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| format!("building the certificate verifier: {e}"))?;
        cache.insert(key, verifier.clone());
        Ok(verifier)
    }
}

/// The system's trust roots; webpki-roots when the system has none we can parse.
fn system_roots() -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::debug!(error = %e, "reading a system CA certificate");
    }
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(added, ignored, "system CA certificates");
    if roots.is_empty() {
        tracing::debug!("no usable system CA certificates; using the bundled webpki roots");
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Arc::new(roots)
}

fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_string(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_string(),
        other => format!("{other:?}"),
    }
}

/// Fill subject, issuer and expiry from a DER certificate (left empty if unparsable).
fn describe_cert(der: &[u8], phase: &mut TlsPhase) {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return;
    };
    phase.subject = Some(cert.subject().to_string());
    phase.issuer = Some(cert.issuer().to_string());
    let not_after = cert.validity().not_after.timestamp();
    phase.not_after = u64::try_from(not_after).ok().map(|secs| {
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
    });
}

/// Wraps the real verifier to keep the end-entity certificate of this handshake.
#[derive(Debug)]
struct Recorder {
    inner: Verifier,
    seen: Arc<Mutex<Option<CertificateDer<'static>>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.clone().into_owned());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `verify = false`: any certificate for any name, but the handshake signatures are
/// still checked against the presented certificate.
#[derive(Debug)]
struct AcceptAny {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Seconds until `not_after` (negative when expired); for callers that warn on expiry.
pub fn cert_seconds_left(phase: &TlsPhase, now: SystemTime) -> Option<i64> {
    let not_after = humantime::parse_rfc3339(phase.not_after.as_deref()?).ok()?;
    Some(match not_after.duration_since(now) {
        Ok(left) => i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
        Err(past) => -i64::try_from(past.duration().as_secs()).unwrap_or(i64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::CertProblem;
    use netcheck_test_support::scripted::{TestCert, TlsServer};

    async fn handshake(
        server: &TlsServer,
        name: &str,
        opts: &TlsOptions,
    ) -> (TlsPhase, Result<TlsStream<TcpStream>, NetFailure>) {
        let tls = Tls::new();
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        tls.handshake(tcp, name, opts, Duration::from_secs(5)).await
    }

    fn trusting(cert: &TestCert) -> TlsOptions {
        TlsOptions {
            verify: true,
            ca_pem: Some(cert.pem.clone()),
        }
    }

    #[tokio::test]
    async fn self_signed_is_an_unknown_issuer_but_still_described() {
        let cert = TestCert::new("localhost", false);
        let server = TlsServer::start(&cert).await;
        let (phase, result) = handshake(&server, "localhost", &TlsOptions::default()).await;
        let Err(NetFailure::TlsFailed {
            cert_problem,
            detail,
        }) = result
        else {
            panic!("must fail: {phase:?}")
        };
        assert_eq!(cert_problem, Some(CertProblem::UnknownIssuer), "{detail}");
        assert!(!phase.ok);
        assert_eq!(phase.subject.as_deref(), Some("CN=netcheck test localhost"));
        assert_eq!(phase.issuer, phase.subject, "self-signed");
        assert!(phase.not_after.is_some());
        assert!(phase.error.unwrap().contains("unknown CA"));
    }

    #[tokio::test]
    async fn trusted_through_ca_pem() {
        let cert = TestCert::new("localhost", false);
        let server = TlsServer::start(&cert).await;
        let (phase, result) = handshake(&server, "localhost", &trusting(&cert)).await;
        let stream = result.expect("trusted by ca_pem");
        assert!(phase.ok);
        assert_eq!(phase.version.as_deref(), Some("TLS 1.3"));
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(phase.subject.as_deref(), Some("CN=netcheck test localhost"));
        let left = cert_seconds_left(&phase, SystemTime::now()).unwrap();
        assert!(left > 86_400, "{left}");
    }

    #[tokio::test]
    async fn name_mismatch() {
        let cert = TestCert::new("localhost", false);
        let server = TlsServer::start(&cert).await;
        let (phase, result) = handshake(&server, "other.netcheck.test", &trusting(&cert)).await;
        assert!(
            matches!(
                result,
                Err(NetFailure::TlsFailed {
                    cert_problem: Some(CertProblem::NameMismatch),
                    ..
                })
            ),
            "{phase:?}"
        );
        assert!(phase.error.unwrap().contains("other.netcheck.test"));
    }

    #[tokio::test]
    async fn expired() {
        let cert = TestCert::new("localhost", true);
        let server = TlsServer::start(&cert).await;
        let (phase, result) = handshake(&server, "localhost", &trusting(&cert)).await;
        assert!(
            matches!(
                result,
                Err(NetFailure::TlsFailed {
                    cert_problem: Some(CertProblem::Expired),
                    ..
                })
            ),
            "{phase:?}"
        );
        assert_eq!(phase.not_after.as_deref(), Some("2001-01-01T00:00:00Z"));
        assert!(cert_seconds_left(&phase, SystemTime::now()).unwrap() < 0);
    }

    #[tokio::test]
    async fn verify_false_accepts_anything_and_records_it() {
        let cert = TestCert::new("localhost", true);
        let server = TlsServer::start(&cert).await;
        let opts = TlsOptions {
            verify: false,
            ca_pem: None,
        };
        let (phase, result) = handshake(&server, "127.0.0.1", &opts).await;
        assert!(result.is_ok(), "{phase:?}");
        assert!(phase.ok);
        assert_eq!(phase.not_after.as_deref(), Some("2001-01-01T00:00:00Z"));
    }

    #[tokio::test]
    async fn bad_ca_pem_is_explained() {
        let cert = TestCert::new("localhost", false);
        let server = TlsServer::start(&cert).await;
        let opts = TlsOptions {
            verify: true,
            ca_pem: Some("not a certificate".into()),
        };
        let (_, result) = handshake(&server, "localhost", &opts).await;
        let Err(NetFailure::TlsFailed {
            detail,
            cert_problem: None,
        }) = result
        else {
            panic!("must fail")
        };
        assert!(detail.contains("ca_pem"), "{detail}");
    }

    #[tokio::test]
    async fn plain_tcp_server_is_not_tls() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            if let Ok((mut s, _)) = l.accept().await {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        let tls = Tls::new();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (phase, result) = tls
            .handshake(
                tcp,
                "localhost",
                &TlsOptions::default(),
                Duration::from_secs(5),
            )
            .await;
        assert!(
            matches!(
                result,
                Err(NetFailure::TlsFailed {
                    cert_problem: None,
                    ..
                })
            ),
            "{phase:?}"
        );
        assert!(phase.subject.is_none());
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let tls = Tls::new();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (phase, result) = tls
            .handshake(
                tcp,
                "localhost",
                &TlsOptions::default(),
                Duration::from_millis(200),
            )
            .await;
        let Err(NetFailure::TlsFailed { detail, .. }) = result else {
            panic!("must fail: {phase:?}")
        };
        assert!(detail.contains("no TLS answer"), "{detail}");
        drop(l);
    }
}
