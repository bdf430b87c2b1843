//! The account model: everything keyfob stores about one second factor.
//!
//! An [`Account`] is plain data plus its [`Secret`]. Constructors validate the
//! parameters once, so code generation can trust them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::text::{Escaped, escape_char};

/// Smallest number of digits keyfob accepts for TOTP and HOTP.
pub const MIN_DIGITS: u8 = 6;
/// Largest number of digits keyfob accepts for TOTP and HOTP.
pub const MAX_DIGITS: u8 = 10;
/// Longest TOTP period keyfob accepts, in seconds (one day).
pub const MAX_PERIOD: u32 = 86_400;
/// Longest issuer, name or note, in bytes.
pub const MAX_TEXT_LEN: usize = 4096;

/// Errors in account parameters.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountError {
    /// Digits outside 6..=10.
    #[error("unsupported number of digits '{0}' (keyfob supports 6 to 10)")]
    Digits(u32),
    /// A TOTP period of zero or longer than a day.
    #[error("unsupported period '{0}' seconds (keyfob supports 1 to 86400)")]
    Period(u64),
    /// An algorithm keyfob does not implement.
    #[error("unsupported algorithm '{}' (keyfob supports SHA1, SHA256 and SHA512)", Escaped(.0))]
    Algorithm(String),
    /// Both issuer and name are empty, so the account could not be told apart.
    #[error("an account needs an issuer or a name")]
    Unnamed,
    /// A text field is unreasonably long.
    #[error("the {0} is too long (at most 4096 bytes)")]
    TooLong(&'static str),
    /// A text field holds a control or bidi-override character (see [`crate::text`]).
    #[error("the {field} contains the control character '{}'", escape_char(*.found))]
    ControlCharacter {
        /// Which field: `issuer`, `name`, `tag` or `note`.
        field: &'static str,
        /// The first such character.
        found: char,
    },
    /// A HOTP counter at the largest value: it cannot advance, so every code would repeat.
    #[error(
        "the HOTP counter is exhausted (it is at '{}', the largest value)",
        u64::MAX
    )]
    CounterExhausted,
}

/// HMAC hash function used by the OTP algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Algorithm {
    /// HMAC-SHA1, the default of RFC 4226 and almost every site.
    #[default]
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// Canonical upper-case name as used in otpauth URIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// Parses `SHA1`, `sha-256`, `HmacSHA512` and similar spellings.
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let upper = text.trim().to_ascii_uppercase().replace(['-', '_'], "");
        let bare = upper.strip_prefix("HMAC").unwrap_or(&upper);
        match bare {
            "SHA1" => Ok(Algorithm::Sha1),
            "SHA256" => Ok(Algorithm::Sha256),
            "SHA512" => Ok(Algorithm::Sha512),
            _ => Err(AccountError::Algorithm(text.chars().take(32).collect())),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which one-time-password scheme an account uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Kind {
    /// Time-based (RFC 6238) with a period in seconds.
    Totp {
        /// Length of one time step in seconds.
        period: u32,
    },
    /// Counter-based (RFC 4226); the counter is the next value to use.
    Hotp {
        /// The next counter value.
        counter: u64,
    },
    /// Steam Guard: TOTP/SHA1/30 s rendered as 5 characters of Steam's alphabet.
    Steam,
}

impl Kind {
    /// Default TOTP: 30-second period.
    pub const DEFAULT_TOTP: Kind = Kind::Totp { period: 30 };

    /// The time step in seconds for time-based kinds.
    pub fn period(self) -> Option<u32> {
        match self {
            Kind::Totp { period } => Some(period),
            Kind::Steam => Some(30),
            Kind::Hotp { .. } => None,
        }
    }

    /// The HOTP counter, for HOTP.
    pub fn counter(self) -> Option<u64> {
        match self {
            Kind::Hotp { counter } => Some(counter),
            Kind::Totp { .. } | Kind::Steam => None,
        }
    }

    /// The kind with a HOTP counter of 0: the scheme and its parameters alone.
    pub fn without_counter(self) -> Kind {
        match self {
            Kind::Hotp { .. } => Kind::Hotp { counter: 0 },
            other => other,
        }
    }

    /// Short lower-case name: `totp`, `hotp` or `steam`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Totp { .. } => "totp",
            Kind::Hotp { .. } => "hotp",
            Kind::Steam => "steam",
        }
    }
}

