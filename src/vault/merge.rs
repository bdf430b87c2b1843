//! Merging copies of one vault: the laptop's, the USB stick's, a sync tool's conflict file.
//!
//! Every account carries, per [`Field`], the time it last changed ([`Account::changed`]);
//! a removed account leaves a [`Tombstone`] (its id and the time, no secret). Merging two
//! documents then needs no common ancestor:
//!
//! - per account (by id) and per field, the later change wins; equal times are broken by
//!   the values themselves, so the result does not depend on which copy is merged into which;
//! - a HOTP counter takes the larger value, whatever the times;
//! - an account whose last change is not later than a tombstone of its id is gone; one
//!   changed after the deletion stays (merged into the copy that deleted it, it is
//!   reported as restored); tombstones are kept either way, until pruned after a year;
//! - two different secrets for one account are both kept when neither replaced the other
//!   (each account remembers the secrets it replaced, as fingerprint and time set,
//!   [`Account::superseded`]):
//!   the later one keeps the id, the other becomes an account of its own, a *conflict
//!   copy*, with an id derived from both and [`Account::conflict_of`] naming the first.
//!   The copy holds the losing secret (with its kind, algorithm, digits and change time)
//!   and nothing else of the losing version: its other fields follow the account (the
//!   same values, the tag `conflict` added, the HOTP counter never lowered) until they
//!   are changed on the copy itself, a change time of 0 marking a followed field. So a
//!   copy is the same whichever versions met first. The report lists a conflict unless
//!   either copy already had that account; a conflict copy goes with its account when
//!   that is deleted after the copy's own last change, unless the deletion was made
//!   beside the copy (removing the account and keeping the copy settles the conflict:
//!   the copy is then an account like any other, in every copy it meets), and one
//!   whose account holds its secret again is dropped;
//! - the display order is a per-account [`Account::position`] with its own change time.
//!
//! # Which groupings agree
//!
//! The merge is commutative and idempotent, and over three copies the grouping does not
//! matter, with one exception that no merge keeping nothing of a deleted account can
//! avoid. Copy C changes an account; copy B, with or without having seen that, removes
//! it later; copy A, which never saw C's change, changes the account after the removal,
//! so it comes back. Merged as (B ⊔ C) ⊔ A, C's version meets the removal first and is
//! gone: the tombstone holds the id and the time, so B ⊔ C is the same whatever C's
//! change was, and the account comes back as A had it. Merged as (A ⊔ C) ⊔ B, A and C
//! meet first, knowing nothing of the removal, and C's later change must win; the
//! account then comes back with it. A field could be blanked when it was last changed
//! before the removal, but not the secret: when C's change was a new secret, one
//! grouping can only hold A's secret and the other only C's. So in exactly that case
//! (some version erased by the removal holds a change the versions that bring the
//! account back lack) the groupings may differ in that account's fields last changed
//! before the removal, in its HOTP counter and in the conflict copies made from it;
//! everywhere else they are equal (`tests/merge_props.rs`, and the unit test
//! `what_a_deletion_erased_cannot_come_back_so_that_one_grouping_may_differ`).
//!
//! [`record_changes`] is the other half: it stamps what changed between two versions of a
//! document, so that no caller has to remember to. [`crate::vault::Vault`] calls both: the
//! stamping on every save, the merge from `keyfob merge` and when a save finds the file
//! changed on disk.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Document;
use crate::account::{Account, AccountId, Changed, Field};
use crate::secret::Secret;

/// How long a tombstone is kept (a year and a day): a copy older than that can bring a
/// deleted account back.
pub const TOMBSTONE_KEEP: i64 = 366 * 86_400;

/// The tag given to the second account a secret conflict keeps.
pub const CONFLICT_TAG: &str = "conflict";

/// Spacing of fresh [`Account::position`]s, so that a moved account fits between two others.
const GAP: i64 = 1 << 20;

/// What is left of a removed account: enough to keep an older copy from bringing it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The removed account's id.
    pub id: AccountId,
    /// When it was removed (unix seconds).
    pub deleted: i64,
}

/// One account in a [`MergeReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The account's id.
    pub id: AccountId,
    /// Its label ([`Account::label`], escaped).
    pub label: String,
    /// For updates: the fields that changed.
    pub fields: Vec<Field>,
}

