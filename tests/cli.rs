//! CLI integration tests: every command and every error path of the spine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;
use predicates::prelude::*;

mod common;
use common::Env;

const SECRET: &str = "JBSWY3DPEHPK3PXP";
const PASS: &str = "correct horse battery";

/// A directory with the passphrase files `pass` and `newpass`, and no vault yet.
fn passphrase_env() -> Env {
    let env = Env::empty();
    std::fs::write(env.path("pass"), format!("{PASS}\n")).unwrap();
    std::fs::write(env.path("newpass"), "another passphrase\n").unwrap();
    env
}

/// Initialises the vault with a new identity in `id.txt`.
fn init_identity(env: &Env) {
    env.cmd().arg("init").assert().success();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn init_with_passphrase_then_everything_needs_it() {
    let env = passphrase_env();
    env.pass()
        .arg("init")
        .assert()
        .success()
        .stderr(predicate::str::contains("Created the vault"));
    assert_eq!(mode(&env.vault()), 0o600);
    // Refuses to overwrite.
    let before = std::fs::read(env.vault()).unwrap();
    env.pass()
        .arg("init")
        .assert()
        .failure()
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(std::fs::read(env.vault()).unwrap(), before);
    // Wrong passphrase: clear message, non-zero, file unchanged.
    env.bare()
        .args(["--passphrase-file"])
        .arg(env.path("newpass"))
        .arg("list")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrong passphrase"));
    assert_eq!(std::fs::read(env.vault()).unwrap(), before);
    // No TTY and no passphrase source: an error, not a hang.
    env.bare()
        .arg("list")
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no terminal to ask on")
                .and(predicate::str::contains("--passphrase-file")),
        );
    // Passphrase on standard input.
    env.bare()
        .args(["--passphrase-file", "-", "list"])
        .write_stdin(format!("{PASS}\n"))
        .assert()
        .success();
    // The environment variable works too.
    env.bare()
        .env("KEYFOB_PASSPHRASE_FILE", env.path("pass"))
        .arg("list")
        .assert()
        .success();
}

#[test]
fn init_without_passphrase_source_fails_cleanly() {
    let env = passphrase_env();
    env.bare()
        .arg("init")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no terminal to ask on"));
    assert!(!env.vault().exists());
    std::fs::write(env.path("empty"), "\n").unwrap();
    env.bare()
        .arg("--passphrase-file")
        .arg(env.path("empty"))
        .arg("init")
        .assert()
        .failure()
        .stderr(predicate::str::contains("empty"));
    assert!(!env.vault().exists());
}

#[test]
fn init_with_new_identity_creates_a_private_identity_file() {
    let env = passphrase_env();
    env.cmd()
        .arg("init")
        .assert()
        .success()
        .stderr(predicate::str::contains("public key age1"));
    assert_eq!(mode(&env.path("id.txt")), 0o600);
    assert!(
        std::fs::read_to_string(env.path("id.txt"))
            .unwrap()
            .contains("AGE-SECRET-KEY-1")
    );
    // A different identity cannot open it; a passphrase is refused with advice.
    let other = passphrase_env();
    other.cmd().arg("init").assert().success();
    env.bare()
        .arg("--identity")
        .arg(other.path("id.txt"))
        .arg("list")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("identity does not match"));
    env.pass()
        .arg("list")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--identity"));
    std::fs::write(env.path("bad-id.txt"), "not a key\n").unwrap();
    env.bare()
        .arg("--identity")
        .arg(env.path("bad-id.txt"))
        .arg("list")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("AGE-SECRET-KEY-1"));
}

