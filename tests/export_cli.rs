//! `keyfob export` and `keyfob verify` end to end: every export format read back
//! by `keyfob import` into a second vault gives exactly the same accounts; a
//! printed sheet goes through `pdftoppm -r 150` first, as a scan would.
//! Also: no overwriting without `--force`, private files, no partial files, the
//! vault never touched, and the backup reminders of `keyfob list`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as StdCommand;

use predicates::prelude::*;

mod common;
use common::Env;

/// Accounts of every kind keyfob holds, including what Google's format cannot carry.
const ACCOUNTS: &[&str] = &[
    "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
    "otpauth://totp/Example%20Corp:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Corp&algorithm=SHA256&digits=8&period=60",
    "otpauth://totp/%C3%9Cml%C3%A4ut%20Bank:%C3%A9lodie?secret=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZPJQWEY3EMVTGO2DJNJVWY3LON5YHC4TTORVXK5TWO54HS6Q&issuer=%C3%9Cml%C3%A4ut%20Bank&algorithm=SHA512&digits=7",
    "otpauth://hotp/Bank:carol?secret=KRSXG5CTMVRXEZLUKN2XAZLSONSWG4TFOQ&counter=42&issuer=Bank",
    "otpauth://totp/solo-account?secret=ORSXG5A&digits=6",
    "otpauth://totp/Google:dave%40gmail.com?secret=NBSWY3DPO5XXE3DE&issuer=Google&algorithm=SHA1&digits=6&period=30",
];

fn fill(env: &Env) {
    for uri in ACCOUNTS {
        env.add(&[uri]);
    }
    env.add(&[
        "--steam",
        "--issuer",
        "Steam",
        "--name",
        "gamer",
        "--secret",
        "KRUGKIDROVUWG2ZAMJZG653OEBTG66BANJ2W24DT",
    ]);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn rasterize(pdf: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let status = StdCommand::new("pdftoppm")
        .args(["-r", "150", "-png"])
        .arg(pdf)
        .arg(dir.join("page"))
        .status()
        .expect("pdftoppm (Debian poppler-utils) is needed; scripts/test.sh installs it");
    assert!(status.success());
}

#[test]
fn paper_sheet_scanned_at_150_dpi_imports_the_same_accounts_and_verifies() {
    let env = Env::new();
    fill(&env);
    let before = std::fs::read(env.vault()).unwrap();
    env.cmd()
        .args(["export", "--format", "paper", "--out"])
        .arg(env.path("sheet.pdf"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "recovery sheet (a4) of 7 accounts",
        ))
        .stderr(predicate::str::contains("keyfob verify"));
    let pdf = std::fs::read(env.path("sheet.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(mode(&env.path("sheet.pdf")), 0o600);
    assert_eq!(
        std::fs::read(env.vault()).unwrap(),
        before,
        "export changed the vault"
    );

    let scans = env.path("scans");
    rasterize(&env.path("sheet.pdf"), &scans);
    let restored = Env::new();
    restored
        .cmd()
        .arg("import")
        .arg(&scans)
        .assert()
        .success()
        .stdout(predicate::str::contains("Imported 7 accounts"));
    assert_eq!(restored.uris(), env.uris());
    // Sheet order is kept.
    let list = |e: &Env| String::from_utf8(e.cmd().arg("list").output().unwrap().stdout).unwrap();
    assert_eq!(list(&restored), list(&env));

    // The scan and the PDF both verify against the vault.
    env.cmd()
        .arg("verify")
        .arg(&scans)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("7 of 7"));
    env.cmd()
        .arg("verify")
        .arg(env.path("sheet.pdf"))
        .assert()
        .code(0);
    // An account added since: the sheet misses it (exit 2) and says which.
    env.add(&["otpauth://totp/NewSite:erin?secret=MZXW6YTBOI&issuer=NewSite"]);
    env.cmd()
        .arg("verify")
        .arg(&scans)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("NewSite (erin)"));
    // A HOTP counter that moved on since printing is expected, not a difference.
    env.cmd()
        .args(["edit", "carol", "--counter", "50"])
        .assert()
        .success();
    env.cmd()
        .arg("verify")
        .arg(&scans)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("different:").not());
    // A secret changed since: the sheet differs (exit 1) and says which.
    env.cmd()
        .args(["edit", "carol", "--secret", "MZXW6YTBOIFQ"])
        .assert()
        .success();
    env.cmd()
        .arg("verify")
        .arg(&scans)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("different: Bank (carol)"))
        .stdout(predicate::str::contains("1 different, 1 missing"));
}

