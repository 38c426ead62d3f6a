//! The JSON document for machines (`schema_version` 1), described by [`json_schema`].
//!
//! ```json
//! {"schema_version": 1, "netcheck_version": "0.1.0", "runner": "local",
//!  "started_at": "2025-01-01T12:00:00.000Z", "duration_ms": 1234.5,
//!  "summary": {"pass": 3, "warn": 1, "fail": 2}, "results": [ ... ]}
//! ```
//!
//! `results` holds each `CheckResult` exactly as it serialises, so the document reads
//! back into `Vec<CheckResult>`.

use netcheck_runner_api::CheckResult;
use serde::Serialize;

use super::Report;
use super::summary::Summary;

/// The version of this document's shape; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    netcheck_version: &'static str,
    runner: &'a str,
    /// The run's default region (`{region}` and AWS endpoints without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    /// Where `region` came from: `--region`, `NETCHECK_REGION`, the config file's name,
    /// `AWS_REGION`, `AWS profile`, `instance metadata`, or `default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    region_source: Option<String>,
    started_at: String,
    duration_ms: f64,
    summary: Summary,
    results: &'a [CheckResult],
}

/// Renders the report as pretty-printed JSON (ends with a newline).
pub fn json(r: &Report) -> String {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        netcheck_version: env!("CARGO_PKG_VERSION"),
        runner: r.runner,
        region: r.region.map(|g| g.name.as_str()),
        region_source: r.region.map(|g| g.source.to_string()),
        started_at: humantime::format_rfc3339_millis(r.started_at).to_string(),
        duration_ms: (r.duration.as_secs_f64() * 1_000_000.0).round() / 1000.0,
        summary: r.summary(),
        results: r.results,
    };
    // Serialising plain structs with string keys into memory cannot fail.
    let mut text = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot render JSON report: {e}\"}}"));
    text.push('\n');
    text
}

/// The JSON Schema (draft 2020-12) of [`json`]'s output.
pub fn json_schema() -> &'static str {
    include_str!("schema.json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{report, sample};
    use serde_json::{Map, Value, json};

    #[test]
    fn results_round_trip_and_header_fields_are_set() {
        let results = sample();
        let doc: Value = serde_json::from_str(&json(&report(&results))).unwrap();
        assert_eq!(doc["schema_version"], 1);
        assert_eq!(doc["netcheck_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(doc["runner"], "local");
        assert_eq!(doc["started_at"], "2025-01-02T03:04:05.678Z");
        assert_eq!(doc["duration_ms"], 1234.5);
        assert_eq!(doc["summary"], json!({"pass": 1, "warn": 1, "fail": 2}));
        let back: Vec<CheckResult> = serde_json::from_value(doc["results"].clone()).unwrap();
        assert_eq!(back, results);
    }

    #[test]
    fn special_characters_survive() {
        let mut results = sample();
        results[0].message = "a <b> & \"c\"\nnext line\u{1b}".into();
        let text = json(&report(&results));
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["results"][0]["message"], results[0].message);
        assert!(
            !text.contains('\u{1b}'),
            "control characters must be escaped"
        );
    }

    #[test]
    fn output_matches_the_schema() {
        let schema: Value = serde_json::from_str(json_schema()).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let mut results = sample();
        results[1].location = "subnet-0abc".into();
        let doc: Value = serde_json::from_str(&json(&report(&results))).unwrap();
        let errors = validate(&schema, &schema, &doc, "$");
        assert!(errors.is_empty(), "{errors:#?}");
        let empty: Value = serde_json::from_str(&json(&report(&[]))).unwrap();
        assert!(validate(&schema, &schema, &empty, "$").is_empty());
    }

    #[test]
    fn schema_rejects_drift() {
        let schema: Value = serde_json::from_str(json_schema()).unwrap();
        let results = sample();
        let good: Value = serde_json::from_str(&json(&report(&results))).unwrap();

        let mut extra = good.clone();
        extra["results"][0]["surprise"] = json!(1);
        let mut missing = good.clone();
        if let Some(o) = missing["results"][0].as_object_mut() {
            o.remove("reason");
        }
        let mut wrong_status = good.clone();
        wrong_status["results"][0]["status"] = json!("ok");
        let mut bad_header = good.clone();
        bad_header["results"][1]["phases"]["http"][0]["headers"] = json!([["server"]]);
        for (what, doc) in [
            ("extra key", extra),
            ("missing key", missing),
            ("bad enum", wrong_status),
            ("short tuple", bad_header),
        ] {
            assert!(
                !validate(&schema, &schema, &doc, "$").is_empty(),
                "{what} passed"
            );
        }
    }

    /// A small structural validator for the keywords schema.json uses: `$ref` (local),
    /// `type`, `enum`, `const`, `required`, `properties`, `additionalProperties: false`,
    /// `items`, `prefixItems`, `minItems`, `maxItems`, `minimum`, `maximum`.
    fn validate(root: &Value, schema: &Value, v: &Value, at: &str) -> Vec<String> {
        let mut errs = Vec::new();
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let target = r
                .strip_prefix("#/")
                .map(|p| p.split('/').fold(root, |s, k| &s[k]))
                .unwrap_or(&Value::Null);
            if target.is_null() {
                errs.push(format!("{at}: unresolved $ref {r}"));
            } else {
                errs.extend(validate(root, target, v, at));
            }
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.iter().any(|t| type_matches(t, v)) {
                errs.push(format!("{at}: expected {types:?}, got {v}"));
                return errs;
            }
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            errs.push(format!("{at}: {v} not in {e:?}"));
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            errs.push(format!("{at}: {v} != const {c}"));
        }
        if let Some(n) = v.as_f64() {
            if schema
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n < m)
            {
                errs.push(format!("{at}: {n} below minimum"));
            }
            if schema
                .get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| n > m)
            {
                errs.push(format!("{at}: {n} above maximum"));
            }
        }
        if let Some(obj) = v.as_object() {
            errs.extend(validate_object(root, schema, obj, at));
        }
        if let Some(arr) = v.as_array() {
            let len = arr.len() as u64;
            if schema
                .get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| len < m)
            {
                errs.push(format!("{at}: fewer than minItems"));
            }
            if schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
            {
                errs.push(format!("{at}: more than maxItems"));
            }
            let prefix = schema.get("prefixItems").and_then(Value::as_array);
            let skip = prefix.map_or(0, Vec::len);
            for (i, (item, s)) in arr.iter().zip(prefix.into_iter().flatten()).enumerate() {
                errs.extend(validate(root, s, item, &format!("{at}[{i}]")));
            }
            match schema.get("items") {
                Some(Value::Bool(false)) if arr.len() > skip => {
                    errs.push(format!("{at}: items beyond prefixItems"));
                }
                Some(items @ Value::Object(_)) => {
                    for (i, item) in arr.iter().enumerate().skip(skip) {
                        errs.extend(validate(root, items, item, &format!("{at}[{i}]")));
                    }
                }
                _ => {}
            }
        }
        errs
    }

    fn validate_object(
        root: &Value,
        schema: &Value,
        obj: &Map<String, Value>,
        at: &str,
    ) -> Vec<String> {
        let mut errs = Vec::new();
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = key.as_str()
                && !obj.contains_key(k)
            {
                errs.push(format!("{at}: missing required {k}"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => errs.extend(validate(root, s, val, &format!("{at}.{k}"))),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errs.push(format!("{at}: unexpected key {k}"));
                }
                None => {}
            }
        }
        errs
    }

    fn type_matches(t: &str, v: &Value) -> bool {
        match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        }
    }
}
