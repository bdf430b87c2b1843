//! One `keyfob import` run over many inputs: files of any supported format,
//! images of QR codes, and keyfob's own age backups.
//!
//! [`read_input`] turns one file into an [`Outcome`] (accounts, entries that could
//! not be imported, QR codes that are not OTP, Google batch positions);
//! [`dedupe`] drops accounts the vault already has; [`missing_batches`] says which
//! QR codes of a multi-part Google Authenticator export were not seen;
//! [`Preview`] runs them all as one job a front end drives.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::google_migration::{self, BatchInfo};
use super::pdf::{self, PdfError};
use super::{Format, ImportError, MAX_INPUT_LEN, Skipped};
use crate::account::Account;
use crate::bounded::{self, ReadError};
use crate::qr::{self, QrError};
use crate::uri;
use crate::vault::{self, Key};

mod run;
pub use run::{Callbacks, FileReport, NoCallbacks, PasswordRequest, Preview, read_with_password};

/// Most files visited when walking directories.
pub const MAX_FILES: usize = 10_000;

/// What kind of input a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// An image with QR codes.
    Image,
    /// An export of another app (or a text list).
    Format(Format),
    /// A keyfob age backup (or vault).
    KeyfobBackup,
    /// A PDF (keyfob's paper sheet) whose pages were scanned for QR codes.
    Pdf,
}

impl std::fmt::Display for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputKind::Image => f.write_str("image"),
            InputKind::Format(format) => f.write_str(format.display_name()),
            InputKind::KeyfobBackup => f.write_str("keyfob backup"),
            InputKind::Pdf => f.write_str("PDF"),
        }
    }
}

/// Everything read from one input.
#[derive(Debug)]
pub struct Outcome {
    /// What the input was.
    pub kind: InputKind,
    /// Accounts read.
    pub accounts: Vec<Account>,
    /// Entries that could not be imported, with reasons.
    pub skipped: Vec<Skipped>,
    /// QR codes found that are not OTP, described by kind only (never content).
    pub not_otp: Vec<&'static str>,
    /// Google export batches seen in this input.
    pub google_batches: Vec<BatchInfo>,
}

/// What unlocks an encrypted input.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Password of another app's encrypted export, or of a keyfob passphrase backup.
    pub password: Option<Zeroizing<Vec<u8>>>,
    /// Identity for keyfob backups encrypted to an age recipient.
    pub identity: Option<Key>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("identity", &self.identity)
            .finish()
    }
}

/// Errors reading one input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The other app's file failed to import.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The image could not be read or holds no QR code.
    #[error(transparent)]
    Qr(#[from] QrError),
    /// A keyfob backup could not be opened.
    /// The message includes the vault error, so it is not also the source (it would print twice).
    #[error("keyfob backup: {0}")]
    Backup(vault::VaultError),
    /// A keyfob backup encrypted to a passphrase needs it.
    #[error("the keyfob backup is encrypted: a passphrase is needed")]
    BackupPasswordRequired,
    /// A keyfob backup encrypted to age recipients needs the identity of one of them.
    #[error("the keyfob backup is encrypted to age recipients: the identity file of one is needed")]
    BackupIdentityRequired,
    /// Opening or reading the file failed, or it is larger than [`MAX_INPUT_LEN`].
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The file has no content at all (an interrupted copy or download?).
    #[error("the file is empty")]
    Empty,
    /// A PDF's pages could not be rendered.
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// A PDF was rendered, but none of its pages holds a QR code.
    #[error("no QR code found on any page of the PDF")]
    NoCodeInPdf,
    /// A directory given to walk could not be listed.
    #[error("cannot list the directory '{}'", path.display())]
    ListDirectory {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Walking the directories found more than [`MAX_FILES`] files.
    #[error("the directories hold more than {MAX_FILES} files, the most keyfob reads in one run")]
    TooManyFiles,
}

impl InputError {
    /// True when calling again with a password could succeed.
    pub fn needs_password(&self) -> bool {
        matches!(
            self,
            InputError::Import(ImportError::PasswordRequired) | InputError::BackupPasswordRequired
        )
    }

    /// True when calling again with an age identity could succeed: a keyfob
    /// backup encrypted to recipients, given none or one that does not open it.
    pub fn needs_identity(&self) -> bool {
        matches!(
            self,
            InputError::BackupIdentityRequired
                | InputError::Backup(vault::VaultError::WrongIdentity)
        )
    }

    /// True when the password given does not open the input.
    pub fn is_wrong_password(&self) -> bool {
        matches!(
            self,
            InputError::Import(ImportError::WrongPassword)
                | InputError::Backup(vault::VaultError::WrongPassphrase)
        )
    }
}

/// The files to read that [`expand_paths`] found, and what it passed over.
#[derive(Debug, Default)]
pub struct Walk {
    /// Files to read, in order.
    pub files: Vec<PathBuf>,
    /// Entries of the directories that are not read, each with the reason.
    pub passed_over: Vec<PassedOver>,
}

/// An entry of a walked directory that is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassedOver {
    /// The entry, as reached through the walk.
    pub path: PathBuf,
    /// Why it is not read.
    pub reason: PassReason,
}

