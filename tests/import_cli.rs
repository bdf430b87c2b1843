//! `keyfob import` end to end: the per-file summary, duplicates, --dry-run,
//! source passwords, --from, directories, and source files left untouched.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::Env;

/// A directory with the source password files `source-pass` and `wrong-pass`, and
/// no vault yet.
fn source_env() -> Env {
    let env = Env::empty();
    std::fs::write(env.path("source-pass"), "test-password\n").unwrap();
    std::fs::write(env.path("wrong-pass"), "not it\n").unwrap();
    env
}

/// Initialises the vault with a new identity.
fn init(env: &Env) {
    env.cmd().arg("init").assert().success();
}

/// Copies a fixture into the directory under `name`.
fn fixture(env: &Env, rel: &str, name: &str) -> PathBuf {
    let to = env.path(name);
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::copy(fixture_path(rel), &to).unwrap();
    to
}

/// `keyfob import ARGS`: whether it succeeded, stdout, stderr.
fn import(env: &Env, args: &[&str]) -> (bool, String, String) {
    let out = env.cmd().arg("import").args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn find<'a>(accounts: &'a [Value], issuer: &str) -> &'a Value {
    accounts
        .iter()
        .find(|a| a["issuer"] == issuer)
        .unwrap_or_else(|| panic!("no account '{issuer}' in {accounts:?}"))
}

#[test]
fn summary_per_file_then_duplicates_on_a_second_import() {
    let env = source_env();
    init(&env);
    fixture(&env, "aegis/plain.json", "aegis.json");
    fixture(&env, "bitwarden/export.json", "bitwarden.json");
    fixture(&env, "garbage.bin", "garbage.bin");
    let (ok, out, err) = import(&env, &["aegis.json", "bitwarden.json", "garbage.bin"]);
    assert!(!ok, "a file failed, so the exit status is non-zero");
    let expected = "\
aegis.json (Aegis): 4 added, 3 not imported
  added: GitHub (alice@example.com)
  added: Example Corp (bob)
  added: Bank (Zoë)
  added: Steam (dave)
  not imported: Legacy VPN (mobile): mOTP is not supported
  not imported: Yandex (ivan): Yandex OTP is not supported
  not imported: Typo Inc (broken): the secret is not valid base32 (only letters A-Z and digits 2-7 are allowed)
bitwarden.json (Bitwarden (JSON)): 1 added, 3 duplicates skipped, 1 not imported
  added: Forum (erin)
  not imported: Broken (mallory): invalid secret: the secret is not valid base32 (only letters A-Z and digits 2-7 are allowed)
garbage.bin: failed, nothing imported
Imported 5 accounts from 3 files, 3 duplicates skipped, 1 file failed.
";
    assert_eq!(out, expected);
    assert!(
        err.contains("'garbage.bin': unrecognised file format (use --from with one of: google,"),
        "{err}"
    );

    let accounts = env.list();
    assert_eq!(accounts.len(), 5);
    let bank = find(&accounts, "Bank");
    assert_eq!(bank["name"], "Zoë");
    assert_eq!(bank["type"], "hotp");
    assert_eq!(bank["algorithm"], "SHA512");
    assert_eq!(bank["counter"], 42);
    let example = find(&accounts, "Example Corp");
    assert_eq!(
        (
            &example["algorithm"],
            &example["digits"],
            &example["period"]
        ),
        (&Value::from("SHA256"), &Value::from(8), &Value::from(60))
    );
    assert_eq!(example["tags"], serde_json::json!(["Work", "Home"]));
    assert_eq!(find(&accounts, "Steam")["type"], "steam");

    // Again: everything is already there, and the vault file is not rewritten.
    let vault = read(&env.vault());
    let (ok, out, _) = import(&env, &["aegis.json"]);
    assert!(ok);
    assert!(
        out.starts_with("aegis.json (Aegis): 0 added, 4 duplicates skipped, 3 not imported\n"),
        "{out}"
    );
    assert!(out.ends_with("Imported 0 accounts from 1 file, 4 duplicates skipped.\n"));
    assert_eq!(read(&env.vault()), vault);
    assert_eq!(env.list().len(), 5);
}

#[test]
fn dry_run_changes_nothing() {
    let env = source_env();
    init(&env);
    fixture(&env, "2fas/plain-v4.2fas", "backup.2fas");
    let vault = read(&env.vault());
    let (ok, out, _) = import(&env, &["--dry-run", "backup.2fas"]);
    assert!(ok);
    assert!(
        out.starts_with(
            "backup.2fas (2FAS): 4 would add, 1 not imported\n  would add: GitHub (alice@example.com)\n"
        ),
        "{out}"
    );
    assert!(out.contains("  not imported: Mystery (eve): unsupported token type 'MOTP'\n"));
    assert!(
        out.ends_with("Would import 4 accounts from 1 file.\n"),
        "{out}"
    );
    assert_eq!(read(&env.vault()), vault);
    assert!(env.list().is_empty());
}

