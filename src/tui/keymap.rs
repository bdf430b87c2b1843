//! Keys as data: [`BINDINGS`] is the one table of every key. Key handling
//! ([`action_for`]), the help overlay, the footers and README's key table are
//! all read from it, and a test checks that README's copy agrees.
//!
//! The list searches as you type, so its commands sit on Ctrl chords and
//! special keys; text fields take every printable key as text. A screen says
//! which [`Context`] it is in; a key does what the first row for that context
//! says.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use super::app::{Action, App};
use super::input::Edit;

/// What a bound key asks for (the data-less part of [`Action`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    /// Leave keyfob.
    Quit,
    /// Show the keys.
    Help,
    /// Close the popup.
    Dismiss,
    /// Lock now.
    Lock,
    /// Enter: confirm a form, copy a code.
    Submit,
    /// Esc: back, cancel, clear the search.
    Cancel,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// To the first account.
    Top,
    /// To the last account.
    Bottom,
    /// Next form field (or option).
    NextField,
    /// Previous form field (or option).
    PrevField,
    /// Put the cursor in the search line.
    FocusSearch,
    /// Open the add form.
    Add,
    /// Open the edit form for the selected account.
    EditAccount,
    /// Ask to delete the selected account.
    Delete,
    /// Yes to the question of a popup.
    Confirm,
    /// Pin or unpin the selected account.
    ToggleFavorite,
    /// Move the selected account up in the vault order.
    MoveUp,
    /// Move the selected account down in the vault order.
    MoveDown,
    /// Show the selected account's QR code.
    ShowQr,
    /// Show the secret on the QR screen.
    Reveal,
    /// Hide the secret again.
    Hide,
    /// Open the import screen.
    Import,
    /// Open the backups screen.
    Backups,
    /// Open the merge screen.
    Merge,
    /// Complete the path being typed (Tab).
    Complete,
    /// The previous value of a choice.
    PrevChoice,
    /// The next value of a choice.
    NextChoice,
}

/// Where the keyboard is: each screen and popup is in one context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// First run: a new passphrase, twice.
    Create,
    /// The unlock screen.
    Unlock,
    /// The account list, typing searches.
    List,
    /// The account list with the cursor in the search line (after `/`).
    Search,
    /// Adding or editing an account.
    AccountForm,
    /// One account's QR code.
    Qr,
    /// The QR code with the secret shown.
    QrRevealed,
    /// The import screen.
    Import,
    /// The merge screen.
    Merge,
    /// The backups screen, on a choice (what to do, paper size, …).
    Backups,
    /// The backups screen, in a text field.
    BackupsText,
    /// The help popup.
    Help,
    /// An error popup.
    Message,
    /// "Delete this account?"
    ConfirmDelete,
}

/// A key of a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    /// This key with exactly these modifiers (Shift is ignored on characters and Shift-Tab).
    Key(KeyCode, KeyModifiers),
    /// Any printable character without Ctrl or Alt.
    Text,
    /// Any key at all.
    Any,
}

/// What a binding does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Does {
    /// A command.
    Cmd(Cmd),
    /// An editing step on the focused text field.
    Edit(Edit),
    /// Types the character pressed into the focused text field.
    Type,
    /// The n-th key runs the n-th command.
    Cmds(&'static [Cmd]),
    /// The n-th key makes the n-th editing step.
    Edits(&'static [Edit]),
}

/// A named group of contexts (the "where" column of the key table).
#[derive(Debug, PartialEq, Eq)]
pub struct Where {
    /// How the help and README name it.
    pub name: &'static str,
    /// The contexts.
    pub contexts: &'static [Context],
}

/// One row of the key table.
#[derive(Debug)]
pub struct Binding {
    /// Where it applies.
    pub place: &'static Where,
    /// The keys (any of them).
    pub keys: &'static [KeySpec],
    /// What they do.
    pub does: Does,
    /// The help and README text ("" hides the row from both).
    pub help: &'static str,
    /// What the footer shows for the row, if anything.
    pub footer: Option<Footer>,
}

/// A row's entry in the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// What the keys do, in a word or two.
    pub word: &'static str,
    /// How many of the row's keys it names (the first ones).
    pub keys: usize,
}

