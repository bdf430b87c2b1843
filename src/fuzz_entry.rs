//! Entry points shared by the fuzz targets (`fuzz/`) and their replay test
//! (`tests/fuzz_replay.rs`), so both run exactly the same code on the same bytes.
//!
//! Each function takes raw bytes, runs one parser of outside input and checks
//! the properties that must hold for any input. A broken property comes back as
//! `Err` with a short description (never the input); a panic inside the parser
//! is a bug in itself. Not part of the supported API.

use std::sync::OnceLock;

use crate::import::{self, Format};
use crate::vault::{self, Document, Key};

/// Identity the `vault_open` target decrypts with. A throwaway test key, also used
/// by the golden files under `tests/data/golden/` so their vault seeds the corpus.
pub const FUZZ_IDENTITY: &str =
    "AGE-SECRET-KEY-14EADHS4UXYPQDLWGZQLMDKSTUF2UNUCJ9FV93YXRZXNHS3THKXPSRHCWFC";

/// Time stamped on parsed accounts.
const NOW: i64 = 1_700_000_000;

fn fuzz_key() -> Option<&'static Key> {
    static KEY: OnceLock<Option<Key>> = OnceLock::new();
    KEY.get_or_init(|| Key::from_identity_text(FUZZ_IDENTITY).ok())
        .as_ref()
}

/// `otpauth://` parsing. Property: an accepted URI formats to a canonical URI
/// that parses back to the same account.
pub fn uri(data: &[u8]) -> Result<(), &'static str> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let Ok(account) = crate::uri::parse(text, NOW) else {
        return Ok(());
    };
    let canonical = crate::uri::format(&account);
    let again = crate::uri::parse(&canonical, NOW)
        .map_err(|_| "the canonical form of an accepted URI does not parse")?;
    if crate::uri::format(&again) != canonical {
        return Err("the canonical form does not round-trip");
    }
    if again.issuer != account.issuer
        || again.name != account.name
        || again.secret != account.secret
        || again.kind != account.kind
        || again.algorithm != account.algorithm
        || again.digits != account.digits
    {
        return Err("the canonical form parses to a different account");
    }
    Ok(())
}

/// Google Authenticator migration payload (raw protobuf bytes). Property: the
/// accounts read re-encode to URIs that decode to the same accounts.
pub fn migration(data: &[u8]) -> Result<(), &'static str> {
    let Ok(imported) = import::google_migration::decode_payload(data, NOW) else {
        return Ok(());
    };
    let export = crate::export::google_qr::encode_batches(&imported.accounts, 10, 1);
    let mut back = Vec::new();
    for uri in &export.uris {
        let decoded = import::google_migration::decode_uri(uri, NOW)
            .map_err(|_| "a re-encoded migration URI does not decode")?;
        back.extend(decoded.accounts);
    }
    if back.len() + export.skipped.len() != imported.accounts.len() {
        return Err("re-encoding lost accounts");
    }
    Ok(())
}

/// Vault open: age decryption with a fixed identity, then document parsing.
/// The same bytes are also parsed as a decrypted document directly, so the JSON
/// layer is reached without the fuzzer having to forge age encryption.
/// Property: a document that parses serialises to one that parses to itself.
pub fn vault_open(data: &[u8]) -> Result<(), &'static str> {
    if let Some(key) = fuzz_key()
        && let Ok(plaintext) = vault::crypto::decrypt(data, key)
    {
        check_document(&plaintext)?;
    }
    check_document(data)
}

fn check_document(plaintext: &[u8]) -> Result<(), &'static str> {
    let Ok(document) = Document::from_json(plaintext) else {
        return Ok(());
    };
    let json = document.to_json();
    match Document::from_json(&json) {
        Ok(again) if again == document => Ok(()),
        Ok(_) => Err("a vault document changes when saved and reopened"),
        Err(_) => Err("a vault document that opened cannot be reopened after saving"),
    }
}

/// QR decoding of arbitrary image bytes.
pub fn qr_image(data: &[u8]) -> Result<(), &'static str> {
    if let Ok(codes) = crate::qr::decode_image_bytes(data)
        && codes.is_empty()
    {
        return Err("decoding reported success without a code");
    }
    Ok(())
}

/// One import format's parser, without a password (encrypted files stop at
/// [`import::ImportError::PasswordRequired`]). Property: every account read is valid.
pub fn import(format: Format, data: &[u8]) -> Result<(), &'static str> {
    if let Ok(imported) = import::parse(data, format, None, NOW)
        && imported.accounts.iter().any(|a| a.validate().is_err())
    {
        return Err("an importer returned an invalid account");
    }
    // Detection must not panic either, whatever the bytes.
    let _ = import::detect(data, Some("fuzz.json"));
    Ok(())
}

/// The agent's request reader: the bytes are a stream of length-prefixed
/// messages read one after another, as a connection would send them, and also
/// one message payload parsed directly (so the JSON layer is reached without the
/// fuzzer having to forge a prefix). Property: an accepted request encodes to a
/// message that reads back as the same request.
pub fn agent_request(data: &[u8]) -> Result<(), &'static str> {
    use crate::agent::protocol;
    let mut stream = data;
    for _ in 0..8 {
        match protocol::read_request(&mut stream) {
            Ok(request) => check_request(&request)?,
            Err(crate::agent::AgentError::Truncated) => break,
            // A length over the limit is refused before its payload is read.
            Err(crate::agent::AgentError::TooLarge { .. }) => break,
            Err(_) => {}
        }
    }
    if let Ok(request) = protocol::parse_request(data) {
        check_request(&request)?;
    }
    Ok(())
}

fn check_request(request: &crate::agent::Request) -> Result<(), &'static str> {
    use crate::agent::protocol;
    let mut wire = Vec::new();
    protocol::write_request(&mut wire, request)
        .map_err(|_| "an accepted request cannot be written")?;
    match protocol::read_request(wire.as_slice()) {
        Ok(again) if again == *request => Ok(()),
        Ok(_) => Err("a request reads back as a different request"),
        Err(_) => Err("an accepted request does not read back"),
    }
}

/// A fuzz target's entry point.
pub type Target = Box<dyn Fn(&[u8]) -> Result<(), &'static str>>;

/// The fuzz target names, each with the function that runs it. Import targets
/// come from the format list, one per format ([`Format::fuzz_target`]).
pub fn targets() -> Vec<(String, Target)> {
    let mut targets: Vec<(String, Target)> = vec![
        ("uri".to_string(), Box::new(uri)),
        ("migration".to_string(), Box::new(migration)),
        ("vault_open".to_string(), Box::new(vault_open)),
        ("qr_image".to_string(), Box::new(qr_image)),
        ("agent_request".to_string(), Box::new(agent_request)),
    ];
    for format in Format::ALL {
        targets.push((
            format.fuzz_target(),
            Box::new(move |data| import(format, data)),
        ));
    }
    targets
}

/// Runs the import target named `target` (a fuzz binary's own name,
/// `env!("CARGO_BIN_NAME")`), so every import target's file is the same
/// three lines. An unknown name is an error, found on the first input.
pub fn import_target(target: &str, data: &[u8]) -> Result<(), &'static str> {
    let format = Format::ALL
        .into_iter()
        .find(|format| format.fuzz_target() == target)
        .ok_or("no import format has this fuzz target name")?;
    import(format, data)
}
