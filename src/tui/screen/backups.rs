//! The backups screen (Ctrl-P): the backup status at the top (last verified
//! backup, its age, accounts not in it), then one action at a time: a paper
//! sheet, an age backup (to a passphrase asked twice, or to recipients;
//! armored or not), Google QR codes for a phone, an Aegis file, a URI list,
//! or verifying a backup. Every action is the library's job, run on the
//! worker: `export::write` for the exports, `verify` for the check.

use keyfob::export::{ExportFormat, ExportOptions, paper};
use keyfob::vault::backups::BackupStatus;
use keyfob::vault::crypto::{self, BackupTarget};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use secrecy::SecretString;

use super::ScreenState;
use crate::tui::app::{Action, App, Effect, Job, expand_home};
use crate::tui::input::TextInput;
use crate::tui::keymap::{Cmd, Context};
use crate::tui::paths;
use crate::tui::view::{Theme, input_line, render_form_screen, value_line};
use crate::tui::worker::WorkerEvent;

/// What the screen does on Enter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Write a paper sheet (PDF).
    Paper,
    /// Write an age backup of the vault.
    Age,
    /// Write Google Authenticator QR codes (PNG images).
    GoogleQr,
    /// Write a plain Aegis file.
    Aegis,
    /// Write a plain list of otpauth URIs.
    Uris,
    /// Check a backup against the vault.
    Verify,
}

impl Task {
    const ALL: [Task; 6] = [
        Task::Paper,
        Task::Age,
        Task::GoogleQr,
        Task::Aegis,
        Task::Uris,
        Task::Verify,
    ];

    fn name(self) -> &'static str {
        match self {
            Task::Paper => "paper sheet (PDF)",
            Task::Age => "age backup (encrypted)",
            Task::GoogleQr => "QR codes for a phone (Google export)",
            Task::Aegis => "Aegis file",
            Task::Uris => "otpauth URI list",
            Task::Verify => "verify a backup",
        }
    }

    fn format(self) -> Option<ExportFormat> {
        match self {
            Task::Paper => Some(ExportFormat::Paper),
            Task::Age => Some(ExportFormat::Age),
            Task::GoogleQr => Some(ExportFormat::GoogleQr),
            Task::Aegis => Some(ExportFormat::Aegis),
            Task::Uris => Some(ExportFormat::Uris),
            Task::Verify => None,
        }
    }

    /// The file (or directory) written, dated.
    fn default_path(self, date: &str) -> String {
        match self {
            Task::Paper => format!("keyfob-paper-{date}.pdf"),
            Task::Age => format!("keyfob-backup-{date}.age"),
            Task::GoogleQr => format!("keyfob-google-{date}"),
            Task::Aegis => format!("keyfob-aegis-{date}.json"),
            Task::Uris => format!("keyfob-uris-{date}.txt"),
            Task::Verify => String::new(),
        }
    }
}

/// One line of the screen the cursor can be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// What to do.
    Task,
    /// Where to write, or what to check.
    Path,
    /// A4 or US Letter.
    Paper,
    /// An age backup's own passphrase, or recipients.
    Target,
    /// The passphrase (of the backup written, or of the one checked).
    Passphrase,
    /// The passphrase again.
    Repeat,
    /// `age1…` recipients.
    Recipients,
    /// The identity file opening a backup checked that is encrypted to recipients.
    Identity,
    /// ASCII armor or binary.
    Armor,
}

impl Row {
    fn is_text(self) -> bool {
        matches!(
            self,
            Row::Path | Row::Passphrase | Row::Repeat | Row::Recipients | Row::Identity
        )
    }
}

