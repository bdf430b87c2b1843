//! Drawing: `impl Widget for &App` (the screen, then the popup) and the parts
//! every screen draws with: the theme, header, text fields, footer, status
//! line and message box. Each screen's own drawing lives in its file under
//! `screen/`.
//!
//! Views only read the app; codes are computed from `app.now`, and only for
//! the rows on screen, so a frame costs the same with 100 or 10,000
//! accounts. Everything degrades down to 40x12: columns and help lines drop
//! out before anything overlaps.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::app::App;
use super::form::{FieldName, Fields};
use super::input::TextInput;
use super::keymap::{self, Context};

/// Spinner frames shown while the worker is busy.
const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

/// Styles, with or without colour (`NO_COLOR`).
#[derive(Clone, Copy)]
pub struct Theme {
    /// Colours on.
    pub color: bool,
}

impl Theme {
    /// A foreground colour (none without colours).
    pub fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }
    /// Titles.
    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// Hints and secondary text.
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    /// Key names.
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    /// Warnings.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
    /// Errors.
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Codes.
    pub fn code(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
    /// The selected row.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme {
            color: self.settings.color,
        };
        self.screen.render(self, theme, area, buf);
        if let Some(popup) = &self.popup {
            popup.render(self, theme, area, buf);
        }
    }
}

/// Cuts `text` to `width` characters, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
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

/// `text` broken at spaces into at most `max_lines` lines of `width`
/// characters; the last line ends in `…` when text was left out.
pub fn wrap_words(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed <= width || current.is_empty() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        } else {
            lines.push(std::mem::take(&mut current));
            current.push_str(word);
        }
    }
    lines.push(current);
    let cut = lines.len() > max_lines;
    lines.truncate(max_lines.max(1));
    let lines: Vec<String> = lines.iter().map(|l| fit(l, width)).collect();
    match (cut, lines.split_last()) {
        (true, Some((last, rest))) => {
            let mut out = rest.to_vec();
            out.push(fit(&format!("{last}…"), width).replace("……", "…"));
            out
        }
        _ => lines,
    }
}

/// `text` cut or padded to exactly `width` characters.
pub fn pad(text: &str, width: usize) -> String {
    format!("{:<width$}", fit(text, width))
}

fn spinner(app: &App) -> &'static str {
    SPINNER
        .get(app.frame % SPINNER.len())
        .copied()
        .unwrap_or("*")
}

/// The busy line (spinner) or the status line.
pub fn render_busy_or_status(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
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

/// The footer of `context` from the key table, plus `extra` pairs: as many as fit.
pub fn render_footer(
    context: Context,
    extra: &[(&str, &str)],
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let table = keymap::footer(context);
    let pairs = table
        .iter()
        .map(|(k, w)| (k.as_str(), *w))
        .chain(extra.iter().copied());
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

/// The first line of a screen: ` keyfob ` and what the screen is.
pub fn header(theme: Theme, right: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(" keyfob ", theme.title()),
        Span::styled(right.to_string(), theme.dim()),
    ])
}

/// A `width` x `height` rectangle in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// An otpauth URI with its secret parameter replaced by dots.
pub fn hide_uri_secret(uri: &str) -> String {
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

/// What a field shows, as characters, and where its cursor is among them.
/// Masked text is dots; an otpauth URI hides its secret (cursor at the end).
fn shown(input: &TextInput, masked: bool) -> (Vec<char>, usize) {
    if masked {
        return (vec!['•'; input.chars()], input.cursor());
    }
    let text = input.text();
    if text.to_ascii_lowercase().starts_with("otpauth") {
        let hidden: Vec<char> = hide_uri_secret(text).chars().collect();
        let end = hidden.len();
        return (hidden, end);
    }
    (text.chars().collect(), input.cursor())
}

/// One text field: `label: text`, the cursor drawn as `▏` when focused, and
/// the text scrolled so the cursor stays within `width` columns.
pub fn input_line(
    label: &str,
    input: &TextInput,
    masked: bool,
    focused: bool,
    theme: Theme,
    label_width: usize,
    width: usize,
) -> Line<'static> {
    let (chars, cursor) = shown(input, masked);
    // Columns for the text: the label, ": ", the cursor and one spare.
    let room = width.saturating_sub(label_width + 4).max(2);
    let start = if chars.len() <= room {
        0
    } else {
        cursor.saturating_sub(room - 1)
    };
    let lead = if start > 0 { "…" } else { "" };
    let end = (start + room - usize::from(start > 0)).min(chars.len());
    let cursor = cursor.clamp(start, end);
    let slice = |from: usize, to: usize| -> String {
        chars.get(from..to).unwrap_or_default().iter().collect()
    };
    let (before, after) = (slice(start, cursor), slice(cursor, end));
    let style = if focused {
        Style::new().add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    let mut spans = vec![
        Span::styled(
            format!("{label:>label_width$}: "),
            if focused { theme.key() } else { theme.dim() },
        ),
        Span::styled(lead.to_string(), theme.dim()),
        Span::styled(before, style),
    ];
    if focused {
        spans.push(Span::styled("▏", theme.key()));
    }
    spans.push(Span::styled(after, style));
    Line::from(spans)
}

/// A label and a fixed value (an option such as the paper size).
pub fn value_line(label: &str, value: &str, theme: Theme, label_width: usize) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:>label_width$}: "), theme.dim()),
        Span::raw(value.to_string()),
    ])
}

/// The lines of every field of a form, labels aligned.
pub fn field_lines<F: FieldName>(
    fields: &Fields<F>,
    focused: bool,
    theme: Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let label_width = fields
        .iter()
        .map(|(name, _, _)| name.label().chars().count())
        .max()
        .unwrap_or(0);
    fields
        .iter()
        .map(|(name, input, has_focus)| {
            input_line(
                name.label(),
                input,
                name.masked(),
                focused && has_focus,
                theme,
                label_width,
                width,
            )
        })
        .collect()
}

/// The rows of a form screen: header, body, status line, footer.
pub fn screen_areas(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// A simple form screen: the header, the lines (then the error, if any,
/// after a blank line) wrapped into the body, the busy or status line, and
/// the footer of `context`.
pub fn render_form_screen(
    app: &App,
    title: &str,
    mut lines: Vec<Line<'_>>,
    error: Option<&str>,
    context: Context,
    area: Rect,
    buf: &mut Buffer,
) {
    let theme = Theme {
        color: app.settings.color,
    };
    let [top, body, status, footer] = screen_areas(area);
    Paragraph::new(header(theme, title)).render(top, buf);
    if let Some(error) = error {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(error.to_string(), theme.error())));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(body, buf);
    render_busy_or_status(app, theme, status, buf);
    render_footer(context, &[], theme, footer, buf);
}

/// A boxed message in the middle of `area` with a hint below it.
pub fn render_message(
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
