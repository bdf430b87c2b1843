//! FreeOTP 2 backups (`externalBackup.xml`, which despite its name is not XML):
//! the app's backup preferences written with Java's `ObjectOutputStream` as one
//! `java.util.HashMap<String, String>`.
//!
//! The map holds `masterKey` (a random AES-256 key sealed under the backup
//! password: PBKDF2-HMAC-SHA1 or -SHA512, then AES-GCM), and for each token
//! `<uuid>` (its secret sealed with AES-GCM under the master key) and
//! `<uuid>-token` (the token itself in the JSON shape of FreeOTP's `tokens.xml`,
//! without the secret: [`super::free_otp_plus::to_account_with`]). Each sealed
//! key is FreeOTP's `EncryptedKey` as JSON: the ciphertext and tag, the Java
//! encoding of its GCM parameters (DER `SEQUENCE { OCTET STRING nonce, INTEGER
//! tag length }`) and the name of the key inside (`AES`, `HmacSHA1`, …), which
//! is also the additional authenticated data.
//!
//! The stream is read by the `java-serialization` crate. That crate copies the
//! objects a stream points back to and does not bound a chain of references, so
//! a crafted stream of a few bytes could make it loop; FreeOTP never writes a
//! back-reference (every key and value is its own string), so a stream that
//! holds something that can be one is refused before it is read ([`read_map`]).
//! Still open (fuzz/README.md, `known-open/import_freeotp_backup/`): the crate
//! trusts an array's length from the stream for its allocation, parses nested
//! objects twice on failure at every level and copies nested arrays whole, so a
//! crafted stream can still exhaust memory or time; real backups hold strings only.

use std::collections::{BTreeSet, HashMap};

use java_serialization::{
    AnnotationElement, ClassData, ContentElement, StreamObject, parse_serialization_stream,
};
use serde_json::Value;
use zeroize::Zeroizing;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, crypto, entry, free_otp_plus, js};
use crate::account::Account;
use crate::secret::Secret;

const FORMAT: Format = Format::FreeOtpBackup;

/// The first bytes of every Java serialization stream (`STREAM_MAGIC`).
const STREAM_MAGIC: [u8; 2] = [0xAC, 0xED];
/// The only stream version Java has written since 1.2 (`STREAM_VERSION`).
const STREAM_VERSION: u16 = 5;
/// `TC_OBJECT TC_CLASSDESC`, then the class name as Java's (utf): how the
/// stream of one `HashMap` begins after its header.
const HASHMAP_START: &[u8] = b"\x73\x72\x00\x11java.util.HashMap";
/// `TC_REFERENCE`: the marker of a back-reference to an earlier object.
const TC_REFERENCE: u8 = 0x71;
/// The map entry holding the master key.
pub const MASTER_KEY: &str = "masterKey";
/// What a token's metadata entry adds to the token's id.
pub const TOKEN_SUFFIX: &str = "-token";
/// Largest backup accepted, in bytes: over ten thousand tokens (FreeOTP writes
/// about 700 bytes per token). Under 16 MiB, a stream has fewer objects than
/// the first handle whose top byte is not zero, which [`read_map`] relies on.
pub const MAX_BACKUP_LEN: usize = 8 * 1024 * 1024;
/// The cipher FreeOTP seals every key with.
const CIPHER: &str = "AES/GCM/NoPadding";

pub(crate) const SPEC: Spec = Spec {
    name: "freeotp-backup",
    aliases: &["freeotp2", "freeotp-external-backup"],
    display_name: "FreeOTP 2",
    source: "encrypted backup (`externalBackup.xml`, a Java serialization stream)",
    fixtures: "freeotp-backup",
    detect,
    parse,
    read_path: None,
    authenticated: false,
};

/// A Java serialization stream of one `java.util.HashMap`, whatever its
/// version (an unknown one is then reported by [`parse`]).
fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let bytes = probe.bytes();
    (bytes.starts_with(&STREAM_MAGIC) && bytes.get(4..).is_some_and(|b| b.starts_with(HASHMAP_START)))
        .then_some(Confidence::Certain)
}

