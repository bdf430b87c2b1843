//! Path safety: the one place that decides where keyfob may write.
//!
//! Every writer goes through these rules, so a hostile or careless path cannot
//! lose data:
//! - a vault reached through a symbolic link is resolved once ([`resolve_vault`]),
//!   so its lock, temp files and backups live beside the target and the link stays;
//! - an export never lands on one of keyfob's own files (the vault, its backups,
//!   lock, records or temp files), whatever the name it is reached by, and never
//!   replaces anything but a regular file or a missing path ([`check_output`]);
//! - directories keyfob creates are private (0700) whatever the umask
//!   ([`create_private_dir_all`]).

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Most symbolic links followed when resolving a path (as the kernel's `ELOOP` limit).
const MAX_LINKS: usize = 40;

/// A path keyfob refuses to use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path is a symbolic link whose target's directory does not exist.
    #[error("'{path}' is a symbolic link to '{target}', whose directory does not exist")]
    DanglingLink {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
    },
    /// Following the links of the path never ends.
    #[error("'{path}' is a loop of symbolic links")]
    LinkLoop {
        /// The path.
        path: PathBuf,
    },
    /// The path is, or resolves to, a file keyfob keeps for a vault.
    #[error(
        "'{path}' is one of keyfob's own files for the vault '{vault}' (the vault, its backups, lock, records or temp files)"
    )]
    OwnFile {
        /// The path as given.
        path: PathBuf,
        /// The vault it belongs to.
        vault: PathBuf,
    },
    /// The path is something other than a regular file (a device, a FIFO, a socket, a directory).
    #[error("'{path}' is {kind}, not a regular file; keyfob only writes regular files")]
    NotRegular {
        /// The path as given.
        path: PathBuf,
        /// What it is, e.g. 'a character device'.
        kind: &'static str,
    },
    /// The path exists and overwriting was not asked for.
    #[error("'{path}' exists")]
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// The path could not be examined.
    #[error("could not examine '{path}'")]
    Inspect {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

fn inspect(path: &Path) -> impl FnOnce(io::Error) -> PathError + '_ {
    move |source| PathError::Inspect {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Follows the symbolic links of the last component of `path`: the path itself
/// when it is not a link (existing or not), else the absolute, canonical path of
/// the final target. A dangling link resolves to where it points if that
/// directory exists, and is an error otherwise.
pub fn resolve_links(path: &Path) -> Result<PathBuf, PathError> {
    let mut current = path.to_path_buf();
    for followed in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current).map_err(inspect(path))?;
                current = parent_dir(&current).join(target);
            }
            Ok(_) if followed == 0 => return Ok(current),
            Ok(_) => return fs::canonicalize(&current).map_err(inspect(path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if followed == 0 {
                    return Ok(current);
                }
                let dangling = || PathError::DanglingLink {
                    path: path.to_path_buf(),
                    target: current.clone(),
                };
                let name = current.file_name().ok_or_else(dangling)?;
                let dir = fs::canonicalize(parent_dir(&current)).map_err(|_| dangling())?;
                return Ok(dir.join(name));
            }
            Err(e) => return Err(inspect(path)(e)),
        }
    }
    Err(PathError::LinkLoop {
        path: path.to_path_buf(),
    })
}

/// Resolves a vault path once, before anything is locked or written: a vault
/// reached through a symbolic link (a sync folder, a USB stick) is used at its
/// target, so the lock, the temp files and the backups sit beside the target and
/// the link itself is never replaced.
pub fn resolve_vault(path: &Path) -> Result<PathBuf, PathError> {
    resolve_links(path)
}