/// A stable random identifier for an account (32 lower-case hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// A fresh random id. Falls back to a time-derived id if the OS has no randomness.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            bytes = nanos.to_le_bytes();
        }
        AccountId(data_encoding::HEXLOWER.encode(&bytes))
    }

    /// Wraps an existing id string (from a vault file).
    pub fn from_string(id: String) -> Self {
        AccountId(id)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One second factor. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Stable identifier.
    pub id: AccountId,
    /// The service, e.g. `GitHub`. May be empty.
    #[serde(default)]
    pub issuer: String,
    /// The account at that service, e.g. `alice@example.com`. May be empty.
    #[serde(default)]
    pub name: String,
    /// The shared key.
    pub secret: Secret,
    /// TOTP, HOTP or Steam, with period or counter.
    pub kind: Kind,
    /// HMAC hash.
    #[serde(default)]
    pub algorithm: Algorithm,
    /// Number of digits (ignored for Steam, which always shows 5 characters).
    pub digits: u8,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Free-form note.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Pinned to the top of lists.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub favorite: bool,
    /// Creation time, unix seconds.
    #[serde(default)]
    pub created: i64,
    /// Last modification time, unix seconds.
    #[serde(default)]
    pub modified: i64,
    /// When each field was last changed (format version 2), for merging copies.
    /// Kept by the vault, which stamps what changed when it saves: callers leave it alone.
    #[serde(default)]
    pub changed: Changed,
    /// Place in the display order (format version 2): accounts sort by it, then by id.
    /// Kept by the vault from the order of [`Vault::accounts`](crate::vault::Vault::accounts).
    #[serde(default)]
    pub position: i64,
    /// The secrets this account's secret replaced, each as a fingerprint and the time
    /// it was set (format version 2, see [`crate::vault::merge::secret_event`]), so a
    /// merge can tell a newer secret from a rival one. Kept by the vault.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<String>,
    /// For an account a merge made for a rival secret: the id of the account whose
    /// secret it was (format version 2). Its fields with change time 0 follow that
    /// account; a deletion of that account covers it too, unless made beside it
    /// (which settles the conflict and clears this).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict_of: Option<AccountId>,
}

/// The parts of an account that change independently, each with its own change time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// [`Account::issuer`].
    Issuer,
    /// [`Account::name`].
    Name,
    /// What makes the codes: secret, kind (without the HOTP counter), algorithm, digits.
    Token,
    /// The HOTP counter.
    Counter,
    /// [`Account::tags`].
    Tags,
    /// [`Account::note`].
    Note,
    /// [`Account::favorite`] (the pin).
    Favorite,
    /// [`Account::position`] (the display order).
    Position,
}

impl Field {
    /// Every field, once: the registry the vault's stamping and the merge walk.
    pub const ALL: [Field; 8] = [
        Field::Issuer,
        Field::Name,
        Field::Token,
        Field::Counter,
        Field::Tags,
        Field::Note,
        Field::Favorite,
        Field::Position,
    ];

