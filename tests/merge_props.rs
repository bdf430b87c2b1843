//! Property tests of `vault::merge` over random histories: a common start, then
//! adds, edits (issuer, name, note, tags, pin, order, secret), removals and HOTP
//! counter bumps on two or three copies at increasing times, each change stamped the
//! way every save stamps it (`merge::record_changes`). The merge must be commutative,
//! idempotent and associative, lose no account that was not deleted later, bring back
//! no deleted account from an older copy, drop no secret that was not replaced or
//! deleted later, and never lower a HOTP counter.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use keyfob::account::{AccountId, Field};
use keyfob::vault::Document;
use keyfob::vault::merge::{self, fingerprint, record_changes};
use keyfob::{Account, Algorithm, Kind, Secret};
use proptest::prelude::*;

const SECRETS: [&str; 4] = [
    "JBSWY3DPEHPK3PXP",
    "GEZDGNBVGY3TQOJQ",
    "MFRGGZDFMZTWQ2LK",
    "KRUGKIDROVUWG2ZA",
];
const WORDS: [&str; 3] = ["alpha", "beta", "gamma"];

#[derive(Debug, Clone)]
enum Op {
    Add { hotp: bool, secret: usize },
    Issuer(usize, usize),
    Note(usize, usize),
    Tag(usize, usize),
    Pin(usize),
    Move(usize, usize),
    Secret(usize, usize),
    Bump(usize, u64),
    Remove(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<bool>(), 0..SECRETS.len()).prop_map(|(hotp, secret)| Op::Add { hotp, secret }),
        (0..8usize, 0..WORDS.len()).prop_map(|(i, w)| Op::Issuer(i, w)),
        (0..8usize, 0..WORDS.len()).prop_map(|(i, w)| Op::Note(i, w)),
        (0..8usize, 0..WORDS.len()).prop_map(|(i, w)| Op::Tag(i, w)),
        (0..8usize).prop_map(Op::Pin),
        (0..8usize, 0..8usize).prop_map(|(a, b)| Op::Move(a, b)),
        (0..8usize, 0..SECRETS.len()).prop_map(|(i, s)| Op::Secret(i, s)),
        (0..8usize, 1..4u64).prop_map(|(i, n)| Op::Bump(i, n)),
        (0..8usize).prop_map(Op::Remove),
    ]
}

/// (which copy, what) in time order; the copies start from a common document.
fn history(copies: usize) -> impl Strategy<Value = (usize, Vec<(usize, Op)>)> {
    (
        0..4usize,
        proptest::collection::vec((0..copies, op()), 0..20),
    )
}

fn new_account(n: u64, hotp: bool, secret: usize, now: i64) -> Account {
    let kind = if hotp {
        Kind::Hotp { counter: 0 }
    } else {
        Kind::DEFAULT_TOTP
    };
    let mut account = Account::new(
        &format!("Service {n}"),
        "alice",
        Secret::from_base32(SECRETS[secret]).unwrap(),
        kind,
        Algorithm::Sha1,
        6,
        now,
    )
    .unwrap();
    // Ids from a counter, so a failing case replays exactly.
    account.id = AccountId::from_string(format!("{n:032x}"));
    account
}

/// Plays a history: returns the copies after it.
fn play(copies: usize, start: usize, ops: &[(usize, Op)]) -> Vec<Document> {
    let mut ids = 0u64;
    let mut base = Document::new(1);
    for n in 0..start {
        base.accounts
            .push(new_account(ids, n % 2 == 1, n % SECRETS.len(), 1));
        ids += 1;
    }
    record_changes(&mut base, None, 1);
    let mut docs = vec![base; copies];
    for (step, (copy, op)) in ops.iter().enumerate() {
        let now = 10 + i64::try_from(step).unwrap();
        let before = docs[*copy].clone();
        let doc = &mut docs[*copy];
        let len = doc.accounts.len();
        let pick = |i: usize| (len > 0).then(|| i % len);
        match op {
            Op::Add { hotp, secret } => {
                doc.accounts.push(new_account(ids, *hotp, *secret, now));
                ids += 1;
            }
            Op::Issuer(i, w) => {
                if let Some(i) = pick(*i) {
                    doc.accounts[i].issuer = WORDS[*w].to_string();
                }
            }
            Op::Note(i, w) => {
                if let Some(i) = pick(*i) {
                    doc.accounts[i].note = WORDS[*w].to_string();
                }
            }
            Op::Tag(i, w) => {
                if let Some(i) = pick(*i) {
                    doc.accounts[i].tags = vec![WORDS[*w].to_string()];
                }
            }
            Op::Pin(i) => {
                if let Some(i) = pick(*i) {
                    doc.accounts[i].favorite = !doc.accounts[i].favorite;
                }
            }
            Op::Move(a, b) => {
                if let (Some(a), Some(b)) = (pick(*a), pick(*b)) {
                    let moved = doc.accounts.remove(a);
                    doc.accounts.insert(b, moved);
                }
            }
            Op::Secret(i, s) => {
                if let Some(i) = pick(*i) {
                    doc.accounts[i].secret = Secret::from_base32(SECRETS[*s]).unwrap();
                }
            }
            Op::Bump(i, n) => {
                if let Some(i) = pick(*i)
                    && let Kind::Hotp { counter } = doc.accounts[i].kind
                {
                    doc.accounts[i].kind = Kind::Hotp {
                        counter: counter + n,
                    };
                }
            }
            Op::Remove(i) => {
                if let Some(i) = pick(*i) {
                    doc.accounts.remove(i);
                }
            }
        }
        record_changes(doc, Some(&before), now);
    }
    docs
}

