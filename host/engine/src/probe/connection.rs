//! One kept-alive connection to one endpoint, and the HTTP/1.1 exchanges over it.
//!
//! A [`Connection`] knows how to redo its TCP (and TLS) phases, so when the server has
//! closed an idle keep-alive connection the next request reconnects transparently.
//! A request that was never written, or an idempotent one that got no answer on a
//! reused connection, is retried once on a fresh connection (what browsers and Go do).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use netcheck_runner_api::{HttpPhase, TcpPhase, TlsOptions, TlsPhase};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;

use super::{NetFailure, Prober, classify, date, millis};

/// Response headers worth showing in a report.
const SHOWN_HEADERS: &[&str] = &[
    "server",
    "date",
    "content-type",
    "location",
    "via",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amzn-errortype",
];

/// How much of the body `HttpPhase::body_prefix` keeps.
const BODY_PREFIX: usize = 256;

/// What the server answered. Header names are lower-case; the body is capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than the cap and was cut (the connection is then closed).
    pub truncated: bool,
    /// The parsed `Date` header, for clock-skew checks.
    pub date: Option<SystemTime>,
}

impl HttpAnswer {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The TCP and TLS phases of opening a connection (TLS absent for plain TCP, or when
/// TCP failed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenPhases {
    pub tcp: Option<TcpPhase>,
    pub tls: Option<TlsPhase>,
}

/// A connection to one endpoint, reused by the sequential probes of a check.
pub struct Connection {
    prober: Arc<Prober>,
    addrs: Vec<IpAddr>,
    port: u16,
    tls: Option<(String, TlsOptions)>,
    state: State,
    opened: usize,
    last_open: Option<OpenPhases>,
}

enum State {
    Closed,
    /// Connected (and TLS done), no HTTP exchange yet.
    Fresh(Stream),
    Ready {
        sender: SendRequest<Full<Bytes>>,
        _driver: Driver,
    },
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The task driving hyper's connection; aborted (closing the socket) when dropped.
struct Driver(JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Closed => "closed",
            State::Fresh(_) => "connected",
            State::Ready { .. } => "http",
        };
        f.debug_struct("Connection")
            .field("addrs", &self.addrs)
            .field("port", &self.port)
            .field("tls", &self.tls.as_ref().map(|(name, _)| name))
            .field("state", &state)
            .field("opened", &self.opened)
            .finish()
    }
}

impl Connection {
    /// A connection to `port` on the first of `addrs` that accepts; `tls` is the server
    /// name and options for `https`/`tls` targets. Nothing happens until [`Connection::open`]
    /// or [`Connection::http`].
    pub fn new(
        prober: Arc<Prober>,
        addrs: Vec<IpAddr>,
        port: u16,
        tls: Option<(String, TlsOptions)>,
    ) -> Self {
        Connection {
            prober,
            addrs,
            port,
            tls,
            state: State::Closed,
            opened: 0,
            last_open: None,
        }
    }

    /// Connect (and handshake TLS) now, within `timeout`. Replaces any open connection.
    pub async fn open(
        &mut self,
        timeout: Duration,
    ) -> Result<OpenPhases, (OpenPhases, NetFailure)> {
        self.state = State::Closed;
        let started = Instant::now();
        let (tcp_phase, tcp) = self.prober.connect(&self.addrs, self.port, timeout).await;
        let mut phases = OpenPhases {
            tcp: Some(tcp_phase),
            tls: None,
        };
        let result = match tcp {
            Err(failure) => Err(failure),
            Ok(tcp) => match &self.tls {
                None => Ok(Stream::Plain(tcp)),
                Some((name, opts)) => {
                    let left = timeout.saturating_sub(started.elapsed());
                    let (tls_phase, tls) = self.prober.tls(tcp, name, opts, left).await;
                    phases.tls = Some(tls_phase);
                    tls.map(|s| Stream::Tls(Box::new(s)))
                }
            },
        };
        self.last_open = Some(phases.clone());
        match result {
            Ok(stream) => {
                self.opened += 1;
                self.state = State::Fresh(stream);
                Ok(phases)
            }
            Err(failure) => Err((phases, failure)),
        }
    }

