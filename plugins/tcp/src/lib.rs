//! netcheck plugin `tcp`: for `tcp://host:port` and `tls://host:port` targets, proves the
//! port accepts a connection (and, for `tls`, completes a TLS handshake). The host routes
//! those schemes here, so the plugin claims no host names.

use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, ServiceInfo, Target,
    Verdict,
};

struct Tcp;

impl Checker for Tcp {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "tcp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "TCP connect, and the TLS handshake for tls:// targets".into(),
            services: vec![ServiceInfo {
                id: "tcp".into(),
                host_patterns: Vec::new(),
                signing_name: None,
                vpc_endpoint: None,
                endpoint_kind: EndpointKind::None,
                actions: Vec::new(),
            }],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        if target.port == 0 {
            return Err(format!(
                "no port in {}: write the target as tcp://host:port or tls://host:port",
                target.url
            ));
        }
        let label = if with_tls(&target) {
            "TLS handshake"
        } else {
            "TCP connect"
        };
        Ok(vec![Probe::connect(label)])
    }

    fn judge(
        target: Target,
        _probe: Probe,
        observation: Observation,
        _context: ProbeContext,
    ) -> Verdict {
        let what = if with_tls(&target) {
            "TCP connect and TLS handshake with"
        } else {
            "TCP connect to"
        };
        match observation {
            Observation::Connected => {
                Verdict::pass("ok", format!("{what} {} succeeded", target.authority()))
            }
            // Not planned by this plugin, but an HTTP answer proves the connection too.
            Observation::Http(response) => Verdict::pass(
                "ok",
                format!(
                    "{what} {} succeeded (HTTP {} answered)",
                    target.authority(),
                    response.status
                ),
            ),
        }
    }
}

/// `tls://` and `https://` targets get a handshake after the connect.
fn with_tls(target: &Target) -> bool {
    matches!(target.scheme.as_str(), "tls" | "https")
}

netcheck_guest::export_plugin!(Tcp);

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_guest::{ProbeKind, Signing, Status};

    fn target(scheme: &str, port: u16) -> Target {
        Target {
            url: format!("{scheme}://127.0.0.1:{port}"),
            scheme: scheme.into(),
            host: "127.0.0.1".into(),
            port,
            path_and_query: String::new(),
            aws: None,
            service: None,
            region: None,
            options: Vec::new(),
        }
    }

    fn connected(t: Target) -> Verdict {
        let probe = Tcp::plan(t.clone()).unwrap().remove(0);
        let context = ProbeContext {
            signed: false,
            clock_offset_seconds: None,
        };
        Tcp::judge(t, probe, Observation::Connected, context)
    }

    #[test]
    fn plans_one_unsigned_connect() {
        let probes = Tcp::plan(target("tcp", 5432)).unwrap();
        assert_eq!(probes.len(), 1);
        assert_eq!(probes[0].kind, ProbeKind::Connect);
        assert_eq!(probes[0].signing, Signing::None);
        assert_eq!(probes[0].label, "TCP connect");
        assert_eq!(
            Tcp::plan(target("tls", 443)).unwrap()[0].label,
            "TLS handshake"
        );
    }

    #[test]
    fn connected_passes_naming_host_and_port() {
        let v = connected(target("tcp", 5432));
        assert_eq!((v.status, v.reason.as_str()), (Status::Pass, "ok"));
        assert_eq!(v.message, "TCP connect to 127.0.0.1:5432 succeeded");
        let v = connected(target("tls", 8443));
        assert_eq!(
            v.message,
            "TCP connect and TLS handshake with 127.0.0.1:8443 succeeded"
        );
    }

    #[test]
    fn missing_port_is_an_error() {
        let err = Tcp::plan(target("tcp", 0)).unwrap_err();
        assert!(err.contains("tcp://host:port"), "{err}");
    }
}
