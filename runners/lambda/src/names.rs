//! Run ids and the names derived from them. Everything a run creates carries its id in
//! its name, so a name alone says which run (and when) made it.
//!
//! A run id is `YYYYMMDD-HHMMSS-xxxx`: the UTC start time and four random hex digits.
//!
//! ```
//! use netcheck_runner_lambda::names;
//! let id = "20261123-160102-a1b2";
//! assert_eq!(names::function_name(id, "subnet-0abc"), "netcheck-20261123-160102-a1b2-subnet-0abc");
//! assert_eq!(names::run_id_of("netcheck-20261123-160102-a1b2-subnet-0abc"), Some(id));
//! assert!(names::started(id).is_some());
//! ```

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Every function name starts with this.
pub const PREFIX: &str = "netcheck-";

/// A new run id for a run starting at `now`.
pub fn new_run_id(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        now.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    let stamp = civil(secs);
    format!("{stamp}-{:04x}", hasher.finish() & 0xffff)
}

/// `YYYYMMDD-HHMMSS` for seconds since the epoch (UTC).
fn civil(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Whether `id` has the shape of a run id.
pub fn is_run_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 20
        && b[8] == b'-'
        && b[15] == b'-'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
        && b[16..].iter().all(|c| c.is_ascii_hexdigit())
}

/// When the run started, read back from its id.
pub fn started(id: &str) -> Option<SystemTime> {
    if !is_run_id(id) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| id[r].parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (hh, mm, ss) = (n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (inverse of `civil`).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// `netcheck-<run id>-<where>`, where is a subnet id or a region. At most 64 characters.
pub fn function_name(run_id: &str, place: &str) -> String {
    let mut name = format!("{PREFIX}{run_id}-{place}");
    name.truncate(64);
    name
}

/// The log group Lambda writes a function's logs to.
pub fn log_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// The run id inside a function name (or a log group name) netcheck made.
pub fn run_id_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("/aws/lambda/").unwrap_or(name);
    let id = rest.strip_prefix(PREFIX)?.get(..20)?;
    is_run_id(id).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_carry_their_start_time() {
        // 2026-11-23T16:01:02Z
        let t = UNIX_EPOCH + Duration::from_secs(1_795_449_662);
        let id = new_run_id(t);
        assert!(id.starts_with("20261123-160102-"), "{id}");
        assert!(is_run_id(&id));
        assert_eq!(started(&id), Some(t));
        assert_ne!(new_run_id(t), new_run_id(t), "random part differs");
    }

    #[test]
    fn leap_years_and_epoch_round_trip() {
        for secs in [0u64, 951_782_400, 1_709_164_800, 4_107_542_399] {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            assert_eq!(started(&new_run_id(t)), Some(t), "{secs}");
        }
    }

    #[test]
    fn names_and_ids_are_checked() {
        assert!(!is_run_id("20261123-160102-zzzz"));
        assert!(!is_run_id("2026112-160102-a1b2"));
        assert_eq!(started("20261399-160102-a1b2"), None);
        assert_eq!(run_id_of("netcheck-other-function"), None);
        assert_eq!(run_id_of("my-function"), None);
        assert_eq!(
            run_id_of("/aws/lambda/netcheck-20261123-160102-a1b2-eu-west-1"),
            Some("20261123-160102-a1b2")
        );
        let long = function_name("20261123-160102-a1b2", &"x".repeat(80));
        assert_eq!(long.len(), 64);
    }
}
