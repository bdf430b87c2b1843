//! The paper backup: a printable PDF with, per account, a QR code of its
//! otpauth URI and the secret written out in checked groups.
//!
//! Paper survives lost phones, dead disks and forgotten passphrases. The sheet
//! is laid out in two steps: [`layout`] turns accounts into blocks of drawing
//! operations with known heights and splits them into pages (a block is never
//! split), then the operations are drawn with `krilla` as vector shapes and
//! text in the bundled monospace font. Keeping the layout apart from drawing
//! lets tests check geometry (nothing overflows into a QR code, every block
//! fits its page) without reading a PDF back.
//!
//! Each secret line carries a two-character check a person can compute by
//! hand (see [`line_checksum`]), so a typed-in secret can be verified line by
//! line without a computer.

use std::fmt;
use std::io::Write;

use ab_glyph::{Font as _, FontRef};
use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use qrcode::Color;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{ExportError, MONO_BOLD, MONO_REGULAR};
use crate::account::{Account, Kind};
use crate::secret::Secret;
use crate::uri;

/// Most accounts one sheet accepts (a 10 000-account sheet is about 1 700 pages).
pub const MAX_PAPER_ACCOUNTS: usize = 10_000;

/// The base32 alphabet; a character's value is its position.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Characters per printed group of a secret.
const GROUP: usize = 4;
/// Groups per printed line of a secret.
const GROUPS_PER_LINE: usize = 4;

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
/// Left and right page margin.
const MARGIN_X: f32 = 15.0 * MM;
/// Top and bottom page margin.
const MARGIN_Y: f32 = 12.0 * MM;
/// Height of the running header on pages after the first.
const HEADER_H: f32 = 26.0;
/// Height of the footer with the page number.
const FOOTER_H: f32 = 20.0;
/// Space above and below the contents of an account block.
const BLOCK_PAD: f32 = 11.0;
/// Smallest side of a QR code (scannable from arm's length).
const QR_MIN: f32 = 36.0 * MM;
/// Largest side of a QR code.
const QR_MAX: f32 = 70.0 * MM;
/// Smallest side of one QR module; bigger codes get a bigger square.
const QR_MODULE_MIN: f32 = 0.5 * MM;
/// Space between the QR code and the text beside it.
const QR_GAP: f32 = 16.0;
/// Size of the small labels above the secret lines.
const LABEL_SIZE: f32 = 7.0;
/// Secret lines beside the QR code before they are set in columns.
const SECRET_LINES_ONE_COLUMN: usize = 8;

/// Paper size of the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PaperSize {
    /// ISO A4, 210 × 297 mm.
    #[default]
    A4,
    /// US Letter, 8.5 × 11 inches.
    Letter,
}

impl PaperSize {
    /// Width and height in points (1/72 inch).
    pub fn dimensions(self) -> (f32, f32) {
        match self {
            PaperSize::A4 => (595.28, 841.89),
            PaperSize::Letter => (612.0, 792.0),
        }
    }

    /// `a4` or `letter`.
    pub fn name(self) -> &'static str {
        match self {
            PaperSize::A4 => "a4",
            PaperSize::Letter => "letter",
        }
    }

    /// Parses `a4` or `letter` (any case; `us-letter` too).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "a4" => Some(PaperSize::A4),
            "letter" | "us-letter" | "usletter" => Some(PaperSize::Letter),
            _ => None,
        }
    }
}

impl fmt::Display for PaperSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the sheet looks; the date is passed in so output is reproducible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperOptions {
    /// Paper size.
    pub size: PaperSize,
    /// The date printed on the sheet, e.g. `2026-11-23`.
    pub date: String,
    /// The title at the top of the first page and in every page header.
    pub title: String,
}

impl Default for PaperOptions {
    fn default() -> Self {
        PaperOptions {
            size: PaperSize::A4,
            date: String::new(),
            title: "keyfob paper backup".to_string(),
        }
    }
}

/// One printed line of a secret: up to four groups of four base32 characters
/// and its check. `Debug` hides the characters.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretLine {
    /// The characters in groups of four separated by single spaces.
    pub groups: Zeroizing<String>,
    /// The two-character check of the line ([`line_checksum`]).
    pub check: Zeroizing<String>,
}

impl fmt::Debug for SecretLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretLine([REDACTED])")
    }
}

/// Splits a secret into printed lines of [`SecretLine`]: 16 base32 characters
/// per line in groups of four, each line with its check.
pub fn secret_lines(secret: &Secret) -> Vec<SecretLine> {
    let base32 = secret.to_base32();
    base32
        .as_bytes()
        .chunks(GROUP * GROUPS_PER_LINE)
        .map(|line| {
            let mut groups = Zeroizing::new(String::with_capacity(GROUP * GROUPS_PER_LINE + 3));
            for (index, group) in line.chunks(GROUP).enumerate() {
                if index > 0 {
                    groups.push(' ');
                }
                groups.extend(group.iter().map(|&b| char::from(b)));
            }
            let check = line_checksum(&groups);
            SecretLine { groups, check }
        })
        .collect()
}