/// Two copies changed one account's secret differently: both secrets are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The account's label.
    pub label: String,
    /// The account that keeps the id (and the later secret).
    pub kept: AccountId,
    /// The account made for the other secret (tagged [`CONFLICT_TAG`]).
    pub copy: AccountId,
}

/// What a [`merge`] did to the document merged into.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Accounts the other copy had and this one did not.
    pub added: Vec<Entry>,
    /// Accounts whose fields changed, with the fields.
    pub updated: Vec<Entry>,
    /// Accounts the other copy deleted after their last change here.
    pub deleted: Vec<Entry>,
    /// Accounts this copy had deleted that the other changed later: they come back.
    pub restored: Vec<Entry>,
    /// Accounts whose secret both copies changed: both kept.
    pub conflicts: Vec<Conflict>,
    /// Whether the document changed at all (also true when only change times or
    /// tombstones were learnt). When false, it is exactly as it was.
    pub changed: bool,
}

impl MergeReport {
    /// True when no account was added, updated, deleted, restored or conflicted.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.updated.is_empty()
            && self.deleted.is_empty()
            && self.restored.is_empty()
            && self.conflicts.is_empty()
    }

    /// How many accounts each outcome touched: "2 added, 1 updated, 0 deleted,
    /// 0 restored, 0 in conflict".
    pub fn counts(&self) -> String {
        format!(
            "{} added, {} updated, {} deleted, {} restored, {} in conflict",
            self.added.len(),
            self.updated.len(),
            self.deleted.len(),
            self.restored.len(),
            self.conflicts.len(),
        )
    }

    /// A line per account touched, saying what happened to it: the words
    /// `keyfob merge` prints and the terminal UI shows.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        lines.extend(self.added.iter().map(|e| format!("added: {}", e.label)));
        lines.extend(self.updated.iter().map(|e| {
            let fields: Vec<&str> = e.fields.iter().map(|f| field_name(*f)).collect();
            format!("updated: {} ({})", e.label, fields.join(", "))
        }));
        lines.extend(self.deleted.iter().map(|e| format!("deleted: {}", e.label)));
        lines.extend(self.restored.iter().map(|e| {
            format!(
                "restored: {} (changed in the other copy after it was deleted here)",
                e.label
            )
        }));
        lines.extend(self.conflicts.iter().map(|c| {
            format!(
                "conflict: {}: both copies changed its secret; both are kept, the other one as account '{}' tagged '{CONFLICT_TAG}' (check which works, then remove the other)",
                c.label, c.copy
            )
        }));
        lines
    }

    /// Appends another report (for several sources merged one after the other).
    pub fn extend(&mut self, other: MergeReport) {
        self.added.extend(other.added);
        self.updated.extend(other.updated);
        self.deleted.extend(other.deleted);
        self.restored.extend(other.restored);
        self.conflicts.extend(other.conflicts);
        self.changed |= other.changed;
    }
}

/// How a report names a field.
fn field_name(field: Field) -> &'static str {
    match field {
        Field::Token => "secret or code settings",
        Field::Counter => "HOTP counter",
        Field::Favorite => "pin",
        Field::Position => "order",
        other => other.name(),
    }
}

/// A short, one-way fingerprint of a secret (32 hex digits of SHA-256 over a
/// domain prefix and the secret's bytes), kept in [`Account::superseded`].
pub fn fingerprint(secret: &Secret) -> String {
    let mut hash = Sha256::new();
    hash.update(b"keyfob secret fingerprint\0");
    hash.update(secret.expose());
    let digest = hash.finalize();
    data_encoding::HEXLOWER.encode(digest.get(..16).unwrap_or_default())
}

/// What [`Account::superseded`] records of a secret an account replaced: its
/// [`fingerprint`] and the time it was set (`FINGERPRINT:TIME`), so that the same
/// secret set again elsewhere later is not taken for the one replaced.
pub fn secret_event(account: &Account) -> String {
    format!("{}:{}", fingerprint(&account.secret), account.changed.token)
}

