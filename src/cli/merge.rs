//! `keyfob merge OTHER…`: bring other copies of the vault (or keyfob age backups) into
//! this one, per account and per field, with what was deleted staying deleted.
//! The merge itself is the library's ([`keyfob::vault::merge`]); this file reads the
//! sources and prints the report.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::text::escape_path;
use keyfob::vault::backups::BackupLog;
use keyfob::vault::copies::{self, OtherCopy};
use keyfob::vault::{Document, Key, MergeReport, VaultError};

use super::context::{Context, now};
use super::passphrase;

/// Arguments of `keyfob merge`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Per account, the later change of each field wins; an account deleted in one copy stays deleted unless \
another copy changed it after the deletion; HOTP counters never go back. Two copies that changed one account's secret \
differently keep both accounts (the second tagged 'conflict'). The sources are only read. Without OTHER, the \
sync-conflict files beside the vault that hold something not merged yet are merged (the ones 'keyfob list' names)."
)]
pub struct MergeArgs {
    /// Other copies of this vault, or keyfob age backups (default: the
    /// sync-conflict copies beside the vault not merged yet).
    #[arg(value_name = "OTHER")]
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
    let paths = if args.sources.is_empty() {
        copies::unmerged(vault.path(), &BackupLog::load(vault.path()))
    } else {
        args.sources
    };
    if paths.is_empty() {
        println!(
            "Nothing to merge: no sync-conflict copy of this vault waits beside it. Name the copy to merge: keyfob merge OTHER"
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Every source is read before anything is merged: one that does not open
    // stops the command with the vault unchanged.
    let mut sources = Vec::with_capacity(paths.len());
    for path in &paths {
        sources.push((path, read_source(path, &key, own_key)?));
    }
    let documents: Vec<&Document> = sources.iter().map(|(_, copy)| &copy.document).collect();
    let now = now();
    let reports = if args.dry_run {
        vault.merge_preview(&documents, now)
    } else {
        vault
            .merge_and_save(&documents, now)
            .context("saving the vault")?
    };
    let mut out = String::new();
    for ((path, _), report) in sources.iter().zip(&reports) {
        let _ = writeln!(out, "From '{}': {}.", escape_path(path), report.counts());
        for line in report.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    let changed = reports.iter().any(|r| r.changed);
    if args.dry_run {
        out.push_str("Dry run: nothing was saved.\n");
    } else {
        if !changed {
            out.push_str("Nothing new: the vault is unchanged.\n");
        } else if reports.iter().all(MergeReport::is_empty) {
            out.push_str("No account changed; the change records were saved.\n");
        }
        note_merged(&mut out, vault.path(), &sources, now);
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Notes the sync-conflict copies among the sources as merged (so `keyfob list`
/// stops naming them) and says they can go.
fn note_merged(out: &mut String, vault: &Path, sources: &[(&PathBuf, OtherCopy)], now: i64) {
    let conflicts: Vec<(&Path, &str)> = sources
        .iter()
        .filter(|(path, _)| copies::is_copy_of(vault, path))
        .map(|(path, copy)| (path.as_path(), copy.digest.as_str()))
        .collect();
    if conflicts.is_empty() {
        return;
    }
    if let Err(error) = copies::record_merged(vault, &conflicts, now) {
        let _ = writeln!(
            out,
            "(Could not note the merged copies in the backup log: {error})"
        );
    }
    for (path, _) in &conflicts {
        let _ = writeln!(
            out,
            "Everything in '{}' is in the vault now: once every device has synced, it can be deleted.",
            escape_path(path)
        );
    }
}

/// Opens a source read-only; says what to pass when its key is not the one tried.
fn read_source(path: &Path, key: &Key, own_key: bool) -> anyhow::Result<OtherCopy> {
    let shown = escape_path(path);
    match copies::read(path, &[key]) {
        Ok(copy) => Ok(copy),
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
