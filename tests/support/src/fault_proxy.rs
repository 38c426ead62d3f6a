//! A fault-injection HTTP/1.1 reverse proxy on 127.0.0.1 for end-to-end tests.
//!
//! Tests put it between the `netcheck` binary (`AWS_ENDPOINT_URL=http://127.0.0.1:<proxy>`)
//! and an emulator. Every request is forwarded verbatim — method, target (path and query,
//! as sent), headers in order (`Host` unchanged: SigV4 signs it) and body — to
//! `127.0.0.1:<upstream>`, and the answer is streamed back. Each request is named by its
//! AWS operation ([`operation_name`]) and recorded, and a test can
//!
//! - [`FaultProxy::stall`] an operation: its requests are held (not forwarded) until
//!   [`FaultProxy::release`]; [`FaultProxy::wait_for_stalled`] waits until one is held;
//! - [`FaultProxy::fail`] an operation: its first `times` requests get a canned answer
//!   instead (IAM-propagation retries, `DependencyViolation`, throttling, …);
//! - [`FaultProxy::strip_host_port`]: rewrite `Host: name:port` to `Host: name` before
//!   forwarding, as Envoy's `strip_any_host_port` does (the SigV4 seed).
//!
//! ```ignore
//! let proxy = FaultProxy::start(emu.port());
//! proxy.fail("CreateFunction", 2, 400, &aws_json_error("InvalidParameterValueException",
//!     "The role defined for the function cannot be assumed by Lambda."), "application/json");
//! // run netcheck with AWS_ENDPOINT_URL=http://127.0.0.1:{proxy.port()} …
//! assert_eq!(proxy.count("CreateFunction"), 3);
//! ```
//!
//! The proxy runs a tokio runtime on its own thread; dropping the value stops it (held
//! requests are dropped with their connections). The client side is a small HTTP/1.1
//! server written here (the crate enables hyper's client only); the upstream side is
//! hyper's HTTP/1.1 client, one connection per forwarded request.

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{Ipv4Addr, TcpListener as StdTcpListener};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};

/// Largest request head accepted (request line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted (a Lambda zip is sent base64 in JSON: 50 MB → ~67 MB).
const MAX_BODY: usize = 256 * 1024 * 1024;
/// Response headers the proxy sets itself (hop-by-hop ones and the framing).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

/// A canned answer for [`FaultProxy::fail`].
#[derive(Debug, Clone)]
struct Failure {
    operation: String,
    remaining: usize,
    status: u16,
    body: Bytes,
    content_type: String,
}

