//! The Battle.net Authenticator's preferences
//! (`shared_prefs/com.blizzard.messenger.authenticator_preferences.xml`, rooted Android).
//!
//! The serial and the device secret are hex strings masked by a bytewise XOR
//! with a fixed 57-byte key; unmasked, the serial reads as text
//! (`US-2211-2050-3346`) and the secret is hex again. The codes are TOTP,
//! SHA-1, 8 digits, 30 seconds.

use data_encoding::HEXLOWER_PERMISSIVE;
use zeroize::Zeroizing;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, android_prefs};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::BattleNet;

pub(crate) const SPEC: Spec = Spec {
    name: "battle-net",
    aliases: &["blizzard"],
    display_name: "Battle.net Authenticator",
    source: "`com.blizzard.messenger.authenticator_preferences.xml` (rooted Android)",
    fixtures: "battle-net",
    detect,
    parse: |bytes, _, now| parse(bytes, now),
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    if probe.android_prefs()?.contains(SECRET_KEY) {
        return Some(Confidence::Certain);
    }
    None
}
/// The preferences string holding the masked serial.
pub const SERIAL_KEY: &str = "com.blizzard.messenger.AUTHENTICATOR_SERIAL";
/// The preferences string holding the masked device secret.
pub const SECRET_KEY: &str = "com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET";
/// The issuer given to the account.
pub const ISSUER: &str = "Battle.net";

/// The fixed mask the app XORs both strings with.
const MASK: [u8; 57] = [
    0x39, 0x8e, 0x27, 0xfc, 0x50, 0x27, 0x6a, 0x65, 0x60, 0x65, 0xb0, 0xe5, 0x25, 0xf4, 0xc0, 0x6c,
    0x04, 0xc6, 0x10, 0x75, 0x28, 0x6b, 0x8e, 0x7a, 0xed, 0xa5, 0x9d, 0xa9, 0x81, 0x3b, 0x5d, 0xd6,
    0xc8, 0x0d, 0x2f, 0xb3, 0x80, 0x68, 0x77, 0x3f, 0xa5, 0x9b, 0xa4, 0x7c, 0x17, 0xca, 0x6c, 0x64,
    0x79, 0x01, 0x5c, 0x1d, 0x5b, 0x8b, 0x8f, 0x6b, 0x9a,
];

/// Unmasks one string: hex-decode, XOR with the mask, read as text.
fn unmask(masked: &str, what: &str) -> Result<Zeroizing<String>, String> {
    let bytes = Zeroizing::new(
        HEXLOWER_PERMISSIVE
            .decode(masked.trim().as_bytes())
            .map_err(|_| format!("the {what} is not hex"))?,
    );
    if bytes.len() > MASK.len() {
        return Err(format!(
            "the {what} is {} bytes long, more than the mask's {}",
            bytes.len(),
            MASK.len()
        ));
    }
    let plain: Zeroizing<Vec<u8>> =
        Zeroizing::new(bytes.iter().zip(MASK.iter()).map(|(b, m)| b ^ m).collect());
    String::from_utf8(plain.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| format!("the unmasked {what} is not text"))
}

/// Parses the preferences XML.
fn parse(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let prefs = android_prefs::parse(bytes, FORMAT)?;
    from_prefs(prefs.string(SERIAL_KEY), prefs.string(SECRET_KEY), now)
}

/// Reads the account from the two preference strings (`None` when absent).
fn from_prefs(
    serial: Option<&str>,
    secret: Option<&str>,
    now: i64,
) -> Result<Imported, ImportError> {
    let (Some(serial), Some(secret)) = (serial, secret) else {
        return Err(ImportError::malformed(
            FORMAT,
            "the preferences have no authenticator serial and secret",
        ));
    };
    let mut imported = Imported::default();
    let serial = match unmask(serial, "serial") {
        Ok(serial) => serial,
        Err(reason) => {
            imported.skipped.push(Skipped::new(ISSUER, "", reason));
            return Ok(imported);
        }
    };
    let skip = |reason: String| Skipped::new(ISSUER, &serial, reason);
    let account = unmask(secret, "secret")
        .and_then(|hex| {
            HEXLOWER_PERMISSIVE
                .decode(hex.trim().as_bytes())
                .map(Zeroizing::new)
                .map_err(|_| "the unmasked secret is not hex".to_string())
        })
        .and_then(|raw| Secret::from_bytes(raw.to_vec()).map_err(|e| e.to_string()))
        .and_then(|secret| {
            Account::new(
                ISSUER,
                &serial,
                secret,
                Kind::Totp { period: 30 },
                Algorithm::Sha1,
                8,
                now,
            )
            .map_err(|e| e.to_string())
        });
    match account {
        Ok(account) => imported.accounts.push(account),
        Err(reason) => imported.skipped.push(skip(reason)),
    }
    Ok(imported)
}
