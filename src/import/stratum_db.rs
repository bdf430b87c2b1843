//! The internal SQLite database of Stratum (formerly Authenticator Pro), copied
//! off a rooted Android phone (`/data/data/com.stratumauth.app/databases/authenticator.db3`,
//! or `me.jmh.authenticatorpro` for Authenticator Pro). Its backups are read by
//! [`super::authenticator_pro`].
//!
//! Table `authenticator`: `type` (1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex, as
//! in the backups), `issuer`, `username`, `secret` (base32), `algorithm`
//! (0 SHA1, 1 SHA256, 2 SHA512), `digits`, `period`, `counter`, `ranking`.
//! Categories (`category` and `authenticatorcategory`) become tags when present.

use std::collections::HashMap;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, entry, sqlite};
use crate::account::Account;
use crate::secret::Secret;

const FORMAT: Format = Format::StratumDb;

pub(crate) const SPEC: Spec = Spec {
    name: "stratum-db",
    aliases: &["authenticator-pro-db", "stratum-database"],
    display_name: "Stratum / Authenticator Pro (database)",
    source: "the app's `authenticator.db3` SQLite file (rooted Android), with its `-wal` file",
    fixtures: "stratum-db",
    detect,
    parse: |bytes, _, now| read(&sqlite::open_bytes(bytes, FORMAT)?, now),
    read_path: Some(|path, _, now| read(&sqlite::open_path(path, FORMAT)?, now)),
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let schema = probe.sqlite_schema()?;
    sqlite::has_table(schema, "authenticator", &["type", "issuer", "secret"])
        .then_some(Confidence::Certain)
}

/// One row of `authenticator`.
struct Row {
    kind: Option<i64>,
    issuer: String,
    username: String,
    secret: zeroize::Zeroizing<String>,
    algorithm: Option<i64>,
    digits: Option<i64>,
    period: Option<i64>,
    counter: Option<i64>,
}

fn read(db: &sqlite::Database, now: i64) -> Result<Imported, ImportError> {
    let db_error = |source| ImportError::Database {
        format: FORMAT,
        source,
    };
    let columns = db.columns("authenticator").map_err(db_error)?;
    let has = |name: &str| columns.iter().any(|c| c == name);
    if !(has("type") && has("secret") && has("issuer")) {
        return Err(ImportError::malformed(
            FORMAT,
            "no 'authenticator' table with 'type', 'issuer' and 'secret': not a Stratum database",
        ));
    }
    let optional = |name: &'static str| if has(name) { name } else { "NULL" };
    let order = if has("ranking") { "ranking, rowid" } else { "rowid" };
    let sql = format!(
        "SELECT type, issuer, {}, secret, {}, {}, {}, {} FROM authenticator ORDER BY {order} LIMIT ?1",
        optional("username"),
        optional("algorithm"),
        optional("digits"),
        optional("period"),
        optional("counter"),
    );
    let tags = categories(db);
    let mut statement = db.connection().prepare(&sql).map_err(db_error)?;
    let limit = i64::try_from(super::MAX_ENTRIES + 1).unwrap_or(i64::MAX);
    let rows = statement
        .query_map([limit], |row| {
            Ok(Row {
                kind: sqlite::int(row, 0),
                issuer: sqlite::text(row, 1),
                username: sqlite::text(row, 2),
                secret: zeroize::Zeroizing::new(sqlite::text(row, 3)),
                algorithm: sqlite::int(row, 4),
                digits: sqlite::int(row, 5),
                period: sqlite::int(row, 6),
                counter: sqlite::int(row, 7),
            })
        })
        .map_err(db_error)?;
    entry::collect(rows, |row| {
        let row = row.map_err(|_| Skipped::new("", "", "a row cannot be read"))?;
        let mut account = to_account(&row, now)?;
        if let Some(names) = tags.get(row.secret.as_str()) {
            account.tags = names.clone();
        }
        Ok(account)
    })
}

/// Category names by the secret of the authenticator they hold; none when the
/// tables are missing or unreadable (tags are not worth failing the import).
fn categories(db: &sqlite::Database) -> HashMap<String, Vec<String>> {
    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    let sql = "SELECT l.authenticatorSecret, c.name FROM authenticatorcategory l \
               JOIN category c ON c.id = l.categoryId ORDER BY l.ranking LIMIT ?1";
    let limit = i64::try_from(super::MAX_ENTRIES).unwrap_or(i64::MAX);
    let Ok(mut statement) = db.connection().prepare(sql) else {
        return tags;
    };
    let Ok(rows) = statement.query_map([limit], |row| {
        Ok((sqlite::text(row, 0), sqlite::text(row, 1)))
    }) else {
        return tags;
    };
    for (secret, name) in rows.flatten() {
        let name = name.trim().to_string();
        if !name.is_empty() {
            tags.entry(secret).or_default().push(name);
        }
    }
    tags
}

fn to_account(row: &Row, now: i64) -> Result<Account, Skipped> {
    let skip = |reason: String| Skipped::new(&row.issuer, &row.username, reason);
    let (kind, algorithm) =
        super::authenticator_pro::kind_and_algorithm(row.kind, row.algorithm, row.period, row.counter)
            .map_err(skip)?;
    let digits = super::digits_u8(row.digits.unwrap_or(6));
    let secret = Secret::from_base32(&row.secret).map_err(|e| skip(e.to_string()))?;
    Account::new(&row.issuer, &row.username, secret, kind, algorithm, digits, now)
        .map_err(|e| skip(e.to_string()))
}
