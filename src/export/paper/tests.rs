//! Unit tests for the paper sheet: checksums, fingerprints and layout geometry.

use super::*;
use crate::account::Algorithm;

/// An account as a vault written before the input rules may hold it: control
/// characters and an exhausted counter included (`Account::new` refuses those).
fn account(issuer: &str, name: &str, secret: Secret, kind: Kind) -> Account {
    let usable = match kind {
        Kind::Hotp { .. } => Kind::Hotp { counter: 0 },
        other => other,
    };
    let mut account = Account::new("x", "y", secret, usable, Algorithm::Sha1, 6, 0).unwrap();
    account.issuer = issuer.trim().to_string();
    account.name = name.trim().to_string();
    account.kind = kind;
    account.validate().unwrap();
    account
}

fn simple(issuer: &str, name: &str) -> Account {
    account(
        issuer,
        name,
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        Kind::DEFAULT_TOTP,
    )
}

#[test]
fn checksum_matches_the_documented_procedure() {
    // J=9 B=1 S=18 W=22: x = 9, 10, 28, 50-32=18; y = 9, 19, 47-32=15, 33-32=1.
    assert_eq!(line_checksum("JBSW").as_str(), "SB");
    assert_eq!(line_checksum("").as_str(), "AA");
    // Spaces, dashes and case do not matter.
    assert_eq!(
        line_checksum("jbsw-y3dp ehpk 3pxp").as_str(),
        line_checksum("JBSWY3DPEHPK3PXP").as_str()
    );
}

#[test]
fn checksum_catches_every_single_typo_and_neighbour_swap() {
    let line = "JBSWY3DPEHPK3PXP";
    let original = line_checksum(line);
    let chars: Vec<char> = line.chars().collect();
    for position in 0..chars.len() {
        for &symbol in BASE32 {
            let symbol = char::from(symbol);
            if symbol == chars[position] {
                continue;
            }
            let mut typo = chars.clone();
            typo[position] = symbol;
            let typo: String = typo.into_iter().collect();
            assert_ne!(line_checksum(&typo), original, "typo {typo} not caught");
        }
    }
    for position in 0..chars.len() - 1 {
        if chars[position] == chars[position + 1] {
            continue;
        }
        let mut swapped = chars.clone();
        swapped.swap(position, position + 1);
        let swapped: String = swapped.into_iter().collect();
        assert_ne!(
            line_checksum(&swapped),
            original,
            "swap {swapped} not caught"
        );
    }
}

#[test]
fn secret_lines_group_by_four_and_sixteen() {
    let lines = secret_lines(&Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].groups.as_str(), "JBSW Y3DP EHPK 3PXP");
    assert_eq!(lines[0].check, line_checksum("JBSWY3DPEHPK3PXP"));
    assert_eq!(format!("{:?}", lines[0]), "SecretLine([REDACTED])");

    // 20 bytes = 32 characters = two full lines; 21 bytes = 34 characters = three lines.
    let lines = secret_lines(&Secret::from_bytes(vec![7; 21]).unwrap());
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2].groups.len(), 2);
    let joined: String = lines.iter().map(|l| l.groups.replace(' ', "")).collect();
    assert_eq!(
        joined,
        Secret::from_bytes(vec![7; 21])
            .unwrap()
            .to_base32()
            .as_str()
    );
}

#[test]
fn fingerprint_ignores_order_and_sees_changes() {
    let a = simple("GitHub", "alice");
    let b = simple("GitLab", "bob");
    let one = sheet_fingerprint(&[a.clone(), b.clone()]);
    assert_eq!(one, sheet_fingerprint(&[b.clone(), a.clone()]));
    assert_eq!(one.len(), 9);
    assert_eq!(one.as_bytes()[4], b'-');
    assert!(
        one.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())
    );
    assert_ne!(one, sheet_fingerprint(std::slice::from_ref(&a)));
    let mut renamed = b;
    renamed.name = "bobby".into();
    assert_ne!(one, sheet_fingerprint(&[a, renamed]));
}

#[test]
fn empty_and_oversized_sets_are_refused() {
    assert!(matches!(
        paper_sheet(&[], &PaperOptions::default()),
        Err(ExportError::NoAccounts)
    ));
}

#[test]
fn paper_size_names() {
    assert_eq!(PaperSize::parse("A4"), Some(PaperSize::A4));
    assert_eq!(PaperSize::parse(" Letter "), Some(PaperSize::Letter));
    assert_eq!(PaperSize::parse("legal"), None);
    assert_eq!(PaperSize::Letter.to_string(), "letter");
}

