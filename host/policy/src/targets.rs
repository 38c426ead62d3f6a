//! `[targets]`: which endpoints may be probed.
//!
//! Three kinds of rule, checked in this order, the first refusal wins:
//!
//! 1. **Built-in denies**, present even without a policy file: the instance metadata
//!    service, the ECS and EKS Pod Identity credential endpoints, and link-local
//!    addresses. Only a policy `targets.allow` entry whose address or CIDR contains the
//!    address *and is at least as specific as the built-in rule* lifts one: the IMDS
//!    rule is a /32, so `169.254.169.254/32` (or `http://169.254.169.254:80`) lifts it
//!    but `169.254.0.0/16` or `0.0.0.0/0` do not; `169.254.0.0/16` does lift the
//!    link-local rule for the *other* link-local addresses. Name patterns never lift a
//!    built-in rule, and neither do a user config's restrictions.
//! 2. **Deny entries** (`targets.deny`, then a user config's extra denies).
//! 3. **Allow lists**: when a list is non-empty, a target must match one of its entries.
//!    Every list must agree (the policy's, then a user config's).
//!
//! Rules are enforced twice: on the configured URL ([`TargetRules::check_name`]) and on
//! every address the host resolves to ([`TargetRules::check_resolved`]), and again on
//! each redirect ([`TargetRules::check_redirect`]). A name target passes an allow list
//! at name time if a name pattern matches it, or if the list has address entries (the
//! resolved address then has to match one).

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::address::{HostForm, canonical, destinations, read_host};
use super::error::Violation;
use super::pattern::{HostPattern, TargetPattern};
use netcheck_runner_api::redact_url;

/// One address rule of the built-in deny list.
pub(crate) struct Builtin {
    /// Shown in the rule name: `built-in: instance metadata`.
    pub label: &'static str,
    /// What the address is, for messages.
    pub what: &'static str,
    pub nets: &'static [IpNet],
    /// DNS names that mean the same service (refused before resolution).
    pub names: &'static [&'static str],
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> IpNet {
    IpNet::V4(Ipv4Net::new_assert(
        std::net::Ipv4Addr::new(a, b, c, d),
        len,
    ))
}

const fn v6(segments: [u16; 8], len: u8) -> IpNet {
    let [a, b, c, d, e, f, g, h] = segments;
    IpNet::V6(Ipv6Net::new_assert(
        std::net::Ipv6Addr::new(a, b, c, d, e, f, g, h),
        len,
    ))
}

/// Refused even without a policy file; see the module docs for how one is lifted.
pub(crate) const BUILTINS: [Builtin; 4] = [
    Builtin {
        label: "instance metadata",
        what: "the EC2 instance metadata service (IMDS), which hands out the instance role's credentials",
        nets: &[
            v4(169, 254, 169, 254, 32),
            v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128),
        ],
        names: &["instance-data", "instance-data.ec2.internal"],
    },
    Builtin {
        label: "ECS credentials",
        what: "the ECS container credentials endpoint",
        nets: &[v4(169, 254, 170, 2, 32)],
        names: &[],
    },
    Builtin {
        label: "EKS Pod Identity credentials",
        what: "the EKS Pod Identity agent, which hands out pod credentials",
        nets: &[
            v4(169, 254, 170, 23, 32),
            v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23], 128),
        ],
        names: &[],
    },
    Builtin {
        label: "link-local",
        what: "a link-local address (instance and cloud-provider services live there)",
        nets: &[
            v4(169, 254, 0, 0, 16),
            v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
        ],
        names: &[],
    },
];

/// The most specific built-in rule covering `ip`, with the network that matched.
fn builtin_for(ip: IpAddr) -> Option<(&'static Builtin, IpNet)> {
    BUILTINS
        .iter()
        .flat_map(|b| b.nets.iter().map(move |n| (b, *n)))
        .filter(|(_, n)| n.contains(&ip))
        .max_by_key(|(_, n)| n.prefix_len())
}

/// The label of the most specific built-in rule covering `ip`.
pub(crate) fn builtin_label(ip: IpAddr) -> Option<&'static str> {
    builtin_for(ip).map(|(b, _)| b.label)
}

