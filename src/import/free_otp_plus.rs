//! FreeOTP+ JSON exports: `{"tokens": [...], "tokenOrder": [...]}`, where each
//! token stores its secret as a list of signed bytes.

use serde_json::Value;

use super::js;
use super::{Format, ImportError, Imported, Skipped};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::FreeOtpPlus;

/// Parses a FreeOTP+ export.
pub fn parse(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let file = super::json(bytes, FORMAT)?;
    let tokens = file
        .get("tokens")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::malformed(FORMAT, "missing 'tokens'"))?;
    super::check_count(tokens.len())?;
    let mut imported = Imported::default();
    for token in tokens {
        match to_account(token, now) {
            Ok(account) => imported.accounts.push(account),
            Err(skipped) => imported.skipped.push(skipped),
        }
    }
    Ok(imported)
}

fn to_account(token: &Value, now: i64) -> Result<Account, Skipped> {
    let issuer = js::str(token, "issuerExt");
    let name = js::str(token, "label");
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    let steam = issuer == "Steam";
    let kind = match js::str(token, "type").to_ascii_uppercase().as_str() {
        "" | "TOTP" if steam => Kind::Steam,
        "" | "TOTP" => Kind::Totp {
            period: super::period_u32(js::int(token, "period").unwrap_or(30)),
        },
        "HOTP" => Kind::Hotp {
            counter: u64::try_from(js::int(token, "counter").unwrap_or(0))
                .map_err(|_| skip("negative HOTP counter".into()))?,
        },
        other => {
            return Err(skip(format!(
                "unsupported type '{}'",
                other.chars().take(32).collect::<String>()
            )));
        }
    };
    let algo = js::str(token, "algo");
    let algorithm = if algo.is_empty() {
        Algorithm::Sha1
    } else {
        Algorithm::parse(algo).map_err(|e| skip(e.to_string()))?
    };
    let digits = super::digits_u8(js::int(token, "digits").unwrap_or(6));
    let bytes = js::arr(token, "secret");
    if bytes.len() > crate::secret::MAX_SECRET_LEN {
        return Err(skip("the secret is too long".into()));
    }
    let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(bytes.len()));
    for b in bytes {
        let v = b
            .as_i64()
            .filter(|v| (-128..=255).contains(v))
            .ok_or_else(|| skip("the secret is not a list of bytes".into()))?;
        raw.push((v & 0xff) as u8);
    }
    let secret = Secret::from_bytes(raw.to_vec()).map_err(|e| skip(e.to_string()))?;
    Account::new(issuer, name, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))
}
