//! The network side of a check: DNS, TCP, TLS and HTTP, each phase timed and each
//! failure classified precisely enough to say *why* something is unreachable.
//!
//! The probe never knows which service it talks to: it resolves names, opens
//! connections and exchanges HTTP/1.1 messages it is given. Deciding what to send and
//! what an answer means is the plugins' job; signing is [`crate::sign`]'s.
//!
//! * [`Prober`] is built once per run and shared (`Arc`): it owns the DNS resolver and
//!   the TLS trust roots.
//! * [`Connection`] owns one TCP (or TLS) connection to one endpoint and reuses it for
//!   the sequential probes of a check (keep-alive); if the server closed it, the next
//!   request transparently reconnects.
//! * Every step returns its phase record (from `netcheck_runner_api`) *and* a
//!   `Result` whose error is a [`NetFailure`].
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::{sync::Arc, time::Duration};
//! use netcheck_engine::probe::{Connection, Prober};
//!
//! let prober = Arc::new(Prober::new(&[])?);
//! let (_dns, addrs) = prober.resolve("example.com").await;
//! let tls = Some(("example.com".to_string(), Default::default()));
//! let mut conn = Connection::new(prober.clone(), addrs, 443, tls);
//! let _phases = conn.open(Duration::from_secs(5)).await.map_err(|(_, failure)| failure)?;
//! let request = http::Request::get("/").header("host", "example.com").body(Vec::new())?;
//! let (_phase, answer) = conn.http(request, 4096, Duration::from_secs(5)).await;
//! println!("{}", answer?.status);
//! # Ok(()) }
//! ```

mod classify;
mod connection;
mod date;
mod dns;
mod location;
mod tcp;
mod tls;

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use netcheck_runner_api::{DnsPhase, TcpPhase, TlsOptions, TlsPhase};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

pub use connection::{Connection, HttpAnswer, OpenPhases};
pub use date::parse_http_date;
pub use dns::scope_of;
pub use location::resolve_location;
pub use tls::cert_seconds_left;

/// Why a phase failed, classified for the judge. Details are for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetFailure {
    /// The lookup failed (NXDOMAIN, SERVFAIL, resolver unreachable, ...).
    DnsFailed(String),
    /// The name exists but has no A/AAAA record.
    NoAddresses,
    /// The host answered the SYN with a RST: nothing listens there (or a firewall rejects).
    TcpRefused,
    /// No answer to the SYN before the deadline (a silent drop: security group, NACL, route).
    TcpTimeout,
    /// The connection was reset (by the peer or something on the path).
    TcpReset,
    /// No route to the host or network (ICMP unreachable, no route, no source address).
    TcpUnreachable(String),
    /// The TLS handshake failed; `cert_problem` says what was wrong with the peer certificate.
    TlsFailed {
        detail: String,
        cert_problem: Option<CertProblem>,
    },
    /// The server accepted the connection but the HTTP exchange failed.
    HttpFailed(String),
    /// The server accepted the connection (and request) but did not answer in time.
    Timeout,
}

/// What was wrong with a peer certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertProblem {
    Expired,
    NotYetValid,
    /// Not issued by a trusted CA (self-signed, private CA not in `ca_pem`, TLS interception).
    UnknownIssuer,
    /// Valid, but not for the name we asked for.
    NameMismatch,
}

impl NetFailure {
    /// A stable, machine-readable code (`tcp-refused`, `tls-failed`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            NetFailure::DnsFailed(_) => "dns-failed",
            NetFailure::NoAddresses => "no-addresses",
            NetFailure::TcpRefused => "tcp-refused",
            NetFailure::TcpTimeout => "tcp-timeout",
            NetFailure::TcpReset => "tcp-reset",
            NetFailure::TcpUnreachable(_) => "tcp-unreachable",
            NetFailure::TlsFailed { .. } => "tls-failed",
            NetFailure::HttpFailed(_) => "http-failed",
            NetFailure::Timeout => "timeout",
        }
    }
}

impl fmt::Display for NetFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetFailure::DnsFailed(d) => write!(f, "DNS lookup failed: {d}"),
            NetFailure::NoAddresses => write!(f, "the name has no A/AAAA records"),
            NetFailure::TcpRefused => write!(f, "connection refused"),
            NetFailure::TcpTimeout => write!(f, "TCP connect timed out"),
            NetFailure::TcpReset => write!(f, "connection reset"),
            NetFailure::TcpUnreachable(d) => write!(f, "unreachable: {d}"),
            NetFailure::TlsFailed { detail, .. } => write!(f, "TLS handshake failed: {detail}"),
            NetFailure::HttpFailed(d) => write!(f, "HTTP exchange failed: {d}"),
            NetFailure::Timeout => write!(f, "no answer in time"),
        }
    }
}

impl std::error::Error for NetFailure {}

impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertProblem::Expired => "certificate expired",
            CertProblem::NotYetValid => "certificate not yet valid",
            CertProblem::UnknownIssuer => "certificate issued by an unknown CA",
            CertProblem::NameMismatch => "certificate not valid for this name",
        })
    }
}

