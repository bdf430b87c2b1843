//! Unit tests of the import module: the Google migration decoder on payloads
//! built here (every enum value, malformed and hostile ones), detection of odd
//! inputs and the `--from` names. The per-app fixtures are exercised in
//! `tests/import_formats.rs`.

use base64::Engine as _;
use prost::Message as _;

use super::google_migration::{self, proto};
use super::{Format, ImportError, Imported, MAX_ENTRIES, Skipped, detect};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const NOW: i64 = 1_700_000_000;
const KEY: &[u8] = b"12345678901234567890";

fn params(issuer: &str, name: &str) -> proto::OtpParameters {
    proto::OtpParameters {
        secret: KEY.to_vec(),
        name: name.to_string(),
        issuer: issuer.to_string(),
        algorithm: 0,
        digits: 0,
        r#type: 0,
        counter: 0,
    }
}

fn payload(otp_parameters: Vec<proto::OtpParameters>) -> proto::MigrationPayload {
    proto::MigrationPayload {
        otp_parameters,
        version: 1,
        batch_size: 1,
        batch_index: Some(0),
        batch_id: -42,
    }
}

fn uri_of(bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!(
        "otpauth-migration://offline?data={}",
        percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC)
    )
}

fn decode(p: &proto::MigrationPayload) -> Imported {
    google_migration::decode_uri(&uri_of(&p.encode_to_vec()), NOW).unwrap()
}

fn one(p: proto::OtpParameters) -> Result<Account, Skipped> {
    let mut imported = decode(&payload(vec![p]));
    match (imported.accounts.pop(), imported.skipped.pop()) {
        (Some(account), None) => Ok(account),
        (None, Some(skipped)) => Err(skipped),
        other => panic!("expected one result, got {other:?}"),
    }
}

fn malformed(result: Result<Imported, ImportError>, needle: &str) {
    match result {
        Err(ImportError::Malformed { reason, .. }) => {
            assert!(reason.contains(needle), "'{reason}' lacks '{needle}'")
        }
        other => panic!("expected a malformed payload error, got {other:?}"),
    }
}

