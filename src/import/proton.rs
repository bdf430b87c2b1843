//! Proton Authenticator JSON exports: `{"version":1,"entries":[{"content":{"uri",…,"name"},"note"}]}`.
//! Each entry carries an otpauth URI (or `steam://SECRET`); its display name
//! fills in an empty issuer (or name).
//!
//! A password-protected export is `{"version":1,"salt":…,"content":…}`: `content`
//! is base64 of `nonce 12 | AES-256-GCM ciphertext | tag 16` with the associated
//! data `proton.authenticator.export.v1`, under a key from Argon2id (19 MiB, 2
//! passes, 1 lane) of the password and the 16-byte `salt`. The parameters are
//! fixed by the format, not read from the file.

use base64::Engine as _;
use serde_json::Value;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, crypto, entry, js};
use crate::uri;

const FORMAT: Format = Format::Proton;

pub(crate) const SPEC: Spec = Spec {
    name: "proton",
    aliases: &["proton-authenticator"],
    display_name: "Proton Authenticator",
    source: "JSON export, plain or password-protected",
    fixtures: "proton",
    detect,
    parse,
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let file = probe.json()?;
    let plain = || {
        file.get("entries")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().all(|x| x.get("content").is_some()))
    };
    (is_encrypted(file) || plain()).then_some(Confidence::Certain)
}
/// Associated data of password-protected exports.
const AAD: &[u8] = b"proton.authenticator.export.v1";

/// True for the envelope of a password-protected export.
fn is_encrypted(file: &Value) -> bool {
    file.get("salt").is_some_and(Value::is_string)
        && file.get("content").is_some_and(Value::is_string)
        && file.get("entries").is_none()
}

/// Parses a Proton Authenticator export; `password` opens protected ones.
pub fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let outer = super::json(bytes, FORMAT)?;
    check_version(&outer)?;
    if is_encrypted(&outer) {
        let plain = decrypt(&outer, password)?;
        let inner = super::json(&plain, FORMAT)?;
        check_version(&inner)?;
        return parse_entries(&inner, now);
    }
    parse_entries(&outer, now)
}

fn check_version(file: &Value) -> Result<(), ImportError> {
    if let Some(version) = js::int(file, "version")
        && version > 1
    {
        return Err(ImportError::UnsupportedVersion {
            format: FORMAT,
            version,
        });
    }
    Ok(())
}

fn decrypt(
    file: &Value,
    password: Option<&[u8]>,
) -> Result<zeroize::Zeroizing<Vec<u8>>, ImportError> {
    let b64 = |key: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(js::str(file, key).trim())
            .map_err(|_| ImportError::malformed(FORMAT, format!("'{key}' is not valid base64")))
    };
    let salt = b64("salt")?;
    let content = b64("content")?;
    if salt.len() != 16 {
        return Err(ImportError::malformed(FORMAT, "the salt is not 16 bytes"));
    }
    let (Some(nonce), Some(sealed)) = (
        content.get(..12),
        content.get(12..).filter(|s| s.len() >= 16),
    ) else {
        return Err(ImportError::malformed(
            FORMAT,
            "the encrypted content is truncated",
        ));
    };
    let password = password.ok_or(ImportError::PasswordRequired)?;
    let key = crypto::argon2id(FORMAT, password, &salt, 2, 19 * 1024, 1)?;
    crypto::aes_gcm_open(key.as_ref(), nonce, sealed, AAD).ok_or(ImportError::WrongPassword)
}

fn parse_entries(file: &Value, now: i64) -> Result<Imported, ImportError> {
    let entries = file
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::malformed(FORMAT, "missing 'entries'"))?;
    entry::collect(entries, |item| {
        let content = item.get("content").unwrap_or(&Value::Null);
        let display = js::str(content, "name").trim();
        let link = js::str(content, "uri");
        let mut account = if link
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("steam://")
        {
            super::bitwarden::from_field("Steam", display, link, now)?
        } else {
            uri::parse(link, now).map_err(|e| {
                let kind = js::str(content, "entry_type");
                let reason = if kind.is_empty() || kind.eq_ignore_ascii_case("totp") {
                    e.to_string()
                } else {
                    format!("unsupported entry type '{}': {e}", entry::short(kind))
                };
                Skipped::new(display, "", reason)
            })?
        };
        if account.issuer.is_empty() && display != account.name {
            account.issuer = display.to_string();
        } else if account.name.is_empty() && display != account.issuer {
            account.name = display.to_string();
        }
        account.note = js::str(item, "note").chars().take(4096).collect();
        Ok(account)
    })
}
