//! Microsoft Authenticator's `PhoneFactor` SQLite database, copied off a rooted
//! Android phone (`/data/data/com.azure.authenticator/databases/`).
//!
//! The database is in WAL mode, so recent rows may live only in `PhoneFactor-wal`.
//! [`parse_microsoft_authenticator`] copies the database with its `-wal` file
//! into a private temporary directory and opens the copy read-only: the source
//! files are never touched.
//!
//! Row kinds (`account_type`): 0 is a third-party TOTP account (base32 secret,
//! SHA1/6/30); 1 is a Microsoft personal account (base64 secret, SHA1/8/30);
//! 2 is a work/school (Entra ID) account: those that show a 6-digit code keep
//! an ordinary base32 secret in `oath_secret_key` with `oath_enabled` set and
//! import as SHA1/6/30 (reported for android-otp-extractor, PR 29 and issue 49),
//! the push-only ones have no secret. Whatever cannot generate codes elsewhere
//! is reported as skipped, never dropped silently.

use std::path::Path;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use super::registry::{Confidence, Spec};
use super::{Format, ImportError, Imported, Skipped, sqlite};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::MicrosoftAuthenticator;

pub(crate) const SPEC: Spec = Spec {
    name: "microsoft",
    aliases: &["microsoft-authenticator", "ms", "ms-authenticator", "phonefactor"],
    display_name: "Microsoft Authenticator",
    source: "`PhoneFactor` SQLite database (rooted Android), with its `-wal` file",
    fixtures: "microsoft",
    detect: |probe| {
        if !probe.bytes().starts_with(sqlite::MAGIC) {
            return None;
        }
        // Any database nothing else claims is tried as this one, to say what it lacks.
        let ours = probe.sqlite_schema().is_some_and(|schema| {
            sqlite::has_table(schema, "accounts", &["oath_secret_key", "account_type"])
        });
        Some(if ours { Confidence::Certain } else { Confidence::Fallback })
    },
    parse: |bytes, _, now| parse_bytes(bytes, now),
    read_path: Some(|path, _, now| parse_microsoft_authenticator_at(path, now)),
    authenticated: false,
};

/// The reason given for accounts whose secret the app keeps encrypted with a
/// key from the phone's keystore.
pub const ENCRYPTED_REASON: &str = "the secret is encrypted with a key that never leaves the phone: cannot be moved, re-enrol this account";

/// The reason given for work/school and other push-only accounts.
pub const PUSH_ONLY_REASON: &str =
    "push-only work/school account: cannot be moved, re-enrol this account";

/// Reads a `PhoneFactor` database (and its `-wal` file, when present)
/// without modifying them. `now` is not needed: imported accounts are stamped 0
/// by this entry point; use [`parse_microsoft_authenticator_at`] to set it.
pub fn parse_microsoft_authenticator(path: &Path) -> Result<Imported, ImportError> {
    parse_microsoft_authenticator_at(path, 0)
}

/// Like [`parse_microsoft_authenticator`], stamping the accounts with `now`.
pub fn parse_microsoft_authenticator_at(path: &Path, now: i64) -> Result<Imported, ImportError> {
    read_database(&sqlite::open_path(path, FORMAT)?, now).map(Imported::screened)
}

/// Reads the database from the bytes of the main file alone (rows still in a
/// `-wal` file are missed).
pub(crate) fn parse_bytes(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    read_database(&sqlite::open_bytes(bytes, FORMAT)?, now)
}

fn db_error(source: rusqlite::Error) -> ImportError {
    ImportError::Database {
        format: FORMAT,
        source,
    }
}

