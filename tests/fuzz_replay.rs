//! Replays what the fuzzers keep through the same entry points the fuzz targets use
//! (`keyfob::fuzz_entry`), on stable, so CI keeps what the fuzzers found: each target's
//! minimised corpus (`fuzz/corpus/<target>_seed_corpus.zip`, read in memory), its
//! hand-made seeds (`fuzz/seeds/<target>/`) and every minimised crash
//! (`fuzz/regressions/<target>/`). A panic or a broken property on any input fails
//! the test, and so does a target without a corpus archive or with an empty one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The archive holding `target`'s minimised corpus.
fn archive_path(target: &str) -> PathBuf {
    fuzz_dir()
        .join("corpus")
        .join(format!("{target}_seed_corpus.zip"))
}

/// Every file of `fuzz/<kind>/<target>/` (none when the directory is absent), sorted,
/// as (name, bytes).
fn files(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let data = std::fs::read(&path).unwrap();
            (path.display().to_string(), data)
        })
        .collect()
}

/// Every entry of the corpus archive at `path` as (name, bytes); `Err` when the
/// archive is missing, unreadable or holds no input.
fn archive(path: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("'{}': {e}", path.display()))?;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("'{}': {e}", path.display()))?;
    let mut inputs = Vec::with_capacity(zip.len());
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).unwrap();
        if !entry.is_file() {
            continue;
        }
        let name = format!("{}:{}", path.display(), entry.name().unwrap());
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        inputs.push((name, data));
    }
    if inputs.is_empty() {
        return Err(format!("'{}' holds no input", path.display()));
    }
    Ok(inputs)
}

/// Runs `inputs` through `run`, adding a line per failure.
fn replay(
    run: &dyn Fn(&[u8]) -> Result<(), &'static str>,
    inputs: &[(String, Vec<u8>)],
    failures: &mut Vec<String>,
) {
    for (name, data) in inputs {
        match catch_unwind(AssertUnwindSafe(|| run(data))) {
            Ok(Ok(())) => {}
            Ok(Err(broken)) => failures.push(format!("{name}: {broken}")),
            Err(_) => failures.push(format!("{name}: panicked")),
        }
    }
}

/// Every directory under `fuzz/<kind>/` names a known target (a renamed target
/// would otherwise silently stop being replayed).
fn assert_known_dirs(kind: &str, known: &[String]) {
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
fn every_fuzz_target_has_a_source_file_and_a_corpus_archive() {
    let known: Vec<String> = keyfob::fuzz_entry::targets()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    // Import targets are one file, copied: the binary's name picks the format.
    let import_source =
        std::fs::read_to_string(fuzz_dir().join("fuzz_targets").join("import_aegis.rs")).unwrap();
    assert!(import_source.contains("import_target(env!(\"CARGO_BIN_NAME\")"));
    for name in &known {
        let source = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(source.is_file(), "no fuzz target source for '{name}'");
        assert!(
            manifest.contains(&format!(
                "name = \"{name}\"\npath = \"fuzz_targets/{name}.rs\""
            )),
            "fuzz/Cargo.toml has no [[bin]] for '{name}'"
        );
        if name.starts_with("import_") {
            assert_eq!(
                std::fs::read_to_string(&source).unwrap(),
                import_source,
                "fuzz/fuzz_targets/{name}.rs differs from the other import targets"
            );
        }
        assert!(
            archive_path(name).is_file(),
            "no corpus archive for '{name}'"
        );
    }
    // Every archive names a known target; directories in corpus/ are working
    // corpora (ignored by git), unpacked by fuzz/run.sh.
    for entry in std::fs::read_dir(fuzz_dir().join("corpus"))
        .unwrap()
        .flatten()
    {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(name) = file.strip_suffix("_seed_corpus.zip") {
            assert!(
                known.iter().any(|k| k == name),
                "fuzz/corpus/{file} is not a fuzz target's archive"
            );
        }
    }
    assert_known_dirs("seeds", &known);
    assert_known_dirs("regressions", &known);
}

/// Prints `line` where a person running the tests sees it (the harness captures
/// `eprintln!` of passing tests).
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[test]
fn a_missing_empty_or_broken_corpus_archive_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t_seed_corpus.zip");
    let missing = archive(&path).unwrap_err();
    assert!(missing.contains("t_seed_corpus.zip"), "{missing}");
    std::fs::write(&path, b"not a zip").unwrap();
    assert!(archive(&path).is_err());
    // An archive with only a directory entry holds no input.
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    writer.add_directory("empty/", options).unwrap();
    writer.finish().unwrap();
    let empty = archive(&path).unwrap_err();
    assert!(empty.ends_with("holds no input"), "{empty}");
    // One input: read back byte for byte.
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    writer.start_file("input", options).unwrap();
    writer
        .write_all(b"otpauth://totp/a?secret=JBSWY3DP")
        .unwrap();
    writer.finish().unwrap();
    let inputs = archive(&path).unwrap();
    assert_eq!(inputs.len(), 1);
    assert!(inputs[0].0.ends_with("t_seed_corpus.zip:input"));
    assert_eq!(inputs[0].1, b"otpauth://totp/a?secret=JBSWY3DP");
}

#[test]
fn fuzz_regressions_stay_fixed() {
    let mut counts = BTreeMap::new();
    let mut failures = Vec::new();
    for (name, run) in keyfob::fuzz_entry::targets() {
        let inputs = files("regressions", &name);
        replay(&run, &inputs, &mut failures);
        counts.insert(name, inputs.len());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    report(&format!("regressions replayed: {counts:?}"));
}

#[test]
fn fuzz_corpora_and_seeds_replay_cleanly() {
    let mut counts = BTreeMap::new();
    let mut failures = Vec::new();
    let mut missing = Vec::new();
    for (name, run) in keyfob::fuzz_entry::targets() {
        let corpus = archive(&archive_path(&name)).unwrap_or_else(|e| {
            missing.push(e);
            Vec::new()
        });
        let seeds = files("seeds", &name);
        replay(&run, &corpus, &mut failures);
        replay(&run, &seeds, &mut failures);
        counts.insert(name, (corpus.len(), seeds.len()));
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let total: usize = counts.values().map(|(corpus, _)| corpus).sum();
    report(&format!(
        "corpus inputs replayed (archived, seeds): {counts:?}; {total} archived in all"
    ));
}
