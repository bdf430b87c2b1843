//! Small commands: `passwd`, `completions`, `man`.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::CommandFactory;
use keyfob::vault::Key;

use super::context::Context;
use super::{Cli, passphrase};

/// Arguments of `keyfob passwd`.
#[derive(Debug, clap::Args)]
pub struct PasswdArgs {
    /// Read the new passphrase from the first line of this file ('-' = standard input).
    #[arg(long, value_name = "PATH")]
    pub new_passphrase_file: Option<std::path::PathBuf>,
}

/// Re-encrypts the vault under a new passphrase.
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
    vault.set_key(Key::passphrase(new));
    vault
        .save()
        .context("saving the vault under the new passphrase")?;
    eprintln!(
        "Changed the passphrase. The backups beside the vault ('{}.1' …) still open with the old one.",
        ctx.path().display()
    );
    Ok(ExitCode::SUCCESS)
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
