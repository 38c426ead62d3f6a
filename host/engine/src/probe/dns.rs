//! DNS phase: resolve a host name to every A and AAAA address, with each answer's scope.
//!
//! Uses hickory's resolver, either with the system configuration or with explicit name
//! servers. The response cache is disabled so every check measures a real lookup.
//!
//! A and AAAA are asked in parallel, happy-eyeballs style (RFC 8305): once one family
//! has answered with addresses, the other gets [`RESOLUTION_DELAY`] more and the answers
//! that arrived are used (a resolver that never answers AAAA does not stall the check).
//! The whole lookup is bounded by the caller's budget; a lookup that hangs is a DNS
//! failure saying so, never a silent check timeout.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::Context;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use netcheck_runner_api::{DnsAnswer, DnsPhase};

use super::{classify, millis};

/// How long the slower address family may lag once the other answered (RFC 8305 §3).
pub const RESOLUTION_DELAY: Duration = Duration::from_millis(50);

/// The longest a lookup may take when the caller gives no budget.
const DEFAULT_BUDGET: Duration = Duration::from_secs(10);

pub(super) struct Dns {
    /// A queries.
    v4: TokioResolver,
    /// AAAA queries.
    v6: TokioResolver,
    /// The servers given, empty for the system configuration (for `Debug`).
    servers: Vec<SocketAddr>,
}

impl fmt::Debug for Dns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.servers.is_empty() {
            f.write_str("system resolver")
        } else {
            f.debug_list().entries(&self.servers).finish()
        }
    }
}

impl Dns {
    pub(super) fn new(nameservers: &[String]) -> anyhow::Result<Self> {
        let servers = nameservers
            .iter()
            .map(|s| parse_nameserver(s))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let v4 = resolver(&servers, LookupIpStrategy::Ipv4Only)?;
        let v6 = resolver(&servers, LookupIpStrategy::Ipv6Only)?;
        Ok(Dns { v4, v6, servers })
    }

    /// [`Dns::resolve_within`] with a generous budget.
    pub(super) async fn resolve(&self, host: &str) -> (DnsPhase, Vec<IpAddr>) {
        self.resolve_within(host, DEFAULT_BUDGET).await
    }

    /// Every A and AAAA address of `host` (A first), within `budget`.
    pub(super) async fn resolve_within(
        &self,
        host: &str,
        budget: Duration,
    ) -> (DnsPhase, Vec<IpAddr>) {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            let phase = DnsPhase {
                ms: 0.0,
                answers: vec![answer(ip)],
                error: None,
                note: None,
            };
            return (phase, vec![ip]);
        }
        let started = Instant::now();
        let (a, aaaa) = self.both_families(host, budget).await;
        let ms = millis(started.elapsed());
        let mut addrs: Vec<IpAddr> = Vec::new();
        for lookup in [&a, &aaaa].into_iter().flatten().flatten() {
            for ip in lookup.iter() {
                if !addrs.contains(&ip) {
                    addrs.push(ip);
                }
            }
        }
        let answers = addrs.iter().map(|ip| answer(*ip)).collect();
        let waited = || format!("no answer within {} ms", budget.as_millis());
        let (error, note) = match (&a, &aaaa) {
            _ if !addrs.is_empty() => {
                let missing: Vec<&str> = [("A", &a), ("AAAA", &aaaa)]
                    .into_iter()
                    .filter(|(_, r)| r.is_none())
                    .map(|(family, _)| family)
                    .collect();
                let note = (!missing.is_empty()).then(|| {
                    format!(
                        "the {} query got no answer within {} ms of the other: using the answers that arrived",
                        missing.join(" and "),
                        RESOLUTION_DELAY.as_millis()
                    )
                });
                (None, note)
            }
            (None, None) => (
                Some(format!(
                    "the DNS server sent no answer for A or AAAA ({})",
                    waited()
                )),
                None,
            ),
            (Some(Err(e)), _) | (_, Some(Err(e))) if !is_no_data(e) => {
                (Some(classify::dns_error(e)), None)
            }
            (None, _) | (_, None) => (
                Some(format!(
                    "the DNS server answered one address family with no records and never \
                     answered the other ({})",
                    waited()
                )),
                None,
            ),
            // NOERROR/NODATA for both: the name exists but has no address.
            _ => (None, None),
        };
        let phase = DnsPhase {
            ms,
            answers,
            error,
            note,
        };
        (phase, addrs)
    }

    /// The A and AAAA lookups, raced: `None` for a family that had not answered when the
    /// budget ran out or [`RESOLUTION_DELAY`] after the other family's addresses.
    async fn both_families(
        &self,
        host: &str,
        budget: Duration,
    ) -> (Option<Lookup>, Option<Lookup>) {
        let v4 = self.v4.lookup_ip(host);
        let v6 = self.v6.lookup_ip(host);
        tokio::pin!(v4, v6);
        let give_up = tokio::time::sleep(budget);
        tokio::pin!(give_up);
        let (mut a, mut aaaa) = (None, None);
        loop {
            tokio::select! {
                r = &mut v4, if a.is_none() => a = Some(r),
                r = &mut v6, if aaaa.is_none() => aaaa = Some(r),
                () = &mut give_up => break,
            }
            if a.is_some() && aaaa.is_some() {
                break;
            }
            let has_addresses =
                |r: &Option<Lookup>| matches!(r, Some(Ok(l)) if l.iter().next().is_some());
            if has_addresses(&a) || has_addresses(&aaaa) {
                let soon = tokio::time::Instant::now() + RESOLUTION_DELAY;
                if soon < give_up.deadline() {
                    give_up.as_mut().reset(soon);
                }
            }
        }
        (a, aaaa)
    }
}

