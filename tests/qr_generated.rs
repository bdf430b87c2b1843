//! QR decoding of generated images: otpauth URIs rendered with the `qrcode` crate, then
//! degraded the ways real screenshots and photos are, and decoded back exactly.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, Luma, imageops};
use keyfob::qr::{self, QrError};

mod common;
use common::render_qr;

const URI: &str = "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30";
const URI_2: &str =
    "otpauth://hotp/Bank:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Bank&counter=7";
const URI_3: &str =
    "otpauth://totp/Mail:carol%40example.org?secret=KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TFOQ&digits=8";

fn encode(image: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    // RGB, which every encoder takes (GIF refuses greyscale).
    DynamicImage::ImageRgb8(DynamicImage::ImageLuma8(image.clone()).to_rgb8())
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

fn decode(image: &GrayImage) -> Vec<Vec<u8>> {
    qr::decode_image(&DynamicImage::ImageLuma8(image.clone()))
}

fn assert_reads(image: &GrayImage, expected: &[&str]) {
    let mut got: Vec<String> = decode(image)
        .into_iter()
        .map(|code| String::from_utf8(code).unwrap())
        .collect();
    got.sort();
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn plain_rendering_reads_back_exactly() {
    assert_reads(&render_qr(URI, 4), &[URI]);
}

#[test]
fn every_supported_file_format_reads_back() {
    let image = render_qr(URI, 4);
    for format in [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::Bmp,
        ImageFormat::WebP,
        ImageFormat::Tiff,
    ] {
        let codes = qr::decode_image_bytes(&encode(&image, format)).unwrap();
        assert_eq!(codes, vec![URI.as_bytes().to_vec()], "{format:?}");
    }
}

#[test]
fn scaled_by_odd_factors() {
    let image = render_qr(URI, 3);
    for (num, den) in [(5u32, 3u32), (7, 2), (2, 3)] {
        let scaled = imageops::resize(
            &image,
            image.width() * num / den,
            image.height() * num / den,
            imageops::FilterType::Triangle,
        );
        assert_reads(&scaled, &[URI]);
    }
}

#[test]
fn blurred() {
    assert_reads(&imageops::blur(&render_qr(URI, 6), 1.5), &[URI]);
}

#[test]
fn jpeg_compressed_hard() {
    let image = imageops::resize(&render_qr(URI, 3), 250, 250, imageops::FilterType::Triangle);
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 25)
        .encode_image(&image)
        .unwrap();
    assert_eq!(
        qr::decode_image_bytes(&bytes).unwrap(),
        vec![URI.as_bytes().to_vec()]
    );
}

#[test]
fn rotated_by_quarter_turns() {
    let image = render_qr(URI, 4);
    assert_reads(&imageops::rotate90(&image), &[URI]);
    assert_reads(&imageops::rotate180(&image), &[URI]);
    assert_reads(&imageops::rotate270(&image), &[URI]);
}

#[test]
fn rotated_by_an_odd_angle() {
    let image = render_qr(URI, 5);
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let side = (w * 1.5) as u32;
    let angle = 17f64.to_radians();
    let (sin, cos) = angle.sin_cos();
    let (c, src_c) = (f64::from(side) / 2.0, (w / 2.0, h / 2.0));
    let rotated = GrayImage::from_fn(side, side, |x, y| {
        let (dx, dy) = (f64::from(x) - c, f64::from(y) - c);
        let (sx, sy) = (
            cos * dx + sin * dy + src_c.0,
            -sin * dx + cos * dy + src_c.1,
        );
        if sx >= 0.0 && sy >= 0.0 && sx < w && sy < h {
            *image.get_pixel(sx as u32, sy as u32)
        } else {
            Luma([255])
        }
    });
    assert_reads(&rotated, &[URI]);
}

#[test]
fn inverted_dark_mode_code() {
    let mut image = render_qr(URI, 4);
    imageops::invert(&mut image);
    assert_reads(&image, &[URI]);
}

/// A code saved from a web page: black modules on a transparent background whose
/// hidden colour is also black, so only the alpha channel draws the code.
#[test]
fn transparent_background_png_reads_as_on_white() {
    let code = render_qr(URI, 4);
    let rgba = image::RgbaImage::from_fn(code.width(), code.height(), |x, y| {
        image::Rgba([0, 0, 0, 255 - code.get_pixel(x, y).0[0]])
    });
    let grey_alpha = image::GrayAlphaImage::from_fn(code.width(), code.height(), |x, y| {
        image::LumaA([0, 255 - code.get_pixel(x, y).0[0]])
    });
    let deep = DynamicImage::ImageRgba8(rgba.clone()).to_rgba16();
    for image in [
        DynamicImage::ImageRgba8(rgba),
        DynamicImage::ImageLumaA8(grey_alpha),
        DynamicImage::ImageRgba16(deep),
    ] {
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        let codes = qr::decode_image_bytes(&bytes).unwrap();
        assert_eq!(codes, vec![URI.as_bytes().to_vec()], "{:?}", image.color());
    }
}

/// A grey 1920x1080 "screenshot" with stripes of text-like noise and the code in it.
fn screenshot() -> GrayImage {
    let mut state = 0x2545_f491_u32;
    GrayImage::from_fn(1920, 1080, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let text_row = (y / 12) % 3 == 0 && x % 400 < 300;
        Luma([if text_row && state.is_multiple_of(3) {
            40
        } else {
            225
        }])
    })
}

