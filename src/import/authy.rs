//! Authy's token store, copied off a rooted Android phone
//! (`/data/data/com.authy.authy/shared_prefs/com.authy.storage.tokens.authenticator.xml`,
//! and `…tokens.authy.xml` for Authy's own tokens): Android preferences whose
//! one string is a JSON array of tokens. Authy has no export at all.
//!
//! Third-party tokens hold `decryptedSecret` (base32) or, when the user set a
//! backup password, `encryptedSecret`: base64 of AES-256-CBC (IV of 16 zero
//! bytes, PKCS#7) under PBKDF2-HMAC-SHA1 (1000 iterations, 32 bytes) of the
//! backup password with the token's `salt` string, whose plaintext is the
//! base32 secret. They are SHA1, 30 seconds, `digits` long. Authy's own
//! tokens (`secretSeed`, hex) are SHA1 with a 10-second period.

use base64::Engine as _;
use serde_json::Value;
use zeroize::Zeroizing;

use super::android_prefs::{self, Prefs};
use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, crypto, entry, js};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::Authy;
/// The preference holding third-party tokens.
pub const AUTHENTICATOR_KEY: &str = "com.authy.storage.tokens.authenticator.key";
/// The preference holding Authy's own tokens.
pub const AUTHY_KEY: &str = "com.authy.storage.tokens.authy.key";
/// PBKDF2 iterations of encrypted secrets.
pub const ITERATIONS: u32 = 1000;

pub(crate) const SPEC: Spec = Spec {
    name: "authy",
    aliases: &["twilio-authy"],
    display_name: "Authy",
    source: "`com.authy.storage.tokens.authenticator.xml` (and `…authy.xml`) preferences (rooted Android), secrets plain or encrypted with the backup password",
    fixtures: "authy",
    detect,
    parse,
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let prefs = probe.android_prefs()?;
    (prefs.contains(AUTHENTICATOR_KEY) || prefs.contains(AUTHY_KEY)).then_some(Confidence::Certain)
}

/// Parses Authy's token preferences; `password` (the backup password) opens
/// encrypted secrets.
pub fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let prefs = android_prefs::parse(bytes, FORMAT)?;
    let tokens = |key: &str| -> Result<Vec<Value>, ImportError> {
        match prefs_json(&prefs, key)? {
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(ImportError::malformed(
                FORMAT,
                format!("'{key}' is not a list of tokens"),
            )),
            None => Ok(Vec::new()),
        }
    };
    let third_party = tokens(AUTHENTICATOR_KEY)?;
    let own = tokens(AUTHY_KEY)?;
    if !prefs.contains(AUTHENTICATOR_KEY) && !prefs.contains(AUTHY_KEY) {
        return Err(ImportError::malformed(
            FORMAT,
            "no Authy token list in these preferences",
        ));
    }
    let is_encrypted = |t: &Value| {
        !js::str(t, "encryptedSecret").trim().is_empty() && js::str(t, "decryptedSecret").trim().is_empty()
    };
    let encrypted = third_party.iter().filter(|t| is_encrypted(t)).count();
    if encrypted > 0 && password.is_none() {
        return Err(ImportError::PasswordRequired);
    }
    let mut imported =
        entry::collect(&third_party, |token| third_party_account(token, password, now))?;
    // Every secret shares the one backup password: when none of them opens,
    // the password is wrong; when only some do, the others are damaged.
    let failed = imported.skipped.iter().filter(|s| s.reason == WRONG).count();
    if encrypted > 0 && failed == encrypted {
        return Err(ImportError::WrongPassword);
    }
    entry::collect_into(&mut imported, &own, |token| own_account(token, now))?;
    Ok(imported)
}

/// The reason given for a secret the backup password does not decrypt.
const WRONG: &str = "the backup password does not decrypt this secret";

fn prefs_json(prefs: &Prefs, key: &str) -> Result<Option<Value>, ImportError> {
    let Some(text) = prefs.string(key) else {
        return Ok(None);
    };
    super::json(text.as_bytes(), FORMAT).map(Some)
}

/// Issuer and name from Authy's fields: `originalIssuer`, else what precedes
/// ':' in `originalName`, else what precedes " - " in `name`, else the account
/// type; the name loses a leading "Issuer:" or "Issuer - ".
fn label(token: &Value) -> (String, String) {
    let original = js::str(token, "originalName").trim();
    let shown = js::str(token, "name").trim();
    let mut issuer = js::str(token, "originalIssuer").trim().to_string();
    if issuer.is_empty() {
        issuer = match (original.split_once(':'), shown.split_once(" - ")) {
            (Some((prefix, _)), _) => prefix.trim().to_string(),
            (None, Some((prefix, _))) => prefix.trim().to_string(),
            (None, None) => capitalised(js::str(token, "accountType")),
        };
    }
    let mut name = if original.is_empty() { shown } else { original };
    for separator in [":", " - "] {
        if let Some(rest) = name
            .strip_prefix(issuer.as_str())
            .and_then(|rest| rest.strip_prefix(separator))
        {
            name = rest;
        }
    }
    let name = name.trim_start_matches(':').trim().to_string();
    (issuer, name)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.trim().chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn third_party_account(token: &Value, password: Option<&[u8]>, now: i64) -> Result<Account, Skipped> {
    let (issuer, name) = label(token);
    let skip = |reason: String| Skipped::new(&issuer, &name, reason);
    let plain = js::str(token, "decryptedSecret");
    let secret = if !plain.trim().is_empty() {
        Secret::from_base32(plain).map_err(|e| skip(e.to_string()))?
    } else {
        let sealed = js::str(token, "encryptedSecret");
        if sealed.trim().is_empty() {
            return Err(skip("the token has no secret".into()));
        }
        let password = password.ok_or_else(|| skip("a password is needed".into()))?;
        let text = decrypt(sealed, js::str(token, "salt"), password).map_err(skip)?;
        Secret::from_base32(&text).map_err(|_| skip(WRONG.into()))?
    };
    let digits = super::digits_u8(js::int(token, "digits").unwrap_or(6));
    Account::new(&issuer, &name, secret, Kind::DEFAULT_TOTP, Algorithm::Sha1, digits, now)
        .map_err(|e| skip(e.to_string()))
}

/// The base32 text of an encrypted secret; the error is the reason to skip.
fn decrypt(sealed: &str, salt: &str, password: &[u8]) -> Result<Zeroizing<String>, String> {
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(sealed.trim())
        .map_err(|_| "the encrypted secret is not valid base64".to_string())?;
    let key = crypto::pbkdf2_sha1(FORMAT, password, salt.as_bytes(), ITERATIONS)
        .map_err(|e| e.to_string())?;
    let plain = crypto::aes_cbc_open(key.as_ref(), &[0u8; 16], &ciphertext)
        .ok_or_else(|| WRONG.to_string())?;
    String::from_utf8(plain.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| WRONG.to_string())
}

fn own_account(token: &Value, now: i64) -> Result<Account, Skipped> {
    let issuer = js::str(token, "name").trim();
    let skip = |reason: String| Skipped::new(issuer, "", reason);
    let seed = Zeroizing::new(js::str(token, "secretSeed").trim().to_string());
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(seed.as_bytes())
        .map_err(|_| skip("the Authy token's seed is not valid hex".into()))?;
    let secret = Secret::from_bytes(bytes).map_err(|e| skip(e.to_string()))?;
    let digits = super::digits_u8(js::int(token, "digits").unwrap_or(7));
    Account::new(issuer, "", secret, Kind::Totp { period: 10 }, Algorithm::Sha1, digits, now)
        .map_err(|e| skip(e.to_string()))
}
