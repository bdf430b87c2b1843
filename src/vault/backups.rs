//! The backup log: which backups and paper sheets exist, and which were checked
//! (and which sync-conflict copies of the vault were merged, see `copies`).
//!
//! Exports never modify the vault, so the log lives beside it in
//! `NAME.backups.json` (0600). It holds no secrets: kinds, dates, the random
//! account ids a backup holds, the sheet fingerprint, and the names and SHA-256
//! of merged copies' encrypted bytes. From it, keyfob reminds the user when the
//! last verified backup is old or misses newer accounts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{VaultError, store};
use crate::account::{Account, AccountId};
use crate::export::ExportFormat;

/// A verified backup older than this many days earns a reminder.
pub const STALE_AFTER_DAYS: i64 = 90;
/// Most records kept in the log.
const MAX_RECORDS: usize = 200;
/// The largest log read: 200 records of 10,000 account ids each is about 90 MB;
/// `/dev/zero` in its place stops here.
const MAX_LOG_FILE: u64 = 128 << 20;

/// One backup or sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// What was made (saved by name: `paper`, `age`, `uris`, `google-qr` or `aegis`).
    pub kind: ExportFormat,
    /// When it was made, or for a record written by `verify`, when it was checked (unix seconds).
    pub created: i64,
    /// When it was checked against the vault with `keyfob verify`, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<i64>,
    /// The accounts it holds.
    #[serde(default)]
    pub accounts: Vec<AccountId>,
    /// Fingerprint of the account set (as printed on a sheet).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fingerprint: String,
}

impl BackupRecord {
    /// A backup or sheet just made at `now`, not checked yet.
    pub fn made(
        kind: ExportFormat,
        now: i64,
        accounts: Vec<AccountId>,
        fingerprint: String,
    ) -> Self {
        BackupRecord {
            kind,
            created: now,
            verified: None,
            accounts,
            fingerprint,
        }
    }

    /// A backup checked against the vault at `now`, holding `accounts` identical.
    pub fn checked(
        kind: ExportFormat,
        now: i64,
        accounts: Vec<AccountId>,
        fingerprint: String,
    ) -> Self {
        BackupRecord {
            verified: Some(now),
            ..BackupRecord::made(kind, now, accounts, fingerprint)
        }
    }
}

/// How well a vault's accounts are backed up, from the log: what the reminder
/// of `keyfob list` and the terminal UI's backup screen are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupStatus {
    /// The most recently verified backup, if any.
    pub last_verified: Option<LastVerified>,
    /// Vault accounts the last verified backup does not hold (every account
    /// when there is none), in vault order.
    pub uncovered: Vec<AccountId>,
    /// How many accounts the vault holds.
    pub accounts: usize,
}

/// The most recently verified backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastVerified {
    /// What it is.
    pub kind: ExportFormat,
    /// When it was checked (unix seconds).
    pub verified: i64,
    /// Whole days since it was checked.
    pub age_days: i64,
}

impl BackupStatus {
    /// True when the last verified backup is older than [`STALE_AFTER_DAYS`].
    pub fn is_stale(&self) -> bool {
        self.last_verified
            .as_ref()
            .is_some_and(|last| last.age_days > STALE_AFTER_DAYS)
    }

    /// True when the accounts are not safely backed up: never verified,
    /// verified too long ago, or accounts added since.
    pub fn needs_backup(&self) -> bool {
        self.accounts > 0
            && (self.last_verified.is_none() || self.is_stale() || !self.uncovered.is_empty())
    }
}

/// The backup status of `accounts`, whose vault is at `vault`, at `now`.
pub fn status(vault: &Path, accounts: &[Account], now: i64) -> BackupStatus {
    BackupLog::load(vault).status(accounts, now)
}

/// The log file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupLog {
    /// Records, oldest first. A record that cannot be read (a kind this
    /// keyfob does not know) is left out rather than losing the whole log.
    #[serde(default, deserialize_with = "readable")]
    pub records: Vec<BackupRecord>,
    /// Sync-conflict copies whose content was merged into the vault, oldest
    /// first ([`super::copies::record_merged`]); unreadable ones are left out too.
    #[serde(
        default,
        deserialize_with = "readable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub merged_copies: Vec<super::copies::MergedCopy>,
}

/// The entries of a list that can be read, the others left out.
fn readable<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    let values: Vec<serde_json::Value> = Vec::deserialize(deserializer)?;
    Ok(values
        .into_iter()
        .filter_map(|value| serde_json::from_value(value).ok())
        .collect())
}