#[test]
fn google_every_algorithm_value() {
    let cases = [
        (0, Ok(Algorithm::Sha1)),
        (1, Ok(Algorithm::Sha1)),
        (2, Ok(Algorithm::Sha256)),
        (3, Ok(Algorithm::Sha512)),
        (4, Err("MD5 is not supported")),
        (9, Err("unknown algorithm '9'")),
        (-1, Err("unknown algorithm '-1'")),
    ];
    for (value, expected) in cases {
        let mut p = params("I", "n");
        p.algorithm = value;
        match (one(p), expected) {
            (Ok(account), Ok(algorithm)) => assert_eq!(account.algorithm, algorithm),
            (Err(skipped), Err(reason)) => {
                assert_eq!(skipped, Skipped::new("I", "n", reason))
            }
            (got, want) => panic!("algorithm {value}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn google_every_digit_count_value() {
    for (value, expected) in [(0, Some(6)), (1, Some(6)), (2, Some(8)), (3, None)] {
        let mut p = params("I", "n");
        p.digits = value;
        match (one(p), expected) {
            (Ok(account), Some(digits)) => assert_eq!(account.digits, digits),
            (Err(skipped), None) => {
                assert_eq!(skipped.reason, format!("unknown digit count '{value}'"))
            }
            (got, want) => panic!("digits {value}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn google_every_otp_type_value() {
    let mut p = params("I", "n");
    p.r#type = 0;
    p.counter = 9;
    assert_eq!(one(p).unwrap().kind, Kind::Totp { period: 30 });
    let mut p = params("I", "n");
    p.r#type = 2;
    assert_eq!(one(p).unwrap().kind, Kind::Totp { period: 30 });
    let mut p = params("I", "n");
    p.r#type = 1;
    p.counter = 7;
    assert_eq!(one(p).unwrap().kind, Kind::Hotp { counter: 7 });
    let mut p = params("I", "n");
    p.r#type = 1;
    p.counter = -1;
    assert_eq!(one(p).unwrap_err().reason, "negative HOTP counter '-1'");
    let mut p = params("I", "n");
    p.r#type = 3;
    assert_eq!(one(p).unwrap_err().reason, "unknown OTP type '3'");
}

#[test]
fn google_secret_and_label_rules() {
    let account = one(params("GitHub", "alice")).unwrap();
    assert_eq!(account.secret.expose(), KEY);
    assert_eq!(
        (account.issuer.as_str(), account.name.as_str()),
        ("GitHub", "alice")
    );
    // Empty issuer: split the name at the first ':'.
    let account = one(params("", "GitHub:alice:x")).unwrap();
    assert_eq!(
        (account.issuer.as_str(), account.name.as_str()),
        ("GitHub", "alice:x")
    );
    // The name repeating the issuer loses the prefix.
    let account = one(params("GitHub", "GitHub:alice")).unwrap();
    assert_eq!(account.name, "alice");
    let mut p = params("I", "n");
    p.secret.clear();
    assert_eq!(one(p).unwrap_err().reason, "the secret is empty");
    let mut p = params("", "");
    p.secret = KEY.to_vec();
    assert_eq!(
        one(p).unwrap_err().reason,
        "an account needs an issuer or a name"
    );
}

#[test]
fn google_batch_fields_including_negative_ids() {
    let mut p = payload(vec![params("I", "n")]);
    p.batch_id = i32::MIN;
    p.batch_index = Some(2);
    p.batch_size = 3;
    let imported = decode(&p);
    let batch = imported.google_batch.unwrap();
    assert_eq!(
        (batch.batch_id, batch.batch_index, batch.batch_size),
        (i32::MIN, 2, 3)
    );
    // A negative int32 takes the full ten-byte varint on the wire.
    assert!(
        p.encode_to_vec()
            .windows(10)
            .any(|w| w[..9].iter().all(|b| b & 0x80 != 0))
    );
    p.batch_index = None;
    assert_eq!(decode(&p).google_batch.unwrap().batch_index, 0);
}

#[test]
fn google_data_encodings() {
    // A payload whose base64 has '+' (the secret byte chosen for it).
    let (bytes, b64) = (0u8..=255)
        .map(|b| {
            let mut p = params("Plus", "p");
            p.secret = vec![0xfb, b, 0xef, 0xbe];
            let bytes = payload(vec![p]).encode_to_vec();
            let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
            (bytes, b64)
        })
        .find(|(_, b64)| b64.contains('+'))
        .unwrap();
    let expect = |uri: &str| {
        let imported = google_migration::decode_uri(uri, NOW).unwrap();
        assert_eq!(imported.accounts.len(), 1, "{uri}");
        assert_eq!(imported.accounts[0].issuer, "Plus");
    };
    expect(&uri_of(&bytes));
    // '+' left raw becomes a space when the query is decoded; a space typed by hand too.
    expect(&format!("otpauth-migration://offline?data={b64}"));
    expect(&format!(
        "otpauth-migration://offline?data={}",
        b64.replace('+', " ")
    ));
    // Unpadded and URL-safe base64 are accepted; so is the scheme in capitals.
    expect(&format!(
        "OTPAUTH-MIGRATION://offline?data={}",
        b64.trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_")
    ));
}

#[test]
fn google_malformed_payloads() {
    let decode = |uri: &str| google_migration::decode_uri(uri, NOW);
    malformed(
        decode("otpauth-migration://offline?data=%%%not*base64"),
        "base64",
    );
    malformed(decode("otpauth-migration://offline"), "no 'data'");
    malformed(decode("otpauth-migration://offline?data="), "empty");
    let good = payload(vec![params("I", "n")]).encode_to_vec();
    malformed(decode(&uri_of(&good[..good.len() - 12])), "protobuf");
    // A field claiming 2^40 bytes: refused without allocating them.
    let mut absurd = vec![0x0a];
    absurd.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    absurd.extend_from_slice(b"tiny");
    malformed(decode(&uri_of(&absurd)), "protobuf");
    // The same inside an account.
    let mut nested = vec![0x0a, 0x06, 0x0a];
    nested.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    malformed(decode(&uri_of(&nested)), "protobuf");
    // A wrong wire type for a known field.
    malformed(decode(&uri_of(&[0x10, 0x01, 0x0d, 0, 0, 0])), "protobuf");
    // Unknown fields are skipped.
    let mut extra = good.clone();
    extra.extend_from_slice(&[0x78, 0x05, 0x82, 0x01, 0x02, b'h', b'i']);
    assert_eq!(decode(&uri_of(&extra)).unwrap().accounts.len(), 1);
}

#[test]
fn google_limits() {
    let huge = vec![0u8; google_migration::MAX_PAYLOAD_LEN + 1];
    assert!(matches!(
        google_migration::decode_payload(&huge, NOW),
        Err(ImportError::TooLarge { .. })
    ));
    let long_uri = format!(
        "otpauth-migration://offline?data={}",
        "A".repeat(google_migration::MAX_PAYLOAD_LEN * 2 + 1)
    );
    assert!(matches!(
        google_migration::decode_uri(&long_uri, NOW),
        Err(ImportError::TooLarge { .. })
    ));
    let many: Vec<proto::OtpParameters> = (0..=MAX_ENTRIES).map(|_| params("I", "n")).collect();
    let bytes = payload(many).encode_to_vec();
    assert!(bytes.len() < google_migration::MAX_PAYLOAD_LEN);
    assert!(matches!(
        google_migration::decode_payload(&bytes, NOW),
        Err(ImportError::TooManyEntries { .. })
    ));
}

#[test]
fn google_text_file_keeps_good_lines_when_one_is_damaged() {
    let good = uri_of(&payload(vec![params("I", "n")]).encode_to_vec());
    let text = format!("{good}\n\notpauth-migration://offline?data=%%%\n");
    let imported = google_migration::parse_text(&text, NOW).unwrap();
    assert_eq!(imported.accounts.len(), 1);
    assert_eq!(imported.skipped.len(), 1);
    assert_eq!(imported.skipped[0].name, "line 3");
    assert!(imported.skipped[0].reason.contains("base64"));
    malformed(
        google_migration::parse_text("hello\n", NOW),
        "no 'otpauth-migration",
    );
}

#[test]
fn google_encode_then_decode_round_trip() {
    let mk = |issuer: &str, kind: Kind, algorithm: Algorithm, digits: u8| {
        Account::new(
            issuer,
            "me",
            Secret::from_bytes(KEY.to_vec()).unwrap(),
            kind,
            algorithm,
            digits,
            NOW,
        )
        .unwrap()
    };
    let accounts = vec![
        mk("A", Kind::DEFAULT_TOTP, Algorithm::Sha1, 6),
        mk("B", Kind::DEFAULT_TOTP, Algorithm::Sha512, 8),
        mk("C", Kind::Hotp { counter: 5 }, Algorithm::Sha256, 6),
        mk("D", Kind::Totp { period: 60 }, Algorithm::Sha1, 6),
        mk("E", Kind::Steam, Algorithm::Sha1, 5),
        mk("F", Kind::DEFAULT_TOTP, Algorithm::Sha1, 7),
    ];
    let export = crate::export::google_qr::encode_batches(&accounts, 2, -9);
    assert_eq!(export.uris.len(), 2);
    let skipped: Vec<&str> = export.skipped.iter().map(|s| s.issuer.as_str()).collect();
    assert_eq!(skipped, ["D", "E", "F"]);
    let text = export
        .uris
        .iter()
        .map(|u| u.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let imported = google_migration::parse_text(&text, NOW).unwrap();
    assert_eq!(imported.accounts.len(), 3);
    for (got, want) in imported.accounts.iter().zip(&accounts) {
        assert!(got.same_token(want), "{got:?} vs {want:?}");
        assert_eq!((&got.issuer, &got.name), (&want.issuer, &want.name));
    }
    let ids: Vec<(i32, i32, i32)> = imported
        .google_batches
        .iter()
        .map(|b| (b.batch_id, b.batch_index, b.batch_size))
        .collect();
    assert_eq!(ids, [(-9, 0, 2), (-9, 1, 2)]);
}

#[test]
fn detection_of_odd_inputs() {
    assert_eq!(detect(b"", None), None);
    assert_eq!(detect(b"   \n", None), None);
    assert_eq!(detect(b"{}", None), None);
    assert_eq!(detect(b"[]", None), None);
    assert_eq!(
        detect(b"[]", Some("otp_accounts.json")),
        Some(Format::AndOtp)
    );
    assert_eq!(detect(b"null", None), None);
    assert_eq!(
        detect(b"\xef\xbb\xbf{\"tokens\":[]}", None),
        Some(Format::FreeOtpPlus)
    );
    assert_eq!(
        detect(b"OTPAUTH://totp/x?secret=JBSWY3DPEHPK3PXP", None),
        Some(Format::OtpauthList)
    );
    assert_eq!(
        detect(b"name,login_totp\nx,JBSWY3DPEHPK3PXP\n", None),
        Some(Format::BitwardenCsv)
    );
    assert_eq!(
        detect(b"SQLite format 3\0", None),
        Some(Format::MicrosoftAuthenticator)
    );
    assert_eq!(detect(b"\0\0\0\0", Some("x.aes")), Some(Format::AndOtp));
    assert_eq!(detect(&[0xff; 64], None), None);
    assert_eq!(
        detect(b"-----BEGIN PGP MESSAGE-----\n", Some("notes.asc")),
        None
    );
}

#[test]
fn format_names_round_trip() {
    for format in Format::ALL {
        assert_eq!(Format::from_name(format.name()), Some(format));
        assert_eq!(
            Format::from_name(&format.name().to_uppercase()),
            Some(format)
        );
    }
    assert_eq!(
        Format::from_name("Google Authenticator"),
        Some(Format::GoogleMigration)
    );
    assert_eq!(Format::from_name("stratum"), Some(Format::AuthenticatorPro));
    assert_eq!(Format::from_name("two_fas"), Some(Format::TwoFas));
    assert_eq!(Format::from_name("lastpass"), None);
}

#[test]
fn skipped_labels() {
    assert_eq!(Skipped::new("I", "n", "r").label(), "I (n)");
    assert_eq!(Skipped::new("I", "", "r").label(), "I");
    assert_eq!(Skipped::new("", "n", "r").label(), "n");
    assert_eq!(Skipped::new(" ", "", "r").label(), "(unnamed)");
    assert_eq!(Skipped::new(&"x".repeat(500), "", "r").issuer.len(), 200);
}

#[test]
fn fuzz_import_targets_come_from_the_format_list() {
    let targets: Vec<String> = crate::fuzz_entry::targets()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for format in Format::ALL {
        assert!(targets.contains(&format.fuzz_target()), "{format}");
        assert_eq!(
            crate::fuzz_entry::import_target(&format.fuzz_target(), b"{}"),
            Ok(())
        );
    }
    // Besides one per format: vault_open, uri, migration, qr_image and agent_request.
    assert_eq!(targets.len(), Format::COUNT + 5);
    assert!(crate::fuzz_entry::import_target("import_nothing", b"{}").is_err());
}

#[test]
fn the_surest_detector_wins_and_the_list_order_breaks_ties() {
    // A CSV header (certain) beats migration lines (likely) further down.
    let csv = b"name,login_totp\nx,otpauth-migration://offline?data=AA\n";
    assert_eq!(detect(csv, None), Some(Format::BitwardenCsv));
    // Migration lines (likely) beat a plain otpauth list (fallback).
    let mixed = b"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP\notpauth-migration://offline?data=AA\n";
    assert_eq!(detect(mixed, None), Some(Format::GoogleMigration));
    // Ente's codeDisplay (likely) beats the plain list; with a migration line
    // too, both are likely and Google comes first in the list.
    let ente = b"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&codeDisplay=%7B%7D\n";
    assert_eq!(detect(ente, None), Some(Format::Ente));
    let both = [ente.as_slice(), b"otpauth-migration://offline?data=AA\n"].concat();
    assert_eq!(detect(&both, None), Some(Format::GoogleMigration));
    // JSON is never read as lines of text.
    assert_eq!(
        detect(b"[\"otpauth://totp/a?secret=JBSWY3DPEHPK3PXP\"]", None),
        None
    );
}
