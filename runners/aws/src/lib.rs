//! The AWS resources netcheck's remote runners (lambda, ec2) create for a run and remove
//! again: the execution role ([`role`]) and the egress-only security group with the subnets
//! it serves ([`network`]). [`aws_error`] turns SDK errors into messages for people.
//!
//! Everything created carries the run id in its name, lives under the IAM path
//! [`role::ROLE_PATH`] and is tagged `netcheck:run-id` and `netcheck:managed=true`, so a
//! later `netcheck cleanup` can find leftovers by tag ([`role::find_managed_roles`]) and
//! remove them idempotently ([`role::delete_role`]). Deletion refuses roles netcheck did
//! not create. The administrator's policy (a permissions boundary, required tags) reaches
//! this crate as plain data in [`role::RoleRequest`]: the runners never parse config.
//!
//! ```no_run
//! # async fn demo(sdk: &aws_config::SdkConfig) -> anyhow::Result<()> {
//! use std::collections::BTreeMap;
//! use netcheck_runner_aws::role::{RoleRequest, create_role, delete_role};
//!
//! let iam = netcheck_runner_aws::iam_client(sdk);
//! let request = RoleRequest {
//!     run_id: "r-20261123-1a2b".to_string(),
//!     trust_service: "lambda.amazonaws.com".to_string(),
//!     managed_policies: vec![],
//!     inline_policy: serde_json::json!({"Version": "2012-10-17", "Statement": []}),
//!     permissions_boundary: None,
//!     tags: BTreeMap::new(),
//! };
//! let role = create_role(&iam, &request).await?;
//! let removed = delete_role(&iam, &role.name).await?;
//! # Ok(()) }
//! ```

pub mod aws_error;
pub mod network;
pub mod role;

/// The SDKs this crate is built against, for callers that inspect what was created.
pub use aws_sdk_ec2;
pub use aws_sdk_iam;

/// An IAM client from a loaded AWS configuration (credentials, region, endpoint
/// overrides such as `AWS_ENDPOINT_URL_IAM`).
pub fn iam_client(config: &aws_config::SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(config)
}

/// An EC2 client from a loaded AWS configuration.
pub fn ec2_client(config: &aws_config::SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(config)
}
