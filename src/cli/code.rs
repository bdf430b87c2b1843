//! `keyfob code QUERY`: print one code, for scripts. A running agent for the vault
//! answers without unlocking; else the vault is unlocked here.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use keyfob::agent::{CodeReply, Request, Response};
use keyfob::vault::Vault;
use keyfob::{Kind, otp};
use serde_json::json;

use super::context::{Context, find_one, no_single_match, now};

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

/// Why [`compute`] gave no code.
pub enum CodeError {
    /// The query matched no account (empty) or several (their labels).
    NoSingleMatch(Vec<String>),
    /// Anything else, with its message.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for CodeError {
    fn from(error: anyhow::Error) -> Self {
        CodeError::Other(error)
    }
}

impl From<keyfob::vault::VaultError> for CodeError {
    fn from(error: keyfob::vault::VaultError) -> Self {
        CodeError::Other(error.into())
    }
}

/// Prints the code; HOTP advances and saves the counter.
pub fn run(ctx: &Context, args: CodeArgs) -> anyhow::Result<ExitCode> {
    let request = Request::Code {
        query: args.query.clone(),
        at: args.at,
    };
    let reply = match super::agent::ask(ctx, &request) {
        Some(Response::Code(reply)) => reply,
        Some(Response::NoSingleMatch { labels }) => {
            return Err(no_single_match(&args.query, &labels));
        }
        Some(Response::Error { message }) => anyhow::bail!("{message}"),
        Some(other) => anyhow::bail!("the agent answered with an unexpected '{other:?}'"),
        None => {
            // Only HOTP needs to write; a read-only open keeps TOTP fast and lock-free.
            let mut vault = ctx.open()?;
            match compute(&mut vault, &args.query, args.at, ctx) {
                Ok(reply) => reply,
                Err(CodeError::NoSingleMatch(labels)) => {
                    return Err(no_single_match(&args.query, &labels));
                }
                Err(CodeError::Other(error)) => return Err(error),
            }
        }
    };
    let output = if args.json {
        json!({
            "issuer": reply.issuer,
            "name": reply.name,
            "code": reply.code,
            "seconds_remaining": reply.seconds_remaining,
        })
        .to_string()
    } else {
        reply.code
    };
    writeln!(std::io::stdout().lock(), "{output}")?;
    Ok(ExitCode::SUCCESS)
}

/// The code of the one account of `vault` matching `query`, at `at` (default now):
/// the one job behind `keyfob code`, run here or in the agent. A HOTP code takes
/// the writer lock (waiting up to `ctx.lock_wait`; the vault is re-read if another
/// keyfob changed it), advances the counter and saves it before the code is
/// returned; if that save fails the counter is put back and no code is given.
pub fn compute(
    vault: &mut Vault,
    query: &str,
    at: Option<u64>,
    ctx: &Context,
) -> Result<CodeReply, CodeError> {
    let time = at.unwrap_or_else(|| u64::try_from(now()).unwrap_or(0));
    let mut index = find_one(vault.accounts(), query).map_err(CodeError::NoSingleMatch)?;
    let is_hotp = vault
        .accounts()
        .get(index)
        .is_some_and(|a| matches!(a.kind, Kind::Hotp { .. }));
    if is_hotp && at.is_some() {
        // Refused before the lock and the save: nothing is spent.
        return Err(anyhow::anyhow!(
            "--at applies to TOTP and Steam accounts; '{}' is HOTP, whose code depends on its counter, not the time (leave out --at)",
            vault
                .accounts()
                .get(index)
                .map(keyfob::Account::label)
                .unwrap_or_default()
        )
        .into());
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
        return Err(anyhow::anyhow!("no such account").into());
    };
    let code = otp::generate(account, time).map_err(|error| match error {
        otp::OtpError::Parameters(keyfob::account::AccountError::CounterExhausted) => anyhow::anyhow!(
            "{error}; '{}' can give no more codes (set it up again at the service and add the new secret)",
            account.label()
        ),
        other => other.into(),
    })?;
    let reply = CodeReply {
        issuer: account.issuer.clone(),
        name: account.name.clone(),
        seconds_remaining: code.seconds_remaining(time),
        code: code.text.clone(),
    };
    if let Kind::Hotp { counter } = account.kind {
        account.kind = Kind::Hotp {
            counter: counter.saturating_add(1),
        };
        if let Err(error) = vault.save() {
            if let Some(account) = vault.accounts_mut().get_mut(index) {
                account.kind = Kind::Hotp { counter };
            }
            return Err(anyhow::Error::new(error)
                .context("saving the HOTP counter")
                .into());
        }
    }
    Ok(reply)
}
