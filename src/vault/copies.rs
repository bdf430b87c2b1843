//! Other copies of the vault that sync tools leave beside it.
//!
//! When two devices change a synced file before they see each other's change, the
//! sync tool keeps both: Syncthing as `NAME.sync-conflict-YYYYMMDD-HHMMSS-DEVICE.EXT`,
//! Nextcloud and ownCloud as `NAME (conflicted copy …).EXT`, Dropbox as
//! `NAME (… conflicted copy …).EXT`. [`sync_conflicts`] finds them so that the CLI
//! and the terminal UI can say so (and suggest `keyfob merge`).

use std::path::{Path, PathBuf};

/// The sync-conflict copies of the vault at `vault` in its directory, sorted by
/// name. Only regular files count (a link to one too); a directory that cannot be
/// read gives none.
pub fn sync_conflicts(vault: &Path) -> Vec<PathBuf> {
    let Some(name) = vault.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let dir = match vault.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|other| is_conflict_name(name, other))
        })
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// Whether `other` is a sync tool's name for a conflicting copy of the file `name`.
pub fn is_conflict_name(name: &str, other: &str) -> bool {
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    let Some(middle) = other
        .strip_prefix(stem)
        .and_then(|rest| rest.strip_suffix(ext))
    else {
        return false;
    };
    if let Some(tail) = middle.strip_prefix(".sync-conflict-") {
        return is_syncthing_tail(tail);
    }
    middle.starts_with(" (")
        && middle.ends_with(')')
        && middle.to_ascii_lowercase().contains("conflicted copy")
}

/// `YYYYMMDD-HHMMSS-DEVICE`, the device id being letters and digits.
fn is_syncthing_tail(tail: &str) -> bool {
    let mut parts = tail.splitn(3, '-');
    let digits = |part: Option<&str>, len: usize| {
        part.is_some_and(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
    };
    digits(parts.next(), 8)
        && digits(parts.next(), 6)
        && parts
            .next()
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_of_each_sync_tool_are_recognised_and_others_are_not() {
        let vault = "vault.age";
        for name in [
            "vault.sync-conflict-20261202-101010-ABCDEFG.age",
            "vault (conflicted copy 2026-12-02).age",
            "vault (conflicted copy 2026-12-02 101010).age",
            "vault (Alice's conflicted copy 2026-12-02).age",
        ] {
            assert!(is_conflict_name(vault, name), "{name}");
        }
        for name in [
            "vault.age",
            "vault.age.1",
            "vault.age.daily-2026-12-02",
            "vault.sync-conflict-2026120-101010-ABCDEFG.age",
            "vault.sync-conflict-20261202-101010-.age",
            "vault.sync-conflict-20261202-101010-ABCDEFG.txt",
            "other (conflicted copy 2026-12-02).age",
            "vault (copy).age",
            ".vault.age.tmp-1",
        ] {
            assert!(!is_conflict_name(vault, name), "{name}");
        }
        // The extension is the last one: Syncthing puts its tag before it.
        assert!(is_conflict_name(
            "keyfob.vault.age",
            "keyfob.vault.sync-conflict-20261202-101010-ABC1234.age"
        ));
        // A name without an extension.
        assert!(is_conflict_name(
            "vault",
            "vault.sync-conflict-20261202-101010-ABC1234"
        ));
    }

    #[test]
    fn conflict_files_beside_the_vault_are_listed_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.age");
        let names = [
            "vault (conflicted copy 2026-12-02).age",
            "vault.sync-conflict-20261202-101010-ABCDEFG.age",
            "vault.age.1",
            "unrelated.age",
        ];
        for name in names.iter().chain(&["vault.age"]) {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("vault (conflicted copy dir).age")).unwrap();
        assert_eq!(
            sync_conflicts(&vault),
            vec![
                dir.path().join("vault (conflicted copy 2026-12-02).age"),
                dir.path()
                    .join("vault.sync-conflict-20261202-101010-ABCDEFG.age"),
            ]
        );
        assert!(sync_conflicts(&dir.path().join("missing/vault.age")).is_empty());
    }
}
