//! The shared secret of an OTP account.
//!
//! A [`Secret`] owns the raw key bytes, wipes them when dropped and never
//! shows them through `Debug`. Base32 is the lingua franca of authenticator
//! apps, so parsing is lenient (case, spaces, dashes, padding) while encoding
//! is canonical (upper case, no padding).

use std::fmt;

use data_encoding::{BASE32_NOPAD, Encoding, Specification};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The longest secret keyfob accepts, in bytes. Real secrets are 10 to 64 bytes.
pub const MAX_SECRET_LEN: usize = 1024;

/// Errors met while reading a secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret was empty once spaces and padding were removed.
    #[error("the secret is empty")]
    Empty,
    /// The text is not valid base32 (the offending character is not shown: it is part of a secret).
    #[error("the secret is not valid base32 (only letters A-Z and digits 2-7 are allowed)")]
    InvalidBase32,
    /// The secret is longer than [`MAX_SECRET_LEN`] bytes.
    #[error("the secret is too long ({0} bytes, at most 1024)")]
    TooLong(usize),
}

/// Key bytes of an OTP account; zeroized on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Vec<u8>);

/// Base32 that ignores non-zero trailing bits, built once.
static LENIENT_BASE32: std::sync::LazyLock<Encoding> = std::sync::LazyLock::new(lenient_base32);

fn lenient_base32() -> Encoding {
    let mut spec = Specification::new();
    spec.symbols.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    spec.check_trailing_bits = false;
    // A specification built from constants cannot fail; fall back to the strict
    // encoding rather than panic if it ever did.
    spec.encoding().unwrap_or_else(|_| BASE32_NOPAD.clone())
}

impl Secret {
    /// Wraps raw key bytes. Fails when empty or longer than [`MAX_SECRET_LEN`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, SecretError> {
        let secret = Secret(bytes);
        if secret.0.is_empty() {
            return Err(SecretError::Empty);
        }
        if secret.0.len() > MAX_SECRET_LEN {
            return Err(SecretError::TooLong(secret.0.len()));
        }
        Ok(secret)
    }

    /// Parses base32 the way people and exporters write it: any case, with
    /// spaces, dashes and `=` padding, and with non-zero trailing bits.
    pub fn from_base32(text: &str) -> Result<Self, SecretError> {
        let mut cleaned: Zeroizing<String> = Zeroizing::new(String::with_capacity(text.len()));
        for c in text.chars() {
            match c {
                ' ' | '\t' | '\n' | '\r' | '-' | '=' => {}
                c if c.is_ascii_alphanumeric() => cleaned.push(c.to_ascii_uppercase()),
                _ => return Err(SecretError::InvalidBase32),
            }
        }
        if cleaned.is_empty() {
            return Err(SecretError::Empty);
        }
        if cleaned.len() > MAX_SECRET_LEN * 8 / 5 + 8 {
            return Err(SecretError::TooLong(cleaned.len() * 5 / 8));
        }
        let bytes = LENIENT_BASE32
            .decode(cleaned.as_bytes())
            .map_err(|_| SecretError::InvalidBase32)?;
        Self::from_bytes(bytes)
    }

    /// Canonical base32: upper case, no padding. The buffer is wiped on drop.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(&self.0))
    }

    /// The raw key bytes. Keep the borrow short and never log it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length of the key in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false for a constructed secret; present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base32())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        Secret::from_base32(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_parsing() {
        let canonical = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        for variant in [
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            "JBSW-Y3DP-EHPK-3PXP",
            "JBSWY3DPEHPK3PXP====",
        ] {
            assert_eq!(
                Secret::from_base32(variant).unwrap(),
                canonical,
                "{variant}"
            );
        }
        assert_eq!(canonical.expose(), b"Hello!\xde\xad\xbe\xef");
        assert_eq!(&*canonical.to_base32(), "JBSWY3DPEHPK3PXP");
    }

    #[test]
    fn eighty_bit_and_odd_lengths() {
        // 16 chars = 80 bits; 26 chars has 2 trailing bits which real exporters leave non-zero.
        assert_eq!(Secret::from_base32("GEZDGNBVGY3TQOJQ").unwrap().len(), 10);
        assert_eq!(
            Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGZ")
                .unwrap()
                .len(),
            16
        );
    }

    #[test]
    fn rejects_nonsense() {
        assert_eq!(Secret::from_base32(""), Err(SecretError::Empty));
        assert_eq!(Secret::from_base32(" == "), Err(SecretError::Empty));
        assert_eq!(Secret::from_base32("ABC1"), Err(SecretError::InvalidBase32));
        assert_eq!(Secret::from_base32("ABC!"), Err(SecretError::InvalidBase32));
        assert_eq!(Secret::from_base32("A"), Err(SecretError::InvalidBase32));
        assert_eq!(Secret::from_bytes(vec![]), Err(SecretError::Empty));
        assert!(matches!(
            Secret::from_bytes(vec![0; 2000]),
            Err(SecretError::TooLong(2000))
        ));
    }

    #[test]
    fn debug_is_redacted() {
        let s = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let shown = format!("{s:?}");
        assert_eq!(shown, "Secret([REDACTED])");
        assert!(!shown.contains("JBSW"));
    }
}
