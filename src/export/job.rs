//! One export, whatever the format: [`write`] turns accounts into the bytes
//! of a file (or the images of Google QR codes), [`Export::save`] puts them
//! where the user asked (through the path rules of [`paths::check_output`]) and
//! [`Export::record`] notes the backup for reminders. The CLI and the terminal
//! UI both export through these three steps and only gather input and word
//! the result.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{ExportError, ExportFormat, aegis, google_qr, paper, png};
use crate::account::{Account, AccountId};
use crate::import::Skipped;
use crate::vault::backups::{BackupLog, BackupRecord};
use crate::vault::crypto::{self, BackupTarget};
use crate::vault::{Document, VaultError, paths, store};

/// What [`write`] needs besides the format and the accounts.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Paper size and the date printed on a sheet.
    pub paper: paper::PaperOptions,
    /// Whom an age backup is encrypted to; required for [`ExportFormat::Age`].
    pub backup: Option<BackupTarget>,
    /// ASCII-armor an age backup (printable, e-mailable).
    pub armor: bool,
    /// The creation time written inside an age backup (unix seconds).
    pub now: i64,
    /// The batch id shared by Google QR codes; `None` picks a random one.
    pub google_batch_id: Option<i32>,
}

/// The bytes of an export.
pub enum Output {
    /// One file (every format but Google QR codes).
    File(Zeroizing<Vec<u8>>),
    /// Google QR codes: each image's file name and PNG bytes, in scanning order.
    Images(Vec<(String, Zeroizing<Vec<u8>>)>),
}

/// An export made by [`write`], not yet saved. `Debug` shows no content.
pub struct Export {
    /// The format written.
    pub format: ExportFormat,
    /// The bytes, which hold secrets (in clear for every format but age).
    pub output: Output,
    /// The accounts the export holds (for Google QR codes, those it can represent).
    pub exported: Vec<AccountId>,
    /// Accounts left out, with the reason (only Google QR codes leave any out).
    pub skipped: Vec<Skipped>,
    /// The fingerprint of the accounts asked for, as printed on a sheet.
    pub fingerprint: String,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let output = match &self.output {
            Output::File(bytes) => format!("File([REDACTED] ({} bytes))", bytes.len()),
            Output::Images(images) => format!("Images([REDACTED] ({} images))", images.len()),
        };
        f.debug_struct("Export")
            .field("format", &self.format)
            .field("output", &output)
            .field("exported", &self.exported.len())
            .field("skipped", &self.skipped)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// Writes `accounts` (in the order given) as `format`.
///
/// Fails with [`ExportError::NoAccounts`] for an empty list,
/// [`ExportError::NoBackupTarget`] for an age backup without
/// [`ExportOptions::backup`] and [`ExportError::NotRepresentable`] when Google's
/// format can hold none of the accounts.
pub fn write(
    format: ExportFormat,
    accounts: &[Account],
    options: &ExportOptions,
) -> Result<Export, ExportError> {
    if accounts.is_empty() {
        return Err(ExportError::NoAccounts);
    }
    let mut export = Export {
        format,
        output: Output::File(Zeroizing::new(Vec::new())),
        exported: accounts.iter().map(|a| a.id.clone()).collect(),
        skipped: Vec::new(),
        fingerprint: paper::sheet_fingerprint(accounts),
    };
    export.output = match format {
        ExportFormat::Paper => Output::File(paper::paper_sheet(accounts, &options.paper)?),
        ExportFormat::Age => {
            let target = options.backup.as_ref().ok_or(ExportError::NoBackupTarget)?;
            let mut document = Document::new(options.now);
            document.accounts = accounts.to_vec();
            let ciphertext = crypto::encrypt_backup(&document.to_json(), target, options.armor)?;
            Output::File(Zeroizing::new(ciphertext))
        }
        ExportFormat::Uris => {
            let mut text = Zeroizing::new(Vec::new());
            super::write_uris(accounts, &mut *text)?;
            Output::File(text)
        }
        ExportFormat::Aegis => Output::File(aegis::to_plain_json(accounts)),
        ExportFormat::GoogleQr => {
            let batch_id = options.google_batch_id.unwrap_or_else(random_batch_id);
            let migration = google_qr::encode_batches(accounts, google_qr::PER_QR, batch_id);
            if migration.uris.is_empty() {
                return Err(ExportError::NotRepresentable {
                    skipped: migration.skipped,
                });
            }
            let total = migration.uris.len();
            let mut images = Vec::with_capacity(total);
            for (index, uri) in migration.uris.iter().enumerate() {
                let number = index + 1;
                let png = png::qr_png(uri, &format!("batch {number} of {total}"))?;
                let name = format!("keyfob-google-{number}-of-{total}.png");
                images.push((name, Zeroizing::new(png)));
            }
            export.exported = accounts
                .iter()
                .filter(|a| {
                    !migration
                        .skipped
                        .iter()
                        .any(|s| s.issuer == a.issuer.trim() && s.name == a.name.trim())
                })
                .map(|a| a.id.clone())
                .collect();
            export.skipped = migration.skipped;
            Output::Images(images)
        }
    };
    Ok(export)
}

/// A random non-negative batch id, as Google's app uses.
fn random_batch_id() -> i32 {
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    i32::from_le_bytes(random) & i32::MAX
}

impl Export {
    /// Saves the export at `out` (mode 0600, atomically) and returns the files
    /// written, named as reached through `out`.
    ///
    /// A file goes to `out`; Google QR codes go into the directory `out`
    /// (created 0700 if missing). Every path is checked with
    /// [`paths::check_output`] against the vault's own files before anything is
    /// written, and existing files are replaced only with `force`. When one
    /// image cannot be written, those written before it are removed again.
    pub fn save(&self, out: &Path, vault: &Path, force: bool) -> Result<Vec<PathBuf>, ExportError> {
        match &self.output {
            Output::File(bytes) => {
                let target = paths::check_output(out, vault, force)?;
                write_file(&target, bytes)?;
                Ok(vec![out.to_path_buf()])
            }
            Output::Images(images) => {
                if std::fs::metadata(out).is_ok_and(|m| !m.is_dir()) {
                    return Err(ExportError::NotADirectory(out.to_path_buf()));
                }
                let mut planned = Vec::with_capacity(images.len());
                for (name, png) in images {
                    let given = out.join(name);
                    let target = paths::check_output(&given, vault, force)?;
                    planned.push((given, target, png));
                }
                paths::create_private_dir_all(out).map_err(|source| ExportError::CreateDir {
                    path: out.to_path_buf(),
                    source,
                })?;
                let mut written: Vec<PathBuf> = Vec::with_capacity(planned.len());
                let mut shown = Vec::with_capacity(planned.len());
                for (given, target, png) in planned {
                    if let Err(error) = write_file(&target, png) {
                        for done in &written {
                            let _ = std::fs::remove_file(done);
                        }
                        return Err(error);
                    }
                    written.push(target);
                    shown.push(given);
                }
                Ok(shown)
            }
        }
    }

