//! Every import fixture in `tests/fixtures/` (made by `scripts/make-import-fixtures.py`,
//! an independent Python implementation of each format): the exact accounts that
//! come out, the entries reported as not imported, format detection, passwords,
//! broken files and size limits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use keyfob::import::microsoft_authenticator::{
    ENCRYPTED_REASON, PUSH_ONLY_REASON, parse_microsoft_authenticator_at,
};
use keyfob::import::session::{Credentials, InputError, InputKind, missing_batches, read_input};
use keyfob::import::{Format, ImportError, Imported, MAX_ENTRIES, MAX_INPUT_LEN, detect, parse};
use keyfob::{Account, Algorithm, Kind};

const PASSWORD: &[u8] = b"test-password";
const NOW: i64 = 1_700_000_000;

const A: &str = "JBSWY3DPEHPK3PXP";
const B: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const C: &str = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QA";
const D: &str = "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA";
const E: &str = "NNSXSZTPMIWWE2LUO5QXEZDFNYWWEYLSMU";
const MSA: &str = "MRSWMZ3INFVGW3DNNZXXA4LSOM";

/// One account as the tests compare it: issuer, name, secret (base32), algorithm, digits, kind.
type Row = (String, String, String, Algorithm, u8, Kind);

fn row(
    issuer: &str,
    name: &str,
    secret: &str,
    algorithm: Algorithm,
    digits: u8,
    kind: Kind,
) -> Row {
    (
        issuer.to_string(),
        name.to_string(),
        secret.to_string(),
        algorithm,
        digits,
        kind,
    )
}

fn github() -> Row {
    row(
        "GitHub",
        "alice@example.com",
        A,
        Algorithm::Sha1,
        6,
        Kind::Totp { period: 30 },
    )
}
fn example() -> Row {
    row(
        "Example Corp",
        "bob",
        B,
        Algorithm::Sha256,
        8,
        Kind::Totp { period: 60 },
    )
}
fn bank() -> Row {
    row(
        "Bank",
        "Zoë",
        C,
        Algorithm::Sha512,
        6,
        Kind::Hotp { counter: 42 },
    )
}
fn steam() -> Row {
    row("Steam", "dave", D, Algorithm::Sha1, 5, Kind::Steam)
}

fn rows(accounts: &[Account]) -> Vec<Row> {
    accounts
        .iter()
        .map(|a| {
            (
                a.issuer.clone(),
                a.name.clone(),
                a.secret.to_base32().to_string(),
                a.algorithm,
                a.digits,
                a.kind,
            )
        })
        .collect()
}

fn tags(imported: &Imported) -> Vec<Vec<String>> {
    imported.accounts.iter().map(|a| a.tags.clone()).collect()
}

fn skipped(imported: &Imported) -> Vec<(String, String, String)> {
    imported
        .skipped
        .iter()
        .map(|s| (s.issuer.clone(), s.name.clone(), s.reason.clone()))
        .collect()
}

fn skip(issuer: &str, name: &str, reason: &str) -> (String, String, String) {
    (issuer.to_string(), name.to_string(), reason.to_string())
}

fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Detects the fixture's format (asserting it is `format`) and parses it.
fn load(rel: &str, format: Format, password: Option<&[u8]>) -> Result<Imported, ImportError> {
    let bytes = fixture(rel);
    let name = rel.rsplit('/').next().unwrap();
    assert_eq!(detect(&bytes, Some(name)), Some(format), "detecting {rel}");
    parse(&bytes, format, password, NOW)
}

fn ok(rel: &str, format: Format, password: Option<&[u8]>) -> Imported {
    let imported = load(rel, format, password).unwrap_or_else(|e| panic!("{rel}: {e}"));
    for account in &imported.accounts {
        assert_eq!(account.created, NOW, "{rel}: creation time");
    }
    imported
}

fn err(rel: &str, format: Format, password: Option<&[u8]>) -> ImportError {
    let bytes = fixture(rel);
    match parse(&bytes, format, password, NOW) {
        Ok(imported) => panic!("{rel}: expected an error, got {imported:?}"),
        Err(e) => e,
    }
}

fn malformed(e: &ImportError, needle: &str) {
    match e {
        ImportError::Malformed { reason, .. } => {
            assert!(reason.contains(needle), "'{reason}' lacks '{needle}'")
        }
        other => panic!("expected a malformed-file error, got {other:?}"),
    }
}

// ------------------------------------------------------------------ Aegis

fn aegis_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![github(), example(), bank(), steam()]
    );
    assert_eq!(
        tags(imported),
        vec![
            vec!["Work".to_string()],
            vec!["Work".to_string(), "Home".to_string()],
            vec![],
            vec![]
        ]
    );
    let first = &imported.accounts[0];
    assert_eq!(first.note, "recovery codes in the safe");
    assert!(first.favorite);
    assert!(!imported.accounts[1].favorite);
    let skipped = skipped(imported);
    assert_eq!(skipped.len(), 3);
    assert_eq!(
        skipped[0],
        skip("Legacy VPN", "mobile", "mOTP is not supported")
    );
    assert_eq!(
        skipped[1],
        skip("Yandex", "ivan", "Yandex OTP is not supported")
    );
    assert_eq!(
        (skipped[2].0.as_str(), skipped[2].1.as_str()),
        ("Typo Inc", "broken")
    );
    assert!(
        skipped[2].2.contains("not valid base32"),
        "{}",
        skipped[2].2
    );
}

#[test]
fn aegis_plain_grouped_vault() {
    aegis_expected(&ok("aegis/plain.json", Format::Aegis, None));
}

#[test]
fn aegis_plain_content_version_2_with_group_names() {
    let imported = ok("aegis/plain-v2-grouped.json", Format::Aegis, None);
    assert_eq!(rows(&imported.accounts), vec![github(), example()]);
    assert_eq!(tags(&imported), vec![vec!["Work".to_string()], vec![]]);
    assert!(imported.skipped.is_empty());
}

#[test]
fn aegis_encrypted_vault_with_biometric_and_two_password_slots() {
    let rel = "aegis/encrypted.json";
    assert!(matches!(
        load(rel, Format::Aegis, None),
        Err(ImportError::PasswordRequired)
    ));
    assert!(matches!(
        load(rel, Format::Aegis, Some(b"wrong")),
        Err(ImportError::WrongPassword)
    ));
    aegis_expected(&ok(rel, Format::Aegis, Some(PASSWORD)));
    // The other password slot opens it too.
    aegis_expected(&ok(rel, Format::Aegis, Some(b"another password")));
}

#[test]
fn aegis_broken_files() {
    assert_eq!(detect(&fixture("aegis/broken-truncated.json"), None), None);
    malformed(
        &err("aegis/broken-truncated.json", Format::Aegis, None),
        "truncated JSON",
    );
    assert!(matches!(
        err("aegis/broken-version-2.json", Format::Aegis, None),
        ImportError::UnsupportedVersion { version: 2, .. }
    ));
    assert!(matches!(
        err("aegis/broken-content-version-4.json", Format::Aegis, None),
        ImportError::UnsupportedVersion { version: 4, .. }
    ));
    // The right password opens the key slot, but the content was altered.
    malformed(
        &err(
            "aegis/broken-encrypted-tampered.json",
            Format::Aegis,
            Some(PASSWORD),
        ),
        "does not decrypt",
    );
    // N = 2^30 would need 128 GiB: refused before any work.
    let e = err(
        "aegis/broken-encrypted-absurd-scrypt.json",
        Format::Aegis,
        Some(PASSWORD),
    );
    assert!(
        matches!(&e, ImportError::KdfParameters { detail, .. } if detail.contains("1073741824")),
        "{e:?}"
    );
    assert!(matches!(
        err(
            "aegis/broken-biometric-only.json",
            Format::Aegis,
            Some(PASSWORD)
        ),
        ImportError::Unsupported { .. }
    ));
}

// ------------------------------------------------------------------ 2FAS

fn two_fas_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![github(), example(), bank(), steam()]
    );
    assert_eq!(
        tags(imported),
        vec![vec!["Work".to_string()], vec![], vec![], vec![]]
    );
    assert_eq!(
        skipped(imported),
        vec![skip("Mystery", "eve", "unsupported token type 'MOTP'")]
    );
}

#[test]
fn two_fas_plain_schema_4() {
    two_fas_expected(&ok("2fas/plain-v4.2fas", Format::TwoFas, None));
}

#[test]
fn two_fas_schema_1_has_only_defaults() {
    let imported = ok("2fas/plain-v1.json", Format::TwoFas, None);
    assert_eq!(rows(&imported.accounts), vec![github()]);
}

