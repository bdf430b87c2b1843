//! Screen snapshots (TestBackend + insta) at a fixed clock with a fixture vault,
//! and key handling: a key sequence in, state and effects out.

use std::sync::mpsc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keyfob::{Account, Algorithm, Kind, Secret, otp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{Action, App, Effect, Screen, Settings, WorkerEvent, update};
use super::clipboard::{Clipboard, Fake};
use super::keymap::Cmd;
use super::keymap::action_for;
use super::popup::Popup;
use super::worker::{Job, SourceKeys};

/// 2027-01-15T08:00:10Z: 20 s left in a 30 s period.
const NOW: i64 = 1_800_000_010;
/// Four seconds before the code changes.
const LATE: i64 = 1_800_000_026;

fn account(issuer: &str, name: &str, secret: &str, kind: Kind) -> Account {
    Account::new(
        issuer,
        name,
        Secret::from_base32(secret).unwrap(),
        kind,
        Algorithm::Sha1,
        6,
        0,
    )
    .unwrap()
}

fn fixture() -> Vec<Account> {
    let mut github = account(
        "GitHub",
        "alice@example.com",
        "JBSWY3DPEHPK3PXP",
        Kind::DEFAULT_TOTP,
    );
    github.tags = vec!["work".into()];
    vec![
        github,
        account(
            "Google",
            "alice@gmail.com",
            "GEZDGNBVGY3TQOJQ",
            Kind::DEFAULT_TOTP,
        ),
        account(
            "GitLab",
            "bob",
            "MFRGGZDFMZTWQ2LK",
            Kind::Totp { period: 60 },
        ),
        account(
            "Bank",
            "1234-5678",
            "ONSWG4TFORXW42LU",
            Kind::Hotp { counter: 7 },
        ),
        account("Steam", "gamer", "KRUGS4ZANFZSAYJA", Kind::Steam),
    ]
}

fn settings() -> Settings {
    let mut settings = Settings::new("/home/alice/.local/share/keyfob/keyfob.vault.age".into());
    settings.color = false;
    settings
}

fn unlocked() -> App {
    let mut app = App::new(settings(), true, NOW);
    let effects = update(
        &mut app,
        Action::Worker(WorkerEvent::Unlocked {
            accounts: fixture(),
            reminder: Some(
                "no verified backup yet: make one with Ctrl-P (a paper sheet or an age backup) and verify it there"
                    .into(),
            ),
        }),
    );
    assert!(effects.is_empty());
    app.status = None;
    app
}

fn draw(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(app, frame.area()))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Presses keys through the keymap and update, collecting every effect.
fn press(app: &mut App, keys: &[KeyEvent]) -> Vec<Effect> {
    let mut effects = Vec::new();
    for k in keys {
        if let Some(action) = action_for(app, *k) {
            effects.extend(update(app, action));
        }
    }
    effects
}

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    let keys: Vec<KeyEvent> = text.chars().map(|c| key(KeyCode::Char(c))).collect();
    press(app, &keys)
}

fn visible_issuers(app: &App) -> Vec<String> {
    app.visible
        .iter()
        .map(|&i| app.accounts[i].issuer.clone())
        .collect()
}

fn code_at(account: &Account, now: i64) -> String {
    otp::generate(account, now as u64).unwrap().text
}

fn assert_no_secret(screen: &str) {
    for secret in [
        "JBSWY3DPEHPK3PXP",
        "JBSW Y3DP",
        "GEZDGNBVGY3TQOJQ",
        "MFRGGZDF",
        "ONSWG4TF",
        "KRUGS4ZA",
    ] {
        assert!(
            !screen.contains(secret),
            "a secret leaked into the screen:\n{screen}"
        );
    }
}

// ---------------------------------------------------------------- snapshots

#[test]
fn snapshot_create() {
    let mut app = App::new(settings(), false, NOW);
    type_text(&mut app, "correct horse battery");
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("Strength: good"), "{screen}");
    assert!(!screen.contains("correct"));
    insta::assert_snapshot!("create", screen);
}

#[test]
fn snapshot_unlock_and_wrong_passphrase() {
    let mut app = App::new(settings(), true, NOW);
    type_text(&mut app, "hunter2");
    insta::assert_snapshot!("unlock", draw(&app, 80, 24));
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Unlock(_))]));
    app.frame = 3;
    insta::assert_snapshot!("unlocking_spinner", draw(&app, 80, 24));
    update(
        &mut app,
        Action::Worker(WorkerEvent::UnlockFailed {
            message: "Wrong passphrase; try again.".into(),
            wrong_key: true,
        }),
    );
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("Wrong passphrase; try again."), "{screen}");
    insta::assert_snapshot!("unlock_wrong", screen);
    // Trying again works.
    type_text(&mut app, "hunter3");
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Unlock(_))]));
}

#[test]
fn snapshot_list() {
    let app = unlocked();
    let screen = draw(&app, 80, 24);
    assert_no_secret(&screen);
    let github = &app.accounts[0];
    let code = code_at(github, NOW);
    assert!(
        screen.contains(&format!("{} {}", &code[..3], &code[3..])),
        "{screen}"
    );
    insta::assert_snapshot!("list", screen);
}

#[test]
fn snapshot_list_shows_next_code_in_last_seconds() {
    let mut app = unlocked();
    update(&mut app, Action::Tick(LATE));
    let screen = draw(&app, 80, 24);
    let next = code_at(&app.accounts[0], LATE + 30);
    assert!(
        screen.contains(&format!("→ {} {}", &next[..3], &next[3..])),
        "{screen}"
    );
    insta::assert_snapshot!("list_next_code", screen);
}

#[test]
fn snapshot_search() {
    let mut app = unlocked();
    type_text(&mut app, "git");
    assert_eq!(visible_issuers(&app), ["GitHub", "GitLab"]);
    insta::assert_snapshot!("search", draw(&app, 80, 24));
}

#[test]
fn snapshot_add_form() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('n')]);
    update(
        &mut app,
        Action::Paste("otpauth://totp/Acme:me?secret=JBSWY3DPEHPK3PXP&issuer=Acme".into()),
    );
    let screen = draw(&app, 80, 24);
    assert_no_secret(&screen);
    insta::assert_snapshot!("add_form", screen);
}

#[test]
fn snapshot_qr_view_without_secret_text() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('s')]);
    let screen = draw(&app, 80, 24);
    assert!(matches!(app.screen, Screen::Qr(_)));
    assert_no_secret(&screen);
    assert!(screen.contains('█'));
    insta::assert_snapshot!("qr", screen);
}

#[test]
fn qr_secret_revealed_on_r_and_hidden_on_next_key() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('s'), key(KeyCode::Char('r'))]);
    let screen = draw(&app, 80, 30);
    assert!(screen.contains("JBSW Y3DP EHPK 3PXP"), "{screen}");
    press(&mut app, &[key(KeyCode::Char('x'))]);
    let screen = draw(&app, 80, 30);
    assert_no_secret(&screen);
    assert!(matches!(&app.screen, Screen::Qr(view) if !view.revealed));
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(matches!(app.screen, Screen::List(_)));
}

#[test]
fn help_that_does_not_fit_scrolls_and_any_other_key_closes_it() {
    let mut app = unlocked();
    let rows = super::keymap::help(app.screen.context());
    let (first, last) = (rows[0].1, rows[rows.len() - 1].1);
    // 16 rows: 14 of the keys fit.
    app.rows = 16;
    press(&mut app, &[key(KeyCode::Char('?'))]);
    let screen = draw(&app, 80, 16);
    assert!(
        screen.contains(&format!("Keys 1-14 of {}", rows.len())),
        "{screen}"
    );
    assert!(screen.contains(first) && !screen.contains(last), "{screen}");
    press(&mut app, &[key(KeyCode::Down)]);
    assert_eq!(app.popup, Some(Popup::Help { top: 1 }));
    assert!(!draw(&app, 80, 16).contains(first));
    // A page down goes no further than the last row.
    press(&mut app, &[key(KeyCode::PageDown), key(KeyCode::PageDown)]);
    assert_eq!(
        app.popup,
        Some(Popup::Help {
            top: rows.len() - 14
        })
    );
    let screen = draw(&app, 80, 16);
    assert!(screen.contains(last), "{screen}");
    press(&mut app, &[key(KeyCode::PageUp), key(KeyCode::Up)]);
    assert_eq!(app.popup, Some(Popup::Help { top: 0 }));
    press(&mut app, &[key(KeyCode::Char('x'))]);
    assert_eq!(app.popup, None);
    assert!(app.query.is_empty(), "the key closing help is not typed");
    // Where every row fits, ↓ closes it like any key.
    app.rows = 40;
    press(&mut app, &[key(KeyCode::Char('?')), key(KeyCode::Down)]);
    assert_eq!(app.popup, None);
}

