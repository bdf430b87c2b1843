//! The account list: search as you type (or after `/`), codes with their
//! countdown, Enter copies. The list's rows come from the app's shared
//! search state (`App::query`, `App::visible`), which other screens use to
//! know the selected account.

use keyfob::{Account, Kind, otp};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};
use zeroize::Zeroizing;

use super::{AccountForm, BackupsScreen, ImportScreen, MergeScreen, QrView, ScreenState};
use crate::tui::app::{Action, App, Effect};
use crate::tui::keymap::{Cmd, Context};
use crate::tui::popup::Popup;
use crate::tui::view::{Theme, header, pad, render_busy_or_status, render_footer, wrap_words};

/// Seconds before a code changes from which the next code is shown too.
pub const NEXT_CODE_WINDOW: u64 = 5;

/// The list's own state.
#[derive(Default, Clone)]
pub struct ListScreen {
    /// The cursor is in the search line (after `/`): ←/→/Home/End edit the query.
    pub search_focused: bool,
}

impl ScreenState for ListScreen {
    fn context(&self) -> Context {
        if self.search_focused {
            Context::Search
        } else {
            Context::List
        }
    }

    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        let changed = match &action {
            Action::Edit(edit) => app.query.edit(edit),
            Action::Paste(text) => app.query.paste(text),
            Action::Cmd(cmd) => return self.command(app, *cmd),
            _ => false,
        };
        if changed | app.query.strip_leading('/') {
            app.refilter();
        }
        Vec::new()
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        render_list_screen(app, self, theme, area, buf);
    }
}

impl ListScreen {
    fn command(&mut self, app: &mut App, cmd: Cmd) -> Vec<Effect> {
        match cmd {
            Cmd::FocusSearch => self.search_focused = true,
            Cmd::Cancel => {
                self.search_focused = false;
                if !app.query.is_empty() {
                    app.query.clear();
                    app.refilter();
                }
            }
            Cmd::Up => move_selection(app, -1),
            Cmd::Down => move_selection(app, 1),
            Cmd::PageUp => move_selection(app, -(app.page.max(1) as isize)),
            Cmd::PageDown => move_selection(app, app.page.max(1) as isize),
            Cmd::Top => app.selected = 0,
            Cmd::Bottom => app.selected = app.visible.len().saturating_sub(1),
            Cmd::Submit => return copy_selected(app),
            Cmd::Add => app.show(AccountForm::add()),
            Cmd::EditAccount => {
                if let Some(account) = app.selected_account() {
                    let form = AccountForm::edit(account);
                    app.show(form);
                }
            }
            Cmd::Delete => {
                if let Some(account) = app.selected_account() {
                    app.popup = Some(Popup::ConfirmDelete(account.id.clone()));
                }
            }
            Cmd::ToggleFavorite => return toggle_favorite(app),
            Cmd::MoveUp | Cmd::MoveDown => return reorder(app, cmd == Cmd::MoveUp),
            Cmd::ShowQr => {
                if let Some(account) = app.selected_account() {
                    let view = QrView {
                        id: account.id.clone(),
                        revealed: false,
                    };
                    app.show(view);
                }
            }
            Cmd::Import => app.show(ImportScreen::default()),
            Cmd::Merge => app.show(MergeScreen::new(app)),
            Cmd::Backups => {
                let (screen, effects) = BackupsScreen::open(app);
                app.show(Box::new(screen));
                return effects;
            }
            _ => {}
        }
        Vec::new()
    }
}

fn move_selection(app: &mut App, delta: isize) {
    if app.visible.is_empty() {
        app.selected = 0;
        return;
    }
    let last = app.visible.len() - 1;
    let target = app.selected as isize + delta;
    app.selected = target.clamp(0, last as isize) as usize;
}

