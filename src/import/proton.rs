//! Proton Authenticator JSON exports: `{"version":1,"entries":[{"content":{"uri",…,"name"},"note"}]}`.
//! Each entry carries an otpauth URI; its display name fills in an empty issuer
//! (or name).

use serde_json::Value;

use super::js;
use super::{Format, ImportError, Imported, Skipped};
use crate::uri;

const FORMAT: Format = Format::Proton;

/// Parses a Proton Authenticator export.
pub fn parse(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let file = super::json(bytes, FORMAT)?;
    if let Some(version) = js::int(&file, "version")
        && version > 1
    {
        return Err(ImportError::UnsupportedVersion {
            format: FORMAT,
            version,
        });
    }
    let entries = file
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::malformed(FORMAT, "missing 'entries'"))?;
    super::check_count(entries.len())?;
    let mut imported = Imported::default();
    for entry in entries {
        let content = entry.get("content").unwrap_or(&Value::Null);
        let display = js::str(content, "name").trim();
        let link = js::str(content, "uri");
        let parsed = if link
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("steam://")
        {
            super::bitwarden::from_field("Steam", display, link, now)
        } else {
            uri::parse(link, now).map_err(|e| {
                let kind = js::str(content, "entry_type");
                let reason = if kind.is_empty() || kind.eq_ignore_ascii_case("totp") {
                    e.to_string()
                } else {
                    format!(
                        "unsupported entry type '{}': {e}",
                        kind.chars().take(32).collect::<String>()
                    )
                };
                Skipped::new(display, "", reason)
            })
        };
        match parsed {
            Ok(mut account) => {
                if account.issuer.is_empty() {
                    account.issuer = display.to_string();
                } else if account.name.is_empty() && display != account.issuer {
                    account.name = display.to_string();
                }
                account.note = js::str(entry, "note").chars().take(4096).collect();
                imported.accounts.push(account);
            }
            Err(skipped) => imported.skipped.push(skipped),
        }
    }
    Ok(imported)
}
