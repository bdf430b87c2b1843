//! End-to-end journeys through the terminal UI: the real `keyfob` binary in a
//! pseudo-terminal, its screen read back with a vt100 parser. Every wait polls
//! the screen for the expected text with a generous timeout; nothing sleeps a
//! fixed amount.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use base64::Engine as _;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const BIN: &str = env!("CARGO_BIN_EXE_keyfob");
const TIMEOUT: Duration = Duration::from_secs(60);

struct Ui {
    _master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Ui {
    fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ui {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.cwd(dir);
        for name in [
            "KEYFOB_VAULT",
            "KEYFOB_PASSPHRASE_FILE",
            "KEYFOB_IDENTITY",
            "KEYFOB_LOCK_AFTER",
            "KEYFOB_CLIPBOARD_CLEAR",
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "NO_COLOR",
        ] {
            cmd.env_remove(name);
        }
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Ui {
            _master: pair.master,
            child,
            writer,
            parser,
            raw,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "timed out waiting for '{text}'; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_gone(&self, text: &str) {
        let start = Instant::now();
        while self.screen().contains(text) {
            assert!(
                start.elapsed() < TIMEOUT,
                "'{text}' stayed on the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            let mut buf = [0u8; 4];
            self.send(c.encode_utf8(&mut buf).as_bytes());
        }
    }

    fn quit(mut self) -> Vec<u8> {
        self.send(b"\x11"); // Ctrl-Q
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "keyfob exited with {status:?}");
                break;
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "keyfob did not quit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Give the reader a moment to drain the last bytes.
        let start = Instant::now();
        let mut last = 0;
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let len = self.raw.lock().unwrap().len();
            if len == last || start.elapsed() > Duration::from_secs(5) {
                break;
            }
            last = len;
        }
        self.raw.lock().unwrap().clone()
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// `keyfob ARGS` on the vault with the identity, which must succeed; its stdout.
fn cli_on(vault: &Path, identity: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .env_remove("KEYFOB_VAULT")
        .env_remove("KEYFOB_PASSPHRASE_FILE")
        .env_remove("KEYFOB_IDENTITY")
        .arg("--vault")
        .arg(vault)
        .arg("--identity")
        .arg(identity)
        .args(args)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// The terminal UI on the vault, unlocked by the identity, with extra environment.
fn ui_on(dir: &Path, vault: &Path, identity: &Path, env: &[(&str, &str)]) -> Ui {
    let args = [
        "--vault",
        vault.to_str().unwrap(),
        "--identity",
        identity.to_str().unwrap(),
    ];
    Ui::start(dir, &args, env)
}

/// A vault encrypted to a fresh identity (fast: no scrypt), with two accounts.
fn identity_vault(dir: &Path) -> (PathBuf, PathBuf) {
    let vault = dir.join("vault.age");
    let identity = dir.join("identity.txt");
    let cli = |args: &[&str]| cli_on(&vault, &identity, args);
    cli(&["init"]);
    cli(&[
        "add",
        "--issuer",
        "GitHub",
        "--name",
        "alice@example.com",
        "--secret",
        "JBSWY3DPEHPK3PXP",
    ]);
    cli(&[
        "add",
        "--issuer",
        "Google",
        "--name",
        "alice@gmail.com",
        "--secret",
        "GEZDGNBVGY3TQOJQ",
    ]);
    (vault, identity)
}

fn osc52_payloads(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    text.split("\x1b]52;c;")
        .skip(1)
        .filter_map(|rest| rest.split('\x07').next())
        .map(|b64| {
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap(),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn no_terminal_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    Command::new(BIN)
        .env_remove("KEYFOB_VAULT")
        .arg("--vault")
        .arg(dir.path().join("v.age"))
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("needs a terminal"));
}

#[test]
fn create_a_vault_and_add_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("new.age");
    let vault_arg = vault.to_str().unwrap();
    let mut ui = Ui::start(dir.path(), &["--vault", vault_arg], &[]);
    ui.wait_for("If you forget the passphrase");
    ui.type_text("correct horse battery staple");
    ui.wait_for("Strength:");
    ui.send(b"\r");
    ui.type_text("correct horse battery staple");
    ui.send(b"\r");
    ui.wait_for("No accounts yet");
    assert!(vault.exists());
    ui.send(b"\x0e"); // Ctrl-N
    ui.wait_for("URI or image");
    ui.type_text("otpauth://totp/Acme:me@acme.test?secret=JBSWY3DPEHPK3PXP&issuer=Acme");
    ui.send(b"\r");
    ui.wait_for("Added Acme (me@acme.test)");
    ui.wait_gone("Saving");
    ui.quit();

    let passphrase = dir.path().join("pass");
    std::fs::write(&passphrase, "correct horse battery staple\n").unwrap();
    let out = Command::new(BIN)
        .env_remove("KEYFOB_VAULT")
        .env_remove("KEYFOB_IDENTITY")
        .arg("--vault")
        .arg(&vault)
        .arg("--passphrase-file")
        .arg(&passphrase)
        .arg("list")
        .assert()
        .success();
    let listed = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        listed.contains("Acme") && listed.contains("me@acme.test"),
        "{listed}"
    );
}

#[test]
fn unlock_search_and_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    let mut ui = ui_on(
        dir.path(),
        &vault,
        &identity,
        &[("KEYFOB_CLIPBOARD", "osc52")],
    );
    ui.wait_for("GitHub");
    ui.wait_for("Google");
    ui.type_text("gogl");
    ui.wait_for("1 of 2");
    assert!(!ui.screen().contains("GitHub"));
    ui.send(b"\r");
    let screen = ui.wait_for("Copied Google");
    assert!(screen.contains("OSC 52"), "{screen}");
    let raw = ui.quit();
    let payloads = osc52_payloads(&raw);
    assert_eq!(
        payloads.len(),
        2,
        "one copy and one clear on exit: {payloads:?}"
    );
    let code = &payloads[0];
    assert_eq!(code.len(), 6);
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
    let google = keyfob::Account::new(
        "Google",
        "alice@gmail.com",
        keyfob::Secret::from_base32("GEZDGNBVGY3TQOJQ").unwrap(),
        keyfob::Kind::DEFAULT_TOTP,
        keyfob::Algorithm::Sha1,
        6,
        0,
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let recent: Vec<String> = (0..4)
        .map(|step| {
            keyfob::otp::generate(&google, now - step * 30)
                .unwrap()
                .text
        })
        .collect();
    assert!(recent.contains(code), "copied a code that is not Google's");
    assert_eq!(payloads[1], "", "the clipboard is cleared on exit");
}

#[test]
fn idle_lock_and_unlock_again() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    let mut ui = ui_on(dir.path(), &vault, &identity, &[("KEYFOB_LOCK_AFTER", "2")]);
    ui.wait_for("GitHub");
    let screen = ui.wait_for("The vault is locked.");
    assert!(!screen.contains("GitHub"), "{screen}");
    assert!(screen.contains("Locked after inactivity"), "{screen}");
    ui.send(b"\r");
    ui.wait_for("GitHub");
    ui.send(b"\x0c"); // Ctrl-L
    ui.wait_for("The vault is locked.");
    ui.quit();
}

/// The screen as one line of words, for messages that wrap in a popup.
fn flat(screen: &str) -> String {
    screen.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn hotp_code_is_not_shown_or_copied_when_its_counter_cannot_be_saved() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    let cli = |args: &[&str]| cli_on(&vault, &identity, args);
    cli(&[
        "add",
        "--issuer",
        "Bank",
        "--secret",
        "JBSWY3DPEHPK3PXP",
        "--hotp",
        "--counter",
        "3",
    ]);
    let hotp = |counter: u64| {
        keyfob::otp::hotp(
            b"Hello!\xde\xad\xbe\xef",
            counter,
            keyfob::Algorithm::Sha1,
            6,
        )
        .unwrap()
    };
    let grouped = |code: &str| format!("{} {}", &code[..3], &code[3..]);
    let mut ui = ui_on(
        dir.path(),
        &vault,
        &identity,
        &[("KEYFOB_CLIPBOARD", "osc52")],
    );
    ui.wait_for("Bank");
    // While the terminal UI has the vault open, the file is replaced by a vault
    // under another key: the save can neither merge with it nor overwrite it.
    let original = std::fs::read(&vault).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let (other, _) = identity_vault(&elsewhere);
    std::fs::copy(&other, &vault).unwrap();
    ui.type_text("bank");
    ui.wait_for("1 of 3");
    ui.send(b"\r");
    let start = Instant::now();
    let screen = loop {
        let screen = ui.screen();
        if flat(&screen).contains("not shown or copied") {
            break screen;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "no refusal on the screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        flat(&screen).contains("Press Ctrl-L and unlock to reload"),
        "{screen}"
    );
    assert!(
        !screen.contains(&grouped(&hotp(3))),
        "the unsaved code is on screen:\n{screen}"
    );
    assert!(
        osc52_payloads(&ui.raw.lock().unwrap()).is_empty(),
        "something was copied"
    );

    // The file is put back; reload as told: the code now given out is the one
    // for the counter on disk, never shown before.
    std::fs::write(&vault, &original).unwrap();
    ui.send(b"\x1b"); // dismiss
    ui.wait_gone("not shown");
    ui.send(b"\x0c"); // Ctrl-L
    ui.wait_for("The vault is locked.");
    ui.send(b"\r");
    ui.wait_for("GitHub");
    ui.type_text("bank");
    ui.wait_for("1 of 3");
    ui.send(b"\r");
    ui.wait_for("Copied Bank");
    ui.wait_for(&grouped(&hotp(3)));
    let raw = ui.quit();
    let payloads = osc52_payloads(&raw);
    assert_eq!(
        payloads,
        [hotp(3), String::new()],
        "one copy, one clear on exit"
    );
    // The next code anywhere is the next counter's: code 3 was given out once.
    assert_eq!(cli(&["code", "bank"]).trim(), hotp(4));
}

#[test]
fn import_an_aegis_export_through_ctrl_o() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aegis/plain.json");
    std::fs::copy(&fixture, dir.path().join("aegis-export.json")).unwrap();
    let mut ui = ui_on(dir.path(), &vault, &identity, &[]);
    ui.wait_for("alice@gmail.com");
    ui.send(b"\x0f"); // Ctrl-O
    ui.wait_for("Import accounts");
    ui.type_text("aeg");
    ui.send(b"\t"); // Tab completes the one name
    ui.wait_for("aegis-export.json");
    ui.send(b"\r");
    let screen = ui.wait_for("Enter adds 3 accounts");
    assert!(
        screen.contains("aegis-export.json (Aegis): 3 new, 1 duplicate"),
        "{screen}"
    );
    assert!(
        screen.contains("cannot be moved: Legacy VPN (mobile)"),
        "{screen}"
    );
    ui.send(b"\r");
    ui.wait_for("Imported 3 accounts");
    ui.wait_for("Example Corp");
    ui.quit();
    let list = cli_on(&vault, &identity, &["list"]);
    for name in ["GitHub", "Google", "Example Corp", "Bank", "Steam"] {
        assert!(list.contains(name), "{name} missing from:\n{list}");
    }
}

#[test]
fn import_a_qr_screenshot_through_ctrl_o() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    // The QR code a phone shows for its export: keyfob's own google-qr export of another vault.
    let other = dir.path().join("phone");
    std::fs::create_dir(&other).unwrap();
    let (phone_vault, phone_id) = (other.join("vault.age"), other.join("id.txt"));
    cli_on(&phone_vault, &phone_id, &["init"]);
    cli_on(
        &phone_vault,
        &phone_id,
        &[
            "add",
            "--issuer",
            "Dropbox",
            "--name",
            "carol",
            "--secret",
            "MFRGGZDFMZTWQ2LK",
        ],
    );
    let shots = dir.path().join("shots");
    cli_on(
        &phone_vault,
        &phone_id,
        &[
            "export",
            "--format",
            "google-qr",
            "--out",
            shots.to_str().unwrap(),
        ],
    );
    let mut ui = ui_on(dir.path(), &vault, &identity, &[]);
    ui.wait_for("alice@gmail.com");
    ui.send(b"\x0f"); // Ctrl-O
    ui.wait_for("Import accounts");
    ui.type_text("shots/keyfob-google-1-of-1.png");
    ui.send(b"\r");
    let screen = ui.wait_for("Enter adds 1 account");
    assert!(screen.contains("(image): 1 new"), "{screen}");
    assert!(screen.contains("+ Dropbox (carol)"), "{screen}");
    ui.send(b"\r");
    ui.wait_for("Imported 1 account");
    ui.wait_for("Dropbox");
    ui.quit();
    assert!(cli_on(&vault, &identity, &["list"]).contains("Dropbox"));
}

#[test]
fn an_age_backup_made_and_verified_through_ctrl_p() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    let mut ui = ui_on(dir.path(), &vault, &identity, &[]);
    ui.wait_for("alice@gmail.com");
    ui.send(b"\x10"); // Ctrl-P
    ui.wait_for("No verified backup yet");
    ui.send(b"\x1b[C"); // → age backup
    ui.wait_for("age backup (encrypted)");
    ui.send(b"\x1b[B\x1b[B\x1b[B"); // ↓ file, ↓ encrypt to, ↓ passphrase
    ui.type_text("open sesame");
    ui.send(b"\x1b[B"); // ↓ again
    ui.type_text("open sesame");
    assert!(!ui.screen().contains("open sesame"));
    ui.send(b"\r");
    ui.wait_for("verify it here");
    let backups: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("keyfob-backup-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let bytes = std::fs::read(dir.path().join(&backups[0])).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n-> scrypt "));

    // Up to the action, → four times to verify, the file by Tab, then the passphrase when asked.
    ui.send(b"\x1b[A\x1b[A\x1b[A\x1b[A");
    ui.send(b"\x1b[C\x1b[C\x1b[C\x1b[C");
    ui.wait_for("verify a backup");
    ui.send(b"\x1b[B");
    ui.type_text("keyfob-b");
    ui.send(b"\t");
    ui.wait_for(&backups[0]);
    ui.send(b"\r");
    ui.wait_for("type its passphrase, then Enter");
    ui.type_text("open sesame");
    ui.send(b"\r");
    let screen = ui.wait_for("Recorded as a verified backup.");
    assert!(
        flat(&screen).contains("2 of 2 vault accounts are on the backup and identical"),
        "{screen}"
    );
    ui.wait_for("checked today");
    ui.quit();
    let log = std::fs::read_to_string(dir.path().join("vault.age.backups.json")).unwrap();
    assert!(log.contains("\"verified\""), "{log}");
    assert!(!log.contains("sesame"));
}

