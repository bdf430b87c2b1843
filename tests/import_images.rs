//! `keyfob import IMAGE...` end to end: generated screenshots and photos with
//! otpauth and Google Authenticator export codes, codes that are not for OTP,
//! images with no code, broken images, directories and `--dry-run`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Cursor;
use std::path::PathBuf;

use image::{DynamicImage, GrayImage, ImageFormat, Luma, imageops};
use keyfob::{Account, Algorithm, Kind, Secret};
use predicates::prelude::*;

mod common;
use common::{Env, render_qr};

fn code(env: &Env, query: &str, at: i64) -> String {
    let out = env
        .cmd()
        .args(["code", query, "--at", &at.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A light-grey "screenshot" with the codes pasted side by side.
fn screenshot(codes: &[GrayImage]) -> GrayImage {
    let mut canvas = GrayImage::from_pixel(1600, 900, Luma([236]));
    let mut x = 60;
    for code in codes {
        imageops::replace(&mut canvas, code, x, 200);
        x += i64::from(code.width()) + 80;
    }
    canvas
}

fn save(image: &GrayImage, path: &PathBuf, format: ImageFormat) {
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(DynamicImage::ImageLuma8(image.clone()).to_rgb8())
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    std::fs::write(path, bytes).unwrap();
}

const GITHUB: &str =
    "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const SECRET_LINK: &str = "https://example.com/reset?token=do-not-print-this";

fn google_accounts() -> Vec<Account> {
    vec![
        Account::new(
            "Mail",
            "carol@example.org",
            Secret::from_base32("KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ").unwrap(),
            Kind::DEFAULT_TOTP,
            Algorithm::Sha256,
            8,
            0,
        )
        .unwrap(),
        Account::new(
            "Bank",
            "dave",
            Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
            Kind::Hotp { counter: 7 },
            Algorithm::Sha1,
            6,
            0,
        )
        .unwrap(),
        Account::new(
            "Shop",
            "erin",
            Secret::from_base32("MFRGGZDFMZTWQ2LK").unwrap(),
            Kind::DEFAULT_TOTP,
            Algorithm::Sha512,
            6,
            0,
        )
        .unwrap(),
    ]
}

#[test]
fn screenshot_photo_and_google_export_import_with_a_per_file_summary() {
    let env = Env::new();
    // A Google "Transfer accounts" export split over two codes, negative batch id.
    let google = keyfob::export::google_qr::encode_batches(&google_accounts(), 2, -1_234_567);
    assert_eq!(google.uris.len(), 2);

    let images = env.path("images");
    std::fs::create_dir_all(images.join("phone")).unwrap();
    // An enrolment screenshot: the OTP code next to an unrelated link code.
    save(
        &screenshot(&[render_qr(GITHUB, 5), render_qr(SECRET_LINK, 5)]),
        &images.join("enrol.png"),
        ImageFormat::Png,
    );
    // A JPEG "photo" of the first Google code, in a subdirectory.
    let photo = imageops::blur(&render_qr(&google.uris[0], 6), 1.2);
    save(
        &photo,
        &images.join("phone/transfer-1.jpg"),
        ImageFormat::Jpeg,
    );
    // Not an image at all: ignored by nobody, reported.
    save(
        &GrayImage::from_pixel(300, 200, Luma([255])),
        &images.join("blank.gif"),
        ImageFormat::Gif,
    );

    let vault_before = std::fs::read(env.path("vault.age")).unwrap();
    let dry = env
        .cmd()
        .args(["import", "--dry-run"])
        .arg(&images)
        .output()
        .unwrap();
    let dry_out = String::from_utf8(dry.stdout).unwrap();
    assert!(dry_out.contains("Would import 3 accounts"), "{dry_out}");
    assert!(dry_out.contains("would add: GitHub (alice@example.com)"));
    assert_eq!(std::fs::read(env.path("vault.age")).unwrap(), vault_before);
    assert!(env.list().is_empty());

    let out = env.cmd().arg("import").arg(&images).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // An image without a code is a failed file: exit 1, the rest still imported.
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("enrol.png (image): 1 added, 1 QR code not for OTP (a web link)"));
    assert!(
        stdout.contains("transfer-1.jpg (image): 2 added"),
        "{stdout}"
    );
    assert!(
        stdout.contains("blank.gif: failed, nothing imported"),
        "{stdout}"
    );
    assert!(
        stderr.contains("blank.gif") && stderr.contains("no QR code found"),
        "{stderr}"
    );
    assert!(stdout.contains("QR code 2 of 2 not read yet"), "{stdout}");
    assert!(stdout.contains("Imported 3 accounts from 3 files, 1 file failed"));
    // The link is described, never printed.
    assert!(!stdout.contains("do-not-print-this") && !stderr.contains("do-not-print-this"));

    let listed = env.list();
    let labels: Vec<(String, String, String)> = listed
        .iter()
        .map(|a| {
            (
                a["issuer"].as_str().unwrap().to_string(),
                a["name"].as_str().unwrap().to_string(),
                a["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(labels.contains(&("GitHub".into(), "alice@example.com".into(), "totp".into())));
    assert!(labels.contains(&("Mail".into(), "carol@example.org".into(), "totp".into())));
    assert!(labels.contains(&("Bank".into(), "dave".into(), "hotp".into())));
    let bank = listed.iter().find(|a| a["name"] == "dave").unwrap();
    assert_eq!(bank["counter"], 7);
    let mail = listed
        .iter()
        .find(|a| a["name"] == "carol@example.org")
        .unwrap();
    assert_eq!(
        (mail["algorithm"].as_str(), mail["digits"].as_u64()),
        (Some("SHA256"), Some(8))
    );
    // The codes are right: RFC 6238's SHA-1 example secret gives a known code.
    assert_eq!(code(&env, "github", 59), "996554");

    // The second Google code completes the set; nothing is imported twice.
    save(
        &render_qr(&google.uris[1], 4),
        &images.join("phone/transfer-2.png"),
        ImageFormat::Png,
    );
    std::fs::remove_file(images.join("blank.gif")).unwrap();
    env.cmd()
        .arg("import")
        .arg(&images)
        .assert()
        .success()
        .stdout(predicate::str::contains("transfer-2.png (image): 1 added"))
        .stdout(predicate::str::contains(
            "enrol.png (image): 0 added, 1 duplicate skipped",
        ))
        .stdout(predicate::str::contains("not read yet").not())
        .stdout(predicate::str::contains(
            "Imported 1 account from 3 files, 3 duplicates skipped.",
        ));
    assert_eq!(env.list().len(), 4);
}

#[test]
fn broken_and_codeless_images_fail_cleanly_and_change_nothing() {
    let env = Env::new();
    env.cmd().args(["add", GITHUB]).assert().success();
    let vault_before = std::fs::read(env.path("vault.age")).unwrap();

    save(
        &GrayImage::from_fn(640, 480, |x, y| Luma([((x * 7 + y * 3) % 256) as u8])),
        &env.path("gradient.png"),
        ImageFormat::Png,
    );
    let mut png = Vec::new();
    DynamicImage::ImageLuma8(render_qr(GITHUB, 4))
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    std::fs::write(env.path("truncated.png"), &png[..png.len() / 2]).unwrap();
    std::fs::write(env.path("empty.jpg"), b"").unwrap();

    for (file, message) in [
        ("gradient.png", "no QR code found"),
        ("truncated.png", "the image is corrupt or truncated"),
        ("empty.jpg", "the file is empty"),
    ] {
        let out = env
            .cmd()
            .arg("import")
            .arg(env.path(file))
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{file}: {text}");
        assert!(text.contains(message), "{file}: {text}");
        assert!(!text.contains("panicked"), "{file}: {text}");
    }
    env.cmd()
        .arg("import")
        .arg(env.path("no-such-file.png"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("no-such-file.png"));
    assert_eq!(std::fs::read(env.path("vault.age")).unwrap(), vault_before);
}
