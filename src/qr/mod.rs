//! Reading QR codes from images: photos, scans and screenshots of an enrolment page.
//!
//! [`decode_image_bytes`] takes an image file's bytes (PNG, JPEG, GIF, BMP, WebP or
//! TIFF), loads it within size limits and returns the content of every QR code in it.
//! [`decode_image`] does the same for an image already in memory.
//!
//! Two pure-Rust decoders are combined. `rxing` (a port of ZXing) reads most images
//! on its own and runs first; only when it finds nothing does a cascade of fallbacks
//! run (`rqrr`, other binarisations, scaling, inversion), so an easy image never pays
//! for them. Every call into a decoder is isolated with `catch_unwind`: a decoder bug
//! on a hostile image yields "no code" for that attempt, never a crash.
//!
//! Payloads may hold secrets (`otpauth://` URIs), so they never appear in errors.

mod decode;
mod grey;

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

/// Largest accepted image width or height, in pixels.
pub const MAX_DIMENSION: u32 = 16_384;

/// Largest total allocation allowed while decoding an image file, in bytes.
pub const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// Errors from reading QR codes in an image. Messages never contain a decoded payload.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The bytes are not in an image format keyfob reads.
    #[error("unsupported image format (keyfob reads PNG, JPEG, GIF, BMP, WebP and TIFF)")]
    UnsupportedFormat,
    /// The image format was recognised but the data is damaged or truncated.
    #[error("the image is corrupt or truncated")]
    Corrupt(#[source] ImageError),
    /// The image is larger than a limit ([`MAX_DIMENSION`] or [`MAX_ALLOC`]).
    #[error(
        "the image is {width}x{height} pixels{}; {limit}: scale it down (a QR code reads well at 1000 to 3000 pixels on a side)",
        megapixels(*.width, *.height)
    )]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The limit it is over.
        limit: SizeLimit,
    },
    /// Decoding needed more memory than [`MAX_ALLOC`] part way through.
    #[error(
        "decoding the image needs more than the {} keyfob allows: scale it down",
        crate::bounded::human(MAX_ALLOC)
    )]
    OutOfMemoryBudget(#[source] ImageError),
    /// The image was read but no QR code could be decoded in it.
    #[error("no QR code found in the image")]
    NoCodeFound,
}

/// Which image size limit was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeLimit {
    /// A side is longer than [`MAX_DIMENSION`].
    Side,
    /// The decoded pixels would take more than [`MAX_ALLOC`] bytes.
    Memory {
        /// Bytes the decoded pixels would take.
        needed: u64,
    },
}

impl std::fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SizeLimit::Side => write!(
                f,
                "keyfob reads images up to {MAX_DIMENSION} pixels on a side"
            ),
            SizeLimit::Memory { needed } => write!(
                f,
                "decoded it would take {}, more than the {} keyfob allows for an image",
                crate::bounded::human(*needed),
                crate::bounded::human(MAX_ALLOC)
            ),
        }
    }
}

/// ` (N megapixels)` for an image of at least one megapixel, else nothing.
fn megapixels(width: u32, height: u32) -> String {
    let mp = f64::from(width) * f64::from(height) / 1_000_000.0;
    if mp >= 10.0 {
        format!(" ({mp:.0} megapixels)")
    } else if mp >= 1.0 {
        format!(" ({mp:.1} megapixels)")
    } else {
        String::new()
    }
}

/// Loads an image file's bytes (format guessed from the content) within the size limits.
///
/// The header is read first, so an image over a limit is refused, naming its size
/// and the limit, before any pixel is decoded.
pub fn load_image(bytes: &[u8]) -> Result<DynamicImage, QrError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| QrError::Corrupt(ImageError::IoError(e)))?;
    if reader.format().is_none() {
        return Err(QrError::UnsupportedFormat);
    }
    let classify = |e: ImageError| match e {
        ImageError::Limits(_) => QrError::OutOfMemoryBudget(e),
        ImageError::Unsupported(_) => QrError::UnsupportedFormat,
        other => QrError::Corrupt(other),
    };
    let mut decoder = reader.into_decoder().map_err(classify)?;
    let (width, height) = decoder.dimensions();
    let needed = decoder.total_bytes();
    let too_large = |limit| QrError::TooLarge {
        width,
        height,
        limit,
    };
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(too_large(SizeLimit::Side));
    }
    if needed > MAX_ALLOC {
        return Err(too_large(SizeLimit::Memory { needed }));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    // As `ImageReader::decode` does: the pixel buffer counts against the budget.
    limits.reserve(needed).map_err(classify)?;
    decoder.set_limits(limits).map_err(classify)?;
    DynamicImage::from_decoder(decoder).map_err(classify)
}

/// Decodes every QR code in an image file's bytes.
///
/// Returns the payload of each code found, deduplicated, in the order found, or
/// [`QrError::NoCodeFound`] if there is none. See [`decode_image`] for what a payload is.
pub fn decode_image_bytes(bytes: &[u8]) -> Result<Vec<Vec<u8>>, QrError> {
    let image = load_image(bytes)?;
    let codes = decode_image(&image);
    if codes.is_empty() {
        Err(QrError::NoCodeFound)
    } else {
        Ok(codes)
    }
}

/// Decodes every QR code in an image; empty if none was found.
///
/// Each payload is the code's content as bytes, deduplicated. Codes read by the
/// primary decoder come back as UTF-8 text (byte segments interpreted by their ECI
/// or, failing that, by the usual charset guess); codes only a fallback could read
/// come back as the bytes stored in the code (kanji segments as Shift_JIS). For the
/// ASCII payloads an authenticator deals with (`otpauth://`, `otpauth-migration://`)
/// both are the same.
pub fn decode_image(image: &DynamicImage) -> Vec<Vec<u8>> {
    decode::decode_luma(&grey::luma(image))
}

/// Like [`decode_image`], also naming the cascade stage that read the codes (for benchmarks).
#[doc(hidden)]
pub fn decode_image_traced(image: &DynamicImage) -> (Vec<Vec<u8>>, Option<&'static str>) {
    decode::decode_traced(&grey::luma(image))
}
