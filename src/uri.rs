//! `otpauth://` URIs: lenient parsing of what real exporters write, strict formatting.
//!
//! The parser follows Google's Key Uri Format but accepts the variations found in
//! the wild: lower-case or padded secrets, spaces, `Hmac` algorithm prefixes,
//! percent-encoded labels, an issuer in the label and/or the `issuer` parameter,
//! and Steam written as `otpauth://steam/` or with `encoder=steam`. The formatter
//! writes one canonical form that re-parses to the same account.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use zeroize::Zeroizing;

use crate::account::{self, Account, AccountError, Algorithm, Kind};
use crate::secret::{Secret, SecretError};

/// Longest URI accepted, in bytes.
pub const MAX_URI_LEN: usize = 64 * 1024;

/// Characters escaped in labels and parameter values (everything but unreserved ones).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Errors from parsing an otpauth URI. Messages never contain the secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// The text is longer than [`MAX_URI_LEN`].
    #[error("the URI is too long ({0} bytes)")]
    TooLong(usize),
    /// Not an `otpauth://` URI at all.
    #[error("not an otpauth URI (it should start with 'otpauth://')")]
    NotOtpauth,
    /// The text could not be parsed as a URI.
    #[error("malformed otpauth URI")]
    Malformed,
    /// The type (host part) is not totp, hotp or steam.
    #[error("unsupported OTP type '{}' (keyfob supports totp, hotp and steam)", crate::text::Escaped(.0))]
    UnsupportedType(String),
    /// The `secret` parameter is missing.
    #[error("the URI has no 'secret' parameter")]
    MissingSecret,
    /// The secret is not usable. The message includes the secret error, so it is
    /// not also the source (`{:#}` would print it twice).
    #[error("invalid secret: {0}")]
    Secret(SecretError),
    /// A numeric parameter is not a number.
    #[error("parameter '{0}' is not a valid number")]
    NotANumber(&'static str),
    /// Digits, period or algorithm out of range.
    #[error(transparent)]
    Parameters(#[from] AccountError),
    /// The label is not valid UTF-8 once percent-decoded.
    #[error("the label is not valid UTF-8")]
    LabelEncoding,
}

impl From<SecretError> for UriError {
    fn from(error: SecretError) -> Self {
        UriError::Secret(error)
    }
}

/// Parses an otpauth URI into an account created at `now` (unix seconds).
pub fn parse(text: &str, now: i64) -> Result<Account, UriError> {
    if text.len() > MAX_URI_LEN {
        return Err(UriError::TooLong(text.len()));
    }
    let text = text.trim();
    let lower_prefix: String = text
        .chars()
        .take(10)
        .collect::<String>()
        .to_ascii_lowercase();
    if !lower_prefix.starts_with("otpauth://") {
        return Err(UriError::NotOtpauth);
    }
    let parsed = url::Url::parse(text).map_err(|_| UriError::Malformed)?;
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();

    let mut secret: Option<Zeroizing<String>> = None;
    let mut issuer_param: Option<String> = None;
    let mut algorithm = Algorithm::Sha1;
    let mut digits: Option<u32> = None;
    let mut period: Option<u64> = None;
    let mut counter: Option<u64> = None;
    let mut steam_encoder = false;
    for (key, value) in parsed.query_pairs() {
        match key.to_ascii_lowercase().as_str() {
            "secret" => secret = Some(Zeroizing::new(value.into_owned())),
            "issuer" => issuer_param = Some(value.trim().to_string()),
            "algorithm" => algorithm = Algorithm::parse(&value)?,
            "digits" => digits = Some(number(&value, "digits")?),
            "period" => period = Some(number(&value, "period")?),
            "counter" => counter = Some(number(&value, "counter")?),
            "encoder" => steam_encoder = value.eq_ignore_ascii_case("steam"),
            _ => {}
        }
    }
    let secret = Secret::from_base32(
        secret
            .as_deref()
            .map(String::as_str)
            .ok_or(UriError::MissingSecret)?,
    )?;

    let kind = match host.as_str() {
        "totp" if steam_encoder => Kind::Steam,
        "steam" => Kind::Steam,
        "totp" => {
            let period = period.unwrap_or(30);
            account::check_period(period)?;
            Kind::Totp {
                period: u32::try_from(period).map_err(|_| AccountError::Period(period))?,
            }
        }
        "hotp" => Kind::Hotp {
            counter: counter.unwrap_or(0),
        },
        other => return Err(UriError::UnsupportedType(other.chars().take(32).collect())),
    };
    let digits = digits.unwrap_or(6);
    if kind != Kind::Steam {
        account::check_digits(digits)?;
    }

    let raw_label = parsed.path().trim_start_matches('/');
    let label = percent_decode_str(raw_label)
        .decode_utf8()
        .map_err(|_| UriError::LabelEncoding)?;
    // With an issuer parameter, strip exactly `issuer:` from the label (the issuer may
    // itself contain ':'); otherwise the label splits at its first ':'.
    let prefixed = issuer_param
        .as_deref()
        .filter(|p| !p.is_empty())
        .and_then(|p| {
            label
                .strip_prefix(p)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(|rest| (p, rest))
        });
    let (label_issuer, name) = match (prefixed, label.split_once(':')) {
        (Some((issuer, name)), _) => (Some(issuer), name.trim()),
        (None, Some((issuer, name))) => (Some(issuer.trim()), name.trim()),
        (None, None) => (None, label.trim()),
    };
    let issuer = match (issuer_param.as_deref(), label_issuer) {
        (Some(param), _) if !param.is_empty() => param,
        (_, Some(from_label)) => from_label,
        _ => "",
    };
    let issuer = if issuer.is_empty() && kind == Kind::Steam {
        "Steam"
    } else {
        issuer
    };
    let digits = u8::try_from(digits).map_err(|_| AccountError::Digits(digits))?;
    Ok(Account::new(
        issuer, name, secret, kind, algorithm, digits, now,
    )?)
}

fn number<T: std::str::FromStr>(value: &str, field: &'static str) -> Result<T, UriError> {
    value
        .trim()
        .parse()
        .map_err(|_| UriError::NotANumber(field))
}

/// Formats the canonical URI of an account. The result holds the secret and is
/// wiped when dropped.
///
/// Form: `otpauth://TYPE/ISSUER:NAME?secret=…&issuer=…&algorithm=…&digits=…&period=…`
/// (`counter` for HOTP; Steam uses type `steam` with no algorithm, digits or period).
pub fn format(account: &Account) -> Zeroizing<String> {
    let issuer = utf8_percent_encode(&account.issuer, COMPONENT).to_string();
    let name = utf8_percent_encode(&account.name, COMPONENT).to_string();
    // A leading ':' keeps an issuer-less name containing ':' from being split on parse.
    let label = if account.issuer.is_empty() {
        if account.name.contains(':') {
            format!(":{name}")
        } else {
            name
        }
    } else {
        format!("{issuer}:{name}")
    };
    let mut uri = Zeroizing::new(String::with_capacity(128));
    uri.push_str("otpauth://");
    uri.push_str(account.kind.name());
    uri.push('/');
    uri.push_str(&label);
    uri.push_str("?secret=");
    uri.push_str(&account.secret.to_base32());
    if !account.issuer.is_empty() {
        uri.push_str("&issuer=");
        uri.push_str(&issuer);
    }
    match account.kind {
        Kind::Steam => {}
        Kind::Totp { period } => {
            uri.push_str(&format!(
                "&algorithm={}&digits={}&period={period}",
                account.algorithm, account.digits
            ));
        }
        Kind::Hotp { counter } => {
            uri.push_str(&format!(
                "&algorithm={}&digits={}&counter={counter}",
                account.algorithm, account.digits
            ));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(text: &str) -> Account {
        parse(text, 0).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn real_world_variants() {
        let a = p("otpauth://totp/GitHub:alice?secret=jbswy3dpehpk3pxp&issuer=GitHub");
        assert_eq!((a.issuer.as_str(), a.name.as_str()), ("GitHub", "alice"));
        assert_eq!(a.kind, Kind::Totp { period: 30 });
        assert_eq!((a.algorithm, a.digits), (Algorithm::Sha1, 6));
        // 80-bit, padded, spaced secrets; percent-encoded label with a space after the colon.
        let b = p(
            "otpauth://totp/ACME%20Co:john.doe%40email.com?secret=GEZD%20GNBV%20GY3T%20QOJQ%3D%3D%3D%3D&period=60&digits=8&algorithm=sha256",
        );
        assert_eq!(
            (b.issuer.as_str(), b.name.as_str()),
            ("ACME Co", "john.doe@email.com")
        );
        assert_eq!(b.secret.len(), 10);
        assert_eq!(
            (b.kind, b.digits, b.algorithm),
            (Kind::Totp { period: 60 }, 8, Algorithm::Sha256)
        );
        // Missing issuer entirely.
        let c = p("otpauth://totp/alice@example.com?secret=JBSWY3DPEHPK3PXP");
        assert_eq!(
            (c.issuer.as_str(), c.name.as_str()),
            ("", "alice@example.com")
        );
        // Issuer only in the parameter; the parameter wins over the label prefix.
        let d = p("otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP&issuer=Example%20Inc");
        assert_eq!((d.issuer.as_str(), d.name.as_str()), ("Example Inc", "bob"));
        let e = p("otpauth://totp/Old:bob?secret=JBSWY3DPEHPK3PXP&issuer=New");
        assert_eq!((e.issuer.as_str(), e.name.as_str()), ("New", "bob"));
        // Upper-case scheme and type, HmacSHA512 spelling, HOTP with counter.
        let f = p("OTPAUTH://HOTP/x:y?SECRET=JBSWY3DPEHPK3PXP&counter=42&algorithm=HmacSHA512");
        assert_eq!(
            (f.kind, f.algorithm),
            (Kind::Hotp { counter: 42 }, Algorithm::Sha512)
        );
        // Steam, both spellings.
        assert_eq!(
            p("otpauth://steam/Steam:me?secret=JBSWY3DPEHPK3PXP").kind,
            Kind::Steam
        );
        let g = p("otpauth://totp/me?secret=JBSWY3DPEHPK3PXP&encoder=steam");
        assert_eq!((g.kind, g.issuer.as_str()), (Kind::Steam, "Steam"));
        // '+' in a query value is a space.
        assert_eq!(
            p("otpauth://totp/n?secret=JBSWY3DPEHPK3PXP&issuer=Big+Bank").issuer,
            "Big Bank"
        );
    }

    #[test]
    fn rejects_nonsense_clearly() {
        let err = |t: &str| parse(t, 0).unwrap_err().to_string();
        assert_eq!(
            err("https://example.com"),
            "not an otpauth URI (it should start with 'otpauth://')"
        );
        assert_eq!(err("otpauth://totp/x"), "the URI has no 'secret' parameter");
        assert_eq!(
            err("otpauth://yaotp/x?secret=JBSWY3DPEHPK3PXP"),
            "unsupported OTP type 'yaotp' (keyfob supports totp, hotp and steam)"
        );
        assert!(err("otpauth://totp/x?secret=JBSWY3DPEHPK3PX1").starts_with("invalid secret"));
        assert!(err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=12").contains("'12'"));
        assert!(err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=ab").contains("'digits'"));
        assert!(err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0").contains("period '0'"));
        assert!(err("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5").contains("'MD5'"));
        assert!(err("otpauth://totp/?secret=JBSWY3DPEHPK3PXP").contains("issuer or a name"));
        assert!(matches!(
            parse(&"a".repeat(MAX_URI_LEN + 1), 0),
            Err(UriError::TooLong(_))
        ));
        // The secret never appears in an error message.
        assert!(!err("otpauth://totp/x?secret=SECRETSECRET1&digits=4").contains("SECRET"));
    }

    #[test]
    fn canonical_format() {
        let a = p(
            "otpauth://totp/ACME%20Co:john?secret=gezdgnbvgy3tqojq====&issuer=ACME%20Co&period=60",
        );
        assert_eq!(
            &*format(&a),
            "otpauth://totp/ACME%20Co:john?secret=GEZDGNBVGY3TQOJQ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=60"
        );
    }

    fn text() -> impl Strategy<Value = String> {
        // Any printable text, trimmed the way Account::new trims it.
        "[ -~\u{a0}-\u{17f}\u{1f600}]{0,24}".prop_map(|s| s.trim().to_string())
    }

    proptest! {
        #[test]
        fn round_trip(issuer in text(), name in text(), secret in proptest::collection::vec(any::<u8>(), 1..64),
                      kind in prop_oneof![
                          (1u32..=86400).prop_map(|period| Kind::Totp { period }),
                          any::<u64>().prop_map(|counter| Kind::Hotp { counter }),
                          Just(Kind::Steam)],
                      algorithm in prop_oneof![Just(Algorithm::Sha1), Just(Algorithm::Sha256), Just(Algorithm::Sha512)],
                      digits in 6u8..=10) {
            prop_assume!(!(issuer.is_empty() && name.is_empty()));
            let algorithm = if kind == Kind::Steam { Algorithm::Sha1 } else { algorithm };
            let issuer = if kind == Kind::Steam && issuer.is_empty() { "Steam".to_string() } else { issuer };
            let original = Account::new(&issuer, &name, Secret::from_bytes(secret).unwrap(), kind, algorithm, digits, 0).unwrap();
            let uri = format(&original);
            let back = parse(&uri, 0).unwrap();
            prop_assert_eq!(&back.issuer, &original.issuer);
            prop_assert_eq!(&back.name, &original.name);
            prop_assert!(back.same_token(&original));
            prop_assert_eq!(back.kind, original.kind);
            prop_assert_eq!(&*format(&back), &*uri);
        }
    }
}
