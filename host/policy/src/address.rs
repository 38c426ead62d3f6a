//! Reading a host the way the network stack would, so no spelling of an address slips
//! past a rule written for another spelling.
//!
//! A host is read as IPv4 the way `inet_aton` reads it (decimal `2852039166`, hex
//! `0xA9FEA9FE`, octal `0251.0376.0251.0376`, short forms `169.254.43518`, mixed bases)
//! and the way URL parsers read it (percent-encoding, full-width digits and other IDNA
//! mappings, a trailing dot). IPv6 is accepted with or without brackets and with a zone
//! id. IPv4-mapped IPv6 (`::ffff:169.254.169.254`, `::ffff:a9fe:a9fe`) *is* the IPv4
//! address; IPv4-compatible (`::a9fe:a9fe`), SIIT-translated (`::ffff:0:a9fe:a9fe`) and
//! NAT64 (`64:ff9b::a9fe:a9fe`) addresses also carry an IPv4 address that rules must
//! see, because a translator may deliver the packet there.
//!
//! ```
//! # use netcheck_policy::{HostForm, read_host};
//! use std::net::{IpAddr, Ipv4Addr};
//! let imds = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));
//! for spelling in ["2852039166", "0xA9FEA9FE", "0251.0376.0251.0376", "169.254.43518",
//!                  "[::ffff:a9fe:a9fe]", "::ffff:169.254.169.254", "169.254.169.254."] {
//!     assert_eq!(read_host(spelling), Ok(HostForm::Ip(imds)), "{spelling}");
//! }
//! assert_eq!(read_host("API.Example.com."), Ok(HostForm::Name("api.example.com".into())));
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a host is once read: an IP address (IPv4-mapped IPv6 turned into IPv4) or a
/// lower-case ASCII DNS name without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostForm {
    Ip(IpAddr),
    Name(String),
}

/// Reads `host` (a URL's host part, as configured or redirected to) into a [`HostForm`].
///
/// Errors say why the host is not a usable name or address; the policy refuses such hosts
/// rather than guess what a resolver would make of them.
pub fn read_host(host: &str) -> Result<HostForm, String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "host {host:?} contains whitespace or control characters"
        ));
    }
    if let Some(inner) = host.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| format!("host `{host}` opens `[` but does not close it"))?;
        return read_ipv6(inner).map(HostForm::Ip);
    }
    if host.contains(':') {
        return read_ipv6(host).map(HostForm::Ip);
    }
    // One trailing dot is the DNS root: `169.254.169.254.` and `example.com.` are read
    // without it (some resolvers would, and rules must not be dodged by it).
    let trimmed = host.strip_suffix('.').unwrap_or(host);
    if trimmed.is_empty() || trimmed.ends_with('.') || trimmed.starts_with('.') {
        return Err(format!("host `{host}` has an empty label"));
    }
    let lower = trimmed.to_ascii_lowercase();
    if let Some(v4) = inet_aton(&lower) {
        return Ok(HostForm::Ip(IpAddr::V4(v4)));
    }
    match url::Host::parse(trimmed) {
        Ok(url::Host::Ipv4(v4)) => Ok(HostForm::Ip(IpAddr::V4(v4))),
        Ok(url::Host::Ipv6(v6)) => Ok(HostForm::Ip(canonical(IpAddr::V6(v6)))),
        Ok(url::Host::Domain(name)) => {
            let name = name.strip_suffix('.').unwrap_or(&name).to_string();
            if name.split('.').any(str::is_empty) {
                return Err(format!("host `{host}` has an empty label"));
            }
            // Percent-decoding or IDNA mapping may have produced an address (`%30x7f.1`).
            match inet_aton(&name) {
                Some(v4) => Ok(HostForm::Ip(IpAddr::V4(v4))),
                None => Ok(HostForm::Name(name)),
            }
        }
        Err(e) => Err(format!(
            "host `{host}` is not a valid name or address ({e})"
        )),
    }
}

/// Reads an IPv6 address, without brackets, ignoring a zone id (`fe80::1%eth0`).
fn read_ipv6(text: &str) -> Result<IpAddr, String> {
    let addr = text.split_once('%').map_or(text, |(a, _zone)| a);
    addr.parse::<Ipv6Addr>()
        .map(|v6| canonical(IpAddr::V6(v6)))
        .map_err(|_| {
            if text.matches(':').count() == 1 {
                format!("host `{text}` contains a port; give the host alone")
            } else {
                format!("`{text}` is not a valid IPv6 address")
            }
        })
}

/// Reads an IPv4 address the way glibc's `inet_aton` does: one to four parts separated
/// by dots, each decimal, octal (leading `0`) or hex (leading `0x`); the last part fills
/// the remaining bytes (`10.1` is 10.0.0.1, `2852039166` is 169.254.169.254).
pub(crate) fn inet_aton(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let numbers = parts
        .iter()
        .map(|p| inet_aton_part(p))
        .collect::<Option<Vec<u64>>>()?;
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|&n| n > 0xff) {
        return None;
    }
    let last_bits = 32 - 8 * init.len() as u32;
    if *last >> last_bits != 0 {
        return None;
    }
    let mut value = *last as u32;
    for (i, &n) in init.iter().enumerate() {
        value |= (n as u32) << (24 - 8 * i as u32);
    }
    Some(Ipv4Addr::from(value))
}

