//! The vault: every account in one age-encrypted, versioned JSON document.
//!
//! [`Vault`] ties the pieces together: [`crypto`] encrypts and decrypts, [`store`]
//! replaces the file atomically, keeps the backups [`retention`] asks for and
//! serialises writers.
//! A vault remembers the exact bytes it was opened from. When the file changed since
//! (another keyfob, a sync tool), a save re-reads it and [`merge`]s with it instead of
//! overwriting it; when both changed one account's secret, the save is refused, so
//! nobody's changes are silently lost. Every save first stamps what changed since the
//! last read or write ([`merge::record_changes`]), so the per-field change times and
//! tombstones a merge needs never depend on a caller remembering them.

pub mod backups;
pub mod copies;
pub mod crypto;
pub mod location;
pub mod merge;
pub mod paths;
pub mod retention;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::account::{Account, AccountError};
pub use crypto::Key;
pub use merge::{MergeReport, Tombstone};
pub use store::VaultLock;

/// Value of the `format` field that marks a keyfob vault document.
pub const FORMAT_TAG: &str = "keyfob-vault";
/// Document version written (and the newest read) by this keyfob. Version 2 added the
/// per-field change times, positions and superseded secrets of accounts and the
/// tombstones of removed ones; version 1 documents are upgraded when read.
pub const VERSION: u32 = 2;
/// Default number of backups `NAME.1` … kept beside the vault (see [`retention`]).
pub const DEFAULT_BACKUPS: usize = retention::RECENT;
/// Default time a writer waits for another keyfob to release the vault.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// Errors opening, decrypting or saving a vault. None of them changes the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// No file at the vault path.
    #[error("no vault found (create one with 'keyfob init')")]
    NotFound,
    /// `init` was asked to create a vault where one exists.
    #[error("a vault already exists there; keyfob will not overwrite it")]
    AlreadyExists,
    /// The passphrase did not decrypt the vault.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// None of the identities decrypts the vault.
    #[error("the identity does not match this vault (wrong identity file)")]
    WrongIdentity,
    /// A passphrase was given for an identity-protected vault.
    #[error("this vault is encrypted to an age identity: pass it with --identity")]
    NeedsIdentity,
    /// An identity was given for a passphrase-protected vault.
    #[error("this vault is protected by a passphrase, not an identity: leave out --identity")]
    NeedsPassphrase,
    /// The file is not an age file at all.
    #[error("not a keyfob vault (the file is not age-encrypted)")]
    NotAgeFile,
    /// The file decrypted, but does not hold a keyfob vault document.
    #[error("not a keyfob vault (the file is age-encrypted but holds something else)")]
    NotKeyfobVault,
    /// The file is truncated, modified or otherwise corrupt.
    #[error(
        "the vault file is damaged (truncated or modified); earlier versions are kept beside it as '<vault>.1' …, '<vault>.daily-…' and '<vault>.weekly-…'"
    )]
    Damaged,
    /// The document version is newer than this keyfob understands.
    #[error(
        "this vault was written by a newer keyfob (format version {found}, this keyfob reads up to {VERSION}); upgrade keyfob"
    )]
    TooNew {
        /// Version found in the file.
        found: u32,
    },
    /// The scrypt work factor in the file is beyond what keyfob accepts.
    #[error(
        "the vault asks for scrypt work factor {work_factor}, more than the {} keyfob accepts",
        crypto::MAX_WORK_FACTOR
    )]
    ExcessiveWork {
        /// Work factor (log2 N) required by the file.
        work_factor: u8,
    },
    /// An account in the document is invalid. Its message includes the account
    /// error, which is therefore not also exposed as the source (it would print twice).
    #[error("the vault holds an invalid account: {0}")]
    InvalidAccount(AccountError),
    /// The file is larger than any plausible vault.
    #[error("the file is too large to be a keyfob vault")]
    TooLarge,
    /// Another keyfob holds the writer lock.
    #[error("vault is in use by another keyfob ({}); try again when it has finished", pid.map_or_else(|| "pid unknown".to_string(), |p| format!("pid {p}")))]
    InUse {
        /// Process id recorded in the lock file, if readable.
        pid: Option<u32>,
    },
    /// The file changed on disk since it was opened.
    #[error(
        "the vault was changed by another keyfob since it was opened; your change was not saved, reopen and try again"
    )]
    ChangedOnDisk,
    /// The file changed on disk since it was opened, and merging with it found
    /// accounts whose secret both sides changed.
    #[error(
        "the vault was changed by another keyfob since it was opened and both changed the secret of {}; your change was not saved",
        quoted_list(.accounts)
    )]
    MergeConflict {
        /// Labels of the accounts in conflict.
        accounts: Vec<String>,
    },
    /// Reading the vault failed.
    #[error("could not read the vault")]
    Read {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing the vault failed; the previous file is unchanged.
    #[error("could not save the vault; the previous version is unchanged")]
    Write {
        /// The I/O error (for example, no space left on device).
        #[source]
        source: std::io::Error,
    },
    /// The lock file could not be used.
    #[error("could not lock the vault")]
    Lock {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Encryption failed.
    #[error("could not encrypt the vault")]
    Encrypt,
    /// The identity file could not be read (or is far larger than one).
    #[error("could not read the identity file")]
    IdentityRead {
        /// What went wrong reading it.
        #[source]
        source: crate::bounded::ReadError,
    },
    /// A line starts like an age identity but is not a valid one.
    #[error(
        "line {line} of the identity file starts like an age identity ('AGE-SECRET-KEY-1…') but is damaged (its checksum does not match: a character was changed, lost or added); copy the identity again from the original"
    )]
    IdentityDamaged {
        /// The line's number, from 1.
        line: usize,
    },
    /// The identity file holds no usable age X25519 identity.
    #[error(
        "the identity file holds no age identity (expected a line starting with 'AGE-SECRET-KEY-1')"
    )]
    IdentityInvalid,
    /// A backup recipient is not an age X25519 public key.
    #[error("'{}' is not an age recipient (expected a public key starting with 'age1')", crate::text::Escaped(.0))]
    RecipientInvalid(String),
    /// The lock file is a symbolic link (keyfob never follows one there).
    #[error("the lock file '{}' is a symbolic link; remove it", path.display())]
    LockIsLink {
        /// The lock file's path.
        path: PathBuf,
    },
    /// The vault path cannot be used.
    #[error(transparent)]
    Path(#[from] paths::PathError),
    /// A `keyfob.vault.age` beside the program exists but is not a usable vault file.
    #[error("the portable vault '{}' is {kind}, not a vault file", path.display())]
    PortableUnusable {
        /// The portable vault path.
        path: PathBuf,
        /// What is there, e.g. 'a directory'.
        kind: &'static str,
    },
    /// No location for the vault could be determined.
    #[error("no home or data directory found; pass --vault PATH or set KEYFOB_VAULT")]
    NoLocation,
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("'{item}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<AccountError> for VaultError {
    fn from(error: AccountError) -> Self {
        VaultError::InvalidAccount(error)
    }
}

/// Vault-level metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// When the vault was created (unix seconds).
    #[serde(default)]
    pub created: i64,
}

