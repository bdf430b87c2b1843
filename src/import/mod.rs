//! Importers for other authenticator apps' export files.
//!
//! Every importer takes the file's bytes (never a path, except Microsoft
//! Authenticator's SQLite database, which needs its `-wal` companion) and turns
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

pub mod aegis;
pub mod android_prefs;
pub mod authenticator_plus;
pub mod authenticator_pro;
pub mod battle_net;
pub mod bitwarden;
mod crypto;
pub mod duo;
pub mod ente;
pub mod free_otp_plus;
pub mod google_migration;
pub mod microsoft_authenticator;
pub mod pdf;
pub mod proton;
pub mod session;
pub mod steam;
pub mod text;
pub mod totp_authenticator;
pub mod two_fas;

pub mod and_otp;

pub use google_migration::BatchInfo;
pub use microsoft_authenticator::parse_microsoft_authenticator;

/// Largest input file accepted, in bytes (64 MiB).
pub const MAX_INPUT_LEN: usize = 64 * 1024 * 1024;
/// Largest number of entries read from one file.
pub const MAX_ENTRIES: usize = 10_000;

/// The source apps and file formats keyfob can import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Google Authenticator "Transfer accounts": `otpauth-migration://offline?data=…`
    /// lines (the text of the QR codes).
    GoogleMigration,
    /// Microsoft Authenticator's `PhoneFactor` SQLite database (rooted Android).
    MicrosoftAuthenticator,
    /// Aegis vault export, plain or password-encrypted (`aegis-export*.json`).
    Aegis,
    /// 2FAS backup (`*.2fas`), plain or encrypted.
    TwoFas,
    /// andOTP backup: plain JSON, or encrypted `.json.aes` (new and old scheme).
    AndOtp,
    /// Bitwarden unencrypted JSON export (items with a TOTP field).
    Bitwarden,
    /// Bitwarden CSV export (`login_totp` column).
    BitwardenCsv,
    /// FreeOTP+ JSON export (`{"tokens": […]}`).
    FreeOtpPlus,
    /// Ente Auth plain-text export (otpauth URIs with `codeDisplay`).
    Ente,
    /// Proton Authenticator JSON export, plain or password-protected.
    Proton,
    /// Authenticator Pro / Stratum backup, plain JSON or encrypted.
    AuthenticatorPro,
    /// Plain text with one `otpauth://` URI per line (WinAuth, Aegis URI export, …).
    OtpauthList,
    /// Steam Guard: the Steam app's `Steamguard-<id>` file, Steam Desktop
    /// Authenticator `.maFile`s (plain or encrypted) and their `manifest.json`.
    Steam,
    /// Battle.net Authenticator preferences XML (rooted Android).
    BattleNet,
    /// Duo Mobile `accounts.json` (rooted Android).
    Duo,
    /// TOTP Authenticator: encrypted `.bin` backup or internal preferences XML.
    TotpAuthenticator,
    /// Authenticator Plus `.zip` backup (ZipCrypto) holding `Accounts.txt`.
    AuthenticatorPlus,
}

impl Format {
    /// Every format, in the order shown to users.
    pub const ALL: [Format; 17] = [
        Format::GoogleMigration,
        Format::MicrosoftAuthenticator,
        Format::Aegis,
        Format::TwoFas,
        Format::AndOtp,
        Format::Bitwarden,
        Format::BitwardenCsv,
        Format::FreeOtpPlus,
        Format::Ente,
        Format::Proton,
        Format::AuthenticatorPro,
        Format::OtpauthList,
        Format::Steam,
        Format::BattleNet,
        Format::Duo,
        Format::TotpAuthenticator,
        Format::AuthenticatorPlus,
    ];