/// The backups screen.
pub struct BackupsScreen {
    /// What Enter does.
    pub task: Task,
    /// Where the cursor is.
    pub focus: Row,
    /// Where to write, or the files to check.
    pub path: TextInput,
    /// The paper size of a sheet.
    pub size: paper::PaperSize,
    /// An age backup goes to recipients rather than a passphrase.
    pub to_recipients: bool,
    /// The passphrase.
    pub passphrase: TextInput,
    /// The passphrase again.
    pub repeat: TextInput,
    /// Recipients, space between them.
    pub recipients: TextInput,
    /// The identity file of a backup checked that is encrypted to recipients.
    pub identity: TextInput,
    /// ASCII-armor an age backup.
    pub armor: bool,
    /// The backup status, once the worker read it.
    pub status: Option<BackupStatus>,
    /// The last result: a verification report, or what was written.
    pub result: Vec<String>,
    /// Why the last attempt was refused.
    pub error: Option<String>,
    date: String,
}

impl BackupsScreen {
    /// The screen on a paper sheet, and the job reading the backup status.
    pub fn open(app: &mut App) -> (Self, Vec<Effect>) {
        let date = crate::tui::date(app.now);
        let screen = BackupsScreen {
            task: Task::Paper,
            focus: Row::Task,
            path: TextInput::with_text(&Task::Paper.default_path(&date)),
            size: paper::PaperSize::default(),
            to_recipients: false,
            passphrase: TextInput::default(),
            repeat: TextInput::default(),
            recipients: TextInput::default(),
            identity: TextInput::default(),
            armor: false,
            status: None,
            result: Vec::new(),
            error: None,
            date,
        };
        (screen, vec![Effect::Job(Job::BackupStatus)])
    }

    /// The lines the cursor can be on, for the task chosen.
    pub fn rows(&self) -> Vec<Row> {
        match self.task {
            Task::Paper => vec![Row::Task, Row::Path, Row::Paper],
            Task::Age if self.to_recipients => {
                vec![
                    Row::Task,
                    Row::Path,
                    Row::Target,
                    Row::Recipients,
                    Row::Armor,
                ]
            }
            Task::Age => vec![
                Row::Task,
                Row::Path,
                Row::Target,
                Row::Passphrase,
                Row::Repeat,
                Row::Armor,
            ],
            Task::GoogleQr | Task::Aegis | Task::Uris => vec![Row::Task, Row::Path],
            Task::Verify => vec![Row::Task, Row::Path, Row::Passphrase, Row::Identity],
        }
    }

    fn input(&mut self, row: Row) -> Option<&mut TextInput> {
        match row {
            Row::Path => Some(&mut self.path),
            Row::Passphrase => Some(&mut self.passphrase),
            Row::Repeat => Some(&mut self.repeat),
            Row::Recipients => Some(&mut self.recipients),
            Row::Identity => Some(&mut self.identity),
            _ => None,
        }
    }

    fn move_focus(&mut self, forward: bool) {
        self.focus = super::next(&self.rows(), self.focus, forward);
    }

    fn change(&mut self, forward: bool) {
        match self.focus {
            Row::Task => {
                self.task = super::next(&Task::ALL, self.task, forward);
                self.path.clear();
                self.path.paste(&self.task.default_path(&self.date));
                self.passphrase.clear();
                self.repeat.clear();
                self.error = None;
            }
            Row::Paper => {
                self.size = match self.size {
                    paper::PaperSize::A4 => paper::PaperSize::Letter,
                    _ => paper::PaperSize::A4,
                };
            }
            Row::Target => self.to_recipients = !self.to_recipients,
            Row::Armor => self.armor = !self.armor,
            _ => {}
        }
    }

    fn submit(&mut self, app: &mut App) -> Vec<Effect> {
        match self.job(app) {
            Ok((what, job)) => {
                self.error = None;
                self.result.clear();
                app.start(what, job)
            }
            Err(message) => {
                self.error = Some(message);
                Vec::new()
            }
        }
    }

