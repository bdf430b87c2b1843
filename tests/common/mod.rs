//! Shared by the integration tests: a temporary directory holding a vault, the
//! keyfob binary pointed at it with a clean environment, and the one lookup of the
//! QR corpus that lives outside the repository ([`qr_corpus`]).
//!
//! Most tests unlock the vault with an age identity (`id.txt`: no scrypt, so fast);
//! tests of passphrase handling write a `pass` file and use [`Env::pass`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;

use assert_cmd::Command;
use assert_cmd::cargo::CommandCargoExt;
use keyfob::vault::{Key, Vault};
use keyfob::{Account, Algorithm, Kind};
use tempfile::TempDir;

/// What an account's otpauth URI carries (issuer, name, secret, kind with period or
/// counter, algorithm, digits): what exports and imports must keep, compared without
/// ids, timestamps, tags, notes and favourites.
pub fn essence(a: &Account) -> (String, String, Vec<u8>, Kind, Algorithm, u8) {
    (
        a.issuer.clone(),
        a.name.clone(),
        a.secret.expose().to_vec(),
        a.kind,
        a.algorithm,
        a.digits,
    )
}

/// A QR code of `text` as a black-on-white image: `module` pixels per module and a
/// four-module quiet zone.
pub fn render_qr(text: &str, module: u32) -> image::GrayImage {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let width = u32::try_from(code.width()).unwrap();
    let colors = code.to_colors();
    let side = (width + 8) * module;
    image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / module).wrapping_sub(4), (y / module).wrapping_sub(4));
        let dark = mx < width
            && my < width
            && colors.get((my * width + mx) as usize) == Some(&qrcode::Color::Dark);
        image::Luma([if dark { 0 } else { 255 }])
    })
}

/// Where the QR corpus is looked for: `KEYFOB_QR_CORPUS` when set, else `shared/qr-corpus`
/// beside the repository (where this team's CI lays a copy of `shared/`).
pub fn qr_corpus_dir(configured: Option<std::ffi::OsString>) -> PathBuf {
    match configured {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/qr-corpus"),
    }
}

/// What [`qr_corpus_at`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Corpus {
    /// The corpus directory.
    Found(PathBuf),
    /// Absent outside CI: the test passes after printing this line.
    Skipped(String),
    /// Absent under CI: the test fails with this message, so CI keeps the floors.
    Missing(String),
}

/// Looks for the QR corpus at `dir` (it holds a `README.md`); `ci` says whether
/// absence fails.
pub fn qr_corpus_at(dir: PathBuf, ci: bool) -> Corpus {
    if dir.join("README.md").is_file() {
        return Corpus::Found(dir);
    }
    let line = format!(
        "QR corpus not found at '{}'; set KEYFOB_QR_CORPUS",
        dir.display()
    );
    if ci {
        Corpus::Missing(format!(
            "{line} (CI is set, so the corpus tests may not skip)"
        ))
    } else {
        Corpus::Skipped(format!("skipped: {line}"))
    }
}

/// The QR corpus for a test that needs it, from `KEYFOB_QR_CORPUS` or beside the
/// repository; every test that reads the corpus goes through here. `None` (after
/// printing one "skipped: …" line) when it is absent, so a fresh clone passes; panics
/// instead when `CI` is set.
pub fn qr_corpus() -> Option<PathBuf> {
    let dir = qr_corpus_dir(std::env::var_os("KEYFOB_QR_CORPUS"));
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    match qr_corpus_at(dir, ci) {
        Corpus::Found(dir) => Some(dir),
        Corpus::Skipped(line) => {
            // Straight to stderr: the test harness captures `eprintln!` of passing tests.
            let _ = writeln!(std::io::stderr(), "{line}");
            None
        }
        Corpus::Missing(message) => panic!("{message}"),
    }
}

/// A temporary directory (removed on drop) for a vault `vault.age` and its keys.
pub struct Env {
    /// The directory.
    pub dir: TempDir,
}

impl Env {
    /// The directory only: no vault, no keys.
    pub fn empty() -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The directory with an initialised vault and a new identity in `id.txt`.
    pub fn new() -> Self {
        let env = Self::empty();
        env.cmd().arg("init").assert().success();
        env
    }

    /// The directory with an initialised vault unlocked by the given identity
    /// (an `AGE-SECRET-KEY-1…` line), for tests that look for it in output.
    pub fn with_identity(identity: &str) -> Self {
        let env = Self::empty();
        std::fs::write(env.path("id.txt"), format!("{identity}\n")).unwrap();
        env.cmd().arg("init").assert().success();
        env
    }

    /// A path inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The vault file.
    pub fn vault(&self) -> PathBuf {
        self.path("vault.age")
    }

    /// keyfob run in the directory on its vault, with no way to unlock it and
    /// nothing taken from the caller's environment.
    pub fn bare(&self) -> Command {
        let mut cmd = Command::cargo_bin("keyfob").unwrap();
        cmd.current_dir(self.dir.path())
            .env_remove("KEYFOB_PASSPHRASE_FILE")
            .env_remove("KEYFOB_IDENTITY")
            .env("KEYFOB_VAULT", self.vault())
            .env("KEYFOB_LOCK_WAIT", "0.3");
        cmd
    }

    /// keyfob unlocked by the identity in `id.txt`.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.arg("--identity").arg(self.path("id.txt"));
        cmd
    }

    /// keyfob unlocked by the passphrase in the file `pass` (which the test writes).
    pub fn pass(&self) -> Command {
        let mut cmd = self.bare();
        cmd.arg("--passphrase-file").arg(self.path("pass"));
        cmd
    }

    /// keyfob as a plain process (to spawn, kill or run concurrently), unlocked by
    /// the identity through `KEYFOB_IDENTITY`, stdin closed, waiting up to 2 s for
    /// the vault lock.
    pub fn process(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::cargo_bin("keyfob").unwrap();
        cmd.current_dir(self.dir.path())
            .env_remove("KEYFOB_PASSPHRASE_FILE")
            .env("KEYFOB_VAULT", self.vault())
            .env("KEYFOB_IDENTITY", self.path("id.txt"))
            .env("KEYFOB_LOCK_WAIT", "2")
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// The vault's key, for opening it through the library.
    pub fn key(&self) -> Key {
        Key::from_identity_file(&self.path("id.txt")).unwrap()
    }

    /// The account names in the vault, opened through the library.
    pub fn names(&self) -> Vec<String> {
        Vault::open(&self.vault(), self.key())
            .unwrap()
            .accounts()
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }

    /// `keyfob add ARGS`, which must succeed.
    pub fn add(&self, args: &[&str]) {
        self.cmd().arg("add").args(args).assert().success();
    }

    /// `keyfob list --json`.
    pub fn list(&self) -> Vec<serde_json::Value> {
        let out = self.cmd().args(["list", "--json"]).output().unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Every account as its canonical otpauth URI (secrets included), sorted.
    pub fn uris(&self) -> BTreeSet<String> {
        let out = self.path("all-uris.txt");
        self.cmd()
            .args(["export", "--format", "uris", "--force", "--out"])
            .arg(&out)
            .assert()
            .success();
        let text = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        text.lines().map(str::to_string).collect()
    }

    /// The age public key of this vault's identity.
    pub fn public_key(&self) -> String {
        let text = std::fs::read_to_string(self.path("id.txt")).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .unwrap()
            .to_string()
    }
}
