//! Ente Auth's exports: the plain text one, `otpauth://` URIs whose
//! `codeDisplay` parameter carries the tags (read by [`super::text`]), and the
//! encrypted one, a JSON envelope
//! `{"version": 1, "kdfParams": {"memLimit", "opsLimit", "salt"}, "encryptedData", "encryptionNonce"}`
//! around the same text.
//!
//! The key is libsodium's `crypto_pwhash` (Argon2id v1.3, one lane, `memLimit`
//! bytes of memory, `opsLimit` passes) of the password; the data is one
//! libsodium `crypto_secretstream_xchacha20poly1305` message whose 24-byte
//! header is `encryptionNonce`. The stream is authenticated, so a wrong
//! password never yields text. Both limits come from the file and are bounded
//! before any work.

use base64::Engine as _;
use serde_json::Value;
use zeroize::Zeroizing;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, crypto, js, text};

const FORMAT: Format = Format::Ente;

pub(crate) const SPEC: Spec = Spec {
    name: "ente",
    aliases: &["ente-auth"],
    display_name: "Ente Auth",
    source: "plain-text export (`ente-codes.txt`), or the encrypted export (with its password)",
    fixtures: "ente",
    detect,
    parse,
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    if let Some(value) = probe.json() {
        return is_encrypted(value).then_some(Confidence::Certain);
    }
    (probe.has_line_starting("otpauth://") && probe.lines().any(|l| l.contains("codeDisplay=")))
        .then_some(Confidence::Likely)
}

/// True for the encrypted export (`{"kdfParams":…,"encryptedData":…}`).
fn is_encrypted(value: &Value) -> bool {
    value.get("kdfParams").is_some() && value.get("encryptedData").is_some()
}

/// Parses a plain export, or an encrypted one with `password`.
fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    if bytes.trim_ascii_start().starts_with(b"{") {
        let file = super::json(bytes, FORMAT)?;
        if is_encrypted(&file) {
            return parse_encrypted(&file, password, now);
        }
    }
    text::parse(super::text(bytes, FORMAT)?, FORMAT, now)
}

/// Parses an encrypted export with `password`.
fn parse_encrypted(
    file: &Value,
    password: Option<&[u8]>,
    now: i64,
) -> Result<Imported, ImportError> {
    let version = js::int(file, "version").unwrap_or(1);
    if version != 1 {
        return Err(ImportError::UnsupportedVersion {
            format: FORMAT,
            version,
        });
    }
    let params = file.get("kdfParams").unwrap_or(&Value::Null);
    let b64 = |value: &Value, key: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(js::str(value, key).trim())
            .map_err(|_| ImportError::malformed(FORMAT, format!("'{key}' is not valid base64")))
    };
    let salt = b64(params, "salt")?;
    let header = b64(file, "encryptionNonce")?;
    let sealed = Zeroizing::new(b64(file, "encryptedData")?);
    let header: [u8; 24] = header.as_slice().try_into().map_err(|_| {
        ImportError::malformed(
            FORMAT,
            format!("'encryptionNonce' has {} bytes, not 24", header.len()),
        )
    })?;
    let mem_bytes = js::int(params, "memLimit").unwrap_or(0);
    let ops = js::int(params, "opsLimit").unwrap_or(0);
    let out_of_range = || ImportError::KdfParameters {
        format: FORMAT,
        detail: format!("memLimit '{mem_bytes}' opsLimit '{ops}'"),
    };
    let mem_kib = u32::try_from(mem_bytes / 1024).map_err(|_| out_of_range())?;
    let ops = u32::try_from(ops).map_err(|_| out_of_range())?;
    let password = password.ok_or(ImportError::PasswordRequired)?;
    let key = crypto::argon2id(FORMAT, password, &salt, ops, mem_kib, 1)?;
    let plain = crypto::secretstream_open_final(key.as_ref(), &header, &sealed)
        .ok_or(ImportError::WrongPassword)?;
    super::text::parse(super::text(&plain, FORMAT)?, FORMAT, now)
}