#[test]
fn snapshot_help() {
    let mut app = unlocked();
    press(&mut app, &[key(KeyCode::Char('?'))]);
    assert_eq!(app.popup, Some(Popup::Help { top: 0 }));
    insta::assert_snapshot!("help", draw(&app, 80, 24));
    press(&mut app, &[key(KeyCode::Char('x'))]);
    assert_eq!(app.popup, None);
    assert!(app.query.is_empty(), "the key closing help is not typed");
}

#[test]
fn snapshot_locked() {
    let mut app = unlocked();
    let effects = press(&mut app, &[ctrl('l')]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Lock)]));
    assert!(app.accounts.is_empty() && app.visible.is_empty());
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("The vault is locked."));
    insta::assert_snapshot!("locked", screen);
}

#[test]
fn snapshot_error_popup() {
    let mut app = unlocked();
    update(
        &mut app,
        Action::Worker(WorkerEvent::SaveFailed(
            "the vault was changed by another keyfob since it was opened; your change was not saved, reopen and try again"
                .into(),
        )),
    );
    insta::assert_snapshot!("error_popup", draw(&app, 80, 24));
    press(&mut app, &[key(KeyCode::Enter)]);
    assert_eq!(app.popup, None);
}

#[test]
fn snapshot_tiny_terminal() {
    let mut app = unlocked();
    let screen = draw(&app, 40, 12);
    assert_no_secret(&screen);
    insta::assert_snapshot!("tiny_list", screen);
    press(&mut app, &[ctrl('s')]);
    insta::assert_snapshot!("tiny_qr", draw(&app, 40, 12));
    let locked = App::new(settings(), true, NOW);
    insta::assert_snapshot!("tiny_unlock", draw(&locked, 40, 12));
}

// ------------------------------------------------------------- key handling

#[test]
fn typing_narrows_the_list_on_every_key() {
    let mut app = unlocked();
    assert_eq!(app.visible.len(), 5);
    type_text(&mut app, "g");
    let after_g = app.visible.len();
    type_text(&mut app, "lab");
    assert_eq!(visible_issuers(&app), ["GitLab"]);
    assert!(after_g > 1);
    press(
        &mut app,
        &[
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
            key(KeyCode::Backspace),
        ],
    );
    assert_eq!(app.visible.len(), after_g);
    press(&mut app, &[key(KeyCode::Esc)]);
    assert_eq!(app.visible.len(), 5);
    type_text(&mut app, "work");
    assert_eq!(visible_issuers(&app), ["GitHub"], "tags are searched");
}

#[test]
fn enter_copies_and_the_clipboard_is_cleared_later() {
    let mut app = unlocked();
    let (jobs, _rx) = mpsc::channel::<Job>();
    let mut clip = Fake::default();
    type_text(&mut app, "google");
    super::dispatch(&mut app, Action::Cmd(Cmd::Submit), &jobs, &mut clip);
    let expected = code_at(&app.accounts[1], NOW);
    assert_eq!(clip.content.as_deref(), Some(expected.as_str()));
    let status = app.status.clone().unwrap().0;
    assert!(
        status.contains("the clipboard") && status.contains("20 s"),
        "{status}"
    );
    super::dispatch(&mut app, Action::Tick(NOW + 19), &jobs, &mut clip);
    assert!(clip.content.is_some());
    app.last_input = NOW + 19;
    super::dispatch(&mut app, Action::Tick(NOW + 20), &jobs, &mut clip);
    assert_eq!(clip.content, None, "cleared after 20 s");

    // Something else copied since: left alone.
    super::dispatch(&mut app, Action::Cmd(Cmd::Submit), &jobs, &mut clip);
    clip.content = Some("the user's own text".into());
    app.last_input = NOW + 40;
    super::dispatch(&mut app, Action::Tick(NOW + 41), &jobs, &mut clip);
    assert_eq!(clip.content.as_deref(), Some("the user's own text"));
}

#[test]
fn hotp_shows_a_code_only_when_asked_and_saves_the_counter() {
    let mut app = unlocked();
    type_text(&mut app, "bank");
    let before = app.accounts[3].clone();
    let code = code_at(&before, NOW);
    let grouped = format!("{} {}", &code[..3], &code[3..]);
    assert!(!draw(&app, 80, 24).contains(&grouped));
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    let names: Vec<String> = effects.iter().map(|e| format!("{e:?}")).collect();
    assert_eq!(
        names,
        ["Save"],
        "nothing is copied before the counter is saved"
    );
    match &effects[..] {
        [Effect::Job(Job::Save(accounts))] => {
            assert_eq!(accounts[3].kind, Kind::Hotp { counter: 8 })
        }
        _ => unreachable!(),
    }
    assert_eq!(app.accounts[3].kind, Kind::Hotp { counter: 8 });
    assert!(
        !draw(&app, 80, 24).contains(&grouped),
        "not shown while saving"
    );

    let effects = update(
        &mut app,
        Action::Worker(WorkerEvent::Saved {
            reminder: None,
            merged: None,
        }),
    );
    match &effects[..] {
        [Effect::Copy { code: copied, .. }] => assert_eq!(copied.as_str(), code),
        other => panic!("expected one copy after the save, got {other:?}"),
    }
    let screen = draw(&app, 80, 24);
    assert!(screen.contains(&grouped), "{screen}");
}

#[test]
fn hotp_code_of_a_failed_save_is_never_shown_or_copied() {
    let mut app = unlocked();
    let (jobs, rx) = mpsc::channel::<Job>();
    let mut clip = Fake::default();
    type_text(&mut app, "bank");
    let first = code_at(&app.accounts[3], NOW);
    super::dispatch(&mut app, Action::Cmd(Cmd::Submit), &jobs, &mut clip);
    assert!(matches!(rx.try_recv(), Ok(Job::Save(_))));
    assert_eq!(clip.content, None, "copied before the counter was saved");
    // The worker reports what the vault said: another keyfob changed the file.
    let refused = keyfob::vault::VaultError::ChangedOnDisk.to_string();
    super::dispatch(
        &mut app,
        Action::Worker(WorkerEvent::SaveFailed(refused.clone())),
        &jobs,
        &mut clip,
    );
    assert_eq!(
        clip.content, None,
        "a code whose counter was not saved was copied"
    );
    assert!(app.hotp_codes.is_empty(), "the unsaved code is on show");
    let screen = draw(&app, 100, 30);
    assert!(
        !screen.contains(&format!("{} {}", &first[..3], &first[3..])),
        "{screen}"
    );
    match &app.popup {
        Some(Popup::Error(message)) => {
            assert!(message.starts_with(&refused), "{message}");
            assert!(
                message.contains("not shown or copied") && message.contains("Ctrl-L and unlock"),
                "{message}"
            );
        }
        _ => panic!("no error popup after the failed save"),
    }
    // A later successful save (of something else) does not bring the dropped code back.
    update(
        &mut app,
        Action::Worker(WorkerEvent::Saved {
            reminder: None,
            merged: None,
        }),
    );
    assert_eq!(clip.content, None);
    assert!(app.hotp_codes.is_empty());
}

#[test]
fn idle_lock_drops_the_accounts() {
    let locks = |effects: &[Effect]| effects.iter().any(|e| matches!(e, Effect::Job(Job::Lock)));
    let mut app = unlocked();
    assert!(!locks(&update(&mut app, Action::Tick(NOW + 299))));
    assert!(app.unlocked());
    let effects = update(&mut app, Action::Tick(NOW + 300));
    assert!(effects.iter().any(|e| matches!(e, Effect::Job(Job::Lock))));
    assert!(app.accounts.is_empty());
    assert!(matches!(app.screen, Screen::Unlock(_)));
    // A key press resets the idle timer.
    let mut app = unlocked();
    update(&mut app, Action::Tick(NOW + 200));
    type_text(&mut app, "x");
    assert!(!locks(&update(&mut app, Action::Tick(NOW + 450))));
    assert!(app.unlocked());
}