    /// Records the export in the backup log beside `vault` (unverified, made at `now`).
    pub fn record(&self, vault: &Path, now: i64) -> Result<(), VaultError> {
        BackupLog::record(
            vault,
            BackupRecord::made(
                self.format,
                now,
                self.exported.clone(),
                self.fingerprint.clone(),
            ),
        )
    }
}

/// Replaces `target` (a path [`paths::check_output`] returned) with `bytes`.
fn write_file(target: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    store::replace_file(target, bytes, 0).map_err(|source| ExportError::Write {
        path: target.to_path_buf(),
        source,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::account::{Algorithm, Kind};
    use crate::import;
    use crate::secret::Secret;
    use crate::vault::Key;

    fn account(issuer: &str, kind: Kind, digits: u8) -> Account {
        Account::new(
            issuer,
            "alice",
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
            kind,
            Algorithm::Sha1,
            digits,
            0,
        )
        .unwrap()
    }

    fn accounts() -> Vec<Account> {
        vec![
            account("GitHub", Kind::DEFAULT_TOTP, 6),
            account("Bank", Kind::Hotp { counter: 7 }, 8),
            account("Steam", Kind::Steam, 5),
        ]
    }

    fn bytes(export: &Export) -> &[u8] {
        match &export.output {
            Output::File(bytes) => bytes,
            Output::Images(_) => panic!("a file was expected"),
        }
    }

    /// The accounts keyfob's importer reads from the export saved as `name`.
    fn read_back(export: &Export, name: &str) -> Vec<Account> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, bytes(export)).unwrap();
        let credentials = import::session::Credentials::default();
        import::session::read_input(&path, None, &credentials, 0)
            .unwrap()
            .accounts
    }

    fn labels(accounts: &[Account]) -> Vec<String> {
        accounts.iter().map(Account::label).collect()
    }

    #[test]
    fn every_file_format_reads_back_as_the_same_accounts() {
        let accounts = accounts();
        let options = ExportOptions::default();
        let uris = write(ExportFormat::Uris, &accounts, &options).unwrap();
        let back = read_back(&uris, "uris.txt");
        assert_eq!(labels(&back), labels(&accounts));
        assert!(back.iter().zip(&accounts).all(|(a, b)| a.same_token(b)));

        let aegis = write(ExportFormat::Aegis, &accounts, &options).unwrap();
        let back = read_back(&aegis, "aegis.json");
        assert_eq!(labels(&back), labels(&accounts));
        assert!(back.iter().zip(&accounts).all(|(a, b)| a.same_token(b)));

        let options = ExportOptions {
            backup: Some(BackupTarget::Passphrase("pass".to_string().into())),
            armor: true,
            now: 1_700_000_000,
            ..ExportOptions::default()
        };
        let age = write(ExportFormat::Age, &accounts, &options).unwrap();
        assert!(bytes(&age).starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
        let key = Key::passphrase("pass".to_string().into());
        let plain = crypto::decrypt(bytes(&age), &key).unwrap();
        let document = Document::from_json(&plain).unwrap();
        assert_eq!(document.meta.created, 1_700_000_000);
        assert_eq!(document.accounts, accounts);

        let paper = write(ExportFormat::Paper, &accounts, &ExportOptions::default()).unwrap();
        assert!(bytes(&paper).starts_with(b"%PDF-"));
        for export in [&uris, &aegis, &age, &paper] {
            assert_eq!(export.exported.len(), 3);
            assert!(export.skipped.is_empty());
            assert_eq!(export.fingerprint, paper::sheet_fingerprint(&accounts));
        }
    }

    #[test]
    fn google_qr_codes_leave_out_what_google_cannot_hold_and_say_why() {
        let accounts = accounts();
        let options = ExportOptions {
            google_batch_id: Some(77),
            ..ExportOptions::default()
        };
        let export = write(ExportFormat::GoogleQr, &accounts, &options).unwrap();
        let Output::Images(images) = &export.output else {
            panic!("images were expected");
        };
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].0, "keyfob-google-1-of-1.png");
        let read = import::session::read_image(&images[0].1, 0).unwrap();
        assert_eq!(labels(&read.accounts), ["GitHub (alice)", "Bank (alice)"]);
        assert_eq!(read.google_batches[0].batch_id, 77);
        assert_eq!(
            export.exported,
            [accounts[0].id.clone(), accounts[1].id.clone()]
        );
        assert_eq!(export.skipped.len(), 1);
        assert_eq!(export.skipped[0].issuer, "Steam");

        let steam = &accounts[2..];
        match write(ExportFormat::GoogleQr, steam, &options) {
            Err(ExportError::NotRepresentable { skipped }) => assert_eq!(skipped.len(), 1),
            other => panic!("expected NotRepresentable, got {other:?}"),
        }
    }