/// The two-character check of one line of base32, as printed on the sheet.
///
/// Each character has a value: `A`=0 … `Z`=25, `2`=26 … `7`=31. Starting from
/// two totals `x = 0` and `y = 0`, for each character left to right: add its
/// value to `x`, then add `x` to `y`, both modulo 32. The check is `x` then `y`
/// written as base32 characters. Any single wrong character changes `x`;
/// swapping two neighbouring different characters changes `y`. Spaces,
/// dashes and anything outside the alphabet are skipped; lower case counts as
/// upper case.
pub fn line_checksum(line: &str) -> Zeroizing<String> {
    let mut x: u32 = 0;
    let mut y: u32 = 0;
    for c in line.chars() {
        let upper = c.to_ascii_uppercase();
        let Some(value) = BASE32.iter().position(|&b| char::from(b) == upper) else {
            continue;
        };
        x = (x + value as u32) % 32;
        y = (y + x) % 32;
    }
    let symbol = |v: u32| BASE32.get(v as usize).map_or('?', |&b| char::from(b));
    Zeroizing::new([symbol(x), symbol(y)].iter().collect())
}

/// A short fingerprint of a set of accounts, `ABCD-1234`: the first 8 hex
/// digits of SHA-256 over the sorted canonical otpauth URIs, each followed by
/// a newline. Two sheets with the same fingerprint hold the same accounts
/// (order does not matter; HOTP counters do).
pub fn sheet_fingerprint(accounts: &[Account]) -> String {
    let mut uris: Vec<Zeroizing<String>> = accounts.iter().map(uri::format).collect();
    uris.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    let mut hasher = Sha256::new();
    for line in &uris {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02X}")).collect();
    let (left, right) = hex.split_at(4);
    format!("{left}-{right}")
}

/// Writes the paper sheet for `accounts` (in the order given) as a PDF.
///
/// Fails with [`ExportError::NoAccounts`] for an empty list and
/// [`ExportError::TooManyAccounts`] above [`MAX_PAPER_ACCOUNTS`]. The output
/// holds every secret in plain form: it is as sensitive as the vault itself.
pub fn write_paper_sheet(
    accounts: &[Account],
    options: &PaperOptions,
    out: &mut impl Write,
) -> Result<(), ExportError> {
    let pdf = paper_sheet(accounts, options)?;
    out.write_all(&pdf)?;
    out.flush()?;
    Ok(())
}

/// Like [`write_paper_sheet`], returning the PDF bytes.
pub fn paper_sheet(
    accounts: &[Account],
    options: &PaperOptions,
) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    let fonts = Fonts::load()?;
    let sheet = layout(accounts, options, &fonts)?;
    render(&sheet, options, &fonts)
}

// ---------------------------------------------------------------------------
// Layout

/// Which face of the bundled font a text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

/// A QR symbol as rows of dark (true) and light modules, without quiet zone.
struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

/// One drawing operation, in points, relative to its block's top-left corner
/// (y grows downwards).
enum Op {
    /// A line of text; `y` is the baseline; `grey` is 0 (black) to 255 (white).
    Text {
        x: f32,
        y: f32,
        size: f32,
        face: Face,
        grey: u8,
        text: Zeroizing<String>,
    },
    /// A filled rectangle with an optional outline.
    Box {
        rect: (f32, f32, f32, f32),
        fill: u8,
        stroke: Option<u8>,
    },
    /// A horizontal hairline.
    Rule {
        x: f32,
        y: f32,
        width: f32,
        grey: u8,
    },
    /// A QR code of `side` × `side` points.
    Qr {
        x: f32,
        y: f32,
        side: f32,
        matrix: QrMatrix,
    },
}

/// A run of content that stays on one page.
struct Block {
    height: f32,
    ops: Vec<Op>,
}

/// Blocks split into pages, each with its blocks' vertical offsets.
struct Sheet {
    page_size: (f32, f32),
    fingerprint: String,
    count: usize,
    intro: Block,
    pages: Vec<Vec<(f32, Block)>>,
}

/// The bundled font for drawing and for measuring.
struct Fonts {
    regular: Font,
    bold: Font,
    measure_regular: FontRef<'static>,
    measure_bold: FontRef<'static>,
}

