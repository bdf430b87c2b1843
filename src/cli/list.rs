//! `keyfob list`: the accounts, never their secrets.

use std::io::Write;
use std::process::ExitCode;

use keyfob::agent::{AccountSummary, Request, Response};
use keyfob::text::{escape, escape_path};
use keyfob::vault::Vault;

use keyfob::vault::backups::{Advice, BackupLog};
use keyfob::vault::location::Source;

use super::context::{Context, now};

/// Arguments of `keyfob list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print JSON (an array of objects) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The accounts' public descriptions and the backup reminder: what `keyfob list`
/// shows, here or from the agent (which calls this too).
pub fn listing(vault: &Vault) -> (Vec<AccountSummary>, Option<String>) {
    let accounts = vault.accounts();
    let summaries = accounts.iter().map(AccountSummary::from_account).collect();
    let reminder = BackupLog::load(vault.path()).reminder(accounts, now(), &Advice::COMMANDS);
    (summaries, reminder)
}

/// Lists the accounts.
pub fn run(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitCode> {
    let (accounts, reminder) = match super::agent::ask(ctx, &Request::List) {
        Some(Response::Accounts { accounts, reminder }) => (accounts, reminder),
        Some(Response::Error { message }) => anyhow::bail!("{message}"),
        Some(other) => anyhow::bail!("the agent answered with an unexpected '{other:?}'"),
        None => listing(&ctx.open()?),
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        // Through a JSON value, whose object keys are sorted.
        let list = serde_json::to_value(&accounts)?;
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
        drop(out);
        notice_copies(ctx);
        return Ok(ExitCode::SUCCESS);
    }
    if accounts.is_empty() {
        eprintln!("The vault is empty. Add accounts with 'keyfob add' or 'keyfob import'.");
        notice_copies(ctx);
        return Ok(ExitCode::SUCCESS);
    }
    // Account text is shown escaped: a control character in it would drive the terminal.
    let rows: Vec<[String; 3]> = accounts
        .iter()
        .map(|a| {
            let tags: Vec<_> = a.tags.iter().map(|t| escape(t)).collect();
            [
                escape(&a.issuer).into_owned(),
                escape(&a.name).into_owned(),
                tags.join(","),
            ]
        })
        .collect();
    let width = rows
        .iter()
        .map(|[issuer, ..]| issuer.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(6, 30);
    writeln!(
        out,
        "{:<width$}  {:<30}  {:<5}  TAGS",
        "ISSUER", "NAME", "TYPE"
    )?;
    for (account, [issuer, name, tags]) in accounts.iter().zip(&rows) {
        let star = if account.favorite { "*" } else { "" };
        writeln!(
            out,
            "{issuer:<width$}  {name:<30}  {:<5}  {tags}{star}",
            account.kind,
        )?;
    }
    drop(out);
    // Say which vault this is when keyfob chose it (portable or data directory), so a
    // USB stick's vault is never mistaken for the home one. stderr, like the reminder.
    if ctx.vault_source != Source::Explicit {
        eprintln!("\nVault: {}.", ctx.shown());
    }
    // The reminder goes to stderr so that scripts reading the table are not affected.
    if let Some(reminder) = reminder {
        eprintln!("\nBackup reminder: {reminder}.");
    }
    notice_copies(ctx);
    Ok(ExitCode::SUCCESS)
}

/// Names the sync-conflict copies beside the vault (its target, when it is
/// reached through a link) that hold something not merged yet, on stderr, with
/// the command that brings them in.
fn notice_copies(ctx: &Context) {
    let vault = keyfob::vault::paths::resolve_vault(ctx.path())
        .unwrap_or_else(|_| ctx.path().to_path_buf());
    for copy in keyfob::vault::copies::unmerged(&vault, &BackupLog::load(&vault)) {
        eprintln!(
            "\nAnother copy of this vault exists: keyfob merge '{}'",
            escape_path(&copy)
        );
    }
}
