//! Secret hygiene: secrets never show in `Debug` output, on stderr, in error
//! messages or in the files keyfob writes beside the vault; the running process
//! cannot be core-dumped or attached to.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::borrow::BorrowMut;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use age::secrecy::SecretString;
use keyfob::export::paper;
use keyfob::import::{self, Format};
use keyfob::vault::crypto::BackupTarget;
use keyfob::vault::{Document, Key, Vault};
use keyfob::{Account, Algorithm, Kind, Secret};

mod common;
use common::Env;

const KEYFOB: &str = env!("CARGO_BIN_EXE_keyfob");
/// The secret every test here plants (valid base32, 20 bytes).
const SECRET: &str = "KNOWNSECRETHYGIENEKNOWNSECRET234";
/// The passphrase planted in passphrase tests.
const PASSPHRASE: &str = "hygiene-passphrase-do-not-leak";

/// Every spelling of the planted secrets that would count as a leak.
fn leaks(text: &str) -> Vec<String> {
    let secret = Secret::from_base32(SECRET).unwrap();
    let hex = data_encoding::HEXLOWER.encode(secret.expose());
    let mut found = Vec::new();
    for needle in [
        SECRET.to_string(),
        SECRET.to_ascii_lowercase(),
        SECRET[..16].to_string(),
        hex.clone(),
        hex[..16].to_string(),
        PASSPHRASE.to_string(),
        keyfob::fuzz_entry::FUZZ_IDENTITY.to_string(),
        keyfob::fuzz_entry::FUZZ_IDENTITY.to_ascii_lowercase(),
    ] {
        if text.contains(&needle) {
            found.push(needle);
        }
    }
    found
}

fn assert_clean(what: &str, text: &str) {
    let found = leaks(text);
    assert!(
        found.is_empty(),
        "{what} shows a secret ({found:?}):\n{text}"
    );
}

fn account() -> Account {
    Account::new(
        "Hygiene",
        "alice@example.com",
        Secret::from_base32(SECRET).unwrap(),
        Kind::Totp { period: 30 },
        Algorithm::Sha1,
        6,
        1_700_000_000,
    )
    .unwrap()
}

// ------------------------------------------------------------------ Debug

/// Every core type that holds a secret prints `[REDACTED]` in its place.
#[test]
fn debug_output_of_secret_bearing_types_is_redacted() {
    let account = account();
    let identity = Key::from_identity_text(keyfob::fuzz_entry::FUZZ_IDENTITY).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(&dir.path().join("v.age"), identity.clone(), 0).unwrap();
    vault.accounts_mut().push(account.clone());
    let mut document = Document::new(0);
    document.accounts.push(account.clone());
    let uri = keyfob::uri::format(&account);
    let imported = import::parse(uri.as_bytes(), Format::OtpauthList, None, 0).unwrap();
    assert_eq!(imported.accounts.len(), 1);
    let migration =
        keyfob::export::google_qr::encode_batches(std::slice::from_ref(&account), 10, 1);
    assert_eq!(migration.uris.len(), 1);
    let cases: Vec<(&str, String)> = vec![
        ("Secret", format!("{:?}", account.secret)),
        ("Account", format!("{account:?}")),
        ("Key::Identity", format!("{identity:?}")),
        (
            "Key::Passphrase",
            format!(
                "{:?}",
                Key::passphrase(SecretString::from(PASSPHRASE.to_string()))
            ),
        ),
        (
            "BackupTarget",
            format!(
                "{:?}",
                BackupTarget::Passphrase(SecretString::from(PASSPHRASE.to_string()))
            ),
        ),
        ("Vault", format!("{vault:?}")),
        ("Document", format!("{document:?}")),
        ("Imported", format!("{imported:?}")),
        ("MigrationExport", format!("{migration:?}")),
        (
            "SecretLine",
            format!("{:?}", paper::secret_lines(&account.secret)),
        ),
    ];
    for (what, text) in cases {
        assert_clean(what, &text);
        assert!(
            text.contains("[REDACTED]"),
            "{what}: no [REDACTED] in {text}"
        );
    }
    // The alternate (pretty) form goes through the same impls.
    assert_clean("Vault {:#?}", &format!("{vault:#?}"));
}

// ------------------------------------------------------------------ process

