//! `keyfob add`: add one account from a URI or from its fields.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::{Account, Algorithm, Kind, Secret, uri};
use zeroize::Zeroizing;

use super::context::{Context, now};

/// Arguments of `keyfob add`.
/// `Debug` hides the URI and the secret.
#[derive(clap::Args)]
#[command(
    after_help = "A URI or secret on the command line can end up in your shell history; \
pass '-' as URI to read it from standard input instead."
)]
pub struct AddArgs {
    /// An otpauth:// URI ('-' reads it from standard input).
    #[arg(conflicts_with_all = ["issuer", "name", "secret"])]
    pub uri: Option<String>,
    /// The service, e.g. GitHub.
    #[arg(long)]
    pub issuer: Option<String>,
    /// The account at that service, e.g. alice@example.com.
    #[arg(long)]
    pub name: Option<String>,
    /// The shared secret in base32 (spaces and lower case are fine).
    #[arg(long, value_name = "BASE32")]
    pub secret: Option<String>,
    /// Hash algorithm.
    #[arg(long, value_name = "SHA1|SHA256|SHA512", default_value = "SHA1")]
    pub algorithm: String,
    /// Number of digits (6 to 10).
    #[arg(long, default_value_t = 6)]
    pub digits: u8,
    /// TOTP period in seconds.
    #[arg(long, default_value_t = 30, conflicts_with_all = ["hotp", "steam"])]
    pub period: u32,
    /// Counter-based (HOTP) instead of time-based.
    #[arg(long, conflicts_with = "steam")]
    pub hotp: bool,
    /// Initial HOTP counter.
    #[arg(long, default_value_t = 0, requires = "hotp")]
    pub counter: u64,
    /// Steam Guard (5 characters).
    #[arg(long)]
    pub steam: bool,
    /// A tag (repeatable).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// A note.
    #[arg(long)]
    pub note: Option<String>,
}

impl std::fmt::Debug for AddArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddArgs").finish_non_exhaustive()
    }
}

/// What to do about a bad `--secret`, for `add` and `edit`.
pub const SECRET_HINT: &str = "reading --secret (give the base32 key the site shows when you set up \
two-factor login, often under 'can't scan the code?')";

/// Parses the arguments into an account.
fn build(args: &AddArgs, now: i64) -> anyhow::Result<Account> {
    let mut account = if let Some(text) = &args.uri {
        let text = if text == "-" {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the URI from standard input")?;
            line
        } else {
            Zeroizing::new(text.clone())
        };
        uri::parse(&text, now).context(
            "reading the otpauth URI (copy it again, whole, from the site's two-factor setup page)",
        )?
    } else {
        let Some(secret) = &args.secret else {
            bail!("give an otpauth:// URI, or --secret with --issuer and/or --name");
        };
        let secret = Secret::from_base32(secret).context(SECRET_HINT)?;
        let kind = if args.steam {
            Kind::Steam
        } else if args.hotp {
            Kind::Hotp {
                counter: args.counter,
            }
        } else {
            Kind::Totp {
                period: args.period,
            }
        };
        let algorithm = Algorithm::parse(&args.algorithm)?;
        Account::new(
            args.issuer.as_deref().unwrap_or_default(),
            args.name.as_deref().unwrap_or_default(),
            secret,
            kind,
            algorithm,
            args.digits,
            now,
        )?
    };
    account.tags.extend(args.tags.iter().cloned());
    if let Some(note) = &args.note {
        account.note = note.clone();
    }
    account.check_input()?;
    Ok(account)
}

/// Adds the account unless the same token is already there.
pub fn run(ctx: &Context, args: AddArgs) -> anyhow::Result<ExitCode> {
    let now = now();
    if args.uri.as_deref() == Some("-")
        && ctx.passphrase_file.as_deref() == Some(std::path::Path::new("-"))
    {
        bail!("standard input cannot carry both the URI and the passphrase");
    }
    let account = build(&args, now)?;
    let mut vault = ctx.open_for_write()?;
    if let Some(existing) = vault.accounts().iter().find(|a| a.same_token(&account)) {
        bail!(
            "this account is already in the vault as '{}'",
            existing.label()
        );
    }
    let label = account.label();
    vault.accounts_mut().push(account);
    vault.save().context("saving the vault")?;
    eprintln!("Added '{label}'.");
    Ok(ExitCode::SUCCESS)
}