#[test]
fn every_few_seconds_the_worker_looks_for_another_programs_changes() {
    let refreshes = |effects: &[Effect]| {
        effects
            .iter()
            .filter(|e| matches!(e, Effect::Job(Job::Refresh)))
            .count()
    };
    let mut app = unlocked();
    assert_eq!(refreshes(&update(&mut app, Action::Tick(NOW + 1))), 0);
    assert_eq!(refreshes(&update(&mut app, Action::Tick(NOW + 3))), 1);
    assert_eq!(refreshes(&update(&mut app, Action::Tick(NOW + 4))), 0);
    // Not while the worker is busy (a save, a merge), nor while locked.
    app.busy = Some("Saving: x".into());
    assert_eq!(refreshes(&update(&mut app, Action::Tick(NOW + 9))), 0);
    app.busy = None;
    assert_eq!(refreshes(&update(&mut app, Action::Tick(NOW + 10))), 1);
    press(&mut app, &[ctrl('l')]);
    assert_eq!(refreshes(&update(&mut app, Action::Tick(NOW + 20))), 0);
}

#[test]
fn changes_another_program_saved_are_taken_unless_a_save_is_on_its_way() {
    use super::worker::Reloaded;
    let mut app = unlocked();
    let mut theirs = fixture();
    theirs.remove(0);
    let event = |accounts: Vec<Account>| {
        Action::Worker(WorkerEvent::Reloaded(Ok(Reloaded {
            accounts,
            reminder: None,
        })))
    };
    // A save on its way: its answer will carry the merge, this is not taken.
    press(&mut app, &[ctrl('f')]);
    let pinned = app.accounts.clone();
    app.busy = Some("Reading".into());
    assert!(update(&mut app, event(theirs.clone())).is_empty());
    assert_eq!(app.accounts, pinned);
    assert_eq!(
        app.busy.as_deref(),
        Some("Reading"),
        "the spinner of another job went"
    );
    update(
        &mut app,
        Action::Worker(WorkerEvent::Saved {
            reminder: None,
            merged: None,
        }),
    );
    // Nothing on its way: taken, and the worker is told.
    let effects = update(&mut app, event(theirs.clone()));
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Adopt)]));
    assert_eq!(app.accounts, theirs);
    assert_eq!(app.reminder, None);
    // A file that no longer opens says so, and changes nothing.
    update(
        &mut app,
        Action::Worker(WorkerEvent::Reloaded(Err("no longer opens".into()))),
    );
    assert_eq!(app.popup, Some(Popup::Error("no longer opens".into())));
    assert_eq!(app.accounts, theirs);
}

#[test]
fn delete_asks_first() {
    let mut app = unlocked();
    assert!(press(&mut app, &[ctrl('d'), key(KeyCode::Char('n'))]).is_empty());
    assert_eq!(app.accounts.len(), 5);
    let effects = press(&mut app, &[key(KeyCode::Delete), key(KeyCode::Char('y'))]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Save(a))] if a.len() == 4));
    assert_eq!(app.accounts.len(), 4);
    assert!(!visible_issuers(&app).contains(&"GitHub".to_string()));
}

#[test]
fn pin_and_reorder() {
    let mut app = unlocked();
    press(&mut app, &[key(KeyCode::End)]);
    assert_eq!(app.selected_account().unwrap().issuer, "Steam");
    let effects = press(&mut app, &[ctrl('f')]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Save(_))]));
    assert_eq!(visible_issuers(&app)[0], "Steam");
    assert_eq!(app.selected_account().unwrap().issuer, "Steam");
    // Move GitLab up above Google.
    press(
        &mut app,
        &[key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Down)],
    );
    assert_eq!(app.selected_account().unwrap().issuer, "GitLab");
    let effects = press(&mut app, &[KeyEvent::new(KeyCode::Up, KeyModifiers::ALT)]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Save(_))]));
    assert_eq!(
        visible_issuers(&app),
        ["Steam", "GitHub", "GitLab", "Google", "Bank"]
    );
    assert_eq!(app.selected_account().unwrap().issuer, "GitLab");
}

#[test]
fn add_from_uri_fields_and_errors() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('n')]);
    update(
        &mut app,
        Action::Paste("otpauth://totp/Acme:me?secret=JBSWY3DPEHPK3PXQ&issuer=Acme".into()),
    );
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Save(a))] if a.len() == 6));
    assert_eq!(app.selected_account().unwrap().issuer, "Acme");

    // By fields: Tab to issuer, name, secret.
    press(&mut app, &[ctrl('n'), key(KeyCode::Tab)]);
    type_text(&mut app, "Example");
    press(&mut app, &[key(KeyCode::Tab), key(KeyCode::Tab)]);
    type_text(&mut app, "not base32!");
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    match &app.screen {
        Screen::Form(form) => assert!(
            form.error.as_deref().unwrap().contains("base32"),
            "{:?}",
            form.error
        ),
        _ => panic!("still on the form"),
    }
    press(&mut app, &[ctrl('u')]);
    type_text(&mut app, "mzxw 6ytb oi");
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Save(a))] if a.len() == 7));
    assert_eq!(app.selected_account().unwrap().issuer, "Example");

    // A duplicate is refused.
    press(&mut app, &[ctrl('n')]);
    update(
        &mut app,
        Action::Paste("otpauth://totp/Other?secret=JBSWY3DPEHPK3PXQ".into()),
    );
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    assert!(
        matches!(&app.screen, Screen::Form(f) if f.error.as_deref().unwrap().contains("already"))
    );
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(matches!(app.screen, Screen::List(_)));
}

#[test]
fn edit_changes_tags_and_name() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('e'), key(KeyCode::Tab)]);
    press(&mut app, &[ctrl('u')]);
    type_text(&mut app, "carol");
    press(&mut app, &[key(KeyCode::Tab)]);
    type_text(&mut app, ", personal");
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Save(_))]));
    assert_eq!(app.accounts[0].name, "carol");
    assert_eq!(app.accounts[0].tags, ["work", "personal"]);
}

#[test]
fn add_and_edit_forms_refuse_control_and_bidi_characters() {
    let form_error = |app: &App| match &app.screen {
        Screen::Form(form) => form.error.clone().unwrap_or_default(),
        _ => panic!("the form was left"),
    };
    let mut app = unlocked();
    press(&mut app, &[ctrl('n')]);
    update(
        &mut app,
        Action::Paste("otpauth://totp/Acme:me%1B%5B2J?secret=JBSWY3DPEHPK3PXQ".into()),
    );
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    assert_eq!(
        form_error(&app),
        "the name contains the control character '\\x1b'"
    );
    press(&mut app, &[key(KeyCode::Esc)]);

    press(&mut app, &[ctrl('e'), ctrl('u')]);
    update(&mut app, Action::Paste("bob\u{202e}gnp.exe".into()));
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    assert_eq!(
        form_error(&app),
        "the issuer contains the control character '\\u{202e}'"
    );
    assert_eq!(app.accounts[0].issuer, "GitHub", "the account was changed");
}

#[test]
fn create_asks_twice_and_reports_a_mismatch() {
    let mut app = App::new(settings(), false, NOW);
    type_text(&mut app, "one two three");
    press(&mut app, &[key(KeyCode::Enter)]);
    type_text(&mut app, "one two thre");
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    assert!(draw(&app, 80, 24).contains("the two passphrases differ"));
    type_text(&mut app, "one two three");
    press(&mut app, &[key(KeyCode::Enter)]);
    type_text(&mut app, "one two three");
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(effects.as_slice(), [Effect::Job(Job::Create(_))]));
    assert_eq!(app.busy.as_deref(), Some("Creating the vault"));
}

