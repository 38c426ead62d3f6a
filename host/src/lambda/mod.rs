//! netcheck as a Lambda function: the host side of the `lambda` runner.
//!
//! The runner (`netcheck-runner-lambda`) deploys netcheck *itself* as a
//! `provided.al2023` custom-runtime function into each subnet and invokes it with the
//! plan. This module is what runs there and what gets deployed:
//!
//! - [`handler`]: inside Lambda, `netcheck` started without arguments serves
//!   invocations ([`serve`]): a [`RemoteRequest`](netcheck_runner_api::remote::RemoteRequest)
//!   in, the plan run under the invoker's policy, a
//!   [`RemoteResponse`](netcheck_runner_api::remote::RemoteResponse) out.
//! - [`package`]: the deployment zip ([`build_package`]): the bootstrap, checked by
//!   [`elf`] to run on Amazon Linux 2023, and the custom plugins.

pub mod elf;
pub mod handler;
pub mod package;

pub use handler::{Handler, in_lambda, serve};
pub use package::build_package;
