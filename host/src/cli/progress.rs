//! A progress bar on stderr while checks run (terminal only).

use std::time::Duration;

use netcheck_runner_api::{CheckResult, Progress};

/// A progress bar on stderr while checks run (terminal only).
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
}

impl ProgressBar {
    pub fn new() -> Self {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} checks {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        ProgressBar { bar }
    }
}

impl Progress for ProgressBar {
    fn planned(&self, checks: usize) {
        self.bar.set_length(checks as u64);
    }
    fn phase(&self, location: &str, phase: &str) {
        self.bar.set_message(format!("{location}: {phase}"));
    }
    fn finished(&self, result: &CheckResult) {
        self.bar
            .set_message(format!("{} {}", result.status.as_str(), result.name));
        self.bar.inc(1);
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
