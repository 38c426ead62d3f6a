//! Checks a plugin's `describe()` answer before the plugin is accepted.
//!
//! The name is how configuration refers to the plugin (`plugin = "kms"`), so it must be a
//! short identifier; everything else must be of a size a person can read.

use super::bindings::netcheck::plugin::types::PluginInfo;
use super::store::{clean, truncate};

const MAX_NAME: usize = 64;
const MAX_VERSION: usize = 64;
const MAX_DESCRIPTION: usize = 1024;
const MAX_SERVICES: usize = 64;
const MAX_LIST: usize = 64;
const MAX_PATTERN: usize = 253;
const MAX_ACTION: usize = 128;

/// `Err` names the field, shows the value (shortened) and says what is allowed.
pub(super) fn validate(info: &PluginInfo) -> Result<(), String> {
    let name = &info.name;
    let name_ok = (1..=MAX_NAME).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        return Err(format!(
            "name {:?}: a plugin name is 1-{MAX_NAME} characters of a-z, 0-9, `-` and `_`, \
             starting with a letter or digit",
            show(name)
        ));
    }
    text("version", &info.version, 1, MAX_VERSION)?;
    text("description", &info.description, 0, MAX_DESCRIPTION)?;
    if info.services.len() > MAX_SERVICES {
        return Err(format!(
            "{} services: at most {MAX_SERVICES} are allowed",
            info.services.len()
        ));
    }
    for service in &info.services {
        text("service id", &service.id, 1, MAX_NAME)?;
        let field = |what: &str| format!("service {:?}: {what}", show(&service.id));
        list(&field("host pattern"), &service.host_patterns, MAX_PATTERN)?;
        list(&field("action"), &service.actions, MAX_ACTION)?;
        for (what, value) in [
            ("signing name", &service.signing_name),
            ("VPC endpoint", &service.vpc_endpoint),
        ] {
            if let Some(value) = value {
                text(&field(what), value, 1, MAX_PATTERN)?;
            }
        }
    }
    Ok(())
}

fn text(field: &str, value: &str, min: usize, max: usize) -> Result<(), String> {
    let chars = value.chars().count();
    if chars < min || chars > max {
        return Err(format!(
            "{field} {:?} is {chars} characters; {min}-{max} are allowed",
            show(value)
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{field} {:?} contains control characters",
            show(value)
        ));
    }
    Ok(())
}

fn list(field: &str, values: &[String], max: usize) -> Result<(), String> {
    if values.len() > MAX_LIST {
        return Err(format!(
            "{} {field}s: at most {MAX_LIST} are allowed",
            values.len()
        ));
    }
    values.iter().try_for_each(|v| text(field, v, 1, max))
}

/// A value shortened and flattened for an error message.
fn show(value: &str) -> String {
    truncate(&clean(value), 40)
}

#[cfg(test)]
mod tests {
    use super::super::bindings::netcheck::plugin::types::{EndpointKind, ServiceInfo};
    use super::*;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "kms".into(),
            version: "0.1.0".into(),
            description: "AWS KMS: ListKeys".into(),
            services: vec![ServiceInfo {
                id: "kms".into(),
                host_patterns: vec!["kms.*.amazonaws.com".into()],
                signing_name: Some("kms".into()),
                vpc_endpoint: Some("com.amazonaws.{region}.kms".into()),
                endpoint_kind: EndpointKind::Interface,
                actions: vec!["kms:ListKeys".into()],
            }],
        }
    }

    #[test]
    fn a_normal_answer_passes() {
        assert_eq!(validate(&info()), Ok(()));
    }

    #[test]
    fn names_must_be_identifiers() {
        for bad in ["", "KMS", "my plugin", "-x", &"a".repeat(65)] {
            let mut i = info();
            i.name = bad.to_string();
            let err = validate(&i).expect_err(bad);
            assert!(err.starts_with("name "), "{err}");
        }
        let mut ok = info();
        ok.name = "s3-express_2".into();
        assert_eq!(validate(&ok), Ok(()));
    }

    #[test]
    fn sizes_and_control_characters_are_refused() {
        let mut i = info();
        i.version = String::new();
        assert!(validate(&i).is_err_and(|e| e.starts_with("version")));

        let mut i = info();
        i.description = "x".repeat(2000);
        assert!(validate(&i).is_err_and(|e| e.contains("2000 characters")));

        let mut i = info();
        i.services[0].host_patterns = vec!["a.b".into(); 65];
        assert!(validate(&i).is_err_and(|e| e.contains("65 service \"kms\": host patterns")));

        let mut i = info();
        i.services[0].actions = vec!["kms:\u{1b}[31mList".into()];
        assert!(validate(&i).is_err_and(|e| e.contains("control characters")));
    }
}