fn read_database(db: &sqlite::Database, now: i64) -> Result<Imported, ImportError> {
    let columns = db.columns("accounts").map_err(db_error)?;
    if columns.is_empty() {
        return Err(ImportError::malformed(
            FORMAT,
            "no 'accounts' table: this is not a Microsoft Authenticator database",
        ));
    }
    let has = |name: &str| columns.iter().any(|c| c == name);
    for required in ["name", "username", "oath_secret_key", "account_type"] {
        if !has(required) {
            return Err(ImportError::malformed(
                FORMAT,
                format!("the 'accounts' table has no '{required}' column"),
            ));
        }
    }
    // Newer app versions may keep the secret only in `encrypted_oath_secret_key`,
    // wrapped by a key that never leaves the phone's keystore.
    let optional = |name: &'static str| if has(name) { name } else { "NULL" };
    let encrypted = optional("encrypted_oath_secret_key");
    let oath_enabled = optional("oath_enabled");
    let order = if has("ux_position") {
        "ux_position, _id"
    } else {
        "_id"
    };
    let mut statement = db
        .connection()
        .prepare(&format!(
            "SELECT name, username, oath_secret_key, account_type, {encrypted}, {oath_enabled} \
             FROM accounts ORDER BY {order} LIMIT ?1"
        ))
        .map_err(db_error)?;
    let limit = i64::try_from(super::MAX_ENTRIES + 1).unwrap_or(i64::MAX);
    let mut rows = statement.query([limit]).map_err(db_error)?;
    let mut imported = Imported::default();
    let mut count = 0usize;
    while let Some(row) = rows.next().map_err(db_error)? {
        count += 1;
        super::check_count(count)?;
        let issuer = sqlite::text(row, 0);
        let name = sqlite::text(row, 1);
        let secret = Zeroizing::new(sqlite::text(row, 2));
        let account = Row {
            issuer: &issuer,
            name: &name,
            secret: &secret,
            account_type: sqlite::int(row, 3).unwrap_or(-1),
            only_encrypted: secret.trim().is_empty() && !sqlite::text(row, 4).is_empty(),
            oath_enabled: sqlite::int(row, 5).is_none_or(|v| v != 0),
        };
        imported.push(to_account(&account, now));
    }
    Ok(imported)
}

/// What one row of `accounts` says.
struct Row<'a> {
    issuer: &'a str,
    name: &'a str,
    secret: &'a str,
    account_type: i64,
    /// No secret in clear, but one wrapped by the phone's keystore.
    only_encrypted: bool,
    /// `oath_enabled` (true when the column is missing).
    oath_enabled: bool,
}

fn to_account(row: &Row<'_>, now: i64) -> Result<Account, Skipped> {
    let skip = |reason: String| Skipped::new(row.issuer, row.name, reason);
    let no_secret =
        || skip("no usable secret in the database: cannot be moved, re-enrol this account".into());
    let base32 = || {
        if row.secret.trim().is_empty() {
            return Err(no_secret());
        }
        Secret::from_base32(row.secret).map_err(|e| skip(e.to_string()))
    };
    let (secret, digits) = match row.account_type {
        0 | 1 if row.only_encrypted => return Err(skip(ENCRYPTED_REASON.into())),
        0 => (base32()?, 6),
        1 => {
            let cleaned: Zeroizing<String> =
                Zeroizing::new(row.secret.chars().filter(|c| !c.is_whitespace()).collect());
            if cleaned.is_empty() {
                return Err(no_secret());
            }
            let engine = GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                GeneralPurposeConfig::new()
                    .with_decode_padding_mode(DecodePaddingMode::Indifferent),
            );
            let bytes = engine
                .decode(cleaned.as_bytes())
                .map_err(|_| skip("the Microsoft account secret is not valid base64".into()))?;
            (
                Secret::from_bytes(bytes).map_err(|e| skip(e.to_string()))?,
                8,
            )
        }
        // Work/school (Entra ID) accounts that show a 6-digit code keep an
        // ordinary base32 TOTP secret beside their push registration; the
        // push-only ones have none.
        2 if row.oath_enabled && !row.secret.trim().is_empty() => (base32()?, 6),
        _ => return Err(skip(PUSH_ONLY_REASON.into())),
    };
    Account::new(
        row.issuer,
        row.name,
        secret,
        Kind::DEFAULT_TOTP,
        Algorithm::Sha1,
        digits,
        now,
    )
    .map_err(|e| skip(e.to_string()))
}
