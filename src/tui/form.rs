//! Typed form fields: a form names its fields with its own enum and reads
//! them by name, never by position, so adding or moving a field cannot make
//! another field's value land in the wrong place.

use super::input::{Edit, TextInput};

/// The names of one form's fields (an enum per form).
pub trait FieldName: Copy + Eq {
    /// Shown before the input.
    fn label(self) -> &'static str;
    /// The typed text is hidden (passphrases, secrets).
    fn masked(self) -> bool {
        false
    }
}

/// A form's fields in order, and which one has the cursor.
#[derive(Clone)]
pub struct Fields<F> {
    fields: Vec<(F, TextInput)>,
    focus: usize,
}

impl<F: FieldName> Fields<F> {
    /// Fields in this order with these starting texts; the first has the cursor.
    pub fn new(fields: &[(F, &str)]) -> Self {
        Fields {
            fields: fields
                .iter()
                .map(|&(name, text)| (name, TextInput::with_text(text)))
                .collect(),
            focus: 0,
        }
    }

    /// The text of field `name` ("" if the form has no such field).
    pub fn text(&self, name: F) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, input)| input.text())
    }

    /// The input of field `name`.
    pub fn input_mut(&mut self, name: F) -> Option<&mut TextInput> {
        self.fields
            .iter_mut()
            .find(|(n, _)| *n == name)
            .map(|(_, input)| input)
    }

    /// The field with the cursor.
    pub fn focused(&self) -> Option<F> {
        self.fields.get(self.focus).map(|(name, _)| *name)
    }

    /// Its position in the form.
    pub fn focus_index(&self) -> usize {
        self.focus
    }

    /// Puts the cursor in field `name`.
    pub fn focus(&mut self, name: F) {
        if let Some(index) = self.fields.iter().position(|(n, _)| *n == name) {
            self.focus = index;
        }
    }

    /// The cursor to the next field (wrapping).
    pub fn next(&mut self) {
        let count = self.fields.len().max(1);
        self.focus = (self.focus + 1) % count;
    }

    /// The cursor to the previous field (wrapping).
    pub fn prev(&mut self) {
        let count = self.fields.len().max(1);
        self.focus = (self.focus + count - 1) % count;
    }

    /// Edits the focused field; true when its text changed.
    pub fn edit(&mut self, edit: &Edit) -> bool {
        self.focused_input().is_some_and(|input| input.edit(edit))
    }

    /// Applies a text action to the focused field; false for any other action.
    pub fn apply(&mut self, action: &crate::tui::app::Action) -> bool {
        self.focused_input()
            .is_some_and(|input| input.apply(action))
    }

    /// Pastes into the focused field.
    pub fn paste(&mut self, text: &str) -> bool {
        self.focused_input().is_some_and(|input| input.paste(text))
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.fields.get_mut(self.focus).map(|(_, input)| input)
    }

    /// Every field in order: name, input, and whether it has the cursor.
    pub fn iter(&self) -> impl Iterator<Item = (F, &TextInput, bool)> {
        self.fields
            .iter()
            .enumerate()
            .map(move |(i, (name, input))| (*name, input, i == self.focus))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }
}
