//! FreeOTP's token store, copied off a rooted Android phone
//! (`/data/data/org.fedorahosted.freeotp/shared_prefs/tokens.xml`), and the
//! same file of FreeOTP+ (`org.liberty.android.freeotpplus`): Android
//! preferences where every string but `tokenOrder` is one token in the JSON
//! shape of FreeOTP+'s export ([`super::free_otp_plus`]), and `tokenOrder` is
//! the list of token ids (`issuer:label`) in the order the app shows them.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::android_prefs::{self, PrefValue};
use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, entry, free_otp_plus};

const FORMAT: Format = Format::FreeOtp;
/// The preference listing the token ids in display order.
pub const ORDER_KEY: &str = "tokenOrder";

pub(crate) const SPEC: Spec = Spec {
    name: "freeotp",
    aliases: &["freeotp-tokens", "freeotp-plus-tokens"],
    display_name: "FreeOTP",
    source: "`tokens.xml` preferences of FreeOTP or FreeOTP+ (rooted Android)",
    fixtures: "freeotp",
    detect,
    parse: |bytes, _, now| parse(bytes, now),
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let prefs = probe.android_prefs()?;
    let looks_like_token = |text: &str| {
        let text = text.trim_start();
        text.starts_with('{') && text.contains("\"secret\"") && text.contains("\"label\"")
    };
    let tokens = prefs
        .entries()
        .filter(|(name, _)| *name != ORDER_KEY)
        .all(|(_, value)| matches!(value, PrefValue::String(text) if looks_like_token(text)));
    (prefs.contains(ORDER_KEY) && tokens).then_some(Confidence::Certain)
}

/// Parses a `tokens.xml`, in the app's order (tokens the order misses come last).
pub fn parse(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let prefs = android_prefs::parse(bytes, FORMAT)?;
    let order: Vec<String> = match prefs.string(ORDER_KEY) {
        Some(text) => match super::json(text.as_bytes(), FORMAT)? {
            Value::Array(ids) => ids
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => return Err(ImportError::malformed(FORMAT, "'tokenOrder' is not a list")),
        },
        None => return Err(ImportError::malformed(FORMAT, "no 'tokenOrder' preference")),
    };
    let tokens: HashMap<&str, &str> = prefs
        .entries()
        .filter(|(name, _)| *name != ORDER_KEY)
        .filter_map(|(name, value)| match value {
            PrefValue::String(text) => Some((name, text.as_str())),
            _ => None,
        })
        .collect();
    let mut seen = HashSet::new();
    let ids = order
        .iter()
        .map(String::as_str)
        .chain(prefs.entries().map(|(name, _)| name))
        .filter(|id| tokens.contains_key(id) && seen.insert(*id));
    entry::collect(ids, |id| token(id, tokens.get(id).copied().unwrap_or(""), now))
}

fn token(id: &str, text: &str, now: i64) -> Result<crate::Account, Skipped> {
    let (issuer, label) = id.split_once(':').unwrap_or(("", id));
    let value: Value = serde_json::from_str(text)
        .map_err(|_| Skipped::new(issuer, label, "the token is not valid JSON"))?;
    free_otp_plus::to_account(&value, now)
}
