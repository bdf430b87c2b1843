//! Exports: turning accounts into something that lives outside the vault.
//!
//! Each target has its own file and writes into an `impl Write` or returns
//! bytes: a printable paper sheet ([`paper`]), plain otpauth URIs
//! ([`write_uris`]), a plain Aegis vault ([`aegis`]), Google Authenticator
//! migration QR codes ([`google_qr`], drawn by [`png`]) and age backups of the
//! vault document. [`ExportFormat`] lists them; [`write`] makes any of them and
//! [`Export::save`] puts it on disk, for the CLI and the terminal UI alike.
//! Asking for input and wording the result are the front ends' business.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use std::path::PathBuf;

use crate::account::Account;
use crate::uri;
use crate::vault::VaultError;
use crate::vault::paths::PathError;

pub mod aegis;
pub mod google_qr;
mod job;
pub mod paper;
pub mod png;

pub use job::{Export, ExportOptions, Output, write};
pub use paper::{PaperOptions, PaperSize, sheet_fingerprint, write_paper_sheet};
pub use png::qr_png;

/// The bundled monospace font (DejaVu Sans Mono), used wherever a secret is
/// shown so that `0`/`O` and `1`/`l`/`I` cannot be mixed up.
pub(crate) const MONO_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");
/// The bold face of the bundled monospace font, for headings.
pub(crate) const MONO_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono-Bold.ttf");

/// Errors while exporting. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Writing the output failed.
    #[error("could not write the export")]
    Io(#[from] std::io::Error),
    /// An export format name keyfob does not know.
    #[error("unknown export format '{}' (keyfob supports paper, age, uris, google-qr and aegis)", crate::text::Escaped(.0))]
    UnknownFormat(String),
    /// There is nothing to export.
    #[error("there are no accounts to export")]
    NoAccounts,
    /// More accounts than one export can hold.
    #[error("too many accounts to export at once ('{count}', at most '{max}')")]
    TooManyAccounts {
        /// How many accounts were given.
        count: usize,
        /// The limit for this format.
        max: usize,
    },
    /// The text does not fit in a QR code.
    #[error("the text is too long for a QR code ('{0}' bytes)")]
    QrTooLong(usize),
    /// The bundled font could not be read (a build problem, not a user error).
    #[error("the bundled font could not be loaded")]
    Font,
    /// The PDF library refused the document.
    #[error("could not create the PDF: {0}")]
    Pdf(&'static str),
    /// PNG encoding failed.
    #[error("could not encode the PNG image")]
    Png(#[from] ::png::EncodingError),
    /// Encrypting an age backup failed, or a recipient is not valid.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// An age backup was asked for without a passphrase or recipients.
    #[error("an age backup needs a passphrase or at least one recipient")]
    NoBackupTarget,
    /// None of the accounts fits Google Authenticator's format.
    #[error("none of the selected accounts can be represented as a Google Authenticator export")]
    NotRepresentable {
        /// Every account, each with the reason it cannot be represented.
        skipped: Vec<crate::import::Skipped>,
    },
    /// keyfob may not write at this path.
    #[error(transparent)]
    Path(#[from] PathError),
    /// Google QR codes go into a directory, and this path is something else.
    #[error("'{}' is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// The directory for the images could not be created.
    #[error("could not create the directory '{}'", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing a file of the export failed (nothing partial is left).
    #[error("could not write '{}'", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The formats `keyfob export` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFormat {
    /// A printable PDF sheet with a QR code and the grouped secret per account.
    Paper,
    /// An age-encrypted copy of the vault.
    Age,
    /// Plain otpauth URIs, one per line (unencrypted).
    Uris,
    /// Google Authenticator migration QR codes (`otpauth-migration://`), as PNG images.
    GoogleQr,
    /// An Aegis JSON export.
    Aegis,
}

impl ExportFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::Paper,
        ExportFormat::Age,
        ExportFormat::Uris,
        ExportFormat::GoogleQr,
        ExportFormat::Aegis,
    ];

    /// The canonical name, as accepted by [`ExportFormat::parse`]: `paper`,
    /// `age`, `uris`, `google-qr` or `aegis`.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Paper => "paper",
            ExportFormat::Age => "age",
            ExportFormat::Uris => "uris",
            ExportFormat::GoogleQr => "google-qr",
            ExportFormat::Aegis => "aegis",
        }
    }

    /// Parses a format name, ignoring case and accepting a few aliases
    /// (`pdf`, `uri`, `otpauth`, `txt`, `google`, `google_qr`, `googleqr`, `migration`).
    pub fn parse(text: &str) -> Result<Self, ExportError> {
        let lower = text.trim().to_ascii_lowercase().replace('_', "-");
        match lower.as_str() {
            "paper" | "pdf" => Ok(ExportFormat::Paper),
            "age" => Ok(ExportFormat::Age),
            "uris" | "uri" | "otpauth" | "txt" => Ok(ExportFormat::Uris),
            "google-qr" | "googleqr" | "google" | "migration" => Ok(ExportFormat::GoogleQr),
            "aegis" => Ok(ExportFormat::Aegis),
            _ => Err(ExportError::UnknownFormat(text.chars().take(32).collect())),
        }
    }
}