/// Why a walked entry is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PassReason {
    /// Not a regular file: reading a FIFO or device found in a directory could
    /// wait forever or never end. Holds what it is, e.g. `FIFO`.
    NotRegular(&'static str),
    /// A symbolic link (or mount) leading back to a directory the walk is inside.
    Loop {
        /// The directory it leads back to.
        target: PathBuf,
    },
    /// A second way into a directory already read (its files are read once).
    SameDirectory {
        /// Where the directory was read.
        first: PathBuf,
    },
}

impl std::fmt::Display for PassedOver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "skipped '{}': ", self.path.display())?;
        match &self.reason {
            PassReason::NotRegular(what) => write!(f, "not a regular file ({what})"),
            PassReason::Loop { target } => write!(
                f,
                "symbolic link loop (it leads back to '{}')",
                target.display()
            ),
            PassReason::SameDirectory { first } => write!(
                f,
                "the same directory as '{}', read already",
                first.display()
            ),
        }
    }
}

/// What identifies a directory however it is reached: device and inode on Unix
/// (which also sees bind mounts), the resolved path elsewhere.
#[cfg(unix)]
fn directory_id(_path: &Path, metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn directory_id(path: &Path, _metadata: &std::fs::Metadata) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// What a file that is neither regular nor a directory is, for the report.
fn describe_file_type(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "FIFO";
        } else if file_type.is_socket() {
            return "socket";
        } else if file_type.is_char_device() {
            return "character device";
        } else if file_type.is_block_device() {
            return "block device";
        }
    }
    let _ = file_type;
    "special file"
}

/// Expands directories (recursively, sorted, hidden files skipped) into files.
///
/// Symbolic links are followed. Inside directories, anything but regular files
/// and directories is passed over, as are links back into a directory being
/// walked; a path named in `paths` is read whatever it is (a FIFO or
/// `/dev/stdin` given on purpose), bounded like any file.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Walk, InputError> {
    let mut walk = Walk::default();
    let mut seen = HashMap::new();
    // Each path with whether the user named it (rather than the walk finding it).
    let mut stack: Vec<(PathBuf, bool)> = paths.iter().rev().map(|p| (p.clone(), true)).collect();
    while let Some((path, named)) = stack.pop() {
        // Following links; a path that cannot be examined is listed and its
        // error reported when it is read.
        let metadata = std::fs::metadata(&path).ok();
        match metadata {
            Some(metadata) if metadata.is_dir() => {
                if let Some(id) = directory_id(&path, &metadata) {
                    if let Some(first) = seen.get(&id) {
                        let reason = if path.starts_with(first) {
                            PassReason::Loop {
                                target: PathBuf::clone(first),
                            }
                        } else {
                            PassReason::SameDirectory {
                                first: PathBuf::clone(first),
                            }
                        };
                        walk.passed_over.push(PassedOver { path, reason });
                        continue;
                    }
                    seen.insert(id, path.clone());
                }
                let list_error = |source| InputError::ListDirectory {
                    path: path.clone(),
                    source,
                };
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                    .map_err(list_error)?
                    .flatten()
                    .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .map(|e| e.path())
                    .collect();
                entries.sort();
                stack.extend(entries.into_iter().rev().map(|p| (p, false)));
            }
            Some(metadata) if !named && !metadata.is_file() => {
                walk.passed_over.push(PassedOver {
                    path,
                    reason: PassReason::NotRegular(describe_file_type(metadata.file_type())),
                });
            }
            _ => walk.files.push(path),
        }
        if walk.files.len() > MAX_FILES {
            return Err(InputError::TooManyFiles);
        }
    }
    let files = &mut walk.files;
    // `PhoneFactor-wal` and friends are read together with `PhoneFactor`: listing
    // them on their own would only report them as unrecognised files.
    let companion_of_listed = |path: &PathBuf| {
        let name = path.as_os_str().to_string_lossy();
        SQLITE_COMPANIONS.iter().any(|suffix| {
            name.strip_suffix(suffix)
                .is_some_and(|main| files.iter().any(|f| f.as_os_str() == main))
        })
    };
    let companions: Vec<bool> = files.iter().map(companion_of_listed).collect();
    let mut keep = companions.into_iter();
    files.retain(|_| !keep.next().unwrap_or(false));
    Ok(walk)
}

