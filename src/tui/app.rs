//! The terminal UI's state and its only mutator, [`update`].
//!
//! [`App`] is plain data. Keys become [`Action`]s (see `keymap`), the worker's
//! results and clock ticks come in as actions too, and [`update`] answers with
//! [`Effect`]s for the runtime to carry out (talk to the worker, the clipboard,
//! quit). Nothing here reads the clock, touches the terminal or blocks, so
//! every screen can be driven and checked in a test at a fixed time.

use std::collections::HashMap;
use std::path::PathBuf;

use keyfob::account::AccountId;
use keyfob::export::paper::PaperSize;
use keyfob::vault::Key;
use keyfob::{Account, Algorithm, Kind, Secret, otp};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::input::TextInput;

/// Seconds before a code changes from which the next code is shown too.
pub const NEXT_CODE_WINDOW: u64 = 5;
/// How a background save is announced in the busy line.
const SAVING: &str = "Saving: ";
/// Seconds a status message stays on screen.
const STATUS_SECONDS: i64 = 8;

/// What the user can configure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The vault file.
    pub vault_path: PathBuf,
    /// `--identity`: unlock with this age identity file instead of a passphrase.
    pub identity: Option<PathBuf>,
    /// Lock after this many seconds without a key press (0 = never).
    pub idle_lock: u64,
    /// Clear the clipboard this many seconds after a copy (0 = never).
    pub clipboard_clear: u64,
    /// Draw with colours (false under `NO_COLOR`).
    pub color: bool,
}

impl Settings {
    /// Defaults for a vault at `vault_path`: lock after 5 minutes, clear the clipboard after 20 s.
    pub fn new(vault_path: PathBuf) -> Self {
        Settings {
            vault_path,
            identity: None,
            idle_lock: 300,
            clipboard_clear: 20,
            color: true,
        }
    }
}

/// The first-run form: a new passphrase, twice.
#[derive(Default, Clone)]
pub struct CreateForm {
    /// The passphrase.
    pub first: TextInput,
    /// The same again.
    pub second: TextInput,
    /// Which of the two has the cursor (0 or 1).
    pub focus: usize,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

/// The unlock form.
#[derive(Default, Clone)]
pub struct UnlockForm {
    /// The passphrase typed so far.
    pub passphrase: TextInput,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

/// One labelled field of a form.
#[derive(Clone)]
pub struct Field {
    /// Shown before the input.
    pub label: &'static str,
    /// What was typed.
    pub input: TextInput,
    /// Hide the typed text (secrets).
    pub masked: bool,
}

impl Field {
    fn new(label: &'static str, text: &str) -> Self {
        Field {
            label,
            input: TextInput::with_text(text),
            masked: false,
        }
    }
}

/// Adding a new account or editing an existing one.
#[derive(Clone)]
pub struct AccountForm {
    /// The account being edited; `None` adds a new one.
    pub editing: Option<AccountId>,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// The field with the cursor.
    pub focus: usize,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

/// Field positions of the add form.
pub mod add_field {
    /// An otpauth URI, or the path of an image holding a QR code.
    pub const SOURCE: usize = 0;
    /// Issuer.
    pub const ISSUER: usize = 1;
    /// Account name.
    pub const NAME: usize = 2;
    /// Base32 secret.
    pub const SECRET: usize = 3;
    /// totp, hotp or steam.
    pub const KIND: usize = 4;
    /// Number of digits.
    pub const DIGITS: usize = 5;
    /// Period (totp) or counter (hotp).
    pub const PERIOD: usize = 6;
    /// Hash algorithm.
    pub const ALGORITHM: usize = 7;
    /// Comma-separated tags.
    pub const TAGS: usize = 8;
}

/// Field positions of the edit form.
pub mod edit_field {
    /// Issuer.
    pub const ISSUER: usize = 0;
    /// Account name.
    pub const NAME: usize = 1;
    /// Comma-separated tags.
    pub const TAGS: usize = 2;
    /// Note.
    pub const NOTE: usize = 3;
}

impl AccountForm {
    /// An empty add form.
    pub fn add() -> Self {
        let mut fields = vec![
            Field::new("URI or image", ""),
            Field::new("Issuer", ""),
            Field::new("Name", ""),
            Field::new("Secret", ""),
            Field::new("Type", "totp"),
            Field::new("Digits", "6"),
            Field::new("Period/counter", "30"),
            Field::new("Algorithm", "SHA1"),
            Field::new("Tags", ""),
        ];
        if let Some(secret) = fields.get_mut(add_field::SECRET) {
            secret.masked = true;
        }
        AccountForm {
            editing: None,
            fields,
            focus: 0,
            error: None,
        }
    }