const fn foot(word: &'static str) -> Option<Footer> {
    Some(Footer { word, keys: 1 })
}

const fn foot2(word: &'static str) -> Option<Footer> {
    Some(Footer { word, keys: 2 })
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const ALT: KeyModifiers = KeyModifiers::ALT;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

const fn key(code: KeyCode) -> KeySpec {
    KeySpec::Key(code, NONE)
}
const fn ch(c: char) -> KeySpec {
    KeySpec::Key(KeyCode::Char(c), NONE)
}
const fn ctrl(c: char) -> KeySpec {
    KeySpec::Key(KeyCode::Char(c), CTRL)
}

use Context as C;

/// Everywhere.
pub const EVERYWHERE: Where = Where {
    name: "everywhere",
    contexts: &[
        C::Create,
        C::Unlock,
        C::List,
        C::Search,
        C::AccountForm,
        C::Qr,
        C::QrRevealed,
        C::Import,
        C::Merge,
        C::Backups,
        C::BackupsText,
        C::Help,
        C::Message,
        C::ConfirmDelete,
    ],
};
/// Every screen with the vault open.
pub const UNLOCKED: Where = Where {
    name: "vault open",
    contexts: &[
        C::List,
        C::Search,
        C::AccountForm,
        C::Qr,
        C::Import,
        C::Merge,
        C::Backups,
        C::BackupsText,
    ],
};
/// Every screen (not the popups).
pub const SCREENS: Where = Where {
    name: "every screen",
    contexts: &[
        C::Create,
        C::Unlock,
        C::List,
        C::Search,
        C::AccountForm,
        C::Qr,
        C::Import,
        C::Merge,
        C::Backups,
        C::BackupsText,
    ],
};
/// The list and the QR code (their footers offer the lock).
pub const BROWSING: Where = Where {
    name: "vault open",
    contexts: &[C::List, C::Search, C::Qr],
};
/// The list, typing searches.
pub const LIST: Where = Where {
    name: "list",
    contexts: &[C::List],
};
/// The list, with or without the cursor in the search line.
pub const LIST_AND_SEARCH: Where = Where {
    name: "list",
    contexts: &[C::List, C::Search],
};
/// Every text field.
pub const TEXT: Where = Where {
    name: "text fields",
    contexts: &[
        C::List,
        C::Search,
        C::AccountForm,
        C::Create,
        C::Unlock,
        C::Import,
        C::Merge,
        C::BackupsText,
    ],
};
/// The text fields where ←/→/Home/End move the cursor.
pub const CURSOR: Where = Where {
    name: "text fields",
    contexts: &[
        C::Search,
        C::AccountForm,
        C::Create,
        C::Unlock,
        C::Import,
        C::Merge,
        C::BackupsText,
    ],
};
/// The add/edit form.
pub const ACCOUNT_FORM: Where = Where {
    name: "add/edit form",
    contexts: &[C::AccountForm],
};
/// The first-run screen.
pub const CREATE: Where = Where {
    name: "new vault",
    contexts: &[C::Create],
};
/// The unlock screen.
pub const UNLOCK: Where = Where {
    name: "locked",
    contexts: &[C::Unlock],
};
/// The QR screen.
pub const QR: Where = Where {
    name: "QR code",
    contexts: &[C::Qr],
};
/// The QR screen with the secret shown.
pub const QR_REVEALED: Where = Where {
    name: "QR code, secret shown",
    contexts: &[C::QrRevealed],
};
/// The import screen.
pub const IMPORT: Where = Where {
    name: "import",
    contexts: &[C::Import],
};
/// The merge screen.
pub const MERGE: Where = Where {
    name: "merge",
    contexts: &[C::Merge],
};
/// The backups screen.
pub const BACKUPS: Where = Where {
    name: "backups",
    contexts: &[C::Backups, C::BackupsText],
};
/// The backups screen, on a choice.
pub const BACKUPS_CHOICE: Where = Where {
    name: "backups, on a choice",
    contexts: &[C::Backups],
};
/// The backups screen, in a file field.
pub const BACKUPS_TEXT: Where = Where {
    name: "backups, in a field",
    contexts: &[C::BackupsText],
};
/// The help popup.
pub const HELP: Where = Where {
    name: "help",
    contexts: &[C::Help],
};
/// The help and error popups.
pub const POPUP: Where = Where {
    name: "help, error",
    contexts: &[C::Help, C::Message],
};
/// The delete question.
pub const CONFIRM: Where = Where {
    name: "delete?",
    contexts: &[C::ConfirmDelete],
};

const fn row(
    place: &'static Where,
    keys: &'static [KeySpec],
    does: Does,
    help: &'static str,
    footer: Option<Footer>,
) -> Binding {
    Binding {
        place,
        keys,
        does,
        help,
        footer,
    }
}

const fn cmd(c: Cmd) -> Does {
    Does::Cmd(c)
}

/// Every key of the UI. The first row matching the context and the key wins,
/// so the rows for a narrow context come before wider ones.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    row(&EVERYWHERE, &[ctrl('q'), ctrl('c')], cmd(Cmd::Quit), "quit (clears the clipboard)", None),
    // Popups take every key.
    row(&HELP, &[key(KeyCode::Down), key(KeyCode::Up)], Does::Cmds(&[Cmd::Down, Cmd::Up]), "scroll the keys when they do not fit", None),
    row(&HELP, &[key(KeyCode::PageDown), key(KeyCode::PageUp)], Does::Cmds(&[Cmd::PageDown, Cmd::PageUp]), "scroll a page", None),
    row(&POPUP, &[KeySpec::Any], cmd(Cmd::Dismiss), "close", None),
    row(&CONFIRM, &[ch('y'), ch('Y')], cmd(Cmd::Confirm), "delete", None),
    row(&CONFIRM, &[KeySpec::Any], cmd(Cmd::Cancel), "keep it", None),
    // The list.
    row(&LIST_AND_SEARCH, &[key(KeyCode::Enter)], cmd(Cmd::Submit), "copy the code (HOTP: next code, counter saved)", foot("copy")),
    row(&LIST, &[ch('/')], cmd(Cmd::FocusSearch), "put the cursor in the search line", None),
    row(&LIST_AND_SEARCH, &[key(KeyCode::Up), key(KeyCode::Down)], Does::Cmds(&[Cmd::Up, Cmd::Down]), "move", None),
    row(&LIST_AND_SEARCH, &[key(KeyCode::PageUp), key(KeyCode::PageDown)], Does::Cmds(&[Cmd::PageUp, Cmd::PageDown]), "a page up / down", None),
    row(&LIST, &[key(KeyCode::Home), key(KeyCode::End)], Does::Cmds(&[Cmd::Top, Cmd::Bottom]), "first / last account", None),
    row(&LIST_AND_SEARCH, &[key(KeyCode::Esc)], cmd(Cmd::Cancel), "clear the search", None),
    row(&LIST_AND_SEARCH, &[ctrl('n'), ctrl('a')], cmd(Cmd::Add), "add an account (URI, image path or fields)", foot("add")),
    row(&LIST_AND_SEARCH, &[ctrl('e')], cmd(Cmd::EditAccount), "edit issuer, name, tags, note", foot("edit")),
    row(&LIST_AND_SEARCH, &[ctrl('d'), key(KeyCode::Delete)], cmd(Cmd::Delete), "delete (asks first)", foot("del")),
    row(&LIST_AND_SEARCH, &[ctrl('s')], cmd(Cmd::ShowQr), "show the QR code (r reveals the secret)", foot("QR")),
    row(&LIST_AND_SEARCH, &[ctrl('f')], cmd(Cmd::ToggleFavorite), "pin / unpin to the top", foot("pin")),
    row(
        &LIST_AND_SEARCH,
        &[KeySpec::Key(KeyCode::Up, ALT), KeySpec::Key(KeyCode::Down, ALT)],
        Does::Cmds(&[Cmd::MoveUp, Cmd::MoveDown]),
        "move the account up / down (Shift or Ctrl too)",
        None,
    ),
    row(
        &LIST_AND_SEARCH,
        &[
            KeySpec::Key(KeyCode::Up, SHIFT),
            KeySpec::Key(KeyCode::Down, SHIFT),
            KeySpec::Key(KeyCode::Up, CTRL),
            KeySpec::Key(KeyCode::Down, CTRL),
        ],
        Does::Cmds(&[Cmd::MoveUp, Cmd::MoveDown, Cmd::MoveUp, Cmd::MoveDown]),
        "",
        None,
    ),
    row(&LIST_AND_SEARCH, &[ctrl('o')], cmd(Cmd::Import), "import accounts (files, QR images, other apps, backups)", None),
    row(&LIST_AND_SEARCH, &[ctrl('p')], cmd(Cmd::Backups), "backups: status, paper, age, exports, verify", None),
    row(&LIST_AND_SEARCH, &[ctrl('g')], cmd(Cmd::Merge), "merge another copy of this vault (sync conflict, backup)", None),
    // The add/edit form.
    row(&ACCOUNT_FORM, &[key(KeyCode::Enter)], cmd(Cmd::Submit), "save", foot("save")),
    row(&ACCOUNT_FORM, &[key(KeyCode::Tab), key(KeyCode::Down)], cmd(Cmd::NextField), "next field", foot2("next")),
    row(&ACCOUNT_FORM, &[key(KeyCode::BackTab), key(KeyCode::Up)], cmd(Cmd::PrevField), "previous field", foot2("previous")),
    row(&ACCOUNT_FORM, &[ctrl('u')], Does::Edit(Edit::Clear), "clear the field", foot("clear")),
    row(&ACCOUNT_FORM, &[key(KeyCode::Esc)], cmd(Cmd::Cancel), "cancel", foot("cancel")),
    // First run and unlock.
    row(&CREATE, &[key(KeyCode::Enter)], cmd(Cmd::Submit), "next field, then create the vault", foot("next/create")),
    row(&CREATE, &[key(KeyCode::Tab), key(KeyCode::Down)], cmd(Cmd::NextField), "next field", foot("field")),
    row(&CREATE, &[key(KeyCode::BackTab), key(KeyCode::Up)], cmd(Cmd::PrevField), "previous field", None),
    row(&CREATE, &[key(KeyCode::Esc)], cmd(Cmd::Cancel), "quit", foot("quit")),
    row(&UNLOCK, &[key(KeyCode::Enter)], cmd(Cmd::Submit), "unlock", foot("unlock")),
    row(&UNLOCK, &[key(KeyCode::Esc)], cmd(Cmd::Cancel), "quit", foot("quit")),
    // The QR code.
    row(&QR_REVEALED, &[KeySpec::Any], cmd(Cmd::Hide), "hide the secret", foot("hide the secret")),
    row(&QR, &[key(KeyCode::Esc), key(KeyCode::Enter), ch('q'), ctrl('s')], cmd(Cmd::Cancel), "back to the list", foot("back")),
    row(&QR, &[ch('r'), ch('R')], cmd(Cmd::Reveal), "reveal the secret until the next key", foot("reveal secret")),
    row(&QR, &[ch('?')], cmd(Cmd::Help), "the keys", None),
    // Import.
    row(&IMPORT, &[key(KeyCode::Enter)], cmd(Cmd::Submit), "preview the import; again: import", foot("preview/import")),
    row(&IMPORT, &[key(KeyCode::Tab)], cmd(Cmd::Complete), "complete the path", foot("complete")),
    row(&IMPORT, &[key(KeyCode::Down), key(KeyCode::Up)], Does::Cmds(&[Cmd::NextField, Cmd::PrevField]), "paths / password field", None),
    row(&IMPORT, &[key(KeyCode::Esc)], cmd(Cmd::Cancel), "back to the list", foot("back")),
    // Merge.
    row(&MERGE, &[key(KeyCode::Enter)], cmd(Cmd::Submit), "preview the merge; again: merge", foot("preview/merge")),
    row(&MERGE, &[key(KeyCode::Tab)], cmd(Cmd::Complete), "complete the path", foot("complete")),
    row(&MERGE, &[key(KeyCode::Down), key(KeyCode::Up)], Does::Cmds(&[Cmd::NextField, Cmd::PrevField]), "paths / password / identity field", None),
    row(&MERGE, &[key(KeyCode::Esc)], cmd(Cmd::Cancel), "back to the list", foot("back")),
    // Backups.
    row(&BACKUPS, &[key(KeyCode::Enter)], cmd(Cmd::Submit), "do it: write the backup or export, or verify", foot("do it")),
    row(&BACKUPS, &[key(KeyCode::Down), key(KeyCode::Up)], Does::Cmds(&[Cmd::NextField, Cmd::PrevField]), "next / previous line", foot2("line")),
    row(&BACKUPS_CHOICE, &[key(KeyCode::Left), key(KeyCode::Right), key(KeyCode::Tab)], Does::Cmds(&[Cmd::PrevChoice, Cmd::NextChoice, Cmd::NextChoice]), "change the choice", foot2("change")),
    row(&BACKUPS_TEXT, &[key(KeyCode::Tab)], cmd(Cmd::Complete), "complete the path", foot("complete")),
    row(&BACKUPS, &[key(KeyCode::Esc)], cmd(Cmd::Cancel), "back to the list", foot("back")),
    // Every screen with the vault open.
    row(&BROWSING, &[ctrl('l')], cmd(Cmd::Lock), "lock now", foot("lock")),
    row(&UNLOCKED, &[ctrl('l')], cmd(Cmd::Lock), "lock now", None),
    row(&LIST, &[ch('?'), key(KeyCode::F(1))], cmd(Cmd::Help), "the keys", foot("help")),
    row(&LIST_AND_SEARCH, &[ctrl('q'), ctrl('c')], cmd(Cmd::Quit), "quit (clears the clipboard)", foot("quit")),
    row(&SCREENS, &[key(KeyCode::F(1))], cmd(Cmd::Help), "the keys", None),
    // Editing any text field (the list's search line too).
    row(&LIST, &[KeySpec::Text], Does::Type, "search (fuzzy: issuer, name, tags)", None),
    row(&CURSOR, &[KeySpec::Text], Does::Type, "", None),
    row(&TEXT, &[key(KeyCode::Backspace)], Does::Edit(Edit::DeleteBack), "delete the character before the cursor", None),
    row(&CURSOR, &[key(KeyCode::Delete)], Does::Edit(Edit::DeleteForward), "delete the character under the cursor", None),
    row(&TEXT, &[ctrl('w')], Does::Edit(Edit::DeleteWord), "delete the word before the cursor", None),
    row(&TEXT, &[ctrl('u')], Does::Edit(Edit::Clear), "clear the field", None),
    row(&CURSOR, &[key(KeyCode::Left), key(KeyCode::Right)], Does::Edits(&[Edit::Left, Edit::Right]), "cursor left / right", None),
    row(
        &CURSOR,
        &[KeySpec::Key(KeyCode::Left, CTRL), KeySpec::Key(KeyCode::Right, CTRL)],
        Does::Edits(&[Edit::WordLeft, Edit::WordRight]),
        "cursor a word left / right",
        None,
    ),
    row(&CURSOR, &[key(KeyCode::Home), key(KeyCode::End)], Does::Edits(&[Edit::Home, Edit::End]), "cursor to the start / end", None),
];

