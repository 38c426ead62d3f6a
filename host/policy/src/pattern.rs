//! Target patterns: which endpoints a `targets.allow`/`targets.deny` entry (or a
//! `signing.hosts` entry) names.
//!
//! ```text
//! 10.0.0.0/8  fd00::/8            a CIDR: any scheme, any port
//! 10.0.0.5    [fd00::5]           one address: any scheme, any port
//! *.corp.example                  a name; `*` is a whole label matching one or more labels
//! db.corp.example:5432            ... on one port (`:*` = any port)
//! https://*.corp.example          ... with one scheme (http, https, tcp, tls; `*` = any)
//! tcp://*:22                      any host, scheme tcp, port 22
//! *                               every host
//! ```
//!
//! Hosts in patterns are read like targets ([`read_host`]), so `0xA9FEA9FE` in a
//! pattern is 169.254.169.254 and `API.Corp.Example.` is `api.corp.example`. A pattern
//! has no path, query or user name.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};
use serde::Deserialize;

use super::address::{HostForm, canonical, read_host};

/// Schemes a pattern may name: those netcheck probes.
pub(crate) const SCHEMES: [&str; 4] = ["http", "https", "tcp", "tls"];

/// At most this many `*` labels in one name pattern (matching is a small backtracking
/// search; this keeps it trivially cheap).
const MAX_WILDCARDS: usize = 4;

/// Which hosts a pattern names (a `signing.hosts` entry, or a target pattern's host).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum HostPattern {
    /// `*`: every host, names and addresses alike.
    Any,
    /// Lower-case DNS labels; a `*` label matches one or more labels.
    Name(Vec<String>),
    /// One address (as a /32 or /128) or a CIDR; IPv4-mapped IPv6 stored as IPv4.
    Net(IpNet),
}

impl HostPattern {
    /// Parses `*`, a CIDR, an address in any spelling, or a name pattern.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "*" {
            return Ok(HostPattern::Any);
        }
        if text.contains('/') {
            return parse_cidr(text).map(HostPattern::Net);
        }
        match read_host(text)? {
            HostForm::Ip(ip) => Ok(HostPattern::Net(IpNet::from(ip))),
            HostForm::Name(name) => {
                let labels: Vec<String> = name.split('.').map(str::to_string).collect();
                if labels.iter().any(|l| l.contains('*') && l != "*") {
                    return Err(format!(
                        "`{text}`: `*` must be a whole label (e.g. *.corp.example)"
                    ));
                }
                if labels.iter().filter(|l| *l == "*").count() > MAX_WILDCARDS {
                    return Err(format!("`{text}` has more than {MAX_WILDCARDS} `*` labels"));
                }
                Ok(HostPattern::Name(labels))
            }
        }
    }

    /// Whether the pattern names the DNS name `name` (lower-case, no trailing dot).
    pub(crate) fn matches_name(&self, name: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Name(labels) => {
                let host: Vec<&str> = name.split('.').collect();
                labels_match(labels, &host)
            }
            HostPattern::Net(_) => false,
        }
    }

    /// Whether the pattern names the address `ip`.
    pub(crate) fn matches_ip(&self, ip: IpAddr) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Name(_) => false,
            HostPattern::Net(net) => net.contains(&canonical(ip)),
        }
    }

    /// Whether the pattern names `host` as read by [`read_host`].
    pub(crate) fn matches(&self, host: &HostForm) -> bool {
        match host {
            HostForm::Ip(ip) => self.matches_ip(*ip),
            HostForm::Name(name) => self.matches_name(name),
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Any => f.write_str("*"),
            HostPattern::Name(labels) => f.write_str(&labels.join(".")),
            HostPattern::Net(net) if net.prefix_len() == net.max_prefix_len() => {
                write!(f, "{}", net.addr())
            }
            HostPattern::Net(net) => write!(f, "{net}"),
        }
    }
}

/// Written as its text, which [`HostPattern::parse`] reads back to an equal pattern.
impl serde::Serialize for HostPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl TryFrom<String> for HostPattern {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        HostPattern::parse(s.trim())
    }
}

/// `*` matches one or more labels; other labels match themselves.
fn labels_match(pattern: &[String], host: &[&str]) -> bool {
    match pattern.split_first() {
        None => host.is_empty(),
        Some((first, rest)) if first == "*" => {
            (1..=host.len()).any(|n| labels_match(rest, &host[n..]))
        }
        Some((first, rest)) => {
            host.first().is_some_and(|l| l == first) && labels_match(rest, &host[1..])
        }
    }
}