/// One deny entry and where it was written.
#[derive(Debug, Clone)]
pub(crate) struct DenyEntry {
    pub pattern: TargetPattern,
    /// `targets.deny[2]`, `restrict.targets_deny[0]`.
    pub rule: String,
    pub source: String,
}

/// One non-empty allow list and where it was written.
#[derive(Debug, Clone)]
pub(crate) struct AllowList {
    pub entries: Vec<TargetPattern>,
    /// `targets.allow`, `restrict.targets_allow`.
    pub rule: String,
    pub source: String,
    /// Only the policy file's own list may lift built-in denies.
    pub lifts_builtins: bool,
}

impl AllowList {
    fn allows_name(&self, scheme: &str, name: &str, port: u16) -> bool {
        self.entries
            .iter()
            .any(|p| p.matches_name(scheme, name, port))
    }

    fn allows_ip(&self, scheme: &str, ip: IpAddr, port: u16) -> bool {
        self.entries.iter().any(|p| p.matches_ip(scheme, ip, port))
    }

    fn has_addresses(&self) -> bool {
        self.entries.iter().any(TargetPattern::is_address)
    }

    fn listing(&self) -> String {
        let shown: Vec<String> = self
            .entries
            .iter()
            .take(5)
            .map(|p| format!("`{p}`"))
            .collect();
        let more = self.entries.len().saturating_sub(5);
        match more {
            0 => shown.join(", "),
            n => format!("{}, and {n} more", shown.join(", ")),
        }
    }
}

/// All target rules of a policy, narrowed or not.
#[derive(Debug, Clone, Default)]
pub(crate) struct TargetRules {
    pub deny: Vec<DenyEntry>,
    pub allow: Vec<AllowList>,
    /// Where the policy came from, for built-in rules and unreadable hosts.
    pub source: String,
}

/// `scheme://host:port`, IPv6 hosts in brackets.
pub(crate) fn show_target(scheme: &str, host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("{scheme}://[{host}]:{port}")
    } else {
        format!("{scheme}://{host}:{port}")
    }
}

impl TargetRules {
    /// Checks the configured endpoint `scheme://host:port` before anything is resolved.
    pub(crate) fn check_name(&self, scheme: &str, host: &str, port: u16) -> Result<(), Violation> {
        let scheme = scheme.to_ascii_lowercase();
        let item = show_target(&scheme, host, port);
        let form = self.read(&item, host)?;
        match &form {
            HostForm::Ip(ip) => {
                let what = if ip.to_string() == host {
                    format!("{ip}")
                } else {
                    format!("`{host}` (the address {ip})")
                };
                let by_name = vec![false; self.allow.len()];
                self.check_ip(&scheme, &item, *ip, port, &by_name, &what)
            }
            HostForm::Name(name) => self.check_name_rules(&scheme, &item, name, port),
        }
    }

    /// Checks an address `host` resolved to, just before connecting to it. Runs the
    /// name checks too, so it is enough on its own at probe time.
    pub(crate) fn check_resolved(
        &self,
        scheme: &str,
        host: &str,
        port: u16,
        ip: IpAddr,
    ) -> Result<(), Violation> {
        self.check_name(scheme, host, port)?;
        let scheme = scheme.to_ascii_lowercase();
        let item = show_target(&scheme, host, port);
        let form = self.read(&item, host)?;
        let by_name: Vec<bool> = self
            .allow
            .iter()
            .map(|list| match &form {
                HostForm::Name(name) => list.allows_name(&scheme, name, port),
                HostForm::Ip(_) => false,
            })
            .collect();
        let what = format!("{} (the address `{host}` resolved to)", canonical(ip));
        self.check_ip(&scheme, &item, ip, port, &by_name, &what)
    }