#[test]
fn wrapping_respects_width_and_line_limit() {
    let fonts = Fonts::load().unwrap();
    let text = "averyveryverylongwordwithoutanyspaces and then some ordinary words";
    let lines = fonts.wrap(Face::Regular, text, 10.0, 100.0, 10);
    assert!(lines.len() > 2);
    for line in &lines {
        assert!(fonts.width(Face::Regular, line, 10.0) <= 100.0, "{line:?}");
    }
    let joined: String = lines.iter().map(|l| l.replace(' ', "")).collect();
    assert_eq!(joined, text.replace(' ', ""));
    let cut = fonts.wrap(Face::Regular, text, 10.0, 100.0, 2);
    assert_eq!(cut.len(), 2);
    assert!(cut[1].ends_with('…'));
    assert!(fonts.width(Face::Regular, &cut[1], 10.0) <= 100.0);
}

/// Tricky accounts: huge names, a maximal secret, no issuer, other scripts.
fn tricky_accounts() -> Vec<Account> {
    let long = "x".repeat(4096);
    let spaced = "word ".repeat(800);
    vec![
        simple("GitHub", "alice@example.com"),
        simple(&long, &long),
        simple("", &spaced),
        simple("Ünïcødé Bank Ελληνικά", "Пользователь\tname\nwith controls"),
        account(
            "Big",
            "secret",
            Secret::from_bytes(vec![0xA5; crate::secret::MAX_SECRET_LEN]).unwrap(),
            Kind::Hotp { counter: u64::MAX },
        ),
        account(
            &"Long Issuer Name ".repeat(20),
            "sha512",
            Secret::from_bytes(vec![1; 64]).unwrap(),
            Kind::Steam,
        ),
    ]
}

/// Right edge of a text operation.
fn text_right(fonts: &Fonts, op: &Op) -> Option<(f32, f32, f32, f32)> {
    match op {
        Op::Text {
            x,
            y,
            size,
            face,
            text,
            ..
        } => Some((*x, *y - size, *x + fonts.width(*face, text, *size), *y)),
        _ => None,
    }
}

#[test]
fn blocks_fit_their_page_and_text_stays_clear_of_qr_codes() {
    let fonts = Fonts::load().unwrap();
    let accounts = tricky_accounts();
    for size in [PaperSize::A4, PaperSize::Letter] {
        let options = PaperOptions {
            size,
            date: "2026-11-23".into(),
            title: "A title ".repeat(30),
        };
        let sheet = layout(&accounts, &options, &fonts).unwrap();
        let (page_w, page_h) = size.dimensions();
        let content_w = page_w - 2.0 * MARGIN_X;
        let content_h = page_h - 2.0 * MARGIN_Y - HEADER_H - FOOTER_H;
        let placed: usize = sheet.pages.iter().map(Vec::len).sum();
        assert_eq!(placed, accounts.len());
        for (page_index, page) in sheet.pages.iter().enumerate() {
            let space = if page_index == 0 {
                content_h + HEADER_H - sheet.intro.height
            } else {
                content_h
            };
            let used: f32 = page.iter().map(|(_, block)| block.height).sum();
            assert!(
                used <= space + 0.01,
                "page {page_index} overflows: {used} > {space}"
            );
            for (_, block) in page {
                let qr = block.ops.iter().find_map(|op| match op {
                    Op::Qr { x, y, side, .. } => Some((*x, *y, *side)),
                    _ => None,
                });
                for op in &block.ops {
                    let Some((left, top, right, bottom)) = text_right(&fonts, op) else {
                        continue;
                    };
                    assert!(
                        right <= content_w + 0.01,
                        "text overflows the page: {right} {left} {top} {:?}",
                        match op {
                            Op::Text { text, size, .. } =>
                                (text.chars().take(30).collect::<String>(), *size),
                            _ => unreachable!(),
                        }
                    );
                    assert!(left >= 0.0);
                    assert!(bottom <= block.height);
                    if let Some((qx, qy, side)) = qr {
                        let beside = bottom < qy || top > qy + side;
                        assert!(
                            beside || left >= qx + side + QR_GAP - 0.01,
                            "text over the QR code"
                        );
                    }
                }
            }
        }
        for op in &sheet.intro.ops {
            if let Some((_, _, right, _)) = text_right(&fonts, op) {
                assert!(right <= content_w + 0.01, "intro text overflows: {right}");
            }
        }
    }
}

