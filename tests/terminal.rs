//! Terminal injection and spent codes (issue 11): account text with control and
//! bidi characters is refused where it enters and shown escaped wherever it
//! leaves; HOTP codes are never given out twice.
//!
//! Hostile accounts are planted through the library (bypassing the input check),
//! as a vault written by an older keyfob could hold them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use keyfob::vault::Vault;
use keyfob::{Account, Algorithm, Kind, Secret};

mod common;
use common::Env;

/// OSC 52 (writes the clipboard) inside the issuer.
const ISSUER: &str = "Evil\u{1b}]52;c;aGFjaw==\u{7}Corp";
/// A bidi override (`bobexe.png` on screen), a screen clear and a carriage return.
const NAME: &str = "bob\u{202e}gnp.exe\u{1b}[2J\r";
const TAG: &str = "t\u{7}ag\nx";
const NOTE: &str = "n\u{1b}[31m";
const ISSUER_SHOWN: &str = "Evil\\x1b]52;c;aGFjaw==\\x07Corp";
const NAME_SHOWN: &str = "bob\\u{202e}gnp.exe\\x1b[2J\\x0d";
const TAG_SHOWN: &str = "t\\x07ag\\x0ax";

fn plant(env: &Env, accounts: Vec<Account>) {
    let mut vault = Vault::open_locked(&env.vault(), env.key(), Duration::from_secs(2)).unwrap();
    vault.accounts_mut().extend(accounts);
    vault.save().unwrap();
}

fn clean(issuer: &str, name: &str, secret: &str, kind: Kind) -> Account {
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

/// An account with every text field hostile, built without the input check.
fn hostile(secret: &str) -> Account {
    let mut account = clean("x", "y", secret, Kind::DEFAULT_TOTP);
    account.issuer = ISSUER.into();
    account.name = NAME.into();
    account.tags = vec![TAG.into()];
    account.note = NOTE.into();
    account
}

/// Characters that drive a terminal or reorder text: C0 and C1 controls, DEL and the
/// bidi embeddings, overrides and isolates (written out here, not taken from keyfob).
fn drives_the_terminal(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Output must hold none of them, except the line feeds that end lines.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && drives_the_terminal(c))
        .collect();
    assert!(bad.is_empty(), "{what} printed raw {bad:?}:\n{text}");
}

/// Fails showing the whole text when `needle` is not in it.
fn assert_has(text: &str, needle: &str) {
    assert!(text.contains(needle), "'{needle}' not in:\n{text}");
}

