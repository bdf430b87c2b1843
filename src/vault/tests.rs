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
    vault.accounts_mut().push(account("svc"));
    vault.save_at(1).unwrap();
    for i in 0..8 {
        vault.accounts_mut()[0].note = format!("edit {i}");
        vault.save_at(2 + i).unwrap();
    }
    // Five backups, newest first, each a complete older vault.
    for n in 1..=5 {
        let backup = store::backup_path(&path, n);
        assert_eq!(mode(&backup), 0o600, "{}", backup.display());
        let old = Vault::open(&backup, key.clone()).unwrap();
        let expected = if n == 8 {
            String::new()
        } else {
            format!("edit {}", 7 - n)
        };
        assert_eq!(old.accounts()[0].note, expected, "backup {n}");
    }
    assert!(!store::backup_path(&path, 6).exists());
    assert_eq!(mode(&store::lock_path(&path)), 0o600);
    let wrong = Vault::open(&path, identity_key()).unwrap_err();
    assert!(matches!(wrong, VaultError::WrongIdentity), "{wrong:?}");
    let pass =
        Vault::open(&path, Key::passphrase(SecretString::from("x".to_string()))).unwrap_err();
    assert!(matches!(pass, VaultError::NeedsIdentity), "{pass:?}");
}

/// Sunday 2026-11-08 23:00 UTC: the last hour of ISO week 45.
const SUNDAY: i64 = 1_794_178_800;
const DAY: i64 = 86_400;

fn hotp(issuer: &str) -> Account {
    let mut account = account(issuer);
    account.kind = Kind::Hotp { counter: 0 };
    account
}

/// The backups beside `path` that open with `key` and hold an account with `id`
/// and `secret` (file names only).
fn backups_holding(path: &Path, key: &Key, id: &crate::account::AccountId) -> Vec<String> {
    store::list_backups(path)
        .into_iter()
        .filter(|backup| {
            Vault::open(backup, key.clone()).is_ok_and(|v| v.accounts().iter().any(|a| &a.id == id))
        })
        .map(|backup| backup.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_removed_account_outlives_small_saves_and_a_month_of_edits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    // Everything added and GitHub removed within one hour of one day.
    let start = SUNDAY - 3000;
    let mut vault = Vault::create(&path, key.clone(), start).unwrap();
    for issuer in ["GitHub", "Bank", "Mail", "Cloud"] {
        vault.accounts_mut().push(account(issuer));
        vault.save_at(start + 1).unwrap();
    }
    vault.accounts_mut().push(hotp("Token"));
    vault.save_at(start + 2).unwrap();
    let github = vault.accounts()[0].clone();
    vault.accounts_mut().remove(0);
    vault.save_at(SUNDAY).unwrap();

    // 150 saves over the next 29 days: 100 small ones (HOTP codes, pins,
    // reorders) and 50 that lose something (renames, notes, removals).
    let steps = 150;
    let mut added = 0;
    for step in 0..steps {
        let now = SUNDAY + 60 + step * (29 * DAY - 120) / steps;
        let accounts = vault.accounts_mut();
        match step % 6 {
            0 => {
                if let Kind::Hotp { counter } = &mut accounts[3].kind {
                    *counter += 1;
                }
            }
            1 => accounts[0].favorite = !accounts[0].favorite,
            2 => accounts.swap(0, 1),
            3 => {
                let n = accounts.len() - 1;
                accounts[n].name = format!("renamed {step}");
            }
            4 => {
                // An addition loses nothing: a small save too.
                accounts.push(account(&format!("Added {added}")));
                added += 1;
            }
            _ => {
                // Notes, and removing what was added: saves that lose something.
                accounts[1].note = format!("note {step}");
                if accounts.len() > 4 && step % 12 == 11 {
                    accounts.pop();
                }
            }
        }
        vault.save_at(now).unwrap();
        let count = store::list_backups(&path).len();
        assert!(
            count <= retention::MAX_BACKUP_FILES,
            "{count} backup files after step {step}"
        );
    }
    assert!(vault.accounts().iter().all(|a| a.id != github.id));
    let holding = backups_holding(&path, &key, &github.id);
    // The last five lossy saves pushed it out of .1 … .5 long ago; the week's tier keeps it.
    assert_eq!(holding, ["vault.age.weekly-2026-W45"]);
    let backup = Vault::open(&dir.path().join(&holding[0]), key).unwrap();
    let restored = backup
        .accounts()
        .iter()
        .find(|a| a.id == github.id)
        .unwrap();
    assert_eq!(restored.secret.expose(), github.secret.expose());
    assert_eq!(restored.issuer, "GitHub");
}

#[test]
fn small_saves_never_push_a_backup_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    let mut vault = Vault::create(&path, key.clone(), SUNDAY).unwrap();
    vault.accounts_mut().push(account("GitHub"));
    vault.accounts_mut().push(hotp("Bank"));
    vault.accounts_mut().push(account("Mail"));
    vault.save_at(SUNDAY).unwrap();
    vault.accounts_mut().remove(0);
    vault.save_at(SUNDAY + 1).unwrap();
    let kept = std::fs::read(store::backup_path(&path, 1)).unwrap();
    for i in 0..30 {
        let accounts = vault.accounts_mut();
        match i % 3 {
            0 => {
                let bank = accounts.iter_mut().find(|a| a.issuer == "Bank").unwrap();
                bank.kind = Kind::Hotp { counter: i };
            }
            1 => accounts[1].favorite = !accounts[1].favorite,
            _ => accounts.swap(0, 1),
        }
        vault
            .save_at(SUNDAY + 2 + i64::try_from(i).unwrap() * DAY)
            .unwrap();
    }
    assert_eq!(std::fs::read(store::backup_path(&path, 1)).unwrap(), kept);
    assert!(!store::backup_path(&path, 2).exists());
    let old = Vault::open(&store::backup_path(&path, 1), key).unwrap();
    assert_eq!(old.accounts()[0].issuer, "GitHub");
}

