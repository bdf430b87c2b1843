//! A one-line text input with a cursor, on `tui-input`, whose text is wiped
//! when dropped or cleared (it may hold a passphrase, a secret or an otpauth
//! URI).
//!
//! Every text field of every screen is one of these and is edited through
//! [`TextInput::edit`], so cursor keys, Home/End, Ctrl-W and pasting in the
//! middle work the same everywhere. `tui-input` keeps text removed by its
//! "cut" requests in a yank buffer that nothing wipes, so word and line
//! deletion are done here one character at a time instead: no copy of the
//! text is left behind outside this type.

use tui_input::{Input, InputRequest};
use zeroize::Zeroizing;

/// Longest text an input takes (bytes).
const MAX_LEN: usize = 8192;

/// One editing step on the focused input (from a key or a paste).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Type a character at the cursor.
    Insert(char),
    /// Delete the character before the cursor (Backspace).
    DeleteBack,
    /// Delete the character under the cursor (Delete).
    DeleteForward,
    /// Delete the word before the cursor (Ctrl-W).
    DeleteWord,
    /// Empty the input (Ctrl-U).
    Clear,
    /// Cursor one character left.
    Left,
    /// Cursor one character right.
    Right,
    /// Cursor one word left.
    WordLeft,
    /// Cursor one word right.
    WordRight,
    /// Cursor to the start (Home).
    Home,
    /// Cursor to the end (End).
    End,
}

/// One line of typed text and its cursor.
#[derive(Default, Clone)]
pub struct TextInput {
    input: Input,
}

impl Drop for TextInput {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl TextInput {
    /// An input holding `text`, the cursor at its end.
    pub fn with_text(text: &str) -> Self {
        TextInput {
            input: Input::new(text.to_string()),
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        self.input.value()
    }

    /// The cursor position in characters from the start.
    pub fn cursor(&self) -> usize {
        self.input.cursor()
    }

    /// Applies one editing step; true when the text changed.
    pub fn edit(&mut self, edit: &Edit) -> bool {
        let before = self.input.value().len();
        let request = match edit {
            Edit::Insert(c) => {
                if c.is_control() || before + c.len_utf8() > MAX_LEN {
                    return false;
                }
                InputRequest::InsertChar(*c)
            }
            Edit::DeleteBack => InputRequest::DeletePrevChar,
            Edit::DeleteForward => InputRequest::DeleteNextChar,
            Edit::DeleteWord => return self.delete_word(),
            Edit::Clear => {
                let changed = !self.is_empty();
                self.clear();
                return changed;
            }
            Edit::Left => InputRequest::GoToPrevChar,
            Edit::Right => InputRequest::GoToNextChar,
            Edit::WordLeft => InputRequest::GoToPrevWord,
            Edit::WordRight => InputRequest::GoToNextWord,
            Edit::Home => InputRequest::GoToStart,
            Edit::End => InputRequest::GoToEnd,
        };
        self.input
            .handle(request)
            .is_some_and(|changed| changed.value)
    }

    /// Applies a text action (an editing step or a paste); false for any other action.
    pub fn apply(&mut self, action: &crate::tui::app::Action) -> bool {
        match action {
            crate::tui::app::Action::Edit(edit) => {
                self.edit(edit);
                true
            }
            crate::tui::app::Action::Paste(text) => {
                self.paste(text);
                true
            }
            _ => false,
        }
    }

    /// Inserts pasted text at the cursor, keeping only its first line.
    pub fn paste(&mut self, text: &str) -> bool {
        let line = text
            .trim_end_matches(['\r', '\n'])
            .split(['\r', '\n'])
            .next()
            .unwrap_or("");
        let mut changed = false;
        for c in line.chars() {
            changed |= self.edit(&Edit::Insert(c));
        }
        changed
    }

    /// Deletes the word before the cursor, one character at a time (see the module note).
    fn delete_word(&mut self) -> bool {
        let end = self.input.cursor();
        self.input.handle(InputRequest::GoToPrevWord);
        let start = self.input.cursor();
        self.input.handle(InputRequest::SetCursor(end));
        let mut changed = false;
        while self.input.cursor() > start {
            changed |= self
                .input
                .handle(InputRequest::DeletePrevChar)
                .is_some_and(|c| c.value);
        }
        changed
    }

    /// Drops a leading `prefix` character (a search never starts with the key that focused it).
    pub fn strip_leading(&mut self, prefix: char) -> bool {
        if !self.text().starts_with(prefix) {
            return false;
        }
        let cursor = self.input.cursor();
        let removed = self.text().chars().take_while(|&c| c == prefix).count();
        self.input.handle(InputRequest::SetCursor(0));
        for _ in 0..removed {
            self.input.handle(InputRequest::DeleteNextChar);
        }
        self.input
            .handle(InputRequest::SetCursor(cursor.saturating_sub(removed)));
        true
    }

    /// Empties the input (the old text is wiped).
    pub fn clear(&mut self) {
        self.wipe();
    }

    fn wipe(&mut self) {
        let old: String = std::mem::take(&mut self.input).into();
        drop(Zeroizing::new(old));
    }

    /// True when nothing was typed.
    pub fn is_empty(&self) -> bool {
        self.text().is_empty()
    }

    /// Number of characters.
    pub fn chars(&self) -> usize {
        self.text().chars().count()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn typed(text: &str) -> TextInput {
        let mut input = TextInput::default();
        for c in text.chars() {
            input.edit(&Edit::Insert(c));
        }
        input
    }

    #[test]
    fn the_cursor_moves_and_text_goes_in_where_it_is() {
        let mut input = typed("hello world");
        input.edit(&Edit::Home);
        input.edit(&Edit::Insert('>'));
        assert_eq!(input.text(), ">hello world");
        input.edit(&Edit::End);
        input.edit(&Edit::Left);
        input.edit(&Edit::DeleteBack);
        assert_eq!(input.text(), ">hello word");
        input.edit(&Edit::WordLeft);
        assert_eq!(input.cursor(), 7);
        input.paste("big \n second line");
        assert_eq!(input.text(), ">hello big word");
        input.edit(&Edit::DeleteForward);
        assert_eq!(input.text(), ">hello big ord");
    }

    #[test]
    fn ctrl_w_deletes_the_word_before_the_cursor_only() {
        let mut input = typed("one two three");
        input.edit(&Edit::WordLeft);
        assert!(input.edit(&Edit::DeleteWord));
        assert_eq!(input.text(), "one three");
        assert_eq!(input.cursor(), 4);
        input.edit(&Edit::Home);
        assert!(!input.edit(&Edit::DeleteWord));
    }

    #[test]
    fn control_characters_and_overlong_text_are_refused() {
        let mut input = typed("a\u{1b}b");
        assert_eq!(input.text(), "ab");
        input.paste(&"x".repeat(MAX_LEN + 10));
        assert_eq!(input.text().len(), MAX_LEN);
        input.edit(&Edit::Clear);
        assert!(input.is_empty());
    }

    #[test]
    fn a_leading_prefix_is_stripped_and_the_cursor_kept_on_its_character() {
        let mut input = typed("//git");
        assert!(input.strip_leading('/'));
        assert_eq!(input.text(), "git");
        assert_eq!(input.cursor(), 3);
        assert!(!input.strip_leading('/'));
    }
}
