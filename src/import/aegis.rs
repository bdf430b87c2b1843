//! Aegis vault files (`aegis-export*.json`, `aegis.json`), plain or encrypted.
//! (The export Aegis imports from keyfob is written by `export::aegis`.)
//!
//! Encrypted vaults hold a random master key wrapped in "slots"; password slots
//! derive their wrapping key with scrypt (parameters read from the file, so they
//! are bounded before use) and the content is AES-256-GCM.

use std::collections::HashMap;

use base64::Engine as _;
use data_encoding::HEXLOWER_PERMISSIVE;
use serde_json::Value;
use zeroize::Zeroizing;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, crypto, entry, js};
use crate::account::{Account, Algorithm};
use crate::secret::Secret;

const FORMAT: Format = Format::Aegis;

pub(crate) const SPEC: Spec = Spec {
    name: "aegis",
    aliases: &[],
    display_name: "Aegis",
    source: "vault export (`aegis-export*.json`), plain or encrypted",
    fixtures: "aegis",
    detect,
    parse,
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let file = probe.json()?;
    (file.get("header").is_some() && file.get("db").is_some()).then_some(Confidence::Certain)
}

/// Parses an Aegis vault; `password` opens encrypted ones.
pub fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let file = super::json(bytes, FORMAT)?;
    if !file.is_object() {
        return Err(ImportError::malformed(
            FORMAT,
            "the top level is not an object",
        ));
    }
    let version = js::int(&file, "version").unwrap_or(1);
    if version > 1 {
        return Err(ImportError::UnsupportedVersion {
            format: FORMAT,
            version,
        });
    }
    let header = file.get("header").unwrap_or(&Value::Null);
    match file.get("db") {
        Some(db @ Value::Object(_)) => parse_content(db, now),
        Some(Value::String(ciphertext)) => {
            let password = password.ok_or(ImportError::PasswordRequired)?;
            let content = decrypt(header, ciphertext, password)?;
            let db = super::json(&content, FORMAT)?;
            parse_content(&db, now)
        }
        _ => Err(ImportError::malformed(FORMAT, "missing 'db'")),
    }
}

fn hex(value: &Value, key: &str, what: &str) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    HEXLOWER_PERMISSIVE
        .decode(js::str(value, key).as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| ImportError::malformed(FORMAT, format!("{what} is not valid hex")))
}

fn decrypt(
    header: &Value,
    ciphertext: &str,
    password: &[u8],
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let slots = js::arr(header, "slots");
    super::check_count(slots.len())?;
    let password_slots: Vec<&Value> = slots
        .iter()
        .filter(|s| js::int(s, "type") == Some(1))
        .collect();
    if password_slots.is_empty() {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "a vault without a password slot (biometric only)",
        });
    }
    let mut master: Option<Zeroizing<Vec<u8>>> = None;
    for slot in password_slots {
        let n = u64::try_from(js::int(slot, "n").unwrap_or(0)).unwrap_or(0);
        let r = u32::try_from(js::int(slot, "r").unwrap_or(0)).unwrap_or(0);
        let p = u32::try_from(js::int(slot, "p").unwrap_or(0)).unwrap_or(0);
        let salt = hex(slot, "salt", "slot salt")?;
        let key = crypto::scrypt(FORMAT, password, &salt, n, r, p)?;
        let params = slot.get("key_params").unwrap_or(&Value::Null);
        let nonce = hex(params, "nonce", "slot nonce")?;
        let mut wrapped = hex(slot, "key", "slot key")?;
        wrapped.extend_from_slice(&hex(params, "tag", "slot tag")?);
        if let Some(k) = crypto::aes_gcm_open(key.as_ref(), &nonce, &wrapped, &[]) {
            master = Some(k);
            break;
        }
    }
    let master = master.ok_or(ImportError::WrongPassword)?;
    let params = header.get("params").unwrap_or(&Value::Null);
    let nonce = hex(params, "nonce", "vault nonce")?;
    let mut sealed = base64::engine::general_purpose::STANDARD
        .decode(ciphertext.trim())
        .map_err(|_| ImportError::malformed(FORMAT, "'db' is not valid base64"))?;
    sealed.extend_from_slice(&hex(params, "tag", "vault tag")?);
    crypto::aes_gcm_open(&master, &nonce, &sealed, &[]).ok_or_else(|| {
        ImportError::malformed(FORMAT, "the vault content does not decrypt with its key")
    })
}

fn parse_content(db: &Value, now: i64) -> Result<Imported, ImportError> {
    let version = js::int(db, "version").unwrap_or(1);
    if version > 3 {
        return Err(ImportError::UnsupportedVersion {
            format: FORMAT,
            version,
        });
    }
    let groups: HashMap<&str, &str> = js::arr(db, "groups")
        .iter()
        .map(|g| (js::str(g, "uuid"), js::str(g, "name")))
        .collect();
    let entries = db
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::malformed(FORMAT, "missing 'entries'"))?;
    entry::collect(entries, |item| entry_to_account(item, &groups, now))
}

fn entry_to_account(
    entry: &Value,
    groups: &HashMap<&str, &str>,
    now: i64,
) -> Result<Account, Skipped> {
    let issuer = js::str(entry, "issuer");
    let name = js::str(entry, "name");
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    let info = entry.get("info").unwrap_or(&Value::Null);
    let kind = entry::kind(
        &js::str(entry, "type").to_ascii_lowercase(),
        js::int(info, "period"),
        js::int(info, "counter"),
    )
    .map_err(skip)?;
    // Aegis names MD5 for mOTP entries only, which are refused above.
    let algo = js::str(info, "algo");
    let algorithm = if algo.eq_ignore_ascii_case("MD5") {
        Algorithm::Sha1
    } else {
        entry::algorithm(algo).map_err(skip)?
    };
    let digits = super::digits_u8(js::int(info, "digits").unwrap_or(6));
    let secret = Secret::from_base32(js::str(info, "secret")).map_err(|e| skip(e.to_string()))?;
    let mut account = Account::new(issuer, name, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))?;
    account.note = js::str(entry, "note").chars().take(4096).collect();
    account.favorite = entry
        .get("favorite")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut tags: Vec<String> = js::arr(entry, "groups")
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|uuid| groups.get(uuid))
        .map(|name| name.trim().to_string())
        .collect();
    let old_group = js::str(entry, "group").trim();
    if !old_group.is_empty() {
        tags.push(old_group.to_string());
    }
    tags.retain(|t| !t.is_empty());
    tags.dedup();
    account.tags = tags;
    Ok(account)
}