    /// An edit form filled from `account`.
    pub fn edit(account: &Account) -> Self {
        AccountForm {
            editing: Some(account.id.clone()),
            fields: vec![
                Field::new("Issuer", &account.issuer),
                Field::new("Name", &account.name),
                Field::new("Tags", &account.tags.join(", ")),
                Field::new("Note", &account.note),
            ],
            focus: 0,
            error: None,
        }
    }

    fn text(&self, index: usize) -> &str {
        self.fields.get(index).map_or("", |f| f.input.text())
    }
}

/// The full-screen QR code of one account.
#[derive(Clone, PartialEq, Eq)]
pub struct QrView {
    /// Which account.
    pub id: AccountId,
    /// The secret is shown as text (until the next key).
    pub revealed: bool,
}

/// The paper-sheet export form.
#[derive(Default, Clone)]
pub struct ExportForm {
    /// Where to write the PDF.
    pub path: TextInput,
    /// A4 or Letter (Tab switches).
    pub size: PaperSize,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

/// The screen filling the terminal.
#[derive(Clone)]
pub enum Screen {
    /// First run: no vault yet.
    Create(CreateForm),
    /// The vault is locked.
    Unlock(UnlockForm),
    /// The account list.
    List,
    /// Adding or editing an account.
    Form(AccountForm),
    /// One account's QR code.
    Qr(QrView),
    /// Exporting a paper sheet.
    Export(ExportForm),
}

/// A window over the current screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// Every key.
    Help,
    /// "Delete this account?"
    ConfirmDelete(AccountId),
    /// Something went wrong; any key closes it.
    Error(String),
}

/// Where a copied code went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyTarget {
    /// The system clipboard (arboard).
    System,
    /// The terminal's clipboard through an OSC 52 escape sequence.
    Osc52,
}

/// What the worker thread reports back.
pub enum WorkerEvent {
    /// The vault was opened or created.
    Unlocked {
        /// Its accounts.
        accounts: Vec<Account>,
        /// A backup reminder, if one is due.
        reminder: Option<String>,
    },
    /// Opening failed; `wrong_key` when the passphrase or identity did not fit.
    UnlockFailed {
        /// What to tell the user.
        message: String,
        /// A wrong passphrase (try again) rather than a broken vault.
        wrong_key: bool,
    },
    /// A save finished.
    Saved {
        /// The backup reminder after the change.
        reminder: Option<String>,
    },
    /// A save failed; the file on disk is unchanged.
    SaveFailed(String),
    /// Accounts read from an image.
    Scanned(Result<Vec<Account>, String>),
    /// A paper sheet was written (the message) or not (the error).
    Exported(Result<String, String>),
}

/// Everything that can happen to the app.
pub enum Action {
    /// The clock, in unix seconds; also animates the spinner.
    Tick(i64),
    /// A character typed into the focused input (or the search).
    Char(char),
    /// Text pasted into the focused input.
    Paste(String),
    /// Delete the last character.
    Backspace,
    /// Empty the focused input.
    ClearInput,
    /// Move the selection or focus up.
    Up,
    /// Move the selection or focus down.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// To the first account.
    Top,
    /// To the last account.
    Bottom,
    /// Enter: confirm a form, copy a code.
    Submit,
    /// Esc: back, cancel, clear the search.
    Cancel,
    /// Next form field.
    NextField,
    /// Previous form field.
    PrevField,
    /// Open the add form.
    Add,
    /// Open the edit form for the selected account.
    Edit,
    /// Ask to delete the selected account.
    Delete,
    /// Answer to the delete question.
    Confirm(bool),
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
    /// Open the paper export form.
    Export,
    /// Lock now.
    Lock,
    /// Show every key.
    Help,
    /// Close the popup.
    Dismiss,
    /// Leave keyfob.
    Quit,
    /// The terminal reported a key press or mouse scroll (counts as activity).
    Activity,
    /// The worker answered.
    Worker(WorkerEvent),
    /// The clipboard took a copied code.
    Copied {
        /// Which account.
        label: String,
        /// Where it went.
        target: CopyTarget,
    },
    /// The clipboard could not be used.
    CopyFailed(String),
}

/// What the runtime must do after an update.
pub enum Effect {
    /// Open the vault with this key (on the worker).
    Unlock(Key),
    /// Create the vault with this key (on the worker).
    Create(Key),
    /// Create the vault encrypted to the identity file (made if missing).
    CreateWithIdentity(PathBuf),
    /// Write these accounts to the vault (on the worker).
    Save(Vec<Account>),
    /// Read QR codes from the image at this path (on the worker).
    Scan(PathBuf),
    /// Write a paper sheet of these accounts on this paper size (on the worker).
    ExportPaper(PathBuf, Vec<Account>, PaperSize),
    /// Put this code on the clipboard.
    Copy {
        /// The code.
        code: Zeroizing<String>,
        /// The account, for the status line.
        label: String,
    },
    /// Clear the clipboard if it still holds our code.
    ClearClipboard,
    /// Drop the decrypted vault (worker and clipboard too).
    Lock,
    /// Leave.
    Quit,
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Effect::Unlock(_) => "Unlock",
            Effect::Create(_) => "Create",
            Effect::CreateWithIdentity(_) => "CreateWithIdentity",
            Effect::Save(_) => "Save",
            Effect::Scan(_) => "Scan",
            Effect::ExportPaper(..) => "ExportPaper",
            Effect::Copy { .. } => "Copy",
            Effect::ClearClipboard => "ClearClipboard",
            Effect::Lock => "Lock",
            Effect::Quit => "Quit",
        };
        f.write_str(name)
    }
}

