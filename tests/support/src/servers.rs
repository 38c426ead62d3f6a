//! Loopback servers for end-to-end tests, each on its own 127.0.0.1 port and stopped
//! on drop: plain HTTP with a fixed answer (recording what it was sent; a redirect is
//! such an answer), HTTPS with a self-signed or test-CA-signed certificate, a TCP listener that never answers, and a
//! closed port.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A port on 127.0.0.1 with nothing listening (bound, read, released).
pub fn closed_port() -> u16 {
    super::process::free_port()
}

/// One request a server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// Everything the request carried on the wire, as one line of text (to look for a
    /// secret in it): method, target, every header, the body.
    pub fn wire(&self) -> String {
        format!(
            "{} {} {:?} {}",
            self.method,
            self.target,
            self.headers,
            String::from_utf8_lossy(&self.body)
        )
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The fixed answer a server gives to every request.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    /// Extra response headers (e.g. `Location`).
    headers: Vec<(String, String)>,
    body: String,
}

/// An accept loop on a thread; `Drop` stops it and joins the thread.
struct Acceptor {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    fn start(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> Acceptor {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let handle = Arc::new(handle);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let handle = handle.clone();
                std::thread::spawn(move || handle(stream));
            }
        });
        Acceptor {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the loop sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one HTTP/1.1 request (head + Content-Length body) from `stream`.
fn read_request(stream: &mut impl Read) -> Option<Request> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 || raw.len() > 64 * 1024 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split_whitespace();
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = raw[head_end + 4..].to_vec();
    while body.len() < length.min(1024 * 1024) {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn respond(stream: &mut impl Write, answer: &Answer) {
    let reason = match answer.status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let extra: String = answer
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let response = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\nServer: netcheck-test\r\n{extra}\r\n{}",
        answer.status,
        answer.body.len(),
        answer.body
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

fn serve_http(stream: &mut (impl Read + Write), answer: &Answer, seen: &Mutex<Vec<Request>>) {
    if let Some(request) = read_request(stream) {
        if let Ok(mut seen) = seen.lock() {
            seen.push(request);
        }
        respond(stream, answer);
    }
}

/// Plain HTTP on 127.0.0.1 answering every request with one status and body.
pub struct HttpServer {
    seen: Arc<Mutex<Vec<Request>>>,
    acceptor: Acceptor,
}

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
        let answer = Answer {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let acceptor = Acceptor::start(move |mut stream| {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            serve_http(&mut stream, &answer, &log);
            let _ = stream.shutdown(Shutdown::Both);
        });
        HttpServer { seen, acceptor }
    }

    pub fn port(&self) -> u16 {
        self.acceptor.port
    }

    /// `http://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port())
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Which certificate an [`HttpsServer`] presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// A leaf for 127.0.0.1/localhost signed by its own key (trust it by trusting it).
    SelfSigned,
    /// A leaf for 127.0.0.1/localhost signed by a fresh test CA.
    SignedByTestCa,
}

/// HTTPS on 127.0.0.1 answering every request with one status and body.
pub struct HttpsServer {
    ca_pem: String,
    seen: Arc<Mutex<Vec<Request>>>,
    acceptor: Acceptor,
}

impl HttpsServer {
    pub fn start(kind: CertKind, status: u16, body: &str) -> HttpsServer {
        let (leaf, key, ca_pem) = certificate(kind);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("rustls protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf], key)
            .expect("test certificate and key");
        let config = Arc::new(config);
        let answer = Answer {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let acceptor = Acceptor::start(move |stream| {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(conn, stream);
            serve_http(&mut tls, &answer, &log);
            tls.conn.send_close_notify();
            let _ = tls.flush();
            let _ = tls.sock.shutdown(Shutdown::Both);
        });
        HttpsServer {
            ca_pem,
            seen,
            acceptor,
        }
    }

    pub fn port(&self) -> u16 {
        self.acceptor.port
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
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn certificate(kind: CertKind) -> (CertificateDer<'static>, PrivateKeyDer<'static>, String) {
    let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
    let leaf_key = KeyPair::generate().expect("generating a test key");
    let mut leaf_params = CertificateParams::new(names).expect("certificate names");
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    match kind {
        CertKind::SelfSigned => {
            leaf_params
                .distinguished_name
                .push(DnType::CommonName, "netcheck self-signed test");
            let leaf = leaf_params
                .self_signed(&leaf_key)
                .expect("self-signing the test certificate");
            let pem = leaf.pem();
            (leaf.der().clone(), key_der, pem)
        }
        CertKind::SignedByTestCa => {
            let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
            ca_params
                .distinguished_name
                .push(DnType::CommonName, "netcheck test CA");
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            ca_params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let ca_key = KeyPair::generate().expect("generating the test CA key");
            let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("self-signing the CA");
            leaf_params
                .distinguished_name
                .push(DnType::CommonName, "netcheck CA-signed test");
            let leaf = leaf_params
                .signed_by(&leaf_key, &ca)
                .expect("signing the test certificate");
            (leaf.der().clone(), key_der, ca.pem())
        }
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections and never sends a byte.
pub struct SilentServer {
    held: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Acceptor,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let held = Arc::new(Mutex::new(Vec::new()));
        let keep = held.clone();
        let acceptor = Acceptor::start(move |stream| {
            if let Ok(mut keep) = keep.lock() {
                keep.push(stream);
            }
        });
        SilentServer { held, acceptor }
    }

    pub fn port(&self) -> u16 {
        self.acceptor.port
    }

    /// Connections accepted so far (and held open).
    pub fn connections(&self) -> usize {
        self.held.lock().map(|h| h.len()).unwrap_or(0)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        if let Ok(mut held) = self.held.lock() {
            for stream in held.drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }
}
