//! The enterprise policy: what an administrator lets netcheck load, probe, sign for,
//! run on and create — checked before anything happens.
//!
//! A [`Policy`] comes from a TOML file (`--policy FILE` or `NETCHECK_POLICY`), or is
//! [`Policy::default`] when there is none: bundled and custom plugins allowed, every
//! target allowed except the built-in denied set (instance metadata, container
//! credential endpoints, link-local), SigV4 only to AWS endpoints, any runner, region
//! or account, no IAM requirements and no audit file. A user's config may
//! [narrow](Policy::narrow) it, never widen it.
//!
//! Where each check goes in the pipeline:
//!
//! | When                          | Call                                           |
//! |-------------------------------|------------------------------------------------|
//! | plan built, before anything   | [`evaluate`] (every violation at once)         |
//! | loading a plugin              | [`Policy::check_plugin`], [`Policy::plugin_limits`] |
//! | each address DNS returned     | [`Policy::check_resolved_ip`] before connecting |
//! | each HTTP redirect            | [`Policy::check_redirect`], then resolve again  |
//! | creating IAM roles/resources  | [`Policy::iam_requirements`], [`Policy::check_tags`] |
//! | end of run                    | [`append_audit`]                               |
//!
//! ```
//! use netcheck_policy::Policy;
//! let p = Policy::default();
//! assert!(p.check_target_name("https", "kms.eu-west-1.amazonaws.com", 443).is_ok());
//! let v = p.check_target_name("http", "0xA9FEA9FE", 80).unwrap_err();
//! assert_eq!(v.rule, "built-in: instance metadata");
//! assert!(p.check_signing("127.0.0.1", false).is_err());
//!
//! let strict = Policy::from_toml(
//!     "[targets]\nallow = [\"10.0.0.0/8\"]\n[signing]\nhosts = [\"127.0.0.1\"]",
//!     std::path::Path::new("policy.toml"),
//! ).unwrap();
//! assert!(strict.check_target_name("tcp", "10.0.0.5", 5432).is_ok());
//! assert!(strict.check_target_name("tcp", "192.0.2.1", 5432).is_err());
//! assert!(strict.check_signing("127.0.0.1", false).is_ok());
//! ```

mod address;
mod audit;
mod describe;
mod error;
mod evaluate;
mod iam;
mod lists;
mod load;
mod narrow;
mod pattern;
mod plugins;
mod runners;
mod signing;
mod targets;
mod values;
mod wire;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use address::{HostForm, read_host};
pub use audit::{AuditCheck, AuditPlugin, AuditRecord, append_audit};
pub use describe::describe;
pub use error::{PolicyError, Violation};
pub use evaluate::{CheckView, PlanView, PluginView, evaluate};
pub use iam::IamRequirements;
pub use narrow::{USER_SOURCE, UserRestrictions};
pub use netcheck_runner_api::redact_url;
pub use pattern::{HostPattern, TargetPattern};
pub use wire::{WIRE_VERSION, policy_from_wire, policy_to_wire};

/// The environment variable naming the policy file when `--policy` is not given.
pub const POLICY_ENV: &str = "NETCHECK_POLICY";

/// An administrator's policy (or the built-in default), possibly narrowed by a user.
#[derive(Debug, Clone)]
pub struct Policy {
    file: Option<PathBuf>,
    /// `policy file /etc/netcheck/policy.toml` or `built-in default policy`.
    source: String,
    plugins: plugins::PluginRules,
    targets: targets::TargetRules,
    signing: signing::SigningRules,
    runners: runners::RunnerRules,
    iam: IamRequirements,
    audit: Option<PathBuf>,
    /// Sources of restrictions added by [`Policy::narrow`].
    narrowed_by: Vec<String>,
    /// The policy file's text as read (`None` for the built-in default), so a remote
    /// runner can send the very same policy along ([`policy_to_wire`]).
    text: Option<String>,
    /// The user restrictions [`Policy::narrow`] applied, in order (for [`policy_to_wire`]).
    restrictions: Vec<UserRestrictions>,
}

impl Default for Policy {
    /// The built-in policy used when no policy file is given.
    fn default() -> Self {
        load::builtin()
    }
}

