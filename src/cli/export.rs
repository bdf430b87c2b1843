//! `keyfob export`: paper sheets, encrypted backups and files for other apps.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::Account;
use keyfob::export::{self, ExportFormat, paper};
use keyfob::import::{aegis, google_migration};
use keyfob::vault::backups::{BackupLog, BackupRecord};
use keyfob::vault::crypto::{self, BackupTarget};
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
    /// Where to write (a directory for google-qr).
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
    if format != ExportFormat::GoogleQr && args.out.exists() && !args.force {
        bail!(
            "'{}' exists; keyfob will not overwrite it without --force",
            args.out.display()
        );
    }
    if format != ExportFormat::Age
        && (!args.recipients.is_empty() || args.armor || args.backup_passphrase_file.is_some())
    {
        bail!("--recipient, --armor and --backup-passphrase-file apply to --format age");
    }
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
            write_private(&args.out, &pdf)?;
            eprintln!(
                "Wrote a recovery sheet ({}) of {} to '{}' (fingerprint {fingerprint}).\n\
                 Print it, keep it as safe as cash, then check the printout: scan or photograph it and run 'keyfob verify SCAN.png'.",
                size,
                count(accounts.len()),
                args.out.display()
            );
        }
        ExportFormat::Age => {
            let mut document = Document::new(now());
            document.accounts = accounts.clone();
            let plaintext = document.to_json();
            let target = target.context("no backup target")?;
            let ciphertext = crypto::encrypt_backup(&plaintext, &target, args.armor)?;
            write_private(&args.out, &ciphertext)?;
            eprintln!(
                "Wrote an encrypted backup of {} to '{}'. Check it with 'keyfob verify {}'; restore with 'keyfob import {}'.",
                count(accounts.len()),
                args.out.display(),
                args.out.display(),
                args.out.display()
            );
        }
        ExportFormat::Uris => {
            let mut text = Zeroizing::new(Vec::new());
            export::write_uris(&accounts, &mut *text)?;
            if std::io::stderr().is_terminal() {
                eprintln!(
                    "warning: '{}' holds your secrets in plain text; delete it once it has served.",
                    args.out.display()
                );
            }
            write_private(&args.out, &text)?;
            eprintln!(
                "Wrote {} as otpauth URIs to '{}'.",
                count(accounts.len()),
                args.out.display()
            );
        }
        ExportFormat::Aegis => {
            let json = aegis::to_plain_json(&accounts);
            write_private(&args.out, &json)?;
            eprintln!(
                "Wrote a plain Aegis export of {} to '{}' (unencrypted: import it in Aegis, then delete it).",
                count(accounts.len()),
                args.out.display()
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
            let paths: Vec<PathBuf> = (1..=total)
                .map(|i| args.out.join(format!("keyfob-google-{i}-of-{total}.png")))
                .collect();
            if !args.force
                && let Some(existing) = paths.iter().find(|p| p.exists())
            {
                bail!(
                    "'{}' exists; keyfob will not overwrite it without --force",
                    existing.display()
                );
            }
            std::fs::create_dir_all(&args.out)
                .with_context(|| format!("creating '{}'", args.out.display()))?;
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
