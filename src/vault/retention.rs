//! The retention rule: which earlier versions of the vault a save keeps, and for how long.
//!
//! Backups exist to get back what a save threw away. So a save keeps the version
//! it replaces only when it throws something away: an account removed, or an
//! account's content changed. Saves that lose nothing (a HOTP code, a pin, a new
//! order, accounts added) replace the vault without touching any backup, however
//! many of them follow. The versions kept are, beside the vault `NAME`:
//!
//! - `NAME.1` … `NAME.5`: the versions before the last five saves that lost something;
//! - `NAME.daily-YYYY-MM-DD`: the version before the first such save of that day (UTC),
//!   for the last [`DAILY`] days;
//! - `NAME.weekly-YYYY-Www`: the version before the first such save of that ISO week,
//!   for this week and the five before it ([`WEEKLY`] in all).
//!
//! So at most [`MAX_BACKUP_FILES`] backup files exist, and an account that was in
//! the vault at the start of the week of its removal stays in `NAME.weekly-…` for at
//! least 35 days. Every backup is a complete vault under the vault's key.
//!
//! Everything here is a pure function of names, documents and a time passed in, so
//! the rule is tested with a simulated clock; [`super::store`] does the file work.

use std::collections::HashMap;

use super::Document;
use crate::account::{Account, AccountId, Kind};

/// How many versions `NAME.1` … are kept (the last saves that lost something).
pub const RECENT: usize = 5;
/// How many daily versions are kept (one per UTC day, for the last seven days).
pub const DAILY: usize = 7;
/// How many weekly versions are kept (one per ISO week: this week and the five before).
pub const WEEKLY: usize = 6;
/// Most backup files beside one vault with the default settings.
pub const MAX_BACKUP_FILES: usize = RECENT + DAILY + WEEKLY;

const DAY: i64 = 86_400;

/// What a save does to the version on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing is lost: every account on disk is still there with the same content;
    /// only HOTP counters, pins, the order or modification times changed, or accounts
    /// were added. No backup is rotated.
    Lossless,
    /// An account is removed or its content changed: the version on disk is kept.
    Lossy,
}

/// Compares the document on disk (`None`: there is no file yet) with the one
/// about to be saved.
pub fn classify(on_disk: Option<&Document>, new: &Document) -> Change {
    let Some(old) = on_disk else {
        return Change::Lossless;
    };
    if old.format != new.format || old.version != new.version || old.meta != new.meta {
        return Change::Lossy;
    }
    let by_id: HashMap<&AccountId, &Account> = new.accounts.iter().map(|a| (&a.id, a)).collect();
    let all_kept = old.accounts.iter().all(|before| {
        by_id
            .get(&before.id)
            .is_some_and(|after| content(before) == content(after))
    });
    if all_kept {
        Change::Lossless
    } else {
        Change::Lossy
    }
}

/// An account without what a lossless save may change: the HOTP counter, the pin,
/// the position, the modification and change times. Every other field, including
/// ones added later, counts.
fn content(account: &Account) -> Account {
    let mut content = account.clone();
    content.favorite = false;
    content.modified = 0;
    content.position = 0;
    content.changed = crate::account::Changed::default();
    if let Kind::Hotp { .. } = content.kind {
        content.kind = Kind::Hotp { counter: 0 };
    }
    content
}

/// A time-bucketed set of backups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// One version per UTC day: `NAME.daily-YYYY-MM-DD`.
    Daily,
    /// One version per ISO week: `NAME.weekly-YYYY-Www`.
    Weekly,
}

impl Tier {
    /// Every tier.
    pub const ALL: [Tier; 2] = [Tier::Daily, Tier::Weekly];