#[test]
fn add_list_code_show() {
    let env = passphrase_env();
    init_identity(&env);
    env.add(&[&format!(
        "otpauth://totp/GitHub:alice?secret={}&issuer=GitHub",
        SECRET.to_lowercase()
    )]);
    env.add(&[
        "--issuer",
        "GitLab",
        "--name",
        "bob",
        "--secret",
        "GEZD GNBV GY3T QOJQ",
        "--digits",
        "8",
        "--algorithm",
        "sha256",
        "--period",
        "60",
    ]);
    env.add(&[
        "--issuer",
        "Bank",
        "--name",
        "me",
        "--secret",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "--hotp",
        "--counter",
        "3",
    ]);
    env.add(&[
        "--issuer", "Steam", "--name", "gamer", "--secret", SECRET, "--steam",
    ]);

    let table = stdout(env.cmd().arg("list"));
    for needle in ["GitHub", "alice", "GitLab", "bob", "hotp", "steam"] {
        assert!(table.contains(needle), "{needle} missing from {table}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&stdout(env.cmd().args(["list", "--json"]))).unwrap();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[1]["issuer"], "GitLab");
    assert_eq!(list[1]["digits"], 8);
    assert_eq!(list[1]["period"], 60);
    assert_eq!(list[1]["algorithm"], "SHA256");
    assert_eq!(list[2]["counter"], 3);
    let raw = serde_json::to_string(&json).unwrap();
    assert!(
        !raw.contains(SECRET) && !raw.contains("GEZDGNBV") && !raw.contains("secret"),
        "{raw}"
    );

    // Codes agree with independent references (RFC 6238 key "12345678901234567890" = GEZDGNBVGY3TQOJQ…).
    assert_eq!(
        stdout(env.cmd().args(["code", "github", "--at", "0"])).trim(),
        "282760"
    );
    assert_eq!(
        stdout(env.cmd().args(["code", "steam", "--at", "1700000000"])).trim(),
        "2KM2P"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(
        env.cmd().args(["code", "GitHub", "--at", "59", "--json"]),
    ))
    .unwrap();
    assert_eq!(json["issuer"], "GitHub");
    assert_eq!(json["name"], "alice");
    assert_eq!(json["seconds_remaining"], 1);
    assert_eq!(json["code"].as_str().unwrap().len(), 6);

    // HOTP: RFC 4226 counter 3 then 4, and the counter is saved.
    assert_eq!(stdout(env.cmd().args(["code", "bank"])).trim(), "969429");
    assert_eq!(stdout(env.cmd().args(["code", "bank"])).trim(), "338314");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(env.cmd().args(["list", "--json"]))).unwrap();
    assert_eq!(json[2]["counter"], 5);

    // Several matches: listed, exit 2, nothing on stdout. None: exit 1.
    env.cmd()
        .args(["code", "git"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("GitHub (alice)")
                .and(predicate::str::contains("GitLab (bob)")),
        );
    env.cmd()
        .args(["code", "nothing"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("no account matches 'nothing'"));

    let uri = stdout(env.cmd().args(["show", "github", "--uri"]));
    assert_eq!(
        uri.trim(),
        format!(
            "otpauth://totp/GitHub:alice?secret={SECRET}&issuer=GitHub&algorithm=SHA1&digits=6&period=30"
        )
    );
    let qr = stdout(env.cmd().args(["show", "github", "--qr"]));
    assert!(
        qr.contains('█') && qr.contains('▀') && qr.lines().count() > 15,
        "{qr}"
    );
    env.cmd().args(["show", "github"]).assert().code(2);
}

#[test]
fn add_rejects_bad_input_and_duplicates() {
    let env = passphrase_env();
    init_identity(&env);
    let before = std::fs::read(env.vault()).unwrap();
    env.cmd()
        .args(["add", "https://example.com"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not an otpauth URI"));
    env.cmd()
        .args(["add", "otpauth://totp/x?secret=NOT-BASE32!"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not valid base32"));
    env.cmd()
        .args(["add", "--issuer", "x", "--secret", SECRET, "--digits", "12"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("digits '12'"));
    env.cmd()
        .args([
            "add",
            "--issuer",
            "x",
            "--secret",
            SECRET,
            "--algorithm",
            "MD5",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("'MD5'"));
    env.cmd()
        .args(["add", "--issuer", "x"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--secret"));
    assert_eq!(
        std::fs::read(env.vault()).unwrap(),
        before,
        "failed adds must not touch the vault"
    );
    env.add(&["--issuer", "x", "--secret", SECRET]);
    env.cmd()
        .args(["add", "--issuer", "y", "--secret", SECRET])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already in the vault as 'x'"));
    // URI from standard input.
    env.cmd()
        .args(["add", "-"])
        .write_stdin("otpauth://totp/Other:me?secret=GEZDGNBVGY3TQOJQ\n")
        .assert()
        .success();
    assert!(stdout(env.cmd().arg("list")).contains("Other"));
}

#[test]
fn edit_and_remove() {
    let env = passphrase_env();
    init_identity(&env);
    env.add(&["--issuer", "GitHub", "--name", "alice", "--secret", SECRET]);
    env.cmd()
        .args([
            "edit",
            "github",
            "--issuer",
            "GitHub.com",
            "--period",
            "60",
            "--tag",
            "work",
            "--favorite",
            "true",
        ])
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&stdout(env.cmd().args(["list", "--json"]))).unwrap();
    assert_eq!(json[0]["issuer"], "GitHub.com");
    assert_eq!(json[0]["period"], 60);
    assert_eq!(json[0]["tags"][0], "work");
    assert_eq!(json[0]["favorite"], true);
    env.cmd()
        .args(["edit", "github", "--digits", "4"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("digits '4'"));
    env.cmd()
        .args(["edit", "github", "--counter", "4"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("HOTP"));
    env.cmd()
        .args(["edit", "nothing", "--name", "x"])
        .assert()
        .code(1);
    // Removal needs --yes without a terminal.
    env.cmd()
        .args(["remove", "github"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--yes"));
    env.cmd()
        .args(["remove", "github", "--yes"])
        .assert()
        .success();
    assert_eq!(stdout(env.cmd().args(["list", "--json"])).trim(), "[]");
    // The previous version is a backup beside it.
    let backup = format!("{}.1", env.vault().display());
    env.bare()
        .arg("--identity")
        .arg(env.path("id.txt"))
        .args(["--vault", &backup, "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("GitHub.com"));
}

#[test]
fn passwd_changes_the_passphrase() {
    let env = passphrase_env();
    env.pass().arg("init").assert().success();
    env.pass()
        .args(["add", "--issuer", "a", "--secret", SECRET])
        .assert()
        .success();
    env.pass()
        .arg("passwd")
        .arg("--new-passphrase-file")
        .arg(env.path("newpass"))
        .assert()
        .success();
    env.pass()
        .arg("list")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrong passphrase"));
    env.bare()
        .arg("--passphrase-file")
        .arg(env.path("newpass"))
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("a "));
    env.pass().arg("passwd").assert().failure();
}

#[test]
fn damaged_foreign_newer_and_missing_vaults() {
    let env = passphrase_env();
    env.cmd()
        .args(["list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("keyfob init"));
    init_identity(&env);
    env.add(&["--issuer", "a", "--secret", SECRET]);
    let good = std::fs::read(env.vault()).unwrap();
    std::fs::write(env.vault(), &good[..good.len() - 20]).unwrap();
    env.cmd()
        .arg("list")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("damaged"));
    std::fs::write(env.vault(), b"hello, not a vault").unwrap();
    env.cmd()
        .arg("list")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a keyfob vault"));
    // An age file that is not a keyfob document, and one from a newer keyfob, both made with the stock age tool.
    let recipient = std::fs::read_to_string(env.path("id.txt"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .unwrap();
    for (content, message) in [
        ("{\"hello\": 1}", "holds something else"),
        (
            "{\"format\":\"keyfob-vault\",\"version\":9}",
            "newer keyfob",
        ),
    ] {
        std::fs::write(env.path("plain.json"), content).unwrap();
        let status = StdCommand::new("age")
            .args(["-r", &recipient, "-o"])
            .arg(env.vault())
            .arg(env.path("plain.json"))
            .status();
        let Ok(status) = status else {
            panic!("the 'age' tool is needed for this test (Debian package age)")
        };
        assert!(status.success());
        let before = std::fs::read(env.vault()).unwrap();
        env.cmd()
            .arg("list")
            .assert()
            .code(1)
            .stderr(predicate::str::contains(message));
        env.cmd()
            .args(["add", "--issuer", "b", "--secret", SECRET])
            .assert()
            .code(1);
        assert_eq!(std::fs::read(env.vault()).unwrap(), before);
    }
}

#[test]
fn second_writer_is_refused_while_the_vault_is_locked() {
    let env = passphrase_env();
    init_identity(&env);
    let _held = keyfob::vault::VaultLock::acquire(&env.vault(), std::time::Duration::ZERO).unwrap();
    let before = std::fs::read(env.vault()).unwrap();
    env.cmd()
        .args(["add", "--issuer", "a", "--secret", SECRET])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "vault is in use by another keyfob (pid {})",
            std::process::id()
        )));
    assert_eq!(std::fs::read(env.vault()).unwrap(), before);
    // Readers are not blocked.
    env.cmd().arg("list").assert().success();
}

/// The vault decrypted by the stock age tool with the identity in `id.txt`.
fn age_decrypt(env: &Env) -> Vec<u8> {
    let out = StdCommand::new("age")
        .arg("-d")
        .arg("-i")
        .arg(env.path("id.txt"))
        .arg(env.vault())
        .output()
        .expect("the 'age' tool (Debian package age)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn stock_age_tool_decrypts_the_vault() {
    let env = passphrase_env();
    init_identity(&env);
    env.add(&["--issuer", "GitHub", "--secret", SECRET]);
    let doc: serde_json::Value = serde_json::from_slice(&age_decrypt(&env)).unwrap();
    assert_eq!(doc["format"], "keyfob-vault");
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["accounts"][0]["secret"], SECRET);
    assert!(doc["accounts"][0]["changed"]["token"].as_i64().unwrap() > 0);
    // A removal leaves a tombstone: the id and the time, not the secret.
    let id = doc["accounts"][0]["id"].clone();
    env.cmd()
        .args(["remove", "--yes", "GitHub"])
        .assert()
        .success();
    let plain = age_decrypt(&env);
    let doc: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(doc["accounts"].as_array().unwrap().len(), 0);
    assert_eq!(doc["tombstones"][0]["id"], id);
    assert!(doc["tombstones"][0]["deleted"].as_i64().unwrap() > 0);
    let plain = String::from_utf8(plain).unwrap();
    assert!(!plain.contains(SECRET), "the tombstone holds the secret");

    // Passphrase mode: age reads the passphrase from a terminal, so give it one with script(1).
    let env = passphrase_env();
    env.pass().arg("init").assert().success();
    env.pass()
        .args(["add", "--issuer", "GitHub", "--secret", SECRET])
        .assert()
        .success();
    let plain = env.path("plain.json");
    let shell = format!(
        "age -d -o '{}' '{}'",
        plain.display(),
        env.vault().display()
    );
    let mut child = StdCommand::new("script")
        .args(["-qec", &shell, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("script(1) from util-linux");
    std::thread::sleep(std::time::Duration::from_millis(800));
    use std::io::Write;
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(format!("{PASS}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(plain).unwrap()).unwrap();
    assert_eq!(doc["accounts"][0]["issuer"], "GitHub");
}

#[test]
fn portable_mode_uses_the_vault_beside_the_program() {
    let env = passphrase_env();
    let bin_dir = env.path("stick");
    std::fs::create_dir(&bin_dir).unwrap();
    let program = bin_dir.join("keyfob");
    std::fs::copy(assert_cmd::cargo::cargo_bin("keyfob"), &program).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = Command::new(&program);
        cmd.env_remove("KEYFOB_VAULT")
            .env_remove("KEYFOB_PASSPHRASE_FILE")
            .env("HOME", env.path("home"))
            .arg("--identity")
            .arg(env.path("id.txt"))
            .args(args);
        cmd
    };
    // Without the portable file the vault would be in the (empty) home's data dir.
    run(&["list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "home/.local/share/keyfob/vault.age",
        ));
    env.bare()
        .arg("--identity")
        .arg(env.path("id.txt"))
        .args(["--vault"])
        .arg(bin_dir.join("keyfob.vault.age"))
        .arg("init")
        .assert()
        .success();
    run(&["add", "--issuer", "Portable", "--secret", SECRET])
        .assert()
        .success();
    run(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Portable"));
    // --vault still wins.
    run(&[
        "--vault",
        env.path("elsewhere.age").to_str().unwrap(),
        "list",
    ])
    .assert()
    .code(1)
    .stderr(predicate::str::contains("elsewhere.age"));
}

#[test]
fn completions_man_and_help() {
    let env = passphrase_env();
    let bash = stdout(env.bare().args(["completions", "bash"]));
    assert!(bash.contains("keyfob") && bash.contains("passphrase-file"));
    let man = stdout(env.bare().arg("man"));
    assert!(
        man.contains(".TH keyfob") && man.contains("passphrase\\-file"),
        "{}",
        &man[..200.min(man.len())]
    );
    let help = stdout(env.bare().arg("--help"));
    for command in [
        "init",
        "add",
        "list",
        "code",
        "show",
        "edit",
        "remove",
        "passwd",
        "completions",
    ] {
        assert!(help.contains(command), "{command} missing from --help");
    }
}
