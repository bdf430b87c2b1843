//! Google Authenticator's "Transfer accounts" QR payloads:
//! `otpauth-migration://offline?data=<base64 protobuf>`, decoded (`export::google_qr`
//! encodes them with the same [`proto`] messages).
//!
//! The protobuf schema is small and stable, so the messages are written by hand
//! with `prost` derives (no `protoc`). The period is not part of the format:
//! Google's app always uses 30 seconds, so TOTP imports get 30 and the encoder
//! refuses other periods rather than silently changing them.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use prost::Message as _;
use zeroize::Zeroizing;

use super::registry::{Confidence, Probe, Spec};
use super::{ImportError, Imported, MAX_ENTRIES, Skipped};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: super::Format = super::Format::GoogleMigration;

pub(crate) const SPEC: Spec = Spec {
    name: "google",
    aliases: &["google-authenticator", "google-migration", "otpauth-migration"],
    display_name: "Google Authenticator",
    source: "\"Transfer accounts\" QR codes: images, or their text (`otpauth-migration://` lines)",
    fixtures: "google",
    detect: |probe: &Probe<'_>| {
        probe
            .has_line_starting("otpauth-migration://")
            .then_some(Confidence::Likely)
    },
    parse: |bytes, _, now| parse_text(super::text(bytes, FORMAT)?, now),
    read_path: None,
    authenticated: false,
};
/// The URI prefix of a migration payload.
pub const PREFIX: &str = "otpauth-migration://offline";
/// Largest decoded payload accepted, in bytes (a QR code holds under 3 KiB).
pub const MAX_PAYLOAD_LEN: usize = 1024 * 1024;

/// Where one payload sits in a multi-QR export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchInfo {
    /// Shared by all QR codes of one export (often negative).
    pub batch_id: i32,
    /// This QR code's position, from 0.
    pub batch_index: i32,
    /// How many QR codes the export has.
    pub batch_size: i32,
}

/// The protobuf messages, as Google's app writes them.
pub mod proto {
    use zeroize::Zeroize;

    /// One export payload (one QR code).
    #[derive(Clone, PartialEq, prost::Message)]
    #[prost(skip_debug)]
    pub struct MigrationPayload {
        /// The accounts.
        #[prost(message, repeated, tag = "1")]
        pub otp_parameters: Vec<OtpParameters>,
        /// Format version; Google writes 1.
        #[prost(int32, tag = "2")]
        pub version: i32,
        /// Number of QR codes in the export.
        #[prost(int32, tag = "3")]
        pub batch_size: i32,
        /// This QR code's index, from 0.
        #[prost(int32, optional, tag = "4")]
        pub batch_index: Option<i32>,
        /// Shared by all QR codes of one export.
        #[prost(int32, tag = "5")]
        pub batch_id: i32,
    }

    /// One account. The secret is wiped when dropped; there is no `Debug`.
    #[derive(Clone, PartialEq, prost::Message)]
    #[prost(skip_debug)]
    pub struct OtpParameters {
        /// Raw key bytes.
        #[prost(bytes = "vec", tag = "1")]
        pub secret: Vec<u8>,
        /// Account name (sometimes `Issuer:name`).
        #[prost(string, tag = "2")]
        pub name: String,
        /// Issuer.
        #[prost(string, tag = "3")]
        pub issuer: String,
        /// [`Algorithm`] value.
        #[prost(enumeration = "Algorithm", tag = "4")]
        pub algorithm: i32,
        /// [`DigitCount`] value.
        #[prost(enumeration = "DigitCount", tag = "5")]
        pub digits: i32,
        /// [`OtpType`] value.
        #[prost(enumeration = "OtpType", tag = "6")]
        pub r#type: i32,
        /// HOTP counter.
        #[prost(int64, tag = "7")]
        pub counter: i64,
    }

    impl Drop for OtpParameters {
        fn drop(&mut self) {
            self.secret.zeroize();
        }
    }

