//! Reading and showing the policy's durations (`"500ms"`, `"2h"`) and memory sizes
//! (`"128MiB"`).

use std::time::Duration;

/// Largest memory a wasm32 plugin can address: 4 GiB.
pub(crate) const MAX_MEMORY: usize = 4 << 30;

/// Parses a duration such as `"500ms"`, `"5s"` or `"2h"`; it must be more than 0.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim()).map_err(|_| {
        format!("invalid duration {text:?} (expected e.g. \"500ms\", \"30s\", \"2h\")")
    })?;
    if d.is_zero() {
        return Err(format!("duration {text:?} must be more than 0"));
    }
    Ok(d)
}

/// Parses a memory size: a whole number of bytes, or a number with a unit
/// (`KiB`, `MiB`, `GiB`, or decimal `KB`, `MB`, `GB`; case-insensitive). At most 4 GiB.
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
    let bad = || format!("invalid size {text:?} (expected e.g. \"128MiB\", \"1GiB\", \"65536\")");
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return Err(bad()),
    };
    let bytes = number
        .checked_mul(scale)
        .and_then(|b| usize::try_from(b).ok())
        .filter(|&b| b <= MAX_MEMORY)
        .ok_or_else(|| format!("size {text:?} is more than 4GiB, the most a plugin can address"))?;
    if bytes == 0 {
        return Err(format!("size {text:?} must be more than 0"));
    }
    Ok(bytes)
}

/// `128MiB`, `1GiB`, `1500B`: the largest binary unit that divides the size.
pub(crate) fn format_size(bytes: usize) -> String {
    for (unit, scale) in [("GiB", 1usize << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes >= scale && bytes.is_multiple_of(scale) {
            return format!("{}{unit}", bytes / scale);
        }
    }
    format!("{bytes}B")
}

/// `500ms`, `2h`, `1m 30s`.
pub(crate) fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("128MiB"), Ok(128 << 20));
        assert_eq!(parse_size("128 mib"), Ok(128 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("64KB"), Ok(64_000));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert!(parse_size("5GiB").unwrap_err().contains("more than 4GiB"));
        assert!(parse_size("0MiB").unwrap_err().contains("more than 0"));
        assert!(parse_size("lots").unwrap_err().contains("expected e.g."));
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
        assert_eq!(format_size(128 << 20), "128MiB");
        assert_eq!(format_size(1500), "1500B");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("0s").unwrap_err().contains("more than 0"));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("expected e.g.")
        );
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
    }
}
