//! Golden files: a vault (identity and passphrase), an age backup and a paper
//! sheet written by format version 1 (`scripts/make-golden.sh`, run once) still
//! open, with exactly the contents they were written with. If reading the format
//! changes, these tests fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use age::secrecy::SecretString;
use keyfob::account::{AccountId, Changed};
use keyfob::vault::{self, Document, Key, Vault};
use keyfob::{Account, Algorithm, Kind, Secret};

mod common;
use common::essence;

const KEYFOB: &str = env!("CARGO_BIN_EXE_keyfob");
/// When the v1 golden files were written (unix seconds).
const WRITTEN: i64 = 1_795_434_433;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden/v1")
        .join(name)
}

fn identity() -> Key {
    Key::from_identity_file(&golden("identity.txt")).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn account(
    id: &str,
    issuer: &str,
    name: &str,
    secret: &str,
    kind: Kind,
    algorithm: Algorithm,
    digits: u8,
) -> Account {
    let mut account = Account::new(
        issuer,
        name,
        Secret::from_base32(secret).unwrap(),
        kind,
        algorithm,
        digits,
        WRITTEN,
    )
    .unwrap();
    account.id = AccountId::from_string(id.to_string());
    account
}

/// `accounts` as reading a version 1 file upgrades them: every field changed when
/// the account was last modified, positions in file order (see `Document::upgrade_v1`).
fn upgraded(accounts: Vec<Account>) -> Vec<Account> {
    accounts
        .into_iter()
        .zip(1_i64..)
        .map(|(mut account, n)| {
            account.changed = Changed::all(account.modified);
            account.position = n << 20;
            account
        })
        .collect()
}

/// The accounts exactly as written into the v1 vault.
fn expected() -> Vec<Account> {
    let mut github = account(
        "a91eef15764c02331a5706db9e99d95a",
        "GitHub",
        "alice@example.com",
        "JBSWY3DPEHPK3PXP",
        Kind::Totp { period: 30 },
        Algorithm::Sha1,
        6,
    );
    github.tags = vec!["work".to_string(), "code".to_string()];
    github.note = "golden note: ünïcödé".to_string();
    let mut bank = account(
        "ab40f9b615508f804cd9fb3a107fe11a",
        "Bank",
        "bob",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        Kind::Totp { period: 60 },
        Algorithm::Sha256,
        8,
    );
    bank.favorite = true;
    vec![
        github,
        bank,
        account(
            "cc21d9824a8316604bc0a9f3e446e2c1",
            "Counter",
            "carol",
            "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U",
            Kind::Hotp { counter: 42 },
            Algorithm::Sha512,
            6,
        ),
        account(
            "25e8e83c7597e3eded69be20f4ded373",
            "Steam",
            "dave",
            "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA",
            Kind::Steam,
            Algorithm::Sha1,
            5,
        ),
        account(
            "96ca7c2b290eb9baf432b5fa043513f5",
            "",
            "no issuer: eve",
            "ORSXG5A",
            Kind::Totp { period: 30 },
            Algorithm::Sha1,
            6,
        ),
    ]
}

#[test]
fn v1_identity_vault_opens_with_exact_contents() {
    let vault = Vault::open(&golden("vault-identity.age"), identity()).unwrap();
    let document = vault.document();
    assert_eq!(document.format, "keyfob-vault");
    assert_eq!(document.version, 1);
    assert_eq!(document.meta.created, WRITTEN);
    assert_eq!(vault.accounts(), upgraded(expected()).as_slice());
}

#[test]
fn v1_passphrase_vault_opens_with_exact_contents() {
    let passphrase = std::fs::read_to_string(golden("passphrase.txt")).unwrap();
    let key = Key::passphrase(SecretString::from(passphrase.trim_end().to_string()));
    let vault = Vault::open(&golden("vault-passphrase.age"), key).unwrap();
    assert_eq!(vault.document().version, 1);
    // The passphrase vault was filled from URIs, so ids, dates, tags, notes and
    // favourites are its own: compare what a URI carries.
    let got: Vec<_> = vault.accounts().iter().map(essence).collect();
    let want: Vec<_> = expected().iter().map(essence).collect();
    assert_eq!(got, want);
}

#[test]
fn v1_backup_decrypts_to_the_vault_document() {
    let bytes = std::fs::read(golden("backup.age")).unwrap();
    let plaintext = vault::crypto::decrypt(&bytes, &identity()).unwrap();
    let document = Document::from_json(&plaintext).unwrap();
    assert_eq!(document.version, 1);
    assert_eq!(document.accounts, upgraded(expected()));
}

/// `keyfob verify` reads the v1 backup and the v1 sheet and finds them identical
/// to the v1 vault (exit status 0). Run on a copy: verify records the check.
#[test]
fn v1_backup_and_sheet_verify_against_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.age");
    std::fs::copy(golden("vault-identity.age"), &vault).unwrap();
    for (file, extra) in [
        ("sheet.pdf", None),
        ("backup.age", Some(golden("identity.txt"))),
    ] {
        let mut cmd = Command::new(KEYFOB);
        cmd.env_remove("KEYFOB_PASSPHRASE_FILE")
            .env("KEYFOB_VAULT", &vault)
            .env("KEYFOB_IDENTITY", golden("identity.txt"))
            .arg("verify")
            .arg(golden(file));
        if let Some(id) = extra {
            cmd.arg("--source-identity").arg(id);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "verify {file}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A version 1 vault is written as version 2 at its next save, with the same
/// accounts and the change times and positions its upgrade gave them; two copies
/// of one v1 file upgraded apart agree on ids and times, so merging them after an
/// edit on each keeps both edits and makes no duplicate.
#[test]
fn v1_vault_upgrades_on_save_and_copies_upgraded_apart_merge_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let laptop = dir.path().join("laptop.age");
    let stick = dir.path().join("stick.age");
    for path in [&laptop, &stick] {
        std::fs::copy(golden("vault-identity.age"), path).unwrap();
    }
    let mut vault = Vault::open_locked(&laptop, identity(), std::time::Duration::ZERO).unwrap();
    vault.accounts_mut()[0].note = "laptop".to_string();
    vault.save_at(WRITTEN + 100).unwrap();
    drop(vault);
    let mut other = Vault::open_locked(&stick, identity(), std::time::Duration::ZERO).unwrap();
    other.accounts_mut()[1].note = "stick".to_string();
    other.save_at(WRITTEN + 200).unwrap();
    drop(other);

    let reopened = Vault::open(&laptop, identity()).unwrap();
    assert_eq!(reopened.document().version, vault::VERSION);
    let mut want = upgraded(expected());
    want[0].note = "laptop".to_string();
    want[0].changed.note = WRITTEN + 100;
    want[0].modified = WRITTEN + 100;
    assert_eq!(reopened.accounts(), want.as_slice());

    let stick_doc = Vault::open(&stick, identity()).unwrap().document().clone();
    let mut merged = reopened.document().clone();
    let report = vault::merge::merge(&mut merged, &stick_doc);
    assert!(
        report.conflicts.is_empty() && report.added.is_empty(),
        "{report:?}"
    );
    assert_eq!(merged.accounts.len(), expected().len());
    assert_eq!(merged.accounts[0].note, "laptop");
    assert_eq!(merged.accounts[1].note, "stick");
}
