//! The worker thread: everything slow or blocking (scrypt when unlocking and
//! saving, QR decoding, exports, imports and verifications) runs here, so the
//! draw loop never freezes. Exports, imports and checks are the library's jobs
//! (`export::write`, `import::session::Preview`, `verify`), as in the CLI.
//! It owns the open [`Vault`]; the UI owns a copy of the accounts and sends the
//! whole list back to be saved. Locking drops the vault here too.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};

use keyfob::account::Field;
use keyfob::export::{self, ExportError, ExportFormat, ExportOptions};
use keyfob::import::session::{self, Callbacks, Credentials, Preview};
use keyfob::text::with_causes;
use keyfob::vault::backups::{self, Advice, BackupLog, BackupStatus};
use keyfob::vault::copies::{self, OtherCopy};
use keyfob::vault::paths::PathError;
use keyfob::vault::store::FileStamp;
use keyfob::vault::{Document, Key, MergeReport, Vault, VaultError, store};
use keyfob::verify::{self, Report, VerifyError};
use keyfob::{Account, AccountId};
use zeroize::Zeroizing;

use super::keymap::{self, Cmd, Context};

/// A job for the worker.
pub enum Job {
    /// Open the vault.
    Unlock(Key),
    /// Create the vault.
    Create(Key),
    /// Create the vault encrypted to this identity file, generating it if missing.
    CreateWithIdentity(PathBuf),
    /// Save these accounts (the UI's list, edited from what it was last told the vault holds).
    Save(Vec<Account>),
    /// The UI took the accounts of the last [`WorkerEvent::Saved`] that carried
    /// `merged` ones: its next edits start from those.
    Adopt,
    /// Decode QR codes in this image.
    Scan(PathBuf),
    /// Export these accounts in this format to this path (a directory for Google QR codes).
    Export(ExportFormat, Vec<Account>, Box<ExportOptions>, PathBuf),
    /// Read these paths for an import and sort them against the vault, the
    /// keys (if given) opening encrypted ones.
    ImportPreview(Vec<PathBuf>, SourceKeys),
    /// Check the backup at these paths against the vault and record it.
    Verify(Vec<PathBuf>, SourceKeys),
    /// Read these other copies of the vault (or keyfob age backups) and say what
    /// merging them would do, the keys (if given) opening those the vault's own
    /// key does not.
    MergePreview(Vec<PathBuf>, SourceKeys),
    /// Merge them into the vault and save, as `keyfob merge` does.
    Merge(Vec<PathBuf>, SourceKeys),
    /// Read the backup status from the log.
    BackupStatus,
    /// Bring in what another keyfob or a sync tool saved to the file since, if
    /// anything (answered only when the file changed).
    Refresh,
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
            Job::Adopt => "Adopt",
            Job::Scan(_) => "Scan",
            Job::Export(..) => "Export",
            Job::ImportPreview(..) => "ImportPreview",
            Job::Verify(..) => "Verify",
            Job::MergePreview(..) => "MergePreview",
            Job::Merge(..) => "Merge",
            Job::BackupStatus => "BackupStatus",
            Job::Refresh => "Refresh",
            Job::Lock => "Lock",
        })
    }
}

/// What opens encrypted sources, as the user typed it: a password (another
/// app's export, a keyfob passphrase backup) and the path of an age identity
/// file (a keyfob backup encrypted to recipients), read on the worker.
#[derive(Default)]
pub struct SourceKeys {
    /// The password, if one was typed.
    pub password: Option<Zeroizing<Vec<u8>>>,
    /// The identity file, if one was named.
    pub identity: Option<PathBuf>,
}

impl std::fmt::Debug for SourceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceKeys")
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("identity", &self.identity)
            .finish()
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
        /// The accounts as saved, when they differ from the list the UI sent: the
        /// save merged another keyfob's changes from the file.
        merged: Option<Vec<Account>>,
    },
    /// A save failed; the file on disk is unchanged.
    SaveFailed(String),
    /// Accounts read from an image.
    Scanned(Result<Vec<Account>, String>),
    /// An export was written (the message) or not (the error).
    Exported(Result<String, String>),
    /// `done` of `total` files of an import or verification are read.
    Progress {
        /// Files read.
        done: usize,
        /// Files to read.
        total: usize,
    },
    /// What an import would add (sorted against the vault), or why it cannot be read.
    Previewed(Result<Box<Preview>, String>),
    /// A backup was checked.
    Verified(Result<Box<Verified>, SourceFailed>),
    /// What merging other copies would do, copy by copy.
    MergePreviewed(Result<Vec<(PathBuf, MergeReport)>, SourceFailed>),
    /// Other copies were merged (and the vault saved when anything changed).
    Merged(Result<Box<Merged>, SourceFailed>),
    /// The backup status.
    Status(BackupStatus),
    /// The file changed on disk and was read again: the accounts as they are now
    /// and the line above the list; or why it no longer opens.
    Reloaded(Result<Reloaded, String>),
}

