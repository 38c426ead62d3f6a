//! The payload a remote runner sends to where the checks run (a Lambda function, an
//! EC2 instance) and what comes back.
//!
//! It is plain data: the [`Plan`], the run id and location, and the administrator's
//! policy as opaque text for the remote host to enforce again. It never carries
//! credentials — remotely, signing uses the function's or instance's own role.

use serde::{Deserialize, Serialize};

use crate::{CheckResult, Plan};

/// Bumped when [`RemoteRequest`] or [`RemoteResponse`] change incompatibly.
pub const REMOTE_PROTOCOL: u32 = 1;

/// What the invoker sends.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RemoteRequest {
    /// [`REMOTE_PROTOCOL`] of the sender; a mismatch is refused, not guessed at.
    pub protocol: u32,
    /// The invoking netcheck's version, for error messages.
    pub netcheck_version: String,
    pub run_id: String,
    /// Where this runs (`subnet-0abc…`, or `lambda:eu-west-1` outside a VPC).
    pub location: String,
    pub plan: Plan,
    /// The effective policy, as the host serialised it; opaque to runners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<serde_json::Value>,
}

/// What comes back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RemoteResponse {
    pub protocol: u32,
    pub netcheck_version: String,
    pub location: String,
    /// One per check of the plan, `location` filled in.
    pub results: Vec<CheckResult>,
    /// Set instead of results when the remote could not run the plan at all
    /// (policy refused, a plugin failed to load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
