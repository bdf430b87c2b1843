//! Drawing: `impl Widget for &App` and one `render_*` helper per screen part.
//!
//! Views only read the app; codes are computed here from `app.now`, and only
//! for the rows on screen, so a frame costs the same with 100 or 10,000
//! accounts. Everything degrades down to 40x12: columns and help lines drop
//! out before anything overlaps.

use keyfob::export::paper::PaperSize;
use keyfob::{Account, Kind};
use qrcode::{EcLevel, QrCode};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::{
    AccountForm, App, CreateForm, ExportForm, Popup, QrView, Screen, UnlockForm, codes, strength,
};
use super::keymap::HELP;

/// Spinner frames shown while the worker is busy.
const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

/// Styles, with or without colour (`NO_COLOR`).
#[derive(Clone, Copy)]
struct Theme {
    color: bool,
}

impl Theme {
    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }
    fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
    fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    fn code(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
    fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme {
            color: self.settings.color,
        };
        match &self.screen {
            Screen::Create(form) => render_create(self, form, theme, area, buf),
            Screen::Unlock(form) => render_unlock(self, form, theme, area, buf),
            Screen::List => render_list_screen(self, theme, area, buf),
            Screen::Form(form) => render_form(self, form, theme, area, buf),
            Screen::Qr(view) => render_qr(self, view, theme, area, buf),
            Screen::Export(form) => render_export(self, form, theme, area, buf),
        }
        match &self.popup {
            Some(Popup::Help) => render_help(theme, area, buf),
            Some(Popup::Error(message)) => {
                render_message(theme, "Error", message, "any key closes", true, area, buf)
            }
            Some(Popup::ConfirmDelete(id)) => {
                let label = self
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
            None => {}
        }
    }
}

/// Cuts `text` to `width` characters, ending in `…` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

fn pad(text: &str, width: usize) -> String {
    format!("{:<width$}", fit(text, width))
}

fn spinner(app: &App) -> &'static str {
    SPINNER
        .get(app.frame % SPINNER.len())
        .copied()
        .unwrap_or("*")
}

fn render_busy_or_status(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let line = if let Some(busy) = &app.busy {
        Line::from(vec![
            Span::styled(format!("{} ", spinner(app)), theme.key()),
            Span::raw(format!("{busy}…")),
        ])
    } else if let Some((status, _)) = &app.status {
        Line::from(Span::raw(status.clone()))
    } else {
        Line::default()
    };
    Paragraph::new(line).render(area, buf);
}

