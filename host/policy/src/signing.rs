//! `[signing]`: where SigV4-signed requests may go.
//!
//! A signature is derived from the caller's AWS credentials; sent to a host that is not
//! AWS it can be replayed against AWS for a few minutes. So by default only AWS
//! endpoints receive signed requests, plus the hosts `signing.hosts` names (an emulator
//! on `127.0.0.1`, a corporate proxy), or any host when `allow_non_aws = true`.

use super::address::{HostForm, read_host};
use super::error::Violation;
use super::pattern::HostPattern;

/// One layer of signing rules (the policy's, then a user config's); every layer must
/// allow a non-AWS host.
#[derive(Debug, Clone)]
pub(crate) struct SigningLayer {
    pub allow_non_aws: bool,
    pub hosts: Vec<HostPattern>,
    /// Key path of the hosts list: `signing.hosts`, `restrict.signing_hosts`.
    pub hosts_rule: String,
    /// Key path of the switch: `signing.allow_non_aws`.
    pub switch_rule: String,
    pub source: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct SigningRules {
    pub layers: Vec<SigningLayer>,
}

impl SigningRules {
    pub(crate) fn check(&self, host: &str, is_aws: bool) -> Result<(), Violation> {
        if is_aws {
            return Ok(());
        }
        let form = read_host(host);
        for layer in &self.layers {
            if layer.allow_non_aws {
                continue;
            }
            let listed = form
                .as_ref()
                .is_ok_and(|f: &HostForm| layer.hosts.iter().any(|h| h.matches(f)));
            if !listed {
                let rule = if layer.hosts.is_empty() {
                    &layer.switch_rule
                } else {
                    &layer.hosts_rule
                };
                return Err(Violation::new(
                    rule,
                    host,
                    format!(
                        "SigV4 signatures are derived from your AWS credentials and go only to \
                         AWS endpoints; `{host}` is not one. To sign requests to it (an emulator \
                         or a proxy), add it to {}",
                        layer.hosts_rule
                    ),
                    &layer.source,
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(allow_non_aws: bool, hosts: &[&str]) -> SigningLayer {
        SigningLayer {
            allow_non_aws,
            hosts: hosts
                .iter()
                .map(|h| HostPattern::parse(h).unwrap_or_else(|e| panic!("{h}: {e}")))
                .collect(),
            hosts_rule: "signing.hosts".into(),
            switch_rule: "signing.allow_non_aws".into(),
            source: "test policy".into(),
        }
    }

    #[test]
    fn only_aws_and_listed_hosts_receive_signatures() {
        let rules = SigningRules {
            layers: vec![layer(false, &["127.0.0.1", "*.corp.example"])],
        };
        assert!(rules.check("kms.eu-west-1.amazonaws.com", true).is_ok());
        assert!(rules.check("127.0.0.1", false).is_ok());
        assert!(
            rules.check("0x7f000001", false).is_ok(),
            "any spelling of a listed address"
        );
        assert!(rules.check("proxy.corp.example", false).is_ok());
        let v = rules.check("evil.example", false).unwrap_err();
        assert_eq!(v.rule, "signing.hosts");
        assert!(rules.check("127.0.0.2", false).is_err());
        let default = SigningRules {
            layers: vec![layer(false, &[])],
        };
        assert_eq!(
            default.check("localhost", false).unwrap_err().rule,
            "signing.allow_non_aws"
        );
    }

    #[test]
    fn every_layer_must_agree() {
        let mut user = layer(false, &["127.0.0.1"]);
        user.hosts_rule = "restrict.signing_hosts".into();
        let rules = SigningRules {
            layers: vec![layer(true, &[]), user],
        };
        assert!(rules.check("127.0.0.1", false).is_ok());
        assert_eq!(
            rules.check("proxy.example", false).unwrap_err().rule,
            "restrict.signing_hosts"
        );
    }
}