    /// What follows `NAME.` in the tier's file names, before the bucket.
    pub fn prefix(self) -> &'static str {
        match self {
            Tier::Daily => "daily-",
            Tier::Weekly => "weekly-",
        }
    }

    /// How many buckets are kept, the current one included.
    pub fn window(self) -> usize {
        match self {
            Tier::Daily => DAILY,
            Tier::Weekly => WEEKLY,
        }
    }

    fn span(self) -> i64 {
        match self {
            Tier::Daily => DAY,
            Tier::Weekly => 7 * DAY,
        }
    }

    /// The bucket of unix time `now`: `2026-12-03` or `2026-W49`; `None` for a time
    /// outside the years 1970 to 9999.
    pub fn bucket(self, now: i64) -> Option<String> {
        let date = time::OffsetDateTime::from_unix_timestamp(now).ok()?.date();
        match self {
            Tier::Daily => {
                let year = date.year();
                (1970..=9999)
                    .contains(&year)
                    .then(|| format!("{year:04}-{:02}-{:02}", u8::from(date.month()), date.day()))
            }
            Tier::Weekly => {
                let (year, week, _) = date.to_iso_week_date();
                (1970..=9999)
                    .contains(&year)
                    .then(|| format!("{year:04}-W{week:02}"))
            }
        }
    }

    /// The oldest bucket kept at `now`.
    fn oldest_kept(self, now: i64) -> Option<String> {
        let back = i64::try_from(self.window().saturating_sub(1)).unwrap_or(0) * self.span();
        self.bucket(now.saturating_sub(back))
    }

    /// Whether `text` has the shape of a bucket of this tier (written by [`bucket`](Self::bucket)).
    /// Buckets of one tier sort as text in time order.
    pub fn is_bucket(self, text: &str) -> bool {
        let shape: &[u8] = match self {
            Tier::Daily => b"dddd-dd-dd",
            Tier::Weekly => b"dddd-Wdd",
        };
        text.len() == shape.len()
            && text.bytes().zip(shape).all(|(c, &s)| match s {
                b'd' => c.is_ascii_digit(),
                _ => c == s,
            })
    }

    /// The file name of this tier's backup for `bucket`, beside vault file `vault_name`.
    pub fn file_name(self, vault_name: &str, bucket: &str) -> String {
        format!("{vault_name}.{}{bucket}", self.prefix())
    }

    /// The bucket of `file_name` if it is one of this tier's backups of `vault_name`.
    fn bucket_of<'a>(self, vault_name: &str, file_name: &'a str) -> Option<&'a str> {
        file_name
            .strip_prefix(vault_name)?
            .strip_prefix('.')?
            .strip_prefix(self.prefix())
            .filter(|bucket| self.is_bucket(bucket))
    }
}

/// Whether `file_name` is one of keyfob's backups of the vault file `vault_name`:
/// `NAME.<number>`, `NAME.daily-YYYY-MM-DD` or `NAME.weekly-YYYY-Www`.
pub fn is_backup_name(vault_name: &str, file_name: &str) -> bool {
    let numbered = file_name
        .strip_prefix(vault_name)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|n| !n.is_empty() && n.len() <= 4 && n.bytes().all(|c| c.is_ascii_digit()));
    numbered
        || Tier::ALL
            .iter()
            .any(|tier| tier.bucket_of(vault_name, file_name).is_some())
}

/// What a save does to the tier files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierPlan {
    /// Names to create as copies of the version being replaced.
    pub capture: Vec<String>,
    /// Names to delete (outside their tier's window).
    pub remove: Vec<String>,
}

