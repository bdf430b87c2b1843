//! The decoding cascade: a fast primary attempt, then fallbacks only after a failure.
//!
//! Each stage is a decoder (`rxing`'s two QR readers, `rqrr`) applied to a variant
//! of the greyscale image (as is, binarised another way, rescaled, inverted,
//! undistorted). The first stage that reads anything ends the cascade. Both decoders
//! check Reed-Solomon error correction, so a stage either reads a code exactly or
//! reads nothing; the fallbacks add recall, not wrong answers.

use std::cell::Cell;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use image::{GrayImage, imageops};
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::QRCodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, Binarizer, BinaryBitmap, DecodeHints, Luma8Source, Reader};

/// Images smaller than this on their longer side are also tried upscaled; images at
/// least this large are also tried at half size, and at a quarter from twice this.
const UPSCALE_BELOW: u32 = 1_000;

thread_local! {
    /// Set while this thread runs a decoder, so the panic hook stays quiet.
    static IN_DECODER: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Runs `f`, turning a panic inside it into `None` without printing the panic message.
///
/// The process-wide panic hook is wrapped once: it stays silent only on a thread
/// that is inside a decoder and defers to the previous hook everywhere else.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_DECODER.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = IN_DECODER.with(|flag| flag.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    IN_DECODER.with(|flag| flag.set(was));
    result.ok()
}

/// A decoder applied to a prepared image.
#[derive(Clone, Copy)]
enum Engine {
    /// rxing's port of zxing-cpp's QR reader (several codes per image), hybrid binariser.
    RxingHybrid,
    /// The same reader on a global-histogram binarisation.
    RxingGlobal,
    /// rxing's port of ZXing's classic Java QR reader (one code), hybrid binariser.
    RxingClassic,
    /// rqrr with its own local-mean thresholding.
    Rqrr,
}

/// A variant of the greyscale image.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// As loaded.
    Original,
    /// Twice the size (only for images smaller than [`UPSCALE_BELOW`]).
    Doubled,
    /// Halved `.0` times (only while the result keeps at least [`UPSCALE_BELOW`] / 2
    /// pixels on its longer side): a large photo whose code fills much of it has
    /// modules too big for the binariser's local windows.
    Halved(u32),
    /// Black and white swapped.
    Inverted,
    /// Radial distortion corrected by `.0` percent at the corners, for codes on a
    /// curved surface (a bent card, a shirt) or behind a wide-angle lens.
    Undistorted(i32),
}

/// One attempt of the cascade.
struct Stage {
    name: &'static str,
    variant: Variant,
    engine: Engine,
}

const fn stage(name: &'static str, variant: Variant, engine: Engine) -> Stage {
    Stage {
        name,
        variant,
        engine,
    }
}

/// The primary attempt; everything after it runs only when it reads nothing.
const PRIMARY: Stage = stage("rxing", Variant::Original, Engine::RxingHybrid);

/// The fallbacks: rxing's variants first (a few ms together on a phone photo), then
/// rqrr, which detects differently but costs about 5 ms a try. A longer cascade (rqrr
/// on Otsu and local-mean binarisations, more scales) read one more image in 180
/// rotated photos but doubled the time spent on images that hold no readable code.
const FALLBACKS: &[Stage] = &[
    stage("rxing-half", Variant::Halved(1), Engine::RxingHybrid),
    stage("rxing-quarter", Variant::Halved(2), Engine::RxingHybrid),
    stage("rxing-global", Variant::Original, Engine::RxingGlobal),
    stage("rxing-classic", Variant::Original, Engine::RxingClassic),
    stage("rxing-double", Variant::Doubled, Engine::RxingHybrid),
    stage("rxing-inverted", Variant::Inverted, Engine::RxingHybrid),
    stage(
        "rxing-pincushion",
        Variant::Undistorted(5),
        Engine::RxingHybrid,
    ),
    stage("rqrr", Variant::Original, Engine::Rqrr),
];