/// The decrypted vault document. `Debug` shows no secrets (accounts redact theirs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Always [`FORMAT_TAG`].
    pub format: String,
    /// Schema version.
    pub version: u32,
    /// Metadata.
    #[serde(default)]
    pub meta: Meta,
    /// The accounts, in display order.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Removed accounts, sorted by id (format version 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tombstones: Vec<Tombstone>,
}

#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u32>,
}

impl Document {
    /// An empty document created at `now`.
    pub fn new(now: i64) -> Self {
        Document {
            format: FORMAT_TAG.to_string(),
            version: VERSION,
            meta: Meta { created: now },
            accounts: Vec::new(),
            tombstones: Vec::new(),
        }
    }

    /// Parses and validates decrypted document bytes.
    pub fn from_json(plaintext: &[u8]) -> Result<Self, VaultError> {
        let header: Header =
            serde_json::from_slice(plaintext).map_err(|_| VaultError::NotKeyfobVault)?;
        if header.format.as_deref() != Some(FORMAT_TAG) {
            return Err(VaultError::NotKeyfobVault);
        }
        let version = header.version.ok_or(VaultError::NotKeyfobVault)?;
        if version > VERSION {
            return Err(VaultError::TooNew { found: version });
        }
        let mut document: Document =
            serde_json::from_slice(plaintext).map_err(|_| VaultError::Damaged)?;
        for account in &document.accounts {
            account.validate()?;
        }
        if version < 2 {
            document.upgrade_v1();
        }
        // The list grew by doubling while parsed: held for as long as the vault is
        // open, it should take only the room its accounts need.
        document.accounts.shrink_to_fit();
        document.tombstones.shrink_to_fit();
        Ok(document)
    }