#[test]
fn tiers_keep_a_week_of_days_and_six_weeks_then_go() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    let mut vault = Vault::create(&path, key.clone(), SUNDAY).unwrap();
    vault.accounts_mut().push(account("A"));
    vault.save_at(SUNDAY).unwrap();
    // One lossy save a day for 60 days, each at noon.
    for day in 1..=60 {
        vault.accounts_mut()[0].note = format!("day {day}");
        vault.save_at(SUNDAY + 13 * 3600 + (day - 1) * DAY).unwrap();
    }
    let last = SUNDAY + 13 * 3600 + 59 * DAY;
    let names: Vec<String> = store::list_backups(&path)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let days: Vec<String> = (0..7)
        .map(|back| {
            format!(
                "vault.age.daily-{}",
                retention::Tier::Daily.bucket(last - back * DAY).unwrap()
            )
        })
        .collect();
    let weeks: Vec<String> = (0..6)
        .map(|back| {
            format!(
                "vault.age.weekly-{}",
                retention::Tier::Weekly
                    .bucket(last - back * 7 * DAY)
                    .unwrap()
            )
        })
        .collect();
    let mut expected: Vec<String> = (1..=5).map(|n| format!("vault.age.{n}")).collect();
    expected.extend(weeks);
    expected.extend(days);
    assert_eq!(names, expected);
    // The daily of the last day holds the version before that day's save.
    let newest_daily = dir.path().join(&expected[11]);
    assert_eq!(mode(&newest_daily), 0o600);
    let held = Vault::open(&newest_daily, key).unwrap();
    assert_eq!(held.accounts()[0].note, "day 59");
}

