//! `keyfob import`: bring accounts in from other apps' exports, QR images and keyfob backups.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use keyfob::import::Format;
use keyfob::import::session::{self, Callbacks, Credentials, InputError, PasswordRequest, Preview};
use keyfob::text::{Escaped, escape_path};
use keyfob::vault::Key;
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::context::{Context, now};
use super::passphrase;

/// Arguments of `keyfob import`.
#[derive(Debug, clap::Args)]
#[command(after_help = formats_help())]
pub struct ImportArgs {
    /// Files or directories to import.
    #[arg(required = true, value_name = "FILE")]
    pub paths: Vec<PathBuf>,
    /// The source format, when detection is not wanted (the formats are listed below).
    #[arg(long, value_name = "FORMAT")]
    pub from: Option<String>,
    /// Password of encrypted sources, first line of this file ('-' = standard input).
    #[arg(long, value_name = "PATH")]
    pub source_passphrase_file: Option<PathBuf>,
    /// Identity for keyfob backups encrypted to an age recipient.
    #[arg(long, value_name = "PATH")]
    pub source_identity: Option<PathBuf>,
    /// Show what would be imported without changing the vault.
    #[arg(long)]
    pub dry_run: bool,
}

/// The text after `keyfob import --help`: the formats, from the format list.
fn formats_help() -> String {
    let mut help = String::from("Formats (detected from the content unless --from is given):\n");
    for format in Format::ALL {
        let spec = format.spec();
        let _ = write!(help, "  {:<18} {}", spec.name, spec.display_name);
        if !spec.aliases.is_empty() {
            let _ = write!(help, " (also: {})", spec.aliases.join(", "));
        }
        help.push('\n');
    }
    help.push_str(
        "Images (PNG, JPEG, GIF, BMP, WebP, TIFF) are scanned for QR codes (otpauth:// and Google \
Authenticator export codes); keyfob's own age backups are read back, and its paper sheet PDF too \
(with poppler's pdftoppm). In directories, hidden files and anything but regular files are skipped.",
    );
    help
}