#[test]
fn quit_clears_the_clipboard() {
    let mut app = unlocked();
    let (jobs, rx) = mpsc::channel::<Job>();
    let mut clip = Fake::default();
    super::dispatch(&mut app, Action::Cmd(Cmd::Submit), &jobs, &mut clip);
    assert!(clip.content.is_some());
    let quit = action_for(&app, ctrl('q')).unwrap();
    super::dispatch(&mut app, quit, &jobs, &mut clip);
    assert!(app.quit);
    assert_eq!(clip.content, None);
    // Locking clears it too and tells the worker.
    let mut app = unlocked();
    super::dispatch(&mut app, Action::Cmd(Cmd::Submit), &jobs, &mut clip);
    super::dispatch(&mut app, Action::Cmd(Cmd::Lock), &jobs, &mut clip);
    assert_eq!(clip.content, None);
    assert!(matches!(rx.try_iter().last(), Some(Job::Lock)));
    let _ = clip.copy("x");
}

#[test]
fn every_screen_draws_at_any_size_without_panicking() {
    let sizes = [(1, 1), (10, 3), (20, 5), (39, 11), (40, 12), (200, 60)];
    let mut screens: Vec<App> = vec![
        App::new(settings(), false, NOW),
        App::new(settings(), true, NOW),
        unlocked(),
    ];
    for keys in [
        vec![ctrl('n')],
        vec![ctrl('e')],
        vec![ctrl('s')],
        vec![ctrl('s'), key(KeyCode::Char('r'))],
        vec![ctrl('p')],
        vec![key(KeyCode::Char('?'))],
        vec![ctrl('d')],
    ] {
        let mut app = unlocked();
        press(&mut app, &keys);
        screens.push(app);
    }
    for app in &screens {
        for (w, h) in sizes {
            let screen = draw(app, w, h);
            assert_eq!(screen.lines().count(), h as usize);
        }
    }
}

#[test]
fn no_color_draws_without_colours() {
    let mut app = unlocked();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(&app, frame.area()))
        .unwrap();
    let plain = terminal.backend().buffer().content.iter().all(|cell| {
        cell.fg == ratatui::style::Color::Reset && cell.bg == ratatui::style::Color::Reset
    });
    assert!(plain, "NO_COLOR output has colours");
    app.settings.color = true;
    terminal
        .draw(|frame| frame.render_widget(&app, frame.area()))
        .unwrap();
    let coloured = terminal
        .backend()
        .buffer()
        .content
        .iter()
        .any(|cell| cell.fg != ratatui::style::Color::Reset);
    assert!(coloured);
}

#[test]
fn a_short_terminal_keeps_the_focused_field_in_view() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('n'), key(KeyCode::BackTab)]);
    let screen = draw(&app, 40, 12);
    assert!(screen.contains("Tags:"), "{screen}");
}

// ------------------------------------------------------------ backups (Ctrl-P)

/// A status: the last verified backup (age, three days before `NOW`) misses
/// the last account.
fn status(app: &App) -> keyfob::vault::backups::BackupStatus {
    keyfob::vault::backups::BackupStatus {
        last_verified: Some(keyfob::vault::backups::LastVerified {
            kind: keyfob::export::ExportFormat::Age,
            verified: NOW - 3 * 86_400,
            age_days: 3,
        }),
        uncovered: app
            .accounts
            .last()
            .map(|a| a.id.clone())
            .into_iter()
            .collect(),
        accounts: app.accounts.len(),
    }
}

fn backups(app: &mut App) {
    let effects = press(app, &[ctrl('p')]);
    assert!(
        matches!(effects.as_slice(), [Effect::Job(Job::BackupStatus)]),
        "the screen asks the worker for the status"
    );
    let status = status(app);
    update(app, Action::Worker(WorkerEvent::Status(status)));
}

#[test]
fn snapshot_backups_status_then_each_action() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('p')]);
    assert!(draw(&app, 80, 24).contains("Reading the backup log"));
    let status = status(&app);
    update(&mut app, Action::Worker(WorkerEvent::Status(status)));
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("Last verified backup: age backup, checked 3 days ago (2027-01-12)."),
        "{screen}"
    );
    assert!(screen.contains("1 of 5 accounts is not in it"), "{screen}");
    insta::assert_snapshot!("backups_paper", screen);

    // → to the age backup; down to the passphrase, typed twice: dots only.
    press(
        &mut app,
        &[
            key(KeyCode::Right),
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Down),
        ],
    );
    type_text(&mut app, "sesame");
    press(&mut app, &[key(KeyCode::Down)]);
    type_text(&mut app, "sesame");
    let screen = draw(&app, 80, 24);
    assert!(!screen.contains("sesame"), "{screen}");
    assert_no_secret(&screen);
    insta::assert_snapshot!("backups_age", screen);

    // To recipients.
    press(
        &mut app,
        &[key(KeyCode::Up), key(KeyCode::Up), key(KeyCode::Right)],
    );
    assert!(draw(&app, 80, 24).contains("Recipients:"));

    // The plaintext ones carry the CLI's warning.
    press(&mut app, &[key(KeyCode::Up), key(KeyCode::Up)]);
    for warning in [
        "keyfob-google-2027-01-15: the images hold your secrets in plain text; delete them once scanned.",
        "keyfob-aegis-2027-01-15.json: unencrypted: import it in Aegis, then delete it.",
        "keyfob-uris-2027-01-15.txt: holds your secrets in plain text; delete it once it has served.",
    ] {
        press(&mut app, &[key(KeyCode::Right)]);
        let screen = draw(&app, 120, 30);
        assert!(screen.contains(warning), "{screen}");
    }
    insta::assert_snapshot!("backups_uris", draw(&app, 80, 24));
    press(&mut app, &[key(KeyCode::Right)]);
    insta::assert_snapshot!("backups_verify", draw(&app, 80, 24));
}

#[test]
fn backups_keys_start_the_library_jobs() {
    use keyfob::export::ExportFormat;
    use keyfob::vault::crypto::BackupTarget;
    let mut app = unlocked();
    backups(&mut app);
    // Paper, Letter, to the dated default name.
    press(
        &mut app,
        &[key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Right)],
    );
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::Export(ExportFormat::Paper, accounts, options, path))] => {
            assert_eq!(accounts.len(), 5);
            assert_eq!(options.paper.size, keyfob::export::paper::PaperSize::Letter);
            assert_eq!(
                path,
                &std::path::PathBuf::from("keyfob-paper-2027-01-15.pdf")
            );
        }
        other => panic!("unexpected effects {}", other.len()),
    }
    update(
        &mut app,
        Action::Worker(WorkerEvent::Exported(Ok("Wrote 'x.pdf'".into()))),
    );

    // Age: the passphrases must agree.
    let mut app = unlocked();
    backups(&mut app);
    press(
        &mut app,
        &[
            key(KeyCode::Right),
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Down),
        ],
    );
    type_text(&mut app, "sesame");
    press(&mut app, &[key(KeyCode::Down)]);
    type_text(&mut app, "sesamE");
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    assert!(draw(&app, 80, 24).contains("the two passphrases differ"));
    press(&mut app, &[key(KeyCode::Backspace)]);
    type_text(&mut app, "e");
    press(&mut app, &[key(KeyCode::Down), key(KeyCode::Right)]);
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::Export(ExportFormat::Age, _, options, path))] => {
            assert!(options.armor);
            assert!(matches!(options.backup, Some(BackupTarget::Passphrase(_))));
            assert_eq!(
                path,
                &std::path::PathBuf::from("keyfob-backup-2027-01-15.age")
            );
        }
        other => panic!("unexpected effects {}", other.len()),
    }

    // Recipients: a bad one is named, a good one goes in the job.
    let mut app = unlocked();
    backups(&mut app);
    press(
        &mut app,
        &[
            key(KeyCode::Right),
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Right),
            key(KeyCode::Down),
        ],
    );
    type_text(&mut app, "age1nope");
    assert!(press(&mut app, &[key(KeyCode::Enter)]).is_empty());
    assert!(draw(&app, 100, 24).contains("age1nope"));
    press(&mut app, &[ctrl('u')]);
    let (key_pair, _) = keyfob::vault::Key::generate_identity("now");
    type_text(&mut app, &key_pair.recipients()[0]);
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::Export(ExportFormat::Age, _, options, _))] => {
            assert!(matches!(&options.backup, Some(BackupTarget::Recipients(r)) if r.len() == 1));
        }
        other => panic!("unexpected effects {}", other.len()),
    }

    // Verify: the paths as typed, no password until one is asked.
    let mut app = unlocked();
    backups(&mut app);
    for _ in 0..5 {
        press(&mut app, &[key(KeyCode::Right)]);
    }
    press(&mut app, &[key(KeyCode::Down)]);
    assert!(
        press(&mut app, &[key(KeyCode::Enter)]).is_empty(),
        "no path typed"
    );
    type_text(&mut app, "scan-1.png 'my scans/2.png'");
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::Verify(paths, keys))]
            if keys.password.is_none() && keys.identity.is_none() =>
        {
            assert_eq!(
                paths,
                &[
                    std::path::PathBuf::from("scan-1.png"),
                    "my scans/2.png".into()
                ]
            )
        }
        other => panic!("unexpected effects {}", other.len()),
    }
    update(
        &mut app,
        Action::Worker(WorkerEvent::Verified(Err(super::worker::SourceFailed {
            message: "could not read 'backup.age'".into(),
            needs_password: true,
            needs_identity: false,
        }))),
    );
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("type its passphrase, then Enter"),
        "{screen}"
    );
    type_text(&mut app, "sesame");
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::Verify(_, keys))] => {
            assert_eq!(
                keys.password.as_deref().map(Vec::as_slice),
                Some(&b"sesame"[..])
            );
        }
        other => panic!("unexpected effects {}", other.len()),
    }
    // A backup to age recipients: the identity field takes the path.
    update(
        &mut app,
        Action::Worker(WorkerEvent::Verified(Err(super::worker::SourceFailed {
            message: "the keyfob backup is encrypted to age recipients".into(),
            needs_password: false,
            needs_identity: true,
        }))),
    );
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("type the path of the identity file, then Enter"),
        "{screen}"
    );
    assert!(screen.contains("Identity:"), "{screen}");
    type_text(&mut app, "keys/backup-id.txt");
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::Verify(_, keys))] => {
            assert_eq!(
                keys.identity.as_deref(),
                Some(std::path::Path::new("keys/backup-id.txt"))
            );
        }
        other => panic!("unexpected effects {}", other.len()),
    }
}