    /// Checks the URL a redirect leads to (`to_url`, absolute or relative to `from_url`).
    /// Only http and https redirects are followed.
    pub(crate) fn check_redirect(&self, from_url: &str, to_url: &str) -> Result<(), Violation> {
        let from_shown = redact_url(from_url);
        let to = url::Url::parse(from_url)
            .and_then(|base| base.join(to_url))
            .or_else(|_| url::Url::parse(to_url));
        let to_shown = to
            .as_ref()
            .map_or_else(|_| redact_url(to_url), |u| redact_url(u.as_str()));
        let refuse = |message: String| {
            Violation::new(
                "redirects",
                to_shown.clone(),
                format!("redirect from `{from_shown}`: {message}"),
                &self.source,
            )
        };
        let to = to.map_err(|e| refuse(format!("the new location is not a valid URL ({e})")))?;
        let scheme = to.scheme();
        if !matches!(scheme, "http" | "https") {
            return Err(refuse(format!(
                "a redirect may only lead to http or https, not `{scheme}`"
            )));
        }
        let host = match to.host() {
            Some(url::Host::Ipv6(v6)) => v6.to_string(),
            Some(host) => host.to_string(),
            None => return Err(refuse("the new location has no host".into())),
        };
        let port = to.port_or_known_default().unwrap_or(80);
        self.check_name(scheme, &host, port).map_err(|v| Violation {
            item: to_shown.clone(),
            message: format!("redirect from `{from_shown}`: {}", v.message),
            ..v
        })
    }

    fn read(&self, item: &str, host: &str) -> Result<HostForm, Violation> {
        read_host(host).map_err(|e| {
            Violation::new(
                "targets: unreadable host",
                item,
                format!("{e}; a host the policy cannot read is refused, fix the URL"),
                &self.source,
            )
        })
    }

    fn check_name_rules(
        &self,
        scheme: &str,
        item: &str,
        name: &str,
        port: u16,
    ) -> Result<(), Violation> {
        if let Some(b) = BUILTINS.iter().find(|b| b.names.contains(&name)) {
            let exact = HostPattern::Name(name.split('.').map(str::to_string).collect());
            let lifted = self.allow.iter().filter(|l| l.lifts_builtins).any(|l| {
                l.entries
                    .iter()
                    .any(|p| p.host == exact && p.matches_name(scheme, name, port))
            });
            if !lifted {
                return Err(Violation::new(
                    format!("built-in: {}", b.label),
                    item,
                    format!(
                        "`{name}` is a name of {}; it is refused even without a policy. To probe \
                         it on purpose, add `{name}` to targets.allow in the policy file (its \
                         address must be allowed too)",
                        b.what
                    ),
                    &self.source,
                ));
            }
        }
        if let Some(d) = self
            .deny
            .iter()
            .find(|d| d.pattern.matches_name(scheme, name, port))
        {
            return Err(Violation::new(
                &d.rule,
                item,
                format!("`{name}` matches `{}`", d.pattern),
                &d.source,
            ));
        }
        for list in &self.allow {
            if !list.allows_name(scheme, name, port) && !list.has_addresses() {
                return Err(Violation::new(
                    &list.rule,
                    item,
                    format!(
                        "not matched by any entry of {} ({}); add a pattern for it to allow it",
                        list.rule,
                        list.listing()
                    ),
                    &list.source,
                ));
            }
        }
        Ok(())
    }

    /// Address rules for `ip`: built-ins, denies, then every allow list not already
    /// satisfied by the host name (`by_name[i]` for `self.allow[i]`).
    fn check_ip(
        &self,
        scheme: &str,
        item: &str,
        ip: IpAddr,
        port: u16,
        by_name: &[bool],
        what: &str,
    ) -> Result<(), Violation> {
        let dests = destinations(ip);
        let primary = canonical(ip);
        let describe = |d: IpAddr| {
            if d == primary {
                what.to_string()
            } else {
                format!("{d}, carried by {what},")
            }
        };
        for &d in &dests {
            if let Some((b, net)) = builtin_for(d)
                && !self.lifted(scheme, d, port, net.prefix_len())
            {
                let exact = IpNet::from(d);
                return Err(Violation::new(
                    format!("built-in: {}", b.label),
                    item,
                    format!(
                        "{} is {}; it is refused even without a policy. To probe it on \
                         purpose, add `{}` to targets.allow in the policy file (only entries \
                         at least as specific as the built-in `{net}` lift it)",
                        describe(d),
                        b.what,
                        exact,
                    ),
                    &self.source,
                ));
            }
        }
        for &d in &dests {
            if let Some(deny) = self
                .deny
                .iter()
                .find(|e| e.pattern.matches_ip(scheme, d, port))
            {
                return Err(Violation::new(
                    &deny.rule,
                    item,
                    format!("{} matches `{}`", describe(d), deny.pattern),
                    &deny.source,
                ));
            }
        }
        for (list, named) in self.allow.iter().zip(by_name) {
            if !named && !dests.iter().any(|&d| list.allows_ip(scheme, d, port)) {
                return Err(Violation::new(
                    &list.rule,
                    item,
                    format!(
                        "{what} is not matched by any entry of {} ({}); add a pattern for it \
                         to allow it",
                        list.rule,
                        list.listing()
                    ),
                    &list.source,
                ));
            }
        }
        Ok(())
    }

