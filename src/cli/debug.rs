//! Hidden debugging commands, for benchmarks and bug reports rather than daily use.
//!
//! `keyfob debug qr-decode --jsonl PATHS` runs the QR image decoder on each file and
//! prints what it read, in the line format that `qr-corpus/anchors.py --cmd` scores.
//! `keyfob debug save-loop` and `keyfob debug harden-status` serve the fault and
//! hygiene tests (`tests/faults.rs`, `tests/hygiene.rs`); `keyfob debug
//! pause-at-rename COMMAND…` stops a command's first atomic write at the rename,
//! for the leftover-temp test in `tests/paths.rs`. `keyfob debug agent-request
//! SOCKET PAYLOAD` sends one raw message to an agent socket, with none of the
//! client's checks, and prints the raw reply (`tests/agent.rs`: another user's
//! connection, malformed requests).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser as _;
use keyfob::{Account, Algorithm, Kind, Secret};

use super::Context;

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
    /// Add accounts PREFIX-00000, PREFIX-00001, … one save each (each also rewrites
    /// the first account's note, so every save rotates the backups), printing each
    /// number once its save has returned (the crash-safety test kills this loop).
    SaveLoop {
        /// Name prefix of the accounts added.
        #[arg(long, default_value = "loop")]
        prefix: String,
        /// Number of saves (0 = until killed).
        #[arg(long, default_value_t = 0)]
        count: u64,
        /// First account number.
        #[arg(long, default_value_t = 0)]
        start: u64,
    },
    /// Print whether this process is dumpable and its core file size limit, as
    /// set by the hardening done at start.
    HardenStatus,
    /// Run a keyfob command that stops at its first atomic file write just before
    /// the rename: it prints the temp file's path and waits to be killed.
    PauseAtRename {
        /// The command and its arguments, e.g. `export --format uris --out FILE`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Send PAYLOAD as one message to the agent socket SOCKET (no checks of the
    /// socket's directory or the agent's uid) and print the raw reply.
    #[cfg(unix)]
    AgentRequest {
        /// The socket.
        socket: PathBuf,
        /// The message, e.g. '{"v":1,"request":{"op":"status"}}'.
        payload: String,
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
pub fn run(ctx: &Context, cmd: DebugCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DebugCommand::QrDecode { jsonl, paths } => qr_decode(jsonl, &paths),
        DebugCommand::SaveLoop {
            prefix,
            count,
            start,
        } => save_loop(ctx, &prefix, start, count),
        DebugCommand::HardenStatus => harden_status(),
        DebugCommand::PauseAtRename { args } => {
            keyfob::vault::store::set_rename_hook(pause_forever);
            let program = std::ffi::OsString::from("keyfob");
            let cli = super::Cli::try_parse_from(std::iter::once(program).chain(args))?;
            return super::dispatch(cli);
        }
        #[cfg(unix)]
        DebugCommand::AgentRequest { socket, payload } => agent_request(&socket, &payload),
    }
    .map(|()| ExitCode::SUCCESS)
}

#[cfg(unix)]
fn agent_request(socket: &Path, payload: &str) -> anyhow::Result<()> {
    use keyfob::agent::protocol;
    let stream = std::os::unix::net::UnixStream::connect(socket)
        .with_context(|| format!("connecting to '{}'", socket.display()))?;
    protocol::write_message(&stream, payload.as_bytes())?;
    let reply = protocol::read_message(&stream, protocol::MAX_REPLY)?;
    writeln!(
        std::io::stdout().lock(),
        "{}",
        String::from_utf8_lossy(&reply)
    )?;
    Ok(())
}

/// The rename hook of `pause-at-rename`: prints the temp path, then waits to be killed.
fn pause_forever(temp: &Path) {
    println!("{}", temp.display());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

fn save_loop(ctx: &Context, prefix: &str, start: u64, count: u64) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut n = start;
    while count == 0 || n < start.saturating_add(count) {
        let mut vault = ctx.open_for_write()?;
        // A distinct, valid secret per account: the number, big-endian, padded to 10 bytes.
        let mut raw = vec![0u8; 2];
        raw.extend_from_slice(&n.to_be_bytes());
        let account = Account::new(
            "SaveLoop",
            &format!("{prefix}-{n:05}"),
            Secret::from_bytes(raw).context("making a secret")?,
            Kind::Totp { period: 30 },
            Algorithm::Sha1,
            6,
            super::context::now(),
        )?;
        // Rewrite an earlier account's note too, so every save after the first
        // loses something and goes through backup rotation and tier capture.
        if let Some(first) = vault.accounts_mut().first_mut() {
            first.note = format!("save {n}");
        }
        vault.accounts_mut().push(account);
        vault.save().context("saving the vault")?;
        drop(vault);
        writeln!(out, "{n}")?;
        out.flush()?;
        n += 1;
    }
    Ok(())
}

fn harden_status() -> anyhow::Result<()> {
    let dumpable = super::dumpable();
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or("Max core file size unknown");
    println!(
        "dumpable: {}",
        dumpable.map_or_else(|| "unknown".to_string(), |d| d.to_string())
    );
    println!("{}", core.split_whitespace().collect::<Vec<_>>().join(" "));
    let relro = match super::relro_read_only() {
        Some(true) => "read-only",
        Some(false) => "writable",
        None => "none",
    };
    println!("relro: {relro}");
    Ok(())
}

fn qr_decode(jsonl: bool, paths: &[PathBuf]) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in paths {
        let shown = path.display().to_string();
        let started = Instant::now();
        let loaded = keyfob::bounded::read_file(path, keyfob::import::MAX_INPUT_LEN as u64)
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