fn inet_aton_part(part: &str) -> Option<u64> {
    let (digits, radix) =
        if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            // `0x` alone is 0 to inet_aton in some positions and to URL parsers: read it so.
            if hex.is_empty() {
                return Some(0);
            }
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Leading zeros cannot overflow; anything longer than a u64 is not an address.
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(significant, radix).ok()
}

/// The address with IPv4-mapped IPv6 (`::ffff:a.b.c.d`) turned into IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Every address a packet to `ip` may end up at: the canonical address, plus the IPv4
/// address embedded in an IPv4-compatible (`::a.b.c.d`, except `::` and `::1`),
/// SIIT-translated (`::ffff:0:a.b.c.d`) or NAT64 well-known-prefix (`64:ff9b::a.b.c.d`)
/// address.
pub fn destinations(ip: IpAddr) -> Vec<IpAddr> {
    let ip = canonical(ip);
    let mut out = vec![ip];
    if let IpAddr::V6(v6) = ip {
        let s = v6.segments();
        let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        let compatible = s[..6] == [0; 6] && u32::from(low) > 1;
        let siit = s[..6] == [0, 0, 0, 0, 0xffff, 0];
        let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
        if compatible || siit || nat64 {
            out.push(IpAddr::V4(low));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: u8, b: u8, c: u8, d: u8) -> HostForm {
        HostForm::Ip(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
    }

    #[test]
    fn every_ipv4_spelling_of_the_metadata_address_is_read_as_it() {
        for spelling in [
            "169.254.169.254",
            "2852039166",
            "0xA9FEA9FE",
            "0xa9fea9fe",
            "0251.0376.0251.0376",
            "0251.254.0xa9.254",
            "169.254.43518",
            "169.16689662",
            "0xa9.0xfe.0xa9.0xfe",
            "0000251.0376.0251.0376",
            "169.254.169.254.",
            "%31%36%39.254.169.254",
            "\u{ff11}\u{ff16}\u{ff19}.254.169.254",
            "[::ffff:169.254.169.254]",
            "[::ffff:a9fe:a9fe]",
            "::ffff:a9fe:a9fe",
            "::FFFF:169.254.169.254",
        ] {
            assert_eq!(
                read_host(spelling),
                Ok(v4(169, 254, 169, 254)),
                "{spelling}"
            );
        }
    }

    #[test]
    fn inet_aton_follows_glibc() {
        assert_eq!(inet_aton("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("127.1.2"), Some(Ipv4Addr::new(127, 1, 0, 2)));
        assert_eq!(inet_aton("0"), Some(Ipv4Addr::new(0, 0, 0, 0)));
        assert_eq!(inet_aton("4294967295"), Some(Ipv4Addr::BROADCAST));
        assert_eq!(inet_aton("4294967296"), None);
        assert_eq!(inet_aton("256.1.1.1"), None);
        assert_eq!(inet_aton("1.256.1"), None);
        assert_eq!(inet_aton("1.1.65536"), None);
        assert_eq!(inet_aton("08.1.1.1"), None, "8 is not an octal digit");
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("1..2"), None);
        assert_eq!(inet_aton("example"), None);
        assert_eq!(inet_aton("0x1g"), None);
        assert_eq!(inet_aton("99999999999999999999999"), None);
    }

    #[test]
    fn names_are_lower_case_ascii_without_the_root_dot() {
        assert_eq!(
            read_host("KMS.eu-west-1.AmazonAWS.com."),
            Ok(HostForm::Name("kms.eu-west-1.amazonaws.com".into()))
        );
        assert_eq!(
            read_host("bücher.example"),
            Ok(HostForm::Name("xn--bcher-kva.example".into()))
        );
        assert_eq!(
            read_host("localhost"),
            Ok(HostForm::Name("localhost".into()))
        );
    }

    #[test]
    fn bad_hosts_are_errors_not_guesses() {
        for bad in [
            "",
            "169.254.169.254 x",
            "a\tb",
            "[::1",
            "::ffff:0xa9.1.1.1",
            "a..b",
            ".",
            "..",
            "exa mple.com",
            "1.2.3.4.5",
        ] {
            assert!(read_host(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(
            read_host("example.com:443")
                .unwrap_err()
                .contains("contains a port")
        );
    }

    #[test]
    fn ipv6_with_zone_or_brackets() {
        let ll: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(read_host("fe80::1%eth0"), Ok(HostForm::Ip(ll)));
        assert_eq!(read_host("[fe80::1%25eth0]"), Ok(HostForm::Ip(ll)));
        let imds6: IpAddr = "fd00:ec2::254".parse().unwrap();
        assert_eq!(
            read_host("[FD00:EC2:0:0:0:0:0:254]"),
            Ok(HostForm::Ip(imds6))
        );
    }

    #[test]
    fn embedded_ipv4_destinations() {
        let imds = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));
        for v6 in ["::a9fe:a9fe", "::ffff:0:a9fe:a9fe", "64:ff9b::a9fe:a9fe"] {
            let ip: IpAddr = v6.parse().unwrap();
            assert_eq!(destinations(ip), vec![ip, imds], "{v6}");
        }
        let mapped: IpAddr = "::ffff:a9fe:a9fe".parse().unwrap();
        assert_eq!(destinations(mapped), vec![imds]);
        let loopback: IpAddr = "::1".parse().unwrap();
        assert_eq!(destinations(loopback), vec![loopback]);
        let other: IpAddr = "2001:db8::a9fe:a9fe".parse().unwrap();
        assert_eq!(destinations(other), vec![other]);
    }
}
