//! From configuration to a [`Plan`]: select sets, expand `{region}`, parse each
//! endpoint, and pick the plugin that will plan and judge it.
//!
//! Plugin choice, most explicit first: `plugin =` on the check; `service =` (the plugin
//! whose service has that id); `tcp://`/`tls://`/`host:port` → `tcp`; the most specific
//! host pattern a plugin claims; any other `http(s)://` URL → the generic `https` plugin.

use std::collections::{HashMap, HashSet};
use std::fmt;

use netcheck_runner_api::{CheckSpec, Plan, Target, TlsOptions};

use crate::endpoint;
use netcheck_config::{CheckConfig, Config};
use netcheck_plugin_host::{PluginHost, PluginMeta, ServiceInfo};

/// A problem in the configured checks, found before anything is sent. Exit code 2.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanError {
    pub problems: Vec<String>,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                writeln!(f, "{} problems in the configured checks:", many.len())?;
                for p in many {
                    writeln!(f, "  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// Which sets to run: the explicit selection, else the config's `sets`, else all.
pub fn selected_sets(config: &Config, selection: &[String]) -> Result<Vec<String>, PlanError> {
    let wanted: Vec<String> = if !selection.is_empty() {
        selection.to_vec()
    } else if !config.default_sets.is_empty() {
        config.default_sets.clone()
    } else {
        config.sets.keys().cloned().collect()
    };
    let unknown: Vec<String> = wanted
        .iter()
        .filter(|s| !config.sets.contains_key(*s))
        .map(|s| {
            format!(
                "no check set named `{s}` (known sets: {})",
                config.sets.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(wanted)
    } else {
        Err(PlanError { problems: unknown })
    }
}

/// Build the plan for the selected sets. `region` is the resolved default region (config,
/// env, or the AWS config chain), used for `{region}` and for AWS targets without one.
pub fn build(
    config: &Config,
    plugins: &PluginHost,
    sets: &[String],
    region: Option<&str>,
) -> Result<Plan, PlanError> {
    let mut problems = Vec::new();
    let mut checks = Vec::new();
    let global_ca = match &config.ca_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(pem) => Some(pem),
            Err(e) => {
                problems.push(format!("ca_file {}: cannot read it: {e}", path.display()));
                None
            }
        },
        None => None,
    };
    for set in sets {
        let Some(check_set) = config.sets.get(set) else {
            continue;
        };
        let mut names = UniqueNames::default();
        for (i, check) in check_set.checks.iter().enumerate() {
            let at = format!("sets.{set}.checks[{i}]");
            match build_check(config, plugins, set, check, region, global_ca.as_deref()) {
                Ok(mut spec) => {
                    spec.name = names.claim(&spec.name);
                    register_url_password(&spec.target.url);
                    checks.push(spec);
                }
                Err(e) => problems.push(format!(
                    "{at} ({}): {e}",
                    netcheck_runner_api::redact_url(&check.url)
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(PlanError { problems });
    }
    Ok(Plan {
        checks,
        concurrency: config.concurrency,
        nameservers: config.nameservers.clone(),
    })
}

/// Display names made unique within a set: the second `kms` is `kms#2`, the third
/// `kms#3`. Linear in the number of checks (the next suffix per name is remembered).
#[derive(Default)]
struct UniqueNames {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

impl UniqueNames {
    fn claim(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_string()) {
            return name.to_string();
        }
        let n = self.next.entry(name.to_string()).or_insert(2);
        loop {
            let candidate = format!("{name}#{n}");
            *n += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// A password in a check's URL (`https://user:pw@host/`) is a secret: logs redact it.
fn register_url_password(url: &str) {
    if let Ok(parsed) = url::Url::parse(url)
        && let Some(password) = parsed.password()
    {
        crate::sign::secrets::register(password);
    }
}

fn build_check(
    config: &Config,
    plugins: &PluginHost,
    set: &str,
    check: &CheckConfig,
    default_region: Option<&str>,
    global_ca: Option<&str>,
) -> Result<CheckSpec, String> {
    let region = check.region.as_deref().or(default_region);
    let url = expand(&check.url, region)?;
    let mut target = parse_target(&url)?;
    target.aws = endpoint::parse(&target.host);
    target.region = check
        .region
        .clone()
        .or_else(|| target.aws.as_ref().and_then(|a| a.region.clone()))
        .or_else(|| default_region.map(str::to_string));
    target.options = check.options.clone();
    let (plugin, service) = choose_plugin(plugins, check, &target)?;
    target.service = check.service.clone().or(service);
    let ca_pem = match &check.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("ca_file {}: cannot read it: {e}", path.display()))?,
        ),
        None => global_ca.map(str::to_string),
    };
    Ok(CheckSpec {
        name: check.name.clone().unwrap_or_else(|| target.host.clone()),
        set: set.to_string(),
        target,
        plugin,
        timeout_ms: check
            .timeout
            .unwrap_or(config.timeout)
            .as_millis()
            .min(u64::MAX as u128) as u64,
        tls: TlsOptions {
            verify: check.tls_verify.unwrap_or(true),
            ca_pem,
        },
    })
}

/// Replace `{region}`; an unknown placeholder or a missing region is an error.
pub fn expand(url: &str, region: Option<&str>) -> Result<String, String> {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in `{url}`"))?
            + start;
        match &rest[start + 1..end] {
            "region" => out.push_str(region.ok_or_else(|| {
                "uses {region} but no region is configured: set `region` in netcheck.toml or on the check, \
                 NETCHECK_REGION, --region, or AWS_REGION"
                    .to_string()
            })?),
            other => return Err(format!("unknown placeholder `{{{other}}}` (only {{region}} is supported)")),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parse `scheme://host[:port][/path]` or bare `host:port` (a TCP check).
pub fn parse_target(raw: &str) -> Result<Target, String> {
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("tcp://{raw}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|e| format!("not a URL or host:port: {e}"))?;
    let scheme = url.scheme().to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => Some(443),
        "http" => Some(80),
        "tcp" | "tls" => None,
        other => {
            return Err(format!(
                "unsupported scheme `{other}` (use https, http, tcp or tls)"
            ));
        }
    };
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(h) => h.to_string(),
        None => return Err("no host".to_string()),
    };
    let port = url
        .port()
        .or(default_port)
        .ok_or_else(|| format!("`{raw}` has no port: write host:port (e.g. {host}:5432)"))?;
    let path_and_query = match (scheme.as_str(), url.query()) {
        ("tcp" | "tls", _) => String::new(),
        (_, Some(q)) => format!("{}?{q}", url.path()),
        (_, None) => url.path().to_string(),
    };
    Ok(Target {
        url: raw.to_string(),
        scheme,
        host,
        port,
        path_and_query,
        ..Target::default()
    })
}

fn choose_plugin(
    plugins: &PluginHost,
    check: &CheckConfig,
    target: &Target,
) -> Result<(String, Option<String>), String> {
    let known = || {
        plugins
            .plugins()
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = &check.plugin {
        let meta = plugins
            .find(name)
            .ok_or_else(|| format!("no plugin named `{name}` (loaded: {})", known()))?;
        let service = check.service.clone().or_else(|| {
            meta.info
                .services
                .iter()
                .find(|s| host_claimed(&s.host_patterns, &target.host))
                .map(|s| s.id.clone())
        });
        return Ok((name.clone(), service));
    }
    if let Some(service) = &check.service {
        return plugins
            .plugins()
            .iter()
            .rev()
            .find(|p| p.info.services.iter().any(|s| &s.id == service))
            .map(|p| (p.name.clone(), Some(service.clone())))
            .ok_or_else(|| {
                let mut ids: Vec<String> = plugins
                    .plugins()
                    .iter()
                    .flat_map(|p| p.info.services.iter().map(|s| s.id.clone()))
                    .collect();
                ids.sort();
                ids.dedup();
                format!(
                    "no plugin handles service `{service}` (known services: {})",
                    ids.join(", ")
                )
            });
    }
    if matches!(target.scheme.as_str(), "tcp" | "tls") {
        return require(plugins, "tcp").map(|p| (p, None));
    }
    if let Some((plugin, service)) = claimed_by(plugins, &target.host) {
        return Ok((plugin.name.clone(), Some(service.id.clone())));
    }
    require(plugins, "https").map(|p| (p, None))
}

/// The plugin and service whose host pattern claims `host` most specifically
/// (later-loaded plugins win ties, so a custom plugin can override a bundled one).
pub fn claimed_by<'a>(
    plugins: &'a PluginHost,
    host: &str,
) -> Option<(&'a PluginMeta, &'a ServiceInfo)> {
    let mut best: Option<(usize, &PluginMeta, &ServiceInfo)> = None;
    for p in plugins.plugins().iter().rev() {
        for s in &p.info.services {
            for pattern in &s.host_patterns {
                if endpoint::pattern_matches(pattern, host) {
                    let score = endpoint::pattern_specificity(pattern);
                    if best.is_none_or(|(b, _, _)| score > b) {
                        best = Some((score, p, s));
                    }
                }
            }
        }
    }
    best.map(|(_, p, s)| (p, s))
}

fn host_claimed(patterns: &[String], host: &str) -> bool {
    patterns.iter().any(|p| endpoint::pattern_matches(p, host))
}

fn require(plugins: &PluginHost, name: &str) -> Result<String, String> {
    plugins
        .find(name)
        .map(|p| p.name.clone())
        .ok_or_else(|| format!("the `{name}` plugin is needed for this check but is not loaded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_region_and_rejects_the_rest() {
        assert_eq!(
            expand("https://kms.{region}.amazonaws.com/", Some("eu-west-1")).unwrap(),
            "https://kms.eu-west-1.amazonaws.com/"
        );
        assert!(
            expand("https://kms.{region}.amazonaws.com/", None)
                .unwrap_err()
                .contains("NETCHECK_REGION")
        );
        assert!(
            expand("https://{account}.example.com", Some("x"))
                .unwrap_err()
                .contains("{account}")
        );
        assert!(
            expand("https://x.{region", Some("x"))
                .unwrap_err()
                .contains("unclosed")
        );
    }

    #[test]
    fn parses_urls_and_host_ports() {
        let t = parse_target("https://kms.eu-west-1.amazonaws.com/").unwrap();
        assert_eq!(
            (t.scheme.as_str(), t.port, t.path_and_query.as_str()),
            ("https", 443, "/")
        );
        let t = parse_target("http://127.0.0.1:4566/health?deep=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path_and_query.as_str()),
            ("127.0.0.1", 4566, "/health?deep=1")
        );
        let t = parse_target("10.0.0.5:5432").unwrap();
        assert_eq!(
            (t.scheme.as_str(), t.host.as_str(), t.port),
            ("tcp", "10.0.0.5", 5432)
        );
        let t = parse_target("[fd00::5]:5432").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("fd00::5", 5432));
        assert!(parse_target("db.internal").unwrap_err().contains("no port"));
        assert!(
            parse_target("ftp://x:21")
                .unwrap_err()
                .contains("unsupported scheme")
        );
    }

    #[test]
    fn names_are_made_unique() {
        let mut names = UniqueNames::default();
        assert_eq!(names.claim("a"), "a");
        assert_eq!(names.claim("a"), "a#2");
        assert_eq!(names.claim("a"), "a#3");
        // A name someone wrote as `a#4` is skipped, not duplicated.
        assert_eq!(names.claim("a#4"), "a#4");
        assert_eq!(names.claim("a"), "a#5");
    }

    #[test]
    fn ten_thousand_same_host_names_stay_linear() {
        let mut names = UniqueNames::default();
        let all: Vec<String> = (0..10_000).map(|_| names.claim("host")).collect();
        assert_eq!(all[9_999], "host#10000");
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 10_000);
    }
}
