//! The screens: one file each, holding the screen's state, its key handling
//! and its drawing. [`Screen`] is the list of them; `App` keeps what they
//! share and hands each action to the current one.
//!
//! Adding a screen: write its file (a state type implementing [`ScreenState`]),
//! add one line to the `screens!` list below, and give its keys rows in
//! `keymap::BINDINGS` under a new `keymap::Context`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::app::{Action, App, Effect};
use super::keymap::Context;
use super::view::Theme;
use super::worker::{SourceKeys, WorkerEvent};

mod account;
mod backups;
mod create;
mod import;
mod list;
mod merge;
mod qr;
mod sources;
mod unlock;

#[cfg(test)]
pub use account::AccountField;
pub use account::AccountForm;
pub use backups::BackupsScreen;
pub use create::CreateForm;
pub use import::ImportScreen;
pub use list::ListScreen;
pub use merge::MergeScreen;
pub use qr::QrView;
pub use unlock::UnlockForm;

/// The item after `current` in `items` (before it, going back), wrapping
/// round; from the first item when `current` is not there, and `current`
/// itself when there are none.
fn next<T: Copy + PartialEq>(items: &[T], current: T, forward: bool) -> T {
    let count = items.len().max(1);
    let at = items.iter().position(|item| *item == current).unwrap_or(0);
    let to = (if forward { at + 1 } else { at + count - 1 }) % count;
    items.get(to).copied().unwrap_or(current)
}

/// The keys typed into a screen's password and identity-file fields, for a
/// worker job reading encrypted sources: empty fields give none.
fn typed_keys(
    password: &super::input::TextInput,
    identity: &super::input::TextInput,
) -> SourceKeys {
    SourceKeys {
        password: (!password.is_empty())
            .then(|| zeroize::Zeroizing::new(password.text().as_bytes().to_vec())),
        identity: Some(identity.text().trim())
            .filter(|path| !path.is_empty())
            .map(super::app::expand_home),
    }
}

/// What every screen does. `update` and `on_worker` get the screen's own
/// state and the app beside it; to go to another screen they call
/// [`App::show`].
pub trait ScreenState {
    /// Where the keyboard is (which rows of the key table apply).
    fn context(&self) -> Context;
    /// Applies a key or paste (ticks, worker results and global keys are handled before).
    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect>;
    /// A worker result meant for this screen. By default a failure is shown
    /// in an error popup and a success the screen did not ask for is dropped.
    fn on_worker(&mut self, app: &mut App, event: WorkerEvent) -> Vec<Effect> {
        unexpected(app, event);
        Vec::new()
    }
    /// Draws the screen.
    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer);
}

/// What a screen does with a worker result it did not ask for: a failure is
/// shown in an error popup, a success dropped.
pub fn unexpected(app: &mut App, event: WorkerEvent) {
    if let Some(message) = event.into_error() {
        app.error(message);
    }
}

/// A large screen state kept on the heap (so [`Screen`] stays small) is a screen too.
impl<T: ScreenState> ScreenState for Box<T> {
    fn context(&self) -> Context {
        (**self).context()
    }
    fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        (**self).update(app, action)
    }
    fn on_worker(&mut self, app: &mut App, event: WorkerEvent) -> Vec<Effect> {
        (**self).on_worker(app, event)
    }
    fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        (**self).render(app, theme, area, buf);
    }
}

/// Declares [`Screen`] with one variant per screen state, and the dispatch to it.
macro_rules! screens {
    ($($(#[$doc:meta])* $variant:ident($state:ty),)*) => {
        /// The screen filling the terminal.
        pub enum Screen {
            $($(#[$doc])* $variant($state),)*
        }

        impl Screen {
            fn state(&self) -> &dyn ScreenState {
                match self {
                    $(Screen::$variant(state) => state,)*
                }
            }

            fn state_mut(&mut self) -> &mut dyn ScreenState {
                match self {
                    $(Screen::$variant(state) => state,)*
                }
            }
        }

        $(impl From<$state> for Screen {
            fn from(state: $state) -> Self {
                Screen::$variant(state)
            }
        })*
    };
}

screens! {
    /// First run: no vault yet.
    Create(CreateForm),
    /// The vault is locked.
    Unlock(UnlockForm),
    /// The account list.
    List(ListScreen),
    /// Adding or editing an account.
    Form(AccountForm),
    /// One account's QR code.
    Qr(QrView),
    /// Bringing accounts in.
    Import(ImportScreen),
    /// Merging other copies of the vault.
    Merge(MergeScreen),
    /// Backup status, backups, exports and verifying.
    Backups(Box<BackupsScreen>),
}

impl Screen {
    /// Where the keyboard is.
    pub fn context(&self) -> Context {
        self.state().context()
    }

    /// Applies a key or paste to the screen.
    pub fn update(&mut self, app: &mut App, action: Action) -> Vec<Effect> {
        self.state_mut().update(app, action)
    }

    /// Hands the screen a worker result.
    pub fn on_worker(&mut self, app: &mut App, event: WorkerEvent) -> Vec<Effect> {
        self.state_mut().on_worker(app, event)
    }

    /// Draws the screen.
    pub fn render(&self, app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
        self.state().render(app, theme, area, buf);
    }
}
