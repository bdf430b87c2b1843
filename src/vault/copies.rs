//! Other copies of the vault that sync tools leave beside it.
//!
//! When two devices change a synced file before they see each other's change, the
//! sync tool keeps both: Syncthing as `NAME.sync-conflict-YYYYMMDD-HHMMSS-DEVICE.EXT`,
//! Nextcloud and ownCloud as `NAME (conflicted copy …).EXT`, Dropbox as
//! `NAME (… conflicted copy …).EXT`. [`sync_conflicts`] finds them; [`unmerged`]
//! leaves out those whose exact bytes were merged already, so that the CLI and the
//! terminal UI can say what is left to merge. [`read`] opens a copy (or a keyfob
//! age backup) to merge, and [`record_merged`] notes in the backup log that a
//! copy's content is in the vault now.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::backups::BackupLog;
use super::{Document, FileDigest, Key, VaultError, crypto, store};

/// Most merged copies the backup log remembers (the oldest are forgotten).
const MAX_MERGED: usize = 100;

/// A copy whose content was merged into the vault, as the backup log keeps it.
/// No secret: the file's name (for people reading the log) and the SHA-256 of
/// its encrypted bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedCopy {
    /// The copy's file name when it was merged.
    pub name: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// When it was merged (unix seconds).
    pub merged: i64,
}

/// Another copy of the vault, read to be merged.
pub struct OtherCopy {
    /// Its document (accounts, change times, tombstones).
    pub document: Document,
    /// SHA-256 of the file's bytes as read, lower-case hex.
    pub digest: String,
}