/// One family's lookup result.
type Lookup = Result<hickory_resolver::lookup_ip::LookupIp, hickory_resolver::net::NetError>;

/// NOERROR with no records of that type (not NXDOMAIN): the name exists.
fn is_no_data(e: &hickory_resolver::net::NetError) -> bool {
    e.is_no_records_found() && !e.is_nx_domain()
}

/// A resolver for one address family: the system configuration, or `servers`.
fn resolver(servers: &[SocketAddr], strategy: LookupIpStrategy) -> anyhow::Result<TokioResolver> {
    let mut builder = if servers.is_empty() {
        TokioResolver::builder_tokio().map_err(|e| {
            anyhow::anyhow!(
                "reading the system DNS configuration (/etc/resolv.conf) failed: {e}; \
                 set `nameservers` in the configuration to choose DNS servers explicitly"
            )
        })?
    } else {
        let configs = servers.iter().map(|s| name_server(*s)).collect();
        let mut builder = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(configs),
            TokioRuntimeProvider::default(),
        );
        // The user chose these servers: answer from them, not from /etc/hosts.
        builder.options_mut().use_hosts_file = ResolveHosts::Never;
        builder
    };
    let opts = builder.options_mut();
    opts.ip_strategy = strategy;
    opts.cache_size = 0;
    opts.timeout = Duration::from_secs(3);
    opts.attempts = 2;
    builder.build().context("building the DNS resolver")
}

fn answer(ip: IpAddr) -> DnsAnswer {
    DnsAnswer {
        ip: ip.to_string(),
        scope: scope_of(ip).to_string(),
    }
}

fn name_server(addr: SocketAddr) -> NameServerConfig {
    let mut config = NameServerConfig::udp_and_tcp(addr.ip());
    for connection in &mut config.connections {
        connection.port = addr.port();
    }
    config
}

/// `10.0.0.2`, `10.0.0.2:5353`, `fd00::53`, `[fd00::53]:5353`; port 53 by default.
fn parse_nameserver(s: &str) -> anyhow::Result<SocketAddr> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 53));
    }
    anyhow::bail!(
        "nameserver `{s}` is not an IP address or IP:port (write `10.0.0.2`, `127.0.0.1:5353` or `[fd00::53]:53`)"
    )
}

