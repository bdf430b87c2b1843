//! TOTP Authenticator (com.authenticator.authservice2): its encrypted `.bin`
//! backup and its internal preferences XML.
//!
//! The backup is base64 text of AES-256-CBC (PKCS#7, a zero IV) under the
//! SHA-256 of the password; a user who set no password gets the app's built-in
//! one, [`DEFAULT_PASSWORD`], which is tried first. The plaintext is a JSON
//! object whose key is the entry list, itself JSON text; the internal XML keeps
//! the same list in its `STATIC_TOTP_CODES_LIST` string. Each entry names the
//! encoding of its `key`: base 16, 32 or 64.

use base64::Engine as _;
use data_encoding::HEXLOWER_PERMISSIVE;
use serde_json::Value;
use zeroize::Zeroizing;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, android_prefs, crypto, entry, js};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::TotpAuthenticator;

pub(crate) const SPEC: Spec = Spec {
    name: "totp-authenticator",
    aliases: &[],
    display_name: "TOTP Authenticator",
    source: "encrypted `.bin` backup, or `TOTP_Authenticator_Preferences.xml` (rooted Android)",
    fixtures: "totp-authenticator",
    detect,
    parse,
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    if let Some(prefs) = probe.android_prefs() {
        return prefs.contains(PREFS_KEY).then_some(Confidence::Certain);
    }
    let raw = ciphertext(probe.bytes())?;
    if decrypt(&raw, DEFAULT_PASSWORD).is_some() {
        return Some(Confidence::Certain);
    }
    // Encrypted under the user's password: base64 of AES blocks, and the name.
    probe
        .lower_name()
        .ends_with(".bin")
        .then_some(Confidence::Fallback)
}
/// The password the app encrypts with when the user set none.
pub const DEFAULT_PASSWORD: &[u8] = b"TotpAuthenticator";
/// The preferences string holding the entry list.
pub const PREFS_KEY: &str = "STATIC_TOTP_CODES_LIST";

/// The backup's ciphertext when the bytes are base64 text of whole AES blocks.
fn ciphertext(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()?;
    (raw.len() >= 16 && raw.len().is_multiple_of(16)).then_some(raw)
}

fn decrypt(raw: &[u8], password: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let key = crypto::sha256(password);
    let plain = crypto::aes_cbc_open(key.as_ref(), &[0u8; 16], raw)?;
    // CBC has no tag: a wrong password can unpad by chance, so the text must be a JSON object.
    let start = plain.iter().position(|b| !b.is_ascii_whitespace())?;
    (plain.get(start) == Some(&b'{')).then_some(plain)
}

/// Parses a `.bin` backup (the built-in password is tried, then `password`) or
/// the preferences XML.
fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    if super::text(bytes, FORMAT).is_ok_and(android_prefs::looks_like) {
        let prefs = android_prefs::parse(bytes, FORMAT)?;
        let list = prefs.string(PREFS_KEY).ok_or_else(|| {
            ImportError::malformed(FORMAT, format!("the preferences have no '{PREFS_KEY}'"))
        })?;
        return parse_list(list, now);
    }
    let raw = ciphertext(bytes).ok_or_else(|| {
        ImportError::malformed(FORMAT, "the backup is not base64 text of AES blocks")
    })?;
    let plain = match decrypt(&raw, DEFAULT_PASSWORD) {
        Some(plain) => plain,
        None => {
            let password = password.ok_or(ImportError::PasswordRequired)?;
            decrypt(&raw, password).ok_or(ImportError::WrongPassword)?
        }
    };
    let outer = super::json(&plain, FORMAT)?;
    let list = outer
        .as_object()
        .and_then(|map| map.keys().find(|k| k.trim_start().starts_with('[')))
        .ok_or_else(|| {
            ImportError::malformed(FORMAT, "the decrypted backup holds no entry list")
        })?;
    parse_list(list, now)
}

/// Parses the entry list (JSON text), as kept in the backup and the preferences.
fn parse_list(list: &str, now: i64) -> Result<Imported, ImportError> {
    let entries = super::json(list.as_bytes(), FORMAT)?;
    let entries = entries
        .as_array()
        .ok_or_else(|| ImportError::malformed(FORMAT, "the entry list is not a list"))?;
    entry::collect(entries, |item| to_account(item, now))
}

fn to_account(entry: &Value, now: i64) -> Result<Account, Skipped> {
    let issuer = js::str(entry, "issuer");
    let name = js::str(entry, "name");
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    let key = js::str(entry, "key").trim();
    let raw = match js::int(entry, "base").unwrap_or(16) {
        16 => HEXLOWER_PERMISSIVE.decode(key.as_bytes()).ok(),
        32 => Secret::from_base32(key).ok().map(|s| s.expose().to_vec()),
        64 => base64::engine::general_purpose::STANDARD
            .decode(key.as_bytes())
            .ok(),
        other => return Err(skip(format!("unknown key encoding 'base {other}'"))),
    }
    .map(Zeroizing::new)
    .ok_or_else(|| skip("the key does not decode in the base the entry names".into()))?;
    let secret = Secret::from_bytes(raw.to_vec()).map_err(|e| skip(e.to_string()))?;
    let digits = super::digits_u8(js::int(entry, "digits").unwrap_or(6));
    let period = super::period_u32(js::int(entry, "period").unwrap_or(30));
    Account::new(
        issuer,
        name,
        secret,
        Kind::Totp { period },
        Algorithm::Sha1,
        digits,
        now,
    )
    .map_err(|e| skip(e.to_string()))
}
