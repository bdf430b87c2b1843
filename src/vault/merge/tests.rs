//! Unit tests of the stamping and the merge rules, one rule at a time.

use super::*;
use crate::account::{AccountId, Algorithm, Kind};

fn account(issuer: &str, secret: &str, kind: Kind) -> Account {
    Account::new(
        issuer,
        "alice",
        Secret::from_base32(secret).unwrap(),
        kind,
        Algorithm::Sha1,
        6,
        1,
    )
    .unwrap()
}

const S1: &str = "JBSWY3DPEHPK3PXP";
const S2: &str = "GEZDGNBVGY3TQOJQ";
const S3: &str = "MFRGGZDFMZTWQ2LK";

/// A document with GitHub, Bank (HOTP 5) and Mail, stamped at time 100.
fn base() -> Document {
    let mut doc = Document::new(1);
    doc.accounts = vec![
        account("GitHub", S1, Kind::DEFAULT_TOTP),
        account("Bank", S2, Kind::Hotp { counter: 5 }),
        account("Mail", S3, Kind::DEFAULT_TOTP),
    ];
    record_changes(&mut doc, None, 100);
    doc
}

/// Applies `change` to a copy of `doc` and stamps it at `now`.
fn edited(doc: &Document, now: i64, change: impl FnOnce(&mut Document)) -> Document {
    let mut next = doc.clone();
    change(&mut next);
    record_changes(&mut next, Some(doc), now);
    next
}

fn merged(a: &Document, b: &Document) -> (Document, MergeReport) {
    let mut out = a.clone();
    let report = merge(&mut out, b);
    (out, report)
}

fn issuers(doc: &Document) -> Vec<&str> {
    doc.accounts.iter().map(|a| a.issuer.as_str()).collect()
}

