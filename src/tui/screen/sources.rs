//! The fields of a screen that reads files which may be encrypted (the import
//! and merge screens): the paths (Tab completes), a masked password and an
//! identity file, each of the two shown once a file asks for it.

use std::path::PathBuf;

use ratatui::text::Line;

use crate::tui::app::Action;
use crate::tui::input::TextInput;
use crate::tui::keymap::Cmd;
use crate::tui::paths;
use crate::tui::view::{Theme, input_line};
use crate::tui::worker::SourceKeys;

/// Which field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceField {
    /// The paths.
    #[default]
    Paths,
    /// The password of encrypted files.
    Password,
    /// The identity file of files encrypted to age recipients.
    Identity,
}

/// The paths, password and identity fields.
#[derive(Default)]
pub struct SourceFields {
    /// Files (and directories), as a shell would split them.
    pub paths: TextInput,
    /// The password (shown once a file asked for one).
    pub password: TextInput,
    /// A file asked for a password: its field is shown.
    pub asks_password: bool,
    /// The path of an age identity file (shown once a file asked for one).
    pub identity: TextInput,
    /// A file asked for an identity: its field is shown.
    pub asks_identity: bool,
    /// Where the cursor is.
    pub focus: SourceField,
}

impl SourceFields {
    /// The fields with `paths` typed in.
    pub fn with_paths(paths: &str) -> Self {
        SourceFields {
            paths: TextInput::with_text(paths),
            ..SourceFields::default()
        }
    }

    fn focused(&mut self) -> &mut TextInput {
        match self.focus {
            SourceField::Password => &mut self.password,
            SourceField::Identity => &mut self.identity,
            SourceField::Paths => &mut self.paths,
        }
    }

    /// The fields shown, in order.
    fn shown(&self) -> Vec<SourceField> {
        let mut fields = vec![SourceField::Paths];
        if self.asks_password {
            fields.push(SourceField::Password);
        }
        if self.asks_identity {
            fields.push(SourceField::Identity);
        }
        fields
    }

    /// Shows the password field and puts the cursor there.
    pub fn ask_password(&mut self) {
        self.asks_password = true;
        self.focus = SourceField::Password;
    }

    /// Shows the identity field and puts the cursor there.
    pub fn ask_identity(&mut self) {
        self.asks_identity = true;
        self.focus = SourceField::Identity;
    }

    /// Applies an editing key, a paste, Tab (completing a path; what it found
    /// goes to `note`) or a step between the fields. Any other action is
    /// handed back.
    pub fn update(&mut self, action: Action, note: &mut Option<String>) -> Option<Action> {
        match action {
            Action::Edit(edit) => {
                self.focused().edit(&edit);
            }
            Action::Paste(text) => {
                self.focused().paste(&text);
            }
            Action::Cmd(Cmd::Complete) if self.focus == SourceField::Paths => {
                *note = paths::complete(&mut self.paths);
            }
            Action::Cmd(Cmd::Complete) if self.focus == SourceField::Identity => {
                *note = paths::complete(&mut self.identity);
            }
            Action::Cmd(step @ (Cmd::NextField | Cmd::PrevField)) => {
                self.focus = super::next(&self.shown(), self.focus, step == Cmd::NextField);
            }
            other => return Some(other),
        }
        None
    }

    /// The paths typed, or what to tell the user (`empty` when there are none).
    pub fn typed_paths(&self, empty: &str) -> Result<Vec<PathBuf>, String> {
        match paths::split(self.paths.text().trim()) {
            Ok(paths) if paths.is_empty() => Err(empty.to_string()),
            other => other,
        }
    }

    /// The password and identity typed, for the worker.
    pub fn keys(&self) -> SourceKeys {
        super::typed_keys(&self.password, &self.identity)
    }

    /// The fields' lines: the paths under `label`, then the key fields shown.
    pub fn lines(&self, label: &str, theme: Theme, width: usize) -> Vec<Line<'static>> {
        self.shown()
            .into_iter()
            .map(|field| {
                let (label, input, masked) = match field {
                    SourceField::Paths => (label, &self.paths, false),
                    SourceField::Password => ("Password", &self.password, true),
                    SourceField::Identity => ("Identity", &self.identity, false),
                };
                input_line(label, input, masked, self.focus == field, theme, 8, width)
            })
            .collect()
    }
}
