//! `keyfob verify`: check a printed sheet (scan or photo, or its PDF) or an
//! encrypted backup against the vault, and record a good check for reminders.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::import::session::{self, Callbacks, Credentials, PasswordRequest};
use keyfob::vault::Key;
use keyfob::verify::{self, VerifyError};
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
    let mut asker = Asker::default();
    let found = verify::read(&args.files, &mut credentials, now, &mut asker);
    if let Some(error) = asker.failed {
        return Err(error);
    }
    let found = match found {
        Ok(found) => found,
        Err(VerifyError::Walk(error)) => {
            return Err(anyhow::Error::new(error).context("listing the files to check"));
        }
        Err(VerifyError::Input { path, source }) => {
            let hint = super::import::hint(&source, args.source_passphrase_file.is_some());
            let error = anyhow::Error::new(source).context(format!("reading '{}'", path.display()));
            bail!("{error:#}{hint}");
        }
        Err(error) => return Err(error.into()),
    };

    let vault = ctx.open()?;
    let report = found.check(ctx.path(), vault.accounts(), now);
    std::io::stdout()
        .lock()
        .write_all(report.to_string().as_bytes())?;
    if let Some(error) = &report.record_error {
        eprintln!("warning: could not record the check for reminders: {error}");
    }
    Ok(if !report.is_correct() {
        ExitCode::FAILURE
    } else if !report.is_complete() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Asks once, in a terminal, for the passphrase of an encrypted backup, and
/// names what the directories held that is not read.
#[derive(Default)]
struct Asker {
    /// The prompt failed: the run stops with this error.
    failed: Option<anyhow::Error>,
}

impl Callbacks for Asker {
    fn walked(&mut self, walk: &session::Walk) {
        super::import::warn_passed_over(walk);
    }

    fn password(&mut self, request: &PasswordRequest<'_>) -> Option<Zeroizing<Vec<u8>>> {
        if request.wrong || request.attempt > 0 || !passphrase::interactive() {
            return None;
        }
        let prompt = format!("Passphrase of '{}': ", request.path.display());
        match passphrase::prompt(&prompt) {
            Ok(secret) => Some(Zeroizing::new(secret.expose_secret().as_bytes().to_vec())),
            Err(error) => {
                self.failed = Some(error);
                None
            }
        }
    }
}
