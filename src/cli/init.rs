//! `keyfob init`: create a vault.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::vault::{Key, Vault, store};

use super::context::{Context, now, rfc3339};
use super::passphrase;

/// Arguments of `keyfob init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {}

/// Creates the vault; with `--identity PATH` and no file there, also creates the identity.
pub fn run(ctx: &Context, _args: InitArgs) -> anyhow::Result<ExitCode> {
    if ctx.path().exists() {
        bail!(
            "a vault already exists at {}; keyfob will not overwrite it",
            ctx.shown()
        );
    }
    let key = match &ctx.identity {
        Some(path) if path.exists() => ctx.key()?,
        Some(path) => {
            let (key, text) = Key::generate_identity(&rfc3339(now()));
            let mut file = store::create_private(path)
                .with_context(|| format!("creating the identity file '{}'", path.display()))?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            eprintln!(
                "Created the identity '{}' (public key {}). Anyone with this file can open the vault: keep it safe, and a copy of it apart from the vault.",
                path.display(),
                key.recipients().join(", ")
            );
            key
        }
        None => Key::passphrase(passphrase::new(
            ctx.passphrase_file.as_deref(),
            "vault passphrase",
        )?),
    };
    Vault::create(ctx.path(), key, now())
        .with_context(|| format!("creating the vault {}", ctx.shown()))?;
    eprintln!(
        "Created the vault {}. Add accounts with 'keyfob add' or 'keyfob import'.",
        ctx.shown()
    );
    Ok(ExitCode::SUCCESS)
}
