//! The loopback servers every netcheck test uses, written once, on tokio: a UDP DNS
//! server (chosen A/AAAA records, silent, or dropping AAAA), an HTTP/1.1 server (plain
//! or TLS) that plays a [`Script`] of [`Reply`]s — answer, hang, reset, close, raw
//! bytes — in order or the same one forever, and throw-away certificates (self-signed or
//! signed by a test CA). Everything binds 127.0.0.1; dropping a server closes its
//! listener and every connection it holds.
//!
//! Tests inside a runtime use these directly; [`crate::servers`] wraps them in blocking
//! handles (each owning a small runtime) for the CLI tests that run outside one.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Longest request head a server reads before dropping the connection as not HTTP.
const MAX_HEAD: usize = 64 * 1024;
/// Longest request body a server keeps.
const MAX_BODY: usize = 1024 * 1024;

/// Aborts the server task (and with it every connection task it owns) on drop.
struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

// ---------------------------------------------------------------- DNS

const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;
const RCODE_NXDOMAIN: u16 = 3;

/// Answers A/AAAA queries from a fixed table and counts the queries it was sent.
///
/// Records are (name, address) pairs; a name may appear more than once and its answers
/// keep the order given; names match case-insensitively, a trailing dot ignored. An
/// empty address marks a name that exists with no address (NOERROR, no answers);
/// unknown names get NXDOMAIN. Only what a stub resolver sends is understood: one
/// question, no compression in it; EDNS records in the query are ignored.
pub struct DnsServer {
    pub addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    _task: Task,
}

impl DnsServer {
    pub async fn start(records: &[(&str, &str)]) -> DnsServer {
        Self::serving(records, &[TYPE_A, TYPE_AAAA]).await
    }

    /// Answers only A queries; AAAA queries are read and never answered (a resolver or
    /// middlebox that drops them).
    pub async fn without_aaaa(records: &[(&str, &str)]) -> DnsServer {
        Self::serving(records, &[TYPE_A]).await
    }

    /// Reads every query and answers none.
    pub async fn silent() -> DnsServer {
        Self::serving(&[], &[]).await
    }