/// Parses a FreeOTP 2 backup; the backup password opens it.
pub fn parse(bytes: &[u8], password: Option<&[u8]>, now: i64) -> Result<Imported, ImportError> {
    let map = read_map(bytes)?;
    let master = map
        .get(MASTER_KEY)
        .ok_or_else(|| ImportError::malformed(FORMAT, "no 'masterKey' entry"))?;
    let master = json_entry(master, MASTER_KEY)?;
    let password = password.ok_or(ImportError::PasswordRequired)?;
    let master_key = open_master_key(&master, password)?;

    // A token is the pair `<uuid>` (its secret) and `<uuid>-token` (the rest);
    // either may be missing.
    let ids: BTreeSet<&str> = map
        .keys()
        .filter(|key| key.as_str() != MASTER_KEY)
        .map(|key| key.strip_suffix(TOKEN_SUFFIX).unwrap_or(key))
        .collect();
    super::check_count(ids.len())?;
    let mut tokens: Vec<(&str, Option<Value>)> = ids
        .into_iter()
        .map(|id| {
            let token = map
                .get(&format!("{id}{TOKEN_SUFFIX}"))
                .and_then(|text| serde_json::from_str(text).ok());
            (id, token)
        })
        .collect();
    // The map keeps no order (FreeOTP restores in hash order): issuer, then
    // name, then id, so that the same backup always imports the same way.
    tokens.sort_by_cached_key(|(id, token)| {
        let token = token.as_ref().unwrap_or(&Value::Null);
        (
            issuer(token).to_lowercase(),
            js::str(token, "label").to_lowercase(),
            id.to_string(),
        )
    });
    entry::collect(tokens, |(id, token)| {
        to_account(&map, id, token.as_ref(), &master_key, now)
    })
}

/// The issuer FreeOTP shows: `issuerExt` (from the label), else `issuerInt`
/// (the URI's `issuer` parameter).
fn issuer(token: &Value) -> &str {
    match js::str(token, "issuerExt") {
        "" => js::str(token, "issuerInt"),
        issuer => issuer,
    }
}

fn to_account(
    map: &HashMap<String, String>,
    id: &str,
    token: Option<&Value>,
    master_key: &[u8],
    now: i64,
) -> Result<Account, Skipped> {
    let Some(token) = token else {
        let reason = if map.contains_key(&format!("{id}{TOKEN_SUFFIX}")) {
            "the token is not valid JSON"
        } else {
            "the backup has its secret but not the token"
        };
        return Err(Skipped::new("", id, reason));
    };
    let secret = || {
        let sealed = map
            .get(id)
            .ok_or_else(|| "the backup has the token but not its secret".to_string())?;
        open_secret(sealed, master_key)
    };
    free_otp_plus::to_account_with(token, issuer(token), secret, now)
}

/// The strings of the stream's `HashMap`, by key.
///
/// Refused before the stream is read: a stream over [`MAX_BACKUP_LEN`], one
/// that is not Java's (magic, version), and one holding the bytes of a
/// back-reference to any handle under 2^24 (`TC_REFERENCE` then a zero byte),
/// which covers every object of a stream this short. Such bytes cannot occur
/// in FreeOTP's own streams: it writes no back-references, a 0x71 data byte
/// ('q') is never followed by a zero byte in Java's modified UTF-8, and no
/// string of FreeOTP's is near 0x7100 (28 928) bytes long, whose length would
/// start with those bytes.
fn read_map(bytes: &[u8]) -> Result<HashMap<String, String>, ImportError> {
    if bytes.len() > MAX_BACKUP_LEN {
        return Err(ImportError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_BACKUP_LEN as u64,
        });
    }
    if !bytes.starts_with(&STREAM_MAGIC) {
        return Err(ImportError::malformed(
            FORMAT,
            "not a Java serialization stream (no 0xACED header)",
        ));
    }
    let version = match bytes.get(2..4) {
        Some(&[high, low]) => u16::from_be_bytes([high, low]),
        _ => return Err(ImportError::malformed(FORMAT, "the stream header is cut short")),
    };
    if version != STREAM_VERSION {
        return Err(ImportError::UnsupportedVersion {
            format: FORMAT,
            version: i64::from(version),
        });
    }
    if bytes.windows(2).any(|pair| pair == [TC_REFERENCE, 0]) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "a stream with back-references (FreeOTP writes none)",
        });
    }
    let (_, stream) = parse_serialization_stream(bytes).map_err(|_| {
        ImportError::malformed(FORMAT, "the Java serialization stream is cut short or damaged")
    })?;
    let object = match stream.contents.as_slice() {
        [ContentElement::Object(StreamObject::NewObject(object))] => object,
        _ => {
            return Err(ImportError::malformed(
                FORMAT,
                "the stream does not hold exactly one object",
            ));
        }
    };
    if object.class_name() != Some("java.util.HashMap") {
        return Err(ImportError::malformed(FORMAT, "the stream's object is not a HashMap"));
    }
    // HashMap.writeObject: its fields, then block data (bucket count and size,
    // two ints), then each key and value.
    let annotation = match object.class_data.as_slice() {
        [ClassData::WriteMethodWithFields(_, annotation)] => &annotation.contents,
        _ => return Err(ImportError::malformed(FORMAT, "the HashMap has no entries written")),
    };
    let mut block = Vec::new();
    let mut strings = Vec::new();
    for element in annotation {
        match element {
            AnnotationElement::BlockData(data) if strings.is_empty() => {
                block.extend_from_slice(data.data());
            }
            AnnotationElement::Object(StreamObject::NewString(text)) => {
                strings.push(text.value.as_str());
            }
            _ => {
                return Err(ImportError::malformed(
                    FORMAT,
                    "the HashMap holds something other than strings",
                ));
            }
        }
    }
    let size = match block.get(4..8) {
        Some(&[a, b, c, d]) if block.len() == 8 => i32::from_be_bytes([a, b, c, d]),
        _ => return Err(ImportError::malformed(FORMAT, "the HashMap's size is missing")),
    };
    if usize::try_from(size).ok().and_then(|n| n.checked_mul(2)) != Some(strings.len()) {
        return Err(ImportError::malformed(
            FORMAT,
            format!(
                "the HashMap says {size} entries but holds {} strings",
                strings.len()
            ),
        ));
    }
    let mut map = HashMap::with_capacity(strings.len() / 2);
    for pair in strings.chunks_exact(2) {
        if let [key, value] = pair {
            map.insert((*key).to_string(), (*value).to_string());
        }
    }
    Ok(map)
}

