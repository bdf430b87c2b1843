//! Greyscale conversion for decoding.
//!
//! `image`'s own `to_luma8` goes through floating point with rounding per pixel, which
//! cost more than the QR decoder itself on an 8-bit photo. The common 8-bit layouts are
//! converted here with integer weights instead, and a greyscale image is used as is.
//!
//! Transparent pixels are laid over white: a QR code saved from a web page is often
//! black modules on a transparent background whose hidden colour is black too, which
//! would otherwise come out as one black square.

use std::borrow::Cow;

use image::{DynamicImage, GrayImage};

/// Rec. 709 luma weights (as `image` uses) in 1/65536ths; they sum to 65536.
const RED: u32 = 13_933;
const GREEN: u32 = 46_871;
const BLUE: u32 = 4_732;

/// The image in 8-bit greyscale, borrowed when it already is.
pub(crate) fn luma(image: &DynamicImage) -> Cow<'_, GrayImage> {
    let (width, height) = (image.width(), image.height());
    let converted = match image {
        DynamicImage::ImageLuma8(grey) => return Cow::Borrowed(grey),
        DynamicImage::ImageLumaA8(grey) => grey
            .as_raw()
            .as_chunks::<2>()
            .0
            .iter()
            .map(|&[level, alpha]| over_white(level, alpha))
            .collect(),
        DynamicImage::ImageRgb8(rgb) => rgb
            .as_raw()
            .as_chunks::<3>()
            .0
            .iter()
            .map(|&[r, g, b]| weigh(r, g, b))
            .collect(),
        DynamicImage::ImageRgba8(rgba) => rgba_over_white(rgba.as_raw()),
        // 16-bit and floating-point images are rare; convert them the slow way.
        other if other.color().has_alpha() => rgba_over_white(other.to_rgba8().as_raw()),
        other => return Cow::Owned(other.to_luma8()),
    };
    match GrayImage::from_raw(width, height, converted) {
        Some(grey) => Cow::Owned(grey),
        // Unreachable (one output byte per pixel), but never worth a panic.
        None => Cow::Owned(image.to_luma8()),
    }
}

/// Grey levels of 8-bit RGBA pixels laid over white.
fn rgba_over_white(raw: &[u8]) -> Vec<u8> {
    raw.as_chunks::<4>()
        .0
        .iter()
        .map(|&[r, g, b, alpha]| over_white(weigh(r, g, b), alpha))
        .collect()
}

/// Luma of a red, green, blue pixel.
fn weigh(r: u8, g: u8, b: u8) -> u8 {
    let sum = RED * u32::from(r) + GREEN * u32::from(g) + BLUE * u32::from(b);
    // At most (255 * 65536 + 32768) >> 16 = 255.
    ((sum + 32_768) >> 16) as u8
}

/// A grey level with the given opacity, laid over white.
fn over_white(grey: u8, alpha: u8) -> u8 {
    let (grey, alpha) = (u32::from(grey), u32::from(alpha));
    // At most (255 * 255 + 127) / 255 = 255.
    ((grey * alpha + 255 * (255 - alpha) + 127) / 255) as u8
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Luma, LumaA, Rgb, Rgba};

    #[test]
    fn greyscale_is_borrowed_not_copied() {
        let image = DynamicImage::ImageLuma8(GrayImage::from_pixel(3, 2, Luma([9])));
        assert!(matches!(luma(&image), Cow::Borrowed(_)));
    }

    #[test]
    fn colour_matches_image_crate_within_one_level() {
        let rgb = ImageBuffer::from_fn(64, 64, |x, y| {
            Rgb([(x * 4) as u8, (y * 4) as u8, ((x * 7 + y * 13) % 256) as u8])
        });
        let image = DynamicImage::ImageRgb8(rgb);
        let ours = luma(&image);
        let theirs = image.to_luma8();
        assert_eq!(ours.dimensions(), theirs.dimensions());
        for (a, b) in ours.pixels().zip(theirs.pixels()) {
            assert!(a.0[0].abs_diff(b.0[0]) <= 1, "{} vs {}", a.0[0], b.0[0]);
        }
        let pure = DynamicImage::ImageRgb8(ImageBuffer::from_fn(2, 1, |x, _| {
            Rgb(if x == 0 { [0, 0, 0] } else { [255, 255, 255] })
        }));
        assert_eq!(luma(&pure).as_raw(), &vec![0, 255]);
    }

    #[test]
    fn transparent_pixels_become_white_and_opaque_keep_their_level() {
        let rgba = ImageBuffer::from_fn(3, 1, |x, _| match x {
            0 => Rgba([0, 0, 0, 0]),
            1 => Rgba([0, 0, 0, 255]),
            _ => Rgba([0, 0, 0, 128]),
        });
        let image = DynamicImage::ImageRgba8(rgba);
        let out = luma(&image);
        assert_eq!(out.as_raw()[..2], [255, 0]);
        assert!((126..=128).contains(&out.as_raw()[2]));
        let grey_alpha =
            ImageBuffer::from_fn(2, 1, |x, _| LumaA([0, if x == 0 { 0 } else { 255 }]));
        assert_eq!(
            luma(&DynamicImage::ImageLumaA8(grey_alpha)).as_raw(),
            &vec![255, 0]
        );
        let deep = ImageBuffer::from_fn(2, 1, |x, _| {
            Rgba([0u16, 0, 0, if x == 0 { 0 } else { 65_535 }])
        });
        assert_eq!(
            luma(&DynamicImage::ImageRgba16(deep)).as_raw(),
            &vec![255, 0]
        );
    }
}
