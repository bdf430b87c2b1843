//! Small commands: `passwd` (which re-encrypts the backups too), `completions`, `man`.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::CommandFactory;
use keyfob::vault::{Key, VaultError, store};

use super::context::Context;
use super::{Cli, passphrase};

/// Arguments of `keyfob passwd`.
#[derive(Debug, clap::Args)]
pub struct PasswdArgs {
    /// Read the new passphrase from the first line of this file ('-' = standard input).
    #[arg(long, value_name = "PATH")]
    pub new_passphrase_file: Option<std::path::PathBuf>,
    /// Leave the backups beside the vault as they are: they keep opening with the
    /// old passphrase.
    #[arg(long)]
    pub keep_old_backups: bool,
}

/// Re-encrypts the vault, and by default its backups, under a new passphrase.
pub fn passwd(ctx: &Context, args: PasswdArgs) -> anyhow::Result<ExitCode> {
    if ctx.identity.is_some() {
        bail!("'keyfob passwd' changes a passphrase; this vault is opened with an identity file");
    }
    if args.new_passphrase_file.as_deref() == Some(std::path::Path::new("-"))
        && ctx.passphrase_file.as_deref() == Some(std::path::Path::new("-"))
    {
        bail!("standard input cannot carry both the old and the new passphrase");
    }
    let mut vault = ctx.open_for_write()?;
    let new = passphrase::new(args.new_passphrase_file.as_deref(), "vault passphrase")?;
    let old = vault.key().clone();
    vault.set_key(Key::passphrase(new));
    vault
        .save()
        .context("saving the vault under the new passphrase")?;
    eprintln!("Changed the passphrase.");
    if args.keep_old_backups {
        let backups = store::list_backups(vault.path());
        if !backups.is_empty() {
            eprintln!(
                "keyfob: warning: the {} backup{} beside the vault still open{} with the OLD passphrase \
                 (--keep-old-backups). If that passphrase leaked, delete them: rm {}",
                backups.len(),
                if backups.len() == 1 { "" } else { "s" },
                if backups.len() == 1 { "s" } else { "" },
                quoted(&backups)
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = vault
        .reencrypt_backups(&old, |n, total, path| {
            eprintln!(
                "re-encrypting backup {n} of {total} ('{}')",
                file_name(path)
            );
        })
        .context("re-encrypting the backups beside the vault")?;
    let changed = report.reencrypted.len() + report.already.len();
    if changed > 0 {
        eprintln!(
            "The {changed} backup{} beside the vault now open{} with the new passphrase only.",
            if changed == 1 { "" } else { "s" },
            if changed == 1 { "s" } else { "" },
        );
    }
    for (path, error) in &report.left {
        let why = match error {
            VaultError::WrongPassphrase => {
                "it does not open with the old passphrase (an even older one?)".to_string()
            }
            other => std::error::Error::source(other)
                .map_or_else(|| other.to_string(), |s| format!("{other}: {s}")),
        };
        eprintln!(
            "keyfob: warning: left the backup '{}' as it was: {why}",
            path.display()
        );
    }
    if !report.left.is_empty() {
        let paths: Vec<_> = report.left.iter().map(|(p, _)| p.clone()).collect();
        eprintln!(
            "keyfob: warning: those backups still open with whatever passphrase they were made \
             with; if it should open nothing any more, delete them: rm {}",
            quoted(&paths)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Paths for a message, each in single quotes.
fn quoted(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("'{}'", p.display()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Arguments of `keyfob completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Prints completions for a shell.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "keyfob", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page.
pub fn man() -> anyhow::Result<ExitCode> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
    Ok(ExitCode::SUCCESS)
}