/// A map value parsed as JSON, or a malformed-file error naming the entry.
fn json_entry(text: &str, name: &str) -> Result<Value, ImportError> {
    serde_json::from_str(text)
        .map_err(|_| ImportError::malformed(FORMAT, format!("'{name}' is not valid JSON")))
}

/// A JSON list of (signed) bytes, as Gson writes a `byte[]`.
fn byte_list(value: &Value, key: &str) -> Option<Zeroizing<Vec<u8>>> {
    let list = value.get(key)?.as_array()?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(list.len()));
    for item in list {
        let byte = item.as_i64().filter(|v| (-128..=255).contains(v))?;
        bytes.push((byte & 0xff) as u8);
    }
    Some(bytes)
}

/// The parts of one `EncryptedKey`, checked: the nonce, the ciphertext with
/// its tag, and the additional data (the name of the sealed key).
struct Sealed {
    nonce: Vec<u8>,
    ciphertext: Zeroizing<Vec<u8>>,
    aad: String,
}

impl Sealed {
    /// Reads an `EncryptedKey` object; the error says what is wrong with it.
    fn read(value: &Value) -> Result<Sealed, String> {
        let cipher = js::str(value, "mCipher");
        if !cipher.eq_ignore_ascii_case(CIPHER) {
            return Err(format!("unsupported cipher '{}'", entry::short(cipher)));
        }
        let ciphertext =
            byte_list(value, "mCipherText").ok_or("the ciphertext is not a list of bytes")?;
        let parameters =
            byte_list(value, "mParameters").ok_or("the GCM parameters are not a list of bytes")?;
        let nonce = gcm_nonce(&parameters)?;
        let aad = match value.get("mToken").and_then(Value::as_str) {
            Some(name) => name.to_string(),
            None => return Err("the key has no 'mToken' name".to_string()),
        };
        Ok(Sealed {
            nonce,
            ciphertext,
            aad,
        })
    }

    /// Opens it with `key`, or `None` (wrong key, or altered data).
    fn open(&self, key: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        crypto::aes_gcm_open(key, &self.nonce, &self.ciphertext, self.aad.as_bytes())
    }
}

/// The nonce in Java's encoding of GCM parameters: DER `SEQUENCE { OCTET
/// STRING nonce, INTEGER tag length in bytes DEFAULT 12 }`. Only 12-byte
/// nonces and 16-byte tags (what FreeOTP uses) are accepted.
fn gcm_nonce(parameters: &[u8]) -> Result<Vec<u8>, String> {
    use der::{Decode, Reader, SliceReader, asn1::OctetStringRef};
    let read = || -> der::Result<(Vec<u8>, u8)> {
        let mut reader = SliceReader::new(parameters)?;
        let parts = reader.sequence(|seq| {
            let nonce = OctetStringRef::decode(seq)?.as_bytes().to_vec();
            let tag_len = if seq.is_finished() { 12 } else { seq.decode::<u8>()? };
            Ok((nonce, tag_len))
        })?;
        reader.finish(parts)
    };
    let (nonce, tag_len) = read().map_err(|_| "the GCM parameters are not valid DER".to_string())?;
    if nonce.len() != 12 {
        return Err(format!("a GCM nonce of {} bytes is not supported", nonce.len()));
    }
    if tag_len != 16 {
        return Err(format!("a GCM tag of {tag_len} bytes is not supported"));
    }
    Ok(nonce)
}