impl KeySpec {
    fn matches(self, key: &KeyEvent) -> bool {
        match self {
            KeySpec::Any => true,
            KeySpec::Text => {
                matches!(key.code, KeyCode::Char(c) if !c.is_control())
                    && !key.modifiers.intersects(CTRL | ALT)
            }
            KeySpec::Key(code, mods) => {
                // Shift is part of what a character or Shift-Tab is, not a modifier on it.
                let pressed = if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
                    key.modifiers - SHIFT
                } else {
                    key.modifiers
                };
                code == key.code && pressed == mods
            }
        }
    }

    /// How the help names the key: `Ctrl-N`, `Alt-↑`, `Enter`, `type`.
    pub fn label(self) -> String {
        self.name(false)
    }

    /// How a footer names it: `^N`, `Enter`.
    pub fn short(self) -> String {
        self.name(true)
    }

    fn name(self, short: bool) -> String {
        let (code, mods) = match self {
            KeySpec::Any => return "any key".into(),
            KeySpec::Text => return "type".into(),
            KeySpec::Key(code, mods) => (code, mods),
        };
        let base = match code {
            KeyCode::Char(c) if mods.contains(CTRL) => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        let mut prefix = String::new();
        if mods.contains(CTRL) {
            prefix.push_str(if short { "^" } else { "Ctrl-" });
        }
        if mods.contains(ALT) {
            prefix.push_str("Alt-");
        }
        if mods.contains(SHIFT) {
            prefix.push_str("Shift-");
        }
        format!("{prefix}{base}")
    }
}