    /// How many times a connection was successfully opened (1 + reconnections).
    pub fn connections_opened(&self) -> usize {
        self.opened
    }

    /// The phases of the last (re)connection attempt.
    pub fn last_open(&self) -> Option<&OpenPhases> {
        self.last_open.as_ref()
    }

    /// Send `req` exactly as given (headers included; the caller sets `Host`) and read
    /// the answer, keeping at most `body_cap` body bytes. `timeout` bounds everything,
    /// a reconnection included. The returned phase has `probe` and `signed` unset.
    pub async fn http(
        &mut self,
        req: http::Request<Vec<u8>>,
        body_cap: usize,
        timeout: Duration,
    ) -> (HttpPhase, Result<HttpAnswer, NetFailure>) {
        let started = Instant::now();
        let deadline = started + timeout;
        let outgoing = Outgoing::new(req);
        let mut phase = HttpPhase {
            method: outgoing.method.to_string(),
            path: outgoing.uri.to_string(),
            ..Default::default()
        };
        let result = match &outgoing.error {
            Some(e) => Err(NetFailure::HttpFailed(e.clone())),
            None => {
                self.exchange(&outgoing, body_cap, deadline, &mut phase)
                    .await
            }
        };
        phase.ms = millis(started.elapsed());
        if let Err(failure) = &result {
            phase.error = Some(match failure {
                NetFailure::Timeout if phase.status.is_some() => {
                    format!("the body did not arrive within {} ms", timeout.as_millis())
                }
                NetFailure::Timeout => format!("no answer within {} ms", timeout.as_millis()),
                other => other.to_string(),
            });
        }
        (phase, result)
    }

    async fn exchange(
        &mut self,
        req: &Outgoing,
        body_cap: usize,
        deadline: Instant,
        phase: &mut HttpPhase,
    ) -> Result<HttpAnswer, NetFailure> {
        for attempt in 0..2 {
            let reused = self.ready(deadline).await?;
            let State::Ready { sender, .. } = &mut self.state else {
                return Err(NetFailure::HttpFailed(
                    "the connection was not ready".to_string(),
                ));
            };
            let sent =
                tokio::time::timeout_at(deadline.into(), sender.try_send_request(req.build()))
                    .await;
            let response = match sent {
                Err(_) => {
                    self.state = State::Closed;
                    return Err(NetFailure::Timeout);
                }
                Ok(Ok(response)) => response,
                Ok(Err(mut e)) => {
                    let unsent = e.take_message().is_some();
                    let error = e.into_error();
                    self.state = State::Closed;
                    let replay = unsent || (req.idempotent() && error.is_incomplete_message());
                    if attempt == 0 && reused && replay {
                        tracing::debug!(error = %error, "kept-alive connection was closed; reconnecting");
                        continue;
                    }
                    return Err(classify::http_failure(&error));
                }
            };
            return self.read(response, body_cap, deadline, phase).await;
        }
        Err(NetFailure::HttpFailed(
            "the server closed two connections in a row without answering".to_string(),
        ))
    }

    /// Make sure an HTTP sender is ready, reconnecting if needed. `Ok(true)` when an
    /// already used connection is being reused.
    async fn ready(&mut self, deadline: Instant) -> Result<bool, NetFailure> {
        if let State::Ready { sender, .. } = &mut self.state {
            if !sender.is_closed() {
                match tokio::time::timeout_at(deadline.into(), sender.ready()).await {
                    Ok(Ok(())) => return Ok(true),
                    Ok(Err(_)) => {}
                    Err(_) => {
                        self.state = State::Closed;
                        return Err(NetFailure::Timeout);
                    }
                }
            }
            self.state = State::Closed;
        }
        if matches!(self.state, State::Closed) {
            let left = deadline.saturating_duration_since(Instant::now());
            self.open(left).await.map_err(|(_, failure)| failure)?;
        }
        let State::Fresh(stream) = std::mem::replace(&mut self.state, State::Closed) else {
            return Err(NetFailure::HttpFailed(
                "the connection was not open".to_string(),
            ));
        };
        let (sender, driver) = match stream {
            Stream::Plain(s) => start(s).await,
            Stream::Tls(s) => start(*s).await,
        }
        .map_err(|e| classify::http_failure(&e))?;
        self.state = State::Ready {
            sender,
            _driver: driver,
        };
        Ok(false)
    }