fn toggle_favorite(app: &mut App) -> Vec<Effect> {
    let now = app.now;
    let Some(account) = app
        .visible
        .get(app.selected)
        .copied()
        .and_then(|index| app.accounts.get_mut(index))
    else {
        return Vec::new();
    };
    account.favorite = !account.favorite;
    account.modified = now;
    let message = if account.favorite {
        "pinned"
    } else {
        "unpinned"
    };
    let status = format!("{} {message}", account.label());
    app.set_status(status);
    app.save(message)
}

fn copy_selected(app: &mut App) -> Vec<Effect> {
    let Some(&index) = app.visible.get(app.selected) else {
        return Vec::new();
    };
    let now = app.now;
    let Some(account) = app.accounts.get_mut(index) else {
        return Vec::new();
    };
    let label = account.label();
    match account.kind {
        Kind::Hotp { counter } => {
            let code = match otp::generate(account, u64::try_from(now).unwrap_or(0)) {
                Ok(code) => Zeroizing::new(code.text.clone()),
                Err(e) => {
                    app.error(e.to_string());
                    return Vec::new();
                }
            };
            account.kind = Kind::Hotp {
                counter: counter.saturating_add(1),
            };
            account.modified = now;
            let id = account.id.clone();
            // The code on show was spent; the next one is shown and copied
            // once its counter is on disk.
            app.hotp_codes.remove(&id);
            app.save_then_copy("HOTP counter", id, code, label)
        }
        _ => match codes(account, now) {
            Some((code, _)) => vec![Effect::Copy {
                code: Zeroizing::new(code.text.clone()),
                label,
            }],
            None => {
                app.error("could not compute this account's code");
                Vec::new()
            }
        },
    }
}

fn reorder(app: &mut App, up: bool) -> Vec<Effect> {
    if !app.query.is_empty() {
        app.set_status("Clear the search (Esc) to reorder");
        return Vec::new();
    }
    let Some(&from) = app.visible.get(app.selected) else {
        return Vec::new();
    };
    let neighbour = if up {
        app.selected.checked_sub(1)
    } else {
        Some(app.selected + 1)
    };
    let Some(&to) = neighbour.and_then(|n| app.visible.get(n)) else {
        return Vec::new();
    };
    let same_group =
        app.accounts.get(from).map(|a| a.favorite) == app.accounts.get(to).map(|a| a.favorite);
    if !same_group {
        app.set_status("Pinned accounts stay above the others (Ctrl-F unpins)");
        return Vec::new();
    }
    app.accounts.swap(from, to);
    app.reindex();
    app.selected = neighbour.unwrap_or(0);
    app.save("new order")
}

/// The code shown for a time-based account at `now`, and the next one.
pub fn codes(account: &Account, now: i64) -> Option<(otp::Code, Option<otp::Code>)> {
    let now = u64::try_from(now).unwrap_or(0);
    let code = otp::generate(account, now).ok()?;
    let remaining = code.seconds_remaining(now)?;
    let next = if remaining <= NEXT_CODE_WINDOW {
        code.valid_until
            .and_then(|t| otp::generate(account, t).ok())
    } else {
        None
    };
    Some((code, next))
}

/// The main screen: header, search, reminder, list, status, footer.
fn render_list_screen(app: &App, list: &ListScreen, theme: Theme, area: Rect, buf: &mut Buffer) {
    // The backup reminder: wrapped on two lines when the terminal is tall
    // enough, else shortened, and left out below 16 rows.
    let reminder_lines = match &app.reminder {
        Some(text) if area.height >= 16 => wrap_words(
            text,
            usize::from(area.width.saturating_sub(3)),
            if area.height >= 20 { 2 } else { 1 },
        ),
        _ => Vec::new(),
    };
    let [top, search, reminder, rows, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(reminder_lines.len() as u16),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let count = app.accounts.len();
    let lock = if app.settings.idle_lock > 0 {
        let left = (app.settings.idle_lock as i64 - (app.now - app.last_input)).max(0);
        format!("locks in {}:{:02} ", left / 60, left % 60)
    } else {
        String::new()
    };
    let accounts = format!("{count} account{}", if count == 1 { "" } else { "s" });
    Paragraph::new(header(theme, &accounts)).render(top, buf);
    if top.width as usize >= accounts.len() + lock.len() + 10 {
        Paragraph::new(Line::from(Span::styled(lock, theme.dim())))
            .right_aligned()
            .render(top, buf);
    }
    render_search(app, list, theme, search, buf);
    let reminder_text: Vec<Line> = reminder_lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            // The continuation lines line up under the text, after " ! ".
            let indent = if i == 0 { " ! " } else { "   " };
            Line::from(Span::styled(format!("{indent}{line}"), theme.warn()))
        })
        .collect();
    Paragraph::new(reminder_text).render(reminder, buf);
    render_accounts(app, theme, rows, buf);
    render_busy_or_status(app, theme, status, buf);
    render_footer(list.context(), &[], theme, footer, buf);
}

