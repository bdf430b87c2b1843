//! Google Authenticator "Transfer accounts" QR payloads written by keyfob:
//! `otpauth-migration://offline?data=…` URIs, which Google's app, Aegis, 2FAS
//! and others scan. The messages are those of `import::google_migration`.

use base64::Engine as _;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use prost::Message as _;
use zeroize::{Zeroize, Zeroizing};

use crate::account::{Account, Algorithm, Kind};
use crate::import::Skipped;
use crate::import::google_migration::{PREFIX, proto};

/// Accounts per QR code in Google's own exports (and keyfob's).
pub const PER_QR: usize = 10;

/// The result of [`encode_batches`]. `Debug` hides the URIs.
#[derive(Default)]
pub struct MigrationExport {
    /// `otpauth-migration://offline?data=…` URIs, one per QR code. They hold
    /// secrets and are wiped when dropped.
    pub uris: Vec<Zeroizing<String>>,
    /// Accounts Google Authenticator cannot represent, with the reason.
    pub skipped: Vec<Skipped>,
}

impl std::fmt::Debug for MigrationExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrationExport")
            .field(
                "uris",
                &format_args!("[REDACTED] ({} URIs)", self.uris.len()),
            )
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// Encodes accounts as Google Authenticator migration URIs, `per_batch`
/// accounts per QR code (at least 1; Google's app uses 10). Steam accounts,
/// digit counts other than 6 or 8 and periods other than 30 seconds cannot be
/// represented and are reported in `skipped`.
pub fn encode_batches(accounts: &[Account], per_batch: usize, batch_id: i32) -> MigrationExport {
    let per_batch = per_batch.max(1);
    let mut export = MigrationExport::default();
    let mut params = Vec::new();
    for account in accounts {
        match to_params(account) {
            Ok(p) => params.push(p),
            Err(reason) => {
                export
                    .skipped
                    .push(Skipped::new(&account.issuer, &account.name, reason))
            }
        }
    }
    let chunks: Vec<&[proto::OtpParameters]> = params.chunks(per_batch).collect();
    let batch_size = i32::try_from(chunks.len()).unwrap_or(i32::MAX);
    for (index, chunk) in chunks.into_iter().enumerate() {
        let payload = proto::MigrationPayload {
            otp_parameters: chunk.to_vec(),
            version: 1,
            batch_size,
            batch_index: Some(i32::try_from(index).unwrap_or(i32::MAX)),
            batch_id,
        };
        let mut bytes = Zeroizing::new(payload.encode_to_vec());
        let mut b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&*bytes));
        let mut uri = Zeroizing::new(String::with_capacity(b64.len() * 3 / 2 + 40));
        uri.push_str(PREFIX);
        uri.push_str("?data=");
        uri.push_str(&utf8_percent_encode(&b64, NON_ALPHANUMERIC).to_string());
        bytes.zeroize();
        b64.zeroize();
        export.uris.push(uri);
    }
    export
}

fn to_params(account: &Account) -> Result<proto::OtpParameters, &'static str> {
    let (otp_type, counter) = match account.kind {
        Kind::Steam => return Err("Google Authenticator has no Steam codes"),
        Kind::Totp { period: 30 } => (proto::OtpType::Totp, 0),
        Kind::Totp { .. } => {
            return Err("Google Authenticator supports only a 30-second period");
        }
        Kind::Hotp { counter } => (
            proto::OtpType::Hotp,
            i64::try_from(counter).map_err(|_| "the HOTP counter is too large")?,
        ),
    };
    let digits = match account.digits {
        6 => proto::DigitCount::Six,
        8 => proto::DigitCount::Eight,
        _ => return Err("Google Authenticator supports only 6 or 8 digits"),
    };
    let algorithm = match account.algorithm {
        Algorithm::Sha1 => proto::Algorithm::Sha1,
        Algorithm::Sha256 => proto::Algorithm::Sha256,
        Algorithm::Sha512 => proto::Algorithm::Sha512,
    };
    Ok(proto::OtpParameters {
        secret: account.secret.expose().to_vec(),
        name: account.name.clone(),
        issuer: account.issuer.clone(),
        algorithm: algorithm as i32,
        digits: digits as i32,
        r#type: otp_type as i32,
        counter,
    })
}