#[test]
fn two_fas_encrypted() {
    let rel = "2fas/encrypted-v4.2fas";
    assert!(matches!(
        load(rel, Format::TwoFas, None),
        Err(ImportError::PasswordRequired)
    ));
    assert!(matches!(
        load(rel, Format::TwoFas, Some(b"wrong")),
        Err(ImportError::WrongPassword)
    ));
    two_fas_expected(&ok(rel, Format::TwoFas, Some(PASSWORD)));
}

#[test]
fn two_fas_broken_files() {
    malformed(
        &err("2fas/broken-truncated.2fas", Format::TwoFas, None),
        "truncated JSON",
    );
    assert!(matches!(
        err("2fas/broken-schema-5.2fas", Format::TwoFas, None),
        ImportError::UnsupportedVersion { version: 5, .. }
    ));
    malformed(
        &err(
            "2fas/broken-encrypted-two-parts.2fas",
            Format::TwoFas,
            Some(PASSWORD),
        ),
        "three",
    );
}

// ------------------------------------------------------------------ andOTP

fn and_otp_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![
            github(),
            example(),
            bank(),
            steam(),
            row(
                "Mastodon",
                "frank",
                E,
                Algorithm::Sha1,
                6,
                Kind::Totp { period: 30 }
            ),
        ]
    );
    assert_eq!(
        tags(imported)[0],
        vec!["Work".to_string(), "Code".to_string()]
    );
    assert_eq!(
        skipped(imported),
        vec![skip("Legacy VPN", "mobile", "mOTP is not supported")]
    );
}

#[test]
fn and_otp_plain() {
    and_otp_expected(&ok("andotp/otp_accounts.json", Format::AndOtp, None));
}

#[test]
fn and_otp_encrypted_current_scheme() {
    let rel = "andotp/otp_accounts.json.aes";
    assert!(matches!(
        load(rel, Format::AndOtp, None),
        Err(ImportError::PasswordRequired)
    ));
    assert!(matches!(
        load(rel, Format::AndOtp, Some(b"wrong")),
        Err(ImportError::WrongPassword)
    ));
    and_otp_expected(&ok(rel, Format::AndOtp, Some(PASSWORD)));
}

#[test]
fn and_otp_encrypted_old_scheme() {
    let rel = "andotp/old-scheme.json.aes";
    // No header at all: only the file name tells.
    assert_eq!(detect(&fixture(rel), None), None);
    assert!(matches!(
        load(rel, Format::AndOtp, Some(b"wrong")),
        Err(ImportError::WrongPassword)
    ));
    and_otp_expected(&ok(rel, Format::AndOtp, Some(PASSWORD)));
}

#[test]
fn and_otp_broken_files() {
    malformed(
        &err(
            "andotp/broken-truncated.json.aes",
            Format::AndOtp,
            Some(PASSWORD),
        ),
        "truncated",
    );
    malformed(
        &err("andotp/broken-truncated.json", Format::AndOtp, None),
        "truncated JSON",
    );
    assert!(matches!(
        load("andotp/broken-pgp-otp_accounts.json.gpg", Format::AndOtp, None),
        Err(ImportError::Unsupported { what, .. }) if what.contains("gpg")
    ));
}

// ------------------------------------------------------------------ Bitwarden

fn bitwarden_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![
            github(),
            example(),
            row(
                "Forum",
                "erin",
                E,
                Algorithm::Sha1,
                6,
                Kind::Totp { period: 30 }
            ),
            steam(),
        ]
    );
    // Cards, notes, identities and logins without TOTP are not mentioned at all.
    let skipped = skipped(imported);
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        (skipped[0].0.as_str(), skipped[0].1.as_str()),
        ("Broken", "mallory")
    );
    assert!(skipped[0].2.contains("invalid secret"), "{}", skipped[0].2);
}

#[test]
fn bitwarden_json() {
    bitwarden_expected(&ok("bitwarden/export.json", Format::Bitwarden, None));
}

#[test]
fn bitwarden_csv() {
    bitwarden_expected(&ok("bitwarden/export.csv", Format::BitwardenCsv, None));
}

#[test]
fn bitwarden_broken_files() {
    assert!(matches!(
        load(
            "bitwarden/broken-encrypted.json",
            Format::Bitwarden,
            Some(PASSWORD)
        ),
        Err(ImportError::Unsupported { .. })
    ));
    malformed(
        &err("bitwarden/broken-truncated.json", Format::Bitwarden, None),
        "truncated JSON",
    );
    assert_eq!(
        detect(&fixture("bitwarden/broken-no-totp-column.csv"), None),
        None
    );
    malformed(
        &err(
            "bitwarden/broken-no-totp-column.csv",
            Format::BitwardenCsv,
            None,
        ),
        "login_totp",
    );
}

// ------------------------------------------------------------------ Google Authenticator

#[test]
fn google_migration_two_codes() {
    let imported = ok("google/export.txt", Format::GoogleMigration, None);
    let mut bob = example();
    bob.5 = Kind::Totp { period: 30 };
    assert_eq!(rows(&imported.accounts), vec![github(), bob, bank()]);
    assert_eq!(
        skipped(&imported),
        vec![skip("Old Hash", "legacy", "MD5 is not supported")]
    );
    let batches: Vec<(i32, i32, i32)> = imported
        .google_batches
        .iter()
        .map(|b| (b.batch_id, b.batch_index, b.batch_size))
        .collect();
    assert_eq!(
        batches,
        vec![(-1_234_567_890, 0, 2), (-1_234_567_890, 1, 2)]
    );
    assert!(missing_batches(&imported.google_batches).is_empty());
}

#[test]
fn google_migration_missing_code_is_reported() {
    let imported = ok(
        "google/missing-second-code.txt",
        Format::GoogleMigration,
        None,
    );
    assert_eq!(imported.accounts.len(), 2);
    let missing = missing_batches(&imported.google_batches);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].missing, vec![2]);
    assert_eq!(missing[0].batch_size, 2);
}

#[test]
fn google_migration_plus_turned_into_space() {
    let imported = ok("google/plus-as-space.txt", Format::GoogleMigration, None);
    let account = &imported.accounts[0];
    assert_eq!(
        (account.issuer.as_str(), account.name.as_str()),
        ("Plus Corp", "plus")
    );
    assert_eq!(account.secret.len(), 11);
    assert_eq!(
        &account.secret.expose()[..10],
        keyfob::Secret::from_base32(A).unwrap().expose()
    );
}

#[test]
fn google_migration_broken_files() {
    malformed(
        &err(
            "google/broken-bad-base64.txt",
            Format::GoogleMigration,
            None,
        ),
        "base64",
    );
    malformed(
        &err(
            "google/broken-truncated-protobuf.txt",
            Format::GoogleMigration,
            None,
        ),
        "protobuf",
    );
}

// ------------------------------------------------------------------ Microsoft Authenticator

fn microsoft_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![
            row(
                "Microsoft",
                "carol@outlook.com",
                MSA,
                Algorithm::Sha1,
                8,
                Kind::Totp { period: 30 }
            ),
            github(),
        ]
    );
    assert_eq!(
        skipped(imported),
        vec![
            skip("Contoso", "dan@contoso.com", PUSH_ONLY_REASON),
            skip("Dropbox", "erin@example.com", ENCRYPTED_REASON),
        ]
    );
}

#[test]
fn microsoft_authenticator_database() {
    let path = fixture_path("microsoft/PhoneFactor");
    assert_eq!(
        detect(&fixture("microsoft/PhoneFactor"), Some("PhoneFactor")),
        Some(Format::MicrosoftAuthenticator)
    );
    let imported = parse_microsoft_authenticator_at(&path, NOW).unwrap();
    microsoft_expected(&imported);
    assert!(imported.accounts.iter().all(|a| a.created == NOW));
    // From bytes alone (no -wal beside it) the result is the same here.
    microsoft_expected(&ok(
        "microsoft/PhoneFactor",
        Format::MicrosoftAuthenticator,
        None,
    ));
}

