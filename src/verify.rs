//! Checking a backup against the vault: a printed sheet (its scans, photos or
//! PDF) or an age backup is read back with the importer ([`read`]), compared
//! account by account with the vault ([`Found::check`]), and a backup that
//! holds nothing wrong is recorded as verified in the backup log, which the
//! reminders read. `keyfob verify` and the terminal UI's backup screen both
//! run this job; they only ask for the files and passwords and show the
//! [`Report`].

use std::fmt;
use std::path::PathBuf;

use crate::account::{Account, AccountId};
use crate::export::{ExportFormat, paper};
use crate::import::session::{self, Callbacks, Credentials, InputError, InputKind};
use crate::vault::VaultError;
use crate::vault::backups::{BackupLog, BackupRecord};

/// Errors reading a backup to verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The directories given could not be walked.
    #[error(transparent)]
    Walk(InputError),
    /// A file could not be read (the first one that failed; later ones were not read).
    #[error("could not read '{}'", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: InputError,
    },
    /// The files hold no account at all.
    #[error("no accounts found in {}", quoted(.0))]
    NoAccounts(Vec<PathBuf>),
}

fn quoted(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("'{}'", p.display()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The accounts a backup holds.
#[derive(Debug)]
pub struct Found {
    /// The kind of backup: [`ExportFormat::Age`] when an age backup was among
    /// the files, [`ExportFormat::Paper`] for scans, photos and PDFs.
    pub kind: ExportFormat,
    /// Every account read, in file order.
    pub accounts: Vec<Account>,
}

/// Walks `paths` and reads every file as the importer does, stopping at the
/// first file that cannot be read. Passwords come from `credentials` or, when
/// they do not open a file, from `callbacks`.
pub fn read(
    paths: &[PathBuf],
    credentials: &mut Credentials,
    now: i64,
    callbacks: &mut dyn Callbacks,
) -> Result<Found, VerifyError> {
    let walk = session::expand_paths(paths).map_err(VerifyError::Walk)?;
    callbacks.walked(&walk);
    let mut found = Found {
        kind: ExportFormat::Paper,
        accounts: Vec::new(),
    };
    let total = walk.files.len();
    for (done, path) in walk.files.iter().enumerate() {
        callbacks.progress(done, total, path);
        let outcome = session::read_with_password(path, None, credentials, now, callbacks)
            .map_err(|source| VerifyError::Input {
                path: path.clone(),
                source,
            })?;
        if outcome.kind == InputKind::KeyfobBackup {
            found.kind = ExportFormat::Age;
        }
        found.accounts.extend(outcome.accounts);
    }
    if found.accounts.is_empty() {
        return Err(VerifyError::NoAccounts(paths.to_vec()));
    }
    Ok(found)
}

/// One account of the backup that is not as in the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The vault has an account of this label, but its secret or parameters differ.
    Different(String),
    /// The vault has no account of this label.
    NotInVault(String),
}

/// The comparison of a backup with the vault. `Display` gives the report
/// `keyfob verify` prints, one line per finding and a summary.
#[derive(Debug)]
pub struct Report {
    /// Vault accounts found identical on the backup.
    pub matched: Vec<AccountId>,
    /// What on the backup is wrong, in backup order.
    pub findings: Vec<Finding>,
    /// Labels of the vault accounts the backup does not hold.
    pub missing: Vec<String>,
    /// How many accounts the vault holds.
    pub vault_accounts: usize,
    /// Whether the check was recorded in the backup log as a verified backup
    /// (only a backup without findings is).
    pub recorded: bool,
    /// Why recording failed, if it did.
    pub record_error: Option<VaultError>,
}

impl Report {
    /// Accounts on the backup whose secret or parameters differ from the vault's.
    pub fn different(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| matches!(f, Finding::Different(_)))
            .count()
    }

    /// Accounts on the backup the vault does not have.
    pub fn not_in_vault(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| matches!(f, Finding::NotInVault(_)))
            .count()
    }

    /// True when nothing on the backup is wrong (it may still miss accounts).
    pub fn is_correct(&self) -> bool {
        self.findings.is_empty()
    }

    /// True when the backup holds every vault account, identical.
    pub fn is_complete(&self) -> bool {
        self.is_correct() && self.missing.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            match finding {
                Finding::Different(label) => writeln!(
                    f,
                    "different: {label} (the secret or parameters on the backup do not match the vault)"
                )?,
                Finding::NotInVault(label) => writeln!(f, "not in the vault: {label}")?,
            }
        }
        for label in &self.missing {
            writeln!(f, "missing from the backup: {label}")?;
        }
        writeln!(
            f,
            "{} of {} vault accounts are on the backup and identical; {} different, {} missing, {} not in the vault.",
            self.matched.len(),
            self.vault_accounts,
            self.different(),
            self.missing.len(),
            self.not_in_vault()
        )
    }
}

/// Compares `found` (from a backup) with `vault`, recording nothing.
pub fn compare(vault: &[Account], found: &[Account]) -> Report {
    let mut matched: Vec<AccountId> = Vec::new();
    let mut differing: Vec<&AccountId> = Vec::new();
    let mut findings = Vec::new();
    for account in found {
        if let Some(same) = vault.iter().find(|v| v.same_token(account)) {
            if !matched.contains(&same.id) {
                matched.push(same.id.clone());
            }
        } else if let Some(named) = vault
            .iter()
            .find(|v| v.issuer == account.issuer && v.name == account.name)
        {
            differing.push(&named.id);
            findings.push(Finding::Different(account.label()));
        } else {
            findings.push(Finding::NotInVault(account.label()));
        }
    }
    // An account reported as different is on the backup, just not identical.
    let missing = vault
        .iter()
        .filter(|v| !matched.contains(&v.id) && !differing.contains(&&v.id))
        .map(Account::label)
        .collect();
    Report {
        matched,
        findings,
        missing,
        vault_accounts: vault.len(),
        recorded: false,
        record_error: None,
    }
}

