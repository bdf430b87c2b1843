//! The merge screen (Ctrl-G): other copies of this vault (the sync-conflict
//! files found beside it are filled in; a USB stick's copy or a keyfob age
//! backup can be typed, Tab completes), a masked password or an identity file
//! when a copy does not open with the vault's own key, the preview of what
//! merging would do (the dry run of `keyfob merge`, read on the worker), and
//! Enter to merge and save. The copies are only read.

use std::path::PathBuf;

use keyfob::text::escape_path;
use keyfob::vault::MergeReport;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::ScreenState;
use super::sources::SourceFields;
use crate::tui::app::{Action, App, Effect, Job};
use crate::tui::keymap::{Cmd, Context};
use crate::tui::paths;
use crate::tui::view::{Theme, render_form_screen};
use crate::tui::worker::WorkerEvent;

/// The merge screen.
#[derive(Default)]
pub struct MergeScreen {
    /// The copies to merge, and the password and identity of those the vault's
    /// own key does not open.
    pub fields: SourceFields,
    /// What merging would do, for the paths as typed when it was read.
    pub preview: Option<(String, Vec<(PathBuf, MergeReport)>)>,
    /// Why the last attempt was refused, or what Tab found.
    pub note: Option<String>,
}

impl MergeScreen {
    /// The screen with the sync-conflict copies beside the vault that hold
    /// something not merged yet filled in.
    pub fn new(app: &App) -> Self {
        let vault = keyfob::vault::paths::resolve_vault(&app.settings.vault_path)
            .unwrap_or_else(|_| app.settings.vault_path.clone());
        let log = keyfob::vault::backups::BackupLog::load(&vault);
        let found = keyfob::vault::copies::unmerged(&vault, &log);
        let note = found.is_empty().then(|| {
            "No sync-conflict copy waits beside the vault: type the path of another copy or a keyfob backup".to_string()
        });
        MergeScreen {
            fields: SourceFields::with_paths(&paths::join(&found)),
            note,
            preview: None,
        }
    }

    /// The preview, if it is of the paths as they are typed now.
    fn current(&self) -> Option<&[(PathBuf, MergeReport)]> {
        self.preview
            .as_ref()
            .filter(|(typed, _)| *typed == self.fields.paths.text())
            .map(|(_, reports)| reports.as_slice())
    }

    fn submit(&mut self, app: &mut App) -> Vec<Effect> {
        let paths = match self
            .fields
            .typed_paths("Type the path of another copy of this vault")
        {
            Ok(paths) => paths,
            Err(message) => {
                self.note = Some(message);
                return Vec::new();
            }
        };
        self.note = None;
        let keys = self.fields.keys();
        if self.current().is_some() {
            // Also when nothing is new: the copies are then noted as merged, so
            // the list stops naming them.
            return app.start("Merging", Job::Merge(paths, keys));
        }
        app.start("Reading", Job::MergePreview(paths, keys))
    }

    /// A copy did not open with the keys given: ask for the one it needs.
    fn ask_for_key(&mut self, message: String, password: bool, identity: bool) {
        if password {
            self.fields.ask_password();
        } else if identity {
            self.fields.ask_identity();
        }
        self.preview = None;
        self.note = Some(message);
    }
}

impl ScreenState for MergeScreen {
    fn context(&self) -> Context {
        Context::Merge
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
            WorkerEvent::MergePreviewed(Ok(reports)) => {
                self.preview = Some((self.fields.paths.text().to_string(), reports));
            }
            WorkerEvent::MergePreviewed(Err(failed)) | WorkerEvent::Merged(Err(failed)) => {
                self.ask_for_key(failed.message, failed.needs_password, failed.needs_identity);
            }
            WorkerEvent::Merged(Ok(merged)) => {
                let mut total = MergeReport::default();
                for (_, report) in merged.reports {
                    total.extend(report);
                }
                let mut message = if total.changed {
                    format!("Merged: {}", total.counts())
                } else {
                    "Nothing new: the vault already held everything in it".to_string()
                };
                if !total.conflicts.is_empty() {
                    message.push_str(" (conflicts are tagged 'conflict': check which works, then remove the other)");
                }
                match merged.done_with.len() {
                    0 => {}
                    1 => message.push_str("; the copy can be deleted once every device has synced"),
                    _ => {
                        message.push_str("; the copies can be deleted once every device has synced")
                    }
                }
                if let Some(error) = merged.unnoted {
                    message.push_str(&format!("; the merged copies could not be noted: {error}"));
                }
                app.set_accounts(merged.accounts);
                app.reminder = merged.reminder;
                app.show_list();
                app.set_status(message);
            }
            other => super::unexpected(app, other),
        }
        Vec::new()
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        let width = area.width as usize;
        let mut lines = vec![
            Line::from(Span::styled(
                "Merge another copy of this vault",
                theme.title(),
            )),
            Line::from(
                "Per account the later change wins, what was deleted stays deleted, HOTP counters never go back, and two different secrets are both kept. The copies are only read.",
            ),
            Line::default(),
        ];
        lines.extend(self.fields.lines("Copies", theme, width));
        if let Some(note) = &self.note {
            lines.push(Line::from(Span::styled(note.clone(), theme.warn())));
        }
        if let Some(reports) = self.current() {
            lines.push(Line::default());
            lines.extend(preview_lines(reports, theme));
        }
        render_form_screen(app, "merge", lines, None, self.context(), area, buf);
    }
}

/// What the preview says, copy by copy: the dry run of `keyfob merge`.
fn preview_lines(reports: &[(PathBuf, MergeReport)], theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (path, report) in reports {
        lines.push(Line::from(format!(
            "From '{}': {}.",
            escape_path(path),
            report.counts()
        )));
        for line in report.lines() {
            let style = if line.starts_with("conflict:") || line.starts_with("deleted:") {
                theme.warn()
            } else {
                Style::default()
            };
            lines.push(Line::from(Span::styled(format!("  {line}"), style)));
        }
    }
    let changed = reports.iter().any(|(_, r)| r.changed);
    lines.push(Line::from(Span::styled(
        if changed {
            "Enter merges and saves."
        } else {
            "Nothing new. Enter notes the copies as merged, so the list stops naming them."
        },
        theme.title(),
    )));
    lines
}