#[test]
fn backups_are_reencrypted_to_the_new_key_and_strangers_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let (old, new, older) = (identity_key(), identity_key(), identity_key());
    let mut vault = Vault::create(&path, old.clone(), SUNDAY).unwrap();
    vault.accounts_mut().push(account("A"));
    vault.save_at(SUNDAY).unwrap();
    for day in 0..3 {
        vault.accounts_mut()[0].note = format!("day {day}");
        vault.save_at(SUNDAY + 3600 + day * DAY).unwrap();
    }
    // A backup from the time of an even older key.
    let stranger = dir.path().join("vault.age.weekly-2026-W45");
    let stranger_bytes = crypto::encrypt(&Document::new(0).to_json(), &older).unwrap();
    std::fs::write(&stranger, &stranger_bytes).unwrap();
    let backups = store::list_backups(&path);
    assert_eq!(backups.len(), 3 + 3 + 1 + 1, "{backups:?}");

    vault.set_key(new.clone());
    vault.save_at(SUNDAY + 3 * DAY).unwrap();
    // Changing the key loses nothing: no backup was rotated.
    assert_eq!(store::list_backups(&path), backups);
    // What a re-encryption killed part way leaves behind.
    let stale = dir.path().join(".vault.age.1.tmp-999-abcdef");
    std::fs::write(&stale, b"partial").unwrap();
    let mut seen = Vec::new();
    let report = vault
        .reencrypt_backups(&old, |n, total, p| seen.push((n, total, p.to_path_buf())))
        .unwrap();
    let expected: Vec<_> = backups
        .iter()
        .enumerate()
        .map(|(i, p)| (i + 1, backups.len(), p.clone()))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(report.reencrypted.len(), backups.len() - 1);
    assert!(report.already.is_empty());
    assert_eq!(report.left.len(), 1);
    assert_eq!(report.left[0].0, stranger);
    assert!(matches!(report.left[0].1, VaultError::WrongIdentity));
    assert_eq!(std::fs::read(&stranger).unwrap(), stranger_bytes);
    assert!(!stale.exists());
    for backup in &report.reencrypted {
        assert_eq!(mode(backup), 0o600, "{}", backup.display());
        assert!(
            Vault::open(backup, new.clone()).is_ok(),
            "{}",
            backup.display()
        );
        let err = Vault::open(backup, old.clone()).unwrap_err();
        assert!(matches!(err, VaultError::WrongIdentity), "{err:?}");
    }
    // The contents are the same versions as before.
    let one = Vault::open(&store::backup_path(&path, 1), new.clone()).unwrap();
    assert_eq!(one.accounts()[0].note, "day 1");
    // A second run finds them already under the new key.
    let again = vault.reencrypt_backups(&old, |_, _, _| {}).unwrap();
    assert_eq!(again.already.len(), backups.len() - 1);
    assert!(again.reencrypted.is_empty());
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
        br#"{"format":"keyfob-vault","version":3,"accounts":"new shape"}"#,
        &key,
    )
    .unwrap();
    let err = open_bytes(&newer);
    assert!(matches!(err, VaultError::TooNew { found: 3 }), "{err:?}");
    assert!(err.to_string().contains("newer keyfob"));
    assert!(matches!(
        Vault::open(&dir.path().join("missing.age"), key.clone()),
        Err(VaultError::NotFound)
    ));
    // None of this touched the real vault.
    assert_eq!(std::fs::read(&path).unwrap(), good);
}

/// A new empty vault opened twice, as two keyfobs would: (dir, path, key, first, second).
fn opened_twice() -> (tempfile::TempDir, PathBuf, Key, Vault, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    Vault::create(&path, key.clone(), 0).unwrap();
    let first = Vault::open(&path, key.clone()).unwrap();
    let second = Vault::open(&path, key.clone()).unwrap();
    (dir, path, key, first, second)
}

#[test]
fn save_merges_changes_it_did_not_read() {
    let (_dir, path, key, mut first, mut second) = opened_twice();
    first.accounts_mut().push(account("A"));
    first.save_at(10).unwrap();
    first.release_lock();
    second.accounts_mut().push(account("B"));
    second.save_at(20).unwrap();
    let on_disk = Vault::open(&path, key).unwrap();
    let mut issuers: Vec<_> = on_disk
        .accounts()
        .iter()
        .map(|a| a.issuer.as_str())
        .collect();
    // Both were added at the end of their copy: they share a position, the ids decide.
    issuers.sort_unstable();
    assert_eq!(issuers, ["A", "B"]);
    assert_eq!(second.accounts(), on_disk.accounts());
}

