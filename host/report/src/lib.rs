//! Renders check results for people and machines: a table, a JSON document (with a JSON
//! Schema), JUnit XML and a self-contained HTML page.
//!
//! Every renderer keeps the results in plan order and returns complete text ending in a
//! newline (print it with `print!`). Nothing here does I/O or reads the environment except
//! [`auto_color`] and [`terminal_width`], which the CLI may use to pick `table`'s arguments.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use netcheck_report::{self as report, Report};
//! use netcheck_runner_api::CheckResult;
//!
//! let results = vec![CheckResult::new("db", "core", "tcp://10.0.0.5:5432", "tcp")];
//! let r = Report { results: &results, runner: "local", region: None,
//!                  started_at: SystemTime::now(), duration: Duration::from_millis(1200) };
//! assert!(report::table(&r, false, Some(100)).ends_with("0 passed, 0 warned, 1 failed in 1.2 s\n"));
//! ```

use std::time::{Duration, SystemTime};

use netcheck_runner_api::CheckResult;

use netcheck_config::region::Region;

mod html;
mod json;
mod junit;
mod summary;
mod table;
mod text;

pub use html::html;
pub use json::{SCHEMA_VERSION, json, json_schema};
pub use junit::junit;
pub use summary::{Summary, human_duration, human_ms};
pub use table::table;

/// One run's results and facts about the run, as the renderers need them.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// In plan order; the renderers keep that order.
    pub results: &'a [CheckResult],
    /// The runner's name (`local`, `lambda`, `ec2`).
    pub runner: &'a str,
    /// The run's default region and where it came from, when the run resolved one.
    pub region: Option<&'a Region>,
    pub started_at: SystemTime,
    /// Wall time of the whole run.
    pub duration: Duration,
}

impl Report<'_> {
    /// Counts per status.
    pub fn summary(&self) -> Summary {
        Summary::of(self.results)
    }
}

/// Whether stdout should get colour: honours `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE` and
/// whether stdout is a terminal.
pub fn auto_color() -> bool {
    console::colors_enabled()
}

/// The width of the terminal on stdout, if it is one (for [`table`]'s wrapping).
pub fn terminal_width() -> Option<u16> {
    console::Term::stdout()
        .size_checked()
        .map(|(_rows, cols)| cols)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use netcheck_runner_api::{DnsAnswer, DnsPhase, HttpPhase, Phases, Status, TcpPhase, TlsPhase};

    /// 2025-01-02T03:04:05.678Z
    pub fn started() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_735_787_045_678)
    }

    pub fn report(results: &[CheckResult]) -> Report<'_> {
        Report {
            results,
            runner: "local",
            region: None,
            started_at: started(),
            duration: Duration::from_micros(1_234_500),
        }
    }

    fn result(set: &str, name: &str, url: &str, plugin: &str, status: Status) -> CheckResult {
        let mut r = CheckResult::new(name, set, url, plugin);
        r.status = status;
        r
    }

    /// pass, fail with hint and phases, warn, fail without hint — in that plan order.
    pub fn sample() -> Vec<CheckResult> {
        let mut sts = result(
            "aws-core",
            "sts",
            "https://sts.eu-west-1.amazonaws.com/",
            "sts",
            Status::Pass,
        );
        sts.service = Some("sts".into());
        sts.reason = "ok".into();
        sts.message = "GetCallerIdentity answered".into();
        sts.action = Some("sts:GetCallerIdentity".into());
        sts.duration_ms = 41.2;

        let mut kms = result(
            "aws-core",
            "kms",
            "https://kms.eu-west-1.amazonaws.com/",
            "kms",
            Status::Fail,
        );
        kms.reason = "access-denied".into();
        kms.message = "kms:ListKeys was denied".into();
        kms.hint = Some("allow kms:ListKeys for this role".into());
        kms.action = Some("kms:ListKeys".into());
        kms.duration_ms = 52.0;
        kms.phases = Phases {
            dns: Some(DnsPhase {
                ms: 1.5,
                answers: vec![DnsAnswer {
                    ip: "10.0.1.7".into(),
                    scope: "private".into(),
                }],
                error: None,
                note: None,
            }),
            tcp: Some(TcpPhase {
                ms: 2.0,
                peer: "10.0.1.7:443".into(),
                connected: true,
                error: None,
            }),
            tls: Some(TlsPhase {
                ms: 12.0,
                ok: true,
                version: Some("TLSv1.3".into()),
                subject: Some("CN=kms.eu-west-1.amazonaws.com".into()),
                issuer: Some("CN=Amazon RSA 2048 M01".into()),
                not_after: Some("2026-01-01T00:00:00Z".into()),
                error: None,
            }),
            http: vec![HttpPhase {
                probe: "ListKeys".into(),
                method: "POST".into(),
                path: "/".into(),
                signed: true,
                ms: 30.0,
                status: Some(400),
                headers: vec![("x-amzn-requestid".into(), "abc".into())],
                body_prefix: "{\"__type\":\"AccessDeniedException\"}".into(),
                error: None,
            }],
        };

        let mut web = result(
            "web",
            "health",
            "https://example.com/health",
            "https",
            Status::Warn,
        );
        web.reason = "http-status".into();
        web.message = "answered 301, expected 200".into();
        web.duration_ms = 88.8;

        let mut db = result("db", "orders", "tcp://10.0.0.5:5432", "tcp", Status::Fail);
        db.reason = "tcp-timeout".into();
        db.message = "no answer from 10.0.0.5:5432 within 5s".into();
        db.duration_ms = 5000.0;

        vec![sts, kms, web, db]
    }
}
