//! netcheck plugin `ssm`: proves AWS Systems Manager is reachable and usable with
//! `DescribeParameters` (JSON 1.1, `{"MaxResults":1}`), a cheap read-only call that needs
//! no parameter name.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target};

const ACTION: &str = "ssm:DescribeParameters";

struct Ssm;

impl SignedCall for Ssm {
    const NAME: &'static str = "ssm";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "AWS Systems Manager: signed DescribeParameters (MaxResults 1)";
    const SERVICE: &'static str = "ssm";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "DescribeParameters";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_json(
            JsonProtocol::V1_1,
            "AmazonSSM.DescribeParameters",
            r#"{"MaxResults":1}"#,
        ))
    }
}

netcheck_guest::export_plugin!(Ssm);

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_guest::testing::{aws_target, http_request, only_probe};
    use netcheck_guest::{Checker, Signing};

    fn target(region: Option<&str>) -> Target {
        aws_target("ssm", "ssm.eu-west-1.amazonaws.com", region)
    }

    #[test]
    fn plans_one_signed_describe() {
        let probe = only_probe::<Ssm>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("ssm", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(req.method, "POST");
        assert!(
            req.headers
                .contains(&("x-amz-target".into(), "AmazonSSM.DescribeParameters".into()))
        );
        assert_eq!(req.body, br#"{"MaxResults":1}"#);
    }

    #[test]
    fn missing_region_is_an_error_naming_the_fix() {
        let err = Ssm::plan(target(None)).unwrap_err();
        assert!(
            err.contains("no region") && err.contains("AWS_REGION"),
            "{err}"
        );
    }

    #[test]
    fn describes_the_ssm_service() {
        let info = Ssm::describe();
        assert_eq!(info.name, "ssm");
        assert_eq!(
            info.services[0].vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.ssm")
        );
        assert_eq!(info.services[0].actions, [ACTION]);
    }
}