#[test]
fn snapshot_backups_verify_report() {
    let mut app = unlocked();
    backups(&mut app);
    let mut found = app.accounts.clone();
    found.pop();
    let mut report = keyfob::verify::compare(&app.accounts, &found);
    report.recorded = true;
    let mut after = status(&app);
    after.last_verified = Some(keyfob::vault::backups::LastVerified {
        kind: keyfob::export::ExportFormat::Paper,
        verified: NOW,
        age_days: 0,
    });
    update(
        &mut app,
        Action::Worker(WorkerEvent::Verified(Ok(Box::new(
            super::worker::Verified {
                report,
                status: after,
                reminder: None,
            },
        )))),
    );
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("missing from the backup: Steam (gamer)"),
        "{screen}"
    );
    assert!(screen.contains("checked today"), "{screen}");
    assert!(app.reminder.is_none(), "the reminder follows the check");
    assert_no_secret(&screen);
    insta::assert_snapshot!("backups_verified", screen);
}

// ------------------------------------------------------------- import (Ctrl-O)

fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The preview the worker would send for `paths` against the app's accounts.
fn preview_of(app: &App, paths: &[std::path::PathBuf], password: Option<&[u8]>) -> WorkerEvent {
    let credentials = keyfob::import::session::Credentials {
        password: password.map(|p| zeroize::Zeroizing::new(p.to_vec())),
        identity: None,
    };
    preview_with(app, paths, credentials)
}

/// The preview the worker would send for `paths`, opened with `credentials`.
fn preview_with(
    app: &App,
    paths: &[std::path::PathBuf],
    mut credentials: keyfob::import::session::Credentials,
) -> WorkerEvent {
    use keyfob::import::session::{NoCallbacks, Preview};
    let mut preview = Preview::read(paths, None, &mut credentials, NOW, &mut NoCallbacks).unwrap();
    preview.dedupe(&app.accounts);
    WorkerEvent::Previewed(Ok(Box::new(preview)))
}

/// A keyfob backup of one new account encrypted to a fresh age identity, in
/// `dir`.
struct RecipientBackup {
    path: std::path::PathBuf,
    identity: keyfob::vault::Key,
    identity_text: zeroize::Zeroizing<String>,
    account: Account,
}

fn backup_to_a_recipient(dir: &std::path::Path) -> RecipientBackup {
    use keyfob::export::{ExportFormat, ExportOptions, Output};
    use keyfob::vault::crypto::{BackupTarget, parse_recipient};
    let (identity, identity_text) = keyfob::vault::Key::generate_identity("2026-12-07T00:00:00Z");
    let recipients = identity
        .recipients()
        .iter()
        .map(|r| parse_recipient(r).unwrap())
        .collect();
    let account = Account::new(
        "Backup Bank",
        "carol",
        // Not the secret of any account of `unlocked()`, so not a duplicate there.
        Secret::from_base32("KRSXG5CTMVRXEZLUKN2XAZLS").unwrap(),
        Kind::DEFAULT_TOTP,
        Algorithm::Sha1,
        6,
        NOW,
    )
    .unwrap();
    let options = ExportOptions {
        backup: Some(BackupTarget::Recipients(recipients)),
        now: NOW,
        ..ExportOptions::default()
    };
    let made =
        keyfob::export::write(ExportFormat::Age, std::slice::from_ref(&account), &options).unwrap();
    let Output::File(bytes) = &made.output else {
        unreachable!("an age backup is one file")
    };
    let path = dir.join("backup.age");
    std::fs::write(&path, bytes.as_slice()).unwrap();
    RecipientBackup {
        path,
        identity,
        identity_text,
        account,
    }
}

#[test]
fn import_asks_for_the_identity_of_a_backup_to_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let RecipientBackup {
        path: backup,
        identity,
        ..
    } = backup_to_a_recipient(dir.path());
    let mut app = unlocked();
    press(&mut app, &[ctrl('o')]);
    type_text(&mut app, "backup.age");
    press(&mut app, &[key(KeyCode::Enter)]);
    let none = keyfob::import::session::Credentials::default();
    let WorkerEvent::Previewed(Ok(mut preview)) =
        preview_with(&app, std::slice::from_ref(&backup), none)
    else {
        unreachable!()
    };
    assert_eq!(preview.needing_identity().count(), 1);
    assert_eq!(
        preview.needing_password().count(),
        0,
        "no password is asked for"
    );
    preview.files[0].path = "backup.age".into();
    update(
        &mut app,
        Action::Worker(WorkerEvent::Previewed(Ok(preview))),
    );
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("Identity:"), "{screen}");
    assert!(!screen.contains("Password:"), "{screen}");
    assert!(
        screen.contains("encrypted to age recipients: type the path of one's identity file"),
        "{screen}"
    );
    assert!(
        screen.contains("Enter reads it again with the identity."),
        "{screen}"
    );
    type_text(&mut app, "keys/backup-id.txt");
    let screen = draw(&app, 100, 30);
    assert_no_secret(&screen);
    insta::assert_snapshot!("import_identity", screen);
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::ImportPreview(paths, keys))] => {
            assert_eq!(paths, &[std::path::PathBuf::from("backup.age")]);
            assert!(keys.password.is_none());
            assert_eq!(
                keys.identity.as_deref(),
                Some(std::path::Path::new("keys/backup-id.txt"))
            );
        }
        other => panic!("unexpected effects {}", other.len()),
    }
    let with = keyfob::import::session::Credentials {
        password: None,
        identity: Some(identity),
    };
    let event = preview_with(&app, &[backup], with);
    update(&mut app, Action::Worker(event));
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("Enter adds 1 account."), "{screen}");
    let before = app.accounts.len();
    press(&mut app, &[key(KeyCode::Enter)]);
    assert_eq!(app.accounts.len(), before + 1);
    assert!(app.accounts.iter().any(|a| a.issuer == "Backup Bank"));
}

