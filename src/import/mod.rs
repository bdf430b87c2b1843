//! Importers for other authenticator apps' export files.
//!
//! One file per format, each declaring itself in one [`Spec`] value; the
//! `formats!` list below names them all (see [`registry`]), and [`Format`],
//! [`detect`] and [`parse`] are derived from it. The loop over a file's entries
//! and the mapping of entry types to [`Kind`](crate::account::Kind) are shared
//! (`entry.rs`).
//!
//! Every importer takes the file's bytes (an SQLite database can also be read
//! from its path, with its `-wal` companion: [`read_path`]) and turns
//! them into [`Account`]s. Entries keyfob cannot represent, or that are broken,
//! become [`Skipped`] records with a reason, and the rest still import; only a
//! problem with the file as a whole is an [`ImportError`].
//!
//! Encrypted sources return [`ImportError::PasswordRequired`] when called without
//! a password: the CLI or TUI asks the user and calls again. Nothing here prompts,
//! prints or reads the clock: `now` (unix seconds) stamps the new accounts.
//!
//! All parsers are bounded: inputs over [`MAX_INPUT_LEN`] are refused, entry
//! counts are capped at [`MAX_ENTRIES`] and key-derivation parameters read from a
//! file are checked against fixed limits before any work is done.

use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

use crate::account::Account;

pub mod android_prefs;
mod crypto;
mod entry;
pub mod pdf;
pub mod registry;
pub mod session;
pub mod sqlite;

pub use google_migration::BatchInfo;
pub use microsoft_authenticator::parse_microsoft_authenticator;
pub use registry::{Confidence, Probe, Spec};

/// Largest input file accepted, in bytes (64 MiB).
pub const MAX_INPUT_LEN: usize = 64 * 1024 * 1024;
/// Largest number of entries read from one file.
pub const MAX_ENTRIES: usize = 10_000;

// The list of formats: one line per format, in the order shown to users. The
// module holds the format's `SPEC`; see `registry`.
registry::formats! {
    GoogleMigration => google_migration,
    GoogleAuthenticatorDb => google_authenticator_db,
    MicrosoftAuthenticator => microsoft_authenticator,
    Aegis => aegis,
    TwoFas => two_fas,
    AndOtp => and_otp,
    Authy => authy,
    Bitwarden => bitwarden,
    BitwardenCsv => bitwarden_csv,
    FreeOtpPlus => free_otp_plus,
    FreeOtp => free_otp,
    FreeOtpBackup => free_otp_backup,
    Ente => ente,
    Proton => proton,
    AuthenticatorPro => authenticator_pro,
    Steam => steam,
    BattleNet => battle_net,
    Duo => duo,
    TotpAuthenticator => totp_authenticator,
    AuthenticatorPlus => authenticator_plus,
    StratumDb => stratum_db,
    OtpauthList => text,
}

impl Format {
    /// The name used with `--from NAME`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The app's name as people know it.
    pub fn display_name(self) -> &'static str {
        self.spec().display_name
    }

    /// Parses a `--from` name: the canonical [`name`](Self::name) or one of the
    /// format's aliases, ignoring case, `-`, `_`, spaces and `+`
    /// (`google-authenticator`, `ms`, `two-fas`, `stratum`, `winauth`, `uri`, …).
    pub fn from_name(text: &str) -> Option<Format> {
        registry::by_name(text)
    }

    /// The canonical names, for help text and error messages.
    pub fn names() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
    }

    /// The name of its fuzz target: `import_<name with '-' as '_'>`.
    pub fn fuzz_target(self) -> String {
        format!("import_{}", self.name().replace('-', "_"))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The result of reading one file.
#[derive(Debug, Default)]
pub struct Imported {
    /// Accounts read, in file order, stamped with `now`.
    pub accounts: Vec<Account>,
    /// Entries that were not imported, each with the reason.
    pub skipped: Vec<Skipped>,
    /// For Google migration payloads: the batch of the first payload read
    /// (QR code `batch_index + 1` of `batch_size`).
    pub google_batch: Option<BatchInfo>,
    /// For Google migration payloads: every payload read, in file order.
    pub google_batches: Vec<BatchInfo>,
}

/// An entry that was not imported. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry's issuer, if it could be read.
    pub issuer: String,
    /// The entry's account name, if it could be read.
    pub name: String,
    /// Why it was skipped, e.g. `mOTP is not supported`.
    pub reason: String,
}

impl Skipped {
    /// A skipped entry.
    pub fn new(issuer: &str, name: &str, reason: impl Into<String>) -> Self {
        Skipped {
            issuer: issuer.trim().chars().take(200).collect(),
            name: name.trim().chars().take(200).collect(),
            reason: reason.into(),
        }
    }

