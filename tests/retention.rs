//! The backups beside the vault through the real binary: what the retention rule
//! keeps after a removal, restoring from a backup, and `passwd` re-encrypting them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use predicates::prelude::*;

mod common;
use common::Env;

const SECRET: &str = "JBSWY3DPEHPK3PXP";

/// The backup files beside the vault, by name.
fn backup_names(env: &Env) -> Vec<String> {
    keyfob::vault::store::list_backups(&env.vault())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_removed_account_stays_in_a_backup_through_hotp_codes_and_pins() {
    let env = Env::new();
    env.add(&["--issuer", "GitHub", "--name", "alice", "--secret", SECRET]);
    env.add(&["--issuer", "Bank", "--hotp", "--secret", "GEZDGNBVGY3TQOJQ"]);
    env.add(&["--issuer", "Mail", "--secret", "MFRGGZDFMZTWQ2LK"]);
    env.cmd()
        .args(["remove", "github", "--yes"])
        .assert()
        .success();
    // Eight saves that lose nothing: five HOTP codes and three pins.
    for _ in 0..5 {
        env.cmd().args(["code", "bank"]).assert().success();
    }
    for pin in ["true", "false", "true"] {
        env.cmd()
            .args(["edit", "mail", "--favorite", pin])
            .assert()
            .success();
    }
    let names = backup_names(&env);
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "vault.age.1");
    assert!(names[1].starts_with("vault.age.weekly-"), "{names:?}");
    assert!(names[2].starts_with("vault.age.daily-"), "{names:?}");
    for name in &names {
        let backup = env.path(name);
        assert_eq!(mode(&backup), 0o600, "{name}");
        // Each is a complete vault that still holds GitHub.
        env.cmd()
            .arg("--vault")
            .arg(&backup)
            .arg("list")
            .assert()
            .success()
            .stdout(predicate::str::contains("GitHub"));
    }
    // Restoring: import the backup; what the vault already has is skipped.
    env.cmd()
        .args(["import", "vault.age.1", "--source-identity", "id.txt"])
        .assert()
        .success();
    let mut restored = env.names();
    restored.sort();
    assert_eq!(restored, ["", "", "alice"]);
    let issuers: Vec<String> = env
        .list()
        .iter()
        .map(|a| a["issuer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(issuers.iter().filter(|i| *i == "GitHub").count(), 1);
    assert_eq!(issuers.iter().filter(|i| *i == "Bank").count(), 1);
}

/// A passphrase vault with `pass` (old) and `newpass`, an account, and one edit
/// that loses something, so that `vault.age.1` and the two tiers exist.
fn passphrase_vault_with_backups() -> Env {
    let env = Env::empty();
    std::fs::write(env.path("pass"), "old passphrase\n").unwrap();
    std::fs::write(env.path("newpass"), "new passphrase\n").unwrap();
    env.pass().arg("init").assert().success();
    env.pass()
        .args(["add", "--issuer", "GitHub", "--secret", SECRET])
        .assert()
        .success();
    env.pass()
        .args(["edit", "github", "--note", "was here"])
        .assert()
        .success();
    assert_eq!(backup_names(&env).len(), 3);
    env
}

/// Whether the file opens with the passphrase in `pass_file`.
fn opens_with(env: &Env, file: &Path, pass_file: &str) -> bool {
    env.bare()
        .arg("--vault")
        .arg(file)
        .arg("--passphrase-file")
        .arg(env.path(pass_file))
        .arg("list")
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn passwd_reencrypts_every_backup_to_the_new_passphrase() {
    let env = passphrase_vault_with_backups();
    // A backup keyfob cannot open with either passphrase is reported and left alone.
    let identity = keyfob::vault::Key::generate_identity("now").0;
    let doc = keyfob::vault::Document::new(0);
    let stranger_bytes = keyfob::vault::crypto::encrypt(&doc.to_json(), &identity).unwrap();
    let stranger: PathBuf = env.path("vault.age.2");
    std::fs::write(&stranger, &stranger_bytes).unwrap();
    let backups = keyfob::vault::store::list_backups(&env.vault());
    assert_eq!(backups.len(), 4);

    env.pass()
        .arg("passwd")
        .arg("--new-passphrase-file")
        .arg(env.path("newpass"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "re-encrypting backup 1 of 4 ('vault.age.1')",
        ))
        .stderr(predicate::str::contains("re-encrypting backup 4 of 4"))
        .stderr(predicate::str::contains(
            "The 3 backups beside the vault now open with the new passphrase only.",
        ))
        .stderr(predicate::str::contains(format!(
            "left the backup '{}' as it was",
            stranger.display()
        )))
        .stderr(predicate::str::contains(format!(
            "rm '{}'",
            stranger.display()
        )));
    assert_eq!(keyfob::vault::store::list_backups(&env.vault()), backups);
    // The three hold one version (hard links before): each now holds the same new
    // bytes, so checking one of them with both passphrases (a second each) checks all.
    let first = std::fs::read(&backups[0]).unwrap();
    for backup in backups.iter().filter(|b| **b != stranger) {
        assert_eq!(mode(backup), 0o600, "{}", backup.display());
        assert_eq!(
            std::fs::read(backup).unwrap(),
            first,
            "{}",
            backup.display()
        );
    }
    assert!(opens_with(&env, &backups[0], "newpass"));
    assert!(!opens_with(&env, &backups[0], "pass"));
    assert_eq!(std::fs::read(&stranger).unwrap(), stranger_bytes);
    // The backups are still the earlier version.
    env.bare()
        .args([
            "--vault",
            "vault.age.1",
            "--passphrase-file",
            "newpass",
            "list",
            "--json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("was here").not())
        .stdout(predicate::str::contains("GitHub"));
}

#[test]
fn passwd_keep_old_backups_leaves_them_with_the_old_passphrase_and_says_so() {
    let env = passphrase_vault_with_backups();
    let before: Vec<Vec<u8>> = keyfob::vault::store::list_backups(&env.vault())
        .iter()
        .map(|b| std::fs::read(b).unwrap())
        .collect();
    env.pass()
        .arg("passwd")
        .arg("--keep-old-backups")
        .arg("--new-passphrase-file")
        .arg(env.path("newpass"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "the 3 backups beside the vault still open with the OLD passphrase",
        ))
        .stderr(predicate::str::contains("re-encrypting").not());
    let backups = keyfob::vault::store::list_backups(&env.vault());
    let after: Vec<Vec<u8>> = backups.iter().map(|b| std::fs::read(b).unwrap()).collect();
    assert_eq!(after, before);
    assert!(opens_with(&env, &backups[0], "pass"));
    assert!(opens_with(&env, &env.vault(), "newpass"));
}