/// The footer: as many `key action` pairs as fit.
fn render_footer(pairs: &[(&str, &str)], theme: Theme, area: Rect, buf: &mut Buffer) {
    let mut spans = Vec::new();
    let mut used = 0usize;
    for (key, what) in pairs {
        let len = key.chars().count() + what.chars().count() + 3;
        if used + len > area.width as usize {
            break;
        }
        spans.push(Span::styled(key.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
        used += len;
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn header(app: &App, theme: Theme, right: &str) -> Line<'static> {
    let _ = app;
    Line::from(vec![
        Span::styled(" keyfob ", theme.title()),
        Span::styled(right.to_string(), theme.dim()),
    ])
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn masked(text: &str) -> String {
    "•".repeat(text.chars().count())
}

fn input_line(
    label: &str,
    value: String,
    focused: bool,
    theme: Theme,
    label_width: usize,
) -> Line<'static> {
    let marker = if focused { "▏" } else { "" };
    let style = if focused {
        Style::new().add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    Line::from(vec![
        Span::styled(
            format!("{label:>label_width$}: "),
            if focused { theme.key() } else { theme.dim() },
        ),
        Span::styled(value, style),
        Span::styled(marker.to_string(), theme.key()),
    ])
}

fn render_create(app: &App, form: &CreateForm, theme: Theme, area: Rect, buf: &mut Buffer) {
    let [top, body, status, footer] = screen_areas(area);
    Paragraph::new(header(app, theme, "new vault")).render(top, buf);
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
        lines.push(input_line(
            "Passphrase",
            masked(form.first.text()),
            form.focus == 0,
            theme,
            10,
        ));
        lines.push(input_line(
            "Repeat",
            masked(form.second.text()),
            form.focus == 1,
            theme,
            10,
        ));
        let (word, bits) = strength(form.first.text());
        if !form.first.is_empty() {
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
    finish_form(
        app,
        theme,
        lines,
        form.error.as_deref(),
        &[("Enter", "next/create"), ("Tab", "field"), ("Esc", "quit")],
        [body, status, footer],
        buf,
    );
}

/// The rows of a form screen: header, body, status line, footer.
/// The end of a simple form screen: the error (if any) after a blank line, the lines
/// wrapped into the body, the busy or status line, and the footer keys.
fn finish_form(
    app: &App,
    theme: Theme,
    mut lines: Vec<Line<'_>>,
    error: Option<&str>,
    keys: &[(&str, &str)],
    [body, status, footer]: [Rect; 3],
    buf: &mut Buffer,
) {
    if let Some(error) = error {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(error.to_string(), theme.error())));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(body, buf);
    render_busy_or_status(app, theme, status, buf);
    render_footer(keys, theme, footer, buf);
}

fn screen_areas(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

fn render_unlock(app: &App, form: &UnlockForm, theme: Theme, area: Rect, buf: &mut Buffer) {
    let [top, body, status, footer] = screen_areas(area);
    Paragraph::new(header(app, theme, "locked")).render(top, buf);
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
            masked(form.passphrase.text()),
            app.busy.is_none(),
            theme,
            10,
        ));
    }
    finish_form(
        app,
        theme,
        lines,
        form.error.as_deref(),
        &[("Enter", "unlock"), ("Esc", "quit")],
        [body, status, footer],
        buf,
    );
}

/// The main screen: header, search, reminder, list, status, footer.
fn render_list_screen(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let show_reminder = app.reminder.is_some() && area.height >= 16;
    let [top, search, reminder, list, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(u16::from(show_reminder)),
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
    Paragraph::new(header(app, theme, &accounts)).render(top, buf);
    if top.width as usize >= accounts.len() + lock.len() + 10 {
        Paragraph::new(Line::from(Span::styled(lock, theme.dim())))
            .right_aligned()
            .render(top, buf);
    }

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
    Paragraph::new(Line::from(vec![
        Span::styled(" / ", theme.key()),
        Span::raw(app.query.text().to_string()),
        Span::styled("▏", theme.key()),
        Span::styled(placeholder, theme.dim()),
        Span::styled(matches, theme.dim()),
    ]))
    .render(search, buf);
    if let Some(text) = app.reminder.as_ref().filter(|_| show_reminder) {
        Paragraph::new(Line::from(Span::styled(format!(" ! {text}"), theme.warn())))
            .render(reminder, buf);
    }
    render_accounts(app, theme, list, buf);
    render_busy_or_status(app, theme, status, buf);
    render_footer(
        &[
            ("Enter", "copy"),
            ("^N", "add"),
            ("^E", "edit"),
            ("^D", "del"),
            ("^S", "QR"),
            ("^F", "pin"),
            ("^L", "lock"),
            ("?", "help"),
            ("^Q", "quit"),
        ],
        theme,
        footer,
        buf,
    );
}

/// Column widths of the account list for a given width.
struct Columns {
    issuer: usize,
    name: usize,
    timer_bar: usize,
}

impl Columns {
    fn for_width(width: usize) -> Self {
        // star(2) + code(11) + timer + gaps
        let timer_bar = if width >= 70 { 8 } else { 0 };
        let fixed = 2 + 12 + 5 + timer_bar + 1;
        let text = width.saturating_sub(fixed);
        if width >= 60 {
            let issuer = (text * 2 / 5).max(8);
            Columns {
                issuer,
                name: text.saturating_sub(issuer + 1),
                timer_bar,
            }
        } else {
            Columns {
                issuer: text,
                name: 0,
                timer_bar,
            }
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
    let columns = Columns::for_width(area.width as usize);
    for (row, &index) in app.visible.iter().skip(offset).take(height).enumerate() {
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
                    format!("{:>11}", shown.grouped()),
                    theme.code(),
                ));
                spans.push(Span::styled(
                    format!("  #{}", counter.saturating_sub(1)),
                    theme.dim(),
                ));
            }
            None => {
                spans.push(Span::styled(format!("{:>11}", "•••  •••"), theme.dim()));
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
                let urgent = remaining <= super::app::NEXT_CODE_WINDOW;
                spans.push(Span::styled(
                    format!("{:>11}", code.grouped()),
                    if urgent {
                        theme.warn().add_modifier(Modifier::BOLD)
                    } else {
                        theme.code()
                    },
                ));
                match next {
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

fn render_form(app: &App, form: &AccountForm, theme: Theme, area: Rect, buf: &mut Buffer) {
    let [top, body, status, footer] = screen_areas(area);
    let title = if form.editing.is_some() {
        "edit account"
    } else {
        "add account"
    };
    Paragraph::new(header(app, theme, title)).render(top, buf);
    let mut lines = Vec::new();
    if form.editing.is_none() && area.height >= 18 {
        lines.push(Line::from(Span::styled(
            "Paste an otpauth:// URI or type the path of a QR image, or leave it empty and fill in the fields.",
            theme.dim(),
        )));
    }
    let label_width = form.fields.iter().map(|f| f.label.len()).max().unwrap_or(0);
    for (index, field) in form.fields.iter().enumerate() {
        let value = if field.masked {
            masked(field.input.text())
        } else if field
            .input
            .text()
            .to_ascii_lowercase()
            .starts_with("otpauth")
        {
            hide_uri_secret(field.input.text())
        } else {
            field.input.text().to_string()
        };
        let available = (area.width as usize).saturating_sub(label_width + 4);
        let value = if value.chars().count() > available {
            let skip = value.chars().count() - available;
            format!("…{}", value.chars().skip(skip + 1).collect::<String>())
        } else {
            value
        };
        lines.push(input_line(
            field.label,
            value,
            index == form.focus,
            theme,
            label_width,
        ));
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(error.clone(), theme.error())));
    }
    // Keep the focused field in view on a short terminal.
    let hint = lines.len() - form.fields.len() - usize::from(form.error.is_some());
    let focus_line = hint + form.focus;
    let scroll = focus_line.saturating_sub(usize::from(body.height.saturating_sub(2)));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((u16::try_from(scroll).unwrap_or(0), 0))
        .render(body, buf);
    render_busy_or_status(app, theme, status, buf);
    render_footer(
        &[
            ("Enter", "save"),
            ("Tab/↓", "next"),
            ("Shift-Tab/↑", "previous"),
            ("^U", "clear"),
            ("Esc", "cancel"),
        ],
        theme,
        footer,
        buf,
    );
}

/// An otpauth URI with its secret parameter replaced by dots.
fn hide_uri_secret(uri: &str) -> String {
    let lower = uri.to_ascii_lowercase();
    let Some(start) = lower.find("secret=").map(|i| i + "secret=".len()) else {
        return uri.to_string();
    };
    let end = lower
        .get(start..)
        .and_then(|rest| rest.find('&'))
        .map_or(uri.len(), |e| start + e);
    let (head, tail) = (uri.get(..start).unwrap_or(""), uri.get(end..).unwrap_or(""));
    format!("{head}••••••{tail}")
}

/// A QR code as text with half blocks, two module rows per line, quiet zone of 2.
pub fn qr_lines(text: &str, quiet: usize) -> Option<Vec<String>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::L).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * quiet;
    let dark = |x: usize, y: usize| -> bool {
        x >= quiet
            && y >= quiet
            && x < width + quiet
            && y < width + quiet
            && colors.get((y - quiet) * width + (x - quiet)) == Some(&qrcode::Color::Dark)
    };
    // Light modules are drawn as blocks: light-on-dark terminals then scan as dark-on-light.
    let mut lines = Vec::with_capacity(size.div_ceil(2));
    for y in (0..size).step_by(2) {
        let line: String = (0..size)
            .map(|x| match (!dark(x, y), y + 1 < size && !dark(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            })
            .collect();
        lines.push(line);
    }
    Some(lines)
}

fn render_qr(app: &App, view: &QrView, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(account) = app.accounts.iter().find(|a| a.id == view.id) else {
        return;
    };
    let uri = keyfob::uri::format(account);
    let extra = if view.revealed { 2 } else { 0 };
    // A quiet zone of two modules and a title when they fit, less when they do not.
    let mut chosen = None;
    for (quiet, title) in [(2usize, true), (1, true), (1, false)] {
        let lines = qr_lines(&uri, quiet).unwrap_or_default();
        let height = lines.len() + extra + 1 + usize::from(title);
        let width = lines.first().map_or(0, |l| l.chars().count());
        if height <= area.height as usize && width <= area.width as usize {
            chosen = Some((lines, title));
            break;
        }
    }
    let title = chosen.as_ref().is_none_or(|(_, title)| *title);
    let [top, body, footer] = Layout::vertical([
        Constraint::Length(u16::from(title)),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if title {
        Paragraph::new(header(app, theme, &account.label())).render(top, buf);
    }
    match chosen {
        None => {
            let needed = qr_lines(&uri, 1).unwrap_or_default();
            let text = vec![
                Line::from(format!(
                    "The QR code needs a terminal of at least {}x{}; this one is {}x{}.",
                    needed.first().map_or(0, |l| l.chars().count()),
                    needed.len() + 1 + extra,
                    area.width,
                    area.height
                )),
                Line::from("Enlarge the window (or make the font smaller)."),
            ];
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .render(body, buf);
        }
        Some((lines, _)) => {
            let width = lines.first().map_or(0, |l| l.chars().count()) as u16;
            let height = (lines.len() + extra) as u16;
            let qr_style = if theme.color {
                Style::new().fg(Color::White).bg(Color::Black)
            } else {
                Style::new()
            };
            let mut text: Vec<Line> = lines
                .into_iter()
                .map(|l| Line::from(Span::styled(l, qr_style)))
                .collect();
            if view.revealed {
                let secret = account.secret.to_base32();
                let grouped: Vec<String> = secret
                    .as_bytes()
                    .chunks(4)
                    .map(|c| c.iter().map(|&b| char::from(b)).collect())
                    .collect();
                text.push(Line::default());
                text.push(Line::from(Span::styled(grouped.join(" "), theme.code())));
            }
            let secret_width = if view.revealed {
                (account.secret.to_base32().len() * 5 / 4) as u16
            } else {
                0
            };
            let qr_area = centered(body, width.max(secret_width), height);
            Paragraph::new(text).centered().render(qr_area, buf);
        }
    }
    let label = if title {
        String::new()
    } else {
        account.label()
    };
    let pairs: &[(&str, &str)] = if view.revealed {
        &[("any key", "hide the secret")]
    } else {
        &[
            ("Esc", "back"),
            ("r", "reveal secret"),
            ("^L", "lock"),
            ("", &label),
        ]
    };
    render_footer(pairs, theme, footer, buf);
}

fn render_export(app: &App, form: &ExportForm, theme: Theme, area: Rect, buf: &mut Buffer) {
    let [top, body, status, footer] = screen_areas(area);
    Paragraph::new(header(app, theme, "paper backup")).render(top, buf);
    let lines = vec![
        Line::from(Span::styled("Print a paper recovery sheet", theme.title())),
        Line::from(format!(
            "A PDF with a QR code and the secret of each of the {} accounts. It is as sensitive as the vault: print it, keep it safe, delete the file, then check the printout with 'keyfob verify'.",
            app.accounts.len()
        )),
        Line::default(),
        input_line("Write to", form.path.text().to_string(), true, theme, 8),
        input_line("Paper", paper_name(form.size).to_string(), false, theme, 8),
    ];
    finish_form(
        app,
        theme,
        lines,
        form.error.as_deref(),
        &[("Enter", "write"), ("Tab", "A4/Letter"), ("Esc", "cancel")],
        [body, status, footer],
        buf,
    );
}

fn paper_name(size: PaperSize) -> &'static str {
    match size {
        PaperSize::Letter => "US Letter",
        _ => "A4",
    }
}

fn render_help(theme: Theme, area: Rect, buf: &mut Buffer) {
    let key_width = HELP
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!("{key:>key_width$}  "), theme.key()),
                Span::raw(what.to_string()),
            ])
        })
        .collect();
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = centered(area, 72, height);
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys (any key closes) "),
        )
        .render(popup, buf);
}

fn render_message(
    theme: Theme,
    title: &str,
    text: &str,
    hint: &str,
    error: bool,
    area: Rect,
    buf: &mut Buffer,
) {
    let width = 60.min(area.width);
    let inner = width.saturating_sub(2).max(1) as usize;
    let rows = text.chars().count().div_ceil(inner) as u16 + 3;
    let popup = centered(area, width, (rows + 2).min(area.height));
    Clear.render(popup, buf);
    let lines = vec![
        Line::from(Span::styled(
            text.to_string(),
            if error { theme.error() } else { Style::new() },
        )),
        Line::default(),
        Line::from(Span::styled(hint.to_string(), theme.dim())),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {title} ")),
        )
        .render(popup, buf);
}