    /// `Issuer (name)`, `Issuer`, `name` or `(unnamed)`, escaped like
    /// [`Account::label`] so that it is safe to show.
    pub fn label(&self) -> String {
        use crate::text::Escaped;
        match (self.issuer.is_empty(), self.name.is_empty()) {
            (false, false) => format!("{} ({})", Escaped(&self.issuer), Escaped(&self.name)),
            (false, true) => Escaped(&self.issuer).to_string(),
            (true, false) => Escaped(&self.name).to_string(),
            (true, true) => "(unnamed)".to_string(),
        }
    }
}

/// Errors that stop a whole file from importing. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file is encrypted and no password was given: ask and call again.
    #[error("the file is encrypted: a password is needed")]
    PasswordRequired,
    /// The password does not decrypt the file (or the file was altered).
    #[error("wrong password, or the encrypted file is damaged")]
    WrongPassword,
    /// The content is not any format keyfob knows.
    #[error("unrecognised file format (use --from with one of: {})", Format::names().join(", "))]
    UnsupportedFormat,
    /// A variant of a known format that keyfob cannot read.
    #[error("{format}: {what} is not supported")]
    Unsupported {
        /// The source format.
        format: Format,
        /// What is not supported, e.g. `password-protected export`.
        what: &'static str,
    },
    /// A file version newer than keyfob understands.
    #[error("{format}: unsupported file version '{version}'")]
    UnsupportedVersion {
        /// The source format.
        format: Format,
        /// The version found.
        version: i64,
    },
    /// The input is larger than [`MAX_INPUT_LEN`].
    #[error("the file is too large ({size} bytes, at most {limit})")]
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// More entries than [`MAX_ENTRIES`].
    #[error("the file has too many entries ({count}, at most {limit})")]
    TooManyEntries {
        /// Entries found (or at least this many).
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The file asks for key-derivation work or memory beyond keyfob's limits.
    #[error("{format}: key derivation parameters out of range ({})", crate::text::Escaped(.detail))]
    KdfParameters {
        /// The source format.
        format: Format,
        /// Which parameter, with its value (never secret).
        detail: String,
    },
    /// The file is damaged or not what its format says.
    #[error("{format}: malformed file: {}", crate::text::Escaped(.reason))]
    Malformed {
        /// The source format.
        format: Format,
        /// What is wrong (never contains secret values).
        reason: String,
    },
    /// Reading or copying a file failed.
    #[error("cannot read '{}'", crate::text::escape_path(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The SQLite database could not be read.
    #[error("{format}: cannot read the database")]
    Database {
        /// The source format.
        format: Format,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
}

impl ImportError {
    /// A [`ImportError::Malformed`] with a reason.
    pub(crate) fn malformed(format: Format, reason: impl Into<String>) -> Self {
        ImportError::Malformed {
            format,
            reason: reason.into(),
        }
    }

    /// Maps a JSON error to [`ImportError::Malformed`] without serde's message,
    /// which can quote file content (and so a secret).
    pub(crate) fn json(format: Format, err: &serde_json::Error) -> Self {
        let what = match err.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected JSON structure",
            serde_json::error::Category::Io => "unreadable JSON",
        };
        Self::malformed(
            format,
            format!("{what} at line {} column {}", err.line(), err.column()),
        )
    }
}

/// Guesses the format of a file from its content; `file_name` only breaks ties
/// (e.g. an encrypted andOTP file has no header at all). Every format's
/// detector looks (see [`Confidence`]); the surest wins. Returns `None` when
/// nothing matches. For a format with a [`Spec::read_path`] (an SQLite database)
/// read the path with it, so that its companion files are read too.
pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Option<Format> {
    registry::detect(&Probe::new(bytes, file_name))
}

/// Opens a file that [`detect`] does not recognise with `password`, as the
/// first format whose encrypted files have no header but authenticate their
/// ciphertext (andOTP's), or `None` when none opens it.
pub fn open_unrecognised(bytes: &[u8], password: &[u8], now: i64) -> Option<(Format, Imported)> {
    registry::open_unrecognised(bytes, password, now)
}

/// Parses `bytes` as `format`. `password` is used by encrypted sources; without
/// it they return [`ImportError::PasswordRequired`]. `now` stamps the accounts.
///
/// For a format with a [`Spec::read_path`] (an SQLite database) the bytes are
/// the main file only (rows still in a `-wal` file are missed); prefer
/// [`read_path`] with the path.
pub fn parse(
    bytes: &[u8],
    format: Format,
    password: Option<&[u8]>,
    now: i64,
) -> Result<Imported, ImportError> {
    check_size(bytes.len() as u64)?;
    let imported = (format.spec().parse)(bytes, password, now)?;
    Ok(imported.screened())
}

