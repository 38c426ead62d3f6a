//! Scripted async loopback servers (tokio), for tests that run inside a runtime and
//! need a server to misbehave on cue: a UDP DNS server (silent, without AAAA), an
//! HTTP/1.1 server (plain or TLS) that plays a list of [`Reply`]s — hang, reset, close,
//! raw bytes — and throw-away certificates. Everything binds 127.0.0.1. The probe's unit
//! tests use these; [`crate::servers`] and [`crate::dns`] are the blocking ones the CLI
//! tests start outside any runtime.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// Aborts the server task when the test drops the server.
struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

// ---------------------------------------------------------------- DNS

/// Answers A/AAAA queries from a fixed table; an empty IP marks a name that exists
/// with no address (NOERROR, no answers); unknown names get NXDOMAIN.
pub struct DnsServer {
    pub addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    _task: Task,
}

impl DnsServer {
    pub async fn start(records: &[(&str, &str)]) -> DnsServer {
        Self::serving(records, &[1, 28]).await
    }

    /// Answers only A queries; AAAA queries are read and never answered (a resolver or
    /// middlebox that drops them).
    pub async fn without_aaaa(records: &[(&str, &str)]) -> DnsServer {
        Self::serving(records, &[1]).await
    }

    /// Reads every query and answers none.
    pub async fn silent() -> DnsServer {
        Self::serving(&[], &[]).await
    }

    /// Answers the query types in `answered`; other queries are counted and dropped.
    async fn serving(records: &[(&str, &str)], answered: &'static [u16]) -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let records: Vec<(String, Option<IpAddr>)> = records
            .iter()
            .map(|(n, ip)| (n.to_ascii_lowercase(), ip.parse().ok()))
            .collect();
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                counter.fetch_add(1, Ordering::SeqCst);
                if !query_type(&buf[..n]).is_some_and(|t| answered.contains(&t)) {
                    continue;
                }
                if let Some(reply) = dns_reply(&buf[..n], &records) {
                    let _ = socket.send_to(&reply, from).await;
                }
            }
        });
        DnsServer {
            addr,
            queries,
            _task: Task(task),
        }
    }

    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

/// QTYPE of a one-question query.
fn query_type(query: &[u8]) -> Option<u16> {
    let mut pos = 12;
    loop {
        let len = usize::from(*query.get(pos)?);
        pos += 1 + len;
        if len == 0 {
            break;
        }
    }
    Some(u16::from_be_bytes([*query.get(pos)?, *query.get(pos + 1)?]))
}

fn dns_reply(query: &[u8], records: &[(String, Option<IpAddr>)]) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    // Question: labels, then QTYPE and QCLASS.
    let mut pos = 12;
    let mut labels: Vec<String> = Vec::new();
    loop {
        let len = usize::from(*query.get(pos)?);
        pos += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(pos..pos + len)?).to_ascii_lowercase());
        pos += len;
    }
    let qtype = u16::from_be_bytes([*query.get(pos)?, *query.get(pos + 1)?]);
    let question_end = pos + 4;
    let name = labels.join(".");
    let known: Vec<&Option<IpAddr>> = records
        .iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, ip)| ip)
        .collect();
    let answers: Vec<IpAddr> = known
        .iter()
        .filter_map(|ip| **ip)
        .filter(|ip| matches!((qtype, ip), (1, IpAddr::V4(_)) | (28, IpAddr::V6(_))))
        .collect();
    let rcode: u8 = if known.is_empty() { 3 } else { 0 };

    let mut out = Vec::new();
    out.extend_from_slice(&query[0..2]); // id
    out.push(0x84 | (query[2] & 0x01)); // QR, AA, RD copied
    out.push(0x80 | rcode); // RA, rcode
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&u16::try_from(answers.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(query.get(12..question_end)?);
    for ip in answers {
        out.extend_from_slice(&[0xc0, 0x0c]); // name: pointer to the question
        let rdata = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        out.extend_from_slice(&qtype.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes()); // IN
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&u16::try_from(rdata.len()).ok()?.to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    Some(out)
}

// ---------------------------------------------------------------- certificates

pub struct TestCert {
    pub pem: String,
    der: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TestCert {
    /// A self-signed certificate for `name`, `CN=netcheck test <name>`; `expired` makes
    /// it valid only during the year 2000.
    pub fn new(name: &str, expired: bool) -> TestCert {
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("netcheck test {name}"));
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCert {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: key.serialize_der(),
        }
    }

    fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.der.clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsAcceptor::from(Arc::new(config))
    }
}

