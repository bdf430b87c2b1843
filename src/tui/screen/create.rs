//! First run: no vault yet. A new passphrase, asked twice, with a strength
//! hint; or, with `--identity`, a vault encrypted to that identity file.

use keyfob::vault::Key;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use secrecy::SecretString;

use super::ScreenState;
use crate::tui::app::{Action, App, Effect, Job};
use crate::tui::form::{FieldName, Fields};
use crate::tui::keymap::{Cmd, Context};
use crate::tui::view::{Theme, field_lines, render_form_screen};

/// The fields of the first-run form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateField {
    /// The new passphrase.
    Passphrase,
    /// The same again.
    Repeat,
}

impl FieldName for CreateField {
    fn label(self) -> &'static str {
        match self {
            CreateField::Passphrase => "Passphrase",
            CreateField::Repeat => "Repeat",
        }
    }
    fn masked(self) -> bool {
        true
    }
}

/// The first-run form: a new passphrase, twice.
#[derive(Clone)]
pub struct CreateForm {
    /// The two fields.
    pub fields: Fields<CreateField>,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

impl Default for CreateForm {
    fn default() -> Self {
        CreateForm {
            fields: Fields::new(&[(CreateField::Passphrase, ""), (CreateField::Repeat, "")]),
            error: None,
        }
    }
}

/// A vault key from a typed passphrase.
pub fn key_from_input(text: &str) -> Key {
    Key::passphrase(SecretString::from(text.to_string()))
}

impl ScreenState for CreateForm {
    fn context(&self) -> Context {
        Context::Create
    }

    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        if app.busy.is_some() {
            return Vec::new();
        }
        if self.fields.apply(&action) {
            return Vec::new();
        }
        match action {
            Action::Cmd(Cmd::PrevField) => self.fields.focus(CreateField::Passphrase),
            Action::Cmd(Cmd::NextField) => self.fields.focus(CreateField::Repeat),
            Action::Cmd(Cmd::Cancel) => {
                app.quit = true;
                return vec![Effect::Quit];
            }
            Action::Cmd(Cmd::Submit) => return self.submit(app),
            _ => {}
        }
        Vec::new()
    }

    fn on_worker(&mut self, app: &mut App, event: crate::tui::worker::WorkerEvent) -> Vec<Effect> {
        if let Some(message) = event.into_error() {
            self.error = Some(message);
        }
        let _ = app;
        Vec::new()
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        let mut lines = vec![Line::from(Span::styled(
            format!("Create a vault at {}", app.settings.vault_path.display()),
            theme.title(),
        ))];
        lines.push(Line::default());
        if let Some(identity) = &app.settings.identity {
            lines.push(Line::from(format!(
                "It will be encrypted to the age identity {} (created if missing).",
                identity.display()
            )));
            lines.push(Line::from(
                "Anyone with that file can open the vault: keep it safe, and a copy apart from the vault.",
            ));
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "Press Enter to create it, Esc to leave.",
                theme.key(),
            )));
        } else {
            lines.extend(field_lines(&self.fields, true, theme, area.width as usize));
            let first = self.fields.text(CreateField::Passphrase);
            let (word, bits) = strength(first);
            if !first.is_empty() {
                let style = if bits < 44 {
                    theme.warn()
                } else {
                    theme.code()
                };
                lines.push(Line::from(vec![
                    Span::styled("  Strength: ", theme.dim()),
                    Span::styled(format!("{word} (about {bits} bits)"), style),
                ]));
            } else {
                lines.push(Line::from(Span::styled(
                    "  Several unrelated words make a strong passphrase.",
                    theme.dim(),
                )));
            }
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "If you forget the passphrase, every account in the vault is lost: nobody can recover it.",
                theme.warn(),
            )));
            lines.push(Line::from(
                "The remedy is a paper backup: once accounts are in, press Ctrl-P to print a sheet.",
            ));
        }
        render_form_screen(
            app,
            "new vault",
            lines,
            self.error.as_deref(),
            self.context(),
            area,
            buf,
        );
    }
}

impl CreateForm {
    fn submit(&mut self, app: &mut App) -> Vec<Effect> {
        if let Some(path) = app.settings.identity.clone() {
            return app.start("Creating the vault", Job::CreateWithIdentity(path));
        }
        let first = self.fields.text(CreateField::Passphrase);
        if self.fields.focused() == Some(CreateField::Passphrase) {
            if first.is_empty() {
                self.error = Some("type a passphrase first".into());
            } else {
                self.fields.focus(CreateField::Repeat);
                self.error = None;
            }
            return Vec::new();
        }
        if first != self.fields.text(CreateField::Repeat) {
            self.error = Some("the two passphrases differ; type them again".into());
            *self = CreateForm {
                error: self.error.take(),
                ..CreateForm::default()
            };
            return Vec::new();
        }
        self.error = None;
        let key = key_from_input(first);
        app.start("Creating the vault", Job::Create(key))
    }
}

/// A rough strength hint for a new passphrase: a word and an estimate in bits.
pub fn strength(passphrase: &str) -> (&'static str, u32) {
    let words = passphrase
        .split_whitespace()
        .filter(|w| w.len() >= 3)
        .count();
    let chars = passphrase.chars().count();
    let mut pool = 0u32;
    if passphrase.chars().any(|c| c.is_ascii_lowercase()) {
        pool += 26;
    }
    if passphrase.chars().any(|c| c.is_ascii_uppercase()) {
        pool += 26;
    }
    if passphrase.chars().any(|c| c.is_ascii_digit()) {
        pool += 10;
    }
    if passphrase.chars().any(|c| !c.is_ascii_alphanumeric()) {
        pool += 20;
    }
    let per_char = if pool == 0 {
        0.0
    } else {
        f64::from(pool).log2()
    };
    // Characters of real text are far from random: count them at half value.
    let by_chars = per_char * chars as f64 / 2.0;
    // Several unrelated words: about 11 bits each (a 2,000-word vocabulary).
    let by_words = if words >= 2 { 11.0 * words as f64 } else { 0.0 };
    let bits = by_chars.max(by_words).min(256.0) as u32;
    let word = match bits {
        0..=27 => "weak",
        28..=43 => "fair",
        44..=59 => "good",
        _ => "strong",
    };
    (word, bits)
}