/// The whole UI state.
pub struct App {
    /// Configuration.
    pub settings: Settings,
    /// The injected clock, unix seconds.
    pub now: i64,
    /// Spinner frame, advanced by ticks.
    pub frame: usize,
    /// The screen.
    pub screen: Screen,
    /// A window on top, if any.
    pub popup: Option<Popup>,
    /// The worker is busy with this (shown with a spinner).
    pub busy: Option<String>,
    /// The decrypted accounts in vault order (empty while locked).
    pub accounts: Vec<Account>,
    /// The search query.
    pub query: TextInput,
    /// Indices into `accounts` in display order, narrowed by the query.
    pub visible: Vec<usize>,
    /// Position of the selection in `visible`.
    pub selected: usize,
    /// HOTP codes the user asked for, by account.
    pub hotp_codes: HashMap<AccountId, Zeroizing<String>>,
    /// The status line and when it goes away.
    pub status: Option<(String, i64)>,
    /// A backup reminder from the backup log.
    pub reminder: Option<String>,
    /// Last key press, for the idle lock.
    pub last_input: i64,
    /// When to clear the clipboard.
    pub clipboard_deadline: Option<i64>,
    /// Rows of the list seen in the last frame (for page up/down).
    pub page: usize,
    /// Set when the user quits.
    pub quit: bool,
    haystacks: Vec<Utf32String>,
    matcher: Matcher,
    /// Saves handed to the worker, and save results received (they come back in order).
    saves_sent: u64,
    saves_done: u64,
    /// HOTP codes waiting for the save of their advanced counter: shown and copied
    /// only once that save succeeded, so a code is never given out twice.
    pending_hotp: Vec<PendingHotp>,
}

/// A HOTP code computed but not yet shown (see [`App::pending_hotp`]).
struct PendingHotp {
    /// The number of the save that must succeed first (`saves_sent` after it).
    save: u64,
    id: AccountId,
    code: Zeroizing<String>,
    label: String,
}

impl App {
    /// A fresh app at time `now`: the create screen when there is no vault yet,
    /// the unlock screen otherwise.
    pub fn new(settings: Settings, vault_exists: bool, now: i64) -> Self {
        let screen = if vault_exists {
            Screen::Unlock(UnlockForm::default())
        } else {
            Screen::Create(CreateForm::default())
        };
        App {
            settings,
            now,
            frame: 0,
            screen,
            popup: None,
            busy: None,
            accounts: Vec::new(),
            query: TextInput::default(),
            visible: Vec::new(),
            selected: 0,
            hotp_codes: HashMap::new(),
            status: None,
            reminder: None,
            last_input: now,
            clipboard_deadline: None,
            page: 10,
            quit: false,
            haystacks: Vec::new(),
            matcher: Matcher::new(Config::DEFAULT),
            saves_sent: 0,
            saves_done: 0,
            pending_hotp: Vec::new(),
        }
    }

    /// True while decrypted accounts are held.
    pub fn unlocked(&self) -> bool {
        !matches!(self.screen, Screen::Create(_) | Screen::Unlock(_))
    }

    /// Replaces the accounts (after unlocking) and rebuilds the search index.
    pub fn set_accounts(&mut self, accounts: Vec<Account>) {
        self.accounts = accounts;
        self.reindex();
    }

    fn reindex(&mut self) {
        self.haystacks = self.accounts.iter().map(haystack).collect();
        self.refilter();
    }