/// Reads the file at `path` as `format` through its [`Spec::read_path`], or
/// `None` when the format reads bytes only.
pub fn read_path(
    path: &std::path::Path,
    format: Format,
    password: Option<&[u8]>,
    now: i64,
) -> Option<Result<Imported, ImportError>> {
    let read = format.spec().read_path?;
    Some(read(path, password, now).map(Imported::screened))
}

impl Imported {
    /// Adds one converted entry: an account, or a refusal with its reason.
    pub(crate) fn push(&mut self, result: Result<Account, Skipped>) {
        match result {
            Ok(account) => self.accounts.push(account),
            Err(skipped) => self.skipped.push(skipped),
        }
    }
}

impl Imported {
    /// The same result with every account that may not enter a vault
    /// ([`Account::check_input`]: control characters in its text, an exhausted
    /// counter) moved to [`skipped`](Self::skipped) with the reason. Every
    /// importer's result passes through here, so a hostile entry costs only itself.
    pub fn screened(mut self) -> Self {
        let incoming = std::mem::take(&mut self.accounts);
        for mut account in incoming {
            // Notes written on Windows end their lines with CR LF; a bare CR stays refused.
            if account.note.contains("\r\n") {
                account.note = account.note.replace("\r\n", "\n");
            }
            match account.check_input() {
                Ok(()) => self.accounts.push(account),
                Err(error) => self.skipped.push(Skipped::new(
                    &account.issuer,
                    &account.name,
                    error.to_string(),
                )),
            }
        }
        self
    }
}

/// Refuses inputs over [`MAX_INPUT_LEN`].
pub(crate) fn check_size(size: u64) -> Result<(), ImportError> {
    if size > MAX_INPUT_LEN as u64 {
        return Err(ImportError::TooLarge {
            size,
            limit: MAX_INPUT_LEN as u64,
        });
    }
    Ok(())
}

/// Refuses more than [`MAX_ENTRIES`] entries.
pub(crate) fn check_count(count: usize) -> Result<(), ImportError> {
    if count > MAX_ENTRIES {
        return Err(ImportError::TooManyEntries {
            count,
            limit: MAX_ENTRIES,
        });
    }
    Ok(())
}

/// The bytes as UTF-8 text without a byte-order mark.
pub(crate) fn text(bytes: &[u8], format: Format) -> Result<&str, ImportError> {
    std::str::from_utf8(bytes)
        .map(|t| t.trim_start_matches('\u{feff}'))
        .map_err(|_| ImportError::malformed(format, "the file is not UTF-8 text"))
}

/// Most JSON values (counted by their separators) accepted in one file. A parsed
/// value takes far more memory than its text (`[0,0,…]` is two bytes per value
/// in the file, over thirty in memory), so the count is checked before parsing.
pub const MAX_JSON_VALUES: usize = 2_000_000;

/// True when the text has at most [`MAX_JSON_VALUES`] separators. Those inside
/// strings are counted too: an over-estimate, never an under-estimate.
pub(crate) fn json_size_ok(text: &str) -> bool {
    text.bytes()
        .filter(|b| matches!(b, b',' | b'[' | b'{' | b':'))
        .nth(MAX_JSON_VALUES)
        .is_none()
}

/// Parses JSON from bytes (BOM tolerated) with a secret-free error.
pub(crate) fn json(bytes: &[u8], format: Format) -> Result<Value, ImportError> {
    let text = text(bytes, format)?;
    if !json_size_ok(text) {
        return Err(ImportError::malformed(
            format,
            format!("too many JSON values (more than {MAX_JSON_VALUES})"),
        ));
    }
    serde_json::from_str(text).map_err(|e| ImportError::json(format, &e))
}

/// Small accessors over `serde_json::Value` that tolerate missing or null fields.
pub(crate) mod js {
    use serde_json::Value;

    /// A string field, or "" when missing, null or not a string.
    pub fn str<'a>(v: &'a Value, key: &str) -> &'a str {
        v.get(key).and_then(Value::as_str).unwrap_or("")
    }

    /// An integer field (number or numeric string), if present.
    pub fn int(v: &Value, key: &str) -> Option<i64> {
        match v.get(key)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// An array field, or an empty slice.
    pub fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
        v.get(key)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Converts a digit count read from a file to `u8`, for [`Account::new`] to validate.
pub(crate) fn digits_u8(value: i64) -> u8 {
    u8::try_from(value).unwrap_or(u8::MAX)
}

/// Converts a period read from a file to `u32` (out-of-range values fail validation).
pub(crate) fn period_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests;