    /// The field's name, as in [`Changed`]'s JSON.
    pub fn name(self) -> &'static str {
        match self {
            Field::Issuer => "issuer",
            Field::Name => "name",
            Field::Token => "token",
            Field::Counter => "counter",
            Field::Tags => "tags",
            Field::Note => "note",
            Field::Favorite => "favorite",
            Field::Position => "position",
        }
    }

    /// Whether `a` and `b` hold the same value of this field.
    pub fn same(self, a: &Account, b: &Account) -> bool {
        match self {
            Field::Issuer => a.issuer == b.issuer,
            Field::Name => a.name == b.name,
            Field::Token => {
                a.secret == b.secret
                    && a.kind.without_counter() == b.kind.without_counter()
                    && a.algorithm == b.algorithm
                    && a.digits == b.digits
            }
            Field::Counter => a.kind.counter() == b.kind.counter(),
            Field::Tags => a.tags == b.tags,
            Field::Note => a.note == b.note,
            Field::Favorite => a.favorite == b.favorite,
            Field::Position => a.position == b.position,
        }
    }

    /// Copies this field's value from `from` into `into`. The token keeps `into`'s
    /// HOTP counter when both count; [`Field::Counter`] copies the counter only.
    pub fn copy(self, into: &mut Account, from: &Account) {
        match self {
            Field::Issuer => into.issuer.clone_from(&from.issuer),
            Field::Name => into.name.clone_from(&from.name),
            Field::Token => {
                into.secret = from.secret.clone();
                into.algorithm = from.algorithm;
                into.digits = from.digits;
                into.kind = match (from.kind, into.kind.counter()) {
                    (Kind::Hotp { .. }, Some(counter)) => Kind::Hotp { counter },
                    (kind, _) => kind,
                };
            }
            Field::Counter => {
                if let (Kind::Hotp { .. }, Some(counter)) = (into.kind, from.kind.counter()) {
                    into.kind = Kind::Hotp { counter };
                }
            }
            Field::Tags => into.tags.clone_from(&from.tags),
            Field::Note => into.note.clone_from(&from.note),
            Field::Favorite => into.favorite = from.favorite,
            Field::Position => into.position = from.position,
        }
    }
}

/// When each [`Field`] of an account was last changed (unix seconds; 0 = never recorded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Changed {
    /// [`Field::Issuer`].
    pub issuer: i64,
    /// [`Field::Name`].
    pub name: i64,
    /// [`Field::Token`].
    pub token: i64,
    /// [`Field::Counter`].
    pub counter: i64,
    /// [`Field::Tags`].
    pub tags: i64,
    /// [`Field::Note`].
    pub note: i64,
    /// [`Field::Favorite`].
    pub favorite: i64,
    /// [`Field::Position`].
    pub position: i64,
}

impl Changed {
    /// Every field changed at `time`.
    pub fn all(time: i64) -> Self {
        let mut changed = Changed::default();
        for field in Field::ALL {
            changed.set(field, time);
        }
        changed
    }

    /// When `field` last changed.
    pub fn get(&self, field: Field) -> i64 {
        match field {
            Field::Issuer => self.issuer,
            Field::Name => self.name,
            Field::Token => self.token,
            Field::Counter => self.counter,
            Field::Tags => self.tags,
            Field::Note => self.note,
            Field::Favorite => self.favorite,
            Field::Position => self.position,
        }
    }

    /// Records that `field` changed at `time`.
    pub fn set(&mut self, field: Field, time: i64) {
        let slot = match field {
            Field::Issuer => &mut self.issuer,
            Field::Name => &mut self.name,
            Field::Token => &mut self.token,
            Field::Counter => &mut self.counter,
            Field::Tags => &mut self.tags,
            Field::Note => &mut self.note,
            Field::Favorite => &mut self.favorite,
            Field::Position => &mut self.position,
        };
        *slot = time;
    }

