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
//! The stream is read by the `java-serialization` crate, which trusts the
//! stream too far for bytes from outside: it follows back-references without
//! bounding the chain, sizes an array's allocation from the stream, re-parses
//! nested objects at every level and copies nested arrays whole. So before the
//! crate sees a byte, [`check_shape`] admits only the one shape FreeOTP writes
//! (a `HashMap` whose block data holds strings, nothing nested, no
//! references), checking every length against the bytes left; the crate then
//! decodes that shape (strings, the map).

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
/// The map entry holding the master key.
pub const MASTER_KEY: &str = "masterKey";
/// What a token's metadata entry adds to the token's id.
pub const TOKEN_SUFFIX: &str = "-token";
/// Largest backup accepted, in bytes: over ten thousand tokens (FreeOTP writes
/// about 700 bytes per token).
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
/// that is not Java's (magic, version), and one of any other shape than
/// FreeOTP's ([`check_shape`]).
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
    check_shape(bytes)?;
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

/// What `ObjectOutputStream.writeObject(hashMap)` writes after the stream
/// header, up to the field values: `TC_OBJECT`, `TC_CLASSDESC`, the class
/// name, `HashMap`'s serialVersionUID, its flags (`SC_WRITE_METHOD |
/// SC_SERIALIZABLE`), its two fields (`F loadFactor`, `I threshold`),
/// `TC_ENDBLOCKDATA` (no class annotation) and `TC_NULL` (no superclass).
const HASHMAP_CLASS_DESC: &[u8] = b"\x73\x72\x00\x11java.util.HashMap\
    \x05\x07\xda\xc1\xc3\x16\x60\xd1\
    \x03\x00\x02\
    F\x00\x0aloadFactor\
    I\x00\x09threshold\
    \x78\x70";
/// `TC_BLOCKDATA` of 8 bytes: `HashMap.writeObject`'s bucket count and size.
const SIZE_BLOCK: [u8; 2] = [0x77, 0x08];
/// `TC_STRING`: a string with a 2-byte length.
const TC_STRING: u8 = 0x74;
/// `TC_LONGSTRING`: a string with an 8-byte length (Java writes it for a
/// string over 65 535 bytes of modified UTF-8).
const TC_LONGSTRING: u8 = 0x7C;
/// `TC_REFERENCE`: a back-reference to an earlier object.
const TC_REFERENCE: u8 = 0x71;
/// `TC_ENDBLOCKDATA`: the end of `HashMap.writeObject`'s data.
const TC_ENDBLOCKDATA: u8 = 0x78;
/// The fewest bytes one map entry takes: two empty `TC_STRING`s.
const MIN_ENTRY_LEN: usize = 2 * 3;