/// Decodes every QR code in a greyscale image; empty if none was read.
pub(crate) fn decode_luma(luma: &GrayImage) -> Vec<Vec<u8>> {
    decode_traced(luma).0
}

/// Like [`decode_luma`], also naming the stage that read the codes.
pub(crate) fn decode_traced(luma: &GrayImage) -> (Vec<Vec<u8>>, Option<&'static str>) {
    if luma.width() == 0 || luma.height() == 0 {
        return (Vec::new(), None);
    }
    let codes = run(&PRIMARY, luma);
    if !codes.is_empty() {
        return (codes, Some(PRIMARY.name));
    }
    let mut cache = VariantCache::default();
    for stage in FALLBACKS {
        // Making a variant is our own code, not a decoder's, but it too must never
        // take the process down on a hostile image: a panic skips the stage.
        let Some(image) = guarded(|| cache.get(stage.variant, luma)).flatten() else {
            continue;
        };
        let codes = run(stage, image);
        if !codes.is_empty() {
            return (codes, Some(stage.name));
        }
    }
    (Vec::new(), None)
}

/// Runs one stage, deduplicating its payloads.
fn run(stage: &Stage, image: &GrayImage) -> Vec<Vec<u8>> {
    let found = guarded(|| match stage.engine {
        Engine::RxingHybrid => rxing_multi(HybridBinarizer::new(source(image)?)),
        Engine::RxingGlobal => rxing_multi(GlobalHistogramBinarizer::new(source(image)?)),
        Engine::RxingClassic => rxing_classic(HybridBinarizer::new(source(image)?)),
        Engine::Rqrr => Some(rqrr(image)),
    })
    .flatten()
    .unwrap_or_default();
    let mut seen = HashSet::new();
    found
        .into_iter()
        .filter(|code| seen.insert(code.clone()))
        .collect()
}

fn source(image: &GrayImage) -> Option<Luma8Source<'_>> {
    Luma8Source::new_with_slice(image.as_raw(), image.width(), image.height()).ok()
}

fn hints() -> DecodeHints {
    DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        ..DecodeHints::default()
    }
}

/// Every QR code rxing's multi-symbol reader finds, as UTF-8 text bytes, in
/// reading order (rows top to bottom, left to right within a row), so that the
/// accounts of a scanned sheet or screenshot keep their order.
fn rxing_multi<B: Binarizer>(binarizer: B) -> Option<Vec<Vec<u8>>> {
    let mut bitmap = BinaryBitmap::new(binarizer);
    let results = QrReader
        .decode_multiple_with_hints(&mut bitmap, &hints())
        .ok()?;
    let mut placed: Vec<((f32, f32, f32), Vec<u8>)> = results
        .iter()
        .filter(|r| *r.getBarcodeFormat() == BarcodeFormat::QR_CODE)
        .map(|r| (placement(r.getPoints()), r.getText().as_bytes().to_vec()))
        .collect();
    // Codes whose centres are less than half a code apart vertically share a row.
    let band = placed
        .iter()
        .map(|((_, _, size), _)| *size)
        .fold(f32::INFINITY, f32::min)
        .max(1.0)
        / 2.0;
    placed.sort_by(|((ax, ay, _), _), ((bx, by, _), _)| {
        let row = |y: f32| (y / band).floor();
        row(*ay).total_cmp(&row(*by)).then(ax.total_cmp(bx))
    });
    Some(placed.into_iter().map(|(_, text)| text).collect())
}

/// Centre and size of a code from the points a reader reports (finder
/// pattern centres and alignment point).
fn placement(points: &[rxing::Point]) -> (f32, f32, f32) {
    if points.is_empty() {
        return (0.0, 0.0, 1.0);
    }
    let n = points.len() as f32;
    let cx = points.iter().map(|p| p.x).sum::<f32>() / n;
    let cy = points.iter().map(|p| p.y).sum::<f32>() / n;
    let (min_x, max_x) = points
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.x), hi.max(p.x))
        });
    (cx, cy, (max_x - min_x).max(1.0))
}

