//! andOTP backups: plain JSON (`.json`) and encrypted (`.json.aes`).
//!
//! The encrypted file has no header. The current scheme is
//! `iterations (u32 BE) | salt 12 | nonce 12 | ciphertext | tag 16` with
//! PBKDF2-HMAC-SHA1; the old one is `nonce 12 | ciphertext | tag 16` keyed with
//! SHA-256 of the password. Both are tried. PGP backups are not supported.

use serde_json::Value;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, crypto, entry, js};
use crate::account::Account;
use crate::secret::Secret;

const FORMAT: Format = Format::AndOtp;

pub(crate) const SPEC: Spec = Spec {
    name: "andotp",
    aliases: &[],
    display_name: "andOTP",
    source: "backup: plain `otp_accounts.json`, encrypted `.json.aes` (new and old scheme)",
    fixtures: "andotp",
    detect,
    parse,
    read_path: None,
    authenticated: true,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    if let Some(value) = probe.json() {
        let items = value.as_array()?;
        let entries = items.iter().all(|item| {
            item.get("secret").is_some()
                && (item.get("type").is_some() || item.get("label").is_some())
        });
        return (entries && (!items.is_empty() || probe.lower_name().contains("otp")))
            .then_some(Confidence::Certain);
    }
    // PGP backups (`otp_accounts.json.gpg`): recognised so the user is told to
    // decrypt them with gpg first.
    if let Some(text) = probe.text()
        && text.trim_start().starts_with("-----BEGIN PGP MESSAGE-----")
    {
        return probe
            .lower_name()
            .contains("otp")
            .then_some(Confidence::Fallback);
    }
    // Encrypted backups have no header: a guess, for binary content only.
    let binary = !probe.is_text();
    (binary && (looks_encrypted(probe.bytes()) || probe.lower_name().ends_with(".aes")))
        .then_some(Confidence::Fallback)
}
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
    entry::collect(entries, |item| to_account(item, now))
}

fn to_account(item: &Value, now: i64) -> Result<Account, Skipped> {
    let label = js::str(item, "label");
    let (issuer, name) = match item.get("issuer").and_then(Value::as_str) {
        Some(issuer) if !issuer.trim().is_empty() => (issuer, label),
        _ => label.split_once(" - ").unwrap_or(("", label)),
    };
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    let kind = entry::kind(
        &js::str(item, "type").to_ascii_uppercase(),
        js::int(item, "period"),
        js::int(item, "counter"),
    )
    .map_err(skip)?;
    let algorithm = entry::algorithm(js::str(item, "algorithm")).map_err(skip)?;
    let digits = super::digits_u8(js::int(item, "digits").unwrap_or(6));
    let secret = Secret::from_base32(js::str(item, "secret")).map_err(|e| skip(e.to_string()))?;
    let mut account = Account::new(issuer, name, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))?;
    account.tags = js::arr(item, "tags")
        .iter()
        .filter_map(Value::as_str)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .take(64)
        .collect();
    Ok(account)
}
