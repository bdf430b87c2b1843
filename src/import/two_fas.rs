//! 2FAS backups (`*.2fas`), schema versions 1 to 4, plain or encrypted.
//!
//! Encrypted backups keep `services` empty and put the services in
//! `servicesEncrypted` = `base64(ciphertext||tag):base64(salt):base64(iv)`,
//! sealed with AES-256-GCM under PBKDF2-HMAC-SHA256 (10 000 iterations).

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::Value;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, crypto, entry, js};
use crate::account::Account;
use crate::secret::Secret;

const FORMAT: Format = Format::TwoFas;

pub(crate) const SPEC: Spec = Spec {
    name: "2fas",
    aliases: &["two-fas"],
    display_name: "2FAS",
    source: "backup (`*.2fas`), schema 1 to 4, plain or encrypted",
    fixtures: "2fas",
    detect,
    parse,
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let file = probe.json()?;
    (file.get("schemaVersion").is_some()
        && (file.get("services").is_some() || file.get("servicesEncrypted").is_some()))
    .then_some(Confidence::Certain)
}
/// PBKDF2 iterations 2FAS uses.
pub const ITERATIONS: u32 = 10_000;

/// Parses a 2FAS backup; `password` opens encrypted ones.
pub fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let file = super::json(bytes, FORMAT)?;
    let version = js::int(&file, "schemaVersion")
        .ok_or_else(|| ImportError::malformed(FORMAT, "missing 'schemaVersion'"))?;
    if !(1..=4).contains(&version) {
        return Err(ImportError::UnsupportedVersion {
            format: FORMAT,
            version,
        });
    }
    let groups: HashMap<&str, &str> = js::arr(&file, "groups")
        .iter()
        .map(|g| (js::str(g, "id"), js::str(g, "name")))
        .collect();
    let encrypted = js::str(&file, "servicesEncrypted");
    let decrypted;
    let services: &[Value] = if encrypted.is_empty() {
        file.get("services")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .ok_or_else(|| ImportError::malformed(FORMAT, "missing 'services'"))?
    } else {
        let password = password.ok_or(ImportError::PasswordRequired)?;
        let plain = decrypt(encrypted, password)?;
        decrypted = super::json(&plain, FORMAT)?;
        decrypted
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| ImportError::malformed(FORMAT, "decrypted services are not a list"))?
    };
    entry::collect(services, |service| to_account(service, &groups, now))
}

fn decrypt(blob: &str, password: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, ImportError> {
    let parts: Vec<&str> = blob.split(':').collect();
    let [ciphertext, salt, iv, ..] = parts.as_slice() else {
        return Err(ImportError::malformed(
            FORMAT,
            "'servicesEncrypted' does not have three ':'-separated parts",
        ));
    };
    let b64 = |text: &str, what: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| {
                ImportError::malformed(FORMAT, format!("the encrypted {what} is not valid base64"))
            })
    };
    let ciphertext = b64(ciphertext, "services")?;
    let salt = b64(salt, "salt")?;
    let iv = b64(iv, "IV")?;
    let key = crypto::pbkdf2_sha256(FORMAT, password, &salt, ITERATIONS)?;
    crypto::aes_gcm_open(key.as_ref(), &iv, &ciphertext, &[]).ok_or(ImportError::WrongPassword)
}

fn to_account(service: &Value, groups: &HashMap<&str, &str>, now: i64) -> Result<Account, Skipped> {
    let otp = service.get("otp").unwrap_or(&Value::Null);
    let mut issuer = js::str(service, "name");
    if issuer.is_empty() {
        issuer = js::str(otp, "issuer");
    }
    let mut name = js::str(otp, "account");
    if name.is_empty() {
        name = js::str(otp, "label");
    }
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    // 2FAS has no other token types: mOTP and the rest are not its own.
    let token_type = js::str(otp, "tokenType");
    if !matches!(
        token_type.to_ascii_uppercase().as_str(),
        "" | "TOTP" | "HOTP" | "STEAM"
    ) {
        return Err(skip(format!(
            "unsupported token type '{}'",
            entry::short(&token_type.to_ascii_uppercase())
        )));
    }
    let kind = entry::kind(
        token_type,
        js::int(otp, "period"),
        js::int(otp, "counter"),
    )
    .map_err(skip)?;
    let algorithm = entry::algorithm(js::str(otp, "algorithm")).map_err(skip)?;
    let digits = super::digits_u8(js::int(otp, "digits").unwrap_or(6));
    let secret =
        Secret::from_base32(js::str(service, "secret")).map_err(|e| skip(e.to_string()))?;
    let mut account = Account::new(issuer, name, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))?;
    if let Some(group) = groups.get(js::str(service, "groupId"))
        && !group.trim().is_empty()
    {
        account.tags.push(group.trim().to_string());
    }
    Ok(account)
}
