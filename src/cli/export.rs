//! `keyfob export`: paper sheets, encrypted backups and files for other apps.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::Account;
use keyfob::export::{self, ExportError, ExportFormat, ExportOptions, Output as Bytes, paper};
use keyfob::vault::crypto::{self, BackupTarget};
use keyfob::vault::paths::{self, PathError};

use super::context::{Context, now, today};
use super::passphrase;

/// Arguments of `keyfob export`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Formats: paper (printable PDF recovery sheet), age (encrypted backup of the vault), \
uris (plain otpauth:// lines), google-qr (PNG QR codes that Google Authenticator, Aegis, 2FAS and others scan; \
--out is a directory), aegis (plain Aegis JSON). Every export except age holds your secrets unencrypted."
)]
pub struct ExportArgs {
    /// paper, age, uris, google-qr or aegis.
    #[arg(long, short)]
    pub format: String,
    /// Where to write (a directory for google-qr; '-' = standard output for uris, aegis and age --armor).
    #[arg(long, short, value_name = "PATH")]
    pub out: PathBuf,
    /// Only the accounts matching this query.
    #[arg(long, value_name = "QUERY")]
    pub select: Option<String>,
    /// Paper size of a sheet: a4 or letter.
    #[arg(long, default_value = "a4", value_name = "SIZE")]
    pub paper: String,
    /// Encrypt an age backup to this public key instead of a passphrase (repeatable).
    #[arg(long = "recipient", value_name = "AGE1…")]
    pub recipients: Vec<String>,
    /// ASCII-armor an age backup (printable, e-mailable).
    #[arg(long)]
    pub armor: bool,
    /// Passphrase of an age backup, first line of this file ('-' = standard input).
    #[arg(long, value_name = "PATH")]
    pub backup_passphrase_file: Option<PathBuf>,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

/// Writes the export.
pub fn run(ctx: &Context, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let format = ExportFormat::parse(&args.format)?;
    let size = paper::PaperSize::parse(&args.paper)
        .with_context(|| format!("unknown paper size '{}' (a4 or letter)", args.paper))?;
    if format != ExportFormat::Age
        && (!args.recipients.is_empty() || args.armor || args.backup_passphrase_file.is_some())
    {
        bail!("--recipient, --armor and --backup-passphrase-file apply to --format age");
    }
    let out = output(ctx, &args, format)?;
    let shown = out.shown();
    let backup = if format == ExportFormat::Age {
        Some(backup_target(ctx, &args)?)
    } else {
        None
    };

    let vault = ctx.open()?;
    let accounts: Vec<Account> = match &args.select {
        None => vault.accounts().to_vec(),
        Some(query) => {
            let picked = keyfob::account::find_matches(vault.accounts(), query);
            if picked.is_empty() {
                bail!("no account matches '{query}'");
            }
            picked
                .iter()
                .filter_map(|i| vault.accounts().get(*i).cloned())
                .collect()
        }
    };
    if accounts.is_empty() {
        bail!("the vault has no accounts to export");
    }
    let options = ExportOptions {
        paper: paper::PaperOptions {
            size,
            date: today(),
            ..paper::PaperOptions::default()
        },
        backup,
        armor: args.armor,
        now: now(),
        google_batch_id: None,
    };
    let made = match export::write(format, &accounts, &options) {
        Ok(made) => made,
        Err(ExportError::NotRepresentable { skipped }) => {
            warn_skipped(&skipped);
            bail!("{}", ExportError::NotRepresentable { skipped });
        }
        Err(error) => return Err(error.into()),
    };
    warn_skipped(&made.skipped);
    if let (ExportFormat::Uris, Some(warning)) = (format, format.plaintext_warning())
        && std::io::stderr().is_terminal()
        && !out.is_stdout()
    {
        eprintln!("warning: {shown} {warning}.");
    }
    match (&out, &made.output) {
        (Output::Stdout, Bytes::File(bytes)) => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
        }
        (Output::File { given, .. }, _) => {
            made.save(given, ctx.path(), args.force)
                .map_err(export_error)?;
        }
        (Output::Stdout, _) => bail!("this export cannot go to standard output"),
    }
    let n = count(accounts.len());
    match (format, &made.output) {
        (ExportFormat::Paper, _) => eprintln!(
            "Wrote a recovery sheet ({size}) of {n} to {shown} (fingerprint {}).\n\
             Print it, keep it as safe as cash, then check the printout: scan or photograph it and run 'keyfob verify SCAN.png'.",
            made.fingerprint,
        ),
        (ExportFormat::Age, _) => {
            let file = match &out {
                Output::Stdout => "FILE".to_string(),
                Output::File { given, .. } => given.display().to_string(),
            };
            eprintln!(
                "Wrote an encrypted backup of {n} to {shown}. Check it with 'keyfob verify {file}'; restore with 'keyfob import {file}'."
            );
        }
        (ExportFormat::Uris, _) => eprintln!("Wrote {n} as otpauth URIs to {shown}."),
        (ExportFormat::Aegis, _) => eprintln!(
            "Wrote a plain Aegis export of {n} to {shown} ({}).",
            format.plaintext_warning().unwrap_or_default()
        ),
        (_, Bytes::Images(images)) => eprintln!(
            "Wrote {} QR code{} for {} to '{}'. In the phone app choose \"Import\"/\"Transfer accounts\" and scan them in order ({}).",
            images.len(),
            if images.len() == 1 { "" } else { "s" },
            count(made.exported.len()),
            args.out.display(),
            format.plaintext_warning().unwrap_or_default()
        ),
        _ => {}
    }
    if let Err(error) = made.record(ctx.path(), now()) {
        eprintln!("warning: could not record the backup for reminders: {error}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Names, on stderr, the accounts an export leaves out and why.
fn warn_skipped(skipped: &[keyfob::import::Skipped]) {
    for skipped in skipped {
        eprintln!(
            "not exported: {}: {}",
            skipped.label(),
            keyfob::text::Escaped(&skipped.reason)
        );
    }
}

/// An [`ExportError`] from saving, worded as the CLI words it, with what to do.
fn export_error(error: ExportError) -> anyhow::Error {
    match error {
        ExportError::Path(error) => path_error(&error),
        ExportError::Write { path, source } => {
            anyhow::Error::new(source).context(format!("writing '{}'", path.display()))
        }
        ExportError::CreateDir { path, source } => anyhow::Error::new(source)
            .context(format!("creating the directory '{}'", path.display())),
        other => anyhow::Error::new(other),
    }
}

fn count(n: usize) -> String {
    format!("{n} account{}", if n == 1 { "" } else { "s" })
}

fn backup_target(ctx: &Context, args: &ExportArgs) -> anyhow::Result<BackupTarget> {
    if !args.recipients.is_empty() {
        let recipients = args
            .recipients
            .iter()
            .map(|r| crypto::parse_recipient(r))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(BackupTarget::Recipients(recipients));
    }
    if args.backup_passphrase_file.as_deref() == Some(Path::new("-"))
        && ctx.passphrase_file.as_deref() == Some(Path::new("-"))
    {
        bail!("standard input cannot carry both the vault passphrase and the backup passphrase");
    }
    Ok(BackupTarget::Passphrase(passphrase::new(
        args.backup_passphrase_file.as_deref(),
        "backup passphrase",
    )?))
}

/// Where an export goes: standard output, or a file checked by [`paths::check_output`].
enum Output {
    /// `--out -`.
    Stdout,
    /// The name the user gave (checked already).
    File { given: PathBuf },
}

impl Output {
    fn is_stdout(&self) -> bool {
        matches!(self, Output::Stdout)
    }

    /// The destination for messages: `'FILE'` or `standard output`.
    fn shown(&self) -> String {
        match self {
            Output::Stdout => "standard output".to_string(),
            Output::File { given, .. } => format!("'{}'", given.display()),
        }
    }
}

/// Checks `--out` for a single-file format before anything is asked or read.
fn output(ctx: &Context, args: &ExportArgs, format: ExportFormat) -> anyhow::Result<Output> {
    if format == ExportFormat::GoogleQr {
        if std::fs::metadata(&args.out).is_ok_and(|m| !m.is_dir()) || args.out == Path::new("-") {
            bail!(
                "'{}' is not a directory; google-qr writes one PNG image per QR code into a directory: give a new or existing directory with --out",
                args.out.display()
            );
        }
        // The images are checked one by one once their number is known.
        return Ok(Output::File {
            given: args.out.clone(),
        });
    }
    if args.out != Path::new("-") {
        checked(ctx, &args.out, args.force)?;
        return Ok(Output::File {
            given: args.out.clone(),
        });
    }
    match format {
        ExportFormat::Uris | ExportFormat::Aegis => Ok(Output::Stdout),
        ExportFormat::Age if args.armor => Ok(Output::Stdout),
        ExportFormat::Age => bail!(
            "a binary age backup cannot go to standard output; add --armor for a text backup, or give a file name with --out"
        ),
        _ => bail!(
            "a {} export is binary and cannot go to standard output; give a file name with --out (e.g. sheet.pdf)",
            format.name()
        ),
    }
}

/// [`paths::check_output`] with what to do added to its refusals.
fn checked(ctx: &Context, out: &Path, force: bool) -> anyhow::Result<()> {
    paths::check_output(out, ctx.path(), force)
        .map(drop)
        .map_err(|error| path_error(&error))
}

/// A [`PathError`] with what to do added to its refusal.
fn path_error(error: &PathError) -> anyhow::Error {
    let hint = match error {
        PathError::Exists { .. } => "keyfob will not overwrite it without --force",
        PathError::OwnFile { .. } => {
            "keyfob never writes an export over them, even with --force: choose another name"
        }
        PathError::NotRegular { .. } => {
            "choose a file name (or '-' for standard output with uris, aegis or age --armor)"
        }
        _ => "choose another --out",
    };
    anyhow::anyhow!("{error}; {hint}")
}