impl ExportFormat {
    /// Whether the export holds the secrets unencrypted (every format but age).
    pub fn is_plaintext(self) -> bool {
        self != ExportFormat::Age
    }

    /// The warning for a plaintext file export, as the CLI and the terminal UI
    /// show it after the file's name; `None` for age backups and paper sheets
    /// (whose advice is to print and check them).
    pub fn plaintext_warning(self) -> Option<&'static str> {
        match self {
            ExportFormat::Uris => {
                Some("holds your secrets in plain text; delete it once it has served")
            }
            ExportFormat::Aegis => Some("unencrypted: import it in Aegis, then delete it"),
            ExportFormat::GoogleQr => {
                Some("the images hold your secrets in plain text; delete them once scanned")
            }
            ExportFormat::Paper | ExportFormat::Age => None,
        }
    }
}

impl FromStr for ExportFormat {
    type Err = ExportError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ExportFormat::parse(text)
    }
}

impl serde::Serialize for ExportFormat {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for ExportFormat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ExportFormat::parse(&name).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Writes one canonical otpauth URI per line (`\n` line ends), in the order given.
///
/// The output holds every secret in plain text.
pub fn write_uris(accounts: &[Account], out: &mut impl Write) -> Result<(), ExportError> {
    for account in accounts {
        let line = uri::format(account);
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::account::{Algorithm, Kind};
    use crate::secret::Secret;

    fn account(issuer: &str, name: &str) -> Account {
        Account::new(
            issuer,
            name,
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
            Kind::DEFAULT_TOTP,
            Algorithm::Sha1,
            6,
            0,
        )
        .unwrap()
    }

    #[test]
    fn parses_format_names() {
        for format in ExportFormat::ALL {
            assert_eq!(ExportFormat::parse(format.name()).unwrap(), format);
            assert_eq!(format.to_string().parse::<ExportFormat>().unwrap(), format);
        }
        assert_eq!(ExportFormat::parse(" PDF ").unwrap(), ExportFormat::Paper);
        assert_eq!(
            ExportFormat::parse("Google_QR").unwrap(),
            ExportFormat::GoogleQr
        );
        assert_eq!(ExportFormat::parse("otpauth").unwrap(), ExportFormat::Uris);
        let err = ExportFormat::parse("csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown export format 'csv' (keyfob supports paper, age, uris, google-qr and aegis)"
        );
    }

    #[test]
    fn writes_one_uri_per_line() {
        let accounts = [
            account("GitHub", "alice"),
            account("Example Co", "bob@x.org"),
        ];
        let mut out = Vec::new();
        write_uris(&accounts, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(text.ends_with('\n'));
        for (line, account) in lines.iter().zip(&accounts) {
            assert_eq!(*line, uri::format(account).as_str());
            let back = uri::parse(line, 0).unwrap();
            assert!(back.same_token(account));
            assert_eq!(back.issuer, account.issuer);
            assert_eq!(back.name, account.name);
        }
    }
}