#[test]
fn qr_codes_are_at_least_35_mm() {
    let fonts = Fonts::load().unwrap();
    let block = account_block(&simple("GitHub", "alice"), 1, 1, &fonts, 500.0, 700.0);
    let side = block
        .ops
        .iter()
        .find_map(|op| match op {
            Op::Qr { side, .. } => Some(*side),
            _ => None,
        })
        .unwrap();
    assert!(side >= 35.0 * MM, "QR side {side} pt");
}

#[test]
fn renders_a_pdf() {
    let accounts = tricky_accounts();
    let pdf = paper_sheet(&accounts, &PaperOptions::default()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let mut out = Vec::new();
    write_paper_sheet(&accounts[..1], &PaperOptions::default(), &mut out).unwrap();
    assert!(out.starts_with(b"%PDF-"));
}

/// The winding number of the centre of module (`col`, `row`) for the outline
/// loops: signed crossings of a ray going right (down-going sides count +1).
fn winding(loops: &[Vec<Corner>], col: usize, row: usize) -> i32 {
    let (px, py) = (col as f32 + 0.5, row as f32 + 0.5);
    let mut total = 0;
    for outline in loops {
        for (index, &(x0, y0)) in outline.iter().enumerate() {
            let (x1, y1) = outline[(index + 1) % outline.len()];
            assert!(x0 == x1 || y0 == y1, "a side that is not straight");
            let (x, y0, y1) = (f32::from(x0), f32::from(y0), f32::from(y1));
            if x0 == x1 && x > px && y0.min(y1) < py && py < y0.max(y1) {
                total += if y1 > y0 { 1 } else { -1 };
            }
        }
    }
    total
}

fn assert_outline_covers_exactly(matrix: &QrMatrix) {
    let loops = qr_outline(matrix);
    for outline in &loops {
        assert!(outline.len() >= 4, "a loop with {} corners", outline.len());
        for (index, here) in outline.iter().enumerate() {
            assert!(usize::from(here.0) <= matrix.width && usize::from(here.1) <= matrix.width);
            let before = outline[(index + outline.len() - 1) % outline.len()];
            let after = outline[(index + 1) % outline.len()];
            let straight = (before.0 == here.0 && here.0 == after.0)
                || (before.1 == here.1 && here.1 == after.1);
            assert!(!straight, "corner {here:?} does not turn");
        }
    }
    for row in 0..matrix.width {
        for col in 0..matrix.width {
            let dark = matrix.dark[row * matrix.width + col];
            assert_eq!(
                winding(&loops, col, row),
                i32::from(dark),
                "module ({col}, {row}) of a {}-wide matrix",
                matrix.width
            );
        }
    }
}

#[test]
fn qr_outline_covers_exactly_the_dark_modules() {
    // Real codes, small and large.
    for payload in [
        "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP".to_string(),
        format!("otpauth://totp/Big:secret?secret={}", "A".repeat(400)),
    ] {
        let code = crate::export::png::encode(payload.as_bytes()).unwrap();
        let matrix = QrMatrix {
            width: code.width(),
            dark: code.to_colors().iter().map(|c| *c == Color::Dark).collect(),
        };
        assert_outline_covers_exactly(&matrix);
    }
    // Modules touching only at corners, holes, full and empty grids, noise.
    let checker = |width: usize| QrMatrix {
        width,
        dark: (0..width * width)
            .map(|i| (i / width + i % width).is_multiple_of(2))
            .collect(),
    };
    let ring = QrMatrix {
        width: 5,
        dark: (0..25)
            .map(|i| ![6, 7, 8, 11, 13, 16, 17, 18].contains(&i) || i == 12)
            .collect(),
    };
    let mut state: u32 = 12345;
    let noise = QrMatrix {
        width: 41,
        dark: (0..41 * 41)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (state >> 16) & 1 == 1
            })
            .collect(),
    };
    for matrix in [
        checker(1),
        checker(2),
        checker(7),
        ring,
        noise,
        QrMatrix {
            width: 3,
            dark: vec![true; 9],
        },
        QrMatrix {
            width: 3,
            dark: vec![false; 9],
        },
    ] {
        assert_outline_covers_exactly(&matrix);
    }
    // Merging saves: a full grid is one square of four corners.
    let full = qr_outline(&QrMatrix {
        width: 4,
        dark: vec![true; 16],
    });
    assert_eq!(full, vec![vec![(0, 0), (4, 0), (4, 4), (0, 4)]]);
}
