//! `keyfob list`: the accounts, never their secrets.

use std::io::Write;
use std::process::ExitCode;

use keyfob::text::{escape, escape_path};
use keyfob::{Account, Kind};
use serde_json::json;

use keyfob::vault::backups::BackupLog;
use keyfob::vault::location::Source;

use super::context::{Context, now};

/// Arguments of `keyfob list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print JSON (an array of objects) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The public description of an account, as `--json` prints it.
pub fn account_json(account: &Account) -> serde_json::Value {
    let (period, counter) = match account.kind {
        Kind::Totp { period } => (Some(period), None),
        Kind::Steam => (Some(30), None),
        Kind::Hotp { counter } => (None, Some(counter)),
    };
    json!({
        "id": account.id,
        "issuer": account.issuer,
        "name": account.name,
        "type": account.kind.name(),
        "algorithm": account.algorithm,
        "digits": account.digits,
        "period": period,
        "counter": counter,
        "tags": account.tags,
        "favorite": account.favorite,
        "note": account.note,
    })
}

/// Lists the accounts.
pub fn run(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitCode> {
    let vault = ctx.open()?;
    let accounts = vault.accounts();
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<_> = accounts.iter().map(account_json).collect();
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
            account.kind.name(),
        )?;
    }
    drop(out);
    // Say which vault this is when keyfob chose it (portable or data directory), so a
    // USB stick's vault is never mistaken for the home one. stderr, like the reminder.
    if ctx.vault_source != Source::Explicit {
        eprintln!("\nVault: {}.", ctx.shown());
    }
    // The reminder goes to stderr so that scripts reading the table are not affected.
    if let Some(reminder) = BackupLog::load(ctx.path()).reminder(accounts, now()) {
        eprintln!("\nBackup reminder: {reminder}.");
    }
    notice_copies(ctx);
    Ok(ExitCode::SUCCESS)
}

/// Names the sync-conflict copies beside the vault (on stderr), with the command
/// that brings them in.
fn notice_copies(ctx: &Context) {
    for copy in keyfob::vault::copies::sync_conflicts(ctx.path()) {
        eprintln!(
            "\nAnother copy of this vault exists: keyfob merge '{}'",
            escape_path(&copy)
        );
    }
}