/// Hardening at start: the core file size limit is 0 and the process is not
/// dumpable, so no core file, ptrace or `/proc/PID/mem` read can copy secrets.
/// Checked from outside on a keyfob that waits for the vault lock (and so holds
/// the unlocked identity in memory), and from inside with `debug harden-status`.
#[test]
#[cfg(target_os = "linux")]
fn a_running_keyfob_cannot_be_dumped_or_traced() {
    let env = identity_env();
    let lock = keyfob::vault::VaultLock::acquire(&env.vault(), Duration::ZERO).unwrap();
    let child = keyfob(&env, &["add", "--issuer", "Waiting", "--secret", SECRET])
        .env("KEYFOB_LOCK_WAIT", "30")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let proc_dir = PathBuf::from(format!("/proc/{}", child.id()));
    // Wait (bounded) until the child has its lock file open, i.e. it is past startup.
    let mut waiting = false;
    for _ in 0..400 {
        let fds = std::fs::read_dir(proc_dir.join("fd")).map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .any(|t| t.to_string_lossy().ends_with("vault.age.lock"))
        });
        // Once non-dumpable, the fd directory may be unreadable to us: also past startup.
        if fds.unwrap_or(true) {
            waiting = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(waiting, "keyfob never reached the lock");
    let limits = std::fs::read_to_string(proc_dir.join("limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(
        core.split_whitespace().collect::<Vec<_>>()[4..6],
        ["0", "0"],
        "{core}"
    );
    let status = std::fs::read_to_string(proc_dir.join("status")).unwrap();
    assert!(status.contains("\nState:"), "{status}");
    // A non-dumpable process's /proc entries belong to root, and its memory and
    // environment are closed to other processes of the same user.
    let we_are_root = status_uid("/proc/self/status") == 0;
    if !we_are_root {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(proc_dir.join("status")).unwrap().uid(), 0);
        let environ = std::fs::read(proc_dir.join("environ"));
        assert!(
            environ.is_err(),
            "another process read keyfob's environment"
        );
        let mem = std::fs::File::open(proc_dir.join("mem"));
        assert!(mem.is_err(), "another process opened keyfob's memory");
    }
    drop(lock);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // From inside: the same process state, as keyfob sees it.
    let out = keyfob(&env, &["debug", "harden-status"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("dumpable: false"), "{text}");
    assert!(text.contains("Max core file size 0 0"), "{text}");
    // The relocated read-only data (GOT, vtables) cannot be written, in every
    // build: the loader's doing when dynamically linked, keyfob's when static.
    assert!(text.contains("relro: read-only"), "{text}");
}

#[cfg(target_os = "linux")]
fn status_uid(path: &str) -> u32 {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse().ok())
        .unwrap()
}

// ------------------------------------------------------------------ commands

/// A vault unlocked by the fixed identity that [`leaks`] looks for.
fn identity_env() -> Env {
    Env::with_identity(keyfob::fuzz_entry::FUZZ_IDENTITY)
}

/// keyfob as a plain process, with backtraces on so that a panic would show them.
fn keyfob(env: &Env, args: &[&str]) -> Command {
    let mut cmd = env.process(args);
    cmd.env("RUST_BACKTRACE", "1");
    cmd
}

/// Runs a command, checks its exit status, and returns stdout and stderr; stderr
/// must never hold a secret, whatever the outcome.
fn run(mut cmd: impl BorrowMut<Command>, success: bool, what: &str) -> (String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.borrow_mut().output().unwrap();
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    assert_eq!(status.success(), success, "{what}: {stderr}");
    assert_clean(&format!("{what} (stderr)"), &stderr);
    (stdout, stderr)
}

