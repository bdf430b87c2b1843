//! Regression floors for the QR decoder on real photos and scans.
//!
//! The corpus (179 images from ZXing's black-box tests, each with its expected text;
//! not in the repository, found by `common::qr_corpus`) is decoded as stored and turned
//! by 90, 180 and 270 degrees. Each test fails if fewer images read correctly than the
//! floor measured when the decoder was tuned, or if any image yields a wrong text.
//! Without the corpus they print a "skipped:" line and pass, except under `CI`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};

use common::{Corpus, qr_corpus, qr_corpus_at, qr_corpus_dir};
use image::DynamicImage;

/// Correctly read images out of 179, per rotation, as measured (rxing + fallbacks).
const FLOOR_0: usize = 170;
const FLOOR_90: usize = 170;
const FLOOR_180: usize = 169;
const FLOOR_270: usize = 170;

/// (image path, expected texts): every `qrcode-N/*.png` with its `.txt` or `.multi.json`.
fn items(corpus: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let mut sets: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.is_dir()
                && path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("qrcode-"))
        })
        .collect();
    sets.sort();
    let mut items = Vec::new();
    for set in sets {
        for entry in std::fs::read_dir(&set).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|ext| ext != "png") {
                continue;
            }
            let txt = path.with_extension("txt");
            let multi = path.with_extension("multi.json");
            let expected = if txt.is_file() {
                vec![std::fs::read_to_string(txt).unwrap()]
            } else if multi.is_file() {
                serde_json::from_str(&std::fs::read_to_string(multi).unwrap()).unwrap()
            } else {
                continue;
            };
            items.push((path, expected));
        }
    }
    assert_eq!(items.len(), 179, "the corpus should hold 179 images");
    items
}

/// Texts a payload may stand for: UTF-8, else Shift_JIS (kanji) or ISO-8859-1.
fn texts(payload: &[u8]) -> Vec<String> {
    match std::str::from_utf8(payload) {
        Ok(text) => vec![text.to_owned()],
        Err(_) => {
            let (sjis, _, _) = encoding_rs::SHIFT_JIS.decode(payload);
            let latin1: String = payload.iter().map(|&b| char::from(b)).collect();
            vec![sjis.into_owned(), latin1]
        }
    }
}

/// Decodes the corpus turned by `quarter_turns` and checks the floor and wrong answers.
fn check(quarter_turns: u8, floor: usize) {
    let Some(corpus) = qr_corpus() else { return };
    let mut ok = 0;
    let mut wrong = Vec::new();
    let mut failed = Vec::new();
    for (path, expected) in items(&corpus) {
        let image = image::open(&path).unwrap();
        let image = match quarter_turns {
            0 => image,
            1 => DynamicImage::ImageRgba8(image::imageops::rotate90(&image)),
            2 => DynamicImage::ImageRgba8(image::imageops::rotate180(&image)),
            _ => DynamicImage::ImageRgba8(image::imageops::rotate270(&image)),
        };
        let decoded: Vec<String> = keyfob::qr::decode_image(&image)
            .iter()
            .flat_map(|payload| texts(payload))
            .collect();
        let name = path.strip_prefix(&corpus).unwrap().display().to_string();
        if decoded.is_empty() {
            failed.push(name);
        } else if expected.iter().all(|text| decoded.contains(text)) {
            ok += 1;
        } else {
            wrong.push(name);
        }
    }
    let degrees = u32::from(quarter_turns) * 90;
    assert!(
        wrong.is_empty(),
        "{degrees} degrees: wrong text for {wrong:?}"
    );
    assert!(
        ok >= floor,
        "{degrees} degrees: {ok} read, floor {floor}; failed: {failed:?}"
    );
}

#[test]
fn corpus_as_stored() {
    check(0, FLOOR_0);
}

#[test]
fn corpus_rotated_90() {
    check(1, FLOOR_90);
}

#[test]
fn corpus_rotated_180() {
    check(2, FLOOR_180);
}

#[test]
fn corpus_rotated_270() {
    check(3, FLOOR_270);
}

/// Photos blown up to a phone camera's 4032 pixels have modules too coarse for the
/// binariser at full size; the half- and quarter-size passes read them, before any
/// of the slow fallbacks (rqrr, undistortion) run.
#[test]
fn phone_sized_upscales_are_read_by_the_early_passes() {
    let Some(corpus) = qr_corpus() else { return };
    let set = corpus.join("qrcode-1");
    let mut read_reduced = 0;
    for n in 1..=12 {
        let path = set.join(format!("{n}.png"));
        let expected = std::fs::read_to_string(path.with_extension("txt")).unwrap();
        let image = image::open(&path).unwrap().to_luma8();
        let (width, height) = image.dimensions();
        let scale = 4032.0 / f64::from(width.max(height));
        let big = image::imageops::resize(
            &image,
            (f64::from(width) * scale).round() as u32,
            (f64::from(height) * scale).round() as u32,
            image::imageops::FilterType::Triangle,
        );
        let (codes, stage) = keyfob::qr::decode_image_traced(&DynamicImage::ImageLuma8(big));
        let decoded: Vec<String> = codes.iter().flat_map(|payload| texts(payload)).collect();
        assert!(decoded.contains(&expected), "{n}.png: read {decoded:?}");
        assert!(
            matches!(stage, Some("rxing" | "rxing-half" | "rxing-quarter")),
            "{n}.png read by {stage:?}"
        );
        if stage != Some("rxing") {
            read_reduced += 1;
        }
    }
    // Some of them need a reduced pass (measured: 3 of 12).
    assert!(
        read_reduced >= 3,
        "only {read_reduced} needed a reduced pass"
    );
}

#[test]
fn corpus_lookup_skips_outside_ci_and_fails_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let line = format!(
        "QR corpus not found at '{}'; set KEYFOB_QR_CORPUS",
        path.display()
    );
    assert_eq!(
        qr_corpus_at(path.clone(), false),
        Corpus::Skipped(format!("skipped: {line}"))
    );
    let Corpus::Missing(message) = qr_corpus_at(path.clone(), true) else {
        panic!("an absent corpus under CI must fail");
    };
    assert!(message.starts_with(&line), "{message}");
    std::fs::write(path.join("README.md"), "corpus").unwrap();
    assert_eq!(
        qr_corpus_at(path.clone(), true),
        Corpus::Found(path.clone())
    );
    assert_eq!(qr_corpus_at(path.clone(), false), Corpus::Found(path));
}

#[test]
fn corpus_is_taken_from_keyfob_qr_corpus_else_beside_the_repository() {
    assert_eq!(
        qr_corpus_dir(Some("/elsewhere/corpus".into())),
        PathBuf::from("/elsewhere/corpus")
    );
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/qr-corpus");
    assert_eq!(qr_corpus_dir(None), beside);
    assert_eq!(qr_corpus_dir(Some("".into())), beside);
}
