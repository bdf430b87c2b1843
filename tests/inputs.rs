//! Inputs that used to hang keyfob or eat its memory, and errors that named the
//! wrong problem (issue 11): FIFOs and symbolic link loops in walked directories,
//! endless files read through the bounded reader, damaged identities, huge images,
//! and keyfob's own paper sheet PDF given to `import`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use keyfob::vault::Vault;

mod common;
use common::{Env, essence};

/// Long enough for a slow machine; a hang shows up as a failure, not a stuck test.
const TIMEOUT: Duration = Duration::from_secs(60);

const ALICE: &str = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";
const BOB: &str = "otpauth://totp/Other:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Other";

/// Runs `cmd` within [`TIMEOUT`]: its exit code (none when killed), stdout, stderr.
fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.timeout(TIMEOUT).output().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A directory `dir` with a one-account otpauth list `dir/accounts.txt`.
fn dir_with_account(env: &Env) -> std::path::PathBuf {
    let dir = env.path("dir");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("accounts.txt"), format!("{ALICE}\n")).unwrap();
    dir
}

/// keyfob, unlocked by the identity, run by `sh` under a virtual memory limit of
/// `limit_mib` (and a timeout): a runaway allocation fails inside keyfob
/// (an abort) instead of swapping the machine.
fn under_memory_limit(
    env: &Env,
    limit_mib: u64,
    args: &[&str],
    stdin: Option<&str>,
) -> (Option<i32>, String, String) {
    let script = match stdin {
        Some(from) => format!(r#"ulimit -v {}; exec "$0" "$@" < {from}"#, limit_mib * 1024),
        None => format!(r#"ulimit -v {}; exec "$0" "$@""#, limit_mib * 1024),
    };
    run(Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(assert_cmd::cargo::cargo_bin("keyfob"))
        .arg("--identity")
        .arg(env.path("id.txt"))
        .args(args)
        .current_dir(env.dir.path())
        .env("KEYFOB_VAULT", env.vault())
        .env_remove("KEYFOB_PASSPHRASE_FILE")
        .env_remove("KEYFOB_IDENTITY"))
}

#[test]
fn import_of_a_directory_skips_a_fifo_by_name_and_imports_the_rest() {
    let env = Env::new();
    let dir = dir_with_account(&env);
    mkfifo(&dir.join("pipe"));
    let (code, stdout, stderr) = run(env.cmd().arg("import").arg(&dir));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "skipped '{}': not a regular file (FIFO)",
            dir.join("pipe").display()
        )),
        "{stderr}"
    );
    assert!(stdout.contains("Imported 1 account from 1 file."));
    assert_eq!(env.names(), ["alice"]);
}

#[test]
fn verify_of_a_directory_skips_a_fifo_by_name() {
    let env = Env::new();
    env.add(&[ALICE]);
    let dir = dir_with_account(&env);
    mkfifo(&dir.join("pipe"));
    let (code, stdout, stderr) = run(env.cmd().arg("verify").arg(&dir));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("pipe': not a regular file (FIFO)"),
        "{stderr}"
    );
    assert!(stdout.contains("1 of 1 vault accounts are on the backup and identical"));
}

#[test]
fn a_fifo_named_on_the_command_line_is_still_read() {
    let env = Env::new();
    let pipe = env.path("pipe");
    mkfifo(&pipe);
    let writer = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::write(pipe, format!("{ALICE}\n{BOB}\n")))
    };
    let (code, _, stderr) = run(env.cmd().arg("import").arg(&pipe));
    writer.join().unwrap().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(env.names(), ["alice", "bob"]);
}

#[test]
fn import_of_dev_zero_stops_at_the_size_limit_within_little_memory() {
    let env = Env::new();
    let started = Instant::now();
    // 300 MiB of address space: the 64 MiB limit costs at most a 96 MiB buffer
    // while growing; reading without a bound fails to allocate (an abort).
    let (code, _, stderr) = under_memory_limit(&env, 300, &["import", "/dev/zero"], None);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "keyfob: '/dev/zero': the input is too large (more than 64 MiB, the most keyfob reads)"
        ),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(env.names().is_empty());
}

#[test]
fn verify_of_dev_zero_stops_at_the_size_limit_within_little_memory() {
    let env = Env::new();
    let (code, _, stderr) = under_memory_limit(&env, 300, &["verify", "/dev/zero"], None);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("reading '/dev/zero': the input is too large (more than 64 MiB"),
        "{stderr}"
    );
}

#[test]
fn endless_passphrase_input_is_refused_within_little_memory() {
    let env = Env::new();
    let (code, _, stderr) = under_memory_limit(
        &env,
        300,
        &["import", "--source-passphrase-file", "-", "x"],
        Some("/dev/zero"),
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the passphrase on standard input is longer than 64 KiB"),
        "{stderr}"
    );
    let (code, _, stderr) = under_memory_limit(
        &env,
        300,
        &["import", "--source-passphrase-file", "/dev/zero", "x"],
        None,
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "reading the passphrase file '/dev/zero': the input is too large (more than 64 KiB"
        ),
        "{stderr}"
    );
}

#[test]
fn an_endless_identity_file_is_refused_as_too_large() {
    let env = Env::new();
    let (code, _, stderr) = run(env.bare().args(["--identity", "/dev/zero", "list"]));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr
            .contains("could not read the identity file: the input is too large (more than 1 MiB"),
        "{stderr}"
    );
}

