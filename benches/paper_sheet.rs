//! Times the paper sheet for 200 accounts and reports the PDF size and pages.
//!
//! Run with `cargo bench --bench paper_sheet`. Set `KEYFOB_BENCH_PDF=path` to
//! keep the PDF for a look; `KEYFOB_BENCH_COUNT` changes the number of accounts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use keyfob::export::paper::{PaperOptions, PaperSize, paper_sheet};
use keyfob::{Account, Algorithm, Kind, Secret};

fn main() {
    let count: usize = std::env::var("KEYFOB_BENCH_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let size = match std::env::var("KEYFOB_BENCH_PAPER").as_deref() {
        Ok("letter") => PaperSize::Letter,
        _ => PaperSize::A4,
    };
    let accounts: Vec<Account> = (0..count)
        .map(|i| {
            let len = [20, 10, 32, 64, 20].get(i % 5).copied().unwrap_or(20);
            let bytes: Vec<u8> = (0..len).map(|j| (i * 31 + j * 7 + 1) as u8).collect();
            let (kind, algorithm, digits) = match i % 5 {
                1 => (Kind::Hotp { counter: i as u64 }, Algorithm::Sha1, 6),
                2 => (Kind::Totp { period: 60 }, Algorithm::Sha256, 8),
                3 => (Kind::DEFAULT_TOTP, Algorithm::Sha512, 6),
                _ => (Kind::DEFAULT_TOTP, Algorithm::Sha1, 6),
            };
            let name = if i % 6 == 4 {
                format!("user{i} with a rather long display name that has to wrap somewhere {i}")
            } else {
                format!("user{i}@example.com")
            };
            let issuer = if i % 7 == 3 {
                String::new()
            } else {
                format!("Service {i}")
            };
            Account::new(
                &issuer,
                &name,
                Secret::from_bytes(bytes).unwrap(),
                kind,
                algorithm,
                digits,
                0,
            )
            .unwrap()
        })
        .collect();
    let options = PaperOptions {
        size,
        date: "2026-11-23".into(),
        title: "keyfob paper backup".into(),
    };
    let runs = 5;
    let mut best = f64::MAX;
    let mut bytes = 0;
    let mut pages = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let pdf = paper_sheet(&accounts, &options).unwrap();
        best = best.min(start.elapsed().as_secs_f64());
        bytes = pdf.len();
        pages = page_objects(&pdf);
        if let Ok(path) = std::env::var("KEYFOB_BENCH_PDF") {
            std::fs::write(path, pdf.as_slice()).unwrap();
        }
    }
    println!(
        "paper sheet: {count} accounts, {pages} pages, {bytes} bytes ({:.1} KiB), best of {runs}: {:.1} ms",
        bytes as f64 / 1024.0,
        best * 1000.0
    );
}

/// Page objects in the PDF: `/Type /Page` (with or without the space, as PDF
/// writers differ) not followed by `s` (the page tree).
fn page_objects(pdf: &[u8]) -> usize {
    let key = b"/Type";
    (0..pdf.len())
        .filter(|&at| pdf.get(at..).is_some_and(|rest| rest.starts_with(key)))
        .filter(|&at| {
            let rest = pdf.get(at + key.len()..).unwrap_or_default();
            let start = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let value = rest.get(start..).unwrap_or_default();
            value.starts_with(b"/Page") && value.get(5) != Some(&b's')
        })
        .count()
}