fn merged(a: &Document, b: &Document) -> Document {
    let mut out = a.clone();
    merge::merge(&mut out, b);
    out
}

/// The latest deletion of `id` in any of `copies`.
fn deleted(copies: &[Document], id: &AccountId) -> Option<i64> {
    copies
        .iter()
        .flat_map(|d| &d.tombstones)
        .filter(|t| &t.id == id)
        .map(|t| t.deleted)
        .max()
}

/// Whether some copy replaced `secret` of account `id` by another.
fn replaced(copies: &[Document], id: &AccountId, secret: &Secret) -> bool {
    let print = format!("{}:", fingerprint(secret));
    copies
        .iter()
        .flat_map(|d| &d.accounts)
        .any(|a| &a.id == id && a.superseded.iter().any(|s| s.starts_with(&print)))
}

/// The properties that relate a merge result to the copies it came from.
fn check_against_copies(copies: &[Document], result: &Document) -> Result<(), TestCaseError> {
    for copy in copies {
        for account in &copy.accounts {
            let later_deletion =
                deleted(copies, &account.id).is_some_and(|d| d >= account.changed.latest());
            if later_deletion {
                continue;
            }
            // No account lost that was not deleted later.
            let here = result.accounts.iter().find(|r| r.id == account.id);
            prop_assert!(here.is_some(), "lost {:?}", account);
            // No secret dropped that was not replaced (or deleted) later.
            prop_assert!(
                replaced(copies, &account.id, &account.secret)
                    || result.accounts.iter().any(|r| r.secret == account.secret),
                "secret of {:?} dropped",
                account
            );
            // HOTP counters never go back.
            if let (Some(r), Kind::Hotp { counter }) = (here, account.kind)
                && let Kind::Hotp { counter: merged } = r.kind
                && r.secret == account.secret
            {
                prop_assert!(merged >= counter, "counter {merged} < {counter}");
            }
        }
        // Nothing deleted comes back unless some copy changed it after the deletion.
        for tomb in &copy.tombstones {
            if result.accounts.iter().any(|r| r.id == tomb.id) {
                let changed_later = copies
                    .iter()
                    .flat_map(|d| &d.accounts)
                    .any(|a| a.id == tomb.id && a.changed.latest() > tomb.deleted);
                prop_assert!(changed_later, "{:?} came back", tomb.id);
            }
        }
    }
    Ok(())
}

/// The one case where the grouping can change the result (see `vault::merge`): an
/// account some copy deleted and another changed after the deletion (so it comes
/// back), while a third version, last changed before the deletion, holds something
/// none of the versions that bring it back has. A grouping that meets the deletion
/// first erases that version (a tombstone keeps no data); one that meets the account
/// first keeps what it had. Returns those accounts' ids.
fn erased_and_revived(copies: &[Document]) -> BTreeSet<AccountId> {
    let mut ids = BTreeSet::new();
    let versions: Vec<&Account> = copies.iter().flat_map(|d| &d.accounts).collect();
    for tomb in copies.iter().flat_map(|d| &d.tombstones) {
        let last = deleted(copies, &tomb.id).unwrap_or(i64::MIN);
        let (survivors, erased): (Vec<&Account>, Vec<&Account>) = versions
            .iter()
            .filter(|a| a.id == tomb.id)
            .partition(|a| a.changed.latest() > last);
        if !survivors.is_empty() && erased.iter().any(|e| holds_more(e, &survivors)) {
            ids.insert(tomb.id.clone());
        }
    }
    ids
}

