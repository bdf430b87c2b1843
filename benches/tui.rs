//! The terminal UI's hot path: one keystroke of search plus one full frame,
//! with 100 and 10,000 accounts (target: under 2 ms median at 10,000).
//!
//! Run with `cargo bench --bench tui`; criterion writes the medians to
//! `target/criterion/<name>/new/estimates.json`. The UI lives in the binary,
//! so its module is compiled into this benchmark from its source.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(dead_code, unused_imports)]
#[path = "../src/tui/mod.rs"]
mod tui;

use criterion::{Criterion, criterion_group, criterion_main};
use keyfob::{Account, Algorithm, Kind, Secret};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui::app::{Action, App, Settings, WorkerEvent, update};
use tui::input::Edit;

const NOW: i64 = 1_800_000_010;

const SERVICES: &[&str] = &[
    "GitHub",
    "GitLab",
    "Google",
    "Microsoft",
    "Amazon",
    "Dropbox",
    "Slack",
    "Discord",
    "Twitter",
    "Facebook",
    "Instagram",
    "Reddit",
    "Stripe",
    "Cloudflare",
    "DigitalOcean",
    "Heroku",
    "npm",
    "PyPI",
    "Proton",
    "Fastmail",
    "Bitwarden",
    "1Password",
    "Coinbase",
    "Kraken",
    "Binance",
    "PayPal",
    "Steam",
    "Epic Games",
    "Nintendo",
    "Sony",
    "Apple",
    "Atlassian",
    "Linode",
    "Hetzner",
    "OVH",
    "Vultr",
    "Namecheap",
    "Gandi",
    "Mailgun",
    "Sentry",
];

fn accounts(count: usize) -> Vec<Account> {
    (0..count)
        .map(|i| {
            let service = SERVICES[i % SERVICES.len()];
            let bytes: Vec<u8> = (0..20).map(|j| (i * 31 + j * 7 + 1) as u8).collect();
            let mut account = Account::new(
                &format!("{service} {}", i / SERVICES.len()),
                &format!("user{i}@example.com"),
                Secret::from_bytes(bytes).unwrap(),
                if i % 10 == 3 {
                    Kind::Hotp { counter: 1 }
                } else {
                    Kind::DEFAULT_TOTP
                },
                Algorithm::Sha1,
                6,
                0,
            )
            .unwrap();
            if i % 7 == 0 {
                account.tags = vec!["work".into()];
            }
            account
        })
        .collect()
}

fn unlocked(count: usize) -> App {
    let mut settings = Settings::new("/tmp/bench.vault.age".into());
    settings.color = true;
    let mut app = App::new(settings, true, NOW);
    update(
        &mut app,
        Action::Worker(WorkerEvent::Unlocked {
            accounts: accounts(count),
            reminder: None,
        }),
    );
    app
}

fn keystroke_and_frame(c: &mut Criterion) {
    for count in [100usize, 10_000] {
        let mut app = unlocked(count);
        for ch in "git".chars() {
            update(&mut app, Action::Edit(Edit::Insert(ch)));
        }
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut typed = false;
        c.bench_function(&format!("tui/keystroke_and_frame/{count}"), |b| {
            b.iter(|| {
                // Alternate "git" -> "gith" -> "git": every step is one keystroke
                // that re-runs the fuzzy search over every account.
                let action = if typed {
                    Action::Edit(Edit::DeleteBack)
                } else {
                    Action::Edit(Edit::Insert('h'))
                };
                typed = !typed;
                update(&mut app, action);
                terminal
                    .draw(|frame| frame.render_widget(&app, frame.area()))
                    .unwrap();
            });
        });
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut tick = NOW;
        c.bench_function(&format!("tui/frame_only/{count}"), |b| {
            b.iter(|| {
                tick += 1;
                update(&mut app, Action::Tick(tick));
                app.last_input = tick;
                terminal
                    .draw(|frame| frame.render_widget(&app, frame.area()))
                    .unwrap();
            });
        });
    }
}

criterion_group!(benches, keystroke_and_frame);
criterion_main!(benches);
