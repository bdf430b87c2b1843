//! `keyfob merge OTHER…`: bring other copies of the vault (or keyfob age backups) into
//! this one, per account and per field, with what was deleted staying deleted.
//! The merge itself is the library's ([`keyfob::vault::merge`]); this file reads the
//! sources and prints the report.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::account::Field;
use keyfob::text::escape_path;
use keyfob::vault::{Document, Key, MergeReport, Vault, VaultError};

use super::context::{Context, now};
use super::passphrase;

/// Arguments of `keyfob merge`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Per account, the later change of each field wins; an account deleted in one copy stays deleted unless \
another copy changed it after the deletion; HOTP counters never go back. Two copies that changed one account's secret \
differently keep both accounts (the second tagged 'conflict'). The sources are only read. Sync-conflict files beside \
the vault are listed by 'keyfob list'."
)]
pub struct MergeArgs {
    /// Other copies of this vault, or keyfob age backups.
    #[arg(required = true, value_name = "OTHER")]
    pub sources: Vec<PathBuf>,
    /// Passphrase of the sources, first line of this file ('-' = standard input),
    /// when it is not the vault's.
    #[arg(long, value_name = "PATH", conflicts_with = "source_identity")]
    pub source_passphrase_file: Option<PathBuf>,
    /// Identity of sources encrypted to an age recipient, when it is not the vault's.
    #[arg(long, value_name = "PATH")]
    pub source_identity: Option<PathBuf>,
    /// Show what would change without saving.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the merge.
pub fn run(ctx: &Context, args: MergeArgs) -> anyhow::Result<ExitCode> {
    if args.source_passphrase_file.as_deref() == Some(Path::new("-"))
        && ctx.passphrase_file.as_deref() == Some(Path::new("-"))
    {
        bail!("standard input cannot carry both the vault passphrase and the sources' passphrase");
    }
    let mut vault = if args.dry_run {
        ctx.open()?
    } else {
        ctx.open_for_write()?
    };
    let own_key = args.source_passphrase_file.is_none() && args.source_identity.is_none();
    let key = match (&args.source_passphrase_file, &args.source_identity) {
        (Some(path), _) => Key::passphrase(passphrase::read_first_line(path)?),
        (None, Some(path)) => Key::from_identity_file(path)
            .with_context(|| format!("reading the identity '{}'", path.display()))?,
        (None, None) => vault.key().clone(),
    };
    // Every source is read before anything is merged: one that does not open
    // stops the command with the vault unchanged.
    let mut sources = Vec::with_capacity(args.sources.len());
    for path in &args.sources {
        sources.push((path, read_source(path, &key, own_key)?));
    }
    let now = now();
    let mut total = MergeReport::default();
    let mut out = String::new();
    for (path, document) in &sources {
        let report = vault.merge_from(document, now);
        write_report(&mut out, path, &report);
        total.extend(report);
    }
    if args.dry_run {
        out.push_str("Dry run: nothing was saved.\n");
    } else if total.changed {
        vault.save().context("saving the vault")?;
        if total.is_empty() {
            out.push_str("No account changed; the change records were saved.\n");
        }
    } else {
        out.push_str("Nothing new: the vault is unchanged.\n");
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Opens a source read-only; says what to pass when its key is not the one tried.
fn read_source(path: &Path, key: &Key, own_key: bool) -> anyhow::Result<Document> {
    let shown = escape_path(path);
    match Vault::open(path, key.clone()) {
        Ok(vault) => Ok(vault.document().clone()),
        Err(
            error @ (VaultError::WrongPassphrase
            | VaultError::WrongIdentity
            | VaultError::NeedsIdentity
            | VaultError::NeedsPassphrase),
        ) if own_key => bail!(
            "'{shown}' does not open with the vault's key ({error}); pass its passphrase with --source-passphrase-file or its identity with --source-identity"
        ),
        Err(VaultError::NotFound) => bail!("no file at '{shown}'"),
        Err(error) => Err(error).with_context(|| format!("reading '{shown}'")),
    }
}

fn write_report(out: &mut String, path: &Path, report: &MergeReport) {
    let _ = writeln!(
        out,
        "From '{}': {} added, {} updated, {} deleted, {} restored, {} in conflict.",
        escape_path(path),
        report.added.len(),
        report.updated.len(),
        report.deleted.len(),
        report.restored.len(),
        report.conflicts.len(),
    );
    for entry in &report.added {
        let _ = writeln!(out, "  added: {}", entry.label);
    }
    for entry in &report.updated {
        let fields: Vec<&str> = entry.fields.iter().map(|f| field_name(*f)).collect();
        let _ = writeln!(out, "  updated: {} ({})", entry.label, fields.join(", "));
    }
    for entry in &report.deleted {
        let _ = writeln!(out, "  deleted: {}", entry.label);
    }
    for entry in &report.restored {
        let _ = writeln!(
            out,
            "  restored: {} (changed in the other copy after it was deleted here)",
            entry.label
        );
    }
    for conflict in &report.conflicts {
        let _ = writeln!(
            out,
            "  conflict: {}: both copies changed its secret; both are kept, the other one as account '{}' tagged 'conflict' (check which works, then remove the other)",
            conflict.label, conflict.copy
        );
    }
}

/// How a field is named in the report.
fn field_name(field: Field) -> &'static str {
    match field {
        Field::Token => "secret or code settings",
        Field::Counter => "HOTP counter",
        Field::Favorite => "pin",
        Field::Position => "order",
        other => other.name(),
    }
}