/// The id of the account a secret conflict makes for the secret that lost: derived
/// from the id and that secret, so every merge of the same copies makes the same one.
fn conflict_id(id: &AccountId, loser: &str) -> AccountId {
    let mut hash = Sha256::new();
    hash.update(b"keyfob conflict copy\0");
    hash.update(id.as_str().as_bytes());
    hash.update(b"\0");
    hash.update(loser.as_bytes());
    let digest = hash.finalize();
    AccountId::from_string(data_encoding::HEXLOWER.encode(digest.get(..16).unwrap_or_default()))
}

/// A change time after `previous` and not before `now`: a clock behind another
/// machine's still makes the newer change win.
fn after(previous: i64, now: i64) -> i64 {
    now.max(previous.saturating_add(1))
}

/// Stamps what changed in `doc` since `before` at time `now`: every field that differs
/// gets `now` (or one second after its previous time, if that is later), unchanged fields
/// keep their times, new accounts are stamped whole, a removed account leaves a
/// [`Tombstone`], a replaced secret's fingerprint goes into [`Account::superseded`], and
/// positions follow the order of `doc.accounts` (only the accounts that moved get new
/// ones). With `before` = `None` every account is new. Tombstones end sorted by id.
/// Last, conflict copies take what they follow from their accounts (see the module
/// documentation), so that merging the result with itself changes nothing.
pub fn record_changes(doc: &mut Document, before: Option<&Document>, now: i64) {
    let old: HashMap<&AccountId, &Account> = before
        .map(|b| b.accounts.iter().map(|a| (&a.id, a)).collect())
        .unwrap_or_default();
    for account in &mut doc.accounts {
        let Some(previous) = old.get(&account.id) else {
            account.changed = Changed::all(now);
            account.superseded.clear();
            continue;
        };
        let mut any = false;
        for field in Field::ALL {
            if field == Field::Position {
                continue;
            }
            let time = previous.changed.get(field);
            if field.same(account, previous) {
                account.changed.set(field, time);
            } else {
                account.changed.set(field, after(time, now));
                any = true;
            }
        }
        account.superseded.clone_from(&previous.superseded);
        if account.secret != previous.secret {
            insert_sorted(&mut account.superseded, secret_event(previous));
        }
        if any {
            account.modified = account.modified.max(now);
        }
    }
    assign_positions(doc, &old, now);
    let present: BTreeSet<&AccountId> = doc.accounts.iter().map(|a| &a.id).collect();
    // An id added again (from a backup, say) drops its tombstone: the new account
    // was stamped whole at `now`, after the deletion.
    let mut tombs: BTreeMap<AccountId, i64> = doc
        .tombstones
        .drain(..)
        .filter(|t| old.contains_key(&t.id) || !present.contains(&t.id))
        .map(|t| (t.id, t.deleted))
        .collect();
    for (id, previous) in &old {
        if !present.contains(id) {
            let deleted = after(previous.changed.latest(), now);
            let slot = tombs.entry((*id).clone()).or_insert(deleted);
            *slot = (*slot).max(deleted);
        }
    }
    // Removing an account while keeping a conflict copy of it settles the conflict:
    // the copy becomes an account like any other (it no longer goes with the one
    // removed, nor follows it).
    let removed: BTreeSet<AccountId> = old
        .keys()
        .filter(|id| !present.contains(*id))
        .map(|id| (*id).clone())
        .collect();
    for account in &mut doc.accounts {
        if account
            .conflict_of
            .as_ref()
            .is_some_and(|of| removed.contains(of))
        {
            account.conflict_of = None;
        }
    }
    doc.tombstones = tombs
        .into_iter()
        .map(|(id, deleted)| Tombstone { id, deleted })
        .collect();
    if follow_accounts(&mut doc.accounts) {
        doc.accounts
            .sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.id.cmp(&b.id)));
    }
}

/// Removes tombstones older than [`TOMBSTONE_KEEP`] at time `now`.
pub fn prune_tombstones(doc: &mut Document, now: i64) {
    doc.tombstones
        .retain(|t| t.deleted >= now.saturating_sub(TOMBSTONE_KEEP));
}

fn insert_sorted(list: &mut Vec<String>, item: String) {
    if let Err(at) = list.binary_search(&item) {
        list.insert(at, item);
    }
}

