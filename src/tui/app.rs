//! The terminal UI's shared state and its only mutator, [`update`].
//!
//! [`App`] is plain data: what every screen shares (settings, the clock, the
//! decrypted accounts and their search, the status line, the popup) plus the
//! current [`Screen`], whose own state, keys and drawing live in its file
//! under `screen/`. Keys become [`Action`]s (see `keymap`), the worker's
//! results and clock ticks come in as actions too, and [`update`] answers
//! with [`Effect`]s for the runtime to carry out (hand a [`Job`] to the
//! worker, use the clipboard, quit). Nothing here reads the clock, touches
//! the terminal or blocks, so every screen can be driven and checked in a
//! test at a fixed time.

use std::collections::HashMap;
use std::path::PathBuf;

use keyfob::Account;
use keyfob::account::AccountId;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use zeroize::Zeroizing;

use super::input::{Edit, TextInput};
use super::keymap::{Cmd, Context};
use super::popup::{self, Popup};
pub use super::screen::Screen;
use super::screen::{ListScreen, UnlockForm};
pub use super::worker::{Job, WorkerEvent};

/// How a background save is announced in the busy line.
const SAVING: &str = "Saving: ";
/// Seconds a status message stays on screen.
const STATUS_SECONDS: i64 = 8;
/// Seconds between looks at the vault file for another program's changes.
const REFRESH_SECONDS: i64 = 3;

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

/// Where a copied code went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyTarget {
    /// The system clipboard (arboard).
    System,
    /// The terminal's clipboard through an OSC 52 escape sequence.
    Osc52,
}

/// Everything that can happen to the app.
pub enum Action {
    /// A bound key (see `keymap::BINDINGS`).
    Cmd(Cmd),
    /// An editing step on the focused text field (or the search).
    Edit(Edit),
    /// Text pasted into the focused text field.
    Paste(String),
    /// The clock, in unix seconds; also animates the spinner.
    Tick(i64),
    /// The terminal reported a key press or mouse event (counts as activity).
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
    /// Hand this job to the worker thread (`Job::Lock` clears the clipboard too).
    Job(Job),
    /// Put this code on the clipboard.
    Copy {
        /// The code.
        code: Zeroizing<String>,
        /// The account, for the status line.
        label: String,
    },
    /// Clear the clipboard if it still holds our code.
    ClearClipboard,
    /// Leave.
    Quit,
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Job(job) => job.fmt(f),
            Effect::Copy { .. } => f.write_str("Copy"),
            Effect::ClearClipboard => f.write_str("ClearClipboard"),
            Effect::Quit => f.write_str("Quit"),
        }
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
    /// When the worker last looked at the file for another program's changes.
    pub last_refresh: i64,
    /// When to clear the clipboard.
    pub clipboard_deadline: Option<i64>,
    /// Rows of the list seen in the last frame (for page up/down).
    pub page: usize,
    /// Rows of the terminal in the last frame (how much of the help fits).
    pub rows: u16,
    /// Set when the user quits.
    pub quit: bool,
    /// The vault is open (decrypted accounts are held).
    open: bool,
    /// The screen to show once the current update is done (see [`App::show`]).
    next: Option<Screen>,
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
pub struct PendingHotp {
    /// The number of the save that must succeed first (`saves_sent` after it).
    save: u64,
    /// Which account.
    pub id: AccountId,
    /// The code.
    pub code: Zeroizing<String>,
    /// The account, for the status line.
    pub label: String,
}

impl App {
    /// A fresh app at time `now`: the create screen when there is no vault yet,
    /// the unlock screen otherwise.
    pub fn new(settings: Settings, vault_exists: bool, now: i64) -> Self {
        let screen = if vault_exists {
            Screen::Unlock(UnlockForm::default())
        } else {
            Screen::Create(super::screen::CreateForm::default())
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
            last_refresh: now,
            clipboard_deadline: None,
            page: 10,
            rows: 24,
            quit: false,
            open: false,
            next: None,
            haystacks: Vec::new(),
            matcher: Matcher::new(Config::DEFAULT),
            saves_sent: 0,
            saves_done: 0,
            pending_hotp: Vec::new(),
        }
    }

    /// True while decrypted accounts are held.
    pub fn unlocked(&self) -> bool {
        self.open
    }

    /// Switches to `screen` once the current update is done.
    pub fn show(&mut self, screen: impl Into<Screen>) {
        self.next = Some(screen.into());
    }

    /// Back to the account list.
    pub fn show_list(&mut self) {
        self.show(ListScreen::default());
    }

    /// Where the keyboard is: the popup's context, else the screen's.
    pub fn key_context(&self) -> Context {
        match &self.popup {
            Some(popup) => popup.context(),
            None => self.screen.context(),
        }
    }

    /// Replaces the accounts (after unlocking) and rebuilds the search index.
    pub fn set_accounts(&mut self, accounts: Vec<Account>) {
        self.accounts = accounts;
        self.reindex();
    }

