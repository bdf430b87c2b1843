//! Windows over the current screen: the help, an error, the delete question.
//! An enum, not trait objects: there are few, and each is a few lines of
//! state, keys and drawing kept together here.

use keyfob::Account;
use keyfob::account::AccountId;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::app::{Action, App, Effect};
use super::keymap::{self, Cmd, Context};
use super::view::{Theme, centered, render_message};

/// A window over the current screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The keys of the screen below, from the `top`-th row (when they do not
    /// all fit).
    Help {
        /// The first row shown.
        top: usize,
    },
    /// "Delete this account?"
    ConfirmDelete(AccountId),
    /// Something went wrong; any key closes it.
    Error(String),
}

impl Popup {
    /// Where the keyboard is while the popup is open.
    pub fn context(&self) -> Context {
        match self {
            Popup::Help { .. } => Context::Help,
            Popup::Error(_) => Context::Message,
            Popup::ConfirmDelete(_) => Context::ConfirmDelete,
        }
    }

    /// Draws the popup over `area`.
    pub fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        match self {
            Popup::Help { top } => render_help(app.screen.context(), *top, theme, area, buf),
            Popup::Error(message) => {
                render_message(theme, "Error", message, "any key closes", true, area, buf)
            }
            Popup::ConfirmDelete(id) => {
                let label = app
                    .accounts
                    .iter()
                    .find(|a| &a.id == id)
                    .map_or_else(String::new, Account::label);
                let text = format!(
                    "Delete {label}? Its codes are gone for good unless a backup holds it."
                );
                render_message(
                    theme,
                    "Delete",
                    &text,
                    "y deletes, any other key keeps it",
                    true,
                    area,
                    buf,
                );
            }
        }
    }
}

/// Applies `action` to the open popup `popup` (taken out of the app; put
/// back unless the action closes it).
pub fn update(app: &mut App, popup: Popup, action: Action) -> Vec<Effect> {
    match popup {
        Popup::ConfirmDelete(id) => {
            if let Action::Cmd(Cmd::Confirm) = action
                && let Some(index) = app.find(&id)
            {
                let account = app.accounts.remove(index);
                app.hotp_codes.remove(&account.id);
                let label = account.label();
                app.set_status(format!("Deleted {label}"));
                return app.save("deleted an account");
            }
            app.set_status("Nothing deleted");
        }
        Popup::Help { top } => {
            let rows = keymap::help(app.screen.context()).len();
            let last = rows.saturating_sub(usize::from(app.rows.saturating_sub(2)));
            let page = usize::from(app.rows.saturating_sub(3)).max(1);
            let top = match action {
                // Scrolling, when not every row fits.
                Action::Cmd(Cmd::Down) if last > 0 => top + 1,
                Action::Cmd(Cmd::Up) if last > 0 => top.saturating_sub(1),
                Action::Cmd(Cmd::PageDown) if last > 0 => top + page,
                Action::Cmd(Cmd::PageUp) if last > 0 => top.saturating_sub(page),
                // Any other key closes it.
                Action::Cmd(_) => return Vec::new(),
                _ => top,
            };
            app.popup = Some(Popup::Help { top: top.min(last) });
        }
        Popup::Error(_) => {
            if !matches!(action, Action::Cmd(_)) {
                app.popup = Some(popup);
            }
        }
    }
    Vec::new()
}

fn render_help(context: Context, top: usize, theme: Theme, area: Rect, buf: &mut Buffer) {
    let rows = keymap::help(context);
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let lines: Vec<Line> = rows
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!("{key:>key_width$}  "), theme.key()),
                Span::raw(what.to_string()),
            ])
        })
        .collect();
    let height = (lines.len() as u16 + 2).min(area.height);
    let shown = usize::from(height.saturating_sub(2));
    let top = top.min(lines.len().saturating_sub(shown));
    let title = if lines.len() > shown {
        format!(
            " Keys {}-{} of {} (↓/↑ scroll, any other key closes) ",
            top + 1,
            top + shown,
            lines.len()
        )
    } else {
        " Keys (any key closes) ".to_string()
    };
    let lines: Vec<Line> = lines.into_iter().skip(top).collect();
    let popup = centered(area, 76, height);
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .block(Block::default().borders(Borders::ALL).title(title))
        .render(popup, buf);
}