/// Runs the import.
pub fn run(ctx: &Context, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let from = match &args.from {
        Some(name) => Some(Format::from_name(name).with_context(|| {
            format!(
                "unknown format '{name}' (known: {})",
                Format::names().join(", ")
            )
        })?),
        None => None,
    };
    if args.source_passphrase_file.as_deref() == Some(Path::new("-"))
        && ctx.passphrase_file.as_deref() == Some(Path::new("-"))
    {
        bail!("standard input cannot carry both the vault passphrase and the source password");
    }
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
    let mut asker = Asker {
        from_file: args.source_passphrase_file.is_some(),
    };
    let mut preview = Preview::read(&args.paths, from, &mut credentials, now, &mut asker)
        .context("listing the files to import")?;

    // Nothing read (every file failed or held no account): the vault need not
    // be unlocked at all, so a wrong source file costs no passphrase prompt.
    if preview.has_accounts() {
        let mut vault = if args.dry_run {
            ctx.open()?
        } else {
            ctx.open_for_write()?
        };
        preview.dedupe(vault.accounts());
        let added = preview.commit(vault.accounts_mut());
        if !args.dry_run && added > 0 {
            vault.save().context("saving the vault")?;
        }
    }

    let from_file = args.source_passphrase_file.is_some();
    let mut stderr = std::io::stderr().lock();
    for report in &preview.files {
        if let Err(error) = &report.result {
            // The causes too ("cannot read the file: No such file or directory"),
            // as `main` does with `{:#}`; none of them holds file content.
            let message = keyfob::text::with_causes(error);
            writeln!(
                stderr,
                "keyfob: '{}': {}{}",
                escape_path(&report.path),
                Escaped(&message),
                hint(error, from_file)
            )?;
        }
    }
    drop(stderr);
    let text = summary(&preview, args.dry_run);
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if preview.failed() > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Asks for the password of an encrypted source in a terminal, up to three
/// times a file, unless it came from a file; names what the walk passed over.
struct Asker {
    from_file: bool,
}

impl Callbacks for Asker {
    fn walked(&mut self, walk: &session::Walk) {
        warn_passed_over(walk);
    }

    fn password(&mut self, request: &PasswordRequest<'_>) -> Option<Zeroizing<Vec<u8>>> {
        if self.from_file || request.attempt >= 3 || !passphrase::interactive() {
            return None;
        }
        if request.wrong {
            eprintln!("Wrong password for '{}'.", escape_path(request.path));
        }
        let secret =
            passphrase::prompt(&format!("Password of '{}': ", escape_path(request.path))).ok()?;
        Some(Zeroizing::new(secret.expose_secret().as_bytes().to_vec()))
    }
}

/// Names, on stderr, what the walk of the directories did not read and why.
pub(super) fn warn_passed_over(walk: &session::Walk) {
    for passed in &walk.passed_over {
        eprintln!("keyfob: {passed}");
    }
}

/// What to do about an error, for the message on stderr.
pub(super) fn hint(error: &InputError, from_file: bool) -> &'static str {
    let wrong = error.is_wrong_password();
    if matches!(
        error,
        InputError::Pdf(keyfob::import::pdf::PdfError::ToolMissing)
    ) {
        " (install poppler-utils, e.g. 'apt install poppler-utils', or use a scan or photo of the printout)"
    } else if error.needs_password() {
        " (pass it with --source-passphrase-file PATH, or run keyfob in a terminal to be asked)"
    } else if matches!(error, InputError::BackupIdentityRequired) {
        " (pass the identity file of one of its recipients with --source-identity PATH)"
    } else if error.needs_identity() {
        " (the identity given is not one of the backup's recipients)"
    } else if wrong && from_file {
        " (check the first line of the --source-passphrase-file)"
    } else if !from_file
        && matches!(
            error,
            InputError::Import(keyfob::import::ImportError::UnsupportedFormat)
        )
    {
        " (an encrypted backup without a header, such as an old andOTP one, opens with its password: --source-passphrase-file PATH)"
    } else {
        ""
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(preview: &Preview, dry_run: bool) -> String {
    let mut out = String::new();
    let reports = &preview.files;
    let verb = if dry_run { "would add" } else { "added" };
    for report in reports {
        let name = escape_path(&report.path);
        match &report.result {
            Err(_) => {
                // The error itself went to stderr.
                let _ = writeln!(out, "{name}: failed, nothing imported");
            }
            Ok(outcome) => {
                let mut parts = vec![format!("{} {verb}", report.added.len())];
                if report.duplicates > 0 {
                    parts.push(format!(
                        "{} skipped",
                        plural(report.duplicates, "duplicate", "duplicates")
                    ));
                }
                if !outcome.skipped.is_empty() {
                    parts.push(format!("{} not imported", outcome.skipped.len()));
                }
                if !outcome.not_otp.is_empty() {
                    let kinds: Vec<&str> = outcome.not_otp.clone();
                    parts.push(format!(
                        "{} not for OTP ({})",
                        plural(outcome.not_otp.len(), "QR code", "QR codes"),
                        kinds.join(", ")
                    ));
                }
                let _ = writeln!(out, "{name} ({}): {}", outcome.kind, parts.join(", "));
                for account in &report.added {
                    let _ = writeln!(out, "  {verb}: {}", account.label());
                }
                for skipped in &outcome.skipped {
                    let _ = writeln!(
                        out,
                        "  not imported: {}: {}",
                        skipped.label(),
                        Escaped(&skipped.reason)
                    );
                }
            }
        }
    }
    let (added, duplicates, failed) = (preview.added(), preview.duplicates(), preview.failed());
    for gap in preview.missing_batches() {
        let numbers: Vec<String> = gap.missing.iter().map(i32::to_string).collect();
        let _ = writeln!(
            out,
            "Google Authenticator export: QR code{} {} of {} not read yet; scan {} too.",
            if gap.missing.len() == 1 { "" } else { "s" },
            numbers.join(", "),
            gap.batch_size,
            if gap.missing.len() == 1 { "it" } else { "them" }
        );
    }
    let _ = writeln!(
        out,
        "{} {} from {}{}{}.",
        if dry_run { "Would import" } else { "Imported" },
        plural(added, "account", "accounts"),
        plural(reports.len(), "file", "files"),
        if duplicates > 0 {
            format!(
                ", {} skipped",
                plural(duplicates, "duplicate", "duplicates")
            )
        } else {
            String::new()
        },
        if failed > 0 {
            format!(", {} failed", plural(failed, "file", "files"))
        } else {
            String::new()
        },
    );
    out
}
