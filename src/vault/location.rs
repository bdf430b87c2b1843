//! Where the vault lives.
//!
//! In order of precedence: an explicit path (`--vault` or `KEYFOB_VAULT`, resolved
//! by the binary), then portable mode (a `keyfob.vault.age` beside the executable,
//! so keyfob can live on a USB stick), then the platform data directory
//! (`~/.local/share/keyfob/vault.age` on Linux).

use std::path::{Path, PathBuf};

use super::VaultError;

/// File name that switches on portable mode when found beside the executable.
pub const PORTABLE_NAME: &str = "keyfob.vault.age";

/// Resolves the vault path. `explicit` comes from `--vault`/`KEYFOB_VAULT`;
/// `executable` is the running program's path (for portable mode).
pub fn resolve(explicit: Option<&Path>, executable: Option<&Path>) -> Result<PathBuf, VaultError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(portable) = executable
        .and_then(Path::parent)
        .map(|dir| dir.join(PORTABLE_NAME))
        && portable.is_file()
    {
        return Ok(portable);
    }
    default_path()
}

/// The platform default: `<data dir>/keyfob/vault.age`.
pub fn default_path() -> Result<PathBuf, VaultError> {
    directories::ProjectDirs::from("", "", "keyfob")
        .map(|dirs| dirs.data_dir().join("vault.age"))
        .ok_or(VaultError::NoLocation)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("keyfob");
        let explicit = dir.path().join("mine.age");
        assert_eq!(resolve(Some(&explicit), Some(&exe)).unwrap(), explicit);
        // No portable file: the data dir.
        let fallback = resolve(None, Some(&exe)).unwrap();
        assert!(
            fallback.ends_with("keyfob/vault.age"),
            "{}",
            fallback.display()
        );
        std::fs::write(dir.path().join(PORTABLE_NAME), b"x").unwrap();
        assert_eq!(
            resolve(None, Some(&exe)).unwrap(),
            dir.path().join(PORTABLE_NAME)
        );
    }
}