/// Gives positions that follow the order of `doc.accounts`: accounts already known
/// keep theirs where the longest run of them still in order allows it; the others
/// (moved or new) get positions between their neighbours, stamped at `now`.
fn assign_positions(doc: &mut Document, old: &HashMap<&AccountId, &Account>, now: i64) {
    // Accounts sort by position, then id: the order kept must be increasing in both.
    let known: Vec<(usize, (i64, &AccountId))> = doc
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| old.contains_key(&a.id))
        .map(|(i, a)| (i, (a.position, &a.id)))
        .collect();
    let mut keep = vec![false; doc.accounts.len()];
    let kept = longest_increasing(&known);
    for i in kept {
        if let Some(slot) = keep.get_mut(i) {
            *slot = true;
        }
    }
    let current: Vec<i64> = doc.accounts.iter().map(|a| a.position).collect();
    let positions = fill_positions(&current, &keep).unwrap_or_else(|| {
        // No room between two neighbours (or an overflow): number everything afresh.
        (1..=current.len())
            .map(|n| {
                i64::try_from(n)
                    .unwrap_or(i64::MAX / GAP)
                    .saturating_mul(GAP)
            })
            .collect()
    });
    for (account, position) in doc.accounts.iter_mut().zip(positions) {
        match old.get(&account.id) {
            Some(previous) if previous.position == position => {
                account.position = position;
                account.changed.position = previous.changed.position;
            }
            Some(previous) => {
                account.position = position;
                account.changed.position = after(previous.changed.position, now);
                account.modified = account.modified.max(now);
            }
            None => account.position = position,
        }
    }
}

/// The indices (first members of `items`) of a longest run whose second members
/// strictly increase.
fn longest_increasing<K: Ord>(items: &[(usize, K)]) -> Vec<usize> {
    // tails[k]: index into `items` of the smallest tail of an increasing run of length k+1.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = Vec::with_capacity(items.len());
    let below = |j: usize, key: &K| items.get(j).is_some_and(|item| item.1 < *key);
    for (n, (_, key)) in items.iter().enumerate() {
        let k = tails.partition_point(|&j| below(j, key));
        previous.push(k.checked_sub(1).and_then(|k| tails.get(k).copied()));
        if let Some(slot) = tails.get_mut(k) {
            *slot = n;
        } else {
            tails.push(n);
        }
    }
    let mut run = Vec::new();
    let mut at = tails.last().copied();
    while let Some(j) = at {
        if let Some((index, _)) = items.get(j) {
            run.push(*index);
        }
        at = previous.get(j).copied().flatten();
    }
    run.reverse();
    run
}

/// Positions for every account: `current` where `keep`, fresh ones between the kept
/// neighbours elsewhere. `None` when some gap is too small or a sum overflows.
fn fill_positions(current: &[i64], keep: &[bool]) -> Option<Vec<i64>> {
    let mut out: Vec<i64> = Vec::with_capacity(current.len());
    let mut i = 0;
    while i < current.len() {
        if keep.get(i).copied().unwrap_or(false) {
            out.push(*current.get(i)?);
            i += 1;
            continue;
        }
        let start = i;
        while i < current.len() && !keep.get(i).copied().unwrap_or(false) {
            i += 1;
        }
        let count = i64::try_from(i - start).ok()?;
        let lo = out.last().copied();
        let hi = current.get(i).copied();
        for n in 1..=count {
            let position = match (lo, hi) {
                (None, None) => n.checked_mul(GAP)?,
                (Some(lo), None) => lo.checked_add(n.checked_mul(GAP)?)?,
                (None, Some(hi)) => hi.checked_sub((count - n + 1).checked_mul(GAP)?)?,
                (Some(lo), Some(hi)) => {
                    let room = i128::from(hi) - i128::from(lo);
                    if room <= i128::from(count) {
                        return None;
                    }
                    let step = room * i128::from(n) / (i128::from(count) + 1);
                    i64::try_from(i128::from(lo) + step).ok()?
                }
            };
            out.push(position);
        }
    }
    Some(out)
}

