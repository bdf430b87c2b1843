//! Bitwarden's unencrypted CSV export: every row with a `login_totp` value
//! (read like the JSON export's TOTP field, see [`super::bitwarden`]).

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, entry};

pub(crate) const SPEC: Spec = Spec {
    name: "bitwarden-csv",
    aliases: &[],
    display_name: "Bitwarden (CSV)",
    source: "unencrypted CSV export (`login_totp` column)",
    fixtures: "bitwarden",
    detect,
    parse: |bytes, _, now| parse_csv(bytes, now),
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    probe
        .lines()
        .next()?
        .contains("login_totp")
        .then_some(Confidence::Certain)
}

/// Parses a Bitwarden CSV export (header row with a `login_totp` column).
pub fn parse_csv(bytes: &[u8], now: i64) -> Result<Imported, ImportError> {
    let format = Format::BitwardenCsv;
    let text = super::text(bytes, format)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| ImportError::malformed(format, "cannot read the header row"))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let totp_col = column("login_totp")
        .ok_or_else(|| ImportError::malformed(format, "no 'login_totp' column"))?;
    let name_col = column("name");
    let user_col = column("login_username");
    // Rows without a TOTP value are logins without a second factor: passed over.
    let rows = reader.records().enumerate().filter(|(_, record)| {
        record.as_ref().map_or(true, |r| {
            !r.get(totp_col).unwrap_or("").trim().is_empty()
        })
    });
    entry::collect(rows, |(row, record)| {
        let record = record.map_err(|_| Skipped::new("", "", format!("row {} cannot be read", row + 2)))?;
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("");
        super::bitwarden::from_field(field(name_col), field(user_col), field(Some(totp_col)), now)
    })
}

