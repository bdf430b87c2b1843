//! Ente Auth's plain-text export: `otpauth://` URIs whose `codeDisplay`
//! parameter carries the tags (read by [`super::text`]). Its encrypted export
//! (`{"kdfParams":…,"encryptedData":…}`) is recognised only to say it is not read.

use serde_json::Value;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, text};

const FORMAT: Format = Format::Ente;

pub(crate) const SPEC: Spec = Spec {
    name: "ente",
    aliases: &["ente-auth"],
    display_name: "Ente Auth",
    source: "plain-text export (`ente-codes.txt`); the encrypted export is recognised, not read",
    fixtures: "ente",
    detect,
    parse: |bytes, _, now| parse(bytes, now),
    read_path: None,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    if let Some(value) = probe.json() {
        return is_encrypted(value).then_some(Confidence::Certain);
    }
    (probe.has_line_starting("otpauth://") && probe.lines().any(|l| l.contains("codeDisplay=")))
        .then_some(Confidence::Likely)
}

/// True for the encrypted export, which keyfob does not read.
fn is_encrypted(value: &Value) -> bool {
    value.get("kdfParams").is_some() && value.get("encryptedData").is_some()
}

/// Parses a plain export; refuses the encrypted one with what to do instead.
fn parse(bytes: &[u8], now: i64) -> Result<super::Imported, ImportError> {
    if bytes.trim_ascii_start().starts_with(b"{")
        && super::json(bytes, FORMAT).is_ok_and(|v| is_encrypted(&v))
    {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "an encrypted export (export again as plain text)",
        });
    }
    text::parse(super::text(bytes, FORMAT)?, FORMAT, now)
}