#[derive(Debug, Default)]
struct Inner {
    operations: Vec<String>,
    /// The body of every request, with its operation (for "no secret in the payload").
    bodies: Vec<(String, Bytes)>,
    stalls: HashSet<String>,
    /// Requests currently held, per operation.
    held: HashMap<String, usize>,
    failures: Vec<Failure>,
    /// Forward `Host` without its port.
    strip_host_port: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Signalled whenever `held` grows.
    held_changed: Condvar,
    /// Bumped by `release`; held requests wait for a change.
    release: watch::Sender<u64>,
    upstream: u16,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the proxy's state from the others.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The proxy; see the module documentation. Stopped on drop.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on a free 127.0.0.1 port forwarding to `127.0.0.1:upstream_port`;
    /// returns once it is listening.
    pub fn start(upstream_port: u16) -> FaultProxy {
        let listener =
            StdTcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("fault proxy: bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("fault proxy: local address")
            .port();
        listener
            .set_nonblocking(true)
            .expect("fault proxy: non-blocking listener");
        let (release, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            held_changed: Condvar::new(),
            release,
            upstream: upstream_port,
        });
        let (shutdown, stop) = oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("fault proxy: building a tokio runtime");
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fault-proxy-{port}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("fault proxy: tokio listener");
                    tokio::select! {
                        _ = stop => {}
                        () = accept_loop(listener, serving) => {}
                    }
                });
                // Dropping the runtime here drops every connection task, held ones too.
            })
            .expect("fault proxy: spawning its thread");
        FaultProxy {
            port,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` (for `AWS_ENDPOINT_URL`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The operation of every request received so far, in arrival order (held and
    /// failed ones included).
    pub fn operations(&self) -> Vec<String> {
        self.shared.lock().operations.clone()
    }

    /// The bodies of the requests for `operation` so far, in arrival order.
    pub fn bodies(&self, operation: &str) -> Vec<Vec<u8>> {
        self.shared
            .lock()
            .bodies
            .iter()
            .filter(|(op, _)| op == operation)
            .map(|(_, body)| body.to_vec())
            .collect()
    }

    /// How many requests for `operation` arrived so far.
    pub fn count(&self, operation: &str) -> usize {
        self.shared
            .lock()
            .operations
            .iter()
            .filter(|op| *op == operation)
            .count()
    }

    /// Holds every request for `operation` (from now on) until [`Self::release`].
    pub fn stall(&self, operation: &str) {
        self.shared.lock().stalls.insert(operation.to_string());
    }

    /// Ends every stall: held requests go on (to a canned failure or upstream) and new
    /// ones are no longer held.
    pub fn release(&self) {
        self.shared.lock().stalls.clear();
        self.shared
            .release
            .send_modify(|generation| *generation += 1);
    }

    /// Waits until at least one request for `operation` is being held; false when
    /// `timeout` passes first.
    pub fn wait_for_stalled(&self, operation: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut inner = self.shared.lock();
        loop {
            if inner.held.get(operation).copied().unwrap_or(0) > 0 {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            inner = self
                .shared
                .held_changed
                .wait_timeout(inner, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// From now on, forwards `Host: name:port` as `Host: name` (Envoy's
    /// `strip_any_host_port`): the upstream sees a Host other than the one signed.
    pub fn strip_host_port(&self) {
        self.shared.lock().strip_host_port = true;
    }

    /// Answers the next `times` requests for `operation` with `status`, `body` and
    /// `Content-Type: content_type` instead of forwarding them; later ones are
    /// forwarded again. Rules for one operation are used in the order they were added.
    pub fn fail(&self, operation: &str, times: usize, status: u16, body: &str, content_type: &str) {
        assert!(
            (100..1000).contains(&status),
            "fault proxy: status {status} is not an HTTP status"
        );
        self.shared.lock().failures.push(Failure {
            operation: operation.to_string(),
            remaining: times,
            status,
            body: Bytes::from(body.to_string()),
            content_type: content_type.to_string(),
        });
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An AWS JSON-protocol error body: `{"__type": "...", "message": "..."}`.
pub fn aws_json_error(error_type: &str, message: &str) -> String {
    serde_json::json!({ "__type": error_type, "message": message }).to_string()
}

/// An EC2 query-protocol error body (send with `text/xml;charset=UTF-8`).
pub fn ec2_xml_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{}</Code>\
         <Message>{}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>",
        xml_escape(code),
        xml_escape(message)
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Names a request's AWS operation: `X-Amz-Target: Svc.X` → `X`; query protocol
/// `Action=X` (query string or form body) → `X`; the Lambda REST paths; anything else
/// `METHOD path` (no query).
pub fn operation_name(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    if let Some(amz_target) = header("x-amz-target").filter(|t| !t.is_empty()) {
        return amz_target
            .rsplit_once('.')
            .map_or(amz_target, |(_, op)| op)
            .to_string();
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if let Some(action) = form_value(query, "Action") {
        return action;
    }
    let form = header("content-type").is_some_and(|t| {
        t.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if form
        && let Some(action) = std::str::from_utf8(body)
            .ok()
            .and_then(|b| form_value(b, "Action"))
    {
        return action;
    }
    if let Some(op) = lambda_operation(method, path) {
        return op.to_string();
    }
    format!("{method} {path}")
}

/// The value of `key` in an `a=b&c=d` string (values of operation names need no
/// decoding beyond `+`/`%XX` of plain ASCII).
fn form_value(form: &str, key: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key && !v.is_empty()).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Lambda's REST operations netcheck uses (API versions 2015-03-31 and, for tags,
/// 2017-03-31).
fn lambda_operation(method: &str, path: &str) -> Option<&'static str> {
    if let Some(rest) = path.strip_prefix("/2017-03-31/tags/") {
        if rest.is_empty() {
            return None;
        }
        return match method {
            "GET" => Some("ListTags"),
            "POST" => Some("TagResource"),
            "DELETE" => Some("UntagResource"),
            _ => None,
        };
    }
    let rest = path.strip_prefix("/2015-03-31/functions")?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    match (method, parts.as_slice()) {
        ("POST", []) => Some("CreateFunction"),
        ("GET", []) => Some("ListFunctions"),
        ("GET", [_]) => Some("GetFunction"),
        ("DELETE", [_]) => Some("DeleteFunction"),
        ("POST", [_, "invocations"]) => Some("Invoke"),
        ("GET", [_, "configuration"]) => Some("GetFunctionConfiguration"),
        ("PUT", [_, "configuration"]) => Some("UpdateFunctionConfiguration"),
        ("PUT", [_, "code"]) => Some("UpdateFunctionCode"),
        _ => None,
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = serve_connection(stream, shared).await;
        });
    }
}

/// One request as read from the client.
struct Request {
    method: String,
    target: String,
    /// Header names as sent, in order.
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// The client side of one connection, with bytes read but not yet used.
struct ClientConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn bad_request(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

impl ClientConn {
    /// Reads more bytes; false at end of stream.
    async fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    async fn take(&mut self, n: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < n {
            if !self.fill().await? {
                return Err(bad_request("connection closed inside a request body"));
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    async fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..end + 2).take(end).collect();
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_HEAD || !self.fill().await? {
                return Err(bad_request("no line end in a chunked body"));
            }
        }
    }

    /// The next request, or None when the client closed the connection between requests.
    async fn read_request(&mut self) -> io::Result<Option<Request>> {
        let head_end = loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(bad_request("request head too large"));
            }
            if !self.fill().await? {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(bad_request("connection closed inside a request head"))
                };
            }
        };
        let head: Vec<u8> = self.buf.drain(..head_end + 4).collect();
        let head = String::from_utf8_lossy(&head[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or("").split(' ');
        let (Some(method), Some(target)) = (request_line.next(), request_line.next()) else {
            return Err(bad_request(format!("bad request line in {head:?}")));
        };
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut request = Request {
            method: method.to_string(),
            target: target.to_string(),
            headers,
            body: Bytes::new(),
        };
        if request.has_token("expect", "100-continue") {
            self.stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await?;
        }
        request.body = if request.has_token("transfer-encoding", "chunked") {
            self.read_chunked().await?.into()
        } else {
            let length = match request.header("content-length") {
                Some(v) => v
                    .parse::<usize>()
                    .map_err(|_| bad_request(format!("bad Content-Length {v:?}")))?,
                None => 0,
            };
            if length > MAX_BODY {
                return Err(bad_request(format!("request body of {length} bytes")));
            }
            self.take(length).await?.into()
        };
        Ok(Some(request))
    }

    async fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let size_line = self.line().await?;
            let size_text = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| bad_request(format!("bad chunk size {size_text:?}")))?;
            if size == 0 {
                // Trailers (ignored) up to the empty line.
                while !self.line().await?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(bad_request("chunked request body too large"));
            }
            body.extend(self.take(size).await?);
            self.take(2).await?;
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut conn = ClientConn {
        stream,
        buf: Vec::new(),
    };
    while let Some(request) = conn.read_request().await? {
        let client_close = request.has_token("connection", "close");
        let keep_open = handle(&mut conn.stream, request, &shared).await? && !client_close;
        if !keep_open {
            break;
        }
    }
    let _ = conn.stream.shutdown().await;
    Ok(())
}

/// Names, records, holds, fails or forwards one request and writes the answer. Returns
/// whether the connection may carry another request.
async fn handle(client: &mut TcpStream, request: Request, shared: &Shared) -> io::Result<bool> {
    let operation = operation_name(
        &request.method,
        &request.target,
        &request.headers,
        &request.body,
    );
    // Subscribe before looking at the stall set, so a release in between is not missed.
    let mut released = shared.release.subscribe();
    let stalled = {
        let mut inner = shared.lock();
        inner.operations.push(operation.clone());
        inner
            .bodies
            .push((operation.clone(), Bytes::copy_from_slice(&request.body)));
        let stalled = inner.stalls.contains(&operation);
        if stalled {
            *inner.held.entry(operation.clone()).or_insert(0) += 1;
        }
        stalled
    };
    if stalled {
        shared.held_changed.notify_all();
        let _ = released.changed().await;
        let mut inner = shared.lock();
        if let Some(count) = inner.held.get_mut(&operation) {
            *count = count.saturating_sub(1);
        }
    }
    let canned = {
        let mut inner = shared.lock();
        inner
            .failures
            .iter_mut()
            .find(|f| f.operation == operation && f.remaining > 0)
            .map(|f| {
                f.remaining -= 1;
                f.clone()
            })
    };
    let head_request = request.method == "HEAD";
    if let Some(failure) = canned {
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
             x-amzn-RequestId: fault-proxy\r\n\r\n",
            failure.status,
            reason(failure.status),
            failure.content_type,
            failure.body.len()
        );
        client.write_all(head.as_bytes()).await?;
        if !head_request {
            client.write_all(&failure.body).await?;
        }
        client.flush().await?;
        return Ok(true);
    }
    let mut request = request;
    if shared.lock().strip_host_port {
        for (name, value) in &mut request.headers {
            if name.eq_ignore_ascii_case("host")
                && let Some((host, port)) = value.rsplit_once(':')
                && !host.ends_with(':')
                && port.bytes().all(|b| b.is_ascii_digit())
            {
                *value = host.to_string();
            }
        }
    }
    match forward(request, shared.upstream).await {
        Ok(response) => write_upstream_response(client, response, head_request).await,
        Err(e) => {
            let body = format!(
                "fault proxy: forwarding to 127.0.0.1:{} failed: {e}",
                shared.upstream
            );
            let head = format!(
                "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            client.write_all(head.as_bytes()).await?;
            client.write_all(body.as_bytes()).await?;
            client.flush().await?;
            Ok(false)
        }
    }
}

async fn forward(
    request: Request,
    upstream: u16,
) -> Result<hyper::Response<hyper::body::Incoming>, String> {
    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut builder = hyper::Request::builder()
        .method(request.method.as_str())
        .uri(request.target.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let upstream_request = builder
        .body(Full::new(request.body))
        .map_err(|e| format!("rebuilding the request: {e}"))?;
    sender
        .send_request(upstream_request)
        .await
        .map_err(|e| format!("request: {e}"))
}

/// Writes the upstream answer to the client, streaming its body (chunked when the
/// upstream gave no length). Returns whether the connection may stay open.
async fn write_upstream_response(
    client: &mut TcpStream,
    response: hyper::Response<hyper::body::Incoming>,
    head_request: bool,
) -> io::Result<bool> {
    let status = response.status();
    let no_body = head_request
        || status.is_informational()
        || status == hyper::StatusCode::NO_CONTENT
        || status == hyper::StatusCode::NOT_MODIFIED;
    let has_length = response
        .headers()
        .contains_key(hyper::header::CONTENT_LENGTH);
    let chunked = !no_body && !has_length;
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Status")
    );
    for (name, value) in response.headers() {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(&String::from_utf8_lossy(value.as_bytes()));
        head.push_str("\r\n");
    }
    if chunked {
        head.push_str("transfer-encoding: chunked\r\n");
    }
    head.push_str("\r\n");
    client.write_all(head.as_bytes()).await?;
    let mut body = response.into_body();
    if !no_body {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| io::Error::other(format!("upstream body: {e}")))?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers
            };
            if data.is_empty() {
                continue;
            }
            if chunked {
                client
                    .write_all(format!("{:x}\r\n", data.len()).as_bytes())
                    .await?;
                client.write_all(&data).await?;
                client.write_all(b"\r\n").await?;
            } else {
                client.write_all(&data).await?;
            }
        }
        if chunked {
            client.write_all(b"0\r\n\r\n").await?;
        }
    }
    client.flush().await?;
    Ok(true)
}

fn reason(status: u16) -> &'static str {
    hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Status")
}
