//! The paper sheet read back the way a person or a phone would: rasterised with
//! `pdftoppm`, QR codes decoded with `zbarimg`, text extracted with `pdftotext`
//! (Debian packages poppler-utils and zbar-tools).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use keyfob::export::paper::{PaperOptions, PaperSize, secret_lines, sheet_fingerprint};
use keyfob::export::write_paper_sheet;
use keyfob::{Account, Algorithm, Kind, Secret, uri};

/// A varied set: plain TOTP, HOTP, Steam, SHA256/512 with longer secrets,
/// long names, no issuer, non-ASCII names.
fn accounts(count: usize) -> Vec<Account> {
    (0..count)
        .map(|i| {
            let bytes: Vec<u8> = (0..[20, 10, 32, 64, 20][i % 5])
                .map(|j| (i * 31 + j * 7 + 1) as u8)
                .collect();
            let secret = Secret::from_bytes(bytes).unwrap();
            let (kind, algorithm, digits) = match i % 5 {
                1 => (
                    Kind::Hotp {
                        counter: i as u64 * 3,
                    },
                    Algorithm::Sha1,
                    6,
                ),
                2 => (Kind::Totp { period: 60 }, Algorithm::Sha256, 8),
                3 => (Kind::DEFAULT_TOTP, Algorithm::Sha512, 7),
                4 if i % 10 == 9 => (Kind::Steam, Algorithm::Sha1, 5),
                _ => (Kind::DEFAULT_TOTP, Algorithm::Sha1, 6),
            };
            let issuer = match i % 7 {
                0 => format!("Service{i}"),
                3 => String::new(),
                5 => format!("Bänk Ünïcode {i}"),
                _ => format!("Issuer {i} Inc."),
            };
            let name = match i % 6 {
                4 => format!(
                    "user{i} with a rather long display name that has to wrap somewhere nice {i}"
                ),
                _ => format!("user{i}@example.com"),
            };
            Account::new(&issuer, &name, secret, kind, algorithm, digits, 0).unwrap()
        })
        .collect()
}

fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("could not run '{program}' ({e}); install poppler-utils and zbar-tools")
        })
}

/// Text of one page (1-based) of the PDF, in physical layout with every run
/// of white space (including line ends) folded into one space.
fn page_text(pdf: &Path, page: usize) -> String {
    let page = page.to_string();
    let out = run(
        "pdftotext",
        &[
            "-layout",
            "-f",
            &page,
            "-l",
            &page,
            pdf.to_str().unwrap(),
            "-",
        ],
    );
    assert!(out.status.success(), "pdftotext failed");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// QR payloads of one rasterised page.
fn page_codes(png: &Path) -> Vec<String> {
    let out = run("zbarimg", &["--raw", "-q", png.to_str().unwrap()]);
    // zbarimg exits 4 when it finds nothing; that is a valid answer here.
    assert!(
        out.status.success() || out.status.code() == Some(4),
        "zbarimg failed"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Account numbers (`#k of N`) shown on a page.
fn tags(text: &str, total: usize) -> Vec<usize> {
    let suffix = format!(" of {total}");
    text.split('#')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..]
                .starts_with(&suffix)
                .then(|| digits.parse().unwrap())
        })
        .collect()
}

/// Writes the sheet for `count` accounts, reads every page back and checks
/// that every account is there exactly once; returns the size of the PDF.
fn check_sheet(count: usize, size: PaperSize) -> usize {
    let accounts = accounts(count);
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("sheet.pdf");
    let options = PaperOptions {
        size,
        date: "2026-11-23".into(),
        title: "keyfob paper backup".into(),
    };
    let mut bytes = Vec::new();
    write_paper_sheet(&accounts, &options, &mut bytes).unwrap();
    std::fs::write(&pdf, &bytes).unwrap();

    let prefix = dir.path().join("page");
    let out = run(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "pdftoppm failed");
    let mut pngs: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    let pages = pngs.len();
    assert!(pages >= 1);

    let expected: Vec<String> = accounts
        .iter()
        .map(|a| uri::format(a).to_string())
        .collect();
    let fingerprint = sheet_fingerprint(&accounts);
    let mut found: BTreeMap<usize, usize> = BTreeMap::new();
    let mut decoded_total = 0;
    for (index, png) in pngs.iter().enumerate() {
        let number = index + 1;
        let text = page_text(&pdf, number);
        assert!(
            text.contains(&format!("page {number} of {pages}")),
            "page {number} has no 'page {number} of {pages}'"
        );
        assert!(
            text.contains(&fingerprint),
            "page {number} lacks the fingerprint"
        );
        if number == 1 {
            assert!(text.contains("How to restore"));
            assert!(text.contains("keyfob import PHOTO.png"));
            assert!(text.contains("keyfob add --issuer"));
            assert!(text.contains("KEEP THIS SHEET SECRET"));
            assert!(text.contains("2026-11-23"));
            assert!(text.contains(&format!("{count} account")));
        }
        let on_page = tags(&text, count);
        let codes = page_codes(png);
        decoded_total += codes.len();
        // No block is split: every account header on this page comes with its
        // QR code, its names and its secret lines, and no code is orphaned.
        assert_eq!(
            codes.len(),
            on_page.len(),
            "page {number}: {} QR codes for {} account headers",
            codes.len(),
            on_page.len()
        );
        for k in on_page {
            let account = &accounts[k - 1];
            assert!(
                codes.contains(&expected[k - 1]),
                "page {number}: QR code of account #{k} missing or wrong"
            );
            let shown = &text;
            for word in account.name.split_whitespace().take(3) {
                assert!(shown.contains(word), "page {number}: name of #{k} missing");
            }
            for word in account.issuer.split_whitespace() {
                assert!(
                    shown.contains(word),
                    "page {number}: issuer of #{k} missing"
                );
            }
            for line in secret_lines(&account.secret) {
                let printed = format!("{} {}", line.groups.as_str(), line.check.as_str());
                assert!(
                    shown.contains(&printed),
                    "page {number}: a secret line of #{k} is missing"
                );
            }
            *found.entry(k).or_default() += 1;
        }
    }
    assert_eq!(decoded_total, count, "extra or missing QR codes");
    assert_eq!(found.len(), count, "some accounts are missing");
    assert!(found.values().all(|&n| n == 1), "an account appears twice");
    bytes.len()
}

#[test]
fn one_account_sheet_reads_back() {
    check_sheet(1, PaperSize::A4);
}

#[test]
fn thirty_account_sheet_reads_back_a4() {
    check_sheet(30, PaperSize::A4);
}

#[test]
fn thirty_account_sheet_reads_back_letter() {
    check_sheet(30, PaperSize::Letter);
}

/// Issue 12: a 200-account sheet was 1.69 MB; QR codes drawn as outlines in
/// module units keep it at most 1 MB, and it still reads back exactly.
#[test]
fn two_hundred_account_sheet_reads_back_and_is_at_most_one_megabyte() {
    let bytes = check_sheet(200, PaperSize::A4);
    assert!(bytes <= 1_000_000, "200-account sheet is {bytes} bytes");
}