/// The main commands, on success and on the errors people meet, with a planted
/// secret: it is never on stderr, never on stdout unless asked for (`show --uri`,
/// `export` to standard output is not used here), and never in the backup log.
#[test]
fn commands_never_print_the_secret_unless_asked() {
    let env = identity_env();
    let uri = format!("otpauth://totp/Hygiene:alice?secret={SECRET}&issuer=Hygiene");
    run(keyfob(&env, &["add", &uri]), true, "add");
    let (out, _) = run(keyfob(&env, &["list"]), true, "list");
    assert_clean("list", &out);
    assert!(out.contains("Hygiene"), "{out}");
    let (out, _) = run(keyfob(&env, &["list", "--json"]), true, "list --json");
    assert_clean("list --json", &out);
    let (out, _) = run(keyfob(&env, &["code", "Hygiene"]), true, "code");
    assert_clean("code", &out);
    let (out, _) = run(
        keyfob(&env, &["show", "Hygiene", "--qr"]),
        true,
        "show --qr",
    );
    assert_clean("show --qr", &out);
    // Asked for: the URI carries it (so the needle list above does find secrets).
    let (out, _) = run(
        keyfob(&env, &["show", "Hygiene", "--uri"]),
        true,
        "show --uri",
    );
    assert!(
        !leaks(&out).is_empty(),
        "show --uri should print the secret"
    );

    // Errors that involve the secret.
    run(keyfob(&env, &["add", &uri]), false, "duplicate add");
    let bad_digits = format!("otpauth://totp/X:y?secret={SECRET}&digits=99");
    run(
        keyfob(&env, &["add", &bad_digits]),
        false,
        "add with bad digits",
    );
    let bad_algo = format!("otpauth://totp/X:y?secret={SECRET}&algorithm=MD4");
    run(
        keyfob(&env, &["add", &bad_algo]),
        false,
        "add with bad algorithm",
    );
    let bad_secret = format!("{}!", &SECRET[..20]);
    run(
        keyfob(&env, &["add", "--issuer", "Bad", "--secret", &bad_secret]),
        false,
        "add with a bad secret",
    );
    assert!(
        !String::from_utf8_lossy(
            &keyfob(&env, &["add", "--issuer", "Bad", "--secret", &bad_secret])
                .output()
                .unwrap()
                .stderr
        )
        .contains(&bad_secret[..12]),
        "the rejected secret is echoed"
    );
    run(
        keyfob(&env, &["edit", "Hygiene", "--secret", &bad_secret]),
        false,
        "edit with a bad secret",
    );
    run(
        keyfob(&env, &["edit", "Hygiene", "--note", "changed"]),
        true,
        "edit",
    );

    // Imports: a good file, a broken one that contains the secret, a wrong format.
    std::fs::write(
        env.path("list.txt"),
        format!("otpauth://totp/Other:bob?secret={SECRET}&issuer=Other\n"),
    )
    .unwrap();
    run(
        keyfob(&env, &["import", env.path("list.txt").to_str().unwrap()]),
        true,
        "import",
    );
    std::fs::write(
        env.path("broken.json"),
        format!(r#"{{"header": {{"slots": null}}, "db": {{"entries": [{{"secret": "{SECRET}", "#),
    )
    .unwrap();
    run(
        keyfob(&env, &["import", env.path("broken.json").to_str().unwrap()]),
        false,
        "import of a broken file",
    );
    std::fs::write(
        env.path("aegis.json"),
        format!(
            r#"{{"version": 1, "header": {{"slots": null, "params": null}}, "db": {{"version": 2, "entries": [{{"type": "totp", "name": "n", "issuer": "i", "info": {{"secret": "{SECRET}", "algo": "MD5", "digits": 6, "period": 30}}}}]}}}}"#
        ),
    )
    .unwrap();
    let (out, _) = run(
        keyfob(
            &env,
            &[
                "import",
                "--dry-run",
                env.path("aegis.json").to_str().unwrap(),
            ],
        ),
        true,
        "import with a skipped entry",
    );
    assert_clean("import --dry-run", &out);

    // Exports to files: the files hold secrets by design, stderr does not.
    for (format, file) in [
        ("paper", "sheet.pdf"),
        ("uris", "uris.txt"),
        ("aegis", "a.json"),
    ] {
        run(
            keyfob(
                &env,
                &[
                    "export",
                    "--format",
                    format,
                    "--out",
                    env.path(file).to_str().unwrap(),
                ],
            ),
            true,
            &format!("export {format}"),
        );
    }
    run(
        keyfob(&env, &["verify", env.path("sheet.pdf").to_str().unwrap()]),
        true,
        "verify",
    );
    run(
        keyfob(&env, &["remove", "Hygiene", "--yes"]),
        true,
        "remove",
    );

    // Damaged vault and wrong identity.
    let good = std::fs::read(env.vault()).unwrap();
    let mut damaged = good.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    std::fs::write(env.vault(), &damaged).unwrap();
    run(keyfob(&env, &["list"]), false, "list on a damaged vault");
    std::fs::write(env.vault(), &good).unwrap();
    std::fs::write(
        env.path("other-id.txt"),
        "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n",
    )
    .unwrap();
    run(
        keyfob(&env, &["list"]).env("KEYFOB_IDENTITY", env.path("other-id.txt")),
        false,
        "list with a bad identity file",
    );

    // Nothing beside the vault that is not encrypted holds the secret.
    for entry in std::fs::read_dir(env.dir.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("vault.age.") && !name.ends_with(".age") {
            let bytes = std::fs::read(entry.path()).unwrap();
            let is_backup = keyfob::vault::retention::is_backup_name("vault.age", &name);
            if !is_backup {
                assert_clean(&name, &String::from_utf8_lossy(&bytes));
            }
        }
    }
}

/// Passphrase vaults: the passphrase never shows on stderr, including for a
/// wrong passphrase (two scrypt runs, about two seconds).
#[test]
fn the_passphrase_never_shows() {
    let env = identity_env();
    std::fs::write(env.path("pass"), format!("{PASSPHRASE}\n")).unwrap();
    std::fs::write(env.path("wrong"), format!("{PASSPHRASE}-wrong\n")).unwrap();
    let vault = env.path("p.age");
    let pass = |file: &str| {
        let mut cmd = Command::new(KEYFOB);
        cmd.env_remove("KEYFOB_IDENTITY")
            .env("KEYFOB_VAULT", &vault)
            .arg("--passphrase-file")
            .arg(env.path(file))
            .stdin(Stdio::null());
        cmd
    };
    run(pass("pass").arg("init"), true, "init with a passphrase");
    let (_, stderr) = run(pass("wrong").arg("list"), false, "wrong passphrase");
    assert!(stderr.contains("wrong passphrase"), "{stderr}");
    assert!(!stderr.contains("hygiene-passphrase"), "{stderr}");
}
