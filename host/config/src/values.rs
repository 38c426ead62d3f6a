//! Deserializers that check one value and say, in words, what was expected.
//!
//! They run inside figment's extraction, so an error here is reported with the key path
//! and the layer (file, environment variable or flag) the bad value came from. Values from
//! environment variables arrive as strings, so the numeric ones accept numeric strings too.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserializer;
use serde::de::{self, Visitor};

use super::model::{MAX_CONCURRENCY, MAX_TIMEOUT, OutputFormat};

/// What a duration looks like, quoted in every duration error.
const DURATION_EXAMPLES: &str = r#"expected e.g. "500ms", "5s", "1m""#;

/// Parses and range-checks a duration such as `"500ms"`, `"5s"`, `"1m 30s"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|_| format!("invalid duration {text:?} ({DURATION_EXAMPLES})"))?;
    if d.is_zero() || d > MAX_TIMEOUT {
        return Err(format!(
            "duration {text:?} is out of range: it must be more than 0 and at most 10m"
        ));
    }
    Ok(d)
}

/// Formats a duration the way [`parse_duration`] reads it (`"5s"`, `"1m 30s"`).
pub fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// `concurrency`: a whole number from 1 to [`MAX_CONCURRENCY`], or such a number as text.
pub fn concurrency<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    d.deserialize_any(ConcurrencyVisitor)
}

struct ConcurrencyVisitor;

impl ConcurrencyVisitor {
    fn check<E: de::Error>(n: u64, shown: &dyn fmt::Display) -> Result<usize, E> {
        match usize::try_from(n) {
            Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
            _ => Err(E::custom(concurrency_error(shown))),
        }
    }
}

fn concurrency_error(shown: &dyn fmt::Display) -> String {
    format!("expected a whole number from 1 to {MAX_CONCURRENCY}, got {shown}")
}

impl Visitor<'_> for ConcurrencyVisitor {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number from 1 to {MAX_CONCURRENCY}")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
        Self::check(v, &v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<usize, E> {
        match u64::try_from(v) {
            Ok(n) => Self::check(n, &v),
            Err(_) => Err(E::custom(concurrency_error(&v))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<usize, E> {
        Err(E::custom(concurrency_error(&v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<usize, E> {
        Err(E::custom(concurrency_error(&v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        match v.trim().parse::<u64>() {
            Ok(n) => Self::check(n, &format_args!("{v:?}")),
            Err(_) => Err(E::custom(concurrency_error(&format_args!("{v:?}")))),
        }
    }
}

/// `timeout`: a humantime duration string, more than 0 and at most ten minutes.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor)
}

/// A check's optional `timeout`; use with `#[serde(default)]`.
pub fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

struct DurationVisitor;

fn duration_needs_unit<E: de::Error>(shown: &dyn fmt::Display) -> E {
    E::custom(format!(
        "expected a duration with a unit as a string ({DURATION_EXAMPLES}), got {shown}"
    ))
}

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a duration such as \"5s\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Err(duration_needs_unit(&v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        Err(duration_needs_unit(&v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
        Err(duration_needs_unit(&v))
    }
}

impl<'de> serde::Deserialize<'de> for OutputFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = OutputFormat;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("one of \"table\", \"json\", \"junit\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OutputFormat, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A `nameservers` entry: `ip` or `ip:port` (`[v6]:port` for IPv6 with a port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nameserver(pub String);

/// Checks a nameserver address; the error says what is accepted.
pub fn check_nameserver(text: &str) -> Result<(), String> {
    let t = text.trim();
    let ok = match t.parse::<IpAddr>() {
        Ok(_) => true,
        Err(_) => t.parse::<SocketAddr>().is_ok_and(|a| a.port() != 0),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected an IP address or IP:port (e.g. \"10.0.0.2\", \"10.0.0.2:53\", \"[fd00::2]:53\"), got {text:?}"
        ))
    }
}

impl<'de> serde::Deserialize<'de> for Nameserver {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Nameserver;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an IP address or IP:port string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Nameserver, E> {
                check_nameserver(v).map_err(E::custom)?;
                Ok(Nameserver(v.trim().to_string()))
            }
        }
        d.deserialize_str(V)
    }
}

/// A plugin option or header value: a string, or a number/boolean written without quotes
/// (`options = { retries = 3 }`), kept as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionValue(pub String);

impl<'de> serde::Deserialize<'de> for OptionValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = OptionValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_are_range_checked() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 1m "), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("10m"), Ok(MAX_TIMEOUT));
        assert_eq!(
            parse_duration("5x").unwrap_err(),
            r#"invalid duration "5x" (expected e.g. "500ms", "5s", "1m")"#
        );
        assert!(parse_duration("0s").unwrap_err().contains("out of range"));
        assert!(parse_duration("11m").unwrap_err().contains("at most 10m"));
    }

    #[test]
    fn formatted_durations_read_back() {
        for ms in [1, 500, 1500, 5000, 90_000, 600_000] {
            let d = Duration::from_millis(ms);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{ms} ms");
        }
        assert_eq!(format_duration(Duration::from_secs(5)), "5s");
    }

    #[test]
    fn nameservers_accept_ips_with_optional_port() {
        for ok in ["10.0.0.2", "10.0.0.2:53", "::1", "[fd00::2]:5353"] {
            assert_eq!(check_nameserver(ok), Ok(()), "{ok}");
        }
        for bad in ["dns.google", "10.0.0.2:0", "10.0.0.2:99999", "", "1.2.3"] {
            let err = check_nameserver(bad).unwrap_err();
            assert!(
                err.contains("expected an IP address or IP:port"),
                "{bad}: {err}"
            );
        }
    }
}
