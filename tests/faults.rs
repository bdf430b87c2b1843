//! Fault tests: the vault survives SIGKILL at any moment of a save, a full disk,
//! two concurrent writers and any single flipped byte or truncation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use keyfob::vault::{Key, Vault, VaultError};
use keyfob::{Account, Algorithm, Kind, Secret};
use proptest::prelude::*;
use tempfile::TempDir;

const KEYFOB: &str = env!("CARGO_BIN_EXE_keyfob");

mod common;
use common::Env;

/// keyfob as a plain process on the environment's vault, waiting up to a minute for
/// the lock (the concurrent writers queue for it).
fn keyfob(env: &Env, args: &[&str]) -> Command {
    let mut cmd = env.process(args);
    cmd.env("KEYFOB_LOCK_WAIT", "60");
    cmd
}

/// Leftover temporary files of interrupted saves beside the vault, sorted.
fn temps(env: &Env) -> Vec<String> {
    let mut temps: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".vault.age.tmp-"))
        .collect();
    temps.sort();
    temps
}

fn loop_names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("{prefix}-{n:05}")).collect()
}

fn sigkill(pid: u32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    // The child may have exited on its own just before; that is fine.
    let _ = status;
}

/// A `keyfob debug save-loop` child adds one account per save and prints the
/// number of each save that returned. It is killed with SIGKILL at 240 moments
/// staggered over its life (startup, open, encrypt, temp write, fsync, backup
/// rotation, rename). After every kill the vault must open and hold exactly the
/// acknowledged accounts (old state) or those plus the one in flight (new state),
/// in order: never fewer, never damaged. Temp files a kill leaves behind are
/// removed by the next keyfob that opens the vault for writing.
#[test]
fn sigkill_during_saves_never_loses_or_damages_the_vault() {
    let env = Env::new();
    let kills = 240;
    let (mut old_states, mut new_states, mut with_temps) = (0, 0, 0);
    let mut left_behind: Vec<String> = Vec::new();
    let mut count = 0usize;
    for i in 0..kills {
        // Delays from 0 to ~48 ms in 0.2 ms steps, visited in a scrambled order.
        let delay = Duration::from_micros(((i * 97) % kills) as u64 * 200);
        let count_before = count;
        let mut child = keyfob(&env, &["debug", "save-loop", "--start", &count.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        std::thread::sleep(delay);
        sigkill(pid);
        let status = child.wait().unwrap();
        assert!(!status.success(), "the save loop never ends on its own");
        let mut printed = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut printed)
            .unwrap();
        let acked = count + printed.lines().filter(|l| !l.is_empty()).count();
        let names = env.names();
        if names.len() == acked {
            old_states += 1;
        } else if names.len() == acked + 1 {
            new_states += 1;
        } else {
            panic!(
                "kill {i}: the vault holds {} accounts; {acked} saves were acknowledged",
                names.len()
            );
        }
        assert_eq!(names, loop_names("loop", names.len()), "kill {i}");
        count = names.len();
        // Temps left by earlier kills are gone once a later child has opened the
        // vault for writing (it saved at least once since).
        let temps = temps(&env);
        if acked > count_before {
            for stale in &left_behind {
                assert!(
                    !temps.contains(stale),
                    "kill {i} (child {pid}, {acked} acked, {} printed): stale temp '{stale}' survived a later save; temps now {temps:?}",
                    acked - count_before
                );
            }
            left_behind.clear();
        }
        if !temps.is_empty() {
            with_temps += 1;
            left_behind.extend(temps);
        }
    }
    // One more writer start cleans up whatever the last kills left.
    let out = keyfob(
        &env,
        &[
            "debug",
            "save-loop",
            "--count",
            "1",
            "--start",
            &count.to_string(),
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.names(), loop_names("loop", count + 1));
    assert_eq!(temps(&env), Vec::<String>::new());
    eprintln!(
        "{kills} kills: {old_states} left the old state, {new_states} the new state, \
         {with_temps} left a temp file; {} saves in all",
        count + 1
    );
    assert_eq!(old_states + new_states, kills);
    // Every save rotated the backups (the loop rewrites a note each time), so kills
    // also landed in rotation and tier capture: every backup left is a whole vault
    // holding an earlier state of the loop.
    let mut backups = 0;
    for entry in std::fs::read_dir(env.dir.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if keyfob::vault::retention::is_backup_name("vault.age", &name) {
            let names: Vec<String> = Vault::open(&entry.path(), env.key())
                .unwrap_or_else(|e| panic!("backup '{name}' does not open: {e}"))
                .accounts()
                .iter()
                .map(|a| a.name.clone())
                .collect();
            assert_eq!(names, loop_names("loop", names.len()), "backup '{name}'");
            backups += 1;
        }
    }
    assert!(backups >= 5, "only {backups} backups beside the vault");
}

/// A temp file such as a killed save leaves is removed by the next writer.
#[test]
fn the_next_writer_removes_leftover_temp_files() {
    let env = Env::new();
    let stale = env.path(".vault.age.tmp-12345-abcdef012345");
    std::fs::write(&stale, b"half a vault").unwrap();
    let out = keyfob(
        &env,
        &["add", "--issuer", "Example", "--secret", "JBSWY3DPEHPK3PXP"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stale.exists());
    assert_eq!(temps(&env), Vec::<String>::new());
}

/// Two processes add 200 accounts each, at the same time, one `keyfob add` per
/// account. The vault ends with all 400, each once.
#[test]
fn two_concurrent_writers_lose_nothing() {
    let env = Env::new();
    let per_writer = 200;
    let run = |prefix: &'static str| {
        let env = &env;
        move || {
            for n in 0..per_writer {
                let secret =
                    data_encoding::BASE32_NOPAD.encode(format!("{prefix}{n:05}writer").as_bytes());
                let name = format!("{prefix}-{n:05}");
                let out = keyfob(
                    env,
                    &[
                        "add", "--issuer", "Two", "--name", &name, "--secret", &secret,
                    ],
                )
                .output()
                .unwrap();
                assert!(
                    out.status.success(),
                    "{name}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    };
    std::thread::scope(|scope| {
        let a = scope.spawn(run("a"));
        let b = scope.spawn(run("b"));
        a.join().unwrap();
        b.join().unwrap();
    });
    let mut names = env.names();
    assert_eq!(names.len(), 2 * per_writer);
    names.sort();
    let mut expected = loop_names("a", per_writer);
    expected.extend(loop_names("b", per_writer));
    assert_eq!(names, expected);
}

// ---------------------------------------------------------------- full disk

/// A vault with a few accounts, and the bytes of its file.
fn filled_env() -> (Env, Vec<u8>) {
    let env = Env::new();
    for (issuer, secret) in [
        ("GitHub", "JBSWY3DPEHPK3PXP"),
        ("GitLab", "GEZDGNBVGY3TQOJQ"),
    ] {
        let out = keyfob(&env, &["add", "--issuer", issuer, "--secret", secret])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let bytes = std::fs::read(env.vault()).unwrap();
    (env, bytes)
}

const FULL_DISK_ADD: &str = "add --issuer Overflow --name \"$(head -c 3000 /dev/zero | tr '\\0' x)\" --secret MFRGGZDFMZTWQ2LK";

fn assert_failed_cleanly(stderr: &str, status_ok: bool, reason: &str) {
    assert!(!status_ok, "the save should have failed");
    assert!(
        stderr.contains("could not save the vault; the previous version is unchanged"),
        "unclear error: {stderr}"
    );
    assert!(stderr.contains(reason), "the cause is not named: {stderr}");
}

/// Whether this machine lets an unprivileged test mount a tmpfs in a user and
/// mount namespace.
fn unshare_tmpfs_available() -> bool {
    Command::new("unshare")
        .args([
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs -o size=64k tmpfs /tmp && true",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A real full disk: the vault lives on a tiny tmpfs filled to the last page
/// (mounted in a user+mount namespace). The save fails with a clear error naming
/// the cause; the vault is byte-identical and no temp file is left. Where the
/// namespace is not allowed, the same is shown with the file-size-limit fault
/// seam below, and this test says so.
#[test]
fn full_disk_fails_clearly_and_keeps_the_vault() {
    if !unshare_tmpfs_available() {
        eprintln!("unshare -rm is not allowed here: full disk shown by the RLIMIT_FSIZE test only");
        write_limit_fails_clearly_and_keeps_the_vault();
        return;
    }
    let (env, before) = filled_env();
    let mnt = env.path("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let script = format!(
        r#"set -e
mount -t tmpfs -o size=256k tmpfs mnt
cp vault.age id.txt mnt/
dd if=/dev/zero of=mnt/filler bs=4096 2>/dev/null || true
set +e
KEYFOB_VAULT=mnt/vault.age KEYFOB_IDENTITY=mnt/id.txt "{KEYFOB}" {FULL_DISK_ADD} 2>stderr.txt
echo $? > status.txt
cp mnt/vault.age after.age
ls -a mnt > listing.txt
"#
    );
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .current_dir(env.dir.path())
        .env_remove("KEYFOB_VAULT")
        .env_remove("KEYFOB_IDENTITY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = std::fs::read_to_string(env.path("stderr.txt")).unwrap();
    let status = std::fs::read_to_string(env.path("status.txt")).unwrap();
    assert_failed_cleanly(&stderr, status.trim() == "0", "No space left on device");
    assert_eq!(std::fs::read(env.path("after.age")).unwrap(), before);
    let listing = std::fs::read_to_string(env.path("listing.txt")).unwrap();
    assert!(!listing.contains(".tmp-"), "temp file left: {listing}");
}

/// The fault seam that works everywhere: the writer runs with a file size limit
/// of 1 KiB (SIGXFSZ ignored), so writing the new vault fails with EFBIG part way,
/// exactly where a full disk would fail. Same promises: clear error, old vault
/// byte-identical, no temp file left.
#[test]
fn write_limit_fails_clearly_and_keeps_the_vault() {
    let (env, before) = filled_env();
    let out = Command::new("bash")
        .args([
            "-c",
            &format!("trap '' XFSZ; ulimit -f 2; exec \"{KEYFOB}\" {FULL_DISK_ADD}"),
        ])
        .env("KEYFOB_VAULT", env.vault())
        .env("KEYFOB_IDENTITY", env.path("id.txt"))
        .env_remove("KEYFOB_PASSPHRASE_FILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_failed_cleanly(&stderr, out.status.success(), "File too large");
    assert_eq!(std::fs::read(env.vault()).unwrap(), before);
    assert_eq!(temps(&env), Vec::<String>::new());
    assert_eq!(env.names().len(), 2);
}

// ---------------------------------------------------------------- tampering

fn sample_vault() -> (TempDir, Key, Vec<u8>, Vec<Account>) {
    let dir = tempfile::tempdir().unwrap();
    let key = Key::from_identity_text(keyfob::fuzz_entry::FUZZ_IDENTITY).unwrap();
    let path = dir.path().join("vault.age");
    let mut vault = Vault::create(&path, key.clone(), 1_700_000_000).unwrap();
    for (issuer, secret) in [("GitHub", "JBSWY3DPEHPK3PXP"), ("Mail", "GEZDGNBVGY3TQOJQ")] {
        let account = Account::new(
            issuer,
            "alice@example.com",
            Secret::from_base32(secret).unwrap(),
            Kind::Totp { period: 30 },
            Algorithm::Sha1,
            6,
            1_700_000_000,
        )
        .unwrap();
        vault.accounts_mut().push(account);
    }
    vault.save().unwrap();
    let accounts = vault.accounts().to_vec();
    drop(vault);
    let bytes = std::fs::read(&path).unwrap();
    (dir, key, bytes, accounts)
}

/// Opening altered bytes fails with one of the clear errors; which one depends
/// on where the damage is (the header line, the recipient stanza, the payload).
fn assert_rejected(bytes: &[u8], key: &Key, what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.age");
    std::fs::write(&path, bytes).unwrap();
    match Vault::open(&path, key.clone()) {
        Ok(_) => panic!("{what}: the altered vault opened"),
        Err(
            VaultError::Damaged
            | VaultError::NotAgeFile
            | VaultError::WrongIdentity
            | VaultError::NeedsPassphrase,
        ) => {}
        Err(other) => panic!("{what}: unexpected error '{other}'"),
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "{what}: the file changed"
    );
}

/// Every single-bit flip at every offset, and every truncation, of a real vault
/// is refused. (Exhaustive over offsets; the property test below adds arbitrary
/// byte values.)
#[test]
fn every_flip_and_truncation_of_a_vault_is_refused() {
    let (_dir, key, bytes, accounts) = sample_vault();
    assert_eq!(accounts.len(), 2);
    for offset in 0..bytes.len() {
        for mask in [0x01u8, 0x80] {
            let mut altered = bytes.clone();
            altered[offset] ^= mask;
            assert_rejected(&altered, &key, &format!("flip {mask:#04x} at {offset}"));
        }
        assert_rejected(&bytes[..offset], &key, &format!("truncated to {offset}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Replace a byte with any other value, or cut the file and append junk:
    /// the vault never opens with different content.
    #[test]
    fn altered_vaults_never_open(
        index in any::<prop::sample::Index>(),
        value in any::<u8>(),
        cut in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let (key, bytes) = sample_vault_cached();
        let offset = index.index(bytes.len());
        if bytes[offset] != value {
            let mut altered = bytes.clone();
            altered[offset] = value;
            assert_rejected(&altered, &key, &format!("byte {offset} set to {value:#04x}"));
        }
        let mut cut_file = bytes[..cut.index(bytes.len())].to_vec();
        cut_file.extend_from_slice(&junk);
        if cut_file != bytes {
            assert_rejected(&cut_file, &key, "cut and junk appended");
        }
    }
}

fn sample_vault_cached() -> (Key, Vec<u8>) {
    use std::sync::OnceLock;
    static SAMPLE: OnceLock<Vec<u8>> = OnceLock::new();
    let key = Key::from_identity_text(keyfob::fuzz_entry::FUZZ_IDENTITY).unwrap();
    let bytes = SAMPLE.get_or_init(|| sample_vault().2);
    (key, bytes.clone())
}

/// The untouched sample vault does open with exactly its accounts (so the
/// refusals above are about the damage, not the fixture).
#[test]
fn the_untampered_sample_opens() {
    let (dir, key, bytes, accounts) = sample_vault();
    let path = dir.path().join("copy.age");
    std::fs::write(&path, &bytes).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let vault = Vault::open(&path, key).unwrap();
    assert_eq!(vault.accounts(), accounts.as_slice());
}
