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
//! anything else (work/school push accounts) cannot generate codes elsewhere and
//! is reported as skipped, never dropped silently.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

use super::registry::{Confidence, Spec};
use super::{Format, ImportError, Imported, Skipped};
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
        probe
            .bytes()
            .starts_with(b"SQLite format 3\0")
            .then_some(Confidence::Certain)
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
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Io { path, source }
    };
    let size = std::fs::metadata(path).map_err(io(path))?.len();
    super::check_size(size)?;
    let dir = tempfile::tempdir().map_err(io(Path::new("temporary directory")))?;
    let copy = dir.path().join("PhoneFactor");
    std::fs::copy(path, &copy).map_err(io(path))?;
    // Only the write-ahead log is copied: without a `-shm` index SQLite rebuilds
    // it from the log, so every committed row is seen even if the index was
    // copied off the phone at a different moment than the log.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    if wal.is_file() {
        let size = std::fs::metadata(&wal).map_err(io(&wal))?.len();
        super::check_size(size)?;
        std::fs::copy(&wal, dir.path().join("PhoneFactor-wal")).map_err(io(&wal))?;
    }
    read_database(&copy, now).map(Imported::screened)
}

/// Reads the database from the bytes of the main file alone (rows still in a
/// `-wal` file are missed).
pub(crate) fn parse_bytes(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let io = |source| ImportError::Io {
        path: PathBuf::from("temporary directory"),
        source,
    };
    let dir = tempfile::tempdir().map_err(io)?;
    let copy = dir.path().join("PhoneFactor");
    std::fs::write(&copy, bytes).map_err(io)?;
    read_database(&copy, now)
}

fn db_error(source: rusqlite::Error) -> ImportError {
    ImportError::Database {
        format: FORMAT,
        source,
    }
}

fn read_database(path: &Path, now: i64) -> Result<Imported, ImportError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db_error)?;
    let has_accounts: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'accounts'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map_err(db_error)?
        > 0;
    if !has_accounts {
        return Err(ImportError::malformed(
            FORMAT,
            "no 'accounts' table: this is not a Microsoft Authenticator database",
        ));
    }
    let columns = table_columns(&conn)?;
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
    let encrypted = if has("encrypted_oath_secret_key") {
        "encrypted_oath_secret_key"
    } else {
        "NULL"
    };
    let order = if has("ux_position") {
        "ux_position, _id"
    } else {
        "_id"
    };
    let mut statement = conn
        .prepare(&format!(
            "SELECT name, username, oath_secret_key, account_type, {encrypted} \
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
        let text = |i: usize| -> String {
            match row.get_ref(i) {
                Ok(rusqlite::types::ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
                _ => String::new(),
            }
        };
        let issuer = text(0);
        let name = text(1);
        let secret = Zeroizing::new(text(2));
        let account_type = match row.get_ref(3) {
            Ok(rusqlite::types::ValueRef::Integer(i)) => i,
            _ => -1,
        };
        let only_encrypted = secret.trim().is_empty()
            && matches!(account_type, 0 | 1)
            && matches!(row.get_ref(4), Ok(rusqlite::types::ValueRef::Text(t)) if !t.is_empty());
        if only_encrypted {
            imported
                .skipped
                .push(Skipped::new(&issuer, &name, ENCRYPTED_REASON));
            continue;
        }
        match to_account(&issuer, &name, &secret, account_type, now) {
            Ok(account) => imported.accounts.push(account),
            Err(skipped) => imported.skipped.push(skipped),
        }
    }
    Ok(imported)
}

/// The column names of the `accounts` table.
fn table_columns(conn: &Connection) -> Result<Vec<String>, ImportError> {
    let mut statement = conn
        .prepare("SELECT name FROM pragma_table_info('accounts') LIMIT 1000")
        .map_err(db_error)?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(db_error)?
        .collect::<Result<Vec<String>, _>>()
        .map_err(db_error)?;
    Ok(names)
}

fn to_account(
    issuer: &str,
    name: &str,
    secret: &str,
    account_type: i64,
    now: i64,
) -> Result<Account, Skipped> {
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    let no_secret =
        || skip("no usable secret in the database: cannot be moved, re-enrol this account".into());
    let (secret, digits) = match account_type {
        0 => {
            if secret.trim().is_empty() {
                return Err(no_secret());
            }
            (
                Secret::from_base32(secret).map_err(|e| skip(e.to_string()))?,
                6,
            )
        }
        1 => {
            let cleaned: Zeroizing<String> =
                Zeroizing::new(secret.chars().filter(|c| !c.is_whitespace()).collect());
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
        _ => return Err(skip(PUSH_ONLY_REASON.into())),
    };
    Account::new(
        issuer,
        name,
        secret,
        Kind::DEFAULT_TOTP,
        Algorithm::Sha1,
        digits,
        now,
    )
    .map_err(|e| skip(e.to_string()))
}
