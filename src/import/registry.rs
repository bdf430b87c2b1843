//! The one list of import formats, and what each format declares about itself.
//!
//! Every format file (`src/import/<app>.rs`) holds one [`Spec`] value named `SPEC`:
//! its `--from` name and aliases, the name people know, the file the app gives,
//! how to recognise its content and how to parse it. The list itself is the
//! `formats!` call in `import/mod.rs`, one line per format; it declares the
//! module, the [`Format`](super::Format) variant, [`Format::ALL`](super::Format::ALL)
//! and the way from a variant to its `Spec`. Everything else that names
//! formats (`--from` and its help, [`detect`](super::detect),
//! [`parse`](super::parse), the fuzz targets, the README table and the
//! detection tests) is derived from that list, so adding a format is one new
//! file and one line.

use std::cell::OnceCell;
use std::path::Path;

use serde_json::Value;

use super::android_prefs::{self, Prefs};
use super::{Format, ImportError, Imported, sqlite};

/// How sure a format's detector is that the content is its own. When several
/// formats claim a file, the surest wins; among equals, the first in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// Only a guess made when nothing else fits: a header-less encrypted file, a
    /// name that suggests the app, any text with an `otpauth://` line.
    Fallback,
    /// Content typical of the format that another format could also hold
    /// (migration lines in a text file, Ente's `codeDisplay` parameter).
    Likely,
    /// A magic header, or a structure only this format has.
    Certain,
}

/// Reads a format's bytes: `(bytes, password, now)`. `password` opens encrypted
/// sources; without it they return [`ImportError::PasswordRequired`]. `now`
/// stamps the new accounts.
pub type ParseFn = fn(&[u8], Option<&[u8]>, i64) -> Result<Imported, ImportError>;

/// Reads a format from its path, for formats whose file has companions (an
/// SQLite database and its `-wal` file, the manifest beside Steam Desktop
/// Authenticator's files): `(path, password, now)`. Used for regular files;
/// streams fall back to [`ParseFn`].
pub type ReadPathFn = fn(&Path, Option<&[u8]>, i64) -> Result<Imported, ImportError>;

/// Everything keyfob knows about one import format.
#[derive(Debug)]
pub struct Spec {
    /// The name used with `--from NAME`, lower-case with `-`.
    pub name: &'static str,
    /// Other names accepted by `--from` (compared ignoring case, `-`, `_`, ` ` and `+`).
    pub aliases: &'static [&'static str],
    /// The app's name as people know it.
    pub display_name: &'static str,
    /// The file the app gives, for the README table and help (Markdown allowed).
    pub source: &'static str,
    /// The folder of its fixtures under `tests/fixtures/`.
    pub fixtures: &'static str,
    /// Whether the content is this format, and how surely.
    pub detect: fn(&Probe<'_>) -> Option<Confidence>,
    /// The parser of the bytes.
    pub parse: ParseFn,
    /// A reader of the path, when the file has companions the bytes lack.
    pub read_path: Option<ReadPathFn>,
    /// True when the format's encrypted files have no header but authenticate
    /// their ciphertext (AES-GCM cannot open with a wrong key by chance): a file
    /// no detector recognises is then tried as this format with the password.
    pub authenticated: bool,
}

/// A file's content as the detectors look at it, decoded once for all of them.
pub struct Probe<'a> {
    bytes: &'a [u8],
    lower_name: String,
    text: Option<&'a str>,
    json: OnceCell<Option<Value>>,
    prefs: OnceCell<Option<Prefs>>,
    sqlite: OnceCell<Option<sqlite::Schema>>,
}

impl<'a> Probe<'a> {
    /// The content of a file; `file_name` only breaks ties.
    pub fn new(bytes: &'a [u8], file_name: Option<&str>) -> Self {
        Probe {
            bytes,
            lower_name: file_name.map(str::to_ascii_lowercase).unwrap_or_default(),
            text: std::str::from_utf8(bytes)
                .ok()
                .map(|t| t.trim_start_matches('\u{feff}')),
            json: OnceCell::new(),
            prefs: OnceCell::new(),
            sqlite: OnceCell::new(),
        }
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The file name in lower case ("" when unknown).
    pub fn lower_name(&self) -> &str {
        &self.lower_name
    }

    /// The content as UTF-8 text without a byte-order mark, if it is UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        self.text
    }

    /// True when the content is readable text: UTF-8, not blank, no NUL byte.
    pub fn is_text(&self) -> bool {
        self.text
            .is_some_and(|t| !t.trim().is_empty() && !t.contains('\0'))
    }