    /// Rebuilds the search index after the accounts changed.
    pub fn reindex(&mut self) {
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

    /// Selects the account `id` if it is visible.
    pub fn select(&mut self, id: &AccountId) {
        if let Some(pos) = self
            .visible
            .iter()
            .position(|&i| self.accounts.get(i).is_some_and(|a| &a.id == id))
        {
            self.selected = pos;
        }
    }

    /// The position of account `id` in `accounts`.
    pub fn find(&self, id: &AccountId) -> Option<usize> {
        self.accounts.iter().position(|a| &a.id == id)
    }

    /// Shows `text` in the status line for a few seconds.
    pub fn set_status(&mut self, text: impl Into<String>) {
        self.status = Some((text.into(), self.now + STATUS_SECONDS));
    }

    /// Shows `text` in an error popup.
    pub fn error(&mut self, text: impl Into<String>) {
        self.popup = Some(Popup::Error(text.into()));
    }

    /// Forgets every decrypted thing and shows the unlock screen.
    pub fn lock(&mut self) -> Vec<Effect> {
        self.open = false;
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
        self.show(UnlockForm::default());
        vec![Effect::Job(Job::Lock)]
    }

    /// Hands `job` to the worker and shows `what` with a spinner until it answers.
    pub fn start(&mut self, what: &str, job: Job) -> Vec<Effect> {
        self.busy = Some(what.to_string());
        vec![Effect::Job(job)]
    }

    /// True while the worker does something the current screen waits for
    /// (saves run in the background and do not count).
    pub fn waiting(&self) -> bool {
        self.busy.as_deref().is_some_and(|b| !b.starts_with(SAVING))
    }

    /// Saves the accounts in the background; `message` says why.
    pub fn save(&mut self, message: &str) -> Vec<Effect> {
        self.reindex();
        self.busy = Some(format!("{SAVING}{message}"));
        self.saves_sent += 1;
        vec![Effect::Job(Job::Save(self.accounts.clone()))]
    }

    /// Saves the accounts, then shows and copies `code` once the save succeeded.
    pub fn save_then_copy(
        &mut self,
        message: &str,
        id: AccountId,
        code: Zeroizing<String>,
        label: String,
    ) -> Vec<Effect> {
        let effects = self.save(message);
        let save = self.saves_sent;
        self.pending_hotp.push(PendingHotp {
            save,
            id,
            code,
            label,
        });
        effects
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

/// The file changed on disk and the worker read it again. The accounts are
/// taken when no save is on its way (that save merges with the file and
/// answers with them).
fn reloaded(app: &mut App, result: Result<super::worker::Reloaded, String>) -> Vec<Effect> {
    if !app.unlocked() {
        return Vec::new();
    }
    match result {
        Ok(reloaded) if app.saves_done == app.saves_sent => {
            app.set_accounts(reloaded.accounts);
            app.reminder = reloaded.reminder;
            app.set_status("Another program saved the vault: its changes are in");
            vec![Effect::Job(Job::Adopt)]
        }
        Ok(_) => Vec::new(),
        Err(message) => {
            app.error(message);
            Vec::new()
        }
    }
}

/// `~/rest` with the home directory put in.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => PathBuf::from(format!("{home}/{rest}")),
        _ => PathBuf::from(path),
    }
}

/// Applies `action` and says what the runtime must do.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let effects = route(app, action);
    if let Some(next) = app.next.take() {
        app.screen = next;
    }
    effects
}

/// Runs `f` on the current screen's state with the app beside it.
fn on_screen(app: &mut App, f: impl FnOnce(&mut Screen, &mut App) -> Vec<Effect>) -> Vec<Effect> {
    let mut screen = std::mem::replace(&mut app.screen, Screen::List(ListScreen::default()));
    let effects = f(&mut screen, app);
    app.screen = screen;
    effects
}

fn route(app: &mut App, action: Action) -> Vec<Effect> {
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
        Action::Cmd(Cmd::Quit) => {
            app.quit = true;
            return vec![Effect::Quit];
        }
        _ => app.last_input = app.now,
    }
    if let Some(open) = app.popup.take() {
        return popup::update(app, open, action);
    }
    match action {
        Action::Cmd(Cmd::Help) => {
            app.popup = Some(Popup::Help { top: 0 });
            Vec::new()
        }
        Action::Cmd(Cmd::Lock) if app.unlocked() => {
            app.set_status("Locked");
            app.lock()
        }
        action => on_screen(app, |screen, app| screen.update(app, action)),
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
    } else if app.unlocked()
        && app.busy.is_none()
        && now.saturating_sub(app.last_refresh) >= REFRESH_SECONDS
    {
        // Another keyfob, the agent's user or a sync tool may have saved.
        app.last_refresh = now;
        effects.push(Effect::Job(Job::Refresh));
    }
    effects
}

fn worker_event(app: &mut App, event: WorkerEvent) -> Vec<Effect> {
    let event = match event {
        WorkerEvent::Progress { done, total } => {
            // The job goes on: only the spinner's text changes.
            app.busy = Some(format!("Reading file {} of {total}", done + 1));
            return Vec::new();
        }
        // Not an answer to a job the UI waits for: the spinner stays.
        WorkerEvent::Reloaded(result) => return reloaded(app, result),
        other => other,
    };
    app.busy = None;
    match event {
        WorkerEvent::Unlocked { accounts, reminder } => {
            if app.unlocked() {
                return Vec::new();
            }
            app.open = true;
            app.set_accounts(accounts);
            app.reminder = reminder;
            app.show_list();
            app.last_input = app.now;
            app.set_status(format!(
                "Unlocked: {} account{}",
                app.accounts.len(),
                if app.accounts.len() == 1 { "" } else { "s" }
            ));
            Vec::new()
        }
        WorkerEvent::Saved { reminder, merged } => {
            let mut effects = Vec::new();
            if app.unlocked() {
                app.reminder = reminder;
                // The save merged another keyfob's changes. Take them when no later
                // save is on its way (that one answers with them too).
                if let Some(accounts) = merged.filter(|_| app.saves_done + 1 == app.saves_sent) {
                    app.set_accounts(accounts);
                    effects.push(Effect::Job(Job::Adopt));
                }
            }
            effects.extend(app.save_finished(None));
            effects
        }
        WorkerEvent::SaveFailed(message) => app.save_finished(Some(message)),
        event => on_screen(app, |screen, app| screen.on_worker(app, event)),
    }
}