/// The shared probe engine of a run: DNS resolver and TLS trust roots.
///
/// `Send + Sync`; build it once and share it through an `Arc`.
pub struct Prober {
    dns: dns::Dns,
    tls: tls::Tls,
    policy: std::sync::Arc<netcheck_policy::Policy>,
}

impl fmt::Debug for Prober {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prober")
            .field("dns", &self.dns)
            .finish_non_exhaustive()
    }
}

impl Prober {
    /// Build the engine. `nameservers` empty = the system resolver (`/etc/resolv.conf`
    /// and the hosts file); otherwise the given servers (`10.0.0.2`, `127.0.0.1:5353`,
    /// `[fd00::53]:53`), queried over UDP and TCP, without the hosts file.
    pub fn new(nameservers: &[String]) -> anyhow::Result<Self> {
        Ok(Prober {
            dns: dns::Dns::new(nameservers)?,
            tls: tls::Tls::new(),
            policy: std::sync::Arc::new(netcheck_policy::Policy::default()),
        })
    }

    /// Guard every address this engine connects to with `policy` (the built-in default
    /// policy — instance metadata and link-local denied — applies until this is called).
    pub fn with_policy(mut self, policy: std::sync::Arc<netcheck_policy::Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// The policy that resolved addresses and redirects are checked against.
    pub fn policy(&self) -> &netcheck_policy::Policy {
        &self.policy
    }

    /// Resolve `host` to all its A and AAAA addresses (A first), each answer with its
    /// scope. IP literals skip DNS. On failure the addresses are empty and
    /// `DnsPhase::error` says why; [`Prober::dns_failure`] turns that into a [`NetFailure`].
    pub async fn resolve(&self, host: &str) -> (DnsPhase, Vec<IpAddr>) {
        self.dns.resolve(host).await
    }

    /// [`Prober::resolve`] bounded by `budget`: a lookup still unanswered then is a DNS
    /// failure that says so (the check's deadline never hides a hung resolver).
    pub async fn resolve_within(&self, host: &str, budget: Duration) -> (DnsPhase, Vec<IpAddr>) {
        self.dns.resolve_within(host, budget).await
    }

    /// The failure a `resolve` result stands for, if it found no address.
    pub fn dns_failure(phase: &DnsPhase, addrs: &[IpAddr]) -> Option<NetFailure> {
        if !addrs.is_empty() {
            return None;
        }
        Some(match &phase.error {
            Some(e) => NetFailure::DnsFailed(e.clone()),
            None => NetFailure::NoAddresses,
        })
    }

    /// Connect to `port` on each address in order until one accepts. `timeout` bounds the
    /// whole phase; each address gets an equal share of what is left.
    pub async fn connect(
        &self,
        addrs: &[IpAddr],
        port: u16,
        timeout: Duration,
    ) -> (TcpPhase, Result<TcpStream, NetFailure>) {
        tcp::connect(addrs, port, timeout).await
    }

    /// TLS handshake over `tcp` for `server_name` (a DNS name or an IP literal), offering
    /// ALPN `http/1.1`. Trusts the system roots (webpki-roots if the system has none) plus
    /// `opts.ca_pem`; `opts.verify = false` accepts any certificate. The peer certificate's
    /// subject, issuer and expiry are recorded whether or not it verified.
    pub async fn tls(
        &self,
        tcp: TcpStream,
        server_name: &str,
        opts: &TlsOptions,
        timeout: Duration,
    ) -> (TlsPhase, Result<TlsStream<TcpStream>, NetFailure>) {
        self.tls.handshake(tcp, server_name, opts, timeout).await
    }
}

/// Milliseconds as the phase records want them.
fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_failure_distinguishes_error_from_empty() {
        let failed = DnsPhase {
            error: Some("NXDOMAIN".into()),
            ..Default::default()
        };
        assert_eq!(
            Prober::dns_failure(&failed, &[]),
            Some(NetFailure::DnsFailed("NXDOMAIN".into()))
        );
        assert_eq!(
            Prober::dns_failure(&DnsPhase::default(), &[]),
            Some(NetFailure::NoAddresses)
        );
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(Prober::dns_failure(&failed, &[ip]), None);
    }

    #[test]
    fn prober_is_shareable_and_builds_outside_a_runtime() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Prober>();
        let prober = Prober::new(&["127.0.0.1:5353".to_string()]).unwrap();
        assert!(format!("{prober:?}").contains("127.0.0.1:5353"));
        let err = Prober::new(&["not-an-ip".to_string()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not-an-ip"), "{err}");
    }

    #[test]
    fn failure_codes_are_distinct() {
        let all = [
            NetFailure::DnsFailed(String::new()),
            NetFailure::NoAddresses,
            NetFailure::TcpRefused,
            NetFailure::TcpTimeout,
            NetFailure::TcpReset,
            NetFailure::TcpUnreachable(String::new()),
            NetFailure::TlsFailed {
                detail: String::new(),
                cert_problem: None,
            },
            NetFailure::HttpFailed(String::new()),
            NetFailure::Timeout,
        ];
        let mut codes: Vec<_> = all.iter().map(NetFailure::code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
