//! The agent process: `keyfob agent start` spawns `keyfob agent serve` detached
//! (new session, no terminal, stdio closed) and waits for its first line, which
//! says that it listens or why it could not; the agent then answers requests one
//! at a time until its lifetime ends or it is stopped.
//!
//! It holds the vault opened read-only (no writer lock, so other keyfobs write as
//! usual), sees their saves before each answer, and saves a HOTP counter through
//! the same code and library save as `keyfob code`. The pages holding decrypted
//! secrets are locked in RAM; on idle timeout, `agent lock`, `SIGHUP`, lifetime
//! end or stop the vault is dropped, which wipes every secret.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use keyfob::agent::{Request, Response, Status, protocol, socket};
use keyfob::vault::Vault;
use keyfob::vault::store::FileStamp;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::super::{Context, code, list, passphrase};
use super::{Timers, client};

/// How long a connection may take to send its request.
const REQUEST_WAIT: Duration = Duration::from_secs(2);
/// How long a starting agent waits for the previous (stopping) agent's lock.
const LOCK_HANDOVER: Duration = Duration::from_secs(3);
/// Longest sleep of the loop, so signals and timers are seen promptly.
const TICK: Duration = Duration::from_millis(250);
/// Test knob, read only by debug builds: make the socket reachable by other users,
/// so a test can show that the peer check alone refuses them.
const TEST_OPEN_SOCKET: &str = "KEYFOB_AGENT_TEST_OPEN_SOCKET";