#[test]
fn encrypted_source_without_a_passphrase_and_no_terminal() {
    let env = source_env();
    // No vault at all and nothing to unlock it with: a file that yields nothing
    // must not need the vault.
    fixture(&env, "aegis/encrypted.json", "aegis-export.json");
    let out = env
        .bare()
        .args(["import", "aegis-export.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("'aegis-export.json': the file is encrypted: a password is needed")
            && err.contains("--source-passphrase-file"),
        "{err}"
    );
    assert!(!err.contains("vault"), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "aegis-export.json: failed, nothing imported\nImported 0 accounts from 1 file, 1 file failed.\n"
    );
}

#[test]
fn wrong_then_right_source_passphrase() {
    let env = source_env();
    init(&env);
    fixture(&env, "2fas/encrypted-v4.2fas", "backup.2fas");
    let (ok, _, err) = import(
        &env,
        &["--source-passphrase-file", "wrong-pass", "backup.2fas"],
    );
    assert!(!ok);
    assert!(
        err.contains("'backup.2fas': wrong password, or the encrypted file is damaged")
            && err.contains("--source-passphrase-file"),
        "{err}"
    );
    assert!(env.list().is_empty());
    let (ok, out, _) = import(
        &env,
        &["--source-passphrase-file", "source-pass", "backup.2fas"],
    );
    assert!(ok);
    assert!(
        out.starts_with("backup.2fas (2FAS): 4 added, 1 not imported\n"),
        "{out}"
    );
    assert_eq!(
        find(&env.list(), "GitHub")["tags"],
        serde_json::json!(["Work"])
    );
}

#[test]
fn from_overrides_detection() {
    let env = source_env();
    init(&env);
    // An old-scheme andOTP backup has no header; under another name nothing tells
    // without a password (with one, the authenticated formats are tried: tests/import_formats.rs).
    fixture(&env, "andotp/old-scheme.json.aes", "phone-backup.bin");
    let (ok, _, err) = import(&env, &["phone-backup.bin"]);
    assert!(!ok);
    assert!(err.contains("unrecognised file format"), "{err}");
    assert!(
        err.contains("opens with its password: --source-passphrase-file PATH)"),
        "{err}"
    );
    let (ok, out, _) = import(
        &env,
        &[
            "--from",
            "andOTP",
            "--source-passphrase-file",
            "source-pass",
            "phone-backup.bin",
        ],
    );
    assert!(ok);
    assert!(
        out.starts_with("phone-backup.bin (andOTP): 5 added, 1 not imported\n"),
        "{out}"
    );
    // A format name keyfob does not know is refused up front.
    env.cmd()
        .args(["import", "--from", "lastpass", "phone-backup.bin"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("unknown format 'lastpass'")
                .and(predicate::str::contains("aegis, 2fas, andotp")),
        );
}

#[test]
fn microsoft_database_and_wal_are_never_modified() {
    let env = source_env();
    init(&env);
    let db = fixture(&env, "microsoft/wal/PhoneFactor", "ms/PhoneFactor");
    let wal = fixture(&env, "microsoft/wal/PhoneFactor-wal", "ms/PhoneFactor-wal");
    let before = (read(&db), read(&wal));
    let (ok, out, err) = import(&env, &["ms/PhoneFactor"]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "\
ms/PhoneFactor (Microsoft Authenticator): 2 added, 2 not imported
  added: Microsoft (carol@outlook.com)
  added: GitHub (alice@example.com)
  not imported: Contoso (dan@contoso.com): push-only work/school account: cannot be moved, re-enrol this account
  not imported: Dropbox (erin@example.com): the secret is encrypted with a key that never leaves the phone: cannot be moved, re-enrol this account
Imported 2 accounts from 1 file.
"
    );
    assert_eq!((read(&db), read(&wal)), before);
    let mut names: Vec<String> = std::fs::read_dir(env.path("ms"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["PhoneFactor", "PhoneFactor-wal"]);
    let accounts = env.list();
    let msa = find(&accounts, "Microsoft");
    assert_eq!(
        (&msa["digits"], &msa["period"]),
        (&Value::from(8), &Value::from(30))
    );
    // The secret came through: the code matches one computed from the known key.
    let out = env
        .cmd()
        .args(["export", "--format", "uris", "--out", "uris.txt"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let uris = std::fs::read_to_string(env.path("uris.txt")).unwrap();
    assert!(uris.contains("secret=MRSWMZ3INFVGW3DNNZXXA4LSOM"), "{uris}");
    assert!(uris.contains("secret=JBSWY3DPEHPK3PXP"), "{uris}");
}

#[test]
fn encrypted_source_file_is_left_as_it_was() {
    let env = source_env();
    init(&env);
    let file = fixture(&env, "aegis/encrypted.json", "aegis-export.json");
    let before = read(&file);
    let (ok, out, err) = import(
        &env,
        &[
            "--source-passphrase-file",
            "source-pass",
            "aegis-export.json",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.starts_with("aegis-export.json (Aegis): 4 added, 3 not imported\n"),
        "{out}"
    );
    assert_eq!(read(&file), before);
}

#[test]
fn directory_argument_imports_every_file_in_order() {
    let env = source_env();
    init(&env);
    fixture(&env, "ente/ente-codes.txt", "exports/b-ente.txt");
    fixture(
        &env,
        "authenticator-pro/backup.json",
        "exports/a-authpro.json",
    );
    fixture(
        &env,
        "google/missing-second-code.txt",
        "exports/c-google.txt",
    );
    std::fs::write(env.path("exports/.hidden"), "not imported").unwrap();
    let (ok, out, err) = import(&env, &["exports"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(
        lines,
        [
            "exports/a-authpro.json (Authenticator Pro): 4 added, 2 not imported",
            "exports/b-ente.txt (Ente Auth): 0 added, 4 duplicates skipped",
            // Google has no period: its 'bob' (30 s) is not the 60 s one.
            "exports/c-google.txt (Google Authenticator): 1 added, 1 duplicate skipped",
            "Google Authenticator export: QR code 2 of 2 not read yet; scan it too.",
            "Imported 5 accounts from 3 files, 5 duplicates skipped.",
        ],
        "{out}"
    );
}

#[test]
fn nothing_to_import_does_not_touch_the_vault() {
    let env = source_env();
    // No vault exists and no key is given: a file with only unusable entries still reports them.
    std::fs::write(
        env.path("list.txt"),
        "otpauth://yaotp/Yandex:ivan?secret=AAAAAAAAAAAAAAAAAAAAAAAAAA\n",
    )
    .unwrap();
    let out = env.bare().args(["import", "list.txt"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "list.txt (otpauth URI list): 0 added, 1 not imported\n  not imported: Yandex (ivan): Yandex OTP is not supported\nImported 0 accounts from 1 file.\n"
    );
    assert!(!env.vault().exists());
}

#[test]
fn sqlite_companion_files_are_read_with_their_database() {
    let env = source_env();
    init(&env);
    fixture(&env, "microsoft/wal/PhoneFactor", "databases/PhoneFactor");
    fixture(
        &env,
        "microsoft/wal/PhoneFactor-wal",
        "databases/PhoneFactor-wal",
    );
    // A stale index copied off the phone: ignored, SQLite rebuilds it from the log.
    std::fs::write(env.path("databases/PhoneFactor-shm"), vec![0u8; 32768]).unwrap();
    let (ok, out, err) = import(&env, &["--dry-run", "databases"]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with(
            "databases/PhoneFactor (Microsoft Authenticator): 2 would add, 2 not imported\n"
        ),
        "{out}"
    );
    assert!(
        out.ends_with("Would import 2 accounts from 1 file.\n"),
        "{out}"
    );
    // The same when a shell glob names them one by one.
    let (ok, out, err) = import(
        &env,
        &[
            "databases/PhoneFactor",
            "databases/PhoneFactor-shm",
            "databases/PhoneFactor-wal",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.ends_with("Imported 2 accounts from 1 file.\n"), "{out}");
}

#[test]
fn missing_and_unreadable_sources_name_the_cause() {
    let env = source_env();
    init(&env);
    fixture(&env, "microsoft/broken-other-app.db", "other.db");
    let (ok, out, err) = import(&env, &["nowhere.json", "other.db"]);
    assert!(!ok);
    assert!(
        err.contains("'nowhere.json': cannot read the file: No such file or directory"),
        "{err}"
    );
    assert!(
        err.contains("'other.db': Microsoft Authenticator: malformed file: no 'accounts' table"),
        "{err}"
    );
    assert!(
        out.ends_with("Imported 0 accounts from 2 files, 2 files failed.\n"),
        "{out}"
    );
}

#[test]
fn help_and_from_follow_the_format_list() {
    let env = source_env();
    let (ok, help, _) = import(&env, &["--help"]);
    assert!(ok);
    for format in keyfob::import::Format::ALL {
        let spec = format.spec();
        let line = format!("  {:<18} {}", spec.name, spec.display_name);
        assert!(help.contains(&line), "'{line}' missing from:\n{help}");
        for alias in spec.aliases {
            assert!(
                help.contains(alias),
                "alias '{alias}' missing from:\n{help}"
            );
        }
    }
    // Every alias is accepted by --from (the file is then refused as that format).
    std::fs::write(env.path("notes.txt"), "nothing here\n").unwrap();
    for format in keyfob::import::Format::ALL {
        for name in std::iter::once(&format.spec().name).chain(format.spec().aliases) {
            let (_, _, err) = import(&env, &["--from", name, "notes.txt"]);
            assert!(!err.contains("unknown format"), "--from {name}: {err}");
        }
    }
}
