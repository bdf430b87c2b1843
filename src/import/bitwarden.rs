//! Bitwarden's unencrypted exports, JSON and CSV: every login item with a TOTP
//! field. Other items (cards, notes, identities, logins without TOTP) are not
//! second factors and are passed over silently. The TOTP field may be an
//! `otpauth://` URI, `steam://SECRET`, or a bare base32 secret.

use serde_json::Value;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, entry, js};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;
use crate::uri;

pub(crate) const SPEC: Spec = Spec {
    name: "bitwarden",
    aliases: &["bitwarden-json"],
    display_name: "Bitwarden (JSON)",
    source: "unencrypted JSON export (items with a TOTP field)",
    fixtures: "bitwarden",
    detect,
    parse: |bytes, _, now| parse_json(bytes, now),
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let file = probe.json()?;
    let encrypted =
        || file.get("encrypted").is_some() && file.get("encKeyValidation_DO_NOT_EDIT").is_some();
    (file.get("items").is_some() || encrypted()).then_some(Confidence::Certain)
}

/// Parses a Bitwarden JSON export.
pub fn parse_json(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let format = Format::Bitwarden;
    let file = super::json(bytes, format)?;
    if file.get("encrypted").and_then(Value::as_bool) == Some(true) {
        return Err(ImportError::Unsupported {
            format,
            what: "an encrypted export (export again as unencrypted JSON)",
        });
    }
    let items = file
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::malformed(format, "missing 'items'"))?;
    super::check_count(items.len())?;
    // Items without a TOTP field are not second factors: passed over.
    let with_totp = items
        .iter()
        .filter(|item| !login_field(item, "totp").trim().is_empty());
    entry::collect(with_totp, |item| {
        from_field(js::str(item, "name"), login_field(item, "username"), login_field(item, "totp"), now)
    })
}

/// A field of an item's `login`, or "".
fn login_field<'a>(item: &'a Value, key: &str) -> &'a str {
    item.get("login").map_or("", |login| js::str(login, key))
}

/// One TOTP field (otpauth URI, `steam://SECRET` or bare base32) with the
/// item's name and username.
pub(crate) fn from_field(
    item_name: &str,
    username: &str,
    totp: &str,
    now: i64,
) -> Result<Account, Skipped> {
    let totp = totp.trim();
    let skip = |reason: String| Skipped::new(item_name, username, reason);
    let lower: String = totp
        .chars()
        .take(10)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("otpauth://") {
        let mut account = uri::parse(totp, now).map_err(|e| skip(e.to_string()))?;
        if account.issuer.is_empty() {
            account.issuer = item_name.trim().to_string();
        }
        if account.name.is_empty() {
            account.name = username.trim().to_string();
        }
        return Ok(account);
    }
    if lower.starts_with("steam://") {
        let secret =
            Secret::from_base32(totp.get(8..).unwrap_or("")).map_err(|e| skip(e.to_string()))?;
        let name = if username.trim().is_empty() {
            item_name
        } else {
            username
        };
        return Account::new("Steam", name, secret, Kind::Steam, Algorithm::Sha1, 5, now)
            .map_err(|e| skip(e.to_string()));
    }
    let secret = Secret::from_base32(totp).map_err(|e| skip(e.to_string()))?;
    Account::new(
        item_name,
        username,
        secret,
        Kind::DEFAULT_TOTP,
        Algorithm::Sha1,
        6,
        now,
    )
    .map_err(|e| skip(e.to_string()))
}