#[test]
fn worker_opens_a_backup_to_recipients_only_with_one_of_their_identities() {
    let dir = tempfile::tempdir().unwrap();
    let made = backup_to_a_recipient(dir.path());
    let backup = made.path.clone();
    let config = super::worker::WorkerConfig {
        vault_path: dir.path().join("vault.age"),
        lock_wait: std::time::Duration::ZERO,
    };
    let (jobs, job_rx) = mpsc::channel::<Job>();
    let (event_tx, events) = mpsc::channel::<WorkerEvent>();
    let worker = std::thread::spawn(move || super::worker::run(config, job_rx, event_tx, || NOW));
    // The vault's own identity is not one of the backup's recipients.
    let vault_identity = dir.path().join("vault-id.txt");
    jobs.send(Job::CreateWithIdentity(vault_identity.clone()))
        .unwrap();
    jobs.send(Job::Save(vec![made.account.clone()])).unwrap();
    let backup_identity = dir.path().join("backup-id.txt");
    std::fs::write(&backup_identity, made.identity_text.as_bytes()).unwrap();
    let with = |password: Option<&[u8]>, identity: Option<&std::path::Path>| SourceKeys {
        password: password.map(|p| zeroize::Zeroizing::new(p.to_vec())),
        identity: identity.map(std::path::Path::to_path_buf),
    };
    let attempts = [
        with(None, None),
        with(Some(b"a password"), None),
        with(None, Some(&vault_identity)),
        with(None, Some(&dir.path().join("missing-id.txt"))),
        with(None, Some(&backup_identity)),
    ];
    for keys in attempts {
        jobs.send(Job::Verify(vec![backup.clone()], keys)).unwrap();
    }
    jobs.send(Job::ImportPreview(vec![backup.clone()], with(None, None)))
        .unwrap();
    jobs.send(Job::ImportPreview(
        vec![backup.clone()],
        with(None, Some(&backup_identity)),
    ))
    .unwrap();
    drop(jobs);
    let events: Vec<WorkerEvent> = events.iter().collect();
    worker.join().unwrap();

    let verified: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            WorkerEvent::Verified(result) => Some(result),
            _ => None,
        })
        .collect();
    assert_eq!(verified.len(), 5);
    for (i, failed) in verified[..4].iter().enumerate() {
        let failed = failed.as_ref().err().unwrap();
        assert!(
            failed.needs_identity && !failed.needs_password,
            "attempt {i}: {}",
            failed.message
        );
    }
    let message = &verified[0].as_ref().err().unwrap().message;
    assert!(message.contains("encrypted to age recipients"), "{message}");
    let message = &verified[1].as_ref().err().unwrap().message;
    assert!(
        message.contains("encrypted to age recipients"),
        "a password is no use: {message}"
    );
    let message = &verified[3].as_ref().err().unwrap().message;
    assert!(message.starts_with("the identity file"), "{message}");
    let good = verified[4].as_ref().unwrap();
    assert!(
        good.report.is_correct() && good.report.is_complete(),
        "{}",
        good.report
    );
    assert!(good.report.recorded);

    let previews: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            WorkerEvent::Previewed(Ok(preview)) => Some(preview),
            _ => None,
        })
        .collect();
    assert_eq!(previews.len(), 2);
    assert_eq!(previews[0].needing_identity().count(), 1);
    assert_eq!(previews[0].added(), 0);
    assert_eq!(previews[1].needing_identity().count(), 0);
    assert_eq!(
        previews[1].duplicates(),
        1,
        "the vault holds Backup Bank already"
    );
}

#[test]
fn snapshot_import_preview_then_enter_adds_the_new_accounts() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('o')]);
    insta::assert_snapshot!("import_empty", draw(&app, 80, 24));
    assert!(
        press(&mut app, &[key(KeyCode::Enter)]).is_empty(),
        "no path typed"
    );
    let aegis = fixture_path("aegis/plain.json");
    // Relative to the fixtures, so the snapshot holds no checkout path.
    type_text(&mut app, "aegis/plain.json missing.png");
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    match effects.as_slice() {
        [Effect::Job(Job::ImportPreview(paths, keys))]
            if keys.password.is_none() && keys.identity.is_none() =>
        {
            assert_eq!(
                paths,
                &[
                    std::path::PathBuf::from("aegis/plain.json"),
                    "missing.png".into()
                ]
            );
        }
        other => panic!("unexpected effects {}", other.len()),
    }
    let event = preview_of(&app, &[aegis, "missing.png".into()], None);
    // The preview is of the paths as typed: shown with the relative names.
    let WorkerEvent::Previewed(Ok(mut preview)) = event else {
        unreachable!()
    };
    preview.files[0].path = "aegis/plain.json".into();
    update(
        &mut app,
        Action::Worker(WorkerEvent::Previewed(Ok(preview))),
    );
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("aegis/plain.json (Aegis): 3 new, 1 duplicate"),
        "{screen}"
    );
    assert!(
        screen.contains("missing.png: cannot read the file"),
        "{screen}"
    );
    assert!(
        screen.contains("Enter adds 3 accounts (1 duplicate left out)."),
        "{screen}"
    );
    assert_no_secret(&screen);
    insta::assert_snapshot!("import_preview", screen);

    let before = app.accounts.len();
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(
        matches!(effects.as_slice(), [Effect::Job(Job::Save(accounts))] if accounts.len() == before + 3)
    );
    assert_eq!(app.accounts.len(), before + 3);
    assert!(matches!(app.screen, Screen::List(_)));
    assert!(draw(&app, 100, 30).contains("Imported 3 accounts"));
}

#[test]
fn snapshot_import_reading_shows_the_files_read_so_far() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('o')]);
    type_text(&mut app, "exports/");
    press(&mut app, &[key(KeyCode::Enter)]);
    assert!(app.waiting());
    update(
        &mut app,
        Action::Worker(WorkerEvent::Progress { done: 1, total: 3 }),
    );
    assert!(app.waiting(), "progress does not end the job");
    assert!(
        press(&mut app, &[key(KeyCode::Enter)]).is_empty(),
        "no second job while reading"
    );
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("Reading file 2 of 3"), "{screen}");
    insta::assert_snapshot!("import_reading", screen);
}

#[test]
fn import_asks_for_the_password_of_an_encrypted_source() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('o')]);
    let encrypted = fixture_path("aegis/encrypted.json");
    type_text(&mut app, "aegis/encrypted.json");
    press(&mut app, &[key(KeyCode::Enter)]);
    let event = preview_of(&app, std::slice::from_ref(&encrypted), None);
    let WorkerEvent::Previewed(Ok(mut preview)) = event else {
        unreachable!()
    };
    preview.files[0].path = "aegis/encrypted.json".into();
    update(
        &mut app,
        Action::Worker(WorkerEvent::Previewed(Ok(preview))),
    );
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("Password:"), "{screen}");
    assert!(
        screen.contains("A source is encrypted: type its password"),
        "{screen}"
    );
    type_text(&mut app, "test-password");
    let screen = draw(&app, 100, 30);
    assert!(!screen.contains("test-password"), "{screen}");
    insta::assert_snapshot!("import_password", screen);
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::ImportPreview(_, keys))] => {
            assert_eq!(
                keys.password.as_deref().map(Vec::as_slice),
                Some(&b"test-password"[..])
            );
        }
        other => panic!("unexpected effects {}", other.len()),
    }
    let event = preview_of(&app, &[encrypted], Some(b"test-password"));
    update(&mut app, Action::Worker(event));
    assert!(draw(&app, 100, 30).contains("Enter adds 3 accounts"));
}

