//! Hidden debugging commands, for benchmarks and bug reports rather than daily use.
//!
//! `keyfob debug qr-decode --jsonl PATHS` runs the QR image decoder on each file and
//! prints what it read, in the line format that `qr-corpus/anchors.py --cmd` scores.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

/// Debugging subcommands (hidden from help).
#[derive(Debug, clap::Subcommand)]
pub enum DebugCommand {
    /// Decode QR codes in image files and print their payloads (which may be secrets).
    QrDecode {
        /// Print one JSON object per image instead of plain lines.
        #[arg(long)]
        jsonl: bool,
        /// Image files (PNG, JPEG, GIF, BMP, WebP, TIFF).
        paths: Vec<PathBuf>,
    },
}

/// Runs a debug subcommand, printing to standard output.
///
/// `qr-decode --jsonl` prints, per image, one line
/// `{"path": "<as given>", "texts": [...], "results": [...], "stage": ..., "load_us": N, "detect_us": N}`.
/// `texts` holds the payloads that are valid UTF-8, unchanged. Payloads that are not
/// valid UTF-8 (e.g. Shift_JIS bytes read by the fallback decoder) are skipped from
/// `texts`, never lossily converted, and listed as lowercase hex in `results`.
/// `stage` names the cascade stage that read the codes (`null` when none did); a
/// file that cannot be read or decoded as an image gets an `error` field instead.
/// Without `--jsonl`, it prints `path: payload` lines (non-UTF-8 payloads in hex).
pub fn run(cmd: DebugCommand) -> anyhow::Result<()> {
    match cmd {
        DebugCommand::QrDecode { jsonl, paths } => qr_decode(jsonl, &paths),
    }
}

fn qr_decode(jsonl: bool, paths: &[PathBuf]) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in paths {
        let shown = path.display().to_string();
        let started = Instant::now();
        let loaded = std::fs::read(path)
            .with_context(|| format!("reading image '{shown}'"))
            .and_then(|bytes| {
                keyfob::qr::load_image(&bytes).with_context(|| format!("decoding image '{shown}'"))
            });
        let load_us = started.elapsed().as_micros();
        let image = match loaded {
            Ok(image) => image,
            Err(error) => {
                if jsonl {
                    let line = serde_json::json!({"path": shown, "texts": [], "error": format!("{error:#}")});
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{shown}: error: {error:#}")?;
                }
                continue;
            }
        };
        let started = Instant::now();
        let (codes, stage) = keyfob::qr::decode_image_traced(&image);
        let detect_us = started.elapsed().as_micros();
        let mut texts = Vec::new();
        let mut results = Vec::new();
        for code in codes {
            match String::from_utf8(code) {
                Ok(text) => texts.push(text),
                Err(error) => results.push(data_encoding::HEXLOWER.encode(error.as_bytes())),
            }
        }
        if jsonl {
            let line = serde_json::json!({
                "path": shown, "texts": texts, "results": results, "stage": stage,
                "load_us": load_us, "detect_us": detect_us,
            });
            writeln!(out, "{line}")?;
        } else if texts.is_empty() && results.is_empty() {
            writeln!(out, "{shown}: no QR code found")?;
        } else {
            for payload in texts.iter().chain(&results) {
                writeln!(out, "{shown}: {payload}")?;
            }
        }
    }
    Ok(())
}
