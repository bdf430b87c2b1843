//! The worker thread: everything slow or blocking (scrypt when unlocking and
//! saving, QR decoding, PDF export) runs here, so the draw loop never freezes.
//! It owns the open [`Vault`]; the UI owns a copy of the accounts and sends the
//! whole list back to be saved. Locking drops the vault here too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};

use keyfob::Account;
use keyfob::export::paper;
use keyfob::import::session;
use keyfob::vault::backups::{BackupLog, BackupRecord};
use keyfob::vault::{Key, Vault, VaultError, paths, store};

/// A job for the worker.
pub enum Job {
    /// Open the vault.
    Unlock(Key),
    /// Create the vault.
    Create(Key),
    /// Create the vault encrypted to this identity file, generating it if missing.
    CreateWithIdentity(PathBuf),
    /// Save these accounts.
    Save(Vec<Account>),
    /// Decode QR codes in this image.
    Scan(PathBuf),
    /// Write a paper sheet.
    ExportPaper(PathBuf, Vec<Account>, paper::PaperSize),
    /// Forget the vault.
    Lock,
}

impl std::fmt::Debug for Job {
    /// The job's name only: jobs carry keys and accounts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Job::Unlock(_) => "Unlock",
            Job::Create(_) => "Create",
            Job::CreateWithIdentity(_) => "CreateWithIdentity",
            Job::Save(_) => "Save",
            Job::Scan(_) => "Scan",
            Job::ExportPaper(..) => "ExportPaper",
            Job::Lock => "Lock",
        })
    }
}

/// What the worker thread reports back.
pub enum WorkerEvent {
    /// The vault was opened or created.
    Unlocked {
        /// Its accounts.
        accounts: Vec<Account>,
        /// A backup reminder, if one is due.
        reminder: Option<String>,
    },
    /// Opening failed; `wrong_key` when the passphrase or identity did not fit.
    UnlockFailed {
        /// What to tell the user.
        message: String,
        /// A wrong passphrase (try again) rather than a broken vault.
        wrong_key: bool,
    },
    /// A save finished.
    Saved {
        /// The backup reminder after the change.
        reminder: Option<String>,
    },
    /// A save failed; the file on disk is unchanged.
    SaveFailed(String),
    /// Accounts read from an image.
    Scanned(Result<Vec<Account>, String>),
    /// A paper sheet was written (the message) or not (the error).
    Exported(Result<String, String>),
}

impl WorkerEvent {
    /// The message of a failure (for a screen that did not expect the event).
    pub fn into_error(self) -> Option<String> {
        match self {
            WorkerEvent::UnlockFailed { message, .. }
            | WorkerEvent::SaveFailed(message)
            | WorkerEvent::Scanned(Err(message))
            | WorkerEvent::Exported(Err(message)) => Some(message),
            WorkerEvent::Unlocked { .. }
            | WorkerEvent::Saved { .. }
            | WorkerEvent::Scanned(Ok(_))
            | WorkerEvent::Exported(Ok(_)) => None,
        }
    }
}

/// Where the worker finds the vault.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The vault file.
    pub vault_path: PathBuf,
    /// How long a save waits for another keyfob's writer lock.
    pub lock_wait: std::time::Duration,
}

/// Runs jobs until the sending side is dropped. `now` reads the clock.
pub fn run(
    config: WorkerConfig,
    jobs: Receiver<Job>,
    events: Sender<WorkerEvent>,
    now: fn() -> i64,
) {
    let mut vault: Option<Vault> = None;
    while let Ok(job) = jobs.recv() {
        let event = match job {
            Job::Lock => {
                vault = None;
                continue;
            }
            Job::Unlock(key) => match Vault::open(&config.vault_path, key) {
                Ok(v) => unlocked(&mut vault, v, now()),
                Err(e) => unlock_failed(&e),
            },
            Job::Create(key) => match Vault::create(&config.vault_path, key, now()) {
                Ok(mut v) => {
                    v.release_lock();
                    unlocked(&mut vault, v, now())
                }
                Err(e) => unlock_failed(&e),
            },
            Job::CreateWithIdentity(path) => match identity_key(&path, now()) {
                Ok(key) => match Vault::create(&config.vault_path, key, now()) {
                    Ok(mut v) => {
                        v.release_lock();
                        unlocked(&mut vault, v, now())
                    }
                    Err(e) => unlock_failed(&e),
                },
                Err(message) => WorkerEvent::UnlockFailed {
                    message,
                    wrong_key: false,
                },
            },
            Job::Save(accounts) => match vault.as_mut() {
                None => WorkerEvent::SaveFailed("the vault is locked; nothing was saved".into()),
                Some(v) => {
                    v.set_lock_wait(config.lock_wait);
                    save(v, accounts, now())
                }
            },
            Job::Scan(path) => WorkerEvent::Scanned(scan(&path, now())),
            Job::ExportPaper(path, accounts, size) => WorkerEvent::Exported(export_paper(
                &config.vault_path,
                &path,
                &accounts,
                size,
                now(),
            )),
        };
        if events.send(event).is_err() {
            break;
        }
    }
}