/// The one QR code rxing's classic reader finds, as UTF-8 text bytes.
fn rxing_classic<B: Binarizer>(binarizer: B) -> Option<Vec<Vec<u8>>> {
    let mut bitmap = BinaryBitmap::new(binarizer);
    let result = QRCodeReader.decode_with_hints(&mut bitmap, &hints()).ok()?;
    Some(vec![result.getText().as_bytes().to_vec()])
}

/// Every QR code rqrr finds, as the bytes stored in the code.
fn rqrr(image: &GrayImage) -> Vec<Vec<u8>> {
    let width = image.width() as usize;
    let height = image.height() as usize;
    let raw = image.as_raw();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        raw.get(y * width + x).copied().unwrap_or(255)
    });
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| {
            let mut payload = Vec::new();
            grid.decode_to(&mut payload).ok().map(|_| payload)
        })
        .collect()
}

/// Lazily built image variants, each made at most once per image.
#[derive(Default)]
struct VariantCache {
    /// Each variant made so far; `None` when it does not apply to this image.
    made: Vec<(Variant, Option<GrayImage>)>,
}

impl VariantCache {
    /// The variant, or `None` when it does not apply to this image (e.g. upscaling a large one).
    fn get<'a>(&'a mut self, variant: Variant, luma: &'a GrayImage) -> Option<&'a GrayImage> {
        if variant == Variant::Original {
            return Some(luma);
        }
        let index = match self.made.iter().position(|(made, _)| *made == variant) {
            Some(index) => index,
            None => {
                self.made.push((variant, make(variant, luma)));
                self.made.len() - 1
            }
        };
        self.made.get(index).and_then(|(_, image)| image.as_ref())
    }
}

/// Builds a variant of `luma`, or `None` when it does not apply.
fn make(variant: Variant, luma: &GrayImage) -> Option<GrayImage> {
    let longest = luma.width().max(luma.height());
    match variant {
        Variant::Original => Some(luma.clone()),
        Variant::Doubled => (longest < UPSCALE_BELOW).then(|| double(luma)),
        Variant::Halved(times) => (longest >> times >= UPSCALE_BELOW / 2)
            .then(|| (1..times).fold(halve(luma), |image, _| halve(&image))),
        Variant::Inverted => {
            let mut inverted = luma.clone();
            imageops::invert(&mut inverted);
            Some(inverted)
        }
        Variant::Undistorted(percent) => Some(undistort(luma, percent)),
    }
}

/// Remaps `luma` radially around its centre: the pixel at normalised radius `r` (1 at
/// the corners) is taken from radius `r * (1 + k * r^2)`, `k = percent / 100`.
fn undistort(luma: &GrayImage, percent: i32) -> GrayImage {
    let k = percent as f32 / 100.0;
    let (width, height) = (luma.width(), luma.height());
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
    let scale = k / (cx * cx + cy * cy).max(1.0);
    let mut out = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height {
        let dy = y as f32 - cy;
        out.extend((0..width).map(|x| {
            let dx = x as f32 - cx;
            let factor = 1.0 + scale * (dx * dx + dy * dy);
            bilinear(luma, cx + dx * factor, cy + dy * factor)
        }));
    }
    GrayImage::from_raw(width, height, out).unwrap_or_else(|| GrayImage::new(0, 0))
}

/// The grey level at a fractional position (in 1/256 pixel steps), white outside
/// the image.
fn bilinear(luma: &GrayImage, x: f32, y: f32) -> u8 {
    if !(x >= 0.0 && y >= 0.0) {
        return 255;
    }
    // Non-negative, and at most 16384 * 256 (saturating beyond), so truncation is floor.
    let (fx, fy) = ((x * 256.0) as u32, (y * 256.0) as u32);
    let (ix, iy) = (fx >> 8, fy >> 8);
    if ix + 1 >= luma.width() || iy + 1 >= luma.height() {
        return 255;
    }
    let (ax, ay) = (fx & 255, fy & 255);
    let stride = luma.width() as usize;
    let at = iy as usize * stride + ix as usize;
    let level = |i: usize| luma.as_raw().get(i).map_or(255, |&v| u32::from(v));
    let top = level(at) * (256 - ax) + level(at + 1) * ax;
    let bottom = level(at + stride) * (256 - ax) + level(at + stride + 1) * ax;
    // At most (255 * 65536 + 32768) >> 16 = 255.
    ((top * (256 - ay) + bottom * ay + 32_768) >> 16) as u8
}