/// Path of the log beside a vault.
pub fn log_path(vault: &Path) -> PathBuf {
    let mut name = vault
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".backups.json");
    vault.with_file_name(name)
}

impl BackupLog {
    /// Reads the log beside `vault` (bounded, like every file keyfob reads); a
    /// missing, unreadable or oversized log is empty.
    pub fn load(vault: &Path) -> Self {
        crate::bounded::read_file(&log_path(vault), MAX_LOG_FILE)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes the log atomically (0600).
    pub fn save(&self, vault: &Path) -> Result<(), VaultError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| VaultError::Write {
            source: std::io::Error::other(e),
        })?;
        store::write_atomic(&log_path(vault), &bytes, 0)
    }

    /// Adds `record` to the log beside `vault` and saves it: what an export or a
    /// verification does.
    pub fn record(vault: &Path, record: BackupRecord) -> Result<(), VaultError> {
        let mut log = Self::load(vault);
        log.push(record);
        log.save(vault)
    }

    /// Appends a record (dropping the oldest beyond a cap).
    pub fn push(&mut self, record: BackupRecord) {
        self.records.push(record);
        if self.records.len() > MAX_RECORDS {
            let excess = self.records.len() - MAX_RECORDS;
            self.records.drain(..excess);
        }
    }

    /// The most recently verified record.
    pub fn last_verified(&self) -> Option<&BackupRecord> {
        self.records
            .iter()
            .filter(|r| r.verified.is_some())
            .max_by_key(|r| r.verified)
    }

    /// The backup status of `accounts` at `now`.
    pub fn status(&self, accounts: &[Account], now: i64) -> BackupStatus {
        let last = self.last_verified();
        let covered: BTreeSet<&AccountId> = last.iter().flat_map(|r| &r.accounts).collect();
        BackupStatus {
            last_verified: last.map(|record| {
                let verified = record.verified.unwrap_or(record.created);
                LastVerified {
                    kind: record.kind,
                    verified,
                    age_days: (now - verified) / 86_400,
                }
            }),
            uncovered: accounts
                .iter()
                .filter(|a| !covered.contains(&a.id))
                .map(|a| a.id.clone())
                .collect(),
            accounts: accounts.len(),
        }
    }

    /// A reminder to show, if the vault's accounts are not safely backed up
    /// (see [`BackupStatus::needs_backup`]), ending with what to do in the
    /// words of the front end showing it.
    pub fn reminder(&self, accounts: &[Account], now: i64, advice: &Advice) -> Option<String> {
        let status = self.status(accounts, now);
        if !status.needs_backup() {
            return None;
        }
        let Some(last) = &status.last_verified else {
            return Some(format!("no verified backup yet: {}", advice.first));
        };
        let days = last.age_days;
        match (status.is_stale(), status.uncovered.len()) {
            (_, n) if n > 0 => Some(format!(
                "{n} account{} not in your last verified backup ({days} days old): {}",
                if n == 1 { " is" } else { "s are" },
                advice.again
            )),
            (true, _) => Some(format!(
                "your last verified backup is {days} days old: {}",
                advice.recheck
            )),
            _ => None,
        }
    }
}

/// How a front end says what a backup reminder asks for: the command line
/// names commands ([`Advice::COMMANDS`]), the terminal UI its keys.
#[derive(Debug, Clone, Copy)]
pub struct Advice<'a> {
    /// With no verified backup at all: how to make one and check it.
    pub first: &'a str,
    /// With accounts missing from the last verified one: how to make a new one.
    pub again: &'a str,
    /// With the last verified one old: how to check it or make a new one.
    pub recheck: &'a str,
}