fn unlocked(slot: &mut Option<Vault>, vault: Vault, now: i64) -> WorkerEvent {
    let accounts = vault.accounts().to_vec();
    let reminder = BackupLog::load(vault.path()).reminder(&accounts, now);
    *slot = Some(vault);
    WorkerEvent::Unlocked { accounts, reminder }
}

fn unlock_failed(error: &VaultError) -> WorkerEvent {
    let wrong_key = matches!(
        error,
        VaultError::WrongPassphrase | VaultError::WrongIdentity
    );
    let message = match error {
        VaultError::WrongPassphrase => "Wrong passphrase; try again.".to_string(),
        other => format!("{other}"),
    };
    WorkerEvent::UnlockFailed { message, wrong_key }
}

fn identity_key(path: &Path, now: i64) -> Result<Key, String> {
    if path.exists() {
        return Key::from_identity_file(path).map_err(|e| format!("{e} ('{}')", path.display()));
    }
    let (key, text) = Key::generate_identity(&super::rfc3339(now));
    let written = store::create_private(path).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    written.map_err(|e| {
        format!(
            "could not create the identity file '{}': {e}",
            path.display()
        )
    })?;
    Ok(key)
}

fn save(vault: &mut Vault, accounts: Vec<Account>, now: i64) -> WorkerEvent {
    let previous = std::mem::replace(vault.accounts_mut(), accounts);
    // `save` takes the writer lock (waiting for another keyfob up to
    // `KEYFOB_LOCK_WAIT`) and refuses if another keyfob changed the file since it was read.
    let result = vault.save();
    vault.release_lock();
    match result {
        Ok(()) => WorkerEvent::Saved {
            reminder: BackupLog::load(vault.path()).reminder(vault.accounts(), now),
        },
        Err(e) => {
            *vault.accounts_mut() = previous;
            WorkerEvent::SaveFailed(format!("{e}"))
        }
    }
}

/// Reads the accounts of every QR code in an image, as `keyfob import` does
/// (otpauth:// and Google Authenticator export codes).
fn scan(path: &Path, now: i64) -> Result<Vec<Account>, String> {
    let bytes =
        keyfob::bounded::read_file(path, keyfob::import::MAX_INPUT_LEN as u64).map_err(|e| {
            let cause = std::error::Error::source(&e)
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            format!("could not read '{}': {e}{cause}", path.display())
        })?;
    let outcome = session::read_image(&bytes, now).map_err(|e| e.to_string())?;
    if outcome.accounts.is_empty() {
        return Err("the image holds a QR code, but not an otpauth:// account".into());
    }
    Ok(outcome.accounts)
}

fn export_paper(
    vault_path: &Path,
    out: &Path,
    accounts: &[Account],
    size: paper::PaperSize,
    now: i64,
) -> Result<String, String> {
    let options = paper::PaperOptions {
        date: super::date(now),
        size,
        ..paper::PaperOptions::default()
    };
    let pdf = paper::paper_sheet(accounts, &options).map_err(|e| e.to_string())?;
    let out = &paths::check_output(out, vault_path, false).map_err(|e| match e {
        paths::PathError::Exists { .. } => format!("{e}; keyfob will not overwrite it"),
        other => format!("{other}; choose another file name"),
    })?;
    store::replace_file(out, &pdf, 0)
        .map_err(|e| format!("could not write '{}': {e}", out.display()))?;
    let fingerprint = paper::sheet_fingerprint(accounts);
    let _ = BackupLog::record(
        vault_path,
        BackupRecord {
            kind: "paper".into(),
            created: now,
            verified: None,
            accounts: accounts.iter().map(|a| a.id.clone()).collect(),
            fingerprint: fingerprint.clone(),
        },
    );
    Ok(format!(
        "Wrote the sheet to '{}' (fingerprint {fingerprint}); print it, then check it with 'keyfob verify'",
        out.display()
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_export_never_lands_on_the_vaults_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.age");
        std::fs::write(&vault, b"the vault").unwrap();
        std::fs::write(dir.path().join("vault.age.1"), b"a backup").unwrap();
        let secret = keyfob::Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let account = Account::new(
            "GitHub",
            "alice",
            secret,
            keyfob::Kind::DEFAULT_TOTP,
            keyfob::Algorithm::Sha1,
            6,
            0,
        )
        .unwrap();
        for out in ["vault.age", "vault.age.1", "vault.age.lock"] {
            let result = export_paper(
                &vault,
                &dir.path().join(out),
                std::slice::from_ref(&account),
                paper::PaperSize::A4,
                0,
            );
            let error = result.unwrap_err();
            assert!(
                error.contains("one of keyfob's own files"),
                "{out}: {error}"
            );
        }
        assert_eq!(std::fs::read(&vault).unwrap(), b"the vault");
        assert_eq!(
            std::fs::read(dir.path().join("vault.age.1")).unwrap(),
            b"a backup"
        );
        assert!(!dir.path().join("vault.age.lock").exists());
    }
}
