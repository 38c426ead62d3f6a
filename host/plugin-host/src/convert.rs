//! The one place the runner API's `Target` becomes the WIT `target` a plugin sees, and back.

use netcheck_runner_api as api;

use super::bindings::netcheck::plugin::types as wit;

impl From<&api::Target> for wit::Target {
    fn from(t: &api::Target) -> Self {
        wit::Target {
            url: t.url.clone(),
            scheme: t.scheme.clone(),
            host: t.host.clone(),
            port: t.port,
            path_and_query: t.path_and_query.clone(),
            aws: t.aws.as_ref().map(|a| wit::AwsEndpoint {
                service_label: a.service_label.clone(),
                region: a.region.clone(),
                partition: a.partition.clone(),
                fips: a.fips,
                dualstack: a.dualstack,
                vpc_endpoint_id: a.vpc_endpoint_id.clone(),
                account: a.account.clone(),
                resource: a.resource.clone(),
            }),
            service: t.service.clone(),
            region: t.region.clone(),
            options: t.options.clone(),
        }
    }
}

impl From<wit::Target> for api::Target {
    fn from(t: wit::Target) -> Self {
        api::Target {
            url: t.url,
            scheme: t.scheme,
            host: t.host,
            port: t.port,
            path_and_query: t.path_and_query,
            aws: t.aws.map(|a| api::AwsEndpoint {
                service_label: a.service_label,
                region: a.region,
                partition: a.partition,
                fips: a.fips,
                dualstack: a.dualstack,
                vpc_endpoint_id: a.vpc_endpoint_id,
                account: a.account,
                resource: a.resource,
            }),
            service: t.service,
            region: t.region,
            options: t.options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_survives_the_round_trip() {
        let target = api::Target {
            url: "https://bucket.s3.eu-west-1.amazonaws.com/key?x=1".into(),
            scheme: "https".into(),
            host: "bucket.s3.eu-west-1.amazonaws.com".into(),
            port: 443,
            path_and_query: "/key?x=1".into(),
            aws: Some(api::AwsEndpoint {
                service_label: "s3".into(),
                region: Some("eu-west-1".into()),
                partition: "aws".into(),
                fips: true,
                dualstack: true,
                vpc_endpoint_id: Some("vpce-0abc".into()),
                account: Some("123456789012".into()),
                resource: Some("bucket".into()),
            }),
            service: Some("s3".into()),
            region: Some("eu-west-1".into()),
            options: vec![("expect-status".into(), "200,204".into())],
        };
        let wit = wit::Target::from(&target);
        assert_eq!(wit.port, 443);
        assert_eq!(
            wit.aws.as_ref().and_then(|a| a.resource.as_deref()),
            Some("bucket")
        );
        assert_eq!(api::Target::from(wit), target);
    }
}
