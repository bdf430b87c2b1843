//! `keyfob edit QUERY`: change an account's fields.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::{Algorithm, Kind, Secret};

use super::context::{Context, now, select_one};

/// Arguments of `keyfob edit`.
/// `Debug` hides the URI and the secret.
#[derive(clap::Args)]
pub struct EditArgs {
    /// Matches issuer or name, case-insensitively.
    pub query: String,
    /// New issuer.
    #[arg(long)]
    pub issuer: Option<String>,
    /// New account name.
    #[arg(long)]
    pub name: Option<String>,
    /// New secret (base32).
    #[arg(long, value_name = "BASE32")]
    pub secret: Option<String>,
    /// New algorithm.
    #[arg(long, value_name = "SHA1|SHA256|SHA512")]
    pub algorithm: Option<String>,
    /// New number of digits.
    #[arg(long)]
    pub digits: Option<u8>,
    /// New TOTP period in seconds.
    #[arg(long)]
    pub period: Option<u32>,
    /// New HOTP counter.
    #[arg(long)]
    pub counter: Option<u64>,
    /// New note ('' clears it).
    #[arg(long)]
    pub note: Option<String>,
    /// Add a tag (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Remove a tag (repeatable).
    #[arg(long = "untag")]
    pub untags: Vec<String>,
    /// Pin to the top of lists, or unpin.
    #[arg(long, value_name = "true|false")]
    pub favorite: Option<bool>,
}

impl std::fmt::Debug for EditArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditArgs").finish_non_exhaustive()
    }
}

/// Applies the changes and saves.
pub fn run(ctx: &Context, args: EditArgs) -> anyhow::Result<ExitCode> {
    let mut vault = ctx.open_for_write()?;
    let index = select_one(vault.accounts(), &args.query)?;
    let account = vault
        .accounts_mut()
        .get_mut(index)
        .context("no such account")?;
    let mut edited = account.clone();
    if let Some(issuer) = &args.issuer {
        edited.issuer = issuer.trim().to_string();
    }
    if let Some(name) = &args.name {
        edited.name = name.trim().to_string();
    }
    if let Some(secret) = &args.secret {
        edited.secret = Secret::from_base32(secret).context(super::add::SECRET_HINT)?;
    }
    if let Some(algorithm) = &args.algorithm {
        edited.algorithm = Algorithm::parse(algorithm)?;
    }
    if let Some(digits) = args.digits {
        edited.digits = digits;
    }
    match (edited.kind, args.period, args.counter) {
        (_, Some(_), Some(_)) => bail!("--period and --counter cannot be combined"),
        (Kind::Totp { .. }, Some(period), None) => edited.kind = Kind::Totp { period },
        (Kind::Hotp { .. }, None, Some(counter)) => edited.kind = Kind::Hotp { counter },
        (kind, Some(_), None) => bail!(
            "--period applies to TOTP accounts; this one is {}",
            kind.name()
        ),
        (kind, None, Some(_)) => bail!(
            "--counter applies to HOTP accounts; this one is {}",
            kind.name()
        ),
        (_, None, None) => {}
    }
    if let Some(note) = &args.note {
        edited.note = note.clone();
    }
    for tag in &args.tags {
        if !edited.tags.contains(tag) {
            edited.tags.push(tag.clone());
        }
    }
    edited.tags.retain(|t| !args.untags.contains(t));
    if let Some(favorite) = args.favorite {
        edited.favorite = favorite;
    }
    edited.check_input()?;
    if &edited == account {
        eprintln!("Nothing to change.");
        return Ok(ExitCode::SUCCESS);
    }
    edited.modified = now();
    let label = edited.label();
    *account = edited;
    vault.save().context("saving the vault")?;
    eprintln!("Updated '{label}'.");
    Ok(ExitCode::SUCCESS)
}
