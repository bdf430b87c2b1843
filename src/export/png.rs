//! QR codes as PNG images with a caption, for exports that are read by a phone
//! camera (Google Authenticator migration batches, single otpauth URIs).
//!
//! The caption ("batch 1 of 3") is drawn under the code with the bundled
//! monospace font, rasterised by `ab_glyph`, so people can tell the images apart
//! and scan them in order.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use qrcode::{Color, EcLevel, QrCode};

use super::{ExportError, MONO_REGULAR};

/// Quiet zone around the code, in modules (the QR specification asks for 4).
const QUIET_MODULES: usize = 4;
/// Target width of the code with its quiet zone, in pixels.
const TARGET_PX: usize = 640;
/// Caption text height in pixels, before shrinking to fit.
const CAPTION_PX: f32 = 28.0;
/// Smallest caption text height in pixels; longer captions are truncated.
const MIN_CAPTION_PX: f32 = 14.0;
/// Longest caption drawn, in characters.
const MAX_CAPTION_CHARS: usize = 200;

/// Encodes `text` as a QR code (error correction M, or L when M does not fit)
/// and returns a grey-scale PNG with `caption` centred under the code.
///
/// An empty caption leaves no caption band. Fails with
/// [`ExportError::QrTooLong`] when the text does not fit in any QR code.
pub fn qr_png(text: &str, caption: &str) -> Result<Vec<u8>, ExportError> {
    let code = encode(text.as_bytes())?;
    let modules = code.width();
    let colors = code.to_colors();
    let scale = (TARGET_PX / (modules + 2 * QUIET_MODULES)).clamp(4, 16);
    let side = (modules + 2 * QUIET_MODULES) * scale;

    let caption: String = caption
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CAPTION_CHARS)
        .collect();
    let caption = caption.trim();
    let font = FontRef::try_from_slice(MONO_REGULAR).map_err(|_| ExportError::Font)?;
    let (caption, caption_px) = fit_caption(&font, caption, side as f32 * 0.92);
    let band = if caption.is_empty() {
        0
    } else {
        (caption_px * 2.0).ceil() as usize
    };
    let height = side + band;

    let mut pixels = vec![255u8; side * height];
    for (index, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let x0 = (index % modules + QUIET_MODULES) * scale;
        let y0 = (index / modules + QUIET_MODULES) * scale;
        for row in pixels.chunks_exact_mut(side).skip(y0).take(scale) {
            if let Some(run) = row.get_mut(x0..x0 + scale) {
                run.fill(0);
            }
        }
    }
    if !caption.is_empty() {
        draw_caption(&font, &caption, caption_px, &mut pixels, side, side, band);
    }

    let mut out = Vec::new();
    {
        let width = u32::try_from(side).map_err(|_| ExportError::QrTooLong(text.len()))?;
        let height = u32::try_from(height).map_err(|_| ExportError::QrTooLong(text.len()))?;
        let mut encoder = ::png::Encoder::new(&mut out, width, height);
        encoder.set_color(::png::ColorType::Grayscale);
        encoder.set_depth(::png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
    }
    Ok(out)
}

/// Encodes bytes at error correction M, falling back to L for long texts.
pub(crate) fn encode(bytes: &[u8]) -> Result<QrCode, ExportError> {
    QrCode::with_error_correction_level(bytes, EcLevel::M)
        .or_else(|_| QrCode::with_error_correction_level(bytes, EcLevel::L))
        .map_err(|_| ExportError::QrTooLong(bytes.len()))
}

/// Width of `text` in pixels at `px`.
fn text_width(font: &FontRef<'_>, text: &str, px: f32) -> f32 {
    let scaled = font.as_scaled(PxScale::from(px));
    text.chars()
        .map(|c| scaled.h_advance(font.glyph_id(c)))
        .sum()
}

/// Shrinks the caption down to [`MIN_CAPTION_PX`] to fit `width`, then
/// truncates it with an ellipsis.
fn fit_caption(font: &FontRef<'_>, caption: &str, width: f32) -> (String, f32) {
    let mut px = CAPTION_PX;
    while px > MIN_CAPTION_PX && text_width(font, caption, px) > width {
        px -= 1.0;
    }
    let mut text = caption.to_string();
    if text_width(font, &text, px) > width {
        while !text.is_empty() && text_width(font, &format!("{text}…"), px) > width {
            text.pop();
        }
        text.push('…');
    }
    (text, px)
}

/// Draws `caption` centred in the band of `band` pixel rows starting at `top`.
fn draw_caption(
    font: &FontRef<'_>,
    caption: &str,
    px: f32,
    pixels: &mut [u8],
    width: usize,
    top: usize,
    band: usize,
) {
    let scale = PxScale::from(px);
    let scaled = font.as_scaled(scale);
    let line_width = text_width(font, caption, px);
    let mut x = ((width as f32 - line_width) / 2.0).max(0.0);
    let baseline = top as f32 + (band as f32 + scaled.ascent() + scaled.descent()) / 2.0;
    for c in caption.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(scale, point(x, baseline));
        x += scaled.h_advance(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let px_x = bounds.min.x as i64 + i64::from(gx);
            let px_y = bounds.min.y as i64 + i64::from(gy);
            let (Ok(px_x), Ok(px_y)) = (usize::try_from(px_x), usize::try_from(px_y)) else {
                return;
            };
            if px_x >= width {
                return;
            }
            if let Some(pixel) = pixels.get_mut(px_y * width + px_x) {
                let ink = (coverage.clamp(0.0, 1.0) * 255.0) as u8;
                *pixel = pixel.saturating_sub(ink);
            }
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = ::png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn renders_code_and_caption() {
        let text = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";
        let with = qr_png(text, "batch 1 of 3").unwrap();
        let without = qr_png(text, "").unwrap();
        let (w1, h1, pixels) = decode(&with);
        let (w2, h2, _) = decode(&without);
        assert_eq!(w1, w2);
        assert_eq!(w2, h2, "without a caption the image is square");
        assert!(h1 > h2, "the caption adds a band");
        // The caption band has some ink.
        let band = &pixels[(h2 as usize * w1 as usize)..];
        assert!(band.iter().any(|&p| p < 128));
        // The quiet zone is white.
        assert!(pixels[..w1 as usize * 4].iter().all(|&p| p == 255));
    }

    #[test]
    fn rejects_text_too_long_for_a_qr_code() {
        let text = "A".repeat(8000);
        assert!(matches!(
            qr_png(&text, "x"),
            Err(ExportError::QrTooLong(8000))
        ));
    }

    #[test]
    fn long_captions_are_truncated() {
        let caption = "very long caption ".repeat(40);
        let png_bytes = qr_png("hello", &caption).unwrap();
        let (w, h, _) = decode(&png_bytes);
        assert!(h > w);
    }
}