#[test]
fn microsoft_authenticator_rows_only_in_the_wal_file() {
    let path = fixture_path("microsoft/wal/PhoneFactor");
    let wal = fixture_path("microsoft/wal/PhoneFactor-wal");
    let before = (
        fixture("microsoft/wal/PhoneFactor"),
        std::fs::read(&wal).unwrap(),
    );
    microsoft_expected(&parse_microsoft_authenticator_at(&path, NOW).unwrap());
    // The main file alone holds only the checkpointed row.
    let alone = ok(
        "microsoft/wal/PhoneFactor",
        Format::MicrosoftAuthenticator,
        None,
    );
    assert_eq!(rows(&alone.accounts), vec![github()]);
    // Nothing was written beside the source files.
    let after = (
        fixture("microsoft/wal/PhoneFactor"),
        std::fs::read(&wal).unwrap(),
    );
    assert!(before == after, "the source database changed");
    assert!(!fixture_path("microsoft/wal/PhoneFactor-shm").exists());
}

#[test]
fn microsoft_authenticator_broken_files() {
    let other =
        parse_microsoft_authenticator_at(&fixture_path("microsoft/broken-other-app.db"), NOW)
            .unwrap_err();
    malformed(&other, "no 'accounts' table");
    let truncated =
        parse_microsoft_authenticator_at(&fixture_path("microsoft/broken-truncated.db"), NOW)
            .unwrap_err();
    assert!(
        matches!(
            truncated,
            ImportError::Database { .. } | ImportError::Malformed { .. }
        ),
        "{truncated:?}"
    );
    let missing =
        parse_microsoft_authenticator_at(&fixture_path("microsoft/no-such-file"), NOW).unwrap_err();
    assert!(matches!(missing, ImportError::Io { .. }), "{missing:?}");
}

// ------------------------------------------------------------------ FreeOTP+

#[test]
fn free_otp_plus() {
    let imported = ok(
        "freeotp-plus/freeotp-backup.json",
        Format::FreeOtpPlus,
        None,
    );
    assert_eq!(
        rows(&imported.accounts),
        vec![github(), example(), bank(), steam()]
    );
    let skipped = skipped(&imported);
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        (skipped[0].0.as_str(), skipped[0].1.as_str()),
        ("Old", "md5")
    );
    assert!(skipped[0].2.contains("unsupported algorithm 'MD5'"));
}

#[test]
fn free_otp_plus_broken_files() {
    malformed(
        &err(
            "freeotp-plus/broken-truncated.json",
            Format::FreeOtpPlus,
            None,
        ),
        "truncated JSON",
    );
    let imported = ok(
        "freeotp-plus/broken-secret-bytes.json",
        Format::FreeOtpPlus,
        None,
    );
    assert_eq!(imported.accounts.len(), 3);
    assert_eq!(
        skipped(&imported)[0],
        skip(
            "GitHub",
            "alice@example.com",
            "the secret is not a list of bytes"
        )
    );
}

// ------------------------------------------------------------------ Ente, otpauth lists, Proton

#[test]
fn ente_plain_text_export() {
    let imported = ok("ente/ente-codes.txt", Format::Ente, None);
    assert_eq!(
        rows(&imported.accounts),
        vec![github(), example(), bank(), steam()]
    );
    assert_eq!(
        tags(&imported),
        vec![
            vec!["Work".to_string(), "Dev".to_string()],
            vec![],
            vec![],
            vec!["Games".to_string()]
        ]
    );
    assert!(imported.skipped.is_empty());
}

#[test]
fn ente_encrypted_export_with_random_data_is_a_wrong_password() {
    // Read since issue 16 (ente_encrypted_export); random ciphertext never authenticates.
    assert!(matches!(
        load("ente/broken-encrypted.json", Format::Ente, Some(PASSWORD)),
        Err(ImportError::WrongPassword)
    ));
}

#[test]
fn otpauth_list_from_winauth() {
    let imported = ok("otpauth/winauth.txt", Format::OtpauthList, None);
    assert_eq!(
        rows(&imported.accounts),
        vec![github(), example(), bank(), steam()]
    );
    let skipped = skipped(&imported);
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    assert_eq!(
        skipped[0],
        skip("Legacy VPN", "mobile", "mOTP is not supported")
    );
    assert_eq!(
        skipped[1],
        skip("Yandex", "ivan", "Yandex OTP is not supported")
    );
    assert_eq!(
        (skipped[2].0.as_str(), skipped[2].1.as_str()),
        ("Typo", "broken")
    );
    assert!(skipped[2].2.contains("invalid secret"));
    assert_eq!(skipped[3], skip("", "", "not an otpauth URI"));
}

#[test]
fn otpauth_list_broken_files() {
    for rel in [
        "otpauth/broken-no-uris.txt",
        "otpauth/broken-binary.bin",
        "otpauth/broken-empty.txt",
        "garbage.bin",
    ] {
        assert_eq!(detect(&fixture(rel), None), None, "{rel}");
    }
    malformed(
        &err("otpauth/broken-empty.txt", Format::OtpauthList, None),
        "no otpauth URIs",
    );
    malformed(
        &err("otpauth/broken-binary.bin", Format::OtpauthList, None),
        "not UTF-8",
    );
    // Lines that are not URIs are reported one by one.
    let imported = parse(
        &fixture("otpauth/broken-no-uris.txt"),
        Format::OtpauthList,
        None,
        NOW,
    )
    .unwrap();
    assert!(imported.accounts.is_empty());
    assert_eq!(imported.skipped.len(), 2);
}

fn proton_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![
            github(),
            example(),
            bank(),
            steam(),
            row(
                "",
                "frank",
                E,
                Algorithm::Sha1,
                6,
                Kind::Totp { period: 30 }
            ),
        ]
    );
    assert_eq!(imported.accounts[0].note, "main account");
    let skipped = skipped(imported);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].0, "Weird");
    assert!(
        skipped[0].2.starts_with("unsupported entry type 'Unknown'"),
        "{}",
        skipped[0].2
    );
}

#[test]
fn proton_authenticator() {
    proton_expected(&ok(
        "proton/proton-authenticator.json",
        Format::Proton,
        None,
    ));
    assert!(matches!(
        err("proton/broken-version-2.json", Format::Proton, None),
        ImportError::UnsupportedVersion { version: 2, .. }
    ));
}

#[test]
fn proton_authenticator_password_protected() {
    let rel = "proton/proton-authenticator-encrypted.json";
    assert!(matches!(
        load(rel, Format::Proton, None),
        Err(ImportError::PasswordRequired)
    ));
    assert!(matches!(
        load(rel, Format::Proton, Some(b"wrong")),
        Err(ImportError::WrongPassword)
    ));
    proton_expected(&ok(rel, Format::Proton, Some(PASSWORD)));
    malformed(
        &err(
            "proton/broken-encrypted-truncated.json",
            Format::Proton,
            None,
        ),
        "truncated",
    );
}

// ------------------------------------------------------------------ Authenticator Pro

fn authenticator_pro_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![github(), example(), bank(), steam()]
    );
    assert_eq!(
        tags(imported),
        vec![vec!["Work".to_string()], vec![], vec![], vec![]]
    );
    assert_eq!(
        skipped(imported),
        vec![
            skip("Legacy VPN", "mobile", "mOTP is not supported"),
            skip("Yandex", "ivan", "Yandex OTP is not supported"),
        ]
    );
}

#[test]
fn authenticator_pro_plain() {
    authenticator_pro_expected(&ok(
        "authenticator-pro/backup.json",
        Format::AuthenticatorPro,
        None,
    ));
}

#[test]
fn authenticator_pro_encrypted() {
    let rel = "authenticator-pro/backup.authpro";
    assert!(matches!(
        load(rel, Format::AuthenticatorPro, None),
        Err(ImportError::PasswordRequired)
    ));
    assert!(matches!(
        load(rel, Format::AuthenticatorPro, Some(b"wrong")),
        Err(ImportError::WrongPassword)
    ));
    authenticator_pro_expected(&ok(rel, Format::AuthenticatorPro, Some(PASSWORD)));
}

#[test]
fn authenticator_pro_legacy_encrypted() {
    let rel = "authenticator-pro/legacy.authpro";
    assert!(matches!(
        load(rel, Format::AuthenticatorPro, None),
        Err(ImportError::PasswordRequired)
    ));
    assert!(matches!(
        load(rel, Format::AuthenticatorPro, Some(b"wrong")),
        Err(ImportError::WrongPassword)
    ));
    authenticator_pro_expected(&ok(rel, Format::AuthenticatorPro, Some(PASSWORD)));
}

#[test]
fn authenticator_pro_broken_files() {
    malformed(
        &err(
            "authenticator-pro/broken-truncated.authpro",
            Format::AuthenticatorPro,
            None,
        ),
        "truncated",
    );
}

