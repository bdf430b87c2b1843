//! Duo Mobile's account list (`files/duokit/accounts.json`, rooted Android).
//!
//! A JSON array of accounts. Third-party ones carry an `otpGenerator` with a
//! base32 `otpSecret` (and a `counter` when they are HOTP); Duo's own push
//! accounts hold only keys bound to Duo's servers and cannot be moved, which the
//! report says by name.

use serde_json::Value;

use super::registry::{Confidence, Spec};
use super::{Format, ImportError, Imported, Skipped, entry, js};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::Duo;

pub(crate) const SPEC: Spec = Spec {
    name: "duo",
    aliases: &["duo-mobile"],
    display_name: "Duo Mobile",
    source: "`files/duokit/accounts.json` (rooted Android); push-only Duo accounts are named as not movable",
    fixtures: "duo",
    detect: |probe| probe.json().filter(|v| is_duo(v)).map(|_| Confidence::Certain),
    parse: |bytes, _, now| parse(bytes, now),
    read_path: None,
    authenticated: false,
};

/// Why a Duo push account is not imported.
pub const PUSH_ONLY_REASON: &str =
    "a Duo push account works only with Duo's servers: cannot be moved, re-enrol this account";

/// True for Duo Mobile's `accounts.json`: a non-empty array of objects with
/// `accountType` and `otpGenerator` or `pkey`.
fn is_duo(value: &Value) -> bool {
    value.as_array().is_some_and(|items| {
        !items.is_empty()
            && items.iter().all(|item| {
                item.get("accountType").is_some()
                    && (item.get("otpGenerator").is_some() || item.get("pkey").is_some())
            })
    })
}

/// Parses Duo Mobile's `accounts.json`.
fn parse(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let file = super::json(bytes, FORMAT)?;
    let items = file
        .as_array()
        .ok_or_else(|| ImportError::malformed(FORMAT, "the file is not a list of accounts"))?;
    entry::collect(items, |item| to_account(item, now))
}

fn to_account(item: &Value, now: i64) -> Result<Account, Skipped> {
    let name = js::str(item, "name");
    let skip = |reason: String| Skipped::new("", name, reason);
    let generator = item.get("otpGenerator").unwrap_or(&Value::Null);
    let secret = js::str(generator, "otpSecret");
    if secret.is_empty() {
        return Err(skip(PUSH_ONLY_REASON.into()));
    }
    let kind = match generator.get("counter") {
        None | Some(Value::Null) => Kind::Totp { period: 30 },
        Some(_) => Kind::Hotp {
            counter: js::int(generator, "counter")
                .and_then(|c| u64::try_from(c).ok())
                .ok_or_else(|| skip("the HOTP counter is not a non-negative number".into()))?,
        },
    };
    let secret = Secret::from_base32(secret).map_err(|e| skip(e.to_string()))?;
    Account::new("", name, secret, kind, Algorithm::Sha1, 6, now).map_err(|e| skip(e.to_string()))
}
