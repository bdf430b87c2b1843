//! Plain text with one `otpauth://` URI per line: WinAuth, Aegis's URI export,
//! Authenticator Plus's `Accounts.txt`, and Ente Auth's plain export (whose
//! `codeDisplay` parameter carries tags, read here too; see [`super::ente`]).
//! Google migration lines met in such a file are decoded as well.

use serde_json::Value;

use super::registry::{Confidence, Probe, Spec};
use super::{Format, ImportError, Imported, Skipped, google_migration};
use crate::uri;

pub(crate) const SPEC: Spec = Spec {
    name: "otpauth",
    aliases: &["uri", "uris", "text", "txt", "winauth", "otpauth-list"],
    display_name: "otpauth URI list",
    source: "plain text, one `otpauth://` URI per line (WinAuth, Aegis URI export, …)",
    fixtures: "otpauth",
    detect,
    parse: |bytes, _, now| parse(super::text(bytes, Format::OtpauthList)?, Format::OtpauthList, now),
    read_path: None,
    authenticated: false,
};

fn detect(probe: &Probe<'_>) -> Option<Confidence> {
    probe
        .has_line_starting("otpauth://")
        .then_some(Confidence::Fallback)
}

/// Parses the lines. Blank lines and `#` comments are ignored; a line that is
/// not a usable URI becomes a [`Skipped`] entry.
pub fn parse(text: &str, format: Format, now: i64) -> Result<Imported, ImportError> {
    let mut imported = Imported::default();
    let mut seen = 0usize;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        seen += 1;
        super::check_count(seen)?;
        if google_migration::is_migration_uri(line) {
            match google_migration::decode_uri_into(line, now, &mut imported) {
                Ok(()) => {}
                Err(e) => imported.skipped.push(Skipped::new(
                    "",
                    "",
                    format!("Google migration line: {e}"),
                )),
            }
            continue;
        }
        imported.push(parse_line(line, now));
    }
    if seen == 0 {
        return Err(ImportError::malformed(
            format,
            "the file has no otpauth URIs",
        ));
    }
    Ok(imported)
}

/// Parses one line into an account, or explains why not.
pub(crate) fn parse_line(line: &str, now: i64) -> Result<crate::Account, Skipped> {
    match uri::parse(line, now) {
        Ok(mut account) => {
            account.tags = ente_tags(line);
            Ok(account)
        }
        Err(err) => {
            let (issuer, name, scheme, host) = rough_label(line);
            let reason = match (scheme.as_str(), host.as_str()) {
                ("motp", _) | (_, "motp") => "mOTP is not supported".to_string(),
                (_, "yaotp") => "Yandex OTP is not supported".to_string(),
                ("otpauth", _) => err.to_string(),
                _ => "not an otpauth URI".to_string(),
            };
            Err(Skipped::new(&issuer, &name, reason))
        }
    }
}

/// Best-effort issuer, name, scheme and host of a URI that failed to parse, for the report.
fn rough_label(line: &str) -> (String, String, String, String) {
    // Aegis writes mOTP as `motp://Issuer:name?secret=…`, which is not a valid URL
    // (the name would be a port): read it as `otpauth://motp/Issuer:name?…`.
    if let Some(rest) = line
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("motp://"))
        .and_then(|_| line.get(7..))
    {
        let (issuer, name, _, _) = rough_label(&format!("otpauth://motp/{rest}"));
        return (issuer, name, "motp".to_string(), "motp".to_string());
    }
    let Ok(parsed) = url::Url::parse(line) else {
        return (String::new(), String::new(), String::new(), String::new());
    };
    let scheme = parsed.scheme().to_ascii_lowercase();
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let label = percent_encoding::percent_decode_str(parsed.path().trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let issuer_param = parsed
        .query_pairs()
        .find(|(k, _)| k.eq_ignore_ascii_case("issuer"))
        .map(|(_, v)| v.into_owned());
    let (label_issuer, name) = match label.split_once(':') {
        Some((i, n)) => (i.to_string(), n.to_string()),
        None => (String::new(), label),
    };
    (issuer_param.unwrap_or(label_issuer), name, scheme, host)
}

/// Tags from Ente's `codeDisplay={"tags":[…],…}` parameter, if any.
fn ente_tags(line: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(line) else {
        return Vec::new();
    };
    let Some((_, display)) = parsed.query_pairs().find(|(k, _)| k == "codeDisplay") else {
        return Vec::new();
    };
    let Ok(value) = serde_json::from_str::<Value>(&display) else {
        return Vec::new();
    };
    super::js::arr(&value, "tags")
        .iter()
        .filter_map(Value::as_str)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .take(64)
        .collect()
}
