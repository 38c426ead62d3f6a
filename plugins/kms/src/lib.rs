//! netcheck plugin `kms`: proves AWS KMS is reachable and usable with `ListKeys`
//! (JSON 1.1, `{"Limit":1}`), the cheapest read-only call KMS has.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{EndpointKind, HttpRequest, SignedCall, Target};

const ACTION: &str = "kms:ListKeys";

struct Kms;

impl SignedCall for Kms {
    const NAME: &'static str = "kms";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "AWS KMS: signed ListKeys (Limit 1)";
    const SERVICE: &'static str = "kms";
    const ENDPOINT_KIND: EndpointKind = EndpointKind::Interface;
    const LABEL: &'static str = "ListKeys";
    const ACTION: &'static str = ACTION;

    fn request(_target: &Target, _region: &str) -> Result<HttpRequest, String> {
        Ok(request::aws_json(
            JsonProtocol::V1_1,
            "TrentService.ListKeys",
            r#"{"Limit":1}"#,
        ))
    }
}

netcheck_guest::export_plugin!(Kms);

#[cfg(test)]
mod tests {
    use super::*;
    use netcheck_guest::testing::{aws_target, http_request, only_probe};
    use netcheck_guest::{Checker, Signing};

    fn target(region: Option<&str>) -> Target {
        aws_target("kms", "kms.eu-west-1.amazonaws.com", region)
    }

    #[test]
    fn plans_one_signed_list_keys() {
        let probe = only_probe::<Kms>(target(Some("eu-west-1")));
        assert_eq!(probe.signing, Signing::sigv4("kms", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let req = http_request(&probe);
        assert_eq!(req.method, "POST");
        assert!(
            req.headers
                .contains(&("x-amz-target".into(), "TrentService.ListKeys".into()))
        );
        assert_eq!(req.body, br#"{"Limit":1}"#);
    }

    #[test]
    fn missing_region_is_an_error_naming_the_fix() {
        let err = Kms::plan(target(None)).unwrap_err();
        assert!(
            err.contains("no region") && err.contains("AWS_REGION"),
            "{err}"
        );
    }

    #[test]
    fn describes_the_kms_service() {
        let info = Kms::describe();
        assert_eq!(info.name, "kms");
        assert_eq!(
            info.services[0].vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.kms")
        );
        assert_eq!(info.services[0].actions, [ACTION]);
    }
}
