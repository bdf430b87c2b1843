//! The terminal UI (`keyfob` with no subcommand): ratatui + crossterm.
//!
//! Elm-like: [`app::App`] is plain data, [`app::update`] its only mutator,
//! [`keymap`] turns keys into actions from one table, each screen under
//! [`screen`] keeps its state, keys and drawing in one file, [`popup`] the
//! windows over them, [`view`] the drawing they share, [`worker`] runs
//! scrypt, QR decoding and exports off the draw loop, and [`clipboard`] is
//! the seam to the system or terminal clipboard. This module is the runtime
//! gluing them to a real terminal and clock.

pub mod app;
pub mod clipboard;
pub mod form;
pub mod input;
pub mod keymap;
pub mod paths;
pub mod popup;
pub mod screen;
pub mod view;
pub mod worker;

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event,
};
use crossterm::execute;
use keyfob::vault::Key;

use app::{Action, App, Effect, Settings};
use clipboard::Clipboard;
use worker::{Job, WorkerConfig};

/// How often the clock ticks (spinner, countdowns, idle lock).
const TICK: Duration = Duration::from_millis(250);

/// What the command line hands the UI.
pub struct Options {
    /// The vault file.
    pub vault_path: PathBuf,
    /// `--identity`: unlock with this identity file.
    pub identity: Option<PathBuf>,
    /// A key already obtained (`--identity` or `--passphrase-file`): unlock at start.
    pub initial_key: Option<Key>,
    /// How long a save waits for another keyfob (`KEYFOB_LOCK_WAIT`).
    pub lock_wait: std::time::Duration,
}

pub use keyfob::clock::{date, now, rfc3339};

fn env_seconds(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(default)
}

/// Settings from the options and the environment: `KEYFOB_LOCK_AFTER` (idle
/// seconds before locking, 0 = never), `KEYFOB_CLIPBOARD_CLEAR` (seconds,
/// 0 = never) and `NO_COLOR`.
pub fn settings(options: &Options) -> Settings {
    let mut settings = Settings::new(options.vault_path.clone());
    settings.identity = options.identity.clone();
    settings.idle_lock = env_seconds("KEYFOB_LOCK_AFTER", settings.idle_lock);
    settings.clipboard_clear = env_seconds("KEYFOB_CLIPBOARD_CLEAR", settings.clipboard_clear);
    settings.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    settings
}

/// Runs the UI until the user quits. Without a terminal it says so and returns exit status 2.
pub fn run(options: Options) -> anyhow::Result<ExitCode> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        eprintln!(
            "keyfob: the terminal UI needs a terminal on standard input and output; use a subcommand instead (see 'keyfob --help')"
        );
        return Ok(ExitCode::from(2));
    }
    let settings = settings(&options);
    let mut app = App::new(settings, options.vault_path.exists(), now());

    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let (event_tx, event_rx) = mpsc::channel();
    let config = WorkerConfig {
        vault_path: options.vault_path.clone(),
        lock_wait: options.lock_wait,
    };
    let worker = std::thread::Builder::new()
        .name("keyfob-worker".into())
        .spawn(move || worker::run(config, job_rx, event_tx, now))
        .context("starting the worker thread")?;
    if let Some(key) = options.initial_key
        && options.vault_path.exists()
    {
        app.busy = Some("Unlocking".into());
        let _ = job_tx.send(Job::Unlock(key));
    }

    let preference = match std::env::var("KEYFOB_CLIPBOARD").as_deref() {
        Ok("osc52") => clipboard::Preference::Osc52,
        _ => clipboard::Preference::Auto,
    };
    let mut clip = clipboard::System::new(preference, std::io::stdout());

    let mut terminal = ratatui::try_init().context("setting up the terminal")?;
    let _ = execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste);
    let result = event_loop(&mut terminal, &mut app, &job_tx, &event_rx, &mut clip);
    clip.clear();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
    ratatui::restore();
    // Let a save in flight finish before leaving.
    drop(job_tx);
    let _ = worker.join();
    result.map(|()| ExitCode::SUCCESS)
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    jobs: &mpsc::Sender<Job>,
    events: &mpsc::Receiver<worker::WorkerEvent>,
    clip: &mut dyn Clipboard,
) -> anyhow::Result<()> {
    let mut next_tick = Instant::now();
    while !app.quit {
        terminal
            .draw(|frame| {
                app.page = usize::from(frame.area().height.saturating_sub(6)).max(1);
                app.rows = frame.area().height;
                frame.render_widget(&*app, frame.area());
            })
            .context("drawing the screen")?;
        let timeout = next_tick.saturating_duration_since(Instant::now());
        let mut actions = Vec::new();
        if event::poll(timeout).context("reading the terminal")? {
            match event::read().context("reading the terminal")? {
                Event::Key(key) => actions.extend(keymap::action_for(app, key)),
                Event::Paste(text) => actions.push(Action::Paste(text)),
                Event::Mouse(mouse) => {
                    if matches!(app.screen, screen::Screen::List(_)) && app.popup.is_none() {
                        actions.push(keymap::mouse_action(mouse));
                    } else {
                        actions.push(Action::Activity);
                    }
                }
                _ => {}
            }
        }
        while let Ok(event) = events.try_recv() {
            actions.push(Action::Worker(event));
        }
        if Instant::now() >= next_tick {
            next_tick = Instant::now() + TICK;
            actions.push(Action::Tick(now()));
        }
        for action in actions {
            dispatch(app, action, jobs, clip);
        }
    }
    Ok(())
}

/// Applies an action and carries out its effects (feeding clipboard results back).
pub fn dispatch(app: &mut App, action: Action, jobs: &mpsc::Sender<Job>, clip: &mut dyn Clipboard) {
    let mut pending = vec![action];
    while let Some(action) = pending.pop() {
        for effect in app::update(app, action) {
            if let Some(next) = perform(effect, jobs, clip) {
                pending.push(next);
            }
        }
    }
}

fn perform(effect: Effect, jobs: &mpsc::Sender<Job>, clip: &mut dyn Clipboard) -> Option<Action> {
    let job = match effect {
        Effect::Job(job) => job,
        Effect::Copy { code, label } => {
            return Some(match clip.copy(&code) {
                Ok(target) => Action::Copied { label, target },
                Err(message) => Action::CopyFailed(message),
            });
        }
        Effect::ClearClipboard => {
            clip.clear();
            return None;
        }
        Effect::Quit => {
            clip.clear();
            return None;
        }
    };
    if matches!(job, Job::Lock) {
        clip.clear();
    }
    if jobs.send(job).is_err() {
        return Some(Action::Worker(worker::WorkerEvent::SaveFailed(
            "the worker thread stopped; restart keyfob".into(),
        )));
    }
    None
}
