//! Turning low-level errors (resolver, socket, rustls, hyper) into [`NetFailure`]s and
//! one-line explanations for people.

use std::error::Error as StdError;
use std::io;

use hickory_resolver::net::{DnsError, NetError};
use rustls::CertificateError;

use super::{CertProblem, NetFailure};

/// Linux errno values for the unreachable family, for errors whose kind is `Other`.
const ENETUNREACH: i32 = 101;
const EHOSTUNREACH: i32 = 113;

/// One line on why a lookup failed.
pub(super) fn dns_error(e: &NetError) -> String {
    if e.is_nx_domain() {
        return "the name does not exist (NXDOMAIN)".to_string();
    }
    match e {
        NetError::Timeout => "no answer from the DNS server(s) in time".to_string(),
        NetError::Dns(DnsError::ResponseCode(code)) => format!("the DNS server answered {code}"),
        NetError::Io(io) => format!("could not reach the DNS server(s): {io}"),
        NetError::NoConnections => "no DNS server is configured or reachable".to_string(),
        other => other.to_string(),
    }
}

/// Classify a socket error from connect, or from reading/writing an open connection.
pub(super) fn io_failure(e: &io::Error) -> NetFailure {
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => NetFailure::TcpRefused,
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => NetFailure::TcpReset,
        K::TimedOut => NetFailure::TcpTimeout,
        K::HostUnreachable => NetFailure::TcpUnreachable("no route to host".to_string()),
        K::NetworkUnreachable => NetFailure::TcpUnreachable("network unreachable".to_string()),
        _ => match e.raw_os_error() {
            Some(EHOSTUNREACH) => NetFailure::TcpUnreachable("no route to host".to_string()),
            Some(ENETUNREACH) => NetFailure::TcpUnreachable("network unreachable".to_string()),
            _ => NetFailure::TcpUnreachable(e.to_string()),
        },
    }
}

/// Classify a failed TLS handshake.
pub(super) fn tls_failure(e: &io::Error) -> NetFailure {
    if let Some(err) = find::<rustls::Error>(e) {
        return rustls_failure(err);
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => tls_failed(
            "the server closed the connection during the handshake (not TLS on this port, or a \
             middlebox refused the server name)"
                .to_string(),
        ),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionRefused => io_failure(e),
        _ => tls_failed(e.to_string()),
    }
}

fn tls_failed(detail: String) -> NetFailure {
    NetFailure::TlsFailed {
        detail,
        cert_problem: None,
    }
}

fn rustls_failure(err: &rustls::Error) -> NetFailure {
    match err {
        rustls::Error::InvalidCertificate(cert) => {
            let problem = match cert {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    Some(CertProblem::Expired)
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    Some(CertProblem::NotYetValid)
                }
                CertificateError::UnknownIssuer => Some(CertProblem::UnknownIssuer),
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    Some(CertProblem::NameMismatch)
                }
                _ => None,
            };
            let detail = match problem {
                Some(CertProblem::UnknownIssuer) => {
                    "certificate issued by an unknown CA (self-signed, a private CA missing from `ca_pem`, \
                     or TLS interception by a proxy)"
                        .to_string()
                }
                _ => format!("invalid peer certificate: {cert}"),
            };
            NetFailure::TlsFailed {
                detail,
                cert_problem: problem,
            }
        }
        rustls::Error::AlertReceived(alert) => {
            tls_failed(format!("the server sent TLS alert `{alert:?}`"))
        }
        rustls::Error::NoApplicationProtocol => tls_failed(
            "the server does not speak HTTP/1.1 over TLS (no common ALPN protocol)".to_string(),
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            tls_failed(format!(
                "the server does not speak TLS on this port ({err})"
            ))
        }
        other => tls_failed(other.to_string()),
    }
}

/// Classify a failed HTTP exchange (request write, response head or body).
pub(super) fn http_failure(e: &hyper::Error) -> NetFailure {
    if let Some(io) = find::<io::Error>(e) {
        match io.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => {
                return NetFailure::TcpReset;
            }
            io::ErrorKind::TimedOut => return NetFailure::Timeout,
            _ => {}
        }
        if let Some(tls) = find::<rustls::Error>(io) {
            return NetFailure::HttpFailed(format!("TLS error during the exchange: {tls}"));
        }
    }
    if e.is_incomplete_message() {
        return NetFailure::HttpFailed(
            "the server closed the connection before a complete answer".to_string(),
        );
    }
    if e.is_parse() || e.is_parse_status() {
        return NetFailure::HttpFailed(format!(
            "the answer is not valid HTTP/1.x ({e}): wrong port or scheme?"
        ));
    }
    NetFailure::HttpFailed(chain(e))
}