/// Whether merging `erased` into the `survivors` would change anything: a field
/// changed later (or as late, to another value), a higher counter, a rival or later
/// secret, a replaced secret they do not know of, other created or modified times.
fn holds_more(erased: &Account, survivors: &[&Account]) -> bool {
    let fields = Field::ALL.into_iter().any(|f| {
        let latest = survivors.iter().map(|s| s.changed.get(f)).max();
        let t = erased.changed.get(f);
        latest.is_some_and(|latest| {
            t > latest
                || (t == latest
                    && survivors
                        .iter()
                        .any(|s| s.changed.get(f) == t && !f.same(erased, s)))
        })
    });
    let counter = erased.kind.counter().is_some_and(|c| {
        survivors
            .iter()
            .all(|s| s.kind.counter().is_none_or(|sc| sc < c))
    });
    let token = survivors.iter().any(|s| {
        !Field::Token.same(erased, s) && !s.superseded.contains(&merge::secret_event(erased))
    });
    let superseded = erased
        .superseded
        .iter()
        .any(|x| !survivors.iter().any(|s| s.superseded.contains(x)));
    let times = survivors.iter().all(|s| s.modified < erased.modified)
        || survivors.iter().all(|s| s.created > erased.created);
    fields || counter || token || superseded || times
}

/// `ids` and the conflict copies made from them (and from those), in `docs`.
fn families(ids: &BTreeSet<AccountId>, docs: &[&Document]) -> BTreeSet<AccountId> {
    let mut out = ids.clone();
    loop {
        let more: Vec<AccountId> = docs
            .iter()
            .flat_map(|d| &d.accounts)
            .filter(|a| !out.contains(&a.id))
            .filter(|a| a.conflict_of.as_ref().is_some_and(|of| out.contains(of)))
            .map(|a| a.id.clone())
            .collect();
        if more.is_empty() {
            return out;
        }
        out.extend(more);
    }
}

/// Two groupings of a merge of `copies` are equal, but for the accounts
/// [`erased_and_revived`] finds and the conflict copies made from them. Those exist
/// in both or neither, and agree in every field changed after the last deletion but
/// the counter (an erased version's higher counter is gone with it).
fn same_but_for_erased(
    copies: &[Document],
    left: &Document,
    right: &Document,
) -> Result<(), TestCaseError> {
    let lossy = erased_and_revived(copies);
    let excepted = families(&lossy, &[left, right]);
    let without = |d: &Document| {
        let mut d = d.clone();
        d.accounts.retain(|a| !excepted.contains(&a.id));
        d
    };
    prop_assert_eq!(
        without(left),
        without(right),
        "the grouping changed the result (excepted: {:?})",
        excepted
    );
    for id in &lossy {
        let last = deleted(copies, id).unwrap_or(i64::MIN);
        let l = left.accounts.iter().find(|a| &a.id == id);
        let r = right.accounts.iter().find(|a| &a.id == id);
        prop_assert_eq!(
            l.is_some(),
            r.is_some(),
            "{:?} exists in one grouping only",
            id
        );
        if let (Some(l), Some(r)) = (l, r) {
            for field in Field::ALL.into_iter().filter(|f| *f != Field::Counter) {
                let (tl, tr) = (l.changed.get(field), r.changed.get(field));
                if tl > last && tr > last {
                    prop_assert_eq!(tl, tr);
                    prop_assert!(field.same(l, r), "{:?} of {:?} differs", field, id);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 30_000, ..ProptestConfig::default() })]

    #[test]
    fn two_copies_merge_commutatively_and_idempotently((start, ops) in history(2)) {
        let copies = play(2, start, &ops);
        let (a, b) = (&copies[0], &copies[1]);
        let ab = merged(a, b);
        prop_assert_eq!(&ab, &merged(b, a), "A into B differs from B into A");
        prop_assert_eq!(&merged(a, a), a, "A into A changed A");
        prop_assert_eq!(&merged(&ab, a), &ab, "merging A again changed the result");
        prop_assert_eq!(&merged(&ab, b), &ab, "merging B again changed the result");
        let mut again = ab.clone();
        let report = merge::merge(&mut again, b);
        prop_assert!(!report.changed && report.is_empty(), "{:?}", report);
        check_against_copies(&copies, &ab)?;
    }

    #[test]
    fn three_copies_merge_associatively((start, ops) in history(3)) {
        let copies = play(3, start, &ops);
        let (a, b, c) = (&copies[0], &copies[1], &copies[2]);
        let left = merged(&merged(a, b), c);
        for other in [merged(a, &merged(b, c)), merged(&merged(c, a), b)] {
            same_but_for_erased(&copies, &left, &other)?;
        }
        check_against_copies(&copies, &left)?;
        check_against_copies(&copies, &merged(a, &merged(b, c)))?;
    }
}
