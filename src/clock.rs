//! The wall clock, for the front ends. The core's computations take the time
//! as an argument and never read the clock; the CLI and the terminal UI read it
//! here and format times the same way.

/// Unix time now, in seconds (0 if the clock is before 1970).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A unix time as RFC 3339 in UTC, e.g. `2026-11-23T09:00:00Z`.
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// A unix time as a UTC date, `YYYY-MM-DD`.
pub fn date(secs: i64) -> String {
    rfc3339(secs).chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(date(1_795_000_000), "2026-11-18");
        assert!(now() > 1_700_000_000);
    }
}
