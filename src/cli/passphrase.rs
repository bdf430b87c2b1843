//! Getting passphrases from the user: a file, standard input, or a terminal prompt.
//! Never hangs: without a terminal and without a file, it says how to give one.

use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

use anyhow::{Context as _, bail};
use keyfob::vault::crypto::WRITE_WORK_FACTOR;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// Reads the first line of `path` (`-` = standard input), without its line ending.
pub fn read_first_line(path: &Path) -> anyhow::Result<SecretString> {
    let mut line = Zeroizing::new(String::new());
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the passphrase from standard input")?;
    } else {
        // Read straight into a zeroizing buffer reserved up front (no copy in an
        // unwiped reader buffer, no reallocation leaving stale copies), bounded:
        // a passphrase file is one short line.
        const LIMIT: usize = 64 * 1024;
        let mut bytes = Zeroizing::new(Vec::with_capacity(LIMIT + 1));
        std::fs::File::open(path)
            .and_then(|file| file.take(LIMIT as u64).read_to_end(&mut bytes))
            .with_context(|| format!("reading the passphrase file '{}'", path.display()))?;
        let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
        line.push_str(std::str::from_utf8(first).context("the passphrase file is not UTF-8 text")?);
    }
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