#[test]
fn age_backups_to_a_passphrase_or_recipients_restore_exactly() {
    let env = Env::new();
    fill(&env);
    std::fs::write(env.path("backup-pass"), "a backup passphrase\n").unwrap();
    env.cmd()
        .args(["export", "--format", "age", "--out"])
        .arg(env.path("backup.age"))
        .arg("--backup-passphrase-file")
        .arg(env.path("backup-pass"))
        .assert()
        .success();
    assert_eq!(mode(&env.path("backup.age")), 0o600);
    // Readable by the stock age tool with the passphrase? age asks on a TTY only,
    // so check the header instead, and let keyfob read it back.
    let bytes = std::fs::read(env.path("backup.age")).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n-> scrypt "));
    env.cmd()
        .arg("verify")
        .arg(env.path("backup.age"))
        .arg("--source-passphrase-file")
        .arg(env.path("backup-pass"))
        .assert()
        .code(0);
    std::fs::write(env.path("wrong-pass"), "not it\n").unwrap();
    env.cmd()
        .arg("verify")
        .arg(env.path("backup.age"))
        .arg("--source-passphrase-file")
        .arg(env.path("wrong-pass"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrong"));
    let restored = Env::new();
    restored
        .cmd()
        .arg("import")
        .arg(env.path("backup.age"))
        .arg("--source-passphrase-file")
        .arg(env.path("backup-pass"))
        .assert()
        .success();
    assert_eq!(restored.uris(), env.uris());

    // To two recipients, armored: either identity opens it, and so does stock age.
    let other = Env::new();
    env.cmd()
        .args(["export", "--format", "age", "--armor", "--out"])
        .arg(env.path("backup.age.txt"))
        .args(["--recipient", &other.public_key()])
        .args(["--recipient", &restored.public_key()])
        .assert()
        .success();
    let armored = std::fs::read_to_string(env.path("backup.age.txt")).unwrap();
    assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
    // Without an identity, or with a password, it says an identity is needed
    // (never asking for a password it cannot use), and changes nothing.
    let before = std::fs::read(other.path("vault.age")).unwrap();
    for command in ["import", "verify"] {
        other
            .cmd()
            .arg(command)
            .arg(env.path("backup.age.txt"))
            .assert()
            .failure()
            .stderr(predicate::str::contains("encrypted to age recipients"))
            .stderr(predicate::str::contains("--source-identity PATH"));
        other
            .cmd()
            .arg(command)
            .arg(env.path("backup.age.txt"))
            .arg("--source-passphrase-file")
            .arg(env.path("backup-pass"))
            .assert()
            .failure()
            .stderr(predicate::str::contains("encrypted to age recipients"));
        // An identity that is not one of the recipients.
        other
            .cmd()
            .arg(command)
            .arg(env.path("backup.age.txt"))
            .arg("--source-identity")
            .arg(env.path("id.txt"))
            .assert()
            .failure()
            .stderr(predicate::str::contains(
                "not one of the backup's recipients",
            ));
    }
    assert_eq!(std::fs::read(other.path("vault.age")).unwrap(), before);
    // Given both, the passphrase backup takes the passphrase, whatever the identity.
    other
        .cmd()
        .args(["import", "--dry-run"])
        .arg(env.path("backup.age"))
        .arg("--source-passphrase-file")
        .arg(env.path("backup-pass"))
        .arg("--source-identity")
        .arg(other.path("id.txt"))
        .assert()
        .success()
        .stdout(predicate::str::contains("(keyfob backup): 7 would add"));
    other
        .cmd()
        .arg("import")
        .arg(env.path("backup.age.txt"))
        .arg("--source-identity")
        .arg(other.path("id.txt"))
        .assert()
        .success();
    assert_eq!(other.uris(), env.uris());
    let age = StdCommand::new("age")
        .arg("-d")
        .arg("-i")
        .arg(restored.path("id.txt"))
        .arg(env.path("backup.age.txt"))
        .output()
        .expect("the Debian package age is needed; scripts/test.sh installs it");
    assert!(age.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&age.stdout).unwrap();
    assert_eq!(doc["accounts"].as_array().unwrap().len(), 7);

    // A bad recipient is refused before anything is written.
    env.cmd()
        .args([
            "export",
            "--format",
            "age",
            "--recipient",
            "age1nope",
            "--out",
        ])
        .arg(env.path("never.age"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("age1nope"));
    assert!(!env.path("never.age").exists());
}

#[test]
fn uris_aegis_and_google_exports_import_back() {
    let env = Env::new();
    fill(&env);
    let all = env.uris();
    for format in ["uris", "aegis"] {
        let out = env.path(&format!("export.{format}"));
        env.cmd()
            .args(["export", "--format", format, "--out"])
            .arg(&out)
            .assert()
            .success();
        assert_eq!(mode(&out), 0o600);
        let restored = Env::new();
        restored.cmd().arg("import").arg(&out).assert().success();
        assert_eq!(restored.uris(), all, "{format} round trip");
    }

    // Google's format has no Steam, 7 digits or 60-second periods: those are
    // named and left out, the rest come back exactly.
    env.cmd()
        .args(["export", "--format", "google-qr", "--out"])
        .arg(env.path("google"))
        .assert()
        .success()
        .stderr(predicate::str::contains("not exported: Steam (gamer)"))
        .stderr(predicate::str::contains("not exported: Example Corp (bob)"))
        .stderr(predicate::str::contains(
            "not exported: Ümläut Bank (élodie)",
        ))
        .stderr(predicate::str::contains("1 QR code for 4 accounts"))
        .stderr(predicate::str::contains(
            "(the images hold your secrets in plain text; delete them once scanned).",
        ));
    assert_eq!(
        files_in(&env.path("google")),
        BTreeSet::from(["keyfob-google-1-of-1.png".to_string()])
    );
    assert_eq!(mode(&env.path("google/keyfob-google-1-of-1.png")), 0o600);
    let restored = Env::new();
    restored
        .cmd()
        .arg("import")
        .arg(env.path("google"))
        .assert()
        .success();
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|u| {
            !(u.contains("/Steam:") || u.contains("/Example%20Corp:") || u.contains("digits=7"))
        })
        .cloned()
        .collect();
    assert_eq!(expected.len(), 4);
    assert_eq!(restored.uris(), expected);
}

#[test]
fn google_export_over_several_codes_names_the_missing_batch() {
    let env = Env::new();
    for i in 0..13 {
        let secret = keyfob::Secret::from_bytes(format!("secret of user {i:02}").into_bytes())
            .unwrap()
            .to_base32();
        env.add(&[&format!(
            "otpauth://totp/Site{i}:user{i}?secret={}&issuer=Site{i}",
            &*secret
        )]);
    }
    env.cmd()
        .args(["export", "--format", "google-qr", "--out"])
        .arg(env.path("google"))
        .assert()
        .success()
        .stderr(predicate::str::contains("2 QR codes for 13 accounts"));
    assert_eq!(
        files_in(&env.path("google")),
        BTreeSet::from([
            "keyfob-google-1-of-2.png".to_string(),
            "keyfob-google-2-of-2.png".to_string()
        ])
    );
    let restored = Env::new();
    restored
        .cmd()
        .arg("import")
        .arg(env.path("google/keyfob-google-2-of-2.png"))
        .assert()
        .success()
        .stdout(predicate::str::contains("3 added"))
        .stdout(predicate::str::contains("QR code 1 of 2 not read yet"));
    restored
        .cmd()
        .arg("import")
        .arg(env.path("google/keyfob-google-1-of-2.png"))
        .assert()
        .success()
        .stdout(predicate::str::contains("10 added"));
    assert_eq!(restored.uris(), env.uris());
}

#[test]
fn exports_never_overwrite_leave_partial_files_or_touch_the_vault() {
    let env = Env::new();
    fill(&env);
    let vault_before = std::fs::read(env.vault()).unwrap();
    let out = env.path("sheet.pdf");
    std::fs::write(&out, "keep me").unwrap();
    env.cmd()
        .args(["export", "--format", "paper", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    env.cmd()
        .args(["export", "--format", "paper", "--force", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF-"));
    assert_eq!(mode(&out), 0o600);

    // Google QR files that exist are not overwritten either.
    env.cmd()
        .args(["export", "--format", "google-qr", "--out"])
        .arg(env.path("g"))
        .assert()
        .success();
    env.cmd()
        .args(["export", "--format", "google-qr", "--out"])
        .arg(env.path("g"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--force"));

    // Failures leave nothing behind.
    let before = files_in(env.dir.path());
    env.cmd()
        .args([
            "export",
            "--format",
            "uris",
            "--select",
            "no such account",
            "--out",
        ])
        .arg(env.path("none.txt"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no account matches"));
    env.cmd()
        .args(["export", "--format", "uris", "--out"])
        .arg(env.path("missing-dir/out.txt"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing-dir"));
    env.cmd()
        .args(["export", "--format", "csv", "--out"])
        .arg(env.path("x.pdf"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("'csv'"));
    env.cmd()
        .args(["export", "--format", "paper", "--paper", "a3", "--out"])
        .arg(env.path("x.pdf"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("'a3'"));
    env.cmd()
        .args(["export", "--format", "paper", "--armor", "--out"])
        .arg(env.path("x.pdf"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--format age"));
    assert_eq!(files_in(env.dir.path()), before);

    // --select prints a subset; verify then reports the rest as missing.
    env.cmd()
        .args(["export", "--format", "paper", "--select", "github", "--out"])
        .arg(env.path("github.pdf"))
        .assert()
        .success()
        .stderr(predicate::str::contains("of 1 account "));
    env.cmd()
        .arg("verify")
        .arg(env.path("github.pdf"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains("1 of 7"));

    assert_eq!(std::fs::read(env.vault()).unwrap(), vault_before);
}

#[test]
fn list_reminds_until_a_verified_backup_covers_every_account() {
    let env = Env::new();
    env.cmd()
        .arg("list")
        .assert()
        .success()
        .stderr(predicate::str::contains("reminder").not());
    fill(&env);
    env.cmd()
        .arg("list")
        .assert()
        .success()
        .stderr(predicate::str::contains("no verified backup yet"));
    // Exporting alone is not enough: the copy must be checked.
    env.cmd()
        .args(["export", "--format", "paper", "--out"])
        .arg(env.path("sheet.pdf"))
        .assert()
        .success();
    env.cmd()
        .arg("list")
        .assert()
        .stderr(predicate::str::contains("no verified backup yet"));
    env.cmd()
        .arg("verify")
        .arg(env.path("sheet.pdf"))
        .assert()
        .code(0);
    env.cmd()
        .arg("list")
        .assert()
        .success()
        .stderr(predicate::str::contains("reminder").not());
    env.add(&["otpauth://totp/Later:frank?secret=MZXW6YTBOI&issuer=Later"]);
    env.cmd()
        .arg("list")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "1 account is not in your last verified backup",
        ));
    // JSON output for scripts stays clean.
    let out = env.cmd().args(["list", "--json"]).output().unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 8);
}

#[test]
fn an_export_that_cannot_be_written_in_full_leaves_nothing() {
    // A file-size limit of 8 KiB makes every write past it fail (EFBIG, with
    // SIGXFSZ ignored), as a full disk would, halfway through the PDF.
    let env = Env::new();
    fill(&env);
    std::fs::create_dir(env.path("out")).unwrap();
    let vault_before = std::fs::read(env.vault()).unwrap();
    let keyfob = assert_cmd::cargo::cargo_bin("keyfob");
    let out = StdCommand::new("bash")
        .arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f 8; exec "$0" "$@""#)
        .arg(&keyfob)
        .arg("--identity")
        .arg(env.path("id.txt"))
        .args(["export", "--format", "paper", "--out"])
        .arg(env.path("out/sheet.pdf"))
        .env("KEYFOB_VAULT", env.vault())
        .env_remove("KEYFOB_PASSPHRASE_FILE")
        .env_remove("KEYFOB_IDENTITY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("writing"), "{stderr}");
    assert!(stderr.contains("too large"), "{stderr}");
    assert!(files_in(&env.path("out")).is_empty());
    assert_eq!(std::fs::read(env.vault()).unwrap(), vault_before);
}

/// The steps of [`the_cli_says_what_it_did_word_for_word`]: each is run in the
/// directory of a vault holding [`ACCOUNTS`] (and the Steam one), with
/// relative paths, so the transcript holds no temporary directory.
const TRANSCRIPT_STEPS: &[&[&str]] = &[
    &["export", "--format", "paper", "--out", "sheet.pdf"],
    &["export", "--format", "paper", "--out", "sheet.pdf"],
    &[
        "export", "--format", "paper", "--paper", "letter", "--select", "GitHub", "--out",
        "one.pdf",
    ],
    &["export", "--format", "uris", "--out", "uris.txt"],
    &["export", "--format", "aegis", "--out", "aegis.json"],
    &["export", "--format", "google-qr", "--out", "qr"],
    &["export", "--format", "google-qr", "--out", "qr"],
    &[
        "export",
        "--format",
        "google-qr",
        "--select",
        "Steam",
        "--out",
        "steam",
    ],
    &["export", "--format", "google-qr", "--out", "uris.txt"],
    &[
        "export",
        "--format",
        "age",
        "--out",
        "backup.age",
        "--backup-passphrase-file",
        "bp",
    ],
    &["export", "--format", "age", "--out", "-"],
    &[
        "export",
        "--format",
        "uris",
        "--out",
        "vault.age",
        "--force",
    ],
    &["export", "--format", "aegis", "--out", "-"],
    &["verify", "backup.age", "--source-passphrase-file", "bp"],
    &["verify", "backup.age"],
    &["verify", "backup.age", "--source-passphrase-file", "wrong"],
    &["verify", "aegis.json"],
    &["verify", "missing.png"],
    &["verify", "uris.txt", "qr"],
    &["list"],
    &["import", "--dry-run", "aegis.json", "qr", "missing.png"],
    &["verify", "new.txt"],
    &["import", "--dry-run", "new.txt", "uris.txt"],
    &["import", "new.txt"],
    &["list"],
];

/// An account the vault of [`TRANSCRIPT_STEPS`] does not have.
const NEW_ACCOUNT: &str = "otpauth://totp/New:x?secret=MZXW6YTBOI&issuer=New\n";

/// Runs the steps and returns what each printed, with its exit status.
fn transcript(env: &Env, steps: &[&[&str]]) -> String {
    let mut out = String::new();
    for step in steps {
        let run = env.cmd().args(*step).output().unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        // A JSON or URI list on standard output holds secrets and random ids: its size is enough.
        let stdout = if step.contains(&"-") {
            format!("({} bytes)\n", run.stdout.len())
        } else {
            stdout.into_owned()
        };
        out.push_str(&format!(
            "$ keyfob {}\n[exit {}]\n{}{}",
            step.join(" "),
            run.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&run.stderr),
            stdout
        ));
    }
    out
}

#[test]
fn the_cli_says_what_it_did_word_for_word() {
    // Made with keyfob at e592231a (before export, verify and import became
    // library jobs): the front end must word every result as it did.
    let env = Env::new();
    fill(&env);
    std::fs::write(env.path("bp"), "a backup passphrase\n").unwrap();
    std::fs::write(env.path("wrong"), "not it\n").unwrap();
    std::fs::write(env.path("new.txt"), NEW_ACCOUNT).unwrap();
    let dir = env.dir.path().display().to_string();
    let got = transcript(&env, TRANSCRIPT_STEPS).replace(&dir, "DIR");
    assert_eq!(got, include_str!("data/cli-transcript.txt"));
}