    /// The latest change of any field: when the account as a whole last changed.
    pub fn latest(&self) -> i64 {
        Field::ALL
            .iter()
            .map(|f| self.get(*f))
            .max()
            .unwrap_or_default()
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("name", &self.name)
            .field("secret", &self.secret)
            .field("kind", &self.kind)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("tags", &self.tags)
            .field("favorite", &self.favorite)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// Builds and validates an account created at `now` (unix seconds).
    /// Issuer and name are trimmed.
    pub fn new(
        issuer: &str,
        name: &str,
        secret: Secret,
        kind: Kind,
        algorithm: Algorithm,
        digits: u8,
        now: i64,
    ) -> Result<Self, AccountError> {
        let account = Account {
            id: AccountId::random(),
            issuer: issuer.trim().to_string(),
            name: name.trim().to_string(),
            secret,
            kind,
            // Steam Guard is always SHA1 with 5 characters, whatever the source said.
            algorithm: if kind == Kind::Steam {
                Algorithm::Sha1
            } else {
                algorithm
            },
            digits: if kind == Kind::Steam { 5 } else { digits },
            tags: Vec::new(),
            note: String::new(),
            favorite: false,
            created: now,
            modified: now,
            changed: Changed::default(),
            position: 0,
            superseded: Vec::new(),
            conflict_of: None,
        };
        account.check_input()?;
        Ok(account)
    }

    /// [`validate`](Self::validate) plus the rules for text and counters entering
    /// the vault: no control or bidi characters in issuer, name, tags or note (see
    /// [`crate::text`]) and a HOTP counter that can still advance. Called on
    /// construction, by `add`, `edit` and every importer, but not when a vault is
    /// opened, so a vault written before these rules still opens.
    pub fn check_input(&self) -> Result<(), AccountError> {
        self.validate()?;
        crate::text::check_field("issuer", &self.issuer)?;
        crate::text::check_field("name", &self.name)?;
        for tag in &self.tags {
            crate::text::check_field("tag", tag)?;
        }
        crate::text::check_multiline_field("note", &self.note)?;
        if let Kind::Hotp { counter } = self.kind {
            check_counter(counter)?;
        }
        Ok(())
    }

    /// Checks every parameter; called on construction and on every vault load.
    pub fn validate(&self) -> Result<(), AccountError> {
        if self.issuer.is_empty() && self.name.is_empty() {
            return Err(AccountError::Unnamed);
        }
        if self.issuer.len() > MAX_TEXT_LEN {
            return Err(AccountError::TooLong("issuer"));
        }
        if self.name.len() > MAX_TEXT_LEN {
            return Err(AccountError::TooLong("name"));
        }
        if self.note.len() > MAX_TEXT_LEN {
            return Err(AccountError::TooLong("note"));
        }
        match self.kind {
            Kind::Steam => {}
            Kind::Totp { period } => {
                check_period(u64::from(period))?;
                check_digits(u32::from(self.digits))?;
            }
            Kind::Hotp { .. } => check_digits(u32::from(self.digits))?,
        }
        Ok(())
    }

    /// `Issuer (name)`, `Issuer` or `name`: how people refer to the account, with
    /// control and bidi characters escaped ([`crate::text::escape`]) so that it is
    /// safe to show anywhere.
    pub fn label(&self) -> String {
        match (self.issuer.is_empty(), self.name.is_empty()) {
            (false, false) => format!("{} ({})", Escaped(&self.issuer), Escaped(&self.name)),
            (false, true) => Escaped(&self.issuer).to_string(),
            _ => Escaped(&self.name).to_string(),
        }
    }

    /// True when both accounts produce the same codes: same secret, scheme,
    /// algorithm, digits and period (HOTP counters may differ). Used to skip
    /// duplicates on import.
    pub fn same_token(&self, other: &Account) -> bool {
        let same_kind = match (self.kind, other.kind) {
            (Kind::Totp { period: a }, Kind::Totp { period: b }) => a == b,
            (Kind::Hotp { .. }, Kind::Hotp { .. }) | (Kind::Steam, Kind::Steam) => true,
            _ => false,
        };
        same_kind
            && self.secret == other.secret
            && self.algorithm == other.algorithm
            && self.digits == other.digits
    }

    /// A hash of what [`same_token`](Self::same_token) compares: two accounts
    /// with the same token have the same hash, so duplicates are found among many
    /// accounts without comparing every pair. (In memory only: never stored.)
    pub fn token_hash(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        match self.kind {
            Kind::Totp { period } => (0u8, period).hash(&mut hasher),
            Kind::Hotp { .. } => 1u8.hash(&mut hasher),
            Kind::Steam => 2u8.hash(&mut hasher),
        }
        self.secret.expose().hash(&mut hasher);
        self.algorithm.hash(&mut hasher);
        self.digits.hash(&mut hasher);
        hasher.finish()
    }

    /// Case-insensitive substring match on issuer or name.
    pub fn matches(&self, query: &str) -> bool {
        self.matches_lower(&query.to_lowercase())
    }

    /// [`matches`](Self::matches) for a query already lowercased.
    fn matches_lower(&self, q: &str) -> bool {
        lower_contains(&self.issuer, q)
            || lower_contains(&self.name, q)
            // Across the two: only a query with a ':' can, when each lowercases
            // letter by letter (not so a final sigma, which depends on what follows).
            || ((q.contains(':') || !self.issuer.is_ascii() || !self.name.is_ascii())
                && format!("{}:{}", self.issuer, self.name)
                    .to_lowercase()
                    .contains(q))
    }

    /// Whether the lowercased `id`, issuer, name or `issuer:name` is `q` (lowercased).
    fn is_exactly(&self, q: &str) -> bool {
        self.id.as_str() == q
            || lower_eq(&self.issuer, q)
            || lower_eq(&self.name, q)
            || self.label_is(q)
    }

    /// Whether `issuer:name`, lowercased, is `q`.
    fn label_is(&self, q: &str) -> bool {
        let (issuer, name) = (self.issuer.as_bytes(), self.name.as_bytes());
        if self.issuer.is_ascii() && self.name.is_ascii() {
            let q = q.as_bytes();
            return q.len() == issuer.len() + 1 + name.len()
                && q.get(issuer.len()) == Some(&b':')
                && q.get(..issuer.len())
                    .is_some_and(|i| i.eq_ignore_ascii_case(issuer))
                && q.get(issuer.len() + 1..)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name));
        }
        format!("{}:{}", self.issuer, self.name).to_lowercase() == q
    }
}

