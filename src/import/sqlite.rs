//! SQLite databases copied off a phone (Microsoft Authenticator, Google
//! Authenticator, Stratum), opened the one way every such format needs: a
//! private temporary copy, read-only, so the source files are never touched.
//!
//! Android keeps these databases in WAL mode, so recent rows may live only in
//! the `-wal` file beside the database. [`open_path`] copies the database with
//! that file; only the log is copied, not the `-shm` index, which SQLite
//! rebuilds from the log, so every committed row is seen even when the index
//! was copied at another moment. [`open_bytes`] has the main file only.

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};
use tempfile::TempDir;

use super::{Format, ImportError};

/// The 16 bytes every SQLite 3 database starts with.
pub const MAGIC: &[u8] = b"SQLite format 3\0";

/// Most tables (and columns per table) read from a schema.
const MAX_SCHEMA: usize = 1000;

/// An open, read-only copy of a database; the copy goes when this is dropped.
pub struct Database {
    connection: Connection,
    _dir: TempDir,
}

/// A database's tables, each with its column names (lower case).
pub type Schema = Vec<(String, Vec<String>)>;

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + use<> {
    let path = path.to_path_buf();
    move |source| ImportError::Io { path, source }
}

fn temporary() -> Result<TempDir, ImportError> {
    tempfile::tempdir().map_err(io_error(Path::new("temporary directory")))
}

/// Opens a copy of the database at `path` together with its `-wal` file.
pub fn open_path(path: &Path, format: Format) -> Result<Database, ImportError> {
    let size = std::fs::metadata(path).map_err(io_error(path))?.len();
    super::check_size(size)?;
    let dir = temporary()?;
    let copy = dir.path().join("db");
    std::fs::copy(path, &copy).map_err(io_error(path))?;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    if wal.is_file() {
        let size = std::fs::metadata(&wal).map_err(io_error(&wal))?.len();
        super::check_size(size)?;
        std::fs::copy(&wal, dir.path().join("db-wal")).map_err(io_error(&wal))?;
    }
    open_copy(dir, &copy).map_err(|source| ImportError::Database { format, source })
}

/// Opens a copy of a database from the bytes of its main file (rows still in a
/// `-wal` file are missed).
pub fn open_bytes(bytes: &[u8], format: Format) -> Result<Database, ImportError> {
    let dir = temporary()?;
    let copy = dir.path().join("db");
    std::fs::write(&copy, bytes).map_err(io_error(Path::new("temporary directory")))?;
    open_copy(dir, &copy).map_err(|source| ImportError::Database { format, source })
}

fn open_copy(dir: TempDir, copy: &Path) -> Result<Database, rusqlite::Error> {
    let connection = Connection::open_with_flags(
        copy,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    Ok(Database {
        connection,
        _dir: dir,
    })
}

/// The schema of a database given as bytes, for detection: `None` when the
/// bytes are not a readable SQLite database.
pub fn schema_of(bytes: &[u8]) -> Option<Schema> {
    if !bytes.starts_with(MAGIC) {
        return None;
    }
    open_bytes(bytes, Format::MicrosoftAuthenticator)
        .ok()?
        .schema()
        .ok()
}

impl Database {
    /// The connection, for queries.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Every table with its columns, in lower case.
    pub fn schema(&self) -> Result<Schema, rusqlite::Error> {
        let mut statement = self.connection.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT ?1",
        )?;
        let limit = i64::try_from(MAX_SCHEMA).unwrap_or(i64::MAX);
        let tables = statement
            .query_map([limit], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<String>, _>>()?;
        let mut schema = Vec::with_capacity(tables.len());
        for table in tables {
            let columns = self.columns(&table)?;
            schema.push((table.to_ascii_lowercase(), columns));
        }
        Ok(schema)
    }

    /// The column names of `table`, in lower case (none when it does not exist).
    pub fn columns(&self, table: &str) -> Result<Vec<String>, rusqlite::Error> {
        let mut statement = self
            .connection
            .prepare("SELECT name FROM pragma_table_info(?1) LIMIT ?2")?;
        let limit = i64::try_from(MAX_SCHEMA).unwrap_or(i64::MAX);
        statement
            .query_map(rusqlite::params![table, limit], |row| {
                row.get::<_, String>(0).map(|c| c.to_ascii_lowercase())
            })?
            .collect()
    }
}

/// True when `schema` has `table` with every one of `columns` (all lower case).
pub fn has_table(schema: &Schema, table: &str, columns: &[&str]) -> bool {
    schema
        .iter()
        .any(|(name, have)| name == table && columns.iter().all(|c| have.iter().any(|h| h == c)))
}

/// Column `index` of `row` as text ("" for NULL or non-text values; numbers as written).
pub fn text(row: &Row<'_>, index: usize) -> String {
    match row.get_ref(index) {
        Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
        Ok(ValueRef::Integer(i)) => i.to_string(),
        _ => String::new(),
    }
}

/// Column `index` of `row` as an integer (a numeric text counts), if it is one.
pub fn int(row: &Row<'_>, index: usize) -> Option<i64> {
    match row.get_ref(index) {
        Ok(ValueRef::Integer(i)) => Some(i),
        Ok(ValueRef::Text(t)) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}