impl Binding {
    /// The keys as the help names them: `Ctrl-D / Del`.
    pub fn label(&self) -> String {
        let labels: Vec<String> = self.keys.iter().map(|k| k.label()).collect();
        labels.join(" / ")
    }

    /// The keys a footer shows, short: `^N`, `Tab/↓`.
    pub fn short(&self) -> String {
        let count = self.footer.map_or(1, |f| f.keys);
        let labels: Vec<String> = self.keys.iter().take(count).map(|k| k.short()).collect();
        labels.join("/")
    }

    fn applies(&self, context: Context) -> bool {
        self.place.contexts.contains(&context)
    }
}

/// The keys of `command` in `context`, as the help names them (`Ctrl-P`), for
/// text that tells the user what to press; `None` when nothing there does it.
pub fn keys_for(command: Cmd, context: Context) -> Option<String> {
    BINDINGS
        .iter()
        .find(|b| b.applies(context) && matches!(b.does, Does::Cmd(c) if c == command))
        .map(Binding::label)
}

/// The rows of the help overlay in `context`: keys and what they do. A row
/// whose every key an earlier row already takes here is left out (it does
/// nothing in this context).
pub fn help(context: Context) -> Vec<(String, &'static str)> {
    let mut taken: Vec<KeySpec> = Vec::new();
    let mut lines = Vec::new();
    for binding in BINDINGS.iter().filter(|b| b.applies(context)) {
        let live = binding.keys.iter().any(|k| !taken.contains(k));
        taken.extend(binding.keys.iter().copied());
        if live && !binding.help.is_empty() {
            lines.push((binding.label(), binding.help));
        }
    }
    lines
}

