//! Merging two copies of a 10,000-account vault that each made 1,000 changes
//! (900 edits, 50 removals, 50 additions; the edits touch different fields of
//! overlapping accounts), beside the anchor of loading that vault alone: decrypting
//! it (an age identity, so no scrypt) and parsing its document. Issue 14 asks the
//! merge to take under a second, excluding the unlock.
//!
//! Run with `cargo bench --bench merge`; criterion writes the medians to
//! `target/criterion/<name>/new/estimates.json`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keyfob::vault::merge::{merge, record_changes};
use keyfob::vault::{Document, Key, crypto};
use keyfob::{Account, Algorithm, Kind, Secret};

const ACCOUNTS: usize = 10_000;
const T0: i64 = 1_800_000_000;

fn vault() -> Document {
    let mut doc = Document::new(T0);
    for n in 0..ACCOUNTS {
        let kind = if n % 7 == 0 {
            Kind::Hotp { counter: 1 }
        } else {
            Kind::DEFAULT_TOTP
        };
        let secret = Secret::from_bytes(format!("secret number {n:08}").into_bytes()).unwrap();
        let account = Account::new(
            &format!("Service {n}"),
            &format!("user{n}@example.com"),
            secret,
            kind,
            Algorithm::Sha1,
            6,
            T0,
        )
        .unwrap();
        doc.accounts.push(account);
    }
    record_changes(&mut doc, None, T0);
    doc
}

/// A copy of `base` with 1,000 changes at `at`: 900 edits starting at account
/// `offset` (every 10th), 50 removals, 50 additions.
fn changed(base: &Document, offset: usize, at: i64, tag: &str) -> Document {
    let mut doc = base.clone();
    for n in 0..900 {
        let account = &mut doc.accounts[(offset + n * 10) % ACCOUNTS];
        account.note = format!("{tag} note {n}");
        if let Kind::Hotp { counter } = account.kind {
            account.kind = Kind::Hotp {
                counter: counter + 1,
            };
        }
    }
    for n in 0..50 {
        doc.accounts.remove((offset + 1 + n * 150) % (ACCOUNTS - n));
    }
    for n in 0..50 {
        let secret = Secret::from_bytes(format!("{tag} new secret {n:04}").into_bytes()).unwrap();
        let account = Account::new(
            &format!("{tag} new {n}"),
            "someone",
            secret,
            Kind::DEFAULT_TOTP,
            Algorithm::Sha1,
            6,
            at,
        )
        .unwrap();
        doc.accounts.push(account);
    }
    record_changes(&mut doc, Some(base), at);
    doc
}

fn bench(c: &mut Criterion) {
    let base = vault();
    let laptop = changed(&base, 0, T0 + 100, "laptop");
    let stick = changed(&base, 5, T0 + 200, "stick");
    let key = Key::generate_identity("2026-12-03T00:00:00Z").0;
    let ciphertext = crypto::encrypt(&laptop.to_json(), &key).unwrap();

    let mut check = laptop.clone();
    let report = merge(&mut check, &stick);
    assert!(report.conflicts.is_empty());
    assert!(report.updated.len() >= 800, "{}", report.updated.len());
    eprintln!(
        "merge report: {} added, {} updated, {} deleted, {} restored; {} accounts after",
        report.added.len(),
        report.updated.len(),
        report.deleted.len(),
        report.restored.len(),
        check.accounts.len()
    );

    let mut group = c.benchmark_group("merge_10000");
    group.sample_size(10);
    group.bench_function("load (decrypt with identity + parse)", |b| {
        b.iter(|| {
            let plaintext = crypto::decrypt(&ciphertext, &key).unwrap();
            Document::from_json(&plaintext).unwrap()
        });
    });
    group.bench_function("merge two copies, 1000 changes each", |b| {
        b.iter_batched(
            || laptop.clone(),
            |mut doc| merge(&mut doc, &stick),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