    /// The name used with `--from NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Format::GoogleMigration => "google",
            Format::MicrosoftAuthenticator => "microsoft",
            Format::Aegis => "aegis",
            Format::TwoFas => "2fas",
            Format::AndOtp => "andotp",
            Format::Bitwarden => "bitwarden",
            Format::BitwardenCsv => "bitwarden-csv",
            Format::FreeOtpPlus => "freeotp-plus",
            Format::Ente => "ente",
            Format::Proton => "proton",
            Format::AuthenticatorPro => "authenticator-pro",
            Format::OtpauthList => "otpauth",
            Format::Steam => "steam",
            Format::BattleNet => "battle-net",
            Format::Duo => "duo",
            Format::TotpAuthenticator => "totp-authenticator",
            Format::AuthenticatorPlus => "authenticator-plus",
        }
    }

    /// The app's name as people know it.
    pub fn display_name(self) -> &'static str {
        match self {
            Format::GoogleMigration => "Google Authenticator",
            Format::MicrosoftAuthenticator => "Microsoft Authenticator",
            Format::Aegis => "Aegis",
            Format::TwoFas => "2FAS",
            Format::AndOtp => "andOTP",
            Format::Bitwarden => "Bitwarden (JSON)",
            Format::BitwardenCsv => "Bitwarden (CSV)",
            Format::FreeOtpPlus => "FreeOTP+",
            Format::Ente => "Ente Auth",
            Format::Proton => "Proton Authenticator",
            Format::AuthenticatorPro => "Authenticator Pro",
            Format::OtpauthList => "otpauth URI list",
            Format::Steam => "Steam Guard",
            Format::BattleNet => "Battle.net Authenticator",
            Format::Duo => "Duo Mobile",
            Format::TotpAuthenticator => "TOTP Authenticator",
            Format::AuthenticatorPlus => "Authenticator Plus",
        }
    }

    /// Parses a `--from` name: the canonical [`name`](Self::name) or a common alias,
    /// case-insensitive (`google-authenticator`, `ms`, `two-fas`, `stratum`, `winauth`, `uri`, …).
    pub fn from_name(text: &str) -> Option<Format> {
        let key: String = text
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' ' | '+'))
            .collect();
        let format = match key.as_str() {
            "google" | "googleauthenticator" | "googlemigration" | "otpauthmigration" => {
                Format::GoogleMigration
            }
            "microsoft" | "microsoftauthenticator" | "ms" | "msauthenticator" | "phonefactor" => {
                Format::MicrosoftAuthenticator
            }
            "aegis" => Format::Aegis,
            "2fas" | "twofas" => Format::TwoFas,
            "andotp" => Format::AndOtp,
            "bitwarden" | "bitwardenjson" => Format::Bitwarden,
            "bitwardencsv" => Format::BitwardenCsv,
            "freeotpplus" | "freeotp" => Format::FreeOtpPlus,
            "ente" | "enteauth" => Format::Ente,
            "proton" | "protonauthenticator" => Format::Proton,
            "authenticatorpro" | "stratum" => Format::AuthenticatorPro,
            "otpauth" | "uri" | "uris" | "text" | "txt" | "winauth" | "otpauthlist" => {
                Format::OtpauthList
            }
            "steam" | "steamguard" | "sda" | "steamdesktopauthenticator" | "mafile" => Format::Steam,
            "battlenet" | "blizzard" => Format::BattleNet,
            "duo" | "duomobile" => Format::Duo,
            "totpauthenticator" => Format::TotpAuthenticator,
            "authenticatorplus" | "authplus" => Format::AuthenticatorPlus,
            _ => return None,
        };
        Some(format)
    }

    /// The canonical names, for help text and error messages.
    pub fn names() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
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
/// (e.g. an encrypted andOTP file has no header at all). Returns `None` when
/// nothing matches. A SQLite header means Microsoft Authenticator: call
/// [`parse_microsoft_authenticator`] with the path so its `-wal` file is read too.
pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Option<Format> {
    let lower_name = file_name.map(str::to_ascii_lowercase).unwrap_or_default();
    if bytes.starts_with(b"SQLite format 3\0") {
        return Some(Format::MicrosoftAuthenticator);
    }
    if authenticator_plus::looks_like_backup(bytes) {
        return Some(Format::AuthenticatorPlus);
    }
    if bytes.starts_with(authenticator_pro::MAGIC)
        || bytes.starts_with(authenticator_pro::LEGACY_MAGIC)
    {
        return Some(Format::AuthenticatorPro);
    }
    let text = std::str::from_utf8(bytes)
        .ok()
        .map(|t| t.trim_start_matches('\u{feff}'));
    if let Some(text) = text {
        let trimmed = text.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && json_size_ok(trimmed)
            && let Ok(value) = serde_json::from_str::<Value>(trimmed)
        {
            return detect_json(&value, &lower_name);
        }
        if let Some(format) = detect_text(text) {
            return Some(format);
        }
        if battle_net::looks_like_prefs(text) {
            return Some(Format::BattleNet);
        }
        if totp_authenticator::looks_like_prefs(text) {
            return Some(Format::TotpAuthenticator);
        }
        if totp_authenticator::looks_like_backup(bytes, &lower_name) {
            return Some(Format::TotpAuthenticator);
        }
        // An encrypted Steam Desktop Authenticator file is base64 text; its name tells.
        if steam::is_mafile_name(&lower_name) {
            return Some(Format::Steam);
        }
        // andOTP's PGP backups (`otp_accounts.json.gpg`): recognised so the user
        // is told to decrypt them with gpg first.
        if trimmed.starts_with("-----BEGIN PGP MESSAGE-----") && lower_name.contains("otp") {
            return Some(Format::AndOtp);
        }
        if !text.trim().is_empty() && !text.contains('\0') {
            return None;
        }
    }
    if and_otp::looks_encrypted(bytes) || lower_name.ends_with(".aes") {
        return Some(Format::AndOtp);
    }
    None
}

