//! Bitwarden's unencrypted exports, JSON and CSV: every login item with a TOTP
//! field. Other items (cards, notes, identities, logins without TOTP) are not
//! second factors and are passed over silently. The TOTP field may be an
//! `otpauth://` URI, `steam://SECRET`, or a bare base32 secret.

use serde_json::Value;

use super::js;
use super::{Format, ImportError, Imported, Skipped};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;
use crate::uri;

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
    let mut imported = Imported::default();
    for item in items {
        let login = item.get("login").unwrap_or(&Value::Null);
        let totp = js::str(login, "totp");
        if totp.trim().is_empty() {
            continue;
        }
        push(
            &mut imported,
            from_field(js::str(item, "name"), js::str(login, "username"), totp, now),
        );
    }
    Ok(imported)
}

/// Parses a Bitwarden CSV export (header row with a `login_totp` column).
pub fn parse_csv(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let format = Format::BitwardenCsv;
    let text = super::text(bytes, format)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| ImportError::malformed(format, "cannot read the header row"))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let totp_col = column("login_totp")
        .ok_or_else(|| ImportError::malformed(format, "no 'login_totp' column"))?;
    let name_col = column("name");
    let user_col = column("login_username");
    let mut imported = Imported::default();
    for (row, record) in reader.records().enumerate() {
        super::check_count(row)?;
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                imported.skipped.push(Skipped::new(
                    "",
                    "",
                    format!("row {} cannot be read", row + 2),
                ));
                continue;
            }
        };
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("");
        let totp = field(Some(totp_col));
        if totp.trim().is_empty() {
            continue;
        }
        push(
            &mut imported,
            from_field(field(name_col), field(user_col), totp, now),
        );
    }
    Ok(imported)
}

fn push(imported: &mut Imported, result: Result<Account, Skipped>) {
    match result {
        Ok(account) => imported.accounts.push(account),
        Err(skipped) => imported.skipped.push(skipped),
    }
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