/// An error and its sources, `: `-joined.
pub(super) fn chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The first error of type `T` in `e`'s source chain (including `e`, and looking
/// through `io::Error`'s custom payload).
fn find<'a, T: StdError + 'static>(e: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(io) = err.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(found) = inner.downcast_ref::<T>()
        {
            return Some(found);
        }
        current = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use io::ErrorKind as K;

    #[test]
    fn socket_errors_by_kind() {
        assert_eq!(
            io_failure(&io::Error::from(K::ConnectionRefused)),
            NetFailure::TcpRefused
        );
        assert_eq!(
            io_failure(&io::Error::from(K::ConnectionReset)),
            NetFailure::TcpReset
        );
        assert_eq!(
            io_failure(&io::Error::from(K::TimedOut)),
            NetFailure::TcpTimeout
        );
        assert!(
            matches!(io_failure(&io::Error::from(K::HostUnreachable)), NetFailure::TcpUnreachable(d) if d == "no route to host")
        );
        assert!(
            matches!(io_failure(&io::Error::from(K::NetworkUnreachable)), NetFailure::TcpUnreachable(d) if d == "network unreachable")
        );
    }

    #[test]
    fn socket_errors_by_errno() {
        // What connect(2) really returns on Linux.
        assert_eq!(
            io_failure(&io::Error::from_raw_os_error(111)),
            NetFailure::TcpRefused
        ); // ECONNREFUSED
        assert_eq!(
            io_failure(&io::Error::from_raw_os_error(104)),
            NetFailure::TcpReset
        ); // ECONNRESET
        assert_eq!(
            io_failure(&io::Error::from_raw_os_error(110)),
            NetFailure::TcpTimeout
        ); // ETIMEDOUT
        assert!(matches!(
            io_failure(&io::Error::from_raw_os_error(EHOSTUNREACH)),
            NetFailure::TcpUnreachable(_)
        ));
        assert!(matches!(
            io_failure(&io::Error::from_raw_os_error(ENETUNREACH)),
            NetFailure::TcpUnreachable(_)
        ));
        // EADDRNOTAVAIL (e.g. IPv6 with no IPv6 address here) keeps the OS message.
        let NetFailure::TcpUnreachable(detail) = io_failure(&io::Error::from_raw_os_error(99))
        else {
            panic!("EADDRNOTAVAIL is unreachable");
        };
        assert!(detail.to_lowercase().contains("address"), "{detail}");
    }

    #[test]
    fn tls_errors_inside_io_errors() {
        let wrap = |e: rustls::Error| io::Error::new(K::InvalidData, e);
        let expired = tls_failure(&wrap(rustls::Error::InvalidCertificate(
            CertificateError::Expired,
        )));
        assert!(matches!(
            expired,
            NetFailure::TlsFailed {
                cert_problem: Some(CertProblem::Expired),
                ..
            }
        ));
        let unknown = tls_failure(&wrap(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        )));
        assert!(matches!(
            unknown,
            NetFailure::TlsFailed {
                cert_problem: Some(CertProblem::UnknownIssuer),
                ..
            }
        ));
        let alert = tls_failure(&wrap(rustls::Error::AlertReceived(
            rustls::AlertDescription::HandshakeFailure,
        )));
        assert!(
            matches!(&alert, NetFailure::TlsFailed { detail, cert_problem: None } if detail.contains("HandshakeFailure"))
        );
        // A reset in the middle of the handshake is a reset, not a TLS problem.
        assert_eq!(
            tls_failure(&io::Error::from(K::ConnectionReset)),
            NetFailure::TcpReset
        );
        let eof = tls_failure(&io::Error::from(K::UnexpectedEof));
        assert!(matches!(
            eof,
            NetFailure::TlsFailed {
                cert_problem: None,
                ..
            }
        ));
    }
}