    /// Whether a policy allow entry at least as specific as the built-in rule
    /// (`builtin_len`) names `ip` on this scheme and port.
    fn lifted(&self, scheme: &str, ip: IpAddr, port: u16, builtin_len: u8) -> bool {
        self.allow
            .iter()
            .filter(|l| l.lifts_builtins)
            .flat_map(|l| &l.entries)
            .any(|p| {
                p.net()
                    .is_some_and(|n| n.prefix_len() >= builtin_len && n.contains(&ip))
                    && p.matches_ip(scheme, ip, port)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(list: &[&str]) -> Vec<TargetPattern> {
        list.iter()
            .map(|t| TargetPattern::parse(t).unwrap_or_else(|e| panic!("{t}: {e}")))
            .collect()
    }

    fn rules(allow: &[&str], deny: &[&str]) -> TargetRules {
        let mut r = TargetRules {
            source: "test policy".into(),
            ..TargetRules::default()
        };
        for (i, p) in pats(deny).into_iter().enumerate() {
            r.deny.push(DenyEntry {
                pattern: p,
                rule: format!("targets.deny[{i}]"),
                source: "test policy".into(),
            });
        }
        if !allow.is_empty() {
            r.allow.push(AllowList {
                entries: pats(allow),
                rule: "targets.allow".into(),
                source: "test policy".into(),
                lifts_builtins: true,
            });
        }
        r
    }

    fn rule_of(r: Result<(), Violation>) -> String {
        r.err().map(|v| v.rule).unwrap_or_default()
    }

    #[test]
    fn builtins_pick_the_most_specific_rule() {
        let (b, net) = builtin_for("169.254.169.254".parse().unwrap()).unwrap();
        assert_eq!((b.label, net.prefix_len()), ("instance metadata", 32));
        let (b, _) = builtin_for("169.254.1.1".parse().unwrap()).unwrap();
        assert_eq!(b.label, "link-local");
        let (b, _) = builtin_for("fd00:ec2::23".parse().unwrap()).unwrap();
        assert_eq!(b.label, "EKS Pod Identity credentials");
        assert!(builtin_for("10.0.0.1".parse().unwrap()).is_none());
        assert!(builtin_for("fd00:ec2::1".parse().unwrap()).is_none());
    }

    #[test]
    fn broad_allows_do_not_lift_builtins_but_specific_ones_do() {
        let imds = "169.254.169.254";
        for broad in [&["0.0.0.0/0", "::/0"][..], &["*"], &["169.254.0.0/16"]] {
            let r = rules(broad, &[]);
            assert_eq!(
                rule_of(r.check_name("http", imds, 80)),
                "built-in: instance metadata",
                "{broad:?}"
            );
        }
        let r = rules(&["169.254.0.0/16"], &[]);
        assert!(r.check_name("http", "169.254.1.1", 80).is_ok());
        let r = rules(&["169.254.169.254/32"], &[]);
        assert!(r.check_name("http", imds, 80).is_ok());
        assert!(r.check_name("http", "0xa9fea9fe", 80).is_ok());
        assert_eq!(
            rule_of(r.check_name("http", "169.254.170.2", 80)),
            "built-in: ECS credentials"
        );
        let r = rules(&["http://169.254.169.254:80"], &[]);
        assert!(r.check_name("http", imds, 80).is_ok());
        assert_eq!(
            rule_of(r.check_name("http", imds, 8080)),
            "built-in: instance metadata"
        );
    }

    #[test]
    fn deny_wins_over_allow() {
        let r = rules(&["10.0.0.0/8"], &["10.9.0.0/16", "tcp://*:22"]);
        assert!(r.check_name("tcp", "10.1.1.1", 5432).is_ok());
        assert_eq!(
            rule_of(r.check_name("tcp", "10.9.1.1", 5432)),
            "targets.deny[0]"
        );
        assert_eq!(
            rule_of(r.check_name("tcp", "10.1.1.1", 22)),
            "targets.deny[1]"
        );
        assert_eq!(
            rule_of(r.check_name("tcp", "11.1.1.1", 5432)),
            "targets.allow"
        );
    }

    #[test]
    fn names_defer_to_resolution_when_the_allow_list_has_addresses() {
        let r = rules(&["10.0.0.0/8"], &[]);
        assert!(r.check_name("https", "db.corp.example", 443).is_ok());
        let ok = r.check_resolved("https", "db.corp.example", 443, "10.0.0.5".parse().unwrap());
        assert!(ok.is_ok());
        let v = r
            .check_resolved(
                "https",
                "db.corp.example",
                443,
                "192.0.2.1".parse().unwrap(),
            )
            .unwrap_err();
        assert_eq!(v.rule, "targets.allow");
        assert!(
            v.message
                .starts_with("192.0.2.1 (the address `db.corp.example` resolved to) is not"),
            "{}",
            v.message
        );
        let names_only = rules(&["https://*.corp.example"], &[]);
        assert_eq!(
            rule_of(names_only.check_name("https", "example.com", 443)),
            "targets.allow"
        );
    }

    #[test]
    fn an_allowed_name_still_cannot_resolve_to_a_denied_address() {
        let r = rules(&["https://*.corp.example"], &["10.9.0.0/16"]);
        let to = |ip: &str| r.check_resolved("https", "api.corp.example", 443, ip.parse().unwrap());
        assert!(
            to("203.0.113.9").is_ok(),
            "allowed by name, any address that is not denied"
        );
        assert_eq!(rule_of(to("10.9.0.1")), "targets.deny[0]");
        assert_eq!(
            rule_of(to("169.254.169.254")),
            "built-in: instance metadata"
        );
        assert_eq!(
            rule_of(to("::ffff:169.254.169.254")),
            "built-in: instance metadata"
        );
        assert_eq!(
            rule_of(to("64:ff9b::a9fe:a9fe")),
            "built-in: instance metadata"
        );
    }

    #[test]
    fn metadata_names_are_refused_before_resolution() {
        let r = rules(&[], &[]);
        for name in ["instance-data", "INSTANCE-DATA.ec2.internal."] {
            assert_eq!(
                rule_of(r.check_name("http", name, 80)),
                "built-in: instance metadata"
            );
        }
        let lifted = rules(&["instance-data.ec2.internal", "169.254.169.254"], &[]);
        assert!(
            lifted
                .check_name("http", "instance-data.ec2.internal", 80)
                .is_ok()
        );
        let wildcard = rules(&["*.ec2.internal"], &[]);
        assert!(
            wildcard
                .check_name("http", "instance-data.ec2.internal", 80)
                .is_err()
        );
    }

    #[test]
    fn redirects_are_checked_like_targets() {
        let r = rules(&[], &[]);
        assert!(
            r.check_redirect("https://a.example/", "https://b.example/x")
                .is_ok()
        );
        let v = r
            .check_redirect(
                "https://a.example/x",
                "http://169.254.169.254/latest/meta-data/",
            )
            .unwrap_err();
        assert_eq!(v.rule, "built-in: instance metadata");
        assert_eq!(v.item, "http://169.254.169.254/latest/meta-data/");
        assert!(
            v.message
                .starts_with("redirect from `https://a.example/x`: "),
            "{}",
            v.message
        );
        let v = r
            .check_redirect("http://[::1]:8080/", "http://0xA9FEA9FE/")
            .unwrap_err();
        assert_eq!(v.rule, "built-in: instance metadata");
        let v = r
            .check_redirect("https://a.example/", "file:///etc/passwd")
            .unwrap_err();
        assert_eq!(v.rule, "redirects");
        let v = r
            .check_redirect("http://127.0.0.1:9/", "//[fd00:ec2::254]/")
            .unwrap_err();
        assert_eq!(v.rule, "built-in: instance metadata");
    }

    #[test]
    fn unreadable_hosts_are_refused() {
        let r = rules(&[], &[]);
        assert_eq!(
            rule_of(r.check_name("https", "a b", 443)),
            "targets: unreadable host"
        );
    }
}
