//! Counts per status and the human forms of times, shared by every renderer.

use std::fmt;
use std::time::Duration;

use netcheck_runner_api::{CheckResult, Status};
use serde::Serialize;

/// How many checks passed, warned and failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
}

impl Summary {
    /// Counts `results` by status.
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Self {
        results.into_iter().fold(Summary::default(), |mut s, r| {
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
            }
            s
        })
    }

    /// All checks counted.
    pub fn total(&self) -> usize {
        self.pass + self.warn + self.fail
    }
}

impl fmt::Display for Summary {
    /// `3 passed, 1 warned, 2 failed`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} warned, {} failed",
            self.pass, self.warn, self.fail
        )
    }
}

/// A duration for people: `850 ms` under a second, else `1.2 s`.
pub fn human_duration(d: Duration) -> String {
    human_ms(d.as_secs_f64() * 1000.0)
}

/// Milliseconds for people: `850 ms`, `12.5 ms` (below 100 ms), `1.2 s`.
pub fn human_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "-".to_string()
    } else if ms < 100.0 && ms.fract() != 0.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// Seconds with millisecond precision, as JUnit's `time` attributes want (`0.123`).
pub fn seconds(ms: f64) -> String {
    let ms = if ms.is_finite() && ms > 0.0 { ms } else { 0.0 };
    format!("{:.3}", ms / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_status() {
        let mut a = CheckResult::new("a", "s", "u", "p");
        a.status = Status::Pass;
        let mut b = a.clone();
        b.status = Status::Warn;
        let c = CheckResult::new("c", "s", "u", "p");
        let s = Summary::of(&[a.clone(), b, c, a]);
        assert_eq!(
            s,
            Summary {
                pass: 2,
                warn: 1,
                fail: 1
            }
        );
        assert_eq!(s.total(), 4);
        assert_eq!(s.to_string(), "2 passed, 1 warned, 1 failed");
    }

    #[test]
    fn times_read_naturally() {
        assert_eq!(human_duration(Duration::from_millis(1200)), "1.2 s");
        assert_eq!(human_ms(850.0), "850 ms");
        assert_eq!(human_ms(12.34), "12.3 ms");
        assert_eq!(human_ms(12.0), "12 ms");
        assert_eq!(human_ms(f64::NAN), "-");
        assert_eq!(seconds(1234.0), "1.234");
        assert_eq!(seconds(-1.0), "0.000");
    }
}