/// `keyfob agent start`: unlock (in the agent), detach, report where it listens.
pub fn start(ctx: &Context, timers: &Timers) -> anyhow::Result<ExitCode> {
    ctx.check_exists()?;
    if let Some(Response::Status(status)) = client::exchange(ctx, &Request::Status)? {
        if status.unlocked {
            eprintln!(
                "keyfob: an agent (pid {}) already holds the vault '{}' unlocked; 'keyfob agent stop' it first to start another",
                status.pid, status.vault
            );
            return Ok(ExitCode::SUCCESS);
        }
        // A locked agent is replaced by one that is unlocked.
        client::exchange(ctx, &Request::Stop)?;
    }
    let vault = fs::canonicalize(ctx.path())
        .with_context(|| format!("finding the vault {}", ctx.shown()))?;
    let mut command = Command::new(std::env::current_exe().context("finding keyfob itself")?);
    command.arg("--vault").arg(&vault);
    let passphrase = match &ctx.identity {
        Some(identity) => {
            let identity = fs::canonicalize(identity)
                .with_context(|| format!("reading the identity '{}'", identity.display()))?;
            command.arg("--identity").arg(identity);
            None
        }
        None => {
            command.args(["--passphrase-file", "-"]);
            Some(passphrase::existing(ctx.passphrase_file.as_deref())?)
        }
    };
    command
        .args(["agent", "serve", "--idle-timeout"])
        .arg(format!("{}ms", timers.idle_timeout.as_millis()))
        .arg("--lifetime")
        .arg(format!("{}ms", timers.lifetime.as_millis()))
        .env_remove("KEYFOB_VAULT")
        .env_remove("KEYFOB_IDENTITY")
        .env_remove("KEYFOB_PASSPHRASE_FILE")
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = command.spawn().context("starting the agent process")?;
    if let Some(mut stdin) = child.stdin.take()
        && let Some(passphrase) = &passphrase
    {
        let mut line = Zeroizing::new(passphrase.expose_secret().as_bytes().to_vec());
        line.push(b'\n');
        // A failed write shows as the agent's own error below.
        let _ = stdin.write_all(&line);
    }
    let mut line = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("waiting for the agent to start")?;
    }
    if let Some(socket) = line.trim_end().strip_prefix("ready ") {
        println!(
            "keyfob agent (pid {}) holds the vault '{}' unlocked, listening on '{socket}'; it locks after {} without a request and ends in {}",
            child.id(),
            vault.display(),
            humantime::format_duration(timers.idle_timeout),
            humantime::format_duration(timers.lifetime),
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(message) = line.trim_end().strip_prefix("error ") {
        anyhow::bail!("the agent did not start: {message}");
    }
    let status = child.wait().context("waiting for the agent process")?;
    anyhow::bail!("the agent stopped before it was ready ({status})")
}

/// `keyfob agent serve`: the agent in the foreground. Its first line on standard
/// output is `ready SOCKET` or `error MESSAGE`; nothing is printed after it.
pub fn serve(ctx: &Context, timers: &Timers) -> anyhow::Result<ExitCode> {
    // Leave the terminal's session, so closing it does not reach the agent.
    let _ = nix::unistd::setsid();
    let mut out = std::io::stdout();
    let mut agent = match Agent::prepare(ctx, timers) {
        Ok(agent) => agent,
        Err(error) => {
            let message = format!("{error:#}").replace('\n', " ");
            let _ = writeln!(out, "error {message}");
            return Err(super::super::Exit(1).into());
        }
    };
    let _ = writeln!(out, "ready {}", agent.socket.display());
    let _ = out.flush();
    agent.run(ctx);
    Ok(ExitCode::SUCCESS)
}

/// The pages holding the open vault's secrets, locked in RAM while held.
struct LockedPages {
    /// The first address of each page locked.
    pages: Vec<usize>,
    /// The page size.
    page: usize,
    failure: Option<String>,
}

impl LockedPages {
    /// Nothing locked.
    fn none() -> Self {
        LockedPages {
            pages: Vec::new(),
            page: region::page::size().max(1),
            failure: None,
        }
    }

    fn of(vault: &Vault) -> Self {
        Self::lock(vault.secrets_in_memory().map(|secret| secret.expose()))
    }

    /// Locks the pages of `buffers`.
    fn lock<'a>(buffers: impl Iterator<Item = &'a [u8]>) -> Self {
        let page = region::page::size().max(1);
        let mut pages = BTreeSet::new();
        for bytes in buffers {
            let start = bytes.as_ptr() as usize / page * page;
            let end = bytes.as_ptr() as usize + bytes.len();
            pages.extend((start..end).step_by(page));
        }
        let mut locked = LockedPages {
            pages: Vec::with_capacity(pages.len()),
            page,
            failure: None,
        };
        for address in pages {
            match region::lock(address as *const u8, page) {
                Ok(guard) => {
                    // Unlocked in `drop`, which can tell a page that is gone from an
                    // error (the guard's own drop asserts that unlocking succeeds).
                    std::mem::forget(guard);
                    locked.pages.push(address);
                }
                Err(error) => {
                    locked.failure = Some(error.to_string());
                    break;
                }
            }
        }
        locked
    }

    fn describe(&self) -> String {
        match &self.failure {
            None => format!(
                "the {} pages holding the secrets are locked in RAM",
                self.pages.len()
            ),
            Some(error) => format!(
                "the secrets could not be locked in RAM ({error}; raise the limit shown by 'ulimit -l')"
            ),
        }
    }
}

impl Drop for LockedPages {
    fn drop(&mut self) {
        for &address in &self.pages {
            // The secrets are freed before their pages are unlocked, and an
            // allocator may have handed a page back to the system since (musl's
            // does at once): munlock then fails with ENOMEM, and there is nothing
            // to undo, since an unmapped page holds no lock.
            let _ = region::unlock(address as *const u8, self.page);
        }
    }
}

/// The decrypted vault and what keeps it.
struct Unlocked {
    vault: Vault,
    /// Declared after `vault`: dropped after it, so the pages are wiped while locked.
    pages: LockedPages,
    seen: Option<FileStamp>,
    last_request: Instant,
}

impl Unlocked {
    fn new(vault: Vault) -> Self {
        let pages = LockedPages::of(&vault);
        let seen = FileStamp::of(vault.path());
        Unlocked {
            vault,
            pages,
            seen,
            last_request: Instant::now(),
        }
    }

    /// Re-reads the vault when another keyfob saved it, and locks the new pages.
    fn refresh(&mut self) -> anyhow::Result<()> {
        let now = FileStamp::of(self.vault.path());
        if now != self.seen {
            self.vault.reload_if_changed()?;
            self.relock();
        }
        Ok(())
    }