/// Merges `other` into `doc` (see the module documentation) and says what changed in
/// `doc`. `other` is not changed. Merging a copy that holds nothing new leaves `doc`
/// exactly as it was (`changed` is false).
pub fn merge(doc: &mut Document, other: &Document) -> MergeReport {
    let mut report = MergeReport::default();
    let mut tombs: BTreeMap<AccountId, i64> = BTreeMap::new();
    for t in doc.tombstones.iter().chain(&other.tombstones) {
        let slot = tombs.entry(t.id.clone()).or_insert(t.deleted);
        *slot = (*slot).max(t.deleted);
    }
    let ours_dead: BTreeSet<&AccountId> = doc.tombstones.iter().map(|t| &t.id).collect();
    let mut theirs: HashMap<&AccountId, &Account> =
        other.accounts.iter().map(|a| (&a.id, a)).collect();
    let before = doc.accounts.clone();
    let ours_ids: BTreeSet<&AccountId> = before.iter().map(|a| &a.id).collect();
    let theirs_ids: BTreeSet<&AccountId> = other.accounts.iter().map(|a| &a.id).collect();
    let mut alive: BTreeMap<AccountId, Account> = BTreeMap::new();
    // (id of the account in conflict, its label, the account made for the other secret)
    let mut copies: Vec<(AccountId, String, Account)> = Vec::new();
    // Gone when deleted after its own last change (a conflict copy can also go with
    // its account, below).
    let dead = |tombs: &BTreeMap<AccountId, i64>, account: &Account| {
        tombs
            .get(&account.id)
            .is_some_and(|deleted| *deleted >= account.changed.latest())
    };

    for ours in &before {
        let version = match theirs.remove(&ours.id) {
            Some(other_version) => merge_pair(ours, other_version, &mut copies),
            None => ours.clone(),
        };
        if !dead(&tombs, &version) {
            alive.insert(version.id.clone(), version);
        }
    }
    for other_version in &other.accounts {
        if theirs.contains_key(&other_version.id) && !dead(&tombs, other_version) {
            alive.insert(other_version.id.clone(), other_version.clone());
        }
    }
    // The accounts secret conflicts made (a copy may meet one an earlier merge made).
    let mut conflicts: Vec<Conflict> = Vec::new();
    while let Some((of, label, copy)) = copies.pop() {
        if dead(&tombs, &copy) {
            continue;
        }
        // A conflict either copy already holds the account for was met before.
        let new = !ours_ids.contains(&copy.id) && !theirs_ids.contains(&copy.id);
        if new && !conflicts.iter().any(|c| c.copy == copy.id) {
            conflicts.push(Conflict {
                label,
                kept: of,
                copy: copy.id.clone(),
            });
        }
        let version = match alive.remove(&copy.id) {
            Some(existing) => merge_pair(&existing, &copy, &mut copies),
            None => copy,
        };
        alive.insert(version.id.clone(), version);
    }
    // A conflict copy goes with its account when that is gone, deleted after the
    // copy's own last change; while the account stays, so do its copies (they are
    // what is left of the secrets it had).
    loop {
        let gone: Vec<AccountId> = alive
            .values()
            .filter(|copy| {
                copy.conflict_of.as_ref().is_some_and(|of| {
                    !alive.contains_key(of)
                        && tombs
                            .get(of)
                            .is_some_and(|deleted| *deleted >= copy.changed.latest())
                })
            })
            .map(|copy| copy.id.clone())
            .collect();
        if gone.is_empty() {
            break;
        }
        for id in gone {
            alive.remove(&id);
        }
    }
    // A conflict copy holding the secret its account holds again adds nothing.
    let redundant: BTreeSet<AccountId> = alive
        .values()
        .filter(|copy| {
            copy.conflict_of
                .as_ref()
                .and_then(|of| alive.get(of))
                .is_some_and(|main| main.secret == copy.secret)
        })
        .map(|copy| copy.id.clone())
        .collect();
    for id in &redundant {
        alive.remove(id);
    }

    let mut accounts: Vec<Account> = alive.into_values().collect();
    follow_accounts(&mut accounts);
    accounts.sort_by(|a, b| a.position.cmp(&b.position).then_with(|| a.id.cmp(&b.id)));
    let index: HashMap<&AccountId, &Account> = accounts.iter().map(|a| (&a.id, a)).collect();
    for ours in &before {
        match index.get(&ours.id) {
            Some(version) => {
                let fields: Vec<Field> = Field::ALL
                    .into_iter()
                    .filter(|f| !f.same(ours, version))
                    .collect();
                if !fields.is_empty() {
                    report.updated.push(entry(version, fields));
                }
            }
            None if redundant.contains(&ours.id) => {}
            None => report.deleted.push(entry(ours, Vec::new())),
        }
    }
    for other_version in &other.accounts {
        if ours_ids.contains(&other_version.id) || !index.contains_key(&other_version.id) {
            continue;
        }
        if ours_dead.contains(&other_version.id) {
            report.restored.push(entry(other_version, Vec::new()));
        } else {
            report.added.push(entry(other_version, Vec::new()));
        }
    }
    conflicts.retain(|c| index.contains_key(&c.copy));
    report.conflicts = conflicts;
    drop(index);
    // Tombstones stay even when their account came back: a copy made from before
    // the deletion (or a conflict copy made from it) must still be covered.
    let tombstones: Vec<Tombstone> = tombs
        .into_iter()
        .map(|(id, deleted)| Tombstone { id, deleted })
        .collect();
    report.changed = accounts != before || tombstones != doc.tombstones;
    doc.accounts = accounts;
    doc.tombstones = tombstones;
    let created = match (doc.meta.created, other.meta.created) {
        (0, theirs) => theirs,
        (ours, 0) => ours,
        (ours, theirs) => ours.min(theirs),
    };
    report.changed |= created != doc.meta.created;
    doc.meta.created = created;
    report
}