    /// Answers the query types in `answered`; other queries are counted and dropped.
    async fn serving(records: &[(&str, &str)], answered: &'static [u16]) -> DnsServer {
        let records = Records::parse(records);
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind UDP 127.0.0.1:0");
        let addr = socket.local_addr().expect("DNS socket address");
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let Some(question) = Question::read(&buf[..n]) else {
                    continue;
                };
                if answered.contains(&question.qtype) {
                    let _ = socket
                        .send_to(&records.reply(&buf[..n], &question), from)
                        .await;
                }
            }
        });
        DnsServer {
            addr,
            queries,
            _task: Task(task),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Queries received so far (A and AAAA count separately).
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

struct Records(Vec<(String, Option<IpAddr>)>);

impl Records {
    fn parse(records: &[(&str, &str)]) -> Records {
        Records(
            records
                .iter()
                .map(|(name, ip)| {
                    let ip = (!ip.is_empty()).then(|| {
                        ip.parse::<IpAddr>()
                            .unwrap_or_else(|e| panic!("test DNS record {name} -> {ip}: {e}"))
                    });
                    (name.trim_end_matches('.').to_ascii_lowercase(), ip)
                })
                .collect(),
        )
    }

    /// The reply to `query`, whose question is `question`.
    fn reply(&self, query: &[u8], question: &Question) -> Vec<u8> {
        let known: Vec<Option<IpAddr>> = self
            .0
            .iter()
            .filter(|(n, _)| *n == question.name)
            .map(|(_, ip)| *ip)
            .collect();
        let rdatas: Vec<Vec<u8>> = known
            .iter()
            .filter_map(|ip| match (ip, question.qtype) {
                (Some(IpAddr::V4(v4)), TYPE_A) => Some(v4.octets().to_vec()),
                (Some(IpAddr::V6(v6)), TYPE_AAAA) => Some(v6.octets().to_vec()),
                _ => None,
            })
            .collect();
        // Header: same id; QR, AA, the query's RD, RA; NXDOMAIN for unknown names.
        let rd = u16::from(query[2] & 0x01) << 8;
        let rcode = if known.is_empty() { RCODE_NXDOMAIN } else { 0 };
        let flags: u16 = 0x8000 | 0x0400 | rd | 0x0080 | rcode;
        let count = |n: usize| u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes();
        let mut reply = Vec::with_capacity(512);
        reply.extend_from_slice(&query[0..2]);
        reply.extend_from_slice(&flags.to_be_bytes());
        reply.extend_from_slice(&1u16.to_be_bytes());
        reply.extend_from_slice(&count(rdatas.len()));
        reply.extend_from_slice(&[0, 0, 0, 0]);
        reply.extend_from_slice(&query[12..question.end]);
        for rdata in rdatas {
            reply.extend_from_slice(&[0xC0, 0x0C]); // the name: a pointer to the question's
            reply.extend_from_slice(&question.qtype.to_be_bytes());
            reply.extend_from_slice(&CLASS_IN.to_be_bytes());
            reply.extend_from_slice(&60u32.to_be_bytes());
            reply.extend_from_slice(&count(rdata.len()));
            reply.extend_from_slice(&rdata);
        }
        reply
    }
}

/// The one question of a query.
struct Question {
    name: String,
    qtype: u16,
    /// Where the question ends in the query (after QTYPE and QCLASS).
    end: usize,
}

impl Question {
    /// `None` when `query` is not a one-question query we can read.
    fn read(query: &[u8]) -> Option<Question> {
        if query.len() < 12 || query[2] & 0x80 != 0 || query[4..6] != [0, 1] {
            return None;
        }
        let mut at = 12;
        let mut labels: Vec<String> = Vec::new();
        loop {
            let len = usize::from(*query.get(at)?);
            at += 1;
            if len == 0 {
                break;
            }
            if len > 63 {
                return None; // compression pointers never appear in a question we accept
            }
            labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_ascii_lowercase());
            at += len;
        }
        let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
        query.get(at + 2..at + 4)?;
        Some(Question {
            name: labels.join("."),
            qtype,
            end: at + 4,
        })
    }
}

// ---------------------------------------------------------------- certificates

/// Which certificate a loopback TLS server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// A leaf signed by its own key (trust it by trusting it).
    SelfSigned,
    /// A leaf signed by a fresh test CA.
    SignedByTestCa,
}

/// A throw-away certificate and its key.
pub struct TestCert {
    /// PEM of what a client trusts to accept this certificate: the test CA, or the
    /// self-signed leaf itself.
    pub pem: String,
    der: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TestCert {
    /// A self-signed certificate for `name`, `CN=netcheck test <name>`; `expired` makes
    /// it valid only during the year 2000.
    pub fn new(name: &str, expired: bool) -> TestCert {
        let mut params = CertificateParams::new(vec![name.to_string()]).expect("certificate name");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("netcheck test {name}"));
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        Self::self_signed(params)
    }

    fn self_signed(params: CertificateParams) -> TestCert {
        let key = KeyPair::generate().expect("generating a test key");
        let cert = params
            .self_signed(&key)
            .expect("self-signing the test certificate");
        TestCert {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: key.serialize_der(),
        }
    }

    /// A certificate for 127.0.0.1 and localhost, of `kind`.
    pub fn loopback(kind: CertKind) -> TestCert {
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let mut params = CertificateParams::new(names).expect("certificate names");
        match kind {
            CertKind::SelfSigned => {
                params
                    .distinguished_name
                    .push(DnType::CommonName, "netcheck self-signed test");
                Self::self_signed(params)
            }
            CertKind::SignedByTestCa => {
                let mut ca_params =
                    CertificateParams::new(Vec::<String>::new()).expect("CA params");
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
                let ca =
                    CertifiedIssuer::self_signed(ca_params, ca_key).expect("self-signing the CA");
                params
                    .distinguished_name
                    .push(DnType::CommonName, "netcheck CA-signed test");
                let key = KeyPair::generate().expect("generating a test key");
                let cert = params
                    .signed_by(&key, &ca)
                    .expect("signing the test certificate");
                TestCert {
                    pem: ca.pem(),
                    der: cert.der().clone(),
                    key: key.serialize_der(),
                }
            }
        }
    }

    fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("rustls protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.der.clone()], key)
            .expect("test certificate and key");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsAcceptor::from(Arc::new(config))
    }
}

// ---------------------------------------------------------------- HTTP

/// What a scripted server does with one request.
#[derive(Debug, Clone)]
pub struct Reply {
    action: Action,
}

#[derive(Debug, Clone)]
enum Action {
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        close: Close,
    },
    Hang,
    Reset,
    Raw(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Close {
    KeepAlive,
    /// Says `Connection: close`, then closes.
    Announced,
    /// Closes without saying so.
    Silent,
}

impl Reply {
    /// Answers `status` with these extra headers and `body` (no body to a HEAD request),
    /// keeping the connection open.
    pub fn new(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let headers = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        Reply {
            action: Action::Answer {
                status,
                headers,
                body: body.to_vec(),
                close: Close::KeepAlive,
            },
        }
    }

    /// Says `Connection: close` and closes after answering.
    pub fn close(mut self) -> Reply {
        if let Action::Answer { close, .. } = &mut self.action {
            *close = Close::Announced;
        }
        self
    }

    /// Closes after answering without saying so.
    pub fn silent_close(mut self) -> Reply {
        if let Action::Answer { close, .. } = &mut self.action {
            *close = Close::Silent;
        }
        self
    }

    /// Read the request, never answer.
    pub fn hang() -> Reply {
        Reply {
            action: Action::Hang,
        }
    }

    /// Read the request, then reset the connection.
    pub fn reset() -> Reply {
        Reply {
            action: Action::Reset,
        }
    }

    /// Read the request, write these bytes, close.
    pub fn raw(bytes: &[u8]) -> Reply {
        Reply {
            action: Action::Raw(bytes.to_vec()),
        }
    }
}

/// One request a server received.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request line, e.g. `GET /health HTTP/1.1`.
    pub line: String,
    pub method: String,
    pub target: String,
    /// Header names lower-cased, in wire order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

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
}

/// What an HTTP server answers, request by request, across connections.
pub struct Script {
    replies: Replies,
    record: bool,
}

enum Replies {
    /// In order; when they run out the connection is closed.
    Queue(VecDeque<Reply>),
    /// The same reply to every request.
    Always(Reply),
}

impl Script {
    /// These replies in order, one per request; the next request closes its connection.
    pub fn new(replies: Vec<Reply>) -> Script {
        Script {
            replies: Replies::Queue(replies.into()),
            record: true,
        }
    }

    /// `reply` to every request.
    pub fn always(reply: Reply) -> Script {
        Script {
            replies: Replies::Always(reply),
            record: true,
        }
    }

    /// Counts requests without keeping them (a benchmark serving millions).
    pub fn unrecorded(mut self) -> Script {
        self.record = false;
        self
    }
}

/// The script and what the server saw, shared by its connections.
struct State {
    replies: Mutex<Replies>,
    record: bool,
    seen: Mutex<Vec<Request>>,
    requests: AtomicUsize,
    accepted: AtomicUsize,
}

impl State {
    fn next_reply(&self) -> Option<Reply> {
        match &mut *self.replies.lock().unwrap_or_else(|p| p.into_inner()) {
            Replies::Queue(queue) => queue.pop_front(),
            Replies::Always(reply) => Some(reply.clone()),
        }
    }
}

/// An HTTP/1.1 server on 127.0.0.1, plain or TLS, playing a [`Script`].
pub struct HttpServer {
    pub addr: SocketAddr,
    state: Arc<State>,
    _task: Task,
}

impl HttpServer {
    /// Plain HTTP playing `replies` in order.
    pub async fn start(replies: Vec<Reply>) -> HttpServer {
        Self::serve(Script::new(replies), None)
            .await
            .expect("bind 127.0.0.1:0")
    }

