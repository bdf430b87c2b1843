//! `keyfob export`: paper sheets, encrypted backups and files for other apps.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::Account;
use keyfob::export::{self, ExportFormat, paper};
use keyfob::import::{aegis, google_migration};
use keyfob::vault::backups::{BackupLog, BackupRecord};
use keyfob::vault::crypto::{self, BackupTarget};
use keyfob::vault::paths::{self, PathError};
use keyfob::vault::{Document, store};
use zeroize::Zeroizing;

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

/// Largest number of accounts in one Google QR code (what Google's app uses).
const GOOGLE_PER_QR: usize = 10;

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
    let target = if format == ExportFormat::Age {
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
    let fingerprint = paper::sheet_fingerprint(&accounts);
    let mut exported: Vec<&Account> = accounts.iter().collect();

    match format {
        ExportFormat::Paper => {
            let options = paper::PaperOptions {
                size,
                date: today(),
                ..paper::PaperOptions::default()
            };
            let pdf = paper::paper_sheet(&accounts, &options)?;
            out.write(&pdf)?;
            eprintln!(
                "Wrote a recovery sheet ({}) of {} to {shown} (fingerprint {fingerprint}).\n\
                 Print it, keep it as safe as cash, then check the printout: scan or photograph it and run 'keyfob verify SCAN.png'.",
                size,
                count(accounts.len()),
            );
        }
        ExportFormat::Age => {
            let mut document = Document::new(now());
            document.accounts = accounts.clone();
            let plaintext = document.to_json();
            let target = target.context("no backup target")?;
            let ciphertext = crypto::encrypt_backup(&plaintext, &target, args.armor)?;
            out.write(&ciphertext)?;
            let file = match &out {
                Output::Stdout => "FILE".to_string(),
                Output::File { given, .. } => given.display().to_string(),
            };
            eprintln!(
                "Wrote an encrypted backup of {} to {shown}. Check it with 'keyfob verify {file}'; restore with 'keyfob import {file}'.",
                count(accounts.len()),
            );
        }
        ExportFormat::Uris => {
            let mut text = Zeroizing::new(Vec::new());
            export::write_uris(&accounts, &mut *text)?;
            if std::io::stderr().is_terminal() && !out.is_stdout() {
                eprintln!(
                    "warning: {shown} holds your secrets in plain text; delete it once it has served."
                );
            }
            out.write(&text)?;
            eprintln!(
                "Wrote {} as otpauth URIs to {shown}.",
                count(accounts.len())
            );
        }
        ExportFormat::Aegis => {
            let json = aegis::to_plain_json(&accounts);
            out.write(&json)?;
            eprintln!(
                "Wrote a plain Aegis export of {} to {shown} (unencrypted: import it in Aegis, then delete it).",
                count(accounts.len()),
            );
        }
        ExportFormat::GoogleQr => {
            let mut random = [0u8; 4];
            let _ = getrandom::fill(&mut random);
            let batch_id = i32::from_le_bytes(random) & i32::MAX;
            let migration = google_migration::encode_batches(&accounts, GOOGLE_PER_QR, batch_id);
            for skipped in &migration.skipped {
                eprintln!(
                    "not exported: {}: {}",
                    skipped.label(),
                    keyfob::text::Escaped(&skipped.reason)
                );
            }
            exported.retain(|a| {
                !migration
                    .skipped
                    .iter()
                    .any(|s| s.issuer == a.issuer.trim() && s.name == a.name.trim())
            });
            if migration.uris.is_empty() {
                bail!(
                    "none of the selected accounts can be represented as a Google Authenticator export"
                );
            }
            let total = migration.uris.len();
            let paths = (1..=total)
                .map(|i| {
                    let png = args.out.join(format!("keyfob-google-{i}-of-{total}.png"));
                    checked(ctx, &png, args.force)
                })
                .collect::<anyhow::Result<Vec<PathBuf>>>()?;
            paths::create_private_dir_all(&args.out)
                .with_context(|| format!("creating the directory '{}'", args.out.display()))?;
            let mut written = Vec::new();
            for (index, (uri, path)) in migration.uris.iter().zip(&paths).enumerate() {
                let result = export::png::qr_png(uri, &format!("batch {} of {total}", index + 1))
                    .map_err(anyhow::Error::from)
                    .and_then(|png| write_private(path, &png));
                if let Err(error) = result {
                    for done in &written {
                        let _ = std::fs::remove_file(done);
                    }
                    return Err(error);
                }
                written.push(path.clone());
            }
            eprintln!(
                "Wrote {} QR code{} for {} to '{}'. In the phone app choose \"Import\"/\"Transfer accounts\" and scan them in order.",
                total,
                if total == 1 { "" } else { "s" },
                count(exported.len()),
                args.out.display()
            );
        }
        _ => bail!("unsupported export format"),
    }

    let recorded = BackupLog::record(
        ctx.path(),
        BackupRecord {
            kind: format.name().to_string(),
            created: now(),
            verified: None,
            accounts: exported.iter().map(|a| a.id.clone()).collect(),
            fingerprint,
        },
    );
    if let Err(error) = recorded {
        eprintln!("warning: could not record the backup for reminders: {error}");
    }
    Ok(ExitCode::SUCCESS)
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

/// Writes a file atomically with mode 0600; a failure leaves no partial file.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    store::replace_file(path, bytes, 0).with_context(|| format!("writing '{}'", path.display()))
}

/// Where an export goes: standard output, or a file checked by [`paths::check_output`].
enum Output {
    /// `--out -`.
    Stdout,
    /// The file to replace (links followed), and the name the user gave.
    File { path: PathBuf, given: PathBuf },
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

    fn write(&self, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            Output::Stdout => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(bytes)?;
                stdout.flush()?;
                Ok(())
            }
            Output::File { path, .. } => write_private(path, bytes),
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
            path: args.out.clone(),
            given: args.out.clone(),
        });
    }
    if args.out != Path::new("-") {
        return Ok(Output::File {
            path: checked(ctx, &args.out, args.force)?,
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
fn checked(ctx: &Context, out: &Path, force: bool) -> anyhow::Result<PathBuf> {
    paths::check_output(out, ctx.path(), force).map_err(|error| {
        let hint = match &error {
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
    })
}