#[test]
fn stamping_marks_only_what_changed() {
    let doc = base();
    assert!(doc.accounts.iter().all(|a| a.changed == Changed::all(100)));
    let positions: Vec<i64> = doc.accounts.iter().map(|a| a.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let next = edited(&doc, 200, |d| d.accounts[0].note = "hi".into());
    let mut want = Changed::all(100);
    want.note = 200;
    assert_eq!(next.accounts[0].changed, want);
    assert_eq!(next.accounts[1].changed, Changed::all(100));
    assert_eq!(next.accounts[0].position, doc.accounts[0].position);
    // Nothing changed: nothing stamped.
    assert_eq!(edited(&next, 300, |_| {}), next);
}

#[test]
fn a_clock_behind_still_stamps_after_the_previous_change() {
    let doc = base();
    let next = edited(&doc, 50, |d| d.accounts[0].name = "bob".into());
    assert_eq!(next.accounts[0].changed.name, 101);
}

#[test]
fn removal_leaves_a_tombstone_and_adding_the_id_back_clears_it() {
    let doc = base();
    let gone = doc.accounts[1].clone();
    let next = edited(&doc, 200, |d| {
        d.accounts.remove(1);
    });
    assert_eq!(
        next.tombstones,
        vec![Tombstone {
            id: gone.id.clone(),
            deleted: 200
        }]
    );
    let back = edited(&next, 300, |d| d.accounts.push(gone.clone()));
    assert!(back.tombstones.is_empty());
    assert_eq!(back.accounts[2].changed, Changed::all(300));
}

#[test]
fn moving_one_account_restamps_only_its_position() {
    let doc = base();
    let next = edited(&doc, 200, |d| {
        let mail = d.accounts.remove(2);
        d.accounts.insert(0, mail);
    });
    assert_eq!(issuers(&next), ["Mail", "GitHub", "Bank"]);
    assert_eq!(next.accounts[0].changed.position, 200);
    assert!(next.accounts[0].position < next.accounts[1].position);
    for (after, before) in next.accounts[1..].iter().zip(&doc.accounts) {
        assert_eq!(after.position, before.position);
        assert_eq!(after.changed, before.changed);
    }
    // Squeezing many accounts into one gap renumbers, still in order.
    let mut d = next.clone();
    for n in 0..70 {
        let moved = d.accounts.remove(2);
        let mut copy = d.clone();
        copy.accounts.insert(1, moved);
        record_changes(&mut copy, Some(&d), 300 + n);
        d = copy;
        let positions: Vec<i64> = d.accounts.iter().map(|a| a.position).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }
}

#[test]
fn replacing_a_secret_records_the_old_fingerprint() {
    let doc = base();
    let next = edited(&doc, 200, |d| {
        d.accounts[0].secret = Secret::from_base32(S3).unwrap();
    });
    assert_eq!(
        next.accounts[0].superseded,
        vec![format!(
            "{}:100",
            fingerprint(&Secret::from_base32(S1).unwrap())
        )]
    );
    assert_eq!(next.accounts[0].changed.token, 200);
}

#[test]
fn later_change_of_each_field_wins_and_counters_take_the_maximum() {
    let doc = base();
    let a = edited(&doc, 200, |d| {
        d.accounts[0].note = "from a".into();
        d.accounts[1].kind = Kind::Hotp { counter: 9 };
    });
    let b = edited(&doc, 300, |d| {
        d.accounts[0].name = "bob".into();
        d.accounts[1].kind = Kind::Hotp { counter: 7 };
        d.accounts[1].note = "from b".into();
    });
    let (ab, report) = merged(&a, &b);
    let (ba, _) = merged(&b, &a);
    assert_eq!(ab, ba);
    assert_eq!(ab.accounts[0].note, "from a");
    assert_eq!(ab.accounts[0].name, "bob");
    assert_eq!(ab.accounts[1].kind, Kind::Hotp { counter: 9 });
    assert_eq!(ab.accounts[1].note, "from b");
    assert!(report.changed);
    let updated: Vec<(&str, &[Field])> = report
        .updated
        .iter()
        .map(|e| (e.label.as_str(), e.fields.as_slice()))
        .collect();
    assert_eq!(
        updated,
        [
            ("GitHub (bob)", &[Field::Name][..]),
            ("Bank (alice)", &[Field::Note][..])
        ]
    );
}

#[test]
fn nothing_new_changes_nothing() {
    let doc = base();
    let a = edited(&doc, 200, |d| d.accounts[0].note = "new".into());
    for other in [&doc, &a] {
        let (out, report) = merged(&a, other);
        assert_eq!(out, a);
        assert!(!report.changed && report.is_empty(), "{report:?}");
    }
}

#[test]
fn a_deletion_wins_over_older_copies_and_loses_to_later_changes() {
    let doc = base();
    let deleted = edited(&doc, 200, |d| {
        d.accounts.remove(0);
    });
    // The old copy cannot bring it back, either way round.
    let (out, report) = merged(&deleted, &doc);
    assert_eq!(issuers(&out), ["Bank", "Mail"]);
    assert!(report.is_empty() && !report.changed, "{report:?}");
    let (out, report) = merged(&doc, &deleted);
    assert_eq!(issuers(&out), ["Bank", "Mail"]);
    assert_eq!(report.deleted.len(), 1);
    assert_eq!(report.deleted[0].label, "GitHub (alice)");
    assert_eq!(out.tombstones.len(), 1);
    // A copy that changed it after the deletion brings it back.
    let later = edited(&doc, 300, |d| d.accounts[0].note = "still used".into());
    let (out, report) = merged(&deleted, &later);
    assert_eq!(issuers(&out), ["GitHub", "Bank", "Mail"]);
    assert_eq!(out.accounts[0].note, "still used");
    assert_eq!(report.restored.len(), 1);
    assert_eq!(
        out.tombstones.len(),
        1,
        "kept for copies older than the deletion"
    );
    assert_eq!(merged(&later, &deleted).0, out);
}

#[test]
fn rival_secrets_are_both_kept_and_reported() {
    let doc = base();
    let a = edited(&doc, 200, |d| {
        d.accounts[0].secret = Secret::from_base32(S2).unwrap();
    });
    let b = edited(&doc, 300, |d| {
        d.accounts[0].secret = Secret::from_base32(S3).unwrap();
    });
    let (ab, report) = merged(&a, &b);
    assert_eq!(ab, merged(&b, &a).0);
    assert_eq!(ab.accounts.len(), 4);
    let github: Vec<&Account> = ab
        .accounts
        .iter()
        .filter(|x| x.issuer == "GitHub")
        .collect();
    assert_eq!(github.len(), 2);
    let kept = github.iter().find(|x| x.id == doc.accounts[0].id).unwrap();
    assert_eq!(
        kept.secret,
        Secret::from_base32(S3).unwrap(),
        "the later one keeps the id"
    );
    let copy = github.iter().find(|x| x.id != doc.accounts[0].id).unwrap();
    assert_eq!(copy.secret, Secret::from_base32(S2).unwrap());
    assert_eq!(copy.tags, [CONFLICT_TAG]);
    assert_eq!(report.conflicts.len(), 1);
    assert_eq!(report.conflicts[0].copy, copy.id);
    // Merging either copy again finds nothing new.
    for again in [&a, &b] {
        let (out, report) = merged(&ab, again);
        assert_eq!(out, ab);
        assert!(report.conflicts.is_empty() && !report.changed, "{report:?}");
    }
    // A secret replaced in sequence is no conflict: the newer one replaced the older.
    let c = edited(&a, 400, |d| {
        d.accounts[0].secret = Secret::from_base32(S3).unwrap();
    });
    let (out, report) = merged(&a, &c);
    assert!(report.conflicts.is_empty(), "{report:?}");
    assert_eq!(out.accounts.len(), 3);
    assert_eq!(out.accounts[0].secret, Secret::from_base32(S3).unwrap());
}

#[test]
fn old_tombstones_are_pruned_after_a_year() {
    let doc = base();
    let mut next = edited(&doc, 200, |d| {
        d.accounts.remove(0);
    });
    prune_tombstones(&mut next, 200 + TOMBSTONE_KEEP);
    assert_eq!(next.tombstones.len(), 1);
    prune_tombstones(&mut next, 201 + TOMBSTONE_KEEP);
    assert!(next.tombstones.is_empty());
}

#[test]
fn every_serialised_account_field_has_a_merge_rule() {
    // A field added to `Account` must join a `Field` (or be one of the bookkeeping
    // fields below), or the merge would silently take it from one side only.
    let mut a = account("GitHub", S1, Kind::Hotp { counter: 1 });
    a.tags = vec!["t".into()];
    a.note = "n".into();
    a.favorite = true;
    a.superseded = vec!["f".into()];
    a.conflict_of = Some(AccountId::from_string("x".into()));
    let json = serde_json::to_value(&a).unwrap();
    let bookkeeping = [
        "id",
        "created",
        "modified",
        "changed",
        "superseded",
        "conflict_of",
    ];
    let token = ["secret", "kind", "algorithm", "digits"];
    for key in json.as_object().unwrap().keys() {
        let covered = bookkeeping.contains(&key.as_str())
            || token.contains(&key.as_str())
            || Field::ALL.iter().any(|f| f.name() == key);
        assert!(covered, "account field '{key}' has no merge rule");
    }
}

fn github(doc: &Document) -> &Account {
    doc.accounts.iter().find(|a| a.issuer == "GitHub").unwrap()
}

#[test]
fn what_a_deletion_erased_cannot_come_back_so_that_one_grouping_may_differ() {
    // C changes GitHub (its note, or its secret); B, having seen that, removes
    // GitHub; A, which never saw C's change, renames it after the removal, so it
    // comes back. Each change twice over, with two different values.
    let doc = base();
    let results = |change: &dyn Fn(&mut Account)| {
        let c = edited(&doc, 200, |d| change(&mut d.accounts[0]));
        let b = edited(&c, 300, |d| {
            d.accounts.remove(0);
        });
        let a = edited(&doc, 400, |d| d.accounts[0].name = "bob".into());
        let bc = merged(&b, &c).0;
        let left = merged(&bc, &a).0;
        let right = merged(&merged(&a, &c).0, &b).0;
        (bc, left, right)
    };
    for (one, two) in [
        (
            &(|a: &mut Account| a.note = "one".into()) as &dyn Fn(&mut Account),
            &(|a: &mut Account| a.note = "two".into()) as &dyn Fn(&mut Account),
        ),
        (
            &(|a: &mut Account| a.secret = Secret::from_base32(S2).unwrap()),
            &(|a: &mut Account| a.secret = Secret::from_base32(S3).unwrap()),
        ),
    ] {
        let (bc1, left1, right1) = results(one);
        let (bc2, left2, right2) = results(two);
        // B merged with C is the same whatever C's value: the tombstone keeps the id
        // and the time, nothing else (never the secret).
        assert_eq!(bc1, bc2);
        assert!(bc1.accounts.iter().all(|a| a.issuer != "GitHub"));
        // So B ⊔ C, then A, can only bring GitHub back as A had it...
        assert_eq!(left1, left2);
        assert_eq!(github(&left1).name, "bob");
        assert_eq!(github(&left1).note, "");
        assert_eq!(github(&left1).secret, Secret::from_base32(S1).unwrap());
        // ...while A ⊔ C, knowing nothing of the removal, must take C's later change,
        // and keeps it when B comes: the value differs with C's, so it cannot be A's.
        assert_ne!(right1, right2);
        for right in [&right1, &right2] {
            assert_eq!(github(right).name, "bob");
            assert_ne!(github(right), github(&left1));
            assert!(
                !github(right).note.is_empty() || github(right).secret != github(&left1).secret
            );
            // Only that field differs, and it was last changed before the removal.
            let mut same = github(right).clone();
            let erased: Vec<Field> = Field::ALL
                .into_iter()
                .filter(|f| !f.same(&same, github(&left1)))
                .collect();
            assert_eq!(erased.len(), 1, "{erased:?}");
            assert!(same.changed.get(erased[0]) < 300);
            erased[0].copy(&mut same, github(&left1));
            same.changed = github(&left1).changed;
            same.superseded.clone_from(&github(&left1).superseded);
            same.modified = github(&left1).modified;
            assert_eq!(&same, github(&left1));
        }
        // Everything else agrees.
        let others = |d: &Document| -> Vec<Account> {
            d.accounts
                .iter()
                .filter(|a| a.issuer != "GitHub")
                .cloned()
                .collect()
        };
        assert_eq!(others(&left1), others(&right1));
        assert_eq!(left1.tombstones, right1.tombstones);
    }
}

/// Three copies that each set GitHub's secret differently (A at 200, B at 300, C at
/// 400) and each changed something else of it.
fn three_rivals() -> [Document; 3] {
    let doc = base();
    let rival = |now: i64, secret: &str, change: &dyn Fn(&mut Account)| {
        edited(&doc, now, |d| {
            d.accounts[0].secret = Secret::from_base32(secret).unwrap();
            change(&mut d.accounts[0]);
        })
    };
    [
        rival(200, S2, &|a| a.note = "from a".into()),
        rival(300, S3, &|a| a.tags = vec!["work".into()]),
        rival(400, "KRUGKIDROVUWG2ZA", &|a| a.name = "carol".into()),
    ]
}

#[test]
fn conflict_copies_are_the_same_whichever_copies_meet_first() {
    let [a, b, c] = three_rivals();
    let m = |x: &Document, y: &Document| merged(x, y).0;
    let groupings = [
        m(&m(&a, &b), &c),
        m(&a, &m(&b, &c)),
        m(&m(&c, &a), &b),
        m(&m(&b, &c), &a),
    ];
    for other in &groupings[1..] {
        assert_eq!(&groupings[0], other);
    }
    let out = &groupings[0];
    let id = &a.accounts[0].id;
    let main = out.accounts.iter().find(|x| &x.id == id).unwrap();
    assert_eq!(
        main.secret,
        Secret::from_base32("KRUGKIDROVUWG2ZA").unwrap()
    );
    let copies: Vec<&Account> = out
        .accounts
        .iter()
        .filter(|x| x.conflict_of.as_ref() == Some(id))
        .collect();
    assert_eq!(copies.len(), 2);
    let mut secrets: Vec<String> = copies.iter().map(|x| fingerprint(&x.secret)).collect();
    secrets.sort();
    let mut want = [S2, S3].map(|s| fingerprint(&Secret::from_base32(s).unwrap()));
    want.sort();
    assert_eq!(secrets, want);
    for copy in copies {
        // Every field but the secret is the account's, with every copy's edits.
        assert_eq!(
            (copy.issuer.as_str(), copy.name.as_str()),
            ("GitHub", "carol")
        );
        assert_eq!(copy.note, "from a");
        assert_eq!(copy.tags, ["work", CONFLICT_TAG]);
        assert_eq!(copy.position, main.position);
        assert_eq!(copy.changed.note, 0, "followed, not its own");
    }
}

#[test]
fn a_conflict_copy_follows_its_account_until_changed_itself() {
    let [a, b, _] = three_rivals();
    let ab = merged(&a, &b).0;
    let id = ab
        .accounts
        .iter()
        .find(|x| x.conflict_of.is_some())
        .unwrap()
        .id
        .clone();
    let copy = |d: &Document| d.accounts.iter().find(|x| x.id == id).unwrap().clone();
    // The account renamed: the copy too, when stamped, and merging that changes nothing.
    let renamed = edited(&ab, 500, |d| {
        let main = d
            .accounts
            .iter_mut()
            .find(|x| x.conflict_of.is_none() && x.issuer == "GitHub");
        main.unwrap().issuer = "GitHub.com".into();
    });
    assert_eq!(copy(&renamed).issuer, "GitHub.com");
    let (again, report) = merged(&renamed, &renamed);
    assert_eq!(again, renamed);
    assert!(!report.changed);
    // The copy renamed itself keeps its name, here and in a merge with the others.
    let own = edited(&renamed, 600, |d| {
        d.accounts.iter_mut().find(|x| x.id == id).unwrap().issuer = "GitHub (old)".into();
    });
    assert_eq!(copy(&own).issuer, "GitHub (old)");
    assert_eq!(copy(&own).changed.issuer, 600);
    let later = edited(&renamed, 700, |d| {
        let main = d
            .accounts
            .iter_mut()
            .find(|x| x.conflict_of.is_none() && x.issuer == "GitHub.com");
        main.unwrap().issuer = "GitHub Inc".into();
    });
    let (out, _) = merged(&own, &later);
    assert_eq!(copy(&out).issuer, "GitHub (old)");
    assert_eq!(out, merged(&later, &own).0);
}

#[test]
fn removing_the_account_and_keeping_its_conflict_copy_keeps_the_copy() {
    let [a, b, _] = three_rivals();
    let ab = merged(&a, &b).0;
    let main = ab
        .accounts
        .iter()
        .find(|x| x.id == a.accounts[0].id)
        .unwrap()
        .clone();
    let copy = ab
        .accounts
        .iter()
        .find(|x| x.conflict_of.is_some())
        .unwrap()
        .clone();
    assert_eq!(copy.secret, Secret::from_base32(S2).unwrap());
    // B's secret turned out wrong: the account goes, the copy with A's stays.
    let kept = edited(&ab, 500, |d| d.accounts.retain(|x| x.id != main.id));
    for other in [&a, &b, &ab] {
        let (out, _) = merged(&kept, other);
        assert_eq!(out, merged(other, &kept).0);
        let ids: Vec<&AccountId> = out.accounts.iter().map(|x| &x.id).collect();
        assert!(ids.contains(&&copy.id), "the copy kept went too");
        assert!(!ids.contains(&&main.id), "the account removed came back");
    }
}
