//! Where the vault lives.
//!
//! In order of precedence: an explicit path (`--vault` or `KEYFOB_VAULT`, resolved
//! by the binary), then portable mode (a `keyfob.vault.age` beside the executable,
//! so keyfob can live on a USB stick), then the platform data directory
//! (`~/.local/share/keyfob/vault.age` on Linux). The path found is resolved once
//! through [`paths::resolve_vault`], so a vault reached by a symbolic link is used
//! at its target.

use std::path::{Path, PathBuf};

use super::{VaultError, paths};

/// File name that switches on portable mode when found beside the executable.
pub const PORTABLE_NAME: &str = "keyfob.vault.age";

/// Which rule chose the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// `--vault` or `KEYFOB_VAULT`.
    Explicit,
    /// `keyfob.vault.age` beside the program.
    Portable,
    /// The platform data directory.
    DataDir,
}

impl Source {
    /// A few words naming the source, e.g. `portable: beside the program`.
    pub fn describe(self) -> &'static str {
        match self {
            Source::Explicit => "given by --vault or KEYFOB_VAULT",
            Source::Portable => "portable: beside the program",
            Source::DataDir => "the data directory",
        }
    }
}

/// The vault to use and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The vault file, with a symbolic link at its name resolved to the target.
    pub path: PathBuf,
    /// The rule that chose it.
    pub source: Source,
}

/// Resolves the vault location. `explicit` comes from `--vault`/`KEYFOB_VAULT`;
/// `executable` is the running program's path (for portable mode).
///
/// A `keyfob.vault.age` beside the program that exists in any form but is not a
/// (link to a) regular file, for example a directory or a dangling link, is an
/// error ([`VaultError::PortableUnusable`]) rather than a silent fall back to the
/// data directory.
pub fn resolve(explicit: Option<&Path>, executable: Option<&Path>) -> Result<Location, VaultError> {
    let (path, source) = match explicit {
        Some(path) => (path.to_path_buf(), Source::Explicit),
        None => match executable
            .and_then(Path::parent)
            .map(|d| d.join(PORTABLE_NAME))
        {
            Some(portable) if std::fs::symlink_metadata(&portable).is_ok() => {
                check_portable(&portable)?;
                (portable, Source::Portable)
            }
            _ => (default_path()?, Source::DataDir),
        },
    };
    Ok(Location {
        path: paths::resolve_vault(&path)?,
        source,
    })
}

/// Refuses a portable vault that is there but is not a regular file once links are followed.
fn check_portable(portable: &Path) -> Result<(), VaultError> {
    let kind = match std::fs::metadata(portable) {
        Ok(meta) => paths::kind_of(&meta),
        Err(_) => Some("a dangling symbolic link"),
    };
    match kind {
        None => Ok(()),
        Some(kind) => Err(VaultError::PortableUnusable {
            path: portable.to_path_buf(),
            kind,
        }),
    }
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
        let found = resolve(Some(&explicit), Some(&exe)).unwrap();
        assert_eq!((found.path, found.source), (explicit, Source::Explicit));
        // No portable file: the data dir.
        let fallback = resolve(None, Some(&exe)).unwrap();
        assert!(
            fallback.path.ends_with("keyfob/vault.age"),
            "{}",
            fallback.path.display()
        );
        assert_eq!(fallback.source, Source::DataDir);
        std::fs::write(dir.path().join(PORTABLE_NAME), b"x").unwrap();
        let portable = resolve(None, Some(&exe)).unwrap();
        assert_eq!(
            (portable.path, portable.source),
            (dir.path().join(PORTABLE_NAME), Source::Portable)
        );
    }

    #[test]
    fn an_unusable_portable_vault_stops_instead_of_falling_back() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("keyfob");
        let portable = dir.path().join(PORTABLE_NAME);
        std::os::unix::fs::symlink(dir.path().join("gone.age"), &portable).unwrap();
        let error = resolve(None, Some(&exe)).unwrap_err().to_string();
        assert!(error.contains("dangling symbolic link"), "{error}");
        assert!(error.contains(PORTABLE_NAME), "{error}");
        std::fs::remove_file(&portable).unwrap();
        std::fs::create_dir(&portable).unwrap();
        let error = resolve(None, Some(&exe)).unwrap_err().to_string();
        assert!(error.contains("is a directory"), "{error}");
    }
}