    /// Fills in what version 2 adds to a version 1 document, from its content alone,
    /// so that two copies upgraded apart from one file agree: every field of an
    /// account changed at its `modified` time (or `created`, if later), positions
    /// follow the order in the file. Ids are version 1's own (random, assigned when
    /// each account was added), so copies of one file already share them. `version`
    /// stays 1 until the next save writes version 2.
    fn upgrade_v1(&mut self) {
        for (n, account) in (1_i64..).zip(&mut self.accounts) {
            account.changed = crate::account::Changed::all(account.modified.max(account.created));
            account.position = n.saturating_mul(1 << 20);
        }
    }

    /// Serialises into a zeroizing buffer.
    pub fn to_json(&self) -> Zeroizing<Vec<u8>> {
        // Pre-size so the buffer holding secrets is not reallocated (and copied) as it grows.
        let mut out = Zeroizing::new(Vec::with_capacity(4096 + 1024 * self.accounts.len()));
        // Serialising plain data into a Vec cannot fail.
        let _ = serde_json::to_writer_pretty(&mut *out, self);
        out
    }
}

/// What [`Vault::reencrypt_backups`] did, backup by backup.
#[derive(Debug, Default)]
pub struct Reencrypted {
    /// Backups now encrypted to the current key instead of the old one.
    pub reencrypted: Vec<PathBuf>,
    /// Backups that already opened with the current key, left as they were.
    pub already: Vec<PathBuf>,
    /// Backups left unchanged, with the reason: one that opens with neither key
    /// (an even older passphrase) is here with the error of the old key.
    pub left: Vec<(PathBuf, VaultError)>,
}

/// An open vault: its document, its key and where it lives.
#[derive(Debug)]
pub struct Vault {
    path: PathBuf,
    key: Key,
    document: Document,
    /// The SHA-256 of the file as last read or written (ciphertext), to notice
    /// another writer's change before saving. A digest, not the bytes: for a large
    /// vault held open (the terminal UI, the agent) the file is megabytes.
    loaded: Option<FileDigest>,
    /// The document as last read or written, to tell whether a save loses
    /// anything (see [`retention::classify`]) and what changed since.
    on_disk: OnDisk,
    /// The document with every change stamped, when it is not `on_disk` (after a
    /// merge): changes made since are found (and stamped) by comparing with
    /// [`baseline`](Self::baseline). Not a second copy otherwise, which for a
    /// large vault held open (the terminal UI, the agent) is megabytes.
    baseline: Option<Document>,
    lock: Option<VaultLock>,
    backups: usize,
    lock_wait: Duration,
}

/// What an open [`Vault`] knows of the document in its file.
#[derive(Debug, Clone)]
enum OnDisk {
    /// There is no file yet.
    Nothing,
    /// The file holds the vault's document as it is now (just read or written and
    /// not changed since): no second copy is kept until something asks to change
    /// the document (for a large vault held open, that copy is megabytes).
    Same,
    /// The file holds this; the vault's document has been changed since.
    Copy(Document),
}

/// The SHA-256 of a vault file's bytes: what [`Vault`] remembers of the file it
/// read or wrote, to tell whether another writer changed it since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileDigest([u8; 32]);

impl FileDigest {
    fn of(bytes: &[u8]) -> Self {
        use sha2::Digest as _;
        FileDigest(sha2::Sha256::digest(bytes).into())
    }

    /// Lower-case hex, as the backup log keeps it (see [`copies::record_merged`]).
    fn hex(self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }
}

impl Vault {
    /// Creates a new, empty vault at `path`. Refuses to overwrite an existing file.
    /// A symbolic link at `path` is kept: the vault is created at its target (see
    /// [`paths::resolve_vault`]). Missing directories are created with mode 0700.
    pub fn create(path: &Path, key: Key, now: i64) -> Result<Self, VaultError> {
        let path = &paths::resolve_vault(path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            paths::create_private_dir_all(dir).map_err(|source| VaultError::Write { source })?;
        }
        let lock = VaultLock::acquire(path, DEFAULT_LOCK_WAIT)?;
        if path.exists() {
            return Err(VaultError::AlreadyExists);
        }
        let mut vault = Vault {
            path: path.to_path_buf(),
            key,
            document: Document::new(now),
            loaded: None,
            on_disk: OnDisk::Nothing,
            baseline: None,
            lock: Some(lock),
            backups: DEFAULT_BACKUPS,
            lock_wait: DEFAULT_LOCK_WAIT,
        };
        vault.save_at(now)?;
        Ok(vault)
    }