#[test]
fn microsoft_work_school_accounts_with_codes() {
    let imported = ok(
        "microsoft/work-school/PhoneFactor",
        Format::MicrosoftAuthenticator,
        None,
    );
    assert_eq!(
        rows(&imported.accounts),
        vec![row(
            "Contoso",
            "dan@contoso.com",
            B,
            Algorithm::Sha1,
            6,
            Kind::Totp { period: 30 }
        )]
    );
    assert_eq!(
        skipped(&imported),
        vec![skip("Fabrikam", "erin@fabrikam.com", PUSH_ONLY_REASON)]
    );
    let from_path =
        parse_microsoft_authenticator_at(&fixture_path("microsoft/work-school/PhoneFactor"), NOW)
            .unwrap();
    assert_eq!(rows(&from_path.accounts), rows(&imported.accounts));
}

// ------------------------------------------------------------------ Google Authenticator database

#[test]
fn google_authenticator_database() {
    let imported = ok("google-db/databases", Format::GoogleAuthenticatorDb, None);
    assert_eq!(
        rows(&imported.accounts),
        vec![
            github(),
            row(
                "Example Corp",
                "bob",
                B,
                Algorithm::Sha1,
                6,
                Kind::Totp { period: 30 }
            ),
            row(
                "Bank",
                "Zoë",
                C,
                Algorithm::Sha1,
                6,
                Kind::Hotp { counter: 42 }
            ),
        ]
    );
    assert_eq!(tags(&imported), vec![Vec::<String>::new(); 3]);
    let skipped = skipped(&imported);
    assert_eq!(skipped.len(), 2);
    assert_eq!(
        (skipped[0].0.as_str(), skipped[0].1.as_str()),
        ("Wrapped", "carol@example.com")
    );
    assert!(skipped[0].2.contains("cannot be moved"), "{}", skipped[0].2);
    assert_eq!(
        (skipped[1].0.as_str(), skipped[1].1.as_str()),
        ("Broken", "mallory")
    );
    assert!(
        skipped[1].2.contains("not valid base32"),
        "{}",
        skipped[1].2
    );
    // Read from its path (the way `keyfob import` reads it), the same.
    let from_path = keyfob::import::read_path(
        &fixture_path("google-db/databases"),
        Format::GoogleAuthenticatorDb,
        None,
        NOW,
    )
    .unwrap()
    .unwrap();
    assert_eq!(rows(&from_path.accounts), rows(&imported.accounts));
}

#[test]
fn google_authenticator_database_broken() {
    let truncated = err(
        "google-db/broken-truncated.db",
        Format::GoogleAuthenticatorDb,
        None,
    );
    assert!(
        matches!(
            truncated,
            ImportError::Database { .. } | ImportError::Malformed { .. }
        ),
        "{truncated:?}"
    );
    // Another app's database, forced as this format, says what it lacks.
    malformed(
        &err(
            "stratum-db/authenticator.db3",
            Format::GoogleAuthenticatorDb,
            None,
        ),
        "not a Google Authenticator database",
    );
    let mut flipped = fixture("google-db/databases");
    for b in flipped.iter_mut().skip(100).step_by(97) {
        *b ^= 0x5a;
    }
    assert!(parse(&flipped, Format::GoogleAuthenticatorDb, None, NOW).is_err());
}

// ------------------------------------------------------------------ Stratum database

#[test]
fn stratum_database() {
    let imported = ok("stratum-db/authenticator.db3", Format::StratumDb, None);
    assert_eq!(
        rows(&imported.accounts),
        vec![github(), example(), bank(), steam()]
    );
    assert_eq!(
        tags(&imported),
        vec![
            vec!["Work".to_string()],
            vec!["Home".to_string(), "Work".to_string()],
            vec![],
            vec![]
        ]
    );
    let skipped = skipped(&imported);
    assert_eq!(skipped.len(), 2);
    assert_eq!(
        skipped[0],
        skip("Legacy VPN", "mobile", "mOTP is not supported")
    );
    assert_eq!(
        (skipped[1].0.as_str(), skipped[1].1.as_str()),
        ("Typo Inc", "broken")
    );
}

#[test]
fn stratum_database_broken() {
    let truncated = err("stratum-db/broken-truncated.db3", Format::StratumDb, None);
    assert!(
        matches!(
            truncated,
            ImportError::Database { .. } | ImportError::Malformed { .. }
        ),
        "{truncated:?}"
    );
    malformed(
        &err("google-db/databases", Format::StratumDb, None),
        "not a Stratum database",
    );
}

// ------------------------------------------------------------------ Authy

fn authy_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![
            github(),
            row(
                "Example Corp",
                "bob",
                B,
                Algorithm::Sha1,
                8,
                Kind::Totp { period: 30 }
            ),
            row(
                "Forum",
                "erin",
                E,
                Algorithm::Sha1,
                6,
                Kind::Totp { period: 30 }
            ),
            row(
                "Dropbox",
                "dave@example.com",
                D,
                Algorithm::Sha1,
                7,
                Kind::Totp { period: 30 }
            ),
        ]
    );
    assert_eq!(tags(imported), vec![Vec::<String>::new(); 4]);
    assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);
}

const AUTHY_FILE: &str = "com.authy.storage.tokens.authenticator.xml";

#[test]
fn authy_plain_secrets() {
    authy_expected(&ok(
        &format!("authy/plain/{AUTHY_FILE}"),
        Format::Authy,
        None,
    ));
}

#[test]
fn authy_encrypted_secrets() {
    let rel = format!("authy/encrypted/{AUTHY_FILE}");
    assert!(matches!(
        load(&rel, Format::Authy, None),
        Err(ImportError::PasswordRequired)
    ));
    assert!(matches!(
        load(&rel, Format::Authy, Some(b"wrong")),
        Err(ImportError::WrongPassword)
    ));
    authy_expected(&ok(&rel, Format::Authy, Some(PASSWORD)));
}

#[test]
fn authy_own_tokens() {
    let imported = ok(
        "authy/com.authy.storage.tokens.authy.xml",
        Format::Authy,
        None,
    );
    assert_eq!(
        rows(&imported.accounts),
        vec![row(
            "Twitch",
            "",
            "ZDE4VS6MZXHM7UGR2LJ5JVOW24",
            Algorithm::Sha1,
            7,
            Kind::Totp { period: 10 }
        )]
    );
}

#[test]
fn authy_broken_files() {
    malformed(
        &err("authy/broken-truncated.xml", Format::Authy, Some(PASSWORD)),
        "invalid XML",
    );
    // One damaged secret costs only itself.
    let imported = ok(
        &format!("authy/broken-flipped/{AUTHY_FILE}"),
        Format::Authy,
        Some(PASSWORD),
    );
    assert_eq!(imported.accounts.len(), 3);
    assert_eq!(
        skipped(&imported),
        vec![skip(
            "Example Corp",
            "bob",
            "the backup password does not decrypt this secret"
        )]
    );
    // Another app's preferences, forced as Authy, say what they lack.
    malformed(
        &err("freeotp/tokens.xml", Format::Authy, None),
        "no Authy token list",
    );
}

// ------------------------------------------------------------------ FreeOTP tokens.xml

#[test]
fn freeotp_tokens_xml_in_the_app_order() {
    let imported = ok("freeotp/tokens.xml", Format::FreeOtp, None);
    assert_eq!(
        rows(&imported.accounts),
        vec![example(), github(), bank(), steam()]
    );
    assert_eq!(tags(&imported), vec![Vec::<String>::new(); 4]);
    let skipped = skipped(&imported);
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        (skipped[0].0.as_str(), skipped[0].1.as_str()),
        ("Old", "md5")
    );
    assert!(
        skipped[0].2.contains("unsupported algorithm 'MD5'"),
        "{}",
        skipped[0].2
    );
}

#[test]
fn freeotp_plus_internal_tokens_xml() {
    let imported = ok("freeotp/plus/tokens.xml", Format::FreeOtp, None);
    assert_eq!(
        rows(&imported.accounts),
        vec![github(), example(), bank(), steam()]
    );
    assert!(imported.skipped.is_empty());
}

#[test]
fn freeotp_broken_files() {
    malformed(
        &err("freeotp/broken-truncated.xml", Format::FreeOtp, None),
        "invalid XML",
    );
    malformed(
        &err("freeotp/broken-no-order.xml", Format::FreeOtp, None),
        "no 'tokenOrder'",
    );
}

// ------------------------------------------------------------------ FreeOTP 2 backup

