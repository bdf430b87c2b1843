//! FreeOTP+ JSON exports: `{"tokens": [...], "tokenOrder": [...]}`, where each
//! token stores its secret as a list of signed bytes.

use serde_json::Value;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, entry, js};
use crate::account::{Account, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::FreeOtpPlus;

pub(crate) const SPEC: Spec = Spec {
    name: "freeotp-plus",
    aliases: &["freeotp-plus-json"],
    display_name: "FreeOTP+",
    source: "JSON export (`freeotp-backup.json`)",
    fixtures: "freeotp-plus",
    detect,
    parse: |bytes, _, now| parse(bytes, now),
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    probe
        .json()?
        .get("tokens")
        .map(|_| Confidence::Certain)
}

/// Parses a FreeOTP+ export.
pub fn parse(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let file = super::json(bytes, FORMAT)?;
    let tokens = file
        .get("tokens")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::malformed(FORMAT, "missing 'tokens'"))?;
    entry::collect(tokens, |token| to_account(token, now))
}

/// One token object (also the shape of FreeOTP's `tokens.xml` entries).
pub(crate) fn to_account(token: &Value, now: i64) -> Result<Account, Skipped> {
    let issuer = js::str(token, "issuerExt");
    to_account_with(token, issuer, || secret_bytes(token), now)
}

/// One token object whose secret comes from `secret` (read only once the
/// rest of the token is known to be usable): FreeOTP 2's backups keep the
/// secret apart from the token, encrypted ([`super::free_otp_backup`]).
/// `issuer` is the issuer to show; the error of `secret` is the reason to give.
pub(crate) fn to_account_with(
    token: &Value,
    issuer: &str,
    secret: impl FnOnce() -> Result<Secret, String>,
    now: i64,
) -> Result<Account, Skipped> {
    let name = js::str(token, "label");
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    let type_name = js::str(token, "type");
    if !matches!(type_name.to_ascii_uppercase().as_str(), "" | "TOTP" | "HOTP") {
        return Err(skip(format!(
            "unsupported type '{}'",
            entry::short(&type_name.to_ascii_uppercase())
        )));
    }
    let mut kind = entry::kind(type_name, js::int(token, "period"), js::int(token, "counter"))
        .map_err(skip)?;
    // FreeOTP+ marks Steam tokens by their issuer only.
    if issuer == "Steam" && matches!(kind, Kind::Totp { .. }) {
        kind = Kind::Steam;
    }
    let algorithm = entry::algorithm(js::str(token, "algo")).map_err(skip)?;
    let digits = super::digits_u8(js::int(token, "digits").unwrap_or(6));
    let secret = secret().map_err(skip)?;
    Account::new(issuer, name, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))
}

/// The secret of a token that holds it, as a list of (signed) bytes.
fn secret_bytes(token: &Value) -> Result<Secret, String> {
    let bytes = js::arr(token, "secret");
    if bytes.len() > crate::secret::MAX_SECRET_LEN {
        return Err("the secret is too long".into());
    }
    let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(bytes.len()));
    for b in bytes {
        let v = b
            .as_i64()
            .filter(|v| (-128..=255).contains(v))
            .ok_or_else(|| "the secret is not a list of bytes".to_string())?;
        raw.push((v & 0xff) as u8);
    }
    Secret::from_bytes(raw.to_vec()).map_err(|e| e.to_string())
}