fn render_search(app: &App, list: &ListScreen, theme: Theme, area: Rect, buf: &mut Buffer) {
    let count = app.accounts.len();
    let matches = if app.query.is_empty() {
        String::new()
    } else {
        format!("  {} of {count}", app.visible.len())
    };
    let placeholder = if app.query.is_empty() {
        "type to search"
    } else {
        ""
    };
    let text = app.query.text();
    let cursor = if list.search_focused {
        text.char_indices()
            .nth(app.query.cursor())
            .map_or(text.len(), |(i, _)| i)
    } else {
        text.len()
    };
    let (before, after) = text.split_at(cursor);
    Paragraph::new(Line::from(vec![
        Span::styled(" / ", theme.key()),
        Span::raw(before.to_string()),
        Span::styled("▏", theme.key()),
        Span::raw(after.to_string()),
        Span::styled(placeholder, theme.dim()),
        Span::styled(matches, theme.dim()),
    ]))
    .render(area, buf);
}

/// Column widths of the account list for a given width.
struct Columns {
    issuer: usize,
    name: usize,
    timer_bar: usize,
    /// The next code is shown in the last seconds (there is room for it).
    next: bool,
}

/// Width of the code column: a 10-digit code grouped ("12345 67890").
const CODE: usize = 11;

impl Columns {
    /// Columns for `width`, with room after the code column for the widest
    /// grouped code on screen (`code_width` characters) as the next code.
    fn for_width(width: usize, code_width: usize) -> Self {
        let timer_bar = if width >= 70 { 8 } else { 0 };
        let next = width >= 60;
        // After the code: " 12s → next code", or " ████████ 12s".
        let tail = if next {
            (6 + timer_bar).max(7 + code_width)
        } else {
            6
        };
        // The star, the gap before the code, the code and what follows it
        // (the gap between issuer and name is part of `text`).
        let fixed = 2 + 1 + CODE + tail;
        let text = width.saturating_sub(fixed);
        if width >= 60 {
            let issuer = (text * 2 / 5).max(8);
            Columns {
                issuer,
                name: text.saturating_sub(issuer + 1),
                timer_bar,
                next,
            }
        } else {
            Columns {
                issuer: text,
                name: 0,
                timer_bar,
                next,
            }
        }
    }
}

/// Characters of `account`'s grouped code: "123 456", "1234 5678", "CHGDN".
fn code_width(account: &Account) -> usize {
    match account.kind {
        Kind::Steam => 5,
        _ => {
            let digits = usize::from(account.digits);
            if digits < 6 { digits } else { digits + 1 }
        }
    }
}