/// The footer of `context`: `(keys, word)` pairs in table order.
pub fn footer(context: Context) -> Vec<(String, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.applies(context))
        .filter_map(|b| b.footer.map(|f| (b.short(), f.word)))
        .collect()
}

#[cfg(test)]
/// README's key table, as markdown. Rows with the same keys and text are
/// listed once: under the wider place when one holds the other (a row
/// repeated to give a narrower place a footer), else under both names.
pub fn readme_table() -> String {
    let mut rows: Vec<(String, &'static str, Vec<&'static Where>)> = Vec::new();
    for binding in BINDINGS.iter().filter(|b| !b.help.is_empty()) {
        let label = binding.label().replace('|', "\\|");
        let Some((_, _, places)) = rows
            .iter_mut()
            .find(|(l, help, _)| *l == label && *help == binding.help)
        else {
            rows.push((label, binding.help, vec![binding.place]));
            continue;
        };
        let within = |inner: &Where, outer: &Where| {
            inner.contexts.iter().all(|c| outer.contexts.contains(c))
        };
        if places.iter().any(|p| within(binding.place, p)) {
            continue;
        }
        places.retain(|p| !within(p, binding.place));
        places.push(binding.place);
    }
    let mut out = String::from("| where | key | does |\n|---|---|---|\n");
    for (label, help, places) in rows {
        let names: Vec<&str> = places.iter().map(|p| p.name).collect();
        out.push_str(&format!("| {} | {label} | {help} |\n", names.join(", ")));
    }
    out
}

