//! What every importer does with its entries, written once: the loop that
//! bounds their number, converts each one and keeps the ones it cannot take
//! with their reason, and the mapping from an app's entry type (TOTP, HOTP,
//! Steam, …) and algorithm name to keyfob's [`Kind`] and [`Algorithm`].

use super::{ImportError, Imported, Skipped, check_count};
use crate::account::{Account, Algorithm, Kind};

/// Converts every entry with `convert`: accounts go to
/// [`Imported::accounts`], refusals to [`Imported::skipped`]. More than
/// [`MAX_ENTRIES`](super::MAX_ENTRIES) entries stop the whole file (checked
/// before any work when the count is known up front).
pub(crate) fn collect<I, F>(entries: I, convert: F) -> Result<Imported, ImportError>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Result<Account, Skipped>,
{
    let mut imported = Imported::default();
    collect_into(&mut imported, entries, convert)?;
    Ok(imported)
}

/// [`collect`] into an existing result (whose entries count towards the limit).
pub(crate) fn collect_into<I, F>(
    imported: &mut Imported,
    entries: I,
    mut convert: F,
) -> Result<(), ImportError>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Result<Account, Skipped>,
{
    let entries = entries.into_iter();
    let before = imported.accounts.len() + imported.skipped.len();
    check_count(before.saturating_add(entries.size_hint().0))?;
    for (index, entry) in entries.enumerate() {
        check_count(before + index + 1)?;
        imported.push(convert(entry));
    }
    Ok(())
}

/// The [`Kind`] of an entry from its type name (any case; empty means TOTP),
/// its period (default 30) and its counter (default 0). The error is the
/// reason to give in [`Skipped`].
pub(crate) fn kind(
    type_name: &str,
    period: Option<i64>,
    counter: Option<i64>,
) -> Result<Kind, String> {
    match type_name.trim().to_ascii_lowercase().as_str() {
        "" | "totp" => Ok(Kind::Totp {
            period: super::period_u32(period.unwrap_or(30)),
        }),
        "hotp" => Ok(Kind::Hotp {
            counter: u64::try_from(counter.unwrap_or(0))
                .map_err(|_| "negative HOTP counter".to_string())?,
        }),
        "steam" => Ok(Kind::Steam),
        "motp" => Err("mOTP is not supported".to_string()),
        "yandex" | "yaotp" => Err("Yandex OTP is not supported".to_string()),
        _ => Err(format!("unsupported type '{}'", short(type_name))),
    }
}

/// The [`Algorithm`] named `name` (empty means SHA1).
pub(crate) fn algorithm(name: &str) -> Result<Algorithm, String> {
    if name.trim().is_empty() {
        return Ok(Algorithm::Sha1);
    }
    Algorithm::parse(name).map_err(|e| e.to_string())
}

/// At most 32 characters of a value read from a file, for a reason.
pub(crate) fn short(text: &str) -> String {
    text.chars().take(32).collect()
}
