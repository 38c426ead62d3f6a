//! TCP phase: connect to the first address that accepts, classifying why others did not.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use netcheck_runner_api::TcpPhase;
use tokio::net::TcpStream;

use super::{NetFailure, classify, millis};

/// Try `addrs` in order. `timeout` bounds the whole phase; each address gets an equal
/// share of the time left, so one silent address cannot starve the others.
pub(super) async fn connect(
    addrs: &[IpAddr],
    port: u16,
    timeout: Duration,
) -> (TcpPhase, Result<TcpStream, NetFailure>) {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut phase = TcpPhase::default();
    let mut failures: Vec<String> = Vec::new();
    let mut last = NetFailure::NoAddresses;
    for (i, ip) in addrs.iter().enumerate() {
        let addr = SocketAddr::new(*ip, port);
        phase.peer = addr.to_string();
        let left = deadline.saturating_duration_since(Instant::now());
        let share = left / u32::try_from(addrs.len() - i).unwrap_or(u32::MAX);
        let failure = match tokio::time::timeout(share, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Latency matters more than throughput for probes; failure here is harmless.
                let _ = stream.set_nodelay(true);
                phase.ms = millis(started.elapsed());
                phase.connected = true;
                return (phase, Ok(stream));
            }
            Ok(Err(e)) => {
                let failure = classify::io_failure(&e);
                failures.push(format!("{addr}: {}", describe(&failure, Some(&e))));
                failure
            }
            Err(_) => {
                failures.push(format!("{addr}: no answer within {} ms", share.as_millis()));
                NetFailure::TcpTimeout
            }
        };
        last = failure;
    }
    phase.ms = millis(started.elapsed());
    phase.error = Some(if failures.is_empty() {
        "no address to connect to".to_string()
    } else {
        failures.join("; ")
    });
    (phase, Err(last))
}

fn describe(failure: &NetFailure, e: Option<&std::io::Error>) -> String {
    match (failure, e) {
        (NetFailure::TcpRefused, _) => "connection refused".to_string(),
        (NetFailure::TcpReset, _) => "connection reset".to_string(),
        (NetFailure::TcpTimeout, _) => "timed out (the kernel gave up)".to_string(),
        (_, Some(e)) => e.to_string(),
        (other, None) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::{TcpListener, TcpSocket};

    fn localhost() -> IpAddr {
        "127.0.0.1".parse().unwrap()
    }

    /// A port that nothing listens on (bound, then released).
    async fn closed_port() -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        port
    }

    #[tokio::test]
    async fn connects_and_records_the_peer() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let (phase, stream) = connect(&[localhost()], port, Duration::from_secs(2)).await;
        assert!(stream.is_ok());
        assert!(phase.connected);
        assert_eq!(phase.peer, format!("127.0.0.1:{port}"));
        assert!(phase.error.is_none());
    }

    #[tokio::test]
    async fn closed_port_is_refused() {
        let port = closed_port().await;
        let (phase, stream) = connect(&[localhost()], port, Duration::from_secs(2)).await;
        assert_eq!(stream.unwrap_err(), NetFailure::TcpRefused);
        assert!(!phase.connected);
        assert!(phase.error.unwrap().contains("refused"));
    }

    #[tokio::test]
    async fn falls_through_to_the_next_address() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        // ::1 may not exist here (no IPv6) or be refused: either way 127.0.0.1 must win.
        let addrs = ["::1".parse().unwrap(), localhost()];
        let (phase, stream) = connect(&addrs, port, Duration::from_secs(2)).await;
        assert!(stream.is_ok(), "{phase:?}");
        assert_eq!(phase.peer, format!("127.0.0.1:{port}"));
    }

    #[tokio::test]
    async fn no_addresses() {
        let (phase, stream) = connect(&[], 80, Duration::from_secs(1)).await;
        assert_eq!(stream.unwrap_err(), NetFailure::NoAddresses);
        assert!(phase.error.is_some());
    }

    /// A listener with a backlog of 1 that never accepts: once its queue is full the
    /// kernel drops further SYNs, so connects hang exactly like a filtered port.
    #[tokio::test]
    async fn silent_drop_is_a_tcp_timeout() {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(1).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut held = Vec::new();
        let mut filled = false;
        for _ in 0..16 {
            match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
                Ok(Ok(s)) => held.push(s),
                Ok(Err(e)) => panic!("filling the backlog: {e}"),
                Err(_) => {
                    filled = true;
                    break;
                }
            }
        }
        assert!(
            filled,
            "the backlog never filled ({} connections accepted)",
            held.len()
        );
        let (phase, stream) = connect(&[addr.ip()], addr.port(), Duration::from_millis(300)).await;
        assert_eq!(stream.unwrap_err(), NetFailure::TcpTimeout);
        assert!(phase.error.unwrap().contains("no answer within"));
        assert!(phase.ms >= 250.0, "{}", phase.ms);
        drop(listener);
    }
}