impl Fonts {
    fn load() -> Result<Self, ExportError> {
        Ok(Fonts {
            regular: Font::new(MONO_REGULAR.into(), 0).ok_or(ExportError::Font)?,
            bold: Font::new(MONO_BOLD.into(), 0).ok_or(ExportError::Font)?,
            measure_regular: FontRef::try_from_slice(MONO_REGULAR)
                .map_err(|_| ExportError::Font)?,
            measure_bold: FontRef::try_from_slice(MONO_BOLD).map_err(|_| ExportError::Font)?,
        })
    }

    /// Advance width of `text` at `size` points.
    fn width(&self, face: Face, text: &str, size: f32) -> f32 {
        let font = match face {
            Face::Regular => &self.measure_regular,
            Face::Bold => &self.measure_bold,
        };
        let units = font.units_per_em().unwrap_or(2048.0);
        let total: f32 = text
            .chars()
            .map(|c| font.h_advance_unscaled(font.glyph_id(c)))
            .sum();
        total / units * size
    }

    /// Breaks `text` into at most `max_lines` lines no wider than `width`,
    /// preferring spaces; what does not fit ends in an ellipsis.
    fn wrap(
        &self,
        face: Face,
        text: &str,
        size: f32,
        width: f32,
        max_lines: usize,
    ) -> Vec<Zeroizing<String>> {
        let chars: Vec<(char, f32)> = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .map(|c| (c, self.width(face, c.encode_utf8(&mut [0; 4]), size)))
            .collect();
        let mut lines = Vec::new();
        let mut start = 0;
        while lines.len() < max_lines {
            while chars.get(start).is_some_and(|(c, _)| *c == ' ') {
                start += 1;
            }
            if start >= chars.len() {
                break;
            }
            let mut used = 0.0;
            let mut end = start;
            let mut last_space = None;
            while let Some(&(c, w)) = chars.get(end) {
                if used + w > width {
                    break;
                }
                if c == ' ' {
                    last_space = Some(end);
                }
                used += w;
                end += 1;
            }
            let (line_end, next) = if end >= chars.len() {
                (end, end)
            } else if let Some(space) = last_space.filter(|&s| s > start) {
                (space, space + 1)
            } else if end == start {
                // Not even one character fits: take it anyway.
                (start + 1, start + 1)
            } else {
                (end, end)
            };
            let line: String = chars
                .get(start..line_end)
                .unwrap_or_default()
                .iter()
                .map(|(c, _)| *c)
                .collect();
            lines.push(Zeroizing::new(line.trim_end().to_string()));
            start = next;
        }
        let rest_is_blank = chars
            .get(start..)
            .unwrap_or_default()
            .iter()
            .all(|(c, _)| *c == ' ');
        if !rest_is_blank && let Some(last) = lines.last_mut() {
            while !last.is_empty() && self.width(face, &format!("{}…", last.as_str()), size) > width
            {
                last.pop();
            }
            let trimmed = last.trim_end().len();
            last.truncate(trimmed);
            last.push('…');
        }
        lines
    }
}

/// Adds lines of text at `x` from `*y` downwards, advancing `*y`.
fn push_lines(
    ops: &mut Vec<Op>,
    lines: Vec<Zeroizing<String>>,
    x: f32,
    y: &mut f32,
    (size, line_height): (f32, f32),
    face: Face,
    grey: u8,
) {
    for text in lines {
        ops.push(Op::Text {
            x,
            y: *y + size,
            size,
            face,
            grey,
            text,
        });
        *y += line_height;
    }
}

fn text(s: impl Into<String>) -> Zeroizing<String> {
    Zeroizing::new(s.into())
}

/// Lays out the whole sheet: intro, blocks and pages.
fn layout(
    accounts: &[Account],
    options: &PaperOptions,
    fonts: &Fonts,
) -> Result<Sheet, ExportError> {
    if accounts.is_empty() {
        return Err(ExportError::NoAccounts);
    }
    if accounts.len() > MAX_PAPER_ACCOUNTS {
        return Err(ExportError::TooManyAccounts {
            count: accounts.len(),
            max: MAX_PAPER_ACCOUNTS,
        });
    }
    let page_size = options.size.dimensions();
    let content_w = page_size.0 - 2.0 * MARGIN_X;
    let content_h = page_size.1 - 2.0 * MARGIN_Y - HEADER_H - FOOTER_H;
    let fingerprint = sheet_fingerprint(accounts);
    let intro = intro_block(accounts.len(), &fingerprint, options, fonts, content_w);

    let mut pages: Vec<Vec<(f32, Block)>> = vec![Vec::new()];
    // The first page has no running header: the intro takes its place.
    let first_page_space = content_h + HEADER_H - intro.height;
    let mut used = 0.0;
    let mut space = first_page_space;
    for (index, account) in accounts.iter().enumerate() {
        let block = account_block(
            account,
            index + 1,
            accounts.len(),
            fonts,
            content_w,
            content_h,
        );
        let on_page = pages.last().is_some_and(|page| !page.is_empty());
        if used + block.height > space && (on_page || space < content_h) {
            pages.push(Vec::new());
            used = 0.0;
            space = content_h;
        }
        let offset = used;
        used += block.height;
        if let Some(page) = pages.last_mut() {
            page.push((offset, block));
        }
    }
    Ok(Sheet {
        page_size,
        fingerprint,
        count: accounts.len(),
        intro,
        pages,
    })
}