    /// HMAC algorithm.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum Algorithm {
        /// Not set (means SHA1).
        Unspecified = 0,
        /// SHA1.
        Sha1 = 1,
        /// SHA256.
        Sha256 = 2,
        /// SHA512.
        Sha512 = 3,
        /// MD5 (keyfob cannot use it).
        Md5 = 4,
    }

    /// Number of digits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum DigitCount {
        /// Not set (means 6).
        Unspecified = 0,
        /// Six digits.
        Six = 1,
        /// Eight digits.
        Eight = 2,
    }

    /// TOTP or HOTP.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum OtpType {
        /// Not set (means TOTP).
        Unspecified = 0,
        /// HOTP.
        Hotp = 1,
        /// TOTP.
        Totp = 2,
    }
}

fn lenient_base64() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

fn lenient_base64_url() -> GeneralPurpose {
    GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

/// Parses a text file of migration URIs (one per line; blank lines and other
/// lines are ignored). Every payload's accounts are appended. A damaged line
/// among good ones is reported as a [`Skipped`] entry (the other QR codes still
/// import); when no line can be read, the first line's error is returned.
pub fn parse_text(text: &str, now: i64) -> Result<Imported, ImportError> {
    let mut imported = Imported::default();
    let mut first_error = None;
    let mut decoded = 0usize;
    for (number, line) in text
        .lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| is_migration_uri(l))
    {
        match decode_uri_into(line, now, &mut imported) {
            Ok(()) => decoded += 1,
            Err(error @ ImportError::TooManyEntries { .. }) => return Err(error),
            Err(error) => {
                imported.skipped.push(Skipped::new(
                    "",
                    &format!("line {}", number + 1),
                    error.to_string(),
                ));
                first_error.get_or_insert(error);
            }
        }
    }
    if decoded == 0 {
        return Err(first_error.unwrap_or_else(|| {
            ImportError::malformed(FORMAT, "no 'otpauth-migration://' line found")
        }));
    }
    Ok(imported)
}

/// True when the text starts with `otpauth-migration://` (any case).
pub fn is_migration_uri(text: &str) -> bool {
    let prefix = "otpauth-migration://";
    text.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Decodes one `otpauth-migration://offline?data=…` URI.
pub fn decode_uri(uri: &str, now: i64) -> Result<Imported, ImportError> {
    let mut imported = Imported::default();
    decode_uri_into(uri, now, &mut imported)?;
    Ok(imported)
}

/// Decodes one URI, appending to `imported`.
pub(crate) fn decode_uri_into(
    uri: &str,
    now: i64,
    imported: &mut Imported,
) -> Result<(), ImportError> {
    if uri.len() > MAX_PAYLOAD_LEN * 2 {
        return Err(ImportError::TooLarge {
            size: uri.len() as u64,
            limit: (MAX_PAYLOAD_LEN * 2) as u64,
        });
    }
    let parsed = url::Url::parse(uri.trim())
        .map_err(|_| ImportError::malformed(FORMAT, "not a valid URI"))?;
    if !parsed.scheme().eq_ignore_ascii_case("otpauth-migration") {
        return Err(ImportError::malformed(
            FORMAT,
            "not an 'otpauth-migration' URI",
        ));
    }
    let data: Zeroizing<String> = parsed
        .query_pairs()
        .find(|(k, _)| k == "data")
        .map(|(_, v)| Zeroizing::new(v.into_owned()))
        .ok_or_else(|| ImportError::malformed(FORMAT, "the URI has no 'data' parameter"))?;
    let bytes = decode_data(&data)?;
    if bytes.is_empty() {
        return Err(ImportError::malformed(
            FORMAT,
            "the 'data' parameter is empty",
        ));
    }
    decode_payload_into(&bytes, now, imported)
}

/// Base64 of the `data` parameter (percent-decoding already done), with `+`
/// turned into space by form decoding repaired.
fn decode_data(data: &str) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let cleaned: Zeroizing<String> = Zeroizing::new(
        data.chars()
            .filter(|c| !matches!(c, '\n' | '\r' | '\t'))
            .map(|c| if c == ' ' { '+' } else { c })
            .collect(),
    );
    if cleaned.len() > MAX_PAYLOAD_LEN * 4 / 3 + 4 {
        return Err(ImportError::TooLarge {
            size: cleaned.len() as u64,
            limit: MAX_PAYLOAD_LEN as u64,
        });
    }
    lenient_base64()
        .decode(cleaned.as_bytes())
        .or_else(|_| lenient_base64_url().decode(cleaned.as_bytes()))
        .map(Zeroizing::new)
        .map_err(|_| ImportError::malformed(FORMAT, "the 'data' parameter is not valid base64"))
}

