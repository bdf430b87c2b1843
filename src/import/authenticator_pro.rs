//! Authenticator Pro (now Stratum) backups: plain JSON, encrypted
//! (`AUTHENTICATORPRO` | salt 16 | IV 12 | AES-256-GCM, Argon2id key) and legacy
//! encrypted (`AuthenticatorPro` | salt 20 | IV 16 | AES-256-CBC, PBKDF2-SHA1 key).
//! The KDF parameters are fixed by the format, not read from the file.

use std::collections::HashMap;

use serde_json::Value;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, crypto, entry, js};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::AuthenticatorPro;

pub(crate) const SPEC: Spec = Spec {
    name: "authenticator-pro",
    aliases: &["stratum"],
    display_name: "Authenticator Pro",
    source: "Authenticator Pro / Stratum backup (`.authpro`, `.json`), plain or encrypted (current and legacy)",
    fixtures: "authenticator-pro",
    detect,
    parse,
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let bytes = probe.bytes();
    let magic = bytes.starts_with(MAGIC) || bytes.starts_with(LEGACY_MAGIC);
    let json = || probe.json().is_some_and(|f| f.get("Authenticators").is_some());
    (magic || json()).then_some(Confidence::Certain)
}
/// Header of current encrypted backups.
pub const MAGIC: &[u8] = b"AUTHENTICATORPRO";
/// Header of legacy encrypted backups.
pub const LEGACY_MAGIC: &[u8] = b"AuthenticatorPro";
/// PBKDF2 iterations of legacy backups.
pub const LEGACY_ITERATIONS: u32 = 64_000;

/// Parses an Authenticator Pro backup; `password` opens encrypted ones.
pub fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let plain;
    let json_bytes: &[u8] = if let Some(rest) = bytes.strip_prefix(MAGIC) {
        let (Some(salt), Some(iv), Some(sealed)) = (
            rest.get(..16),
            rest.get(16..28),
            rest.get(28..).filter(|s| s.len() >= 16),
        ) else {
            return Err(ImportError::malformed(
                FORMAT,
                "the encrypted file is truncated",
            ));
        };
        let password = password.ok_or(ImportError::PasswordRequired)?;
        let key = crypto::argon2id(FORMAT, password, salt, 3, 65_536, 4)?;
        plain = crypto::aes_gcm_open(key.as_ref(), iv, sealed, &[])
            .ok_or(ImportError::WrongPassword)?;
        &plain
    } else if let Some(rest) = bytes.strip_prefix(LEGACY_MAGIC) {
        let (Some(salt), Some(iv), Some(sealed)) = (
            rest.get(..20),
            rest.get(20..36),
            rest.get(36..)
                .filter(|s| !s.is_empty() && s.len() % 16 == 0),
        ) else {
            return Err(ImportError::malformed(
                FORMAT,
                "the encrypted file is truncated",
            ));
        };
        let password = password.ok_or(ImportError::PasswordRequired)?;
        let key = crypto::pbkdf2_sha1(FORMAT, password, salt, LEGACY_ITERATIONS)?;
        plain = crypto::aes_cbc_open(key.as_ref(), iv, sealed).ok_or(ImportError::WrongPassword)?;
        &plain
    } else {
        bytes
    };
    let file = super::json(json_bytes, FORMAT).map_err(|e| {
        match (e, json_bytes.len() == bytes.len()) {
            // CBC has no authentication: a wrong legacy password can unpad by chance.
            (ImportError::Malformed { .. }, false) => ImportError::WrongPassword,
            (e, _) => e,
        }
    })?;
    let authenticators = file
        .get("Authenticators")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::malformed(FORMAT, "missing 'Authenticators'"))?;
    let categories: HashMap<&str, &str> = js::arr(&file, "Categories")
        .iter()
        .map(|c| (js::str(c, "Id"), js::str(c, "Name")))
        .collect();
    let mut tags_by_secret: HashMap<&str, Vec<String>> = HashMap::new();
    for link in js::arr(&file, "AuthenticatorCategories")
        .iter()
        .take(super::MAX_ENTRIES)
    {
        if let Some(name) = categories.get(js::str(link, "CategoryId")) {
            tags_by_secret
                .entry(js::str(link, "AuthenticatorSecret"))
                .or_default()
                .push(name.trim().to_string());
        }
    }
    entry::collect(authenticators, |item| {
        let mut account = to_account(item, now)?;
        if let Some(tags) = tags_by_secret.get(js::str(item, "Secret")) {
            account.tags = tags.iter().filter(|t| !t.is_empty()).cloned().collect();
        }
        Ok(account)
    })
}

/// The kind and algorithm of an entry from the app's codes (type 1 HOTP,
/// 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex; algorithm 0 SHA1, 1 SHA256, 2 SHA512),
/// shared with its database ([`super::stratum_db`]). The error is the reason to skip.
pub(crate) fn kind_and_algorithm(
    type_code: Option<i64>,
    algorithm: Option<i64>,
    period: Option<i64>,
    counter: Option<i64>,
) -> Result<(Kind, Algorithm), String> {
    let type_name = match type_code {
        Some(1) => "hotp",
        Some(2) => "totp",
        Some(3) => "motp",
        Some(4) => "steam",
        Some(5) => "yandex",
        other => return Err(format!("unsupported type '{}'", other.unwrap_or(-1))),
    };
    let kind = entry::kind(type_name, period, counter)?;
    let algorithm = match algorithm.unwrap_or(0) {
        0 => Algorithm::Sha1,
        1 => Algorithm::Sha256,
        2 => Algorithm::Sha512,
        other => return Err(format!("unsupported algorithm '{other}'")),
    };
    Ok((kind, algorithm))
}

fn to_account(entry: &Value, now: i64) -> Result<Account, Skipped> {
    let issuer = js::str(entry, "Issuer");
    let name = js::str(entry, "Username");
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    let (kind, algorithm) = kind_and_algorithm(
        js::int(entry, "Type"),
        js::int(entry, "Algorithm"),
        js::int(entry, "Period"),
        js::int(entry, "Counter"),
    )
    .map_err(skip)?;
    let digits = super::digits_u8(js::int(entry, "Digits").unwrap_or(6));
    let secret = Secret::from_base32(js::str(entry, "Secret")).map_err(|e| skip(e.to_string()))?;
    Account::new(issuer, name, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))
}