/// The first-page header: title, facts, warning and restore instructions.
fn intro_block(
    count: usize,
    fingerprint: &str,
    options: &PaperOptions,
    fonts: &Fonts,
    width: f32,
) -> Block {
    let mut ops = Vec::new();
    let mut y = 0.0;
    let title = fonts.wrap(Face::Bold, &options.title, 17.0, width, 2);
    push_lines(&mut ops, title, 0.0, &mut y, (17.0, 22.0), Face::Bold, 0);
    y += 2.0;
    let plural = if count == 1 { "account" } else { "accounts" };
    let mut facts = String::new();
    if !options.date.trim().is_empty() {
        facts.push_str(&format!("Printed {}  ·  ", options.date.trim()));
    }
    facts.push_str(&format!("{count} {plural}  ·  fingerprint {fingerprint}"));
    let facts = fonts.wrap(Face::Regular, &facts, 10.0, width, 2);
    push_lines(&mut ops, facts, 0.0, &mut y, (10.0, 14.0), Face::Regular, 0);
    y += 8.0;

    // Warning box.
    let inner = width - 16.0;
    let mut warning = Vec::new();
    let mut wy = 8.0;
    let head = fonts.wrap(
        Face::Bold,
        "KEEP THIS SHEET SECRET. It is as sensitive as the accounts themselves.",
        10.0,
        inner,
        3,
    );
    push_lines(
        &mut warning,
        head,
        8.0,
        &mut wy,
        (10.0, 13.0),
        Face::Bold,
        0,
    );
    let body = fonts.wrap(
        Face::Regular,
        "Anyone who sees or copies it can produce your login codes for every account below. \
         Store it like cash or a passport, away from your devices; shred old copies when you \
         print a new one.",
        8.5,
        inner,
        4,
    );
    push_lines(
        &mut warning,
        body,
        8.0,
        &mut wy,
        (8.5, 11.5),
        Face::Regular,
        0,
    );
    wy += 5.0;
    ops.push(Op::Box {
        rect: (0.0, y, width, wy),
        fill: 238,
        stroke: Some(0),
    });
    for op in warning {
        if let Op::Text {
            x,
            y: ty,
            size,
            face,
            grey,
            text,
        } = op
        {
            ops.push(Op::Text {
                x,
                y: y + ty,
                size,
                face,
                grey,
                text,
            });
        }
    }
    y += wy + 10.0;

    push_lines(
        &mut ops,
        vec![text("How to restore")],
        0.0,
        &mut y,
        (11.0, 15.0),
        Face::Bold,
        0,
    );
    let example = "JBSW";
    let example_check = line_checksum(example);
    let steps = [
        "Scan each QR code with keyfob (photograph it, then run: keyfob import PHOTO.png) \
         or with any authenticator app."
            .to_string(),
        "Or type the secret: keyfob add --issuer ISSUER --name NAME --secret XXXX... \
         (spaces and case do not matter), and give the type, algorithm, digits and \
         period or counter shown if they are not TOTP, SHA1, 6 digits, 30 s \
         (see keyfob add --help)."
            .to_string(),
        format!(
            "Check each typed line against the two characters after it. Give every \
             character its value from the table below. Start with X = 0 and Y = 0; for each \
             character of the line, left to right, skipping spaces: add its value to X, then \
             add X to Y; whenever a total reaches 32 or more, take 32 away. The check is X then Y \
             written as characters. Example: {example} gives {}. A different check means a \
             typo in that line.",
            example_check.as_str()
        ),
        format!(
            "Every page shows the fingerprint {fingerprint} of the whole set: two printouts \
             with the same fingerprint hold the same accounts."
        ),
    ];
    let number_w = fonts.width(Face::Regular, "0. ", 8.5);
    for (index, step) in steps.iter().enumerate() {
        ops.push(Op::Text {
            x: 0.0,
            y: y + 8.5,
            size: 8.5,
            face: Face::Bold,
            grey: 0,
            text: text(format!("{}.", index + 1)),
        });
        let lines = fonts.wrap(Face::Regular, step, 8.5, width - number_w, 8);
        push_lines(
            &mut ops,
            lines,
            number_w,
            &mut y,
            (8.5, 11.5),
            Face::Regular,
            0,
        );
        y += 3.0;
    }

    // Value table: two rows of sixteen cells.
    y += 2.0;
    let cell_w = width / 16.0;
    let cell_h = 15.0;
    for row in 0..2 {
        for col in 0..16 {
            let value = row * 16 + col;
            let Some(&symbol) = BASE32.get(value) else {
                continue;
            };
            let x = col as f32 * cell_w;
            let top = y + row as f32 * cell_h;
            ops.push(Op::Box {
                rect: (x, top, cell_w, cell_h),
                fill: if (row + col) % 2 == 0 { 255 } else { 242 },
                stroke: Some(170),
            });
            ops.push(Op::Text {
                x: x + 4.0,
                y: top + 10.5,
                size: 9.0,
                face: Face::Bold,
                grey: 0,
                text: text(char::from(symbol).to_string()),
            });
            let number = value.to_string();
            let number_width = fonts.width(Face::Regular, &number, 8.5);
            ops.push(Op::Text {
                x: x + cell_w - 4.0 - number_width,
                y: top + 10.5,
                size: 8.5,
                face: Face::Regular,
                grey: 70,
                text: text(number),
            });
        }
    }
    y += 2.0 * cell_h + 14.0;
    ops.push(Op::Rule {
        x: 0.0,
        y: y - 4.0,
        width,
        grey: 0,
    });
    Block { height: y, ops }
}