#[test]
fn small_code_in_a_large_screenshot() {
    let mut screen = screenshot();
    imageops::replace(&mut screen, &render_qr(URI, 3), 1500, 600);
    assert_reads(&screen, &[URI]);
    let png = encode(&screen, ImageFormat::Png);
    assert_eq!(
        qr::decode_image_bytes(&png).unwrap(),
        vec![URI.as_bytes().to_vec()]
    );
}

#[test]
fn several_codes_in_one_image_are_all_returned() {
    let mut screen = screenshot();
    imageops::replace(&mut screen, &render_qr(URI, 4), 100, 100);
    imageops::replace(&mut screen, &render_qr(URI_2, 4), 800, 300);
    imageops::replace(&mut screen, &render_qr(URI_3, 4), 1400, 500);
    assert_reads(&screen, &[URI, URI_2, URI_3]);
}

#[test]
fn the_same_code_twice_is_returned_once() {
    let code = render_qr(URI, 4);
    let mut screen = GrayImage::from_pixel(code.width() * 3, code.height() + 40, Luma([255]));
    imageops::replace(&mut screen, &code, 0, 20);
    imageops::replace(&mut screen, &code, i64::from(code.width() * 2), 20);
    assert_reads(&screen, &[URI]);
}

#[test]
fn binary_payload_comes_back_as_bytes() {
    // Not UTF-8: read by whichever decoder, the code must not come back as garbage text.
    let payload = [0x00u8, 0xff, 0x80, 0x41, 0xfe];
    let code = qrcode::QrCode::new(payload).unwrap();
    let width = u32::try_from(code.width()).unwrap();
    let colors = code.to_colors();
    let image = GrayImage::from_fn((width + 8) * 4, (width + 8) * 4, |x, y| {
        let (mx, my) = ((x / 4).wrapping_sub(4), (y / 4).wrapping_sub(4));
        let dark =
            mx < width && my < width && colors[(my * width + mx) as usize] == qrcode::Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    });
    let codes = decode(&image);
    assert_eq!(codes.len(), 1);
    assert!(!codes[0].is_empty());
}

#[test]
fn an_image_without_a_code_is_no_code_found() {
    let png = encode(&screenshot(), ImageFormat::Png);
    assert!(matches!(
        qr::decode_image_bytes(&png),
        Err(QrError::NoCodeFound)
    ));
    let blank = encode(&GrayImage::from_pixel(1, 1, Luma([0])), ImageFormat::Png);
    assert!(matches!(
        qr::decode_image_bytes(&blank),
        Err(QrError::NoCodeFound)
    ));
}

#[test]
fn garbage_bytes_are_a_clear_error() {
    let err = qr::decode_image_bytes(b"otpauth://totp/not-an-image").unwrap_err();
    assert!(matches!(err, QrError::UnsupportedFormat), "{err:?}");
    assert!(err.to_string().contains("unsupported image format"));
    assert!(matches!(
        qr::decode_image_bytes(&[]),
        Err(QrError::UnsupportedFormat)
    ));
}

#[test]
fn truncated_image_is_corrupt() {
    let png = encode(&render_qr(URI, 4), ImageFormat::Png);
    for cut in [20, png.len() / 2, png.len() - 13] {
        let err = qr::decode_image_bytes(&png[..cut]).unwrap_err();
        assert!(matches!(err, QrError::Corrupt(_)), "cut at {cut}: {err:?}");
    }
}

#[test]
fn oversized_image_is_too_large() {
    let wide = GrayImage::from_pixel(qr::MAX_DIMENSION + 1, 1, Luma([255]));
    let err = qr::decode_image_bytes(&encode(&wide, ImageFormat::Png)).unwrap_err();
    assert!(
        matches!(
            err,
            QrError::TooLarge {
                width: 16385,
                height: 1,
                limit: qr::SizeLimit::Side
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the image is 16385x1 pixels; keyfob reads images up to 16384 pixels on a side: scale it down (a QR code reads well at 1000 to 3000 pixels on a side)"
    );
}

#[test]
fn errors_never_echo_the_payload() {
    let png = encode(&render_qr(URI, 4), ImageFormat::Png);
    let err = qr::decode_image_bytes(&png[..png.len() / 2]).unwrap_err();
    assert!(!format!("{err} {err:?}").contains("JBSWY3DPEHPK3PXP"));
}