    #[test]
    fn refusals_name_what_is_missing() {
        let options = ExportOptions::default();
        assert!(matches!(
            write(ExportFormat::Uris, &[], &options),
            Err(ExportError::NoAccounts)
        ));
        let error = write(ExportFormat::Age, &accounts(), &options).unwrap_err();
        assert!(matches!(error, ExportError::NoBackupTarget));
        assert_eq!(
            error.to_string(),
            "an age backup needs a passphrase or at least one recipient"
        );
    }

    #[test]
    fn saving_checks_the_path_writes_privately_and_records() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.age");
        std::fs::write(&vault, b"the vault").unwrap();
        let accounts = accounts();
        let export = write(ExportFormat::Uris, &accounts, &ExportOptions::default()).unwrap();
        let out = dir.path().join("uris.txt");
        assert_eq!(
            export.save(&out, &vault, false).unwrap(),
            std::slice::from_ref(&out)
        );
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read(&out).unwrap(), bytes(&export));
        assert!(matches!(
            export.save(&out, &vault, false),
            Err(ExportError::Path(paths::PathError::Exists { .. }))
        ));
        assert!(matches!(
            export.save(&vault, &vault, true),
            Err(ExportError::Path(paths::PathError::OwnFile { .. }))
        ));
        assert_eq!(std::fs::read(&vault).unwrap(), b"the vault");

        export.record(&vault, 123).unwrap();
        let log = BackupLog::load(&vault);
        assert_eq!(log.records.len(), 1);
        let record = &log.records[0];
        assert_eq!(
            (record.kind, record.created, record.verified),
            (ExportFormat::Uris, 123, None)
        );
        assert_eq!(record.accounts, export.exported);
        assert_eq!(record.fingerprint, export.fingerprint);
    }

    #[test]
    fn images_go_into_a_private_directory_or_nowhere() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.age");
        let accounts: Vec<Account> = (0..11)
            .map(|i| account(&format!("Site {i}"), Kind::DEFAULT_TOTP, 6))
            .collect();
        let export = write(ExportFormat::GoogleQr, &accounts, &ExportOptions::default()).unwrap();
        let out = dir.path().join("new/qr");
        let written = export.save(&out, &vault, false).unwrap();
        assert_eq!(
            written,
            [
                out.join("keyfob-google-1-of-2.png"),
                out.join("keyfob-google-2-of-2.png")
            ]
        );
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o700
        );

        // The second image exists already: every path is checked before anything is written.
        let again = dir.path().join("again");
        std::fs::create_dir(&again).unwrap();
        std::fs::write(again.join("keyfob-google-2-of-2.png"), b"mine").unwrap();
        assert!(matches!(
            export.save(&again, &vault, false),
            Err(ExportError::Path(paths::PathError::Exists { .. }))
        ));
        assert!(!again.join("keyfob-google-1-of-2.png").exists());
        assert_eq!(
            std::fs::read(again.join("keyfob-google-2-of-2.png")).unwrap(),
            b"mine"
        );

        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let error = export.save(&file, &vault, true).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("'{}' is not a directory", file.display())
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let export = write(ExportFormat::Uris, &accounts(), &ExportOptions::default()).unwrap();
        let debug = format!("{export:?}");
        assert!(!debug.contains("JBSWY3DPEHPK3PXP"), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }
}
