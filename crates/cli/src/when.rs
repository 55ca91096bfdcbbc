//! Times on the command line and in its output: epoch ms to `YYYY-MM-DD HH:MM:SS` UTC, and
//! `10m`, RFC 3339 times or dates to epoch ms (the calendar work is jiff's).

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Epoch ms as `YYYY-MM-DD HH:MM:SS` UTC; a time outside jiff's range (years −9999 to 9999)
/// as the number itself.
pub fn utc(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(
        |_| ms.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// An instant given on the command line, as epoch ms: see [`instant_at`]; "now" is the clock.
pub fn instant(text: &str) -> Result<i64, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    instant_at(text, now)
}

/// An instant as epoch ms, from any of:
/// - a duration back from `now`: a number and a unit, `s`, `m`, `h`, `d` or `w` (`10m`, `36h`);
/// - an RFC 3339 time, `2026-12-06T08:30:00Z` or `2026-12-06T16:30:00.5+08:00` (a space may
///   stand for the `T`);
/// - a date, `2026-12-06`: its midnight, UTC;
/// - epoch ms, digits only (what the admin API takes).
pub fn instant_at(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    let hint = "expected 10m, 2h, 3d (back from now), an RFC 3339 time \
                (2026-12-06T08:30:00Z, 2026-12-06T16:30:00+08:00), a date (2026-12-06, UTC) \
                or epoch ms";
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| format!("{text:?}: too large"));
    }
    if let Some(unit) = text.chars().last().filter(char::is_ascii_alphabetic)
        && let Some(Ok(count)) = text.get(..text.len() - 1).map(str::parse::<u32>)
    {
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(format!("{text:?}: unknown unit {unit:?}; {hint}")),
        };
        return Ok(now - i64::from(count) * seconds * 1000);
    }
    rfc3339(text).ok_or_else(|| format!("{text:?}: {hint}"))
}

/// An RFC 3339 time (`T`, `t` or a space between date and time; an offset or `Z` required),
/// or a date (`YYYY-MM-DD`, its midnight UTC), as epoch ms.
fn rfc3339(text: &str) -> Option<i64> {
    if let Ok(time) = text.parse::<Timestamp>() {
        return Some(time.as_millisecond());
    }
    let date = text.parse::<Date>().ok()?;
    // A date alone, not a date with a time and no offset (which names no instant).
    if text.len() != 10 {
        return None;
    }
    let midnight = TimeZone::UTC.to_timestamp(date.at(0, 0, 0, 0)).ok()?;
    Some(midnight.as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_epoch_ms() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_761_754_362_746), "2025-10-29 16:12:42");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
    }

    #[test]
    fn durations_count_back_from_now() {
        let now = 1_800_000_000_000;
        assert_eq!(instant_at("10m", now), Ok(now - 600_000));
        assert_eq!(instant_at("90s", now), Ok(now - 90_000));
        assert_eq!(instant_at("2h", now), Ok(now - 7_200_000));
        assert_eq!(instant_at("3d", now), Ok(now - 3 * 86_400_000));
        assert_eq!(instant_at("1w", now), Ok(now - 7 * 86_400_000));
        assert!(instant_at("10y", now).is_err());
        assert!(instant_at("m", now).is_err());
        assert!(instant_at("-10m", now).is_err());
    }

    #[test]
    fn rfc3339_times_and_dates() {
        let now = 0;
        assert_eq!(
            instant_at("2025-10-29T16:12:42Z", now),
            Ok(1_761_754_362_000)
        );
        assert_eq!(
            instant_at("2025-10-29T16:12:42.746Z", now),
            Ok(1_761_754_362_746)
        );
        assert_eq!(
            instant_at("2025-10-30 00:12:42.7+08:00", now),
            Ok(1_761_754_362_700)
        );
        assert_eq!(
            instant_at("2025-10-29t11:12:42-05:00", now),
            Ok(1_761_754_362_000)
        );
        // ISO 8601's other spellings, which jiff reads too.
        assert_eq!(
            instant_at("2025-10-29T16:12:42+0800", now),
            Ok(1_761_725_562_000)
        );
        assert_eq!(instant_at("2025-10-29T16:12Z", now), Ok(1_761_754_320_000));
        assert_eq!(instant_at("2000-02-29", now), Ok(951_782_400_000));
        assert_eq!(instant_at("1970-01-01T00:00:00Z", now), Ok(0));
        // Each round-trips through the output format.
        assert_eq!(
            utc(instant_at("2026-12-06T02:30:00Z", now).unwrap_or(0)),
            "2026-12-06 02:30:00"
        );
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-10-29T16:12:42",
            "2025-10-29T24:00:00Z",
            "2025/10/29",
            "2025-10-29T16:12:42+1é00",
            "2025-10-29Té",
            "2025-10-29T16",
            "yesterday",
            "",
        ] {
            assert!(instant_at(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn epoch_ms_as_before() {
        assert_eq!(instant_at("0", 5), Ok(0));
        assert_eq!(instant_at("1761754362746", 5), Ok(1_761_754_362_746));
    }
}
