//! Reading a file the user named, whatever it is, without letting it hang keyfob
//! or exhaust memory.
//!
//! A size check before reading is not enough: `/dev/zero`, a FIFO or `/dev/stdin`
//! report a size of 0 and never end. [`read_file`] reads through a reader that stops
//! one byte past the limit, so any input costs at most `limit + 1` bytes, and says
//! so when there is more. The bytes go straight into a zeroizing buffer that never
//! reallocates in place: when it must grow, the old one is wiped, so no stray copy
//! of a secret-bearing file is left in freed memory.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use zeroize::Zeroizing;

/// First buffer size when the input's length is not known in advance.
const FIRST_CHUNK: usize = 8 * 1024;

/// Errors reading a bounded file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read the file")]
    Io(#[source] std::io::Error),
    /// The input holds more than the limit.
    #[error("{}", too_large(*.size, *.limit))]
    TooLarge {
        /// Its size in bytes, when it is a regular file (a stream has none).
        size: Option<u64>,
        /// The most keyfob reads, in bytes.
        limit: u64,
    },
}

fn too_large(size: Option<u64>, limit: u64) -> String {
    match size {
        Some(size) => format!(
            "the file is too large ({}; keyfob reads at most {})",
            human(size),
            human(limit)
        ),
        None => format!(
            "the input is too large (more than {}, the most keyfob reads)",
            human(limit)
        ),
    }
}

/// A byte count as people write it: `64 MiB`, `1.5 MiB`, `300 bytes`.
pub fn human(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB {
        if bytes.is_multiple_of(MIB) {
            format!("{} MiB", bytes / MIB)
        } else {
            format!("{:.1} MiB", bytes as f64 / MIB as f64)
        }
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads the whole file at `path`, refusing more than `limit` bytes.
///
/// Any kind of file is read (a FIFO or device named on purpose, such as
/// `/dev/stdin` or a shell's `<(…)`), and none costs more than `limit + 1` bytes.
pub fn read_file(path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let (file, size) = open(path)?;
    read_from(file, limit, size)
}

/// Opens `path`, with its length when it is a regular file (a stream has none).
fn open(path: &Path) -> Result<(File, Option<u64>), ReadError> {
    let file = File::open(path).map_err(ReadError::Io)?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    Ok((file, size))
}

/// Reads the file at `path` in small pieces, handing each to `each`, refusing
/// more than `limit` bytes: for a caller that only digests the bytes and needs
/// no buffer the size of the file.
pub fn read_chunks(path: &Path, limit: u64, mut each: impl FnMut(&[u8])) -> Result<(), ReadError> {
    let (file, size) = open(path)?;
    let too_large = || ReadError::TooLarge { size, limit };
    if size.is_some_and(|s| s > limit) {
        return Err(too_large());
    }
    let mut reader = file.take(limit.saturating_add(1));
    let mut chunk = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                total += n as u64;
                if total > limit {
                    return Err(too_large());
                }
                each(chunk.get(..n).unwrap_or_default());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    Ok(())
}

/// Reads `reader` to its end, refusing more than `limit` bytes. `size`, when known
/// (a regular file's length), sizes the buffer once and is reported if too large.
pub fn read_from(
    reader: impl Read,
    limit: u64,
    size: Option<u64>,
) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let cap = limit.saturating_add(1);
    let too_large = || ReadError::TooLarge { size, limit };
    if size.is_some_and(|s| s > limit) {
        return Err(too_large());
    }
    let first = size
        .map_or(FIRST_CHUNK as u64, |s| s.saturating_add(1))
        .min(cap);
    // `buffer` is always fully initialised; `filled` bytes of it hold the input.
    let mut buffer = Zeroizing::new(vec![0u8; to_usize(first)]);
    let mut filled = 0;
    let mut reader = reader.take(cap);
    loop {
        if filled == buffer.len() {
            let grown = (buffer.len() as u64).saturating_mul(2).min(cap);
            if grown <= buffer.len() as u64 {
                break;
            }
            let mut bigger = Zeroizing::new(Vec::with_capacity(to_usize(grown)));
            bigger.extend_from_slice(&buffer);
            bigger.resize(to_usize(grown), 0);
            buffer = bigger;
        }
        let Some(spare) = buffer.get_mut(filled..) else {
            break;
        };
        match reader.read(spare) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    buffer.truncate(filled);
    if buffer.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(buffer)
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_hand_over_every_byte_up_to_the_limit_and_refuse_one_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let mut seen = Vec::new();
        read_chunks(&path, 200_000, |chunk| seen.extend_from_slice(chunk)).unwrap();
        assert_eq!(seen, data);
        assert!(matches!(
            read_chunks(&path, 199_999, |_| {}),
            Err(ReadError::TooLarge {
                size: Some(200_000),
                limit: 199_999
            })
        ));
        // A stream of unknown size stops one byte past the limit.
        assert!(matches!(
            read_chunks(Path::new("/dev/zero"), 100_000, |_| {}),
            Err(ReadError::TooLarge { size: None, .. })
        ));
    }

    #[test]
    fn reads_up_to_the_limit_and_refuses_one_byte_more() {
        let data = vec![7u8; 100_000];
        let read = read_from(data.as_slice(), 100_000, None).unwrap();
        assert_eq!(read.as_slice(), data.as_slice());
        let err = read_from(data.as_slice(), 99_999, None).unwrap_err();
        assert!(matches!(
            err,
            ReadError::TooLarge {
                size: None,
                limit: 99_999
            }
        ));
        assert_eq!(read_from(&b""[..], 10, None).unwrap().len(), 0);
    }

    #[test]
    fn an_endless_stream_costs_at_most_the_limit() {
        let err = read_from(std::io::repeat(0), 1 << 20, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the input is too large (more than 1 MiB, the most keyfob reads)"
        );
    }

    #[test]
    fn a_known_size_is_reported_and_sizes_the_buffer() {
        let err = read_from(&b"0123456789"[..], 4, Some(10)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file is too large (10 bytes; keyfob reads at most 4 bytes)"
        );
        // A file that grew after its size was taken is still read whole.
        let read = read_from(&b"0123456789"[..], 64, Some(3)).unwrap();
        assert_eq!(read.as_slice(), b"0123456789");
        let read = read_from(&b"abc"[..], 64, Some(3)).unwrap();
        assert_eq!(read.as_slice(), b"abc");
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human(64 * 1024 * 1024), "64 MiB");
        assert_eq!(human(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(human(64 * 1024), "64 KiB");
        assert_eq!(human(1500), "1500 bytes");
    }
}