    /// Opens a vault for reading. Saving later takes the lock and refuses if the
    /// file changed in between. A vault reached through a symbolic link is used at
    /// its target: the lock, backups and saves go there and the link stays.
    pub fn open(path: &Path, key: Key) -> Result<Self, VaultError> {
        let path = &paths::resolve_vault(path)?;
        let bytes = store::read_limited(path)?;
        Self::from_bytes(path, key, bytes, None)
    }

    /// Opens a vault holding the writer lock until the vault is dropped, waiting
    /// up to `wait` for another keyfob. Use this for read-modify-write commands.
    pub fn open_locked(path: &Path, key: Key, wait: Duration) -> Result<Self, VaultError> {
        let path = &paths::resolve_vault(path)?;
        if !path.exists() {
            return Err(VaultError::NotFound);
        }
        let lock = VaultLock::acquire(path, wait)?;
        store::remove_stale_temps(path);
        let bytes = store::read_limited(path)?;
        let mut vault = Self::from_bytes(path, key, bytes, Some(lock))?;
        vault.lock_wait = wait;
        Ok(vault)
    }

    fn from_bytes(
        path: &Path,
        key: Key,
        bytes: Vec<u8>,
        lock: Option<VaultLock>,
    ) -> Result<Self, VaultError> {
        let plaintext = crypto::decrypt(&bytes, &key)?;
        let loaded = FileDigest::of(&bytes);
        // Megabytes for a large vault: not held while the plaintext is parsed.
        drop(bytes);
        let document = Document::from_json(&plaintext)?;
        drop(plaintext);
        Ok(Vault {
            path: path.to_path_buf(),
            key,
            on_disk: OnDisk::Same,
            baseline: None,
            document,
            loaded: Some(loaded),
            lock,
            backups: DEFAULT_BACKUPS,
            lock_wait: DEFAULT_LOCK_WAIT,
        })
    }

    /// Where the vault lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key that unlocks it.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Replaces the key; takes effect at the next [`save`](Self::save).
    pub fn set_key(&mut self, key: Key) {
        self.key = key;
    }

    /// How long [`save`](Self::save) waits for another keyfob's writer lock.
    pub fn set_lock_wait(&mut self, wait: Duration) {
        self.lock_wait = wait;
    }

    /// How many backups `NAME.1` … to keep (0 disables every backup, the tiers too).
    pub fn set_backups(&mut self, backups: usize) {
        self.backups = backups;
    }

    /// The document.
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The document, for changes; call [`save`](Self::save) afterwards.
    pub fn document_mut(&mut self) -> &mut Document {
        self.keep_on_disk();
        &mut self.document
    }

    /// The accounts in display order.
    pub fn accounts(&self) -> &[Account] {
        &self.document.accounts
    }

    /// The accounts, for changes.
    pub fn accounts_mut(&mut self) -> &mut Vec<Account> {
        self.keep_on_disk();
        &mut self.document.accounts
    }

    /// The document as last read or written (`None` before the first save).
    fn on_disk(&self) -> Option<&Document> {
        match &self.on_disk {
            OnDisk::Nothing => None,
            OnDisk::Same => Some(&self.document),
            OnDisk::Copy(document) => Some(document),
        }
    }

    /// Copies the document as it is in the file before the document is changed
    /// (every way to change it goes through here).
    fn keep_on_disk(&mut self) {
        if matches!(self.on_disk, OnDisk::Same) {
            self.on_disk = OnDisk::Copy(self.document.clone());
        }
    }

    /// [`save_at`](Self::save_at) the current time.
    pub fn save(&mut self) -> Result<(), VaultError> {
        self.save_at(crate::clock::now())
    }

