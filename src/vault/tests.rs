//! Vault unit tests: round trips, every error path, backups, locking.

use std::os::unix::fs::PermissionsExt;

use age::secrecy::SecretString;

use super::*;
use crate::account::{Algorithm, Kind};
use crate::secret::Secret;

fn identity_key() -> Key {
    Key::generate_identity("2026-11-23T00:00:00Z").0
}

fn account(issuer: &str) -> Account {
    Account::new(
        issuer,
        "alice",
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        Kind::DEFAULT_TOTP,
        Algorithm::Sha1,
        6,
        1,
    )
    .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn passphrase_round_trip_and_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = Key::passphrase(SecretString::from("correct horse".to_string()));
    let mut vault = Vault::create(&path, key.clone(), 10).unwrap();
    vault.accounts_mut().push(account("GitHub"));
    vault.save().unwrap();
    drop(vault);
    let reopened = Vault::open(&path, key).unwrap();
    assert_eq!(reopened.accounts().len(), 1);
    assert_eq!(reopened.accounts()[0].issuer, "GitHub");
    assert_eq!(reopened.document().meta.created, 10);
    let wrong = Vault::open(
        &path,
        Key::passphrase(SecretString::from("nope".to_string())),
    )
    .unwrap_err();
    assert!(matches!(wrong, VaultError::WrongPassphrase), "{wrong:?}");
    let id = Vault::open(&path, identity_key()).unwrap_err();
    assert!(matches!(id, VaultError::NeedsPassphrase), "{id:?}");
}

#[test]
fn identity_round_trip_modes_and_backups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    let mut vault = Vault::create(&path, key.clone(), 0).unwrap();
    assert_eq!(mode(&path), 0o600);
    for i in 0..8 {
        vault.accounts_mut().push(account(&format!("svc{i}")));
        vault.save().unwrap();
    }
    // Five backups, newest first, each a complete older vault.
    for n in 1..=5 {
        let backup = store::backup_path(&path, n);
        assert_eq!(mode(&backup), 0o600, "{}", backup.display());
        let old = Vault::open(&backup, key.clone()).unwrap();
        assert_eq!(old.accounts().len(), 8 - n, "backup {n}");
    }
    assert!(!store::backup_path(&path, 6).exists());
    assert_eq!(mode(&store::lock_path(&path)), 0o600);
    let wrong = Vault::open(&path, identity_key()).unwrap_err();
    assert!(matches!(wrong, VaultError::WrongIdentity), "{wrong:?}");
    let pass =
        Vault::open(&path, Key::passphrase(SecretString::from("x".to_string()))).unwrap_err();
    assert!(matches!(pass, VaultError::NeedsIdentity), "{pass:?}");
}

#[test]
fn create_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    std::fs::write(&path, b"precious").unwrap();
    assert!(matches!(
        Vault::create(&path, identity_key(), 0),
        Err(VaultError::AlreadyExists)
    ));
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
}

#[test]
fn clear_errors_for_foreign_damaged_and_newer_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    let mut vault = Vault::create(&path, key.clone(), 0).unwrap();
    vault.accounts_mut().push(account("GitHub"));
    vault.save().unwrap();
    let good = std::fs::read(&path).unwrap();

    let open_bytes = |bytes: &[u8]| {
        let p = dir.path().join("probe.age");
        std::fs::write(&p, bytes).unwrap();
        Vault::open(&p, key.clone()).unwrap_err()
    };
    assert!(matches!(
        open_bytes(b"{\"accounts\": []}"),
        VaultError::NotAgeFile
    ));
    assert!(matches!(
        open_bytes(&good[..good.len() / 2]),
        VaultError::Damaged
    ));
    assert!(matches!(
        open_bytes(&good[..good.len() - 1]),
        VaultError::Damaged
    ));
    let mut flipped = good.clone();
    let last = flipped.len() - 5;
    flipped[last] ^= 0x01;
    assert!(matches!(open_bytes(&flipped), VaultError::Damaged));

    let foreign = crypto::encrypt(b"{\"hello\": 1}", &key).unwrap();
    assert!(matches!(open_bytes(&foreign), VaultError::NotKeyfobVault));
    let newer = crypto::encrypt(
        br#"{"format":"keyfob-vault","version":2,"accounts":"new shape"}"#,
        &key,
    )
    .unwrap();
    let err = open_bytes(&newer);
    assert!(matches!(err, VaultError::TooNew { found: 2 }), "{err:?}");
    assert!(err.to_string().contains("newer keyfob"));
    assert!(matches!(
        Vault::open(&dir.path().join("missing.age"), key.clone()),
        Err(VaultError::NotFound)
    ));
    // None of this touched the real vault.
    assert_eq!(std::fs::read(&path).unwrap(), good);
}

