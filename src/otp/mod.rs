//! One-time-password generation: TOTP (RFC 6238), HOTP (RFC 4226) and Steam Guard.
//!
//! The current time is always passed in as unix seconds, so every function here
//! is deterministic and testable. TOTP and HOTP codes come from `totp-rs`; the
//! ten-digit case (where `totp-rs` would overflow) and Steam's alphabet use the
//! same RFC 4226 dynamic truncation computed with the RustCrypto HMAC crates.

use std::fmt;

use hmac::{Hmac, Mac};

use crate::account::{self, Account, AccountError, Algorithm, Kind};

#[cfg(test)]
mod tests;

/// Steam Guard's 26-character alphabet.
const STEAM_ALPHABET: &[u8; 26] = b"23456789BCDFGHJKMNPQRTVWXY";

/// Errors from code generation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum OtpError {
    /// The account's parameters are outside what keyfob supports.
    #[error(transparent)]
    Parameters(#[from] AccountError),
}

/// A generated code and how long it stays valid. `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Code {
    /// The code as shown to the user, e.g. `123456` or `4F7KQ`.
    pub text: String,
    /// Time step length for time-based codes.
    pub period: Option<u32>,
    /// Unix second at which the code stops being valid (time-based codes only).
    pub valid_until: Option<u64>,
}

impl Code {
    /// Seconds left at `now` before the code changes (time-based codes only).
    pub fn seconds_remaining(&self, now: u64) -> Option<u64> {
        self.valid_until.map(|until| until.saturating_sub(now))
    }

    /// The code split in two halves for reading aloud: `123 456`, `1234 5678`.
    pub fn grouped(&self) -> String {
        let len = self.text.chars().count();
        if len < 6 {
            return self.text.clone();
        }
        let split = len.div_ceil(2);
        let (a, b): (String, String) = (
            self.text.chars().take(split).collect(),
            self.text.chars().skip(split).collect(),
        );
        format!("{a} {b}")
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("text", &"[REDACTED]")
            .field("period", &self.period)
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

/// The code of `account` at unix time `now`. For HOTP this is the code for the
/// stored counter; the caller advances and saves the counter afterwards. A counter
/// at `u64::MAX` cannot advance, so it is refused ([`AccountError::CounterExhausted`])
/// rather than giving the same code on every call.
pub fn generate(account: &Account, now: u64) -> Result<Code, OtpError> {
    let secret = account.secret.expose();
    match account.kind {
        Kind::Totp { period } => {
            account::check_period(u64::from(period))?;
            let text = totp(secret, now, period, account.algorithm, account.digits)?;
            let step = now / u64::from(period);
            Ok(Code {
                text,
                period: Some(period),
                valid_until: Some((step + 1).saturating_mul(u64::from(period))),
            })
        }
        Kind::Hotp { counter } => {
            account::check_counter(counter)?;
            Ok(Code {
                text: hotp(secret, counter, account.algorithm, account.digits)?,
                period: None,
                valid_until: None,
            })
        }
        Kind::Steam => {
            let step = now / 30;
            Ok(Code {
                text: steam(secret, now),
                period: Some(30),
                valid_until: Some((step + 1).saturating_mul(30)),
            })
        }
    }
}

/// RFC 6238 TOTP at unix time `now`.
pub fn totp(
    secret: &[u8],
    now: u64,
    period: u32,
    algorithm: Algorithm,
    digits: u8,
) -> Result<String, OtpError> {
    account::check_period(u64::from(period))?;
    account::check_digits(u32::from(digits))?;
    if digits >= 10 {
        return Ok(format_decimal(
            truncated(secret, now / u64::from(period), algorithm),
            digits,
        ));
    }
    let generator = totp_rs::TOTP::new_unchecked(
        rs_algorithm(algorithm),
        usize::from(digits),
        0,
        u64::from(period),
        secret.to_vec(),
    );
    Ok(generator.generate(now))
}

/// RFC 4226 HOTP for `counter`.
pub fn hotp(
    secret: &[u8],
    counter: u64,
    algorithm: Algorithm,
    digits: u8,
) -> Result<String, OtpError> {
    account::check_digits(u32::from(digits))?;
    if digits >= 10 {
        return Ok(format_decimal(
            truncated(secret, counter, algorithm),
            digits,
        ));
    }
    // HOTP is TOTP with a one-second step and the counter as the time.
    let generator = totp_rs::TOTP::new_unchecked(
        rs_algorithm(algorithm),
        usize::from(digits),
        0,
        1,
        secret.to_vec(),
    );
    Ok(generator.generate(counter))
}

/// Steam Guard code at unix time `now`: 5 characters of Steam's alphabet.
pub fn steam(secret: &[u8], now: u64) -> String {
    let mut value = truncated(secret, now / 30, Algorithm::Sha1);
    let mut text = String::with_capacity(5);
    for _ in 0..5 {
        let index = (value % 26) as usize;
        text.push(char::from(
            STEAM_ALPHABET.get(index).copied().unwrap_or(b'2'),
        ));
        value /= 26;
    }
    text
}

fn rs_algorithm(algorithm: Algorithm) -> totp_rs::Algorithm {
    match algorithm {
        Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
        Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
        Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
    }
}

fn format_decimal(value: u32, digits: u8) -> String {
    let modulus = 10u64.pow(u32::from(digits));
    format!(
        "{:0width$}",
        u64::from(value) % modulus,
        width = usize::from(digits)
    )
}

/// RFC 4226 section 5.3 dynamic truncation of HMAC(secret, counter): a 31-bit value.
fn truncated(secret: &[u8], counter: u64, algorithm: Algorithm) -> u32 {
    let message = counter.to_be_bytes();
    let digest: Vec<u8> = match algorithm {
        Algorithm::Sha1 => mac::<Hmac<sha1::Sha1>>(secret, &message),
        Algorithm::Sha256 => mac::<Hmac<sha2::Sha256>>(secret, &message),
        Algorithm::Sha512 => mac::<Hmac<sha2::Sha512>>(secret, &message),
    };
    let offset = digest.last().map_or(0, |b| usize::from(b & 0x0f));
    let mut word = [0u8; 4];
    for (i, byte) in word.iter_mut().enumerate() {
        *byte = digest.get(offset + i).copied().unwrap_or(0);
    }
    u32::from_be_bytes(word) & 0x7fff_ffff
}

fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this never fails.
    match <M as hmac::digest::KeyInit>::new_from_slice(secret) {
        Ok(mut m) => {
            m.update(message);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}
