//! Adding an account (an otpauth URI, an image with QR codes, or the fields
//! by hand) and editing one (issuer, name, tags, note).

use std::path::PathBuf;

use keyfob::account::AccountId;
use keyfob::{Account, Algorithm, Kind, Secret};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::ScreenState;
use crate::tui::app::{Action, App, Effect, Job, expand_home};
use crate::tui::form::{FieldName, Fields};
use crate::tui::keymap::{Cmd, Context};
use crate::tui::view::{
    Theme, field_lines, header, render_busy_or_status, render_footer, screen_areas,
};
use crate::tui::worker::WorkerEvent;

/// The fields of the add and edit forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountField {
    /// An otpauth URI, or the path of an image holding a QR code.
    Source,
    /// Issuer.
    Issuer,
    /// Account name.
    Name,
    /// Base32 secret.
    Secret,
    /// totp, hotp or steam.
    Kind,
    /// Number of digits.
    Digits,
    /// Period (totp) or counter (hotp).
    Period,
    /// Hash algorithm.
    Algorithm,
    /// Comma-separated tags.
    Tags,
    /// Note.
    Note,
}

impl FieldName for AccountField {
    fn label(self) -> &'static str {
        match self {
            AccountField::Source => "URI or image",
            AccountField::Issuer => "Issuer",
            AccountField::Name => "Name",
            AccountField::Secret => "Secret",
            AccountField::Kind => "Type",
            AccountField::Digits => "Digits",
            AccountField::Period => "Period/counter",
            AccountField::Algorithm => "Algorithm",
            AccountField::Tags => "Tags",
            AccountField::Note => "Note",
        }
    }
    fn masked(self) -> bool {
        self == AccountField::Secret
    }
}

/// Adding a new account or editing an existing one.
#[derive(Clone)]
pub struct AccountForm {
    /// The account being edited; `None` adds a new one.
    pub editing: Option<AccountId>,
    /// The fields, in order.
    pub fields: Fields<AccountField>,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

impl AccountForm {
    /// An empty add form.
    pub fn add() -> Self {
        use AccountField as F;
        AccountForm {
            editing: None,
            fields: Fields::new(&[
                (F::Source, ""),
                (F::Issuer, ""),
                (F::Name, ""),
                (F::Secret, ""),
                (F::Kind, "totp"),
                (F::Digits, "6"),
                (F::Period, "30"),
                (F::Algorithm, "SHA1"),
                (F::Tags, ""),
            ]),
            error: None,
        }
    }

    /// An edit form filled from `account`.
    pub fn edit(account: &Account) -> Self {
        use AccountField as F;
        AccountForm {
            editing: Some(account.id.clone()),
            fields: Fields::new(&[
                (F::Issuer, &account.issuer),
                (F::Name, &account.name),
                (F::Tags, &account.tags.join(", ")),
                (F::Note, &account.note),
            ]),
            error: None,
        }
    }

    fn text(&self, name: AccountField) -> &str {
        self.fields.text(name)
    }
}

impl ScreenState for AccountForm {
    fn context(&self) -> Context {
        Context::AccountForm
    }

    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        if app.waiting() {
            return Vec::new();
        }
        if self.fields.apply(&action) {
            return Vec::new();
        }
        match action {
            Action::Cmd(Cmd::NextField) => self.fields.next(),
            Action::Cmd(Cmd::PrevField) => self.fields.prev(),
            Action::Cmd(Cmd::Cancel) => app.show_list(),
            Action::Cmd(Cmd::Submit) => {
                return match self.editing.clone() {
                    None => self.submit_add(app),
                    Some(id) => self.submit_edit(app, &id),
                };
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_worker(&mut self, app: &mut App, event: WorkerEvent) -> Vec<Effect> {
        match event {
            WorkerEvent::Scanned(Ok(accounts)) => self.scanned(app, accounts),
            WorkerEvent::Scanned(Err(message)) => {
                self.error = Some(message);
                Vec::new()
            }
            other => {
                if let Some(message) = other.into_error() {
                    app.error(message);
                }
                Vec::new()
            }
        }
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        let [top, body, status, footer] = screen_areas(area);
        let title = if self.editing.is_some() {
            "edit account"
        } else {
            "add account"
        };
        Paragraph::new(header(theme, title)).render(top, buf);
        let mut lines = Vec::new();
        if self.editing.is_none() && area.height >= 18 {
            lines.push(Line::from(Span::styled(
                "Paste an otpauth:// URI or type the path of a QR image, or leave it empty and fill in the fields.",
                theme.dim(),
            )));
        }
        let hint = lines.len();
        lines.extend(field_lines(&self.fields, true, theme, area.width as usize));
        if let Some(error) = &self.error {
            lines.push(Line::from(Span::styled(error.clone(), theme.error())));
        }
        // Keep the focused field in view on a short terminal.
        let focus_line = hint + self.fields.focus_index();
        let scroll = focus_line.saturating_sub(usize::from(body.height.saturating_sub(2)));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(scroll).unwrap_or(0), 0))
            .render(body, buf);
        render_busy_or_status(app, theme, status, buf);
        render_footer(self.context(), &[], theme, footer, buf);
    }
}

fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    tags
}

