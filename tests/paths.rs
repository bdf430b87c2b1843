//! Hostile and careless paths (issue 11): exports over keyfob's own files or over
//! special files, `--out -`, a vault reached through a symbolic link, a portable
//! vault that is not a file, leftovers of a killed export, a planted lock link,
//! private directories under any umask, and the errors of empty or wrong paths.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use predicates::prelude::*;

mod common;
use common::Env;

const URI: &str = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const URI2: &str = "otpauth://totp/Bank:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Bank";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .unwrap()
        .file_type()
        .is_symlink()
}

/// A vault with two additions and an edit (so `vault.age.1` exists), a lock file and a backup record.
fn busy_env() -> Env {
    let env = Env::new();
    env.add(&[URI]);
    env.add(&[URI2]);
    // An edit loses the old tags, so this save keeps the version before it as .1.
    env.cmd()
        .args(["edit", "alice", "--tag", "work"])
        .assert()
        .success();
    env.cmd()
        .args(["export", "--format", "uris", "--out"])
        .arg(env.path("first.txt"))
        .assert()
        .success();
    for own in ["vault.age.1", "vault.age.lock", "vault.age.backups.json"] {
        assert!(env.path(own).exists(), "{own}");
    }
    env
}

#[test]
fn exports_never_land_on_keyfobs_own_files() {
    let env = busy_env();
    let elsewhere = env.path("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    symlink(env.vault(), elsewhere.join("link.age")).unwrap();
    std::fs::hard_link(env.vault(), env.path("hard.age")).unwrap();
    let targets: Vec<PathBuf> = vec![
        env.vault(),
        env.path("vault.age.1"),
        env.path("vault.age.lock"),
        env.path("vault.age.backups.json"),
        elsewhere.join("link.age"),
        env.path("hard.age"),
        // Reached by another spelling of the directory.
        elsewhere.join("..").join("vault.age.1"),
    ];
    let formats: &[&[&str]] = &[
        &["--format", "uris"],
        &["--format", "aegis"],
        &["--format", "paper"],
    ];
    for target in &targets {
        for format in formats {
            for force in [false, true] {
                let vault = std::fs::read(env.vault()).unwrap();
                let before = std::fs::read(target).unwrap();
                let mut cmd = env.cmd();
                cmd.arg("export").args(*format).arg("--out").arg(target);
                if force {
                    cmd.arg("--force");
                }
                cmd.assert()
                    .failure()
                    .stderr(predicate::str::contains("one of keyfob's own files"));
                assert_eq!(std::fs::read(env.vault()).unwrap(), vault, "{target:?}");
                assert_eq!(std::fs::read(target).unwrap(), before, "{target:?}");
            }
        }
    }
    // An age backup to another recipient over the vault is refused too.
    let vault = std::fs::read(env.vault()).unwrap();
    env.cmd()
        .args(["export", "--format", "age", "--force", "--recipient"])
        .arg(env.public_key())
        .arg("--out")
        .arg(env.vault())
        .assert()
        .failure()
        .stderr(predicate::str::contains("one of keyfob's own files"));
    assert_eq!(std::fs::read(env.vault()).unwrap(), vault);
    assert!(is_link(&elsewhere.join("link.age")));
    assert_eq!(env.names(), ["alice", "bob"]);
}

#[test]
fn special_files_are_never_replaced() {
    let env = busy_env();
    let fifo = env.path("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let null_link = env.path("null");
    symlink("/dev/null", &null_link).unwrap();
    let dir = env.path("adir");
    std::fs::create_dir(&dir).unwrap();
    for (target, kind) in [
        (&fifo, "named pipe"),
        (&null_link, "character device"),
        (&dir, "directory"),
    ] {
        for force in [false, true] {
            let mut cmd = env.cmd();
            cmd.args(["export", "--format", "uris", "--out"])
                .arg(target);
            if force {
                cmd.arg("--force");
            }
            cmd.assert()
                .failure()
                .stderr(predicate::str::contains(kind))
                .stderr(predicate::str::contains("not a regular file"));
        }
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(is_link(&null_link));
    assert_eq!(
        std::fs::read_link(&null_link).unwrap(),
        Path::new("/dev/null")
    );
    assert!(dir.is_dir());
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
}

#[test]
fn an_export_through_a_link_to_a_regular_file_replaces_the_target() {
    let env = busy_env();
    std::fs::create_dir(env.path("real")).unwrap();
    let target = env.path("real/out.txt");
    std::fs::write(&target, b"old").unwrap();
    symlink(&target, env.path("out.txt")).unwrap();
    env.cmd()
        .args(["export", "--format", "uris", "--force", "--out"])
        .arg(env.path("out.txt"))
        .assert()
        .success();
    assert!(is_link(&env.path("out.txt")));
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.starts_with("otpauth://"), "{text}");
    assert_eq!(mode(&target), 0o600);
}

/// `keyfob export ARGS --out -`, which must succeed and say so on stderr: its stdout.
fn export_to_stdout(env: &Env, args: &[&str]) -> Vec<u8> {
    let out = env
        .cmd()
        .arg("export")
        .args(args)
        .args(["--out", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("to standard output"));
    out.stdout
}

#[test]
fn dash_is_standard_output_for_text_formats_only() {
    let env = busy_env();
    let text = String::from_utf8(export_to_stdout(&env, &["--format", "uris"])).unwrap();
    let lines: std::collections::BTreeSet<String> = text.lines().map(str::to_string).collect();
    assert_eq!(lines, env.uris());

    let json: serde_json::Value =
        serde_json::from_slice(&export_to_stdout(&env, &["--format", "aegis"])).unwrap();
    assert_eq!(json["db"]["entries"].as_array().unwrap().len(), 2);

    let recipient = env.public_key();
    let armored = export_to_stdout(
        &env,
        &["--format", "age", "--armor", "--recipient", &recipient],
    );
    let armored = String::from_utf8(armored).unwrap();
    assert!(
        armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{armored}"
    );
    assert!(
        armored
            .trim_end()
            .ends_with("-----END AGE ENCRYPTED FILE-----")
    );

    for (args, hint) in [
        (&["--format", "paper"][..], "give a file name"),
        (&["--format", "google-qr"][..], "directory"),
        (
            &["--format", "age", "--recipient", &env.public_key()][..],
            "--armor",
        ),
    ] {
        env.cmd()
            .arg("export")
            .args(args)
            .args(["--out", "-"])
            .assert()
            .failure()
            .stdout("")
            .stderr(predicate::str::contains(hint));
    }
    assert!(!env.path("-").exists(), "no file named '-'");
}

#[test]
fn a_symlinked_vault_stays_a_link_with_lock_and_backups_beside_the_target() {
    let env = Env::empty();
    let real = env.path("stick");
    std::fs::create_dir(&real).unwrap();
    let target = real.join("vault.age");
    // A dangling link into an existing directory: init creates the vault at the target.
    symlink(&target, env.vault()).unwrap();
    env.cmd().arg("init").assert().success();
    assert!(is_link(&env.vault()));
    assert!(target.is_file());
    env.add(&[URI]);
    env.add(&[URI2]);
    env.cmd()
        .args(["edit", "alice", "--tag", "work"])
        .assert()
        .success();
    assert!(is_link(&env.vault()), "the link is kept");
    assert_eq!(std::fs::read_link(env.vault()).unwrap(), target);
    assert_eq!(env.names(), ["alice", "bob"]);
    for own in ["vault.age.1", "vault.age.lock"] {
        assert!(real.join(own).is_file(), "{own} beside the target");
        assert!(
            std::fs::symlink_metadata(env.path(own)).is_err(),
            "no {own} beside the link"
        );
    }
    assert_eq!(mode(&target), 0o600);
    // The backup is the vault before the edit (both accounts, alice untagged).
    let backup = keyfob::vault::Vault::open(&real.join("vault.age.1"), env.key()).unwrap();
    assert_eq!(backup.accounts().len(), 2);
    assert!(backup.accounts().iter().all(|a| a.tags.is_empty()));

    // A dangling link into a directory that does not exist: refused, link untouched.
    let lost = env.path("lost.age");
    symlink(env.path("nowhere/vault.age"), &lost).unwrap();
    env.bare()
        .env("KEYFOB_VAULT", &lost)
        .arg("--identity")
        .arg(env.path("id2.txt"))
        .arg("init")
        .assert()
        .failure()
        .stderr(predicate::str::contains("does not exist"))
        .stderr(predicate::str::contains("lost.age"));
    assert!(is_link(&lost));
    assert!(!env.path("nowhere").exists());
}

/// The keyfob program copied into `dir`, so that `dir` is "beside the program".
fn program_in(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let program = dir.join("keyfob");
    let built = assert_cmd::cargo::cargo_bin("keyfob");
    if std::fs::hard_link(&built, &program).is_err() {
        std::fs::copy(&built, &program).unwrap();
    }
    program
}

#[test]
fn an_unusable_portable_vault_stops_instead_of_falling_back() {
    let env = Env::empty();
    let stick = env.path("stick");
    let program = program_in(&stick);
    let home = env.path("home");
    let run = |args: &[&str]| {
        let mut cmd = assert_cmd::Command::new(&program);
        cmd.env_remove("KEYFOB_VAULT")
            .env_remove("KEYFOB_PASSPHRASE_FILE")
            .env_remove("XDG_DATA_HOME")
            .env("HOME", &home)
            .arg("--identity")
            .arg(env.path("id.txt"))
            .args(args);
        cmd
    };
    // A vault in the data directory, which the broken portable one must not hide behind.
    run(&["init"])
        .assert()
        .success()
        .stderr(predicate::str::contains("(the data directory)"));
    run(&["add", URI]).assert().success();
    let portable = stick.join("keyfob.vault.age");
    symlink(env.path("unplugged/vault.age"), &portable).unwrap();
    run(&["list"])
        .assert()
        .failure()
        .stdout("")
        .stderr(predicate::str::contains("keyfob.vault.age"))
        .stderr(predicate::str::contains("dangling symbolic link"))
        .stderr(predicate::str::contains("--vault"));
    std::fs::remove_file(&portable).unwrap();
    std::fs::create_dir(&portable).unwrap();
    run(&["add", URI2])
        .assert()
        .failure()
        .stderr(predicate::str::contains("is a directory"));
    std::fs::remove_dir(&portable).unwrap();
    // Untouched by the refused runs; a usable portable vault is named as such.
    run(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("GitHub"))
        .stderr(predicate::str::contains("(the data directory)"));
    run(&["--vault", portable.to_str().unwrap(), "init"])
        .assert()
        .success();
    run(&["add", URI2]).assert().success();
    // With a usable portable vault, list says it is the one in use.
    run(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("GitHub").not())
        .stderr(predicate::str::contains(
            "keyfob.vault.age' (portable: beside the program)",
        ));
    run(&["init"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("(portable: beside the program)"));
}

#[test]
fn a_killed_export_leaves_no_plaintext_for_long() {
    let env = busy_env();
    let out = env.path("accounts.txt");
    let mut child = env
        .process(&[
            "debug",
            "pause-at-rename",
            "export",
            "--format",
            "uris",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let temp = PathBuf::from(line.trim());
    assert!(
        temp.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".accounts.txt.tmp-"),
        "{line}"
    );
    // Stopped at the rename: the complete export in a private temp file.
    assert_eq!(mode(&temp), 0o600);
    assert!(
        std::fs::read_to_string(&temp)
            .unwrap()
            .contains("otpauth://")
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(temp.exists(), "the kill left the temp file");
    assert!(!out.exists());
    // A fresh temp of a running writer (this test) and names not of keyfob's pattern stay.
    let live = env.path(&format!(
        ".accounts.txt.tmp-{}-0123456789ab",
        std::process::id()
    ));
    let other = env.path(".accounts.txt.tmp-notes");
    std::fs::write(&live, b"live").unwrap();
    std::fs::write(&other, b"mine").unwrap();
    env.cmd()
        .args(["export", "--format", "uris", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(!temp.exists(), "the next export removed the leftover");
    assert!(live.exists() && other.exists());
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("otpauth://")
    );
}

#[test]
fn a_planted_lock_link_is_refused_and_its_target_survives() {
    let env = Env::new();
    let precious = env.path("precious.txt");
    std::fs::write(&precious, b"do not overwrite").unwrap();
    std::fs::remove_file(env.path("vault.age.lock")).unwrap();
    symlink(&precious, env.path("vault.age.lock")).unwrap();
    let vault = std::fs::read(env.vault()).unwrap();
    env.cmd()
        .args(["add", URI])
        .assert()
        .failure()
        .stderr(predicate::str::contains("vault.age.lock"))
        .stderr(predicate::str::contains("is a symbolic link; remove it"));
    assert_eq!(std::fs::read(&precious).unwrap(), b"do not overwrite");
    assert_eq!(std::fs::read(env.vault()).unwrap(), vault);
    assert!(is_link(&env.path("vault.age.lock")));
    // A hard link planted as the lock is locked but never written (the pid would
    // truncate the other file).
    std::fs::remove_file(env.path("vault.age.lock")).unwrap();
    std::fs::hard_link(&precious, env.path("vault.age.lock")).unwrap();
    env.add(&[URI]);
    assert_eq!(env.names(), ["alice"]);
    assert_eq!(std::fs::read(&precious).unwrap(), b"do not overwrite");
}

#[test]
fn directories_keyfob_creates_are_private_under_any_umask() {
    let env = Env::empty();
    let vault = env.path("data/keyfob/vault.age");
    let under_umask_000 = |args: &[&std::ffi::OsStr]| {
        let mut cmd = assert_cmd::Command::new("sh");
        cmd.arg("-c")
            .arg("umask 000 && exec \"$0\" \"$@\"")
            .arg(assert_cmd::cargo::cargo_bin("keyfob"))
            .env_remove("KEYFOB_PASSPHRASE_FILE")
            .env("KEYFOB_VAULT", &vault)
            .env("KEYFOB_IDENTITY", env.path("id.txt"))
            .args(args);
        cmd
    };
    under_umask_000(&["init".as_ref()]).assert().success();
    under_umask_000(&["add".as_ref(), URI.as_ref()])
        .assert()
        .success();
    assert_eq!(mode(&env.path("data")), 0o700);
    assert_eq!(mode(&env.path("data/keyfob")), 0o700);
    assert_eq!(mode(&vault), 0o600);
    let qr = env.path("qr/codes");
    under_umask_000(&[
        "export".as_ref(),
        "--format".as_ref(),
        "google-qr".as_ref(),
        "--out".as_ref(),
        qr.as_os_str(),
    ])
    .assert()
    .success();
    assert_eq!(mode(&env.path("qr")), 0o700);
    assert_eq!(mode(&qr), 0o700);
    assert_eq!(mode(&qr.join("keyfob-google-1-of-1.png")), 0o600);
}

#[test]
fn empty_vault_variable_and_google_qr_over_a_file_say_what_to_do() {
    let env = busy_env();
    env.cmd()
        .env("KEYFOB_VAULT", "")
        .arg("list")
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "KEYFOB_VAULT is set but empty; unset it or set it to a path",
        ))
        .stderr(predicate::str::contains("a value is required").not());
    let file = env.path("qr.png");
    std::fs::write(&file, b"keep me").unwrap();
    for force in [false, true] {
        let mut cmd = env.cmd();
        cmd.args(["export", "--format", "google-qr", "--out"])
            .arg(&file);
        if force {
            cmd.arg("--force");
        }
        cmd.assert()
            .failure()
            .stderr(predicate::str::contains("is not a directory"))
            .stderr(predicate::str::contains("give a new or existing directory"))
            .stderr(predicate::str::contains("os error").not());
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}