impl Policy {
    /// Reads and checks the policy file at `path`. Errors name the file, the key and
    /// what to write instead; the CLI exits 2 on them.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        load::load(path)
    }

    /// Checks policy text as if read from `path` (named in errors; relative paths in
    /// the policy are relative to its directory).
    pub fn from_toml(text: &str, path: &Path) -> Result<Policy, PolicyError> {
        load::from_toml(text, path)
    }

    /// The policy file, or `None` for the built-in default.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// `policy file /etc/netcheck/policy.toml` or `built-in default policy`.
    pub fn source_label(&self) -> String {
        self.source.clone()
    }

    /// Whether the plugin `name` with digest `sha256` (hex) may load. A pinned plugin
    /// must match its pin exactly; the violation shows the actual digest.
    pub fn check_plugin(&self, name: &str, sha256: &str, bundled: bool) -> Result<(), Violation> {
        self.plugins.check(name, sha256, bundled)
    }

    /// May the plugin file `file` (with this sha256) be loaded at all? Asked before any
    /// of its code runs; [`Policy::check_plugin`] follows once its name is known.
    pub fn admit_plugin_file(&self, file: &str, sha256: &str) -> Result<(), Violation> {
        self.plugins.admit_file(file, sha256)
    }

    /// The CPU deadline and memory cap for plugin `name`: the policy's override for it,
    /// else `defaults` (netcheck's own limits); never above the policy's ceilings.
    pub fn plugin_limits(&self, name: &str, defaults: (Duration, usize)) -> (Duration, usize) {
        self.plugins.limits(name, defaults)
    }

    /// Checks the configured endpoint `scheme://host:port` (host: a name, or an address
    /// in any spelling). A name that passes may still be refused by the address it
    /// resolves to: call [`Policy::check_resolved_ip`] before connecting.
    pub fn check_target_name(&self, scheme: &str, host: &str, port: u16) -> Result<(), Violation> {
        self.targets.check_name(scheme, host, port)
    }

    /// Checks the address `ip` that `host` resolved to, just before connecting to
    /// `ip:port`. Includes [`Policy::check_target_name`]'s checks, so it suffices alone.
    pub fn check_resolved_ip(
        &self,
        scheme: &str,
        host: &str,
        port: u16,
        ip: IpAddr,
    ) -> Result<(), Violation> {
        self.targets.check_resolved(scheme, host, port, ip)
    }

    /// Checks a redirect's new location (absolute, or relative to `from_url`) like a
    /// configured target; only http(s) redirects pass. Resolve the new host and call
    /// [`Policy::check_resolved_ip`] before following it.
    pub fn check_redirect(&self, from_url: &str, to_url: &str) -> Result<(), Violation> {
        self.targets.check_redirect(from_url, to_url)
    }

    /// Whether a SigV4-signed request may go to `host`; `is_aws` says whether it is an
    /// AWS endpoint (always allowed).
    pub fn check_signing(&self, host: &str, is_aws: bool) -> Result<(), Violation> {
        self.signing.check(host, is_aws)
    }

    /// Whether the runner `name` (`local`, `lambda`, `ec2`) may be used.
    pub fn check_runner(&self, name: &str) -> Result<(), Violation> {
        self.runners.runners.check(name)
    }

    /// Whether the region may be used.
    pub fn check_region(&self, region: &str) -> Result<(), Violation> {
        self.runners.regions.check(region)
    }

    /// Whether the AWS account (12 digits) may be used.
    pub fn check_account(&self, account: &str) -> Result<(), Violation> {
        self.runners.accounts.check(account)
    }

    /// Whether the VPC id may be used.
    pub fn check_vpc(&self, vpc: &str) -> Result<(), Violation> {
        self.runners.vpcs.check(vpc)
    }

    /// Whether the subnet id may be used.
    pub fn check_subnet(&self, subnet: &str) -> Result<(), Violation> {
        self.runners.subnets.check(subnet)
    }

    /// Every objection to running in one place (a remote runner's function or instance):
    /// its region and account, and its VPC and subnet when it has them.
    pub fn check_placement(
        &self,
        region: &str,
        account: &str,
        vpc: Option<&str>,
        subnet: Option<&str>,
    ) -> Vec<Violation> {
        [
            Some(self.check_region(region)),
            Some(self.check_account(account)),
            vpc.map(|v| self.check_vpc(v)),
            subnet.map(|s| self.check_subnet(s)),
        ]
        .into_iter()
        .flatten()
        .filter_map(Result::err)
        .collect()
    }

    /// What created roles and resources must carry, and the run lifetime limit.
    pub fn iam_requirements(&self) -> &IamRequirements {
        &self.iam
    }

    /// Refuses `tags` (about to be put on a created resource) unless every required tag
    /// is there with its required value.
    pub fn check_tags(&self, tags: &BTreeMap<String, String>) -> Result<(), Violation> {
        self.iam.check_tags(tags, &self.source)
    }

    /// The audit file, if the policy asks for one.
    pub fn audit_file(&self) -> Option<&Path> {
        self.audit.as_deref()
    }
}