impl Found {
    /// Compares the backup with `vault` (the accounts of the vault at
    /// `vault_path`) and, when nothing on it is wrong, records it in the backup
    /// log as verified at `now`.
    pub fn check(&self, vault_path: &std::path::Path, vault: &[Account], now: i64) -> Report {
        let mut report = compare(vault, &self.accounts);
        if report.is_correct() {
            let record = BackupRecord::checked(
                self.kind,
                now,
                report.matched.clone(),
                paper::sheet_fingerprint(&self.accounts),
            );
            match BackupLog::record(vault_path, record) {
                Ok(()) => report.recorded = true,
                Err(error) => report.record_error = Some(error),
            }
        }
        report
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use std::path::Path;

    use zeroize::Zeroizing;

    use super::*;
    use crate::account::{Algorithm, Kind};
    use crate::export::{self, ExportOptions, Output};
    use crate::import::session::{NoCallbacks, PasswordRequest};
    use crate::secret::Secret;
    use crate::vault::crypto::BackupTarget;

    fn account(issuer: &str, secret: &str) -> Account {
        Account::new(
            issuer,
            "alice",
            Secret::from_base32(secret).unwrap(),
            Kind::DEFAULT_TOTP,
            Algorithm::Sha1,
            6,
            0,
        )
        .unwrap()
    }

    fn vault() -> Vec<Account> {
        vec![
            account("GitHub", "JBSWY3DPEHPK3PXP"),
            account("Bank", "GEZDGNBVGY3TQOJQ"),
        ]
    }

    /// Saves an age backup of `accounts` to the passphrase `pass` as `dir/name`.
    fn age_backup(dir: &Path, name: &str, accounts: &[Account]) -> PathBuf {
        let options = ExportOptions {
            backup: Some(BackupTarget::Passphrase("pass".to_string().into())),
            ..ExportOptions::default()
        };
        let made = export::write(ExportFormat::Age, accounts, &options).unwrap();
        let Output::File(bytes) = &made.output else {
            panic!("a file was expected");
        };
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Answers every password request with `pass`, counting them.
    struct Answer(usize);

    impl Callbacks for Answer {
        fn password(&mut self, request: &PasswordRequest<'_>) -> Option<Zeroizing<Vec<u8>>> {
            self.0 += 1;
            (request.attempt == 0).then(|| Zeroizing::new(b"pass".to_vec()))
        }
    }

    #[test]
    fn a_good_age_backup_is_recorded_as_verified_age() {
        let dir = tempfile::tempdir().unwrap();
        let vault_path = dir.path().join("vault.age");
        let accounts = vault();
        let backup = age_backup(dir.path(), "backup.age", &accounts[..1]);

        // Without a password and no one to ask, the error says a password is needed.
        let mut credentials = Credentials::default();
        let error = read(
            std::slice::from_ref(&backup),
            &mut credentials,
            5,
            &mut NoCallbacks,
        )
        .unwrap_err();
        match &error {
            VerifyError::Input { path, source } => {
                assert_eq!(path, &backup);
                assert!(source.needs_password(), "{source}");
            }
            other => panic!("expected a password error, got {other:?}"),
        }

        let mut asker = Answer(0);
        let found = read(&[backup], &mut credentials, 5, &mut asker).unwrap();
        assert_eq!(asker.0, 1);
        assert_eq!(found.kind, ExportFormat::Age);
        let report = found.check(&vault_path, &accounts, 1_000);
        assert!(report.is_correct() && !report.is_complete());
        assert!(report.recorded && report.record_error.is_none());
        assert_eq!(
            report.to_string(),
            "missing from the backup: Bank (alice)\n\
             1 of 2 vault accounts are on the backup and identical; 0 different, 1 missing, 0 not in the vault.\n"
        );
        let log = BackupLog::load(&vault_path);
        let last = log.last_verified().unwrap();
        assert_eq!(
            (last.kind, last.verified, last.accounts.clone()),
            (ExportFormat::Age, Some(1_000), vec![accounts[0].id.clone()])
        );
    }

    #[test]
    fn a_backup_with_a_wrong_account_is_reported_and_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let vault_path = dir.path().join("vault.age");
        let accounts = vault();
        let changed = [
            account("GitHub", "JBSWY3DPEHPK3PXQ"),
            account("Elsewhere", "JBSWY3DPEHPK3PXP"),
            account("Bank", "GEZDGNBVGY3TQOJQ"),
        ];
        let backup = age_backup(dir.path(), "backup.age", &changed);
        let mut credentials = Credentials::default();
        let found = read(&[backup], &mut credentials, 5, &mut Answer(0)).unwrap();
        let report = found.check(&vault_path, &accounts, 1_000);
        assert_eq!(
            report.findings,
            [Finding::Different("GitHub (alice)".into())],
            "an account with the same secret under another name is the same account"
        );
        assert_eq!((report.different(), report.not_in_vault()), (1, 0));
        assert!(!report.recorded);
        assert!(BackupLog::load(&vault_path).records.is_empty());

        let unknown = compare(&accounts, &[account("New", "MZXW6YTBOI")]);
        assert_eq!(
            unknown.findings,
            [Finding::NotInVault("New (alice)".into())]
        );
        assert_eq!(unknown.missing.len(), 2);
    }

    #[test]
    fn files_without_accounts_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let error = read(
            std::slice::from_ref(&empty),
            &mut Credentials::default(),
            0,
            &mut NoCallbacks,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("no accounts found in '{}'", empty.display())
        );
    }
}
