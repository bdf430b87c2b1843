//! Steam Guard secrets: the Steam app's `Steamguard-<steamid>` file (current
//! `{"accounts": {…}}` shape and the older single object), Steam Desktop
//! Authenticator's `.maFile`s, and SDA's `manifest.json`, which lists the
//! `.maFile`s of its folder and, when they are encrypted, their salt and IV.
//!
//! Every shape keeps the secret as `shared_secret` (standard base64) beside
//! `account_name`. SDA encrypts a `.maFile` with AES-256-CBC under
//! PBKDF2-HMAC-SHA1(passkey, salt, 50 000 iterations); the file then holds only
//! the base64 ciphertext, so it is read together with the manifest beside it.

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;
use zeroize::Zeroizing;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, MAX_INPUT_LEN, Skipped, crypto, entry, js};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::Steam;

pub(crate) const SPEC: Spec = Spec {
    name: "steam",
    aliases: &["steam-guard", "sda", "steam-desktop-authenticator", "mafile"],
    display_name: "Steam Guard",
    source: "the Steam app's `Steamguard-<steamid>` file (rooted Android; current and older shape); \
Steam Desktop Authenticator `.maFile`s and their `manifest.json`, plain or encrypted with the passkey",
    fixtures: "steam",
    detect,
    parse,
    read_path: Some(parse_at),
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    if let Some(value) = probe.json() {
        return is_steam(value).then_some(Confidence::Certain);
    }
    // An encrypted `.maFile` is base64 text: only its name tells.
    is_mafile_name(probe.lower_name()).then_some(Confidence::Fallback)
}
/// PBKDF2 iterations SDA uses for its passkey.
pub const SDA_ITERATIONS: u32 = 50_000;
/// The name SDA gives its manifest.
pub const MANIFEST_NAME: &str = "manifest.json";

/// True for a Steam Guard JSON value: a `Steamguard-<id>` file, a `.maFile` or
/// an SDA manifest.
fn is_steam(value: &Value) -> bool {
    is_manifest(value)
        || value.get("shared_secret").is_some()
        || value
            .get("accounts")
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty() && m.values().all(|a| a.get("shared_secret").is_some()))
}

/// True for SDA's `manifest.json`: `entries` naming `.maFile`s.
fn is_manifest(value: &Value) -> bool {
    value.get("encrypted").is_some_and(Value::is_boolean)
        && value
            .get("entries")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().all(|x| x.get("filename").is_some()))
}

/// True when a file name is a Steam Desktop Authenticator `.maFile`.
fn is_mafile_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".mafile")
}

/// Parses a `Steamguard-<id>` file or a plain `.maFile`. An SDA manifest or an
/// encrypted `.maFile` needs the other files of its folder: see [`parse_at`].
fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    parse_with(bytes, password, now, &|_| None)
}