/// Parses `10.0.0.0/8` or `fd00::/8` (also `[fd00::]/8`); host bits must be zero.
/// IPv4-mapped IPv6 CIDRs (`::ffff:10.0.0.0/104`) are stored as IPv4 (`10.0.0.0/8`).
pub(crate) fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let not_cidr = || format!("`{text}` is not a CIDR (expected e.g. 10.0.0.0/8 or fd00::/8)");
    let (addr, len) = text.split_once('/').ok_or_else(not_cidr)?;
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let ip: IpAddr = addr.parse().map_err(|_| not_cidr())?;
    let len: u8 = len.parse().map_err(|_| not_cidr())?;
    let net = IpNet::new(ip, len).map_err(|_| {
        let hint = if ip.is_ipv4() {
            "10.0.0.0/8"
        } else {
            "fd00::/8"
        };
        format!("`{text}` is not a CIDR (expected e.g. {hint})")
    })?;
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has bits set after the /{len} prefix; write `{}` for that network \
             or `{}` for that one address",
            net.trunc(),
            IpNet::from(ip)
        ));
    }
    Ok(unmap(net))
}

/// `::ffff:a.b.c.d/96+n` becomes `a.b.c.d/n`, so rules see mapped addresses as IPv4.
fn unmap(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && v6.prefix_len() >= 96
        && let Some(v4) = v6.network().to_ipv4_mapped()
        && let Ok(net4) = Ipv4Net::new(v4, v6.prefix_len() - 96)
    {
        return IpNet::V4(net4);
    }
    net
}

/// One `targets.allow`/`targets.deny` entry: optional scheme, host pattern, optional port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct TargetPattern {
    text: String,
    scheme: Option<String>,
    pub(crate) host: HostPattern,
    port: Option<u16>,
}

impl TargetPattern {
    /// Parses a pattern; the error says what is wrong and shows an example.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(
                "a pattern is empty (expected e.g. `10.0.0.0/8` or `https://*.corp.example`)"
                    .into(),
            );
        }
        let (scheme, rest) = match trimmed.split_once("://") {
            Some((scheme, rest)) => (Some(parse_scheme(trimmed, scheme)?), rest),
            None => (None, trimmed),
        };
        if scheme.is_none() && rest.contains('/') {
            let net = parse_cidr(rest)?;
            return Ok(TargetPattern {
                text: trimmed.to_string(),
                scheme: None,
                host: HostPattern::Net(net),
                port: None,
            });
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if let Some(at) = authority.find(['/', '?', '#']) {
            return Err(format!(
                "`{trimmed}`: a pattern names scheme, host and port only; remove `{}`",
                &authority[at..]
            ));
        }
        if authority.contains('@') {
            return Err(format!(
                "`{trimmed}`: a pattern has no user name; remove the part before `@`"
            ));
        }
        let (host, port) = split_host_port(trimmed, authority)?;
        let host = HostPattern::parse(host).map_err(|e| format!("pattern `{trimmed}`: {e}"))?;
        Ok(TargetPattern {
            text: trimmed.to_string(),
            scheme: scheme.filter(|s| s != "*"),
            host,
            port,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn scheme_and_port_match(&self, scheme: &str, port: u16) -> bool {
        self.scheme
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(scheme))
            && self.port.is_none_or(|p| p == port)
    }

    /// Whether the pattern names the endpoint `scheme://name:port`, `name` a DNS name.
    pub(crate) fn matches_name(&self, scheme: &str, name: &str, port: u16) -> bool {
        self.scheme_and_port_match(scheme, port) && self.host.matches_name(name)
    }

    /// Whether the pattern names the endpoint `scheme://ip:port`.
    pub(crate) fn matches_ip(&self, scheme: &str, ip: IpAddr, port: u16) -> bool {
        self.scheme_and_port_match(scheme, port) && self.host.matches_ip(ip)
    }

    /// The address range the pattern names exactly, if its host is an address or CIDR.
    pub(crate) fn net(&self) -> Option<IpNet> {
        match self.host {
            HostPattern::Net(net) => Some(net),
            _ => None,
        }
    }

    /// Whether the pattern's host is an address or CIDR (decided on addresses).
    pub(crate) fn is_address(&self) -> bool {
        matches!(self.host, HostPattern::Net(_))
    }
}

impl fmt::Display for TargetPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Written as the pattern's text, as the user wrote it.
impl serde::Serialize for TargetPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl FromStr for TargetPattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        TargetPattern::parse(s)
    }
}

impl TryFrom<String> for TargetPattern {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        TargetPattern::parse(&s)
    }
}

fn parse_scheme(pattern: &str, scheme: &str) -> Result<String, String> {
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "*" || SCHEMES.contains(&scheme.as_str()) {
        Ok(scheme)
    } else {
        Err(format!(
            "`{pattern}`: unknown scheme `{scheme}` (expected {} or *)",
            SCHEMES.join(", ")
        ))
    }
}

