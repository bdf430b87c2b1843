//! keyfob's paper sheet as a PDF, read back by `import` and `verify` alike.
//!
//! The sheet's QR codes are only reachable by rendering its pages, which poppler's
//! `pdftoppm` does well; keyfob runs it rather than carry a PDF renderer. The PDF
//! goes to it on standard input, the pages come back as PNG files in a private
//! temporary directory that is removed before returning, and its messages are
//! collected, not printed.

use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::MAX_INPUT_LEN;
use crate::bounded::{self, ReadError};

/// Resolution the pages are rendered at, in dots per inch (like a scan).
pub const RENDER_DPI: u32 = 150;

/// Most bytes of `pdftoppm`'s messages kept for an error.
const MAX_MESSAGE: u64 = 4096;

/// Errors turning a PDF into page images.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdfError {
    /// poppler's `pdftoppm` is not installed (not found on `PATH`).
    #[error("reading a PDF needs poppler's 'pdftoppm' program, which is not installed")]
    ToolMissing,
    /// `pdftoppm` is there but could not be run.
    #[error("cannot run 'pdftoppm'")]
    Run(#[source] std::io::Error),
    /// The private directory for the pages could not be made or listed.
    #[error("cannot use a temporary directory for the PDF's pages")]
    TempDir(#[source] std::io::Error),
    /// `pdftoppm` refused the file.
    #[error("'pdftoppm' could not render the PDF ({status}){}", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    Render {
        /// How it exited.
        status: String,
        /// The first line of what it said (about the PDF's structure, never its text).
        detail: String,
    },
    /// A rendered page could not be read back.
    #[error("cannot read a page rendered from the PDF")]
    Page(#[source] ReadError),
}

/// True when the bytes start like a PDF file.
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// Renders every page of a PDF to a PNG image at [`RENDER_DPI`], in page order.
pub fn render_pages(pdf: &[u8]) -> Result<Vec<Zeroizing<Vec<u8>>>, PdfError> {
    let dir = tempfile::tempdir().map_err(PdfError::TempDir)?;
    let messages_path = dir.path().join("messages");
    let messages = std::fs::File::create(&messages_path).map_err(PdfError::TempDir)?;
    let pages_dir = dir.path().join("pages");
    std::fs::create_dir(&pages_dir).map_err(PdfError::TempDir)?;
    let mut child = Command::new("pdftoppm")
        .args(["-r", &RENDER_DPI.to_string(), "-png", "-"])
        .arg(pages_dir.join("page"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(messages)
        .spawn()
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => PdfError::ToolMissing,
            _ => PdfError::Run(e),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A refused PDF makes it exit early (a broken pipe here): its exit status
        // and messages below say why.
        let _ = stdin.write_all(pdf);
    }
    let status = child.wait().map_err(PdfError::Run)?;
    if !status.success() {
        let said = bounded::read_file(&messages_path, MAX_MESSAGE).unwrap_or_default();
        let said = String::from_utf8_lossy(&said);
        let lines = || said.lines().map(str::trim).filter(|l| !l.is_empty());
        let detail = lines()
            .find(|l| l.contains("Error"))
            .or_else(|| lines().next())
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        return Err(PdfError::Render {
            status: status.to_string(),
            detail,
        });
    }
    // pdftoppm pads page numbers to the same width, so names sort in page order.
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&pages_dir)
        .map_err(PdfError::TempDir)?
        .flatten()
        .map(|e| e.path())
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|page| bounded::read_file(page, MAX_INPUT_LEN as u64).map_err(PdfError::Page))
        .collect()
}
