//! A farm of tiny HTTP/1.1 servers on 127.0.0.1, one listener per endpoint, each answering
//! every request with `200 ok` and closing the connection. It counts the requests it
//! received so each round can prove every endpoint was really hit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

const GET_ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
const HEAD_ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";
/// Longest request head read before the connection is dropped as not HTTP.
const MAX_HEAD: usize = 16 * 1024;
/// A connection that has not sent a request head by then is dropped: nothing waits forever.
const CONNECTION_DEADLINE: Duration = Duration::from_secs(10);

/// The running servers; dropping the farm stops the listeners.
pub struct Farm {
    pub urls: Vec<String>,
    served: Arc<AtomicUsize>,
    _listeners: JoinSet<()>,
}

impl Farm {
    /// Binds `count` listeners on 127.0.0.1 (ephemeral ports) and starts answering.
    pub async fn start(count: usize) -> anyhow::Result<Farm> {
        let served = Arc::new(AtomicUsize::new(0));
        let mut listeners = JoinSet::new();
        let mut urls = Vec::with_capacity(count);
        for n in 0..count {
            let listener = TcpListener::bind("127.0.0.1:0").await.with_context(|| {
                format!(
                    "binding loopback listener {} of {count} on 127.0.0.1 (too many open files? \
                     raise `ulimit -n` or pass a smaller --endpoints)",
                    n + 1
                )
            })?;
            let port = listener
                .local_addr()
                .context("reading a listener's port")?
                .port();
            urls.push(format!("http://127.0.0.1:{port}/health"));
            listeners.spawn(accept_loop(listener, served.clone()));
        }
        Ok(Farm {
            urls,
            served,
            _listeners: listeners,
        })
    }

    /// Requests received so far, over all endpoints.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

async fn accept_loop(listener: TcpListener, served: Arc<AtomicUsize>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let served = served.clone();
                tokio::spawn(async move {
                    let _ =
                        tokio::time::timeout(CONNECTION_DEADLINE, answer(stream, &served)).await;
                });
            }
            // Out of descriptors and the like: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// Reads one request head and answers it.
async fn answer(mut stream: TcpStream, served: &AtomicUsize) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let reply = if head.starts_with(b"HEAD ") {
        HEAD_ANSWER
    } else {
        GET_ANSWER
    };
    // Counted before answering, so a client that has its answer always sees the count.
    served.fetch_add(1, Ordering::SeqCst);
    stream.write_all(reply).await?;
    stream.shutdown().await
}
