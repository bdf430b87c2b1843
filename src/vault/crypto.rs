//! age encryption of the vault document.
//!
//! Two ways to protect a vault: a passphrase (age's scrypt recipient, written at
//! work factor 18 and accepted up to 22 so a vault made on a fast machine opens on
//! a slow one), or one or more age X25519 identities read from an identity file
//! (the same format `age-keygen` writes). Either way the file is a standard age
//! file that the stock `age -d` tool can decrypt.

use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::VaultError;

/// scrypt work factor (log2 N) used when writing a passphrase-protected vault.
pub const WRITE_WORK_FACTOR: u8 = 18;
/// Largest scrypt work factor accepted when opening a vault.
pub const MAX_WORK_FACTOR: u8 = 22;
/// Largest identity file read, in bytes.
const MAX_IDENTITY_FILE: u64 = 1024 * 1024;
/// How every age X25519 identity line begins.
const IDENTITY_PREFIX: &str = "AGE-SECRET-KEY-1";

/// What unlocks a vault. `Debug` never shows the passphrase or key.
#[derive(Clone)]
pub enum Key {
    /// A passphrase, stretched with scrypt.
    Passphrase(SecretString),
    /// One or more X25519 identities; the vault is encrypted to all of their recipients.
    Identity(Vec<age::x25519::Identity>),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Passphrase(_) => f.write_str("Key::Passphrase([REDACTED])"),
            Key::Identity(ids) => write!(f, "Key::Identity({} identities, [REDACTED])", ids.len()),
        }
    }
}

impl Key {
    /// A passphrase key.
    pub fn passphrase(passphrase: SecretString) -> Self {
        Key::Passphrase(passphrase)
    }

    /// Reads an age identity file (`AGE-SECRET-KEY-1…` lines; `#` comments and blank lines ignored).
    pub fn from_identity_file(path: &Path) -> Result<Self, VaultError> {
        let bytes = crate::bounded::read_file(path, MAX_IDENTITY_FILE)
            .map_err(|source| VaultError::IdentityRead { source })?;
        let text = std::str::from_utf8(&bytes).map_err(|_| VaultError::IdentityInvalid)?;
        Self::from_identity_text(text)
    }

    /// Parses identity file contents.
    pub fn from_identity_text(text: &str) -> Result<Self, VaultError> {
        let mut identities = Vec::new();
        for (number, line) in text.lines().map(str::trim).enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Ok(identity) = age::x25519::Identity::from_str(line) else {
                // An identity whose bech32 checksum fails (a character changed,
                // lost or added) still starts like one: say it is damaged.
                let looks_like_one = line
                    .get(..IDENTITY_PREFIX.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(IDENTITY_PREFIX));
                return Err(if looks_like_one {
                    VaultError::IdentityDamaged { line: number + 1 }
                } else {
                    VaultError::IdentityInvalid
                });
            };
            identities.push(identity);
        }
        if identities.is_empty() {
            return Err(VaultError::IdentityInvalid);
        }
        Ok(Key::Identity(identities))
    }

    /// A fresh X25519 identity and the text of its identity file (secret: write it 0600).
    pub fn generate_identity(now_rfc3339: &str) -> (Self, Zeroizing<String>) {
        let identity = age::x25519::Identity::generate();
        let text = Zeroizing::new(format!(
            "# created: {now_rfc3339}\n# public key: {}\n{}\n",
            identity.to_public(),
            identity.to_string().expose_secret()
        ));
        (Key::Identity(vec![identity]), text)
    }

    /// The public recipients (`age1…`) of an identity key; empty for a passphrase.
    pub fn recipients(&self) -> Vec<String> {
        match self {
            Key::Passphrase(_) => Vec::new(),
            Key::Identity(ids) => ids.iter().map(|i| i.to_public().to_string()).collect(),
        }
    }

    /// Whether this is a passphrase key.
    pub fn is_passphrase(&self) -> bool {
        matches!(self, Key::Passphrase(_))
    }
}

/// Encrypts `plaintext` to `key` as a binary age file.
pub fn encrypt(plaintext: &[u8], key: &Key) -> Result<Vec<u8>, VaultError> {
    let target = match key {
        Key::Passphrase(passphrase) => BackupTarget::Passphrase(passphrase.clone()),
        Key::Identity(ids) => BackupTarget::Recipients(ids.iter().map(|i| i.to_public()).collect()),
    };
    encrypt_backup(plaintext, &target, false)
}

/// Whom a backup is encrypted to.
#[derive(Clone)]
pub enum BackupTarget {
    /// A passphrase of the backup's own (scrypt, work factor 18).
    Passphrase(SecretString),
    /// One or more age recipients (`age1…` public keys).
    Recipients(Vec<age::x25519::Recipient>),
}

