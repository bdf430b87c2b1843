//! `keyfob show QUERY --uri | --qr`: reveal an account to move it elsewhere.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use keyfob::uri;
use qrcode::{EcLevel, QrCode};

use super::context::{Context, select_one};

/// Arguments of `keyfob show`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("what").required(true))]
pub struct ShowArgs {
    /// Matches issuer or name, case-insensitively.
    pub query: String,
    /// Print the otpauth:// URI (contains the secret).
    #[arg(long, group = "what")]
    pub uri: bool,
    /// Draw the QR code in the terminal, for a phone to scan.
    #[arg(long, group = "what")]
    pub qr: bool,
    /// Dark modules drawn as blocks (for terminals with a light background).
    #[arg(long, requires = "qr")]
    pub invert: bool,
}

/// Reveals the account.
pub fn run(ctx: &Context, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let vault = ctx.open()?;
    let index = select_one(vault.accounts(), &args.query)?;
    let account = vault.accounts().get(index).context("no such account")?;
    let text = uri::format(account);
    let mut out = std::io::stdout().lock();
    if args.uri {
        writeln!(out, "{}", &*text)?;
    } else {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .context("encoding the QR code")?;
        out.write_all(render_half_blocks(&code, args.invert).as_bytes())?;
        writeln!(out, "{}", account.label())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Draws a QR code with Unicode half blocks, two module rows per text line, with a
/// 2-module quiet zone. By default light modules are drawn (light text on a dark
/// terminal reads as dark-on-light to a scanner); `invert` draws dark ones.
pub fn render_half_blocks(code: &QrCode, invert: bool) -> String {
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 2usize;
    let size = width + 2 * quiet;
    let dark = |x: usize, y: usize| -> bool {
        if x < quiet || y < quiet || x >= width + quiet || y >= width + quiet {
            return false;
        }
        colors
            .get((y - quiet) * width + (x - quiet))
            .is_some_and(|c| *c == qrcode::Color::Dark)
    };
    let mut text = String::with_capacity(size * size);
    for y in (0..size).step_by(2) {
        for x in 0..size {
            let top = dark(x, y) == invert;
            let bottom = (y + 1 < size) && (dark(x, y + 1) == invert);
            text.push(match (top, bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        text.push('\n');
    }
    text
}
