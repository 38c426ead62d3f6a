//! Plugins that prove an AWS service with one signed, read-only call.
//!
//! Most AWS plugins are the same three functions: `describe` one service, `plan` one
//! SigV4-signed probe for the target's region, and `judge` the answer with
//! [`judge_aws`]. Implement [`SignedCall`] instead of [`Checker`] and write only what is
//! specific to the service: its description, its request and, where needed, a different
//! service description, signing region or verdict. Every type that implements
//! [`SignedCall`] implements [`Checker`], so the plugin is exported as usual:
//!
//! ```no_run
//! use netcheck_guest::request::{self, JsonProtocol};
//! use netcheck_guest::signed_call::SignedCall;
//! use netcheck_guest::{EndpointKind, HttpRequest, Target};
//!
//! struct Kms;
//!
//! impl SignedCall for Kms {
//!     const NAME: &'static str = "kms";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//!     const DESCRIPTION: &'static str = "AWS KMS: signed ListKeys (Limit 1)";
//!     const SERVICE: &'static str = "kms";
//!     const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
//!     const LABEL: &'static str = "ListKeys";
//!     const ACTION: &'static str = "kms:ListKeys";
//!
//!     fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
//!         Ok(request::aws_json(JsonProtocol::V1_1, "TrentService.ListKeys", r#"{"Limit":1}"#))
//!     }
//! }
//!
//! netcheck_guest::export_plugin!(Kms);
//! ```
//!
//! The probe is signed with the signing name that [`SignedCall::service`] declares, so
//! what `describe` says and what `plan` does cannot drift apart.

use crate::{
    Checker, EndpointKind, HttpRequest, Observation, PluginInfo, Probe, ProbeContext, ServiceInfo,
    Target, Verdict, judge_aws, services,
};

/// A plugin that proves one AWS service with one signed, read-only call.
///
/// Only [`request`](SignedCall::request) and the constants are required; the other
/// methods have the defaults most services need.
pub trait SignedCall {
    /// The plugin's name (`kms`).
    const NAME: &'static str;
    /// The plugin's version: `env!("CARGO_PKG_VERSION")` in the plugin crate.
    const VERSION: &'static str;
    /// One line on what the plugin sends (`AWS KMS: signed ListKeys (Limit 1)`).
    const DESCRIPTION: &'static str;
    /// The service id, which is also its host label, SigV4 signing name and VPC endpoint
    /// suffix in the default [`service`](SignedCall::service).
    const SERVICE: &'static str;
    /// How the service is reached from inside a VPC.
    const ENDPOINT_KIND: EndpointKind;
    /// The probe's label in reports, usually the API call's name (`ListKeys`).
    const LABEL: &'static str;
    /// The IAM action the call needs (`kms:ListKeys`), named in `access-denied` verdicts.
    const ACTION: &'static str;

    /// The request to sign and send, for `target` in `region`. An `Err` is shown to the
    /// user, so say what is wrong and how to fix it (e.g. a bad option value).
    fn request(target: &Target, region: &str) -> Result<HttpRequest, String>;

    /// The service this plugin claims. Default: [`services::aws_service`] for
    /// [`SERVICE`](SignedCall::SERVICE); override to add host patterns or change the VPC
    /// endpoint, starting from that default.
    fn service() -> ServiceInfo {
        services::aws_service(Self::SERVICE, Self::ENDPOINT_KIND, &[Self::ACTION])
    }

    /// The region to sign for. Default: the target's region, or an error saying how to
    /// set one. See [`region_unless_global`] for services with a global host name.
    fn signing_region(target: &Target) -> Result<&str, String> {
        target.require_region()
    }

    /// The verdict on one answer. Default: [`judge_aws`]; override to recognise a
    /// service's own answers and fall back to [`judge_aws`] for the rest.
    fn verdict(
        target: &Target,
        probe: &Probe,
        observation: &Observation,
        context: &ProbeContext,
    ) -> Verdict {
        judge_aws(target, probe, observation, context)
    }
}

impl<T: SignedCall> Checker for T {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: T::NAME.into(),
            version: T::VERSION.into(),
            description: T::DESCRIPTION.into(),
            services: vec![T::service()],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = T::signing_region(&target)?;
        let request = T::request(&target, region)?;
        let service = T::service();
        let signing_name = service.signing_name.as_deref().unwrap_or(&service.id);
        Ok(vec![Probe::aws(
            T::LABEL,
            request,
            signing_name,
            region,
            T::ACTION,
        )])
    }

    fn judge(
        target: Target,
        probe: Probe,
        observation: Observation,
        context: ProbeContext,
    ) -> Verdict {
        T::verdict(&target, &probe, &observation, &context)
    }
}

/// `global_region` when the target's host is `global_host` (the legacy or global name of
/// a service, e.g. `sts.amazonaws.com` signs for `us-east-1`), else the target's region.
/// Host names compare ASCII case-insensitively and a trailing dot is ignored.
///
/// ```
/// use netcheck_guest::signed_call::region_unless_global;
/// # let mut target = netcheck_guest::testing::aws_target("sts", "sts.amazonaws.com.", None);
/// assert_eq!(region_unless_global(&target, "sts.amazonaws.com", "us-east-1"), Ok("us-east-1"));
/// target.host = "sts.eu-west-1.amazonaws.com".into();
/// assert!(region_unless_global(&target, "sts.amazonaws.com", "us-east-1").is_err());
/// ```
pub fn region_unless_global<'a>(
    target: &'a Target,
    global_host: &str,
    global_region: &'a str,
) -> Result<&'a str, String> {
    if target
        .host
        .trim_end_matches('.')
        .eq_ignore_ascii_case(global_host)
    {
        Ok(global_region)
    } else {
        target.require_region()
    }
}
