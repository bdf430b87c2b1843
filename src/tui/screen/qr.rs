//! One account's QR code, full screen, to move it to a phone; `r` shows the
//! secret as text until the next key.

use keyfob::account::AccountId;
use qrcode::{EcLevel, QrCode};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::ScreenState;
use crate::tui::app::{Action, App, Effect};
use crate::tui::keymap::{Cmd, Context};
use crate::tui::view::{Theme, centered, header, render_footer};

/// The full-screen QR code of one account.
#[derive(Clone, PartialEq, Eq)]
pub struct QrView {
    /// Which account.
    pub id: AccountId,
    /// The secret is shown as text (until the next key).
    pub revealed: bool,
}

impl ScreenState for QrView {
    fn context(&self) -> Context {
        if self.revealed {
            Context::QrRevealed
        } else {
            Context::Qr
        }
    }

    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        if self.revealed {
            // Any key hides the secret again.
            self.revealed = false;
            return Vec::new();
        }
        match action {
            Action::Cmd(Cmd::Reveal) => self.revealed = true,
            Action::Cmd(Cmd::Cancel) => app.show_list(),
            _ => {}
        }
        Vec::new()
    }

    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        render_qr(app, self, theme, area, buf);
    }
}

/// A QR code as text with half blocks, two module rows per line, quiet zone of `quiet`.
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
        Paragraph::new(header(theme, &account.label())).render(top, buf);
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
    let extra: &[(&str, &str)] = if view.revealed { &[] } else { &[("", &label)] };
    render_footer(view.context(), extra, theme, footer, buf);
}
