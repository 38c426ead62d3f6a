//! What a [`Runner::run`](crate::Runner::run) hands back besides results: the AWS
//! resources it created, removed, left behind or kept, and whether it refused to start.
//! The command line renders this for every runner alike; nothing is read on the side.

use std::fmt;

use crate::CheckResult;

/// A refusal's reasons, rendered by whoever judged the run (the host's policy): the
/// runner carries them, it does not word them.
pub type Objection = Box<dyn std::error::Error + Send + Sync>;

/// Why a run produced no results.
#[derive(Debug)]
pub enum RunError {
    /// Refused before anything was created (the policy objected to where it would run).
    /// Exit code 2.
    Refused(Objection),
    /// It started and failed; whatever it created is in [`RunOutcome::resources`].
    Failed(anyhow::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Refused(why) => write!(f, "{why}"),
            RunError::Failed(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<anyhow::Error> for RunError {
    fn from(e: anyhow::Error) -> Self {
        RunError::Failed(e)
    }
}

/// The resources a run touched, as labels (`function netcheck-… (us-east-1)`), in the
/// order they were created or removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// The run id that names and tags them (`netcheck cleanup --run-id`); `None` for a
    /// runner that creates nothing.
    pub run_id: Option<String>,
    pub created: Vec<String>,
    pub removed: Vec<String>,
    /// Created, not removed, and not meant to stay: why each is still there.
    pub left: Vec<String>,
    /// Created and kept on purpose (`--keep`).
    pub kept: Vec<String>,
}

/// The results (or why there are none) and the resources, whatever happened.
#[derive(Debug)]
pub struct RunOutcome {
    pub results: Result<Vec<CheckResult>, RunError>,
    pub resources: Resources,
}

impl RunOutcome {
    /// A run that created nothing.
    pub fn results(results: Vec<CheckResult>) -> Self {
        RunOutcome {
            results: Ok(results),
            resources: Resources::default(),
        }
    }
}