/// Plans the tier files for a save at `now` of the vault file `vault_name`, given
/// the names of the files in its directory. A lossy save captures the version it
/// replaces in the current day's and week's bucket unless that bucket already has
/// one (the first lossy save of a day or week wins); every save removes the tier
/// files outside their window. Each tier keeps at most [`Tier::window`] files, even
/// when the clock went backwards.
pub fn plan_tiers(vault_name: &str, existing: &[String], change: Change, now: i64) -> TierPlan {
    let mut plan = TierPlan::default();
    for tier in Tier::ALL {
        let Some(oldest) = tier.oldest_kept(now) else {
            continue;
        };
        let mut buckets: Vec<(&str, bool)> = existing
            .iter()
            .filter_map(|name| tier.bucket_of(vault_name, name))
            .map(|bucket| (bucket, true))
            .collect();
        let current = tier.bucket(now);
        if change == Change::Lossy
            && let Some(current) = current.as_deref()
            && !buckets.iter().any(|(b, _)| *b == current)
        {
            buckets.push((current, false));
        }
        // Newest first; keep those inside the window, at most `window` of them.
        buckets.sort_unstable_by(|a, b| b.0.cmp(a.0));
        for (rank, (bucket, exists)) in buckets.into_iter().enumerate() {
            let keep = rank < tier.window() && bucket >= oldest.as_str();
            match (keep, exists) {
                (true, false) => plan.capture.push(tier.file_name(vault_name, bucket)),
                (false, true) => plan.remove.push(tier.file_name(vault_name, bucket)),
                _ => {}
            }
        }
    }
    plan
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::account::Algorithm;
    use crate::secret::Secret;

    /// 2026-12-03 12:00 UTC, a Thursday in ISO week 49.
    const NOW: i64 = 1_796_299_200;

    fn account(issuer: &str, kind: Kind) -> Account {
        Account::new(
            issuer,
            "alice",
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
            kind,
            Algorithm::Sha1,
            6,
            1,
        )
        .unwrap()
    }

    fn document() -> Document {
        let mut doc = Document::new(1);
        doc.accounts.push(account("GitHub", Kind::DEFAULT_TOTP));
        doc.accounts
            .push(account("Bank", Kind::Hotp { counter: 3 }));
        doc
    }

    #[test]
    fn buckets_are_utc_days_and_iso_weeks() {
        assert_eq!(Tier::Daily.bucket(NOW).unwrap(), "2026-12-03");
        assert_eq!(Tier::Weekly.bucket(NOW).unwrap(), "2026-W49");
        // 2027-01-01 is a Friday of ISO week 53 of 2026.
        assert_eq!(Tier::Weekly.bucket(1_798_761_600).unwrap(), "2026-W53");
        assert_eq!(Tier::Daily.bucket(1_798_761_600).unwrap(), "2027-01-01");
        assert_eq!(Tier::Daily.oldest_kept(NOW).unwrap(), "2026-11-27");
        assert_eq!(Tier::Weekly.oldest_kept(NOW).unwrap(), "2026-W44");
        assert!(Tier::Daily.bucket(-1).is_none());
        assert!(Tier::Daily.is_bucket("2026-12-03"));
        assert!(!Tier::Daily.is_bucket("2026-12-3"));
        assert!(!Tier::Daily.is_bucket("2026-W49"));
        assert!(Tier::Weekly.is_bucket("2026-W49"));
        assert!(!Tier::Weekly.is_bucket("2026-w49"));
    }

    #[test]
    fn counters_pins_order_and_additions_lose_nothing() {
        let old = document();
        assert_eq!(classify(None, &old), Change::Lossless);
        assert_eq!(classify(Some(&old), &old), Change::Lossless);
        let mut new = old.clone();
        new.accounts[1].kind = Kind::Hotp { counter: 4 };
        new.accounts[0].favorite = true;
        new.accounts[0].modified = 99;
        new.accounts.swap(0, 1);
        new.accounts.push(account("New", Kind::DEFAULT_TOTP));
        assert_eq!(classify(Some(&old), &new), Change::Lossless);
    }

    #[test]
    fn removals_and_edits_lose_something() {
        let old = document();
        let mut removed = old.clone();
        removed.accounts.remove(0);
        assert_eq!(classify(Some(&old), &removed), Change::Lossy);
        let mut renamed = old.clone();
        renamed.accounts[0].name = "bob".into();
        assert_eq!(classify(Some(&old), &renamed), Change::Lossy);
        let mut rekeyed = old.clone();
        rekeyed.accounts[0].secret = Secret::from_base32("GEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(classify(Some(&old), &rekeyed), Change::Lossy);
        let mut retyped = old.clone();
        retyped.accounts[1].kind = Kind::DEFAULT_TOTP;
        assert_eq!(classify(Some(&old), &retyped), Change::Lossy);
        let mut noted = old.clone();
        noted.accounts[1].note = "recovery codes in the safe".into();
        assert_eq!(classify(Some(&old), &noted), Change::Lossy);
        // The same account under a new id is a removal plus an addition.
        let mut reissued = old.clone();
        reissued.accounts[0].id = AccountId::random();
        assert_eq!(classify(Some(&old), &reissued), Change::Lossy);
    }

    #[test]
    fn first_lossy_save_of_a_day_and_week_is_captured() {
        let existing = vec!["vault.age".to_string(), "vault.age.1".to_string()];
        let plan = plan_tiers("vault.age", &existing, Change::Lossy, NOW);
        assert_eq!(
            plan.capture,
            ["vault.age.daily-2026-12-03", "vault.age.weekly-2026-W49"]
        );
        assert!(plan.remove.is_empty());
        // A lossless save captures nothing.
        assert_eq!(
            plan_tiers("vault.age", &existing, Change::Lossless, NOW),
            TierPlan::default()
        );
        // Later the same day: the bucket is taken.
        let mut taken = existing.clone();
        taken.extend(plan.capture);
        assert_eq!(
            plan_tiers("vault.age", &taken, Change::Lossy, NOW + 3600),
            TierPlan::default()
        );
    }

    #[test]
    fn tiers_outside_their_window_are_removed_and_foreign_names_kept() {
        let existing: Vec<String> = [
            "vault.age.daily-2026-11-26", // 7 days old: out
            "vault.age.daily-2026-11-27", // 6 days old: kept
            "vault.age.weekly-2026-W43",  // out
            "vault.age.weekly-2026-W44",  // kept
            "vault.age.daily-notes",      // not keyfob's
            "other.age.daily-2026-01-01", // another vault's
            "vault.age.daily-2026-01-01.txt",
        ]
        .map(String::from)
        .to_vec();
        let plan = plan_tiers("vault.age", &existing, Change::Lossless, NOW);
        assert!(plan.capture.is_empty());
        assert_eq!(
            plan.remove,
            ["vault.age.daily-2026-11-26", "vault.age.weekly-2026-W43"]
        );
    }

    #[test]
    fn a_clock_gone_backwards_never_grows_a_tier_past_its_window() {
        // Ten daily files "from the future".
        let existing: Vec<String> = (10..20)
            .map(|d| format!("vault.age.daily-2027-01-{d}"))
            .collect();
        let plan = plan_tiers("vault.age", &existing, Change::Lossy, NOW);
        assert_eq!(
            plan.remove,
            [
                "vault.age.daily-2027-01-12",
                "vault.age.daily-2027-01-11",
                "vault.age.daily-2027-01-10"
            ]
        );
        assert_eq!(plan.capture, ["vault.age.weekly-2026-W49"]);
    }

    #[test]
    fn backup_names() {
        for name in [
            "vault.age.1",
            "vault.age.5",
            "vault.age.12",
            "vault.age.daily-2026-12-03",
            "vault.age.weekly-2026-W49",
        ] {
            assert!(is_backup_name("vault.age", name), "{name}");
        }
        for name in [
            "vault.age",
            "vault.age.",
            "vault.age.lock",
            "vault.age.backups.json",
            "vault.age.1x",
            "vault.age.daily-",
            "vault.agex.1",
            ".vault.age.tmp-1-abc",
            "other.age.1",
        ] {
            assert!(!is_backup_name("vault.age", name), "{name}");
        }
    }
}