/// The text under the name: type, algorithm, digits and period or counter.
fn parameters(account: &Account) -> String {
    match account.kind {
        Kind::Totp { period } => format!(
            "TOTP  ·  {}  ·  {} digits  ·  period {period} s",
            account.algorithm, account.digits
        ),
        Kind::Hotp { counter } => format!(
            "HOTP  ·  {}  ·  {} digits  ·  counter {counter}",
            account.algorithm, account.digits
        ),
        Kind::Steam => "Steam Guard  ·  SHA1  ·  5 characters  ·  period 30 s".to_string(),
    }
}

/// Sizes of the secret lines: font size, line height, and widths of the
/// line number, the groups and the check columns.
#[derive(Clone, Copy)]
struct SecretMetrics {
    size: f32,
    line_height: f32,
    number_w: f32,
    groups_w: f32,
    check_w: f32,
}

impl SecretMetrics {
    fn new(fonts: &Fonts, size: f32, lines: usize) -> Self {
        let digits = lines.to_string().len().max(1);
        SecretMetrics {
            size,
            line_height: size * 1.3,
            number_w: fonts.width(Face::Regular, &"0".repeat(digits + 1), size * 0.75),
            groups_w: fonts.width(Face::Regular, "XXXX XXXX XXXX XXXX", size) + size,
            check_w: fonts.width(Face::Bold, "XX", size).max(fonts.width(
                Face::Regular,
                "check",
                LABEL_SIZE,
            )),
        }
    }

    fn column_w(&self) -> f32 {
        self.number_w + self.groups_w + self.check_w
    }

    /// How many columns fit in `width` with a gap between them.
    fn columns(&self, width: f32) -> usize {
        let gap = 2.0 * self.size;
        (((width + gap) / (self.column_w() + gap)).floor() as usize).max(1)
    }
}

/// Adds the secret's lines in `columns` columns from (`x`, `y`); returns the height.
fn push_secret(
    ops: &mut Vec<Op>,
    lines: &[SecretLine],
    metrics: SecretMetrics,
    columns: usize,
    (x, y): (f32, f32),
) -> f32 {
    let label_size = LABEL_SIZE;
    let label_h = 10.0;
    let rows = lines.len().div_ceil(columns.max(1));
    let gap = 2.0 * metrics.size;
    for column in 0..columns.min(lines.len()) {
        let cx = x + column as f32 * (metrics.column_w() + gap);
        ops.push(Op::Text {
            x: cx + metrics.number_w,
            y: y + label_size,
            size: label_size,
            face: Face::Regular,
            grey: 90,
            text: text("secret (base32)"),
        });
        ops.push(Op::Text {
            x: cx + metrics.number_w + metrics.groups_w,
            y: y + label_size,
            size: label_size,
            face: Face::Regular,
            grey: 90,
            text: text("check"),
        });
    }
    for (index, line) in lines.iter().enumerate() {
        let column = index / rows.max(1);
        let row = index % rows.max(1);
        let cx = x + column as f32 * (metrics.column_w() + gap);
        let baseline = y + label_h + row as f32 * metrics.line_height + metrics.size;
        ops.push(Op::Text {
            x: cx,
            y: baseline,
            size: metrics.size * 0.75,
            face: Face::Regular,
            grey: 120,
            text: text((index + 1).to_string()),
        });
        ops.push(Op::Text {
            x: cx + metrics.number_w,
            y: baseline,
            size: metrics.size,
            face: Face::Regular,
            grey: 0,
            text: line.groups.clone(),
        });
        ops.push(Op::Text {
            x: cx + metrics.number_w + metrics.groups_w,
            y: baseline,
            size: metrics.size,
            face: Face::Bold,
            grey: 60,
            text: line.check.clone(),
        });
    }
    label_h + rows as f32 * metrics.line_height
}