// ---------------------------------------------------------------- HTTP

/// What the scripted server does with the next request.
#[derive(Clone)]
pub struct Reply {
    action: Action,
}

#[derive(Clone)]
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

#[derive(Clone, Copy, PartialEq)]
enum Close {
    KeepAlive,
    /// Says `Connection: close`, then closes.
    Announced,
    /// Closes without saying so.
    Silent,
}

impl Reply {
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

    pub fn close(mut self) -> Reply {
        if let Action::Answer { close, .. } = &mut self.action {
            *close = Close::Announced;
        }
        self
    }

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

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub line: String,
    /// Names lower-cased, in wire order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct Script {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    accepted: Arc<AtomicUsize>,
}

impl Script {
    fn new(replies: Vec<Reply>) -> Script {
        Script {
            replies: Arc::new(Mutex::new(replies.into())),
            ..Default::default()
        }
    }
}

/// Serves the scripted replies in order, across connections.
pub struct HttpServer {
    pub addr: SocketAddr,
    script: Script,
    _task: Task,
}

impl HttpServer {
    pub async fn start(replies: Vec<Reply>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let script = Script::new(replies);
        let s = script.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                s.accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, s.clone()));
            }
        });
        HttpServer {
            addr,
            script,
            _task: Task(task),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn accepted(&self) -> usize {
        self.script.accepted.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<SeenRequest> {
        self.script.seen.lock().unwrap().clone()
    }
}

/// TLS in front of nothing (handshake tests) or in front of scripted HTTP.
pub struct TlsServer {
    pub addr: SocketAddr,
    script: Script,
    _task: Task,
}

impl TlsServer {
    /// Handshakes, then holds the connection until the client goes away.
    pub async fn start(cert: &TestCert) -> TlsServer {
        TlsServer::start_http(cert, Vec::new()).await
    }

    pub async fn start_http(cert: &TestCert, replies: Vec<Reply>) -> TlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = cert.acceptor();
        let script = Script::new(replies);
        let s = script.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                s.accepted.fetch_add(1, Ordering::SeqCst);
                let (acceptor, s) = (acceptor.clone(), s.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        serve(tls, s).await;
                    }
                });
            }
        });
        TlsServer {
            addr,
            script,
            _task: Task(task),
        }
    }

    pub fn accepted(&self) -> usize {
        self.script.accepted.load(Ordering::SeqCst)
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

async fn serve<S: AsyncRead + AsyncWrite + Unpin + Resettable>(mut stream: S, script: Script) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buf).await else {
            // Client went away (or no request): wait for EOF so TLS-only tests can finish.
            return;
        };
        script.seen.lock().unwrap().push(request);
        let Some(reply) = script.replies.lock().unwrap().pop_front() else {
            return;
        };
        match reply.action {
            Action::Hang => {
                std::future::pending::<()>().await;
            }
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
                let mut head = format!(
                    "HTTP/1.1 {status} Test\r\ncontent-length: {}\r\n",
                    body.len()
                );
                for (n, v) in headers {
                    head.push_str(&format!("{n}: {v}\r\n"));
                }
                if close == Close::Announced {
                    head.push_str("connection: close\r\n");
                }
                head.push_str("\r\n");
                let mut out = head.into_bytes();
                out.extend_from_slice(&body);
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

async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> Option<SeenRequest> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    buf.drain(..head_end + 4);
    while buf.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buf.drain(..length).collect();
    Some(SeenRequest {
        line,
        headers,
        body,
    })
}
