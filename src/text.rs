//! Outside text (account fields, file names, queries) on its way into the vault and out to a person.
//!
//! Issuer, name, tags and note come from URIs, other apps' exports and the command
//! line. A control character in them can drive the terminal that shows them
//! (`ESC ] 52 ;` writes the clipboard, `ESC [ 2 J` clears the screen, CR overwrites
//! the line), and a bidi override makes `bob\u{202e}gnp.exe` read as `bobexe.png`.
//! One rule covers both directions: [`check_field`] refuses such characters where
//! text enters the vault, and [`Escaped`] shows them visibly wherever text goes to a
//! person, because vaults written before the check may still hold them.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::account::AccountError;

/// True for the characters keyfob refuses in account text and escapes on output:
/// C0 controls and DEL (U+0000–U+001F, U+007F), C1 controls (U+0080–U+009F), the
/// bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the
/// invisible direction marks (U+200E, U+200F, U+061C) and the Unicode line and
/// paragraph separators (U+2028, U+2029).
///
/// The marks cannot hide text the way an override can, but in a one-line label
/// their only effect is to move neighbouring characters around unseen, and no
/// issuer or account name needs them; the separators are line breaks in disguise.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Refuses a one-line field (issuer, name, tag) holding any [`is_unsafe`] character.
/// `field` names it in the error.
pub fn check_field(field: &'static str, text: &str) -> Result<(), AccountError> {
    check(field, text, false)
}

/// Like [`check_field`], but line feeds and tabs are allowed: a note may have
/// several lines. They are still escaped by [`Escaped`] on one-line output.
pub fn check_multiline_field(field: &'static str, text: &str) -> Result<(), AccountError> {
    check(field, text, true)
}

fn check(field: &'static str, text: &str, multi_line: bool) -> Result<(), AccountError> {
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\t');
    match text.chars().find(|&c| is_unsafe(c) && !allowed(c)) {
        Some(found) => Err(AccountError::ControlCharacter { field, found }),
        None => Ok(()),
    }
}

/// `text` as it may be shown on a terminal: unchanged when it holds no
/// [`is_unsafe`] character; otherwise every such character is written as
/// `\xNN` (up to U+00FF) or `\u{NNNN}`, and every backslash as `\\`.
///
/// Backslashes are doubled only when something was escaped: then the output can be
/// read back unambiguously (a literal `\x1b` in a name shows as `\\x1b`), while
/// ordinary text such as `DOMAIN\user` shows as written. The output never holds an
/// unsafe character, so escaping twice changes nothing.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else {
            push_char(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// One character as [`escape`] writes it inside escaped text.
fn push_char(out: &mut String, c: char) {
    let code = u32::from(c);
    // Writing into a String cannot fail.
    let _ = match c {
        c if !is_unsafe(c) => out.write_char(c),
        _ if code <= 0xff => write!(out, "\\x{code:02x}"),
        _ => write!(out, "\\u{{{code:04x}}}"),
    };
}

/// A character shown the way [`escape`] shows it: for naming the character in an error.
pub fn escape_char(c: char) -> String {
    let mut out = String::new();
    push_char(&mut out, c);
    out
}

/// A path as [`escape`] shows it (file names can hold control characters too; bytes
/// that are not UTF-8 show as U+FFFD).
pub fn escape_path(path: &std::path::Path) -> String {
    escape(&path.to_string_lossy()).into_owned()
}

/// Displays a string through [`escape`]; width and alignment (`{:<20}`) apply to
/// the escaped form.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&escape(self.0))
    }
}

/// An error followed by its causes, `outer: inner: innermost`, leaving out a
/// cause whose text the message already ends with (as `{:#}` of anyhow does).
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = inner.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_shown_as_written() {
        for text in [
            "GitHub",
            "alice@example.com",
            "DOMAIN\\user",
            "Ålesund ✓ שלום",
            "",
        ] {
            assert_eq!(escape(text), text);
        }
    }

    #[test]
    fn controls_and_bidi_are_escaped_visibly() {
        assert_eq!(escape("a\u{1b}]52;c;eA==\u{7}b"), "a\\x1b]52;c;eA==\\x07b");
        assert_eq!(escape("x\u{1b}[2J"), "x\\x1b[2J");
        assert_eq!(escape("l1\r\nl2\t"), "l1\\x0d\\x0al2\\x09");
        assert_eq!(escape("bob\u{202e}gnp.exe"), "bob\\u{202e}gnp.exe");
        assert_eq!(escape("\u{9b}\u{7f}\u{0}"), "\\x9b\\x7f\\x00");
        assert_eq!(
            escape("\u{2066}\u{2069}\u{200f}\u{2028}"),
            "\\u{2066}\\u{2069}\\u{200f}\\u{2028}"
        );
        // With something escaped, a literal backslash is doubled, so the two differ.
        assert_eq!(escape("\\x1b\u{1b}"), "\\\\x1b\\x1b");
        assert_eq!(format!("[{:<8}]", Escaped("a\u{7}")), "[a\\x07   ]");
    }

    #[test]
    fn escaping_is_idempotent_and_leaves_nothing_unsafe() {
        for text in ["a\u{1b}b\\c", "\u{202e}x", "ok", "\\\u{85}"] {
            let once = escape(text).into_owned();
            assert!(!once.chars().any(is_unsafe), "{once}");
            assert_eq!(escape(&once), once);
        }
    }

    #[test]
    fn fields_refuse_unsafe_characters_with_the_field_named() {
        assert_eq!(check_field("issuer", "GitHub"), Ok(()));
        assert_eq!(
            check_field("issuer", "Git\u{1b}[2JHub"),
            Err(AccountError::ControlCharacter {
                field: "issuer",
                found: '\u{1b}'
            })
        );
        assert_eq!(
            check_field("name", "bob\u{202e}gnp.exe")
                .unwrap_err()
                .to_string(),
            "the name contains the control character '\\u{202e}'"
        );
        assert!(check_field("tag", "a\nb").is_err());
        assert_eq!(check_multiline_field("note", "line 1\n\tline 2"), Ok(()));
        assert_eq!(
            check_multiline_field("note", "a\rb"),
            Err(AccountError::ControlCharacter {
                field: "note",
                found: '\r'
            })
        );
        assert!(check_multiline_field("note", "\u{2067}").is_err());
        for c in [
            '\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}', '\u{202a}', '\u{2069}', '\u{61c}',
            '\u{200e}',
        ] {
            assert!(is_unsafe(c), "{c:?}");
        }
        for c in [' ', '~', '\u{a0}', '\u{200d}', '\u{2070}', '\u{2029}'] {
            assert_eq!(is_unsafe(c), c == '\u{2029}', "{c:?}");
        }
    }
}
