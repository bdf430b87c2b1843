//! The unlock screen: the vault passphrase, or Enter with `--identity`.

use keyfob::vault::Key;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::ScreenState;
use super::create::key_from_input;
use crate::tui::app::{Action, App, Effect, Job};
use crate::tui::input::TextInput;
use crate::tui::keymap::{Cmd, Context};
use crate::tui::view::{Theme, input_line, render_form_screen};
use crate::tui::worker::WorkerEvent;

/// The unlock form.
#[derive(Default, Clone)]
pub struct UnlockForm {
    /// The passphrase typed so far.
    pub passphrase: TextInput,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

impl ScreenState for UnlockForm {
    fn context(&self) -> Context {
        Context::Unlock
    }

    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        if app.busy.is_some() {
            return Vec::new();
        }
        if self.passphrase.apply(&action) {
            return Vec::new();
        }
        match action {
            Action::Cmd(Cmd::Cancel) => {
                app.quit = true;
                return vec![Effect::Quit];
            }
            Action::Cmd(Cmd::Submit) => {
                if let Some(path) = &app.settings.identity {
                    match Key::from_identity_file(path) {
                        Ok(key) => return app.start("Unlocking", Job::Unlock(key)),
                        Err(e) => self.error = Some(format!("{e} ('{}')", path.display())),
                    }
                } else if self.passphrase.is_empty() {
                    self.error = Some("type the vault passphrase".into());
                } else {
                    let key = key_from_input(self.passphrase.text());
                    self.passphrase.clear();
                    self.error = None;
                    return app.start("Unlocking", Job::Unlock(key));
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_worker(&mut self, app: &mut App, event: WorkerEvent) -> Vec<Effect> {
        match event {
            WorkerEvent::UnlockFailed {
                message,
                wrong_key: true,
            } => self.error = Some(message),
            other => {
                if let Some(message) = other.into_error() {
                    app.error(message);
                }
            }
        }
        Vec::new()
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        let mut lines = vec![
            Line::from(Span::styled("The vault is locked.", theme.title())),
            Line::from(Span::styled(
                app.settings.vault_path.display().to_string(),
                theme.dim(),
            )),
            Line::default(),
        ];
        if let Some(identity) = &app.settings.identity {
            lines.push(Line::from(format!(
                "Press Enter to unlock with the identity {}.",
                identity.display()
            )));
        } else {
            lines.push(input_line(
                "Passphrase",
                &self.passphrase,
                true,
                app.busy.is_none(),
                theme,
                10,
                area.width as usize,
            ));
        }
        render_form_screen(
            app,
            "locked",
            lines,
            self.error.as_deref(),
            self.context(),
            area,
            buf,
        );
    }
}