#[test]
fn save_refuses_to_overwrite_changes_it_did_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    Vault::create(&path, key.clone(), 0).unwrap();
    let mut first = Vault::open(&path, key.clone()).unwrap();
    let mut second = Vault::open(&path, key.clone()).unwrap();
    first.accounts_mut().push(account("A"));
    first.save().unwrap();
    first.release_lock();
    second.accounts_mut().push(account("B"));
    assert!(matches!(second.save(), Err(VaultError::ChangedOnDisk)));
    let on_disk = Vault::open(&path, key).unwrap();
    assert_eq!(on_disk.accounts().len(), 1);
    assert_eq!(on_disk.accounts()[0].issuer, "A");
}

#[test]
fn second_writer_is_told_who_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    drop(Vault::create(&path, key.clone(), 0).unwrap());
    let _holder = Vault::open_locked(&path, key.clone(), Duration::ZERO).unwrap();
    let err = Vault::open_locked(&path, key, Duration::from_millis(100)).unwrap_err();
    assert!(
        matches!(err, VaultError::InUse { pid: Some(p) } if p == std::process::id()),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("vault is in use by another keyfob (pid "),
        "{err}"
    );
}

#[test]
fn stale_temp_files_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    drop(Vault::create(&path, key.clone(), 0).unwrap());
    let stale = dir.path().join(".vault.age.tmp-999-abcdef");
    std::fs::write(&stale, b"partial").unwrap();
    let mut vault = Vault::open_locked(&path, key, Duration::ZERO).unwrap();
    assert!(!stale.exists());
    vault.save().unwrap();
}

#[test]
fn identity_file_parsing() {
    let (key, text) = Key::generate_identity("now");
    let parsed = Key::from_identity_text(&text).unwrap();
    assert_eq!(parsed.recipients(), key.recipients());
    assert!(key.recipients()[0].starts_with("age1"));
    assert!(matches!(
        Key::from_identity_text("# nothing\n"),
        Err(VaultError::IdentityInvalid)
    ));
    assert!(matches!(
        Key::from_identity_text("# ok\n\nAGE-SECRET-KEY-1NOPE"),
        Err(VaultError::IdentityDamaged { line: 3 })
    ));
    assert!(matches!(
        Key::from_identity_text("age1-is-a-recipient"),
        Err(VaultError::IdentityInvalid)
    ));
    assert!(!format!("{key:?}").contains("AGE-SECRET"));
}

#[test]
fn backups_to_recipients_and_passphrases_armored_or_not() {
    let (key, _) = Key::generate_identity("now");
    let recipient = crypto::parse_recipient(&key.recipients()[0]).unwrap();
    let plain = b"{\"format\":\"keyfob-vault\",\"version\":1}";
    let armored = crypto::encrypt_backup(
        plain,
        &crypto::BackupTarget::Recipients(vec![recipient]),
        true,
    )
    .unwrap();
    assert!(armored.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    assert_eq!(&*crypto::decrypt(&armored, &key).unwrap(), plain);
    let pass = SecretString::from("backup pass".to_string());
    let binary = crypto::encrypt_backup(
        plain,
        &crypto::BackupTarget::Passphrase(pass.clone()),
        false,
    )
    .unwrap();
    assert!(binary.starts_with(b"age-encryption.org/v1\n"));
    assert_eq!(
        &*crypto::decrypt(&binary, &Key::passphrase(pass)).unwrap(),
        plain
    );
    assert!(matches!(
        crypto::parse_recipient("age1nope"),
        Err(VaultError::RecipientInvalid(_))
    ));
}