    /// The content parsed as JSON, when it is a JSON object or array (within
    /// [`MAX_JSON_VALUES`](super::MAX_JSON_VALUES)).
    pub fn json(&self) -> Option<&Value> {
        self.json
            .get_or_init(|| {
                let trimmed = self.text?.trim_start();
                if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
                    return None;
                }
                if !super::json_size_ok(trimmed) {
                    return None;
                }
                serde_json::from_str::<Value>(trimmed).ok()
            })
            .as_ref()
    }

    /// The content parsed as Android shared preferences (`<map>…</map>`), when
    /// it is such a file.
    pub fn android_prefs(&self) -> Option<&Prefs> {
        self.prefs
            .get_or_init(|| {
                let text = self.text.filter(|t| android_prefs::looks_like(t))?;
                android_prefs::read(text).ok()
            })
            .as_ref()
    }

    /// The tables and columns of an SQLite database, when the content is one
    /// that opens (read from a private copy).
    pub fn sqlite_schema(&self) -> Option<&sqlite::Schema> {
        self.sqlite
            .get_or_init(|| sqlite::schema_of(self.bytes))
            .as_ref()
    }

    /// The non-blank lines of a text that is not JSON (at most the first 1000,
    /// trimmed); none for JSON or binary content.
    pub fn lines(&self) -> impl Iterator<Item = &'a str> {
        let text = if self.json().is_some() {
            None
        } else {
            self.text
        };
        text.into_iter()
            .flat_map(str::lines)
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(1000)
    }

    /// True when a line of a non-JSON text starts with `prefix`, ignoring case.
    pub fn has_line_starting(&self, prefix: &str) -> bool {
        self.lines().any(|line| {
            line.get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        })
    }
}

/// Normalises a `--from` name for comparison: lower case, without `-`, `_`, ` ` and `+`.
fn name_key(text: &str) -> String {
    text.trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '+'))
        .collect()
}

/// The format named `text` (its name or an alias), case-insensitive.
pub(super) fn by_name(text: &str) -> Option<Format> {
    let key = name_key(text);
    Format::ALL.into_iter().find(|format| {
        let spec = format.spec();
        name_key(spec.name) == key || spec.aliases.iter().any(|alias| name_key(alias) == key)
    })
}

/// The format whose detector is surest about the content (the first in the
/// list among equals), or `None`.
pub(super) fn detect(probe: &Probe<'_>) -> Option<Format> {
    let mut best: Option<(Confidence, Format)> = None;
    for format in Format::ALL {
        if let Some(confidence) = (format.spec().detect)(probe)
            && best.is_none_or(|(surest, _)| confidence > surest)
        {
            best = Some((confidence, format));
        }
    }
    best.map(|(_, format)| format)
}

/// For a file no detector recognises: the first format whose encrypted files
/// authenticate their ciphertext ([`Spec::authenticated`]) and that opens it
/// with `password`, with what it read. A wrong key cannot open AES-GCM by
/// chance, so success says the format as surely as a header would.
pub(super) fn open_unrecognised(
    bytes: &[u8],
    password: &[u8],
    now: i64,
) -> Option<(Format, Imported)> {
    Format::ALL
        .into_iter()
        .filter(|format| format.spec().authenticated)
        .find_map(|format| {
            super::parse(bytes, format, Some(password), now)
                .ok()
                .map(|imported| (format, imported))
        })
}

/// Declares the format modules, the [`Format`](super::Format) enum with one
/// variant per module and [`Format::ALL`](super::Format::ALL), from lines of
/// `Variant => module,`. Each module holds `pub(crate) const SPEC: Spec`.
macro_rules! formats {
    ($($variant:ident => $module:ident,)+) => {
        $(pub mod $module;)+

        /// The source apps and file formats keyfob can import, in the order shown
        /// to users. Each variant's [`Spec`](registry::Spec) is the `SPEC` of its
        /// module.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Format {
            $(
                #[doc = concat!("The format of [`", stringify!($module), "`].")]
                $variant,
            )+
        }

        impl Format {
            /// How many formats there are.
            pub const COUNT: usize = [$(stringify!($variant)),+].len();

            /// Every format, in the order shown to users.
            pub const ALL: [Format; Format::COUNT] = [$(Format::$variant),+];

            /// What the format declares about itself.
            pub fn spec(self) -> &'static registry::Spec {
                match self {
                    $(Format::$variant => &$module::SPEC,)+
                }
            }
        }
    };
}

pub(super) use formats;
