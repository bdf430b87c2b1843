//! Google Authenticator's own SQLite database, copied off a rooted Android
//! phone (`/data/data/com.google.android.apps.authenticator2/databases/databases`,
//! app versions up to 5.00.1; later ones keep no readable secrets there).
//!
//! Table `accounts`: `email` (the account name, sometimes `Issuer:name`),
//! `secret` (base32), `counter`, `type` (0 TOTP, 1 HOTP), `issuer`, and in
//! newer versions `isencrypted`, whose rows cannot be read off the phone. The
//! app has no other settings: every account is SHA1, 6 digits, 30 seconds.

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, entry, sqlite};
use crate::account::{Account, Algorithm, Kind};
use crate::secret::Secret;

const FORMAT: Format = Format::GoogleAuthenticatorDb;

pub(crate) const SPEC: Spec = Spec {
    name: "google-db",
    aliases: &["google-database", "google-authenticator-database"],
    display_name: "Google Authenticator (database)",
    source: "the app's `databases` SQLite file (rooted Android), with its `-wal` file",
    fixtures: "google-db",
    detect,
    parse: |bytes, _, now| read(&sqlite::open_bytes(bytes, FORMAT)?, now),
    read_path: Some(|path, _, now| read(&sqlite::open_path(path, FORMAT)?, now)),
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    let schema = probe.sqlite_schema()?;
    sqlite::has_table(schema, "accounts", &["email", "secret", "type"])
        .then_some(Confidence::Certain)
}

/// One row of `accounts`.
struct Row {
    email: String,
    secret: zeroize::Zeroizing<String>,
    counter: Option<i64>,
    kind: Option<i64>,
    issuer: String,
    encrypted: bool,
}

fn read(db: &sqlite::Database, now: i64) -> Result<Imported, ImportError> {
    let db_error = |source| ImportError::Database {
        format: FORMAT,
        source,
    };
    let columns = db.columns("accounts").map_err(db_error)?;
    let has = |name: &str| columns.iter().any(|c| c == name);
    if !(has("email") && has("secret")) {
        return Err(ImportError::malformed(
            FORMAT,
            "no 'accounts' table with 'email' and 'secret': not a Google Authenticator database",
        ));
    }
    let optional = |name: &'static str| if has(name) { name } else { "NULL" };
    let sql = format!(
        "SELECT email, secret, {}, {}, {}, {} FROM accounts ORDER BY _id LIMIT ?1",
        optional("counter"),
        optional("type"),
        optional("issuer"),
        optional("isencrypted"),
    );
    let mut statement = db.connection().prepare(&sql).map_err(db_error)?;
    let limit = i64::try_from(super::MAX_ENTRIES + 1).unwrap_or(i64::MAX);
    let rows = statement
        .query_map([limit], |row| {
            Ok(Row {
                email: sqlite::text(row, 0),
                secret: zeroize::Zeroizing::new(sqlite::text(row, 1)),
                counter: sqlite::int(row, 2),
                kind: sqlite::int(row, 3),
                issuer: sqlite::text(row, 4),
                encrypted: sqlite::int(row, 5).is_some_and(|v| v > 0),
            })
        })
        .map_err(db_error)?;
    entry::collect(rows, |row| {
        let row = row.map_err(|_| Skipped::new("", "", "a row cannot be read"))?;
        to_account(&row, now)
    })
}

fn to_account(row: &Row, now: i64) -> Result<Account, Skipped> {
    // Older versions wrote `Issuer:name` into `email`, with no issuer column.
    let (mut issuer, name) = match row.email.split_once(':') {
        Some((prefix, name)) if !name.contains(':') => (prefix.trim(), name.trim()),
        _ => ("", row.email.trim()),
    };
    if !row.issuer.trim().is_empty() {
        issuer = row.issuer.trim();
    }
    let skip = |reason: String| Skipped::new(issuer, name, reason);
    if row.encrypted {
        return Err(skip(
            "the secret is encrypted with a key that never leaves the phone: cannot be moved, re-enrol this account"
                .into(),
        ));
    }
    let kind = match row.kind.unwrap_or(0) {
        0 => Kind::DEFAULT_TOTP,
        1 => entry::kind("hotp", None, row.counter).map_err(skip)?,
        other => return Err(skip(format!("unsupported type '{other}'"))),
    };
    let secret = Secret::from_base32(&row.secret).map_err(|e| skip(e.to_string()))?;
    Account::new(issuer, name, secret, kind, Algorithm::Sha1, 6, now)
        .map_err(|e| skip(e.to_string()))
}
