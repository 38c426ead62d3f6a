//! netcheck plugin `https`: the generic check for any `http(s)://` URL no other plugin
//! claims. It sends one unsigned request and compares the answer with what the check
//! expects.
//!
//! Options (on the check, all optional):
//!
//! | option | default | meaning |
//! | --- | --- | --- |
//! | `method` | `GET` | HTTP method; with `HEAD`, a `405`/`501` answer falls back to `GET` |
//! | `expect-status` | `200-399` | accepted statuses: `200`, `200,204`, `200-299,301`, `2xx` |
//! | `header.<Name>` | | a request header, e.g. `header.Accept = "application/json"` |
//! | `header` | | request header lines `Name: value` (one per line) |
//! | `body-contains` | | text the start of the body must contain |

mod options;

use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, ServiceInfo, Target,
    Verdict, request,
};
use options::Options;

struct Https;

impl Checker for Https {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "https".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "any http(s) URL: unsigned request, expected status, headers and body text".into(),
            services: vec![ServiceInfo {
                id: "https".into(),
                // None: the host falls back to this plugin for URLs nobody else claims.
                host_patterns: Vec::new(),
                signing_name: None,
                vpc_endpoint: None,
                endpoint_kind: EndpointKind::None,
                actions: Vec::new(),
            }],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        if !matches!(target.scheme.as_str(), "http" | "https") {
            return Err(format!(
                "the https plugin checks http:// and https:// URLs, not {}://; use the tcp plugin for {}",
                target.scheme, target.url
            ));
        }
        let options = Options::parse(&target)?;
        for key in &options.unknown {
            netcheck_guest::log::warn!(
                "ignoring unknown option {key} (the https plugin knows method, expect-status, header, \
                 header.<Name>, body-contains)"
            );
        }
        let path = if target.path_and_query.is_empty() {
            "/"
        } else {
            target.path_and_query.as_str()
        };
        let probe = |method: &str| {
            let mut req = request::rest_get(path);
            req.method = method.to_string();
            req.headers.clone_from(&options.headers);
            Probe::unsigned(&format!("{method} {path}"), req)
        };
        let mut probes = vec![probe(&options.method)];
        if options.method == "HEAD" {
            probes.push(probe("GET"));
        }
        Ok(probes)
    }

    fn judge(
        target: Target,
        probe: Probe,
        observation: Observation,
        _context: ProbeContext,
    ) -> Verdict {
        let options = match Options::parse(&target) {
            Ok(options) => options,
            Err(message) => return Verdict::fail("plugin-error", message),
        };
        let response = match &observation {
            Observation::Http(response) => response,
            Observation::Connected => {
                return Verdict::pass("ok", format!("connected to {}", target.authority()));
            }
        };
        let status = response.status;
        let label = &probe.label;
        if probe.method() == Some("HEAD") && matches!(status, 405 | 501) {
            return Verdict::warn(
                "http-status",
                format!("{label} answered HTTP {status}; trying GET instead"),
            )
            .and_try_next();
        }
        if !options.expect.contains(status) {
            let location = match (status, response.header("location")) {
                (300..=399, Some(location)) => format!(" (redirect to {location})"),
                _ => String::new(),
            };
            return Verdict::fail(
                "http-status",
                format!(
                    "{label} answered HTTP {status}{location}, expected {}",
                    options.expect
                ),
            )
            .with_hint(format!(
                "if HTTP {status} is right for this endpoint, set expect-status = \"{status}\" on the check"
            ));
        }
        if let Some(text) = &options.body_contains
            && probe.method() != Some("HEAD")
            && !response.body_text().contains(text.as_str())
        {
            return Verdict::fail(
                "body-mismatch",
                format!(
                    "{label} answered HTTP {status} but the first {} bytes of the body do not contain \"{text}\"",
                    response.body.len()
                ),
            )
            .with_hint(
                "check body-contains against the page; only the start of the body is captured, so pick \
                 text that appears early",
            );
        }
        let mut message = format!(
            "{label} answered HTTP {status} (expected {})",
            options.expect
        );
        if let Some(text) = &options.body_contains {
            message.push_str(&format!("; body contains \"{text}\""));
        }
        Verdict::pass("ok", message)
    }
}

netcheck_guest::export_plugin!(Https);

#[cfg(test)]
mod tests;
