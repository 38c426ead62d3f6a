//! netcheck: from this subnet, with this role, can my workload really reach what it needs?
//!
//! The host is a one-way pipeline, one module per stage:
//!
//! ```text
//! config  ->  plan  ->  runner (local | lambda | ec2)  ->  execute  ->  report
//!  figment     endpoint     netcheck-runner-*              probe (dns, tcp, tls, http)
//!  layers      + plugin                                    sign (SigV4)
//!              choice                                      plugin_host (plan + judge, sandboxed)
//! ```
//!
//! Plugins (WASM components, `wit/`) decide *what* to send and how to judge the
//! answer; the host owns credentials, signing and every byte on the network.

pub mod cli;
pub mod config;
pub mod eks_token;
pub mod endpoint;
pub mod execute;
pub mod iam;
pub mod identity;
pub mod judge;
pub mod lambda;
pub mod plan;
pub mod plugin_host;
pub mod policy;
pub mod probe;
pub mod region;
pub mod report;
pub mod sign;
