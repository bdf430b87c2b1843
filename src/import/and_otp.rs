//! andOTP backups: plain JSON (`.json`) and encrypted (`.json.aes`).
//!
//! The encrypted file has no header. The current scheme is
//! `iterations (u32 BE) | salt 12 | nonce 12 | ciphertext | tag 16` with
//! PBKDF2-HMAC-SHA1; the old one is `nonce 12 | ciphertext | tag 16` keyed with
//! SHA-256 of the password. Both are tried. PGP backups are not supported.

use serde_json::Value;

use super::js;
use super::{Format, ImportError, Imported, Skipped, crypto};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::AndOtp;
const SALT_LEN: usize = 12;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// True when the bytes look like a current encrypted andOTP backup: not JSON,
/// a plausible iteration count, and long enough.
pub fn looks_encrypted(bytes: &[u8]) -> bool {
    let Some(head) = bytes.get(..4) else {
        return false;
    };
    let iterations = u32::from_be_bytes(head.try_into().unwrap_or([0; 4]));
    bytes.len() >= 4 + SALT_LEN + NONCE_LEN + TAG_LEN
        && (1_000..=crypto::MAX_PBKDF2_ITERATIONS).contains(&iterations)
}

/// Parses an andOTP backup; `password` opens encrypted ones.
pub fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .and_then(|i| bytes.get(i..))
        .unwrap_or(&[]);
    if trimmed.starts_with(b"-----BEGIN PGP") {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "a PGP-encrypted backup (decrypt it with gpg first)",
        });
    }
    let plain_json = std::str::from_utf8(bytes)
        .ok()
        .map(|t| t.trim_start_matches('\u{feff}').trim_start())
        .is_some_and(|t| t.starts_with('['));
    if plain_json {
        let value = super::json(bytes, FORMAT)?;
        return parse_entries(&value, now);
    }
    let password = password.ok_or(ImportError::PasswordRequired)?;
    let plain = decrypt(bytes, password)?;
    let value = super::json(&plain, FORMAT)?;
    parse_entries(&value, now)
}

fn decrypt(bytes: &[u8], password: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, ImportError> {
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(ImportError::malformed(
            FORMAT,
            "the encrypted file is truncated",
        ));
    }
    // Current scheme, when the iteration count is in range. An out-of-range
    // count only means the file is not in this scheme (old files start with a
    // random nonce), so it is not an error of its own.
    if let (Some(head), Some(salt), Some(nonce), Some(sealed)) = (
        bytes.get(..4),
        bytes.get(4..4 + SALT_LEN),
        bytes.get(4 + SALT_LEN..4 + SALT_LEN + NONCE_LEN),
        bytes.get(4 + SALT_LEN + NONCE_LEN..),
    ) {
        let iterations = u32::from_be_bytes(head.try_into().unwrap_or([0; 4]));
        if sealed.len() >= TAG_LEN
            && let Ok(key) = crypto::pbkdf2_sha1(FORMAT, password, salt, iterations)
            && let Some(plain) = crypto::aes_gcm_open(key.as_ref(), nonce, sealed, &[])
        {
            return Ok(plain);
        }
    }
    // Old scheme: SHA-256 of the password.
    if let (Some(nonce), Some(sealed)) = (bytes.get(..NONCE_LEN), bytes.get(NONCE_LEN..)) {
        let key = crypto::sha256(password);
        if let Some(plain) = crypto::aes_gcm_open(key.as_ref(), nonce, sealed, &[]) {
            return Ok(plain);
        }
    }
    Err(ImportError::WrongPassword)
}

fn parse_entries(value: &Value, now: i64) -> Result<Imported, ImportError> {
    let entries = value
        .as_array()
        .ok_or_else(|| ImportError::malformed(FORMAT, "the backup is not a list of entries"))?;
    super::check_count(entries.len())?;
    let mut imported = Imported::default();
    for entry in entries {
        match to_account(entry, now) {
            Ok(account) => imported.accounts.push(account),
            Err(skipped) => imported.skipped.push(skipped),
        }
    }
    Ok(imported)
}

fn to_account(entry: &Value, now: i64) -> Result<Account, Skipped> {
    let label = js::str(entry, "label");
    let (issuer, name) = match entry.get("issuer").and_then(Value::as_str) {
        Some(issuer) if !issuer.trim().is_empty() => (issuer, label),
        _ => label.split_once(" - ").unwrap_or(("", label)),
    };
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    let kind = match js::str(entry, "type").to_ascii_uppercase().as_str() {
        "" | "TOTP" => Kind::Totp {
            period: super::period_u32(js::int(entry, "period").unwrap_or(30)),
        },
        "HOTP" => Kind::Hotp {
            counter: u64::try_from(js::int(entry, "counter").unwrap_or(0))
                .map_err(|_| skip("negative HOTP counter".into()))?,
        },
        "STEAM" => Kind::Steam,
        "MOTP" => return Err(skip("mOTP is not supported".into())),
        other => {
            return Err(skip(format!(
                "unsupported type '{}'",
                other.chars().take(32).collect::<String>()
            )));
        }
    };
    let algo = js::str(entry, "algorithm");
    let algorithm = if algo.is_empty() {
        Algorithm::Sha1
    } else {
        Algorithm::parse(algo).map_err(|e| skip(e.to_string()))?
    };
    let digits = super::digits_u8(js::int(entry, "digits").unwrap_or(6));
    let secret = Secret::from_base32(js::str(entry, "secret")).map_err(|e| skip(e.to_string()))?;
    let mut account = Account::new(issuer, name, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))?;
    account.tags = js::arr(entry, "tags")
        .iter()
        .filter_map(Value::as_str)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .take(64)
        .collect();
    Ok(account)
}