/// One account: QR code on the left, names, parameters and secret on the right.
fn account_block(
    account: &Account,
    number: usize,
    count: usize,
    fonts: &Fonts,
    width: f32,
    page_space: f32,
) -> Block {
    let uri = uri::format(account);
    let matrix = super::png::encode(uri.as_bytes())
        .ok()
        .map(|code| QrMatrix {
            width: code.width(),
            dark: code.to_colors().iter().map(|c| *c == Color::Dark).collect(),
        });
    let qr_side = matrix.as_ref().map_or(0.0, |m| {
        (m.width as f32 * QR_MODULE_MIN).clamp(QR_MIN, QR_MAX)
    });
    let text_x = if matrix.is_some() {
        qr_side + QR_GAP
    } else {
        0.0
    };
    let text_w = width - text_x;

    let mut ops = Vec::new();
    let top = BLOCK_PAD;
    let mut y = top;

    // The account number sits at the top right; the heading stays clear of it.
    let tag = format!("#{number} of {count}");
    let tag_w = fonts.width(Face::Regular, &tag, 8.0);
    ops.push(Op::Text {
        x: width - tag_w,
        y: y + 8.0,
        size: 8.0,
        face: Face::Regular,
        grey: 110,
        text: text(tag),
    });
    let (heading, subheading) = if account.issuer.is_empty() {
        (account.name.as_str(), "")
    } else {
        (account.issuer.as_str(), account.name.as_str())
    };
    let heading = fonts.wrap(Face::Bold, heading, 12.5, text_w - tag_w - 10.0, 2);
    push_lines(
        &mut ops,
        heading,
        text_x,
        &mut y,
        (12.5, 16.0),
        Face::Bold,
        0,
    );
    if !subheading.is_empty() {
        let lines = fonts.wrap(Face::Regular, subheading, 10.0, text_w, 3);
        push_lines(
            &mut ops,
            lines,
            text_x,
            &mut y,
            (10.0, 13.0),
            Face::Regular,
            0,
        );
    }
    let params = fonts.wrap(Face::Regular, &parameters(account), 8.5, text_w, 2);
    y += 1.0;
    push_lines(
        &mut ops,
        params,
        text_x,
        &mut y,
        (8.5, 12.0),
        Face::Regular,
        60,
    );
    if matrix.is_none() {
        let note = fonts.wrap(
            Face::Bold,
            "Too long for a QR code: type the secret in by hand.",
            8.5,
            text_w,
            2,
        );
        push_lines(&mut ops, note, text_x, &mut y, (8.5, 12.0), Face::Bold, 0);
    }
    y += 5.0;

    let lines = secret_lines(&account.secret);
    let beside = SecretMetrics::new(fonts, 11.0, lines.len());
    let beside_columns = if lines.len() <= SECRET_LINES_ONE_COLUMN {
        1
    } else {
        beside.columns(text_w)
    };
    let rows = lines.len().div_ceil(beside_columns);
    let beside_h = 10.0 + rows as f32 * beside.line_height;
    let fits_beside = (y + beside_h).max(top + qr_side) + BLOCK_PAD <= page_space;
    if fits_beside {
        y += push_secret(&mut ops, &lines, beside, beside_columns, (text_x, y));
    } else {
        // Long secret: full width under the QR code, in as many columns as fit,
        // smaller if it would still not fit on a page.
        let below_y = y.max(top + qr_side) + 8.0;
        let mut metrics = SecretMetrics::new(fonts, 10.0, lines.len());
        let mut columns = metrics.columns(width);
        let room = page_space - below_y - BLOCK_PAD;
        for size in [9.0, 8.0, 7.0, 6.0] {
            let rows = lines.len().div_ceil(columns);
            if 10.0 + rows as f32 * metrics.line_height <= room {
                break;
            }
            metrics = SecretMetrics::new(fonts, size, lines.len());
            columns = metrics.columns(width);
        }
        y = below_y + push_secret(&mut ops, &lines, metrics, columns, (0.0, below_y));
    }

    if let Some(matrix) = matrix {
        ops.push(Op::Qr {
            x: 0.0,
            y: top,
            side: qr_side,
            matrix,
        });
    }
    let height = y.max(top + qr_side) + BLOCK_PAD;
    ops.push(Op::Rule {
        x: 0.0,
        y: height,
        width,
        grey: 190,
    });
    Block { height, ops }
}

