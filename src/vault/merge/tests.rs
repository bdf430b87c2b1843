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