/// Parses the Steam file at `path`: a manifest reads
/// every `.maFile` it lists from the same folder, and an encrypted `.maFile` is
/// decrypted with the salt and IV its folder's manifest gives.
pub fn parse_at(path: &Path, password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let bytes = crate::bounded::read_file(path, MAX_INPUT_LEN as u64).map_err(|e| match e {
        crate::bounded::ReadError::TooLarge { size, limit } => ImportError::TooLarge {
            size: size.unwrap_or(limit.saturating_add(1)),
            limit,
        },
        crate::bounded::ReadError::Io(source) => ImportError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let bytes = bytes.as_slice();
    let folder = path.parent().unwrap_or(Path::new("."));
    let read_sibling = |name: &str| -> Option<Result<Zeroizing<Vec<u8>>, String>> {
        // Only plain names: a manifest cannot send keyfob out of its folder.
        if name.is_empty() || name.contains(['/', '\\']) || name == ".." || name == "." {
            return Some(Err(format!(
                "the manifest names '{}', which is not a file name",
                crate::text::Escaped(name)
            )));
        }
        Some(
            crate::bounded::read_file(&folder.join(name), MAX_INPUT_LEN as u64).map_err(|e| {
                let cause = std::error::Error::source(&e).map(ToString::to_string);
                match cause {
                    Some(cause) => format!("{e}: {cause}"),
                    None => e.to_string(),
                }
            }),
        )
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if is_mafile_name(&file_name) && !looks_like_json(bytes) {
        let manifest = read_sibling(MANIFEST_NAME)
            .and_then(Result::ok)
            .ok_or_else(|| {
                ImportError::malformed(
                    FORMAT,
                    "the .maFile is encrypted and no manifest.json is beside it",
                )
            })?;
        let manifest = super::json(&manifest, FORMAT)?;
        let entry = js::arr(&manifest, "entries")
            .iter()
            .find(|e| js::str(e, "filename") == file_name)
            .ok_or_else(|| {
                ImportError::malformed(FORMAT, "manifest.json does not list this .maFile")
            })?;
        let password = password.ok_or(ImportError::PasswordRequired)?;
        let plain = decrypt_mafile(bytes, entry, password)?;
        return parse_plain(&plain, now);
    }
    parse_with(bytes, password, now, &read_sibling)
}

/// Reads the other files of a manifest's folder.
type Sibling<'a> = dyn Fn(&str) -> Option<Result<Zeroizing<Vec<u8>>, String>> + 'a;

fn looks_like_json(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .and_then(|i| bytes.get(i..))
        .unwrap_or(&[]);
    start.starts_with(b"{") || start.starts_with("\u{feff}".as_bytes())
}

fn parse_with(
    bytes: &[u8],
    password: Option<&[u8]>,
    now: i64,
    read_sibling: &Sibling<'_>,
) -> Result<Imported, ImportError> {
    let file = super::json(bytes, FORMAT)?;
    if is_manifest(&file) {
        return parse_manifest(&file, password, now, read_sibling);
    }
    parse_value(&file, now)
}

fn parse_plain(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let file = super::json(bytes, FORMAT)?;
    parse_value(&file, now)
}

fn parse_value(file: &Value, now: i64) -> Result<Imported, ImportError> {
    let accounts: Vec<&Value> = match file.get("accounts") {
        Some(Value::Object(map)) => map.values().collect(),
        Some(_) => return Err(ImportError::malformed(FORMAT, "'accounts' is not an object")),
        None if file.is_object() => vec![file],
        None => {
            return Err(ImportError::malformed(
                FORMAT,
                "the top level is not an object",
            ));
        }
    };
    entry::collect(accounts, |account| to_account(account, now))
}

fn parse_manifest(
    manifest: &Value,
    password: Option<&[u8]>,
    now: i64,
    read_sibling: &Sibling<'_>,
) -> Result<Imported, ImportError> {
    let encrypted = manifest
        .get("encrypted")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let entries = js::arr(manifest, "entries");
    super::check_count(entries.len())?;
    if encrypted && password.is_none() && !entries.is_empty() {
        return Err(ImportError::PasswordRequired);
    }
    let mut imported = Imported::default();
    for entry in entries {
        let name = js::str(entry, "filename");
        let Some(bytes) = read_sibling(name) else {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: "a manifest read without its folder (give the manifest.json file itself)",
            });
        };
        let skip = |reason: String| Skipped::new("Steam", name, reason);
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(reason) => {
                imported.skipped.push(skip(reason));
                continue;
            }
        };
        let plain = match (encrypted, password) {
            (true, Some(password)) => match decrypt_mafile(&bytes, entry, password) {
                Ok(plain) => plain,
                // A wrong passkey fails every file alike: say so once, for the file.
                Err(ImportError::WrongPassword) if imported.accounts.is_empty() => {
                    return Err(ImportError::WrongPassword);
                }
                Err(error) => {
                    imported.skipped.push(skip(error.to_string()));
                    continue;
                }
            },
            _ => bytes,
        };
        match parse_plain(&plain, now) {
            Ok(one) => {
                imported.accounts.extend(one.accounts);
                imported.skipped.extend(one.skipped);
            }
            Err(error) => imported.skipped.push(skip(error.to_string())),
        }
    }
    Ok(imported)
}

/// Decrypts one SDA `.maFile` (base64 text) with the salt and IV of its manifest entry.
fn decrypt_mafile(
    bytes: &[u8],
    entry: &Value,
    password: &[u8],
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let b64 = |text: &[u8], what: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim_ascii())
            .map_err(|_| ImportError::malformed(FORMAT, format!("the {what} is not valid base64")))
    };
    let salt = b64(js::str(entry, "encryption_salt").as_bytes(), "encryption salt")?;
    let iv = b64(js::str(entry, "encryption_iv").as_bytes(), "encryption IV")?;
    if iv.len() != 16 {
        return Err(ImportError::malformed(
            FORMAT,
            format!("the encryption IV has {} bytes, not 16", iv.len()),
        ));
    }
    let ciphertext = b64(bytes, "encrypted .maFile")?;
    let key = crypto::pbkdf2_sha1(FORMAT, password, &salt, SDA_ITERATIONS)?;
    let plain =
        crypto::aes_cbc_open(key.as_ref(), &iv, &ciphertext).ok_or(ImportError::WrongPassword)?;
    // CBC has no tag: a wrong passkey can still unpad by chance, so the text must be JSON.
    if !looks_like_json(&plain) {
        return Err(ImportError::WrongPassword);
    }
    Ok(plain)
}

fn to_account(entry: &Value, now: i64) -> Result<Account, Skipped> {
    let name = js::str(entry, "account_name");
    let skip = |reason: String| Skipped::new("Steam", name, reason);
    let shared = js::str(entry, "shared_secret");
    if shared.is_empty() {
        return Err(skip("no 'shared_secret'".into()));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(shared.trim())
        .map(Zeroizing::new)
        .map_err(|_| skip("'shared_secret' is not valid base64".into()))?;
    let secret = Secret::from_bytes(raw.to_vec()).map_err(|e| skip(e.to_string()))?;
    Account::new("Steam", name, secret, Kind::Steam, Algorithm::Sha1, 5, now)
        .map_err(|e| skip(e.to_string()))
}