// ---------------------------------------------------------------------------
// Drawing

fn fill(grey: u8) -> Fill {
    Fill {
        paint: luma::Color::new(grey).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

fn rect_path(x: f32, y: f32, w: f32, h: f32) -> Option<krilla::geom::Path> {
    let mut builder = PathBuilder::new();
    builder.push_rect(Rect::from_xywh(x, y, w, h)?);
    builder.finish()
}

fn draw_ops(surface: &mut Surface<'_>, fonts: &Fonts, ops: &[Op], dx: f32, dy: f32) {
    for op in ops {
        match op {
            Op::Text {
                x,
                y,
                size,
                face,
                grey,
                text,
            } => {
                if text.is_empty() {
                    continue;
                }
                let font = match face {
                    Face::Regular => fonts.regular.clone(),
                    Face::Bold => fonts.bold.clone(),
                };
                surface.set_fill(Some(fill(*grey)));
                surface.draw_text(
                    Point::from_xy(dx + x, dy + y),
                    font,
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            }
            Op::Box {
                rect: (x, y, w, h),
                fill: grey,
                stroke,
            } => {
                if let Some(path) = rect_path(dx + x, dy + y, *w, *h) {
                    surface.set_fill(Some(fill(*grey)));
                    surface.set_stroke(stroke.map(|s| Stroke {
                        paint: luma::Color::new(s).into(),
                        width: 0.6,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                    surface.set_stroke(None);
                }
            }
            Op::Rule { x, y, width, grey } => {
                if let Some(path) = rect_path(dx + x, dy + y - 0.25, *width, 0.5) {
                    surface.set_fill(Some(fill(*grey)));
                    surface.draw_path(&path);
                }
            }
            Op::Qr { x, y, side, matrix } => draw_qr(surface, matrix, dx + x, dy + y, *side),
        }
    }
}

/// A corner of the module grid: column, row (0 ..= width each).
type Corner = (u16, u16);

/// The outline of the dark modules, in module units: closed loops of corners
/// (only where the outline turns). Every loop runs clockwise on the page
/// around dark modules (and so the other way around light holes), so a
/// non-zero fill of all loops covers exactly the dark modules.
///
/// Each dark module contributes its sides that border a light module or the
/// edge, oriented clockwise; sides between two dark modules cancel out and are
/// never drawn. The sides are then chained into loops. Where two dark modules
/// touch only at a corner, either way of chaining gives the same fill, because
/// the winding number of a point is the sum over the modules around it.
fn qr_outline(matrix: &QrMatrix) -> Vec<Vec<Corner>> {
    let width = matrix.width;
    let side = width + 1;
    let dark = |col: usize, row: usize| {
        col < width && row < width && matrix.dark.get(row * width + col).copied() == Some(true)
    };
    // Sides leaving each corner (at most two), as the index of the corner they reach.
    let mut leaving: Vec<Vec<usize>> = vec![Vec::new(); side * side];
    let mut add = |from: (usize, usize), to: (usize, usize)| {
        if let Some(sides) = leaving.get_mut(from.1 * side + from.0) {
            sides.push(to.1 * side + to.0);
        }
    };
    for row in 0..width {
        for col in 0..width {
            if !dark(col, row) {
                continue;
            }
            if row == 0 || !dark(col, row - 1) {
                add((col, row), (col + 1, row));
            }
            if !dark(col + 1, row) {
                add((col + 1, row), (col + 1, row + 1));
            }
            if !dark(col, row + 1) {
                add((col + 1, row + 1), (col, row + 1));
            }
            if col == 0 || !dark(col - 1, row) {
                add((col, row + 1), (col, row));
            }
        }
    }
    let corner = |index: usize| -> Corner {
        // Both are at most 177 + 1 (the largest QR symbol), well within u16.
        ((index % side) as u16, (index / side) as u16)
    };
    let mut loops = Vec::new();
    for start in 0..leaving.len() {
        while let Some(mut at) = leaving.get_mut(start).and_then(Vec::pop) {
            // Every corner has as many sides arriving as leaving, so the walk
            // comes back to `start`.
            let mut walk = vec![corner(start)];
            while at != start {
                walk.push(corner(at));
                match leaving.get_mut(at).and_then(Vec::pop) {
                    Some(next) => at = next,
                    None => break,
                }
            }
            loops.push(turns_only(&walk));
        }
    }
    loops
}

/// The corners of a closed walk of unit steps where the direction changes.
fn turns_only(walk: &[Corner]) -> Vec<Corner> {
    let count = walk.len();
    (0..count)
        .filter_map(|index| {
            let before = walk.get((index + count - 1) % count)?;
            let here = walk.get(index)?;
            let after = walk.get((index + 1) % count)?;
            let straight = (before.0 == here.0 && here.0 == after.0)
                || (before.1 == here.1 && here.1 == after.1);
            (!straight).then_some(*here)
        })
        .collect()
}

/// Draws the dark modules as one filled path of outlines, in module units
/// scaled to `side` (whole-number coordinates keep the PDF small).
fn draw_qr(surface: &mut Surface<'_>, matrix: &QrMatrix, x: f32, y: f32, side: f32) {
    if matrix.width == 0 {
        return;
    }
    let module = side / matrix.width as f32;
    let mut builder = PathBuilder::new();
    for outline in qr_outline(matrix) {
        let mut corners = outline.iter();
        let Some(&(col, row)) = corners.next() else {
            continue;
        };
        builder.move_to(f32::from(col), f32::from(row));
        for &(col, row) in corners {
            builder.line_to(f32::from(col), f32::from(row));
        }
        builder.close();
    }
    if let Some(path) = builder.finish() {
        surface.push_transform(&Transform::from_row(module, 0.0, 0.0, module, x, y));
        surface.set_fill(Some(fill(0)));
        surface.draw_path(&path);
        surface.pop();
    }
}

fn render(
    sheet: &Sheet,
    options: &PaperOptions,
    fonts: &Fonts,
) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    let (page_w, page_h) = sheet.page_size;
    let content_w = page_w - 2.0 * MARGIN_X;
    let total = sheet.pages.len();
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(options.title.clone())
            .creator("keyfob".to_string()),
    );
    let size = Size::from_wh(page_w, page_h).ok_or(ExportError::Pdf("invalid page size"))?;
    for (index, blocks) in sheet.pages.iter().enumerate() {
        let mut page = document.start_page_with(PageSettings::new(size));
        let mut surface = page.surface();
        let top = if index == 0 {
            draw_ops(&mut surface, fonts, &sheet.intro.ops, MARGIN_X, MARGIN_Y);
            MARGIN_Y + sheet.intro.height
        } else {
            let mut header = Vec::new();
            let right = format!("fingerprint {}", sheet.fingerprint);
            let right_w = fonts.width(Face::Regular, &right, 8.5);
            let mut left = options.title.clone();
            if !options.date.trim().is_empty() {
                left.push_str(&format!("  ·  {}", options.date.trim()));
            }
            let left = fonts.wrap(Face::Bold, &left, 8.5, content_w - right_w - 12.0, 1);
            push_lines(&mut header, left, 0.0, &mut 0.0, (8.5, 12.0), Face::Bold, 0);
            header.push(Op::Text {
                x: content_w - right_w,
                y: 8.5,
                size: 8.5,
                face: Face::Regular,
                grey: 0,
                text: text(right),
            });
            header.push(Op::Rule {
                x: 0.0,
                y: 15.0,
                width: content_w,
                grey: 0,
            });
            draw_ops(&mut surface, fonts, &header, MARGIN_X, MARGIN_Y);
            MARGIN_Y + HEADER_H
        };
        for (offset, block) in blocks {
            draw_ops(&mut surface, fonts, &block.ops, MARGIN_X, top + offset);
        }

        let footer_y = page_h - MARGIN_Y;
        let number = format!("page {} of {total}", index + 1);
        let number_w = fonts.width(Face::Regular, &number, 9.0);
        let accounts = format!(
            "{} account{}",
            sheet.count,
            if sheet.count == 1 { "" } else { "s" }
        );
        let right = format!("fingerprint {}", sheet.fingerprint);
        let right_w = fonts.width(Face::Regular, &right, 8.0);
        let footer = [
            Op::Text {
                x: 0.0,
                y: 0.0,
                size: 8.0,
                face: Face::Regular,
                grey: 90,
                text: text(accounts),
            },
            Op::Text {
                x: (content_w - number_w) / 2.0,
                y: 0.0,
                size: 9.0,
                face: Face::Bold,
                grey: 0,
                text: text(number),
            },
            Op::Text {
                x: content_w - right_w,
                y: 0.0,
                size: 8.0,
                face: Face::Regular,
                grey: 90,
                text: text(right),
            },
        ];
        draw_ops(&mut surface, fonts, &footer, MARGIN_X, footer_y);
        surface.finish();
        page.finish();
    }
    let pdf = document
        .finish()
        .map_err(|_| ExportError::Pdf("the PDF library could not serialise the document"))?;
    Ok(Zeroizing::new(pdf))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests;
