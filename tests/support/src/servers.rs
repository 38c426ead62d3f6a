//! Blocking handles on the [`crate::scripted`] loopback servers, for the CLI tests that
//! run outside a tokio runtime: plain HTTP with a fixed answer (recording what it was
//! sent; a redirect is such an answer), HTTPS with a self-signed or test-CA-signed
//! certificate, a TCP listener that never answers, a UDP DNS server, and a closed port.
//! Each handle owns a one-worker runtime that serves until the handle is dropped.

use std::future::Future;
use std::path::{Path, PathBuf};

use crate::scripted::{self, Reply, Script, TestCert};
pub use crate::scripted::{CertKind, Request};

/// A port on 127.0.0.1 with nothing listening (bound, read, released).
pub fn closed_port() -> u16 {
    super::process::free_port()
}

/// A runtime serving one scripted server; dropping it stops the server.
struct Background<S> {
    server: Option<S>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl<S> Background<S> {
    fn start(start: impl Future<Output = S>) -> Background<S> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("netcheck-test-server")
            .enable_all()
            .build()
            .expect("a runtime for a loopback test server");
        let server = runtime.block_on(start);
        Background {
            server: Some(server),
            runtime: Some(runtime),
        }
    }

    fn server(&self) -> &S {
        self.server.as_ref().expect("the server runs until drop")
    }
}

impl<S> Drop for Background<S> {
    fn drop(&mut self) {
        // The server's task is aborted, then the runtime goes without waiting (dropping
        // a runtime blocks, which a test inside another runtime cannot do).
        drop(self.server.take());
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn answering(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut all = vec![("content-type", "text/plain"), ("server", "netcheck-test")];
    all.extend_from_slice(headers);
    Reply::new(status, &all, body.as_bytes()).close()
}

async fn bound(script: Script, cert: Option<&TestCert>) -> scripted::HttpServer {
    scripted::HttpServer::serve(script, cert)
        .await
        .expect("bind 127.0.0.1:0")
}

/// Plain HTTP on 127.0.0.1 answering every request with one status and body, then
/// closing the connection.
pub struct HttpServer(Background<scripted::HttpServer>);

impl HttpServer {
    pub fn start(status: u16, body: &str) -> HttpServer {
        HttpServer::start_with_headers(status, &[], body)
    }

    /// Answers every request with `status` and `Location: location` (e.g. 302).
    pub fn redirect(status: u16, location: &str) -> HttpServer {
        HttpServer::start_with_headers(status, &[("Location", location)], "")
    }

    /// Answers every request with `status`, these extra headers and `body`.
    pub fn start_with_headers(status: u16, headers: &[(&str, &str)], body: &str) -> HttpServer {
        let script = Script::always(answering(status, headers, body));
        HttpServer(Background::start(bound(script, None)))
    }

    pub fn port(&self) -> u16 {
        self.0.server().port()
    }

    /// `http://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port())
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.0.server().requests()
    }
}

/// HTTPS on 127.0.0.1 (a certificate for 127.0.0.1 and localhost) answering every
/// request with one status and body.
pub struct HttpsServer {
    ca_pem: String,
    server: Background<scripted::HttpServer>,
}

impl HttpsServer {
    pub fn start(kind: CertKind, status: u16, body: &str) -> HttpsServer {
        let cert = TestCert::loopback(kind);
        let script = Script::always(answering(status, &[], body));
        HttpsServer {
            server: Background::start(bound(script, Some(&cert))),
            ca_pem: cert.pem,
        }
    }

    pub fn port(&self) -> u16 {
        self.server.server().port()
    }

    /// `https://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.port())
    }

    /// PEM of the certificate to trust: the test CA, or the self-signed leaf itself.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Writes [`Self::ca_pem`] to `dir/name` and returns the path.
    pub fn write_ca(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.ca_pem)
            .unwrap_or_else(|e| panic!("writing CA file {}: {e}", path.display()));
        path
    }

    /// Requests that completed a handshake and were read.
    pub fn requests(&self) -> Vec<Request> {
        self.server.server().requests()
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections, reads, and never sends a byte.
pub struct SilentServer(Background<scripted::HttpServer>);

impl SilentServer {
    pub fn start() -> SilentServer {
        SilentServer(Background::start(bound(
            Script::always(Reply::hang()).unrecorded(),
            None,
        )))
    }

    pub fn port(&self) -> u16 {
        self.0.server().port()
    }

    /// Connections accepted so far (and held open).
    pub fn connections(&self) -> usize {
        self.0.server().accepted()
    }
}

/// A UDP DNS server on 127.0.0.1 answering chosen names with chosen A/AAAA records and
/// NXDOMAIN for anything else (the rules: [`scripted::DnsServer`]). Point netcheck at it
/// with `nameservers = ["127.0.0.1:PORT"]`.
///
/// ```ignore
/// let dns = DnsServer::start(&[("imds.netcheck.test", "169.254.169.254")]);
/// let config = format!("nameservers = [\"{}\"]\n...", dns.address());
/// ```
pub struct DnsServer(Background<scripted::DnsServer>);

impl DnsServer {
    pub fn start(records: &[(&str, &str)]) -> DnsServer {
        DnsServer(Background::start(scripted::DnsServer::start(records)))
    }

    pub fn port(&self) -> u16 {
        self.0.server().port()
    }

    /// `127.0.0.1:PORT`, as a `nameservers` entry.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }

    /// Queries received so far (A and AAAA count separately).
    pub fn queries(&self) -> usize {
        self.0.server().queries()
    }
}