#[test]
fn slash_then_a_query_searches_without_the_slash() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    let mut ui = ui_on(
        dir.path(),
        &vault,
        &identity,
        &[("KEYFOB_CLIPBOARD", "osc52")],
    );
    ui.wait_for("Google");
    ui.send(b"/");
    ui.type_text("gith");
    // The whole query first: "1 of 2" already shows after "git".
    ui.wait_for(" / gith");
    ui.wait_gone("Google");
    let screen = ui.wait_for("1 of 2");
    assert!(screen.contains(" / gith"), "{screen}");
    assert!(
        !screen.contains("//"),
        "the / went into the query:\n{screen}"
    );
    assert!(!screen.contains("Nothing matches"), "{screen}");
    ui.send(b"\r");
    ui.wait_for("Copied GitHub");
    // Esc clears the search and leaves the search line; typing still searches.
    ui.send(b"\x1b");
    ui.wait_for("Google");
    ui.type_text("gogl");
    ui.wait_for(" / gogl");
    let screen = ui.wait_for("1 of 2");
    // (The status line still says "Copied GitHub …"; no list row does.)
    assert!(
        !screen.lines().any(|l| l.trim_start().starts_with("GitHub")),
        "{screen}"
    );
    ui.quit();
}

#[test]
fn a_sync_conflict_copy_merged_through_ctrl_g() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    let copy = dir
        .path()
        .join("vault.sync-conflict-20261202-101010-ABCDEFG.age");
    std::fs::copy(&vault, &copy).unwrap();
    cli_on(
        &copy,
        &identity,
        &[
            "add",
            "--issuer",
            "Laptop",
            "--name",
            "alice",
            "--secret",
            "MFRGGZDFMZTWQ2LK",
        ],
    );
    let copy_before = std::fs::read(&copy).unwrap();
    let mut ui = ui_on(dir.path(), &vault, &identity, &[]);
    ui.wait_for("another copy of this vault exists: Ctrl-G merges it");
    ui.send(b"\x07"); // Ctrl-G
    ui.wait_for("Merge another copy of this vault");
    ui.send(b"\r");
    let screen = ui.wait_for("Enter merges and saves.");
    assert!(flat(&screen).contains("added: Laptop (alice)"), "{screen}");
    ui.send(b"\r");
    ui.wait_for("Merged: 1 added");
    let screen = ui.wait_for("Laptop");
    assert!(!flat(&screen).contains("another copy"), "{screen}");
    ui.quit();
    let list = cli_on(&vault, &identity, &["list"]);
    assert!(list.contains("Laptop"), "{list}");
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        copy_before,
        "the copy was changed"
    );
}

#[test]
fn an_account_another_keyfob_adds_shows_up_without_a_key_press() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, identity) = identity_vault(dir.path());
    let ui = ui_on(dir.path(), &vault, &identity, &[]);
    ui.wait_for("alice@gmail.com");
    cli_on(
        &vault,
        &identity,
        &[
            "add",
            "--issuer",
            "Laptop",
            "--name",
            "bob",
            "--secret",
            "MFRGGZDFMZTWQ2LK",
        ],
    );
    let screen = ui.wait_for("Laptop");
    assert!(screen.contains("3 accounts"), "{screen}");
    ui.wait_for("Another program saved the vault");
    ui.quit();
}
