//! netcheck's check engine: from configuration to a [`plan::Plan`](netcheck_runner_api::Plan),
//! and from a plan to results, one check at a time.
//!
//! ```text
//! config  ->  plan  ->  runner (local | lambda | ec2)  ->  execute  ->  report
//!  netcheck-   endpoint     netcheck-runner-*              probe (dns, tcp, tls, http)
//!  config      + plugin                                    sign (SigV4)
//!              choice                                      plugin host (plan + judge, sandboxed)
//! ```
//!
//! - [`session`]: admission — which plugins the policy lets load, their limits, the plan
//!   checked against the policy ([`Violations`](session::Violations)), the audit line, and
//!   the [`Pipeline`](execute::Pipeline) built once with its policy. The command line and
//!   the in-function Lambda server both start here.
//! - [`plan`], [`endpoint`]: configured checks to a plan; endpoint host names to AWS facts.
//! - [`execute`], [`judge`]: one check through its phases to a verdict.
//! - [`probe`], [`sign`], [`eks_token`]: the network and credentials; plugins never see them.
//! - [`iam`], [`identity`]: the IAM policy a plan needs; the caller's identity.
//!
//! Plugins (WASM components, `wit/`) decide *what* to send and how to judge the
//! answer; this crate owns credentials, signing and every byte on the network.

pub mod eks_token;
pub mod endpoint;
pub mod execute;
pub mod iam;
pub mod identity;
pub mod judge;
pub mod plan;
pub mod probe;
pub mod session;
pub mod sign;
