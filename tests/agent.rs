//! `keyfob agent`: started once, it answers `code` and `list` for its vault without
//! unlocking, refuses other users, locks on idle time, `SIGHUP` and `agent lock`,
//! ends with its lifetime, replaces a dead agent's socket but never a live one's,
//! and saves HOTP counters through the same lock and save as every other writer.
//!
//! Each test runs its agents in a private `XDG_RUNTIME_DIR` and stops them at the
//! end (a short `--lifetime` ends any that a failing test leaves behind).
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::Env;
use keyfob::{Algorithm, Secret};
use serde_json::Value;
use tempfile::TempDir;

/// A vault with an identity, and a runtime directory for its agent.
struct Agent {
    env: Env,
    runtime: TempDir,
}

impl Agent {
    fn new() -> Self {
        Self::in_runtime(tempfile::tempdir().unwrap())
    }

    fn in_runtime(runtime: TempDir) -> Self {
        let agent = Agent {
            env: Env::new(),
            runtime,
        };
        agent
            .env
            .add(&["otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"]);
        agent
            .env
            .add(&["otpauth://totp/GitLab:bob?secret=GEZDGNBVGY3TQOJQ&issuer=GitLab&digits=8"]);
        agent
            .env
            .add(&["otpauth://totp/Steam:carol?secret=MFRGGZDFMZTWQ2LK&issuer=Steam"]);
        agent
    }

    /// keyfob with no way to unlock: only an agent can answer it.
    fn bare(&self) -> Command {
        let mut cmd = self.env.bare();
        cmd.env("XDG_RUNTIME_DIR", self.runtime.path());
        cmd
    }

    /// keyfob with the identity, seeing this test's agents.
    fn cmd(&self) -> Command {
        let mut cmd = self.env.cmd();
        cmd.env("XDG_RUNTIME_DIR", self.runtime.path());
        cmd
    }

    /// keyfob with the identity and no agent (an empty runtime directory of its own).
    fn direct(&self, elsewhere: &TempDir) -> Command {
        let mut cmd = self.env.cmd();
        cmd.env("XDG_RUNTIME_DIR", elsewhere.path());
        cmd
    }

