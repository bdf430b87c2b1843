//! Keys to actions. The list searches as you type, so its commands sit on
//! Ctrl chords and special keys; forms take every printable key as text.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use super::app::{Action, App, Popup, Screen};

/// One line of the help screen: keys and what they do.
pub const HELP: &[(&str, &str)] = &[
    ("type", "search (fuzzy: issuer, name, tags)"),
    ("Enter", "copy the code (HOTP: next code, counter saved)"),
    ("↑ ↓ PgUp PgDn", "move; Home/End first/last"),
    ("Esc", "clear the search; back; cancel"),
    ("Ctrl-N", "add an account (URI, image path or fields)"),
    ("Ctrl-E", "edit issuer, name, tags, note"),
    ("Ctrl-D / Del", "delete (asks first)"),
    ("Ctrl-F", "pin / unpin to the top"),
    ("Alt-↑ Alt-↓", "move in the list (also Shift/Ctrl)"),
    ("Ctrl-S", "show the QR code (r reveals the secret)"),
    ("Ctrl-P", "export a paper sheet (PDF)"),
    ("Ctrl-L", "lock now"),
    ("Ctrl-U", "clear the input"),
    ("Tab Shift-Tab", "next / previous form field"),
    ("? / F1", "this help"),
    ("Ctrl-Q / Ctrl-C", "quit (clears the clipboard)"),
];

fn ctrl(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
}

/// The action for a key press in the app's current state, if any.
pub fn action_for(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if ctrl(&key) && matches!(key.code, KeyCode::Char('c' | 'q')) {
        return Some(Action::Quit);
    }
    match &app.popup {
        Some(Popup::ConfirmDelete(_)) => {
            return Some(Action::Confirm(matches!(
                key.code,
                KeyCode::Char('y' | 'Y')
            )));
        }
        Some(Popup::Help | Popup::Error(_)) => return Some(Action::Dismiss),
        None => {}
    }
    if key.code == KeyCode::F(1) {
        return Some(Action::Help);
    }
    if ctrl(&key) && key.code == KeyCode::Char('l') {
        return Some(Action::Lock);
    }
    match &app.screen {
        Screen::Qr(view) => {
            if view.revealed {
                return Some(Action::Hide);
            }
            match key.code {
                KeyCode::Char('r' | 'R') => Some(Action::Reveal),
                KeyCode::Char('?') => Some(Action::Help),
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => Some(Action::Cancel),
                KeyCode::Char('s') if ctrl(&key) => Some(Action::Cancel),
                _ => None,
            }
        }
        Screen::List => list_key(key),
        Screen::Create(_) | Screen::Unlock(_) | Screen::Form(_) | Screen::Export(_) => {
            text_key(key)
        }
    }
}

fn text_key(key: KeyEvent) -> Option<Action> {
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    match key.code {
        KeyCode::Char('u') if ctrl(&key) => Some(Action::ClearInput),
        KeyCode::Char(c) if !ctrl(&key) && !alt => Some(Action::Char(c)),
        KeyCode::Backspace => Some(Action::Backspace),
        KeyCode::Enter => Some(Action::Submit),
        KeyCode::Esc => Some(Action::Cancel),
        KeyCode::Tab => Some(Action::NextField),
        KeyCode::BackTab => Some(Action::PrevField),
        KeyCode::Up => Some(Action::Up),
        KeyCode::Down => Some(Action::Down),
        _ => None,
    }
}

fn list_key(key: KeyEvent) -> Option<Action> {
    let moved = key
        .modifiers
        .intersects(KeyModifiers::ALT | KeyModifiers::SHIFT | KeyModifiers::CONTROL);
    if ctrl(&key)
        && let KeyCode::Char(c) = key.code
    {
        return match c {
            'n' | 'a' => Some(Action::Add),
            'e' => Some(Action::Edit),
            'd' => Some(Action::Delete),
            'f' => Some(Action::ToggleFavorite),
            's' => Some(Action::ShowQr),
            'p' => Some(Action::Export),
            'u' => Some(Action::ClearInput),
            _ => None,
        };
    }
    match key.code {
        KeyCode::Up if moved => Some(Action::MoveUp),
        KeyCode::Down if moved => Some(Action::MoveDown),
        KeyCode::Char('?') => Some(Action::Help),
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::ALT) => Some(Action::Char(c)),
        KeyCode::Backspace => Some(Action::Backspace),
        KeyCode::Delete => Some(Action::Delete),
        KeyCode::Enter => Some(Action::Submit),
        KeyCode::Esc => Some(Action::Cancel),
        KeyCode::Up => Some(Action::Up),
        KeyCode::Down => Some(Action::Down),
        KeyCode::PageUp => Some(Action::PageUp),
        KeyCode::PageDown => Some(Action::PageDown),
        KeyCode::Home => Some(Action::Top),
        KeyCode::End => Some(Action::Bottom),
        _ => None,
    }
}

/// Mouse wheel scrolling moves the selection; other mouse events only count as activity.
pub fn mouse_action(mouse: MouseEvent) -> Action {
    match mouse.kind {
        MouseEventKind::ScrollUp => Action::Up,
        MouseEventKind::ScrollDown => Action::Down,
        _ => Action::Activity,
    }
}