/// The master key: the password's PBKDF2 key opens `mEncryptedKey`.
fn open_master_key(master: &Value, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let bad = |what: String| ImportError::malformed(FORMAT, format!("'masterKey': {what}"));
    let algorithm = js::str(master, "mAlgorithm");
    let iterations = js::int(master, "mIterations")
        .ok_or_else(|| bad("no 'mIterations'".to_string()))?;
    let iterations = u32::try_from(iterations).map_err(|_| ImportError::KdfParameters {
        format: FORMAT,
        detail: format!("PBKDF2 iterations '{iterations}'"),
    })?;
    let salt = byte_list(master, "mSalt").ok_or_else(|| bad("no salt".to_string()))?;
    // FreeOTP derives a key as long as the salt: 32 bytes, an AES-256 key.
    if salt.len() != 32 {
        return Err(bad(format!(
            "a {}-byte salt (a key that long) is not supported",
            salt.len()
        )));
    }
    let sealed = Sealed::read(master.get("mEncryptedKey").unwrap_or(&Value::Null)).map_err(bad)?;
    let key = if algorithm.eq_ignore_ascii_case("PBKDF2withHmacSHA512") {
        crypto::pbkdf2_sha512(FORMAT, password, &salt, iterations)?
    } else if algorithm.eq_ignore_ascii_case("PBKDF2withHmacSHA1") {
        crypto::pbkdf2_sha1(FORMAT, password, &salt, iterations)?
    } else {
        return Err(bad(format!(
            "unsupported key derivation '{}'",
            entry::short(algorithm)
        )));
    };
    let master_key = sealed.open(key.as_ref()).ok_or(ImportError::WrongPassword)?;
    if master_key.len() != 32 {
        return Err(bad(format!("a master key of {} bytes", master_key.len())));
    }
    Ok(master_key)
}

/// A token's secret from its `<uuid>` entry, `{"key": "<EncryptedKey as JSON>"}`.
fn open_secret(entry_text: &str, master_key: &[u8]) -> Result<Secret, String> {
    let outer: Value =
        serde_json::from_str(entry_text).map_err(|_| "its secret entry is not valid JSON")?;
    let inner = js::str(&outer, "key");
    let sealed: Value =
        serde_json::from_str(inner).map_err(|_| "its sealed secret is not valid JSON")?;
    let sealed = Sealed::read(&sealed)?;
    let secret = sealed
        .open(master_key)
        .ok_or("its secret cannot be decrypted (the backup is damaged)")?;
    Secret::from_bytes(secret.to_vec()).map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn gcm_parameters_as_java_encodes_them() {
        let nonce: Vec<u8> = (1..=12).collect();
        let mut der = vec![0x30, 0x11, 0x04, 0x0c];
        der.extend(&nonce);
        der.extend([0x02, 0x01, 0x10]);
        assert_eq!(gcm_nonce(&der).unwrap(), nonce);
        // Without the tag length, the default is 12 bytes: not FreeOTP's.
        let mut short = vec![0x30, 0x0e, 0x04, 0x0c];
        short.extend(&nonce);
        assert!(gcm_nonce(&short).unwrap_err().contains("tag of 12 bytes"));
        // A 16-byte nonce.
        let mut long = vec![0x30, 0x15, 0x04, 0x10];
        long.extend([7u8; 16]);
        long.extend([0x02, 0x01, 0x10]);
        assert!(gcm_nonce(&long).unwrap_err().contains("nonce of 16 bytes"));
        // Trailing bytes, and a cut encoding.
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(gcm_nonce(&trailing).unwrap_err().contains("not valid DER"));
        assert!(gcm_nonce(&der[..10]).unwrap_err().contains("not valid DER"));
    }

    #[test]
    fn back_references_are_refused_before_the_stream_is_read() {
        // A class whose superclass is a reference to itself: the crate would
        // walk that chain for ever.
        let mut stream = b"\xac\xed\x00\x05\x73\x72\x00\x01A".to_vec();
        stream.extend([0; 8]);
        stream.extend(b"\x03\x00\x00\x78\x71\x00\x7e\x00\x00\x78");
        assert!(matches!(
            read_map(&stream),
            Err(ImportError::Unsupported { .. })
        ));
        // A reference below the first handle (its index would underflow).
        let low = b"\xac\xed\x00\x05\x73\x71\x00\x00\x00\x01";
        assert!(matches!(read_map(low), Err(ImportError::Unsupported { .. })));
    }
}