#[test]
fn worker_exports_imports_and_verifies_with_the_library() {
    use keyfob::export::{ExportFormat, ExportOptions};
    use keyfob::vault::crypto::BackupTarget;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = super::worker::WorkerConfig {
        vault_path: dir.path().join("vault.age"),
        lock_wait: std::time::Duration::ZERO,
    };
    let (jobs, job_rx) = mpsc::channel::<Job>();
    let (event_tx, events) = mpsc::channel::<WorkerEvent>();
    let worker = std::thread::spawn(move || super::worker::run(config, job_rx, event_tx, || NOW));
    let accounts = unlocked().accounts;
    jobs.send(Job::CreateWithIdentity(dir.path().join("id.txt")))
        .unwrap();
    jobs.send(Job::Save(accounts.clone())).unwrap();
    let letter = dir.path().join("letter.pdf");
    let paper = |size| {
        Box::new(ExportOptions {
            paper: keyfob::export::paper::PaperOptions {
                size,
                ..Default::default()
            },
            ..ExportOptions::default()
        })
    };
    let letter_size = keyfob::export::paper::PaperSize::Letter;
    jobs.send(Job::Export(
        ExportFormat::Paper,
        accounts.clone(),
        paper(letter_size),
        letter.clone(),
    ))
    .unwrap();
    jobs.send(Job::Export(
        ExportFormat::Paper,
        accounts.clone(),
        paper(letter_size),
        letter.clone(),
    ))
    .unwrap();
    let backup = dir.path().join("backup.age");
    let age = Box::new(ExportOptions {
        backup: Some(BackupTarget::Passphrase("sesame".to_string().into())),
        ..ExportOptions::default()
    });
    jobs.send(Job::Export(
        ExportFormat::Age,
        accounts.clone(),
        age,
        backup.clone(),
    ))
    .unwrap();
    jobs.send(Job::Verify(vec![backup.clone()], SourceKeys::default()))
        .unwrap();
    let keys = SourceKeys {
        password: Some(zeroize::Zeroizing::new(b"sesame".to_vec())),
        identity: None,
    };
    jobs.send(Job::Verify(vec![backup.clone()], keys)).unwrap();
    jobs.send(Job::ImportPreview(
        vec![fixture_path("aegis/plain.json"), backup],
        SourceKeys::default(),
    ))
    .unwrap();
    jobs.send(Job::BackupStatus).unwrap();
    drop(jobs);
    let events: Vec<WorkerEvent> = events.iter().collect();
    worker.join().unwrap();

    let exported: Vec<&Result<String, String>> = events
        .iter()
        .filter_map(|e| match e {
            WorkerEvent::Exported(result) => Some(result),
            _ => None,
        })
        .collect();
    assert!(
        exported[0]
            .as_ref()
            .unwrap()
            .contains("print it, then verify"),
        "{exported:?}"
    );
    assert!(
        exported[1]
            .as_ref()
            .unwrap_err()
            .contains("will not overwrite"),
        "{exported:?}"
    );
    assert!(exported[2].is_ok(), "{exported:?}");
    let pdf = String::from_utf8_lossy(&std::fs::read(&letter).unwrap()).into_owned();
    assert!(pdf.contains("612 792"), "US Letter media box");
    let mode = std::fs::metadata(&letter).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let verified: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            WorkerEvent::Verified(result) => Some(result),
            _ => None,
        })
        .collect();
    assert!(verified[0].as_ref().err().is_some_and(|f| f.needs_password));
    let good = verified[1].as_ref().unwrap();
    assert!(good.report.is_complete() && good.report.recorded);
    assert_eq!(
        good.status.last_verified.as_ref().unwrap().kind,
        keyfob::export::ExportFormat::Age
    );
    assert!(good.status.uncovered.is_empty() && good.reminder.is_none());

    let progress: Vec<(usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            WorkerEvent::Progress { done, total } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    // The two reads of the backup (without, then with the passphrase), then the import's two files.
    assert_eq!(progress, [(0, 1), (0, 1), (0, 2), (1, 2)]);
    let preview = events
        .iter()
        .find_map(|e| match e {
            WorkerEvent::Previewed(Ok(preview)) => Some(preview),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        preview.added(),
        3,
        "the Aegis file's accounts but GitHub are new"
    );
    assert_eq!(preview.duplicates(), 1);
    assert_eq!(
        preview.needing_password().count(),
        1,
        "the backup needs its passphrase"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WorkerEvent::Status(s) if s.last_verified.is_some()))
    );
}

// ------------------------------------------------------------------ fitting

/// Accounts with 6, 8 and 10 digits and a Steam one, all time-based.
fn digit_fixture() -> Vec<Account> {
    let with = |issuer: &str, digits: u8, kind: Kind| {
        Account::new(
            issuer,
            "someone.with.a.long.name@example.com",
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
            kind,
            Algorithm::Sha1,
            digits,
            0,
        )
        .unwrap()
    };
    vec![
        with("Six Digits Incorporated", 6, Kind::DEFAULT_TOTP),
        with("Eight Digits Incorporated", 8, Kind::DEFAULT_TOTP),
        with("Ten Digits Incorporated", 10, Kind::DEFAULT_TOTP),
        with("Steam", 5, Kind::Steam),
    ]
}

const REMINDER: &str = "another copy of this vault exists: Ctrl-G merges it; no verified backup yet: make one with Ctrl-P (a paper sheet or an age backup) and verify it there";

#[test]
fn codes_and_next_codes_fit_at_80x24_and_100x30_for_6_to_10_digits_and_steam() {
    for (width, height) in [(80u16, 24u16), (100, 30)] {
        let mut app = App::new(settings(), true, NOW);
        update(
            &mut app,
            Action::Worker(WorkerEvent::Unlocked {
                accounts: digit_fixture(),
                reminder: Some(REMINDER.into()),
            }),
        );
        app.status = None;
        // Four seconds left: every row shows its code and the next one.
        update(&mut app, Action::Tick(LATE));
        app.last_input = LATE;
        let screen = draw(&app, width, height);
        assert_no_secret(&screen);
        for account in &app.accounts {
            let now = code_at(account, LATE);
            let next = code_at(account, LATE + 30);
            let group = |code: &str| {
                let code = keyfob::Code {
                    text: code.to_string(),
                    period: None,
                    valid_until: None,
                };
                code.grouped()
            };
            let line = screen
                .lines()
                .find(|l| l.contains(&account.issuer[..5]))
                .unwrap();
            assert!(
                line.contains(&format!("{}  4s → {}", group(&now), group(&next))),
                "{width}x{height}: the code or next code of {} is cut:\n{screen}",
                account.issuer
            );
            assert!(line.chars().count() <= width as usize);
        }
        // The reminder is there in full, over two lines.
        let flat: String = screen
            .lines()
            .skip(2)
            .take(2)
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains(REMINDER),
            "{width}x{height}: reminder cut:\n{screen}"
        );
        insta::assert_snapshot!(format!("fit_{width}x{height}"), screen);
    }
}

#[test]
fn a_long_reminder_is_shortened_on_a_short_terminal() {
    let mut app = App::new(settings(), true, NOW);
    update(
        &mut app,
        Action::Worker(WorkerEvent::Unlocked {
            accounts: digit_fixture(),
            reminder: Some(REMINDER.into()),
        }),
    );
    let screen = draw(&app, 80, 18);
    let line = screen.lines().nth(2).unwrap();
    assert!(
        line.starts_with(" ! another copy of this vault"),
        "{screen}"
    );
    assert!(line.ends_with('…'), "{screen}");
    assert!(line.chars().count() <= 80);
    assert!(
        screen.lines().nth(3).unwrap().contains("Six Digits"),
        "{screen}"
    );
}

// ------------------------------------------------------ search and text fields

#[test]
fn slash_focuses_the_search_and_is_never_part_of_the_query() {
    let mut app = unlocked();
    assert_eq!(app.key_context(), super::keymap::Context::List);
    press(&mut app, &[key(KeyCode::Char('/'))]);
    assert_eq!(app.key_context(), super::keymap::Context::Search);
    assert!(
        app.query.is_empty(),
        "the / was typed: {:?}",
        app.query.text()
    );
    type_text(&mut app, "/lab");
    assert_eq!(app.query.text(), "lab", "a leading / stayed in the query");
    assert_eq!(visible_issuers(&app), ["GitLab"]);
    // In the search line Home and ← move the cursor instead of the selection.
    press(&mut app, &[key(KeyCode::Home)]);
    type_text(&mut app, "/");
    assert_eq!(app.query.text(), "lab");
    press(&mut app, &[key(KeyCode::End), key(KeyCode::Left)]);
    type_text(&mut app, "x");
    assert_eq!(app.query.text(), "laxb");
    press(&mut app, &[key(KeyCode::Backspace)]);
    let screen = draw(&app, 80, 24);
    assert!(screen.contains(" / la▏b"), "{screen}");
    insta::assert_snapshot!("search_focused", screen);
    // A pasted "/query" searches for the query; Esc clears and leaves the search line.
    press(&mut app, &[ctrl('u')]);
    update(&mut app, Action::Paste("/github".into()));
    assert_eq!(app.query.text(), "github");
    assert_eq!(visible_issuers(&app), ["GitHub"]);
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(app.query.is_empty());
    assert_eq!(app.key_context(), super::keymap::Context::List);
    // Typing without / still searches; Enter still copies.
    type_text(&mut app, "google");
    assert_eq!(visible_issuers(&app), ["Google"]);
    let effects = press(&mut app, &[key(KeyCode::Enter)]);
    assert!(matches!(effects.as_slice(), [Effect::Copy { label, .. }] if label.contains("Google")));
}