/// The vault as another keyfob or a sync tool saved it.
pub struct Reloaded {
    /// Its accounts.
    pub accounts: Vec<Account>,
    /// The line above the list.
    pub reminder: Option<String>,
}

/// A finished check of a backup.
pub struct Verified {
    /// The comparison, as `keyfob verify` prints it.
    pub report: Report,
    /// The backup status after it.
    pub status: BackupStatus,
    /// The backup reminder after it.
    pub reminder: Option<String>,
}

/// A merge that was made.
pub struct Merged {
    /// What each copy brought.
    pub reports: Vec<(PathBuf, MergeReport)>,
    /// The vault's accounts after it.
    pub accounts: Vec<Account>,
    /// The line above the list after it (copies left to merge, the backup reminder).
    pub reminder: Option<String>,
    /// The sync-conflict copies among them: everything in them is in the vault
    /// now, so they can be deleted.
    pub done_with: Vec<PathBuf>,
    /// Why the merged copies could not be noted in the backup log, if so.
    pub unnoted: Option<String>,
}

/// A backup that could not be checked, or copies that could not be read or merged.
#[derive(Debug)]
pub struct SourceFailed {
    /// What to tell the user.
    pub message: String,
    /// The backup is encrypted and the password was missing or wrong.
    pub needs_password: bool,
    /// The backup is encrypted to age recipients and the identity was missing
    /// or not one of them.
    pub needs_identity: bool,
}

impl SourceFailed {
    /// A failure no key can mend.
    fn plain(message: impl Into<String>) -> Self {
        SourceFailed {
            message: message.into(),
            needs_password: false,
            needs_identity: false,
        }
    }
}