    /// The job Enter starts, or what is missing.
    fn job(&self, app: &App) -> Result<(&'static str, Job), String> {
        let typed = self.path.text().trim();
        let Some(format) = self.task.format() else {
            let files = paths::split(typed)?;
            if files.is_empty() {
                return Err("type the scans, photos, PDF or age backup to check".into());
            }
            let keys = super::typed_keys(&self.passphrase, &self.identity);
            return Ok(("Checking the backup", Job::Verify(files, keys)));
        };
        if typed.is_empty() {
            return Err("type where to write it".into());
        }
        if app.accounts.is_empty() {
            return Err("there are no accounts to export".into());
        }
        let mut options = ExportOptions {
            paper: paper::PaperOptions {
                size: self.size,
                date: self.date.clone(),
                ..paper::PaperOptions::default()
            },
            armor: self.armor,
            now: app.now,
            ..ExportOptions::default()
        };
        if format == ExportFormat::Age {
            options.backup = Some(self.target()?);
        }
        let job = Job::Export(
            format,
            app.accounts.clone(),
            Box::new(options),
            expand_home(typed),
        );
        Ok(("Writing", job))
    }

    fn target(&self) -> Result<BackupTarget, String> {
        if self.to_recipients {
            let recipients = self
                .recipients
                .text()
                .split([' ', ','])
                .filter(|r| !r.is_empty())
                .map(|r| crypto::parse_recipient(r).map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            if recipients.is_empty() {
                return Err("type at least one age1… recipient".into());
            }
            return Ok(BackupTarget::Recipients(recipients));
        }
        if self.passphrase.is_empty() {
            return Err("type a passphrase for the backup, twice".into());
        }
        if self.passphrase.text() != self.repeat.text() {
            return Err("the two passphrases differ: type them again".into());
        }
        Ok(BackupTarget::Passphrase(SecretString::from(
            self.passphrase.text().to_string(),
        )))
    }
}

impl ScreenState for BackupsScreen {
    fn context(&self) -> Context {
        if self.focus.is_text() {
            Context::BackupsText
        } else {
            Context::Backups
        }
    }

    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        if app.waiting() {
            return Vec::new();
        }
        match action {
            Action::Edit(edit) => {
                if let Some(input) = self.input(self.focus) {
                    input.edit(&edit);
                }
            }
            Action::Paste(text) => {
                if let Some(input) = self.input(self.focus) {
                    input.paste(&text);
                }
            }
            Action::Cmd(Cmd::NextField) => self.move_focus(true),
            Action::Cmd(Cmd::PrevField) => self.move_focus(false),
            Action::Cmd(Cmd::NextChoice) => self.change(true),
            Action::Cmd(Cmd::PrevChoice) => self.change(false),
            Action::Cmd(Cmd::Complete) if matches!(self.focus, Row::Path | Row::Identity) => {
                let input = if self.focus == Row::Path {
                    &mut self.path
                } else {
                    &mut self.identity
                };
                if let Some(note) = paths::complete(input) {
                    app.set_status(note);
                }
            }
            Action::Cmd(Cmd::Cancel) => app.show_list(),
            Action::Cmd(Cmd::Submit) => return self.submit(app),
            _ => {}
        }
        Vec::new()
    }