    /// Stamps the changes made since the last read or write at unix time `now`
    /// ([`merge::record_changes`]), then encrypts and atomically writes the
    /// document (as version [`VERSION`], tombstones older than
    /// [`merge::TOMBSTONE_KEEP`] pruned), keeping the backups the [`retention`]
    /// rule asks for. Takes the writer lock if not already held. If the file
    /// changed on disk since it was read, it is read again with the same key and
    /// merged with ([`merge::merge`]) before writing; the save is refused, the file
    /// and this vault's document unchanged, when that merge finds a secret
    /// conflict ([`VaultError::MergeConflict`]) or the file no longer opens with
    /// this key or is gone ([`VaultError::ChangedOnDisk`]).
    pub fn save_at(&mut self, now: i64) -> Result<(), VaultError> {
        if self.lock.is_none() {
            self.lock = Some(VaultLock::acquire(&self.path, self.lock_wait)?);
        }
        let current = match store::read_limited(&self.path) {
            Ok(bytes) => Some(bytes),
            Err(VaultError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let mut document = self.document.clone();
        merge::record_changes(&mut document, self.baseline(), now);
        let mut replaced = self.on_disk();
        let theirs;
        if current.as_deref().map(FileDigest::of) != self.loaded {
            let bytes = current.as_deref().ok_or(VaultError::ChangedOnDisk)?;
            theirs = crypto::decrypt(bytes, &self.key)
                .and_then(|plaintext| Document::from_json(&plaintext))
                .map_err(|_| VaultError::ChangedOnDisk)?;
            let report = merge::merge(&mut document, &theirs);
            if !report.conflicts.is_empty() {
                return Err(VaultError::MergeConflict {
                    accounts: report.conflicts.into_iter().map(|c| c.label).collect(),
                });
            }
            replaced = Some(&theirs);
        }
        merge::prune_tombstones(&mut document, now);
        document.version = VERSION;
        store::remove_stale_temps(&self.path);
        let change = retention::classify(replaced, &document);
        let plaintext = document.to_json();
        let ciphertext = crypto::encrypt(&plaintext, &self.key)?;
        store::write_vault(&self.path, &ciphertext, change, self.backups, now)?;
        self.loaded = Some(FileDigest::of(&ciphertext));
        self.on_disk = OnDisk::Same;
        self.baseline = None;
        self.document = document;
        Ok(())
    }

    /// What unsaved changes are found against: the document as last stamped.
    fn baseline(&self) -> Option<&Document> {
        self.baseline.as_ref().or(self.on_disk())
    }

    /// Merges another copy's document into this vault's ([`merge::merge`]), after
    /// stamping this vault's own unsaved changes at `now`; [`save`](Self::save)
    /// writes the result. The report says what changed; when its `changed` is
    /// false, the document is exactly as before and need not be saved.
    pub fn merge_from(&mut self, other: &Document, now: i64) -> MergeReport {
        self.keep_on_disk();
        // The fields apart: `baseline()` would borrow the whole vault.
        let on_disk = match &self.on_disk {
            OnDisk::Copy(document) => Some(document),
            OnDisk::Nothing | OnDisk::Same => None,
        };
        let baseline = self.baseline.as_ref().or(on_disk);
        merge::record_changes(&mut self.document, baseline, now);
        let report = merge::merge(&mut self.document, other);
        self.baseline = Some(self.document.clone());
        report
    }

    /// What merging `others` into the vault one after the other would do (a
    /// report for each), without changing the vault: the dry run of
    /// [`merge_and_save`](Self::merge_and_save).
    pub fn merge_preview(&self, others: &[&Document], now: i64) -> Vec<MergeReport> {
        let mut document = self.document.clone();
        merge::record_changes(&mut document, self.baseline(), now);
        others
            .iter()
            .map(|other| merge::merge(&mut document, other))
            .collect()
    }

    /// Merges `others` into the vault one after the other ([`merge_from`](Self::merge_from))
    /// and saves the result when anything changed (a report for each). When
    /// nothing is new the file is not touched; when the save fails (another
    /// keyfob's change in conflict, a full disk) the vault is left exactly as it
    /// was before the call, in memory and on disk.
    pub fn merge_and_save(
        &mut self,
        others: &[&Document],
        now: i64,
    ) -> Result<Vec<MergeReport>, VaultError> {
        let before = (
            self.document.clone(),
            self.on_disk.clone(),
            self.baseline.clone(),
        );
        let reports: Vec<MergeReport> = others
            .iter()
            .map(|other| self.merge_from(other, now))
            .collect();
        let changed = reports.iter().any(|r| r.changed);
        let saved = if changed { self.save_at(now) } else { Ok(()) };
        if !changed || saved.is_err() {
            // Nothing learnt (drop the copies `merge_from` made), or not saved.
            (self.document, self.on_disk, self.baseline) = before;
        }
        saved.map(|()| reports)
    }

    /// Re-encrypts every backup beside the vault ([`store::list_backups`]) from
    /// `old` to the vault's current key, each replaced atomically under its own
    /// name (0600). Backups that already open with the current key are left as
    /// they are; one that opens with neither key, or cannot be rewritten, is
    /// listed with the reason and left unchanged. Takes the writer lock if not
    /// held, and removes temp files a killed earlier run left of a backup it
    /// rewrites. `progress(n, total, path)` is called before each backup.
    pub fn reencrypt_backups(
        &mut self,
        old: &Key,
        mut progress: impl FnMut(usize, usize, &Path),
    ) -> Result<Reencrypted, VaultError> {
        if self.lock.is_none() {
            self.lock = Some(VaultLock::acquire(&self.path, self.lock_wait)?);
        }
        let backups = store::list_backups(&self.path);
        let mut report = Reencrypted::default();
        // Backups are often hard links of one another: encrypt each version once.
        let mut done: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for (n, path) in backups.iter().enumerate() {
            progress(n + 1, backups.len(), path);
            let result = store::read_limited(path).and_then(|bytes| {
                if let Some((_, new)) = done.iter().find(|(old, _)| *old == bytes) {
                    return Ok(Some(new.clone()));
                }
                match crypto::decrypt(&bytes, old) {
                    Ok(plaintext) => {
                        let new = crypto::encrypt(&plaintext, &self.key)?;
                        done.push((bytes, new.clone()));
                        Ok(Some(new))
                    }
                    Err(error) => match crypto::decrypt(&bytes, &self.key) {
                        Ok(_) => Ok(None),
                        Err(_) => Err(error),
                    },
                }
            });
            match result {
                Ok(Some(new)) => {
                    // An earlier run killed part way may have left a temp file of this backup.
                    store::remove_stale_temps(path);
                    match store::replace_file(path, &new, 0) {
                        Ok(()) => report.reencrypted.push(path.clone()),
                        Err(source) => report
                            .left
                            .push((path.clone(), VaultError::Write { source })),
                    }
                }
                Ok(None) => report.already.push(path.clone()),
                Err(error) => report.left.push((path.clone(), error)),
            }
        }
        Ok(report)
    }

    /// Takes the writer lock for a vault opened with [`open`](Self::open), waiting up
    /// to `wait`. If the file changed since it was read, the vault is re-read (same
    /// key) so the caller works on the current accounts.
    pub fn lock(&mut self, wait: Duration) -> Result<(), VaultError> {
        if self.lock.is_none() {
            self.lock = Some(VaultLock::acquire(&self.path, wait)?);
        }
        self.lock_wait = wait;
        self.reload_if_changed().map(|_| ())
    }

    /// Re-reads the file (same key) when it changed since it was read or written,
    /// dropping unsaved changes; gives back the document it replaced, or `None`
    /// when the file is unchanged. Takes no lock: a long-lived reader (the agent,
    /// the terminal UI) calls it to see other keyfobs' saves.
    pub fn reload_if_changed(&mut self) -> Result<Option<Document>, VaultError> {
        // Digested in pieces first: an unchanged file (the usual case for a
        // reader that looks every few seconds) costs no buffer its size.
        if self.loaded == Some(FileDigest(store::sha256_limited(&self.path)?)) {
            return Ok(None);
        }
        let bytes = store::read_limited(&self.path)?;
        let digest = FileDigest::of(&bytes);
        if self.loaded == Some(digest) {
            return Ok(None);
        }
        let plaintext = crypto::decrypt(&bytes, &self.key)?;
        drop(bytes);
        let document = Document::from_json(&plaintext)?;
        self.on_disk = OnDisk::Same;
        self.baseline = None;
        self.loaded = Some(digest);
        Ok(Some(std::mem::replace(&mut self.document, document)))
    }

    /// Every account secret this open vault holds in memory (the document's, and
    /// those of its copy of the file's contents once the document was changed and of
    /// the document a merge stamped), for a caller that keeps their pages locked in RAM.
    pub fn secrets_in_memory(&self) -> impl Iterator<Item = &crate::Secret> {
        self.document
            .accounts
            .iter()
            .chain(match &self.on_disk {
                OnDisk::Copy(document) => document.accounts.iter(),
                OnDisk::Nothing | OnDisk::Same => [].iter(),
            })
            .chain(self.baseline.iter().flat_map(|d| d.accounts.iter()))
            .map(|account| &account.secret)
    }

    /// Drops the writer lock (if held) while keeping the vault open.
    pub fn release_lock(&mut self) {
        self.lock = None;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
