//! One import run as a job a front end drives: [`Preview::read`] walks the
//! paths and reads every file (asking for passwords and reporting progress
//! through [`Callbacks`]), [`Preview::dedupe`] sorts what was read into new
//! accounts and duplicates of the vault's, and [`Preview::commit`] adds the new
//! ones. Between the two the preview is plain data, so the CLI's `--dry-run`
//! and the terminal UI's preview show the same thing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{
    Credentials, InputError, MissingBatches, Outcome, Walk, expand_paths, missing_batches,
    read_input,
};
use crate::account::Account;
use crate::import::Format;

/// What a front end is asked while files are read. Every method has a default
/// that does nothing, so a front end implements only what it can offer.
pub trait Callbacks {
    /// The paths were expanded into the files to read; `walk.passed_over` says
    /// what the directories held that is not read.
    fn walked(&mut self, _walk: &Walk) {}

    /// `path` is about to be read: `done` of `total` files are read already.
    fn progress(&mut self, _done: usize, _total: usize, _path: &Path) {}

    /// `path` is encrypted and the credentials do not open it. Returns a
    /// password to try, or `None` to give up on the file (its error is kept).
    fn password(&mut self, _request: &PasswordRequest<'_>) -> Option<Zeroizing<Vec<u8>>> {
        None
    }
}

/// Callbacks that ask nothing: passwords come only from the [`Credentials`].
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCallbacks;

impl Callbacks for NoCallbacks {}

/// Why a password is asked for.
#[derive(Debug, Clone, Copy)]
pub struct PasswordRequest<'a> {
    /// The encrypted file.
    pub path: &'a Path,
    /// True when the password tried last was wrong (rather than missing).
    pub wrong: bool,
    /// How many passwords were asked for this file before.
    pub attempt: usize,
}

/// Reads one file as [`read_input`] does; while it needs a password or the one
/// tried is wrong, asks `callbacks` for another and keeps it in `credentials`
/// for the next files.
pub fn read_with_password(
    path: &Path,
    from: Option<Format>,
    credentials: &mut Credentials,
    now: i64,
    callbacks: &mut dyn Callbacks,
) -> Result<Outcome, InputError> {
    let mut attempt = 0;
    loop {
        let result = read_input(path, from, credentials, now);
        let Err(error) = &result else {
            return result;
        };
        if !error.needs_password() && !error.is_wrong_password() {
            return result;
        }
        let request = PasswordRequest {
            path,
            wrong: error.is_wrong_password(),
            attempt,
        };
        let Some(password) = callbacks.password(&request) else {
            return result;
        };
        credentials.password = Some(password);
        attempt += 1;
    }
}

/// What one file gave.
#[derive(Debug)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// What was read, or why nothing was. Once [`Preview::dedupe`] ran, the
    /// outcome's accounts are moved to [`FileReport::added`].
    pub result: Result<Outcome, InputError>,
    /// Accounts the vault does not have yet (and no earlier file gave).
    pub added: Vec<Account>,
    /// How many accounts the vault (or an earlier file) has already.
    pub duplicates: usize,
}

/// Everything an import would do, file by file.
#[derive(Debug, Default)]
pub struct Preview {
    /// The files read, in order.
    pub files: Vec<FileReport>,
}

impl Preview {
    /// Walks `paths` ([`expand_paths`]) and reads every file, `from` forcing a
    /// format. Fails only when a directory cannot be walked; a file that cannot
    /// be read is reported in its [`FileReport`].
    pub fn read(
        paths: &[PathBuf],
        from: Option<Format>,
        credentials: &mut Credentials,
        now: i64,
        callbacks: &mut dyn Callbacks,
    ) -> Result<Self, InputError> {
        let walk = expand_paths(paths)?;
        callbacks.walked(&walk);
        let total = walk.files.len();
        let mut files = Vec::with_capacity(total);
        for (done, path) in walk.files.into_iter().enumerate() {
            callbacks.progress(done, total, &path);
            let result = read_with_password(&path, from, credentials, now, callbacks);
            files.push(FileReport {
                path,
                result,
                added: Vec::new(),
                duplicates: 0,
            });
        }
        Ok(Preview { files })
    }

    /// True when some file holds accounts not yet sorted by [`Preview::dedupe`]:
    /// only then is the vault needed.
    pub fn has_accounts(&self) -> bool {
        self.files
            .iter()
            .any(|f| f.result.as_ref().is_ok_and(|o| !o.accounts.is_empty()))
    }

    /// Sorts the accounts read into new ones and duplicates of `existing` (or
    /// of an earlier file's). Accounts are found by their [`Account::token_hash`]
    /// first, so a large import into a large vault compares only the few that may
    /// be the same token, not every pair.
    pub fn dedupe(&mut self, existing: &[Account]) {
        // token hash → where accounts with it are: `existing` (None) or a file's `added`.
        let mut seen: HashMap<u64, Vec<(Option<usize>, usize)>> = HashMap::new();
        for (i, account) in existing.iter().enumerate() {
            seen.entry(account.token_hash())
                .or_default()
                .push((None, i));
        }
        for index in 0..self.files.len() {
            let (before, rest) = self.files.split_at_mut(index);
            let Some(file) = rest.first_mut() else {
                break;
            };
            let Ok(outcome) = &mut file.result else {
                continue;
            };
            for account in std::mem::take(&mut outcome.accounts) {
                let hash = account.token_hash();
                let candidates = seen.get(&hash).map_or(&[][..], Vec::as_slice);
                let duplicate = candidates.iter().any(|&(place, i)| {
                    let other = match place {
                        None => existing.get(i),
                        Some(f) if f == index => file.added.get(i),
                        Some(f) => before.get(f).and_then(|b| b.added.get(i)),
                    };
                    other.is_some_and(|a| a.same_token(&account))
                });
                if duplicate {
                    file.duplicates += 1;
                } else {
                    seen.entry(hash)
                        .or_default()
                        .push((Some(index), file.added.len()));
                    file.added.push(account);
                }
            }
        }
    }