    fn start(&self, extra: &[&str]) -> String {
        let out = self
            .cmd()
            .args(["agent", "start", "--lifetime", "60s"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `agent status --json`: the status, or `None` when no agent runs.
    fn status(&self) -> Option<Value> {
        let out = self
            .bare()
            .args(["agent", "status", "--json"])
            .output()
            .unwrap();
        let value: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.success(), !value.is_null());
        (!value.is_null()).then_some(value)
    }

    fn pid(&self) -> u32 {
        let status = self.status().expect("an agent runs");
        u32::try_from(status["pid"].as_u64().unwrap()).unwrap()
    }

    /// Adds the HOTP account `Bank (dave)` at `counter`.
    fn add_bank(&self, counter: u64) {
        self.env.add(&[&format!(
            "otpauth://hotp/Bank:dave?secret={BANK_SECRET}&issuer=Bank&counter={counter}"
        )]);
    }

    fn socket_dir(&self) -> PathBuf {
        self.runtime.path().join("keyfob")
    }

    /// The agent's socket (the one `.sock` file in the socket directory for this vault).
    fn socket(&self) -> PathBuf {
        let canonical = std::fs::canonicalize(self.env.vault()).unwrap();
        keyfob::agent::socket::socket_path(&self.socket_dir(), &canonical).unwrap()
    }

    fn stop(&self) {
        self.bare().args(["agent", "stop"]).assert().success();
        wait_until(|| !self.socket().exists(), "the agent removes its socket");
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.bare().args(["agent", "stop"]).output();
    }
}

/// The secret of the HOTP account [`Agent::add_bank`] adds.
const BANK_SECRET: &str = "KRSXG5CTMVRXEZLU";

/// `Bank`'s code for `counter`, computed by the library.
fn bank_code(counter: u64) -> String {
    let secret = Secret::from_base32(BANK_SECRET).unwrap();
    keyfob::otp::hotp(secret.expose(), counter, Algorithm::Sha1, 6).unwrap()
}

fn wait_until(mut done: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn raw_request(socket: &Path, bytes: &[u8]) -> Value {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream.write_all(bytes).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let len = u32::from_be_bytes(reply[..4].try_into().unwrap()) as usize;
    assert_eq!(reply.len(), 4 + len);
    serde_json::from_slice(&reply[4..]).unwrap()
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut bytes = u32::try_from(payload.len()).unwrap().to_be_bytes().to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

#[test]
fn start_status_lock_and_stop() {
    let agent = Agent::new();
    // No agent yet: status says so (exit 1), code needs a key.
    assert_eq!(agent.status(), None);
    agent.bare().args(["code", "GitHub"]).assert().failure();

    let started = agent.start(&[]);
    assert!(
        started.contains(&agent.socket().display().to_string()),
        "{started}"
    );
    let status = agent.status().unwrap();
    assert_eq!(status["unlocked"], true);
    assert_eq!(status["idle_timeout"], 600);
    assert!(
        status["memory"].as_str().unwrap().contains("locked in RAM"),
        "{status}"
    );
    let pid = agent.pid();
    assert!(alive(pid));
    // The socket is private, in a private directory.
    assert_eq!(
        std::fs::metadata(agent.socket_dir()).unwrap().mode() & 0o777,
        0o700
    );
    assert_eq!(
        std::fs::metadata(agent.socket()).unwrap().mode() & 0o777,
        0o600
    );
    // The agent is not dumpable (the hardening every keyfob does at start).
    let proc_status = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = proc_status
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert!(core.split_whitespace().nth(4) == Some("0"), "{core}");

    agent.bare().args(["code", "GitHub"]).assert().success();

    // Lock: the agent stays, holds nothing, and code needs a key again.
    agent.bare().args(["agent", "lock"]).assert().success();
    let status = agent.status().unwrap();
    assert_eq!(status["unlocked"], false);
    assert_eq!(status["pid"], pid);
    let (code, _, stderr) = output(agent.bare().args(["code", "GitHub"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("no passphrase given"), "{stderr}");

    // Start again: the locked agent is replaced by an unlocked one.
    agent.start(&[]);
    assert_eq!(agent.status().unwrap()["unlocked"], true);
    wait_until(|| !alive(pid), "the locked agent ends");

    agent.stop();
    assert_eq!(agent.status(), None);
    let (code, _, stderr) = output(agent.bare().args(["agent", "stop"]));
    assert_eq!(code, 0);
    assert!(stderr.contains("no agent is running"), "{stderr}");
}

#[test]
fn code_and_list_through_the_agent_equal_the_direct_ones() {
    let agent = Agent::new();
    let elsewhere = tempfile::tempdir().unwrap();
    agent.add_bank(5);
    agent
        .cmd()
        .args(["edit", "GitHub", "--tag", "work", "--favorite", "true"])
        .assert()
        .success();
    let direct = |args: &[&str]| output(agent.direct(&elsewhere).args(args));
    let served = |args: &[&str]| output(agent.bare().args(args));
    let cases: [&[&str]; 9] = [
        &["code", "GitHub", "--at", "1700000000"],
        &["code", "gitlab", "--at", "1700000000", "--json"],
        &["code", "Steam", "--at", "59"],
        &["code", "Git"],
        &["code", "nothing"],
        &["code", "Bank", "--at", "5"],
        &["list"],
        &["list", "--json"],
        &["ls"],
    ];
    let before: Vec<_> = cases.iter().map(|args| direct(args)).collect();
    agent.start(&[]);
    for (args, direct) in cases.iter().zip(&before) {
        let served = served(args);
        assert_eq!(&served, direct, "keyfob {args:?} through the agent");
    }
    // Several matches (exit 2) and none (exit 1) are reported as directly.
    assert_eq!(before[3].0, 2);
    assert_eq!(before[4].0, 1);
    assert!(before[0].1.trim().len() == 6 && before[1].1.contains("\"code\":\""));

    // A HOTP code through the agent is the next one and advances the saved counter.
    let key = agent.env.key();
    for counter in 5..8 {
        let (status, code, _) = served(&["code", "Bank"]);
        assert_eq!(status, 0);
        assert_eq!(code.trim(), bank_code(counter));
    }
    let vault = keyfob::vault::Vault::open(&agent.env.vault(), key).unwrap();
    let bank = vault
        .accounts()
        .iter()
        .find(|a| a.issuer == "Bank")
        .unwrap();
    assert_eq!(bank.kind, keyfob::Kind::Hotp { counter: 8 });

    // An account added by another keyfob is seen at the next request.
    agent
        .cmd()
        .args([
            "add",
            "otpauth://totp/New:erin?secret=ONSWG4TFOQ&issuer=New",
        ])
        .assert()
        .success();
    let (status, list, _) = served(&["list", "--json"]);
    assert_eq!(status, 0);
    assert_eq!(list, direct(&["list", "--json"]).1);
    assert!(list.contains("erin"));
    agent.stop();
}

#[test]
fn requests_that_are_malformed_oversized_or_for_secrets_get_errors() {
    let agent = Agent::new();
    agent.start(&[]);
    let socket = agent.socket();
    let error = |reply: Value| reply["reply"]["message"].as_str().unwrap().to_string();
    let cases: [(&[u8], &str); 7] = [
        (&framed(b"{not json"), "malformed"),
        (&framed(br#"{"v":9,"request":"list"}"#), "version '9'"),
        (
            &framed(br#"{"v":1,"request":{"show":{"query":"GitHub","uri":true}}}"#),
            "malformed",
        ),
        (
            &framed(br#"{"v":1,"request":{"code":{"query":"GitHub","secret":true}}}"#),
            "malformed",
        ),
        (&framed(br#"{"v":1,"request":"secrets"}"#), "malformed"),
        (
            &[0xff, 0xff, 0xff, 0xff, b'{'],
            "longer than the 16384 bytes",
        ),
        (&[0, 0, 0, 9, b'{'], "truncated"),
    ];
    for (bytes, expected) in cases {
        let reply = raw_request(&socket, bytes);
        assert_eq!(reply["reply"]["kind"], "error", "{reply}");
        assert!(error(reply.clone()).contains(expected), "{reply}");
    }
    // The agent is still there and answers.
    let reply = raw_request(
        &socket,
        &framed(br#"{"v":1,"request":{"code":{"query":"GitHub","at":0}}}"#),
    );
    assert_eq!(reply["reply"]["kind"], "code", "{reply}");
    assert_eq!(reply["reply"]["code"].as_str().unwrap().len(), 6);
    // The code reply carries no secret.
    assert!(!reply.to_string().contains("JBSWY3DPEHPK3PXP"));
    agent.stop();
}

#[test]
fn another_uid_is_refused_by_the_peer_check() {
    let agent = Agent::new();
    // The test knob (debug builds only) opens the socket directory and the socket to
    // everyone, so only the peer check stands between another user and the agent.
    let mut runtime = std::fs::metadata(agent.runtime.path())
        .unwrap()
        .permissions();
    runtime.set_mode(0o711);
    std::fs::set_permissions(agent.runtime.path(), runtime).unwrap();
    let out = agent
        .cmd()
        .env("KEYFOB_AGENT_TEST_OPEN_SOCKET", "1")
        .args(["agent", "start", "--lifetime", "60s"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let socket = agent.socket();
    assert_eq!(std::fs::metadata(&socket).unwrap().mode() & 0o777, 0o666);
    let keyfob = assert_cmd::cargo::cargo_bin("keyfob");
    let status = r#"{"v":1,"request":{"code":{"query":"GitHub"}}}"#;
    let request = |runner: &mut Process| {
        let out = runner
            .arg(&keyfob)
            .args([
                "--vault",
                "/nonexistent/vault.age",
                "debug",
                "agent-request",
            ])
            .arg(&socket)
            .arg(status)
            .env("XDG_RUNTIME_DIR", agent.runtime.path())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The agent's own user gets the code through the same request.
    let (ok, reply, _) = request(&mut Process::new("env"));
    assert!(ok && reply.contains(r#""kind":"code""#), "{reply}");

    let nobody_runs = Process::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "true",
        ])
        .status()
        .is_ok_and(|s| s.success());
    let reachable = Process::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "test",
            "-x",
        ])
        .arg(&keyfob)
        .status()
        .is_ok_and(|s| s.success());
    if !nobody_runs || !reachable {
        eprintln!(
            "skipped: cannot run keyfob as nobody here (setpriv needs root, and nobody must reach '{}')",
            keyfob.display()
        );
        agent.stop();
        return;
    }
    let mut as_nobody = Process::new("setpriv");
    as_nobody.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
    let (ok, reply, stderr) = request(&mut as_nobody);
    eprintln!("as nobody: {reply}");
    assert!(
        reply.contains(r#""kind":"error""#)
            && reply.contains("refused a connection from uid '65534'"),
        "stdout {reply:?}, stderr {stderr:?}, ok {ok}"
    );
    assert!(!reply.contains(r#""code""#), "{reply}");
    // The client refuses the opened directory, so stop the agent with a raw request.
    let reply = raw_request(&socket, &framed(br#"{"v":1,"request":"stop"}"#));
    assert_eq!(reply["reply"]["kind"], "done");
    wait_until(|| !socket.exists(), "the agent removes its socket");
}

#[test]
fn the_socket_directory_is_refused_when_open_or_foreign() {
    let agent = Agent::new();
    let dir = agent.socket_dir();
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, stderr) = output(agent.cmd().args(["agent", "start"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("is open to other users (mode '755'"),
        "{stderr}"
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    if nix_chown(&dir, 65534) {
        let (code, _, stderr) = output(agent.cmd().args(["agent", "start"]));
        assert_eq!(code, 1);
        assert!(stderr.contains("belongs to uid '65534'"), "{stderr}");
    } else {
        eprintln!("skipped the foreign-owner case: cannot chown here (not root)");
    }
    assert_eq!(agent.status(), None);
}

fn nix_chown(path: &Path, uid: u32) -> bool {
    Process::new("chown")
        .arg(uid.to_string())
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn idle_timeout_sighup_and_lifetime_end_lock_it() {
    let agent = Agent::new();
    agent.start(&["--idle-timeout", "2s"]);
    agent.bare().args(["code", "GitHub"]).assert().success();
    wait_until(
        || agent.status().unwrap()["unlocked"] == false,
        "the idle timeout locks the agent",
    );
    agent.bare().args(["code", "GitHub"]).assert().failure();

    agent.start(&[]);
    let pid = agent.pid();
    assert!(
        Process::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    wait_until(
        || agent.status().unwrap()["unlocked"] == false,
        "SIGHUP locks the agent",
    );
    assert_eq!(agent.pid(), pid);
    agent.stop();

    let out = agent
        .cmd()
        .args(["agent", "start", "--lifetime", "4s"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let pid = agent.pid();
    assert!(agent.status().unwrap()["lifetime_left"].as_u64().unwrap() <= 4);
    wait_until(|| agent.status().is_none(), "the lifetime ends the agent");
    assert!(!agent.socket().exists());
    wait_until(|| !alive(pid), "the agent process ends");
}

#[test]
fn a_killed_agents_socket_is_replaced_and_a_live_one_is_never_stolen() {
    let agent = Agent::new();
    agent.start(&[]);
    let first = agent.pid();
    // A second start leaves the live agent alone.
    let out = agent.cmd().args(["agent", "start"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds the vault"));
    assert_eq!(agent.pid(), first);
    // A second agent started directly is refused while the first holds the lock.
    let (code, stdout, _) = output(agent.cmd().args(["agent", "serve", "--lifetime", "5s"]));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("error another agent is running"),
        "{stdout}"
    );
    assert_eq!(agent.pid(), first);

    assert!(
        Process::new("kill")
            .args(["-KILL", &first.to_string()])
            .status()
            .unwrap()
            .success()
    );
    wait_until(|| !alive(first), "the killed agent is gone");
    assert!(agent.socket().exists(), "a killed agent leaves its socket");
    // The dead socket means no agent: status says so and code unlocks directly.
    assert_eq!(agent.status(), None);
    agent.cmd().args(["code", "GitHub"]).assert().success();
    agent.start(&[]);
    let second = agent.pid();
    assert_ne!(second, first);
    agent.bare().args(["code", "GitHub"]).assert().success();
    agent.stop();
}

#[test]
fn two_agents_for_two_vaults() {
    let one = Agent::new();
    let two = Agent::in_runtime(tempfile::tempdir().unwrap());
    // Both in the same runtime directory.
    let shared = one.runtime.path().to_path_buf();
    two.env
        .add(&["otpauth://totp/Only:two?secret=MZXW6YTBOI&issuer=Only"]);
    one.start(&[]);
    two.cmd()
        .env("XDG_RUNTIME_DIR", &shared)
        .args(["agent", "start", "--lifetime", "60s"])
        .assert()
        .success();
    let two_bare = || {
        let mut cmd = two.env.bare();
        cmd.env("XDG_RUNTIME_DIR", &shared);
        cmd
    };
    let (status, out, _) = output(two_bare().args(["code", "Only", "--at", "0"]));
    assert_eq!(status, 0, "{out}");
    let (status, _, _) = output(one.bare().args(["code", "Only"]));
    assert_eq!(status, 1, "vault one has no 'Only'");
    let sockets: Vec<_> = std::fs::read_dir(one.socket_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "sock"))
        .collect();
    assert_eq!(sockets.len(), 2);
    let pid_two = {
        let out = two_bare()
            .args(["agent", "status", "--json"])
            .output()
            .unwrap();
        let value: Value = serde_json::from_slice(&out.stdout).unwrap();
        value["pid"].as_u64().unwrap()
    };
    assert_ne!(u64::from(one.pid()), pid_two);
    two_bare().args(["agent", "stop"]).assert().success();
    one.stop();
}

#[test]
fn the_agent_and_a_cli_writer_at_the_same_time_lose_nothing() {
    let agent = Agent::new();
    let elsewhere = tempfile::tempdir().unwrap();
    agent.add_bank(0);
    // The agent waits for the writer lock as long as the direct writer does.
    agent
        .cmd()
        .env("KEYFOB_LOCK_WAIT", "20")
        .args(["agent", "start", "--lifetime", "120s"])
        .assert()
        .success();
    const N: u64 = 25;
    std::thread::scope(|scope| {
        // Codes through the agent…
        let served = scope.spawn(|| {
            (0..N)
                .map(|_| {
                    let (status, out, err) = output(agent.bare().args(["code", "Bank"]));
                    assert_eq!(status, 0, "{err}");
                    out.trim().to_string()
                })
                .collect::<Vec<_>>()
        });
        // …while another keyfob adds accounts and takes HOTP codes directly.
        let direct = scope.spawn(|| {
            let mut codes = Vec::new();
            for i in 0..N {
                let (status, _, err) = output(
                    agent
                        .direct(&elsewhere)
                        .env("KEYFOB_LOCK_WAIT", "20")
                        .args([
                            "add",
                            &format!(
                                "otpauth://totp/Added:n{i}?secret={}&issuer=Added",
                                Secret::from_bytes(vec![u8::try_from(i).unwrap() + 1; 10])
                                    .unwrap()
                                    .to_base32()
                                    .as_str()
                            ),
                        ]),
                );
                assert_eq!(status, 0, "{err}");
                let (status, out, err) = output(
                    agent
                        .direct(&elsewhere)
                        .env("KEYFOB_LOCK_WAIT", "20")
                        .args(["code", "Bank"]),
                );
                assert_eq!(status, 0, "{err}");
                codes.push(out.trim().to_string());
            }
            codes
        });
        let mut all = served.join().unwrap();
        all.extend(direct.join().unwrap());
        // Every code was given once: the counters 0 … 2N-1, none twice, none skipped.
        let mut expected: Vec<String> = (0..2 * N).map(bank_code).collect();
        all.sort();
        expected.sort();
        assert_eq!(all, expected);
    });
    agent.stop();
    let vault = keyfob::vault::Vault::open(&agent.env.vault(), agent.env.key()).unwrap();
    let added = vault
        .accounts()
        .iter()
        .filter(|a| a.issuer == "Added")
        .count();
    assert_eq!(added as u64, N);
    let bank = vault
        .accounts()
        .iter()
        .find(|a| a.issuer == "Bank")
        .unwrap();
    assert_eq!(bank.kind, keyfob::Kind::Hotp { counter: 2 * N });
}

#[test]
fn a_passphrase_vault_unlocks_in_the_agent_and_a_wrong_one_is_reported() {
    let env = Env::empty();
    let runtime = tempfile::tempdir().unwrap();
    std::fs::write(env.path("pass"), "correct horse\n").unwrap();
    env.pass().arg("init").assert().success();
    env.pass()
        .args([
            "add",
            "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
        ])
        .assert()
        .success();
    std::fs::write(env.path("wrong"), "wrong horse\n").unwrap();
    let (code, _, stderr) = output(env.bare().env("XDG_RUNTIME_DIR", runtime.path()).args([
        "--passphrase-file",
        "wrong",
        "agent",
        "start",
        "--lifetime",
        "30s",
    ]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("the agent did not start") && stderr.contains("wrong passphrase"),
        "{stderr}"
    );
    let bare = || {
        let mut cmd = env.bare();
        cmd.env("XDG_RUNTIME_DIR", runtime.path());
        cmd
    };
    bare().args(["agent", "status"]).assert().code(1);
    env.pass()
        .env("XDG_RUNTIME_DIR", runtime.path())
        .args(["agent", "start", "--lifetime", "30s"])
        .assert()
        .success();
    let (code, out, err) = output(bare().args(["code", "GitHub", "--at", "0"]));
    assert_eq!(code, 0, "{err}");
    let expected = keyfob::otp::totp(
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap().expose(),
        0,
        30,
        Algorithm::Sha1,
        6,
    )
    .unwrap();
    assert_eq!(out.trim(), expected);
    bare().args(["agent", "stop"]).assert().success();
}
