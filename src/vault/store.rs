//! Crash-safe file handling: atomic replace, rotated backups and the writer lock.
//!
//! A save writes a temp file in the vault's directory, syncs it, keeps the old
//! vault as backup `NAME.1` (older ones shift to `.2` … `.N`) and in the daily
//! and weekly tiers when the [`retention`] rule says so, renames the temp
//! file over the vault and syncs the directory. At every instant the vault path
//! holds either the complete old or the complete new file. Writers serialise on
//! an exclusive lock of `NAME.lock`, which also records the holder's pid.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use super::VaultError;
use super::paths::{self, parent_dir};
use super::retention::{self, Change};

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
    let mut bytes = crate::bounded::read_file(path, MAX_VAULT_FILE).map_err(read_error)?;
    Ok(std::mem::take(&mut *bytes))
}

/// The SHA-256 of a file's bytes, read in small pieces with the same limit as
/// [`read_limited`] (no buffer the size of the file).
pub fn sha256_limited(path: &Path) -> Result<[u8; 32], VaultError> {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    crate::bounded::read_chunks(path, MAX_VAULT_FILE, |chunk| hash.update(chunk))
        .map_err(read_error)?;
    Ok(hash.finalize().into())
}

fn read_error(error: crate::bounded::ReadError) -> VaultError {
    use crate::bounded::ReadError;
    match error {
        ReadError::Io(source) if source.kind() == std::io::ErrorKind::NotFound => {
            VaultError::NotFound
        }
        ReadError::Io(source) => VaultError::Read { source },
        ReadError::TooLarge { .. } => VaultError::TooLarge,
    }
}

/// What the file system says of a file without reading it (device, inode,
/// length, modification time): when it is unchanged, the file was almost
/// surely neither written nor replaced since. A cheap first check for a
/// long-lived reader (the agent, the terminal UI) before it reads the file to
/// compare its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp(u64, u64, u64, i64, i64);

impl FileStamp {
    /// The stamp of the file at `path`, if it can be read.
    pub fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt as _;
        let meta = fs::metadata(path).ok()?;
        Some(FileStamp(
            meta.dev(),
            meta.ino(),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
        ))
    }
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

/// A temp file younger than this may belong to a writer still at work.
const TEMP_GRACE: Duration = Duration::from_secs(60);

/// The pid in a temp file name of keyfob's own pattern `.NAME.tmp-PID-HEX`
/// (`prefix` is `.NAME.tmp-`), or `None` for any other name.
fn temp_pid(name: &str, prefix: &str) -> Option<u32> {
    let (pid, random) = name.strip_prefix(prefix)?.split_once('-')?;
    let hex = !random.is_empty() && random.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    if hex && digits {
        pid.parse().ok()
    } else {
        None
    }
}