    async fn read(
        &mut self,
        response: http::Response<hyper::body::Incoming>,
        body_cap: usize,
        deadline: Instant,
        phase: &mut HttpPhase,
    ) -> Result<HttpAnswer, NetFailure> {
        let (head, mut body) = response.into_parts();
        let status = head.status.as_u16();
        phase.status = Some(status);
        let headers = lower_case_headers(&head.headers);
        phase.headers = headers
            .iter()
            .filter(|(n, _)| SHOWN_HEADERS.contains(&n.as_str()))
            .cloned()
            .collect::<Vec<_>>();
        let date = headers
            .iter()
            .find(|(n, _)| n == "date")
            .and_then(|(_, v)| date::parse_http_date(v));
        let mut buf: Vec<u8> = Vec::new();
        let mut truncated = false;
        loop {
            let frame = match tokio::time::timeout_at(deadline.into(), body.frame()).await {
                Err(_) => {
                    self.state = State::Closed;
                    return Err(NetFailure::Timeout);
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    self.state = State::Closed;
                    return Err(classify::http_failure(&e));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let room = body_cap.saturating_sub(buf.len());
            if data.len() > room {
                buf.extend_from_slice(&data[..room]);
                truncated = true;
                break;
            }
            buf.extend_from_slice(&data);
        }
        if truncated {
            // The rest of the body is still on the wire: this connection cannot be reused.
            self.state = State::Closed;
        }
        phase.body_prefix =
            String::from_utf8_lossy(&buf[..buf.len().min(BODY_PREFIX)]).into_owned();
        Ok(HttpAnswer {
            status,
            headers,
            body: buf,
            truncated,
            date,
        })
    }
}

/// Start hyper's HTTP/1 client on an open stream, driving it on a task.
async fn start<S>(stream: S) -> Result<(SendRequest<Full<Bytes>>, Driver), hyper::Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::Builder::new()
        .handshake(TokioIo::new(stream))
        .await?;
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "HTTP connection ended");
        }
    });
    Ok((sender, Driver(driver)))
}