    fn on_worker(&mut self, app: &mut App, event: WorkerEvent) -> Vec<Effect> {
        match event {
            WorkerEvent::Status(status) => self.status = Some(status),
            WorkerEvent::Exported(Ok(message)) => {
                self.passphrase.clear();
                self.repeat.clear();
                self.result = vec![message];
                return vec![Effect::Job(Job::BackupStatus)];
            }
            WorkerEvent::Exported(Err(message)) => self.error = Some(message),
            WorkerEvent::Verified(Ok(verified)) => {
                let report = &verified.report;
                self.result = report.to_string().lines().map(str::to_string).collect();
                self.result.push(if report.recorded {
                    "Recorded as a verified backup.".into()
                } else if let Some(error) = &report.record_error {
                    format!("Not recorded for reminders: {error}")
                } else {
                    "Not recorded: fix what differs, then make a new backup.".into()
                });
                self.status = Some(verified.status.clone());
                app.reminder = verified.reminder.clone();
                self.passphrase.clear();
            }
            WorkerEvent::Verified(Err(failed)) => {
                if failed.needs_password {
                    self.focus = Row::Passphrase;
                } else if failed.needs_identity {
                    self.focus = Row::Identity;
                }
                self.error = Some(if failed.needs_password {
                    format!("{}: type its passphrase, then Enter", failed.message)
                } else if failed.needs_identity {
                    format!(
                        "{}: type the path of the identity file, then Enter",
                        failed.message
                    )
                } else {
                    failed.message
                });
            }
            other => super::unexpected(app, other),
        }
        Vec::new()
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        let width = area.width as usize;
        let mut lines = status_lines(self.status.as_ref(), theme);
        lines.push(Line::default());
        const LABEL: usize = 10;
        for row in self.rows() {
            let focused = self.focus == row;
            let choice = |value: &str| {
                if focused {
                    value_line(row_label(row), &format!("‹ {value} ›"), theme, LABEL)
                } else {
                    value_line(row_label(row), value, theme, LABEL)
                }
            };
            let text = |input: &TextInput, masked: bool| {
                input_line(row_label(row), input, masked, focused, theme, LABEL, width)
            };
            lines.push(match row {
                Row::Task => choice(self.task.name()),
                Row::Path => text(&self.path, false),
                Row::Paper => choice(match self.size {
                    paper::PaperSize::Letter => "US Letter",
                    _ => "A4",
                }),
                Row::Target => choice(if self.to_recipients {
                    "age recipients"
                } else {
                    "a passphrase of its own"
                }),
                Row::Passphrase => text(&self.passphrase, true),
                Row::Repeat => text(&self.repeat, true),
                Row::Recipients => text(&self.recipients, false),
                Row::Identity => text(&self.identity, false),
                Row::Armor => choice(if self.armor {
                    "ASCII armor (text)"
                } else {
                    "binary"
                }),
            });
        }
        if let Some(warning) = self.task.format().and_then(ExportFormat::plaintext_warning) {
            lines.push(Line::from(Span::styled(
                format!("{}: {warning}.", self.path.text().trim()),
                theme.warn(),
            )));
        }
        if self.task == Task::Verify {
            lines.push(Line::from(Span::styled(
                "Scans or photos of a printed sheet, its PDF, or an age backup (Tab completes; a passphrase or an identity file only for an age backup).",
                theme.dim(),
            )));
        }
        if !self.result.is_empty() {
            lines.push(Line::default());
            lines.extend(self.result.iter().map(|l| Line::from(l.clone())));
        }
        render_form_screen(
            app,
            "backups",
            lines,
            self.error.as_deref(),
            self.context(),
            area,
            buf,
        );
    }
}

fn row_label(row: Row) -> &'static str {
    match row {
        Row::Task => "Do",
        Row::Path => "File",
        Row::Paper => "Paper",
        Row::Target => "Encrypt to",
        Row::Passphrase => "Passphrase",
        Row::Repeat => "Again",
        Row::Recipients => "Recipients",
        Row::Identity => "Identity",
        Row::Armor => "Format",
    }
}

/// The backup status in words.
fn status_lines(status: Option<&BackupStatus>, theme: Theme) -> Vec<Line<'static>> {
    let Some(status) = status else {
        return vec![Line::from(Span::styled(
            "Reading the backup log…",
            theme.dim(),
        ))];
    };
    let Some(last) = &status.last_verified else {
        return vec![Line::from(Span::styled(
            "No verified backup yet: make one below, then verify it.",
            theme.warn(),
        ))];
    };
    let days = match last.age_days {
        0 => "today".to_string(),
        1 => "yesterday".to_string(),
        n => format!("{n} days ago"),
    };
    let mut lines = vec![Line::from(format!(
        "Last verified backup: {} backup, checked {days} ({}).",
        last.kind,
        crate::tui::date(last.verified)
    ))];
    let missing = status.uncovered.len();
    if missing > 0 {
        lines.push(Line::from(Span::styled(
            format!(
                "{missing} of {} accounts {} not in it: make a new backup.",
                status.accounts,
                if missing == 1 { "is" } else { "are" }
            ),
            theme.warn(),
        )));
    } else if status.is_stale() {
        lines.push(Line::from(Span::styled(
            "It is old: verify it again or make a new one.",
            theme.warn(),
        )));
    } else {
        lines.push(Line::from(format!(
            "All {} accounts are in it.",
            status.accounts
        )));
    }
    lines
}