impl std::fmt::Debug for OtherCopy {
    /// The digest only: the document holds secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtherCopy")
            .field("accounts", &self.document.accounts.len())
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// Reads another copy of the vault (or a keyfob age backup) at `path`, read-only
/// and bounded, with the first of `keys` that opens it. Only keys of the kind
/// its age header names are tried (a passphrase for a passphrase file, identities
/// for one encrypted to recipients), so no scrypt is spent on a key that cannot
/// fit. With none of that kind, the error says which kind it needs
/// ([`VaultError::NeedsPassphrase`], [`VaultError::NeedsIdentity`]); when every
/// one tried is wrong, it is the last one's error.
pub fn read(path: &Path, keys: &[&Key]) -> Result<OtherCopy, VaultError> {
    let bytes = store::read_limited(path)?;
    let digest = FileDigest::of(&bytes).hex();
    let wants_passphrase = crypto::is_passphrase_encrypted(&bytes);
    let fitting: Vec<&Key> = keys
        .iter()
        .copied()
        .filter(|key| {
            wants_passphrase
                .is_none_or(|passphrase| passphrase == matches!(key, Key::Passphrase(_)))
        })
        .collect();
    let mut last = match wants_passphrase {
        Some(false) => VaultError::NeedsIdentity,
        _ => VaultError::NeedsPassphrase,
    };
    for key in fitting {
        match crypto::decrypt(&bytes, key).and_then(|plaintext| Document::from_json(&plaintext)) {
            Ok(document) => return Ok(OtherCopy { document, digest }),
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// The sync-conflict copies beside the vault ([`sync_conflicts`]) whose bytes
/// are not those of a copy merged already, as the vault's backup log `log`
/// records them ([`record_merged`]): what is left to merge. A copy changed
/// since it was merged counts again.
pub fn unmerged(vault: &Path, log: &BackupLog) -> Vec<PathBuf> {
    sync_conflicts(vault)
        .into_iter()
        .filter(|copy| {
            store::read_limited(copy).map_or(true, |bytes| {
                let digest = FileDigest::of(&bytes).hex();
                !log.merged_copies.iter().any(|m| m.sha256 == digest)
            })
        })
        .collect()
}

/// Whether `other` is named as a sync tool names a conflicting copy of the
/// vault at `vault` (see [`is_conflict_name`]).
pub fn is_copy_of(vault: &Path, other: &Path) -> bool {
    let name = |path: &Path| path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
    matches!((name(vault), name(other)), (Some(own), Some(theirs)) if is_conflict_name(&own, &theirs))
}

/// Notes in the backup log beside `vault` that the copies at these paths, with
/// these digests ([`OtherCopy::digest`]), are merged into it at `now`, so
/// [`unmerged`] no longer names them. Paths that are not sync-conflict copies
/// of the vault ([`is_copy_of`]: a backup merged in) are not noted.
pub fn record_merged(vault: &Path, copies: &[(&Path, &str)], now: i64) -> Result<(), VaultError> {
    let mut log = BackupLog::load(vault);
    let mut noted = false;
    for (path, digest) in copies {
        if !is_copy_of(vault, path) {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        log.merged_copies.retain(|m| m.sha256 != *digest);
        log.merged_copies.push(MergedCopy {
            name: name.to_string(),
            sha256: (*digest).to_string(),
            merged: now,
        });
        noted = true;
    }
    if !noted {
        return Ok(());
    }
    if log.merged_copies.len() > MAX_MERGED {
        let excess = log.merged_copies.len() - MAX_MERGED;
        log.merged_copies.drain(..excess);
    }
    log.save(vault)
}

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

    fn saved_vault(path: &Path, key: &Key, issuers: &[&str]) {
        let mut vault = crate::vault::Vault::create(path, key.clone(), 0).unwrap();
        for issuer in issuers {
            let account = crate::Account::new(
                issuer,
                "alice",
                crate::Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
                crate::account::Kind::DEFAULT_TOTP,
                crate::account::Algorithm::Sha1,
                6,
                1,
            )
            .unwrap();
            vault.accounts_mut().push(account);
        }
        vault.save_at(10).unwrap();
    }

    #[test]
    fn a_copy_opens_with_the_key_of_the_kind_its_header_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join("vault.sync-conflict-20261202-101010-ABC1234.age");
        let passphrase = Key::passphrase("correct horse".to_string().into());
        saved_vault(&path, &passphrase, &["A"]);
        let identity = Key::generate_identity("2026-12-07T00:00:00Z").0;
        let wrong = Key::passphrase("wrong".to_string().into());
        // An identity alone: the file asks for a passphrase, none was tried.
        assert!(matches!(
            read(&path, &[&identity]),
            Err(VaultError::NeedsPassphrase)
        ));
        assert!(matches!(
            read(&path, &[&identity, &wrong]),
            Err(VaultError::WrongPassphrase)
        ));
        let copy = read(&path, &[&identity, &wrong, &passphrase]).unwrap();
        assert_eq!(copy.document.accounts.len(), 1);
        assert_eq!(
            copy.digest,
            FileDigest::of(&std::fs::read(&path).unwrap()).hex()
        );
        assert!(!format!("{copy:?}").contains("JBSWY3DP"));
        // Encrypted to a recipient: passphrases are not tried.
        let other = dir.path().join("other.age");
        saved_vault(&other, &identity, &["B"]);
        assert!(matches!(
            read(&other, &[&passphrase]),
            Err(VaultError::NeedsIdentity)
        ));
        assert_eq!(
            read(&other, &[&passphrase, &identity])
                .unwrap()
                .document
                .accounts
                .len(),
            1
        );
        assert!(matches!(
            read(&dir.path().join("missing.age"), &[&passphrase]),
            Err(VaultError::NotFound)
        ));
    }

    #[test]
    fn a_merged_copy_is_not_named_again_until_its_bytes_change() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.age");
        let key = Key::generate_identity("2026-12-07T00:00:00Z").0;
        saved_vault(&vault, &key, &["A"]);
        let copy = dir
            .path()
            .join("vault.sync-conflict-20261202-101010-ABC1234.age");
        let backup = dir.path().join("backup.age");
        saved_vault(&copy, &key, &["B"]);
        saved_vault(&backup, &key, &["C"]);
        assert_eq!(
            unmerged(&vault, &BackupLog::load(&vault)),
            vec![copy.clone()]
        );
        let read_copy = read(&copy, &[&key]).unwrap();
        let read_backup = read(&backup, &[&key]).unwrap();
        record_merged(
            &vault,
            &[(&copy, &read_copy.digest), (&backup, &read_backup.digest)],
            100,
        )
        .unwrap();
        assert!(unmerged(&vault, &BackupLog::load(&vault)).is_empty());
        let log = BackupLog::load(&vault);
        assert_eq!(
            log.merged_copies.len(),
            1,
            "only sync-conflict copies are noted"
        );
        assert_eq!(
            log.merged_copies[0].name,
            copy.file_name().unwrap().to_str().unwrap()
        );
        // Noting it again keeps one record.
        record_merged(&vault, &[(&copy, &read_copy.digest)], 200).unwrap();
        assert_eq!(BackupLog::load(&vault).merged_copies.len(), 1);
        // The sync tool brings a newer conflict under the same name: named again.
        std::fs::remove_file(&copy).unwrap();
        saved_vault(&copy, &key, &["B", "D"]);
        assert_eq!(
            unmerged(&vault, &BackupLog::load(&vault)),
            vec![copy.clone()]
        );
        // The log's other records survive the notes.
        let mut log = BackupLog::load(&vault);
        log.push(crate::vault::backups::BackupRecord::made(
            crate::export::ExportFormat::Age,
            300,
            Vec::new(),
            String::new(),
        ));
        log.save(&vault).unwrap();
        let newer = read(&copy, &[&key]).unwrap();
        record_merged(&vault, &[(&copy, &newer.digest)], 400).unwrap();
        let log = BackupLog::load(&vault);
        assert_eq!((log.records.len(), log.merged_copies.len()), (1, 2));
        assert!(unmerged(&vault, &BackupLog::load(&vault)).is_empty());
    }
}
