//! The import screen (Ctrl-O): paths in (Tab completes them), a masked
//! password when a source is encrypted, an identity file when it is a keyfob
//! backup encrypted to age recipients, the preview of what would be added
//! (the dry run of `keyfob import`, read on the worker), and Enter to add it.

use keyfob::import::session::Preview;
use keyfob::text::{Escaped, escape_path, with_causes};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::ScreenState;
use super::sources::SourceFields;
use crate::tui::app::{Action, App, Effect, Job};
use crate::tui::keymap::{Cmd, Context};
use crate::tui::view::{Theme, render_form_screen};
use crate::tui::worker::WorkerEvent;

/// The import screen.
#[derive(Default)]
pub struct ImportScreen {
    /// The paths to import, and the password and identity of encrypted ones.
    pub fields: SourceFields,
    /// The preview of the paths as typed when it was made.
    pub preview: Option<(String, Box<Preview>)>,
    /// Why the last attempt was refused, or what Tab found.
    pub note: Option<String>,
}

impl ImportScreen {
    /// Whether some file still waits for a password or an identity.
    fn waiting_for_a_key(preview: &Preview) -> bool {
        preview.needing_password().next().is_some() || preview.needing_identity().next().is_some()
    }

    /// The preview, if it is of the paths as they are typed now.
    fn current(&self) -> Option<&Preview> {
        self.preview
            .as_ref()
            .filter(|(typed, _)| *typed == self.fields.paths.text())
            .map(|(_, preview)| &**preview)
    }

    fn submit(&mut self, app: &mut App) -> Vec<Effect> {
        if let Some(preview) = self.current() {
            if preview.added() > 0 && !Self::waiting_for_a_key(preview) {
                let added = preview.commit(&mut app.accounts);
                let message = format!(
                    "Imported {added} account{}",
                    if added == 1 { "" } else { "s" }
                );
                app.show_list();
                app.set_status(message.clone());
                return app.save(&message);
            }
            if preview.added() == 0 && !Self::waiting_for_a_key(preview) {
                self.note = Some("Nothing new to import: change the paths, or Esc".into());
                return Vec::new();
            }
        }
        let paths = match self
            .fields
            .typed_paths("Type the files or directories to import")
        {
            Ok(paths) => paths,
            Err(message) => {
                self.note = Some(message);
                return Vec::new();
            }
        };
        self.note = None;
        app.start("Reading", Job::ImportPreview(paths, self.fields.keys()))
    }
}

impl ScreenState for ImportScreen {
    fn context(&self) -> Context {
        Context::Import
    }

    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        if app.waiting() {
            return Vec::new();
        }
        match self.fields.update(action, &mut self.note) {
            Some(Action::Cmd(Cmd::Cancel)) => app.show_list(),
            Some(Action::Cmd(Cmd::Submit)) => return self.submit(app),
            _ => {}
        }
        Vec::new()
    }

    fn on_worker(&mut self, app: &mut App, event: WorkerEvent) -> Vec<Effect> {
        match event {
            WorkerEvent::Previewed(Ok(preview)) => {
                if preview.needing_password().next().is_some() {
                    self.fields.ask_password();
                    self.note = Some(if self.fields.password.is_empty() {
                        "A source is encrypted: type its password, then Enter".into()
                    } else {
                        "The password does not open it: try again".into()
                    });
                } else if preview.needing_identity().next().is_some() {
                    self.fields.ask_identity();
                    self.note = Some(if self.fields.identity.text().trim().is_empty() {
                        "A keyfob backup is encrypted to age recipients: type the path of one's identity file (Tab completes), then Enter".into()
                    } else {
                        "That identity is not one of the backup's recipients: try another".into()
                    });
                }
                self.preview = Some((self.fields.paths.text().to_string(), preview));
            }
            WorkerEvent::Previewed(Err(message)) => self.note = Some(message),
            other => super::unexpected(app, other),
        }
        Vec::new()
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        let width = area.width as usize;
        let mut lines = vec![
            Line::from(Span::styled("Import accounts", theme.title())),
            Line::from(
                "Files or directories (space between them; Tab completes): other apps' exports, QR screenshots, keyfob backups.",
            ),
            Line::default(),
        ];
        lines.extend(self.fields.lines("Paths", theme, width));
        if let Some(note) = &self.note {
            lines.push(Line::from(Span::styled(note.clone(), theme.warn())));
        }
        if let Some(preview) = self.current() {
            lines.push(Line::default());
            lines.extend(preview_lines(preview, theme));
        }
        render_form_screen(app, "import", lines, None, self.context(), area, buf);
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the preview says, file by file: the dry run of `keyfob import`.
fn preview_lines(preview: &Preview, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for file in &preview.files {
        let name = escape_path(&file.path);
        let outcome = match &file.result {
            Ok(outcome) => outcome,
            Err(error) => {
                lines.push(Line::from(Span::styled(
                    format!("{name}: {}", Escaped(&with_causes(error))),
                    theme.error(),
                )));
                continue;
            }
        };
        let mut parts = vec![format!("{} new", file.added.len())];
        if file.duplicates > 0 {
            parts.push(plural(file.duplicates, "duplicate", "duplicates"));
        }
        if !outcome.skipped.is_empty() {
            parts.push(format!("{} cannot be moved", outcome.skipped.len()));
        }
        if !outcome.not_otp.is_empty() {
            parts.push(format!(
                "{} not for OTP ({})",
                plural(outcome.not_otp.len(), "QR code", "QR codes"),
                outcome.not_otp.join(", ")
            ));
        }
        lines.push(Line::from(format!(
            "{name} ({}): {}",
            outcome.kind,
            parts.join(", ")
        )));
        for account in &file.added {
            lines.push(Line::from(format!("  + {}", account.label())));
        }
        for skipped in &outcome.skipped {
            lines.push(Line::from(Span::styled(
                format!(
                    "  cannot be moved: {}: {}",
                    skipped.label(),
                    Escaped(&skipped.reason)
                ),
                theme.warn(),
            )));
        }
    }
    for gap in preview.missing_batches() {
        let numbers: Vec<String> = gap.missing.iter().map(i32::to_string).collect();
        lines.push(Line::from(Span::styled(
            format!(
                "Google Authenticator export: QR code{} {} of {} still missing: add {} too",
                if gap.missing.len() == 1 { "" } else { "s" },
                numbers.join(", "),
                gap.batch_size,
                if gap.missing.len() == 1 { "it" } else { "them" }
            ),
            theme.warn(),
        )));
    }
    let added = preview.added();
    lines.push(Line::from(Span::styled(
        if added > 0 && !ImportScreen::waiting_for_a_key(preview) {
            format!(
                "Enter adds {}{}.",
                plural(added, "account", "accounts"),
                match preview.duplicates() {
                    0 => String::new(),
                    n => format!(" ({} left out)", plural(n, "duplicate", "duplicates")),
                }
            )
        } else if preview.needing_password().next().is_some() {
            "Enter reads it again with the password.".to_string()
        } else if preview.needing_identity().next().is_some() {
            "Enter reads it again with the identity.".to_string()
        } else {
            "Nothing new to add.".to_string()
        },
        theme.title(),
    )));
    lines
}
