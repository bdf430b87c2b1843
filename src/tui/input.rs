//! A one-line text input whose buffer is wiped when dropped (it may hold a
//! passphrase, a secret or an otpauth URI). The cursor always sits at the end:
//! the inputs here are short, and this keeps editing predictable.

use zeroize::Zeroizing;

/// One line of typed text.
#[derive(Default, Clone)]
pub struct TextInput {
    text: Zeroizing<String>,
}

impl TextInput {
    /// An input holding `text`.
    pub fn with_text(text: &str) -> Self {
        TextInput {
            text: Zeroizing::new(text.to_string()),
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Appends a character (control characters are ignored).
    pub fn push(&mut self, c: char) {
        if !c.is_control() && self.text.len() < 8192 {
            self.text.push(c);
        }
    }

    /// Appends pasted text, keeping only its first line.
    pub fn paste(&mut self, text: &str) {
        for c in text.trim_end_matches(['\r', '\n']).chars() {
            if c == '\n' || c == '\r' {
                break;
            }
            self.push(c);
        }
    }

    /// Removes the last character.
    pub fn pop(&mut self) {
        self.text.pop();
    }

    /// Empties the input (the old buffer is wiped).
    pub fn clear(&mut self) {
        self.text = Zeroizing::new(String::new());
    }

    /// True when nothing was typed.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Number of characters.
    pub fn chars(&self) -> usize {
        self.text.chars().count()
    }
}
