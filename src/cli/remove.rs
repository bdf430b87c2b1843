//! `keyfob remove QUERY`: delete an account, after confirmation.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use super::context::{Context, select_one};
use super::passphrase::interactive;

/// Arguments of `keyfob remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// Matches issuer or name, case-insensitively.
    pub query: String,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// Removes the account (the previous vault stays as backup `.1`).
pub fn run(ctx: &Context, args: RemoveArgs) -> anyhow::Result<ExitCode> {
    let mut vault = ctx.open_for_write()?;
    let index = select_one(vault.accounts(), &args.query)?;
    let label = vault
        .accounts()
        .get(index)
        .context("no such account")?
        .label();
    if !args.yes {
        if !interactive() {
            bail!("refusing to remove '{label}' without confirmation; pass --yes");
        }
        eprint!("Remove '{label}'? Its codes cannot be generated afterwards. [y/N] ");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("Kept '{label}'.");
            return Ok(ExitCode::from(1));
        }
    }
    vault.accounts_mut().remove(index);
    vault.save().context("saving the vault")?;
    eprintln!(
        "Removed '{label}'. The previous vault is kept as '{}.1'.",
        ctx.path().display()
    );
    Ok(ExitCode::SUCCESS)
}