/// `loopback`, `link-local`, `private` (RFC 1918, CGNAT 100.64/10, ULA fc00::/7) or
/// `public`. IPv4-mapped IPv6 addresses are judged by their IPv4 address; the
/// unspecified address counts as `loopback` (connecting to it reaches this host).
pub fn scope_of(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() || v4.is_unspecified() {
                "loopback"
            } else if v4.is_link_local() {
                "link-local"
            } else if v4.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
                "private"
            } else {
                "public"
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return scope_of(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() || v6.is_unspecified() {
                "loopback"
            } else if first & 0xffc0 == 0xfe80 {
                "link-local"
            } else if first & 0xfe00 == 0xfc00 {
                "private"
            } else {
                "public"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_test_support::scripted::DnsServer;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn scopes() {
        for (addr, scope) in [
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("172.32.0.1", "public"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "private"),
            ("100.127.255.254", "private"),
            ("100.128.0.1", "public"),
            ("127.0.0.1", "loopback"),
            ("169.254.169.254", "link-local"),
            ("52.94.1.1", "public"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("fd00::1", "private"),
            ("fc00::1", "private"),
            ("2600:1f18::1", "public"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:8.8.8.8", "public"),
            ("::ffff:127.0.0.1", "loopback"),
        ] {
            assert_eq!(scope_of(ip(addr)), scope, "{addr}");
        }
    }

    #[test]
    fn nameserver_forms() {
        assert_eq!(
            parse_nameserver("10.0.0.2").unwrap(),
            "10.0.0.2:53".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("[fd00::53]:54").unwrap(),
            "[fd00::53]:54".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("fd00::53").unwrap(),
            "[fd00::53]:53".parse().unwrap()
        );
        let err = parse_nameserver("dns.example").unwrap_err().to_string();
        assert!(
            err.contains("dns.example") && err.contains("127.0.0.1:5353"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn ip_literals_skip_dns() {
        let dns = Dns::new(&["127.0.0.1:9".to_string()]).unwrap();
        let (phase, addrs) = dns.resolve("10.9.8.7").await;
        assert_eq!(addrs, vec![ip("10.9.8.7")]);
        assert_eq!(
            phase.answers,
            vec![DnsAnswer {
                ip: "10.9.8.7".into(),
                scope: "private".into()
            }]
        );
        assert!(phase.error.is_none());
        let (phase, addrs) = dns.resolve("[::1]").await;
        assert_eq!(addrs, vec![ip("::1")]);
        assert_eq!(phase.answers[0].scope, "loopback");
    }

    #[tokio::test]
    async fn localhost_resolves_to_loopback_without_a_server() {
        // Port 9 (discard) has no DNS server: localhost must be answered locally.
        let dns = Dns::new(&["127.0.0.1:9".to_string()]).unwrap();
        let (phase, addrs) = dns.resolve("localhost").await;
        assert!(phase.error.is_none(), "{phase:?}");
        assert!(addrs.contains(&ip("127.0.0.1")), "{addrs:?}");
        assert!(
            phase.answers.iter().all(|a| a.scope == "loopback"),
            "{phase:?}"
        );
    }

    #[tokio::test]
    async fn made_up_name_from_a_local_server_with_scopes() {
        let server = DnsServer::start(&[
            ("db.netcheck.test", "10.1.2.3"),
            ("db.netcheck.test", "fd00::1"),
        ])
        .await;
        let dns = Dns::new(&[server.addr.to_string()]).unwrap();
        let (phase, addrs) = dns.resolve("db.netcheck.test").await;
        assert!(phase.error.is_none(), "{phase:?}");
        assert_eq!(addrs, vec![ip("10.1.2.3"), ip("fd00::1")]);
        assert_eq!(
            phase.answers,
            vec![
                DnsAnswer {
                    ip: "10.1.2.3".into(),
                    scope: "private".into()
                },
                DnsAnswer {
                    ip: "fd00::1".into(),
                    scope: "private".into()
                },
            ]
        );
        assert!(phase.ms > 0.0);
        assert!(server.queries() >= 2, "A and AAAA were asked");
    }

    #[tokio::test]
    async fn unknown_name_is_a_dns_failure() {
        let server = DnsServer::start(&[("db.netcheck.test", "10.1.2.3")]).await;
        let dns = Dns::new(&[server.addr.to_string()]).unwrap();
        let (phase, addrs) = dns.resolve("nope.netcheck.test").await;
        assert!(addrs.is_empty());
        let error = phase.error.expect("an NXDOMAIN is an error");
        assert!(error.contains("does not exist"), "{error}");
    }

    #[tokio::test]
    async fn name_without_addresses_is_not_an_error() {
        let server = DnsServer::start(&[
            ("v6only.netcheck.test", "fd00::7"),
            ("empty.netcheck.test", ""),
        ])
        .await;
        let dns = Dns::new(&[server.addr.to_string()]).unwrap();
        let (phase, addrs) = dns.resolve("v6only.netcheck.test").await;
        assert_eq!(addrs, vec![ip("fd00::7")], "{phase:?}");
        let (phase, addrs) = dns.resolve("empty.netcheck.test").await;
        assert!(addrs.is_empty());
        assert!(phase.error.is_none(), "NOERROR/NODATA: {phase:?}");
    }

    #[tokio::test]
    async fn a_resolver_that_never_answers_aaaa_does_not_stall_the_lookup() {
        let server = DnsServer::without_aaaa(&[("db.netcheck.test", "10.1.2.3")]).await;
        let dns = Dns::new(&[server.addr.to_string()]).unwrap();
        let started = Instant::now();
        let (phase, addrs) = dns
            .resolve_within("db.netcheck.test", Duration::from_secs(5))
            .await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "waited {:?} for the AAAA answer",
            started.elapsed()
        );
        assert_eq!(addrs, vec![ip("10.1.2.3")]);
        assert!(phase.error.is_none(), "{phase:?}");
        let note = phase.note.expect("the missing AAAA answer is noted");
        assert!(note.contains("AAAA"), "{note}");
    }

    #[tokio::test]
    async fn a_silent_resolver_is_a_dns_failure_within_the_budget() {
        let server = DnsServer::silent().await;
        let dns = Dns::new(&[server.addr.to_string()]).unwrap();
        let (phase, addrs) = dns
            .resolve_within("db.netcheck.test", Duration::from_millis(400))
            .await;
        assert!(addrs.is_empty());
        let error = phase.error.expect("a hung lookup is a DNS error");
        assert!(error.contains("no answer within 400 ms"), "{error}");
        assert!(phase.ms >= 400.0 && phase.ms < 1500.0, "{}", phase.ms);
        assert!(server.queries() >= 2, "A and AAAA were both asked");
    }
}