    /// Locks the pages of the secrets as they are now (after a reload or a save).
    fn relock(&mut self) {
        // Unlock first: a page of the old set may also hold a new secret.
        drop(std::mem::replace(&mut self.pages, LockedPages::none()));
        self.pages = LockedPages::of(&self.vault);
        self.seen = FileStamp::of(self.vault.path());
    }
}

struct Agent {
    socket: PathBuf,
    vault: PathBuf,
    listener: UnixListener,
    /// Held while the agent lives: a socket whose lock is free is a dead agent's.
    _lock: File,
    unlocked: Option<Unlocked>,
    idle_timeout: Duration,
    ends: Instant,
    hangup: Arc<AtomicBool>,
    terminate: Arc<AtomicBool>,
    stop: bool,
}

fn take_lock(path: &Path) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("opening the agent lock '{}'", path.display()))?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_HANDOVER => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another agent is running for this vault; use it, or 'keyfob agent stop' it first"
            ),
            Err(fs::TryLockError::Error(error)) => {
                return Err(error)
                    .with_context(|| format!("locking the agent lock '{}'", path.display()));
            }
        }
    }
}

impl Agent {
    fn prepare(ctx: &Context, timers: &Timers) -> anyhow::Result<Self> {
        let dir = socket::default_dir()?;
        socket::ensure_private_dir(&dir)?;
        let canonical = fs::canonicalize(ctx.path())
            .with_context(|| format!("finding the vault {}", ctx.shown()))?;
        let socket_path = socket::socket_path(&dir, &canonical)?;
        let lock = take_lock(&socket::lock_path(&socket_path))?;
        let vault = Vault::open(&canonical, ctx.key()?).with_context(|| ctx.describe())?;
        // The lock is ours, so a socket left there is a dead agent's.
        match fs::remove_file(&socket_path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| {
                    format!("removing the old socket '{}'", socket_path.display())
                });
            }
        }
        let listener = UnixListener::bind(&socket_path)
            .with_context(|| format!("listening on '{}'", socket_path.display()))?;
        fs::set_permissions(&socket_path, fs::Permissions::from_mode(0o600))?;
        if cfg!(debug_assertions) && std::env::var_os(TEST_OPEN_SOCKET).is_some() {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o711))?;
            fs::set_permissions(&socket_path, fs::Permissions::from_mode(0o666))?;
        }
        listener.set_nonblocking(true)?;
        let hangup = Arc::new(AtomicBool::new(false));
        let terminate = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hangup))?;
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(signal, Arc::clone(&terminate))?;
        }
        Ok(Agent {
            socket: socket_path,
            vault: canonical,
            listener,
            _lock: lock,
            unlocked: Some(Unlocked::new(vault)),
            idle_timeout: timers.idle_timeout,
            ends: Instant::now() + timers.lifetime,
            hangup,
            terminate,
            stop: false,
        })
    }

    /// Drops the decrypted vault: every secret is wiped (then its pages unlocked).
    fn lock(&mut self) {
        self.unlocked = None;
    }

    fn run(&mut self, ctx: &Context) {
        while !self.stop && !self.terminate.load(Ordering::Relaxed) {
            if self.hangup.swap(false, Ordering::Relaxed) {
                self.lock();
            }
            let now = Instant::now();
            if now >= self.ends {
                break;
            }
            let mut wait = TICK.min(self.ends - now);
            if let Some(unlocked) = &self.unlocked {
                let idle = now.duration_since(unlocked.last_request);
                if idle >= self.idle_timeout {
                    self.lock();
                } else {
                    wait = wait.min(self.idle_timeout - idle);
                }
            }
            let timeout = PollTimeout::try_from(wait).unwrap_or(PollTimeout::ZERO);
            let mut fds = [PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
            // EINTR (a signal) and timeouts both come back to the checks above.
            if !matches!(poll(&mut fds, timeout), Ok(n) if n > 0) {
                continue;
            }
            if let Ok((stream, _)) = self.listener.accept() {
                self.serve_connection(ctx, &stream);
            }
        }
        self.lock();
        let _ = fs::remove_file(&self.socket);
    }

    fn serve_connection(&mut self, ctx: &Context, stream: &UnixStream) {
        match self.read(stream) {
            Ok(request) => {
                let reply = self.answer(ctx, request);
                // A client that went away misses its reply; nothing else to do.
                let _ = protocol::write_reply(stream, &reply);
            }
            Err(error) => {
                let reply = Response::Error {
                    message: error.to_string(),
                };
                let _ = protocol::write_reply(stream, &reply);
                // Closing with unread input would reset the connection before the
                // client reads the error: read what it sent (bounded, with the
                // request timeout) first.
                let _ = stream.shutdown(std::net::Shutdown::Write);
                let _ = std::io::copy(&mut stream.take(1 << 20), &mut std::io::sink());
            }
        }
    }

    fn read(&self, stream: &UnixStream) -> Result<Request, keyfob::agent::AgentError> {
        socket::check_peer(stream)?;
        let io = |source| keyfob::agent::AgentError::Io { source };
        stream.set_nonblocking(false).map_err(io)?;
        stream.set_read_timeout(Some(REQUEST_WAIT)).map_err(io)?;
        stream.set_write_timeout(Some(REQUEST_WAIT)).map_err(io)?;
        protocol::read_request(stream)
    }

    fn answer(&mut self, ctx: &Context, request: Request) -> Response {
        match request {
            Request::Status => Response::Status(self.status()),
            Request::Lock => {
                self.lock();
                Response::Done
            }
            Request::Stop => {
                self.stop = true;
                Response::Done
            }
            Request::List => self.with_vault(|unlocked| {
                let (accounts, reminder) = list::listing(&unlocked.vault);
                Response::Accounts { accounts, reminder }
            }),
            Request::Code { query, at } => self.with_vault(|unlocked| {
                let result = code::compute(&mut unlocked.vault, &query, at, ctx);
                unlocked.vault.release_lock();
                // A saved counter is a new file and a new copy of the secrets.
                if FileStamp::of(unlocked.vault.path()) != unlocked.seen {
                    unlocked.relock();
                }
                match result {
                    Ok(reply) => Response::Code(reply),
                    Err(code::CodeError::NoSingleMatch(labels)) => {
                        Response::NoSingleMatch { labels }
                    }
                    Err(code::CodeError::Other(error)) => Response::Error {
                        message: format!("{error:#}"),
                    },
                }
            }),
        }
    }

    /// Runs `job` on the current vault (re-read if another keyfob saved it);
    /// [`Response::Locked`] when the agent holds none.
    fn with_vault(&mut self, job: impl FnOnce(&mut Unlocked) -> Response) -> Response {
        let Some(unlocked) = self.unlocked.as_mut() else {
            return Response::Locked;
        };
        unlocked.last_request = Instant::now();
        if let Err(error) = unlocked.refresh() {
            return Response::Error {
                message: format!("{error:#}"),
            };
        }
        job(unlocked)
    }

    fn status(&self) -> Status {
        let now = Instant::now();
        let idle_left = self.unlocked.as_ref().map(|unlocked| {
            self.idle_timeout
                .saturating_sub(now.duration_since(unlocked.last_request))
                .as_secs()
        });
        Status {
            pid: std::process::id(),
            vault: self.vault.display().to_string(),
            unlocked: self.unlocked.is_some(),
            idle_timeout: self.idle_timeout.as_secs(),
            idle_left,
            lifetime_left: self.ends.saturating_duration_since(now).as_secs(),
            memory: self.unlocked.as_ref().map_or_else(
                || "nothing decrypted is held".to_string(),
                |u| u.pages.describe(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LockedPages;

    #[test]
    fn unlocking_a_page_the_allocator_gave_back_is_not_an_error() {
        // Larger than any allocator's threshold for mapping a block of its own
        // (glibc's grows to 32 MiB at most), so freeing it unmaps its pages; only
        // its first page is locked (and touched).
        let buffer = vec![0u8; 64 << 20];
        let pages = LockedPages::lock(std::iter::once(&buffer[..1]));
        assert_eq!((pages.pages.len(), &pages.failure), (1, &None));
        let address = pages.pages[0];
        drop(buffer);
        // The page is gone (so the unlock below is the case this is about)…
        assert!(region::unlock(address as *const u8, pages.page).is_err());
        // …and dropping the lock set does not panic over it.
        drop(pages);
    }
}