/// Splits `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
fn split_host_port<'a>(
    pattern: &str,
    authority: &'a str,
) -> Result<(&'a str, Option<u16>), String> {
    if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or_else(|| format!("`{pattern}`: `[` is not closed by `]`"))?;
        let (host, rest) = authority.split_at(close + 1);
        return match rest {
            "" => Ok((host, None)),
            _ => match rest.strip_prefix(':') {
                Some(port) => Ok((host, parse_port(pattern, port)?)),
                None => Err(format!(
                    "`{pattern}`: expected `:port` after `]`, got `{rest}`"
                )),
            },
        };
    }
    match authority.matches(':').count() {
        0 => Ok((authority, None)),
        1 => {
            let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
            Ok((host, parse_port(pattern, port)?))
        }
        // A bare IPv6 address; with a port it would need brackets.
        _ => Ok((authority, None)),
    }
}

fn parse_port(pattern: &str, port: &str) -> Result<Option<u16>, String> {
    if port == "*" {
        return Ok(None);
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(Some(p)),
        _ => Err(format!(
            "`{pattern}`: port `{port}` is not a number from 1 to 65535 (or `*` for any port)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> TargetPattern {
        TargetPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn cidrs_match_addresses_on_any_scheme_and_port() {
        let net = p("10.0.0.0/8");
        assert!(net.matches_ip("tcp", ip("10.1.2.3"), 22));
        assert!(net.matches_ip("https", ip("::ffff:10.1.2.3"), 443));
        assert!(!net.matches_ip("https", ip("11.0.0.1"), 443));
        assert!(!net.matches_name("https", "10.example", 443));
        let v6 = p("fd00::/8");
        assert!(v6.matches_ip("https", ip("fd00:ec2::254"), 443));
        assert!(!v6.matches_ip("https", ip("fe80::1"), 443));
        let mapped = p("::ffff:169.254.0.0/112");
        assert_eq!(mapped.net(), Some("169.254.0.0/16".parse().unwrap()));
    }

    #[test]
    fn cidr_errors_say_what_was_expected() {
        assert_eq!(
            TargetPattern::parse("10.0.0.0/33").unwrap_err(),
            "`10.0.0.0/33` is not a CIDR (expected e.g. 10.0.0.0/8)"
        );
        assert!(
            TargetPattern::parse("10.0.0/8")
                .unwrap_err()
                .contains("is not a CIDR")
        );
        assert!(
            TargetPattern::parse("fd00::/129")
                .unwrap_err()
                .contains("fd00::/8")
        );
        let e = TargetPattern::parse("10.0.0.5/8").unwrap_err();
        assert!(
            e.contains("write `10.0.0.0/8`") && e.contains("10.0.0.5/32"),
            "{e}"
        );
    }

    #[test]
    fn name_patterns_use_whole_label_wildcards() {
        let pat = p("https://*.corp.example");
        assert!(pat.matches_name("https", "api.corp.example", 443));
        assert!(pat.matches_name("HTTPS", "a.b.corp.example", 8443));
        assert!(!pat.matches_name("https", "corp.example", 443));
        assert!(!pat.matches_name("http", "api.corp.example", 80));
        assert!(!pat.matches_name("https", "api.corp.example.evil", 443));
        let mid = p("kms.*.amazonaws.com:443");
        assert!(mid.matches_name("https", "kms.eu-west-1.amazonaws.com", 443));
        assert!(!mid.matches_name("https", "kms.eu-west-1.amazonaws.com", 8443));
        assert!(
            TargetPattern::parse("api-*.corp")
                .unwrap_err()
                .contains("whole label")
        );
        assert!(p("Db.Corp.Example.:5432").matches_name("tcp", "db.corp.example", 5432));
    }

    #[test]
    fn any_host_and_ports() {
        let ssh = p("tcp://*:22");
        assert!(ssh.matches_name("tcp", "bastion.example", 22));
        assert!(ssh.matches_ip("tcp", ip("10.0.0.1"), 22));
        assert!(!ssh.matches_ip("tcp", ip("10.0.0.1"), 2222));
        assert!(p("*").matches_ip("https", ip("8.8.8.8"), 1));
        assert!(p("*://example.com:*").matches_name("tls", "example.com", 636));
    }

    #[test]
    fn address_patterns_accept_any_spelling() {
        for text in [
            "169.254.169.254",
            "0xA9FEA9FE",
            "http://2852039166:80",
            "[::ffff:169.254.169.254]",
            "::ffff:a9fe:a9fe",
        ] {
            assert_eq!(
                p(text).net(),
                Some("169.254.169.254/32".parse().unwrap()),
                "{text}"
            );
        }
        assert_eq!(
            p("[fd00:ec2::254]:80").net(),
            Some("fd00:ec2::254/128".parse().unwrap())
        );
    }

    #[test]
    fn malformed_patterns_are_refused_with_the_reason() {
        for (text, needle) in [
            ("", "empty"),
            ("ftp://example.com", "unknown scheme `ftp`"),
            ("https://example.com/path", "remove `/path`"),
            ("https://user@example.com", "no user name"),
            ("example.com:99999", "not a number from 1 to 65535"),
            ("example.com:0", "not a number from 1 to 65535"),
            ("[fd00::1", "not closed"),
            ("exa mple.com", "whitespace"),
        ] {
            let e = TargetPattern::parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
