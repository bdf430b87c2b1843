//! What every subcommand needs: where the vault is, how to unlock it, and the time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use keyfob::vault::{self, Key, Vault};

use super::{Cli, passphrase};

/// Resolved global options.
#[derive(Debug)]
pub struct Context {
    /// The vault file.
    pub vault_path: PathBuf,
    /// `--passphrase-file`.
    pub passphrase_file: Option<PathBuf>,
    /// `--identity`.
    pub identity: Option<PathBuf>,
    /// How long a writer waits for another keyfob (`KEYFOB_LOCK_WAIT` seconds, default 10).
    pub lock_wait: Duration,
}

impl Context {
    /// Resolves the global options.
    pub fn new(cli: &Cli) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().ok();
        let vault_path = vault::location::resolve(cli.vault.as_deref(), exe.as_deref())?;
        let lock_wait = std::env::var("KEYFOB_LOCK_WAIT")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(vault::DEFAULT_LOCK_WAIT, Duration::from_secs_f64);
        Ok(Context {
            vault_path,
            passphrase_file: cli.passphrase_file.clone(),
            identity: cli.identity.clone(),
            lock_wait,
        })
    }

    /// The key for an existing vault.
    pub fn key(&self) -> anyhow::Result<Key> {
        match &self.identity {
            Some(path) => Key::from_identity_file(path)
                .with_context(|| format!("reading the identity '{}'", path.display())),
            None => Ok(Key::passphrase(passphrase::existing(
                self.passphrase_file.as_deref(),
            )?)),
        }
    }

    fn check_exists(&self) -> anyhow::Result<()> {
        if !self.vault_path.exists() {
            anyhow::bail!(
                "no vault at '{}'; create one with 'keyfob init' (or pass --vault PATH)",
                self.vault_path.display()
            );
        }
        Ok(())
    }

    /// Opens the vault for reading.
    pub fn open(&self) -> anyhow::Result<Vault> {
        self.check_exists()?;
        let key = self.key()?;
        Vault::open(&self.vault_path, key).with_context(|| self.describe())
    }

    /// Opens the vault holding the writer lock, for read-modify-write commands.
    pub fn open_for_write(&self) -> anyhow::Result<Vault> {
        self.check_exists()?;
        let key = self.key()?;
        Vault::open_locked(&self.vault_path, key, self.lock_wait).with_context(|| self.describe())
    }

    /// `opening the vault 'PATH'`, for error context.
    pub fn describe(&self) -> String {
        format!("opening the vault '{}'", self.vault_path.display())
    }

    /// The vault path.
    pub fn path(&self) -> &Path {
        &self.vault_path
    }
}

pub use keyfob::clock::{now, rfc3339};

/// The index of the one account `query` designates. Several matches are listed
/// on stderr with exit status 2; none is exit status 1.
pub fn select_one(accounts: &[keyfob::Account], query: &str) -> anyhow::Result<usize> {
    let matches = keyfob::account::find_matches(accounts, query);
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => {
            let query = keyfob::text::Escaped(query);
            eprintln!("keyfob: no account matches '{query}' (see 'keyfob list')");
            Err(super::Exit(1).into())
        }
        several => {
            eprintln!(
                "keyfob: {} accounts match '{}'; be more specific:",
                several.len(),
                keyfob::text::Escaped(query)
            );
            for account in several.iter().filter_map(|i| accounts.get(*i)) {
                eprintln!("  {}", account.label());
            }
            Err(super::Exit(2).into())
        }
    }
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    keyfob::clock::date(now())
}
