//! `keyfob code QUERY`: print one code, for scripts.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use keyfob::{Kind, otp};
use serde_json::json;

use super::context::{Context, now, select_one};

/// Arguments of `keyfob code`.
#[derive(Debug, clap::Args)]
pub struct CodeArgs {
    /// Matches issuer or name, case-insensitively (an exact match wins).
    pub query: String,
    /// Compute the code at this unix time instead of now (TOTP and Steam).
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub at: Option<u64>,
    /// Print JSON: issuer, name, code, seconds_remaining.
    #[arg(long)]
    pub json: bool,
}

/// Prints the code; HOTP advances and saves the counter.
pub fn run(ctx: &Context, args: CodeArgs) -> anyhow::Result<ExitCode> {
    let at = args.at.unwrap_or_else(|| u64::try_from(now()).unwrap_or(0));
    // Only HOTP needs to write; a read-only open keeps TOTP fast and lock-free.
    let mut vault = ctx.open()?;
    let mut index = select_one(vault.accounts(), &args.query)?;
    let is_hotp = vault
        .accounts()
        .get(index)
        .is_some_and(|a| matches!(a.kind, Kind::Hotp { .. }));
    if is_hotp && args.at.is_some() {
        // Refused before the lock and the save: nothing is spent.
        anyhow::bail!(
            "--at applies to TOTP and Steam accounts; '{}' is HOTP, whose code depends on its counter, not the time (leave out --at)",
            vault
                .accounts()
                .get(index)
                .map(keyfob::Account::label)
                .unwrap_or_default()
        );
    }
    if is_hotp {
        let id = vault.accounts().get(index).map(|a| a.id.clone());
        vault.lock(ctx.lock_wait).with_context(|| ctx.describe())?;
        index = vault
            .accounts()
            .iter()
            .position(|a| Some(&a.id) == id.as_ref())
            .context("the account was removed by another keyfob")?;
    }
    let Some(account) = vault.accounts_mut().get_mut(index) else {
        anyhow::bail!("no such account");
    };
    let code = otp::generate(account, at).map_err(|error| match error {
        otp::OtpError::Parameters(keyfob::account::AccountError::CounterExhausted) => anyhow::anyhow!(
            "{error}; '{}' can give no more codes (set it up again at the service and add the new secret)",
            account.label()
        ),
        other => other.into(),
    })?;
    if let Kind::Hotp { counter } = account.kind {
        account.kind = Kind::Hotp {
            counter: counter.saturating_add(1),
        };
    }
    let output = if args.json {
        json!({
            "issuer": account.issuer,
            "name": account.name,
            "code": code.text,
            "seconds_remaining": code.seconds_remaining(at),
        })
        .to_string()
    } else {
        code.text.clone()
    };
    if is_hotp {
        vault.save().context("saving the HOTP counter")?;
    }
    writeln!(std::io::stdout().lock(), "{output}")?;
    Ok(ExitCode::SUCCESS)
}
