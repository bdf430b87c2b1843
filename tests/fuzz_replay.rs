//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) and every minimised crash
//! (`fuzz/regressions/<target>/`) through the same entry points the fuzz targets
//! use (`keyfob::fuzz_entry`), on stable, so CI keeps what the fuzzers found.
//! A panic or a broken property on any file fails the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Runs every file of `kind` (corpus or regressions) through its target.
/// Returns the number of files run per target and the failures.
fn replay(kind: &str) -> (BTreeMap<String, usize>, Vec<String>) {
    let targets = keyfob::fuzz_entry::targets();
    let mut counts = BTreeMap::new();
    let mut failures = Vec::new();
    for (name, run) in &targets {
        let inputs = files(&fuzz_dir().join(kind).join(name));
        counts.insert(name.clone(), inputs.len());
        for path in inputs {
            let data = std::fs::read(&path).unwrap();
            match catch_unwind(AssertUnwindSafe(|| run(&data))) {
                Ok(Ok(())) => {}
                Ok(Err(broken)) => failures.push(format!("{}: {broken}", path.display())),
                Err(_) => failures.push(format!("{}: panicked", path.display())),
            }
        }
    }
    (counts, failures)
}

/// Every directory under `fuzz/<kind>/` names a known target (a renamed target
/// would otherwise silently stop being replayed).
fn assert_known_dirs(kind: &str) {
    let known: Vec<String> = keyfob::fuzz_entry::targets()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    if let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind)) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                known.contains(&name),
                "fuzz/{kind}/{name} is not a fuzz target"
            );
        }
    }
}

#[test]
fn every_fuzz_target_has_a_source_file_and_a_corpus() {
    let (counts, _) = replay_counts_only();
    for (name, count) in &counts {
        let source = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(source.is_file(), "no fuzz target source for '{name}'");
        assert!(*count > 0, "fuzz/corpus/{name} is empty");
    }
    assert_known_dirs("corpus");
    assert_known_dirs("regressions");
}

fn replay_counts_only() -> (BTreeMap<String, usize>, ()) {
    let counts = keyfob::fuzz_entry::targets()
        .into_iter()
        .map(|(name, _)| {
            let n = files(&fuzz_dir().join("corpus").join(&name)).len();
            (name, n)
        })
        .collect();
    (counts, ())
}

#[test]
fn fuzz_regressions_stay_fixed() {
    let (counts, failures) = replay("regressions");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("regressions replayed: {counts:?}");
}

#[test]
fn fuzz_corpora_replay_cleanly() {
    let (counts, failures) = replay("corpus");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("corpus files replayed: {counts:?}");
}