/// Halves the size, each output pixel the mean of a 2x2 block (an odd last row or
/// column is dropped).
fn halve(luma: &GrayImage) -> GrayImage {
    let (width, height) = (luma.width() / 2, luma.height() / 2);
    if width == 0 || height == 0 {
        return GrayImage::new(0, 0);
    }
    let source = luma.width() as usize;
    let mut out = Vec::with_capacity(width as usize * height as usize);
    for pair in luma.as_raw().chunks_exact(2 * source).take(height as usize) {
        let (top, bottom) = pair.split_at(source);
        let tops = top.as_chunks::<2>().0.iter();
        let bottoms = bottom.as_chunks::<2>().0.iter();
        out.extend(tops.zip(bottoms).map(|(&[a, b], &[c, d])| {
            // At most (4 * 255 + 2) / 4 = 255.
            ((u16::from(a) + u16::from(b) + u16::from(c) + u16::from(d) + 2) / 4) as u8
        }));
    }
    GrayImage::from_raw(width, height, out).unwrap_or_else(|| GrayImage::new(0, 0))
}

/// Doubles the size with a triangle (bilinear) filter, in integers: output pixel
/// `2x` lies a quarter pixel left of source pixel `x` and `2x + 1` a quarter right,
/// so each is 3/4 of its source pixel and 1/4 of the neighbour on that side (the edge
/// pixel repeats at the border), along each axis.
fn double(luma: &GrayImage) -> GrayImage {
    let (width, height) = (luma.width() as usize, luma.height() as usize);
    if width == 0 || height == 0 {
        return GrayImage::new(0, 0);
    }
    // Horizontal pass: each row widened to 2 * width, levels times 4.
    let mut wide = Vec::with_capacity(2 * width * height);
    for row in luma.as_raw().chunks_exact(width) {
        let lefts = row.iter().take(1).chain(row.iter());
        let rights = row.iter().skip(1).chain(row.iter().last());
        for ((&here, &left), &right) in row.iter().zip(lefts).zip(rights) {
            let here = 3 * u16::from(here);
            wide.push(here + u16::from(left));
            wide.push(here + u16::from(right));
        }
    }
    // Vertical pass: each widened row becomes two output rows, levels over 16.
    let rows: Vec<&[u16]> = wide.chunks_exact(2 * width).collect();
    let ups = rows.iter().take(1).chain(rows.iter());
    let downs = rows.iter().skip(1).chain(rows.iter().last());
    let mut out = Vec::with_capacity(4 * width * height);
    for ((row, up), down) in rows.iter().zip(ups).zip(downs) {
        for neighbour in [up, down] {
            out.extend(row.iter().zip(neighbour.iter()).map(|(&here, &near)| {
                // At most (16 * 255 + 8) / 16 = 255.
                ((3 * u32::from(here) + u32::from(near) + 8) / 16) as u8
            }));
        }
    }
    GrayImage::from_raw(luma.width() * 2, luma.height() * 2, out)
        .unwrap_or_else(|| GrayImage::new(0, 0))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn guarded_turns_a_panic_into_none_and_passes_values_through() {
        assert_eq!(guarded(|| -> u8 { panic!("decoder bug") }), None);
        assert_eq!(guarded(|| 7), Some(7));
        // The flag is reset afterwards, so later panics elsewhere are reported again.
        assert!(!IN_DECODER.with(Cell::get));
    }

    /// A 71x60 black-and-white PNG on which rqrr 0.11's `detect_grids()` panics: a
    /// perspective fitted to three capstone-like shapes maps a cell outside `i32`, and
    /// `Perspective::map` asserts (rqrr issue #54). Made by cropping the ZXing corpus
    /// photo `qrcode-6/7.png` and whitening every block whose removal kept the panic.
    const RQRR_PANIC_PNG: &[u8] = include_bytes!("../../tests/data/rqrr-panic.png");

    #[test]
    fn rqrr_panic_is_contained_by_the_cascade() {
        let luma = image::load_from_memory(RQRR_PANIC_PNG).unwrap().to_luma8();
        // rqrr itself, called directly, panics on this image; if an upgrade fixes that,
        // this input no longer exercises the guard and a new one must be found.
        let (width, height) = (luma.width() as usize, luma.height() as usize);
        let direct = panic::catch_unwind(|| {
            let mut prepared =
                rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
                    luma.get_pixel(x as u32, y as u32).0[0]
                });
            prepared.detect_grids().len()
        });
        assert!(direct.is_err(), "rqrr no longer panics on this image");
        // keyfob's rqrr stage returns instead of unwinding through the caller,
        let stage = stage("rqrr", Variant::Original, Engine::Rqrr);
        assert!(run(&stage, &luma).is_empty());
        // and so does the whole cascade, whose last stage is rqrr.
        assert_eq!(decode_traced(&luma), (Vec::new(), None));
        assert!(!IN_DECODER.with(Cell::get));
    }

    #[test]
    fn empty_image_reads_nothing() {
        assert!(decode_luma(&GrayImage::new(0, 0)).is_empty());
        assert!(decode_luma(&GrayImage::new(1, 1)).is_empty());
    }

    #[test]
    fn long_thin_images_run_the_whole_cascade_without_panicking() {
        // Large enough on the long side for every reduced variant, one to three
        // pixels on the other, so halving reaches zero.
        for (width, height) in [(1, 4100), (4100, 1), (3, 2050), (2050, 3), (1, 999)] {
            let luma = GrayImage::from_fn(width, height, |x, y| {
                image::Luma([if (x + y) % 7 < 3 { 0 } else { 255 }])
            });
            assert!(decode_luma(&luma).is_empty(), "{width}x{height}");
        }
    }

    #[test]
    fn double_matches_a_triangle_filter_resize() {
        let luma = GrayImage::from_fn(37, 23, |x, y| {
            image::Luma([((x * 31 + y * 17) % 256) as u8])
        });
        let ours = double(&luma);
        let theirs = imageops::resize(&luma, 74, 46, imageops::FilterType::Triangle);
        assert_eq!(ours.dimensions(), theirs.dimensions());
        for (a, b) in ours.pixels().zip(theirs.pixels()) {
            assert!(a.0[0].abs_diff(b.0[0]) <= 1, "{} vs {}", a.0[0], b.0[0]);
        }
        assert_eq!(double(&GrayImage::new(0, 5)).dimensions(), (0, 0));
        let one = GrayImage::from_pixel(1, 1, image::Luma([200]));
        assert_eq!(double(&one).as_raw(), &vec![200; 4]);
    }

    #[test]
    fn halve_averages_two_by_two_blocks() {
        let luma = GrayImage::from_raw(5, 3, (0..15).map(|v| v * 10).collect()).unwrap();
        let half = halve(&luma);
        assert_eq!(half.dimensions(), (2, 1));
        // (0 + 10 + 50 + 60) / 4 = 30, (20 + 30 + 70 + 80) / 4 = 50
        assert_eq!(half.as_raw(), &vec![30, 50]);
        assert_eq!(halve(&GrayImage::new(1, 1)).dimensions(), (0, 0));
    }

    #[test]
    fn undistort_keeps_the_centre_and_size() {
        let luma = GrayImage::from_fn(41, 31, |x, y| image::Luma([((x * 7 + y * 3) % 256) as u8]));
        let out = undistort(&luma, 5);
        assert_eq!(out.dimensions(), luma.dimensions());
        assert_eq!(out.get_pixel(20, 15), luma.get_pixel(20, 15));
    }
}