/// Builds an account from the add form's fields (not the URI field).
pub fn account_from_fields(form: &AccountForm, now: i64) -> Result<Account, String> {
    use AccountField as F;
    let secret_text = form.text(F::Secret);
    if secret_text.trim().is_empty() {
        return Err("paste an otpauth URI, give an image path, or type the secret".into());
    }
    let secret = Secret::from_base32(secret_text).map_err(|e| e.to_string())?;
    let number = |field: AccountField, what: &str| -> Result<u64, String> {
        let text = form.text(field).trim();
        text.parse::<u64>().map_err(|_| {
            format!(
                "the {what} '{}' is not a number",
                text.chars().take(20).collect::<String>()
            )
        })
    };
    let kind = match form.text(F::Kind).trim().to_ascii_lowercase().as_str() {
        "" | "totp" => Kind::Totp {
            period: u32::try_from(number(F::Period, "period")?)
                .map_err(|_| "the period is too long".to_string())?,
        },
        "hotp" => Kind::Hotp {
            counter: number(F::Period, "counter")?,
        },
        "steam" => Kind::Steam,
        other => {
            return Err(format!(
                "unknown type '{}' (totp, hotp or steam)",
                other.chars().take(20).collect::<String>()
            ));
        }
    };
    let algorithm = Algorithm::parse(form.text(F::Algorithm)).map_err(|e| e.to_string())?;
    let digits = u8::try_from(number(F::Digits, "number of digits")?)
        .map_err(|_| "too many digits".to_string())?;
    let mut account = Account::new(
        form.text(F::Issuer),
        form.text(F::Name),
        secret,
        kind,
        algorithm,
        digits,
        now,
    )
    .map_err(|e| e.to_string())?;
    account.tags = parse_tags(form.text(F::Tags));
    Ok(account)
}

impl AccountForm {
    fn submit_add(&mut self, app: &mut App) -> Vec<Effect> {
        let source = self.text(AccountField::Source).trim().to_string();
        let checked = |account: Account| match account.check_input() {
            Ok(()) => Ok(account),
            Err(e) => Err(e.to_string()),
        };
        let result = if source.is_empty() {
            account_from_fields(self, app.now).and_then(checked)
        } else if source.to_ascii_lowercase().starts_with("otpauth") {
            let tags = parse_tags(self.text(AccountField::Tags));
            keyfob::uri::parse(&source, app.now)
                .map(|mut account| {
                    account.tags.extend(tags);
                    account
                })
                .map_err(|e| e.to_string())
                .and_then(checked)
        } else {
            let path: PathBuf = expand_home(&source);
            if !path.is_file() {
                self.error = Some(format!(
                    "'{}' is neither an otpauth:// URI nor an image file",
                    path.display()
                ));
                return Vec::new();
            }
            self.error = None;
            return app.start("Reading the QR code", Job::Scan(path));
        };
        let account = match result {
            Err(message) => {
                self.error = Some(message);
                return Vec::new();
            }
            Ok(account) => account,
        };
        if let Some(existing) = app.accounts.iter().find(|a| a.same_token(&account)) {
            self.error = Some(format!(
                "this account is already in the vault as '{}'",
                existing.label()
            ));
            return Vec::new();
        }
        let label = account.label();
        let id = account.id.clone();
        app.accounts.push(account);
        app.query.clear();
        app.show_list();
        app.set_status(format!("Added {label}"));
        let effects = app.save("added an account");
        app.select(&id);
        effects
    }

    fn submit_edit(&mut self, app: &mut App, id: &AccountId) -> Vec<Effect> {
        let Some(index) = app.find(id) else {
            app.show_list();
            return Vec::new();
        };
        let Some(original) = app.accounts.get(index) else {
            return Vec::new();
        };
        let mut edited = original.clone();
        edited.issuer = self.text(AccountField::Issuer).trim().to_string();
        edited.name = self.text(AccountField::Name).trim().to_string();
        edited.tags = parse_tags(self.text(AccountField::Tags));
        edited.note = self.text(AccountField::Note).to_string();
        edited.modified = app.now;
        if let Err(e) = edited.check_input() {
            self.error = Some(e.to_string());
            return Vec::new();
        }
        let label = edited.label();
        if let Some(slot) = app.accounts.get_mut(index) {
            *slot = edited;
        }
        app.show_list();
        app.set_status(format!("Saved {label}"));
        app.save("edited an account")
    }

    /// Accounts read from the image the user gave.
    fn scanned(&mut self, app: &mut App, accounts: Vec<Account>) -> Vec<Effect> {
        let mut added = 0;
        let mut duplicates = 0;
        for account in accounts {
            if app.accounts.iter().any(|a| a.same_token(&account)) {
                duplicates += 1;
            } else {
                app.accounts.push(account);
                added += 1;
            }
        }
        if added == 0 {
            self.error = Some("every account in the image is already in the vault".into());
            return Vec::new();
        }
        app.show_list();
        app.set_status(format!(
            "Added {added} account{} from the image{}",
            if added == 1 { "" } else { "s" },
            if duplicates > 0 {
                format!(" ({duplicates} already there)")
            } else {
                String::new()
            }
        ));
        app.save("added from an image")
    }
}