/// What a key press does in `context`, from the first matching row.
pub fn lookup(context: Context, key: &KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let (binding, index) = BINDINGS
        .iter()
        .filter(|b| b.applies(context))
        .find_map(|b| b.keys.iter().position(|k| k.matches(key)).map(|i| (b, i)))?;
    match binding.does {
        Does::Cmd(cmd) => Some(Action::Cmd(cmd)),
        Does::Edit(edit) => Some(Action::Edit(edit)),
        Does::Cmds(cmds) => cmds.get(index).map(|&cmd| Action::Cmd(cmd)),
        Does::Edits(edits) => edits.get(index).map(|&edit| Action::Edit(edit)),
        Does::Type => match key.code {
            KeyCode::Char(c) => Some(Action::Edit(Edit::Insert(c))),
            _ => None,
        },
    }
}

/// The action for a key press in the app's current state, if any.
pub fn action_for(app: &App, key: KeyEvent) -> Option<Action> {
    lookup(app.key_context(), &key)
}

/// Mouse wheel scrolling moves the selection; other mouse events only count as activity.
pub fn mouse_action(mouse: MouseEvent) -> Action {
    match mouse.kind {
        MouseEventKind::ScrollUp => Action::Cmd(Cmd::Up),
        MouseEventKind::ScrollDown => Action::Cmd(Cmd::Down),
        _ => Action::Activity,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// A key event that a spec matches.
    fn press(spec: KeySpec) -> KeyEvent {
        match spec {
            KeySpec::Key(code, mods) => KeyEvent::new(code, mods),
            KeySpec::Text => KeyEvent::new(KeyCode::Char('x'), NONE),
            KeySpec::Any => KeyEvent::new(KeyCode::F(12), NONE),
        }
    }

    /// What the row says key number `index` does, as the action it must give.
    fn expected(binding: &Binding, index: usize, event: &KeyEvent) -> String {
        match binding.does {
            Does::Cmd(cmd) => format!("Cmd({cmd:?})"),
            Does::Edit(edit) => format!("Edit({edit:?})"),
            Does::Cmds(cmds) => format!("Cmd({:?})", cmds[index]),
            Does::Edits(edits) => format!("Edit({:?})", edits[index]),
            Does::Type => match event.code {
                KeyCode::Char(c) => format!("Edit({:?})", Edit::Insert(c)),
                _ => panic!("a text row with a non-character key"),
            },
        }
    }

    fn got(action: Option<Action>) -> String {
        match action {
            Some(Action::Cmd(cmd)) => format!("Cmd({cmd:?})"),
            Some(Action::Edit(edit)) => format!("Edit({edit:?})"),
            Some(_) => "another action".into(),
            None => "nothing".into(),
        }
    }

    #[test]
    fn every_key_of_the_table_does_what_its_row_says_where_it_is_not_taken() {
        let mut checked = 0;
        for &context in EVERYWHERE.contexts {
            let mut taken: Vec<KeySpec> = Vec::new();
            for binding in BINDINGS.iter().filter(|b| b.applies(context)) {
                for (index, &spec) in binding.keys.iter().enumerate() {
                    if taken.contains(&spec) {
                        continue;
                    }
                    let event = press(spec);
                    assert_eq!(
                        got(lookup(context, &event)),
                        expected(binding, index, &event),
                        "{context:?}: {} ({})",
                        spec.label(),
                        binding.help
                    );
                    checked += 1;
                }
                taken.extend(binding.keys.iter().copied());
            }
        }
        assert!(checked > 100, "only {checked} keys checked");
    }

    #[test]
    fn the_help_and_the_footers_name_only_keys_that_work_there() {
        for &context in EVERYWHERE.contexts {
            for (label, help) in help(context) {
                let binding = BINDINGS
                    .iter()
                    .find(|b| b.applies(context) && b.label() == label && b.help == help)
                    .unwrap();
                let event = press(binding.keys[0]);
                assert_ne!(
                    got(lookup(context, &event)),
                    "nothing",
                    "{context:?}: {label}"
                );
            }
            for binding in BINDINGS
                .iter()
                .filter(|b| b.applies(context) && b.footer.is_some())
            {
                let keys = binding.footer.unwrap().keys;
                for (index, &spec) in binding.keys.iter().take(keys).enumerate() {
                    let event = press(spec);
                    assert_eq!(
                        got(lookup(context, &event)),
                        expected(binding, index, &event),
                        "{context:?} footer: {}",
                        spec.label()
                    );
                }
            }
        }
        let list = help(Context::List);
        assert!(list.iter().any(|(label, _)| label.contains("Ctrl-A")));
        assert!(list.iter().any(|(label, _)| label == "/"));
        let footer = footer(Context::List);
        assert_eq!(footer.first(), Some(&("Enter".to_string(), "copy")));
    }

    #[test]
    fn readme_key_table_is_the_key_table() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
        let start = readme
            .find("| where | key | does |")
            .expect("README has no key table");
        let table: String = readme[start..]
            .lines()
            .take_while(|line| line.starts_with('|'))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(
            table,
            readme_table(),
            "README's key table differs from keymap::BINDINGS; paste this:\n{}",
            readme_table()
        );
    }
}