fn lower_case_headers(map: &HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A request kept in parts so it can be sent again on a new connection.
struct Outgoing {
    method: Method,
    /// Origin form (`/path?query`): what goes on the request line.
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    error: Option<String>,
}

impl Outgoing {
    fn new(req: http::Request<Vec<u8>>) -> Self {
        let (parts, body) = req.into_parts();
        let target = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("/");
        let (uri, error) = match target.parse::<Uri>() {
            Ok(uri) => (uri, None),
            Err(e) => (
                Uri::from_static("/"),
                Some(format!("invalid request target `{target}`: {e}")),
            ),
        };
        Outgoing {
            method: parts.method,
            uri,
            headers: parts.headers,
            body: Bytes::from(body),
            error,
        }
    }

    fn build(&self) -> http::Request<Full<Bytes>> {
        let mut req = http::Request::new(Full::new(self.body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        *req.headers_mut() = self.headers.clone();
        req
    }

    fn idempotent(&self) -> bool {
        matches!(
            self.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_test_support::scripted::{HttpServer, Reply, TestCert, TlsServer};

    fn prober() -> Arc<Prober> {
        Arc::new(Prober::new(&["127.0.0.1:9".to_string()]).unwrap())
    }

    fn get(path: &str, host: &str) -> http::Request<Vec<u8>> {
        http::Request::get(path)
            .header("host", host)
            .header("x-probe", "1")
            .body(Vec::new())
            .unwrap()
    }

    fn local(port: u16) -> Connection {
        Connection::new(prober(), vec!["127.0.0.1".parse().unwrap()], port, None)
    }

    const SECS: Duration = Duration::from_secs(5);

    #[test]
    fn futures_can_move_between_threads() {
        fn send<T: Send>(_: &T) {}
        let mut conn = local(9);
        send(&conn);
        send(&conn.http(get("/", "h"), 1, SECS));
        send(&conn.open(SECS));
    }

    #[tokio::test]
    async fn plain_get_with_status_headers_and_capped_body() {
        let server = HttpServer::start(vec![Reply::new(
            418,
            &[
                ("Server", "test"),
                ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("X-Other", "x"),
            ],
            b"0123456789abcdef",
        )])
        .await;
        let mut conn = local(server.port());
        let phases = conn.open(SECS).await.unwrap();
        assert!(phases.tcp.as_ref().unwrap().connected);
        assert!(phases.tls.is_none());
        let (phase, answer) = conn
            .http(get("/health?x=1", "example.test"), 10, SECS)
            .await;
        let answer = answer.unwrap();
        assert_eq!(answer.status, 418);
        assert_eq!(answer.body, b"0123456789");
        assert!(answer.truncated);
        assert_eq!(answer.header("server"), Some("test"));
        assert_eq!(answer.header("x-other"), Some("x"));
        assert_eq!(
            answer.date,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(phase.status, Some(418));
        assert_eq!(phase.method, "GET");
        assert_eq!(phase.path, "/health?x=1");
        assert_eq!(phase.body_prefix, "0123456789");
        assert!(
            phase
                .headers
                .contains(&("server".to_string(), "test".to_string()))
        );
        assert!(
            !phase.headers.iter().any(|(n, _)| n == "x-other"),
            "only the interesting headers"
        );
        // The server saw exactly our headers, and the origin-form target.
        let seen = server.requests();
        assert_eq!(seen[0].line, "GET /health?x=1 HTTP/1.1");
        assert_eq!(seen[0].header("host"), Some("example.test"));
        assert_eq!(seen[0].header("x-probe"), Some("1"));
        assert_eq!(seen[0].headers.len(), 2, "{:?}", seen[0].headers);
    }

    #[tokio::test]
    async fn absolute_uris_are_sent_in_origin_form_with_body() {
        let server = HttpServer::start(vec![Reply::new(200, &[], b"ok")]).await;
        let mut conn = local(server.port());
        let req = http::Request::post("http://example.test/a/b?c=d")
            .header("host", "example.test")
            .header("content-length", "5")
            .body(b"hello".to_vec())
            .unwrap();
        let (_, answer) = conn.http(req, 1024, SECS).await;
        assert_eq!(answer.unwrap().body, b"ok");
        let seen = server.requests();
        assert_eq!(seen[0].line, "POST /a/b?c=d HTTP/1.1");
        assert_eq!(seen[0].body, b"hello");
        assert_eq!(conn.connections_opened(), 1, "http() opens on demand");
    }

    #[tokio::test]
    async fn keep_alive_reuses_one_connection() {
        let server = HttpServer::start(vec![
            Reply::new(200, &[], b"one"),
            Reply::new(200, &[], b"two"),
        ])
        .await;
        let mut conn = local(server.port());
        conn.open(SECS).await.unwrap();
        let (_, a) = conn.http(get("/1", "h"), 1024, SECS).await;
        let (_, b) = conn.http(get("/2", "h"), 1024, SECS).await;
        assert_eq!(a.unwrap().body, b"one");
        assert_eq!(b.unwrap().body, b"two");
        assert_eq!(server.accepted(), 1);
        assert_eq!(conn.connections_opened(), 1);
    }

    #[tokio::test]
    async fn reconnects_after_the_server_closed() {
        let server = HttpServer::start(vec![
            Reply::new(200, &[], b"one").close(),
            Reply::new(200, &[], b"two").close(),
            Reply::new(200, &[], b"three"),
        ])
        .await;
        let mut conn = local(server.port());
        conn.open(SECS).await.unwrap();
        for (path, want) in [("/1", &b"one"[..]), ("/2", b"two"), ("/3", b"three")] {
            let (phase, answer) = conn.http(get(path, "h"), 1024, SECS).await;
            assert_eq!(answer.unwrap().body, want, "{phase:?}");
        }
        assert_eq!(server.accepted(), 3);
        assert_eq!(conn.connections_opened(), 3);
        assert!(conn.last_open().unwrap().tcp.as_ref().unwrap().connected);
    }

    #[tokio::test]
    async fn silent_close_without_header_is_replayed_for_get() {
        // The server closes after answering without saying `Connection: close`.
        let server = HttpServer::start(vec![
            Reply::new(200, &[], b"one").silent_close(),
            Reply::new(200, &[], b"two"),
        ])
        .await;
        let mut conn = local(server.port());
        let (_, a) = conn.http(get("/1", "h"), 1024, SECS).await;
        assert_eq!(a.unwrap().body, b"one");
        let (phase, b) = conn.http(get("/2", "h"), 1024, SECS).await;
        assert_eq!(b.unwrap().body, b"two", "{phase:?}");
        assert_eq!(server.accepted(), 2);
    }

    #[tokio::test]
    async fn accepted_but_never_answered_is_a_timeout() {
        let server = HttpServer::start(vec![Reply::hang()]).await;
        let mut conn = local(server.port());
        let (phase, answer) = conn
            .http(get("/", "h"), 1024, Duration::from_millis(300))
            .await;
        assert_eq!(answer.unwrap_err(), NetFailure::Timeout);
        assert!(phase.status.is_none());
        assert!(phase.error.unwrap().contains("no answer within 300 ms"));
        assert!(phase.ms >= 290.0);
    }

    #[tokio::test]
    async fn reset_during_the_exchange() {
        let server = HttpServer::start(vec![Reply::reset()]).await;
        let mut conn = local(server.port());
        let (phase, answer) = conn.http(get("/", "h"), 1024, SECS).await;
        assert_eq!(answer.unwrap_err(), NetFailure::TcpReset, "{phase:?}");
    }

    #[tokio::test]
    async fn garbage_answer_is_an_http_failure() {
        let server = HttpServer::start(vec![Reply::raw(b"SSH-2.0-OpenSSH_9.6\r\n")]).await;
        let mut conn = local(server.port());
        let (phase, answer) = conn.http(get("/", "h"), 1024, SECS).await;
        let Err(NetFailure::HttpFailed(detail)) = answer else {
            panic!("{phase:?}")
        };
        assert!(detail.contains("not valid HTTP"), "{detail}");
    }

    #[tokio::test]
    async fn refused_reconnect_is_reported() {
        let port = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        let mut conn = local(port);
        let (phase, answer) = conn.http(get("/", "h"), 1024, SECS).await;
        assert_eq!(answer.unwrap_err(), NetFailure::TcpRefused);
        assert_eq!(phase.error.as_deref(), Some("connection refused"));
        let open = conn.last_open().unwrap();
        assert!(!open.tcp.as_ref().unwrap().connected);
    }

    #[tokio::test]
    async fn https_with_keep_alive_and_reconnect() {
        let cert = TestCert::new("localhost", false);
        let server = TlsServer::start_http(
            &cert,
            vec![
                Reply::new(200, &[], b"one"),
                Reply::new(200, &[], b"two").close(),
                Reply::new(204, &[], b""),
            ],
        )
        .await;
        let opts = TlsOptions {
            verify: true,
            ca_pem: Some(cert.pem.clone()),
        };
        let mut conn = Connection::new(
            prober(),
            vec![server.addr.ip()],
            server.addr.port(),
            Some(("localhost".into(), opts)),
        );
        let phases = conn.open(SECS).await.unwrap();
        assert!(phases.tls.as_ref().unwrap().ok);
        let (_, a) = conn.http(get("/1", "localhost"), 1024, SECS).await;
        let (_, b) = conn.http(get("/2", "localhost"), 1024, SECS).await;
        let (_, c) = conn.http(get("/3", "localhost"), 1024, SECS).await;
        assert_eq!(a.unwrap().body, b"one");
        assert_eq!(b.unwrap().body, b"two");
        assert_eq!(c.unwrap().status, 204);
        assert_eq!(server.accepted(), 2);
        assert!(conn.last_open().unwrap().tls.as_ref().unwrap().ok);
    }

    #[tokio::test]
    async fn tls_failure_from_open_keeps_both_phases() {
        let cert = TestCert::new("localhost", false);
        let server = TlsServer::start(&cert).await;
        let mut conn = Connection::new(
            prober(),
            vec![server.addr.ip()],
            server.addr.port(),
            Some(("localhost".into(), TlsOptions::default())),
        );
        let (phases, failure) = conn.open(SECS).await.unwrap_err();
        assert!(phases.tcp.unwrap().connected);
        assert!(!phases.tls.unwrap().ok);
        assert!(matches!(failure, NetFailure::TlsFailed { .. }));
    }
}