/// Whether `text` lowercased is `lower` (a lowercased query). `keyfob code` runs
/// this over every account (in the agent, for every request): ASCII text, nearly
/// all of it, is compared in place instead of being copied lowercased.
fn lower_eq(text: &str, lower: &str) -> bool {
    if text.is_ascii() {
        // `lower` has no ASCII capitals, so this is `text.to_lowercase() == lower`.
        text.eq_ignore_ascii_case(lower)
    } else {
        text.to_lowercase() == lower
    }
}

/// Whether `text` lowercased contains `lower` (a lowercased query).
fn lower_contains(text: &str, lower: &str) -> bool {
    if text.is_ascii() && lower.is_ascii() {
        let (text, lower) = (text.as_bytes(), lower.as_bytes());
        lower.is_empty()
            || text
                .windows(lower.len())
                .any(|window| window.eq_ignore_ascii_case(lower))
    } else {
        text.to_lowercase().contains(lower)
    }
}

/// Indices of the accounts a user's `query` designates, as `keyfob code QUERY` uses it.
///
/// An exact (case-insensitive) match of the id, issuer, name or `issuer:name`
/// wins when it is unique, so `github` picks GitHub even if `GitHub Enterprise`
/// exists; otherwise every account whose issuer or name contains the query.
pub fn find_matches(accounts: &[Account], query: &str) -> Vec<usize> {
    let q = query.trim().to_lowercase();
    let exact: Vec<usize> = accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_exactly(&q))
        .map(|(i, _)| i)
        .collect();
    if exact.len() == 1 {
        return exact;
    }
    accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.matches_lower(&q))
        .map(|(i, _)| i)
        .collect()
}

/// Validates a digit count for TOTP/HOTP.
pub fn check_digits(digits: u32) -> Result<(), AccountError> {
    if (u32::from(MIN_DIGITS)..=u32::from(MAX_DIGITS)).contains(&digits) {
        Ok(())
    } else {
        Err(AccountError::Digits(digits))
    }
}