/// Decodes a raw protobuf payload.
pub fn decode_payload(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let mut imported = Imported::default();
    decode_payload_into(bytes, now, &mut imported)?;
    Ok(imported)
}

fn decode_payload_into(bytes: &[u8], now: i64, imported: &mut Imported) -> Result<(), ImportError> {
    if bytes.len() > MAX_PAYLOAD_LEN {
        return Err(ImportError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_PAYLOAD_LEN as u64,
        });
    }
    let payload = proto::MigrationPayload::decode(bytes).map_err(|_| {
        ImportError::malformed(FORMAT, "the payload is not a valid migration protobuf")
    })?;
    super::check_count(imported.accounts.len() + payload.otp_parameters.len())?;
    if payload.otp_parameters.len() > MAX_ENTRIES {
        return Err(ImportError::TooManyEntries {
            count: payload.otp_parameters.len(),
            limit: MAX_ENTRIES,
        });
    }
    let batch = BatchInfo {
        batch_id: payload.batch_id,
        batch_index: payload.batch_index.unwrap_or(0),
        batch_size: payload.batch_size,
    };
    if imported.google_batch.is_none() {
        imported.google_batch = Some(batch);
    }
    imported.google_batches.push(batch);
    for mut params in payload.otp_parameters {
        match to_account(&mut params, now) {
            Ok(account) => imported.accounts.push(account),
            Err(skipped) => imported.skipped.push(skipped),
        }
    }
    Ok(())
}

fn to_account(params: &mut proto::OtpParameters, now: i64) -> Result<Account, Skipped> {
    let (issuer, name) = split_label(&params.issuer, &params.name);
    let skip = |reason: String| Skipped::new(&issuer, &name, reason);
    let algorithm = match proto::Algorithm::try_from(params.algorithm) {
        Ok(proto::Algorithm::Unspecified | proto::Algorithm::Sha1) => Algorithm::Sha1,
        Ok(proto::Algorithm::Sha256) => Algorithm::Sha256,
        Ok(proto::Algorithm::Sha512) => Algorithm::Sha512,
        Ok(proto::Algorithm::Md5) => return Err(skip("MD5 is not supported".into())),
        Err(_) => {
            return Err(skip(format!("unknown algorithm '{}'", params.algorithm)));
        }
    };
    let digits = match proto::DigitCount::try_from(params.digits) {
        Ok(proto::DigitCount::Unspecified | proto::DigitCount::Six) => 6,
        Ok(proto::DigitCount::Eight) => 8,
        Err(_) => return Err(skip(format!("unknown digit count '{}'", params.digits))),
    };
    let kind = match proto::OtpType::try_from(params.r#type) {
        Ok(proto::OtpType::Unspecified | proto::OtpType::Totp) => Kind::DEFAULT_TOTP,
        Ok(proto::OtpType::Hotp) => Kind::Hotp {
            counter: u64::try_from(params.counter)
                .map_err(|_| skip(format!("negative HOTP counter '{}'", params.counter)))?,
        },
        Err(_) => return Err(skip(format!("unknown OTP type '{}'", params.r#type))),
    };
    let secret =
        Secret::from_bytes(std::mem::take(&mut params.secret)).map_err(|e| skip(e.to_string()))?;
    Account::new(&issuer, &name, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))
}

/// Google's names: an empty issuer with `Issuer:name` in the name splits at the
/// first ':' (when both sides hold text, so nothing is lost); a name that repeats
/// the issuer as `Issuer:` loses the prefix.
fn split_label(issuer: &str, name: &str) -> (String, String) {
    let issuer = issuer.trim();
    if issuer.is_empty() {
        if let Some((i, n)) = name.split_once(':')
            && !i.trim().is_empty()
            && !n.trim().is_empty()
        {
            return (i.trim().to_string(), n.trim().to_string());
        }
        return (String::new(), name.trim().to_string());
    }
    let stripped = name
        .strip_prefix(issuer)
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or(name);
    (issuer.to_string(), stripped.trim().to_string())
}
