//! Shared by integration tests: a temporary vault unlocked by an age identity
//! (no scrypt, so fast), and the keyfob binary pointed at it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use assert_cmd::Command;
use tempfile::TempDir;

/// A temporary directory with an initialised identity vault (`vault.age`, `id.txt`).
pub struct Env {
    /// The directory, removed on drop.
    pub dir: TempDir,
}

impl Env {
    /// Creates the directory and the vault.
    pub fn new() -> Self {
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
        };
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

    /// keyfob on this vault with its identity, ignoring the caller's environment.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("keyfob").unwrap();
        cmd.env_remove("KEYFOB_PASSPHRASE_FILE")
            .env_remove("KEYFOB_IDENTITY")
            .env("KEYFOB_VAULT", self.vault())
            .env("KEYFOB_LOCK_WAIT", "0.3")
            .arg("--identity")
            .arg(self.path("id.txt"));
        cmd
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
