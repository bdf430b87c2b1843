//! The few cryptographic operations the encrypted importers need, with the
//! bounds checks on key-derivation parameters that come from untrusted files.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use super::{Format, ImportError};

/// Most PBKDF2 iterations accepted from a file (andOTP allows up to ten million).
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Largest scrypt `log2(N)` accepted.
pub const MAX_SCRYPT_LOG_N: u8 = 20;
/// Largest scrypt memory (128 · N · r bytes) accepted: 256 MiB.
pub const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
/// Largest scrypt work factor N · r · p accepted.
pub const MAX_SCRYPT_WORK: u64 = 1 << 24;

/// AES-256-GCM decryption of `ciphertext || tag` with a 12-byte nonce.
/// Any failure (wrong key, altered data, bad lengths) is `None`.
pub fn aes_gcm_open(
    key: &[u8],
    nonce: &[u8],
    ciphertext_and_tag: &[u8],
    aad: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    if nonce.len() != 12 {
        return None;
    }
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext_and_tag,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

/// AES-256-CBC decryption with PKCS#7 padding. Any failure is `None`.
pub fn aes_cbc_open(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    let decryptor = cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv).ok()?;
    decryptor
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .ok()
        .map(Zeroizing::new)
}

fn check_iterations(format: Format, iterations: u32) -> Result<(), ImportError> {
    if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
        return Err(ImportError::KdfParameters {
            format,
            detail: format!("PBKDF2 iterations '{iterations}'"),
        });
    }
    Ok(())
}

/// PBKDF2-HMAC-SHA1 to 32 bytes, iterations bounded.
pub fn pbkdf2_sha1(
    format: Format,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<Zeroizing<[u8; 32]>, ImportError> {
    check_iterations(format, iterations)?;
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, key.as_mut());
    Ok(key)
}

/// PBKDF2-HMAC-SHA256 to 32 bytes, iterations bounded.
pub fn pbkdf2_sha256(
    format: Format,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<Zeroizing<[u8; 32]>, ImportError> {
    check_iterations(format, iterations)?;
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, key.as_mut());
    Ok(key)
}

/// PBKDF2-HMAC-SHA512 to 32 bytes, iterations bounded.
pub fn pbkdf2_sha512(
    format: Format,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<Zeroizing<[u8; 32]>, ImportError> {
    check_iterations(format, iterations)?;
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, key.as_mut());
    Ok(key)
}

/// scrypt to 32 bytes. `n` must be a power of two; memory and work are bounded.
pub fn scrypt(
    format: Format,
    password: &[u8],
    salt: &[u8],
    n: u64,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, ImportError> {
    let bad = |detail: String| ImportError::KdfParameters { format, detail };
    if n < 2 || !n.is_power_of_two() {
        return Err(bad(format!("scrypt N '{n}' is not a power of two")));
    }
    let log_n = u8::try_from(n.trailing_zeros()).unwrap_or(u8::MAX);
    if log_n > MAX_SCRYPT_LOG_N {
        return Err(bad(format!("scrypt N '{n}'")));
    }
    if r == 0 || p == 0 {
        return Err(bad(format!("scrypt r '{r}' p '{p}'")));
    }
    let memory = 128u64
        .saturating_mul(n)
        .saturating_mul(u64::from(r))
        .saturating_add(
            128u64
                .saturating_mul(u64::from(r))
                .saturating_mul(u64::from(p)),
        );
    if memory > MAX_SCRYPT_MEMORY {
        return Err(bad(format!(
            "scrypt memory {memory} bytes (N '{n}', r '{r}')"
        )));
    }
    let work = n.saturating_mul(u64::from(r)).saturating_mul(u64::from(p));
    if work > MAX_SCRYPT_WORK {
        return Err(bad(format!("scrypt work (N '{n}', r '{r}', p '{p}')")));
    }
    let params = ::scrypt::Params::new(log_n, r, p, 32)
        .map_err(|_| bad(format!("scrypt N '{n}', r '{r}', p '{p}'")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    ::scrypt::scrypt(password, salt, &params, key.as_mut())
        .map_err(|_| bad("scrypt output length".to_string()))?;
    Ok(key)
}

/// Most Argon2 memory accepted from a file, in KiB: 1 GiB, libsodium's
/// "sensitive" level, which Ente Auth asks for on desktops.
pub const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
/// Most Argon2 work (memory in KiB times passes) accepted: Ente's 1 GiB × 4
/// (or 256 MiB × 16 on phones).
pub const MAX_ARGON2_WORK: u64 = 4 * 1024 * 1024;

/// Argon2id to 32 bytes (memory in KiB); memory, passes, lanes and their
/// product are bounded before any work.
pub fn argon2id(
    format: Format,
    password: &[u8],
    salt: &[u8],
    t_cost: u32,
    m_cost_kib: u32,
    lanes: u32,
) -> Result<Zeroizing<[u8; 32]>, ImportError> {
    let bad = |detail: String| ImportError::KdfParameters { format, detail };
    let work = u64::from(m_cost_kib).saturating_mul(u64::from(t_cost));
    if m_cost_kib > MAX_ARGON2_MEMORY_KIB || t_cost > 64 || lanes > 16 || work > MAX_ARGON2_WORK {
        return Err(bad(format!(
            "argon2 t '{t_cost}' m '{m_cost_kib}' KiB p '{lanes}'"
        )));
    }
    let params = argon2::Params::new(m_cost_kib, t_cost, lanes, Some(32))
        .map_err(|_| bad(format!("argon2 t '{t_cost}' m '{m_cost_kib}' p '{lanes}'")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(password, salt, key.as_mut())
        .map_err(|_| bad("argon2 salt or password length".to_string()))?;
    Ok(key)
}

/// Opens libsodium's `crypto_secretstream_xchacha20poly1305` holding one message
/// tagged final (what Ente Auth writes), with its 24-byte header. Any failure
/// (wrong key, altered data, a stream that goes on or was cut) is `None`.
pub fn secretstream_open_final(
    key: &[u8],
    header: &[u8; 24],
    sealed: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    use crypto_secretstream::{Header, Key, PullStream, Tag};
    let key = Key::try_from(key).ok()?;
    let header = Header::try_from(header.as_slice()).ok()?;
    let mut stream = PullStream::init(header, &key);
    let mut buffer = Zeroizing::new(sealed.to_vec());
    match stream.pull(&mut *buffer, &[]) {
        Ok(Tag::Final) => Some(buffer),
        _ => None,
    }
}

/// SHA-256 of the password (old andOTP key).
pub fn sha256(data: &[u8]) -> Zeroizing<[u8; 32]> {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(data);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&digest);
    out
}