#[test]
fn freeotp_backup_sorted_by_issuer_with_every_token_kind() {
    let imported = ok(
        "freeotp-backup/externalBackup.xml",
        Format::FreeOtpBackup,
        Some(PASSWORD),
    );
    assert_eq!(
        rows(&imported.accounts),
        vec![
            bank(),
            example(),
            github(),
            // No algo, period or digits in the token, and the issuer only in
            // `issuerInt`: FreeOTP's defaults. The label's emoji is a surrogate
            // pair in Java's modified UTF-8.
            row(
                "Mastodon",
                "frank \u{1F418}",
                "NZXS2YLMM5XXE2LUNBWS25DPNNSW4IJB",
                Algorithm::Sha1,
                6,
                Kind::Totp { period: 30 },
            ),
            steam(),
            row(
                "Work VPN",
                "carol",
                "ZDE4VS6MZXHM7UGR2LJ5JVOW27MNTWW3",
                Algorithm::Sha512,
                8,
                Kind::Totp { period: 30 },
            ),
        ]
    );
    assert_eq!(tags(&imported), vec![Vec::<String>::new(); 6]);
    assert_eq!(
        skipped(&imported),
        vec![
            skip(
                "Lost",
                "no secret",
                "the backup has the token but not its secret"
            ),
            skip(
                "Old",
                "damaged secret",
                "its secret cannot be decrypted (the backup is damaged)"
            ),
        ]
    );
}

#[test]
fn freeotp_backup_under_pbkdf2_sha1() {
    let imported = ok(
        "freeotp-backup/sha1/externalBackup.xml",
        Format::FreeOtpBackup,
        Some(PASSWORD),
    );
    assert_eq!(rows(&imported.accounts), vec![github()]);
    assert!(imported.skipped.is_empty());
}

#[test]
fn freeotp_backup_passwords() {
    assert!(matches!(
        err(
            "freeotp-backup/externalBackup.xml",
            Format::FreeOtpBackup,
            None
        ),
        ImportError::PasswordRequired
    ));
    assert!(matches!(
        err(
            "freeotp-backup/externalBackup.xml",
            Format::FreeOtpBackup,
            Some(b"not-the-password")
        ),
        ImportError::WrongPassword
    ));
    // One byte of the sealed master key flipped: GCM refuses it, as it would
    // a wrong password.
    assert!(matches!(
        err(
            "freeotp-backup/broken-flipped.xml",
            Format::FreeOtpBackup,
            Some(PASSWORD)
        ),
        ImportError::WrongPassword
    ));
}

#[test]
fn freeotp_backup_broken_files() {
    let broken = |rel: &str| err(rel, Format::FreeOtpBackup, Some(PASSWORD));
    malformed(
        &broken("freeotp-backup/broken-truncated.xml"),
        "cut short at byte",
    );
    malformed(
        &broken("freeotp-backup/broken-magic.xml"),
        "no 0xACED header",
    );
    malformed(
        &broken("freeotp-backup/broken-no-master-key.xml"),
        "no 'masterKey' entry",
    );
    assert!(matches!(
        broken("freeotp-backup/broken-version-6.xml"),
        ImportError::UnsupportedVersion { version: 6, .. }
    ));
    malformed(
        &broken("freeotp-backup/broken-back-reference.xml"),
        "a back-reference at byte",
    );
    // Every cut of a real backup is a clear error, never a panic or a guess.
    let bytes = fixture("freeotp-backup/externalBackup.xml");
    for cut in (0..bytes.len()).step_by(97) {
        assert!(
            parse(&bytes[..cut], Format::FreeOtpBackup, None, NOW).is_err(),
            "cut at {cut}"
        );
    }
}

// ------------------------------------------------------------------ across formats

/// Every fixture, its detected format (None: not recognised by content alone).
const DETECTION: &[(&str, Option<Format>)] = &[
    ("aegis/plain.json", Some(Format::Aegis)),
    ("aegis/plain-v2-grouped.json", Some(Format::Aegis)),
    ("aegis/encrypted.json", Some(Format::Aegis)),
    ("aegis/broken-version-2.json", Some(Format::Aegis)),
    ("aegis/broken-content-version-4.json", Some(Format::Aegis)),
    ("aegis/broken-encrypted-tampered.json", Some(Format::Aegis)),
    (
        "aegis/broken-encrypted-absurd-scrypt.json",
        Some(Format::Aegis),
    ),
    ("aegis/broken-biometric-only.json", Some(Format::Aegis)),
    ("aegis/broken-truncated.json", None),
    ("2fas/plain-v4.2fas", Some(Format::TwoFas)),
    ("2fas/plain-v1.json", Some(Format::TwoFas)),
    ("2fas/encrypted-v4.2fas", Some(Format::TwoFas)),
    ("2fas/broken-schema-5.2fas", Some(Format::TwoFas)),
    ("2fas/broken-encrypted-two-parts.2fas", Some(Format::TwoFas)),
    ("2fas/broken-truncated.2fas", None),
    ("andotp/otp_accounts.json", Some(Format::AndOtp)),
    ("andotp/otp_accounts.json.aes", Some(Format::AndOtp)),
    ("andotp/old-scheme.json.aes", Some(Format::AndOtp)),
    ("andotp/broken-truncated.json.aes", Some(Format::AndOtp)),
    (
        "andotp/broken-pgp-otp_accounts.json.gpg",
        Some(Format::AndOtp),
    ),
    ("andotp/broken-truncated.json", None),
    ("bitwarden/export.json", Some(Format::Bitwarden)),
    ("bitwarden/export.csv", Some(Format::BitwardenCsv)),
    ("bitwarden/broken-encrypted.json", Some(Format::Bitwarden)),
    ("bitwarden/broken-truncated.json", None),
    ("bitwarden/broken-no-totp-column.csv", None),
    ("google/export.txt", Some(Format::GoogleMigration)),
    (
        "google/missing-second-code.txt",
        Some(Format::GoogleMigration),
    ),
    ("google/plus-as-space.txt", Some(Format::GoogleMigration)),
    (
        "google/broken-bad-base64.txt",
        Some(Format::GoogleMigration),
    ),
    (
        "google/broken-truncated-protobuf.txt",
        Some(Format::GoogleMigration),
    ),
    (
        "microsoft/PhoneFactor",
        Some(Format::MicrosoftAuthenticator),
    ),
    (
        "microsoft/wal/PhoneFactor",
        Some(Format::MicrosoftAuthenticator),
    ),
    (
        "microsoft/broken-other-app.db",
        Some(Format::MicrosoftAuthenticator),
    ),
    (
        "microsoft/broken-truncated.db",
        Some(Format::MicrosoftAuthenticator),
    ),
    (
        "freeotp-plus/freeotp-backup.json",
        Some(Format::FreeOtpPlus),
    ),
    (
        "freeotp-plus/broken-secret-bytes.json",
        Some(Format::FreeOtpPlus),
    ),
    ("freeotp-plus/broken-truncated.json", None),
    ("ente/ente-codes.txt", Some(Format::Ente)),
    ("ente/broken-encrypted.json", Some(Format::Ente)),
    ("otpauth/winauth.txt", Some(Format::OtpauthList)),
    ("otpauth/broken-no-uris.txt", None),
    ("otpauth/broken-binary.bin", None),
    ("otpauth/broken-empty.txt", None),
    ("proton/proton-authenticator.json", Some(Format::Proton)),
    ("proton/broken-version-2.json", Some(Format::Proton)),
    (
        "proton/proton-authenticator-encrypted.json",
        Some(Format::Proton),
    ),
    (
        "proton/broken-encrypted-truncated.json",
        Some(Format::Proton),
    ),
    (
        "authenticator-pro/backup.json",
        Some(Format::AuthenticatorPro),
    ),
    (
        "authenticator-pro/backup.authpro",
        Some(Format::AuthenticatorPro),
    ),
    (
        "authenticator-pro/legacy.authpro",
        Some(Format::AuthenticatorPro),
    ),
    (
        "authenticator-pro/broken-truncated.authpro",
        Some(Format::AuthenticatorPro),
    ),
    (
        "microsoft/work-school/PhoneFactor",
        Some(Format::MicrosoftAuthenticator),
    ),
    ("google-db/databases", Some(Format::GoogleAuthenticatorDb)),
    (
        "google-db/broken-truncated.db",
        Some(Format::MicrosoftAuthenticator),
    ),
    ("stratum-db/authenticator.db3", Some(Format::StratumDb)),
    (
        "stratum-db/broken-truncated.db3",
        Some(Format::MicrosoftAuthenticator),
    ),
    (
        "authy/plain/com.authy.storage.tokens.authenticator.xml",
        Some(Format::Authy),
    ),
    (
        "authy/encrypted/com.authy.storage.tokens.authenticator.xml",
        Some(Format::Authy),
    ),
    (
        "authy/broken-flipped/com.authy.storage.tokens.authenticator.xml",
        Some(Format::Authy),
    ),
    (
        "authy/com.authy.storage.tokens.authy.xml",
        Some(Format::Authy),
    ),
    ("authy/broken-truncated.xml", None),
    ("freeotp/tokens.xml", Some(Format::FreeOtp)),
    ("freeotp/plus/tokens.xml", Some(Format::FreeOtp)),
    ("freeotp/broken-truncated.xml", None),
    ("freeotp/broken-no-order.xml", None),
    (
        "freeotp-backup/externalBackup.xml",
        Some(Format::FreeOtpBackup),
    ),
    (
        "freeotp-backup/sha1/externalBackup.xml",
        Some(Format::FreeOtpBackup),
    ),
    (
        "freeotp-backup/broken-truncated.xml",
        Some(Format::FreeOtpBackup),
    ),
    (
        "freeotp-backup/broken-flipped.xml",
        Some(Format::FreeOtpBackup),
    ),
    (
        "freeotp-backup/broken-version-6.xml",
        Some(Format::FreeOtpBackup),
    ),
    ("freeotp-backup/broken-magic.xml", None),
    (
        "freeotp-backup/broken-no-master-key.xml",
        Some(Format::FreeOtpBackup),
    ),
    (
        "freeotp-backup/broken-back-reference.xml",
        Some(Format::FreeOtpBackup),
    ),
    ("garbage.bin", None),
    // Issue 16, second half (their imports are checked at the end of this file).
    ("steam/Steamguard-76561198000000001", Some(Format::Steam)),
    (
        "steam/old-Steamguard-76561198000000002",
        Some(Format::Steam),
    ),
    (
        "steam/sda-plain/76561198000000001.maFile",
        Some(Format::Steam),
    ),
    (
        "steam/sda-plain/76561198000000002.maFile",
        Some(Format::Steam),
    ),
    ("steam/sda-plain/manifest.json", Some(Format::Steam)),
    (
        "steam/sda-encrypted/76561198000000001.maFile",
        Some(Format::Steam),
    ),
    (
        "steam/sda-encrypted/76561198000000002.maFile",
        Some(Format::Steam),
    ),
    ("steam/sda-encrypted/manifest.json", Some(Format::Steam)),
    (
        "steam/broken-flipped/76561198000000001.maFile",
        Some(Format::Steam),
    ),
    ("steam/broken-flipped/manifest.json", Some(Format::Steam)),
    ("steam/broken-escape/manifest.json", Some(Format::Steam)),
    ("steam/broken-truncated.maFile", Some(Format::Steam)),
    (
        "battle-net/com.blizzard.messenger.authenticator_preferences.xml",
        Some(Format::BattleNet),
    ),
    (
        "battle-net/broken-secret-not-hex.xml",
        Some(Format::BattleNet),
    ),
    ("battle-net/broken-truncated.xml", None),
    ("duo/accounts.json", Some(Format::Duo)),
    ("duo/broken-truncated.json", None),
    (
        "totp-authenticator/backup-password.bin",
        Some(Format::TotpAuthenticator),
    ),
    (
        "totp-authenticator/backup-no-password.bin",
        Some(Format::TotpAuthenticator),
    ),
    (
        "totp-authenticator/TOTP_Authenticator_Preferences.xml",
        Some(Format::TotpAuthenticator),
    ),
    (
        "totp-authenticator/broken-flipped.bin",
        Some(Format::TotpAuthenticator),
    ),
    (
        "totp-authenticator/broken-truncated.bin",
        Some(Format::TotpAuthenticator),
    ),
    (
        "authenticator-plus/authplus.zip",
        Some(Format::AuthenticatorPlus),
    ),
    (
        "authenticator-plus/plain.zip",
        Some(Format::AuthenticatorPlus),
    ),
    (
        "authenticator-plus/broken-flipped.zip",
        Some(Format::AuthenticatorPlus),
    ),
    ("authenticator-plus/broken-no-accounts.zip", None),
    ("authenticator-plus/broken-truncated.zip", None),
    ("ente/encrypted-export.txt", Some(Format::Ente)),
    ("ente/broken-encrypted-flipped.txt", Some(Format::Ente)),
    ("ente/broken-encrypted-version-2.txt", Some(Format::Ente)),
    (
        "ente/broken-encrypted-absurd-memory.txt",
        Some(Format::Ente),
    ),
    ("ente/broken-encrypted-truncated.txt", None),
];

