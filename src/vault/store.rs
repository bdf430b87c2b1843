//! Crash-safe file handling: atomic replace, rotated backups and the writer lock.
//!
//! A save writes a temp file in the vault's directory, syncs it, keeps the old
//! vault as backup `NAME.1` (older ones shift to `.2` … `.N`), renames the temp
//! file over the vault and syncs the directory. At every instant the vault path
//! holds either the complete old or the complete new file. Writers serialise on
//! an exclusive lock of `NAME.lock`, which also records the holder's pid.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::VaultError;

/// Largest vault file read, in bytes.
pub const MAX_VAULT_FILE: u64 = 256 * 1024 * 1024;

/// Opens a new file for writing with mode 0600 on Unix; fails if it exists.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)
}

/// Reads a whole file with a size limit (through the bounded reader every
/// user-given file goes through).
pub fn read_limited(path: &Path) -> Result<Vec<u8>, VaultError> {
    use crate::bounded::{self, ReadError};
    let mut bytes = bounded::read_file(path, MAX_VAULT_FILE).map_err(|error| match error {
        ReadError::Io(source) if source.kind() == std::io::ErrorKind::NotFound => {
            VaultError::NotFound
        }
        ReadError::Io(source) => VaultError::Read { source },
        ReadError::TooLarge { .. } => VaultError::TooLarge,
    })?;
    Ok(std::mem::take(&mut *bytes))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Path of the `n`-th backup (1 = newest).
pub fn backup_path(path: &Path, n: usize) -> PathBuf {
    sibling(path, &format!(".{n}"))
}

/// Path of the lock file.
pub fn lock_path(path: &Path) -> PathBuf {
    sibling(path, ".lock")
}

fn temp_prefix(path: &Path) -> String {
    format!(
        ".{}.tmp-",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    )
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Removes temp files left by a save that was interrupted (call while holding the lock).
pub fn remove_stale_temps(path: &Path) {
    let prefix = temp_prefix(path);
    if let Ok(entries) = fs::read_dir(parent_dir(path)) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Atomically replaces `path` with `bytes`, keeping up to `backups` old versions.
pub fn write_atomic(path: &Path, bytes: &[u8], backups: usize) -> Result<(), VaultError> {
    replace_file(path, bytes, backups).map_err(|source| VaultError::Write { source })
}

/// Writes `bytes` to `path` atomically with mode 0600: a temp file in the same
/// directory, synced, renamed over `path`, then the directory synced. Keeps up
/// to `backups` previous versions. On failure no partial file is left.
pub fn replace_file(path: &Path, bytes: &[u8], backups: usize) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    let temp = dir.join(format!(
        "{}{}-{}",
        temp_prefix(path),
        std::process::id(),
        data_encoding::HEXLOWER.encode(&random)
    ));
    let result = (|| {
        let mut file = create_private(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        if backups > 0 && path.exists() {
            rotate_backups(path, backups)?;
        }
        fs::rename(&temp, path)?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn rotate_backups(path: &Path, keep: usize) -> std::io::Result<()> {
    for n in (1..keep).rev() {
        match fs::rename(backup_path(path, n), backup_path(path, n + 1)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let newest = backup_path(path, 1);
    match fs::remove_file(&newest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // A hard link keeps the old inode (and its 0600 mode) alive as the backup for free.
    if fs::hard_link(path, &newest).is_err() {
        let old = fs::read(path)?;
        let mut file = create_private(&newest)?;
        file.write_all(&old)?;
        file.sync_all()?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// An exclusive writer lock on a vault, released on drop.
#[derive(Debug)]
pub struct VaultLock {
    _file: File,
}

impl VaultLock {
    /// Takes the writer lock of `vault`, waiting up to `wait` for another keyfob to finish.
    pub fn acquire(vault: &Path, wait: Duration) -> Result<Self, VaultError> {
        let path = lock_path(vault);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options
            .open(&path)
            .map_err(|source| VaultError::Lock { source })?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        let mut text = String::new();
                        let _ = file.read_to_string(&mut text);
                        return Err(VaultError::InUse {
                            pid: text.trim().parse().ok(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(VaultError::Lock { source });
                }
            }
        }
        // Record our pid so a waiting keyfob can say who holds the vault.
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(VaultLock { _file: file })
    }
}