/// Checks that `bytes` (a stream whose magic and version are already checked)
/// has exactly the framing of a `HashMap<String, String>` as FreeOTP writes
/// it, without decoding anything: the class description byte for byte, the
/// two field values, the 8-byte block of bucket count and size, then `2 *
/// size` strings (`TC_STRING` or `TC_LONGSTRING`), `TC_ENDBLOCKDATA` and the
/// end of the input. One pass, no recursion, every length checked against
/// the bytes left, so whatever it admits the crate reads in linear time and
/// memory. The error names what was wrong and at which byte.
fn check_shape(bytes: &[u8]) -> Result<(), ImportError> {
    let bad = |what: String| ImportError::malformed(FORMAT, what);
    let cut = |at: usize, what: &str| {
        bad(format!(
            "the Java serialization stream is cut short at byte {at} (in {what})"
        ))
    };
    // The bytes at `at..at + len`, or the cut-short error naming `what`.
    let take = |at: usize, len: usize, what: &str| {
        at.checked_add(len)
            .and_then(|end| bytes.get(at..end))
            .ok_or_else(|| cut(at, what))
    };
    let be_u32 = |at: usize, what: &str| -> Result<u32, ImportError> {
        let field = take(at, 4, what)?;
        Ok(field.iter().fold(0, |n, &b| n << 8 | u32::from(b)))
    };

    // The class description, which FreeOTP's streams all share.
    let mut at = 4;
    for (i, &want) in HASHMAP_CLASS_DESC.iter().enumerate() {
        match bytes.get(at + i) {
            None => return Err(cut(at + i, "the HashMap's class description")),
            Some(&got) if got != want => {
                return Err(bad(format!(
                    "byte {} is not the class description of java.util.HashMap \
                     (0x{got:02x}, expected 0x{want:02x})",
                    at + i
                )));
            }
            Some(_) => {}
        }
    }
    at += HASHMAP_CLASS_DESC.len();
    // The field values, loadFactor (float) and threshold (int): not checked,
    // the map does not depend on them.
    take(at, 8, "the HashMap's field values")?;
    at += 8;
    // HashMap.writeObject's block data: bucket count, then size.
    if take(at, 2, "the HashMap's size block")? != SIZE_BLOCK {
        return Err(bad(format!(
            "byte {at} does not start the HashMap's 8-byte size block (0x77 0x08)"
        )));
    }
    let size_at = at + 6;
    let size = be_u32(size_at, "the HashMap's size")?;
    at += 10;
    // Each entry is at least two empty strings, so a size the bytes left
    // cannot hold is refused before any string is looked at.
    let entries = usize::try_from(size).ok().filter(|&n| {
        i32::try_from(n).is_ok() && n <= (bytes.len() - at) / MIN_ENTRY_LEN
    });
    let Some(entries) = entries else {
        return Err(bad(format!(
            "the HashMap's size at byte {size_at} ({}) is more than the {} bytes left can hold",
            size as i32,
            bytes.len() - at
        )));
    };
    // The keys and values, in turn: strings only, each one's length within
    // the bytes left.
    for _ in 0..entries * 2 {
        let len = match bytes.get(at) {
            None => return Err(cut(at, "the HashMap's entries")),
            Some(&TC_STRING) => {
                let field = take(at + 1, 2, "a string's length")?;
                at += 3;
                field.iter().fold(0, |n, &b| n << 8 | usize::from(b))
            }
            Some(&TC_LONGSTRING) => {
                let field = take(at + 1, 8, "a long string's length")?;
                at += 9;
                let len = field.iter().fold(0, |n: u64, &b| n << 8 | u64::from(b));
                // Past the end when it does not fit a usize either.
                usize::try_from(len).unwrap_or(usize::MAX)
            }
            Some(&TC_REFERENCE) => {
                return Err(bad(format!(
                    "a back-reference at byte {at} where a string should be \
                     (FreeOTP writes none)"
                )));
            }
            Some(&other) => {
                return Err(bad(format!(
                    "byte {at} (0x{other:02x}) should start a string of the HashMap"
                )));
            }
        };
        take(at, len, "a string")?;
        at += len;
    }
    match bytes.get(at) {
        None => Err(cut(at, "the HashMap's end marker")),
        Some(&TC_ENDBLOCKDATA) if at + 1 == bytes.len() => Ok(()),
        Some(&TC_ENDBLOCKDATA) => Err(bad(format!(
            "{} bytes follow the HashMap's end at byte {at}",
            bytes.len() - at - 1
        ))),
        Some(&other) => Err(bad(format!(
            "byte {at} (0x{other:02x}) should end the HashMap's {entries} entries (0x78)"
        ))),
    }
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

    /// A stream of FreeOTP's shape whose entries are `parts` (each a key or
    /// value exactly as written, tag and length included), claiming `size`
    /// entries.
    fn stream_with(size: u32, parts: &[&[u8]]) -> Vec<u8> {
        let mut stream = b"\xac\xed\x00\x05".to_vec();
        stream.extend(HASHMAP_CLASS_DESC);
        stream.extend(0.75f32.to_be_bytes());
        stream.extend(12i32.to_be_bytes());
        stream.extend(SIZE_BLOCK);
        stream.extend(16i32.to_be_bytes());
        stream.extend(size.to_be_bytes());
        for part in parts {
            stream.extend(*part);
        }
        stream.push(TC_ENDBLOCKDATA);
        stream
    }

    /// `TC_STRING` and its length, then `text`.
    fn string(text: &str) -> Vec<u8> {
        let mut out = vec![TC_STRING];
        out.extend(u16::try_from(text.len()).unwrap().to_be_bytes());
        out.extend(text.as_bytes());
        out
    }

    /// The reason of a malformed-file error from the shape check.
    fn refusal(bytes: &[u8]) -> String {
        match check_shape(bytes) {
            Err(ImportError::Malformed { reason, .. }) => reason,
            other => panic!("expected a malformed-file error, got {other:?}"),
        }
    }

    #[test]
    fn the_shape_freeotp_writes_is_admitted() {
        for fixture in [
            &include_bytes!("../../tests/fixtures/freeotp-backup/externalBackup.xml")[..],
            &include_bytes!("../../tests/fixtures/freeotp-backup/sha1/externalBackup.xml")[..],
        ] {
            check_shape(fixture).unwrap();
            assert!(read_map(fixture).unwrap().contains_key(MASTER_KEY));
        }
        // An empty map, and a value long enough that Java writes it as a
        // TC_LONGSTRING (8-byte length), which the crate then reads.
        check_shape(&stream_with(0, &[])).unwrap();
        let long = "v".repeat(70_000);
        let mut long_value = vec![TC_LONGSTRING];
        long_value.extend((long.len() as u64).to_be_bytes());
        long_value.extend(long.as_bytes());
        let stream = stream_with(1, &[&string("k"), &long_value]);
        check_shape(&stream).unwrap();
        assert_eq!(read_map(&stream).unwrap()["k"], long);
    }

    #[test]
    fn the_fuzzers_crafted_streams_are_refused_before_the_crate_reads_them() {
        // The 326-byte stream that made the crate ask for 121 GB: its class
        // has a field 'B loadFastor' and its entries are arrays.
        let crash = include_bytes!(
            "../../fuzz/regressions/import_freeotp_backup/crash-c890de92215e6da1975967eeaa4b3b30e7ac4b7e"
        );
        let reason = refusal(crash);
        assert!(reason.contains("byte 32 is not the class description"), "{reason}");
        // Another class at the top, an object of it nested in itself with a
        // writeObject method (the crate re-parses that at every level).
        let mut nested_object = b"\xac\xed\x00\x05".to_vec();
        for _ in 0..18 {
            nested_object.extend(b"\x73\x72\x00\x01A\0\0\0\0\0\0\0\0\x03\x00\x00\x78\x70");
        }
        let reason = refusal(&nested_object);
        assert!(reason.contains("byte 7 is not the class description"), "{reason}");
        // The same inside the map, where a key should be.
        let nested = nested_object[4..].to_vec();
        let reason = refusal(&stream_with(1, &[&nested, &string("v")]));
        assert!(reason.contains("byte 81 (0x73) should start a string"), "{reason}");
        // 4000 nested arrays, where a key should be.
        let arrays = b"\x75\x72\x00\x02[B\0\0\0\0\0\0\0\0\x02\x00\x00\x78\x70".repeat(4000);
        let reason = refusal(&stream_with(1, &[&arrays, &string("v")]));
        assert!(reason.contains("byte 81 (0x75) should start a string"), "{reason}");
        // An array declaring 2^31 - 1 elements in a few bytes.
        let long_array = b"\x75\x72\x00\x02[B\0\0\0\0\0\0\0\0\x02\x00\x00\x78\x70\x7f\xff\xff\xff";
        let reason = refusal(&stream_with(1, &[long_array, &string("v")]));
        assert!(reason.contains("byte 81 (0x75) should start a string"), "{reason}");
        // A back-reference where the value should be.
        let reason = refusal(&stream_with(1, &[&string("k"), b"\x71\x00\x7e\x00\x02"]));
        assert!(reason.contains("back-reference at byte 85"), "{reason}");
    }

    #[test]
    fn every_length_is_checked_against_the_bytes_left() {
        // A size no stream this long can hold, and one past i32.
        for size in [1, 0x7fff_ffff, 0xffff_ffff] {
            let reason = refusal(&stream_with(size, &[]));
            assert!(reason.contains("size at byte 77"), "{reason}");
            assert!(reason.contains("more than the 1 bytes left"), "{reason}");
        }
        // A size larger than the strings written.
        let reason = refusal(&stream_with(2, &[&string("k"), &string("v"), &[0; 6]]));
        assert!(reason.contains("byte 89 (0x00) should start a string"), "{reason}");
        // Strings longer than the stream, with both kinds of length.
        let reason = refusal(&stream_with(1, &[b"\x74\xff\xff", &string("v")]));
        assert!(reason.contains("cut short at byte 84 (in a string)"), "{reason}");
        let mut huge = vec![TC_LONGSTRING];
        huge.extend(u64::MAX.to_be_bytes());
        let reason = refusal(&stream_with(1, &[&string("k"), &huge]));
        assert!(reason.contains("cut short at byte 94 (in a string)"), "{reason}");
        // Fewer strings than the size says, and bytes after the end.
        let reason = refusal(&stream_with(1, &[&string("k"), &string("v"), &string("x")]));
        assert!(reason.contains("byte 89 (0x74) should end the HashMap's 1 entries"), "{reason}");
        let mut trailing = stream_with(0, &[]);
        trailing.push(0);
        let reason = refusal(&trailing);
        assert!(reason.contains("1 bytes follow the HashMap's end at byte 81"), "{reason}");
        // Every cut of a real backup is named as one (or its size as too large).
        let good = include_bytes!("../../tests/fixtures/freeotp-backup/externalBackup.xml");
        for cut in 4..good.len() {
            let reason = refusal(&good[..cut]);
            assert!(
                reason.contains("cut short at byte") || reason.contains("bytes left can hold"),
                "cut at {cut}: {reason}"
            );
        }
        // The size block, changed.
        let mut block = stream_with(0, &[]);
        block[72] = 0x09;
        let reason = refusal(&block);
        assert!(reason.contains("byte 71 does not start the HashMap's 8-byte size block"), "{reason}");
    }
}