    /// Binds 127.0.0.1 on a free port and plays `script`, behind TLS with `cert` if given.
    pub async fn serve(script: Script, cert: Option<&TestCert>) -> std::io::Result<HttpServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            replies: Mutex::new(script.replies),
            record: script.record,
            seen: Mutex::new(Vec::new()),
            requests: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
        });
        let acceptor = cert.map(TestCert::acceptor);
        let task = tokio::spawn(accept_loop(listener, acceptor, state.clone()));
        Ok(HttpServer {
            addr,
            state,
            _task: Task(task),
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Requests read so far (counted before they are answered).
    pub fn served(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The requests read so far (none kept for an [`Script::unrecorded`] script).
    pub fn requests(&self) -> Vec<Request> {
        self.state
            .seen
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }
}

/// [`HttpServer`] behind a TLS handshake with a [`TestCert`].
pub struct TlsServer {
    pub addr: SocketAddr,
    http: HttpServer,
}

impl TlsServer {
    /// Handshakes, then closes each connection at its first request (or when the
    /// client goes away): for handshake tests.
    pub async fn start(cert: &TestCert) -> TlsServer {
        Self::start_http(cert, Vec::new()).await
    }

    /// TLS with `cert` in front of `replies` played in order.
    pub async fn start_http(cert: &TestCert, replies: Vec<Reply>) -> TlsServer {
        let http = HttpServer::serve(Script::new(replies), Some(cert))
            .await
            .expect("bind 127.0.0.1:0");
        TlsServer {
            addr: http.addr,
            http,
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.http.accepted()
    }
}

/// Accepts until aborted; the connections live in a `JoinSet`, so aborting the loop
/// closes them too.
async fn accept_loop(listener: TcpListener, tls: Option<TlsAcceptor>, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    state.accepted.fetch_add(1, Ordering::SeqCst);
                    let (tls, state) = (tls.clone(), state.clone());
                    connections.spawn(async move {
                        match tls {
                            None => serve(stream, &state).await,
                            Some(tls) => {
                                if let Ok(stream) = tls.accept(stream).await {
                                    serve(stream, &state).await;
                                }
                            }
                        }
                    });
                }
                // Out of descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

trait Resettable {
    fn zero_linger(&self);
}

impl Resettable for TcpStream {
    fn zero_linger(&self) {
        let _ = self.set_zero_linger();
    }
}

impl Resettable for tokio_rustls::server::TlsStream<TcpStream> {
    fn zero_linger(&self) {
        let _ = self.get_ref().0.set_zero_linger();
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin + Resettable>(mut stream: S, state: &State) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        // No request (the client went away, or sent no HTTP): close.
        let Some(request) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        let head = request.method == "HEAD";
        state.requests.fetch_add(1, Ordering::SeqCst);
        if state.record
            && let Ok(mut seen) = state.seen.lock()
        {
            seen.push(request);
        }
        let Some(reply) = state.next_reply() else {
            return;
        };
        match reply.action {
            Action::Hang => std::future::pending::<()>().await,
            Action::Reset => {
                stream.zero_linger();
                return;
            }
            Action::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
            Action::Answer {
                status,
                headers,
                body,
                close,
            } => {
                let mut out = format!(
                    "HTTP/1.1 {status} {}\r\ncontent-length: {}\r\n",
                    reason(status),
                    body.len()
                );
                for (n, v) in headers {
                    out.push_str(&format!("{n}: {v}\r\n"));
                }
                if close == Close::Announced {
                    out.push_str("connection: close\r\n");
                }
                out.push_str("\r\n");
                let mut out = out.into_bytes();
                if !head {
                    out.extend_from_slice(&body);
                }
                if stream.write_all(&out).await.is_err() {
                    return;
                }
                let _ = stream.flush().await;
                if close != Close::KeepAlive {
                    let _ = stream.shutdown().await;
                    return;
                }
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Reads one request (head + `Content-Length` body) from `stream`; `buf` carries bytes
/// read past it (a pipelined next request) between calls.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>) -> Option<Request> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next()?.to_string();
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return None;
    }
    buf.drain(..head_end + 4);
    while buf.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buf.drain(..length).collect();
    Some(Request {
        line,
        method,
        target,
        headers,
        body,
    })
}