    /// Recomputes the visible list from the query: every account, favourites
    /// first, for an empty query; else the fuzzy matches, best first.
    pub fn refilter(&mut self) {
        let keep = self.selected_account().map(|a| a.id.clone());
        let query = self.query.text().trim();
        if query.is_empty() {
            let (mut pinned, mut rest): (Vec<usize>, Vec<usize>) = (0..self.accounts.len())
                .partition(|&i| self.accounts.get(i).is_some_and(|a| a.favorite));
            pinned.append(&mut rest);
            self.visible = pinned;
        } else {
            let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
            let mut scored: Vec<(u32, bool, usize)> = Vec::new();
            for (index, hay) in self.haystacks.iter().enumerate() {
                if let Some(score) = pattern.score(hay.slice(..), &mut self.matcher) {
                    let favorite = self.accounts.get(index).is_some_and(|a| a.favorite);
                    scored.push((score, favorite, index));
                }
            }
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
            self.visible = scored.into_iter().map(|(_, _, i)| i).collect();
        }
        self.selected = keep
            .and_then(|id| {
                self.visible
                    .iter()
                    .position(|&i| self.accounts.get(i).is_some_and(|a| a.id == id))
            })
            .filter(|_| query.is_empty())
            .unwrap_or(0);
    }

    /// The selected account.
    pub fn selected_account(&self) -> Option<&Account> {
        self.visible
            .get(self.selected)
            .and_then(|&i| self.accounts.get(i))
    }

    fn find(&self, id: &AccountId) -> Option<usize> {
        self.accounts.iter().position(|a| &a.id == id)
    }

    fn set_status(&mut self, text: impl Into<String>) {
        self.status = Some((text.into(), self.now + STATUS_SECONDS));
    }

    fn error(&mut self, text: impl Into<String>) {
        self.popup = Some(Popup::Error(text.into()));
    }

    /// Forgets every decrypted thing and shows the unlock screen.
    fn lock(&mut self) -> Vec<Effect> {
        self.accounts = Vec::new();
        self.haystacks = Vec::new();
        self.visible = Vec::new();
        self.hotp_codes.clear();
        self.pending_hotp.clear();
        self.query.clear();
        self.selected = 0;
        self.popup = None;
        self.busy = None;
        self.reminder = None;
        self.clipboard_deadline = None;
        self.screen = Screen::Unlock(UnlockForm::default());
        vec![Effect::Lock]
    }

    /// True while the worker does something the current screen waits for
    /// (saves run in the background and do not count).
    fn waiting(&self) -> bool {
        self.busy.as_deref().is_some_and(|b| !b.starts_with(SAVING))
    }

    fn save(&mut self, message: &str) -> Vec<Effect> {
        self.reindex();
        self.busy = Some(format!("{SAVING}{message}"));
        self.saves_sent += 1;
        vec![Effect::Save(self.accounts.clone())]
    }

    /// Counts a save result and settles the HOTP codes that waited for it: on
    /// success they are shown and copied, on failure dropped unseen (`failed` is
    /// then the message to show).
    fn save_finished(&mut self, failed: Option<String>) -> Vec<Effect> {
        self.saves_done += 1;
        let done = self.saves_done;
        let (settled, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending_hotp)
            .into_iter()
            .partition(|p| p.save <= done);
        self.pending_hotp = waiting;
        match failed {
            Some(message) if settled.is_empty() => {
                self.error(message);
                Vec::new()
            }
            Some(message) => {
                self.error(format!(
                    "{message}\n\nThe HOTP code was not shown or copied, because its counter \
                     could not be saved. Press Ctrl-L and unlock to reload the vault, then try again."
                ));
                Vec::new()
            }
            None => settled
                .into_iter()
                .map(|p| {
                    self.hotp_codes.insert(p.id, p.code.clone());
                    Effect::Copy {
                        code: p.code,
                        label: p.label,
                    }
                })
                .collect(),
        }
    }
}

fn haystack(account: &Account) -> Utf32String {
    let mut text = String::with_capacity(account.issuer.len() + account.name.len() + 2);
    text.push_str(&account.issuer);
    text.push(' ');
    text.push_str(&account.name);
    for tag in &account.tags {
        text.push(' ');
        text.push_str(tag);
    }
    Utf32String::from(text)
}

