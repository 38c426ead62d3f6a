//! The `local` runner: the plan runs on this machine, in this process.
//!
//! It is the reference runner: remote runners ship the same [`Plan`] elsewhere and
//! must return results shaped exactly like these.

use std::sync::Arc;

use netcheck_runner_api::{Executor, Plan, Progress, RunOutcome, Runner};

/// Runs every check here.
#[derive(Debug, Default)]
pub struct LocalRunner;

#[async_trait::async_trait]
impl Runner for LocalRunner {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn run(
        &self,
        plan: &Plan,
        executor: Arc<dyn Executor>,
        progress: Arc<dyn Progress>,
    ) -> RunOutcome {
        progress.phase("local", "probe");
        let mut results = executor.execute(plan, progress).await;
        for r in &mut results {
            r.location = "local".to_string();
        }
        RunOutcome::results(results)
    }
}
