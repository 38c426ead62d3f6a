//! Progress events from runners and executors, for the terminal progress display.

use crate::CheckResult;

/// Receives progress while a plan runs. Implementations must be cheap and never block.
pub trait Progress: Send + Sync {
    /// The number of checks that will report, so a bar can size itself.
    fn planned(&self, _checks: usize) {}
    /// A location (subnet, region) entered a lifecycle phase: `packaging`, `deploy`, `invoke`, `cleanup`.
    fn phase(&self, _location: &str, _phase: &str) {}
    /// One check finished.
    fn finished(&self, _result: &CheckResult) {}
}

/// Progress that goes nowhere (JSON output, tests, inside Lambda).
pub struct NoProgress;

impl Progress for NoProgress {}