/// Files SQLite keeps beside a database, read with it rather than on their own.
const SQLITE_COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// True when the bytes start like an image file keyfob can scan.
pub fn is_image(bytes: &[u8]) -> bool {
    const MAGIC: [&[u8]; 8] = [
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"BM",
        b"II*\0",
        b"MM\0*",
        b"RIFF",
    ];
    MAGIC.iter().any(|m| bytes.starts_with(m))
        && (!bytes.starts_with(b"RIFF") || bytes.get(8..12) == Some(b"WEBP"))
}

/// Reads one input file. `from` forces another app's format; otherwise it is
/// detected from the content.
pub fn read_input(
    path: &Path,
    from: Option<Format>,
    credentials: &Credentials,
    now: i64,
) -> Result<Outcome, InputError> {
    let bytes = bounded::read_file(path, MAX_INPUT_LEN as u64)?;
    if bytes.is_empty() {
        return Err(InputError::Empty);
    }
    let password = credentials.password.as_ref().map(|p| p.as_slice());
    if from.is_none() && is_image(&bytes) {
        return read_image(&bytes, now);
    }
    if from.is_none() && pdf::is_pdf(&bytes) {
        return read_pdf(&bytes, now);
    }
    if from.is_none() && vault::crypto::looks_like_age(&bytes) {
        return read_backup(&bytes, credentials);
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let is_regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let (format, imported) = match from.or_else(|| super::detect(&bytes, file_name.as_deref())) {
        Some(format) => {
            // A database is read again from its path together with its `-wal` file;
            // a stream (a FIFO, `<(…)`) cannot be read twice, so its bytes are used.
            let from_path = is_regular
                .then(|| super::read_path(path, format, password, now))
                .flatten();
            let imported = match from_path {
                Some(read) => read?,
                None => super::parse(&bytes, format, password, now)?,
            };
            (format, imported)
        }
        // No header, but a password: formats whose ciphertext authenticates are tried.
        None => password
            .and_then(|password| super::open_unrecognised(&bytes, password, now))
            .ok_or(ImportError::UnsupportedFormat)?,
    };
    Ok(Outcome {
        kind: InputKind::Format(format),
        accounts: imported.accounts,
        skipped: imported.skipped,
        not_otp: Vec::new(),
        google_batches: imported.google_batches,
    })
}

fn read_backup(bytes: &[u8], credentials: &Credentials) -> Result<Outcome, InputError> {
    let passphrase = |password: &[u8]| -> Result<Key, InputError> {
        let text = std::str::from_utf8(password)
            .map_err(|_| InputError::Backup(vault::VaultError::WrongPassphrase))?;
        Ok(Key::passphrase(secrecy::SecretString::from(
            text.to_string(),
        )))
    };
    // The header says which key the backup takes, so a password and an identity
    // can both be given (for backups of both kinds) and each goes where it fits.
    let key = match (
        vault::crypto::is_passphrase_encrypted(bytes),
        &credentials.identity,
        &credentials.password,
    ) {
        (Some(false), Some(identity), _) => identity.clone(),
        (Some(false), None, _) => return Err(InputError::BackupIdentityRequired),
        (Some(true), _, Some(password)) => passphrase(password)?,
        (Some(true), _, None) => return Err(InputError::BackupPasswordRequired),
        // A header age cannot read: decrypting says what is wrong with it.
        (None, Some(identity), _) => identity.clone(),
        (None, None, Some(password)) => passphrase(password)?,
        (None, None, None) => return Err(InputError::BackupPasswordRequired),
    };
    let plaintext = vault::crypto::decrypt(bytes, &key).map_err(InputError::Backup)?;
    let document = vault::Document::from_json(&plaintext).map_err(InputError::Backup)?;
    Ok(Outcome {
        kind: InputKind::KeyfobBackup,
        accounts: document.accounts,
        skipped: Vec::new(),
        not_otp: Vec::new(),
        google_batches: Vec::new(),
    })
}

/// Reads the QR codes on every page of a PDF (keyfob's paper sheet), as from scans
/// of its pages. Pages without a code are passed over; a PDF with none is an error.
pub fn read_pdf(bytes: &[u8], now: i64) -> Result<Outcome, InputError> {
    let mut outcome = Outcome {
        kind: InputKind::Pdf,
        accounts: Vec::new(),
        skipped: Vec::new(),
        not_otp: Vec::new(),
        google_batches: Vec::new(),
    };
    let mut any_code = false;
    for page in pdf::render_pages(bytes)? {
        match read_image(&page, now) {
            Ok(read) => {
                any_code = true;
                outcome.accounts.extend(read.accounts);
                outcome.skipped.extend(read.skipped);
                outcome.not_otp.extend(read.not_otp);
                outcome.google_batches.extend(read.google_batches);
            }
            Err(InputError::Qr(QrError::NoCodeFound)) => {}
            Err(error) => return Err(error),
        }
    }
    if !any_code {
        return Err(InputError::NoCodeInPdf);
    }
    Ok(outcome)
}

/// Reads every QR code of an image.
pub fn read_image(bytes: &[u8], now: i64) -> Result<Outcome, InputError> {
    let payloads = qr::decode_image_bytes(bytes)?;
    let mut outcome = Outcome {
        kind: InputKind::Image,
        accounts: Vec::new(),
        skipped: Vec::new(),
        not_otp: Vec::new(),
        google_batches: Vec::new(),
    };
    for payload in payloads {
        let payload = Zeroizing::new(payload);
        let Ok(text) = std::str::from_utf8(&payload) else {
            outcome.not_otp.push("binary data");
            continue;
        };
        let text = text.trim();
        if google_migration::is_migration_uri(text) {
            match google_migration::decode_uri(text, now) {
                Ok(imported) => {
                    outcome.accounts.extend(imported.accounts);
                    outcome.skipped.extend(imported.skipped);
                    outcome.google_batches.extend(imported.google_batches);
                }
                Err(error) => outcome.skipped.push(Skipped::new(
                    "",
                    "Google Authenticator export",
                    error.to_string(),
                )),
            }
        } else if text
            .get(..10)
            .is_some_and(|p| p.eq_ignore_ascii_case("otpauth://"))
        {
            match uri::parse(text, now) {
                Ok(account) => outcome.accounts.push(account),
                Err(error) => {
                    outcome
                        .skipped
                        .push(Skipped::new("", "otpauth QR code", error.to_string()))
                }
            }
        } else {
            outcome.not_otp.push(describe_payload(text));
        }
    }
    Ok(outcome)
}

/// What kind of non-OTP content a QR code holds, without revealing it.
pub fn describe_payload(text: &str) -> &'static str {
    let lower: String = text
        .chars()
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        "a web link"
    } else if lower.starts_with("wifi:") {
        "Wi-Fi settings"
    } else if lower.starts_with("begin:vcard") || lower.starts_with("mecard:") {
        "a contact card"
    } else if lower.starts_with("mailto:") || lower.starts_with("matmsg:") {
        "an e-mail address"
    } else if lower.starts_with("tel:") || lower.starts_with("sms") {
        "a phone number"
    } else if lower.starts_with("geo:") {
        "a location"
    } else if lower.starts_with("begin:vevent") {
        "a calendar event"
    } else if lower.starts_with("bitcoin:") || lower.starts_with("ethereum:") {
        "a payment address"
    } else {
        "plain text"
    }
}

