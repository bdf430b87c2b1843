//! The paper-sheet form (Ctrl-P): where to write the PDF and on which paper.

use keyfob::export::paper::PaperSize;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::ScreenState;
use crate::tui::app::{Action, App, Effect, Job, expand_home};
use crate::tui::input::TextInput;
use crate::tui::keymap::{Cmd, Context};
use crate::tui::view::{Theme, input_line, render_form_screen, value_line};
use crate::tui::worker::WorkerEvent;

/// The paper-sheet export form.
#[derive(Default, Clone)]
pub struct PaperForm {
    /// Where to write the PDF.
    pub path: TextInput,
    /// A4 or Letter (Tab switches).
    pub size: PaperSize,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

impl PaperForm {
    /// The form with a dated file name in the current directory.
    pub fn new(now: i64) -> Self {
        let date = crate::tui::date(now);
        PaperForm {
            path: TextInput::with_text(&format!("keyfob-paper-{date}.pdf")),
            size: PaperSize::default(),
            error: None,
        }
    }
}

fn paper_name(size: PaperSize) -> &'static str {
    match size {
        PaperSize::Letter => "US Letter",
        _ => "A4",
    }
}

impl ScreenState for PaperForm {
    fn context(&self) -> Context {
        Context::Paper
    }

    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        if app.waiting() {
            return Vec::new();
        }
        if self.path.apply(&action) {
            return Vec::new();
        }
        match action {
            Action::Cmd(Cmd::NextField | Cmd::PrevField) => {
                self.size = match self.size {
                    PaperSize::A4 => PaperSize::Letter,
                    _ => PaperSize::A4,
                };
            }
            Action::Cmd(Cmd::Cancel) => app.show_list(),
            Action::Cmd(Cmd::Submit) => {
                let typed = self.path.text().trim();
                let path = expand_home(typed);
                if typed.is_empty() {
                    self.error = Some("type where to write the PDF".into());
                } else if path.exists() {
                    self.error = Some(format!(
                        "'{}' exists; keyfob will not overwrite it",
                        path.display()
                    ));
                } else {
                    self.error = None;
                    let job = Job::ExportPaper(path, app.accounts.clone(), self.size);
                    return app.start("Writing the paper sheet", job);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_worker(&mut self, app: &mut App, event: WorkerEvent) -> Vec<Effect> {
        match event {
            WorkerEvent::Exported(Ok(message)) => {
                app.show_list();
                app.set_status(message);
            }
            WorkerEvent::Exported(Err(message)) => self.error = Some(message),
            other => {
                if let Some(message) = other.into_error() {
                    app.error(message);
                }
            }
        }
        Vec::new()
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        let lines = vec![
            Line::from(Span::styled("Print a paper recovery sheet", theme.title())),
            Line::from(format!(
                "A PDF with a QR code and the secret of each of the {} accounts. It is as sensitive as the vault: print it, keep it safe, delete the file, then check the printout with 'keyfob verify'.",
                app.accounts.len()
            )),
            Line::default(),
            input_line(
                "Write to",
                &self.path,
                false,
                true,
                theme,
                8,
                area.width as usize,
            ),
            value_line("Paper", paper_name(self.size), theme, 8),
        ];
        render_form_screen(
            app,
            "paper backup",
            lines,
            self.error.as_deref(),
            self.context(),
            area,
            buf,
        );
    }
}
