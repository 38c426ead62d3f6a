//! Progress on stderr while checks run: on a terminal a bar, plus one line per location
//! for remote runners saying the phase it is in (role, deploy, invoke, cleanup…);
//! elsewhere (CI logs) remote runners print each phase change as a plain line.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use netcheck_runner_api::{CheckResult, Progress};

/// A progress bar on stderr, with a line per remote location (terminal only).
pub struct ProgressBar {
    multi: indicatif::MultiProgress,
    bar: indicatif::ProgressBar,
    locations: Mutex<HashMap<String, indicatif::ProgressBar>>,
}

impl ProgressBar {
    pub fn new() -> Self {
        let multi = indicatif::MultiProgress::new();
        let bar = multi.add(
            indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} checks {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        ProgressBar {
            multi,
            bar,
            locations: Mutex::new(HashMap::new()),
        }
    }
}

impl Progress for ProgressBar {
    fn planned(&self, checks: usize) {
        self.bar.set_length(checks as u64);
    }
    fn phase(&self, location: &str, phase: &str) {
        if location == "local" {
            self.bar.set_message(format!("{location}: {phase}"));
            return;
        }
        let mut lines = self.locations.lock().unwrap_or_else(|p| p.into_inner());
        let line = lines.entry(location.to_string()).or_insert_with(|| {
            let line = self.multi.add(
                indicatif::ProgressBar::new_spinner().with_style(
                    indicatif::ProgressStyle::with_template("  {spinner} {prefix:<26} {wide_msg}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                ),
            );
            line.set_prefix(location.to_string());
            line.enable_steady_tick(Duration::from_millis(120));
            line
        });
        line.set_message(phase.to_string());
    }
    fn finished(&self, result: &CheckResult) {
        self.bar
            .set_message(format!("{} {}", result.status.as_str(), result.name));
        self.bar.inc(1);
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        for line in self
            .locations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            line.finish_and_clear();
        }
        self.bar.finish_and_clear();
    }
}

/// Phase changes of remote locations as plain stderr lines (`[subnet-0abc] deploy`),
/// for logs where a bar cannot redraw.
#[derive(Default)]
pub struct PhaseLines;

impl Progress for PhaseLines {
    fn planned(&self, _checks: usize) {}
    fn phase(&self, location: &str, phase: &str) {
        if location != "local" {
            eprintln!("[{location}] {phase}");
        }
    }
    fn finished(&self, _result: &CheckResult) {}
}
