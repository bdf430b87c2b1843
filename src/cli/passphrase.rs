//! Getting passphrases from the user: a file, standard input, or a terminal prompt.
//! Never hangs: without a terminal and without a file, it says how to give one.

use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

use anyhow::{Context as _, bail};
use keyfob::vault::crypto::WRITE_WORK_FACTOR;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// Longest passphrase file (or standard input line) read, in bytes: a passphrase
/// file is one short line.
const LIMIT: u64 = 64 * 1024;

/// Reads the first line of `path` (`-` = standard input), without its line ending.
pub fn read_first_line(path: &Path) -> anyhow::Result<SecretString> {
    // Straight into zeroizing buffers that never reallocate in place (no stale
    // copies), and bounded: `/dev/zero` or an endless pipe cost 64 KiB, not all memory.
    let bytes = if path == Path::new("-") {
        // Only the first line: the rest of standard input may be for something else.
        let mut line = Zeroizing::new(Vec::with_capacity(LIMIT as usize + 1));
        std::io::stdin()
            .lock()
            .take(LIMIT + 1)
            .read_until(b'\n', &mut line)
            .context("reading the passphrase from standard input")?;
        if line.len() as u64 > LIMIT {
            bail!("the passphrase on standard input is longer than 64 KiB; give one line");
        }
        line
    } else {
        keyfob::bounded::read_file(path, LIMIT)
            .with_context(|| format!("reading the passphrase file '{}'", path.display()))?
    };
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = std::str::from_utf8(first).context("the passphrase file is not UTF-8 text")?;
    let trimmed = line.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(SecretString::from(trimmed.to_string()))
}

/// True when keyfob can prompt on a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn no_source_error() -> anyhow::Error {
    anyhow::anyhow!(
        "no passphrase given and no terminal to ask on; use --passphrase-file PATH ('-' reads standard input) or KEYFOB_PASSPHRASE_FILE"
    )
}

/// Prompts once on the terminal.
pub fn prompt(label: &str) -> anyhow::Result<SecretString> {
    if !interactive() {
        return Err(no_source_error());
    }
    let text = Zeroizing::new(
        rpassword::prompt_password(label).context("reading the passphrase from the terminal")?,
    );
    if text.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(SecretString::from(text.to_string()))
}

/// The passphrase of an existing vault: from the file if given, else the terminal.
pub fn existing(file: Option<&Path>) -> anyhow::Result<SecretString> {
    match file {
        Some(path) => read_first_line(path),
        None => prompt("Vault passphrase: "),
    }
}

/// A new passphrase: from the file if given, else asked twice on the terminal.
pub fn new(file: Option<&Path>, what: &str) -> anyhow::Result<SecretString> {
    if let Some(path) = file {
        return read_first_line(path);
    }
    if !interactive() {
        return Err(no_source_error());
    }
    eprintln!(
        "Choose a {what}. If you forget it, the accounts in the vault are lost: keep a paper backup\n\
         ('keyfob export --format paper'). Several unrelated words make a strong passphrase.\n\
         (scrypt work factor {WRITE_WORK_FACTOR}: unlocking takes about a second by design.)"
    );
    loop {
        let first = prompt(&format!("New {what}: "))?;
        let second = prompt(&format!("Repeat the {what}: "))?;
        if first.expose_secret() == second.expose_secret() {
            if first.expose_secret().chars().count() < 8 {
                eprintln!(
                    "warning: that {what} is short; anyone with the vault file can try to guess it offline."
                );
            }
            return Ok(first);
        }
        eprintln!("The two entries differ; try again.");
    }
}