impl std::fmt::Debug for BackupTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackupTarget::Passphrase(_) => f.write_str("BackupTarget::Passphrase([REDACTED])"),
            BackupTarget::Recipients(r) => {
                write!(f, "BackupTarget::Recipients({} recipients)", r.len())
            }
        }
    }
}

/// Parses an `age1…` recipient.
pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient, VaultError> {
    age::x25519::Recipient::from_str(text.trim())
        .map_err(|_| VaultError::RecipientInvalid(text.chars().take(80).collect()))
}

/// Encrypts a backup to a passphrase or to recipients, binary or ASCII-armored.
pub fn encrypt_backup(
    plaintext: &[u8],
    target: &BackupTarget,
    armor: bool,
) -> Result<Vec<u8>, VaultError> {
    let encryptor = match target {
        BackupTarget::Passphrase(passphrase) => {
            let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
            recipient.set_work_factor(WRITE_WORK_FACTOR);
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        }
        BackupTarget::Recipients(recipients) => {
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        }
    }
    .map_err(|_| VaultError::Encrypt)?;
    let format = if armor {
        age::armor::Format::AsciiArmor
    } else {
        age::armor::Format::Binary
    };
    let mut out = Vec::with_capacity(plaintext.len() * 2 + 1024);
    let armored = age::armor::ArmoredWriter::wrap_output(&mut out, format)
        .map_err(|_| VaultError::Encrypt)?;
    let mut writer = encryptor
        .wrap_output(armored)
        .map_err(|_| VaultError::Encrypt)?;
    writer
        .write_all(plaintext)
        .map_err(|_| VaultError::Encrypt)?;
    writer
        .finish()
        .and_then(|armor| armor.finish())
        .map_err(|_| VaultError::Encrypt)?;
    Ok(out)
}

/// Decrypts a whole age file (binary or ASCII-armored) into a zeroizing buffer.
pub fn decrypt(ciphertext: &[u8], key: &Key) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    if !looks_like_age(ciphertext) {
        return Err(VaultError::NotAgeFile);
    }
    let reader = age::armor::ArmoredReader::new(ciphertext);
    let decryptor = age::Decryptor::new_buffered(reader).map_err(|e| map_decrypt_error(e, key))?;
    let stream = match key {
        Key::Passphrase(passphrase) => {
            if !decryptor.is_scrypt() {
                return Err(VaultError::NeedsIdentity);
            }
            let mut identity = age::scrypt::Identity::new(passphrase.clone());
            identity.set_max_work_factor(MAX_WORK_FACTOR);
            decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity))
        }
        Key::Identity(ids) => {
            if decryptor.is_scrypt() {
                return Err(VaultError::NeedsPassphrase);
            }
            decryptor.decrypt(ids.iter().map(|i| i as &dyn age::Identity))
        }
    };
    let mut stream = stream.map_err(|e| map_decrypt_error(e, key))?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    stream
        .read_to_end(&mut plaintext)
        .map_err(|_| VaultError::Damaged)?;
    Ok(plaintext)
}

/// Whether an age file (binary or armored) is encrypted to a passphrase
/// (`Some(true)`) or to recipients (`Some(false)`), from its header alone;
/// `None` when it is not a readable age file.
pub fn is_passphrase_encrypted(ciphertext: &[u8]) -> Option<bool> {
    if !looks_like_age(ciphertext) {
        return None;
    }
    let reader = age::armor::ArmoredReader::new(ciphertext);
    age::Decryptor::new_buffered(reader)
        .ok()
        .map(|decryptor| decryptor.is_scrypt())
}

/// Cheap check for the binary or armored age header.
pub fn looks_like_age(bytes: &[u8]) -> bool {
    bytes.starts_with(b"age-encryption.org/v1\n")
        || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

fn map_decrypt_error(error: age::DecryptError, key: &Key) -> VaultError {
    use age::DecryptError as E;
    match error {
        E::ExcessiveWork { required, .. } => VaultError::ExcessiveWork {
            work_factor: required,
        },
        E::DecryptionFailed | E::KeyDecryptionFailed | E::NoMatchingKeys => {
            if key.is_passphrase() {
                VaultError::WrongPassphrase
            } else {
                VaultError::WrongIdentity
            }
        }
        E::InvalidMac => VaultError::Damaged,
        E::InvalidHeader | E::UnknownFormat => VaultError::Damaged,
        E::Io(_) => VaultError::Damaged,
        // `DecryptError` is non-exhaustive since age 0.12; an error added later (the
        // plugin ones are compiled out here) still means this file cannot be read.
        _ => VaultError::Damaged,
    }
}