#[test]
fn a_symlink_loop_is_named_and_the_rest_imported() {
    let env = Env::new();
    let dir = dir_with_account(&env);
    // Two links back to the directory: followed blindly they make 2^40 paths.
    std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
    std::os::unix::fs::symlink("../dir", dir.join("up")).unwrap();
    let (code, stdout, stderr) = run(env.cmd().arg("import").arg(&dir));
    assert_eq!(code, Some(0), "{stderr}");
    for link in ["loop", "up"] {
        assert!(
            stderr.contains(&format!(
                "skipped '{}': symbolic link loop (it leads back to '{}')",
                dir.join(link).display(),
                dir.display()
            )),
            "{stderr}"
        );
    }
    assert!(stdout.contains("Imported 1 account from 1 file."));
    assert_eq!(env.names(), ["alice"]);
}

#[test]
fn a_second_link_to_a_directory_reads_it_once() {
    let env = Env::new();
    let dir = dir_with_account(&env);
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/more.txt"), format!("{BOB}\n")).unwrap();
    std::os::unix::fs::symlink("sub", dir.join("zz-alias")).unwrap();
    let (code, stdout, stderr) = run(env.cmd().arg("import").arg(&dir));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "skipped '{}': the same directory as '{}', read already",
            dir.join("zz-alias").display(),
            dir.join("sub").display()
        )),
        "{stderr}"
    );
    assert!(stdout.contains("Imported 2 accounts from 2 files."));
}

#[test]
fn an_identity_with_a_bad_checksum_is_called_damaged() {
    let env = Env::new();
    let good = std::fs::read_to_string(env.path("id.txt")).unwrap();
    // Change one character of the key (line 3, after the two comment lines).
    let damaged: String = good
        .lines()
        .map(|line| {
            if let Some(key) = line.strip_prefix("AGE-SECRET-KEY-1") {
                let mut key: Vec<char> = key.chars().collect();
                key[10] = if key[10] == 'Q' { 'P' } else { 'Q' };
                format!("AGE-SECRET-KEY-1{}\n", key.into_iter().collect::<String>())
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    assert_ne!(damaged, good);
    std::fs::write(env.path("damaged.txt"), &damaged).unwrap();
    let (code, _, stderr) = run(env
        .bare()
        .arg("--identity")
        .arg(env.path("damaged.txt"))
        .arg("list"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "line 3 of the identity file starts like an age identity ('AGE-SECRET-KEY-1…') but is damaged"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("copy the identity again"), "{stderr}");
    assert!(
        !stderr.contains("expected a line starting with"),
        "{stderr}"
    );
}

/// A PNG header claiming `width`x`height` RGBA pixels, with a token of pixel data:
/// enough for a decoder to learn the size, tiny on disk.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer
        .write_chunk(png::chunk::IDAT, &[0x78, 0x9c, 0x03, 0x00])
        .unwrap();
    drop(writer);
    out
}

#[test]
fn a_12000_pixel_image_names_its_size_and_the_memory_limit() {
    let env = Env::new();
    std::fs::write(env.path("huge.png"), png_header(12_000, 12_000)).unwrap();
    let (code, _, stderr) = run(env.cmd().arg("import").arg("huge.png"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the image is 12000x12000 pixels (144 megapixels); decoded it would take 549.3 MiB, more than the 512 MiB keyfob allows for an image: scale it down"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("16384x16384"), "{stderr}");
}

#[test]
fn the_paper_sheet_pdf_imports_into_a_fresh_vault() {
    let env = Env::new();
    env.add(&[ALICE]);
    env.add(&[BOB]);
    env.cmd()
        .args(["export", "--format", "paper", "--out", "sheet.pdf"])
        .assert()
        .success();
    let fresh = Env::new();
    let (code, stdout, stderr) = run(fresh.cmd().arg("import").arg(env.path("sheet.pdf")));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("sheet.pdf (PDF): 2 added"), "{stdout}");
    let accounts = |e: &Env| {
        let mut all: Vec<_> = Vault::open(&e.vault(), e.key())
            .unwrap()
            .accounts()
            .iter()
            .map(essence)
            .collect();
        all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        all
    };
    assert_eq!(accounts(&fresh), accounts(&env));
}

#[test]
fn a_pdf_without_pdftoppm_says_what_to_install() {
    let env = Env::new();
    env.add(&[ALICE]);
    env.cmd()
        .args(["export", "--format", "paper", "--out", "sheet.pdf"])
        .assert()
        .success();
    let empty = env.path("no-programs");
    std::fs::create_dir(&empty).unwrap();
    for command in ["import", "verify"] {
        let (code, _, stderr) = run(env.cmd().arg(command).arg("sheet.pdf").env("PATH", &empty));
        assert_eq!(code, Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains(
                "reading a PDF needs poppler's 'pdftoppm' program, which is not installed (install poppler-utils"
            ),
            "{command}: {stderr}"
        );
    }
}

#[test]
fn a_microsoft_database_through_a_fifo_is_read_once() {
    let env = Env::new();
    let pipe = env.path("PhoneFactor");
    mkfifo(&pipe);
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/microsoft/PhoneFactor");
    let bytes = std::fs::read(fixture).unwrap();
    let writer = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::write(pipe, bytes))
    };
    // The database used to be opened again by path after the first read: a FIFO
    // has nothing left to give, and the second open waits for a writer forever.
    let (code, stdout, stderr) = run(env.cmd().arg("import").arg(&pipe));
    writer.join().unwrap().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("(Microsoft Authenticator):"), "{stdout}");
    assert!(!env.names().is_empty());
}
