//! How big a plugin's answer is, for the output cap.
//!
//! A value's size is the bytes of all its strings and byte lists, plus a byte for each
//! variant or option tag and for each list element (other than bytes), so a list of
//! millions of empty strings is not free.

use super::bindings::netcheck::plugin::types::{
    HttpRequest, PluginInfo, Probe, ProbeKind, ServiceInfo, Signing, Sigv4Params, Verdict,
};

pub(super) trait OutputSize {
    /// What each element adds as a list member, on top of its own size.
    const ELEMENT_OVERHEAD: usize = 1;

    fn output_bytes(&self) -> usize;
}

impl OutputSize for String {
    fn output_bytes(&self) -> usize {
        self.len()
    }
}

impl OutputSize for u8 {
    const ELEMENT_OVERHEAD: usize = 0;

    fn output_bytes(&self) -> usize {
        1
    }
}

impl<T: OutputSize> OutputSize for Vec<T> {
    fn output_bytes(&self) -> usize {
        self.len() * T::ELEMENT_OVERHEAD + self.iter().map(OutputSize::output_bytes).sum::<usize>()
    }
}

impl<T: OutputSize> OutputSize for Option<T> {
    fn output_bytes(&self) -> usize {
        1 + self.as_ref().map_or(0, OutputSize::output_bytes)
    }
}

impl<A: OutputSize, B: OutputSize> OutputSize for (A, B) {
    fn output_bytes(&self) -> usize {
        self.0.output_bytes() + self.1.output_bytes()
    }
}

impl<T: OutputSize, E: OutputSize> OutputSize for Result<T, E> {
    fn output_bytes(&self) -> usize {
        1 + match self {
            Ok(value) => value.output_bytes(),
            Err(error) => error.output_bytes(),
        }
    }
}

impl OutputSize for PluginInfo {
    fn output_bytes(&self) -> usize {
        self.name.output_bytes()
            + self.version.output_bytes()
            + self.description.output_bytes()
            + self.services.output_bytes()
    }
}

impl OutputSize for ServiceInfo {
    fn output_bytes(&self) -> usize {
        1 + self.id.output_bytes()
            + self.host_patterns.output_bytes()
            + self.signing_name.output_bytes()
            + self.vpc_endpoint.output_bytes()
            + self.actions.output_bytes()
    }
}

impl OutputSize for Probe {
    fn output_bytes(&self) -> usize {
        self.label.output_bytes()
            + self.kind.output_bytes()
            + self.signing.output_bytes()
            + self.action.output_bytes()
    }
}

impl OutputSize for ProbeKind {
    fn output_bytes(&self) -> usize {
        1 + match self {
            ProbeKind::Connect => 0,
            ProbeKind::Http(request) => request.output_bytes(),
        }
    }
}

impl OutputSize for HttpRequest {
    fn output_bytes(&self) -> usize {
        self.method.output_bytes()
            + self.path_and_query.output_bytes()
            + self.headers.output_bytes()
            + self.body.output_bytes()
    }
}

impl OutputSize for Signing {
    fn output_bytes(&self) -> usize {
        1 + match self {
            Signing::None => 0,
            Signing::Sigv4(params) => params.output_bytes(),
            Signing::EksToken(params) => {
                params.cluster.output_bytes() + params.region.output_bytes()
            }
        }
    }
}

impl OutputSize for Sigv4Params {
    fn output_bytes(&self) -> usize {
        self.service.output_bytes() + self.region.output_bytes()
    }
}

impl OutputSize for Verdict {
    fn output_bytes(&self) -> usize {
        2 + self.reason.output_bytes() + self.message.output_bytes() + self.hint.output_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_strings_bodies_and_tags() {
        let probe = Probe {
            label: "ListKeys".into(),
            kind: ProbeKind::Http(HttpRequest {
                method: "POST".into(),
                path_and_query: "/".into(),
                headers: vec![("x-amz-target".into(), "TrentService.ListKeys".into())],
                body: b"{}".to_vec(),
            }),
            signing: Signing::Sigv4(Sigv4Params {
                service: "kms".into(),
                region: "eu-west-1".into(),
            }),
            action: Some("kms:ListKeys".into()),
        };
        // label 8; kind: tag 1 + method 4 + path 1 + headers (1 + 12 + 21) + body 2;
        // signing: tag 1 + 3 + 9; action: tag 1 + 12.
        assert_eq!(probe.output_bytes(), 8 + 42 + 13 + 13);
        let plan: Result<Vec<Probe>, String> = Ok(vec![probe.clone(), probe]);
        assert_eq!(plan.output_bytes(), 1 + 2 * (1 + 76));
    }

    #[test]
    fn an_error_string_counts_in_full() {
        let plan: Result<Vec<Probe>, String> = Err("b".repeat(8 << 20));
        assert_eq!(plan.output_bytes(), (8 << 20) + 1);
    }

    #[test]
    fn empty_elements_still_count() {
        let many: Vec<Option<String>> = vec![None; 1000];
        assert_eq!(many.output_bytes(), 2000);
        let strings: Vec<String> = vec![String::new(); 1000];
        assert_eq!(strings.output_bytes(), 1000);
        let bytes: Vec<u8> = vec![0; 1000];
        assert_eq!(bytes.output_bytes(), 1000);
    }
}
