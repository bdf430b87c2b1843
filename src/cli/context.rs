//! What every subcommand needs: where the vault is, how to unlock it, and the time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use keyfob::vault::location::Source;
use keyfob::vault::paths::PathError;
use keyfob::vault::{self, Key, Vault, VaultError};

use super::{Cli, passphrase};

/// Resolved global options.
#[derive(Debug)]
pub struct Context {
    /// The vault file (a symbolic link at its name resolved to the target).
    pub vault_path: PathBuf,
    /// Which rule chose the vault (for messages that say which vault is used).
    pub vault_source: Source,
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
        let location =
            vault::location::resolve(cli.vault.as_deref(), exe.as_deref()).map_err(advise)?;
        let lock_wait = std::env::var("KEYFOB_LOCK_WAIT")
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(vault::DEFAULT_LOCK_WAIT, Duration::from_secs_f64);
        Ok(Context {
            vault_path: location.path,
            vault_source: location.source,
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

    /// Fails with what to do when there is no vault file.
    pub fn check_exists(&self) -> anyhow::Result<()> {
        if !self.vault_path.exists() {
            anyhow::bail!(
                "no vault at {}; create one with 'keyfob init' (or pass --vault PATH)",
                self.shown()
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

    /// `opening the vault 'PATH'`, for error context (with the rule that chose
    /// the vault unless the user named it).
    pub fn describe(&self) -> String {
        format!("opening the vault {}", self.shown())
    }

    /// `'PATH'`, followed by which rule chose it unless the user named it:
    /// `'PATH' (portable: beside the program)`.
    pub fn shown(&self) -> String {
        match self.vault_source {
            Source::Explicit => format!("'{}'", self.vault_path.display()),
            source => format!("'{}' ({})", self.vault_path.display(), source.describe()),
        }
    }

    /// The vault path.
    pub fn path(&self) -> &Path {
        &self.vault_path
    }
}

/// Adds what to do to the errors of finding the vault.
fn advise(error: VaultError) -> anyhow::Error {
    let hint = match &error {
        VaultError::PortableUnusable { .. } => {
            "move it out of the way to use the data-directory vault, or pass --vault PATH"
        }
        VaultError::Path(PathError::DanglingLink { .. }) => {
            "create that directory, or point the link at an existing one"
        }
        _ => return error.into(),
    };
    anyhow::anyhow!("{error}; {hint}")
}

pub use keyfob::clock::{now, rfc3339};

/// The index of the one account `query` designates. Several matches are listed
/// on stderr with exit status 2; none is exit status 1.
pub fn select_one(accounts: &[keyfob::Account], query: &str) -> anyhow::Result<usize> {
    find_one(accounts, query).map_err(|labels| no_single_match(query, &labels))
}

/// The index of the one account `query` designates, or the labels of the
/// accounts it matches when that is not exactly one (none: empty).
pub fn find_one(accounts: &[keyfob::Account], query: &str) -> Result<usize, Vec<String>> {
    let matches = keyfob::account::find_matches(accounts, query);
    match matches.as_slice() {
        [one] => Ok(*one),
        several => Err(several
            .iter()
            .filter_map(|i| accounts.get(*i))
            .map(keyfob::Account::label)
            .collect()),
    }
}

/// Says on stderr that `query` matched no account (`labels` empty, exit status 1)
/// or several (listed, exit status 2).
pub fn no_single_match(query: &str, labels: &[String]) -> anyhow::Error {
    let query = keyfob::text::Escaped(query);
    if labels.is_empty() {
        eprintln!("keyfob: no account matches '{query}' (see 'keyfob list')");
        return super::Exit(1).into();
    }
    eprintln!(
        "keyfob: {} accounts match '{query}'; be more specific:",
        labels.len()
    );
    for label in labels {
        eprintln!("  {label}");
    }
    super::Exit(2).into()
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    keyfob::clock::date(now())
}