fn all_fixtures() -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![fixture_path("")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(fixture_path("")).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_fixture_is_detected_by_content_and_name() {
    let listed: Vec<&str> = DETECTION.iter().map(|(rel, _)| *rel).collect();
    for rel in all_fixtures() {
        if rel.ends_with("-wal") {
            continue;
        }
        assert!(listed.contains(&rel.as_str()), "{rel} is not in DETECTION");
    }
    for (rel, expected) in DETECTION {
        let name = rel.rsplit('/').next().unwrap();
        assert_eq!(detect(&fixture(rel), Some(name)), *expected, "{rel}");
    }
}

/// Cutting any fixture short or flipping bytes never panics, whatever format it
/// is read as (encrypted ones stop at "password required": no KDF work here).
#[test]
fn damaged_fixtures_never_panic() {
    // SQLite formats (those read from a path too) copy every input to a file;
    // their damaged databases are tested on their own.
    let formats: Vec<Format> = Format::ALL
        .into_iter()
        .filter(|f| f.spec().read_path.is_none())
        .collect();
    let databases: Vec<String> = Format::ALL
        .into_iter()
        .filter(|f| f.spec().read_path.is_some())
        .map(|f| format!("{}/", f.spec().fixtures))
        .collect();
    for rel in all_fixtures() {
        if databases.iter().any(|dir| rel.starts_with(dir.as_str())) {
            continue;
        }
        let bytes = fixture(&rel);
        let step = (bytes.len() / 23).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let mut damaged = bytes[..cut].to_vec();
            let _ = detect(&damaged, Some(&rel));
            for format in &formats {
                let _ = parse(&damaged, *format, None, NOW);
            }
            if let Some(b) = damaged.get_mut(cut / 2) {
                *b ^= 0x5a;
            }
            let _ = detect(&damaged, None);
            for format in &formats {
                let _ = parse(&damaged, *format, None, NOW);
            }
        }
    }
}

#[test]
fn size_limits() {
    let huge = vec![b' '; MAX_INPUT_LEN + 1];
    for format in Format::ALL {
        assert!(
            matches!(
                parse(&huge, format, Some(PASSWORD), NOW),
                Err(ImportError::TooLarge { .. })
            ),
            "{format}"
        );
    }
    drop(huge);
    let entry = r#"{"type":"totp","name":"n","issuer":"i","info":{"secret":"JBSWY3DPEHPK3PXP"}}"#;
    let entries = vec![entry; MAX_ENTRIES + 1].join(",");
    let aegis = format!(
        r#"{{"version":1,"header":{{"slots":null,"params":null}},"db":{{"version":3,"entries":[{entries}]}}}}"#
    );
    assert!(matches!(
        parse(aegis.as_bytes(), Format::Aegis, None, NOW),
        Err(ImportError::TooManyEntries { .. })
    ));
    let lines = "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n".repeat(MAX_ENTRIES + 1);
    assert!(matches!(
        parse(lines.as_bytes(), Format::OtpauthList, None, NOW),
        Err(ImportError::TooManyEntries { .. })
    ));
    let csv = format!(
        "name,login_totp\n{}",
        "x,JBSWY3DPEHPK3PXP\n".repeat(MAX_ENTRIES + 2)
    );
    assert!(matches!(
        parse(csv.as_bytes(), Format::BitwardenCsv, None, NOW),
        Err(ImportError::TooManyEntries { .. })
    ));
}

#[test]
fn json_value_count_is_bounded_before_parsing() {
    // 3 MB of text that would take about 100 MB once parsed.
    let mut text = String::from("[");
    text.push_str(&"0,".repeat(keyfob::import::MAX_JSON_VALUES + 1));
    text.push('0');
    text.push(']');
    for format in [
        Format::AndOtp,
        Format::Aegis,
        Format::Bitwarden,
        Format::Proton,
    ] {
        malformed(
            &parse(text.as_bytes(), format, None, NOW).unwrap_err(),
            "too many JSON values",
        );
    }
}