/// What kind of file `meta` describes, in words ('a directory', 'a named pipe
/// (FIFO)', …), or `None` for a regular file.
pub fn kind_of(meta: &fs::Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    if kind.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// Refuses a destination that exists as anything but a regular file. The path
/// itself is examined, not followed: a symbolic link is refused too.
pub fn ensure_replaceable(path: &Path) -> Result<(), PathError> {
    match fs::symlink_metadata(path) {
        Ok(meta) => match kind_of(&meta) {
            None => Ok(()),
            Some(kind) => Err(PathError::NotRegular {
                path: path.to_path_buf(),
                kind,
            }),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(inspect(path)(e)),
    }
}

/// Whether `name` is one keyfob gives a file of the vault named `vault_name`:
/// the vault, `NAME.…` (backups, lock, records) or `.NAME.tmp-…` (temp files).
fn is_own_name(name: &std::ffi::OsStr, vault_name: &std::ffi::OsStr) -> bool {
    let (name, vault_name) = (name.to_string_lossy(), vault_name.to_string_lossy());
    name == vault_name
        || name
            .strip_prefix(vault_name.as_ref())
            .is_some_and(|rest| rest.starts_with('.'))
        || name
            .strip_prefix('.')
            .and_then(|rest| rest.strip_prefix(vault_name.as_ref()))
            .is_some_and(|rest| rest.starts_with(".tmp-"))
}

#[cfg(unix)]
fn file_id(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// The files keyfob keeps for one vault, to recognise them by any name.
#[derive(Debug)]
struct VaultFiles {
    dir: Option<PathBuf>,
    name: OsString,
    ids: Vec<(u64, u64)>,
}

impl VaultFiles {
    /// The files of the vault at `vault` (resolved as [`resolve_vault`] does):
    /// its canonical directory and name, and the identities (device, inode) of
    /// every existing file there that bears one of keyfob's names for it.
    fn of(vault: &Path) -> Self {
        let vault = resolve_vault(vault).unwrap_or_else(|_| vault.to_path_buf());
        let name = vault.file_name().map(OsString::from).unwrap_or_default();
        let dir = fs::canonicalize(parent_dir(&vault)).ok();
        let mut ids = Vec::new();
        if let Some(entries) = dir.as_ref().and_then(|d| fs::read_dir(d).ok()) {
            for entry in entries.flatten() {
                if is_own_name(&entry.file_name(), &name)
                    && let Some(id) = entry.metadata().ok().as_ref().and_then(file_id)
                {
                    ids.push(id);
                }
            }
        }
        VaultFiles { dir, name, ids }
    }

    /// Whether `resolved` (a path with its links followed) is one of these files:
    /// same directory and one of keyfob's names, or the same file (a hard link).
    fn owns(&self, resolved: &Path) -> bool {
        let dir = fs::canonicalize(parent_dir(resolved)).ok();
        let same_dir = dir.is_some() && dir == self.dir;
        if same_dir
            && resolved
                .file_name()
                .is_some_and(|n| is_own_name(n, &self.name))
        {
            return true;
        }
        fs::metadata(resolved)
            .ok()
            .as_ref()
            .and_then(file_id)
            .is_some_and(|id| self.ids.contains(&id))
    }
}

/// Checks where an export may be written and returns the path to write: `out`
/// with its links followed (a link to a regular file is replaced at its target,
/// atomically, and the link kept).
///
/// Refuses, `force` or not, any output that is or resolves to one of the vault's
/// own files ([`PathError::OwnFile`]) or to anything but a regular file or a
/// missing path ([`PathError::NotRegular`]); without `force`, an existing file
/// ([`PathError::Exists`]).
pub fn check_output(out: &Path, vault: &Path, force: bool) -> Result<PathBuf, PathError> {
    let resolved = resolve_links(out)?;
    if VaultFiles::of(vault).owns(&resolved) {
        return Err(PathError::OwnFile {
            path: out.to_path_buf(),
            vault: vault.to_path_buf(),
        });
    }
    match fs::symlink_metadata(&resolved) {
        Ok(meta) => {
            if let Some(kind) = kind_of(&meta) {
                return Err(PathError::NotRegular {
                    path: out.to_path_buf(),
                    kind,
                });
            }
            if !force {
                return Err(PathError::Exists {
                    path: out.to_path_buf(),
                });
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(inspect(out)(e)),
    }
    Ok(resolved)
}

/// Creates `dir` and any missing parents with mode 0700 (whatever the umask);
/// directories that already exist are left as they are.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(path) = current.filter(|p| !p.as_os_str().is_empty()) {
        match fs::symlink_metadata(path) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(path),
            Err(e) => return Err(e),
        }
        current = path.parent();
    }
    for path in missing.into_iter().rev() {
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(path) {
            Ok(()) => {
                // The umask may have taken bits away; set exactly 0700.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
            Err(e) => return Err(e),
        }
    }
    if dir.is_dir() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("'{}' is not a directory", dir.display()),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    #[test]
    fn own_names() {
        let v = std::ffi::OsStr::new("vault.age");
        for own in [
            "vault.age",
            "vault.age.1",
            "vault.age.lock",
            "vault.age.backups.json",
            ".vault.age.tmp-1-ab",
        ] {
            assert!(is_own_name(std::ffi::OsStr::new(own), v), "{own}");
        }
        for other in ["vault.agex", "my-vault.age", ".vault.age", "vault.ag"] {
            assert!(!is_own_name(std::ffi::OsStr::new(other), v), "{other}");
        }
    }

    #[test]
    fn links_resolve_to_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::create_dir(&real).unwrap();
        let target = real.join("v.age");
        fs::write(&target, b"x").unwrap();
        let link = dir.path().join("link.age");
        symlink(&target, &link).unwrap();
        let canonical = fs::canonicalize(&target).unwrap();
        assert_eq!(resolve_vault(&link).unwrap(), canonical);
        // Not a link: unchanged, existing or not.
        assert_eq!(resolve_vault(&target).unwrap(), target);
        let absent = dir.path().join("absent.age");
        assert_eq!(resolve_vault(&absent).unwrap(), absent);
        // Dangling into an existing directory: the target; into a missing one: an error.
        let dangling = dir.path().join("dangling.age");
        symlink(real.join("new.age"), &dangling).unwrap();
        assert_eq!(
            resolve_vault(&dangling).unwrap(),
            fs::canonicalize(&real).unwrap().join("new.age")
        );
        let lost = dir.path().join("lost.age");
        symlink(dir.path().join("nowhere/new.age"), &lost).unwrap();
        assert!(matches!(
            resolve_vault(&lost),
            Err(PathError::DanglingLink { .. })
        ));
        let looped = dir.path().join("loop");
        symlink(&looped, &looped).unwrap();
        assert!(matches!(
            resolve_vault(&looped),
            Err(PathError::LinkLoop { .. })
        ));
    }

    #[test]
    fn private_dirs_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        create_private_dir_all(&deep).unwrap();
        for path in [dir.path().join("a"), dir.path().join("a/b"), deep.clone()] {
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", path.display());
        }
        // An existing directory is left alone; a file in the way is an error.
        create_private_dir_all(&deep).unwrap();
        let file = dir.path().join("file");
        fs::write(&file, b"x").unwrap();
        assert!(create_private_dir_all(&file).is_err());
    }
}
