//! `keyfob merge` and the automatic merge on save: every report line, the dry run,
//! a secret conflict, sources under another key, nothing new leaving the vault
//! byte-identical, a save that meets another process's change, and the notice of
//! sync-conflict copies in `keyfob list`. The copies are prepared through the
//! library with chosen times (`Vault::save_at`), so the order of changes is exact.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::time::Duration;

use keyfob::vault::{Key, Vault, VaultError};
use keyfob::{Account, Algorithm, Kind, Secret};
use predicates::prelude::*;

mod common;
use common::Env;

const S1: &str = "JBSWY3DPEHPK3PXP";
const S2: &str = "GEZDGNBVGY3TQOJQ";
const S3: &str = "MFRGGZDFMZTWQ2LK";

/// A time before every change the tests make, and after which nothing is pruned.
fn t0() -> i64 {
    keyfob::clock::now() - 10_000
}

fn account(issuer: &str, secret: &str, kind: Kind) -> Account {
    Account::new(
        issuer,
        "alice",
        Secret::from_base32(secret).unwrap(),
        kind,
        Algorithm::Sha1,
        6,
        t0(),
    )
    .unwrap()
}

/// Opens the vault at `path`, lets `change` edit its accounts, saves at `at`.
/// The lock wait covers a child that another test thread is starting: until it
/// execs, a fork holds this process's lock descriptor too.
fn change(path: &Path, key: &Key, at: i64, change: impl FnOnce(&mut Vec<Account>)) {
    let mut vault = Vault::open_locked(path, key.clone(), Duration::from_secs(10)).unwrap();
    change(vault.accounts_mut());
    vault.save_at(at).unwrap();
}

fn find<'a>(accounts: &'a mut [Account], issuer: &str) -> &'a mut Account {
    accounts.iter_mut().find(|a| a.issuer == issuer).unwrap()
}

/// A vault with GitHub, Bank (HOTP 3), Mail and Old, and `stick.age`, a copy of it.
fn two_copies() -> (Env, std::path::PathBuf) {
    let env = Env::new();
    change(&env.vault(), &env.key(), t0(), |accounts| {
        accounts.push(account("GitHub", S1, Kind::DEFAULT_TOTP));
        accounts.push(account("Bank", S2, Kind::Hotp { counter: 3 }));
        accounts.push(account("Mail", S3, Kind::DEFAULT_TOTP));
        accounts.push(account("Old", S3, Kind::DEFAULT_TOTP));
    });
    let stick = env.path("stick.age");
    std::fs::copy(env.vault(), &stick).unwrap();
    (env, stick)
}

