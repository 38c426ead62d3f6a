//! netcheck plugin `firehose`: proves Amazon Data Firehose (formerly Kinesis Data Firehose)
//! is reachable and usable with `ListDeliveryStreams` (JSON 1.1, `{"Limit":1}`).
//!
//! The host name and signing name are `firehose`, but the VPC endpoint service is
//! `com.amazonaws.{region}.kinesis-firehose`.

use netcheck_guest::request::{self, JsonProtocol};
use netcheck_guest::{
    Checker, EndpointKind, Observation, PluginInfo, Probe, ProbeContext, Target, Verdict,
    judge_aws, services,
};

const ACTION: &str = "firehose:ListDeliveryStreams";

struct Firehose;

impl Checker for Firehose {
    fn describe() -> PluginInfo {
        let mut service = services::aws_service("firehose", EndpointKind::Interface, &[ACTION]);
        service.vpc_endpoint = Some("com.amazonaws.{region}.kinesis-firehose".into());
        service
            .host_patterns
            .push("*.kinesis-firehose.*.vpce.amazonaws.com".into());
        PluginInfo {
            name: "firehose".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Amazon Data Firehose: signed ListDeliveryStreams (Limit 1)".into(),
            services: vec![service],
        }
    }

    fn plan(target: Target) -> Result<Vec<Probe>, String> {
        let region = target.require_region()?;
        let call = request::aws_json(
            JsonProtocol::V1_1,
            "Firehose_20150804.ListDeliveryStreams",
            r#"{"Limit":1}"#,
        );
        Ok(vec![Probe::aws(
            "ListDeliveryStreams",
            call,
            "firehose",
            region,
            ACTION,
        )])
    }

    fn judge(
        target: Target,
        probe: Probe,
        observation: Observation,
        context: ProbeContext,
    ) -> Verdict {
        judge_aws(&target, &probe, &observation, &context)
    }
}

netcheck_guest::export_plugin!(Firehose);

#[cfg(test)]
mod tests {
    //! The ListDeliveryStreams request, the description, and verdicts on Firehose's answers
    //! in the JSON 1.1 shapes AWS sends.

    use super::*;
    use netcheck_guest::{HttpResponse, ProbeKind, Signing, Status};

    const OK: &str = r#"{"DeliveryStreamNames":["clicks"],"HasMoreDeliveryStreams":true}"#;
    const ACCESS_DENIED: &str = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: firehose:ListDeliveryStreams on resource: arn:aws:firehose:eu-west-1:123456789012:deliverystream/* because no identity-based policy allows the firehose:ListDeliveryStreams action"}"#;
    const BAD_SIGNATURE: &str = r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}"#;
    const UNKNOWN_KEY: &str = r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;

    fn target(region: Option<&str>) -> Target {
        Target {
            url: "https://firehose.eu-west-1.amazonaws.com/".into(),
            scheme: "https".into(),
            host: "firehose.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: "/".into(),
            aws: None,
            service: Some("firehose".into()),
            region: region.map(String::from),
            options: Vec::new(),
        }
    }

    fn judge(status: u16, body: &str) -> Verdict {
        let t = target(Some("eu-west-1"));
        let probe = Firehose::plan(t.clone()).unwrap().remove(0);
        let response = HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/x-amz-json-1.1".into())],
            body: body.as_bytes().to_vec(),
        };
        let context = ProbeContext {
            signed: true,
            clock_offset_seconds: None,
        };
        Firehose::judge(t, probe, Observation::Http(response), context)
    }

    fn expect(v: &Verdict, status: Status, reason: &str, needle: &str) {
        assert_eq!((v.status, v.reason.as_str()), (status, reason), "{v:?}");
        assert!(
            v.message.contains(needle),
            "{needle:?} not in {}",
            v.message
        );
    }

    #[test]
    fn plans_one_signed_list_delivery_streams() {
        let probes = Firehose::plan(target(Some("eu-west-1"))).unwrap();
        assert_eq!(probes.len(), 1);
        let probe = &probes[0];
        assert_eq!(probe.signing, Signing::sigv4("firehose", "eu-west-1"));
        assert_eq!(probe.action.as_deref(), Some(ACTION));
        let ProbeKind::Http(req) = &probe.kind else {
            panic!("expected an HTTP probe");
        };
        assert!(req.headers.contains(&(
            "x-amz-target".into(),
            "Firehose_20150804.ListDeliveryStreams".into()
        )));
        assert_eq!(req.body, br#"{"Limit":1}"#);
    }

    #[test]
    fn missing_region_is_an_error() {
        assert!(
            Firehose::plan(target(None))
                .unwrap_err()
                .contains("no region")
        );
    }

    #[test]
    fn vpc_endpoint_is_kinesis_firehose() {
        let s = &Firehose::describe().services[0];
        assert_eq!(s.id, "firehose");
        assert_eq!(s.signing_name.as_deref(), Some("firehose"));
        assert_eq!(
            s.vpc_endpoint.as_deref(),
            Some("com.amazonaws.{region}.kinesis-firehose")
        );
        assert_eq!(s.endpoint_kind, EndpointKind::Interface);
        for p in [
            "firehose.*.amazonaws.com",
            "firehose-fips.*.amazonaws.com",
            "firehose.*.api.aws",
            "*.firehose.*.vpce.amazonaws.com",
            "*.kinesis-firehose.*.vpce.amazonaws.com",
        ] {
            assert!(s.host_patterns.iter().any(|x| x == p), "missing {p}");
        }
    }

    #[test]
    fn verdicts_on_recorded_answers() {
        expect(&judge(200, OK), Status::Pass, "ok", "ListDeliveryStreams");
        expect(
            &judge(400, ACCESS_DENIED),
            Status::Fail,
            "access-denied",
            ACTION,
        );
        expect(
            &judge(400, BAD_SIGNATURE),
            Status::Fail,
            "signature-mismatch",
            "InvalidSignatureException",
        );
        expect(
            &judge(400, UNKNOWN_KEY),
            Status::Fail,
            "invalid-credentials",
            "UnrecognizedClientException",
        );
    }
}