#[test]
fn error_messages_never_quote_secrets() {
    // A secret-looking value in a broken JSON file must not show up in the error.
    let text = r#"{"tokens": [{"secret": "JBSWY3DPEHPK3PXP" "#;
    let e = parse(text.as_bytes(), Format::FreeOtpPlus, None, NOW).unwrap_err();
    assert!(!e.to_string().contains("JBSWY3DPEHPK3PXP"), "{e}");
    let imported = ok("aegis/plain.json", Format::Aegis, None);
    for s in &imported.skipped {
        assert!(!s.reason.contains("not base32!"));
    }
    assert!(!format!("{:?}", imported.accounts).contains(A));
}

#[test]
fn microsoft_authenticator_table_without_the_needed_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("PhoneFactor");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE accounts (_id INTEGER PRIMARY KEY, name TEXT, username TEXT);",
    )
    .unwrap();
    drop(conn);
    malformed(
        &parse_microsoft_authenticator_at(&path, NOW).unwrap_err(),
        "no 'oath_secret_key' column",
    );
}

#[test]
fn damaged_microsoft_databases_never_panic() {
    let bytes = fixture("microsoft/PhoneFactor");
    let step = bytes.len() / 12;
    for i in 1..12 {
        let cut = &bytes[..i * step];
        let _ = parse(cut, Format::MicrosoftAuthenticator, None, NOW);
        let mut flipped = bytes.clone();
        for b in flipped.iter_mut().skip(i * step).step_by(97).take(40) {
            *b ^= 0xa5;
        }
        if let Ok(imported) = parse(&flipped, Format::MicrosoftAuthenticator, None, NOW) {
            assert!(imported.accounts.len() + imported.skipped.len() <= 4);
        }
    }
}

// ------------------------------------------------------------------ the format list

/// README's format table as the format list gives it.
fn readme_table() -> String {
    let mut table =
        String::from("| `--from` | app | what it reads | also accepted |\n|---|---|---|---|\n");
    for format in Format::ALL {
        let spec = format.spec();
        let aliases: Vec<String> = spec.aliases.iter().map(|a| format!("`{a}`")).collect();
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            spec.name,
            spec.display_name,
            spec.source,
            aliases.join(", ")
        ));
    }
    table
}

#[test]
fn readme_format_table_matches_the_format_list() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = "<!-- formats: made from the format list (src/import/mod.rs); tests/import_formats.rs checks it -->\n";
    let end = "<!-- /formats -->";
    let from = readme
        .find(start)
        .expect("README has no format table marker")
        + start.len();
    let to = from
        + readme[from..]
            .find(end)
            .expect("README's format table has no end marker");
    let expected = readme_table();
    assert!(
        readme[from..to] == expected,
        "README's format table differs from the format list; put this between the markers:\n{expected}"
    );
}

#[test]
fn every_format_has_fixtures_that_are_detected_as_it() {
    for format in Format::ALL {
        let dir = format.spec().fixtures;
        assert!(
            fixture_path(dir).is_dir(),
            "{format}: no tests/fixtures/{dir}/"
        );
        let detected = DETECTION.iter().any(|(rel, expected)| {
            rel.starts_with(&format!("{dir}/")) && *expected == Some(format)
        });
        assert!(
            detected,
            "{format}: no fixture in DETECTION is detected as it"
        );
    }
}

#[test]
fn format_names_and_aliases_are_unique() {
    let mut seen: Vec<String> = Vec::new();
    for format in Format::ALL {
        let spec = format.spec();
        for name in std::iter::once(&spec.name).chain(spec.aliases) {
            assert_eq!(Format::from_name(name), Some(format), "'{name}'");
            let key: String = name
                .to_ascii_lowercase()
                .chars()
                .filter(|c| !matches!(c, '-' | '_' | ' ' | '+'))
                .collect();
            assert!(!seen.contains(&key), "'{name}' names two formats");
            seen.push(key);
        }
    }
}

// ------------------------------------------------------------------ Issue 16, second half:
// Steam Guard, Battle.net, Duo Mobile, TOTP Authenticator, Authenticator Plus, Ente's
// encrypted export and header-less andOTP backups (scripts/fixtures/<app>.py).

/// Reads a fixture the way `keyfob import` does (by path, so a file's companions are
/// found), with `password` as the source password.
fn read_as_import(
    path: &std::path::Path,
    password: Option<&[u8]>,
) -> Result<keyfob::import::session::Outcome, InputError> {
    let credentials = Credentials {
        password: password.map(|p| zeroize::Zeroizing::new(p.to_vec())),
        ..Credentials::default()
    };
    read_input(path, None, &credentials, NOW)
}

fn read_rows(rel: &str, password: Option<&[u8]>) -> Result<Vec<Row>, InputError> {
    read_as_import(&fixture_path(rel), password).map(|o| rows(&o.accounts))
}

const ERIN: &str = "ZDE4VS6MZXHM7UGR2LJ5JVOW27MNTWW3";

fn erin() -> Row {
    row("Steam", "erin", ERIN, Algorithm::Sha1, 5, Kind::Steam)
}

#[test]
fn steam_app_files_current_and_old_shape() {
    // Keyed by steamid, read in key order.
    let current = ok("steam/Steamguard-76561198000000001", Format::Steam, None);
    assert_eq!(rows(&current.accounts), vec![steam(), erin()]);
    assert!(current.skipped.is_empty());
    let old = ok(
        "steam/old-Steamguard-76561198000000002",
        Format::Steam,
        None,
    );
    assert_eq!(rows(&old.accounts), vec![erin()]);
}

#[test]
fn steam_desktop_authenticator_plain_mafiles_and_manifest() {
    let one = ok(
        "steam/sda-plain/76561198000000001.maFile",
        Format::Steam,
        None,
    );
    assert_eq!(rows(&one.accounts), vec![steam()]);
    // The manifest reads every .maFile of its folder.
    assert_eq!(
        read_rows("steam/sda-plain/manifest.json", None).unwrap(),
        vec![steam(), erin()]
    );
}

#[test]
fn steam_desktop_authenticator_encrypted_with_its_passkey() {
    assert_eq!(
        read_rows("steam/sda-encrypted/manifest.json", Some(PASSWORD)).unwrap(),
        vec![steam(), erin()]
    );
    // One encrypted .maFile on its own: the manifest beside it gives salt and IV.
    let lone = "steam/sda-encrypted/76561198000000002.maFile";
    assert_eq!(read_rows(lone, Some(PASSWORD)).unwrap(), vec![erin()]);
    for rel in ["steam/sda-encrypted/manifest.json", lone] {
        let err = read_rows(rel, None).unwrap_err();
        assert!(err.needs_password(), "{rel}: {err:?}");
        let err = read_rows(rel, Some(b"wrong-password")).unwrap_err();
        assert!(
            matches!(err, InputError::Import(ImportError::WrongPassword)),
            "{rel}: {err:?}"
        );
    }
}