fn detect_json(value: &Value, lower_name: &str) -> Option<Format> {
    match value {
        Value::Object(map) => {
            if steam::is_steam(value) {
                Some(Format::Steam)
            } else if map.contains_key("header") && map.contains_key("db") {
                Some(Format::Aegis)
            } else if map.contains_key("schemaVersion")
                && (map.contains_key("services") || map.contains_key("servicesEncrypted"))
            {
                Some(Format::TwoFas)
            } else if map.contains_key("items")
                || (map.contains_key("encrypted")
                    && map.contains_key("encKeyValidation_DO_NOT_EDIT"))
            {
                Some(Format::Bitwarden)
            } else if map.contains_key("tokens") {
                Some(Format::FreeOtpPlus)
            } else if map.contains_key("Authenticators") {
                Some(Format::AuthenticatorPro)
            } else if ente::is_encrypted(value) {
                Some(Format::Ente)
            } else if proton::is_encrypted(value) {
                Some(Format::Proton)
            } else if map.contains_key("entries") {
                let proton = map
                    .get("entries")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.iter().all(|x| x.get("content").is_some()));
                proton.then_some(Format::Proton)
            } else {
                None
            }
        }
        Value::Array(_) if duo::is_duo(value) => Some(Format::Duo),
        Value::Array(items) => {
            let and_otp = items.iter().all(|item| {
                item.get("secret").is_some()
                    && (item.get("type").is_some() || item.get("label").is_some())
            });
            if and_otp && (!items.is_empty() || lower_name.contains("otp")) {
                Some(Format::AndOtp)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn detect_text(text: &str) -> Option<Format> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    if first.contains("login_totp") {
        return Some(Format::BitwardenCsv);
    }
    let uris = || {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(1000)
    };
    let starts = |line: &str, prefix: &str| {
        line.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    if uris().any(|l| starts(l, "otpauth-migration://")) {
        return Some(Format::GoogleMigration);
    }
    if uris().any(|l| starts(l, "otpauth://")) {
        if uris().any(|l| l.contains("codeDisplay=")) {
            return Some(Format::Ente);
        }
        return Some(Format::OtpauthList);
    }
    None
}

/// Parses `bytes` as `format`. `password` is used by encrypted sources; without
/// it they return [`ImportError::PasswordRequired`]. `now` stamps the accounts.
///
/// For [`Format::MicrosoftAuthenticator`] the bytes are the main database file
/// only (rows still in a `-wal` file are missed); prefer
/// [`parse_microsoft_authenticator`] with the path.
pub fn parse(
    bytes: &[u8],
    format: Format,
    password: Option<&[u8]>,
    now: i64,
) -> Result<Imported, ImportError> {
    check_size(bytes.len() as u64)?;
    let imported = match format {
        Format::GoogleMigration => google_migration::parse_text(text(bytes, format)?, now),
        Format::MicrosoftAuthenticator => microsoft_authenticator::parse_bytes(bytes, now),
        Format::Aegis => aegis::parse(bytes, password, now),
        Format::TwoFas => two_fas::parse(bytes, password, now),
        Format::AndOtp => and_otp::parse(bytes, password, now),
        Format::Bitwarden => bitwarden::parse_json(bytes, now),
        Format::BitwardenCsv => bitwarden::parse_csv(bytes, now),
        Format::FreeOtpPlus => free_otp_plus::parse(bytes, now),
        Format::Ente if bytes.trim_ascii_start().starts_with(b"{") => {
            ente::parse_encrypted(&json(bytes, format)?, password, now)
        }
        Format::Ente | Format::OtpauthList => text::parse(text(bytes, format)?, format, now),
        Format::Proton => proton::parse(bytes, password, now),
        Format::AuthenticatorPro => authenticator_pro::parse(bytes, password, now),
        Format::Steam => steam::parse(bytes, password, now),
        Format::BattleNet => battle_net::parse(bytes, now),
        Format::Duo => duo::parse(bytes, now),
        Format::TotpAuthenticator => totp_authenticator::parse(bytes, password, now),
        Format::AuthenticatorPlus => authenticator_plus::parse(bytes, password, now),
    }?;
    Ok(imported.screened())
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
fn json_size_ok(text: &str) -> bool {
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