/// Refuses a HOTP counter that cannot advance (`u64::MAX`): its code would repeat forever.
pub fn check_counter(counter: u64) -> Result<(), AccountError> {
    if counter == u64::MAX {
        Err(AccountError::CounterExhausted)
    } else {
        Ok(())
    }
}

/// Validates a TOTP period.
pub fn check_period(period: u64) -> Result<(), AccountError> {
    if (1..=u64::from(MAX_PERIOD)).contains(&period) {
        Ok(())
    } else {
        Err(AccountError::Period(period))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matching rules as first written (lowercased copies everywhere): the
    /// in-place comparisons must give the same answers.
    fn reference_matches(accounts: &[Account], query: &str) -> Vec<usize> {
        let q = query.trim().to_lowercase();
        let label = |a: &Account| format!("{}:{}", a.issuer, a.name).to_lowercase();
        let exact: Vec<usize> = (0..accounts.len())
            .filter(|&i| {
                let a = &accounts[i];
                a.id.as_str() == q
                    || a.issuer.to_lowercase() == q
                    || a.name.to_lowercase() == q
                    || label(a) == q
            })
            .collect();
        if exact.len() == 1 {
            return exact;
        }
        (0..accounts.len())
            .filter(|&i| {
                let a = &accounts[i];
                a.issuer.to_lowercase().contains(&q)
                    || a.name.to_lowercase().contains(&q)
                    || label(a).contains(&q)
            })
            .collect()
    }

    fn named(issuer: &str, name: &str) -> Account {
        let mut account = Account::new(
            "x",
            "y",
            secret(),
            Kind::DEFAULT_TOTP,
            Algorithm::Sha1,
            6,
            0,
        )
        .unwrap();
        account.issuer = issuer.to_string();
        account.name = name.to_string();
        account
    }

    proptest::proptest! {
        #[test]
        fn accounts_with_the_same_token_have_the_same_token_hash(
            a in (0..3u8, 0..2usize, 0..2u8, 0..2u8, 0..3u64),
            b in (0..3u8, 0..2usize, 0..2u8, 0..2u8, 0..3u64),
        ) {
            let make = |(kind, secret, algorithm, digits, n): (u8, usize, u8, u8, u64)| {
                let kind = match kind {
                    0 => Kind::Totp { period: 30 + 30 * u32::from(n == 2) },
                    1 => Kind::Hotp { counter: n },
                    _ => Kind::Steam,
                };
                let secret = ["JBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQ"][secret];
                let algorithm = [Algorithm::Sha1, Algorithm::Sha256][usize::from(algorithm)];
                let mut account = Account::new(
                    &format!("Issuer {n}"),
                    "alice",
                    Secret::from_base32(secret).unwrap(),
                    kind,
                    algorithm,
                    6 + 2 * digits,
                    0,
                )
                .unwrap();
                account.note = format!("{n}");
                account
            };
            let (x, y) = (make(a), make(b));
            if x.same_token(&y) {
                proptest::prop_assert_eq!(x.token_hash(), y.token_hash());
            } else {
                proptest::prop_assert_ne!(x.token_hash(), y.token_hash());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn finding_an_account_matches_the_lowercasing_rules(
            names in proptest::collection::vec(
                ("[a-cA-C:ßΣσςİ\\x{212A} ]{0,4}", "[a-cA-C:ßΣσςİ\\x{212A}@ ]{0,4}"), 1..6),
            query in "[a-cA-C:ßΣσςİi\\x{212A} ]{0,5}",
        ) {
            let accounts: Vec<Account> =
                names.iter().map(|(i, n)| named(i, n)).collect();
            proptest::prop_assert_eq!(
                find_matches(&accounts, &query),
                reference_matches(&accounts, &query)
            );
            // And queries that are one account's exact label, issuer or name.
            for a in &accounts {
                for q in [a.label(), a.issuer.to_uppercase(), a.name.clone(), format!("{}:{}", a.issuer, a.name)] {
                    proptest::prop_assert_eq!(find_matches(&accounts, &q), reference_matches(&accounts, &q));
                }
            }
        }
    }

    fn secret() -> Secret {
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap()
    }

    #[test]
    fn validates_parameters() {
        let ok = Account::new(
            " GitHub ",
            "alice",
            secret(),
            Kind::DEFAULT_TOTP,
            Algorithm::Sha1,
            6,
            0,
        )
        .unwrap();
        assert_eq!(ok.issuer, "GitHub");
        assert_eq!(
            Account::new(
                "a",
                "b",
                secret(),
                Kind::DEFAULT_TOTP,
                Algorithm::Sha1,
                5,
                0
            )
            .unwrap_err(),
            AccountError::Digits(5)
        );
        assert_eq!(
            Account::new(
                "a",
                "b",
                secret(),
                Kind::DEFAULT_TOTP,
                Algorithm::Sha1,
                11,
                0
            )
            .unwrap_err(),
            AccountError::Digits(11)
        );
        assert_eq!(
            Account::new(
                "a",
                "b",
                secret(),
                Kind::Totp { period: 0 },
                Algorithm::Sha1,
                6,
                0
            )
            .unwrap_err(),
            AccountError::Period(0)
        );
        assert_eq!(
            Account::new("", " ", secret(), Kind::DEFAULT_TOTP, Algorithm::Sha1, 6, 0).unwrap_err(),
            AccountError::Unnamed
        );
        let steam =
            Account::new("Steam", "me", secret(), Kind::Steam, Algorithm::Sha1, 6, 0).unwrap();
        assert_eq!(steam.digits, 5);
    }

    #[test]
    fn query_matching() {
        let mk = |i: &str, n: &str| {
            Account::new(i, n, secret(), Kind::DEFAULT_TOTP, Algorithm::Sha1, 6, 0).unwrap()
        };
        let all = vec![
            mk("GitHub", "alice"),
            mk("GitHub Enterprise", "alice"),
            mk("GitLab", "bob"),
        ];
        assert_eq!(find_matches(&all, "github"), vec![0]);
        assert_eq!(find_matches(&all, "GIT"), vec![0, 1, 2]);
        assert_eq!(find_matches(&all, "bob"), vec![2]);
        assert_eq!(find_matches(&all, "alice"), vec![0, 1]);
        assert_eq!(find_matches(&all, "GitLab:bob"), vec![2]);
        assert!(find_matches(&all, "nothing").is_empty());
        let id = all[1].id.to_string();
        assert_eq!(find_matches(&all, &id), vec![1]);
    }

    #[test]
    fn algorithm_spellings() {
        assert_eq!(Algorithm::parse("sha1").unwrap(), Algorithm::Sha1);
        assert_eq!(Algorithm::parse("HmacSHA256").unwrap(), Algorithm::Sha256);
        assert_eq!(Algorithm::parse("SHA-512").unwrap(), Algorithm::Sha512);
        assert_eq!(
            Algorithm::parse("MD5").unwrap_err().to_string(),
            "unsupported algorithm 'MD5' (keyfob supports SHA1, SHA256 and SHA512)"
        );
    }

    #[test]
    fn debug_hides_secret_and_serde_round_trips() {
        let a = Account::new(
            "GitHub",
            "alice",
            secret(),
            Kind::Hotp { counter: 7 },
            Algorithm::Sha256,
            8,
            42,
        )
        .unwrap();
        let shown = format!("{a:?}");
        assert!(
            shown.contains("[REDACTED]") && !shown.contains("JBSW"),
            "{shown}"
        );
        let json = serde_json::to_string(&a).unwrap();
        let back: Account = serde_json::from_str(&json).unwrap();
        assert_eq!(a, back);
        assert!(a.same_token(&back));
    }
}