/// Whether a process `pid` may still be running (unknown counts as running).
fn may_be_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // Without a mounted /proc nothing is known: only the age rule applies.
    let proc = Path::new("/proc");
    if cfg!(target_os = "linux") && proc.join("self").exists() {
        proc.join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Removes temp files of keyfob's own naming (`.NAME.tmp-PID-HEX`) that an
/// interrupted write to `path` left behind: those whose writer is no longer
/// running or that are older than a minute. Used by every [`replace_file`]
/// (exports hold no lock, so a concurrent writer's fresh temp is kept).
pub fn remove_abandoned_temps(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(parent_dir(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = temp_pid(&name.to_string_lossy(), &prefix) else {
            continue;
        };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > TEMP_GRACE);
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && (old || !may_be_alive(pid)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Called with the temp file's path just before it is renamed into place, when
/// set: the fault tests stop a writer there (`keyfob debug pause-at-rename`).
static BEFORE_RENAME: OnceLock<fn(&Path)> = OnceLock::new();

/// Installs the hook [`replace_file`] calls before its rename (once per process;
/// for fault tests only).
#[doc(hidden)]
pub fn set_rename_hook(hook: fn(&Path)) {
    let _ = BEFORE_RENAME.set(hook);
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
///
/// Only a regular file or a missing path is replaced: a symbolic link, a
/// directory, a device or a FIFO at `path` is refused (callers resolve links
/// first, see [`paths`]). Temp files abandoned by an earlier interrupted write
/// to `path` are removed first.
pub fn replace_file(path: &Path, bytes: &[u8], backups: usize) -> std::io::Result<()> {
    paths::ensure_replaceable(path).map_err(std::io::Error::other)?;
    remove_abandoned_temps(path);
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
        if let Some(hook) = BEFORE_RENAME.get() {
            hook(&temp);
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
    link_or_copy(path, &newest)
}

/// Makes `to` (which must not exist) a backup of `from`: a hard link keeps the
/// old inode (and its 0600 mode) alive for free; where links do not work, a
/// private copy, removed again if it could not be written whole.
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    let old = fs::read(from)?;
    let mut file = create_private(to)?;
    let written = file.write_all(&old).and_then(|()| file.sync_all());
    if written.is_err() {
        drop(file);
        let _ = fs::remove_file(to);
    }
    written
}

/// Atomically replaces the vault at `path` with `bytes`, keeping the backups the
/// [`retention`] rule asks for: a lossy save keeps the replaced version as
/// `NAME.1` (shifting up to `recent` of them) and in the day's and week's tier if
/// those are empty; a lossless one keeps nothing new. Either way, tier files past
/// their window are removed once the new vault is in place. `recent == 0` turns
/// backups off. Tiers need a UTF-8 vault file name.
pub fn write_vault(
    path: &Path,
    bytes: &[u8],
    change: Change,
    recent: usize,
    now: i64,
) -> Result<(), VaultError> {
    let write = || -> std::io::Result<()> {
        if recent == 0 {
            return replace_file(path, bytes, 0);
        }
        let dir = parent_dir(path);
        let plan = match path.file_name().and_then(|n| n.to_str()) {
            Some(name) => retention::plan_tiers(name, &sibling_names(path), change, now),
            None => retention::TierPlan::default(),
        };
        let lossy = change == Change::Lossy && path.exists();
        if lossy {
            for name in &plan.capture {
                link_or_copy(path, &dir.join(name))?;
            }
        }
        replace_file(path, bytes, if lossy { recent } else { 0 })?;
        // The save is done; a tier that cannot be removed now goes at the next save.
        for name in &plan.remove {
            let _ = fs::remove_file(dir.join(name));
        }
        Ok(())
    };
    write().map_err(|source| VaultError::Write { source })
}

/// Names of the files beside `path` that start with its file name and a dot.
fn sibling_names(path: &Path) -> Vec<String> {
    let Some(own) = path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let prefix = format!("{own}.");
    let Ok(entries) = fs::read_dir(parent_dir(path)) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.starts_with(&prefix))
        .collect()
}

/// The backups beside the vault at `path`, as [`retention::is_backup_name`] names
/// them (regular files only): `NAME.1`, `NAME.2`, … then the weekly and the daily
/// tiers, each newest first.
pub fn list_backups(path: &Path) -> Vec<PathBuf> {
    let Some(own) = path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let dir = parent_dir(path);
    let mut names: Vec<(usize, String)> = sibling_names(path)
        .into_iter()
        .filter(|name| retention::is_backup_name(own, name))
        .filter(|name| fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.file_type().is_file()))
        .map(|name| {
            let number = name
                .get(own.len() + 1..)
                .and_then(|n| n.parse::<usize>().ok());
            (number.unwrap_or(usize::MAX), name)
        })
        .collect();
    // Numbered ones in order, then the tiers newest first.
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)));
    names.into_iter().map(|(_, name)| dir.join(name)).collect()
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
        // Never follow a link planted as the lock (it would be truncated to our pid).
        #[cfg(unix)]
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        let mut file = options.open(&path).map_err(|source| {
            if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                VaultError::LockIsLink { path: path.clone() }
            } else {
                VaultError::Lock { source }
            }
        })?;
        let meta = file
            .metadata()
            .map_err(|source| VaultError::Lock { source })?;
        if let Some(kind) = paths::kind_of(&meta) {
            return Err(VaultError::Lock {
                source: std::io::Error::other(paths::PathError::NotRegular { path, kind }),
            });
        }
        // A lock file with other names (a planted hard link, a hard-link snapshot)
        // is locked but never written: the pid would overwrite those files too.
        #[cfg(unix)]
        let shared = std::os::unix::fs::MetadataExt::nlink(&meta) > 1;
        #[cfg(not(unix))]
        let shared = false;
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
        if shared {
            return Ok(VaultLock { _file: file });
        }
        // Record our pid so a waiting keyfob can say who holds the vault.
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(VaultLock { _file: file })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn abandoned_temps_are_removed_by_the_next_write_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.txt");
        // A pid that has exited: a child that ran and was reaped.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let abandoned = dir.path().join(format!(".out.txt.tmp-{dead}-0123456789ab"));
        let live = dir
            .path()
            .join(format!(".out.txt.tmp-{}-0123456789ab", std::process::id()));
        let foreign = dir.path().join(".out.txt.tmp-notes");
        let other = dir
            .path()
            .join(format!(".other.txt.tmp-{dead}-0123456789ab"));
        for path in [&abandoned, &live, &foreign, &other] {
            fs::write(path, b"secret").unwrap();
        }
        replace_file(&out, b"new", 0).unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"new");
        assert!(!abandoned.exists(), "the dead writer's temp is removed");
        assert!(live.exists(), "a running writer's fresh temp is kept");
        assert!(foreign.exists() && other.exists(), "other names are kept");
    }

    #[test]
    fn only_regular_files_or_missing_paths_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = replace_file(&link, b"x", 0).unwrap_err().to_string();
        assert!(error.contains("a symbolic link"), "{error}");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"keep");
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let error = replace_file(&sub, b"x", 0).unwrap_err().to_string();
        assert!(error.contains("a directory"), "{error}");
        replace_file(&target, b"new", 0).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }
}