/// A rough strength hint for a new passphrase: a word and an estimate in bits.
pub fn strength(passphrase: &str) -> (&'static str, u32) {
    let words = passphrase
        .split_whitespace()
        .filter(|w| w.len() >= 3)
        .count();
    let chars = passphrase.chars().count();
    let mut pool = 0u32;
    if passphrase.chars().any(|c| c.is_ascii_lowercase()) {
        pool += 26;
    }
    if passphrase.chars().any(|c| c.is_ascii_uppercase()) {
        pool += 26;
    }
    if passphrase.chars().any(|c| c.is_ascii_digit()) {
        pool += 10;
    }
    if passphrase.chars().any(|c| !c.is_ascii_alphanumeric()) {
        pool += 20;
    }
    let per_char = if pool == 0 {
        0.0
    } else {
        f64::from(pool).log2()
    };
    // Characters of real text are far from random: count them at half value.
    let by_chars = per_char * chars as f64 / 2.0;
    // Several unrelated words: about 11 bits each (a 2,000-word vocabulary).
    let by_words = if words >= 2 { 11.0 * words as f64 } else { 0.0 };
    let bits = by_chars.max(by_words).min(256.0) as u32;
    let word = match bits {
        0..=27 => "weak",
        28..=43 => "fair",
        44..=59 => "good",
        _ => "strong",
    };
    (word, bits)
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

/// Applies `action` and says what the runtime must do.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Tick(now) => return tick(app, now),
        Action::Activity => {
            app.last_input = app.now;
            return Vec::new();
        }
        Action::Worker(event) => return worker_event(app, event),
        Action::Copied { label, target } => {
            let place = match target {
                CopyTarget::System => "the clipboard",
                CopyTarget::Osc52 => "the terminal (OSC 52)",
            };
            let clear = if app.settings.clipboard_clear > 0 {
                app.clipboard_deadline = Some(app.now + app.settings.clipboard_clear as i64);
                format!("; cleared in {} s", app.settings.clipboard_clear)
            } else {
                String::new()
            };
            app.set_status(format!("Copied {label} to {place}{clear}"));
            return Vec::new();
        }
        Action::CopyFailed(message) => {
            app.set_status(format!("Could not copy: {message}"));
            return Vec::new();
        }
        Action::Quit => {
            app.quit = true;
            return vec![Effect::Quit];
        }
        _ => app.last_input = app.now,
    }
    if let Some(popup) = app.popup.clone() {
        return popup_action(app, popup, action);
    }
    if matches!(action, Action::Help) {
        app.popup = Some(Popup::Help);
        return Vec::new();
    }
    if matches!(action, Action::Lock) && app.unlocked() {
        app.set_status("Locked");
        return app.lock();
    }
    match app.screen.clone() {
        Screen::Create(form) => create_action(app, form, action),
        Screen::Unlock(form) => unlock_action(app, form, action),
        Screen::List => list_action(app, action),
        Screen::Form(form) => form_action(app, form, action),
        Screen::Qr(view) => qr_action(app, view, action),
        Screen::Export(form) => export_action(app, form, action),
    }
}

fn tick(app: &mut App, now: i64) -> Vec<Effect> {
    app.now = now;
    app.frame = app.frame.wrapping_add(1);
    let mut effects = Vec::new();
    if app.status.as_ref().is_some_and(|(_, until)| now >= *until) {
        app.status = None;
    }
    if app.clipboard_deadline.is_some_and(|t| now >= t) {
        app.clipboard_deadline = None;
        effects.push(Effect::ClearClipboard);
    }
    if app.unlocked()
        && app.busy.is_none()
        && app.settings.idle_lock > 0
        && now.saturating_sub(app.last_input) >= app.settings.idle_lock as i64
    {
        effects.extend(app.lock());
        app.set_status("Locked after inactivity");
    }
    effects
}

fn worker_event(app: &mut App, event: WorkerEvent) -> Vec<Effect> {
    app.busy = None;
    match event {
        WorkerEvent::Unlocked { accounts, reminder } => {
            if !matches!(app.screen, Screen::Create(_) | Screen::Unlock(_)) {
                return Vec::new();
            }
            app.set_accounts(accounts);
            app.reminder = reminder;
            app.screen = Screen::List;
            app.last_input = app.now;
            app.set_status(format!(
                "Unlocked: {} account{}",
                app.accounts.len(),
                if app.accounts.len() == 1 { "" } else { "s" }
            ));
        }
        WorkerEvent::UnlockFailed { message, wrong_key } => match &mut app.screen {
            Screen::Unlock(form) if wrong_key => form.error = Some(message),
            Screen::Create(form) => form.error = Some(message),
            _ => app.error(message),
        },
        WorkerEvent::Saved { reminder } => {
            if app.unlocked() {
                app.reminder = reminder;
            }
            return app.save_finished(None);
        }
        WorkerEvent::SaveFailed(message) => return app.save_finished(Some(message)),
        WorkerEvent::Scanned(Ok(accounts)) => {
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
                if let Screen::Form(form) = &mut app.screen {
                    form.error = Some("every account in the image is already in the vault".into());
                }
                return Vec::new();
            }
            app.screen = Screen::List;
            app.set_status(format!(
                "Added {added} account{} from the image{}",
                if added == 1 { "" } else { "s" },
                if duplicates > 0 {
                    format!(" ({duplicates} already there)")
                } else {
                    String::new()
                }
            ));
            return app.save("added from an image");
        }
        WorkerEvent::Scanned(Err(message)) => {
            if let Screen::Form(form) = &mut app.screen {
                form.error = Some(message);
            } else {
                app.error(message);
            }
        }
        WorkerEvent::Exported(Ok(message)) => {
            app.screen = Screen::List;
            app.set_status(message);
        }
        WorkerEvent::Exported(Err(message)) => {
            if let Screen::Export(form) = &mut app.screen {
                form.error = Some(message);
            } else {
                app.error(message);
            }
        }
    }
    Vec::new()
}