#[test]
fn save_refuses_a_changed_file_it_cannot_read() {
    let (_dir, path, _key, mut first, mut second) = opened_twice();
    first.accounts_mut().push(account("A"));
    first.set_key(identity_key());
    first.save_at(10).unwrap();
    first.release_lock();
    let before = std::fs::read(&path).unwrap();
    second.accounts_mut().push(account("B"));
    assert!(matches!(second.save_at(20), Err(VaultError::ChangedOnDisk)));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        second.accounts().len(),
        1,
        "the unsaved change is kept in memory"
    );
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

#[test]
fn an_open_vault_holds_one_copy_of_its_accounts_until_one_is_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    let mut vault = Vault::create(&path, key.clone(), 0).unwrap();
    for issuer in ["GitHub", "GitLab", "Slack"] {
        vault.accounts_mut().push(account(issuer));
    }
    vault.save_at(100).unwrap();
    // Just saved: the file is the document, nothing else is held.
    assert_eq!(vault.secrets_in_memory().count(), 3);
    drop(vault);
    let mut vault = Vault::open(&path, key.clone()).unwrap();
    assert_eq!(vault.secrets_in_memory().count(), 3, "just opened");
    // Changing it keeps what the file holds, to stamp and classify the change.
    vault.accounts_mut()[1].note = "work".into();
    assert_eq!(vault.secrets_in_memory().count(), 6, "changed, unsaved");
    vault.save_at(200).unwrap();
    assert_eq!(vault.secrets_in_memory().count(), 3, "saved again");
    let reopened = Vault::open(&path, key).unwrap();
    let edited = &reopened.accounts()[1];
    assert_eq!(edited.note, "work");
    assert_eq!(
        edited.changed.note, 200,
        "the change was stamped at the save"
    );
    assert_eq!(
        reopened.accounts()[0].changed.note,
        100,
        "the others were not"
    );
}

#[test]
fn a_save_notices_a_change_on_disk_by_the_file_digest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    let key = identity_key();
    let mut vault = Vault::create(&path, key.clone(), 0).unwrap();
    vault.accounts_mut().push(account("GitHub"));
    vault.save_at(100).unwrap();
    vault.release_lock();
    // Another keyfob adds an account.
    let mut other = Vault::open_locked(&path, key.clone(), DEFAULT_LOCK_WAIT).unwrap();
    other.accounts_mut().push(account("Slack"));
    other.save_at(150).unwrap();
    drop(other);
    assert!(
        vault.reload_if_changed().unwrap().is_some(),
        "the file changed"
    );
    assert!(
        vault.reload_if_changed().unwrap().is_none(),
        "and not since"
    );
    assert_eq!(vault.accounts().len(), 2);
}

#[test]
fn a_merge_whose_save_fails_leaves_the_vault_as_it_was() {
    let (_dir, path, _key, mut first, mut second) = opened_twice();
    first.accounts_mut().push(account("A"));
    first.save_at(10).unwrap();
    let other = first.document().clone();
    // Another keyfob re-keys the file: `second` can no longer merge with it.
    first.set_key(identity_key());
    first.save_at(20).unwrap();
    first.release_lock();
    let bytes = std::fs::read(&path).unwrap();
    let before = second.document().clone();
    assert_eq!(second.merge_preview(&[&other], 30)[0].added.len(), 1);
    assert!(matches!(
        second.merge_and_save(&[&other], 30),
        Err(VaultError::ChangedOnDisk)
    ));
    assert_eq!(second.document(), &before, "the merge was not undone");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // Still the same vault: the same merge would add the same account.
    let again = second.merge_preview(&[&other], 40);
    assert_eq!(again[0].added.len(), 1);
    assert_eq!(again[0].added[0].label, "A (alice)");
}

#[test]
fn a_merge_that_brings_nothing_new_writes_nothing() {
    let (_dir, path, _key, mut first, mut second) = opened_twice();
    first.accounts_mut().push(account("A"));
    first.save_at(10).unwrap();
    first.release_lock();
    second.merge_and_save(&[first.document()], 20).unwrap();
    second.release_lock();
    let bytes = std::fs::read(&path).unwrap();
    let reports = second.merge_and_save(&[first.document()], 30).unwrap();
    assert!(reports.iter().all(|r| !r.changed && r.is_empty()));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(second.accounts(), first.accounts());
}