/// The fields a conflict copy takes from the account it was made for for as long as
/// it has not changed them itself (change time 0): all but what makes its codes.
const FOLLOWED: [Field; 7] = [
    Field::Issuer,
    Field::Name,
    Field::Counter,
    Field::Tags,
    Field::Note,
    Field::Favorite,
    Field::Position,
];

/// The account a secret conflict makes for the secret that lost: that secret
/// (with its kind, algorithm, digits and change time) under an id derived from the
/// account's and the secret's, and nothing else of the losing version. Its other
/// fields follow the account ([`follow_accounts`]), so the copy is the same whichever
/// versions met first.
fn conflict_copy(id: &AccountId, loser: &Account, loser_fp: &str) -> Account {
    let mut copy = loser.clone();
    copy.id = conflict_id(id, loser_fp);
    copy.conflict_of = Some(id.clone());
    copy.changed = Changed {
        token: loser.changed.token,
        ..Changed::default()
    };
    copy.superseded.clear();
    copy.tags = vec![CONFLICT_TAG.to_string()];
    copy.modified = loser.changed.token;
    copy
}

/// Gives every conflict copy the fields it follows ([`FOLLOWED`]) from the account
/// it was made for, when that is in `accounts`: the same value (the tags with
/// [`CONFLICT_TAG`] added; the HOTP counter never lowered). Copies of copies follow
/// in turn. Called at the end of every merge and every stamping, so a document is
/// always as it would be after one more.
fn follow_accounts(accounts: &mut [Account]) -> bool {
    let mut any = false;
    // A chain of copies is as long as the secrets that met; a cycle cannot be made,
    // but must not loop either.
    for _ in 0..accounts.len().min(16) {
        let index: HashMap<&AccountId, &Account> = accounts.iter().map(|a| (&a.id, a)).collect();
        let updates: Vec<(usize, Account)> = accounts
            .iter()
            .enumerate()
            .filter_map(|(i, copy)| {
                let main = index.get(copy.conflict_of.as_ref()?)?;
                let followed = following(copy, main);
                (followed != *copy).then_some((i, followed))
            })
            .collect();
        if updates.is_empty() {
            break;
        }
        any = true;
        for (i, followed) in updates {
            if let Some(slot) = accounts.get_mut(i) {
                *slot = followed;
            }
        }
    }
    any
}