fn popup_action(app: &mut App, popup: Popup, action: Action) -> Vec<Effect> {
    match popup {
        Popup::ConfirmDelete(id) => {
            app.popup = None;
            if let Action::Confirm(true) = action
                && let Some(index) = app.find(&id)
            {
                let account = app.accounts.remove(index);
                app.hotp_codes.remove(&account.id);
                let label = account.label();
                app.set_status(format!("Deleted {label}"));
                return app.save("deleted an account");
            }
            app.set_status("Nothing deleted");
            Vec::new()
        }
        Popup::Help | Popup::Error(_) => {
            if matches!(
                action,
                Action::Dismiss | Action::Cancel | Action::Submit | Action::Help
            ) {
                app.popup = None;
            }
            Vec::new()
        }
    }
}

fn key_from_input(text: &str) -> Key {
    Key::passphrase(SecretString::from(text.to_string()))
}

fn create_action(app: &mut App, mut form: CreateForm, action: Action) -> Vec<Effect> {
    if app.busy.is_some() {
        return Vec::new();
    }
    let mut effects = Vec::new();
    let identity = app.settings.identity.clone();
    let input = if form.focus == 0 {
        &mut form.first
    } else {
        &mut form.second
    };
    match action {
        Action::Char(c) => input.push(c),
        Action::Paste(text) => input.paste(&text),
        Action::Backspace => input.pop(),
        Action::ClearInput => input.clear(),
        Action::Up | Action::PrevField => form.focus = 0,
        Action::Down | Action::NextField => form.focus = 1,
        Action::Cancel => {
            app.quit = true;
            return vec![Effect::Quit];
        }
        Action::Submit => {
            if let Some(path) = identity {
                app.busy = Some("Creating the vault".into());
                effects.push(Effect::CreateWithIdentity(path));
            } else if form.focus == 0 {
                if form.first.is_empty() {
                    form.error = Some("type a passphrase first".into());
                } else {
                    form.focus = 1;
                    form.error = None;
                }
            } else if form.first.text() != form.second.text() {
                form.error = Some("the two passphrases differ; type them again".into());
                form.first.clear();
                form.second.clear();
                form.focus = 0;
            } else {
                form.error = None;
                app.busy = Some("Creating the vault".into());
                effects.push(Effect::Create(key_from_input(form.first.text())));
            }
        }
        _ => {}
    }
    app.screen = Screen::Create(form);
    effects
}