/// Splits `incoming` into accounts new to `existing` (and to each other) and
/// the number of duplicates (same secret and parameters).
pub fn dedupe(existing: &[Account], incoming: Vec<Account>) -> (Vec<Account>, Vec<Account>) {
    let mut fresh: Vec<Account> = Vec::new();
    let mut duplicates = Vec::new();
    for account in incoming {
        if existing
            .iter()
            .chain(fresh.iter())
            .any(|a| a.same_token(&account))
        {
            duplicates.push(account);
        } else {
            fresh.push(account);
        }
    }
    (fresh, duplicates)
}

/// A multi-part Google export of which some QR codes were not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBatches {
    /// The export's batch id.
    pub batch_id: i32,
    /// How many QR codes the export has.
    pub batch_size: i32,
    /// 1-based numbers of the QR codes not seen.
    pub missing: Vec<i32>,
}

/// For every Google export seen, the QR codes (1-based) that are missing.
pub fn missing_batches(batches: &[BatchInfo]) -> Vec<MissingBatches> {
    let mut seen: BTreeMap<i32, (i32, BTreeSet<i32>)> = BTreeMap::new();
    for batch in batches {
        let entry = seen
            .entry(batch.batch_id)
            .or_insert((batch.batch_size, BTreeSet::new()));
        entry.0 = entry.0.max(batch.batch_size);
        entry.1.insert(batch.batch_index);
    }
    seen.into_iter()
        .filter_map(|(batch_id, (size, indices))| {
            // Bound the work on absurd sizes from hostile payloads.
            let size = size.clamp(1, 1000);
            let missing: Vec<i32> = (0..size)
                .filter(|i| !indices.contains(i))
                .map(|i| i + 1)
                .collect();
            (!missing.is_empty()).then_some(MissingBatches {
                batch_id,
                batch_size: size,
                missing,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{Algorithm, Kind};
    use crate::secret::Secret;

    fn account(secret: &str, period: u32) -> Account {
        Account::new(
            "I",
            "n",
            Secret::from_base32(secret).unwrap(),
            Kind::Totp { period },
            Algorithm::Sha1,
            6,
            0,
        )
        .unwrap()
    }

    #[test]
    fn dedupe_against_vault_and_within_the_run() {
        let existing = vec![account("JBSWY3DPEHPK3PXP", 30)];
        let incoming = vec![
            account("JBSWY3DPEHPK3PXP", 30),
            account("JBSWY3DPEHPK3PXP", 60),
            account("GEZDGNBVGY3TQOJQ", 30),
            account("GEZDGNBVGY3TQOJQ", 30),
        ];
        let (fresh, dups) = dedupe(&existing, incoming);
        assert_eq!(fresh.len(), 2);
        assert_eq!(dups.len(), 2);
        assert_eq!(fresh[0].kind, Kind::Totp { period: 60 });
    }

    #[test]
    fn missing_google_batches() {
        let b = |batch_id, batch_index, batch_size| BatchInfo {
            batch_id,
            batch_index,
            batch_size,
        };
        let missing = missing_batches(&[b(-7, 0, 3), b(-7, 2, 3), b(5, 0, 1)]);
        assert_eq!(
            missing,
            vec![MissingBatches {
                batch_id: -7,
                batch_size: 3,
                missing: vec![2]
            }]
        );
        assert!(
            missing_batches(&[b(1, 0, i32::MAX)])
                .first()
                .is_some_and(|m| m.missing.len() == 999)
        );
    }

    #[test]
    fn walks_stop_past_max_files_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..=MAX_FILES {
            std::fs::write(dir.path().join(format!("{i}.txt")), b"").unwrap();
        }
        let err = expand_paths(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(matches!(err, InputError::TooManyFiles), "{err:?}");
        assert_eq!(
            err.to_string(),
            "the directories hold more than 10000 files, the most keyfob reads in one run"
        );
        std::fs::remove_file(dir.path().join("0.txt")).unwrap();
        let walk = expand_paths(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!((walk.files.len(), walk.passed_over.len()), (MAX_FILES, 0));
    }

    #[cfg(unix)]
    #[test]
    fn walks_pass_over_loops_and_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("top");
        std::fs::create_dir_all(top.join("sub")).unwrap();
        std::fs::write(top.join("sub/a.txt"), b"x").unwrap();
        std::os::unix::fs::symlink("..", top.join("sub/back")).unwrap();
        let walk = expand_paths(std::slice::from_ref(&top)).unwrap();
        assert_eq!(walk.files, [top.join("sub/a.txt")]);
        assert_eq!(
            walk.passed_over,
            [PassedOver {
                path: top.join("sub/back"),
                reason: PassReason::Loop {
                    target: top.clone()
                },
            }]
        );
        // A missing path named by the user is listed, so reading it reports the error.
        let missing = dir.path().join("missing");
        assert_eq!(
            expand_paths(std::slice::from_ref(&missing)).unwrap().files,
            [missing]
        );
    }

    #[test]
    fn payload_kinds_never_echo_content() {
        assert_eq!(describe_payload("https://example.com/secret"), "a web link");
        assert_eq!(describe_payload("WIFI:S:home;P:pw;;"), "Wi-Fi settings");
        assert_eq!(describe_payload("hello"), "plain text");
        assert!(is_image(b"\x89PNG\r\n\x1a\nrest"));
        assert!(is_image(b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!is_image(b"RIFF\0\0\0\0WAVEfmt "));
        assert!(!is_image(b"{\"json\": 1}"));
    }
}