    /// The accounts to add, in file order.
    pub fn to_add(&self) -> impl Iterator<Item = &Account> {
        self.files.iter().flat_map(|f| &f.added)
    }

    /// How many accounts would be added.
    pub fn added(&self) -> usize {
        self.files.iter().map(|f| f.added.len()).sum()
    }

    /// How many duplicates are left out.
    pub fn duplicates(&self) -> usize {
        self.files.iter().map(|f| f.duplicates).sum()
    }

    /// How many files could not be read.
    pub fn failed(&self) -> usize {
        self.files.iter().filter(|f| f.result.is_err()).count()
    }

    /// The files that failed because they are encrypted and no password (or a
    /// wrong one) was given: a front end can ask and read them again.
    pub fn needing_password(&self) -> impl Iterator<Item = &FileReport> {
        self.files.iter().filter(|f| {
            f.result
                .as_ref()
                .err()
                .is_some_and(|e| e.needs_password() || e.is_wrong_password())
        })
    }

    /// The files that an age identity could open (keyfob backups encrypted to
    /// recipients, given none or one that does not open them).
    pub fn needing_identity(&self) -> impl Iterator<Item = &FileReport> {
        self.files
            .iter()
            .filter(|f| f.result.as_ref().err().is_some_and(|e| e.needs_identity()))
    }

    /// The QR codes of multi-part Google exports that were not read.
    pub fn missing_batches(&self) -> Vec<MissingBatches> {
        let batches: Vec<_> = self
            .files
            .iter()
            .filter_map(|f| f.result.as_ref().ok())
            .flat_map(|o| o.google_batches.iter().copied())
            .collect();
        missing_batches(&batches)
    }

    /// Appends the new accounts to `accounts`: the ones [`Preview::dedupe`]
    /// sorted against (the vault's, or a front end's copy of them). Returns
    /// how many were added.
    pub fn commit(&self, accounts: &mut Vec<Account>) -> usize {
        let before = accounts.len();
        accounts.extend(self.to_add().cloned());
        accounts.len() - before
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path)
    }

    /// Records what it is told and answers password requests from a list.
    #[derive(Default)]
    struct Recorder {
        walked: usize,
        progress: Vec<(usize, usize)>,
        requests: Vec<(bool, usize)>,
        answers: Vec<&'static [u8]>,
    }

    impl Callbacks for Recorder {
        fn walked(&mut self, walk: &Walk) {
            self.walked = walk.files.len();
        }

        fn progress(&mut self, done: usize, total: usize, _path: &Path) {
            self.progress.push((done, total));
        }

        fn password(&mut self, request: &PasswordRequest<'_>) -> Option<Zeroizing<Vec<u8>>> {
            self.requests.push((request.wrong, request.attempt));
            let answer = self.answers.pop()?;
            Some(Zeroizing::new(answer.to_vec()))
        }
    }

    #[test]
    fn a_preview_sorts_new_accounts_from_duplicates_and_commits_the_new() {
        let plain = fixture("aegis/plain.json");
        let mut recorder = Recorder::default();
        let mut credentials = Credentials::default();
        let paths = [plain.clone(), plain.clone(), fixture("missing.png")];
        let mut preview = Preview::read(&paths, None, &mut credentials, 0, &mut recorder).unwrap();
        assert_eq!(recorder.walked, 3);
        assert_eq!(recorder.progress, [(0, 3), (1, 3), (2, 3)]);
        assert!(preview.has_accounts());

        let mut vault: Vec<Account> = Vec::new();
        preview.dedupe(&vault);
        assert_eq!(preview.added(), 4);
        assert_eq!(preview.files[0].added.len(), 4);
        assert_eq!(
            (preview.files[1].added.len(), preview.files[1].duplicates),
            (0, 4),
            "the second copy only repeats the first"
        );
        assert_eq!((preview.duplicates(), preview.failed()), (4, 1));
        assert!(
            !preview.has_accounts(),
            "sorted accounts are not read again"
        );
        assert_eq!(preview.commit(&mut vault), 4);
        let labels: Vec<String> = vault.iter().map(Account::label).collect();
        let expected: Vec<String> = preview.to_add().map(Account::label).collect();
        assert_eq!(labels, expected);

        // Against a vault holding them, everything is a duplicate.
        let mut again =
            Preview::read(&paths[..1], None, &mut credentials, 0, &mut NoCallbacks).unwrap();
        again.dedupe(&vault);
        assert_eq!((again.added(), again.duplicates()), (0, 4));
    }

    #[test]
    fn an_encrypted_source_asks_until_the_password_opens_it() {
        let encrypted = fixture("aegis/encrypted.json");
        let mut credentials = Credentials::default();
        let paths = [encrypted];
        let preview = Preview::read(&paths, None, &mut credentials, 0, &mut NoCallbacks).unwrap();
        assert_eq!(preview.needing_password().count(), 1);
        assert_eq!(preview.failed(), 1);

        let mut recorder = Recorder {
            answers: vec![b"test-password", b"not it"],
            ..Recorder::default()
        };
        let mut preview = Preview::read(&paths, None, &mut credentials, 0, &mut recorder).unwrap();
        assert_eq!(recorder.requests, [(false, 0), (true, 1)]);
        assert_eq!(preview.needing_password().count(), 0);
        preview.dedupe(&[]);
        assert_eq!(preview.added(), 4);
        assert!(credentials.password.is_some(), "kept for the next files");
    }
}