impl WorkerEvent {
    /// The message of a failure (for a screen that did not expect the event).
    pub fn into_error(self) -> Option<String> {
        match self {
            WorkerEvent::UnlockFailed { message, .. }
            | WorkerEvent::SaveFailed(message)
            | WorkerEvent::Scanned(Err(message))
            | WorkerEvent::Exported(Err(message))
            | WorkerEvent::Previewed(Err(message))
            | WorkerEvent::Verified(Err(SourceFailed { message, .. }))
            | WorkerEvent::MergePreviewed(Err(SourceFailed { message, .. }))
            | WorkerEvent::Merged(Err(SourceFailed { message, .. }))
            | WorkerEvent::Reloaded(Err(message)) => Some(message),
            WorkerEvent::Unlocked { .. }
            | WorkerEvent::Saved { .. }
            | WorkerEvent::Scanned(Ok(_))
            | WorkerEvent::Exported(Ok(_))
            | WorkerEvent::Progress { .. }
            | WorkerEvent::Previewed(Ok(_))
            | WorkerEvent::Verified(Ok(_))
            | WorkerEvent::MergePreviewed(Ok(_))
            | WorkerEvent::Merged(Ok(_))
            | WorkerEvent::Reloaded(Ok(_))
            | WorkerEvent::Status(_) => None,
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
    // The list the UI's edits start from, when it is not the vault's accounts
    // (after a save merged what the UI has not taken yet).
    let mut known: Option<Vec<Account>> = None;
    // The file as last looked at by `Job::Refresh`, to read it only when it changed.
    let mut seen: Option<FileStamp> = None;
    while let Ok(job) = jobs.recv() {
        let event = match job {
            Job::Refresh => {
                let Some(v) = vault.as_mut() else { continue };
                let stamp = FileStamp::of(v.path());
                if stamp == seen {
                    continue;
                }
                seen = stamp;
                match refresh(v, &mut known, now()) {
                    Some(event) => event,
                    None => continue,
                }
            }
            Job::Lock => {
                vault = None;
                known = None;
                continue;
            }
            Job::Adopt => {
                known = None;
                continue;
            }
            Job::Unlock(key) => match Vault::open(&config.vault_path, key) {
                Ok(v) => unlocked(&mut vault, &mut known, v, now()),
                Err(e) => unlock_failed(&e),
            },
            Job::Create(key) => match Vault::create(&config.vault_path, key, now()) {
                Ok(mut v) => {
                    v.release_lock();
                    unlocked(&mut vault, &mut known, v, now())
                }
                Err(e) => unlock_failed(&e),
            },
            Job::CreateWithIdentity(path) => match identity_key(&path, now()) {
                Ok(key) => match Vault::create(&config.vault_path, key, now()) {
                    Ok(mut v) => {
                        v.release_lock();
                        unlocked(&mut vault, &mut known, v, now())
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
                    save(v, &mut known, accounts, now())
                }
            },
            Job::Scan(path) => WorkerEvent::Scanned(scan(&path, now())),
            Job::Export(format, accounts, options, out) => WorkerEvent::Exported(export_to(
                &config.vault_path,
                format,
                &accounts,
                &options,
                &out,
                now(),
            )),
            Job::ImportPreview(paths, keys) => match vault.as_ref() {
                None => WorkerEvent::Previewed(Err(LOCKED.into())),
                Some(v) => {
                    let mut progress = Progress(&events);
                    let result = preview(&paths, keys, v.accounts(), now(), &mut progress);
                    WorkerEvent::Previewed(result.map(Box::new))
                }
            },
            Job::Verify(paths, keys) => match vault.as_ref() {
                None => WorkerEvent::Verified(Err(SourceFailed::plain(LOCKED))),
                Some(v) => {
                    let mut progress = Progress(&events);
                    let result = check(v, &paths, keys, now(), &mut progress);
                    WorkerEvent::Verified(result.map(Box::new))
                }
            },
            Job::MergePreview(paths, keys) => WorkerEvent::MergePreviewed(match vault.as_ref() {
                None => Err(SourceFailed::plain(LOCKED)),
                Some(v) => read_copies(v, &paths, keys).map(|copies| {
                    let documents: Vec<&Document> =
                        copies.iter().map(|(_, c)| &c.document).collect();
                    let reports = v.merge_preview(&documents, now());
                    paths.into_iter().zip(reports).collect()
                }),
            }),
            Job::Merge(paths, keys) => WorkerEvent::Merged(match vault.as_mut() {
                None => Err(SourceFailed::plain(LOCKED)),
                Some(v) => {
                    v.set_lock_wait(config.lock_wait);
                    let result = merge(v, &paths, keys, now());
                    if result.is_ok() {
                        // The UI takes the vault's accounts as they are now.
                        known = None;
                    }
                    result.map(Box::new)
                }
            }),
            Job::BackupStatus => {
                let accounts = vault.as_ref().map_or(&[][..], |v| v.accounts());
                WorkerEvent::Status(backups::status(&config.vault_path, accounts, now()))
            }
        };
        if events.send(event).is_err() {
            break;
        }
    }
}

fn unlocked(
    slot: &mut Option<Vault>,
    known: &mut Option<Vec<Account>>,
    vault: Vault,
    now: i64,
) -> WorkerEvent {
    let accounts = vault.accounts().to_vec();
    let reminder = reminder(&vault, now);
    *known = None;
    *slot = Some(vault);
    WorkerEvent::Unlocked { accounts, reminder }
}

/// The line above the list: other copies of the vault a sync tool left beside it
/// that hold something not merged yet, then the backup reminder.
fn reminder(vault: &Vault, now: i64) -> Option<String> {
    let log = BackupLog::load(vault.path());
    let copies = copies::unmerged(vault.path(), &log);
    let mut parts: Vec<String> = Vec::new();
    if !copies.is_empty() {
        let key = keymap::keys_for(Cmd::Merge, Context::List)
            .unwrap_or_else(|| "the merge screen".into());
        // The merge screen names them; here the line must leave room for the
        // backup reminder.
        parts.push(match copies.len() {
            1 => format!("another copy of this vault exists: {key} merges it"),
            n => format!("{n} other copies of this vault exist: {key} merges them"),
        });
    }
    let key = keymap::keys_for(Cmd::Backups, Context::List)
        .unwrap_or_else(|| "the backups screen".into());
    let first = format!("make one with {key} (a paper sheet or an age backup) and verify it there");
    let again = format!("make a new one with {key}");
    let recheck = format!("verify it or make a new one with {key}");
    let advice = Advice {
        first: &first,
        again: &again,
        recheck: &recheck,
    };
    parts.extend(log.reminder(vault.accounts(), now, &advice));
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Reads the vault again when another keyfob or a sync tool changed the file
/// (the worker's vault holds nothing unsaved: the UI saves every change at
/// once). Until the UI takes the new accounts (`Job::Adopt`), its edits are
/// found against the list it had, as after a save that merged.
fn refresh(vault: &mut Vault, known: &mut Option<Vec<Account>>, now: i64) -> Option<WorkerEvent> {
    match vault.reload_if_changed() {
        Ok(None) => None,
        Ok(Some(replaced)) => {
            if known.is_none() {
                *known = Some(replaced.accounts);
            }
            Some(WorkerEvent::Reloaded(Ok(Reloaded {
                accounts: vault.accounts().to_vec(),
                reminder: reminder(vault, now),
            })))
        }
        // Gone for a moment (a sync tool replacing it): the next look, or the
        // next save, says more.
        Err(VaultError::NotFound) => None,
        Err(error) => {
            let key =
                keymap::keys_for(Cmd::Lock, Context::List).unwrap_or_else(|| "the lock key".into());
            Some(WorkerEvent::Reloaded(Err(format!(
                "another program changed the vault file and it no longer opens with this key ({error}): lock with {key} and unlock it with its current one"
            ))))
        }
    }
}

/// Reads other copies of the vault to merge, each with the vault's own key or
/// the typed password or identity (whichever its header asks for); the first
/// that does not open stops it all, saying which key it needs.
fn read_copies(
    vault: &Vault,
    paths: &[PathBuf],
    keys: SourceKeys,
) -> Result<Vec<(PathBuf, OtherCopy)>, SourceFailed> {
    let typed_password = keys.password.is_some();
    let credentials = credentials(keys).map_err(|message| SourceFailed {
        message,
        needs_password: false,
        needs_identity: true,
    })?;
    let password = credentials
        .password
        .as_deref()
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .map(|text| Key::passphrase(text.to_string().into()));
    let mut tried: Vec<&Key> = vec![vault.key()];
    tried.extend(password.as_ref());
    tried.extend(credentials.identity.as_ref());
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let shown = keyfob::text::escape_path(path);
        match copies::read(path, &tried) {
            Ok(copy) => out.push((path.clone(), copy)),
            Err(VaultError::NeedsPassphrase | VaultError::WrongPassphrase) => {
                return Err(SourceFailed {
                    message: if typed_password {
                        format!("the password does not open '{shown}': try again")
                    } else {
                        format!(
                            "'{shown}' has another passphrase than this vault: type it, then Enter"
                        )
                    },
                    needs_password: true,
                    needs_identity: false,
                });
            }
            Err(VaultError::NeedsIdentity | VaultError::WrongIdentity) => {
                return Err(SourceFailed {
                    message: format!(
                        "'{shown}' is encrypted to age recipients this vault's key is not one of: type the path of one's identity file (Tab completes), then Enter"
                    ),
                    needs_password: false,
                    needs_identity: true,
                });
            }
            Err(VaultError::NotFound) => {
                return Err(SourceFailed::plain(format!("no file at '{shown}'")));
            }
            Err(error) => {
                return Err(SourceFailed::plain(format!(
                    "'{shown}': {}",
                    with_causes(&error)
                )));
            }
        }
    }
    Ok(out)
}

/// Merges other copies into the vault and saves, as `keyfob merge` does, and
/// notes the sync-conflict copies among them as merged.
fn merge(
    vault: &mut Vault,
    paths: &[PathBuf],
    keys: SourceKeys,
    now: i64,
) -> Result<Merged, SourceFailed> {
    let copies = read_copies(vault, paths, keys)?;
    let documents: Vec<&Document> = copies.iter().map(|(_, c)| &c.document).collect();
    let result = vault.merge_and_save(&documents, now);
    vault.release_lock();
    let reports = result.map_err(|error| {
        SourceFailed::plain(format!("nothing was merged: {}", with_causes(&error)))
    })?;
    let noted: Vec<(&Path, &str)> = copies
        .iter()
        .filter(|(path, _)| copies::is_copy_of(vault.path(), path))
        .map(|(path, copy)| (path.as_path(), copy.digest.as_str()))
        .collect();
    let unnoted = copies::record_merged(vault.path(), &noted, now)
        .err()
        .map(|error| error.to_string());
    Ok(Merged {
        reports: paths.iter().cloned().zip(reports).collect(),
        accounts: vault.accounts().to_vec(),
        reminder: reminder(vault, now),
        done_with: noted.iter().map(|(path, _)| path.to_path_buf()).collect(),
        unnoted,
    })
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

fn save(
    vault: &mut Vault,
    known: &mut Option<Vec<Account>>,
    edited: Vec<Account>,
    now: i64,
) -> WorkerEvent {
    let base = known.as_deref().unwrap_or(vault.accounts());
    let rebased = rebase(vault.accounts(), base, &edited);
    let previous = std::mem::replace(vault.accounts_mut(), rebased);
    // `save` takes the writer lock (waiting for another keyfob up to
    // `KEYFOB_LOCK_WAIT`); when another keyfob changed the file since it was read,
    // it merges with it, and refuses only when both changed one secret.
    let result = vault.save();
    vault.release_lock();
    match result {
        Ok(()) => {
            let merged =
                (!same_accounts(vault.accounts(), &edited)).then(|| vault.accounts().to_vec());
            *known = merged.is_some().then_some(edited);
            WorkerEvent::Saved {
                reminder: reminder(vault, now),
                merged,
            }
        }
        Err(e) => {
            *vault.accounts_mut() = previous;
            WorkerEvent::SaveFailed(format!("{e}"))
        }
    }
}

/// The list to save when the UI edited `known` (what it was last told the vault
/// holds) into `edited`, while the vault holds `current`, which can carry more:
/// another keyfob's changes that an earlier save merged in. The UI's changes are
/// applied field by field to `current`; accounts it did not touch are taken from
/// `current`, and accounts it never saw are kept where `current` has them. So a
/// save never undoes or deletes what a merge brought in.
fn rebase(current: &[Account], known: &[Account], edited: &[Account]) -> Vec<Account> {
    let known: HashMap<&AccountId, &Account> = known.iter().map(|a| (&a.id, a)).collect();
    let now_held: HashMap<&AccountId, &Account> = current.iter().map(|a| (&a.id, a)).collect();
    let edited_ids: HashSet<AccountId> = edited.iter().map(|a| a.id.clone()).collect();
    let mut out = Vec::with_capacity(current.len().max(edited.len()));
    for account in edited {
        match (known.get(&account.id), now_held.get(&account.id)) {
            // Added by the UI, or changed by it after another copy removed it.
            (None, _) => out.push(account.clone()),
            (Some(&before), None) if !same_account(account, before) => out.push(account.clone()),
            // Removed elsewhere and untouched here: it stays removed.
            (Some(_), None) => {}
            (Some(&before), Some(&held)) => out.push(apply_edits(held, before, account)),
        }
    }
    for (index, account) in current.iter().enumerate() {
        if !known.contains_key(&account.id) && !edited_ids.contains(&account.id) {
            out.insert(index.min(out.len()), account.clone());
        }
    }
    out
}

/// `held` with the fields that `after` changed from `before`.
fn apply_edits(held: &Account, before: &Account, after: &Account) -> Account {
    let mut out = held.clone();
    for field in Field::ALL {
        if field == Field::Position || field.same(after, before) {
            continue;
        }
        match (field, after.kind.counter(), held.kind.counter()) {
            // A counter only moves forward: a code the UI showed must never repeat.
            (Field::Counter, Some(mine), Some(theirs)) if theirs > mine => {}
            _ => field.copy(&mut out, after),
        }
    }
    out
}

/// Whether two lists hold the same accounts in the same order, whatever their
/// change times (which a save stamps).
fn same_accounts(a: &[Account], b: &[Account]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_account(x, y))
}

/// Whether two versions of an account agree in every field but their place.
fn same_account(x: &Account, y: &Account) -> bool {
    x.id == y.id
        && Field::ALL
            .iter()
            .all(|&f| f == Field::Position || f.same(x, y))
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

/// What a job on the open vault says while the vault is locked.
const LOCKED: &str = "the vault is locked";

/// Reports the files read as [`WorkerEvent::Progress`]; asks for no password
/// (the screen asks, then starts the job again).
struct Progress<'a>(&'a Sender<WorkerEvent>);

impl Callbacks for Progress<'_> {
    fn progress(&mut self, done: usize, total: usize, _path: &Path) {
        let _ = self.0.send(WorkerEvent::Progress { done, total });
    }
}

/// The credentials `keys` stand for, reading the identity file if one is
/// named; the error says which file could not be used.
fn credentials(keys: SourceKeys) -> Result<Credentials, String> {
    let identity = match &keys.identity {
        Some(path) => Some(Key::from_identity_file(path).map_err(|error| {
            format!(
                "the identity file '{}': {}",
                keyfob::text::escape_path(path),
                with_causes(&error)
            )
        })?),
        None => None,
    };
    Ok(Credentials {
        password: keys.password,
        identity,
    })
}

/// Writes an export, saves it at `out` (never over an existing file) and records it.
fn export_to(
    vault_path: &Path,
    format: ExportFormat,
    accounts: &[Account],
    options: &ExportOptions,
    out: &Path,
    now: i64,
) -> Result<String, String> {
    let made = export::write(format, accounts, options).map_err(|e| export_error(&e))?;
    let written = made
        .save(out, vault_path, false)
        .map_err(|e| export_error(&e))?;
    let recorded = made.record(vault_path, now);
    let left_out = match made.skipped.len() {
        0 => String::new(),
        n => format!(
            " ({n} account{} left out: {})",
            if n == 1 { "" } else { "s" },
            made.skipped
                .iter()
                .map(|s| format!("{}: {}", s.label(), s.reason))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let what = match written.as_slice() {
        [one] => format!("'{}'", one.display()),
        many => format!("{} QR codes into '{}'", many.len(), out.display()),
    };
    let mut message = format!("Wrote {what}{left_out}");
    match format.plaintext_warning() {
        Some(warning) => message.push_str(&format!(": {warning}")),
        None if format == ExportFormat::Paper => message.push_str(&format!(
            " (fingerprint {}): print it, then verify the printout here",
            made.fingerprint
        )),
        None => message.push_str(": verify it here"),
    }
    if let Err(error) = recorded {
        message.push_str(&format!(" (not recorded for reminders: {error})"));
    }
    Ok(message)
}

/// An export error with what to do.
fn export_error(error: &ExportError) -> String {
    match error {
        ExportError::Path(PathError::Exists { .. }) => {
            format!("{error}; keyfob will not overwrite it: choose another name")
        }
        ExportError::Path(_) | ExportError::NotADirectory(_) => {
            format!("{error}; choose another name")
        }
        other => with_causes(other),
    }
}

/// Reads an import and sorts it against the vault's accounts.
fn preview(
    paths: &[PathBuf],
    keys: SourceKeys,
    accounts: &[Account],
    now: i64,
    progress: &mut Progress<'_>,
) -> Result<Preview, String> {
    let mut credentials = credentials(keys)?;
    let mut preview =
        Preview::read(paths, None, &mut credentials, now, progress).map_err(|e| with_causes(&e))?;
    preview.dedupe(accounts);
    Ok(preview)
}

/// Checks a backup against the vault and records it as `keyfob verify` does.
fn check(
    vault: &Vault,
    paths: &[PathBuf],
    keys: SourceKeys,
    now: i64,
    progress: &mut Progress<'_>,
) -> Result<Verified, SourceFailed> {
    let mut credentials = credentials(keys).map_err(|message| SourceFailed {
        message,
        needs_password: false,
        needs_identity: true,
    })?;
    let found = verify::read(paths, &mut credentials, now, progress).map_err(|error| {
        let (needs_password, needs_identity) = match &error {
            VerifyError::Input { source, .. } => (
                source.needs_password() || source.is_wrong_password(),
                source.needs_identity(),
            ),
            _ => (false, false),
        };
        SourceFailed {
            message: with_causes(&error),
            needs_password,
            needs_identity,
        }
    })?;
    let report = found.check(vault.path(), vault.accounts(), now);
    let log = BackupLog::load(vault.path());
    Ok(Verified {
        report,
        status: log.status(vault.accounts(), now),
        reminder: reminder(vault, now),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn exports_never_land_on_the_vaults_own_files() {
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
        for format in [ExportFormat::Paper, ExportFormat::Uris] {
            for out in ["vault.age", "vault.age.1", "vault.age.lock"] {
                let result = export_to(
                    &vault,
                    format,
                    std::slice::from_ref(&account),
                    &ExportOptions::default(),
                    &dir.path().join(out),
                    0,
                );
                let error = result.unwrap_err();
                assert!(
                    error.contains("one of keyfob's own files"),
                    "{out}: {error}"
                );
            }
        }
        assert_eq!(std::fs::read(&vault).unwrap(), b"the vault");
        assert_eq!(
            std::fs::read(dir.path().join("vault.age.1")).unwrap(),
            b"a backup"
        );
        assert!(!dir.path().join("vault.age.lock").exists());
    }

    fn totp(issuer: &str) -> Account {
        let secret = keyfob::Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        Account::new(
            issuer,
            "alice",
            secret,
            keyfob::Kind::DEFAULT_TOTP,
            keyfob::Algorithm::Sha1,
            6,
            0,
        )
        .unwrap()
    }

    #[test]
    fn the_backup_reminder_names_the_uis_key_not_a_command() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::generate_identity("2026-12-07T00:00:00Z").0;
        let mut vault = Vault::create(&dir.path().join("vault.age"), key, 0).unwrap();
        vault.accounts_mut().push(totp("GitHub"));
        vault.save().unwrap();
        let text = reminder(&vault, 0).unwrap();
        assert!(
            text.starts_with("no verified backup yet: make one with Ctrl-P"),
            "{text}"
        );
        assert!(!text.contains("keyfob "), "{text}");
    }

    #[test]
    fn a_save_keeps_what_a_merge_brought_in_and_applies_only_the_uis_edits() {
        let (a, b, x) = (totp("A"), totp("B"), totp("X"));
        let known = vec![a.clone(), b.clone()];
        // Another keyfob renamed A and added X; an earlier save merged that in.
        let mut a_there = a.clone();
        a_there.name = "bob".into();
        let current = vec![a_there, b, x.clone()];
        // The UI, still on `known`, wrote a note on A and removed B.
        let mut a_here = a.clone();
        a_here.note = "codes in the safe".into();
        let saved = rebase(&current, &known, &[a_here]);
        let ids: Vec<_> = saved.iter().map(|s| s.id.clone()).collect();
        assert_eq!(ids, [a.id.clone(), x.id]);
        assert_eq!(
            (saved[0].name.as_str(), saved[0].note.as_str()),
            ("bob", "codes in the safe")
        );
    }

    #[test]
    fn a_save_never_moves_a_counter_back_nor_brings_back_what_another_copy_removed() {
        let secret = keyfob::Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let hotp = |counter| {
            Account::new(
                "H",
                "alice",
                secret.clone(),
                keyfob::Kind::Hotp { counter },
                keyfob::Algorithm::Sha1,
                6,
                0,
            )
            .unwrap()
        };
        let h = hotp(5);
        let gone = totp("Gone");
        let known = vec![h.clone(), gone.clone()];
        let mut there = h.clone();
        there.kind = keyfob::Kind::Hotp { counter: 9 };
        let mut here = h.clone();
        here.kind = keyfob::Kind::Hotp { counter: 6 };
        let saved = rebase(&[there], &known, &[here, gone]);
        assert_eq!(
            saved.len(),
            1,
            "the account removed elsewhere stays removed"
        );
        assert_eq!(saved[0].kind.counter(), Some(9));
    }

    /// A worker thread on a new vault encrypted to a new identity file, unlocked.
    struct Running {
        dir: tempfile::TempDir,
        vault_path: PathBuf,
        identity: PathBuf,
        jobs: Sender<Job>,
        events: Receiver<WorkerEvent>,
        worker: std::thread::JoinHandle<()>,
    }

    fn running() -> Running {
        let dir = tempfile::tempdir().unwrap();
        let vault_path = dir.path().join("vault.age");
        let identity = dir.path().join("id.txt");
        let config = WorkerConfig {
            vault_path: vault_path.clone(),
            lock_wait: std::time::Duration::ZERO,
        };
        let (jobs, job_rx) = std::sync::mpsc::channel::<Job>();
        let (event_tx, events) = std::sync::mpsc::channel::<WorkerEvent>();
        let worker = std::thread::spawn(move || run(config, job_rx, event_tx, || 1_800_000_000));
        jobs.send(Job::CreateWithIdentity(identity.clone()))
            .unwrap();
        assert!(matches!(
            events.recv().unwrap(),
            WorkerEvent::Unlocked { .. }
        ));
        Running {
            dir,
            vault_path,
            identity,
            jobs,
            events,
            worker,
        }
    }

    #[test]
    fn the_worker_merges_another_keyfobs_save_and_later_saves_keep_it() {
        let Running {
            dir: _dir,
            vault_path,
            identity,
            jobs,
            events,
            worker,
        } = running();
        let mut a = totp("A");
        jobs.send(Job::Save(vec![a.clone()])).unwrap();
        assert!(matches!(
            events.recv().unwrap(),
            WorkerEvent::Saved { merged: None, .. }
        ));
        // Another keyfob adds X.
        let key = || Key::from_identity_file(&identity).unwrap();
        let mut other = Vault::open(&vault_path, key()).unwrap();
        other.accounts_mut().push(totp("X"));
        other.save().unwrap();
        drop(other);
        let issuers = || -> Vec<String> {
            let vault = Vault::open(&vault_path, key()).unwrap();
            vault
                .accounts()
                .iter()
                .map(|a| format!("{}/{}/{}", a.issuer, a.name, a.note))
                .collect()
        };
        // The UI, which has not seen X, writes a note on A: the save merges.
        a.note = "n".into();
        jobs.send(Job::Save(vec![a.clone()])).unwrap();
        match events.recv().unwrap() {
            WorkerEvent::Saved {
                merged: Some(merged),
                ..
            } => assert_eq!(merged.len(), 2),
            _ => panic!("the save should report the merged accounts"),
        }
        // It saves again before taking them: X stays.
        a.name = "bob".into();
        jobs.send(Job::Save(vec![a.clone()])).unwrap();
        assert!(matches!(events.recv().unwrap(), WorkerEvent::Saved { .. }));
        assert_eq!(issuers(), ["A/bob/n", "X/alice/"]);
        // Once it took them, a list without X removes X.
        jobs.send(Job::Adopt).unwrap();
        jobs.send(Job::Save(vec![a])).unwrap();
        assert!(matches!(
            events.recv().unwrap(),
            WorkerEvent::Saved { merged: None, .. }
        ));
        assert_eq!(issuers(), ["A/bob/n"]);
        drop(jobs);
        worker.join().unwrap();
    }

    #[test]
    fn a_refresh_brings_in_another_programs_save_and_only_that() {
        let Running {
            dir: _dir,
            vault_path,
            identity,
            jobs,
            events,
            worker,
        } = running();
        let a = totp("A");
        jobs.send(Job::Save(vec![a.clone()])).unwrap();
        assert!(matches!(events.recv().unwrap(), WorkerEvent::Saved { .. }));
        // Nothing changed since (our own save is not another program's): no answer,
        // so the next event is the status asked for after it.
        for _ in 0..2 {
            jobs.send(Job::Refresh).unwrap();
        }
        jobs.send(Job::BackupStatus).unwrap();
        assert!(matches!(events.recv().unwrap(), WorkerEvent::Status(_)));
        // Another keyfob adds X.
        let key = Key::from_identity_file(&identity).unwrap();
        let mut other = Vault::open(&vault_path, key.clone()).unwrap();
        other.accounts_mut().push(totp("X"));
        other.save().unwrap();
        drop(other);
        jobs.send(Job::Refresh).unwrap();
        match events.recv().unwrap() {
            WorkerEvent::Reloaded(Ok(reloaded)) => {
                let issuers: Vec<&str> = reloaded
                    .accounts
                    .iter()
                    .map(|a| a.issuer.as_str())
                    .collect();
                assert_eq!(issuers, ["A", "X"]);
            }
            _ => panic!("the refresh should bring X in"),
        }
        // The UI edits A before it took X: the save keeps X.
        let mut edited = a.clone();
        edited.note = "n".into();
        jobs.send(Job::Save(vec![edited])).unwrap();
        assert!(matches!(
            events.recv().unwrap(),
            WorkerEvent::Saved {
                merged: Some(_),
                ..
            }
        ));
        let on_disk = Vault::open(&vault_path, key.clone()).unwrap();
        let saved: Vec<(String, String)> = on_disk
            .accounts()
            .iter()
            .map(|a| (a.issuer.clone(), a.note.clone()))
            .collect();
        assert_eq!(
            saved,
            [("A".into(), "n".into()), ("X".into(), String::new())]
        );
        // The file re-keyed by another program: said once, nothing changed here.
        let mut other = Vault::open(&vault_path, key).unwrap();
        other.set_key(Key::generate_identity("now").0);
        other.save().unwrap();
        drop(other);
        jobs.send(Job::Refresh).unwrap();
        jobs.send(Job::Refresh).unwrap();
        jobs.send(Job::BackupStatus).unwrap();
        match events.recv().unwrap() {
            WorkerEvent::Reloaded(Err(message)) => {
                assert!(
                    message.contains("no longer opens with this key"),
                    "{message}"
                );
            }
            _ => panic!("a re-keyed file should be reported"),
        }
        assert!(matches!(events.recv().unwrap(), WorkerEvent::Status(_)));
        drop(jobs);
        worker.join().unwrap();
    }

    #[test]
    fn a_sync_conflict_copy_beside_the_vault_is_named_above_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let vault_path = dir.path().join("vault.age");
        let copy = dir
            .path()
            .join("vault.sync-conflict-20261202-101010-ABCDEFG.age");
        let mut slot = None;
        let mut known = None;
        let (key, _) = Key::generate_identity("now");
        let vault = Vault::create(&vault_path, key, 0).unwrap();
        std::fs::write(&copy, b"another copy").unwrap();
        let WorkerEvent::Unlocked { reminder, .. } = unlocked(&mut slot, &mut known, vault, 0)
        else {
            panic!("not unlocked");
        };
        let reminder = reminder.unwrap_or_default();
        assert!(
            reminder == "another copy of this vault exists: Ctrl-G merges it",
            "{reminder}"
        );
    }

    #[test]
    fn the_worker_merges_copies_with_the_key_each_needs_and_stops_naming_them() {
        let Running {
            dir,
            vault_path,
            identity,
            jobs,
            events,
            worker,
        } = running();
        jobs.send(Job::Save(vec![totp("A")])).unwrap();
        assert!(matches!(events.recv().unwrap(), WorkerEvent::Saved { .. }));
        // A sync-conflict copy under the vault's key, with B added; a USB
        // stick's copy under a passphrase, with C.
        let key = Key::from_identity_file(&identity).unwrap();
        let copy = dir
            .path()
            .join("vault.sync-conflict-20261202-101010-ABCDEFG.age");
        std::fs::copy(&vault_path, &copy).unwrap();
        let mut other = Vault::open(&copy, key.clone()).unwrap();
        other.accounts_mut().push(totp("B"));
        other.save().unwrap();
        drop(other);
        let stick = dir.path().join("stick.age");
        let mut other =
            Vault::create(&stick, Key::passphrase("stick pass".to_string().into()), 0).unwrap();
        other.accounts_mut().push(totp("C"));
        other.save().unwrap();
        drop(other);
        let bytes = |p: &Path| std::fs::read(p).unwrap();
        let (vault_before, copy_before, stick_before) =
            (bytes(&vault_path), bytes(&copy), bytes(&stick));
        let both = vec![copy.clone(), stick.clone()];
        // Without the stick's passphrase: asked for, nothing read.
        jobs.send(Job::MergePreview(both.clone(), SourceKeys::default()))
            .unwrap();
        match events.recv().unwrap() {
            WorkerEvent::MergePreviewed(Err(failed)) => {
                assert!(
                    failed.needs_password && !failed.needs_identity,
                    "{failed:?}"
                );
                assert!(failed.message.contains("stick.age"), "{}", failed.message);
            }
            _ => panic!("the preview should ask for the stick's passphrase"),
        }
        let keys = || SourceKeys {
            password: Some(Zeroizing::new(b"stick pass".to_vec())),
            identity: None,
        };
        jobs.send(Job::MergePreview(both.clone(), keys())).unwrap();
        match events.recv().unwrap() {
            WorkerEvent::MergePreviewed(Ok(reports)) => {
                let added: Vec<Vec<String>> = reports
                    .iter()
                    .map(|(_, r)| r.added.iter().map(|e| e.label.clone()).collect())
                    .collect();
                assert_eq!(added, [vec!["B (alice)"], vec!["C (alice)"]]);
            }
            _ => panic!("the preview should read both copies"),
        }
        assert_eq!(bytes(&vault_path), vault_before, "a preview saved");
        jobs.send(Job::Merge(both.clone(), keys())).unwrap();
        match events.recv().unwrap() {
            WorkerEvent::Merged(Ok(merged)) => {
                let mut issuers: Vec<&str> =
                    merged.accounts.iter().map(|a| a.issuer.as_str()).collect();
                issuers.sort_unstable();
                assert_eq!(issuers, ["A", "B", "C"]);
                let reminder = merged.reminder.unwrap_or_default();
                assert!(!reminder.contains("another copy"), "{reminder}");
                assert!(merged.unnoted.is_none());
                assert_eq!(
                    merged.done_with,
                    std::slice::from_ref(&copy),
                    "the stick is not a sync-conflict copy"
                );
            }
            _ => panic!("the merge should succeed"),
        }
        assert_eq!(
            (bytes(&copy), bytes(&stick)),
            (copy_before, stick_before),
            "a copy was changed"
        );
        let on_disk = Vault::open(&vault_path, key).unwrap();
        assert_eq!(on_disk.accounts().len(), 3);
        // The UI's next save starts from the merged accounts: nothing is lost.
        jobs.send(Job::Save(on_disk.accounts().to_vec())).unwrap();
        assert!(matches!(
            events.recv().unwrap(),
            WorkerEvent::Saved { merged: None, .. }
        ));
        drop(jobs);
        worker.join().unwrap();
    }
}
