//! `keyfob verify`: check a printed sheet (scan or photo, or its PDF) or an
//! encrypted backup against the vault, and record a good check for reminders.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::Account;
use keyfob::import::session::{self, Credentials, InputKind};
use keyfob::vault::Key;
use keyfob::vault::backups::{BackupLog, BackupRecord};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::context::{Context, now};
use super::passphrase;

/// Arguments of `keyfob verify`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when the backup holds every account of the vault, identical; \
1 when something differs or cannot be read; 2 when it is correct but misses accounts."
)]
pub struct VerifyArgs {
    /// Scans or photos of a printed sheet (PNG, JPEG, …; directories are walked), the sheet's PDF, or an age backup.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Passphrase of an age backup, first line of this file ('-' = standard input).
    #[arg(long, value_name = "PATH")]
    pub source_passphrase_file: Option<PathBuf>,
    /// Identity for an age backup encrypted to a recipient.
    #[arg(long, value_name = "PATH")]
    pub source_identity: Option<PathBuf>,
}

/// Compares the backup with the vault.
pub fn run(ctx: &Context, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let mut credentials = Credentials::default();
    if let Some(path) = &args.source_passphrase_file {
        let secret = passphrase::read_first_line(path)?;
        credentials.password = Some(Zeroizing::new(secret.expose_secret().as_bytes().to_vec()));
    }
    if let Some(path) = &args.source_identity {
        credentials.identity = Some(
            Key::from_identity_file(path)
                .with_context(|| format!("reading the identity '{}'", path.display()))?,
        );
    }
    let now = now();
    let mut found: Vec<Account> = Vec::new();
    let mut kind = "paper";
    let walk = session::expand_paths(&args.files).context("listing the files to check")?;
    super::import::warn_passed_over(&walk);
    for file in &walk.files {
        let mut outcome = session::read_input(file, None, &credentials, now);
        if outcome
            .as_ref()
            .err()
            .is_some_and(session::InputError::needs_password)
            && passphrase::interactive()
        {
            let secret = passphrase::prompt(&format!("Passphrase of '{}': ", file.display()))?;
            credentials.password = Some(Zeroizing::new(secret.expose_secret().as_bytes().to_vec()));
            outcome = session::read_input(file, None, &credentials, now);
        }
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                let hint = super::import::hint(&error, args.source_passphrase_file.is_some());
                let error =
                    anyhow::Error::new(error).context(format!("reading '{}'", file.display()));
                bail!("{error:#}{hint}");
            }
        };
        if outcome.kind == InputKind::KeyfobBackup {
            kind = "age";
        }
        found.extend(outcome.accounts);
    }
    if found.is_empty() {
        bail!(
            "no accounts found in {}",
            args.files
                .iter()
                .map(|f| format!("'{}'", f.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let vault = ctx.open()?;
    let report = compare(vault.accounts(), &found);
    std::io::stdout().lock().write_all(report.text.as_bytes())?;
    if report.different == 0 && report.unknown == 0 {
        let recorded = BackupLog::record(
            ctx.path(),
            BackupRecord {
                kind: kind.to_string(),
                created: now,
                verified: Some(now),
                accounts: report.matched.clone(),
                fingerprint: keyfob::export::paper::sheet_fingerprint(&found),
            },
        );
        if let Err(error) = recorded {
            eprintln!("warning: could not record the check for reminders: {error}");
        }
    }
    Ok(if report.different > 0 || report.unknown > 0 {
        ExitCode::FAILURE
    } else if report.missing > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The comparison of a backup's accounts with the vault's.
pub struct Report {
    /// Human-readable lines.
    pub text: String,
    /// Vault accounts found identical on the backup.
    pub matched: Vec<keyfob::AccountId>,
    /// Accounts whose name is in the vault but whose secret or parameters differ.
    pub different: usize,
    /// Accounts on the backup that the vault does not have.
    pub unknown: usize,
    /// Vault accounts not on the backup.
    pub missing: usize,
}

/// Compares `found` (from the backup) with `vault`.
pub fn compare(vault: &[Account], found: &[Account]) -> Report {
    let mut text = String::new();
    let mut matched = Vec::new();
    let mut differing = Vec::new();
    let (mut different, mut unknown) = (0, 0);
    for account in found {
        if let Some(same) = vault.iter().find(|v| v.same_token(account)) {
            if !matched.contains(&same.id) {
                matched.push(same.id.clone());
            }
        } else if let Some(named) = vault
            .iter()
            .find(|v| v.issuer == account.issuer && v.name == account.name)
        {
            differing.push(named.id.clone());
            different += 1;
            let _ = writeln!(
                text,
                "different: {} (the secret or parameters on the backup do not match the vault)",
                account.label()
            );
        } else {
            unknown += 1;
            let _ = writeln!(text, "not in the vault: {}", account.label());
        }
    }
    // An account reported as different is on the backup, just not identical.
    let missing: Vec<&Account> = vault
        .iter()
        .filter(|v| !matched.contains(&v.id) && !differing.contains(&v.id))
        .collect();
    for account in &missing {
        let _ = writeln!(text, "missing from the backup: {}", account.label());
    }
    let _ = writeln!(
        text,
        "{} of {} vault accounts are on the backup and identical; {} different, {} missing, {} not in the vault.",
        matched.len(),
        vault.len(),
        different,
        missing.len(),
        unknown
    );
    Report {
        text,
        matched,
        different,
        unknown,
        missing: missing.len(),
    }
}