impl Advice<'static> {
    /// The command line's words.
    pub const COMMANDS: Advice<'static> = Advice {
        first: "print a sheet with 'keyfob export --format paper' and check it with 'keyfob verify'",
        again: "make a new one with 'keyfob export'",
        recheck: "check it with 'keyfob verify' or make a new one",
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{Algorithm, Kind};
    use crate::secret::Secret;

    fn account(issuer: &str) -> Account {
        Account::new(
            issuer,
            "",
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
            Kind::DEFAULT_TOTP,
            Algorithm::Sha1,
            6,
            0,
        )
        .unwrap()
    }

    #[test]
    fn reminders() {
        let day = 86_400;
        let accounts = vec![account("a"), account("b")];
        let mut log = BackupLog::default();
        assert!(log.reminder(&[], 0, &Advice::COMMANDS).is_none());
        assert!(
            log.reminder(&accounts, 0, &Advice::COMMANDS)
                .unwrap()
                .contains("no verified backup")
        );
        log.push(BackupRecord {
            kind: ExportFormat::Paper,
            created: 0,
            verified: None,
            accounts: vec![accounts[0].id.clone(), accounts[1].id.clone()],
            fingerprint: String::new(),
        });
        assert!(
            log.reminder(&accounts, 0, &Advice::COMMANDS)
                .unwrap()
                .contains("no verified backup"),
            "unverified sheets do not count"
        );
        log.records[0].verified = Some(day);
        assert!(
            log.reminder(&accounts, 10 * day, &Advice::COMMANDS)
                .is_none()
        );
        assert!(
            log.reminder(&accounts, 92 * day, &Advice::COMMANDS)
                .unwrap()
                .contains("91 days old")
        );
        let mut more = accounts.clone();
        more.push(account("c"));
        assert!(
            log.reminder(&more, 2 * day, &Advice::COMMANDS)
                .unwrap()
                .starts_with("1 account is not in your last verified backup")
        );
    }

    #[test]
    fn status_names_the_last_verified_backup_and_what_it_misses() {
        let day = 86_400;
        let accounts = vec![account("a"), account("b"), account("c")];
        let mut log = BackupLog::default();
        let never = log.status(&accounts, 0);
        assert_eq!(never.last_verified, None);
        assert_eq!(never.uncovered.len(), 3);
        assert!(never.needs_backup() && !never.is_stale());
        assert!(!log.status(&[], 0).needs_backup());

        let ids = |range: std::ops::Range<usize>| -> Vec<AccountId> {
            accounts[range].iter().map(|a| a.id.clone()).collect()
        };
        log.push(BackupRecord::checked(
            ExportFormat::Age,
            day,
            ids(0..2),
            String::new(),
        ));
        log.push(BackupRecord::made(
            ExportFormat::Paper,
            5 * day,
            ids(0..3),
            String::new(),
        ));
        let status = log.status(&accounts, 11 * day);
        assert_eq!(
            status.last_verified,
            Some(LastVerified {
                kind: ExportFormat::Age,
                verified: day,
                age_days: 10,
            }),
            "an unverified sheet, however new, is not the last verified backup"
        );
        assert_eq!(status.uncovered, ids(2..3));
        assert!(status.needs_backup() && !status.is_stale());

        log.push(BackupRecord::checked(
            ExportFormat::Paper,
            2 * day,
            ids(0..3),
            String::new(),
        ));
        let status = log.status(&accounts, 2 * day + (STALE_AFTER_DAYS + 1) * day);
        assert!(status.uncovered.is_empty());
        assert!(status.is_stale() && status.needs_backup());
        assert!(!log.status(&accounts, 3 * day).needs_backup());
    }

    #[test]
    fn kinds_are_saved_by_name_and_an_unknown_one_loses_only_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.age");
        std::fs::write(
            log_path(&vault),
            r#"{"records": [
                {"kind": "google-qr", "created": 1},
                {"kind": "punch-card", "created": 2},
                {"kind": "age", "created": 3, "verified": 4}
            ], "merged_copies": [
                {"name": "a.age", "sha256": "00", "merged": 5},
                {"name": "b.age", "digest": {"blake3": "01"}}
            ]}"#,
        )
        .unwrap();
        let log = BackupLog::load(&vault);
        let kinds: Vec<ExportFormat> = log.records.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [ExportFormat::GoogleQr, ExportFormat::Age]);
        // A merged copy noted in a shape this keyfob does not know loses only itself.
        let names: Vec<&str> = log.merged_copies.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a.age"]);
        let json = serde_json::to_string(&log).unwrap();
        assert!(json.contains(r#""kind":"google-qr""#), "{json}");
    }

    #[test]
    fn saved_beside_the_vault_privately() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.age");
        let mut log = BackupLog::load(&vault);
        assert!(log.records.is_empty());
        log.push(BackupRecord {
            kind: ExportFormat::Age,
            created: 5,
            verified: Some(6),
            accounts: vec![],
            fingerprint: "AB-CD".into(),
        });
        log.save(&vault).unwrap();
        let path = log_path(&vault);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(BackupLog::load(&vault), log);
    }
}