/// `keyfob ARGS` fails, prints nothing on stdout, says each of `says` on stderr
/// and leaves the vault file byte-identical.
fn refused_untouched(env: &Env, args: &[&str], says: &[&str]) {
    let before = std::fs::read(env.vault()).unwrap();
    let out = run(env, args);
    assert!(!out.ok, "{args:?} succeeded");
    assert_eq!(out.stdout, "", "{args:?} printed");
    for text in says {
        assert_has(&out.stderr, text);
    }
    assert_eq!(
        std::fs::read(env.vault()).unwrap(),
        before,
        "{args:?} saved"
    );
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(env: &Env, args: &[&str]) -> Run {
    let out = env.cmd().args(args).output().unwrap();
    let what = args.join(" ");
    assert_inert(&format!("'{what}' stdout"), &out.stdout);
    assert_inert(&format!("'{what}' stderr"), &out.stderr);
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn id_of(env: &Env, issuer: &str) -> String {
    env.list()
        .iter()
        .find(|a| a["issuer"] == issuer)
        .map(|a| a["id"].as_str().unwrap().to_string())
        .unwrap()
}

#[test]
fn hostile_account_text_is_escaped_on_every_output_path() {
    let env = Env::new();
    let mut second = hostile("GEZDGNBVGY3TQOJQ");
    second.name = "second".into();
    plant(
        &env,
        vec![
            hostile("JBSWY3DPEHPK3PXP"),
            second,
            clean("Plain", "p", "MFRGGZDFMZTWQ2LK", Kind::DEFAULT_TOTP),
        ],
    );
    let label = format!("{ISSUER_SHOWN} ({NAME_SHOWN})");
    let id = id_of(&env, ISSUER);

    // The vault written before the check still opens; list shows the text escaped.
    let list = run(&env, &["list"]);
    assert!(list.ok, "{}", list.stderr);
    for shown in [ISSUER_SHOWN, NAME_SHOWN, TAG_SHOWN] {
        assert!(
            list.stdout.contains(shown),
            "{shown} not in:\n{}",
            list.stdout
        );
    }
    // list --json keeps the exact text (JSON escapes it).
    let json = env.list();
    assert!(json.iter().any(|a| a["name"] == NAME && a["note"] == NOTE));

    // code: ambiguous (candidates listed) and no match (the query echoed back).
    let ambiguous = run(&env, &["code", "evil"]);
    assert!(!ambiguous.ok);
    assert_has(&ambiguous.stderr, &format!("  {label}"));
    assert!(
        ambiguous
            .stderr
            .contains(&format!("  {ISSUER_SHOWN} (second)"))
    );
    let none = run(&env, &["code", "nothing\u{1b}[2J\u{7}"]);
    assert!(!none.ok);
    assert_has(&none.stderr, "no account matches 'nothing\\x1b[2J\\x07'");

    // show --qr prints the label under the code.
    let show = run(&env, &["show", &id, "--qr"]);
    assert!(show.ok && show.stdout.contains(&label), "{}", show.stderr);

    // add of the same token names the existing account.
    let dup = run(
        &env,
        &["add", "--issuer", "Again", "--secret", "JBSWY3DPEHPK3PXP"],
    );
    assert!(!dup.ok);
    assert_has(&dup.stderr, &format!("already in the vault as '{label}'"));

    // remove: the refusal without --yes, and the confirmation.
    let refused = env
        .cmd()
        .args(["remove", &id])
        .write_stdin("")
        .output()
        .unwrap();
    assert_inert("remove without --yes", &refused.stderr);
    assert!(String::from_utf8_lossy(&refused.stderr).contains(&format!("'{label}'")));

    // An age backup, then verify reports the account the vault no longer has.
    let backup = env.path("backup.age");
    let export = run(
        &env,
        &[
            "export",
            "--format",
            "age",
            "--recipient",
            &env.public_key(),
            "--out",
            backup.to_str().unwrap(),
        ],
    );
    assert!(export.ok, "{}", export.stderr);
    let removed = run(&env, &["remove", &id, "--yes"]);
    assert!(
        removed.ok && removed.stderr.contains(&format!("Removed '{label}'")),
        "{}",
        removed.stderr
    );
    let verify = run(
        &env,
        &[
            "verify",
            backup.to_str().unwrap(),
            "--source-identity",
            env.path("id.txt").to_str().unwrap(),
        ],
    );
    assert!(
        verify
            .stdout
            .contains(&format!("not in the vault: {label}")),
        "{}\n{}",
        verify.stdout,
        verify.stderr
    );

    // edit refuses to keep hostile text, naming the field; fixing it works.
    let second_id = id_of(&env, ISSUER);
    let edit = run(&env, &["edit", &second_id, "--favorite", "true"]);
    assert!(!edit.ok);
    assert_has(
        &edit.stderr,
        "the issuer contains the control character '\\x1b'",
    );
    let fixed = run(
        &env,
        &[
            "edit", &second_id, "--issuer", "Fixed", "--untag", TAG, "--note", "",
        ],
    );
    assert!(
        fixed.ok && fixed.stderr.contains("Updated 'Fixed (second)'"),
        "{}",
        fixed.stderr
    );
}

#[test]
fn import_reports_escape_entries_file_names_and_reasons() {
    let env = Env::new();
    let dir = env.path("in");
    std::fs::create_dir(&dir).unwrap();
    // A hostile file name, holding one hostile and one good entry.
    let file = dir.join("list\u{1b}[2J.txt");
    std::fs::write(
        &file,
        "otpauth://totp/Evil%1B%5D52:bob%E2%80%AEgnp.exe?secret=JBSWY3DPEHPK3PXP&issuer=Evil%1B%5D52\n\
         otpauth://totp/Good:alice?secret=GEZDGNBVGY3TQOJQ&issuer=Good\n",
    )
    .unwrap();
    let out = run(&env, &["import", dir.to_str().unwrap()]);
    assert!(out.ok, "{}", out.stderr);
    assert_has(&out.stdout, "list\\x1b[2J.txt");
    assert_has(
        &out.stdout,
        "not imported: Evil\\x1b]52 (bob\\u{202e}gnp.exe): the issuer contains the control character '\\x1b'",
    );
    assert_has(&out.stdout, "added: Good (alice)");
    let issuers: Vec<_> = env.list().iter().map(|a| a["issuer"].clone()).collect();
    assert_eq!(issuers, ["Good"]);

    // An unreadable file's error names it escaped.
    let missing = env.path("gone\u{7}.txt");
    let failed = run(&env, &["import", missing.to_str().unwrap()]);
    assert!(
        !failed.ok && failed.stderr.contains("gone\\x07.txt"),
        "{}",
        failed.stderr
    );
}

#[test]
fn control_characters_are_refused_at_input_with_the_field_named() {
    let env = Env::new();
    let before = std::fs::read(env.vault()).unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--issuer", "Git\u{1b}[2JHub"],
            "the issuer contains the control character '\\x1b'",
        ),
        (
            &["--name", "bob\u{202e}gnp.exe"],
            "the name contains the control character '\\u{202e}'",
        ),
        (
            &["--name", "n", "--tag", "a\nb"],
            "the tag contains the control character '\\x0a'",
        ),
        (
            &["--name", "n", "--note", "a\rb"],
            "the note contains the control character '\\x0d'",
        ),
        (
            &["--name", "n", "--note", "\u{9b}31m"],
            "the note contains the control character '\\x9b'",
        ),
        (
            &["--issuer", "x\u{2066}"],
            "the issuer contains the control character '\\u{2066}'",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["add", "--secret", "JBSWY3DPEHPK3PXP"];
        all.extend_from_slice(args);
        let out = run(&env, &all);
        assert!(!out.ok, "{args:?} was accepted");
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
    }
    // A URI's label too.
    let uri = run(
        &env,
        &["add", "otpauth://totp/Acme:me%07?secret=JBSWY3DPEHPK3PXP"],
    );
    assert!(
        !uri.ok
            && uri
                .stderr
                .contains("the name contains the control character '\\x07'"),
        "{}",
        uri.stderr
    );
    assert_eq!(
        std::fs::read(env.vault()).unwrap(),
        before,
        "a refused add changed the vault"
    );

    // A note may have several lines and tabs.
    env.add(&[
        "--name",
        "multi",
        "--secret",
        "JBSWY3DPEHPK3PXP",
        "--note",
        "line 1\n\tline 2",
    ]);
    assert_eq!(env.list()[0]["note"], "line 1\n\tline 2");

    // edit, each field.
    let before = std::fs::read(env.vault()).unwrap();
    for (flag, value, field) in [
        ("--issuer", "a\u{7}", "issuer"),
        ("--name", "b\u{1b}", "name"),
        ("--tag", "c\u{85}", "tag"),
        ("--note", "d\u{202d}", "note"),
    ] {
        let out = run(&env, &["edit", "multi", flag, value]);
        assert!(!out.ok, "{flag} accepted");
        assert_has(
            &out.stderr,
            &format!("the {field} contains the control character"),
        );
    }
    assert_eq!(
        std::fs::read(env.vault()).unwrap(),
        before,
        "a refused edit changed the vault"
    );
}

#[test]
fn importers_skip_entries_with_control_characters_in_tags_or_notes() {
    let env = Env::new();
    let file = env.path("aegis.json");
    let entry = |uuid: &str, issuer: &str, note: &str, secret: &str| {
        serde_json::json!({
            "type": "totp", "uuid": uuid, "name": "me", "issuer": issuer, "note": note,
            "icon": null, "groups": [],
            "info": {"secret": secret, "algo": "SHA1", "digits": 6, "period": 30}
        })
    };
    let doc = serde_json::json!({
        "version": 1,
        "header": {"slots": null, "params": null},
        "db": {"version": 2, "entries": [
            entry("11111111-1111-4111-8111-111111111111", "Hostile", "x\u{1b}]52;c;aGk=\u{7}", "JBSWY3DPEHPK3PXP"),
            entry("22222222-2222-4222-8222-222222222222", "Windows", "line 1\r\nline 2", "GEZDGNBVGY3TQOJQ"),
        ]}
    });
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = run(&env, &["import", file.to_str().unwrap()]);
    assert!(out.ok, "{}", out.stderr);
    assert_has(
        &out.stdout,
        "not imported: Hostile (me): the note contains the control character '\\x1b'",
    );
    let list = env.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["issuer"], "Windows");
    assert_eq!(
        list[0]["note"], "line 1\nline 2",
        "CR LF line ends become LF"
    );
}

#[test]
fn an_exhausted_hotp_counter_is_refused() {
    let env = Env::new();
    let max = u64::MAX.to_string();
    // At input: add, edit and import.
    let add = run(
        &env,
        &[
            "add",
            "--name",
            "h",
            "--secret",
            "JBSWY3DPEHPK3PXP",
            "--hotp",
            "--counter",
            &max,
        ],
    );
    assert!(
        !add.ok && add.stderr.contains("the HOTP counter is exhausted"),
        "{}",
        add.stderr
    );
    let uri = format!("otpauth://hotp/Bank:me?secret=JBSWY3DPEHPK3PXP&counter={max}");
    let add_uri = run(&env, &["add", &uri]);
    assert!(
        !add_uri.ok && add_uri.stderr.contains("the HOTP counter is exhausted"),
        "{}",
        add_uri.stderr
    );
    let file = env.path("list.txt");
    std::fs::write(&file, format!("{uri}\n")).unwrap();
    let import = run(&env, &["import", file.to_str().unwrap()]);
    assert_has(
        &import.stdout,
        "not imported: Bank (me): the HOTP counter is exhausted",
    );
    assert!(env.list().is_empty());

    // The last usable counter gives one code, then the account refuses.
    let last = (u64::MAX - 1).to_string();
    env.add(&[
        "--name",
        "h",
        "--secret",
        "JBSWY3DPEHPK3PXP",
        "--hotp",
        "--counter",
        &last,
    ]);
    let edit = run(&env, &["edit", "h", "--counter", &max]);
    assert!(
        !edit.ok && edit.stderr.contains("the HOTP counter is exhausted"),
        "{}",
        edit.stderr
    );
    let first = run(&env, &["code", "h"]);
    assert!(first.ok, "{}", first.stderr);
    let expected =
        keyfob::otp::hotp(b"Hello!\xde\xad\xbe\xef", u64::MAX - 1, Algorithm::Sha1, 6).unwrap();
    assert_eq!(first.stdout.trim(), expected);
    assert_eq!(env.list()[0]["counter"], u64::MAX);
    for _ in 0..2 {
        refused_untouched(
            &env,
            &["code", "h"],
            &[
                "the HOTP counter is exhausted",
                "set it up again at the service",
            ],
        );
    }

    // A vault already holding such a counter (older keyfob) still opens.
    let mut planted = clean("Old", "o", "GEZDGNBVGY3TQOJQ", Kind::Hotp { counter: 0 });
    planted.kind = Kind::Hotp { counter: u64::MAX };
    plant(&env, vec![planted]);
    let list = run(&env, &["list"]);
    assert!(list.ok && list.stdout.contains("Old"), "{}", list.stderr);
    assert!(!run(&env, &["code", "old"]).ok);
}

#[test]
fn code_at_is_refused_for_hotp_without_spending_the_counter() {
    let env = Env::new();
    env.add(&[
        "--issuer",
        "Bank",
        "--secret",
        "JBSWY3DPEHPK3PXP",
        "--hotp",
        "--counter",
        "5",
    ]);
    refused_untouched(
        &env,
        &["code", "bank", "--at", "1000"],
        &["--at applies to TOTP and Steam accounts", "'Bank' is HOTP"],
    );
    assert_eq!(env.list()[0]["counter"], 5);
    let code = run(&env, &["code", "bank"]);
    let expected = keyfob::otp::hotp(b"Hello!\xde\xad\xbe\xef", 5, Algorithm::Sha1, 6).unwrap();
    assert_eq!(code.stdout.trim(), expected);
    // TOTP still takes --at.
    env.add(&["--issuer", "Time", "--secret", "GEZDGNBVGY3TQOJQ"]);
    assert!(run(&env, &["code", "time", "--at", "59"]).ok);
}

#[test]
fn secret_errors_name_the_problem_once_and_the_fix() {
    let env = Env::new();
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &["add", "otpauth://totp/Acme:me?secret=%3D%3D"],
            "the secret is empty",
            "copy it again",
        ),
        (
            &["add", "otpauth://totp/Acme:me?secret=ABC1"],
            "not valid base32",
            "copy it again",
        ),
        (
            &["add", "--name", "n", "--secret", " "],
            "the secret is empty",
            "give the base32 key the site shows",
        ),
    ];
    for (args, problem, fix) in cases {
        let out = run(&env, args);
        assert!(!out.ok, "{args:?} succeeded");
        assert_eq!(out.stderr.matches(problem).count(), 1, "{}", out.stderr);
        assert_has(&out.stderr, fix);
        // No part of the message repeats the one before.
        let parts: Vec<&str> = out.stderr.trim().split(": ").collect();
        for pair in parts.windows(2) {
            assert_ne!(pair[0], pair[1], "{}", out.stderr);
        }
    }
}
