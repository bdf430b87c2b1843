//! Where the agent listens and whom it answers, as ssh-agent does it: a socket in a
//! directory only its user can enter, and every connection's peer uid checked.
//!
//! The directory is `$XDG_RUNTIME_DIR/keyfob/`, or `$TMPDIR/keyfob-UID/` without a
//! runtime directory; it is created 0700 and refused when it is a link, belongs to
//! another user or is open to group or others. Each vault has its own socket,
//! named from a hash of the vault's canonical path, and a lock file beside it that
//! the live agent holds: a socket whose lock is free is a dead agent's, and may be
//! replaced.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::AgentError;

/// The longest socket path a Unix socket address holds (without its NUL).
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAX_SOCKET_PATH: usize = 107;
/// The longest socket path a Unix socket address holds (without its NUL).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MAX_SOCKET_PATH: usize = 103;

/// This process's effective uid.
pub fn uid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// The socket directory for `uid`: `XDG_RUNTIME_DIR/keyfob` when that variable holds
/// an absolute path, else `TMP/keyfob-UID`.
pub fn dir_for(xdg_runtime_dir: Option<&OsStr>, tmp: &Path, uid: u32) -> PathBuf {
    match xdg_runtime_dir.map(Path::new) {
        Some(dir) if dir.is_absolute() => dir.join("keyfob"),
        _ => tmp.join(format!("keyfob-{uid}")),
    }
}

/// The socket directory of this process's user, from the environment.
pub fn default_dir() -> Result<PathBuf, AgentError> {
    let xdg = std::env::var_os("XDG_RUNTIME_DIR");
    let tmp = std::env::temp_dir();
    if xdg.is_none() && !tmp.is_absolute() {
        return Err(AgentError::NoRuntimeDir);
    }
    Ok(dir_for(xdg.as_deref(), &tmp, uid()))
}

/// The socket of the agent for the vault at `canonical_vault` (already
/// canonicalised) in `dir`: `vault-HASH.sock`, HASH being the first 16 hex digits
/// of the SHA-256 of the path.
pub fn socket_path(dir: &Path, canonical_vault: &Path) -> Result<PathBuf, AgentError> {
    let digest = Sha256::digest(canonical_vault.as_os_str().as_bytes());
    let hash = data_encoding::HEXLOWER.encode(digest.get(..8).unwrap_or_default());
    let path = dir.join(format!("vault-{hash}.sock"));
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(AgentError::PathTooLong { path });
    }
    Ok(path)
}

/// The lock file the live agent of `socket` holds.
pub fn lock_path(socket: &Path) -> PathBuf {
    socket.with_extension("lock")
}

/// Creates the socket directory (mode 0700) when missing, then checks it with
/// [`check_private_dir`]. Its parent must exist.
pub fn ensure_private_dir(dir: &Path) -> Result<(), AgentError> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(source) => {
            return Err(AgentError::Dir {
                path: dir.to_path_buf(),
                source,
            });
        }
    }
    check_private_dir(dir)
}

/// Refuses a socket directory that is a symbolic link or not a directory, belongs
/// to another user than this process's, or grants group or others any access.
pub fn check_private_dir(dir: &Path) -> Result<(), AgentError> {
    let meta = fs::symlink_metadata(dir).map_err(|source| AgentError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.file_type().is_dir() {
        return Err(AgentError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let uid = uid();
    if meta.uid() != uid {
        return Err(AgentError::DirNotOwned {
            path: dir.to_path_buf(),
            owner: meta.uid(),
            uid,
        });
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(AgentError::DirOpen {
            path: dir.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// The uid of the process at the other end of a connected Unix socket
/// (`SO_PEERCRED` on Linux, `getpeereid` on the BSDs and macOS).
pub fn peer_uid(stream: &UnixStream) -> Result<u32, AgentError> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let uid = nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials)
        .map(|credentials| credentials.uid());
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let uid = nix::unistd::getpeereid(stream).map(|(uid, _)| uid.as_raw());
    uid.map_err(|errno| AgentError::PeerUnknown {
        source: std::io::Error::from(errno),
    })
}

/// Accepts the peer only when it runs as this process's user.
pub fn check_peer(stream: &UnixStream) -> Result<(), AgentError> {
    let peer = peer_uid(stream)?;
    let uid = uid();
    if peer == uid {
        Ok(())
    } else {
        Err(AgentError::PeerRefused { peer, uid })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn the_directory_follows_xdg_then_tmp() {
        let tmp = Path::new("/tmp");
        assert_eq!(
            dir_for(Some(OsStr::new("/run/user/1000")), tmp, 1000),
            Path::new("/run/user/1000/keyfob")
        );
        assert_eq!(dir_for(None, tmp, 1000), Path::new("/tmp/keyfob-1000"));
        // A relative or empty XDG_RUNTIME_DIR is ignored, as the XDG spec says.
        assert_eq!(
            dir_for(Some(OsStr::new("run")), tmp, 7),
            Path::new("/tmp/keyfob-7")
        );
        assert_eq!(
            dir_for(Some(OsStr::new("")), tmp, 7),
            Path::new("/tmp/keyfob-7")
        );
    }

    #[test]
    fn one_socket_per_vault() {
        let dir = Path::new("/run/user/1");
        let a = socket_path(dir, Path::new("/home/a/vault.age")).unwrap();
        let b = socket_path(dir, Path::new("/home/b/vault.age")).unwrap();
        assert_ne!(a, b);
        assert_eq!(a, socket_path(dir, Path::new("/home/a/vault.age")).unwrap());
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("vault-") && name.ends_with(".sock") && name.len() == 27);
        assert_eq!(lock_path(&a).extension().unwrap(), "lock");
        let deep = Path::new("/").join("d".repeat(120));
        assert!(matches!(
            socket_path(&deep, Path::new("/v")),
            Err(AgentError::PathTooLong { .. })
        ));
    }

    #[test]
    fn private_dirs_are_created_0700_and_open_ones_refused() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("keyfob");
        ensure_private_dir(&dir).unwrap();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
        assert!(matches!(
            ensure_private_dir(&dir),
            Err(AgentError::DirOpen { mode: 0o750, .. })
        ));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(matches!(
            check_private_dir(&link),
            Err(AgentError::NotADirectory { .. })
        ));
    }

    #[test]
    fn a_peer_of_the_same_user_is_accepted() {
        let (a, b) = UnixStream::pair().unwrap();
        assert_eq!(peer_uid(&a).unwrap(), uid());
        check_peer(&b).unwrap();
    }
}