/// `copy` with the fields it follows taken from `main`.
fn following(copy: &Account, main: &Account) -> Account {
    let mut out = copy.clone();
    for field in FOLLOWED {
        if copy.changed.get(field) != 0 {
            continue;
        }
        match field {
            Field::Counter => {
                if let (Some(own), Some(theirs)) = (copy.kind.counter(), main.kind.counter())
                    && theirs > own
                {
                    field.copy(&mut out, main);
                }
            }
            Field::Tags => {
                out.tags.clone_from(&main.tags);
                if !out.tags.iter().any(|t| t == CONFLICT_TAG) {
                    out.tags.push(CONFLICT_TAG.to_string());
                }
            }
            _ => field.copy(&mut out, main),
        }
    }
    out
}

fn entry(account: &Account, fields: Vec<Field>) -> Entry {
    Entry {
        id: account.id.clone(),
        label: account.label(),
        fields,
    }
}

/// Which of two different values of `field` wins when their change times are equal:
/// true when `b`'s. Decided by the values alone, so it does not matter which is which.
fn tie_goes_to_b(field: Field, a: &Account, b: &Account) -> bool {
    match field {
        Field::Issuer => b.issuer > a.issuer,
        Field::Name => b.name > a.name,
        Field::Token => token_order(b) > token_order(a),
        Field::Counter => b.kind.counter() > a.kind.counter(),
        Field::Tags => b.tags > a.tags,
        Field::Note => b.note > a.note,
        Field::Favorite => b.favorite & !a.favorite,
        Field::Position => b.position > a.position,
    }
}

fn token_order(account: &Account) -> (String, &'static str, Option<u32>, &'static str, u8) {
    (
        fingerprint(&account.secret),
        account.kind.name(),
        account.kind.period(),
        account.algorithm.as_str(),
        account.digits,
    )
}

/// Merges two versions of one account. When their secrets conflict, the later one
/// (by change time, then fingerprint) keeps the id and the other is pushed onto
/// `copies` as an account of its own.
fn merge_pair(a: &Account, b: &Account, copies: &mut Vec<(AccountId, String, Account)>) -> Account {
    let mut merged = a.clone();
    let superseded: BTreeSet<String> = a.superseded.iter().chain(&b.superseded).cloned().collect();
    let mut token_from_b = None;
    if a.secret != b.secret {
        let (fa, fb) = (fingerprint(&a.secret), fingerprint(&b.secret));
        let (b_replaced_a, a_replaced_b) = (
            b.superseded.contains(&secret_event(a)),
            a.superseded.contains(&secret_event(b)),
        );
        if b_replaced_a || a_replaced_b {
            // One replaced the other; when each did (a secret set back to an earlier
            // one), the later change decides.
            let b_later = (b.changed.token, &fb) > (a.changed.token, &fa);
            token_from_b = Some(if b_replaced_a && a_replaced_b {
                b_later
            } else {
                b_replaced_a
            });
        } else {
            let b_wins = (b.changed.token, &fb) > (a.changed.token, &fa);
            let (winner, loser, loser_fp) = if b_wins { (b, a, fa) } else { (a, b, fb) };
            let copy = conflict_copy(&a.id, loser, &loser_fp);
            copies.push((a.id.clone(), winner.label(), copy));
            token_from_b = Some(b_wins);
        }
    }
    for field in Field::ALL {
        let (ta, tb) = (a.changed.get(field), b.changed.get(field));
        let take_b = match field {
            Field::Token if token_from_b.is_some() => token_from_b == Some(true),
            Field::Counter => false,
            _ => tb > ta || (tb == ta && !field.same(a, b) && tie_goes_to_b(field, a, b)),
        };
        if take_b {
            field.copy(&mut merged, b);
        }
        merged.changed.set(field, ta.max(tb));
    }
    if let (Some(x), Some(y)) = (merged.kind.counter(), b.kind.counter()) {
        let counter = x.max(y).max(a.kind.counter().unwrap_or(0));
        merged.kind = crate::account::Kind::Hotp { counter };
    }
    merged.superseded = superseded.into_iter().collect();
    merged.created = a.created.min(b.created);
    merged.modified = a.modified.max(b.modified);
    // A conflict settled in either copy is settled.
    if b.conflict_of.is_none() {
        merged.conflict_of = None;
    }
    merged
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