fn run_merge(env: &Env, args: &[&str]) -> String {
    let out = env.cmd().arg("merge").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "merge failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn merge_reports_every_kind_of_change_and_leaves_the_source_alone() {
    let (env, stick) = two_copies();
    let key = env.key();
    let t = t0();
    // Here: Old removed at t+10.
    change(&env.vault(), &key, t + 10, |accounts| {
        accounts.retain(|a| a.issuer != "Old");
    });
    // On the stick: an account added, a note, two codes of Bank, Mail removed, and
    // Old changed after it was removed here.
    change(&stick, &key, t + 20, |accounts| {
        accounts.push(account("New", S2, Kind::DEFAULT_TOTP));
        find(accounts, "GitHub").note = "from the stick".to_string();
        find(accounts, "Bank").kind = Kind::Hotp { counter: 5 };
        accounts.retain(|a| a.issuer != "Mail");
    });
    change(&stick, &key, t + 30, |accounts| {
        find(accounts, "Old").note = "still in use".to_string();
    });
    let source_before = std::fs::read(&stick).unwrap();

    let out = run_merge(&env, &[stick.to_str().unwrap()]);
    let shown = stick.display();
    assert!(
        out.contains(&format!(
            "From '{shown}': 1 added, 2 updated, 1 deleted, 1 restored, 0 in conflict."
        )),
        "{out}"
    );
    for line in [
        "  added: New (alice)\n",
        "  updated: GitHub (alice) (note)\n",
        "  updated: Bank (alice) (HOTP counter)\n",
        "  deleted: Mail (alice)\n",
        "  restored: Old (alice) (changed in the other copy after it was deleted here)\n",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert_eq!(
        std::fs::read(&stick).unwrap(),
        source_before,
        "the source changed"
    );

    let vault = Vault::open(&env.vault(), key).unwrap();
    let mut issuers: Vec<&str> = vault.accounts().iter().map(|a| a.issuer.as_str()).collect();
    issuers.sort_unstable();
    assert_eq!(issuers, ["Bank", "GitHub", "New", "Old"]);
    let get = |issuer: &str| {
        vault
            .accounts()
            .iter()
            .find(|a| a.issuer == issuer)
            .unwrap()
    };
    assert_eq!(get("GitHub").note, "from the stick");
    assert_eq!(get("Bank").kind, Kind::Hotp { counter: 5 });
    assert_eq!(get("Old").note, "still in use");

    // Merging the same copy again: nothing new, and the file is not rewritten.
    let before = std::fs::read(env.vault()).unwrap();
    let out = run_merge(&env, &[stick.to_str().unwrap()]);
    assert!(
        out.contains("Nothing new: the vault is unchanged."),
        "{out}"
    );
    assert!(out.contains("0 added, 0 updated, 0 deleted, 0 restored, 0 in conflict"));
    assert_eq!(std::fs::read(env.vault()).unwrap(), before);
}

#[test]
fn an_older_copy_brings_nothing_back_and_a_dry_run_saves_nothing() {
    let (env, stick) = two_copies();
    let key = env.key();
    change(&env.vault(), &key, t0() + 10, |accounts| {
        accounts.retain(|a| a.issuer != "Mail");
    });
    let before = std::fs::read(env.vault()).unwrap();
    // The stick is older than the removal: merging it changes nothing.
    let out = run_merge(&env, &[stick.to_str().unwrap()]);
    assert!(out.contains("Nothing new"), "{out}");
    assert_eq!(std::fs::read(env.vault()).unwrap(), before);

    change(&stick, &key, t0() + 20, |accounts| {
        find(accounts, "GitHub").name = "bob".to_string();
    });
    let out = run_merge(&env, &["--dry-run", stick.to_str().unwrap()]);
    assert!(out.contains("  updated: GitHub (bob) (name)"), "{out}");
    assert!(out.contains("Dry run: nothing was saved."), "{out}");
    assert_eq!(std::fs::read(env.vault()).unwrap(), before);
}

#[test]
fn rival_secrets_are_both_kept_and_reported_as_a_conflict() {
    let (env, stick) = two_copies();
    let key = env.key();
    change(&env.vault(), &key, t0() + 10, |accounts| {
        find(accounts, "GitHub").secret = Secret::from_base32(S2).unwrap();
    });
    change(&stick, &key, t0() + 20, |accounts| {
        find(accounts, "GitHub").secret = Secret::from_base32(S3).unwrap();
    });
    let out = run_merge(&env, &[stick.to_str().unwrap()]);
    assert!(
        out.contains("0 deleted, 0 restored, 1 in conflict."),
        "{out}"
    );
    assert!(
        out.contains("  conflict: GitHub (alice): both copies changed its secret; both are kept"),
        "{out}"
    );
    let vault = Vault::open(&env.vault(), key).unwrap();
    let github: Vec<&Account> = vault
        .accounts()
        .iter()
        .filter(|a| a.issuer == "GitHub")
        .collect();
    assert_eq!(github.len(), 2);
    let mut secrets: Vec<&[u8]> = github.iter().map(|a| a.secret.expose()).collect();
    secrets.sort_unstable();
    let mut want = vec![
        Secret::from_base32(S2).unwrap().expose().to_vec(),
        Secret::from_base32(S3).unwrap().expose().to_vec(),
    ];
    want.sort_unstable();
    assert_eq!(secrets, want);
    let copy = github.iter().find(|a| a.tags == ["conflict"]).unwrap();
    assert!(out.contains(&format!("as account '{}'", copy.id)), "{out}");
    // The copy is reachable by its id.
    env.cmd()
        .args(["code", copy.id.as_str()])
        .assert()
        .success();
}

#[test]
fn a_source_under_another_key_needs_its_key_and_changes_nothing_without() {
    let (env, _) = two_copies();
    let other = Env::new();
    change(&other.vault(), &other.key(), t0(), |accounts| {
        accounts.push(account("Elsewhere", S1, Kind::DEFAULT_TOTP));
    });
    let before = std::fs::read(env.vault()).unwrap();
    let source = other.vault();
    env.cmd()
        .arg("merge")
        .arg(&source)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "does not open with the vault's key",
        ))
        .stderr(predicate::str::contains("--source-identity"));
    env.cmd()
        .args(["merge", "no-such-file.age"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no file at 'no-such-file.age'"));
    assert_eq!(std::fs::read(env.vault()).unwrap(), before);
    let out = run_merge(
        &env,
        &[
            "--source-identity",
            other.path("id.txt").to_str().unwrap(),
            source.to_str().unwrap(),
        ],
    );
    assert!(out.contains("  added: Elsewhere (alice)"), "{out}");
}

/// Two processes: this one holds the vault open with an unsaved change while a
/// `keyfob` process saves another; this one's save merges instead of refusing.
/// When both changed one secret, the save is refused and the file keeps the
/// other process's version.
#[test]
fn a_save_merges_with_what_another_process_saved() {
    let (env, _) = two_copies();
    let mut mine = Vault::open(&env.vault(), env.key()).unwrap();
    find(mine.accounts_mut(), "GitHub").note = "mine".to_string();
    let status = env
        .process(&["add", "--issuer", "Theirs", "--secret", "KRUGKIDROVUWG2ZA"])
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    mine.save().unwrap();
    let merged = Vault::open(&env.vault(), env.key()).unwrap();
    let issuers: Vec<&str> = merged
        .accounts()
        .iter()
        .map(|a| a.issuer.as_str())
        .collect();
    assert!(issuers.contains(&"Theirs"), "{issuers:?}");
    assert_eq!(
        merged
            .accounts()
            .iter()
            .find(|a| a.issuer == "GitHub")
            .unwrap()
            .note,
        "mine"
    );
    mine.release_lock();

    // Both change GitHub's secret: refused, nothing lost.
    find(mine.accounts_mut(), "GitHub").secret = Secret::from_base32(S2).unwrap();
    let status = env
        .process(&["edit", "GitHub", "--secret", S3])
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let theirs = std::fs::read(env.vault()).unwrap();
    let error = mine.save().unwrap_err();
    assert!(
        matches!(&error, VaultError::MergeConflict { accounts } if accounts == &["GitHub (alice)"]),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("both changed the secret of 'GitHub (alice)'")
    );
    assert_eq!(std::fs::read(env.vault()).unwrap(), theirs);
    assert_eq!(
        find(mine.accounts_mut(), "GitHub").secret,
        Secret::from_base32(S2).unwrap(),
        "the unsaved change is still there"
    );
}

#[test]
fn list_names_sync_conflict_copies_beside_the_vault() {
    let (env, _) = two_copies();
    env.cmd()
        .arg("list")
        .assert()
        .success()
        .stderr(predicate::str::contains("Another copy").not());
    let names = [
        "vault.sync-conflict-20261202-101010-ABCDEFG.age",
        "vault (conflicted copy 2026-12-02).age",
    ];
    for name in names {
        std::fs::copy(env.vault(), env.path(name)).unwrap();
    }
    let out = env.cmd().arg("list").output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    for name in names {
        let line = format!(
            "Another copy of this vault exists: keyfob merge '{}'",
            env.path(name).display()
        );
        assert!(stderr.contains(&line), "missing {line:?} in:\n{stderr}");
    }
    assert!(
        !String::from_utf8(out.stdout)
            .unwrap()
            .contains("Another copy"),
        "the notice goes to stderr only"
    );
}

#[test]
fn a_merged_sync_conflict_copy_is_no_longer_named_until_it_changes() {
    let (env, _) = two_copies();
    let name = "vault.sync-conflict-20261202-101010-ABCDEFG.age";
    let copy = env.path(name);
    std::fs::copy(env.vault(), &copy).unwrap();
    change(&copy, &env.key(), t0() + 100, |accounts| {
        accounts.push(account("Laptop", S1, Kind::DEFAULT_TOTP));
    });
    let notice = format!(
        "Another copy of this vault exists: keyfob merge '{}'",
        copy.display()
    );
    let list_stderr = || {
        let out = env.cmd().arg("list").output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    assert!(list_stderr().contains(&notice));
    // A dry run takes nothing in, so the copy is still named.
    run_merge(&env, &["--dry-run", copy.to_str().unwrap()]);
    assert!(list_stderr().contains(&notice));
    let before = std::fs::read(&copy).unwrap();
    let out = run_merge(&env, &[copy.to_str().unwrap()]);
    assert!(out.contains("  added: Laptop (alice)"), "{out}");
    assert!(
        out.contains(&format!(
            "Everything in '{}' is in the vault now: once every device has synced, it can be deleted.",
            copy.display()
        )),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "the copy was changed"
    );
    assert!(!list_stderr().contains("Another copy"), "{}", list_stderr());
    // The sync tool writes a newer conflict under the same name: named again.
    change(&copy, &env.key(), t0() + 200, |accounts| {
        accounts.push(account("Desktop", S2, Kind::DEFAULT_TOTP));
    });
    assert!(list_stderr().contains(&notice));
    // Without a path, `keyfob merge` takes the copies the list names.
    let out = run_merge(&env, &[]);
    assert!(
        out.contains(&format!("From '{}': 1 added,", copy.display()))
            && out.contains("  added: Desktop (alice)"),
        "{out}"
    );
    assert!(!list_stderr().contains("Another copy"));
    let out = run_merge(&env, &[]);
    assert!(
        out.starts_with("Nothing to merge: no sync-conflict copy"),
        "{out}"
    );
    // A backup merged in is not a sync-conflict copy: nothing is said of it.
    let out = run_merge(&env, &[env.path("stick.age").to_str().unwrap()]);
    assert!(!out.contains("can be deleted"), "{out}");
}