#[test]
fn steam_broken_files() {
    malformed(
        &err("steam/broken-truncated.maFile", Format::Steam, None),
        "truncated JSON",
    );
    let flipped = read_rows(
        "steam/broken-flipped/76561198000000001.maFile",
        Some(PASSWORD),
    );
    assert!(
        matches!(flipped, Err(InputError::Import(ImportError::WrongPassword))),
        "{flipped:?}"
    );
    // A manifest cannot make keyfob read outside its folder: the entry is named.
    let escape = read_as_import(&fixture_path("steam/broken-escape/manifest.json"), None).unwrap();
    assert!(escape.accounts.is_empty());
    assert_eq!(escape.skipped.len(), 1);
    assert!(
        escape.skipped[0]
            .reason
            .contains("which is not a file name"),
        "{:?}",
        escape.skipped
    );
    // An encrypted .maFile without its manifest.
    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("76561198000000001.maFile");
    std::fs::write(
        &lone,
        fixture("steam/sda-encrypted/76561198000000001.maFile"),
    )
    .unwrap();
    match read_as_import(&lone, Some(PASSWORD)) {
        Err(InputError::Import(e)) => malformed(&e, "no manifest.json is beside it"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn battle_net_preferences() {
    let imported = ok(
        "battle-net/com.blizzard.messenger.authenticator_preferences.xml",
        Format::BattleNet,
        None,
    );
    assert_eq!(
        rows(&imported.accounts),
        vec![row(
            "Battle.net",
            "US-2211-2050-3346",
            "FAUSUKZMFUXC6MBRGIZTINJWG44DSOR3",
            Algorithm::Sha1,
            8,
            Kind::Totp { period: 30 },
        )]
    );
    assert!(imported.skipped.is_empty());
}

#[test]
fn battle_net_broken_files() {
    let cut = err("battle-net/broken-truncated.xml", Format::BattleNet, None);
    assert!(matches!(cut, ImportError::Malformed { .. }), "{cut:?}");
    let bad = ok(
        "battle-net/broken-secret-not-hex.xml",
        Format::BattleNet,
        None,
    );
    assert!(bad.accounts.is_empty());
    assert_eq!(
        skipped(&bad),
        vec![skip(
            "Battle.net",
            "US-2211-2050-3346",
            "the unmasked secret is not hex"
        )]
    );
}

#[test]
fn duo_mobile_accounts() {
    let imported = ok("duo/accounts.json", Format::Duo, None);
    assert_eq!(
        rows(&imported.accounts),
        vec![
            row(
                "",
                "GitHub",
                A,
                Algorithm::Sha1,
                6,
                Kind::Totp { period: 30 }
            ),
            row("", "Bank", B, Algorithm::Sha1, 6, Kind::Hotp { counter: 7 }),
        ]
    );
    let push_only = keyfob::import::duo::PUSH_ONLY_REASON;
    assert!(push_only.contains("cannot be moved"));
    assert_eq!(
        skipped(&imported),
        vec![skip("", "Acme University", push_only)]
    );
}

#[test]
fn duo_mobile_broken_files() {
    malformed(
        &err("duo/broken-truncated.json", Format::Duo, None),
        "truncated JSON",
    );
    let not_list = parse(b"{\"name\": 1}", Format::Duo, None, NOW).unwrap_err();
    malformed(&not_list, "not a list of accounts");
}

fn totp_authenticator_expected(imported: &Imported) {
    assert_eq!(
        rows(&imported.accounts),
        vec![
            github(),
            row(
                "Example Corp",
                "bob",
                B,
                Algorithm::Sha1,
                8,
                Kind::Totp { period: 60 }
            ),
            row(
                "Bank",
                "carol",
                C,
                Algorithm::Sha1,
                6,
                Kind::Totp { period: 30 }
            ),
        ]
    );
    assert_eq!(
        skipped(imported),
        vec![skip("Odd", "base 8", "unknown key encoding 'base 8'")]
    );
}

#[test]
fn totp_authenticator_backups_and_preferences() {
    let rel = "totp-authenticator/backup-password.bin";
    totp_authenticator_expected(&ok(rel, Format::TotpAuthenticator, Some(PASSWORD)));
    // A backup made without a password opens with the app's built-in one.
    let without = "totp-authenticator/backup-no-password.bin";
    totp_authenticator_expected(&ok(without, Format::TotpAuthenticator, None));
    let prefs = "totp-authenticator/TOTP_Authenticator_Preferences.xml";
    totp_authenticator_expected(&ok(prefs, Format::TotpAuthenticator, None));
}

#[test]
fn totp_authenticator_broken_files() {
    let rel = "totp-authenticator/backup-password.bin";
    let format = Format::TotpAuthenticator;
    assert!(matches!(
        err(rel, format, None),
        ImportError::PasswordRequired
    ));
    let wrong = err(rel, format, Some(b"wrong-password"));
    assert!(matches!(wrong, ImportError::WrongPassword), "{wrong:?}");
    let flipped = err(
        "totp-authenticator/broken-flipped.bin",
        format,
        Some(PASSWORD),
    );
    assert!(
        matches!(
            flipped,
            ImportError::WrongPassword | ImportError::Malformed { .. }
        ),
        "{flipped:?}"
    );
    let cut = err(
        "totp-authenticator/broken-truncated.bin",
        format,
        Some(PASSWORD),
    );
    assert!(matches!(cut, ImportError::WrongPassword), "{cut:?}");
    malformed(
        &parse(b"not base64 !!", format, None, NOW).unwrap_err(),
        "not base64 text of AES blocks",
    );
}

#[test]
fn authenticator_plus_zipcrypto_backup() {
    for (rel, password) in [
        ("authenticator-plus/authplus.zip", Some(PASSWORD)),
        ("authenticator-plus/plain.zip", None),
    ] {
        let imported = ok(rel, Format::AuthenticatorPlus, password);
        assert_eq!(
            rows(&imported.accounts),
            vec![github(), example(), bank()],
            "{rel}"
        );
        assert!(imported.skipped.is_empty(), "{rel}");
    }
}

#[test]
fn authenticator_plus_broken_files() {
    let rel = "authenticator-plus/authplus.zip";
    let format = Format::AuthenticatorPlus;
    assert!(matches!(
        err(rel, format, None),
        ImportError::PasswordRequired
    ));
    // Many wrong passwords: ZipCrypto's one-byte check passes about one in 256 (here
    // wrong-147, wrong-559 and wrong-588, computed with the fixture generator's
    // ZipCrypto); the entry's CRC-32 catches those.
    for i in 0..600 {
        let password = format!("wrong-{i}");
        let result = parse(&fixture(rel), format, Some(password.as_bytes()), NOW);
        assert!(
            matches!(result, Err(ImportError::WrongPassword)),
            "'{password}': {result:?}"
        );
    }
    let flipped = err(
        "authenticator-plus/broken-flipped.zip",
        format,
        Some(PASSWORD),
    );
    assert!(matches!(flipped, ImportError::WrongPassword), "{flipped:?}");
    let cut = err(
        "authenticator-plus/broken-truncated.zip",
        format,
        Some(PASSWORD),
    );
    malformed(&cut, "not a readable zip archive");
    let other = err(
        "authenticator-plus/broken-no-accounts.zip",
        format,
        Some(PASSWORD),
    );
    malformed(&other, "no Accounts.txt");
}

#[test]
fn ente_encrypted_export() {
    let imported = ok("ente/encrypted-export.txt", Format::Ente, Some(PASSWORD));
    assert_eq!(rows(&imported.accounts), vec![github(), example(), bank()]);
    assert_eq!(
        tags(&imported),
        vec![
            vec!["work".to_string()],
            vec![],
            vec!["money".to_string(), "home".to_string()]
        ]
    );
}

#[test]
fn ente_encrypted_broken_files() {
    let rel = "ente/encrypted-export.txt";
    assert!(matches!(
        err(rel, Format::Ente, None),
        ImportError::PasswordRequired
    ));
    let wrong = err(rel, Format::Ente, Some(b"wrong-password"));
    assert!(matches!(wrong, ImportError::WrongPassword), "{wrong:?}");
    let flipped = err(
        "ente/broken-encrypted-flipped.txt",
        Format::Ente,
        Some(PASSWORD),
    );
    assert!(matches!(flipped, ImportError::WrongPassword), "{flipped:?}");
    let cut = err(
        "ente/broken-encrypted-truncated.txt",
        Format::Ente,
        Some(PASSWORD),
    );
    malformed(&cut, "truncated JSON");
    let version = err(
        "ente/broken-encrypted-version-2.txt",
        Format::Ente,
        Some(PASSWORD),
    );
    assert!(
        matches!(version, ImportError::UnsupportedVersion { version: 2, .. }),
        "{version:?}"
    );
    let memory = err(
        "ente/broken-encrypted-absurd-memory.txt",
        Format::Ente,
        Some(PASSWORD),
    );
    assert!(
        matches!(memory, ImportError::KdfParameters { .. }),
        "{memory:?}"
    );
}

#[test]
fn a_headerless_andotp_backup_opens_with_the_password_when_nothing_recognises_it() {
    // The old scheme has no header at all; under a name that says nothing, only the
    // password can tell, and AES-GCM cannot open under a wrong key by chance.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.bin");
    std::fs::write(&file, fixture("andotp/old-scheme.json.aes")).unwrap();
    assert_eq!(
        detect(&std::fs::read(&file).unwrap(), Some("backup.bin")),
        None
    );
    let outcome = read_as_import(&file, Some(PASSWORD)).unwrap();
    assert_eq!(outcome.kind, InputKind::Format(Format::AndOtp));
    let expected = ok("andotp/old-scheme.json.aes", Format::AndOtp, Some(PASSWORD));
    assert!(!expected.accounts.is_empty());
    assert_eq!(rows(&outcome.accounts), rows(&expected.accounts));
    for password in [None, Some(&b"wrong-password"[..])] {
        let err = read_as_import(&file, password).unwrap_err();
        assert!(
            matches!(err, InputError::Import(ImportError::UnsupportedFormat)),
            "{err:?}"
        );
    }
}