fn bar(remaining: u64, period: u64, width: usize) -> String {
    if width == 0 || period == 0 {
        return String::new();
    }
    let filled = ((remaining * width as u64).div_ceil(period) as usize).min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

fn render_accounts(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    if app.accounts.is_empty() {
        let text = vec![
            Line::default(),
            Line::from("  No accounts yet."),
            Line::from(vec![
                Span::raw("  Press "),
                Span::styled("Ctrl-N", theme.key()),
                Span::raw(
                    " to add one: paste an otpauth:// URI, give a QR image path, or type the secret.",
                ),
            ]),
        ];
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .render(area, buf);
        return;
    }
    if app.visible.is_empty() {
        Paragraph::new(Line::from(Span::styled("  Nothing matches.", theme.dim())))
            .render(area, buf);
        return;
    }
    let height = area.height as usize;
    let offset = app.selected.saturating_sub(height.saturating_sub(1));
    let on_screen = || app.visible.iter().skip(offset).take(height);
    let widest = on_screen()
        .filter_map(|&i| app.accounts.get(i))
        .map(code_width)
        .max()
        .unwrap_or(7)
        .max(7);
    let columns = Columns::for_width(area.width as usize, widest);
    for (row, &index) in on_screen().enumerate() {
        let Some(account) = app.accounts.get(index) else {
            continue;
        };
        let selected = offset + row == app.selected;
        let line = account_line(app, account, &columns, theme);
        let y = area.y + row as u16;
        let row_area = Rect {
            x: area.x,
            y,
            width: area.width,
            height: 1,
        };
        if selected {
            buf.set_style(row_area, theme.selected());
        }
        buf.set_line(area.x, y, &line, area.width);
    }
}

fn account_line(app: &App, account: &Account, columns: &Columns, theme: Theme) -> Line<'static> {
    let star = if account.favorite { "★ " } else { "  " };
    let mut spans = vec![Span::styled(star, theme.warn())];
    if columns.name > 0 {
        spans.push(Span::styled(
            pad(&account.issuer, columns.issuer),
            Style::new().add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw(" "));
        let mut name = account.name.clone();
        if !account.tags.is_empty() {
            name.push_str(&format!(" #{}", account.tags.join(" #")));
        }
        spans.push(Span::raw(pad(&name, columns.name)));
    } else {
        spans.push(Span::raw(pad(&account.label(), columns.issuer)));
    }
    spans.push(Span::raw(" "));
    match account.kind {
        Kind::Hotp { counter } => match app.hotp_codes.get(&account.id) {
            Some(code) => {
                let shown = keyfob::Code {
                    text: code.to_string(),
                    period: None,
                    valid_until: None,
                };
                spans.push(Span::styled(
                    format!("{:>CODE$}", shown.grouped()),
                    theme.code(),
                ));
                spans.push(Span::styled(
                    format!("  #{}", counter.saturating_sub(1)),
                    theme.dim(),
                ));
            }
            None => {
                spans.push(Span::styled(format!("{:>CODE$}", "•••  •••"), theme.dim()));
                if columns.timer_bar > 0 {
                    spans.push(Span::styled("  Enter: next", theme.dim()));
                }
            }
        },
        _ => match codes(account, app.now) {
            Some((code, next)) => {
                let now = u64::try_from(app.now).unwrap_or(0);
                let remaining = code.seconds_remaining(now).unwrap_or(0);
                let period = u64::from(code.period.unwrap_or(30));
                let urgent = remaining <= NEXT_CODE_WINDOW;
                spans.push(Span::styled(
                    format!("{:>CODE$}", code.grouped()),
                    if urgent {
                        theme.warn().add_modifier(Modifier::BOLD)
                    } else {
                        theme.code()
                    },
                ));
                match next.filter(|_| columns.next) {
                    Some(next) => {
                        spans.push(Span::styled(format!(" {remaining:>2}s ",), theme.warn()));
                        spans.push(Span::styled(format!("→ {}", next.grouped()), theme.dim()));
                    }
                    None => {
                        spans.push(Span::raw(" "));
                        if columns.timer_bar > 0 {
                            spans.push(Span::styled(
                                bar(remaining, period, columns.timer_bar),
                                theme.dim(),
                            ));
                            spans.push(Span::raw(" "));
                        }
                        spans.push(Span::styled(format!("{remaining:>2}s"), theme.dim()));
                    }
                }
            }
            None => spans.push(Span::styled("invalid", theme.error())),
        },
    }
    Line::from(spans)
}