fn unlock_action(app: &mut App, mut form: UnlockForm, action: Action) -> Vec<Effect> {
    if app.busy.is_some() {
        return Vec::new();
    }
    let mut effects = Vec::new();
    match action {
        Action::Char(c) => form.passphrase.push(c),
        Action::Paste(text) => form.passphrase.paste(&text),
        Action::Backspace => form.passphrase.pop(),
        Action::ClearInput => form.passphrase.clear(),
        Action::Cancel => {
            app.quit = true;
            return vec![Effect::Quit];
        }
        Action::Submit => {
            if let Some(path) = &app.settings.identity {
                match Key::from_identity_file(path) {
                    Ok(key) => {
                        app.busy = Some("Unlocking".into());
                        effects.push(Effect::Unlock(key));
                    }
                    Err(e) => form.error = Some(format!("{e} ('{}')", path.display())),
                }
            } else if form.passphrase.is_empty() {
                form.error = Some("type the vault passphrase".into());
            } else {
                app.busy = Some("Unlocking".into());
                effects.push(Effect::Unlock(key_from_input(form.passphrase.text())));
                form.passphrase.clear();
                form.error = None;
            }
        }
        _ => {}
    }
    app.screen = Screen::Unlock(form);
    effects
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

fn list_action(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Char(c) => {
            app.query.push(c);
            app.refilter();
        }
        Action::Paste(text) => {
            app.query.paste(&text);
            app.refilter();
        }
        Action::Backspace => {
            app.query.pop();
            app.refilter();
        }
        Action::ClearInput => {
            app.query.clear();
            app.refilter();
        }
        Action::Cancel if !app.query.is_empty() => {
            app.query.clear();
            app.refilter();
        }
        Action::Up => move_selection(app, -1),
        Action::Down => move_selection(app, 1),
        Action::PageUp => move_selection(app, -(app.page.max(1) as isize)),
        Action::PageDown => move_selection(app, app.page.max(1) as isize),
        Action::Top => app.selected = 0,
        Action::Bottom => app.selected = app.visible.len().saturating_sub(1),
        Action::Submit => return copy_selected(app),
        Action::Add => app.screen = Screen::Form(AccountForm::add()),
        Action::Edit => {
            if let Some(account) = app.selected_account() {
                app.screen = Screen::Form(AccountForm::edit(account));
            }
        }
        Action::Delete => {
            if let Some(account) = app.selected_account() {
                app.popup = Some(Popup::ConfirmDelete(account.id.clone()));
            }
        }
        Action::ToggleFavorite => {
            if let Some(&index) = app.visible.get(app.selected)
                && let Some(account) = app.accounts.get_mut(index)
            {
                account.favorite = !account.favorite;
                account.modified = app.now;
                let message = if account.favorite {
                    "pinned"
                } else {
                    "unpinned"
                };
                let status = format!("{} {message}", account.label());
                app.set_status(status);
                return app.save(message);
            }
        }
        Action::MoveUp | Action::MoveDown => return reorder(app, matches!(action, Action::MoveUp)),
        Action::ShowQr => {
            if let Some(account) = app.selected_account() {
                app.screen = Screen::Qr(QrView {
                    id: account.id.clone(),
                    revealed: false,
                });
            }
        }
        Action::Export => {
            if app.accounts.is_empty() {
                app.set_status("There are no accounts to export");
            } else {
                let date = super::date(app.now);
                app.screen = Screen::Export(ExportForm {
                    path: TextInput::with_text(&format!("keyfob-paper-{date}.pdf")),
                    size: PaperSize::default(),
                    error: None,
                });
            }
        }
        _ => {}
    }
    Vec::new()
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
            // The code on show was spent; the next one is shown and copied by
            // `save_finished` once its counter is on disk.
            app.hotp_codes.remove(&id);
            let effects = app.save("HOTP counter");
            let save = app.saves_sent;
            app.pending_hotp.push(PendingHotp {
                save,
                id,
                code,
                label,
            });
            effects
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

fn form_action(app: &mut App, mut form: AccountForm, action: Action) -> Vec<Effect> {
    if app.waiting() {
        return Vec::new();
    }
    let count = form.fields.len();
    let focus = form.focus.min(count.saturating_sub(1));
    match action {
        Action::Char(c) => {
            if let Some(f) = form.fields.get_mut(focus) {
                f.input.push(c);
            }
        }
        Action::Paste(text) => {
            if let Some(f) = form.fields.get_mut(focus) {
                f.input.paste(&text);
            }
        }
        Action::Backspace => {
            if let Some(f) = form.fields.get_mut(focus) {
                f.input.pop();
            }
        }
        Action::ClearInput => {
            if let Some(f) = form.fields.get_mut(focus) {
                f.input.clear();
            }
        }
        Action::Down | Action::NextField => form.focus = (focus + 1) % count.max(1),
        Action::Up | Action::PrevField => form.focus = (focus + count.max(1) - 1) % count.max(1),
        Action::Cancel => {
            app.screen = Screen::List;
            return Vec::new();
        }
        Action::Submit => {
            return match form.editing.clone() {
                None => submit_add(app, form),
                Some(id) => submit_edit(app, form, &id),
            };
        }
        _ => {}
    }
    app.screen = Screen::Form(form);
    Vec::new()
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
    use add_field::*;
    let secret_text = form.text(SECRET);
    if secret_text.trim().is_empty() {
        return Err("paste an otpauth URI, give an image path, or type the secret".into());
    }
    let secret = Secret::from_base32(secret_text).map_err(|e| e.to_string())?;
    let number = |index: usize, what: &str| -> Result<u64, String> {
        let text = form.text(index).trim();
        text.parse::<u64>().map_err(|_| {
            format!(
                "the {what} '{}' is not a number",
                text.chars().take(20).collect::<String>()
            )
        })
    };
    let kind = match form.text(KIND).trim().to_ascii_lowercase().as_str() {
        "" | "totp" => Kind::Totp {
            period: u32::try_from(number(PERIOD, "period")?)
                .map_err(|_| "the period is too long".to_string())?,
        },
        "hotp" => Kind::Hotp {
            counter: number(PERIOD, "counter")?,
        },
        "steam" => Kind::Steam,
        other => {
            return Err(format!(
                "unknown type '{}' (totp, hotp or steam)",
                other.chars().take(20).collect::<String>()
            ));
        }
    };
    let algorithm = Algorithm::parse(form.text(ALGORITHM)).map_err(|e| e.to_string())?;
    let digits = u8::try_from(number(DIGITS, "number of digits")?)
        .map_err(|_| "too many digits".to_string())?;
    let mut account = Account::new(
        form.text(ISSUER),
        form.text(NAME),
        secret,
        kind,
        algorithm,
        digits,
        now,
    )
    .map_err(|e| e.to_string())?;
    account.tags = parse_tags(form.text(TAGS));
    Ok(account)
}

fn submit_add(app: &mut App, mut form: AccountForm) -> Vec<Effect> {
    let source = form.text(add_field::SOURCE).trim().to_string();
    let checked = |account: Account| match account.check_input() {
        Ok(()) => Ok(account),
        Err(e) => Err(e.to_string()),
    };
    let result = if source.is_empty() {
        account_from_fields(&form, app.now).and_then(checked)
    } else if source.to_ascii_lowercase().starts_with("otpauth") {
        let tags = parse_tags(form.text(add_field::TAGS));
        keyfob::uri::parse(&source, app.now)
            .map(|mut account| {
                account.tags.extend(tags);
                account
            })
            .map_err(|e| e.to_string())
            .and_then(checked)
    } else {
        let path = PathBuf::from(expand_home(&source));
        if !path.is_file() {
            form.error = Some(format!(
                "'{}' is neither an otpauth:// URI nor an image file",
                path.display()
            ));
            app.screen = Screen::Form(form);
            return Vec::new();
        }
        form.error = None;
        app.screen = Screen::Form(form);
        app.busy = Some("Reading the QR code".into());
        return vec![Effect::Scan(path)];
    };
    match result {
        Err(message) => {
            form.error = Some(message);
            app.screen = Screen::Form(form);
            Vec::new()
        }
        Ok(account) => {
            if let Some(existing) = app.accounts.iter().find(|a| a.same_token(&account)) {
                form.error = Some(format!(
                    "this account is already in the vault as '{}'",
                    existing.label()
                ));
                app.screen = Screen::Form(form);
                return Vec::new();
            }
            let label = account.label();
            let id = account.id.clone();
            app.accounts.push(account);
            app.query.clear();
            app.screen = Screen::List;
            app.set_status(format!("Added {label}"));
            let effects = app.save("added an account");
            if let Some(pos) = app
                .visible
                .iter()
                .position(|&i| app.accounts.get(i).is_some_and(|a| a.id == id))
            {
                app.selected = pos;
            }
            effects
        }
    }
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

fn submit_edit(app: &mut App, mut form: AccountForm, id: &AccountId) -> Vec<Effect> {
    let Some(index) = app.find(id) else {
        app.screen = Screen::List;
        return Vec::new();
    };
    let Some(original) = app.accounts.get(index) else {
        return Vec::new();
    };
    let mut edited = original.clone();
    edited.issuer = form.text(edit_field::ISSUER).trim().to_string();
    edited.name = form.text(edit_field::NAME).trim().to_string();
    edited.tags = parse_tags(form.text(edit_field::TAGS));
    edited.note = form.text(edit_field::NOTE).to_string();
    edited.modified = app.now;
    if let Err(e) = edited.check_input() {
        form.error = Some(e.to_string());
        app.screen = Screen::Form(form);
        return Vec::new();
    }
    let label = edited.label();
    if let Some(slot) = app.accounts.get_mut(index) {
        *slot = edited;
    }
    app.screen = Screen::List;
    app.set_status(format!("Saved {label}"));
    app.save("edited an account")
}

fn qr_action(app: &mut App, mut view: QrView, action: Action) -> Vec<Effect> {
    if view.revealed {
        // Any key hides the secret again.
        view.revealed = false;
        app.screen = Screen::Qr(view);
        return Vec::new();
    }
    match action {
        Action::Reveal => {
            view.revealed = true;
            app.screen = Screen::Qr(view);
        }
        Action::Cancel | Action::Submit | Action::ShowQr => app.screen = Screen::List,
        _ => {}
    }
    Vec::new()
}

fn export_action(app: &mut App, mut form: ExportForm, action: Action) -> Vec<Effect> {
    if app.waiting() {
        return Vec::new();
    }
    match action {
        Action::Char(c) => form.path.push(c),
        Action::Paste(text) => form.path.paste(&text),
        Action::Backspace => form.path.pop(),
        Action::ClearInput => form.path.clear(),
        Action::NextField | Action::PrevField => {
            form.size = match form.size {
                PaperSize::A4 => PaperSize::Letter,
                _ => PaperSize::A4,
            };
        }
        Action::Cancel => {
            app.screen = Screen::List;
            return Vec::new();
        }
        Action::Submit => {
            let path = PathBuf::from(expand_home(form.path.text().trim()));
            if form.path.text().trim().is_empty() {
                form.error = Some("type where to write the PDF".into());
            } else if path.exists() {
                form.error = Some(format!(
                    "'{}' exists; keyfob will not overwrite it",
                    path.display()
                ));
            } else {
                form.error = None;
                app.busy = Some("Writing the paper sheet".into());
                let size = form.size;
                app.screen = Screen::Export(form);
                return vec![Effect::ExportPaper(path, app.accounts.clone(), size)];
            }
        }
        _ => {}
    }
    app.screen = Screen::Export(form);
    Vec::new()
}
