//! Authenticator Plus backups: a zip archive encrypted with traditional PKWARE
//! ZipCrypto under the app's master password, holding `Accounts.txt` (one
//! `otpauth://` URI per line).
//!
//! The archive is read in memory with the `zip` crate, never extracted; only
//! `Accounts.txt` is read, and no more than [`MAX_INPUT_LEN`] bytes of it.
//! ZipCrypto checks a password with one byte, so a wrong password that passes
//! that check is caught by the entry's CRC-32 and reported the same way.

use std::io::{Cursor, Read};

use zeroize::Zeroizing;

use super::registry::{Confidence, Spec};
use super::{Format, ImportError, Imported, MAX_ENTRIES, MAX_INPUT_LEN};

const FORMAT: Format = Format::AuthenticatorPlus;

pub(crate) const SPEC: Spec = Spec {
    name: "authenticator-plus",
    aliases: &["auth-plus"],
    display_name: "Authenticator Plus",
    source: "`.zip` backup (ZipCrypto under the master password) holding `Accounts.txt`",
    fixtures: "authenticator-plus",
    detect: |probe| looks_like_backup(probe.bytes()).then_some(Confidence::Certain),
    parse,
    read_path: None,
    authenticated: false,
};
/// The archive member holding the accounts.
pub const ACCOUNTS_FILE: &str = "Accounts.txt";

/// True for a zip archive with an `Accounts.txt` member (names are not encrypted).
fn looks_like_backup(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        && zip::ZipArchive::new(Cursor::new(bytes))
            .is_ok_and(|archive| archive.len() <= MAX_ENTRIES && archive.index_for_name(ACCOUNTS_FILE).is_some())
}

/// Parses an Authenticator Plus backup; `password` opens encrypted ones.
fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let zip_error = |what: &str| ImportError::malformed(FORMAT, what.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| zip_error("not a readable zip archive"))?;
    super::check_count(archive.len())?;
    let index = archive
        .index_for_name(ACCOUNTS_FILE)
        .ok_or_else(|| zip_error("the archive has no Accounts.txt"))?;
    let encrypted = archive
        .by_index_raw(index)
        .map(|f| f.encrypted())
        .map_err(|_| zip_error("Accounts.txt cannot be read"))?;
    let mut file = match (encrypted, password) {
        (false, _) => archive.by_index(index),
        (true, None) => return Err(ImportError::PasswordRequired),
        (true, Some(password)) => archive.by_index_decrypt(index, password),
    }
    .map_err(|error| match error {
        zip::result::ZipError::InvalidPassword => ImportError::WrongPassword,
        zip::result::ZipError::UnsupportedArchive(_) => ImportError::Unsupported {
            format: FORMAT,
            what: "this zip compression or encryption method",
        },
        _ => zip_error("Accounts.txt cannot be read"),
    })?;
    if file.size() > MAX_INPUT_LEN as u64 {
        return Err(ImportError::TooLarge {
            size: file.size(),
            limit: MAX_INPUT_LEN as u64,
        });
    }
    let mut text = Zeroizing::new(Vec::new());
    let read = (&mut file)
        .take(MAX_INPUT_LEN as u64 + 1)
        .read_to_end(&mut text);
    match read {
        Ok(_) if text.len() > MAX_INPUT_LEN => Err(ImportError::TooLarge {
            size: text.len() as u64,
            limit: MAX_INPUT_LEN as u64,
        }),
        Ok(_) => super::text::parse(super::text(&text, FORMAT)?, FORMAT, now),
        // The CRC-32 at the end is what catches a wrong password that passed the one-byte check.
        Err(_) if encrypted => Err(ImportError::WrongPassword),
        Err(_) => Err(zip_error("Accounts.txt is damaged")),
    }
}