#[test]
fn form_fields_edit_at_the_cursor_with_home_end_and_ctrl_w() {
    let mut app = unlocked();
    press(&mut app, &[ctrl('n'), key(KeyCode::Tab)]);
    type_text(&mut app, "Exmple Corp");
    // Home, → → , type: insertion in the middle.
    press(
        &mut app,
        &[key(KeyCode::Home), key(KeyCode::Right), key(KeyCode::Right)],
    );
    type_text(&mut app, "a");
    press(&mut app, &[key(KeyCode::End), ctrl('w')]);
    type_text(&mut app, "Inc");
    let Screen::Form(form) = &app.screen else {
        panic!("not on the form")
    };
    assert_eq!(
        form.fields.text(super::screen::AccountField::Issuer),
        "Example Inc"
    );
    // Paste in the middle of the name.
    press(&mut app, &[key(KeyCode::Tab)]);
    type_text(&mut app, "al@example.com");
    press(
        &mut app,
        &[key(KeyCode::Home), key(KeyCode::Right), key(KeyCode::Right)],
    );
    update(&mut app, Action::Paste("ice\nsecond line".into()));
    let Screen::Form(form) = &app.screen else {
        panic!("not on the form")
    };
    assert_eq!(
        form.fields.text(super::screen::AccountField::Name),
        "alice@example.com"
    );
}

#[test]
fn a_masked_field_edited_in_the_middle_never_shows_the_secret() {
    let mut app = unlocked();
    press(
        &mut app,
        &[
            ctrl('n'),
            key(KeyCode::Tab),
            key(KeyCode::Tab),
            key(KeyCode::Tab),
        ],
    );
    type_text(&mut app, "JBSWY3DPEHPK3PXQ");
    press(&mut app, &[key(KeyCode::Home), key(KeyCode::Right)]);
    type_text(&mut app, "MZXW");
    press(&mut app, &[ctrl('w')]);
    let Screen::Form(form) = &app.screen else {
        panic!("not on the form")
    };
    assert_eq!(
        form.fields.text(super::screen::AccountField::Secret),
        "BSWY3DPEHPK3PXQ"
    );
    let screen = draw(&app, 80, 24);
    assert_no_secret(&screen);
    assert!(
        !screen.contains("BSWY") && !screen.contains("PXQ"),
        "{screen}"
    );
    assert!(screen.contains("Secret: ▏•••••••••••••••"), "{screen}");
    insta::assert_snapshot!("add_form_masked_cursor", screen);
    // The unlock field too: dots, cursor where it is.
    let mut locked = App::new(settings(), true, NOW);
    type_text(&mut locked, "hunter2");
    press(&mut locked, &[key(KeyCode::Left), key(KeyCode::Left)]);
    let screen = draw(&locked, 80, 24);
    assert!(screen.contains("Passphrase: •••••▏••"), "{screen}");
    assert!(!screen.contains("hunter"));
}

#[test]
fn merge_screen_fills_in_the_copies_previews_asks_for_a_key_and_merges() {
    use keyfob::account::Field;
    use keyfob::vault::MergeReport;
    use keyfob::vault::merge::Entry;
    let dir = tempfile::tempdir().unwrap();
    let conflict = "vault.sync-conflict-20261202-101010-ABCDEFG.age";
    std::fs::write(dir.path().join("vault.age"), b"the vault").unwrap();
    std::fs::write(dir.path().join(conflict), b"another copy").unwrap();
    let mut app = unlocked();
    app.settings.vault_path = dir.path().join("vault.age");
    press(&mut app, &[ctrl('g')]);
    let Screen::Merge(screen) = &app.screen else {
        panic!("Ctrl-G did not open the merge screen");
    };
    // The copy beside the vault is filled in, as a shell would quote it.
    let filled = super::paths::split(screen.fields.paths.text()).unwrap();
    assert_eq!(filled, [dir.path().join(conflict)]);
    // Typed by hand (a path the snapshot can hold).
    press(&mut app, &[ctrl('u')]);
    type_text(&mut app, conflict);
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::MergePreview(paths, keys))] => {
            assert_eq!(paths, &[std::path::PathBuf::from(conflict)]);
            assert!(keys.password.is_none() && keys.identity.is_none());
        }
        other => panic!("unexpected effects {other:?}"),
    }
    update(
        &mut app,
        Action::Worker(WorkerEvent::MergePreviewed(Err(
            super::worker::SourceFailed {
                message: format!(
                    "'{conflict}' has another passphrase than this vault: type it, then Enter"
                ),
                needs_password: true,
                needs_identity: false,
            },
        ))),
    );
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("Password:"), "{screen}");
    assert!(
        screen.contains("has another passphrase than this vault"),
        "{screen}"
    );
    type_text(&mut app, "hunter2-stick");
    assert!(
        !draw(&app, 100, 30).contains("hunter2-stick"),
        "the password is shown"
    );
    let paths = match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::MergePreview(paths, keys))] => {
            assert_eq!(
                keys.password.as_deref().map(|p| p.as_slice()),
                Some(&b"hunter2-stick"[..])
            );
            paths.clone()
        }
        other => panic!("unexpected effects {other:?}"),
    };
    let accounts = fixture();
    let entry = |account: &Account, fields: Vec<Field>| Entry {
        id: account.id.clone(),
        label: account.label(),
        fields,
    };
    let report = MergeReport {
        added: vec![entry(&accounts[0], Vec::new())],
        updated: vec![entry(&accounts[1], vec![Field::Note, Field::Counter])],
        deleted: vec![entry(&accounts[2], Vec::new())],
        changed: true,
        ..MergeReport::default()
    };
    update(
        &mut app,
        Action::Worker(WorkerEvent::MergePreviewed(Ok(vec![(
            paths[0].clone(),
            report.clone(),
        )]))),
    );
    let screen = draw(&app, 100, 30);
    assert_no_secret(&screen);
    assert!(
        screen.contains("1 added, 1 updated, 1 deleted, 0 restored"),
        "{screen}"
    );
    assert!(screen.contains("Enter merges and saves."), "{screen}");
    insta::assert_snapshot!("merge_preview", screen);
    // Enter again merges, with the same key.
    match press(&mut app, &[key(KeyCode::Enter)]).as_slice() {
        [Effect::Job(Job::Merge(merged_paths, keys))] => {
            assert_eq!(merged_paths, &paths);
            assert!(keys.password.is_some());
        }
        other => panic!("unexpected effects {other:?}"),
    }
    let mut after = accounts.clone();
    after.remove(2);
    update(
        &mut app,
        Action::Worker(WorkerEvent::Merged(Ok(Box::new(super::worker::Merged {
            reports: vec![(paths[0].clone(), report)],
            accounts: after.clone(),
            reminder: None,
            done_with: vec![dir.path().join(conflict)],
            unnoted: None,
        })))),
    );
    assert!(matches!(app.screen, Screen::List(_)));
    assert_eq!(
        app.accounts, after,
        "the UI did not take the merged accounts"
    );
    assert_eq!(app.reminder, None, "the notice of the copy stays");
    let status = app
        .status
        .as_ref()
        .map(|(s, _)| s.as_str())
        .unwrap_or_default();
    assert_eq!(
        status,
        "Merged: 1 added, 1 updated, 1 deleted, 0 restored, 0 in conflict; the copy can be deleted once every device has synced"
    );
    // With nothing beside the vault, the screen says so; Esc goes back.
    app.settings.vault_path = dir.path().join("elsewhere/vault.age");
    press(&mut app, &[ctrl('g')]);
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("No sync-conflict copy waits beside the vault"),
        "{screen}"
    );
    press(&mut app, &[key(KeyCode::Esc)]);
    assert!(matches!(app.screen, Screen::List(_)));
}
